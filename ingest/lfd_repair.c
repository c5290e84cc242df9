/*  lfd_repair: carries out a repair plan on keypoints and writes the result
    (see lfd_repair.h).

    Repairs work on the human's positions (metres, lfd world, Z up), where
    the plan was made, and only the joint-frames a repair touched are
    converted back to the file's units and axes (p_src = R^T p / unit_m);
    every other value is copied from the source unchanged.  Source joints
    are grouped for swaps and flips by their mirror partner's name
    (left/right, Left/Right, _L/_R, l/r prefixes, ...) and by the canonical
    joint they sit nearest to (median over the clip): arm, leg or other
    (face, trunk), and distal (elbow and beyond, knee and beyond) or not.
*/
#include "ingest/lfd_repair.h"
#include "core/lfd_util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "core/lfd_mp.h"
#include "core/lfd_quat.h"

enum { G_OTHER, G_ARM_L, G_ARM_R, G_LEG_L, G_LEG_R };

/* ---- mirror names ----------------------------------------------------------------- */
/* writes the left/right mirror of name into out; 0 when name has no side */
static int mirror_name(const char *s, char *out, size_t cap)
{
    static const char *const pairs[][2] = {{"left", "right"}, {"Left", "Right"}, {"LEFT", "RIGHT"}};
    size_t n = strlen(s);
    if (n + 2 >= cap)
        return 0;
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
        for (int k = 0; k < 2; k++) {
            const char *a = pairs[p][k], *b = pairs[p][!k];
            const char *at = strstr(s, a);
            if (at) {
                snprintf(out, cap, "%.*s%s%s", (int)(at - s), s, b, at + strlen(a));
                return 1;
            }
        }
    /* suffixes _L/_R, .L/.R, _l/_r */
    if (n >= 2 && (s[n - 2] == '_' || s[n - 2] == '.') && strchr("LRlr", s[n - 1])) {
        snprintf(out, cap, "%s", s);
        out[n - 1] = s[n - 1] == 'L' ? 'R' : s[n - 1] == 'R' ? 'L' : s[n - 1] == 'l' ? 'r' : 'l';
        return 1;
    }
    /* " L " inside (3ds Max Biped) */
    const char *sp = strstr(s, " L ");
    if (!sp)
        sp = strstr(s, " R ");
    if (sp) {
        snprintf(out, cap, "%s", s);
        out[sp - s + 1] = sp[1] == 'L' ? 'R' : 'L';
        return 1;
    }
    /* prefixes L/R or l/r before an upper-case letter or '_' (LHipJoint, lShldr, L_Hip) */
    if (n >= 2 && strchr("LRlr", s[0]) && (isupper((unsigned char)s[1]) || s[1] == '_')) {
        snprintf(out, cap, "%s", s);
        out[0] = s[0] == 'L' ? 'R' : s[0] == 'R' ? 'L' : s[0] == 'l' ? 'r' : 'l';
        return 1;
    }
    return 0;
}

typedef struct groups {
    int *mirror;  /* partner joint or -1 */
    int *group;   /* G_* */
    uint8_t *distal;
} groups;

static void groups_free(groups *g)
{
    free(g->mirror);
    free(g->group);
    free(g->distal);
}

/* the canonical position cj at frame f computed from positions W (source joints) */
static void cpos_w(const lfd_human *h, const double *W, int f, int cj, double out[3])
{
    const lfd_cplace *c = &h->map.c[cj];
    out[0] = out[1] = out[2] = 0;
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < 3; k++)
            out[k] += c->w[i] * W[((size_t)f * (size_t)h->njoints + (size_t)c->src[i]) * 3 + (size_t)k];
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int groups_build(const lfd_human *h, groups *g, lfd_err *err)
{
    int J = h->nsource, T = h->nframes;
    g->mirror = malloc((size_t)J * sizeof *g->mirror);
    g->group = calloc((size_t)J, sizeof *g->group);
    g->distal = calloc((size_t)J, 1);
    double *d = malloc(64 * sizeof *d);
    if (!g->mirror || !g->group || !g->distal || !d) {
        free(d);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", h->path);
    }
    char m[LFD_HUMAN_NAME_MAX + 8];
    for (int j = 0; j < J; j++) {
        g->mirror[j] = -1;
        if (!mirror_name(h->names[j], m, sizeof m))
            continue;
        for (int k = 0; k < J; k++)
            if (k != j && !strcmp(h->names[k], m)) {
                g->mirror[j] = k;
                break;
            }
    }
    /* nearest canonical joint, median distance over up to 64 frames */
    static const int limb[] = {LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW, LFD_CJ_L_WRIST, LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW,
                               LFD_CJ_R_WRIST,    LFD_CJ_L_HIP,   LFD_CJ_L_KNEE,  LFD_CJ_L_ANKLE,  LFD_CJ_L_TOE,
                               LFD_CJ_R_HIP,      LFD_CJ_R_KNEE,  LFD_CJ_R_ANKLE, LFD_CJ_R_TOE};
    for (int j = 0; j < J; j++) {
        double best = INFINITY;
        int bc = -1;
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
            int k = 0;
            for (int s = 0; s < 64 && T > 0; s++) {
                int f = (int)((long)s * T / 64);
                double dd = lfd_v3_dist(lfd_human_pos(h, f, j), lfd_human_cpos(h, f, cj));
                if (isfinite(dd))
                    d[k++] = dd;
            }
            if (!k)
                continue;
            qsort(d, (size_t)k, sizeof *d, cmp_dbl);
            double med = d[k / 2];
            /* the canonical joint itself wins ties */
            if (med < best - 1e-9) {
                best = med;
                bc = cj;
            }
        }
        for (size_t i = 0; i < sizeof limb / sizeof limb[0]; i++)
            if (limb[i] == bc) {
                g->group[j] = i < 3 ? G_ARM_L : i < 6 ? G_ARM_R : i < 10 ? G_LEG_L : G_LEG_R;
                g->distal[j] = !(i == 0 || i == 3 || i == 6 || i == 10);
            }
    }
    free(d);
    /* with a tree, the tree decides: a limb is the subtree of its shoulder or
       hip plus its paired ancestors (clavicle, buttock); distal is the
       subtree of the elbow or knee */
    int tree = 0;
    for (int j = 0; j < J; j++)
        tree |= h->parent[j] >= 0 && h->parent[j] < J;
    if (tree) {
        static const int roots[4][2] = {{LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW}, {LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW},
                                        {LFD_CJ_L_HIP, LFD_CJ_L_KNEE},       {LFD_CJ_R_HIP, LFD_CJ_R_KNEE}};
        static const int grp[4] = {G_ARM_L, G_ARM_R, G_LEG_L, G_LEG_R};
        for (int j = 0; j < J; j++) {
            g->group[j] = G_OTHER;
            g->distal[j] = 0;
        }
        for (int l = 0; l < 4; l++) {
            if (h->map.c[roots[l][0]].n != 1)
                continue;
            int root = h->map.c[roots[l][0]].src[0], mid = h->map.c[roots[l][1]].n == 1 ? h->map.c[roots[l][1]].src[0] : -1;
            for (int j = 0; j < J; j++) {
                int in = 0, dist = 0;
                for (int k = j, dd = 0; k >= 0 && k < J && dd < 256; k = h->parent[k], dd++) {
                    in |= k == root;
                    dist |= k == mid;
                }
                if (in) {
                    g->group[j] = grp[l];
                    g->distal[j] = (uint8_t)dist;
                }
            }
            for (int k = h->parent[root], dd = 0; k >= 0 && k < J && dd < 256; k = h->parent[k], dd++)
                if (g->mirror[k] >= 0)
                    g->group[k] = grp[l];
        }
    }
    return LFD_OK;
}

