/*  lfd_bvh: BVH motion-capture files: reader, forward kinematics, writer.

    The reader takes BVH as real files are written (see
    ../shared/data/mocap/README.md for the quirks each real file has):
    any hierarchy and joint count, several ROOTs, End Sites, a rotation
    channel order per joint (one file may mix ZYX and ZXY), 0..6 channels per
    joint anywhere in the tree, LF / CRLF / mixed line endings, tabs or
    spaces, numbers such as `.0083333`, `1E-05`, `-0.000000`, non-integer
    frame rates, `Frames:` disagreeing with the rows (warn, use the rows),
    trailing blank lines, joint names with colons or spaces.

    Semantics (shared by reader, FK and writer):
    - A joint's translation in its parent frame is its OFFSET, except that a
      position channel present on the joint REPLACES that component of the
      OFFSET (Bandai Namco and LAFAN1 store absolute values there; adding
      them would double every bone or move the root 5 m).  This holds for
      the root and for any other joint (Bandai walks keep the root still and
      move `Hips`).
    - Rotation channels compose intrinsically in the order they appear:
      `Zrotation Xrotation Yrotation` means R = Rz(a) Rx(b) Ry(c)
      (core/lfd_quat.h), angles in degrees in the file.
    - World pose: p = p_parent + R_parent t,  R = R_parent R_local.
    - End Sites are nodes with no channels, named "<parent>_end".

    Memory: the parser reads the whole file (capped at LFD_BVH_MAX_BYTES),
    counts the data rows that are actually there and sizes the motion
    array by those rows, never by the `Frames:` line, so `Frames: 999999999`
    allocates nothing extra.  Every count is capped before allocating.

    FK is model/workspace style: lfd_bvh is immutable after parsing and
    lfd_bvh_fk writes into caller arrays, allocating nothing per frame.
*/
#ifndef LFD_BVH_H
#define LFD_BVH_H

#include <stddef.h>

#include "core/lfd_util.h"
#include "core/lfd_err.h"
#include "core/lfd_mp.h"

#define LFD_BVH_NAME_MAX LFD_NAME_MAX
#define LFD_BVH_MAX_BYTES ((size_t)1 << 30)  /* 1 GiB of text */
#define LFD_BVH_MAX_NODES 1024              /* joints + End Sites */
#define LFD_BVH_MAX_FRAMES 4000000          /* 9 h at 120 Hz */
#define LFD_BVH_MAX_VALUES ((size_t)1 << 27) /* 128 M values = 1 GiB of doubles */
#define LFD_BVH_MAX_WARN 8

/* channel kinds */
enum { LFD_BVH_XPOS, LFD_BVH_YPOS, LFD_BVH_ZPOS, LFD_BVH_XROT, LFD_BVH_YROT, LFD_BVH_ZROT };

typedef struct lfd_bvh_joint {
    char name[LFD_BVH_NAME_MAX];
    int parent;            /* node index, -1 for a ROOT */
    int end_site;          /* 1 for an End Site */
    double offset[3];      /* file units, parent frame */
    int nchan;             /* 0..6 */
    int chan0;             /* column of the first channel in a MOTION row */
    unsigned char chan[6]; /* LFD_BVH_XPOS .. LFD_BVH_ZROT in file order */
    int line;              /* line of the ROOT/JOINT/End keyword */
} lfd_bvh_joint;

typedef struct lfd_bvh {
    char name[256];        /* file name used in messages */
    int nnodes;            /* joints + End Sites (parents before children) */
    int njoints;           /* ROOT/JOINT nodes only */
    lfd_bvh_joint *node;
    int nchannels;         /* values per MOTION row */
    int nframes;           /* rows actually present */
    int frames_declared;   /* the `Frames:` line (may differ) */
    double frame_time_s;
    double *motion;        /* nframes * nchannels, file units and degrees */
    int nonfinite;         /* number of nan/inf values read (kept as is) */
    int nwarn;
    char warn[LFD_BVH_MAX_WARN][256];
} lfd_bvh;

typedef struct lfd_bvh_opts {
    int strict_frames;     /* 1: a `Frames:` count that differs from the rows is an error */
    int reject_nonfinite;  /* 1: nan/inf in MOTION rows are an error (default: kept, counted) */
    int max_frames;        /* 0: LFD_BVH_MAX_FRAMES */
} lfd_bvh_opts;

/* Parses BVH text[0..len) (need not be NUL-terminated); name is used in
   messages ("name:line: reason").  opts may be NULL.  On success *b owns its
   arrays (lfd_bvh_free); on failure *b is left empty. */
int lfd_bvh_parse(lfd_bvh *b, const char *text, size_t len, const char *name,
                  const lfd_bvh_opts *opts, lfd_err *err);
/* Reads and parses a file: the same ownership (lfd_bvh_free), *b empty on
   failure. */
int lfd_bvh_read(lfd_bvh *b, const char *path, const lfd_bvh_opts *opts, lfd_err *err);
void lfd_bvh_free(lfd_bvh *b);

/* Allocates an empty skeleton of nnodes nodes and nframes zeroed rows for
   code that builds BVH itself (lfd_synth); the caller fills node[] and
   then calls lfd_bvh_finalize. */
int lfd_bvh_alloc(lfd_bvh *b, int nnodes, int nframes, lfd_err *err);
/* Assigns chan0 and nchannels from node[].nchan, counts joints, checks the
   parent order, and (re)allocates motion for nframes rows (zeroed). */
int lfd_bvh_finalize(lfd_bvh *b, int nframes, lfd_err *err);

/* Index of the node named name (exact match), or -1. */
int lfd_bvh_find(const lfd_bvh *b, const char *name);
/* Rotation order of a node as letters ("ZXY"), "" without rotations. */
void lfd_bvh_rot_order(const lfd_bvh_joint *j, char out[4]);

/* Forward kinematics of one MOTION row (nchannels values): world positions
   pos[nnodes*3] (file units) and, if quat is non-NULL, world orientations
   quat[nnodes*4] (w x y z), both in the file's axes.  Allocates nothing. */
void lfd_bvh_fk_row(const lfd_bvh *b, const double *row, double *pos, double *quat);
/* The same for frame f (0 <= f < nframes). */
void lfd_bvh_fk(const lfd_bvh *b, int f, double *pos, double *quat);

/* Writer options. */
typedef struct lfd_bvh_write_opts {
    int decimals;   /* digits after the point for MOTION values (default 6) */
    int crlf;       /* 1: CRLF line endings */
} lfd_bvh_write_opts;

/* Renders b as BVH text into out (a growable lfd_buf the caller frees). */
int lfd_bvh_to_text(const lfd_bvh *b, const lfd_bvh_write_opts *opts, lfd_buf *out,
                    lfd_err *err);
/* Writes b to path atomically (nothing is left behind on failure). */
int lfd_bvh_write(const lfd_bvh *b, const char *path, const lfd_bvh_write_opts *opts,
                  lfd_err *err);

/* Parses one number token (as written in BVH/CSV: `.5`, `-0.000`, `1E-05`,
   `nan`, `inf`) from s[0..n).  Returns 0 and *v, or -1 if not a number. */
int lfd_parse_number(const char *s, size_t n, double *v);

#endif
