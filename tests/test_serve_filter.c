/*  Tests of the safety filter (runtime/lfd_filter): clamping to joint
    ranges, velocity and acceleration limits relative to the previous
    command, holding on NaN, and what it reports. */
#include <math.h>
#include <string.h>

#include "runtime/lfd_filter.h"
#include "tests/lfd_test.h"

static const float lo[3] = {-1, -1, -INFINITY}, hi[3] = {1, 1, INFINITY};
static const float vel[3] = {2, 2, INFINITY}, acc[3] = {0, 10, 0};
static const lfd_filter_limits lim = {3, lo, hi, vel, acc};

TEST(filter_clamps_to_joint_range_and_flags_it)
{
    lfd_filter_state st;
    lfd_err err = {0};
    CHECK_OK(lfd_filter_state_init(&st, 3, &err), &err);
    CHECK_OK(lfd_filter_limits_check(&lim, &err), &err);
    /* no previous command: only the range applies */
    float a[3] = {1.5f, -0.3f, 1e6f};
    uint8_t fl[3] = {0};
    lfd_filter_counts c = {0};
    CHECK_EQ_INT(lfd_filter_step(&lim, &st, a, 0.01, NULL, fl, &c), 0);
    CHECK_NEAR(a[0], 1.0, 0);
    CHECK_NEAR(a[1], -0.3, 1e-7);
    CHECK_NEAR(a[2], 1e6, 0); /* unlimited joint untouched */
    CHECK_EQ_INT(fl[0], LFD_FILTER_CLAMPED);
    CHECK_EQ_INT(fl[1], 0);
    CHECK_EQ_INT(c.clamped, 1);
    CHECK_EQ_INT(st.have_prev, 1);
    lfd_filter_state_free(&st);
}

TEST(filter_limits_velocity_relative_to_previous_command)
{
    lfd_filter_state st;
    lfd_err err = {0};
    CHECK_OK(lfd_filter_state_init(&st, 3, &err), &err);
    float cur[3] = {0, 0, 0};
    lfd_filter_state_reset(&st, 3, cur, NULL);
    /* joint 0 asks for +0.5 rad in 0.01 s (50 rad/s): gets 2 rad/s * 0.01 s */
    float a[3] = {0.5f, 0.001f, 3.0f};
    uint8_t fl[3] = {0};
    lfd_filter_counts c = {0};
    lfd_filter_step(&lim, &st, a, 0.01, NULL, fl, &c);
    CHECK_NEAR(a[0], 0.02, 1e-6);
    CHECK_NEAR(a[1], 0.001, 1e-7);
    CHECK_NEAR(a[2], 3.0, 0);
    CHECK(fl[0] & LFD_FILTER_VEL);
    CHECK_EQ_INT(c.vel_limited, 1);
    /* the next step continues from the limited command, not the request */
    float b[3] = {0.5f, 0.001f, 3.0f};
    lfd_filter_step(&lim, &st, b, 0.01, NULL, NULL, NULL);
    CHECK_NEAR(b[0], 0.04, 1e-6);
    /* a robot outside its range is commanded into it first (the range is
       a promise for every input), then rate-limited from the range's end */
    float out[3] = {1.5f, 0, 0};
    lfd_filter_state_reset(&st, 3, out, NULL);
    float d[3] = {0.9f, 0, 0};
    memset(fl, 0, sizeof fl);
    lfd_filter_counts cs = {0};
    lfd_filter_step(&lim, &st, d, 0.01, NULL, fl, &cs);
    CHECK_NEAR(d[0], 0.98, 1e-6);
    CHECK(fl[0] & LFD_FILTER_START);
    CHECK(fl[0] & LFD_FILTER_VEL);
    CHECK_EQ_INT(fl[1], 0);
    CHECK_EQ_INT(cs.start_clamped, 1);
    lfd_filter_state_free(&st);
}

/* issue 19: whatever finite or non-finite previous command a client sends
   (prev_action, current), every action and every hold pose is inside the
   joint range */
