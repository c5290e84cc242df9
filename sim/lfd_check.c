/*  lfd_check: the per-frame safety checks of a robot motion (lfd_check.h).

    One pass over the frames does everything but tracking: for frame f it
    takes the finite differences of the neighbouring frames (velocity over
    the intervals f-1..f and f..f+1, acceleration and jerk from those), the
    kinematics and collisions of the pose, and the inverse dynamics of
    (q, qd, qdd).  Per frame:

      1. range, velocity, acceleration, jerk of every joint;
      2. mj_kinematics + mj_collision: self-collisions (body pairs the robot
         does not exclude) and bodies below the floor, with their depth;
      3. the sole corners of each foot: which carry load (within
         contact_height_m of the floor), how far they slid since the last
         frame; the hand and foot points and their speed;
      4. dynamics: mj_rne (+ armature qdd - passive) gives the generalized
         force f of the motion.  Its six root rows are the wrench the ground
         must supply (a kinematic clip cannot take it from mj_inverse with
         contacts on: MuJoCo's soft contacts would make it depend on how
         deep the feet sink).  That wrench, moved to the CoM, is split over
         the loaded sole corners by a box QP on friction-pyramid edge
         weights (lfd_boxqp): each corner force lies in its pyramid and the
         centre of pressure stays inside each sole.  What no contact can
         supply is the residual: external help, as a share of body weight
         (force / m g, moment / (m g h_ref)).  The zero-moment point of the
         required wrench and the CoM are measured against the support
         polygon (convex hull of the loaded corners);
      5. joint torques = f - J^T (the foot wrenches), against each limit.

    Over-limit frames are merged into findings per (kind, item) as they come
    (lfd_check_note); messages are written at the end. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_boxqp.h"
#include "core/lfd_quat.h"
#include "core/lfd_util.h"
#include "robots/lfd_mj.h"
#include "sim/lfd_check_int.h"
#include "sim/lfd_simloop.h"

/* ---- the threshold table -------------------------------------------------------- */
#define OFF(f) offsetof(lfd_check_opts, f)

const lfd_check_limit lfd_check_limits[] = {
    {"range_soft", "range-soft", OFF(range_soft), 0.9, "fraction",
     "warn when a joint is farther from the centre of its range than this fraction of the half-range",
     "lfd's choice: a warning in the last tenth of the half-range, before the hard stop"},
    {"range_margin_rad", "range-margin", OFF(range_margin_rad), 0.0, "rad",
     "fail when a joint comes closer than this to a range limit (0: at the limit)", "lfd"},
    {"vel_soft", "vel-soft", OFF(vel_soft), 0.9, "fraction",
     "warn above this fraction of a joint's velocity limit",
     "lfd's choice: 10 % headroom for the tracking controller's overshoot"},
    {"vel_hard", "vel-hard", OFF(vel_hard), 1.0, "fraction",
     "fail above this fraction of a joint's velocity limit",
     "the limit itself (the robot description's)"},
    {"acc_soft", "acc-soft", OFF(acc_soft), 0.9, "fraction",
     "warn above this fraction of a joint's acceleration limit", "lfd, as velocity"},
    {"acc_hard", "acc-hard", OFF(acc_hard), 1.0, "fraction",
     "fail above this fraction of a joint's acceleration limit", "lfd, as velocity"},
    {"acc_max_rad_s2", "acc-max", OFF(acc_max_rad_s2), 0.0, "rad/s^2",
     "acceleration limit of joints whose description gives none (0: not checked)",
     "h1/g1 publish none"},
    {"jerk_max_rad_s3", "jerk-max", OFF(jerk_max_rad_s3), 0.0, "rad/s^3",
     "warn when a joint's jerk exceeds this (0: not checked)", "lfd"},
    {"torque_soft", "torque-soft", OFF(torque_soft), 0.85, "fraction",
     "warn above this fraction of a joint's torque limit",
     "lfd's choice: 15 % headroom, as tracking needs torque beyond the inverse-dynamics figure"},
    {"torque_hard", "torque-hard", OFF(torque_hard), 1.0, "fraction",
     "fail above this fraction of a joint's torque limit",
     "the limit itself (the robot description's)"},
    {"self_warn_m", "self-warn", OFF(self_warn_m), 0.0, "m",
     "warn when two robot bodies interpenetrate deeper than this", "lfd"},
    {"self_fail_m", "self-fail", OFF(self_fail_m), 0.005, "m",
     "fail when two robot bodies interpenetrate deeper than this", "lfd (as floor_fail_m)"},
    {"floor_warn_m", "floor-warn", OFF(floor_warn_m), 0.001, "m",
     "warn when a body is deeper than this below the floor", "lfd's choice: 1 mm, past numerical noise"},
    {"floor_fail_m", "floor-fail", OFF(floor_fail_m), 0.005, "m",
     "fail when a body is deeper than this below the floor", "lfd's choice: 5 mm, visibly in the floor; a simulator pushes it out with a jolt"},
    {"contact_height_m", "contact-height", OFF(contact_height_m), 0.02, "m",
     "a sole corner lower than this above the floor is in contact and may carry load", "lfd"},
    {"sole_tilt_m", "sole-tilt", OFF(sole_tilt_m), 0.0, "m",
     "a sole corner more than this above its foot's lowest corner carries no load (a tilted sole "
     "rests on its low edge; 0: off, every corner within --contact-height carries)",
     "lfd: off by default, as the retargeter's support model; 0.01 is the tracking controller's "
     "rule, and on the shared walks it fails G1's two bandai walks and H1's LAFAN1 walk "
     "(docs/check.md, support off the floor)"},
    {"hover_height_m", "hover-height", OFF(hover_height_m), 0.01, "m",
     "state (info) the load a foot carries on sole corners higher than this above the floor "
     "(within --contact-height, counted as support; a real foot must touch the floor to carry it)",
     "lfd's choice: twice the 5 mm a retargeter leaves planted soles off the floor; G1's and "
     "Unitree's walks pass on corners 1-2 cm up (docs/check.md)"},
    {"slide_warn_m", "slide-warn", OFF(slide_warn_m), 0.01, "m",
     "warn when a foot in contact slides more than this per frame at 30 fps (scaled to the "
     "motion's rate: 0.3 m/s)",
     "lfd's choice: 0.3 m/s of a planted foot is visible foot skate"},
    {"contact_force_n", "contact-force", OFF(contact_force_n), 500.0, "N",
     "warn when one foot's normal force exceeds the larger of this and --contact-force-bw x body "
     "weight",
     "lfd's choice: 500 N, under one body weight of h1 (582 N), raised by contact_force_bw"},
    {"contact_force_bw", "contact-force-bw", OFF(contact_force_bw), 1.5, "body weights",
     "see --contact-force (so that standing on one foot is not a warning for heavy robots)", "lfd"},
    {"friction", "friction", OFF(friction), 0.0, "coefficient",
     "friction coefficient of the feet on the floor in the wrench QP (0: the model's)", "lfd"},
    {"zmp_tol_m", "zmp-tol", OFF(zmp_tol_m), 0.02, "m",
     "warn when the zero-moment point is farther than this outside the support polygon "
     "(the CoM the same, as info)",
     "lfd"},
    {"assist_warn", "assist-warn", OFF(assist_warn), 0.05, "body weight",
     "warn when the external help a frame needs exceeds this share of body weight", "lfd"},
    {"assist_fail", "assist-fail", OFF(assist_fail), 0.2, "body weight",
     "fail when the external help a frame needs exceeds this share of body weight", "lfd"},
    {"tilt_fall_rad", "tilt-fall", OFF(tilt_fall_rad), 1.0, "rad",
     "tracking: the robot has fallen when its root tilts more than this",
     "lfd's choice: 57 degrees, past which a humanoid does not recover"},
    {"fall_height_frac", "fall-height", OFF(fall_height_frac), 0.5, "fraction",
     "tracking: ... or when its root is lower than this fraction of the reference's height", "lfd"},
    {"track_joint_warn_rad", "track-joint-warn", OFF(track_joint_warn_rad), 0.2, "rad",
     "tracking: warn when the RMS joint error exceeds this", "lfd"},
    {"track_joint_fail_rad", "track-joint-fail", OFF(track_joint_fail_rad), 0.5, "rad",
     "tracking: fail when the RMS joint error exceeds this", "lfd"},
    {"track_root_warn_m", "track-root-warn", OFF(track_root_warn_m), 0.1, "m",
     "tracking: warn when the root is farther than this from the reference", "lfd"},
    {"track_root_fail_m", "track-root-fail", OFF(track_root_fail_m), 0.3, "m",
     "tracking: fail when the root is farther than this from the reference", "lfd"},
    {"speed_cap_m_s", "speed-cap", OFF(speed_cap_m_s), 0.0, "m/s",
     "fail when a hand or foot moves faster than this (0: off; --collaborative: 0.25)",
     "ISO 10218-1 reduced speed 250 mm/s"},
    {"fix_range_max_rad", "fix-range-max", OFF(fix_range_max_rad), 0.1, "rad",
     "--fix: range violations up to this are clamped", "lfd"},
    {"fix_time_max", "fix-time-max", OFF(fix_time_max), 2.0, "x",
     "--fix: a segment may be slowed down at most this many times", "lfd"},
    {"fix_floor_max_m", "fix-floor-max", OFF(fix_floor_max_m), 0.03, "m",
     "--fix: floor penetrations up to this are lifted", "lfd"},
    {"merge_gap_frames", "merge-gap", OFF(merge_gap_frames), 3.0, "frames",
     "over-limit frames this close merge into one finding", "lfd"},
};
const int lfd_check_nlimits = (int)(sizeof lfd_check_limits / sizeof lfd_check_limits[0]);

