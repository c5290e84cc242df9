/*  lfd_human: loading BVH and keypoints into one human-motion
    representation, and measuring it (see lfd_human.h).

    Loading runs the same steps for every source:
      1. source positions (BVH: FK of every frame; keypoints: as given),
      2. canonical placement (lfd_skel_resolve),
      3. up-axis and units: given, or detected from the data,
      4. conversion to metres and lfd axes, virtual joints filled in,
      5. reference-pose detection (BVH), optional drop of frame 0,
      6. lfd_human_analyze: bone lengths, height, floor, contacts, foot
         pitch and segment frames.

    Height.  lfd estimates stature from the legs, the most consistently
    placed joints across rigs: height = (thigh + shank) / 0.491, where 0.491
    = 0.530 - 0.039 is the hip (greater trochanter) height minus the ankle
    height as fractions of stature in Drillis & Contini's segment model
    (D. A. Winter, Biomechanics and Motor Control of Human Movement, 4th ed.,
    2009, Fig. 4.1).  Bone lengths are medians over frames.

    Units.  The implied stature is compared, in the order m, cm, ASF, inch,
    mm, with the range 0.9..2.3 m (adults and older children); the first
    unit that lands in range wins (cm before inch: a 175 cm adult is 70
    "inches" too, and cm files are far more common).  When none does, the
    unit closest to the range (in log ratio) is used with a warning.
    Up-axis.  The mean direction from the ankles' mid-point to the head over
    (up to 2000 sampled) frames: its largest component among y and z, with
    its sign.
*/
#include "ingest/lfd_human.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/lfd_io.h"
#include "core/lfd_util.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "core/lfd_quat.h"
#include "core/lfd_sha256.h"

/* stature fractions (Winter 2009, Drillis & Contini): hip 0.530, ankle 0.039 */
/* poses sampled for the skeleton's topology and geometry rules (lfd_skeleton.h) */
#define SKEL_POSES 8
#define LEG_FRACTION 0.491
#define HEIGHT_MIN_M 0.9
#define HEIGHT_MAX_M 2.3

/* the heel's distance behind the ankle, as a share of the ankle-toe length
   (a person's heel reaches about 5 cm behind the ankle joint, the ball of
   the foot about 14 cm ahead: Winter, "Biomechanics and Motor Control of
   Human Movement", 4th ed. 2009, segment proportions) */
#define HEEL_BACK 0.35

const lfd_contact_params lfd_contact_defaults = {
    /* a joint within 5 cm of its own stance height ... */
    .height_m = 0.05,
    /* ... moving slower than 0.3 m/s (see docs/ingest.md: LAFAN1's extractor uses a
       stricter per-frame threshold on 30 Hz data; 0.3 m/s tolerates 120 Hz marker
       noise while a swinging foot moves at 1-5 m/s) ... */
    .speed_m_s = 0.3,
    /* ... for at least 50 ms */
    .min_s = 0.05,
};

static const char *const seg_names[LFD_SEG_COUNT] = {"pelvis", "chest", "head", "l_foot", "r_foot"};

const char *lfd_segment_name(int s) { return s >= 0 && s < LFD_SEG_COUNT ? seg_names[s] : "?"; }

double lfd_units_m(const char *u)
{
    if (!u)
        return 0;
    if (!strcmp(u, "m"))
        return 1.0;
    if (!strcmp(u, "cm"))
        return 0.01;
    if (!strcmp(u, "mm"))
        return 0.001;
    if (!strcmp(u, "inch") || !strcmp(u, "in"))
        return 0.0254;
    /* CMU ASF: "length" unit with the default scale 0.45 is 1/0.45 inch
       (CMU mocap database FAQ; ../shared/data/mocap/README.md) */
    if (!strcmp(u, "asf"))
        return 0.0254 / 0.45;
    return 0;
}

/* ---- small helpers --------------------------------------------------------------- */
static void h_warn(lfd_human *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void h_warn(lfd_human *h, const char *fmt, ...)
{
    if (h->nwarn >= LFD_HUMAN_MAX_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->warn[h->nwarn], sizeof h->warn[0], fmt, ap);
    va_end(ap);
    lfd_warn("%s", h->warn[h->nwarn]);
    h->nwarn++;
}

/* keeps a note the source reader already logged */
static void h_keep(lfd_human *h, const char *msg)
{
    if (h->nwarn < LFD_HUMAN_MAX_WARN)
        snprintf(h->warn[h->nwarn++], sizeof h->warn[0], "%s", msg);
}

/* percentile (0..100) of the finite values among v[0..n); sorts v; NAN if none */
static double pct_of(double *v, int n, double pct)
{
    int m = lfd_util_sort_finite(v, n);
    if (!m)
        return NAN;
    double k = pct / 100.0 * (m - 1);
    int i = (int)floor(k);
    if (i >= m - 1)
        return v[m - 1];
    return v[i] + (k - i) * (v[i + 1] - v[i]);
}

/* The lowest level the values rest at: the median of the first (lowest)
   band of `band` metres holding at least max(3, 5%) of the finite values.
   Unlike a low percentile, a foot sinking through the floor for a while does
   not drag it down, and unlike the mode, feet standing on a box for longer
   than on the floor do not lift it up.  Sorts v; NAN if no finite values. */
static double rest_level(double *v, int n, double band)
{
    int m = lfd_util_sort_finite(v, n);
    if (!m)
        return NAN;
    int need = m / 20 > 3 ? m / 20 : 3;
    if (need > m)
        need = m;
    for (int i = 0, j = 0; i < m; i++) {
        if (j < i)
            j = i;
        while (j < m && v[j] <= v[i] + band)
            j++;
        if (j - i >= need)
            return v[i + (j - i) / 2];
    }
    return v[0];
}

int lfd_human_frame_finite(const lfd_human *h, int f)
{
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        const double *p = lfd_human_cpos(h, f, cj);
        if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]))
            return 0;
    }
    return 1;
}

