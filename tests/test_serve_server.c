/*  Server conformance tests (runtime/lfd_server + runtime/lfd_client), on an
    in-process server over loopback TCP with an ephemeral port: every
    message type, every error code, schema mismatch refused at hello,
    actions equal to the policy followed by the safety filter, hold on
    policy failure and deadline, several policies by name, REQ clients,
    session limits, and misbehaving clients that must not stall others. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>

#include "core/lfd_log.h"
#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

static uint8_t rbuf[1 << 17], tbuf[1 << 17];

static void loopback_cfg(lfd_server_config *cfg)
{
    lfd_server_config_init(cfg);
    cfg->bind = "tcp://127.0.0.1:*";
}

/* The reference answer: the policy's step, then the filter from prev. */
static void reference(const lfd_policy *p, const float *obs, const float *prev, float *chunk,
                      uint8_t *flags)
{
    lfd_err err;
    lfd_policy_ws *ws;
    lfd_policy_ws_new(&ws, p, &err);
    lfd_policy_step(p, ws, obs, chunk, &err);
    lfd_policy_ws_free(&ws);
    lfd_filter_state st;
    lfd_filter_state_init(&st, p->act_dim, &err);
    lfd_filter_state_reset(&st, p->act_dim, prev, NULL);
    lfd_filter_limits lim = {p->act_dim, p->act_lo, p->act_hi, p->vel_limit, p->acc_limit};
    memset(flags, 0, (size_t)p->act_dim);
    for (int k = 0; k < p->chunk; k++)
        lfd_filter_step(&lim, &st, chunk + k * p->act_dim, p->control_period_s,
                        p->default_action, flags, NULL);
    lfd_filter_state_free(&st);
}

static void fill_obs(float *obs, int n, int k)
{
    for (int i = 0; i < n; i++)
        obs[i] = (float)sin(0.37 * i + 0.11 * k) * 1.5f;
}

TEST(serve_act_equals_policy_then_filter)
{
    lfd_policy *p = th_mlp_policy("walk", 8, 5, 4, 32, 11, "walk.lfdp");
    lfd_policy *copy = th_mlp_policy("walk", 8, 5, 4, 32, 11, NULL);
    snprintf(copy->hash, sizeof copy->hash, "%s", p->hash);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, copy);
    cc.filter = 0; /* compare the server's output itself */
    lfd_client *c;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    if (!c) {
        th_server_stop(&ts);
        return;
    }
    const lfd_client_policy *info = lfd_client_policy_info(c);
    CHECK_STR(info->name, "walk");
    CHECK_STR(info->hash, copy->hash);
    CHECK_EQ_INT(info->chunk, 4);
    CHECK_NEAR(info->control_period_s, 0.02, 1e-12);
    CHECK_NEAR(info->act_hi[2], 2.0, 0);
    CHECK_NEAR(info->default_action[3], 0.15, 1e-6);
    CHECK_STR(info->norm, "meanstd");
    float obs[8], prev[5] = {0.1f, -0.1f, 0.3f, 0, 0.5f}, got[20], want[20];
    uint8_t wflags[5];
    int filtered = 0;
    for (int k = 0; k < 30; k++) {
        fill_obs(obs, 8, k);
        lfd_act_info ai;
        CHECK_OK(lfd_client_act(c, obs, prev, got, &ai, &err), &err);
        reference(copy, obs, prev, want, wflags);
        for (int i = 0; i < 20; i++)
            CHECK_NEAR(got[i], want[i], 1e-6);
        for (int j = 0; j < 5; j++) {
            CHECK_EQ_INT(ai.flags[j], wflags[j]);
            filtered += wflags[j] != 0;
        }
        CHECK_EQ_INT(ai.hold, 0);
        CHECK_STR(ai.hash, copy->hash);
        CHECK_EQ_INT(ai.timing.batch, 1);
        CHECK(ai.timing.infer_us > 0);
        CHECK(ai.timing.encode_us > 0);
        memcpy(prev, got + 5, sizeof prev);
    }
    CHECK(filtered > 0); /* the test policy does ask for more than the limits */
    /* ping, reset, stats */
    double rtt = 0;
    CHECK_OK(lfd_client_ping(c, &rtt, &err), &err);
    CHECK(rtt > 0);
    CHECK_OK(lfd_client_reset(c, prev, &err), &err);
    char js[8192];
    CHECK_OK(lfd_client_stats(c, js, sizeof js, &err), &err);
    CHECK_CONTAINS(js, "\"acts\":30");
    CHECK_CONTAINS(js, "\"policy\":\"walk\"");
    CHECK_CONTAINS(js, "\"type\":\"stats\"");
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&copy);
}

/* a residual policy (each row = previous action + a learnt change, read
   from the observation's prev block) is served exactly as lfd_policy_step
   computes it, then filtered */
