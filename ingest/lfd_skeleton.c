/*  lfd_skeleton: canonical joints, rig alias families, name tokens, the
    topology-and-geometry fallback, fallbacks and mapping files (see
    lfd_skeleton.h; the rules and thresholds are in docs/ingest.md).

    Order of the file: the alias table, name matching, name tokens (the
    vocabulary and tokenizer), placements and fallbacks, the tree and its
    poses, token resolving and the trunk from the tree, geometry per pose
    and voting over poses, then lfd_skel_resolve_pose tying them together.

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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_json.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_bvh.h"

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

/* ---- name tokens ---------------------------------------------------------- */
/* Body-part classes a name's words can carry.  S_HIP with no side word is
   the pelvis ("Hips", "CC_Base_Hip"), with one the thigh ("LeftHip",
   "L_Hip"); S_SHOULDER is the glenohumeral joint unless the same side also
   has an S_ARM joint (then it is the clavicle, as in Mixamo's LeftShoulder). */
enum {
    S_NONE, S_NOISE, S_SIDE_L, S_SIDE_R, S_PELVIS, S_ROOT, S_SPINE, S_CHEST, S_NECK, S_HEAD,
    S_COLLAR, S_SHOULDER, S_ARM, S_FOREARM, S_HAND, S_WRIST, S_HIP, S_UPLEG, S_LEG, S_FOOT,
    S_ANKLE, S_TOE, S_FINGER, S_HELPER, S_END, S_TWIST
};

typedef struct word {
    const char *w;
    int c;
} word;

/* Vocabulary, lower case.  Segment synonyms from the rigs named in the file
   header plus the CMU ASF skeleton (lfemur, ltibia, lhumerus, lradius,
   lowerback, upperback, thorax, lowerneck, upperneck), Rigify (DEF-thigh.L,
   DEF-shin.L, DEF-upper_arm.L, DEF-forearm.L) and Character Creator
   (CC_Base_L_Thigh, CC_Base_L_Calf, CC_Base_L_Upperarm, CC_Base_Waist). */
static const word vocab[] = {
    {"left", S_SIDE_L}, {"l", S_SIDE_L}, {"lft", S_SIDE_L}, {"lt", S_SIDE_L}, {"lf", S_SIDE_L},
    {"right", S_SIDE_R}, {"r", S_SIDE_R}, {"rgt", S_SIDE_R}, {"rt", S_SIDE_R}, {"rght", S_SIDE_R},
    {"mixamorig", S_NOISE}, {"bip", S_NOISE}, {"cc", S_NOISE}, {"base", S_NOISE}, {"def", S_NOISE},
    {"org", S_NOISE}, {"skeleton", S_NOISE}, {"beta", S_NOISE}, {"char", S_NOISE},
    {"character", S_NOISE}, {"jnt", S_NOISE}, {"joint", S_NOISE}, {"bone", S_NOISE},
    {"bn", S_NOISE}, {"b", S_NOISE}, {"sk", S_NOISE}, {"rig", S_NOISE}, {"deform", S_NOISE},
    {"smpl", S_NOISE}, {"m", S_NOISE}, {"avg", S_NOISE}, {"bind", S_NOISE}, {"bend", S_NOISE},
    {"hips", S_PELVIS}, {"pelvis", S_PELVIS}, {"root", S_ROOT},
    {"spine", S_SPINE}, {"ab", S_SPINE}, {"abdomen", S_SPINE}, {"abdomenlower", S_SPINE},
    {"abdomenupper", S_SPINE}, {"lowerback", S_SPINE}, {"waist", S_SPINE}, {"torso", S_SPINE},
    {"back", S_SPINE}, {"upperback", S_SPINE}, {"belly", S_SPINE},
    {"chest", S_CHEST}, {"thorax", S_CHEST}, {"chestlower", S_CHEST}, {"chestupper", S_CHEST},
    {"upperchest", S_CHEST}, {"ribcage", S_CHEST},
    {"neck", S_NECK}, {"lowerneck", S_NECK}, {"upperneck", S_NECK}, {"head", S_HEAD},
    {"collar", S_COLLAR}, {"clavicle", S_COLLAR}, {"clav", S_COLLAR}, {"scapula", S_COLLAR},
    {"shoulder", S_SHOULDER},
    {"arm", S_ARM}, {"upperarm", S_ARM}, {"humerus", S_ARM}, {"uparm", S_ARM}, {"shldr", S_ARM}, {"bicep", S_ARM},
    {"forearm", S_FOREARM}, {"lowerarm", S_FOREARM}, {"lowarm", S_FOREARM}, {"elbow", S_FOREARM}, {"radius", S_FOREARM}, {"ulna", S_FOREARM},
    {"hand", S_HAND}, {"wrist", S_WRIST},
    {"hip", S_HIP}, {"upleg", S_UPLEG}, {"upperleg", S_UPLEG}, {"thigh", S_UPLEG}, {"femur", S_UPLEG},
    {"leg", S_LEG}, {"knee", S_LEG}, {"shin", S_LEG}, {"calf", S_LEG}, {"lowleg", S_LEG}, {"lowerleg", S_LEG},
    {"tibia", S_LEG}, {"crus", S_LEG},
    {"foot", S_FOOT}, {"ankle", S_ANKLE}, {"toe", S_TOE}, {"toes", S_TOE}, {"toebase", S_TOE}, {"ball", S_TOE},
    {"finger", S_FINGER}, {"fingers", S_FINGER}, {"fingerbase", S_FINGER}, {"thumb", S_FINGER},
    {"index", S_FINGER}, {"middle", S_FINGER}, {"mid", S_FINGER}, {"ring", S_FINGER},
    {"pinky", S_FINGER}, {"pinkie", S_FINGER}, {"little", S_FINGER}, {"digit", S_FINGER},
    {"metacarpal", S_FINGER}, {"carpal", S_FINGER}, {"palm", S_FINGER},
    {"twist", S_TWIST}, {"roll", S_TWIST}, {"share", S_TWIST},
    {"ik", S_HELPER}, {"pole", S_HELPER}, {"target", S_HELPER}, {"helper", S_HELPER},
    {"aux", S_HELPER}, {"jiggle", S_HELPER}, {"corrective", S_HELPER}, {"buttock", S_HELPER},
    {"eye", S_HELPER}, {"eyes", S_HELPER}, {"jaw", S_HELPER}, {"tongue", S_HELPER},
    {"teeth", S_HELPER}, {"ear", S_HELPER}, {"nose", S_HELPER}, {"brow", S_HELPER},
    {"lid", S_HELPER}, {"breast", S_HELPER}, {"weapon", S_HELPER}, {"prop", S_HELPER},
    {"hipjoint", S_HIP},
    {"end", S_END}, {"nub", S_END}, {"tip", S_END}, {"site", S_END}, {"headtop", S_END},
};
#define NVOCAB ((int)(sizeof vocab / sizeof vocab[0]))

