/*  lfd replay renders a few frames headless (EGL on surfaceless Mesa) with
    the offending bodies highlighted; skipped with a clear message when no
    GL context can be made here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "core/lfd_io.h"
#include "sim/lfd_render.h"
#include "tests/test_check_util.h"

TEST(check_render_replay_frames)
{
    lfd_robot *r = ck_robot("h1");
    if (!r)
        return;
    lfd_err err = {0};
    lfd_render *rd = NULL;
    if (lfd_render_new(&rd, r, 160, 120, &err)) {
        lfd_robot_free(&r);
        char why[600];
        snprintf(why, sizeof why, "no offscreen GL context: %s", err.msg);
        SKIP(why);
    }
    /* a highlighted pose differs from the plain one, and both show the robot */
    static uint8_t a[160 * 120 * 3], b[160 * 120 * 3];
    unsigned char *hl = calloc((size_t)r->m->nbody, 1);
    CHECK_OK(lfd_render_pose(rd, r->qpos_default, NULL, NULL, a, &err), &err);
    for (int i = 0; i < r->m->nbody; i++)
        hl[i] = 2;
    CHECK_OK(lfd_render_pose(rd, r->qpos_default, hl, NULL, b, &err), &err);
    long diff = 0, red = 0;
    for (int i = 0; i < 160 * 120; i++) {
        diff += a[3 * i] != b[3 * i] || a[3 * i + 1] != b[3 * i + 1];
        red += b[3 * i] > 150 && b[3 * i + 1] < 80 && b[3 * i + 2] < 80;
    }
    CHECK(diff > 200);
    CHECK(red > 200);
    free(hl);
    lfd_render_free(&rd);

    /* the command: 3 frames of a motion with a range fault, MP4 included */
    lfd_motion m;
    CHECK_OK(lfd_pose_stand(r, &m, 1, 30, &err), &err);
    lfd_pose_add_joint(r, &m, "torso_joint", 2.45, 0.3, 0.7, 0.2);
    char path[2100], dir[1024], args[4096], out[8192];
    snprintf(path, sizeof path, "%s/m.lfdm", lfd_test_tmpdir());
    snprintf(dir, sizeof dir, "%s/replay", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    snprintf(args, sizeof args, "replay %s --robot h1 -o %s --width 160 --height 120 --every 10", path, dir);
    /* a frame of an earlier replay (every frame) is not left among these;
       other files are */
    char stale[2100], other[2100];
    snprintf(stale, sizeof stale, "%s/frame_00011.png", dir);
    snprintf(other, sizeof other, "%s/frame_notes.png", dir);
    CHECK_OK(lfd_mkdir_p(dir, &err), &err);
    CHECK_OK(lfd_file_write_atomic(stale, "x", 1, &err), &err);
    CHECK_OK(lfd_file_write_atomic(other, "x", 1, &err), &err);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK(access(stale, F_OK) != 0);
    CHECK(access(other, F_OK) == 0);
    CHECK_CONTAINS(out, "removed 1 frame PNGs of an earlier replay");
    CHECK_CONTAINS(out, "4 frames");
    CHECK_CONTAINS(out, "2 with findings highlighted");
    /* frames are named by the motion's frame number (0, 10, 20, 30), as the
       check's findings name frames */
    char png_path[2100];
    snprintf(png_path, sizeof png_path, "%s/frame_00010.png", dir);
    CHECK(access(png_path, F_OK) == 0);
    snprintf(png_path, sizeof png_path, "%s/frame_00001.png", dir);
    CHECK(access(png_path, F_OK) != 0);
    snprintf(png_path, sizeof png_path, "%s/frame_00030.png", dir);
    uint8_t *png = NULL;
    size_t len = 0;
    if (lfd_file_read(png_path, 1 << 22, &png, &len, &err) == LFD_OK) {
        CHECK(len > 100 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        free(png);
    } else {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
    }
    /* a replay into that folder without a video removes the earlier
       replay's video and an interrupted run's .tmp (they were left beside
       the new frames: review) */
    char vid[2100], vtmp[2100];
    snprintf(vid, sizeof vid, "%s/replay.mp4", dir);
    snprintf(vtmp, sizeof vtmp, "%s/replay.mp4.tmp", dir);
    CHECK_OK(lfd_file_write_atomic(vid, "x", 1, &err), &err);
    CHECK_OK(lfd_file_write_atomic(vtmp, "x", 1, &err), &err);
    snprintf(args, sizeof args, "replay %s --robot h1 -o %s --width 160 --height 120 --no-mp4 --every 30", path, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK(access(vid, F_OK) != 0);
    CHECK(access(vtmp, F_OK) != 0);
    /* interrupted (SIGTERM; Ctrl-C is the same handler) after a second of a
       20 s motion at every frame: it stops, says how far it got, exits 2 and
       leaves no video's temporary file (it died leaving replay.mp4.tmp:
       review) */
    {
        lfd_motion lm;
        char lpath[2100], ldir[1100], sh[8192];
        CHECK_OK(lfd_pose_stand(r, &lm, 20, 50, &err), &err);
        snprintf(lpath, sizeof lpath, "%s/long.lfdm", lfd_test_tmpdir());
        snprintf(ldir, sizeof ldir, "%s/replay_cut", lfd_test_tmpdir());
        CHECK_OK(lfd_motion_write(&lm, lpath, &err), &err);
        lfd_motion_free(&lm);
        snprintf(sh, sizeof sh,
                 "'%s' replay '%s' --robot h1 -o '%s' --width 160 --height 120 --no-check > '%s/cut.log' 2>&1 & "
                 "p=$!; sleep 1; kill -TERM $p; wait $p; echo \"rc=$?\" >> '%s/cut.log'",
                 lfd_test_lfd_bin(), lpath, ldir, lfd_test_tmpdir(), lfd_test_tmpdir());
        CHECK_EQ_INT(system(sh), 0);
        char logp[2100];
        snprintf(logp, sizeof logp, "%s/cut.log", lfd_test_tmpdir());
        uint8_t *lg = NULL;
        size_t ln = 0;
        if (lfd_file_read(logp, 1 << 20, &lg, &ln, &err) == LFD_OK) {
            char *t = realloc(lg, ln + 1);
            if (t) {
                t[ln] = '\0';
                CHECK(strstr(t, "interrupted after") != NULL);
                CHECK(strstr(t, "rc=2") != NULL);
                lg = (uint8_t *)t;
            }
            free(lg);
        } else {
            lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        }
        snprintf(vtmp, sizeof vtmp, "%s/replay.mp4.tmp", ldir);
        CHECK(access(vtmp, F_OK) != 0);
    }
    /* --every near INT_MAX: one frame, frame 0 (the frame count overflowed
       and nothing was rendered, exit 0: review) */
    char dir2[1100];
    snprintf(dir2, sizeof dir2, "%s/replay_big_every", lfd_test_tmpdir());
    snprintf(args, sizeof args, "replay %s --robot h1 -o %s --width 160 --height 120 --no-mp4 --every 2147483647",
             path, dir2);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "1 frames");
    snprintf(png_path, sizeof png_path, "%s/frame_00000.png", dir2);
    CHECK(access(png_path, F_OK) == 0);
    /* --view (of the motion) without a display: a clear error */
    snprintf(args, sizeof args, "replay %s --robot h1 --view", path);
    setenv("DISPLAY", "", 1);
    unsetenv("WAYLAND_DISPLAY");
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "--view");
    lfd_motion_free(&m);
    lfd_robot_free(&r);
}

