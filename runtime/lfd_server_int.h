/*  lfd_server_int: what the parts of the policy server share (internal).

    The server is one object split over four files by concept:
      runtime/lfd_server.c        models, the request handlers, the
                                  act batch, the event loop, setup/teardown;
      runtime/lfd_server_sess.c   the session table;
      runtime/lfd_server_proto.c  packing the hello, pong and stats replies;
      runtime/lfd_server_watch.c  the policy-file watcher thread and the
                                  CURVE ZAP handler thread.
    Nothing outside runtime/lfd_server*.c includes this header. */
#ifndef LFD_SERVER_INT_H
#define LFD_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "runtime/lfd_filter.h"
#include "runtime/lfd_server.h"

#define SERVER_NAME "lfd-serve/1"
#define LINEAGE_INLINE_MAX 4096
#define ID_MAX 256

/* A loaded policy with everything the serving thread needs to run it on a
   batch without allocating.  Replaced whole on reload. */
typedef struct srv_model {
    lfd_policy *p;
    int cap;              /* batch rows */
    float *obs;           /* cap * obs_dim: raw, then normalised in place */
    float *prev;          /* cap * ndriven: raw prev blocks (residual policies) */
    float *out;           /* cap * chunk * act_dim */
    float *mlp_ws;        /* lfd_mlp_ws_floats(mlp, cap) */
    lfd_policy_ws *pws;   /* playback policies: lfd_policy_step */
    lfd_filter_limits lim;
} srv_model;

typedef struct srv_policy {
    char name[LFD_POLICY_NAME_MAX];
    char path[4096];
    int has_path;
    srv_model *m;
    uint32_t generation;  /* bumped when a reload changes the schema */
    uint64_t acts, holds;
    /* watcher's view of the file (watcher thread only) */
    int64_t st_dev, st_ino, st_size, st_mtime_ns;
    /* a reloaded model waiting to be swapped in (under s->reload_mu) */
    srv_model *pending;
} srv_policy;

typedef struct session {
    int used;
    uint8_t id[ID_MAX];
    int idlen;
    int policy;
    uint32_t generation;
    uint64_t last_seq;
    int64_t last_active_ns, created_ns;
    char client[64];
    int pending; /* an act of this session is in the current batch */
    /* filter state and the last chunk sent (for the previous command when
       an act does not carry prev_action) */
    lfd_filter_state fs;
    float *last_chunk;
    int chunk_cap;
    int have_last_chunk;
    int64_t last_reply_ns;
    uint64_t acts, holds, errors;
    lfd_filter_counts counts;
    uint8_t token[LFD_PROTO_TOKEN_MAX]; /* hello's session_token (toklen 0: none) */
    int toklen;
    char key[41];                        /* the CURVE client key (Z85), "" without CURVE */
} session;

/* What came between the routing id and the payload: nothing for DEALER
   clients; an empty delimiter for REQ, after a request id with
   ZMQ_REQ_CORRELATE.  Echoed in front of the reply. */
#define ENV_FRAMES 2
#define ENV_FRAME_MAX 32
typedef struct srv_env {
    int delim;   /* 1: an empty delimiter frame precedes the payload */
    int n;       /* frames before the delimiter */
    uint8_t len[ENV_FRAMES];
    uint8_t data[ENV_FRAMES][ENV_FRAME_MAX];
} srv_env;

typedef struct pending_act {
    int sidx, pidx, row;
    srv_env env;
    uint64_t seq;
    double t_req;
    int64_t t_recv_ns, t_decoded_ns, norm_ns;
    const char *reason;
    char message[160];
} pending_act;

struct lfd_server {
    lfd_server_config cfg;
    char bind[1024];
    char curve_dir[4096];
    char endpoint[1024];
    void *ctx, *sock;
    int bound;
    int rcvtimeo_ms;
    atomic_int stop;
    int64_t t_start_ns;

    srv_policy pol[LFD_SERVER_MAX_POLICIES];
    int npol;

    session *sess;
    int nsess, max_sess;
    int *tab;
    uint32_t tabmask;
    int *freelist;
    int nfree;
    int64_t last_sweep_ns;
    const char *cur_key; /* the CURVE key of the message being handled ("" without) */

    pending_act pend[LFD_SERVER_MAX_BATCH];
    int npend;
    /* batching needs two clients: the sessions of the last four acts, and
       whether they are not all one */
    int recent_sidx[4];
    int recent_pos;
    int acts_from_several;

