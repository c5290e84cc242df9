/*  lfd_retarget: human motion onto a humanoid robot.

    The retargeter turns an lfd_human (canonical joint positions and segment
    frames per frame, metres, Z up) into an lfd_motion of the robot (qpos per
    frame), in four steps per frame:

    1. Scaling without hand tuning.  The robot's retarget map (robots/) says
       which canonical human joint drives which point of which robot body.
       Mapped joints form a tree (each hangs from its nearest mapped
       canonical ancestor).  Each edge gets the scale factor
           s = |robot edge| at the robot's zero configuration
             / |human edge| (median over the clip)
       (or the map's `scale` override), and targets are built down the tree:
           T[pelvis] = s_root * (pelvis - (x0, y0, floor)),
           T[j]      = T[parent] + s_j * (h[j] - h[parent]),
       so every human bone keeps its direction and takes the robot's length.
       Edges fixed inside one body segment (pelvis -> hip, chest -> shoulder,
       ankle -> toe) instead take the robot's own edge vector (zero pose)
       turned by the human segment's orientation: their robot geometry often
       points elsewhere (H1's hip pitch link hangs below its pelvis).
       s_root (pelvis height standing, robot over human) scales root height
       and stride alike; (x0, y0) is the pelvis at frame 0, so the capture
       location is not kept.  Orientation targets come from the human segment
       frames (pelvis, chest, head, feet; spine: half-way from pelvis to
       chest) times the map's body-frame rotation.  Frames built from joint
       positions carry a rig- and person-specific tilt (a pelvis frame from
       the hips and the lowest spine joint leans 10-20 degrees in many
       rigs); the calibration measures each trunk segment's median tilt
       while the person stands (both feet down, pelvis at standing height)
       and removes it, so standing upright maps to the robot upright.

    2. Ground and contact.  While a foot is in contact (lfd_human's contact
       phases, or the caller's flags when streaming), its targets are pinned:
       the ankle where the robot's foot landed in the first contact frame,
       sole flat on the floor (z = 0, where the robot's soles rest), heading following the
       human foot (pivot turns), weights raised; leaving contact blends back to the human over
       0.1 s.  The four sole corners of each foot are IK floor points, so no
       foot goes below z = 0 in any frame.

    3. Inverse kinematics (retarget/lfd_ik): box-constrained Gauss-Newton,
       warm-started from the previous frame, joint ranges as hard bounds,
       joint velocity limits as per-frame bounds, a posture pull toward the
       robot's default pose.  The first frame is solved from several starts
       (the default pose placed at the target pelvis, the zero pose, and a
       homotopy from the default pose's own body positions to the targets)
       and the lowest-cost solution is kept, so the result does not depend
       on luck.  Upper-body mode holds the root and the leg joints (every
       joint above a foot) at the default pose and maps the human's upper
       body relative to its pelvis onto the robot's default pelvis.

    4. Smoothing: the human is resampled to the requested rate before IK
       (positions linearly, frames by slerp); optionally the result is
       low-passed with a zero-phase 2nd-order Butterworth filter and
       re-clamped to the joint ranges.

    Model/workspace split: lfd_retargeter holds the robot, the IK problem and
    the scale factors (read-only while running); lfd_retarget_stream holds
    one motion's state (IK workspace, previous solution, contact pins).
    lfd_retarget_stream_push() retargets ONE frame with bounded work and no
    allocation: live teleoperation calls it directly, and the batch path
    (lfd_retarget_human) is a loop over it.
*/
#ifndef LFD_RETARGET_H
#define LFD_RETARGET_H

#include <stdint.h>

#include "core/lfd_err.h"
#include "core/lfd_motion.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_support.h"
#include "retarget/lfd_ik.h"
#include "robots/lfd_robot.h"

#define LFD_RETARGET_SMOOTH_HZ 4.0 /* default cutoff of the whole-clip smoothing */
/* The swing clearance lfd_retarget_opts.swing_clear_m, on by default
   (docs/retarget.md parts 14 and 19).  A person's toe clears the
   floor by 1-2 cm at its lowest in mid-swing (Winter 1992, "Foot
   trajectory in human gait", minimum toe clearance 1.29 +- 0.45 cm); the
   robots' longer, flat soles need more, and the whole-clip smoothing,
   which caps a swinging knee's acceleration, takes the rest. */
