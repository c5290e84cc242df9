/*  Protocol codec tests (runtime/lfd_proto): every request type round-trips
    through encode/decode, every decode error maps to its protocol error
    code, replies decode, and sizes are capped before anything is used. */
#include <math.h>

#include "core/lfd_log.h"
#include "runtime/lfd_proto.h"
#include "tests/lfd_test.h"

static uint8_t mem[1 << 16];

TEST(proto_requests_round_trip)
{
    lfd_buf b;
    lfd_err err = {0};
    lfd_req rq;
    lfd_proto_error pe;
    const char *on[2] = {"x", "y"}, *an[3] = {"j1", "j2", "j3"}, *au[3] = {"rad", "rad", "rad"};
    float cur[3] = {0.1f, 0.2f, 0.3f};
    lfd_hello_req h = {.seq = 7, .t_s = 12.5, .policy = "walk", .client = "robot-1",
                       .obs_dim = 2, .act_dim = 3, .obs_names = on, .act_names = an,
                       .act_units = au, .robot = "h1", .current = cur};
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    CHECK_OK(lfd_proto_encode_hello_req(&b, &h, &err), &err);
    CHECK_OK(lfd_req_decode(&rq, b.data, b.len, &pe, &err), &err);
    CHECK_EQ_INT(rq.type, LFD_MSG_HELLO);
    CHECK_EQ_INT(rq.seq, 7);
    CHECK_NEAR(rq.t_s, 12.5, 0);
    CHECK(lfd_mp_key_is(rq.policy, rq.policy_len, "walk"));
    CHECK(lfd_mp_key_is(rq.client, rq.client_len, "robot-1"));
    CHECK(lfd_mp_key_is(rq.robot, rq.robot_len, "h1"));
    CHECK_EQ_INT(rq.obs_names.n, 2);
    CHECK_EQ_INT(rq.act_units.n, 3);
    CHECK(!rq.obs_units.present);
    char why[128];
    const char table[3][64] = {"j1", "j2", "j3"}, other[3][64] = {"j1", "jX", "j3"};
    CHECK(lfd_names_match(&rq.act_names, "act_names", table[0], 64, 3, why, sizeof why));
    CHECK(!lfd_names_match(&rq.act_names, "act_names", other[0], 64, 3, why, sizeof why));
    CHECK_CONTAINS(why, "act_names[1] is 'j2', the policy has 'jX'");
    CHECK(!lfd_names_match(&rq.act_names, "act_names", table[0], 64, 2, why, sizeof why));
    CHECK_CONTAINS(why, "3 entries");
    float got[3];
    CHECK(rq.has_current);
    CHECK_OK(lfd_proto_get_vec(&rq.current, got, 3, 1, "current", &err), &err);
    CHECK_NEAR(got[2], 0.3, 1e-7);

    float obs[2] = {1.5f, -2}, prev[3] = {0, 1, 2}, pv[3] = {3, 4, 5};
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    CHECK_OK(lfd_proto_encode_act_req(&b, 8, 13.0, obs, 2, prev, pv, 3, &err), &err);
    CHECK_OK(lfd_req_decode(&rq, b.data, b.len, &pe, &err), &err);
    CHECK_EQ_INT(rq.type, LFD_MSG_ACT);
    CHECK(rq.has_obs && rq.has_prev_action && rq.has_prev_velocity);
    CHECK_OK(lfd_proto_get_vec(&rq.obs, got, 2, 1, "obs", &err), &err);
    CHECK_NEAR(got[1], -2, 0);
    CHECK_OK(lfd_proto_get_vec(&rq.prev_velocity, got, 3, 1, "pv", &err), &err);
    CHECK_NEAR(got[2], 5, 0);
    CHECK(lfd_proto_get_vec(&rq.obs, got, 3, 1, "obs", &err) == LFD_EMISMATCH);

    lfd_msg_type types[3] = {LFD_MSG_RESET, LFD_MSG_PING, LFD_MSG_STATS};
    for (int i = 0; i < 3; i++) {
        lfd_buf_init_fixed(&b, mem, sizeof mem);
        CHECK_OK(lfd_proto_encode_simple_req(&b, types[i], 9 + (uint64_t)i, 1.0, cur, 3, &err),
                 &err);
        CHECK_OK(lfd_req_decode(&rq, b.data, b.len, &pe, &err), &err);
        CHECK_EQ_INT(rq.type, types[i]);
        CHECK_EQ_INT(rq.seq, 9 + i);
        CHECK_EQ_INT(rq.has_current, types[i] == LFD_MSG_RESET);
    }
}

