/*  lfd_boxqp: projected Newton for box-constrained QPs (see lfd_boxqp.h). */
#include "core/lfd_boxqp.h"

#include <math.h>
#include <string.h>

#include "core/lfd_v2d.h"

size_t lfd_boxqp_ws_doubles(int n) { return (size_t)n * (size_t)n + 7 * (size_t)n; }

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }


/*  The Cholesky factor L of the free block, H's entries (fidx[i], fidx[j]),
    stored by columns: C[j nf + i] is L's entry (i, j), i >= j.  The
    operations are lfd_util_chol_factor's on a copy of the block's lower
    triangle, each entry's sum in the same order, so L is the same to the
    bit; here a column's entries below the diagonal are side by side and are
    formed eight, four, two at a time (lfd_v2d), straight from H, and each
    diagonal entry's sum of squares is kept in sd (nf doubles) as the
    columns before it are formed (its terms in the same order).  Returns -1
    when a pivot is not positive. */
static int chol_factor_cols(const double *H, int n, const int *fidx, int nf, double *C, double *sd)
{
    size_t N = (size_t)nf, sn = (size_t)n;
    for (int i = 0; i < nf; i++)
        sd[i] = H[(size_t)fidx[i] * sn + (size_t)fidx[i]];
    for (int j = 0; j < nf; j++) {
        double *Cj = C + (size_t)j * N;
        const double *Hj = H + fidx[j]; /* Hj[r n]: H's entry (r, fidx[j]) */
        double s = sd[j];
        if (!(s > 0))
            return -1;
        double dj = sqrt(s);
        Cj[j] = dj;
        lfd_v2d dv = {dj, dj};
        int i = j + 1;
        for (; i + 7 < nf; i += 8) {
            const int *f = fidx + i;
            lfd_v2d t0 = {Hj[(size_t)f[0] * sn], Hj[(size_t)f[1] * sn]};
            lfd_v2d t1 = {Hj[(size_t)f[2] * sn], Hj[(size_t)f[3] * sn]};
            lfd_v2d t2 = {Hj[(size_t)f[4] * sn], Hj[(size_t)f[5] * sn]};
            lfd_v2d t3 = {Hj[(size_t)f[6] * sn], Hj[(size_t)f[7] * sn]};
            const double *Ck = C;
            for (int k = 0; k < j; k++, Ck += N) {
                lfd_v2d b = {Ck[j], Ck[j]};
                t0 -= lfd_v2_load(Ck + i) * b;
                t1 -= lfd_v2_load(Ck + i + 2) * b;
                t2 -= lfd_v2_load(Ck + i + 4) * b;
                t3 -= lfd_v2_load(Ck + i + 6) * b;
            }
            t0 /= dv, t1 /= dv, t2 /= dv, t3 /= dv;
            lfd_v2_store(Cj + i, t0);
            lfd_v2_store(Cj + i + 2, t1);
            lfd_v2_store(Cj + i + 4, t2);
            lfd_v2_store(Cj + i + 6, t3);
            lfd_v2_store(sd + i, lfd_v2_load(sd + i) - t0 * t0);
            lfd_v2_store(sd + i + 2, lfd_v2_load(sd + i + 2) - t1 * t1);
            lfd_v2_store(sd + i + 4, lfd_v2_load(sd + i + 4) - t2 * t2);
            lfd_v2_store(sd + i + 6, lfd_v2_load(sd + i + 6) - t3 * t3);
        }
        for (; i + 3 < nf; i += 4) {
            const int *f = fidx + i;
            lfd_v2d t0 = {Hj[(size_t)f[0] * sn], Hj[(size_t)f[1] * sn]};
            lfd_v2d t1 = {Hj[(size_t)f[2] * sn], Hj[(size_t)f[3] * sn]};
            const double *Ck = C;
            for (int k = 0; k < j; k++, Ck += N) {
                lfd_v2d b = {Ck[j], Ck[j]};
                t0 -= lfd_v2_load(Ck + i) * b;
                t1 -= lfd_v2_load(Ck + i + 2) * b;
            }
            t0 /= dv, t1 /= dv;
            lfd_v2_store(Cj + i, t0);
            lfd_v2_store(Cj + i + 2, t1);
            lfd_v2_store(sd + i, lfd_v2_load(sd + i) - t0 * t0);
            lfd_v2_store(sd + i + 2, lfd_v2_load(sd + i + 2) - t1 * t1);
        }
        for (; i + 1 < nf; i += 2) {
            lfd_v2d t0 = {Hj[(size_t)fidx[i] * sn], Hj[(size_t)fidx[i + 1] * sn]};
            const double *Ck = C;
            for (int k = 0; k < j; k++, Ck += N) {
                lfd_v2d b = {Ck[j], Ck[j]};
                t0 -= lfd_v2_load(Ck + i) * b;
            }
            t0 /= dv;
            lfd_v2_store(Cj + i, t0);
            lfd_v2_store(sd + i, lfd_v2_load(sd + i) - t0 * t0);
        }
        if (i < nf) {
            double t = Hj[(size_t)fidx[i] * sn];
            const double *Ck = C;
            for (int k = 0; k < j; k++, Ck += N)
                t -= Ck[i] * Ck[j];
            t /= dj;
            Cj[i] = t;
            sd[i] -= t * t;
        }
    }
    return 0;
}