TEST(serve_residual_policy_equals_policy_then_filter)
{
    lfd_err err = {0};
    lfd_policy *p = th_mlp_policy("res", 8, 5, 4, 32, 12, NULL), *srv = NULL, *copy = NULL;
    for (int j = 0; j < 5; j++)
        snprintf(p->obs_names[3 + j], sizeof p->obs_names[3 + j], "prev.%s", p->act_names[j]);
    float dm[5] = {0.01f, 0, -0.01f, 0.02f, 0}, ds[5] = {0.05f, 0.1f, 0.02f, 0.08f, 0.03f};
    CHECK_OK(lfd_policy_set_action_mode(p, LFD_ACTION_RESIDUAL, dm, ds, &err), &err);
    char path[512];
    snprintf(path, sizeof path, "%s/res.lfdp", lfd_test_tmpdir());
    CHECK_OK(lfd_policy_save(p, path, &err), &err);
    CHECK_OK(lfd_policy_load(&srv, path, &err), &err);
    CHECK_OK(lfd_policy_load(&copy, path, &err), &err);
    lfd_policy_free(&p);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    th_server ts;
    if (th_server_start(&ts, &cfg, &srv, 1, NULL)) {
        lfd_policy_free(&copy);
        return;
    }
    const char *on[8];
    for (int i = 0; i < 8; i++)
        on[i] = copy->obs_names[i];
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, copy);
    cc.obs_names = on;
    cc.filter = 0;
    lfd_client *c;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    if (!c) {
        th_server_stop(&ts);
        lfd_policy_free(&copy);
        return;
    }
    float obs[8], prev[5] = {0.1f, -0.1f, 0.3f, 0, 0.5f}, got[20], want[20];
    uint8_t wflags[5];
    for (int k = 0; k < 20; k++) {
        /* the observation's prev block is the previous action minus the default */
        fill_obs(obs, 8, k);
        for (int j = 0; j < 5; j++)
            obs[3 + j] = prev[j] - copy->default_action[j];
        lfd_act_info ai;
        CHECK_OK(lfd_client_act(c, obs, prev, got, &ai, &err), &err);
        reference(copy, obs, prev, want, wflags);
        for (int i = 0; i < 20; i++)
            CHECK_NEAR(got[i], want[i], 1e-6);
        CHECK_EQ_INT(ai.hold, 0);
        memcpy(prev, got + 5, sizeof prev);
    }
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&copy);
}

