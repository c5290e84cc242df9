/*  lfd_retarget_clip: the whole-clip passes of the retargeter.

    The per-frame IK (lfd_retarget.c) sees one frame at a time.  Where the
    scaled human asks for more than the robot's legs can give (a stride too
    long for its legs at the human's pelvis height while both feet are
    planted), the pinned feet win and the pelvis lags its target; the moment
    a foot lifts, the pelvis snaps back: 2-5 cm in one frame (that is the
    root jump of issue 15).  These passes look at the whole clip instead:

    - lfd_rt_smooth_accel: the Whittaker smoother (an acceleration-penalised
      least-squares fit, Whittaker 1923; Eilers 2003), used on the pelvis
      path the first IK pass could reach.  The second IK pass follows it.
    - lfd_rt_zmp_filter: the dynamics filter on the horizontal CoM, with the
      cart-table model of Kajita et al. 2003 (p = x - z_c / g * xdd): a
      banded least-squares problem over the clip that moves the CoM path
      least while its ZMP stays inside the support polygon.

    Both solve symmetric positive definite pentadiagonal systems in O(n).

    Then the steps lfd_retarget_human runs on the written motion after the
    passes: the whole-clip smoothing and the hard bounds again, the feet
    step (planted feet back on their pins, rolling at heel-off and heel
    strike), the floor step, and the experimental dynamics filter on the
    motion's own (multibody) ZMP.
*/
#include "retarget/lfd_retarget_int.h"

#include "core/lfd_quat.h"
#include "core/lfd_util.h"
#include "robots/lfd_mj.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lfd_rt_band2_solve(double *a0, double *a1, double *a2, double *b, int n)
{
    /* LDL' of a symmetric pentadiagonal matrix, in place:
       a0 = diagonal, a1 = first and a2 = second super-diagonal */
    for (int i = 0; i < n; i++) {
        double d = a0[i];
        if (i >= 1)
            d -= a1[i - 1] * a1[i - 1] * a0[i - 1];
        if (i >= 2)
            d -= a2[i - 2] * a2[i - 2] * a0[i - 2];
        if (!(d > 0))
            return LFD_ENUMERIC;
        a0[i] = d;
        if (i + 1 < n) {
            double e = a1[i];
            if (i >= 1)
                e -= a1[i - 1] * a0[i - 1] * a2[i - 1];
            a1[i] = e / d;
        }
        if (i + 2 < n)
            a2[i] = a2[i] / d;
    }
    /* forward (L), diagonal, backward (L') */
    for (int i = 1; i < n; i++) {
        b[i] -= a1[i - 1] * b[i - 1];
        if (i >= 2)
            b[i] -= a2[i - 2] * b[i - 2];
    }
    for (int i = 0; i < n; i++)
        b[i] /= a0[i];
    for (int i = n - 2; i >= 0; i--) {
        b[i] -= a1[i] * b[i + 1];
        if (i + 2 < n)
            b[i] -= a2[i] * b[i + 2];
    }
    return LFD_OK;
}

/* adds lambda * D2'D2 (D2: second differences of the interior frames) */
static void add_d2(double *a0, double *a1, double *a2, int n, double lambda)
{
    /* row k of D2 is (1, -2, 1) on frames k-1, k, k+1: its products, in the
       order the rows reach each entry (the factors are exact: +-1, 2 and 4
       times lambda) */
    double l1 = lambda, l2 = -2 * lambda, l4 = 4 * lambda;
    for (int k = 1; k + 1 < n; k++) {
        a0[k - 1] += l1;
        a1[k - 1] += l2;
        a2[k - 1] += l1;
        a0[k] += l4;
        a1[k] += l2;
        a0[k + 1] += l1;
    }
}

double lfd_rt_smooth_lambda(double cutoff_hz, double fps)
{
    double s = 2 - 2 * cos(2 * M_PI * fmin(cutoff_hz / fps, 0.25));
    return 1 / (s * s);
}

int lfd_rt_smooth_accel(double *x, int n, size_t stride, const double *w, double lambda,
                        double *work)
{
    if (n < 3)
        return LFD_OK;
    double *a0 = work, *a1 = work + n, *a2 = work + 2 * n, *b = work + 3 * n;
    for (int k = 0; k < n; k++) {
        double wk = w ? w[k] : 1.0;
        a0[k] = wk;
        a1[k] = a2[k] = 0;
        b[k] = wk * x[(size_t)k * stride];
    }
    add_d2(a0, a1, a2, n, lambda);
    int rc = lfd_rt_band2_solve(a0, a1, a2, b, n);
    if (rc == LFD_OK)
        for (int k = 0; k < n; k++)
            x[(size_t)k * stride] = b[k];
    return rc;
}

/* ---- the dynamics filter ------------------------------------------------------------ */

static double cross2(const double *o, const double *a, const double *b)
{
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

static int pt_less(const double *p, const double *q)
{
    return p[0] < q[0] || (p[0] == q[0] && p[1] < q[1]);
}

/* points (x, y) sorted by x, then y: a merge sort through tmp (2 n
   doubles), insertion below 12 points (the hulls are redone for every
   frame and load share, and qsort's calls through a pointer were a twentieth
   of the retargeting) */
static void sort_pts(double *pts, int n, double *tmp)
{
    if (n < 12) {
        for (int i = 1; i < n; i++) {
            double x = pts[2 * i], y = pts[2 * i + 1], p[2] = {x, y};
            int j = i;
            for (; j > 0 && pt_less(p, pts + 2 * (j - 1)); j--) {
                pts[2 * j] = pts[2 * j - 2];
                pts[2 * j + 1] = pts[2 * j - 1];
            }
            pts[2 * j] = x;
            pts[2 * j + 1] = y;
        }
        return;
    }
    int h = n / 2;
    sort_pts(pts, h, tmp);
    sort_pts(pts + 2 * h, n - h, tmp);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) {
        const double *s = pt_less(pts + 2 * j, pts + 2 * i) ? pts + 2 * j++ : pts + 2 * i++;
        tmp[2 * k] = s[0];
        tmp[2 * k++ + 1] = s[1];
    }
    for (; i < h; i++, k++)
        tmp[2 * k] = pts[2 * i], tmp[2 * k + 1] = pts[2 * i + 1];
    for (; j < n; j++, k++)
        tmp[2 * k] = pts[2 * j], tmp[2 * k + 1] = pts[2 * j + 1];
    memcpy(pts, tmp, (size_t)n * 2 * sizeof(double));
}

/* Andrew's monotone chain, counter-clockwise, into pts; tmp holds 2 n + 2 doubles */
static int hull_tmp(double *pts, int n, double *tmp)
{
    if (n < 3)
        return n;
    sort_pts(pts, n, tmp);
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross2(tmp + 2 * (k - 2), tmp + 2 * (k - 1), pts + 2 * i) <= 0)
            k--;
        tmp[2 * k] = pts[2 * i];
        tmp[2 * k + 1] = pts[2 * i + 1];
        k++;
    }
    for (int i = n - 2, lo = k + 1; i >= 0; i--) {
        while (k >= lo && cross2(tmp + 2 * (k - 2), tmp + 2 * (k - 1), pts + 2 * i) <= 0)
            k--;
        tmp[2 * k] = pts[2 * i];
        tmp[2 * k + 1] = pts[2 * i + 1];
        k++;
    }
    k--; /* the last point repeats the first */
    memcpy(pts, tmp, (size_t)k * 2 * sizeof(double));
    return k;
}

int lfd_rt_hull2(double *pts, int n)
{
    double tmp[2 * 2 * LFD_RT_MAX_SUPPORT + 2];
    return hull_tmp(pts, n, tmp);
}

/* a foot's support region: its four corners, cut twice per joint near it */
#define REGION_FOOT_MAX 16
/* hull of the sums of two feet's region vertices */
static int hull_sums(double *pts, int n)
{
    double tmp[2 * REGION_FOOT_MAX * REGION_FOOT_MAX + 2];
    return hull_tmp(pts, n, tmp);
}

/* a convex polygon's edge: start, direction, length */
typedef struct poly_edge {
    double ax, ay, ex, ey, len;
} poly_edge;

/* edge i of the polygon (hull, nh vertices); 0 when it is shorter than 1e-12 */
static int poly_edge_at(const double *hull, int nh, int i, poly_edge *e)
{
    const double *a = hull + 2 * i, *b = hull + 2 * ((i + 1) % nh);
    double ex = b[0] - a[0], ey = b[1] - a[1], len = sqrt(ex * ex + ey * ey);
    *e = (poly_edge){a[0], a[1], ex, ey, len};
    return !(len < 1e-12);
}

/* p's signed distance to the line of edge e: > 0 inside */
static double edge_depth(const poly_edge *e, const double p[2])
{
    return (e->ex * (p[1] - e->ay) - e->ey * (p[0] - e->ax)) / e->len;
}

double lfd_rt_poly_depth(const double *hull, int nh, const double p[2])
{
    /* signed distance to the boundary: > 0 inside (the nearest edge's line) */
    if (nh < 3)
        return -INFINITY;
    double depth = INFINITY;
    poly_edge e;
    for (int i = 0; i < nh; i++)
        if (poly_edge_at(hull, nh, i, &e)) {
            double v = edge_depth(&e, p);
            depth = v < depth ? v : depth; /* fmin without its call */
        }
    return depth;
}

/* lfd_rt_poly_depth of p from the polygon's edges found once (ne of them;
   ne < 0: found each time from hull) */
static double depth_from(const poly_edge *e, int ne, const double *hull, int nh, const double p[2])
{
    if (ne < 0)
        return lfd_rt_poly_depth(hull, nh, p);
    double depth = INFINITY;
    for (int i = 0; i < ne; i++) {
        double v = edge_depth(&e[i], p);
        depth = v < depth ? v : depth;
    }
    return depth;
}

void lfd_rt_poly_pull_in(const double *hull, int nh, double margin, const double p[2], double out[2])
{
    out[0] = p[0];
    out[1] = p[1];
    if (nh < 3)
        return;
    /* the edges once for the 32 depths below (a support region has
       LFD_RT_MAX_SUPPORT vertices at most; a larger polygon's depths come
       from lfd_rt_poly_depth each time) */
    poly_edge e[2 * LFD_RT_MAX_SUPPORT];
    int ne = -1;
    if (nh <= 2 * LFD_RT_MAX_SUPPORT)
        for (int i = ne = 0; i < nh; i++)
            ne += poly_edge_at(hull, nh, i, &e[ne]);
    if (depth_from(e, ne, hull, nh, p) >= margin)
        return;
    /* the centroid, then the point of the segment centroid -> p at depth margin (bisection) */
    double c[2] = {0, 0};
    for (int i = 0; i < nh; i++) {
        c[0] += hull[2 * i] / nh;
        c[1] += hull[2 * i + 1] / nh;
    }
    double m = fmin(margin, 0.5 * depth_from(e, ne, hull, nh, c));
    double lo = 0, hi = 1;
    for (int it = 0; it < 30; it++) {
        double t = 0.5 * (lo + hi), q[2] = {c[0] + t * (p[0] - c[0]), c[1] + t * (p[1] - c[1])};
        if (depth_from(e, ne, hull, nh, q) >= m)
            lo = t;
        else
            hi = t;
    }
    out[0] = c[0] + lo * (p[0] - c[0]);
    out[1] = c[1] + lo * (p[1] - c[1]);
}

int lfd_rt_zmp_filter(const double *com, const double *zmp_now, const double *zmp_target,
                      const double *w_zmp, int n, double fps, double com_height_m, double *delta,
                      double *work)
{
    /* per horizontal axis, the correction d of the CoM path minimising
         sum w0 d^2 + sum_k w_k (zmp_k(c + d) - target_k)^2 + lambda sum (D2 d)^2
       with the cart-table ZMP (Kajita et al. 2003) zmp = x - h xdd, h = z_c / g,
       xdd = D2 x fps^2 on interior frames (zmp = x at the ends) */
    if (n < 3)
        return LFD_OK;
    double h = com_height_m / 9.81 * fps * fps;
    double w0 = ZMP_W_STAY, lambda = ZMP_W_SMOOTH;
    double *a0 = work, *a1 = work + n, *a2 = work + 2 * n, *b = work + 3 * n;
    for (int ax = 0; ax < 2; ax++) {
        for (int k = 0; k < n; k++) {
            a0[k] = w0;
            a1[k] = a2[k] = 0;
            b[k] = 0;
        }
        /* zmp rows: row k of Z = I - h D2 (interior) touches k-1, k, k+1 */
        for (int k = 0; k < n; k++) {
            double wk = w_zmp[k];
            if (!(wk > 0))
                continue;
            int idx[3] = {k - 1, k, k + 1};
            double zc[3] = {0, 1, 0};
            if (k > 0 && k + 1 < n) {
                zc[0] = -h;
                zc[1] = 1 + 2 * h;
                zc[2] = -h;
            }
            /* the row's ZMP now: given (e.g. the multibody ZMP), else c - h D2 c */
            double z = 0;
            if (zmp_now)
                z = zmp_now[2 * k + ax];
            else
                for (int u = 0; u < 3; u++)
                    if (zc[u] != 0)
                        z += zc[u] * com[3 * idx[u] + ax];
            double r = zmp_target[2 * k + ax] - z;
            for (int u = 0; u < 3; u++) {
                if (zc[u] == 0)
                    continue;
                b[idx[u]] += wk * zc[u] * r;
                for (int v = u; v < 3; v++) {
                    if (zc[v] == 0)
                        continue;
                    double val = wk * zc[u] * zc[v];
                    int off = v - u, i = idx[u];
                    if (off == 0)
                        a0[i] += val;
                    else if (off == 1)
                        a1[i] += val;
                    else
                        a2[i] += val;
                }
            }
        }
        add_d2(a0, a1, a2, n, lambda);
        int rc = lfd_rt_band2_solve(a0, a1, a2, b, n);
        if (rc)
            return rc;
        for (int k = 0; k < n; k++)
            delta[2 * k + ax] = b[k];
    }
    return LFD_OK;
}

/* ---- the dynamics filter on the written motion ---------------------------------------- */

/* What the filter reads of one frame: the motion's own ZMP (inverse
   dynamics of the whole body, velocity and acceleration from the
   neighbouring frames: the root's required wrench, whose moment about a
   floor point has no horizontal part there), the support polygon of the
   sole corners within DYN_CONTACT_M of the floor (the corners lfd check
   loads), the CoM height.  Returns 0 where the frame has no ZMP (the
   clip's ends; the feet pushing down less than a tenth of the weight). */
