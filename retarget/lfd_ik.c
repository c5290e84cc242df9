/*  lfd_ik: whole-body IK by box-constrained Gauss-Newton (see lfd_ik.h). */
#include "retarget/lfd_ik.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_boxqp.h"
#include "core/lfd_quat.h"
#include "core/lfd_util.h"
#include "robots/lfd_mj.h"

struct lfd_ik_ws {
    mjData *d;
    int maxrows;
    /* the linearisation's rows in runs on one chain (a task's three or six
       rows, a floor point's or pair's one): run i has run_k[i] rows, its
       nonzero columns are run_chain[i] (run_nchain[i] of them) and its
       values are J[run_off[i] + c * run_k[i] + j] for column c, row j */
    const int *run_chain[2 * LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR + LFD_IK_MAX_PAIRS];
    int run_nchain[2 * LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR + LFD_IK_MAX_PAIRS];
    int run_k[2 * LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR + LFD_IK_MAX_PAIRS];
    int run_off[2 * LFD_IK_MAX_TASKS + LFD_IK_MAX_FLOOR + LFD_IK_MAX_PAIRS];
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
    int rowi[2 * LFD_IK_MAX_CHAIN]; /* a run's active columns' indices among the QP's variables */
    int rowp[2 * LFD_IK_MAX_CHAIN]; /* ... and their positions on the run's chain */
    unsigned char *kin_on;          /* nbody: the bodies the kinematics computes */
    int kin_geom[2 * LFD_IK_MAX_PAIRS], nkin_geom; /* and the pairs' geoms */
    int kin_n[3];                   /* the solver's ntask, nfloor, npair they are for */
    double task_p[3 * LFD_IK_MAX_TASKS];  /* at the last evaluation: each task's point, */
    double task_w[3 * LFD_IK_MAX_TASKS];  /* its rotation error, */
    double floor_p[3 * LFD_IK_MAX_FLOOR]; /* each floor point, */
    double pair_d[LFD_IK_MAX_PAIRS];      /* each pair's distance */
    double pair_pn[6 * LFD_IK_MAX_PAIRS]; /* ... its deepest contact's point and normal */
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

/* A capsule that holds geom g (posed in d): the segment c +- h and radius
   r.  A capsule is its own; a cylinder lies inside the capsule of its axis
   and radius; a box inside the capsule along its longest axis with the
   half-diagonal of its other two as radius; anything else inside its
   bounding sphere (h = 0). */
static void geom_capsule(const mjModel *m, const mjData *d, int g, const double **c, double h[3],
                         double *r)
{
    const double *sz = m->geom_size + 3 * g, *R = d->geom_xmat + 9 * g;
    int k = -1;     /* the local axis along the segment */
    double half = 0;
    *c = d->geom_xpos + 3 * g;
    *r = m->geom_rbound[g];
    switch (m->geom_type[g]) {
    case mjGEOM_CAPSULE: /* size: radius, half-length along z */
    case mjGEOM_CYLINDER:
        k = 2;
        half = sz[1];
        *r = sz[0];
        break;
    case mjGEOM_BOX: /* size: half-sizes along x, y, z */
        k = sz[0] >= sz[1] && sz[0] >= sz[2] ? 0 : sz[1] >= sz[2] ? 1 : 2;
        half = sz[k];
        *r = hypot(sz[(k + 1) % 3], sz[(k + 2) % 3]);
        break;
    default:
        break;
    }
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
    geom_capsule(m, d, p->geom1, &c1, h1, &r1);
    geom_capsule(m, d, p->geom2, &c2, h2, &r2);
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
    ws->kin_on = lfd_arena_take(a, (size_t)ik->m->nbody, 1);
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
    for (int i = 0; i < ik->npair; i++) {
        const mjContact *con;
        double dist = pair_dist(ik, ws, &ik->pairs[i], ik->pairs[i].margin_m, &con);
        margin[i] = fmin(ik->pairs[i].margin_m, dist);
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
    for (int i = 0; i < ik->npair; i++) {
        const mjContact *con;
        double margin = pair_margin(ik, fr, i);
        double dist = pair_dist(ik, ws, &ik->pairs[i], margin, &con), miss = margin - dist;
        if (miss > 0)
            c += ik->cfg.clear_weight * ik->cfg.clear_weight * miss * miss;
        /* kept for the linearisation at this configuration */
        ws->pair_d[i] = con ? dist : INFINITY;
        if (con) {
            memcpy(ws->pair_pn + 6 * i, con->pos, 3 * sizeof(double));
            memcpy(ws->pair_pn + 6 * i + 3, con->frame, 3 * sizeof(double));
        }
    }
    for (int i = 0; i < ik->nv; i++) {
        int a = ik->dof_qadr[i];
        if (a >= 0 && ik->dof_posture[i] > 0) {
            double dd = q[a] - ik->q_default[a];
            c += ik->cfg.posture_weight * ik->dof_posture[i] * dd * dd;
        }
        if (a >= 0 && fr->q_prev && ik->cfg.continuity_weight > 0) {
            double dp = q[a] - fr->q_prev[a];
            c += ik->cfg.continuity_weight * ik->dof_continuity[i] * dp * dp;
        }
        if (a >= 0 && fr->q_prev && fr->q_prev2 && ik->cfg.accel_weight > 0) {
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
    ws->nkin_geom = 0;
    for (int i = 0; i < 2 * ik->npair; i++) {
        int g = i % 2 ? ik->pairs[i / 2].geom2 : ik->pairs[i / 2].geom1, seen = 0;
        for (int k = 0; k < ws->nkin_geom && !seen; k++)
            seen = ws->kin_geom[k] == g;
        if (!seen)
            ws->kin_geom[ws->nkin_geom++] = g;
    }
}

static double eval_at(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr, const double *q)
{
    memcpy(ws->d->qpos, q, (size_t)ik->nq * sizeof(double));
    lfd_mj_kinematics_some(ik->m, ws->d, ws->kin_on, ws->kin_geom, ws->nkin_geom);
    return cost_here(ik, ws, fr, q);
}

/* a run of k rows on a chain of nc columns, its values from ws->J + off */
static void add_run(lfd_ik_ws *ws, int *nrun, int *off, const int *chain, int nc, int k)
{
    ws->run_chain[*nrun] = chain;
    ws->run_nchain[*nrun] = nc;
    ws->run_k[*nrun] = k;
    ws->run_off[*nrun] = *off;
    (*nrun)++;
    *off += nc * k;
}

/* the rows of the weighted residual and its Jacobian at the last evaluated
   configuration (ws->d and cost_here's points): residuals in ws->e, runs in
   ws->run_*; returns the number of runs */
static int linearise(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *fr)
{
    const mjModel *m = ik->m;
    mjData *d = ws->d;
    int nv = ik->nv, rows = 0, nrun = 0, off = 0;
    for (int k = 0; k < ik->ntask; k++) {
        const lfd_ik_task *t = &ik->tasks[k];
        double wp = weight(fr->pos_w, k, t->pos_weight), wr = weight(fr->rot_w, k, t->rot_weight);
        int use_rot = wr > 0 && fr->quat;
        if (wp <= 0 && !use_rot)
            continue;
        const double *p = ws->task_p + 3 * k; /* cost_here's, at this configuration */
        lfd_mj_jac_chain(m, d, p, t->body, wp > 0 ? ws->jacp : NULL, use_rot ? ws->jacr : NULL);
        int nk = (wp > 0 ? 3 : 0) + (use_rot ? 3 : 0), j = 0;
        double *Jt = ws->J + off;
        if (wp > 0) {
            for (int a = 0; a < 3; a++, j++) {
                ws->e[rows++] = wp * (fr->pos[3 * k + a] - p[a]);
                for (int c = 0; c < t->nchain; c++)
                    Jt[c * nk + j] = wp * ws->jacp[a * nv + t->chain[c]];
            }
        }
        if (use_rot) {
            const double *w = ws->task_w + 3 * k;
            for (int a = 0; a < 3; a++, j++) {
                ws->e[rows++] = wr * w[a];
                for (int c = 0; c < t->nchain; c++)
                    Jt[c * nk + j] = wr * ws->jacr[a * nv + t->chain[c]];
            }
        }
        add_run(ws, &nrun, &off, t->chain, t->nchain, nk);
    }
    /* floor points at or near the floor: one row each, pushing up only */
    for (int i = 0; i < ik->nfloor; i++) {
        const double *p = ws->floor_p + 3 * i;
        if (p[2] > ik->floor_z + 1e-3)
            continue;
        const lfd_ik_floor_point *fp = &ik->floor[i];
        lfd_mj_jac_chain(m, d, p, fp->body, ws->jacp, NULL);
        double wf = ik->cfg.floor_weight;
        ws->e[rows++] = wf * fmax(0.0, ik->floor_z - p[2]);
        double *Jt = ws->J + off;
        for (int c = 0; c < fp->nchain; c++)
            Jt[c] = wf * ws->jacp[2 * nv + fp->chain[c]];
        add_run(ws, &nrun, &off, fp->chain, fp->nchain, 1);
    }
    /* clearance pairs closer than clear_m: one row each, pushing apart along the normal
       (which points from geom1 to geom2) */
    for (int i = 0; i < ik->npair; i++) {
        const lfd_ik_pair *pr = &ik->pairs[i];
        /* the distance and contact cost_here found at this configuration (the
           solver linearises where it last evaluated) */
        double dist = ws->pair_d[i], margin = pair_margin(ik, fr, i);
        if (!(dist < margin))
            continue;
        const double *pos = ws->pair_pn + 6 * i, *nrm = pos + 3;
        /* each body's columns on the pair's chain, zero off its own */
        for (int c = 0; c < pr->nchain; c++)
            for (int a = 0; a < 3; a++)
                ws->jacp[a * nv + pr->chain[c]] = ws->jacr[a * nv + pr->chain[c]] = 0;
        lfd_mj_jac_chain(m, d, pos, pr->body1, ws->jacp, NULL);
        lfd_mj_jac_chain(m, d, pos, pr->body2, ws->jacr, NULL);
        double wc = ik->cfg.clear_weight;
        ws->e[rows++] = wc * (margin - dist);
        double *Jt = ws->J + off;
        for (int c = 0; c < pr->nchain; c++) {
            int k = pr->chain[c];
            double v = 0;
            for (int a = 0; a < 3; a++)
                v += nrm[a] * (ws->jacr[a * nv + k] - ws->jacp[a * nv + k]);
            Jt[c] = wc * v;
        }
        add_run(ws, &nrun, &off, pr->chain, pr->nchain, 1);
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

void lfd_ik_evaluate(const lfd_ik *ik, lfd_ik_ws *ws, const lfd_ik_frame *frame,
                     const double *qpos, lfd_ik_result *res)
{
    kin_plan(ik, ws);
    double c = eval_at(ik, ws, frame, qpos);
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
    double cost = eval_at(ik, ws, fr, q);
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
    for (it = 0; it < max_iters; it++) {
        /* linearise the tasks at q */
        int nrun = linearise(ik, ws, fr);
        /* normal equations over the QP's variables only: H = J'J + damping +
           posture, g = -J'e + posture gradient.  H and g are na x na and na,
           indexed through ws->act; a run's chain is all QP variables.  Each
           entry takes its terms in row order, the k rows of a run unrolled
           for three and six (a task without and with its rotation). */
        size_t NA = (size_t)na;
        /* the lower triangle only: the upper one is copied from it below */
        for (size_t i = 0; i < NA; i++)
            for (size_t j = 0; j <= i; j++)
                ws->H[i * NA + j] = 0;
        memset(ws->g, 0, NA * sizeof(double));
        const double *er = ws->e;
        for (int u = 0; u < nrun; u++) {
            const int *ch = ws->run_chain[u];
            int nc = ws->run_nchain[u], k = ws->run_k[u], nr = 0;
            const int *ri = ws->rowi;
            /* the run's active columns, in chain order */
            for (int a = 0; a < nc; a++)
                if (ws->aidx[ch[a]] >= 0) {
                    ws->rowi[nr] = ws->aidx[ch[a]];
                    ws->rowp[nr++] = a;
                }
            const double *Jr = ws->J + ws->run_off[u];
            for (int a = 0; a < nr; a++) {
                const double *ja = Jr + ws->rowp[a] * k;
                double *Ha = ws->H + (size_t)ri[a] * NA;
                if (k == 6) {
                    for (int b = 0; b <= a; b++) {
                        const double *jb = Jr + ws->rowp[b] * 6;
                        Ha[ri[b]] = Ha[ri[b]] + ja[0] * jb[0] + ja[1] * jb[1] + ja[2] * jb[2] +
                                    ja[3] * jb[3] + ja[4] * jb[4] + ja[5] * jb[5];
                    }
                } else if (k == 3) {
                    for (int b = 0; b <= a; b++) {
                        const double *jb = Jr + ws->rowp[b] * 3;
                        Ha[ri[b]] = Ha[ri[b]] + ja[0] * jb[0] + ja[1] * jb[1] + ja[2] * jb[2];
                    }
                } else if (k == 1) {
                    for (int b = 0; b <= a; b++)
                        Ha[ri[b]] = Ha[ri[b]] + ja[0] * Jr[ws->rowp[b]];
                } else {
                    for (int b = 0; b <= a; b++) {
                        const double *jb = Jr + ws->rowp[b] * k;
                        double h = Ha[ri[b]];
                        for (int j = 0; j < k; j++)
                            h += ja[j] * jb[j];
                        Ha[ri[b]] = h;
                    }
                }
                double gv = ws->g[ri[a]];
                for (int j = 0; j < k; j++)
                    gv -= ja[j] * er[j];
                ws->g[ri[a]] = gv;
            }
            er += k;
        }
        for (int i = 0; i < na; i++)
            for (int j = 0; j < i; j++)
                ws->H[(size_t)j * NA + i] = ws->H[(size_t)i * NA + j];
        for (int ii = 0; ii < na; ii++) {
            int i = ws->act[ii];
            double wp = ik->cfg.posture_weight * ik->dof_posture[i];
            ws->H[(size_t)ii * NA + ii] += ik->cfg.damping + wp;
            int a = ik->dof_qadr[i];
            if (a >= 0)
                ws->g[ii] += wp * (q[a] - ik->q_default[a]);
            if (a >= 0 && fr->q_prev && ik->cfg.continuity_weight > 0) {
                double wc = ik->cfg.continuity_weight * ik->dof_continuity[i];
                ws->H[(size_t)ii * NA + ii] += wc;
                ws->g[ii] += wc * (q[a] - fr->q_prev[a]);
            }
            if (a >= 0 && fr->q_prev && fr->q_prev2 && ik->cfg.accel_weight > 0) {
                ws->H[(size_t)ii * NA + ii] += ik->cfg.accel_weight;
                ws->g[ii] += ik->cfg.accel_weight * (q[a] - 2 * fr->q_prev[a] + fr->q_prev2[a]);
            }
        }
        /* bounds on the step: joint range, velocity from q_prev */
        for (int ii = 0; ii < na; ii++) {
            int i = ws->act[ii];
            int a = ik->dof_qadr[i];
            double lo = -INFINITY, hi = INFINITY;
            if (a >= 0) {
                lo = ik->dof_lo[i] - q[a];
                hi = ik->dof_hi[i] - q[a];
                if (fr->q_prev && fr->dt_s > 0 && isfinite(ik->dof_vmax[i])) {
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
        if (lfd_boxqp_solve(na, ws->H, ws->g, ws->lo, ws->hi, ws->dq, 50, 1e-10, ws->qpws, &qr))
            return LFD_ENUMERIC;
        /* backtrack on the true cost: accept the first step that lowers it */
        double alpha = 1, step = 0, gain = 0;
        int accepted = 0;
        for (int ls = 0; ls < 12; ls++, alpha *= 0.5) {
            memset(ws->dqs, 0, (size_t)nv * sizeof(double));
            for (int ii = 0; ii < na; ii++)
                ws->dqs[ws->act[ii]] = alpha * ws->dq[ii];
            memcpy(ws->qtrial, q, (size_t)nq * sizeof(double));
            mj_integratePos(m, ws->qtrial, ws->dqs, 1.0);
            double c = eval_at(ik, ws, fr, ws->qtrial);
            if (c < cost) {
                gain = cost - c;
                cost = c;
                memcpy(q, ws->qtrial, (size_t)nq * sizeof(double));
                accepted = 1;
                for (int i = 0; i < nv; i++) {
                    double as = fabs(ws->dqs[i]);
                    step = as > step ? as : step;
                }
                break;
            }
        }
        if (!accepted) {
            eval_at(ik, ws, fr, q); /* leave the kinematics of q in ws->d */
            break;
        }
        /* converged: the step or the relative decrease of the cost is tiny */
        if (step < ik->cfg.tol_step || gain < 1e-5 * cost + 1e-10) {
            it++;
            break;
        }
    }
    memcpy(qpos, q, (size_t)nq * sizeof(double));
    if (res)
        fill_result(ik, ws, fr, q, cost, it, res);
    return LFD_OK;
}