/* ---- fills ----------------------------------------------------------------------------- */
static double *W_at(const lfd_human *h, double *W, int f, int j)
{
    return W + ((size_t)f * (size_t)h->njoints + (size_t)j) * 3;
}

static int finite3(const double *p) { return isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]); }

/* the anchor of joint j: its parent, else the source of its canonical parent; -1: none */
static int anchor_of(const lfd_human *h, int j)
{
    if (h->parent[j] >= 0 && h->parent[j] < h->nsource)
        return h->parent[j];
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        const lfd_cplace *c = &h->map.c[cj];
        if (c->n == 1 && c->src[0] == j) {
            int pc = lfd_cjoint_parent(cj);
            while (pc >= 0 && h->map.c[pc].n != 1)
                pc = lfd_cjoint_parent(pc);
            return pc >= 0 ? h->map.c[pc].src[0] : -1;
        }
    }
    return -1;
}

/* rotation (quaternion w x y z) taking unit vector u onto unit vector v by
   the shortest arc; identity when they are (nearly) opposite */
static void quat_between(double q[4], const double u[3], const double v[3])
{
    double c[3], d = lfd_v3_dot(u, v);
    lfd_v3_cross(c, u, v);
    lfd_quat_identity(q);
    if (d > -0.999) {
        q[0] = 1 + d, q[1] = c[0], q[2] = c[1], q[3] = c[2];
        lfd_quat_normalize(q);
    }
}

/* is joint j known (finite, not flagged) at frame f */
static int known(const lfd_human *h, const double *W, const uint8_t *bad, int f, int j)
{
    return f >= 0 && f < h->nframes && !bad[(size_t)f * h->nsource + j] && finite3(W_at(h, (double *)W, f, j));
}

/* The ways a gap of joint j (anchor an) can be interpolated:
     FILL_OFFSET  the offset from the anchor, in the world's axes;
     FILL_CARRIED the offset from the anchor, in a frame carried along by the
                  anchor's own bone (a forearm swung with its upper arm);
     FILL_PATH    the joint's own path in the world.
   Each is a cubic Hermite curve between a-1 and b+1 with the velocities
   measured just outside the gap (second-order one-sided differences),
   put back at a length from the anchor between the bone lengths at the two
   ends (so bones do not stretch). */
enum { FILL_OFFSET, FILL_CARRIED, FILL_PATH, FILL_NMODES };

/* Interpolates joint j over a..b with one of the modes above into
   out[(f - a) * 3]; reads only W outside a..b for j (the anchor and its own
   anchor are read through the gap).  Returns 0 when the mode cannot be used
   (e.g. no anchor bone to carry the frame). */