/* hello with probe, and a hello whose schema differs in each possible way */
TEST(serve_hello_describes_and_refuses_mismatched_schema)
{
    lfd_policy *p = th_mlp_policy("arm", 4, 3, 2, 8, 3, "arm.lfdp");
    lfd_policy *ref = th_mlp_policy("arm", 4, 3, 2, 8, 3, NULL);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    th_raw r;
    th_raw_open(&r, ts.endpoint, 0);
    lfd_buf b;
    lfd_err err = {0};
    lfd_hello_req h = {.seq = 1, .policy = "arm", .probe = 1};
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    CHECK_OK(lfd_proto_encode_hello_req(&b, &h, &err), &err);
    int n = th_raw_call(&r, b.data, b.len, rbuf, sizeof rbuf, 5);
    CHECK(n > 0);
    lfd_rep rep;
    CHECK_OK(lfd_rep_decode(&rep, rbuf, (size_t)n, &err), &err);
    CHECK_EQ_INT(rep.type, LFD_MSG_HELLO);
    CHECK_EQ_INT(rep.session, 0);
    CHECK_EQ_INT(rep.chunk, 2);
    CHECK_EQ_INT(rep.obs_names.n, 4);
    CHECK_EQ_INT(rep.act_units.n, 3);
    CHECK(rep.has_limits && rep.has_lineage);
    CHECK(lfd_mp_key_is(rep.norm, rep.norm_len, "meanstd"));
    CHECK(lfd_mp_key_is(rep.kind, rep.kind_len, "mlp"));
    CHECK(lfd_mp_key_is(rep.robot, rep.robot_len, "toy"));
    CHECK_EQ_INT(rep.hash_len, 64);
    CHECK_EQ_INT(rep.policies.n, 1);
    CHECK_EQ_INT(rep.max_msg_bytes, (int64_t)LFD_PROTO_MAX_MSG_DEFAULT);
    /* a probe opens no session: act is refused */
    float obs[4] = {0};
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 2, 0, obs, 4, NULL, NULL, 3, &err);
    n = th_raw_call(&r, b.data, b.len, rbuf, sizeof rbuf, 5);
    CHECK_EQ_INT(th_error_code(rbuf, (size_t)n, NULL, 0), LFD_PE_NO_SESSION);

    /* the C client is refused at hello for each kind of difference */
    lfd_client_config cc;
    lfd_client *c = NULL;
    const char *wrong_act[3] = {"a0", "a1", "elbow"}, *units_m[4] = {"m", "m", "m", "m"};
    th_client_config(&cc, ts.endpoint, ref);
    cc.policy = "arm";
    cc.obs_dim = 4;
    cc.act_dim = 3;
    cc.act_names = wrong_act;
    CHECK(lfd_client_new(&c, &cc, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "schema_mismatch");
    CHECK_CONTAINS(err.msg, "act_names[2] is 'elbow', the policy has 'a2'");
    cc.act_names = th_act_names();
    cc.obs_dim = 5;
    CHECK(lfd_client_new(&c, &cc, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "obs_names has 5 entries, the policy has 4");
    cc.obs_dim = 4;
    cc.obs_units = units_m;
    CHECK(lfd_client_new(&c, &cc, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "obs_units[0] is 'm', the policy has 'u'");
    cc.obs_units = NULL;
    cc.robot = "h1";
    CHECK(lfd_client_new(&c, &cc, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "for robot 'toy', not 'h1'");
    cc.robot = NULL;
    cc.policy = "leg";
    CHECK(lfd_client_new(&c, &cc, &err) == LFD_EARG);
    CHECK_CONTAINS(err.msg, "no policy 'leg' is served here; served: arm");
    cc.policy = "arm";
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    lfd_client_free(&c);
    th_raw_close(&r);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

/* sends bytes on a raw socket and returns the error code of the reply */
static lfd_proto_error raw_code(th_raw *r, const void *d, size_t n, char *msg, size_t msgsz)
{
    int k = th_raw_call(r, d, n, rbuf, sizeof rbuf, 5);
    if (k <= 0) {
        snprintf(msg, msgsz, "no reply");
        return LFD_PE_COUNT;
    }
    return th_error_code(rbuf, (size_t)k, msg, msgsz);
}

static size_t hello_for(lfd_buf *b, uint64_t seq, const char *policy, int obs, int act)
{
    lfd_hello_req h = {.seq = seq, .policy = policy, .obs_dim = obs, .act_dim = act,
                       .obs_names = th_obs_names(), .act_names = th_act_names()};
    lfd_buf_init_fixed(b, tbuf, sizeof tbuf);
    lfd_proto_encode_hello_req(b, &h, NULL);
    return b->len;
}

TEST(serve_answers_every_error_code)
{
    lfd_policy *p = th_mlp_policy("arm", 4, 3, 2, 8, 3, NULL);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    cfg.max_sessions = 1;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    th_raw r, r2;
    th_raw_open(&r, ts.endpoint, 0);
    th_raw_open(&r2, ts.endpoint, 0);
    char msg[600];
    lfd_buf b;
    lfd_err err;
    /* bad_message: garbage, a truncated message, a msgpack array */
    CHECK_EQ_INT(raw_code(&r, "\xc1garbage", 8, msg, sizeof msg), LFD_PE_BAD_MESSAGE);
    size_t n = hello_for(&b, 1, "arm", 4, 3);
    CHECK_EQ_INT(raw_code(&r, tbuf, n - 3, msg, sizeof msg), LFD_PE_BAD_MESSAGE);
    CHECK_CONTAINS(msg, "truncated");
    CHECK_EQ_INT(raw_code(&r, "\x92\x01\x02", 3, msg, sizeof msg), LFD_PE_BAD_MESSAGE);
    /* too_large: answered without being parsed */
    static uint8_t big[100000];
    memset(big, 0xc1, sizeof big);
    CHECK_EQ_INT(raw_code(&r, big, sizeof big, msg, sizeof msg), LFD_PE_TOO_LARGE);
    CHECK_CONTAINS(msg, "100000 bytes");
    {
        /* a too-large message whose seq can be read is answered with that
           seq (it was 0, which clients drop as another request's answer:
           lfd's own Python client timed out instead of reporting too_large) */
        static uint8_t bigm[110000];
        static uint8_t pad[100000];
        lfd_buf bb;
        msgpack_packer bp;
        lfd_buf_init_fixed(&bb, bigm, sizeof bigm);
        lfd_packer_init(&bp, &bb);
        msgpack_pack_map(&bp, 5);
        lfd_mp_pack_cstr(&bp, "pad");
        msgpack_pack_bin(&bp, sizeof pad);
        msgpack_pack_bin_body(&bp, pad, sizeof pad);
        lfd_mp_pack_cstr(&bp, "v");
        msgpack_pack_int(&bp, 1);
        lfd_mp_pack_cstr(&bp, "type");
        lfd_mp_pack_cstr(&bp, "ping");
        lfd_mp_pack_cstr(&bp, "seq");
        msgpack_pack_int(&bp, 9);
        lfd_mp_pack_cstr(&bp, "t");
        msgpack_pack_double(&bp, 0);
        int kb = th_raw_call(&r, bb.data, bb.len, rbuf, sizeof rbuf, 5);
        lfd_rep rb;
        CHECK(kb > 0 && lfd_rep_decode(&rb, rbuf, (size_t)kb, &err) == LFD_OK);
        CHECK_EQ_INT(rb.code, LFD_PE_TOO_LARGE);
        CHECK_EQ_INT(rb.seq, 9);
    }
    /* bad_envelope: two frames */
    zmq_send(r.sock, "a", 1, ZMQ_SNDMORE);
    CHECK_EQ_INT(raw_code(&r, "b", 1, msg, sizeof msg), LFD_PE_BAD_ENVELOPE);
    /* version, unknown_type */
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 4);
    lfd_mp_pack_cstr(&pk, "v");
    msgpack_pack_int(&pk, 3);
    lfd_mp_pack_cstr(&pk, "type");
    lfd_mp_pack_cstr(&pk, "act");
    lfd_mp_pack_cstr(&pk, "seq");
    msgpack_pack_int(&pk, 77);
    lfd_mp_pack_cstr(&pk, "t");
    msgpack_pack_double(&pk, 0);
    int k = th_raw_call(&r, b.data, b.len, rbuf, sizeof rbuf, 5);
    lfd_rep rep;
    CHECK(k > 0 && lfd_rep_decode(&rep, rbuf, (size_t)k, &err) == LFD_OK);
    CHECK_EQ_INT(rep.code, LFD_PE_VERSION);
    CHECK_EQ_INT(rep.seq, 77); /* the seq is echoed even for a refused message */
    b.data[3] = 1;             /* v: 1 (positive fixint right after the key) */
    b.len = 0;
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 0, LFD_MSG_PONG, 5, 0);
    CHECK_EQ_INT(raw_code(&r, b.data, b.len, msg, sizeof msg), LFD_PE_UNKNOWN_TYPE);
    /* unknown_policy, no_session */
    n = hello_for(&b, 2, "nope", 4, 3);
    CHECK_EQ_INT(raw_code(&r, tbuf, n, msg, sizeof msg), LFD_PE_UNKNOWN_POLICY);
    float obs[4] = {0}, wide[6] = {0};
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 3, 0, obs, 4, NULL, NULL, 3, NULL);
    CHECK_EQ_INT(raw_code(&r, b.data, b.len, msg, sizeof msg), LFD_PE_NO_SESSION);
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_simple_req(&b, LFD_MSG_RESET, 3, 0, NULL, 3, NULL);
    CHECK_EQ_INT(raw_code(&r, b.data, b.len, msg, sizeof msg), LFD_PE_NO_SESSION);
    /* schema_mismatch */
    n = hello_for(&b, 4, "arm", 4, 2);
    CHECK_EQ_INT(raw_code(&r, tbuf, n, msg, sizeof msg), LFD_PE_SCHEMA_MISMATCH);
    /* a session; then bad_observation and out_of_order */
    n = hello_for(&b, 10, "arm", 4, 3);
    CHECK_EQ_INT(raw_code(&r, tbuf, n, msg, sizeof msg), LFD_PE_NONE);
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 11, 0, wide, 6, NULL, NULL, 3, NULL);
    CHECK_EQ_INT(raw_code(&r, b.data, b.len, msg, sizeof msg), LFD_PE_BAD_OBSERVATION);
    CHECK_CONTAINS(msg, "expected (4)");
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 10, 0, obs, 4, NULL, NULL, 3, NULL);
    CHECK_EQ_INT(raw_code(&r, b.data, b.len, msg, sizeof msg), LFD_PE_OUT_OF_ORDER);
    /* a prev_action of the wrong width */
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 12, 0, obs, 4, wide, NULL, 6, NULL);
    CHECK_EQ_INT(raw_code(&r, b.data, b.len, msg, sizeof msg), LFD_PE_BAD_MESSAGE);
    /* a full table (one session allowed): a second client's hello ends the
       least recently active session instead of being refused */
    n = hello_for(&b, 1, "arm", 4, 3);
    CHECK_EQ_INT(raw_code(&r2, tbuf, n, msg, sizeof msg), LFD_PE_NONE);
    /* hello's seq is checked against an open session too */
    CHECK_EQ_INT(raw_code(&r2, tbuf, n, msg, sizeof msg), LFD_PE_OUT_OF_ORDER);
    CHECK_CONTAINS(msg, "hello seq 1 is not above this session's last seq 1");
    /* the first client lost its session; it says hello again and acts */
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 13, 0, obs, 4, NULL, NULL, 3, NULL);
    CHECK_EQ_INT(raw_code(&r, b.data, b.len, msg, sizeof msg), LFD_PE_NO_SESSION);
    n = hello_for(&b, 14, "arm", 4, 3);
    CHECK_EQ_INT(raw_code(&r, tbuf, n, msg, sizeof msg), LFD_PE_NONE);
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 15, 0, obs, 4, NULL, NULL, 3, NULL);
    k = th_raw_call(&r, b.data, b.len, rbuf, sizeof rbuf, 5);
    CHECK(k > 0 && lfd_rep_decode(&rep, rbuf, (size_t)k, &err) == LFD_OK);
    CHECK_EQ_INT(rep.type, LFD_MSG_ACT);
    CHECK_EQ_INT(rep.seq, 15);
    /* ping works without a session, stats count the errors by code */
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_simple_req(&b, LFD_MSG_PING, 1, 0, NULL, 0, NULL);
    k = th_raw_call(&r2, b.data, b.len, rbuf, sizeof rbuf, 5);
    CHECK(k > 0 && lfd_rep_decode(&rep, rbuf, (size_t)k, &err) == LFD_OK);
    CHECK_EQ_INT(rep.type, LFD_MSG_PONG);
    th_raw_close(&r);
    th_raw_close(&r2);
    lfd_server_stats st;
    lfd_server_stop(ts.s);
    pthread_join(ts.thread, NULL);
    ts.running = 0;
    lfd_server_get_stats(ts.s, &st);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_BAD_MESSAGE], 4);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_TOO_LARGE], 2);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_BAD_ENVELOPE], 1);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_VERSION], 1);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_UNKNOWN_TYPE], 1);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_UNKNOWN_POLICY], 1);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_NO_SESSION], 3);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_SCHEMA_MISMATCH], 1);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_BAD_OBSERVATION], 1);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_OUT_OF_ORDER], 2);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_BUSY], 0);
    CHECK_EQ_INT(st.sessions_refused, 0);
    CHECK_EQ_INT(st.sessions_evicted, 2);
    th_server_stop(&ts);
}

