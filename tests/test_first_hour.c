/*  A new user's first hour (issue 21), through the `lfd` command only, on
    data the project generates and a robot the user brings:

    - recordings: two BVH clips from `lfd human synth` and the same walk as
      SMPL-22 keypoints in a rate-less .npy, in one folder;
    - robot: a Menagerie-style humanoid MJCF (tests/test_robots_init_fixtures.h)
      stripped to collision geoms in group 3 only, with no floor, described
      by `lfd robot init`.

    Steps and what each must show: qa judges the mixed folder in one call
    (--in-fps applied only to the .npy); retarget -o writes into a folder
    that did not exist (the same mixed set, the rate again only for the .npy); check --track adds a floor and says so; replay draws
    the hidden-group geoms (a pixel check on the frame); train without
    consent refuses and names the ways forward, then trains once the
    consent record is beside the recordings and they are retargeted again
    (on the demonstration that passes lfd check: train's gate refuses the
    whole-body walk, whose torques this drafted robot cannot supply); eval
    runs on the policy. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/lfd_io.h"
#include "ingest/lfd_keypoints.h"
#include "ingest/lfd_synth.h"
#include "tests/lfd_test.h"
#include "tests/test_robots_init_fixtures.h"

static char out[1 << 17];

/* runs `lfd ARGS`, echoes its output on failure, returns the exit code */
static int fh_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fh_run(const char *fmt, ...)
{
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = lfd_test_run_lfd(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "lfd %s -> exit %d\n%.600s\n", args, rc, out);
    return rc;
}

/* reads back a PNG written by lfd_png_write (8-bit RGB, filter 0 rows) */
static int fh_read_png(const char *path, uint8_t *rgb, int w, int h)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    lfd_err err = {0};
    if (lfd_file_read(path, 1 << 24, &buf, &len, &err))
        return -1;
    size_t row = (size_t)w * 3 + 1, raw_len = row * (size_t)h, zlen = 0;
    uint8_t *z = malloc(len), *raw = malloc(raw_len);
    int rc = -1;
    for (size_t p = 8; z && raw && p + 12 <= len;) {
        size_t n = (size_t)buf[p] << 24 | (size_t)buf[p + 1] << 16 | (size_t)buf[p + 2] << 8 | buf[p + 3];
        if (p + 12 + n > len)
            break;
        if (!memcmp(buf + p + 4, "IDAT", 4)) {
            memcpy(z + zlen, buf + p + 8, n);
            zlen += n;
        }
        p += 12 + n;
    }
    uLongf out_len = (uLongf)raw_len;
    if (z && raw && zlen && uncompress(raw, &out_len, z, (uLong)zlen) == Z_OK && out_len == raw_len) {
        rc = 0;
        for (int y = 0; y < h; y++)
            memcpy(rgb + (size_t)y * (size_t)w * 3, raw + (size_t)y * row + 1, (size_t)w * 3);
    }
    free(z);
    free(raw);
    free(buf);
    return rc;
}

/* the Menagerie-style fixture with its visual (group 2) geoms removed:
   every geom is a collision geom in group 3; no floor */
static int fh_write_robot(const char *dir, char *xml, size_t n)
{
    if (fx_init_write(dir, 0, xml, n))
        return -1;
    char *text = malloc(sizeof mb_robot_xml), *w = text;
    if (!text)
        return -1;
    for (const char *l = mb_robot_xml; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l + 1) : strlen(l);
        if (!memmem(l, len, "<geom class=\"visual\"", 20)) {
            memcpy(w, l, len);
            w += len;
        }
        l += len;
    }
    lfd_err err = {0};
    int rc = lfd_file_write_atomic(xml, text, (size_t)(w - text), &err);
    free(text);
    return rc;
}

