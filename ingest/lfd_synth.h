/*  lfd_synth: procedural human motion that needs no external data.

    Three tasks, each a clean, physically sensible motion of a person of a
    given height (body proportions from Drillis & Contini's segment model,
    D. A. Winter, Biomechanics and Motor Control of Human Movement, 2009):
      stand  quiet standing with breathing and a little postural sway;
      walk   straight walking at 1.0 m/s with alternating foot contacts:
             stance feet stay fixed on the floor (heel rise about the toe at
             push-off), swing feet follow a smooth arc, arms swing opposite
             to the legs;
      wipe   "reach and wipe a table": stand, lean and reach the right hand
             to a 0.75 m table, wipe side to side, return (the demo task).
    Limb poses come from analytic two-bone IK, so the generated joint
    positions are exact: the same file written with any rotation order,
    units, up-axis or channel layout must read back to the same positions.

    The result is an lfd_bvh (so it can be written with lfd_bvh_write and
    read back through every parser path) plus, optionally, the generator's
    own world positions in metres, Z-up (the ground truth for tests).

    Skeleton (canonical names, clavicles, End Sites at head top, finger
    tips and toe tips):
      pelvis > spine > chest > neck > head
      chest > l_clavicle > l_shoulder > l_elbow > l_wrist   (and r_)
      pelvis > l_hip > l_knee > l_ankle > l_toe             (and r_)
    Rest pose: T-pose, arms along the shoulder line, legs straight down.
*/
#ifndef LFD_SYNTH_H
#define LFD_SYNTH_H

#include "core/lfd_err.h"
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_human.h"

#define LFD_SYNTH_WIPE_MIN_S 1.0 /* shortest wipe: its reach and return at 6x the natural pace */

typedef enum { LFD_SYNTH_STAND, LFD_SYNTH_WALK, LFD_SYNTH_WIPE } lfd_synth_task;

typedef struct lfd_synth_opts {
    lfd_synth_task task;
    double seconds;          /* 0: task default (stand 3 s, walk 6 s, wipe 10 s); a wipe
                                shorter than 6 s runs its timeline faster, down to
                                LFD_SYNTH_WIPE_MIN_S (below: LFD_EARG) */
    double fps;              /* 0: 120 */
    double height_m;         /* 0: 1.75 */
    const char *units;       /* units of the BVH: m|cm|mm|inch|asf (NULL: cm) */
    const char *up;          /* up-axis of the BVH: y|z (NULL: y) */
    const char *order;       /* rotation order of every joint, e.g. "ZXY" (NULL: ZXY) */
    const char *root_order;  /* a different order for the root (NULL: same) */
    int six_channel;         /* 1: every joint has 6 channels (positions = offsets) */
    int static_root;         /* 1: a still top ROOT "root" whose child "pelvis" carries
                                the translation (Bandai layout) */
    int rest_x;              /* 1: bones of the rest pose along +X of their parent
                                (LAFAN1 / Bandai style): offsets are rotated, the motion is not */
    /* wipe: how this person wipes (0 = default) */
    double stroke_s;         /* one stroke (default 1.6 s) */
    double stroke_scale;     /* stroke width and depth relative to the default (1) */
    double reach_scale;      /* how far ahead the table is, relative to the default (1) */
} lfd_synth_opts;

/* Task name <-> value ("stand", "walk", "wipe"); parse returns -1 if unknown. */
const char *lfd_synth_task_name(int task);
int lfd_synth_task_parse(const char *name);

/* Generates the motion as BVH.  If truth is non-NULL it receives a malloc'd
   array (caller frees) of nframes * b->nnodes * 3 world positions in metres,
   lfd axes (Z up), as computed by the generator. */
int lfd_synth_bvh(lfd_bvh *b, const lfd_synth_opts *opts, double **truth, lfd_err *err);

/* Convenience: generate and load into a human (lfd_human_from_bvh). */
int lfd_synth_human(lfd_human *h, const lfd_synth_opts *opts, lfd_err *err);

#endif