/* the interactive viewer on a virtual display (Xvfb): it opens a window,
   plays the motion and closes after --view-seconds; a display that cannot
   be opened gives a clear error */
TEST(check_render_view_on_virtual_display)
{
    if (system("command -v xvfb-run >/dev/null 2>&1") != 0)
        SKIP("xvfb-run not installed (make deps installs it)");
    lfd_robot *r = ck_robot("h1");
    if (!r)
        return;
    lfd_err err = {0};
    lfd_motion m;
    CHECK_OK(lfd_pose_stand(r, &m, 2, 30, &err), &err);
    lfd_pose_add_joint(r, &m, "torso_joint", 2.45, 0.3, 0.7, 0.2);
    char path[2100], cmd[8192], out[8192];
    snprintf(path, sizeof path, "%s/v.lfdm", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    snprintf(cmd, sizeof cmd,
             "xvfb-run -a -s '-screen 0 800x600x24' %s replay %s --robot h1 --view --view-seconds 2 2>&1",
             lfd_test_lfd_bin(), path);
    FILE *fp = popen(cmd, "r");
    CHECK(fp != NULL);
    if (fp) {
        size_t n = fread(out, 1, sizeof out - 1, fp);
        out[n] = '\0';
        int st = pclose(fp);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_CONTAINS(out, "viewer closed after");
        int redraws = 0, shown = 0;
        const char *p = strstr(out, "viewer closed after");
        if (p)
            sscanf(p, "viewer closed after %d redraws (%d motion frames shown)", &redraws, &shown);
        CHECK(redraws > 0 && shown > 0);
    }
    /* a display that is set but not there */
    snprintf(cmd, sizeof cmd, "replay %s --robot h1 --view", path);
    setenv("DISPLAY", ":987", 1);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 2);
    CHECK_CONTAINS(out, "no display could be opened");
    lfd_motion_free(&m);
    lfd_robot_free(&r);
}

