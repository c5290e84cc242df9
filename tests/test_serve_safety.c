/*  The safety filter's starting point across a session's life (found by a
    review, 2026-12-07).  An act without prev_action is filtered from the
    command in force: the step of the session's last chunk that is due now.
    That must hold after a client says hello again on its session (a
    reconnect taking it over by its token), once the last chunk is over (the
    robot stands at its last step: velocity zero, not the chunk's last), and
    after the session expired and the C client opened a new one on its own
    inside an act.  Before, each of these started the filter with no
    previous command (only the joint range applied: a joint could jump to
    the policy's answer in one step) or with a stale velocity (the
    acceleration limit then carried the joint on past where it stood). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

enum { NO = 4, NA = 3, NC = 4 };

static uint8_t rbuf[1 << 16], tbuf[1 << 16];
static const char TOKEN[] = "0123456789abcdef0123456789abcdef";

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* one request on r; the act reply's actions into got; returns the reply type */
static int call_raw(th_raw *r, const lfd_buf *b, float *got, lfd_rep *rep)
{
    int k = th_raw_call(r, b->data, b->len, rbuf, sizeof rbuf, 5);
    lfd_err err;
    if (k <= 0 || lfd_rep_decode(rep, rbuf, (size_t)k, &err) != LFD_OK)
        return -1;
    if (rep->type == LFD_MSG_ACT && lfd_nd_get_f32(&rep->actions, got, NC * NA, 0, &err))
        return -1;
    return rep->type;
}

static int hello_raw(th_raw *r, uint64_t seq, const float *current)
{
    lfd_hello_req h = {.seq = seq, .policy = "arm", .obs_dim = NO, .act_dim = NA,
                       .obs_names = th_obs_names(), .act_names = th_act_names(),
                       .current = current, .session_token = TOKEN};
    lfd_buf b;
    lfd_err err;
    lfd_rep rep;
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    if (lfd_proto_encode_hello_req(&b, &h, &err))
        return -1;
    return call_raw(r, &b, NULL, &rep);
}

static int act_raw_prev(th_raw *r, uint64_t seq, const float *obs, const float *prev,
                        const float *prev_vel, float *got)
{
    lfd_buf b;
    lfd_rep rep;
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, seq, 0, obs, NO, prev, prev_vel, NA, NULL);
    return call_raw(r, &b, got, &rep);
}

static int act_raw(th_raw *r, uint64_t seq, const float *obs, float *got)
{
    return act_raw_prev(r, seq, obs, NULL, NULL, got);
}

/* the largest |a - b| over the joints */
static double dist(const float *a, const float *b)
{
    double d = 0;
    for (int j = 0; j < NA; j++)
        d = fmax(d, fabs((double)a[j] - (double)b[j]));
    return d;
}

/* the smallest distance from a to any step of chunk */
static double dist_to_chunk(const float *a, const float *chunk)
{
    double d = INFINITY;
    for (int k = 0; k < NC; k++)
        d = fmin(d, dist(a, chunk + k * NA));
    return d;
}

static const float OBS[NO] = {0.3f, -0.2f, 0.5f, 0.1f};