void lfd_check_opts_init(lfd_check_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < lfd_check_nlimits; i++)
        *(double *)((char *)o + lfd_check_limits[i].offset) = lfd_check_limits[i].value;
    o->checks = LFD_CHECK_DEFAULT;
    o->series = 0;
    o->track_balance = 0;
}

void lfd_check_opts_collaborative(lfd_check_opts *o) { o->speed_cap_m_s = 0.25; }

/* a threshold as the user set it: its option and its key in a limits file
   ("--torque-soft (torque_soft)"), so an error names what to change */
static const char *lim_name(const char *key, char *buf, size_t n)
{
    for (int i = 0; i < lfd_check_nlimits; i++)
        if (!strcmp(lfd_check_limits[i].key, key)) {
            snprintf(buf, n, "--%s (%s)", lfd_check_limits[i].flag, key);
            return buf;
        }
    return key;
}

int lfd_check_opts_validate(const lfd_check_opts *o, lfd_err *err)
{
    char na[96], nb[96];
    for (int i = 0; i < lfd_check_nlimits; i++) {
        double v = *(const double *)((const char *)o + lfd_check_limits[i].offset);
        if (!isfinite(v) || v < 0)
            return lfd_fail(err, LFD_EARG, "threshold %s = %g: must be a finite number >= 0",
                            lim_name(lfd_check_limits[i].key, na, sizeof na), v);
    }
#define POS(f)                                                                              \
    if (!(o->f > 0))                                                                        \
        return lfd_fail(err, LFD_EARG, "threshold %s = %g: must be > 0", lim_name(#f, na, sizeof na), o->f);
#define ORDER(a, b)                                                                         \
    if (o->a > o->b)                                                                        \
        return lfd_fail(err, LFD_EARG, "threshold %s = %g exceeds %s = %g", lim_name(#a, na, sizeof na), \
                        o->a, lim_name(#b, nb, sizeof nb), o->b);
    POS(range_soft) POS(vel_soft) POS(vel_hard) POS(acc_soft) POS(acc_hard) POS(torque_soft)
    POS(torque_hard) POS(tilt_fall_rad) POS(contact_height_m) POS(slide_warn_m)
    ORDER(vel_soft, vel_hard) ORDER(acc_soft, acc_hard) ORDER(torque_soft, torque_hard)
    ORDER(self_warn_m, self_fail_m) ORDER(floor_warn_m, floor_fail_m)
    ORDER(assist_warn, assist_fail) ORDER(track_joint_warn_rad, track_joint_fail_rad)
    ORDER(track_root_warn_m, track_root_fail_m)
#undef POS
#undef ORDER
    if (o->range_soft > 1)
        return lfd_fail(err, LFD_EARG, "threshold %s = %g: must be at most 1",
                        lim_name("range_soft", na, sizeof na), o->range_soft);
    if (o->fall_height_frac >= 1)
        return lfd_fail(err, LFD_EARG, "threshold %s = %g: must be below 1",
                        lim_name("fall_height_frac", na, sizeof na), o->fall_height_frac);
    if (o->fix_time_max < 1)
        return lfd_fail(err, LFD_EARG, "threshold %s = %g: must be at least 1",
                        lim_name("fix_time_max", na, sizeof na), o->fix_time_max);
    if (o->merge_gap_frames > 1000)
        return lfd_fail(err, LFD_EARG, "threshold merge_gap_frames = %g: at most 1000",
                        o->merge_gap_frames);
    return LFD_OK;
}

/* ---- checker ------------------------------------------------------------------------ */
const lfd_robot *lfd_checker_robot(const lfd_checker *c) { return c->r; }
const mjModel *lfd_checker_model(const lfd_checker *c) { return c->m; }

void lfd_checker_free(lfd_checker **pc)
{
    if (!pc || !*pc)
        return;
    lfd_checker *c = *pc;
    if (c->m)
        mj_deleteModel(c->m);
    free(c->pair_skip);
    free(c->body_foot);
    free(c);
    *pc = NULL;
}

typedef struct copy_arg {
    const mjModel *src;
    mjModel *dst;
    mjData *d;
} copy_arg;

static int copy_model_cb(void *p)
{
    copy_arg *a = p;
    a->dst = mj_copyModel(NULL, a->src);
    return a->dst ? LFD_OK : LFD_ENOMEM;
}

static int make_data_cb(void *p)
{
    copy_arg *a = p;
    a->d = mj_makeData(a->src);
    return a->d ? LFD_OK : LFD_ENOMEM;
}

/* mj_makeData under lfd's MuJoCo error guard */
static mjData *make_data(const mjModel *m, lfd_err *err)
{
    copy_arg a = {m, NULL, NULL};
    if (lfd_mj_call(make_data_cb, &a, err))
        return NULL;
    return a.d;
}

static void body_point(const mjData *d, int body, const double local[3], double out[3]);
static int find_support(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                        lfd_check_report *rep, lfd_err *err);
static int in_support(const lfd_check_report *rep, int f);

int lfd_checker_new(lfd_checker **out, const lfd_robot *r, lfd_err *err)
{
    lfd_mj_init();
    *out = NULL;
    lfd_checker *c = calloc(1, sizeof *c);
    if (!c)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    c->r = r;
    /* a copy of the model whose contact buffer holds self-collisions too */
    copy_arg a = {r->m, NULL, NULL};
    if (lfd_mj_call(copy_model_cb, &a, err)) {
        free(c);
        return err ? err->code : LFD_ENOMEM;
    }
    c->m = a.dst;
    if (c->m->nconmax < LFD_CHECK_NCONMAX)
        c->m->nconmax = LFD_CHECK_NCONMAX;
    if (c->m->njmax < 4 * LFD_CHECK_NCONMAX)
        c->m->njmax = 4 * LFD_CHECK_NCONMAX;
    const mjModel *m = c->m;
    c->nbody = m->nbody;
    c->pair_skip = calloc((size_t)m->nbody * (size_t)m->nbody, 1);
    c->body_foot = malloc((size_t)m->nbody * sizeof(int));
    if (!c->pair_skip || !c->body_foot) {
        lfd_checker_free(&c);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    for (int b1 = 0; b1 < m->nbody; b1++)
        for (int b2 = 0; b2 < m->nbody; b2++)
            c->pair_skip[b1 * m->nbody + b2] =
                b1 == b2 || b1 == 0 || b2 == 0 || lfd_robot_pair_excluded(r, b1, b2);
    for (int b = 0; b < m->nbody; b++)
        c->body_foot[b] = -1;
    /* feet: sole corners in the body frame, and the friction of sole on floor */
    double mu_floor = 0, mu_foot = 0;
    for (int g = 0; g < m->ngeom; g++)
        if (m->geom_bodyid[g] == 0 && m->geom_contype[g] | m->geom_conaffinity[g])
            mu_floor = fmax(mu_floor, m->geom_friction[3 * g]);
    for (int s = 0; s < 2; s++) {
        const lfd_robot_foot *ft = &r->feet[s];
        if (ft->body_id < 0)
            continue;
        c->body_foot[ft->body_id] = s;
        for (int k = 0; k < 4; k++) {
            c->corner[s][k][0] = ft->sole[k & 1 ? 1 : 0];
            c->corner[s][k][1] = ft->sole[k & 2 ? 3 : 2];
            c->corner[s][k][2] = ft->sole_z;
        }
        for (int g = 0; g < m->ngeom; g++)
            if (m->geom_bodyid[g] == ft->body_id)
                mu_foot = fmax(mu_foot, m->geom_friction[3 * g]);
    }
    /* MuJoCo takes the larger friction of the two geoms */
    c->mu = fmax(mu_floor, mu_foot);
    if (!(c->mu > 0))
        c->mu = 1.0;
    /* hands and feet whose Cartesian speed may be capped */
    for (int s = 0; s < 2; s++)
        if (r->hands[s].body_id >= 0) {
            int i = c->npoints++;
            c->point_body[i] = r->hands[s].body_id;
            memcpy(c->point_local[i], r->hands[s].offset, sizeof c->point_local[i]);
            snprintf(c->point_name[i], sizeof c->point_name[i], "%s hand", s ? "right" : "left");
            c->point_id[i] = s;
        }
    for (int s = 0; s < 2; s++)
        if (r->feet[s].body_id >= 0) {
            const lfd_robot_foot *ft = &r->feet[s];
            int i = c->npoints++;
            c->point_body[i] = ft->body_id;
            c->point_local[i][0] = 0.5 * (ft->sole[0] + ft->sole[1]);
            c->point_local[i][1] = 0.5 * (ft->sole[2] + ft->sole[3]);
            c->point_local[i][2] = ft->sole_z;
            snprintf(c->point_name[i], sizeof c->point_name[i], "%s foot", s ? "right" : "left");
            c->point_id[i] = 2 + s;
        }
    /* body weight and the CoM height of the default pose */
    double mass = 0;
    for (int b = 1; b < m->nbody; b++)
        mass += m->body_mass[b];
    c->weight_n = mass * fabs(m->opt.gravity[2] != 0 ? m->opt.gravity[2] : 9.81);
    mjData *d = make_data(m, err);
    if (!d) {
        lfd_checker_free(&c);
        return err ? err->code : LFD_ENOMEM;
    }
    memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    c->h_ref = d->subtree_com[3 * r->root_body + 2];
    if (!(c->h_ref > 0.1))
        c->h_ref = 1.0;
    mj_deleteData(d);
    /* finding keys: one per joint, body, body pair, foot, point or global item */
    int nj = r->njoints > 0 ? r->njoints : 1, nb = m->nbody;
    int sizes[LFD_CK_COUNT] = {
        [LFD_CK_RANGE] = nj,  [LFD_CK_VEL] = nj,          [LFD_CK_ACC] = nj,
        [LFD_CK_JERK] = nj,   [LFD_CK_TORQUE] = nj,       [LFD_CK_SELF] = nb * nb,
        [LFD_CK_FLOOR] = nb,  [LFD_CK_SLIDE] = 2,         [LFD_CK_FORCE] = 2,
        [LFD_CK_ZMP] = 1,     [LFD_CK_COM] = 1,           [LFD_CK_ASSIST] = 1,
        [LFD_CK_FALL] = 1,    [LFD_CK_TRACK_JOINT] = 1,   [LFD_CK_TRACK_ROOT] = 1,
        [LFD_CK_TRACK_ASSIST] = 1, [LFD_CK_SPEED] = LFD_CHECK_NPOINTS,
        [LFD_CK_NEEDS_SUPPORT] = 1, [LFD_CK_TRACK_SCUFF] = 2, [LFD_CK_TRACK_EDGE] = 2,
        [LFD_CK_CONTACTS] = 1, [LFD_CK_HOVER] = 2, [LFD_CK_TRACK_PIVOT] = 2};
    int k = 0;
    for (int i = 0; i < LFD_CK_COUNT; i++) {
        c->key_base[i] = k;
        k += sizes[i];
    }
    c->key_base[LFD_CK_COUNT] = k;
    *out = c;
    return LFD_OK;
}

/* ---- workspace ------------------------------------------------------------------------ */
void lfd_check_ws_free(lfd_check_ws **pws)
{
    if (!pws || !*pws)
        return;
    lfd_check_ws *ws = *pws;
    if (ws->d)
        mj_deleteData(ws->d);
    lfd_simloop_free(&ws->sim);
    free(ws); /* the struct heads its block */
    *pws = NULL;
}

/* the workspace's struct and arrays, in one block (lfd_arena); its mjData
   and simulation loop are their own */
static lfd_check_ws *ws_layout(lfd_arena *a, const lfd_checker *c, lfd_check_ws *ws)
{
    const mjModel *m = c->m;
    size_t nv = (size_t)(m->nv > 0 ? m->nv : 1);
    lfd_check_ws *head = lfd_arena_take(a, 1, sizeof *ws);
#define TAKE(p, n) ((p) = lfd_arena_take(a, (n), sizeof *(p)))
    for (int i = 0; i < 3; i++)
        TAKE(ws->vh[i], nv);
    TAKE(ws->qvel, nv);
    TAKE(ws->qacc, nv);
    TAKE(ws->acc_next, nv);
    TAKE(ws->f, nv);
    TAKE(ws->tau, nv);
    TAKE(ws->jacp, 3 * nv);
    TAKE(ws->jacr, 3 * nv);
    TAKE(ws->qpws, lfd_boxqp_ws_doubles(LFD_CHECK_QP_MAX));
    size_t nj = (size_t)(c->r->njoints > 0 ? c->r->njoints : 1);
    TAKE(ws->tq_B, nj * LFD_CHECK_QP_MAX);
    TAKE(ws->tq_0, nj);
    TAKE(ws->tq_v, nj);
    ws->nkeys = c->key_base[LFD_CK_COUNT];
    TAKE(ws->key_idx, (size_t)ws->nkeys);
    TAKE(ws->key_last, (size_t)ws->nkeys);
    TAKE(ws->key_first, (size_t)ws->nkeys);
    TAKE(ws->key_sev, (size_t)ws->nkeys);
    TAKE(ws->key_bad, (size_t)ws->nkeys);
    TAKE(ws->v0, nv);
    TAKE(ws->v1, nv);
    TAKE(ws->a0, nv);
    TAKE(ws->a1, nv);
    TAKE(ws->tmp1, nv);
    TAKE(ws->tmp2, nv);
#undef TAKE
    return head;
}

int lfd_check_ws_new(lfd_check_ws **out, const lfd_checker *c, lfd_err *err)
{
    *out = NULL;
    const mjModel *m = c->m;
    lfd_check_ws tmp = {0};
    lfd_arena a = {0};
    ws_layout(&a, c, &tmp);
    if (!lfd_arena_alloc(&a))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the check workspace");
    lfd_check_ws *ws = ws_layout(&a, c, &tmp); /* == block */
    *ws = tmp;
    ws->c = c;
    ws->nv = m->nv;
    ws->nq = m->nq;
    ws->d = make_data(m, err);
    if (!ws->d) {
        lfd_check_ws_free(&ws);
        return err ? err->code : LFD_ENOMEM;
    }
    int rc = lfd_simloop_new(&ws->sim, c->r, m, err);
    if (rc) {
        lfd_check_ws_free(&ws);
        return rc;
    }
    *out = ws;
    return LFD_OK;
}

/* ---- input ------------------------------------------------------------------------------- */
int lfd_check_input(const lfd_checker *c, const lfd_motion *mo, lfd_err *err)
{
    const lfd_robot *r = c->r;
    if (mo->nframes <= 0)
        return lfd_fail(err, LFD_EARG, "the motion has no frames (zero-length): nothing to check");
    if (!(mo->fps > 0) || !isfinite(mo->fps))
        return lfd_fail(err, LFD_EARG, "the motion's frame rate is %g: must be positive", mo->fps);
    int rc = lfd_motion_validate(mo, err);
    if (rc)
        return rc;
    rc = lfd_robot_motion_check(r, mo, err);
    if (rc)
        return rc;
    if (mo->nq != r->nq)
        return lfd_fail(err, LFD_EMISMATCH, "the motion has %d values per frame, robot %s has %d",
                        mo->nq, r->name, r->nq);
    return LFD_OK;
}

/* ---- geometry helpers ---------------------------------------------------------------------- */
/* world position of a point given in a body's frame */
static void body_point(const mjData *d, int body, const double local[3], double out[3])
{
    const double *R = d->xmat + 9 * body, *p = d->xpos + 3 * body;
    for (int i = 0; i < 3; i++)
        out[i] = p[i] + R[3 * i] * local[0] + R[3 * i + 1] * local[1] + R[3 * i + 2] * local[2];
}

static double cross2(const double o[2], const double a[2], const double b[2])
{
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

static int cmp_pt(const void *a, const void *b)
{
    const double *p = a, *q = b;
    if (p[0] != q[0])
        return p[0] < q[0] ? -1 : 1;
    return p[1] < q[1] ? -1 : p[1] > q[1];
}

/* convex hull (Andrew's monotone chain) of n <= 8 points in place: returns
   the hull size, counter-clockwise in h */
static int hull2(double (*pts)[2], int n, double (*h)[2])
{
    if (n <= 1) {
        if (n == 1)
            memcpy(h[0], pts[0], sizeof h[0]);
        return n;
    }
    qsort(pts, (size_t)n, sizeof pts[0], cmp_pt);
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross2(h[k - 2], h[k - 1], pts[i]) <= 1e-12)
            k--;
        memcpy(h[k++], pts[i], sizeof h[0]);
    }
    for (int i = n - 2, t = k + 1; i >= 0; i--) {
        while (k >= t && cross2(h[k - 2], h[k - 1], pts[i]) <= 1e-12)
            k--;
        memcpy(h[k++], pts[i], sizeof h[0]);
    }
    return k - 1;
}

/* signed distance of p to the convex polygon h (ccw, n points): positive
   inside (distance to the nearest edge), negative outside */
static double poly_margin(const double (*h)[2], int n, const double p[2])
{
    if (n <= 0)
        return NAN;
    if (n == 1)
        return -hypot(p[0] - h[0][0], p[1] - h[0][1]);
    double dmin = INFINITY;
    int inside = n >= 3;
    for (int i = 0; i < n; i++) {
        const double *a = h[i], *b = h[(i + 1) % n];
        dmin = fmin(dmin, lfd_util_seg_dist2d(p, a, b));
        if (n >= 3 && cross2(a, b, p) < 0)
            inside = 0;
    }
    return inside ? dmin : -dmin;
}

/* ---- the pass over the frames ------------------------------------------------------------------ */
typedef struct frame_ctx {
    const lfd_checker *c;
    lfd_check_ws *ws;
    const lfd_motion *mo;
    const lfd_check_opts *o;
    lfd_check_report *rep;
    double fps, dt;
    double slide_thr_m;
    double force_thr_n;
    double mu;
    double sum_tau2[LFD_ROBOT_MAX_JOINTS];
} frame_ctx;


/* range, velocity, acceleration and jerk of every joint at frame f */
static void check_joints(frame_ctx *x, int f, const double *q, int have_next, int have_acc,
                         int have_jerk)
{
    const lfd_robot *r = x->c->r;
    const lfd_check_opts *o = x->o;
    lfd_check_ws *ws = x->ws;
    lfd_check_report *rep = x->rep;
    const double *vnext = ws->vh[1];
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *jt = &r->joints[j];
        lfd_check_joint_stats *st = &rep->joint[j];
        double v = q[jt->qpos_adr];
        st->q_min = fmin(st->q_min, v);
        st->q_max = fmax(st->q_max, v);
        if (LFD_CHECK_ON(o, LFD_CG_RANGE)) {
            double mid = 0.5 * (jt->range_lo + jt->range_hi), half = 0.5 * (jt->range_hi - jt->range_lo);
            double slo = mid - o->range_soft * half, shi = mid + o->range_soft * half;
            double hlo = jt->range_lo + o->range_margin_rad, hhi = jt->range_hi - o->range_margin_rad;
            /* the hard test on its own: a margin wider than the soft band
               puts the hard limit inside it (found by review: G1's ankle
               roll at 0.22 rad passed --range-margin 0.05, whose limit is
               0.212, for lying inside the soft 0.236) */
            int fail = v > hhi || v < hlo;
            if (fail || v > shi || v < slo) {
                int up = fail ? v > hhi : v > shi;
                double lim = fail ? (up ? hhi : hlo) : (up ? shi : slo);
                double bad = up ? v - fmin(shi, hhi) : fmax(slo, hlo) - v;
                lfd_check_note(ws, rep, LFD_CK_RANGE, j, f, f, f, fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN,
                               v, lim, bad);
            }
        }
        int da = jt->dof_adr;
        if (have_next) {
            double vel = fabs(vnext[da]);
            st->vel_peak = fmax(st->vel_peak, vel);
            if (LFD_CHECK_ON(o, LFD_CG_VELOCITY) && jt->vel_max > 0 && vel > o->vel_soft * jt->vel_max) {
                /* at the limit (a retargeter that clamps to it) is not over it */
                int fail = vel > o->vel_hard * jt->vel_max * (1 + 1e-6);
                lfd_check_note(ws, rep, LFD_CK_VEL, j, f, f + 1, f, fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN,
                               vel, (fail ? o->vel_hard : o->vel_soft) * jt->vel_max, vel);
            }
        }
        if (have_acc) {
            double acc = fabs(ws->qacc[da]);
            st->acc_peak = fmax(st->acc_peak, acc);
            double amax = lfd_check_acc_limit(jt, o);
            if (LFD_CHECK_ON(o, LFD_CG_VELOCITY) && amax > 0 && acc > o->acc_soft * amax) {
                /* at the limit is not over it, as for the velocity */
                int fail = acc > o->acc_hard * amax * (1 + 1e-6);
                lfd_check_note(ws, rep, LFD_CK_ACC, j, f, f, f, fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN,
                               acc, (fail ? o->acc_hard : o->acc_soft) * amax, acc);
            }
        }
        if (have_jerk) {
            double jerk = fabs(ws->acc_next[da] - ws->qacc[da]) * x->fps;
            st->jerk_peak = fmax(st->jerk_peak, jerk);
            if (LFD_CHECK_ON(o, LFD_CG_VELOCITY) && o->jerk_max_rad_s3 > 0 && jerk > o->jerk_max_rad_s3)
                lfd_check_note(ws, rep, LFD_CK_JERK, j, f, f + 1, f, LFD_CHECK_WARN, jerk,
                               o->jerk_max_rad_s3, jerk);
        }
    }
}

/* self-collisions and floor penetration from MuJoCo's contacts */
static void check_contacts(frame_ctx *x, int f)
{
    const lfd_checker *c = x->c;
    const mjModel *m = c->m;
    const mjData *d = x->ws->d;
    const lfd_check_opts *o = x->o;
    lfd_check_report *rep = x->rep;
    /* a full buffer: MuJoCo dropped the contacts past it (mjWARN_CONTACTFULL),
       so a collision or a depth this frame may go unseen.  A gate cannot
       pass what it did not check: the frame fails.  (The built-in robots
       make at most about 60 contacts, sunk into the floor or folded up.) */
    if (d->ncon >= m->nconmax)
        lfd_check_note(x->ws, rep, LFD_CK_CONTACTS, 0, f, f, f, LFD_CHECK_FAIL, d->ncon,
                       m->nconmax, d->ncon);
    for (int i = 0; i < d->ncon; i++) {
        const mjContact *con = &d->contact[i];
        double depth = -con->dist;
        if (!(depth > 0))
            continue;
        int b1 = m->geom_bodyid[con->geom1], b2 = m->geom_bodyid[con->geom2];
        if (b1 == 0 || b2 == 0) {
            /* a robot body in the floor (or any static geom of the world) */
            int b = b1 ? b1 : b2;
            if (!b)
                continue;
            rep->floor_depth_max_m = fmax(rep->floor_depth_max_m, depth);
            if (LFD_CHECK_ON(o, LFD_CG_FLOOR) && depth > o->floor_warn_m) {
                int fail = depth > o->floor_fail_m;
                lfd_check_note(x->ws, rep, LFD_CK_FLOOR, b, f, f, f,
                               fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN, depth,
                               fail ? o->floor_fail_m : o->floor_warn_m, depth);
            }
            continue;
        }
        if (c->pair_skip[b1 * c->nbody + b2])
            continue;
        rep->self_depth_max_m = fmax(rep->self_depth_max_m, depth);
        if (LFD_CHECK_ON(o, LFD_CG_SELF) && depth > o->self_warn_m) {
            int lo = b1 < b2 ? b1 : b2, hi = b1 < b2 ? b2 : b1;
            int fail = depth > o->self_fail_m;
            lfd_check_note(x->ws, rep, LFD_CK_SELF, lo * c->nbody + hi, f, f, f,
                           fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN, depth,
                           fail ? o->self_fail_m : o->self_warn_m, depth);
        }
    }
}

/* The torque term's weight against the wrench's (both per unit: body
   weight, torque limit): small enough that the wrench the split supplies
   moves by under 0.1 % of body weight (0.05 % on the walks), large enough
   to outweigh the QP's regularisation. */
#define CHECK_QP_EPS 1e-6 /* the contact QPs' regularisation, per unit force squared */
#define CHECK_SPLIT_TORQUE_W 1e-5
#define CHECK_SPLIT_HEAVY_AT 0.9 /* a joint past this share of its limit ... */
#define CHECK_SPLIT_HEAVY 10.0   /* ... weighs this much more in the next solve */
#define CHECK_SPLIT_ROUNDS 3     /* solves at most */

static int torque_limited(const lfd_robot_joint *J)
{
    return J->torque_max > 0 && isfinite(J->torque_max);
}

static int qp_exact_if_stalled(int n, const double *H, const double *g, double *x, int bad, int converged);

/* Two feet on the floor share the ground wrench in many ways, and the
   joint torques depend on the share (one foot carried on its toe asks its
   ankle for the load x the toe's lever).  Of the splits that supply the
   wrench the first QP supplied, the one asking the least of the joints
   for their limits: what a controller distributing the load would choose
   (lfd's own tracking controller does, BAL_ANKLE_TAU).  In ws->x, from
   the first split. */
static void split_for_torque(frame_ctx *x, int n, const int *col_foot, const int *col_corner,
                             double (*col_e)[3], double corners[2][4][3])
{
    const lfd_checker *c = x->c;
    const lfd_robot *r = c->r;
    const mjModel *m = c->m;
    lfd_check_ws *ws = x->ws;
    mjData *d = ws->d;
    int nv = m->nv, nt = 0;
    double W = c->weight_n, wt = CHECK_SPLIT_TORQUE_W;
    for (int j = 0; j < r->njoints; j++)
        if (torque_limited(&r->joints[j]))
            ws->tq_0[nt++] = ws->f[r->joints[j].dof_adr] / r->joints[j].torque_max;
    if (nt == 0)
        return;
    /* B: column i's joint torques per limit; a force e at corner p asks
       -J_p^T e of the joints (J_p the point's Jacobian) */
    for (int i = 0; i < n; i++) {
        if (i == 0 || col_corner[i] != col_corner[i - 1] || col_foot[i] != col_foot[i - 1])
            mj_jac(m, d, ws->jacp, ws->jacr, corners[col_foot[i]][col_corner[i]],
                   r->feet[col_foot[i]].body_id);
        for (int j = 0, t = 0; j < r->njoints; j++) {
            const lfd_robot_joint *J = &r->joints[j];
            if (!torque_limited(J))
                continue;
            int q = J->dof_adr;
            ws->tq_B[t++ * LFD_CHECK_QP_MAX + i] =
                -W * (ws->jacp[q] * col_e[i][0] + ws->jacp[nv + q] * col_e[i][1] +
                      ws->jacp[2 * nv + q] * col_e[i][2]) / J->torque_max;
        }
    }
    /* min |A x - A x1|^2 + w_t sum_t v_t (tau0_t + B_t x)^2 + eps |x|^2 (the
       first QP's Hessian A'A + eps plus the torque rows),
       x >= 0; a joint still past CHECK_SPLIT_HEAVY_AT of its limit gets
       CHECK_SPLIT_HEAVY times its weight v_t and the QP is solved again
       (CHECK_SPLIT_ROUNDS solves at most), so the split spares the joints
       nearest their limits (as BAL_ANKLE_TAU does in the tracking
       controller); the solve whose largest torque per limit is lowest is
       kept */
    memcpy(ws->H1, ws->H, (size_t)(n * n) * sizeof(double));
    memcpy(ws->x1, ws->x, (size_t)n * sizeof(double));
    /* the wrench's part of the gradient: -A'A x1 */
    for (int i = 0; i < n; i++) {
        double s = -CHECK_QP_EPS * ws->x1[i];
        for (int j = 0; j < n; j++)
            s += ws->H1[i * n + j] * ws->x1[j];
        ws->g1[i] = -s;
    }
    for (int t = 0; t < nt; t++)
        ws->tq_v[t] = 1;
    double peak_best = INFINITY;
    for (int round = 0; round < CHECK_SPLIT_ROUNDS; round++) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double st = 0;
                for (int t = 0; t < nt; t++)
                    st += ws->tq_v[t] * ws->tq_B[t * LFD_CHECK_QP_MAX + i] *
                          ws->tq_B[t * LFD_CHECK_QP_MAX + j];
                ws->H[i * n + j] = ws->H[j * n + i] = ws->H1[i * n + j] + wt * st;
            }
            double st = 0;
            for (int t = 0; t < nt; t++)
                st += ws->tq_v[t] * ws->tq_B[t * LFD_CHECK_QP_MAX + i] * ws->tq_0[t];
            ws->g[i] = ws->g1[i] + wt * st;
        }
        lfd_boxqp_result qr;
        int bad = lfd_boxqp_solve(n, ws->H, ws->g, ws->lo, ws->hi, ws->x, 50, 1e-10, ws->qpws, &qr);
        /* stalled, its split was its warm start's: the torques at a frame
           then depended on where the check began (H1's bandai1 walk,
           frame 76: right ankle 41.8 N m from frame 73 or before, 37.9
           from 74 on) */
        if (qp_exact_if_stalled(n, ws->H, ws->g, ws->x, bad, qr.converged)) {
            memcpy(ws->x, ws->x1, (size_t)n * sizeof(double));
            return;
        }
        int heavier = 0;
        double peak = 0;
        for (int t = 0; t < nt; t++) {
            double tau = ws->tq_0[t];
            for (int i = 0; i < n; i++)
                tau += ws->tq_B[t * LFD_CHECK_QP_MAX + i] * ws->x[i];
            peak = fmax(peak, fabs(tau));
            if (fabs(tau) > CHECK_SPLIT_HEAVY_AT) {
                ws->tq_v[t] *= CHECK_SPLIT_HEAVY;
                heavier = 1;
            }
        }
        if (round == 0 || peak < peak_best) {
            peak_best = peak;
            memcpy(ws->x2, ws->x, (size_t)n * sizeof(double));
        }
        if (!heavier)
            break;
    }
    memcpy(ws->x, ws->x2, (size_t)n * sizeof(double));
}

/* The exact minimiser of 0.5 x'H x + g'x over x >= 0 (n <= LFD_CHECK_QP_MAX,
   H positive definite) by Lawson and Hanson's active-set method for
   non-negative least squares ("Solving Least Squares Problems", 1974,
   ch. 23), written on H and g: a variable joins the free set by the largest
   descent, and the step back to the last feasible point drops those that
   reach zero.  Used where the projected Newton method stalls (below).
   Returns 0, or -1 if a free block is not positive definite or it does not
   finish within maxit. */
static int nnls_hg(int n, const double *H, const double *g, double *x, int maxit)
{
    unsigned char P[LFD_CHECK_QP_MAX];
    double z[LFD_CHECK_QP_MAX], L[LFD_CHECK_QP_MAX * LFD_CHECK_QP_MAX], b[LFD_CHECK_QP_MAX];
    int idx[LFD_CHECK_QP_MAX];
    memset(P, 0, sizeof P);
    for (int i = 0; i < n; i++)
        x[i] = 0;
    for (int it = 0; it < maxit; it++) {
        /* the fixed variable whose increase lowers the objective most */
        int jmax = -1;
        double wmax = 1e-12;
        for (int j = 0; j < n; j++) {
            if (P[j])
                continue;
            double w = -g[j];
            for (int k = 0; k < n; k++)
                w -= H[j * n + k] * x[k];
            if (w > wmax) {
                wmax = w;
                jmax = j;
            }
        }
        if (jmax < 0)
            return 0; /* no fixed variable would lower it: the minimum */
        P[jmax] = 1;
        for (int inner = 0; inner <= n; inner++) {
            /* the unconstrained minimiser on the free set */
            int m = 0;
            for (int j = 0; j < n; j++)
                if (P[j])
                    idx[m++] = j;
            for (int a = 0; a < m; a++) {
                for (int c = 0; c < m; c++)
                    L[a * m + c] = H[idx[a] * n + idx[c]];
                b[a] = -g[idx[a]];
            }
            if (lfd_util_chol_factor(L, m))
                return -1;
            lfd_util_chol_solve(L, m, b);
            for (int j = 0; j < n; j++)
                z[j] = 0;
            int feasible = 1;
            for (int a = 0; a < m; a++) {
                z[idx[a]] = b[a];
                feasible &= b[a] > 0;
            }
            if (feasible) {
                memcpy(x, z, (size_t)n * sizeof(double));
                break;
            }
            /* back along x -> z to where the first free variable reaches zero */
            double alpha = 1;
            for (int a = 0; a < m; a++) {
                int j = idx[a];
                if (z[j] <= 0) {
                    double t = x[j] / (x[j] - z[j]);
                    alpha = t < alpha ? t : alpha;
                }
            }
            for (int j = 0; j < n; j++) {
                x[j] += alpha * (z[j] - x[j]);
                if (P[j] && x[j] <= 1e-15) {
                    P[j] = 0;
                    x[j] = 0;
                }
            }
        }
    }
    return -1;
}

/* 0.5 x'H x + g'x */
static double qp_objective(int n, const double *H, const double *g, const double *x)
{
    double f = 0;
    for (int i = 0; i < n; i++) {
        double h = 0;
        for (int j = 0; j < n; j++)
            h += H[i * n + j] * x[j];
        f += x[i] * (0.5 * h + g[i]);
    }
    return f;
}

/* After lfd_boxqp_solve on x >= 0 (bad: it failed; converged: its result):
   where it failed or stalled, the exact minimiser (nnls_hg) replaces x
   unless the solver's own point is lower.  The projected Newton method
   stalls on these QPs (H of rank 6 plus a small ridge), and a stalled
   point is the solver's history (the warm start), not the frame's.
   Returns 0, or -1 when neither gives a point (bad and nnls_hg failed). */
static int qp_exact_if_stalled(int n, const double *H, const double *g, double *x, int bad, int converged)
{
    if (!bad && converged)
        return 0;
    double xw[LFD_CHECK_QP_MAX];
    memcpy(xw, x, (size_t)n * sizeof(double));
    if (nnls_hg(n, H, g, x, 4 * n + 8) == 0) {
        if (!bad && qp_objective(n, H, g, xw) < qp_objective(n, H, g, x))
            memcpy(x, xw, (size_t)n * sizeof(double));
        return 0;
    }
    memcpy(x, xw, (size_t)n * sizeof(double));
    return bad ? -1 : 0;
}

/* The ground wrench: splits the root rows of the generalized force over the
   loaded sole corners (friction pyramids, so each sole's centre of pressure
   stays inside it), subtracts the foot wrenches from the joint rows (ws->tau)
   and returns the external help needed as a share of body weight.  corners
   are the world positions, active which corners carry load. */
static double ground_wrench(frame_ctx *x, int f, double corners[2][4][3],
                            unsigned char active[2][4], double foot_fz[2], double zmp[2],
                            int *zmp_ok, double com[3], double hover[2], double hover_z[2])
{
    const lfd_checker *c = x->c;
    const lfd_robot *r = c->r;
    const mjModel *m = c->m;
    lfd_check_ws *ws = x->ws;
    mjData *d = ws->d;
    int nv = m->nv;
    double W = c->weight_n, h = c->h_ref, mu = x->mu;
    memcpy(com, d->subtree_com + 3 * r->root_body, 3 * sizeof(double));

    /* the required root wrench as a world wrench (force, moment about the
       CoM): root rows b = G w with G from the root body's Jacobian at the CoM */
    double G[36], w[6];
    mj_jac(m, d, ws->jacp, ws->jacr, com, r->root_body);
    int ra = m->jnt_dofadr[m->body_jntadr[r->root_body]];
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 3; k++) {
            G[6 * i + k] = ws->jacp[k * nv + ra + i];
            G[6 * i + 3 + k] = ws->jacr[k * nv + ra + i];
        }
    for (int i = 0; i < 6; i++)
        w[i] = ws->f[ra + i];
    if (lfd_util_lu_solve(G, w, 6))
        memset(w, 0, sizeof w);

    /* zero-moment point of the required wrench on the floor (z = 0) */
    *zmp_ok = 0;
    if (w[2] > 0.05 * W) {
        zmp[0] = com[0] - (w[4] + com[2] * w[0]) / w[2];
        zmp[1] = com[1] + (w[3] - com[2] * w[1]) / w[2];
        *zmp_ok = 1;
    }

    /* QP columns: pyramid edges at the loaded corners, in units of body
       weight (force) and body weight x h_ref (moment about the CoM) */
    static const double tdir[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    double en = 1.0 / sqrt(1 + mu * mu);
    int n = 0;
    int col_foot[LFD_CHECK_QP_MAX], col_corner[LFD_CHECK_QP_MAX];
    double col_e[LFD_CHECK_QP_MAX][3];
    int same = 1;
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 4; k++) {
            if (active[s][k] != ws->active_prev[s][k])
                same = 0;
            if (!active[s][k])
                continue;
            const double *p = corners[s][k];
            for (int e = 0; e < 4; e++) {
                double ev[3] = {mu * tdir[e][0] * en, mu * tdir[e][1] * en, en};
                double rr[3] = {p[0] - com[0], p[1] - com[1], p[2] - com[2]};
                double *a = ws->A + 6 * n;
                a[0] = ev[0];
                a[1] = ev[1];
                a[2] = ev[2];
                a[3] = (rr[1] * ev[2] - rr[2] * ev[1]) / h;
                a[4] = (rr[2] * ev[0] - rr[0] * ev[2]) / h;
                a[5] = (rr[0] * ev[1] - rr[1] * ev[0]) / h;
                col_foot[n] = s;
                col_corner[n] = k;
                memcpy(col_e[n], ev, sizeof ev);
                n++;
            }
        }
    memcpy(ws->active_prev, active, sizeof ws->active_prev);
    double bhat[6] = {w[0] / W, w[1] / W, w[2] / W, w[3] / (W * h), w[4] / (W * h), w[5] / (W * h)};
    double res[6];
    memcpy(res, bhat, sizeof res);
    if (n > 0) {
        /* min |A x - b|^2 + eps |x|^2 subject to x >= 0 */
        for (int i = 0; i < n; i++) {
            const double *ai = ws->A + 6 * i;
            for (int j = 0; j <= i; j++) {
                const double *aj = ws->A + 6 * j;
                double s = 0;
                for (int k = 0; k < 6; k++)
                    s += ai[k] * aj[k];
                ws->H[i * n + j] = ws->H[j * n + i] = s;
            }
            ws->H[i * n + i] += CHECK_QP_EPS;
            double s = 0;
            for (int k = 0; k < 6; k++)
                s += ai[k] * bhat[k];
            ws->g[i] = -s;
            ws->lo[i] = 0;
            ws->hi[i] = INFINITY;
            ws->x[i] = same ? ws->xprev[i] : 0;
        }
        lfd_boxqp_result qr;
        int bad = lfd_boxqp_solve(n, ws->H, ws->g, ws->lo, ws->hi, ws->x, 50, 1e-10, ws->qpws, &qr);
        /* The projected Newton method can stall on its warm start from the
           frame before (H is A'A, of rank 6, plus a small ridge), and from
           zero too: the help was then the solver's history, not the
           motion's (H1's mixamo walk at frame 44 read 0.32 body weights
           after the frames before it, 0.17 solved from zero and 0.015 at
           the minimum; G1's frame 42 0.059 and 0.00).  There the exact
           active-set solution (nnls_hg) is taken, unless its objective is
           worse. */
        if (qp_exact_if_stalled(n, ws->H, ws->g, ws->x, bad, qr.converged))
            memset(ws->x, 0, (size_t)n * sizeof(double));
        memcpy(ws->xprev, ws->x, (size_t)n * sizeof(double));
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 6; k++)
                res[k] -= ws->A[6 * i + k] * ws->x[i];
    }
    double assist = fmax(sqrt(res[0] * res[0] + res[1] * res[1] + res[2] * res[2]),
                         sqrt(res[3] * res[3] + res[4] * res[4] + res[5] * res[5]));
    if (x->rep->s_wrench && f < x->rep->series_frames) {
        double *sw = x->rep->s_wrench + 12 * (size_t)f;
        for (int k = 0; k < 3; k++) {
            sw[k] = bhat[k] * W;
            sw[3 + k] = bhat[3 + k] * W * h;
            sw[6 + k] = res[k] * W;
            sw[9 + k] = res[3 + k] * W * h;
        }
    }
    int feet_on = 0;
    for (int i = 0; i < n; i++)
        feet_on |= 1 << col_foot[i];
    if (feet_on == 3)
        split_for_torque(x, n, col_foot, col_corner, col_e, corners);

    /* joint torques: subtract each foot's wrench (about its body origin) */
    memcpy(ws->tau, ws->f, (size_t)nv * sizeof(double));
    foot_fz[0] = foot_fz[1] = 0;
    hover[0] = hover[1] = hover_z[0] = hover_z[1] = 0;
    for (int s = 0; s < 2; s++) {
        double F[3] = {0, 0, 0}, M[3] = {0, 0, 0};
        int any = 0;
        int fb = r->feet[s].body_id;
        if (fb < 0)
            continue;
        const double *o = d->xpos + 3 * fb;
        for (int i = 0; i < n; i++) {
            if (col_foot[i] != s)
                continue;
            any = 1;
            const double *p = corners[s][col_corner[i]];
            double fv[3] = {col_e[i][0] * ws->x[i] * W, col_e[i][1] * ws->x[i] * W,
                            col_e[i][2] * ws->x[i] * W};
            double rr[3] = {p[0] - o[0], p[1] - o[1], p[2] - o[2]};
            F[0] += fv[0];
            F[1] += fv[1];
            F[2] += fv[2];
            M[0] += rr[1] * fv[2] - rr[2] * fv[1];
            M[1] += rr[2] * fv[0] - rr[0] * fv[2];
            M[2] += rr[0] * fv[1] - rr[1] * fv[0];
            /* load on a corner that does not touch the floor (a foot landing
               heel first, a sole tilted on its edge): counted, and stated */
            if (p[2] > x->rep->opts.hover_height_m && fv[2] > 0) {
                hover[s] += fv[2] / W;
                hover_z[s] = fmax(hover_z[s], p[2]);
            }
        }
        if (!any)
            continue;
        foot_fz[s] = F[2];
        mj_jac(m, d, ws->jacp, ws->jacr, o, fb);
        for (int i = 0; i < nv; i++)
            ws->tau[i] -= ws->jacp[i] * F[0] + ws->jacp[nv + i] * F[1] + ws->jacp[2 * nv + i] * F[2] +
                          ws->jacr[i] * M[0] + ws->jacr[nv + i] * M[1] + ws->jacr[2 * nv + i] * M[2];
    }
    return assist;
}

