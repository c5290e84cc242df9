/*  IK solver benchmark on MuJoCo's sample humanoid: a smooth 120 Hz
    trajectory of 11 body targets (positions, and orientations of torso,
    pelvis and feet), solved frame by frame warm-started, against the bare
    cost of one mj_kinematics + mj_comPos + 11 body Jacobians per frame,
    measured in the same run.  The retargeting benchmark proper (real clips
    on H1) is bench_retarget. */
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_quat.h"
#include "core/lfd_util.h"
#include "retarget/lfd_ik.h"

static const char *BODIES[] = {"torso", "head", "right_hand", "left_hand", "right_lower_arm",
                               "left_lower_arm", "right_foot", "left_foot", "right_shin",
                               "left_shin", "pelvis"};
enum { NT = 11, FRAMES = 1200 };

BENCH(ik_humanoid)
{
    char msg[1000];
    mjModel *m = mj_loadXML("/usr/share/mujoco/model/humanoid/humanoid.xml", NULL, msg, sizeof msg);
    if (!m)
        return;
    mjData *d = mj_makeData(m);
    lfd_ik *ik;
    lfd_ik_ws *ws;
    lfd_err err;
    lfd_ik_new(&ik, m, NULL, &err);
    int body[NT];
    for (int k = 0; k < NT; k++) {
        body[k] = mj_name2id(m, mjOBJ_BODY, BODIES[k]);
        int rot = k == 0 || k == 6 || k == 7 || k == 10;
        lfd_ik_add_task(ik, body[k], NULL, NULL, 1.0, rot ? 0.3 : 0, &err);
    }
    ik->floor_z = -100;
    lfd_ik_ws_new(&ws, ik, &err);
    /* targets: FK of a smooth joint-space trajectory */
    double *q0 = malloc(sizeof(double) * (size_t)m->nq);
    double *pos = malloc(sizeof(double) * 3 * NT * FRAMES);
    double *quat = malloc(sizeof(double) * 4 * NT * FRAMES);
    for (int f = 0; f < FRAMES; f++) {
        memcpy(d->qpos, m->qpos0, sizeof(double) * (size_t)m->nq);
        d->qpos[2] = 1.25;
        d->qpos[0] = 0.5 * f / 120.0;
        for (int j = 1; j < m->njnt; j++) {
            double lo = m->jnt_range[2 * j], hi = m->jnt_range[2 * j + 1];
            d->qpos[m->jnt_qposadr[j]] = 0.5 * (lo + hi) + 0.3 * (hi - lo) * sin(2 * M_PI * 0.7 * f / 120.0 + j);
        }
        mj_kinematics(m, d);
        if (f == 0)
            memcpy(q0, d->qpos, sizeof(double) * (size_t)m->nq);
        for (int k = 0; k < NT; k++) {
            memcpy(pos + 3 * (NT * f + k), d->xpos + 3 * body[k], 3 * sizeof(double));
            memcpy(quat + 4 * (NT * f + k), d->xquat + 4 * body[k], 4 * sizeof(double));
        }
    }
    double *q = malloc(sizeof(double) * (size_t)m->nq), *qprev = malloc(sizeof(double) * (size_t)m->nq);
    double *jac = malloc(sizeof(double) * 6 * (size_t)m->nv);
    double best_ik = 1e9, best_bare = 1e9, err_sum = 0;
    for (int rep = 0; rep < 5; rep++) {
        /* interleave: the bare pass, then the solver, five times; keep the best */
        double t0 = lfd_now_s();
        for (int f = 0; f < FRAMES; f++) {
            mj_kinematics(m, d);
            mj_comPos(m, d);
            for (int k = 0; k < NT; k++)
                mj_jacBody(m, d, jac, jac + 3 * m->nv, body[k]);
        }
        double t1 = lfd_now_s();
        memcpy(q, q0, sizeof(double) * (size_t)m->nq);
        err_sum = 0;
        for (int f = 0; f < FRAMES; f++) {
            memcpy(qprev, q, sizeof(double) * (size_t)m->nq);
            lfd_ik_frame fr = {pos + 3 * NT * f, quat + 4 * NT * f, NULL, NULL, f ? qprev : NULL, 1.0 / 120, 0, NULL, NULL};
            lfd_ik_result r;
            lfd_ik_solve(ik, ws, &fr, q, &r);
            for (int k = 0; k < NT; k++)
                err_sum += r.pos_err_m[k];
            if (getenv("LFD_BENCH_DEBUG") && rep == 0 && f % 100 == 0)
                fprintf(stderr, "frame %d: it %d cost %g err0 %g err2 %g\n", f, r.iterations, r.cost, r.pos_err_m[0], r.pos_err_m[2]);
        }
        double t2 = lfd_now_s();
        best_bare = (t1 - t0) < best_bare ? (t1 - t0) : best_bare;
        best_ik = (t2 - t1) < best_ik ? (t2 - t1) : best_ik;
    }
    lfd_bench_report rep;
    lfd_bench_begin(&rep, "ik_humanoid");
    lfd_bench_num(&rep, "frames", FRAMES);
    lfd_bench_num(&rep, "ik_frames_per_s", FRAMES / best_ik);
    lfd_bench_num(&rep, "ik_us_per_frame", best_ik / FRAMES * 1e6);
    lfd_bench_num(&rep, "baseline_kin_com_11jac_us", best_bare / FRAMES * 1e6);
    lfd_bench_num(&rep, "ratio_ik_to_baseline", best_ik / best_bare);
    lfd_bench_num(&rep, "mean_pos_err_m", err_sum / (FRAMES * NT));
    lfd_bench_end(&rep);
    free(pos);
    free(quat);
    free(q);
    free(q0);
    free(qprev);
    free(jac);
    lfd_ik_ws_free(&ws);
    lfd_ik_free(&ik);
    mj_deleteData(d);
    mj_deleteModel(m);
}
