/*  The dynamics filter (`lfd retarget --zmp-filter`, issue 15) on real walks
    (../shared/data/mocap; skipped where it is absent, and under Valgrind:
    whole clips through several passes and lfd check):
    - the external help lfd check measures on the written motion falls
      within issue 15's 5 % of body weight, to at most half of what the
      motion needs without the filter where that is over 0.1 (30 fps, g1:
      bandai2's walk-turn 0.45 to 0.04 body weights, mixamo's 0.43 to 0.00,
      bandai1's walk 0.28 to 0.00, xia's walk 0.07 to 0.00 (0.77 before the
      swinging legs' smoothing was capped); h1: LAFAN1's walk 0.15 to 0.00),
      and lfd check (no tracking) finds no failure on them;
    - joint acceleration p99 within issue 15's 60 rad/s^2;
    - the arms keep their targets (the second pass reruns with the shifted
      root): hands within 2 cm mean; planted feet slide at most 2 cm;
    - the root shift stays within its cap (ZMP_MAX_SHIFT_M). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/lfd_synth.h"
#include "retarget/lfd_retarget.h"
#include "retarget/lfd_retarget_int.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"
#include "tests/lfd_test.h"

/* lfd check's external help on m and, in *nfail, its failures */
static double assist_of(const lfd_robot *r, const lfd_motion *m, int *nfail)
{
    lfd_check_report *cr = NULL;
    lfd_err err = {0};
    double a = -1;
    *nfail = -1;
    CHECK_OK(lfd_check_report_new(&cr, &err), &err);
    if (!cr)
        return a;
    CHECK_OK(lfd_check_run(r, m, NULL, cr, &err), &err);
    a = cr->assist_max;
    *nfail = cr->nfail;
    lfd_check_report_free(&cr);
    return a;
}

/* h retargeted onto r with the defaults at fps (0: the clip's own rate)
   and swing_clear_m (< 0: the default); LFD_OK or the error, checked */
static int retarget_defaults(const lfd_robot *r, const lfd_human *h, double fps, double swing_clear_m,
                             lfd_motion *m, lfd_retarget_report *rep)
{
    lfd_err err = {0};
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    o.fps = fps;
    if (swing_clear_m >= 0)
        o.swing_clear_m = swing_clear_m;
    int rc = lfd_retarget_human(r, h, &o, m, rep, &err);
    CHECK_OK(rc, &err);
    return rc;
}

/* h retargeted onto r at fps (30 for without_and_with) with --no-zmp-filter ([0]) and by default
   ([1]): lfd check's external help and failures and the retarget reports;
   1 if both ran */
static int without_and_with_swing(const lfd_robot *r, const lfd_human *h, double fps, double swing_clear_m,
                                  double assist[2], int nfail[2], lfd_retarget_report rep[2])
{
    lfd_err err = {0};
    for (int f = 0; f < 2; f++) {
        lfd_retarget_opts o;
        lfd_retarget_opts_init(&o);
        o.progress = 0;
        o.fps = fps;
        o.zmp_filter = f;
        o.swing_clear_m = swing_clear_m;
        lfd_motion m;
        int rc = lfd_retarget_human(r, h, &o, &m, &rep[f], &err);
        CHECK_OK(rc, &err);
        if (rc)
            return 0;
        assist[f] = assist_of(r, &m, &nfail[f]);
        lfd_motion_free(&m);
    }
    return 1;
}

/* the defaults at fps, without and with the dynamics filter */
static int without_and_with_at(const lfd_robot *r, const lfd_human *h, double fps, double assist[2],
                               int nfail[2], lfd_retarget_report rep[2])
{
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    return without_and_with_swing(r, h, fps, o.swing_clear_m, assist, nfail, rep);
}

static int without_and_with(const lfd_robot *r, const lfd_human *h, double assist[2], int nfail[2],
                            lfd_retarget_report rep[2])
{
    return without_and_with_at(r, h, 30, assist, nfail, rep);
}

/* ../shared's clip name and robot, loaded (the test skipped where ../shared
   is absent, or under Valgrind); 1 when both loaded */
static int shared_clip_on(const char *robot, const char *name, lfd_robot **r, lfd_human *h)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    if (lfd_test_under_valgrind())
        SKIP("whole real clips through the dynamics filter are too slow under Valgrind");
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    lfd_err err = {0};
    *r = NULL;
    CHECK_OK(lfd_robot_load(r, robot, &err), &err);
    if (!*r)
        return 0;
    int rc = lfd_human_load(h, path, NULL, &err);
    CHECK_OK(rc, &err);
    if (rc)
        lfd_robot_free(r);
    return rc == LFD_OK;
}

