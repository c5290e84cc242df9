/*  lfd_ik: whole-body IK by box-constrained Gauss-Newton (see lfd_ik.h). */
#include "retarget/lfd_ik.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_boxqp.h"
#include "core/lfd_quat.h"
#include "core/lfd_util.h"
#include "core/lfd_v2d.h"
#include "robots/lfd_mj.h"

/* a run's chain restricted to the QP's variables is kept per task, floor
   point and pair: list t for task t, LIST_FLOOR + i for floor point i,
   LIST_PAIR + i for pair i */
#define LIST_FLOOR LFD_IK_MAX_TASKS
#define LIST_PAIR (LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR)
#define NLIST (LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR + LFD_IK_MAX_PAIRS)
#define MAXRUN (2 * LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR + LFD_IK_MAX_PAIRS)
#define LIST_ARRAYS 5 /* a list's ints per dof (active_cols) */

struct lfd_ik_ws {
    mjData *d;
    int maxrows;
    /* the linearisation's rows in runs on one chain (a task's three or six
       rows, a floor point's or pair's one), each over the chain's QP
       variables only (a held dof's column is never formed): run i has
       run_k[i] rows and run_nr[i] columns, column c the QP's variable
       run_ri[i][c] (increasing; run_seg[i][c] ends its stretch of
       consecutive ones, active_cols); its values are
       J[run_off[i] + j * run_nr[i] + c] for row j, column c (a row's values
       side by side) */
    const int *run_ri[MAXRUN], *run_seg[MAXRUN];
    int run_nr[MAXRUN], run_k[MAXRUN], run_off[MAXRUN];
    /* the lists: NLIST x LIST_ARRAYS x nv ints, list l's dofs at
       cols + LIST_ARRAYS nv l, their QP variables nv further, then for each
       column c the end of the stretch of consecutive QP variables from c on,
       then the columns' joints and kinds (active_cols); ncols[l] of them,
       -1 until formed for the active dofs in cols_aidx */
    int *cols;
    int ncols[NLIST];
    int *cols_aidx; /* nv: the aidx the lists are for */
    mjContact *con; /* mjMAXCONPAIR: one narrow-phase call's contacts */
    double *J;      /* maxrows x nv: the runs' values (a chain has nv columns at most) */
    double *e;      /* maxrows: the rows' residuals, in the runs' order */
    double *jacp;   /* 3 x nv */
    double *jacr;   /* 3 x nv */
    double *H;      /* nv x nv */
    double *g, *lo, *hi, *dq, *dqs; /* nv */
    double *q, *qtrial;             /* nq */
    double *qpws;   /* box QP workspace */
    int *act;       /* nv: the active dofs, increasing (the QP's variables) */
    int *aidx;      /* nv: a dof's index among them, -1 when held */
    unsigned char *kin_on;          /* nbody: the bodies the kinematics computes */
    int kin_geom[2 * LFD_IK_MAX_PAIRS], nkin_geom; /* and the pairs' geoms */
    int kin_n[3];                   /* the solver's ntask, nfloor, npair they are for */
    /* kin_on's bodies in order, each with its joints' qpos addresses [qa, qe) */
    int *kin_body, *kin_qa, *kin_qe, nkin_body;
    double *kin_q;                  /* nq: the configuration ws->d's kinematics are of */
    unsigned char *kin_redo;        /* nbody: the bodies eval_at recomputes, */
    int redo_geom[2 * LFD_IK_MAX_PAIRS]; /* and the geoms */
    unsigned char *gmat_stale;      /* ngeom: geom_xmat not yet of the kinematics in ws->d */
    int *cap_k;                     /* ngeom: each geom's capsule (geom_capsule_shape) */
    double *cap_half, *cap_r;
    int pair_g[2 * LFD_IK_MAX_PAIRS];  /* each pair's geoms, */
    double pair_rb[LFD_IK_MAX_PAIRS];  /* the sum of their bounding radii */
    double pair_m[LFD_IK_MAX_PAIRS];   /* the frame's margins (margins_plan), */
    double pair_r2[LFD_IK_MAX_PAIRS];  /* the squares of the reaches: radii plus margin */
    double task_p[3 * LFD_IK_MAX_TASKS];  /* at the last evaluation: each task's point, */
    double task_w[3 * LFD_IK_MAX_TASKS];  /* its rotation error, */
    double floor_p[3 * LFD_IK_MAX_FLOOR]; /* each floor point, */
    int pair_near[LFD_IK_MAX_PAIRS], npair_near; /* the pairs with a contact, increasing, */
    double pair_d[LFD_IK_MAX_PAIRS];      /* their distances */
    double pair_pn[6 * LFD_IK_MAX_PAIRS]; /* ... and their deepest contacts' points and normals */
};

void lfd_ik_config_init(lfd_ik_config *c)
{
    *c = (lfd_ik_config){1e-4, 1e-3, 100.0, 6, 1e-6, 0.01, 30.0, 0.0, 0.0};
}

/* the solver's struct and its per-dof tables, in one block (lfd_arena) */
static lfd_ik *ik_layout(lfd_arena *a, const mjModel *m, lfd_ik *ik)
{
    size_t nv = (size_t)m->nv;
    lfd_ik *head = lfd_arena_take(a, 1, sizeof *ik);
    ik->q_default = lfd_arena_take(a, (size_t)m->nq, sizeof(double));
    ik->dof_lo = lfd_arena_take(a, nv, sizeof(double));
    ik->dof_hi = lfd_arena_take(a, nv, sizeof(double));
    ik->dof_vmax = lfd_arena_take(a, nv, sizeof(double));
    ik->dof_posture = lfd_arena_take(a, nv, sizeof(double));
    ik->dof_continuity = lfd_arena_take(a, nv, sizeof(double));
    ik->dof_qadr = lfd_arena_take(a, nv, sizeof(int));
    ik->dof_active = lfd_arena_take(a, nv, 1);
    ik->pairs = lfd_arena_take(a, LFD_IK_MAX_PAIRS, sizeof *ik->pairs);
    return head;
}

int lfd_ik_new(lfd_ik **out, const mjModel *m, const lfd_ik_config *cfg, lfd_err *err)
{
    *out = NULL;
    lfd_ik tmp = {0};
    lfd_arena a = {0};
    ik_layout(&a, m, &tmp);
    if (!lfd_arena_alloc(&a))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the IK solver");
    lfd_ik *ik = ik_layout(&a, m, &tmp); /* == block */
    *ik = tmp;
    ik->m = m;
    ik->nq = m->nq;
    ik->nv = m->nv;
    if (cfg)
        ik->cfg = *cfg;
    else
        lfd_ik_config_init(&ik->cfg);
    memcpy(ik->q_default, m->qpos0, (size_t)m->nq * sizeof(double));
    for (int i = 0; i < m->nv; i++) {
        int j = m->dof_jntid[i];
        int type = m->jnt_type[j];
        int one = type == mjJNT_HINGE || type == mjJNT_SLIDE;
        ik->dof_qadr[i] = one ? m->jnt_qposadr[j] : -1;
        ik->dof_lo[i] = one && m->jnt_limited[j] ? m->jnt_range[2 * j] : -INFINITY;
        ik->dof_hi[i] = one && m->jnt_limited[j] ? m->jnt_range[2 * j + 1] : INFINITY;
        ik->dof_vmax[i] = INFINITY;
        ik->dof_posture[i] = one ? 1.0 : 0.0;
        ik->dof_continuity[i] = 1.0;
        ik->dof_active[i] = 1;
    }
    *out = ik;
    return LFD_OK;
}

void lfd_ik_free(lfd_ik **pik)
{
    if (!pik || !*pik)
        return;
    free(*pik); /* the struct heads its block */
    *pik = NULL;
}

