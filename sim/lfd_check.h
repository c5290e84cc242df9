/*  lfd_check: is a robot motion safe to learn from and to play on hardware?

    lfd_check_motion() judges a robot motion (core/lfd_motion.h) against its
    robot (robots/lfd_robot.h) frame by frame and says which frame breaks
    which limit.  The eight checks (lfd_check_group), each with thresholds
    from the robot description scaled by the factors of lfd_check_opts:

      range     joint position within range (soft at range_soft of the
                half-range from its centre, hard at the limit minus
                range_margin_rad)
      velocity  joint velocity, acceleration and jerk from finite differences
                of the frames (mj_differentiatePos, so the free joint's
                quaternion is handled); velocity and acceleration limits
                apply to the mean over each frame interval, a lower bound on
                the peak the robot needs
      torque    inverse dynamics: the generalized force of the motion
                (mj_rne + armature - passive, never mj_inverse with contacts)
                minus the ground wrench, distributed over the feet in contact
                by a small QP with a friction pyramid at each sole corner
                (so the centre of pressure stays inside each sole), gives the
                joint torques, checked against each actuator's limit
      self      self-collision between robot bodies (pairs the robot
                excludes, parent/child and welded pairs skipped), with the
                penetration depth
      floor     bodies below the floor, feet sliding while in contact, and
                contact force on each foot
      balance   centre of mass and zero-moment point against the support
                polygon of the feet in contact (margin in metres), and the
                share of body weight no contact can supply (the root residual
                of the QP): the frames that need external help
      track     (opt-in) MuJoCo simulation of the robot following the motion
                with its PD gains plus the inverse-dynamics feed-forward
                (lfd_robot_ff_control): tracking error, whether and when it
                falls, peak actuator effort; when it fails, a second run with
                a harness on the root measures the assisting force needed
      speed     Cartesian speed of hands and feet against a cap (off unless
                speed_cap_m_s > 0; `--collaborative` = 0.25 m/s, the
                reduced speed of ISO 10218-1)

    Findings are merged into frame ranges ("frames 312-340: left_knee_joint
    torque 341 N m > 300 N m, peak at 327"), each a warning (over a soft
    limit) or a failure (over a hard one); the verdict is pass, warn or fail.
    Every threshold is a row of lfd_check_limits (docs/check.md prints the
    same table).  Frame numbers are 0-based rows of the motion.

    Model/workspace split, as MuJoCo: an lfd_checker is made once per robot
    (a copy of its model with a contact buffer large enough for
    self-collision, the exclusion table, foot and hand geometry) and is
    read-only, so threads share it; each thread makes its own lfd_check_ws.
    lfd_check_motion allocates nothing per frame (only per motion, when the
    caller asks for per-frame series).  lfd_check_run does it all for one
    motion.

        lfd_check_opts o;
        lfd_check_opts_init(&o);
        lfd_check_report *rep = NULL;
        if (lfd_check_report_new(&rep, &err) == LFD_OK &&
            lfd_check_run(robot, &motion, &o, rep, &err) == LFD_OK &&
            rep->verdict == LFD_CHECK_FAIL) ... refuse the motion
        lfd_check_report_free(&rep);
*/
#ifndef LFD_CHECK_H
#define LFD_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "core/lfd_err.h"
#include "core/lfd_json.h"
#include "core/lfd_motion.h"
#include "ingest/lfd_support.h"
#include "robots/lfd_robot.h"

/* verdicts and severities */
enum { LFD_CHECK_PASS = 0, LFD_CHECK_WARN = 1, LFD_CHECK_FAIL = 2 };
enum { LFD_CHECK_INFO = -1 }; /* a finding that does not affect the verdict */

/* the eight checks (bits of lfd_check_opts.checks) */
typedef enum lfd_check_group {
    LFD_CG_RANGE,
    LFD_CG_VELOCITY,
    LFD_CG_TORQUE,
    LFD_CG_SELF,
    LFD_CG_FLOOR,
    LFD_CG_BALANCE,
    LFD_CG_TRACK,
    LFD_CG_SPEED,
    LFD_CG_COUNT
} lfd_check_group;
#define LFD_CHECK_ALL ((1u << LFD_CG_COUNT) - 1u)
#define LFD_CHECK_DEFAULT (LFD_CHECK_ALL & ~(1u << LFD_CG_TRACK))