/* The report's account of the filter agrees with what it kept: the rounds
   ended at the first round not kept (all kept: their number), a cap named
   as the reason was passed, and the last steps kept are the ones said to
   be; without the filter (or with the unsmoothed motion written), nothing
   is said. */
static void check_filter_account(const lfd_retarget_report *rep)
{
    const lfd_retarget_dyn_stop *rs = &rep->zmp_rounds_stop, *ds = rep->zmp_direct_stop;
    if (!rep->zmp_filter_ran || rep->smoothing_kept_off) {
        CHECK(rs->why == LFD_RT_DYN_NONE && ds[0].why == LFD_RT_DYN_NONE && ds[1].why == LFD_RT_DYN_NONE);
        return;
    }
    if (rs->why == LFD_RT_DYN_KEPT)
        CHECK(rep->zmp_rounds_kept == rs->round && rs->round >= 1);
    else
        CHECK(rep->zmp_rounds_kept == rs->round - 1);
    int kept = 0;
    for (int i = 0; i < 2; i++) {
        CHECK(ds[i].round == i + 1);
        CHECK(ds[i].why != LFD_RT_DYN_NONE);
        kept += ds[i].why == LFD_RT_DYN_KEPT;
        if (ds[i].why >= LFD_RT_DYN_SLIDE && ds[i].why <= LFD_RT_DYN_ACC)
            CHECK(ds[i].value > ds[i].limit);
        /* the last steps are skipped only after a first round not kept */
        CHECK((ds[i].why == LFD_RT_DYN_NOT_TRIED) == (rs->round == 1 && rs->why != LFD_RT_DYN_KEPT &&
                                                     rs->why != LFD_RT_DYN_DONE));
    }
    if (rs->why >= LFD_RT_DYN_SLIDE && rs->why <= LFD_RT_DYN_ACC)
        CHECK(rs->value > rs->limit);
    CHECK(kept == rep->zmp_direct_kept);
}

/* halves: the unfiltered motion needs over 0.08 body weights of help (a
   warning's worth; with the swinging feet lifted, which no longer lend the
   check their support, G1's bandai1 walk reads 0.100 unfiltered) and the
   filter at least halves it */
static void walk_on(const char *robot, const char *name, double help_max, int halves)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on(robot, name, &r, &h))
        return;
    double assist[2] = {0};
    int nfail[2] = {0};
    lfd_retarget_report rep[2];
    if (without_and_with(r, &h, assist, nfail, rep)) {
        for (int f = 0; f < 2; f++)
            fprintf(stderr, "%s %s %s: help %.3f bw, lfd check failures %d, hands %.3f m, "
                            "slide %.4f m, root shift %.3f m\n",
                    name, robot, f ? "dynamics filter" : "--no-zmp-filter", assist[f], nfail[f],
                    rep[f].hand_err_mean_m, rep[f].foot_slide_max_m, rep[f].zmp_shift_max_m);
        CHECK(rep[1].hand_err_mean_m <= 0.02);
        CHECK(rep[1].foot_slide_max_m <= 0.02);
        CHECK(rep[1].zmp_shift_max_m <= ZMP_MAX_SHIFT_M + 1e-9);
        /* nor does it lift a planted foot off the floor */
        CHECK(rep[1].pin_lift_max_m <= fmax(rep[0].pin_lift_max_m, LFD_RETARGET_PIN_LIFT_CAP_M) + 1e-9);
        check_filter_account(&rep[1]);
        CHECK(rep[1].acc_p99_rad_s2 <= LFD_RETARGET_WARN_ACC_P99);
    }
    if (halves) {
        /* (the check's help QP solved to its minimum since 2026-12-06:
           G1's bandai2 unfiltered reads 0.080, not more) */
        CHECK(assist[0] > 0.06);
        CHECK(assist[1] <= 0.5 * assist[0]);
    } else {
        /* xia: 0.07 unfiltered, where there is less to gain */
        CHECK(assist[1] < assist[0]);
    }
    CHECK(assist[1] <= help_max);
    /* issue 15 on the walks: no assist and no torque failure; lfd check
       without tracking finds none at all */
    CHECK_EQ_INT(nfail[1], 0);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* help_max: issue 15's target, 5 % of body weight on the walks (0.03 on
   both before the last, direct correction) */
