/*  lfd_keypoints: 3D keypoint sequences (per-frame joint positions) from
    pose estimators and datasets, as CSV or NumPy .npy.

    A keypoint sequence is T frames of J joint positions (x, y, z) in the
    source's own units and axes; lfd_human turns it into metres, Z-up.  Joint
    names, frame rate, units and up-axis come from, in order of precedence:
      1. options (lfd_kp_opts: fps, preset, sidecar path),
      2. a sidecar JSON next to the file, `<file>.json` (e.g. walk.npy.json),
         or the path given in opts->sidecar:
            {"joints": ["pelvis", ...], "parents": [-1, 0, ...],
             "fps": 30, "units": "m", "up": "y", "preset": "smpl-22"}
         (every key optional; keys starting with "_" are comments),
      3. the CSV header (joint names),
      4. a preset (below), given by name or, for a .npy without names,
         chosen by joint count with a warning.
    A rate that none of these gives is an error (no silent default).

    CSV layouts (a header row, then rows):
      wide: one row per frame.  An optional time column first: `time`, `t`,
        `time_s`, `timestamp` (seconds) or `time_ms`, or an index column
        `frame` (ignored); then per joint `<joint>_x,<joint>_y,<joint>_z`
        (also `<joint>.x` ...), in x, y, z order, each optionally followed
        by a confidence column `<joint>_visibility` (or `_presence`,
        `_confidence`, `_conf`, `_score`; MediaPipe writes visibility and
        presence: the lower counts).
      long: one row per frame and landmark (as MediaPipe exports are often
        written): columns `frame` and/or `time`, `landmark` (or `joint`,
        `id`, `name`), `x`, `y`, `z`, optional `visibility` / `presence`.
      Joint names that are only indices (`0`, `landmark_12`) name nothing: a
      preset (by joint count or --preset) names them.  Times must increase
      strictly (an error names the line and column); the rate is
      1 / median step, and lfd qa reports irregular steps.
    The delimiter is ',' (or ';' / tab if the header has no comma).  An
    empty cell or `nan` is a missing value (kept as NaN; QA reports it).

    JSON lines (.jsonl, .ndjson): one object per frame,
      {"t": 0.033, "joints": {"nose": [x, y, z, conf], "left_eye": ...}}
    (see lfd_kp_read_jsonl).

    .npy: format versions 1.0, 2.0, 3.0; dtypes <f4 <f8 >f4 >f8; C or
    Fortran order (both read correctly); shape (T, J, 3).

    Presets (names and order as published by each source):
      smpl-22, smpl-24   SMPL body joints (HumanML3D uses the first 22)
      mediapipe-33       MediaPipe Pose world landmarks (metres, y down)
      coco-17            COCO keypoints lifted to 3D (e.g. VideoPose3D-style lifts)
      halpe-26           Halpe full-body 26 keypoints (AlphaPose) lifted to 3D
      holosoma-53        amazon-far/holosoma MOCAP_DEMO_JOINTS (metres,
                         Z-up); its frame rate is not published: lfd assumes
                         120 Hz (see docs/ingest.md for the evidence)
*/
#ifndef LFD_KEYPOINTS_H
#define LFD_KEYPOINTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_util.h"
#include "core/lfd_err.h"

#define LFD_KP_NAME_MAX LFD_NAME_MAX
#define LFD_KP_MAX_JOINTS 1024
#define LFD_KP_MAX_FRAMES 4000000
#define LFD_KP_MAX_VALUES ((size_t)1 << 27)
#define LFD_KP_MAX_BYTES ((size_t)1 << 30)
#define LFD_KP_MAX_WARN 8
/* the highest frame rate taken from any source (option, sidecar, time
   column): beyond it a rate is a unit mistake, and windows sized in
   frames from it would not fit in an int */
#define LFD_KP_FPS_MAX 10000.0

typedef struct lfd_kp_preset {
    const char *id;          /* "smpl-22" */
    const char *desc;
    int njoints;
    const char *const *names;
    const int *parents;      /* NULL: no tree */
    double fps;              /* 0: unknown, must be given */
    const char *units;       /* "m" or NULL (detect) */
    const char *up;          /* "z", "y", "-y" or NULL (detect) */
    const char *canon_map;   /* canonical placements as mapping-file JSON, or NULL (the
                                rig alias table places the joints) */
} lfd_kp_preset;