TEST(serve_holds_on_policy_failure_and_deadline)
{
    lfd_policy *ps[2];
    ps[0] = th_mlp_policy("ok", 4, 3, 2, 8, 3, NULL);
    ps[1] = th_mlp_policy("overflow", 4, 3, 2, 8, 3, NULL);
    /* weights so large that the output overflows to infinity */
    lfd_mlp_layer *L0 = &ps[1]->mlp->layers[0], *L1 = &ps[1]->mlp->layers[1];
    for (int i = 0; i < L0->in * L0->out; i++)
        L0->w[i] = 0;
    for (int i = 0; i < L0->out; i++)
        L0->b[i] = 10; /* every hidden unit is tanh(10) > 0 */
    for (int i = 0; i < L1->in * L1->out; i++)
        L1->w[i] = 3e38f;
    lfd_policy *ref = th_mlp_policy("ok", 4, 3, 2, 8, 3, NULL);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    th_server ts;
    if (th_server_start(&ts, &cfg, ps, 2, NULL))
        return;
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    lfd_client *c, *c2;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    cc.policy = "overflow";
    CHECK_OK(lfd_client_new(&c2, &cc, &err), &err);
    if (!c || !c2) {
        lfd_client_free(&c);
        lfd_client_free(&c2);
        th_server_stop(&ts);
        lfd_policy_free(&ref);
        return;
    }
    float obs[4] = {0.1f, 0.2f, NAN, 0}, prev[3] = {0.3f, -0.4f, 0.5f}, got[6];
    lfd_act_info ai;
    /* a NaN observation: hold at the previous command */
    CHECK_OK(lfd_client_act(c, obs, prev, got, &ai, &err), &err);
    CHECK_EQ_INT(ai.hold, 1);
    CHECK_STR(ai.reason, "policy_error");
    CHECK_CONTAINS(ai.message, "observation 2 ('o2') is not finite");
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 3; j++)
            CHECK_NEAR(got[k * 3 + j], prev[j], 0);
    /* a policy whose output is not finite: hold */
    obs[2] = 0.5f;
    CHECK_OK(lfd_client_act(c2, obs, prev, got, &ai, &err), &err);
    CHECK_EQ_INT(ai.hold, 1);
    CHECK_STR(ai.reason, "policy_error");
    CHECK_CONTAINS(ai.message, "non-finite action");
    CHECK_NEAR(got[4], prev[1], 0);
    /* without a previous command the hold is the default pose */
    CHECK_OK(lfd_client_reset(c2, NULL, &err), &err);
    CHECK_OK(lfd_client_act(c2, obs, NULL, got, &ai, &err), &err);
    CHECK_EQ_INT(ai.hold, 1);
    CHECK_NEAR(got[2], ref->default_action[2], 1e-7);
    /* the good policy answers normally */
    CHECK_OK(lfd_client_act(c, obs, prev, got, &ai, &err), &err);
    CHECK_EQ_INT(ai.hold, 0);
    lfd_client_free(&c);
    lfd_client_free(&c2);
    th_server_stop(&ts);

    /* a deadline no act can meet: every answer is a hold flagged "deadline" */
    lfd_policy *p = th_mlp_policy("ok", 4, 3, 2, 8, 3, NULL);
    cfg.deadline_s = 1e-9;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    cc.endpoint = ts.endpoint;
    cc.policy = "ok";
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(lfd_client_act(c, obs, prev, got, &ai, &err), &err);
        CHECK_EQ_INT(ai.hold, 1);
        CHECK_STR(ai.reason, "deadline");
        CHECK_CONTAINS(ai.message, "deadline is 0.000 ms");
        CHECK_NEAR(got[5], prev[2], 0);
    }
    lfd_client_free(&c);
    lfd_server_stats st;
    lfd_server_stop(ts.s);
    pthread_join(ts.thread, NULL);
    ts.running = 0;
    lfd_server_get_stats(ts.s, &st);
    CHECK_EQ_INT(st.deadline_misses, 3);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