TEST(retarget_dynamics_filter_xia_walk_g1) { walk_on("g1", "xia_cmuskel_neutral_walk.bvh", 0.05, 0); }
TEST(retarget_dynamics_filter_bandai2_walk_g1)
{
    walk_on("g1", "bandai2_walk_turn_left_normal_001.bvh", 0.05, 1);
}
/* bandai1's faster walk: 0.07 with the filter (0.08 without) until the
   swinging legs' smoothing was capped at SMOOTH_ACC_CAP_RAD_S2; its knees
   had straightened into a turn of 168 rad/s^2 at each touch-down */
TEST(retarget_dynamics_filter_bandai1_walk_g1)
{
    walk_on("g1", "bandai1_walk_normal_001.bvh", 0.05, 1);
}
/* mixamo's short walk: 0.43 unfiltered, 0.06 before the last correction
   on the exact support, 0.00 with it.  With the swinging feet lifted
   (docs/retarget.md part 19) 0.19 unfiltered and, on the file as it is,
   0.059 at frame 42 until the check's contact QP, warm-started from the
   frame before, stalled there (from zero it converges: 0.00; sim/lfd_check.c
   now solves again from zero when the warm start does not converge).  The
   issue's 0.05. */
TEST(retarget_dynamics_filter_mixamo_walk_g1) { walk_on("g1", "mixamorig_freebvh_69f.bvh", 0.05, 1); }
/* What G1's walks lean on (docs/check.md, support off the floor; measured
   on the files as they are): with the default contact model lfd check
   passes xia's and bandai1's walks (warn) while each foot carries load on
   sole corners 1-2 cm up at some frames (61 % and 79 % of body weight at
   most), and says so; with the rigid-sole model (--sole-tilt 0.01) xia's
   still warns (help 0.04) and bandai1's fails on the ankle (1.04). */
static void walk_support_g1(const char *name, int strict_fails)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("g1", name, &r, &h))
        return;
    lfd_motion m;
    lfd_retarget_report rep;
    if (retarget_defaults(r, &h, 30, -1, &m, &rep) == LFD_OK) {
        lfd_err err = {0};
        for (int strict = 0; strict < 2; strict++) {
            lfd_check_report *cr = NULL;
            CHECK_OK(lfd_check_report_new(&cr, &err), &err);
            if (!cr)
                break;
            lfd_check_opts o;
            lfd_check_opts_init(&o);
            o.sole_tilt_m = strict ? 0.01 : 0;
            CHECK_OK(lfd_check_run(r, &m, &o, cr, &err), &err);
            fprintf(stderr, "%s on g1, --sole-tilt %.2f: %s, help %.3f, load on corners off the floor %.2f "
                            "(%d frames)\n", name, o.sole_tilt_m, lfd_check_verdict_name(cr->verdict),
                    cr->assist_max, cr->hover_load_max, cr->hover_frames);
            if (!strict) {
                CHECK_EQ_INT(cr->verdict, LFD_CHECK_WARN);
                CHECK(cr->hover_load_max > 0.3 && cr->hover_frames > 10);
            } else {
                CHECK_EQ_INT(cr->verdict, strict_fails ? LFD_CHECK_FAIL : LFD_CHECK_WARN);
                CHECK(cr->assist_max <= (strict_fails ? 0.2 : 0.05));
            }
            lfd_check_report_free(&cr);
        }
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}
TEST(retarget_support_model_xia_walk_g1) { walk_support_g1("xia_cmuskel_neutral_walk.bvh", 0); }
TEST(retarget_support_model_bandai1_walk_g1) { walk_support_g1("bandai1_walk_normal_001.bvh", 1); }

/* H1 (40 N m ankles) on LAFAN1's walk: the first H1 walk with no failure;
   before the last correction on the exact support its back foot, on its
   toe edge at frame 60, asked its ankle for 1.58 of the limit.  Unfiltered
   it needed 0.15 body weights of help until the feet step held planted
   feet to their lift-off (0.065 since), so the filter has less to halve. */
TEST(retarget_dynamics_filter_lafan1_walk_h1)
{
    walk_on("h1", "lafan1_walk1_subject1_first91.bvh", 0.05, 0);
}

