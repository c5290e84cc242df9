/*  lfd_kp_corrupt: seeded failure injection for keypoints (see
    lfd_kp_corrupt.h).  Left/right partners are found here by name with a
    rule of its own (not lfd_repair's), so a test does not grade the repair
    with the repair's own pairing.
*/
#include "ingest/lfd_kp_corrupt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"
#include "ingest/lfd_qa.h"

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static int rnd_in(uint32_t *s, int lo, int hi) /* inclusive */
{
    return hi <= lo ? lo : lo + (int)(rnd(s) % (uint32_t)(hi - lo + 1));
}

static double rnd_u(uint32_t *s) { return (rnd(s) & 0xFFFFFF) / (double)0x1000000; }

int lfd_kp_from_human(lfd_keypoints *kp, const lfd_human *h, lfd_err *err)
{
    memset(kp, 0, sizeof *kp);
    int T = h->nframes, J = h->nsource;
    snprintf(kp->name, sizeof kp->name, "%.255s", h->path);
    kp->names = calloc((size_t)J, sizeof *kp->names);
    kp->parents = malloc((size_t)J * sizeof *kp->parents);
    kp->pos = malloc((size_t)T * (size_t)J * 3 * sizeof *kp->pos);
    if (!kp->names || !kp->parents || !kp->pos) {
        lfd_kp_free(kp);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    kp->nframes = T;
    kp->njoints = J;
    for (int j = 0; j < J; j++) {
        snprintf(kp->names[j], LFD_KP_NAME_MAX, "%s", h->names[j]);
        kp->parents[j] = h->parent[j] < j ? h->parent[j] : -1;
    }
    for (int f = 0; f < T; f++)
        memcpy(kp->pos + (size_t)f * J * 3, lfd_human_pos(h, f, 0), (size_t)J * 3 * sizeof(double));
    kp->fps = h->fps;
    snprintf(kp->units, sizeof kp->units, "m");
    snprintf(kp->up, sizeof kp->up, "z");
    snprintf(kp->fps_source, sizeof kp->fps_source, "sidecar");
    return LFD_OK;
}

/* ---- helpers ------------------------------------------------------------------- */
static double *P(lfd_keypoints *kp, int f, int j) { return kp->pos + ((size_t)f * kp->njoints + (size_t)j) * 3; }

/* the one source joint of a canonical joint, or -1 when it is virtual */
static int src_of(const lfd_human *h, int cj)
{
    return h->map.c[cj].n == 1 ? h->map.c[cj].src[0] : -1;
}

static int is_desc(const lfd_keypoints *kp, int j, int root)
{
    for (int k = j, d = 0; k >= 0 && d < 256; k = kp->parents[k], d++)
        if (k == root)
            return 1;
    return 0;
}

/* side of a name: 'l', 'r' or 0, and its stem with the side marker removed */
static int side_stem(const char *s, char *stem, size_t cap)
{
    static const char *const L[] = {"Left", "left", "LEFT"}, *const R[] = {"Right", "right", "RIGHT"};
    for (int i = 0; i < 3; i++) {
        const char *a = strstr(s, L[i]), *b = strstr(s, R[i]);
        if (a || b) {
            const char *at = a ? a : b;
            snprintf(stem, cap, "%.*s#%s", (int)(at - s), s, at + strlen(a ? L[i] : R[i]));
            return a ? 'l' : 'r';
        }
    }
    size_t n = strlen(s);
    if (n > 2 && (s[n - 2] == '_' || s[n - 2] == '.') && strchr("LRlr", s[n - 1])) {
        snprintf(stem, cap, "%.*s#", (int)(n - 1), s);
        return s[n - 1] == 'L' || s[n - 1] == 'l' ? 'l' : 'r';
    }
    if (n > 2 && strchr("LRlr", s[0]) && (s[1] == '_' || (s[1] >= 'A' && s[1] <= 'Z'))) {
        snprintf(stem, cap, "#%s", s + 1);
        return s[0] == 'L' || s[0] == 'l' ? 'l' : 'r';
    }
    return 0;
}

static int partner(const lfd_keypoints *kp, int j)
{
    char a[LFD_KP_NAME_MAX + 8], b[LFD_KP_NAME_MAX + 8];
    int sa = side_stem(kp->names[j], a, sizeof a);
    if (!sa)
        return -1;
    for (int k = 0; k < kp->njoints; k++) {
        int sb = side_stem(kp->names[k], b, sizeof b);
        if (sb && sb != sa && !strcmp(a, b))
            return k;
    }
    return -1;
}

/* ---- the failures -------------------------------------------------------------------- */
static int c_swap(lfd_keypoints *kp, const lfd_human *h, uint32_t *s, lfd_kp_corruption *c)
{
    int T = kp->nframes, len = rnd_in(s, 5, 20);
    if (T < len + 20)
        return LFD_EARG;
    int f0 = rnd_in(s, 10, T - len - 10), which = rnd_in(s, 0, 2); /* 0 body, 1 arms, 2 legs */
    int ls = src_of(h, LFD_CJ_L_SHOULDER), lh = src_of(h, LFD_CJ_L_HIP), rs = src_of(h, LFD_CJ_R_SHOULDER),
        rh = src_of(h, LFD_CJ_R_HIP);
    for (int j = 0; j < kp->njoints; j++) {
        int m = partner(kp, j);
        if (m <= j)
            continue;
        /* arms: joints hanging off a shoulder and its paired ancestors (clavicles); legs: the same for a hip */
        int arm = (ls >= 0 && (is_desc(kp, j, ls) || is_desc(kp, m, ls) || is_desc(kp, ls, j))) ||
                  (rs >= 0 && (is_desc(kp, j, rs) || is_desc(kp, m, rs) || is_desc(kp, rs, j)));
        int leg = (lh >= 0 && (is_desc(kp, j, lh) || is_desc(kp, m, lh) || is_desc(kp, lh, j))) ||
                  (rh >= 0 && (is_desc(kp, j, rh) || is_desc(kp, m, rh) || is_desc(kp, rh, j)));
        if ((which == 1 && !arm) || (which == 2 && !leg))
            continue;
        for (int f = f0; f < f0 + len; f++) {
            double t[3];
            memcpy(t, P(kp, f, j), sizeof t);
            memcpy(P(kp, f, j), P(kp, f, m), sizeof t);
            memcpy(P(kp, f, m), t, sizeof t);
        }
    }
    c->f0 = f0;
    c->f1 = f0 + len - 1;
    snprintf(c->what, sizeof c->what, "%s swapped", which == 0 ? "every left/right pair" : which == 1 ? "arms" : "legs");
    return LFD_OK;
}

static int c_flip(lfd_keypoints *kp, const lfd_human *h, uint32_t *s, lfd_kp_corruption *c)
{
    static const int roots[4][2] = {{LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW}, {LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW},
                                    {LFD_CJ_L_HIP, LFD_CJ_L_KNEE},       {LFD_CJ_R_HIP, LFD_CJ_R_KNEE}};
    int T = kp->nframes;
    for (int tries = 0; tries < 400; tries++) {
        int len = rnd_in(s, 5, 20), limb = rnd_in(s, 0, 4), ax = rnd_in(s, 0, 1);
        if (T < len + 20)
            return LFD_EARG;
        int f0 = rnd_in(s, 10, T - len - 10);
        int root = limb < 4 ? src_of(h, roots[limb][0]) : -1, top = limb < 4 ? src_of(h, roots[limb][1]) : -1;
        if (limb < 4 && (root < 0 || top < 0))
            continue;
        /* the moved joints must lie at least 5 cm off the plane in every frame */
        int ok = 1;
        for (int f = f0; f < f0 + len && ok; f++) {
            const double *pr = limb < 4 ? P(kp, f, root) : lfd_human_cpos(h, f, LFD_CJ_PELVIS);
            double mind = INFINITY;
            if (limb < 4) {
                mind = fabs(P(kp, f, top)[ax] - pr[ax]);
            } else {
                /* body: the hands and feet, on average */
                static const int ends[4] = {LFD_CJ_L_WRIST, LFD_CJ_R_WRIST, LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE};
                double m = 0;
                for (int e = 0; e < 4; e++)
                    m += fabs(lfd_human_cpos(h, f, ends[e])[ax] - pr[ax]) / 4;
                mind = m;
            }
            ok = mind >= 0.05;
        }
        if (!ok)
            continue;
        for (int f = f0; f < f0 + len; f++) {
            double rp[3];
            memcpy(rp, limb < 4 ? P(kp, f, root) : lfd_human_cpos(h, f, LFD_CJ_PELVIS), sizeof rp);
            for (int j = 0; j < kp->njoints; j++)
                if (limb == 4 || is_desc(kp, j, top))
                    P(kp, f, j)[ax] = 2 * rp[ax] - P(kp, f, j)[ax];
        }
        c->f0 = f0;
        c->f1 = f0 + len - 1;
        static const char *const nm[5] = {"left arm", "right arm", "left leg", "right leg", "whole body"};
        snprintf(c->what, sizeof c->what, "%s flipped along %c", nm[limb], ax ? 'y' : 'x');
        return LFD_OK;
    }
    return LFD_EARG;
}

static int c_dropout(lfd_keypoints *kp, const lfd_human *h, uint32_t *s, lfd_kp_corruption *c, int len_fixed,
                     int only_cj, int force_nan)
{
    static const int cands[8] = {LFD_CJ_L_WRIST, LFD_CJ_R_WRIST, LFD_CJ_L_ELBOW, LFD_CJ_R_ELBOW,
                                 LFD_CJ_L_KNEE,  LFD_CJ_R_KNEE,  LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE};
    int T = kp->nframes, len = len_fixed ? len_fixed : rnd_in(s, 3, 15);
    int maxlen = (int)floor(0.5 * kp->fps);
    if (len > maxlen)
        len = maxlen;
    if (T < len + 20 || len < 1)
        return LFD_EARG;
    int cj = cands[rnd_in(s, 0, 7)], f0 = rnd_in(s, 10, T - len - 10), conf = rnd_in(s, 0, 1);
    if (only_cj >= 0)
        cj = only_cj;
    if (force_nan)
        conf = 0;
    int j = src_of(h, cj);
    if (j < 0)
        return LFD_EARG;
    if (conf && !kp->conf) {
        kp->conf = malloc((size_t)T * (size_t)kp->njoints * sizeof *kp->conf);
        if (!kp->conf)
            return LFD_ENOMEM;
        for (size_t i = 0; i < (size_t)T * (size_t)kp->njoints; i++)
            kp->conf[i] = 0.9;
    }
    for (int f = f0; f < f0 + len; f++)
        for (int k = 0; k < kp->njoints; k++)
            if (is_desc(kp, k, j)) {
                if (conf) {
                    /* low confidence: the estimator's guess is somewhere else */
                    kp->conf[(size_t)f * kp->njoints + k] = 0.1;
                    P(kp, f, k)[2] += 0.3;
                } else {
                    P(kp, f, k)[0] = P(kp, f, k)[1] = P(kp, f, k)[2] = NAN;
                }
            }
    c->f0 = f0;
    c->f1 = f0 + len - 1;
    snprintf(c->what, sizeof c->what, "%s %s for %d frames", kp->names[j], conf ? "low confidence" : "missing", len);
    return LFD_OK;
}

static int c_breathing(lfd_keypoints *kp, const lfd_human *h, uint32_t *s, lfd_kp_corruption *c)
{
    static const int bones[8][2] = {
        {LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW}, {LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW}, {LFD_CJ_L_ELBOW, LFD_CJ_L_WRIST},
        {LFD_CJ_R_ELBOW, LFD_CJ_R_WRIST},    {LFD_CJ_L_HIP, LFD_CJ_L_KNEE},       {LFD_CJ_R_HIP, LFD_CJ_R_KNEE},
        {LFD_CJ_L_KNEE, LFD_CJ_L_ANKLE},     {LFD_CJ_R_KNEE, LFD_CJ_R_ANKLE}};
    int T = kp->nframes, b = rnd_in(s, 0, 7);
    int len = (int)lround((0.5 + rnd_u(s)) * kp->fps), ramp = (int)lround(0.1 * kp->fps);
    double amp = 0.15 + 0.15 * rnd_u(s);
    int a = src_of(h, bones[b][0]), ch = src_of(h, bones[b][1]);
    if (T < len + 20 || a < 0 || ch < 0)
        return LFD_EARG;
    int f0 = rnd_in(s, 10, T - len - 10);
    for (int f = f0; f < f0 + len; f++) {
        int i = f - f0;
        double w = i < ramp ? (i + 1.0) / (ramp + 1) : len - 1 - i < ramp ? (len - i) / (ramp + 1.0) : 1;
        double d[3];
        lfd_v3_sub(d, P(kp, f, ch), P(kp, f, a));
        lfd_v3_scale(d, d, amp * w);
        for (int k = 0; k < kp->njoints; k++)
            if (is_desc(kp, k, ch))
                lfd_v3_add(P(kp, f, k), P(kp, f, k), d);
    }
    c->f0 = f0;
    c->f1 = f0 + len - 1;
    snprintf(c->what, sizeof c->what, "%s-%s bone %.0f%% longer", kp->names[a], kp->names[ch], 100 * amp);
    return LFD_OK;
}

static int c_tilt(lfd_keypoints *kp, const lfd_human *h, uint32_t *s, lfd_kp_corruption *c)
{
    double deg = 5 + 5 * rnd_u(s), az = 2 * M_PI * rnd_u(s);
    double axis[3] = {cos(az), sin(az), 0}, q[4], ctr[3] = {0, 0, 0};
    lfd_quat_from_axis_angle(q, axis, deg * M_PI / 180);
    int T = kp->nframes;
    for (int f = 0; f < T; f++)
        for (int k = 0; k < 2; k++)
            ctr[k] += lfd_human_cpos(h, f, LFD_CJ_PELVIS)[k] / T;
    for (int f = 0; f < T; f++)
        for (int j = 0; j < kp->njoints; j++) {
            double d[3], r[3];
            lfd_v3_sub(d, P(kp, f, j), ctr);
            lfd_quat_rotate(r, q, d);
            lfd_v3_add(P(kp, f, j), r, ctr);
        }
    c->f0 = 0;
    c->f1 = T - 1;
    snprintf(c->what, sizeof c->what, "tilted %.1f deg", deg);
    return LFD_OK;
}

static int c_times(lfd_keypoints *kp, uint32_t *s, lfd_kp_corruption *c)
{
    int T = kp->nframes, len = rnd_in(s, 6, 20);
    if (T < len + 20)
        return LFD_EARG;
    int f0 = rnd_in(s, 10, T - len - 10), J = kp->njoints;
    /* keep rows outside [f0, f0+len) and every other row inside */
    int w = 0;
    double *times = malloc((size_t)T * sizeof *times);
    if (!times)
        return LFD_ENOMEM;
    int first_row = -1, last_row = -1;
    for (int f = 0; f < T; f++) {
        if (f >= f0 && f < f0 + len && (f - f0) % 2 == 1)
            continue;
        if (f >= f0 && f < f0 + len) {
            if (first_row < 0 && f > f0)
                first_row = w;
            last_row = w;
        }
        memmove(kp->pos + (size_t)w * J * 3, kp->pos + (size_t)f * J * 3, (size_t)J * 3 * sizeof(double));
        if (kp->conf)
            memmove(kp->conf + (size_t)w * J, kp->conf + (size_t)f * J, (size_t)J * sizeof(double));
        times[w] = kp->times ? kp->times[f] : f / kp->fps;
        w++;
    }
    free(kp->times);
    kp->times = times;
    kp->nframes = w;
    (void)first_row, (void)last_row;
    /* the rows after a step of two frames */
    c->f0 = c->f1 = -1;
    for (int i = 1; i < w; i++)
        if (times[i] - times[i - 1] > 1.5 / kp->fps) {
            if (c->f0 < 0)
                c->f0 = i;
            c->f1 = i;
        }
    snprintf(c->what, sizeof c->what, "every other frame dropped (rows %d-%d follow long steps)", c->f0, c->f1);
    return LFD_OK;
}

int lfd_kp_corrupt(lfd_keypoints *kp, const lfd_human *h, int kind, int len, uint32_t *seed,
                   lfd_kp_corruption *c, lfd_err *err)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    int rc;
    switch (kind) {
    case LFD_QK_LR_SWAP: rc = c_swap(kp, h, seed, c); break;
    case LFD_QK_DEPTH_FLIP: rc = c_flip(kp, h, seed, c); break;
    case LFD_QK_DROPOUT: rc = c_dropout(kp, h, seed, c, len, -1, 0); break;
    case LFD_QK_BONE_BREATHING: rc = c_breathing(kp, h, seed, c); break;
    case LFD_QK_FLOOR_TILT: rc = c_tilt(kp, h, seed, c); break;
    case LFD_QK_TIMESTAMP_IRREGULAR: rc = c_times(kp, seed, c); break;
    default: rc = LFD_EARG;
    }
    if (rc == LFD_ENOMEM)
        return lfd_fail(err, rc, "out of memory");
    if (rc)
        return lfd_fail(err, rc, "%s: no place for a %s corruption (%d frames)", kp->name, lfd_qa_kind_name(kind),
                        kp->nframes);
    return LFD_OK;
}

int lfd_kp_corrupt_gap(lfd_keypoints *kp, const lfd_human *h, int cj, int len, uint32_t *seed, lfd_kp_corruption *c,
                       lfd_err *err)
{
    memset(c, 0, sizeof *c);
    c->kind = LFD_QK_DROPOUT;
    int rc = c_dropout(kp, h, seed, c, len, cj, 1);
    if (rc)
        return lfd_fail(err, rc, "%s: no place for a %d-frame gap (%d frames)", kp->name, len, kp->nframes);
    return LFD_OK;
}