TEST(filter_keeps_every_action_in_range_from_any_previous_command)
{
    static const float starts[] = {1e30f, -1e30f, 7.0f, -6.0f, 1.0001f, NAN, INFINITY,
                                   -INFINITY, 0.5f};
    lfd_err err = {0};
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        lfd_filter_state st;
        CHECK_OK(lfd_filter_state_init(&st, 3, &err), &err);
        float cur[3] = {starts[k], starts[k], 0}, v0[3] = {1e30f, NAN, 0};
        for (int withvel = 0; withvel < 2; withvel++) {
            lfd_filter_state_reset(&st, 3, cur, withvel ? v0 : NULL);
            float hp[3];
            lfd_filter_hold_pose(&lim, &st, NULL, hp);
            for (int i = 0; i < 2; i++)
                if (!(hp[i] >= lo[i] && hp[i] <= hi[i]))
                    lfd_test_fail_at(__FILE__, __LINE__, "start %g: hold %g", starts[k], hp[i]);
            for (int step = 0; step < 4; step++) {
                /* a normal action, then a non-finite one (held) */
                float a[3] = {0.2f, -0.3f, 0};
                if (step == 2)
                    a[1] = NAN;
                lfd_filter_step(&lim, &st, a, 0.02, NULL, NULL, NULL);
                for (int i = 0; i < 2; i++)
                    if (!(a[i] >= lo[i] && a[i] <= hi[i]))
                        lfd_test_fail_at(__FILE__, __LINE__, "start %g%s, step %d: %g outside "
                                         "[%g, %g]",
                                         starts[k], withvel ? " with velocity" : "", step, a[i],
                                         lo[i], hi[i]);
            }
        }
        lfd_filter_state_free(&st);
    }
}

TEST(filter_limits_acceleration)
{
    lfd_filter_state st;
    lfd_err err = {0};
    CHECK_OK(lfd_filter_state_init(&st, 3, &err), &err);
    float cur[3] = {0, 0, 0}, v0[3] = {0, 0, 0};
    lfd_filter_state_reset(&st, 3, cur, v0);
    /* joint 1 (acc 10 rad/s^2) at rest asked to 1 rad/s: dv per 0.01 s step is 0.1 rad/s */
    double dt = 0.01;
    float x = 0;
    for (int k = 1; k <= 5; k++) {
        float a[3] = {0, (float)(x + 1.0 * dt), 0};
        uint8_t fl[3] = {0};
        lfd_filter_step(&lim, &st, a, dt, NULL, fl, NULL);
        CHECK(fl[1] & LFD_FILTER_ACC);
        CHECK_NEAR(st.vel[1], 0.1 * k, 1e-4);
        x = a[1];
    }
    /* joint 0 has no acceleration limit: a step change of velocity is fine */
    float a[3] = {0.015f, x, 0};
    uint8_t fl[3] = {0};
    lfd_filter_step(&lim, &st, a, dt, NULL, fl, NULL);
    CHECK_EQ_INT(fl[0], 0);
    CHECK_NEAR(a[0], 0.015, 1e-7);
    /* without a known previous velocity the acceleration limit waits a step */
    lfd_filter_state_reset(&st, 3, cur, NULL);
    float b[3] = {0, 0.015f, 0};
    memset(fl, 0, sizeof fl);
    lfd_filter_step(&lim, &st, b, dt, NULL, fl, NULL);
    CHECK_EQ_INT(fl[1], 0);
    lfd_filter_state_free(&st);
}

TEST(filter_holds_the_whole_action_on_nan)
{
    lfd_filter_state st;
    lfd_err err = {0};
    CHECK_OK(lfd_filter_state_init(&st, 3, &err), &err);
    float cur[3] = {0.3f, -0.2f, 7};
    lfd_filter_state_reset(&st, 3, cur, NULL);
    float a[3] = {0.31f, NAN, 7};
    uint8_t fl[3] = {0};
    lfd_filter_counts c = {0};
    CHECK_EQ_INT(lfd_filter_step(&lim, &st, a, 0.01, NULL, fl, &c), 1);
    CHECK_NEAR(a[0], 0.3, 1e-7);
    CHECK_NEAR(a[1], -0.2, 1e-7);
    CHECK_NEAR(a[2], 7, 0);
    CHECK_EQ_INT(fl[1], LFD_FILTER_NONFINITE);
    CHECK_EQ_INT(fl[0], 0);
    CHECK_EQ_INT(c.nonfinite, 1);
    CHECK_EQ_INT(c.held, 1);
    /* no previous command: the given hold pose (clamped), else mid-range */
    lfd_filter_state_reset(&st, 3, NULL, NULL);
    float hold[3] = {5, 0.25f, 1};
    float b[3] = {INFINITY, 0, 0};
    lfd_filter_step(&lim, &st, b, 0.01, hold, NULL, NULL);
    CHECK_NEAR(b[0], 1.0, 0);
    CHECK_NEAR(b[1], 0.25, 1e-7);
    lfd_filter_state_reset(&st, 3, NULL, NULL);
    float d[3] = {NAN, NAN, NAN};
    lfd_filter_step(&lim, &st, d, 0.01, NULL, NULL, NULL);
    CHECK_NEAR(d[0], 0, 0);
    CHECK(isfinite(d[2]));
    lfd_filter_state_free(&st);
}

