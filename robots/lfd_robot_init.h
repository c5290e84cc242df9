/*  lfd_robot_init: drafting a robot description from an MJCF alone.

    Most users already have an MJCF (MuJoCo Menagerie, dm_control, their
    vendor) and no lfd description.  lfd_robot_init() reads the compiled
    model and writes the description (docs/robots.md) that lfd would need:

      - every hinge/slide joint, its range from the MJCF;
      - torque limits from the actuators (motor: gear x ctrlrange or
        forcerange; position servo: gear x forcerange) and PD gains (a
        position servo's kp and kv; otherwise guessed from the torque);
      - velocity limits: MJCF has no field for them, so a stated default;
      - the legs: the two lowest chains on either side of the trunk, their
        hip, knee and ankle from the joint axes; the feet: the ankle-side
        body whose collision geoms reach the floor, sole rectangle and
        height from the geoms' extents;
      - the arms: the two chains beside the upper trunk that reach furthest
        sideways; shoulder, elbow, wrist from the joint axes; hands: the arm
        body named hand/palm, else the most distal geometry;
      - the retargeting map from that tree, with offsets at the joint
        centres (the retargeter scales from link lengths itself);
      - exclusions: body pairs already touching at the default pose;
      - the default pose from a keyframe named home, stand or default (else
        the zero pose);
      - whether the base floats (a comment: the loader reads it from the
        free joint).

    Every guessed value carries a comment saying it was guessed and from
    what.  The draft is loaded (lfd_robot_load_text) before it is returned,
    so a draft that lfd itself cannot load is an error, never a file.

    The retargeter reads a robot's zero pose as the human rest pose:
    upright, facing +x, z up.  A model whose zero pose faces elsewhere, or
    whose foot frames are not z-up, gets an error that says so (and what
    to edit in the MJCF). */
#ifndef LFD_ROBOT_INIT_H
#define LFD_ROBOT_INIT_H

#include <stddef.h>

#include "core/lfd_err.h"

typedef struct lfd_robot_init_opts {
    double vel_default;    /* rad/s for joints the MJCF gives no velocity limit (0: 20) */
    const char *name;      /* robot name (NULL: the MJCF's base name) */
} lfd_robot_init_opts;

/* Sets the defaults. */
void lfd_robot_init_opts_init(lfd_robot_init_opts *o);

/* Drafts the description of the MJCF at mjcf_path, to be written at
   out_path (its mjcf line is relative to out_path's folder when the MJCF is
   in or below it, else absolute).  On success *text is the description
   (NUL-terminated, *len bytes; free with free()) and it has been loaded
   as out_path without error; warnings (guessed velocity limits, ...) go
   to the log.  Errors name the MJCF and what was not found ("no second
   leg", "no two arms", ...). */
int lfd_robot_init(const char *mjcf_path, const char *out_path, const lfd_robot_init_opts *opts,
                   char **text, size_t *len, lfd_err *err);

#endif