static int hermite_fill(const lfd_human *h, const double *Wc, const uint8_t *bad, int j, int an, int mode, int a,
                        int b, double *out, double (*Q)[4])
{
    double *W = (double *)Wc;
    int T = h->nframes;
    if (an < 0 && mode != FILL_PATH)
        mode = FILL_PATH;
    int fa = a - 3 < 0 ? 0 : a - 3, fb = b + 3 >= T ? T - 1 : b + 3;
    if (mode == FILL_CARRIED) {
        /* Q[f - fa]: the frame at f (identity at a-1), by parallel transport
           of the anchor bone's direction; needs the bone from fa to fb */
        int gp = anchor_of(h, an);
        if (gp < 0)
            return 0;
        for (int f = fa; f <= fb; f++)
            if (!known(h, W, bad, f, gp) || !known(h, W, bad, f, an) ||
                lfd_v3_dist(W_at(h, W, f, an), W_at(h, W, f, gp)) < 1e-6)
                return 0;
        double u[3], w[3], dq[4];
        lfd_quat_identity(Q[a - 1 - fa]);
        for (int f = a; f <= fb; f++) {
            lfd_v3_sub(u, W_at(h, W, f - 1, an), W_at(h, W, f - 1, gp));
            lfd_v3_sub(w, W_at(h, W, f, an), W_at(h, W, f, gp));
            lfd_v3_normalize(u);
            lfd_v3_normalize(w);
            quat_between(dq, u, w);
            lfd_quat_mul(Q[f - fa], dq, Q[f - 1 - fa]);
        }
        for (int f = a - 2; f >= fa; f--) {
            lfd_v3_sub(u, W_at(h, W, f + 1, an), W_at(h, W, f + 1, gp));
            lfd_v3_sub(w, W_at(h, W, f, an), W_at(h, W, f, gp));
            lfd_v3_normalize(u);
            lfd_v3_normalize(w);
            quat_between(dq, u, w);
            lfd_quat_mul(Q[f - fa], dq, Q[f + 1 - fa]);
        }
    }
    /* the interpolated quantity at a-3, a-2, a-1 and b+1, b+2, b+3 (where known) */
    double r[6][3];
    int ok[6], fr[6] = {a - 3, a - 2, a - 1, b + 1, b + 2, b + 3};
    for (int i = 0; i < 6; i++) {
        int f = fr[i];
        ok[i] = known(h, W, bad, f, j) && (an < 0 || known(h, W, bad, f, an));
        double d[3] = {0, 0, 0};
        for (int k = 0; k < 3 && ok[i]; k++)
            d[k] = W_at(h, W, f, j)[k] - (an >= 0 && mode != FILL_PATH ? W_at(h, W, f, an)[k] : 0);
        if (ok[i] && mode == FILL_CARRIED)
            lfd_quat_rotate_inv(r[i], Q[f - fa], d);
        else
            memcpy(r[i], d, sizeof d);
    }
    if (!ok[2] || !ok[3])
        return 0;
    double v0[3], v1[3];
    for (int k = 0; k < 3; k++) {
        v0[k] = ok[0] && ok[1] ? (3 * r[2][k] - 4 * r[1][k] + r[0][k]) / 2 : ok[1] ? r[2][k] - r[1][k] : 0;
        v1[k] = ok[4] && ok[5] ? (-3 * r[3][k] + 4 * r[4][k] - r[5][k]) / 2 : ok[4] ? r[4][k] - r[3][k] : 0;
    }
    double len0 = 0, len1 = 0;
    if (an >= 0) {
        len0 = lfd_v3_dist(W_at(h, W, a - 1, j), W_at(h, W, a - 1, an));
        len1 = lfd_v3_dist(W_at(h, W, b + 1, j), W_at(h, W, b + 1, an));
    }
    double n = b - a + 2; /* frames from a-1 to b+1 */
    for (int f = a; f <= b; f++) {
        double s = (f - (a - 1)) / n, s2 = s * s, s3 = s2 * s;
        double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
        double q[3];
        for (int k = 0; k < 3; k++)
            q[k] = h00 * r[2][k] + h10 * v0[k] * n + h01 * r[3][k] + h11 * v1[k] * n;
        if (mode == FILL_CARRIED)
            lfd_quat_rotate(q, Q[f - fa], q);
        double *p = out + (size_t)(f - a) * 3;
        if (an >= 0) {
            if (mode == FILL_PATH)
                lfd_v3_sub(q, q, W_at(h, W, f, an));
            /* a bone: keep its length between the lengths at the two ends */
            double L = (1 - s) * len0 + s * len1, qn = lfd_v3_norm(q);
            if (qn > 1e-9)
                lfd_v3_scale(q, q, L / qn);
            lfd_v3_add(p, W_at(h, W, f, an), q);
        } else {
            memcpy(p, q, sizeof q);
        }
    }
    return 1;
}

/* Interpolates joint j over a..b into out with mode m (FILL_*) or, for
   m == FILL_NMODES, the mean of FILL_OFFSET and FILL_CARRIED (tmp: scratch
   of the same size as out). */
static int fill_mode(const lfd_human *h, const double *W, const uint8_t *bad, int j, int an, int m, int a, int b,
                     double *out, double *tmp, double (*Q)[4])
{
    if (m < FILL_NMODES)
        return hermite_fill(h, W, bad, j, an, m, a, b, out, Q);
    if (!hermite_fill(h, W, bad, j, an, FILL_OFFSET, a, b, out, Q) ||
        !hermite_fill(h, W, bad, j, an, FILL_CARRIED, a, b, tmp, Q))
        return 0;
    for (int f = a; f <= b; f++) {
        double *p = out + (size_t)(f - a) * 3, *q = tmp + (size_t)(f - a) * 3;
        for (int k = 0; k < 3; k++)
            p[k] = 0.5 * (p[k] + q[k]);
        if (an >= 0) {
            /* back onto the bone's length (the mean of two points on a sphere lies inside it) */
            double d[3];
            lfd_v3_sub(d, q, W_at(h, (double *)W, f, an));
            double L = lfd_v3_norm(d); /* both put it at this length */
            lfd_v3_sub(d, p, W_at(h, (double *)W, f, an));
            double dn = lfd_v3_norm(d);
            if (dn > 1e-9)
                lfd_v3_scale(d, d, L / dn);
            lfd_v3_add(p, W_at(h, (double *)W, f, an), d);
        }
    }
    return 1;
}

