/*  lfd_retarget_int: the retargeter's and the stream's internals, shared by
    lfd_retarget.c (the per-frame retargeter), lfd_retarget_calib.c (measuring
    the person) and lfd_retarget_batch.c (whole clips and their report).
    Not a public header: nothing outside retarget/ includes it. */
#ifndef LFD_RETARGET_INT_H
#define LFD_RETARGET_INT_H

#include "retarget/lfd_retarget.h"
#define BLEND_S 0.1      /* leaving contact: blend from the pin back to the human */
#define PIN_POS_GAIN 30.0 /* weight multipliers of pinned feet */
#define PIN_ROT_GAIN 1.0
#define DOUBLE_SUPPORT_TRUNK_ROT 0.2 /* trunk orientation weight while both feet are planted */

enum { SEGSRC_NONE = -1, SEGSRC_SPINE = -2 };

struct lfd_retargeter {
    const lfd_robot *r;
    lfd_retarget_opts opts;
    lfd_retarget_calib calib;
    lfd_ik *ik;
    int nmap;
    int entry_of[LFD_CJ_COUNT];     /* map index of a canonical joint, -1 */
    int cj[LFD_CJ_COUNT];           /* canonical joint of map entry e */
    int parent_e[LFD_CJ_COUNT];     /* map index of the mapped ancestor, -1 for the pelvis */
    int segsrc[LFD_CJ_COUNT];       /* human segment giving the orientation target */
    double scale[LFD_CJ_COUNT];
    double robot_edge_m[LFD_CJ_COUNT];
    double s_root;
    int pelvis_e;
    int ankle_e[2], toe_e[2];
    double ankle_rest_z[2];         /* ankle point height with the sole flat on z = 0 */
    double toe_rel0[2][3];          /* toe point - ankle point, zero pose (foot facing +x) */
    double pel_def_pos[3], pel_def_q[4]; /* robot pelvis frame at the default pose */
    int upper[LFD_CJ_COUNT];        /* entry takes part in upper-body mode */
    int rigid_seg[LFD_CJ_COUNT];    /* >= 0: the edge is rigid in this human segment */
    double rel0[LFD_CJ_COUNT][3];   /* robot edge vector at the zero pose (world = segment axes) */
};

struct lfd_retarget_stream {
    const lfd_retargeter *rt;
    lfd_ik_ws *ws;
    double dt;
    int first;
    double *qprev, *qtry, *qbest;
    double tpos[3 * LFD_CJ_COUNT], tquat[4 * LFD_CJ_COUNT];   /* targets used */
    double hpos[3 * LFD_CJ_COUNT];                           /* unpinned targets */
    double pw[LFD_CJ_COUNT], rw[LFD_CJ_COUNT];
    double p0[3 * LFD_CJ_COUNT], q0[4 * LFD_CJ_COUNT];       /* homotopy start */
    int pinned[2];
    int pin_pending[2];              /* contact began this frame: pin after the IK */
    double pin_pos[2][3], pin_q[2][4];
    int blend_left[2], blend_frames;
    double blend_pos[2][3], blend_q[2][4];
};

/* map index of each canonical joint (-1: unmapped) */
void lfd_rt_fill_entry_of(const lfd_robot *r, int *entry_of);
/* nearest mapped canonical ancestor of cj, -1 */
int lfd_rt_mapped_ancestor(const int *entry_of, int cj);
/* world position of a map entry's body point in the kinematics of d */
void lfd_rt_map_point(const mjModel *m, const mjData *d, const lfd_robot_map_entry *e, double p[3]);
/* lowest sole corner of r's feet in the kinematics of d (+inf without feet) */
double lfd_rt_lowest_sole(const lfd_robot *r, const mjData *d);

#endif