/* what a finding is about (each belongs to one group) */
typedef enum lfd_check_kind {
    LFD_CK_RANGE,        /* joint angle beyond its range, rad */
    LFD_CK_VEL,          /* joint velocity, rad/s */
    LFD_CK_ACC,          /* joint acceleration, rad/s^2 */
    LFD_CK_JERK,         /* joint jerk, rad/s^3 */
    LFD_CK_TORQUE,       /* joint torque, N m */
    LFD_CK_SELF,         /* self-collision depth, m */
    LFD_CK_FLOOR,        /* depth below the floor, m */
    LFD_CK_SLIDE,        /* foot slide per frame while in contact, m */
    LFD_CK_FORCE,        /* normal force on one foot, N */
    LFD_CK_ZMP,          /* ZMP outside the support polygon, m */
    LFD_CK_COM,          /* CoM outside the support polygon, m (info) */
    LFD_CK_ASSIST,       /* external help needed, share of body weight */
    LFD_CK_FALL,         /* tracking: fell (root tilt rad or height) */
    LFD_CK_TRACK_JOINT,  /* tracking: RMS joint error, rad */
    LFD_CK_TRACK_ROOT,   /* tracking: root position error, m */
    LFD_CK_TRACK_ASSIST, /* tracking with the harness: assist, share of body weight */
    LFD_CK_SPEED,        /* hand/foot Cartesian speed, m/s */
    LFD_CK_NEEDS_SUPPORT, /* frames no foot support on the floor carries (seated, feet
                             above the floor: ingest/lfd_support.h); value s, aux = why */
    LFD_CK_TRACK_SCUFF,  /* tracking: a foot the motion lifts or moves carries the robot in the
                            simulation (value N; aux: the reference's lowest sole corner in 0.1 mm
                            (at most 9999) and its speed in mm/s (at most 99999), packed as
                            height * 100000 + speed) */
    LFD_CK_TRACK_EDGE,   /* tracking: a foot the motion holds flat on the floor stands on an edge
                            in the simulation (value m: its sole's tilt, highest corner over lowest;
                            aux: where it stood at the first frame: 0-3 a corner, 4-7 the heel,
                            toe, y_min or y_max edge) */
    LFD_CK_CONTACTS,     /* MuJoCo's contact buffer filled up, so contacts past it were dropped:
                            the self-collision and floor checks of those frames are incomplete
                            (value: contacts found, limit: the buffer's size); always a failure */
    LFD_CK_HOVER,        /* balance (info): a foot's load carried by sole corners more than
                            hover_height_m above the floor (within contact_height_m, so counted as
                            support), value: share of body weight; aux: the highest loaded corner
                            in 0.1 mm */
    LFD_CK_TRACK_PIVOT,  /* tracking (info): a foot the motion holds on the floor turns about the
                            vertical in the simulation while it carries load, by more than the
                            motion turns it since it took the load (value rad, the turn beyond
                            the motion's; aux: what it turned on at the first frame, as
                            LFD_CK_TRACK_EDGE's, or LFD_CHECK_PIVOT_FLAT for its sole flat) */
    LFD_CK_COUNT
} lfd_check_kind;
#define LFD_CHECK_PIVOT_FLAT 8 /* LFD_CK_TRACK_PIVOT aux: on its sole, flat */

