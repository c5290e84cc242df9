/*  lfd_retarget_int: the retargeter's and the stream's internals, shared by
    lfd_retarget.c (the per-frame retargeter), lfd_retarget_calib.c (measuring
    the person) and lfd_retarget_batch.c (whole clips and their report).
    Not a public header: nothing outside retarget/ includes it. */
#ifndef LFD_RETARGET_INT_H
#define LFD_RETARGET_INT_H

#include "retarget/lfd_retarget.h"
#define BLEND_S 0.1      /* leaving contact: blend from the pin back to the human */
#define PIN_POS_GAIN 30.0 /* weight multipliers of pinned feet */
#define PIN_ROT_GAIN 1.0
#define PIN_RAMP_S 0.15 /* the feet step's correction ramps in after a touch-down over this time (legs that cannot set their foot's roll: before it, in the swing) */
#define PIN_RAMP_OUT_S 0.15 /* ... and out after a lift-off, in the swing, over this time (it faded out before the lift-off, over 0.07 s, until the stance feet were held to it) */
#define SHIFT_PELVIS_GAIN 100.0 /* pelvis weight multiplier on a whole-clip pass's path */
#define ROOT_SMOOTH_HZ 3.0 /* cutoff of the whole-clip pass's pelvis path (Whittaker, gain 1/2) */
#define FEET_POLISH_CONTINUITY 1e-2 /* pull toward the smoothed pose in the feet step, per rad^2 */
#define IK_ACCEL_WEIGHT 0.03 /* IK pull toward constant joint velocity, per rad^2 */
#define SMOOTH_SLIDE_MAX_M 0.02 /* smoothing is kept off where it slides a planted foot further */
#define SMOOTH_FLOOR_MAX_M 0.008 /* ... or puts a sole deeper below the floor */
#define SMOOTH_KEEP_ACC_RATIO 1.25 /* ... unless the unsmoothed one's acceleration p99 is higher
                                      than this times the smoothed one's (a jerky motion that
                                      skates less is not the better one either) */
#define SMOOTH_ACC_CAP_RAD_S2 60.0 /* the whole-clip smoothing lets a leg's joints leave the IK's path
                                      where they turn faster than this, while the foot is off the floor
                                      (lfd's default, the report's p99 threshold LFD_RETARGET_WARN_ACC_P99;
                                      the robot descriptions publish no acceleration limits): a leg
                                      reaching full extension before heel strike turns its knee round
                                      within a frame (G1 bandai1 walk: 168 rad/s^2 at frame 74) */
