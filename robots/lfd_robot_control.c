/*  lfd_robot_control: joint PD control and the contact-consistent
    inverse-dynamics feed-forward (see lfd_robot.h).

    One controller serves the whole project: the checker's tracking mode,
    policy evaluation and the controller demo all call lfd_robot_pd with the
    gains of the robot's description, so a motion that tracks in checking
    tracks the same way everywhere.

    Why a feed-forward, and why at the measured state.  A joint PD
    controller makes torque only from error, so a humanoid held by PD alone
    sags until kp * error carries the load, and it falls.  Adding the
    equilibrium torques of the reference pose is not enough: standing on
    flat feet, the whole robot can pivot about its ankles like an inverted
    pendulum, and that mode is unstable unless the ankle stiffness exceeds
    m g h (H1: about 550 N m/rad against the published ankle kp of 40).
    lfd_robot_ff_compute takes the generalized force of the motion, lets the
    feet in contact supply the root's share (minimum-norm wrenches at the
    sole centres) and gives the joints the rest.  Evaluated at the measured
    configuration every control step it cancels the pendulum's gravity
    torque as the robot tilts, and the published gains then hold h1, g1 and
    humanoid standing (tests/test_robots_stand.c):

        controller (5 s, default pose)        h1        g1        humanoid
        PD only                               falls     falls     falls
        PD + feed-forward of the reference    falls     falls     falls
        PD + feed-forward at measured state   stands    stands    stands

    (figures in docs/robots.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "robots/lfd_mj.h"
#include "robots/lfd_robot.h"
#include "core/lfd_util.h"

int lfd_robot_pd(const lfd_robot *r, const double *qpos, const double *qvel, const double *q_ref,
                 const double *qd_ref, const double *tau_ff, double *ctrl, double *tau)
{
    const mjModel *m = r->m;
    int clamped = 0;
    if (tau)
        memset(tau, 0, (size_t)r->nv * sizeof *tau);
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *jt = &r->joints[j];
        if (jt->act_id < 0 || jt->act_kind == LFD_ACT_NONE)
            continue;
        int qa = jt->qpos_adr, da = jt->dof_adr, a = jt->act_id;
        double qref = q_ref[qa];
        double vref = qd_ref ? qd_ref[da] : 0.0;
        if (jt->act_kind == LFD_ACT_POSITION) {
            /* the MJCF servo closes the loop: command the target angle */
            double c = fmin(fmax(qref, jt->ctrl_lo), jt->ctrl_hi);
            ctrl[a] = c;
            /* the torque the servo will apply, within its force limit */
            const double *gp = m->actuator_gainprm + mjNGAIN * a;
            const double *bp = m->actuator_biasprm + mjNBIAS * a;
            double t = jt->act_gear * (gp[0] * c + bp[0] + bp[1] * qpos[qa] + bp[2] * qvel[da]);
            if (fabs(t) > jt->torque_max) {
                t = t > 0 ? jt->torque_max : -jt->torque_max;
                clamped++;
            }
            if (tau)
                tau[da] = t;
            continue;
        }
        /* motor: PD plus feed-forward, clamped to the torque limit */
        double t = jt->kp * (qref - qpos[qa]) + jt->kd * (vref - qvel[da]);
        if (tau_ff)
            t += tau_ff[da];
        if (t > jt->torque_max) {
            t = jt->torque_max;
            clamped++;
        } else if (t < -jt->torque_max) {
            t = -jt->torque_max;
            clamped++;
        }
        double gain = m->actuator_gainprm[mjNGAIN * a] * jt->act_gear;
        double c = t / gain;
        ctrl[a] = fmin(fmax(c, jt->ctrl_lo), jt->ctrl_hi);
        if (tau)
            tau[da] = ctrl[a] * gain;
    }
    return clamped;
}

/* ---- feed-forward ------------------------------------------------------------- */
struct lfd_robot_ff {
    const lfd_robot *r;
    mjData *d;       /* scratch state, never the caller's */
    double *f;       /* nv: generalized force of the motion */
    double *jac[2];  /* per foot: 6 x nv (3 translation rows, 3 rotation rows) */
    double *tau_ff;  /* nv: lfd_robot_ff_control's feed-forward */
};

/* the struct and its arrays, in one block (lfd_arena); the mjData is MuJoCo's own */
static lfd_robot_ff *ff_layout(lfd_arena *a, const lfd_robot *r, lfd_robot_ff *ff)
{
    size_t nv = (size_t)(r->nv ? r->nv : 1);
    lfd_robot_ff *head = lfd_arena_take(a, 1, sizeof *ff);
    ff->f = lfd_arena_take(a, nv, sizeof(double));
    ff->jac[0] = lfd_arena_take(a, 6 * nv, sizeof(double));
    ff->jac[1] = lfd_arena_take(a, 6 * nv, sizeof(double));
    ff->tau_ff = lfd_arena_take(a, nv, sizeof(double));
    return head;
}

