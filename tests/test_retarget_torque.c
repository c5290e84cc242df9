/*  The torque step of `lfd retarget` (retarget/lfd_retarget_torque.c,
    docs/retarget.md part 24): the joints with no foot below them (waist,
    arms) brought within their torque limits, measured by lfd check.
    - a quick bow of G1's waist (0.45 rad in 0.2 s, 43 N m against its 35)
      comes back within the limit, a shallower bow (0.35 rad: a bump's
      acceleration falls with its height), the legs untouched, the external
      help no more than before (a bow this quick moves the ZMP to the soles'
      edge: 0.18 body weights either way);
    - a slow bow (feasible) comes back bit for bit;
    - the step's figure is lfd check's wherever a bow falls, the clip's first
      and last frames included, and a bow at 200 fps (windows longer than
      the 90 frames a cluster of peaks takes) is corrected;
    - on ../shared's CMU bend-scoop (30 fps, G1) the default output has no
      torque failure; with the step off the waist fails, as it did before
      the step; on CMU's playground jumps no arm goes into the body (skipped
      without ../shared and under Valgrind). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ingest/lfd_human.h"
#include "retarget/lfd_retarget.h"
#include "retarget/lfd_retarget_int.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"
#include "tests/lfd_poses.h"
#include "tests/lfd_test.h"

/* lfd check on m (default thresholds): the failures of kind `kind` on
   joint `joint` (-1: any joint), the external help and the verdict */
typedef struct {
    int fails_kind;
    int nfail;
    int verdict;
    double assist;
    double torque_peak; /* of joint `joint` (N m) */
} check_fig;

static check_fig check_of(const lfd_robot *r, const lfd_motion *m, int kind, int joint)
{
    check_fig cf = {-1, -1, -1, -1, -1};
    lfd_check_report *cr = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_check_report_new(&cr, &err), &err);
    if (!cr)
        return cf;
    if (lfd_check_run(r, m, NULL, cr, &err) == LFD_OK) {
        cf.fails_kind = 0;
        for (int i = 0; i < cr->nfindings; i++)
            if (cr->finding[i].kind == kind && cr->finding[i].severity == LFD_CHECK_FAIL &&
                (joint < 0 || cr->finding[i].joint == joint))
                cf.fails_kind++;
        cf.nfail = cr->nfail;
        cf.verdict = cr->verdict;
        cf.assist = cr->assist_max;
        if (joint >= 0)
            cf.torque_peak = cr->joint[joint].torque_peak;
    } else {
        CHECK_OK(LFD_EARG, &err);
    }
    lfd_check_report_free(&cr);
    return cf;
}

/* G1 standing `seconds` at fps, its waist bowing by bow_rad and back: the
   bow rises over ramp_s from t0, holds 0.2 s, comes back over ramp_s; into
   m, and a copy into m0 */
static int g1_bow_at(lfd_robot **r, lfd_motion *m, lfd_motion *m0, double seconds, double fps,
                     double t0, double bow_rad, double ramp_s)
{
    lfd_err err = {0};
    memset(m, 0, sizeof *m);
    memset(m0, 0, sizeof *m0);
    if (!*r)
        CHECK_OK(lfd_robot_load(r, "g1", &err), &err);
    if (!*r)
        return 0;
    CHECK_OK(lfd_pose_stand(*r, m, seconds, fps, &err), &err);
    CHECK_EQ_INT(lfd_pose_add_joint(*r, m, "waist_pitch_joint", bow_rad, t0, t0 + 0.2 + ramp_s, ramp_s), 1);
    CHECK_OK(lfd_motion_copy(m0, m, &err), &err);
    return m0->nframes == m->nframes;
}

/* the bow of 1.0 s into a 3 s clip at 30 fps */
static int g1_bow(lfd_robot **r, lfd_motion *m, lfd_motion *m0, double bow_rad, double ramp_s)
{
    *r = NULL;
    return g1_bow_at(r, m, m0, 3.0, 30, 1.0, bow_rad, ramp_s);
}

