/*  Ingest tests on the real motion files in ../shared/data/mocap (skipped,
    with a message, when that folder is absent).

    For every file: frame count, frame time and joint count as the file
    states them, and the world position of a known joint for the first,
    middle and last frame, computed here by hand from numbers copied out of
    the file's text (OFFSETs, CHANNELS orders and the MOTION row values) with
    this file's own rotation matrices, independent of lfd's FK and
    quaternion code.  Then the lfd_human view of each file: rig, units,
    up-axis, reference pose, plausible body height, every canonical joint
    placed; and the holosoma .npy against values read with numpy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"

#include "ingest/lfd_bvh.h"
#include "ingest/lfd_human.h"
#include "tests/lfd_test.h"

typedef struct chain_joint {
    double offset[3];
    const char *chans; /* "XpYpZpZrYrXr": axis letter + p(osition) / r(otation) */
} chain_joint;

typedef struct real_frame {
    int frame;
    double v[3][6]; /* channel values of each chain joint, file order */
} real_frame;

typedef struct real_case {
    const char *file;
    int frames;
    double frame_time;
    int joints;
    const char *target;
    int nchain; /* root ... target */
    chain_joint chain[3];
    real_frame fr[3];
} real_case;

/* numbers copied from the files' text (see the file header) */
static const real_case cases[] = {
    {"cmu_01_01_playground_jumps.bvh", 2752, 0.0083333, 31, "LeftUpLeg", 3,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrYrXr"}, {{0.0, 0.0, 0.0}, "ZrYrXr"}, {{1.36306, -1.79463, 0.83929}, "ZrYrXr"}},
     {{0, {{9.3722, 17.8693, -17.3198, 0, 0, 0}, {0, 0, 0}, {-17, 0, 0}}},
      {1376, {{9.0843, 17.9632, 31.7862, -174.1320, 0.9698, 174.3790}, {0.0000, 0.0000, 0.0000}, {-10.2827, -1.4205, -4.0376}}},
      {2751, {{8.8787, 17.8124, 38.5426, -186.9220, -158.2450, 178.1360}, {0.0000, 0.0000, 0.0000}, {-7.8333, 4.0920, -10.9712}}}}},
    {"xia_cmuskel_neutral_walk.bvh", 327, 0.008333, 31, "LeftUpLeg", 3,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrYrXr"}, {{0.0, 0.0, 0.0}, "ZrYrXr"}, {{1.36306, -1.79463, 0.83929}, "ZrYrXr"}},
     {{0, {{27.276810, 16.748859, 4.611907, -137.771294, -88.189358, 155.327251}, {-11.410853, 3.321279, -0.273201}, {-3.948619, 7.670215, 1.329222}}},
      {163, {{3.070464, 16.750404, 1.299771, -143.259476, -89.029869, 153.587971}, {-11.063195, 3.722365, 0.117613}, {-5.012057, 2.046859, 6.180486}}},
      {326, {{-20.034209, 16.716428, -0.795609, -8.062620, -86.167978, 15.242304}, {-11.097482, 3.669894, 0.541631}, {-2.309774, -0.173157, 5.553086}}}}},
    {"cmu_daz_13_01_sit_on_stool.bvh", 2314, 0.00833333, 43, "abdomen", 2,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrYrXr"}, {{0.0, 20.6881, -0.73152}, "ZrXrYr"}},
     {{0, {{41.2753, 85.1968, 30.6422, 0.0, 0.0, 0.0}, {0.583968, -0.00303824, 0.0166886}}},
      {1157, {{-8.60017, 82.7598, 11.4537, -359.264, 21.7263, 359.572}, {-6.51232, 8.46589, 3.306}}},
      {2313, {{9.96002, 84.1116, 4.68591, -358.379, 2.6584, 358.542}, {1.51594, 7.01287, -7.2857}}}}},
    {"cmu_daz_14_04_drink_soda.bvh", 760, 0.00833333, 43, "abdomen", 2,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrYrXr"}, {{0.0, 20.6881, -0.73152}, "ZrXrYr"}},
     {{0, {{5.0229, 83.9933, 0.237941, 0.0, 0.0, 0.0}, {-1.70621, -0.00254504, -0.0464499}}},
      {380, {{2.2947, 82.8564, -0.111757, 2.1771, -30.7977, 2.7578}, {-4.96619, 2.80842, -3.13991}}},
      {759, {{-0.463567, 82.969, 1.19525, -0.0717, -33.3321, 2.9086}, {-3.42736, -0.737227, -3.59629}}}}},
    {"cmu_daz_02_06_bend_scoop_lift.bvh", 2236, 0.00833333, 43, "abdomen", 2,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrYrXr"}, {{0.0, 20.6881, -0.73152}, "ZrXrYr"}},
     {{0, {{57.2242, 85.1527, 3.48943, 0.0, 0.0, 0.0}, {0.451116, -0.0026513, 0.0129079}}},
      {1118, {{56.3304, 46.4892, -13.6668, 10.3737, 8.8024, 23.5102}, {32.4206, 60.3057, -19.3045}}},
      {2235, {{49.7478, 84.8537, 0.727825, -0.2123, -15.9234, -5.6482}, {6.28221, 5.39832, -0.346906}}}}},
    {"bandai1_walk_normal_001.bvh", 195, 0.0333333, 22, "Spine", 3,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrXrYr"}, {{0.0, 93.9241, -3.0}, "XpYpZpZrXrYr"}, {{15.7357, 0.0, 0.0}, "XpYpZpZrXrYr"}},
     {{0, {{0, 0, 0, 0, 0, -0}, {-1.71443, 90.2704, -407.123, 86.4939, 1.64287, -1.13337}, {15.7357, 5.1072e-06, -5.51764e-07, 126.771, 87.5323, -125.95}}},
      {97, {{0, 0, 0, 0, 0, -0}, {-2.78777, 89.9004, -1.4045, 85.4397, 4.22149, 1.98804}, {15.7357, 5.1072e-06, -5.51765e-07, 92.0754, 88.0275, -90.829}}},
      {194, {{0, 0, 0, 0, 0, -0}, {-5.6729, 89.6095, 400.425, 85.9301, 3.76152, 4.98952}, {15.7357, 5.1072e-06, -5.51765e-07, 85.9135, 87.5592, -84.9113}}}}},
    {"bandai1_run_normal_001.bvh", 24, 0.0333333, 22, "Spine", 3,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrXrYr"}, {{0.0408292, 93.9915, 0.0639531}, "XpYpZpZrXrYr"}, {{15.7357, 0.0, 0.0}, "XpYpZpZrXrYr"}},
     {{0, {{0, 0, -0.000146832, 0, 0, -0}, {-0.454435, 86.083, 8.33909e-14, 92.4775, -2.52656, -4.7024}, {15.7357, 5.1072e-06, -5.51765e-07, 71.1359, 80.1013, -77.2207}}},
      {12, {{0, 0, 104.903, 0, 0, -0}, {-3.15699, 85.8461, 0.974724, 86.596, -0.819735, -5.55468}, {15.7357, 5.1072e-06, -5.51765e-07, 82.4863, 81.7985, -80.5324}}},
      {23, {{0, 0, 200, 0, 0, -0}, {-0.454435, 86.083, 0, 92.4775, -2.52656, -4.7024}, {15.7357, 5.1072e-06, -5.51764e-07, 71.1394, 80.099, -77.2247}}}}},
    {"bandai1_dance_short_normal_001.bvh", 1901, 0.0333333, 22, "Spine", 3,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrXrYr"}, {{-11.2566, 91.3362, 32.6117}, "XpYpZpZrXrYr"}, {{15.7357, 0.0, 0.0}, "XpYpZpZrXrYr"}},
     {{0, {{0, 0, 0, 0, 0, -0}, {1.70155, 92.9004, -191.061, 90.5103, -4.93988, 8.53216}, {15.7357, 5.1072e-06, -5.51765e-07, 97.3382, 84.3334, -98.2129}}},
      {950, {{0, 0, 0, 0, 0, -0}, {-5.878, 112.95, -78.7294, 88.3633, 9.13344, -0.849342}, {15.7357, 5.1072e-06, -5.51765e-07, 92.6048, 78.6632, -90.9569}}},
      {1900, {{0, 0, 0, 0, 0, -0}, {6.53473, 90.6108, -18.5037, 101.709, -26.6247, -4.20959}, {15.7357, 5.1072e-06, -5.51765e-07, -118.089, 70.799, 101.695}}}}},
    {"bandai2_walk_turn_left_normal_001.bvh", 102, 0.0333333, 22, "Spine", 3,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrXrYr"}, {{-0.726466, 93.3139, -2.00062}, "XpYpZpZrXrYr"}, {{15.7357, 0.0, 0.0}, "XpYpZpZrXrYr"}},
     {{0, {{0.000000, 0.000000, 0.000000, 0.000000, 0.000000, -0.000000}, {-111.309000, 91.281800, 189.904000, 91.142300, 78.009100, 4.483920}, {15.735700, 0.000005, -0.000001, 90.001700, 83.652300, -90.203800}}},
      {51, {{0.000000, 0.000000, 0.000000, 0.000000, 0.000000, -0.000000}, {60.658200, 91.333700, 176.754000, -86.055000, 36.591700, -177.568000}, {15.735700, 0.000005, -0.000001, 112.637000, 82.624300, -111.858000}}},
      {101, {{0.000000, 0.000000, 0.000000, 0.000000, 0.000000, -0.000000}, {83.411500, 91.538700, 8.917470, -90.002300, -1.630250, -173.357000}, {15.735700, 0.000005, -0.000001, 85.964600, 84.040400, -86.211700}}}}},
    {"lafan1_walk1_subject1_first91.bvh", 91, 0.033333, 22, "LeftUpLeg", 2,
     {{{173.408295, 91.952423, -518.280273}, "XpYpZpZrYrXr"}, {{0.103459, 1.857827, 10.548504}, "ZrYrXr"}},
     {{0, {{173.706802, 91.897400, -517.522095, 88.883144, -0.251866, 88.116496}, {175.425759, -4.497292, 170.732080}}},
      {45, {{178.921097, 88.250031, -480.027893, 84.998938, -0.393150, 94.461694}, {179.875928, -7.833408, 171.253251}}},
      {90, {{173.798996, 87.827713, -342.756500, 85.254551, 1.335004, 94.804467}, {177.991123, -6.803294, 173.431699}}}}},
    {"mixamorig_freebvh_69f.bvh", 69, 0.0333333, 55, "mixamorig:Spine", 2,
     {{{0.0, 0.0, 0.0}, "XpYpZpZrYrXr"}, {{0.0, 9.9235, -1.2273}, "ZrYrXr"}},
     {{0, {{-0.2399, 98.2948, -0.5224, 3.8145, 5.7945, -9.2380}, {-3.8465, -4.3018, 16.0266}}},
      {34, {{3.3130, 97.4013, 92.4380, 163.5135, 67.2458, 161.4217}, {-6.8913, -2.2128, 10.7953}}},
      {68, {{0.2396, 98.2948, 0.5226, 176.1858, -5.7631, 170.7599}, {-3.8465, -4.3018, 16.0266}}}}},
};

