/*  lfd_server: serves policies to robot controllers over ZeroMQ.

    One ROUTER socket, one serving thread, an event loop that never blocks on
    any one client:
      - one turn of the loop waits for a message, then drains what is
        already there without waiting (at most 4 * LFD_SERVER_MAX_BATCH =
        256 messages a turn), decoding in place (runtime/lfd_proto.h); act
        requests for the same policy are inferred together as one batch of
        at most max_batch rows (one sgemm instead of several sgemv; a full
        batch is answered at once and the next one starts, and nothing ever
        waits for a batch to fill); one client has at most one act in a
        batch; while the last four acts came from one client, its act is
        answered without looking for more;
      - every action goes through the safety filter (runtime/lfd_filter.h)
        with the session's previous command, whose limits are the policy
        file's, checked against the policy's robot when it is added or
        reloaded (lfd_server_use_robot); a policy failure (non-finite
        observation or output) or a missed deadline answers a hold action
        flagged as such;
      - replies are sent with ZMQ_DONTWAIT to ROUTER_MANDATORY: a client that
        does not read its replies loses them (counted) instead of stalling
        the loop;
      - per-client sessions are keyed by ZeroMQ routing id, created by a
        valid hello only (garbage from new peers allocates nothing), capped
        at max_sessions (a full table ends its least recently active
        session), taken over by a reconnecting client that presents the
        same session_token, and expired after idle_s without a request.
    The per-message path (decode, normalise, infer, filter, encode) allocates
    nothing: workspaces are sized when a policy is added or reloaded and a
    session's buffers when it says hello (tests/test_serve_alloc.c counts).

    Optional threads: a watcher (config.watch) that reloads a policy file
    replaced on disk -- the new file is loaded and checked completely (its
    SHA-256 seal) in the watcher, then swapped in by the serving thread
    between two messages, so each reply comes from the old policy or the new
    one, never a mix; and a ZAP handler (config.curve_dir) that admits only
    CURVE clients whose public key is in curve_dir/clients/ * .pub (and
    re-reads that folder every second: the sessions of a key removed while
    connected end, and its hellos are refused with "denied").

    Usage:
        lfd_server_config cfg;  lfd_server_config_init(&cfg);
        lfd_server *s;  lfd_server_new(&s, &cfg, &err);
        lfd_server_load_policy(s, "walk.lfdp", &err);      (or add_policy)
        lfd_server_bind(s, &err);   lfd_server_run(s, &err);  (until stop)
        lfd_server_free(&s);
*/
#ifndef LFD_SERVER_H
#define LFD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"
#include "policies/lfd_policy.h"
#include "runtime/lfd_proto.h"

#define LFD_SERVER_DEFAULT_BIND "tcp://127.0.0.1:5555"
#define LFD_SERVER_MAX_POLICIES 16
#define LFD_SERVER_MAX_BATCH 64
#define LFD_SERVER_HIST 1024

typedef struct lfd_server_config {
    const char *bind;          /* endpoint; default LFD_SERVER_DEFAULT_BIND (loopback) */
    double deadline_s;         /* per act, receipt to reply; 0 = none */
    int max_sessions;          /* default 64 (1..65536); when full, a new client's hello
                                  ends the least recently active session */
    int max_sessions_per_key;  /* under CURVE: sessions one client key may hold (16);
                                  beyond that its own least recently active one ends */
    double idle_s;             /* a session expires after this long without a request (60) */
    size_t max_msg_bytes;      /* larger requests get a too_large error (64 KiB) */
    int max_batch;             /* act rows inferred as one batch (16, 1 = no batching) */
    int watch;                 /* reload policy files replaced on disk */
    double watch_interval_s;   /* how often the watcher looks (0.2 s) */
    const char *curve_dir;     /* CURVE with DIR/server.key and DIR/clients/ *.pub; NULL: off */
    int insecure;              /* allow a non-loopback bind without CURVE */
    int blas_threads;          /* OpenBLAS threads for inference (1; set process-wide) */
} lfd_server_config;

void lfd_server_config_init(lfd_server_config *cfg);

/* Counters (read with lfd_server_get_stats from the serving thread or after
   lfd_server_run returned). */
