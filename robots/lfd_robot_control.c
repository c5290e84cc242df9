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
#include "core/lfd_boxqp.h"
#include "core/lfd_quat.h"
#include "core/lfd_util.h"

/* the balance controller's contact QP: 4 sole corners per foot, a 4-edge
   friction pyramid at each */
#define BAL_CORNERS 8
#define BAL_EDGES 4
#define BAL_NX (BAL_CORNERS * BAL_EDGES)

int lfd_robot_pd_checked(const lfd_robot *r, const double *qpos, const double *qvel,
                         const double *q_ref, const double *qd_ref, const double *tau_ff,
                         double *ctrl, double *tau, int *nonfinite)
{
    const mjModel *m = r->m;
    int clamped = 0, held = 0;
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
            /* the MJCF servo closes the loop: command the target.  Its ctrl
               is in actuator length, gear * angle (MuJoCo's joint
               transmission), so a gear-2 servo sent the angle itself
               settled at half of it.  A non-finite target would pass
               fmin/fmax as the range's low end (a full swing to the limit):
               hold where the joint is instead, so the servo only damps */
            double g = jt->act_gear;
            const double *gp = m->actuator_gainprm + mjNGAIN * a;
            const double *bp = m->actuator_biasprm + mjNBIAS * a;
            /* the feed-forward and the description's damping enter through
               the target, as the torque they need over the servo's
               stiffness gear * kp per unit of ctrl: without them a servo
               humanoid sagged and fell (h1 with servos: root 0.11 m after
               5 s).  The servo's own kv already damps gear^2 kv of kd, so
               only the rest is added (a description made by lfd robot init
               has kd = gear^2 kv: damping is not doubled) */
            double kd_rest = fmax(jt->kd + bp[2] * g * g, 0.0);
            double extra = (tau_ff ? tau_ff[da] : 0.0) + jt->kd * vref - kd_rest * qvel[da];
            double tgt = g * qref + extra / (gp[0] * g);
            int limited = 0;
            if (!isfinite(tgt)) {
                tgt = isfinite(qpos[qa]) ? g * qpos[qa] : 0.0;
                held++;
                limited = 1;
            }
            double c = fmin(fmax(tgt, jt->ctrl_lo), jt->ctrl_hi);
            /* the torque the servo will apply: t = A c + B (force kp c + b0
               + b1 length + b2 length rate, times gear) */
            double A = g * gp[0], B = g * (bp[0] + bp[1] * g * qpos[qa] + bp[2] * g * qvel[da]);
            double t = A * c + B;
            if (fabs(t) > jt->torque_max) {
                /* the description's limit may be tighter than the MJCF's
                   force range, which is all MuJoCo enforces: move the
                   target to where the servo gives exactly the limit now */
                double tl = t > 0 ? jt->torque_max : -jt->torque_max;
                c = fmin(fmax((tl - B) / A, jt->ctrl_lo), jt->ctrl_hi);
                t = A * c + B;
                limited = 1;
            }
            clamped += limited;
            ctrl[a] = c;
            if (tau)
                tau[da] = isfinite(t) ? t : 0.0;
            continue;
        }
        /* motor: PD plus feed-forward, clamped to the torque limit */
        double t = jt->kp * (qref - qpos[qa]) + jt->kd * (vref - qvel[da]);
        if (tau_ff)
            t += tau_ff[da];
        int limited = 0;
        if (!isfinite(t)) {
            /* a NaN in the reference (or in the feed-forward, where mj_rne
               spreads one NaN velocity to every joint) fails both limit
               tests below and fmin/fmax would then send the ctrl range's
               low end: full negative torque, unreported.  Hold instead:
               damping alone, which brakes the joint and cannot drive it */
            t = isfinite(qvel[da]) ? -jt->kd * qvel[da] : 0.0;
            held++;
            limited = 1;
        }
        if (t > jt->torque_max) {
            t = jt->torque_max;
            limited = 1;
        } else if (t < -jt->torque_max) {
            t = -jt->torque_max;
            limited = 1;
        }
        double gain = m->actuator_gainprm[mjNGAIN * a] * jt->act_gear;
        double c = t / gain;
        ctrl[a] = fmin(fmax(c, jt->ctrl_lo), jt->ctrl_hi);
        /* the ctrl range can be narrower than +-torque_max (an asymmetric
           range given a torque=): that is a clamp too (the margin keeps
           t = torque_max, rounded through the gain, from counting twice) */
        if (fabs(ctrl[a] - c) * fabs(gain) > 1e-9 * jt->torque_max)
            limited = 1;
        clamped += limited;
        if (tau)
            tau[da] = ctrl[a] * gain;
    }
    if (nonfinite)
        *nonfinite = held;
    return clamped;
}

int lfd_robot_pd(const lfd_robot *r, const double *qpos, const double *qvel, const double *q_ref,
                 const double *qd_ref, const double *tau_ff, double *ctrl, double *tau)
{
    return lfd_robot_pd_checked(r, qpos, qvel, q_ref, qd_ref, tau_ff, ctrl, tau, NULL);
}

