/*  The corruption sweep behind the README's table of video-keypoint
    detection rates: `build/lfd_bench qa_video_sweep` (also part of
    `make bench`).

    Clips: the real clips of ../shared/data/mocap at least 2 s long (BVH
    turned into joint positions, reference poses dropped; the holosoma .npy
    as it is), plus a generated 6 s walk at 30 Hz, so the sweep runs without
    ../shared too.  Each trial takes a window of up to 6 s from the next clip
    (start drawn from a fixed-seed generator), checks the clean window (any
    video kind reported there is a false alarm), injects one failure with
    lfd_kp_corrupt and checks again: detected when a reason of that kind
    covers some of the corrupted frames.  It then repairs and measures the
    largest joint error against the clean window over the corrupted frames
    (swap, flip: within 2 cm; dropout: 3 cm; timestamps: resampled frames
    within 2 cm; floor tilt: no floor_tilt left after repair).
    100 trials per kind (LFD_SWEEP_N overrides), seed 20 (LFD_SWEEP_SEED). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_kp_corrupt.h"
#include "ingest/lfd_qa.h"
#include "ingest/lfd_repair.h"
#include "ingest/lfd_synth.h"

#define MAXCLIPS 16

static const char *const shared_clips[] = {
    "data/mocap/cmu_01_01_playground_jumps.bvh",   "data/mocap/xia_cmuskel_neutral_walk.bvh",
    "data/mocap/cmu_daz_13_01_sit_on_stool.bvh",   "data/mocap/cmu_daz_14_04_drink_soda.bvh",
    "data/mocap/cmu_daz_02_06_bend_scoop_lift.bvh", "data/mocap/bandai1_walk_normal_001.bvh",
    "data/mocap/bandai1_dance_short_normal_001.bvh", "data/mocap/bandai2_walk_turn_left_normal_001.bvh",
    "data/mocap/lafan1_walk1_subject1_first91.bvh", "data/mocap/mixamorig_freebvh_69f.bvh",
    "data/mocap/holosoma_climb_seq1_joints53.npy"};

typedef struct clip {
    char name[64];
    lfd_keypoints kp;
} clip;

static int window(const lfd_keypoints *src, int f0, int n, lfd_keypoints *out, lfd_err *err)
{
    int rc = lfd_kp_clone(out, src, err);
    if (rc)
        return rc;
    size_t J = (size_t)src->njoints;
    memmove(out->pos, src->pos + (size_t)f0 * J * 3, (size_t)n * J * 3 * sizeof(double));
    out->nframes = n;
    return LFD_OK;
}

static int human_of(const lfd_keypoints *kp, lfd_human *h, lfd_err *err)
{
    lfd_human_opts o = {0};
    int rc = lfd_human_from_keypoints(h, kp, &o, err);
    if (rc == LFD_OK && (rc = lfd_repair_mask_conf(h, kp, err)))
        lfd_human_free(h);
    return rc;
}

static const lfd_qa_reason *find_kind(const lfd_qa_report *r, int kind)
{
    for (int i = 0; i < r->nreasons; i++)
        if (!strcmp(r->reason[i].check, lfd_qa_kind_name(kind)))
            return &r->reason[i];
    return NULL;
}

static int any_video_kind(const lfd_qa_report *r, int except)
{
    for (int k = 0; k < LFD_QK_COUNT; k++)
        if (k != except && find_kind(r, k))
            return 1;
    return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double max_err(const lfd_keypoints *a, const lfd_keypoints *b, int f0, int f1)
{
    double m = 0;
    if (a->nframes != b->nframes || a->njoints != b->njoints)
        return INFINITY;
    for (int f = f0; f <= f1; f++)
        for (int j = 0; j < a->njoints; j++) {
            const double *p = a->pos + ((size_t)f * a->njoints + j) * 3, *q = b->pos + ((size_t)f * b->njoints + j) * 3;
            double d = sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
            if (!(d <= m))
                m = isfinite(d) ? d : INFINITY;
        }
    return m;
}

BENCH(qa_video_sweep)
{
    lfd_err err = {0};
    static clip clips[MAXCLIPS];
    int nclips = 0;
    int lvl = lfd_log_level;
    lfd_log_level = LFD_LOG_ERROR;
    int dbg_level = getenv("LFD_SWEEP_DEBUG") ? atoi(getenv("LFD_SWEEP_DEBUG")) : 0;
    for (size_t i = 0; i < sizeof shared_clips / sizeof shared_clips[0] && nclips < MAXCLIPS; i++) {
        const char *p = lfd_bench_shared(shared_clips[i]);
        if (!p)
            continue;
        lfd_human h;
        lfd_human_opts o = {.ref_pose = LFD_REFPOSE_DROP};
        if (lfd_human_load(&h, p, &o, &err))
            continue;
        if (h.nframes / h.fps >= 2 && lfd_kp_from_human(&clips[nclips].kp, &h, &err) == LFD_OK) {
            const char *b = strrchr(p, '/');
            snprintf(clips[nclips].name, sizeof clips[0].name, "%.63s", b ? b + 1 : p);
            nclips++;
        }
        lfd_human_free(&h);
    }
    int nshared = nclips;
    {
        lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 6, .fps = 30};
        lfd_human h;
        if (lfd_synth_human(&h, &so, &err) == LFD_OK) {
            if (lfd_kp_from_human(&clips[nclips].kp, &h, &err) == LFD_OK)
                snprintf(clips[nclips++].name, sizeof clips[0].name, "synth walk 30 Hz");
            lfd_human_free(&h);
        }
    }
    const char *ns = getenv("LFD_SWEEP_N"), *ss = getenv("LFD_SWEEP_SEED");
    int N = ns ? atoi(ns) : 100;
    uint32_t seed = ss ? (uint32_t)atoi(ss) : 20u;
    if (dbg_level >= 2)
        lfd_log_level = LFD_LOG_DEBUG; /* the detectors' own notes */
    printf("qa_video_sweep: %d clips (%d from ../shared), %d trials per kind, seed %u\n", nclips, nshared, N, seed);
    printf("| failure | trials | detected | right frames | rejected unrepaired | repaired within tolerance | other kinds raised |\n");
    printf("|---|---|---|---|---|---|---|\n");
    int clean_trials = 0, clean_alarms = 0;
    int clean_alarm_kind[LFD_QK_COUNT] = {0};
    lfd_repair_plan *plan = malloc(sizeof *plan);
    lfd_qa_report *r = malloc(sizeof *r), *r0 = malloc(sizeof *r0);
    const char *only = getenv("LFD_SWEEP_KIND");
    /* the kinds, then (row LFD_QK_COUNT) 10-frame gaps in a wrist */
    for (int row = 0; row <= LFD_QK_COUNT && plan && r && r0; row++) {
        int kind = row < LFD_QK_COUNT ? row : LFD_QK_DROPOUT, wrist10 = row == LFD_QK_COUNT;
        if (only && strcmp(only, lfd_qa_kind_name(kind)))
            continue;
        int trials = 0, det = 0, right = 0, rej = 0, fixed = 0, cross = 0, t = 0, nerr = 0;
        static double errs[4096]; /* gap fills: the largest joint error of each repaired trial */
        int clip_trials[MAXCLIPS] = {0}, clip_det[MAXCLIPS] = {0};
        while (trials < N && t < 20 * N) {
            const clip *cl = &clips[t++ % nclips];
            int T = cl->kp.nframes, W = (int)fmin(T, 6 * cl->kp.fps);
            int f0 = T > W ? (int)((seed = seed * 1664525u + 1013904223u) >> 8) % (T - W + 1) : 0;
            lfd_keypoints clean, bad, fixedkp;
            lfd_human hc, hb, hr;
            if (window(&cl->kp, f0, W, &clean, &err))
                continue;
            if (human_of(&clean, &hc, &err)) {
                lfd_kp_free(&clean);
                continue;
            }
            /* the clean window */
            lfd_qa_human_kp(&hc, &clean, r, NULL, &err);
            clean_trials++;
            if (any_video_kind(r, -1)) {
                clean_alarms++;
                if (getenv("LFD_SWEEP_DEBUG"))
                    for (int i = 0; i < r->nreasons; i++)
                        fprintf(stderr, "  false alarm: %s [%d]: %s(%s)\n", cl->name, f0, r->reason[i].check,
                                r->reason[i].msg);
                for (int k = 0; k < LFD_QK_COUNT; k++)
                    clean_alarm_kind[k] += find_kind(r, k) != NULL;
            }
            lfd_kp_corruption c;
            if (lfd_kp_clone(&bad, &clean, &err) || (wrist10 ? lfd_kp_corrupt_gap(&bad, &hc, (seed & 256) ? LFD_CJ_L_WRIST : LFD_CJ_R_WRIST, 10, &seed, &c, &err)
                                                      : lfd_kp_corrupt(&bad, &hc, kind, 0, &seed, &c, &err))) {
                lfd_kp_free(&bad);
                lfd_kp_free(&clean);
                lfd_human_free(&hc);
                continue;
            }
            trials++;
            if (human_of(&bad, &hb, &err) == LFD_OK) {
                memset(plan, 0, sizeof *plan);
                lfd_qa_human_kp(&hb, &bad, r, plan, &err);
                const lfd_qa_reason *rs = find_kind(r, kind);
                int hit = 0, inside = rs != NULL;
                for (int k = 0; rs && k < rs->nranges; k++) {
                    hit |= rs->range[k][0] <= c.f1 && rs->range[k][1] >= c.f0;
                    inside &= rs->range[k][0] >= c.f0 - 3 && rs->range[k][1] <= c.f1 + 3;
                }
                det += hit;
                clip_trials[(t - 1) % nclips]++;
                clip_det[(t - 1) % nclips] += hit;
                if (getenv("LFD_SWEEP_DEBUG") && (!hit || any_video_kind(r, kind))) {
                    fprintf(stderr, "  %s: %s [%d] %s frames %d-%d:", hit ? "cross" : "missed", cl->name, f0, c.what, c.f0, c.f1);
                    for (int i = 0; i < r->nreasons; i++)
                        fprintf(stderr, " %s(%s)", r->reason[i].check, r->reason[i].msg);
                    fprintf(stderr, "\n");
                }
                right += hit && inside && !rs->more_ranges;
                rej += r->verdict == LFD_QA_REJECT;
                cross += any_video_kind(r, kind);
                memset(r0, 0, sizeof *r0);
                int n = lfd_repair_apply(&bad, &hb, plan, &fixedkp, r0, &err);
                if (getenv("LFD_SWEEP_DEBUG") && n > 0)
                    for (int i = 0; i < r0->nrepairs; i++)
                        fprintf(stderr, "    repair %s %s %d-%d\n", r0->repair[i].kind, r0->repair[i].what,
                                r0->repair[i].range[0][0], r0->repair[i].range[0][1]);
                if (n > 0) {
                    int ok = 0;
                    if (kind == LFD_QK_FLOOR_TILT) {
                        if (human_of(&fixedkp, &hr, &err) == LFD_OK) {
                            lfd_qa_human_kp(&hr, &fixedkp, r, NULL, &err);
                            ok = !find_kind(r, kind);
                            lfd_human_free(&hr);
                        }
                    } else if (kind == LFD_QK_TIMESTAMP_IRREGULAR) {
                        ok = max_err(&fixedkp, &clean, 0, clean.nframes - 1) <= 0.02;
                    } else if (kind == LFD_QK_BONE_BREATHING) {
                        ok = 0; /* not repaired */
                    } else {
                        double e = max_err(&fixedkp, &clean, c.f0, c.f1);
                        ok = e <= (kind == LFD_QK_DROPOUT ? 0.03 : 0.02);
                        if (kind == LFD_QK_DROPOUT && nerr < (int)(sizeof errs / sizeof errs[0]))
                            errs[nerr++] = e;
                    }
                    fixed += ok;
                    if (!ok && getenv("LFD_SWEEP_DEBUG"))
                        fprintf(stderr, "  not repaired: %s [%d] %s frames %d-%d: err %.3f m\n", cl->name, f0, c.what,
                                c.f0, c.f1,
                                kind == LFD_QK_TIMESTAMP_IRREGULAR ? max_err(&fixedkp, &clean, 0, clean.nframes - 1)
                                                                   : max_err(&fixedkp, &clean, c.f0, c.f1));
                    lfd_kp_free(&fixedkp);
                }
                lfd_human_free(&hb);
            }
            lfd_kp_free(&bad);
            lfd_kp_free(&clean);
            lfd_human_free(&hc);
        }
        if (wrist10)
            printf("| dropout, 10-frame wrist gap | %d | %.0f %% | %.0f %% | %.0f %% | %.0f %% | %.0f %% |\n", trials,
                   100.0 * det / trials, 100.0 * right / trials, 100.0 * rej / trials, 100.0 * fixed / trials,
                   100.0 * cross / trials);
        else if (kind == LFD_QK_BONE_BREATHING)
            printf("| %s | %d | %.0f %% | %.0f %% | %.0f %% | (not repaired) | %.0f %% |\n", lfd_qa_kind_name(kind), trials,
                   100.0 * det / trials, 100.0 * right / trials, 100.0 * rej / trials, 100.0 * cross / trials);
        else
            printf("| %s | %d | %.0f %% | %.0f %% | %.0f %% | %.0f %% | %.0f %% |\n", lfd_qa_kind_name(kind), trials,
                   100.0 * det / trials, 100.0 * right / trials, 100.0 * rej / trials, 100.0 * fixed / trials,
                   100.0 * cross / trials);
        if (kind == LFD_QK_FLOOR_TILT) {
            /* by clip: the floor is only measured where the planted feet spread out */
            printf("  detected by clip:");
            for (int i = 0; i < nclips; i++)
                if (clip_trials[i])
                    printf(" %s %d/%d;", clips[i].name, clip_det[i], clip_trials[i]);
            printf("\n");
        }
        if (nerr) {
            qsort(errs, (size_t)nerr, sizeof errs[0], cmp_dbl);
            printf("  gap fill error (largest joint error over the gap, %d trials): median %.1f cm, p90 %.1f cm, "
                   "worst %.1f cm\n",
                   nerr, 100 * errs[nerr / 2], 100 * errs[(int)(0.9 * (nerr - 1))], 100 * errs[nerr - 1]);
        }
        fflush(stdout);
        lfd_bench_report br;
        char name[64];
        snprintf(name, sizeof name, "qa_video_sweep_%s%s", lfd_qa_kind_name(kind), wrist10 ? "_wrist10" : "");
        lfd_bench_begin(&br, name);
        lfd_bench_num(&br, "trials", trials);
        lfd_bench_num(&br, "detected_frac", trials ? (double)det / trials : 0);
        lfd_bench_num(&br, "right_frames_frac", trials ? (double)right / trials : 0);
        lfd_bench_num(&br, "repaired_frac", trials ? (double)fixed / trials : 0);
        if (nerr) {
            lfd_bench_num(&br, "fill_err_median_m", errs[nerr / 2]);
            lfd_bench_num(&br, "fill_err_p90_m", errs[(int)(0.9 * (nerr - 1))]);
        }
        lfd_bench_end(&br);
    }
    printf("clean windows: %d, with a false alarm: %d (%.1f %%)", clean_trials, clean_alarms,
           clean_trials ? 100.0 * clean_alarms / clean_trials : 0);
    for (int k = 0; k < LFD_QK_COUNT; k++)
        if (clean_alarm_kind[k])
            printf("; %s %d", lfd_qa_kind_name(k), clean_alarm_kind[k]);
    printf("\n");
    lfd_bench_report br;
    lfd_bench_begin(&br, "qa_video_sweep_clean");
    lfd_bench_num(&br, "windows", clean_trials);
    lfd_bench_num(&br, "false_alarm_frac", clean_trials ? (double)clean_alarms / clean_trials : 0);
    lfd_bench_end(&br);
    free(plan);
    free(r);
    free(r0);
    for (int i = 0; i < nclips; i++)
        lfd_kp_free(&clips[i].kp);
    lfd_log_level = lvl;
}