typedef struct lfd_server_stats {
    double uptime_s;
    uint64_t messages, replies, errors, acts, holds, deadline_misses, dropped_replies;
    uint64_t errors_by_code[LFD_PE_COUNT];
    uint64_t sessions_created, sessions_expired, sessions_refused;
    uint64_t sessions_evicted, sessions_taken_over, sessions_revoked;
    int sessions;
    uint64_t reloads, reload_failures, batches;
    /* sums over acts, for means: microseconds */
    double decode_us, normalise_us, infer_us, filter_us, encode_us, handle_us;
    /* per act, in 0.25 us buckets up to 256 us: the whole handling inside the
       loop (receipt to send returned), and that minus the act's share of
       the batch inference (the server's overhead beyond the MLP) */
    uint32_t handle_hist[LFD_SERVER_HIST], overhead_hist[LFD_SERVER_HIST];
} lfd_server_stats;

/* Percentile (0..100) of one of the histograms above, microseconds. */
double lfd_server_hist_pct(const uint32_t *hist, double pct);

typedef struct lfd_server lfd_server;

/* Creates a server (ZeroMQ context, no socket yet).  The caller frees *out
   with lfd_server_free (which NULLs the pointer, and frees the policies it
   loaded); *out is NULL on failure. */
int lfd_server_new(lfd_server **out, const lfd_server_config *cfg, lfd_err *err);
void lfd_server_free(lfd_server **s);

struct lfd_robot; /* robots/lfd_robot.h */

/* The robot the served policies are for (borrowed: r must outlive the
   server); call before adding policies.  Every policy added or reloaded
   is checked against its robot with lfd_policy_check_robot (ranges within
   the joints', velocity and acceleration limits not larger, the same
   default pose): against r when the policy names r->name or no robot,
   else against the built-in robot it names, loaded once.  A policy whose
   robot cannot be loaded is refused when the server has a robot, and
   served with a warning (its finite limits unchecked) when it has none. */
void lfd_server_use_robot(lfd_server *s, const struct lfd_robot *r);

/* Adds a policy served under p->name; the server takes ownership of p even
   on failure.  path (may be NULL) is the file to watch for reloads.  The
   policy is validated and checked against its robot (above). */
int lfd_server_add_policy(lfd_server *s, lfd_policy *p, const char *path, lfd_err *err);
/* Loads a .lfdp file and adds it. */
int lfd_server_load_policy(lfd_server *s, const char *path, lfd_err *err);

/* Binds the socket (and starts the ZAP handler and the watcher). */
int lfd_server_bind(lfd_server *s, lfd_err *err);
/* The bound endpoint, with the port chosen for "tcp://127.0.0.1:*". */
const char *lfd_server_endpoint(const lfd_server *s);

/* Serves until lfd_server_stop (returns LFD_OK) or a fatal socket error. */
int lfd_server_run(lfd_server *s, lfd_err *err);
/* One turn of the loop: waits up to timeout_ms for messages, handles what
   arrived.  For embedding the server in another loop. */
int lfd_server_poll(lfd_server *s, int timeout_ms, lfd_err *err);
/* Asks lfd_server_run to return; safe from another thread or a signal
   handler. */
void lfd_server_stop(lfd_server *s);
/* Runs lfd_server_run on a thread of its own (after lfd_server_bind), for
   a program that serves and drives in one process (lfd ctl-demo, lfd
   demo).  lfd_server_free stops and joins that thread. */
int lfd_server_start(lfd_server *s, lfd_err *err);

void lfd_server_get_stats(const lfd_server *s, lfd_server_stats *st);

/* 1 if the endpoint is loopback-only: ipc://, inproc://, or tcp:// on
   127.0.0.0/8 (any form inet_aton reads), localhost, the interface lo,
   [::1] or an IPv4-mapped [::ffff:127.x].  An endpoint with a ';'
   (libzmq's "source;address") is never local.  lfd_server_bind asks this
   of the configured endpoint before binding and of ZMQ_LAST_ENDPOINT after. */
int lfd_endpoint_is_local(const char *endpoint);

#endif
