/*  lfd_robot: a robot = a MuJoCo model (MJCF) + lfd's description file.

    Retargeting, checking, training and serving all ask the same questions
    about a robot: which joints it has and in what order, their position,
    velocity, acceleration and torque limits, the PD gains that hold it, its
    feet and hands, its default standing pose, which body pairs may touch,
    and which human joint drives which body.  MJCF answers some of these; the
    description file (docs/robots.md) answers the rest and may tighten (never
    widen) what the MJCF says.  lfd_robot_load() reads both, cross-checks
    them and resolves every name to a MuJoCo id once, so that the per-frame
    code of the other layers only indexes arrays.

    Joint table.  One entry per 1-DoF joint (hinge or slide) in MuJoCo model
    order, which is qpos order and the order robot motions and the
    Unitree/BeyondMimic CSV files list joints in.  A floating base (a free
    joint on the root body) is not in the table: it is r->floating and takes
    qpos[0..7) (x y z, quaternion w x y z) and qvel[0..6).

    Robot names.  Every command that takes a robot accepts (lfd_robot_resolve):
      NAME            a built-in robot: <dir>/NAME/NAME.robot where <dir> is
                      the first of $LFD_ROBOTS_DIR, <folder of the running
                      program>/../robots, ./robots that holds it;
      PATH.robot      a description file (its `mjcf` line names the MJCF,
                      relative to the description's folder);
      PATH.xml        an MJCF with its description beside it: PATH.robot.
    Anything containing a '/' or ending in .xml/.robot is a path.

    Ground.  A floating-base robot whose MJCF has no ground (no colliding
    plane, height field or floor box on the world body) would fall into the
    void in every simulation; lfd then loads the MJCF with a plane at z = 0
    added (lfd_mj_load_with_floor), says so with a warning, and sets
    r->floor_added.  The model hash stays the MJCF's own.

    Ownership: lfd_robot_load() returns a new robot that owns its mjModel;
    free it with lfd_robot_free(&r), which NULLs the pointer.  A loaded robot
    is read-only and may be shared between threads (give each thread its own
    mjData).
*/
#ifndef LFD_ROBOT_H
#define LFD_ROBOT_H

#include <stddef.h>

#include <mujoco/mujoco.h>

#include "core/lfd_canon.h"
#include "core/lfd_err.h"
#include "core/lfd_motion.h"

#define LFD_ROBOT_FORMAT "lfd-robot"
#define LFD_ROBOT_VERSION 1
#define LFD_ROBOT_MAX_JOINTS LFD_MOTION_MAX_JOINTS
#define LFD_ROBOT_MAX_MAP 64
#define LFD_ROBOT_MAX_EXCLUDE 1024
#define LFD_ROBOT_DESC_MAX_BYTES (1u << 20)
#define LFD_ROBOT_PATH_MAX 4096
#define LFD_ROBOT_SOURCE_MAX 512

/* ---- the robot --------------------------------------------------------------- */
enum { LFD_LEFT = 0, LFD_RIGHT = 1 };

/* how lfd_robot_pd drives a joint's actuator */
typedef enum {
    LFD_ACT_NONE = 0, /* no actuator: the joint is passive */
    LFD_ACT_MOTOR,    /* ctrl is a torque: ctrl = tau / gear */
    LFD_ACT_POSITION  /* an MJCF position servo: ctrl is the target length, gear * angle */
} lfd_act_kind;

typedef struct lfd_robot_joint {
    char name[LFD_NAME_MAX]; /* MuJoCo joint name (Unitree's, e.g. left_knee_joint) */
    int jnt_id;              /* MuJoCo joint id */
    int qpos_adr, dof_adr;   /* index into qpos / qvel */
    int body_id;             /* body the joint moves */
    int type;                /* mjJNT_HINGE or mjJNT_SLIDE */
    double range_lo, range_hi; /* rad (m for slide): the description's, else the MJCF's */
    double vel_max;          /* rad/s (m/s) */
    double acc_max;          /* rad/s^2; 0 = no limit given */
    double torque_max;       /* N m (N): actuator limit */
    double kp, kd;           /* PD gains, N m/rad and N m s/rad */
    double default_q;        /* default standing pose */
    int act_id;              /* MuJoCo actuator id or -1 */
    lfd_act_kind act_kind;
    double act_gear;         /* joint torque = gear * actuator force */
    double ctrl_lo, ctrl_hi; /* actuator ctrl range (or -inf, +inf) */
    int line;                /* line of the joint's entry in the description */
} lfd_robot_joint;

