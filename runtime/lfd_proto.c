/*  lfd_proto: decode and encode protocol messages (see lfd_proto.h and
    docs/protocol.md).  Nothing here allocates. */
#include "runtime/lfd_proto.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/lfd_log.h"
#include "core/lfd_util.h"

static const char *const pe_names[LFD_PE_COUNT] = {
    "none",          "bad_message",    "too_large",   "bad_envelope",    "version",
    "unknown_type",  "unknown_policy", "schema_mismatch", "no_session",  "schema_changed",
    "bad_observation", "out_of_order", "busy",        "internal", "denied"};

const char *lfd_proto_error_name(lfd_proto_error e)
{
    return e >= 0 && e < LFD_PE_COUNT ? pe_names[e] : "internal";
}

lfd_proto_error lfd_proto_error_parse(const uint8_t *s, uint32_t n)
{
    for (int i = 1; i < LFD_PE_COUNT; i++)
        if (lfd_mp_key_is(s, n, pe_names[i]))
            return (lfd_proto_error)i;
    return LFD_PE_INTERNAL;
}

static const char *const type_names[] = {"none", "hello", "act", "reset", "ping",
                                         "stats", "pong", "error"};

const char *lfd_msg_type_name(lfd_msg_type t)
{
    return t >= LFD_MSG_NONE && t <= LFD_MSG_ERROR ? type_names[t] : "none";
}

static lfd_msg_type type_parse(const uint8_t *s, uint32_t n)
{
    for (int i = LFD_MSG_HELLO; i <= LFD_MSG_ERROR; i++)
        if (lfd_mp_key_is(s, n, type_names[i]))
            return (lfd_msg_type)i;
    return LFD_MSG_NONE;
}

double lfd_proto_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- generic map scanning ----------------------------------------------------- */

/* A key and its length (known when compiling). */
typedef struct proto_key {
    const char *s;
    uint32_t n;
} proto_key;
#define K(lit) {lit, sizeof(lit) - 1}

/* Walks one map, leaving pos[k] at the value of keys[k] (have[k] = 1). */
static int scan_map(lfd_mpr *r, const proto_key *keys, int nkeys, lfd_mpr *pos, int *have,
                    lfd_err *err)
{
    uint32_t n;
    int rc = lfd_mpr_map(r, &n, err);
    if (rc)
        return rc;
    if (n > LFD_PROTO_MAX_KEYS)
        return lfd_fail(err, LFD_ELIMIT, "byte %zu: map of %u entries (at most %d)",
                        lfd_mpr_offset(r), n, LFD_PROTO_MAX_KEYS);
    for (int k = 0; k < nkeys; k++)
        have[k] = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *key;
        uint32_t kl;
        if ((rc = lfd_mpr_bytes(r, &key, &kl, err)))
            return lfd_err_prefix_rc(err, rc, "map key");
        for (int k = 0; k < nkeys; k++)
            if (kl == keys[k].n && memcmp(key, keys[k].s, kl) == 0) {
                pos[k] = *r;
                have[k] = 1;
                break;
            }
        if ((rc = lfd_mpr_skip(r, err)))
            return rc;
    }
    return LFD_OK;
}

static int read_text(lfd_mpr *r, const uint8_t **s, uint32_t *n, uint32_t max, const char *what,
                     lfd_err *err)
{
    int rc = lfd_mpr_bytes(r, s, n, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "'%s'", what);
    if (*n >= max)
        return lfd_fail(err, LFD_ELIMIT, "'%s' is %u bytes long (at most %u)", what, *n,
                        max - 1);
    return LFD_OK;
}

static int read_names(lfd_mpr *r, lfd_names *l, uint32_t maxlen, const char *what, lfd_err *err)
{
    uint32_t n;
    int rc = lfd_mpr_array(r, &n, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "'%s'", what);
    if (n > LFD_PROTO_MAX_DIM)
        return lfd_fail(err, LFD_ELIMIT, "'%s' has %u names (at most %d)", what, n,
                        LFD_PROTO_MAX_DIM);
    l->present = 1;
    l->n = n;
    l->r = *r;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s;
        uint32_t len;
        if ((rc = lfd_mpr_bytes(r, &s, &len, err)))
            return lfd_err_prefix_rc(err, rc, "'%s'[%u]", what, i);
        if (len >= maxlen)
            return lfd_fail(err, LFD_ELIMIT, "'%s'[%u] is %u bytes long (at most %u)", what, i,
                            len, maxlen - 1);
    }
    return LFD_OK;
}

int lfd_names_get(const lfd_names *l, uint32_t i, const uint8_t **s, uint32_t *len)
{
    if (!l->present || i >= l->n)
        return LFD_EARG;
    lfd_mpr r = l->r;
    for (uint32_t k = 0; k <= i; k++)
        if (lfd_mpr_bytes(&r, s, len, NULL))
            return LFD_EPARSE;
    return LFD_OK;
}