/* the dofs on the path from body to the world, in increasing order */
static int body_chain(const mjModel *m, int body, int *chain, lfd_err *err)
{
    int n = 0, tmp[LFD_IK_MAX_CHAIN];
    int b = body;
    while (b > 0 && m->body_dofnum[b] == 0)
        b = m->body_parentid[b];
    int dof = b > 0 ? m->body_dofadr[b] + m->body_dofnum[b] - 1 : -1;
    for (; dof >= 0; dof = m->dof_parentid[dof]) {
        if (n == LFD_IK_MAX_CHAIN)
            return lfd_fail(err, LFD_ELIMIT, "body %d is moved by more than %d dofs", body,
                            LFD_IK_MAX_CHAIN);
        tmp[n++] = dof;
    }
    for (int i = 0; i < n; i++)
        chain[i] = tmp[n - 1 - i];
    return n;
}

int lfd_ik_add_task(lfd_ik *ik, int body, const double offset[3], const double rot_offset[4],
                    double pos_weight, double rot_weight, lfd_err *err)
{
    if (ik->ntask >= LFD_IK_MAX_TASKS)
        return lfd_fail(err, LFD_ELIMIT, "more than %d IK tasks", LFD_IK_MAX_TASKS);
    if (body < 1 || body >= ik->m->nbody)
        return lfd_fail(err, LFD_EARG, "IK task on body %d: no such body", body);
    if (!(pos_weight >= 0) || !(rot_weight >= 0))
        return lfd_fail(err, LFD_EARG, "IK task weights must be >= 0");
    lfd_ik_task *t = &ik->tasks[ik->ntask];
    int nc = body_chain(ik->m, body, t->chain, err);
    if (nc < 0)
        return nc;
    t->nchain = nc;
    t->body = body;
    if (offset)
        memcpy(t->offset, offset, sizeof t->offset);
    else
        memset(t->offset, 0, sizeof t->offset);
    if (rot_offset) {
        memcpy(t->rot_offset, rot_offset, sizeof t->rot_offset);
        lfd_quat_normalize(t->rot_offset);
    } else {
        lfd_quat_identity(t->rot_offset);
    }
    t->pos_weight = pos_weight;
    t->rot_weight = rot_weight;
    return ik->ntask++;
}

int lfd_ik_add_floor_point(lfd_ik *ik, int body, const double offset[3], lfd_err *err)
{
    if (ik->nfloor >= LFD_IK_MAX_FLOOR)
        return lfd_fail(err, LFD_ELIMIT, "more than %d IK floor points", LFD_IK_MAX_FLOOR);
    if (body < 1 || body >= ik->m->nbody)
        return lfd_fail(err, LFD_EARG, "IK floor point on body %d: no such body", body);
    int nc = body_chain(ik->m, body, ik->floor[ik->nfloor].chain, err);
    if (nc < 0)
        return nc;
    ik->floor[ik->nfloor].nchain = nc;
    ik->floor[ik->nfloor].body = body;
    memcpy(ik->floor[ik->nfloor].offset, offset, 3 * sizeof(double));
    return ik->nfloor++;
}

static int primitive(int type)
{
    return type == mjGEOM_SPHERE || type == mjGEOM_CAPSULE || type == mjGEOM_ELLIPSOID ||
           type == mjGEOM_CYLINDER || type == mjGEOM_BOX;
}

int lfd_ik_add_clearance(lfd_ik *ik, int geom1, int geom2, lfd_err *err)
{
    const mjModel *m = ik->m;
    if (ik->npair >= LFD_IK_MAX_PAIRS)
        return lfd_fail(err, LFD_ELIMIT, "more than %d IK clearance pairs", LFD_IK_MAX_PAIRS);
    if (geom1 < 0 || geom1 >= m->ngeom || geom2 < 0 || geom2 >= m->ngeom)
        return lfd_fail(err, LFD_EARG, "IK clearance pair %d/%d: no such geom", geom1, geom2);
    if (m->geom_type[geom1] > m->geom_type[geom2]) {
        int t = geom1;
        geom1 = geom2;
        geom2 = t;
    }
    int t1 = m->geom_type[geom1], t2 = m->geom_type[geom2];
    if (!primitive(t1) || !primitive(t2) || !mjCOLLISIONFUNC[t1][t2])
        return lfd_fail(err, LFD_EUNSUPPORTED, "IK clearance pair %d/%d: geom types %d/%d have no "
                        "primitive narrow phase", geom1, geom2, t1, t2);
    lfd_ik_pair *p = &ik->pairs[ik->npair];
    p->geom1 = geom1;
    p->geom2 = geom2;
    p->body1 = m->geom_bodyid[geom1];
    p->body2 = m->geom_bodyid[geom2];
    if (p->body1 == p->body2)
        return lfd_fail(err, LFD_EARG, "IK clearance pair %d/%d: same body", geom1, geom2);
    /* the union of the two chains, increasing (the normal equations need it sorted) */
    int c1[LFD_IK_MAX_CHAIN], c2[LFD_IK_MAX_CHAIN];
    int n1 = body_chain(m, p->body1, c1, err), n2 = n1 < 0 ? -1 : body_chain(m, p->body2, c2, err);
    if (n1 < 0 || n2 < 0)
        return n1 < 0 ? n1 : n2;
    int i = 0, j = 0, n = 0;
    while (i < n1 || j < n2) {
        int v = j >= n2 || (i < n1 && c1[i] <= c2[j]) ? c1[i++] : c2[j++];
        if (n == 0 || p->chain[n - 1] != v)
            p->chain[n++] = v;
    }
    p->nchain = n;
    p->margin_m = ik->cfg.clear_m;
    return ik->npair++;
}

/* The pairs' geoms are posed in two steps: geom_xpos with the bodies (the
   bounding spheres' test of every pair reads it), geom_xmat when a pair
   comes near (pair_dist_near) or the solver returns: most pairs never do.
   The figures are lfd_mj_kinematics_some's for a listed geom, by the same
   operations. */
static void geoms_pose(const mjModel *m, lfd_ik_ws *ws, const int *geom, int ngeom)
{
    mjData *d = ws->d;
    for (int k = 0; k < ngeom; k++) {
        int g = geom[k], b = m->geom_bodyid[g];
        const double *R = d->xmat + 9 * b, *pp = d->xpos + 3 * b, *gp = m->geom_pos + 3 * g;
        double *gx = d->geom_xpos + 3 * g;
        for (int a = 0; a < 3; a++)
            gx[a] = pp[a] + R[3 * a] * gp[0] + R[3 * a + 1] * gp[1] + R[3 * a + 2] * gp[2];
        ws->gmat_stale[g] = 1;
    }
}

static inline void geom_mat(const mjModel *m, lfd_ik_ws *ws, int g)
{
    if (!ws->gmat_stale[g])
        return;
    double q[4];
    lfd_quat_mul(q, ws->d->xquat + 4 * m->geom_bodyid[g], m->geom_quat + 4 * g);
    lfd_quat_to_mat(ws->d->geom_xmat + 9 * g, q);
    ws->gmat_stale[g] = 0;
}

/* every pair geom's geom_xmat, as the solver leaves ws->d (lfd_ik_ws_data) */
static void geoms_finish(const mjModel *m, lfd_ik_ws *ws)
{
    for (int k = 0; k < ws->nkin_geom; k++)
        geom_mat(m, ws, ws->kin_geom[k]);
}

/* A capsule that holds geom g in its own frame: the segment +- half along
   local axis k and radius r.  A capsule is its own; a cylinder lies inside
   the capsule of its axis and radius; a box inside the capsule along its
   longest axis with the half-diagonal of its other two as radius; anything
   else inside its bounding sphere (k = -1).  Figures of the model, kept per
   geom in the workspace (geom_capsule). */
