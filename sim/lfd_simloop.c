/*  lfd_simloop: the one simulation loop (see lfd_simloop.h). */
#include "sim/lfd_simloop.h"

#include <stdlib.h>
#include <string.h>

#include "robots/lfd_mj.h"

static int make_data(void *arg)
{
    lfd_simloop *s = arg;
    s->d = mj_makeData(s->m);
    return s->d ? LFD_OK : LFD_ENOMEM;
}

int lfd_simloop_new(lfd_simloop **out, const lfd_robot *r, const mjModel *m, lfd_err *err)
{
    *out = NULL;
    lfd_simloop *s = calloc(1, sizeof *s);
    if (!s)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    s->r = r;
    s->m = m ? m : r->m;
    size_t nq = (size_t)(s->m->nq > 0 ? s->m->nq : 1), nv = (size_t)(s->m->nv > 0 ? s->m->nv : 1);
    /* the reference and result vectors in one block */
    double *v = calloc(nq + 3 * nv, sizeof(double));
    int rc = v ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (v) {
        s->q_ref = v;
        s->qd_ref = s->q_ref + nq;
        s->qdd_ref = s->qd_ref + nv;
        s->tau = s->qdd_ref + nv;
    }
    if (rc == LFD_OK)
        rc = lfd_robot_ff_new(&s->ff, r, err);
    if (rc == LFD_OK)
        rc = lfd_mj_call(make_data, s, err);
    if (rc == LFD_OK)
        rc = lfd_simloop_reset(s, r->qpos_default, NULL, err);
    if (rc) {
        lfd_simloop_free(&s);
        return rc;
    }
    *out = s;
    return LFD_OK;
}

void lfd_simloop_free(lfd_simloop **ps)
{
    if (!ps || !*ps)
        return;
    lfd_simloop *s = *ps;
    if (s->d)
        mj_deleteData(s->d);
    lfd_robot_ff_free(&s->ff);
    free(s->q_ref);
    free(s);
    *ps = NULL;
}

static int forward_cb(void *arg)
{
    lfd_simloop *s = arg;
    mj_forward(s->m, s->d);
    return LFD_OK;
}

int lfd_simloop_reset(lfd_simloop *s, const double *qpos, const double *qvel, lfd_err *err)
{
    const mjModel *m = s->m;
    mj_resetData(m, s->d);
    memcpy(s->d->qpos, qpos, (size_t)m->nq * sizeof(double));
    if (qvel)
        memcpy(s->d->qvel, qvel, (size_t)m->nv * sizeof(double));
    s->clamped = 0;
    s->held = 0;
    s->diverged = 0;
    s->contact[0] = s->contact[1] = 1;
    if (s->ff)
        lfd_robot_bal_reset(s->ff);
    return lfd_mj_call(forward_cb, s, err);
}

void lfd_simloop_ref_hold(lfd_simloop *s)
{
    const mjModel *m = s->m;
    memcpy(s->q_ref, s->d->qpos, (size_t)m->nq * sizeof(double));
    memset(s->qd_ref, 0, (size_t)m->nv * sizeof(double));
    memset(s->qdd_ref, 0, (size_t)m->nv * sizeof(double));
}

void lfd_simloop_foot_contacts(const lfd_simloop *s, int contact[2])
{
    const mjModel *m = s->m;
    const mjData *d = s->d;
    const lfd_robot *r = s->r;
    contact[0] = contact[1] = 0;
    for (int i = 0; i < d->ncon; i++) {
        int b1 = m->geom_bodyid[d->contact[i].geom1], b2 = m->geom_bodyid[d->contact[i].geom2];
        int other = b1 == 0 ? b2 : b2 == 0 ? b1 : -1;
        for (int f = 0; f < 2 && other > 0; f++)
            if (other == r->feet[f].body_id) {
                /* the sole corner nearest the contact point (foot frame) */
                const lfd_robot_foot *ft = &r->feet[f];
                const double *R = d->xmat + 9 * ft->body_id, *o = d->xpos + 3 * ft->body_id;
                double w[3] = {d->contact[i].pos[0] - o[0], d->contact[i].pos[1] - o[1],
                               d->contact[i].pos[2] - o[2]};
                double lx = R[0] * w[0] + R[3] * w[1] + R[6] * w[2];
                double ly = R[1] * w[0] + R[4] * w[1] + R[7] * w[2];
                int k = (lx > 0.5 * (ft->sole[0] + ft->sole[1])) | (ly > 0.5 * (ft->sole[2] + ft->sole[3])) << 1;
                contact[f] |= 1 | 2 << k;
            }
    }
}

typedef struct step_arg {
    lfd_simloop *s;
    int nsteps;
    unsigned flags;
} step_arg;

/* the controller, then the steps (inside lfd_mj_call: both run MuJoCo) */
static int step_cb(void *arg)
{
    step_arg *a = arg;
    lfd_simloop *s = a->s;
    mjData *d = s->d;
    const int *contact = NULL;
    if (a->flags & LFD_SIMLOOP_CONTACTS) {
        lfd_simloop_foot_contacts(s, s->contact);
        contact = s->contact;
    }
    const double *qdd = a->flags & LFD_SIMLOOP_ACC ? s->qdd_ref : NULL;
    if (a->flags & LFD_SIMLOOP_BALANCE)
        s->clamped = lfd_robot_bal_control(s->ff, d->qpos, d->qvel, s->q_ref, s->qd_ref, qdd,
                                           contact, d->ctrl, s->tau, NULL);
    else
        s->clamped = lfd_robot_ff_control(s->ff, d->qpos, d->qvel, s->q_ref, s->qd_ref, qdd,
                                          contact, d->ctrl, s->tau, NULL);
    s->held = lfd_robot_ff_nonfinite(s->ff);
    /* the controllers count a held joint among the limited ones
       (lfd_robot_pd_checked); here clamped is the torque limits alone, so
       that a held joint does not read as a limit reached (review) */
    s->clamped = s->clamped > s->held ? s->clamped - s->held : 0;
    /* MuJoCo resets the data when the state goes bad, the time included: the
       time it went bad is put back, so that the error and a fall report it
       (they said t = 0.002 s for a run that diverged at 1.002 s; review) */
    int bad0 = d->warning[mjWARN_BADQACC].number + d->warning[mjWARN_BADQVEL].number +
               d->warning[mjWARN_BADQPOS].number;
    for (int k = 0; k < a->nsteps; k++) {
        double t = d->time;
        mj_step(s->m, d);
        if (d->warning[mjWARN_BADQACC].number + d->warning[mjWARN_BADQVEL].number +
                d->warning[mjWARN_BADQPOS].number != bad0) {
            d->time = t + s->m->opt.timestep;
            break;
        }
    }
    return LFD_OK;
}

int lfd_simloop_step(lfd_simloop *s, int nsteps, unsigned flags, lfd_err *err)
{
    if (nsteps < 1)
        return lfd_fail(err, LFD_EARG, "%d simulation steps per control step: at least 1", nsteps);
    step_arg a = {s, nsteps, flags};
    int rc = lfd_mj_call(step_cb, &a, err);
    if (rc == LFD_OK && (rc = lfd_mj_check_data(s->m, s->d, err)))
        s->diverged = 1;
    return rc;
}