/* red pixels (a highlighted body) in an RGB image */
static long red_pixels(const uint8_t *rgb, int n)
{
    long red = 0;
    for (int i = 0; i < n; i++)
        red += rgb[3 * i] > 150 && rgb[3 * i + 1] < 80 && rgb[3 * i + 2] < 80;
    return red;
}

/* a tracking camera keeps a walking robot in the picture even when frames
   are far apart (every 30th frame of a walk): MuJoCo's own tracking camera
   eases towards the body and lost it */
TEST(check_render_camera_follows_walk)
{
    lfd_robot *r = ck_robot("h1");
    if (!r)
        return;
    lfd_err err = {0};
    lfd_render *rd = NULL;
    if (lfd_render_new(&rd, r, 160, 120, &err)) {
        lfd_robot_free(&r);
        char why[600];
        snprintf(why, sizeof why, "no offscreen GL context: %s", err.msg);
        SKIP(why);
    }
    static uint8_t img[160 * 120 * 3];
    unsigned char *hl = malloc((size_t)r->m->nbody);
    memset(hl, 2, (size_t)r->m->nbody);
    double *q = malloc((size_t)r->nq * sizeof *q);
    memcpy(q, r->qpos_default, (size_t)r->nq * sizeof *q);
    /* the robot (all red) at 0, 1, 2, ... 6 m along x: a 1 m/s walk every 30th frame */
    for (int k = 0; k <= 6; k++) {
        q[0] = r->qpos_default[0] + k;
        CHECK_OK(lfd_render_pose(rd, q, hl, NULL, img, &err), &err);
        long red = red_pixels(img, 160 * 120);
        if (red < 200)
            lfd_test_fail_at(__FILE__, __LINE__, "robot out of the picture %d m along: %ld red pixels", k, red);
    }
    free(q);
    free(hl);
    lfd_render_free(&rd);

    /* the command picks the camera: tracking for a walk, fixed standing still */
    lfd_motion m;
    CHECK_OK(lfd_pose_stand(r, &m, 4, 30, &err), &err);
    char path[2100], dir[1024], args[4096], out[8192];
    snprintf(path, sizeof path, "%s/stand.lfdm", lfd_test_tmpdir());
    snprintf(dir, sizeof dir, "%s/cam", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    snprintf(args, sizeof args, "replay %s --robot h1 -o %s --width 64 --height 48 --max-frames 1 --no-mp4 --no-check", path, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "camera: fixed");
    for (int f = 0; f < m.nframes; f++)
        lfd_motion_frame(&m, f)[0] += f / m.fps; /* 1 m/s along x */
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "camera: tracking the root");
    /* a camera of the model by name, or a clear error naming the choices */
    snprintf(args, sizeof args, "replay %s --robot h1 -o %s --camera nosuch --no-check", path, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "--camera nosuch");
    CHECK_CONTAINS(out, "track");
    lfd_motion_free(&m);
    lfd_robot_free(&r);
}

/* reads back a PNG written by lfd_png_write (8-bit RGB, filter 0 on every
   row) into rgb (w*h*3); 0 on success */
static int read_lfd_png(const char *path, uint8_t *rgb, int w, int h)
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
        for (int y = 0; y < h; y++) {
            if (raw[(size_t)y * row] != 0)
                rc = -1;
            memcpy(rgb + (size_t)y * (size_t)w * 3, raw + (size_t)y * row + 1, (size_t)w * 3);
        }
    }
    free(z);
    free(raw);
    free(buf);
    return rc;
}

/* A Menagerie-style model whose only geoms are collision geoms in group 3
   (hidden by MuJoCo's default) and which has no floor: replay draws them
   (it drew a black picture), and --geom-groups chooses groups by hand. */
