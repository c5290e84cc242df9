/*  lfd_retarget_torque: the upper body's torques brought within their limits
    (the torque step of lfd_retarget_human, docs/retarget.md part 24).

    A joint none of whose descendants is a foot (waist, arms, head) carries
    no share of the floor's force: its torque is the inverse dynamics of the
    motion alone, M q'' + c(q, q') + armature q'' - passive, with no contact
    split to choose.  lfd check computes it so, from the same finite
    differences (sim/lfd_check.c), so the step can bring it within the
    limit exactly where the check would fail it.

    Where such a joint asks more than TORQUE_STEP_ON of its limit, the step
    changes that joint's own angle over a window around the peak
    (TORQUE_STEP_WINDOW_S either side) by the solution of a small quadratic
    program (window_solve): the least change (1 per rad^2) that brings the
    linearised torque to TORQUE_STEP_AIM of the limit wherever it would be
    over it, changes the torque elsewhere little (TORQUE_STEP_KEEP) and
    keeps the motion's ZMP where it was (TORQUE_STEP_ZMP_W: the step comes
    after the dynamics filter and may not undo it), within the joint's range
    and TORQUE_STEP_MAX_RAD of its angle.  The linearisation: the joint's
    own acceleration moves its torque through its diagonal inertia, its
    angle through the derivative of its torque (gravity's lever, mostly), and
    the root's column of the inertia and that derivative move the ZMP.  The
    torques are then computed again exactly; a change is kept only if it
    lowers the worst torque of the frames it moved (change_helps), leaves no
    ZMP further outside its support (zmp_further) and puts no arm further
    into the body or the floor than it was (self_depth); else half of it,
    then a quarter, is tried.  The step repeats on what is left
    (TORQUE_STEP_ROUNDS), joint by joint.

    On G1's bend-scoop (30 fps) the waist pitch asks 1.28 of its 35 N m:
    the trunk is bent to the end of the waist's range while the pelvis
    reverses its fall at the bottom of the squat (4.3 m/s^2 upward) and turns
    (19 of the 45 N m at frame 117 are the root's turn).  The step turns the
    waist back by up to 0.15 rad at the squat's bottom and against the
    pelvis's turn around frame 117, and the largest torque becomes 0.96 of
    the limit (docs/retarget.md part 24).  The velocity limits stay hard
    bounds.

    Torque limits as constraints of a motion's optimisation are as in
    Suleiman, Yoshida, Kanehiro, Laumond & Monin, "On human motion imitation
    by humanoid robot", ICRA 2008; the correction here is local and
    linearised, one joint at a time, with the exact torques between rounds. */
#include "retarget/lfd_retarget_int.h"

#include "core/lfd_boxqp.h"
#include "robots/lfd_mj.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The joints whose torques the step can compute exactly: hinges with a
   finite torque limit on no foot's path to the root (lfd_rt_joint_leg_side:
   no foot below them, and no foot themselves). */
static int upper_joint(const lfd_robot *r, int j)
{
    const lfd_robot_joint *J = &r->joints[j];
    return J->type == mjJNT_HINGE && J->torque_max > 0 && isfinite(J->torque_max) &&
           lfd_rt_joint_leg_side(r, j) < 0;
}

typedef struct {
    mjData *d;
    double *vh;   /* (n - 1) x nv half-step velocities */
    double *qvel, *qacc, *f;
    double *tau;  /* n x nu: the upper joints' torques */
    double *inert; /* n x nu: their diagonal inertia with armature */
    double *x, *rhs; /* a window's solution and gradient */
    double *orig;  /* n x nu: the upper joints' angles before the step */
    unsigned char *skip; /* n x nu: peaks a change did not bring down */
    double *wb, *wa;     /* nu: each upper joint's worst over a window, before and after a change */
    double *sens;        /* n: a joint's torque's change with its own angle */
    double *qpert;       /* nq: a perturbed pose */
    double *lo, *hi, *cur; /* a window's bounds, the joint's angles */
    unsigned char *act;  /* a window's torque rows aiming at the limit (1: +, 2: -) */
    double *H, *qpws;    /* a window's quadratic program and the solver's workspace */
    double *froot;       /* n x 6: the root's generalized forces (floating robots) */
    double *zc;          /* n x nu x 2: the ZMP's move per unit of an upper joint's acceleration */
    double *zs;          /* n x 2: ... per unit of the joint's angle (the joint a window corrects) */
    double weight_n;     /* the robot's weight */
    double *depth0, *depth1; /* a window's penetrations per frame (self, floor), before and after a change */
    mjData *dc;          /* with contact buffers, for the penetrations (made when first needed) */
    int wmax;            /* frames in a window at most */
    double *zmp_out;     /* n: how far the ZMP lies outside the support (m) */
    double *zmp_out0;    /* a window's zmp_out before a change */
    int *ju;      /* nu upper joints */
    int nu;
} torque_ws;

