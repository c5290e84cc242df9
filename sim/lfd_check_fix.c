/*  lfd_check_fix: repairs the mild problems the checker found (`lfd check
    --fix`, lfd_check.h).

    Three repairs, in this order, each only where the problem is mild (the
    bounds are lfd_check_opts' fix_* thresholds) so that a repaired motion
    is still the demonstration, not a new one:

      1. range: a joint over a hard range limit by at most fix_range_max_rad
         is clamped to the limit (a soft-range warning may remain);
      2. time: frame ranges over a velocity or acceleration limit (hard or
         soft) are slowed down by the factor that brings the peak under the
         soft limit (velocity scales with 1/s, acceleration with 1/s^2), at
         most fix_time_max.  The slow-down factor rises and falls with
         raised-cosine ramps of 0.3 s around each range so that the new
         timing adds no acceleration spike; the motion is then resampled at
         its own rate (joints and root position linearly, the root
         quaternion by normalised blend), so it gets longer;
      3. floor: a floating robot whose bodies sink at most fix_floor_max_m
         below the floor is lifted by the depth plus 0.5 mm, the lift spread
         with raised-cosine ramps of 0.2 s on each side (never less than the
         depth at any frame).

    Problems over the bounds are left untouched and listed in log->left; the
    caller checks the output again (cmd_check does, and reports both). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"
#include "sim/lfd_check_int.h"

#define FIX_TIME_RAMP_S 0.3
#define FIX_LIFT_RAMP_S 0.2
#define FIX_LIFT_CLEAR_M 0.0005
#define FIX_SOFT_AIM 0.97 /* aim this far under the soft limit */