/* everything that needs the pose's kinematics */
static int check_pose(frame_ctx *x, int f, const double *q)
{
    const lfd_checker *c = x->c;
    const lfd_robot *r = c->r;
    const mjModel *m = c->m;
    const lfd_check_opts *o = x->o;
    lfd_check_ws *ws = x->ws;
    lfd_check_report *rep = x->rep;
    mjData *d = ws->d;
    int nv = m->nv;

    /* kinematics, and collisions when self or floor checks run */
    memcpy(d->qpos, q, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    if (LFD_CHECK_ON(o, LFD_CG_SELF) || LFD_CHECK_ON(o, LFD_CG_FLOOR)) {
        mj_collision(m, d);
        check_contacts(x, f);
    }

    /* sole corners: which carry load, and how far they slid */
    double corners[2][4][3];
    unsigned char active[2][4] = {{0}};
    int support = 0;
    for (int s = 0; s < 2; s++) {
        int fb = r->feet[s].body_id;
        if (fb < 0)
            continue;
        double slide = INFINITY;
        int both = 0;
        /* a corner carries load when it is within the contact height of the
           floor and (sole_tilt_m > 0) within sole_tilt_m of the foot's lowest
           corner: a sole tilted onto its toe, heel or side rests on that edge */
        double zlow = INFINITY;
        for (int k = 0; k < 4; k++) {
            body_point(d, fb, c->corner[s][k], corners[s][k]);
            zlow = fmin(zlow, corners[s][k][2]);
        }
        for (int k = 0; k < 4; k++) {
            active[s][k] = corners[s][k][2] < o->contact_height_m &&
                           (!(o->sole_tilt_m > 0) || corners[s][k][2] <= zlow + o->sole_tilt_m);
            if (active[s][k] && f > 0 && ws->active_prev_c[s][k]) {
                both = 1;
                slide = fmin(slide, hypot(corners[s][k][0] - ws->corner_prev[s][k][0],
                                          corners[s][k][1] - ws->corner_prev[s][k][1]));
            }
            if (active[s][k])
                support |= 1 << s;
        }
        if (both) {
            rep->slide_max_m = fmax(rep->slide_max_m, slide);
            if (LFD_CHECK_ON(o, LFD_CG_FLOOR) && slide > x->slide_thr_m)
                lfd_check_note(ws, rep, LFD_CK_SLIDE, s, f - 1, f, f, LFD_CHECK_WARN, slide,
                               x->slide_thr_m, slide);
        }
    }
    memcpy(ws->corner_prev, corners, sizeof corners);
    memcpy(ws->active_prev_c, active, sizeof active);
    if (support)
        rep->support_frames++;
    if (rep->s_contact)
        rep->s_contact[f] = (unsigned char)support;

    /* Cartesian speed of hands and feet over the last frame interval */
    for (int i = 0; i < c->npoints; i++) {
        double p[3];
        body_point(d, c->point_body[i], c->point_local[i], p);
        if (f > 0) {
            double v = lfd_v3_dist(p, ws->point_prev[i]) * x->fps;
            if (v > rep->speed_max_m_s) {
                rep->speed_max_m_s = v;
                rep->speed_point = c->point_id[i];
            }
            if (LFD_CHECK_ON(o, LFD_CG_SPEED) && o->speed_cap_m_s > 0 && v > o->speed_cap_m_s)
                lfd_check_note(ws, rep, LFD_CK_SPEED, i, f - 1, f, f, LFD_CHECK_FAIL, v,
                               o->speed_cap_m_s, v);
        }
        memcpy(ws->point_prev[i], p, sizeof p);
    }

    if (!LFD_CHECK_ON(o, LFD_CG_TORQUE) && !LFD_CHECK_ON(o, LFD_CG_BALANCE) && !LFD_CHECK_ON(o, LFD_CG_FLOOR))
        return LFD_OK;

    /* dynamics: f = M qdd + c (mj_rne) + armature qdd - passive */
    memcpy(d->qvel, ws->qvel, (size_t)nv * sizeof(double));
    memcpy(d->qacc, ws->qacc, (size_t)nv * sizeof(double));
    mj_comVel(m, d);
    mj_passive(m, d);
    mj_rne(m, d, 1, ws->f);
    for (int i = 0; i < nv; i++)
        ws->f[i] += m->dof_armature[i] * ws->qacc[i] - d->qfrc_passive[i];

    if (r->floating) {
        double fz[2], zmp[2], com[3];
        int zmp_ok;
        double hover[2], hover_z[2];
        double assist = ground_wrench(x, f, corners, active, fz, zmp, &zmp_ok, com, hover, hover_z);
        /* support polygon of the loaded corners */
        double pts[8][2], hull[9][2];
        int np = 0;
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < 4; k++)
                if (active[s][k]) {
                    pts[np][0] = corners[s][k][0];
                    pts[np][1] = corners[s][k][1];
                    np++;
                }
        int nh = hull2(pts, np, hull);
        double zm = zmp_ok && nh > 0 ? poly_margin((const double(*)[2])hull, nh, zmp) : NAN;
        double cm = nh > 0 ? poly_margin((const double(*)[2])hull, nh, com) : NAN;
        if (rep->s_zmp_margin) {
            rep->s_zmp_margin[f] = zm;
            rep->s_com_margin[f] = cm;
            rep->s_assist[f] = assist;
        }
        if (LFD_CHECK_ON(o, LFD_CG_BALANCE)) {
            if (!isnan(zm)) {
                rep->zmp_margin_min_m = isnan(rep->zmp_margin_min_m) ? zm : fmin(rep->zmp_margin_min_m, zm);
                if (-zm > o->zmp_tol_m)
                    lfd_check_note(ws, rep, LFD_CK_ZMP, 0, f, f, f, LFD_CHECK_WARN, -zm, o->zmp_tol_m, -zm);
            }
            if (!isnan(cm)) {
                rep->com_margin_min_m = isnan(rep->com_margin_min_m) ? cm : fmin(rep->com_margin_min_m, cm);
                if (-cm > o->zmp_tol_m)
                    lfd_check_note(ws, rep, LFD_CK_COM, 0, f, f, f, LFD_CHECK_INFO, -cm, o->zmp_tol_m, -cm);
            }
            /* frames no foot support carries: stated (needs_support), not failed */
            int supported = in_support(rep, f);
            if (supported)
                rep->assist_supported_max = fmax(rep->assist_supported_max, assist);
            else
                rep->assist_max = fmax(rep->assist_max, assist);
            if (assist > o->assist_warn && !supported) {
                rep->assist_frames++;
                int fail = assist > o->assist_fail;
                lfd_check_note(ws, rep, LFD_CK_ASSIST, 0, f, f, f,
                               fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN, assist,
                               fail ? o->assist_fail : o->assist_warn, assist);
                int ki = ws->key_idx[c->key_base[LFD_CK_ASSIST]];
                if (ki >= 0 && !support)
                    rep->finding[ki].aux |= 1;
            }
        }
        if (LFD_CHECK_ON(o, LFD_CG_BALANCE)) {
            rep->hover_load_max = fmax(rep->hover_load_max, hover[0] + hover[1]);
            rep->hover_frames += hover[0] + hover[1] > o->assist_warn;
            for (int s = 0; s < 2; s++) {
                if (!(hover[s] > o->assist_warn))
                    continue;
                lfd_check_note(ws, rep, LFD_CK_HOVER, s, f, f, f, LFD_CHECK_INFO, hover[s],
                               o->assist_warn, hover[s]);
                int ki = ws->key_idx[c->key_base[LFD_CK_HOVER] + s];
                int hz = (int)fmin(1e9, hover_z[s] * 1e4 + 0.5);
                if (ki >= 0 && hz > rep->finding[ki].aux)
                    rep->finding[ki].aux = hz;
            }
        }
        for (int s = 0; s < 2; s++) {
            rep->foot_force_max_n = fmax(rep->foot_force_max_n, fz[s]);
            if (LFD_CHECK_ON(o, LFD_CG_FLOOR) && fz[s] > x->force_thr_n)
                lfd_check_note(ws, rep, LFD_CK_FORCE, s, f, f, f, LFD_CHECK_WARN, fz[s], x->force_thr_n,
                               fz[s]);
        }
    } else {
        memcpy(ws->tau, ws->f, (size_t)nv * sizeof(double));
    }

    /* joint torques against the actuator limits */
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *jt = &r->joints[j];
        double t = ws->tau[jt->dof_adr], a = fabs(t);
        lfd_check_joint_stats *st = &rep->joint[j];
        if (rep->s_torque)
            rep->s_torque[(size_t)f * (size_t)r->njoints + (size_t)j] = t;
        if (!LFD_CHECK_ON(o, LFD_CG_TORQUE))
            continue;
        x->sum_tau2[j] += t * t;
        if (a > st->torque_peak) {
            st->torque_peak = a;
            st->torque_peak_frame = f;
        }
        if (jt->torque_max > 0 && a > o->torque_soft * jt->torque_max) {
            int fail = a > o->torque_hard * jt->torque_max;
            lfd_check_note(ws, rep, LFD_CK_TORQUE, j, f, f, f, fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN,
                           a, (fail ? o->torque_hard : o->torque_soft) * jt->torque_max, a);
        }
    }
    return LFD_OK;
}

