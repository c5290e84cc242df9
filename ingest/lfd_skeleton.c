/*  lfd_skeleton: canonical joints, rig alias families, fallbacks and mapping
    files (see lfd_skeleton.h).

    The alias table is data: one row per rig family, one cell per canonical
    joint, each cell a list of candidate source names separated by '|'
    (first match wins) where a candidate "a+b" means the mid-point of a and b.
    Name sources (joint lists as shipped by each rig):
      CMU cgspeed MotionBuilder BVH: ../shared/data/mocap/README.md (01_01),
        Daz/Poser-friendly release: same README (13_01, 14_04, 02_06);
      Mixamo: `mixamorig:` rig, 20tab/bvh-python tests/test_freebvh.bvh;
      LAFAN1: ubisoft-laforge-animation-dataset BVH hierarchy;
      holosoma-53: amazon-far/holosoma config_types/data_type.py
        (MOCAP_DEMO_JOINTS);
      Bandai Namco: BandaiNamcoResearchInc/Bandai-Namco-Research-Motiondataset;
      SMPL / SMPL-H / SMPL-X body joints: the SMPL model's kinematic tree
        (pelvis, left_hip, ..., left_hand); holosoma's SMPLH_DEMO_JOINTS
        spelling (Pelvis, L_Hip, ..., L_Toe, Torso, Chest) is accepted too;
      MediaPipe Pose: the 33 landmark names of the BlazePose topology
        (google mediapipe docs, "Pose landmarker");
      3ds Max Biped (`Bip01 L Thigh`), used by Truebones and many game rigs;
      Unreal Engine mannequin (pelvis, spine_01, thigh_l, ball_l, ...).
*/
#include "ingest/lfd_skeleton.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_json.h"

/* ---- the alias table ------------------------------------------------------ */
typedef struct family {
    const char *id;
    const char *desc;
    const char *cand[LFD_CJ_COUNT];
} family;

