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

    Failures typical of video pose estimators have their own detectors
    (lfd_qa_video.c), each naming the frames and whether lfd can repair it
    (lfd_repair.h): lr_swap, depth_flip, dropout (missing or low-confidence
    joints; replaces "nonfinite" for keypoint files), bone_breathing,
    floor_tilt, timestamp_irregular.  These names are stable: lfd batch
    counts reports by them (lfd_qa_kind_name).

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
#define LFD_QA_MAX_REPAIRS 24

/* The failure kinds of video keypoints, by stable name (a reason's check
   and a repair's kind use these strings). */
typedef enum lfd_qa_kind {
    LFD_QK_LR_SWAP,
    LFD_QK_DEPTH_FLIP,
    LFD_QK_DROPOUT,
    LFD_QK_BONE_BREATHING,
    LFD_QK_FLOOR_TILT,
    LFD_QK_TIMESTAMP_IRREGULAR,
    LFD_QK_COUNT
} lfd_qa_kind;

/* "lr_swap", "depth_flip", "dropout", "bone_breathing", "floor_tilt",
   "timestamp_irregular"; "?" out of range. */
const char *lfd_qa_kind_name(int kind);

typedef struct lfd_qa_reason {
    char check[24];       /* "teleport", ... */
    int severity;         /* LFD_QA_INFO, LFD_QA_WARN or LFD_QA_REJECT */
    int frames;           /* frames affected */
    int nranges;          /* first LFD_QA_MAX_RANGES ranges */
    int more_ranges;      /* ranges not listed */
    int range[LFD_QA_MAX_RANGES][2]; /* inclusive, source frame numbers */
    double value;         /* the worst measured value */
    double limit;         /* the threshold it crossed */
    int repairable;       /* 1: lfd qa --repair can fix it (video kinds only) */
    char msg[512];
} lfd_qa_reason;

/* One repair made by lfd qa --repair (also written to the output's
   provenance under "qa_repair"). */
typedef struct lfd_qa_repair {
    char kind[24];        /* an lfd_qa_kind name */
    char what[96];        /* "legs", "left_wrist", "rotated 6.0 deg", ... */
    int frames;
    int nranges, more_ranges;
    int range[LFD_QA_MAX_RANGES][2];
} lfd_qa_repair;

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
    /* what a rate option did for this file (issue: a file's own rate wins) */
    char rate_note[160];
    /* lfd qa --repair: what was repaired and where the result went */
    int repaired;         /* 1: a repaired file was written; 0: none needed or possible */
    char repaired_to[512];
    int nrepairs;
    lfd_qa_repair repair[LFD_QA_MAX_REPAIRS];
} lfd_qa_report;

/* Checks a loaded human.  Always fills r; fails only on bad arguments or
   memory. */
int lfd_qa_human(const lfd_human *h, lfd_qa_report *r, lfd_err *err);
struct lfd_repair_plan;
/* Checks a loaded human with its keypoint file (per-joint confidence and
   per-frame times; kp may be NULL) and, when plan is non-NULL, records the
   repairs that would fix what was found (lfd_repair.h). */
int lfd_qa_human_kp(const lfd_human *h, const lfd_keypoints *kp, lfd_qa_report *r,
                    struct lfd_repair_plan *plan, lfd_err *err);

/* For the detectors in other files: add a reason (NULL past the cap is
   never returned: a spill slot is), and set its frame ranges from flags
   flag[f0..n) (frame numbers shifted by offset). */
lfd_qa_reason *lfd_qa_add_reason(lfd_qa_report *r, const char *check, int sev, double value, double limit,
                                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void lfd_qa_set_ranges(lfd_qa_reason *rs, const unsigned char *flag, int f0, int n, int offset);
/* The next run of set flags in flag[f..n): returns its first frame (n when
   there is none) and puts one past its last in *end.  Walks every run:
       for (int f = f0, g; (f = lfd_qa_next_run(flag, f, n, &g)) < n; f = g) */
int lfd_qa_next_run(const unsigned char *flag, int f, int n, int *end);

/* Loads path (lfd_human_load with opts) and checks it.  A file that cannot
   be read becomes a "reject" report with reason "load" (the error, with its
   file:line), so batch QA goes on; the function itself then returns LFD_OK. */
int lfd_qa_file(const char *path, const lfd_human_opts *opts, lfd_qa_report *r, lfd_err *err);
/* As lfd_qa_file, then repairs what can be repaired and writes the result
   to out_path (a keypoint file: .npy, .csv; see lfd_repair.h), with a
   sidecar and provenance.  r is the report on the repaired data plus the
   list of repairs; a clean keypoint file is copied byte for byte.  A BVH
   or an unreadable file is reported and nothing is written. */
int lfd_qa_file_repair(const char *path, const lfd_human_opts *opts, const char *out_path, lfd_qa_report *r,
                       lfd_err *err);

const char *lfd_qa_verdict_name(int verdict);   /* "pass" / "warn" / "reject" */
const char *lfd_qa_severity_name(int severity); /* "info" / "warn" / "reject" */

/* Text and JSON renderings of a report. */
void lfd_qa_print_text(const lfd_qa_report *r, FILE *fp);
void lfd_qa_report_json(const lfd_qa_report *r, lfd_jw *jw);

#endif