TEST(filter_refuses_bad_limits)
{
    float l2[1] = {1}, h2[1] = {0}, v2[1] = {1}, a2[1] = {0};
    lfd_filter_limits bad = {1, l2, h2, v2, a2};
    lfd_err err = {0};
    CHECK(lfd_filter_limits_check(&bad, &err) == LFD_EARG);
    CHECK_CONTAINS(err.msg, "empty");
    h2[0] = 2;
    v2[0] = 0;
    CHECK(lfd_filter_limits_check(&bad, &err) == LFD_EARG);
    v2[0] = NAN;
    CHECK(lfd_filter_limits_check(&bad, &err) == LFD_EARG);
    v2[0] = 1;
    CHECK_OK(lfd_filter_limits_check(&bad, &err), &err);
}

/* The rules of lfd_filter.h read plainly, one joint at a time with
   branches: the reference the filter's branch-free loop must match bit for
   bit (values, velocities, flags and counts). */
static int ref_step(const lfd_filter_limits *lm, float *prev, float *vel, int *have_prev,
                    int *have_vel, float *a, float dt, const float *hold, uint8_t *flags,
                    lfd_filter_counts *c)
{
    /* a non-finite element: every element becomes the hold value (the
       previous command; else the given hold pose, clamped; else mid-range) */
    int bad = 0;
    for (int i = 0; i < lm->n; i++)
        if (!isfinite(a[i])) {
            bad = 1;
            flags[i] |= LFD_FILTER_NONFINITE;
            c->nonfinite++;
        }
    if (bad) {
        for (int i = 0; i < lm->n; i++) {
            float l = lm->lo[i], h = lm->hi[i];
            if (*have_prev && isfinite(prev[i]))
                a[i] = fminf(fmaxf(prev[i], l), h);
            else if (hold && isfinite(hold[i]))
                a[i] = fminf(fmaxf(hold[i], l), h);
            else if (isfinite(l) && isfinite(h))
                a[i] = 0.5f * (l + h);
            else
                a[i] = fminf(fmaxf(0.0f, l), h);
        }
        c->held++;
    }
    for (int i = 0; i < lm->n; i++) {
        uint8_t f = 0;
        float l = lm->lo[i], h = lm->hi[i], x = a[i];
        if (x < l || x > h) {
            x = x < l ? l : h;
            f |= LFD_FILTER_CLAMPED;
        }
        if (*have_prev) {
            /* the previous command is moved into the range first; a
               non-finite one starts from the action itself */
            float p = prev[i];
            if (!(p >= l && p <= h)) {
                f |= LFD_FILTER_START;
                p = p < l ? l : p > h ? h : p;
            }
            if (!isfinite(p)) {
                f |= LFD_FILTER_START;
                p = x;
            }
            float v = (x - p) / dt, ac = lm->acc_rad_s2[i];
            if (*have_vel && ac > 0 && isfinite(ac)) {
                float dv = ac * dt, v0 = isfinite(vel[i]) ? vel[i] : 0;
                if (v > v0 + dv || v < v0 - dv) {
                    v = v > v0 + dv ? v0 + dv : v0 - dv;
                    f |= LFD_FILTER_ACC;
                }
            }
            float vm = lm->vel_rad_s[i];
            if (v > vm || v < -vm) {
                v = v > vm ? vm : -vm;
                f |= LFD_FILTER_VEL;
            }
            if (f & (LFD_FILTER_ACC | LFD_FILTER_VEL))
                x = p + v * dt;
            if (x < l || x > h) {
                x = x < l ? l : h;
                f |= LFD_FILTER_CLAMPED;
            }
            vel[i] = (x - p) / dt;
        } else {
            vel[i] = 0;
        }
        prev[i] = x;
        a[i] = x;
        flags[i] |= f;
        c->clamped += (f & LFD_FILTER_CLAMPED) != 0;
        c->vel_limited += (f & LFD_FILTER_VEL) != 0;
        c->acc_limited += (f & LFD_FILTER_ACC) != 0;
        c->start_clamped += (f & LFD_FILTER_START) != 0;
    }
    *have_vel = *have_prev;
    *have_prev = 1;
    return bad;
}

