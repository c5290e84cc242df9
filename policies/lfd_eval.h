/*  lfd_eval: how good is a behaviour-cloning policy, offline and in
    closed loop.  This is what `lfd eval` runs.

    Offline (lfd_eval_offline).  The given demonstrations become samples
    exactly as in training (lfd_dataset.h, with the layout rebuilt from the
    policy's observation names).  Each demonstration is classed by its
    content hash against the split the policy's meta records: "train",
    "validation", or "new" (not used in training).  The policy is measured
    on the held-out ones (validation and new); only when none was given is
    it measured on its training demonstrations, and the report says so.
    Error: RMSE (rad) per driven joint over every sample and chunk row,
    and per chunk row.  Two baselines on the same samples:
      zero-order hold  every row of the chunk = the previous action (the
                       target in force one control period ago): "keep
                       doing nothing new";
      nearest neighbour  the action chunk of the nearest training sample
                       (Euclidean, in the policy's normalised observation
                       space; samples of the evaluated demonstration itself
                       are excluded), searched exhaustively with sgemm.
    The training demonstrations must be among the given files for the
    nearest-neighbour baseline (it needs their samples).

    Closed loop (lfd_eval_closed_loop).  MuJoCo from the motion's start
    (whole body: its first frame; upper body: the default standing pose
    with the driven joints at the first frame): every control period the
    observation is built from the simulated state (lfd_obs_build), the
    policy returns a chunk whose first `exec` rows drive the next exec
    periods (by default chunk / 2, as lfd_client's refill does when the
    policy is served), and meanwhile lfd's controller
    (lfd_robot_ff_control: PD + inverse-dynamics feed-forward at the
    measured state) tracks the chunk, interpolated linearly between its
    rows and clamped to the joint ranges; joints the policy does not drive
    hold the default pose.  The run lasts the motion's duration plus
    extra_s with the phase held at 1 at the end.  Reported: tracking error
    over time (mean |q - q_demo| over the driven joints), whether and when
    the robot fell (root tilt beyond fall_tilt_rad, or the root below half
    its starting height), and the same run with the demonstration itself
    as the target (what the controller achieves with perfect actions), so
    the policy's figure has its ceiling beside it, and its floor: the error
    of a robot that held its starting pose still for the whole run
    (hold_rad_mean, computed from the demonstration; a policy no better
    than that has learnt nothing).  When the reference run falls, the
    controller cannot follow the demonstration even with perfect actions
    and comparing the policy with it means nothing (`lfd eval` says so).
*/
#ifndef LFD_EVAL_H
#define LFD_EVAL_H

#include "core/lfd_err.h"
#include "core/lfd_json.h"
#include "core/lfd_motion.h"
#include "policies/lfd_bc.h"
#include "policies/lfd_obs.h"
#include "policies/lfd_policy.h"
#include "robots/lfd_robot.h"

enum { LFD_DEMO_TRAIN = 0, LFD_DEMO_VAL = 1, LFD_DEMO_NEW = 2 };

typedef struct lfd_eval_joint {
    char name[64];
    double rmse_rad, zoh_rmse_rad, nn_rmse_rad;
} lfd_eval_joint;

typedef struct lfd_eval_offline_report {
    int ndemos, nheld_out, ntrain_given;
    int *demo_class;          /* ndemos: LFD_DEMO_* */
    int in_sample;            /* 1: no held-out demonstration: measured on training ones */
    int nsamples;             /* evaluated samples */
    int have_nn;              /* the nearest-neighbour baseline was computed */
    int njoints;              /* driven joints */
    lfd_eval_joint joints[LFD_OBS_MAX_JOINTS];
    double rmse_rad, zoh_rmse_rad, nn_rmse_rad;   /* over joints, samples and rows */
    int chunk;
    double row_rmse[LFD_POLICY_MAX_CHUNK];         /* per chunk row, over joints */
    double row_zoh_rmse[LFD_POLICY_MAX_CHUNK], row_nn_rmse[LFD_POLICY_MAX_CHUNK];
} lfd_eval_offline_report;

void lfd_eval_offline_free(lfd_eval_offline_report *rep);

/* Offline evaluation of p on the demonstrations (see above). */
int lfd_eval_offline(const lfd_policy *p, const lfd_robot *r, int n, const lfd_bc_demo *demos,
                     lfd_eval_offline_report *rep, lfd_err *err);

/* Which split of p's training a content hash was in (LFD_DEMO_*). */
int lfd_eval_demo_class(const lfd_policy *p, const char *sha256);

typedef struct lfd_eval_closed_opts {
    int exec;                /* control periods each chunk drives before the next query
                                (0 = default: chunk / 2, what lfd_client's refill does;
                                1 = replan every period) */
    double extra_s;          /* run past the motion's end (default 0.5) */
    double fall_tilt_rad;    /* default 0.8 */
    int reference;           /* also track the demonstration itself (default 1) */
    double series_dt_s;      /* tracking error series resolution (default 0.25) */
} lfd_eval_closed_opts;

void lfd_eval_closed_opts_init(lfd_eval_closed_opts *o);

#define LFD_EVAL_MAX_SERIES 2048

typedef struct lfd_eval_run {
    int fell;
    double t_fall_s;            /* -1 if it did not fall */
    double track_rad_mean;      /* mean over time of the mean |q - q_demo| over driven joints */
    double track_rad_max;       /* worst single joint error */
    double track_rad_final;     /* mean error over the last 0.5 s */
    double root_z_min_m, tilt_max_rad;
    int policy_errors;          /* periods where inference failed (the target held) */
    int torque_clamped;         /* control steps with a clamped torque */
    int nseries;
    double series_err[LFD_EVAL_MAX_SERIES]; /* mean error per series_dt_s window */
} lfd_eval_run;

typedef struct lfd_eval_closed_report {
    double duration_s, series_dt_s;
    lfd_eval_run policy;
    int have_reference;
    lfd_eval_run reference;     /* the controller tracking the demonstration itself */
    double hold_rad_mean;       /* holding the starting pose: mean |q_start - q_demo| over
                                   the driven joints and the run's length */
} lfd_eval_closed_report;

/* 0 when the reference run fell (no closed-loop comparison is meaningful),
   else 1 (also when there is no reference run). */
int lfd_eval_closed_comparable(const lfd_eval_closed_report *rep);

/* Closed-loop evaluation of p on one motion (see above). */
int lfd_eval_closed_loop(const lfd_policy *p, const lfd_robot *r, const lfd_motion *m,
                         const lfd_eval_closed_opts *o, lfd_eval_closed_report *rep,
                         lfd_err *err);

/* JSON writers for the reports (objects, written at the current position). */
void lfd_eval_offline_json(const lfd_eval_offline_report *rep, const lfd_bc_demo *demos,
                           lfd_jw *jw);
void lfd_eval_closed_json(const lfd_eval_closed_report *rep, lfd_jw *jw);

#endif