#define SMOOTH_ACC_ROUNDS 2 /* ... in this many reweighting rounds at most */
#define SMOOTH_ACC_CUT 0.2 /* ... each cutting the data's weight around a frame over the cap by this */
#define SMOOTH_ACC_WMIN 1e-3 /* ... down to this at least */
#define FLOOR_POLISH_TOL_M 0.001 /* a sole this far below the floor gets the floor step */
#define SWING_FULL_S 0.3 /* swing clearance (o.swing_clear_m): less in a swing shorter than this, */
#define SWING_TRAVEL_M 0.3 /* ... or one whose foot travels less than this, */
#define SWING_MIN_S 0.1 /* ... none in one shorter than this (a contact flag flickering off); */
#define SWING_CORR_HZ 3.0 /* ... the legs' lifts smoothed over the clip at this cutoff, */
#define SWING_PIN_W 1e3 /* ... the frames where a joint's foot is pinned weighted this (the swing's 1) */
#define ARMS_GUARD_S 0.2 /* the arms' clearance guard eases its correction in and out over this time on either side */
#define ARMS_GUARD_TOL_M 5e-4 /* ... a pair this much closer than it may be */
#define ARMS_GUARD_LAST_S 0.1   /* ... then a frame still inside: its own correction, shared linearly over this time */
#define ARMS_GUARD_HAND_W 0.1   /* ... with the hands' weight cut to this */
#define ARMS_GUARD_LAST_ITERS 20 /* ... and this many IK iterations */
#define ARMS_GUARD_PASSES 3 /* ... and runs again on what its easing left, this many times at most */
#define FEET_POLISH_ITERS 4 /* IK iterations of the feet step (it starts close) */
#define DYN_SHIFT_ITERS 2   /* ... and of a filter round's legs after a shift of the root */
#define FEET_CORR_HZ 9.0 /* the feet and floor steps' corrections are smoothed over the clip at this cutoff */
#define ZMP_MARGIN_M 0.02 /* the ZMP is brought this far inside the support polygon */
#define ZMP_W_STAY 1.0 /* dynamics filter: weight of staying on the IK's CoM path */
#define ZMP_W_ZMP 100.0 /* ... of the ZMP reaching its target */
#define ZMP_W_SMOOTH 1.0 /* ... of the correction's second difference */
#define DYN_ROUNDS 3 /* --zmp-filter: rounds of filter, smoothing, feet and floor steps */
#define DYN_RETRIES 2 /* ... a round the caps refuse is tried again at half its shift, this many times */
#define DYN_DIRECT_RETRIES 2 /* ... a direct step a guard's cap refuses, at half, then a quarter of its shift */
#define DYN_RETRY_OVER 4.0 /* ... when it passed the cap by less than this factor */
#define DYN_ITERS 5 /* dynamics filter: corrections on the motion's own ZMP */
#define DYN_STEP0 0.6 /* ... the first step, a share of the cart-table correction (halved when a step does not help) */
#define DYN_DONE_M 0.002 /* ... stop once no ZMP is further than this from its target */
#define DYN_CONTACT_M 0.02 /* ... a sole corner this close to the floor can carry load (lfd check's) */
#define DYN_SLIDE_SLACK_M 0.005 /* a round may add this much slide to a motion that came in past the warning threshold (one that came in within it stays within it: H1's bandai2 walk slid 1.1 cm with the slack, 0.95 without; docs/retarget.md part 23) */
#define DYN_HAND_SLACK_M 0.01 /* ... and move the hands this much further from their targets (mean) */
/* the last, direct correction may not raise the acceleration p99 past its
   threshold (or what it was): 1.05 let H1's xia walk reach 61-62 rad/s^2
   once the swinging feet were lifted (docs/retarget.md part 19) */
#define DYN_ACC_SLACK 1.0
#define DYN_TORQUE_SHARE 0.9 /* the ZMP's support: where a foot's ankle carries the load within this share of its torque limits (0: the whole sole) */
#define ANKLE_NEAR_M 0.06 /* ... the joints of a leg this close to its foot's body */
#define DYN_MIN_SHIFT_M 0.001 /* no round when the filter asks less than this anywhere */
#define ZMP_MAX_SHIFT_M 0.12 /* the root moves at most this far off the scaled pelvis path (8 cm until part 11 of docs/retarget.md: H1's walks needed more) */
#define ROLL_TOE_MAX_RAD 0.9 /* a planted foot rolls onto its toe edge up to this pitch */
#define ROLL_HEEL_MAX_RAD 0.5 /* ... and onto its heel edge (toe up) up to this */
#define ROLL_END_S 0.15 /* rolling is allowed this close to a contact phase's start or end, */
#define ROLL_FADE_S 0.15 /* ... fading out over this much further into it */
#define DOUBLE_SUPPORT_TRUNK_ROT 0.2 /* trunk orientation weight while both feet are planted */

enum { SEGSRC_NONE = -1, SEGSRC_SPINE = -2 };