void lfd_human_free(lfd_human *h)
{
    if (!h)
        return;
    free(h->names);
    free(h->parent);
    free(h->offset_m);
    free(h->pos);
    free(h->quat);
    free(h->seg);
    free(h->contact);
    lfd_prov_free(&h->prov);
    memset(h, 0, sizeof *h);
}

/* the rotation for an up-axis name: p_lfd = R p_src */
static int axes_for(const char *up, double R[9])
{
    static const double Ry[9] = {0, 0, 1, 1, 0, 0, 0, 1, 0};     /* (x,y,z) -> (z,x,y) */
    static const double Rz[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    static const double Rmy[9] = {0, 0, -1, 1, 0, 0, 0, -1, 0};  /* (x,y,z) -> (-z,x,-y) */
    static const double Rmz[9] = {1, 0, 0, 0, -1, 0, 0, 0, -1};  /* (x,y,z) -> (x,-y,-z) */
    const double *src = !strcmp(up, "y") ? Ry : !strcmp(up, "z") ? Rz : !strcmp(up, "-y") ? Rmy
                        : !strcmp(up, "-z") ? Rmz : NULL;
    if (!src)
        return -1;
    memcpy(R, src, 9 * sizeof *R);
    return 0;
}

/* position of a placement in one frame's joint array */
static void place_pos(const lfd_cplace *pl, const double *fp, double out[3])
{
    out[0] = out[1] = out[2] = 0;
    for (int i = 0; i < pl->n; i++)
        for (int k = 0; k < 3; k++)
            out[k] += pl->w[i] * fp[3 * pl->src[i] + k];
}

/* ---- allocation ------------------------------------------------------------------- */
static int nvirtual(const lfd_skel_map *m)
{
    int v = 0;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
        v += !(m->c[cj].n == 1 && m->c[cj].w[0] == 1.0);
    return v;
}

static int h_alloc(lfd_human *h, int nframes, int nsource, int with_quat, int with_offsets,
                   lfd_err *err)
{
    int nj = nsource + nvirtual(&h->map);
    if (nframes <= 0)
        return lfd_fail(err, LFD_EPARSE, "%s: no frames", h->path);
    if ((size_t)nframes * (size_t)nj > LFD_HUMAN_MAX_ELEMS)
        return lfd_fail(err, LFD_ELIMIT, "%s: %d frames x %d joints is over the limit of %zu joint-frames",
                        h->path, nframes, nj, (size_t)LFD_HUMAN_MAX_ELEMS);
    h->nframes = nframes;
    h->nsource = nsource;
    h->njoints = nj;
    size_t fj = (size_t)nframes * (size_t)nj;
    h->names = calloc((size_t)nj, sizeof *h->names);
    h->parent = malloc((size_t)nj * sizeof *h->parent);
    h->pos = malloc(fj * 3 * sizeof(double));
    if (with_quat)
        h->quat = malloc(fj * 4 * sizeof(double));
    if (with_offsets)
        h->offset_m = calloc((size_t)nj * 3, sizeof(double));
    if (!h->names || !h->parent || !h->pos || (with_quat && !h->quat) || (with_offsets && !h->offset_m))
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory for %d frames x %d joints", h->path, nframes, nj);
    /* virtual joints go after the source joints */
    int v = nsource;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        const lfd_cplace *pl = &h->map.c[cj];
        if (pl->n == 1 && pl->w[0] == 1.0) {
            h->canon[cj] = pl->src[0];
        } else {
            h->canon[cj] = v;
            snprintf(h->names[v], LFD_HUMAN_NAME_MAX, "lfd_%s", lfd_cjoint_name(cj));
            h->parent[v] = -1;
            v++;
        }
    }
    return LFD_OK;
}

/* fills the virtual joints of every frame from their sources */
static void fill_virtual(lfd_human *h)
{
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        int vj = h->canon[cj];
        if (vj < h->nsource)
            continue;
        const lfd_cplace *pl = &h->map.c[cj];
        for (int f = 0; f < h->nframes; f++) {
            place_pos(pl, lfd_human_pos(h, f, 0), lfd_human_pos(h, f, vj));
            if (h->quat)
                memcpy(h->quat + ((size_t)f * h->njoints + vj) * 4,
                       h->quat + ((size_t)f * h->njoints + pl->src[0]) * 4, 4 * sizeof(double));
        }
        if (h->offset_m)
            memset(h->offset_m + 3 * vj, 0, 3 * sizeof(double));
    }
}

/* ---- detection -------------------------------------------------------------------- */
static int detect_up(const lfd_human *h, char up[4])
{
    double m[3] = {0, 0, 0};
    int step = h->nframes > 2000 ? h->nframes / 2000 : 1, used = 0;
    for (int f = 0; f < h->nframes; f += step) {
        const double *fp = lfd_human_pos(h, f, 0);
        double head[3], la[3], ra[3], v[3];
        place_pos(&h->map.c[LFD_CJ_HEAD], fp, head);
        place_pos(&h->map.c[LFD_CJ_L_ANKLE], fp, la);
        place_pos(&h->map.c[LFD_CJ_R_ANKLE], fp, ra);
        for (int k = 0; k < 3; k++)
            v[k] = head[k] - 0.5 * (la[k] + ra[k]);
        double n = lfd_v3_norm(v);
        if (!(n > 0) || !isfinite(n))
            continue;
        for (int k = 0; k < 3; k++)
            m[k] += v[k] / n;
        used++;
    }
    if (!used)
        return -1;
    for (int k = 0; k < 3; k++)
        m[k] /= used;
    int ax = fabs(m[2]) > fabs(m[1]) ? 2 : 1;
    snprintf(up, 4, "%s%c", m[ax] < 0 ? "-" : "", ax == 2 ? 'z' : 'y');
    return fabs(m[0]) > fabs(m[ax]) || fabs(m[ax]) < 0.5 ? 1 : 0; /* 1: unclear */
}

