/*  Robot benchmarks: loading a robot (MJCF compile + description + hash) and
    the cost of lfd's standard controller (lfd_robot_ff_control) per control
    step next to a bare mj_step of the same model, measured in the same run
    (tracking simulation in `lfd check --track` pays both per step). */
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "robots/lfd_robot.h"

static void bench_robot(const char *name)
{
    lfd_err err = {0};
    lfd_robot *r = NULL;
    int loads = 5;
    double t0 = lfd_now_s();
    for (int i = 0; i < loads; i++) {
        lfd_robot_free(&r);
        if (lfd_robot_load(&r, name, &err)) {
            lfd_log(LFD_LOG_ERROR, "bench robots: %s", err.msg);
            return;
        }
    }
    double load_ms = (lfd_now_s() - t0) / loads * 1e3;
    const mjModel *m = r->m;
    mjData *d = mj_makeData(m);
    lfd_robot_ff *ff = NULL;
    if (!d || lfd_robot_ff_new(&ff, r, &err)) {
        lfd_robot_free(&r);
        return;
    }
    int steps = 2000, rounds = 5;
    double t_loop = 0, t_step = 0, t_ff = 0, t_pd = 0;
    /* interleaved rounds from the same standing start: controller + step,
       bare steps (controls held), the controller alone, PD alone */
    for (int k = 0; k < rounds; k++) {
        memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
        memset(d->qvel, 0, (size_t)m->nv * sizeof(double));
        mj_forward(m, d);
        double a = lfd_now_s();
        for (int i = 0; i < steps; i++) {
            lfd_robot_ff_control(ff, d->qpos, d->qvel, r->qpos_default, NULL, NULL, NULL, d->ctrl,
                                 NULL, NULL);
            mj_step(m, d);
        }
        double b = lfd_now_s();
        memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
        memset(d->qvel, 0, (size_t)m->nv * sizeof(double));
        double c = lfd_now_s();
        for (int i = 0; i < steps; i++)
            mj_step(m, d);
        double e = lfd_now_s();
        for (int i = 0; i < steps; i++)
            lfd_robot_ff_control(ff, r->qpos_default, d->qvel, r->qpos_default, NULL, NULL, NULL,
                                 d->ctrl, NULL, NULL);
        double f = lfd_now_s();
        for (int i = 0; i < steps; i++)
            lfd_robot_pd(r, d->qpos, d->qvel, r->qpos_default, NULL, NULL, d->ctrl, NULL);
        double g = lfd_now_s();
        t_loop += b - a;
        t_step += e - c;
        t_ff += f - e;
        t_pd += g - f;
    }
    double n = (double)steps * rounds;
    char bname[64];
    snprintf(bname, sizeof bname, "robots_control_%s", name);
    lfd_bench_report rep;
    lfd_bench_begin(&rep, bname);
    lfd_bench_num(&rep, "load_ms", load_ms);
    lfd_bench_num(&rep, "control_loop_us", t_loop / n * 1e6);
    lfd_bench_num(&rep, "ff_control_us", t_ff / n * 1e6);
    lfd_bench_num(&rep, "pd_only_us", t_pd / n * 1e6);
    lfd_bench_num(&rep, "baseline_mj_step_us", t_step / n * 1e6);
    lfd_bench_num(&rep, "sim_s_per_wall_s", m->opt.timestep / (t_loop / n));
    lfd_bench_end(&rep);
    lfd_robot_ff_free(&ff);
    mj_deleteData(d);
    lfd_robot_free(&r);
}

BENCH(robots_control)
{
    bench_robot("h1");
    bench_robot("g1");
    bench_robot("humanoid");
}
