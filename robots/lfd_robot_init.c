/*  lfd_robot_init: a robot description drafted from the MJCF alone (see
    lfd_robot_init.h).

    The model is read at its zero pose, which the retargeter takes as the
    human rest pose (upright, facing +x, z up).  Steps:
      1. legs: the lowest body with collision geometry and the lowest one on
         the other side of the trunk end two leg chains; their common
         ancestor is the pelvis;
      2. in each leg: the knee (by name, else the joint half-way down), the
         hip and ankle centres (where the joint axes meet, least squares),
         the foot (the first body past the knee whose geoms reach the floor)
         and its sole (the foot geoms' lowest points);
      3. arms: the leaves beside the upper trunk that reach furthest to
         either side, their common ancestor the chest; elbow by name or
         half-way, shoulder and wrist centres from the axes, the hand;
      4. joints, limits and gains from the joints and actuators;
      5. exclusions from contacts at the default pose;
      6. text, then a full load of the text as the output file. */
#include "robots/lfd_robot_init.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/lfd_log.h"
#include "core/lfd_quat.h"
#include "robots/lfd_mj.h"
#include "robots/lfd_robot.h"
#include "robots/lfd_robot_desc.h"

#define VEL_DEFAULT 20.0      /* rad/s: about the fastest human joint speeds (throwing) */
#define FLOOR_TOL_M 0.05      /* both feet reach within this of the lowest point */
#define SOLE_TOL_M 0.01       /* geom points this close to the sole plane form the sole */
#define SIDE_MIN_M 0.02       /* a foot this far off the midline has a side */
#define ARM_SIDE_MIN_M 0.08   /* an arm leaf reaches at least this far sideways */
#define GROUP_M 0.08          /* joints of one shoulder or wrist lie within this */
#define KP_PER_TORQUE 2.0     /* guessed kp = torque / 0.5 rad */
#define KD_PER_KP 0.05        /* guessed kd = kp / 20 */
#define MAX_CHAIN 64

/* ---- text buffer ------------------------------------------------------------------ */
typedef struct tbuf {
    char *s;
    size_t len, cap;
    int oom;
} tbuf;

__attribute__((format(printf, 2, 3))) static void tb_printf(tbuf *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
        char *p = realloc(t->s, cap);
        if (!p) {
            t->oom = 1;
            return;
        }
        t->s = p;
        t->cap = cap;
    }
}

/* ---- model helpers -------------------------------------------------------------- */
typedef struct init_ctx {
    const char *path;
    const mjModel *m;
    mjData *d;
    int *nchild;
} init_ctx;

static const char *bname(const mjModel *m, int b)
{
    const char *n = mj_id2name(m, mjOBJ_BODY, b);
    return n ? n : "(unnamed)";
}

static const char *jname(const mjModel *m, int j)
{
    const char *n = mj_id2name(m, mjOBJ_JOINT, j);
    return n ? n : "";
}

static int geom_collides(const mjModel *m, int g)
{
    return m->geom_type[g] != mjGEOM_PLANE && (m->geom_contype[g] || m->geom_conaffinity[g]);
}

/* lowest world z of a body's own collision geoms; 0 if it has none */
static int body_low_world(const init_ctx *c, int b, double *z)
{
    const mjModel *m = c->m;
    int found = 0;
    for (int g = m->body_geomadr[b]; g >= 0 && g < m->body_geomadr[b] + m->body_geomnum[b]; g++) {
        if (!geom_collides(m, g))
            continue;
        double lz = lfd_mj_geom_lowest(m, g, c->d->geom_xpos + 3 * g, c->d->geom_xmat + 9 * g);
        if (!found || lz < *z)
            *z = lz;
        found = 1;
    }
    return found;
}

static int is_ancestor(const mjModel *m, int anc, int b)
{
    for (; b > 0; b = m->body_parentid[b])
        if (b == anc)
            return 1;
    return anc == 0;
}

static int lca(const mjModel *m, int a, int b)
{
    for (int x = a; x > 0; x = m->body_parentid[x])
        if (is_ancestor(m, x, b))
            return x;
    return 0;
}

/* bodies from the child of anc down to b, in order; returns the count */
static int chain(const mjModel *m, int anc, int b, int *out)
{
    int tmp[MAX_CHAIN], n = 0;
    for (int x = b; x > 0 && x != anc && n < MAX_CHAIN; x = m->body_parentid[x])
        tmp[n++] = x;
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static int name_has(const char *name, const char *const *words)
{
    char low[LFD_NAME_MAX];
    size_t n = strlen(name);
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[n] = '\0';
    for (int i = 0; words[i]; i++)
        if (strstr(low, words[i]))
            return 1;
    return 0;
}

/* world point -> body frame */
static void to_local(const init_ctx *c, int b, const double w[3], double out[3])
{
    double v[3];
    lfd_v3_sub(v, w, c->d->xpos + 3 * b);
    const double *R = c->d->xmat + 9 * b;
    for (int i = 0; i < 3; i++)
        out[i] = R[i] * v[0] + R[3 + i] * v[1] + R[6 + i] * v[2];
}

/* the point nearest (least squares) to the axes of joints js[0..n): where a
   shoulder's or hip's axes meet; the mean anchor when they are parallel */
static void axes_centre(const init_ctx *c, const int *js, int n, double out[3])
{
    double A[9] = {0}, bv[3] = {0}, mean[3] = {0};
    for (int k = 0; k < n; k++) {
        const double *a = c->d->xaxis + 3 * js[k], *p = c->d->xanchor + 3 * js[k];
        for (int i = 0; i < 3; i++)
            mean[i] += p[i] / n;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double P = (i == j) - a[i] * a[j];
                A[3 * i + j] += P;
                bv[i] += P * p[j];
            }
    }
    /* a weak pull to the mean anchor settles the directions the axes leave free */
    const double eps = 1e-3 * (n > 0 ? n : 1);
    for (int i = 0; i < 3; i++) {
        A[4 * i] += eps;
        bv[i] += eps * mean[i];
    }
    double det = A[0] * (A[4] * A[8] - A[5] * A[7]) - A[1] * (A[3] * A[8] - A[5] * A[6]) +
                 A[2] * (A[3] * A[7] - A[4] * A[6]);
    if (fabs(det) < 1e-12) {
        lfd_v3_copy(out, mean);
        return;
    }
    for (int k = 0; k < 3; k++) {
        double M[9];
        memcpy(M, A, sizeof M);
        for (int i = 0; i < 3; i++)
            M[3 * i + k] = bv[i];
        out[k] = (M[0] * (M[4] * M[8] - M[5] * M[7]) - M[1] * (M[3] * M[8] - M[5] * M[6]) +
                  M[2] * (M[3] * M[7] - M[4] * M[6])) / det;
    }
}

