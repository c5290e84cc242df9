/*  lfd_retarget_calib: measuring the person for the retargeter (edge lengths,
    standing pelvis height, neutral trunk tilt), a robot as the person, and a
    robot's pose read back as retargeter input (see lfd_retarget.h). */
#include "retarget/lfd_retarget_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"
#include "core/lfd_util.h"
#include "robots/lfd_mj.h"

/* ---- calibration ------------------------------------------------------------------ */

int lfd_rt_mapped_ancestor(const int *entry_of, int cj)
{
    for (int a = lfd_cjoint_parent(cj); a >= 0; a = lfd_cjoint_parent(a))
        if (entry_of[a] >= 0)
            return a;
    return -1;
}

void lfd_rt_fill_entry_of(const lfd_robot *r, int *entry_of)
{
    for (int c = 0; c < LFD_CJ_COUNT; c++)
        entry_of[c] = -1;
    for (int e = 0; e < r->nmap && e < LFD_CJ_COUNT; e++)
        entry_of[r->map[e].human] = e;
}

static double median(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, lfd_util_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int lfd_retarget_calib_from_human(const lfd_robot *r, const lfd_human *h, lfd_retarget_calib *c,
                                  lfd_err *err)
{
    memset(c, 0, sizeof *c);
    if (h->nframes < 1)
        return lfd_fail(err, LFD_EARG, "%s: no frames to retarget", h->path);
    int entry_of[LFD_CJ_COUNT];
    lfd_rt_fill_entry_of(r, entry_of);
    if (entry_of[LFD_CJ_PELVIS] < 0)
        return lfd_fail(err, LFD_EMISMATCH, "%s: the retarget map has no pelvis entry",
                        r->desc_path);
    int f0 = h->ref_pose && !h->ref_dropped ? 1 : 0;
    int n = h->nframes - f0;
    if (n < 1)
        return lfd_fail(err, LFD_EARG, "%s: only a reference pose, no motion", h->path);
    double *v = malloc(2 * (size_t)n * sizeof *v); /* both feet for the ankle heights */
    if (!v)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    /* every mapped edge: median human length over the clip */
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        int a = entry_of[cj] >= 0 ? lfd_rt_mapped_ancestor(entry_of, cj) : -1;
        if (a < 0)
            continue;
        for (int f = 0; f < n; f++)
            v[f] = lfd_v3_dist(lfd_human_cpos(h, f0 + f, cj), lfd_human_cpos(h, f0 + f, a));
        c->edge_m[cj] = median(v, n);
    }
    /* standing pelvis height: thigh + shank + ankle height in stance + pelvis above the hips */
    double ankle_h = 0;
    int na = 0;
    for (int f = 0; f < n; f++)
        for (int s = 0; s < 2; s++)
            if (h->contact[(size_t)(f0 + f) * 2 + (size_t)s])
                v[na++] = lfd_human_cpos(h, f0 + f, s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE)[2] - h->floor_z_m;
    ankle_h = na ? median(v, na) : 0.08 * h->height_m / 1.75;
    for (int f = 0; f < n; f++) {
        const double *p = lfd_human_cpos(h, f0 + f, LFD_CJ_PELVIS);
        const double *l = lfd_human_cpos(h, f0 + f, LFD_CJ_L_HIP);
        const double *rr = lfd_human_cpos(h, f0 + f, LFD_CJ_R_HIP);
        const double *z = lfd_human_seg(h, f0 + f, LFD_SEG_PELVIS) + 3;
        double up[3] = {0, 0, 1}, zax[3];
        lfd_quat_rotate(zax, z, up);
        double mid[3] = {0.5 * (l[0] + rr[0]), 0.5 * (l[1] + rr[1]), 0.5 * (l[2] + rr[2])};
        double d[3];
        lfd_v3_sub(d, p, mid);
        v[f] = lfd_v3_dot(d, zax);
    }
    double pel_above_hips = median(v, n);
    /* neutral tilt of the trunk segments: their orientation without yaw,
       averaged over upright double-support frames */
    double pel_h_est = h->leg_m + ankle_h + pel_above_hips;
    for (int sg = 0; sg < LFD_SEG_COUNT; sg++) {
        lfd_quat_identity(c->seg_tilt[sg]);
        if (sg != LFD_SEG_PELVIS && sg != LFD_SEG_CHEST && sg != LFD_SEG_HEAD)
            continue;
        double acc[4] = {0, 0, 0, 0};
        int cnt = 0;
        for (int f = 0; f < n; f++) {
            const uint8_t *ct = h->contact + (size_t)(f0 + f) * 2;
            double ph = lfd_human_cpos(h, f0 + f, LFD_CJ_PELVIS)[2] - h->floor_z_m;
            if (!ct[0] || !ct[1] || ph < 0.9 * pel_h_est)
                continue;
            const double *q = lfd_human_seg(h, f0 + f, sg) + 3;
            double x[3] = {1, 0, 0}, w[3], yq[4], t[4];
            lfd_quat_rotate(w, q, x);
            double yaw = atan2(w[1], w[0]);
            yq[0] = cos(0.5 * yaw); yq[1] = 0; yq[2] = 0; yq[3] = -sin(0.5 * yaw);
            lfd_quat_mul(t, yq, q);
            if (t[0] < 0)
                for (int i = 0; i < 4; i++) t[i] = -t[i];
            for (int i = 0; i < 4; i++)
                acc[i] += t[i];
            cnt++;
        }
        if (cnt >= 3) {
            memcpy(c->seg_tilt[sg], acc, sizeof acc);
            lfd_quat_normalize(c->seg_tilt[sg]);
        }
    }
    c->pelvis_height_m = h->leg_m + ankle_h + pel_above_hips;
    c->floor_z_m = h->floor_z_m;
    c->origin_xy[0] = lfd_human_cpos(h, f0, LFD_CJ_PELVIS)[0];
    c->origin_xy[1] = lfd_human_cpos(h, f0, LFD_CJ_PELVIS)[1];
    free(v);
    if (!(c->pelvis_height_m > 0.2))
        return lfd_fail(err, LFD_EARG, "%s: implausible standing pelvis height %.3f m", h->path,
                        c->pelvis_height_m);
    return LFD_OK;
}

