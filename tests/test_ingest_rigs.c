/*  Rig recognition that generalises (issue 16, part 1).

    Every source skeleton (the BVH files of ../shared/data/mocap when present,
    and always a walk from lfd_synth) is renamed into each naming convention
    lfd claims to read: Mixamo with its namespaces (mixamorig:, mixamorig7:,
    Beta:), 3ds Max Biped, Character Creator, Rigify DEF-, a Skeleton:
    namespace, Unreal, SMPL, the old Biovision names (LeftHip LeftKnee
    LeftAnkle, Chest Chest2), Ab/Chest trunks, the CMU ASF names (lowerback
    lowerneck lhand), Lft/Rgt sides, and names that mean nothing (Joint1,
    Joint2, ...).  Each variant must place every canonical joint at the same
    source position as the original does, and retarget to the same robot
    motion.  The renaming works from the original's own placement: each joint
    gets a role (canonical joint, spine k of K, neck k, collar, finger, hip
    helper, ...) and the convention's name for that role.

    "The same canonical joints" is compared by position in every frame: two
    joints at the same place in every frame (a zero OFFSET, e.g. CMU's
    LowerBack on Hips) cannot be told apart by geometry and give the same
    motion, so either may carry the placement. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_keypoints.h"
#include "ingest/lfd_skeleton.h"
#include "ingest/lfd_synth.h"
#include "retarget/lfd_retarget.h"
#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"

/* ---- conventions ------------------------------------------------------------ */
/* A pattern holds "%s" for the side word and "%d" for a number. */
typedef struct conv {
    const char *id;
    const char *prefix;
    const char *L, *R;
    const char *root, *pelvis, *trunk[5], *neck[3], *head, *headx;
    const char *collar, *shoulder, *elbow, *wrist, *finger;
    const char *hiphelp, *hip, *knee, *ankle, *toe, *toex, *extra;
} conv;

#define MIXAMO_BODY                                                                          \
    "Root", "Hips", {"Spine", "Spine1", "Spine2", "Spine3", "Spine4"}, {"Neck", "Neck1", "Neck2"}, \
        "Head", "HeadTop_End%d", "%sShoulder", "%sArm", "%sForeArm", "%sHand", "%sHandIndex%d",   \
        "%sHipJoint", "%sUpLeg", "%sLeg", "%sFoot", "%sToeBase", "%sToe_End%d", "Extra%d"