/* H1's bandai2 walk-turn: the last, direct step of the filter on the
   exact support (the root moved and the legs putting the feet back, no
   feet step after it) lifted the right foot, standing on its toe edge in
   the push-off, 2.0 cm off the floor at frame 59 while the person's toe
   was down: the robot's leg, planar below the hip roll, does not reach
   where the root went.  lfd check lets a sole corner carry load within
   2 cm of the floor, so that frame had one foot and asked 0.20 body
   weights of help.  The filter now refuses a step that lifts a planted
   foot's lowest corner more than LFD_RETARGET_PIN_LIFT_CAP_M off the
   floor: the help is the 5 % at most, and no planted foot is over
   1 cm up.  (The refused step had lowered the ankle's torque peak from
   1.72 to 1.06 of its limit; this walk fails on it either way.)  With the
   clip's last frame kept (docs/retarget.md part 30) the first direct step
   passed the slide cap by 0.1 mm and the help was 0.07, until a refused
   direct step was tried again at half and a quarter of its shift: 0.04. */
TEST(retarget_dynamics_filter_keeps_planted_feet_down_bandai2_walk_h1)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("h1", "bandai2_walk_turn_left_normal_001.bvh", &r, &h))
        return;
    double assist[2] = {0};
    int nfail[2] = {0};
    lfd_retarget_report rep[2];
    if (without_and_with(r, &h, assist, nfail, rep)) {
        fprintf(stderr, "bandai2 h1: help %.3f -> %.3f bw, planted feet up to %.1f -> %.1f mm\n", assist[0],
                assist[1], 1000 * rep[0].pin_lift_max_m, 1000 * rep[1].pin_lift_max_m);
        CHECK(rep[1].pin_lift_max_m <= LFD_RETARGET_PIN_LIFT_CAP_M);
        CHECK(assist[1] <= 0.05);
        /* the report's root shift is the kept motion's: 7.9 cm; the
           refused second last step (the lift cap) moved it 11.8 cm, which
           the report used to give */
        fprintf(stderr, "bandai2 h1: root shift %.1f cm (second last step: %s)\n",
                100 * rep[1].zmp_shift_max_m, rep[1].zmp_direct_stop[1].why == LFD_RT_DYN_LIFT ? "lift" : "other");
        if (rep[1].zmp_direct_stop[1].why == LFD_RT_DYN_LIFT)
            CHECK(rep[1].zmp_shift_max_m < 0.10);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* lfd's own procedural walk (no ../shared needed) onto G1 at 30 fps: the
   filter's first round brings the ZMPs much closer to their support but
   lets a planted foot slide 1.6 cm, past the rounds' 1.5 cm cap; it used
   to be refused outright and the filter then did nothing at all (root
   shift 0, help 0.17 body weights as without it).  Tried again at half
   its shift it was kept: the root moved 8 cm at most, the feet stayed
   within the cap (1.4 cm) and the help fell to 0.07.  Today's pipeline:
   root shift 3 cm, slide 0.4 cm, help 0.32 -> 0.00 (30 and 120 fps). */
/* lfd's procedural walk (4 s) onto G1 at fps with and without the filter:
   the filter ran and kept a round, moved the root by centimetres, kept the
   planted feet within the rounds' slide cap and lowered the help.  The
   procedural person shuffles: its swinging foot skims the floor on the
   robot and, within the check's 2 cm contact height, carries part of the
   load.  Lifted by the swing clearance (--swing-clearance-m 0.04, part
   14), single support shows as it is: 0.13 body weights of help with the
   filter or without at 120 fps (at 5 mm contact height the skimming walk
   needs 0.34), so no root path carries it; the filter is judged here on
   the walk with the clearance off (the default since part 19 is on). */
static void synthetic_walk_g1_at(double fps)
{
    if (lfd_test_under_valgrind())
        SKIP("a whole clip through the dynamics filter is too slow under Valgrind");
    lfd_err err = {0};
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, "g1", &err), &err);
    lfd_human h;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 4, .fps = 120};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    if (!r)
        return;
    double assist[2] = {0}, shift = 0, slide = 1;
    int nfail[2];
    lfd_retarget_report rep[2];
    if (without_and_with_swing(r, &h, fps, 0, assist, nfail, rep)) {
        shift = rep[1].zmp_shift_max_m;
        slide = rep[1].foot_slide_max_m;
        /* the report says the filter ran and what it kept */
        CHECK(!rep[0].zmp_filter_ran && rep[1].zmp_filter_ran);
        CHECK(rep[1].zmp_rounds_kept >= 1);
        check_filter_account(&rep[0]);
        check_filter_account(&rep[1]);
        fprintf(stderr, "synthetic walk g1 at %.0f fps: help %.3f -> %.3f bw, root shift %.3f m, "
                        "slide %.4f m (%.4f without the filter)\n",
                fps, assist[0], assist[1], shift, slide, rep[0].foot_slide_max_m);
    }
    CHECK(shift > 0.01);
    CHECK(slide <= 0.015 + 1e-9);
    CHECK(assist[1] < assist[0]);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