/* moves w onto the flexion axis among js[0..n) (the one nearest the
   lateral y axis: hip and shoulder pitch, which carry the big motions) and
   returns that joint; a point there keeps its distance to the knee or elbow
   as the limb flexes */
static int on_flex_axis(const init_ctx *c, const int *js, int n, double w[3])
{
    int best = js[n - 1];
    double by = -1;
    for (int k = 0; k < n; k++)
        if (c->m->jnt_type[js[k]] == mjJNT_HINGE && fabs(c->d->xaxis[3 * js[k] + 1]) > by + 1e-6) {
            by = fabs(c->d->xaxis[3 * js[k] + 1]);
            best = js[k];
        }
    if (c->m->jnt_type[best] != mjJNT_HINGE)
        return best;
    const double *a = c->d->xaxis + 3 * best, *p = c->d->xanchor + 3 * best;
    double v[3];
    lfd_v3_sub(v, w, p);
    double t = lfd_v3_dot(v, a);
    for (int i = 0; i < 3; i++)
        w[i] = p[i] + t * a[i];
    return best;
}

/* distance of point w from joint j's axis line */
static double axis_dist(const init_ctx *c, int j, const double w[3])
{
    const double *a = c->d->xaxis + 3 * j, *p = c->d->xanchor + 3 * j;
    double v[3], x[3];
    lfd_v3_sub(v, w, p);
    lfd_v3_cross(x, v, a);
    return c->m->jnt_type[j] == mjJNT_HINGE ? lfd_v3_norm(x) : lfd_v3_norm(v);
}

/* the 1-DoF joints of the chain's bodies, in order */
static int chain_joints(const mjModel *m, const int *ch, int n, int *js, int *jbody)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int j = m->body_jntadr[ch[i]]; j >= 0 && j < m->body_jntadr[ch[i]] + m->body_jntnum[ch[i]]; j++)
            if ((m->jnt_type[j] == mjJNT_HINGE || m->jnt_type[j] == mjJNT_SLIDE) && k < MAX_CHAIN) {
                jbody[k] = i;
                js[k++] = j;
            }
    return k;
}

/* ---- limbs ---------------------------------------------------------------------- */
typedef struct point {
    int body;
    double local[3];
    int found;
} point;

typedef struct limb {
    int ch[MAX_CHAIN], n; /* bodies from the trunk's child to the end */
    point prox, mid, dist; /* hip/shoulder, knee/elbow, ankle/wrist */
    point end;            /* foot body (origin) or hand point */
    char how[160];        /* how the middle joint was found */
} limb;

static void set_point(const init_ctx *c, point *p, int body, const double w[3])
{
    p->body = body;
    to_local(c, body, w, p->local);
    p->found = 1;
}

/* the middle joint (knee, elbow): by name, else the anchor nearest halfway
   between the chain's first joint and its far end.  Returns the chain index
   of the middle joint's body, or -1. */
static int find_mid(const init_ctx *c, limb *L, const int *js, const int *jb, int nj,
                    const char *const *words, const double far[3], const char *what)
{
    const mjModel *m = c->m;
    for (int k = 1; k < nj; k++)
        if (name_has(jname(m, js[k]), words) || name_has(bname(m, L->ch[jb[k]]), words)) {
            snprintf(L->how, sizeof L->how, "%s '%s' found by its name", what, jname(m, js[k]));
            return jb[k];
        }
    if (nj < 2)
        return -1;
    double half[3];
    for (int i = 0; i < 3; i++)
        half[i] = 0.5 * (c->d->xanchor[3 * js[0] + i] + far[i]);
    int best = -1;
    double bd = INFINITY;
    for (int k = 1; k < nj; k++) {
        double dd = lfd_v3_dist(c->d->xanchor + 3 * js[k], half);
        if (dd < bd && jb[k] > jb[0]) {
            bd = dd;
            best = k;
        }
    }
    if (best < 0)
        return -1;
    snprintf(L->how, sizeof L->how, "%s '%s' guessed: the joint half-way along the chain", what,
             jname(m, js[best]));
    return jb[best];
}

static const char *const KNEE_WORDS[] = {"knee", "shin", "tibia", "calf", "lowerleg", "lower_leg",
                                         "crus", NULL};
static const char *const ELBOW_WORDS[] = {"elbow", "forearm", "radius", "ulna", "lowerarm",
                                          "lower_arm", NULL};
static const char *const HAND_WORDS[] = {"hand", "palm", "fist", "gripper", NULL};

/* hip, knee, ankle and foot of a leg ending at body `end` */
static int build_leg(const init_ctx *c, int pelvis, int end, int side, limb *L, lfd_err *err)
{
    const mjModel *m = c->m;
    L->n = chain(m, pelvis, end, L->ch);
    int js[MAX_CHAIN], jb[MAX_CHAIN];
    int nj = chain_joints(m, L->ch, L->n, js, jb);
    const char *sn = side ? "right" : "left";
    double zlow = 0;
    body_low_world(c, end, &zlow);
    double far[3] = {c->d->xpos[3 * end], c->d->xpos[3 * end + 1], zlow};
    int knee = find_mid(c, L, js, jb, nj, KNEE_WORDS, far, "knee");
    if (knee < 0)
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: %s leg (bodies down to '%s'): no knee joint found between the hip and "
                        "the foot",
                        c->path, sn, bname(m, end));
    int hipj[MAX_CHAIN], nh = 0, ankj[MAX_CHAIN], na = 0, kj = -1;
    for (int k = 0; k < nj; k++) {
        if (jb[k] < knee)
            hipj[nh++] = js[k];
        else if (jb[k] == knee && kj < 0)
            kj = js[k];
    }
    if (!nh)
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: %s leg: no hip joint above the knee '%s'",
                        c->path, sn, bname(m, L->ch[knee]));
    /* the foot: the first body past the knee whose geoms reach the floor */
    int foot = -1;
    for (int i = knee + 1; i < L->n && foot < 0; i++) {
        double z;
        if (body_low_world(c, L->ch[i], &z) && z < zlow + SOLE_TOL_M)
            foot = i;
    }
    if (foot < 0)
        foot = L->n - 1;
    /* no body past the knee: the shin would be taken for the foot and its
       origin for the ankle (found by review: a humanoid without feet was
       drafted with feet on its shins) */
    if (foot <= knee)
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: not a humanoid lfd can stand: the %s leg has no foot "
                                               "below the knee '%s' (no body past it reaches the floor)",
                        c->path, sn, bname(m, L->ch[knee]));
    for (int k = 0; k < nj; k++)
        if (jb[k] > knee && jb[k] <= foot)
            ankj[na++] = js[k];
    double w[3];
    int h0 = nh > 3 ? nh - 3 : 0;
    axes_centre(c, hipj + h0, nh - h0, w);
    int fj = on_flex_axis(c, hipj + h0, nh - h0, w);
    set_point(c, &L->prox, m->jnt_bodyid[fj], w);
    set_point(c, &L->mid, L->ch[knee], c->d->xanchor + 3 * kj);
    if (na)
        axes_centre(c, ankj, na > 3 ? 3 : na, w);
    else
        lfd_v3_copy(w, c->d->xpos + 3 * L->ch[foot]);
    set_point(c, &L->dist, L->ch[foot], w);
    set_point(c, &L->end, L->ch[foot], c->d->xpos + 3 * L->ch[foot]);
    return LFD_OK;
}