static const conv convs[] = {
    {"mixamorig:", "mixamorig:", "Left", "Right", MIXAMO_BODY},
    {"mixamorig7:", "mixamorig7:", "Left", "Right", MIXAMO_BODY},
    {"Beta:", "Beta:", "Left", "Right", MIXAMO_BODY},
    {"3ds Max Biped", "", "L", "R", "Bip01", "Bip01 Pelvis",
     {"Bip01 Spine", "Bip01 Spine1", "Bip01 Spine2", "Bip01 Spine3", "Bip01 Spine4"},
     {"Bip01 Neck", "Bip01 Neck1", "Bip01 Neck2"}, "Bip01 Head", "Bip01 HeadNub%d",
     "Bip01 %s Clavicle", "Bip01 %s UpperArm", "Bip01 %s Forearm", "Bip01 %s Hand",
     "Bip01 %s Finger%d", "Bip01 %s ThighHelper", "Bip01 %s Thigh", "Bip01 %s Calf",
     "Bip01 %s Foot", "Bip01 %s Toe0", "Bip01 %s Toe0Nub%d", "Bip01 Prop%d"},
    {"CC_Base_", "CC_Base_", "L", "R", "BoneRoot", "Hip",
     {"Waist", "Spine01", "Spine02", "Spine03", "Spine04"}, {"NeckTwist01", "NeckTwist02", "NeckTwist03"},
     "Head", "FacialBone%d", "%s_Clavicle", "%s_Upperarm", "%s_Forearm", "%s_Hand", "%s_Index%d",
     "%s_Buttock", "%s_Thigh", "%s_Calf", "%s_Foot", "%s_ToeBase", "%s_ToeBaseShareBone%d", "Helper%d"},
    {"DEF- (Rigify)", "DEF-", "L", "R", "root", "spine",
     {"spine.001", "spine.002", "spine.003", "spine.004", "spine.005"}, {"neck", "neck.001", "neck.002"},
     "head", "eye%d", "shoulder.%s", "upper_arm.%s", "forearm.%s", "hand.%s", "f_index.0%d.%s",
     "pelvis.%s", "thigh.%s", "shin.%s", "foot.%s", "toe.%s", "heel.0%d.%s", "breast%d"},
    {"Skeleton:", "Skeleton:", "Left", "Right", "Reference", "Hips",
     {"Spine", "Spine1", "Spine2", "Spine3", "Spine4"}, {"Neck", "Neck1", "Neck2"}, "Head", "HeadEnd%d",
     "%sShoulder", "%sArm", "%sForeArm", "%sHand", "%sHandThumb%d", "%sHipJoint", "%sUpLeg", "%sLeg",
     "%sFoot", "%sToeBase", "%sFootEnd%d", "Extra%d"},
    {"Unreal", "", "l", "r", "root", "pelvis", {"spine_01", "spine_02", "spine_03", "spine_04", "spine_05"},
     {"neck_01", "neck_02", "neck_03"}, "head", "head_end_%d", "clavicle_%s", "upperarm_%s",
     "lowerarm_%s", "hand_%s", "index_0%d_%s", "thigh_twist_0%d_%s", "thigh_%s", "calf_%s", "foot_%s",
     "ball_%s", "ball_end_%d_%s", "ik_foot_root%d"},
    {"SMPL", "", "L", "R", "Root", "Pelvis", {"Spine1", "Spine2", "Spine3", "Spine4", "Spine5"},
     {"Neck", "Neck1", "Neck2"}, "Head", "Jaw%d", "%s_Collar", "%s_Shoulder", "%s_Elbow", "%s_Wrist",
     "%s_Index%d", "%s_HipTwist", "%s_Hip", "%s_Knee", "%s_Ankle", "%s_Foot", "%s_Toe_End%d", "Extra%d"},
    {"Biovision", "", "Left", "Right", "Root", "Hips", {"Chest", "Chest2", "Chest3", "Chest4", "Chest5"},
     {"Neck", "Neck2", "Neck3"}, "Head", "HeadEnd%d", "%sCollar", "%sShoulder", "%sElbow", "%sWrist",
     "%sFinger%d", "%sButtock", "%sHip", "%sKnee", "%sAnkle", "%sToe", "%sToeEnd%d", "Extra%d"},
    {"Ab/Chest", "", "Left", "Right", "Root", "Hips", {"Ab", "Chest", "Chest2", "Chest3", "Chest4"},
     {"Neck", "Neck2", "Neck3"}, "Head", "HeadEnd%d", "%sCollar", "%sUpArm", "%sLowArm", "%sHand",
     "%sFinger%d", "%sButtock", "%sUpLeg", "%sLowLeg", "%sFoot", "%sToe", "%sToeEnd%d", "Extra%d"},
    {"CMU ASF", "", "l", "r", "reference", "root", {"lowerback", "upperback", "thorax", "thorax2", "thorax3"},
     {"lowerneck", "upperneck", "upperneck2"}, "head", "headend%d", "%sclavicle", "%shumerus",
     "%sradius", "%swrist", "%shand%d", "%shipjoint", "%sfemur", "%stibia", "%sfoot", "%stoes",
     "%stoesend%d", "extra%d"},
    {"Lft/Rgt", "", "Lft", "Rgt", "Root", "Pelvis", {"Spine_1", "Spine_2", "Spine_3", "Spine_4", "Spine_5"},
     {"Neck_1", "Neck_2", "Neck_3"}, "Head", "Head_Nub%d", "%s_Clavicle", "%s_UpperArm", "%s_Elbow",
     "%s_Wrist", "%s_Finger%d", "%s_Hip_Helper", "%s_Thigh", "%s_Knee", "%s_Ankle", "%s_Ball",
     "%s_Toe_Nub%d", "Extra%d"},
    {"Joint1, Joint2, ... (meaningless)", NULL, NULL, NULL, NULL, NULL, {NULL}, {NULL}, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
#define NCONV ((int)(sizeof convs / sizeof convs[0]))

/* pattern with %s -> side, %d -> num */
static void subst(char *out, size_t n, const char *prefix, const char *pat, const char *side, int num)
{
    size_t len = (size_t)snprintf(out, n, "%s", prefix ? prefix : "");
    for (const char *p = pat; *p && len + 1 < n; p++) {
        if (p[0] == '%' && p[1] == 's') {
            len += (size_t)snprintf(out + len, n - len, "%s", side);
            p++;
        } else if (p[0] == '%' && p[1] == 'd') {
            len += (size_t)snprintf(out + len, n - len, "%d", num);
            p++;
        } else {
            out[len++] = *p;
            out[len] = '\0';
        }
    }
}

/* ---- roles from the original placement ------------------------------------- */
enum { R_ROOT, R_PELVIS, R_TRUNK, R_NECK, R_HEAD, R_HEADX, R_COLLAR, R_SHOULDER, R_ELBOW, R_WRIST,
       R_FINGER, R_HIPHELP, R_HIP, R_KNEE, R_ANKLE, R_TOE, R_TOEX, R_EXTRA };

static int is_anc(const lfd_bvh *b, int a, int j)
{
    for (; j >= 0; j = b->node[j].parent)
        if (j == a)
            return 1;
    return 0;
}

static int src1(const lfd_human *h, int cj) { return h->map.c[cj].n == 1 ? h->map.c[cj].src[0] : -1; }

/* Renames b's nodes (End Sites keep "<parent>_end") into convention c. */
static void rename_into(lfd_bvh *b, const lfd_human *h0, const conv *c)
{
    int pel = src1(h0, LFD_CJ_PELVIS), chest = src1(h0, LFD_CJ_CHEST), head = src1(h0, LFD_CJ_HEAD);
    int K = 0, M = 0, count = 0;
    int nk[2] = {0, 0}, nf[2] = {0, 0}, nx = 0;
    for (int j = 0; j < b->nnodes; j++) {
        if (b->node[j].end_site)
            continue;
        if (j != pel && is_anc(b, pel, j) && is_anc(b, j, chest))
            K++;
        if (j != chest && j != head && is_anc(b, chest, j) && is_anc(b, j, head))
            M++;
    }
    int ki = 0, mi = 0;
    for (int j = 0; j < b->nnodes; j++) {
        lfd_bvh_joint *nd = &b->node[j];
        if (nd->end_site) {
            char pn[LFD_BVH_NAME_MAX];
            memcpy(pn, b->node[nd->parent].name, sizeof pn);
            snprintf(nd->name, sizeof nd->name, "%.50s_end", pn);
            continue;
        }
        if (!c->pelvis) {
            snprintf(nd->name, sizeof nd->name, "Joint%d", ++count);
            continue;
        }
        /* which side's limb holds j */
        int side = -1, role = R_EXTRA;
        for (int s = 0; s < 2 && side < 0; s++) {
            int sh = src1(h0, s ? LFD_CJ_R_SHOULDER : LFD_CJ_L_SHOULDER);
            int hp = src1(h0, s ? LFD_CJ_R_HIP : LFD_CJ_L_HIP);
            int el = src1(h0, s ? LFD_CJ_R_ELBOW : LFD_CJ_L_ELBOW);
            int wr = src1(h0, s ? LFD_CJ_R_WRIST : LFD_CJ_L_WRIST);
            int kn = src1(h0, s ? LFD_CJ_R_KNEE : LFD_CJ_L_KNEE);
            int an = src1(h0, s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE);
            int to = src1(h0, s ? LFD_CJ_R_TOE : LFD_CJ_L_TOE);
            if (j == sh || j == el || j == wr || j == hp || j == kn || j == an || j == to) {
                side = s;
                role = j == sh ? R_SHOULDER : j == el ? R_ELBOW : j == wr ? R_WRIST : j == hp ? R_HIP
                       : j == kn ? R_KNEE : j == an ? R_ANKLE : R_TOE;
            } else if (to >= 0 && is_anc(b, to, j)) {
                side = s, role = R_TOEX;
            } else if (is_anc(b, wr, j)) {
                side = s, role = R_FINGER;
            } else if (j != chest && is_anc(b, j, sh) && is_anc(b, chest, j)) {
                side = s, role = R_COLLAR;
            } else if (j != pel && is_anc(b, j, hp) && is_anc(b, pel, j)) {
                side = s, role = R_HIPHELP;
            }
        }
        if (side < 0) {
            role = j == pel ? R_PELVIS : j == head ? R_HEAD : is_anc(b, j, pel) ? R_ROOT
                   : is_anc(b, head, j)                                          ? R_HEADX
                   : (is_anc(b, pel, j) && is_anc(b, j, chest))                  ? R_TRUNK
                   : (is_anc(b, chest, j) && is_anc(b, j, head))                 ? R_NECK
                                                                                 : R_EXTRA;
            side = 0;
        }
        const char *sw = side ? c->R : c->L;
        char nm[LFD_BVH_NAME_MAX];
        switch (role) {
        case R_ROOT: subst(nm, sizeof nm, c->prefix, c->root, "", 0); break;
        case R_PELVIS: subst(nm, sizeof nm, c->prefix, c->pelvis, "", 0); break;
        case R_TRUNK: subst(nm, sizeof nm, c->prefix, c->trunk[ki < 5 ? ki : 4], "", 0); ki++; break;
        case R_NECK: subst(nm, sizeof nm, c->prefix, c->neck[mi < 3 ? mi : 2], "", 0); mi++; break;
        case R_HEAD: subst(nm, sizeof nm, c->prefix, c->head, "", 0); break;
        case R_HEADX: subst(nm, sizeof nm, c->prefix, c->headx, "", ++nx); break;
        case R_COLLAR: subst(nm, sizeof nm, c->prefix, c->collar, sw, 0); break;
        case R_SHOULDER: subst(nm, sizeof nm, c->prefix, c->shoulder, sw, 0); break;
        case R_ELBOW: subst(nm, sizeof nm, c->prefix, c->elbow, sw, 0); break;
        case R_WRIST: subst(nm, sizeof nm, c->prefix, c->wrist, sw, 0); break;
        case R_FINGER: subst(nm, sizeof nm, c->prefix, c->finger, sw, ++nf[side]); break;
        case R_HIPHELP: subst(nm, sizeof nm, c->prefix, c->hiphelp, sw, 0); break;
        case R_HIP: subst(nm, sizeof nm, c->prefix, c->hip, sw, 0); break;
        case R_KNEE: subst(nm, sizeof nm, c->prefix, c->knee, sw, 0); break;
        case R_ANKLE: subst(nm, sizeof nm, c->prefix, c->ankle, sw, 0); break;
        case R_TOE: subst(nm, sizeof nm, c->prefix, c->toe, sw, 0); break;
        case R_TOEX: subst(nm, sizeof nm, c->prefix, c->toex, sw, ++nk[side]); break;
        default: subst(nm, sizeof nm, c->prefix, c->extra, "", ++nx); break;
        }
        snprintf(nd->name, sizeof nd->name, "%s", nm);
    }
    (void)K;
    (void)M;
}

/* largest distance between the canonical joints of a and b over all frames */
static double canon_diff(const lfd_human *a, const lfd_human *b, int *worst)
{
    double m = 0;
    *worst = -1;
    for (int f = 0; f < a->nframes && f < b->nframes; f++)
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
            double d = 0;
            for (int k = 0; k < 3; k++)
                d = fmax(d, fabs(lfd_human_cpos(a, f, cj)[k] - lfd_human_cpos(b, f, cj)[k]));
            if (!(d <= m)) {
                m = d;
                *worst = cj;
            }
        }
    return m;
}

static int retarget_prefix(const lfd_robot *r, lfd_human *h, int nfr, lfd_motion *m, lfd_err *err)
{
    int keep = h->nframes;
    if (h->nframes > nfr)
        h->nframes = nfr;
    lfd_retarget_report rep;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    int rc = lfd_retarget_human(r, h, &o, m, &rep, err);
    h->nframes = keep;
    return rc;
}

/* b with every End Site turned into a leaf JOINT carrying 3 rotation
   channels (all zero), named Joint<k> like the others: "end joints
   carrying channels" */
static int ends_to_joints(const lfd_bvh *b, lfd_bvh *out, lfd_err *err)
{
    int rc = lfd_bvh_alloc(out, b->nnodes, b->nframes, err);
    if (rc)
        return rc;
    for (int j = 0; j < b->nnodes; j++) {
        out->node[j] = b->node[j];
        snprintf(out->node[j].name, sizeof out->node[j].name, "Joint%d", j + 1);
        if (b->node[j].end_site) {
            out->node[j].end_site = 0;
            out->node[j].nchan = 3;
            out->node[j].chan[0] = LFD_BVH_ZROT;
            out->node[j].chan[1] = LFD_BVH_XROT;
            out->node[j].chan[2] = LFD_BVH_YROT;
        }
    }
    rc = lfd_bvh_finalize(out, b->nframes, err);
    if (rc)
        return rc;
    out->frame_time_s = b->frame_time_s;
    snprintf(out->name, sizeof out->name, "%s", b->name);
    for (int f = 0; f < b->nframes; f++)
        for (int j = 0; j < b->nnodes; j++)
            if (!b->node[j].end_site)
                memcpy(out->motion + (size_t)f * out->nchannels + out->node[j].chan0,
                       b->motion + (size_t)f * b->nchannels + b->node[j].chan0,
                       (size_t)b->node[j].nchan * sizeof(double));
    return LFD_OK;
}

/* Every convention on one source skeleton. */
static void all_conventions(lfd_bvh *b, const char *label, const lfd_robot *r, int retarget_every, int phase)
{
    lfd_err err = {0};
    lfd_human h0;
    lfd_human_opts ho = {0};
    int rc = lfd_human_from_bvh(&h0, b, &ho, &err);
    CHECK_OK(rc, &err);
    if (rc)
        return;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
        CHECK(h0.map.c[cj].n > 0 && h0.map.c[cj].how != LFD_CPLACE_MAPFILE);
    char(*orig)[LFD_BVH_NAME_MAX] = malloc((size_t)b->nnodes * sizeof *orig);
    for (int j = 0; j < b->nnodes; j++)
        memcpy(orig[j], b->node[j].name, LFD_BVH_NAME_MAX);
    lfd_motion m0 = {0};
    int have_m0 = 0;
    if (r) {
        CHECK_OK(retarget_prefix(r, &h0, 30, &m0, &err), &err);
        have_m0 = err.code == 0;
    }
    for (int ci = 0; ci < NCONV; ci++) {
        rename_into(b, &h0, &convs[ci]);
        lfd_human h;
        lfd_err e2 = {0};
        rc = lfd_human_from_bvh(&h, b, &ho, &e2);
        if (rc) {
            lfd_test_fail_at(__FILE__, __LINE__, "%s as %s: %s", label, convs[ci].id, e2.msg);
        } else {
            int worst;
            double d = canon_diff(&h0, &h, &worst);
            if (!(d < 1e-9))
                lfd_test_fail_at(__FILE__, __LINE__, "%s as %s: %s is %.3f m from the original's (%s, placed on %s)",
                                 label, convs[ci].id, lfd_cjoint_name(worst), d, h.rig,
                                 h.map.c[worst].n ? b->node[h.map.c[worst].src[0]].name : "-");
            int want_how = convs[ci].pelvis ? -1 : LFD_CPLACE_GEOMETRY;
            if (want_how >= 0)
                for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
                    if (h.map.c[cj].how != LFD_CPLACE_GEOMETRY && h.map.c[cj].how != LFD_CPLACE_FALLBACK)
                        lfd_test_fail_at(__FILE__, __LINE__, "%s as %s: %s placed by %s, not geometry", label,
                                         convs[ci].id, lfd_cjoint_name(cj), lfd_cplace_how_name(h.map.c[cj].how));
            for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
                CHECK(h.map.c[cj].conf > 0 && h.map.c[cj].conf <= 1);
            /* the same robot motion from a short prefix */
            if (have_m0 && ((ci + phase) % retarget_every == 0 || !convs[ci].pelvis)) {
                lfd_motion m = {0};
                CHECK_OK(retarget_prefix(r, &h, 30, &m, &e2), &e2);
                if (e2.code == 0) {
                    CHECK_EQ_INT(m.nframes, m0.nframes);
                    double dq = 0;
                    for (int f = 0; f < m.nframes && f < m0.nframes; f++)
                        for (int k = 0; k < m.nq; k++)
                            dq = fmax(dq, fabs(lfd_motion_frame(&m, f)[k] - lfd_motion_frame(&m0, f)[k]));
                    if (!(dq < 1e-6))
                        lfd_test_fail_at(__FILE__, __LINE__, "%s as %s retargets %.3g away from the original",
                                         label, convs[ci].id, dq);
                    lfd_motion_free(&m);
                }
            }
            lfd_human_free(&h);
        }
        for (int j = 0; j < b->nnodes; j++)
            memcpy(b->node[j].name, orig[j], LFD_BVH_NAME_MAX);
    }
    /* meaningless names and no End Sites: every leaf is a joint with channels */
    lfd_bvh eb;
    CHECK_OK(ends_to_joints(b, &eb, &err), &err);
    if (err.code == 0) {
        lfd_human h;
        lfd_err e2 = {0};
        if (lfd_human_from_bvh(&h, &eb, &ho, &e2)) {
            lfd_test_fail_at(__FILE__, __LINE__, "%s with leaf joints for End Sites: %s", label, e2.msg);
        } else {
            int worst;
            double d = canon_diff(&h0, &h, &worst);
            if (!(d < 1e-9))
                lfd_test_fail_at(__FILE__, __LINE__, "%s with leaf joints for End Sites: %s is %.3f m off",
                                 label, lfd_cjoint_name(worst), d);
            lfd_human_free(&h);
        }
        lfd_bvh_free(&eb);
    }
    if (have_m0)
        lfd_motion_free(&m0);
    free(orig);
    lfd_human_free(&h0);
}

TEST(ingest_rigs_synth_every_convention)
{
    lfd_err err = {0};
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 2};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, "g1", &err), &err);
    all_conventions(&b, "synth walk", r, 2, 0);
    lfd_robot_free(&r);
    lfd_bvh_free(&b);
}

