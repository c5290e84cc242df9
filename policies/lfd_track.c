/*  lfd_track: a policy's joint targets followed in lfd's simulation loop
    (sim/lfd_simloop.h), one control period at a time (see lfd_track.h). */
#include "policies/lfd_track.h"

#include <math.h>
#include <stdlib.h>

#include "core/lfd_util.h"
#include "sim/lfd_simloop.h"

struct lfd_track {
    const lfd_robot *r;
    lfd_simloop *sim;   /* the simulation loop (sim/lfd_simloop.h) */
    mjModel *own;       /* a copy of the model whose step divides the period (or NULL) */
    int sub;            /* simulation steps per period */
    double period_s;
    int clamped;
};

int lfd_track_new(lfd_track **out, const lfd_robot *r, double period_s, lfd_err *err)
{
    *out = NULL;
    if (!(period_s > 0 && period_s <= 10))
        return lfd_fail(err, LFD_EARG, "control period %g s is not in (0, 10]", period_s);
    lfd_track *t = calloc(1, sizeof *t);
    if (!t)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    t->r = r;
    /* whole simulation steps per period: where the model's step does not
       divide it, a copy of the model takes the largest step that does and
       is not longer than its own, as lfd ctl-demo does (the period was
       rounded to whole steps: at 0.003 s each period simulated 0.004 s, the
       training rollouts' velocities 22 % short of their labels and eval's
       chunk rows held a third too long; found by review) */
    const mjModel *m = r->m;
    t->sub = (int)ceil(period_s / m->opt.timestep - 1e-9);
    t->sub = t->sub < 1 ? 1 : t->sub;
    if (fabs(t->sub * m->opt.timestep - period_s) > 1e-12) {
        if (!(t->own = mj_copyModel(NULL, r->m))) {
            free(t);
            return lfd_fail(err, LFD_ENOMEM, "cannot copy the model");
        }
        t->own->opt.timestep = period_s / t->sub;
        m = t->own;
    }
    t->period_s = t->sub * m->opt.timestep;
    int rc = lfd_simloop_new(&t->sim, r, t->own, err);
    if (rc) {
        lfd_track_free(&t);
        return rc;
    }
    *out = t;
    return LFD_OK;
}

void lfd_track_free(lfd_track **pt)
{
    if (!pt || !*pt)
        return;
    lfd_track *t = *pt;
    lfd_simloop_free(&t->sim);
    if (t->own)
        mj_deleteModel(t->own);
    free(t);
    *pt = NULL;
}

void lfd_track_reset(lfd_track *t, const double *qpos, const double *qvel)
{
    /* the loop's reset only fails on a MuJoCo error in mj_forward, which the
       next period reports again */
    lfd_simloop_reset(t->sim, qpos, qvel, NULL);
    t->clamped = 0;
}

int lfd_track_period(lfd_track *t, const float *rows, int nrows, lfd_err *err)
{
    if (nrows < 1)
        return lfd_fail(err, LFD_EARG, "no targets for the control period");
    const lfd_robot *r = t->r;
    lfd_simloop *s = t->sim;
    /* refused before anything moves: a NaN target passes the range clamp
       below (both comparisons are false) and would reach the controller */
    for (int i = 0; i < (nrows > 1 ? 2 : 1) * r->njoints; i++)
        if (!isfinite(rows[i]))
            return lfd_fail(err, LFD_ENUMERIC, "target for joint %s (row %d) is not finite (%g)",
                            r->joints[i % r->njoints].name, i / r->njoints, (double)rows[i]);
    int rc = LFD_OK;
    for (int k = 0; k < t->sub && rc == LFD_OK; k++) {
        /* targets linear from row 0 to row 1 over the period, in range */
        double u = (double)k / t->sub;
        lfd_simloop_ref_hold(s);
        for (int j = 0; j < r->njoints; j++) {
            const lfd_robot_joint *J = &r->joints[j];
            double q0 = rows[j], q1 = nrows > 1 ? rows[r->njoints + j] : q0;
            double q = q0 + u * (q1 - q0);
            s->q_ref[J->qpos_adr] = q < J->range_lo ? J->range_lo : q > J->range_hi ? J->range_hi : q;
            s->qd_ref[J->dof_adr] = (q1 - q0) / t->period_s;
        }
        /* PD + feed-forward at the measured state, then one step */
        rc = lfd_simloop_step(s, 1, 0, err);
        t->clamped += s->clamped > 0;
    }
    if (rc == LFD_OK && !lfd_util_all_finite(s->d->qpos, r->nq))
        rc = lfd_fail(err, LFD_ENUMERIC, "simulation diverged at %.3f s", s->d->time);
    return rc;
}

const double *lfd_track_qpos(const lfd_track *t) { return t->sim->d->qpos; }
const double *lfd_track_qvel(const lfd_track *t) { return t->sim->d->qvel; }
double lfd_track_period_s(const lfd_track *t) { return t->period_s; }
int lfd_track_clamped_steps(const lfd_track *t) { return t->clamped; }

double lfd_track_tilt_rad(const lfd_track *t)
{
    if (!t->r->floating)
        return 0;
    const double *q = t->sim->d->qpos + 3;
    return acos(fmin(1.0, fmax(-1.0, 1 - 2 * (q[1] * q[1] + q[2] * q[2]))));
}
