/*  lfd_boxqp: projected Newton for box-constrained QPs (see lfd_boxqp.h). */
#include "core/lfd_boxqp.h"

#include <math.h>
#include <string.h>

#include "core/lfd_util.h"

size_t lfd_boxqp_ws_doubles(int n) { return (size_t)n * (size_t)n + 7 * (size_t)n; }

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* grad = H x + g, and f = 0.5 x'H x + g'x from it: one pass over H. */
static double gradient(int n, const double *H, const double *g, const double *x, double *grad)
{
    double f = 0;
    for (int i = 0; i < n; i++) {
        const double *Hi = H + (size_t)i * (size_t)n;
        double hx = 0;
        for (int j = 0; j < n; j++)
            hx += Hi[j] * x[j];
        grad[i] = hx + g[i];
        f += x[i] * (0.5 * hx + g[i]);
    }
    return f;
}

/*  The line search prices a trial point without a pass over H.  With
    delta = xn - x = alpha d + c, where c is non-zero only where the box
    clipped the step (ncl indices in cl), the quadratic gives exactly

        f(xn) = f + grad'delta + 0.5 (alpha^2 d'Hd + 2 alpha c'Hd + c'Hc)

    using Hd = H d, formed once per iteration (d is non-zero on the free set
    only).  A trial costs O(n + ncl^2) instead of O(n^2); the gradient moves
    by H delta = alpha Hd + H c the same way.  */
int lfd_boxqp_solve(int n, const double *H, const double *g, const double *lo, const double *hi,
                    double *x, int max_iter, double tol, double *ws, lfd_boxqp_result *res)
{
    double *L = ws;                       /* n*n: Cholesky of the free block */
    double *grad = L + (size_t)n * (size_t)n;
    double *d = grad + n;
    double *xn = d + n;
    double *freeg = xn + n;
    double *Hd = freeg + n;
    int *fidx = (int *)(Hd + n);          /* n ints fit in n doubles */
    int *cl = (int *)(Hd + 2 * (size_t)n);
    lfd_boxqp_result r = {0, 0, 0, 0};
    int zero = 1;
    for (int i = 0; i < n; i++) {
        x[i] = clampd(x[i], lo[i], hi[i]);
        zero &= x[i] == 0;
    }
    double f = 0;
    if (zero) /* the usual start (an IK step from where it is): grad = g, f = 0, as H x would give */
        for (int i = 0; i < n; i++)
            grad[i] = 0.0 + g[i];
    else
        f = gradient(n, H, g, x, grad);
    for (r.iterations = 0; r.iterations < max_iter; r.iterations++) {
        /* the free set: variables not pushed against a bound */
        int nf = 0;
        double pg = 0;
        for (int i = 0; i < n; i++) {
            double s = grad[i];
            int at_lo = x[i] <= lo[i] && s > 0, at_hi = x[i] >= hi[i] && s < 0;
            if (!at_lo && !at_hi) {
                fidx[nf++] = i;
                double as = fabs(s);
                pg = as > pg ? as : pg; /* fmax without its call (as >= 0) */
            }
        }
        r.nfree = nf;
        if (pg < tol) {
            r.converged = 1;
            break;
        }
        /* Newton step on the free block: H_FF d_F = -grad_F */
        for (int a = 0; a < nf; a++) {
            const double *Hi = H + (size_t)fidx[a] * (size_t)n;
            for (int b = 0; b <= a; b++)
                L[(size_t)a * (size_t)nf + (size_t)b] = Hi[fidx[b]];
            freeg[a] = -grad[fidx[a]];
        }
        if (lfd_util_chol_factor(L, nf))
            return -1;
        lfd_util_chol_solve(L, nf, freeg);
        memset(d, 0, (size_t)n * sizeof *d);
        for (int a = 0; a < nf; a++)
            d[fidx[a]] = freeg[a];
        double gd = 0, dHd = 0;
        for (int i = 0; i < n; i++) {
            const double *Hi = H + (size_t)i * (size_t)n;
            double s = 0;
            for (int a = 0; a < nf; a++)
                s += Hi[fidx[a]] * freeg[a];
            Hd[i] = s;
            gd += grad[i] * d[i];
            dHd += d[i] * s;
        }
        /* projected Armijo line search along the Newton direction */
        double alpha = 1, fn = f;
        int accepted = 0, ncl = 0;
        for (int ls = 0; ls < 30; ls++, alpha *= 0.5) {
            double decrease = 0, cHd = 0, cHc = 0;
            ncl = 0;
            for (int a = 0; a < nf; a++) {
                int i = fidx[a];
                double t = x[i] + alpha * d[i];
                xn[i] = clampd(t, lo[i], hi[i]);
                if (xn[i] != t)
                    cl[ncl++] = i;
            }
            for (int k = 0; k < ncl; k++) {
                int i = cl[k];
                double ci = (xn[i] - x[i]) - alpha * d[i];
                const double *Hi = H + (size_t)i * (size_t)n;
                cHd += ci * Hd[i];
                for (int m = 0; m < ncl; m++) {
                    int j = cl[m];
                    cHc += ci * Hi[j] * ((xn[j] - x[j]) - alpha * d[j]);
                }
                decrease += grad[i] * ci;
            }
            decrease += alpha * gd;
            fn = f + decrease + 0.5 * (alpha * alpha * dHd + 2 * alpha * cHd + cHc);
            if (fn <= f + 1e-4 * decrease) {
                accepted = 1;
                break;
            }
        }
        if (!accepted)
            break; /* no descent left at machine precision */
        double step = 0;
        for (int a = 0; a < nf; a++) {
            int i = fidx[a];
            double dx = fabs(xn[i] - x[i]);
            step = dx > step ? dx : step;
        }
        /* grad += H delta = alpha Hd + H c */
        for (int i = 0; i < n; i++)
            grad[i] += alpha * Hd[i];
        for (int k = 0; k < ncl; k++) {
            int j = cl[k];
            double cj = (xn[j] - x[j]) - alpha * d[j];
            for (int i = 0; i < n; i++)
                grad[i] += H[(size_t)i * (size_t)n + (size_t)j] * cj;
        }
        for (int a = 0; a < nf; a++)
            x[fidx[a]] = xn[fidx[a]];
        f = fn;
        if (step < 1e-15)
            break;
    }
    r.f = f;
    if (res)
        *res = r;
    return 0;
}