TEST(ingest_rigs_shared_every_convention)
{
    static char files[64][1024];
    int nf = lfd_test_mocap_files(files, 64);
    if (nf < 0)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, "g1", &err), &err);
    int n = 0;
    for (int i = 0; i < nf; i++) {
        if (!strstr(files[i], ".bvh"))
            continue;
        /* under Valgrind (50x slower) every third file: the same code paths */
        if (lfd_test_under_valgrind() && i % 3)
            continue;
        lfd_bvh b;
        CHECK_OK(lfd_bvh_read(&b, files[i], NULL, &err), &err);
        if (err.code)
            continue;
        const char *base = strrchr(files[i], '/') + 1;
        /* retarget every 5th convention (rotating with the file, so every
           convention is retargeted on two files) and always the meaningless names */
        all_conventions(&b, base, r, 5, n);
        lfd_bvh_free(&b);
        n++;
    }
    CHECK(n >= (lfd_test_under_valgrind() ? 3 : 10));
    lfd_robot_free(&r);
}

/* ---- single names, bad rigs, the command ------------------------------------ */
TEST(ingest_rigs_name_tokens)
{
    static const struct {
        const char *name;
        int side;
        const char *seg;
    } cases[] = {
        {"mixamorig:LeftUpLeg", 1, "upleg"},  {"mixamorig7:RightForeArm", 2, "forearm"},
        {"Beta:LeftShoulder", 1, "shoulder"}, {"Bip01 L Thigh", 1, "upleg"},
        {"Bip01 R Calf", 2, "leg"},           {"CC_Base_L_Upperarm", 1, "upperarm"},
        {"DEF-thigh.L", 1, "upleg"},          {"DEF-shin.R", 2, "leg"},
        {"Skeleton:RightHand", 2, "hand"},    {"thigh_l", 1, "upleg"},
        {"calf_r", 2, "leg"},                 {"upperarm_l", 1, "upperarm"},
        {"lowerarm_l", 1, "forearm"},         {"clavicle_l", 1, "collar"},
        {"spine_01", 0, "spine"},             {"L_Hip", 1, "hip"},
        {"LeftHip", 1, "hip"},                {"LeftKnee", 1, "leg"},
        {"LeftAnkle", 1, "ankle"},            {"LeftElbow", 1, "forearm"},
        {"LeftWrist", 1, "wrist"},            {"Chest2", 0, "chest"},
        {"Ab", 0, "spine"},                   {"lowerback", 0, "spine"},
        {"lowerneck", 0, "neck"},             {"lhand", 1, "hand"},
        {"lfemur", 1, "upleg"},               {"rtibia", 2, "leg"},
        {"lhumerus", 1, "upperarm"},          {"Lft_Thigh", 1, "upleg"},
        {"RgtShin", 2, "leg"},                {"ball_r", 2, "toe"},
        {"Hips", 0, "pelvis"},                {"hip", 0, "pelvis"},
        {"lShldr", 1, "upperarm"},            {"UpperLeg_L", 1, "upleg"},
        /* skipped: fingers, twist/roll helpers, end joints, eyes */
        {"LeftHandIndex1", 1, ""},            {"upperarm_twist_01_l", 1, ""},
        {"LeftUpLegRoll", 1, ""},             {"LeftToe_End", 1, ""},
        {"HeadTop_End", 0, ""},               {"leftEye", 1, ""},
        {"Joint7", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int side = -1;
        char seg[32];
        lfd_skel_name_tokens(cases[i].name, &side, seg, sizeof seg);
        if (side != cases[i].side || strcmp(seg, cases[i].seg))
            lfd_test_fail_at(__FILE__, __LINE__, "%s: side %d '%s', expected %d '%s'", cases[i].name, side,
                             seg, cases[i].side, cases[i].seg);
    }
}

/* b without the subtree under node `drop` (motion columns kept in step) */
static int drop_subtree(const lfd_bvh *b, int drop, lfd_bvh *out, lfd_err *err)
{
    int map[LFD_BVH_MAX_NODES], n = 0;
    for (int j = 0; j < b->nnodes; j++)
        map[j] = is_anc(b, drop, j) ? -1 : n++;
    int rc = lfd_bvh_alloc(out, n, b->nframes, err);
    if (rc)
        return rc;
    for (int j = 0; j < b->nnodes; j++)
        if (map[j] >= 0) {
            out->node[map[j]] = b->node[j];
            out->node[map[j]].parent = b->node[j].parent < 0 ? -1 : map[b->node[j].parent];
        }
    rc = lfd_bvh_finalize(out, b->nframes, err);
    if (rc)
        return rc;
    out->frame_time_s = b->frame_time_s;
    snprintf(out->name, sizeof out->name, "%s", b->name);
    for (int f = 0; f < b->nframes; f++)
        for (int j = 0; j < b->nnodes; j++)
            if (map[j] >= 0)
                memcpy(out->motion + (size_t)f * out->nchannels + out->node[map[j]].chan0,
                       b->motion + (size_t)f * b->nchannels + b->node[j].chan0,
                       (size_t)b->node[j].nchan * sizeof(double));
    return LFD_OK;
}

TEST(ingest_rigs_one_leg_is_a_clear_error)
{
    lfd_err err = {0};
    lfd_bvh b, one;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 1};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    int rh = lfd_bvh_find(&b, "r_hip");
    CHECK(rh > 0);
    CHECK_OK(drop_subtree(&b, rh, &one, &err), &err);
    /* with names, and with names that mean nothing: the file and the missing leg are named */
    for (int meaningless = 0; meaningless < 2; meaningless++) {
        if (meaningless)
            for (int j = 0, k = 0; j < one.nnodes; j++)
                if (!one.node[j].end_site)
                    snprintf(one.node[j].name, sizeof one.node[j].name, "Joint%d", ++k);
        char path[1024];
        snprintf(path, sizeof path, "%s/one_leg%d.bvh", lfd_test_tmpdir(), meaningless);
        CHECK_OK(lfd_bvh_write(&one, path, NULL, &err), &err);
        lfd_human h;
        lfd_err e2 = {0};
        CHECK(lfd_human_load(&h, path, NULL, &e2) == LFD_EMISMATCH);
        CHECK_CONTAINS(e2.msg, path);
        if (!meaningless)
            CHECK_CONTAINS(e2.msg, "r_hip r_knee r_ankle r_toe");
        CHECK_CONTAINS(e2.msg, "--map FILE");
        CHECK_CONTAINS(e2.msg, "the skeleton has one leg");
        /* the command says the same and exits non-zero */
        char args[1200], out[8192];
        snprintf(args, sizeof args, "human info %s", path);
        CHECK(lfd_test_run_lfd(args, out, sizeof out) != 0);
        CHECK_CONTAINS(out, "the skeleton has one leg");
    }
    lfd_bvh_free(&one);
    lfd_bvh_free(&b);
}