/* ---- options and thresholds -------------------------------------------------- */
typedef struct lfd_check_opts {
    /* range: warn beyond range_soft x half-range from the centre of the range,
       fail beyond the limit shrunk by range_margin_rad */
    double range_soft, range_margin_rad;
    /* velocity, acceleration, jerk: fractions of the description's limits;
       acc_max_rad_s2 / jerk_max_rad_s3 > 0 set a limit for joints without one */
    double vel_soft, vel_hard;
    double acc_soft, acc_hard, acc_max_rad_s2;
    double jerk_max_rad_s3;
    /* torque: fractions of each actuator's limit */
    double torque_soft, torque_hard;
    /* self-collision depth: warn above self_warn_m, fail above self_fail_m */
    double self_warn_m, self_fail_m;
    /* depth below the floor */
    double floor_warn_m, floor_fail_m;
    /* a sole corner lower than this above the floor carries load */
    double contact_height_m;
    /* > 0: ... and not more than this above its foot's lowest corner (a tilted
       sole rests on its low edge); 0: off */
    double sole_tilt_m;
    /* ... and one higher than this that carries load is stated (info): a foot
       must touch the floor to carry load */
    double hover_height_m;
    /* foot slide per frame while in contact, at 30 fps (scaled to the rate) */
    double slide_warn_m;
    /* normal force on one foot: warn above max(contact_force_n,
       contact_force_bw x body weight) */
    double contact_force_n, contact_force_bw;
    /* friction coefficient of the feet on the floor; 0 = from the model */
    double friction;
    /* ZMP outside the support polygon by more than this: warn */
    double zmp_tol_m;
    /* external help as a share of body weight: warn / fail */
    double assist_warn, assist_fail;
    /* tracking: a fall is root tilt above tilt_fall_rad or root height below
       fall_height_frac of the reference's */
    double tilt_fall_rad, fall_height_frac;
    double track_joint_warn_rad, track_joint_fail_rad;
    double track_root_warn_m, track_root_fail_m;
    /* Cartesian speed cap of hands and feet, m/s; 0 = off */
    double speed_cap_m_s;
    /* --fix: what counts as mild */
    double fix_range_max_rad, fix_time_max, fix_floor_max_m;
    /* over-limit frames closer than this merge into one finding */
    double merge_gap_frames;
    /* which checks run: bits (1u << lfd_check_group); LFD_CHECK_DEFAULT */
    unsigned checks;
    /* 1: keep per-frame series in the report (plots, JSON) */
    int series;
    /* tracking controller: 0 lfd's standard one (lfd_robot_ff_control),
       1 the balance controller (lfd_robot_bal_control; docs/check.md) */
    int track_balance;
} lfd_check_opts;

/* One row of the threshold table: lfd_check_limits[] covers every double
   of lfd_check_opts.  flag is the command-line option (--<flag>). */
typedef struct lfd_check_limit {
    const char *key;      /* e.g. "torque_soft" */
    const char *flag;     /* e.g. "torque-soft" */
    size_t offset;        /* offsetof(lfd_check_opts, field) */
    double value;         /* default */
    const char *unit;
    const char *meaning;
    const char *source;
} lfd_check_limit;

extern const lfd_check_limit lfd_check_limits[];
extern const int lfd_check_nlimits;

/* Fills o with the defaults of lfd_check_limits, checks = LFD_CHECK_DEFAULT,
   series = 0. */
void lfd_check_opts_init(lfd_check_opts *o);
/* Sets speed_cap_m_s to ISO 10218-1's reduced speed (0.25 m/s). */
void lfd_check_opts_collaborative(lfd_check_opts *o);
/* Checks option values (fractions in range, soft <= hard, ...). */
int lfd_check_opts_validate(const lfd_check_opts *o, lfd_err *err);
/* Parses a comma-separated list of group names ("range,torque"; "all")
   into a bit set. */
int lfd_check_parse_groups(const char *list, unsigned *bits, lfd_err *err);

const char *lfd_check_group_name(int group);   /* "range", ..., "speed" */
const char *lfd_check_kind_name(int kind);     /* "range", "velocity", ... */
int lfd_check_kind_group(int kind);
const char *lfd_check_verdict_name(int verdict);  /* "pass" / "warn" / "fail" */
const char *lfd_check_severity_name(int severity); /* "info" / "warn" / "fail" */

/* ---- report -------------------------------------------------------------------- */
#define LFD_CHECK_MAX_FINDINGS 256
/* a foot in contact sliding faster than this (m/s) is named in the slide
   finding's message as a swinging foot skimming the floor: a planted foot
   does not slide at a walking foot's speed (the shared walks' skimming
   swings reach 2.9-4.1 m/s; docs/retarget.md part 14) */
#define LFD_CHECK_SKIM_V 1.0

