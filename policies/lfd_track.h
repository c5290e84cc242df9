/*  lfd_track: a simulated robot following joint targets, one control period
    at a time.

    The low-level loop every policy runs on (lfd's one simulation loop,
    sim/lfd_simloop.h): MuJoCo steps at the model's timestep, and each step
    lfd's controller (lfd_robot_ff_control: PD +
    inverse-dynamics feed-forward at the measured state) drives every joint
    toward a target that moves linearly from one row of targets to the next
    over the control period (velocity reference: their difference over the
    period), clamped to the joint's range.  Closed-loop evaluation
    (lfd_eval.h) runs policies on it; dataset building (lfd_dataset.h) runs
    noisy copies of a demonstration on it to see the states a controller
    really visits.

    Model/workspace split: lfd_track_new allocates the simulation loop (MuJoCo
    data, the controller's workspace) once; lfd_track_period allocates nothing.  One
    lfd_track per thread (the robot itself is shared, read-only).
*/
#ifndef LFD_TRACK_H
#define LFD_TRACK_H

#include "core/lfd_err.h"
#include "robots/lfd_robot.h"

typedef struct lfd_track lfd_track;

/* A tracker for r at a control period of whole simulation steps (the
   nearest number of the model's timesteps to period_s, at least one); r
   must outlive it.  The caller frees *out with lfd_track_free (which NULLs
   the pointer); *out is NULL on failure. */
int lfd_track_new(lfd_track **out, const lfd_robot *r, double period_s, lfd_err *err);
void lfd_track_free(lfd_track **t);

/* Sets the state (qpos nq; qvel nv or NULL = zero) and time zero. */
void lfd_track_reset(lfd_track *t, const double *qpos, const double *qvel);

/* One control period toward rows (nrows >= 1 rows of njoints absolute
   joint targets; row k is for k periods after now: the period moves from
   row 0 to row 1, or holds row 0 when nrows is 1).  Fails (LFD_ENUMERIC)
   when MuJoCo reports an error or the state diverges; the state is then
   not usable.  A target that is not finite also fails (LFD_ENUMERIC),
   before any step: the state is unchanged. */
int lfd_track_period(lfd_track *t, const float *rows, int nrows, lfd_err *err);

const double *lfd_track_qpos(const lfd_track *t);
const double *lfd_track_qvel(const lfd_track *t);
/* The period actually simulated (whole timesteps). */
double lfd_track_period_s(const lfd_track *t);
/* Simulation steps so far whose torque was clamped somewhere. */
int lfd_track_clamped_steps(const lfd_track *t);

/* Root tilt (rad) of the current state: the angle between the root's z
   axis and the vertical (0 for a fixed base). */
double lfd_track_tilt_rad(const lfd_track *t);

#endif