/* Fills joint j over frames a..b (valid at a-1 and b+1) with the
   interpolation that does best on the same joint nearby: each mode, and
   the mean of FILL_OFFSET and FILL_CARRIED, is tried on gaps of the same
   length cut out (in thought) at up to LFD_REPAIR_FILL_TRIES places around
   the gap where the joint is known, and the one with the smallest summed
   largest error is used.  A walk's arm swing, carried by the upper arm,
   and a reach, whose hand path is smooth, pick different modes. */
#define LFD_REPAIR_FILL_TRIES 6
static void fill_gap(const lfd_human *h, double *W, int j, int a, int b, const uint8_t *bad)
{
    int J = h->nsource, T = h->nframes;
    int an = anchor_of(h, j);
    /* the anchor must be known through the whole gap and at the ends */
    for (int f = a - 1; an >= 0 && f <= b + 1; f++)
        if (!finite3(W_at(h, W, f, an)) || bad[(size_t)f * J + an])
            an = -1;
    int len = b - a + 1;
    double *out = malloc((size_t)len * 6 * sizeof *out), *tmp = out ? out + (size_t)len * 3 : NULL;
    double (*Q)[4] = malloc((size_t)(len + 6) * sizeof *Q);
    if (!out || !Q) {
        free(out);
        free(Q);
        return;
    }
    /* the mode that does best on gaps of the same length nearby, where the
       joint is known (up to LFD_REPAIR_FILL_TRIES of them, the nearest
       first); FILL_OFFSET when there are none */
    int mode = FILL_OFFSET;
    {
        double cost[FILL_NMODES + 1] = {0};
        int ntry = 0;
        for (int k = 1; k <= 4 && ntry < LFD_REPAIR_FILL_TRIES; k++)
            for (int sg = -1; sg <= 1 && ntry < LFD_REPAIR_FILL_TRIES; sg += 2) {
                int d = sg * k * (len + 4), pa = a + d, pb = b + d, usable = pa - 3 >= 0 && pb + 3 < T;
                for (int f = pa - 3; usable && f <= pb + 3; f++)
                    usable = known(h, W, bad, f, j) && (an < 0 || known(h, W, bad, f, an));
                if (!usable)
                    continue;
                for (int m = 0; m <= FILL_NMODES; m++) {
                    double e = 0;
                    if (fill_mode(h, W, bad, j, an, m, pa, pb, out, tmp, Q))
                        for (int f = pa; f <= pb; f++)
                            e = fmax(e, lfd_v3_dist(out + (size_t)(f - pa) * 3, W_at(h, W, f, j)));
                    else
                        e = INFINITY;
                    cost[m] += e;
                }
                ntry++;
            }
        for (int m = 0; ntry && m <= FILL_NMODES; m++)
            if (cost[m] < cost[mode])
                mode = m;
    }
    if (!fill_mode(h, W, bad, j, an, mode, a, b, out, tmp, Q))
        hermite_fill(h, W, bad, j, an, FILL_OFFSET, a, b, out, Q);
    for (int f = a; f <= b; f++)
        memcpy(W_at(h, W, f, j), out + (size_t)(f - a) * 3, 3 * sizeof *out);
    free(out);
    free(Q);
}

static int depth_of(const lfd_human *h, int j)
{
    int d = 0;
    for (int a = anchor_of(h, j); a >= 0 && d < 64; a = anchor_of(h, a))
        d++;
    return d;
}

/* ---- the report's repair list ----------------------------------------------------------- */
static lfd_qa_repair *repair_entry(lfd_qa_report *r, int kind, const char *what)
{
    for (int i = 0; i < r->nrepairs; i++)
        if (!strcmp(r->repair[i].kind, lfd_qa_kind_name(kind)) && !strcmp(r->repair[i].what, what))
            return &r->repair[i];
    if (r->nrepairs >= LFD_QA_MAX_REPAIRS)
        return NULL;
    lfd_qa_repair *e = &r->repair[r->nrepairs++];
    memset(e, 0, sizeof *e);
    snprintf(e->kind, sizeof e->kind, "%s", lfd_qa_kind_name(kind));
    snprintf(e->what, sizeof e->what, "%s", what);
    return e;
}

static void repair_range(lfd_qa_report *r, int kind, const char *what, int f0, int f1)
{
    lfd_qa_repair *e = repair_entry(r, kind, what);
    if (!e)
        return;
    e->frames += f1 - f0 + 1;
    /* merge with the last range when adjacent or overlapping */
    if (e->nranges && f0 <= e->range[e->nranges - 1][1] + 1) {
        if (f1 > e->range[e->nranges - 1][1])
            e->range[e->nranges - 1][1] = f1;
        return;
    }
    if (e->nranges < LFD_QA_MAX_RANGES) {
        e->range[e->nranges][0] = f0;
        e->range[e->nranges][1] = f1;
        e->nranges++;
    } else {
        e->more_ranges++;
    }
}

