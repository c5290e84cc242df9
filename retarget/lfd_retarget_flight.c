/*  lfd_retarget_flight: a flight's centre of mass falls freely (the flight
    step of lfd_retarget_human; docs/retarget.md part 26).

    Where both feet are off the floor (no sole corner within DYN_CONTACT_M,
    the corners lfd check lets carry load) nothing but gravity acts on the
    robot: its centre of mass must move on a parabola, accelerating at g
    downward and not at all sideways, and its angular momentum about the
    CoM must hold.  A scaled person does not: the root follows the person's
    pelvis scaled to the robot's legs, which scales the flight's
    accelerations with it, the whole-clip smoothing spreads the take-off's
    and the landing's pushes into the flight, and the robot's limbs carry
    other masses than the person's.  lfd check then asks external help for
    the missing fall (CMU's playground jumps onto G1 at 30 fps: the CoM falls
    at 5.3 m/s^2 on average over its 126 flight frames).

    Per axis (three translations of the CoM, three turns about it) one
    banded least-squares solve over the clip (solve_axis): free fall in the
    flight frames (FLIGHT_W_FREE), the correction's second difference small
    elsewhere (FLIGHT_W_SMOOTH), and the correction and its first difference
    small too (FLIGHT_SPREAD_S, FLIGHT_DAMP), which spreads the push over
    about FLIGHT_SPREAD_S of the support around a flight.  Flight frames turn
    about their CoM and move as a whole; frames on the floor move their root
    with the legs holding the feet (lfd_rt_legs_shift), moved again until
    their CoM is where it is wanted (FLIGHT_COM_ITERS); the legs' changes and
    what the roots took up beyond the plan are smoothed (FEET_CORR_HZ) before
    the flights are placed, the legs' change faded into them; frames that
    were on the floor stay within the contact height (keep_on_floor).  The
    rounds repeat while the flights come nearer free fall (flight_rounds);
    then a flight whose surroundings ask the feet for more than before
    (lfd_rt_support_gap) is dropped and the clip solved again.  A flight
    touching the clip's first or last frame is left as it is; a clip with no
    flight comes back bit for bit. */
#include "retarget/lfd_retarget_int.h"

#include "core/lfd_quat.h"
#include "robots/lfd_mj.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the CoM of pose q (kinematics in d) */
static void frame_com(const mjModel *mm, mjData *d, int root, const double *q, double c[3])
{
    memcpy(d->qpos, q, (size_t)mm->nq * sizeof(double));
    mj_kinematics(mm, d);
    mj_comPos(mm, d);
    memcpy(c, d->subtree_com + 3 * root, 3 * sizeof(double));
}

/* every frame's CoM (n x 3) and the diagonal of its whole-body inertia
   about the CoM in world axes (n x 3) */
static void com_and_inertia(const lfd_robot *r, mjData *d, const lfd_motion *m, double *com,
                            double *iner)
{
    const mjModel *mm = r->m;
    for (int k = 0; k < m->nframes; k++) {
        memcpy(d->qpos, lfd_motion_frame(m, k), (size_t)mm->nq * sizeof(double));
        mj_kinematics(mm, d);
        mj_comPos(mm, d);
        const double *c = d->subtree_com + 3 * r->root_body; /* the root's subtree: the whole robot */
        memcpy(com + 3 * k, c, 3 * sizeof(double));
        double *I = iner + 3 * k;
        I[0] = I[1] = I[2] = 0;
        for (int b = 1; b < mm->nbody; b++) {
            double mb = mm->body_mass[b];
            if (!(mb > 0))
                continue;
            const double *R = d->ximat + 9 * b, *J = mm->body_inertia + 3 * b, *x = d->xipos + 3 * b;
            double rr[3] = {x[0] - c[0], x[1] - c[1], x[2] - c[2]};
            for (int a = 0; a < 3; a++) {
                /* (R diag(J) R')_aa + m (|r|^2 - r_a^2) */
                double t = 0;
                for (int u = 0; u < 3; u++)
                    t += R[3 * a + u] * R[3 * a + u] * J[u];
                I[a] += t + mb * (rr[0] * rr[0] + rr[1] * rr[1] + rr[2] * rr[2] - rr[a] * rr[a]);
            }
        }
    }
}

