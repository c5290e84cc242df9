/*  lfd_playback: serve a checked robot motion as a policy.

    A playback policy (policies/lfd_policy.h, kind "playback") replays a
    motion by time: its one observation is time_s, its actions the motion's
    joint angles at time_s + k * control_period_s, linearly interpolated
    between frames and held at the ends.  This builds one from a motion and
    the robot it was made for, taking the schema (joint names in model
    order, units), the safety filter's limits (joint ranges, velocity and
    acceleration limits) and the default pose from the robot description,
    so that `lfd serve MOTION.lfdm --robot NAME` filters playback exactly as
    it filters a learned policy.  The motion is refused if it does not
    belong to the robot (lfd_robot_motion_check).
*/
#ifndef LFD_PLAYBACK_H
#define LFD_PLAYBACK_H

/* Built when the robots layer is present (robots/lfd_robot.h). */
#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "policies/lfd_policy.h"
#include "robots/lfd_robot.h"

/* Builds a playback policy named name (<= 63 bytes) that replays m for r
   with the given control period (> 0) and chunk (1..LFD_POLICY_MAX_CHUNK).
   Its lineage is the motion's provenance plus "motion" (motion_label, e.g.
   the file name) and "motion_sha256" (may be NULL).  Its hash is the
   SHA-256 of its encoding.  Free with lfd_policy_free. */
int lfd_playback_from_motion(const lfd_motion *m, const lfd_robot *r, const char *name,
                             double control_period_s, int chunk, const char *motion_label,
                             const char *motion_sha256, lfd_policy **out, lfd_err *err);


#endif