TEST(serve_rehello_on_a_session_keeps_its_rate_limit)
{
    lfd_policy *p = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    const double vel = 0.5, dt = 0.02; /* 1 cm of a joint per step */
    for (int j = 0; p && j < NA; j++)
        p->vel_limit[j] = (float)vel;
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    th_raw r1, r2;
    th_raw_open(&r1, ts.endpoint, 0);
    th_raw_open(&r2, ts.endpoint, 0);
    /* the robot at the range's low end, far from what the policy asks */
    float cur[NA] = {-1.9f, -1.9f, -1.9f}, c1[NC * NA], c2[NC * NA];
    CHECK_EQ_INT(hello_raw(&r1, 1, cur), LFD_MSG_HELLO);
    CHECK_EQ_INT(act_raw(&r1, 2, OBS, c1), LFD_MSG_ACT);
    CHECK(dist(c1, cur) <= vel * dt + 1e-6);
    /* the chunk is still rate-limited at its end: the policy's answer is
       farther than the chunk could go */
    CHECK(dist(c1 + (NC - 1) * NA, c1 + (NC - 2) * NA) > 0.9 * vel * dt);
    /* the same client reconnects (a new socket, its token) and acts
       without prev_action: its first step is within one step's velocity
       of where the chunk sent the robot */
    CHECK_EQ_INT(hello_raw(&r2, 3, NULL), LFD_MSG_HELLO);
    CHECK_EQ_INT(act_raw(&r2, 4, OBS, c2), LFD_MSG_ACT);
    double d = dist_to_chunk(c2, c1);
    if (d > vel * dt + 1e-6)
        fprintf(stderr, "    after the re-hello the first step is %.4f rad from the last chunk\n", d);
    CHECK(d <= vel * dt + 1e-6);
    /* a re-hello with current starts from current */
    float cur2[NA] = {1.9f, 1.9f, 1.9f};
    CHECK_EQ_INT(hello_raw(&r2, 5, cur2), LFD_MSG_HELLO);
    CHECK_EQ_INT(act_raw(&r2, 6, OBS, c2), LFD_MSG_ACT);
    CHECK(dist(c2, cur2) <= vel * dt + 1e-6);
    th_raw_close(&r1);
    th_raw_close(&r2);
    th_server_stop(&ts);
}

TEST(serve_act_after_its_chunk_is_over_starts_from_standstill)
{
    lfd_policy *p = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    const double acc = 2.0, dt = 0.02;
    for (int j = 0; p && j < NA; j++) {
        p->vel_limit[j] = 100.0f;
        p->acc_limit[j] = (float)acc;
    }
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    th_raw r;
    th_raw_open(&r, ts.endpoint, 0);
    float cur[NA] = {-1.9f, -1.9f, -1.9f}, still[NA] = {0, 0, 0}, c1[NC * NA], c2[NC * NA];
    CHECK_EQ_INT(hello_raw(&r, 1, NULL), LFD_MSG_HELLO);
    /* from rest at cur, the chunk speeds up as the acceleration limit lets
       it: its last step moves NC acc dt^2 */
    CHECK_EQ_INT(act_raw_prev(&r, 2, OBS, cur, still, c1), LFD_MSG_ACT);
    const float *last = c1 + (NC - 1) * NA;
    CHECK(dist(last, c1 + (NC - 2) * NA) > 0.9 * NC * acc * dt * dt);
    /* the robot has stood at the last step for a while when the next act
       comes: its first step starts from rest */
    sleep_s(0.3);
    CHECK_EQ_INT(act_raw(&r, 3, OBS, c2), LFD_MSG_ACT);
    double d = dist(c2, last);
    if (d > acc * dt * dt + 1e-6)
        fprintf(stderr, "    first step %.5f rad from the standing robot, from rest at most %.5f\n", d,
                acc * dt * dt);
    CHECK(d <= acc * dt * dt + 1e-6);
    th_raw_close(&r);
    th_server_stop(&ts);
}

TEST(serve_client_rehello_after_expiry_says_where_the_robot_is)
{
    lfd_policy *p = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    lfd_policy *ref = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    const double vel = 0.5, dt = 0.02;
    for (int j = 0; p && ref && j < NA; j++)
        p->vel_limit[j] = ref->vel_limit[j] = (float)vel;
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.idle_s = 0.3;
    th_server ts;
    if (!ref || th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_policy_free(&ref);
        return;
    }
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    lfd_client *c = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    float cur[NA] = {-1.9f, -1.9f, -1.9f}, c1[NC * NA], c2[NC * NA];
    if (c) {
        CHECK_OK(lfd_client_reset(c, cur, &err), &err);
        CHECK_OK(lfd_client_act(c, OBS, NULL, c1, NULL, &err), &err);
        CHECK(dist(c1, cur) <= vel * dt + 1e-6);
        /* the session expires; the next act says hello again inside */
        sleep_s(1.5);
        CHECK_OK(lfd_client_act(c, OBS, NULL, c2, NULL, &err), &err);
        double d = dist(c2, c1 + (NC - 1) * NA);
        if (d > vel * dt + 1e-6)
            fprintf(stderr, "    after the expiry the first step is %.4f rad from the last chunk's end\n", d);
        CHECK(d <= vel * dt + 1e-6);
        lfd_client_free(&c);
    }
    lfd_policy_free(&ref);
    th_server_stop(&ts);
}