#define LFD_RETARGET_SWING_CLEAR_M 0.04
/* the report counts the swings whose foot passes lower than this in the
   middle half of the swing: it skims the floor (a figure, not a warning) */
#define LFD_RETARGET_SWING_LOW_M 0.01
/* The lowest rate the whole-clip passes solve at when the output rate is
   higher (lfd_retarget_opts.solve_every_frame): the smoothing at
   LFD_RETARGET_SMOOTH_HZ leaves nothing near this rate's Nyquist frequency
   (its gain at 15 Hz is 1 / (1 + (15 / 4)^4) = 0.5 %), and 30 fps is the
   rate issue 15's figures are judged at. */
#define LFD_RETARGET_SOLVE_HZ 30.0

typedef struct lfd_retarget_opts {
    double fps;            /* output rate; 0 = the human's rate */
    int upper_body;        /* 1: root and legs held at the default pose */
    double smooth_hz;      /* > 0: whole-clip smoothing of the result at this cutoff (default
                              LFD_RETARGET_SMOOTH_HZ), then the hard bounds again; 0: off */
    int no_contacts;       /* 1: do not pin feet during contact */
    int keep_measurements; /* 1: keep body measurements and capture location */
    double time_scale;     /* the human was given played this many times slower (0 or 1: as
                              recorded): the provenance says so and names the recording's
                              own rate (lfd retarget --time-scale) */
    int no_clearance;      /* 1: do not keep the arms clear of the body (IK clearance pairs) */
    int first_starts;      /* starts tried on the first frame (1..3, default 3) */
    int max_iters;         /* IK iterations per frame (default 8) */
    int progress;          /* 1: show a progress bar on stderr (batch callers set 0) */
    int zmp_filter;        /* 1 (default): the dynamics filter on the finished motion: the
                              root's horizontal path corrected until its own (multibody) ZMP
                              stays in the support polygon (cart-table steps, Kajita 2003), the
                              second IK pass run again on it; 0: off, about 5x faster
                              (docs/retarget.md) */
    int solve_every_frame; /* 1: solve every output frame; 0 (default): with smoothing on and
                              an output rate of 2 x LFD_RETARGET_SOLVE_HZ or more, the clip is
                              solved on every k-th frame (k = rate / LFD_RETARGET_SOLVE_HZ,
                              rounded down) and the result splined to the output rate */
    double swing_clear_m;  /* > 0: a foot swinging between contact phases keeps its lowest sole
                              corner up to this far above the floor (clear sin^2 over the swing;
                              default LFD_RETARGET_SWING_CLEAR_M); 0: off, the feet skimming the
                              floor (docs/retarget.md parts 14 and 19) */
    int torque_step;       /* 1 (default): the joints with no foot below them (waist, arms),
                              whose torques the motion alone decides, are brought within
                              their torque limits by the smallest change of their angles
                              (docs/retarget.md part 24); 0: off */
    int flight_step;       /* 1 (default): where both feet are off the floor (a hop, a jump),
                              the centre of mass falls freely and the body's angular
                              momentum about it holds, by the least move and turn of the
                              root around the flights (docs/retarget.md part 26); 0: off */
} lfd_retarget_opts;

/* Defaults: source rate, whole body, smoothing at LFD_RETARGET_SMOOTH_HZ,
   the dynamics filter, contacts on, 3 starts. */
void lfd_retarget_opts_init(lfd_retarget_opts *o);

/* What the retargeter needs to know about the person: the length of every
   edge of the map's tree and the pelvis height standing, in metres. */
typedef struct lfd_retarget_calib {
    double edge_m[LFD_CJ_COUNT];   /* human length to the mapped ancestor */
    double pelvis_height_m;        /* standing pelvis height above the floor */
    double floor_z_m;              /* the human's floor */
    double origin_xy[2];           /* pelvis at frame 0 (dropped from the output) */
    double seg_tilt[LFD_SEG_COUNT][4]; /* neutral tilt of each segment standing (removed) */
} lfd_retarget_calib;