struct lfd_retargeter {
    const lfd_robot *r;
    lfd_retarget_opts opts;
    lfd_retarget_calib calib;
    lfd_ik *ik;
    int nmap;
    int entry_of[LFD_CJ_COUNT];     /* map index of a canonical joint, -1 */
    int cj[LFD_CJ_COUNT];           /* canonical joint of map entry e */
    int parent_e[LFD_CJ_COUNT];     /* map index of the mapped ancestor, -1 for the pelvis */
    int segsrc[LFD_CJ_COUNT];       /* human segment giving the orientation target */
    double scale[LFD_CJ_COUNT];
    double robot_edge_m[LFD_CJ_COUNT];
    double s_root;
    double s_xy;                    /* horizontal root scale: the legs' (see lfd_retarget.h) */
    int pelvis_e;
    int ankle_e[2], toe_e[2];
    int foot_roll_set[2];           /* 0: the leg has fewer than six joints (H1: no ankle
                                       roll), so its hips decide how the sole rolls */
    double ankle_rest_z[2];         /* ankle point height with the sole flat on z = 0 */
    double toe_rel0[2][3];          /* toe point - ankle point, zero pose (foot facing +x) */
    double pivot_rel[2][2][3];      /* heel, front edge of the sole (middle) - ankle point,
                                       in the ankle target's frame (lfd_rt_roll_ankle) */
    double pivot_lat[2][3];         /* half the sole's width along its side axis, in the
                                       same frame: a foot rolled sideways stands on the
                                       lower of its two long edges */
    double pel_def_pos[3], pel_def_q[4]; /* robot pelvis frame at the default pose */
    int upper[LFD_CJ_COUNT];        /* entry takes part in upper-body mode */
    int rigid_seg[LFD_CJ_COUNT];    /* >= 0: the edge is rigid in this human segment */
    double rel0[LFD_CJ_COUNT][3];   /* robot edge vector at the zero pose (world = segment axes) */
    lfd_ik *ik_feet;                /* legs only: planted feet back on their pins after smoothing */
    int feet_task[2][2];            /* ik_feet task of each side's ankle, toe (-1: none) */
    lfd_ik *ik_arms;                /* arms only: hands kept while the filter's direct steps move the root */
    int hand_task[2];               /* ik_arms task of each wrist (-1: none) */
};

struct lfd_retarget_stream {
    const lfd_retargeter *rt;
    lfd_ik_ws *ws;
    double dt;
    int first;
    double *qprev, *qprev2, *qtry, *qbest;
    int nprev;                       /* frames solved since the reset */
    double tpos[3 * LFD_CJ_COUNT], tquat[4 * LFD_CJ_COUNT];   /* targets used */
    double hpos[3 * LFD_CJ_COUNT];                           /* unpinned targets */
    double pw[LFD_CJ_COUNT], rw[LFD_CJ_COUNT];
    double p0[3 * LFD_CJ_COUNT], q0[4 * LFD_CJ_COUNT];       /* homotopy start */
    int pinned[2];
    int pin_pending[2];              /* contact began this frame: pin after the IK */
    double pin_pos[2][3];            /* a planted foot's pin: the flat foot's ankle point */
    int blend_left[2], blend_frames;
    double pin_level[2];             /* 0..1: how far a pin's weight has ramped in */
    double blend_pos[2][3], blend_q[2][4];
};

/* Rolling contact of a planted foot.  The human's foot stays "in contact"
   while its toe is on the floor and its heel rises (and from heel strike
   until the sole is flat); a robot foot held flat at its landing place
   there makes the leg stretch and the knee snap when the pin lets go.
   lfd_rt_roll_quat: the pinned foot's target orientation from the human's
   foot target hq: its heading, and its pitch about the foot's lateral axis
   (toe down > 0), clamped to ROLL_TOE_MAX_RAD / -ROLL_HEEL_MAX_RAD and
   scaled by allow (0..1); roll about the long axis stays flat.  Whole
   clips allow it near a contact phase's ends only (ROLL_END_S): heel-off
   and heel strike; a human standing on tiptoe for long leaves the robot
   standing flat, since an edge is no support polygon.  (Rolling only while the other foot is
   planted was tried: the human contact flags of real walks have almost no
   double support, so the feet stayed flat and the knees snapped again.)  lfd_rt_roll_ankle: the ankle point of
   that foot when it pivots on its toe edge (pitch > 0) or heel edge (< 0),
   the edge staying where the flat foot whose ankle point is pin has it;
   pitch 0 gives pin.  lfd_rt_unroll_ankle is its inverse (the flat pin of
   a rolled foot). */
