/*  lfd_qa: demonstration checks, verdicts and scores (see lfd_qa.h).

    Every check works on per-frame flags and turns them into frame ranges;
    thresholds come only from lfd_qa_limits below.  Score: 100 minus, per
    reason, 5 + 15 f for a warning and 40 + 40 f for a rejection, where f is
    the fraction of frames the reason covers (notes cost nothing), floored
    at 0.  The verdict is the worst severity among the reasons.
*/
#include "ingest/lfd_qa.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_util.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_repair.h"

/* The one table of thresholds.  Sources are cited per row; "lfd choice"
   marks a value that is a judgement, not a published figure. */
const lfd_qa_limit lfd_qa_limits[LFD_QAL_COUNT] = {
    [LFD_QAL_FROZEN_EPS_M] = {"frozen_eps_m", 1e-5,
        "a frame is frozen when no canonical joint moved more than this since the last",
        "lfd choice: 0.01 mm, far below optical-mocap noise (sub-millimetre but never zero)"},
    [LFD_QAL_FROZEN_MIN_S] = {"frozen_min_s", 0.25,
        "frozen runs at least this long are reported",
        "lfd choice: shorter repeats occur in frame-rate conversions"},
    [LFD_QAL_FROZEN_REJECT_FRAC] = {"frozen_reject_frac", 0.5,
        "reject when frozen runs cover more than this fraction of the clip",
        "lfd choice"},
    [LFD_QAL_ROOT_SPEED_M_S] = {"root_speed_m_s", 12.5,
        "pelvis speed between two frames above this is a teleport",
        "fastest human sprint: 12.3 m/s peak (Bolt, 2009 World Championships; Graubner & Nixdorf, "
        "New Studies in Athletics 26(1/2), 2011)"},
    [LFD_QAL_JOINT_SPEED_M_S] = {"joint_speed_m_s", 40.0,
        "any canonical joint faster than this between two frames is a teleport",
        "fastest human limb motion: the hand at ball release in elite baseball pitching, ~40 m/s "
        "(ball speeds up to 45 m/s; Fleisig et al., J Biomech 32:1371, 1999)"},
    [LFD_QAL_JERK_SCALE_S] = {"jerk_scale_s", 1.0 / 30,
        "jerk is the third difference of positions over steps of this length (>= 1 frame)",
        "lfd choice: one 30 Hz frame, so the figure does not grow with the capture rate"},
    [LFD_QAL_JITTER_WARN_M_S3] = {"jitter_warn_m_s3", 750,
        "warn when the whole-body jerk (median over the 19 canonical joints), RMS over a window, "
        "exceeds this",
        "calibrated: the 12 clean real clips in ../shared/data/mocap peak at 45-593 m/s^3 (0.5 s "
        "windows; vigorous jumps and bends included); white noise of sigma = 4 mm per axis on every "
        "joint gives ~750, at 30, 60 and 120 Hz alike"},
    [LFD_QAL_JITTER_REJECT_M_S3] = {"jitter_reject_m_s3", 1500,
        "reject when the windowed whole-body jerk exceeds this",
        "calibrated as above: white noise of sigma = 7.5 mm per axis (5 mm gives ~1000, "
        "1 cm ~2000)"},
    [LFD_QAL_JITTER_WINDOW_S] = {"jitter_window_s", 0.5,
        "window of the jitter RMS",
        "lfd choice"},
    [LFD_QAL_BONE_MIN_M] = {"bone_min_m", 0.02,
        "keypoints: bones shorter than this (median) are not checked for drift",
        "lfd choice: coincident joints (clavicle roots, virtual mid-points) have no length to keep"},
    [LFD_QAL_BONE_DRIFT_WARN] = {"bone_drift_warn", 0.10,
        "keypoints: warn when a canonical bone's length departs from its median by this fraction",
        "soft-tissue artefact moves joint centres by up to 2-3 cm on a ~40 cm thigh, < 8% "
        "(Leardini et al., Gait & Posture 21:212, 2005); bones themselves are rigid"},
    [LFD_QAL_BONE_DRIFT_REJECT] = {"bone_drift_reject", 0.30,
        "keypoints: reject when any bone departs from its median by this fraction",
        "lfd choice: 3x the warning level"},
    [LFD_QAL_BONE_DRIFT_REJECT_FRAC] = {"bone_drift_reject_frac", 0.10,
        "keypoints: reject when more than this fraction of frames drift beyond the warning level",
        "lfd choice"},
    [LFD_QAL_KNEE_HYPEREXT_DEG] = {"knee_hyperext_deg", 20,
        "knee bent backwards by more than this",
        "knee extension 0-10 deg (AAOS, Joint Motion: Method of Measuring and Recording, 1965) "
        "+ 10 deg for joint-centre error"},
    [LFD_QAL_HIP_FLEX_DEG] = {"hip_flex_deg", 150,
        "thigh flexed forward beyond this (pelvis frame)",
        "hip flexion 120 deg (AAOS 1965) + 30 deg margin (a high step onto a box reaches 143 deg "
        "in the holosoma climb)"},
    [LFD_QAL_HIP_EXT_DEG] = {"hip_ext_deg", 50,
        "thigh extended backwards beyond this",
        "hip extension 30 deg (AAOS 1965) + 20 deg margin"},
    [LFD_QAL_HIP_ABD_DEG] = {"hip_abd_deg", 75,
        "thigh out of the sagittal plane (abduction) beyond this",
        "hip abduction 45 deg (AAOS 1965) + 30 deg margin (dancers exceed it)"},
    [LFD_QAL_TRUNK_FLEX_DEG] = {"trunk_deg", 110,
        "angle between the pelvis and chest up-axes beyond this",
        "thoracolumbar flexion 80 deg (AAOS 1965) + 30 deg margin"},
    [LFD_QAL_NECK_DEG] = {"neck_deg", 90,
        "angle between the chest and head up-axes beyond this",
        "cervical flexion 45 / extension 45 deg (AAOS 1965) + 45 deg margin (head joints sit "
        "differently in every rig)"},
    [LFD_QAL_ANGLE_REJECT_FRAC] = {"angle_reject_frac", 0.20,
        "reject when joint angles are out of range in more than this fraction of frames "
        "(a mirrored or mis-mapped skeleton)",
        "lfd choice"},
    [LFD_QAL_AREA_WARN_M] = {"area_warn_m", 10,
        "warn when the pelvis is further than this (horizontally) from its median position",
        "lfd choice: a room, or the largest optical capture stages (~20 m across)"},
    [LFD_QAL_AREA_REJECT_M] = {"area_reject_m", 50,
        "reject beyond this (a broken root track or wrong units)",
        "lfd choice"},
    [LFD_QAL_ROOT_HEIGHT_MAX_M] = {"root_height_max_m", 2.5,
        "reject when the pelvis is higher than this above the floor",
        "world-record high jump 2.45 m clears the bar with the centre of mass near bar height"},
    [LFD_QAL_ROOT_BELOW_FLOOR_M] = {"root_below_floor_m", 0.10,
        "reject when the pelvis is more than this below the floor",
        "lfd choice: the pelvis cannot pass through the floor"},
    [LFD_QAL_FLOOR_WARN_M] = {"floor_warn_m", 0.05,
        "warn when a foot joint sinks this far below the floor",
        "lfd choice: twice the spread of stance heights in the clean clips"},
    [LFD_QAL_FLOOR_REJECT_M] = {"floor_reject_m", 0.15,
        "reject when a foot joint sinks this far below the floor",
        "lfd choice"},
    [LFD_QAL_FLOOR_OFFSET_M] = {"floor_offset_m", 0.25,
        "note when the feet rest this far above or below z = 0",
        "lfd choice (retargeting re-grounds the motion)"},
    [LFD_QAL_CONTACT_HEIGHT_M] = {"contact_height_m", 0.05,
        "a foot joint within this of its stance height (the lowest level it rests at) may be in contact",
        "lfd choice (= lfd_contact_defaults); foot-skate metrics in motion synthesis use a 5 cm "
        "band (e.g. Karunratanakul et al., Guided Motion Diffusion, ICCV 2023)"},
    [LFD_QAL_CONTACT_SPEED_M_S] = {"contact_speed_m_s", 0.3,
        "... and slower than this is in contact",
        "lfd choice (= lfd_contact_defaults): LAFAN1's contact labels use a per-frame speed "
        "threshold (ubisoft-laforge-animation-dataset, extract.py); a swinging foot moves at 1-5 m/s"},
    [LFD_QAL_CONTACT_MIN_S] = {"contact_min_s", 0.05,
        "contacts (and gaps between them) shorter than this are ignored",
        "lfd choice (= lfd_contact_defaults)"},
    [LFD_QAL_SLIDE_WARN_M] = {"slide_warn_m", 0.10,
        "warn when the planted point of a foot (ankle or toe, whichever moves less) drifts "
        "further than this during one contact",
        "calibrated: the 12 clean real clips drift at most 0.064 m in one contact (a landing in CMU 01_01)"},
    [LFD_QAL_SLIDE_REJECT_M] = {"slide_reject_m", 0.50,
        "reject when it drifts further than this",
        "lfd choice"},
    [LFD_QAL_MIN_DURATION_WARN_S] = {"min_duration_warn_s", 1.0,
        "warn when the clip is shorter than this",
        "lfd choice: an action chunk (ACT: 100 steps at 50 Hz = 2 s; Zhao et al., RSS 2023) "
        "needs about a second of motion"},
    [LFD_QAL_MIN_DURATION_REJECT_S] = {"min_duration_reject_s", 0.3,
        "reject when the clip is shorter than this",
        "lfd choice"},
    [LFD_QAL_FPS_WARN_HZ] = {"fps_warn_hz", 24,
        "warn below this frame rate",
        "video rates start at 24 Hz; most gait signal power is below 6 Hz but hand and foot "
        "impacts need more (Winter 2009, ch. 2)"},
    [LFD_QAL_FPS_REJECT_HZ] = {"fps_reject_hz", 10,
        "reject below this frame rate",
        "Nyquist: 2 x ~5 Hz of voluntary movement bandwidth (Winter 2009, ch. 2)"},
    [LFD_QAL_FPS_MAX_HZ] = {"fps_max_hz", 1000,
        "warn above this frame rate (likely a wrong Frame Time)",
        "lfd choice: optical systems record at 60-360 Hz for full-body capture"},
    [LFD_QAL_RATE_ROOT_SPEED_M_S] = {"rate_root_speed_m_s", 8,
        "warn (rate probably wrong) when the pelvis moves faster than this for 5% of the clip",
        "sustained running above 8 m/s is elite sprinting (Graubner & Nixdorf 2011)"},
};