/* mean centre of a body's geoms (collision ones if any), world */
static int body_geom_centre(const init_ctx *c, int b, double w[3])
{
    const mjModel *m = c->m;
    for (int pass = 0; pass < 2; pass++) {
        int n = 0;
        double s[3] = {0};
        for (int g = m->body_geomadr[b]; g >= 0 && g < m->body_geomadr[b] + m->body_geomnum[b]; g++) {
            if (pass == 0 && !geom_collides(m, g))
                continue;
            lfd_v3_add(s, s, c->d->geom_xpos + 3 * g);
            n++;
        }
        if (n) {
            lfd_v3_scale(w, s, 1.0 / n);
            return 1;
        }
    }
    return 0;
}

/* shoulder, elbow, wrist and hand of an arm ending at leaf `end` */
static int build_arm(const init_ctx *c, int chest, int end, int side, limb *L, lfd_err *err)
{
    const mjModel *m = c->m;
    L->n = chain(m, chest, end, L->ch);
    int js[MAX_CHAIN], jb[MAX_CHAIN];
    int nj = chain_joints(m, L->ch, L->n, js, jb);
    const char *sn = side ? "right" : "left";
    int elbow = find_mid(c, L, js, jb, nj, ELBOW_WORDS, c->d->xpos + 3 * end, "elbow");
    if (elbow < 0)
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: %s arm (bodies out to '%s'): no elbow joint found past the shoulder",
                        c->path, sn, bname(m, end));
    int sh[MAX_CHAIN], ns = 0, wr[MAX_CHAIN], nw = 0, ej = -1;
    for (int k = 0; k < nj; k++) {
        if (jb[k] < elbow)
            sh[ns++] = js[k];
        else if (jb[k] == elbow && ej < 0)
            ej = js[k];
        else if (jb[k] > elbow)
            wr[nw++] = js[k];
    }
    if (!ns)
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: %s arm: no shoulder joint before the elbow '%s'",
                        c->path, sn, bname(m, L->ch[elbow]));
    /* the shoulder: the last joints before the elbow that sit together
       (a clavicle's joints further in are not the shoulder) */
    int s0 = ns > 3 ? ns - 3 : 0;
    double w[3];
    axes_centre(c, sh + s0, ns - s0, w);
    /* drop leading joints whose axes pass far from that centre (a clavicle) */
    while (s0 < ns - 1 && axis_dist(c, sh[s0], w) > GROUP_M / 2) {
        s0++;
        axes_centre(c, sh + s0, ns - s0, w);
    }
    int fj = on_flex_axis(c, sh + s0, ns - s0, w);
    set_point(c, &L->prox, m->jnt_bodyid[fj], w);
    set_point(c, &L->mid, L->ch[elbow], c->d->xanchor + 3 * ej);
    /* the hand: a body named hand/palm/fist/gripper past the elbow, else the
       geom furthest from the elbow */
    int hand = -1;
    for (int i = elbow + 1; i < L->n && hand < 0; i++)
        if (name_has(bname(m, L->ch[i]), HAND_WORDS) && body_geom_centre(c, L->ch[i], w))
            hand = L->ch[i];
    if (hand >= 0) {
        set_point(c, &L->end, hand, w);
    } else {
        double best = -1;
        for (int i = elbow; i < L->n; i++) {
            int b = L->ch[i];
            for (int g = m->body_geomadr[b]; g >= 0 && g < m->body_geomadr[b] + m->body_geomnum[b]; g++) {
                double dd = lfd_v3_dist(c->d->geom_xpos + 3 * g, c->d->xanchor + 3 * ej);
                if (dd > best) {
                    best = dd;
                    set_point(c, &L->end, b, c->d->geom_xpos + 3 * g);
                }
            }
        }
        if (best < 0)
            set_point(c, &L->end, L->ch[L->n - 1], c->d->xpos + 3 * L->ch[L->n - 1]);
    }
    /* the wrist: where the first joints past the elbow meet, else the hand point */
    if (nw) {
        int w1 = 1;
        while (w1 < nw && w1 < 3 &&
               lfd_v3_dist(c->d->xanchor + 3 * wr[w1], c->d->xanchor + 3 * wr[0]) < GROUP_M)
            w1++;
        axes_centre(c, wr, w1, w);
        set_point(c, &L->dist, m->jnt_bodyid[wr[w1 - 1]], w);
    } else {
        L->dist = L->end;
    }
    return LFD_OK;
}

/* ---- the humanoid's layout ------------------------------------------------------ */
typedef struct layout {
    int pelvis, chest;
    limb leg[2], arm[2];
    double sole[2][4], sole_z[2];
    int sole_widened[2];
    point head, chest_pt;
} layout;

static int in_subtree(const mjModel *m, int b, int root)
{
    return root > 0 && is_ancestor(m, root, b);
}