TEST(serve_several_policies_by_name_and_req_clients)
{
    lfd_policy *ps[2];
    ps[0] = th_mlp_policy("walk", 6, 4, 3, 16, 1, "walk.lfdp");
    ps[1] = th_mlp_policy("wave", 6, 4, 3, 16, 2, "wave.lfdp");
    lfd_policy *refs[2] = {th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL),
                           th_mlp_policy("wave", 6, 4, 3, 16, 2, NULL)};
    snprintf(refs[0]->hash, 65, "%s", ps[0]->hash);
    snprintf(refs[1]->hash, 65, "%s", ps[1]->hash);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    th_server ts;
    if (th_server_start(&ts, &cfg, ps, 2, NULL))
        return;
    lfd_err err = {0};
    for (int w = 0; w < 2; w++) {
        lfd_client_config cc;
        th_client_config(&cc, ts.endpoint, refs[w]);
        cc.filter = 0;
        lfd_client *c;
        CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
        if (!c)
            continue;
        float obs[6], prev[4] = {0}, got[12], want[12];
        uint8_t fl[4];
        fill_obs(obs, 6, w);
        lfd_act_info ai;
        CHECK_OK(lfd_client_act(c, obs, prev, got, &ai, &err), &err);
        reference(refs[w], obs, prev, want, fl);
        for (int i = 0; i < 12; i++)
            CHECK_NEAR(got[i], want[i], 1e-6);
        CHECK_STR(ai.hash, refs[w]->hash);
        lfd_client_free(&c);
    }
    CHECK(strcmp(refs[0]->hash, refs[1]->hash) != 0);
    /* a REQ socket (relaxed, correlated) works too: the reply keeps its delimiter */
    th_raw r;
    th_raw_open(&r, ts.endpoint, 1);
    lfd_buf b;
    size_t n = hello_for(&b, 1, "wave", 6, 4);
    int k = th_raw_call(&r, tbuf, n, rbuf, sizeof rbuf, 5);
    lfd_rep rep;
    CHECK(k > 0 && lfd_rep_decode(&rep, rbuf, (size_t)k, &err) == LFD_OK);
    CHECK_EQ_INT(rep.type, LFD_MSG_HELLO);
    CHECK(lfd_mp_key_is(rep.policy, rep.policy_len, "wave"));
    float obs[6] = {0};
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 2, 0, obs, 6, NULL, NULL, 4, NULL);
    k = th_raw_call(&r, b.data, b.len, rbuf, sizeof rbuf, 5);
    CHECK(k > 0 && lfd_rep_decode(&rep, rbuf, (size_t)k, &err) == LFD_OK);
    CHECK_EQ_INT(rep.type, LFD_MSG_ACT);
    th_raw_close(&r);
    th_server_stop(&ts);
    lfd_policy_free(&refs[0]);
    lfd_policy_free(&refs[1]);
}

