/*  lfd_support: frames that no foot support on the floor can carry (see
    lfd_support.h for the rule). */
#include "ingest/lfd_support.h"

#include "core/lfd_json.h"
#include "robots/lfd_mj.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ankle height standing, as a share of the leg (hip-knee-ankle) length:
   about 0.06 for adults (Winter, Biomechanics and Motor Control of Human
   Movement, 4th ed., fig. 4.1: ankle 0.039 H, hip 0.530 H, so leg 0.491 H) */
#define ANKLE_PER_LEG (0.039 / 0.491)

const char *lfd_support_why(int why)
{
    switch (why & 3) {
    case LFD_SUPPORT_SEATED: return "seated";
    case LFD_SUPPORT_RAISED: return "feet above the floor";
    case 3: return "seated, feet above the floor";
    default: return "";
    }
}

static int frame_why(const double *pel, const double *foot, const double *off, const double *knee,
                     size_t k)
{
    int why = 0;
    if (pel[k] < LFD_SUPPORT_SEAT_PEL && off[k] > LFD_SUPPORT_SEAT_OFF &&
        knee[k] > LFD_SUPPORT_SEAT_KNEE_RAD)
        why |= LFD_SUPPORT_SEATED;
    if (foot[k] > LFD_SUPPORT_RAISED_FOOT)
        why |= LFD_SUPPORT_RAISED;
    return why;
}

void lfd_support_classify(const double *pel, const double *foot, const double *off,
                          const double *knee, size_t stride, int n, double fps, lfd_support *out)
{
    int min_run = (int)ceil(LFD_SUPPORT_MIN_S * fps), gap = (int)ceil(LFD_SUPPORT_GAP_S * fps);
    out->nranges = out->frames = 0;
    int cur_first = -1, cur_last = -1, cur_why = 0;
    for (int k = 0; k <= n; k++) {
        int w = k < n ? frame_why(pel, foot, off, knee, (size_t)k * stride) : 0;
        /* the run of flagged frames ending before k */
        if (w && cur_first < 0) {
            cur_first = k;
            cur_why = 0;
        }
        if (w) {
            cur_why |= w;
            cur_last = k;
            continue;
        }
        if (cur_first < 0)
            continue;
        int len = cur_last - cur_first + 1;
        if (len >= min_run) {
            lfd_support_range *prev = out->nranges ? &out->r[out->nranges - 1] : NULL;
            if (prev && cur_first - prev->last - 1 < gap) {
                out->frames += cur_last - prev->last;
                prev->last = cur_last;
                prev->why |= cur_why;
            } else {
                out->frames += len;
                if (out->nranges < LFD_SUPPORT_MAX_RANGES)
                    out->r[out->nranges++] = (lfd_support_range){cur_first, cur_last, cur_why};
            }
        }
        cur_first = -1;
    }
}

/* knee flexion from hip, knee, ankle points: pi - the angle at the knee */
static double knee_flex(const double *hip, const double *knee, const double *ankle)
{
    double a[3], b[3];
    for (int i = 0; i < 3; i++) {
        a[i] = hip[i] - knee[i];
        b[i] = ankle[i] - knee[i];
    }
    double na = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    double nb = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
    if (!(na > 1e-9 && nb > 1e-9))
        return 0;
    double c = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (na * nb);
    return M_PI - acos(fmax(-1, fmin(1, c)));
}

