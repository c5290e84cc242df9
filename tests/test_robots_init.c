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
        rc = lfd_robot_load_desc(r, out, err);
    return rc;
}

/* mean hand error of a clip retargeted onto r (whole body, default options) */
static double hand_err(const lfd_robot *r, const lfd_human *h, lfd_err *err)
{
    lfd_motion m;
    lfd_retarget_report rep;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
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
    CHECK_OK(lfd_robot_load(&hand, name, &err), &err);
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
    /* under Valgrind (memory errors, not the comparison, are the point there):
       the first four clips, each cut to 1 s; the dynamics filter's rounds made
       the whole set overrun the runner's 300 s there */
    if (lfd_test_under_valgrind() && nf > 4)
        nf = 4;
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
        if (lfd_test_under_valgrind() && h.nframes > h.fps)
            h.nframes = (int)h.fps;
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

/* ---- third-party fixtures --------------------------------------------------------- */
#include "tests/test_robots_fixture.h"
#include "tests/test_robots_init_fixtures.h"

static char out[1 << 17];

/* drafts with `lfd robot init`, then retargets a synthetic walk (and a
   shared clip when present) and checks it with tracking, all through the
   command line with the MJCF path as the robot */
static void third_party(int which, const char *feet[2], const char *hands[2], int njoints)
{
    const char *dir = lfd_test_tmpdir();
    char xml[1024], desc[1100], args[4096];
    if (fx_init_write(dir, which, xml, sizeof xml))
        lfd_test_fail_at(__FILE__, __LINE__, "cannot write the fixture");
    snprintf(desc, sizeof desc, "%.*s.robot", (int)(strlen(xml) - 4), xml);
    snprintf(args, sizeof args, "robot init %s", xml);
    int rc = lfd_test_run_lfd(args, out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK_CONTAINS(out, "wrote");
    if (rc) {
        fprintf(stderr, "%s\n", out);
        return;
    }
    /* a second init does not overwrite it */
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "already exists");
    lfd_err err = {0};
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, xml, &err), &err);
    if (!r)
        return;
    CHECK(r->floating);
    CHECK_EQ_INT(r->njoints, njoints);
    for (int s = 0; s < 2; s++) {
        CHECK_STR(r->feet[s].body, feet[s]);
        CHECK_STR(r->hands[s].body, hands[s]);
    }
    CHECK_EQ_INT(r->nmap, 17);
    /* every guessed value says so */
    uint8_t *text = NULL;
    size_t len = 0;
    CHECK_OK(lfd_file_read(desc, 1 << 20, &text, &len, &err), &err);
    if (text) {
        int lines = 0, unmarked = 0;
        for (char *l = (char *)text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            if (!strncmp(l, "joint ", 6) || !strncmp(l, "foot ", 5) || !strncmp(l, "hand ", 5) ||
                !strncmp(l, "map ", 4) || !strncmp(l, "exclude ", 8)) {
                lines++;
                char *e = strchr(l, '\n'), *g = strstr(l, "guessed");
                unmarked += !g || (e && g > e);
            }
        }
        CHECK(lines >= njoints + 4 + 17);
        CHECK_EQ_INT(unmarked, 0);
        free(text);
    }
    snprintf(args, sizeof args, "robot info %s", xml);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);

    /* retarget and check a synthetic walk, with no hand edit */
    snprintf(args, sizeof args, "human synth --task walk --seconds 3 -o %s/walk.bvh", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    const char *clips[2] = {"walk.bvh", NULL};
    static char files[64][1024];
    int nf = lfd_test_mocap_files(files, 64);
    for (int i = 0; i < nf; i++)
        if (strstr(files[i], "lafan1_walk"))
            clips[1] = files[i];
    for (int c = 0; c < 2; c++) {
        if (!clips[c])
            continue;
        char in[1200];
        if (c == 0)
            snprintf(in, sizeof in, "%s/%s", dir, clips[c]);
        else
            snprintf(in, sizeof in, "%s", clips[c]);
        lfd_human h;
        lfd_human_opts ho = {0};
        CHECK_OK(lfd_human_load(&h, in, &ho, &err), &err);
        if (lfd_test_under_valgrind() && h.nframes > 2 * h.fps)
            h.nframes = (int)(2 * h.fps);
        lfd_motion m;
        lfd_retarget_report rep;
        lfd_retarget_opts o;
        lfd_retarget_opts_init(&o);
        o.progress = 0;
        rc = lfd_retarget_human(r, &h, &o, &m, &rep, &err);
        CHECK_OK(rc, &err);
        lfd_human_free(&h);
        if (rc)
            continue;
        fprintf(stderr, "%s on %s: hand error %.4f m, slide %.4f m, floor %.4f m, velocity %.2f\n",
                r->name, in, rep.hand_err_mean_m, rep.foot_slide_max_m, rep.floor_pen_max_m,
                rep.peak_vel_ratio);
        CHECK_EQ_INT(rep.range_violations, 0);
        CHECK(rep.hand_err_mean_m < 0.03);
        CHECK(rep.floor_pen_max_m < 0.01);
        char mpath[1200];
        snprintf(mpath, sizeof mpath, "%s/clip%d.lfdm", dir, c);
        CHECK_OK(lfd_motion_write(&m, mpath, &err), &err);
        lfd_motion_free(&m);
        snprintf(args, sizeof args, "check %s --robot %s --track", mpath, xml);
        rc = lfd_test_run_lfd(args, out, sizeof out);
        if (rc != 0 && rc != 1)
            lfd_test_fail_at(__FILE__, __LINE__, "check exited %d: %.2000s", rc, out);
        CHECK(strstr(out, "pass") || strstr(out, "warn") || strstr(out, "fail"));
    }
    lfd_robot_free(&r);
}

