/*  lfd_qa_video: detectors for the failures of video pose estimators.

    Called by lfd_qa_human_kp after the general checks.  Each detector adds
    one reason named by its lfd_qa_kind (lr_swap, depth_flip, dropout,
    bone_breathing, floor_tilt, timestamp_irregular) with the frames it
    covers, and, given a plan, the repairs that would fix it (lfd_repair.h).

    Swaps and flips share one tracker.  The 19 canonical joints of each
    frame are compared with a prediction from the two frames before (as
    already corrected): a constant-velocity step, damped.  Eight "units"
    can be toggled: swap the arm chains, the leg chains, or every left/right
    pair; reflect a limb's distal joints through the plane of its root
    (shoulder or hip) or the whole body through the pelvis, along a
    horizontal world axis (x or y; a camera's depth axis is horizontal).
    A unit toggles in a frame when toggling it explains the frame much
    better than the current labelling: the squared error over the joints it
    moves falls below (LFD_QV_RATIO)^2 of the current one and the RMS error
    drops by more than LFD_QV_MIN_GAIN_M.  (For two chains this is the
    Hungarian assignment of the left and right chains to the previous
    frame's.)  After the pass, a unit that is "toggled" in more than half of
    the frames had its first frames wrong, so the labelling is inverted; a
    unit toggled in 40-60 % of the frames cannot be told apart (a whole-body
    swap ambiguity) and stays an unrepairable rejection.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_log.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_qa.h"
#include "ingest/lfd_repair.h"

#define LFD_QV_RATIO 0.4          /* RMS error ratio for a toggle */
#define LFD_QV_MIN_GAIN_M 0.03    /* and an RMS gain of more than this */
#define LFD_QV_DAMP 0.7           /* velocity damping of the prediction */
#define LFD_QV_AMBIG_LO 0.4       /* toggled fraction that cannot be resolved */
#define LFD_QV_AMBIG_HI 0.6
#define LFD_QV_BREATH_WIN_S 0.2   /* bone-length smoothing window */
#define LFD_QV_BREATH_WARN 0.06   /* smoothed length off its median by this fraction: warn */
#define LFD_QV_BREATH_REJECT 0.12 /* ... reject */
#define LFD_QV_TILT_DEG 4.0       /* floor plane tilted more than this: reject (repairable); the
                                     real clean clips reach 3.6 deg (a dance, every 6 s window) */
#define LFD_QV_TILT_SURE_DEG 1.5  /* ... and tilted more than this less one standard error */
#define LFD_QV_TS_DEV 0.25        /* time step off the median by this fraction */

enum { NC = LFD_CJ_COUNT };

const char *lfd_repair_unit_name(int u)
{
    static const char *const n[LFD_RU_COUNT] = {"arms", "legs", "every left/right pair", "left arm", "right arm",
                                                "left leg", "right leg", "whole body"};
    return u >= 0 && u < LFD_RU_COUNT ? n[u] : "?";
}

int lfd_repair_plan_add(lfd_repair_plan *plan, const lfd_repair_op *op)
{
    if (!plan)
        return LFD_OK;
    if (plan->nops >= LFD_REPAIR_MAX_OPS) {
        plan->more++;
        return LFD_ELIMIT;
    }
    plan->op[plan->nops++] = *op;
    return LFD_OK;
}

/* ---- units ---------------------------------------------------------------------- */
static const int arm_l[3] = {LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW, LFD_CJ_L_WRIST};
static const int arm_r[3] = {LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW, LFD_CJ_R_WRIST};
static const int leg_l[4] = {LFD_CJ_L_HIP, LFD_CJ_L_KNEE, LFD_CJ_L_ANKLE, LFD_CJ_L_TOE};
static const int leg_r[4] = {LFD_CJ_R_HIP, LFD_CJ_R_KNEE, LFD_CJ_R_ANKLE, LFD_CJ_R_TOE};

static void swap3(double *q, int a, int b)
{
    for (int k = 0; k < 3; k++) {
        double t = q[a * 3 + k];
        q[a * 3 + k] = q[b * 3 + k];
        q[b * 3 + k] = t;
    }
}

static void reflect(double *p, const double *root, int axis)
{
    p[axis] = 2 * root[axis] - p[axis];
}

/* the correction of one frame under state bits (2 bits per flip unit: axis x, y) */
static void correct(const double *raw, unsigned st, double *q)
{
    memcpy(q, raw, NC * 3 * sizeof *q);
    if (st & (1u << LFD_RU_SWAP_ARMS) || st & (1u << LFD_RU_SWAP_BODY))
        for (int i = 0; i < 3; i++)
            swap3(q, arm_l[i], arm_r[i]);
    if (st & (1u << LFD_RU_SWAP_LEGS) || st & (1u << LFD_RU_SWAP_BODY))
        for (int i = 0; i < 4; i++)
            swap3(q, leg_l[i], leg_r[i]);
    for (int ax = 0; ax < 2; ax++) {
        unsigned sh = ax ? 16 : 8;
        if (st & (1u << (sh + LFD_RU_FLIP_BODY))) {
            double root[3];
            memcpy(root, q + LFD_CJ_PELVIS * 3, sizeof root);
            for (int c = 0; c < NC; c++)
                reflect(q + c * 3, root, ax);
        }
        for (int u = LFD_RU_FLIP_L_ARM; u <= LFD_RU_FLIP_R_LEG; u++) {
            if (!(st & (1u << (sh + u))))
                continue;
            const int *ch = u == LFD_RU_FLIP_L_ARM ? arm_l : u == LFD_RU_FLIP_R_ARM ? arm_r
                          : u == LFD_RU_FLIP_L_LEG ? leg_l : leg_r;
            int n = u <= LFD_RU_FLIP_R_ARM ? 3 : 4;
            for (int i = 1; i < n; i++)
                reflect(q + ch[i] * 3, q + ch[0] * 3, ax);
        }
    }
}