typedef struct dyn_ws {
    mjData *d, *dp, *dn;  /* the kinematics of frames k, k - 1 and k + 1 */
    unsigned char *on;    /* nbody: every body (lfd_mj_kinematics_some) */
    double *ibody;        /* nbody x 9: each body's inertia in its own frame */
    double *com[3];       /* nbody x 3 each: the bodies' centres of mass in frames k - 1, k, k + 1 */
    double P[2][3], L[2][3]; /* linear and angular (about the origin) momentum on the
                                half-frames k - 1/2 and k + 1/2 */
    double G[3], mass;    /* the first moment of mass in frame k, and the mass */
    double F[3], N[3];    /* the ground's force on frame k and its moment about the origin */
    int support;          /* LFD_RT_SUPPORT_LEVER or _EXACT */
    const uint8_t *skip;  /* n, may be NULL: frames that need support have no ZMP target */
} dyn_ws;

static void dyn_ws_close(dyn_ws *w)
{
    if (w->d)
        mj_deleteData(w->d);
    if (w->dp)
        mj_deleteData(w->dp);
    if (w->dn)
        mj_deleteData(w->dn);
    free(w->ibody); /* the block that holds com and on too */
    w->d = w->dp = w->dn = NULL;
    w->on = NULL;
    w->ibody = NULL;
}

/* the three frames' data, and each body's inertia tensor in its body frame
   (R_i diag(I) R_i', R_i the inertial frame's rotation); LFD_ENOMEM */
static int dyn_ws_open(const mjModel *mm, dyn_ws *w)
{
    size_t nb = (size_t)mm->nbody;
    w->d = lfd_mj_make_data_kin(mm);
    w->dp = lfd_mj_make_data_kin(mm);
    w->dn = lfd_mj_make_data_kin(mm);
    /* one block: ibody (9 nb), com (3 x 3 nb), then on (nb bytes) */
    w->ibody = malloc(18 * nb * sizeof(double) + nb);
    if (!w->d || !w->dp || !w->dn || !w->ibody) {
        dyn_ws_close(w);
        return LFD_ENOMEM;
    }
    for (int i = 0; i < 3; i++)
        w->com[i] = w->ibody + 9 * nb + 3 * nb * (size_t)i;
    w->on = (unsigned char *)(w->ibody + 18 * nb);
    memset(w->on, 1, nb);
    for (size_t b = 0; b < nb; b++) {
        double Ri[9], *I = w->ibody + 9 * b;
        lfd_quat_to_mat(Ri, mm->body_iquat + 4 * b);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double t = 0;
                for (int a = 0; a < 3; a++)
                    t += Ri[3 * i + a] * mm->body_inertia[3 * b + a] * Ri[3 * j + a];
                I[3 * i + j] = t;
            }
    }
    return LFD_OK;
}

/* Whether joint j is one that carries foot side's load: a hinge with a
   torque limit, on that leg, its anchor within ANKLE_NEAR_M of the foot's
   body, its axis not vertical.  Then *p is its anchor (world) and n its
   axis turned a quarter about z: a vertical load fz at floor point c asks
   it for fz (n . (c - p)). */
static int foot_joint(const lfd_robot *r, const mjData *d, int side, int j, const double **p,
                      double n[2])
{
    const lfd_robot_joint *J = &r->joints[j];
    if (J->type != mjJNT_HINGE || !(J->torque_max > 0) || !isfinite(J->torque_max))
        return 0;
    const double *fb = d->xpos + 3 * r->feet[side].body_id, *a = d->xaxis + 3 * J->jnt_id;
    *p = d->xanchor + 3 * J->jnt_id;
    double dx = (*p)[0] - fb[0], dy = (*p)[1] - fb[1], dz = (*p)[2] - fb[2];
    if (dx * dx + dy * dy + dz * dz > ANKLE_NEAR_M * ANKLE_NEAR_M || lfd_rt_joint_leg_side(r, j) != side)
        return 0;
    n[0] = -a[1];
    n[1] = a[0];
    return n[0] * n[0] + n[1] * n[1] >= 1e-12;
}

/* A sole corner at c (world, on the floor) moved toward the ankle until
   the vertical load fz (N) on it asks no more than DYN_TORQUE_SHARE of its
   limit of any joint of the leg within ANKLE_NEAR_M of the foot (G1: ankle
   pitch and roll, 35 N m each; H1: its one ankle joint, 40 N m): a foot
   whose centre of pressure sits at its toe edge asks its ankle for the
   load x toe length (G1 on one foot: about 40 N m), more than it has.
   Only the offset across each joint's axis is shortened. */
/* The joints that carry foot side's load in one frame (foot_joint), in
   joint order: found once for all of a frame's corners and load shares. */
typedef struct foot_cut {
    double nx, ny; /* the axis turned a quarter about z */
    double px, py; /* the anchor */
    double tmax;   /* the torque limit */
} foot_cut;
typedef struct foot_cuts {
    foot_cut cut[LFD_ROBOT_MAX_JOINTS];
    int n;
} foot_cuts;

static void foot_cuts_find(const lfd_robot *r, const mjData *d, int side, foot_cuts *fc)
{
    fc->n = 0;
    for (int j = 0; j < r->njoints; j++) {
        const double *p;
        double nv[2];
        if (foot_joint(r, d, side, j, &p, nv))
            fc->cut[fc->n++] = (foot_cut){nv[0], nv[1], p[0], p[1], r->joints[j].torque_max};
    }
}

static void corner_fit(const foot_cuts *fc, double fz, double c[2])
{
    for (int k = 0; k < fc->n; k++) {
        const foot_cut *q = &fc->cut[k];
        double n2 = q->nx * q->nx + q->ny * q->ny;
        double t = q->nx * (c[0] - q->px) + q->ny * (c[1] - q->py);
        double lim = DYN_TORQUE_SHARE * q->tmax / fz;
        if (fabs(t) <= lim)
            continue;
        double dt = t - copysign(lim, t);
        c[0] -= dt * q->nx / n2;
        c[1] -= dt * q->ny / n2;
    }
}

void lfd_rt_corner_torque_fit(const lfd_robot *r, const mjData *d, int side, double fz,
                              double c[2])
{
    foot_cuts fc;
    foot_cuts_find(r, d, side, &fc);
    corner_fit(&fc, fz, c);
}

/* A convex polygon (n vertices, x y pairs; a segment or a point when
   n < 3) cut by the half-plane nx x + ny y <= c (Sutherland & Hodgman,
   "Reentrant polygon clipping", CACM 17(1), 1974), into out; returns its
   vertex count (0: nothing left; at most n + 1, or 3 for a segment). */
static int clip_half(const double *in, int n, double nx, double ny, double c, double *out)
{
    if (n == 1) {
        if (nx * in[0] + ny * in[1] > c)
            return 0;
        out[0] = in[0];
        out[1] = in[1];
        return 1;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        const double *a = in + 2 * i, *b = in + 2 * ((i + 1) % n);
        double da = nx * a[0] + ny * a[1] - c, db = nx * b[0] + ny * b[1] - c;
        if (da <= 0) {
            out[2 * m] = a[0];
            out[2 * m + 1] = a[1];
            m++;
        }
        if ((da < 0 && db > 0) || (da > 0 && db < 0)) {
            double t = da / (da - db);
            out[2 * m] = a[0] + t * (b[0] - a[0]);
            out[2 * m + 1] = a[1] + t * (b[1] - a[1]);
            m++;
        }
    }
    return m;
}

/* the vertex of a convex polygon whose removal loses the least area, removed */
static int hull_drop_one(double *h, int n)
{
    int best = 0;
    double amin = INFINITY;
    for (int i = 0; i < n; i++) {
        double a = fabs(cross2(h + 2 * ((i + n - 1) % n), h + 2 * i, h + 2 * ((i + 1) % n)));
        if (a < amin) {
            amin = a;
            best = i;
        }
    }
    memmove(h + 2 * best, h + 2 * (best + 1), (size_t)(n - 1 - best) * 2 * sizeof(double));
    return n - 1;
}

/* Where a foot's centre of pressure may be under a vertical load fz (N):
   inside the hull of its loaded corners (world x y, nh vertices), and
   within the slabs |fz n . (c - p)| <= DYN_TORQUE_SHARE x limit of the
   leg's joints within ANKLE_NEAR_M of the foot (fc: p the joint's anchor,
   n its axis turned a quarter about z, lfd_rt_corner_torque_fit's torque).
   Into out (REGION_FOOT_MAX vertices at most); returns the vertex count. */
static int foot_region(const double *hull, int nh, const foot_cuts *fc, double fz, double *out)
{
    double tmp[2 * REGION_FOOT_MAX];
    int n = nh;
    memcpy(out, hull, (size_t)n * 2 * sizeof(double));
    if (!(fz > 0))
        return n;
    for (int k = 0; k < fc->n && n > 0; k++) {
        if (n + 2 > REGION_FOOT_MAX)
            break; /* each cut adds one vertex at most: not reached with two joints */
        const foot_cut *q = &fc->cut[k];
        double lim = DYN_TORQUE_SHARE * q->tmax / fz;
        double np = q->nx * q->px + q->ny * q->py;
        n = clip_half(out, n, q->nx, q->ny, np + lim, tmp);
        n = clip_half(tmp, n, -q->nx, -q->ny, -np + lim, out);
    }
    return n;
}

#define REGION_SPLITS 20 /* load shares tried between two feet: 0, 1/20, ..., 1 */
int lfd_rt_support_region(const lfd_robot *r, const mjData *d, const double *corner,
                          const int n_on[2], double fz, double *hull)
{
    double pa[2 * REGION_FOOT_MAX], pb[2 * REGION_FOOT_MAX];
    double sum[2 * REGION_FOOT_MAX * REGION_FOOT_MAX], pts[2 * (2 * LFD_RT_MAX_SUPPORT)];
    const double *c0 = corner, *c1 = corner + 2 * n_on[0];
    int nh = 0, both = n_on[0] > 0 && n_on[1] > 0;
    /* each foot's corner hull and joints once for all the load shares */
    double h0[2 * REGION_FOOT_MAX], h1[2 * REGION_FOOT_MAX];
    memcpy(h0, c0, (size_t)n_on[0] * 2 * sizeof(double));
    memcpy(h1, c1, (size_t)n_on[1] * 2 * sizeof(double));
    int nh0 = n_on[0] >= 3 ? lfd_rt_hull2(h0, n_on[0]) : n_on[0];
    int nh1 = n_on[1] >= 3 ? lfd_rt_hull2(h1, n_on[1]) : n_on[1];
    foot_cuts f0, f1;
    foot_cuts_find(r, d, 0, &f0);
    foot_cuts_find(r, d, 1, &f1);
    for (int i = 0; i <= (both ? REGION_SPLITS : 0); i++) {
        /* s: foot 0's share of the load */
        double s = both ? (double)i / REGION_SPLITS : n_on[0] > 0 ? 1 : 0;
        int na = s > 0 ? foot_region(h0, nh0, &f0, s * fz, pa) : 0;
        int nb = s < 1 ? foot_region(h1, nh1, &f1, (1 - s) * fz, pb) : 0;
        if ((s > 0 && na == 0) || (s < 1 && nb == 0))
            continue; /* a foot cannot carry this share */
        /* s A + (1 - s) B: the hull of its vertices' sums */
        int ns = 0;
        if (s >= 1 || s <= 0) {
            const double *q = s > 0 ? pa : pb;
            ns = s > 0 ? na : nb;
            memcpy(sum, q, (size_t)ns * 2 * sizeof(double));
        } else {
            for (int u = 0; u < na; u++)
                for (int v = 0; v < nb; v++, ns++) {
                    sum[2 * ns] = s * pa[2 * u] + (1 - s) * pb[2 * v];
                    sum[2 * ns + 1] = s * pa[2 * u + 1] + (1 - s) * pb[2 * v + 1];
                }
        }
        ns = hull_sums(sum, ns);
        /* into the running hull */
        int np = nh;
        memcpy(pts, hull, (size_t)nh * 2 * sizeof(double));
        for (int u = 0; u < ns && np < 2 * LFD_RT_MAX_SUPPORT; u++, np++) {
            pts[2 * np] = sum[2 * u];
            pts[2 * np + 1] = sum[2 * u + 1];
        }
        nh = np >= 3 ? lfd_rt_hull2(pts, np) : np;
        while (nh > LFD_RT_MAX_SUPPORT)
            nh = hull_drop_one(pts, nh);
        memcpy(hull, pts, (size_t)nh * 2 * sizeof(double));
    }
    return nh;
}

/* the world position of body b's centre of mass in d */
static void body_com(const mjModel *mm, const mjData *d, int b, double c[3])
{
    const double *R = d->xmat + 9 * b, *o = d->xpos + 3 * b, *ip = mm->body_ipos + 3 * b;
    for (int a = 0; a < 3; a++)
        c[a] = o[a] + R[3 * a] * ip[0] + R[3 * a + 1] * ip[1] + R[3 * a + 2] * ip[2];
}

/* the world angular velocity turning R0 into R1 in dt (R1 = exp(w dt) R0) */
static void body_omega(const double *R0, const double *R1, double inv_dt, double w[3])
{
    double v[3]; /* the skew part of R1 R0' */
    v[0] = 0.5 * ((R1[6] * R0[3] + R1[7] * R0[4] + R1[8] * R0[5]) - (R1[3] * R0[6] + R1[4] * R0[7] + R1[5] * R0[8]));
    v[1] = 0.5 * ((R1[0] * R0[6] + R1[1] * R0[7] + R1[2] * R0[8]) - (R1[6] * R0[0] + R1[7] * R0[1] + R1[8] * R0[2]));
    v[2] = 0.5 * ((R1[3] * R0[0] + R1[4] * R0[1] + R1[5] * R0[2]) - (R1[0] * R0[3] + R1[1] * R0[4] + R1[2] * R0[5]));
    double s2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    double c = 0.5 * (R1[0] * R0[0] + R1[1] * R0[1] + R1[2] * R0[2] + R1[3] * R0[3] + R1[4] * R0[4] +
                      R1[5] * R0[5] + R1[6] * R0[6] + R1[7] * R0[7] + R1[8] * R0[8] - 1);
    /* angle / sin(angle), sin(angle)^2 = s2 and cos(angle) = c: its series
       in s2 (relative error under 4e-5) below 0.3 rad a frame, 9 rad/s at
       30 fps; atan2 beyond */
    double f = 1 + s2 * (1.0 / 6 + s2 * (3.0 / 40));
    if (s2 >= 0.09 || c <= 0) {
        double s = sqrt(s2);
        f = s > 1e-300 ? atan2(s, c) / s : 1;
    }
    for (int a = 0; a < 3; a++)
        w[a] = v[a] * f * inv_dt;
}

