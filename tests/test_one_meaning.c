/*  Issue 21, the rest of "flags mean one thing": a rate flag applies only to
    files that state no rate of their own, in every command that loads a
    human (human info, retarget, qa) and says what it did; the library's
    messages name the flags as they are now (--in-fps); `motion convert
    --robot` takes a path as every other --robot does; `human synth --task
    wipe --seconds S` honours S or refuses; explicit --units win over a
    preset, a preset over detection, and the help says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_motion.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_keypoints.h"
#include "ingest/lfd_synth.h"
#include "tests/lfd_test.h"

static char out[1 << 17];

/* runs lfd with printf-style arguments into out; returns the exit code */
#define om_run(...) lfd_test_run_lfdf(out, sizeof out, __VA_ARGS__)

/* a synthetic walk as SMPL-22 keypoints (Z up, metres) in a .npy that states
   no rate; sidecar: the preset and up-axis, plus "fps" when fps > 0 */
static int om_write_npy(const char *path, double fps)
{
    static const int smpl_cj[22] = {LFD_CJ_PELVIS, LFD_CJ_L_HIP, LFD_CJ_R_HIP, LFD_CJ_SPINE, LFD_CJ_L_KNEE,
                                    LFD_CJ_R_KNEE, LFD_CJ_CHEST, LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_CHEST,
                                    LFD_CJ_L_TOE, LFD_CJ_R_TOE, LFD_CJ_NECK, LFD_CJ_CHEST, LFD_CJ_CHEST, LFD_CJ_HEAD,
                                    LFD_CJ_L_SHOULDER, LFD_CJ_R_SHOULDER, LFD_CJ_L_ELBOW, LFD_CJ_R_ELBOW,
                                    LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    lfd_err err = {0};
    lfd_human h;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 2, .fps = 40};
    if (lfd_synth_human(&h, &so, &err))
        return -1;
    int T = h.nframes;
    double *pos = malloc((size_t)T * 22 * 3 * sizeof *pos);
    for (int f = 0; pos && f < T; f++)
        for (int j = 0; j < 22; j++)
            memcpy(pos + ((size_t)f * 22 + j) * 3, lfd_human_cpos(&h, f, smpl_cj[j]), 3 * sizeof(double));
    lfd_human_free(&h);
    int rc = pos ? lfd_npy_write(path, pos, T, 22, "<f4", 1, 0, &err) : -1;
    free(pos);
    char sc[1300], side[200];
    snprintf(sc, sizeof sc, "%s.json", path);
    if (fps > 0)
        snprintf(side, sizeof side, "{\"preset\": \"smpl-22\", \"up\": \"z\", \"fps\": %g}", fps);
    else
        snprintf(side, sizeof side, "{\"preset\": \"smpl-22\", \"up\": \"z\"}");
    return rc ? rc : lfd_file_write_atomic(sc, side, strlen(side), &err);
}

