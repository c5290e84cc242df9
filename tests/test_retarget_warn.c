/*  Poor retargeting results say so (issue 21): the report's figures beyond
    their thresholds become warning lines, `--json` carries them under
    "warnings", and `lfd retarget --strict` exits 1 on any of them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_buf.h"
#include "core/lfd_json.h"
#include "core/lfd_prov.h"
#include "ingest/lfd_synth.h"
#include "retarget/lfd_retarget.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"
#include "tests/lfd_test.h"

TEST(retarget_warnings_follow_the_thresholds)
{
    lfd_retarget_report rep;
    memset(&rep, 0, sizeof rep);
    rep.frames = 100;
    rep.hand_err_mean_m = 0.01;
    rep.limit_hit_frames = 10;
    rep.root_jump_max_m = 0.002;
    rep.acc_p99_rad_s2 = 40;
    rep.foot_slide_max_m = 0.004;
    rep.floor_pen_max_m = 0.001;
    rep.stance_roll_mean_rad = 0.05;
    rep.stance_roll_max_rad = 0.2;
    char w[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN];
    CHECK_EQ_INT(lfd_retarget_report_warnings(&rep, w), 0);
    /* each figure just past its threshold adds exactly its own line */
    struct { double *v; double past; const char *word; } f[] = {
        {&rep.hand_err_mean_m, LFD_RETARGET_WARN_HAND_M + 1e-3, "hands"},
        {&rep.root_jump_max_m, LFD_RETARGET_WARN_ROOT_JUMP_M + 1e-4, "root jumps"},
        {&rep.acc_p99_rad_s2, LFD_RETARGET_WARN_ACC_P99 + 1, "acceleration"},
        {&rep.foot_slide_max_m, LFD_RETARGET_WARN_SLIDE_M + 1e-3, "slides"},
        {&rep.floor_pen_max_m, LFD_RETARGET_WARN_FLOOR_M + 1e-3, "below the floor"},
        {&rep.stance_roll_mean_rad, LFD_RETARGET_WARN_STANCE_ROLL_RAD + 1e-3, "stand on an edge"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        double keep = *f[i].v;
        *f[i].v = f[i].past;
        int n = lfd_retarget_report_warnings(&rep, w);
        CHECK_EQ_INT(n, 1);
        if (n == 1)
            CHECK_CONTAINS(w[0], f[i].word);
        *f[i].v = keep;
    }
    rep.limit_hit_frames = 30;
    CHECK_EQ_INT(lfd_retarget_report_warnings(&rep, w), 1);
    CHECK_CONTAINS(w[0], "range bound in 30 %");
}

/* the report as printed (malloc'd; NULL if no memory stream) */
static char *report_text(const lfd_retarget_report *rep)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp)
        return NULL;
    lfd_retarget_report_print(rep, fp);
    fclose(fp);
    return text;
}

/* The report says what stopped the dynamics filter: the round that ended
   its rounds and each last step, kept or the cap it would have passed, the
   figure and the cap printed with the decimals that tell them apart; the
   same under --json's words. */
TEST(retarget_report_says_what_stopped_the_filter)
{
    lfd_retarget_report rep = {
        .zmp_filter_ran = 1,
        .zmp_rounds_kept = 2,
        .zmp_direct_kept = 1,
        .zmp_rounds_stop = {3, LFD_RT_DYN_SLIDE, 0.0162, 0.015},
        .zmp_direct_stop = {{1, LFD_RT_DYN_ACC, 72.94, 72.93}, {2, LFD_RT_DYN_KEPT, 0, 0}},
    };
    char *text = report_text(&rep);
    CHECK(text != NULL);
    if (text) {
        CHECK_CONTAINS(text, "rounds kept 2, last steps kept 1");
        CHECK_CONTAINS(text, "rounds: round 3 not kept (planted-foot slide would be 1.6 cm, cap 1.5)");
        CHECK_CONTAINS(text, "1 not kept (joint acceleration p99 would be 72.94 rad/s^2, cap 72.93), 2 kept");
    }
    free(text);
    /* all rounds kept, nothing left for the last steps; and the words of --json */
    rep.zmp_rounds_stop = (lfd_retarget_dyn_stop){3, LFD_RT_DYN_KEPT, 0, 0};
    rep.zmp_direct_stop[0] = rep.zmp_direct_stop[1] = (lfd_retarget_dyn_stop){1, LFD_RT_DYN_DONE, 0, 0};
    text = report_text(&rep);
    CHECK(text != NULL);
    if (text)
        CHECK_CONTAINS(text, "rounds: all 3 kept; last steps: 1 nothing left to correct, 2 nothing left to correct");
    free(text);
    CHECK(!strcmp(lfd_rt_dyn_why_name(LFD_RT_DYN_SLIDE), "slide"));
    CHECK(!strcmp(lfd_rt_dyn_why_name(LFD_RT_DYN_NOT_TRIED), "not_tried"));
}