/* the state bit of unit u along axis ax (swaps ignore ax) */
static unsigned ubit(int u, int ax)
{
    return u <= LFD_RU_SWAP_BODY ? 1u << u : 1u << ((ax ? 16 : 8) + u);
}

/* ---- swap / flip tracker ------------------------------------------------------------ */
typedef struct track {
    int n;
    unsigned *state;   /* per frame */
    uint8_t *valid;    /* per frame: all canonical joints finite */
} track;

static void raw_frame(const lfd_human *h, int f, double *q)
{
    for (int c = 0; c < NC; c++)
        memcpy(q + c * 3, lfd_human_cpos(h, f, c), 3 * sizeof *q);
}

static double sse(const double *a, const double *b)
{
    double s = 0;
    for (int i = 0; i < NC * 3; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

/* number of canonical joints a unit moves (for the RMS gain) */
static int unit_joints(int u)
{
    switch (u) {
    case LFD_RU_SWAP_ARMS: return 6;
    case LFD_RU_SWAP_LEGS: return 8;
    case LFD_RU_SWAP_BODY: return 14;
    case LFD_RU_FLIP_L_ARM: case LFD_RU_FLIP_R_ARM: return 2;
    case LFD_RU_FLIP_L_LEG: case LFD_RU_FLIP_R_LEG: return 3;
    default: return NC - 1;
    }
}

static void run_track(const lfd_human *h, int f0, track *t)
{
    double raw[NC * 3], cur[NC * 3], alt[NC * 3], pred[NC * 3], p1[NC * 3], p2[NC * 3];
    int have = 0, last = -1;
    unsigned st = 0;
    for (int f = f0; f < t->n; f++) {
        t->valid[f] = (uint8_t)lfd_human_frame_finite(h, f);
        if (!t->valid[f]) {
            t->state[f] = st;
            continue;
        }
        raw_frame(h, f, raw);
        /* after a gap of missing joints the motion is unknown: start over, keeping the labelling */
        if (last >= 0 && f - last > 2)
            have = 0;
        if (have >= 1) {
            /* prediction: damped constant velocity (no velocity across a gap) */
            for (int i = 0; i < NC * 3; i++)
                pred[i] = p1[i] + (have >= 2 && f - last == 1 ? LFD_QV_DAMP * (p1[i] - p2[i]) : 0);
            correct(raw, st, cur);
            double e0 = sse(cur, pred), best_gain = 0;
            unsigned best = 0;
            for (int u = 0; u < LFD_RU_COUNT; u++)
                for (int ax = 0; ax < (u <= LFD_RU_SWAP_BODY ? 1 : 2); ax++) {
                    unsigned b = ubit(u, ax);
                    /* one flip axis per unit at a time */
                    if (u > LFD_RU_SWAP_BODY && (st & ubit(u, !ax)))
                        continue;
                    correct(raw, st ^ b, alt);
                    double e1 = sse(alt, pred);
                    double nj = unit_joints(u);
                    double gain = sqrt(e0 / nj) - sqrt(e1 / nj);
                    if (e1 < LFD_QV_RATIO * LFD_QV_RATIO * e0 && gain > LFD_QV_MIN_GAIN_M && e0 - e1 > best_gain) {
                        best_gain = e0 - e1;
                        best = b;
                    }
                }
            st ^= best;
        }
        correct(raw, st, cur);
        memcpy(p2, p1, sizeof p1);
        memcpy(p1, cur, sizeof cur);
        have++;
        last = f;
        t->state[f] = st;
    }
}

/* ---- helpers ------------------------------------------------------------------------- */
/* adds an op per run of flag[f0..n) */
static void plan_runs(lfd_repair_plan *plan, const uint8_t *flag, int f0, int n, lfd_repair_op proto)
{
    for (int f = f0, g; (f = lfd_qa_next_run(flag, f, n, &g)) < n; f = g) {
        proto.f0 = f;
        proto.f1 = g - 1;
        lfd_repair_plan_add(plan, &proto);
    }
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- lr_swap and depth_flip ------------------------------------------------------------ */
static int detect_swap_flip(const lfd_human *h, int f0, lfd_qa_report *r, lfd_repair_plan *plan, uint8_t *flag,
                            int *ambiguous_out, lfd_err *err)
{
    int n = h->nframes;
    track t = {n, calloc((size_t)n + 1, sizeof(unsigned)), calloc((size_t)n + 1, 1)};
    uint8_t *on = malloc((size_t)n + 1);
    if (!t.state || !t.valid || !on) {
        free(t.state), free(t.valid), free(on);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (lr_swap)", h->path);
    }
    run_track(h, f0, &t);
    int nvalid = 0;
    for (int f = f0; f < n; f++)
        nvalid += t.valid[f];
    /* per unit and axis: frames where it is on, inverted when on in most frames */
    uint8_t *swap_flag = flag, *flip_flag = calloc((size_t)n + 1, 1);
    if (!flip_flag) {
        free(t.state), free(t.valid), free(on);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (depth_flip)", h->path);
    }
    memset(swap_flag, 0, (size_t)n);
    int ambiguous[2] = {0, 0}, nswap = 0, nflip = 0, repairable[2] = {1, 1};
    char what[2][160] = {"", ""};
    for (int u = 0; u < LFD_RU_COUNT; u++)
        for (int ax = 0; ax < (u <= LFD_RU_SWAP_BODY ? 1 : 2); ax++) {
            unsigned b = ubit(u, ax);
            int k = 0;
            for (int f = f0; f < n; f++) {
                on[f] = t.valid[f] && (t.state[f] & b);
                k += on[f];
            }
            if (!k)
                continue;
            double frac = nvalid ? (double)k / nvalid : 0;
            int isswap = u <= LFD_RU_SWAP_BODY;
            if (frac > LFD_QV_AMBIG_LO && frac < LFD_QV_AMBIG_HI) {
                ambiguous[!isswap] = 1;
                repairable[!isswap] = 0;
            }
            if (frac >= LFD_QV_AMBIG_HI) {
                for (int f = f0; f < n; f++)
                    on[f] = t.valid[f] && !on[f];
            }
            uint8_t *dst = isswap ? swap_flag : flip_flag;
            for (int f = f0; f < n; f++)
                dst[f] |= on[f];
            size_t l = strlen(what[!isswap]);
            snprintf(what[!isswap] + l, sizeof what[0] - l, "%s%s%s", l ? ", " : "", lfd_repair_unit_name(u),
                     isswap ? "" : ax ? " (along y)" : " (along x)");
            if (isswap)
                nswap++;
            else
                nflip++;
            lfd_repair_op op = {.kind = isswap ? LFD_QK_LR_SWAP : LFD_QK_DEPTH_FLIP, .unit = u, .axis = ax};
            if (plan && !ambiguous[!isswap])
                plan_runs(plan, on, f0, n, op);
        }
    if (nswap) {
        lfd_qa_reason *rs = lfd_qa_add_reason(
            r, "lr_swap", LFD_QA_REJECT, nswap, 0, "left and right swapped (%s)%s", what[0],
            ambiguous[0] ? ": swapped in about half the frames, which labelling is right cannot be told" : "");
        lfd_qa_set_ranges(rs, swap_flag, f0, n, h->first_frame);
        rs->repairable = repairable[0];
    }
    if (nflip) {
        lfd_qa_reason *rs = lfd_qa_add_reason(
            r, "depth_flip", LFD_QA_REJECT, nflip, 0, "front and back flipped: %s%s", what[1],
            ambiguous[1] ? "; flipped in about half the frames, which depth is right cannot be told" : "");
        lfd_qa_set_ranges(rs, flip_flag, f0, n, h->first_frame);
        rs->repairable = repairable[1];
    }
    *ambiguous_out = ambiguous[0] || ambiguous[1];
    free(flip_flag);
    free(on);
    free(t.state);
    free(t.valid);
    return LFD_OK;
}

/* ---- dropout ----------------------------------------------------------------------------- */
static int missing(const lfd_keypoints *kp, const lfd_human *h, int f, int j)
{
    const double *p = lfd_human_pos(h, f, j);
    if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]))
        return 1;
    return kp && kp->conf && kp->conf[(size_t)f * (size_t)kp->njoints + (size_t)j] < LFD_REPAIR_CONF_MIN;
}