TEST(rate_flag_applies_only_where_the_file_states_none)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], npy[1024], npy25[1024];
    snprintf(bvh, sizeof bvh, "%s/walk.bvh", dir);
    snprintf(npy, sizeof npy, "%s/walk_smpl.npy", dir);
    snprintf(npy25, sizeof npy25, "%s/walk_25.npy", dir);
    CHECK_EQ_INT(om_run("human synth --task walk --seconds 2 -o %s", bvh), 0); /* 120 Hz */
    CHECK_EQ_INT(om_write_npy(npy, 0), 0);
    CHECK_EQ_INT(om_write_npy(npy25, 25), 0);

    /* the library: a BVH keeps its Frame Time and says so */
    lfd_human h;
    lfd_err err = {0};
    lfd_human_opts ho = {.fps = 40};
    CHECK_OK(lfd_human_load(&h, bvh, &ho, &err), &err);
    CHECK_NEAR(h.fps, 120, 1e-3); /* the BVH's Frame Time, 0.008333 s */
    CHECK_STR(h.fps_note, "--in-fps 40 not applied: the file states 120 Hz");
    lfd_human_free(&h);
    /* a keypoint file without a rate takes it */
    CHECK_OK(lfd_human_load(&h, npy, &ho, &err), &err);
    CHECK_NEAR(h.fps, 40, 1e-9);
    CHECK_STR(h.fps_note, "rate 40 Hz from --in-fps (the file gives none)");
    lfd_human_free(&h);
    /* one whose sidecar states a rate keeps it */
    CHECK_OK(lfd_human_load(&h, npy25, &ho, &err), &err);
    CHECK_NEAR(h.fps, 25, 1e-9);
    CHECK_CONTAINS(h.fps_note, "--in-fps 40 not applied: the file's sidecar gives 25 Hz");
    lfd_human_free(&h);
    /* no option, no note */
    CHECK_OK(lfd_human_load(&h, bvh, NULL, &err), &err);
    CHECK_STR(h.fps_note, "");
    lfd_human_free(&h);
    /* without a rate from anywhere: the error names today's flag */
    char bare[1024];
    snprintf(bare, sizeof bare, "%s/bare.npy", dir);
    CHECK_EQ_INT(om_write_npy(bare, 0), 0);
    CHECK(lfd_human_load(&h, bare, NULL, &err) == LFD_EARG);
    CHECK_CONTAINS(err.msg, "give --in-fps HZ");
    CHECK(strstr(err.msg, "--fps") == NULL || strstr(err.msg, "--in-fps") != NULL);

    /* lfd human info, text and JSON */
    CHECK_EQ_INT(om_run("human info %s --in-fps 40", bvh), 0);
    CHECK_CONTAINS(out, "at 120 Hz");
    CHECK_CONTAINS(out, "note          --in-fps 40 not applied: the file states 120 Hz");
    CHECK_EQ_INT(om_run("human info %s --in-fps 40 --json", npy), 0);
    CHECK_CONTAINS(out, "\"fps\": 40");
    CHECK_CONTAINS(out, "\"rate_note\": \"rate 40 Hz from --in-fps (the file gives none)\"");

    /* lfd retarget of the mixed set in one call: each file says what applied */
    CHECK_EQ_INT(om_run("retarget %s %s %s --in-fps 40 -r h1 -o %s/m/ --smooth 0", bvh, npy, npy25, dir), 0);
    CHECK_CONTAINS(out, "walk.bvh: --in-fps 40 not applied: the file states 120 Hz");
    CHECK_CONTAINS(out, "walk_smpl.npy: rate 40 Hz from --in-fps (the file gives none)");
    CHECK_CONTAINS(out, "walk_25.npy: --in-fps 40 not applied: the file's sidecar gives 25 Hz");
    static const struct { const char *name; double fps; } want[] = {
        {"walk.h1.lfdm", 120}, {"walk_smpl.h1.lfdm", 40}, {"walk_25.h1.lfdm", 25}};
    for (int i = 0; i < 3; i++) {
        char p[1200];
        lfd_motion m;
        snprintf(p, sizeof p, "%s/m/%s", dir, want[i].name);
        CHECK_OK(lfd_motion_read(&m, p, &err), &err);
        if (m.nframes) {
            CHECK_NEAR(m.fps, want[i].fps, 1e-3); /* output at the input's rate */
            lfd_motion_free(&m);
        }
    }
    /* --json carries the note per input */
    CHECK_EQ_INT(om_run("retarget %s --in-fps 40 -r h1 -o %s/b.lfdm --smooth 0 --json", bvh, dir), 0);
    CHECK_CONTAINS(out, "\"rate_note\": \"--in-fps 40 not applied: the file states 120 Hz\"");

    /* lfd qa says the same words */
    CHECK_EQ_INT(om_run("qa %s %s --in-fps 40", bvh, npy), 0);
    CHECK_CONTAINS(out, "--in-fps 40 not applied: the file states 120 Hz");
    CHECK_CONTAINS(out, "rate 40 Hz from --in-fps (the file gives none)");
}