TEST(retarget_strict_exits_1_on_a_poor_result)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    static char out[65536], args[4096];
    /* the bend-scoop-lift on h1: a planted foot slides beyond its threshold
       (3.4 cm; until H1's landing correction moved into the swing, the
       bandai1 walk's 1.7 cm served here: 0.95 cm since, docs/retarget.md
       part 22) */
    snprintf(args, sizeof args,
             "retarget %s/cmu_daz_02_06_bend_scoop_lift.bvh --robot h1 -o %s/step.lfdm --out-fps 30",
             dir, lfd_test_tmpdir());
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "warning: a planted foot slides");
    snprintf(args + strlen(args), sizeof args - strlen(args), " --strict");
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1);
    snprintf(args + strlen(args), sizeof args - strlen(args), " --json");
    lfd_test_run_lfd(args, out, sizeof out);
    CHECK_CONTAINS(out, "\"warnings\": [");
    /* the drink-soda clip on g1 is within every threshold: --strict passes */
    snprintf(args, sizeof args,
             "retarget %s/cmu_daz_14_04_drink_soda.bvh --robot g1 -o %s/soda.lfdm --out-fps 30 --strict",
             dir, lfd_test_tmpdir());
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
}

/* Root speed against the person's (issue 21): lfd_retarget_root_travel on a
   retargeted synthetic walk, then on the same motion with its root's
   horizontal path shrunk to half and stretched to 1.5x about frame 0: the
   known answers are 1, 0.5 and 1.5 of the untouched ratio.  The report
   warns past LFD_RETARGET_WARN_SPEED_LO / _HI, and a standing person is not
   judged. */