static int is_canonical_source(const lfd_human *h, int j)
{
    for (int c = 0; c < NC; c++)
        for (int i = 0; i < h->map.c[c].n; i++)
            if (h->map.c[c].src[i] == j)
                return 1;
    return 0;
}

static void detect_dropout(const lfd_human *h, const lfd_keypoints *kp, int f0, lfd_qa_report *r,
                           lfd_repair_plan *plan, uint8_t *flag)
{
    int n = h->nframes, maxgap = (int)floor(LFD_REPAIR_MAX_GAP_S * h->fps + 1e-9);
    memset(flag, 0, (size_t)n);
    int runs = 0, unfixable = 0, canon = 0, longest = 0, nmissing = 0;
    char first_bad[96] = "";
    for (int j = 0; j < h->nsource; j++) {
        int iscanon = is_canonical_source(h, j);
        for (int f = f0; f < n;) {
            if (!missing(kp, h, f, j)) {
                f++;
                continue;
            }
            int g = f;
            while (g < n && missing(kp, h, g, j))
                g++;
            runs++;
            nmissing += g - f;
            canon |= iscanon;
            if (g - f > longest)
                longest = g - f;
            memset(flag + f, 1, (size_t)(g - f));
            int fixable = g - f <= maxgap && f > f0 && g < n;
            if (!fixable) {
                if (!unfixable)
                    snprintf(first_bad, sizeof first_bad, "%s, frames %d-%d", h->names[j], f + h->first_frame,
                             g - 1 + h->first_frame);
                unfixable++;
            } else {
                lfd_repair_op op = {.kind = LFD_QK_DROPOUT, .unit = j, .f0 = f, .f1 = g - 1};
                lfd_repair_plan_add(plan, &op);
            }
            f = g;
        }
    }
    if (!runs)
        return;
    /* a joint the retargeter does not use missing (fingers, face) only warns */
    int sev = canon || unfixable ? LFD_QA_REJECT : LFD_QA_WARN;
    lfd_qa_reason *rs;
    if (unfixable)
        rs = lfd_qa_add_reason(r, "dropout", sev, longest, maxgap,
                               "%d run(s) of missing%s joints, %d longer than %.2g s (%d frames) or at an end of "
                               "the clip, which cannot be filled (first: %s)",
                               runs, kp && kp->conf ? " or low-confidence" : "", unfixable, LFD_REPAIR_MAX_GAP_S,
                               maxgap, first_bad);
    else
        rs = lfd_qa_add_reason(r, "dropout", sev, longest, maxgap,
                               "%d run(s) of missing%s joints (%d joint-frames), the longest %d frames: short "
                               "enough to fill",
                               runs, kp && kp->conf ? " or low-confidence" : "", nmissing, longest);
    lfd_qa_set_ranges(rs, flag, f0, n, h->first_frame);
    rs->repairable = !unfixable;
}