/* the frames in flight: no sole corner within DYN_CONTACT_M of the floor
   (the feet's bodies posed alone, on: nbody scratch), the clip's first and
   last frames never; floor0: whether a frame has such a corner, the ends
   too; returns the flight frames' count */
static int find_flight(const lfd_robot *r, mjData *d, const lfd_motion *m, unsigned char *on,
                       unsigned char *flight, unsigned char *floor0)
{
    const mjModel *mm = r->m;
    memset(on, 0, (size_t)mm->nbody);
    for (int side = 0; side < 2; side++)
        lfd_mj_mark_body(mm, on, r->feet[side].body_id);
    int nf = 0;
    for (int k = 0; k < m->nframes; k++) {
        memcpy(d->qpos, lfd_motion_frame(m, k), (size_t)mm->nq * sizeof(double));
        lfd_mj_kinematics_some(mm, d, on, NULL, 0);
        int on2[2];
        floor0[k] = lfd_rt_low_corners(r, d, NULL, on2) > 0;
        /* the clip's ends have no acceleration: never a flight frame */
        flight[k] = !floor0[k] && k > 0 && k + 1 < m->nframes;
        nf += flight[k];
    }
    return nf;
}

/* the correction of one axis: x (n) whose second differences in the flight
   frames are acc_t - a[k] and elsewhere small (a: per frame^2, n values) */
static int solve_axis(const double *a, const unsigned char *flight, double acc_t, double w0, int n,
                      double *x, double *work)
{
    double *a0 = work, *a1 = work + n, *a2 = work + 2 * n;
    /* x's first differences too (FLIGHT_DAMP): the kernel that spreads a
       flight's push swings back less */
    double w1 = FLIGHT_DAMP * sqrt(w0 * FLIGHT_W_SMOOTH);
    for (int k = 0; k < n; k++) {
        a0[k] = w0;
        a1[k] = a2[k] = 0;
        x[k] = 0;
    }
    for (int k = 0; k + 1 < n; k++) {
        a0[k] += w1;
        a0[k + 1] += w1;
        a1[k] -= w1;
    }
    for (int k = 1; k + 1 < n; k++) {
        double w = flight[k] ? FLIGHT_W_FREE : FLIGHT_W_SMOOTH;
        double r = flight[k] ? acc_t - a[k] : 0; /* the second difference wanted of the correction */
        a0[k - 1] += w;
        a1[k - 1] += -2 * w;
        a2[k - 1] += w;
        a0[k] += 4 * w;
        a1[k] += -2 * w;
        a0[k + 1] += w;
        x[k - 1] += w * r;
        x[k] += -2 * w * r;
        x[k + 1] += w * r;
    }
    return lfd_rt_band2_solve(a0, a1, a2, x, n);
}

/* the flight frames' worst linear (m/s^2 off free fall) and turning
   (moment about the CoM, N m) residuals from the ground's wrench; returns
   the sum over the flight frames of the wrench as a share of the weight
   (the moment at FLIGHT_MOMENT_ARM_M), squared: what a round must lower */
static double residuals(const unsigned char *flight, int n, const double *F, const double *Nc,
                        double mass, double g, double *lin, double *ang)
{
    double e = 0;
    *lin = *ang = 0;
    for (int k = 1; k + 1 < n; k++)
        if (flight[k]) {
            double f = sqrt(F[3 * k] * F[3 * k] + F[3 * k + 1] * F[3 * k + 1] + F[3 * k + 2] * F[3 * k + 2]);
            double t = sqrt(Nc[3 * k] * Nc[3 * k] + Nc[3 * k + 1] * Nc[3 * k + 1] + Nc[3 * k + 2] * Nc[3 * k + 2]);
            *lin = fmax(*lin, f / mass);
            *ang = fmax(*ang, t);
            double sf = f / (mass * g), st = t / (mass * g * FLIGHT_MOMENT_ARM_M);
            e += sf * sf + st * st;
        }
    return e;
}

/* The legs' change on the floor carried into the flights beside it: a
   frame on the floor moved its legs to hold the feet (m - before there),
   while a flight frame moves as a whole, so the legs' joints would turn in
   one frame; at 120 Hz that kink asked the ground for 30-100 m/s^2 at the
   flight's first and last frames.  Each flight frame takes the change of
   the last frame on the floor before it and of the first after it, faded
   out over fade frames by a raised cosine (its feet in the air follow). */