static void geom_capsule_shape(const mjModel *m, int g, int *k, double *half, double *r)
{
    const double *sz = m->geom_size + 3 * g;
    *k = -1; /* the local axis along the segment */
    *half = 0;
    *r = m->geom_rbound[g];
    switch (m->geom_type[g]) {
    case mjGEOM_CAPSULE: /* size: radius, half-length along z */
    case mjGEOM_CYLINDER:
        *k = 2;
        *half = sz[1];
        *r = sz[0];
        break;
    case mjGEOM_BOX: /* size: half-sizes along x, y, z */
        *k = sz[0] >= sz[1] && sz[0] >= sz[2] ? 0 : sz[1] >= sz[2] ? 1 : 2;
        *half = sz[*k];
        *r = hypot(sz[(*k + 1) % 3], sz[(*k + 2) % 3]);
        break;
    default:
        break;
    }
}

/* geom g's capsule (geom_capsule_shape) posed in d: the segment c +- h and
   radius r */
static void geom_capsule(const lfd_ik_ws *ws, const mjData *d, int g, const double **c, double h[3],
                         double *r)
{
    const double *R = d->geom_xmat + 9 * g;
    int k = ws->cap_k[g];
    double half = ws->cap_half[g];
    *c = d->geom_xpos + 3 * g;
    *r = ws->cap_r[g];
    for (int a = 0; a < 3; a++)
        h[a] = k < 0 ? 0 : R[3 * a + k] * half; /* column k of the row-major xmat: local axis k */
}

/* The distance between the segments c1 +- h1 and c2 +- h2: the closest
   pair of points by clamping the parameters of the two lines' closest
   points, as in C. Ericson, "Real-Time Collision Detection" (2005), 5.1.9. */
static double seg_seg_dist(const double *c1, const double *h1, const double *c2, const double *h2)
{
    double p1[3], p2[3], d1[3], d2[3], r[3];
    for (int a = 0; a < 3; a++) {
        p1[a] = c1[a] - h1[a], d1[a] = 2 * h1[a];
        p2[a] = c2[a] - h2[a], d2[a] = 2 * h2[a];
        r[a] = p1[a] - p2[a];
    }
    double A = lfd_v3_dot(d1, d1), E = lfd_v3_dot(d2, d2), F = lfd_v3_dot(d2, r), s = 0, t = 0;
    const double eps = 1e-12;
    if (A > eps || E > eps) {
        double C = lfd_v3_dot(d1, r);
        if (A <= eps) {
            t = fmin(fmax(F / E, 0), 1);
        } else if (E <= eps) {
            s = fmin(fmax(-C / A, 0), 1);
        } else {
            double B = lfd_v3_dot(d1, d2), den = A * E - B * B;
            s = den > 0 ? fmin(fmax((B * F - C * E) / den, 0), 1) : 0;
            t = (B * s + F) / E;
            if (t < 0) {
                t = 0;
                s = fmin(fmax(-C / A, 0), 1);
            } else if (t > 1) {
                t = 1;
                s = fmin(fmax((B - C) / A, 0), 1);
            }
        }
    }
    double w[3];
    for (int a = 0; a < 3; a++)
        w[a] = r[a] + s * d1[a] - t * d2[a];
    return sqrt(lfd_v3_dot(w, w));
}

/* pair_dist for a pair whose bounding spheres come within the margin */
static double pair_dist_near(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_pair *p, double margin,
                             const mjContact **best)
{
    const mjModel *m = ik->m;
    const mjData *d = ws->d;
    /* the narrow phase only where the two geoms' bounding capsules come
       within the margin (a nanometre of slack for rounding): the bounding
       spheres of an upper arm and the torso box overlap in most frames,
       their capsules rarely, and MuJoCo's capsule-box test is the IK's
       dearest call (on H1's 144 pairs 14 % of a retargeting's instructions
       went to pairs).  Beyond the margin the narrow phase reports nothing,
       so this changes no result. */
    const double *c1, *c2;
    double h1[3], h2[3], r1, r2;
    geom_mat(m, ws, p->geom1);
    geom_mat(m, ws, p->geom2);
    geom_capsule(ws, d, p->geom1, &c1, h1, &r1);
    geom_capsule(ws, d, p->geom2, &c2, h2, &r2);
    if (seg_seg_dist(c1, h1, c2, h2) - r1 - r2 > margin + 1e-9)
        return INFINITY;
    int n = mjCOLLISIONFUNC[m->geom_type[p->geom1]][m->geom_type[p->geom2]](m, d, ws->con, p->geom1,
                                                                             p->geom2, margin);
    double dist = INFINITY;
    for (int i = 0; i < n && i < mjMAXCONPAIR; i++)
        if (ws->con[i].dist < dist) {
            dist = ws->con[i].dist;
            *best = &ws->con[i];
        }
    return dist;
}

/* signed distance of a clearance pair (< 0: penetrating) and its deepest
   contact in ws->con, or +inf (best NULL) when the pair is beyond the
   margin.  Most pairs are: their bounding spheres' test is inline, so the
   IK's cost makes no call for them (0.23 G of the procedural walk's 6.9 G
   instructions went to those calls). */
static inline double pair_dist(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_pair *p, double margin,
                               const mjContact **best)
{
    const mjModel *m = ik->m;
    double dv[3];
    lfd_v3_sub(dv, ws->d->geom_xpos + 3 * p->geom1, ws->d->geom_xpos + 3 * p->geom2);
    double reach = m->geom_rbound[p->geom1] + m->geom_rbound[p->geom2] + margin;
    *best = NULL;
    if (lfd_v3_dot(dv, dv) > reach * reach)
        return INFINITY;
    return pair_dist_near(ik, ws, p, margin, best);
}

/* the workspace's struct and arrays, in one block (lfd_arena); its mjData is MuJoCo's own */
static lfd_ik_ws *ws_layout(lfd_arena *a, const lfd_ik *ik, lfd_ik_ws *ws)
{
    size_t nv = (size_t)ik->nv, nq = (size_t)ik->nq;
    lfd_ik_ws *head = lfd_arena_take(a, 1, sizeof *ws);
    ws->maxrows = 6 * LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR + LFD_IK_MAX_PAIRS;
    ws->con = lfd_arena_take(a, mjMAXCONPAIR, sizeof(mjContact));
    ws->J = lfd_arena_take(a, (size_t)ws->maxrows * nv, sizeof(double));
    ws->e = lfd_arena_take(a, (size_t)ws->maxrows, sizeof(double));
    ws->jacp = lfd_arena_take(a, 3 * nv, sizeof(double));
    ws->jacr = lfd_arena_take(a, 3 * nv, sizeof(double));
    ws->H = lfd_arena_take(a, nv * nv, sizeof(double));
    ws->g = lfd_arena_take(a, nv, sizeof(double));
    ws->lo = lfd_arena_take(a, nv, sizeof(double));
    ws->hi = lfd_arena_take(a, nv, sizeof(double));
    ws->dq = lfd_arena_take(a, nv, sizeof(double));
    ws->dqs = lfd_arena_take(a, nv, sizeof(double));
    ws->q = lfd_arena_take(a, nq, sizeof(double));
    ws->qtrial = lfd_arena_take(a, nq, sizeof(double));
    ws->qpws = lfd_arena_take(a, lfd_boxqp_ws_doubles(ik->nv), sizeof(double));
    ws->act = lfd_arena_take(a, nv, sizeof(int));
    ws->aidx = lfd_arena_take(a, nv, sizeof(int));
    ws->cols = lfd_arena_take(a, (size_t)NLIST * LIST_ARRAYS * nv, sizeof(int));
    ws->cols_aidx = lfd_arena_take(a, nv, sizeof(int));
    ws->kin_on = lfd_arena_take(a, (size_t)ik->m->nbody, 1);
    ws->kin_body = lfd_arena_take(a, (size_t)ik->m->nbody, sizeof(int));
    ws->kin_qa = lfd_arena_take(a, (size_t)ik->m->nbody, sizeof(int));
    ws->kin_qe = lfd_arena_take(a, (size_t)ik->m->nbody, sizeof(int));
    ws->kin_q = lfd_arena_take(a, nq, sizeof(double));
    ws->kin_redo = lfd_arena_take(a, (size_t)ik->m->nbody, 1);
    ws->gmat_stale = lfd_arena_take(a, (size_t)ik->m->ngeom, 1);
    ws->cap_k = lfd_arena_take(a, (size_t)ik->m->ngeom, sizeof(int));
    ws->cap_half = lfd_arena_take(a, (size_t)ik->m->ngeom, sizeof(double));
    ws->cap_r = lfd_arena_take(a, (size_t)ik->m->ngeom, sizeof(double));
    return head;
}

