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

    lfd_skel_resolve_pose finds the placements in three ways, the first that
    places every canonical joint wins:
      1. the alias table: whole rig families whose exact names are known
         (CMU, Mixamo, LAFAN1, Daz, Bandai Namco, SMPL, MediaPipe, 3ds Max
         Biped, Unreal), the family placing most joints;
      2. name tokens: each name is cut into words (`mixamorig7:LeftUpLeg` ->
         left up leg, `CC_Base_L_Thigh` -> l thigh, `lfemur` -> l femur,
         `thigh_l`, `DEF-thigh.L`, `Bip01 L Thigh`), namespaces and rig
         prefixes are dropped, a side word (Left/L/l/_l/Lft) gives the side and
         a segment word the limb joint (UpLeg/Thigh/Hip/Femur, Leg/Knee/Shin/
         Calf/Tibia, Foot/Ankle, Toe/Ball, Arm/UpperArm/Humerus/Shldr,
         ForeArm/Elbow/LowerArm/Radius, Hand/Wrist, Collar/Clavicle/Shoulder);
         finger, twist/roll/helper, eye and end joints are skipped;
      3. topology and geometry, for names that mean nothing (Joint1, ...):
         the legs are the two chains below the pelvis that reach lowest (whose
         far ends point the same way), the arms the two longest chains off
         the upper trunk (in a rest pose, those reaching furthest sideways),
         left is the side of up x forward, forward being where the toes point;
         joints at the same place as their parent (zero offsets), end joints
         and finger chains are skipped.  It runs on a few sampled poses and a
         joint's confidence is the share of poses that agree.
    With a tree and poses, the trunk is also checked against the topology:
    the chest is where the arms branch, and a spine or neck joint sitting on
    the pelvis or chest (zero offset) gives way to the next joint up.
    Fallbacks then fill what a rig does not name (pelvis from the hips, neck
    from the shoulders, spine/chest interpolated, toe = child of the ankle),
    and a user mapping file applies on top.  An unknown rig fails with a
    message naming the joints that could not be placed, what the geometry
    found missing (e.g. a second leg) and how to give a mapping.

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
    int how;     /* LFD_CPLACE_ALIAS, _FALLBACK, _MAPFILE, _TOKENS, _GEOMETRY */
    double conf; /* 0..1: how sure the placement is (see lfd_skeleton.c) */
} lfd_cplace;

enum {
    LFD_CPLACE_ALIAS = 0,    /* a rig family's exact name */
    LFD_CPLACE_FALLBACK = 1, /* derived from other canonical joints */
    LFD_CPLACE_MAPFILE = 2,  /* the user's mapping file */
    LFD_CPLACE_TOKENS = 3,   /* name tokens (side + segment words) */
    LFD_CPLACE_GEOMETRY = 4, /* topology and pose geometry */
};

/* "name", "derived", "mapping file", "name tokens", "geometry". */
const char *lfd_cplace_how_name(int how);

typedef struct lfd_skel_map {
    char rig[64];       /* family label, e.g. "CMU (cgspeed MotionBuilder)" */
    char family[32];    /* family id, e.g. "biped", or "tokens", "geometry" */
    lfd_cplace c[LFD_CJ_COUNT];
    char note[256];     /* "" or a caution, e.g. names and geometry disagree */
} lfd_skel_map;

/* Resolves the canonical joints for a source skeleton of n joints (names;
   parents may be NULL when unknown, -1 for roots).  map_path may be NULL.
   src_name is the input file, used in messages.  Fails with LFD_EMISMATCH
   (unknown rig), naming every canonical joint it could not place. */
int lfd_skel_resolve(const char *const *names, const int *parents, int n, const char *map_path,
                     const char *src_name, lfd_skel_map *map, lfd_err *err);

/* The same, with poses for the topology and geometry rules: npose poses of
   n joint positions each (pose[(p * n + j) * 3], source units and axes,
   non-finite values allowed); pose may be NULL (names only).  flags:
   LFD_SKEL_LEAF_JOINTS when a leaf is a real joint (keypoints: a wrist may
   end a chain), else a leaf is an end (BVH End Sites, end joints). */
int lfd_skel_resolve_pose(const char *const *names, const int *parents, int n, const double *pose,
                          int npose, int flags, const char *map_path, const char *src_name,
                          lfd_skel_map *map, lfd_err *err);
enum { LFD_SKEL_LEAF_JOINTS = 1 };

/* Side (0 none, 1 left, 2 right) and segment word of one joint name as the
   token rules read it, e.g. "l thigh" -> side 1, "upleg"; for docs, `lfd human
   info` and tests.  seg gets "" for a name with no body-part word. */
void lfd_skel_name_tokens(const char *name, int *side, char *seg, size_t segn);

/* 1 if two joint names match under lfd's rules (case-insensitive, namespace
   prefix ignored). */
int lfd_skel_name_eq(const char *a, const char *b);

/* Number of rig families and the id / description of family i (for docs and
   `lfd human info`). */
int lfd_skel_nfamilies(void);
const char *lfd_skel_family_id(int i);
const char *lfd_skel_family_desc(int i);

#endif