typedef struct lfd_check_finding {
    int kind;              /* lfd_check_kind */
    int group;             /* lfd_check_group */
    int severity;          /* LFD_CHECK_INFO, LFD_CHECK_WARN or LFD_CHECK_FAIL */
    int first, last;       /* frames, inclusive */
    int peak;              /* frame of the worst value */
    int frames;            /* frames over the limit inside first..last */
    double value;          /* worst value (kind's unit; signed for range) */
    double limit;          /* the limit it crossed: hard for fail, soft for warn */
    int joint;             /* joint table index, or -1 */
    int body1, body2;      /* MuJoCo body ids, or -1 */
    int aux;               /* assist: bit 0 = some frames had no foot in contact */
    char what[2 * LFD_NAME_MAX + 8]; /* "left_knee_joint", "left_elbow_link / torso_link" */
    char msg[512];         /* the whole finding as one line of text (cut at a UTF-8 character's end when longer) */
} lfd_check_finding;

typedef struct lfd_check_joint_stats {
    double q_min, q_max;          /* rad */
    double vel_peak;              /* rad/s, largest |mean over a frame interval| */
    double acc_peak, jerk_peak;   /* rad/s^2, rad/s^3 */
    double torque_peak, torque_rms; /* N m (0 unless the torque check ran) */
    int torque_peak_frame;
    double track_effort_peak;     /* tracking: peak |torque| / limit */
} lfd_check_joint_stats;

typedef struct lfd_check_track {
    int ran;
    int fell;               /* 1 if the root tilted past tilt_fall_rad or sank */
    int fall_frame;         /* motion frame of the fall, or -1 */
    double fall_time_s;
    int diverged;           /* MuJoCo reported a divergence */
    int frames_tracked;     /* frames simulated before a fall or the end */
    double joint_err_rms_mean; /* rad, RMS over joints, mean over frames */
    double joint_err_rms_max;  /* rad */
    double root_err_max_m;
    double tilt_max_rad;
    double effort_peak;     /* largest |torque| / limit of any joint */
    int effort_joint;       /* its joint index */
    long clamped_steps;     /* control steps with at least one clamped torque */
    long held_steps;        /* control steps where the controller held a joint on damping because
                               its torque was not finite (lfd_simloop's held) */
    /* what the simulated feet did that the motion does not (lfd_check_track.c):
       the first frame a foot the motion lifts or moves carried the robot
       (LFD_CK_TRACK_SCUFF) and a foot it holds flat stood on an edge
       (LFD_CK_TRACK_EDGE), -1 none, and which foot (0 left, 1 right) */
    int first_scuff_frame, first_scuff_foot;
    int first_edge_frame, first_edge_foot;
    /* ... and the first frame a loaded foot turned on the floor (LFD_CK_TRACK_PIVOT) */
    int first_pivot_frame, first_pivot_foot;
    int assist_ran;         /* the harness run happened (the free run failed) */
    double assist_peak;     /* share of body weight */
    double assist_mean;
    double sim_s;           /* simulated time (both runs) */
    double wall_s;          /* wall time of the tracking */
} lfd_check_track;

typedef struct lfd_check_report {
    char robot[LFD_NAME_MAX];
    int verdict;            /* LFD_CHECK_PASS / WARN / FAIL */
    int nframes;
    double fps, duration_s;
    unsigned checks;        /* the groups that ran */
    lfd_check_opts opts;    /* the thresholds used */
    int nfail, nwarn, ninfo;  /* findings by severity (including unlisted ones) */
    /* findings listed, and not listed (the list is full: a failure takes
       the place of a listed warning or info, so failures are listed first;
       more_failures of the unlisted ones fail) */
    int nfindings, more_findings, more_failures;
    lfd_check_finding finding[LFD_CHECK_MAX_FINDINGS];
    int njoints;
    lfd_check_joint_stats joint[LFD_ROBOT_MAX_JOINTS];
    /* headline figures (NaN or 0 when the check did not run / apply) */
    double self_depth_max_m;
    double floor_depth_max_m;
    double slide_max_m;          /* per frame */
    double foot_force_max_n;
    double foot_force_limit_n;   /* the warning threshold used */
    double zmp_margin_min_m;     /* NaN if never defined */
    double com_margin_min_m;
    double assist_max;           /* share of body weight, outside needs-support frames */
    double assist_supported_max; /* the same inside needs-support frames (not a failure) */
    lfd_support support;         /* needs-support ranges (the retarget report's rule) */
    int assist_frames;           /* frames over assist_warn */
    int support_frames;          /* frames with a foot in contact */
    double hover_load_max;       /* share of body weight carried by loaded sole corners more than
                                    hover_height_m above the floor (both feet, one frame) */
    int hover_frames;            /* frames where that share is over assist_warn */
    double speed_max_m_s;
    int speed_point;             /* 0 left hand, 1 right hand, 2 left foot, 3 right foot, -1 */
    double weight_n;             /* body weight used for shares */
    lfd_check_track track;
    double wall_s;               /* time of lfd_check_motion */
    /* per-frame series (opts.series), owned by the report; NULL otherwise */
    int series_frames;
    double *s_torque;      /* nframes x njoints, N m */
    double *s_zmp_margin;  /* nframes, m (NaN: undefined) */
    double *s_com_margin;  /* nframes, m */
    double *s_assist;      /* nframes, share of body weight */
    double *s_wrench;      /* nframes x 12: the ground wrench the motion asks (force, N;
                              moment about the CoM, N m; world axes), then the part of it
                              the loaded sole corners could not supply (NaN: not computed) */
    double *s_track_err;   /* nframes, rad (NaN: not simulated) */
    double *s_track_root;  /* nframes, m */
    unsigned char *s_contact; /* nframes, bit 0 left foot, bit 1 right foot */
} lfd_check_report;

