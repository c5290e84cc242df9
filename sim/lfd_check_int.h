/*  lfd_check_int: the checker's insides, shared by the files of sim/ that
    implement lfd_check.h (lfd_check_base.c: names, the report object,
    findings, finite differences; lfd_check.c: the per-frame checks;
    lfd_check_track.c: the tracking simulation; lfd_check_fix.c: repairs;
    lfd_check_report.c: text and JSON; lfd_check_plot.c: the SVG).  Not a
    public header. */
#ifndef LFD_CHECK_INT_H
#define LFD_CHECK_INT_H

#include <math.h>

#include "sim/lfd_check.h"

#define LFD_CHECK_NCONMAX 400  /* contact buffer of the checker's model copy */
#define LFD_CHECK_QP_MAX 32    /* 2 feet x 4 sole corners x 4 pyramid edges */
#define LFD_CHECK_NPOINTS 4    /* hands and feet whose speed is capped */

struct lfd_checker {
    const lfd_robot *r;
    mjModel *m;                /* copy of r->m with nconmax raised */
    int nbody;
    unsigned char *pair_skip;  /* nbody x nbody: 1 = contact is not a self-collision */
    int *body_foot;            /* nbody: LFD_LEFT / LFD_RIGHT for foot bodies, else -1 */
    double mu;                 /* foot/floor friction of the model */
    double weight_n;           /* m g */
    double h_ref;              /* CoM height of the default pose (m): lever of moment shares */
    double corner[2][4][3];    /* sole corners in each foot body's frame */
    int npoints;
    int point_body[LFD_CHECK_NPOINTS];
    double point_local[LFD_CHECK_NPOINTS][3];
    char point_name[LFD_CHECK_NPOINTS][16];
    int point_id[LFD_CHECK_NPOINTS]; /* 0 left hand, 1 right hand, 2 left foot, 3 right foot */
    int key_base[LFD_CK_COUNT + 1]; /* finding keys: key_base[kind] + item */
};

struct lfd_check_ws {
    const lfd_checker *c;
    mjData *d;                 /* kinematics and dynamics of the frames */
    struct lfd_simloop *sim;   /* tracking: lfd's simulation loop (sim/lfd_simloop.h) */
    int nv, nq;
    /* finite differences: half-step velocities of three consecutive intervals */
    double *vh[3];
    double *qvel, *qacc, *acc_next;
    double *f;                 /* generalized force of the motion */
    double *tau;               /* joint torques after the ground wrench */
    double *jacp, *jacr;       /* 3 x nv each */
    /* wrench distribution */
    double A[6 * LFD_CHECK_QP_MAX];
    double H[LFD_CHECK_QP_MAX * LFD_CHECK_QP_MAX];
    double g[LFD_CHECK_QP_MAX], lo[LFD_CHECK_QP_MAX], hi[LFD_CHECK_QP_MAX];
    double x[LFD_CHECK_QP_MAX];
    double xprev[LFD_CHECK_QP_MAX];
    double x1[LFD_CHECK_QP_MAX]; /* the first split, while the second is found */
    double H1[LFD_CHECK_QP_MAX * LFD_CHECK_QP_MAX], g1[LFD_CHECK_QP_MAX]; /* its wrench terms */
    double x2[LFD_CHECK_QP_MAX]; /* the second's round with the lowest peak */
    double *tq_B;              /* torque joints x LFD_CHECK_QP_MAX: a column's torque per limit */
    double *tq_0;              /* torque joints: the torque without the ground, per limit */
    double *tq_v;              /* torque joints: their rows' weights */
    unsigned char active_prev[2][4];
    double *qpws;
    /* foot corners and capped points of the previous frame */
    double corner_prev[2][4][3];
    unsigned char active_prev_c[2][4];
    double point_prev[LFD_CHECK_NPOINTS][3];
    /* open findings per key */
    int nkeys;
    int *key_idx;              /* finding index, -2 when not listed, -1 none */
    int slot_key[LFD_CHECK_MAX_FINDINGS]; /* the key each listed finding belongs to */
    int *key_last;             /* last frame of the key's open range */
    int *key_first;            /* ... and its first */
    int *key_sev;
    double *key_bad;           /* badness of the open range's peak */
    /* tracking: the reference's derivatives */
    double *v0, *v1, *a0, *a1; /* derivatives at the two reference frames */
    double *tmp1, *tmp2;
};