/* a flood of garbage, a client that never reads its replies and a client
   that disconnects mid-request: a well-behaved client is served all along */
static atomic_int g_stop;
static char g_ep[1024];

static void *bad_clients(void *arg)
{
    (void)arg;
    th_raw junk, deaf;
    th_raw_open(&junk, g_ep, 0);
    th_raw_open(&deaf, g_ep, 0);
    lfd_buf b;
    static uint8_t tb2[4096], big[80000];
    uint8_t rb[4096];
    memset(big, 0x90, sizeof big);
    lfd_hello_req h = {.seq = 1, .policy = "walk", .obs_dim = 6, .act_dim = 4,
                       .obs_names = th_obs_names(), .act_names = th_act_names()};
    lfd_buf_init_fixed(&b, tb2, sizeof tb2);
    lfd_proto_encode_hello_req(&b, &h, NULL);
    zmq_send(deaf.sock, b.data, b.len, 0);
    uint64_t seq = 2;
    float obs[6] = {0};
    for (int i = 0; !atomic_load(&g_stop); i++) {
        /* garbage, oversized, truncated (and read the errors back) */
        zmq_send(junk.sock, "\xde\xad\xbe\xef", 4, ZMQ_DONTWAIT);
        if (i % 10 == 0)
            zmq_send(junk.sock, big, sizeof big, ZMQ_DONTWAIT);
        zmq_send(junk.sock, b.data, b.len / 2, ZMQ_DONTWAIT);
        while (zmq_recv(junk.sock, rb, sizeof rb, ZMQ_DONTWAIT) >= 0) {
        }
        /* the deaf client asks and never reads */
        lfd_buf bb;
        uint8_t t3[1024];
        lfd_buf_init_fixed(&bb, t3, sizeof t3);
        lfd_proto_encode_act_req(&bb, seq++, 0, obs, 6, NULL, NULL, 4, NULL);
        zmq_send(deaf.sock, bb.data, bb.len, ZMQ_DONTWAIT);
        /* a client that connects, asks, and vanishes */
        if (i % 20 == 0) {
            th_raw gone;
            th_raw_open(&gone, g_ep, 0);
            zmq_send(gone.sock, b.data, b.len, 0);
            th_raw_close(&gone);
        }
        usleep(200);
    }
    th_raw_close(&junk);
    th_raw_close(&deaf);
    return NULL;
}