static void legs_fade_in(const lfd_robot *r, lfd_motion *m, const double *before,
                         const unsigned char *flight, double fade)
{
    int n = m->nframes, nq = m->nq;
    for (int k = 1; k + 1 < n; k++) {
        if (!flight[k])
            continue;
        int a = k, b = k;
        while (a > 0 && flight[a])
            a--;
        while (b < n - 1 && flight[b])
            b++;
        double w[2] = {0, 0}, x[2] = {(k - a) / fade, (b - k) / fade};
        int s[2] = {a, b};
        double *q = lfd_motion_frame(m, k);
        for (int e = 0; e < 2; e++) {
            if (flight[s[e]] || x[e] >= 1)
                continue; /* the clip's end in flight, or too far */
            w[e] = 0.5 * (1 + cos(M_PI * x[e]));
            const double *qs = lfd_motion_frame(m, s[e]), *q0 = before + (size_t)s[e] * (size_t)nq;
            for (int j = 0; j < r->njoints; j++)
                if (lfd_rt_joint_leg_side(r, j) >= 0) {
                    int i = r->joints[j].qpos_adr;
                    q[i] += w[e] * (qs[i] - q0[i]);
                }
        }
    }
}

/* A frame that had a sole corner within DYN_CONTACT_M of the floor keeps
   one: where the step lifted its lowest corner to that height or above
   (FLIGHT_FLOOR_SLACK_M below it), the body is lowered by what it lacks,
   the largest need within half a period of FEET_CORR_HZ, smoothed at that
   cutoff (a frame lowered alone is a kink: 15 body weights at 120 Hz).
   Without it lfd check's rule turned a frame of a landing's catch (4 body
   weights on CMU's jumps at 120 Hz) into one in the air, a tenth of a
   millimetre up.  work: 6 nframes. */
static int keep_on_floor(const lfd_robot *r, mjData *d, lfd_motion *m, const unsigned char *floor0,
                         unsigned char *feet_on, double *work, lfd_err *err)
{
    const mjModel *mm = r->m;
    int n = m->nframes, any = 0;
    double *need = work, *dl = work + n;
    memset(feet_on, 0, (size_t)mm->nbody);
    for (int side = 0; side < 2; side++)
        lfd_mj_mark_body(mm, feet_on, r->feet[side].body_id);
    for (int k = 0; k < n; k++) {
        need[k] = 0;
        if (!floor0[k])
            continue;
        memcpy(d->qpos, lfd_motion_frame(m, k), (size_t)mm->nq * sizeof(double));
        lfd_mj_kinematics_some(mm, d, feet_on, NULL, 0);
        double low = lfd_rt_lowest_sole(r, d);
        if (isfinite(low) && low > DYN_CONTACT_M - FLIGHT_FLOOR_SLACK_M) {
            need[k] = low - (DYN_CONTACT_M - FLIGHT_FLOOR_SLACK_M);
            any = 1;
        }
    }
    if (!any)
        return LFD_OK;
    int half = (int)ceil(m->fps / FEET_CORR_HZ / 2);
    for (int k = 0; k < n; k++) {
        double mx = 0;
        for (int i = k - half; i <= k + half; i++)
            if (i >= 0 && i < n)
                mx = fmax(mx, need[i]);
        dl[k] = mx;
    }
    if (lfd_rt_smooth_accel(dl, n, 1, NULL, lfd_rt_smooth_lambda(FEET_CORR_HZ, m->fps), work + 2 * n))
        return lfd_fail(err, LFD_ENUMERIC, "flight step: smoothing failed");
    for (int k = 0; k < n; k++)
        lfd_motion_frame(m, k)[2] -= fmax(dl[k], 0);
    return LFD_OK;
}

/* What the frames on the floor moved their roots by beyond the plan (plan:
   n x 3, where the solve put them; the CoM's iterations take up each
   frame's own IK residue there) smoothed over the clip at cutoff_hz, the
   flight frames free (work: 6 nframes) */