typedef struct lfd_retargeter lfd_retargeter;

/* Measures a calibration from a whole clip for robot r's map. */
int lfd_retarget_calib_from_human(const lfd_robot *r, const lfd_human *h,
                                  lfd_retarget_calib *c, lfd_err *err);

/* A robot as the "person": its own edge lengths and standing pelvis height
   (zero pose), floor 0, origin 0.  With lfd_retarget_input_from_robot this
   retargets one robot's motion onto another (or onto itself: the
   self-retargeting test). */
int lfd_retarget_calib_from_robot(const lfd_robot *r, lfd_retarget_calib *c, lfd_err *err);

/* Builds the retargeter (IK problem, scales).  r must outlive it.  The
   caller frees *out with lfd_retargeter_free (which NULLs the pointer);
   *out is NULL on failure. */
int lfd_retargeter_new(lfd_retargeter **out, const lfd_robot *r, const lfd_retarget_calib *c,
                       const lfd_retarget_opts *opts, lfd_err *err);
void lfd_retargeter_free(lfd_retargeter **rt);
/* Scale factor of the map edge ending at canonical joint cj (0: unmapped),
   and the root scale. */
double lfd_retargeter_scale(const lfd_retargeter *rt, int cj);
double lfd_retargeter_root_scale(const lfd_retargeter *rt);

/* One frame of input: the 19 canonical positions (cj * 3), the 5 segment
   frames (lfd_human_seg layout: origin + quaternion, 7 each) and the foot
   contact flags (left, right); contact may be NULL (no pinning).  shift
   (3, may be NULL) moves every target but the planted feet by this much and
   makes the pelvis follow it closely: the whole-clip passes use it to give
   the IK a pelvis path the legs can reach. */
typedef struct lfd_retarget_input {
    const double *cpos;
    const double *seg;
    const uint8_t *contact;
    const double *shift;
    const double *roll; /* NULL, or 2: how far (0..1) each planted foot may roll onto its toe
                           or heel edge as the human's does (lfd_retarget_human: 1 near a
                           contact phase's ends, 0 in its middle); NULL: 1 */
} lfd_retarget_input;

/* Per-frame figures. */
typedef struct lfd_retarget_info {
    lfd_ik_result ik;
    int nmap;                       /* entries of pos_err_m / rot_err_rad in ik, map order */
    double foot_pos[2][3];          /* robot ankle points after IK */
    double foot_flat[2][3];         /* the ankle point of the same foot laid flat about the sole
                                       edge it stands on (a rolling foot's fixed point) */
    double lowest_sole_z_m;         /* lowest sole corner after IK */
    int pinned[2];
} lfd_retarget_info;

/* The canonical positions (cpos, 19 x 3) and segment frames (seg, 5 x 7)
   of robot r at qpos, read through its retarget map: mapped joints at their
   body points, segment frames = body orientation times the inverse map
   rotation, unmapped joints at their nearest mapped ancestor.  d is a
   caller-owned mjData of r's model (used as scratch). */
void lfd_retarget_input_from_robot(const lfd_robot *r, mjData *d, const double *qpos,
                                   double *cpos, double *seg);

typedef struct lfd_retarget_stream lfd_retarget_stream;

/* A stream of frames at fps through rt (which must outlive it): the
   per-clip state (previous poses, foot pins) and its IK workspaces.  The
   caller frees *out with lfd_retarget_stream_free (which NULLs the
   pointer); *out is NULL on failure.  Pushing frames allocates nothing. */
int lfd_retarget_stream_new(lfd_retarget_stream **out, const lfd_retargeter *rt, double fps,
                            lfd_err *err);
void lfd_retarget_stream_free(lfd_retarget_stream **s);
/* Restarts the stream (the next frame is solved as a first frame). */
void lfd_retarget_stream_reset(lfd_retarget_stream *s);
/* Retargets one frame into qpos (nq).  No allocation. */
int lfd_retarget_stream_push(lfd_retarget_stream *s, const lfd_retarget_input *in, double *qpos,
                             lfd_retarget_info *info, lfd_err *err);

