/*  lfd_filter: clamp, rate-limit and NaN-guard actions (see lfd_filter.h). */
#include "runtime/lfd_filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lfd_filter_state_init(lfd_filter_state *st, int cap, lfd_err *err)
{
    memset(st, 0, sizeof *st);
    if (cap < 1 || cap > 65536)
        return lfd_fail(err, LFD_ELIMIT, "filter for %d joints (must be 1..65536)", cap);
    st->prev = calloc((size_t)cap * 2, sizeof(float));
    if (!st->prev)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    st->vel = st->prev + cap;
    st->n = st->cap = cap;
    return LFD_OK;
}

void lfd_filter_state_free(lfd_filter_state *st)
{
    if (!st)
        return;
    free(st->prev);
    memset(st, 0, sizeof *st);
}

void lfd_filter_state_reset(lfd_filter_state *st, int n, const float *current,
                            const float *vel_rad_s)
{
    st->n = n <= st->cap ? n : st->cap;
    st->have_prev = current != NULL;
    st->have_vel = current != NULL && vel_rad_s != NULL;
    for (int i = 0; i < st->n; i++) {
        st->prev[i] = current ? current[i] : 0.0f;
        st->vel[i] = current && vel_rad_s ? vel_rad_s[i] : 0.0f;
    }
}

int lfd_filter_limits_check(const lfd_filter_limits *lim, lfd_err *err)
{
    for (int i = 0; i < lim->n; i++) {
        if (isnan(lim->lo[i]) || isnan(lim->hi[i]) || !(lim->lo[i] <= lim->hi[i]))
            return lfd_fail(err, LFD_EARG, "joint %d: range [%g, %g] is empty", i, lim->lo[i],
                            lim->hi[i]);
        if (!(lim->vel_rad_s[i] > 0))
            return lfd_fail(err, LFD_EARG, "joint %d: velocity limit %g is not positive", i,
                            lim->vel_rad_s[i]);
        if (!(lim->acc_rad_s2[i] >= 0))
            return lfd_fail(err, LFD_EARG, "joint %d: acceleration limit %g is negative", i,
                            lim->acc_rad_s2[i]);
    }
    return LFD_OK;
}

static float hold_value(const lfd_filter_limits *lim, const lfd_filter_state *st,
                        const float *hold, int i)
{
    if (st->have_prev)
        return st->prev[i];
    if (hold && isfinite(hold[i]))
        return fminf(fmaxf(hold[i], lim->lo[i]), lim->hi[i]);
    float lo = lim->lo[i], hi = lim->hi[i];
    if (isfinite(lo) && isfinite(hi))
        return 0.5f * (lo + hi);
    return fminf(fmaxf(0.0f, lo), hi);
}

int lfd_filter_step(const lfd_filter_limits *lim, lfd_filter_state *st, float *a, double dt_s,
                    const float *hold, uint8_t *flags, lfd_filter_counts *counts)
{
    int n = lim->n < st->n ? lim->n : st->n;
    if (!(dt_s > 0))
        dt_s = 1e-6;
    /* a non-finite element anywhere: the whole action holds */
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (!isfinite(a[i])) {
            bad = 1;
            if (flags)
                flags[i] |= LFD_FILTER_NONFINITE;
            if (counts)
                counts->nonfinite++;
        }
    if (bad) {
        for (int i = 0; i < n; i++)
            a[i] = hold_value(lim, st, hold, i);
        if (counts)
            counts->held++;
    }
    float dt = (float)dt_s;
    for (int i = 0; i < n; i++) {
        uint8_t f = 0;
        float lo = lim->lo[i], hi = lim->hi[i];
        /* range */
        float x = a[i];
        if (x < lo || x > hi) {
            x = x < lo ? lo : hi;
            f |= LFD_FILTER_CLAMPED;
        }
        if (st->have_prev) {
            float p = st->prev[i];
            float v = (x - p) / dt;
            /* acceleration relative to the previous step's velocity */
            float acc = lim->acc_rad_s2[i];
            if (st->have_vel && acc > 0 && isfinite(acc)) {
                float dv = acc * dt, v0 = st->vel[i];
                if (v > v0 + dv || v < v0 - dv) {
                    v = v > v0 + dv ? v0 + dv : v0 - dv;
                    f |= LFD_FILTER_ACC;
                }
            }
            /* velocity */
            float vmax = lim->vel_rad_s[i];
            if (v > vmax || v < -vmax) {
                v = v > vmax ? vmax : -vmax;
                f |= LFD_FILTER_VEL;
            }
            if (f & (LFD_FILTER_ACC | LFD_FILTER_VEL))
                x = p + v * dt;
            /* the range wins over the acceleration limit when the previous
               command was inside it (no jump back from outside) */
            if (p >= lo && p <= hi && (x < lo || x > hi)) {
                x = x < lo ? lo : hi;
                f |= LFD_FILTER_CLAMPED;
            }
            st->vel[i] = (x - p) / dt;
        } else {
            st->vel[i] = 0;
        }
        st->prev[i] = x;
        a[i] = x;
        if (flags)
            flags[i] |= f;
        if (counts) {
            counts->clamped += (f & LFD_FILTER_CLAMPED) != 0;
            counts->vel_limited += (f & LFD_FILTER_VEL) != 0;
            counts->acc_limited += (f & LFD_FILTER_ACC) != 0;
        }
    }
    st->have_vel = st->have_prev;
    st->have_prev = 1;
    return bad;
}
