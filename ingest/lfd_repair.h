/*  lfd_repair: repairs for the failures of video pose estimators.

    lfd_qa's video detectors (lfd_qa_video.c) find left/right swaps, depth
    flips, dropouts, a tilted floor and irregular timestamps, and record
    what would fix each in an lfd_repair_plan.  lfd_repair_apply carries the
    plan out on a copy of the keypoints, in the file's own units and axes:

      lr_swap     the swapped chains' joints (arms, legs, or every left/right
                  pair) are exchanged back over the frames found;
      depth_flip  the flipped limb (or body) is reflected back through the
                  plane of its root joint (shoulder, hip or pelvis);
      dropout     gaps of missing or low-confidence joints up to
                  LFD_REPAIR_MAX_GAP_S long, with valid frames on both sides,
                  are filled with a cubic Hermite curve (end velocities
                  measured outside the gap) through the joint's offset from
                  its parent in world axes, or that offset in a frame carried
                  by the parent's own bone, or the joint's own path, or the
                  mean of the first two: whichever does best on gaps of the
                  same length cut out nearby where the joint is known; the
                  joint keeps a length from its parent between the bone's
                  lengths at the two ends (so bones do not stretch); longer
                  gaps, and gaps at the start or end, stay (a rejection);
      floor_tilt  every frame is rotated about the floor's centre so the
                  floor plane found under the feet is level;
      timestamp_irregular
                  the frames are resampled to a constant rate (1 / median
                  step) with cubic Hermite interpolation over the given
                  times, if no step is longer than LFD_REPAIR_MAX_GAP_S.
    Nothing is extrapolated and no data is made up beyond these limits.
    Frames that need no repair keep their source values exactly.

    lfd_repair_write writes the result as .npy (the input's dtype) or
    .csv, with a sidecar `<out>.json` (joints, parents, fps, units, up) and
    provenance `<out>.prov.json`: the input's provenance plus "qa_repair"
    (tool, source file and sha256, and every repair with its frame ranges).
*/
#ifndef LFD_REPAIR_H
#define LFD_REPAIR_H

#include "core/lfd_err.h"
#include "core/lfd_prov.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_keypoints.h"
#include "ingest/lfd_qa.h"

#define LFD_REPAIR_MAX_GAP_S 0.5   /* longest gap filled (and longest time step resampled) */
#define LFD_REPAIR_CONF_MIN 0.5    /* a joint with lower confidence is missing */
#define LFD_REPAIR_MAX_OPS 4096

/* units of the swap / flip detector */
enum {
    LFD_RU_SWAP_ARMS,
    LFD_RU_SWAP_LEGS,
    LFD_RU_SWAP_BODY,       /* every left/right pair (arms and legs swapped together) */
    LFD_RU_FLIP_L_ARM,
    LFD_RU_FLIP_R_ARM,
    LFD_RU_FLIP_L_LEG,
    LFD_RU_FLIP_R_LEG,
    LFD_RU_FLIP_BODY,
    LFD_RU_COUNT
};

typedef struct lfd_repair_op {
    int kind;               /* lfd_qa_kind */
    int unit;               /* swap/flip: LFD_RU_*; dropout: the source joint */
    int axis;               /* depth_flip: world axis 0 (x) or 1 (y) the flip is along */
    int f0, f1;             /* frames (0-based rows of the data), inclusive */
    double rot[9];          /* floor_tilt: rotation (row-major, lfd world) */
    double center[3];       /* floor_tilt: the point it turns about */
    double fps;             /* timestamp_irregular: the constant rate resampled to */
} lfd_repair_op;

typedef struct lfd_repair_plan {
    int nops;
    lfd_repair_op op[LFD_REPAIR_MAX_OPS];
    int more;               /* ops that did not fit (then nothing is repaired) */
} lfd_repair_plan;

/* Runs the video detectors (lfd_qa_video.c) on h from frame f0, adding their
   reasons to r and, when plan is non-NULL, the repairs to plan; kp may be
   NULL (no confidences or times).  *ambiguous (may be NULL) becomes 1 when a
   swap or flip could not be resolved (about half the frames each way).
   Returns LFD_OK, or LFD_ENOMEM when a detector's scratch could not be
   allocated (r then lacks that detector's reasons: do not use it).  Called
   by lfd_qa_human_kp. */
int lfd_qa_video_detect(const lfd_human *h, const lfd_keypoints *kp, int f0, lfd_qa_report *r,
                        lfd_repair_plan *plan, int *ambiguous, lfd_err *err);

/* Name of a swap / flip unit ("arms", "left arm", ...). */
const char *lfd_repair_unit_name(int unit);

/* Adds an op; returns LFD_OK or LFD_ELIMIT when the plan is full. */
int lfd_repair_plan_add(lfd_repair_plan *plan, const lfd_repair_op *op);

/* Marks the joints kp gives a confidence below LFD_REPAIR_CONF_MIN as
   missing (NaN) in h, so every check sees them as dropouts rather than as
   positions, and re-analyses h.  No-op without confidences. */
int lfd_repair_mask_conf(lfd_human *h, const lfd_keypoints *kp, lfd_err *err);

/* Carries out plan on kp (read from the file h was built from): out gets a
   new keypoint set (caller frees with lfd_kp_free), r gets the list of
   repairs.  Returns the number of repairs made (0: out is a plain copy), or
   a negative status. */
int lfd_repair_apply(const lfd_keypoints *kp, const lfd_human *h, const lfd_repair_plan *plan,
                     lfd_keypoints *out, lfd_qa_report *r, lfd_err *err);

/* Writes kp to path (.npy, .csv) with its sidecar and provenance (prov may
   be NULL); descr is the .npy dtype ("<f8" when NULL).  source_path and the
   repairs in r go into provenance key "qa_repair" (no provenance file when
   both prov and r are NULL).  All files are written atomically. */
int lfd_repair_write(const char *path, const lfd_keypoints *kp, const char *descr, const lfd_prov *prov,
                     const char *source_path, const lfd_qa_report *r, lfd_err *err);

/* Writes only the provenance `<path>.prov.json` (prov plus "qa_repair"
   listing r's repairs, which may be none). */
int lfd_repair_write_prov(const char *path, const lfd_prov *prov, const char *source_path, const lfd_qa_report *r,
                          lfd_err *err);

#endif