int lfd_names_match(const lfd_names *l, const char *what, const char *names, size_t stride,
                    int n, char *why, size_t whysz)
{
    if ((int)l->n != n) {
        snprintf(why, whysz, "%s has %u entries, the policy has %d", what, l->n, n);
        return 0;
    }
    lfd_mpr r = l->r;
    for (int i = 0; i < n; i++) {
        const uint8_t *s;
        uint32_t len;
        if (lfd_mpr_bytes(&r, &s, &len, NULL)) {
            snprintf(why, whysz, "%s[%d] is not a string", what, i);
            return 0;
        }
        const char *want = names + (size_t)i * stride;
        if (!lfd_mp_key_is(s, len, want)) {
            snprintf(why, whysz, "%s[%d] is '%.*s', the policy has '%s'", what, i,
                     (int)(len > 63 ? 63 : len), (const char *)s, want);
            return 0;
        }
    }
    return 1;
}

/* caps for arrays inside messages */
static const lfd_nd_caps msg_caps = {2, LFD_PROTO_MAX_DIM * 256, LFD_PROTO_MAX_DIM * 256 * 8};
static const lfd_nd_caps vec_caps = {2, LFD_PROTO_MAX_DIM, LFD_PROTO_MAX_DIM * 8};

static int read_float_nd(lfd_mpr *r, const lfd_nd_caps *caps, lfd_ndview *v, const char *what,
                         lfd_err *err)
{
    int rc = lfd_nd_read(r, caps, v, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "'%s'", what);
    if (v->dtype != LFD_DT_F32 && v->dtype != LFD_DT_F64)
        return lfd_fail(err, LFD_EMISMATCH, "'%s' has dtype %s, expected <f4 or <f8", what,
                        lfd_dtype_str(v->dtype));
    return LFD_OK;
}

int lfd_proto_get_vec(const lfd_ndview *v, float *dst, int n, int reject_nonfinite,
                      const char *what, lfd_err *err)
{
    int ok = (v->ndim == 1 && v->shape[0] == (uint64_t)n) ||
             (v->ndim == 2 && v->shape[0] == 1 && v->shape[1] == (uint64_t)n);
    if (!ok || v->count != (uint64_t)n)
        return lfd_fail(err, LFD_EMISMATCH, "'%s' has %llu elements in %d dimension(s), "
                                            "expected (%d)",
                        what, (unsigned long long)v->count, v->ndim, n);
    if (v->dtype != LFD_DT_F32 && v->dtype != LFD_DT_F64)
        return lfd_fail(err, LFD_EMISMATCH, "'%s' has dtype %s, expected <f4 or <f8", what,
                        lfd_dtype_str(v->dtype));
    int rc = lfd_nd_get_f32(v, dst, (size_t)n, reject_nonfinite, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "'%s'", what);
    return LFD_OK;
}

/* ---- requests -------------------------------------------------------------------- */

enum {
    RK_V, RK_TYPE, RK_SEQ, RK_T, RK_POLICY, RK_CLIENT, RK_ROBOT, RK_MODEL_HASH, RK_OBS_NAMES,
    RK_OBS_UNITS, RK_ACT_NAMES, RK_ACT_UNITS, RK_PROBE, RK_OBS, RK_PREV_ACTION,
    RK_PREV_VELOCITY, RK_CURRENT, RK_TOKEN, RK_COUNT
};
static const proto_key req_keys[RK_COUNT] = {
    K("v"), K("type"), K("seq"), K("t"), K("policy"), K("client"), K("robot"), K("model_hash"),
    K("obs_names"), K("obs_units"), K("act_names"), K("act_units"), K("probe"), K("obs"),
    K("prev_action"), K("prev_velocity"), K("current"), K("session_token")};

#define BAD(code_, ...)                                                                  \
    do {                                                                                 \
        *pe = (code_);                                                                   \
        return lfd_fail(err, LFD_EPARSE, __VA_ARGS__);                                   \
    } while (0)