TEST(retarget_dynamics_filter_retries_a_refused_round) { synthetic_walk_g1_at(30); }

/* CMU 13_01 (a person sits down on a stool, stands, sits with the feet on
   its rung) onto G1 at 30 fps: the frames that need support (the seat
   carries them) get no ZMP target, so the filter neither bends them nor
   spends its rounds on them.  Their ZMP is metres from the feet; while the
   filter pulled at them too, every round was refused and the standing
   parts kept 0.14 body weights of help.  Now a round is kept, the help
   outside the seated ranges falls to 0.00, and the root in the seated
   ranges (0.5 s in from their ends) stays where the unfiltered motion has
   it. */
TEST(retarget_dynamics_filter_leaves_seated_frames)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("g1", "cmu_daz_13_01_sit_on_stool.bvh", &r, &h))
        return;
    lfd_err err = {0};
    lfd_motion m[2];
    lfd_retarget_report rep[2];
    double assist[2] = {-1, -1};
    int nfail[2], ok = 1;
    for (int f = 0; f < 2 && ok; f++) {
        lfd_retarget_opts o;
        lfd_retarget_opts_init(&o);
        o.progress = 0;
        o.fps = 30;
        o.zmp_filter = f;
        ok = lfd_retarget_human(r, &h, &o, &m[f], &rep[f], &err) == LFD_OK;
        CHECK_OK(ok ? LFD_OK : err.code, &err);
        if (ok)
            assist[f] = assist_of(r, &m[f], &nfail[f]);
        else if (f)
            lfd_motion_free(&m[0]);
    }
    if (!ok)
        goto out;
    double dev = 0;
    int inside = 0;
    CHECK(rep[1].support.nranges >= 2); /* seated twice */
    for (int i = 0; i < rep[1].support.nranges; i++)
        for (int k = rep[1].support.r[i].first + 15; k <= rep[1].support.r[i].last - 15; k++) {
            const double *a = lfd_motion_frame(&m[0], k), *b = lfd_motion_frame(&m[1], k);
            dev = fmax(dev, hypot(a[0] - b[0], a[1] - b[1]));
            inside++;
        }
    fprintf(stderr, "sit on stool g1: help outside the seated ranges %.3f -> %.3f bw, rounds kept "
                    "%d, root shift %.3f m, seated root moved %.4f m over %d frames\n",
            assist[0], assist[1], rep[1].zmp_rounds_kept, rep[1].zmp_shift_max_m, dev, inside);
    CHECK(inside > 100);
    CHECK(dev <= 0.001);
    CHECK(rep[1].zmp_rounds_kept >= 1);
    /* the report counts the frames the filter left alone (its ranges are
       the motion's before the filter: within a few frames of the written
       motion's) */
    CHECK(abs(rep[1].zmp_left_frames - rep[1].support.frames) <= 10);
    CHECK(rep[0].zmp_left_frames == 0);
    /* unfiltered it needs help outside the seated ranges (0.066 since the
       check's help QP is solved to its minimum; 0.1 and more before) */
    CHECK(assist[0] > 0.05);
    CHECK(assist[1] <= 0.05);
    lfd_motion_free(&m[0]);
    lfd_motion_free(&m[1]);
out:
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* The sitting clip at its own rate (120 Hz, solved at 30 Hz and splined):
   the filter's ZMP targets reach one solved frame into each seated range,
   so the correction does not turn on the range's first solved frame, where
   the spline would spread that turn over the supported output frames just
   before it.  With the edge frames left free, G1 needed 0.12-0.30 body
   weights of help at frames 1525-1529 (fail on 3 draws of 5); then 0.02-0.05
   (docs/retarget.md, part 10), and 0.04-0.17 since part 15 (median 0.05;
   the slide that decides which filter rounds are kept is measured on the
   edge a foot stands on): 0.17 on the file as it is, at frame 1525, two
   frames before the range, a warning.  No draw fails. */