/* Two words read as one ("Up" "Leg" -> upleg). */
static const char *const bigrams[][3] = {
    {"up", "leg", "upleg"},         {"upper", "leg", "upleg"},      {"up", "arm", "upperarm"},
    {"upper", "arm", "upperarm"},   {"fore", "arm", "forearm"},     {"lower", "arm", "forearm"},
    {"low", "arm", "forearm"},      {"lower", "leg", "lowleg"},     {"low", "leg", "lowleg"},
    {"toe", "base", "toe"},         {"lower", "back", "lowerback"}, {"upper", "back", "upperback"},
    {"lower", "neck", "lowerneck"}, {"upper", "neck", "upperneck"}, {"head", "top", "headtop"},
    {"finger", "base", "fingerbase"}, {"upper", "chest", "upperchest"}, {"end", "site", "end"},
};

static int vocab_class(const char *w)
{
    for (int i = 0; i < NVOCAB; i++)
        if (!strcmp(vocab[i].w, w))
            return vocab[i].c;
    return S_NONE;
}

#define TOK_MAX 12
#define TOK_LEN 24

/* Cuts a name into lower-case words: at non-alphanumerics, lower->Upper,
   letter<->digit and "ABc" -> "A" "Bc"; then splits an unknown all-lower word
   into a side prefix and a known word ("lhand" -> l hand, "lefthip") and
   joins bigrams.  Returns the number of words. */
static int tokenize(const char *name, char tok[TOK_MAX][TOK_LEN])
{
    const char *s = base_name(name);
    char raw[TOK_MAX][TOK_LEN];
    int nt = 0, len = 0;
    size_t sl = strlen(s);
    for (size_t i = 0; i <= sl && nt < TOK_MAX; i++) {
        int c = (unsigned char)s[i];
        int brk = !isalnum(c);
        if (!brk && len > 0) {
            int p = (unsigned char)s[i - 1], nx = i + 1 < sl ? (unsigned char)s[i + 1] : 0;
            if ((islower(p) && isupper(c)) || (isalpha(p) && isdigit(c)) || (isdigit(p) && isalpha(c)) ||
                (isupper(p) && isupper(c) && islower(nx)))
                brk = 2;
        }
        if (brk && len > 0) {
            raw[nt][len] = '\0';
            nt++;
            len = 0;
        }
        if (isalnum(c) && nt < TOK_MAX && len < TOK_LEN - 1)
            raw[nt][len++] = (char)tolower(c);
    }
    /* side prefixes glued to a known word */
    int n = 0;
    for (int i = 0; i < nt && n < TOK_MAX; i++) {
        const char *w = raw[i];
        if (vocab_class(w) == S_NONE && !isdigit((unsigned char)w[0])) {
            static const char *const pre[] = {"left", "right", "l", "r"};
            int done = 0;
            for (int k = 0; k < 4 && !done; k++) {
                size_t pl = strlen(pre[k]);
                if (strlen(w) > pl + 1 && !strncmp(w, pre[k], pl)) {
                    int c = vocab_class(w + pl);
                    if (c >= S_PELVIS && n + 1 < TOK_MAX) {
                        snprintf(tok[n++], TOK_LEN, "%s", pre[k]);
                        snprintf(tok[n++], TOK_LEN, "%s", w + pl);
                        done = 1;
                    }
                }
            }
            if (done)
                continue;
        }
        snprintf(tok[n++], TOK_LEN, "%s", w);
    }
    /* bigrams */
    int m = 0;
    for (int i = 0; i < n; i++) {
        int joined = 0;
        for (size_t b = 0; i + 1 < n && b < sizeof bigrams / sizeof bigrams[0]; b++)
            if (!strcmp(tok[i], bigrams[b][0]) && !strcmp(tok[i + 1], bigrams[b][1])) {
                snprintf(tok[m++], TOK_LEN, "%s", bigrams[b][2]);
                i++;
                joined = 1;
                break;
            }
        if (!joined) {
            if (m != i)
                memmove(tok[m], tok[i], TOK_LEN);
            m++;
        }
    }
    return m;
}

/* What the token rules read in one name. */
typedef struct tokinfo {
    int side;  /* 0 none, 1 left, 2 right */
    int cls;   /* the body-part class (S_PELVIS .. S_TOE) or S_NONE */
    int skip;  /* finger, helper, twist or end joint */
    int extra; /* unknown words (a rival with fewer wins) */
} tokinfo;

static tokinfo classify(const char *name)
{
    char tok[TOK_MAX][TOK_LEN];
    int nt = tokenize(name, tok);
    tokinfo ti = {0, S_NONE, 0, 0};
    int l = 0, r = 0, twist = 0;
    for (int i = 0; i < nt; i++) {
        int c = vocab_class(tok[i]);
        if (c == S_SIDE_L)
            l = 1;
        else if (c == S_SIDE_R)
            r = 1;
        else if (c == S_FINGER || c == S_HELPER || c == S_END)
            ti.skip = 1;
        else if (c == S_TWIST)
            twist = 1;
        else if (c >= S_PELVIS)
            ti.cls = c; /* the last body-part word wins: "LeftFootToe" is a toe */
        else if (c == S_NONE && !isdigit((unsigned char)tok[i][0]))
            ti.extra++;
    }
    ti.side = l && !r ? 1 : r && !l ? 2 : 0;
    /* twist/roll helpers sit along a limb bone; a neck "twist" joint
       (CC_Base_NeckTwist01) is still the neck */
    if (twist && ti.cls != S_NECK && ti.cls != S_HEAD && ti.cls != S_SPINE)
        ti.skip = 1;
    if (ti.cls == S_HIP && !ti.side)
        ti.cls = S_PELVIS;
    return ti;
}