int lfd_req_decode(lfd_req *req, const uint8_t *data, size_t len, lfd_proto_error *pe,
                   lfd_err *err)
{
    memset(req, 0, sizeof *req);
    *pe = LFD_PE_BAD_MESSAGE;
    lfd_mpr r, pos[RK_COUNT];
    int have[RK_COUNT];
    lfd_mpr_init(&r, data, len);
    lfd_mp_type t0;
    if (len == 0)
        BAD(LFD_PE_BAD_MESSAGE, "empty message");
    if (lfd_mpr_peek(&r, &t0, err) || t0 != LFD_MP_MAP)
        BAD(LFD_PE_BAD_MESSAGE, "a message is one msgpack map");
    int rc = scan_map(&r, req_keys, RK_COUNT, pos, have, err);
    if (rc)
        return rc;
    if (lfd_mpr_left(&r))
        BAD(LFD_PE_BAD_MESSAGE, "byte %zu: %zu bytes after the message map", lfd_mpr_offset(&r),
            lfd_mpr_left(&r));
    /* the seq first, so that every later error can echo it */
    int64_t i64;
    if (have[RK_SEQ]) {
        if ((rc = lfd_mpr_int(&pos[RK_SEQ], 0, INT64_MAX, &i64, err)))
            return lfd_err_prefix_rc(err, rc, "'seq'");
        req->seq = (uint64_t)i64;
        req->has_seq = 1;
    }
    /* version before type: a newer client learns what this server speaks */
    if (!have[RK_V])
        BAD(LFD_PE_BAD_MESSAGE, "missing 'v' (protocol version)");
    if ((rc = lfd_mpr_int(&pos[RK_V], INT32_MIN, INT32_MAX, &req->version, err)))
        return lfd_err_prefix_rc(err, rc, "'v'");
    if (req->version != LFD_PROTO_VERSION) {
        *pe = LFD_PE_VERSION;
        return lfd_fail(err, LFD_EUNSUPPORTED, "protocol version %lld is not spoken here "
                                               "(this server speaks %d)",
                        (long long)req->version, LFD_PROTO_VERSION);
    }
    if (!have[RK_TYPE])
        BAD(LFD_PE_BAD_MESSAGE, "missing 'type'");
    const uint8_t *s;
    uint32_t sl;
    if ((rc = read_text(&pos[RK_TYPE], &s, &sl, 32, "type", err)))
        return rc;
    req->type = type_parse(s, sl);
    if (req->type == LFD_MSG_NONE || req->type == LFD_MSG_PONG || req->type == LFD_MSG_ERROR) {
        req->type = LFD_MSG_NONE;
        *pe = LFD_PE_UNKNOWN_TYPE;
        return lfd_fail(err, LFD_EUNSUPPORTED, "unknown request type '%.*s' (hello, act, "
                                               "reset, ping, stats)",
                        (int)sl, (const char *)s);
    }
    if (!have[RK_SEQ])
        BAD(LFD_PE_BAD_MESSAGE, "missing 'seq'");
    if (!have[RK_T])
        BAD(LFD_PE_BAD_MESSAGE, "missing 't'");
    if ((rc = lfd_mpr_f64(&pos[RK_T], &req->t_s, err)))
        return lfd_err_prefix_rc(err, rc, "'t'");
    /* the body of each type */
    switch (req->type) {
    case LFD_MSG_HELLO:
        if (have[RK_PROBE] && (rc = lfd_mpr_bool(&pos[RK_PROBE], &req->probe, err)))
            return lfd_err_prefix_rc(err, rc, "'probe'");
        if (!have[RK_POLICY])
            BAD(LFD_PE_BAD_MESSAGE, "hello: missing 'policy' (the policy's name)");
        if ((rc = read_text(&pos[RK_POLICY], &req->policy, &req->policy_len,
                            LFD_PROTO_NAME_MAX, "policy", err)))
            return rc;
        if (have[RK_CLIENT] && (rc = read_text(&pos[RK_CLIENT], &req->client, &req->client_len,
                                               LFD_PROTO_TEXT_MAX, "client", err)))
            return rc;
        if (have[RK_ROBOT] && (rc = read_text(&pos[RK_ROBOT], &req->robot, &req->robot_len,
                                              LFD_PROTO_NAME_MAX, "robot", err)))
            return rc;
        if (have[RK_MODEL_HASH] &&
            (rc = read_text(&pos[RK_MODEL_HASH], &req->model_hash, &req->model_hash_len, 65,
                            "model_hash", err)))
            return rc;
        {
            struct {
                int k;
                lfd_names *l;
                uint32_t max;
            } lists[] = {{RK_OBS_NAMES, &req->obs_names, LFD_PROTO_NAME_MAX},
                         {RK_OBS_UNITS, &req->obs_units, LFD_PROTO_UNIT_MAX},
                         {RK_ACT_NAMES, &req->act_names, LFD_PROTO_NAME_MAX},
                         {RK_ACT_UNITS, &req->act_units, LFD_PROTO_UNIT_MAX}};
            for (int i = 0; i < 4; i++)
                if (have[lists[i].k] &&
                    (rc = read_names(&pos[lists[i].k], lists[i].l, lists[i].max,
                                     req_keys[lists[i].k].s, err)))
                    return rc;
        }
        if (!req->probe && (!req->obs_names.present || !req->act_names.present))
            BAD(LFD_PE_BAD_MESSAGE, "hello: missing 'obs_names' or 'act_names' (a client "
                                    "declares the schema it expects; use probe: true to "
                                    "only describe the policy)");
        if (have[RK_CURRENT]) {
            if ((rc = read_float_nd(&pos[RK_CURRENT], &vec_caps, &req->current, "current", err)))
                return rc;
            req->has_current = 1;
        }
        if (have[RK_TOKEN]) {
            if ((rc = read_text(&pos[RK_TOKEN], &req->token, &req->token_len,
                                LFD_PROTO_TOKEN_MAX + 1, "session_token", err)))
                return rc;
            if (req->token_len < LFD_PROTO_TOKEN_MIN)
                BAD(LFD_PE_BAD_MESSAGE, "'session_token' is %u bytes long (at least %d: choose "
                                        "it at random)",
                    req->token_len, LFD_PROTO_TOKEN_MIN);
        }
        break;
    case LFD_MSG_ACT:
        if (!have[RK_OBS])
            BAD(LFD_PE_BAD_MESSAGE, "act: missing 'obs'");
        if ((rc = read_float_nd(&pos[RK_OBS], &vec_caps, &req->obs, "obs", err))) {
            *pe = LFD_PE_BAD_OBSERVATION;
            return rc;
        }
        req->has_obs = 1;
        if (have[RK_PREV_ACTION]) {
            if ((rc = read_float_nd(&pos[RK_PREV_ACTION], &vec_caps, &req->prev_action,
                                    "prev_action", err)))
                return rc;
            req->has_prev_action = 1;
        }
        if (have[RK_PREV_VELOCITY]) {
            if ((rc = read_float_nd(&pos[RK_PREV_VELOCITY], &vec_caps, &req->prev_velocity,
                                    "prev_velocity", err)))
                return rc;
            req->has_prev_velocity = 1;
        }
        break;
    case LFD_MSG_RESET:
        if (have[RK_CURRENT]) {
            if ((rc = read_float_nd(&pos[RK_CURRENT], &vec_caps, &req->current, "current", err)))
                return rc;
            req->has_current = 1;
        }
        break;
    default:
        break;
    }
    *pe = LFD_PE_NONE;
    return LFD_OK;
}

