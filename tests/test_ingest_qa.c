/*  QA detector tests: clean generated motions pass; each fault, injected
    into a clean motion, is found by its detector at the right frames and
    with the right severity; the threshold table in code matches
    docs/ingest.md. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_qa.h"
#include "ingest/lfd_synth.h"
#include "tests/lfd_test.h"

static int make(lfd_human *h, int task, double seconds, double fps)
{
    lfd_synth_opts o = {.task = (lfd_synth_task)task, .seconds = seconds, .fps = fps};
    lfd_err err = {0};
    if (lfd_synth_human(h, &o, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return -1;
    }
    return 0;
}

static const lfd_qa_reason *find(const lfd_qa_report *r, const char *check)
{
    for (int i = 0; i < r->nreasons; i++)
        if (!strcmp(r->reason[i].check, check))
            return &r->reason[i];
    return NULL;
}

/* the report for h after re-analysis; fails the test on error */
static void qa(lfd_human *h, lfd_qa_report *r)
{
    lfd_err err = {0};
    if (lfd_human_analyze(h, &err) || lfd_qa_human(h, r, &err))
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
}

/* the check is present with this severity and covers frame f */
#define EXPECT(r, check, sev, f)                                                                  \
    do {                                                                                          \
        const lfd_qa_reason *rs_ = find((r), (check));                                            \
        if (!rs_) {                                                                               \
            lfd_test_fail_at(__FILE__, __LINE__, "no '%s' reason", (check));                      \
            break;                                                                                \
        }                                                                                         \
        if (rs_->severity != (sev))                                                               \
            lfd_test_fail_at(__FILE__, __LINE__, "'%s' severity %d, want %d (%s)", (check),      \
                             rs_->severity, (sev), rs_->msg);                                     \
        int in_ = (f) < 0;                                                                        \
        for (int k_ = 0; k_ < rs_->nranges; k_++)                                                 \
            in_ |= rs_->range[k_][0] <= (f) && (f) <= rs_->range[k_][1];                          \
        if (!in_)                                                                                 \
            lfd_test_fail_at(__FILE__, __LINE__, "'%s' ranges miss frame %d", (check), (f));      \
    } while (0)

static void move_joint(lfd_human *h, int f, int j, double dx, double dy, double dz)
{
    double *p = lfd_human_pos(h, f, j);
    p[0] += dx;
    p[1] += dy;
    p[2] += dz;
}

TEST(ingest_qa_clean_motions_pass)
{
    for (int task = 0; task < 3; task++) {
        lfd_human h;
        if (make(&h, task, 0, task == 1 ? 120 : 60))
            continue;
        lfd_qa_report r;
        qa(&h, &r);
        if (r.verdict != LFD_QA_PASS || r.score != 100) {
            lfd_test_fail_at(__FILE__, __LINE__, "%s: %s, score %.0f", lfd_synth_task_name(task),
                             lfd_qa_verdict_name(r.verdict), r.score);
            lfd_qa_print_text(&r, stderr);
        }
        CHECK(r.jitter_m_s3 < 100);
        lfd_human_free(&h);
    }
}

TEST(ingest_qa_nonfinite)
{
    lfd_human h;
    if (make(&h, LFD_SYNTH_WALK, 2, 60))
        return;
    lfd_human_pos(&h, 50, 3)[1] = NAN;
    lfd_qa_report r;
    qa(&h, &r);
    CHECK_EQ_INT(r.verdict, LFD_QA_REJECT);
    EXPECT(&r, "nonfinite", LFD_QA_REJECT, 50);
    CHECK_EQ_INT(find(&r, "nonfinite") ? find(&r, "nonfinite")->frames : 0, 1);
    CHECK(r.score <= 60);
    lfd_human_free(&h);
}

