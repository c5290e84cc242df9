/*  lfd_bc: behaviour cloning from demonstrations to a policy file, with
    the consent gate.  This is what `lfd train` runs.

    Steps (lfd_bc_train_motions; lfd_bc_train reads the files first):
      1. consent: every demonstration's provenance must hold a consent
         record (core/lfd_lineage.h) that covers every purpose declared
         (default "robot-training") on today's date.  Demonstrations that
         fail are all named in one error (LFD_EDENIED) and nothing is
         trained.  The one override, no_people, is for data with no person
         in it (synthetic or procedurally generated motions): it accepts a
         demonstration that names no contributor anywhere in its lineage,
         and never one that does; the policy's meta records that it was
         used.
      2. robot: every motion must belong to the robot (lfd_robot_motion_check).
      3. dataset (lfd_dataset.h) with the observation layout (lfd_obs.h), a
         split by demonstration, statistics from the training split.
      4. training (lfd_train.h) of an MLP obs_dim -> hidden... -> chunk *
         ndriven, with observation noise given in physical units.  With
         action_mode residual (the default) the labels are each chunk
         row's change from the sample's previous action
         (lfd_dataset_to_residual), normalised with their own statistics
         from the training split; the policy adds them back to the
         observed previous action.
      5. the policy: schema from the layout and the robot's joint table,
         limits and default pose from the robot, the statistics, the driven
         joints, lineage (lfd_lineage_add_input for every demonstration
         used, training and validation alike: content hash, contributor and
         the demonstration's own lineage), and meta (settings, split by
         content hash, losses).

    Check gate (step 2b): unless allow_unchecked, every motion is run
    through `lfd check` (sim/lfd_check.h, default thresholds); any that
    fails refuses the whole training (LFD_EDENIED naming them), ones that
    warn are used and counted (meta "check_warned").
*/
#ifndef LFD_BC_H
#define LFD_BC_H

#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "policies/lfd_mlp.h"
#include "policies/lfd_obs.h"
#include "policies/lfd_policy.h"
#include "policies/lfd_train.h"
#include "robots/lfd_robot.h"

#define LFD_BC_MAX_DEMOS 4096

typedef struct lfd_bc_opts {
    lfd_obs_opts obs;
    int chunk;                 /* actions per prediction (default 10) */
    double control_period_s;   /* default 0.02 (50 Hz) */
    int nhidden;               /* hidden layers (default 2) */
    int hidden[LFD_MLP_MAX_LAYERS - 1]; /* widths (default 256, 256) */
    lfd_activation act;        /* hidden activation (default relu) */
    lfd_train_opts train;      /* epochs 300, batch 256, patience 40, lr 1e-3 -> 1e-5 */
    uint64_t init_seed;        /* weight initialisation (default: train.seed) */
    double val_frac;           /* fraction of demonstrations held out (default 0.2) */
    /* simulated rollouts per demonstration with perturbed targets (DART,
       lfd_dataset.h); default 4, noise 0.05 rad, correlation 0.3 s */
    int sim_rollouts;
    double sim_noise_rad, sim_noise_tau_s;
    /* observation noise, physical units (0 = none); see lfd_train.h */
    double noise_q_rad, noise_qd_rad_s, noise_prev_rad, noise_gravity, noise_angvel_rad_s;
    float obs_std_floor, act_std_floor; /* default 0.05 and 0.01 */
    /* absolute targets or residual (change from the previous action,
       lfd_policy.h); default residual, which needs obs.prev_action */
    lfd_action_mode action_mode;
    float delta_std_floor;     /* residual: floor of the delta std (default 0.002 rad) */
    const char *purpose;       /* comma-separated (default "robot-training") */
    const char *today;         /* YYYY-MM-DD (NULL: lfd_today()) */
    int no_people;             /* accept demonstrations without any contributor */
    int allow_unchecked;       /* train on motions that did not pass lfd check */
    const char *name;          /* policy name (required, <= 63 bytes) */
} lfd_bc_opts;

void lfd_bc_opts_init(lfd_bc_opts *o);

typedef struct lfd_bc_report {
    int ndemos, ntrain_demos, nval_demos;
    int ntrain, nval;          /* samples */
    int obs_dim, act_dim, ndriven, chunk;
    size_t nparams;
    int no_people_used;        /* demonstrations let through by no_people */
    int check_warned;          /* demonstrations used with an lfd check warning */
    char consent_hint[768];    /* after a consent refusal: the ways forward (lfd_bc_consent_hint) */
    lfd_train_result train;
} lfd_bc_report;