/* ---- replies --------------------------------------------------------------------- */

enum {
    PK_V, PK_TYPE, PK_SEQ, PK_T, PK_CODE, PK_MESSAGE, PK_ACTIONS, PK_HOLD, PK_REASON, PK_HASH,
    PK_FILTER, PK_TIMING, PK_SESSION, PK_POLICY, PK_KIND, PK_ROBOT, PK_MODEL_HASH, PK_NORM,
    PK_SERVER, PK_PERIOD, PK_DEADLINE, PK_CHUNK, PK_MAXMSG, PK_OBS_NAMES, PK_OBS_UNITS,
    PK_ACT_NAMES, PK_ACT_UNITS, PK_POLICIES, PK_DEFAULT, PK_LO, PK_HI, PK_VEL, PK_ACC,
    PK_LINEAGE, PK_COUNT
};
static const proto_key rep_keys[PK_COUNT] = {
    K("v"), K("type"), K("seq"), K("t"), K("code"), K("message"), K("actions"), K("hold"),
    K("reason"), K("hash"), K("filter"), K("timing"), K("session"), K("policy"), K("kind"),
    K("robot"), K("model_hash"), K("norm"), K("server"), K("control_period_s"),
    K("deadline_s"), K("chunk"), K("max_msg_bytes"), K("obs_names"), K("obs_units"),
    K("act_names"), K("act_units"), K("policies"), K("default_action"), K("act_lo"),
    K("act_hi"), K("vel_limit"), K("acc_limit"), K("lineage")};

enum { FK_FLAGS, FK_CLAMPED, FK_VEL, FK_ACC, FK_NONFINITE, FK_HELD, FK_START, FK_COUNT };
static const proto_key filter_keys[FK_COUNT] = {
    K("flags"), K("clamped"), K("vel_limited"), K("acc_limited"), K("nonfinite"), K("held"),
    K("start_clamped")};
enum { TK_DECODE, TK_NORM, TK_INFER, TK_FILTER, TK_ENCODE, TK_QUEUE, TK_BATCH, TK_COUNT };
static const proto_key timing_keys[TK_COUNT] = {
    K("decode_us"), K("normalise_us"), K("infer_us"), K("filter_us"), K("encode_us"),
    K("queue_us"), K("batch")};

static int opt_text(int have, lfd_mpr *pos, const uint8_t **s, uint32_t *n, uint32_t max,
                    const char *what, lfd_err *err)
{
    if (!have)
        return LFD_OK;
    return read_text(pos, s, n, max, what, err);
}