int lfd_support_from_human(const lfd_human *h, double stand_pelvis_m, lfd_support *out,
                           lfd_err *err)
{
    int n = h->nframes;
    out->nranges = out->frames = 0;
    if (n <= 0 || !(h->leg_m > 0))
        return LFD_OK;
    double *s = malloc((size_t)n * 4 * sizeof(double));
    if (!s)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    double H = stand_pelvis_m > 0 ? stand_pelvis_m : h->leg_m * (1 + ANKLE_PER_LEG);
    static const int trunk[2] = {LFD_CJ_PELVIS, LFD_CJ_HEAD};
    static const int feet[4] = {LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_L_TOE, LFD_CJ_R_TOE};
    for (int k = 0; k < n; k++) {
        const double *p = lfd_human_cpos(h, k, LFD_CJ_PELVIS);
        double lo = INFINITY, mid[2] = {0, 0};
        for (int i = 0; i < 4; i++) {
            const double *q = lfd_human_cpos(h, k, feet[i]);
            lo = fmin(lo, q[2]);
            mid[0] += q[0] / 4;
            mid[1] += q[1] / 4;
        }
        s[4 * k] = (p[2] - h->floor_z_m) / H;
        s[4 * k + 1] = (lo - h->floor_z_m) / H;
        /* the upper body's centre: a bend puts it over the feet, a seat does not */
        double up[2] = {0, 0};
        for (int i = 0; i < 2; i++)
            for (int a = 0; a < 2; a++)
                up[a] += lfd_human_cpos(h, k, trunk[i])[a] / 2;
        s[4 * k + 2] = hypot(up[0] - mid[0], up[1] - mid[1]) / H;
        s[4 * k + 3] = 0.5 * (knee_flex(lfd_human_cpos(h, k, LFD_CJ_L_HIP),
                                        lfd_human_cpos(h, k, LFD_CJ_L_KNEE),
                                        lfd_human_cpos(h, k, LFD_CJ_L_ANKLE)) +
                              knee_flex(lfd_human_cpos(h, k, LFD_CJ_R_HIP),
                                        lfd_human_cpos(h, k, LFD_CJ_R_KNEE),
                                        lfd_human_cpos(h, k, LFD_CJ_R_ANKLE)));
    }
    lfd_support_classify(s, s + 1, s + 2, s + 3, 4, n, h->fps, out);
    free(s);
    return LFD_OK;
}

/* world position of a point given in a body's frame */
static void body_point(const mjData *d, int body, const double local[3], double out[3])
{
    const double *R = d->xmat + 9 * body, *p = d->xpos + 3 * body;
    for (int i = 0; i < 3; i++)
        out[i] = p[i] + R[3 * i] * local[0] + R[3 * i + 1] * local[1] + R[3 * i + 2] * local[2];
}

/* sole corner k of foot s in its body's frame */
static void sole_corner(const lfd_robot_foot *ft, int k, double out[3])
{
    out[0] = ft->sole[k & 1 ? 1 : 0];
    out[1] = ft->sole[k & 2 ? 3 : 2];
    out[2] = ft->sole_z;
}

static double lowest_sole(const lfd_robot *r, const mjData *d, double mid[2])
{
    double lo = INFINITY, p[3], loc[3];
    if (mid)
        mid[0] = mid[1] = 0;
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 4; k++) {
            sole_corner(&r->feet[s], k, loc);
            body_point(d, r->feet[s].body_id, loc, p);
            lo = fmin(lo, p[2]);
            if (mid) {
                mid[0] += p[0] / 8;
                mid[1] += p[1] / 8;
            }
        }
    return lo;
}

