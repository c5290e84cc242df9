/*  lfd_proto: the wire protocol between `lfd serve` and robot controllers.

    docs/protocol.md is the specification; this is its codec.  Every message
    is one ZeroMQ frame holding one msgpack map with at least
        "v": protocol version (LFD_PROTO_VERSION), "type": str,
        "seq": uint (the request's; echoed in its reply), "t": float64
        (the sender's wall clock, unix seconds, for logs and latency)
    and arrays as ndarray maps (core/lfd_ndarray.h, str or bin keys).
    Requests: hello, act, reset, ping, stats.  Replies: hello, act, reset,
    pong, stats, error.

    Decoding never allocates and never copies: lfd_req_decode and
    lfd_rep_decode fill a struct of views into the message (strings as
    pointer + length, arrays as lfd_ndview, name lists as cursors) after
    checking every size against caps.  The message must outlive the struct.
    Unknown keys are skipped (forward compatible); duplicate keys: the last
    wins.  Encoders write into a caller's lfd_buf (fixed, over preallocated
    memory, on every per-message path) and allocate nothing.

    Errors found while decoding a request carry a protocol error code
    (lfd_proto_error) that the server sends back as {type: "error", code,
    message}; the seq is echoed when it could be read.
*/
#ifndef LFD_PROTO_H
#define LFD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_util.h"
#include "core/lfd_err.h"
#include "core/lfd_mp.h"
#include "core/lfd_ndarray.h"
#include "runtime/lfd_filter.h"
#include "runtime/lfd_proto_types.h"

#define LFD_PROTO_VERSION 1
/* default soft cap: larger messages are answered with a too_large error
   without being parsed */
#define LFD_PROTO_MAX_MSG_DEFAULT ((size_t)64 << 10)
/* hard cap (ZMQ_MAXMSGSIZE): libzmq refuses the frame before allocating it
   and drops the connection; nothing can be answered */
#define LFD_PROTO_HARD_MAX_MSG ((size_t)1 << 20)
#define LFD_PROTO_MAX_KEYS 64       /* entries in one message map */
#define LFD_PROTO_MAX_DIM 4096      /* observation / action width */
#define LFD_PROTO_NAME_MAX LFD_NAME_MAX       /* policy, joint and observation names, with NUL */
#define LFD_PROTO_UNIT_MAX 16
#define LFD_PROTO_TEXT_MAX 512      /* error messages, client labels */
#define LFD_PROTO_TOKEN_MIN 16      /* hello's session_token, bytes */
#define LFD_PROTO_TOKEN_MAX 64

typedef enum {
    LFD_MSG_NONE = 0,
    LFD_MSG_HELLO,
    LFD_MSG_ACT,
    LFD_MSG_RESET,
    LFD_MSG_PING,
    LFD_MSG_STATS,
    LFD_MSG_PONG,
    LFD_MSG_ERROR
} lfd_msg_type;

/* Protocol error codes (their wire names in lfd_proto_error_name). */
typedef enum {
    LFD_PE_NONE = 0,
    LFD_PE_BAD_MESSAGE,     /* "bad_message": not msgpack, not a map, a field missing or
                               of the wrong type, trailing bytes */
    LFD_PE_TOO_LARGE,       /* "too_large": above the server's message cap */
    LFD_PE_BAD_ENVELOPE,    /* "bad_envelope": not exactly one payload frame */
    LFD_PE_VERSION,         /* "version": protocol version not spoken here */
    LFD_PE_UNKNOWN_TYPE,    /* "unknown_type" */
    LFD_PE_UNKNOWN_POLICY,  /* "unknown_policy": no policy of that name is served */
    LFD_PE_SCHEMA_MISMATCH, /* "schema_mismatch": hello's schema differs from the policy's */
    LFD_PE_NO_SESSION,      /* "no_session": act/reset before a hello (or after expiry or a
                               server restart): send hello again */
    LFD_PE_SCHEMA_CHANGED,  /* "schema_changed": the policy was reloaded with another
                               schema: send hello again */
    LFD_PE_BAD_OBSERVATION, /* "bad_observation": wrong shape or dtype */
    LFD_PE_OUT_OF_ORDER,    /* "out_of_order": seq not above the session's last seq */
    LFD_PE_BUSY,            /* "busy": session table full */
    LFD_PE_INTERNAL,        /* "internal" */
    LFD_PE_DENIED,          /* "denied": the client's CURVE key is no longer allowed (1.1) */
    LFD_PE_COUNT
} lfd_proto_error;