int lfd_rep_decode(lfd_rep *rep, const uint8_t *data, size_t len, lfd_err *err)
{
    memset(rep, 0, sizeof *rep);
    lfd_mpr r, pos[PK_COUNT];
    int have[PK_COUNT];
    lfd_mpr_init(&r, data, len);
    lfd_mp_type t0;
    if (len == 0 || lfd_mpr_peek(&r, &t0, err) || t0 != LFD_MP_MAP)
        return lfd_fail(err, LFD_EPARSE, "reply is not a msgpack map");
    int rc = scan_map(&r, rep_keys, PK_COUNT, pos, have, err);
    if (rc)
        return rc;
    if (lfd_mpr_left(&r))
        return lfd_fail(err, LFD_EPARSE, "byte %zu: data after the reply map",
                        lfd_mpr_offset(&r));
    int64_t i64;
    if (!have[PK_V] || !have[PK_TYPE] || !have[PK_SEQ] || !have[PK_T])
        return lfd_fail(err, LFD_EPARSE, "reply lacks one of v, type, seq, t");
    if ((rc = lfd_mpr_int(&pos[PK_V], INT32_MIN, INT32_MAX, &rep->version, err)))
        return lfd_err_prefix_rc(err, rc, "'v'");
    if (rep->version != LFD_PROTO_VERSION)
        return lfd_fail(err, LFD_EUNSUPPORTED, "reply in protocol version %lld (this client "
                                               "speaks %d)",
                        (long long)rep->version, LFD_PROTO_VERSION);
    const uint8_t *s;
    uint32_t sl;
    if ((rc = read_text(&pos[PK_TYPE], &s, &sl, 32, "type", err)))
        return rc;
    rep->type = type_parse(s, sl);
    if (rep->type == LFD_MSG_NONE || rep->type == LFD_MSG_PING)
        return lfd_fail(err, LFD_EPARSE, "unknown reply type '%.*s'", (int)sl, (const char *)s);
    if ((rc = lfd_mpr_int(&pos[PK_SEQ], 0, INT64_MAX, &i64, err)))
        return lfd_err_prefix_rc(err, rc, "'seq'");
    rep->seq = (uint64_t)i64;
    if ((rc = lfd_mpr_f64(&pos[PK_T], &rep->t_s, err)))
        return lfd_err_prefix_rc(err, rc, "'t'");
    switch (rep->type) {
    case LFD_MSG_ERROR:
        if (!have[PK_CODE] || !have[PK_MESSAGE])
            return lfd_fail(err, LFD_EPARSE, "error reply lacks code or message");
        if ((rc = read_text(&pos[PK_CODE], &s, &sl, 32, "code", err)) ||
            (rc = read_text(&pos[PK_MESSAGE], &rep->message, &rep->message_len,
                            LFD_PROTO_TEXT_MAX + 256, "message", err)))
            return rc;
        rep->code = lfd_proto_error_parse(s, sl);
        break;
    case LFD_MSG_ACT: {
        if (!have[PK_ACTIONS] || !have[PK_HOLD])
            return lfd_fail(err, LFD_EPARSE, "act reply lacks actions or hold");
        if ((rc = read_float_nd(&pos[PK_ACTIONS], &msg_caps, &rep->actions, "actions", err)))
            return rc;
        if (rep->actions.ndim != 2)
            return lfd_fail(err, LFD_EPARSE, "'actions' must be (chunk, act_dim)");
        if ((rc = lfd_mpr_bool(&pos[PK_HOLD], &rep->hold, err)))
            return lfd_err_prefix_rc(err, rc, "'hold'");
        if ((rc = opt_text(have[PK_REASON], &pos[PK_REASON], &rep->reason, &rep->reason_len, 32,
                           "reason", err)) ||
            (rc = opt_text(have[PK_MESSAGE], &pos[PK_MESSAGE], &rep->message,
                           &rep->message_len, LFD_PROTO_TEXT_MAX + 256, "message", err)) ||
            (rc = opt_text(have[PK_HASH], &pos[PK_HASH], &rep->hash, &rep->hash_len, 65, "hash",
                           err)))
            return rc;
        if (have[PK_FILTER]) {
            lfd_mpr fp[FK_COUNT];
            int fh[FK_COUNT];
            if ((rc = scan_map(&pos[PK_FILTER], filter_keys, FK_COUNT, fp, fh, err)))
                return lfd_err_prefix_rc(err, rc, "'filter'");
            if (fh[FK_FLAGS]) {
                if ((rc = lfd_nd_read(&fp[FK_FLAGS], &vec_caps, &rep->flags, err)))
                    return lfd_err_prefix_rc(err, rc, "'filter.flags'");
                if (rep->flags.dtype != LFD_DT_U8 || rep->flags.ndim != 1)
                    return lfd_fail(err, LFD_EPARSE, "'filter.flags' must be |u1 (act_dim)");
            }
            uint32_t *dst[FK_COUNT] = {NULL, &rep->counts.clamped, &rep->counts.vel_limited,
                                       &rep->counts.acc_limited, &rep->counts.nonfinite,
                                       &rep->counts.held, &rep->counts.start_clamped};
            for (int k = 1; k < FK_COUNT; k++)
                if (fh[k]) {
                    if ((rc = lfd_mpr_int(&fp[k], 0, UINT32_MAX, &i64, err)))
                        return lfd_err_prefix_rc(err, rc, "'filter.%s'", filter_keys[k].s);
                    *dst[k] = (uint32_t)i64;
                }
        }
        if (have[PK_TIMING]) {
            lfd_mpr tp[TK_COUNT];
            int th[TK_COUNT];
            if ((rc = scan_map(&pos[PK_TIMING], timing_keys, TK_COUNT, tp, th, err)))
                return lfd_err_prefix_rc(err, rc, "'timing'");
            double *dst[TK_BATCH] = {&rep->timing.decode_us, &rep->timing.normalise_us,
                                     &rep->timing.infer_us,  &rep->timing.filter_us,
                                     &rep->timing.encode_us, &rep->timing.queue_us};
            for (int k = 0; k < TK_BATCH; k++)
                if (th[k] && (rc = lfd_mpr_f64(&tp[k], dst[k], err)))
                    return lfd_err_prefix_rc(err, rc, "'timing.%s'", timing_keys[k].s);
            if (th[TK_BATCH]) {
                if ((rc = lfd_mpr_int(&tp[TK_BATCH], 0, 1 << 20, &i64, err)))
                    return lfd_err_prefix_rc(err, rc, "'timing.batch'");
                rep->timing.batch = (int)i64;
            }
        }
        break;
    }
    case LFD_MSG_HELLO: {
        if (have[PK_SESSION] && (rc = lfd_mpr_bool(&pos[PK_SESSION], &rep->session, err)))
            return lfd_err_prefix_rc(err, rc, "'session'");
        if (!have[PK_POLICY] || !have[PK_HASH] || !have[PK_CHUNK] || !have[PK_PERIOD] ||
            !have[PK_OBS_NAMES] || !have[PK_ACT_NAMES])
            return lfd_fail(err, LFD_EPARSE, "hello reply lacks policy, hash, chunk, "
                                             "control_period_s, obs_names or act_names");
        if ((rc = read_text(&pos[PK_POLICY], &rep->policy, &rep->policy_len, LFD_PROTO_NAME_MAX,
                            "policy", err)) ||
            (rc = read_text(&pos[PK_HASH], &rep->hash, &rep->hash_len, 65, "hash", err)) ||
            (rc = opt_text(have[PK_KIND], &pos[PK_KIND], &rep->kind, &rep->kind_len, 16, "kind",
                           err)) ||
            (rc = opt_text(have[PK_ROBOT], &pos[PK_ROBOT], &rep->robot, &rep->robot_len,
                           LFD_PROTO_NAME_MAX, "robot", err)) ||
            (rc = opt_text(have[PK_MODEL_HASH], &pos[PK_MODEL_HASH], &rep->model_hash,
                           &rep->model_hash_len, 65, "model_hash", err)) ||
            (rc = opt_text(have[PK_NORM], &pos[PK_NORM], &rep->norm, &rep->norm_len, 16, "norm",
                           err)) ||
            (rc = opt_text(have[PK_SERVER], &pos[PK_SERVER], &rep->server, &rep->server_len,
                           LFD_PROTO_NAME_MAX, "server", err)))
            return rc;
        if ((rc = lfd_mpr_int(&pos[PK_CHUNK], 1, 1 << 20, &rep->chunk, err)))
            return lfd_err_prefix_rc(err, rc, "'chunk'");
        if ((rc = lfd_mpr_f64(&pos[PK_PERIOD], &rep->control_period_s, err)))
            return lfd_err_prefix_rc(err, rc, "'control_period_s'");
        if (!(rep->control_period_s > 0 && rep->control_period_s <= 10))
            return lfd_fail(err, LFD_EPARSE, "control period %g s is not in (0, 10]",
                            rep->control_period_s);
        if (have[PK_DEADLINE] && (rc = lfd_mpr_f64(&pos[PK_DEADLINE], &rep->deadline_s, err)))
            return lfd_err_prefix_rc(err, rc, "'deadline_s'");
        if (have[PK_MAXMSG] &&
            (rc = lfd_mpr_int(&pos[PK_MAXMSG], 0, INT64_MAX, &rep->max_msg_bytes, err)))
            return lfd_err_prefix_rc(err, rc, "'max_msg_bytes'");
        struct {
            int k;
            lfd_names *l;
            uint32_t max;
        } lists[] = {{PK_OBS_NAMES, &rep->obs_names, LFD_PROTO_NAME_MAX},
                     {PK_OBS_UNITS, &rep->obs_units, LFD_PROTO_UNIT_MAX},
                     {PK_ACT_NAMES, &rep->act_names, LFD_PROTO_NAME_MAX},
                     {PK_ACT_UNITS, &rep->act_units, LFD_PROTO_UNIT_MAX},
                     {PK_POLICIES, &rep->policies, LFD_PROTO_NAME_MAX}};
        for (int i = 0; i < 5; i++)
            if (have[lists[i].k] &&
                (rc = read_names(&pos[lists[i].k], lists[i].l, lists[i].max, rep_keys[lists[i].k].s,
                                 err)))
                return rc;
        if (rep->act_names.n < 1 || rep->obs_names.n < 1)
            return lfd_fail(err, LFD_EPARSE, "hello reply with no observations or actions");
        int nlim = have[PK_DEFAULT] + have[PK_LO] + have[PK_HI] + have[PK_VEL] + have[PK_ACC];
        if (nlim != 0 && nlim != 5)
            return lfd_fail(err, LFD_EPARSE, "hello reply has some of the joint limits only");
        if (nlim == 5) {
            struct {
                int k;
                lfd_ndview *v;
            } vecs[] = {{PK_DEFAULT, &rep->default_action}, {PK_LO, &rep->act_lo},
                        {PK_HI, &rep->act_hi}, {PK_VEL, &rep->vel_limit},
                        {PK_ACC, &rep->acc_limit}};
            for (int i = 0; i < 5; i++) {
                if ((rc = read_float_nd(&pos[vecs[i].k], &vec_caps, vecs[i].v,
                                        rep_keys[vecs[i].k].s, err)))
                    return rc;
                if (vecs[i].v->ndim != 1 || vecs[i].v->count != rep->act_names.n)
                    return lfd_fail(err, LFD_EPARSE, "'%s' must have act_dim (%u) elements",
                                    rep_keys[vecs[i].k].s, rep->act_names.n);
            }
            rep->has_limits = 1;
        }
        if (have[PK_LINEAGE]) {
            lfd_mp_type lt;
            if (lfd_mpr_peek(&pos[PK_LINEAGE], &lt, err) == LFD_OK && lt == LFD_MP_MAP) {
                rep->lineage = pos[PK_LINEAGE];
                rep->has_lineage = 1;
            }
        }
        break;
    }
    default:
        break;
    }
    return LFD_OK;
}