TEST(ingest_qa_frozen)
{
    lfd_human h;
    if (make(&h, LFD_SYNTH_WALK, 4, 60))
        return;
    size_t fs = (size_t)h.njoints * 3 * sizeof(double);
    for (int f = 101; f <= 130; f++) /* half a second stuck at frame 100 */
        memcpy(lfd_human_pos(&h, f, 0), lfd_human_pos(&h, 100, 0), fs);
    lfd_qa_report r;
    qa(&h, &r);
    EXPECT(&r, "frozen", LFD_QA_WARN, 115);
    const lfd_qa_reason *rs = find(&r, "frozen");
    if (rs) {
        CHECK_EQ_INT(rs->range[0][0], 100);
        CHECK_EQ_INT(rs->range[0][1], 130);
    }
    /* most of the clip frozen: rejected */
    for (int f = 1; f < h.nframes; f++)
        memcpy(lfd_human_pos(&h, f, 0), lfd_human_pos(&h, 0, 0), fs);
    qa(&h, &r);
    EXPECT(&r, "frozen", LFD_QA_REJECT, 10);
    lfd_human_free(&h);
}

TEST(ingest_qa_teleport)
{
    lfd_human h;
    if (make(&h, LFD_SYNTH_WALK, 3, 60))
        return;
    /* the whole body jumps 2 m sideways at frame 90 (120 m/s) */
    for (int f = 90; f < h.nframes; f++)
        for (int j = 0; j < h.nsource; j++)
            move_joint(&h, f, j, 0, 2, 0);
    lfd_qa_report r;
    qa(&h, &r);
    EXPECT(&r, "teleport", LFD_QA_REJECT, 90);
    CHECK_EQ_INT(find(&r, "teleport") ? find(&r, "teleport")->frames : 0, 1);
    CHECK(r.max_root_speed_m_s > 100);
    lfd_human_free(&h);
    /* one wrist popping 1 m away for one frame at 120 Hz */
    if (make(&h, LFD_SYNTH_WIPE, 6, 120))
        return;
    move_joint(&h, 300, h.canon[LFD_CJ_R_WRIST], 0.7, 0.7, 0);
    qa(&h, &r);
    EXPECT(&r, "teleport", LFD_QA_REJECT, 300);
    EXPECT(&r, "teleport", LFD_QA_REJECT, 301);
    lfd_human_free(&h);
}