void lfd_skel_name_tokens(const char *name, int *side, char *seg, size_t segn)
{
    static const char *const cname[] = {
        [S_PELVIS] = "pelvis", [S_ROOT] = "root",       [S_SPINE] = "spine",   [S_CHEST] = "chest",
        [S_NECK] = "neck",     [S_HEAD] = "head",       [S_COLLAR] = "collar", [S_SHOULDER] = "shoulder",
        [S_ARM] = "upperarm",  [S_FOREARM] = "forearm", [S_HAND] = "hand",     [S_WRIST] = "wrist",
        [S_HIP] = "hip",       [S_UPLEG] = "upleg",     [S_LEG] = "leg",       [S_FOOT] = "foot",
        [S_ANKLE] = "ankle",   [S_TOE] = "toe"};
    tokinfo ti = classify(name);
    if (side)
        *side = ti.side;
    if (seg && segn)
        snprintf(seg, segn, "%s", ti.skip ? "" : ti.cls >= S_PELVIS && ti.cls <= S_TOE && cname[ti.cls] ? cname[ti.cls] : "");
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
    int rc = lfd_json_parse_file(&doc, path, err);
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

/* ---- the tree and its poses ------------------------------------------------ */
typedef struct tree {
    int n;
    const char *const *names;
    const int *par;      /* NULL: no topology */
    const double *pose;  /* npose * n * 3, or NULL */
    int npose;
    int *depth;          /* n */
    int *nchild;         /* n */
    double *slen;        /* n: path length from the root, first usable pose */
    double scale;        /* bounding-box diagonal of the first usable pose */
    double tol;          /* two joints closer than this in every pose coincide */
    int leaf_joints;     /* 1: a leaf is a joint (keypoints), 0: an end (BVH) */
} tree;

static const double *tpos(const tree *t, int p, int j) { return t->pose + ((size_t)p * t->n + j) * 3; }

static int finite3(const double *x) { return isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]); }

/* a == b or a is an ancestor of b */
static int anc(const tree *t, int a, int b)
{
    for (int k = 0; b >= 0 && k <= t->n; k++, b = t->par[b])
        if (b == a)
            return 1;
    return 0;
}

static int lca(const tree *t, int a, int b)
{
    for (int k = 0; a >= 0 && k <= t->n; k++, a = t->par[a])
        if (anc(t, a, b))
            return a;
    return -1;
}

/* 1 if a and b are at the same place in every pose where both are finite */
static int coincide(const tree *t, int a, int b)
{
    int seen = 0;
    for (int p = 0; p < t->npose; p++) {
        const double *x = tpos(t, p, a), *y = tpos(t, p, b);
        if (!finite3(x) || !finite3(y))
            continue;
        if (lfd_v3_dist(x, y) > t->tol)
            return 0;
        seen = 1;
    }
    return seen;
}

static void tree_free(tree *t)
{
    free(t->depth);
    free(t->slen);
    t->depth = NULL;
    t->slen = NULL;
}

/* Builds what the topology and geometry rules need; t->par stays NULL when
   parents are missing or not in parent-first order. */
static int tree_init(tree *t, const char *const *names, const int *parents, int n, const double *pose,
                     int npose)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    t->names = names;
    t->pose = npose > 0 ? pose : NULL;
    t->npose = t->pose ? npose : 0;
    t->depth = calloc((size_t)n * 2, sizeof(int));
    t->slen = calloc((size_t)n, sizeof(double));
    if (!t->depth || !t->slen) {
        free(t->depth);
        free(t->slen);
        return LFD_ENOMEM;
    }
    t->nchild = t->depth + n;
    int roots = 0, ok = parents != NULL;
    for (int j = 0; ok && j < n; j++) {
        if (parents[j] < -1 || parents[j] >= j)
            ok = 0;
        else if (parents[j] < 0)
            roots++;
    }
    if (ok && roots >= 1) {
        t->par = parents;
        for (int j = 0; j < n; j++)
            if (parents[j] >= 0) {
                t->depth[j] = t->depth[parents[j]] + 1;
                t->nchild[parents[j]]++;
            }
    }
    /* scale from the first pose with every joint finite */
    for (int p = 0; p < t->npose && !(t->scale > 0); p++) {
        double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
        int fin = 1;
        for (int j = 0; j < n && fin; j++) {
            const double *x = tpos(t, p, j);
            fin = finite3(x);
            for (int k = 0; k < 3 && fin; k++) {
                lo[k] = x[k] < lo[k] ? x[k] : lo[k];
                hi[k] = x[k] > hi[k] ? x[k] : hi[k];
            }
        }
        if (fin) {
            double d[3] = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
            t->scale = lfd_v3_norm(d);
            if (t->par)
                for (int j = 0; j < n; j++)
                    if (parents[j] >= 0)
                        t->slen[j] = t->slen[parents[j]] + lfd_v3_dist(tpos(t, p, j), tpos(t, p, parents[j]));
        }
    }
    t->tol = 1e-3 * t->scale;
    if (!(t->scale > 0))
        t->npose = 0; /* no usable pose: names only */
    return LFD_OK;
}

/* The nodes on the path below a down to b (a excluded, b included), grouped
   into runs of coinciding joints; out gets each run's first node.  Returns
   the number of runs, -1 if a is not an ancestor of b. */
static int runs_below(const tree *t, int a, int b, int *out, int max)
{
    if (!anc(t, a, b) || a == b)
        return a == b ? 0 : -1;
    int path[LFD_BVH_MAX_NODES], np = 0;
    for (int v = b; v != a && np < LFD_BVH_MAX_NODES; v = t->par[v])
        path[np++] = v;
    int nr = 0, prev = a;
    for (int i = np - 1; i >= 0; i--) {
        if (coincide(t, path[i], prev))
            continue;
        if (nr < max)
            out[nr++] = path[i];
        prev = path[i];
    }
    return nr;
}

/* ---- name tokens: resolving ----------------------------------------------- */
/* Best joint of class c (else c2) on side s: fewest unknown words, then the
   shallowest, then the first. */
static int pick(const tokinfo *ti, const tree *t, int n, int s, int c, int c2)
{
    for (int pass = 0; pass < 2; pass++) {
        int want = pass ? c2 : c, best = -1;
        if (want == S_NONE)
            break;
        for (int j = 0; j < n; j++) {
            if (ti[j].skip || ti[j].cls != want || ti[j].side != s)
                continue;
            if (best < 0 || ti[j].extra < ti[best].extra ||
                (ti[j].extra == ti[best].extra && t->depth[j] < t->depth[best]))
                best = j;
        }
        if (best >= 0)
            return best;
    }
    return -1;
}

static int has_class(const tokinfo *ti, int n, int s, int c)
{
    for (int j = 0; j < n; j++)
        if (!ti[j].skip && ti[j].cls == c && ti[j].side == s)
            return 1;
    return 0;
}

static void set1(lfd_cplace *pl, int j, int how, double conf)
{
    *pl = (lfd_cplace){0};
    if (j < 0)
        return;
    pl->n = 1;
    pl->src[0] = j;
    pl->w[0] = 1;
    pl->how = how;
    pl->conf = conf;
}