#define LIM(id) (lfd_qa_limits[id].value)

const char *lfd_qa_verdict_name(int v)
{
    return v == LFD_QA_PASS ? "pass" : v == LFD_QA_WARN ? "warn" : "reject";
}

const char *lfd_qa_severity_name(int s)
{
    return s == LFD_QA_INFO ? "info" : s == LFD_QA_WARN ? "warn" : "reject";
}

const char *lfd_qa_kind_name(int k)
{
    static const char *const n[LFD_QK_COUNT] = {"lr_swap", "depth_flip", "dropout", "bone_breathing", "floor_tilt",
                                                "timestamp_irregular"};
    return k >= 0 && k < LFD_QK_COUNT ? n[k] : "?";
}

/* ---- reasons ------------------------------------------------------------------ */
lfd_qa_reason *lfd_qa_add_reason(lfd_qa_report *r, const char *check, int sev, double value, double limit,
                                 const char *fmt, ...)
{
    static _Thread_local lfd_qa_reason spill;
    if (r->nreasons >= LFD_QA_MAX_REASONS) {
        memset(&spill, 0, sizeof spill);
        return &spill;
    }
    lfd_qa_reason *rs = &r->reason[r->nreasons++];
    memset(rs, 0, sizeof *rs);
    snprintf(rs->check, sizeof rs->check, "%s", check);
    rs->severity = sev;
    rs->value = value;
    rs->limit = limit;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rs->msg, sizeof rs->msg, fmt, ap);
    va_end(ap);
    return rs;
}
#define add_reason lfd_qa_add_reason

/* frame ranges of flag[f0..n) into rs (frame numbers shifted by offset) */
int lfd_qa_next_run(const uint8_t *flag, int f, int n, int *end)
{
    while (f < n && !flag[f])
        f++;
    int g = f;
    while (g < n && flag[g])
        g++;
    *end = g;
    return f;
}

void lfd_qa_set_ranges(lfd_qa_reason *rs, const uint8_t *flag, int f0, int n, int offset)
{
    rs->frames = 0;
    rs->nranges = rs->more_ranges = 0;
    for (int f = f0, g; (f = lfd_qa_next_run(flag, f, n, &g)) < n; f = g) {
        rs->frames += g - f;
        if (rs->nranges < LFD_QA_MAX_RANGES) {
            rs->range[rs->nranges][0] = f + offset;
            rs->range[rs->nranges][1] = g - 1 + offset;
            rs->nranges++;
        } else {
            rs->more_ranges++;
        }
    }
}
#define set_ranges lfd_qa_set_ranges

static int any_flag(const uint8_t *flag, int f0, int n)
{
    for (int f = f0; f < n; f++)
        if (flag[f])
            return 1;
    return 0;
}

/* median of the finite values of v[0..n) (sorts a copy in tmp); NAN if none */
static double median_n(const double *v, int n, double *tmp)
{
    memcpy(tmp, v, (size_t)n * sizeof *tmp);
    return lfd_util_median_finite(tmp, n);
}

/* rotate world vector v into segment s's frame at frame f */
static void to_seg(const lfd_human *h, int f, int s, const double v[3], double out[3])
{
    lfd_quat_rotate_inv(out, lfd_human_seg(h, f, s) + 3, v);
}

static void seg_axis(const lfd_human *h, int f, int s, int axis, double out[3])
{
    double e[3] = {0, 0, 0};
    e[axis] = 1;
    lfd_quat_rotate(out, lfd_human_seg(h, f, s) + 3, e);
}

static double angle_deg(const double a[3], const double b[3])
{
    double c[3];
    lfd_v3_cross(c, a, b);
    return atan2(lfd_v3_norm(c), lfd_v3_dot(a, b)) * 180.0 / M_PI;
}

/* ---- the checks ------------------------------------------------------------------ */
typedef struct qa_ctx {
    const lfd_human *h;
    lfd_qa_report *r;
    int f0, n, off;     /* checked frames [f0, n); report numbers = f + off */
    double fps, dt;
    uint8_t *flag;      /* n flags, scratch */
    double *tmp, *tmp2; /* n doubles each, scratch */
    uint8_t *finite;    /* n: frame has finite canonical positions */
} qa_ctx;