/* ---- apply -------------------------------------------------------------------------------- */
/* resamples out (positions, confidences) onto a constant rate over its times */
static int resample(lfd_keypoints *out, double fps, lfd_err *err)
{
    int T = out->nframes, J = out->njoints;
    const double *t = out->times;
    double t0 = t[0], t1 = t[T - 1];
    long T2 = (long)floor((t1 - t0) * fps + 1e-6) + 1;
    if (T2 < 2 || T2 > LFD_KP_MAX_FRAMES || (size_t)T2 * (size_t)J * 3 > LFD_KP_MAX_VALUES)
        return lfd_fail(err, LFD_ELIMIT, "%s: resampling gives %ld frames", out->name, T2);
    double *pos = malloc((size_t)T2 * (size_t)J * 3 * sizeof *pos), *tt = malloc((size_t)T2 * sizeof *tt);
    double *conf = out->conf ? malloc((size_t)T2 * (size_t)J * sizeof *conf) : NULL;
    if (!pos || !tt || (out->conf && !conf)) {
        free(pos), free(tt), free(conf);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", out->name);
    }
    int i = 0;
    for (long k = 0; k < T2; k++) {
        double x = t0 + (double)k / fps;
        if (x > t1)
            x = t1;
        while (i + 2 < T && t[i + 1] < x)
            i++;
        double h = t[i + 1] - t[i], s = (x - t[i]) / h, s2 = s * s, s3 = s2 * s;
        double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
        /* a time on a sample (to rounding: times in ms come back as x/1000)
           takes that sample exactly; a weight of 0 on a missing neighbour
           would still give NaN (0 * NaN) and widen every gap */
        int on = s <= 1e-9 ? i : s >= 1 - 1e-9 ? i + 1 : -1;
        tt[k] = x;
        for (int j = 0; j < J; j++)
            for (int c = 0; c < 3; c++) {
                const double *p = out->pos;
                size_t a = ((size_t)i * J + j) * 3 + c, b = ((size_t)(i + 1) * J + j) * 3 + c;
                double *o = &pos[((size_t)k * J + j) * 3 + c];
                if (on >= 0) {
                    *o = p[on == i ? a : b];
                    continue;
                }
                /* Catmull-Rom tangents over the uneven times (per second), scaled to the
                   interval; one-sided where the sample beyond the interval is missing, so a
                   gap does not reach into the good interval next to it */
                double pm = i > 0 ? p[a - (size_t)J * 3] : NAN, pn = i + 2 < T ? p[b + (size_t)J * 3] : NAN;
                double m0 = isfinite(pm) ? (p[b] - pm) / (t[i + 1] - t[i - 1]) : (p[b] - p[a]) / h;
                double m1 = isfinite(pn) ? (pn - p[a]) / (t[i + 2] - t[i]) : (p[b] - p[a]) / h;
                *o = h00 * p[a] + h10 * h * m0 + h01 * p[b] + h11 * h * m1;
            }
        if (conf)
            for (int j = 0; j < J; j++)
                conf[(size_t)k * J + j] = on >= 0 ? out->conf[(size_t)on * J + j]
                                                  : fmin(out->conf[(size_t)i * J + j], out->conf[(size_t)(i + 1) * J + j]);
    }
    free(out->pos);
    free(out->times);
    free(out->conf);
    out->pos = pos;
    out->times = tt;
    out->conf = conf;
    out->nframes = (int)T2;
    out->fps = fps;
    snprintf(out->fps_source, sizeof out->fps_source, "resampled");
    return LFD_OK;
}

