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
         most fix_time_max; frame ranges over a hard torque limit by the
         factor that brings the peak's part beyond holding the pose still
         (it scales with 1/s^2) under the hard limit, unless the still pose
         alone is over it.  The slow-down factor rises and falls with
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

#define FIX_LIFT_RAMP_S 0.2
#define FIX_LIFT_CLEAR_M 0.0005
#define FIX_TORQUE_ROUNDS 3 /* torque slow-downs: checked again and slowed further this many times at most */

static void add_line(char (*lines)[256], int *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The first LFD_CHECK_MAX_CHANGES lines are kept; *n counts them all
   (lines past the cap were dropped unsaid: found by review) */
static void add_line(char (*lines)[256], int *n, const char *fmt, ...)
{
    if (*n < LFD_CHECK_MAX_CHANGES) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(lines[*n], 256, fmt, ap);
        va_end(ap);
    }
    (*n)++;
}

/* a line put first (the one that matters most: how much longer the
   motion became), the last kept one pushed out where the list is full */
static void add_line_first(char (*lines)[256], int *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_line_first(char (*lines)[256], int *n, const char *fmt, ...)
{
    int kept = *n < LFD_CHECK_MAX_CHANGES ? *n : LFD_CHECK_MAX_CHANGES - 1;
    memmove(lines[1], lines[0], (size_t)kept * sizeof lines[0]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lines[0], 256, fmt, ap);
    va_end(ap);
    (*n)++;
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

/* joint j's torque at frame f of m as lfd check computes it (*t, signed),
   and the same pose's held still (*t0): gravity and the floor's share of
   the weight (lfd_check_explain_torque) */
static int fix_torque_split(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                            const lfd_check_opts *o, int f, int j, double *t, double *t0,
                            lfd_err *err)
{
    lfd_torque_split sp;
    int rc = lfd_check_explain_torque_with(c, ws, m, o, f, j, &sp, err);
    *t = sp.torque_nm;
    *t0 = sp.still_nm;
    return rc;
}

/* out: work resampled on its own rate, the input position advancing by
   about 1 / rate(u) per output frame (the motion gets longer where rate > 1);
   *umap (out's nframes, malloc'd): each output frame's input position.
   Names, hash and rate from in. */
static int resample(const lfd_motion *work, const lfd_motion *in, const double *rate,
                    lfd_motion *out, double **umap, lfd_err *err)
{
    /* the input interval k -> k+1 takes rate[k] output frame intervals; the
       whole takes T of them, rounded up to nout - 1 and the time stretched
       by the difference (under one frame), so the last output frame lands
       on the last input frame: a shorter last interval would be a jump in
       velocity at the clip's end */
    int n = work->nframes, nout = n;
    double T = 0;
    for (int k = 0; k + 1 < n; k++)
        T += rate[k];
    if (n > 1)
        nout = 1 + (int)ceil(T - 1e-9);
    int rc = lfd_motion_alloc(out, nout, in->floating, in->njoints, 0, err);
    if (rc)
        return rc;
    if (!(*umap = malloc((size_t)(nout > 0 ? nout : 1) * sizeof(double)))) {
        lfd_motion_free(out);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    snprintf(out->robot, sizeof out->robot, "%s", in->robot);
    snprintf(out->model_hash, sizeof out->model_hash, "%s", in->model_hash);
    memcpy(out->joint_names, in->joint_names, (size_t)in->njoints * sizeof out->joint_names[0]);
    out->fps = in->fps;
    double stretch = nout > 1 ? T / (nout - 1) : 0, cum = 0;
    int k = 0;
    for (int g = 0; g < nout; g++) {
        double u;
        if (nout == n) {
            u = g;
        } else {
            double tau = g * stretch;
            while (k + 1 < n - 1 && cum + rate[k] <= tau) {
                cum += rate[k];
                k++;
            }
            u = k + (tau - cum) / rate[k];
            u = u > n - 1 ? n - 1 : u;
            if (g == nout - 1)
                u = n - 1;
        }
        (*umap)[g] = u;
        if (nout == n)
            memcpy(lfd_motion_frame(out, g), lfd_motion_frame(work, g), (size_t)work->nq * sizeof(double));
        else
            lfd_check_sample(work, u, lfd_motion_frame(out, g));
    }
    return LFD_OK;
}

/* Raises rate (n input frames; base: rate as this round found it, which
   the factors of its findings multiply, so two joints failing on the same
   frames do not compound) over the torque failures of rr, a report on mm: mm is
   the input itself (umap NULL) or its resampled motion (umap: each of its
   frames' input position).  The factor brings the peak under LFD_CHECK_FIX_AIM
   of the hard limit: the peak's torque is split into what holding the pose
   still asks (gravity and the floor's share of it) and the rest, which
   falls with 1/s^2 when the motion is s times slower (velocity terms and
   accelerations; springs and damping are small).  Where the still pose
   alone is over, or the factor (times what the frames are slowed already)
   would pass fix_time_max, or slowing it would push a neighbouring frame
   past a limit, the segment is left: said in log->left on the input
   (round 0), its frames marked in refused (n), and a later round's
   finding over any of them is neither slowed nor said again.  With final, nothing is raised and every failure of rr
   is said to be left (what the rounds could not fix).  *more: some rate
   was raised. */
static int torque_rates(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mm, const lfd_check_opts *o,
                        const lfd_check_report *rr, const double *umap, int n, double R,
                        double *rate, const double *base, unsigned char *refused, int round,
                        int final, lfd_check_fixlog *log, int *more, lfd_err *err)
{
    const lfd_robot *r = c->r;
    *more = 0;
    for (int i = 0; i < rr->nfindings; i++) {
        const lfd_check_finding *x = &rr->finding[i];
        if (x->kind != LFD_CK_TORQUE || x->severity != LFD_CHECK_FAIL || x->joint < 0)
            continue;
        const lfd_robot_joint *jt = &r->joints[x->joint];
        double A = LFD_CHECK_FIX_AIM * o->torque_hard * jt->torque_max, t = 0, t0 = 0;
        if (!(A > 0))
            continue;
        int rc = fix_torque_split(c, ws, mm, o, x->peak, x->joint, &t, &t0, err);
        if (rc)
            return rc;
        /* the finding's frames on the input's timeline */
        int a = umap ? (int)floor(umap[x->first]) : x->first;
        int b = umap ? (int)ceil(umap[x->last]) : x->last;
        b = b > n - 1 ? n - 1 : b;
        /* a peak of the input left alone (round 0, said in log->left) is
           not slowed by a later round either, nor said again */
        int was_left = 0;
        for (int f = a; umap && f <= b; f++)
            was_left |= refused[f];
        if (was_left)
            continue;
        /* on the slowed motion the factor comes on top of what the frames
           have; on the input, it is the total (a velocity slow-down there
           already lowers the torque) */
        double have = 1;
        for (int f = a; umap && f <= b; f++)
            have = fmax(have, base[f]);
        double sfac = lfd_check_slow_factor(t, t0, A);
        if (final) { /* what the rounds left */
            add_line(log->left, &log->nleft,
                     "%s torque %.1f N·m over frames %d-%d after slowing (%.1f of it holding the pose still)",
                     jt->name, fabs(t), a, b, fabs(t0));
            continue;
        }
        if (have * sfac > o->fix_time_max) {
            /* said on the input (round 0); after, by the final report */
            if (umap)
                continue;
            memset(refused + a, 1, (size_t)(b - a + 1));
            if (fabs(t0) >= A)
                add_line(log->left, &log->nleft,
                         "%s torque %.1f N·m over frames %d-%d: held still the pose asks %.1f (aim %.1f), slowing cannot fix it",
                         jt->name, fabs(t), a, b, fabs(t0), A);
            else
                add_line(log->left, &log->nleft,
                         "%s torque %.1f N·m over frames %d-%d needs %.1fx slower (more than --fix-time-max %.1f)",
                         jt->name, fabs(t), a, b, have * sfac, o->fix_time_max);
            continue;
        }
        if (sfac <= 1)
            continue;
        if (!umap) {
            /* on the input: not where the slow-down would raise a
               neighbouring frame's torque past a limit, as where a walk
               leans on its momentum (the still pose asks more than the
               motion at its pace) */
            lfd_slowdown_harm h;
            int rc = lfd_check_slowdown_harm_around(c, ws, mm, o, a, b, sfac, &h, err);
            if (rc)
                return rc;
            if (h.frame >= 0) {
                memset(refused + a, 1, (size_t)(b - a + 1));
                add_line(log->left, &log->nleft,
                         "%s torque %.1f N·m over frames %d-%d: %.2fx slower would raise %s to %.1f N·m at "
                         "frame %d, where the motion leans on its momentum (held still %.1f): not slowed",
                         jt->name, fabs(t), a, b, sfac, r->joints[h.joint].name, fabs(h.slowed_nm),
                         h.frame, fabs(h.still_nm));
                continue;
            }
        }
        for (int f = 0; f < n; f++) {
            double dist = f < a ? a - f : f > b ? f - b : 0;
            double v = (umap ? base[f] : 1) * (1 + (sfac - 1) * lfd_check_ramp_w(dist, R));
            if (v > rate[f]) {
                rate[f] = v;
                *more = 1;
            }
        }
        log->segments_slowed++;
        add_line(log->change, &log->nchanges,
                 "frames %d-%d slowed %.2fx%s (%s torque %.1f N·m over its limit %.0f; %.1f of it holding the pose still)",
                 a, b, have * sfac, round ? " in all" : "", jt->name, fabs(t), jt->torque_max, fabs(t0));
    }
    return LFD_OK;
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
    int n = in->nframes;
    /* the repair works from the report's list: failures past it are not
       seen (Unitree's whole walk: 56 of its 111 torque failures); say so,
       the second run of --fix on OUT sees what is left (found by review) */
    if (rep->more_failures > 0)
        add_line(log->left, &log->nleft,
                 "%d failing findings past the %d the report lists were not looked at: run --fix "
                 "again on the output, or on one group of checks at a time (--checks)",
                 rep->more_failures, LFD_CHECK_MAX_FINDINGS);
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
    double R = LFD_CHECK_FIX_RAMP_S * in->fps;
    for (int i = 0; i < rep->nfindings; i++) {
        const lfd_check_finding *x = &rep->finding[i];
        if ((x->kind != LFD_CK_VEL && x->kind != LFD_CK_ACC) || x->joint < 0)
            continue;
        const lfd_robot_joint *jt = &r->joints[x->joint];
        double lim = x->kind == LFD_CK_VEL ? o->vel_soft * jt->vel_max
                                           : o->acc_soft * lfd_check_acc_limit(jt, o);
        if (!(lim > 0))
            continue;
        double ratio = fabs(x->value) / (LFD_CHECK_FIX_AIM * lim);
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
            double v = 1 + (s - 1) * lfd_check_ramp_w(dist, R);
            if (v > rate[f])
                rate[f] = v;
        }
        log->segments_slowed++;
        add_line(log->change, &log->nchanges,
                 "frames %d-%d slowed %.2fx (%s %s %.2f over the soft limit %.2f)", x->first, x->last,
                 s, jt->name, x->kind == LFD_CK_VEL ? "velocity" : "acceleration", x->value, lim);
    }

    /* ... and for the segments over a hard torque limit (torque_rates),
       in up to FIX_TORQUE_ROUNDS rounds: the slowed motion is checked again
       and what is still over is slowed further (a slow-down moves the
       peaks: its ramps add accelerations of their own) */
    double *umap = NULL;
    int nout = n, nchanges0 = log->nchanges, nleft0 = log->nleft, nseg0 = log->segments_slowed;
    lfd_check_report *rep2 = NULL;
    double *rate0 = malloc(2 * (size_t)n * sizeof(double)), *base = rate0 ? rate0 + n : NULL;
    unsigned char *refused = calloc((size_t)n, 1); /* input frames of the peaks round 0 left */
    rc = rate0 && refused ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (rc == LFD_OK)
        memcpy(rate0, rate, (size_t)n * sizeof(double));
    for (int round = 0; rc == LFD_OK && round <= FIX_TORQUE_ROUNDS; round++) {
        const lfd_check_report *rr = round ? rep2 : rep;
        const lfd_motion *mm = round ? out : in;
        int more = 0, final = round == FIX_TORQUE_ROUNDS;
        memcpy(base, rate, (size_t)n * sizeof(double));
        if ((rc = torque_rates(c, ws, mm, o, rr, round ? umap : NULL, n, R, rate, base, refused, round,
                               final, log, &more, err)))
            break;
        if (!round)
            nleft0 = log->nleft; /* what the input's own peaks say stays, whatever follows */
        if (final)
            break;
        if (round && !more) { /* nothing more it can do: say what is left */
            rc = torque_rates(c, ws, mm, o, rr, umap, n, R, rate, base, refused, round, 1, log, &more, err);
            break;
        }
        if (round)
            lfd_motion_free(out);
        free(umap);
        umap = NULL;
        if ((rc = resample(&work, in, rate, out, &umap, err)))
            break;
        nout = out->nframes;
        /* check the slowed motion's torques again */
        int any_tq = 0;
        for (int f = 0; f < n && !any_tq; f++)
            any_tq = rate[f] > rate0[f];
        if (!any_tq)
            break;
        lfd_check_opts ot = *o;
        ot.checks = (1u << LFD_CG_TORQUE) | (1u << LFD_CG_BALANCE);
        ot.series = 0;
        if (!rep2 && (rc = lfd_check_report_new(&rep2, err)))
            break;
        if ((rc = lfd_check_motion(c, ws, out, &ot, rep2, err)))
            break;
    }
    /* kept only if the torque failures became fewer and the largest torque,
       as a share of its limit, did not grow (the slowed motion is
       resampled, and where a joint's torque hangs on which sole corners
       touch, a pose between two frames can load it differently: on H1's
       walks slowing made new failures) */
    int tq_slowed = 0;
    for (int f = 0; rc == LFD_OK && f < n && !tq_slowed; f++)
        tq_slowed = rate[f] > rate0[f];
    if (rc == LFD_OK && tq_slowed && rep2) {
        double w_in = 0, w_out = 0;
        for (int j = 0; j < r->njoints; j++) {
            double lim = r->joints[j].torque_max;
            if (!(lim > 0) || !isfinite(lim))
                continue;
            w_in = fmax(w_in, rep->joint[j].torque_peak / lim);
            w_out = fmax(w_out, rep2->joint[j].torque_peak / lim);
        }
        int f_in = 0, f_out = 0;
        for (int i = 0; i < rep->nfindings; i++)
            f_in += rep->finding[i].kind == LFD_CK_TORQUE && rep->finding[i].severity == LFD_CHECK_FAIL;
        for (int i = 0; i < rep2->nfindings; i++)
            f_out += rep2->finding[i].kind == LFD_CK_TORQUE && rep2->finding[i].severity == LFD_CHECK_FAIL;
        if (!(f_out < f_in && w_out <= w_in)) {
            log->nchanges = nchanges0;
            log->nleft = nleft0;
            log->segments_slowed = nseg0;
            add_line(log->left, &log->nleft,
                     "torque: slowing its peaks down left %d failures and %.2f of a limit, against %d and %.2f: not done",
                     f_out, w_out, f_in, w_in);
            lfd_motion_free(out);
            free(umap);
            umap = NULL;
            if ((rc = resample(&work, in, rate0, out, &umap, err)) == LFD_OK)
                nout = out->nframes;
        }
    }
    if (rc == LFD_OK && nout != n) {
        log->frames_added = nout - n;
        add_line_first(log->change, &log->nchanges, "%d frames added (%.2f s -> %.2f s)", nout - n,
                 lfd_motion_duration_s(in), lfd_motion_duration_s(out));
    }
    lfd_check_report_free(&rep2);
    free(umap);
    free(rate0);
    free(refused);
    free(rate);
    lfd_motion_free(&work);
    if (rc) {
        lfd_motion_free(out);
        return rc;
    }

    /* 3. lift small floor penetrations */
    if (r->floating && LFD_CHECK_ON(o, LFD_CG_FLOOR)) {
        double *need = calloc((size_t)nout, sizeof(double));
        if (!need) {
            lfd_motion_free(out);
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        }
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
            nneed++;
        }
        /* the floor's lines are one each, after the torque's and balance's
           per-range ones: put first, so a full list does not drop them
           (Unitree's walk: 32 torque lines listed, this one not) */
        if (nbig)
            add_line_first(log->left, &log->nleft,
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
                        lift[f] = fmax(lift[f], need[g] * lfd_check_ramp_w(abs(f - g), RL));
            }
            /* each stretch of lifted frames is kept only if it asks no more
               torque (as a share of a limit) nor more external help than the
               motion did there: lifting the root lifts the feet too, and a
               foot that stood on the floor may no longer (Unitree's walk:
               an ankle at frame 1240 from 11.9 to 63 N m, a frame at 7529
               from no help to a third of the weight; found by review) */
            lfd_check_report *ra = NULL, *rb = NULL;
            lfd_check_opts oq = *o;
            oq.checks = (1u << LFD_CG_TORQUE) | (1u << LFD_CG_BALANCE);
            oq.series = 1;
            if ((rc = lfd_check_report_new(&ra, err)) == LFD_OK &&
                (rc = lfd_check_report_new(&rb, err)) == LFD_OK &&
                (rc = lfd_check_motion(c, ws, out, &oq, ra, err)) == LFD_OK) {
                for (int f = 0; f < nout; f++)
                    lfd_motion_frame(out, f)[2] += lift[f];
                rc = lfd_check_motion(c, ws, out, &oq, rb, err);
            }
            int nundone = 0, nkept = 0;
            double kept_max = 0;
            for (int a = 0; rc == LFD_OK && a < nout;) {
                if (!(lift[a] > 0)) {
                    a++;
                    continue;
                }
                int b = a;
                while (b + 1 < nout && lift[b + 1] > 0)
                    b++;
                /* worse: at some frame (one either side included, for the
                   differences) a torque over half its limit up by 5 % of the
                   limit, or the help up by 1 % of the weight */
                int worse = 0;
                for (int f = a > 0 ? a - 1 : a; f <= b + 1 && f < nout && !worse; f++) {
                    for (int j = 0; j < r->njoints && ra->s_torque && rb->s_torque; j++) {
                        double lim = r->joints[j].torque_max;
                        if (!(lim > 0) || !isfinite(lim))
                            continue;
                        size_t k = (size_t)f * (size_t)r->njoints + (size_t)j;
                        double ta = fabs(ra->s_torque[k]) / lim, tb = fabs(rb->s_torque[k]) / lim;
                        worse |= tb > 0.5 && tb > ta + 0.05;
                    }
                    if (ra->s_assist && rb->s_assist && isfinite(rb->s_assist[f]))
                        worse |= rb->s_assist[f] > (isfinite(ra->s_assist[f]) ? ra->s_assist[f] : 0) + 0.01;
                }
                for (int f = a; f <= b; f++) {
                    if (worse)
                        lfd_motion_frame(out, f)[2] -= lift[f];
                    else if (need[f] > 0) {
                        nkept++;
                        kept_max = fmax(kept_max, need[f]);
                    }
                }
                if (worse)
                    nundone += b - a + 1;
                a = b + 1;
            }
            lfd_check_report_free(&ra);
            lfd_check_report_free(&rb);
            if (rc) {
                free(lift);
                free(need);
                lfd_motion_free(out);
                return rc;
            }
            if (nundone)
                add_line_first(log->left, &log->nleft,
                         "floor: the root not lifted on %d frames, where lifting it asked more torque "
                         "or external help (it lifts the feet too)",
                         nundone);
            if (nkept) {
                log->lift_max_m = kept_max;
                add_line(log->change, &log->nchanges,
                         "root lifted on %d frames by up to %.1f mm (floor penetration)", nkept,
                         1000 * log->lift_max_m);
            }
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
    for (int i = 0; i < lfd_check_fixlog_kept(log->nchanges) && len + 2 < sizeof summary; i++)
        len += (size_t)snprintf(summary + len, sizeof summary - len, "%s%s", i ? "; " : "",
                                log->change[i]);
    if (log->nchanges > LFD_CHECK_MAX_CHANGES && len + 2 < sizeof summary)
        snprintf(summary + len, sizeof summary - len, "; and %d more", log->nchanges - LFD_CHECK_MAX_CHANGES);
    if (!log->nchanges)
        snprintf(summary, sizeof summary, "nothing changed");
    if ((rc = lfd_prov_set_str(&out->prov, "check_fix", summary, err))) {
        lfd_motion_free(out);
        return rc;
    }
    return LFD_OK;
}