int lfd_robot_ff_new(lfd_robot_ff **out, const lfd_robot *r, lfd_err *err)
{
    lfd_mj_init();
    *out = NULL;
    lfd_robot_ff tmp = {0};
    lfd_arena a = {0};
    ff_layout(&a, r, &tmp);
    if (!lfd_arena_alloc(&a))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the feed-forward workspace");
    lfd_robot_ff *ff = ff_layout(&a, r, &tmp); /* == block */
    *ff = tmp;
    ff->r = r;
    ff->d = mj_makeData(r->m);
    if (!ff->d) {
        free(ff);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the feed-forward workspace's mjData");
    }
    *out = ff;
    return LFD_OK;
}

void lfd_robot_ff_free(lfd_robot_ff **pff)
{
    if (!pff || !*pff)
        return;
    if ((*pff)->d)
        mj_deleteData((*pff)->d);
    free(*pff); /* the struct heads its block */
    *pff = NULL;
}

/* solves the symmetric positive definite 6x6 system a x = b in place (b
   becomes x); returns 0 if a is not positive definite */
static int solve6(double a[36], double b[6])
{
    if (lfd_util_chol_factor(a, 6))
        return 0;
    lfd_util_chol_solve(a, 6, b);
    return 1;
}

void lfd_robot_ff_compute(lfd_robot_ff *ff, const double *qpos, const double *qvel,
                          const double *qacc, const int *contact, double *tau_ff,
                          double *root_residual)
{
    const lfd_robot *r = ff->r;
    const mjModel *m = r->m;
    mjData *d = ff->d;
    int nv = m->nv;

    /* state and the kinematic quantities mj_rne and mj_passive need */
    memcpy(d->qpos, qpos, (size_t)m->nq * sizeof(double));
    if (qvel)
        memcpy(d->qvel, qvel, (size_t)nv * sizeof(double));
    else
        memset(d->qvel, 0, (size_t)nv * sizeof(double));
    if (qacc)
        memcpy(d->qacc, qacc, (size_t)nv * sizeof(double));
    else
        memset(d->qacc, 0, (size_t)nv * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_tendon(m, d);
    mj_comVel(m, d);
    mj_passive(m, d);

    /* generalized force: M qacc + c (mj_rne) + armature qacc - passive */
    mj_rne(m, d, 1, ff->f);
    for (int i = 0; i < nv; i++)
        ff->f[i] += m->dof_armature[i] * d->qacc[i] - d->qfrc_passive[i];

    double res[6] = {0};
    if (r->floating) {
        /* jacobians at the sole centres of the feet in contact */
        int nf = 0;
        for (int s = 0; s < 2; s++) {
            const lfd_robot_foot *ft = &r->feet[s];
            if (ft->body_id < 0 || (contact && !contact[s]))
                continue;
            double local[3] = {0.5 * (ft->sole[0] + ft->sole[1]), 0.5 * (ft->sole[2] + ft->sole[3]),
                               ft->sole_z};
            double p[3];
            mju_mulMatVec(p, d->xmat + 9 * ft->body_id, local, 3, 3);
            for (int k = 0; k < 3; k++)
                p[k] += d->xpos[3 * ft->body_id + k];
            mj_jac(m, d, ff->jac[nf], ff->jac[nf] + 3 * nv, p, ft->body_id);
            nf++;
        }
        for (int k = 0; k < 6; k++)
            res[k] = ff->f[k];
        if (nf > 0) {
            /* root rows: A w = b with A[k][c] = J_c[k] over every foot wrench
               component c; minimum norm w = A^T (A A^T)^-1 b */
            double aat[36] = {0}, y[6];
            for (int i = 0; i < 6; i++)
                for (int k = 0; k < 6; k++) {
                    double s = 0;
                    for (int f = 0; f < nf; f++)
                        for (int c = 0; c < 6; c++)
                            s += ff->jac[f][c * nv + i] * ff->jac[f][c * nv + k];
                    aat[6 * i + k] = s;
                }
            for (int i = 0; i < 6; i++) {
                aat[6 * i + i] += 1e-9;
                y[i] = ff->f[i];
            }
            if (solve6(aat, y)) {
                /* w = A^T y; the joints supply f - J^T w */
                for (int f = 0; f < nf; f++)
                    for (int c = 0; c < 6; c++) {
                        const double *row = ff->jac[f] + c * nv;
                        double w = 0;
                        for (int k = 0; k < 6; k++)
                            w += row[k] * y[k];
                        for (int i = 0; i < nv; i++)
                            ff->f[i] -= row[i] * w;
                    }
                for (int k = 0; k < 6; k++)
                    res[k] = ff->f[k];
            }
        }
        for (int k = 0; k < 6; k++)
            ff->f[k] = 0;
    }
    memcpy(tau_ff, ff->f, (size_t)nv * sizeof(double));
    if (root_residual)
        memcpy(root_residual, res, sizeof res);
}

int lfd_robot_ff_control(lfd_robot_ff *ff, const double *qpos, const double *qvel,
                         const double *q_ref, const double *qd_ref, const double *qdd_ref,
                         const int *contact, double *ctrl, double *tau, double *root_residual)
{
    /* gravity and inertia compensation where the robot is, then PD */
    lfd_robot_ff_compute(ff, qpos, qd_ref, qdd_ref, contact, ff->tau_ff, root_residual);
    return lfd_robot_pd(ff->r, qpos, qvel, q_ref, qd_ref, ff->tau_ff, ctrl, tau);
}