int lfd_repair_apply(const lfd_keypoints *kp, const lfd_human *h, const lfd_repair_plan *plan, lfd_keypoints *out,
                     lfd_qa_report *r, lfd_err *err)
{
    memset(out, 0, sizeof *out);
    if (h->nsource != kp->njoints || h->nframes != kp->nframes || h->first_frame != 0)
        return lfd_fail(err, LFD_EMISMATCH, "%s: keypoints and human differ (%d x %d against %d x %d)", kp->name,
                        kp->nframes, kp->njoints, h->nframes, h->nsource);
    if (plan->more)
        return lfd_fail(err, LFD_ELIMIT, "%s: more than %d repairs needed; nothing repaired", kp->name,
                        LFD_REPAIR_MAX_OPS);
    int rc = lfd_kp_clone(out, kp, err);
    if (rc)
        return rc;
    int T = h->nframes, J = h->nsource, nrep = 0;
    size_t NW = (size_t)T * (size_t)h->njoints * 3;
    double *W = malloc(NW * sizeof *W);
    uint8_t *mod = calloc((size_t)T * (size_t)J, 1), *bad = calloc((size_t)T * (size_t)J, 1);
    int *order = malloc((size_t)J * sizeof *order);
    groups g = {0};
    if (!W || !mod || !bad || !order) {
        rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", kp->name);
        goto done;
    }
    memcpy(W, h->pos, NW * sizeof *W);
    /* h has low-confidence joints masked to NaN (lfd_repair_mask_conf) so
       the checks see them as missing; a swap, flip or tilt must still move
       their real coordinates, so they come back from the file here (in
       metres and lfd axes, as h was made from kp).  Before, a floor-tilt
       repair wrote the NaN over every low-confidence value (found by review). */
    for (int f = 0; kp->conf && f < T; f++)
        for (int j = 0; j < J; j++) {
            const double *src = kp->pos + ((size_t)f * J + j) * 3;
            double *p = W_at(h, W, f, j);
            if (kp->conf[(size_t)f * J + j] < LFD_REPAIR_CONF_MIN && !finite3(p) && finite3(src)) {
                lfd_mat3_mulv(p, h->axes, src);
                lfd_v3_scale(p, p, h->unit_m);
            }
        }
    if ((rc = groups_build(h, &g, err)))
        goto done;
    /* 1. dropouts, parents before children */
    for (int f = 0; f < T; f++)
        for (int j = 0; j < J; j++)
            bad[(size_t)f * J + j] = !finite3(W_at(h, W, f, j)) ||
                                     (kp->conf && kp->conf[(size_t)f * J + j] < LFD_REPAIR_CONF_MIN);
    for (int j = 0; j < J; j++)
        order[j] = j;
    for (int a = 1; a < J; a++) /* insertion sort by depth */
        for (int b = a; b > 0 && depth_of(h, order[b - 1]) > depth_of(h, order[b]); b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (int oi = 0; oi < J; oi++) {
        int j = order[oi];
        for (int i = 0; i < plan->nops; i++) {
            const lfd_repair_op *op = &plan->op[i];
            if (op->kind != LFD_QK_DROPOUT || op->unit != j)
                continue;
            fill_gap(h, W, j, op->f0, op->f1, bad);
            for (int f = op->f0; f <= op->f1; f++) {
                mod[(size_t)f * J + j] = 1;
                bad[(size_t)f * J + j] = 0;
                if (out->conf)
                    out->conf[(size_t)f * J + j] = LFD_REPAIR_CONF_MIN;
            }
            repair_range(r, LFD_QK_DROPOUT, h->names[j], op->f0, op->f1);
            nrep++;
        }
    }
    /* 2. swaps */
    for (int i = 0; i < plan->nops; i++) {
        const lfd_repair_op *op = &plan->op[i];
        if (op->kind != LFD_QK_LR_SWAP)
            continue;
        for (int j = 0; j < J; j++) {
            int m = g.mirror[j];
            if (m <= j)
                continue;
            int hit = op->unit == LFD_RU_SWAP_BODY ||
                      (op->unit == LFD_RU_SWAP_ARMS && (g.group[j] == G_ARM_L || g.group[j] == G_ARM_R)) ||
                      (op->unit == LFD_RU_SWAP_LEGS && (g.group[j] == G_LEG_L || g.group[j] == G_LEG_R));
            if (!hit)
                continue;
            for (int f = op->f0; f <= op->f1; f++) {
                double *a = W_at(h, W, f, j), *b = W_at(h, W, f, m), t[3];
                memcpy(t, a, sizeof t), memcpy(a, b, sizeof t), memcpy(b, t, sizeof t);
                mod[(size_t)f * J + j] = mod[(size_t)f * J + m] = 1;
                if (out->conf) {
                    double c = out->conf[(size_t)f * J + j];
                    out->conf[(size_t)f * J + j] = out->conf[(size_t)f * J + m];
                    out->conf[(size_t)f * J + m] = c;
                }
            }
        }
        repair_range(r, LFD_QK_LR_SWAP, lfd_repair_unit_name(op->unit), op->f0, op->f1);
        nrep++;
    }
    /* 3. flips: reflect back through the root's plane */
    for (int i = 0; i < plan->nops; i++) {
        const lfd_repair_op *op = &plan->op[i];
        if (op->kind != LFD_QK_DEPTH_FLIP)
            continue;
        int root = op->unit == LFD_RU_FLIP_L_ARM ? LFD_CJ_L_SHOULDER : op->unit == LFD_RU_FLIP_R_ARM ? LFD_CJ_R_SHOULDER
                 : op->unit == LFD_RU_FLIP_L_LEG ? LFD_CJ_L_HIP : op->unit == LFD_RU_FLIP_R_LEG ? LFD_CJ_R_HIP
                                                 : LFD_CJ_PELVIS;
        int grp = op->unit == LFD_RU_FLIP_L_ARM ? G_ARM_L : op->unit == LFD_RU_FLIP_R_ARM ? G_ARM_R
                : op->unit == LFD_RU_FLIP_L_LEG ? G_LEG_L : op->unit == LFD_RU_FLIP_R_LEG ? G_LEG_R : -1;
        for (int f = op->f0; f <= op->f1; f++) {
            double c[3];
            cpos_w(h, W, f, root, c);
            for (int j = 0; j < J; j++) {
                if (grp >= 0 && (g.group[j] != grp || !g.distal[j]))
                    continue;
                double *p = W_at(h, W, f, j);
                p[op->axis] = 2 * c[op->axis] - p[op->axis];
                mod[(size_t)f * J + j] = 1;
            }
        }
        char what[96];
        snprintf(what, sizeof what, "%s along %c", lfd_repair_unit_name(op->unit), op->axis ? 'y' : 'x');
        repair_range(r, LFD_QK_DEPTH_FLIP, what, op->f0, op->f1);
        nrep++;
    }
    /* 4. level the floor */
    for (int i = 0; i < plan->nops; i++) {
        const lfd_repair_op *op = &plan->op[i];
        if (op->kind != LFD_QK_FLOOR_TILT)
            continue;
        for (int f = 0; f < T; f++)
            for (int j = 0; j < J; j++) {
                double *p = W_at(h, W, f, j), d[3], q[3];
                lfd_v3_sub(d, p, op->center);
                lfd_mat3_mulv(q, op->rot, d);
                lfd_v3_add(p, q, op->center);
                mod[(size_t)f * J + j] = 1;
            }
        double ang = acos(fmin(1, fmax(-1, op->rot[8]))) * 180 / M_PI;
        char what[96];
        snprintf(what, sizeof what, "rotated %.2f deg to level", ang);
        repair_range(r, LFD_QK_FLOOR_TILT, what, 0, T - 1);
        nrep++;
    }
    /* back to the file's units and axes, where something changed */
    for (int f = 0; f < T; f++)
        for (int j = 0; j < J; j++) {
            if (!mod[(size_t)f * J + j])
                continue;
            const double *p = W_at(h, W, f, j);
            double *o = out->pos + ((size_t)f * J + j) * 3;
            for (int a = 0; a < 3; a++)
                o[a] = (h->axes[0 * 3 + a] * p[0] + h->axes[1 * 3 + a] * p[1] + h->axes[2 * 3 + a] * p[2]) / h->unit_m;
        }
    /* 5. resample irregular times */
    for (int i = 0; i < plan->nops && rc == LFD_OK; i++) {
        const lfd_repair_op *op = &plan->op[i];
        if (op->kind != LFD_QK_TIMESTAMP_IRREGULAR || !out->times)
            continue;
        char what[96];
        snprintf(what, sizeof what, "resampled to %.6g Hz", op->fps);
        rc = resample(out, op->fps, err);
        if (rc == LFD_OK) {
            repair_range(r, LFD_QK_TIMESTAMP_IRREGULAR, what, 0, T - 1);
            nrep++;
        }
    }
    out->nonfinite = 0;
    for (size_t k = 0; k < (size_t)out->nframes * (size_t)J * 3; k++)
        out->nonfinite += !isfinite(out->pos[k]);
done:
    groups_free(&g);
    free(W);
    free(mod);
    free(bad);
    free(order);
    if (rc) {
        lfd_kp_free(out);
        return rc;
    }
    return nrep;
}

int lfd_repair_mask_conf(lfd_human *h, const lfd_keypoints *kp, lfd_err *err)
{
    if (!kp || !kp->conf || kp->njoints != h->nsource || kp->nframes != h->nframes + h->first_frame)
        return LFD_OK;
    int n = 0, J = kp->njoints;
    for (int f = 0; f < h->nframes; f++)
        for (int j = 0; j < J; j++)
            if (kp->conf[(size_t)(f + h->first_frame) * J + j] < LFD_REPAIR_CONF_MIN) {
                double *p = lfd_human_pos(h, f, j);
                p[0] = p[1] = p[2] = NAN;
                n++;
            }
    return n ? lfd_human_analyze(h, err) : LFD_OK;
}

/* ---- writing ---------------------------------------------------------------------------------- */
static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcasecmp(s + n - m, suf);
}

