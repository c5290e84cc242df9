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

int lfd_filter_state_reset(lfd_filter_state *st, int n, const float *current,
                           const float *vel_rad_s)
{
    if (n < 0 || n > st->cap) {
        /* capping n at cap left the joints past it out of every later step;
           a state of no joints matches no limits, so each step holds */
        st->n = 0;
        st->have_prev = st->have_vel = 0;
        return LFD_ELIMIT;
    }
    st->n = n;
    st->have_prev = current != NULL;
    st->have_vel = current != NULL && vel_rad_s != NULL;
    for (int i = 0; i < st->n; i++) {
        st->prev[i] = current ? current[i] : 0.0f;
        st->vel[i] = current && vel_rad_s ? vel_rad_s[i] : 0.0f;
    }
    return LFD_OK;
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
    if (st->have_prev && i < st->n && isfinite(st->prev[i]))
        return fminf(fmaxf(st->prev[i], lim->lo[i]), lim->hi[i]);
    if (hold && isfinite(hold[i]))
        return fminf(fmaxf(hold[i], lim->lo[i]), lim->hi[i]);
    float lo = lim->lo[i], hi = lim->hi[i];
    if (isfinite(lo) && isfinite(hi))
        return 0.5f * (lo + hi);
    return fminf(fmaxf(0.0f, lo), hi);
}

int lfd_filter_flag_start(const lfd_filter_limits *lim, const lfd_filter_state *st, uint8_t *flags,
                          lfd_filter_counts *counts)
{
    int ns = 0;
    for (int i = 0; i < lim->n && i < st->n && st->have_prev; i++)
        if (!(st->prev[i] >= lim->lo[i] && st->prev[i] <= lim->hi[i])) {
            if (flags)
                flags[i] |= LFD_FILTER_START;
            ns++;
        }
    if (counts)
        counts->start_clamped += (uint32_t)ns;
    return ns;
}

void lfd_filter_hold_pose(const lfd_filter_limits *lim, const lfd_filter_state *st,
                          const float *hold, float *out)
{
    for (int i = 0; i < lim->n; i++)
        out[i] = hold_value(lim, st, hold, i);
}

/* The per-joint work, written without branches and with restrict pointers
   so that the compiler can run one step over a robot's joints as vector
   compares and selects (the server runs it chunk x act_dim times per act,
   the client library again).  Every value is computed by the same
   operations in the same order as the plain reading of the rules in
   lfd_filter.h (tests/test_serve_filter.c checks the two agree bit for
   bit), so results do not depend on how the loop is compiled.  Blocks of
   BLOCK joints keep the flags in a local array. */
enum { BLOCK = 64 };

static void step_first(int n, const float *restrict lo, const float *restrict hi,
                       float *restrict a, float *restrict prev, float *restrict vel,
                       uint8_t *restrict fl, uint32_t *restrict nc)
{
    uint32_t c = 0;
    for (int i = 0; i < n; i++) {
        float x = a[i], l = lo[i], h = hi[i];
        int fc = (x < l) | (x > h);
        x = x < l ? l : x;
        x = x > h ? h : x;
        vel[i] = 0;
        prev[i] = x;
        a[i] = x;
        fl[i] = (uint8_t)(fc * LFD_FILTER_CLAMPED);
        c += (uint32_t)fc;
    }
    *nc += c;
}

static void step_next(int n, int use_acc, float dt, const float *restrict lo,
                      const float *restrict hi, const float *restrict vmax,
                      const float *restrict amax, float *restrict a, float *restrict prev,
                      float *restrict vel, uint8_t *restrict fl, uint32_t *restrict cnt)
{
    uint32_t nc = 0, nv = 0, na = 0, ns = 0;
    for (int i = 0; i < n; i++) {
        float x = a[i], l = lo[i], h = hi[i], p = prev[i];
        /* range */
        int fc = (x < l) | (x > h);
        x = x < l ? l : x;
        x = x > h ? h : x;
        /* the previous command into the range; a non-finite one (NaN, or
           infinite on an unlimited joint) starts from the action itself */
        int fs = !((p >= l) & (p <= h));
        p = p < l ? l : p;
        p = p > h ? h : p;
        int pn = !(p - p == 0.0f);
        p = pn ? x : p;
        fs |= pn;
        float v = (x - p) / dt;
        /* acceleration relative to the previous step's velocity (a limit
           of 0 or infinity: none; a non-finite velocity counts as 0) */
        float acc = amax[i];
        float dv = acc * dt, v0 = vel[i];
        v0 = v0 - v0 == 0.0f ? v0 : 0.0f;
        float vhi = v0 + dv, vlo = v0 - dv;
        int fa = use_acc & (acc > 0) & (acc < INFINITY) & ((v > vhi) | (v < vlo));
        float va = v > vhi ? vhi : vlo;
        v = fa ? va : v;
        /* velocity */
        float vm = vmax[i];
        int fv = (v > vm) | (v < -vm);
        float vv = v > vm ? vm : -vm;
        v = fv ? vv : v;
        float xl = p + v * dt;
        x = (fa | fv) ? xl : x;
        /* the range wins over the acceleration limit (the previous
           command is inside it now) */
        int fc2 = (x < l) | (x > h);
        float xr = x < l ? l : h;
        x = fc2 ? xr : x;
        vel[i] = (x - p) / dt;
        prev[i] = x;
        a[i] = x;
        int c = fc | fc2;
        fl[i] = (uint8_t)(c * LFD_FILTER_CLAMPED | fv * LFD_FILTER_VEL | fa * LFD_FILTER_ACC |
                          fs * LFD_FILTER_START);
        nc += (uint32_t)c;
        nv += (uint32_t)fv;
        na += (uint32_t)fa;
        ns += (uint32_t)fs;
    }
    cnt[0] += nc;
    cnt[1] += nv;
    cnt[2] += na;
    cnt[3] += ns;
}