int lfd_ik_ws_new(lfd_ik_ws **out, const lfd_ik *ik, lfd_err *err)
{
    *out = NULL;
    lfd_ik_ws tmp = {0};
    lfd_arena a = {0};
    ws_layout(&a, ik, &tmp);
    if (!lfd_arena_alloc(&a))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the IK workspace");
    lfd_ik_ws *ws = ws_layout(&a, ik, &tmp); /* == block */
    *ws = tmp;
    ws->kin_n[0] = -1; /* no plan yet */
    for (int i = 0; i < ik->nv; i++)
        ws->cols_aidx[i] = -2; /* no lists yet (no dof's aidx is -2) */
    for (int g = 0; g < ik->m->ngeom; g++)
        geom_capsule_shape(ik->m, g, &ws->cap_k[g], &ws->cap_half[g], &ws->cap_r[g]);
    ws->d = lfd_mj_make_data_kin(ik->m);
    if (!ws->d) {
        free(ws);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the IK workspace's mjData");
    }
    *out = ws;
    return LFD_OK;
}

void lfd_ik_ws_free(lfd_ik_ws **pws)
{
    if (!pws || !*pws)
        return;
    if ((*pws)->d)
        mj_deleteData((*pws)->d);
    free(*pws); /* the struct heads its block */
    *pws = NULL;
}

mjData *lfd_ik_ws_data(lfd_ik_ws *ws) { return ws->d; }


/* world position of a body point and world orientation of a task frame */
static void task_point(const mjData *d, int body, const double off[3], double p[3])
{
    const double *R = d->xmat + 9 * body;
    lfd_mat3_mulv(p, R, off);
    lfd_v3_add(p, p, d->xpos + 3 * body);
}

static void task_quat(const mjData *d, const lfd_ik_task *t, double q[4])
{
    lfd_quat_mul(q, d->xquat + 4 * t->body, t->rot_offset);
}

/* world rotation vector w with exp(w) R_cur = R_target */
static void rot_error(const double qt[4], const double qc[4], double w[3])
{
    double c[4], d[4];
    lfd_quat_conj(c, qc);
    lfd_quat_mul(d, qt, c);
    lfd_quat_to_rotvec(w, d);
}

static double weight(const double *w, int k, double def) { return w ? w[k] : def; }

/* the clearance pair i keeps in this frame */
static inline double pair_margin(const lfd_ik *ik, const lfd_ik_frame *fr, int i)
{
    double own = ik->pairs[i].margin_m; /* the smaller (both finite: fmin without its call) */
    return fr && fr->pair_margin && fr->pair_margin[i] < own ? fr->pair_margin[i] : own;
}

static void kin_plan(const lfd_ik *ik, lfd_ik_ws *ws);

int lfd_ik_pair_margins_at(const lfd_ik *ik, lfd_ik_ws *ws, const double *qpos, double *margin)
{
    /* only the pairs' geoms and their bodies are posed (what pair_dist reads) */
    kin_plan(ik, ws);
    memcpy(ws->d->qpos, qpos, (size_t)ik->nq * sizeof(double));
    lfd_mj_kinematics_some(ik->m, ws->d, ws->kin_on, ws->kin_geom, ws->nkin_geom);
    const double *gx = ws->d->geom_xpos;
    for (int i = 0; i < ik->npair; i++) {
        /* pair_dist, its bounding spheres' test on kin_plan's table */
        double own = ik->pairs[i].margin_m, dv[3], reach = ws->pair_rb[i] + own;
        lfd_v3_sub(dv, gx + 3 * ws->pair_g[2 * i], gx + 3 * ws->pair_g[2 * i + 1]);
        if (lfd_v3_dot(dv, dv) > reach * reach) {
            margin[i] = own; /* the distance is infinite */
            continue;
        }
        const mjContact *con;
        margin[i] = fmin(own, pair_dist_near(ik, ws, &ik->pairs[i], own, &con));
    }
    return ik->npair;
}

/* cost at the kinematics currently in ws->d, with q the configuration */
int lfd_ik_fit_clearance(lfd_ik *ik, const double *qpos, lfd_err *err)
{
    lfd_ik_ws *ws;
    int rc = lfd_ik_ws_new(&ws, ik, err);
    if (rc)
        return rc;
    memcpy(ws->d->qpos, qpos, (size_t)ik->nq * sizeof(double));
    mj_kinematics(ik->m, ws->d);
    for (int i = 0; i < ik->npair; i++) {
        const mjContact *con;
        double dist = pair_dist(ik, ws, &ik->pairs[i], ik->pairs[i].margin_m, &con);
        if (dist < ik->pairs[i].margin_m)
            ik->pairs[i].margin_m = dist;
    }
    lfd_ik_ws_free(&ws);
    return LFD_OK;
}

static double cost_here(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr, const double *q)
{
    const mjData *d = ws->d;
    double c = 0;
    for (int k = 0; k < ik->ntask; k++) {
        const lfd_ik_task *t = &ik->tasks[k];
        double wp = weight(fr->pos_w, k, t->pos_weight), wr = weight(fr->rot_w, k, t->rot_weight);
        /* the task's point and rotation error are kept for the linearisation
           at this configuration */
        double *p = ws->task_p + 3 * k, *w = ws->task_w + 3 * k;
        if (wp > 0 || (wr > 0 && fr->quat))
            task_point(d, t->body, t->offset, p);
        if (wp > 0) {
            double dv[3];
            lfd_v3_sub(dv, fr->pos + 3 * k, p);
            c += wp * wp * lfd_v3_dot(dv, dv);
        }
        if (wr > 0 && fr->quat) {
            double qc[4];
            task_quat(d, t, qc);
            rot_error(fr->quat + 4 * k, qc, w);
            c += wr * wr * lfd_v3_dot(w, w);
        }
    }
    for (int i = 0; i < ik->nfloor; i++) {
        double *p = ws->floor_p + 3 * i;
        task_point(d, ik->floor[i].body, ik->floor[i].offset, p);
        double pen = ik->floor_z - p[2];
        if (pen > 0)
            c += ik->cfg.floor_weight * ik->cfg.floor_weight * pen * pen;
    }
    /* pair_dist with its bounding spheres' test on kin_plan's table of the
       pairs' geoms and radii (most pairs end there) */
    const double *gx = d->geom_xpos;
    ws->npair_near = 0;
    for (int i = 0; i < ik->npair; i++) {
        double dv[3];
        lfd_v3_sub(dv, gx + 3 * ws->pair_g[2 * i], gx + 3 * ws->pair_g[2 * i + 1]);
        if (lfd_v3_dot(dv, dv) > ws->pair_r2[i])
            continue; /* no contact: nothing to linearise, no cost */
        double margin = ws->pair_m[i];
        const mjContact *con = NULL;
        double dist = pair_dist_near(ik, ws, &ik->pairs[i], margin, &con), miss = margin - dist;
        if (miss > 0)
            c += ik->cfg.clear_weight * ik->cfg.clear_weight * miss * miss;
        /* kept for the linearisation at this configuration */
        ws->pair_d[i] = con ? dist : INFINITY;
        if (con) {
            memcpy(ws->pair_pn + 6 * i, con->pos, 3 * sizeof(double));
            memcpy(ws->pair_pn + 6 * i + 3, con->frame, 3 * sizeof(double));
            ws->pair_near[ws->npair_near++] = i;
        }
    }
    int cont = fr->q_prev && ik->cfg.continuity_weight > 0;
    int accel = fr->q_prev && fr->q_prev2 && ik->cfg.accel_weight > 0;
    for (int i = 0; i < ik->nv; i++) {
        int a = ik->dof_qadr[i];
        if (a < 0)
            continue;
        if (ik->dof_posture[i] > 0) {
            double dd = q[a] - ik->q_default[a];
            c += ik->cfg.posture_weight * ik->dof_posture[i] * dd * dd;
        }
        if (cont) {
            double dp = q[a] - fr->q_prev[a];
            c += ik->cfg.continuity_weight * ik->dof_continuity[i] * dp * dp;
        }
        if (accel) {
            double da = q[a] - 2 * fr->q_prev[a] + fr->q_prev2[a];
            c += ik->cfg.accel_weight * da * da;
        }
    }
    return c;
}

