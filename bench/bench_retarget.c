/*  Retargeting benchmark (issue 5): frames/s of lfd_retarget_human on H1 for
    a real 120 Hz clip (CMU 13_01 from ../shared, or a generated 120 Hz walk
    when ../shared is absent), one thread, next to the rate of one bare
    MuJoCo kinematics + body-Jacobian pass per frame (one Jacobian per map
    entry) measured in the same run, interleaved, best of three each.
    The whole retargeting is timed (both IK passes, the whole-clip smoothing,
    the feet step and the measurement of the written motion, issue 15) next
    to the IK passes alone (rep.seconds), without the dynamics filter, and
    with every frame solved (--solve-every-frame: by default a 120 Hz clip is
    solved at 30 Hz and splined, docs/retarget.md part 8).
    Anchor: GMR (Python, mink QP) 35-70 frames/s; target (issue 15) 5,000
    frames/s for the whole retargeting.  retarget_h1_walk runs the same on
    lfd's procedural walk (20 s at 120 Hz). */
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "ingest/lfd_synth.h"
#include "retarget/lfd_retarget.h"
#include "robots/lfd_robot.h"

/* one whole retargeting of h onto r with o, its time kept in *best when
   shorter and its report in *rep (may be NULL); 0 when it failed */
static int keep_best(const lfd_robot *r, const lfd_human *h, const lfd_retarget_opts *o,
                     lfd_retarget_report *rep, double *best)
{
    lfd_err err;
    lfd_motion mo;
    lfd_retarget_report tmp;
    double t = lfd_now_s();
    if (lfd_retarget_human(r, h, o, &mo, rep ? rep : &tmp, &err))
        return 0;
    t = lfd_now_s() - t;
    *best = t < *best ? t : *best;
    lfd_motion_free(&mo);
    return 1;
}

static void bench_on(const char *name, lfd_robot *r, lfd_human *hp, const char *clip)
{
    lfd_human h = *hp;
    const mjModel *m = r->m;
    mjData *d = mj_makeData(m);
    double *jac = malloc(sizeof(double) * 6 * (size_t)m->nv);
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    double best_rt = 1e9, best_bare = 1e9, best_whole = 1e9, best_nof = 1e9, best_every = 1e9;
    lfd_retarget_report rep;
    for (int rep_i = 0; rep_i < 3; rep_i++) {
        /* the bare pass: kinematics, com, one Jacobian per map entry, per frame */
        double t0 = lfd_now_s();
        for (int f = 0; f < h.nframes; f++) {
            memcpy(d->qpos, r->qpos_default, sizeof(double) * (size_t)m->nq);
            d->qpos[0] = 1e-4 * f;
            mj_kinematics(m, d);
            mj_comPos(m, d);
            for (int e = 0; e < r->nmap; e++)
                mj_jacBody(m, d, jac, jac + 3 * m->nv, r->map[e].body_id);
        }
        double bare = lfd_now_s() - t0;
        /* the whole retargeting, by default; without the dynamics filter
           (--no-zmp-filter); every frame solved (--solve-every-frame, the
           default before clips of 60 fps and more were solved at 30 Hz and
           splined: twice, it is the slow one) */
        lfd_retarget_opts od = o, oe = o;
        od.zmp_filter = 0;
        oe.solve_every_frame = 1;
        if (!keep_best(r, &h, &o, &rep, &best_whole) || !keep_best(r, &h, &od, NULL, &best_nof) ||
            (rep_i < 2 && !keep_best(r, &h, &oe, NULL, &best_every)))
            break;
        best_bare = bare < best_bare ? bare : best_bare;
        best_rt = rep.seconds < best_rt ? rep.seconds : best_rt;
    }
    lfd_bench_report b;
    lfd_bench_begin(&b, name);
    lfd_bench_str(&b, "clip", clip);
    lfd_bench_num(&b, "frames", rep.frames);
    lfd_bench_num(&b, "fps_clip", rep.fps);
    lfd_bench_num(&b, "retarget_frames_per_s", rep.frames / best_whole);
    lfd_bench_num(&b, "retarget_us_per_frame", best_whole / rep.frames * 1e6);
    lfd_bench_num(&b, "ik_passes_frames_per_s", rep.frames / best_rt);
    lfd_bench_num(&b, "no_zmp_filter_frames_per_s", rep.frames / best_nof);
    lfd_bench_num(&b, "solve_fps", rep.solve_fps);
    lfd_bench_num(&b, "every_frame_frames_per_s", rep.frames / best_every);
    lfd_bench_num(&b, "baseline_kin_jac_frames_per_s", h.nframes / best_bare);
    lfd_bench_num(&b, "baseline_kin_jac_us", best_bare / h.nframes * 1e6);
    lfd_bench_num(&b, "passes_per_frame_equiv", (best_whole / rep.frames) / (best_bare / h.nframes));
    lfd_bench_num(&b, "target_frames_per_s", 5000);
    lfd_bench_num(&b, "gmr_frames_per_s_anchor", 70);
    lfd_bench_end(&b);
    free(jac);
    mj_deleteData(d);
}

BENCH(retarget_h1)
{
    lfd_err err;
    lfd_robot *r;
    if (lfd_robot_load(&r, "h1", &err))
        return;
    lfd_human h;
    const char *clip = lfd_bench_shared("data/mocap/cmu_daz_13_01_sit_on_stool.bvh");
    int rc = clip ? lfd_human_load(&h, clip, NULL, &err) : -1;
    if (rc) {
        lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 20, .fps = 120};
        clip = "generated walk";
        rc = lfd_synth_human(&h, &so, &err);
    }
    if (rc == LFD_OK) {
        bench_on("retarget_h1", r, &h, clip);
        lfd_human_free(&h);
    }
    lfd_robot_free(&r);
}

/* The same on walking, the clips lfd is mostly fed: lfd's procedural walk,
   20 s at 120 Hz (no ../shared needed), onto H1. */
BENCH(retarget_h1_walk)
{
    lfd_err err;
    lfd_robot *r;
    if (lfd_robot_load(&r, "h1", &err))
        return;
    lfd_human h;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 20, .fps = 120};
    if (lfd_synth_human(&h, &so, &err) == LFD_OK) {
        bench_on("retarget_h1_walk", r, &h, "generated walk, 20 s at 120 Hz");
        lfd_human_free(&h);
    }
    lfd_robot_free(&r);
}