TEST(serve_bad_clients_do_not_stall_good_ones)
{
    lfd_policy *p = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_policy *ref = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    snprintf(g_ep, sizeof g_ep, "%s", ts.endpoint);
    atomic_store(&g_stop, 0);
    pthread_t th;
    pthread_create(&th, NULL, bad_clients, NULL);
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    cc.filter = 0;
    lfd_client *c;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    int good = 0;
    for (int k = 0; c && k < 300; k++) {
        float obs[6], prev[4] = {0.1f, 0, 0, -0.1f}, got[12], want[12];
        uint8_t fl[4];
        fill_obs(obs, 6, k);
        if (lfd_client_act(c, obs, prev, got, NULL, &err) != LFD_OK) {
            lfd_test_fail_at(__FILE__, __LINE__, "act %d: %s", k, err.msg);
            break;
        }
        reference(ref, obs, prev, want, fl);
        int ok = 1;
        for (int i = 0; i < 12; i++)
            ok &= fabsf(got[i] - want[i]) <= 1e-5f;
        good += ok;
    }
    CHECK_EQ_INT(good, 300);
    atomic_store(&g_stop, 1);
    pthread_join(th, NULL);
    lfd_client_free(&c);
    lfd_server_stop(ts.s);
    pthread_join(ts.thread, NULL);
    ts.running = 0;
    lfd_server_stats st;
    lfd_server_get_stats(ts.s, &st);
    CHECK(st.errors_by_code[LFD_PE_BAD_MESSAGE] > 0);
    CHECK(st.errors_by_code[LFD_PE_TOO_LARGE] > 0);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

TEST(serve_sessions_expire_when_idle)
{
    lfd_policy *p = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_policy *ref = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    cfg.max_sessions = 1;
    cfg.idle_s = 0.2;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    lfd_client *c1, *c2 = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c1, &cc, &err), &err);
    /* a full table: the second client takes the slot of the least recently
       active session (the first's), which then says hello again */
    CHECK_OK(lfd_client_new(&c2, &cc, &err), &err);
    if (!c1 || !c2) {
        lfd_client_free(&c1);
        lfd_client_free(&c2);
        th_server_stop(&ts);
        lfd_policy_free(&ref);
        return;
    }
    float obs[6] = {0}, got[12];
    CHECK_OK(lfd_client_act(c1, obs, NULL, got, NULL, &err), &err);
    CHECK_OK(lfd_client_act(c2, obs, NULL, got, NULL, &err), &err);
    /* idle past idle_s: the session expires (counted), and the next act
       says hello again on its own */
    usleep(1300000);
    char js[8192];
    CHECK_OK(lfd_client_stats(c2, js, sizeof js, &err), &err);
    CHECK_CONTAINS(js, "\"sessions\":0");
    CHECK_CONTAINS(js, "\"sessions_expired\":1");
    CHECK_CONTAINS(js, "\"sessions_evicted\":3");
    CHECK_OK(lfd_client_act(c2, obs, NULL, got, NULL, &err), &err);
    lfd_client_counters n;
    lfd_client_get_counters(c2, &n);
    CHECK_EQ_INT(n.hellos, 3);
    lfd_client_free(&c1);
    lfd_client_free(&c2);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

TEST(serve_refuses_public_bind_without_curve)
{
    lfd_policy *p = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://0.0.0.0:*";
    lfd_server *s;
    lfd_err err = {0};
    CHECK_OK(lfd_server_new(&s, &cfg, &err), &err);
    CHECK_OK(lfd_server_add_policy(s, p, NULL, &err), &err);
    CHECK(lfd_server_bind(s, &err) == LFD_EDENIED);
    CHECK_CONTAINS(err.msg, "--curve");
    lfd_server_free(&s);
    CHECK(lfd_endpoint_is_local("tcp://127.0.0.1:5555"));
    CHECK(lfd_endpoint_is_local("ipc:///tmp/x"));
    CHECK(!lfd_endpoint_is_local("tcp://*:5555"));
    CHECK(!lfd_endpoint_is_local("tcp://192.168.1.2:5555"));
}

/* Acts from several clients waiting together are inferred as one batch,
   each still answered exactly as the policy and filter compute it; while
   acts come from one client in turn, the server answers each at once and
   reads a waiting one at its next poll. */
static uint64_t g_bseq[8];

/* c sends an act (does not wait) */
static void send_act(th_raw *r, int c, const float *obs)
{
    lfd_buf b;
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, ++g_bseq[c], 0, obs, 6, NULL, NULL, 4, NULL);
    CHECK(zmq_send(r[c].sock, b.data, b.len, 0) == (int)b.len);
}