/* the bodies and geoms the solver reads: its tasks', floor points' and
   pairs' bodies with their ancestors, and the pairs' geoms (the legs' IK of
   H1 reads 13 of its 21 bodies and none of its 26 other geoms and sites) */
static void kin_plan(const lfd_ik *ik, lfd_ik_ws *ws)
{
    const mjModel *m = ik->m;
    if (ws->kin_n[0] == ik->ntask && ws->kin_n[1] == ik->nfloor && ws->kin_n[2] == ik->npair)
        return; /* tasks, floor points and pairs are only ever added */
    ws->kin_n[0] = ik->ntask;
    ws->kin_n[1] = ik->nfloor;
    ws->kin_n[2] = ik->npair;
    memset(ws->kin_on, 0, (size_t)m->nbody);
    for (int k = 0; k < ik->ntask; k++)
        lfd_mj_mark_body(m, ws->kin_on, ik->tasks[k].body);
    for (int k = 0; k < ik->nfloor; k++)
        lfd_mj_mark_body(m, ws->kin_on, ik->floor[k].body);
    for (int k = 0; k < ik->npair; k++) {
        lfd_mj_mark_body(m, ws->kin_on, ik->pairs[k].body1);
        lfd_mj_mark_body(m, ws->kin_on, ik->pairs[k].body2);
    }
    for (int i = 0; i < ik->npair; i++) {
        const lfd_ik_pair *p = &ik->pairs[i];
        ws->pair_g[2 * i] = p->geom1;
        ws->pair_g[2 * i + 1] = p->geom2;
        /* the first sum pair_dist forms */
        ws->pair_rb[i] = m->geom_rbound[p->geom1] + m->geom_rbound[p->geom2];
    }
    ws->nkin_geom = 0;
    for (int i = 0; i < 2 * ik->npair; i++) {
        int g = i % 2 ? ik->pairs[i / 2].geom2 : ik->pairs[i / 2].geom1, seen = 0;
        for (int k = 0; k < ws->nkin_geom && !seen; k++)
            seen = ws->kin_geom[k] == g;
        if (!seen)
            ws->kin_geom[ws->nkin_geom++] = g;
    }
    /* a body's joints are consecutive, and so are their qpos addresses */
    ws->nkin_body = 0;
    for (int b = 1; b < m->nbody; b++) {
        if (!ws->kin_on[b])
            continue;
        int ja = m->body_jntadr[b], jn = m->body_jntnum[b], qa = 0, qe = 0;
        if (jn > 0) {
            int jl = ja + jn - 1, type = m->jnt_type[jl];
            qa = m->jnt_qposadr[ja];
            qe = m->jnt_qposadr[jl] + (type == mjJNT_FREE ? 7 : type == mjJNT_BALL ? 4 : 1);
        }
        ws->kin_body[ws->nkin_body] = b;
        ws->kin_qa[ws->nkin_body] = qa;
        ws->kin_qe[ws->nkin_body++] = qe;
    }
}

/* each pair's margin in this frame and the square of its reach (what
   pair_dist compares the bounding spheres' distance with), once per frame */
static void margins_plan(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr)
{
    for (int i = 0; i < ik->npair; i++) {
        double margin = pair_margin(ik, fr, i), reach = ws->pair_rb[i] + margin;
        ws->pair_m[i] = margin;
        ws->pair_r2[i] = reach * reach;
    }
}

/* The cost at q, with ws->d's kinematics of q for what the solver reads.
   again: ws->d holds them for ws->kin_q, as left by the last eval_at (the
   solver's trial steps: nothing else touches ws->d meanwhile).  Then only
   the bodies with a joint whose qpos changed, and their descendants, are
   recomputed (and their geoms): the others' inputs are the same, and so is
   what the kinematics would write for them (a leg's IK holds the root, an
   arm's the legs its pairs read). */
static double eval_at(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr, const double *q,
                      int again)
{
    const mjModel *m = ik->m;
    memcpy(ws->d->qpos, q, (size_t)ik->nq * sizeof(double));
    if (!again) {
        lfd_mj_kinematics_some(m, ws->d, ws->kin_on, NULL, 0);
        geoms_pose(m, ws, ws->kin_geom, ws->nkin_geom);
    } else {
        unsigned char *redo = ws->kin_redo;
        redo[0] = 0; /* the world */
        for (int k = 0; k < ws->nkin_body; k++) { /* parents first */
            int b = ws->kin_body[k], qa = ws->kin_qa[k];
            redo[b] = redo[m->body_parentid[b]] ||
                      memcmp(q + qa, ws->kin_q + qa, (size_t)(ws->kin_qe[k] - qa) * sizeof(double));
        }
        int ng = 0;
        for (int k = 0; k < ws->nkin_geom; k++)
            if (redo[m->geom_bodyid[ws->kin_geom[k]]])
                ws->redo_geom[ng++] = ws->kin_geom[k];
        lfd_mj_kinematics_some(m, ws->d, redo, NULL, 0);
        geoms_pose(m, ws, ws->redo_geom, ng);
    }
    memcpy(ws->kin_q, q, (size_t)ik->nq * sizeof(double));
    return cost_here(ik, ws, fr, q);
}

/* a list column's kind of dof (active_cols): a hinge, a slide, a free
   joint's translation along world axis i (COL_TRANS + i) or a free or ball
   joint's turn about its body's axis i (COL_TURN + i) */
enum { COL_HINGE, COL_SLIDE, COL_TRANS, COL_TURN = COL_TRANS + 3 };

/* Rows of the world Jacobian of point p over the nr columns of a list
   (active_cols), weighted: wp times the translation's three rows into Jp,
   wr times the rotation's three rows into Jr (rows of nr values; NULL: not
   formed).  Each column is lfd_mj_jac_chain's, by the same operations, for
   the QP's variables only (a leg's IK holds the root's six of a foot's
   eleven dofs) and written straight into the rows. */