static int single(const lfd_cplace *pl) { return pl->n == 1 ? pl->src[0] : -1; }

#define CONF_TOKENS 0.9

/* Places the canonical joints from name tokens into m. */
static int tokens_resolve(const tree *t, lfd_skel_map *m)
{
    int n = t->n;
    tokinfo *ti = malloc((size_t)n * sizeof *ti);
    if (!ti)
        return LFD_ENOMEM;
    for (int j = 0; j < n; j++)
        ti[j] = classify(t->names[j]);
    memset(m, 0, sizeof *m);
    lfd_cplace *c = m->c;
    for (int s = 1; s <= 2; s++) {
        int L = s == 1;
        int sh = has_class(ti, n, s, S_ARM) ? pick(ti, t, n, s, S_ARM, S_NONE)
                                            : pick(ti, t, n, s, S_SHOULDER, S_NONE);
        int ankle_named = has_class(ti, n, s, S_ANKLE);
        int ch[8] = {
            sh,
            pick(ti, t, n, s, S_FOREARM, S_NONE),
            pick(ti, t, n, s, S_WRIST, S_HAND),
            pick(ti, t, n, s, S_UPLEG, S_HIP),
            pick(ti, t, n, s, S_LEG, S_NONE),
            pick(ti, t, n, s, S_ANKLE, S_FOOT),
            pick(ti, t, n, s, S_TOE, ankle_named ? S_FOOT : S_NONE),
        };
        /* a limb chain must run down the tree: drop a joint that does not */
        if (t->par)
            for (int k = 1; k < 7; k++)
                if (k != 3 && ch[k] >= 0 && ch[k - 1] >= 0 && !anc(t, ch[k - 1], ch[k]))
                    ch[k] = -1;
        static const int arm[2][7] = {
            {LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW, LFD_CJ_L_WRIST, LFD_CJ_L_HIP, LFD_CJ_L_KNEE,
             LFD_CJ_L_ANKLE, LFD_CJ_L_TOE},
            {LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW, LFD_CJ_R_WRIST, LFD_CJ_R_HIP, LFD_CJ_R_KNEE,
             LFD_CJ_R_ANKLE, LFD_CJ_R_TOE}};
        for (int k = 0; k < 7; k++)
            set1(&c[arm[L ? 0 : 1][k]], ch[k], LFD_CPLACE_TOKENS, CONF_TOKENS);
    }
    set1(&c[LFD_CJ_HEAD], pick(ti, t, n, 0, S_HEAD, S_NONE), LFD_CPLACE_TOKENS, CONF_TOKENS);
    set1(&c[LFD_CJ_NECK], pick(ti, t, n, 0, S_NECK, S_NONE), LFD_CPLACE_TOKENS, CONF_TOKENS);
    int pel = pick(ti, t, n, 0, S_PELVIS, S_ROOT);
    set1(&c[LFD_CJ_PELVIS], pel, LFD_CPLACE_TOKENS, CONF_TOKENS);
    /* spine: the first spine word; chest: a chest word, else the last spine word */
    int sp = -1, sp_last = -1, chest = -1;
    for (int j = 0; j < n; j++) {
        if (ti[j].skip || ti[j].side)
            continue;
        if (ti[j].cls == S_SPINE) {
            if (sp < 0)
                sp = j;
            sp_last = j;
        } else if (ti[j].cls == S_CHEST) {
            chest = j; /* the last (deepest) chest word */
        }
    }
    if (chest < 0 && sp_last != sp)
        chest = sp_last;
    if (sp < 0 && chest >= 0) {
        for (int j = 0; j < n && sp < 0; j++)
            if (!ti[j].skip && !ti[j].side && ti[j].cls == S_CHEST && j != chest)
                sp = j;
    }
    set1(&c[LFD_CJ_SPINE], sp, LFD_CPLACE_TOKENS, CONF_TOKENS);
    set1(&c[LFD_CJ_CHEST], chest, LFD_CPLACE_TOKENS, CONF_TOKENS);
    free(ti);
    return LFD_OK;
}

/* Trunk from the topology.  full (name tokens, geometry): the pelvis is
   where the legs meet, the chest where the arms meet, the spine the first
   joint above the pelvis, the neck and head the next joints above the chest.
   Otherwise (exact names) only a spine or neck joint sitting on the pelvis or
   chest gives way to the next joint up.  how/conf go to changed joints. */
static void refine_trunk(const tree *t, lfd_skel_map *m, int full, int how, double conf)
{
    if (!t->par || !t->npose)
        return;
    lfd_cplace *c = m->c;
    int lh = single(&c[LFD_CJ_L_HIP]), rh = single(&c[LFD_CJ_R_HIP]);
    int ls = single(&c[LFD_CJ_L_SHOULDER]), rs = single(&c[LFD_CJ_R_SHOULDER]);
    int pel = single(&c[LFD_CJ_PELVIS]), chest = single(&c[LFD_CJ_CHEST]);
    int head = single(&c[LFD_CJ_HEAD]);
    if (full && lh >= 0 && rh >= 0) {
        int L = lca(t, lh, rh);
        if (L >= 0 && L != lh && L != rh && (pel < 0 || (anc(t, pel, L) && !coincide(t, pel, L)))) {
            pel = L;
            set1(&c[LFD_CJ_PELVIS], pel, how, conf);
        }
    }
    if (full && ls >= 0 && rs >= 0) {
        int C = lca(t, ls, rs);
        if (C >= 0 && C != ls && C != rs && (pel < 0 || anc(t, pel, C)) && C != chest) {
            chest = C;
            set1(&c[LFD_CJ_CHEST], chest, how, conf);
        }
    }
    int r[16];
    /* spine: first joint above the pelvis, below the chest */
    int sp = single(&c[LFD_CJ_SPINE]);
    if (pel >= 0 && chest >= 0 && anc(t, pel, chest)) {
        int bad = sp < 0 ? full : coincide(t, sp, pel) || (full && !(anc(t, pel, sp) && anc(t, sp, chest)));
        if (bad || (full && sp == chest)) {
            int nr = runs_below(t, pel, chest, r, 16);
            int pick_sp = nr >= 2 ? r[0] : -1; /* r[nr-1] is the chest's own run */
            if (pick_sp >= 0)
                set1(&c[LFD_CJ_SPINE], pick_sp, how, conf);
            else if (full)
                c[LFD_CJ_SPINE].n = 0; /* interpolated by the fallbacks */
        }
    }
    /* neck and head: the joints above the chest */
    if (chest >= 0) {
        int nk = single(&c[LFD_CJ_NECK]);
        if (full && head < 0) {
            /* follow the chest's child that holds neither arm, then its biggest branch */
            int v = -1;
            for (int j = 0; j < t->n; j++)
                if (t->par[j] == chest && !(ls >= 0 && anc(t, j, ls)) && !(rs >= 0 && anc(t, j, rs)) &&
                    (v < 0 || t->slen[j] > t->slen[v] || t->nchild[j] > t->nchild[v]))
                    v = j;
            int chain[16], nc = 0, prev = chest;
            while (v >= 0 && nc < 16) {
                if (!coincide(t, v, prev)) {
                    chain[nc++] = v;
                    prev = v;
                }
                int nx = -1;
                for (int j = 0; j < t->n; j++)
                    if (t->par[j] == v && (nx < 0 || t->nchild[j] > t->nchild[nx]))
                        nx = j;
                v = nx;
            }
            if (nc >= 2) {
                set1(&c[LFD_CJ_NECK], chain[0], how, conf);
                set1(&c[LFD_CJ_HEAD], chain[1], how, conf);
            } else if (nc == 1) {
                set1(&c[LFD_CJ_HEAD], chain[0], how, conf);
            }
            return;
        }
        if (head >= 0 && anc(t, chest, head)) {
            int bad = nk < 0 ? full : coincide(t, nk, chest) || (full && !(anc(t, chest, nk) && anc(t, nk, head)));
            if (bad) {
                int nr = runs_below(t, chest, head, r, 16);
                if (nr >= 2)
                    set1(&c[LFD_CJ_NECK], r[0], how, conf);
                else if (full)
                    c[LFD_CJ_NECK].n = 0;
            }
        }
    }
}