static int alloc_series(lfd_check_report *rep, int n, int nj)
{
    lfd_check_report_free_series(rep);
    size_t N = (size_t)n;
    rep->s_torque = calloc(N * (size_t)(nj > 0 ? nj : 1), sizeof(double));
    rep->s_zmp_margin = malloc(N * sizeof(double));
    rep->s_com_margin = malloc(N * sizeof(double));
    rep->s_assist = malloc(N * sizeof(double));
    rep->s_wrench = malloc(N * 12 * sizeof(double));
    rep->s_track_err = malloc(N * sizeof(double));
    rep->s_track_root = malloc(N * sizeof(double));
    rep->s_contact = calloc(N, 1);
    if (!rep->s_torque || !rep->s_zmp_margin || !rep->s_com_margin || !rep->s_assist ||
        !rep->s_wrench || !rep->s_track_err || !rep->s_track_root || !rep->s_contact) {
        lfd_check_report_free_series(rep);
        return LFD_ENOMEM;
    }
    for (size_t i = 0; i < N; i++)
        rep->s_zmp_margin[i] = rep->s_com_margin[i] = rep->s_assist[i] = rep->s_track_err[i] =
            rep->s_track_root[i] = NAN;
    for (size_t i = 0; i < 12 * N; i++)
        rep->s_wrench[i] = NAN;
    rep->series_frames = n;
    return LFD_OK;
}

