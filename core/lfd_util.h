/*  lfd_util: the small helpers every layer uses (MuJoCo keeps the like in
    engine_util_*): small dense solves, comparisons and checks over arrays,
    strings, the clock and the one length of a name.

    Pure functions without state; nothing here allocates.  One copy here
    instead of one per file, so a fix reaches every caller.
*/
#ifndef LFD_UTIL_H
#define LFD_UTIL_H

#include <stdint.h>

/* Longest robot, joint, body, policy or observation name, with its NUL. */
#define LFD_NAME_MAX 64

/* ---- small dense solves (row-major n x n, in place) ------------------------------- */

/* Cholesky factorisation A = L L' of a symmetric positive definite matrix:
   the lower triangle of A is read and overwritten with L (the upper one is
   left alone).  Returns 0, or -1 if a pivot is not positive (A is not
   positive definite). */
int lfd_util_chol_factor(double *A, int n);

/* Solves L L' x = b in place (b becomes x), L from lfd_util_chol_factor. */
void lfd_util_chol_solve(const double *L, int n, double *b);

/* Solves the general system A x = b in place by Gaussian elimination with
   partial pivoting (A is overwritten, b becomes x).  Returns 0, or -1 if a
   pivot is below 1e-12 in magnitude (A singular or nearly so; b is then
   partly overwritten). */
int lfd_util_lu_solve(double *A, double *b, int n);

/* ---- arrays ---------------------------------------------------------------------------- */

/* qsort comparator for doubles, ascending (NaN compares equal to all). */
int lfd_util_cmp_double(const void *a, const void *b);

/* 1 if all n values are finite (no NaN, no infinity). */
int lfd_util_all_finite(const double *v, int n);

/* ---- strings ---------------------------------------------------------------------------- */

/* 1 if s ends with suffix (case-sensitive). */
int lfd_util_has_suffix(const char *s, const char *suffix);

/* ---- the clock --------------------------------------------------------------------------- */

/* Monotonic clock in seconds and nanoseconds (CLOCK_MONOTONIC). */
double lfd_now_s(void);
int64_t lfd_now_ns(void);

#endif