/* The C client's two loops hand the command in force to each other: a
   synchronous act without prev_action after the real-time loop stopped is
   filtered from the loop's last command (found by review: the chunk
   remembered from before the loop pulled the joints back to where the robot
   stood then, 1.46 rad in one 0.02 s step), and the loop's first tick steps
   one period from the start pose (it stepped the whole time since boot, so
   the client's velocity limit did nothing on it: a first tick that comes
   once the first chunk is over played the chunk's last step, NC steps
   away). */
TEST(serve_client_loops_hand_over_the_command_in_force)
{
    lfd_policy *p = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    lfd_policy *ref = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    const double vel = 0.5, dt = 0.02, tol = 1e-5;
    for (int j = 0; p && ref && j < NA; j++) {
        p->vel_limit[j] = (float)vel;
        p->acc_limit[j] = 0;
        ref->vel_limit[j] = (float)vel;
        ref->acc_limit[j] = 0;
    }
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (!ref || th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_policy_free(&ref);
        return;
    }
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    lfd_client *c = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    float A[NA] = {-1.9f, -1.9f, -1.9f}, B[NA] = {1.2f, 1.2f, 1.2f}, c1[NC * NA], c2[NC * NA], a[NA];
    if (c) {
        /* a synchronous act at A, then the loop started at B */
        CHECK_OK(lfd_client_reset(c, A, &err), &err);
        CHECK_OK(lfd_client_act(c, OBS, NULL, c1, NULL, &err), &err);
        CHECK(dist(c1, A) <= vel * dt + tol);
        CHECK_OK(lfd_client_start(c, B, &err), &err);
        /* the first chunk arrives, and is over, before the first tick (two
           periods late: the loop plays its last step) */
        lfd_client_counters n0 = {0}, n = {0};
        lfd_client_get_counters(c, &n0); /* the synchronous act's reply is counted already */
        double t_obs = lfd_client_now_s();
        lfd_client_put_obs(c, OBS, t_obs);
        for (int i = 0; i < 2500 && n.replies <= n0.replies; i++) {
            sleep_s(0.002);
            lfd_client_get_counters(c, &n);
        }
        double t = t_obs + (NC + 1) * dt;
        int st = lfd_client_get_action(c, t, a, NULL);
        CHECK_EQ_INT(st, LFD_TICK_LATE);
        double d0 = dist(a, B);
        if (d0 > vel * dt + tol)
            fprintf(stderr, "    the loop's first tick (state %d) is %.4f rad from the start pose\n", st, d0);
        CHECK(d0 <= vel * dt + tol);
        for (int i = 0; i < 100; i++) {
            sleep_s(0.002);
            t = lfd_client_now_s();
            lfd_client_put_obs(c, OBS, t);
            lfd_client_get_action(c, t, a, NULL);
        }
        lfd_client_stop(c);
        /* the loop's last command is where the robot is */
        CHECK_OK(lfd_client_act(c, OBS, NULL, c2, NULL, &err), &err);
        double d = dist(c2, a);
        if (d > vel * dt + tol)
            fprintf(stderr, "    after the loop the first step is %.4f rad from its last command\n", d);
        CHECK(d <= vel * dt + tol);
        lfd_client_free(&c);
    }
    lfd_policy_free(&ref);
    th_server_stop(&ts);
}

/* A reload that changes the control period (or the robot, or its model)
   ends the sessions on that policy (schema_changed, so clients hello again
   and learn the new period): a client playing a chunk's steps at the old
   period would move the joints at twice their limit when it doubles.
   Before, only the observation and action schema and the chunk counted. */