/* the walk of `o` as SMPL-22 keypoints at a third of its rate, no rate stated */
static int fh_write_npy(const char *path, const lfd_synth_opts *o)
{
    static const int smpl_cj[22] = {LFD_CJ_PELVIS, LFD_CJ_L_HIP, LFD_CJ_R_HIP, LFD_CJ_SPINE, LFD_CJ_L_KNEE,
                                    LFD_CJ_R_KNEE, LFD_CJ_CHEST, LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_CHEST,
                                    LFD_CJ_L_TOE, LFD_CJ_R_TOE, LFD_CJ_NECK, LFD_CJ_CHEST, LFD_CJ_CHEST, LFD_CJ_HEAD,
                                    LFD_CJ_L_SHOULDER, LFD_CJ_R_SHOULDER, LFD_CJ_L_ELBOW, LFD_CJ_R_ELBOW,
                                    LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    lfd_err err = {0};
    lfd_human h;
    if (lfd_synth_human(&h, o, &err))
        return -1;
    int T = h.nframes / 3;
    double *pos = malloc((size_t)T * 22 * 3 * sizeof *pos);
    for (int f = 0; pos && f < T; f++)
        for (int j = 0; j < 22; j++)
            memcpy(pos + ((size_t)f * 22 + j) * 3, lfd_human_cpos(&h, 3 * f, smpl_cj[j]), 3 * sizeof(double));
    lfd_human_free(&h);
    int rc = pos ? lfd_npy_write(path, pos, T, 22, "<f4", 1, 0, &err) : -1;
    free(pos);
    char sc[1300];
    snprintf(sc, sizeof sc, "%s.json", path);
    const char *side = "{\"preset\": \"smpl-22\", \"up\": \"z\"}";
    return rc ? rc : lfd_file_write_atomic(sc, side, strlen(side), &err);
}

static int exists(const char *fmt, const char *a, const char *b)
{
    char p[2200];
    snprintf(p, sizeof p, fmt, a, b);
    return access(p, F_OK) == 0;
}

TEST(first_hour_new_user_path)
{
    const char *dir = lfd_test_tmpdir();
    char rec[1100], xml[1100], run[1100];
    snprintf(rec, sizeof rec, "%s/recordings", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    lfd_err err = {0};
    CHECK_OK(lfd_mkdir_p(rec, &err), &err);

    /* the robot: described from its MJCF alone */
    CHECK_EQ_INT(fh_write_robot(dir, xml, sizeof xml), 0);
    CHECK_EQ_INT(fh_run("robot init %s", xml), 0);

    /* the recordings: two generated BVH clips and a rate-less keypoint .npy */
    CHECK_EQ_INT(fh_run("human synth --task walk --seconds 3 -o %s/walk.bvh", rec), 0);
    CHECK_EQ_INT(fh_run("human synth --task wipe --seconds 3 -o %s/wipe.bvh", rec), 0);
    char npy[1200];
    snprintf(npy, sizeof npy, "%s/walk_smpl.npy", rec);
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 3, .fps = 120};
    CHECK_EQ_INT(fh_write_npy(npy, &so), 0);

    /* 1. QA of the mixed folder in one call: the rate applies to the .npy only */
    CHECK_EQ_INT(fh_run("qa %s --in-fps 40", rec), 0);
    CHECK_CONTAINS(out, "3 file(s): 3 pass");
    CHECK_CONTAINS(out, "not applied: the file states 120 Hz");
    CHECK_CONTAINS(out, "rate 40 Hz from");
    CHECK(strstr(out, "deprecated") == NULL);

    /* 2. retarget with -o to a folder that does not exist yet */
    CHECK(!exists("%s%s", run, "/motions"));
    /* (the mixed set in one call too: --in-fps applies to the .npy only, and each file says so) */
    CHECK_EQ_INT(fh_run("retarget %s/walk.bvh %s/wipe.bvh %s --in-fps 40 -r %s -o %s/motions/", rec, rec, npy,
                        xml, run), 0);
    CHECK_CONTAINS(out, "walk.bvh: --in-fps 40 not applied: the file states 120 Hz");
    CHECK_CONTAINS(out, "walk_smpl.npy: rate 40 Hz from --in-fps (the file gives none)");
    CHECK(exists("%s/motions/walk.%s.lfdm", run, "menagerie_biped"));
    CHECK(exists("%s/motions/wipe.%s.lfdm", run, "menagerie_biped"));
    CHECK(exists("%s/motions/walk_smpl.%s.lfdm", run, "menagerie_biped"));

    /* 3. check with tracking: the model has no floor; one is added, and said */
    int rc = fh_run("check %s/motions/walk.menagerie_biped.lfdm -r %s --track", run, xml);
    CHECK(rc == 0 || rc == 1); /* a verdict, not an error */
    CHECK_CONTAINS(out, "no ground (floor plane): lfd adds a plane");

    /* 4. replay: the hidden-group collision geoms are drawn; the robot is visible */
    rc = fh_run("replay %s/motions/walk.menagerie_biped.lfdm -r %s -o %s/frames --width 160 "
                "--height 120 --no-mp4 --max-frames 1 --no-check",
                run, xml, run);
    if (rc == 2 && strstr(out, "GL"))
        SKIP("replay: no offscreen GL context here");
    CHECK_EQ_INT(rc, 0);
    CHECK_CONTAINS(out, "collision geoms shown");
    char png[1200];
    snprintf(png, sizeof png, "%s/frames/frame_00000.png", run);
    static uint8_t img[160 * 120 * 3];
    CHECK_EQ_INT(fh_read_png(png, img, 160, 120), 0);
    long lit = 0;
    for (int i = 0; i < 160 * 120; i++)
        lit += img[3 * i] + img[3 * i + 1] + img[3 * i + 2] > 60;
    if (lit < 300)
        lfd_test_fail_at(__FILE__, __LINE__, "replay shows no robot: %ld lit pixels of 19200", lit);

    /* 5. train: recordings of a person without consent are refused, with the fix */
    const char *train = "train %s/motions/walk.menagerie_biped.lfdm %s/motions/wipe.menagerie_biped.lfdm "
                        "-r %s -o %s/policy.lfdp -q -e 2 --rollouts 0 --hidden 16";
    CHECK_EQ_INT(fh_run(train, run, run, xml, run), 1);
    CHECK_CONTAINS(out, "walk.bvh.prov.json beside walk.bvh");
    CHECK_CONTAINS(out, "--prov FILE");
    CHECK(!exists("%s%s", run, "/policy.lfdp"));
    /* the fix it names: the consent record beside each recording, retarget again */
    const char *prov = "{\"contributor_id\": \"anon-first-hour\", \"consent\": {\"scopes\": "
                       "[\"robot-training\"], \"date\": \"2026-01-01\"}}";
    const char *names[2] = {"walk", "wipe"};
    for (int i = 0; i < 2; i++) {
        char p[1300];
        snprintf(p, sizeof p, "%s/%s.bvh.prov.json", rec, names[i]);
        CHECK_OK(lfd_file_write_atomic(p, prov, strlen(prov), &err), &err);
    }
    CHECK_EQ_INT(fh_run("retarget %s/walk.bvh %s/wipe.bvh -r %s -o %s/motions/", rec, rec, xml, run), 0);
    /* with consent, train's check gate decides: the whole-body walk on this
       drafted robot fails lfd check (torques), the wipe passes; train on what passes */
    CHECK_EQ_INT(fh_run(train, run, run, xml, run), 1);
    CHECK_CONTAINS(out, "fail lfd check");
    CHECK_EQ_INT(fh_run("train %s/motions/wipe.menagerie_biped.lfdm -r %s -o %s/policy.lfdp -q -e 2 "
                        "--rollouts 0 --hidden 16",
                        run, xml, run),
                 0);
    CHECK(exists("%s%s", run, "/policy.lfdp"));

    /* 6. evaluate the policy on a motion */
    CHECK_EQ_INT(fh_run("eval %s/policy.lfdp %s/motions/wipe.menagerie_biped.lfdm -r %s", run, run, xml), 0);
    CHECK_CONTAINS(out, "wipe.menagerie_biped.lfdm");
}