static int find_layout(const init_ctx *c, layout *lo, lfd_err *err)
{
    const mjModel *m = c->m;
    const mjData *d = c->d;
    int root = 1;
    for (int b = 1; b < m->nbody; b++)
        if (m->body_parentid[b] == 0) {
            root = b;
            break;
        }
    double y0 = d->xpos[3 * root + 1];
    /* 1. the lowest body, then the lowest on the other side */
    int f1 = -1;
    double z1 = INFINITY;
    for (int b = 1; b < m->nbody; b++) {
        double z;
        if (body_low_world(c, b, &z) && z < z1) {
            z1 = z;
            f1 = b;
        }
    }
    if (f1 < 0)
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: not a humanoid: no body has collision geometry, so no legs were found",
                        c->path);
    double y1 = d->xpos[3 * f1 + 1] - y0;
    if (fabs(y1) < SIDE_MIN_M)
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: not a humanoid: the lowest body '%s' is on the midline (y %+.3f m), not "
                        "on a left or right leg%s",
                        c->path, bname(m, f1), y1,
                        fabs(d->xpos[3 * f1] - d->xpos[3 * root]) > SIDE_MIN_M
                            ? " (its legs stand apart along x: lfd needs the zero pose facing +x "
                              "with z up; turn the root body in the MJCF)"
                            : "");
    int f2 = -1;
    double z2 = INFINITY;
    for (int b = 1; b < m->nbody; b++) {
        double z, y = d->xpos[3 * b + 1] - y0;
        if (y * y1 >= 0 || fabs(y) < SIDE_MIN_M || is_ancestor(m, b, f1) || is_ancestor(m, f1, b))
            continue;
        if (body_low_world(c, b, &z) && z < z2) {
            z2 = z;
            f2 = b;
        }
    }
    if (f2 < 0 || z2 > z1 + FLOOR_TOL_M)
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: not a humanoid: found one leg (down to body '%s' on the %s) but no "
                        "second leg reaching the floor on the other side%s%s%s",
                        c->path, bname(m, f1), y1 > 0 ? "left (+y)" : "right (-y)",
                        f2 >= 0 ? " (the lowest there, '" : "", f2 >= 0 ? bname(m, f2) : "",
                        f2 >= 0 ? "', stays above it)" : "");
    lo->pelvis = lca(m, f1, f2);
    if (lo->pelvis <= 0)
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: not a humanoid: the legs ending at '%s' and '%s' share no trunk body",
                        c->path, bname(m, f1), bname(m, f2));
    int fl = y1 > 0 ? f1 : f2, fr = y1 > 0 ? f2 : f1;
    int rc;
    if ((rc = build_leg(c, lo->pelvis, fl, LFD_LEFT, &lo->leg[0], err)) ||
        (rc = build_leg(c, lo->pelvis, fr, LFD_RIGHT, &lo->leg[1], err)))
        return rc;
    /* left must be +y: a model whose "left" leg is on -y faces -x */
    static const char *const LEFTW[] = {"left", NULL}, *const RIGHTW[] = {"right", NULL};
    if (name_has(bname(m, lo->leg[0].end.body), RIGHTW) &&
        name_has(bname(m, lo->leg[1].end.body), LEFTW))
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: at its zero pose the model faces -x (its right leg '%s' is on +y): lfd "
                        "needs the zero pose facing +x with z up; turn the root body half a turn "
                        "about z (euler=\"0 0 180\", or 3.14159 with angle=\"radian\")",
                        c->path, bname(m, lo->leg[0].end.body));

    /* 2. feet: z-up frames, the toes pointing +x, the sole from the geoms */
    for (int s = 0; s < 2; s++) {
        int fb = lo->leg[s].end.body;
        const double *R = d->xmat + 9 * fb;
        if (R[8] < 0.98)
            return lfd_fail(err, LFD_EUNSUPPORTED,
                            "%s: the %s foot body '%s' is tilted %.0f deg from z-up at the zero pose; "
                            "lfd's sole rectangle lies in the foot frame's x-y plane (give the foot "
                            "body a frame with z up, e.g. quat= on it and its geoms)",
                            c->path, s ? "right" : "left", bname(m, fb),
                            acos(fmax(-1, fmin(1, R[8]))) * 180 / M_PI);
        double lowz = INFINITY;
        double pts[512][3];
        int np = 0;
        for (int g = m->body_geomadr[fb]; g >= 0 && g < m->body_geomadr[fb] + m->body_geomnum[fb]; g++) {
            if (!geom_collides(m, g))
                continue;
            double mat[9];
            mju_quat2Mat(mat, m->geom_quat + 4 * g);
            const double *p = m->geom_pos + 3 * g, *sz = m->geom_size + 3 * g;
            lowz = fmin(lowz, lfd_mj_geom_lowest(m, g, p, mat));
            /* candidate contact points of the shape, body frame */
            double loc[64][3];
            int nl = 0;
            switch (m->geom_type[g]) {
            case mjGEOM_SPHERE:
                lfd_v3_set(loc[nl++], 0, 0, 0);
                break;
            case mjGEOM_CAPSULE:
                lfd_v3_set(loc[nl++], 0, 0, sz[1]);
                lfd_v3_set(loc[nl++], 0, 0, -sz[1]);
                break;
            case mjGEOM_BOX:
                for (int k = 0; k < 8; k++)
                    lfd_v3_set(loc[nl++], k & 1 ? sz[0] : -sz[0], k & 2 ? sz[1] : -sz[1],
                               k & 4 ? sz[2] : -sz[2]);
                break;
            case mjGEOM_CYLINDER:
                for (int k = 0; k < 32; k++) {
                    double a = 2 * M_PI * (k % 16) / 16;
                    lfd_v3_set(loc[nl++], sz[0] * cos(a), sz[0] * sin(a), k < 16 ? sz[1] : -sz[1]);
                }
                break;
            default: /* ellipsoids, meshes: the centre, lowered below */
                lfd_v3_set(loc[nl++], 0, 0, 0);
                break;
            }
            for (int k = 0; k < nl && np < 512; k++) {
                double v[3];
                mju_mulMatVec(v, mat, loc[k], 3, 3);
                lfd_v3_add(pts[np], v, p);
                /* round shapes touch one radius below their centre points */
                if (m->geom_type[g] == mjGEOM_SPHERE || m->geom_type[g] == mjGEOM_CAPSULE)
                    pts[np][2] -= sz[0];
                else if (m->geom_type[g] != mjGEOM_BOX && m->geom_type[g] != mjGEOM_CYLINDER)
                    pts[np][2] = lfd_mj_geom_lowest(m, g, p, mat);
                np++;
            }
        }
        double *so = lo->sole[s];
        so[0] = so[2] = INFINITY;
        so[1] = so[3] = -INFINITY;
        for (int k = 0; k < np; k++)
            if (pts[k][2] <= lowz + SOLE_TOL_M) {
                so[0] = fmin(so[0], pts[k][0]);
                so[1] = fmax(so[1], pts[k][0]);
                so[2] = fmin(so[2], pts[k][1]);
                so[3] = fmax(so[3], pts[k][1]);
            }
        lo->sole_z[s] = lowz;
        for (int a = 0; a < 2; a++)
            if (so[2 * a + 1] - so[2 * a] < 0.02) {
                double mid = 0.5 * (so[2 * a] + so[2 * a + 1]);
                so[2 * a] = mid - 0.01;
                so[2 * a + 1] = mid + 0.01;
                lo->sole_widened[s] |= 1 << a;
            }
        /* the toes point forward: the sole's centre lies ahead of the ankle */
        double sc[3] = {0.5 * (so[0] + so[1]), 0.5 * (so[2] + so[3]), lowz}, scw[3], dir[3];
        mju_mulMatVec(scw, R, sc, 3, 3);
        lfd_v3_add(scw, scw, d->xpos + 3 * fb);
        double anc[3];
        mju_mulMatVec(anc, R, lo->leg[s].dist.local, 3, 3);
        lfd_v3_add(anc, anc, d->xpos + 3 * fb);
        lfd_v3_sub(dir, scw, anc);
        if (dir[0] < 0.005 && fabs(dir[1]) > fabs(dir[0]))
            return lfd_fail(err, LFD_EUNSUPPORTED,
                            "%s: at its zero pose the %s foot '%s' points along %s, not +x: lfd needs "
                            "the zero pose facing +x with z up (turn the root body in the MJCF)",
                            c->path, s ? "right" : "left", bname(m, fb),
                            dir[1] > 0 ? "+y" : "-y");
    }

    /* 3. arms: leaves off the legs reaching furthest to either side */
    int al = -1, ar = -1;
    double yl = ARM_SIDE_MIN_M, yr = -ARM_SIDE_MIN_M;
    int leg_root[2] = {lo->leg[0].ch[0], lo->leg[1].ch[0]};
    for (int b = 1; b < m->nbody; b++) {
        if (c->nchild[b] || in_subtree(m, b, leg_root[0]) || in_subtree(m, b, leg_root[1]))
            continue;
        double y = d->xpos[3 * b + 1] - y0;
        double gw[3];
        if (body_geom_centre(c, b, gw))
            y = gw[1] - y0;
        if (y > yl) {
            yl = y;
            al = b;
        }
        if (y < yr) {
            yr = y;
            ar = b;
        }
    }
    if (al < 0 || ar < 0)
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: not a humanoid: found two legs (to '%s' and '%s') but no %s arm: no "
                        "chain off the legs reaches %.0f cm to the %s of the trunk",
                        c->path, bname(m, lo->leg[0].end.body), bname(m, lo->leg[1].end.body),
                        al < 0 ? "left" : "right", ARM_SIDE_MIN_M * 100,
                        al < 0 ? "left (+y)" : "right (-y)");
    lo->chest = lca(m, al, ar);
    double pel_z = d->xpos[3 * lo->pelvis + 2];
    for (int s = 0; s < 2; s++) {
        int leaf = s ? ar : al;
        double z;
        int b = leaf;
        double zmin = INFINITY;
        for (; b > 0 && b != lo->chest; b = m->body_parentid[b])
            if (body_low_world(c, b, &z))
                zmin = fmin(zmin, z);
        if (zmin < z1 + 0.4 * (pel_z - z1))
            return lfd_fail(err, LFD_EUNSUPPORTED,
                            "%s: not a humanoid: the %s chain beside the trunk (out to '%s') reaches "
                            "down to %.2f m, near the floor: an arm would hang above the knees (a "
                            "four-legged robot?)",
                            c->path, s ? "right" : "left", bname(m, leaf), zmin);
    }
    if (lo->chest <= 0)
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: not a humanoid: the arms share no trunk body",
                        c->path);
    int rc2;
    if ((rc2 = build_arm(c, lo->chest, al, LFD_LEFT, &lo->arm[0], err)) ||
        (rc2 = build_arm(c, lo->chest, ar, LFD_RIGHT, &lo->arm[1], err)))
        return rc2;

    /* 4. chest point: above the pelvis at 0.65 of the shoulders' height;
       head: the highest geom off the limbs */
    double sw[2][3];
    for (int s = 0; s < 2; s++) {
        mju_mulMatVec(sw[s], d->xmat + 9 * lo->arm[s].prox.body, lo->arm[s].prox.local, 3, 3);
        lfd_v3_add(sw[s], sw[s], d->xpos + 3 * lo->arm[s].prox.body);
    }
    double shz = 0.5 * (sw[0][2] + sw[1][2]);
    double cw[3] = {0.5 * (sw[0][0] + sw[1][0]), 0.5 * (sw[0][1] + sw[1][1]),
                    pel_z + 0.65 * (shz - pel_z)};
    set_point(c, &lo->chest_pt, lo->chest, cw);
    lo->head.found = 0;
    double hz = shz;
    int arm_root[2] = {lo->arm[0].ch[0], lo->arm[1].ch[0]};
    for (int g = 0; g < m->ngeom; g++) {
        int b = m->geom_bodyid[g];
        if (b <= 0 || in_subtree(m, b, leg_root[0]) || in_subtree(m, b, leg_root[1]) ||
            in_subtree(m, b, arm_root[0]) || in_subtree(m, b, arm_root[1]))
            continue;
        if (d->geom_xpos[3 * g + 2] > hz + 0.02) {
            hz = d->geom_xpos[3 * g + 2];
            set_point(c, &lo->head, b, d->geom_xpos + 3 * g);
        }
    }
    return LFD_OK;
}