static void reset_report(lfd_check_report *rep, const lfd_checker *c, const lfd_motion *mo,
                         const lfd_check_opts *o)
{
    /* keep the series buffers, reset everything else */
    double *keep[7] = {rep->s_torque, rep->s_zmp_margin, rep->s_com_margin,
                       rep->s_assist, rep->s_track_err, rep->s_track_root, rep->s_wrench};
    unsigned char *keepc = rep->s_contact;
    int keepn = rep->series_frames;
    memset(rep, 0, sizeof *rep);
    rep->s_torque = keep[0];
    rep->s_zmp_margin = keep[1];
    rep->s_com_margin = keep[2];
    rep->s_assist = keep[3];
    rep->s_track_err = keep[4];
    rep->s_track_root = keep[5];
    rep->s_wrench = keep[6];
    rep->s_contact = keepc;
    rep->series_frames = keepn;
    snprintf(rep->robot, sizeof rep->robot, "%s", c->r->name);
    rep->nframes = mo->nframes;
    rep->fps = mo->fps;
    rep->duration_s = lfd_motion_duration_s(mo);
    rep->opts = *o;
    rep->checks = o->checks;
    rep->njoints = c->r->njoints;
    for (int j = 0; j < rep->njoints; j++) {
        rep->joint[j].q_min = INFINITY;
        rep->joint[j].q_max = -INFINITY;
    }
    rep->zmp_margin_min_m = rep->com_margin_min_m = NAN;
    rep->speed_point = -1;
    rep->weight_n = c->weight_n;
    rep->track.fall_frame = -1;
    rep->track.effort_joint = -1;
}