static void clear_flags(qa_ctx *c)
{
    if (c->n > 0)
        memset(c->flag, 0, (size_t)c->n);
}

static void check_nonfinite(qa_ctx *c)
{
    const lfd_human *h = c->h;
    /* keypoints: missing joints are dropouts (lfd_qa_video.c), which may be fillable */
    if (h->source == LFD_HUMAN_SRC_KEYPOINTS)
        return;
    clear_flags(c);
    for (int f = 0; f < c->n; f++)
        for (int j = 0; j < h->nsource && !c->flag[f]; j++) {
            const double *p = lfd_human_pos(h, f, j);
            c->flag[f] = !isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]);
        }
    if (any_flag(c->flag, 0, c->n)) {
        lfd_qa_reason *rs = add_reason(c->r, "nonfinite", LFD_QA_REJECT, h->nonfinite, 0,
                                       "NaN or infinite values (%d in the source)", h->nonfinite);
        set_ranges(rs, c->flag, 0, c->n, c->off);
    }
}

/* v printed with fmt, or the words unknown (e.g. "an unknown speed") where v is not finite (a
   coordinate of 1e308 gives a speed of inf: "inf m/s" reads as a bug) */
static const char *num_or_unknown(char *buf, size_t n, const char *fmt, double v, const char *unknown)
{
    if (isfinite(v))
        snprintf(buf, n, fmt, v);
    else
        snprintf(buf, n, "%s", unknown);
    return buf;
}

static void check_frozen(qa_ctx *c)
{
    const lfd_human *h = c->h;
    double eps = LIM(LFD_QAL_FROZEN_EPS_M);
    int minrun = (int)ceil(LIM(LFD_QAL_FROZEN_MIN_S) * c->fps);
    clear_flags(c);
    /* a frame is frozen when no canonical joint moved since the previous one */
    for (int f = c->f0 + 1; f < c->n; f++) {
        if (!c->finite[f] || !c->finite[f - 1])
            continue;
        double m = 0;
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
            double d = lfd_v3_dist(lfd_human_cpos(h, f, cj), lfd_human_cpos(h, f - 1, cj));
            if (d > m)
                m = d;
        }
        c->flag[f] = m < eps;
    }
    /* keep runs of at least minrun frames (counting the frame they repeat) */
    int total = 0;
    for (int f = c->f0; f < c->n;) {
        if (!c->flag[f]) {
            f++;
            continue;
        }
        int g = f;
        while (g < c->n && c->flag[g])
            g++;
        if (g - f + 1 < minrun)
            memset(c->flag + f, 0, (size_t)(g - f));
        else
            c->flag[f - 1] = 1, total += g - f + 1;
        f = g;
    }
    if (total) {
        double frac = (double)total / (c->n - c->f0);
        int sev = frac > LIM(LFD_QAL_FROZEN_REJECT_FRAC) ? LFD_QA_REJECT : LFD_QA_WARN;
        lfd_qa_reason *rs = add_reason(c->r, "frozen", sev, total / c->fps, LIM(LFD_QAL_FROZEN_MIN_S),
                                       "no joint moves for %.2f s in total (%.0f%% of the clip)",
                                       total / c->fps, 100 * frac);
        set_ranges(rs, c->flag, c->f0, c->n, c->off);
    }
}

static void check_teleport(qa_ctx *c)
{
    const lfd_human *h = c->h;
    double vroot = LIM(LFD_QAL_ROOT_SPEED_M_S), vj = LIM(LFD_QAL_JOINT_SPEED_M_S);
    double worst = 0, worst_lim = vj;
    int worst_cj = 0;
    clear_flags(c);
    for (int f = c->f0 + 1; f < c->n; f++) {
        if (!c->finite[f] || !c->finite[f - 1])
            continue;
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
            double v = lfd_v3_dist(lfd_human_cpos(h, f, cj), lfd_human_cpos(h, f - 1, cj)) * c->fps;
            double lim = cj == LFD_CJ_PELVIS ? vroot : vj;
            if (cj == LFD_CJ_PELVIS && v > c->r->max_root_speed_m_s)
                c->r->max_root_speed_m_s = v;
            if (v > c->r->max_joint_speed_m_s)
                c->r->max_joint_speed_m_s = v;
            if (v > lim) {
                c->flag[f] = 1;
                if (v / lim > worst / worst_lim) {
                    worst = v;
                    worst_lim = lim;
                    worst_cj = cj;
                }
            }
        }
    }
    if (any_flag(c->flag, c->f0, c->n)) {
        char sp[32];
        lfd_qa_reason *rs = add_reason(c->r, "teleport", LFD_QA_REJECT, worst, worst_lim,
                                       "%s moves at %s between frames (human limit %.1f m/s)",
                                       lfd_cjoint_name(worst_cj), num_or_unknown(sp, sizeof sp, "%.1f m/s", worst, "an unknown speed"),
                                       worst_lim);
        set_ranges(rs, c->flag, c->f0, c->n, c->off);
    }
}

static int check_jitter(qa_ctx *c, lfd_err *err)
{
    const lfd_human *h = c->h;
    int s = (int)lround(LIM(LFD_QAL_JERK_SCALE_S) * c->fps);
    if (s < 1)
        s = 1;
    double ds = s / c->fps, inv = 1 / (ds * ds * ds);
    double *J = c->tmp; /* per-frame whole-body jerk, NAN where undefined */
    double js[LFD_CJ_COUNT], jtmp[LFD_CJ_COUNT];
    double sum2 = 0;
    int cnt = 0;
    for (int f = 0; f < c->n; f++) {
        J[f] = NAN;
        if (f - s < c->f0 || f + 2 * s >= c->n)
            continue;
        if (!c->finite[f - s] || !c->finite[f] || !c->finite[f + s] || !c->finite[f + 2 * s])
            continue;
        /* third difference of each canonical joint, median over joints */
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
            const double *a = lfd_human_cpos(h, f - s, cj), *b = lfd_human_cpos(h, f, cj);
            const double *d = lfd_human_cpos(h, f + s, cj), *e = lfd_human_cpos(h, f + 2 * s, cj);
            double j3[3];
            for (int k = 0; k < 3; k++)
                j3[k] = (e[k] - 3 * d[k] + 3 * b[k] - a[k]) * inv;
            js[cj] = lfd_v3_norm(j3);
        }
        J[f] = median_n(js, LFD_CJ_COUNT, jtmp);
        sum2 += J[f] * J[f];
        cnt++;
    }
    c->r->jitter_m_s3 = cnt ? sqrt(sum2 / cnt) : 0;
    /* windowed RMS via prefix sums */
    int w = (int)lround(LIM(LFD_QAL_JITTER_WINDOW_S) * c->fps);
    if (w < 3)
        w = 3;
    double *pre = c->tmp2; /* pre[f] = sum of J^2 over defined frames < f ... */
    double acc = 0;
    int *pc = malloc(((size_t)c->n + 1) * sizeof *pc);
    if (!pc)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (jitter)", h->path);
    int accn = 0;
    for (int f = 0; f < c->n; f++) {
        pre[f] = acc;
        pc[f] = accn;
        if (isfinite(J[f])) {
            acc += J[f] * J[f];
            accn++;
        }
    }
    pc[c->n] = accn;
    double last = acc, worst = 0;
    clear_flags(c);
    int rej = 0;
    for (int f = c->f0; f < c->n; f++) {
        int a = f - w / 2, b = a + w;
        if (a < 0) a = 0;
        if (b > c->n) b = c->n;
        double sa = pre[a], sb = b < c->n ? pre[b] : last;
        int na = pc[a], nb = pc[b];
        if (nb - na < w / 2)
            continue;
        double rms = sqrt((sb - sa) / (nb - na));
        if (rms > worst)
            worst = rms;
        if (rms > LIM(LFD_QAL_JITTER_WARN_M_S3))
            c->flag[f] = 1;
        if (rms > LIM(LFD_QAL_JITTER_REJECT_M_S3))
            rej = 1;
    }
    free(pc);
    lfd_debug("%s: jitter rms %.1f, worst window %.1f m/s^3", h->path, c->r->jitter_m_s3, worst);
    if (any_flag(c->flag, c->f0, c->n)) {
        double lim = rej ? LIM(LFD_QAL_JITTER_REJECT_M_S3) : LIM(LFD_QAL_JITTER_WARN_M_S3);
        lfd_qa_reason *rs = add_reason(c->r, "jitter", rej ? LFD_QA_REJECT : LFD_QA_WARN, worst, lim,
                                       "whole-body jerk %.0f m/s^3 over %.2f s windows (limit %.0f)", worst,
                                       LIM(LFD_QAL_JITTER_WINDOW_S), lim);
        set_ranges(rs, c->flag, c->f0, c->n, c->off);
    }
    return LFD_OK;
}