TEST(retarget_torque_step_brings_a_quick_bow_within_the_waist_limit)
{
    lfd_robot *r = NULL;
    lfd_motion m, m0;
    if (!g1_bow(&r, &m, &m0, 0.45, 0.2))
        return;
    lfd_err err = {0};
    int jw = lfd_robot_find_joint(r, "waist_pitch_joint");
    CHECK(jw >= 0);
    const lfd_robot_joint *W = &r->joints[jw];
    /* before: the bow's acceleration takes the waist over its limit */
    check_fig before = check_of(r, &m, LFD_CK_TORQUE, jw);
    CHECK(before.fails_kind > 0);
    CHECK(before.torque_peak > 1.1 * W->torque_max);

    lfd_rt_torque_fig fig;
    CHECK_OK(lfd_rt_torque_step(r, &m, &fig, &err), &err);
    CHECK(fig.windows > 0);
    CHECK(fig.ratio_before > 1.1);
    CHECK(fig.ratio_after <= TORQUE_STEP_ON);
    CHECK(fig.change_max_rad > 0 && fig.change_max_rad <= TORQUE_STEP_MAX_RAD + 1e-12);

    /* after: lfd check finds no torque over a limit; the step's own figure
       is the check's (the same inverse dynamics) */
    check_fig after = check_of(r, &m, LFD_CK_TORQUE, -1);
    CHECK_EQ_INT(after.fails_kind, 0);
    after = check_of(r, &m, LFD_CK_TORQUE, jw);
    CHECK(after.torque_peak <= TORQUE_STEP_ON * W->torque_max + 1e-6);
    CHECK(fabs(after.torque_peak / W->torque_max - fig.ratio_after) < 1e-6);
    /* the ZMP kept: no more external help than before */
    CHECK(after.assist <= before.assist + 0.01);

    /* the bow is still a bow (its peak within the cap of the person's) and
       only the waist pitch moved */
    double peak0 = 0, peak = 0;
    for (int k = 0; k < m.nframes; k++) {
        peak0 = fmax(peak0, lfd_motion_frame(&m0, k)[W->qpos_adr]);
        peak = fmax(peak, lfd_motion_frame(&m, k)[W->qpos_adr]);
        for (int i = 0; i < m.nq; i++)
            if (i != W->qpos_adr && lfd_motion_frame(&m, k)[i] != lfd_motion_frame(&m0, k)[i]) {
                CHECK(!"a coordinate other than the waist pitch moved");
                k = m.nframes;
                break;
            }
    }
    CHECK(peak > peak0 - TORQUE_STEP_MAX_RAD && peak <= peak0 + 1e-12);
    fprintf(stderr, "quick bow g1: waist peak %.1f -> %.1f N m (limit %.0f), help %.3f -> %.3f, bow %.3f -> %.3f rad, "
            "changed up to %.3f rad in %d windows\n",
               before.torque_peak, after.torque_peak, W->torque_max, before.assist, after.assist, peak0,
               peak, fig.change_max_rad, fig.windows);
    lfd_motion_free(&m);
    lfd_motion_free(&m0);
    lfd_robot_free(&r);
}

TEST(retarget_torque_step_leaves_a_feasible_motion_unchanged)
{
    lfd_robot *r = NULL;
    lfd_motion m, m0;
    /* the same bow, slow: its torques are well within the limits */
    if (!g1_bow(&r, &m, &m0, 0.3, 1.0))
        return;
    lfd_err err = {0};
    lfd_rt_torque_fig fig;
    CHECK_OK(lfd_rt_torque_step(r, &m, &fig, &err), &err);
    CHECK_EQ_INT(fig.windows, 0);
    CHECK(fig.ratio_before > 0.1 && fig.ratio_before <= TORQUE_STEP_ON);
    CHECK(fig.ratio_after == fig.ratio_before);
    CHECK(fig.change_max_rad == 0);
    CHECK(memcmp(m.qpos, m0.qpos, (size_t)m.nframes * (size_t)m.nq * sizeof(double)) == 0);
    lfd_motion_free(&m);
    lfd_motion_free(&m0);
    lfd_robot_free(&r);
}

