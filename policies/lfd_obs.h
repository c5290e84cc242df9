/*  lfd_obs: the observation a behaviour-cloning policy sees, and its names.

    One layout serves dataset building (from a motion's frames), closed-loop
    evaluation (from a MuJoCo state) and robot controllers (`lfd ctl-demo`,
    from measured state): they all call lfd_obs_build() with a robot state,
    so a policy sees the same numbers in training and on the robot.  The
    layout is fully described by the observation names stored in the policy
    file, so a controller rebuilds it from a policy's schema with
    lfd_obs_layout_from_names() and nothing else.

    Blocks, in this order (J = observed joints, D = driven joints):
      name                 unit   size  value
      q.<joint>            rad    J     joint position minus the default pose
      qd.<joint>           rad/s  J     joint velocity
      gravity.x|y|z        1      3     unit gravity vector in the root frame
                                        (projected gravity; (0, 0, -1) upright)
      angvel.x|y|z         rad/s  3     root angular velocity, root frame
      prev.<joint>         rad    D     previous action (the joint target in
                                        force) minus the default pose
      phase                1      1     time / duration of the task, in [0, 1]
    The root blocks exist only for floating-base robots with `root` set;
    prev only with `prev_action`, phase only with `phase`.  (Slide joints
    read m and m/s where this table says rad and rad/s.)

    Upper-body policies.  With upper_body set the policy drives only the
    joints that are not on a leg (a joint is on a leg when its body is an
    ancestor of, or is, a foot body: hips, knees, ankles); the legs hold the
    default pose.  The schema says so in two places: the observed and driven
    joints are the non-leg joints (J = D), and the policy file's "driven"
    list (policies/lfd_policy.h) names the actions the network outputs; the
    others always hold the policy's default action.  Upper-body layouts
    leave the root blocks out by default: with the legs fixed the robot's
    root stays upright and still whatever the demonstration's pelvis did, so
    those features would only show the network values it never meets.

    The layout holds copies of every index and default it needs, so
    lfd_obs_build() needs neither the robot nor any allocation.
*/
#ifndef LFD_OBS_H
#define LFD_OBS_H

#include "core/lfd_err.h"
#include "robots/lfd_robot.h"

#define LFD_OBS_MAX_JOINTS LFD_ROBOT_MAX_JOINTS
#define LFD_OBS_MAX_DIM (3 * LFD_OBS_MAX_JOINTS + 7)

typedef struct lfd_obs_opts {
    int upper_body;  /* drive and observe the non-leg joints only */
    int root;        /* gravity + angvel blocks (-1: default: whole body yes, upper body no) */
    int prev_action; /* prev block (default 1) */
    int phase;       /* phase (default 1) */
} lfd_obs_opts;

/* Defaults: whole body, root on (floating base), prev action, phase. */
void lfd_obs_opts_init(lfd_obs_opts *o);

typedef struct lfd_obs_layout {
    int njoints;                      /* robot joints = policy act_dim */
    int nobs_j;                       /* observed joints (q, qd blocks) */
    int obs_j[LFD_OBS_MAX_JOINTS];    /* robot joint index of each */
    int ndriven;                      /* joints the network drives (prev block) */
    int driven[LFD_OBS_MAX_JOINTS];   /* robot joint index of each, ascending */
    int root, prev_action, phase;     /* which blocks exist */
    int upper_body;                   /* driven = the non-leg joints */
    int off_q, off_qd, off_gravity, off_angvel, off_prev, off_phase; /* -1 if absent */
    int dim;                          /* total size */
    int floating;
    int qpos_adr[LFD_OBS_MAX_JOINTS]; /* per robot joint */
    int dof_adr[LFD_OBS_MAX_JOINTS];
    double q_default[LFD_OBS_MAX_JOINTS];
    int slide[LFD_OBS_MAX_JOINTS];    /* 1: slide joint (m) */
    char joint_names[LFD_OBS_MAX_JOINTS][LFD_NAME_MAX];
} lfd_obs_layout;

/* Builds the layout for a robot.  Fails (LFD_EARG) when upper_body leaves
   no joint to drive. */
int lfd_obs_layout_init(lfd_obs_layout *L, const lfd_robot *r, const lfd_obs_opts *o,
                        lfd_err *err);

/* Rebuilds a layout from observation names (a policy's schema) and the
   driven joint list (NULL / ndriven = njoints: all).  Refuses names that
   are not lfd_obs names, joints the robot lacks, or blocks out of order
   (LFD_EMISMATCH naming the first offending name). */
int lfd_obs_layout_from_names(lfd_obs_layout *L, const lfd_robot *r, int n,
                              const char (*names)[64], const int *driven, int ndriven,
                              lfd_err *err);

/* 1 if joint j of r is on a leg (its body is a foot body or an ancestor of
   one). */
int lfd_obs_joint_is_leg(const lfd_robot *r, int j);

/* Writes the name (<= 63 bytes) and unit (<= 15 bytes) of observation i. */
void lfd_obs_name(const lfd_obs_layout *L, int i, char name[64], char unit[16]);

/* The observation for a robot state: qpos (nq), qvel (nv; NULL = zero),
   prev_action (njoints absolute joint targets, robot order; NULL = the
   default pose), phase (clamped to [0, 1]).  Writes L->dim floats.  No
   allocation.  Non-finite inputs give non-finite observations, which
   policy inference refuses. */
void lfd_obs_build(const lfd_obs_layout *L, const double *qpos, const double *qvel,
                   const float *prev_action, double phase, float *obs);

#endif