/* packs a map with the given header entries and one extra key/value */
static size_t msg(lfd_buf *b, int with_v, int64_t v, const char *type, int with_seq,
                  int with_t, const char *key, const char *strval)
{
    msgpack_packer pk;
    lfd_buf_init_fixed(b, mem, sizeof mem);
    lfd_packer_init(&pk, b);
    msgpack_pack_map(&pk, (size_t)(with_v + (type != NULL) + with_seq + with_t + (key != NULL)));
    if (with_v) {
        lfd_mp_pack_cstr(&pk, "v");
        msgpack_pack_int64(&pk, v);
    }
    if (type) {
        lfd_mp_pack_cstr(&pk, "type");
        lfd_mp_pack_cstr(&pk, type);
    }
    if (with_seq) {
        lfd_mp_pack_cstr(&pk, "seq");
        msgpack_pack_int(&pk, 5);
    }
    if (with_t) {
        lfd_mp_pack_cstr(&pk, "t");
        msgpack_pack_double(&pk, 1.0);
    }
    if (key) {
        lfd_mp_pack_cstr(&pk, key);
        lfd_mp_pack_cstr(&pk, strval);
    }
    return b->len;
}

static lfd_proto_error decode_code(const uint8_t *d, size_t n, lfd_req *rq, lfd_err *err)
{
    lfd_proto_error pe;
    if (lfd_req_decode(rq, d, n, &pe, err) == LFD_OK)
        return LFD_PE_NONE;
    return pe;
}