TEST(retarget_root_speed_against_the_persons)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, "h1", &err), &err);
    if (!r)
        return;
    lfd_human h;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 4, .fps = 60};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.fps = 30;
    lfd_motion m;
    lfd_retarget_report rep;
    CHECK_OK(lfd_retarget_human(r, &h, &o, &m, &rep, &err), &err);
    char w[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN];
    if (m.nframes) {
        /* the walk covers ground; the robot follows it at its own size */
        CHECK(rep.root_speed_judged);
        CHECK(rep.human_travel_m > 2 * LFD_RETARGET_TRAVEL_MIN_M);
        CHECK(rep.root_speed_ratio > 0.9 && rep.root_speed_ratio < 1.1);
        int n = lfd_retarget_report_warnings(&rep, w);
        for (int i = 0; i < n; i++)
            CHECK(strstr(w[i], "root speed") == NULL);
        double base = rep.root_speed_ratio, s_xy = rep.human_travel_m;
        lfd_retarget_report t; /* at scale 1 the person's travel gives the retargeter's scale */
        memset(&t, 0, sizeof t);
        lfd_retarget_root_travel(&h, &m, 1.0, 0, &t);
        s_xy /= t.human_travel_m;
        CHECK_NEAR(t.root_travel_m, rep.root_travel_m, 1e-9);
        /* the root's path shrunk to half, then stretched to 1.5x */
        double x0 = lfd_motion_frame(&m, 0)[0], y0 = lfd_motion_frame(&m, 0)[1];
        double f[2] = {0.5, 3.0}; /* 0.5, then 0.5 * 3 = 1.5 */
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < m.nframes; k++) {
                double *q = lfd_motion_frame(&m, k);
                q[0] = x0 + f[pass] * (q[0] - x0);
                q[1] = y0 + f[pass] * (q[1] - y0);
            }
            double want = pass ? 1.5 : 0.5;
            lfd_retarget_root_travel(&h, &m, s_xy, 0, &t);
            CHECK(t.root_speed_judged);
            CHECK_NEAR(t.root_speed_ratio, want * base, 1e-6);
            t.frames = m.nframes;
            CHECK_EQ_INT(lfd_retarget_report_warnings(&t, w), 1);
            CHECK_CONTAINS(w[0], "root speed");
            char said[64];
            snprintf(said, sizeof said, "root speed %.2f of the person's", want * base);
            CHECK_CONTAINS(w[0], said);
        }
        /* upper body: the root is held on purpose, not judged */
        lfd_retarget_root_travel(&h, &m, s_xy, 1, &t);
        CHECK(!t.root_speed_judged);
        CHECK_EQ_INT(lfd_retarget_report_warnings(&t, w), 0);
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    /* a person standing still travels under the minimum: not judged */
    so.task = LFD_SYNTH_STAND;
    so.seconds = 3;
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    CHECK_OK(lfd_retarget_human(r, &h, &o, &m, &rep, &err), &err);
    if (m.nframes) {
        CHECK(!rep.root_speed_judged);
        CHECK(rep.human_travel_m < LFD_RETARGET_TRAVEL_MIN_M);
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* The real case: H1 on CMU's bend-scoop-lift covers two thirds of the
   ground the person does at its size (a joint at a bound in most frames):
   a root-speed warning line, in --json "root_speed_ratio" and "warnings",
   and --strict exits 1.  G1 on the same clip follows (no root-speed line). */
TEST(retarget_root_speed_warns_on_real_mocap)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    static char out[65536], args[4096];
    snprintf(args, sizeof args,
             "retarget %s/cmu_daz_02_06_bend_scoop_lift.bvh --robot h1 -o %s/bend.lfdm --out-fps 30 --json --strict",
             dir, lfd_test_tmpdir());
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1);
    CHECK_CONTAINS(out, "\"root_speed_ratio\": 0.");
    CHECK_CONTAINS(out, "\"root speed 0.");
    /* G1 on the same clip follows the person (the library, without lfd check) */
    lfd_robot *r = NULL;
    lfd_err err = {0};
    char path[1200];
    snprintf(path, sizeof path, "%s/cmu_daz_02_06_bend_scoop_lift.bvh", dir);
    CHECK_OK(lfd_robot_load(&r, "g1", &err), &err);
    lfd_human h;
    CHECK_OK(lfd_human_load(&h, path, NULL, &err), &err);
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.fps = 30;
    o.progress = 0;
    lfd_motion m;
    lfd_retarget_report rep;
    if (r && h.nframes) {
        CHECK_OK(lfd_retarget_human(r, &h, &o, &m, &rep, &err), &err);
        CHECK(rep.root_speed_judged);
        CHECK(rep.root_speed_ratio >= LFD_RETARGET_WARN_SPEED_LO && rep.root_speed_ratio <= LFD_RETARGET_WARN_SPEED_HI);
        lfd_motion_free(&m);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* `--time-scale auto` (issue 15): lfd's procedural walk played 2.5 times
   as fast (frame time x 0.4) onto G1 asks its ankles for more than their
   torque (1.19 of the limit); the report names the smallest factor of
   1.1-2 whose torques fit (1.1 here), and with --time-scale auto the
   written motion is that much longer and lfd check finds no torque failure
   in it.  (At 2x it fits as it is since the swinging legs' smoothing was
   capped: 0.71.)  The factors are all tried from the smallest: the torques
   do not fall monotonically with the slow-down (on H1 this walk at 2x its
   pace fits slowed 1.1x, at its own pace it asks 1.91 of the limit), so no
   shortcut from the largest is taken. */
TEST(retarget_time_scale_auto_slows_by_the_factor_it_reports)
{
    if (lfd_test_under_valgrind())
        SKIP("retargets a clip at up to eight rates: too slow under Valgrind");
    lfd_err err = {0};
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 4, .fps = 120};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    b.frame_time_s *= 0.4;
    static char out[65536], args[4096], in[1024], a[1024], sl[1024];
    snprintf(in, sizeof in, "%s/fast_walk.bvh", lfd_test_tmpdir());
    snprintf(a, sizeof a, "%s/as_is.lfdm", lfd_test_tmpdir());
    snprintf(sl, sizeof sl, "%s/slowed.lfdm", lfd_test_tmpdir());
    CHECK_OK(lfd_bvh_write(&b, in, NULL, &err), &err);
    lfd_bvh_free(&b);
    snprintf(args, sizeof args, "retarget %s --robot g1 -o %s --out-fps 30 --json", in, a);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    const char *p = strstr(out, "\"time_scale_needed\":");
    double need = p ? atof(p + strlen("\"time_scale_needed\":")) : 0;
    CHECK(strstr(out, "\"time_scale\": 1,") != NULL);
    CHECK(need > 1 && need <= 2);
    snprintf(args, sizeof args, "retarget %s --robot g1 -o %s --out-fps 30 --time-scale auto", in, sl);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "(--time-scale auto) so the torques fit");
    /* one file and --jobs 2 (the default): its slow-downs are tried on two
       threads; on one (--jobs 1) the same factor and the same motion */
    static char sl1[1024];
    snprintf(sl1, sizeof sl1, "%s/slowed_one_thread.lfdm", lfd_test_tmpdir());
    snprintf(args, sizeof args, "retarget %s --robot g1 -o %s --out-fps 30 --time-scale auto --jobs 1", in, sl1);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    lfd_motion ma, ms, ms1;
    CHECK_OK(lfd_motion_read(&ms1, sl1, &err), &err);
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, "g1", &err), &err);
    CHECK_OK(lfd_motion_read(&ma, a, &err), &err);
    CHECK_OK(lfd_motion_read(&ms, sl, &err), &err);
    if (!r || !ma.nframes || !ms.nframes)
        return;
    fprintf(stderr, "fast walk on g1: slowed %.2fx, %d -> %d frames\n", need, ma.nframes, ms.nframes);
    CHECK(fabs(ms.nframes - need * ma.nframes) <= 2);
    /* the provenance names the recording's own rate and the slow-down (it
       said the slowed rate as the source's, and no slow-down: found by
       review) */
    {
        char pj[1 << 16];
        lfd_buf pb;
        lfd_buf_init_fixed(&pb, (uint8_t *)pj, sizeof pj - 1);
        lfd_jw jw;
        lfd_jw_init_buf(&jw, &pb, 0);
        CHECK_OK(lfd_prov_to_json(&ms.prov, &jw, &err), &err);
        lfd_jw_finish(&jw);
        pj[pb.len < sizeof pj ? pb.len : sizeof pj - 1] = '\0';
        char want[64];
        snprintf(want, sizeof want, "\"time_scale\":%g", need);
        CHECK_CONTAINS(pj, want);
        const char *sf = strstr(pj, "\"source_fps\":");
        CHECK(sf && fabs(atof(sf + 13) - 300) < 0.01); /* 120 Hz played 2.5x as fast */
    }
    CHECK_EQ_INT(ms1.nframes, ms.nframes);
    CHECK(ms1.nframes == ms.nframes && ms1.nq == ms.nq &&
          !memcmp(ms1.qpos, ms.qpos, (size_t)ms.nframes * (size_t)ms.nq * sizeof(double)));
    lfd_motion_free(&ms1);
    lfd_check_report *cr = NULL;
    CHECK_OK(lfd_check_report_new(&cr, &err), &err);
    lfd_check_opts co;
    lfd_check_opts_init(&co);
    co.checks = 1u << LFD_CG_TORQUE;
    CHECK_OK(lfd_check_run(r, &ms, &co, cr, &err), &err);
    for (int i = 0; cr && i < cr->nfindings; i++)
        CHECK(cr->finding[i].severity != LFD_CHECK_FAIL);
    lfd_check_report_free(&cr);
    lfd_motion_free(&ma);
    lfd_motion_free(&ms);
    lfd_robot_free(&r);
}