/* frame t's velocity and acceleration into w->qvel, w->qacc from the
   half-step velocities (the first frame takes the second's acceleration,
   the last the one before it) */
static void frame_diffs(const lfd_motion *mo, torque_ws *w, int nv, int t)
{
    int n = mo->nframes;
    int ta = n < 3 ? -1 : t == 0 ? 1 : t == n - 1 ? n - 2 : t;
    for (int i = 0; i < nv; i++) {
        double a = t > 0 ? w->vh[(size_t)(t - 1) * nv + i] : 0;
        double b = t + 1 < n ? w->vh[(size_t)t * nv + i] : 0;
        w->qvel[i] = t > 0 && t + 1 < n ? 0.5 * (a + b) : t > 0 ? a : t + 1 < n ? b : 0;
        w->qacc[i] = ta < 0 ? 0 : (w->vh[(size_t)ta * nv + i] - w->vh[(size_t)(ta - 1) * nv + i]) * mo->fps;
    }
}

/* the generalized forces lfd check takes (M q'' + c + armature q'' -
   passive) at pose q with w->qvel, w->qacc, into w->f */
static void gen_forces(const mjModel *m, torque_ws *w, const double *q, int inertia)
{
    mjData *d = w->d;
    int nv = m->nv;
    memcpy(d->qpos, q, (size_t)m->nq * sizeof(double));
    memcpy(d->qvel, w->qvel, (size_t)nv * sizeof(double));
    memcpy(d->qacc, w->qacc, (size_t)nv * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_comVel(m, d);
    mj_passive(m, d);
    mj_rne(m, d, 1, w->f);
    if (inertia)
        mj_crb(m, d);
    for (int i = 0; i < nv; i++)
        w->f[i] += m->dof_armature[i] * w->qacc[i] - d->qfrc_passive[i];
}

/* How the ZMP moves (out, x and y on the floor, m) when the ground wrench
   the root needs changes by df (its six generalized forces: a force in
   world axes, a moment in the root's axes about its origin), at the pose in
   d whose vertical ground force is fz: the ZMP of a wrench (F, N) at the
   root's origin r is r_x - (N_y + r_z F_x) / F_z, r_y + (N_x - r_z F_y) / F_z,
   to first order with F_z held. */
static void zmp_move(const mjData *d, int root_body, double fz, const double *df, double out[2])
{
    const double *R = d->xmat + 9 * root_body, *p = d->xpos + 3 * root_body;
    double N[3];
    for (int i = 0; i < 3; i++)
        N[i] = R[3 * i] * df[3] + R[3 * i + 1] * df[4] + R[3 * i + 2] * df[5];
    out[0] = -(N[1] + p[2] * df[0]) / fz;
    out[1] = (N[0] - p[2] * df[1]) / fz;
}

/* How far (m, 0 inside) the ZMP of the root's generalized forces f lies
   outside the support polygon of the pose in d: the hull of the sole corners
   lfd check loads (lfd_rt_low_corners).  0 where
   no corner is that low or the ground carries under TORQUE_STEP_ZMP_MIN_FZ
   of the weight (nothing for the step to keep there). */
static double zmp_outside(const lfd_robot *r, const mjData *d, const double *f, double fz,
                          double weight_n)
{
    if (!r->floating || !(fz > TORQUE_STEP_ZMP_MIN_FZ * weight_n))
        return 0;
    double zmp[2];
    /* the ZMP: the root's origin plus zmp_move's terms of the whole wrench */
    zmp_move(d, r->root_body, fz, f, zmp);
    zmp[0] += d->xpos[3 * r->root_body];
    zmp[1] += d->xpos[3 * r->root_body + 1];
    double pts[2 * 2 * LFD_RT_MAX_SUPPORT];
    int on[2], np = lfd_rt_low_corners(r, d, pts, on);
    if (np == 0)
        return 0;
    const double *z = zmp;
    int nh = lfd_rt_hull2(pts, np);
    if (nh < 3) {
        /* a segment or a point: the distance to it */
        double best = INFINITY;
        for (int i = 0; i < nh; i++) {
            const double *a = pts + 2 * i, *b = pts + 2 * ((i + 1) % nh);
            double ab[2] = {b[0] - a[0], b[1] - a[1]}, l2 = ab[0] * ab[0] + ab[1] * ab[1];
            double u = l2 > 0 ? ((z[0] - a[0]) * ab[0] + (z[1] - a[1]) * ab[1]) / l2 : 0;
            u = fmin(fmax(u, 0), 1);
            best = fmin(best, hypot(z[0] - a[0] - u * ab[0], z[1] - a[1] - u * ab[1]));
        }
        return best;
    }
    double depth = lfd_rt_poly_depth(pts, nh, z);
    return depth < 0 ? -depth : 0;
}

/* The upper joints' torques at frames [t0, t1], from the motion's finite
   differences as lfd check takes them, and on a floating robot the root's
   needs (w->froot); with lin, what a window's solve reads as well: their
   diagonal inertia (with armature) and how the ZMP moves with each upper
   joint's acceleration (w->zc). */
static void torques(const lfd_robot *r, const lfd_motion *mo, torque_ws *w, int t0, int t1, int lin)
{
    const mjModel *m = r->m;
    int n = mo->nframes, nv = m->nv;
    double dt = 1.0 / mo->fps;
    for (int k = t0 > 0 ? t0 - 1 : 0; k <= t1 && k + 1 < n; k++)
        mj_differentiatePos(m, w->vh + (size_t)k * nv, dt, lfd_motion_frame(mo, k),
                            lfd_motion_frame(mo, k + 1));
    for (int t = t0; t <= t1; t++) {
        frame_diffs(mo, w, nv, t);
        gen_forces(m, w, lfd_motion_frame(mo, t), lin);
        double fz = r->floating ? w->f[2] : 0;
        if (r->floating)
            memcpy(w->froot + 6 * (size_t)t, w->f, 6 * sizeof(double));
        w->zmp_out[t] = zmp_outside(r, w->d, w->f, fz, w->weight_n);
        for (int u = 0; u < w->nu; u++) {
            int a = r->joints[w->ju[u]].dof_adr;
            w->tau[(size_t)t * w->nu + u] = w->f[a];
            if (!lin)
                continue;
            /* mj_crb's diagonal holds the armature already */
            w->inert[(size_t)t * w->nu + u] = w->d->qM[m->dof_Madr[a]];
            double *zc = w->zc + 2 * ((size_t)t * w->nu + u);
            zc[0] = zc[1] = 0;
            if (!(fz > TORQUE_STEP_ZMP_MIN_FZ * w->weight_n))
                continue;
            /* the root's six rows of the inertia's column a: M(a, i) for the
               dofs i above a, stored after M(a, a) up the dof tree */
            double col[6] = {0};
            int adr = m->dof_Madr[a];
            for (int i = m->dof_parentid[a]; i >= 0; i = m->dof_parentid[i])
                if (i < 6)
                    col[i] = w->d->qM[++adr];
                else
                    ++adr;
            zmp_move(w->d, r->root_body, fz, col, zc);
        }
    }
}

/* How upper joint u's torque at frames [t0, t1] changes with its own angle
   at that frame, velocity and acceleration held (gravity's lever mostly),
   by a forward difference, into w->sens[t] (N m / rad). */
static void position_sens(const lfd_robot *r, const lfd_motion *mo, torque_ws *w, int u, int t0,
                          int t1)
{
    const mjModel *m = r->m;
    const lfd_robot_joint *J = &r->joints[w->ju[u]];
    for (int t = t0; t <= t1; t++) {
        frame_diffs(mo, w, m->nv, t);
        memcpy(w->qpert, lfd_motion_frame(mo, t), (size_t)m->nq * sizeof(double));
        w->qpert[J->qpos_adr] += TORQUE_STEP_SENS_RAD;
        gen_forces(m, w, w->qpert, 0);
        w->sens[t] = (w->f[J->dof_adr] - w->tau[(size_t)t * w->nu + u]) / TORQUE_STEP_SENS_RAD;
        w->zs[2 * t] = w->zs[2 * t + 1] = 0;
        const double *fr = w->froot + 6 * (size_t)t;
        if (r->floating && fr[2] > TORQUE_STEP_ZMP_MIN_FZ * w->weight_n) {
            double df[6];
            for (int i = 0; i < 6; i++)
                df[i] = (w->f[i] - fr[i]) / TORQUE_STEP_SENS_RAD;
            zmp_move(w->d, r->root_body, fr[2], df, w->zs + 2 * t);
        }
    }
}

/* One joint's correction over the window [a, b] (x = 0 outside it):

     minimise  1/2 |x|^2 + 1/2 HIT sum_t max(0, |tau_t + a_t'x| / L - AIM)^2
                         + 1/2 KEEP sum_t (a_t'x / L)^2
     within the joint's range and TORQUE_STEP_MAX_RAD of its angle before the step,

   a_t'x = I_t (x[t-1] - 2 x[t] + x[t+1]) fps^2 + sens_t x[t] the linearised
   change of its torque at frame t.  The squared hinge is a quadratic on the
   rows it is active on; those are found by iterating (a row is active where
   the last solution leaves it over AIM), each quadratic solved within the
   bounds by lfd_boxqp (projected Newton). */
static int window_solve(const lfd_robot_joint *J, torque_ws *w, int u, int a, int b, double fps,
                        int n)
{
    int nw = b - a + 1;
    if (nw < 1 || nw > w->wmax)
        return -1;
    double L = J->torque_max, f2 = fps * fps;
    int r0 = a - 1 > 1 ? a - 1 : 1, r1 = b + 1 < n - 2 ? b + 1 : n - 2; /* the rows' frames */
    double *lo = w->lo, *hi = w->hi, *x = w->x, *H = w->H, *g = w->rhs;
    unsigned char *act = w->act;
    for (int i = 0; i < nw; i++) {
        double q = w->cur[a + i], o = w->orig[(size_t)(a + i) * w->nu + u];
        lo[i] = fmin(fmax(J->range_lo, o - TORQUE_STEP_MAX_RAD) - q, 0);
        hi[i] = fmax(fmin(J->range_hi, o + TORQUE_STEP_MAX_RAD) - q, 0);
        x[i] = 0;
    }
    for (int t = r0; t <= r1; t++)
        act[t - r0] = 0;
    for (int outer = 0; outer < TORQUE_STEP_ACTIVE_ITERS; outer++) {
        /* rows over the aim at the current x are the active ones */
        int changed = 0;
        for (int t = r0; t <= r1; t++) {
            double xm = t - 1 >= a ? x[t - 1 - a] : 0, x0 = t >= a && t <= b ? x[t - a] : 0,
                   xp = t + 1 <= b ? x[t + 1 - a] : 0;
            double pred = w->tau[(size_t)t * w->nu + u] +
                          w->inert[(size_t)t * w->nu + u] * f2 * (xm - 2 * x0 + xp) + w->sens[t] * x0;
            unsigned char na = fabs(pred) > TORQUE_STEP_AIM * L ? (pred > 0 ? 1 : 2) : 0;
            changed |= na != act[t - r0];
            act[t - r0] = na;
        }
        if (!changed && outer > 0)
            break;
        memset(H, 0, (size_t)nw * (size_t)nw * sizeof(double));
        memset(g, 0, (size_t)nw * sizeof(double));
        for (int i = 0; i < nw; i++)
            H[(size_t)i * nw + i] = 1.0; /* staying: 1 per rad^2 */
        for (int t = r0; t <= r1; t++) {
            double tau = w->tau[(size_t)t * w->nu + u];
            double gi = w->inert[(size_t)t * w->nu + u] * f2 / L; /* d(tau / L) / d(second difference) */
            double wt = TORQUE_STEP_KEEP, res = 0;
            if (act[t - r0]) {
                wt += TORQUE_STEP_HIT;
                res = TORQUE_STEP_HIT * (tau - (act[t - r0] == 1 ? 1 : -1) * TORQUE_STEP_AIM * L) / L / wt;
            }
            int col[3] = {t - 1 - a, t - a, t + 1 - a};
            double cf[3] = {gi, -2 * gi + w->sens[t] / L, gi};
            for (int p = 0; p < 3; p++) {
                if (col[p] < 0 || col[p] >= nw)
                    continue;
                g[col[p]] += wt * cf[p] * res;
                for (int q = 0; q < 3; q++)
                    if (col[q] >= 0 && col[q] < nw)
                        H[(size_t)col[p] * nw + col[q]] += wt * cf[p] * cf[q];
            }
        }
        /* the ZMP kept where it was: two rows a frame, in metres */
        for (int t = r0; t <= r1; t++) {
            for (int ax = 0; ax < 2; ax++) {
                double zc = w->zc[2 * ((size_t)t * w->nu + u) + ax] * f2, zs = w->zs[2 * t + ax];
                if (zc == 0 && zs == 0)
                    continue;
                int col[3] = {t - 1 - a, t - a, t + 1 - a};
                double cf[3] = {zc, -2 * zc + zs, zc};
                for (int p = 0; p < 3; p++)
                    for (int q = 0; q < 3; q++)
                        if (col[p] >= 0 && col[p] < nw && col[q] >= 0 && col[q] < nw)
                            H[(size_t)col[p] * nw + col[q]] += TORQUE_STEP_ZMP_W * cf[p] * cf[q];
            }
        }
        lfd_boxqp_result br;
        if (lfd_boxqp_solve(nw, H, g, lo, hi, x, 50, 1e-10, w->qpws, &br))
            return -1;
    }
    return 0;
}

static int make_full_data_cb(void *p)
{
    void **a = p;
    a[1] = mj_makeData((const mjModel *)a[0]);
    return a[1] ? LFD_OK : LFD_ENOMEM;
}

/* The deepest penetration (m, 0 for none) at each frame t of [t0, t1] of
   mo between two of the robot's bodies that lfd check does not exempt
   (itself, parent and child, the description's and the MJCF's exclusions),
   into depth[2 (t - t0)], and between a body and the floor, into
   depth[2 (t - t0) + 1]; with before (the same of the motion before a
   change), returns 1 if either is deeper than it was at some frame (a
   change may not push an arm into the body or a hand into the floor) or
   MuJoCo's contact buffer filled (contacts unseen), else 0; a status < 0
   when the collision data cannot be made.  The contact buffers' mjData is
   made on the first call (a step with no window needs none). */
static int self_depth(const lfd_robot *r, const lfd_motion *mo, torque_ws *w, int t0, int t1,
                      double *depth, const double *before, lfd_err *err)
{
    const mjModel *m = r->m;
    if (!w->dc) {
        void *a[2] = {(void *)m, NULL};
        int rc = lfd_mj_call(make_full_data_cb, a, err);
        if (rc)
            return rc;
        w->dc = a[1];
    }
    mjData *d = w->dc;
    int deeper = 0;
    for (int t = t0; t <= t1; t++) {
        memcpy(d->qpos, lfd_motion_frame(mo, t), (size_t)m->nq * sizeof(double));
        mj_kinematics(m, d);
        mj_collision(m, d);
        double self = 0, floor = 0;
        for (int i = 0; i < d->ncon; i++) {
            const mjContact *con = &d->contact[i];
            int b1 = m->geom_bodyid[con->geom1], b2 = m->geom_bodyid[con->geom2];
            if (!b1 || !b2)
                floor = fmax(floor, -con->dist);
            else if (!lfd_robot_pair_excluded(r, b1, b2))
                self = fmax(self, -con->dist);
        }
        double *dt = depth + 2 * (t - t0);
        dt[0] = self;
        dt[1] = floor;
        if (before && (d->ncon >= m->nconmax || self > before[2 * (t - t0)] + TORQUE_STEP_DEPTH_TOL_M ||
                       floor > before[2 * (t - t0) + 1] + TORQUE_STEP_DEPTH_TOL_M))
            deeper = 1;
    }
    return deeper;
}

/* 1 if a frame of [t0, t1] has its ZMP further outside the support than
   before the change (w->zmp_out0) by more than TORQUE_STEP_ZMP_TOL_M: the
   external help lfd check finds there would grow */
static int zmp_further(const torque_ws *w, int t0, int t1)
{
    for (int t = t0; t <= t1; t++)
        if (w->zmp_out[t] > w->zmp_out0[t - t0] + TORQUE_STEP_ZMP_TOL_M)
            return 1;
    return 0;
}

/* the largest |torque| / limit of each upper joint over frames [t0, t1], into out[nu] */
static void worst_ratios(const lfd_robot *r, const torque_ws *w, int t0, int t1, double *out)
{
    for (int u = 0; u < w->nu; u++) {
        double x = 0;
        for (int t = t0; t <= t1; t++)
            x = fmax(x, fabs(w->tau[(size_t)t * w->nu + u]));
        out[u] = x / r->joints[w->ju[u]].torque_max;
    }
}

/* A change to joint u is kept when it brings the worst torque of the upper
   joints over the frames it moves down, or u's own worst while every other
   upper joint stays under the step's threshold or no worse than it was. */
static int change_helps(const torque_ws *w, int u, const double *before, const double *after)
{
    double wb = 0, wa = 0;
    int others_ok = 1;
    for (int v = 0; v < w->nu; v++) {
        wb = fmax(wb, before[v]);
        wa = fmax(wa, after[v]);
        if (v != u && after[v] > fmax(before[v], TORQUE_STEP_ON) + 1e-9)
            others_ok = 0;
    }
    if (wa < wb - 1e-4)
        return 1;
    return others_ok && after[u] < before[u] - 1e-4;
}

int lfd_rt_torque_step(const lfd_robot *r, lfd_motion *mo, lfd_rt_torque_fig *fig, lfd_err *err)
{
    memset(fig, 0, sizeof *fig);
    const mjModel *m = r->m;
    int n = mo->nframes, nv = m->nv;
    if (n < 5 || !(mo->fps > 0))
        return LFD_OK;
    torque_ws w;
    memset(&w, 0, sizeof w);
    w.ju = malloc((size_t)(r->njoints > 0 ? r->njoints : 1) * sizeof(int));
    if (!w.ju)
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the torque step");
    for (int j = 0; j < r->njoints; j++)
        if (upper_joint(r, j))
            w.ju[w.nu++] = j;
    int rc = LFD_OK;
    double *q0 = NULL;
    if (w.nu == 0)
        goto done;
    w.d = lfd_mj_make_data_kin(m);
    w.vh = malloc((size_t)n * nv * sizeof(double));
    w.qvel = malloc((size_t)nv * 3 * sizeof(double));
    w.tau = malloc((size_t)n * w.nu * sizeof(double));
    w.inert = malloc((size_t)n * w.nu * sizeof(double));
    w.x = malloc((size_t)n * 4 * sizeof(double));
    w.act = malloc((size_t)n);
    w.froot = malloc((size_t)n * (8 + 2 * (size_t)w.nu) * sizeof(double));
    w.weight_n = r->mass_kg * 9.81;
    w.depth0 = malloc((size_t)n * 6 * sizeof(double));
    /* a window: TORQUE_STEP_WINDOW_S either side of a peak, and the peaks
       within reach of it up to TORQUE_STEP_WINDOW_MAX frames (more where one
       peak's window is longer: at 147 fps and over) */
    int half = (int)ceil(TORQUE_STEP_WINDOW_S * mo->fps);
    int wmax = 2 * half + 1 > TORQUE_STEP_WINDOW_MAX ? 2 * half + 1 : TORQUE_STEP_WINDOW_MAX;
    wmax = wmax < n ? wmax : n;
    w.wmax = wmax;
    w.H = malloc(((size_t)wmax * (size_t)wmax + lfd_boxqp_ws_doubles(wmax)) * sizeof(double));
    w.orig = malloc((size_t)n * w.nu * sizeof(double));
    size_t nskip = (size_t)n * (size_t)w.nu;
    w.skip = calloc(nskip, 1);
    w.wb = malloc((size_t)w.nu * 2 * sizeof(double));
    w.sens = calloc((size_t)n + (size_t)m->nq, sizeof(double));
    q0 = malloc((size_t)n * sizeof(double));
    if (!w.d || !w.vh || !w.qvel || !w.tau || !w.inert || !w.x || !q0 || !w.orig || !w.skip || !w.wb || !w.sens || !w.act || !w.H || !w.froot || !w.depth0) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory for the torque step (%d frames)", n);
        goto done;
    }
    w.cur = q0;
    w.qpws = w.H + (size_t)wmax * (size_t)wmax;
    w.zs = w.froot + 6 * (size_t)n;
    w.zc = w.zs + 2 * (size_t)n;
    w.depth1 = w.depth0 + 2 * (size_t)n;
    w.zmp_out = w.depth0 + 4 * (size_t)n;
    w.zmp_out0 = w.depth0 + 5 * (size_t)n;
    w.qacc = w.qvel + nv;
    w.f = w.qvel + 2 * nv;
    w.rhs = w.x + n;
    w.lo = w.x + 2 * n;
    w.hi = w.x + 3 * n;
    w.wa = w.wb + w.nu;
    w.qpert = w.sens + n;
    torques(r, mo, &w, 0, n - 1, 0);
    fig->measured = 1;
    for (int u = 0; u < w.nu; u++)
        for (int t = 0; t < n; t++) {
            double a = fabs(w.tau[(size_t)t * w.nu + u]) / r->joints[w.ju[u]].torque_max;
            fig->ratio_before = fmax(fig->ratio_before, a);
        }
    fig->ratio_after = fig->ratio_before;
    if (fig->ratio_before <= TORQUE_STEP_ON)
        goto done;
    for (int u = 0; u < w.nu; u++)
        for (int t = 0; t < n; t++)
            w.orig[(size_t)t * w.nu + u] = lfd_motion_frame(mo, t)[r->joints[w.ju[u]].qpos_adr];
    for (int round = 0; round < TORQUE_STEP_ROUNDS; round++) {
        int changed = 0;
        /* a peak a change did not bring down is tried again after other changes */
        memset(w.skip, 0, nskip);
        for (int u = 0; u < w.nu; u++) {
            const lfd_robot_joint *J = &r->joints[w.ju[u]];
            double on = TORQUE_STEP_ON * J->torque_max;
            int t = 1;
            while (t < n - 1) {
                if (fabs(w.tau[(size_t)t * w.nu + u]) <= on || w.skip[(size_t)t * w.nu + u]) {
                    t++;
                    continue;
                }
                /* a window around this peak and the ones within reach of it */
                int last = t;
                for (int k = t; k < n - 1 && k <= last + 2 * half; k++)
                    if (fabs(w.tau[(size_t)k * w.nu + u]) > on && !w.skip[(size_t)k * w.nu + u] &&
                        k + 2 * half < t + wmax)
                        last = k;
                int a = t - half > 1 ? t - half : 1, b = last + half < n - 2 ? last + half : n - 2;
                /* the frames whose torques the change moves, and their worst before it */
                int e0 = a - 1 > 0 ? a - 1 : 0, e1 = b + 2 < n ? b + 2 : n - 1;
                /* the first frame takes the second's acceleration, the last the one before it */
                e0 = e0 == 1 ? 0 : e0;
                e1 = e1 == n - 2 ? n - 1 : e1;
                worst_ratios(r, &w, e0, e1, w.wb);
                if ((rc = self_depth(r, mo, &w, e0, e1, w.depth0, NULL, err)) < 0)
                    goto done;
                memcpy(w.zmp_out0, w.zmp_out + e0, (size_t)(e1 - e0 + 1) * sizeof(double));
                for (int k = e0; k <= e1; k++)
                    q0[k] = lfd_motion_frame(mo, k)[J->qpos_adr];
                int r0 = a - 1 > 1 ? a - 1 : 1, r1 = b + 1 < n - 2 ? b + 1 : n - 2; /* window_solve's rows */
                torques(r, mo, &w, r0, r1, 1);
                position_sens(r, mo, &w, u, r0, r1);
                /* the change, or half or a quarter of it where the whole one
                   does not help or pushes an arm into the body */
                int kept = 0;
                double step = isfinite(J->vel_max) && J->vel_max > 0 ? J->vel_max / mo->fps * (1 - 1e-9) : INFINITY;
                if (window_solve(J, &w, u, a, b, mo->fps, n) == 0) {
                    for (double scale = 1; !kept && scale > 0.2; scale *= 0.5) {
                        for (int k = a; k <= b; k++) {
                            double *v = lfd_motion_frame(mo, k) + J->qpos_adr;
                            *v = fmin(fmax(q0[k] + scale * w.x[k - a], J->range_lo), J->range_hi);
                        }
                        /* the velocity limit as a hard bound, as the passes keep it,
                           through the frame after the window; a change the clamp
                           would carry further (past the frames whose torques are
                           measured again) is not taken */
                        for (int k = a; k <= b + 1 && k < n; k++) {
                            double *v = lfd_motion_frame(mo, k) + J->qpos_adr;
                            double p = lfd_motion_frame(mo, k - 1)[J->qpos_adr];
                            *v = fmin(fmax(k > b ? q0[k] : *v, p - step), p + step);
                        }
                        int carried = 0;
                        if (b + 2 < n) {
                            double v2 = lfd_motion_frame(mo, b + 2)[J->qpos_adr];
                            double d1 = fabs(v2 - lfd_motion_frame(mo, b + 1)[J->qpos_adr]);
                            carried = d1 > fmax(step, fabs(v2 - q0[b + 1])) + 1e-12;
                        }
                        torques(r, mo, &w, e0, e1, 0);
                        worst_ratios(r, &w, e0, e1, w.wa);
                        kept = !carried && change_helps(&w, u, w.wb, w.wa) && !zmp_further(&w, e0, e1);
                        if (kept) {
                            int deeper = self_depth(r, mo, &w, e0, e1, w.depth1, w.depth0, err);
                            if (deeper < 0) {
                                rc = deeper;
                                goto done;
                            }
                            kept = !deeper;
                        }
                    }
                }
                if (kept) {
                    for (int k = e0; k <= e1; k++) {
                        double dq = fabs(lfd_motion_frame(mo, k)[J->qpos_adr] - w.orig[(size_t)k * w.nu + u]);
                        fig->change_max_rad = fmax(fig->change_max_rad, dq);
                    }
                    fig->windows++;
                    changed = 1;
                } else {
                    for (int k = e0; k <= e1; k++)
                        lfd_motion_frame(mo, k)[J->qpos_adr] = q0[k];
                    /* the torques and the half-step velocities of the motion as it was */
                    torques(r, mo, &w, e0, e1, 0);
                    for (int k = t; k <= last; k++)
                        w.skip[(size_t)k * w.nu + u] = 1;
                }
                t = last + 1;
            }
        }
        if (!changed)
            break;
    }
    fig->ratio_after = 0;
    for (int u = 0; u < w.nu; u++)
        for (int t = 0; t < n; t++) {
            double a = fabs(w.tau[(size_t)t * w.nu + u]) / r->joints[w.ju[u]].torque_max;
            fig->ratio_after = fmax(fig->ratio_after, a);
        }
done:
    free(w.depth0);
    free(w.froot);
    free(w.H);
    free(w.act);
    free(w.sens);
    free(w.wb);
    free(w.skip);
    free(w.orig);
    free(q0);
    free(w.x);
    free(w.inert);
    free(w.tau);
    free(w.qvel);
    free(w.vh);
    if (w.d)
        mj_deleteData(w.d);
    if (w.dc)
        mj_deleteData(w.dc);
    free(w.ju);
    return rc;
}