/* Why a step of the dynamics filter ended as it did (lfd_retarget_report):
   kept, nothing left to correct, not closer to the support, or the cap on
   one of the written motion's figures it would have pushed past (value and
   limit say by how much), or not tried. */
typedef enum {
    LFD_RT_DYN_NONE = 0,   /* the filter did not get there */
    LFD_RT_DYN_KEPT,       /* kept (for the rounds: all of them were) */
    LFD_RT_DYN_DONE,       /* the ZMP was where it should be: nothing left to shift */
    LFD_RT_DYN_NO_CLOSER,  /* its ZMPs were no closer to their support */
    LFD_RT_DYN_SLIDE,      /* a planted foot would slide past the cap (m) */
    LFD_RT_DYN_ROOT_JUMP,  /* the root would jump past the cap (m) */
    LFD_RT_DYN_FLOOR,      /* a sole would go below the floor past the cap (m) */
    LFD_RT_DYN_LIFT,       /* a planted foot would leave the floor past the cap (m) */
    LFD_RT_DYN_HANDS,      /* the hands would leave their targets past the cap (m, mean) */
    LFD_RT_DYN_ACC,        /* joint acceleration p99 would pass the cap (rad/s^2) */
    LFD_RT_DYN_NOT_TRIED   /* skipped: the first round was refused */
} lfd_rt_dyn_why;

typedef struct lfd_retarget_dyn_stop {
    int round;            /* the 1-based round that ended the rounds (all kept: their
                             count); a last step's number (1, 2); 0: none */
    lfd_rt_dyn_why why;
    double value, limit;  /* for a cap: the figure the step would have given, and its cap */
} lfd_retarget_dyn_stop;

/* why in one word, as --json writes it: "kept", "slide", ... */
const char *lfd_rt_dyn_why_name(lfd_rt_dyn_why why);

/* What the torque step did (docs/retarget.md part 24) */
typedef struct lfd_retarget_torque_fig {
    int measured;                     /* 1: the torques were computed (some upper joint, 5 frames or more) */
    double ratio_before, ratio_after; /* the upper joints' largest torque over their limits */
    double change_max_rad;            /* the largest change of a joint angle */
    int windows;                      /* windows corrected (0: none was over) */
} lfd_retarget_torque_fig;

/* What the flight step did (docs/retarget.md part 26) */
typedef struct lfd_retarget_flight_fig {
    int phases, frames;          /* flights (no sole corner within 2 cm of the floor) and their frames */
    int phases_kept;             /* ... the phases whose correction was kept */
    double acc_err_before, acc_err_after; /* the flights' largest |CoM acceleration - gravity| (m/s^2) */
    double moment_before, moment_after;   /* ... their largest moment about the CoM (N m) */
    double shift_max_m, turn_max_rad;     /* the largest move and turn of the root */
} lfd_retarget_flight_fig;