static double gauss(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    double u = ((*s >> 8) + 1.0) / 16777218.0;
    *s = *s * 1103515245u + 12345u;
    double v = ((*s >> 8) + 1.0) / 16777218.0;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

TEST(ingest_qa_jitter)
{
    /* noise on every joint: 5 mm warns, 1 cm rejects, at 30 and 120 Hz */
    static const double fps[2] = {30, 120};
    for (int k = 0; k < 2; k++)
        for (int lvl = 0; lvl < 2; lvl++) {
            lfd_human h;
            if (make(&h, LFD_SYNTH_WALK, 4, fps[k]))
                continue;
            unsigned seed = 7;
            double sigma = lvl ? 0.010 : 0.005;
            for (int f = 0; f < h.nframes; f++)
                for (int j = 0; j < h.nsource; j++)
                    move_joint(&h, f, j, sigma * gauss(&seed), sigma * gauss(&seed), sigma * gauss(&seed));
            lfd_qa_report r;
            qa(&h, &r);
            EXPECT(&r, "jitter", lvl ? LFD_QA_REJECT : LFD_QA_WARN, h.nframes / 2);
            lfd_human_free(&h);
        }
    /* a burst of noise in one second only: the ranges cover that second */
    lfd_human h;
    if (make(&h, LFD_SYNTH_WIPE, 8, 60))
        return;
    unsigned seed = 3;
    for (int f = 240; f < 300; f++)
        for (int j = 0; j < h.nsource; j++)
            move_joint(&h, f, j, 0.01 * gauss(&seed), 0.01 * gauss(&seed), 0.01 * gauss(&seed));
    lfd_qa_report r;
    qa(&h, &r);
    EXPECT(&r, "jitter", LFD_QA_REJECT, 270);
    const lfd_qa_reason *rs = find(&r, "jitter");
    if (rs) {
        CHECK(rs->range[0][0] >= 200 && rs->range[rs->nranges - 1][1] <= 340);
    }
    lfd_human_free(&h);
}

/* keypoints made from a generated motion (so bone drift is checked) */
static int make_kp(lfd_human *h, double seconds, double fps)
{
    lfd_human s;
    if (make(&s, LFD_SYNTH_WALK, seconds, fps))
        return -1;
    lfd_keypoints kp = {0};
    snprintf(kp.name, sizeof kp.name, "synth-keypoints.npy");
    kp.nframes = s.nframes;
    kp.njoints = s.nsource;
    kp.fps = fps;
    snprintf(kp.units, sizeof kp.units, "m");
    snprintf(kp.up, sizeof kp.up, "z");
    kp.names = calloc((size_t)kp.njoints, sizeof *kp.names);
    kp.parents = malloc((size_t)kp.njoints * sizeof *kp.parents);
    kp.pos = malloc((size_t)kp.nframes * kp.njoints * 3 * sizeof(double));
    for (int j = 0; j < kp.njoints; j++) {
        snprintf(kp.names[j], LFD_KP_NAME_MAX, "%s", s.names[j]);
        kp.parents[j] = s.parent[j];
    }
    for (int f = 0; f < kp.nframes; f++)
        memcpy(kp.pos + (size_t)f * kp.njoints * 3, lfd_human_pos(&s, f, 0), (size_t)kp.njoints * 3 * sizeof(double));
    lfd_err err = {0};
    int rc = lfd_human_from_keypoints(h, &kp, NULL, &err);
    if (rc)
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
    lfd_kp_free(&kp);
    lfd_human_free(&s);
    return rc;
}

TEST(ingest_qa_bone_drift_keypoints)
{
    lfd_human h;
    if (make_kp(&h, 4, 30))
        return;
    lfd_qa_report r;
    qa(&h, &r);
    CHECK_EQ_INT(r.verdict, LFD_QA_PASS);
    CHECK(find(&r, "bone_drift") == NULL);
    /* the left forearm grows by 15% for frames 40-50 */
    for (int f = 40; f <= 50; f++) {
        const double *e = lfd_human_cpos(&h, f, LFD_CJ_L_ELBOW);
        double *w = lfd_human_cpos(&h, f, LFD_CJ_L_WRIST), d[3];
        lfd_v3_sub(d, w, e);
        lfd_v3_scale(d, d, 0.15);
        lfd_v3_add(w, w, d);
    }
    qa(&h, &r);
    EXPECT(&r, "bone_drift", LFD_QA_WARN, 45);
    const lfd_qa_reason *rs = find(&r, "bone_drift");
    if (rs) {
        CHECK_EQ_INT(rs->frames, 11);
        CHECK_CONTAINS(rs->msg, "l_elbow-l_wrist");
        CHECK_NEAR(rs->value, 0.15, 1e-6);
    }
    /* 40% is a rejection */
    for (int f = 40; f <= 50; f++) {
        const double *e = lfd_human_cpos(&h, f, LFD_CJ_L_ELBOW);
        double *w = lfd_human_cpos(&h, f, LFD_CJ_L_WRIST), d[3];
        lfd_v3_sub(d, w, e);
        lfd_v3_scale(d, d, 1.4 / 1.15 - 1);
        lfd_v3_add(w, w, d);
    }
    qa(&h, &r);
    EXPECT(&r, "bone_drift", LFD_QA_REJECT, 45);
    lfd_human_free(&h);
    /* a BVH source is rigid by construction: not checked */
    if (make(&h, LFD_SYNTH_WALK, 2, 30))
        return;
    for (int f = 10; f <= 20; f++)
        move_joint(&h, f, h.canon[LFD_CJ_L_WRIST], 0.1, 0, 0);
    qa(&h, &r);
    CHECK(find(&r, "bone_drift") == NULL);
    lfd_human_free(&h);
}

/* turns the left shank (ankle, toe, toe end) about the knee, about world y */
static void bend_knee_back(lfd_human *h, int f, double deg)
{
    double q[4], y[3] = {0, 1, 0};
    lfd_quat_from_axis_angle(q, y, -deg * M_PI / 180);
    const double *k = lfd_human_cpos(h, f, LFD_CJ_L_KNEE);
    int js[3] = {h->canon[LFD_CJ_L_ANKLE], h->canon[LFD_CJ_L_TOE], h->canon[LFD_CJ_L_TOE] + 1};
    for (int i = 0; i < 3; i++) {
        double *p = lfd_human_pos(h, f, js[i]), d[3];
        lfd_v3_sub(d, p, k);
        lfd_quat_rotate(d, q, d);
        lfd_v3_add(p, k, d);
    }
}

TEST(ingest_qa_joint_angles)
{
    lfd_human h;
    if (make(&h, LFD_SYNTH_STAND, 3, 30))
        return;
    for (int f = 30; f <= 40; f++)
        bend_knee_back(&h, f, 55);
    lfd_qa_report r;
    qa(&h, &r);
    EXPECT(&r, "joint_angle", LFD_QA_WARN, 35);
    const lfd_qa_reason *rs = find(&r, "joint_angle");
    if (rs) {
        CHECK_CONTAINS(rs->msg, "knee hyperextension");
        /* 55 deg back from the stand's slightly bent knee (~12 deg) */
        if (!(rs->value > 35 && rs->value < 50))
            lfd_test_fail_at(__FILE__, __LINE__, "hyperextension %.1f deg", rs->value);
    }
    /* all the time (a mirrored leg): rejected */
    for (int f = 0; f < h.nframes; f++)
        bend_knee_back(&h, f, 45);
    qa(&h, &r);
    EXPECT(&r, "joint_angle", LFD_QA_REJECT, 5);
    lfd_human_free(&h);
    /* the trunk folded backwards 120 degrees for a moment */
    if (make(&h, LFD_SYNTH_STAND, 3, 30))
        return;
    double q[4], y[3] = {0, 1, 0};
    lfd_quat_from_axis_angle(q, y, -120 * M_PI / 180);
    for (int f = 60; f <= 62; f++) {
        double c[3];
        lfd_v3_copy(c, lfd_human_cpos(&h, f, LFD_CJ_SPINE));
        for (int j = 0; j < h.nsource; j++) {
            /* everything above the spine: spine's descendants in the synth tree */
            int a = j;
            while (a >= 0 && a != h.canon[LFD_CJ_SPINE])
                a = h.parent[a];
            if (a < 0 || j == h.canon[LFD_CJ_SPINE])
                continue;
            double *p = lfd_human_pos(&h, f, j), d[3];
            lfd_v3_sub(d, p, c);
            lfd_quat_rotate(d, q, d);
            lfd_v3_add(p, c, d);
        }
    }
    qa(&h, &r);
    EXPECT(&r, "joint_angle", LFD_QA_WARN, 61);
    lfd_human_free(&h);
}

TEST(ingest_qa_capture_area_and_height)
{
    lfd_human h;
    if (make(&h, LFD_SYNTH_WALK, 4, 30))
        return;
    /* drifting away: 15 m by the end (a slow, smooth drift: no teleport) */
    for (int f = 0; f < h.nframes; f++)
        for (int j = 0; j < h.nsource; j++)
            move_joint(&h, f, j, 30.0 * f / h.nframes, 0, 0);
    lfd_qa_report r;
    qa(&h, &r);
    EXPECT(&r, "capture_area", LFD_QA_WARN, h.nframes - 1);
    CHECK(find(&r, "teleport") == NULL);
    lfd_human_free(&h);
    /* 120 m from the middle: rejected */
    if (make(&h, LFD_SYNTH_STAND, 4, 30))
        return;
    for (int f = 0; f < h.nframes; f++)
        for (int j = 0; j < h.nsource; j++)
            move_joint(&h, f, j, f < 60 ? 0 : 120.0 * (f - 60) / 60, 0, 0);
    qa(&h, &r);
    EXPECT(&r, "capture_area", LFD_QA_REJECT, h.nframes - 1);
    lfd_human_free(&h);
    /* flying: the whole body rises 3 m (over a second) and stays */
    if (make(&h, LFD_SYNTH_STAND, 4, 30))
        return;
    for (int f = 0; f < h.nframes; f++)
        for (int j = 0; j < h.nsource; j++)
            move_joint(&h, f, j, 0, 0, f < 30 ? 0 : fmin(3.0, 3.0 * (f - 30) / 30));
    qa(&h, &r);
    EXPECT(&r, "capture_area", LFD_QA_REJECT, 100);
    lfd_human_free(&h);
}

TEST(ingest_qa_floor_and_foot_slide)
{
    lfd_human h;
    if (make(&h, LFD_SYNTH_STAND, 4, 30))
        return;
    /* the left foot sinks 10 cm for frames 50-60 */
    int foot[3] = {h.canon[LFD_CJ_L_ANKLE], h.canon[LFD_CJ_L_TOE], h.canon[LFD_CJ_L_TOE] + 1};
    for (int f = 50; f <= 60; f++)
        for (int i = 0; i < 3; i++)
            move_joint(&h, f, foot[i], 0, 0, -0.10 * sin(M_PI * (f - 49) / 12));
    lfd_qa_report r;
    qa(&h, &r);
    EXPECT(&r, "floor", LFD_QA_WARN, 55);
    lfd_human_free(&h);
    if (make(&h, LFD_SYNTH_STAND, 4, 30))
        return;
    for (int f = 50; f <= 60; f++)
        for (int i = 0; i < 3; i++)
            move_joint(&h, f, foot[i], 0, 0, -0.25 * sin(M_PI * (f - 49) / 12));
    qa(&h, &r);
    EXPECT(&r, "floor", LFD_QA_REJECT, 55);
    lfd_human_free(&h);
    /* the planted left foot slides 0.24 m over 1.2 s (0.2 m/s: still "in contact") */
    if (make(&h, LFD_SYNTH_STAND, 4, 30))
        return;
    for (int f = 0; f < h.nframes; f++) {
        double dx = f < 40 ? 0 : f < 76 ? 0.2 * (f - 40) / 30.0 : 0.24;
        for (int i = 0; i < 3; i++)
            move_joint(&h, f, foot[i], dx, 0, 0);
    }
    qa(&h, &r);
    EXPECT(&r, "foot_slide", LFD_QA_WARN, 60);
    CHECK_NEAR(r.foot_slide_m, 0.24, 0.01);
    lfd_human_free(&h);
}

TEST(ingest_qa_duration_and_frame_rate)
{
    lfd_human h;
    lfd_qa_report r;
    if (make(&h, LFD_SYNTH_STAND, 0.6, 60) == 0) {
        qa(&h, &r);
        EXPECT(&r, "duration", LFD_QA_WARN, -1);
        lfd_human_free(&h);
    }
    if (make(&h, LFD_SYNTH_STAND, 0.2, 60) == 0) {
        qa(&h, &r);
        EXPECT(&r, "duration", LFD_QA_REJECT, -1);
        lfd_human_free(&h);
    }
    if (make(&h, LFD_SYNTH_WALK, 3, 20) == 0) {
        qa(&h, &r);
        EXPECT(&r, "frame_rate", LFD_QA_WARN, -1);
        lfd_human_free(&h);
    }
    if (make(&h, LFD_SYNTH_WALK, 6, 8) == 0) {
        qa(&h, &r);
        EXPECT(&r, "frame_rate", LFD_QA_REJECT, -1);
        lfd_human_free(&h);
    }
    /* a 12 Hz walk labelled 120 Hz: the body moves 10 m/s throughout */
    if (make(&h, LFD_SYNTH_WALK, 12, 12) == 0) {
        h.fps = 120;
        qa(&h, &r);
        EXPECT(&r, "frame_rate", LFD_QA_WARN, -1);
        CHECK_CONTAINS(find(&r, "frame_rate") ? find(&r, "frame_rate")->msg : "", "is 120 Hz the right rate?");
        lfd_human_free(&h);
    }
}

TEST(ingest_qa_reference_pose_excluded_and_load_errors)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 2, .fps = 120};
    lfd_bvh b;
    lfd_err err = {0};
    CHECK_OK(lfd_synth_bvh(&b, &o, NULL, &err), &err);
    if (!b.nframes)
        return;
    for (int c = 3; c < b.nchannels; c++)
        b.motion[c] = 0;
    char path[1024];
    snprintf(path, sizeof path, "%s/ref.bvh", lfd_test_tmpdir());
    CHECK_OK(lfd_bvh_write(&b, path, NULL, &err), &err);
    lfd_bvh_free(&b);
    lfd_qa_report r;
    CHECK_OK(lfd_qa_file(path, NULL, &r, &err), &err);
    /* the T-pose in frame 0 would be a 0.5 m jump: noted, not a teleport */
    CHECK_EQ_INT(r.verdict, LFD_QA_PASS);
    EXPECT(&r, "reference_pose", LFD_QA_INFO, -1);
    CHECK(find(&r, "teleport") == NULL);
    /* an unreadable file is a rejected demonstration with the parser's message */
    const char *bad = "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation\n}\n";
    snprintf(path, sizeof path, "%s/bad.bvh", lfd_test_tmpdir());
    CHECK_OK(lfd_file_write_atomic(path, bad, strlen(bad), &err), &err);
    CHECK_OK(lfd_qa_file(path, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.verdict, LFD_QA_REJECT);
    CHECK_EQ_INT(r.loaded, 0);
    EXPECT(&r, "load", LFD_QA_REJECT, -1);
    CHECK_CONTAINS(r.reason[0].msg, "bad.bvh:6: CHANNELS of 'Hips' says 3 but lists 1 channel name(s)");
}

