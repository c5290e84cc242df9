/*  Core benchmarks: motion file encode/decode and the ndarray codec. */
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "core/lfd_ndarray.h"
#include "core/lfd_util.h"

/* decode of a 10 s, 120 Hz, 19-joint motion against a bare memcpy of its bytes */
BENCH(core_motion_decode)
{
    lfd_motion m, back;
    lfd_err err = {0};
    if (lfd_motion_alloc(&m, 1200, 1, 19, 0, &err))
        return;
    m.fps = 120;
    for (int j = 0; j < 19; j++)
        snprintf(m.joint_names[j], LFD_NAME_MAX, "j%d", j);
    lfd_buf b;
    if (lfd_motion_encode(&m, &b, &err))
        return;
    uint8_t *copy = malloc(b.len);
    int reps = 200;
    double t0 = lfd_now_s();
    for (int i = 0; i < reps; i++) {
        lfd_motion_decode(&back, b.data, b.len, "bench", &err);
        lfd_motion_free(&back);
    }
    double t1 = lfd_now_s();
    for (int i = 0; i < reps; i++) {
        memcpy(copy, b.data, b.len);
        __asm__ volatile("" ::"r"(copy) : "memory");
    }
    double t2 = lfd_now_s();
    lfd_bench_report r;
    lfd_bench_begin(&r, "core_motion_decode");
    lfd_bench_num(&r, "bytes", (double)b.len);
    lfd_bench_num(&r, "decode_us", (t1 - t0) / reps * 1e6);
    lfd_bench_num(&r, "baseline_memcpy_us", (t2 - t1) / reps * 1e6);
    lfd_bench_num(&r, "decode_MB_s", b.len / ((t1 - t0) / reps) / 1e6);
    lfd_bench_end(&r);
    free(copy);
    lfd_buf_free(&b);
    lfd_motion_free(&m);
}