static void put_num(lfd_buf *b, double v)
{
    char t[40];
    int n = 0;
    if (isfinite(v)) {
        /* the shortest form that reads back to the same double */
        for (int prec = 6; prec <= 17; prec++) {
            n = snprintf(t, sizeof t, "%.*g", prec, v);
            if (strtod(t, NULL) == v)
                break;
        }
    }
    lfd_buf_append(b, t, (size_t)n);
}

static int write_csv(const char *path, const lfd_keypoints *kp, lfd_err *err)
{
    int J = kp->njoints;
    /* the CSV reader splits the header on commas and knows no quoting, so
       a joint name from a JSONL file that holds a comma, a quote or a line
       break would come back as other columns: refuse it rather than write
       a file nothing reads back */
    for (int j = 0; j < J; j++)
        if (strpbrk(kp->names[j], ",\"\r\n"))
            return lfd_fail(err, LFD_EARG,
                            "%s: joint %d '%s' has a comma, quote or line break in its name, which a CSV header "
                            "cannot hold: write .npy instead (-o OUT.npy) or rename the joint",
                            path, j, kp->names[j]);
    lfd_buf b;
    lfd_buf_init(&b, (size_t)1 << 31);
    if (kp->times)
        lfd_buf_append(&b, "time,", 5);
    for (int j = 0; j < J; j++) {
        char t[LFD_KP_NAME_MAX * 4 + 64];
        int n = snprintf(t, sizeof t, "%s_x,%s_y,%s_z%s%s%s", kp->names[j], kp->names[j], kp->names[j],
                         kp->conf ? "," : "", kp->conf ? kp->names[j] : "", kp->conf ? "_visibility" : "");
        lfd_buf_append(&b, t, (size_t)n);
        lfd_buf_append(&b, j + 1 < J ? "," : "\n", 1);
    }
    for (int f = 0; f < kp->nframes; f++) {
        if (kp->times) {
            put_num(&b, kp->times[f]);
            lfd_buf_append(&b, ",", 1);
        }
        for (int j = 0; j < J; j++) {
            for (int a = 0; a < 3; a++) {
                put_num(&b, kp->pos[((size_t)f * J + j) * 3 + a]);
                lfd_buf_append(&b, a < 2 || kp->conf || j + 1 < J ? "," : "", a < 2 || kp->conf || j + 1 < J);
            }
            if (kp->conf) {
                put_num(&b, kp->conf[(size_t)f * J + j]);
                if (j + 1 < J)
                    lfd_buf_append(&b, ",", 1);
            }
        }
        lfd_buf_append(&b, "\n", 1);
    }
    int rc = lfd_buf_ok(&b) ? lfd_file_write_atomic(path, b.data, b.len, err)
                            : lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    lfd_buf_free(&b);
    return rc;
}

