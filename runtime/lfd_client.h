/*  lfd_client: the C client library for robot controllers.

    Links on its own (build/liblfdclient.a, with -lzmq -lpthread -lm) and
    this header is self-contained: it includes lfd's core/lfd_err.h,
    runtime/lfd_filter.h and runtime/lfd_proto_types.h only, never
    <msgpack.h> or <zmq.h>.  It talks to `lfd serve` over ZeroMQ (a DEALER socket) with the
    protocol in docs/protocol.md.  Two ways to use it:

    Request/reply (any thread, one call at a time):
        lfd_client_config cfg;  lfd_client_config_init(&cfg);
        cfg.endpoint = "tcp://127.0.0.1:5555";  cfg.policy = "walk";
        cfg.obs_dim = ...; cfg.obs_names = ...; cfg.act_dim = ...; cfg.act_names = ...;
        lfd_client *c;
        if (lfd_client_new(&c, &cfg, &err)) ...     (connects and says hello:
                                                      a schema mismatch fails here)
        lfd_client_act(c, obs, prev_action, chunk, &info, &err);
        lfd_client_free(&c);
    Every call has a timeout (cfg.timeout_s); sockets use LINGER=0.  After a
    timeout the socket is closed and reopened (a server that restarted is
    found again) and the next call says hello first, with this client's
    random session token, so the new connection takes the old session over
    (docs/protocol.md); a server that forgot
    the session (no_session, schema_changed) gets a new hello and the
    request is sent again, all within the call's timeout.

    Real-time (a 500-1000 Hz control loop that must never block):
        lfd_client_start(c, current_pose, &err);   (starts a background thread)
        every tick:  lfd_client_put_obs(c, obs, t);
                     lfd_client_get_action(c, t, action, &tick);
        lfd_client_stop(c);
    The background thread owns the socket: it sends the latest observation
    when the local chunk buffer runs low (refill_periods control periods
    left) and publishes each new chunk through a triple buffer; between
    requests it sleeps until the next one is due (woken early only by stop,
    or at start by the first observation).  The loop's calls are wait-free
    (no lock, no allocation, no system call but the one that wakes the
    thread for the first observation after start): they read
    the newest chunk, interpolate the action for time t linearly between
    the chunk's steps (step k is for t_obs + k * control_period), and pass it
    through the safety filter again at the loop's own tick.  When the
    buffer runs dry the last action is held (LFD_TICK_LATE); after
    stale_periods missed periods the staleness watchdog says LFD_TICK_STALE
    (the action is the last command, held: switch the joints to damping).

    Times are seconds on CLOCK_MONOTONIC (lfd_client_now_s).  Errors are
    LFD_E* codes with an lfd_err message (core/lfd_err.h).
*/
#ifndef LFD_CLIENT_H
#define LFD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"
#include "runtime/lfd_filter.h"
#include "runtime/lfd_proto_types.h"

typedef struct lfd_client lfd_client;

typedef struct lfd_client_config {
    const char *endpoint;            /* e.g. "tcp://127.0.0.1:5555" */
    const char *policy;              /* the served policy's name */
    const char *client_name;         /* shown in the server's log (optional) */
    int obs_dim, act_dim;            /* the schema this controller expects */
    const char *const *obs_names;    /* obs_dim names */
    const char *const *obs_units;    /* optional (NULL: not checked) */
    const char *const *act_names;    /* act_dim joint names */
    const char *const *act_units;    /* optional */
    const char *robot, *model_hash;  /* optional: checked when the policy has them */
    double timeout_s;                /* every call (default 1 s) */
    /* CURVE: all three Z85 keys (40 characters), or none */
    const char *server_key, *public_key, *secret_key;
    /* real-time mode */
    int refill_periods;              /* ask for the next chunk when this many control
                                        periods are left (default chunk / 2, at least 1) */
    int stale_periods;               /* watchdog: LFD_TICK_STALE after this many missed
                                        periods (default 5) */
    int filter;                      /* re-apply the safety filter (default 1) */
} lfd_client_config;

/* Defaults: timeout 1 s, filter on, stale_periods 5. */
void lfd_client_config_init(lfd_client_config *cfg);

/* What the server said about the policy at hello (owned by the client). */
typedef struct lfd_client_policy {
    char name[64], hash[65], kind[16], robot[64], model_hash[65], norm[16];
    int obs_dim, act_dim, chunk;
    double control_period_s, deadline_s;
    const float *default_action, *act_lo, *act_hi, *vel_limit, *acc_limit; /* act_dim */
} lfd_client_policy;

