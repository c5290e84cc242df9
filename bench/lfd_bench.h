/*  lfd_bench: the benchmark harness behind `make bench`.

    A benchmark is a function declared with BENCH(name) in any bench file; it
    registers itself.  bench/main.c runs them all (or those whose name
    contains one of the words given on the command line) and each reports
    through lfd_bench_report(), which prints one machine-readable line
        BENCH {"name": "...", "metric": value, ..., "baseline_...": value}
    Benchmarks measure their baseline in the same run (interleaved where the
    machine is noisy) and report ratios; they never compare against figures
    from another run.
*/
#ifndef LFD_BENCH_H
#define LFD_BENCH_H

#include <stdint.h>

typedef void (*lfd_bench_fn)(void);
void lfd_bench_register(const char *name, lfd_bench_fn fn);

#define BENCH(name)                                                                   \
    static void bench_##name(void);                                                   \
    __attribute__((constructor)) static void lfd_bench_reg_##name(void)               \
    {                                                                                 \
        lfd_bench_register(#name, bench_##name);                                      \
    }                                                                                 \
    static void bench_##name(void)

/* A report is built from key/value pairs and printed as one BENCH line. */
typedef struct lfd_bench_report {
    char buf[4096];
    int len;
} lfd_bench_report;

void lfd_bench_begin(lfd_bench_report *r, const char *name);
void lfd_bench_num(lfd_bench_report *r, const char *key, double v);
void lfd_bench_str(lfd_bench_report *r, const char *key, const char *v);
void lfd_bench_end(lfd_bench_report *r);

/* Percentile (0..100) of n samples; sorts the array in place. */
double lfd_bench_percentile(double *samples, int n, double pct);

/* Path under ../shared (LFD_SHARED), or NULL if absent. */
const char *lfd_bench_shared(const char *rel);

#endif