TEST(robots_init_menagerie_kind)
{
    const char *feet[2] = {"left_foot", "right_foot"}, *hands[2] = {"left_hand", "right_hand"};
    third_party(0, feet, hands, 23);
    /* position servos: gains and torque read from them, default from "home" */
    lfd_robot *r = NULL;
    lfd_err err = {0};
    char xml[1024];
    snprintf(xml, sizeof xml, "%s/menagerie_biped.xml", lfd_test_tmpdir());
    CHECK_OK(lfd_robot_load(&r, xml, &err), &err);
    if (!r)
        return;
    CHECK(r->floor_added); /* Menagerie robot files leave the floor to scene.xml */
    int k = lfd_robot_find_joint(r, "left_knee");
    CHECK(k >= 0);
    if (k >= 0) {
        CHECK_EQ_INT(r->joints[k].act_kind, LFD_ACT_POSITION);
        CHECK_NEAR(r->joints[k].kp, 300, 1e-9);
        CHECK_NEAR(r->joints[k].torque_max, 150, 1e-9);
        CHECK_NEAR(r->joints[k].default_q, 0.6, 1e-9);
    }
    lfd_robot_free(&r);
}

TEST(robots_init_cmu_style)
{
    const char *feet[2] = {"lfoot", "rfoot"}, *hands[2] = {"lhand", "rhand"};
    third_party(1, feet, hands, 56);
}