TEST(proto_every_decode_error_has_its_code)
{
    lfd_buf b;
    lfd_err err = {0};
    lfd_req rq;
    /* garbage, empty, not a map, truncated */
    CHECK_EQ_INT(decode_code((const uint8_t *)"\xc1\xc1", 2, &rq, &err), LFD_PE_BAD_MESSAGE);
    CHECK_EQ_INT(decode_code((const uint8_t *)"", 0, &rq, &err), LFD_PE_BAD_MESSAGE);
    CHECK_EQ_INT(decode_code((const uint8_t *)"\x93\x01\x02\x03", 4, &rq, &err),
                 LFD_PE_BAD_MESSAGE);
    size_t n = msg(&b, 1, 1, "ping", 1, 1, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_NONE);
    for (size_t k = 0; k < n; k++)
        CHECK_EQ_INT(decode_code(b.data, k, &rq, &err), LFD_PE_BAD_MESSAGE);
    /* trailing bytes after the map */
    mem[n] = 0x00;
    CHECK_EQ_INT(decode_code(b.data, n + 1, &rq, &err), LFD_PE_BAD_MESSAGE);
    CHECK_CONTAINS(err.msg, "after the message map");
    /* missing fields */
    n = msg(&b, 0, 1, "ping", 1, 1, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_MESSAGE);
    CHECK_CONTAINS(err.msg, "missing 'v'");
    CHECK(rq.has_seq && rq.seq == 5); /* the seq is still echoed */
    n = msg(&b, 1, 1, NULL, 1, 1, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_MESSAGE);
    n = msg(&b, 1, 1, "ping", 0, 1, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_MESSAGE);
    n = msg(&b, 1, 1, "ping", 1, 0, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_MESSAGE);
    /* version, then type */
    n = msg(&b, 1, 2, "ping", 1, 1, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_VERSION);
    CHECK_CONTAINS(err.msg, "speaks 1");
    n = msg(&b, 1, 1, "dance", 1, 1, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_UNKNOWN_TYPE);
    n = msg(&b, 1, 1, "pong", 1, 1, NULL, NULL); /* a reply type is not a request */
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_UNKNOWN_TYPE);
    /* hello without schema, act without obs, obs of the wrong kind */
    n = msg(&b, 1, 1, "hello", 1, 1, "policy", "walk");
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_MESSAGE);
    CHECK_CONTAINS(err.msg, "obs_names");
    n = msg(&b, 1, 1, "act", 1, 1, NULL, NULL);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_MESSAGE);
    n = msg(&b, 1, 1, "act", 1, 1, "obs", "not an array");
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_OBSERVATION);
    /* an integer observation array */
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 1, LFD_MSG_ACT, 3, 0);
    lfd_mp_pack_cstr(&pk, "obs");
    int32_t iv[2] = {1, 2};
    uint64_t shape[1] = {2};
    lfd_nd_pack(&pk, LFD_DT_I32, 1, shape, iv);
    CHECK_EQ_INT(decode_code(b.data, b.len, &rq, &err), LFD_PE_BAD_OBSERVATION);
    CHECK_CONTAINS(err.msg, "dtype");
    /* an observation array wider than the protocol allows is refused by its header */
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 1, LFD_MSG_ACT, 3, 0);
    lfd_mp_pack_cstr(&pk, "obs");
    static float big[LFD_PROTO_MAX_DIM + 1];
    shape[0] = LFD_PROTO_MAX_DIM + 1;
    lfd_nd_pack(&pk, LFD_DT_F32, 1, shape, big);
    CHECK_EQ_INT(decode_code(b.data, b.len, &rq, &err), LFD_PE_BAD_OBSERVATION);
    /* a map with more entries than the cap; a huge declared count in 5 bytes */
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    lfd_packer_init(&pk, &b);
    msgpack_pack_map(&pk, LFD_PROTO_MAX_KEYS + 1);
    for (int i = 0; i <= LFD_PROTO_MAX_KEYS; i++) {
        msgpack_pack_int(&pk, i);
        msgpack_pack_nil(&pk);
    }
    CHECK_EQ_INT(decode_code(b.data, b.len, &rq, &err), LFD_PE_BAD_MESSAGE);
    CHECK_EQ_INT(decode_code((const uint8_t *)"\xdf\xff\xff\xff\xff", 5, &rq, &err),
                 LFD_PE_BAD_MESSAGE);
    /* a name longer than the cap */
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    n = msg(&b, 1, 1, "hello", 1, 1, "policy", longname);
    CHECK_EQ_INT(decode_code(b.data, n, &rq, &err), LFD_PE_BAD_MESSAGE);
    CHECK_CONTAINS(err.msg, "at most 63");
    /* every code has a distinct wire name that parses back */
    for (int i = 1; i < LFD_PE_COUNT; i++) {
        const char *nm = lfd_proto_error_name((lfd_proto_error)i);
        CHECK_EQ_INT(lfd_proto_error_parse((const uint8_t *)nm, (uint32_t)strlen(nm)), i);
    }
}