const char *lfd_proto_error_name(lfd_proto_error e);
/* Wire name -> code (LFD_PE_INTERNAL for an unknown name). */
lfd_proto_error lfd_proto_error_parse(const uint8_t *s, uint32_t n);
const char *lfd_msg_type_name(lfd_msg_type t);

/* A list of names in a message: a cursor at the msgpack array, already
   validated (every element a str/bin shorter than the cap). */
typedef struct lfd_names {
    int present;
    uint32_t n;
    lfd_mpr r; /* at the first element */
} lfd_names;

/* Name i of the list (0 <= i < n) as pointer + length; walks from the
   start (lists are short and compared once per hello). */
int lfd_names_get(const lfd_names *l, uint32_t i, const uint8_t **s, uint32_t *len);
/* Compares a list with n NUL-terminated names at stride bytes apart.
   Returns 1 if equal, else 0 and a reason in why ("obs_names[3] is 'x',
   the policy has 'y'"). */
int lfd_names_match(const lfd_names *l, const char *what, const char *names, size_t stride,
                    int n, char *why, size_t whysz);

/* A decoded request (views into the message). */
typedef struct lfd_req {
    lfd_msg_type type;
    int64_t version;
    int has_seq;
    uint64_t seq;
    double t_s;
    /* hello */
    const uint8_t *policy;
    uint32_t policy_len;
    const uint8_t *client;
    uint32_t client_len;
    const uint8_t *robot, *model_hash;
    uint32_t robot_len, model_hash_len;
    lfd_names obs_names, obs_units, act_names, act_units;
    int probe;
    const uint8_t *token; /* session_token: a reconnecting client's identity */
    uint32_t token_len;
    /* act */
    int has_obs, has_prev_action, has_prev_velocity;
    lfd_ndview obs, prev_action, prev_velocity;
    /* hello and reset: the robot's current joint positions */
    int has_current;
    lfd_ndview current;
} lfd_req;

/* Decodes one request.  On failure returns an LFD_E* status, sets *pe to
   the protocol error to answer with and err to the reason; req->has_seq
   and req->seq say whether the seq could be read. */
/* The top-level 'seq' of a message that is too large or does not decode, read
   without the decoder's limits (keys skipped to it), so that the error reply
   names the request it answers: 1 and *seq when found, 0 otherwise. */
int lfd_proto_peek_seq(const uint8_t *data, size_t len, uint64_t *seq);
int lfd_req_decode(lfd_req *req, const uint8_t *data, size_t len, lfd_proto_error *pe,
                   lfd_err *err);

/* Reads a 1-D (or (1, n)) float array of exactly n elements into dst,
   rejecting non-finite values when reject_nonfinite. */
int lfd_proto_get_vec(const lfd_ndview *v, float *dst, int n, int reject_nonfinite,
                      const char *what, lfd_err *err);