TEST(ingest_rigs_info_shows_how_and_confidence)
{
    lfd_err err = {0};
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_STAND, .seconds = 1};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    /* meaningless names: every joint found by geometry, with a confidence */
    for (int j = 0, k = 0; j < b.nnodes; j++)
        if (!b.node[j].end_site)
            snprintf(b.node[j].name, sizeof b.node[j].name, "Joint%d", ++k);
    char path[1024], args[1200], out[16384];
    snprintf(path, sizeof path, "%s/joints.bvh", lfd_test_tmpdir());
    CHECK_OK(lfd_bvh_write(&b, path, NULL, &err), &err);
    snprintf(args, sizeof args, "human info %s", path);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "found by");
    CHECK_CONTAINS(out, "l_knee      ");
    CHECK_CONTAINS(out, "geometry      1.00  Joint");
    snprintf(args, sizeof args, "human info --json %s", path);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"found_by\": \"geometry\"");
    CHECK_CONTAINS(out, "\"confidence\": 0.99");
    /* --map still overrides: the left knee put on the left ankle's joint */
    lfd_human h;
    CHECK_OK(lfd_human_load(&h, path, NULL, &err), &err);
    int la = h.map.c[LFD_CJ_L_ANKLE].src[0];
    char mpath[1024], map[256];
    snprintf(mpath, sizeof mpath, "%s/map.json", lfd_test_tmpdir());
    snprintf(map, sizeof map, "{\"l_knee\": \"%s\"}", h.names[la]);
    CHECK_OK(lfd_file_write_atomic(mpath, map, strlen(map), &err), &err);
    lfd_human_free(&h);
    lfd_human_opts o = {.map = mpath};
    CHECK_OK(lfd_human_load(&h, path, &o, &err), &err);
    CHECK_EQ_INT(h.map.c[LFD_CJ_L_KNEE].how, LFD_CPLACE_MAPFILE);
    CHECK_EQ_INT(h.map.c[LFD_CJ_L_KNEE].src[0], la);
    CHECK_EQ_INT(h.map.c[LFD_CJ_L_HIP].how, LFD_CPLACE_GEOMETRY);
    lfd_human_free(&h);
    lfd_bvh_free(&b);
}