/* Allocates a zeroed report into *out (NULL on failure, LFD_ENOMEM); the
   caller frees it with lfd_check_report_free, which also frees the series
   lfd_check_motion allocated into it and NULLs the caller's pointer. */
int lfd_check_report_new(lfd_check_report **out, lfd_err *err);
void lfd_check_report_free(lfd_check_report **rep);

/* Text for people: the verdict, the headline figures and every finding.
   name is shown as the motion's name; r (may be NULL) names the joints. */
void lfd_check_report_print(const lfd_check_report *rep, const lfd_robot *r, const char *name,
                            FILE *fp);
/* JSON for machines (one object; with series when present). */
void lfd_check_report_json(const lfd_check_report *rep, const lfd_robot *r, const char *name,
                           lfd_jw *jw);
/* 1 if some finding of kind covers frame f, its index in *idx (first match). */
int lfd_check_report_find(const lfd_check_report *rep, int kind, int f, int *idx);

/* ---- checker (model) and workspace ------------------------------------------- */
typedef struct lfd_checker lfd_checker;
typedef struct lfd_check_ws lfd_check_ws;

/* Prepares a robot for checking (the robot must outlive the checker): a
   copy of its model and the tables.  The caller frees *c with
   lfd_checker_free (which NULLs the pointer); *c is NULL on failure. */
int lfd_checker_new(lfd_checker **c, const lfd_robot *r, lfd_err *err);
void lfd_checker_free(lfd_checker **c);
const lfd_robot *lfd_checker_robot(const lfd_checker *c);
/* The checker's copy of the model (contact buffer raised). */
const mjModel *lfd_checker_model(const lfd_checker *c);

/* A workspace for one thread (c must outlive it): its arrays in one block,
   plus an mjData and a simulation loop.  The caller frees *ws with
   lfd_check_ws_free (which NULLs the pointer); *ws is NULL on failure. */
int lfd_check_ws_new(lfd_check_ws **ws, const lfd_checker *c, lfd_err *err);
void lfd_check_ws_free(lfd_check_ws **ws);

/* Checks that motion m is a valid input for this robot: frames present,
   finite values, unit quaternions, positive rate, same robot (names, joint
   names, model hash when recorded).  Clear errors naming the problem. */
int lfd_check_input(const lfd_checker *c, const lfd_motion *m, lfd_err *err);

/* Runs the checks of o (NULL: defaults) on m and fills rep (verdict,
   findings, figures).  Returns LFD_OK when the motion was judged (whatever
   the verdict), or an error for bad input (lfd_check_input) or a failure of
   MuJoCo.  Allocates nothing per frame; with o->series the report's series
   are (re)allocated once per motion. */
int lfd_check_motion(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                     const lfd_check_opts *o, lfd_check_report *rep, lfd_err *err);