static void jac_rows(const mjModel *m, const mjData *d, const double p[3], const int *cols, int nv,
                     int nr, double wp, double *Jp, double wr, double *Jr)
{
    const int *jnt = cols + 3 * nv, *kind = cols + 4 * nv;
    for (int c = 0; c < nr; c++) {
        int j = jnt[c], k = kind[c];
        double a0 = 0, a1 = 0, a2 = 0, l0 = 0, l1 = 0, l2 = 0;
        if (k == COL_HINGE || k >= COL_TURN) { /* a turn: l = a x (p - anchor) */
            if (k == COL_HINGE) {
                const double *ax = d->xaxis + 3 * j;
                a0 = ax[0], a1 = ax[1], a2 = ax[2];
            } else { /* the body's axes: the columns of xmat */
                const double *R = d->xmat + 9 * m->jnt_bodyid[j];
                int i = k - COL_TURN;
                a0 = R[i], a1 = R[3 + i], a2 = R[6 + i];
            }
            const double *o = d->xanchor + 3 * j;
            double r0 = p[0] - o[0], r1 = p[1] - o[1], r2 = p[2] - o[2];
            l0 = a1 * r2 - a2 * r1, l1 = a2 * r0 - a0 * r2, l2 = a0 * r1 - a1 * r0; /* a x r */
        } else if (k == COL_SLIDE) {
            const double *ax = d->xaxis + 3 * j;
            l0 = ax[0], l1 = ax[1], l2 = ax[2];
        } else { /* translations, in the world frame */
            l0 = k == COL_TRANS, l1 = k == COL_TRANS + 1, l2 = k == COL_TRANS + 2;
        }
        if (Jp)
            Jp[c] = wp * l0, Jp[nr + c] = wp * l1, Jp[2 * nr + c] = wp * l2;
        if (Jr)
            Jr[c] = wr * a0, Jr[nr + c] = wr * a1, Jr[2 * nr + c] = wr * a2;
    }
}

/* jac_rows' z row of the translation alone, weighted by wz, into Jz (a
   floor point's row) */
static void jac_row_z(const mjModel *m, const mjData *d, const double p[3], const int *cols, int nv,
                      int nr, double wz, double *Jz)
{
    const int *jnt = cols + 3 * nv, *kind = cols + 4 * nv;
    for (int c = 0; c < nr; c++) {
        int j = jnt[c], k = kind[c];
        double l2;
        if (k == COL_HINGE || k >= COL_TURN) {
            double a0, a1;
            if (k == COL_HINGE) {
                const double *ax = d->xaxis + 3 * j;
                a0 = ax[0], a1 = ax[1];
            } else {
                const double *R = d->xmat + 9 * m->jnt_bodyid[j];
                int i = k - COL_TURN;
                a0 = R[i], a1 = R[3 + i];
            }
            const double *o = d->xanchor + 3 * j;
            double r0 = p[0] - o[0], r1 = p[1] - o[1];
            l2 = a0 * r1 - a1 * r0;
        } else if (k == COL_SLIDE) {
            l2 = d->xaxis[3 * j + 2];
        } else {
            l2 = k == COL_TRANS + 2;
        }
        Jz[c] = wz * l2;
    }
}

/* list l (a task's, floor point's or pair's chain of nc dofs) restricted
   to the QP's variables, formed on first use for the active dofs: its
   number of columns, *cols its dofs, then (nv further each) their QP
   variables, stretch ends, joints and kinds of column (jac_rows) */
static int active_cols(const mjModel *m, lfd_ik_ws *ws, int l, const int *chain, int nc,
                       const int **cols)
{
    int nv = m->nv;
    int *dof = ws->cols + (size_t)l * LIST_ARRAYS * (size_t)nv, *ri = dof + nv, *seg = ri + nv,
        *jnt = seg + nv, *kind = jnt + nv;
    *cols = dof;
    if (ws->ncols[l] >= 0)
        return ws->ncols[l];
    int n = 0;
    for (int c = 0; c < nc; c++) {
        int da = chain[c];
        if (ws->aidx[da] < 0)
            continue;
        int j = m->dof_jntid[da], type = m->jnt_type[j], i = da - m->jnt_dofadr[j];
        dof[n] = da;
        ri[n] = ws->aidx[da];
        jnt[n] = j;
        kind[n++] = type == mjJNT_HINGE ? COL_HINGE : type == mjJNT_SLIDE ? COL_SLIDE
                  : type == mjJNT_FREE && i < 3 ? COL_TRANS + i
                  : COL_TURN + i - (type == mjJNT_FREE ? 3 : 0);
    }
    for (int c = n - 1; c >= 0; c--)
        seg[c] = c + 1 < n && ri[c + 1] == ri[c] + 1 ? seg[c + 1] : c + 1;
    return ws->ncols[l] = n;
}

/* a run of k rows over the nr columns of cols (active_cols), its values
   from ws->J + off */
static void add_run(lfd_ik_ws *ws, int nv, int *nrun, int *off, const int *cols, int nr, int k)
{
    ws->run_ri[*nrun] = cols + nv;
    ws->run_seg[*nrun] = cols + 2 * nv;
    ws->run_nr[*nrun] = nr;
    ws->run_k[*nrun] = k;
    ws->run_off[*nrun] = *off;
    (*nrun)++;
    *off += nr * k;
}

/* the rows of the weighted residual and its Jacobian at the last evaluated
   configuration (ws->d and cost_here's points): residuals in ws->e, runs in
   ws->run_*; returns the number of runs.  A task, floor point or pair whose
   chain holds no QP variable adds nothing to the normal equations: it has
   no run (and no Jacobian is formed for it). */
static int linearise(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr)
{
    const mjModel *m = ik->m;
    mjData *d = ws->d;
    int nv = ik->nv, rows = 0, nrun = 0, off = 0;
    const int *cols;
    for (int k = 0; k < ik->ntask; k++) {
        const lfd_ik_task *t = &ik->tasks[k];
        double wp = weight(fr->pos_w, k, t->pos_weight), wr = weight(fr->rot_w, k, t->rot_weight);
        int use_rot = wr > 0 && fr->quat;
        if (wp <= 0 && !use_rot)
            continue;
        int nr = active_cols(m, ws, k, t->chain, t->nchain, &cols);
        if (nr == 0)
            continue;
        const double *p = ws->task_p + 3 * k; /* cost_here's, at this configuration */
        int nk = (wp > 0 ? 3 : 0) + (use_rot ? 3 : 0);
        double *Jt = ws->J + off;
        jac_rows(m, d, p, cols, nv, nr, wp, wp > 0 ? Jt : NULL, wr,
                 use_rot ? Jt + (wp > 0 ? 3 * nr : 0) : NULL);
        if (wp > 0)
            for (int a = 0; a < 3; a++)
                ws->e[rows++] = wp * (fr->pos[3 * k + a] - p[a]);
        if (use_rot) {
            const double *w = ws->task_w + 3 * k;
            for (int a = 0; a < 3; a++)
                ws->e[rows++] = wr * w[a];
        }
        add_run(ws, nv, &nrun, &off, cols, nr, nk);
    }
    /* floor points at or near the floor: one row each, pushing up only */
    for (int i = 0; i < ik->nfloor; i++) {
        const double *p = ws->floor_p + 3 * i;
        if (p[2] > ik->floor_z + 1e-3)
            continue;
        const lfd_ik_floor_point *fp = &ik->floor[i];
        int nr = active_cols(m, ws, LIST_FLOOR + i, fp->chain, fp->nchain, &cols);
        if (nr == 0)
            continue;
        double wf = ik->cfg.floor_weight;
        ws->e[rows++] = wf * fmax(0.0, ik->floor_z - p[2]);
        jac_row_z(m, d, p, cols, nv, nr, wf, ws->J + off);
        add_run(ws, nv, &nrun, &off, cols, nr, 1);
    }
    /* clearance pairs closer than clear_m: one row each, pushing apart along the normal
       (which points from geom1 to geom2) */
    for (int n = 0; n < ws->npair_near; n++) { /* the others are at infinity */
        int i = ws->pair_near[n];
        const lfd_ik_pair *pr = &ik->pairs[i];
        /* the distance and contact cost_here found at this configuration (the
           solver linearises where it last evaluated) */
        double dist = ws->pair_d[i], margin = ws->pair_m[i];
        if (!(dist < margin))
            continue;
        int nr = active_cols(m, ws, LIST_PAIR + i, pr->chain, pr->nchain, &cols);
        if (nr == 0)
            continue;
        const double *pos = ws->pair_pn + 6 * i, *nrm = pos + 3;
        /* each body's columns on the pair's chain, zero off its own (only
           the QP variables' columns are read) */
        for (int c = 0; c < nr; c++)
            for (int a = 0; a < 3; a++)
                ws->jacp[a * nv + cols[c]] = ws->jacr[a * nv + cols[c]] = 0;
        lfd_mj_jac_chain(m, d, pos, pr->body1, ws->jacp, NULL);
        lfd_mj_jac_chain(m, d, pos, pr->body2, ws->jacr, NULL);
        double wc = ik->cfg.clear_weight;
        ws->e[rows++] = wc * (margin - dist);
        double *Jt = ws->J + off;
        for (int c = 0; c < nr; c++) {
            int k = cols[c];
            double v = 0;
            for (int a = 0; a < 3; a++)
                v += nrm[a] * (ws->jacr[a * nv + k] - ws->jacp[a * nv + k]);
            Jt[c] = wc * v;
        }
        add_run(ws, nv, &nrun, &off, cols, nr, 1);
    }
    return nrun;
}