static int write_sidecar(const char *path, const lfd_keypoints *kp, lfd_err *err)
{
    char sp[1100];
    snprintf(sp, sizeof sp, "%s.json", path);
    lfd_buf b;
    lfd_buf_init(&b, (size_t)1 << 26);
    lfd_jw jw;
    lfd_jw_init_buf(&jw, &b, 1);
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "_", "written by lfd qa --repair");
    if (kp->preset[0]) {
        lfd_jw_kstr(&jw, "preset", kp->preset);
    }
    lfd_jw_key(&jw, "joints");
    lfd_jw_arr_begin(&jw);
    for (int j = 0; j < kp->njoints; j++)
        lfd_jw_str(&jw, kp->names[j]);
    lfd_jw_arr_end(&jw);
    int tree = 1;
    for (int j = 0; j < kp->njoints; j++)
        tree &= kp->parents[j] < j;
    if (tree && !kp->preset[0]) {
        lfd_jw_key(&jw, "parents");
        lfd_jw_arr_begin(&jw);
        for (int j = 0; j < kp->njoints; j++)
            lfd_jw_int(&jw, kp->parents[j]);
        lfd_jw_arr_end(&jw);
    }
    /* a .npy holds no time column: its rate goes here whatever the input
       had (a repaired CSV with times came out as a .npy no one could read
       back, "the frame rate is unknown": found by review) */
    if (!kp->times || lfd_util_has_suffix(path, ".npy"))
        lfd_jw_knum(&jw, "fps", kp->fps);
    if (kp->units[0])
        lfd_jw_kstr(&jw, "units", kp->units);
    if (kp->up[0])
        lfd_jw_kstr(&jw, "up", kp->up);
    lfd_jw_obj_end(&jw);
    lfd_jw_finish(&jw);
    int rc = lfd_buf_ok(&b) ? lfd_file_write_atomic(sp, b.data, b.len, err)
                            : lfd_fail(err, LFD_ENOMEM, "%s: out of memory", sp);
    lfd_buf_free(&b);
    return rc;
}

static void pack_ranges(msgpack_packer *pk, const int (*range)[2], int n)
{
    msgpack_pack_array(pk, (size_t)n);
    for (int k = 0; k < n; k++) {
        msgpack_pack_array(pk, 2);
        msgpack_pack_int(pk, range[k][0]);
        msgpack_pack_int(pk, range[k][1]);
    }
}

int lfd_repair_write_prov(const char *path, const lfd_prov *src, const char *source_path, const lfd_qa_report *r,
                      lfd_err *err)
{
    lfd_prov p;
    lfd_prov_init(&p);
    int rc = src ? lfd_prov_copy(&p, src, err) : LFD_OK;
    char sha[65] = "";
    if (source_path)
        lfd_file_sha256_hex(source_path, sha, NULL);
    lfd_buf mb;
    lfd_buf_init(&mb, (size_t)1 << 24);
    msgpack_packer pk;
    lfd_packer_init(&pk, &mb);
    msgpack_pack_map(&pk, 4);
    lfd_mp_pack_cstr(&pk, "tool");
    lfd_mp_pack_cstr(&pk, "lfd qa --repair");
    lfd_mp_pack_cstr(&pk, "source");
    lfd_mp_pack_cstr(&pk, source_path ? source_path : "");
    lfd_mp_pack_cstr(&pk, "source_sha256");
    lfd_mp_pack_cstr(&pk, sha);
    lfd_mp_pack_cstr(&pk, "repairs");
    msgpack_pack_array(&pk, (size_t)(r ? r->nrepairs : 0));
    for (int i = 0; r && i < r->nrepairs; i++) {
        const lfd_qa_repair *e = &r->repair[i];
        msgpack_pack_map(&pk, 4);
        lfd_mp_pack_cstr(&pk, "kind");
        lfd_mp_pack_cstr(&pk, e->kind);
        lfd_mp_pack_cstr(&pk, "what");
        lfd_mp_pack_cstr(&pk, e->what);
        lfd_mp_pack_cstr(&pk, "frames");
        pack_ranges(&pk, (const int (*)[2])e->range, e->nranges);
        lfd_mp_pack_cstr(&pk, "more_ranges");
        msgpack_pack_int(&pk, e->more_ranges);
    }
    if (rc == LFD_OK)
        rc = lfd_buf_ok(&mb) ? lfd_prov_set_raw(&p, "qa_repair", mb.data, mb.len, err)
                             : lfd_fail(err, LFD_ENOMEM, "out of memory");
    lfd_buf_free(&mb);
    char pp[1100];
    snprintf(pp, sizeof pp, "%s.prov.json", path);
    lfd_buf b;
    lfd_buf_init(&b, (size_t)1 << 26);
    lfd_jw jw;
    lfd_jw_init_buf(&jw, &b, 1);
    if (rc == LFD_OK)
        rc = lfd_prov_to_json(&p, &jw, err);
    lfd_jw_finish(&jw);
    if (rc == LFD_OK)
        rc = lfd_buf_ok(&b) ? lfd_file_write_atomic(pp, b.data, b.len, err)
                            : lfd_fail(err, LFD_ENOMEM, "%s: out of memory", pp);
    lfd_buf_free(&b);
    lfd_prov_free(&p);
    return rc;
}

int lfd_repair_write(const char *path, const lfd_keypoints *kp, const char *descr, const lfd_prov *prov,
                     const char *source_path, const lfd_qa_report *r, lfd_err *err)
{
    int rc;
    if (ends_with(path, ".npy"))
        rc = lfd_npy_write(path, kp->pos, kp->nframes, kp->njoints, descr ? descr : "<f8", 1, 0, err);
    else if (ends_with(path, ".csv"))
        rc = write_csv(path, kp, err);
    else
        return lfd_fail(err, LFD_EARG, "%s: a repaired file is written as .npy or .csv", path);
    if (rc)
        return rc;
    /* each file is renamed into place as it is written: when a later one
       fails (a folder where the sidecar goes), the ones already in place
       are removed, so an error leaves no data without its sidecar */
    rc = write_sidecar(path, kp, err);
    if (rc == LFD_OK && (r || prov)) {
        rc = lfd_repair_write_prov(path, prov, source_path, r, err);
        if (rc) {
            char sp[1100];
            snprintf(sp, sizeof sp, "%s.json", path);
            unlink(sp);
        }
    }
    if (rc)
        unlink(path);
    return rc;
}