/* ---- topology and geometry ------------------------------------------------- */
/* Thresholds, as fractions of a chain's own path length (bone lengths do not
   change with the pose, so these rules give the same answer in every frame):
     ankle: the end of the leg's last bone longer than 18 % of the chain to the
            toe tip (shank about 40 %, foot segments at most 15 % in every rig
            of ../shared/data/mocap);
     knee:  the joint nearest half way from the hip to the ankle;
     hip:   the last joint before the knee that is at least 70 % of the hip-knee
            length away from it (a buttock or hip helper just above it loses);
     wrist: the first joint past 55 % of the arm's length where the chain
            branches (fingers), else the last joint before the tip. */
#define GEO_ANKLE_FRAC 0.18
#define GEO_HIP_FRAC 0.70
#define GEO_WRIST_FRAC 0.55

static double pdot(const double *a, const double *o, const double *u)
{
    double d[3];
    lfd_v3_sub(d, a, o);
    return lfd_v3_dot(d, u);
}

/* lateral distance of x from the vertical line through o */
static double lateral(const double *x, const double *o, const double *up, double out[3])
{
    double d[3], v[3];
    lfd_v3_sub(d, x, o);
    lfd_v3_scale(v, up, lfd_v3_dot(d, up));
    lfd_v3_sub(out, d, v);
    return lfd_v3_norm(out);
}

/* the leaf below v with the longest path from v */
/* 1 if leaf l is a chain's end site kept as a joint (lfd's own keypoint
   exports keep a BVH's End Sites as 'l_wrist_end'), not a joint of the
   body: an end, even where leaves are joints */
static int end_site_leaf(const tree *t, int l)
{
    if (t->nchild[l] || !t->names || !t->names[l])
        return 0;
    static const char *const suf[] = {"_end", ".end", " end", "endsite", "end site", "end_site", "_tip"};
    const char *nm = t->names[l];
    size_t n = strlen(nm);
    for (size_t i = 0; i < sizeof suf / sizeof suf[0]; i++) {
        size_t k = strlen(suf[i]);
        if (n > k && !strcasecmp(nm + n - k, suf[i]))
            return 1;
    }
    /* CamelCase: LeftHandEnd */
    return n > 3 && !strcmp(nm + n - 3, "End");
}

static int far_leaf(const tree *t, int v)
{
    int best = -1;
    for (int l = 0; l < t->n; l++)
        if (!t->nchild[l] && anc(t, v, l) && (best < 0 || t->slen[l] > t->slen[best]))
            best = l;
    return best;
}

/* 1 if the subtree of c lies on the bone from v to w (a twist or roll
   helper along a limb segment): every joint projects strictly inside the
   bone (5..95 % of it, so a thumb starting at the wrist is a branch) and
   sits within 10 % of its length of the line */
static int on_bone(const tree *t, int p, int v, int w, int c)
{
    double b[3], L;
    lfd_v3_sub(b, tpos(t, p, w), tpos(t, p, v));
    L = lfd_v3_norm(b);
    if (!(L > t->tol))
        return 0;
    for (int j = c; j < t->n; j++) {
        if (!anc(t, c, j))
            continue;
        double d[3], perp[3];
        lfd_v3_sub(d, tpos(t, p, j), tpos(t, p, v));
        double s = lfd_v3_dot(d, b) / (L * L);
        lfd_v3_scale(perp, b, s);
        lfd_v3_sub(perp, d, perp);
        if (s < 0.05 || s > 0.95 || lfd_v3_norm(perp) > 0.1 * L)
            return 0;
    }
    return 1;
}

/* children of v that start a branch of their own (fingers), not counting
   helpers along the bone to the next joint of the chain, w */
static int branches(const tree *t, int p, int v, int w)
{
    int k = 0;
    for (int c = v + 1; c < t->n; c++)
        if (t->par[c] == v && !(anc(t, c, w) ? 0 : on_bone(t, p, v, w, c)))
            k++;
    return k;
}

typedef struct geo_res {
    int idx[LFD_CJ_COUNT];
    double clarity;
} geo_res;

