/*  lfd_human: one human-motion representation for BVH and keypoints.

    Whatever the source (a BVH from any rig, a keypoint CSV or .npy, the
    procedural generator), ingest ends in an lfd_human: world positions of
    every source joint per frame in metres, in lfd's world frame (Z up, like
    MuJoCo), plus what retargeting and QA need, measured from the data:

      - the source skeleton (names, parents; BVH rest offsets in metres),
      - world orientations where the source has them (BVH; NULL for
        keypoints, whose orientations come from the segment frames),
      - the 19 canonical joints (lfd_skeleton.h) as indices into the joints,
        with "virtual" joints appended where a rig has no such joint
        (e.g. MediaPipe's pelvis = mid-point of the hips),
      - units and up-axis (detected, or forced with options),
      - canonical bone lengths, leg length and body height (medians over
        frames, so noise and a bad frame do not move them),
      - whether source frame 0 is a reference pose (CMU conversions),
      - the floor height, foot contacts and, per frame, five segment frames
        (pelvis, chest, head, left foot, right foot) built from positions
        only, so BVH and keypoints give the same frames whatever the rig's
        rest pose.

    Axes.  A Y-up source is rotated with (x, y, z) -> (z, x, y): BVH's
    forward +Z becomes lfd's +X, its +X (the character's left when it faces
    +Z) becomes +Y, its up +Y becomes +Z.  Z-up sources are kept; "-y" and
    "-z" (y or z pointing down, e.g. image-aligned keypoints) are turned by
    half a turn first.  World orientations are conjugated the same way
    (q_lfd = qA q_src qA*), so a joint at its rest rotation stays identity.

    Segment frames (x forward, y left, z up for a person standing neutrally):
      pelvis  origin pelvis; y = unit(l_hip - r_hip); x = unit(y x (spine -
              pelvis)); z = x x y
      chest   origin chest; y = unit(l_shoulder - r_shoulder); x = unit(y x
              (neck - spine)); z = x x y
      head    origin head; z = unit(head - neck); y = the chest's y made
              orthogonal to z; x = y x z  (rigs rarely carry head yaw, so the
              head takes the chest's yaw)
      foot    origin ankle; f = toe - ankle; y = unit((knee - ankle) x f), or
              unit(l_hip - r_hip) when the shank and foot are within 30 deg of
              a straight line (pointed toes: no reliable plane);
              x0 = unit(f); z0 = x0 x y; then the frame is pitched up about y
              by foot_pitch_rad (the median angle of f below horizontal while
              that foot is in contact), so a flat foot in stance has x
              forward and level, z up.
    Each is stored as origin (3) + quaternion w x y z (4).

    Memory: every array is allocated once at load; nothing is allocated per
    frame.  The human owns its provenance (loaded from `<file>.prov.json` or
    an explicit path), carried untouched to whatever is made from it.
*/
#ifndef LFD_HUMAN_H
#define LFD_HUMAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_util.h"
#include "core/lfd_err.h"
#include "core/lfd_prov.h"
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_keypoints.h"
#include "ingest/lfd_skeleton.h"

#define LFD_HUMAN_NAME_MAX LFD_NAME_MAX
#define LFD_HUMAN_MAX_WARN 12
#define LFD_HUMAN_MAX_ELEMS ((size_t)1 << 24) /* frames x joints */

enum { LFD_HUMAN_SRC_BVH = 1, LFD_HUMAN_SRC_KEYPOINTS = 2 };
enum { LFD_REFPOSE_KEEP = 0, LFD_REFPOSE_DROP = 1 };

typedef enum lfd_segment {
    LFD_SEG_PELVIS,
    LFD_SEG_CHEST,
    LFD_SEG_HEAD,
    LFD_SEG_L_FOOT,
    LFD_SEG_R_FOOT,
    LFD_SEG_COUNT
} lfd_segment;

const char *lfd_segment_name(int s);

