/*  The per-message path allocates nothing: proof by counting.

    How: the test binary is linked with -Wl,--wrap=malloc,calloc,realloc
    (Makefile, TEST_WRAP), so every call to those from lfd's own code -- the
    library and the tests, which are linked statically -- goes through the
    counting wrappers below before reaching the real allocator (glibc's, or
    ASan's under `make asan`).  Shared libraries (libzmq, OpenBLAS, libc) are
    not counted: libzmq allocates message bodies larger than 33 bytes inside
    zmq_msg_recv/zmq_send, and OpenBLAS keeps its own preallocated buffer
    pool; neither is lfd's code.

    Two tests: the codec path alone (decode, normalise, infer, filter,
    encode, and the client's reply decode), and the live path through
    ZeroMQ with a server thread and a client in this process (request/reply
    and real-time reads), both after a warm-up. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/lfd_log.h"
#include "runtime/lfd_filter.h"
#include "runtime/lfd_proto.h"
#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

static atomic_long g_allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    atomic_fetch_add_explicit(&g_allocs, 1, memory_order_relaxed);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    atomic_fetch_add_explicit(&g_allocs, 1, memory_order_relaxed);
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&g_allocs, 1, memory_order_relaxed);
    return __real_realloc(p, n);
}

static long allocs(void) { return atomic_load(&g_allocs); }

TEST(serve_alloc_counter_counts)
{
    /* the counter must see lfd's allocations, or the tests below prove nothing */
    long a0 = allocs();
    lfd_filter_state st;
    lfd_err err;
    CHECK_OK(lfd_filter_state_init(&st, 4, &err), &err);
    CHECK(allocs() > a0);
    lfd_filter_state_free(&st);
}

TEST(serve_alloc_none_per_message_in_the_codec_path)
{
    lfd_err err = {0};
    int no = 70, na = 19, nc = 10;
    lfd_policy *p = th_mlp_policy("walk", no, na, nc, 64, 5, NULL);
    lfd_policy_ws *ws;
    CHECK_OK(lfd_policy_ws_new(&ws, p, &err), &err);
    size_t nws = lfd_mlp_ws_floats(p->mlp, 1);
    float *mws = calloc(nws, sizeof(float)), *obs = calloc((size_t)no, sizeof(float));
    float *obs_n = calloc((size_t)no, sizeof(float)), *chunk = calloc((size_t)(na * nc), sizeof(float));
    float *prev = calloc((size_t)na, sizeof(float));
    uint8_t *flags = calloc((size_t)na, 1);
    static uint8_t req[1 << 14], rep[1 << 14];
    lfd_filter_state st;
    CHECK_OK(lfd_filter_state_init(&st, na, &err), &err);
    lfd_filter_limits lim = {na, p->act_lo, p->act_hi, p->vel_limit, p->acc_limit};
    for (int i = 0; i < no; i++)
        obs[i] = (float)sin(i);
    long before = 0;
    for (int it = 0; it < 1100; it++) {
        if (it == 100)
            before = allocs(); /* after a warm-up */
        /* client: encode the request */
        lfd_buf b;
        lfd_buf_init_fixed(&b, req, sizeof req);
        obs[0] = (float)it * 1e-3f;
        CHECK(lfd_proto_encode_act_req(&b, (uint64_t)it + 1, 1.0, obs, no, prev, NULL, na,
                                       &err) == LFD_OK);
        size_t reqlen = b.len;
        /* server: decode, normalise, infer, filter, encode */
        lfd_req rq;
        lfd_proto_error pe;
        CHECK(lfd_req_decode(&rq, req, reqlen, &pe, &err) == LFD_OK);
        CHECK(lfd_proto_get_vec(&rq.obs, obs_n, no, 0, "obs", &err) == LFD_OK);
        CHECK(lfd_proto_get_vec(&rq.prev_action, prev, na, 1, "prev", &err) == LFD_OK);
        for (int i = 0; i < no; i++)
            obs_n[i] = (obs_n[i] - p->obs_mean[i]) / p->obs_std[i];
        lfd_mlp_forward(p->mlp, mws, obs_n, chunk);
        CHECK(lfd_policy_step(p, ws, obs, chunk, &err) == LFD_OK);
        lfd_filter_counts cnt = {0};
        lfd_filter_state_reset(&st, na, prev, NULL);
        for (int k = 0; k < nc; k++)
            lfd_filter_step(&lim, &st, chunk + k * na, p->control_period_s, p->default_action,
                            flags, &cnt);
        lfd_act_out o = {.seq = rq.seq, .t_s = 1, .hash = "h", .actions = chunk, .chunk = nc,
                         .act_dim = na, .reason = "", .flags = flags, .counts = cnt};
        lfd_buf_init_fixed(&b, rep, sizeof rep);
        CHECK(lfd_proto_encode_act_rep(&b, &o, lfd_now_ns(), NULL, &err) == LFD_OK);
        /* client: decode the reply */
        lfd_rep r;
        CHECK(lfd_rep_decode(&r, rep, b.len, &err) == LFD_OK);
        CHECK(lfd_nd_get_f32(&r.actions, chunk, (size_t)(na * nc), 0, &err) == LFD_OK);
        memcpy(prev, chunk, (size_t)na * sizeof(float));
    }
    long n = allocs() - before;
    CHECK_EQ_INT(n, 0);
    lfd_filter_state_free(&st);
    lfd_policy_ws_free(&ws);
    free(mws);
    free(obs);
    free(obs_n);
    free(chunk);
    free(prev);
    free(flags);
    lfd_policy_free(&p);
}

TEST(serve_alloc_none_per_message_through_zeromq)
{
    lfd_err err = {0};
    lfd_policy *p = th_mlp_policy("walk", 70, 19, 10, 64, 5, NULL);
    lfd_policy *ref = th_mlp_policy("walk", 70, 19, 10, 64, 5, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    lfd_client *c;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    if (!c) {
        th_server_stop(&ts);
        return;
    }
    float obs[70] = {0}, prev[19] = {0}, chunk[190];
    lfd_act_info ai;
    long before = 0;
    for (int it = 0; it < 400; it++) {
        if (it == 100)
            before = allocs();
        obs[3] = (float)it * 1e-3f;
        if (lfd_client_act(c, obs, prev, chunk, &ai, &err) != LFD_OK) {
            lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
            break;
        }
    }
    CHECK_EQ_INT(allocs() - before, 0);
    /* the real-time reads (the background thread runs meanwhile) */
    CHECK_OK(lfd_client_start(c, prev, &err), &err);
    double t0 = lfd_client_now_s();
    float a[19];
    int ok = 0;
    for (int i = 0; i < 400; i++) {
        if (i == 100)
            before = allocs();
        double t = lfd_client_now_s();
        lfd_client_put_obs(c, obs, t);
        ok += lfd_client_get_action(c, t, a, NULL) == LFD_TICK_OK;
        usleep(1000);
    }
    (void)t0;
    CHECK_EQ_INT(allocs() - before, 0);
    CHECK(ok > 0);
    lfd_client_stop(c);
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}