/* `lfd motion convert --robot` takes a name or a path, as every --robot does:
   a robot lfd loads gives the motion its name, joint names and model hash */
TEST(motion_convert_robot_takes_a_path)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    lfd_motion m;
    CHECK_OK(lfd_motion_alloc(&m, 10, 1, 19, 0, &err), &err); /* h1: floating, 19 joints */
    m.fps = 30;
    for (int j = 0; j < 19; j++)
        snprintf(m.joint_names[j], LFD_NAME_MAX, "joint_%d", j);
    for (int f = 0; f < 10; f++) {
        double *q = lfd_motion_frame(&m, f);
        q[2] = 1.0;
        q[3] = 1;
    }
    char csv[1024], a[1024], b[1024], c[1024];
    snprintf(csv, sizeof csv, "%s/m.csv", dir);
    snprintf(a, sizeof a, "%s/a.lfdm", dir);
    snprintf(b, sizeof b, "%s/b.lfdm", dir);
    snprintf(c, sizeof c, "%s/c.lfdm", dir);
    CHECK_OK(lfd_motion_write_csv(&m, csv, 0, &err), &err);
    lfd_motion_free(&m);
    CHECK_EQ_INT(om_run("motion convert %s %s --in-fps 30 --robot h1", csv, a), 0);
    CHECK_EQ_INT(om_run("motion convert %s %s --in-fps 30 --robot robots/h1/h1.xml", csv, b), 0);
    lfd_motion ma, mb;
    CHECK_OK(lfd_motion_read(&ma, a, &err), &err);
    CHECK_OK(lfd_motion_read(&mb, b, &err), &err);
    if (ma.nframes && mb.nframes) {
        CHECK_STR(ma.robot, "h1");
        CHECK_STR(ma.joint_names[0], "left_hip_yaw_joint");
        CHECK(ma.model_hash[0] != '\0');
        CHECK_STR(mb.robot, "h1");
        CHECK_STR(mb.model_hash, ma.model_hash);
        CHECK_STR(mb.joint_names[18], ma.joint_names[18]);
    }
    lfd_motion_free(&ma);
    lfd_motion_free(&mb);
    /* lfd check accepts it as h1's (names and hash agree) */
    int rc = om_run("check %s -r h1", a);
    CHECK(rc == 0 || rc == 1);
    CHECK(strstr(out, "not '") == NULL);
    /* a rate for a motion file in lfd check is not applied either, and said */
    rc = om_run("check %s -r h1 --in-fps 50", a);
    CHECK(rc == 0 || rc == 1);
    CHECK_CONTAINS(out, "--in-fps 50 not applied: a motion file states its rate");
    /* a robot that does not fit the columns is refused; a path that does not load too */
    CHECK_EQ_INT(om_run("motion convert %s %s --in-fps 30 --robot g1", csv, c), 2);
    CHECK_CONTAINS(out, "19 joint columns but the robot has 29 joints");
    CHECK_EQ_INT(om_run("motion convert %s %s --in-fps 30 --robot %s/none.xml", csv, c, dir), 2);
    CHECK(!lfd_file_exists(c));
    /* a name lfd cannot load is refused (a motion stored for it could not be used) */
    CHECK_EQ_INT(om_run("motion convert %s %s --in-fps 30 --robot toy", csv, c), 2);
    CHECK_CONTAINS(out, "--robot toy");
    CHECK(!lfd_file_exists(c));
    /* a motion file states its rate: --in-fps does not replace it, and says so */
    CHECK_EQ_INT(om_run("motion convert %s %s/d.csv --in-fps 50", a, dir), 0);
    CHECK_CONTAINS(out, "--in-fps 50 not applied");
    CHECK_CONTAINS(out, "states 30 Hz");
    CHECK_EQ_INT(om_run("motion convert --help"), 0);
    CHECK_CONTAINS(out, "--robot NAME|PATH");
}