/* One demonstration in memory: the motion, a name for messages and the
   lineage, and its content hash (hex SHA-256 of its file). */
typedef struct lfd_bc_demo {
    const lfd_motion *motion;
    const char *name;
    const char *sha256;
} lfd_bc_demo;

/* Checks every demonstration's consent for the purposes on today; names
   all refused demonstrations in err (LFD_EDENIED).  *no_people_used counts
   the ones accepted by the no_people override (may be NULL). */
int lfd_bc_consent_check(int n, const lfd_bc_demo *demos, const char *purpose,
                         const char *today, int no_people, int *no_people_used, lfd_err *err);

/* After lfd_bc_consent_check refused: writes into hint (lines starting
   "  - ") the ways forward that apply to the refused demonstrations: a
   consent record beside the recording (`<recording>.prov.json`, naming the
   recording the motion was retargeted from) and retargeting again, or
   `lfd retarget --prov FILE`; --no-people for data that names no person;
   a consent record covering the purpose where one exists but does not.
   Empty when nothing is refused. */
void lfd_bc_consent_hint(int n, const lfd_bc_demo *demos, const char *purpose,
                         const char *today, int no_people, char *hint, size_t hintsz);

/* Runs lfd check (default thresholds) on every demonstration: verdicts[i]
   gets LFD_CHECK_PASS/WARN/FAIL, *nwarn the warnings.  LFD_EDENIED naming
   the failing demonstrations if any fails. */
int lfd_bc_check_gate(const lfd_robot *r, int n, const lfd_bc_demo *demos, int *verdicts,
                      int *nwarn, lfd_err *err);

/* Steps 1-5 on motions in memory.  *out is a new policy (free with
   lfd_policy_free), not yet saved. */
int lfd_bc_train_motions(const lfd_robot *r, int n, const lfd_bc_demo *demos,
                         const lfd_bc_opts *o, lfd_policy **out, lfd_bc_report *rep,
                         lfd_err *err);

/* Reads the motion files, hashes them, trains and writes the policy to
   out_path atomically (nothing is written on any failure). */
int lfd_bc_train(const lfd_robot *r, int n, const char *const *paths, const char *out_path,
                 const lfd_bc_opts *o, lfd_bc_report *rep, lfd_err *err);

/* Fills a policy's schema, limits and default pose for a robot and an
   observation layout: obs names/units from the layout, actions = the
   robot's joints, driven = the layout's driven joints.  Used by training
   and by the PyTorch import. */
int lfd_bc_policy_schema(lfd_policy *p, const lfd_robot *r, const lfd_obs_layout *L,
                         lfd_err *err);
/* The action half of that: robot name and model hash, and per joint the
   action name, unit, range, velocity and acceleration limits and default
   (p->act_dim must be the robot's joint count).  Also used by playback. */
void lfd_bc_policy_actions(lfd_policy *p, const lfd_robot *r);

/* ---- synthetic demonstrations (tests, benchmarks, the demo) ---------------------- */

/* Smooth reaching-and-wiping-like motions without any person in them: the
   legs and root stay at the default pose; every non-leg joint moves from
   the default pose to a reach posture (a smooth ramp over the first
   second) and then oscillates about it (the wipe), with offsets and
   amplitudes scaled to each joint's range (at most 0.25 of the half range
   and 0.35 rad), all kept inside the joint limits.  task_seed picks the
   task (the posture and the pattern), seed the demonstration's variation
   on it (amplitude, frequency and phase changed by up to `variation`,
   relative).  The provenance says it is synthetic and names no
   contributor. */
typedef struct lfd_bc_synth_opts {
    double seconds;      /* default 6 */
    double fps;          /* default 50 */
    uint64_t task_seed;  /* default 1 */
    uint64_t seed;       /* default 1 */
    double variation;    /* default 0.15 */
} lfd_bc_synth_opts;

void lfd_bc_synth_opts_init(lfd_bc_synth_opts *o);
/* Fills m (allocated here; free with lfd_motion_free). */
int lfd_bc_synth_motion(const lfd_robot *r, const lfd_bc_synth_opts *o, lfd_motion *m,
                        lfd_err *err);

#endif