static int root_smooth(lfd_motion *m, const double *plan, const unsigned char *flight, double cutoff_hz,
                       double *work, lfd_err *err)
{
    int n = m->nframes;
    size_t nq = (size_t)m->nq;
    double lambda = lfd_rt_smooth_lambda(cutoff_hz, m->fps), *dl = work, *wt = work + n;
    for (int k = 0; k < n; k++)
        wt[k] = flight[k] ? 0 : 1;
    for (int a = 0; a < 3; a++) {
        for (int k = 0; k < n; k++)
            dl[k] = flight[k] ? 0 : m->qpos[(size_t)k * nq + (size_t)a] - plan[3 * k + a];
        if (lfd_rt_smooth_accel(dl, n, 1, wt, lambda, work + 2 * n))
            return lfd_fail(err, LFD_ENUMERIC, "flight step: smoothing failed");
        for (int k = 0; k < n; k++)
            if (!flight[k])
                m->qpos[(size_t)k * nq + (size_t)a] = plan[3 * k + a] + dl[k];
    }
    return LFD_OK;
}

/* the rounds over the flight frames on (flight): corrections solved on
   the motion's CoM and applied until the flights are in free fall, the
   best round kept (see the top of the file) */
typedef struct {
    const lfd_retargeter *rt;
    mjData *d;
    lfd_ik_ws *iws;
    unsigned char *ends_on, *on, *floor0, *feet_on;
    double *com, *iner, *F, *Nc, *corr, *total, *total_best, *sm, *plan, *work, *aax, *qs, *best;
    double mass, spread;
} flight_ws;

/* the ground's wrench m asks in every frame (F) and its moment about the
   CoM (Nc), the CoM and inertia posed anew; the residuals of the frames on
   in flight (residuals()) */
static int flight_measure(flight_ws *w, const lfd_motion *m, const unsigned char *on, double *lin,
                          double *ang, double *e, lfd_err *err)
{
    const lfd_robot *r = w->rt->r;
    int n = m->nframes;
    com_and_inertia(r, w->d, m, w->com, w->iner);
    int rc = lfd_rt_motion_wrench(r, m, w->F, w->Nc, err);
    if (rc)
        return rc;
    for (int k = 0; k < n; k++) {
        const double *c = w->com + 3 * k, *f = w->F + 3 * k;
        double *t = w->Nc + 3 * k;
        t[0] -= c[1] * f[2] - c[2] * f[1];
        t[1] -= c[2] * f[0] - c[0] * f[2];
        t[2] -= c[0] * f[1] - c[1] * f[0];
    }
    *e = residuals(on, n, w->F, w->Nc, w->mass, fabs(r->m->opt.gravity[2]), lin, ang);
    return LFD_OK;
}

