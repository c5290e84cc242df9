/*  lfd_render: headless rendering of a robot motion with MuJoCo's renderer
    (`lfd replay`).

    Debian's libmujoco 2.2.2 links no OpenGL library itself: its renderer
    loads the GL entry points at run time from whatever context is current.
    lfd_render makes that context offscreen with EGL on Mesa's surfaceless
    platform (eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA), which
    needs no display and no GPU: llvmpipe renders in software), then draws
    into MuJoCo's offscreen framebuffer and reads the pixels back.  Shadows
    and reflections are off (about 35 ms per 640x480 frame in software).

    lfd_render_motion() is the whole of `lfd replay`: every frame of a motion
    to DIR/frame_00000.png ..., then DIR/replay.mp4 with ffmpeg (Debian's
    `ffmpeg`, run as a child process; skipped with a message when it is
    missing).  With a check report, the frames of each finding show the
    offending bodies in red (fail) or orange (warn): the joint's body for
    range/velocity/torque, both bodies of a self-collision, the body in the
    floor, the foot that slides, and a sphere at the centre of mass when
    the motion needs external help or loses balance.

    One renderer per thread (a GL context is current on one thread). */
#ifndef LFD_RENDER_H
#define LFD_RENDER_H

#include <stdint.h>

#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"

typedef struct lfd_render lfd_render;

/* Makes an offscreen renderer of width x height pixels for robot r (which
   must outlive it).  Fails with a clear message (LFD_EUNSUPPORTED-like
   LFD_EIO) when no EGL context can be made.  Free with lfd_render_free. */
int lfd_render_new(const lfd_robot *r, int width, int height, lfd_render **rd, lfd_err *err);
void lfd_render_free(lfd_render **rd);

/* Renders pose qpos (nq) into rgb (width*height*3, top row first).
   highlight (nbody entries or NULL): 0 none, 1 warn (orange), 2 fail (red);
   marker (3 values or NULL): a red sphere there (e.g. the CoM). */
int lfd_render_pose(lfd_render *rd, const double *qpos, const unsigned char *highlight,
                    const double *marker, uint8_t *rgb, lfd_err *err);

/* Writes an RGB image as PNG (atomically; zlib deflate). */
int lfd_png_write(const char *path, const uint8_t *rgb, int width, int height, lfd_err *err);

typedef struct lfd_render_opts {
    int width, height;  /* default 640 x 480 */
    int every;          /* render every n-th frame (default 1) */
    int max_frames;     /* 0 = all */
    int mp4;            /* 1: also DIR/replay.mp4 via ffmpeg */
    int progress;       /* 1: progress bar */
} lfd_render_opts;

void lfd_render_opts_default(lfd_render_opts *o);

typedef struct lfd_render_result {
    int frames;         /* PNGs written */
    int highlighted;    /* of which showed a finding */
    int mp4_written;    /* 1 if DIR/replay.mp4 was made */
    char mp4_note[256]; /* why not, when it was not */
    double ms_per_frame; /* rendering + readback, without PNG encoding */
} lfd_render_result;

/* Colours the geoms of the bodies marked in highlight (nbody entries: 1
   warn orange, 2 fail red; may be NULL) in an updated scene and adds a red
   sphere at marker (3 values, may be NULL).  Shared by replay and the viewer. */
void lfd_render_mark_scene(const mjModel *m, mjvScene *scn, const unsigned char *highlight,
                           const double *marker);

/* What to highlight at frame f of a checked motion: hl[body] (nbody entries)
   = 0 none, 1 warn, 2 fail for the bodies of the findings covering f, and
   *com_marker = 1 with com = the centre of mass at qpos when the frame needs
   external help or loses balance (d: scratch data of r's model).  Returns 1
   if anything is highlighted.  Shared by replay and the viewer. */
int lfd_render_findings(const lfd_robot *r, mjData *d, const double *qpos,
                        const lfd_check_report *rep, int f, unsigned char *hl, double com[3],
                        int *com_marker);

/* Renders motion m to PNG frames in dir (created if missing) and an MP4;
   rep (may be NULL) highlights findings. */
int lfd_render_motion(const lfd_robot *r, const lfd_motion *m, const lfd_check_report *rep,
                      const char *dir, const lfd_render_opts *o, lfd_render_result *res,
                      lfd_err *err);

#endif