void lfd_rt_roll_quat(const double hq[4], double allow, double q[4]);
void lfd_rt_roll_ankle(const lfd_retargeter *rt, int side, const double pin[3], const double q[4],
                       double ankle[3]);
void lfd_rt_unroll_ankle(const lfd_retargeter *rt, int side, const double ankle[3],
                         const double q[4], double pin[3]);

/* map index of each canonical joint (-1: unmapped) */
void lfd_rt_fill_entry_of(const lfd_robot *r, int *entry_of);
/* nearest mapped canonical ancestor of cj, -1 */
int lfd_rt_mapped_ancestor(const int *entry_of, int cj);
/* world position of a map entry's body point in the kinematics of d */
void lfd_rt_map_point(const mjModel *m, const mjData *d, const lfd_robot_map_entry *e, double p[3]);
/* world orientation of a map entry's target frame (the body's, times the
   conjugate of its rot_offset: the frame the IK's orientation tasks use) */
void lfd_rt_map_quat(const mjData *d, const lfd_robot_map_entry *e, double q[4]);
/* lowest sole corner of r's feet in the kinematics of d (+inf without feet) */
double lfd_rt_lowest_sole(const lfd_robot *r, const mjData *d);
/* lowest sole corner of foot side (0 left, 1 right) in d (+inf without it) */
double lfd_rt_foot_lowest(const lfd_robot *r, const mjData *d, int side);

/* Solves A x = b for a symmetric positive definite pentadiagonal A given by
   its diagonal a0 (n), first a1 (n-1) and second a2 (n-2) super-diagonals;
   a0..a2 are overwritten by the factors, b by x.  LFD_ENUMERIC if A is not
   positive definite. */
int lfd_rt_band2_solve(double *a0, double *a1, double *a2, double *b, int n);
/* Whittaker smoother: x (n samples, stride apart) becomes the minimiser of
   sum w_k (x_k - x0_k)^2 + lambda sum (x_{k-1} - 2 x_k + x_{k+1})^2; w NULL
   = all 1.  work holds 4 n doubles. */
int lfd_rt_smooth_accel(double *x, int n, size_t stride, const double *w, double lambda,
                        double *work);
/* lambda of lfd_rt_smooth_accel whose gain is 1/2 at cutoff_hz */
double lfd_rt_smooth_lambda(double cutoff_hz, double fps);

/* After a reset: the next frame starts from qpos (a known solution of the
   previous frame) instead of the first frame's several starts. */
void lfd_rt_stream_warm(lfd_retarget_stream *s, const double *qpos);

/* ---- the dynamics filter (lfd_retarget_clip.c) ---- */
#define LFD_RT_MAX_SUPPORT 32 /* vertices of a support region (two feet's corners, cut) */
/* The ZMP's support in the dynamics filter: the loaded sole corners with
   each foot's share of the load split as by a lever between the ankles
   (lfd_rt_corner_torque_fit), or the exact region of the splits a foot's
   loaded corners can carry within its joints' torque (lfd_rt_support_region) */
enum { LFD_RT_SUPPORT_LEVER, LFD_RT_SUPPORT_EXACT };
/* Convex hull of n points (x, y pairs, n <= 2 * LFD_RT_MAX_SUPPORT) in
   place, counter-clockwise; returns its vertex count. */
int lfd_rt_hull2(double *pts, int n);
/* Depth of p inside a counter-clockwise hull (m; < 0 outside). */
double lfd_rt_poly_depth(const double *hull, int nh, const double p[2]);
/* p if it lies at least margin inside the hull, else the point toward the
   hull's centroid that does (margin shrinks for a narrow hull). */
void lfd_rt_poly_pull_in(const double *hull, int nh, double margin, const double p[2], double out[2]);
/* The dynamics filter over a clip: com (n x 3), the ZMP wanted (n x 2) and
   its weight per frame (0: free, e.g. no support) give the horizontal
   correction delta (n x 2) of the CoM path (cart-table model, Kajita et al.
   2003: a shift d moves the ZMP by d - z_c / g * d'').  zmp_now (n x 2):
   the motion's ZMP as it is (e.g. the multibody ZMP from inverse
   dynamics); NULL: the cart-table ZMP of com.  work: 4 n doubles. */
