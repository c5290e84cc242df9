/*  Gap fills at a phone's frame rate: `build/lfd_bench gap_fill_30hz`
    (also part of `make bench`; needs ../shared, else it reports nothing).

    Every real clip of ../shared/data/mocap is taken to 30 Hz (every n-th
    frame), and 8, 10, 12 and 15-frame gaps are cut, NaN, into each wrist and
    each elbow (with everything below it) every LFD_GAPFILL_STRIDE frames
    (default 17), each in a window of up to 10 s around it.  lfd qa's plan
    and lfd_repair_apply fill them; the figure is the largest joint error
    over the gap against the clip, over all gaps and over the "fast" ones
    (the gap's joint faster than 1 m/s relative to the pelvis on average).
    This is the measurement behind the fill figures in docs/ingest.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_kp_corrupt.h"
#include "ingest/lfd_qa.h"
#include "ingest/lfd_repair.h"

static const char *const gap_clips[] = {
    "data/mocap/bandai1_dance_short_normal_001.bvh", "data/mocap/bandai1_walk_normal_001.bvh",
    "data/mocap/bandai2_walk_turn_left_normal_001.bvh", "data/mocap/cmu_01_01_playground_jumps.bvh",
    "data/mocap/cmu_daz_02_06_bend_scoop_lift.bvh",  "data/mocap/cmu_daz_13_01_sit_on_stool.bvh",
    "data/mocap/cmu_daz_14_04_drink_soda.bvh",       "data/mocap/lafan1_walk1_subject1_first91.bvh",
    "data/mocap/mixamorig_freebvh_69f.bvh",          "data/mocap/xia_cmuskel_neutral_walk.bvh",
    "data/mocap/holosoma_climb_seq1_joints53.npy"};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int below(const lfd_keypoints *kp, int j, int root)
{
    for (int k = j, d = 0; k >= 0 && d < 256; k = kp->parents[k], d++)
        if (k == root)
            return 1;
    return 0;
}

BENCH(gap_fill_30hz)
{
    int lvl = lfd_log_level;
    lfd_log_level = LFD_LOG_ERROR;
    const char *ss = getenv("LFD_GAPFILL_STRIDE");
    int stride = ss && atoi(ss) > 0 ? atoi(ss) : 17;
    size_t cap = 20000;
    double *all = malloc(cap * sizeof *all), *fast = malloc(cap * sizeof *fast);
    lfd_qa_report *r = malloc(sizeof *r), *r0 = malloc(sizeof *r0);
    lfd_repair_plan *plan = malloc(sizeof *plan);
    size_t na = 0, nf = 0;
    for (size_t c = 0; c < sizeof gap_clips / sizeof gap_clips[0] && all && fast && r && r0 && plan; c++) {
        const char *p = lfd_bench_shared(gap_clips[c]);
        lfd_human h, hc;
        lfd_human_opts o = {.ref_pose = LFD_REFPOSE_DROP}, o2 = {0};
        lfd_keypoints full;
        lfd_err err = {0};
        if (!p || lfd_human_load(&h, p, &o, &err))
            continue;
        if (lfd_kp_from_human(&full, &h, &err)) {
            lfd_human_free(&h);
            continue;
        }
        int step = (int)lround(h.fps / 30), J = full.njoints, T = 0;
        if (step < 1)
            step = 1;
        for (int f = 0; f < full.nframes; f += step, T++)
            memmove(full.pos + (size_t)T * J * 3, full.pos + (size_t)f * J * 3, (size_t)J * 3 * sizeof(double));
        full.nframes = T;
        full.fps = h.fps / step;
        if (lfd_human_from_keypoints(&hc, &full, &o2, &err)) {
            lfd_kp_free(&full);
            lfd_human_free(&h);
            continue;
        }
        static const int cjs[4] = {LFD_CJ_L_WRIST, LFD_CJ_R_WRIST, LFD_CJ_L_ELBOW, LFD_CJ_R_ELBOW};
        static const int lens[4] = {8, 10, 12, 15};
        int pj = hc.canon[LFD_CJ_PELVIS];
        for (int ci = 0; ci < 4; ci++)
            for (int li = 0; li < 4; li++) {
                int len = lens[li], j = hc.map.c[cjs[ci]].n == 1 ? hc.map.c[cjs[ci]].src[0] : -1;
                if (j < 0 || len > LFD_REPAIR_MAX_GAP_S * full.fps)
                    continue;
                for (int g0 = 12; g0 + len + 12 < T && na < cap; g0 += stride) {
                    int w0 = g0 - 150 < 0 ? 0 : g0 - 150, w1 = g0 + len + 150 > T ? T : g0 + len + 150, f0 = g0 - w0;
                    lfd_keypoints clean, bad, fixed;
                    if (lfd_kp_clone(&clean, &full, &err))
                        continue;
                    memmove(clean.pos, full.pos + (size_t)w0 * J * 3, (size_t)(w1 - w0) * J * 3 * sizeof(double));
                    clean.nframes = w1 - w0;
                    if (lfd_kp_clone(&bad, &clean, &err)) {
                        lfd_kp_free(&clean);
                        continue;
                    }
                    for (int f = f0; f < f0 + len; f++)
                        for (int k = 0; k < J; k++)
                            if (below(&bad, k, j))
                                lfd_v3_set(bad.pos + ((size_t)f * J + k) * 3, NAN, NAN, NAN);
                    lfd_human hb;
                    if (lfd_human_from_keypoints(&hb, &bad, &o2, &err) == LFD_OK) {
                        memset(plan, 0, sizeof *plan);
                        memset(r0, 0, sizeof *r0);
                        lfd_qa_human_kp(&hb, &bad, r, plan, &err);
                        if (getenv("LFD_GAPFILL_DEBUG"))
                            for (int i = 0; i < r->nreasons; i++)
                                if (strcmp(r->reason[i].check, "dropout"))
                                    fprintf(stderr, "  %s [%d+%d] %s: %s\n", gap_clips[c], w0, f0, r->reason[i].check,
                                            r->reason[i].msg);
                        if (lfd_repair_apply(&bad, &hb, plan, &fixed, r0, &err) > 0) {
                            double m = 0, sp = 0;
                            for (int f = f0; f < f0 + len; f++)
                                for (int k = 0; k < J; k++) {
                                    double d = lfd_v3_dist(fixed.pos + ((size_t)f * J + k) * 3,
                                                           clean.pos + ((size_t)f * J + k) * 3);
                                    if (!(d <= m))
                                        m = isfinite(d) ? d : INFINITY;
                                }
                            for (int f = f0 - 1; f < f0 + len; f++) {
                                double d0[3], d1[3];
                                lfd_v3_sub(d0, clean.pos + ((size_t)f * J + j) * 3, clean.pos + ((size_t)f * J + pj) * 3);
                                lfd_v3_sub(d1, clean.pos + ((size_t)(f + 1) * J + j) * 3,
                                           clean.pos + ((size_t)(f + 1) * J + pj) * 3);
                                sp += lfd_v3_dist(d0, d1) * full.fps / (len + 1);
                            }
                            all[na++] = m;
                            if (sp > 1.0)
                                fast[nf++] = m;
                            lfd_kp_free(&fixed);
                        }
                        lfd_human_free(&hb);
                    }
                    lfd_kp_free(&bad);
                    lfd_kp_free(&clean);
                }
            }
        lfd_human_free(&hc);
        lfd_human_free(&h);
        lfd_kp_free(&full);
    }
    if (na) {
        size_t w3 = 0, f3 = 0;
        for (size_t i = 0; i < na; i++)
            w3 += all[i] <= 0.03;
        for (size_t i = 0; i < nf; i++)
            f3 += fast[i] <= 0.03;
        qsort(all, na, sizeof *all, cmp_d);
        qsort(fast, nf, sizeof *fast, cmp_d);
        printf("gap_fill_30hz: %zu gaps (8-15 frames, wrists and elbows), within 3 cm %.1f %%, median %.2f cm, p90 %.1f cm\n",
               na, 100.0 * w3 / na, 100 * all[na / 2], 100 * all[(size_t)(0.9 * (double)(na - 1))]);
        if (nf)
            printf("gap_fill_30hz: %zu fast gaps (> 1 m/s relative to the pelvis), within 3 cm %.1f %%, median %.1f cm\n",
                   nf, 100.0 * f3 / nf, 100 * fast[nf / 2]);
        lfd_bench_report br;
        lfd_bench_begin(&br, "gap_fill_30hz");
        lfd_bench_num(&br, "gaps", (double)na);
        lfd_bench_num(&br, "within_3cm_frac", (double)w3 / na);
        lfd_bench_num(&br, "median_err_m", all[na / 2]);
        lfd_bench_num(&br, "fast_gaps", (double)nf);
        lfd_bench_num(&br, "fast_within_3cm_frac", nf ? (double)f3 / nf : 0);
        lfd_bench_end(&br);
    } else {
        printf("gap_fill_30hz: no clips (needs ../shared/data/mocap)\n");
    }
    free(all), free(fast), free(r), free(r0), free(plan);
    lfd_log_level = lvl;
}