static void add_line(char (*lines)[256], int *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_line(char (*lines)[256], int *n, const char *fmt, ...)
{
    if (*n >= LFD_CHECK_MAX_CHANGES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lines[*n], 256, fmt, ap);
    va_end(ap);
    (*n)++;
}

/* raised-cosine weight at distance d (frames) for a ramp of R frames */
static double ramp_w(double d, double R)
{
    if (d <= 0)
        return 1;
    if (d >= R)
        return 0;
    return 0.5 * (1 + cos(M_PI * d / R));
}

/* deepest penetration of any robot body into the floor at pose q */
static double floor_depth(const lfd_checker *c, mjData *d, const double *q)
{
    const mjModel *m = c->m;
    memcpy(d->qpos, q, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    mj_collision(m, d);
    double worst = 0;
    for (int i = 0; i < d->ncon; i++) {
        int b1 = m->geom_bodyid[d->contact[i].geom1], b2 = m->geom_bodyid[d->contact[i].geom2];
        if ((b1 == 0) == (b2 == 0))
            continue;
        worst = fmax(worst, -d->contact[i].dist);
    }
    return worst;
}

int lfd_check_fix(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *in,
                  const lfd_check_report *rep, const lfd_check_opts *o, lfd_motion *out,
                  lfd_check_fixlog *log, lfd_err *err)
{
    const lfd_robot *r = c->r;
    memset(log, 0, sizeof *log);
    memset(out, 0, sizeof *out);
    int rc = lfd_check_input(c, in, err);
    if (rc)
        return rc;
    lfd_check_opts def;
    if (!o) {
        lfd_check_opts_init(&def);
        o = &def;
    }
    int n = in->nframes, nq = in->nq;
    lfd_motion work;
    if ((rc = lfd_motion_copy(&work, in, err)))
        return rc;
    double *rate = calloc((size_t)n, sizeof(double));
    if (!rate) {
        lfd_motion_free(&work);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }

    /* 1. clamp small range violations to the hard limit */
    for (int i = 0; i < rep->nfindings; i++) {
        const lfd_check_finding *x = &rep->finding[i];
        if (x->kind != LFD_CK_RANGE || x->severity != LFD_CHECK_FAIL || x->joint < 0)
            continue;
        const lfd_robot_joint *jt = &r->joints[x->joint];
        double lo = jt->range_lo + o->range_margin_rad, hi = jt->range_hi - o->range_margin_rad;
        double excess = x->value > hi ? x->value - hi : lo - x->value;
        if (excess > o->fix_range_max_rad) {
            add_line(log->left, &log->nleft,
                     "%s: %.3f rad past its range at frame %d (more than --fix-range-max %.3f)",
                     jt->name, excess, x->peak, o->fix_range_max_rad);
            continue;
        }
        int changed = 0;
        for (int f = x->first; f <= x->last && f < n; f++) {
            double *q = lfd_motion_frame(&work, f) + jt->qpos_adr;
            if (*q > hi || *q < lo) {
                *q = *q > hi ? hi : lo;
                changed++;
            }
        }
        if (changed) {
            log->joints_clamped++;
            add_line(log->change, &log->nchanges,
                     "%s clamped to its range limit on %d frames (%d-%d), by up to %.3f rad",
                     jt->name, changed, x->first, x->last, excess);
        }
    }

    /* 2. slow-down factor per frame for the segments over velocity or
       acceleration limits */
    for (int f = 0; f < n; f++)
        rate[f] = 1;
    double R = FIX_TIME_RAMP_S * in->fps;
    for (int i = 0; i < rep->nfindings; i++) {
        const lfd_check_finding *x = &rep->finding[i];
        if ((x->kind != LFD_CK_VEL && x->kind != LFD_CK_ACC) || x->joint < 0)
            continue;
        const lfd_robot_joint *jt = &r->joints[x->joint];
        double lim = x->kind == LFD_CK_VEL ? o->vel_soft * jt->vel_max
                                           : o->acc_soft * lfd_check_acc_limit(jt, o);
        if (!(lim > 0))
            continue;
        double ratio = fabs(x->value) / (FIX_SOFT_AIM * lim);
        double s = x->kind == LFD_CK_VEL ? ratio : sqrt(ratio);
        if (s > o->fix_time_max) {
            add_line(log->left, &log->nleft,
                     "%s %s %.2f over frames %d-%d needs %.1fx slower (more than --fix-time-max %.1f)",
                     jt->name, x->kind == LFD_CK_VEL ? "velocity" : "acceleration", x->value, x->first,
                     x->last, s, o->fix_time_max);
            continue;
        }
        if (s <= 1)
            continue;
        for (int f = 0; f < n; f++) {
            double dist = f < x->first ? x->first - f : f > x->last ? f - x->last : 0;
            double v = 1 + (s - 1) * ramp_w(dist, R);
            if (v > rate[f])
                rate[f] = v;
        }
        log->segments_slowed++;
        add_line(log->change, &log->nchanges,
                 "frames %d-%d slowed %.2fx (%s %s %.2f over the soft limit %.2f)", x->first, x->last,
                 s, jt->name, x->kind == LFD_CK_VEL ? "velocity" : "acceleration", x->value, lim);
    }

    /* resample: new time advances by 1/rate of an input frame per output
       frame inside slowed ranges */
    int slowed = 0;
    for (int f = 0; f < n; f++)
        slowed |= rate[f] > 1;
    int nout = n;
    if (slowed && n > 1) {
        /* input position u advances by 1 / rate(u) per output frame */
        double u = 0;
        int cnt = 1;
        while (u < n - 1 && cnt < 16 * n + 16) {
            int k = (int)u;
            u += 1.0 / rate[k < n ? k : n - 1];
            cnt++;
        }
        nout = cnt;
    }
    if ((rc = lfd_motion_alloc(out, nout, in->floating, in->njoints, 0, err))) {
        free(rate);
        lfd_motion_free(&work);
        return rc;
    }
    snprintf(out->robot, sizeof out->robot, "%s", in->robot);
    snprintf(out->model_hash, sizeof out->model_hash, "%s", in->model_hash);
    memcpy(out->joint_names, in->joint_names, (size_t)in->njoints * sizeof out->joint_names[0]);
    out->fps = in->fps;
    if (nout == n) {
        memcpy(out->qpos, work.qpos, (size_t)n * (size_t)nq * sizeof(double));
    } else {
        double u = 0;
        for (int f = 0; f < nout; f++) {
            lfd_check_sample(&work, u > n - 1 ? n - 1 : u, lfd_motion_frame(out, f));
            int k = (int)u;
            u += 1.0 / rate[k < n ? k : n - 1];
        }
        log->frames_added = nout - n;
        add_line(log->change, &log->nchanges, "%d frames added (%.2f s -> %.2f s)", nout - n,
                 lfd_motion_duration_s(in), lfd_motion_duration_s(out));
    }
    free(rate);
    lfd_motion_free(&work);

    /* 3. lift small floor penetrations */
    if (r->floating && LFD_CHECK_ON(o, LFD_CG_FLOOR)) {
        double *need = calloc((size_t)nout, sizeof(double));
        if (!need) {
            lfd_motion_free(out);
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        }
        double worst = 0;
        int nneed = 0, nbig = 0, big_at = -1;
        for (int f = 0; f < nout; f++) {
            double dep = floor_depth(c, ws->d, lfd_motion_frame(out, f));
            if (dep <= o->floor_warn_m)
                continue;
            if (dep > o->fix_floor_max_m) {
                if (!nbig++)
                    big_at = f;
                continue;
            }
            need[f] = dep + FIX_LIFT_CLEAR_M;
            worst = fmax(worst, dep);
            nneed++;
        }
        if (nbig)
            add_line(log->left, &log->nleft,
                     "%d frames (first %d) sink more than --fix-floor-max %.3f m: not lifted", nbig,
                     big_at, o->fix_floor_max_m);
        if (nneed) {
            double RL = FIX_LIFT_RAMP_S * out->fps;
            int w = (int)ceil(RL);
            double *lift = calloc((size_t)nout, sizeof(double));
            if (!lift) {
                free(need);
                lfd_motion_free(out);
                return lfd_fail(err, LFD_ENOMEM, "out of memory");
            }
            for (int g = 0; g < nout; g++) {
                if (!(need[g] > 0))
                    continue;
                for (int f = g - w; f <= g + w; f++)
                    if (f >= 0 && f < nout)
                        lift[f] = fmax(lift[f], need[g] * ramp_w(abs(f - g), RL));
            }
            for (int f = 0; f < nout; f++)
                lfd_motion_frame(out, f)[2] += lift[f];
            log->lift_max_m = worst + FIX_LIFT_CLEAR_M;
            add_line(log->change, &log->nchanges,
                     "root lifted on %d frames by up to %.1f mm (floor penetration)", nneed,
                     1000 * log->lift_max_m);
            free(lift);
        }
        free(need);
    }

    /* provenance: what was done */
    lfd_prov_free(&out->prov);
    lfd_prov_init(&out->prov);
    if ((rc = lfd_prov_copy(&out->prov, &in->prov, err))) {
        lfd_motion_free(out);
        return rc;
    }
    char summary[1024];
    size_t len = 0;
    summary[0] = '\0';
    for (int i = 0; i < log->nchanges && len + 2 < sizeof summary; i++)
        len += (size_t)snprintf(summary + len, sizeof summary - len, "%s%s", i ? "; " : "",
                                log->change[i]);
    if (!log->nchanges)
        snprintf(summary, sizeof summary, "nothing changed");
    if ((rc = lfd_prov_set_str(&out->prov, "check_fix", summary, err))) {
        lfd_motion_free(out);
        return rc;
    }
    return LFD_OK;
}