/* The ZMP (x, y on the floor z = 0) of every frame of m from the rate of
   change of its bodies' momenta on the half-frames (second differences of
   the bodies' positions and turns): zmp holds 2 x nframes values, NaN at
   the clip's two ends and where the ground pushes up with less than a
   tenth of the weight.  The dynamics filter's ZMP. */
int lfd_rt_motion_zmp(const lfd_robot *r, const lfd_motion *m, double *zmp, lfd_err *err);
int lfd_rt_zmp_filter(const double *com, const double *zmp_now, const double *zmp_target,
                      const double *w_zmp, int n, double fps, double com_height_m, double *delta,
                      double *work);

/* ---- the whole-clip steps on the written motion (lfd_retarget_clip.c) ---- */
/* the clip's inputs at the output rate, and what the passes share */
typedef struct lfd_rt_clip {
    int n;
    double *cpos, *seg;     /* n x 57, n x 35 */
    uint8_t *contact;       /* n x 2 */
    double *roll;           /* n x 2: how far a planted foot may roll (lfd_retarget_input) */
    double *tpel;           /* n x 3: the pelvis target from the human */
    double *pel;            /* n x 3: the pelvis the last pass reached */
    double *shift;          /* n x 3: the whole-clip pass's pelvis path minus tpel */
    double *dshift;         /* n x 2: the dynamics filter's root shift of one round */
    double *work;           /* 6 n + njoints */
    double *limb_t;         /* n x 12: hand (l, r) then ankle (l, r) targets from the human */
    uint8_t *limb_on;       /* n x 4: that target was in use */
    uint8_t *pinned;        /* n x 2: the foot was pinned in the last pass */
    double *feet_t;         /* n x 2 x 10: a pinned foot's ankle point, ankle frame, toe point */
    double *level;          /* n x 2: 0..1, how deep into a contact phase each foot is */
    int *leg_side;          /* njoints: the foot a joint moves (0, 1), -1 */
    uint8_t *no_support;    /* n: the frame needs support (lfd_support), the dynamics filter leaves it */
    int no_support_trim;    /* frames off each end of a needs-support range for the filter (above) */
    uint8_t *no_support_all;/* n: the same ranges untrimmed: no swing is lifted across them */
} lfd_rt_clip;

/* joints back inside their ranges and, frame to frame, their velocity limits;
   returns how many values it moved */
int lfd_rt_impose_bounds(const lfd_robot *r, lfd_motion *m);
/* the foot (0, 1) whose path from the root holds joint j, or -1 */
int lfd_rt_joint_leg_side(const lfd_robot *r, int j);
/* which foot each joint moves; how deep each frame is into its contact phase */
void lfd_rt_contact_levels(const lfd_robot *r, lfd_rt_clip *c, double fps);
/* the legs put planted feet back on their pins after smoothing */
int lfd_rt_feet_step(const lfd_retargeter *rt, lfd_rt_clip *c, lfd_motion *m, lfd_err *err);
/* the swing of foot side around frame k (not pinned while the other foot
   is): the last frame before it (*a) and the first after it (*b); 0 when k
   is in none, or in one shorter than SWING_MIN_S, landing in the clip's
   last SWING_MIN_S or through frames that need support */
int lfd_rt_swing_window(const lfd_rt_clip *c, int side, int k, double fps, int *a, int *b);
/* a foot swinging between contact phases kept clear of the floor by the legs */
int lfd_rt_swing_clear_step(const lfd_retargeter *rt, const lfd_rt_clip *c, lfd_motion *m,
                            double *work, lfd_err *err);
/* soles left below the floor lifted by the legs (the body where a leg cannot) */
int lfd_rt_floor_step(const lfd_retargeter *rt, lfd_motion *m, double *work, lfd_err *err);
/* The arms' clearance guard (the last step): frames with an arm inside the
   body, and those around them, get the arms' IK with the clearance pairs'
   margins, hands kept.  Returns the frames changed (>= 0) or a status. */