static void check_bone_drift(qa_ctx *c)
{
    const lfd_human *h = c->h;
    if (h->source != LFD_HUMAN_SRC_KEYPOINTS)
        return;
    double warn = LIM(LFD_QAL_BONE_DRIFT_WARN), worst = 0;
    int worst_cj = 0, nflag = 0;
    clear_flags(c);
    for (int f = c->f0; f < c->n; f++) {
        if (!c->finite[f])
            continue;
        for (int cj = 1; cj < LFD_CJ_COUNT; cj++) {
            double med = h->bone_m[cj];
            if (!(med > LIM(LFD_QAL_BONE_MIN_M)))
                continue;
            double L = lfd_v3_dist(lfd_human_cpos(h, f, cj), lfd_human_cpos(h, f, lfd_cjoint_parent(cj)));
            double dev = fabs(L - med) / med;
            if (dev > worst) {
                worst = dev;
                worst_cj = cj;
            }
            if (dev > warn)
                c->flag[f] = 1;
        }
        nflag += c->flag[f];
    }
    c->r->max_bone_drift = worst;
    if (nflag) {
        double frac = (double)nflag / (c->n - c->f0);
        int rej = worst > LIM(LFD_QAL_BONE_DRIFT_REJECT) || frac > LIM(LFD_QAL_BONE_DRIFT_REJECT_FRAC);
        char pc[32];
        lfd_qa_reason *rs = add_reason(c->r, "bone_drift", rej ? LFD_QA_REJECT : LFD_QA_WARN, worst,
                                       rej ? LIM(LFD_QAL_BONE_DRIFT_REJECT) : warn,
                                       "bone %s-%s changes length by up to %s (%.0f%% of frames beyond %.0f%%)",
                                       lfd_cjoint_name(lfd_cjoint_parent(worst_cj)), lfd_cjoint_name(worst_cj),
                                       num_or_unknown(pc, sizeof pc, "%.0f%%", 100 * worst, "an unknown amount"), 100 * frac, 100 * warn);
        set_ranges(rs, c->flag, c->f0, c->n, c->off);
    }
}

static void check_angles(qa_ctx *c)
{
    const lfd_human *h = c->h;
    const char *what = NULL;
    double worst_excess = 0, worst_val = 0, worst_lim = 0;
    int nflag = 0;
    clear_flags(c);
    double mx[6] = {0, 0, 0, 0, 0, 0};
    for (int f = c->f0; f < c->n; f++) {
        if (!c->finite[f])
            continue;
        double val[6], lim[6];
        const char *nm[6] = {"knee hyperextension", "hip flexion", "hip extension", "hip abduction",
                             "trunk bend", "neck bend"};
        for (int k = 0; k < 6; k++)
            val[k] = -INFINITY;
        lim[0] = LIM(LFD_QAL_KNEE_HYPEREXT_DEG);
        lim[1] = LIM(LFD_QAL_HIP_FLEX_DEG);
        lim[2] = LIM(LFD_QAL_HIP_EXT_DEG);
        lim[3] = LIM(LFD_QAL_HIP_ABD_DEG);
        lim[4] = LIM(LFD_QAL_TRUNK_FLEX_DEG);
        lim[5] = LIM(LFD_QAL_NECK_DEG);
        for (int s = 0; s < 2; s++) {
            int hip = s ? LFD_CJ_R_HIP : LFD_CJ_L_HIP, knee = hip + 2, ank = hip + 4;
            double th[3], sh[3], x[3], yp[3], d[3];
            lfd_v3_sub(th, lfd_human_cpos(h, f, knee), lfd_human_cpos(h, f, hip));
            lfd_v3_sub(sh, lfd_human_cpos(h, f, ank), lfd_human_cpos(h, f, knee));
            /* knee: flexion turns thigh into shank about the body's left axis;
               clearly about the right axis (and under 90 deg, since a deep fold
               is flexion whatever the axis) it is bent backwards */
            lfd_v3_cross(x, th, sh);
            seg_axis(h, f, LFD_SEG_PELVIS, 1, yp);
            double kf = angle_deg(th, sh);
            if (kf <= 90 && lfd_v3_dot(x, yp) < -0.5 * lfd_v3_norm(x) && kf > val[0])
                val[0] = kf;
            /* hip: the thigh in the pelvis frame */
            lfd_v3_normalize(th);
            to_seg(h, f, LFD_SEG_PELVIS, th, d);
            double flex = atan2(d[0], -d[2]) * 180 / M_PI;
            double abd = asin(fmax(-1, fmin(1, (s ? -1 : 1) * d[1]))) * 180 / M_PI;
            if (flex > val[1]) val[1] = flex;
            if (-flex > val[2]) val[2] = -flex;
            if (abd > val[3]) val[3] = abd;
        }
        double zp[3], zc[3], zh[3];
        seg_axis(h, f, LFD_SEG_PELVIS, 2, zp);
        seg_axis(h, f, LFD_SEG_CHEST, 2, zc);
        seg_axis(h, f, LFD_SEG_HEAD, 2, zh);
        val[4] = angle_deg(zp, zc);
        val[5] = angle_deg(zc, zh);
        for (int k = 0; k < 6; k++) {
            if (val[k] > mx[k])
                mx[k] = val[k];
            if (val[k] > lim[k]) {
                c->flag[f] = 1;
                if (val[k] - lim[k] > worst_excess) {
                    worst_excess = val[k] - lim[k];
                    worst_val = val[k];
                    worst_lim = lim[k];
                    what = nm[k];
                }
            }
        }
        nflag += c->flag[f];
    }
    lfd_debug("%s: max knee-hyperext %.0f hip-flex %.0f hip-ext %.0f hip-abd %.0f trunk %.0f neck %.0f deg",
              h->path, mx[0], mx[1], mx[2], mx[3], mx[4], mx[5]);
    if (nflag) {
        double frac = (double)nflag / (c->n - c->f0);
        int rej = frac > LIM(LFD_QAL_ANGLE_REJECT_FRAC);
        lfd_qa_reason *rs = add_reason(c->r, "joint_angle", rej ? LFD_QA_REJECT : LFD_QA_WARN, worst_val,
                                       worst_lim, "%s reaches %.0f deg (limit %.0f) in %.0f%% of frames",
                                       what, worst_val, worst_lim, 100 * frac);
        set_ranges(rs, c->flag, c->f0, c->n, c->off);
    }
}