/* ---- bone_breathing ------------------------------------------------------------------------ */
static int detect_breathing(const lfd_human *h, int f0, lfd_qa_report *r, uint8_t *flag, lfd_err *err)
{
    static const int bones[8][2] = {
        {LFD_CJ_L_SHOULDER, LFD_CJ_L_ELBOW}, {LFD_CJ_R_SHOULDER, LFD_CJ_R_ELBOW}, {LFD_CJ_L_ELBOW, LFD_CJ_L_WRIST},
        {LFD_CJ_R_ELBOW, LFD_CJ_R_WRIST},    {LFD_CJ_L_HIP, LFD_CJ_L_KNEE},       {LFD_CJ_R_HIP, LFD_CJ_R_KNEE},
        {LFD_CJ_L_KNEE, LFD_CJ_L_ANKLE},     {LFD_CJ_R_KNEE, LFD_CJ_R_ANKLE}};
    int n = h->nframes, m = n - f0;
    if (m < 3)
        return LFD_OK;
    double *len = malloc((size_t)m * sizeof *len), *tmp = malloc((size_t)m * sizeof *tmp);
    if (!len || !tmp) {
        free(len), free(tmp);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (bone_breathing)", h->path);
    }
    /* the half-window in frames, computed in double and clamped to the clip
       so a rate that slipped past the readers' (0, 10000] Hz check can
       neither overflow the int nor make the average loop run for ever */
    double wd = LFD_QV_BREATH_WIN_S * h->fps / 2;
    int w = wd < m ? (int)lround(wd) : m;
    if (w < 1)
        w = 1;
    memset(flag, 0, (size_t)n);
    double worst = 0;
    int worst_b = 0;
    for (int b = 0; b < 8; b++) {
        int k = 0;
        for (int f = f0; f < n; f++) {
            len[f - f0] = lfd_v3_dist(lfd_human_cpos(h, f, bones[b][0]), lfd_human_cpos(h, f, bones[b][1]));
            if (isfinite(len[f - f0]))
                tmp[k++] = len[f - f0];
        }
        if (k < 3)
            continue;
        qsort(tmp, (size_t)k, sizeof *tmp, cmp_dbl);
        double med = tmp[k / 2];
        if (med < 0.05)
            continue;
        /* centred moving average over the window (finite values only) */
        for (int i = 0; i < m; i++) {
            double s = 0;
            int c = 0;
            for (int d = -w; d <= w; d++)
                if (i + d >= 0 && i + d < m && isfinite(len[i + d]))
                    s += len[i + d], c++;
            if (c < w)
                continue;
            double dev = fabs(s / c / med - 1);
            if (dev > LFD_QV_BREATH_WARN)
                flag[f0 + i] = 1;
            if (dev > worst)
                worst = dev, worst_b = b;
        }
    }
    free(len);
    free(tmp);
    if (worst > LFD_QV_BREATH_WARN) {
        int rej = worst > LFD_QV_BREATH_REJECT;
        lfd_qa_reason *rs = lfd_qa_add_reason(
            r, "bone_breathing", rej ? LFD_QA_REJECT : LFD_QA_WARN, worst,
            rej ? LFD_QV_BREATH_REJECT : LFD_QV_BREATH_WARN,
            "bone lengths breathe: the %s-%s bone, averaged over %.1f s, is %.0f%% off its median length",
            lfd_cjoint_name(bones[worst_b][0]), lfd_cjoint_name(bones[worst_b][1]), LFD_QV_BREATH_WIN_S, 100 * worst);
        lfd_qa_set_ranges(rs, flag, f0, n, h->first_frame);
    }
    return LFD_OK;
}

/* ---- floor_tilt ------------------------------------------------------------------------------ */
/* rotation taking unit vector a onto unit vector b (a, b not opposite) */
static void rot_between(const double a[3], const double b[3], double R[9])
{
    double v[3], c = lfd_v3_dot(a, b);
    lfd_v3_cross(v, a, b);
    double k = 1 / (1 + c);
    double vx[9] = {0, -v[2], v[1], v[2], 0, -v[0], -v[1], v[0], 0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int l = 0; l < 3; l++)
                s += vx[i * 3 + l] * vx[l * 3 + j];
            R[i * 3 + j] = (i == j) + vx[i * 3 + j] + k * s;
        }
}

/* Floor tilt.  The slope g = (dz/dx, dz/dy) of the floor is fitted, by
   iteratively reweighted least squares (Tukey's biweight, scale
   LFD_QV_TILT_RES_M), to three kinds of evidence:
     stance spots  the balls of the feet (toe joints) where they rest (slow
                   and the lower foot): z = c + g . (xy - mean).  They
                   spread over the floor as the person moves about.  A
                   consensus step first checks that one floor holds them
                   (boxes and steps are other levels: then no plane);
     foot pairs    in frames with both feet planted, the left-minus-right
                   vectors of the toes and of the ankles lie along the floor
                   (the two feet are alike): v_z = g . v_xy;
     steps         from each stance spot (a stance's mean) to the next four:
                   along the floor too, on any level; a step up or down
                   (steeper than LFD_QV_TILT_PAIR_SLOPE) is left out.
   Posture puts the feet's heights apart (weight on one foot, a raised
   heel): about 1 cm, and the toes of the subject standing still in the
   CMU drink clip rest 1.8 cm apart in height, 0.32 m apart.  So the slope
   is only trusted along directions where one kind of evidence has a lever
   arm of LFD_QV_TILT_LEVER_M (twice the RMS spread of the stance spots,
   the RMS length of the pairs or steps): 1.8 cm over 0.4 m is 2.6 deg,
   under the 4 deg threshold.  Along a direction without that lever, the
   trunk's mean lean across a walk stands in (the body sways as much left
   as right; only when it sways less than LFD_QV_TILT_SWAY_RAD, so not in a
   dance or a climb); else the slope there is not measured: the fore-aft
   slope under a person who never moves the feet (sitting, standing at a
   table) is not seen.  The tilt is reported with a standard error (the
   fit's scatter, LFD_QV_TILT_POSTURE_M over the lever, and
   LFD_QV_TILT_LEAN_SE_DEG for a trunk-based part); it is a rejection when
   it exceeds LFD_QV_TILT_DEG and, less one standard error,
   LFD_QV_TILT_SURE_DEG. */