static int all_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static void fill_result(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr, const double *q,
                        double cost, int iters, lfd_ik_result *res)
{
    const mjData *d = ws->d;
    res->iterations = iters;
    res->cost = cost;
    res->at_limit = res->at_vel_limit = 0;
    res->floor_pen_m = 0;
    for (int k = 0; k < ik->ntask; k++) {
        const lfd_ik_task *t = &ik->tasks[k];
        double p[3];
        task_point(d, t->body, t->offset, p);
        res->pos_err_m[k] = lfd_v3_dist(p, fr->pos + 3 * k);
        res->rot_err_rad[k] = 0;
        if (fr->quat) {
            double qc[4];
            task_quat(d, t, qc);
            res->rot_err_rad[k] = lfd_quat_angle(qc, fr->quat + 4 * k);
        }
    }
    for (int i = 0; i < ik->nfloor; i++) {
        double p[3];
        task_point(d, ik->floor[i].body, ik->floor[i].offset, p);
        res->floor_pen_m = fmax(res->floor_pen_m, ik->floor_z - p[2]);
    }
    for (int i = 0; i < ik->nv; i++) {
        int a = ik->dof_qadr[i];
        if (a < 0)
            continue;
        if (q[a] <= ik->dof_lo[i] + 1e-9 || q[a] >= ik->dof_hi[i] - 1e-9)
            res->at_limit++;
        if (fr->q_prev && fr->dt_s > 0 && isfinite(ik->dof_vmax[i]) &&
            fabs(q[a] - fr->q_prev[a]) >= ik->dof_vmax[i] * fr->dt_s - 1e-9)
            res->at_vel_limit++;
    }
}

/* A run's terms of the normal equations (lfd_ik_solve): its k rows (k <= 6,
   at J, a row's nr values side by side, residuals er) add J'J to the lower
   triangle of H (na x na, NA) and -J'e to g, each entry its k terms in row
   order.  Row a of H (column a of the run, QP variable ri[a]) takes its
   entries b <= a a stretch of consecutive QP variables at a time (seg), two
   at once (lfd_v2d); rows a and a + 1 are formed together when they are
   consecutive QP variables (their entries share the loads of the run's
   values).  Inlined where k is a constant, its loops over the rows unrolled
   (GCC and Clang read the pragma). */
static inline __attribute__((always_inline)) void
run_normal(double *H, double *g, size_t NA, const int *ri, const int *seg, int nr, const double *J,
           const double *er, int k)
{
    for (int a = 0; a < nr;) {
        double *Ha = H + (size_t)ri[a] * NA;
        lfd_v2d A[6], B[6];
        #pragma GCC unroll 6
        for (int j = 0; j < k; j++)
            A[j] = (lfd_v2d){J[j * nr + a], J[j * nr + a]};
        if (seg[a] > a + 1) { /* rows a and a + 1 */
            double *Hb = Ha + NA;
            #pragma GCC unroll 6
            for (int j = 0; j < k; j++)
                B[j] = (lfd_v2d){J[j * nr + a + 1], J[j * nr + a + 1]};
            for (int b = 0; b <= a;) {
                int end = seg[b] <= a ? seg[b] : a + 1;
                double *Hs = Ha + ri[b] - b, *Ht = Hb + ri[b] - b;
                for (; b + 1 < end; b += 2) {
                    lfd_v2d hs = lfd_v2_load(Hs + b), ht = lfd_v2_load(Ht + b);
                    #pragma GCC unroll 6
                    for (int j = 0; j < k; j++) {
                        lfd_v2d x = lfd_v2_load(J + j * nr + b);
                        hs = hs + A[j] * x;
                        ht = ht + B[j] * x;
                    }
                    lfd_v2_store(Hs + b, hs);
                    lfd_v2_store(Ht + b, ht);
                }
                if (b < end) {
                    double hs = Hs[b], ht = Ht[b];
                    #pragma GCC unroll 6
                    for (int j = 0; j < k; j++) {
                        hs = hs + A[j][0] * J[j * nr + b];
                        ht = ht + B[j][0] * J[j * nr + b];
                    }
                    Hs[b] = hs;
                    Ht[b] = ht;
                    b++;
                }
            }
            double *hd = Hb + ri[a + 1], h = *hd; /* row a + 1's diagonal entry */
            #pragma GCC unroll 6
            for (int j = 0; j < k; j++)
                h = h + B[j][0] * J[j * nr + a + 1];
            *hd = h;
            lfd_v2d gv = lfd_v2_load(g + ri[a]);
            #pragma GCC unroll 6
            for (int j = 0; j < k; j++)
                gv = gv - lfd_v2_load(J + j * nr + a) * (lfd_v2d){er[j], er[j]};
            lfd_v2_store(g + ri[a], gv);
            a += 2;
        } else {
            for (int b = 0; b <= a;) {
                int end = seg[b] <= a ? seg[b] : a + 1;
                double *Hs = Ha + ri[b] - b;
                for (; b + 1 < end; b += 2) {
                    lfd_v2d hs = lfd_v2_load(Hs + b);
                    #pragma GCC unroll 6
                    for (int j = 0; j < k; j++)
                        hs = hs + A[j] * lfd_v2_load(J + j * nr + b);
                    lfd_v2_store(Hs + b, hs);
                }
                if (b < end) {
                    double hs = Hs[b];
                    #pragma GCC unroll 6
                    for (int j = 0; j < k; j++)
                        hs = hs + A[j][0] * J[j * nr + b];
                    Hs[b] = hs;
                    b++;
                }
            }
            double gv = g[ri[a]];
            #pragma GCC unroll 6
            for (int j = 0; j < k; j++)
                gv = gv - A[j][0] * er[j];
            g[ri[a]] = gv;
            a++;
        }
    }
}

/* The normal equations over the QP's variables only (the na active dofs,
   indexed through ws->act; a run's columns are all QP variables): H = J'J
   + damping + posture, g = -J'e + posture gradient, from the nrun runs of
   linearise at q.  Each entry of J'J takes its terms in row order
   (run_normal). */