    uint8_t *outmem;
    size_t outcap;
    uint8_t errmem[2048];
    uint8_t *flags;    /* max act_dim */
    float *hold;       /* max chunk * act_dim */
    size_t scratch_act, scratch_chunk;

    lfd_server_stats st;

    /* lfd_server_start's thread running lfd_server_run */
    pthread_t runner;
    int runner_on;

    /* the robots policies are checked against (srv_check_robot):
       the caller's (borrowed), and built-in robots loaded by the name a
       policy gives (owned; under robots_mu, as the watcher loads too) */
    const struct lfd_robot *robot;
    pthread_mutex_t robots_mu;
    struct lfd_robot *robots[LFD_SERVER_MAX_POLICIES];
    int nrobots;

    /* watcher */
    pthread_t watcher;
    int watcher_on;
    pthread_mutex_t reload_mu;
    atomic_int reload_ready;
    atomic_ulong reload_failures;

    /* ZAP */
    pthread_t zap;
    int zap_on;
    void *zap_sock;
    /* the allowed CURVE keys as last read (under keys_mu): the ZAP thread
       re-reads curve_dir/clients every second; the serving thread ends the
       sessions of keys that went away and refuses their hellos */
    pthread_mutex_t keys_mu;
    char (*keys)[41];
    int nkeys;
    atomic_uint keys_gen;
    unsigned keys_seen_gen;
};

/* lfd_server.c */
/* Takes ownership of p: validates it, checks it against its robot
   (srv_check_robot) and makes a model with its batch workspaces (cap
   rows).  Every policy the server adds or reloads goes through here. */
int srv_model_new(lfd_server *s, srv_model **out, lfd_policy *p, int cap, lfd_err *err);
void srv_model_free(srv_model **pm);
/* lfd_server_sess.c: the session table */
/* The session of a routing id, or -1. */
int srv_sess_find(const lfd_server *s, const uint8_t *id, int n);
/* The same, only if that session was opened with the CURVE key of the
   message being handled (s->cur_key; "" without CURVE), else -1: a client
   that takes over another key's routing id gets none of its session. */
int srv_sess_find_own(const lfd_server *s, const uint8_t *id, int n);
/* Takes session idx out of the routing-id table / files it under (id, n). */
void srv_tab_del(lfd_server *s, int idx);
void srv_tab_add(lfd_server *s, int idx, const uint8_t *id, int n);
/* A free slot filed under (id, n) (-1 if none) / back to the free list. */
int srv_sess_insert(lfd_server *s, const uint8_t *id, int n);
void srv_sess_remove(lfd_server *s, int idx);
/* The session holding token (opened with CURVE key key, "" without), or -1. */
int srv_sess_find_token(const lfd_server *s, const uint8_t *tok, uint32_t n, const char *key);
/* The least recently active session (of key when key != NULL; count: how
   many that key holds), or -1. */
int srv_sess_lru(const lfd_server *s, const char *key, int *count);
/* Ends session idx to make room (counted); the act batch must be empty. */
void srv_sess_evict(lfd_server *s, int idx, const char *why);
/* Ends the sessions idle for longer than idle_s. */
void srv_sweep_sessions(lfd_server *s, int64_t now_ns);

/* lfd_server.c */
/* Sends a reply (never waits: a peer that does not read loses it, counted). */
void srv_send_reply(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                    const uint8_t *data, size_t len);
void srv_send_error(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                    uint64_t seq, lfd_proto_error code, const char *msg);

/* lfd_server_proto.c */
void srv_reply_hello(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                     uint64_t seq, const lfd_policy *p, int session_open);
void srv_handle_ping(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                     const lfd_req *rq, int64_t now_ns);
void srv_handle_stats(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                      const lfd_req *rq, int64_t now_ns);

/* lfd_server_watch.c */
/* A file's identity (device, inode, size, mtime in ns); -1 if it cannot be read. */
int srv_file_id(const char *path, int64_t id[4]);
/* The watcher thread: reloads policy files replaced on disk. */
void *srv_watcher_main(void *arg);
/* The ZAP handler thread (ZeroMQ RFC 27): admits keys in curve_dir/clients. */
void *srv_zap_main(void *arg);
/* Reads curve_dir/clients into s->keys (bumping keys_gen when it changed).
   LFD_ENOMEM leaves the list in force as it was. */
int srv_keys_reload(lfd_server *s, lfd_err *err);
/* 1 if the CURVE key (Z85) is in s->keys. */
int srv_key_allowed_now(lfd_server *s, const char *key);

#endif