/* names from the viewer's side (left and right swapped): loaded as named,
   but the geometry disagrees, which lowers the confidence and warns */
TEST(ingest_rigs_swapped_sides_are_flagged)
{
    lfd_err err = {0};
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 1};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    lfd_human h;
    CHECK_OK(lfd_human_from_bvh(&h, &b, NULL, &err), &err);
    CHECK(h.map.note[0] == '\0');
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
        CHECK(h.map.c[cj].conf >= 0.8);
    lfd_human_free(&h);
    for (int j = 0; j < b.nnodes; j++) {
        char *nm = b.node[j].name;
        if ((nm[0] == 'l' || nm[0] == 'r') && nm[1] == '_')
            nm[0] = nm[0] == 'l' ? 'r' : 'l';
    }
    CHECK_OK(lfd_human_from_bvh(&h, &b, NULL, &err), &err);
    CHECK_CONTAINS(h.map.note, "disagree");
    CHECK_CONTAINS(h.map.note, "l_shoulder");
    CHECK(h.map.c[LFD_CJ_L_KNEE].conf <= 0.5);
    CHECK(h.map.c[LFD_CJ_PELVIS].conf >= 0.8);
    int warned = 0;
    for (int i = 0; i < h.nwarn; i++)
        warned |= strstr(h.warn[i], "left and right swapped?") != NULL;
    CHECK(warned);
    lfd_human_free(&h);
    lfd_bvh_free(&b);
}