#define LFD_QV_TILT_RES_M 0.03      /* biweight scale of the fit's residuals */
#define LFD_QV_TILT_LEVER_M 0.4     /* lever arm needed to trust the slope along a direction (see above) */
#define LFD_QV_TILT_LEAN_SE_DEG 2.0 /* standard error taken for a trunk-lean estimate */
#define LFD_QV_TILT_POSTURE_M 0.01  /* typical height error of a foot by posture (weight on one foot, a heel up) */
#define LFD_QV_TILT_SWAY_RAD (4 * M_PI / 180) /* trunk sway (std) of a walk, at most */
#define LFD_QV_TILT_WALK_M 0.6    /* stance spots spread this far along one line: a walk */
#define LFD_QV_TILT_PAIR_SLOPE 0.27 /* a foot pair steeper than this (15 deg) is on two levels */

typedef struct tilt_fit {
    double g[2];        /* floor slope */
    double center[3];   /* a point of the floor */
    double lever[2];    /* lever arm along e[0], e[1] */
    double e[2][2];     /* principal directions of the evidence */
    double se_deg;      /* standard error of the tilt */
    int nplane, npair;  /* evidence used */
} tilt_fit;

/* the plane consensus over stance spots s (k of them): marks in use[] the
   samples of the one floor level most of them share; 0 when several levels
   hold about as many (stairs, boxes) */
static int floor_consensus(const double *s, int k, uint8_t *use)
{
    uint32_t seed = 12345u;
    int best = -1;
    for (int it = 0; it < 300; it++) {
        int ia[3];
        for (int q = 0; q < 3; q++) {
            seed = seed * 1664525u + 1013904223u;
            ia[q] = (int)((seed >> 8) % (uint32_t)k);
        }
        const double *A = s + ia[0] * 3, *B = s + ia[1] * 3, *Cc = s + ia[2] * 3;
        double u[3], v[3], nn[3];
        lfd_v3_sub(u, B, A);
        lfd_v3_sub(v, Cc, A);
        lfd_v3_cross(nn, u, v);
        double nl = lfd_v3_norm(nn);
        if (nl < 1e-6 || fabs(nn[2]) / nl < cos(30 * M_PI / 180))
            continue;
        lfd_v3_scale(nn, nn, 1 / nl);
        int cnt = 0;
        for (int i = 0; i < k; i++) {
            double d[3];
            lfd_v3_sub(d, s + i * 3, A);
            cnt += fabs(lfd_v3_dot(d, nn)) < 0.02;
        }
        if (cnt > best) {
            best = cnt;
            for (int i = 0; i < k; i++) {
                double d[3];
                lfd_v3_sub(d, s + i * 3, A);
                use[i] = fabs(lfd_v3_dot(d, nn)) < 0.02;
            }
        }
    }
    if (best < 0) {
        /* no three spots span a plane (one spot): keep them all */
        memset(use, 1, (size_t)k);
        return 1;
    }
    /* a level band that holds about as many samples as the plane: stance
       spots on a few levels (steps, boxes) can line up on a slanted plane */
    double *z = malloc((size_t)k * sizeof *z);
    int lvl = 0;
    if (!z)
        return LFD_ENOMEM;
    for (int i = 0; i < k; i++)
        z[i] = s[i * 3 + 2];
    qsort(z, (size_t)k, sizeof *z, cmp_dbl);
    for (int i = 0, j = 0; i < k; i++) {
        while (z[i] - z[j] > 0.04)
            j++;
        if (i - j + 1 > lvl)
            lvl = i - j + 1;
    }
    free(z);
    /* one level floor: a level band holds (almost) all the stance spots; or
       a tilted plane holds most of them and clearly more than any level
       band (a tilted floor, perhaps with a box on it); else several levels
       (stairs, boxes) and no tilted plane that stands out: no plane */
    return lvl >= 0.9 * k || (best >= 0.9 * k && best >= 1.3 * lvl);
}

/* fits the floor slope to stance spots s (k) and foot pairs v (m, each
   x y z); returns 0 when there is too little evidence */