/* ---- hand FK: plain 3x3 matrices --------------------------------------------------- */
static void mat_axis(double R[3][3], char axis, double deg)
{
    double a = deg * M_PI / 180, c = cos(a), s = sin(a);
    memset(R, 0, 9 * sizeof(double));
    if (axis == 'X') {
        R[0][0] = 1; R[1][1] = c; R[1][2] = -s; R[2][1] = s; R[2][2] = c;
    } else if (axis == 'Y') {
        R[1][1] = 1; R[0][0] = c; R[0][2] = s; R[2][0] = -s; R[2][2] = c;
    } else {
        R[2][2] = 1; R[0][0] = c; R[0][1] = -s; R[1][0] = s; R[1][1] = c;
    }
}

static void mat_mul(double out[3][3], double A[3][3], double B[3][3])
{
    double t[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t[i][j] = A[i][0] * B[0][j] + A[i][1] * B[1][j] + A[i][2] * B[2][j];
    memcpy(out, t, sizeof t);
}

/* world position of the chain's last joint: positions replace the offset,
   rotations compose in channel order, p = p_parent + R_parent t */
static void hand_fk(const real_case *c, const real_frame *fr, double out[3])
{
    double R[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, p[3] = {0, 0, 0};
    for (int k = 0; k < c->nchain; k++) {
        const chain_joint *j = &c->chain[k];
        double t[3] = {j->offset[0], j->offset[1], j->offset[2]};
        double L[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        int n = (int)strlen(j->chans) / 2;
        for (int ch = 0; ch < n; ch++) {
            char axis = j->chans[2 * ch], kind = j->chans[2 * ch + 1];
            double v = fr->v[k][ch];
            if (kind == 'p') {
                t[axis - 'X'] = v;
            } else {
                double A[3][3];
                mat_axis(A, axis, v);
                mat_mul(L, L, A);
            }
        }
        double w[3];
        for (int i = 0; i < 3; i++)
            w[i] = R[i][0] * t[0] + R[i][1] * t[1] + R[i][2] * t[2];
        for (int i = 0; i < 3; i++)
            p[i] += w[i];
        mat_mul(R, R, L);
    }
    memcpy(out, p, sizeof p);
}

TEST(ingest_real_bvh_counts_and_fk)
{
    if (!lfd_test_shared("data/mocap"))
        SKIP("../shared/data/mocap not found");
    char path[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const real_case *c = &cases[i];
        snprintf(path, sizeof path, "%s/%s", lfd_test_shared("data/mocap"), c->file);
        lfd_bvh b;
        lfd_err err = {0};
        int rc = lfd_bvh_read(&b, path, NULL, &err);
        CHECK_OK(rc, &err);
        if (rc)
            continue;
        CHECK_EQ_INT(b.nframes, c->frames);
        CHECK_EQ_INT(b.frames_declared, c->frames);
        CHECK_EQ_INT(b.njoints, c->joints);
        CHECK_NEAR(b.frame_time_s, c->frame_time, 1e-12);
        CHECK_EQ_INT(b.nwarn, 0);
        int t = lfd_bvh_find(&b, c->target);
        CHECK(t >= 0);
        double *pos = malloc((size_t)b.nnodes * 3 * sizeof(double));
        double *quat = malloc((size_t)b.nnodes * 4 * sizeof(double));
        for (int k = 0; k < 3 && t >= 0; k++) {
            const real_frame *fr = &c->fr[k];
            double want[3];
            hand_fk(c, fr, want);
            lfd_bvh_fk(&b, fr->frame, pos, quat);
            for (int a = 0; a < 3; a++)
                if (fabs(pos[3 * t + a] - want[a]) > 1e-6 * (1 + fabs(want[a])))
                    lfd_test_fail_at(__FILE__, __LINE__, "%s frame %d %s axis %d: FK %.9g, by hand %.9g",
                                     c->file, fr->frame, c->target, a, pos[3 * t + a], want[a]);
        }
        free(pos);
        free(quat);
        lfd_bvh_free(&b);
    }
}

/* what lfd_human makes of each file */
TEST(ingest_real_human_view)
{
    if (!lfd_test_shared("data/mocap"))
        SKIP("../shared/data/mocap not found");
    static const struct {
        const char *file, *rig, *units;
        int ref_pose;
    } want[] = {
        {"cmu_01_01_playground_jumps.bvh", "CMU (cgspeed MotionBuilder-friendly)", "asf", 1},
        {"xia_cmuskel_neutral_walk.bvh", "CMU (cgspeed MotionBuilder-friendly)", "asf", 0},
        {"cmu_daz_13_01_sit_on_stool.bvh", "CMU (cgspeed Daz/Poser-friendly)", "cm", 1},
        {"cmu_daz_14_04_drink_soda.bvh", "CMU (cgspeed Daz/Poser-friendly)", "cm", 1},
        {"cmu_daz_02_06_bend_scoop_lift.bvh", "CMU (cgspeed Daz/Poser-friendly)", "cm", 1},
        {"bandai1_walk_normal_001.bvh", "Bandai Namco", "cm", 0},
        {"bandai1_run_normal_001.bvh", "Bandai Namco", "cm", 0},
        {"bandai1_dance_short_normal_001.bvh", "Bandai Namco", "cm", 0},
        {"bandai2_walk_turn_left_normal_001.bvh", "Bandai Namco", "cm", 0},
        {"lafan1_walk1_subject1_first91.bvh", "LAFAN1 (Ubisoft)", "cm", 0},
        {"mixamorig_freebvh_69f.bvh", "Mixamo", "cm", 0},
    };
    char path[1024];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", lfd_test_shared("data/mocap"), want[i].file);
        lfd_human h;
        lfd_err err = {0};
        int rc = lfd_human_load(&h, path, NULL, &err);
        CHECK_OK(rc, &err);
        if (rc)
            continue;
        CHECK_STR(h.rig, want[i].rig);
        CHECK_STR(h.units, want[i].units);
        CHECK(h.units_detected);
        CHECK_STR(h.up, "y");
        CHECK(h.up_detected);
        if (h.ref_pose != want[i].ref_pose)
            lfd_test_fail_at(__FILE__, __LINE__, "%s: reference pose %d, expected %d", want[i].file,
                             h.ref_pose, want[i].ref_pose);
        if (!(h.height_m > 1.55 && h.height_m < 1.85))
            lfd_test_fail_at(__FILE__, __LINE__, "%s: height %.3f m", want[i].file, h.height_m);
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
            CHECK(h.canon[cj] >= 0 && h.canon[cj] < h.njoints);
        /* Z-up: the head is above the pelvis, the pelvis above the ankles */
        int f = h.nframes / 2;
        CHECK(lfd_human_cpos(&h, f, LFD_CJ_HEAD)[2] > lfd_human_cpos(&h, f, LFD_CJ_L_ANKLE)[2] + 0.3);
        CHECK_EQ_INT(h.sha256[0] != 0, 1);
        lfd_human_free(&h);
    }
}

/* Bandai: translation on Hips replaces its OFFSET (not added), and in the run
   clip it sits on joint_Root instead */
TEST(ingest_real_bandai_translation_on_nonroot)
{
    if (!lfd_test_shared("data/mocap"))
        SKIP("../shared/data/mocap not found");
    char path[1024];
    snprintf(path, sizeof path, "%s/bandai1_walk_normal_001.bvh", lfd_test_shared("data/mocap"));
    lfd_human h;
    lfd_err err = {0};
    CHECK_OK(lfd_human_load(&h, path, NULL, &err), &err);
    if (!h.nframes)
        return;
    /* walk: the pelvis travels ~8 m (from z = -407 cm to +400 cm in the file) */
    double d = lfd_v3_dist(lfd_human_cpos(&h, 0, LFD_CJ_PELVIS), lfd_human_cpos(&h, h.nframes - 1, LFD_CJ_PELVIS));
    CHECK_NEAR(d, 8.08, 0.1);
    /* bone lengths are the OFFSETs, not doubled: Hips->Spine 15.7 cm */
    CHECK_NEAR(h.bone_m[LFD_CJ_SPINE], 0.157357, 1e-4);
    /* pelvis height ~0.9 m, not 1.8 m */
    CHECK(lfd_human_cpos(&h, 0, LFD_CJ_PELVIS)[2] > 0.8 && lfd_human_cpos(&h, 0, LFD_CJ_PELVIS)[2] < 1.0);
    lfd_human_free(&h);
    snprintf(path, sizeof path, "%s/bandai1_run_normal_001.bvh", lfd_test_shared("data/mocap"));
    CHECK_OK(lfd_human_load(&h, path, NULL, &err), &err);
    if (!h.nframes)
        return;
    /* run: joint_Root moves 0 -> 200 cm in file Z (lfd +X) */
    double dx = lfd_human_cpos(&h, h.nframes - 1, LFD_CJ_PELVIS)[0] - lfd_human_cpos(&h, 0, LFD_CJ_PELVIS)[0];
    CHECK_NEAR(dx, 2.0, 0.05);
    lfd_human_free(&h);
}

/* LAFAN1: root position channels are absolute (OFFSET not added) */
TEST(ingest_real_lafan_root_offset_replaced)
{
    if (!lfd_test_shared("data/mocap"))
        SKIP("../shared/data/mocap not found");
    char path[1024];
    snprintf(path, sizeof path, "%s/lafan1_walk1_subject1_first91.bvh", lfd_test_shared("data/mocap"));
    lfd_bvh b;
    lfd_err err = {0};
    CHECK_OK(lfd_bvh_read(&b, path, NULL, &err), &err);
    if (!b.nframes)
        return;
    double pos[3 * 64], quat[4 * 64];
    CHECK(b.nnodes <= 64);
    lfd_bvh_fk(&b, 0, pos, quat);
    CHECK_NEAR(pos[0], 173.706802, 1e-9);
    CHECK_NEAR(pos[1], 91.897400, 1e-9);
    CHECK_NEAR(pos[2], -517.522095, 1e-9);
    lfd_bvh_free(&b);
}

TEST(ingest_real_holosoma_npy)
{
    const char *p = lfd_test_shared("data/mocap/holosoma_climb_seq1_joints53.npy");
    if (!p)
        SKIP("../shared/data/mocap not found");
    lfd_keypoints kp;
    lfd_err err = {0};
    CHECK_OK(lfd_kp_read(&kp, p, NULL, &err), &err);
    CHECK_EQ_INT(kp.nframes, 2423);
    CHECK_EQ_INT(kp.njoints, 53);
    CHECK_STR(kp.preset, "holosoma-53");
    CHECK_NEAR(kp.fps, 120, 0);
    CHECK_STR(kp.names[45], "LeftFoot");
    /* values as numpy prints them (float32) */
    static const struct {
        int f, j;
        double v[3];
    } ref[] = {{0, 0, {-0.0832310021, -1.30603898, 1.08685005}},
               {0, 45, {-0.114939578, -1.30929458, 0.286269605}},
               {1211, 0, {-0.136895001, -0.608081996, 1.87075496}},
               {1211, 45, {-0.211805478, -0.675918639, 1.04658973}},
               {2422, 0, {-1.38628197, 0.0767230019, 0.899276972}},
               {2422, 45, {-1.38132834, 0.175547987, 0.0818648711}}};
    for (size_t i = 0; kp.pos && i < sizeof ref / sizeof ref[0]; i++)
        for (int a = 0; a < 3; a++)
            CHECK_NEAR(kp.pos[((size_t)ref[i].f * 53 + (size_t)ref[i].j) * 3 + a], ref[i].v[a], 1e-8);
    lfd_kp_free(&kp);
    /* as a human: metres and Z-up as given by the preset, positions unchanged */
    lfd_human h;
    CHECK_OK(lfd_human_load(&h, p, NULL, &err), &err);
    if (!h.nframes)
        return;
    CHECK_STR(h.units, "m");
    CHECK_STR(h.up, "z");
    CHECK(!h.units_detected && !h.up_detected);
    CHECK(h.fps_assumed);
    CHECK_NEAR(lfd_human_cpos(&h, 1211, LFD_CJ_PELVIS)[2], 1.87075496, 1e-8);
    CHECK_NEAR(lfd_human_cpos(&h, 2422, LFD_CJ_L_ANKLE)[0], -1.38132834, 1e-8);
    CHECK(h.height_m > 1.55 && h.height_m < 1.85);
    lfd_human_free(&h);
}