/* R I R' w, I an inertia in the body frame R */
static void inertia_times(const double *R, const double *I, const double w[3], double out[3])
{
    double b[3], t[3];
    for (int a = 0; a < 3; a++)
        b[a] = R[a] * w[0] + R[3 + a] * w[1] + R[6 + a] * w[2];
    for (int a = 0; a < 3; a++)
        t[a] = I[3 * a] * b[0] + I[3 * a + 1] * b[1] + I[3 * a + 2] * b[2];
    for (int a = 0; a < 3; a++)
        out[a] = R[3 * a] * t[0] + R[3 * a + 1] * t[1] + R[3 * a + 2] * t[2];
}

/* the bodies' centres of mass in d into c (nbody x 3) */
static void bodies_com(const mjModel *mm, const mjData *d, double *c)
{
    for (int b = 1; b < mm->nbody; b++)
        body_com(mm, d, b, c + 3 * b);
}

/* the linear and angular momentum (about the origin) of the half-frame
   between kinematics d0 (centres of mass c0) and d1 (c1), fps apart: the
   bodies' velocities from their centres' differences, positions their
   midpoints, angular velocities from their turns, inertias the mean of
   both ends' */
static void half_momentum(const mjModel *mm, const dyn_ws *w, const mjData *d0, const mjData *d1,
                          const double *c0, const double *c1, double fps, double P[3], double L[3])
{
    for (int a = 0; a < 3; a++)
        P[a] = L[a] = 0;
    for (int b = 1; b < mm->nbody; b++) {
        double mb = mm->body_mass[b];
        if (!(mb > 0))
            continue;
        const double *a0 = c0 + 3 * b, *a1 = c1 + 3 * b;
        double v[3], x[3], om[3], i0[3], i1[3];
        for (int a = 0; a < 3; a++) {
            v[a] = (a1[a] - a0[a]) * fps;
            x[a] = 0.5 * (a1[a] + a0[a]);
            P[a] += mb * v[a];
        }
        body_omega(d0->xmat + 9 * b, d1->xmat + 9 * b, fps, om);
        inertia_times(d0->xmat + 9 * b, w->ibody + 9 * b, om, i0);
        inertia_times(d1->xmat + 9 * b, w->ibody + 9 * b, om, i1);
        L[0] += mb * (x[1] * v[2] - x[2] * v[1]) + 0.5 * (i0[0] + i1[0]);
        L[1] += mb * (x[2] * v[0] - x[0] * v[2]) + 0.5 * (i0[1] + i1[1]);
        L[2] += mb * (x[0] * v[1] - x[1] * v[0]) + 0.5 * (i0[2] + i1[2]);
    }
}

/* the ZMP of the ground's force F and moment N (about the origin) zmp_step
   left in w: the floor point about which N - p x F has no horizontal part;
   0 where the ground pushes up with less than a tenth of the weight */
static int ground_zmp(const lfd_robot *r, const dyn_ws *w, double zmp[2])
{
    if (!(w->F[2] > 0.1 * r->mass_kg * 9.81))
        return 0;
    zmp[0] = -w->N[1] / w->F[2];
    zmp[1] = w->N[0] / w->F[2];
    return 1;
}

int lfd_rt_low_corners(const lfd_robot *r, const mjData *d, double *xy, int on[2])
{
    int np = 0, np0 = 0;
    on[0] = on[1] = 0;
    for (int side = 0; side < 2; side++) {
        const lfd_robot_foot *ft = &r->feet[side];
        if (ft->body_id < 0)
            continue;
        for (int q4 = 0; q4 < 4; q4++) {
            double corner[3] = {ft->sole[q4 & 1], ft->sole[2 + (q4 >> 1)], ft->sole_z}, cw[3];
            lfd_mat3_mulv(cw, d->xmat + 9 * ft->body_id, corner);
            if (cw[2] + d->xpos[3 * ft->body_id + 2] >= DYN_CONTACT_M)
                continue;
            if (xy) {
                xy[2 * np] = cw[0] + d->xpos[3 * ft->body_id];
                xy[2 * np + 1] = cw[1] + d->xpos[3 * ft->body_id + 1];
            }
            np++;
        }
        on[side] = np - np0;
        np0 = np;
    }
    return np;
}

/* frame k's ZMP from the ground's force and moment zmp_step left in w
   (the bodies' momenta: the same second differences as inverse dynamics on
   the joints' central differences, to second order in the frame time, at
   the cost of the kinematics alone; mj_rne with mj_comPos and mj_comVel
   took 18 % of a retargeting's instructions), the support polygon of
   frame k (w->d) and the CoM height */
static int frame_zmp(const lfd_retargeter *rt, dyn_ws *w, double zmp[2], double *hull, int *nh,
                     double *com_z)
{
    const lfd_robot *r = rt->r;
    const mjData *d = w->d;
    *nh = 0;
    const double *F = w->F;
    *com_z = w->mass > 0 ? w->G[2] / w->mass : 0;
    /* the support polygon */
    int on[2], np = lfd_rt_low_corners(r, d, hull, on);
    int has_zmp = ground_zmp(r, w, zmp);
    /* each foot's corners where its ankle carries its share of the load:
       all of it on one foot; on two, the share of the foot nearer the ZMP
       along the line between the feet (the ZMP splits the load between two
       supports as a lever's fulcrum does) */
    if (DYN_TORQUE_SHARE > 0 && has_zmp && w->support == LFD_RT_SUPPORT_EXACT && np > 0) {
        double reg[2 * LFD_RT_MAX_SUPPORT];
        int nr = lfd_rt_support_region(r, d, hull, on, F[2], reg);
        if (nr > 0) {
            memcpy(hull, reg, (size_t)nr * 2 * sizeof(double));
            *nh = nr;
            return has_zmp;
        }
        /* no split fits: the lever's corners, which still point the ZMP the right way */
    }
    if (DYN_TORQUE_SHARE > 0 && has_zmp) {
        double share[2] = {on[0] ? 1 : 0, on[1] ? 1 : 0};
        if (on[0] && on[1]) {
            const double *a = d->xpos + 3 * r->feet[0].body_id, *b = d->xpos + 3 * r->feet[1].body_id;
            double ex = b[0] - a[0], ey = b[1] - a[1], l2 = ex * ex + ey * ey;
            double t = l2 > 1e-9 ? ((zmp[0] - a[0]) * ex + (zmp[1] - a[1]) * ey) / l2 : 0.5;
            t = fmin(fmax(t, 0), 1);
            share[0] = 1 - t;
            share[1] = t;
        }
        for (int side = 0, i = 0; side < 2; i += on[side], side++) {
            if (on[side] == 0 || !(share[side] > 0))
                continue;
            foot_cuts fc; /* the foot's joints once for its corners */
            foot_cuts_find(r, d, side, &fc);
            for (int u = 0; u < on[side]; u++)
                corner_fit(&fc, share[side] * F[2], hull + 2 * (i + u));
        }
    }
    *nh = np >= 3 ? lfd_rt_hull2(hull, np) : np;
    return has_zmp;
}

/* The nearest point of the support polygon (or segment: a foot on its toe
   or heel edge) at least margin inside it, or p itself when it is. */
static void support_target(const double *hull, int nh, double margin, const double p[2],
                           double out[2])
{
    if (nh >= 3) {
        lfd_rt_poly_pull_in(hull, nh, margin, p, out);
        return;
    }
    if (nh == 2) {
        const double *a = hull, *b = hull + 2;
        double ex = b[0] - a[0], ey = b[1] - a[1], l2 = ex * ex + ey * ey;
        double t = l2 > 1e-12 ? ((p[0] - a[0]) * ex + (p[1] - a[1]) * ey) / l2 : 0;
        t = fmin(fmax(t, 0), 1);
        out[0] = a[0] + t * ex;
        out[1] = a[1] + t * ey;
        return;
    }
    out[0] = p[0];
    out[1] = p[1];
}

/* the ZMP, its target and weight of every frame; returns the sum of the
   squared distances (m^2) and the largest in *worst */
/* The momenta stepped along the clip: zmp_begin poses frames 0 and 1;
   zmp_step(k), for k = 1 .. n - 2 in turn, poses frame k + 1 and leaves in
   w the ground's force F and moment N (about the world's origin) on frame
   k: F = P' - M g, N = L' - G x g, the momenta's rates from the half-frames
   k -/+ 1/2 (G the first moment of mass); w->dp, w->d and w->dn then hold
   frames k - 1, k and k + 1.  Each frame is posed once. */
static void zmp_begin(const mjModel *mm, dyn_ws *w, const lfd_motion *m)
{
    int n = m->nframes;
    for (int k = 0; k < n && k < 2; k++) {
        mjData *dk = k ? w->dn : w->d; /* zmp_step(1) turns them over to dp, d */
        memcpy(dk->qpos, lfd_motion_frame(m, k), (size_t)mm->nq * sizeof(double));
        lfd_mj_kinematics_some(mm, dk, w->on, NULL, 0);
        bodies_com(mm, dk, w->com[k + 1]);
    }
    w->mass = 0;
    for (int b = 1; b < mm->nbody; b++)
        w->mass += mm->body_mass[b] > 0 ? mm->body_mass[b] : 0;
    if (n >= 2)
        half_momentum(mm, w, w->d, w->dn, w->com[1], w->com[2], m->fps, w->P[1], w->L[1]);
}

static void zmp_step(const mjModel *mm, dyn_ws *w, const lfd_motion *m, int k)
{
    /* turn over: k - 1 <- k <- k + 1, the old k - 1 is free for k + 1 */
    mjData *t = w->dp;
    w->dp = w->d;
    w->d = w->dn;
    w->dn = t;
    double *tc = w->com[0];
    w->com[0] = w->com[1];
    w->com[1] = w->com[2];
    w->com[2] = tc;
    double fps = m->fps;
    memcpy(w->dn->qpos, lfd_motion_frame(m, k + 1), (size_t)mm->nq * sizeof(double));
    lfd_mj_kinematics_some(mm, w->dn, w->on, NULL, 0);
    bodies_com(mm, w->dn, w->com[2]);
    memcpy(w->P[0], w->P[1], sizeof w->P[0]);
    memcpy(w->L[0], w->L[1], sizeof w->L[0]);
    half_momentum(mm, w, w->d, w->dn, w->com[1], w->com[2], fps, w->P[1], w->L[1]);
    double *G = w->G;
    G[0] = G[1] = G[2] = 0;
    for (int b = 1; b < mm->nbody; b++) {
        double mb = mm->body_mass[b] > 0 ? mm->body_mass[b] : 0;
        for (int a = 0; a < 3; a++)
            G[a] += mb * w->com[1][3 * b + a];
    }
    const double *g = mm->opt.gravity;
    for (int a = 0; a < 3; a++)
        w->F[a] = (w->P[1][a] - w->P[0][a]) * fps - w->mass * g[a];
    w->N[0] = (w->L[1][0] - w->L[0][0]) * fps - (G[1] * g[2] - G[2] * g[1]);
    w->N[1] = (w->L[1][1] - w->L[0][1]) * fps - (G[2] * g[0] - G[0] * g[2]);
    w->N[2] = (w->L[1][2] - w->L[0][2]) * fps - (G[0] * g[1] - G[1] * g[0]);
}

int lfd_rt_motion_zmp(const lfd_robot *r, const lfd_motion *m, double *zmp, lfd_err *err)
{
    dyn_ws w = {0};
    if (dyn_ws_open(r->m, &w))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the ZMP");
    int n = m->nframes;
    for (int k = 0; k < 2 * n; k++)
        zmp[k] = NAN;
    zmp_begin(r->m, &w, m);
    for (int k = 1; k + 1 < n; k++) {
        zmp_step(r->m, &w, m, k);
        ground_zmp(r, &w, zmp + 2 * k);
    }
    dyn_ws_close(&w);
    return LFD_OK;
}

int lfd_rt_motion_wrench(const lfd_robot *r, const lfd_motion *m, double *force, double *moment,
                         lfd_err *err)
{
    dyn_ws w = {0};
    if (dyn_ws_open(r->m, &w))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the ground's wrench");
    int n = m->nframes;
    memset(force, 0, (size_t)n * 3 * sizeof(double));
    memset(moment, 0, (size_t)n * 3 * sizeof(double));
    zmp_begin(r->m, &w, m);
    for (int k = 1; k + 1 < n; k++) {
        zmp_step(r->m, &w, m, k);
        memcpy(force + 3 * k, w.F, sizeof w.F);
        memcpy(moment + 3 * k, w.N, sizeof w.N);
    }
    dyn_ws_close(&w);
    return LFD_OK;
}

int lfd_rt_support_gap(const lfd_robot *r, const lfd_motion *m, double *gap, lfd_err *err)
{
    dyn_ws w = {0};
    if (dyn_ws_open(r->m, &w))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the support gap");
    int n = m->nframes;
    for (int k = 0; k < n; k++)
        gap[k] = 0;
    zmp_begin(r->m, &w, m);
    for (int k = 1; k + 1 < n; k++) {
        zmp_step(r->m, &w, m, k);
        const mjData *d = w.d;
        double hull[2 * 8], weight = w.mass * 9.81;
        int on[2], np = lfd_rt_low_corners(r, d, hull, on);
        const double *F = w.F, *N = w.N;
        if (np == 0) {
            /* nothing to push on: the whole wrench, the moment about the CoM */
            double c[3] = {w.G[0] / w.mass, w.G[1] / w.mass, w.G[2] / w.mass};
            double t[3] = {N[0] - (c[1] * F[2] - c[2] * F[1]), N[1] - (c[2] * F[0] - c[0] * F[2]),
                           N[2] - (c[0] * F[1] - c[1] * F[0])};
            gap[k] = sqrt(F[0] * F[0] + F[1] * F[1] + F[2] * F[2]) / weight +
                     sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]) / (weight * SUPPORT_GAP_ARM_M);
            continue;
        }
        if (!(F[2] > 0)) {
            gap[k] = -F[2] / weight; /* the floor cannot pull */
            continue;
        }
        double zmp[2] = {-N[1] / F[2], N[0] / F[2]}, out = INFINITY;
        int nh = np >= 3 ? lfd_rt_hull2(hull, np) : np;
        if (nh >= 3)
            out = fmax(0, -lfd_rt_poly_depth(hull, nh, zmp));
        else /* a corner or an edge: the distance to it */
            for (int i = 0; i < nh; i++)
                out = fmin(out, lfd_util_seg_dist2d(zmp, hull + 2 * i, hull + 2 * ((i + 1) % nh)));
        gap[k] = F[2] * out / (weight * SUPPORT_GAP_ARM_M);
    }
    dyn_ws_close(&w);
    return LFD_OK;
}