TEST(retarget_dynamics_filter_sitting_at_its_own_rate)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("g1", "cmu_daz_13_01_sit_on_stool.bvh", &r, &h))
        return;
    lfd_motion m;
    lfd_retarget_report rep;
    if (retarget_defaults(r, &h, 0, -1, &m, &rep) == LFD_OK) {
        int nfail;
        double a = assist_of(r, &m, &nfail);
        fprintf(stderr, "sit on stool g1 at %g fps (solved at %g): help outside the seated ranges "
                        "%.3f bw, %d failures, %d needs-support ranges\n",
                rep.fps, rep.solve_fps, a, nfail, rep.support.nranges);
        CHECK(rep.fps > 100 && rep.solve_fps < rep.fps);
        CHECK(rep.support.nranges >= 2);
        CHECK(a >= 0 && a <= 0.2);
        CHECK_EQ_INT(nfail, 0);
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* Above 30 fps the filter solves the legs on every stride-th frame only
   (30 Hz or more) and blends their corrections in between.  lfd's
   procedural walk onto G1 at 120 Hz: the filter still keeps its rounds,
   moves the root by centimetres and keeps the planted feet within the
   rounds' slide cap on every frame, solved or blended (with the blended
   frames' corrections left out, their feet would move with the root). */
TEST(retarget_dynamics_filter_at_120_hz_keeps_the_feet) { synthetic_walk_g1_at(120); }

/* The xia walk onto G1 at its own 120 Hz: solved at 30 Hz and splined
   (docs/retarget.md part 8), lfd check at 120 Hz finds no failure, the
   filter's rounds are kept (each one only if it brought the ZMPs closer to
   their support), the help stays under 0.1 body weights, and the hands and
   feet keep the 30 fps limits.  (The help with and without the filter is
   not compared: both are near 0.05 and move by +-0.02 between copies of
   the file moved by under a micrometre, docs/retarget.md part 17.) */
TEST(retarget_dynamics_filter_xia_walk_g1_at_120_hz)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("g1", "xia_cmuskel_neutral_walk.bvh", &r, &h))
        return;
    CHECK_NEAR(h.fps, 120, 0.01);
    double assist[2] = {0};
    int nfail[2] = {0};
    lfd_retarget_report rep[2];
    if (without_and_with_at(r, &h, 0, assist, nfail, rep)) {
        fprintf(stderr, "xia g1 at 120 Hz: help %.3f -> %.3f bw, failures %d -> %d, acc p99 %.0f, "
                        "hands %.3f m, slide %.4f m\n",
                assist[0], assist[1], nfail[0], nfail[1], rep[1].acc_p99_rad_s2,
                rep[1].hand_err_mean_m, rep[1].foot_slide_max_m);
        CHECK_NEAR(rep[1].fps, 120, 0.01); /* the file's Frame Time is 0.008333 s */
        CHECK_NEAR(rep[1].solve_fps, rep[1].fps / 4, 1e-9);
        CHECK_EQ_INT(nfail[1], 0);
        CHECK(rep[1].zmp_rounds_kept >= 1);
        CHECK(assist[1] <= 0.1);
        CHECK(rep[1].hand_err_mean_m <= 0.02);
        CHECK(rep[1].foot_slide_max_m <= 0.02);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* H1 (40 N m ankles) on bandai1's walk with `--time-scale auto`, issue 15's
   other way to pass: the report says what it did, and it agrees with the
   check it prints.  Either a factor in (1, 2] was applied and lfd check
   finds no failure in the slowed motion, or none fits: the motion is
   written at its own pace (factor 1), the factor needed is 0 and its
   torque stays over the limit.  Until part 15 of docs/retarget.md this walk
   fitted at 1.3x on 1 input of 5 (its ankles asked 1.02 of their limit at
   its own pace, 0.97 at 1.3x); with its soles pinned at the roll its hips
   give them, it asks 1.34 at the push-offs and fits at no factor up to 2
   (a ZMP at the toe, which slowing down does not move).  The positive case
   with a known answer is retarget_time_scale_auto_slows_by_the_factor_it_reports. */
TEST(retarget_time_scale_auto_reports_what_it_did_on_h1_bandai1_walk)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    if (lfd_test_under_valgrind())
        SKIP("retargets a real clip at several rates: too slow under Valgrind");
    static char out[65536], args[4096];
    snprintf(args, sizeof args,
             "retarget %s/bandai1_walk_normal_001.bvh --robot h1 --out-fps 30 -o %s/b1.csv "
             "--time-scale auto --json",
             dir, lfd_test_tmpdir());
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    const char *ck = strstr(out, "\"check\"");
    CHECK(ck != NULL);
    if (!ck)
        return;
    const char *v = strstr(ck, "\"verdict\": \""), *ts = strstr(ck, "\"time_scale\": "),
               *tn = strstr(ck, "\"time_scale_needed\": "), *tr = strstr(ck, "\"torque_ratio_max\": ");
    CHECK(v != NULL && ts != NULL && tn != NULL && tr != NULL);
    if (!v || !ts || !tn || !tr)
        return;
    v += strlen("\"verdict\": \"");
    double f = atof(ts + strlen("\"time_scale\": ")), need = atof(tn + strlen("\"time_scale_needed\": "));
    double torque = atof(tr + strlen("\"torque_ratio_max\": "));
    fprintf(stderr, "bandai1 walk on h1, --time-scale auto: slowed %.2fx (needed %.2f), torque %.2f of "
                    "the limit, verdict %.4s\n", f, need, torque, v);
    if (f > 1) {
        CHECK(f <= 2 + 1e-9);
        CHECK_NEAR(need, f, 1e-9);
        CHECK(strncmp(v, "fail", 4) != 0);
        CHECK(torque <= 1);
    } else {
        CHECK_NEAR(f, 1, 1e-12);
        CHECK_NEAR(need, 0, 1e-12);
        CHECK(torque > 1);
        CHECK(strncmp(v, "fail", 4) == 0);
        /* and it says why slowing down does not help: the walk leans on its
           momentum (H1's ankles held still at those poses ask more than the
           motion at its pace) */
        const char *mf = strstr(ck, "\"momentum_frames\": ");
        CHECK(mf != NULL);
        if (mf)
            CHECK(atoi(mf + strlen("\"momentum_frames\": ")) > 0);
        /* lfd check on the written motion says at each failing torque peak
           what the still pose asks and whether slowing down fits it */
        snprintf(args, sizeof args, "check %s/b1.csv --robot h1 --in-fps 30", lfd_test_tmpdir());
        lfd_test_run_lfd(args, out, sizeof out);
        CHECK(strstr(out, "torque") != NULL && strstr(out, "held still the pose asks") != NULL);
    }
}

