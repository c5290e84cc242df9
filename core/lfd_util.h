/*  lfd_util: the small helpers every layer uses (MuJoCo keeps the like in
    engine_util_*): small dense solves, comparisons and checks over arrays,
    strings, the clock, the one length of a name, and the arena that carves
    a workspace's arrays out of one block.

    Pure functions without state; nothing here allocates but
    lfd_arena_alloc, the block of a workspace.  One copy here instead of one
    per file, so a fix reaches every caller.
*/
#ifndef LFD_UTIL_H
#define LFD_UTIL_H

#include <stddef.h>
#include <stdio.h>
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

/* The k-th smallest of v[0..n) (k < n, no NaN), found by selection in
   O(n) on average: v is reordered so that v[k] holds it, nothing before k
   is larger and nothing after it smaller. */
double lfd_util_select(double *v, size_t n, size_t k);

/* 1 if all n values are finite (no NaN, no infinity). */
int lfd_util_all_finite(const double *v, int n);

/* Moves the finite values of v[0..n) to its front, in ascending order, and
   returns how many there are (the rest of v is left as it was). */
int lfd_util_sort_finite(double *v, int n);

/* Median of the finite values of v[0..n) (the mean of the middle two for
   an even count); sorts v as lfd_util_sort_finite.  NAN if none. */
double lfd_util_median_finite(double *v, int n);

/* Distance from the point p to the segment a-b in the plane (to a when the
   segment has no length). */
double lfd_util_seg_dist2d(const double p[2], const double a[2], const double b[2]);

/* ---- strings ---------------------------------------------------------------------------- */

/* 1 if s ends with suffix (case-sensitive). */
int lfd_util_has_suffix(const char *s, const char *suffix);

/* The length (1-4) of the well-formed UTF-8 character at s, n bytes left;
   0 where s does not start one (a stray or cut byte, an overlong form, a
   UTF-16 surrogate ED A0-BF .., or a code point beyond U+10FFFF: RFC 3629). */
size_t lfd_util_utf8_len(const unsigned char *s, size_t n);
/* Writes s as XML/HTML text (element content or a quoted attribute): & < > ' "
   as entities, control bytes as a space, invalid UTF-8 as U+FFFD; sep (when
   not 0) is written as sep_as instead.  NULL writes nothing. */
void lfd_util_xml_text(FILE *fp, const char *s, char sep, const char *sep_as);

/* ---- one block for a workspace's arrays (MuJoCo's arena) -------------------------------- */

/* A workspace with many arrays takes one block and one free, as mjData
   does.  Its constructor lays the arrays out twice with one function:

       lfd_arena a = {0};
       layout(&a, &tmp);                  sizing pass: pointers NULL, a.used grows
       if (!lfd_arena_alloc(&a))          one zeroed block of that size
           return lfd_fail(err, LFD_ENOMEM, ...);
       ws = layout(&a, &tmp);             carving pass: pointers into the block;
       *ws = tmp;                         the struct itself heads it
       ... free(ws) frees every array

   layout() calls lfd_arena_take once per array, in the same order both
   times, the struct first. */
#define LFD_ARENA_ALIGN 64 /* every array starts on a cache line */

typedef struct lfd_arena {
    unsigned char *base; /* NULL in the sizing pass */
    size_t used, cap;    /* bytes taken so far; size of base */
    int overflow;        /* a size did not fit in size_t, or base ran out */
} lfd_arena;

/* The next n elements of elem bytes, aligned to LFD_ARENA_ALIGN: a pointer
   into base, or NULL in the sizing pass (base NULL) or when the request
   overflows (then a->overflow is set; lfd_arena_bytes is 0 after that). */
void *lfd_arena_take(lfd_arena *a, size_t n, size_t elem);

/* Bytes the sizing pass took, rounded up to LFD_ARENA_ALIGN (a valid
   aligned_alloc size, at least LFD_ARENA_ALIGN); 0 after an overflow. */
size_t lfd_arena_bytes(const lfd_arena *a);

/* Starts the carving pass on block (lfd_arena_bytes(a) bytes, aligned to
   LFD_ARENA_ALIGN), which it zeroes. */
void lfd_arena_start(lfd_arena *a, void *block);

/* After the sizing pass: allocates the block (aligned_alloc) and starts the
   carving pass on it.  Returns the block, which the caller frees with
   free(), or NULL (out of memory, or the sizing pass overflowed). */
void *lfd_arena_alloc(lfd_arena *a);

/* ---- the clock --------------------------------------------------------------------------- */

/* Monotonic clock in seconds and nanoseconds (CLOCK_MONOTONIC). */
double lfd_now_s(void);
int64_t lfd_now_ns(void);

#endif