static double clip_zmp(const lfd_retargeter *rt, dyn_ws *w, const lfd_motion *m, double *zmp,
                       double *target, double *wz, double *zc, double *worst)
{
    const mjModel *mm = rt->r->m;
    int n = m->nframes, nz = 0;
    double hull[2 * LFD_RT_MAX_SUPPORT], e = 0;
    *zc = 0;
    *worst = 0;
    zmp_begin(mm, w, m);
    for (int k = 0; k < n; k++) {
        wz[k] = 0;
        target[2 * k] = target[2 * k + 1] = zmp[2 * k] = zmp[2 * k + 1] = 0;
        if (k < 1 || k + 1 >= n)
            continue; /* the clip's ends have no ZMP */
        zmp_step(mm, w, m, k);
        int nh;
        double cz;
        if ((w->skip && w->skip[k]) || !frame_zmp(rt, w, zmp + 2 * k, hull, &nh, &cz))
            continue;
        *zc += cz;
        nz++;
        if (nh < 2)
            continue;
        support_target(hull, nh, ZMP_MARGIN_M, zmp + 2 * k, target + 2 * k);
        wz[k] = ZMP_W_ZMP;
        double dd = hypot(target[2 * k] - zmp[2 * k], target[2 * k + 1] - zmp[2 * k + 1]);
        e += dd * dd;
        *worst = fmax(*worst, dd);
    }
    *zc = nz ? *zc / nz : 0;
    return e;
}

/* How far the motion's ZMPs are from their support polygons (the dynamics
   filter's objective): the sum of the squared distances over the frames
   with support (m^2) and the largest distance (m). */
int lfd_rt_zmp_error(const lfd_retargeter *rt, const lfd_motion *m, int support,
                     const uint8_t *skip, double *sum_m2, double *worst_m, lfd_err *err)
{
    const mjModel *mm = rt->r->m;
    size_t N = (size_t)m->nframes;
    dyn_ws w = {.support = support, .skip = skip};
    double *buf = malloc(5 * N * sizeof(double)), zc;
    if (!buf || dyn_ws_open(mm, &w)) {
        free(buf);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the ZMP error");
    }
    double *zmp = buf, *target = zmp + 2 * N, *wz = target + 2 * N;
    *sum_m2 = clip_zmp(rt, &w, m, zmp, target, wz, &zc, worst_m);
    dyn_ws_close(&w);
    free(buf);
    return LFD_OK;
}

/* Both feet's ankle and toe tasks of the legs' IK at where the feet are in
   d (kinematics done), at the pinned feet's weights; lift[side] (may be
   NULL) raises that foot's targets. */
static void feet_here(const lfd_retargeter *rt, const mjData *d, const double *lift, double *pos,
                      double *quat, double *pw, double *rw)
{
    const lfd_robot *r = rt->r;
    for (int side = 0; side < 2; side++)
        for (int u = 0; u < 2; u++) {
            int t = rt->feet_task[side][u], e = u ? rt->toe_e[side] : rt->ankle_e[side];
            if (t < 0)
                continue;
            const lfd_robot_map_entry *me = &r->map[e];
            lfd_rt_map_point(r->m, d, me, pos + 3 * t);
            if (lift)
                pos[3 * t + 2] += fmax(lift[side], 0);
            lfd_rt_map_quat(d, me, quat + 4 * t);
            pw[t] = rt->ik_feet->tasks[t].pos_weight * PIN_POS_GAIN;
            rw[t] = rt->ik_feet->tasks[t].rot_weight * PIN_ROT_GAIN;
        }
}

/* the arms IK's hand tasks (rt->ik_arms) held where the wrists are in d:
   their targets into hpos, their weights into hw (0 for a missing hand) */