/* The arms' guard eases each frame's correction in and out; where two
   frames' windows overlap with corrections of opposite sign, it took the
   larger, so the joint switched from one to the other within a frame: G1's
   bend-scoop-lift at its own 120 Hz, the right elbow 0.12 rad in one frame
   at frame 1466 (1764 rad/s^2), 0.74 body weights of help and 2.75 times
   a torque limit there (H1's: the elbow at 12.5 times its limit).  The
   positive and the negative parts are eased separately now, and added.
   On the file as it is: no joint of the arms above 500 rad/s^2, no
   external help, no torque over 1.5 of a limit. */
TEST(retarget_arms_guard_eases_without_a_jump_bend_scoop_g1_120_hz)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("g1", "cmu_daz_02_06_bend_scoop_lift.bvh", &r, &h))
        return;
    lfd_err err = {0};
    lfd_motion m;
    lfd_retarget_report rep;
    if (retarget_defaults(r, &h, 0, -1, &m, &rep) == LFD_OK) {
        double worst = 0;
        int wj = -1, wf = -1;
        for (int j = 0; j < r->njoints; j++) {
            if (lfd_rt_joint_leg_side(r, j) >= 0)
                continue;
            size_t a = (size_t)r->joints[j].qpos_adr;
            for (int k = 1; k + 1 < m.nframes; k++) {
                double acc = fabs(lfd_motion_frame(&m, k + 1)[a] - 2 * lfd_motion_frame(&m, k)[a] +
                                  lfd_motion_frame(&m, k - 1)[a]) * m.fps * m.fps;
                if (acc > worst)
                    worst = acc, wj = j, wf = k;
            }
        }
        double help = -1, torque = INFINITY;
        lfd_check_report *cr = NULL;
        CHECK_OK(lfd_check_report_new(&cr, &err), &err);
        if (cr && lfd_check_run(r, &m, NULL, cr, &err) == LFD_OK) {
            help = cr->assist_max;
            torque = 0;
            for (int j = 0; j < r->njoints; j++)
                if (r->joints[j].torque_max > 0)
                    torque = fmax(torque, cr->joint[j].torque_peak / r->joints[j].torque_max);
        }
        lfd_check_report_free(&cr);
        fprintf(stderr, "bend-scoop-lift g1 at %g fps: arms' guard on %d frames; largest arm joint "
                        "acceleration %.0f rad/s^2 (%s, frame %d); help %.3f bw, torque %.2f of a limit\n",
                m.fps, rep.arms_guard_frames, worst, wj >= 0 ? r->joints[wj].name : "-", wf, help, torque);
        CHECK(m.fps > 100);
        CHECK(rep.arms_guard_frames > 0);
        CHECK(worst < 500);
        CHECK(help >= 0 && help <= 0.05);
        CHECK(torque < 1.5);
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* The default output lifts the swinging feet (docs/retarget.md part 19):
   G1's bandai1 walk at 30 fps has 12 swings between contact phases; by
   default none passes under 1 cm in its middle half (1.4 cm at least),
   with --swing-clearance-m 0 all do (they skim the floor at up to 4 m/s). */
TEST(retarget_default_lifts_the_swinging_feet_bandai1_g1)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("g1", "bandai1_walk_normal_001.bvh", &r, &h))
        return;
    lfd_retarget_report rep[2];
    for (int off = 0; off < 2; off++) {
        lfd_motion m;
        if (retarget_defaults(r, &h, 30, off ? 0 : -1, &m, &rep[off]) == LFD_OK)
            lfd_motion_free(&m);
    }
    fprintf(stderr, "bandai1 walk g1 at 30 fps: %d swings; under 1 cm in mid-swing %d by default "
                    "(lowest %.1f cm), %d without the clearance (lowest %.1f cm)\n",
            rep[0].swings, rep[0].swings_low, 100 * rep[0].swing_low_min_m, rep[1].swings_low,
            100 * rep[1].swing_low_min_m);
    CHECK(rep[0].swings >= 10 && rep[1].swings == rep[0].swings);
    CHECK_EQ_INT(rep[0].swings_low, 0);
    CHECK(rep[0].swing_low_min_m > 0.01);
    CHECK_EQ_INT(rep[1].swings_low, rep[1].swings);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* The first real walk that lfd's standard tracking controller carries
   through (docs/check.md): the xia walk onto G1 at 30 fps, default options
   (its swinging feet lifted, docs/retarget.md part 19), stays up for the
   whole clip in MuJoCo on the file as it is and on 4 perturbed draws of
   it.  The controller has no feedback on the root, so the root drifts
   1.4-1.5 m from the reference's.  With the feet skimming, it fell at
   1.10 s. */