/* median length between two placements over frames (scratch: nframes doubles) */
static double median_dist(const lfd_human *h, const lfd_cplace *a, const lfd_cplace *b, double *tmp)
{
    for (int f = 0; f < h->nframes; f++) {
        const double *fp = lfd_human_pos(h, f, 0);
        double pa[3], pb[3];
        place_pos(a, fp, pa);
        place_pos(b, fp, pb);
        tmp[f] = lfd_v3_dist(pa, pb);
    }
    return pct_of(tmp, h->nframes, 50);
}

static double raw_leg(const lfd_human *h, double *tmp)
{
    const lfd_cplace *c = h->map.c;
    double l = median_dist(h, &c[LFD_CJ_L_HIP], &c[LFD_CJ_L_KNEE], tmp) +
               median_dist(h, &c[LFD_CJ_L_KNEE], &c[LFD_CJ_L_ANKLE], tmp);
    double r = median_dist(h, &c[LFD_CJ_R_HIP], &c[LFD_CJ_R_KNEE], tmp) +
               median_dist(h, &c[LFD_CJ_R_KNEE], &c[LFD_CJ_R_ANKLE], tmp);
    return 0.5 * (l + r);
}

static void detect_units(double raw_height, char units[8])
{
    static const char *const order[5] = {"m", "cm", "asf", "inch", "mm"};
    double best = INFINITY;
    const char *pick = "m";
    for (int i = 0; i < 5; i++) {
        double H = raw_height * lfd_units_m(order[i]);
        if (H >= HEIGHT_MIN_M && H <= HEIGHT_MAX_M) {
            pick = order[i];
            break;
        }
        double d = H < HEIGHT_MIN_M ? log(HEIGHT_MIN_M / H) : log(H / HEIGHT_MAX_M);
        if (d < best) {
            best = d;
            pick = order[i];
        }
    }
    snprintf(units, 8, "%s", pick);
}

/* steps 3-4 and 6: axes, units, conversion, virtual joints, analysis.
   h->pos holds source positions (first nsource joints) in source units. */
static int finish(lfd_human *h, const lfd_human_opts *o, const char *units_given,
                  const char *up_given, lfd_err *err)
{
    /* up-axis: option, then what the source says, else detect */
    const char *up = o && o->up && strcmp(o->up, "auto") ? o->up : up_given && up_given[0] ? up_given : NULL;
    if (up) {
        if (axes_for(up, h->axes))
            return lfd_fail(err, LFD_EARG, "unknown up-axis '%s' (y, z, -y or -z)", up);
        snprintf(h->up, sizeof h->up, "%s", up);
        h->up_detected = 0;
    } else {
        int unclear = detect_up(h, h->up);
        if (unclear < 0)
            return lfd_fail(err, LFD_ENUMERIC, "%s: cannot detect the up-axis (no finite frames)", h->path);
        if (unclear)
            h_warn(h, "%s: the up-axis is unclear (the body is mostly not upright); using %s, give --up to be sure",
                   h->path, h->up);
        axes_for(h->up, h->axes);
        h->up_detected = 1;
    }
    /* units: option, then the source, else from the implied stature */
    double *tmp = malloc((size_t)h->nframes * sizeof *tmp);
    if (!tmp)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", h->path);
    const char *un = o && o->units && strcmp(o->units, "auto") ? o->units
                     : units_given && units_given[0]           ? units_given
                                                               : NULL;
    double raw_h = raw_leg(h, tmp) / LEG_FRACTION;
    if (un) {
        if (lfd_units_m(un) <= 0) {
            free(tmp);
            return lfd_fail(err, LFD_EARG, "unknown units '%s' (m, cm, mm, inch or asf)", un);
        }
        snprintf(h->units, sizeof h->units, "%s", un);
        h->units_detected = 0;
    } else {
        if (!(raw_h > 0) || !isfinite(raw_h)) {
            free(tmp);
            return lfd_fail(err, LFD_ENUMERIC,
                            "%s: cannot detect the units: the legs have no length (give --units)", h->path);
        }
        detect_units(raw_h, h->units);
        h->units_detected = 1;
    }
    free(tmp);
    h->unit_m = lfd_units_m(h->units);
    double H = raw_h * h->unit_m;
    if (!isfinite(H))
        h_warn(h, "%s: the body height cannot be measured (the joints it is read from are missing)", h->path);
    else if (!(H >= HEIGHT_MIN_M && H <= HEIGHT_MAX_M))
        h_warn(h, "%s: implied body height %.2f m with units %s is implausible (check --units)", h->path,
               H, h->units);
    /* convert positions, orientations and offsets to metres, lfd axes */
    double qa[4], qai[4];
    lfd_mat_to_quat(qa, h->axes);
    lfd_quat_conj(qai, qa);
    for (int f = 0; f < h->nframes; f++)
        for (int j = 0; j < h->nsource; j++) {
            double *p = lfd_human_pos(h, f, j), r[3];
            lfd_mat3_mulv(r, h->axes, p);
            lfd_v3_scale(p, r, h->unit_m);
            if (h->quat) {
                double *q = h->quat + ((size_t)f * h->njoints + j) * 4;
                lfd_quat_mul(q, qa, q);
                lfd_quat_mul(q, q, qai);
            }
        }
    if (h->offset_m)
        for (int j = 0; j < h->nsource; j++) {
            double r[3];
            lfd_mat3_mulv(r, h->axes, h->offset_m + 3 * j);
            lfd_v3_scale(h->offset_m + 3 * j, r, h->unit_m);
        }
    return LFD_OK;
}