static int fit_floor(const double *s, int k, const double *v, int m, int mp, tilt_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    uint8_t *use = k > 0 ? malloc((size_t)k) : NULL;
    double *w = malloc((size_t)(k + m + 1) * sizeof *w);
    if ((k > 0 && !use) || !w) {
        free(use);
        free(w);
        return LFD_ENOMEM;
    }
    int plane = k >= 20 ? floor_consensus(s, k, use) : 0;
    if (plane < 0) {
        free(use);
        free(w);
        return plane;
    }
    double mx = 0, my = 0, mz = 0;
    int kn = 0;
    for (int i = 0; plane && i < k; i++)
        if (use[i])
            mx += s[i * 3], my += s[i * 3 + 1], mz += s[i * 3 + 2], kn++;
    if (kn < 10)
        plane = 0, kn = 0;
    if (plane)
        mx /= kn, my /= kn, mz /= kn;
    for (int i = 0; i < k; i++)
        w[i] = plane && use[i];
    for (int i = 0; i < m; i++)
        w[k + i] = 1;
    double g[2] = {0, 0}, c = mz;
    int ok = 0;
    for (int it = 0; it < 8; it++) {
        /* weighted normal equations in (c, gx, gy); pair rows have no c */
        double S[3][3] = {{0}}, r[3] = {0};
        for (int i = 0; i < k + m; i++) {
            if (w[i] <= 0)
                continue;
            double x[3], y;
            if (i < k)
                x[0] = 1, x[1] = s[i * 3] - mx, x[2] = s[i * 3 + 1] - my, y = s[i * 3 + 2];
            else
                x[0] = 0, x[1] = v[(i - k) * 3], x[2] = v[(i - k) * 3 + 1], y = v[(i - k) * 3 + 2];
            for (int p = 0; p < 3; p++) {
                r[p] += w[i] * x[p] * y;
                for (int q = 0; q < 3; q++)
                    S[p][q] += w[i] * x[p] * x[q];
            }
        }
        if (!plane)
            S[0][0] = 1, r[0] = 0; /* no offset to fit */
        /* solve by Cramer's rule (3x3, small and well scaled) */
        double D = S[0][0] * (S[1][1] * S[2][2] - S[1][2] * S[2][1]) - S[0][1] * (S[1][0] * S[2][2] - S[1][2] * S[2][0]) +
                   S[0][2] * (S[1][0] * S[2][1] - S[1][1] * S[2][0]);
        if (!(fabs(D) > 1e-15))
            break;
        double sol[3];
        for (int col = 0; col < 3; col++) {
            double M[3][3];
            memcpy(M, S, sizeof M);
            for (int row = 0; row < 3; row++)
                M[row][col] = r[row];
            sol[col] = (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                        M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])) / D;
        }
        c = plane ? sol[0] : mz, g[0] = sol[1], g[1] = sol[2];
        ok = 1;
        /* Tukey biweight on the residuals (the plane's inliers and the pairs) */
        for (int i = 0; i < k + m; i++) {
            if (i < k && !(plane && use[i]))
                continue;
            double res = i < k ? s[i * 3 + 2] - (c + g[0] * (s[i * 3] - mx) + g[1] * (s[i * 3 + 1] - my))
                               : v[(i - k) * 3 + 2] - (g[0] * v[(i - k) * 3] + g[1] * v[(i - k) * 3 + 1]);
            double u = res / LFD_QV_TILT_RES_M;
            w[i] = fabs(u) < 1 ? (1 - u * u) * (1 - u * u) : 0;
        }
    }
    if (ok) {
        /* lever arms: the weighted second moments of each kind of evidence
           (stance spots count twice their offset from the mean: two spots d
           apart measure the slope as well as one pair of length d); a
           direction is as well levered as its best kind (hundreds of short
           foot pairs must not hide a few long steps) */
        double M[3][4] = {{0}}, rss = 0; /* per kind (spots, pairs, steps): Sxx Sxy Syy sw */
        for (int i = 0; i < k + m; i++) {
            if (w[i] <= 0)
                continue;
            double x, y, res;
            int t = i < k ? 0 : i < k + mp ? 1 : 2;
            if (i < k) {
                x = 2 * (s[i * 3] - mx), y = 2 * (s[i * 3 + 1] - my);
                res = s[i * 3 + 2] - (c + g[0] * (s[i * 3] - mx) + g[1] * (s[i * 3 + 1] - my));
                fit->nplane++;
            } else {
                x = v[(i - k) * 3], y = v[(i - k) * 3 + 1];
                res = v[(i - k) * 3 + 2] - (g[0] * x + g[1] * y);
                fit->npair++;
            }
            M[t][0] += w[i] * x * x, M[t][1] += w[i] * x * y, M[t][2] += w[i] * y * y, M[t][3] += w[i];
            rss += w[i] * res * res;
        }
        double Sxx = 0, Sxy = 0, Syy = 0, sw = 0, Ixx = 0, Ixy = 0, Iyy = 0;
        for (int t = 0; t < 3; t++) {
            double f = t == 0 ? 0.25 : 1; /* undo the doubling of stance spots */
            Sxx += M[t][0], Sxy += M[t][1], Syy += M[t][2], sw += M[t][3];
            Ixx += f * M[t][0], Ixy += f * M[t][1], Iyy += f * M[t][2];
        }
        if (sw < 10) {
            ok = 0;
        } else {
            double tr = (Sxx + Syy) / sw, det = (Sxx * Syy - Sxy * Sxy) / (sw * sw);
            double disc = sqrt(fmax(0, tr * tr / 4 - det)), l1 = tr / 2 + disc;
            double e1[2] = {Sxy, l1 * sw - Sxx};
            if (hypot(e1[0], e1[1]) < 1e-12)
                e1[0] = Sxx >= Syy ? 1 : 0, e1[1] = Sxx >= Syy ? 0 : 1;
            double en = hypot(e1[0], e1[1]);
            fit->e[0][0] = e1[0] / en, fit->e[0][1] = e1[1] / en;
            fit->e[1][0] = -fit->e[0][1], fit->e[1][1] = fit->e[0][0];
            for (int d = 0; d < 2; d++) {
                const double *e = fit->e[d];
                fit->lever[d] = 0;
                for (int t = 0; t < 3; t++)
                    if (M[t][3] > 3)
                        fit->lever[d] = fmax(fit->lever[d], sqrt((e[0] * e[0] * M[t][0] + 2 * e[0] * e[1] * M[t][1] +
                                                                   e[1] * e[1] * M[t][2]) / M[t][3]));
            }
            if (fit->lever[1] > fit->lever[0]) { /* keep e[0] the better levered */
                double t0 = fit->lever[0], te[2] = {fit->e[0][0], fit->e[0][1]};
                fit->lever[0] = fit->lever[1], fit->lever[1] = t0;
                fit->e[0][0] = fit->e[1][0], fit->e[0][1] = fit->e[1][1];
                fit->e[1][0] = te[0], fit->e[1][1] = te[1];
            }
            /* standard error of the slope along g: residual variance over the
               information along that direction */
            double gn = hypot(g[0], g[1]), dir[2] = {gn > 0 ? g[0] / gn : 1, gn > 0 ? g[1] / gn : 0};
            double info = dir[0] * dir[0] * Ixx + 2 * dir[0] * dir[1] * Ixy + dir[1] * dir[1] * Iyy;
            double s2 = rss / fmax(1, sw - 3);
            fit->se_deg = info > 0 ? atan(sqrt(s2 / info)) * 180 / M_PI : 90;
        }
    }
    fit->g[0] = g[0], fit->g[1] = g[1];
    fit->center[0] = mx, fit->center[1] = my, fit->center[2] = c;
    free(use);
    free(w);
    return ok;
}

/* the trunk's lean (rad) along horizontal unit direction d in frame f */
static double trunk_lean(const lfd_human *h, int f, const double d[2])
{
    double u[3];
    lfd_v3_sub(u, lfd_human_cpos(h, f, LFD_CJ_NECK), lfd_human_cpos(h, f, LFD_CJ_PELVIS));
    double un = lfd_v3_norm(u);
    return un > 0.1 && isfinite(un) ? asin(fmax(-1, fmin(1, (u[0] * d[0] + u[1] * d[1]) / un))) : NAN;
}