/* ---- feed-forward ------------------------------------------------------------- */
struct lfd_robot_ff {
    const lfd_robot *r;
    mjData *d;       /* scratch state, never the caller's */
    double *f;       /* nv: generalized force of the motion */
    double *jac[2];  /* per foot: 6 x nv (3 translation rows, 3 rotation rows) */
    double *tau_ff;  /* nv: lfd_robot_ff_control's feed-forward */
    /* the balance controller (lfd_robot_bal_control) */
    double *qacc;    /* nv: desired acceleration */
    double *qoff;    /* nv: a swinging leg's joint error at lift-off, blended out */
    double *cjac;    /* BAL_CORNERS x 3 x nv: translation Jacobians at the loaded corners */
    double *qpws;    /* lfd_boxqp workspace (nv + BAL_NX variables) */
    double *M;       /* nv x nv: mass matrix */
    double *h;       /* nv: bias forces */
    double *H, *g, *z, *lo, *hi, *wi, *C; /* the contact QP; accelerations; weights; equality rows */
    double A[6 * BAL_NX], x[BAL_NX], e[BAL_NX][3], tq[BAL_NX];
    int col_corner[BAL_NX];
    unsigned char active_prev[BAL_CORNERS];
    /* foot placement (capture point / DCM): per foot, 1 while the
       reference swings it, the time since its lift-off and the landing
       offset (world x, y) its sole centre is given */
    int swing[2];
    double swing_s[2], swing_off[2][2], hold_s[2];
    int nonfinite;   /* the last step's joints held because their torque was not finite */
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
    /* the balance controller's */
    size_t nz = nv + BAL_NX;
    ff->qacc = lfd_arena_take(a, nv, sizeof(double));
    ff->qoff = lfd_arena_take(a, nv, sizeof(double));
    ff->cjac = lfd_arena_take(a, BAL_CORNERS * 3 * nv, sizeof(double));
    ff->qpws = lfd_arena_take(a, lfd_boxqp_ws_doubles((int)nz), sizeof(double));
    ff->M = lfd_arena_take(a, nv * nv, sizeof(double));
    ff->h = lfd_arena_take(a, nv, sizeof(double));
    ff->H = lfd_arena_take(a, nz * nz, sizeof(double));
    ff->g = lfd_arena_take(a, nz, sizeof(double));
    ff->z = lfd_arena_take(a, nz, sizeof(double));
    ff->lo = lfd_arena_take(a, nz, sizeof(double));
    ff->hi = lfd_arena_take(a, nz, sizeof(double));
    ff->wi = lfd_arena_take(a, nv, sizeof(double));
    ff->C = lfd_arena_take(a, 18 * nv, sizeof(double));
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

void lfd_robot_bal_reset(lfd_robot_ff *ff)
{
    memset(ff->active_prev, 0, sizeof ff->active_prev);
    memset(ff->swing, 0, sizeof ff->swing);
    memset(ff->swing_s, 0, sizeof ff->swing_s);
    memset(ff->swing_off, 0, sizeof ff->swing_off);
    memset(ff->hold_s, 0, sizeof ff->hold_s);
    memset(ff->qoff, 0, (size_t)ff->r->nv * sizeof(double));
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

/* ff->f = the generalized force of (qpos, qvel, qacc) (qvel, qacc NULL =
   zero): M qacc + c (mj_rne) + armature qacc - passive; leaves ff->d with
   the state's kinematics (positions, com, velocities) */
static void gen_force(lfd_robot_ff *ff, const double *qpos, const double *qvel, const double *qacc)
{
    const mjModel *m = ff->r->m;
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

}

void lfd_robot_ff_compute(lfd_robot_ff *ff, const double *qpos, const double *qvel,
                          const double *qacc, const int *contact, double *tau_ff,
                          double *root_residual)
{
    const lfd_robot *r = ff->r;
    const mjModel *m = r->m;
    mjData *d = ff->d;
    int nv = m->nv;

    gen_force(ff, qpos, qvel, qacc);

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
    return lfd_robot_pd_checked(ff->r, qpos, qvel, q_ref, qd_ref, ff->tau_ff, ctrl, tau,
                                &ff->nonfinite);
}

int lfd_robot_ff_nonfinite(const lfd_robot_ff *ff) { return ff->nonfinite; }

/* ---- balance controller --------------------------------------------------------
   Method: task-space inverse dynamics with contact forces limited to the
   friction cones of the loaded sole corners, after Stephens & Atkeson
   ("Dynamic balance force control for compliant humanoid robots", IROS 2010)
   and Hyon, Hale & Cheng ("Full-body compliant human-humanoid interaction:
   balancing in the presence of unknown external forces", IEEE T-RO 23(5),
   2007), with the momentum / contact-wrench view of Wensing & Orin
   ("Generation of dynamic humanoid behaviors through task-space control
   with conic optimization", ICRA 2013).  Instead of one QP over
   accelerations and forces it takes three small, well-conditioned steps
   that fit lfd's box QP:
     1. desired accelerations: the reference's (bounded), plus PD feedback on
        the root's position and orientation and on every joint (computed
        torque); made consistent with the loaded feet (they do not slide and
        are brought flat onto the floor) by the smallest weighted change;
     2. contact forces: their inverse dynamics at the measured state gives the
        root's six rows f_root; forces at the loaded sole corners, each a
        non-negative combination of a linearised friction cone's edges (so
        every force is in its cone and the centre of pressure is in the
        soles) come closest to f_root (weighted least squares, lfd_boxqp);
     3. accelerations again: the smallest weighted change to step 1's that
        the forces actually found can produce (root rows of the dynamics
        M_root qdd + h_root = J_root^T F, feet still).  Where the floor cannot
        supply what the tasks asked (a jump in the reference, a lean beyond
        the soles), the motion gives way, not the physics: the root's
        translation first, then the joints, the root's orientation last;
     4. joint torques = M qdd + h - J^T F on the joint rows, plus the
        description's joint damping, clamped to the actuator limits.
   A loaded foot is one the simulation reports touching the floor (or within
   BAL_NEAR_M of it) AND the reference stands on (lowest sole corner within
   BAL_PLAN_Z_M, sole centre slower than BAL_PLAN_V): a foot the reference
   lifts is released even while it still touches.  The corners that carry
   load are those within BAL_CORNER_TOL_M of the foot's lowest (with
   BAL_CORNERS_BY_HEIGHT 0: those the simulation reports in contact, the
   contact[] bits of lfd_simloop; a sole tilted by a millimetre then has one
   corner, and the planned centre of pressure sits on it), and a loaded
   foot's ankles follow the sole-flat task, not the reference's angle
   (BAL_ANKLE_FREE). */
#ifndef BAL_ROOT_HZ
#define BAL_ROOT_HZ 1.5    /* root position feedback: natural frequency */
#endif
#ifndef BAL_ROT_HZ
#define BAL_ROT_HZ 2.5     /* root orientation feedback */
#endif
#define BAL_ZETA 1.0
#define BAL_FOOT_KV 20.0   /* 1/s: a loaded foot's velocity is damped at this rate */
#define BAL_PLAN_Z_M 0.03   /* the reference stands on a foot whose sole is this close to the floor */
#ifndef BAL_PLAN_V
#define BAL_PLAN_V 0.5      /* m/s, and slower than this */
#endif
#define BAL_NEAR_M 0.01    /* a foot this close to the floor (z = 0) counts as loaded */
#define BAL_MU 0.6         /* friction coefficient the forces keep within (MuJoCo's default is 1) */
#define BAL_CORNER_TOL_M 0.01 /* a corner within this of the foot's lowest carries load */
#define BAL_LEVER_M 0.5    /* moment rows are scaled by body weight x this lever */
#ifndef BAL_FLAT_HZ
#define BAL_FLAT_HZ 3.0    /* a loaded foot is brought flat at this rate */
#endif
#ifndef BAL_JOINT_HZ
#define BAL_JOINT_HZ 3.0   /* joint feedback (in acceleration: computed torque) */
#endif
#define BAL_ACC_MAX 10.0   /* rad/s^2 (root translation: 0.3 x in m/s^2): the reference's
                              acceleration is bounded to this */
#define BAL_W_LIN 1.0      /* weights of the acceleration tasks (joints 1): root translation */
#ifndef BAL_W_ROT
#define BAL_W_ROT 10.0     /* root orientation */
#endif
#define BAL_W_MOMENT 1.0   /* contact QP: moment rows against force rows */
#define BAL_ANKLE_M 0.1    /* an ankle joint's axis is this close to the foot body's origin */
#define BAL_ANKLE_FRAC 0.9 /* the contact QP keeps ankle torques within this fraction of the limit */
/* Compile-time switches (issue 15; measured in docs/check.md, "Tracking
   controllers"; docs/tools/track_table.sh OUTDIR -DNAME=VALUE rebuilds and
   measures).  On by default, because they hold a reference standing on a
   tilted sole and keep g1's drink soda up:
     BAL_CORNERS_BY_HEIGHT  loaded corners: within BAL_CORNER_TOL_M of the
                            foot's lowest (0: MuJoCo's contact points)
     BAL_ANKLE_FREE         a loaded foot's ankles follow the sole-flat task,
                            without joint feedback
   Off, because none of them kept a real walk up and most made the falls
   come earlier:
     BAL_STEP         foot placement by the DCM error (1: the swing sole's
                      target carried with the measured root; 2: in world
                      coordinates); 0: the swing leg follows its joints
     BAL_ANKLE_TAU    ankle torques kept within BAL_ANKLE_FRAC of the limit
                      by penalty rows in the contact QP (solved again)
     BAL_UNLOAD       a foot the reference is about to lift sheds its load
     BAL_SWING_BLEND  a lifted leg's joint error at lift-off is blended out
                      over BAL_SWING_BLEND_S
     BAL_HOLD_LIFT    a lift-off waits (at most BAL_HOLD_MAX_S) while the
                      measured DCM is not over the other sole
     BAL_W_JOINT3     joint weight in step 3 (1: as in step 1)
     BAL_DCM_ROOT     horizontal root feedback by DCM tracking (gain
                      BAL_DCM_K, plus BAL_DCM_KC on the CoM) instead of PD */
#ifndef BAL_CORNERS_BY_HEIGHT
#define BAL_CORNERS_BY_HEIGHT 1
#endif
#ifndef BAL_ANKLE_FREE
#define BAL_ANKLE_FREE 1
#endif
#ifndef BAL_STEP
#define BAL_STEP 0
#endif
#ifndef BAL_ANKLE_TAU
#define BAL_ANKLE_TAU 0
#endif
#ifndef BAL_UNLOAD
#define BAL_UNLOAD 0
#endif
#ifndef BAL_SWING_BLEND
#define BAL_SWING_BLEND 0
#endif
#ifndef BAL_HOLD_LIFT
#define BAL_HOLD_LIFT 0
#endif
#ifndef BAL_W_JOINT3
#define BAL_W_JOINT3 1.0
#endif
#ifndef BAL_DCM_ROOT
#define BAL_DCM_ROOT 0
#endif
#ifndef BAL_DCM_K
#define BAL_DCM_K 3.0  /* 1/s: DCM error decay rate */
#endif
#ifndef BAL_DCM_KC
#define BAL_DCM_KC 4.0 /* 1/s^2: weak pull of the CoM onto the reference's */
#endif
#ifndef BAL_HOLD_MAX_S
#define BAL_HOLD_MAX_S 0.2 /* s */
#endif
#ifndef BAL_HOLD_MARGIN_M
#define BAL_HOLD_MARGIN_M 0.0 /* the DCM must be this far inside the sole */
#endif
#ifndef BAL_SWING_BLEND_S
#define BAL_SWING_BLEND_S 0.2 /* s */
#endif
#define BAL_W_UNLOAD 1.0   /* contact QP: penalty on the forces of a foot about to lift */
#ifndef BAL_STEP_GAIN
#define BAL_STEP_GAIN 1.0  /* landing offset per metre of DCM error */
#endif
#define BAL_STEP_BLEND_S 0.15 /* the offset is blended in over this time after lift-off */
#define BAL_STEP_HOLD_Z_M 0.02 /* and held once the reference's sole is this low again */
#define BAL_STEP_MAX_M 0.25 /* offsets are bounded to this (per axis) */
#define BAL_STEP_HZ 5.0    /* the swinging sole centre's feedback, natural frequency */
#define BAL_W_ANKLE_ACC 0.01 /* acceleration weight of a loaded foot's ankles (joints 1) */
#define BAL_W_ANKLE 10.0   /* weight of an ankle's torque row (against the moment rows) */

static double bal_sq(double v) { return v * v; }

/* the horizontal divergent component of motion xi = c + c'/omega of the
   state in ff->d (kinematics and mj_comPos done) moving at qvel, and omega =
   sqrt(g / c_z) (Englsberger, Ott & Albu-Schaeffer, T-RO 31(2), 2015; the
   capture point of Pratt et al., Humanoids 2006).  Uses ff->C as scratch. */
static void dcm_of(lfd_robot_ff *ff, int root_body, const double *qvel, double xi[2], double *omega,
                   double cv[4])
{
    const mjModel *m = ff->r->m;
    mjData *d = ff->d;
    int nv = m->nv;
    mj_jacSubtreeCom(m, d, ff->C, root_body);
    const double *c = d->subtree_com + 3 * root_body;
    double w = sqrt(9.81 / fmax(c[2], 0.2));
    for (int k = 0; k < 2; k++) {
        double v = 0;
        for (int i = 0; i < nv; i++)
            v += ff->C[k * nv + i] * qvel[i];
        xi[k] = c[k] + v / w;
        if (cv) {
            cv[k] = c[k];
            cv[2 + k] = v;
        }
    }
    *omega = w;
}

/* 1 if joint jt is an ankle of foot ft: on the foot's chain, its axis
   within BAL_ANKLE_M of the foot body's origin (from d's kinematics) */
static int is_ankle(const mjModel *m, const mjData *d, const lfd_robot_foot *ft,
                    const lfd_robot_joint *jt)
{
    int b = ft->body_id;
    while (b > 0 && b != jt->body_id)
        b = m->body_parentid[b];
    if (b != jt->body_id || b <= 0)
        return 0;
    const double *xa = d->xanchor + 3 * jt->jnt_id, *fo = d->xpos + 3 * ft->body_id;
    return bal_sq(xa[0] - fo[0]) + bal_sq(xa[1] - fo[1]) + bal_sq(xa[2] - fo[2]) <= BAL_ANKLE_M * BAL_ANKLE_M;
}

void lfd_robot_sole_corner(const mjData *d, const lfd_robot_foot *ft, int k, double p[3])
{
    double local[3] = {ft->sole[k & 1], ft->sole[2 + (k >> 1)], ft->sole_z};
    mju_mulMatVec(p, d->xmat + 9 * ft->body_id, local, 3, 3);
    for (int i = 0; i < 3; i++)
        p[i] += d->xpos[3 * ft->body_id + i];
}

/* The smallest change to qdd (nv) in the weighted norm sum_i (dq_i^2 /
   ff->wi[i]) that satisfies the equalities: Mr qdd = br (the 6 root rows of
   the mass matrix, when Mr is non-NULL) and J_c qdd = bc (nc rows of the
   loaded feet's Jacobians in ff->jac).  Rows are scaled to comparable
   units; a small damping keeps a near-singular set (straight knees)
   solvable.  qdd is updated in place. */
static void eq_project(lfd_robot_ff *ff, int nv, int nc, const double *Mr, const double *br,
                       const double *bc, double *qdd)
{
    int nr = Mr ? 6 : 0, ne = nr + nc;
    double *C = ff->C; /* ne x nv */
    double y[18], G[18 * 18];
    double ms = Mr ? 1.0 / ff->r->mass_kg : 1;
    for (int a = 0; a < ne; a++) {
        double *ca = C + (size_t)a * nv;
        double t;
        if (a < nr) {
            for (int i = 0; i < nv; i++)
                ca[i] = Mr[a * nv + i] * ms;
            t = br[a] * ms;
        } else {
            memcpy(ca, ff->jac[(a - nr) / 6] + ((a - nr) % 6) * nv, (size_t)nv * sizeof(double));
            t = bc[a - nr];
        }
        for (int i = 0; i < nv; i++)
            t -= ca[i] * qdd[i];
        y[a] = t;
    }
    for (int a = 0; a < ne; a++)
        for (int b = 0; b <= a; b++) {
            const double *ca = C + (size_t)a * nv, *cb = C + (size_t)b * nv;
            double t = 0;
            for (int i = 0; i < nv; i++)
                t += ca[i] * ff->wi[i] * cb[i];
            G[a * ne + b] = G[b * ne + a] = t;
        }
    for (int a = 0; a < ne; a++)
        G[a * ne + a] += 1e-3;
    if (lfd_util_chol_factor(G, ne))
        return;
    lfd_util_chol_solve(G, ne, y);
    for (int a = 0; a < ne; a++) {
        const double *ca = C + (size_t)a * nv;
        for (int i = 0; i < nv; i++)
            qdd[i] += ff->wi[i] * ca[i] * y[a];
    }
}

int lfd_robot_bal_control(lfd_robot_ff *ff, const double *qpos, const double *qvel,
                          const double *q_ref, const double *qd_ref, const double *qdd_ref,
                          const int *contact, double *ctrl, double *tau, double *root_residual)
{
    const lfd_robot *r = ff->r;
    const mjModel *m = r->m;
    mjData *d = ff->d;
    int nv = m->nv;
    if (!r->floating)
        return lfd_robot_ff_control(ff, qpos, qvel, q_ref, qd_ref, qdd_ref, contact, ctrl, tau,
                                    root_residual);
    const double zeta = BAL_ZETA, mu = BAL_MU;

    /* the feet the reference stands on: the lowest sole corner within
       BAL_PLAN_Z_M of the floor, and the sole centre slower than
       BAL_PLAN_V (a foot the reference lifts is not loaded, even while it
       still touches) */
    int planned[2] = {1, 1};
    double unload[2] = {1, 1}, ref_cv[4] = {0, 0, 0, 0}, meas_cv[4] = {0, 0, 0, 0};
    double ref_sole[2][3] = {{0}}, ref_sole_z[2] = {0}, ref_dcm[2] = {0, 0}, omega = 0;
    {
        memcpy(d->qpos, q_ref, (size_t)m->nq * sizeof(double));
        mj_kinematics(m, d);
        mj_comPos(m, d);
        for (int s = 0; s < 2; s++) {
            const lfd_robot_foot *ft = &r->feet[s];
            if (ft->body_id < 0)
                continue;
            double p[3], c[3] = {0, 0, 0}, zlow = INFINITY;
            for (int k = 0; k < 4; k++) {
                lfd_robot_sole_corner(d, ft, k, p);
                zlow = fmin(zlow, p[2]);
                for (int i = 0; i < 3; i++)
                    c[i] += 0.25 * p[i];
            }
            double v = 0;
            if (qd_ref) {
                mj_jac(m, d, ff->jac[0], NULL, c, ft->body_id);
                for (int i = 0; i < 3; i++) {
                    double vi = 0;
                    for (int j = 0; j < nv; j++)
                        vi += ff->jac[0][i * nv + j] * qd_ref[j];
                    v += vi * vi;
                }
                v = sqrt(v);
            }
            planned[s] = zlow < BAL_PLAN_Z_M && v < BAL_PLAN_V;
            /* how much of its load the foot keeps: 1 flat and still, 0 at
               the lift-off thresholds (the weight moves to the other
               foot before the reference lifts this one) */
            unload[s] = fmin(fmax(1 - zlow / BAL_PLAN_Z_M, 0), fmax(1 - v / BAL_PLAN_V, 0));
            memcpy(ref_sole[s], c, sizeof c);
            ref_sole_z[s] = zlow;
        }
        /* the reference's divergent component of motion (horizontal):
           xi = c + c' / omega, omega = sqrt(g / z_c) */
        if (qd_ref)
            dcm_of(ff, r->root_body, qd_ref, ref_dcm, &omega, ref_cv);
    }

    /* the measured configuration's kinematics; the loaded feet: those in
       contact, and those within BAL_NEAR_M of the floor (a foot a few
       millimetres up is about to carry the robot) */
    memcpy(d->qpos, qpos, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    /* the measured DCM (horizontal) */
    double dcm_meas[2] = {0, 0}, om_meas = 0;
    if (qd_ref)
        dcm_of(ff, r->root_body, qvel, dcm_meas, &om_meas, meas_cv);
    /* a lift-off waits for the DCM: while the reference lifts one foot
       and the measured DCM is not over the other's sole (BAL_HOLD_MARGIN_M
       inside it), the lifting foot keeps its load (for at most
       BAL_HOLD_MAX_S): single support with the DCM outside the stance
       sole is a fall (Englsberger et al. 2015) */
    for (int s = 0; s < 2; s++) {
        int o = 1 - s;
        if (planned[s] || !BAL_HOLD_LIFT) {
            ff->hold_s[s] = 0;
            continue;
        }
        if (!planned[o] || r->feet[s].body_id < 0 || r->feet[o].body_id < 0 || !qd_ref ||
            ff->hold_s[s] >= BAL_HOLD_MAX_S)
            continue;
        const lfd_robot_foot *fo = &r->feet[o];
        const double *R = d->xmat + 9 * fo->body_id, *org = d->xpos + 3 * fo->body_id;
        double w[3] = {dcm_meas[0] - org[0], dcm_meas[1] - org[1], 0};
        double lx = R[0] * w[0] + R[3] * w[1], ly = R[1] * w[0] + R[4] * w[1];
        const double mg = BAL_HOLD_MARGIN_M;
        int inside = lx > fo->sole[0] + mg && lx < fo->sole[1] - mg && ly > fo->sole[2] + mg &&
                     ly < fo->sole[3] - mg;
        if (!inside) {
            planned[s] = 1;
            ff->hold_s[s] += m->opt.timestep;
        }
    }
    int loaded[2] = {0, 0}, nf = 0, foot_of[2] = {-1, -1};
    double corner[2][4][3], zmin[2] = {INFINITY, INFINITY};
    for (int s = 0; s < 2; s++) {
        const lfd_robot_foot *ft = &r->feet[s];
        if (ft->body_id < 0)
            continue;
        for (int k = 0; k < 4; k++) {
            lfd_robot_sole_corner(d, ft, k, corner[s][k]);
            zmin[s] = fmin(zmin[s], corner[s][k][2]);
        }
        loaded[s] = (!contact || contact[s] || zmin[s] < BAL_NEAR_M) && planned[s];
        if (!loaded[s])
            continue;
        /* the foot's 6-row Jacobian at its sole centre */
        double p[3] = {0, 0, 0};
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 3; i++)
                p[i] += 0.25 * corner[s][k][i];
        mj_jac(m, d, ff->jac[nf], ff->jac[nf] + 3 * nv, p, ft->body_id);
        foot_of[nf++] = s;
    }

    /* foot placement: while the reference swings a foot (one foot loaded),
       its sole centre is steered in world coordinates to the reference's
       plus an offset BAL_STEP_GAIN x (measured DCM - reference DCM),
       blended in from zero at lift-off over BAL_STEP_BLEND_S and held
       once the reference's sole comes down within BAL_STEP_HOLD_Z_M of the
       floor (so it lands where it was aimed) */
    int nsw = 0, sw_foot = -1;
    double sw_target[3] = {0, 0, 0};
    {
        double dcm[2] = {0, 0}, om = 0;
        int have_dcm = qd_ref && omega > 0;
        if (have_dcm)
            dcm_of(ff, r->root_body, qvel, dcm, &om, NULL);
        double dt = m->opt.timestep;
        for (int s = 0; s < 2; s++) {
            if (r->feet[s].body_id < 0)
                continue;
            int sw = !planned[s];
            if (sw && !ff->swing[s]) {
                ff->swing_s[s] = 0;
                ff->swing_off[s][0] = ff->swing_off[s][1] = 0;
                /* the leg's joint errors at lift-off, blended out over
                   the swing (a stance leg can be far from its reference
                   angles; feedback on the whole error at once whips it) */
                for (int jj = 0; jj < r->njoints; jj++) {
                    const lfd_robot_joint *jt = &r->joints[jj];
                    int b = r->feet[s].body_id;
                    while (b > 0 && b != jt->body_id)
                        b = m->body_parentid[b];
                    if (b > 0 && b == jt->body_id)
                        ff->qoff[jt->dof_adr] = qpos[jt->qpos_adr] - q_ref[jt->qpos_adr];
                }
            }
            ff->swing[s] = sw;
            if (!sw)
                continue;
            ff->swing_s[s] += dt;
            if (have_dcm && ref_sole_z[s] > BAL_STEP_HOLD_Z_M) {
                double b = fmin(1.0, ff->swing_s[s] / BAL_STEP_BLEND_S);
                for (int k = 0; k < 2; k++) {
                    double o = BAL_STEP_GAIN * (dcm[k] - ref_dcm[k]);
                    o = fmax(-BAL_STEP_MAX_M, fmin(BAL_STEP_MAX_M, o));
                    ff->swing_off[s][k] = b * o;
                }
            }
            if (BAL_STEP && nf == 1 && sw_foot < 0) {
                sw_foot = s;
                /* the reference sole centre carried with the measured
                   root (where joint tracking would put it), plus the
                   offset */
                double Rm[9], Rr[9], w[3], l[3], p[3];
                lfd_quat_to_mat(Rm, qpos + 3);
                lfd_quat_to_mat(Rr, q_ref + 3);
                for (int i = 0; i < 3; i++)
                    w[i] = ref_sole[s][i] - q_ref[i];
                for (int i = 0; i < 3; i++)
                    l[i] = Rr[i] * w[0] + Rr[3 + i] * w[1] + Rr[6 + i] * w[2];
                lfd_mat3_mulv(p, Rm, l);
                for (int i = 0; i < 3; i++)
                    sw_target[i] = p[i] + qpos[i];
                if (BAL_STEP == 2) /* the reference's sole in world coordinates */
                    memcpy(sw_target, ref_sole[s], sizeof sw_target);
                sw_target[0] += ff->swing_off[s][0];
                sw_target[1] += ff->swing_off[s][1];
            }
        }
    }
    double sw_pos[3] = {0, 0, 0};
    if (sw_foot >= 0) {
        const lfd_robot_foot *ft = &r->feet[sw_foot];
        double p[3];
        for (int k = 0; k < 4; k++) {
            lfd_robot_sole_corner(d, ft, k, p);
            for (int i = 0; i < 3; i++)
                sw_pos[i] += 0.25 * p[i];
        }
        mj_jac(m, d, ff->jac[nf], ff->jac[nf] + 3 * nv, sw_pos, ft->body_id);
        nsw = 1;
    }

    /* 1. desired accelerations: the reference's plus PD feedback, on the
       root (position and orientation) and on every joint */
    /* (no root feedback in flight: nothing could act on it) */
    double root_hz = nf > 0 ? BAL_ROOT_HZ : 0, rot_hz = nf > 0 ? BAL_ROT_HZ : 0;
    double *ades = ff->qacc;
    /* the reference's acceleration, bounded: finite differences of a
       retargeted clip carry spikes no actuator could follow */
    double amax = BAL_ACC_MAX;
    for (int i = 0; i < nv; i++) {
        double a = qdd_ref ? qdd_ref[i] : 0, lim = i < 3 ? 0.3 * amax : amax;
        ades[i] = a > lim ? lim : a < -lim ? -lim : a;
    }
    {
        double wl = 2 * M_PI * root_hz, wr = 2 * M_PI * rot_hz;
        double kpl = wl * wl, kdl = 2 * zeta * wl, kpr = wr * wr, kdr = 2 * zeta * wr;
        for (int i = 0; i < 3; i++) {
            if (BAL_DCM_ROOT && i < 2 && qd_ref && omega > 0 && nf > 0) {
                /* horizontally, DCM tracking instead of the root's PD
                   (Englsberger et al. 2015): xi' = xi_ref' - k (xi -
                   xi_ref), and c'' = omega (xi' - c'), with xi_ref' =
                   c_ref' + c_ref''/omega (c_ref'' ~ the root's bounded
                   reference acceleration) */
                double xr_dot = ref_cv[2 + i] + ades[i] / omega;
                double xd = xr_dot - BAL_DCM_K * (dcm_meas[i] - ref_dcm[i]);
                ades[i] = omega * (xd - meas_cv[2 + i]) + BAL_DCM_KC * (ref_cv[i] - meas_cv[i]);
                continue;
            }
            ades[i] += kpl * (q_ref[i] - qpos[i]) + kdl * ((qd_ref ? qd_ref[i] : 0) - qvel[i]);
        }
        /* orientation error as a rotation vector in the root's frame (the
           frame of MuJoCo's free-joint angular velocity) */
        double qinv[4], qe[4], e[3];
        lfd_quat_conj(qinv, qpos + 3);
        lfd_quat_mul(qe, qinv, q_ref + 3);
        lfd_quat_to_rotvec(e, qe);
        for (int i = 0; i < 3; i++)
            ades[3 + i] += kpr * e[i] + kdr * ((qd_ref ? qd_ref[3 + i] : 0) - qvel[3 + i]);
        double wj = 2 * M_PI * BAL_JOINT_HZ, kpj = wj * wj, kdj = 2 * zeta * wj;
        for (int j = 0; j < r->njoints; j++) {
            const lfd_robot_joint *jt = &r->joints[j];
            int qa = jt->qpos_adr, da = jt->dof_adr;
            double qr = q_ref[qa];
            if (BAL_SWING_BLEND) {
                /* a swinging leg: its lift-off error decays over BAL_SWING_BLEND_S */
                for (int s = 0; s < 2; s++) {
                    int b = r->feet[s].body_id;
                    if (b < 0 || !ff->swing[s])
                        continue;
                    while (b > 0 && b != jt->body_id)
                        b = m->body_parentid[b];
                    if (b > 0 && b == jt->body_id) {
                        double u = fmin(1, ff->swing_s[s] / BAL_SWING_BLEND_S);
                        qr += (1 - u * u * (3 - 2 * u)) * ff->qoff[da];
                    }
                }
            }
            ades[da] += kpj * (qr - qpos[qa]) + kdj * ((qd_ref ? qd_ref[da] : 0) - qvel[da]);
        }
    }

    /* the dynamics at the measured state: M (with armature) and the bias
       forces h (gravity, Coriolis, minus springs and damping) */
    memcpy(d->qvel, qvel, (size_t)nv * sizeof(double));
    mj_tendon(m, d);
    mj_comVel(m, d);
    mj_passive(m, d);
    mj_crb(m, d);
    mj_fullM(m, ff->M, d->qM);
    mj_rne(m, d, 0, ff->h);
    for (int i = 0; i < nv; i++)
        ff->h[i] -= d->qfrc_passive[i];

    /* contact rows: a loaded foot does not slide (its sole centre's
       velocity is damped out) and lies flat (roll and pitch towards the
       floor's: a sole that lands tilted is brought down onto the floor, so
       its whole area carries the robot): J_c qdd = bc */
    int nc = 6 * nf + 3 * nsw;
    double bc[15];
    const double kf = (2 * M_PI * BAL_FLAT_HZ) * (2 * M_PI * BAL_FLAT_HZ);
    for (int a = 0; a < nc; a++) {
        const double *ja = ff->jac[a / 6] + (a % 6) * nv;
        double v = 0;
        for (int i = 0; i < nv; i++)
            v += ja[i] * qvel[i];
        if (a >= 6 * nf) {
            /* the swinging foot's sole centre toward its target */
            int k = a - 6 * nf;
            double ws = 2 * M_PI * BAL_STEP_HZ;
            bc[a] = ws * ws * (sw_target[k] - sw_pos[k]) - 2 * zeta * ws * v;
            continue;
        }
        bc[a] = -BAL_FOOT_KV * v;
        if (a % 6 >= 3) {
            /* world rotation taking the sole's normal onto the vertical */
            const double *R = d->xmat + 9 * r->feet[foot_of[a / 6]].body_id;
            double ax[3] = {R[5], -R[2], 0};
            bc[a] += kf * ax[a % 6 - 3];
        }
    }

    /* the task weights of the acceleration solve: root orientation, root
       translation, joints */
    for (int i = 0; i < nv; i++)
        ff->wi[i] = 1.0 / (i < 3 ? BAL_W_LIN : i < 6 ? BAL_W_ROT : 1.0); /* inverse weights */
    /* a loaded foot's ankles follow the floor, not the reference: their
       angle is whatever lays the sole flat (a reference sole a few degrees
       off the floor would otherwise stand the robot on an edge and rock
       it), so they lose their joint feedback and are the cheapest to
       change */
    for (int f = 0; BAL_ANKLE_FREE && f < nf; f++)
        for (int jj = 0; jj < r->njoints; jj++) {
            const lfd_robot_joint *jt = &r->joints[jj];
            if (!is_ankle(m, d, &r->feet[foot_of[f]], jt))
                continue;
            int da = jt->dof_adr, qa = jt->qpos_adr;
            double wj = 2 * M_PI * BAL_JOINT_HZ;
            ades[da] -= wj * wj * (q_ref[qa] - qpos[qa]) + 2 * zeta * wj * ((qd_ref ? qd_ref[da] : 0) - qvel[da]);
            ff->wi[da] = 1.0 / BAL_W_ANKLE_ACC;
        }

    /* the contact-consistent desired acceleration: the smallest weighted
       change to ades with J_c qdd = bc */
    memcpy(ff->z, ades, (size_t)nv * sizeof(double));
    if (nc > 0)
        eq_project(ff, nv, nc, NULL, NULL, bc, ff->z);

    /* 2. its generalized force f = M qdd + h; the floor supplies the root's
       six rows through cone-edge forces x >= 0 at the loaded corners: the
       feasible x closest to them (weighted least squares, lfd_boxqp) */
    double W = r->mass_kg * 9.81, L = BAL_LEVER_M;
    const double wm = BAL_W_MOMENT;
    double rw[6] = {1 / W, 1 / W, 1 / W, wm / (W * L), wm / (W * L), wm / (W * L)};
    double froot[6];
    for (int k = 0; k < 6; k++) {
        double t = ff->h[k];
        for (int i = 0; i < nv; i++)
            t += ff->M[k * nv + i] * ff->z[i];
        froot[k] = t;
    }
    static const double tdir[BAL_EDGES][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    double en = 1.0 / sqrt(1 + mu * mu);
    unsigned char active[BAL_CORNERS] = {0};
    int n = 0;
    for (int f = 0; f < nf; f++) {
        int s = foot_of[f];
        for (int k = 0; k < 4; k++) {
            int cm = contact && !BAL_CORNERS_BY_HEIGHT ? contact[s] >> 1 : 0;
            if (cm ? !(cm & 1 << k) : corner[s][k][2] > zmin[s] + BAL_CORNER_TOL_M)
                continue;
            int c = 4 * s + k;
            active[c] = 1;
            double *J = ff->cjac + (size_t)c * 3 * nv;
            mj_jac(m, d, J, NULL, corner[s][k], r->feet[s].body_id);
            for (int e = 0; e < BAL_EDGES; e++) {
                double ev[3] = {mu * tdir[e][0] * en, mu * tdir[e][1] * en, en};
                double *a = ff->A + 6 * n;
                for (int i = 0; i < 6; i++)
                    a[i] = (J[i] * ev[0] + J[nv + i] * ev[1] + J[2 * nv + i] * ev[2]) * W;
                memcpy(ff->e[n], ev, sizeof ev);
                ff->col_corner[n] = c;
                n++;
            }
        }
    }
    int same = !memcmp(active, ff->active_prev, sizeof active);
    memcpy(ff->active_prev, active, sizeof active);
    if (n > 0) {
        double *H = ff->H, *g = ff->g;
        for (int i = 0; i < n; i++) {
            const double *ai = ff->A + 6 * i;
            for (int j = 0; j <= i; j++) {
                const double *aj = ff->A + 6 * j;
                double t = 0;
                for (int k = 0; k < 6; k++)
                    t += ai[k] * aj[k] * rw[k] * rw[k];
                H[i * n + j] = H[j * n + i] = t;
            }
            H[i * n + i] += 1e-6;
            if (BAL_UNLOAD) {
                /* a foot the reference is about to lift sheds its load */
                double u = unload[ff->col_corner[i] / 4];
                H[i * n + i] += BAL_W_UNLOAD * (1 - u) / fmax(u, 0.05);
            }
            double t = 0;
            for (int k = 0; k < 6; k++)
                t += ai[k] * froot[k] * rw[k] * rw[k];
            g[i] = -t;
            ff->lo[i] = 0;
            ff->hi[i] = INFINITY;
            if (!same)
                ff->x[i] = 0;
        }
        lfd_boxqp_result qr;
        if (lfd_boxqp_solve(n, H, g, ff->lo, ff->hi, ff->x, 50, 1e-12, ff->qpws, &qr))
            memset(ff->x, 0, (size_t)n * sizeof(double));
        /* torque limits of the ankles: the contact forces alone set an
           ankle's torque (the foot is light), tau_j = (M qdd + h)_j -
           sum_i c_ij x_i.  An ankle past BAL_ANKLE_FRAC of its limit gets a
           heavy least-squares row pulling its torque back to that
           fraction, and the QP is solved again (up to twice): the centre of
           pressure moves towards the ankle and the motion gives way in
           step 3, instead of the actuator saturating and the foot rolling
           onto its edge. */
        for (int pass = 0; BAL_ANKLE_TAU && pass < 2; pass++) {
            int added = 0;
            for (int f = 0; f < nf; f++) {
                const lfd_robot_foot *ft = &r->feet[foot_of[f]];
                for (int jj = 0; jj < r->njoints; jj++) {
                    const lfd_robot_joint *jt = &r->joints[jj];
                    if (!(jt->torque_max > 0) || jt->act_id < 0)
                        continue;
                    if (!is_ankle(m, d, ft, jt))
                        continue;
                    int j = jt->dof_adr;
                    double hj = ff->h[j], cx = 0;
                    for (int i = 0; i < nv; i++)
                        hj += ff->M[j * nv + i] * ff->z[i];
                    double *cj = ff->tq; /* n: the ankle's torque per unit x_i */
                    for (int i = 0; i < n; i++) {
                        const double *J = ff->cjac + (size_t)ff->col_corner[i] * 3 * nv;
                        cj[i] = W * (J[j] * ff->e[i][0] + J[nv + j] * ff->e[i][1] + J[2 * nv + j] * ff->e[i][2]);
                        cx += cj[i] * ff->x[i];
                    }
                    double tau_j = hj - cx, lim = BAL_ANKLE_FRAC * jt->torque_max;
                    if (fabs(tau_j) <= lim)
                        continue;
                    /* rows w (c_j x - (hj - target))^2 */
                    double target = tau_j > 0 ? lim : -lim, b0 = hj - target;
                    double w = bal_sq(BAL_W_ANKLE / (W * L));
                    for (int i = 0; i < n; i++) {
                        for (int k = 0; k < n; k++)
                            H[i * n + k] += w * cj[i] * cj[k];
                        g[i] -= w * cj[i] * b0;
                    }
                    added++;
                }
            }
            if (!added)
                break;
            if (lfd_boxqp_solve(n, H, g, ff->lo, ff->hi, ff->x, 50, 1e-12, ff->qpws, &qr))
                memset(ff->x, 0, (size_t)n * sizeof(double));
        }
    }

    /* 3. the acceleration these forces give: the smallest weighted change
       to the contact-consistent one with the root rows of the dynamics
       M_root qdd = A x - h_root (the momentum the floor allows) and still
       J_c qdd = bc.  Where the floor cannot supply what the tasks asked
       (a jump in the reference, a lean beyond the soles), the robot's
       acceleration is changed, not the physics. */
    double broot[6];
    for (int k = 0; k < 6; k++) {
        double t = -ff->h[k];
        for (int i = 0; i < n; i++)
            t += ff->A[6 * i + k] * ff->x[i];
        broot[k] = t;
    }
    if (BAL_W_JOINT3 != 1.0)
        for (int i = 6; i < nv; i++)
            ff->wi[i] /= BAL_W_JOINT3;
    eq_project(ff, nv, nc, ff->M, broot, bc, ff->z);

    /* 4. joint torques: M qdd + h - J^T F on the joint rows */
    double res[6];
    for (int k = 0; k < 6; k++) {
        double t = ff->h[k];
        for (int i = 0; i < nv; i++)
            t += ff->M[k * nv + i] * ff->z[i];
        res[k] = t - (broot[k] + ff->h[k]);
    }
    for (int j = 6; j < nv; j++) {
        double t = ff->h[j];
        for (int i = 0; i < nv; i++)
            t += ff->M[j * nv + i] * ff->z[i];
        ff->f[j] = t;
    }
    for (int i = 0; i < n; i++) {
        const double *J = ff->cjac + (size_t)ff->col_corner[i] * 3 * nv;
        double F[3] = {ff->e[i][0] * ff->x[i] * W, ff->e[i][1] * ff->x[i] * W, ff->e[i][2] * ff->x[i] * W};
        for (int j = 6; j < nv; j++)
            ff->f[j] -= J[j] * F[0] + J[nv + j] * F[1] + J[2 * nv + j] * F[2];
    }
    for (int k = 0; k < 6; k++)
        ff->f[k] = 0;
    if (root_residual)
        memcpy(root_residual, res, sizeof res);
    /* the torques to the motors, clamped, with the description's damping
       (the stiffness is in the acceleration tasks) */
    return lfd_robot_pd_checked(r, qpos, qvel, qpos, qd_ref, ff->f, ctrl, tau, &ff->nonfinite);
}