/* frame 0 -> 1 jump against the clip's usual frame-to-frame motion */
static double frame_jump(const lfd_human *h, int f)
{
    double m = 0;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        double d = lfd_v3_dist(lfd_human_cpos(h, f, cj), lfd_human_cpos(h, f + 1, cj));
        if (isfinite(d) && d > m)
            m = d;
    }
    return m;
}

/* 1 if frame 0 is a reference pose (rest-like and a jump to frame 1), 0 if
   not, LFD_ENOMEM */
static int detect_ref_pose(lfd_human *h, const lfd_bvh *b)
{
    if (h->nframes < 4)
        return 0;
    /* frame 0 is "rest-like": every rotation channel within 20 degrees of zero */
    const double *row = b->motion;
    for (int i = 0; i < b->nnodes; i++)
        for (int c = 0; c < b->node[i].nchan; c++)
            if (b->node[i].chan[c] >= LFD_BVH_XROT && !(fabs(row[b->node[i].chan0 + c]) <= 20.0))
                return 0;
    /* ... and a discontinuity: the 0 -> 1 jump dwarfs the next second's steps */
    int n = h->nframes - 2;
    int lim = (int)(h->fps > 0 ? h->fps : 30) + 1;
    if (n > lim)
        n = lim;
    double *d = malloc((size_t)n * sizeof *d);
    if (!d)
        return LFD_ENOMEM;
    for (int f = 1; f <= n; f++)
        d[f - 1] = frame_jump(h, f);
    double p95 = pct_of(d, n, 95);
    free(d);
    h->ref_jump_m = frame_jump(h, 0);
    return h->ref_jump_m > 0.10 && h->ref_jump_m > 5 * p95;
}

static void drop_first_frame(lfd_human *h)
{
    size_t nj = (size_t)h->njoints;
    memmove(h->pos, h->pos + nj * 3, (size_t)(h->nframes - 1) * nj * 3 * sizeof(double));
    if (h->quat)
        memmove(h->quat, h->quat + nj * 4, (size_t)(h->nframes - 1) * nj * 4 * sizeof(double));
    h->nframes--;
    h->first_frame++;
}

/* ---- BVH ---------------------------------------------------------------------------- */
int lfd_human_from_bvh(lfd_human *h, const lfd_bvh *b, const lfd_human_opts *o, lfd_err *err)
{
    memset(h, 0, sizeof *h);
    lfd_prov_init(&h->prov);
    snprintf(h->path, sizeof h->path, "%s", b->name);
    snprintf(h->format, sizeof h->format, "bvh");
    h->source = LFD_HUMAN_SRC_BVH;
    if (b->nframes <= 0) {
        int rc = lfd_fail(err, LFD_EPARSE, "%s: the MOTION section has no frames", b->name);
        lfd_human_free(h);
        return rc;
    }
    /* canonical placement from the node names and tree */
    const char **names = malloc((size_t)b->nnodes * sizeof *names);
    int *parents = malloc((size_t)b->nnodes * sizeof *parents);
    int rc = LFD_OK;
    if (!names || !parents)
        rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", b->name);
    for (int i = 0; rc == LFD_OK && i < b->nnodes; i++) {
        names[i] = b->node[i].name;
        parents[i] = b->node[i].parent;
    }
    /* a few poses spread over the clip for the topology and geometry rules */
    int npose = b->nframes < SKEL_POSES ? b->nframes : SKEL_POSES;
    double *pose = rc == LFD_OK ? malloc((size_t)npose * (size_t)b->nnodes * 3 * sizeof *pose) : NULL;
    double *pq = rc == LFD_OK ? malloc((size_t)b->nnodes * 4 * sizeof *pq) : NULL; /* lfd_bvh_fk_row writes quat */
    if (rc == LFD_OK && (!pose || !pq))
        rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", b->name);
    for (int p = 0; rc == LFD_OK && p < npose; p++)
        lfd_bvh_fk(b, (int)((long long)p * b->nframes / npose), pose + (size_t)p * b->nnodes * 3, pq);
    free(pq);
    if (rc == LFD_OK)
        rc = lfd_skel_resolve_pose(names, parents, b->nnodes, pose, npose, 0, o ? o->map : NULL, b->name,
                                   &h->map, err);
    free(pose);
    free(names);
    free(parents);
    if (rc == LFD_OK && h->map.note[0])
        h_warn(h, "%s: %s", b->name, h->map.note);
    if (rc == LFD_OK) {
        snprintf(h->rig, sizeof h->rig, "%s", h->map.rig);
        rc = h_alloc(h, b->nframes, b->nnodes, 1, 1, err);
    }
    if (rc) {
        lfd_human_free(h);
        return rc;
    }
    for (int i = 0; i < b->nnodes; i++) {
        snprintf(h->names[i], LFD_HUMAN_NAME_MAX, "%s", b->node[i].name);
        h->parent[i] = b->node[i].parent;
        lfd_v3_copy(h->offset_m + 3 * i, b->node[i].offset);
    }
    /* FK of every frame into the position and orientation arrays */
    size_t nj = (size_t)h->njoints;
    for (int f = 0; f < b->nframes; f++)
        lfd_bvh_fk(b, f, h->pos + (size_t)f * nj * 3, h->quat + (size_t)f * nj * 4);
    /* a BVH states its rate (Frame Time): a given rate does not replace it */
    h->fps = 1.0 / b->frame_time_s;
    if (o && o->fps > 0)
        snprintf(h->fps_note, sizeof h->fps_note, "--in-fps %.6g not applied: the file states %.6g Hz",
                 o->fps, h->fps);
    h->nonfinite = b->nonfinite;
    for (int i = 0; i < b->nwarn; i++)
        h_keep(h, b->warn[i]);
    rc = finish(h, o, NULL, NULL, err);
    if (rc == LFD_OK) {
        fill_virtual(h);
        h->ref_pose = detect_ref_pose(h, b);
        if (h->ref_pose < 0) {
            h->ref_pose = 0;
            rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", h->path);
        } else if (h->ref_pose && o && o->ref_pose == LFD_REFPOSE_DROP) {
            drop_first_frame(h);
            h->ref_dropped = 1;
        }
        if (rc == LFD_OK)
            rc = lfd_human_analyze(h, err);
    }
    if (rc)
        lfd_human_free(h);
    return rc;
}