static void normal_equations(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr,
                             const double *q, int nrun, int na)
{
    size_t NA = (size_t)na;
    double *H = ws->H, *g = ws->g;
    /* the lower triangle only: the upper one is copied from it below */
    for (size_t i = 0; i < NA; i++)
        memset(H + i * NA, 0, (i + 1) * sizeof(double));
    memset(g, 0, NA * sizeof(double));
    const double *er = ws->e;
    for (int u = 0; u < nrun; u++) {
        int k = ws->run_k[u];
        const double *Ju = ws->J + ws->run_off[u];
        const int *ri = ws->run_ri[u], *seg = ws->run_seg[u];
        /* k is 3 or 6 for a task, 1 for a floor point or a pair */
        if (k == 3)
            run_normal(H, g, NA, ri, seg, ws->run_nr[u], Ju, er, 3);
        else if (k == 6)
            run_normal(H, g, NA, ri, seg, ws->run_nr[u], Ju, er, 6);
        else
            run_normal(H, g, NA, ri, seg, ws->run_nr[u], Ju, er, 1);
        er += k;
    }
    /* the upper triangle, two of its columns at a time (each of its rows
       takes a pair of entries side by side) */
    int c = 0;
    for (; c + 1 < na; c += 2) {
        const double *Hc = H + (size_t)c * NA, *Hc1 = Hc + NA;
        for (int j = 0; j < c; j++)
            lfd_v2_store(H + (size_t)j * NA + c, (lfd_v2d){Hc[j], Hc1[j]});
        H[(size_t)c * NA + c + 1] = Hc1[c];
    }
    if (c < na)
        for (int j = 0; j < c; j++)
            H[(size_t)j * NA + c] = H[(size_t)c * NA + j];
    int cont = fr->q_prev && ik->cfg.continuity_weight > 0;
    int accel = fr->q_prev && fr->q_prev2 && ik->cfg.accel_weight > 0;
    for (int ii = 0; ii < na; ii++) {
        int i = ws->act[ii];
        double wp = ik->cfg.posture_weight * ik->dof_posture[i];
        double *Hd = H + (size_t)ii * NA + ii, h = *Hd + (ik->cfg.damping + wp);
        int a = ik->dof_qadr[i];
        if (a >= 0) {
            double gi = g[ii] + wp * (q[a] - ik->q_default[a]);
            if (cont) {
                double wc = ik->cfg.continuity_weight * ik->dof_continuity[i];
                h += wc;
                gi += wc * (q[a] - fr->q_prev[a]);
            }
            if (accel) {
                h += ik->cfg.accel_weight;
                gi += ik->cfg.accel_weight * (q[a] - 2 * fr->q_prev[a] + fr->q_prev2[a]);
            }
            g[ii] = gi;
        }
        *Hd = h;
    }
}

void lfd_ik_evaluate(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *frame,
                     const double *qpos, lfd_ik_result *res)
{
    kin_plan(ik, ws);
    margins_plan(ik, ws, frame);
    double c = eval_at(ik, ws, frame, qpos, 0);
    geoms_finish(ik->m, ws);
    if (res)
        fill_result(ik, ws, frame, qpos, c, 0, res);
}

int lfd_ik_solve(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr, double *qpos,
                 lfd_ik_result *res)
{
    const mjModel *m = ik->m;
    int nv = ik->nv, nq = ik->nq;
    if (!all_finite(fr->pos, 3 * ik->ntask) || (fr->quat && !all_finite(fr->quat, 4 * ik->ntask)) ||
        !all_finite(qpos, nq))
        return LFD_ENUMERIC;
    double *q = ws->q;
    memcpy(q, qpos, (size_t)nq * sizeof(double));
    kin_plan(ik, ws);
    margins_plan(ik, ws, fr);
    double cost = eval_at(ik, ws, fr, q, 0);
    int it, max_iters = fr->max_iters > 0 ? fr->max_iters : ik->cfg.max_iters;
    /* the QP's variables: the active dofs.  A held dof (the root and the
       upper body in the legs' IK) is no variable: its step is zero and its
       rows and columns of J'J are never formed.  (Until 2026-12 the held
       dofs on a chain were variables pinned at zero by their bounds, which
       the box QP clamps wherever their gradient does not vanish: the same
       steps to the QP's tolerance, at up to 18 variables instead of 12 in
       the legs' IK.) */
    int na = 0;
    for (int i = 0; i < nv; i++) {
        ws->aidx[i] = ik->dof_active[i] ? na : -1;
        if (ik->dof_active[i])
            ws->act[na++] = i;
    }
    /* the chains' lists of QP variables (active_cols) hold while the active
       dofs do (tasks, floor points and pairs are only ever added) */
    if (memcmp(ws->aidx, ws->cols_aidx, (size_t)nv * sizeof(int))) {
        memcpy(ws->cols_aidx, ws->aidx, (size_t)nv * sizeof(int));
        for (int l = 0; l < NLIST; l++)
            ws->ncols[l] = -1;
    }
    memset(ws->dqs, 0, (size_t)nv * sizeof(double));
    for (it = 0; it < max_iters; it++) {
        /* linearise the tasks at q */
        int nrun = linearise(ik, ws, fr);
        normal_equations(ik, ws, fr, q, nrun, na);
        /* bounds on the step: joint range, velocity from q_prev */
        int vel = fr->q_prev && fr->dt_s > 0;
        for (int ii = 0; ii < na; ii++) {
            int i = ws->act[ii];
            int a = ik->dof_qadr[i];
            double lo = -INFINITY, hi = INFINITY;
            if (a >= 0) {
                lo = ik->dof_lo[i] - q[a];
                hi = ik->dof_hi[i] - q[a];
                if (vel && isfinite(ik->dof_vmax[i])) {
                    double v = ik->dof_vmax[i] * fr->dt_s;
                    /* fmax and fmin without their calls (every value is finite here) */
                    double vlo = fr->q_prev[a] - v - q[a], vhi = fr->q_prev[a] + v - q[a];
                    lo = vlo > lo ? vlo : lo;
                    hi = vhi < hi ? vhi : hi;
                }
                if (lo > hi) /* the two bounds disagree: the range wins */
                    lo = hi = fmin(fmax(0, ik->dof_lo[i] - q[a]), ik->dof_hi[i] - q[a]);
            }
            ws->lo[ii] = lo;
            ws->hi[ii] = hi;
            ws->dq[ii] = 0;
        }
        lfd_boxqp_result qr;
        if (lfd_boxqp_solve(na, ws->H, ws->g, ws->lo, ws->hi, ws->dq, 50, 1e-10, ws->qpws, &qr)) {
            geoms_finish(m, ws);
            return LFD_ENUMERIC;
        }
        /* backtrack on the true cost: accept the first step that lowers it */
        double alpha = 1, step = 0, gain = 0;
        int accepted = 0;
        for (int ls = 0; ls < 12; ls++, alpha *= 0.5) {
            for (int ii = 0; ii < na; ii++) /* a held dof's stays zero */
                ws->dqs[ws->act[ii]] = alpha * ws->dq[ii];
            memcpy(ws->qtrial, q, (size_t)nq * sizeof(double));
            mj_integratePos(m, ws->qtrial, ws->dqs, 1.0);
            double c = eval_at(ik, ws, fr, ws->qtrial, 1);
            if (c < cost) {
                gain = cost - c;
                cost = c;
                memcpy(q, ws->qtrial, (size_t)nq * sizeof(double));
                accepted = 1;
                for (int ii = 0; ii < na; ii++) { /* (a held dof's is zero) */
                    double as = fabs(ws->dqs[ws->act[ii]]);
                    step = as > step ? as : step;
                }
                break;
            }
        }
        if (!accepted) {
            eval_at(ik, ws, fr, q, 1); /* leave the kinematics of q in ws->d */
            break;
        }
        /* converged: the step or the relative decrease of the cost is tiny */
        if (step < ik->cfg.tol_step || gain < 1e-5 * cost + 1e-10) {
            it++;
            break;
        }
    }
    geoms_finish(m, ws);
    memcpy(qpos, q, (size_t)nq * sizeof(double));
    if (res)
        fill_result(ik, ws, fr, q, cost, it, res);
    return LFD_OK;
}