static float rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 11) / 9007199254740992.0);
}

TEST(filter_matches_the_plain_reading_of_its_rules_bit_for_bit)
{
    /* more joints than the filter's block of 64, so that blocks meet */
    enum { N = 150, STEPS = 3000 };
    float lo_[N], hi_[N], vm[N], am[N];
    for (int i = 0; i < N; i++) {
        /* some unlimited ranges, velocities and accelerations, some zero
           accelerations (no limit) */
        lo_[i] = i % 7 == 3 ? -INFINITY : -0.2f - (float)i * 0.1f;
        hi_[i] = i % 7 == 3 ? INFINITY : 0.1f + (float)i * 0.05f;
        vm[i] = i % 5 == 4 ? INFINITY : 0.5f + (float)i * 0.3f;
        am[i] = i % 4 == 1 ? 0 : i % 6 == 5 ? INFINITY : 5.0f + (float)i * 2;
    }
    lfd_filter_limits lm = {N, lo_, hi_, vm, am};
    lfd_filter_state st;
    lfd_err err = {0};
    CHECK_OK(lfd_filter_state_init(&st, N, &err), &err);
    float rp[N] = {0}, rv[N] = {0};
    int rhp = 0, rhv = 0;
    uint64_t s = 99;
    int compared = 0, held = 0;
    for (int k = 0; k < STEPS; k++) {
        float dt = k % 50 == 7 ? 0.001f : 0.02f;
        if (k % 97 == 0) {
            /* a fresh start: from nothing, from a pose (maybe outside the
               range, sometimes absurdly: what a client may send as
               prev_action or current) or from a pose and velocity */
            float cur[N], cv[N];
            for (int i = 0; i < N; i++) {
                cur[i] = (rnd(&s) - 0.5f) * 3;
                cv[i] = (rnd(&s) - 0.5f) * 4;
                float u = rnd(&s);
                if (u < 0.05f)
                    cur[i] = u < 0.025f ? 1e30f : -1e30f;
                else if (u < 0.1f)
                    cur[i] += u < 0.075f ? hi_[i] + 5 : lo_[i] - 5;
            }
            int how = k / 97 % 3;
            lfd_filter_state_reset(&st, N, how ? cur : NULL, how == 2 ? cv : NULL);
            for (int i = 0; i < N; i++) {
                rp[i] = how ? cur[i] : 0;
                rv[i] = how == 2 ? cv[i] : 0;
            }
            rhp = how != 0;
            rhv = how == 2;
        }
        float a[N], b[N], hold[N];
        for (int i = 0; i < N; i++) {
            /* mostly near the previous command, sometimes far off */
            float jump = rnd(&s) < 0.2f ? (rnd(&s) - 0.5f) * 4 : (rnd(&s) - 0.5f) * 0.05f;
            a[i] = b[i] = rp[i] + jump;
            hold[i] = i % 9 == 2 ? NAN : (rnd(&s) - 0.5f) * 5;
        }
        /* now and then a NaN or an infinity: the whole action holds */
        if (k % 41 == 5)
            a[k % N] = b[k % N] = k % 2 ? NAN : -INFINITY;
        const float *hp = k % 3 ? hold : NULL;
        uint8_t fa[N] = {0}, fb[N] = {0};
        lfd_filter_counts ca = {0}, cb = {0};
        int ra = lfd_filter_step(&lm, &st, a, dt, hp, fa, &ca);
        int rb = ref_step(&lm, rp, rv, &rhp, &rhv, b, dt, hp, fb, &cb);
        CHECK_EQ_INT(ra, rb);
        held += ra;
        CHECK(memcmp(a, b, sizeof a) == 0);
        for (int i = 0; i < N; i++)
            if (!(a[i] >= lo_[i] && a[i] <= hi_[i]))
                lfd_test_fail_at(__FILE__, __LINE__, "step %d joint %d: %g outside [%g, %g]", k,
                                 i, a[i], lo_[i], hi_[i]);
        CHECK(memcmp(st.prev, rp, sizeof rp) == 0);
        CHECK(memcmp(st.vel, rv, sizeof rv) == 0);
        CHECK(memcmp(fa, fb, sizeof fa) == 0);
        CHECK(memcmp(&ca, &cb, sizeof ca) == 0);
        CHECK_EQ_INT(st.have_prev, rhp);
        CHECK_EQ_INT(st.have_vel, rhv);
        compared++;
    }
    CHECK_EQ_INT(compared, STEPS);
    CHECK(held > 50);
    lfd_filter_state_free(&st);
}

