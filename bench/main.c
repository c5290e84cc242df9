/*  The benchmark runner: `make bench` runs every registered benchmark (see
    lfd_bench.h); words on the command line select by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"

#define MAX_BENCH 256
static struct {
    const char *name;
    lfd_bench_fn fn;
} g_bench[MAX_BENCH];
static int g_n;

void lfd_bench_register(const char *name, lfd_bench_fn fn)
{
    if (g_n < MAX_BENCH) {
        g_bench[g_n].name = name;
        g_bench[g_n].fn = fn;
        g_n++;
    }
}

void lfd_bench_begin(lfd_bench_report *r, const char *name)
{
    r->len = snprintf(r->buf, sizeof r->buf, "BENCH {\"name\": \"%s\"", name);
}

void lfd_bench_num(lfd_bench_report *r, const char *key, double v)
{
    if (r->len < (int)sizeof r->buf - 64)
        r->len += snprintf(r->buf + r->len, sizeof r->buf - (size_t)r->len, ", \"%s\": %.6g", key, v);
}

void lfd_bench_str(lfd_bench_report *r, const char *key, const char *v)
{
    if (r->len < (int)sizeof r->buf - 64)
        r->len += snprintf(r->buf + r->len, sizeof r->buf - (size_t)r->len, ", \"%s\": \"%s\"", key, v);
}

void lfd_bench_end(lfd_bench_report *r)
{
    printf("%s}\n", r->buf);
    fflush(stdout);
}

double lfd_bench_percentile(double *s, int n, double pct)
{
    if (n <= 0)
        return 0;
    qsort(s, (size_t)n, sizeof *s, lfd_util_cmp_double);
    double idx = pct / 100.0 * (n - 1);
    int lo = (int)idx;
    int hi = lo + 1 < n ? lo + 1 : lo;
    return s[lo] + (idx - lo) * (s[hi] - s[lo]);
}

const char *lfd_bench_shared(const char *rel)
{
    static char path[1024];
    const char *base = getenv("LFD_SHARED") ? getenv("LFD_SHARED") : "../shared";
    snprintf(path, sizeof path, "%s/%s", base, rel);
    struct stat st;
    return stat(path, &st) == 0 ? path : NULL;
}

int main(int argc, char **argv)
{
    lfd_log_level = LFD_LOG_WARN;
    int ran = 0;
    for (int i = 0; i < g_n; i++) {
        int want = argc < 2;
        /* a name, a part of names, or =NAME for that one only */
        for (int k = 1; k < argc; k++)
            if (argv[k][0] == '=' ? !strcmp(g_bench[i].name, argv[k] + 1)
                                  : strstr(g_bench[i].name, argv[k]) != NULL)
                want = 1;
        if (!want)
            continue;
        fprintf(stderr, "bench %s ...\n", g_bench[i].name);
        g_bench[i].fn();
        ran++;
    }
    fprintf(stderr, "%d benchmarks run\n", ran);
    return 0;
}
