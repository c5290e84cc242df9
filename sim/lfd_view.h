/*  lfd_view: MuJoCo's interactive viewer for a robot motion (`lfd replay
    --view`).

    A GLFW window with MuJoCo's renderer plays the motion in real time, in a
    loop, with the bodies of the check's findings coloured as in `lfd replay`
    (red fail, orange warn, a red sphere at the centre of mass where the
    motion needs external help).  Keys: space pauses, left/right step one
    frame, Home goes to the start, Esc or closing the window ends it.  Mouse:
    left drag rotates the camera, right drag moves it (not while it tracks
    the root), scroll zooms.  Camera and geom groups as in `lfd replay`.  The
    title bar shows the frame, the time and the findings of the frame.

    Needs a display (X11 or Wayland through GLFW); fails with a clear error
    where there is none.  Runs on the calling thread until closed (or for
    max_s seconds when max_s > 0: scripted runs and tests under Xvfb). */
#ifndef LFD_VIEW_H
#define LFD_VIEW_H

#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"

typedef struct lfd_view_result {
    int frames_shown;   /* distinct motion frames drawn */
    int redraws;        /* windows drawn */
} lfd_view_result;

/* Shows motion m on robot r until the window closes (or max_s seconds);
   rep (may be NULL) highlights findings; camera and geom_groups (may be
   NULL: automatic) as lfd_render_opts. */
int lfd_view_motion(const lfd_robot *r, const lfd_motion *m, const lfd_check_report *rep,
                    const char *camera, const char *geom_groups, double max_s,
                    lfd_view_result *res, lfd_err *err);

#endif