/* ---- encoding -------------------------------------------------------------------- */

void lfd_proto_pack_header(msgpack_packer *pk, uint32_t extra, lfd_msg_type type,
                           uint64_t seq, double t_s)
{
    msgpack_pack_map(pk, 4 + extra);
    lfd_mp_pack_cstr(pk, "v");
    msgpack_pack_int(pk, LFD_PROTO_VERSION);
    lfd_mp_pack_cstr(pk, "type");
    lfd_mp_pack_cstr(pk, lfd_msg_type_name(type));
    lfd_mp_pack_cstr(pk, "seq");
    msgpack_pack_uint64(pk, seq);
    lfd_mp_pack_cstr(pk, "t");
    msgpack_pack_double(pk, t_s);
}

void lfd_proto_pack_vec(msgpack_packer *pk, const float *v, int rows, int n)
{
    uint64_t shape[2] = {(uint64_t)rows, (uint64_t)n};
    if (rows <= 0)
        lfd_nd_pack(pk, LFD_DT_F32, 1, shape + 1, v);
    else
        lfd_nd_pack(pk, LFD_DT_F32, 2, shape, v);
}

static int finish(lfd_buf *b, lfd_err *err)
{
    if (!lfd_buf_ok(b))
        return lfd_fail(err, LFD_ELIMIT, "message does not fit its %zu-byte buffer", b->cap);
    return LFD_OK;
}