int lfd_rt_arms_guard(const lfd_retargeter *rt, lfd_motion *m, lfd_err *err);

/* The torque step (lfd_retarget_torque.c): the joints with no foot below
   them are brought within their torque limits where they ask more than
   TORQUE_STEP_ON of them, by the smallest change of their own angles. */
#define TORQUE_STEP_ON 0.95   /* a joint over this share of its limit gets the step */
#define TORQUE_STEP_AIM 0.90  /* ... which aims at this share there */
#define TORQUE_STEP_HIT 1e4   /* ... weight of that aim, per (torque / limit)^2 */
#define TORQUE_STEP_KEEP 0.1  /* ... weight of the torque staying as it was elsewhere in the window */
#define TORQUE_STEP_WINDOW_S 0.3 /* ... the window reaches this far on either side of the peaks */
#define TORQUE_STEP_ROUNDS 20 /* ... rounds at most, the exact torques computed again after each */
#define TORQUE_STEP_SENS_RAD 1e-4 /* ... the step of its torque's derivative by the joint's angle */
#define TORQUE_STEP_MAX_RAD 0.15 /* ... a joint moves at most this far from its angle before the step */
#define TORQUE_STEP_ACTIVE_ITERS 20 /* ... solves of a window, the rows over the aim found again after each */
#define TORQUE_STEP_WINDOW_MAX 90 /* ... frames in a window at most (more where one peak's window is longer) */
#define TORQUE_STEP_ZMP_W 1e4 /* ... weight of the ZMP staying where it was, per m^2 a frame */
#define TORQUE_STEP_ZMP_MIN_FZ 0.1 /* ... where the ground carries this share of the weight at least */
#define TORQUE_STEP_ZMP_TOL_M 1e-3 /* ... or leaves a ZMP this much further outside its support */
#define TORQUE_STEP_DEPTH_TOL_M 1e-4 /* ... a change that takes two bodies this much further into each other is refused */
typedef lfd_retarget_torque_fig lfd_rt_torque_fig;
int lfd_rt_torque_step(const lfd_robot *r, lfd_motion *m, lfd_rt_torque_fig *fig, lfd_err *err);
/* frame q's root turned by the world rotation rot about center (both may
   be NULL: no turn) and moved by d (m), its legs putting both feet back
   where they were (legs' IK to iters iterations; iws: a workspace of
   rt->ik_feet; ends_on: lfd_rt_feet_ends_mark's bodies; qs: nq scratch) */
int lfd_rt_legs_shift(const lfd_retargeter *rt, lfd_ik_ws *iws, const unsigned char *ends_on,
                      double *q, double *qs, const double d[3], const double *rot,
                      const double *center, double fps, int iters);
/* a floating root (q[0..6]) turned by the world rotation rot about center */
void lfd_rt_turn_root(double *q, const double rot[4], const double center[3]);
/* the ground's force and moment about the origin on every frame of m (n x
   3 each; 0 on the first and last), from the rate of change of the bodies'
   momenta (the dynamics filter's, lfd_rt_motion_zmp) */
int lfd_rt_motion_wrench(const lfd_robot *r, const lfd_motion *m, double *force, double *moment,
                         lfd_err *err);
/* How much of the ground's wrench each frame of m asks the feet cannot give,
   as a share of the weight (gap, n values; 0 on the clip's ends): with no
   sole corner within DYN_CONTACT_M of the floor the whole wrench (its moment
   about the CoM at SUPPORT_GAP_ARM_M); a floor asked to pull, that pull;
   else the moment of the vertical force about the support polygon of those
   corners (the ZMP's distance outside it times the force, at that arm).  A
   measure of lfd check's external help without its friction and its split
   of the load. */
