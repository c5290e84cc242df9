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