/* ---- exclusions: pairs touching at the default pose ----------------------------- */
static int touching_pairs(const init_ctx *c, const double *qpos, int (*pairs)[2], int max,
                          lfd_err *err)
{
    mjModel *mm = mj_copyModel(NULL, c->m);
    mjData *dd = mm ? mj_makeData(mm) : NULL;
    if (!mm || !dd) {
        if (mm)
            mj_deleteModel(mm);
        return lfd_fail(err, LFD_ENOMEM, "out of memory (MuJoCo model copy)");
    }
    for (int g = 0; g < mm->ngeom; g++)
        mm->geom_margin[g] = fmax(mm->geom_margin[g], 0.002); /* touching within 2 mm */
    memcpy(dd->qpos, qpos, (size_t)mm->nq * sizeof(double));
    mj_fwdPosition(mm, dd);
    int n = 0;
    for (int i = 0; i < dd->ncon && n < max; i++) {
        int b1 = mm->geom_bodyid[dd->contact[i].geom1], b2 = mm->geom_bodyid[dd->contact[i].geom2];
        if (mm->body_weldid[b1] == 0 || mm->body_weldid[b2] == 0 || b1 == b2)
            continue;
        int lo = b1 < b2 ? b1 : b2, hi = b1 < b2 ? b2 : b1, dup = 0;
        for (int k = 0; k < n; k++)
            dup |= pairs[k][0] == lo && pairs[k][1] == hi;
        if (!dup) {
            pairs[n][0] = lo;
            pairs[n][1] = hi;
            n++;
        }
    }
    mj_deleteData(dd);
    mj_deleteModel(mm);
    return n;
}