/* a step time that a float cannot hold (or no time at all) still gives
   finite commands and velocities */
TEST(filter_keeps_extreme_step_times_finite)
{
    const double dts[] = {0, -1, NAN, 1e-300, 1e-12, 1e300, INFINITY};
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
        lfd_filter_state st;
        lfd_err err = {0};
        CHECK_OK(lfd_filter_state_init(&st, 3, &err), &err);
        float cur[3] = {0.1f, -0.1f, 0}, vel0[3] = {0.5f, 0, 0};
        lfd_filter_state_reset(&st, 3, cur, vel0);
        for (int k = 0; k < 3; k++) {
            float a[3] = {0.9f, -0.9f, 5};
            lfd_filter_step(&lim, &st, a, dts[d], NULL, NULL, NULL);
            for (int i = 0; i < 3; i++) {
                CHECK(isfinite(a[i]));
                CHECK(isfinite(st.vel[i]));
                CHECK(a[i] >= lo[i] && a[i] <= hi[i]);
            }
        }
        lfd_filter_state_free(&st);
    }
}

/* Limits and state for different joint counts never filter a prefix: the
   whole action holds and every joint is flagged; a reset beyond the state's
   capacity fails instead of being capped (found by review: n = min(lim->n,
   st->n) left joints 2 and 3 unfiltered, a NaN and 1e30 went to the motors). */
TEST(filter_holds_when_limits_and_state_sizes_differ)
{
    float lo4[4] = {-1, -1, -1, -1}, hi4[4] = {1, 1, 1, 1}, v4[4] = {1, 1, 1, 1},
          a4[4] = {0, 0, 0, 0};
    lfd_filter_limits lim4 = {4, lo4, hi4, v4, a4};
    lfd_filter_state st;
    lfd_err err = {0};
    CHECK_OK(lfd_filter_state_init(&st, 2, &err), &err);
    float cur[4] = {0.25f, -0.25f, 0, 0};
    CHECK(lfd_filter_state_reset(&st, 4, cur, NULL) == LFD_ELIMIT);
    float a[4] = {0.5f, 0.5f, NAN, 1e30f};
    uint8_t fl[4] = {0};
    lfd_filter_counts c = {0};
    CHECK_EQ_INT(lfd_filter_step(&lim4, &st, a, 0.002, NULL, fl, &c), 1);
    for (int i = 0; i < 4; i++) {
        CHECK(a[i] == 0.0f); /* no previous command: mid-range */
        CHECK(fl[i] & LFD_FILTER_SIZE);
    }
    CHECK_EQ_INT(c.held, 1);
    /* a state of 2 joints with a previous command holds it for those two */
    CHECK_OK(lfd_filter_state_reset(&st, 2, cur, NULL), &err);
    float b[4] = {0.5f, 0.5f, NAN, 1e30f};
    float hold[4] = {0, 0, 0.75f, 5};
    CHECK_EQ_INT(lfd_filter_step(&lim4, &st, b, 0.002, hold, NULL, NULL), 1);
    CHECK(b[0] == 0.25f && b[1] == -0.25f && b[2] == 0.75f && b[3] == 1.0f);
    /* the state is unchanged: with matching limits it filters as before */
    lfd_filter_limits lim2 = {2, lo4, hi4, v4, a4};
    float d[2] = {0.25f, -0.25f};
    CHECK_EQ_INT(lfd_filter_step(&lim2, &st, d, 0.002, NULL, NULL, NULL), 0);
    CHECK(d[0] == 0.25f && d[1] == -0.25f);
    lfd_filter_state_free(&st);
}