/* lowest sole corner of one foot, of r's feet (see lfd_retarget_int.h) */
double lfd_rt_foot_lowest(const lfd_robot *r, const mjData *d, int side)
{
    const lfd_robot_foot *ft = &r->feet[side];
    double lowest = INFINITY;
    for (int k = 0; ft->body_id >= 0 && k < 4; k++) {
        double corner[3] = {ft->sole[k & 1], ft->sole[2 + (k >> 1)], ft->sole_z}, w[3];
        lfd_mat3_mulv(w, d->xmat + 9 * ft->body_id, corner);
        lowest = fmin(lowest, w[2] + d->xpos[3 * ft->body_id + 2]);
    }
    return lowest;
}

double lfd_rt_lowest_sole(const lfd_robot *r, const mjData *d)
{
    return fmin(lfd_rt_foot_lowest(r, d, 0), lfd_rt_foot_lowest(r, d, 1));
}


int lfd_retarget_calib_from_robot(const lfd_robot *r, lfd_retarget_calib *c, lfd_err *err)
{
    memset(c, 0, sizeof *c);
    int entry_of[LFD_CJ_COUNT];
    lfd_rt_fill_entry_of(r, entry_of);
    if (entry_of[LFD_CJ_PELVIS] < 0)
        return lfd_fail(err, LFD_EMISMATCH, "%s: the retarget map has no pelvis entry",
                        r->desc_path);
    mjData *d = lfd_mj_make_data_kin(r->m);
    if (!d)
        return lfd_fail(err, LFD_ENOMEM, "out of memory for MuJoCo data");
    mj_resetData(r->m, d);
    mj_kinematics(r->m, d);
    double P[LFD_CJ_COUNT][3];
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
        if (entry_of[cj] >= 0)
            lfd_rt_map_point(r->m, d, &r->map[entry_of[cj]], P[cj]);
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        int a = entry_of[cj] >= 0 ? lfd_rt_mapped_ancestor(entry_of, cj) : -1;
        if (a >= 0)
            c->edge_m[cj] = lfd_v3_dist(P[cj], P[a]);
    }
    double lo = lfd_rt_lowest_sole(r, d);
    c->pelvis_height_m = P[LFD_CJ_PELVIS][2] - (isfinite(lo) ? lo : 0);
    for (int sg = 0; sg < LFD_SEG_COUNT; sg++)
        lfd_quat_identity(c->seg_tilt[sg]);
    mj_deleteData(d);
    return LFD_OK;
}

void lfd_retarget_input_from_robot(const lfd_robot *r, mjData *d, const double *qpos,
                                   double *cpos, double *seg)
{
    int entry_of[LFD_CJ_COUNT];
    lfd_rt_fill_entry_of(r, entry_of);
    memcpy(d->qpos, qpos, (size_t)r->m->nq * sizeof(double));
    mj_kinematics(r->m, d);
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        int c = cj;
        while (c >= 0 && entry_of[c] < 0)
            c = lfd_cjoint_parent(c);
        if (c < 0)
            c = LFD_CJ_PELVIS;
        lfd_rt_map_point(r->m, d, &r->map[entry_of[c]], cpos + 3 * cj);
    }
    /* segment frames: the mapped body's frame without its map rotation */
    static const int seg_cj[LFD_SEG_COUNT] = {LFD_CJ_PELVIS, LFD_CJ_CHEST, LFD_CJ_HEAD,
                                              LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE};
    for (int sg = 0; sg < LFD_SEG_COUNT; sg++) {
        int c = seg_cj[sg];
        while (c >= 0 && entry_of[c] < 0)
            c = lfd_cjoint_parent(c);
        if (c < 0)
            c = LFD_CJ_PELVIS;
        const lfd_robot_map_entry *e = &r->map[entry_of[c]];
        double ci[4];
        memcpy(seg + 7 * sg, cpos + 3 * seg_cj[sg], 3 * sizeof(double));
        lfd_quat_conj(ci, e->rot_offset);
        lfd_quat_mul(seg + 7 * sg + 3, d->xquat + 4 * e->body_id, ci);
    }
}