/* Order matters only for ties (the first family wins). */
static const family families[] = {
    {"lfd", "lfd canonical names (lfd human synth)",
     {"pelvis", "spine", "chest", "neck", "head", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
      "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "l_toe",
      "r_toe"}},
    /* CMU (MotionBuilder-friendly), Mixamo, LAFAN1, holosoma-53, Truebones
       (Mixamo-style packs): CMU's Neck coincides with Spine1 (zero OFFSET),
       so Neck1 comes first; Spine2 (Mixamo, LAFAN1) is the chest where it
       exists, else Spine1 (CMU, holosoma). */
    {"biped", "Hips/LeftUpLeg naming: CMU cgspeed MotionBuilder, Mixamo, LAFAN1, holosoma-53, Truebones",
     {"Hips", "Spine", "Spine2|Spine1", "Neck1|Neck", "Head", "LeftArm", "RightArm",
      "LeftForeArm", "RightForeArm", "LeftHand", "RightHand", "LeftUpLeg", "RightUpLeg", "LeftLeg",
      "RightLeg", "LeftFoot", "RightFoot", "LeftToeBase|LeftToe", "RightToeBase|RightToe"}},
    {"daz", "CMU cgspeed Daz/Poser-friendly and Daz Genesis (hip, lThigh, lShldr, ...)",
     {"hip|pelvis", "abdomen|abdomenLower|abdomen1", "chest|chestUpper|chestLower|abdomen2",
      "neck|neckLower", "head", "lShldr|lShldrBend", "rShldr|rShldrBend",
      "lForeArm|lForearmBend", "rForeArm|rForearmBend", "lHand", "rHand", "lThigh|lThighBend",
      "rThigh|rThighBend", "lShin", "rShin", "lFoot", "rFoot", "lToe|lMetatarsals",
      "rToe|rMetatarsals"}},
    {"bandai", "Bandai Namco Research Motion dataset (UpperArm_L, ...)",
     {"Hips", "Spine", "Chest", "Neck", "Head", "UpperArm_L", "UpperArm_R", "LowerArm_L",
      "LowerArm_R", "Hand_L", "Hand_R", "UpperLeg_L", "UpperLeg_R", "LowerLeg_L", "LowerLeg_R",
      "Foot_L", "Foot_R", "Toes_L", "Toes_R"}},
    {"smpl", "SMPL / SMPL-H / SMPL-X body joints (pelvis, left_hip, ... or Pelvis, L_Hip, ...)",
     {"pelvis", "spine1|Torso", "spine3|Chest", "neck", "head", "left_shoulder|L_Shoulder",
      "right_shoulder|R_Shoulder", "left_elbow|L_Elbow", "right_elbow|R_Elbow",
      "left_wrist|L_Wrist", "right_wrist|R_Wrist", "left_hip|L_Hip", "right_hip|R_Hip",
      "left_knee|L_Knee", "right_knee|R_Knee", "left_ankle|L_Ankle", "right_ankle|R_Ankle",
      "left_foot|L_Foot|L_Toe", "right_foot|R_Foot|R_Toe"}},
    {"mediapipe", "MediaPipe Pose / BlazePose 33 landmarks (pelvis, neck, head are mid-points)",
     {"left_hip+right_hip", NULL, NULL, "left_shoulder+right_shoulder", "left_ear+right_ear",
      "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
      "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
      "right_ankle", "left_foot_index", "right_foot_index"}},
    {"3dsmax", "3ds Max Biped (Bip01 Pelvis, Bip01 L Thigh, ...), used by Truebones packs",
     {"Bip01 Pelvis|Bip001 Pelvis", "Bip01 Spine|Bip001 Spine",
      "Bip01 Spine2|Bip01 Spine1|Bip001 Spine2|Bip001 Spine1", "Bip01 Neck|Bip001 Neck",
      "Bip01 Head|Bip001 Head", "Bip01 L UpperArm|Bip001 L UpperArm",
      "Bip01 R UpperArm|Bip001 R UpperArm", "Bip01 L Forearm|Bip001 L Forearm",
      "Bip01 R Forearm|Bip001 R Forearm", "Bip01 L Hand|Bip001 L Hand",
      "Bip01 R Hand|Bip001 R Hand", "Bip01 L Thigh|Bip001 L Thigh",
      "Bip01 R Thigh|Bip001 R Thigh", "Bip01 L Calf|Bip001 L Calf",
      "Bip01 R Calf|Bip001 R Calf", "Bip01 L Foot|Bip001 L Foot", "Bip01 R Foot|Bip001 R Foot",
      "Bip01 L Toe0|Bip001 L Toe0", "Bip01 R Toe0|Bip001 R Toe0"}},
    {"unreal", "Unreal Engine mannequin (pelvis, spine_01, thigh_l, ball_l, ...)",
     {"pelvis", "spine_01", "spine_03|spine_02", "neck_01", "head", "upperarm_l", "upperarm_r",
      "lowerarm_l", "lowerarm_r", "hand_l", "hand_r", "thigh_l", "thigh_r", "calf_l", "calf_r",
      "foot_l", "foot_r", "ball_l", "ball_r"}},
};
#define NFAM ((int)(sizeof families / sizeof families[0]))

int lfd_skel_nfamilies(void) { return NFAM; }
const char *lfd_skel_family_id(int i) { return i >= 0 && i < NFAM ? families[i].id : "?"; }
const char *lfd_skel_family_desc(int i) { return i >= 0 && i < NFAM ? families[i].desc : "?"; }

/* ---- name matching -------------------------------------------------------- */
/* The part of a name after its namespace (last ':' or '|'). */
static const char *base_name(const char *s)
{
    const char *b = s;
    for (const char *p = s; *p; p++)
        if (*p == ':' || *p == '|')
            b = p + 1;
    return b;
}