typedef struct lfd_robot_foot {
    char body[LFD_NAME_MAX];
    int body_id;        /* -1: the robot has no such foot */
    double sole[4];     /* x_min, x_max, y_min, y_max of the sole (m, body frame) */
    double sole_z;      /* height of the sole plane in the body frame (m) */
} lfd_robot_foot;

typedef struct lfd_robot_hand {
    char body[LFD_NAME_MAX];
    int body_id;        /* -1: no such hand */
    double offset[3];   /* the hand point in the body frame (m) */
} lfd_robot_hand;

typedef struct lfd_robot_pair {
    int body1, body2;   /* MuJoCo body ids */
} lfd_robot_pair;

/* One retargeting target: human joint `human` drives a point (offset, in the
   body frame) on robot body `body_id`.  Orientation: rot_offset is the body's
   world orientation when the robot copies the human's canonical rest pose
   (upright, facing +x, z up, arms hanging at the sides), so the target is
       R_body = R_segment * rot_offset
   where R_segment is the human segment's world orientation relative to its
   own rest orientation.  Identity when the body frame is world-aligned in
   that pose (true for most bodies of h1, g1 and humanoid).  pos_w and rot_w
   weigh the two targets (0 = unused).  scale > 0 overrides the retargeter's
   automatic per-segment scale factor (0 = automatic). */
typedef struct lfd_robot_map_entry {
    int human;          /* lfd_cjoint (core/lfd_canon.h) */
    int body_id;
    char body[LFD_NAME_MAX];
    double pos_w, rot_w;  /* weights of the position and orientation targets */
    double offset[3];     /* m, body frame */
    double rot_offset[4]; /* w x y z */
    double scale;         /* 0 = automatic */
    int line;
} lfd_robot_map_entry;

typedef struct lfd_robot {
    char name[LFD_NAME_MAX];
    char source[LFD_ROBOT_SOURCE_MAX];  /* one line: where the model comes from */
    char desc_path[LFD_ROBOT_PATH_MAX]; /* the description file */
    char mjcf_path[LFD_ROBOT_PATH_MAX]; /* the MJCF it names */
    char model_hash[65];  /* hex SHA-256 of the compiled MJCF (mj_saveLastXML text) */
    mjModel *m;           /* compiled model, owned */
    int floating;         /* 1: free joint on the root body */
    int floor_added;      /* 1: the MJCF has no ground, so lfd added a plane at z = 0 to m
                             (a floating robot is never simulated without ground) */
    int root_body;        /* body of the free joint (floating) or first moving body */
    int nq, nv, nu;
    int njoints;
    lfd_robot_joint *joints;      /* njoints, model order */
    lfd_robot_foot feet[2];       /* [LFD_LEFT], [LFD_RIGHT] */
    lfd_robot_hand hands[2];
    int nexclude;                 /* self-collision pairs the description excludes */
    lfd_robot_pair *exclude;
    int nmap;
    lfd_robot_map_entry *map;
    double mass_kg;               /* total mass */
    double *qpos_default;         /* nq: default pose; root on the floor, feet touching */
} lfd_robot;

/* Finds the description file for NAME|PATH (rules above) and writes its
   path.  Errors list where it looked. */
int lfd_robot_resolve(const char *spec, char *desc_path, size_t desc_path_sz, lfd_err *err);

/* The folder holding the built-in robots (first of $LFD_ROBOTS_DIR,
   <exe>/../robots, ./robots that exists), or an error. */
int lfd_robot_builtin_dir(char *dir, size_t dirsz, lfd_err *err);

/* Lists the built-in robot names (sorted) into names[max]; returns the count
   (or a negative status). */
int lfd_robot_list(char (*names)[LFD_NAME_MAX], int max, lfd_err *err);

/* Loads a robot from NAME|PATH (resolve + lfd_robot_load_desc): a new
   lfd_robot that owns its compiled model, tables and names.  The caller
   frees *r with lfd_robot_free (which NULLs the pointer); *r is NULL on
   failure.  The same for the two loaders below. */
int lfd_robot_load(lfd_robot **r, const char *spec, lfd_err *err);
/* Loads a robot from a description file path. */
int lfd_robot_load_desc(lfd_robot **r, const char *desc_path, lfd_err *err);
/* Loads a robot from a description's text as if it were the file desc_path
   (which need not exist: the mjcf line is resolved from its folder, and
   errors name it).  lfd robot init checks a draft this way before writing. */