/* A decoded reply (views into the message). */
typedef struct lfd_rep {
    lfd_msg_type type;
    int64_t version;
    uint64_t seq;
    double t_s;
    /* error */
    lfd_proto_error code;
    const uint8_t *message;
    uint32_t message_len;
    /* act */
    lfd_ndview actions, flags;
    int hold;
    const uint8_t *reason, *hash;
    uint32_t reason_len, hash_len;
    lfd_filter_counts counts;
    lfd_act_timing timing;
    /* hello */
    int session;
    const uint8_t *policy, *kind, *robot, *model_hash, *norm, *server;
    uint32_t policy_len, kind_len, robot_len, model_hash_len, norm_len, server_len;
    double control_period_s, deadline_s;
    int64_t chunk, max_msg_bytes;
    lfd_names obs_names, obs_units, act_names, act_units, policies;
    lfd_ndview default_action, act_lo, act_hi, vel_limit, acc_limit;
    int has_limits;
    lfd_mpr lineage; /* at the lineage map (hello), if has_lineage */
    int has_lineage;
    /* stats, pong: the whole message is the payload */
} lfd_rep;

/* Decodes one reply; fields a type does not have are zero. */
int lfd_rep_decode(lfd_rep *rep, const uint8_t *data, size_t len, lfd_err *err);

/* ---- encoding (into fixed lfd_bufs; check lfd_buf_ok) -------------------- */

/* Starts a message: a map of 4 + extra entries and the four header entries. */
void lfd_proto_pack_header(msgpack_packer *pk, uint32_t extra, lfd_msg_type type,
                           uint64_t seq, double t_s);
/* Packs a float vector as an ndarray <f4 of shape (n) or (rows, n). */
void lfd_proto_pack_vec(msgpack_packer *pk, const float *v, int rows, int n);

/* What a client declares in hello. */
typedef struct lfd_hello_req {
    uint64_t seq;
    double t_s;
    const char *policy;
    const char *client; /* optional label for logs */
    int obs_dim, act_dim;
    const char *const *obs_names, *const *obs_units; /* units optional (NULL) */
    const char *const *act_names, *const *act_units;
    const char *robot, *model_hash; /* optional */
    int probe;                      /* 1: describe the policy, open no session */
    const float *current;           /* optional: act_dim current joint positions */
    const char *session_token;      /* optional: LFD_PROTO_TOKEN_MIN..MAX bytes, chosen at
                                       random when the client starts; a hello carrying the
                                       token of a live session takes that session over */
} lfd_hello_req;

int lfd_proto_encode_hello_req(lfd_buf *b, const lfd_hello_req *h, lfd_err *err);
/* act request; prev_action / prev_velocity (act_dim) are optional. */
int lfd_proto_encode_act_req(lfd_buf *b, uint64_t seq, double t_s, const float *obs,
                             int obs_dim, const float *prev_action, const float *prev_velocity,
                             int act_dim, lfd_err *err);
/* ping, stats, or reset (current: optional act_dim positions). */
int lfd_proto_encode_simple_req(lfd_buf *b, lfd_msg_type type, uint64_t seq, double t_s,
                                const float *current, int act_dim, lfd_err *err);

int lfd_proto_encode_error(lfd_buf *b, uint64_t seq, double t_s, lfd_proto_error code,
                           const char *message);

/* An act reply. */
typedef struct lfd_act_out {
    uint64_t seq;
    double t_s, t_req_s;
    const char *hash;       /* the serving policy's hash */
    const float *actions;   /* chunk * act_dim */
    int chunk, act_dim;
    int hold;               /* 1: a hold action (reason says why) */
    const char *reason;     /* "" | "deadline" | "policy_error" */
    const char *message;    /* detail for a hold, may be NULL */
    const uint8_t *flags;   /* act_dim filter flags */
    lfd_filter_counts counts;
    lfd_act_timing timing;  /* encode_us is measured here and patched in */
} lfd_act_out;

/* Encodes an act reply.  The encode time (from t_start_ns, lfd_now_ns()
   clock, to the end of encoding) is written into the message's
   timing.encode_us and returned in *encode_us (may be NULL). */
int lfd_proto_encode_act_rep(lfd_buf *b, const lfd_act_out *o, int64_t t_start_ns,
                             double *encode_us, lfd_err *err);

/* Wall clock, unix seconds (the "t" of messages). */
double lfd_proto_wall_s(void);

#endif