/* ---- keypoints ------------------------------------------------------------------------ */
/* 1 if the keypoint file's sidecar JSON (opts->sidecar, else <file>.json)
   has the key: then the value was stated, not assumed. */
static int sidecar_states(const char *path, const lfd_human_opts *o, const char *key)
{
    char p[1100];
    if (o && o->sidecar)
        snprintf(p, sizeof p, "%s", o->sidecar);
    else
        snprintf(p, sizeof p, "%s.json", path);
    if (!lfd_file_exists(p))
        return 0;
    lfd_json_doc *doc = NULL;
    lfd_err e = {0};
    int has = 0;
    if (lfd_json_parse_file(&doc, p, &e) == LFD_OK) {
        const lfd_json *r = lfd_json_root(doc);
        has = r->type == LFD_JSON_OBJ && lfd_json_get(r, key) != NULL;
    }
    lfd_json_free(&doc);
    return has;
}

int lfd_human_from_keypoints(lfd_human *h, const lfd_keypoints *kp, const lfd_human_opts *o,
                             lfd_err *err)
{
    memset(h, 0, sizeof *h);
    lfd_prov_init(&h->prov);
    snprintf(h->path, sizeof h->path, "%s", kp->name);
    const char *dot = strrchr(kp->name, '.');
    snprintf(h->format, sizeof h->format, "%s", dot && strlen(dot) <= 4 ? dot + 1 : "kp");
    h->source = LFD_HUMAN_SRC_KEYPOINTS;
    const char **names = malloc((size_t)kp->njoints * sizeof *names);
    int rc = LFD_OK;
    if (!names)
        rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", kp->name);
    for (int i = 0; rc == LFD_OK && i < kp->njoints; i++)
        names[i] = kp->names[i];
    int npose = kp->nframes < SKEL_POSES ? kp->nframes : SKEL_POSES;
    const double *pose = NULL;
    double *pbuf = NULL;
    if (rc == LFD_OK && npose > 0) {
        pbuf = malloc((size_t)npose * (size_t)kp->njoints * 3 * sizeof *pbuf);
        if (!pbuf)
            rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", kp->name);
        for (int p = 0; pbuf && p < npose; p++)
            memcpy(pbuf + (size_t)p * kp->njoints * 3,
                   kp->pos + (size_t)((long long)p * kp->nframes / npose) * kp->njoints * 3,
                   (size_t)kp->njoints * 3 * sizeof *pbuf);
        pose = pbuf;
    }
    if (rc == LFD_OK)
        rc = lfd_skel_resolve_pose(names, kp->parents, kp->njoints, pose, npose, LFD_SKEL_LEAF_JOINTS,
                                   o ? o->map : NULL, kp->name, &h->map, err);
    free(pbuf);
    free(names);
    if (rc == LFD_OK && h->map.note[0])
        h_warn(h, "%s: %s", kp->name, h->map.note);
    if (rc == LFD_OK) {
        /* a preset names the rig; the family its joint names resemble does
           not ("MediaPipe Pose (33) + mapping file, preset coco-17" for a
           COCO file: review) */
        if (kp->preset[0])
            snprintf(h->rig, sizeof h->rig, "preset %.31s%s", kp->preset,
                     o && o->map ? " + mapping file" : "");
        else
            snprintf(h->rig, sizeof h->rig, "%.63s", h->map.rig);
        rc = h_alloc(h, kp->nframes, kp->njoints, 0, 0, err);
    }
    if (rc) {
        lfd_human_free(h);
        return rc;
    }
    for (int j = 0; j < kp->njoints; j++) {
        snprintf(h->names[j], LFD_HUMAN_NAME_MAX, "%s", kp->names[j]);
        h->parent[j] = kp->parents[j];
    }
    for (int f = 0; f < kp->nframes; f++)
        memcpy(lfd_human_pos(h, f, 0), kp->pos + (size_t)f * kp->njoints * 3,
               (size_t)kp->njoints * 3 * sizeof(double));
    /* a given rate applies only where the file states none (kp->fps came
       from the option, or is only a preset's assumption) */
    h->fps = kp->fps;
    if (o && o->fps > 0) {
        if (!strncmp(kp->fps_source, "option", 6) || !strncmp(kp->fps_source, "preset", 6)) {
            h->fps = o->fps;
            snprintf(h->fps_note, sizeof h->fps_note, "rate %.6g Hz from --in-fps (the file gives none)", o->fps);
        } else {
            snprintf(h->fps_note, sizeof h->fps_note, "--in-fps %.6g not applied: the file's %.24s gives %.6g Hz",
                     o->fps, kp->fps_source, kp->fps);
        }
    }
    if (!(o && o->fps > 0) && !strncmp(kp->fps_source, "preset", 6)) {
        h->fps_assumed = 1;
        snprintf(h->fps_assumed_why, sizeof h->fps_assumed_why, "%s default", kp->fps_source);
    }
    h->nonfinite = kp->nonfinite;
    for (int i = 0; i < kp->nwarn; i++)
        h_keep(h, kp->warn[i]);
    rc = finish(h, o, kp->units, kp->up, err);
    if (rc == LFD_OK && kp->preset[0]) {
        /* units or up-axis that only the preset supplied are assumed, not given */
        const lfd_kp_preset *pr = lfd_kp_preset_find(kp->preset);
        int opt_units = o && o->units && strcmp(o->units, "auto");
        int opt_up = o && o->up && strcmp(o->up, "auto");
        h->units_assumed = !opt_units && pr && pr->units && !strcmp(kp->units, pr->units) &&
                           !sidecar_states(kp->name, o, "units");
        h->up_assumed = !opt_up && pr && pr->up && !strcmp(kp->up, pr->up) && !sidecar_states(kp->name, o, "up");
        if (h->units_assumed || h->up_assumed)
            snprintf(h->assumed_why, sizeof h->assumed_why, "preset %.24s default", kp->preset);
    }
    if (rc == LFD_OK) {
        fill_virtual(h);
        rc = lfd_human_analyze(h, err);
    }
    if (rc)
        lfd_human_free(h);
    return rc;
}

