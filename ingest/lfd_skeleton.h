/*  lfd_skeleton: the canonical human skeleton and the rig alias table.

    Human motion arrives in many rigs (CMU, Mixamo, LAFAN1, Bandai Namco,
    SMPL, MediaPipe, ...), each naming its joints differently and placing
    them a little differently.  Everything downstream of ingest (QA, segment
    frames, retargeting) works on 19 canonical joints whose names are fixed:

        pelvis spine chest neck head
        l_shoulder r_shoulder l_elbow r_elbow l_wrist r_wrist
        l_hip r_hip l_knee r_knee l_ankle r_ankle l_toe r_toe

    l_shoulder is the glenohumeral joint (CMU/Mixamo `LeftArm`, Daz `lShldr`,
    SMPL `left_shoulder`), never the clavicle (`LeftShoulder`, `lCollar`).
    l_toe is the ball of the foot (metatarsophalangeal joint) or, where a rig
    has no toe joint, the End Site distal to the ankle.

    A placement (lfd_cplace) says where a canonical joint is in a source
    skeleton: one source joint, or a weighted mean of a few (a "virtual"
    joint, e.g. MediaPipe's pelvis = mid-point of its two hips).
    lfd_skel_resolve picks the rig family whose alias table places the most
    canonical joints, applies fallbacks (pelvis from the hips, neck from the
    shoulders, spine/chest interpolated, toe = child of the ankle), then
    applies a user mapping file on top.  An unknown rig fails with a message
    naming the joints that could not be placed and how to give a mapping.

    Mapping file (JSON): an object whose keys are canonical names and whose
    values are a source joint name, or an array of names whose mean is used:
        {"l_elbow": "MyRig_LElbow", "pelvis": ["LHip", "RHip"]}
    Keys starting with "_" are comments.  Entries override the alias table.
    Name matching is case-insensitive and ignores a namespace prefix up to the
    last ':' or '|' (`mixamorig:Hips`, `mixamorig7:Hips`, `Char1|Hips`).
*/
#ifndef LFD_SKELETON_H
#define LFD_SKELETON_H

#include "core/lfd_canon.h"
#include "core/lfd_err.h"

#define LFD_CPLACE_MAX 8

/* Where one canonical joint sits in a source skeleton: sum of w[i] * joint
   src[i] (weights sum to 1).  n == 0: not placed. */
typedef struct lfd_cplace {
    int n;
    int src[LFD_CPLACE_MAX];
    double w[LFD_CPLACE_MAX];
    int how; /* LFD_CPLACE_ALIAS, _FALLBACK, _MAPFILE */
} lfd_cplace;

enum { LFD_CPLACE_ALIAS = 0, LFD_CPLACE_FALLBACK = 1, LFD_CPLACE_MAPFILE = 2 };

typedef struct lfd_skel_map {
    char rig[64];       /* family label, e.g. "CMU (cgspeed MotionBuilder)" */
    char family[32];    /* family id, e.g. "biped" */
    lfd_cplace c[LFD_CJ_COUNT];
} lfd_skel_map;

/* Resolves the canonical joints for a source skeleton of n joints (names;
   parents may be NULL when unknown, -1 for roots).  map_path may be NULL.
   src_name is the input file, used in messages.  Fails with LFD_EMISMATCH
   (unknown rig), naming every canonical joint it could not place. */
int lfd_skel_resolve(const char *const *names, const int *parents, int n, const char *map_path,
                     const char *src_name, lfd_skel_map *map, lfd_err *err);

/* 1 if two joint names match under lfd's rules (case-insensitive, namespace
   prefix ignored). */
int lfd_skel_name_eq(const char *a, const char *b);

/* Number of rig families and the id / description of family i (for docs and
   `lfd human info`). */
int lfd_skel_nfamilies(void);
const char *lfd_skel_family_id(int i);
const char *lfd_skel_family_desc(int i);

#endif