int lfd_support_from_robot(const lfd_robot *r, const mjModel *m, mjData *d,
                           const lfd_motion *mo, lfd_support *out, lfd_err *err)
{
    out->nranges = out->frames = 0;
    int n = mo->nframes, pel = -1, ntrunk = 0, trunk[2], nfeet = 0, feet[4], leg[LFD_CJ_COUNT];
    for (int j = 0; j < LFD_CJ_COUNT; j++)
        leg[j] = -1;
    if (!r->floating || r->feet[0].body_id < 0 || r->feet[1].body_id < 0 || n < 1)
        return LFD_OK;
    for (int e = 0; e < r->nmap; e++) {
        int hj = r->map[e].human;
        if (r->map[e].body_id <= 0)
            continue;
        if (hj == LFD_CJ_PELVIS && pel < 0)
            pel = e;
        if (hj >= 0 && hj < LFD_CJ_COUNT && leg[hj] < 0)
            leg[hj] = e;
        if ((hj == LFD_CJ_PELVIS || hj == LFD_CJ_HEAD) && ntrunk < 2)
            trunk[ntrunk++] = e;
        if ((hj == LFD_CJ_L_ANKLE || hj == LFD_CJ_R_ANKLE || hj == LFD_CJ_L_TOE ||
             hj == LFD_CJ_R_TOE) && nfeet < 4)
            feet[nfeet++] = e;
    }
    if (pel < 0)
        return LFD_OK;
    /* H: standing at qpos0 */
    double p[3];
    memcpy(d->qpos, m->qpos0, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    body_point(d, r->map[pel].body_id, r->map[pel].offset, p);
    double H = p[2] - lowest_sole(r, d, NULL);
    if (!(H > 0.1))
        return LFD_OK;
    static const int chain[2][3] = {{LFD_CJ_L_HIP, LFD_CJ_L_KNEE, LFD_CJ_L_ANKLE},
                                    {LFD_CJ_R_HIP, LFD_CJ_R_KNEE, LFD_CJ_R_ANKLE}};
    int knees = 1;
    for (int sd = 0; sd < 2; sd++)
        for (int i = 0; i < 3; i++)
            knees &= leg[chain[sd][i]] >= 0;
    double *s = malloc((size_t)n * 4 * sizeof(double));
    unsigned char *on = calloc((size_t)m->nbody, 1);
    if (!s || !on) {
        free(s);
        free(on);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for %d frames", n);
    }
    /* the kinematics of the bodies read below only: the map's and the feet's */
    for (int e = 0; e < r->nmap; e++)
        lfd_mj_mark_body(m, on, r->map[e].body_id);
    for (int side = 0; side < 2; side++)
        lfd_mj_mark_body(m, on, r->feet[side].body_id);
    for (int f = 0; f < n; f++) {
        memcpy(d->qpos, lfd_motion_frame(mo, f), (size_t)m->nq * sizeof(double));
        lfd_mj_kinematics_some(m, d, on, NULL, 0);
        double mid[2], up[2] = {0, 0};
        double lo = lowest_sole(r, d, mid);
        if (nfeet == 4) {
            mid[0] = mid[1] = 0;
            for (int i = 0; i < 4; i++) {
                body_point(d, r->map[feet[i]].body_id, r->map[feet[i]].offset, p);
                mid[0] += p[0] / 4;
                mid[1] += p[1] / 4;
            }
        }
        for (int i = 0; i < ntrunk; i++) {
            body_point(d, r->map[trunk[i]].body_id, r->map[trunk[i]].offset, p);
            up[0] += p[0] / ntrunk;
            up[1] += p[1] / ntrunk;
        }
        body_point(d, r->map[pel].body_id, r->map[pel].offset, p);
        s[4 * f] = p[2] / H;
        s[4 * f + 1] = lo / H;
        s[4 * f + 2] = hypot(up[0] - mid[0], up[1] - mid[1]) / H;
        /* knee flexion from the map points (no knees mapped: not seated) */
        s[4 * f + 3] = 0;
        for (int sd = 0; sd < 2 && knees; sd++) {
            double q[3][3];
            for (int i = 0; i < 3; i++) {
                const lfd_robot_map_entry *me = &r->map[leg[chain[sd][i]]];
                body_point(d, me->body_id, me->offset, q[i]);
            }
            s[4 * f + 3] += 0.5 * knee_flex(q[0], q[1], q[2]);
        }
    }
    lfd_support_classify(s, s + 1, s + 2, s + 3, 4, n, mo->fps, out);
    free(s);
    free(on);
    return LFD_OK;
}

void lfd_support_json(const lfd_support *s, struct lfd_jw *jw)
{
    lfd_jw_kint(jw, "needs_support_frames", s->frames);
    lfd_jw_key(jw, "needs_support");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < s->nranges; i++) {
        lfd_jw_obj_begin(jw);
        lfd_jw_kint(jw, "first", s->r[i].first);
        lfd_jw_kint(jw, "last", s->r[i].last);
        lfd_jw_kstr(jw, "why", lfd_support_why(s->r[i].why));
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
}