typedef struct lfd_human_opts {
    const char *units;      /* m|cm|mm|inch|asf: wins over a sidecar's and a preset's; NULL or
                               "auto": a keypoint sidecar's units, else a preset's (then
                               units_assumed), else detected from the implied stature */
    const char *up;         /* y|z|-y|-z: wins as units does; NULL or "auto": a sidecar's or
                               preset's, else detected */
    double fps;             /* > 0: the rate of a source that states none (a keypoint file
                               without sidecar fps or time column); a BVH's Frame Time, a
                               sidecar's fps or a time column win (fps_note says which) */
    const char *preset;     /* keypoints: smpl-22|smpl-24|mediapipe-33|holosoma-53 */
    const char *sidecar;    /* keypoints: sidecar JSON (else <file>.json if present) */
    const char *map;        /* canonical mapping file (lfd_skeleton.h), may be NULL */
    const char *prov;       /* provenance JSON (else <file>.prov.json if present) */
    int ref_pose;           /* LFD_REFPOSE_KEEP (default) or LFD_REFPOSE_DROP */
} lfd_human_opts;

typedef struct lfd_human {
    /* source */
    char path[512];
    int source;                          /* LFD_HUMAN_SRC_* */
    char format[8];                      /* "bvh", "npy", "csv" */
    char rig[128];                       /* detected rig, e.g. "Mixamo" */
    char sha256[65];                     /* of the source file, "" when in memory */
    /* timing */
    double fps;
    int fps_assumed;                     /* 1: the rate is a preset's default, not stated */
    char fps_assumed_why[48];
    char fps_note[128];                  /* what a given rate (opts->fps) did, "" when none was given */
    int nframes;
    int first_frame;                     /* source index of frame 0 (1 after dropping a reference pose) */
    /* skeleton: source joints (BVH: joints and End Sites), then virtual joints */
    int njoints;
    int nsource;
    char (*names)[LFD_HUMAN_NAME_MAX];
    int *parent;                         /* -1 for roots, virtual joints and unknown */
    double *offset_m;                    /* njoints * 3 rest offsets (BVH), lfd axes; NULL for keypoints */
    double *pos;                         /* nframes * njoints * 3, metres, lfd world (Z up) */
    double *quat;                        /* nframes * njoints * 4 (w x y z) or NULL (keypoints) */
    lfd_skel_map map;                    /* placement in source joints */
    int canon[LFD_CJ_COUNT];             /* joint index of each canonical joint */
    /* units and axes */
    char units[8];                       /* m|cm|mm|inch|asf */
    int units_detected;                  /* 1: detected, 0: given (option, sidecar, preset) */
    int units_assumed;                   /* 1: not stated anywhere: a preset's default */
    int up_assumed;                      /* 1: the up-axis is a preset's default */
    char assumed_why[48];                /* e.g. "preset holosoma-53 default" */
    double unit_m;                       /* metres per source unit */
    char up[4];                          /* y|z|-y|-z */
    int up_detected;
    double axes[9];                      /* row-major R: p_lfd = unit_m * R * p_source */
    /* measured from the data */
    double bone_m[LFD_CJ_COUNT];         /* median distance to the canonical parent (pelvis: 0) */
    double leg_m;                        /* mean of the left and right hip-knee-ankle chains */
    double height_m;                     /* body height: leg_m / 0.491 (see lfd_human.c) */
    double floor_z_m;                    /* the lowest level the lowest foot joint rests at (see lfd_human.c) */
    double foot_pitch_rad[2];            /* left, right (see segment frames) */
    int ref_pose;                        /* 1: source frame 0 is a reference pose */
    int ref_dropped;                     /* 1: and it was dropped */
    double ref_jump_m;                   /* frame 0 -> 1 largest joint jump (evidence) */
    int nonfinite;                       /* NaN/inf values in the source */
    /* derived per frame */
    double *seg;                         /* nframes * LFD_SEG_COUNT * 7: origin xyz, quat wxyz */
    uint8_t *contact;                    /* nframes * 2: left, right foot in contact */
    /* notes (also logged as warnings) */
    int nwarn;
    char warn[LFD_HUMAN_MAX_WARN][256];
    lfd_prov prov;
} lfd_human;