static void pack_names(msgpack_packer *pk, const char *key, const char *const *names, int n)
{
    lfd_mp_pack_cstr(pk, key);
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        lfd_mp_pack_cstr(pk, names[i] ? names[i] : "");
}

int lfd_proto_encode_hello_req(lfd_buf *b, const lfd_hello_req *h, lfd_err *err)
{
    msgpack_packer pk;
    lfd_packer_init(&pk, b);
    int have_schema = h->obs_names && h->act_names;
    uint32_t extra = 1 + (h->client != NULL) + (h->probe != 0) + 2 * have_schema +
                     (have_schema && h->obs_units) + (have_schema && h->act_units) +
                     (h->robot && h->robot[0]) + (h->model_hash && h->model_hash[0]) +
                     (h->current != NULL) + (h->session_token != NULL);
    lfd_proto_pack_header(&pk, extra, LFD_MSG_HELLO, h->seq, h->t_s);
    lfd_mp_pack_cstr(&pk, "policy");
    lfd_mp_pack_cstr(&pk, h->policy ? h->policy : "");
    if (h->client) {
        lfd_mp_pack_cstr(&pk, "client");
        lfd_mp_pack_cstr(&pk, h->client);
    }
    if (h->probe) {
        lfd_mp_pack_cstr(&pk, "probe");
        msgpack_pack_true(&pk);
    }
    if (have_schema) {
        pack_names(&pk, "obs_names", h->obs_names, h->obs_dim);
        if (h->obs_units)
            pack_names(&pk, "obs_units", h->obs_units, h->obs_dim);
        pack_names(&pk, "act_names", h->act_names, h->act_dim);
        if (h->act_units)
            pack_names(&pk, "act_units", h->act_units, h->act_dim);
    }
    if (h->robot && h->robot[0]) {
        lfd_mp_pack_cstr(&pk, "robot");
        lfd_mp_pack_cstr(&pk, h->robot);
    }
    if (h->model_hash && h->model_hash[0]) {
        lfd_mp_pack_cstr(&pk, "model_hash");
        lfd_mp_pack_cstr(&pk, h->model_hash);
    }
    if (h->current) {
        lfd_mp_pack_cstr(&pk, "current");
        lfd_proto_pack_vec(&pk, h->current, 0, h->act_dim);
    }
    if (h->session_token) {
        lfd_mp_pack_cstr(&pk, "session_token");
        lfd_mp_pack_cstr(&pk, h->session_token);
    }
    return finish(b, err);
}

/* The act request and reply are written with lfd_mpw_* (the per-message
   path; the other messages use msgpack-c's packer).  The bytes are the
   same either way: each writer is checked against msgpack-c's packer in
   tests/test_core_codec.c (mp_direct_writer_matches_msgpack_c). */
#define LIT(b, s) lfd_mpw_str(b, s, sizeof(s) - 1)

static void write_header(lfd_buf *b, uint32_t extra, lfd_msg_type type, uint64_t seq,
                         double t_s)
{
    lfd_mpw_map(b, 4 + extra);
    LIT(b, "v");
    lfd_mpw_i64(b, LFD_PROTO_VERSION);
    LIT(b, "type");
    lfd_mpw_cstr(b, lfd_msg_type_name(type));
    LIT(b, "seq");
    lfd_mpw_u64(b, seq);
    LIT(b, "t");
    lfd_mpw_f64(b, t_s);
}

static void write_vec(lfd_buf *b, const float *v, int rows, int n)
{
    uint64_t shape[2] = {(uint64_t)rows, (uint64_t)n};
    if (rows <= 0)
        lfd_nd_write(b, LFD_DT_F32, 1, shape + 1, v);
    else
        lfd_nd_write(b, LFD_DT_F32, 2, shape, v);
}

int lfd_proto_encode_act_req(lfd_buf *b, uint64_t seq, double t_s, const float *obs,
                             int obs_dim, const float *prev_action, const float *prev_velocity,
                             int act_dim, lfd_err *err)
{
    write_header(b, 1 + (prev_action != NULL) + (prev_velocity != NULL), LFD_MSG_ACT, seq, t_s);
    LIT(b, "obs");
    write_vec(b, obs, 0, obs_dim);
    if (prev_action) {
        LIT(b, "prev_action");
        write_vec(b, prev_action, 0, act_dim);
    }
    if (prev_velocity) {
        LIT(b, "prev_velocity");
        write_vec(b, prev_velocity, 0, act_dim);
    }
    return finish(b, err);
}

int lfd_proto_encode_simple_req(lfd_buf *b, lfd_msg_type type, uint64_t seq, double t_s,
                                const float *current, int act_dim, lfd_err *err)
{
    msgpack_packer pk;
    lfd_packer_init(&pk, b);
    int cur = type == LFD_MSG_RESET && current;
    lfd_proto_pack_header(&pk, (uint32_t)cur, type, seq, t_s);
    if (cur) {
        lfd_mp_pack_cstr(&pk, "current");
        lfd_proto_pack_vec(&pk, current, 0, act_dim);
    }
    return finish(b, err);
}