/* b with a twist joint (a leaf with channels, Unreal style) half way along
   each upper arm, forearm, thigh and shank, named like Unreal's or
   meaninglessly */
static int add_twists(const lfd_bvh *b, int meaningless, lfd_bvh *out, lfd_err *err)
{
    static const char *const seg[8][3] = {
        {"l_shoulder", "l_elbow", "upperarm_twist_01_l"}, {"l_elbow", "l_wrist", "lowerarm_twist_01_l"},
        {"r_shoulder", "r_elbow", "upperarm_twist_01_r"}, {"r_elbow", "r_wrist", "lowerarm_twist_01_r"},
        {"l_hip", "l_knee", "thigh_twist_01_l"},          {"l_knee", "l_ankle", "calf_twist_01_l"},
        {"r_hip", "r_knee", "thigh_twist_01_r"},          {"r_knee", "r_ankle", "calf_twist_01_r"}};
    int rc = lfd_bvh_alloc(out, b->nnodes + 8, b->nframes, err);
    if (rc)
        return rc;
    memcpy(out->node, b->node, (size_t)b->nnodes * sizeof *b->node);
    for (int k = 0; k < 8; k++) {
        lfd_bvh_joint *nd = &out->node[b->nnodes + k];
        int a = lfd_bvh_find(b, seg[k][0]), c = lfd_bvh_find(b, seg[k][1]);
        if (a < 0 || c < 0)
            return lfd_fail(err, LFD_EARG, "no %s/%s", seg[k][0], seg[k][1]);
        memset(nd, 0, sizeof *nd);
        snprintf(nd->name, sizeof nd->name, "%s", seg[k][2]);
        nd->parent = a;
        for (int i = 0; i < 3; i++)
            nd->offset[i] = 0.5 * b->node[c].offset[i];
        nd->nchan = 3;
        nd->chan[0] = LFD_BVH_ZROT;
        nd->chan[1] = LFD_BVH_XROT;
        nd->chan[2] = LFD_BVH_YROT;
    }
    if (meaningless)
        for (int j = 0; j < out->nnodes; j++)
            if (!out->node[j].end_site)
                snprintf(out->node[j].name, sizeof out->node[j].name, "Joint%d", j + 1);
    rc = lfd_bvh_finalize(out, b->nframes, err);
    if (rc)
        return rc;
    out->frame_time_s = b->frame_time_s;
    snprintf(out->name, sizeof out->name, "%s", b->name);
    for (int f = 0; f < b->nframes; f++)
        memcpy(out->motion + (size_t)f * out->nchannels, b->motion + (size_t)f * b->nchannels,
               (size_t)b->nchannels * sizeof(double));
    return LFD_OK;
}