static const char g3_xml[] =
    "<mujoco model=\"g3bot\">\n"
    "  <compiler autolimits=\"true\" angle=\"radian\"/>\n"
    "  <default><default class=\"collision\"><geom group=\"3\" rgba=\"0.7 0.7 0.7 1\"/></default></default>\n"
    "  <worldbody>\n"
    "    <camera name=\"front\" pos=\"3 0 0.8\" xyaxes=\"0 1 0 0 0 1\"/>\n"
    "    <body name=\"pelvis\" pos=\"0 0 0.9\">\n"
    "      <freejoint name=\"root\"/>\n"
    "      <geom class=\"collision\" type=\"box\" size=\"0.1 0.15 0.08\"/>\n"
    "      <body name=\"torso\" pos=\"0 0 0.1\">\n"
    "        <joint name=\"waist_joint\" axis=\"0 0 1\" range=\"-1 1\"/>\n"
    "        <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 0 0 0 0.4\" size=\"0.1\"/>\n"
    "      </body>\n"
    "      <body name=\"left_leg\" pos=\"0 0.09 -0.08\">\n"
    "        <joint name=\"left_hip_joint\" axis=\"0 1 0\" range=\"-1.5 1.5\"/>\n"
    "        <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 0 0 0 -0.75\" size=\"0.05\"/>\n"
    "      </body>\n"
    "      <body name=\"right_leg\" pos=\"0 -0.09 -0.08\">\n"
    "        <joint name=\"right_hip_joint\" axis=\"0 1 0\" range=\"-1.5 1.5\"/>\n"
    "        <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 0 0 0 -0.75\" size=\"0.05\"/>\n"
    "      </body>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "  <actuator>\n"
    "    <motor joint=\"waist_joint\" ctrlrange=\"-50 50\"/>\n"
    "    <motor joint=\"left_hip_joint\" ctrlrange=\"-100 100\"/>\n"
    "    <motor joint=\"right_hip_joint\" ctrlrange=\"-100 100\"/>\n"
    "  </actuator>\n"
    "</mujoco>\n";
static const char g3_robot[] =
    "lfd-robot 1\n"
    "mjcf g3bot.xml\n"
    "joint waist_joint vel=5 kp=50 kd=2\n"
    "joint left_hip_joint vel=5 kp=80 kd=2\n"
    "joint right_hip_joint vel=5 kp=80 kd=2\n";

/* pixels that are not the black background */
static long lit_pixels(const uint8_t *rgb, int n)
{
    long lit = 0;
    for (int i = 0; i < n; i++)
        lit += rgb[3 * i] + rgb[3 * i + 1] + rgb[3 * i + 2] > 60;
    return lit;
}

TEST(check_render_collision_only_model_visible)
{
    char xml[2100], desc[2100], mpath[2100], dir[2100], args[8192], out[8192], png[2200];
    snprintf(xml, sizeof xml, "%s/g3bot.xml", lfd_test_tmpdir());
    snprintf(desc, sizeof desc, "%s/g3bot.robot", lfd_test_tmpdir());
    lfd_err err = {0};
    CHECK_OK(lfd_file_write_atomic(xml, g3_xml, strlen(g3_xml), &err), &err);
    CHECK_OK(lfd_file_write_atomic(desc, g3_robot, strlen(g3_robot), &err), &err);
    lfd_robot *r = ck_robot(xml);
    if (!r)
        return;
    lfd_render *rd = NULL;
    if (lfd_render_new(&rd, r, 160, 120, &err)) {
        lfd_robot_free(&r);
        char why[600];
        snprintf(why, sizeof why, "no offscreen GL context: %s", err.msg);
        SKIP(why);
    }
    static uint8_t img[160 * 120 * 3];
    CHECK_OK(lfd_render_pose(rd, r->qpos_default, NULL, NULL, img, &err), &err);
    long lit = lit_pixels(img, 160 * 120);
    if (lit < 300)
        lfd_test_fail_at(__FILE__, __LINE__, "the robot is not visible: %ld lit pixels", lit);
    /* groups by hand: none of the robot's is an error that names its groups */
    int fallback = 0;
    CHECK_EQ_INT(lfd_render_set_geom_groups(rd, "0,1", &fallback, &err), LFD_EARG);
    CHECK_CONTAINS(err.msg, "groups 3");
    CHECK_EQ_INT(lfd_render_set_geom_groups(rd, "0,x", &fallback, &err), LFD_EARG);
    CHECK_OK(lfd_render_set_geom_groups(rd, "all", &fallback, &err), &err);
    CHECK_OK(lfd_render_set_geom_groups(rd, NULL, &fallback, &err), &err);
    CHECK_EQ_INT(fallback, 1);
    lfd_render_free(&rd);

    /* the command: a pixel check on the frame it wrote */
    lfd_motion m;
    CHECK_OK(lfd_robot_motion_alloc(r, &m, 5, 30, 0, &err), &err);
    snprintf(mpath, sizeof mpath, "%s/g3.lfdm", lfd_test_tmpdir());
    snprintf(dir, sizeof dir, "%s/g3frames", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write(&m, mpath, &err), &err);
    snprintf(args, sizeof args, "replay %s --robot %s -o %s --width 160 --height 120 --no-mp4 --max-frames 1",
             mpath, xml, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "collision geoms shown");
    snprintf(png, sizeof png, "%s/frame_00000.png", dir);
    memset(img, 0, sizeof img);
    CHECK_EQ_INT(read_lfd_png(png, img, 160, 120), 0);
    lit = lit_pixels(img, 160 * 120);
    if (lit < 300)
        lfd_test_fail_at(__FILE__, __LINE__, "replay's frame shows no robot: %ld lit pixels", lit);
    /* the model's own camera by name: the robot is in its picture too */
    snprintf(args, sizeof args,
             "replay %s --robot %s -o %s/cam --width 160 --height 120 --no-mp4 --max-frames 1 --camera front",
             mpath, xml, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "the model's camera front");
    snprintf(png, sizeof png, "%s/cam/frame_00000.png", dir);
    memset(img, 0, sizeof img);
    CHECK_EQ_INT(read_lfd_png(png, img, 160, 120), 0);
    lit = lit_pixels(img, 160 * 120);
    if (lit < 300)
        lfd_test_fail_at(__FILE__, __LINE__, "the model camera's frame shows no robot: %ld lit pixels", lit);
    /* --geom-groups that hide the robot: refused before anything is written */
    snprintf(args, sizeof args, "replay %s --robot %s -o %s/none --geom-groups 0,1,2 --no-check",
             mpath, xml, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "draws none of the robot's geoms");
    snprintf(png, sizeof png, "%s/none", dir);
    CHECK(access(png, F_OK) != 0);
    lfd_motion_free(&m);
    lfd_robot_free(&r);
}