TEST(retarget_xia_walk_g1_stays_up_under_track)
{
    lfd_robot *r;
    lfd_human h;
    if (!shared_clip_on("g1", "xia_cmuskel_neutral_walk.bvh", &r, &h))
        return;
    lfd_err err = {0};
    lfd_motion m;
    lfd_retarget_report rep;
    lfd_check_report *cr = NULL;
    if (retarget_defaults(r, &h, 30, -1, &m, &rep) == LFD_OK) {
        lfd_check_opts co;
        lfd_check_opts_init(&co);
        co.checks = 1u << LFD_CG_TRACK;
        CHECK_OK(lfd_check_report_new(&cr, &err), &err);
        if (cr && lfd_check_run(r, &m, &co, cr, &err) == LFD_OK) {
            fprintf(stderr, "xia walk g1 at 30 fps under --track (%.2f s): %s %.2f s, root %.2f m "
                            "from the reference at most, joints %.3f rad RMS\n",
                    (m.nframes - 1) / m.fps, cr->track.fell ? "fell at" : "up for",
                    cr->track.fell ? cr->track.fall_time_s : (m.nframes - 1) / m.fps,
                    cr->track.root_err_max_m, cr->track.joint_err_rms_mean);
            CHECK(cr->track.ran);
            CHECK(!cr->track.fell);
            CHECK_EQ_INT(cr->track.frames_tracked, m.nframes);
        }
        lfd_check_report_free(&cr);
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}