int lfd_kp_npresets(void);
const lfd_kp_preset *lfd_kp_preset_at(int i);
/* Case-insensitive lookup ("SMPL-22", "holosoma-53"); NULL if unknown. */
const lfd_kp_preset *lfd_kp_preset_find(const char *id);

typedef struct lfd_keypoints {
    char name[256];          /* file name used in messages */
    int nframes, njoints;
    char (*names)[LFD_KP_NAME_MAX];
    int *parents;            /* -1 for roots or where unknown */
    double *pos;             /* nframes * njoints * 3, source units and axes */
    double fps;              /* > 0 */
    char units[8];           /* "" when not stated (lfd_human detects) */
    char up[4];              /* "" when not stated */
    char preset[32];         /* preset used for names, or "" */
    char fps_source[32];     /* "option", "sidecar", "time column", "preset" */
    int nonfinite;           /* NaN/inf values (missing keypoints) */
    double *conf;            /* nframes * njoints confidences (visibility) or NULL when the file has none */
    char conf_name[24];      /* the column it came from ("visibility", ...) */
    double *times;           /* nframes per-frame times in seconds (strictly increasing) or NULL */
    int nwarn;
    char warn[LFD_KP_MAX_WARN][256];
} lfd_keypoints;

typedef struct lfd_kp_opts {
    double fps;              /* > 0: overrides everything else */
    double fps_default;      /* > 0: used only when the file, its sidecar and time column give no rate
                                (before a preset's assumed rate) */
    const char *preset;      /* force a preset (names, parents, defaults) */
    const char *sidecar;     /* explicit sidecar JSON (else <file>.json if present) */
} lfd_kp_opts;

/* Reads a .npy, .csv or .jsonl keypoint file (by extension) into the
   caller's *kp, which then owns its arrays (free with lfd_kp_free).  On
   failure *kp is left empty (lfd_kp_free is still safe).  The same for the
   three readers by format below. */
int lfd_kp_read(lfd_keypoints *kp, const char *path, const lfd_kp_opts *opts, lfd_err *err);
int lfd_kp_read_npy(lfd_keypoints *kp, const char *path, const lfd_kp_opts *opts, lfd_err *err);
int lfd_kp_read_csv(lfd_keypoints *kp, const char *path, const lfd_kp_opts *opts, lfd_err *err);
/* JSON lines: one {"t": s, "joints": {name: [x, y, z(, conf)]}} per line
   (see lfd_keypoints.c for the variants accepted). */
int lfd_kp_read_jsonl(lfd_keypoints *kp, const char *path, const lfd_kp_opts *opts, lfd_err *err);
void lfd_kp_free(lfd_keypoints *kp);
/* Copies kp into out, arrays and all (caller frees out with lfd_kp_free);
   on failure out is left empty. */
int lfd_kp_clone(lfd_keypoints *out, const lfd_keypoints *kp, lfd_err *err);

/* A parsed .npy header: data points into the caller's buffer. */
typedef struct lfd_npy {
    int major, minor;
    char descr[16];
    int fortran;
    int ndim;
    uint64_t shape[8];
    uint64_t count;
    int itemsize;            /* 4 or 8 */
    int big_endian;
    const uint8_t *data;
    size_t nbytes;
} lfd_npy;

/* Parses a .npy file image (float32/float64 only); errors give byte offsets.
   Allocates nothing: npy->data points into buf, which must outlive it. */
int lfd_npy_parse(const uint8_t *buf, size_t len, const char *name, lfd_npy *npy, lfd_err *err);

/* Writes pos (T*J*3 doubles, C order) as a .npy of shape (T, J, 3)
   atomically: descr "<f4", "<f8", ">f4" or ">f8", format version 1..3,
   fortran != 0 stores Fortran order.  For tests and exports. */
int lfd_npy_write(const char *path, const double *pos, int T, int J, const char *descr,
                  int version, int fortran, lfd_err *err);

#endif