static void hands_here(const lfd_retargeter *rt, const mjData *d, double *hpos, double *hw)
{
    const lfd_robot *r = rt->r;
    static const int wrist[2] = {LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    for (int s = 0; s < 2; s++) {
        int t = rt->hand_task[s];
        if (t < 0)
            continue;
        lfd_rt_map_point(r->m, d, &r->map[rt->entry_of[wrist[s]]], hpos + 3 * t);
        hw[t] = rt->ik_arms->tasks[t].pos_weight;
    }
}

/* the bodies shift_frame reads where they are (the feet's and, with
   hands, the wrists' map entries, with their ancestors) marked in on */
static void ends_mark(const lfd_retargeter *rt, int hands, unsigned char *on)
{
    const lfd_robot *r = rt->r;
    static const int wrist[2] = {LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    memset(on, 0, (size_t)r->m->nbody);
    for (int side = 0; side < 2; side++) {
        for (int u = 0; u < 2; u++) {
            int e = u ? rt->toe_e[side] : rt->ankle_e[side];
            if (rt->feet_task[side][u] >= 0)
                lfd_mj_mark_body(r->m, on, r->map[e].body_id);
        }
        if (hands && rt->hand_task[side] >= 0)
            lfd_mj_mark_body(r->m, on, r->map[rt->entry_of[wrist[side]]].body_id);
    }
}

/* frame k's body moved by (dx, dy), its legs putting both feet back where
   they were and, with aws (a workspace of rt->ik_arms), its arms the hands,
   each IK to iters iterations; ends_on: the bodies to pose first (ends_mark) */
static int shift_frame(const lfd_retargeter *rt, lfd_ik_ws *iws, lfd_ik_ws *aws,
                       const unsigned char *ends_on, double *q, double *qs, double dx, double dy,
                       double dz, const double *rot, const double *center, double fps, int iters)
{
    const lfd_robot *r = rt->r;
    const mjModel *mm = r->m;
    double pos[4 * 3], quat[4 * 4], pw[4] = {0}, rw[4] = {0}, hpos[2 * 3] = {0}, hw[2] = {0};
    mjData *d = lfd_ik_ws_data(iws);
    memcpy(d->qpos, q, (size_t)mm->nq * sizeof(double));
    lfd_mj_kinematics_some(mm, d, ends_on, NULL, 0);
    feet_here(rt, d, NULL, pos, quat, pw, rw);
    /* with the swing clearance, the arms follow the hands keeping each
       clearance pair at least as far apart as it is before the shift where
       that is closer than its margin: an arm the lifted legs left near the
       body is not pushed away within this one frame (G1's xia walk: the
       elbow 1.25 -> 1.56 -> 1.13 rad over three frames for a 1.3 mm shift
       of the root).  Without it the pairs keep their margins (kept so on
       the default path: with this, the sitting clip's help before its
       seated range rose from 0.05 to 0.17, docs/retarget.md part 14) */
    double margin[LFD_IK_MAX_PAIRS];
    int keep_pairs = aws && rt->opts.swing_clear_m > 0;
    if (keep_pairs)
        lfd_ik_pair_margins_at(rt->ik_arms, aws, q, margin);
    if (aws)
        hands_here(rt, d, hpos, hw);
    if (rot) /* the root turned by rot about center */
        lfd_rt_turn_root(q, rot, center);
    q[0] += dx;
    q[1] += dy;
    q[2] += dz;
    memcpy(qs, q, (size_t)mm->nq * sizeof(double));
    lfd_ik_frame fr = {pos, quat, pw, rw, qs, 1.0 / fps, iters, NULL, NULL};
    int rc = lfd_ik_solve(rt->ik_feet, iws, &fr, q, NULL);
    if (rc || !aws)
        return rc;
    memcpy(qs, q, (size_t)mm->nq * sizeof(double));
    lfd_ik_frame fa = {hpos, NULL, hw, NULL, qs, 1.0 / fps, iters, NULL, keep_pairs ? margin : NULL};
    return lfd_ik_solve(rt->ik_arms, aws, &fa, q, NULL);
}

void lfd_rt_turn_root(double *q, const double rot[4], const double center[3])
{
    double p[3] = {q[0] - center[0], q[1] - center[1], q[2] - center[2]}, pr[3], qr[4];
    lfd_quat_rotate(pr, rot, p);
    lfd_quat_mul(qr, rot, q + 3);
    double l = sqrt(qr[0] * qr[0] + qr[1] * qr[1] + qr[2] * qr[2] + qr[3] * qr[3]);
    for (int a = 0; a < 3; a++)
        q[a] = center[a] + pr[a];
    for (int a = 0; a < 4; a++)
        q[3 + a] = qr[a] / l;
}

int lfd_rt_legs_shift(const lfd_retargeter *rt, lfd_ik_ws *iws, const unsigned char *ends_on,
                      double *q, double *qs, const double d[3], const double *rot,
                      const double *center, double fps, int iters)
{
    return shift_frame(rt, iws, NULL, ends_on, q, qs, d[0], d[1], d[2], rot, center, fps, iters);
}

void lfd_rt_feet_ends_mark(const lfd_retargeter *rt, unsigned char *on)
{
    ends_mark(rt, 0, on);
}

/* The dynamics filter (issue 15): where the written motion's own ZMP
   leaves the support polygon of its planted soles, the root's horizontal
   path is corrected over the whole clip with the cart-table relation of
   Kajita et al. 2003 (a shift d of the body moves the ZMP by
   d - z_c / g d''), the banded least-squares problem of lfd_rt_zmp_filter;
   the legs alone then put both feet back where they were, so contacts,
   slide and floor stay as they are.  The real body is not a cart on a
   table, so the correction is repeated on the corrected motion's own ZMP
   (Nishiwaki et al. 2002 iterate the same way with the multibody model),
   keeping a step only when it brings the ZMPs closer to their polygons
   and halving it otherwise.  The total shift is capped at
   ZMP_MAX_SHIFT_M, so the root stays that close to the scaled pelvis path;
   frames no foot support carries (sitting, climbing) get no ZMP target
   (c->no_support) and lfd check reports them as needing support. */
static int corrections_smooth(const lfd_robot *r, lfd_motion *m, const double *q0, double *dl,
                              int root_lift, double cutoff_hz, const uint8_t *pin, double *work, lfd_err *err);

/* Frames a+1 .. b-1 of m: their pose before the step (q0) plus the
   correction of the solved frames a and b (m - q0 there) blended linearly,
   the root's (x, y) moved by exactly their own shift (delta; NULL: blended
   too); quaternions normalised again. */
static void interp_corrections(const mjModel *mm, lfd_motion *m, const double *q0, int a, int b,
                               const double *delta)
{
    size_t nq = (size_t)mm->nq;
    const double *qa = lfd_motion_frame(m, a), *qb = lfd_motion_frame(m, b);
    const double *a0 = q0 + (size_t)a * nq, *b0 = q0 + (size_t)b * nq;
    for (int k = a + 1; k < b; k++) {
        double t = (double)(k - a) / (b - a), *q = lfd_motion_frame(m, k);
        const double *k0 = q0 + (size_t)k * nq;
        for (size_t i = 0; i < nq; i++)
            q[i] = k0[i] + (1 - t) * (qa[i] - a0[i]) + t * (qb[i] - b0[i]);
        if (delta) {
            q[0] = k0[0] + delta[2 * k];
            q[1] = k0[1] + delta[2 * k + 1];
        }
        mj_normalizeQuat(mm, q);
    }
}

/* The root shifts delta (2 n doubles: x, y per frame) applied to m, whose
   frames are still q0: the legs keep the feet (the arms the hands, with
   aws), the corrections smoothed.  Above 30 fps the legs (and arms) are
   solved on every stride-th frame only, at 30 Hz or more, and their
   corrections blended linearly in between (interp_corrections): they are
   smoothed at FEET_CORR_HZ anyway, and the solves were the filter's
   largest cost (CMU 13_01 onto H1 at 120 Hz: 13 of the 17 us per frame and
   iteration).  At 30 and 50 fps every frame is solved.  A shift under a
   micrometre is none (set to 0 in delta).  qs: nq, dl: n doubles. */
static int shift_motion(const lfd_retargeter *rt, lfd_ik_ws *iws, lfd_ik_ws *aws,
                        const unsigned char *ends_on, lfd_motion *m, const double *q0, double *delta,
                        double *qs, double *dl, double *work, int iters, lfd_err *err)
{
    const mjModel *mm = rt->r->m;
    int n = m->nframes, rc = LFD_OK;
    int stride = m->fps > 0 ? (int)floor(m->fps / 30 + 1e-9) : 1;
    stride = stride < 1 ? 1 : stride;
    for (int k = 0, k_prev = 0; k < n && rc == LFD_OK; k++) {
        double dx = delta[2 * k], dy = delta[2 * k + 1];
        int solve = k % stride == 0 || k == n - 1;
        if (hypot(dx, dy) < 1e-6) {
            delta[2 * k] = delta[2 * k + 1] = 0;
            if (solve) /* its correction is none: the frames before it blend to that */
                interp_corrections(mm, m, q0, k_prev, k, delta);
            k_prev = solve ? k : k_prev;
            continue;
        }
        if (!solve)
            continue; /* the legs' correction blended from the solved frames around it */
        if (shift_frame(rt, iws, aws, ends_on, lfd_motion_frame(m, k), qs, dx, dy, 0, NULL, NULL, m->fps, iters))
            rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: dynamics filter's legs step failed", k);
        interp_corrections(mm, m, q0, k_prev, k, delta);
        k_prev = k;
    }
    /* the legs' corrections smoothed over the clip (FEET_CORR_HZ): solved
       frame by frame, a leg that meets a bound in one frame and not the
       next leaves a fraction of a millimetre of jitter, which at 30 fps
       moves the ZMP by centimetres (the bandai1 walk on g1: +-7 cm where
       the cart-table relation predicts 0, and no step helped) */
    if (rc == LFD_OK && n >= 4)
        rc = corrections_smooth(rt->r, m, q0, dl, 0, FEET_CORR_HZ, NULL, work, err);
    return rc;
}

int lfd_rt_dynamics_filter(const lfd_retargeter *rt, lfd_rt_clip *c, lfd_motion *m, int support,
                           int keep_hands, int in_round, lfd_retarget_report *rep,
                           const double *shift0, double *shift_xy, double *e_io, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    const mjModel *mm = r->m;
    int n = m->nframes, nq = mm->nq;
    if (!r->floating || !rt->ik_feet || n < 5)
        return LFD_OK;
    size_t N = (size_t)n, nqn = N * (size_t)nq;
    dyn_ws w = {.support = support, .skip = c->no_support};
    lfd_ik_ws *iws = NULL, *aws = NULL;
    double *buf = malloc(((size_t)nq + 12 * N + 2 * N + N + nqn) * sizeof(double));
    int rc = buf && dyn_ws_open(mm, &w) == LFD_OK
                 ? lfd_ik_ws_new(&iws, rt->ik_feet, err)
                 : lfd_fail(err, LFD_ENOMEM, "out of memory for the dynamics filter");
    if (rc == LFD_OK && keep_hands && rt->ik_arms)
        rc = lfd_ik_ws_new(&aws, rt->ik_arms, err);
    unsigned char *ends_on = rc == LFD_OK ? malloc((size_t)mm->nbody) : NULL;
    if (rc == LFD_OK && !ends_on)
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory for the dynamics filter");
    if (rc) {
        lfd_ik_ws_free(&iws);
        lfd_ik_ws_free(&aws);
        dyn_ws_close(&w);
        free(buf);
        return rc;
    }
    ends_mark(rt, aws != NULL, ends_on);
    double *qs = buf, *zmp = qs + nq, *target = zmp + 2 * N, *wz = target + 2 * N,
           *delta = wz + N, *total = delta + 2 * N, *dl = total + 2 * N, *best = dl + N;
    /* a trial's ZMPs, targets and weights go to the second set; kept, the
       two sets swap, so a step that did not help costs no re-evaluation */
    double *zmp2 = best + nqn, *target2 = zmp2 + 2 * N, *wz2 = target2 + 2 * N;
    double zc, worst, e = clip_zmp(rt, &w, m, zmp, target, wz, &zc, &worst);
    double e_best = e, step = DYN_STEP0;
    if (e_io) {
        e_io[0] = e;
        e_io[2] = worst;
    }
    memcpy(best, m->qpos, nqn * sizeof(double));
    if (shift0)
        memcpy(total, shift0, 2 * N * sizeof(double));
    else
        memset(total, 0, 2 * N * sizeof(double));
    int iters = in_round ? DYN_SHIFT_ITERS : FEET_POLISH_ITERS;
    for (int it = 0; rc == LFD_OK && it < DYN_ITERS && worst > DYN_DONE_M && step > 0.2; it++) {
        /* the correction from the best motion so far (its ZMP is in zmp) */
        if (lfd_rt_zmp_filter(NULL, zmp, target, wz, n, m->fps, zc, delta, c->work)) {
            rc = lfd_fail(err, LFD_ENUMERIC, "dynamics filter: singular system");
            break;
        }
        for (int k = 0; k < n; k++) {
            double dx = step * delta[2 * k], dy = step * delta[2 * k + 1];
            /* the total shift stays within the cap */
            double tx = total[2 * k] + dx, ty = total[2 * k + 1] + dy, sh = hypot(tx, ty);
            if (sh > ZMP_MAX_SHIFT_M) {
                dx = tx * ZMP_MAX_SHIFT_M / sh - total[2 * k];
                dy = ty * ZMP_MAX_SHIFT_M / sh - total[2 * k + 1];
            }
            /* the shift applied (the total counts it, within the cap) */
            delta[2 * k] = dx;
            delta[2 * k + 1] = dy;
        }
        if ((rc = shift_motion(rt, iws, aws, ends_on, m, best, delta, qs, dl, c->work, iters, err)))
            break;
        double zc2, worst2, e2 = clip_zmp(rt, &w, m, zmp2, target2, wz2, &zc2, &worst2);
        if (e2 < e_best) {
            e_best = e2;
            worst = worst2;
            zc = zc2;
            double *t;
            t = zmp, zmp = zmp2, zmp2 = t;
            t = target, target = target2, target2 = t;
            t = wz, wz = wz2, wz2 = t;
            memcpy(best, m->qpos, nqn * sizeof(double));
            for (int k = 0; k < 2 * n; k++)
                total[k] += delta[k];
        } else {
            /* back to the best motion (its ZMPs still in zmp), a smaller step from it */
            memcpy(m->qpos, best, nqn * sizeof(double));
            step *= 0.5;
        }
    }
    if (e_io)
        e_io[1] = e_best;
    if (rc == LFD_OK && shift_xy)
        for (int k = 0; k < 2 * n; k++)
            shift_xy[k] = total[k] - (shift0 ? shift0[k] : 0);
    if (rc == LFD_OK)
        for (int k = 0; k < n; k++)
            rep->zmp_shift_max_m = fmax(rep->zmp_shift_max_m, hypot(total[2 * k], total[2 * k + 1]));
    lfd_ik_ws_free(&iws);
    lfd_ik_ws_free(&aws);
    free(ends_on);
    dyn_ws_close(&w);
    free(buf);
    return rc;
}

int lfd_rt_apply_shift(const lfd_retargeter *rt, lfd_rt_clip *c, lfd_motion *m, const double *shift_xy,
                       double scale, int keep_hands, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    const mjModel *mm = r->m;
    int n = m->nframes, nq = mm->nq;
    if (!r->floating || !rt->ik_feet || n < 5)
        return LFD_OK;
    size_t nqn = (size_t)n * (size_t)nq;
    lfd_ik_ws *iws = NULL, *aws = NULL;
    double *buf = malloc(((size_t)nq + 2 * (size_t)n + (size_t)n + nqn) * sizeof(double));
    unsigned char *ends_on = malloc((size_t)mm->nbody);
    int rc = buf && ends_on ? lfd_ik_ws_new(&iws, rt->ik_feet, err)
                            : lfd_fail(err, LFD_ENOMEM, "out of memory for the dynamics filter");
    if (rc == LFD_OK && keep_hands && rt->ik_arms)
        rc = lfd_ik_ws_new(&aws, rt->ik_arms, err);
    if (rc == LFD_OK) {
        ends_mark(rt, aws != NULL, ends_on);
        double *qs = buf, *delta = qs + nq, *dl = delta + 2 * n, *q0 = dl + n;
        memcpy(q0, m->qpos, nqn * sizeof(double));
        for (int k = 0; k < 2 * n; k++)
            delta[k] = scale * shift_xy[k];
        rc = shift_motion(rt, iws, aws, ends_on, m, q0, delta, qs, dl, c->work, FEET_POLISH_ITERS, err);
    }
    lfd_ik_ws_free(&iws);
    lfd_ik_ws_free(&aws);
    free(ends_on);
    free(buf);
    return rc;
}

/* joints back inside their ranges and, frame to frame, their velocity limits */
int lfd_rt_impose_bounds(const lfd_robot *r, lfd_motion *m)
{
    int moved = 0;
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        double step = isfinite(J->vel_max) && J->vel_max > 0 ? J->vel_max / m->fps * (1 - 1e-9) : INFINITY;
        for (int k = 0; k < m->nframes; k++) {
            double *v = lfd_motion_frame(m, k) + J->qpos_adr;
            double v0 = *v;
            /* a value that is not finite stays so, for lfd_motion_validate
               to refuse the motion (fmax would turn NaN into a bound) */
            if (!isfinite(v0))
                continue;
            if (k) {
                double p = lfd_motion_frame(m, k - 1)[J->qpos_adr];
                *v = fmin(fmax(*v, p - step), p + step);
            }
            *v = fmin(fmax(*v, J->range_lo), J->range_hi);
            moved += *v != v0;
        }
    }
    return moved;
}

/* Which foot each joint moves, and how deep each frame is into its foot's
   contact phase: 0 outside, rising by smoothstep to 1 over PIN_RAMP_S after
   touch-down and staying 1 up to the lift-off (the feet step fades its
   correction out after the lift-off, in the swing). */
void lfd_rt_contact_levels(const lfd_robot *r, lfd_rt_clip *c, double fps)
{
    for (int j = 0; j < r->njoints; j++)
        c->leg_side[j] = lfd_rt_joint_leg_side(r, j);
    double ramp = fmax(1, PIN_RAMP_S * fps);
    for (int s = 0; s < 2; s++) {
        double dist = 0; /* frames since touch-down */
        for (int k = 0; k < c->n; k++) {
            dist = c->pinned[2 * k + s] ? dist + 1 : 0;
            double x = fmin(1, dist / ramp);
            c->level[2 * k + s] = x * x * (3 - 2 * x);
        }
    }
}

/* m = q0 + (m - q0) smoothed over the clip at cutoff_hz (the feet and
   floor steps: FEET_CORR_HZ), on the legs' joints and, with root_lift, the
   root's height, whose lift first takes its upper envelope (a running
   maximum over the smoother's width) so the smoothing does not lower what
   the raw lift raised.  With pin (n x 2, may be NULL), a leg's corrections
   are weighted SWING_PIN_W where its foot is pinned (they stay as they
   are there).  work: 4 n doubles, 5 n with pin; dl: n doubles. */
static int corrections_smooth(const lfd_robot *r, lfd_motion *m, const double *q0, double *dl,
                              int root_lift, double cutoff_hz, const uint8_t *pin, double *work, lfd_err *err)
{
    int n = m->nframes;
    size_t nq = (size_t)r->nq;
    double lambda = lfd_rt_smooth_lambda(cutoff_hz, m->fps);
    int half = (int)ceil(m->fps / cutoff_hz / 2);
    for (int j = root_lift ? -1 : 0; j < r->njoints; j++) {
        size_t a = j < 0 ? 2 : (size_t)r->joints[j].qpos_adr;
        if (j >= 0 && lfd_rt_joint_leg_side(r, j) < 0)
            continue;
        int any = 0;
        for (int k = 0; k < n; k++) {
            dl[k] = m->qpos[(size_t)k * nq + a] - q0[(size_t)k * nq + a];
            any |= dl[k] != 0;
        }
        if (!any)
            continue;
        if (j < 0)
            for (int k = 0; k < n; k++) {
                double mx = 0;
                for (int i = k - half; i <= k + half; i++)
                    if (i >= 0 && i < n)
                        mx = fmax(mx, m->qpos[(size_t)i * nq + a] - q0[(size_t)i * nq + a]);
                dl[k] = mx;
            }
        double *wt = NULL;
        if (pin && j >= 0) {
            wt = work + 4 * (size_t)n;
            int side = lfd_rt_joint_leg_side(r, j);
            for (int k = 0; k < n; k++)
                wt[k] = pin[2 * k + side] ? SWING_PIN_W : 1;
        }
        if (lfd_rt_smooth_accel(dl, n, 1, wt, lambda, work))
            return lfd_fail(err, LFD_ENUMERIC, "feet or floor step: smoothing failed");
        for (int k = 0; k < n; k++)
            m->qpos[(size_t)k * nq + a] = q0[(size_t)k * nq + a] + (j < 0 ? fmax(dl[k], 0) : dl[k]);
    }
    return LFD_OK;
}

int lfd_rt_legs_smooth(const lfd_robot *r, lfd_motion *m, const double *q0, double cutoff_hz,
                       double *work, lfd_err *err)
{
    return corrections_smooth(r, m, q0, work, 0, cutoff_hz, NULL, work + m->nframes, err);
}

/* Scratch of the feet and floor steps: the legs' IK workspace, one frame's
   start pose, the clip's pose before the step (its corrections are
   smoothed against it) and one joint's corrections over the clip. */
typedef struct {
    lfd_ik_ws *ws;
    double *qs; /* nq */
    double *q0; /* nframes x nq: m->qpos before the step */
    double *dl; /* nframes */
    unsigned char *feet_on; /* nbody: the feet's bodies and their ancestors */
} legs_scratch;

static void legs_scratch_close(legs_scratch *s)
{
    lfd_ik_ws_free(&s->ws);
    free(s->qs);
    free(s->q0);
    free(s->dl);
    free(s->feet_on);
    memset(s, 0, sizeof *s);
}

static int legs_scratch_open(const lfd_retargeter *rt, const lfd_motion *m, legs_scratch *s,
                             lfd_err *err)
{
    size_t N = (size_t)m->nframes, nq = (size_t)rt->r->nq;
    memset(s, 0, sizeof *s);
    s->qs = malloc(nq * sizeof(double));
    s->q0 = malloc(N * nq * sizeof(double));
    s->dl = malloc(N * sizeof(double));
    s->feet_on = calloc((size_t)rt->r->m->nbody, 1);
    int rc = s->qs && s->q0 && s->dl && s->feet_on ? lfd_ik_ws_new(&s->ws, rt->ik_feet, err)
                                                   : lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (rc == LFD_OK) {
        memcpy(s->q0, m->qpos, N * nq * sizeof(double));
        for (int side = 0; side < 2; side++)
            lfd_mj_mark_body(rt->r->m, s->feet_on, rt->r->feet[side].body_id);
    } else {
        legs_scratch_close(s);
    }
    return rc;
}

/* The legs' IK tasks of a foot pinned at pin (its flat foot's ankle point)
   with orientation qf: the ankle where the foot, so rolled, keeps the edge
   it stands on at the pin's (lfd_rt_roll_ankle), and the toe point. */
static void pin_tasks(const lfd_retargeter *rt, int side, const double pin[3], const double qf[4],
                      double *pos, double *quat, double *pw, double *rw)
{
    int ta = rt->feet_task[side][0], tt = rt->feet_task[side][1];
    lfd_rt_roll_ankle(rt, side, pin, qf, pos + 3 * ta);
    memcpy(quat + 4 * ta, qf, 4 * sizeof(double));
    pw[ta] = rt->ik_feet->tasks[ta].pos_weight * PIN_POS_GAIN;
    rw[ta] = rt->ik_feet->tasks[ta].rot_weight * PIN_ROT_GAIN;
    if (tt >= 0) {
        double rel[3];
        lfd_quat_rotate(rel, qf, rt->toe_rel0[side]);
        lfd_v3_add(pos + 3 * tt, pos + 3 * ta, rel);
        pw[tt] = rt->ik_feet->tasks[tt].pos_weight * PIN_POS_GAIN;
    }
}

/* The orientation of side's foot (ankle map frame) as d has it, turned by
   the least rotation that points its forward axis where want's points: the
   heading and pitch asked for, the roll the leg gave it. */
static void reachable_foot_quat(const lfd_retargeter *rt, const mjData *d, int side,
                                const double want[4], double out[4])
{
    double qa[4], x[3] = {1, 0, 0}, xa[3], xw[3], ax[3], rot[4];
    lfd_rt_map_quat(d, &rt->r->map[rt->ankle_e[side]], qa);
    lfd_quat_rotate(xa, qa, x);
    lfd_quat_rotate(xw, want, x);
    lfd_v3_cross(ax, xa, xw);
    double sn = sqrt(lfd_v3_dot(ax, ax)), cs = lfd_v3_dot(xa, xw);
    if (sn < 1e-12 && cs > 0) {
        memcpy(out, qa, 4 * sizeof(double));
        return;
    }
    double ang = atan2(sn, cs);
    if (sn < 1e-12) { /* pointing the other way: half a turn about the vertical */
        ax[0] = ax[1] = 0;
        ax[2] = sn = 1;
        ang = M_PI;
    }
    for (int a = 0; a < 3; a++)
        ax[a] /= sn;
    lfd_quat_from_axis_angle(rot, ax, ang);
    lfd_quat_mul(out, rot, qa);
    lfd_quat_normalize(out);
}

/* After smoothing: the legs alone put planted feet back on their pins and
   every sole above the floor, each frame starting from (and pulled toward)
   its smoothed pose.  A leg's correction is faded in after its foot lands
   (smoothstep over PIN_RAMP_S), kept whole up to the lift-off and faded
   out in the swing after it (over PIN_RAMP_OUT_S), so switching contacts
   never moves a joint in one frame and a foot rolling onto its toe at
   the end of a stance stays on its pin. */
/* Where a leg cannot set its foot's roll (fewer than six joints: H1), the
   feet step's correction ramps in over the last PIN_RAMP_S of the swing
   before a touch-down and holds the whole stance, instead of ramping in
   over the first PIN_RAMP_S after it: such a foot rolls as the hips put it,
   and while the correction came in after the landing, its flat-foot point
   moved 1-1.5 cm under the planted foot (H1's bandai1 walk: each left
   landing, a 1.7 cm slide; lfd's procedural walk 1.3 cm), where in the
   swing the same move slides nothing.  Legs with six joints keep the ramp
   after the touch-down: on G1 the other way moves mixamo's walk, whose
   stance ankle leans on its momentum at frame 58, from 0.77 to 1.00-1.02
   of its torque limit on four draws of five (docs/retarget.md part 22). */
static int ramp_before(const lfd_retargeter *rt, int side)
{
    return !rt->foot_roll_set[side];
}

int lfd_rt_feet_step(const lfd_retargeter *rt, lfd_rt_clip *c, lfd_motion *m, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    if (!rt->ik_feet)
        return LFD_OK;
    legs_scratch sc;
    int rc = legs_scratch_open(rt, m, &sc, err);
    lfd_ik_ws *ws = sc.ws;
    double *qs = sc.qs;
    double pos[4 * 3], quat[4 * 4], pw[4], rw[4], pin[2][3] = {{0}};
    int stride = m->fps > 0 ? (int)floor(m->fps / 30 + 1e-9) : 1, k_prev = 0;
    stride = stride < 1 ? 1 : stride;
    for (int k = 0; rc == LFD_OK && k < m->nframes; k++) {
        double *q = lfd_motion_frame(m, k);
        memcpy(qs, q, (size_t)r->nq * sizeof(double));
        for (int i = 0; i < 4; i++) {
            pw[i] = rw[i] = 0;
            lfd_quat_identity(quat + 4 * i);
            memset(pos + 3 * i, 0, 3 * sizeof(double));
        }
        mjData *d = lfd_ik_ws_data(ws);
        int d_at_qs = 0; /* d holds qs's feet (read by a leg that cannot set its foot's roll) */
        for (int side = 0; side < 2; side++) {
            if (!c->pinned[2 * k + side])
                continue;
            const double *ft = c->feet_t + 20 * k + 10 * side;
            int ta = rt->feet_task[side][0];
            if (ta < 0)
                continue;
            /* a contact phase is pinned, on the floor, where the smoothed foot is
               half-way into it (the ramp's middle): the drift that smoothing
               leaves around a landing then splits to both sides of the pin.
               Where the correction ramps in before the touch-down
               (ramp_before), where the smoothed foot is at the touch-down */
            if (k == 0 || !c->pinned[2 * (k - 1) + side]) {
                int k2 = k;
                while (!ramp_before(rt, side) && k2 + 1 < m->nframes && c->pinned[2 * (k2 + 1) + side] &&
                       c->level[2 * k2 + side] < 0.5)
                    k2++;
                double a2[3];
                memcpy(d->qpos, lfd_motion_frame(m, k2), (size_t)r->nq * sizeof(double));
                mj_kinematics(r->m, d);
                d_at_qs = 0;
                lfd_rt_map_point(r->m, d, &r->map[rt->ankle_e[side]], a2);
                /* the flat foot's ankle point of that (possibly rolled) foot:
                   rolled as the person's foot is, or, where the leg cannot set
                   its foot's roll, as this pose has it */
                const double *fq2 = c->feet_t + 20 * k2 + 10 * side + 3;
                double qr2[4];
                if (!rt->foot_roll_set[side]) {
                    reachable_foot_quat(rt, d, side, fq2, qr2);
                    fq2 = qr2;
                }
                lfd_rt_unroll_ankle(rt, side, a2, fq2, pin[side]);
                pin[side][2] = rt->ankle_rest_z[side];
            }
            /* the foot oriented as the person's is (heading, and pitch while
               it rolls onto its heel or toe) and its edge on the pin.  A leg
               with fewer than six joints (H1: no ankle roll) cannot also set
               the sole's roll: its hips give the sole a roll that changes as
               the body passes over the foot (H1's stance soles 0.18 -> -0.02
               rad), and an ankle held at the flat foot's pin then slid the
               long edge the foot stood on, up to 1 cm per stance.  Such a
               foot keeps the roll its smoothed pose has, and the edge it
               stands on stays on the pin. */
            const double *fq = ft + 3;
            double qr[4];
            if (!rt->foot_roll_set[side]) {
                if (!d_at_qs) {
                    memcpy(d->qpos, qs, (size_t)r->nq * sizeof(double));
                    lfd_mj_kinematics_some(r->m, d, sc.feet_on, NULL, 0);
                    d_at_qs = 1;
                }
                reachable_foot_quat(rt, d, side, fq, qr);
                fq = qr;
            }
            pin_tasks(rt, side, pin[side], fq, pos, quat, pw, rw);
        }
        /* above 30 fps the legs are solved on every stride-th frame (30 Hz or
           more) and the corrections blended in between, as in the dynamics
           filter: they are smoothed at FEET_CORR_HZ below */
        if (k % stride && k != m->nframes - 1)
            continue;
        lfd_ik_frame fr = {pos, quat, pw, rw, qs, 1.0 / m->fps, FEET_POLISH_ITERS, NULL, NULL};
        if (lfd_ik_solve(rt->ik_feet, ws, &fr, q, NULL))
            rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: feet step failed (singular step)", k);
        interp_corrections(r->m, m, sc.q0, k_prev, k, NULL);
        k_prev = k;
    }
    /* the correction, faded in by how deep into its contact phase the
       leg's foot is; a swing leg keeps its own (floor) correction, plus
       for PIN_RAMP_OUT_S after a lift-off the fading correction of the
       stance it has left.  (Fading out before the lift-off, as this step
       did, half-released the last stance frames while the heel rose and
       the foot rolled: G1's bandai2 walk slid 1.7 cm in its last frame.)
       Frames are visited backwards so a lift-off frame's stance neighbour
       still holds its own correction when it is read. */
    double ramp_out = fmax(1, PIN_RAMP_OUT_S * m->fps), ramp_in = fmax(1, PIN_RAMP_S * m->fps);
    size_t nq = (size_t)r->nq;
    for (int k = m->nframes - 1; rc == LFD_OK && k >= 0; k--) {
        double *q = lfd_motion_frame(m, k);
        const double *q0 = sc.q0 + (size_t)k * nq;
        for (int side = 0; side < 2; side++) {
            double lv = 1, wp = 0, wn = 0;
            int kp = k, kn = k, before = ramp_before(rt, side);
            if (c->pinned[2 * k + side]) {
                lv = before ? 1 : c->level[2 * k + side];
            } else {
                while (kp > 0 && k - kp <= ramp_out && !c->pinned[2 * kp + side])
                    kp--;
                if (c->pinned[2 * kp + side] && k - kp < ramp_out + 1) {
                    double x = 1 - (k - kp) / (ramp_out + 1);
                    wp = x * x * (3 - 2 * x) * (before ? 1 : c->level[2 * kp + side]);
                }
                while (before && kn + 1 < m->nframes && kn - k <= ramp_in && !c->pinned[2 * kn + side])
                    kn++;
                if (before && c->pinned[2 * kn + side] && kn - k < ramp_in + 1) {
                    double x = 1 - (kn - k) / (ramp_in + 1);
                    wn = x * x * (3 - 2 * x);
                }
                /* a swing shorter than the two ramps: the stance corrections
                   on either side share it, never more than one whole
                   correction between them (added, H1's mixamo walk's 4-frame
                   swings had 1.4 of one, the knee 0.01 rad past both) */
                if (wp + wn > 1) {
                    double sh = 1 / (wp + wn);
                    wp *= sh;
                    wn *= sh;
                }
            }
            for (int j = 0; j < r->njoints; j++) {
                if (c->leg_side[j] != side)
                    continue;
                size_t a = (size_t)r->joints[j].qpos_adr;
                q[a] = q0[a] + lv * (q[a] - q0[a]);
                if (wp > 0)
                    q[a] += wp * (m->qpos[(size_t)kp * nq + a] - sc.q0[(size_t)kp * nq + a]);
                if (wn > 0)
                    q[a] += wn * (m->qpos[(size_t)kn * nq + a] - sc.q0[(size_t)kn * nq + a]);
            }
        }
    }
    /* The legs' corrections, smoothed over the clip (FEET_CORR_HZ): a
       stance leg that cannot quite reach its pin meets its knee's bound in
       some frames and not in the next, and the solves alternate between
       the two (the xia walk at 120 Hz: knee 2,800 rad/s^2 in mid-stance). */
    if (rc == LFD_OK && m->nframes >= 4)
        rc = corrections_smooth(r, m, sc.q0, sc.dl, 0, FEET_CORR_HZ, NULL, c->work, err);
    legs_scratch_close(&sc);
    return rc;
}

/* Last of the feet steps: a frame with a sole below the floor (the feet
   step fades its correction in after a landing) has that foot lifted
   straight up by its depth, the other kept where it is, by the legs' IK
   (the floor is one of its constraints). */
static double foot_depth(const lfd_robot *r, const mjData *d, int side)
{
    double lo = lfd_rt_foot_lowest(r, d, side);
    return isfinite(lo) ? -lo : 0;
}

/* the swing of foot side around frame k (lfd_retarget_int.h) */
int lfd_rt_swing_window(const lfd_rt_clip *c, int side, int k, double fps, int *a, int *b)
{
    int n = c->n;
#define SWINGS(i) (!c->pinned[2 * (i) + side] && c->pinned[2 * (i) + 1 - side])
    if (!SWINGS(k))
        return 0;
    int i = k, e = k;
    while (i >= 0 && SWINGS(i))
        i--;
    while (e < n && SWINGS(e))
        e++;
#undef SWINGS
    if (i < 0 || e + SWING_MIN_S * fps >= n || e - i < SWING_MIN_S * fps)
        return 0;
    /* the untrimmed ranges: the filter's trim (no_support_trim) is about its
       ZMP targets; a foot is not lifted at the edge frames of a seated range
       in one step and left down there in another */
    for (int f = i; c->no_support_all && f <= e; f++)
        if (c->no_support_all[f])
            return 0;
    *a = i;
    *b = e;
    return 1;
}

/* q's arms solved again by the arms' IK (aws a workspace of rt->ik_arms),
   each hand held where it is in q and every clearance pair taken out to
   its margin; the rest of q as it is */
static int arms_hold_hands_w(const lfd_retargeter *rt, lfd_ik_ws *aws, double *q, double *qs, double fps,
                             double hand_w, int iters)
{
    const mjModel *mm = rt->r->m;
    double hpos[2 * 3] = {0}, hw[2] = {0};
    mjData *d = lfd_ik_ws_data(aws);
    memcpy(d->qpos, q, (size_t)mm->nq * sizeof(double));
    mj_kinematics(mm, d);
    hands_here(rt, d, hpos, hw);
    for (int s = 0; s < 2; s++)
        hw[s] *= hand_w;
    memcpy(qs, q, (size_t)mm->nq * sizeof(double));
    lfd_ik_frame fa = {hpos, NULL, hw, NULL, qs, 1.0 / fps, iters, NULL, NULL};
    return lfd_ik_solve(rt->ik_arms, aws, &fa, q, NULL);
}

static int arms_hold_hands(const lfd_retargeter *rt, lfd_ik_ws *aws, double *q, double *qs, double fps)
{
    return arms_hold_hands_w(rt, aws, q, qs, fps, 1, FEET_POLISH_ITERS);
}

/* The corrections dq (nhit x nq: pose after the arms' IK minus before) of
   frames hit[0..nhit) (increasing) added to m, each eased in and out over
   ARMS_GUARD_S on either side with a raised cosine (1-DoF joints only; the
   IK moves the arms' hinges): of each joint's weighted corrections the
   largest positive and the most negative, added.  Taking the larger in
   size of two overlapping corrections of opposite sign switched the joint
   from one to the other within a frame (G1's bend-scoop-lift at 120 Hz:
   the right elbow 0.12 rad at frame 1466, 0.74 body weights of help).
   Frames changed get touched[k] = 1 (touched may be NULL); returns their
   number. */
static int ease_corrections(const lfd_robot *r, lfd_motion *m, const int *hit, int nhit,
                            const double *dq, uint8_t *touched)
{
    size_t nq = (size_t)r->m->nq;
    int n = m->nframes, w = (int)ceil(ARMS_GUARD_S * m->fps), changed = 0;
    for (int k = 0, h0 = 0; nhit && k < n; k++) {
        while (h0 < nhit && hit[h0] < k - w)
            h0++;
        int any = 0;
        double *q = lfd_motion_frame(m, k);
        for (int j = 0; j < r->njoints; j++) {
            size_t a = (size_t)r->joints[j].qpos_adr;
            double up = 0, down = 0;
            for (int h = h0; h < nhit && hit[h] <= k + w; h++) {
                double t = fabs((double)(k - hit[h])) / (w + 1);
                double v = dq[(size_t)h * nq + a] * 0.5 * (1 + cos(M_PI * t));
                up = fmax(up, v);
                down = fmin(down, v);
            }
            if (up != 0 || down != 0) {
                q[a] += up + down;
                any = 1;
            }
        }
        changed += any;
        if (any && touched)
            touched[k] = 1;
    }
    return changed;
}

/* Where the legs moved (m against q0, the motion before them), the arms
   take every clearance pair out to its margin, their hands where they are:
   a leg lifted toward a hand hanging at the hip pushes the hand aside.
   Every frame whose legs the step changed and where a pair is closer than
   its margin is solved (solving the frames with no pair that close as well
   moved nothing they need and cost 13 % of the procedural walk's
   instructions), and its correction is eased in and out over ARMS_GUARD_S
   as the guard's are (ease_corrections): each frame solved on its own moved
   G1's right wrist 640 rad/s^2 in one frame of its xia walk at 50 fps
   (torque over its limit there), and H1's elbow 106 rad/s^2 on its xia walk
   at 30 fps (docs/retarget.md part 19).  Keeping only the distances
   the pairs had in q0 (lfd_ik_pair_margins_at) left what the earlier steps
   had let close: G1's xia walk at 120 Hz, its right hand 9.7 mm into the
   hip's link between two solved frames (0.0 mm with this); H1's bandai2
   walk at 30 fps, an elbow 7.4 mm into the hip (0.0); G1's sitting clip at
   120 Hz failed on 2 of 5 draws (0 of 5; docs/retarget.md part 14). */
/* which frames arms_clear_frames solves */
typedef enum {
    ARMS_PICK_MOVED_CLOSE, /* changed against q0, a pair closer than its margin */
    ARMS_PICK_INSIDE       /* an arm in the body (arm_inside) */
} arms_pick;
static int arms_clear_frames(const lfd_retargeter *rt, lfd_motion *m, arms_pick pick, const double *q0,
                             uint8_t *touched, const char *what, lfd_err *err);

static int arms_clear_of_legs(const lfd_retargeter *rt, lfd_motion *m, const double *q0, lfd_err *err)
{
    int rc = arms_clear_frames(rt, m, ARMS_PICK_MOVED_CLOSE, q0, NULL, "swing clearance step's arms", err);
    return rc > 0 ? LFD_OK : rc;
}

/* The last step: the main IK's clearance is a soft penalty, and the legs'
   steps after it (the feet step, the dynamics filter's, the swing step) move
   the hips and thighs without looking at the arms, so a frame can end with
   an arm inside the body (H1's xia walk at 30 fps: the left elbow 5.8 mm
   into the hip at frame 65, after its soles were pinned at their roll).
   A frame where a clearance pair of the arms' IK is closer than it may be
   (below zero, or below its margin where the robot's own stance has it
   closer) gets the arms' IK with the pairs' margins, each hand kept where
   it is; the joints' correction is eased in and out over ARMS_GUARD_S on
   either side (a raised cosine; where two overlap the larger one), so the
   arm does not kick out for one frame (the elbow 287 rad/s^2 corrected on
   its frame alone).  A neighbour's eased correction can put an arm into
   the body on a frame that was clear (G1's dance at 30 fps: the left hand
   19.6 mm into the torso at frame 467 after the correction of frame 466 at
   0.95 of its size), so the guard runs again on what it left,
   ARMS_GUARD_PASSES times at most.  Other frames are left as they are.
   Returns the number of frames changed (>= 0) or a negative status. */
static int arms_guard_pass(const lfd_retargeter *rt, lfd_motion *m, uint8_t *touched, lfd_err *err);
static int arms_guard_last(const lfd_retargeter *rt, lfd_motion *m, uint8_t *touched, lfd_err *err);

/* 1 if a clearance pair of the arms' IK (ik, its workspace aws) is closer
   at pose q than it may be: below zero, or below its margin where the
   robot's own stance has it closer, by more than ARMS_GUARD_TOL_M;
   margin: LFD_IK_MAX_PAIRS scratch */
static int arm_inside(const lfd_ik *ik, lfd_ik_ws *aws, const double *q, double *margin)
{
    lfd_ik_pair_margins_at(ik, aws, q, margin);
    for (int i = 0; i < ik->npair; i++)
        if (margin[i] < fmin(0, ik->pairs[i].margin_m) - ARMS_GUARD_TOL_M)
            return 1;
    return 0;
}

int lfd_rt_arms_guard(const lfd_retargeter *rt, lfd_motion *m, lfd_err *err)
{
    uint8_t *touched = calloc((size_t)(m->nframes > 0 ? m->nframes : 1), 1);
    if (!touched)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    int rc = 0;
    for (int pass = 0; pass < ARMS_GUARD_PASSES && (rc = arms_guard_pass(rt, m, touched, err)) > 0; pass++)
        ;
    for (int pass = 0; rc > 0 && pass < ARMS_GUARD_PASSES && (rc = arms_guard_last(rt, m, touched, err)) > 0; pass++)
        ;
    int changed = 0;
    for (int k = 0; k < m->nframes; k++)
        changed += touched[k];
    free(touched);
    return rc < 0 ? rc : changed;
}

/* What the eased passes leave: the corrections of neighbouring frames,
   each eased over ARMS_GUARD_S and combined joint by joint, can leave a
   frame inside where each frame's own solve was clear (H1's bandai2 walk
   slowed 1.4x: the right hand 27-49 mm into the hip at frames 66-67, and
   more passes oscillate).  A frame still inside gets its own correction
   whole, and its neighbours a share falling linearly to zero over
   ARMS_GUARD_LAST_S on either side, added; the hands' weight is cut to
   ARMS_GUARD_HAND_W there, since a hand that is itself in the body cannot
   be held where it is.  Returns the frames it found inside. */
static int arms_guard_last(const lfd_retargeter *rt, lfd_motion *m, uint8_t *touched, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    const lfd_ik *ik = rt->ik_arms;
    int n = m->nframes, w = (int)ceil(ARMS_GUARD_LAST_S * m->fps), nin = 0;
    if (!ik || ik->npair == 0 || n < 1)
        return 0;
    size_t nq = (size_t)r->m->nq;
    lfd_ik_ws *aws = NULL;
    int rc = lfd_ik_ws_new(&aws, ik, err);
    double margin[LFD_IK_MAX_PAIRS];
    double *buf = rc ? NULL : malloc(3 * nq * sizeof(double));
    if (rc == LFD_OK && !buf)
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
    double *q = buf, *qs = buf ? buf + nq : NULL, *c = buf ? buf + 2 * nq : NULL;
    for (int k = 0; rc == LFD_OK && k < n; k++) {
        if (!arm_inside(ik, aws, lfd_motion_frame(m, k), margin))
            continue;
        nin++;
        memcpy(q, lfd_motion_frame(m, k), nq * sizeof(double));
        if (arms_hold_hands_w(rt, aws, q, qs, m->fps, ARMS_GUARD_HAND_W, ARMS_GUARD_LAST_ITERS)) {
            rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: the arms' clearance guard failed (singular step)", k);
            break;
        }
        for (size_t i = 0; i < nq; i++)
            c[i] = q[i] - lfd_motion_frame(m, k)[i];
        for (int f = k - w; f <= k + w; f++) {
            if (f < 0 || f >= n)
                continue;
            double wt = 1 - (double)abs(f - k) / (w + 1);
            double *qf = lfd_motion_frame(m, f);
            for (int j = 0; j < r->njoints; j++) {
                size_t a = (size_t)r->joints[j].qpos_adr;
                qf[a] += wt * c[a];
            }
            if (touched)
                touched[f] = 1;
        }
    }
    if (nin)
        lfd_rt_impose_bounds(r, m);
    free(buf);
    lfd_ik_ws_free(&aws);
    return rc ? rc : nin;
}

/* one pass of the guard: frames changed get touched[k] = 1; returns the
   number of frames it found an arm in the body on (0: none, and m is as it
   came) or a negative status */
static int arms_guard_pass(const lfd_retargeter *rt, lfd_motion *m, uint8_t *touched, lfd_err *err)
{
    return arms_clear_frames(rt, m, ARMS_PICK_INSIDE, NULL, touched, "the arms' clearance guard", err);
}

/* The frames pick chooses (q0: the motion before the step, nframes x nq,
   for ARMS_PICK_MOVED_CLOSE), each given the correction of the arms' IK
   that takes its pairs out holding its hands where they are
   (arms_hold_hands), the corrections eased into their neighbours
   (ease_corrections; frames changed get touched[k] = 1, touched may be
   NULL), then the hard bounds again (a neighbour's correction may pass a
   range or, frame to frame, a velocity bound).  Returns the number of
   frames picked (0: m is as it came) or a negative status; what names the
   step in an error. */
static int arms_clear_frames(const lfd_retargeter *rt, lfd_motion *m, arms_pick pick, const double *q0,
                             uint8_t *touched, const char *what, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    const lfd_ik *ik = rt->ik_arms;
    int n = m->nframes;
    if (!ik || ik->npair == 0 || n < 1)
        return 0;
    size_t nq = (size_t)r->m->nq;
    lfd_ik_ws *aws = NULL;
    int rc = lfd_ik_ws_new(&aws, ik, err);
    double margin[LFD_IK_MAX_PAIRS];
    int *hit = rc ? NULL : malloc((size_t)n * sizeof(int)), nhit = 0;
    if (rc == LFD_OK && !hit)
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int k = 0; rc == LFD_OK && k < n; k++) {
        const double *q = lfd_motion_frame(m, k);
        int take = 0;
        if (pick == ARMS_PICK_INSIDE) {
            take = arm_inside(ik, aws, q, margin);
        } else {
            /* a frame the step did not change, or whose pairs all keep
               their margins, has nothing to clear */
            const double *p0 = q0 + (size_t)k * nq;
            int moved = 0;
            for (size_t i = 0; i < nq && !moved; i++)
                moved = q[i] != p0[i];
            if (moved) {
                int np = lfd_ik_pair_margins_at(ik, aws, q, margin);
                for (int i = 0; i < np && !take; i++)
                    take = margin[i] < ik->pairs[i].margin_m;
            }
        }
        if (take)
            hit[nhit++] = k;
    }
    /* each such frame's correction (its pose after the arms' IK minus before) */
    double *dq = rc || !nhit ? NULL : calloc((size_t)nhit * nq + nq, sizeof(double));
    if (rc == LFD_OK && nhit && !dq)
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
    double *qs = dq ? dq + (size_t)nhit * nq : NULL;
    for (int h = 0; rc == LFD_OK && h < nhit; h++) {
        const double *qk = lfd_motion_frame(m, hit[h]);
        double *q = dq + (size_t)h * nq;
        memcpy(q, qk, nq * sizeof(double));
        if (arms_hold_hands(rt, aws, q, qs, m->fps))
            rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: %s failed (singular step)", hit[h], what);
        for (size_t i = 0; i < nq; i++)
            q[i] -= qk[i];
    }
    if (rc == LFD_OK && nhit && ease_corrections(r, m, hit, nhit, dq, touched))
        lfd_rt_impose_bounds(r, m);
    free(dq);
    free(hit);
    lfd_ik_ws_free(&aws);
    return rc ? rc : nhit;
}

