/*  lfd_util: small helpers of every layer (see lfd_util.h). */
#include "core/lfd_util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small dense solves ---------------------------------------------------------------- */
int lfd_util_chol_factor(double *A, int n)
{
    for (int j = 0; j < n; j++) {
        double *Aj = A + (size_t)j * (size_t)n;
        double s = Aj[j];
        for (int k = 0; k < j; k++)
            s -= Aj[k] * Aj[k];
        if (!(s > 0))
            return -1;
        double d = sqrt(s);
        Aj[j] = d;
        /* two rows at a time: each sum in the same order, two chains of
           additions in flight instead of one */
        int i = j + 1;
        for (; i + 1 < n; i += 2) {
            double *Ai = A + (size_t)i * (size_t)n, *Ai1 = Ai + n;
            double t = Ai[j], t1 = Ai1[j];
            for (int k = 0; k < j; k++) {
                t -= Ai[k] * Aj[k];
                t1 -= Ai1[k] * Aj[k];
            }
            Ai[j] = t / d;
            Ai1[j] = t1 / d;
        }
        if (i < n) {
            double *Ai = A + (size_t)i * (size_t)n;
            double t = Ai[j];
            for (int k = 0; k < j; k++)
                t -= Ai[k] * Aj[k];
            Ai[j] = t / d;
        }
    }
    return 0;
}

void lfd_util_chol_solve(const double *L, int n, double *b)
{
    /* forward: L y = b */
    for (int i = 0; i < n; i++) {
        const double *Li = L + (size_t)i * (size_t)n;
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= Li[k] * b[k];
        b[i] = s / Li[i];
    }
    /* backward: L' x = y */
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < n; k++)
            s -= L[(size_t)k * (size_t)n + (size_t)i] * b[k];
        b[i] = s / L[(size_t)i * (size_t)n + (size_t)i];
    }
}

int lfd_util_lu_solve(double *A, double *b, int n)
{
    size_t N = (size_t)n;
    for (int c = 0; c < n; c++) {
        /* pivot: the largest entry of column c at or below the diagonal */
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[N * (size_t)r + (size_t)c]) > fabs(A[N * (size_t)p + (size_t)c]))
                p = r;
        if (!(fabs(A[N * (size_t)p + (size_t)c]) > 1e-12))
            return -1;
        if (p != c) {
            for (int k = 0; k < n; k++) {
                double t = A[N * (size_t)c + (size_t)k];
                A[N * (size_t)c + (size_t)k] = A[N * (size_t)p + (size_t)k];
                A[N * (size_t)p + (size_t)k] = t;
            }
            double t = b[c];
            b[c] = b[p];
            b[p] = t;
        }
        /* eliminate below the pivot */
        const double *Ac = A + N * (size_t)c;
        for (int r = c + 1; r < n; r++) {
            double *Ar = A + N * (size_t)r;
            double f = Ar[c] / Ac[c];
            for (int k = c; k < n; k++)
                Ar[k] -= f * Ac[k];
            b[r] -= f * b[c];
        }
    }
    /* back substitution */
    for (int r = n - 1; r >= 0; r--) {
        const double *Ar = A + N * (size_t)r;
        for (int k = r + 1; k < n; k++)
            b[r] -= Ar[k] * b[k];
        b[r] /= Ar[r];
    }
    return 0;
}

/* ---- arrays, strings --------------------------------------------------------------------- */
int lfd_util_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double lfd_util_select(double *v, size_t n, size_t k)
{
    /* Hoare's partition around the median of three, keeping the side with k */
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        double piv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv)
                i++;
            while (v[j] > piv)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* now j < i, v[lo..j] <= piv <= v[i..hi], and anything between
           equals piv (j stops at 0 rather than wrap) */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

int lfd_util_sort_finite(double *v, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            v[m++] = v[i];
    if (m > 1)
        qsort(v, (size_t)m, sizeof *v, lfd_util_cmp_double);
    return m;
}

double lfd_util_median_finite(double *v, int n)
{
    int m = lfd_util_sort_finite(v, n);
    if (!m)
        return NAN;
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

int lfd_util_all_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int lfd_util_has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* ---- arena ------------------------------------------------------------------------------ */
static size_t align_up(size_t n) { return (n + (LFD_ARENA_ALIGN - 1)) & ~(size_t)(LFD_ARENA_ALIGN - 1); }

void *lfd_arena_take(lfd_arena *a, size_t n, size_t elem)
{
    if (a->overflow)
        return NULL;
    if (elem && n > (SIZE_MAX - 2 * LFD_ARENA_ALIGN - a->used) / elem) {
        a->overflow = 1;
        return NULL;
    }
    size_t start = align_up(a->used), end = start + n * elem;
    if (a->base && end > a->cap) {
        a->overflow = 1;
        return NULL;
    }
    a->used = end;
    return a->base ? a->base + start : NULL;
}

size_t lfd_arena_bytes(const lfd_arena *a)
{
    if (a->overflow)
        return 0;
    size_t n = align_up(a->used);
    return n ? n : LFD_ARENA_ALIGN;
}

void lfd_arena_start(lfd_arena *a, void *block)
{
    size_t cap = lfd_arena_bytes(a);
    memset(block, 0, cap);
    a->base = block;
    a->cap = cap;
    a->used = 0;
    a->overflow = 0;
}

void *lfd_arena_alloc(lfd_arena *a)
{
    size_t bytes = lfd_arena_bytes(a);
    void *block = bytes ? aligned_alloc(LFD_ARENA_ALIGN, bytes) : NULL;
    if (block)
        lfd_arena_start(a, block);
    return block;
}

/* ---- the clock --------------------------------------------------------------------------- */
double lfd_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int64_t lfd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

size_t lfd_util_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t k = c < 0x80                           ? 1
               : (c & 0xE0) == 0xC0 && c >= 0xC2   ? 2
               : (c & 0xF0) == 0xE0                ? 3
               : (c & 0xF8) == 0xF0 && c <= 0xF4   ? 4
                                                   : 0;
    if (!k || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* RFC 3629's narrower second-byte ranges: E0 80-9F would be an overlong
       form, ED A0-BF a UTF-16 surrogate, F0 80-8F overlong, F4 90-BF beyond
       U+10FFFF; none is UTF-8 */
    unsigned c1 = s[1];
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F))
        return 0;
    return k;
}

void lfd_util_xml_text(FILE *fp, const char *s, char sep, const char *sep_as)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t k;
        if (sep && s[i] == sep)
            fputs(sep_as, fp);
        else if (c == '&')
            fputs("&amp;", fp);
        else if (c == '<')
            fputs("&lt;", fp);
        else if (c == '>')
            fputs("&gt;", fp);
        else if (c == '\'')
            fputs("&#39;", fp);
        else if (c == '"')
            fputs("&quot;", fp);
        else if (c < 0x20 || c == 0x7f)
            fputc(' ', fp);
        else if (c < 0x80)
            fputc(c, fp);
        else if ((k = lfd_util_utf8_len((const unsigned char *)s + i, n - i)) > 0) {
            fwrite(s + i, 1, k, fp);
            i += k - 1;
        } else
            fputs("\xef\xbf\xbd", fp);
    }
}

double lfd_util_seg_dist2d(const double p[2], const double a[2], const double b[2])
{
    double ux = b[0] - a[0], uy = b[1] - a[1], l2 = ux * ux + uy * uy;
    double t = l2 > 0 ? ((p[0] - a[0]) * ux + (p[1] - a[1]) * uy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(p[0] - a[0] - t * ux, p[1] - a[1] - t * uy);
}
