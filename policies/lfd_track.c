/*  lfd_track: PD + feed-forward tracking of joint targets in MuJoCo (see
    lfd_track.h). */
#include "policies/lfd_track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "robots/lfd_mj.h"

struct lfd_track {
    const lfd_robot *r;
    mjData *d;
    lfd_robot_ff *ff;
    int sub;            /* simulation steps per period */
    double period_s;
    double *q_ref, *qd_ref;
    const float *rows;  /* the current period's targets */
    int nrows;
    int clamped;
};

static int make_data(void *arg)
{
    lfd_track *t = arg;
    t->d = mj_makeData(t->r->m);
    return t->d ? LFD_OK : LFD_ENOMEM;
}

int lfd_track_new(const lfd_robot *r, double period_s, lfd_track **out, lfd_err *err)
{
    *out = NULL;
    if (!(period_s > 0 && period_s <= 10))
        return lfd_fail(err, LFD_EARG, "control period %g s is not in (0, 10]", period_s);
    lfd_track *t = calloc(1, sizeof *t);
    if (!t)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    t->r = r;
    t->sub = (int)lround(period_s / r->m->opt.timestep);
    t->sub = t->sub < 1 ? 1 : t->sub;
    t->period_s = t->sub * r->m->opt.timestep;
    t->q_ref = calloc((size_t)r->nq, sizeof(double));
    t->qd_ref = calloc((size_t)r->nv, sizeof(double));
    int rc = LFD_OK;
    if (!t->q_ref || !t->qd_ref)
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (rc == LFD_OK)
        rc = lfd_robot_ff_new(r, &t->ff, err);
    if (rc == LFD_OK)
        rc = lfd_mj_call(make_data, t, err);
    if (rc) {
        lfd_track_free(&t);
        return rc;
    }
    lfd_track_reset(t, r->qpos_default, NULL);
    *out = t;
    return LFD_OK;
}

void lfd_track_free(lfd_track **pt)
{
    if (!pt || !*pt)
        return;
    lfd_track *t = *pt;
    if (t->d)
        mj_deleteData(t->d);
    lfd_robot_ff_free(&t->ff);
    free(t->q_ref);
    free(t->qd_ref);
    free(t);
    *pt = NULL;
}

void lfd_track_reset(lfd_track *t, const double *qpos, const double *qvel)
{
    const mjModel *m = t->r->m;
    mj_resetData(m, t->d);
    memcpy(t->d->qpos, qpos, (size_t)m->nq * sizeof(double));
    if (qvel)
        memcpy(t->d->qvel, qvel, (size_t)m->nv * sizeof(double));
    mj_forward(m, t->d);
    t->clamped = 0;
}

/* the simulation steps of one period (inside lfd_mj_call) */
static int steps(void *arg)
{
    lfd_track *t = arg;
    const lfd_robot *r = t->r;
    const mjModel *m = r->m;
    mjData *d = t->d;
    for (int s = 0; s < t->sub; s++) {
        /* targets linear from row 0 to row 1 over the period, in range */
        double u = (double)s / t->sub;
        memcpy(t->q_ref, d->qpos, (size_t)m->nq * sizeof(double));
        memset(t->qd_ref, 0, (size_t)m->nv * sizeof(double));
        for (int j = 0; j < r->njoints; j++) {
            const lfd_robot_joint *J = &r->joints[j];
            double q0 = t->rows[j], q1 = t->nrows > 1 ? t->rows[r->njoints + j] : q0;
            double q = q0 + u * (q1 - q0);
            t->q_ref[J->qpos_adr] = q < J->range_lo ? J->range_lo : q > J->range_hi ? J->range_hi : q;
            t->qd_ref[J->dof_adr] = (q1 - q0) / t->period_s;
        }
        /* PD + feed-forward at the measured state, then one step */
        t->clamped += lfd_robot_ff_control(t->ff, d->qpos, d->qvel, t->q_ref, t->qd_ref, NULL,
                                           NULL, d->ctrl, NULL, NULL) > 0;
        mj_step(m, d);
    }
    return LFD_OK;
}

int lfd_track_period(lfd_track *t, const float *rows, int nrows, lfd_err *err)
{
    if (nrows < 1)
        return lfd_fail(err, LFD_EARG, "no targets for the control period");
    t->rows = rows;
    t->nrows = nrows;
    int rc = lfd_mj_call(steps, t, err);
    if (rc == LFD_OK)
        rc = lfd_mj_check_data(t->r->m, t->d, err);
    for (int k = 0; rc == LFD_OK && k < t->r->nq; k++)
        if (!isfinite(t->d->qpos[k]))
            rc = lfd_fail(err, LFD_ENUMERIC, "simulation diverged at %.3f s", t->d->time);
    return rc;
}

const double *lfd_track_qpos(const lfd_track *t) { return t->d->qpos; }
const double *lfd_track_qvel(const lfd_track *t) { return t->d->qvel; }
double lfd_track_period_s(const lfd_track *t) { return t->period_s; }
int lfd_track_clamped_steps(const lfd_track *t) { return t->clamped; }

double lfd_track_tilt_rad(const lfd_track *t)
{
    if (!t->r->floating)
        return 0;
    const double *q = t->d->qpos + 3;
    return acos(fmin(1.0, fmax(-1.0, 1 - 2 * (q[1] * q[1] + q[2] * q[2]))));
}
