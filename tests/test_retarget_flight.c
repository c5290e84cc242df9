/*  The flight step of `lfd retarget` (retarget/lfd_retarget_flight.c,
    docs/retarget.md part 26): where both feet are off the floor the centre
    of mass falls freely and the angular momentum about it holds.
    - a hop of G1 whose root rises and falls on a raised cosine (6 cm, 0.4
      s: its flight is not a free fall) comes back in free fall: the
      ground's wrench in its flight frames is under 1 % of the weight, where
      was a whole weight at its edges, lfd check's external help falls below
      its threshold, the push spread over the frames next to it: 0.4 s away
      the pose moved by under 10 mrad (the least-squares solution's tail),
      the first and last 0.1 s not at all;
    - a bob that never takes a sole corner 2 cm off the floor is no flight,
      and a hop still in the air at the clip's end has nothing to land on
      within it: either comes back bit for bit;
    - on ../shared's CMU playground jumps (G1 at 30 fps, H1 at the clip's
      own 120 Hz) every flight ends in free fall, and lfd check's frames
      needing help fall to under half of those with the step off (skipped
      without ../shared and under Valgrind). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/lfd_human.h"
#include "retarget/lfd_retarget.h"
#include "retarget/lfd_retarget_int.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"
#include "tests/lfd_poses.h"
#include "tests/lfd_test.h"

/* G1 standing 3 s at fps whose root rises by hop_m and comes back on a
   raised cosine over dur_s from t0 (g1_hop: t0 = 1 s); its retargeter
   (robot as the person) for the legs' IK */
static int g1_hop_at(lfd_robot **r, lfd_retargeter **rt, lfd_motion *m, double hop_m, double t0,
                     double dur_s, double fps)
{
    lfd_err err = {0};
    *r = NULL;
    *rt = NULL;
    memset(m, 0, sizeof *m);
    CHECK_OK(lfd_robot_load(r, "g1", &err), &err);
    if (!*r)
        return 0;
    CHECK_OK(lfd_pose_stand(*r, m, 3.0, fps, &err), &err);
    for (int k = 0; k < m->nframes; k++) {
        double t = k / m->fps - t0;
        if (t > 0 && t < dur_s)
            lfd_motion_frame(m, k)[2] += 0.5 * hop_m * (1 - cos(2 * M_PI * t / dur_s));
    }
    lfd_retarget_calib c;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    CHECK_OK(lfd_retarget_calib_from_robot(*r, &c, &err), &err);
    CHECK_OK(lfd_retargeter_new(rt, *r, &c, &o, &err), &err);
    int n = (int)lround(3 * fps) + 1;
    CHECK_EQ_INT(m->nframes, n);
    return *rt != NULL && m->nframes == n;
}

static int g1_hop(lfd_robot **r, lfd_retargeter **rt, lfd_motion *m, double hop_m, double dur_s,
                  double fps)
{
    return g1_hop_at(r, rt, m, hop_m, 1.0, dur_s, fps);
}

/* the largest ground force and moment about the CoM in the frames where
   lfd_rt_support_gap finds no sole corner near the floor, as shares of the
   weight (moment at FLIGHT_MOMENT_ARM_M), and how many such frames */
static int flight_wrench(const lfd_robot *r, const lfd_motion *m, double *force, double *moment)
{
    int n = m->nframes, nf = 0;
    double *F = malloc(6 * (size_t)n * sizeof(double)), *N = F + 3 * n;
    lfd_err err = {0};
    *force = *moment = 0;
    CHECK(F != NULL);
    if (!F)
        return 0;
    CHECK_OK(lfd_rt_motion_wrench(r, m, F, N, &err), &err);
    double w = r->mass_kg * 9.81;
    mjData *d = mj_makeData(r->m);
    for (int k = 1; k + 1 < n; k++) {
        memcpy(d->qpos, lfd_motion_frame(m, k), (size_t)m->nq * sizeof(double));
        mj_kinematics(r->m, d);
        mj_comPos(r->m, d);
        /* in flight: both soles' lowest corners 2 cm up or more */
        if (lfd_rt_foot_lowest(r, d, 0) < DYN_CONTACT_M || lfd_rt_foot_lowest(r, d, 1) < DYN_CONTACT_M)
            continue;
        nf++;
        const double *c = d->subtree_com + 3, *f = F + 3 * k, *t = N + 3 * k;
        double tc[3] = {t[0] - (c[1] * f[2] - c[2] * f[1]), t[1] - (c[2] * f[0] - c[0] * f[2]),
                        t[2] - (c[0] * f[1] - c[1] * f[0])};
        *force = fmax(*force, sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]) / w);
        *moment = fmax(*moment, sqrt(tc[0] * tc[0] + tc[1] * tc[1] + tc[2] * tc[2]) / (w * FLIGHT_MOMENT_ARM_M));
    }
    mj_deleteData(d);
    free(F);
    return nf;
}