/* The step's own figure is lfd check's to the last digit wherever the bow
   falls: its windows reach the clip's first and last frames, which take
   their neighbours' accelerations, so their torques must be measured again
   with the frames next to them (a review found frame 0 left stale by a
   window starting at frame 2).  Bows starting at every frame from 0.4 s
   before the clip to 0.5 s into it, and ending as late. */
TEST(retarget_torque_step_figures_match_lfd_check_at_the_clip_ends)
{
    lfd_robot *r = NULL;
    int jw = -1, tried = 0;
    for (int k = -12; k <= 15; k++) {
        for (int end = 0; end < 2; end++) {
            lfd_motion m, m0;
            /* 1.5 s clips; the bow 0.6 s long (0.2 s up, 0.2 held, 0.2 down) */
            double t0 = end ? 1.5 - 0.6 - k / 30.0 : k / 30.0;
            if (!g1_bow_at(&r, &m, &m0, 1.5, 30, t0, 0.45, 0.2))
                return;
            if (jw < 0)
                jw = lfd_robot_find_joint(r, "waist_pitch_joint");
            lfd_err err = {0};
            lfd_rt_torque_fig fig;
            CHECK_OK(lfd_rt_torque_step(r, &m, &fig, &err), &err);
            check_fig after = check_of(r, &m, LFD_CK_TORQUE, jw);
            double lim = r->joints[jw].torque_max;
            if (fabs(after.torque_peak / lim - fig.ratio_after) > 1e-9) {
                fprintf(stderr, "bow from %.3f s: step %.9f, lfd check %.9f\n", t0, fig.ratio_after,
                        after.torque_peak / lim);
                CHECK(!"the step's figure is not lfd check's");
            }
            tried += fig.windows > 0;
            lfd_motion_free(&m);
            lfd_motion_free(&m0);
        }
    }
    CHECK(tried > 10);
    lfd_robot_free(&r);
}

/* Above 146 fps one peak's window (0.3 s either side) is longer than the
   90 frames a cluster of peaks may take: the step sized its buffers for 90
   and wrote past them (a review found `lfd retarget --fps 147` aborting).
   The quick bow at 200 fps comes back within the limit. */
TEST(retarget_torque_step_at_200_fps)
{
    lfd_robot *r = NULL;
    lfd_motion m, m0;
    if (!g1_bow_at(&r, &m, &m0, 2.5, 200, 1.0, 0.45, 0.2))
        return;
    int jw = lfd_robot_find_joint(r, "waist_pitch_joint");
    lfd_err err = {0};
    lfd_rt_torque_fig fig;
    CHECK_OK(lfd_rt_torque_step(r, &m, &fig, &err), &err);
    CHECK(fig.ratio_before > 1.1);
    CHECK(fig.windows > 0);
    check_fig after = check_of(r, &m, LFD_CK_TORQUE, jw);
    CHECK_EQ_INT(after.fails_kind, 0);
    CHECK(fabs(after.torque_peak / r->joints[jw].torque_max - fig.ratio_after) < 1e-9);
    lfd_motion_free(&m);
    lfd_motion_free(&m0);
    lfd_robot_free(&r);
}

/* A ../shared clip and G1 loaded (skips without ../shared and under
   Valgrind: what); 0 if either failed to load (the failure checked). */
static int shared_g1(const char *name, const char *what, lfd_robot **r, lfd_human *h)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    if (lfd_test_under_valgrind())
        SKIP(what);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    lfd_err err = {0};
    *r = NULL;
    memset(h, 0, sizeof *h);
    CHECK_OK(lfd_robot_load(r, "g1", &err), &err);
    CHECK_OK(lfd_human_load(h, path, NULL, &err), &err);
    if (*r && h->nframes)
        return 1;
    lfd_robot_free(r);
    lfd_human_free(h);
    return 0;
}