static int detect_tilt(const lfd_human *h, int f0, lfd_qa_report *r, lfd_repair_plan *plan, lfd_err *err)
{
    /* the balls of the feet: on the floor through most of a stance, whatever
       the heel does (ankles ride 5-10 cm higher and lift with the heel) */
    static const int feet[2] = {LFD_CJ_L_TOE, LFD_CJ_R_TOE}, ank[2] = {LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE};
    int n = h->nframes;
    if (n - f0 < 5)
        return LFD_OK;
    /* v: foot pairs (2 a frame) and steps between stance spots (up to 4 per spot) */
    double *s = malloc((size_t)n * 2 * 3 * sizeof *s), *v = malloc((size_t)n * 6 * 3 * sizeof *v);
    double *spot = malloc((size_t)n * 3 * sizeof *spot);
    if (!s || !v || !spot) {
        free(s), free(v), free(spot);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (floor_tilt)", h->path);
    }
    int k = 0, m = 0, nspot = 0, run[2] = {0, 0};
    double acc[2][3] = {{0}};
    for (int f = f0 + 1; f + 1 < n; f++) {
        double zmin = INFINITY;
        for (int i = 0; i < 2; i++)
            zmin = fmin(zmin, lfd_human_cpos(h, f, feet[i])[2]);
        if (!isfinite(zmin))
            continue;
        int slow[2] = {0, 0};
        for (int i = 0; i < 2; i++) {
            const double *p = lfd_human_cpos(h, f, feet[i]);
            double vt = lfd_v3_dist(lfd_human_cpos(h, f + 1, feet[i]), lfd_human_cpos(h, f - 1, feet[i])) * h->fps / 2;
            double va = lfd_v3_dist(lfd_human_cpos(h, f + 1, ank[i]), lfd_human_cpos(h, f - 1, ank[i])) * h->fps / 2;
            slow[i] = isfinite(vt) && vt < 0.3 && isfinite(va) && va < 0.3;
            /* a planted foot joint: slow and the lowest of the feet */
            int planted = isfinite(vt) && vt < 0.3 && p[2] - zmin < 0.03;
            if (planted) {
                memcpy(s + (size_t)k++ * 3, p, 3 * sizeof *s);
                lfd_v3_add(acc[i], acc[i], p);
                run[i]++;
            }
            if ((!planted || f + 2 >= n) && run[i]) {
                /* a stance ended: its spot (the mean), if it lasted 3 frames */
                if (run[i] >= 3)
                    lfd_v3_scale(spot + (size_t)nspot++ * 3, acc[i], 1.0 / run[i]);
                run[i] = 0;
                lfd_v3_set(acc[i], 0, 0, 0);
            }
        }
        if (slow[0] && slow[1]) {
            /* both feet planted: left minus right, for the toes and the ankles
               (a foot on a box or a step is not along the floor: left out) */
            for (int q = 0; q < 2; q++) {
                const int *jj = q ? ank : feet;
                double d[3];
                lfd_v3_sub(d, lfd_human_cpos(h, f, jj[0]), lfd_human_cpos(h, f, jj[1]));
                if (hypot(d[0], d[1]) > 0.05 && fabs(d[2]) < LFD_QV_TILT_PAIR_SLOPE * hypot(d[0], d[1]) &&
                    isfinite(d[2]))
                    memcpy(v + (size_t)m++ * 3, d, 3 * sizeof *v);
            }
        }
    }
    int mp = m; /* foot pairs first, then steps */
    /* steps between stance spots close in time lie along the floor, even
       where the floor has several levels (boxes, steps): a step up or down
       is steeper than LFD_QV_TILT_PAIR_SLOPE and left out */
    for (int a = 0; a < nspot; a++)
        for (int b = a + 1; b < nspot && b <= a + 4; b++) {
            double d[3];
            lfd_v3_sub(d, spot + (size_t)b * 3, spot + (size_t)a * 3);
            double dh = hypot(d[0], d[1]);
            if (dh > 0.1 && fabs(d[2]) < LFD_QV_TILT_PAIR_SLOPE * dh)
                memcpy(v + (size_t)m++ * 3, d, 3 * sizeof *v);
        }
    tilt_fit fit;
    double nrm[3] = {0, 0, 1}, tilt = 0, se = 0, lim = LFD_QV_TILT_DEG;
    int measured = 0, lean_used = 0, fitted = k + m >= 20 ? fit_floor(s, k, v, m, mp, &fit) : 0;
    if (fitted < 0) {
        free(s), free(v), free(spot);
        return lfd_fail(err, fitted, "%s: out of memory (floor_tilt)", h->path);
    }
    if (fitted) {
        double g[2] = {0, 0};
        for (int d = 0; d < 2; d++) {
            double gd = fit.g[0] * fit.e[d][0] + fit.g[1] * fit.e[d][1];
            if (fit.lever[d] >= LFD_QV_TILT_LEVER_M) {
                g[0] += gd * fit.e[d][0], g[1] += gd * fit.e[d][1];
                measured++;
                continue;
            }
            /* no lever this way: the trunk's lean along it */
            double sl = NAN;
            if (d == 1 && fit.lever[0] >= LFD_QV_TILT_WALK_M && fit.nplane > 0) {
                /* the person moves along a line (a walk): the trunk leans as
                   much left as right on average, across the walk */
                double acc = 0, acc2 = 0;
                int cnt = 0;
                for (int f = f0; f < n; f++) {
                    double a = trunk_lean(h, f, fit.e[1]);
                    if (isfinite(a))
                        acc += a, acc2 += a * a, cnt++;
                }
                /* a walk sways a few degrees; a dance or a climb is no walk */
                if (cnt && sqrt(fmax(0, acc2 / cnt - acc * acc / cnt / cnt)) < LFD_QV_TILT_SWAY_RAD)
                    sl = -tan(acc / cnt);
            }
            if (isfinite(sl)) {
                g[0] += sl * fit.e[d][0], g[1] += sl * fit.e[d][1];
                lean_used = 1;
                measured++;
            }
        }
        tilt = atan(hypot(g[0], g[1])) * 180 / M_PI;
        /* the error: the fit's scatter, the feet's posture over the shorter
           measured lever, and the trunk's lean where it stood in */
        double lev = fit.lever[fit.lever[1] >= LFD_QV_TILT_LEVER_M ? 1 : 0];
        se = hypot(fit.se_deg, atan(LFD_QV_TILT_POSTURE_M / lev) * 180 / M_PI);
        if (lean_used)
            se = hypot(se, LFD_QV_TILT_LEAN_SE_DEG);
        lfd_v3_set(nrm, -g[0], -g[1], 1);
        lfd_v3_scale(nrm, nrm, 1 / lfd_v3_norm(nrm));
    }
    if (fitted)
        lfd_debug("floor_tilt: %.2f deg +/- %.2f from %d stance samples and %d foot pairs and steps, lever %.2f x %.2f m%s%s",
                  tilt, se, fit.nplane, fit.npair, fit.lever[0], fit.lever[1], lean_used ? ", trunk lean across" : "",
                  measured ? "" : " (too short to measure)");
    if (measured && tilt > lim && tilt - se > LFD_QV_TILT_SURE_DEG) {
        lfd_qa_reason *rs = lfd_qa_add_reason(r, "floor_tilt", LFD_QA_REJECT, tilt, lim,
                                              "the floor under the feet is tilted %.1f deg (+/- %.1f; a tilted camera?)%s",
                                              tilt, se, measured < 2 ? "; the slope one way only" : "");
        rs->frames = n - f0;
        rs->nranges = 1;
        rs->range[0][0] = f0 + h->first_frame;
        rs->range[0][1] = n - 1 + h->first_frame;
        rs->repairable = 1;
        lfd_repair_op op = {.kind = LFD_QK_FLOOR_TILT, .f0 = 0, .f1 = n - 1};
        double up[3] = {0, 0, 1};
        rot_between(nrm, up, op.rot);
        memcpy(op.center, fit.center, sizeof fit.center);
        lfd_repair_plan_add(plan, &op);
    }
    free(s), free(v), free(spot);
    return LFD_OK;
}