/* the lift each frame of foot side's swing (a, b) needs (lift[2 k + side]) */
static void swing_lifts(const lfd_retargeter *rt, const lfd_rt_clip *c, const lfd_motion *m,
                        legs_scratch *sc, double clear, int side, int a, int b, double *lift)
{
    const lfd_robot *r = rt->r;
    int n = m->nframes;
    /* the foot's pinned frames nearest before and after the swing (the
       other foot may be the only one pinned for a frame between them); the
       clip's first frame pins nothing yet (a pin starts the frame after a
       touch-down), so a swing from it is lifted from there */
    int ia = a, ib = b;
    while (ia > 0 && !c->pinned[2 * ia + side])
        ia--;
    while (ib < n - 1 && !c->pinned[2 * ib + side])
        ib++;
    if (!(c->pinned[2 * ia + side] || ia == 0) || !c->pinned[2 * ib + side])
        return;
    const double *pa = c->limb_t + 12 * ia + 3 * (2 + side), *pb = c->limb_t + 12 * ib + 3 * (2 + side);
    double len = b - a, travel = hypot(pb[0] - pa[0], pb[1] - pa[1]);
    double top = clear * fmin(1, len / (SWING_FULL_S * m->fps)) * fmin(1, travel / SWING_TRAVEL_M);
    mjData *d = lfd_ik_ws_data(sc->ws);
    for (int f = a + 1; f < b; f++) {
        double sn = sin(M_PI * (f - a) / len);
        memcpy(d->qpos, lfd_motion_frame(m, f), (size_t)r->nq * sizeof(double));
        lfd_mj_kinematics_some(r->m, d, sc->feet_on, NULL, 0);
        lift[2 * f + side] = fmax(0, top * sn * sn + foot_depth(r, d, side));
    }
}