/* ---- writing -------------------------------------------------------------------- */
static void fmt_vec(char *out, size_t n, const double *v, int k)
{
    out[0] = '\0';
    for (int i = 0; i < k; i++) {
        size_t l = strlen(out);
        double x = fabs(v[i]) < 5e-5 ? 0 : v[i];
        snprintf(out + l, n - l, "%s%.4g", i ? "," : "", x);
    }
}

static int is_zero3(const double *v)
{
    return fabs(v[0]) < 5e-5 && fabs(v[1]) < 5e-5 && fabs(v[2]) < 5e-5;
}

static void write_map(tbuf *t, const init_ctx *c, const char *human, const point *p, double pos_w,
                      double rot_w, const char *why)
{
    if (!p->found)
        return;
    char off[96] = "", rot[128] = "";
    if (!is_zero3(p->local)) {
        char v[80];
        fmt_vec(v, sizeof v, p->local, 3);
        snprintf(off, sizeof off, " offset=%s", v);
    }
    if (rot_w > 0) {
        const double *q = c->d->xquat + 4 * p->body;
        if (fabs(fabs(q[0]) - 1) > 1e-6) {
            char v[100];
            snprintf(v, sizeof v, "%.8g,%.8g,%.8g,%.8g", q[0], q[1], q[2], q[3]);
            snprintf(rot, sizeof rot, " rot=%s", v);
        }
    }
    tb_printf(t, "map %-10s body=%s pos_w=%g rot_w=%g%s%s   # guessed: %s\n", human,
              bname(c->m, p->body), pos_w, rot_w, off, rot, why);
}

static int key_index(const mjModel *m, const char **which)
{
    static const char *const names[] = {"home", "stand", "default", NULL};
    for (int i = 0; names[i]; i++)
        for (int k = 0; k < m->nkey; k++) {
            const char *kn = mj_id2name(m, mjOBJ_KEY, k);
            if (kn && !strcasecmp(kn, names[i])) {
                *which = kn;
                return k;
            }
        }
    return -1;
}

static void base_noext(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, n, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
    for (char *p = out; *p; p++)
        if (isspace((unsigned char)*p) || *p == '#')
            *p = '_';
}

/* the mjcf line: relative to the output's folder when the MJCF is inside it */
static void mjcf_ref(const char *mjcf, const char *out_path, char *ref, size_t n)
{
    char am[PATH_MAX], od[PATH_MAX];
    if (!realpath(mjcf, am)) {
        snprintf(ref, n, "%s", mjcf);
        return;
    }
    const char *slash = strrchr(out_path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out_path) : 1, slash ? out_path : ".");
    if (!slash && !dir[0])
        snprintf(dir, sizeof dir, ".");
    if (realpath(dir[0] ? dir : "/", od)) {
        size_t l = strlen(od);
        if (!strncmp(am, od, l) && am[l] == '/' && !strchr(am + l + 1, ' ')) {
            snprintf(ref, n, "%s", am + l + 1);
            return;
        }
    }
    snprintf(ref, n, "%s", am);
}

void lfd_robot_init_opts_init(lfd_robot_init_opts *o)
{
    memset(o, 0, sizeof *o);
    o->vel_default = VEL_DEFAULT;
}

static const char *act_name(const mjModel *m, int a, char *buf, size_t n)
{
    const char *s = mj_id2name(m, mjOBJ_ACTUATOR, a);
    if (s)
        return s;
    snprintf(buf, n, "#%d", a);
    return buf;
}