/* ---- timestamp_irregular ----------------------------------------------------------------------- */
static int detect_timestamps(const lfd_human *h, const lfd_keypoints *kp, lfd_qa_report *r, lfd_repair_plan *plan,
                             uint8_t *flag, lfd_err *err)
{
    int n = kp->nframes;
    if (!kp->times || n < 3 || n != h->nframes + h->first_frame)
        return LFD_OK;
    double *dt = malloc((size_t)n * sizeof *dt);
    if (!dt)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (timestamp_irregular)", h->path);
    for (int i = 0; i + 1 < n; i++)
        dt[i] = kp->times[i + 1] - kp->times[i];
    qsort(dt, (size_t)(n - 1), sizeof *dt, cmp_dbl);
    double med = dt[(n - 2) / 2], worst = 0, longest = dt[n - 2];
    free(dt);
    memset(flag, 0, (size_t)h->nframes);
    int k = 0;
    for (int i = 0; i + 1 < n; i++) {
        double d = kp->times[i + 1] - kp->times[i], dev = fabs(d / med - 1);
        if (dev > LFD_QV_TS_DEV) {
            int fh = i + 1 - h->first_frame;
            if (fh >= 0 && fh < h->nframes)
                flag[fh] = 1;
            k++;
            if (dev > worst)
                worst = dev;
        }
    }
    if (!k)
        return LFD_OK;
    int fixable = longest <= LFD_REPAIR_MAX_GAP_S;
    lfd_qa_reason *rs = lfd_qa_add_reason(
        r, "timestamp_irregular", LFD_QA_REJECT, worst, LFD_QV_TS_DEV,
        "%d time step(s) off the median %.4g s by more than %.0f%% (up to %.0f%%)%s", k, med, 100 * LFD_QV_TS_DEV,
        100 * worst, fixable ? "" : "; a step longer than the 0.5 s that resampling may bridge");
    lfd_qa_set_ranges(rs, flag, 0, h->nframes, h->first_frame);
    rs->repairable = fixable;
    if (fixable) {
        lfd_repair_op op = {.kind = LFD_QK_TIMESTAMP_IRREGULAR, .f0 = 0, .f1 = n - 1, .fps = 1 / med};
        lfd_repair_plan_add(plan, &op);
    }
    return LFD_OK;
}

/* ---- entry ------------------------------------------------------------------------------------ */
int lfd_qa_video_detect(const lfd_human *h, const lfd_keypoints *kp, int f0, lfd_qa_report *r,
                        lfd_repair_plan *plan, int *ambiguous, lfd_err *err)
{
    int n = h->nframes, amb = 0, rc = LFD_OK;
    uint8_t *flag = malloc((size_t)n + 1);
    if (!flag)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (video detectors)", h->path);
    int keypoints = h->source == LFD_HUMAN_SRC_KEYPOINTS;
    if (keypoints)
        detect_dropout(h, kp, f0, r, plan, flag);
    if (n - f0 >= 3)
        rc = detect_swap_flip(h, f0, r, plan, flag, &amb, err);
    if (rc == LFD_OK && keypoints)
        rc = detect_breathing(h, f0, r, flag, err);
    if (rc == LFD_OK)
        rc = detect_tilt(h, f0, r, plan, err);
    if (rc == LFD_OK && keypoints && kp)
        rc = detect_timestamps(h, kp, r, plan, flag, err);
    free(flag);
    if (ambiguous)
        *ambiguous = amb;
    return rc;
}