/* Quality of a retargeted motion. */
typedef struct lfd_retarget_report {
    int frames;
    double fps;
    double solve_fps;                        /* the rate the passes solved at (fps, or a
                                                k-th of it: lfd_retarget_opts.solve_every_frame) */
    double seconds;                          /* wall time of the IK */
    double frames_per_s;
    int nmap;
    int map_cj[LFD_CJ_COUNT];                /* canonical joint of each map entry */
    char map_body[LFD_CJ_COUNT][LFD_NAME_MAX];
    double pos_err_mean_m[LFD_CJ_COUNT], pos_err_max_m[LFD_CJ_COUNT];
    double rot_err_mean_rad[LFD_CJ_COUNT], rot_err_max_rad[LFD_CJ_COUNT];
    int limit_hit_frames;                    /* frames with a joint at a range bound */
    int range_violations;                    /* samples outside a range (must be 0) */
    double peak_vel_ratio;                   /* max |qdot| / velocity limit over joints */
    char peak_vel_joint[LFD_NAME_MAX];
    int contact_phases;
    double foot_slide_max_m;                 /* worst drift of a foot within a contact phase */
    int swings;                              /* swings between contact phases (0.1 s or longer,
                                                outside the needs-support ranges) */
    int swings_low;                          /* ... whose foot passes under LFD_RETARGET_SWING_LOW_M */
    double swing_low_min_m;                  /* lowest sole corner over the middle halves of the swings */
    int arms_guard_frames;                   /* frames whose arms the last step took out of the body */
    double stance_roll_mean_rad;             /* planted soles' sideways tilt, outside needs-support */
    double stance_roll_max_rad;              /* ranges: mean and largest (0 without stance frames) */
    double floor_pen_max_m;                  /* deepest sole corner below z = 0 (>= 0) */
    double pin_lift_max_m;                   /* highest a planted foot's lowest sole corner is
                                                above z = 0 (>= 0): a stance foot off the floor
                                                carries nothing (lfd check loads corners within 2 cm) */
    double hand_err_mean_m, foot_err_mean_m; /* to the scaled human targets, unpinned */
    double scale_root;
    double root_jump_max_m;                  /* root's deviation from the midpoint of its neighbours */
    int root_jump_frame;
    double acc_p99_rad_s2, acc_max_rad_s2;   /* joint acceleration (second differences) */
    int smoothing_kept_off;                  /* 1: smoothing moved planted feet; output unsmoothed */
    double zmp_shift_max_m;                  /* largest horizontal correction of the dynamics filter */
    int zmp_filter_ran;                      /* 1: the dynamics filter ran (the default on a floating robot) */
    int zmp_rounds_kept;                     /* its rounds kept (of up to 3, each a rerun pass) */
    int zmp_direct_kept;                     /* its last, direct steps kept (of 2) */
    int zmp_left_frames;                     /* frames it left alone: they need support */
    lfd_retarget_dyn_stop zmp_rounds_stop;   /* why its rounds ended */
    lfd_retarget_dyn_stop zmp_direct_stop[2]; /* whether each last step was kept, or why not */
    lfd_retarget_torque_fig torque;          /* the torque step's (lfd_retarget_opts.torque_step) */
    lfd_retarget_flight_fig flight;          /* the flight step's (lfd_retarget_opts.flight_step) */
    /* frames of the person no foot support on the floor carries (seated,
       feet above the floor: lfd_support.h), in output frames; the same
       rule and words as `lfd check`'s needs_support finding */
    lfd_support support;
    /* root travel against the person's (lfd_retarget_root_travel): the
       robot root's horizontal path and the person's pelvis path scaled by
       the horizontal root scale, both over the clip; ratio = robot / person,
       judged only when the person travels LFD_RETARGET_TRAVEL_MIN_M or more
       and the root is not held (upper body) */
    double root_travel_m, human_travel_m, root_speed_ratio;
    int root_speed_judged;
} lfd_retarget_report;

/* Batch: retargets a whole human clip onto r into a new motion m (free with
   lfd_motion_free), fills rep, and writes the provenance: the human's
   record carried, identifying measurements dropped unless
   opts->keep_measurements, lineage, and the report under "retarget".
   No partial output on error. */
int lfd_retarget_human(const lfd_robot *r, const lfd_human *h, const lfd_retarget_opts *opts,
                       lfd_motion *m, lfd_retarget_report *rep, lfd_err *err);

