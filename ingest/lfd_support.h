/*  lfd_support: frames that no foot support on the floor can carry.

    Retargeting and `lfd check` both ask "is this a motion the feet alone can
    hold up on a flat floor?".  Some recordings are not: the person sits on a
    stool, stands or climbs on a box, leans on a table.  Those frames are
    reported as "needs support" with frame ranges, in the same words by the
    retarget report and by `lfd check`, instead of being bent into something
    else or counted as a retargeting failure.

    The rule works on three per-frame series, all in units of the body's
    standing pelvis height H (so a person and a robot scaled from it give the
    same answer):
      pel    pelvis height above the floor / H (about 1 standing),
      foot   height of the lowest foot point (ankles, toes) above the floor / H,
      off    horizontal distance of the upper body's centre (the middle of
             pelvis and head) from the middle of the feet (ankles and toes) / H,
      knee   knee flexion, rad (the mean of both: pi - angle hip-knee-ankle).
    A frame is
      "seated"  when pel < LFD_SUPPORT_SEAT_PEL, off > LFD_SUPPORT_SEAT_OFF and
                knee > LFD_SUPPORT_SEAT_KNEE_RAD (hips low and behind the feet
                with the knees bent: the weight is on a seat; a body leaning
                back stiffly is not seated, it is a balance failure),
      "raised"  when foot > LFD_SUPPORT_RAISED_FOOT (both feet held above the
                floor: standing on a box, climbing, feet on a stool's rung),
    and a run of such frames becomes a range when it lasts at least
    LFD_SUPPORT_MIN_S (a jump's flight or a squat's low point is shorter);
    runs closer than LFD_SUPPORT_GAP_S are merged.  docs/retarget.md gives
    the measurements on real clips behind these numbers.
*/
#ifndef LFD_SUPPORT_H
#define LFD_SUPPORT_H

#include <mujoco/mujoco.h>

#include "core/lfd_motion.h"
#include "ingest/lfd_human.h"
#include "robots/lfd_robot.h"

#define LFD_SUPPORT_SEAT_PEL 0.84
#define LFD_SUPPORT_SEAT_OFF 0.18
#define LFD_SUPPORT_SEAT_KNEE_RAD 1.0
#define LFD_SUPPORT_RAISED_FOOT 0.10
#define LFD_SUPPORT_MIN_S 1.0
#define LFD_SUPPORT_GAP_S 0.5
#define LFD_SUPPORT_MAX_RANGES 16

enum { LFD_SUPPORT_SEATED = 1, LFD_SUPPORT_RAISED = 2 };

typedef struct lfd_support_range {
    int first, last; /* frames, inclusive */
    int why;         /* bits: LFD_SUPPORT_SEATED | LFD_SUPPORT_RAISED */
} lfd_support_range;

typedef struct lfd_support {
    int nranges;     /* ranges kept (at most LFD_SUPPORT_MAX_RANGES) */
    int frames;      /* frames in all ranges, kept or not */
    lfd_support_range r[LFD_SUPPORT_MAX_RANGES];
} lfd_support;

/* The reason of a range as words: "seated", "feet above the floor" or
   "seated, feet above the floor".  Static string. */
const char *lfd_support_why(int why);

/* Classifies n frames at fps from the four series (see above; stride in
   doubles between frames) into out.  No allocation. */
void lfd_support_classify(const double *pel, const double *foot, const double *off,
                          const double *knee, size_t stride, int n, double fps, lfd_support *out);

/* The same from a human clip.  stand_pelvis_m is H (the retargeter passes
   its calibration's standing pelvis height, the height it scales to the
   robot's, so the retarget report and `lfd check` on the robot see the
   same ratios); <= 0: the leg length (hip-knee-ankle) plus an average
   ankle height.  Returns LFD_ENOMEM when scratch cannot be allocated. */
int lfd_support_from_human(const lfd_human *h, double stand_pelvis_m, lfd_support *out,
                           lfd_err *err);

/* The same on a robot motion mo of robot r (kinematics of model m, which
   may be a copy of r->m, in the caller's scratch data d): H = the pelvis
   map point over the lowest sole corner at qpos0 (the height the
   retargeter scales the person's standing pelvis height to), the feet =
   the sole corners (height) and the ankle and toe map points (middle),
   the upper body = the pelvis and head map points.  Leaves out empty for
   a fixed-base robot or one without feet or a pelvis map entry.  Used by
   the retarget report (on the written motion) and by `lfd check`, so both
   give the same ranges.  Allocates 3 doubles per frame. */
int lfd_support_from_robot(const lfd_robot *r, const mjModel *m, mjData *d,
                           const lfd_motion *mo, lfd_support *out, lfd_err *err);

/* Writes "needs_support_frames" and the "needs_support" ranges (first,
   last, why) as two keys of the JSON object jw is inside: the retarget
   report and lfd check's report share them. */
struct lfd_jw;
void lfd_support_json(const lfd_support *s, struct lfd_jw *jw);

#endif