static void check_area(qa_ctx *c)
{
    const lfd_human *h = c->h;
    int m = 0;
    for (int f = c->f0; f < c->n; f++)
        if (c->finite[f])
            c->tmp[m++] = lfd_human_cpos(h, f, LFD_CJ_PELVIS)[0];
    double cx = median_n(c->tmp, m, c->tmp2);
    m = 0;
    for (int f = c->f0; f < c->n; f++)
        if (c->finite[f])
            c->tmp[m++] = lfd_human_cpos(h, f, LFD_CJ_PELVIS)[1];
    double cy = median_n(c->tmp, m, c->tmp2);
    double worst = 0, hmax = -INFINITY;
    clear_flags(c);
    uint8_t *hf = (uint8_t *)c->tmp; /* reuse as a second flag array */
    memset(hf, 0, (size_t)c->n);
    for (int f = c->f0; f < c->n; f++) {
        if (!c->finite[f])
            continue;
        const double *p = lfd_human_cpos(h, f, LFD_CJ_PELVIS);
        double d = hypot(p[0] - cx, p[1] - cy);
        if (d > worst)
            worst = d;
        c->flag[f] = d > LIM(LFD_QAL_AREA_WARN_M);
        double z = p[2] - h->floor_z_m;
        if (z > hmax)
            hmax = z;
        hf[f] = z > LIM(LFD_QAL_ROOT_HEIGHT_MAX_M) || z < -LIM(LFD_QAL_ROOT_BELOW_FLOOR_M);
    }
    if (any_flag(c->flag, c->f0, c->n)) {
        int rej = worst > LIM(LFD_QAL_AREA_REJECT_M);
        lfd_qa_reason *rs = add_reason(c->r, "capture_area", rej ? LFD_QA_REJECT : LFD_QA_WARN, worst,
                                       rej ? LIM(LFD_QAL_AREA_REJECT_M) : LIM(LFD_QAL_AREA_WARN_M),
                                       "the pelvis goes %.1f m from the middle of the capture", worst);
        set_ranges(rs, c->flag, c->f0, c->n, c->off);
    }
    if (any_flag(hf, c->f0, c->n)) {
        lfd_qa_reason *rs = add_reason(c->r, "capture_area", LFD_QA_REJECT, hmax, LIM(LFD_QAL_ROOT_HEIGHT_MAX_M),
                                       "the pelvis is %.2f m above the floor (or below it)", hmax);
        set_ranges(rs, hf, c->f0, c->n, c->off);
    }
}

static void check_floor(qa_ctx *c)
{
    const lfd_human *h = c->h;
    static const int feet[4] = {LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_L_TOE, LFD_CJ_R_TOE};
    double worst = 0;
    clear_flags(c);
    for (int f = c->f0; f < c->n; f++) {
        if (!c->finite[f])
            continue;
        for (int k = 0; k < 4; k++) {
            double below = h->floor_z_m - lfd_human_cpos(h, f, feet[k])[2];
            if (below > worst)
                worst = below;
            if (below > LIM(LFD_QAL_FLOOR_WARN_M))
                c->flag[f] = 1;
        }
    }
    if (any_flag(c->flag, c->f0, c->n)) {
        int rej = worst > LIM(LFD_QAL_FLOOR_REJECT_M);
        lfd_qa_reason *rs = add_reason(c->r, "floor", rej ? LFD_QA_REJECT : LFD_QA_WARN, worst,
                                       rej ? LIM(LFD_QAL_FLOOR_REJECT_M) : LIM(LFD_QAL_FLOOR_WARN_M),
                                       "a foot sinks %.3f m below the floor (floor at z = %.3f m)", worst,
                                       h->floor_z_m);
        set_ranges(rs, c->flag, c->f0, c->n, c->off);
    }
    if (fabs(h->floor_z_m) > LIM(LFD_QAL_FLOOR_OFFSET_M))
        add_reason(c->r, "floor_offset", LFD_QA_INFO, h->floor_z_m, LIM(LFD_QAL_FLOOR_OFFSET_M),
                   "the feet rest at z = %.3f m, not 0 (retargeting re-grounds the motion)", h->floor_z_m);
}

static int check_slide(qa_ctx *c, lfd_err *err)
{
    const lfd_human *h = c->h;
    lfd_contact_params cp = {LIM(LFD_QAL_CONTACT_HEIGHT_M), LIM(LFD_QAL_CONTACT_SPEED_M_S),
                             LIM(LFD_QAL_CONTACT_MIN_S)};
    size_t stride = (size_t)h->njoints * 3;
    int n = c->n - c->f0;
    uint8_t *con = malloc((size_t)n + 1);
    if (!con)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory (foot_slide)", h->path);
    double worst = 0;
    int worst_f = 0;
    clear_flags(c);
    for (int s = 0; s < 2; s++) {
        int ank = s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE, toe = s ? LFD_CJ_R_TOE : LFD_CJ_L_TOE;
        if (lfd_foot_contacts(lfd_human_cpos(h, c->f0, ank), lfd_human_cpos(h, c->f0, toe), stride, n,
                              c->fps, &cp, con, 1) < 0)
            break;
        /* per contact run: how far the planted point (ankle or toe) drifts from where it landed */
        for (int f = 0, g; (f = lfd_qa_next_run(con, f, n, &g)) < n; f = g) {
            double dmax[2] = {0, 0};
            int jj[2] = {ank, toe};
            for (int k = 0; k < 2; k++) {
                const double *p0 = lfd_human_cpos(h, c->f0 + f, jj[k]);
                for (int q = f + 1; q < g; q++) {
                    const double *p = lfd_human_cpos(h, c->f0 + q, jj[k]);
                    double d = hypot(p[0] - p0[0], p[1] - p0[1]);
                    if (d > dmax[k])
                        dmax[k] = d;
                }
            }
            double skid = fmin(dmax[0], dmax[1]);
            if (skid > worst) {
                worst = skid;
                worst_f = c->f0 + f;
            }
            if (skid > LIM(LFD_QAL_SLIDE_WARN_M))
                memset(c->flag + c->f0 + f, 1, (size_t)(g - f));
        }
    }
    free(con);
    c->r->foot_slide_m = worst;
    lfd_debug("%s: worst foot drift in one contact %.3f m (frame %d)", h->path, worst, worst_f + c->off);
    if (any_flag(c->flag, c->f0, c->n)) {
        int rej = worst > LIM(LFD_QAL_SLIDE_REJECT_M);
        set_ranges(add_reason(c->r, "foot_slide", rej ? LFD_QA_REJECT : LFD_QA_WARN, worst,
                              rej ? LIM(LFD_QAL_SLIDE_REJECT_M) : LIM(LFD_QAL_SLIDE_WARN_M),
                              "a foot in contact slides %.3f m", worst),
                   c->flag, c->f0, c->n, c->off);
    }
    return LFD_OK;
}

