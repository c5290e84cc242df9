/*  Benchmarks of the safety check (sim/lfd_check.h): frames per second of
    the per-frame checks (kinematic: range, velocity; geometric: self and
    floor collisions, foot contacts, hand/foot speed; dynamic: inverse
    dynamics, ground-wrench QP, balance, torque) on one core, next to the
    bare MuJoCo cost of mj_kinematics + mj_comPos + mj_collision + mj_rne
    per frame on the same frames (mj_comPos is included because mj_rne
    needs its output), measured interleaved in the same run; and the wall
    time of the tracking simulation of a 10 s clip.  Clip: a 10 s squat with
    an arm swing at 30 fps (tests/lfd_poses.h), the same every run. */
#include <stdio.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "sim/lfd_check.h"
#include "tests/lfd_poses.h"

static void bench_robot(const char *name)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    if (lfd_robot_load(&r, name, &err)) {
        fprintf(stderr, "bench_check: %s\n", err.msg);
        return;
    }
    lfd_motion mo;
    if (lfd_pose_squat(r, &mo, 10, 30, 0.3, 4, &err)) {
        fprintf(stderr, "bench_check: %s\n", err.msg);
        lfd_robot_free(&r);
        return;
    }
    lfd_pose_add_joint(r, &mo, "left_shoulder_pitch", -0.6, 3, 5, 1);
    lfd_checker *c = NULL;
    lfd_check_ws *ws = NULL;
    lfd_check_report *rep = NULL;
    if (lfd_check_report_new(&rep, &err) || lfd_checker_new(&c, r, &err) ||
        lfd_check_ws_new(&ws, c, &err)) {
        fprintf(stderr, "bench_check: %s\n", err.msg);
        goto done;
    }
    const mjModel *m = lfd_checker_model(c);
    mjData *d = mj_makeData(m);
    double *f = mju_malloc(sizeof(double) * (size_t)m->nv);
    lfd_check_opts o;
    lfd_check_opts_init(&o);
    int n = mo.nframes, rounds = 20;
    double t_check = 0, t_base = 0;
    for (int k = 0; k < rounds; k++) {
        /* the checker (range, velocity, torque, self, floor, balance) */
        double t0 = lfd_now_s();
        lfd_check_motion(c, ws, &mo, &o, rep, &err);
        t_check += lfd_now_s() - t0;
        /* the bare MuJoCo calls on the same frames */
        t0 = lfd_now_s();
        for (int i = 0; i < n; i++) {
            memcpy(d->qpos, lfd_motion_frame(&mo, i), sizeof(double) * (size_t)m->nq);
            mj_kinematics(m, d);
            mj_comPos(m, d);
            mj_collision(m, d);
            mj_rne(m, d, 1, f);
        }
        t_base += lfd_now_s() - t0;
    }
    int verdict = rep->verdict;
    /* the tracking simulation alone, 10 s of motion */
    lfd_check_opts ot = o;
    ot.checks = 1u << LFD_CG_TRACK;
    double t_track = 1e9;
    for (int k = 0; k < 3; k++) {
        double t0 = lfd_now_s();
        lfd_check_motion(c, ws, &mo, &ot, rep, &err);
        double t = lfd_now_s() - t0;
        t_track = t < t_track ? t : t_track;
    }
    /* everything, tracking included */
    lfd_check_opts oa = o;
    oa.checks |= 1u << LFD_CG_TRACK;
    double t0 = lfd_now_s();
    lfd_check_motion(c, ws, &mo, &oa, rep, &err);
    double t_all = lfd_now_s() - t0;

    char bname[64];
    snprintf(bname, sizeof bname, "check_%s", name);
    lfd_bench_report b;
    lfd_bench_begin(&b, bname);
    lfd_bench_num(&b, "frames", n);
    lfd_bench_num(&b, "check_frames_per_s", n * rounds / t_check);
    lfd_bench_num(&b, "check_us_per_frame", t_check / (n * rounds) * 1e6);
    lfd_bench_num(&b, "baseline_kin_col_rne_us_per_frame", t_base / (n * rounds) * 1e6);
    lfd_bench_num(&b, "baseline_frames_per_s", n * rounds / t_base);
    lfd_bench_num(&b, "check_over_baseline", t_check / t_base);
    lfd_bench_num(&b, "track_10s_clip_s", t_track);
    /* the tracking run's own time (it was divided by the run of every check
       with tracking: 56 sim-s per wall-s where tracking alone ran 69) */
    lfd_bench_num(&b, "track_sim_s_per_wall_s", rep->track.sim_s / (t_track > 0 ? t_track : 1));
    lfd_bench_num(&b, "all_checks_with_track_s", t_all);
    lfd_bench_num(&b, "all_checks_with_track_frames_per_s", n / t_all);
    lfd_bench_str(&b, "verdict", lfd_check_verdict_name(verdict));
    lfd_bench_end(&b);
    mju_free(f);
    mj_deleteData(d);
done:
    lfd_check_report_free(&rep);
    lfd_check_ws_free(&ws);
    lfd_checker_free(&c);
    lfd_motion_free(&mo);
    lfd_robot_free(&r);
}

BENCH(check_h1) { bench_robot("h1"); }
BENCH(check_g1) { bench_robot("g1"); }
