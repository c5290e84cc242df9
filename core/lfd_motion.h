/*  lfd_motion: a robot motion (qpos per frame) and its file formats.

    A motion is what retargeting produces, checking judges, training learns
    from and playback serves: at a fixed frame rate, the generalized positions
    of a MuJoCo model, frame by frame.  For a floating-base robot each qpos
    row is [root x y z (m), root quaternion w x y z, joint angles (rad) in
    model order]; for a fixed-base robot it is the joint angles alone.  qvel
    is optional (MuJoCo layout: root linear velocity, root angular velocity in
    the root frame, joint velocities).

    File (.lfdm): one msgpack map, keys in this order
        "format": "lfd.motion", "version": 1,
        "robot": str, "model_hash": str (hex SHA-256 of the compiled MJCF, or ""),
        "fps": float64, "floating_base": bool, "joint_names": [str],
        "qpos": ndarray <f8 (frames, nq), ["qvel": ndarray <f8 (frames, nv)],
        "provenance": map (carried through untouched),
        "sha256": bin(32)
    The last entry is a SHA-256 of every byte before it, so the file ends in a
    fixed 41-byte trailer (a6 "sha256" c4 20 <32 bytes>) that a reader checks
    before parsing anything.  Files are written atomically.  Readers accept
    keys in any order (before the trailer) and skip keys they do not know.

    CSV (Unitree / BeyondMimic layout, as retargeted G1/H1 datasets ship):
    one row per frame, comma-separated, no header by default:
        root x, y, z, quaternion x, y, z, w, joint angles in model order
    Note the quaternion order differs from MuJoCo's (w first).  CSV carries no
    frame rate or joint names: the reader takes them from lfd_csv_opts.
*/
#ifndef LFD_MOTION_H
#define LFD_MOTION_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"
#include "core/lfd_mp.h"
#include "core/lfd_prov.h"
/* lfd_file_sha256_hex moved to lfd_sha256.h; included here until every
   caller includes it itself */
#include "core/lfd_sha256.h"
#include "core/lfd_util.h"

#define LFD_MOTION_FORMAT "lfd.motion"
#define LFD_MOTION_VERSION 1
#define LFD_MOTION_MAX_FRAMES 2000000 /* 4.6 h at 120 Hz */
#define LFD_MOTION_MAX_JOINTS 256
#define LFD_MOTION_MAX_FILE ((size_t)2 << 30)
#define LFD_MOTION_MAX_CSV ((size_t)1 << 30)

typedef struct lfd_motion {
    char robot[LFD_NAME_MAX];
    char model_hash[65];
    double fps;
    int floating;  /* 1: qpos rows start with root position + quaternion */
    int nframes;
    int njoints;   /* 1-DoF joints after the root */
    int nq;        /* 7 * floating + njoints */
    int nv;        /* 0 without qvel, else 6 * floating + njoints */
    char (*joint_names)[LFD_NAME_MAX];
    double *qpos;  /* nframes * nq */
    double *qvel;  /* nframes * nv, or NULL */
    lfd_prov prov;
} lfd_motion;

/* Allocates a zeroed motion (root quaternions set to identity); frees with
   lfd_motion_free.  robot and joint names are left empty for the caller. */
int lfd_motion_alloc(lfd_motion *m, int nframes, int floating, int njoints, int with_qvel,
                     lfd_err *err);
void lfd_motion_free(lfd_motion *m);
/* Deep copy. */
int lfd_motion_copy(lfd_motion *dst, const lfd_motion *src, lfd_err *err);

static inline double *lfd_motion_frame(const lfd_motion *m, int f) { return m->qpos + (size_t)f * (size_t)m->nq; }
static inline double lfd_motion_duration_s(const lfd_motion *m) { return m->nframes > 1 ? (m->nframes - 1) / m->fps : 0.0; }

/* Checks sizes, fps, finite values and unit root quaternions (|q| within
   1e-3 of 1: CSV datasets store float32); names the first bad frame and column. */
int lfd_motion_validate(const lfd_motion *m, lfd_err *err);

/* Encodes to / decodes from the .lfdm byte format.  name is used in errors. */
int lfd_motion_encode(const lfd_motion *m, lfd_buf *out, lfd_err *err);
int lfd_motion_decode(lfd_motion *m, const uint8_t *data, size_t len, const char *name,
                      lfd_err *err);
int lfd_motion_write(const lfd_motion *m, const char *path, lfd_err *err);
/* lfd_motion_decode and lfd_motion_read fill the caller's *m with arrays
   and provenance it owns (free with lfd_motion_free); on failure *m is
   left empty (nothing to free, lfd_motion_free is still safe). */
int lfd_motion_read(lfd_motion *m, const char *path, lfd_err *err);

typedef struct lfd_csv_opts {
    double fps;                               /* required (CSV has no rate) */
    int floating;                             /* 1: first 7 columns are the root */
    const char *robot;                        /* may be NULL */
    const char *model_hash;                   /* may be NULL */
    int njoint_names;                         /* 0: columns named joint_0 ... */
    const char (*joint_names)[LFD_NAME_MAX];
} lfd_csv_opts;

/* Writes the CSV layout; with header != 0 a first row names the columns. */
int lfd_motion_write_csv(const lfd_motion *m, const char *path, int header, lfd_err *err);
/* Reads the CSV layout (a header row, if present, is recognised and its
   joint names used when opts gives none; when opts gives them, the header's
   names say which column holds which joint, and an unknown or repeated name
   is refused; the root's quaternion columns must be x, y, z, w in that
   order).  Ownership as lfd_motion_read:
   *m owns its arrays (lfd_motion_free), empty on failure. */
int lfd_motion_read_csv(lfd_motion *m, const char *path, const lfd_csv_opts *opts, lfd_err *err);
/* The same from text in memory (len bytes); name is used in errors. */
int lfd_motion_parse_csv(lfd_motion *m, const char *text, size_t len, const char *name,
                         const lfd_csv_opts *opts, lfd_err *err);

#endif