/* Loads a BVH, .npy or .csv (by extension) into the caller's h, which then
   owns its arrays and provenance (free with lfd_human_free).  opts may be
   NULL.  On failure h is left empty (safe to lfd_human_free). */
int lfd_human_load(lfd_human *h, const char *path, const lfd_human_opts *opts, lfd_err *err);
/* Builds h from a parsed BVH (b is not modified; h copies what it needs).
   Ownership as lfd_human_load: h owns its arrays (lfd_human_free). */
int lfd_human_from_bvh(lfd_human *h, const lfd_bvh *b, const lfd_human_opts *opts, lfd_err *err);
/* Builds h from keypoints (copied): the same ownership. */
int lfd_human_from_keypoints(lfd_human *h, const lfd_keypoints *kp, const lfd_human_opts *opts,
                             lfd_err *err);
/* Recomputes everything measured and derived (bone lengths, height, floor,
   contacts, foot pitch, segment frames) from h->pos, e.g. after a caller
   edited positions.  Virtual joints are recomputed from their sources. */
int lfd_human_analyze(lfd_human *h, lfd_err *err);
/* Frees h's arrays and provenance and zeroes it. */
void lfd_human_free(lfd_human *h);

/* Position of joint j in frame f. */
static inline double *lfd_human_pos(const lfd_human *h, int f, int j)
{
    return h->pos + ((size_t)f * (size_t)h->njoints + (size_t)j) * 3;
}
/* Position of canonical joint cj in frame f. */
static inline double *lfd_human_cpos(const lfd_human *h, int f, int cj)
{
    return lfd_human_pos(h, f, h->canon[cj]);
}
/* 1 if every canonical joint of frame f has finite coordinates (no NaN or
   infinity: a tracker lost none of them), else 0. */
int lfd_human_frame_finite(const lfd_human *h, int f);
/* Segment s of frame f: origin (3 doubles) then quaternion w x y z (4). */
static inline double *lfd_human_seg(const lfd_human *h, int f, int s)
{
    return h->seg + ((size_t)f * LFD_SEG_COUNT + (size_t)s) * 7;
}

/* Segment frames of one pose from its 19 canonical positions (cpos[cj*3]);
   foot_pitch_rad may be NULL (no pitch correction).  Writes seg[s*7].  Pure,
   allocation-free; the retargeter can call it on any pose. */
void lfd_seg_frames(const double *cpos, const double foot_pitch_rad[2], double *seg);

/* Metres per unit for "m", "cm", "mm", "inch", "asf" (CMU ASF length unit =
   1/0.45 inch); 0 for an unknown name. */
double lfd_units_m(const char *units);

/* Foot-contact detection, shared with the retargeter.  A foot is in contact
   in a frame when its ankle, its toe or its heel is both low (within
   height_m of that point's own stance height: the median of the lowest 2 cm
   band holding at least 5% of its heights over the clip) and slow (speed
   under speed_m_s, central differences); runs shorter than min_s are
   dropped and gaps shorter than min_s are filled.  The heel is placed from
   the ankle and toe (docs/ingest.md): level with the toe's rest height and
   behind the ankle when flat, turning with the foot's pitch. */
typedef struct lfd_contact_params {
    double height_m;
    double speed_m_s;
    double min_s;
} lfd_contact_params;

extern const lfd_contact_params lfd_contact_defaults;

/* ankle and toe point at frame 0's xyz of each joint, successive frames
   stride doubles apart; writes out[f * out_stride] = 0/1 for nframes frames.
   Returns the number of contact frames, or a negative status when scratch
   memory cannot be allocated. */
int lfd_foot_contacts(const double *ankle, const double *toe, size_t stride, int nframes,
                      double fps, const lfd_contact_params *p, uint8_t *out, size_t out_stride);

#endif
