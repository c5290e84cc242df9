/*  lfd replay renders a few frames headless (EGL on surfaceless Mesa) with
    the offending bodies highlighted; skipped with a clear message when no
    GL context can be made here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
    if (lfd_render_new(r, 160, 120, &rd, &err)) {
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
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "4 frames");
    CHECK_CONTAINS(out, "2 with findings highlighted");
    char png_path[2100];
    snprintf(png_path, sizeof png_path, "%s/frame_00003.png", dir);
    uint8_t *png = NULL;
    size_t len = 0;
    if (lfd_file_read(png_path, 1 << 22, &png, &len, &err) == LFD_OK) {
        CHECK(len > 100 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        free(png);
    } else {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
    }
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