/* `lfd human synth --task wipe --seconds S` makes S seconds (down to 1),
   and refuses shorter with the reason */
TEST(human_synth_wipe_honours_seconds)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    static const double secs[] = {1.5, 3, 8};
    for (int i = 0; i < 3; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/wipe%d.bvh", dir, i);
        CHECK_EQ_INT(om_run("human synth --task wipe --seconds %g --out-fps 60 -o %s", secs[i], p), 0);
        lfd_human h;
        CHECK_OK(lfd_human_load(&h, p, NULL, &err), &err);
        if (!h.nframes)
            continue;
        CHECK_EQ_INT(h.nframes, (int)(secs[i] * 60 + 0.5));
        /* the right wrist still reaches the table (0.36 m ahead of the pelvis at 1.75 m) and comes back */
        double reach = 0, start = 0, end = 0;
        for (int f = 0; f < h.nframes; f++) {
            double d = lfd_human_cpos(&h, f, LFD_CJ_R_WRIST)[0] - lfd_human_cpos(&h, f, LFD_CJ_PELVIS)[0];
            reach = d > reach ? d : reach;
            if (f == 0)
                start = d;
            end = d;
        }
        CHECK(reach > start + 0.2);
        CHECK_NEAR(end, start, 0.05);
        lfd_human_free(&h);
    }
    CHECK_EQ_INT(om_run("human synth --task wipe --seconds 0.5 -o %s/short.bvh", dir), 2);
    CHECK_CONTAINS(out, "a wipe of 0.5 s is too short: it needs 1 s or more");
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_WIPE, .seconds = 0.9};
    CHECK(lfd_synth_bvh(&b, &so, NULL, &err) == LFD_EARG);
}

/* Units: an explicit --units wins over a sidecar's or preset's; a preset's
   wins over detection (--units auto is "not given"); the help says so. */
TEST(units_given_win_over_a_preset_which_wins_over_detection)
{
    const char *dir = lfd_test_tmpdir();
    char npy[1024];
    snprintf(npy, sizeof npy, "%s/k.npy", dir);
    CHECK_EQ_INT(om_write_npy(npy, 30), 0); /* metres; smpl-22 says metres too */
    lfd_err err = {0};
    lfd_human h;
    /* auto: the preset's metres, assumed */
    lfd_human_opts ho = {.units = "auto"};
    CHECK_OK(lfd_human_load(&h, npy, &ho, &err), &err);
    CHECK_STR(h.units, "m");
    CHECK(h.units_assumed && !h.units_detected);
    lfd_human_free(&h);
    /* given: cm wins over the preset (and the implied height says it is wrong) */
    ho.units = "cm";
    CHECK_OK(lfd_human_load(&h, npy, &ho, &err), &err);
    CHECK_STR(h.units, "cm");
    CHECK(!h.units_assumed && !h.units_detected);
    CHECK(h.height_m < 0.1);
    lfd_human_free(&h);
    /* without a preset or sidecar units: detected */
    char bvh[1024];
    snprintf(bvh, sizeof bvh, "%s/w.bvh", dir);
    CHECK_EQ_INT(om_run("human synth --task stand --units mm -o %s", bvh), 0);
    ho.units = "auto";
    CHECK_OK(lfd_human_load(&h, bvh, &ho, &err), &err);
    CHECK_STR(h.units, "mm");
    CHECK(h.units_detected);
    lfd_human_free(&h);
    /* the help of every command with --units says the order */
    static const char *cmds[] = {"human info", "retarget", "qa"};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(om_run("%s --help", cmds[i]), 0);
        CHECK_CONTAINS(out, "winning over a sidecar's or preset's (default/auto: theirs, else detected)");
    }
}