int lfd_proto_encode_error(lfd_buf *b, uint64_t seq, double t_s, lfd_proto_error code,
                           const char *message)
{
    msgpack_packer pk;
    lfd_packer_init(&pk, b);
    lfd_proto_pack_header(&pk, 2, LFD_MSG_ERROR, seq, t_s);
    lfd_mp_pack_cstr(&pk, "code");
    lfd_mp_pack_cstr(&pk, lfd_proto_error_name(code));
    lfd_mp_pack_cstr(&pk, "message");
    /* a message may quote what a client sent (a type, a name): msgpack str
       must be UTF-8, so a byte that does not start a well-formed character
       goes as '?' (a client decoding str strictly, as the Python client
       does, failed on the error itself) */
    char text[LFD_PROTO_TEXT_MAX + 256];
    size_t n = message ? strnlen(message, sizeof text - 1) : 0;
    for (size_t i = 0; i < n;) {
        size_t k = lfd_util_utf8_len((const unsigned char *)message + i, n - i);
        if (!k) {
            text[i++] = '?';
            continue;
        }
        memcpy(text + i, message + i, k);
        i += k;
    }
    lfd_mp_pack_strn(&pk, text, n);
    return finish(b, NULL);
}

int lfd_proto_encode_act_rep(lfd_buf *b, const lfd_act_out *o, int64_t t_start_ns,
                             double *encode_us, lfd_err *err)
{
    int has_msg = o->message && o->message[0];
    write_header(b, 7 + has_msg, LFD_MSG_ACT, o->seq, o->t_s);
    LIT(b, "t_req");
    lfd_mpw_f64(b, o->t_req_s);
    LIT(b, "hash");
    lfd_mpw_cstr(b, o->hash ? o->hash : "");
    LIT(b, "actions");
    write_vec(b, o->actions, o->chunk, o->act_dim);
    LIT(b, "hold");
    lfd_mpw_bool(b, o->hold);
    LIT(b, "reason");
    lfd_mpw_cstr(b, o->reason ? o->reason : "");
    if (has_msg) {
        LIT(b, "message");
        lfd_mpw_str(b, o->message, strnlen(o->message, LFD_PROTO_TEXT_MAX));
    }
    LIT(b, "filter");
    lfd_mpw_map(b, 7);
    LIT(b, "flags");
    uint64_t shape[1] = {(uint64_t)o->act_dim};
    lfd_nd_write(b, LFD_DT_U8, 1, shape, o->flags);
    LIT(b, "clamped");
    lfd_mpw_u64(b, o->counts.clamped);
    LIT(b, "vel_limited");
    lfd_mpw_u64(b, o->counts.vel_limited);
    LIT(b, "acc_limited");
    lfd_mpw_u64(b, o->counts.acc_limited);
    LIT(b, "nonfinite");
    lfd_mpw_u64(b, o->counts.nonfinite);
    LIT(b, "held");
    lfd_mpw_u64(b, o->counts.held);
    LIT(b, "start_clamped");
    lfd_mpw_u64(b, o->counts.start_clamped);
    LIT(b, "timing");
    lfd_mpw_map(b, 7);
    LIT(b, "decode_us");
    lfd_mpw_f64(b, o->timing.decode_us);
    LIT(b, "normalise_us");
    lfd_mpw_f64(b, o->timing.normalise_us);
    LIT(b, "infer_us");
    lfd_mpw_f64(b, o->timing.infer_us);
    LIT(b, "filter_us");
    lfd_mpw_f64(b, o->timing.filter_us);
    LIT(b, "queue_us");
    lfd_mpw_f64(b, o->timing.queue_us);
    LIT(b, "batch");
    lfd_mpw_i64(b, o->timing.batch);
    /* last: the encode time, a float64 patched in place once encoding is done */
    LIT(b, "encode_us");
    size_t at = b->len;
    lfd_mpw_f64(b, 0.0);
    int rc = finish(b, err);
    if (rc)
        return rc;
    double us = (double)(lfd_now_ns() - t_start_ns) * 1e-3;
    uint64_t u;
    memcpy(&u, &us, 8);
    for (int i = 0; i < 8; i++)
        b->data[at + 1 + i] = (uint8_t)(u >> (56 - 8 * i));
    if (encode_us)
        *encode_us = us;
    return LFD_OK;
}

int lfd_proto_peek_seq(const uint8_t *data, size_t len, uint64_t *seq)
{
    lfd_mpr r;
    lfd_mpr_init(&r, data, len);
    uint32_t n;
    if (lfd_mpr_map(&r, &n, NULL))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k;
        uint32_t kl;
        if (lfd_mpr_bytes(&r, &k, &kl, NULL))
            return 0;
        if (lfd_mp_key_is(k, kl, "seq")) {
            int64_t v;
            if (lfd_mpr_int(&r, 0, INT64_MAX, &v, NULL))
                return 0;
            *seq = (uint64_t)v;
            return 1;
        }
        if (lfd_mpr_skip(&r, NULL))
            return 0;
    }
    return 0;
}