static double check_help(const lfd_robot *r, const lfd_motion *m, int *assist_frames)
{
    lfd_check_report *cr = NULL;
    lfd_err err = {0};
    double a = -1;
    CHECK_OK(lfd_check_report_new(&cr, &err), &err);
    if (cr && lfd_check_run(r, m, NULL, cr, &err) == LFD_OK) {
        a = cr->assist_max;
        if (assist_frames)
            *assist_frames = cr->assist_frames;
    }
    lfd_check_report_free(&cr);
    return a;
}

TEST(retarget_flight_step_makes_a_hop_fall_freely)
{
    lfd_robot *r;
    lfd_retargeter *rt;
    lfd_motion m, m0;
    int ok = g1_hop(&r, &rt, &m, 0.06, 0.4, 30);
    CHECK(ok);
    if (!ok)
        goto done;
    lfd_err err = {0};
    CHECK_OK(lfd_motion_copy(&m0, &m, &err), &err);
    double f0, t0, f1, t1;
    int nf0 = flight_wrench(r, &m, &f0, &t0);
    /* the raised cosine's fall is gentler than gravity: the ground would
       have to hold the robot up while nothing touches it */
    CHECK(nf0 >= 4);
    CHECK(f0 > 0.9); /* at the flight's edges the CoM barely accelerates */
    double help0 = check_help(r, &m, NULL);
    CHECK(help0 > 0.2);

    lfd_rt_flight_fig fig;
    CHECK_OK(lfd_rt_flight_step(rt, &m, &fig, &err), &err);
    CHECK_EQ_INT(fig.phases, 1);
    CHECK_EQ_INT(fig.phases_kept, 1);
    CHECK_EQ_INT(fig.frames, nf0);
    CHECK(fig.acc_err_before > 2.5);
    CHECK(fig.acc_err_after < 0.1);
    CHECK(fig.shift_max_m > 0.005 && fig.shift_max_m < 0.1);

    /* measured apart from the step: free fall in every flight frame */
    int nf1 = flight_wrench(r, &m, &f1, &t1);
    CHECK(nf1 >= nf0 - 1);
    CHECK(f1 < 0.01);
    CHECK(t1 < 0.01);
    double help1 = check_help(r, &m, NULL);
    CHECK(help1 < 0.2);
    fprintf(stderr, "hop g1: %d flight frames, wrench %.3f -> %.4f, moment %.3f -> %.4f (weights), help %.2f -> %.2f\n",
            nf0, f0, f1, t0, t1, help0, help1);
    /* before the crouch and after the landing almost nothing moved */
    for (int k = 0; k < m.nframes; k++) {
        const double *q = lfd_motion_frame(&m, k), *q0 = lfd_motion_frame(&m0, k);
        double dmax = 0;
        for (int i = 0; i < m.nq; i++)
            dmax = fmax(dmax, fabs(q[i] - q0[i]));
        if (k < 21 || k > 51) /* 0.4 s from the flight (frames 33-39): the solve's tail */
            CHECK(dmax < 1e-2);
        if (k < 4 || k > 70)
            CHECK(dmax < 1e-4);
    }
    lfd_motion_free(&m0);
done:
    lfd_motion_free(&m);
    lfd_retargeter_free(&rt);
    lfd_robot_free(&r);
}

/* the same hop at 120 fps: a millimetre of the legs' IK at a flight's edge
   is 14 m/s^2 there */
TEST(retarget_flight_step_makes_a_hop_fall_freely_at_120_fps)
{
    lfd_robot *r;
    lfd_retargeter *rt;
    lfd_motion m;
    int ok = g1_hop(&r, &rt, &m, 0.06, 0.4, 120);
    CHECK(ok);
    if (!ok)
        goto done;
    lfd_err err = {0};
    double f0, t0, f1, t1;
    int nf0 = flight_wrench(r, &m, &f0, &t0);
    CHECK(nf0 >= 16);
    CHECK(f0 > 0.9);
    lfd_rt_flight_fig fig;
    CHECK_OK(lfd_rt_flight_step(rt, &m, &fig, &err), &err);
    CHECK_EQ_INT(fig.phases, 1);
    CHECK_EQ_INT(fig.phases_kept, 1);
    CHECK(fig.acc_err_after < 0.2);
    flight_wrench(r, &m, &f1, &t1);
    CHECK(f1 < 0.02);
    CHECK(t1 < 0.02);
    fprintf(stderr, "hop g1 at 120 fps: %d flight frames, wrench %.3f -> %.4f, moment %.3f -> %.4f (weights)\n",
            nf0, f0, f1, t0, t1);
done:
    lfd_motion_free(&m);
    lfd_retargeter_free(&rt);
    lfd_robot_free(&r);
}