#define SUPPORT_GAP_ARM_M 0.7 /* a moment counts as the weight at this arm (lfd check's help) */
int lfd_rt_support_gap(const lfd_robot *r, const lfd_motion *m, double *gap, lfd_err *err);
void lfd_rt_feet_ends_mark(const lfd_retargeter *rt, unsigned char *on);
/* the legs' joints' changes from q0 (nframes x nq) to m smoothed over the
   clip at cutoff_hz (the feet step's smoothing; work: 5 nframes doubles) */
int lfd_rt_legs_smooth(const lfd_robot *r, lfd_motion *m, const double *q0, double cutoff_hz,
                       double *work, lfd_err *err);

/* The flight step (lfd_retarget_flight.c): where no sole corner is within
   DYN_CONTACT_M of the floor (both feet off it: a hop, a run's flight) no
   force but gravity acts, so the centre of mass falls freely there. */
#define FLIGHT_W_FREE 1e4   /* weight of the CoM's free fall in a flight frame, per (m / frame^2)^2 */
#define FLIGHT_W_SMOOTH 1.0 /* ... of the correction's second difference elsewhere */
#define FLIGHT_SPREAD_S 0.075 /* ... which spreads it over about this much of the support around a flight */
#define FLIGHT_ROUNDS 6     /* ... solved again on the corrected motion's CoM this many times at most */
#define FLIGHT_DONE_M 1e-4  /* ... a correction smaller than this everywhere is not applied */
#define FLIGHT_MIN_M 1e-6   /* ... a frame whose correction is smaller than this is left as it is */
#define FLIGHT_DAMP 1.0     /* ... and of its first difference, times the square root of the two (2: critical, a longer tail) */
#define FLIGHT_LEGS_ITERS 8 /* ... the legs' IK iterations holding the feet (FEET_POLISH_ITERS's 4 left
                               0.4-0.8 mm that changed from frame to frame: at 120 Hz 300-400 N
                               sideways before a take-off) */
#define FLIGHT_FLOOR_SLACK_M 2e-4 /* ... a frame that was on the floor keeps a sole corner this far below DYN_CONTACT_M */
#define FLIGHT_COM_ITERS 2  /* ... a frame on the floor moves its root again by what its CoM lacks this many times */
#define FLIGHT_TURN_REACH_M 0.5 /* ... a turn counts as a move of this radius (for FLIGHT_DONE_M) */
#define FLIGHT_JUDGE_S 0.3  /* ... a flight's correction is kept if it and this much around it ask the feet for less */
#define FLIGHT_SHIFT_MAX_M 0.15 /* ... a flight whose correction moves the root further than this, in it or within
                                   FLIGHT_JUDGE_S of it, is dropped: a person's own flight is near free fall
                                   already (the real jumps and dance: at most 6.6 cm); one that needs more is
                                   no flight (held up, standing on something, a broken rig) and the push
                                   that would make it one dives the root, even under the floor (review) */
#define FLIGHT_PASSES 3     /* ... solves of the clip at most, a flight not kept dropped after each
                               (one still dropped after the last: no flight is corrected) */
#define FLIGHT_MOMENT_ARM_M 0.7 /* ... a moment counts as the weight at this arm (lfd check's help) */
typedef lfd_retarget_flight_fig lfd_rt_flight_fig;
int lfd_rt_flight_step(const lfd_retargeter *rt, lfd_motion *m, lfd_rt_flight_fig *fig, lfd_err *err);

/* the human's joints and segment frames smoothed over the clip */
int lfd_rt_smooth_inputs(lfd_rt_clip *c, double cutoff_hz, double fps);
/* natural cubic spline through n knots (stride sx) evaluated at every
   k-th of their spacing into nout samples (stride sy); work: 2 n */
void lfd_rt_spline_up(const double *x, int n, size_t sx, int k, double *y, int nout, size_t sy,
                      double *work);
/* ms (knots at frames 0, k, 2k, ... of m) at m's rate: qpos channels by
   lfd_rt_spline_up, the root quaternion renormalised, the hard bounds
   again; work: 2 ms->nframes */