TEST(serve_reload_changing_the_control_period_ends_sessions)
{
    lfd_err err = {0};
    const char *dir = lfd_test_tmpdir();
    char served[1100], next[1100];
    snprintf(served, sizeof served, "%s/period_served.lfdp", dir);
    snprintf(next, sizeof next, "%s/period_next.lfdp", dir);
    lfd_policy *a = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    lfd_policy *b = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    if (!a || !b) {
        lfd_policy_free(&a);
        lfd_policy_free(&b);
        return;
    }
    b->control_period_s = 0.04;
    CHECK_OK(lfd_policy_save(a, served, &err), &err);
    CHECK_OK(lfd_policy_save(b, next, &err), &err);
    lfd_policy_free(&b);
    lfd_policy *p;
    CHECK_OK(lfd_policy_load(&p, served, &err), &err);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.watch = 1;
    cfg.watch_interval_s = 0.02;
    th_server ts;
    const char *paths[1] = {served};
    if (th_server_start(&ts, &cfg, &p, 1, paths)) {
        lfd_policy_free(&a);
        return;
    }
    th_raw r;
    th_raw_open(&r, ts.endpoint, 0);
    float got[NC * NA];
    CHECK_EQ_INT(hello_raw(&r, 1, NULL), LFD_MSG_HELLO);
    CHECK_EQ_INT(act_raw(&r, 2, OBS, got), LFD_MSG_ACT);
    /* and lfd's C client, on its own session */
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, a);
    lfd_client *c = NULL;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    lfd_act_info ai;
    float cgot[NC * NA];
    if (c)
        CHECK_OK(lfd_client_act(c, OBS, NULL, cgot, &ai, &err), &err);
    CHECK_EQ_INT(rename(next, served), 0);
    int code = LFD_PE_NONE;
    for (int i = 3; i < 300 && code == LFD_PE_NONE; i++) {
        sleep_s(0.01);
        lfd_buf b2;
        lfd_buf_init_fixed(&b2, tbuf, sizeof tbuf);
        lfd_proto_encode_act_req(&b2, (uint64_t)i, 0, OBS, NO, NULL, NULL, NA, NULL);
        int k = th_raw_call(&r, b2.data, b2.len, rbuf, sizeof rbuf, 5);
        code = k > 0 ? th_error_code(rbuf, (size_t)k, NULL, 0) : LFD_PE_COUNT;
    }
    CHECK_EQ_INT(code, LFD_PE_SCHEMA_CHANGED);
    /* the C client is told schema_changed too and says hello again; the
       new period is refused, as a new chunk is, instead of its chunks'
       steps being played at the old one (before, the re-hello kept 0.02 s
       and a chunk's 0.32 rad step went out as 16 rad/s) */
    if (c) {
        CHECK(lfd_client_act(c, OBS, NULL, cgot, &ai, &err) == LFD_EMISMATCH);
        CHECK_CONTAINS(err.msg, "control period changed from 0.02 s to 0.04 s");
    }
    lfd_client_free(&c);
    th_raw_close(&r);
    th_server_stop(&ts);
    lfd_policy_free(&a);
}

/* An error that quotes what the client sent stays well-formed UTF-8: msgpack
   str must be, and the Python client decodes str strictly (it raised a
   decoding error instead of the server's error).  A request whose type is
   not UTF-8 is answered unknown_type with '?' for the bad bytes. */
TEST(serve_error_quoting_a_client_stays_utf8)
{
    lfd_policy *p = th_mlp_policy("arm", NO, NA, NC, 8, 5, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    th_raw r;
    th_raw_open(&r, ts.endpoint, 0);
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 4);
    lfd_mp_pack_cstr(&pk, "v");
    msgpack_pack_int(&pk, LFD_PROTO_VERSION);
    lfd_mp_pack_cstr(&pk, "type");
    lfd_mp_pack_strn(&pk, "a\xff\xc3" "b\xe2\x82", 6); /* a stray byte, two cut characters */
    lfd_mp_pack_cstr(&pk, "seq");
    msgpack_pack_uint64(&pk, 1);
    lfd_mp_pack_cstr(&pk, "t");
    msgpack_pack_double(&pk, 0);
    int k = th_raw_call(&r, b.data, b.len, rbuf, sizeof rbuf, 5);
    char msg[1024] = "";
    CHECK(k > 0);
    if (k > 0)
        CHECK_EQ_INT(th_error_code(rbuf, (size_t)k, msg, sizeof msg), LFD_PE_UNKNOWN_TYPE);
    CHECK_CONTAINS(msg, "unknown request type 'a?" "?b?" "?'");
    for (const unsigned char *q = (const unsigned char *)msg; *q; q++)
        CHECK(*q < 0x80); /* here all of it ASCII */
    th_raw_close(&r);
    th_server_stop(&ts);
}