/* h retargeted onto r at 30 fps with the defaults, the torque step on or off */
static int retarget_30(const lfd_robot *r, const lfd_human *h, int torque_step, lfd_motion *m,
                       lfd_retarget_report *rep)
{
    lfd_err err = {0};
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    o.fps = 30;
    o.torque_step = torque_step;
    int rc = lfd_retarget_human(r, h, &o, m, rep, &err);
    CHECK_OK(rc, &err);
    return rc;
}

/* The CMU bend-scoop onto G1 at 30 fps (default options): the waist pitch
   asked 1.28 of its 35 N m before the step (the trunk bent to the end of
   the waist's range while the pelvis reverses its fall at the squat's
   bottom); with the step lfd check finds no torque failure and the motion
   passes (warn), the hands within the report's 3 cm. */
TEST(retarget_torque_step_bend_scoop_g1_passes)
{
    lfd_robot *r = NULL;
    lfd_human h;
    if (!shared_g1("cmu_daz_02_06_bend_scoop_lift.bvh", "retargets an 18 s clip twice: too slow under Valgrind", &r, &h))
        return;
    int jw = lfd_robot_find_joint(r, "waist_pitch_joint");
    for (int on = 1; on >= 0; on--) {
        lfd_motion m;
        lfd_retarget_report rep;
        if (retarget_30(r, &h, on, &m, &rep))
            break;
        check_fig cf = check_of(r, &m, LFD_CK_TORQUE, -1);
        if (on) {
            CHECK_EQ_INT(rep.torque.measured, 1);
            CHECK(rep.torque.windows > 0);
            CHECK(rep.torque.ratio_before > 1.1);
            CHECK(rep.torque.ratio_after < 1.0);
            CHECK_EQ_INT(cf.fails_kind, 0);
            CHECK(cf.verdict != LFD_CHECK_FAIL);
            CHECK(cf.assist < 0.05);
            CHECK(rep.hand_err_mean_m < 0.03);
        } else {
            CHECK_EQ_INT(rep.torque.measured, 0);
            CHECK(cf.fails_kind > 0);
            check_fig w = check_of(r, &m, LFD_CK_TORQUE, jw);
            CHECK(w.fails_kind > 0);
        }
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* CMU 01_01 (playground jumps) onto G1 at 30 fps: the waist peaks (1.67 of
   its limit) come with the hands hanging at the hips.  The whole change the
   step first found for one of them took the left hand 15 mm into the left
   hip (lfd check: self-collision, fail); a change is now refused, or taken
   at half or a quarter, where it puts two bodies (or a body and the floor)
   deeper into each other than they were.  The written motion has the
   self-collision and floor depths of the motion without the step. */
TEST(retarget_torque_step_pushes_no_arm_into_the_body_jumps_g1)
{
    lfd_robot *r = NULL;
    lfd_human h;
    if (!shared_g1("cmu_01_01_playground_jumps.bvh", "retargets a 23 s clip twice: too slow under Valgrind", &r, &h))
        return;
    lfd_err err = {0};
    double self[2] = {-1, -1}, floor[2] = {-1, -1};
    int windows = 0;
    for (int on = 0; on < 2; on++) {
        lfd_motion m;
        lfd_retarget_report rep;
        if (retarget_30(r, &h, on, &m, &rep))
            break;
        if (on)
            windows = rep.torque.windows;
        lfd_check_report *cr = NULL;
        CHECK_OK(lfd_check_report_new(&cr, &err), &err);
        if (cr && lfd_check_run(r, &m, NULL, cr, &err) == LFD_OK) {
            self[on] = cr->self_depth_max_m;
            floor[on] = cr->floor_depth_max_m;
        }
        lfd_check_report_free(&cr);
        lfd_motion_free(&m);
    }
    CHECK(windows > 0);
    CHECK(self[0] >= 0 && self[1] <= self[0] + 1e-4);
    CHECK(floor[0] >= 0 && floor[1] <= floor[0] + 1e-4);
    fprintf(stderr, "jumps g1: self-collision %.1f -> %.1f mm, floor %.1f -> %.1f mm, %d windows\n",
            1e3 * self[0], 1e3 * self[1], 1e3 * floor[0], 1e3 * floor[1], windows);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}
