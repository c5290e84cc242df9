/*  lfd_canon: the canonical human skeleton, shared by every layer.

    Human motion arrives in many rigs; everything downstream of ingest (QA,
    segment frames, robot retargeting maps, retargeting) speaks of 19
    canonical joints whose names are fixed:

        pelvis spine chest neck head
        l_shoulder r_shoulder l_elbow r_elbow l_wrist r_wrist
        l_hip r_hip l_knee r_knee l_ankle r_ankle l_toe r_toe

    l_shoulder is the glenohumeral joint (CMU/Mixamo `LeftArm`), never the
    clavicle; l_toe is the ball of the foot.  Left/right pairs are adjacent,
    left first.  Rig aliases live in retarget/lfd_skeleton; robot maps in
    robots/ name these joints.
*/
#ifndef LFD_CANON_H
#define LFD_CANON_H

typedef enum lfd_cjoint {
    LFD_CJ_PELVIS,
    LFD_CJ_SPINE,
    LFD_CJ_CHEST,
    LFD_CJ_NECK,
    LFD_CJ_HEAD,
    LFD_CJ_L_SHOULDER,
    LFD_CJ_R_SHOULDER,
    LFD_CJ_L_ELBOW,
    LFD_CJ_R_ELBOW,
    LFD_CJ_L_WRIST,
    LFD_CJ_R_WRIST,
    LFD_CJ_L_HIP,
    LFD_CJ_R_HIP,
    LFD_CJ_L_KNEE,
    LFD_CJ_R_KNEE,
    LFD_CJ_L_ANKLE,
    LFD_CJ_R_ANKLE,
    LFD_CJ_L_TOE,
    LFD_CJ_R_TOE,
    LFD_CJ_COUNT
} lfd_cjoint;

/* Canonical name of joint cj ("l_elbow"), or "?" out of range. */
const char *lfd_cjoint_name(int cj);
/* Canonical index of name, or -1. */
int lfd_cjoint_find(const char *name);
/* Canonical parent (the kinematic tree pelvis > spine > chest > neck > head,
   chest > shoulder > elbow > wrist, pelvis > hip > knee > ankle > toe), -1
   for the pelvis. */
int lfd_cjoint_parent(int cj);
/* For a left/right joint, its mirror (l_elbow <-> r_elbow); else cj. */
int lfd_cjoint_mirror(int cj);

#endif