static void check_timing(qa_ctx *c)
{
    const lfd_human *h = c->h;
    double dur = (c->n - c->f0) / c->fps;
    if (dur < LIM(LFD_QAL_MIN_DURATION_WARN_S)) {
        int rej = dur < LIM(LFD_QAL_MIN_DURATION_REJECT_S);
        add_reason(c->r, "duration", rej ? LFD_QA_REJECT : LFD_QA_WARN, dur,
                   rej ? LIM(LFD_QAL_MIN_DURATION_REJECT_S) : LIM(LFD_QAL_MIN_DURATION_WARN_S),
                   "only %.2f s of motion", dur);
    }
    if (c->fps < LIM(LFD_QAL_FPS_WARN_HZ)) {
        int rej = c->fps < LIM(LFD_QAL_FPS_REJECT_HZ);
        add_reason(c->r, "frame_rate", rej ? LFD_QA_REJECT : LFD_QA_WARN, c->fps,
                   rej ? LIM(LFD_QAL_FPS_REJECT_HZ) : LIM(LFD_QAL_FPS_WARN_HZ), "frame rate %.3g Hz is too low", c->fps);
    } else if (c->fps > LIM(LFD_QAL_FPS_MAX_HZ)) {
        add_reason(c->r, "frame_rate", LFD_QA_WARN, c->fps, LIM(LFD_QAL_FPS_MAX_HZ),
                   "frame rate %.4g Hz is implausibly high (check Frame Time)", c->fps);
    }
    /* a rate that makes the whole motion implausibly fast */
    int m = 0;
    for (int f = c->f0 + 1; f < c->n; f++)
        if (c->finite[f] && c->finite[f - 1]) {
            const double *a = lfd_human_cpos(h, f, LFD_CJ_PELVIS), *b = lfd_human_cpos(h, f - 1, LFD_CJ_PELVIS);
            c->tmp[m++] = hypot(a[0] - b[0], a[1] - b[1]) * c->fps;
        }
    if (m >= 10) {
        qsort(c->tmp, (size_t)m, sizeof *c->tmp, lfd_util_cmp_double);
        double p95 = c->tmp[(int)(0.95 * (m - 1))];
        if (p95 > LIM(LFD_QAL_RATE_ROOT_SPEED_M_S))
            add_reason(c->r, "frame_rate", LFD_QA_WARN, p95, LIM(LFD_QAL_RATE_ROOT_SPEED_M_S),
                       "the pelvis moves at %.1f m/s for 5%% of the clip: is %.4g Hz the right rate?", p95, c->fps);
    }
    if (h->fps_assumed)
        add_reason(c->r, "frame_rate", LFD_QA_INFO, c->fps, 0, "frame rate %.4g Hz is assumed (%s), not stated by the file",
                   c->fps, h->fps_assumed_why);
}

/* ---- driver ------------------------------------------------------------------------- */
static void finish_report(lfd_qa_report *r)
{
    double score = 100;
    int verdict = LFD_QA_PASS;
    for (int i = 0; i < r->nreasons; i++) {
        const lfd_qa_reason *rs = &r->reason[i];
        double frac = r->nframes > 0 ? (double)rs->frames / r->nframes : 0;
        if (frac > 1)
            frac = 1;
        if (rs->severity == LFD_QA_WARN)
            score -= 5 + 15 * frac;
        else if (rs->severity == LFD_QA_REJECT)
            score -= 40 + 40 * frac;
        if (rs->severity > verdict)
            verdict = rs->severity;
    }
    r->score = score < 0 ? 0 : score;
    r->verdict = verdict;
}

int lfd_qa_human(const lfd_human *h, lfd_qa_report *r, lfd_err *err)
{
    return lfd_qa_human_kp(h, NULL, r, NULL, err);
}

int lfd_qa_human_kp(const lfd_human *h, const lfd_keypoints *kp, lfd_qa_report *r, struct lfd_repair_plan *plan,
                    lfd_err *err)
{
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", h->path);
    snprintf(r->rig, sizeof r->rig, "%s", h->rig);
    r->loaded = 1;
    r->nframes = h->nframes;
    r->fps = h->fps;
    r->height_m = h->height_m;
    if (h->nframes <= 0 || !(h->fps > 0))
        return lfd_fail(err, LFD_EARG, "%s: nothing to check", h->path);
    r->duration_s = h->nframes / h->fps;
    qa_ctx c = {.h = h, .r = r, .n = h->nframes, .off = h->first_frame, .fps = h->fps, .dt = 1 / h->fps};
    /* what the loader warned of (an unclear up axis, fewer frames than the
       header says, names and geometry that disagree, a preset assumed) is
       in the report: lfd qa quiets the library's own warnings, and they went
       unsaid (found by review: a person lying on their side passed with
       score 100 and no word).  As info: the loader's guesses are not
       verdicts (its left/right check also fires on rigs without end sites) */
    for (int i = 0; i < h->nwarn && i < LFD_HUMAN_MAX_WARN; i++)
        add_reason(r, "load", LFD_QA_INFO, 0, 0, "%s", h->warn[i]);
    /* a reference pose in frame 0 is noted and left out of the checks */
    if (h->ref_pose && !h->ref_dropped) {
        c.f0 = 1;
        add_reason(r, "reference_pose", LFD_QA_INFO, h->ref_jump_m, 0,
                   "frame 0 is a reference pose (joints jump %.2f m to frame 1); excluded from the checks",
                   h->ref_jump_m);
    } else if (h->ref_dropped) {
        add_reason(r, "reference_pose", LFD_QA_INFO, h->ref_jump_m, 0,
                   "the reference pose in frame 0 was dropped");
    }
    c.flag = malloc((size_t)c.n + 1);
    c.finite = malloc((size_t)c.n + 1);
    c.tmp = malloc(((size_t)c.n + 1) * sizeof(double));
    c.tmp2 = malloc(((size_t)c.n + 1) * sizeof(double));
    if (!c.flag || !c.finite || !c.tmp || !c.tmp2) {
        free(c.flag);
        free(c.finite);
        free(c.tmp);
        free(c.tmp2);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", h->path);
    }
    for (int f = 0; f < c.n; f++)
        c.finite[f] = (uint8_t)lfd_human_frame_finite(h, f);
    int rc = LFD_OK;
    check_nonfinite(&c);
    check_timing(&c);
    if (c.n - c.f0 >= 2) {
        check_frozen(&c);
        check_teleport(&c);
        rc = check_jitter(&c, err);
        check_bone_drift(&c);
        check_angles(&c);
        check_area(&c);
        check_floor(&c);
        if (rc == LFD_OK)
            rc = check_slide(&c, err);
    }
    if (rc == LFD_OK)
        rc = lfd_qa_video_detect(h, kp, c.f0, r, plan, NULL, err);
    free(c.flag);
    free(c.finite);
    free(c.tmp);
    free(c.tmp2);
    if (rc == LFD_OK)
        finish_report(r);
    return rc;
}

/* ---- loading ------------------------------------------------------------------------- */
static int is_keypoint_path(const char *path)
{
    size_t n = strlen(path);
    return (n >= 4 && (!strcasecmp(path + n - 4, ".npy") || !strcasecmp(path + n - 4, ".csv"))) ||
           (n >= 6 && !strcasecmp(path + n - 6, ".jsonl")) || (n >= 7 && !strcasecmp(path + n - 7, ".ndjson"));
}

static int load_prov_file(lfd_prov *p, const char *path, const lfd_human_opts *o, lfd_err *err)
{
    char pp[1100];
    if (o && o->prov)
        snprintf(pp, sizeof pp, "%s", o->prov);
    else
        snprintf(pp, sizeof pp, "%s.prov.json", path);
    if (!(o && o->prov) && !lfd_file_exists(pp))
        return LFD_OK;
    return lfd_prov_read_json_file(p, pp, err);
}