/* One pose: fills r (-1 where not found) or returns -1 with the reason. */
static int geom_pose(const tree *t, int p, geo_res *r, char *why, size_t whyn)
{
    const int n = t->n;
    for (int k = 0; k < LFD_CJ_COUNT; k++)
        r->idx[k] = -1;
    for (int j = 0; j < n; j++)
        if (!finite3(tpos(t, p, j))) {
            snprintf(why, whyn, "pose %d has non-finite positions", p);
            return -1;
        }
    int root = -1;
    for (int j = 0; j < n; j++)
        if (t->par[j] < 0) {
            if (root >= 0) {
                snprintf(why, whyn, "the skeleton has more than one root");
                return -2; /* keypoints without a tree: nothing to tell */
            }
            root = j;
        }
    /* hub: go down from the root while a single long chain leaves the node */
    int hub = root, kids[64], nk = 0;
    for (int iter = 0; iter < n; iter++) {
        /* long: at least a fifth of the longest chain below the node (a root
           translation to the pelvis does not count) */
        double longlen = 0.2 * (t->slen[far_leaf(t, hub)] - t->slen[hub]);
        nk = 0;
        for (int j = 0; j < n && nk < 64; j++)
            if (t->par[j] == hub) {
                int l = far_leaf(t, j);
                if (l >= 0 && t->slen[l] - t->slen[hub] >= longlen)
                    kids[nk++] = j;
            }
        if (nk != 1)
            break;
        hub = kids[0];
    }
    if (nk < 3) {
        snprintf(why, whyn,
                 nk == 2 ? "the skeleton has one leg: only two long chains (a leg, the trunk) leave '%s'"
                         : "no pelvis: no joint where the legs and the trunk branch (at '%s')",
                 t->names[hub]);
        return -1;
    }
    /* legs: the two chains whose far ends point the same way; up is opposite */
    const double *H = tpos(t, p, hub);
    int la = -1, lb = -1;
    double best = -2;
    for (int i = 0; i < nk; i++)
        for (int k = i + 1; k < nk; k++) {
            double u[3], w[3];
            lfd_v3_sub(u, tpos(t, p, far_leaf(t, kids[i])), H);
            lfd_v3_sub(w, tpos(t, p, far_leaf(t, kids[k])), H);
            double cs = lfd_v3_dot(u, w) / (lfd_v3_norm(u) * lfd_v3_norm(w) + 1e-300);
            if (cs > best) {
                best = cs;
                la = kids[i];
                lb = kids[k];
            }
        }
    double up[3] = {0, 0, 0};
    for (int s = 0; s < 2; s++) {
        double u[3];
        lfd_v3_sub(u, tpos(t, p, far_leaf(t, s ? lb : la)), H);
        lfd_v3_normalize(u);
        lfd_v3_sub(up, up, u);
    }
    if (!(best > 0.3) || !(lfd_v3_normalize(up) > 0)) {
        snprintf(why, whyn, "no two legs: the chains below '%s' do not run alike", t->names[hub]);
        return -1;
    }
    /* trunk: the other chain reaching highest (the only other one even when
       the body is bent over) */
    int trunk = -1;
    double top = -INFINITY;
    for (int i = 0; i < nk; i++) {
        if (kids[i] == la || kids[i] == lb)
            continue;
        for (int l = 0; l < n; l++)
            if (!t->nchild[l] && anc(t, kids[i], l) && pdot(tpos(t, p, l), H, up) > top) {
                top = pdot(tpos(t, p, l), H, up);
                trunk = kids[i];
            }
    }
    if (trunk < 0) {
        snprintf(why, whyn, "no trunk: no chain above '%s'", t->names[hub]);
        return -1;
    }
    /* each leg: hip, knee, ankle, toe from its path lengths */
    int leg[2][4];
    for (int s = 0; s < 2; s++) {
        int c = s ? lb : la, tip = far_leaf(t, c), d[64];
        int nd = runs_below(t, hub, tip, d, 64);
        double total = t->slen[tip] - t->slen[hub];
        int a = -1;
        for (int i = 1; i < nd; i++)
            if (t->slen[d[i]] - t->slen[d[i - 1]] >= GEO_ANKLE_FRAC * total)
                a = i;
        if (a < 1) {
            snprintf(why, whyn, "the leg below '%s' has no knee and ankle", t->names[c]);
            return -1;
        }
        double s0 = t->slen[d[0]], sa = t->slen[d[a]];
        int kn = -1;
        for (int i = 1; i < a; i++)
            if (kn < 0 || fabs(t->slen[d[i]] - 0.5 * (s0 + sa)) < fabs(t->slen[d[kn]] - 0.5 * (s0 + sa)))
                kn = i;
        if (kn < 0) {
            snprintf(why, whyn, "the leg below '%s' has too few joints for a hip, knee and ankle", t->names[c]);
            return -1;
        }
        int hp = 0;
        for (int i = 0; i < kn; i++)
            if (t->slen[d[kn]] - t->slen[d[i]] >= GEO_HIP_FRAC * (t->slen[d[kn]] - s0))
                hp = i;
        leg[s][0] = d[hp];
        leg[s][1] = d[kn];
        leg[s][2] = d[a];
        leg[s][3] = a + 1 < nd ? d[a + 1] : -1;
        if (leg[s][3] < 0) {
            snprintf(why, whyn, "the leg below '%s' has no foot past the ankle '%s'", t->names[c],
                     t->names[d[a]]);
            return -1;
        }
    }
    /* trunk path: follow the highest leaf */
    int T[256], nT = 0;
    for (int v = trunk; v >= 0 && nT < 256;) {
        T[nT++] = v;
        int nx = -1;
        double hb = -INFINITY;
        for (int l = 0; l < n; l++)
            if (!t->nchild[l] && anc(t, v, l) && l != v && pdot(tpos(t, p, l), H, up) > hb) {
                hb = pdot(tpos(t, p, l), H, up);
                for (nx = l; t->par[nx] != v; nx = t->par[nx])
                    ;
            }
        v = nx;
    }
    /* arms: the two longest chains leaving the trunk (by path length, which
       no pose changes: the head and eyes are short, a raised hand does not
       matter); in a rest pose these are the two reaching furthest sideways */
    double leglen = t->slen[far_leaf(t, la)] - t->slen[hub];
    int br[64], att[64], nb = 0;
    double blen[64];
    for (int i = 0; i < nT; i++)
        for (int j = 0; j < n && nb < 64; j++) {
            if (t->par[j] != T[i] || (i + 1 < nT && j == T[i + 1]))
                continue;
            int l = far_leaf(t, j);
            double L = l >= 0 ? t->slen[l] - t->slen[T[i]] : 0;
            if (L < 0.3 * leglen)
                continue;
            br[nb] = j;
            att[nb] = T[i];
            blen[nb++] = L;
        }
    int aa = -1, ab = -1;
    for (int i = 0; i < nb; i++) {
        if (aa < 0 || blen[i] > blen[aa]) {
            ab = aa;
            aa = i;
        } else if (ab < 0 || blen[i] > blen[ab]) {
            ab = i;
        }
    }
    if (ab < 0) {
        snprintf(why, whyn, "no two arms: fewer than two long chains leave the trunk above '%s'", t->names[hub]);
        return -1;
    }
    int arm[2][3];
    for (int s = 0; s < 2; s++) {
        int b = s ? ab : aa, tip = far_leaf(t, br[b]), d[64];
        int nd = runs_below(t, att[b], tip, d, 64);
        double s0 = t->slen[att[b]], total = t->slen[tip] - s0;
        int w = -1;
        for (int i = 0; i + 1 < nd && w < 0; i++)
            if (t->slen[d[i]] - s0 >= GEO_WRIST_FRAC * total && branches(t, p, d[i], d[i + 1]) >= 2)
                w = i;
        if (w < 0)
            /* no fingers: the wrist ends the chain, before its end joint
               unless that coincides with it or leaves are joints */
            w = nd >= 1 && ((t->leaf_joints && !end_site_leaf(t, tip)) || d[nd - 1] != tip) ? nd - 1 : nd - 2;
        if (w < 2) {
            snprintf(why, whyn, "the arm at '%s' has too few joints for a shoulder, elbow and wrist",
                     t->names[br[b]]);
            return -1;
        }
        arm[s][0] = d[w - 2];
        arm[s][1] = d[w - 1];
        arm[s][2] = d[w];
    }
    /* left: up x forward, forward where the toes point */
    double fwd[3] = {0, 0, 0}, left[3];
    for (int s = 0; s < 2; s++) {
        double f[3], o[3];
        lfd_v3_sub(f, tpos(t, p, leg[s][3]), tpos(t, p, leg[s][2]));
        lateral(f, (double[3]){0, 0, 0}, up, o);
        lfd_v3_add(fwd, fwd, o);
    }
    double flen = lfd_v3_normalize(fwd);
    lfd_v3_cross(left, up, fwd);
    double dl[3], da[3];
    lfd_v3_sub(dl, tpos(t, p, leg[0][0]), tpos(t, p, leg[1][0]));
    lfd_v3_sub(da, tpos(t, p, arm[0][0]), tpos(t, p, arm[1][0]));
    int swl = lfd_v3_dot(dl, left) < 0, swa = lfd_v3_dot(da, left) < 0;
    double sepl = fabs(lfd_v3_dot(dl, left)) / (lfd_v3_norm(dl) + 1e-300);
    double sepa = fabs(lfd_v3_dot(da, left)) / (lfd_v3_norm(da) + 1e-300);
    if (!(flen > 0)) {
        snprintf(why, whyn, "the toes give no forward direction");
        return -1;
    }
    static const int lcj[2][7] = {
        {LFD_CJ_L_HIP, LFD_CJ_L_KNEE, LFD_CJ_L_ANKLE, LFD_CJ_L_TOE, LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW, LFD_CJ_L_WRIST},
        {LFD_CJ_R_HIP, LFD_CJ_R_KNEE, LFD_CJ_R_ANKLE, LFD_CJ_R_TOE, LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW, LFD_CJ_R_WRIST}};
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < 4; k++)
            r->idx[lcj[s ^ swl][k]] = leg[s][k];
        for (int k = 0; k < 3; k++)
            r->idx[lcj[s ^ swa][4 + k]] = arm[s][k];
    }
    r->idx[LFD_CJ_PELVIS] = hub;
    /* the trunk joints from the topology rules, as for token names */
    lfd_skel_map m = {0};
    for (int k = 0; k < LFD_CJ_COUNT; k++)
        set1(&m.c[k], r->idx[k], LFD_CPLACE_GEOMETRY, 1);
    refine_trunk(t, &m, 1, LFD_CPLACE_GEOMETRY, 1);
    for (int k = 0; k < LFD_CJ_COUNT; k++)
        r->idx[k] = single(&m.c[k]);
    /* clarity: how clearly left and right separate (hips, shoulders), and
       whether the two legs run alike (a cosine of 0.7 or more counts fully:
       a stride or a jump spreads them) */
    double cl = best / 0.7;
    cl = sepl < cl ? sepl : cl;
    cl = sepa < cl ? sepa : cl;
    r->clarity = cl < 0 ? 0 : cl > 1 ? 1 : cl;
    return 0;
}