/* One-shot: checker + workspace + lfd_check_motion. */
int lfd_check_run(const lfd_robot *r, const lfd_motion *m, const lfd_check_opts *o,
                  lfd_check_report *rep, lfd_err *err);

/* ---- where a torque comes from (lfd_check_explain.c) ---------------------------- */
/* The parts a joint's torque at one frame is split into, exactly (they sum
   to the check's torque): gravity, the velocity terms, the accelerations
   of the root's translation and turn, of each leg, the trunk (joints above
   both hands), each arm and the rest, what the floor's load on the feet
   takes off, and the description's springs and damping. */
enum {
    LFD_TQP_GRAVITY,
    LFD_TQP_VELOCITY,
    LFD_TQP_ROOT_LIN,
    LFD_TQP_ROOT_TURN,
    LFD_TQP_LEFT_LEG,
    LFD_TQP_RIGHT_LEG,
    LFD_TQP_TRUNK,
    LFD_TQP_LEFT_ARM,
    LFD_TQP_RIGHT_ARM,
    LFD_TQP_OTHER,
    LFD_TQP_FLOOR,
    LFD_TQP_PASSIVE,
    LFD_TQP_COUNT
};
typedef struct lfd_torque_split {
    int frame, joint;           /* joint: index into r->joints */
    double torque_nm, limit_nm; /* the check's torque (signed) and the limit */
    double part_nm[LFD_TQP_COUNT];
    /* the same joint's torque with the pose held still (the frame
       repeated): gravity and the floor's share of the weight.  The rest,
       torque_nm - still_nm, falls with 1/s^2 when the motion is played s
       times slower (velocity terms and accelerations; springs and damping
       aside) */
    double still_nm;
} lfd_torque_split;
const char *lfd_torque_part_name(int part);
/* The torque of joint (index into r->joints; -1: the joint at the largest
   share of its limit) at frame, as lfd check computes it with o (NULL:
   defaults), and its parts. */
int lfd_check_explain_torque(const lfd_robot *r, const lfd_motion *m, const lfd_check_opts *o,
                             int frame, int joint, lfd_torque_split *out, lfd_err *err);
/* The same on a checker and workspace the caller made (many calls: --fix) */
int lfd_check_explain_torque_with(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                                  const lfd_check_opts *o, int frame, int joint,
                                  lfd_torque_split *out, lfd_err *err);
/* Appends to each failing torque finding of rep (a report of m) what the
   pose held still asks at its peak, and how much slower the motion there
   would fit, or that slowing cannot fix it (lfd check's text and JSON
   "msg") */
int lfd_check_annotate_torque(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                              const lfd_check_opts *o, lfd_check_report *rep, lfd_err *err);
void lfd_torque_split_print(const lfd_torque_split *s, const lfd_robot *r, FILE *fp);

/* What slowing a motion down does to its torques.  Played s times slower,
   a frame's torque becomes still + (tau - still) / s^2: the part beyond
   holding the pose still (velocity terms, accelerations) falls, and the
   torque tends to what the pose held still asks.  Where a walk's centre of
   mass is beyond its stance foot the motion leans on its momentum: the
   still pose asks more of the ankle than the motion at its pace, and
   slowing down raises that torque instead of lowering it.
   lfd_check_torque_frames: every joint's torque at frames a..b of m as the
   check computes it (tau) and with each pose held still (still), both
   (b - a + 1) x njoints. */
int lfd_check_torque_frames(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                            const lfd_check_opts *o, int a, int b, double *tau, double *still,
                            lfd_err *err);
typedef struct lfd_slowdown_harm {
    int frame, joint;   /* -1: none */
    double rate;        /* the slow-down there */
    double torque_nm, slowed_nm, still_nm; /* at the motion's pace, slowed, held still */
} lfd_slowdown_harm;
/* 1 (and *out) if slowing frames a..b by rate[k - a] (>= 1) would push a
   joint past its hard torque limit at a frame where the motion at its pace
   keeps it within; tau and still as lfd_check_torque_frames gives them */
int lfd_check_slowdown_harm(const lfd_robot *r, const lfd_check_opts *o, int a, int b,
                            const double *tau, const double *still, const double *rate,
                            lfd_slowdown_harm *out);