static int write_joints(tbuf *t, const init_ctx *c, const double *qdef, const char *keyname,
                        double vel_default, int *nguess_vel, lfd_err *err)
{
    const mjModel *m = c->m;
    for (int j = 0; j < m->njnt; j++) {
        int type = m->jnt_type[j];
        if (type == mjJNT_FREE)
            continue;
        const char *jn = jname(m, j);
        if (type == mjJNT_BALL)
            return lfd_fail(err, LFD_EUNSUPPORTED,
                            "%s: ball joint '%s' is not supported: write it as three hinges", c->path,
                            jn[0] ? jn : "(unnamed)");
        if (!jn[0])
            return lfd_fail(err, LFD_EPARSE, "%s: joint %d has no name (lfd needs joint names)",
                            c->path, j);
        char kv[512] = "", why[1024] = "";
        size_t kl = 0, wl = 0;
#define KV(...) (kl += (size_t)snprintf(kv + kl, kl < sizeof kv ? sizeof kv - kl : 0, __VA_ARGS__))
#define WHY(...) (wl += (size_t)snprintf(why + wl, wl < sizeof why ? sizeof why - wl : 0, __VA_ARGS__))
        double lo = m->jnt_range[2 * j], hi = m->jnt_range[2 * j + 1];
        if (!m->jnt_limited[j]) {
            lo = type == mjJNT_HINGE ? -M_PI : -1;
            hi = -lo;
            KV(" range=%.4f,%.4f", lo, hi);
            WHY("range guessed (the MJCF joint is unlimited); ");
        }
        KV(" vel=%g", vel_default);
        WHY("vel guessed (MJCF holds no velocity limit: lfd's default); ");
        (*nguess_vel)++;
        /* the actuator and the torque limit */
        int act = -1;
        for (int a = 0; a < m->nu && act < 0; a++)
            if (m->actuator_trntype[a] == mjTRN_JOINT && m->actuator_trnid[2 * a] == j)
                act = a;
        double tq = act >= 0 ? lfd_robot_act_torque_limit(m, act) : INFINITY;
        double kp = 0, kd = 0;
        char an[32];
        if (act >= 0) {
            const double *gp = m->actuator_gainprm + mjNGAIN * act;
            const double *bp = m->actuator_biasprm + mjNBIAS * act;
            double gear = m->actuator_gear[6 * act];
            int motor = m->actuator_gaintype[act] == mjGAIN_FIXED &&
                        m->actuator_biastype[act] == mjBIAS_NONE;
            int servo = m->actuator_gaintype[act] == mjGAIN_FIXED &&
                        m->actuator_biastype[act] == mjBIAS_AFFINE && gp[0] > 0 && bp[1] == -gp[0];
            const char *aname = act_name(m, act, an, sizeof an);
            if (isfinite(tq))
                WHY("torque %g N m from %s '%s' (gear %g x %s); ", tq,
                    servo ? "position servo" : motor ? "motor" : "actuator", aname, gear,
                    m->actuator_forcelimited[act] ? "forcerange" : "ctrlrange");
            /* an asymmetric force or control range: lfd's torque limits
               are symmetric and the loader refuses such an actuator without
               torque= (robots/lfd_robot.c), so the draft states the weaker
               side (a range with one side at 0 has no symmetric limit: the
               stronger side, said) */
            const char *what = NULL;
            const double *lr = lfd_robot_act_asym_range(m, act, &what);
            if (lr) {
                double k = fabs(gear) * (m->actuator_forcelimited[act] ? 1 : fabs(gp[0]));
                double weak = fmin(fabs(lr[0]), fabs(lr[1])) * k, strong = fmax(fabs(lr[0]), fabs(lr[1])) * k;
                tq = weak > 0 ? weak : strong;
                KV(" torque=%.4g", tq);
                if (weak > 0)
                    WHY("torque %.4g: the weaker side of the asymmetric range %g..%g; ", tq, lr[0], lr[1]);
                else
                    WHY("torque %.4g: the range %g..%g acts one way only, lfd's limit is symmetric: check it; ",
                        tq, lr[0], lr[1]);
            }
            if (servo) {
                kp = gp[0] * gear * gear;
                kd = -bp[2] * gear * gear;
                if (!(kd > 0))
                    kd = 0;
                if (kd > 0)
                    WHY("kp/kd = the servo's kp/kv; ");
                else
                    WHY("kp = the servo's kp, kd 0: the servo has no kv (the joint's damping %g "
                        "acts); ", m->dof_damping[m->jnt_dofadr[j]]);
                if (!isfinite(tq)) {
                    tq = kp * 0.5;
                    KV(" torque=%.4g", tq);
                    WHY("torque guessed: kp x 0.5 rad (the servo has no forcerange); ");
                }
            }
        }
        if (!isfinite(tq)) {
            /* no limited actuator: twice the gravity torque of what the joint carries */
            int b = m->jnt_bodyid[j];
            double arm = lfd_v3_dist(c->d->subtree_com + 3 * b, c->d->xanchor + 3 * j);
            tq = fmax(1.0, 2 * m->body_subtreemass[b] * 9.81 * arm);
            tq = ceil(tq);
            KV(" torque=%g", tq);
            WHY("torque guessed: 2 x the gravity torque of the links it carries (%s); ",
                act >= 0 ? "its actuator is unlimited" : "no actuator");
        }
        if (act >= 0 && kp <= 0) {
            kp = KP_PER_TORQUE * tq;
            kd = KD_PER_KP * kp;
            WHY("kp/kd guessed: kp = torque / 0.5 rad, kd = kp / 20 (lfd's rule of thumb); ");
        }
        if (act >= 0)
            KV(" kp=%.5g kd=%.5g", kp, kd);
        double q = qdef[m->jnt_qposadr[j]];
        if (keyname) {
            WHY("default from keyframe '%s'", keyname);
        } else {
            WHY("default 0: no keyframe home/stand/default");
        }
        if (q < lo || q > hi) {
            q = q < lo ? lo : hi;
            WHY(" (outside the range: moved to the bound)");
        }
        if (q != 0)
            KV(" default=%.6g", q);
#undef KV
#undef WHY
        tb_printf(t, "joint %-24s%s   # %s\n", jn, kv, why);
    }
    return LFD_OK;
}