/* G1's hop of hop_m from t0 over dur_s at 30 fps through the step, which
   finds `phases` flights and must leave the motion bit for bit */
static void step_leaves_hop_alone(double hop_m, double t0, double dur_s, int phases)
{
    lfd_robot *r;
    lfd_retargeter *rt;
    lfd_motion m, m0;
    int ok = g1_hop_at(&r, &rt, &m, hop_m, t0, dur_s, 30);
    CHECK(ok);
    if (ok) {
        lfd_err err = {0};
        CHECK_OK(lfd_motion_copy(&m0, &m, &err), &err);
        lfd_rt_flight_fig fig;
        CHECK_OK(lfd_rt_flight_step(rt, &m, &fig, &err), &err);
        CHECK_EQ_INT(fig.phases, phases);
        CHECK_EQ_INT(fig.phases_kept, 0);
        CHECK(memcmp(m.qpos, m0.qpos, (size_t)m.nframes * (size_t)m.nq * sizeof(double)) == 0);
        lfd_motion_free(&m0);
    }
    lfd_motion_free(&m);
    lfd_retargeter_free(&rt);
    lfd_robot_free(&r);
}

/* A hop still in the air at the clip's last frame has nothing to land on
   within the clip: the step leaves it as it is (it pulled the last frame 20
   cm down to the floor, review). */
TEST(retarget_flight_step_leaves_a_flight_at_the_clips_end_alone) { step_leaves_hop_alone(0.10, 2.55, 0.9, 1); }

/* G1 held 20 cm up for about a second: no free fall is near that (a
   flight of 0.9 s rises a metre), and the push that would make it one dove
   the root under the floor and slid the feet tens of centimetres (review,
   on a BVH whose pelvis was raised 20 cm for 0.9 s).  The step drops such
   a flight: the motion comes back bit for bit. */
TEST(retarget_flight_step_leaves_a_held_up_body_alone) { step_leaves_hop_alone(0.20, 0.8, 1.2, 1); }

/* a 1.5 cm bob: the soles never 2 cm off the floor */
TEST(retarget_flight_step_leaves_a_motion_without_flight_unchanged) { step_leaves_hop_alone(0.015, 1.0, 0.4, 0); }

/* CMU 01_01 (playground jumps, 120 Hz) onto robot at out_fps (0: the
   clip's own rate), the flight step on and off: with it every flight is in
   free fall, and lfd check's frames needing help fall to under half */
static void shared_jumps(const char *robot, double out_fps)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    if (lfd_test_under_valgrind())
        SKIP("retargets a 23 s clip twice: too slow under Valgrind");
    char path[1200];
    snprintf(path, sizeof path, "%s/cmu_01_01_playground_jumps.bvh", dir);
    lfd_err err = {0};
    lfd_robot *r = NULL;
    lfd_human h;
    memset(&h, 0, sizeof h);
    CHECK_OK(lfd_robot_load(&r, robot, &err), &err);
    CHECK_OK(lfd_human_load(&h, path, NULL, &err), &err);
    int frames[2] = {-1, -1};
    double help[2] = {-1, -1};
    for (int on = 0; r && h.nframes && on < 2; on++) {
        lfd_retarget_opts o;
        lfd_retarget_opts_init(&o);
        o.progress = 0;
        o.fps = out_fps;
        o.flight_step = on;
        lfd_motion m;
        lfd_retarget_report rep;
        int rc = lfd_retarget_human(r, &h, &o, &m, &rep, &err);
        CHECK_OK(rc, &err);
        if (rc)
            break;
        help[on] = check_help(r, &m, &frames[on]);
        if (on) {
            CHECK(rep.flight.phases >= 8);
            CHECK_EQ_INT(rep.flight.phases_kept, rep.flight.phases);
            CHECK(rep.flight.acc_err_before > 5);
            CHECK(rep.flight.acc_err_after < 0.5);
            CHECK(rep.flight.moment_after < 0.1 * rep.flight.moment_before);
            CHECK(rep.hand_err_mean_m < 0.03);
        } else {
            CHECK_EQ_INT(rep.flight.phases, 0);
        }
        lfd_motion_free(&m);
    }
    CHECK(frames[0] > 100);
    CHECK(frames[1] >= 0 && frames[1] < frames[0] / 2);
    CHECK(help[1] >= 0 && help[1] < help[0]);
    fprintf(stderr, "jumps %s at %g fps: frames needing help %d -> %d, help max %.2f -> %.2f\n", robot,
            out_fps, frames[0], frames[1], help[0], help[1]);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

TEST(retarget_flight_step_jumps_g1_30fps) { shared_jumps("g1", 30); }

TEST(retarget_flight_step_jumps_h1_own_rate) { shared_jumps("h1", 0); }