/* L L' x = b in place, L from chol_factor_cols; the forward sweep by
   columns (each entry of b takes its terms in the same order as by rows) */
static void chol_solve_cols(const double *C, int nf, double *b)
{
    size_t N = (size_t)nf;
    for (int k = 0; k < nf; k++) {
        const double *Ck = C + (size_t)k * N;
        double y = b[k] / Ck[k];
        b[k] = y;
        lfd_v2d yv = {y, y};
        int i = k + 1;
        for (; i + 1 < nf; i += 2)
            lfd_v2_store(b + i, lfd_v2_load(b + i) - lfd_v2_load(Ck + i) * yv);
        if (i < nf)
            b[i] -= Ck[i] * y;
    }
    for (int i = nf - 1; i >= 0; i--) {
        const double *Ci = C + (size_t)i * N;
        double s = b[i];
        for (int k = i + 1; k < nf; k++)
            s -= Ci[k] * b[k];
        b[i] = s / Ci[i];
    }
}

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
    double *L = ws;                       /* n*n: Cholesky of the free block (chol_factor_cols) */
    double *grad = L + (size_t)n * (size_t)n;
    double *d = grad + n;
    double *xn = d + n;
    double *freeg = xn + n;
    double *Hd = freeg + n;
    int *fidx = (int *)(Hd + n);          /* n ints fit in n doubles */
    int *cl = (int *)(Hd + 2 * (size_t)n);
    lfd_boxqp_result r = {0, 0, 0, 0};
    /* an empty box (lo > hi) or a NaN bound has no solution: clamping into it
       left x outside the box, and the result was reported as success */
    for (int i = 0; i < n; i++)
        if (!(lo[i] <= hi[i])) {
            if (res)
                *res = r;
            return -1;
        }
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
        for (int a = 0; a < nf; a++)
            freeg[a] = -grad[fidx[a]];
        if (chol_factor_cols(H, n, fidx, nf, L, Hd)) /* Hd: scratch until formed below */
            return -1;
        chol_solve_cols(L, nf, freeg);
        memset(d, 0, (size_t)n * sizeof *d);
        for (int a = 0; a < nf; a++)
            d[fidx[a]] = freeg[a];
        /* Hd, four rows at a time (each row's sum in order) */
        int i = 0;
        for (; i + 3 < n; i += 4) {
            const double *H0 = H + (size_t)i * (size_t)n, *H1 = H0 + n, *H2 = H1 + n, *H3 = H2 + n;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int a = 0; a < nf; a++) {
                int c = fidx[a];
                double fa = freeg[a];
                s0 += H0[c] * fa;
                s1 += H1[c] * fa;
                s2 += H2[c] * fa;
                s3 += H3[c] * fa;
            }
            Hd[i] = s0, Hd[i + 1] = s1, Hd[i + 2] = s2, Hd[i + 3] = s3;
        }
        for (; i < n; i++) {
            const double *Hi = H + (size_t)i * (size_t)n;
            double s = 0;
            for (int a = 0; a < nf; a++)
                s += Hi[fidx[a]] * freeg[a];
            Hd[i] = s;
        }
        double gd = 0, dHd = 0;
        for (i = 0; i < n; i++) {
            gd += grad[i] * d[i];
            dHd += d[i] * Hd[i];
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