/* The video plays in the motion's time (its rate / --every) but no slower
   than 2 fps: a replay of every 30th frame of a 30 fps motion had each
   still held for a second, and one frame of every 1000 for 33 s.  ffmpeg is
   stood in for by a script that keeps its arguments, so this runs where the
   real one is missing too. */
TEST(check_render_video_rate_has_a_floor)
{
    lfd_robot *r = ck_robot("h1");
    if (!r)
        return;
    lfd_err err = {0};
    lfd_render *rd = NULL;
    if (lfd_render_new(&rd, r, 64, 48, &err)) {
        lfd_robot_free(&r);
        char why[600];
        snprintf(why, sizeof why, "no offscreen GL context: %s", err.msg);
        SKIP(why);
    }
    lfd_render_free(&rd);
    lfd_motion m;
    CHECK_OK(lfd_pose_stand(r, &m, 2, 30, &err), &err);
    lfd_robot_free(&r);
    const char *t = lfd_test_tmpdir();
    char path[2100], bin[2100], ff[2200], sh[12288], logp[2100], ap[2200];
    snprintf(path, sizeof path, "%s/m.lfdm", t);
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    lfd_motion_free(&m);
    snprintf(bin, sizeof bin, "%s/bin", t);
    CHECK_OK(lfd_mkdir_p(bin, &err), &err);
    snprintf(ff, sizeof ff, "%s/ffmpeg", bin);
    snprintf(ap, sizeof ap, "%s/args", bin);
    const char *script = "#!/bin/sh\n"
                         "echo \"$@\" > \"$(dirname \"$0\")/args\"\n"
                         "cat > /dev/null\n"
                         "for a; do last=$a; done\n"
                         "echo video > \"$last\"\n";
    CHECK_OK(lfd_file_write_atomic(ff, script, strlen(script), &err), &err);
    CHECK_EQ_INT(chmod(ff, 0755), 0);
    snprintf(logp, sizeof logp, "%s/out.log", t);
    int every[2] = {10, 30};
    const char *rate[2] = {"-framerate 3 ", "-framerate 2 "}, *said[2] = {"replay.mp4\n", "2x real time"};
    for (int k = 0; k < 2; k++) {
        snprintf(sh, sizeof sh,
                 "PATH='%s':\"$PATH\" '%s' replay '%s' --robot h1 -o '%s/v%d' --width 64 --height 48 "
                 "--every %d --no-check > '%s' 2>&1",
                 bin, lfd_test_lfd_bin(), path, t, k, every[k], logp);
        CHECK_EQ_INT(system(sh), 0);
        uint8_t *o = NULL, *a = NULL;
        size_t n;
        CHECK_OK(lfd_file_read(logp, 1 << 20, &o, &n, &err), &err);
        CHECK_OK(lfd_file_read(ap, 1 << 20, &a, &n, &err), &err);
        if (o && a) {
            CHECK(strstr((char *)a, rate[k]) != NULL);
            CHECK(strstr((char *)o, said[k]) != NULL);
        }
        free(o);
        free(a);
    }
}
