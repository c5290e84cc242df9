/*  lfd_filter: the safety filter between a policy and the motors.

    Every action a policy produces passes through this filter twice: in the
    server (over each step of a chunk, at the policy's control period) and
    again in the client library (at the control loop's own tick).  For one
    action vector a (joint position targets) and the previous command p:
      1. non-finite: if any element is NaN or infinite the whole action is
         replaced by the hold action (p, or the caller's hold pose when there
         is no previous command); the offending joints are flagged;
      2. range: each target is clamped to [lo, hi];
      3. acceleration: the step's velocity (a - p) / dt may differ from the
         previous step's velocity by at most acc * dt (acc 0 = no limit);
      4. velocity: |a - p| / dt <= vel.
    Rate limits apply relative to the previous command.  The previous
    command is first moved into the joint range (a non-finite one is
    replaced by the range-clamped action asked for): whatever a client sends
    as prev_action or current, every action leaves the filter inside
    [lo, hi] (issue 19).  A robot that starts outside its range is commanded
    to the nearest end of it, and the joint is flagged LFD_FILTER_START.
    Without a previous command (first action after a reset) only steps 1
    and 2 apply; without a previous velocity, step 3 is skipped.

    Model/state split, as in MuJoCo: lfd_filter_limits is immutable and
    borrowed (pointers into a policy or a client's copy of the limits), an
    lfd_filter_state is the per-session (per-client) memory: the previous
    command and its velocity.  lfd_filter_step allocates nothing.

    Reports: per-joint flags (ORed over the steps filtered, so a chunk's
    flags say which joints were touched anywhere in it) and counts.
*/
#ifndef LFD_FILTER_H
#define LFD_FILTER_H

#include <stdint.h>

#include "core/lfd_err.h"

/* per-joint flags */
enum {
    LFD_FILTER_CLAMPED = 1,   /* clamped to the joint range */
    LFD_FILTER_VEL = 2,       /* velocity limited */
    LFD_FILTER_ACC = 4,       /* acceleration limited */
    LFD_FILTER_NONFINITE = 8, /* NaN or infinity replaced (whole action held) */
    LFD_FILTER_START = 16,    /* the previous command was outside the range (or not
                                 finite) and was moved into it first */
    LFD_FILTER_SIZE = 32      /* limits and state were for different joint counts:
                                 the whole action held */
};

/* Joint limits, borrowed: n joints; vel_rad_s > 0 (INFINITY = none);
   acc_rad_s2 >= 0 (0 or INFINITY = none). */
typedef struct lfd_filter_limits {
    int n;
    const float *lo, *hi;
    const float *vel_rad_s;
    const float *acc_rad_s2;
} lfd_filter_limits;

/* What a call changed (added to, never reset by lfd_filter_step). */
typedef struct lfd_filter_counts {
    uint32_t clamped, vel_limited, acc_limited, nonfinite;
    uint32_t held; /* actions replaced by the hold action */
    uint32_t start_clamped; /* joints whose previous command was moved into range */
} lfd_filter_counts;

typedef struct lfd_filter_state {
    int n, cap;
    int have_prev, have_vel;
    float *prev;   /* n: the previous command */
    float *vel;    /* n: its velocity, rad/s */
} lfd_filter_state;

/* Allocates state for up to cap joints (n = cap, no previous command).
   Free with lfd_filter_state_free. */
int lfd_filter_state_init(lfd_filter_state *st, int cap, lfd_err *err);
void lfd_filter_state_free(lfd_filter_state *st);
/* Forgets the previous command and sets n joints.  With current != NULL,
   current becomes the previous command; with vel_rad_s != NULL too, its
   velocity (else the acceleration limit starts at the second step).
   Returns LFD_OK, or LFD_ELIMIT if n is outside 0..cap: then the state has
   no joints, so every step holds until a reset that succeeds. */
int lfd_filter_state_reset(lfd_filter_state *st, int n, const float *current,
                           const float *vel_rad_s);

/* The previous command of a robot that was sent a chunk of nsteps actions
   (n each, dt_s apart) elapsed_s ago and plays them in turn, holding the
   last one once the chunk is over: the step due now (elapsed_s / dt_s,
   rounded) becomes the previous command; its velocity is the chunk's step
   into it, zero once the chunk is over (the robot stands at its last step;
   before 2026-12-07 the server kept the chunk's last velocity there, and
   the acceleration limit then drove the joint on past where it stood), and
   none at the first step.  scratch: 2 n floats.  Allocates nothing.
   Returns lfd_filter_state_reset's result. */
int lfd_filter_state_from_chunk(lfd_filter_state *st, int n, const float *chunk, int nsteps,
                                double dt_s, double elapsed_s, float *scratch);

/* Filters one action in place (lim->n elements) for a step of dt_s seconds
   after the previous command, and makes it the new previous command.  If
   st->n differs from lim->n the whole action is replaced by the hold
   action instead (the previous command for joints the state has), every
   joint flagged LFD_FILTER_SIZE, and the state is left as it was.  hold (n, may be NULL) is the pose used when there is no
   previous command and the action is not finite; without it the joint
   range's midpoint (or 0) is used.  flags (n, may be NULL) are ORed,
   counts (may be NULL) added to.  Returns 1 if the action was replaced by
   the hold action, else 0. */
int lfd_filter_step(const lfd_filter_limits *lim, lfd_filter_state *st, float *a, double dt_s,
                    const float *hold, uint8_t *flags, lfd_filter_counts *counts);

/* Flags LFD_FILTER_START (and counts start_clamped) on the joints whose
   previous command is outside the joint range, as lfd_filter_step does,
   for a reply that holds without a filter step; returns how many.  flags
   and counts may be NULL. */
int lfd_filter_flag_start(const lfd_filter_limits *lim, const lfd_filter_state *st, uint8_t *flags,
                          lfd_filter_counts *counts);

/* The pose to hold (n = lim->n into out): the previous command moved into
   the joint range; without a (finite) one, hold (may be NULL) clamped;
   else the range's midpoint (or 0).  The same pose lfd_filter_step holds
   on a non-finite action. */
void lfd_filter_hold_pose(const lfd_filter_limits *lim, const lfd_filter_state *st,
                          const float *hold, float *out);

/* Checks limits: lo <= hi, vel > 0, acc >= 0, no NaN. */
int lfd_filter_limits_check(const lfd_filter_limits *lim, lfd_err *err);

#endif