static int flight_rounds(flight_ws *w, lfd_motion *m, lfd_err *err)
{
    const lfd_retargeter *rt = w->rt;
    const lfd_robot *r = rt->r;
    const mjModel *mm = r->m;
    int n = m->nframes, nq = mm->nq, rc = LFD_OK;
    size_t N = (size_t)n;
    const unsigned char *flight = w->on;
    double f2 = m->fps * m->fps, e_best = INFINITY;
    double w0 = 1 / (w->spread * w->spread * w->spread * w->spread);
    double *com = w->com, *iner = w->iner, *F = w->F, *Nc = w->Nc, *corr = w->corr, *total = w->total;
    memset(total, 0, 6 * N * sizeof(double));
    memset(w->total_best, 0, 6 * N * sizeof(double));
    for (int rd = 0; rc == LFD_OK; rd++) {
        /* the ground's wrench the motion asks: the force, and the moment about the CoM */
        double lin, ang, e;
        if ((rc = flight_measure(w, m, flight, &lin, &ang, &e, err)))
            break;
        if (rd > 0 && !(e < e_best)) {
            /* a round that did not bring the flights nearer free fall: the best before it */
            memcpy(m->qpos, w->best, N * (size_t)nq * sizeof(double));
            memcpy(total, w->total_best, 6 * N * sizeof(double));
            break;
        }
        e_best = e;
        memcpy(w->best, m->qpos, N * (size_t)nq * sizeof(double));
        memcpy(w->total_best, total, 6 * N * sizeof(double));
        if (rd == FLIGHT_ROUNDS)
            break; /* measured after the last round */
        double cmax = 0;
        for (int ax = 0; ax < 6 && rc == LFD_OK; ax++) {
            /* a translation's second difference is F / m in a frame; a turn's
               about the CoM, to first order, the moment over the inertia */
            for (int k = 0; k < n; k++)
                w->aax[k] = ax < 3                      ? F[3 * k + ax] / (w->mass * f2)
                            : iner[3 * k + ax - 3] > 0 ? Nc[3 * k + ax - 3] / (iner[3 * k + ax - 3] * f2)
                                                       : 0;
            double *x = corr + (size_t)ax * N;
            if (solve_axis(w->aax, flight, 0, w0, n, x, w->work))
                rc = lfd_fail(err, LFD_ENUMERIC, "flight step: singular system");
            for (int k = 0; k < n; k++)
                cmax = fmax(cmax, fabs(x[k]) * (ax < 3 ? 1 : FLIGHT_TURN_REACH_M));
        }
        if (rc || cmax < FLIGHT_DONE_M)
            break;
        /* the frames on the floor first, then the flights between them */
        for (int k = 0; k < n; k++)
            memcpy(w->plan + 3 * k, lfd_motion_frame(m, k), 3 * sizeof(double));
        for (int pass = 0; pass < 2 && rc == LFD_OK; pass++) {
            if (pass == 1) {
                legs_fade_in(r, m, w->best, flight, 2 * w->spread);
                /* the legs' changes smoothed over the clip, as the feet
                   step's: each frame's IK leaves its own fraction of a
                   millimetre, which at 120 Hz took the joints' acceleration
                   p99 from 51 to 180 rad/s^2 on CMU's jumps onto G1; and the
                   root's, which took up that noise moving each frame's CoM
                   to its place (1.5 mm from one frame to the next: 1,600 N
                   sideways at a landing); the flights are placed after */
                if ((rc = lfd_rt_legs_smooth(r, m, w->best, FEET_CORR_HZ, w->sm, err)) ||
                    (rc = root_smooth(m, w->plan, flight, FEET_CORR_HZ, w->sm, err)))
                    break;
            }
            for (int k = 0; k < n && rc == LFD_OK; k++) {
                if (flight[k] != pass)
                    continue;
                double dd[3] = {corr[k], corr[N + k], corr[2 * N + k]};
                double th[3] = {corr[3 * N + k], corr[4 * N + k], corr[5 * N + k]};
                double ang_k = sqrt(th[0] * th[0] + th[1] * th[1] + th[2] * th[2]), rot[4] = {1, 0, 0, 0};
                if (fabs(dd[0]) < FLIGHT_MIN_M && fabs(dd[1]) < FLIGHT_MIN_M && fabs(dd[2]) < FLIGHT_MIN_M &&
                    ang_k < FLIGHT_MIN_M)
                    continue;
                if (ang_k > 0) {
                    double axis[3] = {th[0] / ang_k, th[1] / ang_k, th[2] / ang_k};
                    lfd_quat_from_axis_angle(rot, axis, ang_k);
                }
                double *q = lfd_motion_frame(m, k), want[3], c[3];
                for (int a = 0; a < 3; a++)
                    want[a] = com[3 * k + a] + dd[a];
                for (int a = 0; a < 6; a++)
                    total[6 * k + a] += corr[(size_t)a * N + k];
                if (flight[k]) {
                    /* in the air the whole body turns about its CoM and moves
                       to where the CoM is wanted (its legs as the fade left them) */
                    lfd_rt_turn_root(q, rot, com + 3 * k);
                    frame_com(mm, w->d, r->root_body, q, c);
                    for (int a = 0; a < 3; a++)
                        q[a] += want[a] - c[a];
                    continue;
                }
                /* where the solve puts the root: turned about the CoM, moved */
                {
                    double rq[7];
                    memcpy(rq, q, 7 * sizeof(double));
                    lfd_rt_turn_root(rq, rot, com + 3 * k);
                    for (int a = 0; a < 3; a++)
                        w->plan[3 * k + a] = rq[a] + dd[a];
                }
                /* on the floor the legs hold the feet, so the CoM moves less
                   than the root (the legs' share stays behind): the root is
                   moved again by what the CoM still lacks, FLIGHT_COM_ITERS
                   times (at 120 Hz a millimetre off at a flight's edge is 14
                   m/s^2 off free fall) */
                for (int it = 0; it <= FLIGHT_COM_ITERS && rc == LFD_OK; it++) {
                    if (lfd_rt_legs_shift(rt, w->iws, w->ends_on, q, w->qs, dd, it ? NULL : rot, com + 3 * k,
                                          m->fps, FLIGHT_LEGS_ITERS)) {
                        rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: the flight step's legs failed", k);
                        break;
                    }
                    if (it == FLIGHT_COM_ITERS)
                        break;
                    frame_com(mm, w->d, r->root_body, q, c);
                    for (int a = 0; a < 3; a++)
                        dd[a] = want[a] - c[a];
                }
            }
        }
        if (rc)
            break;
        lfd_rt_impose_bounds(r, m);
        if ((rc = keep_on_floor(r, w->d, m, w->floor0, w->feet_on, w->sm, err)))
            break;
    }
    return rc;
}

