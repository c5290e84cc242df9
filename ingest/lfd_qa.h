/*  lfd_qa: demonstration quality assurance.

    Before anything is trained on a demonstration, lfd_qa_human checks it
    and gives a verdict (pass / warn / reject), a score (0..100) and the
    reasons, each with the frame ranges where it happens.  Checks, all on
    the canonical joints in metres, Z-up (so BVH and keypoints are judged
    alike):
      nonfinite       NaN / inf values
      frozen          runs of frames where no joint moves at all
      teleport        joints moving faster than a human can
      jitter          high jerk energy (noise, popping joints)
      bone_drift      canonical bone lengths changing (keypoints only)
      joint_angle     knee hyperextension, hip, trunk and neck angles beyond
                      the human range of motion
      capture_area    the root leaving a plausible capture area, or flying
      floor           feet sinking below the floor
      foot_slide      a foot sliding while in contact with the floor
      duration        too short
      frame_rate      a rate too low to capture human motion, or a motion
                      implausibly fast throughout (wrong rate)
    and notes (severity info, no effect on the verdict): reference pose in
    frame 0 (excluded from the checks), assumed frame rate, floor offset.

    Every threshold is one row of lfd_qa_limits (lfd_qa.c), each with its
    source; docs/ingest.md carries the same table.  Frame numbers in reports
    are 0-based rows of the source (a dropped reference pose keeps the
    numbering of the file).
*/
#ifndef LFD_QA_H
#define LFD_QA_H

#include <stdio.h>

#include "core/lfd_err.h"
#include "core/lfd_json.h"
#include "ingest/lfd_human.h"

enum { LFD_QA_PASS = 0, LFD_QA_WARN = 1, LFD_QA_REJECT = 2 };
enum { LFD_QA_INFO = -1 }; /* a reason's severity: INFO, WARN or REJECT */

/* threshold ids: index into lfd_qa_limits */
typedef enum lfd_qa_limit_id {
    LFD_QAL_FROZEN_EPS_M,
    LFD_QAL_FROZEN_MIN_S,
    LFD_QAL_FROZEN_REJECT_FRAC,
    LFD_QAL_ROOT_SPEED_M_S,
    LFD_QAL_JOINT_SPEED_M_S,
    LFD_QAL_JERK_SCALE_S,
    LFD_QAL_JITTER_WARN_M_S3,
    LFD_QAL_JITTER_REJECT_M_S3,
    LFD_QAL_JITTER_WINDOW_S,
    LFD_QAL_BONE_MIN_M,
    LFD_QAL_BONE_DRIFT_WARN,
    LFD_QAL_BONE_DRIFT_REJECT,
    LFD_QAL_BONE_DRIFT_REJECT_FRAC,
    LFD_QAL_KNEE_HYPEREXT_DEG,
    LFD_QAL_HIP_FLEX_DEG,
    LFD_QAL_HIP_EXT_DEG,
    LFD_QAL_HIP_ABD_DEG,
    LFD_QAL_TRUNK_FLEX_DEG,
    LFD_QAL_NECK_DEG,
    LFD_QAL_ANGLE_REJECT_FRAC,
    LFD_QAL_AREA_WARN_M,
    LFD_QAL_AREA_REJECT_M,
    LFD_QAL_ROOT_HEIGHT_MAX_M,
    LFD_QAL_ROOT_BELOW_FLOOR_M,
    LFD_QAL_FLOOR_WARN_M,
    LFD_QAL_FLOOR_REJECT_M,
    LFD_QAL_FLOOR_OFFSET_M,
    LFD_QAL_CONTACT_HEIGHT_M,
    LFD_QAL_CONTACT_SPEED_M_S,
    LFD_QAL_CONTACT_MIN_S,
    LFD_QAL_SLIDE_WARN_M,
    LFD_QAL_SLIDE_REJECT_M,
    LFD_QAL_MIN_DURATION_WARN_S,
    LFD_QAL_MIN_DURATION_REJECT_S,
    LFD_QAL_FPS_WARN_HZ,
    LFD_QAL_FPS_REJECT_HZ,
    LFD_QAL_FPS_MAX_HZ,
    LFD_QAL_RATE_ROOT_SPEED_M_S,
    LFD_QAL_COUNT
} lfd_qa_limit_id;

typedef struct lfd_qa_limit {
    const char *key;     /* e.g. "root_speed_m_s" */
    double value;
    const char *meaning;
    const char *source;
} lfd_qa_limit;

extern const lfd_qa_limit lfd_qa_limits[LFD_QAL_COUNT];

#define LFD_QA_MAX_REASONS 24
#define LFD_QA_MAX_RANGES 8

typedef struct lfd_qa_reason {
    char check[24];       /* "teleport", ... */
    int severity;         /* LFD_QA_INFO, LFD_QA_WARN or LFD_QA_REJECT */
    int frames;           /* frames affected */
    int nranges;          /* first LFD_QA_MAX_RANGES ranges */
    int more_ranges;      /* ranges not listed */
    int range[LFD_QA_MAX_RANGES][2]; /* inclusive, source frame numbers */
    double value;         /* the worst measured value */
    double limit;         /* the threshold it crossed */
    char msg[256];
} lfd_qa_reason;

typedef struct lfd_qa_report {
    char path[512];
    int verdict;          /* LFD_QA_PASS / WARN / REJECT */
    double score;         /* 0..100 */
    int loaded;           /* 0: the file could not be read (see reason "load") */
    char rig[128];
    int nframes;
    double fps;
    double duration_s;
    /* headline figures */
    double height_m;
    double max_root_speed_m_s;
    double max_joint_speed_m_s;
    double jitter_m_s3;   /* RMS of the whole-body jerk */
    double max_bone_drift;
    double foot_slide_m;  /* worst skid in one flat-foot run */
    int nreasons;
    lfd_qa_reason reason[LFD_QA_MAX_REASONS];
} lfd_qa_report;

/* Checks a loaded human.  Always fills r; fails only on bad arguments or
   memory. */
int lfd_qa_human(const lfd_human *h, lfd_qa_report *r, lfd_err *err);
/* Loads path (lfd_human_load with opts) and checks it.  A file that cannot
   be read becomes a "reject" report with reason "load" (the error, with its
   file:line), so batch QA goes on; the function itself then returns LFD_OK. */
int lfd_qa_file(const char *path, const lfd_human_opts *opts, lfd_qa_report *r, lfd_err *err);

const char *lfd_qa_verdict_name(int verdict);   /* "pass" / "warn" / "reject" */
const char *lfd_qa_severity_name(int severity); /* "info" / "warn" / "reject" */

/* Text and JSON renderings of a report. */
void lfd_qa_print_text(const lfd_qa_report *r, FILE *fp);
void lfd_qa_report_json(const lfd_qa_report *r, lfd_jw *jw);

#endif
