/*  lfd_boxqp: small dense box-constrained quadratic programs.

        minimise  0.5 x'H x + g'x   subject to  lo <= x <= hi

    H symmetric positive definite (n up to a few hundred; lfd uses it with
    n = the robot's degrees of freedom, 20-40).  The solver is a projected
    Newton method (Bertsekas, "Projected Newton methods for optimization
    problems with simple constraints", SIAM J. Control Optim. 20(2), 1982):
    each iteration fixes the variables at a bound whose gradient pushes
    outward, takes the Newton step on the rest (Cholesky of the free block)
    and a projected Armijo line search.  Warm starts from x.  No allocation:
    the caller passes a workspace of lfd_boxqp_ws_doubles(n) doubles.
    Infinite bounds are allowed (unconstrained variables).
*/
#ifndef LFD_BOXQP_H
#define LFD_BOXQP_H

#include <stddef.h>

typedef struct lfd_boxqp_result {
    int iterations;
    int nfree;       /* variables not at a bound at the solution */
    double f;        /* objective at the solution */
    int converged;   /* 1 if the projected gradient fell below tol */
} lfd_boxqp_result;

size_t lfd_boxqp_ws_doubles(int n);

/* Solves in place: x holds the warm start on entry (clamped into the box)
   and the solution on exit.  H is row-major n x n and is not modified.
   Returns 0; or -1, x untouched, if some lo[i] <= hi[i] fails (an empty box,
   or a NaN bound); or -1 if H is not positive definite on the free set. */
int lfd_boxqp_solve(int n, const double *H, const double *g, const double *lo, const double *hi,
                    double *x, int max_iter, double tol, double *ws, lfd_boxqp_result *res);

#endif