int lfd_rt_flight_step(const lfd_retargeter *rt, lfd_motion *m, lfd_rt_flight_fig *fig, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    const mjModel *mm = r->m;
    int n = m->nframes, nq = mm->nq;
    memset(fig, 0, sizeof *fig);
    if (!r->floating || !rt->ik_feet || n < 5 || !(m->fps > 0))
        return LFD_OK;
    size_t N = (size_t)n, NQ = N * (size_t)nq;
    flight_ws w = {.rt = rt};
    double *orig = NULL, *buf = NULL; /* orig: the motion as it came in, once copied */
    int *phase = NULL;
    unsigned char *flight = calloc(4 * N, 1);
    w.ends_on = malloc(2 * (size_t)mm->nbody);
    w.d = lfd_mj_make_data_kin(mm);
    int rc = flight && w.ends_on && w.d ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "out of memory for the flight step");
    if (rc || find_flight(r, w.d, m, w.ends_on, flight, flight + 3 * N) == 0)
        goto out; /* no flight: the motion as it is, at the cost of posing the feet */
    /* com, iner, F, Nc: 3 N each; corr, total, total_best: 6 N each; the
       smoothings' 6 N; the root's plan 3 N; the solver's 3 N, one axis's N; gap before and
       after, 2 N; qs; best and the motion as it came in, NQ each */
    buf = malloc((45 * N + (size_t)nq + 2 * NQ) * sizeof(double));
    phase = malloc(3 * N * sizeof(int));
    rc = buf && phase ? lfd_ik_ws_new(&w.iws, rt->ik_feet, err)
                      : lfd_fail(err, LFD_ENOMEM, "out of memory for the flight step");
    if (rc)
        goto out;
    w.com = buf;
    w.iner = w.com + 3 * N;
    w.F = w.iner + 3 * N;
    w.Nc = w.F + 3 * N;
    w.corr = w.Nc + 3 * N;
    w.total = w.corr + 6 * N;
    w.total_best = w.total + 6 * N;
    w.sm = w.total_best + 6 * N;
    w.plan = w.sm + 6 * N;
    w.work = w.plan + 3 * N;
    w.aax = w.work + 3 * N;
    double *gap0 = w.aax + N, *gap1 = gap0 + N;
    w.qs = gap1 + N;
    w.best = w.qs + nq;
    unsigned char *keep = flight + N; /* per phase: still corrected */
    w.on = flight + 2 * N;
    w.floor0 = flight + 3 * N;
    w.feet_on = w.ends_on + mm->nbody;
    for (int b = 1; b < mm->nbody; b++)
        w.mass += mm->body_mass[b] > 0 ? mm->body_mass[b] : 0;
    w.spread = FLIGHT_SPREAD_S * m->fps;
    lfd_rt_feet_ends_mark(rt, w.ends_on);
    /* the flight phases: each frame's (phase, -1 off flight), each phase's
       first (pa) and last (pb) frame */
    int nph = 0, *pa = phase + N, *pb = pa + N;
    for (int k = 0; k < n; k++) {
        phase[k] = -1;
        if (flight[k]) {
            if (!flight[k - 1])
                pa[nph++] = k;
            phase[k] = nph - 1;
            pb[nph - 1] = k;
            fig->frames++;
        }
    }
    fig->phases = nph;
    if (nph == 0)
        goto out;
    /* how far every flight is from free fall as the motion comes in: a
       figure that is not finite (a motion or model without mass or
       gravity) leaves the motion as it is */
    double e0;
    if ((rc = flight_measure(&w, m, flight, &fig->acc_err_before, &fig->moment_before, &e0, err)))
        goto out;
    fig->acc_err_after = fig->acc_err_before;
    fig->moment_after = fig->moment_before;
    if (!isfinite(e0) || !(w.mass > 0) || !(fabs(mm->opt.gravity[2]) > 0))
        goto out;
    orig = w.best + NQ;
    memcpy(orig, m->qpos, NQ * sizeof(double));
    if ((rc = lfd_rt_support_gap(r, m, gap0, err)))
        goto out;
    /* a flight running into the clip's first or last frame has nothing to
       take off from or land on within the clip: left as it is (the solve
       pulled such an end 20 cm down, review) */
    for (int p = 0; p < nph; p++)
        keep[p] = w.floor0[pa[p] - 1] && w.floor0[pb[p] + 1];
    /* The whole clip is solved with the phases still kept; a phase whose
       frames and those within FLIGHT_JUDGE_S of it then ask the feet for
       more than they did (lfd_rt_support_gap: the take-off's and landing's
       pushes can leave the soles) is dropped and the clip solved again
       from the motion as it came in. */
    int judge = (int)ceil(FLIGHT_JUDGE_S * m->fps);
    for (int pass = 0; pass < FLIGHT_PASSES && rc == LFD_OK; pass++) {
        int kept = 0;
        for (int k = 0; k < n; k++)
            w.on[k] = flight[k] && keep[phase[k]];
        for (int p = 0; p < nph; p++)
            kept += keep[p];
        memcpy(m->qpos, orig, NQ * sizeof(double));
        fig->phases_kept = kept;
        if (kept == 0)
            break;
        if ((rc = flight_rounds(&w, m, err)) || (rc = lfd_rt_support_gap(r, m, gap1, err)))
            break;
        int dropped = 0;
        for (int p = 0; p < nph; p++) {
            int a = pa[p], b = pb[p];
            if (!keep[p])
                continue;
            double s0 = 0, s1 = 0, shift = 0;
            for (int j = a - judge < 0 ? 0 : a - judge; j <= b + judge && j < n; j++) {
                s0 += gap0[j];
                s1 += gap1[j];
                /* how far the root really moved (the legs' and the floor's
                   changes included), not the CoM's plan */
                const double *q1 = lfd_motion_frame(m, j), *q0 = orig + (size_t)j * (size_t)nq;
                shift = fmax(shift, sqrt((q1[0] - q0[0]) * (q1[0] - q0[0]) + (q1[1] - q0[1]) * (q1[1] - q0[1]) +
                                         (q1[2] - q0[2]) * (q1[2] - q0[2])));
            }
            if (!(s1 < s0) || !(shift <= FLIGHT_SHIFT_MAX_M)) {
                keep[p] = 0;
                dropped++;
            }
        }
        if (!dropped)
            break;
        if (pass + 1 == FLIGHT_PASSES) {
            /* the last pass still dropped some: none of it is kept */
            memcpy(m->qpos, orig, NQ * sizeof(double));
            fig->phases_kept = 0;
        }
    }
    if (rc == LFD_OK && fig->phases_kept > 0)
        for (int k = 0; k < n; k++) {
            const double *t = w.total + 6 * k;
            fig->shift_max_m = fmax(fig->shift_max_m, sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]));
            fig->turn_max_rad = fmax(fig->turn_max_rad, sqrt(t[3] * t[3] + t[4] * t[4] + t[5] * t[5]));
        }
    /* and after it, over every flight (kept or not) */
    if (rc == LFD_OK && fig->phases_kept > 0)
        rc = flight_measure(&w, m, flight, &fig->acc_err_after, &fig->moment_after, &e0, err);
out:
    if (rc && orig)
        memcpy(m->qpos, orig, NQ * sizeof(double)); /* no half-corrected motion */
    lfd_ik_ws_free(&w.iws);
    if (w.d)
        mj_deleteData(w.d);
    free(w.ends_on);
    free(phase);
    free(flight);
    free(buf);
    return rc;
}
