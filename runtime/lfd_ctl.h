/*  lfd_ctl: an example robot controller on the C client library.

    Drives a MuJoCo simulation of a robot from a served policy at a fixed
    control rate (500 Hz by default), stepped in lockstep with a real-time
    clock: every tick the loop sleeps until its deadline, publishes the
    observation (lfd_client_put_obs), reads the interpolated, filtered
    action (lfd_client_get_action: wait-free, never touches the network),
    runs lfd's PD + feed-forward controller (robots/lfd_robot.h) toward it
    and advances the simulation by one control period.  A background thread
    of the client library fetches chunks meanwhile.  What it measures is the
    cadence a real controller would see: achieved rate, overruns (a tick
    that ended after the next tick's deadline), the worst and p99 tick time,
    and the worst action read; and, against a reference motion, how well
    the robot tracked it and whether it fell.

    Observations.  Without a layout it fills "time_s" (seconds since the
    start), which is what playback policies observe.  With opts.obs (a
    policies/lfd_obs.h layout, e.g. rebuilt from a policy file's schema
    with lfd_obs_layout_from_names) it builds the behaviour-cloning
    observation from the simulated robot's state every tick with
    lfd_obs_build: joint positions and velocities, projected gravity, root
    angular velocity, the previous action (the command in force one policy
    control period ago, from a ring of past commands) and the phase (time
    over phase_s).  Either way a policy that observes something else is
    refused at hello by its schema, before the loop starts.
*/
#ifndef LFD_CTL_H
#define LFD_CTL_H

/* Built when the robots layer is present (robots/lfd_robot.h). */
#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "policies/lfd_obs.h"
#include "robots/lfd_robot.h"

typedef struct lfd_ctl_opts {
    const char *endpoint;       /* the server */
    const char *policy;         /* the served policy's name */
    double hz;                  /* control rate (500) */
    double seconds;             /* how long (5) */
    const lfd_motion *ref;      /* optional: start pose and tracking reference */
    const lfd_obs_layout *obs;  /* optional: build this observation (else "time_s") */
    double phase_s;             /* phase = time / phase_s (0: the reference's duration,
                                   else seconds) */
    double timeout_s;           /* client timeout (1 s) */
    const char *server_key, *public_key, *secret_key; /* CURVE, optional */
} lfd_ctl_opts;

void lfd_ctl_opts_init(lfd_ctl_opts *o);

typedef struct lfd_ctl_report {
    int ticks;
    double elapsed_s, achieved_hz;
    int overruns;                    /* ticks that ended past the next deadline */
    double tick_us_p50, tick_us_p99, tick_us_max;   /* wake to end of the tick's work */
    double read_us_max;              /* the worst lfd_client_get_action */
    double late_wake_us_max;         /* the worst oversleep past a deadline */
    int ticks_ok, ticks_server_hold, ticks_late, ticks_stale, ticks_no_data, ticks_filtered;
    int torque_clamped;              /* ticks where a joint torque hit its limit */
    int torque_held;                 /* ticks where the controller held a joint on damping because
                                        its torque was not finite (lfd_simloop's held) */
    int have_ref;
    double track_rad_mean, track_rad_max; /* |q - q_ref| over joints and ticks */
    int fell;                        /* floating base: the root dropped below half its height */
    double root_z_min_m;
    double sim_step_s;               /* MuJoCo's step (the model's, or one dividing the period) */
    char policy_hash[65];
    unsigned long long chunk_requests, timeouts;
} lfd_ctl_report;

/* Runs the controller.  Fails before the loop on a refused hello or a
   MuJoCo error; a simulation that diverges mid-run stops it with an error
   naming the time. */
int lfd_ctl_run(const lfd_robot *r, const lfd_ctl_opts *o, lfd_ctl_report *rep, lfd_err *err);

/* Prints the cadence report for people. */
void lfd_ctl_print(const lfd_ctl_report *rep, double hz);


#endif
