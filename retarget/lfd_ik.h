/*  lfd_ik: whole-body inverse kinematics on a MuJoCo model.

    The solver follows MuJoCo's model/data split: an lfd_ik is an immutable
    description of the problem (the model, the tasks, bounds, weights) and an
    lfd_ik_ws is the preallocated workspace (an mjData and the dense arrays);
    lfd_ik_solve() allocates nothing, so the per-frame path is allocation
    free.

    Each frame solves, by Gauss-Newton steps warm-started from qpos,

        min  sum_k  wp_k |p_k(q) - p*_k|^2 + wr_k |log(R*_k R_k(q)')|^2
           + w_post |q - q_default|^2 (1-DoF joints)  +  damping |dq|^2
           + w_cont |q - q_prev|^2 (1-DoF joints, when q_prev is given)
           + w_floor sum_points max(0, floor_z - z_point(q))^2
           + w_clear sum_pairs max(0, clear_m - dist_pair(q))^2
        s.t.  joint range lo <= q <= hi                     (hard)
              |q - q_prev| <= v_max dt   when q_prev given  (hard)
              inactive degrees of freedom stay where they are

    where each Gauss-Newton step is a box-constrained QP in dq (core/lfd_boxqp)
    on the linearised tasks, with a backtracking check on the true cost.
    Positions are of a point fixed in a body (an offset in the body frame);
    orientations are of the body frame times a fixed body-frame rotation, so a
    robot body can be aligned to a target frame whose axes differ from it.

    Clearance pairs keep two geoms (e.g. a forearm and a thigh) at least
    clear_m apart: MuJoCo's own narrow-phase function for the pair
    (mjCOLLISIONFUNC, with clear_m as margin) gives the signed distance,
    the contact point and normal, and the row pushes the two bodies apart
    along the normal.  A bounding-sphere test skips pairs far apart.
*/
#ifndef LFD_IK_H
#define LFD_IK_H

#include <mujoco/mujoco.h>

#include "core/lfd_err.h"

#define LFD_IK_MAX_TASKS 32
#define LFD_IK_MAX_FLOOR 32

#define LFD_IK_MAX_CHAIN 64
#define LFD_IK_MAX_PAIRS 256

typedef struct lfd_ik_task {
    int body;            /* MuJoCo body id */
    int nchain;          /* dofs that move the body (its Jacobian's nonzero columns) */
    int chain[LFD_IK_MAX_CHAIN];
    double offset[3];    /* point in the body frame whose position is a target */
    double rot_offset[4];/* body-frame rotation: the frame targeted is xquat * rot_offset */
    double pos_weight;   /* 1/m: default weight of the position error */
    double rot_weight;   /* 1/rad: default weight of the orientation error (0: none) */
} lfd_ik_task;

typedef struct lfd_ik_floor_point {
    int body;
    int nchain;
    int chain[LFD_IK_MAX_CHAIN];
    double offset[3];    /* a point (e.g. a sole corner) that must stay above the floor */
} lfd_ik_floor_point;

typedef struct lfd_ik_pair {
    int geom1, geom2;    /* geom1's type <= geom2's (MuJoCo's narrow-phase order) */
    int body1, body2;
    int nchain;          /* union of the two bodies' chains, increasing */
    int chain[2 * LFD_IK_MAX_CHAIN];
    double margin_m;     /* clearance kept (cfg.clear_m unless fitted lower) */
} lfd_ik_pair;

typedef struct lfd_ik_config {
    double damping;          /* Levenberg-Marquardt damping on |dq|^2 */
    double posture_weight;   /* pull of 1-DoF joints toward q_default, per rad */
    double floor_weight;     /* per m of penetration of floor points */
    int max_iters;           /* Gauss-Newton iterations per frame */
    double tol_step;         /* stop when max |dq| falls below this */
    double clear_m;          /* clearance kept between the geoms of each pair */
    double clear_weight;     /* per m of missing clearance */
    double continuity_weight; /* pull of 1-DoF joints toward q_prev, per rad^2: where the
                                 targets leave a joint free (a redundant shoulder), it
                                 stays where it was instead of flipping */
    double accel_weight;     /* pull of 1-DoF joints toward 2 q_prev - q_prev2 (constant
                                velocity), per rad^2, when q_prev2 is given */
} lfd_ik_config;

/* defaults: damping 1e-4, posture 1e-3, floor 100, 6 iterations, 1e-6,
   clearance 1 cm at weight 30 */
void lfd_ik_config_init(lfd_ik_config *o);

typedef struct lfd_ik {
    const mjModel *m;        /* not owned; must outlive the solver */
    int nq, nv;
    lfd_ik_config cfg;
    int ntask;
    lfd_ik_task tasks[LFD_IK_MAX_TASKS];
    int nfloor;
    lfd_ik_floor_point floor[LFD_IK_MAX_FLOOR];
    int npair;
    lfd_ik_pair *pairs;      /* LFD_IK_MAX_PAIRS slots */
    double floor_z;          /* height of the floor, m */
    double *q_default;       /* nq */
    double *dof_lo, *dof_hi; /* nv: joint range for 1-DoF joints' dofs, +-inf otherwise */
    double *dof_vmax;        /* nv: rad/s (or m/s), inf = none */
    double *dof_posture;     /* nv: posture weight multiplier (0 for free/ball dofs) */
    double *dof_continuity;  /* nv: continuity weight multiplier (default 1) */
    int *dof_qadr;           /* nv: qpos address of a 1-DoF joint's dof, -1 otherwise */
    unsigned char *dof_active; /* nv: 0 = held at its current value */
} lfd_ik;