/* The swing clearance step (after the feet step, before the floor step).
   A foot swinging between two contact phases (not pinned while the other
   foot is; from its lift-off, or from the clip's first frame, to a landing)
   has its lowest sole corner kept at least want(s) = clear sin^2(pi s)
   above the floor, s its phase in the swing, clear = o.swing_clear_m, less
   in a swing shorter than SWING_FULL_S or one that travels less than
   SWING_TRAVEL_M (a shuffle), none in one shorter than SWING_MIN_S (a
   contact flag flickering off), one that lands in the clip's last
   SWING_MIN_S (its landing cut off) or one through frames that need
   support.
   Why: the whole-clip smoothing caps a swinging leg's acceleration and so
   flattens its knee's bend; the foot it lifted runs along the floor (lfd's
   procedural walk onto G1: the lowest corner 16-44 mm up before the
   smoothing, 0 after it, at up to 3.7 m/s), and a tracking simulation
   trips on it (the check's track_scuff finding; docs/retarget.md part 14).
   On by default (lfd_retarget_opts.swing_clear_m; 0 turns it off).  The
   legs lift each frame's foot by what it lacks, the other foot held where it
   is; the legs' corrections are then smoothed over the clip at
   SWING_CORR_HZ with the frames where the joint's foot is pinned weighted
   SWING_PIN_W, so they neither jump nor reach into a stance. */
