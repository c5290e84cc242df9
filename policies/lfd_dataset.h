/*  lfd_dataset: behaviour-cloning samples from robot motions.

    A demonstration (a robot motion of the policy's robot) becomes one
    sample per control period: at t_i = i * control_period_s, for i = 0 ..
    floor(duration / period),
      observation  lfd_obs_build() of the motion's state at t_i: qpos
                   interpolated between frames (slerp for the root
                   orientation), qvel from the motion if it stores one, else
                   central differences over its frames; previous action =
                   the joint targets of t_{i-1} (t_0 for the first sample);
                   phase = t_i / duration;
      action chunk the driven joints' positions at t_i + k * period for k =
                   0 .. chunk-1 (held at the motion's end): row k is the PD
                   target for time t_i + k * period, the same meaning a
                   playback policy's rows have, so a perfect policy replays
                   its demonstration.
    Samples stay grouped by demonstration so that train and validation sets
    are split by demonstration (lfd_dataset_split), never by frame: frames
    of one motion are nearly copies of their neighbours, and a split by
    frame would measure memory, not generalisation.

    Simulated rollouts (DART-style noise injection).  A policy that acts
    closes a loop the demonstration never showed: the robot lags its
    targets, its joint velocities are the controller's, and each small
    error changes the next observation.  Trained on kinematic samples alone
    a network meets those states for the first time on the robot and the
    errors compound (measured on h1: mean tracking error 5-10 times the
    controller's own, or a fall; docs/policies.md).  With sim.rollouts > 0
    each demonstration is also replayed in MuJoCo (lfd_track.h) that many
    times with its targets perturbed by smooth noise (an Ornstein-Uhlenbeck
    process per driven joint, std noise_rad, correlation time noise_tau_s):
    the observations are the simulated robot's, the previous action the
    perturbed target that was in force, and the labels stay the clean
    demonstration's chunk, so the network learns to steer back (Laskey et
    al., "DART: Noise Injection for Robust Imitation Learning", 2017).  The
    rollouts of a demonstration belong to it for the split.  They run on
    sim.threads threads (default 2), each rollout with its own seeded
    generator and output slot, so the result does not depend on the
    thread count.

    Normalisation statistics (lfd_dataset_stats) come from the training
    demonstrations only, per observation and per driven joint (pooled over
    the chunk's rows), with a floor on each std so that a feature that
    never moved in training cannot blow up at run time.
*/
#ifndef LFD_DATASET_H
#define LFD_DATASET_H

#include <stdint.h>

#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "policies/lfd_obs.h"

#define LFD_DATASET_MAX_SAMPLES 20000000
#define LFD_DATASET_MAX_DEMOS 100000
#define LFD_DATASET_MAX_FLOATS ((size_t)1 << 31) /* 8 GiB of samples: refused before */

typedef struct lfd_dataset_demo {
    char name[256];
    int start, count;    /* samples [start, start + count) */
    double duration_s;
} lfd_dataset_demo;

typedef struct lfd_dataset {
    int obs_dim;         /* layout dim */
    int chunk, ndriven;  /* action rows and width */
    int act_dim;         /* chunk * ndriven */
    double period_s;
    int n, cap;          /* samples */
    float *obs;          /* n x obs_dim, raw units */
    float *act;          /* n x act_dim, absolute joint targets */
    int ndemos, demo_cap;
    lfd_dataset_demo *demos;
} lfd_dataset;

/* An empty dataset for a layout, chunk (1..LFD_POLICY_MAX_CHUNK) and
   control period.  Free with lfd_dataset_free. */
int lfd_dataset_init(lfd_dataset *ds, const lfd_obs_layout *L, int chunk, double period_s,
                     lfd_err *err);
void lfd_dataset_free(lfd_dataset *ds);

/* Appends a motion as one demonstration named name.  The motion must be
   the layout's robot's (the caller checks with lfd_robot_motion_check). */
int lfd_dataset_add_motion(lfd_dataset *ds, const lfd_obs_layout *L, const lfd_motion *m,
                           const char *name, lfd_err *err);

/* Simulated rollouts of each demonstration (see above). */
typedef struct lfd_dataset_sim {
    const lfd_robot *robot;  /* the layout's robot */
    int rollouts;            /* per demonstration (0: none) */
    double noise_rad;        /* target perturbation std (default 0.05) */
    double noise_tau_s;      /* its correlation time (default 0.3) */
    uint64_t seed;
    int threads;             /* 0: 2 */
} lfd_dataset_sim;

void lfd_dataset_sim_init(lfd_dataset_sim *s);

/* Appends a motion as one demonstration: its kinematic samples and, with
   sim non-NULL and sim->rollouts > 0, the samples of its simulated
   rollouts.  A rollout that falls or diverges ends there (its samples up
   to then are kept). */
int lfd_dataset_add_demo(lfd_dataset *ds, const lfd_obs_layout *L, const lfd_motion *m,
                         const char *name, const lfd_dataset_sim *sim, lfd_err *err);

/* The motion's state at time t (s, clamped to the motion): qpos (nq) and
   qvel (nv).  Used by dataset building and closed-loop evaluation. */
void lfd_motion_state_at(const lfd_motion *m, double t_s, double *qpos, double *qvel);

/* Chooses validation demonstrations: round(val_frac * ndemos) of them (at
   least 1 when val_frac > 0 and there are 2 or more, never all),
   deterministic for a seed.  Writes is_val[ndemos] (1 = validation) and
   returns the number chosen. */
int lfd_dataset_split(const lfd_dataset *ds, double val_frac, uint64_t seed, int *is_val);

/* Mean and std of the samples of demonstrations with is_val[d] == which
   (is_val NULL: all).  obs: obs_dim each; act: ndriven each (pooled over
   the chunk).  std is at least obs_floor / act_floor. */
int lfd_dataset_stats(const lfd_dataset *ds, const int *is_val, int which, float obs_floor,
                      float act_floor, float *obs_mean, float *obs_std, float *act_mean,
                      float *act_std, lfd_err *err);

/* Residual labels (policies/lfd_policy.h, action_mode "residual"): in
   place, every action row of every sample becomes its change from the
   sample's previous action, act - (prev + default), with prev read from
   the observation's prev block and default = (float)L->q_default, the
   same float arithmetic lfd_policy_step uses to add it back.  Refuses
   (LFD_EARG) a layout without the prev block. */
int lfd_dataset_to_residual(lfd_dataset *ds, const lfd_obs_layout *L, lfd_err *err);

/* Copies the samples of demonstrations with is_val[d] == which (NULL: all),
   normalised with the statistics (act stats per driven joint), into new
   arrays *X (n x obs_dim) and *Y (n x act_dim); free both with free().
   *n may be 0 (then *X = *Y = NULL). */
int lfd_dataset_gather(const lfd_dataset *ds, const int *is_val, int which,
                       const float *obs_mean, const float *obs_std, const float *act_mean,
                       const float *act_std, float **X, float **Y, int *n, lfd_err *err);

#endif