/* every threshold in the code table appears in docs/ingest.md with its value */
TEST(ingest_qa_limits_match_docs)
{
    char path[512];
    snprintf(path, sizeof path, "docs/ingest.md");
    uint8_t *doc;
    size_t len;
    lfd_err err = {0};
    if (lfd_file_read(path, 1 << 22, &doc, &len, &err))
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
    else {
        for (int i = 0; i < LFD_QAL_COUNT; i++) {
            char row[160];
            snprintf(row, sizeof row, "| `%s` | %.6g |", lfd_qa_limits[i].key, lfd_qa_limits[i].value);
            if (!strstr((const char *)doc, row))
                lfd_test_fail_at(__FILE__, __LINE__, "docs/ingest.md lacks the row '%s'", row);
            CHECK(lfd_qa_limits[i].source && strlen(lfd_qa_limits[i].source) > 5);
        }
        free(doc);
    }
}

/* issue 21: a rate option applies only to files that state no rate; a BVH and
   a rate-less .npy in one folder are judged in one call, each saying what
   applied */
TEST(ingest_qa_fps_option_only_without_own_rate)
{
    const char *dir = lfd_test_tmpdir();
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 2, .fps = 120};
    lfd_bvh b;
    lfd_err err = {0};
    CHECK_OK(lfd_synth_bvh(&b, &o, NULL, &err), &err);
    char bvh[1024], npy[1024], sc[1100];
    snprintf(bvh, sizeof bvh, "%s/walk.bvh", dir);
    CHECK_OK(lfd_bvh_write(&b, bvh, NULL, &err), &err);
    lfd_bvh_free(&b);
    /* the same walk as SMPL-22 keypoints at 40 Hz (every third frame), no rate anywhere */
    lfd_human h;
    CHECK_OK(lfd_synth_human(&h, &o, &err), &err);
    int T = h.nframes / 3;
    double *pos = malloc((size_t)T * 22 * 3 * sizeof *pos);
    static const int smpl_cj[22] = {LFD_CJ_PELVIS, LFD_CJ_L_HIP, LFD_CJ_R_HIP, LFD_CJ_SPINE, LFD_CJ_L_KNEE,
                                    LFD_CJ_R_KNEE, LFD_CJ_CHEST, LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_CHEST,
                                    LFD_CJ_L_TOE, LFD_CJ_R_TOE, LFD_CJ_NECK, LFD_CJ_CHEST, LFD_CJ_CHEST, LFD_CJ_HEAD,
                                    LFD_CJ_L_SHOULDER, LFD_CJ_R_SHOULDER, LFD_CJ_L_ELBOW, LFD_CJ_R_ELBOW,
                                    LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    for (int f = 0; f < T; f++)
        for (int j = 0; j < 22; j++)
            memcpy(pos + ((size_t)f * 22 + j) * 3, lfd_human_cpos(&h, 3 * f, smpl_cj[j]), 3 * sizeof(double));
    lfd_human_free(&h);
    snprintf(npy, sizeof npy, "%s/walk_smpl.npy", dir);
    CHECK_OK(lfd_npy_write(npy, pos, T, 22, "<f4", 1, 0, &err), &err);
    free(pos);
    snprintf(sc, sizeof sc, "%s.json", npy);
    const char *side = "{\"preset\": \"smpl-22\", \"up\": \"z\"}";
    CHECK_OK(lfd_file_write_atomic(sc, side, strlen(side), &err), &err);
    lfd_human_opts ho = {.fps = 40};
    lfd_qa_report *r = calloc(1, sizeof *r);
    CHECK_OK(lfd_qa_file(bvh, &ho, r, &err), &err);
    CHECK_NEAR(r->fps, 120, 1e-3); /* the BVH's Frame Time wins */
    CHECK_CONTAINS(r->rate_note, "--in-fps 40 not applied: the file states 120 Hz");
    CHECK_OK(lfd_qa_file(npy, &ho, r, &err), &err);
    CHECK_EQ_INT(r->loaded, 1);
    CHECK_NEAR(r->fps, 40, 1e-9);
    CHECK_CONTAINS(r->rate_note, "rate 40 Hz from --in-fps (the file gives none)");
    CHECK(find(r, "frame_rate") == NULL || find(r, "frame_rate")->severity == LFD_QA_INFO);
    free(r);
    /* the command: one call judges both, and says what applied to each */
    static char out[1 << 16];
    char args[1200];
    snprintf(args, sizeof args, "qa %s --fps 40", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "walk.bvh: pass");
    CHECK_CONTAINS(out, "2 file(s): 2 pass");
    CHECK_CONTAINS(out, "120 Hz");
    CHECK_CONTAINS(out, "--in-fps 40 not applied");
    CHECK_CONTAINS(out, "rate 40 Hz from --in-fps");
}

