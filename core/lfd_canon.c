/*  lfd_canon: names and tree of the canonical human skeleton (lfd_canon.h). */
#include "core/lfd_canon.h"

#include <string.h>

static const char *const cj_names[LFD_CJ_COUNT] = {
    "pelvis",     "spine",      "chest",   "neck",    "head",    "l_shoulder", "r_shoulder",
    "l_elbow",    "r_elbow",    "l_wrist", "r_wrist", "l_hip",   "r_hip",      "l_knee",
    "r_knee",     "l_ankle",    "r_ankle", "l_toe",   "r_toe"};

static const int cj_parent[LFD_CJ_COUNT] = {
    -1,                 /* pelvis */
    LFD_CJ_PELVIS,      /* spine */
    LFD_CJ_SPINE,       /* chest */
    LFD_CJ_CHEST,       /* neck */
    LFD_CJ_NECK,        /* head */
    LFD_CJ_CHEST,       /* l_shoulder */
    LFD_CJ_CHEST,       /* r_shoulder */
    LFD_CJ_L_SHOULDER,  /* l_elbow */
    LFD_CJ_R_SHOULDER,  /* r_elbow */
    LFD_CJ_L_ELBOW,     /* l_wrist */
    LFD_CJ_R_ELBOW,     /* r_wrist */
    LFD_CJ_PELVIS,      /* l_hip */
    LFD_CJ_PELVIS,      /* r_hip */
    LFD_CJ_L_HIP,       /* l_knee */
    LFD_CJ_R_HIP,       /* r_knee */
    LFD_CJ_L_KNEE,      /* l_ankle */
    LFD_CJ_R_KNEE,      /* r_ankle */
    LFD_CJ_L_ANKLE,     /* l_toe */
    LFD_CJ_R_ANKLE,     /* r_toe */
};

const char *lfd_cjoint_name(int cj)
{
    return cj >= 0 && cj < LFD_CJ_COUNT ? cj_names[cj] : "?";
}

int lfd_cjoint_find(const char *name)
{
    for (int i = 0; name && i < LFD_CJ_COUNT; i++)
        if (!strcmp(name, cj_names[i]))
            return i;
    return -1;
}

int lfd_cjoint_parent(int cj)
{
    return cj >= 0 && cj < LFD_CJ_COUNT ? cj_parent[cj] : -1;
}

int lfd_cjoint_mirror(int cj)
{
    if (cj < LFD_CJ_L_SHOULDER || cj >= LFD_CJ_COUNT)
        return cj;
    /* left/right pairs are adjacent, left first */
    return ((cj - LFD_CJ_L_SHOULDER) % 2) ? cj - 1 : cj + 1;
}