/* Geometry over every pose: each canonical joint takes the placement most
   poses give, with confidence = (share of poses that agree) x (mean clarity). */
static int geometry_resolve(const tree *t, lfd_skel_map *m, char *why, size_t whyn)
{
    memset(m, 0, sizeof *m);
    why[0] = '\0';
    if (!t->par || !t->npose)
        return -1; /* names only */
    geo_res *res = malloc((size_t)t->npose * sizeof *res);
    if (!res)
        return LFD_ENOMEM;
    int nok = 0;
    double clar = 0;
    for (int p = 0; p < t->npose; p++) {
        char w[256];
        int g = geom_pose(t, p, &res[nok], w, sizeof w);
        if (g == 0) {
            clar += res[nok].clarity;
            nok++;
        } else if (g == -1 && !why[0]) {
            snprintf(why, whyn, "%s", w);
        }
    }
    if (nok == 0) {
        free(res);
        return -1;
    }
    clar /= nok;
    for (int k = 0; k < LFD_CJ_COUNT; k++) {
        int bj = -1, bc = 0;
        for (int i = 0; i < nok; i++) {
            int cnt = 0;
            for (int q = 0; q < nok; q++)
                cnt += res[q].idx[k] == res[i].idx[k];
            if (cnt > bc) {
                bc = cnt;
                bj = res[i].idx[k];
            }
        }
        if (bj >= 0 && 2 * bc > nok)
            set1(&m->c[k], bj, LFD_CPLACE_GEOMETRY, (double)bc / t->npose * clar);
    }
    free(res);
    snprintf(m->family, sizeof m->family, "geometry");
    snprintf(m->rig, sizeof m->rig, "unknown names: placed by topology and geometry");
    return 0;
}

const char *lfd_cplace_how_name(int how)
{
    switch (how) {
    case LFD_CPLACE_ALIAS: return "name";
    case LFD_CPLACE_FALLBACK: return "derived";
    case LFD_CPLACE_MAPFILE: return "mapping file";
    case LFD_CPLACE_TOKENS: return "name tokens";
    case LFD_CPLACE_GEOMETRY: return "geometry";
    default: return "?";
    }
}

/* Confidence of a placement made from others: the weakest of its sources
   (approximated by the lowest confidence among the canonical joints it was
   blended from), times 0.8 for the guess itself. */
#define CONF_DERIVED 0.8