/* a model that is not a humanoid is refused, naming what was not found */
TEST(robots_init_not_a_humanoid)
{
    const char *dir = lfd_test_tmpdir();
    char xml[1024], args[4400];
    CHECK(fx_write(dir, "arm2.xml", arm2_xml, xml, sizeof xml) == 0);
    snprintf(args, sizeof args, "robot init %s -o %s/arm2.robot", xml, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "not a humanoid");
    CHECK_CONTAINS(out, "arm2.xml");
    CHECK_CONTAINS(out, "leg");
    snprintf(args, sizeof args, "%s/arm2.robot", dir);
    CHECK(!lfd_file_exists(args));
    /* four legs: the chains beside the trunk reach the floor */
    static const char quad[] =
        "<mujoco><compiler angle=\"radian\" autolimits=\"true\"/><worldbody><geom type=\"plane\" size=\"0 0 1\"/>"
        "<body name=\"trunk\" pos=\"0 0 0.5\"><freejoint/><geom type=\"box\" size=\"0.3 0.12 0.05\"/>"
        "<body name=\"fl\" pos=\"0.25 0.15 0\"><joint name=\"fl_hip\" axis=\"0 1 0\" range=\"-1 1\"/>"
        "<geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.2\" size=\"0.03\"/><body name=\"fl_shin\" pos=\"0 0 -0.22\">"
        "<joint name=\"fl_knee\" axis=\"0 1 0\" range=\"-2 0\"/><geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.25\" size=\"0.02\"/></body></body>"
        "<body name=\"fr\" pos=\"0.25 -0.15 0\"><joint name=\"fr_hip\" axis=\"0 1 0\" range=\"-1 1\"/>"
        "<geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.2\" size=\"0.03\"/><body name=\"fr_shin\" pos=\"0 0 -0.22\">"
        "<joint name=\"fr_knee\" axis=\"0 1 0\" range=\"-2 0\"/><geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.25\" size=\"0.02\"/></body></body>"
        "<body name=\"hl\" pos=\"-0.25 0.15 0\"><joint name=\"hl_hip\" axis=\"0 1 0\" range=\"-1 1\"/>"
        "<geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.2\" size=\"0.03\"/><body name=\"hl_shin\" pos=\"0 0 -0.22\">"
        "<joint name=\"hl_knee\" axis=\"0 1 0\" range=\"-2 0\"/><geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.25\" size=\"0.02\"/></body></body>"
        "<body name=\"hr\" pos=\"-0.25 -0.15 0\"><joint name=\"hr_hip\" axis=\"0 1 0\" range=\"-1 1\"/>"
        "<geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.2\" size=\"0.03\"/><body name=\"hr_shin\" pos=\"0 0 -0.22\">"
        "<joint name=\"hr_knee\" axis=\"0 1 0\" range=\"-2 0\"/><geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.25\" size=\"0.02\"/></body></body>"
        "</body></worldbody></mujoco>\n";
    CHECK(fx_write(dir, "quad.xml", quad, xml, sizeof xml) == 0);
    snprintf(args, sizeof args, "robot init %s", xml);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "not a humanoid");
    CHECK_CONTAINS(out, "quad.xml");
    /* its legs end at the shins: no foot, said so (a humanoid without feet
       was drafted with feet on its shins: found by review) */
    CHECK_CONTAINS(out, "has no foot below the knee");
    fprintf(stderr, "%s", out);
    snprintf(args, sizeof args, "%s/quad.robot", dir);
    CHECK(!lfd_file_exists(args));
}

/* bad input: an MJCF that does not load, a description naming a body the
   model lacks; each error names the file and the item, nothing is written */
TEST(robots_init_bad_input)
{
    const char *dir = lfd_test_tmpdir();
    char xml[1024], args[4400];
    CHECK(fx_write(dir, "broken.xml", "<mujoco><worldbody><body name=\"a\"><geom size=\"0.1\" colour=\"red\"/>"
                                      "</body></worldbody></mujoco>\n", xml, sizeof xml) == 0);
    snprintf(args, sizeof args, "robot init %s", xml);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "broken.xml");
    CHECK_CONTAINS(out, "colour");
    snprintf(args, sizeof args, "%s/broken.robot", dir);
    CHECK(!lfd_file_exists(args));
    snprintf(args, sizeof args, "robot init %s/missing.xml", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "missing.xml");
    /* a drafted description edited to name a body the model lacks */
    char x2[1024], desc[1100];
    CHECK(fx_init_write(dir, 1, x2, sizeof x2) == 0);
    snprintf(desc, sizeof desc, "%s/cmu.robot", dir);
    snprintf(args, sizeof args, "robot init %s -o %s", x2, desc);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    uint8_t *text = NULL;
    size_t len = 0;
    lfd_err err = {0};
    CHECK_OK(lfd_file_read(desc, 1 << 20, &text, &len, &err), &err);
    if (!text)
        return;
    char *hit = strstr((char *)text, "body=lhand");
    CHECK(hit != NULL);
    if (hit) {
        memcpy(hit + 5, "lpalm", 5);
        CHECK_OK(lfd_file_write_atomic(desc, text, len, &err), &err);
        snprintf(args, sizeof args, "robot info %s", desc);
        CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
        CHECK_CONTAINS(out, "cmu.robot:");
        CHECK_CONTAINS(out, "body 'lpalm' is not in the model");
    }
    free(text);
}