int lfd_robot_load_text(lfd_robot **r, const char *desc_path, const char *text, size_t len,
                        lfd_err *err);
void lfd_robot_free(lfd_robot **r);
/* Parses a description's text alone (no MJCF): the syntax and value checks
   of lfd_robot_load_desc, for linting and fuzzing.  name is used in errors. */
int lfd_robot_desc_lint(const char *text, size_t len, const char *name, lfd_err *err);

/* Joint table index of a joint name, accepting Unitree names with or without
   the "_joint" suffix; -1 if none. */
int lfd_robot_find_joint(const lfd_robot *r, const char *name);
/* MuJoCo body id by name, or -1. */
int lfd_robot_find_body(const lfd_robot *r, const char *name);

/* 1 if self-collision between bodies b1 and b2 is not checked: the same
   rigid body (welded), parent and child, an MJCF <exclude>, or a pair the
   description excludes. */
int lfd_robot_pair_excluded(const lfd_robot *r, int b1, int b2);

/* Allocates a motion for this robot (lfd_motion_alloc) with its name, model
   hash, base type and joint names filled in and every frame set to the
   default pose.  Free with lfd_motion_free. */
int lfd_robot_motion_alloc(const lfd_robot *r, lfd_motion *m, int nframes, double fps,
                           int with_qvel, lfd_err *err);

/* Checks that a motion belongs to this robot: base type, joint count and
   names (aliases accepted; CSV placeholders "joint_<i>" accepted), robot name
   and model hash when the motion records them.  The error names the first
   difference. */
int lfd_robot_motion_check(const lfd_robot *r, const lfd_motion *m, lfd_err *err);

/* World position of sole corner k (0..3: x_min / x_max by bit 0, y_min /
   y_max by bit 1) of foot ft, from d's kinematics. */
void lfd_robot_sole_corner(const mjData *d, const lfd_robot_foot *ft, int k, double p[3]);

/* PD control, allocation-free, for every joint with an actuator:
       tau = kp (q_ref - q) + kd (qd_ref - qd) + tau_ff,  clamped to +-torque_max
   q_ref is a full qpos row (nq; a motion frame), qd_ref and tau_ff are in
   qvel layout (nv) and may be NULL (zero); qpos/qvel are the current state.
   Writes ctrl[nu] (motor: tau / gear, clamped to the ctrl range; position
   servo: the target in actuator length, gear * q_ref, moved by
   (tau_ff + kd qd_ref - kd' qd) / (gear kp_servo) with kd' the part of kd
   the servo's own kv does not give, and limited so that the servo's torque
   stays within torque_max) and, if tau is non-NULL, the commanded joint
   torques in qvel layout (nv, zero for unactuated dofs).  Returns the number
   of joints whose torque was limited: clamped, or held because it was not
   finite (below).

   A joint whose torque comes out non-finite (a NaN or infinity in its
   q_ref, in qd_ref, or in tau_ff, where the feed-forward spreads one NaN
   velocity to every joint) is held: a motor gets damping alone, -kd qd
   (zero if qd is not finite either), a position servo its current angle
   as target.  It never gets a limit torque. */
int lfd_robot_pd(const lfd_robot *r, const double *qpos, const double *qvel, const double *q_ref,
                 const double *qd_ref, const double *tau_ff, double *ctrl, double *tau);
/* lfd_robot_pd, and *nonfinite (if non-NULL) = the number of joints held
   because their torque was not finite (they are in the return value too). */
int lfd_robot_pd_checked(const lfd_robot *r, const double *qpos, const double *qvel,
                         const double *q_ref, const double *qd_ref, const double *tau_ff,
                         double *ctrl, double *tau, int *nonfinite);