/* issue 21: a file that cannot be read scores 0 and keeps its whole message,
   the unknown-rig hint included, in text output */
TEST(ingest_qa_unreadable_scores_zero_whole_hint)
{
    const char *dir = lfd_test_tmpdir();
    char p[1024];
    snprintf(p, sizeof p, "%s/some_very_long_file_name_for_a_recording_made_at_home_with_a_phone.csv", dir);
    const char *csv = "time,foo_x,foo_y,foo_z,bar_x,bar_y,bar_z\n0,0,0,1,0,1,1\n0.1,0,0,1,0,1,1\n";
    lfd_err err = {0};
    CHECK_OK(lfd_file_write_atomic(p, csv, strlen(csv), &err), &err);
    lfd_qa_report *r = calloc(1, sizeof *r);
    CHECK_OK(lfd_qa_file(p, NULL, r, &err), &err);
    CHECK_EQ_INT(r->loaded, 0);
    CHECK_EQ_INT(r->verdict, LFD_QA_REJECT);
    CHECK_NEAR(r->score, 0, 0);
    EXPECT(r, "load", LFD_QA_REJECT, -1);
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    lfd_qa_print_text(r, fp);
    fclose(fp);
    CHECK_CONTAINS(text, "unknown rig");
    CHECK_CONTAINS(text, "give a mapping file with --map FILE, a JSON object such as");
    CHECK_CONTAINS(text, "(see docs/ingest.md)");
    CHECK_CONTAINS(text, "reject (score 0)");
    free(text);
    free(r);
}