/* Creates a solver for model m with no tasks; bounds come from the model's
   joint ranges (limited joints), velocity bounds start unlimited and
   q_default is the model's qpos0.  m must outlive the solver.  One block
   holds the solver and its tables; the caller frees *out with lfd_ik_free
   (which NULLs the pointer).  *out is NULL on failure. */
int lfd_ik_new(lfd_ik **out, const mjModel *m, const lfd_ik_config *cfg, lfd_err *err);
void lfd_ik_free(lfd_ik **ik);

/* Adds a task; returns its index (>= 0) or a negative status. */
int lfd_ik_add_task(lfd_ik *ik, int body, const double offset[3], const double rot_offset[4],
                    double pos_weight, double rot_weight, lfd_err *err);
int lfd_ik_add_floor_point(lfd_ik *ik, int body, const double offset[3], lfd_err *err);
/* Adds a clearance pair of two geoms of primitive type (sphere, capsule,
   ellipsoid, cylinder, box) on different bodies; returns its index or a
   negative status (LFD_EUNSUPPORTED for types without a narrow phase). */
int lfd_ik_add_clearance(lfd_ik *ik, int geom1, int geom2, lfd_err *err);
/* Lowers each pair's clearance to what it has at qpos (e.g. the robot's
   default pose, whose hands may hang closer than clear_m to its hips), so
   the IK never pushes a pose further apart than the robot's own stance.
   Allocates a temporary workspace. */
int lfd_ik_fit_clearance(lfd_ik *ik, const double *qpos, lfd_err *err);

/* The per-frame input.  pos: ntask x 3 world targets; quat: ntask x 4
   (w x y z) or NULL (no orientation targets); pos_w / rot_w: per-task
   weights or NULL for the defaults (0 switches a task off for this frame);
   q_prev: the previous frame's solution (nq) for velocity bounds, or NULL;
   dt_s: time since q_prev; max_iters: 0 for the configured count. */
typedef struct lfd_ik_frame {
    const double *pos;
    const double *quat;
    const double *pos_w;
    const double *rot_w;
    const double *q_prev;
    double dt_s;
    int max_iters;       /* > 0: overrides cfg.max_iters for this solve */
    const double *q_prev2; /* the frame before q_prev (nq) for the acceleration term, or NULL */
    const double *pair_margin; /* npair: the clearance each pair keeps in this frame (at most
                                  its margin_m), or NULL for margin_m */
} lfd_ik_frame;

typedef struct lfd_ik_result {
    int iterations;
    double cost;                       /* final objective */
    double pos_err_m[LFD_IK_MAX_TASKS];   /* |p - p*| per task */
    double rot_err_rad[LFD_IK_MAX_TASKS]; /* angle of R* R' per task */
    int at_limit;                      /* dofs ending at a joint-range bound */
    int at_vel_limit;                  /* dofs ending at a velocity bound */
    double floor_pen_m;                /* deepest floor point below floor_z (>= 0) */
} lfd_ik_result;

typedef struct lfd_ik_ws lfd_ik_ws;

/* A workspace for one thread solving with ik (which must outlive it): the
   solver's arrays in one block, plus an mjData of ik's model.  The caller
   frees *out with lfd_ik_ws_free (which NULLs the pointer); *out is NULL on
   failure.  lfd_ik_solve allocates nothing. */
int lfd_ik_ws_new(lfd_ik_ws **out, const lfd_ik *ik, lfd_err *err);
void lfd_ik_ws_free(lfd_ik_ws **ws);
/* The workspace's mjData: after lfd_ik_solve (or lfd_ik_evaluate) it holds
   the kinematics of the solution for what the solver reads (xpos, xquat,
   xmat of its tasks', floor points' and pairs' bodies and their ancestors,
   their joints' xanchor and xaxis, the pairs' geoms: lfd_mj_kinematics_some);
   other bodies, geoms and sites are stale.  Run mj_kinematics for them. */
mjData *lfd_ik_ws_data(lfd_ik_ws *ws);
/* margin[i] = the smaller of pair i's margin_m and its distance at qpos
   (npair values; returns npair): as lfd_ik_frame.pair_margin, a solve
   started from qpos keeps every pair at least as far apart as it is, and
   pushes none further apart.  Uses ws's mjData, where it poses only the
   pairs' bodies (with their ancestors) and geoms; no allocation. */
int lfd_ik_pair_margins_at(const lfd_ik *ik, lfd_ik_ws *ws, const double *qpos, double *margin);

/* Solves one frame in place: qpos (nq) is the warm start on entry and the
   solution on exit.  No allocation.  Returns LFD_ENUMERIC if a target is
   not finite or the step system is singular (qpos is then left unchanged). */
int lfd_ik_solve(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *frame, double *qpos,
                 lfd_ik_result *res);

/* Evaluates the task errors and cost at qpos without changing it. */
void lfd_ik_evaluate(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *frame,
                     const double *qpos, lfd_ik_result *res);

#endif