/* a model whose zero pose does not face +x is refused with the edit to make */
TEST(robots_init_facing)
{
    const char *dir = lfd_test_tmpdir();
    char xml[1024], turned[1100], args[2400];
    CHECK(fx_init_write(dir, 0, xml, sizeof xml) == 0);
    static const char *const turns[2] = {"0 0 3.14159", "0 0 -1.5708"};
    static const char *const says[2] = {"faces -x", "facing +x"};
    for (int t = 0; t < 2; t++) {
        char *x = malloc(sizeof mb_robot_xml + 64);
        if (!x)
            return;
        const char *at = strstr(mb_robot_xml, "childclass=\"biped\"");
        CHECK(at != NULL);
        if (!at) {
            free(x);
            return;
        }
        snprintf(x, sizeof mb_robot_xml + 64, "%.*seuler=\"%s\" %s", (int)(at - mb_robot_xml),
                 mb_robot_xml, turns[t], at);
        snprintf(turned, sizeof turned, "%s/turned%d.xml", dir, t);
        FILE *fp = fopen(turned, "wb");
        CHECK(fp != NULL);
        if (fp) {
            fputs(x, fp);
            fclose(fp);
        }
        free(x);
        snprintf(args, sizeof args, "robot init %s", turned);
        CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
        CHECK_CONTAINS(out, says[t]);
        CHECK_CONTAINS(out, "turn the root body");
        snprintf(args, sizeof args, "%s/turned%d.robot", dir, t);
        CHECK(!lfd_file_exists(args));
    }
}

/* a model whose path holds a space drafts a description that loads (the
   'mjcf' line took one word, and the draft was refused: found by review) */
TEST(robots_init_path_with_a_space)
{
    const char *dir = lfd_test_tmpdir();
    char x[1024], sp[1100], desc[1200], args[4400];
    CHECK(fx_init_write(dir, 1, x, sizeof x) == 0);
    snprintf(sp, sizeof sp, "%s/my robot.xml", dir);
    CHECK_EQ_INT(rename(x, sp), 0);
    snprintf(desc, sizeof desc, "%s/my robot.robot", dir);
    snprintf(args, sizeof args, "robot init '%s' -o '%s'", sp, desc);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "robot info '%s'", desc);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "my robot.xml");
}

/* An MJCF whose motors' control range is asymmetric (-1..2 here): the
   loader refuses such an actuator without torque= (lfd's limits are
   symmetric), so the draft states the weaker side.  Before, the draft it
   wrote did not load. */
TEST(robots_init_asymmetric_range_drafts_the_weaker_side)
{
    const char *dir = lfd_test_tmpdir();
    char x[1024], y[1100], desc[1200];
    CHECK(fx_init_write(dir, 1, x, sizeof x) == 0);
    FILE *fp = fopen(x, "rb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    static char buf[1 << 17];
    size_t len = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[len] = '\0';
    char *at = strstr(buf, "ctrlrange=\"-1 1\"");
    CHECK(at != NULL);
    if (!at)
        return;
    memcpy(at, "ctrlrange=\"-1 2\"", 16);
    snprintf(y, sizeof y, "%s/cmu_asym.xml", dir);
    fp = fopen(y, "wb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fputs(buf, fp);
    fclose(fp);
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(draft(y, "cmu_asym", desc, sizeof desc, &r, &err), &err);
    lfd_robot_free(&r);
    fp = fopen(desc, "rb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    len = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[len] = '\0';
    CHECK_CONTAINS(buf, "the weaker side of the asymmetric range -1..2");
}
