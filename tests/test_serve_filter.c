/*  Tests of the safety filter (runtime/lfd_filter): clamping to joint
    ranges, velocity and acceleration limits relative to the previous
    command, holding on NaN, and what it reports. */
#include <math.h>

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
    /* a robot outside its range comes back at the velocity limit, not by a jump */
    float out[3] = {1.5f, 0, 0};
    lfd_filter_state_reset(&st, 3, out, NULL);
    float d[3] = {0.9f, 0, 0};
    memset(fl, 0, sizeof fl);
    lfd_filter_step(&lim, &st, d, 0.01, NULL, fl, NULL);
    CHECK_NEAR(d[0], 1.48, 1e-6);
    CHECK(fl[0] & LFD_FILTER_VEL);
    lfd_filter_state_free(&st);
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