static void set_conf_defaults(lfd_skel_map *m)
{
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        lfd_cplace *pl = &m->c[cj];
        if (!pl->n || pl->conf > 0)
            continue;
        pl->conf = pl->how == LFD_CPLACE_ALIAS || pl->how == LFD_CPLACE_MAPFILE ? 1.0
                   : pl->how == LFD_CPLACE_TOKENS                            ? CONF_TOKENS
                                                                             : 0;
    }
    /* derived joints: the weakest placed joint they draw on, discounted */
    double lo = 1;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
        if (m->c[cj].n && m->c[cj].how != LFD_CPLACE_FALLBACK && m->c[cj].conf < lo)
            lo = m->c[cj].conf;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
        if (m->c[cj].n && m->c[cj].how == LFD_CPLACE_FALLBACK)
            m->c[cj].conf = CONF_DERIVED * lo;
}

/* Names against geometry: a canonical joint whose named source is not where
   the geometry puts it loses confidence (x 0.5), and the map gets a note. */
static void cross_check(const tree *t, lfd_skel_map *m, const lfd_skel_map *g)
{
    char list[128] = "";
    size_t len = 0;
    int nd = 0, mirrored = 1;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        int a = single(&m->c[cj]), b = single(&g->c[cj]);
        if (a < 0 || b < 0 || a == b || coincide(t, a, b) || g->c[cj].how != LFD_CPLACE_GEOMETRY)
            continue;
        /* a swap only when the geometry's pick is the named mirror joint
           (a chain read one joint off is not a swap) */
        int mj = lfd_cjoint_mirror(cj), am = mj != cj ? single(&m->c[mj]) : -1;
        if (am < 0 || (am != b && !coincide(t, am, b)))
            mirrored = 0;
        if (m->c[cj].conf <= 0)
            m->c[cj].conf = m->c[cj].how == LFD_CPLACE_TOKENS ? CONF_TOKENS : 1.0;
        m->c[cj].conf *= 0.5;
        nd++;
        if (len + 16 < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? " " : "", lfd_cjoint_name(cj));
    }
    if (nd)
        snprintf(m->note, sizeof m->note, "names and geometry disagree on %d joint(s)%s: %s; check the rig or give --map",
                 nd, mirrored ? " (left and right swapped?)" : "", list);
}

int lfd_skel_resolve_pose(const char *const *names, const int *parents, int n, const double *pose,
                          int npose, int flags, const char *map_path, const char *src_name,
                          lfd_skel_map *map, lfd_err *err)
{
    if (!names || n <= 0 || !map)
        return lfd_fail(err, LFD_EARG, "lfd_skel_resolve: empty skeleton");
    if (n > LFD_BVH_MAX_NODES)
        return lfd_fail(err, LFD_ELIMIT, "%s: %d joints, more than the %d lfd reads", src_name ? src_name : "input",
                        n, LFD_BVH_MAX_NODES);
    if (!src_name)
        src_name = "input";
    tree t;
    if (tree_init(&t, names, parents, n, pose, npose))
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", src_name);
    t.leaf_joints = (flags & LFD_SKEL_LEAF_JOINTS) != 0;
    /* 1. every rig family; keep the one that places the most joints */
    lfd_skel_map best = {0};
    int best_k = -1, best_f = 0;
    for (int f = 0; f < NFAM; f++) {
        lfd_skel_map m = {0};
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
            place_cands(families[f].cand[cj], names, n, &m.c[cj]);
        int direct = count_placed(&m);
        refine_trunk(&t, &m, 0, LFD_CPLACE_FALLBACK, 0);
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
    snprintf(best.family, sizeof best.family, "%s", families[best_f].id);
    label_rig(&best, families[best_f].id, names, n);
    /* 2. name tokens, when they place more */
    lfd_skel_map tm;
    if (tokens_resolve(&t, &tm)) {
        tree_free(&t);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", src_name);
    }
    int tdirect = count_placed(&tm);
    refine_trunk(&t, &tm, 1, LFD_CPLACE_TOKENS, CONF_TOKENS);
    apply_fallbacks(&tm, parents, n);
    if (count_placed(&tm) * 64 + tdirect > best_k) {
        best = tm;
        snprintf(best.family, sizeof best.family, "tokens");
        snprintf(best.rig, sizeof best.rig, "names read by tokens (side + body part)");
    }
    /* 3. topology and geometry: when names leave joints unplaced, they
       place them; when names place all, they check them (a rig named from
       the viewer's side, a mislabelled joint) */
    char why[256] = "";
    lfd_skel_map gm;
    int geo = geometry_resolve(&t, &gm, why, sizeof why);
    if (geo == LFD_ENOMEM) {
        tree_free(&t);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", src_name);
    }
    int geo_ok = geo == 0;
    if (geo_ok)
        apply_fallbacks(&gm, parents, n);
    if (count_placed(&best) < LFD_CJ_COUNT) {
        if (geo_ok && count_placed(&gm) == LFD_CJ_COUNT)
            best = gm;
        else if (geo_ok && !why[0])
            snprintf(why, sizeof why, "the geometry places only %d of %d joints", count_placed(&gm),
                     LFD_CJ_COUNT);
    } else if (geo_ok && count_placed(&gm) == LFD_CJ_COUNT) {
        cross_check(&t, &best, &gm);
    }
    tree_free(&t);
    *map = best;
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
    set_conf_defaults(map);
    if (count_placed(map) == LFD_CJ_COUNT)
        return LFD_OK;
    /* name what is missing and how to fix it */
    char miss[256] = "";
    size_t len = 0;
    if (count_placed(map) == 0 && why[0]) /* keeps the message within LFD_ERR_MSG_MAX */
        snprintf(miss, sizeof miss, "any of the %d canonical joints", LFD_CJ_COUNT);
    else
        len = (size_t)snprintf(miss, sizeof miss, "canonical joint(s)");
    for (int cj = 0; cj < LFD_CJ_COUNT && !(count_placed(map) == 0 && why[0]); cj++)
        if (!map->c[cj].n)
            len += (size_t)snprintf(miss + len, len < sizeof miss ? sizeof miss - len : 0, "%s%s",
                                    " ", lfd_cjoint_name(cj));
    return lfd_fail(err, LFD_EMISMATCH,
                    "%s: unknown rig: cannot place %s (closest rig family: %s, "
                    "%d of %d placed)%s%s; give a mapping file with --map FILE, a JSON object such as "
                    "{\"l_elbow\": \"<your joint name>\", ...} (see docs/ingest.md)",
                    src_name, miss, map->family, count_placed(map), LFD_CJ_COUNT,
                    why[0] ? "; by geometry: " : "", why);
}

int lfd_skel_resolve(const char *const *names, const int *parents, int n, const char *map_path,
                     const char *src_name, lfd_skel_map *map, lfd_err *err)
{
    return lfd_skel_resolve_pose(names, parents, n, NULL, 0, 0, map_path, src_name, map, err);
}