/* Thresholds beyond which a retargeted motion is poor and the report warns
   (lfd's own choices, each with its reason):
     hands farther than 3 cm (mean) from their scaled targets: issue 15's
       figure for what manipulation data can still use;
     a joint at a range bound in more than 25 % of the frames: the motion
       asks for more than the robot's range, so the IK is pinned, not tracking;
     root jump over 5 mm in one frame: Unitree's published LAFAN1 retarget
       has 2.8-5.8 mm;
     joint acceleration p99 over 60 rad/s^2: the same reference has 36-51;
     planted-foot slide over 1 cm per contact phase, floor penetration over
       5 mm: issue 15's figures;
     root speed against the person's (the robot root's horizontal travel
       over the person's pelvis travel at the legs' scale) below 0.8 or
       above 1.25: the whole-clip passes make the root follow the scaled
       pelvis path, so on the shared clips the ratio is 0.98-1.12 on H1
       and G1 but for H1's bend-scoop-lift (0.67, a joint at a bound in
       87 % of its frames);
       a robot that covers a fifth less ground, or a quarter more, than the
       person did at its size is not doing the demonstration (a lagging or
       stuck root, feet pinned the legs cannot leave).  Judged only when the
       scaled person travels at least 0.5 m (standing clips: sway is not
       travel);
     planted soles tilted sideways by more than 0.1 rad on average: the far
       edge of an 8 cm sole is then 8 mm up and the foot stands on one
       edge, its support a line (H1, whose legs have no ankle roll, on a
       person's narrow step: 0.05-0.13 rad on the shared walks, G1 0.001-0.010;
       docs/retarget.md part 15). */
#define LFD_RETARGET_WARN_STANCE_ROLL_RAD 0.1
#define LFD_RETARGET_WARN_HAND_M 0.03
#define LFD_RETARGET_WARN_BOUND_SHARE 0.25
#define LFD_RETARGET_WARN_ROOT_JUMP_M 0.005
#define LFD_RETARGET_WARN_ACC_P99 60.0
#define LFD_RETARGET_WARN_SLIDE_M 0.01
#define LFD_RETARGET_WARN_FLOOR_M 0.005
/* the dynamics filter may not lift a planted foot's lowest sole corner further off
   the floor than this (or than it was): half the height at which lfd check stops
   letting a corner carry load */
#define LFD_RETARGET_PIN_LIFT_CAP_M 0.01
#define LFD_RETARGET_WARN_SPEED_LO 0.8
#define LFD_RETARGET_WARN_SPEED_HI 1.25
#define LFD_RETARGET_TRAVEL_MIN_M 0.5
#define LFD_RETARGET_TRAVEL_STEP_S 0.2 /* paths are sampled this far apart (jitter is not travel) */
#define LFD_RETARGET_WARN_MAX 8
#define LFD_RETARGET_WARN_LEN 160

/* Root travel against the person's: the horizontal path length of the
   robot root in m (floating base; qpos x, y) and of the person's pelvis in
   h over the same times, times s_xy (the retargeter's horizontal root
   scale: the legs' length ratio), both
   sampled every LFD_RETARGET_TRAVEL_STEP_S.  A reference pose in frame 0
   of h that was kept is skipped, as the retargeter does.  Fills the
   report's root_travel_m, human_travel_m, root_speed_ratio and
   root_speed_judged (0 for upper_body, a fixed base, or a person who
   travels less than LFD_RETARGET_TRAVEL_MIN_M).  No allocation. */
void lfd_retarget_root_travel(const lfd_human *h, const lfd_motion *m, double s_xy, int upper_body,
                              lfd_retarget_report *rep);

/* Fills out[0..n) with one line per figure of rep beyond its threshold
   (above) and returns n (0: nothing to warn about).  No allocation. */
int lfd_retarget_report_warnings(const lfd_retarget_report *rep,
                                 char out[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN]);

/* Writes the report as text (people) or JSON. */
void lfd_retarget_report_print(const lfd_retarget_report *rep, FILE *fp);
struct lfd_jw;
void lfd_retarget_report_json(const lfd_retarget_report *rep, struct lfd_jw *jw);

/* Zero-phase 2nd-order Butterworth low-pass (forward and backward) of n
   samples spaced stride doubles apart, in place; cutoff in Hz at rate fs.
   Ends are padded by reflection.  Leaves x as it is and returns LFD_OK when
   there is nothing to filter (n < 4, cutoff <= 0 or at/above fs/2);
   LFD_ENOMEM (x unchanged) when its scratch copy cannot be allocated. */
int lfd_filtfilt_lowpass(double *x, int n, size_t stride, double cutoff_hz, double fs,
                         lfd_err *err);

#endif
