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
*/
#include "retarget/lfd_retarget_int.h"

#include <math.h>
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
    for (int k = 1; k + 1 < n; k++) {
        const int idx[3] = {k - 1, k, k + 1};
        const double c[3] = {1, -2, 1};
        for (int u = 0; u < 3; u++)
            for (int v = u; v < 3; v++) {
                double val = lambda * c[u] * c[v];
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

static int cmp_pt(const void *a, const void *b)
{
    const double *p = a, *q = b;
    return p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : p[1] < q[1] ? -1 : p[1] > q[1];
}

int lfd_rt_hull2(double *pts, int n)
{
    /* Andrew's monotone chain, counter-clockwise, into pts */
    if (n < 3)
        return n;
    double tmp[2 * 2 * LFD_RT_MAX_SUPPORT + 2];
    qsort(pts, (size_t)n, 2 * sizeof(double), cmp_pt);
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

double lfd_rt_poly_depth(const double *hull, int nh, const double p[2])
{
    /* signed distance to the boundary: > 0 inside (the nearest edge's line) */
    if (nh < 3)
        return -INFINITY;
    double depth = INFINITY;
    for (int i = 0; i < nh; i++) {
        const double *a = hull + 2 * i, *b = hull + 2 * ((i + 1) % nh);
        double ex = b[0] - a[0], ey = b[1] - a[1], len = hypot(ex, ey);
        if (len < 1e-12)
            continue;
        depth = fmin(depth, (ex * (p[1] - a[1]) - ey * (p[0] - a[0])) / len);
    }
    return depth;
}

void lfd_rt_poly_pull_in(const double *hull, int nh, double margin, const double p[2], double out[2])
{
    out[0] = p[0];
    out[1] = p[1];
    if (nh < 3 || lfd_rt_poly_depth(hull, nh, p) >= margin)
        return;
    /* the centroid, then the point of the segment centroid -> p at depth margin (bisection) */
    double c[2] = {0, 0};
    for (int i = 0; i < nh; i++) {
        c[0] += hull[2 * i] / nh;
        c[1] += hull[2 * i + 1] / nh;
    }
    double m = fmin(margin, 0.5 * lfd_rt_poly_depth(hull, nh, c));
    double lo = 0, hi = 1;
    for (int it = 0; it < 30; it++) {
        double t = 0.5 * (lo + hi), q[2] = {c[0] + t * (p[0] - c[0]), c[1] + t * (p[1] - c[1])};
        if (lfd_rt_poly_depth(hull, nh, q) >= m)
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