/* Records that item `item` of `kind` is over a limit on frames first..last
   with severity sev (INFO/WARN/FAIL), value (kind's unit), the limit of that
   severity and a badness (larger is worse) that picks the peak frame `at`.
   Consecutive notes (within merge_gap frames) extend one finding. */
void lfd_check_note(lfd_check_ws *ws, lfd_check_report *rep, int kind, int item, int first,
                    int last, int at, int sev, double value, double limit, double bad);

/* Frees the report's per-frame series (lfd_check_base.c). */
void lfd_check_report_free_series(lfd_check_report *rep);

/* Velocity (central difference; one-sided at the ends) and acceleration
   (second difference; zero at the ends) of motion frame k, nv each.  tmp1,
   tmp2 are nv scratch vectors. */
void lfd_check_frame_derivs(const mjModel *m, const lfd_motion *mo, int k, double *vel,
                            double *acc, double *tmp1, double *tmp2);

/* The frames around fractional frame u of an n-frame clip: the first in
   *k (0..n-2, 0 for one frame) and the weight of the second (0..1, clamped
   to the clip) as the return value. */
double lfd_check_frame_at(int n, double u, int *k);

/* qpos (nq) at fractional frame u of the motion: linear between the two
   frames around u (clamped to the clip), the root quaternion blended on the
   short arc and normalised. */
void lfd_check_sample(const lfd_motion *mo, double u, double *q);

/* The tracking simulation (lfd_check_track.c). */
int lfd_check_track_run(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                        const lfd_check_opts *o, lfd_check_report *rep, lfd_err *err);

/* Writes the message of every finding and sorts them (failures first, then
   by first frame). */
void lfd_check_finalize_findings(const lfd_checker *c, lfd_check_report *rep);

/* whether the options run check group g */
#define LFD_CHECK_ON(o, g) ((((o)->checks) >> (g)) & 1u)

/* a joint's acceleration limit: its own, else the options' fallback (0: none) */
static inline double lfd_check_acc_limit(const lfd_robot_joint *jt, const lfd_check_opts *o)
{
    return jt->acc_max > 0 ? jt->acc_max : o->acc_max_rad_s2;
}

/* lfd check --fix's slow-downs rise and fall over this long on each side
   of a slowed range (raised cosine: lfd_check_ramp_w) */
#define LFD_CHECK_FIX_RAMP_S 0.3

/* lfd check --fix aims this far under a limit */
#define LFD_CHECK_FIX_AIM 0.97

/* The smallest slow-down s >= 1 that brings a torque t under the aim a > 0
   (N m), where t0 of it is what the pose held still asks and the rest falls
   with 1/s^2: |t0 + (t - t0) / s^2| <= a.  1 when it is under already;
   INFINITY when no slow-down does (|t0| >= a).  lfd check's annotation and
   --fix both take it, at --fix's aim (LFD_CHECK_FIX_AIM of the limit). */
static inline double lfd_check_slow_factor(double t, double t0, double a)
{
    if (fabs(t) <= a)
        return 1;
    if (fabs(t0) >= a)
        return INFINITY;
    double xs = ((t - t0 > 0 ? a : -a) - t0) / (t - t0); /* 1/s^2 in (0, 1) */
    return xs > 0 && xs < 1 ? 1 / sqrt(xs) : 1;
}

/* raised-cosine weight at distance d (frames) for a ramp of R frames */
static inline double lfd_check_ramp_w(double d, double R)
{
    if (d <= 0)
        return 1;
    if (d >= R)
        return 0;
    return 0.5 * (1 + cos(M_PI * d / R));
}

#endif