int lfd_rt_swing_clear_step(const lfd_retargeter *rt, const lfd_rt_clip *c, lfd_motion *m,
                            double *work, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    int n = m->nframes;
    double clear = rt->opts.swing_clear_m;
    if (!(clear > 0) || !rt->ik_feet || !r->floating || !c || c->n != n || n < 4 || !work)
        return LFD_OK;
    legs_scratch sc;
    double *lift = calloc(2 * (size_t)n, sizeof(double));
    int rc = lift ? legs_scratch_open(rt, m, &sc, err) : lfd_fail(err, LFD_ENOMEM, "out of memory"), any = 0;
    if (rc) {
        free(lift);
        return rc;
    }
    for (int side = 0; side < 2; side++)
        for (int k = 0; k < n; k++) {
            int a, b;
            if (lfd_rt_swing_window(c, side, k, m->fps, &a, &b)) {
                swing_lifts(rt, c, m, &sc, clear, side, a, b, lift);
                k = b;
            }
        }
    mjData *d = lfd_ik_ws_data(sc.ws);
    for (int k = 0; rc == LFD_OK && k < n; k++) {
        if (lift[2 * k] < FLOOR_POLISH_TOL_M && lift[2 * k + 1] < FLOOR_POLISH_TOL_M)
            continue;
        double *q = lfd_motion_frame(m, k);
        memcpy(d->qpos, q, (size_t)r->nq * sizeof(double));
        mj_kinematics(r->m, d);
        double pos[4 * 3] = {0}, quat[4 * 4], pw[4] = {0}, rw[4] = {0};
        feet_here(rt, d, lift + 2 * k, pos, quat, pw, rw);
        memcpy(sc.qs, q, (size_t)r->nq * sizeof(double));
        lfd_ik_frame fr = {pos, quat, pw, rw, sc.qs, 1.0 / m->fps, FEET_POLISH_ITERS, NULL, NULL};
        if (lfd_ik_solve(rt->ik_feet, sc.ws, &fr, q, NULL))
            rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: swing clearance step failed (singular step)", k);
        any = 1;
    }
    if (rc == LFD_OK && any)
        rc = corrections_smooth(r, m, sc.q0, sc.dl, 0, SWING_CORR_HZ, c->pinned, work, err);
    if (rc == LFD_OK && any && rt->ik_arms && rt->ik_arms->npair)
        rc = arms_clear_of_legs(rt, m, sc.q0, err);
    legs_scratch_close(&sc);
    free(lift);
    return rc;
}

int lfd_rt_floor_step(const lfd_retargeter *rt, lfd_motion *m, double *work, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    if (!rt->ik_feet || !r->floating)
        return LFD_OK;
    legs_scratch sc;
    int rc = legs_scratch_open(rt, m, &sc, err);
    lfd_ik_ws *ws = sc.ws;
    double *qs = sc.qs;
    for (int k = 0; rc == LFD_OK && k < m->nframes; k++) {
        double *q = lfd_motion_frame(m, k);
        mjData *d = lfd_ik_ws_data(ws);
        /* the feet's bodies only, for the test; most frames pass it */
        memcpy(d->qpos, q, (size_t)r->nq * sizeof(double));
        lfd_mj_kinematics_some(r->m, d, sc.feet_on, NULL, 0);
        double depth[2] = {foot_depth(r, d, 0), foot_depth(r, d, 1)};
        if (depth[0] < FLOOR_POLISH_TOL_M && depth[1] < FLOOR_POLISH_TOL_M)
            continue;
        /* the whole kinematics for the step: its targets lift by the depths */
        memcpy(d->qpos, q, (size_t)r->nq * sizeof(double));
        mj_kinematics(r->m, d);
        depth[0] = foot_depth(r, d, 0);
        depth[1] = foot_depth(r, d, 1);
        double pos[4 * 3] = {0}, quat[4 * 4], pw[4] = {0}, rw[4] = {0};
        feet_here(rt, d, depth, pos, quat, pw, rw);
        memcpy(qs, q, (size_t)r->nq * sizeof(double));
        lfd_ik_frame fr = {pos, quat, pw, rw, qs, 1.0 / m->fps, FEET_POLISH_ITERS, NULL, NULL};
        if (lfd_ik_solve(rt->ik_feet, ws, &fr, q, NULL))
            rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: floor step failed (singular step)", k);
        /* a leg at the end of its reach cannot lift its foot: the body rises */
        memcpy(d->qpos, q, (size_t)r->nq * sizeof(double));
        mj_kinematics(r->m, d);
        double left = fmax(foot_depth(r, d, 0), foot_depth(r, d, 1));
        if (rc == LFD_OK && left > FLOOR_POLISH_TOL_M) {
            q[2] += left;
            memcpy(qs, q, (size_t)r->nq * sizeof(double));
            if (lfd_ik_solve(rt->ik_feet, ws, &fr, q, NULL))
                rc = lfd_fail(err, LFD_ENUMERIC, "frame %d: floor step failed (singular step)", k);
        }
    }
    /* the corrections smoothed over the clip as the feet step's are: frames
       just under the tolerance are not corrected and their neighbours are,
       so the raw corrections switch on and off from frame to frame, and a
       lift of a few millimetres in one frame is metres per second squared
       at 120 Hz; the root's lift keeps its upper envelope */
    if (rc == LFD_OK && m->nframes >= 4 && work)
        rc = corrections_smooth(r, m, sc.q0, sc.dl, 1, FEET_CORR_HZ, NULL, work, err);
    legs_scratch_close(&sc);
    return rc;
}

/* The human's joint positions and segment frames smoothed over the clip
   (Whittaker, gain 1/2 at cutoff_hz; frames component-wise in one
   hemisphere, renormalised). */
int lfd_rt_smooth_inputs(lfd_rt_clip *c, double cutoff_hz, double fps)
{
    double lambda = lfd_rt_smooth_lambda(cutoff_hz, fps);
    for (int i = 0; i < 3 * LFD_CJ_COUNT; i++)
        if (lfd_rt_smooth_accel(c->cpos + i, c->n, 3 * LFD_CJ_COUNT, NULL, lambda, c->work))
            return LFD_ENUMERIC;
    size_t st = 7 * LFD_SEG_COUNT;
    for (int sg = 0; sg < LFD_SEG_COUNT; sg++) {
        for (int k = 1; k < c->n; k++) {
            double *q = c->seg + k * st + 7 * sg + 3, *p = q - st;
            if (q[0] * p[0] + q[1] * p[1] + q[2] * p[2] + q[3] * p[3] < 0)
                for (int i = 0; i < 4; i++)
                    q[i] = -q[i];
        }
        for (int i = 0; i < 7; i++)
            if (lfd_rt_smooth_accel(c->seg + 7 * sg + i, c->n, st, NULL, lambda, c->work))
                return LFD_ENUMERIC;
        for (int k = 0; k < c->n; k++)
            lfd_quat_normalize(c->seg + k * st + 7 * sg + 3);
    }
    return LFD_OK;
}

/* x (n samples at stride) smoothed by lfd_rt_smooth_accel, then, while a
   second difference is above acc_cap (per frame^2), smoothed again from the
   same samples with the data's weight cut around it (SMOOTH_ACC_CUT per
   round, SMOOTH_ACC_ROUNDS at most): the curve may leave the samples where
   they turn faster than the cap, and only there; never at the frames where
   contact (stride 2, may be NULL) is set, a foot on the floor that the
   leg's joints would move.  work: 6 n doubles. */
static int smooth_capped(double *x, int n, size_t stride, double lambda, double acc_cap,
                         const uint8_t *contact, double *work)
{
    double *raw = work + 4 * n, *w = work + 5 * n;
    for (int k = 0; k < n; k++) {
        raw[k] = x[(size_t)k * stride];
        w[k] = 1;
    }
    int rc = lfd_rt_smooth_accel(x, n, stride, NULL, lambda, work);
    for (int round = 0; rc == LFD_OK && round < SMOOTH_ACC_ROUNDS; round++) {
        int over = 0;
        for (int k = 1; k + 1 < n; k++) {
            double a = x[(size_t)(k + 1) * stride] - 2 * x[(size_t)k * stride] +
                       x[(size_t)(k - 1) * stride];
            if (fabs(a) > acc_cap) {
                over = 1;
                for (int i = k - 1; i <= k + 1; i++)
                    if (!contact || !contact[2 * i])
                        w[i] = fmax(SMOOTH_ACC_WMIN, w[i] * SMOOTH_ACC_CUT);
            }
        }
        if (!over)
            break;
        for (int k = 0; k < n; k++)
            x[(size_t)k * stride] = raw[k];
        rc = lfd_rt_smooth_accel(x, n, stride, w, lambda, work);
    }
    return rc;
}

/* the human's contact flags (stride 2) of the foot whose leg moves qpos
   channel ch; NULL for the other channels */
static const uint8_t *contact_of(const lfd_robot *r, const lfd_rt_clip *c, int ch)
{
    if (!c)
        return NULL;
    for (int j = 0; j < r->njoints; j++)
        if (r->joints[j].qpos_adr == ch)
            return c->leg_side[j] >= 0 ? c->contact + c->leg_side[j] : NULL;
    return NULL;
}

/* a floating root's quaternion turned, frame by frame, into the hemisphere
   of the frame before (q and -q are the same turn), so that its components
   can be smoothed or splined */
static void root_one_hemisphere(const lfd_robot *r, lfd_motion *m)
{
    if (!r->floating)
        return;
    for (int k = 1; k < m->nframes; k++) {
        double *q = lfd_motion_frame(m, k) + 3, *p = lfd_motion_frame(m, k - 1) + 3;
        if (q[0] * p[0] + q[1] * p[1] + q[2] * p[2] + q[3] * p[3] < 0)
            for (int i = 0; i < 4; i++)
                q[i] = -q[i];
    }
}

/* Smooths the motion over the clip: Whittaker (acceleration-penalised
   least squares, gain 1/2 at cutoff_hz) on the root position and every
   joint, the root quaternion component-wise in one hemisphere and
   renormalised; with c, a leg's joints by smooth_capped while its foot is
   off the floor (c->contact, c->leg_side).  Then the hard bounds again: each joint inside its range
   and, frame to frame, inside its velocity limit (issue 21: a filter must
   not break the limits it calls hard). */
int lfd_rt_smooth_motion(const lfd_robot *r, const lfd_rt_clip *c, lfd_motion *m, double cutoff_hz,
                         double *work)
{
    int n = m->nframes;
    double fps = m->fps, lambda = lfd_rt_smooth_lambda(cutoff_hz, fps);
    size_t nq = (size_t)m->nq;
    root_one_hemisphere(r, m);
    for (int ch = 0; ch < m->nq; ch++) {
        /* a channel held constant (upper-body mode's legs) stays exactly so */
        int moves = 0;
        for (int k = 1; k < n && !moves; k++)
            moves = m->qpos[(size_t)k * nq + ch] != m->qpos[ch];
        if (!moves)
            continue;
        const uint8_t *cf = contact_of(r, c, ch);
        int rc = !cf ? lfd_rt_smooth_accel(m->qpos + ch, n, nq, NULL, lambda, work)
                     : smooth_capped(m->qpos + ch, n, nq, lambda, SMOOTH_ACC_CAP_RAD_S2 / (fps * fps),
                                     cf, work);
        if (rc)
            return rc;
    }
    if (r->floating)
        for (int k = 0; k < n; k++)
            lfd_quat_normalize(lfd_motion_frame(m, k) + 3);
    lfd_rt_impose_bounds(r, m);
    return LFD_OK;
}

/* One channel x (n knots, stride sx, n >= 2) at knot spacing 1 through a
   natural cubic spline (C2: second derivatives solved by the tridiagonal
   system M[i-1] + 4 M[i] + M[i+1] = 6 (x[i-1] - 2 x[i] + x[i+1]),
   M[0] = M[n-1] = 0), evaluated at u = j / k for j < nout into y (stride
   sy); u past the last knot holds it.  work: 2 n doubles. */
void lfd_rt_spline_up(const double *x, int n, size_t sx, int k, double *y, int nout, size_t sy,
                      double *work)
{
    double *M = work, *cp = work + n;
    M[0] = M[n - 1] = 0;
    /* Thomas on the interior unknowns 1 .. n-2 (diagonal 4, off-diagonals 1) */
    cp[0] = 0;
    for (int i = 1; i + 1 < n; i++) {
        double rhs = 6 * (x[(size_t)(i - 1) * sx] - 2 * x[(size_t)i * sx] + x[(size_t)(i + 1) * sx]);
        double den = 4 - cp[i - 1];
        cp[i] = 1 / den;
        M[i] = (rhs - M[i - 1]) / den; /* M[0] = 0 */
    }
    for (int i = n - 3; i >= 1; i--)
        M[i] -= cp[i] * M[i + 1];
    for (int j = 0; j < nout; j++) {
        int i = j / k;
        if (i >= n - 1) {
            y[(size_t)j * sy] = x[(size_t)(n - 1) * sx];
            continue;
        }
        double u = (double)(j - i * k) / k, v = 1 - u;
        y[(size_t)j * sy] = v * x[(size_t)i * sx] + u * x[(size_t)(i + 1) * sx] +
                            ((v * v * v - v) * M[i] + (u * u * u - u) * M[i + 1]) / 6;
    }
}

/* The motion solved on every k-th frame (ms, knots at frames 0, k, 2k, ...)
   at the output rate: every qpos channel through a natural cubic spline
   (lfd_rt_spline_up), the root quaternion component-wise in one hemisphere
   and renormalised, then the joints' hard bounds again.  work: 2 ms->nframes. */
void lfd_rt_upsample_motion(const lfd_robot *r, lfd_motion *ms, int k, lfd_motion *m, double *work)
{
    size_t nq = (size_t)m->nq;
    int n = ms->nframes;
    root_one_hemisphere(r, ms);
    for (size_t ch = 0; ch < nq; ch++)
        lfd_rt_spline_up(ms->qpos + ch, n, nq, k, m->qpos + ch, m->nframes, nq, work);
    if (r->floating)
        for (int j = 0; j < m->nframes; j++)
            lfd_quat_normalize(lfd_motion_frame(m, j) + 3);
    lfd_rt_impose_bounds(r, m);
}