/* ---- loading -------------------------------------------------------------------------- */
static int load_prov(lfd_human *h, const char *path, const lfd_human_opts *o, lfd_err *err)
{
    char p[1100];
    if (o && o->prov) {
        snprintf(p, sizeof p, "%s", o->prov);
    } else {
        snprintf(p, sizeof p, "%s.prov.json", path);
        if (!lfd_file_exists(p))
            return LFD_OK;
    }
    return lfd_prov_read_json_file(&h->prov, p, err);
}

int lfd_human_load(lfd_human *h, const char *path, const lfd_human_opts *o, lfd_err *err)
{
    memset(h, 0, sizeof *h);
    size_t n = strlen(path);
    int rc;
    if (n >= 4 && !strcasecmp(path + n - 4, ".bvh")) {
        uint8_t *data = NULL;
        size_t len = 0;
        lfd_bvh b;
        rc = lfd_file_read(path, LFD_BVH_MAX_BYTES, &data, &len, err);
        if (rc)
            return rc;
        char hex[65];
        lfd_sha256_buf_hex(data, len, hex);
        rc = lfd_bvh_parse(&b, (const char *)data, len, path, NULL, err);
        free(data);
        if (rc)
            return rc;
        rc = lfd_human_from_bvh(h, &b, o, err);
        lfd_bvh_free(&b);
        if (rc)
            return rc;
        snprintf(h->sha256, sizeof h->sha256, "%s", hex);
    } else if ((n >= 4 && (!strcasecmp(path + n - 4, ".npy") || !strcasecmp(path + n - 4, ".csv"))) ||
               (n >= 6 && !strcasecmp(path + n - 6, ".jsonl")) || (n >= 7 && !strcasecmp(path + n - 7, ".ndjson"))) {
        lfd_keypoints kp;
        lfd_kp_opts ko = {0};
        if (o) {
            ko.fps_default = o->fps; /* only where the file states no rate */
            ko.preset = o->preset;
            ko.sidecar = o->sidecar;
        }
        rc = lfd_kp_read(&kp, path, &ko, err);
        if (rc)
            return rc;
        rc = lfd_human_from_keypoints(h, &kp, o, err);
        lfd_kp_free(&kp);
        if (rc)
            return rc;
        char hex[65];
        if (lfd_file_sha256_hex(path, hex, NULL) == LFD_OK)
            snprintf(h->sha256, sizeof h->sha256, "%s", hex);
    } else {
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: unknown human motion format (.bvh, .npy, .csv or .jsonl)", path);
    }
    rc = load_prov(h, path, o, err);
    if (rc)
        lfd_human_free(h);
    return rc;
}

/* ---- segment frames --------------------------------------------------------------------- */
/* unit vector of a, or fallback when a is (nearly) zero */
static void unit_or(double r[3], const double a[3], const double fb[3])
{
    double n = lfd_v3_norm(a);
    if (n > 1e-9)
        lfd_v3_scale(r, a, 1 / n);
    else
        lfd_v3_copy(r, fb);
}

/* quaternion of the frame whose axes (columns) are x, y, z */
static void axes_quat(double q[4], const double x[3], const double y[3], const double z[3])
{
    double R[9] = {x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]};
    lfd_mat_to_quat(q, R);
    lfd_quat_normalize(q);
}

/* a frame from a lateral axis y (left) and an up-ish vector u */
static void frame_from_y_up(double *seg, const double *origin, const double ylat[3], const double u[3])
{
    static const double ex[3] = {1, 0, 0}, ey[3] = {0, 1, 0}, ez[3] = {0, 0, 1};
    double y[3], x[3], z[3], uu[3], t[3];
    unit_or(y, ylat, ey);
    unit_or(uu, u, ez);
    lfd_v3_cross(t, y, uu);
    unit_or(x, t, ex);
    lfd_v3_cross(z, x, y);
    lfd_v3_copy(seg, origin);
    axes_quat(seg + 3, x, y, z);
}

