/*  `lfd robot init`: a description drafted from the MJCF alone.

    On each built-in robot's MJCF the draft must find the same feet and
    hands as the hand-written description, read the same joint ranges and
    torque limits where the MJCF holds them, and retarget the shared mocap
    clips (skipped without ../shared) and a synthetic walk (always) with a
    mean hand error within 2x the hand-written description's.  Third-party
    fixtures (tests/test_robots_init_fixtures.h) must draft, retarget and
    check with no hand edit; a non-humanoid is refused naming the part not
    found; bad input leaves no file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "ingest/lfd_synth.h"
#include "retarget/lfd_retarget.h"
#include "robots/lfd_robot.h"
#include "robots/lfd_robot_init.h"
#include "tests/lfd_test.h"

/* drafts the description of mjcf into dir/name.robot and loads it */
static int draft(const char *mjcf, const char *name, char *out, size_t outsz, lfd_robot **r,
                 lfd_err *err)
{
    snprintf(out, outsz, "%s/%s.robot", lfd_test_tmpdir(), name);
    char *text = NULL;
    size_t len = 0;
    int rc = lfd_robot_init(mjcf, out, NULL, &text, &len, err);
    if (!rc)
        rc = lfd_file_write_atomic(out, text, len, err);
    free(text);
    if (!rc)
        rc = lfd_robot_load_desc(out, r, err);
    return rc;
}

/* mean hand error of a clip retargeted onto r (whole body, default options) */
static double hand_err(const lfd_robot *r, const lfd_human *h, lfd_err *err)
{
    lfd_motion m;
    lfd_retarget_report rep;
    lfd_retarget_opts o = lfd_retarget_opts_default();
    o.progress = 0;
    if (lfd_retarget_human(r, h, &o, &m, &rep, err))
        return NAN;
    lfd_motion_free(&m);
    return rep.hand_err_mean_m;
}

static void compare_builtin(const char *name)
{
    lfd_err err = {0};
    lfd_robot *hand = NULL, *auto_r = NULL;
    CHECK_OK(lfd_robot_load(name, &hand, &err), &err);
    if (!hand)
        return;
    char path[1024];
    CHECK_OK(draft(hand->mjcf_path, name, path, sizeof path, &auto_r, &err), &err);
    if (!auto_r) {
        lfd_robot_free(&hand);
        return;
    }
    /* the same feet and hands */
    for (int s = 0; s < 2; s++) {
        CHECK_STR(auto_r->feet[s].body, hand->feet[s].body);
        CHECK_STR(auto_r->hands[s].body, hand->hands[s].body);
        for (int k = 0; k < 4; k++)
            CHECK_NEAR(auto_r->feet[s].sole[k], hand->feet[s].sole[k], 0.03);
        CHECK_NEAR(auto_r->feet[s].sole_z, hand->feet[s].sole_z, 0.005);
    }
    CHECK_EQ_INT(auto_r->floating, hand->floating);
    CHECK_STR(auto_r->model_hash, hand->model_hash);
    /* limits equal where the MJCF holds them: every range, and torque where
       the hand-written one is the actuator's */
    CHECK_EQ_INT(auto_r->njoints, hand->njoints);
    for (int j = 0; j < hand->njoints && j < auto_r->njoints; j++) {
        const lfd_robot_joint *a = &auto_r->joints[j], *b = &hand->joints[j];
        CHECK_STR(a->name, b->name);
        CHECK_NEAR(a->range_lo, b->range_lo, 1e-12);
        CHECK_NEAR(a->range_hi, b->range_hi, 1e-12);
        CHECK_EQ_INT(a->act_id, b->act_id);
        if (b->act_id >= 0 && fabs(b->torque_max - a->torque_max) > 1e-9)
            lfd_test_fail_at(__FILE__, __LINE__, "%s %s: torque %g drafted, %g hand-written", name,
                             a->name, a->torque_max, b->torque_max);
    }
    /* retargeting: a synthetic walk always, the shared clips when present */
    static char files[64][1024];
    int nf = lfd_test_mocap_files(files, 64);
    int n = 0, worse = 0;
    double sum_a = 0, sum_h = 0;
    for (int fi = -1; fi < (nf > 0 ? nf : 0); fi++) {
        lfd_human h;
        lfd_human_opts ho = {0};
        int rc;
        const char *base = "synth walk";
        if (fi < 0) {
            lfd_synth_opts so = {0};
            so.task = LFD_SYNTH_WALK;
            so.seconds = 3;
            rc = lfd_synth_human(&h, &so, &err);
        } else {
            base = strrchr(files[fi], '/') + 1;
            if (strstr(base, ".npy"))
                ho.preset = "holosoma-53";
            rc = lfd_human_load(&h, files[fi], &ho, &err);
        }
        CHECK_OK(rc, &err);
        if (rc)
            continue;
        if (lfd_test_under_valgrind() && h.nframes > 2 * h.fps)
            h.nframes = (int)(2 * h.fps);
        double eh = hand_err(hand, &h, &err), ea = hand_err(auto_r, &h, &err);
        lfd_human_free(&h);
        if (!isfinite(eh) || !isfinite(ea)) {
            lfd_test_fail_at(__FILE__, __LINE__, "%s on %s: %s", name, base, err.msg);
            continue;
        }
        fprintf(stderr, "%-9s %-40s hand error: hand-written %.4f m, drafted %.4f m (%.2fx)\n",
                name, base, eh, ea, ea / fmax(eh, 1e-9));
        /* within 2x, with 2 mm of slack for clips the hand-written map
           follows to a millimetre or two */
        if (ea > 2 * eh + 0.002) {
            lfd_test_fail_at(__FILE__, __LINE__, "%s on %s: drafted hand error %.4f m > 2 x %.4f m",
                             name, base, ea, eh);
            worse++;
        }
        sum_a += ea;
        sum_h += eh;
        n++;
    }
    if (n)
        fprintf(stderr, "%-9s %d clips: mean hand error hand-written %.4f m, drafted %.4f m\n", name,
                n, sum_h / n, sum_a / n);
    CHECK(n >= 1);
    CHECK_EQ_INT(worse, 0);
    if (nf < 0)
        fprintf(stderr, "%s: ../shared/data/mocap not found: the synthetic walk only\n", name);
    lfd_robot_free(&hand);
    lfd_robot_free(&auto_r);
}

TEST(robots_init_h1_like_hand_written) { compare_builtin("h1"); }
TEST(robots_init_g1_like_hand_written) { compare_builtin("g1"); }
TEST(robots_init_humanoid_like_hand_written) { compare_builtin("humanoid"); }