/* A limb bone of the person with no length (a zero OFFSET) is refused with
   the bone named and no file written.  Before, its scale fell back to 1, the
   ankle's target sat on the knee's and the motion was written with exit 0:
   on LAFAN1's walk the left foot 25 cm from its target, a planted foot 8 cm
   up, with only those symptoms warned (review). */
TEST(retarget_refuses_a_limb_bone_of_no_length)
{
    char bvh[1024], bad[1024], outp[1024], args[4096];
    static char out[65536];
    snprintf(bvh, sizeof bvh, "%s/walk.bvh", lfd_test_tmpdir());
    snprintf(bad, sizeof bad, "%s/walk_zero_shank.bvh", lfd_test_tmpdir());
    snprintf(outp, sizeof outp, "%s/zero_shank.csv", lfd_test_tmpdir());
    snprintf(args, sizeof args, "human synth --task walk --seconds 2 -o %s", bvh);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    /* the synthetic rig's l_ankle OFFSET (the shank) set to zero */
    FILE *in = fopen(bvh, "r"), *o = fopen(bad, "w");
    CHECK(in && o);
    if (!in || !o) {
        if (in)
            fclose(in);
        if (o)
            fclose(o);
        return;
    }
    char line[4096];
    int in_ankle = 0, zeroed = 0;
    while (fgets(line, sizeof line, in)) {
        if (strstr(line, "JOINT l_ankle"))
            in_ankle = 1;
        if (in_ankle && strstr(line, "OFFSET")) {
            fputs("\t\t\tOFFSET 0.000000 0.000000 0.000000\n", o);
            in_ankle = 0;
            zeroed = 1;
            continue;
        }
        fputs(line, o);
    }
    fclose(in);
    fclose(o);
    CHECK(zeroed);
    snprintf(args, sizeof args, "retarget %s --robot g1 -o %s", bad, outp);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "the person's l_knee-l_ankle bone has no length");
    FILE *f = fopen(outp, "r");
    CHECK(f == NULL);
    if (f)
        fclose(f);
    /* the same walk as it was retargets */
    snprintf(args, sizeof args, "retarget %s --robot g1 -o %s", bvh, outp);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
}