TEST(ingest_rigs_twist_helpers_skipped)
{
    lfd_err err = {0};
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_WIPE, .seconds = 2};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    lfd_human h0;
    CHECK_OK(lfd_human_from_bvh(&h0, &b, NULL, &err), &err);
    for (int meaningless = 0; meaningless < 2; meaningless++) {
        lfd_bvh tb;
        CHECK_OK(add_twists(&b, meaningless, &tb, &err), &err);
        lfd_human h;
        lfd_err e2 = {0};
        if (lfd_human_from_bvh(&h, &tb, NULL, &e2)) {
            lfd_test_fail_at(__FILE__, __LINE__, "twists (%s names): %s", meaningless ? "meaningless" : "lfd", e2.msg);
        } else {
            int worst;
            double d = canon_diff(&h0, &h, &worst);
            if (!(d < 1e-9))
                lfd_test_fail_at(__FILE__, __LINE__, "twists (%s names): %s is %.3f m off (on %s)",
                                 meaningless ? "meaningless" : "lfd", lfd_cjoint_name(worst), d,
                                 tb.node[h.map.c[worst].src[0]].name);
            lfd_human_free(&h);
        }
        lfd_bvh_free(&tb);
    }
    lfd_human_free(&h0);
    lfd_bvh_free(&b);
}