int lfd_robot_init(const char *mjcf_path, const char *out_path, const lfd_robot_init_opts *opts,
                   char **text, size_t *len, lfd_err *err)
{
    *text = NULL;
    *len = 0;
    lfd_robot_init_opts o;
    if (opts)
        o = *opts;
    else
        lfd_robot_init_opts_init(&o);
    if (!(o.vel_default > 0))
        o.vel_default = VEL_DEFAULT;
    mjModel *m = NULL;
    int rc = lfd_mj_load(&m, NULL, NULL, mjcf_path, err);
    if (rc)
        return rc;
    init_ctx c = {mjcf_path, m, mj_makeData(m), calloc((size_t)m->nbody, sizeof(int))};
    tbuf t = {0};
    layout *lo = calloc(1, sizeof *lo);
    double *qdef = calloc((size_t)m->nq, sizeof(double));
    int (*pairs)[2] = calloc(LFD_ROBOT_MAX_EXCLUDE, sizeof *pairs);
    if (!c.d || !c.nchild || !lo || !qdef || !pairs) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    for (int b = 1; b < m->nbody; b++)
        c.nchild[m->body_parentid[b]]++;
    /* the zero pose: the human rest pose */
    mj_resetData(m, c.d);
    mj_kinematics(m, c.d);
    mj_comPos(m, c.d);
    if ((rc = find_layout(&c, lo, err)))
        goto done;
    int floating = 0;
    for (int j = 0; j < m->njnt; j++)
        floating |= m->jnt_type[j] == mjJNT_FREE;
    /* the default pose */
    const char *keyname = NULL;
    int key = key_index(m, &keyname);
    memcpy(qdef, key >= 0 ? m->key_qpos + (size_t)key * m->nq : m->qpos0,
           (size_t)m->nq * sizeof(double));

    char name[LFD_NAME_MAX], ref[PATH_MAX];
    if (o.name && *o.name)
        snprintf(name, sizeof name, "%s", o.name);
    else
        base_noext(mjcf_path, name, sizeof name);
    mjcf_ref(mjcf_path, out_path, ref, sizeof ref);
    tb_printf(&t, "lfd-robot 1\n");
    tb_printf(&t, "# Drafted by `lfd robot init` from %s alone (format: docs/robots.md).\n",
              mjcf_path);
    tb_printf(&t, "# Each value the MJCF does not hold is marked 'guessed' with where it came from:\n"
                  "# check those before trusting this robot with hardware.  Ranges and torque\n"
                  "# limits the MJCF holds are read from it on every load, so they are not\n"
                  "# repeated here.\n");
    tb_printf(&t, "# base: %s\n\n", floating ? "floating (a free joint on the root body)"
                                             : "fixed (no free joint)");
    tb_printf(&t, "name %s\nmjcf %s\nsource drafted by lfd robot init from %s\n\n", name, ref,
              strrchr(mjcf_path, '/') ? strrchr(mjcf_path, '/') + 1 : mjcf_path);
    int nvel = 0;
    if ((rc = write_joints(&t, &c, qdef, keyname, o.vel_default, &nvel, err)))
        goto done;
    if (nvel)
        lfd_warn("%s: MJCF holds no velocity limits: %d joints get lfd's default %g rad/s "
                 "(marked 'guessed' in the description; edit them to the robot's real limits)",
                 mjcf_path, nvel, o.vel_default);

    /* feet and hands */
    static const char *const side[2] = {"left", "right"};
    tb_printf(&t, "\n# feet: the first body past each knee whose collision geoms reach the floor; "
                  "sole\n# rectangle and height from those geoms' lowest points (body frame)\n");
    for (int s = 0; s < 2; s++) {
        const double *so = lo->sole[s];
        tb_printf(&t, "foot %-5s body=%s sole=%.4f,%.4f,%.4f,%.4f z=%.4f   # guessed: from the "
                      "geoms of '%s'%s\n",
                  side[s], bname(m, lo->leg[s].end.body), so[0], so[1], so[2], so[3], lo->sole_z[s],
                  bname(m, lo->leg[s].end.body),
                  lo->sole_widened[s] ? " (one line of contact: widened to 2 cm)" : "");
    }
    for (int s = 0; s < 2; s++) {
        char v[80];
        fmt_vec(v, sizeof v, lo->arm[s].end.local, 3);
        tb_printf(&t, "hand %-5s body=%s offset=%s   # guessed: %s\n", side[s],
                  bname(m, lo->arm[s].end.body), v,
                  name_has(bname(m, lo->arm[s].end.body), HAND_WORDS)
                      ? "the arm's body named hand/palm, centre of its geoms"
                      : "the arm's geom furthest from the elbow");
    }

    /* exclusions at the default pose (root lifted so nothing meets the floor) */
    if (floating)
        qdef[2] += 1.0;
    int np = touching_pairs(&c, qdef, pairs, LFD_ROBOT_MAX_EXCLUDE, err);
    if (np < 0) {
        rc = np;
        goto done;
    }
    tb_printf(&t, "\n# self-collision pairs already touching (within 2 mm) at the default pose\n");
    for (int i = 0; i < np; i++)
        tb_printf(&t, "exclude %s %s   # guessed: in contact at the default pose\n",
                  bname(m, pairs[i][0]), bname(m, pairs[i][1]));
    if (!np)
        tb_printf(&t, "# (none)\n");

    /* retargeting map */
    tb_printf(&t, "\n# retargeting map (canonical human joint -> robot body + point in the body "
                  "frame).\n# Points sit at the joint centres, where the joint axes meet; the "
                  "retargeter\n# scales each limb from these link lengths.  Weights follow the "
                  "built-in robots.\n");
    point pel = {lo->pelvis, {0, 0, 0}, 1};
    write_map(&t, &c, "pelvis", &pel, 1.0, 1.0, "the trunk body where the legs meet");
    write_map(&t, &c, "chest", &lo->chest_pt, 0.0, 0.5,
              "the trunk body where the arms meet, 0.65 of the way up to the shoulders");
    write_map(&t, &c, "head", &lo->head, 0.1, 0.0, "the highest geom off the limbs");
    static const char *const hn[2][9] = {
        {"l_hip", "l_knee", "l_ankle", "l_toe", "l_shoulder", "l_elbow", "l_wrist"},
        {"r_hip", "r_knee", "r_ankle", "r_toe", "r_shoulder", "r_elbow", "r_wrist"}};
    for (int s = 0; s < 2; s++) {
        const limb *L = &lo->leg[s];
        char why[200];
        write_map(&t, &c, hn[s][0], &L->prox, 0.5, 0.0, "where the hip joint axes meet, on the flexion axis");
        snprintf(why, sizeof why, "the knee joint's anchor (%s)", L->how);
        write_map(&t, &c, hn[s][1], &L->mid, 1.0, 0.0, why);
        write_map(&t, &c, hn[s][2], &L->dist, 1.0, 0.5, "where the ankle joint axes meet");
        point toe = {L->end.body, {lo->sole[s][1], 0.5 * (lo->sole[s][2] + lo->sole[s][3]),
                                   lo->sole_z[s] + 0.01}, 1};
        write_map(&t, &c, hn[s][3], &toe, 0.5, 0.0, "the front of the sole, 1 cm above it");
    }
    for (int s = 0; s < 2; s++) {
        const limb *L = &lo->arm[s];
        char why[200];
        write_map(&t, &c, hn[s][4], &L->prox, 0.5, 0.0, "where the shoulder joint axes meet, on the flexion axis");
        snprintf(why, sizeof why, "the elbow joint's anchor (%s)", L->how);
        write_map(&t, &c, hn[s][5], &L->mid, 1.0, 0.0, why);
        write_map(&t, &c, hn[s][6], &L->dist, 1.0, 0.0,
                  L->dist.body == L->end.body && !memcmp(L->dist.local, L->end.local, sizeof L->dist.local)
                      ? "no wrist joint: the hand point"
                      : "where the wrist joint axes meet");
    }
    if (t.oom) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    /* the draft must load as the file it will be */
    lfd_robot *r = NULL;
    if ((rc = lfd_robot_load_text(&r, out_path, t.s, t.len, err))) {
        lfd_err_prefix(err, "%s: the drafted description does not load", mjcf_path);
        goto done;
    }
    lfd_robot_free(&r);
    *text = t.s;
    *len = t.len;
    t.s = NULL;
done:
    free(t.s);
    free(pairs);
    free(qdef);
    free(lo);
    free(c.nchild);
    if (c.d)
        mj_deleteData(c.d);
    mj_deleteModel(m);
    return rc;
}