/* A clip at 30 fps retargeted at --out-fps 30 keeps every frame.  lfd's own
   BVH writes Frame Time 0.03333333 (30.0000003 Hz), and the last output
   frame fell a fraction of a microsecond past the clip's end: 60 frames in,
   59 out (LAFAN1's walk 91 -> 90; found by review). */
static int csv_rows(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, ch, last = '\n';
    while ((ch = fgetc(f)) != EOF) {
        if (ch == '\n')
            n++;
        last = ch;
    }
    fclose(f);
    return n + (last != '\n');
}

TEST(retarget_keeps_the_last_frame_at_the_clips_rate)
{
    char bvh[1024], outp[1024], args[4096];
    static char out[65536];
    snprintf(bvh, sizeof bvh, "%s/walk30.bvh", lfd_test_tmpdir());
    snprintf(outp, sizeof outp, "%s/walk30.csv", lfd_test_tmpdir());
    snprintf(args, sizeof args, "human synth --task walk --seconds 2 --out-fps 30 -o %s", bvh);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "60 frames at 30 Hz");
    snprintf(args, sizeof args, "retarget %s --robot g1 --out-fps 30 -o %s", bvh, outp);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_EQ_INT(csv_rows(outp), 60);
    snprintf(args, sizeof args, "retarget %s --robot g1 -o %s", bvh, outp);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_EQ_INT(csv_rows(outp), 60);
}
