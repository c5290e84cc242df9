/*  Every real motion-capture file in ../shared/data/mocap retargets onto h1,
    g1 and humanoid within the limits (skipped where ../shared is
    absent).  Two H1 cases are held to 2 cm of foot slide instead of 1 cm, for
    a reason of the robot, not of the solver: in CMU 01_01's turn-arounds and
    holosoma's climb the person pivots on both planted feet further than
    H1's hip yaw (+-0.43 rad, Unitree h1.urdf) can follow, so a planted foot
    must give; G1 (hip yaw +-2.75 rad) and the humanoid hold every contact
    within 1 cm on the same clips. */
#include <stdlib.h>

#include "retarget/lfd_retarget.h"
#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"

static void all_files(const char *robot)
{
    static char files[64][1024];
    int nf = lfd_test_mocap_files(files, 64);
    if (nf < 0)
        SKIP("../shared/data/mocap not found (set LFD_SHARED)");
    lfd_robot *r;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(robot, &r, &err), &err);
    if (!r)
        return;
    int n = 0;
    for (int fi = 0; fi < nf; fi++) {
        const char *path = files[fi];
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        int npy = strstr(base, ".npy") != NULL;
        lfd_human_opts ho = {0};
        if (npy)
            ho.preset = "holosoma-53";
        lfd_human h;
        CHECK_OK(lfd_human_load(&h, path, &ho, &err), &err);
        /* under Valgrind (50x slower) the first 2 s of each clip: the same code paths */
        if (lfd_test_under_valgrind() && h.nframes > 2 * h.fps)
            h.nframes = (int)(2 * h.fps);
        lfd_motion m;
        lfd_retarget_report rep;
        lfd_retarget_opts o = lfd_retarget_opts_default();
        o.progress = 0;
        int rc = lfd_retarget_human(r, &h, &o, &m, &rep, &err);
        CHECK_OK(rc, &err);
        if (rc == LFD_OK) {
            int h1_pivots = !strcmp(robot, "h1") && (strstr(base, "cmu_01_01") ||
                                                     strstr(base, "holosoma"));
            double slide_cap = h1_pivots ? 0.02 : 0.01;
            fprintf(stderr, "%-8s %-40s hand %.3f slide %.4f floor %.4f vel %.2f\n", robot,
                    base, rep.hand_err_mean_m, rep.foot_slide_max_m, rep.floor_pen_max_m,
                    rep.peak_vel_ratio);
            if (rep.range_violations || rep.peak_vel_ratio > 1 + 1e-9 ||
                rep.floor_pen_max_m > 0.005 || rep.foot_slide_max_m > slide_cap ||
                rep.hand_err_mean_m > 0.06)
                lfd_test_fail_at(__FILE__, __LINE__, "%s on %s: range %d, velocity %.3f of limit, "
                                 "floor %.4f m, slide %.4f m, hands %.3f m",
                                 base, robot, rep.range_violations, rep.peak_vel_ratio,
                                 rep.floor_pen_max_m, rep.foot_slide_max_m, rep.hand_err_mean_m);
            CHECK_EQ_INT(m.nframes, rep.frames);
            CHECK(lfd_prov_get(&m.prov, "retarget") != NULL);
            lfd_motion_free(&m);
            n++;
        }
        lfd_human_free(&h);
    }
    /* every clip found retargets */
    CHECK(nf > 0);
    CHECK_EQ_INT(n, nf);
    lfd_robot_free(&r);
}

TEST(retarget_real_mocap_h1) { all_files("h1"); }
TEST(retarget_real_mocap_g1) { all_files("g1"); }
TEST(retarget_real_mocap_humanoid) { all_files("humanoid"); }