/* Compares a's base name with b[0..bn) case-insensitively. */
static int eq_n(const char *a, const char *b, size_t bn)
{
    a = base_name(a);
    size_t an = strlen(a);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

int lfd_skel_name_eq(const char *a, const char *b)
{
    b = base_name(b);
    return eq_n(a, b, strlen(b));
}

static int find_n(const char *const *names, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++)
        if (eq_n(names[i], s, len))
            return i;
    return -1;
}

/* Places one canonical joint from a candidate list "a|b+c|...". */
static int place_cands(const char *cand, const char *const *names, int n, lfd_cplace *pl)
{
    pl->n = 0;
    if (!cand)
        return 0;
    const char *p = cand;
    while (*p) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        /* one alternative: one name or a '+'-joined mean */
        lfd_cplace t = {0};
        int ok = 1;
        const char *q = p, *qe = p + len;
        while (q < qe && ok) {
            const char *plus = memchr(q, '+', (size_t)(qe - q));
            size_t l = plus ? (size_t)(plus - q) : (size_t)(qe - q);
            int j = find_n(names, n, q, l);
            if (j < 0 || t.n >= LFD_CPLACE_MAX)
                ok = 0;
            else
                t.src[t.n++] = j;
            q = plus ? plus + 1 : qe;
        }
        if (ok && t.n > 0) {
            for (int i = 0; i < t.n; i++)
                t.w[i] = 1.0 / t.n;
            t.how = LFD_CPLACE_ALIAS;
            *pl = t;
            return 1;
        }
        p = e ? e + 1 : p + len;
    }
    return 0;
}

/* dst = a * wa + b * wb, merging repeated sources; fails past the cap. */
static int blend(lfd_cplace *dst, const lfd_cplace *a, double wa, const lfd_cplace *b, double wb)
{
    lfd_cplace t = {0};
    const lfd_cplace *in[2] = {a, b};
    double w[2] = {wa, wb};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < in[k]->n; i++) {
            int s = in[k]->src[i], found = 0;
            for (int m = 0; m < t.n; m++)
                if (t.src[m] == s) {
                    t.w[m] += w[k] * in[k]->w[i];
                    found = 1;
                }
            if (!found) {
                if (t.n >= LFD_CPLACE_MAX)
                    return 0;
                t.src[t.n] = s;
                t.w[t.n++] = w[k] * in[k]->w[i];
            }
        }
    }
    t.how = LFD_CPLACE_FALLBACK;
    *dst = t;
    return 1;
}

/* Fills canonical joints a rig does not name from the ones it does. */
static void apply_fallbacks(lfd_skel_map *m, const int *parents, int n)
{
    lfd_cplace *c = m->c;
    /* pelvis: mid-point of the hips */
    if (!c[LFD_CJ_PELVIS].n && c[LFD_CJ_L_HIP].n && c[LFD_CJ_R_HIP].n)
        blend(&c[LFD_CJ_PELVIS], &c[LFD_CJ_L_HIP], 0.5, &c[LFD_CJ_R_HIP], 0.5);
    /* neck: mid-point of the shoulders */
    if (!c[LFD_CJ_NECK].n && c[LFD_CJ_L_SHOULDER].n && c[LFD_CJ_R_SHOULDER].n)
        blend(&c[LFD_CJ_NECK], &c[LFD_CJ_L_SHOULDER], 0.5, &c[LFD_CJ_R_SHOULDER], 0.5);
    /* chest: two thirds of the way from pelvis to neck */
    if (!c[LFD_CJ_CHEST].n && c[LFD_CJ_PELVIS].n && c[LFD_CJ_NECK].n)
        blend(&c[LFD_CJ_CHEST], &c[LFD_CJ_PELVIS], 1.0 / 3, &c[LFD_CJ_NECK], 2.0 / 3);
    /* spine: half way from pelvis to chest */
    if (!c[LFD_CJ_SPINE].n && c[LFD_CJ_PELVIS].n && c[LFD_CJ_CHEST].n)
        blend(&c[LFD_CJ_SPINE], &c[LFD_CJ_PELVIS], 0.5, &c[LFD_CJ_CHEST], 0.5);
    /* toe: the (first) child of the ankle, e.g. a Daz foot's End Site */
    for (int s = 0; s < 2 && parents; s++) {
        int toe = s ? LFD_CJ_R_TOE : LFD_CJ_L_TOE, ank = s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE;
        if (c[toe].n || c[ank].n != 1)
            continue;
        for (int j = 0; j < n; j++)
            if (parents[j] == c[ank].src[0]) {
                c[toe] = (lfd_cplace){.n = 1, .src = {j}, .w = {1}, .how = LFD_CPLACE_FALLBACK};
                break;
            }
    }
}

