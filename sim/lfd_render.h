/*  lfd_render: headless rendering of a robot motion with MuJoCo's renderer
    (`lfd replay`).

    Debian's libmujoco 2.2.2 links no OpenGL library itself: its renderer
    loads the GL entry points at run time from whatever context is current.
    lfd_render makes that context offscreen with EGL on Mesa's surfaceless
    platform (eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA), which
    needs no display and no GPU: llvmpipe renders in software), then draws
    into MuJoCo's offscreen framebuffer and reads the pixels back.  Shadows
    and reflections are off (about 35 ms per 640x480 frame in software).

    lfd_render_motion() is the whole of `lfd replay`: every n-th frame of a
    motion to DIR/frame_NNNNN.png, named by the motion's frame number (so
    they match the frames `lfd check` names), and DIR/replay.mp4 with ffmpeg
    (Debian's `ffmpeg`, a child process fed the pixels on a socket; skipped
    with a message when it is missing).

    The camera (lfd_render_camera) follows the robot's root when the motion
    travels (a walk stays in the picture), looks at the middle of the motion
    from a fixed point when it stays in place, or is a camera of the model.
    The geom groups drawn are MuJoCo's default visual groups (0, 1, 2) unless
    none of the robot's geoms is in them (models such as Menagerie's H1 keep
    collision geoms in group 3): then every group holding the robot's geoms
    is drawn.  With a check report, the frames of each finding show the
    offending bodies in red (fail) or orange (warn): the joint's body for
    range/velocity/torque, both bodies of a self-collision, the body in the
    floor, the foot that slides, and a sphere at the centre of mass when
    the motion needs external help or loses balance.

    One renderer per thread (a GL context is current on one thread). */
#ifndef LFD_RENDER_H
#define LFD_RENDER_H

#include <signal.h>
#include <stdint.h>

#include <mujoco/mujoco.h>

#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"

typedef struct lfd_render lfd_render;

/* Makes an offscreen renderer of width x height pixels for robot r (which
   must outlive it).  Fails with a clear message (LFD_EUNSUPPORTED-like
   LFD_EIO) when no EGL context can be made.  The caller frees *rd with
   lfd_render_free (which NULLs the pointer); *rd is NULL on failure. */
int lfd_render_new(lfd_render **rd, const lfd_robot *r, int width, int height, lfd_err *err);
void lfd_render_free(lfd_render **rd);

/* ---- camera ---- */
enum {
    LFD_CAMERA_AUTO = 0, /* track when the root travels over 1 m, else fixed */
    LFD_CAMERA_FIXED,    /* looks at the middle of the root's path, far enough to see all of it */
    LFD_CAMERA_TRACK,    /* follows the root (a walk stays in the picture) */
    LFD_CAMERA_MODEL     /* a camera defined in the model */
};

typedef struct lfd_render_camera {
    int mode;              /* LFD_CAMERA_FIXED, _TRACK or _MODEL once planned */
    int model_cam;         /* _MODEL: the camera's id */
    double lookat[3];      /* _FIXED: the point looked at */
    double distance_m, azimuth_deg, elevation_deg;
    double travel_m;       /* horizontal extent (bounding-box diagonal) of the root's path */
    char note[160];        /* what was chosen and why, for people */
} lfd_render_camera;

/* Plans the camera for motion m (may be NULL: tracking the root) on robot r:
   spec NULL, "" or "auto" (track when the root's path is over 1 m across,
   else fixed), "fixed", "track" or the name of a camera in the model (an
   unknown name is LFD_EARG listing the model's cameras).  The view is from
   the front-left of the robot's heading in the first frame.  d: scratch
   data of r's model. */
int lfd_render_camera_plan(const lfd_robot *r, mjData *d, const lfd_motion *m, const char *spec,
                           lfd_render_camera *c, lfd_err *err);

/* Points cam for the pose whose kinematics are in d (lookat on the root
   for a tracking camera).  follow_only: 1 updates only what tracking moves
   (the viewer keeps the user's angles and distance). */
void lfd_render_camera_apply(const lfd_robot *r, const mjData *d, const lfd_render_camera *c,
                             int follow_only, mjvCamera *cam);

/* Sets the renderer's camera (default: tracking the root). */
void lfd_render_set_camera(lfd_render *rd, const lfd_render_camera *c);

/* ---- geom groups ---- */
/* Chooses the geom groups to draw into group[mjNGROUP]: spec NULL, "" or
   "auto" = MuJoCo's default (0, 1, 2) unless no geom of the robot (a body
   other than the world) would be drawn, then every group that holds one of
   its geoms, with *fallback = 1; "all"; or a list of group numbers "0,2,3".
   LFD_EARG on a bad list or one that draws none of the robot's geoms. */
int lfd_render_geom_groups(const mjModel *m, const char *spec, mjtByte group[mjNGROUP],
                           int *fallback, lfd_err *err);

/* Sets the renderer's geom groups (lfd_render_geom_groups; lfd_render_new
   applies spec NULL). */
int lfd_render_set_geom_groups(lfd_render *rd, const char *spec, int *fallback, lfd_err *err);

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
    const char *camera; /* NULL/"auto", "fixed", "track" or a camera of the model */
    const char *geom_groups; /* NULL/"auto", "all" or "0,1,2,3" (lfd_render_geom_groups) */
    volatile sig_atomic_t *cancel; /* may be NULL; set (e.g. by a SIGINT handler): the
                                      rendering stops after the frame in hand, the
                                      video is not kept, LFD_ESTATE "interrupted" */
} lfd_render_opts;

void lfd_render_opts_init(lfd_render_opts *o);

/* The video's lowest frame rate.  It plays in the motion's time (the
   motion's rate / --every) unless that is slower: one frame of every 1000 of
   a 30 fps motion held each still for 33 s, a one-frame video for as long. */
#define LFD_RENDER_MP4_FPS_MIN 2.0

typedef struct lfd_render_result {
    int frames;         /* PNGs written */
    int first_frame, last_frame; /* motion frame numbers of the first and last PNG */
    char camera_note[160]; /* the camera chosen and why */
    char groups_note[160]; /* the geom groups drawn, when not MuJoCo's default */
    int old_frames_removed; /* frame_NNNNN.png of an earlier replay removed from dir */
    int highlighted;    /* of which showed a finding */
    int mp4_written;    /* 1 if DIR/replay.mp4 was made */
    char mp4_note[256]; /* why not, when it was not */
    double mp4_fps;     /* its frame rate: the motion's rate / --every, at least
                           LFD_RENDER_MP4_FPS_MIN */
    double mp4_speed;   /* how many times real time it plays (1 unless raised
                           to that floor) */
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

/* Renders every opts->every-th frame of motion m to dir/frame_NNNNN.png
   (NNNNN: the motion's frame number; dir created if missing, the
   frame_NNNNN.png of an earlier replay in it removed first) and an MP4
   (written to a temporary name, renamed when ffmpeg succeeds); rep (may be
   NULL) highlights findings. */
int lfd_render_motion(const lfd_robot *r, const lfd_motion *m, const lfd_check_report *rep,
                      const char *dir, const lfd_render_opts *o, lfd_render_result *res,
                      lfd_err *err);

#endif
