/*  lfd_poses (test support, not in the library): placing a floating robot on the floor, and simple motions.

    A robot pose is joint angles plus a root pose; the joint angles decide
    where the feet are relative to the root.  lfd_pose_plant() picks the
    root pose that puts one foot flat on the floor (sole plane at z = 0,
    level) at a given place and heading, so a motion written as joint
    trajectories alone becomes a motion whose feet stay on the floor.  The
    generators build the motions the checker's tests and benchmarks need
    (`lfd demo` retargets real or synthesised human motion instead):
    standing, a slow squat, joint trajectories on top of the default pose.  They name joints by Unitree's
    conventions (hip_pitch, knee, ankle or ankle_pitch): h1 and g1.
*/
#ifndef LFD_POSES_H
#define LFD_POSES_H

#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "robots/lfd_robot.h"

/* Sets qpos's root (position + quaternion) so that foot `side` (LFD_LEFT /
   LFD_RIGHT) is level with its sole centre at (x, y, 0) and its x axis at
   heading yaw_rad; joint angles are kept.  d is a scratch mjData of r->m. */
int lfd_pose_plant(const lfd_robot *r, mjData *d, double *qpos, int side, double x, double y,
                   double yaw_rad, lfd_err *err);

/* Plants foot `side` of every frame of m where that foot is in the
   default pose (lfd_pose_plant per frame). */
int lfd_pose_plant_motion(const lfd_robot *r, lfd_motion *m, int side, lfd_err *err);

/* A smooth bump: 0 before t0, rises (raised cosine) to 1 over ramp_s, holds
   until t1, falls back to 0 over ramp_s.  Times in seconds. */
double lfd_pose_bump(double t, double t0, double t1, double ramp_s);

/* Adds value * bump(t) to joint `name` (a joint name or a suffix pattern
   like "knee" matched against every joint whose name contains it) on every
   frame.  Returns the number of joints matched. */
int lfd_pose_add_joint(const lfd_robot *r, lfd_motion *m, const char *pattern, double value,
                       double t0, double t1, double ramp_s);

/* A standing motion: the default pose for `seconds` (a new motion in m). */
int lfd_pose_stand(const lfd_robot *r, lfd_motion *m, double seconds, double fps, lfd_err *err);

/* A slow squat: hip pitch -a, knee +2a, ankle pitch -a on both legs with
   a = depth_rad * (1 - cos(2 pi t / period)) / 2, feet planted where they
   stand in the default pose (so the pelvis stays over the ankles). */
int lfd_pose_squat(const lfd_robot *r, lfd_motion *m, double seconds, double fps, double depth_rad,
                   double period_s, lfd_err *err);

#endif