static int count_placed(const lfd_skel_map *m)
{
    int k = 0;
    for (int i = 0; i < LFD_CJ_COUNT; i++)
        k += m->c[i].n > 0;
    return k;
}

/* A human-readable label for the detected rig. */
static void label_rig(lfd_skel_map *m, const char *fam, const char *const *names, int n)
{
    const char *label = NULL;
    if (!strcmp(fam, "biped")) {
        int has_lhipjoint = find_n(names, n, "LHipJoint", 9) >= 0;
        int has_footmod = find_n(names, n, "LeftFootMod", 11) >= 0;
        int has_toe = find_n(names, n, "LeftToe", 7) >= 0;
        int mixamo = 0;
        for (int i = 0; i < n; i++)
            if (!strncmp(names[i], "mixamorig", 9))
                mixamo = 1;
        label = has_lhipjoint ? "CMU (cgspeed MotionBuilder-friendly)"
                : mixamo      ? "Mixamo"
                : has_footmod ? "holosoma-53 mocap"
                : has_toe     ? "LAFAN1 (Ubisoft)"
                              : "biped (Mixamo-style names)";
    } else if (!strcmp(fam, "daz")) {
        label = find_n(names, n, "lButtock", 8) >= 0 ? "CMU (cgspeed Daz/Poser-friendly)"
                                                     : "Daz/Poser";
    } else if (!strcmp(fam, "bandai")) {
        label = "Bandai Namco";
    } else if (!strcmp(fam, "smpl")) {
        label = "SMPL";
    } else if (!strcmp(fam, "mediapipe")) {
        label = "MediaPipe Pose (33)";
    } else if (!strcmp(fam, "3dsmax")) {
        label = "3ds Max Biped";
    } else if (!strcmp(fam, "unreal")) {
        label = "Unreal mannequin";
    } else {
        label = fam;
    }
    snprintf(m->rig, sizeof m->rig, "%s", label);
}