void lfd_rt_upsample_motion(const lfd_robot *r, lfd_motion *ms, int k, lfd_motion *m, double *work);
/* the motion smoothed over the clip (with c, a swinging leg's joints let off their path
   where they turn faster than SMOOTH_ACC_CAP_RAD_S2; c->leg_side set, may be NULL),
   then the hard bounds; work: 6 n doubles */
int lfd_rt_smooth_motion(const lfd_robot *r, const lfd_rt_clip *c, lfd_motion *m, double cutoff_hz,
                         double *work);
/* the dynamics filter (--zmp-filter): root shifts from the motion's own ZMP,
   applied to m (the legs keep the feet) and, with shift_xy (2 n doubles, may
   be NULL), returned; shift0 (2 n doubles, may be NULL) is the shift m
   already has, which counts toward ZMP_MAX_SHIFT_M; with keep_hands the
   arms put the hands back where they were too (rt->ik_arms); e_io (3
   doubles, may be NULL): the ZMP error (lfd_rt_zmp_error on the filter's
   support) of m as it came in and as it leaves, and the largest distance
   of a ZMP from its support as it came in (m; under DYN_DONE_M the filter
   leaves m as it is).  in_round: the filter of a round, whose motion the
   pass, smoothing and steps after it make again: its legs are solved to
   DYN_SHIFT_ITERS iterations (the last, direct steps' motion is written as
   it comes: FEET_POLISH_ITERS) */
int lfd_rt_dynamics_filter(const lfd_retargeter *rt, lfd_rt_clip *c, lfd_motion *m, int support,
                           int keep_hands, int in_round, lfd_retarget_report *rep,
                           const double *shift0, double *shift_xy, double *e_io, lfd_err *err);
/* the root shifts shift_xy (2 n doubles) times scale applied to m as the
   direct steps of the filter apply theirs (the legs keep the feet, with
   keep_hands the arms the hands; the legs' corrections smoothed) */
int lfd_rt_apply_shift(const lfd_retargeter *rt, lfd_rt_clip *c, lfd_motion *m, const double *shift_xy,
                       double scale, int keep_hands, lfd_err *err);
/* the floor point c (x, y) moved toward side's ankle until a vertical load
   fz (N) there asks at most DYN_TORQUE_SHARE of the torque limits of the
   leg's joints within ANKLE_NEAR_M of the foot (kinematics done in d) */
void lfd_rt_corner_torque_fit(const lfd_robot *r, const mjData *d, int side, double fz,
                              double c[2]);
/* Where the ZMP may be when the feet carry the vertical load fz (N) with
   the leg joints within ANKLE_NEAR_M of each foot at most at
   DYN_TORQUE_SHARE of their limits: the convex region of the points
   s c_0 + (1 - s) c_1 over the load shares s (REGION_SPLITS + 1 of them),
   c_i a centre of pressure inside foot i's loaded corners (corner, the
   n_on[0] of foot 0 then the n_on[1] of foot 1, world x y) where its
   share asks no more of those joints (a foot on its toe edge carries only
   what its ankle can hold at the toe).  Returns its vertex count (into
   hull, counter-clockwise, LFD_RT_MAX_SUPPORT at most), 0 when no split
   fits (kinematics done in d). */
/* The sole corners within DYN_CONTACT_M of the floor (the corners lfd check
   lets carry load by default) in d (the feet's kinematics done): their world x y into
   xy (2 x 8 doubles, may be NULL), foot 0's first; on[side] counts each
   foot's; returns their number. */
int lfd_rt_low_corners(const lfd_robot *r, const mjData *d, double *xy, int on[2]);
int lfd_rt_support_region(const lfd_robot *r, const mjData *d, const double *corner,
                          const int n_on[2], double fz, double *hull);
/* the motion's ZMPs against their support (LFD_RT_SUPPORT_*): the sum of
   squared distances (m^2) and the largest (m), leaving out the frames
   skip (n bytes, may be NULL) marks */
int lfd_rt_zmp_error(const lfd_retargeter *rt, const lfd_motion *m, int support,
                     const uint8_t *skip, double *sum_m2, double *worst_m, lfd_err *err);

#endif