int lfd_filter_step(const lfd_filter_limits *lim, lfd_filter_state *st, float *a, double dt_s,
                    const float *hold, uint8_t *flags, lfd_filter_counts *counts)
{
    int n = lim->n;
    if (st->n != n) {
        /* limits and state for different joint counts: filtering the joints
           both know would leave the rest of the action unfiltered, so the
           whole action holds (the previous command where the state has one)
           and every joint is flagged */
        for (int i = 0; i < n; i++) {
            a[i] = hold_value(lim, st, hold, i);
            if (flags)
                flags[i] |= LFD_FILTER_SIZE;
        }
        if (counts)
            counts->held++;
        return 1;
    }
    /* a step of no time (or NaN) counts as 1 us; the step is kept where a
       float holds it (no 0 or infinity, which would make velocities NaN) */
    if (!(dt_s > 0))
        dt_s = 1e-6;
    else if (dt_s < 1e-9)
        dt_s = 1e-9;
    else if (dt_s > 1e6)
        dt_s = 1e6;
    /* a non-finite element anywhere: the whole action holds */
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad |= !isfinite(a[i]);
    if (bad) {
        for (int i = 0; i < n; i++)
            if (!isfinite(a[i])) {
                if (flags)
                    flags[i] |= LFD_FILTER_NONFINITE;
                if (counts)
                    counts->nonfinite++;
            }
        for (int i = 0; i < n; i++)
            a[i] = hold_value(lim, st, hold, i);
        if (counts)
            counts->held++;
    }
    uint32_t cnt[4] = {0, 0, 0, 0};
    float dt = (float)dt_s;
    for (int i0 = 0; i0 < n; i0 += BLOCK) {
        int m = n - i0 < BLOCK ? n - i0 : BLOCK;
        uint8_t fl[BLOCK];
        if (st->have_prev)
            step_next(m, st->have_vel, dt, lim->lo + i0, lim->hi + i0, lim->vel_rad_s + i0,
                      lim->acc_rad_s2 + i0, a + i0, st->prev + i0, st->vel + i0, fl, cnt);
        else
            step_first(m, lim->lo + i0, lim->hi + i0, a + i0, st->prev + i0, st->vel + i0, fl,
                       cnt);
        if (flags)
            for (int i = 0; i < m; i++)
                flags[i0 + i] |= fl[i];
    }
    if (counts) {
        counts->clamped += cnt[0];
        counts->vel_limited += cnt[1];
        counts->acc_limited += cnt[2];
        counts->start_clamped += cnt[3];
    }
    st->have_vel = st->have_prev;
    st->have_prev = 1;
    return bad;
}

int lfd_filter_state_from_chunk(lfd_filter_state *st, int n, const float *chunk, int nsteps,
                                double dt_s, double elapsed_s, float *scratch)
{
    int last = nsteps > 0 ? nsteps - 1 : 0;
    double k = dt_s > 0 ? elapsed_s / dt_s : 0;
    int i = !(k > 0) ? 0 : k >= last + 0.5 ? last : (int)lround(k);
    int over = k >= last + 0.5 || !isfinite(k); /* past the last step: standing there */
    const float *a = chunk + (size_t)i * (size_t)n;
    for (int j = 0; j < n; j++) {
        scratch[j] = a[j];
        scratch[n + j] = over ? 0.0f : i > 0 ? (float)((a[j] - a[j - n]) / dt_s) : 0.0f;
    }
    return lfd_filter_state_reset(st, n, scratch, over || i > 0 ? scratch + n : NULL);
}