/* Applies a mapping file on top of m. */
static int apply_map_file(lfd_skel_map *m, const char *path, const char *const *names, int n,
                          const char *src_name, lfd_err *err)
{
    lfd_json_doc *doc = NULL;
    int rc = lfd_json_parse_file(path, &doc, err);
    if (rc)
        return rc;
    const lfd_json *root = lfd_json_root(doc);
    if (root->type != LFD_JSON_OBJ) {
        lfd_json_free(&doc);
        return lfd_fail(err, LFD_EPARSE,
                        "%s:%d: a mapping file is a JSON object {\"l_elbow\": \"<joint name>\", ...}",
                        path, root->line);
    }
    for (const lfd_json *e = root->child; e; e = e->next) {
        if (e->key[0] == '_')
            continue;
        int cj = lfd_cjoint_find(e->key);
        if (cj < 0) {
            rc = lfd_fail(err, LFD_EPARSE,
                          "%s:%d: '%s' is not a canonical joint (pelvis spine chest neck head "
                          "l_/r_shoulder l_/r_elbow l_/r_wrist l_/r_hip l_/r_knee l_/r_ankle l_/r_toe)",
                          path, e->line, e->key);
            break;
        }
        lfd_cplace pl = {.how = LFD_CPLACE_MAPFILE};
        const lfd_json *v = e;
        int nv = e->type == LFD_JSON_ARR ? e->count : 1;
        if ((e->type != LFD_JSON_STR && e->type != LFD_JSON_ARR) || nv < 1 || nv > LFD_CPLACE_MAX) {
            rc = lfd_fail(err, LFD_EPARSE,
                          "%s:%d: '%s' must be a joint name or an array of 1..%d names", path,
                          e->line, e->key, LFD_CPLACE_MAX);
            break;
        }
        for (int i = 0; i < nv && rc == LFD_OK; i++) {
            v = e->type == LFD_JSON_ARR ? lfd_json_at(e, i) : e;
            if (v->type != LFD_JSON_STR) {
                rc = lfd_fail(err, LFD_EPARSE, "%s:%d: '%s': joint names must be strings", path,
                              v->line, e->key);
                break;
            }
            int j = -1;
            for (int k = 0; k < n && j < 0; k++)
                if (!strcmp(names[k], v->str))
                    j = k;
            for (int k = 0; k < n && j < 0; k++)
                if (lfd_skel_name_eq(names[k], v->str))
                    j = k;
            if (j < 0) {
                rc = lfd_fail(err, LFD_EMISMATCH, "%s:%d: '%s' maps to joint '%s', which %s does not have",
                              path, v->line, e->key, v->str, src_name);
                break;
            }
            pl.src[pl.n] = j;
            pl.w[pl.n++] = 1.0 / nv;
        }
        if (rc)
            break;
        m->c[cj] = pl;
    }
    lfd_json_free(&doc);
    return rc;
}

int lfd_skel_resolve(const char *const *names, const int *parents, int n, const char *map_path,
                     const char *src_name, lfd_skel_map *map, lfd_err *err)
{
    if (!names || n <= 0 || !map)
        return lfd_fail(err, LFD_EARG, "lfd_skel_resolve: empty skeleton");
    if (!src_name)
        src_name = "input";
    /* try every family; keep the one that places the most joints */
    lfd_skel_map best = {0};
    int best_k = -1, best_f = 0;
    for (int f = 0; f < NFAM; f++) {
        lfd_skel_map m = {0};
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
            place_cands(families[f].cand[cj], names, n, &m.c[cj]);
        int direct = count_placed(&m);
        apply_fallbacks(&m, parents, n);
        int k = count_placed(&m);
        /* ties: the family that named more joints itself */
        int score = k * 64 + direct;
        if (score > best_k) {
            best_k = score;
            best = m;
            best_f = f;
        }
    }
    *map = best;
    snprintf(map->family, sizeof map->family, "%s", families[best_f].id);
    label_rig(map, families[best_f].id, names, n);
    /* a mapping file overrides, then fallbacks fill what is still missing */
    if (map_path) {
        int rc = apply_map_file(map, map_path, names, n, src_name, err);
        if (rc)
            return rc;
        apply_fallbacks(map, parents, n);
        char tmp[sizeof map->rig];
        snprintf(tmp, sizeof tmp, "%s", map->rig);
        snprintf(map->rig, sizeof map->rig, "%.40s + mapping file", tmp);
    }
    if (count_placed(map) == LFD_CJ_COUNT)
        return LFD_OK;
    /* name what is missing and how to fix it */
    char miss[256] = "";
    size_t len = 0;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
        if (!map->c[cj].n)
            len += (size_t)snprintf(miss + len, len < sizeof miss ? sizeof miss - len : 0, "%s%s",
                                    len ? " " : "", lfd_cjoint_name(cj));
    return lfd_fail(err, LFD_EMISMATCH,
                    "%s: unknown rig: cannot place canonical joint(s) %s (closest rig family: %s, "
                    "%d of %d placed); give a mapping file with --map FILE, a JSON object such as "
                    "{\"l_elbow\": \"<your joint name>\", ...} (see docs/ingest.md)",
                    src_name, miss, families[best_f].id, count_placed(map), LFD_CJ_COUNT);
}