void lfd_seg_frames(const double *cp, const double foot_pitch_rad[2], double *seg)
{
#define CP(cj) (cp + 3 * (cj))
    static const double ex[3] = {1, 0, 0}, ez[3] = {0, 0, 1};
    double y[3], u[3];
    /* pelvis: hips give left, spine gives up */
    lfd_v3_sub(y, CP(LFD_CJ_L_HIP), CP(LFD_CJ_R_HIP));
    lfd_v3_sub(u, CP(LFD_CJ_SPINE), CP(LFD_CJ_PELVIS));
    if (lfd_v3_norm(u) < 1e-6)
        lfd_v3_sub(u, CP(LFD_CJ_CHEST), CP(LFD_CJ_PELVIS));
    frame_from_y_up(seg + 7 * LFD_SEG_PELVIS, CP(LFD_CJ_PELVIS), y, u);
    /* chest: shoulders give left, spine -> neck gives up */
    double yc[3];
    lfd_v3_sub(yc, CP(LFD_CJ_L_SHOULDER), CP(LFD_CJ_R_SHOULDER));
    lfd_v3_sub(u, CP(LFD_CJ_NECK), CP(LFD_CJ_SPINE));
    frame_from_y_up(seg + 7 * LFD_SEG_CHEST, CP(LFD_CJ_CHEST), yc, u);
    /* head: neck -> head gives up, the chest's left is kept orthogonal */
    {
        double z[3], yh[3], x[3], t[3], ycu[3];
        lfd_v3_sub(t, CP(LFD_CJ_HEAD), CP(LFD_CJ_NECK));
        unit_or(z, t, ez);
        static const double ey[3] = {0, 1, 0};
        unit_or(ycu, yc, ey);
        lfd_v3_scale(t, z, lfd_v3_dot(ycu, z));
        lfd_v3_sub(t, ycu, t);
        unit_or(yh, t, ey);
        lfd_v3_cross(x, yh, z);
        unit_or(x, x, ex);
        lfd_v3_copy(seg + 7 * LFD_SEG_HEAD, CP(LFD_CJ_HEAD));
        axes_quat(seg + 7 * LFD_SEG_HEAD + 3, x, yh, z);
    }
    /* feet: ankle -> toe gives forward, the knee gives the leg plane */
    for (int s = 0; s < 2; s++) {
        int ank = s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE, toe = s ? LFD_CJ_R_TOE : LFD_CJ_L_TOE;
        int knee = s ? LFD_CJ_R_KNEE : LFD_CJ_L_KNEE;
        double f[3], k[3], t[3], x0[3], yf[3], z0[3], x[3], z[3];
        lfd_v3_sub(f, CP(toe), CP(ank));
        lfd_v3_sub(k, CP(knee), CP(ank));
        unit_or(x0, f, ex);
        lfd_v3_cross(t, k, f);
        /* a foot nearly in line with the shank (pointed toes) has no reliable
           plane: use the hips' left-right axis instead */
        if (!(lfd_v3_norm(t) >= 0.5 * lfd_v3_norm(k) * lfd_v3_norm(f)))
            lfd_v3_sub(t, CP(LFD_CJ_L_HIP), CP(LFD_CJ_R_HIP));
        static const double ey[3] = {0, 1, 0};
        unit_or(yf, t, ey);
        /* re-orthogonalise x0 against y, then z0 */
        lfd_v3_scale(t, yf, lfd_v3_dot(x0, yf));
        lfd_v3_sub(t, x0, t);
        unit_or(x0, t, ex);
        lfd_v3_cross(z0, x0, yf);
        /* pitch up about y so the stance foot is level */
        double th = foot_pitch_rad ? foot_pitch_rad[s] : 0, c = cos(th), sn = sin(th);
        for (int i = 0; i < 3; i++) {
            x[i] = c * x0[i] + sn * z0[i];
            z[i] = -sn * x0[i] + c * z0[i];
        }
        double *sg = seg + 7 * (s ? LFD_SEG_R_FOOT : LFD_SEG_L_FOOT);
        lfd_v3_copy(sg, CP(ank));
        axes_quat(sg + 3, x, yf, z);
    }
#undef CP
}

/* ---- contacts ----------------------------------------------------------------------------- */
int lfd_foot_contacts(const double *ankle, const double *toe, size_t stride, int nframes, double fps,
                      const lfd_contact_params *p, uint8_t *out, size_t out_stride)
{
    if (nframes <= 0)
        return 0;
    if (!p)
        p = &lfd_contact_defaults;
    double *z = malloc(5 * (size_t)nframes * sizeof *z);
    if (!z)
        return LFD_ENOMEM;
    double *heel = z + 2 * (size_t)nframes; /* nframes x 3 */
    const double *jt[3] = {ankle, toe, heel};
    double ref[3];
    /* each joint's stance height: the lowest level it rests at */
    for (int k = 0; k < 2; k++) {
        for (int f = 0; f < nframes; f++)
            z[f] = jt[k][(size_t)f * stride + 2];
        ref[k] = rest_level(z, nframes, 0.02);
    }
    /* The heel, which the skeleton does not have: at a heel strike the foot
       turns about it while the ankle still moves forward at about 1 m/s and
       the toe is up, so neither of those is both low and slow until the sole
       is flat (the bandai walks: no frame with both feet down, 6 % with
       neither).  Flat on the floor it is level with the toe's rest and
       HEEL_BACK of the ankle-toe length behind the ankle; it turns with the
       foot's pitch from its rest pitch (the ankle and toe rest levels). */
    int nh = 0; /* frames whose ankle-toe length is known */
    for (int f = 0; f < nframes; f++) {
        double d[3];
        lfd_v3_sub(d, toe + (size_t)f * stride, ankle + (size_t)f * stride);
        double l = lfd_v3_norm(d);
        if (isfinite(l) && l > 1e-6)
            z[nh++] = l;
    }
    size_t hs = 3; /* the heel's stride */
    if (nh > 0) {
        double len = pct_of(z, nh, 50), drop = ref[0] - ref[1];
        double ps = asin(fmin(fmax(drop / len, -1), 1));
        for (int f = 0; f < nframes; f++) {
            const double *a = ankle + (size_t)f * stride, *t = toe + (size_t)f * stride;
            double d[3] = {t[0] - a[0], t[1] - a[1], t[2] - a[2]}, hl = hypot(d[0], d[1]);
            double l = lfd_v3_norm(d), *o = heel + hs * (size_t)f;
            if (!(l > 1e-6) || !(hl > 1e-6) || !isfinite(l)) {
                o[0] = o[1] = o[2] = NAN;
                continue;
            }
            double ph = asin(fmin(fmax(-d[2] / l, -1), 1)) - ps;
            double b = HEEL_BACK * len, x = -b * cos(ph) - drop * sin(ph), zz = b * sin(ph) - drop * cos(ph);
            o[0] = a[0] + x * d[0] / hl;
            o[1] = a[1] + x * d[1] / hl;
            o[2] = a[2] + zz;
        }
        for (int f = 0; f < nframes; f++)
            z[f] = heel[hs * (size_t)f + 2];
        ref[2] = rest_level(z, nframes, 0.02);
    }
    double dt = fps > 0 ? 1 / fps : 1.0 / 30;
    uint8_t *c = (uint8_t *)z; /* reuse the scratch for raw flags */
    for (int f = 0; f < nframes; f++) {
        int a = f > 0 ? f - 1 : f, b = f + 1 < nframes ? f + 1 : f;
        int on = 0;
        for (int k = 0; k < (nh > 0 ? 3 : 2) && b > a; k++) {
            size_t st = k == 2 ? hs : stride;
            const double *pa = jt[k] + (size_t)a * st, *pb = jt[k] + (size_t)b * st;
            double v = lfd_v3_dist(pa, pb) / ((b - a) * dt);
            double hz = jt[k][(size_t)f * st + 2] - ref[k];
            on |= hz < p->height_m && v < p->speed_m_s;
        }
        c[f] = (uint8_t)on;
    }
    /* fill short gaps, then drop short runs */
    int nmin = (int)lround(p->min_s * (fps > 0 ? fps : 30));
    if (nmin < 1)
        nmin = 1;
    for (int pass = 0; pass < 2; pass++) {
        uint8_t want = pass == 0 ? 0 : 1; /* the value of runs to remove */
        int f = 0;
        while (f < nframes) {
            int g = f;
            while (g < nframes && c[g] == c[f])
                g++;
            /* interior gaps only; runs may touch the ends */
            if (c[f] == want && g - f < nmin && (pass == 1 || (f > 0 && g < nframes)))
                memset(c + f, !want, (size_t)(g - f));
            f = g;
        }
    }
    int cnt = 0;
    for (int f = 0; f < nframes; f++) {
        out[(size_t)f * out_stride] = c[f];
        cnt += c[f];
    }
    free(z);
    return cnt;
}

