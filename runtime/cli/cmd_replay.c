/*  `lfd replay`: render a robot motion headless to PNG frames and an MP4
    (sim/lfd_render.h), with the check's findings highlighted. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "robots/lfd_robot.h"
#include "core/lfd_util.h"
#include "runtime/cli/lfd_cli.h"
#include "sim/lfd_check.h"
#include "sim/lfd_render.h"
#include "sim/lfd_view.h"

static volatile sig_atomic_t g_replay_stop;
static void on_stop(int sig)
{
    (void)sig;
    g_replay_stop = 1;
}

static int run_replay(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *robot = NULL, *out = NULL, *camera = NULL, *groups = NULL;
    int width = 640, height = 480, every = 1, max_frames = 0, no_mp4 = 0, no_check = 0, view = 0;
    double view_s = 0;
    lfd_opt opts[] = {
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH", "robot (built-in name, .robot or .xml path)"},
        {"out", 'o', LFD_OPT_STR, &out, "DIR", "folder for frame_NNNNN.png and replay.mp4"},
        {"width", 0, LFD_OPT_INT, &width, "PX", "image width (default 640)"},
        {"height", 0, LFD_OPT_INT, &height, "PX", "image height (default 480)"},
        {"every", 0, LFD_OPT_INT, &every, "N", "render every N-th frame (default 1); the video plays in the motion's time, at 2 fps at least"},
        {"max-frames", 0, LFD_OPT_INT, &max_frames, "N", "render at most N frames (1 or more; default all)"},
        {"camera", 0, LFD_OPT_STR, &camera, "fixed|track|NAME",
         "follow the root, fixed, or a camera of the model (default: track when the root "
         "travels over 1 m)"},
        {"geom-groups", 0, LFD_OPT_STR, &groups, "LIST",
         "geom groups drawn: auto (default: 0-2, or the robot's groups when none of its geoms "
         "is in 0-2), all, or 0,1,2,3"},
        {"no-mp4", 0, LFD_OPT_FLAG, &no_mp4, NULL, "PNG frames only"},
        {"no-check", 0, LFD_OPT_FLAG, &no_check, NULL, "do not run the check (no highlights)"},
        {"view", 0, LFD_OPT_FLAG, &view, NULL, "open MuJoCo's interactive viewer (needs a display)"},
        {"view-seconds", 0, LFD_OPT_DOUBLE, &view_s, "S", "close the viewer after S seconds (scripts)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    if (!robot)
        return lfd_cli_usage_error(cmd, "--robot is required");
    /* given numbers are used as given: --max-frames 0 is not "all" (leave it out for all) */
    if (!(every >= 1))
        return lfd_cli_range_error(cmd, "every", every, "1 or more (1: every frame)");
    if (lfd_args_given("max-frames") && !(max_frames >= 1))
        return lfd_cli_range_error(cmd, "max-frames", max_frames, "1 or more (leave it out for all frames)");
    if (!(width >= 16 && width <= 4096))
        return lfd_cli_range_error(cmd, "width", width, "16 to 4096 pixels");
    if (!(height >= 16 && height <= 4096))
        return lfd_cli_range_error(cmd, "height", height, "16 to 4096 pixels");
    if (lfd_args_given("view-seconds") && !(view_s > 0))
        return lfd_cli_range_error(cmd, "view-seconds", view_s, "above 0 s");
    if (lfd_cli_is_dir(pos[0]))
        return lfd_cli_usage_error(cmd, "%s is a folder, not a motion file", pos[0]);
    if (lfd_cli_is_human_file(pos[0]))
        return lfd_cli_usage_error(cmd, "%s is a human recording, not a robot motion: retarget it first "
                                        "(lfd retarget %s --robot %s -o OUT.lfdm)", pos[0], pos[0], robot);
    if (lfd_util_has_suffix(pos[0], ".csv"))
        return lfd_cli_usage_error(cmd, "%s is a motion CSV; lfd replay reads .lfdm: convert it first "
                                        "(lfd motion convert %s OUT.lfdm --robot %s --in-fps HZ)",
                                   pos[0], pos[0], robot);
    lfd_err err = {0};
    if (view) {
        const char *disp = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
        if ((!disp || !*disp) && (!wl || !*wl)) {
            lfd_fail(&err, LFD_EUNSUPPORTED,
                     "--view needs a display ($DISPLAY or $WAYLAND_DISPLAY is not set); "
                     "%s", out ? "leave --view out to render headless into -o DIR" : "use -o DIR to render headless");
            return lfd_cli_error(cmd, &err);
        }
    } else if (!out) {
        return lfd_cli_usage_error(cmd, "-o DIR is required");
    }
    lfd_robot *r = NULL;
    if ((rc = lfd_robot_load(&r, robot, &err)))
        return lfd_cli_error(cmd, &err);
    lfd_motion m;
    if ((rc = lfd_motion_read(&m, pos[0], &err))) {
        lfd_robot_free(&r);
        return lfd_cli_error(cmd, &err);
    }
    lfd_check_report *rep = NULL;
    if (!no_check) {
        if (lfd_check_report_new(&rep, &err) || lfd_check_run(r, &m, NULL, rep, &err)) {
            lfd_check_report_free(&rep);
            lfd_motion_free(&m);
            lfd_robot_free(&r);
            return lfd_cli_error(cmd, &err);
        }
    }
    if (view) {
        /* the interactive viewer instead of files */
        lfd_view_result vr;
        rc = lfd_view_motion(r, &m, rep, camera, groups, view_s, &vr, &err);
        if (!rc)
            printf("viewer closed after %d redraws (%d motion frames shown)\n", vr.redraws,
                   vr.frames_shown);
        lfd_check_report_free(&rep);
        lfd_motion_free(&m);
        lfd_robot_free(&r);
        return rc ? lfd_cli_error(cmd, &err) : LFD_EXIT_OK;
    }
    lfd_render_opts o;
    lfd_render_opts_init(&o);
    o.width = width;
    o.height = height;
    o.every = every;
    o.max_frames = max_frames;
    o.mp4 = !no_mp4;
    o.progress = 1;
    o.camera = camera;
    o.geom_groups = groups;
    /* Ctrl-C (or SIGTERM) stops after the frame in hand: the video's
       temporary file is removed and the command says how far it got (it
       died leaving replay.mp4.tmp beside the frames: review) */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    g_replay_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    o.cancel = &g_replay_stop;
    lfd_render_result res;
    rc = lfd_render_motion(r, &m, rep, out, &o, &res, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (!rc) {
        printf("%d frames -> %s/frame_%05d.png ... frame_%05d.png (named by motion frame; "
               "%.1f ms per frame), %d with findings highlighted%s%s\n",
               res.frames, out, res.first_frame, res.last_frame, res.ms_per_frame,
               res.highlighted, rep ? "; check verdict " : "",
               rep ? lfd_check_verdict_name(rep->verdict) : "");
        printf("camera: %s\n", res.camera_note);
        if (res.old_frames_removed)
            printf("removed %d frame PNGs of an earlier replay from %s\n", res.old_frames_removed,
                   out);
        if (res.groups_note[0])
            printf("%s\n", res.groups_note);
        if (res.mp4_written && res.mp4_speed > 1)
            printf("video: %s/replay.mp4 (%.3g fps: %.3gx real time, the video's slowest rate)\n",
                   out, res.mp4_fps, res.mp4_speed);
        else if (res.mp4_written)
            printf("video: %s/replay.mp4\n", out);
        else
            printf("no video: %s\n", res.mp4_note);
    }
    lfd_check_report_free(&rep);
    lfd_motion_free(&m);
    lfd_robot_free(&r);
    return rc ? lfd_cli_error(cmd, &err) : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_replay, "replay", "render a robot motion headless to PNG frames and an MP4",
            "MOTION --robot NAME|PATH (-o DIR | --view) [options]",
            "Renders every frame with MuJoCo's renderer on an offscreen EGL context\n"
            "(surfaceless Mesa: no display or GPU needed), writes DIR/frame_NNNNN.png\n"
            "(NNNNN: the motion's frame, as in lfd check's findings; --every 30 gives\n"
            "frame_00000, frame_00030, ...) and DIR/replay.mp4 (ffmpeg).  The camera\n"
            "follows the robot's root when the motion travels, else looks at it from a\n"
            "fixed point.  A model whose geoms are all outside the visual groups 0-2\n"
            "(e.g. collision geoms in group 3) has those groups drawn.  The motion is\n"
            "checked first (lfd check's defaults): bodies over a limit are drawn red\n"
            "(fail) or orange (warn) in the frames of the finding, and a red sphere\n"
            "marks the centre of mass where the motion needs external help.  --view\n"
            "instead opens an interactive window (GLFW; needs a display): the motion\n"
            "plays in a loop; space pauses, left/right step, Home restarts, mouse drag\n"
            "rotates/moves, scroll zooms, Esc closes.",
            run_replay)
