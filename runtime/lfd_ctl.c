/*  lfd_ctl: the example controller behind `lfd ctl-demo` (see lfd_ctl.h). */
/* Built when the robots layer is present (robots/lfd_robot.h). */
#include "runtime/lfd_ctl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lfd_util.h"
#include "policies/lfd_dataset.h"
#include "policies/lfd_policy.h"
#include "sim/lfd_simloop.h"
#include "runtime/lfd_client.h"

void lfd_ctl_opts_init(lfd_ctl_opts *o)
{
    memset(o, 0, sizeof *o);
    o->hz = 500;
    o->seconds = 5;
    o->timeout_s = 1;
}

static void sleep_until(double t)
{
    struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

int lfd_ctl_run(const lfd_robot *r, const lfd_ctl_opts *o, lfd_ctl_report *rep, lfd_err *err)
{
    memset(rep, 0, sizeof *rep);
    if (!(o->hz >= 1 && o->hz <= 10000) || !(o->seconds > 0 && o->seconds <= 3600))
        return lfd_fail(err, LFD_EARG, "control rate %g Hz and duration %g s out of range",
                        o->hz, o->seconds);
    int nj = r->njoints, nq = r->nq;
    double period = 1.0 / o->hz;
    /* whole simulation steps per control period: when the model's step does
       not divide the period, a copy of the model takes the largest step that
       does and is not longer than the model's own */
    mjModel *own = NULL;
    const mjModel *m = r->m;
    int sub = (int)ceil(period / m->opt.timestep - 1e-9);
    if (fabs(sub * m->opt.timestep - period) > 1e-12) {
        own = mj_copyModel(NULL, r->m);
        if (!own)
            return lfd_fail(err, LFD_ENOMEM, "cannot copy the model");
        own->opt.timestep = period / sub;
        m = own;
    }
    rep->sim_step_s = m->opt.timestep;
    /* the client: observation "time_s" or the layout's names, actions the
       robot's joints */
    static const char *time_name[1] = {"time_s"};
    const lfd_obs_layout *L = o->obs;
    int obs_dim = L ? L->dim : 1;
    char (*onames)[LFD_NAME_MAX] = L ? calloc((size_t)obs_dim, sizeof *onames) : NULL;
    const char **obs_names = L ? calloc((size_t)obs_dim, sizeof *obs_names) : time_name;
    float *obs = calloc((size_t)obs_dim, sizeof(float));
    /* past commands, one row per tick, for the previous-action block */
    int nring = 1;
    float *ring = NULL;
    const char **act_names = calloc((size_t)nj, sizeof *act_names);
    double *q_mot = calloc((size_t)nq, sizeof(double));
    float *fbuf = calloc((size_t)(2 * nj), sizeof(float));
    int64_t nt = (int64_t)ceil(o->seconds * o->hz);
    double *tick_us = calloc((size_t)nt, sizeof(double));
    if (!act_names || !q_mot || !fbuf || !tick_us || !obs || (L && (!onames || !obs_names))) {
        if (own)
            mj_deleteModel(own);
        free(onames);
        if (L)
            free(obs_names);
        free(obs);
        free(act_names);
        free(q_mot);
        free(fbuf);
        free(tick_us);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    for (int j = 0; j < nj; j++)
        act_names[j] = r->joints[j].name;
    float *a = fbuf, *cur = a + nj;
    lfd_client_config cc;
    lfd_client_config_init(&cc);
    cc.endpoint = o->endpoint;
    cc.policy = o->policy;
    cc.client_name = "lfd ctl-demo";
    for (int i = 0; L && i < obs_dim; i++) {
        char unit[16];
        lfd_obs_name(L, i, onames[i], unit);
        obs_names[i] = onames[i];
    }
    cc.obs_dim = obs_dim;
    cc.obs_names = obs_names;
    cc.act_dim = nj;
    cc.act_names = act_names;
    cc.robot = r->name;
    cc.model_hash = r->model_hash; /* the server refuses a policy made for another model */
    cc.timeout_s = o->timeout_s;
    cc.server_key = o->server_key;
    cc.public_key = o->public_key;
    cc.secret_key = o->secret_key;
    lfd_client *c = NULL;
    lfd_simloop *s = NULL;
    int rc = lfd_client_new(&c, &cc, err);
    if (rc == LFD_OK)
        rc = lfd_simloop_new(&s, r, m, err);
    if (rc)
        goto done;
    /* the model hash covers the MJCF only: the served policy's limits and
       default pose must also be this robot's description's */
    const lfd_client_policy *pi = lfd_client_policy_info(c);
    if ((rc = lfd_policy_check_limits(pi->name, pi->act_dim, pi->default_action, pi->act_lo,
                                      pi->act_hi, pi->vel_limit, pi->acc_limit, r, err)))
        goto done;
    snprintf(rep->policy_hash, sizeof rep->policy_hash, "%s", pi->hash);
    if (L) {
        /* the ring holds one policy control period of commands */
        double pp = lfd_client_policy_info(c)->control_period_s;
        nring = (int)lround(pp * o->hz);
        nring = nring < 1 ? 1 : nring > 100000 ? 100000 : nring;
        if (!(ring = calloc((size_t)nring * (size_t)nj, sizeof(float)))) {
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
            goto done;
        }
    }
    double phase_s = o->phase_s > 0 ? o->phase_s
                     : o->ref && o->ref->nframes > 1 ? (o->ref->nframes - 1) / o->ref->fps
                                                     : o->seconds;
    /* the start: the reference's first frame, else the default pose */
    rc = lfd_simloop_reset(s, o->ref && o->ref->nq == nq ? lfd_motion_frame(o->ref, 0)
                                                         : r->qpos_default,
                           NULL, err);
    if (rc)
        goto done;
    mjData *d = s->d;
    for (int j = 0; j < nj; j++)
        cur[j] = (float)d->qpos[r->joints[j].qpos_adr];
    for (int i = 0; ring && i < nring; i++)
        memcpy(ring + (size_t)i * (size_t)nj, cur, (size_t)nj * sizeof(float));
    double z0 = r->floating ? d->qpos[2] : 0;
    rep->root_z_min_m = z0;
    rep->have_ref = o->ref && o->ref->nq == nq;
    if ((rc = lfd_client_start(c, cur, err)))
        goto done;
    /* the loop, in lockstep with the clock */
    double t0 = lfd_client_now_s() + 0.01, err_sum = 0;
    long err_n = 0;
    lfd_client_counters n0;
    lfd_client_get_counters(c, &n0);
    for (int64_t k = 0; k < nt; k++) {
        double deadline = t0 + (double)k * period;
        sleep_until(deadline);
        double w = lfd_client_now_s();
        double late = (w - deadline) * 1e6;
        rep->late_wake_us_max = late > rep->late_wake_us_max ? late : rep->late_wake_us_max;
        /* observe, read the action (wait-free) */
        if (L) {
            /* the state now; the command in force one policy period ago */
            const float *prev = ring + (size_t)(k % nring) * (size_t)nj;
            lfd_obs_build(L, d->qpos, d->qvel, prev, (deadline - t0) / phase_s, obs);
        } else {
            obs[0] = (float)(deadline - t0);
        }
        double r0 = lfd_client_now_s();
        lfd_client_put_obs(c, obs, deadline);
        lfd_tick tk;
        int st = lfd_client_get_action(c, deadline, a, &tk);
        double rd = (lfd_client_now_s() - r0) * 1e6;
        rep->read_us_max = rd > rep->read_us_max ? rd : rep->read_us_max;
        switch (st) {
        case LFD_TICK_OK: rep->ticks_ok++; break;
        case LFD_TICK_SERVER_HOLD: rep->ticks_server_hold++; break;
        case LFD_TICK_LATE: rep->ticks_late++; break;
        case LFD_TICK_STALE: rep->ticks_stale++; break;
        default: rep->ticks_no_data++; break;
        }
        rep->ticks_filtered += tk.filter_flags != 0;
        /* PD + feed-forward toward the action; joint velocity reference from the
           change of the action (a stale tick holds: zero velocity) */
        lfd_simloop_ref_hold(s);
        for (int j = 0; j < nj; j++) {
            const lfd_robot_joint *J = &r->joints[j];
            s->q_ref[J->qpos_adr] = a[j];
            if (k > 0 && st != LFD_TICK_STALE)
                s->qd_ref[J->dof_adr] = (a[j] - cur[j]) / period;
            cur[j] = a[j];
        }
        if (ring) /* this tick's command, read back nring - 1 ticks later */
            memcpy(ring + (size_t)(k % nring) * (size_t)nj, a, (size_t)nj * sizeof(float));
        /* the controller, then one control period of simulation */
        if ((rc = lfd_simloop_step(s, sub, 0, err)))
            break;
        rep->torque_clamped += s->clamped > 0;
        rep->torque_held += s->held > 0;
        /* tracking against the reference, and falls */
        if (rep->have_ref) {
            lfd_motion_state_at(o->ref, deadline - t0, q_mot, NULL);
            for (int j = 0; j < nj; j++) {
                int ad = r->joints[j].qpos_adr;
                double e = fabs(d->qpos[ad] - q_mot[ad]);
                err_sum += e;
                err_n++;
                rep->track_rad_max = e > rep->track_rad_max ? e : rep->track_rad_max;
            }
        }
        if (r->floating) {
            double z = d->qpos[2];
            rep->root_z_min_m = z < rep->root_z_min_m ? z : rep->root_z_min_m;
            if (z < 0.5 * z0)
                rep->fell = 1;
        }
        double end = lfd_client_now_s();
        tick_us[k] = (end - w) * 1e6;
        if (end > deadline + period)
            rep->overruns++;
        rep->ticks++;
    }
    rep->elapsed_s = lfd_client_now_s() - t0;
    rep->achieved_hz = rep->elapsed_s > 0 ? rep->ticks / rep->elapsed_s : 0;
    if (rep->ticks) {
        qsort(tick_us, (size_t)rep->ticks, sizeof(double), lfd_util_cmp_double);
        rep->tick_us_p50 = tick_us[rep->ticks / 2];
        rep->tick_us_p99 = tick_us[(int)((rep->ticks - 1) * 0.99)];
        rep->tick_us_max = tick_us[rep->ticks - 1];
    }
    rep->track_rad_mean = err_n ? err_sum / (double)err_n : 0;
    lfd_client_stop(c);
    lfd_client_counters n1;
    lfd_client_get_counters(c, &n1);
    rep->chunk_requests = n1.requests - n0.requests;
    rep->timeouts = n1.timeouts - n0.timeouts;
done:
    lfd_simloop_free(&s);
    lfd_client_free(&c);
    if (own)
        mj_deleteModel(own);
    free(act_names);
    free(q_mot);
    free(fbuf);
    free(tick_us);
    free(onames);
    if (L)
        free(obs_names);
    free(obs);
    free(ring);
    return rc;
}

void lfd_ctl_print(const lfd_ctl_report *rep, double hz)
{
    printf("cadence   %d ticks in %.3f s: %.1f Hz achieved (target %g Hz), %d overruns; "
           "simulation step %g ms\n",
           rep->ticks, rep->elapsed_s, rep->achieved_hz, hz, rep->overruns, rep->sim_step_s * 1e3);
    printf("tick      p50 %.1f us, p99 %.1f us, worst %.1f us (control + simulation); worst "
           "oversleep %.1f us\n",
           rep->tick_us_p50, rep->tick_us_p99, rep->tick_us_max, rep->late_wake_us_max);
    printf("actions   worst read %.2f us; ticks: %d fresh, %d server hold, %d late, %d stale "
           "(watchdog), %d before the first chunk; %d filtered on the client\n",
           rep->read_us_max, rep->ticks_ok, rep->ticks_server_hold, rep->ticks_late,
           rep->ticks_stale, rep->ticks_no_data, rep->ticks_filtered);
    printf("network   %llu chunk requests, %llu timeouts; policy %.12s\n", rep->chunk_requests,
           rep->timeouts, rep->policy_hash);
    if (rep->have_ref)
        printf("tracking  joint error mean %.4f rad, worst %.4f rad%s\n", rep->track_rad_mean,
               rep->track_rad_max, rep->torque_clamped ? " (torque limits reached)" : "");
    if (rep->root_z_min_m != 0)
        printf("balance   %s (lowest root height %.3f m)\n", rep->fell ? "FELL" : "stayed up",
               rep->root_z_min_m);
    if (rep->torque_held)
        printf("torque    joints held on damping at %d ticks: a torque was not finite\n", rep->torque_held);
}