/* Whether slowing frames first..last of m by s, with --fix's raised-cosine
   ramps of 0.3 s either side, would push a joint past its hard torque
   limit at a frame where the motion at its pace keeps it within
   (lfd_check_slowdown_harm; h->frame -1: no) */
int lfd_check_slowdown_harm_around(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                                   const lfd_check_opts *o, int first, int last, double s,
                                   lfd_slowdown_harm *h, lfd_err *err);
/* *count: the frames of m where the motion leans on its momentum (a joint
   within its hard torque limit that, with the pose held still, would be
   past it) */
int lfd_check_momentum_frames(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                              const lfd_check_opts *o, int *count, lfd_err *err);

/* Why a frame needs external help (lfd check --explain-help FRAME): the
   ground wrench its motion asks, and the part of it the loaded sole
   corners cannot supply, split into the horizontal force (friction), the
   vertical force (the floor cannot pull, nor push where no foot is), the
   tilting moment (the ZMP outside the support) and the yaw moment
   (twisting on the soles' friction); the help is the larger of the force
   and the moment left, as shares of body weight (the moment over body
   weight x the default pose's CoM height). */
typedef struct lfd_help_split {
    int frame;
    double help;          /* share of body weight: lfd check's external help */
    double weight_n, lever_m;
    double need_n[3], need_nm[3];   /* asked: force, moment about the CoM */
    double miss_n[3], miss_nm[3];   /* not supplied */
    int feet;             /* bit 0 left, bit 1 right: feet with loaded corners */
} lfd_help_split;
int lfd_check_explain_help(const lfd_robot *r, const lfd_motion *m, const lfd_check_opts *o,
                           int frame, lfd_help_split *out, lfd_err *err);
void lfd_help_split_print(const lfd_help_split *s, FILE *fp);
void lfd_help_split_json(const lfd_help_split *s, lfd_jw *jw);
void lfd_torque_split_json(const lfd_torque_split *s, const lfd_robot *r, lfd_jw *jw);

/* ---- repair (--fix) ---------------------------------------------------------------- */
#define LFD_CHECK_MAX_CHANGES 32

typedef struct lfd_check_fixlog {
    int nchanges;                            /* all of them: the first LFD_CHECK_MAX_CHANGES are in change[] */
    char change[LFD_CHECK_MAX_CHANGES][256]; /* what was changed, one line each; first, the frames added */
    int nleft;                               /* likewise */
    char left[LFD_CHECK_MAX_CHANGES][256];   /* problems too large to repair */
    int segments_slowed;
    int frames_added;          /* output frames - input frames */
    int joints_clamped;
    double lift_max_m;         /* largest root lift */
} lfd_check_fixlog;

/* how many of n lines a fix log keeps (nchanges and nleft count them all) */
static inline int lfd_check_fixlog_kept(int n) { return n < LFD_CHECK_MAX_CHANGES ? n : LFD_CHECK_MAX_CHANGES; }

/* Repairs the mild problems rep (a report of lfd_check_motion on in) found:
   time-scales the frame ranges over velocity/acceleration limits and over
   hard torque limits where slowing lowers the torque (slower by up to
   fix_time_max, with raised-cosine ramps; torque in up to three rounds,
   checked again, and undone if it leaves more torque failures), clamps range
   violations up to fix_range_max_rad to the hard limit (a soft-range
   warning may remain), and lifts the root over floor penetrations up to
   fix_floor_max_m (smoothly, never less than needed).  Writes a new
   motion to out (free with lfd_motion_free) with a "check_fix" provenance
   entry, and what it did to log.  Problems beyond the mild bounds are left
   and listed in log->left.  The caller re-checks out. */
int lfd_check_fix(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *in,
                  const lfd_check_report *rep, const lfd_check_opts *o, lfd_motion *out,
                  lfd_check_fixlog *log, lfd_err *err);

/* ---- plot ---------------------------------------------------------------------------- */
/* Writes an SVG (atomically) with one row per joint: its trajectory against
   the soft and hard range limits, velocity against its limits and, when the
   report has series, torque against its limits; frames of the joint's
   findings are shaded.  Series rows for balance and tracking follow. */
int lfd_check_plot_svg(const lfd_checker *c, const lfd_motion *m, const lfd_check_report *rep,
                       const char *title, const char *path, lfd_err *err);

#endif