/* ---- contact-consistent inverse-dynamics feed-forward ------------------------ */
/* Joint torques that make a floating-base robot follow (q, qd, qdd) while the
   feet in contact carry it: the generalized force M qdd + c - passive (mj_rne
   plus armature, minus springs/damping) is split into a wrench at each
   contact foot's sole centre (the minimum-norm wrenches that supply the
   root's six rows) and the rest is what the joint motors must add.  No
   friction-cone or centre-of-pressure limits are imposed: this is a
   feed-forward for PD (standing, tracking), not a feasibility check.  With
   no foot in contact (or a fixed base) the root rows are unsupported and
   are reported in root_residual.  Model/workspace split: lfd_robot_ff_new
   allocates everything once; the compute functions allocate nothing.

   Evaluate it at the MEASURED configuration every control step (that is
   what lfd_robot_ff_control does).  Evaluated once at the reference pose it
   only supplies the equilibrium torques: the robot then pivots about its
   ankles like an inverted pendulum whenever ankle kp < m g h (H1: 40 vs
   about 550 N m/rad) and falls within 2-4 s, as plain PD does.  Evaluated
   at the measured state it cancels that gravity torque as the robot moves,
   and the published PD gains hold h1, g1 and humanoid standing (tests/
   test_robots_stand.c; docs/robots.md has the figures). */
typedef struct lfd_robot_ff lfd_robot_ff;

/* A feed-forward workspace for r (which must outlive it): its arrays in one
   block, plus an mjData of r's model.  The caller frees *ff with
   lfd_robot_ff_free (which NULLs the pointer); *ff is NULL on failure.
   lfd_robot_ff_control allocates nothing. */
int lfd_robot_ff_new(lfd_robot_ff **ff, const lfd_robot *r, lfd_err *err);
void lfd_robot_ff_free(lfd_robot_ff **ff);
/* qpos (nq) required; qvel, qacc (nv) may be NULL (zero).  contact[2] says
   which feet carry load (NULL: every foot the robot has).  Writes tau_ff
   (nv; root entries zero) and, if non-NULL, root_residual[6] (the root
   force/torque no foot supplies; zero when a foot is in contact). */
void lfd_robot_ff_compute(lfd_robot_ff *ff, const double *qpos, const double *qvel,
                          const double *qacc, const int *contact, double *tau_ff,
                          double *root_residual);

/* lfd's standard controller, one step, allocation-free: the feed-forward at
   the measured qpos with the reference's velocity and acceleration (qd_ref,
   qdd_ref may be NULL = zero), plus lfd_robot_pd toward (q_ref, qd_ref).
   Writes ctrl[nu] and, if non-NULL, the joint torques tau (nv) and the
   root residual (6).  Returns the number of torque-limited joints
   (lfd_robot_pd); lfd_robot_ff_nonfinite says how many of them were held
   because their torque was not finite. */
int lfd_robot_ff_control(lfd_robot_ff *ff, const double *qpos, const double *qvel,
                         const double *q_ref, const double *qd_ref, const double *qdd_ref,
                         const int *contact, double *ctrl, double *tau, double *root_residual);

/* The balance controller, one step, allocation-free (same workspace): the
   reference acceleration plus PD feedback on the root's position and
   orientation error; inverse dynamics at the measured state; the root's
   share carried by forces at the loaded sole corners inside linearised
   friction cones (so the centre of pressure stays in the soles), the
   feasible combination closest to the demand (a box QP); joint torques =
   the rest, plus lfd_robot_pd, clamped to the actuator limits.  Method and
   references: robots/lfd_robot_control.c, docs/check.md.  Arguments and
   results as lfd_robot_ff_control, except: contact[s] may carry bits 1-4
   saying which sole corners touch (lfd_simloop_foot_contacts), which the
   default build ignores (the loaded corners are those within 1 cm of the
   foot's lowest; BAL_CORNERS_BY_HEIGHT in the source); a foot the reference lifts
   (sole over 3 cm up or moving faster than 0.5 m/s) is not loaded; the
   description's kp is not used (the joint stiffness is in the acceleration
   tasks), its kd is; root_residual is the root force/torque the dynamics
   with the forces found leaves (about zero).  Experimental: it holds pushes
   the standard controller drops but does not yet keep real walks up.  A
   fixed-base robot gets lfd_robot_ff_control. */
/* Forgets the balance controller's state between runs (the foot-placement
   phase of each foot, the contact QP's warm start); call it when the
   simulation is reset. */
void lfd_robot_bal_reset(lfd_robot_ff *ff);

/* The joints the last lfd_robot_ff_control or lfd_robot_bal_control step
   held because their torque was not finite (a NaN or infinity in the
   reference; lfd_robot_pd). */
int lfd_robot_ff_nonfinite(const lfd_robot_ff *ff);

int lfd_robot_bal_control(lfd_robot_ff *ff, const double *qpos, const double *qvel,
                          const double *q_ref, const double *qd_ref, const double *qdd_ref,
                          const int *contact, double *ctrl, double *tau, double *root_residual);

#endif