/* waits (polling the server) for c's reply; returns its length or -1 */
static int await_reply(lfd_server *s, th_raw *r, int c)
{
    lfd_err err;
    for (int t = 0; t < 500; t++) {
        int n = zmq_recv(r[c].sock, rbuf, sizeof rbuf, ZMQ_DONTWAIT);
        if (n >= 0)
            return n;
        lfd_server_poll(s, 10, &err);
    }
    return -1;
}

/* The act reply of n bytes in rbuf: an act, from a batch of batch rows
   (batch > 0), with ref's actions filtered from nothing (ref != NULL). */
static void check_act_reply(int n, const lfd_policy *ref, const float *obs, int batch)
{
    lfd_rep rep;
    lfd_err err = {0};
    CHECK(n > 0 && lfd_rep_decode(&rep, rbuf, (size_t)n, &err) == LFD_OK);
    if (n <= 0)
        return;
    CHECK_EQ_INT(rep.type, LFD_MSG_ACT);
    if (batch > 0)
        CHECK_EQ_INT(rep.timing.batch, batch);
    if (!ref)
        return;
    float got[12], want[12];
    uint8_t fl[4];
    CHECK_OK(lfd_nd_get_f32(&rep.actions, got, 12, 0, &err), &err);
    reference(ref, obs, NULL, want, fl);
    for (int i = 0; i < 12; i++)
        CHECK_NEAR(got[i], want[i], 1e-6);
}

/* acts the server has handled so far */
static uint64_t acts_done(lfd_server *s)
{
    lfd_server_stats st;
    lfd_server_get_stats(s, &st);
    return st.acts;
}

TEST(serve_batches_acts_from_several_clients_not_from_one)
{
    enum { NC = 4 };
    lfd_policy *p = th_mlp_policy("walk", 6, 4, 3, 16, 5, "batch.lfdp");
    lfd_policy *ref = th_mlp_policy("walk", 6, 4, 3, 16, 5, NULL);
    lfd_server_config cfg;
    loopback_cfg(&cfg);
    lfd_server *s;
    lfd_err err = {0};
    CHECK_OK(lfd_server_new(&s, &cfg, &err), &err);
    CHECK_OK(lfd_server_add_policy(s, p, NULL, &err), &err);
    CHECK_OK(lfd_server_bind(s, &err), &err);
    const char *ep = lfd_server_endpoint(s);
    th_raw r[NC];
    lfd_buf b;
    float obs[NC][6];
    for (int c = 0; c < NC; c++) {
        fill_obs(obs[c], 6, c);
        CHECK_OK(th_raw_open(&r[c], ep, 0), &err);
        size_t n = hello_for(&b, 1, "walk", 6, 4);
        g_bseq[c] = 1;
        CHECK(zmq_send(r[c].sock, tbuf, n, 0) == (int)n);
        CHECK(await_reply(s, r, c) > 0);
    }
    /* two clients take turns: the server sees acts from several clients
       (and answers each as the policy and filter compute it) */
    for (int c = 0; c < 2; c++) {
        send_act(r, c, obs[c]);
        check_act_reply(await_reply(s, r, c), ref, obs[c], 0);
    }
    /* every client's act is waiting before the server looks: one poll
       answers all of them from one batch */
    for (int c = 0; c < NC; c++)
        send_act(r, c, obs[c]);
    lfd_server_stats st0, st1;
    lfd_server_get_stats(s, &st0);
    usleep(100000);
    CHECK_OK(lfd_server_poll(s, 100, &err), &err);
    lfd_server_get_stats(s, &st1);
    CHECK_EQ_INT((int)(st1.acts - st0.acts), NC);
    CHECK_EQ_INT((int)(st1.batches - st0.batches), 1);
    for (int c = 0; c < NC; c++) {
        int k = -1;
        for (int t = 0; t < 500 && k < 0; t++) {
            k = zmq_recv(r[c].sock, rbuf, sizeof rbuf, ZMQ_DONTWAIT);
            if (k < 0)
                usleep(1000);
        }
        /* clients 0 and 1 are filtered from their previous chunks: their
           values were compared above */
        check_act_reply(k, c >= 2 ? ref : NULL, obs[c], NC);
    }
    /* one client in turn (four acts), then two of its acts waiting at once:
       the poll answers the first and leaves the second for the next poll */
    for (int k = 0; k < 4; k++) {
        send_act(r, 0, obs[0]);
        CHECK(await_reply(s, r, 0) > 0);
    }
    send_act(r, 0, obs[0]);
    send_act(r, 0, obs[0]);
    usleep(100000);
    uint64_t a0 = acts_done(s);
    CHECK_OK(lfd_server_poll(s, 100, &err), &err);
    CHECK_EQ_INT((int)(acts_done(s) - a0), 1);
    CHECK_OK(lfd_server_poll(s, 100, &err), &err);
    CHECK_EQ_INT((int)(acts_done(s) - a0), 2);
    for (int k = 0; k < 2; k++)
        check_act_reply(await_reply(s, r, 0), NULL, obs[0], 1);
    for (int c = 0; c < NC; c++)
        th_raw_close(&r[c]);
    lfd_server_free(&s);
    lfd_policy_free(&ref);
}