/* Loads path as lfd qa judges it.  A rate option applies only to a file
   that states no rate of its own (a BVH's Frame Time, a keypoint sidecar's
   fps or time column win); note says what was applied.  Keypoint files
   are kept in kp (kp->njoints == 0 for a BVH). */
static int qa_load(const char *path, const lfd_human_opts *opts, lfd_human *h, lfd_keypoints *kp, char *note,
                   size_t notesz, lfd_err *err)
{
    lfd_human_opts ho = opts ? *opts : (lfd_human_opts){0};
    double want = ho.fps;
    note[0] = '\0';
    memset(kp, 0, sizeof *kp);
    memset(h, 0, sizeof *h);
    if (!is_keypoint_path(path)) {
        int rc = lfd_human_load(h, path, &ho, err);
        if (rc == LFD_OK)
            snprintf(note, notesz, "%s", h->fps_note);
        return rc;
    }
    lfd_kp_opts ko = {.fps_default = want, .preset = ho.preset, .sidecar = ho.sidecar};
    int rc = lfd_kp_read(kp, path, &ko, err);
    if (rc)
        return rc;
    /* a preset with its own canonical placements (COCO-17, Halpe-26) */
    char mapfile[64] = "";
    const lfd_kp_preset *pr = kp->preset[0] ? lfd_kp_preset_find(kp->preset) : NULL;
    if (pr && pr->canon_map && !ho.map) {
        const char *tmp = getenv("TMPDIR");
        snprintf(mapfile, sizeof mapfile, "%.40s/lfd-map-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        int fd = mkstemp(mapfile);
        if (fd < 0 || write(fd, pr->canon_map, strlen(pr->canon_map)) != (ssize_t)strlen(pr->canon_map)) {
            if (fd >= 0)
                close(fd), unlink(mapfile);
            lfd_kp_free(kp);
            return lfd_fail(err, LFD_EIO, "%s: cannot write a temporary mapping file", path);
        }
        close(fd);
        ho.map = mapfile;
    }
    rc = lfd_human_from_keypoints(h, kp, &ho, err);
    if (mapfile[0])
        unlink(mapfile);
    /* the preset's own placements decided the joints: the rig is the
       preset's, not the family the names resemble plus "mapping file"
       (a COCO file was labelled "MediaPipe Pose (33) + mapping file") */
    if (rc == LFD_OK && mapfile[0])
        snprintf(h->rig, sizeof h->rig, "preset %.40s (its own joint placements)", pr->id);
    if (rc == LFD_OK)
        snprintf(note, notesz, "%s", h->fps_note);
    if (rc == LFD_OK && (rc = lfd_repair_mask_conf(h, kp, err)))
        lfd_human_free(h);
    if (rc == LFD_OK) {
        lfd_file_sha256_hex(path, h->sha256, NULL);
        rc = load_prov_file(&h->prov, path, opts, err);
        if (rc)
            lfd_human_free(h);
    }
    if (rc)
        lfd_kp_free(kp);
    return rc;
}

/* an unreadable demonstration is a rejected one: score 0, the whole message */
static void load_failed(lfd_qa_report *r, const char *path, int rc, const lfd_err *lerr)
{
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    add_reason(r, "load", LFD_QA_REJECT, rc, 0, "%s", lerr->msg);
    finish_report(r);
    r->score = 0;
}

int lfd_qa_file(const char *path, const lfd_human_opts *opts, lfd_qa_report *r, lfd_err *err)
{
    lfd_human h;
    lfd_keypoints kp;
    lfd_err lerr = {0};
    char note[160];
    int rc = qa_load(path, opts, &h, &kp, note, sizeof note, &lerr);
    if (rc) {
        load_failed(r, path, rc, &lerr);
        return LFD_OK;
    }
    rc = lfd_qa_human_kp(&h, kp.njoints ? &kp : NULL, r, NULL, err);
    snprintf(r->rate_note, sizeof r->rate_note, "%s", note);
    lfd_human_free(&h);
    lfd_kp_free(&kp);
    return rc;
}

static int copy_file(const char *from, const char *to, lfd_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = lfd_file_read(from, LFD_KP_MAX_BYTES, &data, &len, err);
    if (rc == LFD_OK)
        rc = lfd_file_write_atomic(to, data, len, err);
    free(data);
    return rc;
}

int lfd_qa_file_repair(const char *path, const lfd_human_opts *opts, const char *out_path, lfd_qa_report *r,
                       lfd_err *err)
{
    lfd_human h;
    lfd_keypoints kp, kp2;
    lfd_err lerr = {0};
    char note[160];
    int rc = qa_load(path, opts, &h, &kp, note, sizeof note, &lerr);
    if (rc) {
        load_failed(r, path, rc, &lerr);
        return LFD_OK;
    }
    lfd_repair_plan *plan = calloc(1, sizeof *plan);
    lfd_qa_report *r0 = malloc(sizeof *r0);
    if (!plan || !r0) {
        free(plan), free(r0);
        lfd_human_free(&h);
        lfd_kp_free(&kp);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    }
    rc = lfd_qa_human_kp(&h, kp.njoints ? &kp : NULL, r, plan, err);
    snprintf(r->rate_note, sizeof r->rate_note, "%s", note);
    if (rc == LFD_OK && !kp.njoints) {
        add_reason(r, "repair", LFD_QA_INFO, 0, 0, "not repaired: lfd qa --repair rewrites keypoint files, not BVH");
    } else if (rc == LFD_OK && plan->nops == 0) {
        /* nothing to repair: the data is copied byte for byte */
        char sp[1100], so[1100];
        snprintf(sp, sizeof sp, "%s.json", path);
        snprintf(so, sizeof so, "%s.json", out_path);
        const char *e1 = strrchr(path, '.'), *e2 = strrchr(out_path, '.');
        if (!e1 || !e2 || strcasecmp(e1, e2)) {
            /* another format: the values are written exactly (shortest round-trip text, or <f8) */
            rc = lfd_repair_write(out_path, &kp, "<f8", &h.prov, path, r, err);
            if (rc == LFD_OK)
                snprintf(r->repaired_to, sizeof r->repaired_to, "%s", out_path);
            goto out;
        }
        rc = copy_file(path, out_path, err);
        int data = rc == LFD_OK, side = 0;
        if (rc == LFD_OK && lfd_file_exists(sp) && !(opts && opts->sidecar))
            rc = copy_file(sp, so, err), side = rc == LFD_OK;
        else if (rc == LFD_OK && opts && opts->sidecar)
            rc = copy_file(opts->sidecar, so, err), side = rc == LFD_OK;
        if (rc == LFD_OK)
            rc = lfd_repair_write_prov(out_path, &h.prov, path, r, err);
        if (rc == LFD_OK) {
            snprintf(r->repaired_to, sizeof r->repaired_to, "%s", out_path);
        } else {
            /* no copy without its sidecar and provenance: remove what this
               call already put in place (a folder named like the sidecar
               made the data appear with an error) */
            if (side)
                unlink(so);
            if (data)
                unlink(out_path);
        }
    } else if (rc == LFD_OK) {
        memset(r0, 0, sizeof *r0);
        int n = lfd_repair_apply(&kp, &h, plan, &kp2, r0, err);
        rc = n < 0 ? n : LFD_OK;
        if (rc == LFD_OK) {
            rc = lfd_repair_write(out_path, &kp2, "<f8", &h.prov, path, r0, err);
            lfd_kp_free(&kp2);
        }
        if (rc == LFD_OK) {
            /* the verdict is on the repaired data, read back as written */
            lfd_human_opts o2 = opts ? *opts : (lfd_human_opts){0};
            o2.fps = 0;
            o2.sidecar = NULL;
            o2.prov = NULL;
            lfd_err e2 = {0};
            lfd_keypoints kr;
            lfd_human hr;
            char n2[160];
            if (qa_load(out_path, &o2, &hr, &kr, n2, sizeof n2, &e2) == LFD_OK) {
                rc = lfd_qa_human_kp(&hr, &kr, r, NULL, err);
                lfd_human_free(&hr);
                lfd_kp_free(&kr);
            } else {
                load_failed(r, out_path, LFD_EPARSE, &e2);
            }
            snprintf(r->path, sizeof r->path, "%s", path);
            snprintf(r->rate_note, sizeof r->rate_note, "%s", note);
            r->nrepairs = r0->nrepairs;
            memcpy(r->repair, r0->repair, sizeof r->repair);
            r->repaired = 1;
            snprintf(r->repaired_to, sizeof r->repaired_to, "%s", out_path);
        }
    }
out:
    free(plan);
    free(r0);
    lfd_human_free(&h);
    lfd_kp_free(&kp);
    return rc;
}

/* ---- output ------------------------------------------------------------------------- */
/* Frame ranges of a reason or a repair as text: " 3, 7-9 and 2 more range(s)". */
static void qa_text_ranges(FILE *fp, const int (*range)[2], int nranges, int more_ranges)
{
    for (int k = 0; k < nranges; k++) {
        if (range[k][0] == range[k][1])
            fprintf(fp, "%s %d", k ? "," : "", range[k][0]);
        else
            fprintf(fp, "%s %d-%d", k ? "," : "", range[k][0], range[k][1]);
    }
    if (more_ranges)
        fprintf(fp, " and %d more range(s)", more_ranges);
}

/* The same ranges as JSON keys: "ranges": [[a,b],...], "more_ranges": n. */
static void qa_json_ranges(lfd_jw *jw, const int (*range)[2], int nranges, int more_ranges)
{
    lfd_jw_key(jw, "ranges");
    lfd_jw_arr_begin(jw);
    for (int k = 0; k < nranges; k++) {
        lfd_jw_arr_begin(jw);
        lfd_jw_int(jw, range[k][0]);
        lfd_jw_int(jw, range[k][1]);
        lfd_jw_arr_end(jw);
    }
    lfd_jw_arr_end(jw);
    lfd_jw_kint(jw, "more_ranges", more_ranges);
}

void lfd_qa_print_text(const lfd_qa_report *r, FILE *fp)
{
    fprintf(fp, "%s: %s (score %.0f)", r->path, lfd_qa_verdict_name(r->verdict), r->score);
    if (r->loaded) {
        /* a clip whose joints are all missing has no height: say so, not "nan m" */
        fprintf(fp, "  %s, %d frames at %.6g Hz (%.2f s), height ", r->rig, r->nframes, r->fps, r->duration_s);
        if (isfinite(r->height_m))
            fprintf(fp, "%.2f m", r->height_m);
        else
            fputs("unknown", fp);
    }
    fputc('\n', fp);
    for (int i = 0; i < r->nreasons; i++) {
        const lfd_qa_reason *rs = &r->reason[i];
        fprintf(fp, "  %-6s %-14s %s", lfd_qa_severity_name(rs->severity), rs->check, rs->msg);
        if (rs->nranges) {
            fprintf(fp, "; frames");
            qa_text_ranges(fp, rs->range, rs->nranges, rs->more_ranges);
        }
        if (rs->repairable)
            fprintf(fp, " [repairable]");
        fputc('\n', fp);
    }
    if (r->rate_note[0])
        fprintf(fp, "  %-6s %-14s %s\n", "info", "rate", r->rate_note);
    for (int i = 0; i < r->nrepairs; i++) {
        const lfd_qa_repair *e = &r->repair[i];
        fprintf(fp, "  %-6s %-14s %s; frames", "fixed", e->kind, e->what);
        qa_text_ranges(fp, e->range, e->nranges, e->more_ranges);
        fputc('\n', fp);
    }
    if (r->repaired_to[0]) {
        /* a .jsonl with nothing to repair is still rewritten as .csv: not a copy */
        const char *e1 = strrchr(r->path, '.'), *e2 = strrchr(r->repaired_to, '.');
        int converted = !e1 || !e2 || strcasecmp(e1, e2);
        fprintf(fp, "  %-6s %-14s %s%s\n", "info", "repair",
                r->repaired ? "repaired file: " : converted ? "nothing to repair; converted to " : "nothing to repair; copied to ",
                r->repaired_to);
    }
}

void lfd_qa_report_json(const lfd_qa_report *r, lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kstr(jw, "file", r->path);
    lfd_jw_kstr(jw, "verdict", lfd_qa_verdict_name(r->verdict));
    lfd_jw_knum(jw, "score", r->score);
    lfd_jw_kbool(jw, "loaded", r->loaded);
    if (r->loaded) {
        lfd_jw_kstr(jw, "rig", r->rig);
        lfd_jw_kint(jw, "frames", r->nframes);
        lfd_jw_knum(jw, "fps", r->fps);
        lfd_jw_knum(jw, "duration_s", r->duration_s);
        lfd_jw_key(jw, "metrics");
        lfd_jw_obj_begin(jw);
        lfd_jw_knum(jw, "height_m", r->height_m);
        lfd_jw_knum(jw, "max_root_speed_m_s", r->max_root_speed_m_s);
        lfd_jw_knum(jw, "max_joint_speed_m_s", r->max_joint_speed_m_s);
        lfd_jw_knum(jw, "jitter_m_s3", r->jitter_m_s3);
        lfd_jw_knum(jw, "max_bone_drift", r->max_bone_drift);
        lfd_jw_knum(jw, "foot_slide_m", r->foot_slide_m);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_key(jw, "reasons");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < r->nreasons; i++) {
        const lfd_qa_reason *rs = &r->reason[i];
        lfd_jw_obj_begin(jw);
        lfd_jw_kstr(jw, "check", rs->check);
        lfd_jw_kstr(jw, "severity", lfd_qa_severity_name(rs->severity));
        lfd_jw_kstr(jw, "message", rs->msg);
        lfd_jw_knum(jw, "value", rs->value);
        lfd_jw_knum(jw, "limit", rs->limit);
        lfd_jw_kint(jw, "frames", rs->frames);
        qa_json_ranges(jw, rs->range, rs->nranges, rs->more_ranges);
        lfd_jw_kbool(jw, "repairable", rs->repairable);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
    if (r->rate_note[0])
        lfd_jw_kstr(jw, "rate_note", r->rate_note);
    if (r->repaired_to[0]) {
        lfd_jw_kstr(jw, "repaired_to", r->repaired_to);
        lfd_jw_kbool(jw, "repaired", r->repaired);
        lfd_jw_key(jw, "repairs");
        lfd_jw_arr_begin(jw);
        for (int i = 0; i < r->nrepairs; i++) {
            const lfd_qa_repair *e = &r->repair[i];
            lfd_jw_obj_begin(jw);
            lfd_jw_kstr(jw, "kind", e->kind);
            lfd_jw_kstr(jw, "what", e->what);
            lfd_jw_kint(jw, "frames", e->frames);
            qa_json_ranges(jw, e->range, e->nranges, e->more_ranges);
            lfd_jw_obj_end(jw);
        }
        lfd_jw_arr_end(jw);
    }
    lfd_jw_obj_end(jw);
}