TEST(proto_act_reply_and_error_decode)
{
    lfd_buf b;
    lfd_err err = {0};
    float acts[6] = {1, 2, 3, 4, 5, 6};
    uint8_t flags[3] = {0, LFD_FILTER_VEL, LFD_FILTER_CLAMPED};
    lfd_act_out o = {.seq = 42, .t_s = 2.0, .t_req_s = 1.0, .hash = "abc", .actions = acts,
                     .chunk = 2, .act_dim = 3, .hold = 1, .reason = "deadline",
                     .message = "took long", .flags = flags};
    o.counts.vel_limited = 1;
    o.counts.clamped = 2;
    o.timing.infer_us = 12.5;
    o.timing.batch = 3;
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    double enc = -1;
    CHECK_OK(lfd_proto_encode_act_rep(&b, &o, lfd_now_ns(), &enc, &err), &err);
    CHECK(enc >= 0);
    lfd_rep rep;
    CHECK_OK(lfd_rep_decode(&rep, b.data, b.len, &err), &err);
    CHECK_EQ_INT(rep.type, LFD_MSG_ACT);
    CHECK_EQ_INT(rep.seq, 42);
    CHECK_EQ_INT(rep.hold, 1);
    CHECK(lfd_mp_key_is(rep.reason, rep.reason_len, "deadline"));
    CHECK(lfd_mp_key_is(rep.hash, rep.hash_len, "abc"));
    CHECK_EQ_INT(rep.actions.shape[0], 2);
    CHECK_EQ_INT(rep.actions.shape[1], 3);
    float back[6];
    CHECK_OK(lfd_nd_get_f32(&rep.actions, back, 6, 1, &err), &err);
    CHECK(memcmp(back, acts, sizeof acts) == 0);
    CHECK_EQ_INT(rep.flags.count, 3);
    CHECK_EQ_INT(rep.flags.data[1], LFD_FILTER_VEL);
    CHECK_EQ_INT(rep.counts.clamped, 2);
    CHECK_NEAR(rep.timing.infer_us, 12.5, 0);
    CHECK_NEAR(rep.timing.encode_us, enc, 0); /* patched in place */
    CHECK_EQ_INT(rep.timing.batch, 3);
    /* the encoder refuses to overflow its fixed buffer */
    uint8_t small[64];
    lfd_buf_init_fixed(&b, small, sizeof small);
    CHECK(lfd_proto_encode_act_rep(&b, &o, 0, NULL, &err) == LFD_ELIMIT);
    /* an error reply */
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    CHECK_OK(lfd_proto_encode_error(&b, 9, 1.0, LFD_PE_SCHEMA_MISMATCH, "act_names[0] differs"),
             &err);
    CHECK_OK(lfd_rep_decode(&rep, b.data, b.len, &err), &err);
    CHECK_EQ_INT(rep.type, LFD_MSG_ERROR);
    CHECK_EQ_INT(rep.code, LFD_PE_SCHEMA_MISMATCH);
    CHECK_EQ_INT(rep.seq, 9);
    CHECK(lfd_mp_key_is(rep.message, rep.message_len, "act_names[0] differs"));
    /* a reply in another protocol version is refused */
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    msgpack_packer pk;
    lfd_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 4);
    lfd_mp_pack_cstr(&pk, "v");
    msgpack_pack_int(&pk, 99);
    lfd_mp_pack_cstr(&pk, "type");
    lfd_mp_pack_cstr(&pk, "pong");
    lfd_mp_pack_cstr(&pk, "seq");
    msgpack_pack_int(&pk, 1);
    lfd_mp_pack_cstr(&pk, "t");
    msgpack_pack_int(&pk, 0);
    CHECK(lfd_rep_decode(&rep, b.data, b.len, &err) == LFD_EUNSUPPORTED);
}

/* hello's session_token (protocol 1.1): 16..64 bytes, carried through */
TEST(proto_hello_session_token_bounds)
{
    static const char *const names[2] = {"x", "y"};
    uint8_t mem[4096];
    char tok[80];
    const int lens[] = {15, 16, 64, 65};
    for (int i = 0; i < 4; i++) {
        memset(tok, 'k', sizeof tok);
        tok[lens[i]] = '\0';
        lfd_hello_req h = {.seq = 3, .policy = "p", .obs_dim = 1, .act_dim = 1,
                           .obs_names = names, .act_names = names + 1, .session_token = tok};
        lfd_buf b;
        lfd_err err = {0};
        lfd_buf_init_fixed(&b, mem, sizeof mem);
        CHECK_OK(lfd_proto_encode_hello_req(&b, &h, &err), &err);
        lfd_req rq;
        lfd_proto_error pe;
        int rc = lfd_req_decode(&rq, b.data, b.len, &pe, &err);
        if (lens[i] >= 16 && lens[i] <= 64) {
            CHECK_OK(rc, &err);
            CHECK_EQ_INT(rq.token_len, lens[i]);
            CHECK(rq.token && !memcmp(rq.token, tok, (size_t)lens[i]));
        } else {
            CHECK(rc != LFD_OK);
            CHECK_EQ_INT(pe, LFD_PE_BAD_MESSAGE);
            CHECK_CONTAINS(err.msg, "session_token");
            CHECK_EQ_INT(rq.seq, 3);
        }
    }
}