/* Connects and says hello.  Fails with LFD_EMISMATCH (schema refused),
   LFD_EARG (no such policy), LFD_EDENIED (CURVE key refused) or
   LFD_ETIMEOUT (no answer).  The client owns its socket, buffers and the
   policy description; the caller frees *out with lfd_client_free (which
   NULLs the pointer).  *out is NULL on failure. */
int lfd_client_new(lfd_client **out, const lfd_client_config *cfg, lfd_err *err);
/* Stops the background thread if running, closes the socket, frees. */
void lfd_client_free(lfd_client **c);

const lfd_client_policy *lfd_client_policy_info(const lfd_client *c);

/* Details of one act (valid until the next call). */
typedef struct lfd_act_info {
    uint64_t seq;
    int hold;                  /* the server answered a hold action */
    char reason[32];           /* "", "deadline", "policy_error" */
    char message[256];
    char hash[65];             /* the policy that answered */
    const uint8_t *flags;      /* act_dim server filter flags (LFD_FILTER_*) */
    lfd_filter_counts counts;  /* what the server's filter changed */
    lfd_filter_counts client_counts; /* what this client's filter changed */
    lfd_act_timing timing;     /* server-side times */
    double rtt_us;
} lfd_act_info;

/* One round trip: obs (obs_dim) -> chunk (chunk * act_dim), filtered again
   here from prev_action (act_dim, the command in force now; may be NULL)
   when cfg.filter.  Without prev_action, the command in force is taken to
   be the step of the last chunk this call returned that is due now (played
   one step per control period, the last held), here and in the server;
   should the client say hello again (a reconnect, an expired session), it
   sends that step as the robot's current pose.  info may be NULL.  Not
   while started. */
int lfd_client_act(lfd_client *c, const float *obs, const float *prev_action, float *chunk,
                   lfd_act_info *info, lfd_err *err);
/* Resets the server-side session state (current: act_dim pose, may be NULL). */
int lfd_client_reset(lfd_client *c, const float *current, lfd_err *err);
/* Round trip time of a ping. */
int lfd_client_ping(lfd_client *c, double *rtt_s, lfd_err *err);
/* The server's statistics (and this session's) as JSON text into out. */
int lfd_client_stats(lfd_client *c, char *out, size_t outsz, lfd_err *err);

/* ---- real-time mode ------------------------------------------------------------ */

enum {
    LFD_TICK_OK = 0,          /* interpolated from a fresh chunk */
    LFD_TICK_SERVER_HOLD = 1, /* the server answered a hold (policy failed / deadline) */
    LFD_TICK_LATE = 2,        /* past the end of the chunk: holding its last action */
    LFD_TICK_STALE = 3,       /* watchdog: no fresh chunk for stale_periods: hold + damp */
    LFD_TICK_NO_DATA = 4      /* no chunk yet: holding the start pose */
};

typedef struct lfd_tick {
    int state;              /* LFD_TICK_* */
    double missed_periods;  /* control periods past the buffered data */
    uint64_t chunk_seq;     /* seq of the chunk used (0: none) */
    uint8_t filter_flags;   /* OR of this tick's client filter flags over joints */
} lfd_tick;

/* Starts the background thread.  current (act_dim, may be NULL: the
   policy's default pose) is the pose held until the first chunk and the
   client filter's starting point. */
int lfd_client_start(lfd_client *c, const float *current, lfd_err *err);
void lfd_client_stop(lfd_client *c);
/* Loop side, wait-free: publishes the newest observation taken at t_s. */
void lfd_client_put_obs(lfd_client *c, const float *obs, double t_s);
/* Loop side, wait-free: the action for time t_s into action (act_dim).
   Outside start..stop it holds the last command (or the default pose).
   Returns the tick state (also in tick, which may be NULL). */
int lfd_client_get_action(lfd_client *c, double t_s, float *action, lfd_tick *tick);

typedef struct lfd_client_counters {
    uint64_t requests, replies, timeouts, reconnects, hellos, errors, server_holds;
    uint64_t ticks, late_ticks, stale_ticks, filtered_ticks;
    uint64_t late_replies; /* replies that arrived after the buffer had run dry */
    uint64_t wakeups;      /* turns of the background thread's loop (it sleeps until a
                              request is due, so a few per request) */
    uint64_t future_obs;   /* requests whose observation was stamped later than
                              lfd_client_now_s() when it was sent: a loop whose clock
                              is not CLOCK_MONOTONIC; the chunk is anchored at the
                              send time instead, so the watchdog still counts from
                              it (docs/serve.md) */
} lfd_client_counters;

void lfd_client_get_counters(const lfd_client *c, lfd_client_counters *out);

/* CLOCK_MONOTONIC in seconds. */
double lfd_client_now_s(void);

#endif