/* ---- analysis -------------------------------------------------------------------------------- */
int lfd_human_analyze(lfd_human *h, lfd_err *err)
{
    if (h->nframes <= 0)
        return lfd_fail(err, LFD_EARG, "%s: no frames to analyse", h->path);
    fill_virtual(h);
    double *tmp = malloc((size_t)h->nframes * sizeof *tmp);
    if (!h->seg)
        h->seg = malloc((size_t)h->nframes * LFD_SEG_COUNT * 7 * sizeof(double));
    if (!h->contact)
        h->contact = malloc((size_t)h->nframes * 2);
    if (!tmp || !h->seg || !h->contact) {
        free(tmp);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", h->path);
    }
    /* bone lengths: medians over frames */
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        int pj = lfd_cjoint_parent(cj);
        if (pj < 0) {
            h->bone_m[cj] = 0;
            continue;
        }
        for (int f = 0; f < h->nframes; f++)
            tmp[f] = lfd_v3_dist(lfd_human_cpos(h, f, cj), lfd_human_cpos(h, f, pj));
        h->bone_m[cj] = pct_of(tmp, h->nframes, 50);
    }
    h->leg_m = 0.5 * (h->bone_m[LFD_CJ_L_KNEE] + h->bone_m[LFD_CJ_L_ANKLE] + h->bone_m[LFD_CJ_R_KNEE] +
                      h->bone_m[LFD_CJ_R_ANKLE]);
    h->height_m = h->leg_m / LEG_FRACTION;
    /* floor: the lowest level the lowest foot joint rests at */
    static const int feet[4] = {LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_L_TOE, LFD_CJ_R_TOE};
    for (int f = 0; f < h->nframes; f++) {
        double m = INFINITY;
        for (int k = 0; k < 4; k++) {
            double zz = lfd_human_cpos(h, f, feet[k])[2];
            if (isfinite(zz) && zz < m)
                m = zz;
        }
        tmp[f] = isfinite(m) ? m : NAN;
    }
    h->floor_z_m = rest_level(tmp, h->nframes, 0.02);
    /* contacts, then each foot's stance pitch */
    size_t stride = (size_t)h->njoints * 3;
    for (int s = 0; s < 2; s++) {
        int ank = s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE, toe = s ? LFD_CJ_R_TOE : LFD_CJ_L_TOE;
        int rc = lfd_foot_contacts(lfd_human_cpos(h, 0, ank), lfd_human_cpos(h, 0, toe), stride,
                                   h->nframes, h->fps, &lfd_contact_defaults, h->contact + s, 2);
        if (rc < 0) {
            free(tmp);
            return lfd_fail(err, rc, "%s: out of memory", h->path);
        }
        int m = 0;
        for (int pass = 0; pass < 2 && m == 0; pass++)
            for (int f = 0; f < h->nframes; f++) {
                if (pass == 0 && !h->contact[2 * f + s])
                    continue;
                double d[3];
                lfd_v3_sub(d, lfd_human_cpos(h, f, toe), lfd_human_cpos(h, f, ank));
                double n = lfd_v3_norm(d);
                if (n > 1e-9 && isfinite(n))
                    tmp[m++] = asin(-d[2] / n);
            }
        h->foot_pitch_rad[s] = m ? pct_of(tmp, m, 50) : 0;
    }
    /* segment frames of every frame */
    for (int f = 0; f < h->nframes; f++) {
        double cp[3 * LFD_CJ_COUNT];
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
            lfd_v3_copy(cp + 3 * cj, lfd_human_cpos(h, f, cj));
        lfd_seg_frames(cp, h->foot_pitch_rad, h->seg + (size_t)f * LFD_SEG_COUNT * 7);
    }
    free(tmp);
    return LFD_OK;
}
