/*  lfd_boxqp: projected Newton for box-constrained QPs (see lfd_boxqp.h). */
#include "core/lfd_boxqp.h"

#include <math.h>
#include <string.h>

#include "core/lfd_util.h"

size_t lfd_boxqp_ws_doubles(int n) { return (size_t)n * (size_t)n + 5 * (size_t)n; }

static double objective(int n, const double *H, const double *g, const double *x)
{
    double f = 0;
    for (int i = 0; i < n; i++) {
        const double *Hi = H + (size_t)i * (size_t)n;
        double hx = 0;
        for (int j = 0; j < n; j++)
            hx += Hi[j] * x[j];
        f += x[i] * (0.5 * hx + g[i]);
    }
    return f;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

int lfd_boxqp_solve(int n, const double *H, const double *g, const double *lo, const double *hi,
                    double *x, int max_iter, double tol, double *ws, lfd_boxqp_result *res)
{
    double *L = ws;                       /* n*n: Cholesky of the free block */
    double *grad = L + (size_t)n * (size_t)n;
    double *d = grad + n;
    double *xn = d + n;
    double *freeg = xn + n;
    int *fidx = (int *)(freeg + n);       /* n ints fit in n doubles */
    lfd_boxqp_result r = {0, 0, 0, 0};
    for (int i = 0; i < n; i++)
        x[i] = clampd(x[i], lo[i], hi[i]);
    double f = objective(n, H, g, x);
    for (r.iterations = 0; r.iterations < max_iter; r.iterations++) {
        /* gradient, and the free set: variables not pushed against a bound */
        int nf = 0;
        double pg = 0;
        for (int i = 0; i < n; i++) {
            const double *Hi = H + (size_t)i * (size_t)n;
            double s = g[i];
            for (int j = 0; j < n; j++)
                s += Hi[j] * x[j];
            grad[i] = s;
            int at_lo = x[i] <= lo[i] && s > 0, at_hi = x[i] >= hi[i] && s < 0;
            if (!at_lo && !at_hi) {
                fidx[nf++] = i;
                pg = fmax(pg, fabs(s));
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
        /* projected Armijo line search along the Newton direction */
        double alpha = 1, fn = f;
        int accepted = 0;
        for (int ls = 0; ls < 30; ls++, alpha *= 0.5) {
            double decrease = 0;
            for (int i = 0; i < n; i++) {
                xn[i] = clampd(x[i] + alpha * d[i], lo[i], hi[i]);
                decrease += grad[i] * (xn[i] - x[i]);
            }
            fn = objective(n, H, g, xn);
            if (fn <= f + 1e-4 * decrease) {
                accepted = 1;
                break;
            }
        }
        if (!accepted)
            break; /* no descent left at machine precision */
        double step = 0;
        for (int i = 0; i < n; i++) {
            step = fmax(step, fabs(xn[i] - x[i]));
            x[i] = xn[i];
        }
        f = fn;
        if (step < 1e-15)
            break;
    }
    r.f = f;
    if (res)
        *res = r;
    return 0;
}