/* keypoints with a tree but meaningless names (a sidecar "joints": k0 ...,
   "parents" from the SMPL tree): the geometry places them where the SMPL
   names do; a keypoint leaf is a joint (the wrist ends the arm) */
TEST(ingest_rigs_keypoints_by_geometry)
{
    lfd_err err = {0};
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_WIPE, .seconds = 2, .fps = 30};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    lfd_human src;
    CHECK_OK(lfd_human_from_bvh(&src, &b, NULL, &err), &err);
    lfd_bvh_free(&b);
    const lfd_kp_preset *pr = lfd_kp_preset_find("smpl-22");
    CHECK(pr && pr->parents);
    if (!pr || !pr->parents || !src.nframes)
        return;
    /* SMPL-22 order from the canonical joints (collars on the chest, spine2 on the spine) */
    static const int order[22] = {LFD_CJ_PELVIS, LFD_CJ_L_HIP, LFD_CJ_R_HIP, LFD_CJ_SPINE, LFD_CJ_L_KNEE,
                                  LFD_CJ_R_KNEE, LFD_CJ_SPINE, LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_CHEST,
                                  LFD_CJ_L_TOE, LFD_CJ_R_TOE, LFD_CJ_NECK, LFD_CJ_CHEST, LFD_CJ_CHEST,
                                  LFD_CJ_HEAD, LFD_CJ_L_SHOULDER, LFD_CJ_R_SHOULDER, LFD_CJ_L_ELBOW,
                                  LFD_CJ_R_ELBOW, LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    int T = src.nframes;
    double *pos = malloc((size_t)T * 22 * 3 * sizeof *pos);
    for (int f = 0; f < T; f++)
        for (int j = 0; j < 22; j++) {
            const double *p = lfd_human_cpos(&src, f, order[j]);
            double *d = pos + ((size_t)f * 22 + j) * 3;
            d[0] = p[1], d[1] = p[2], d[2] = p[0];
        }
    char path[1024], side[1100], js[2048];
    snprintf(path, sizeof path, "%s/k.npy", lfd_test_tmpdir());
    CHECK_OK(lfd_npy_write(path, pos, T, 22, "<f8", 1, 0, &err), &err);
    free(pos);
    lfd_human h0, h;
    lfd_human_opts ho = {.fps = 30, .preset = "smpl-22"};
    CHECK_OK(lfd_human_load(&h0, path, &ho, &err), &err);
    size_t len = (size_t)snprintf(js, sizeof js, "{\"fps\": 30, \"units\": \"m\", \"up\": \"y\", \"joints\": [");
    for (int j = 0; j < 22; j++)
        len += (size_t)snprintf(js + len, sizeof js - len, "%s\"k%d\"", j ? ", " : "", j);
    len += (size_t)snprintf(js + len, sizeof js - len, "], \"parents\": [");
    for (int j = 0; j < 22; j++)
        len += (size_t)snprintf(js + len, sizeof js - len, "%s%d", j ? ", " : "", pr->parents[j]);
    snprintf(js + len, sizeof js - len, "]}");
    snprintf(side, sizeof side, "%s.json", path);
    CHECK_OK(lfd_file_write_atomic(side, js, strlen(js), &err), &err);
    lfd_human_opts h2 = {0};
    CHECK_OK(lfd_human_load(&h, path, &h2, &err), &err);
    if (h.nframes && h0.nframes) {
        CHECK_STR(h.map.family, "geometry");
        int worst;
        double d = canon_diff(&h0, &h, &worst);
        if (!(d < 1e-9))
            lfd_test_fail_at(__FILE__, __LINE__, "keypoints by geometry: %s is %.3f m off (on %s)",
                             lfd_cjoint_name(worst), d, h.names[h.map.c[worst].src[0]]);
        lfd_human_free(&h);
    }
    lfd_human_free(&h0);
    lfd_human_free(&src);
}
