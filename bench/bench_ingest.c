/*  Ingest benchmarks: BVH parse and FK speed in frames per second on a real
    120 Hz clip (CMU 01_01 from ../shared/data/mocap) or, when ../shared is
    absent, on a generated 60 s walk at 120 Hz.  Baseline, measured in the
    same run on the same text: the naive reader most BVH loaders use (split
    each MOTION row and convert every value with strtod). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_io.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_synth.h"

/* the baseline: strtod over every value of every MOTION row */
static double naive_motion(const char *text, size_t len)
{
    const char *m = strstr(text, "Frame Time:");
    double sum = 0;
    if (!m)
        return 0;
    const char *p = strchr(m, '\n'), *end = text + len;
    while (p && p < end) {
        char *q;
        double v = strtod(p, &q);
        if (q == p) {
            p++;
            continue;
        }
        sum += v;
        p = q;
    }
    return sum;
}

BENCH(ingest_bvh_parse_fk)
{
    lfd_err err = {0};
    uint8_t *data = NULL;
    size_t len = 0;
    const char *src = lfd_bench_shared("data/mocap/cmu_01_01_playground_jumps.bvh");
    char name[64];
    if (src) {
        if (lfd_file_read(src, LFD_BVH_MAX_BYTES, &data, &len, &err))
            return;
        snprintf(name, sizeof name, "cmu_01_01 (real, 120 Hz)");
    } else {
        lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 60, .fps = 120};
        lfd_bvh g;
        lfd_buf txt;
        if (lfd_synth_bvh(&g, &o, NULL, &err) || lfd_bvh_to_text(&g, NULL, &txt, &err))
            return;
        data = malloc(txt.len + 1);
        memcpy(data, txt.data, txt.len);
        data[txt.len] = 0;
        len = txt.len;
        lfd_buf_free(&txt);
        lfd_bvh_free(&g);
        snprintf(name, sizeof name, "generated walk (120 Hz)");
    }
    int reps = 8;
    lfd_bvh b;
    /* parse */
    double t0 = lfd_now_s();
    for (int i = 0; i < reps; i++) {
        if (lfd_bvh_parse(&b, (const char *)data, len, "bench.bvh", NULL, &err))
            return;
        if (i + 1 < reps)
            lfd_bvh_free(&b);
    }
    double t_parse = (lfd_now_s() - t0) / reps;
    /* FK of every frame into one preallocated pose */
    double *pos = malloc((size_t)b.nnodes * 3 * sizeof(double));
    double *quat = malloc((size_t)b.nnodes * 4 * sizeof(double));
    double chk = 0;
    t0 = lfd_now_s();
    for (int i = 0; i < reps; i++)
        for (int f = 0; f < b.nframes; f++) {
            lfd_bvh_fk(&b, f, pos, quat);
            chk += pos[3];
        }
    double t_fk = (lfd_now_s() - t0) / reps;
    /* the whole ingest: parse, FK, units/axes, canonical map, analysis */
    lfd_human h;
    t0 = lfd_now_s();
    for (int i = 0; i < 3; i++) {
        if (lfd_human_from_bvh(&h, &b, NULL, &err))
            return;
        lfd_human_free(&h);
    }
    double t_human = (lfd_now_s() - t0) / 3 + t_parse;
    /* baseline: naive strtod over the same MOTION text */
    t0 = lfd_now_s();
    for (int i = 0; i < reps; i++)
        chk += naive_motion((const char *)data, len);
    double t_naive = (lfd_now_s() - t0) / reps;
    __asm__ volatile("" ::"r"(&chk) : "memory");
    int n = b.nframes;
    lfd_bench_report r;
    lfd_bench_begin(&r, "ingest_bvh_parse_fk");
    lfd_bench_str(&r, "clip", name);
    lfd_bench_num(&r, "frames", n);
    lfd_bench_num(&r, "joints", b.nnodes);
    lfd_bench_num(&r, "channels", b.nchannels);
    lfd_bench_num(&r, "parse_fps", n / t_parse);
    lfd_bench_num(&r, "fk_fps", n / t_fk);
    lfd_bench_num(&r, "fk_us_per_frame", t_fk / n * 1e6);
    lfd_bench_num(&r, "parse_plus_fk_fps", n / (t_parse + t_fk));
    lfd_bench_num(&r, "human_load_fps", n / t_human);
    lfd_bench_num(&r, "baseline_naive_strtod_fps", n / t_naive);
    lfd_bench_num(&r, "parse_speedup_vs_baseline", t_naive / t_parse);
    lfd_bench_end(&r);
    free(pos);
    free(quat);
    lfd_bvh_free(&b);
    free(data);
}
