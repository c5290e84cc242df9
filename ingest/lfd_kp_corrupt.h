/*  lfd_kp_corrupt: the failures of video pose estimators, made on purpose.

    Tests and the detection sweep (bench/bench_qa_sweep.c) take clean
    keypoints (lfd_kp_from_human: a human's source joints in metres, Z up)
    and inject one failure at known frames, with a seeded generator so runs
    repeat exactly:
      lr_swap        every left/right pair, the arms or the legs exchanged
                     for 5-20 frames;
      depth_flip     a limb (elbow or knee and everything beyond) or the whole
                     body reflected through its root's plane along world x or
                     y for 5-20 frames, placed where the limb lies at least
                     5 cm off that plane (a flip of a limb in the plane moves
                     nothing and is harmless);
      dropout        a wrist, elbow, knee or ankle (and what hangs off it) set
                     to NaN, or its confidence to 0, for 3-15 frames;
      bone_breathing a forearm, upper arm, shin or thigh lengthened by 15-30 %
                     over 0.5-1.5 s (a plateau with 0.1 s ramps), what hangs
                     off it moved along;
      floor_tilt     the whole clip turned 5-10 deg about a horizontal axis;
      timestamp_irregular
                     every other frame dropped from a 6-20 frame window (the
                     times say so: steps of two frames there).
    The frames reported are rows of the corrupted sequence (for dropped
    frames: the rows after a long step).
*/
#ifndef LFD_KP_CORRUPT_H
#define LFD_KP_CORRUPT_H

#include <stdint.h>

#include "core/lfd_err.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_keypoints.h"

typedef struct lfd_kp_corruption {
    int kind;          /* lfd_qa_kind */
    int f0, f1;        /* rows of the corrupted sequence, inclusive */
    char what[96];
} lfd_kp_corruption;

/* Keypoints of h's source joints (metres, Z up, h's names, parents and
   rate; "units" m, "up" z).  Caller frees with lfd_kp_free. */
int lfd_kp_from_human(lfd_keypoints *kp, const lfd_human *h, lfd_err *err);

/* lfd_kp_clone (a deep copy) is in ingest/lfd_keypoints.h. */

/* Injects one failure of the given kind into kp (in place; kp as made by
   lfd_kp_from_human from h, which supplies the canonical joints).  *seed
   drives every random choice; len > 0 fixes a dropout's length in frames.
   Returns LFD_OK, or LFD_EARG when the clip offers no place for it (e.g.
   too short). */
int lfd_kp_corrupt(lfd_keypoints *kp, const lfd_human *h, int kind, int len, uint32_t *seed,
                   lfd_kp_corruption *c, lfd_err *err);

/* A gap of len frames (NaN) in canonical joint cj and what hangs off it, at
   a random place. */
int lfd_kp_corrupt_gap(lfd_keypoints *kp, const lfd_human *h, int cj, int len, uint32_t *seed, lfd_kp_corruption *c,
                       lfd_err *err);

#endif