int lfd_check_motion(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                     const lfd_check_opts *opts, lfd_check_report *rep, lfd_err *err)
{
    double t0 = lfd_now_s();
    lfd_check_opts def;
    if (!opts) {
        lfd_check_opts_init(&def);
        opts = &def;
    }
    int rc = lfd_check_opts_validate(opts, err);
    if (rc)
        return rc;
    if ((rc = lfd_check_input(c, mo, err)))
        return rc;
    const lfd_robot *r = c->r;
    const mjModel *m = c->m;
    int n = mo->nframes, nv = m->nv;
    reset_report(rep, c, mo, opts);
    if (opts->series) {
        if (alloc_series(rep, n, r->njoints))
            return lfd_fail(err, LFD_ENOMEM, "out of memory for %d frames of series", n);
    } else {
        lfd_check_report_free_series(rep);
    }
    for (int k = 0; k < ws->nkeys; k++) {
        ws->key_idx[k] = -1;
        ws->key_last[k] = INT_MIN / 2;
        ws->key_sev[k] = LFD_CHECK_INFO;
        ws->key_bad[k] = 0;
    }
    memset(ws->active_prev, 0, sizeof ws->active_prev);
    if (LFD_CHECK_ON(opts, LFD_CG_BALANCE) && (rc = find_support(c, ws, mo, rep, err)))
        return rc;

    frame_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.ws = ws;
    x.mo = mo;
    x.o = opts;
    x.rep = rep;
    x.fps = mo->fps;
    x.dt = 1.0 / mo->fps;
    /* slide: slide_warn_m per frame at 30 fps is a speed; per frame at this rate */
    x.slide_thr_m = opts->slide_warn_m * 30.0 / mo->fps;
    x.force_thr_n = fmax(opts->contact_force_n, opts->contact_force_bw * c->weight_n);
    rep->foot_force_limit_n = x.force_thr_n;
    x.mu = opts->friction > 0 ? opts->friction : c->mu;
    int need_pose = (opts->checks & ~((1u << LFD_CG_RANGE) | (1u << LFD_CG_VELOCITY) |
                                      (1u << LFD_CG_TRACK))) != 0;

    /* rolling half-step velocities: vh[0] = f-1..f, vh[1] = f..f+1, vh[2] = f+1..f+2 */
    if (n > 1)
        mj_differentiatePos(m, ws->vh[1], x.dt, lfd_motion_frame(mo, 0), lfd_motion_frame(mo, 1));
    if (n > 2)
        mj_differentiatePos(m, ws->vh[2], x.dt, lfd_motion_frame(mo, 1), lfd_motion_frame(mo, 2));
    for (int f = 0; f < n; f++) {
        const double *q = lfd_motion_frame(mo, f);
        int has_prev = f > 0, has_next = f + 1 < n;
        /* velocity, acceleration at f, acceleration at f+1 (for jerk) */
        for (int i = 0; i < nv; i++) {
            double a = ws->vh[0][i], b = ws->vh[1][i];
            ws->qvel[i] = has_prev && has_next ? 0.5 * (a + b) : has_prev ? a : has_next ? b : 0;
            ws->acc_next[i] = f + 2 < n ? (ws->vh[2][i] - b) * x.fps : 0;
            /* the end frames take their neighbour's acceleration (the last
               frame keeps the value of the frame before) */
            if (has_prev && has_next)
                ws->qacc[i] = (b - a) * x.fps;
            else if (!has_prev)
                ws->qacc[i] = ws->acc_next[i];
            else if (n < 3)
                ws->qacc[i] = 0;
        }
        check_joints(&x, f, q, has_next, n >= 3, has_prev && f + 2 < n);
        if (need_pose && (rc = check_pose(&x, f, q)))
            return lfd_fail(err, rc, "frame %d: checking failed", f);
        /* shift the half-step velocities */
        double *t = ws->vh[0];
        ws->vh[0] = ws->vh[1];
        ws->vh[1] = ws->vh[2];
        ws->vh[2] = t;
        if (f + 3 < n)
            mj_differentiatePos(m, ws->vh[2], x.dt, lfd_motion_frame(mo, f + 2),
                                lfd_motion_frame(mo, f + 3));
    }
    if (r->floating && !need_pose)
        rep->zmp_margin_min_m = rep->com_margin_min_m = NAN;
    for (int j = 0; j < r->njoints; j++)
        rep->joint[j].torque_rms = sqrt(x.sum_tau2[j] / n);
    char warn[256];
    if (lfd_mj_take_error(warn, sizeof warn))
        return lfd_fail(err, LFD_ENUMERIC, "MuJoCo error while checking: %s", warn);

    /* the tracking simulation */
    if (LFD_CHECK_ON(opts, LFD_CG_TRACK)) {
        rc = lfd_check_track_run(c, ws, mo, opts, rep, err);
        if (rc)
            return rc;
    }
    for (int i = 0; i < rep->support.nranges; i++) {
        const lfd_support_range *sr = &rep->support.r[i];
        double sec = (sr->last - sr->first + 1) / mo->fps;
        lfd_check_note(ws, rep, LFD_CK_NEEDS_SUPPORT, 0, sr->first, sr->last, sr->first,
                       LFD_CHECK_WARN, sec, 0, sec);
        int ki = ws->key_idx[c->key_base[LFD_CK_NEEDS_SUPPORT]];
        if (ki >= 0)
            rep->finding[ki].aux |= sr->why;
        /* the next range is a finding of its own */
        ws->key_idx[c->key_base[LFD_CK_NEEDS_SUPPORT]] = -1;
    }
    lfd_check_finalize_findings(c, rep);
    rep->verdict = rep->nfail ? LFD_CHECK_FAIL : rep->nwarn ? LFD_CHECK_WARN : LFD_CHECK_PASS;
    rep->wall_s = lfd_now_s() - t0;
    return LFD_OK;
}

/* Needs support: the rule of ingest/lfd_support.h on the robot's motion
   (the same call as the retarget report's, so both give the same ranges). */
static int find_support(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                        lfd_check_report *rep, lfd_err *err)
{
    memset(&rep->support, 0, sizeof rep->support);
    return lfd_support_from_robot(c->r, c->m, ws->d, mo, &rep->support, err);
}

static int in_support(const lfd_check_report *rep, int f)
{
    for (int i = 0; i < rep->support.nranges; i++)
        if (f >= rep->support.r[i].first && f <= rep->support.r[i].last)
            return 1;
    return 0;
}

int lfd_check_run(const lfd_robot *r, const lfd_motion *m, const lfd_check_opts *o,
                  lfd_check_report *rep, lfd_err *err)
{
    lfd_checker *c = NULL;
    lfd_check_ws *ws = NULL;
    int rc = lfd_checker_new(&c, r, err);
    if (!rc)
        rc = lfd_check_ws_new(&ws, c, err);
    if (!rc)
        rc = lfd_check_motion(c, ws, m, o, rep, err);
    lfd_check_ws_free(&ws);
    lfd_checker_free(&c);
    return rc;
}
