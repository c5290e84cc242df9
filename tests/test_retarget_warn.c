/*  Poor retargeting results say so (issue 21): the report's figures beyond
    their thresholds become warning lines, `--json` carries them under
    "warnings", and `lfd retarget --strict` exits 1 on any of them. */
#include <stdio.h>
#include <string.h>

#include "retarget/lfd_retarget.h"
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
    char w[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN];
    CHECK_EQ_INT(lfd_retarget_report_warnings(&rep, w), 0);
    /* each figure just past its threshold adds exactly its own line */
    struct { double *v; double past; const char *word; } f[] = {
        {&rep.hand_err_mean_m, LFD_RETARGET_WARN_HAND_M + 1e-3, "hands"},
        {&rep.root_jump_max_m, LFD_RETARGET_WARN_ROOT_JUMP_M + 1e-4, "root jumps"},
        {&rep.acc_p99_rad_s2, LFD_RETARGET_WARN_ACC_P99 + 1, "acceleration"},
        {&rep.foot_slide_max_m, LFD_RETARGET_WARN_SLIDE_M + 1e-3, "slides"},
        {&rep.floor_pen_max_m, LFD_RETARGET_WARN_FLOOR_M + 1e-3, "below the floor"},
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

TEST(retarget_strict_exits_1_on_a_poor_result)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    static char out[65536], args[4096];
    /* the Mixamo step on h1: joint acceleration beyond its threshold */
    snprintf(args, sizeof args,
             "retarget %s/mixamorig_freebvh_69f.bvh --robot h1 -o %s/step.lfdm --out-fps 30",
             dir, lfd_test_tmpdir());
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "warning: joint acceleration");
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
