/*  lfd_client: the controller-side client library (see lfd_client.h).

    Layout: configuration and policy info; the socket (open, reconnect,
    CURVE, the handshake monitor); one request/reply round trip with a
    deadline; hello; the request/reply calls.  The real-time mode is in
    lfd_client_rt.c; what the two share is lfd_client_int.h. */
#include "runtime/lfd_client.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "core/lfd_json.h"
#include "runtime/lfd_client_int.h"

void lfd_client_config_init(lfd_client_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->timeout_s = 1.0;
    cfg->stale_periods = 5;
    cfg->filter = 1;
}

double lfd_client_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const lfd_client_policy *lfd_client_policy_info(const lfd_client *c) { return &c->info; }

void lfd_client_get_counters(const lfd_client *c, lfd_client_counters *o)
{
    counters *n = (counters *)&c->n;
    o->requests = atomic_load(&n->requests);
    o->replies = atomic_load(&n->replies);
    o->timeouts = atomic_load(&n->timeouts);
    o->reconnects = atomic_load(&n->reconnects);
    o->hellos = atomic_load(&n->hellos);
    o->errors = atomic_load(&n->errors);
    o->server_holds = atomic_load(&n->server_holds);
    o->ticks = atomic_load(&n->ticks);
    o->late_ticks = atomic_load(&n->late_ticks);
    o->stale_ticks = atomic_load(&n->stale_ticks);
    o->filtered_ticks = atomic_load(&n->filtered_ticks);
    o->late_replies = atomic_load(&n->late_replies);
    o->wakeups = atomic_load(&n->wakeups);
    o->future_obs = atomic_load(&n->future_obs);
}


/* ---- the socket ------------------------------------------------------------------- */

static void close_socket(lfd_client *c)
{
    if (c->sock) {
        if (c->mon)
            zmq_socket_monitor(c->sock, NULL, 0);
        zmq_close(c->sock);
        c->sock = NULL;
    }
    if (c->mon) {
        zmq_close(c->mon);
        c->mon = NULL;
    }
}

static int open_socket(lfd_client *c, lfd_err *err)
{
    close_socket(c);
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!c->sock)
        return lfd_fail(err, LFD_ENET, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    int zero = 0, ivl = 100, ivl_max = 1000;
    int64_t maxmsg = (int64_t)LFD_PROTO_HARD_MAX_MSG;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(c->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (c->curve) {
        zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, c->server_key, 40);
        zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, c->public_key, 40);
        zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, c->secret_key, 40);
        /* watch the handshake so that a refused key is reported as such */
        char addr[128];
        snprintf(addr, sizeof addr, "inproc://lfd-client-mon-%p-%u", (void *)c, ++c->gen);
        if (zmq_socket_monitor(c->sock, addr,
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 0) {
            c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
            if (c->mon && zmq_connect(c->mon, addr) != 0) {
                zmq_close(c->mon);
                c->mon = NULL;
            }
        }
    }
    if (zmq_connect(c->sock, c->endpoint) != 0)
        return lfd_fail(err, LFD_ENET, "cannot connect to %s: %s", c->endpoint,
                        zmq_strerror(zmq_errno()));
    c->need_hello = 1;
    c->denied = 0;
    c->rcvtimeo_ms = -1;
    return LFD_OK;
}

/* Reads pending monitor events; sets c->denied on a refused handshake. */
static void drain_monitor(lfd_client *c)
{
    while (c->mon) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        if (zmq_msg_size(&m) >= 6 && zmq_msg_more(&m)) {
            uint16_t ev;
            memcpy(&ev, zmq_msg_data(&m), 2);
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
                c->denied = 1;
        }
        zmq_msg_close(&m);
    }
}

int clt_reconnect(lfd_client *c, lfd_err *err)
{
    INC(c->n.reconnects);
    return open_socket(c, err);
}

/* ---- one round trip ---------------------------------------------------------------- */

/* Sends c->tx and waits until deadline for the reply carrying seq, decoded
   into rep from msg (the caller closes msg on LFD_OK).  A timeout reopens
   the socket. */
static int roundtrip(lfd_client *c, uint64_t seq, double deadline, zmq_msg_t *msg, lfd_rep *rep,
                     lfd_err *err)
{
    INC(c->n.requests);
    if (zmq_send(c->sock, c->tx.data, c->tx.len, ZMQ_DONTWAIT) < 0) {
        clt_reconnect(c, NULL);
        return lfd_fail(err, LFD_ENET, "send to %s: %s", c->endpoint, zmq_strerror(zmq_errno()));
    }
    for (;;) {
        double left = deadline - lfd_client_now_s();
        if (left <= 0) {
            INC(c->n.timeouts);
            drain_monitor(c);
            int denied = c->denied;
            clt_reconnect(c, NULL);
            if (denied)
                return lfd_fail(err, LFD_EDENIED, "%s refused this client's CURVE key",
                                c->endpoint);
            return lfd_fail(err, LFD_ETIMEOUT, "no answer from %s within %.3f s", c->endpoint,
                            c->cfg.timeout_s);
        }
        int ms = (int)ceil(left * 1e3);
        ms = ms < 1 ? 1 : ms;
        if (c->mon) {
            /* the handshake monitor too: a refused key is known at once */
            zmq_pollitem_t it[2] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0}};
            if (zmq_poll(it, 2, ms) <= 0)
                continue;
            if (it[1].revents & ZMQ_POLLIN) {
                drain_monitor(c);
                if (c->denied) {
                    clt_reconnect(c, NULL);
                    return lfd_fail(err, LFD_EDENIED, "%s refused this client's CURVE key",
                                    c->endpoint);
                }
            }
            if (!(it[0].revents & ZMQ_POLLIN))
                continue;
        } else if (ms != c->rcvtimeo_ms) {
            /* a blocking receive with a timeout costs fewer system calls than a poll */
            zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &ms, sizeof ms);
            c->rcvtimeo_ms = ms;
        }
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, c->sock, c->mon ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(msg);
            continue;
        }
        if (zmq_msg_more(msg)) {
            /* not one of our replies: drop it whole */
            while (zmq_msg_more(msg)) {
                zmq_msg_close(msg);
                zmq_msg_init(msg);
                if (zmq_msg_recv(msg, c->sock, 0) < 0)
                    break;
            }
            zmq_msg_close(msg);
            continue;
        }
        lfd_err derr;
        if (lfd_rep_decode(rep, zmq_msg_data(msg), zmq_msg_size(msg), &derr) != LFD_OK) {
            zmq_msg_close(msg);
            INC(c->n.errors);
            return lfd_fail(err, LFD_EPARSE, "bad reply from %s: %s", c->endpoint, derr.msg);
        }
        /* a late answer to an earlier request is dropped; an error with
           seq 0 answers a request whose seq the server could not read
           (docs/protocol.md), and one request is in flight */
        if (rep->seq != seq && !(rep->type == LFD_MSG_ERROR && rep->seq == 0)) {
            zmq_msg_close(msg);
            continue;
        }
        INC(c->n.replies);
        return LFD_OK;
    }
}

/* An error reply as a status and message. */
static int server_error(lfd_client *c, const lfd_rep *rep, lfd_err *err)
{
    INC(c->n.errors);
    int code;
    switch (rep->code) {
    case LFD_PE_SCHEMA_MISMATCH: code = LFD_EMISMATCH; break;
    case LFD_PE_UNKNOWN_POLICY: code = LFD_EARG; break;
    case LFD_PE_BUSY: case LFD_PE_NO_SESSION: case LFD_PE_SCHEMA_CHANGED: case LFD_PE_OUT_OF_ORDER:
        code = LFD_ESTATE;
        break;
    case LFD_PE_TOO_LARGE: code = LFD_ELIMIT; break;
    case LFD_PE_VERSION: code = LFD_EUNSUPPORTED; break;
    case LFD_PE_DENIED: code = LFD_EDENIED; break;
    default: code = LFD_EPARSE; break;
    }
    return lfd_fail(err, code, "server: %s: %.*s", lfd_proto_error_name(rep->code),
                    (int)rep->message_len, (const char *)rep->message);
}

static void copy_text(char *dst, size_t n, const uint8_t *s, uint32_t len)
{
    size_t k = len < n - 1 ? len : n - 1;
    if (s)
        memcpy(dst, s, k);
    dst[s ? k : 0] = '\0';
}

/* ---- hello ------------------------------------------------------------------------- */

static int take_hello(lfd_client *c, const lfd_rep *rep, lfd_err *err)
{
    int na = c->cfg.act_dim;
    if ((int)rep->act_names.n != na || (int)rep->obs_names.n != c->cfg.obs_dim ||
        rep->chunk < 1 || rep->chunk > 4096)
        return lfd_fail(err, LFD_EMISMATCH, "server's policy has %u observations and %u "
                                            "actions, this client %d and %d",
                        rep->obs_names.n, rep->act_names.n, c->cfg.obs_dim, na);
    if (c->info.chunk && c->info.chunk != (int)rep->chunk)
        return lfd_fail(err, LFD_EMISMATCH, "policy chunk changed from %d to %d",
                        c->info.chunk, (int)rep->chunk);
    /* a re-hello keeps the period the loop plays chunks at: a policy
       reloaded with another period is refused like another chunk (kept,
       the client played its steps at the old period, a period doubled
       moved the joints at twice their limits) */
    if (c->info.chunk && !(fabs(rep->control_period_s - c->info.control_period_s) <=
                           1e-9 * fabs(c->info.control_period_s)))
        return lfd_fail(err, LFD_EMISMATCH, "policy control period changed from %g s to %g s",
                        c->info.control_period_s, rep->control_period_s);
    copy_text(c->info.hash, sizeof c->info.hash, rep->hash, rep->hash_len);
    if (c->info.chunk)
        return LFD_OK; /* a re-hello: the limits in use stay (the loop reads them) */
    copy_text(c->info.name, sizeof c->info.name, rep->policy, rep->policy_len);
    copy_text(c->info.kind, sizeof c->info.kind, rep->kind, rep->kind_len);
    copy_text(c->info.robot, sizeof c->info.robot, rep->robot, rep->robot_len);
    copy_text(c->info.model_hash, sizeof c->info.model_hash, rep->model_hash,
              rep->model_hash_len);
    copy_text(c->info.norm, sizeof c->info.norm, rep->norm, rep->norm_len);
    c->info.obs_dim = c->cfg.obs_dim;
    c->info.act_dim = na;
    c->info.chunk = (int)rep->chunk;
    c->info.control_period_s = rep->control_period_s;
    free(c->sync_chunk);
    c->sync_chunk = calloc((size_t)(rep->chunk + 2) * (size_t)na, sizeof(float));
    c->have_sync_chunk = 0;
    if (!c->sync_chunk)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    c->info.deadline_s = rep->deadline_s;
    float *L = c->limits;
    if (rep->has_limits) {
        const lfd_ndview *v[5] = {&rep->default_action, &rep->act_lo, &rep->act_hi,
                                  &rep->vel_limit, &rep->acc_limit};
        for (int i = 0; i < 5; i++)
            lfd_nd_get_f32(v[i], L + (size_t)i * (size_t)na, (size_t)na, 0, NULL);
    } else {
        for (int j = 0; j < na; j++) {
            L[j] = 0;
            L[na + j] = -INFINITY;
            L[2 * na + j] = INFINITY;
            L[3 * na + j] = INFINITY;
            L[4 * na + j] = 0;
        }
    }
    /* a limit the filter cannot use (NaN, empty range) disables that limit */
    for (int j = 0; j < na; j++) {
        if (!(L[na + j] <= L[2 * na + j])) {
            L[na + j] = -INFINITY;
            L[2 * na + j] = INFINITY;
        }
        if (!(L[3 * na + j] > 0))
            L[3 * na + j] = INFINITY;
        if (!(L[4 * na + j] >= 0))
            L[4 * na + j] = 0;
        if (!isfinite(L[j]))
            L[j] = 0;
    }
    c->info.default_action = L;
    c->info.act_lo = L + na;
    c->info.act_hi = L + 2 * na;
    c->info.vel_limit = L + 3 * na;
    c->info.acc_limit = L + 4 * na;
    c->lim = (lfd_filter_limits){na, c->info.act_lo, c->info.act_hi, c->info.vel_limit,
                                 c->info.acc_limit};
    return LFD_OK;
}

int clt_do_hello(lfd_client *c, double deadline, lfd_err *err)
{
    int no = c->cfg.obs_dim, na = c->cfg.act_dim;
    const char **np = c->name_ptrs;
    lfd_hello_req h = {0};
    h.seq = ++c->seq;
    h.t_s = lfd_proto_wall_s();
    h.policy = c->policy;
    h.client = c->client_name[0] ? c->client_name : NULL;
    h.obs_dim = no;
    h.act_dim = na;
    h.obs_names = np;
    h.obs_units = c->cfg.obs_units ? np + no : NULL;
    h.act_names = np + 2 * no;
    h.act_units = c->cfg.act_units ? np + 2 * no + na : NULL;
    h.robot = c->robot;
    h.model_hash = c->model_hash;
    h.session_token = c->token;
    /* a re-hello (reconnect, expired session, new schema) of the
       synchronous API says where the robot was sent: the step of the last
       chunk due now, so the server's first act after it is rate-limited
       from there (the real-time thread's acts carry the loop's previous
       command themselves) */
    if (c->have_sync_chunk && !c->started && c->info.chunk) {
        float *cur = c->sync_chunk + (size_t)c->info.chunk * (size_t)na;
        lfd_filter_state_from_chunk(&c->sync_fs, na, c->sync_chunk, c->info.chunk,
                                    c->info.control_period_s, lfd_client_now_s() - c->sync_chunk_t, cur);
        h.current = c->sync_fs.prev;
    }
    lfd_buf_init_fixed(&c->tx, c->txmem, c->txcap);
    int rc = lfd_proto_encode_hello_req(&c->tx, &h, err);
    if (rc)
        return rc;
    zmq_msg_t msg;
    lfd_rep rep;
    INC(c->n.hellos);
    if ((rc = roundtrip(c, h.seq, deadline, &msg, &rep, err)))
        return rc;
    if (rep.type == LFD_MSG_ERROR)
        rc = server_error(c, &rep, err);
    else if (rep.type != LFD_MSG_HELLO || !rep.session)
        rc = lfd_fail(err, LFD_EPARSE, "server answered hello with '%s'",
                      lfd_msg_type_name(rep.type));
    else
        rc = take_hello(c, &rep, err);
    zmq_msg_close(&msg);
    if (rc == LFD_OK)
        c->need_hello = 0;
    return rc;
}

/* ---- setup ------------------------------------------------------------------------- */

/* A session token no other client will pick: 16 random bytes in hex (the
   kernel's generator; should it fail, the clock, the pid and an address
   mixed, still unique per process and client). */
static void make_token(lfd_client *c)
{
    uint8_t r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t a = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid(),
                 b = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ull;
        for (int i = 0; i < 8; i++) {
            r[i] = (uint8_t)(a >> (8 * i));
            r[8 + i] = (uint8_t)(b >> (8 * i));
        }
    }
    for (int i = 0; i < 16; i++)
        snprintf(c->token + 2 * i, 3, "%02x", r[i]);
}

static int z85_key_ok(const char *s)
{
    uint8_t bin[32];
    return strlen(s) == 40 && zmq_z85_decode(bin, s) != NULL;
}

static int copy_names(char *dst, size_t stride, const char *const *src, int n, const char *what,
                      lfd_err *err)
{
    for (int i = 0; i < n; i++) {
        if (!src[i] || strlen(src[i]) >= stride)
            return lfd_fail(err, LFD_EARG, "%s[%d] is missing or longer than %zu bytes", what, i,
                            stride - 1);
        memcpy(dst + (size_t)i * stride, src[i], strlen(src[i]) + 1);
    }
    return LFD_OK;
}

int lfd_client_new(lfd_client **out, const lfd_client_config *cfg, lfd_err *err)
{
    *out = NULL;
    if (!cfg->endpoint || !cfg->policy || !cfg->obs_names || !cfg->act_names)
        return lfd_fail(err, LFD_EARG, "client needs an endpoint, a policy name and the "
                                       "observation and action names");
    if (cfg->obs_dim < 1 || cfg->obs_dim > LFD_PROTO_MAX_DIM || cfg->act_dim < 1 ||
        cfg->act_dim > LFD_PROTO_MAX_DIM)
        return lfd_fail(err, LFD_EARG, "client with %d observations and %d actions (1..%d)",
                        cfg->obs_dim, cfg->act_dim, LFD_PROTO_MAX_DIM);
    if (strlen(cfg->endpoint) >= 1024 || strlen(cfg->policy) >= NAME_MAX_)
        return lfd_fail(err, LFD_EARG, "endpoint or policy name too long");
    int nk = (cfg->server_key != NULL) + (cfg->public_key != NULL) + (cfg->secret_key != NULL);
    if (nk != 0 && nk != 3)
        return lfd_fail(err, LFD_EARG, "CURVE needs the server's public key and this client's "
                                       "public and secret keys");
    lfd_client *c = calloc(1, sizeof *c);
    if (!c)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    c->cfg = *cfg;
    make_token(c);
    if (!(c->cfg.timeout_s > 0))
        c->cfg.timeout_s = 1.0;
    if (c->cfg.stale_periods < 1)
        c->cfg.stale_periods = 5;
    snprintf(c->endpoint, sizeof c->endpoint, "%s", cfg->endpoint);
    snprintf(c->policy, sizeof c->policy, "%s", cfg->policy);
    snprintf(c->client_name, sizeof c->client_name, "%s", cfg->client_name ? cfg->client_name : "");
    snprintf(c->robot, sizeof c->robot, "%s", cfg->robot ? cfg->robot : "");
    snprintf(c->model_hash, sizeof c->model_hash, "%s", cfg->model_hash ? cfg->model_hash : "");
    int no = cfg->obs_dim, na = cfg->act_dim, rc = LFD_OK;
    if (nk == 3) {
        if (!z85_key_ok(cfg->server_key) || !z85_key_ok(cfg->public_key) ||
            !z85_key_ok(cfg->secret_key)) {
            free(c);
            return lfd_fail(err, LFD_EARG, "CURVE keys must be 40 characters of Z85");
        }
        memcpy(c->server_key, cfg->server_key, 41);
        memcpy(c->public_key, cfg->public_key, 41);
        memcpy(c->secret_key, cfg->secret_key, 41);
        c->curve = 1;
    }
    c->obs_names = calloc((size_t)no, sizeof *c->obs_names);
    c->obs_units = calloc((size_t)no, sizeof *c->obs_units);
    c->act_names = calloc((size_t)na, sizeof *c->act_names);
    c->act_units = calloc((size_t)na, sizeof *c->act_units);
    c->name_ptrs = calloc(2 * (size_t)(no + na), sizeof *c->name_ptrs);
    c->limits = calloc(5 * (size_t)na, sizeof(float));
    c->flags = calloc(2 * (size_t)na, 1);
    c->start_pose = calloc((size_t)na, sizeof(float));
    c->last_out = calloc((size_t)na, sizeof(float));
    /* the largest request: hello with every name and unit, or an act */
    c->txcap = (size_t)(no + na) * (NAME_MAX_ + UNIT_MAX_ + 8) + (size_t)na * 16 +
               (size_t)no * 8 + 2048;
    c->txmem = malloc(c->txcap);
    for (int i = 0; i < 3; i++) {
        c->oslot[i].obs = calloc((size_t)(no + 2 * na), sizeof(float));
    }
    c->ctx = zmq_ctx_new();
    if (!c->obs_names || !c->obs_units || !c->act_names || !c->act_units || !c->name_ptrs ||
        !c->limits || !c->flags || !c->start_pose || !c->last_out || !c->txmem || !c->ctx ||
        !c->oslot[0].obs ||
        !c->oslot[1].obs || !c->oslot[2].obs) {
        lfd_client_free(&c);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    c->cflags = c->flags + na;
    for (int i = 0; i < 3; i++) {
        c->oslot[i].prev = c->oslot[i].obs + no;
        c->oslot[i].vel = c->oslot[i].prev + na;
    }
    if ((rc = copy_names(c->obs_names[0], NAME_MAX_, cfg->obs_names, no, "obs_names", err)) ||
        (cfg->obs_units &&
         (rc = copy_names(c->obs_units[0], UNIT_MAX_, cfg->obs_units, no, "obs_units", err))) ||
        (rc = copy_names(c->act_names[0], NAME_MAX_, cfg->act_names, na, "act_names", err)) ||
        (cfg->act_units &&
         (rc = copy_names(c->act_units[0], UNIT_MAX_, cfg->act_units, na, "act_units", err)))) {
        lfd_client_free(&c);
        return rc;
    }
    for (int i = 0; i < no; i++) {
        c->name_ptrs[i] = c->obs_names[i];
        c->name_ptrs[no + i] = c->obs_units[i];
    }
    for (int i = 0; i < na; i++) {
        c->name_ptrs[2 * no + i] = c->act_names[i];
        c->name_ptrs[2 * no + na + i] = c->act_units[i];
    }
    c->cfg.obs_names = c->cfg.obs_units = c->cfg.act_names = c->cfg.act_units = NULL;
    c->cfg.obs_units = cfg->obs_units ? c->name_ptrs + no : NULL;
    c->cfg.act_units = cfg->act_units ? c->name_ptrs + 2 * no + na : NULL;
    c->cfg.endpoint = c->endpoint;
    c->cfg.policy = c->policy;
    c->cfg.server_key = c->cfg.public_key = c->cfg.secret_key = NULL;
    if ((rc = lfd_filter_state_init(&c->sync_fs, na, err)) ||
        (rc = lfd_filter_state_init(&c->loop_fs, na, err)) || (rc = open_socket(c, err)) ||
        (rc = clt_do_hello(c, lfd_client_now_s() + c->cfg.timeout_s, err))) {
        lfd_client_free(&c);
        return rc;
    }
    *out = c;
    return LFD_OK;
}

void lfd_client_free(lfd_client **pc)
{
    if (!pc || !*pc)
        return;
    lfd_client *c = *pc;
    lfd_client_stop(c);
    close_socket(c);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    free(c->obs_names);
    free(c->obs_units);
    free(c->act_names);
    free(c->act_units);
    free(c->name_ptrs);
    free(c->limits);
    free(c->flags);
    free(c->start_pose);
    free(c->last_out);
    free(c->sync_chunk);
    free(c->txmem);
    for (int i = 0; i < 3; i++) {
        free(c->cslot[i].a);
        free(c->oslot[i].obs);
    }
    lfd_filter_state_free(&c->sync_fs);
    lfd_filter_state_free(&c->loop_fs);
    memset(c->secret_key, 0, sizeof c->secret_key);
    free(c);
    *pc = NULL;
}

/* ---- request/reply calls ----------------------------------------------------------- */

/* Sends the request that encode() writes, saying hello first when needed
   and again (once per cause) when the server forgot the session. */
typedef int (*encode_fn)(lfd_client *c, uint64_t seq, const void *arg, lfd_err *err);

static int call(lfd_client *c, encode_fn enc, const void *arg, lfd_msg_type want,
                zmq_msg_t *msg, lfd_rep *rep, lfd_err *err)
{
    if (c->started)
        return lfd_fail(err, LFD_ESTATE, "the client is in real-time mode (lfd_client_start)");
    double deadline = lfd_client_now_s() + c->cfg.timeout_s;
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc;
        if (c->need_hello && (rc = clt_do_hello(c, deadline, err)))
            return rc;
        uint64_t seq = ++c->seq;
        lfd_buf_init_fixed(&c->tx, c->txmem, c->txcap);
        if ((rc = enc(c, seq, arg, err)) || (rc = roundtrip(c, seq, deadline, msg, rep, err)))
            return rc;
        if (rep->type == want)
            return LFD_OK;
        if (rep->type == LFD_MSG_ERROR &&
            (rep->code == LFD_PE_NO_SESSION || rep->code == LFD_PE_SCHEMA_CHANGED)) {
            c->need_hello = 1;
            zmq_msg_close(msg);
            continue;
        }
        rc = rep->type == LFD_MSG_ERROR
                 ? server_error(c, rep, err)
                 : lfd_fail(err, LFD_EPARSE, "server answered '%s' to '%s'",
                            lfd_msg_type_name(rep->type), lfd_msg_type_name(want));
        zmq_msg_close(msg);
        return rc;
    }
    return lfd_fail(err, LFD_ESTATE, "the server keeps forgetting this session");
}

typedef struct act_arg {
    const float *obs, *prev;
} act_arg;

static int enc_act(lfd_client *c, uint64_t seq, const void *arg, lfd_err *err)
{
    const act_arg *a = arg;
    return lfd_proto_encode_act_req(&c->tx, seq, lfd_proto_wall_s(), a->obs, c->cfg.obs_dim,
                                    a->prev, NULL, c->cfg.act_dim, err);
}

static int enc_reset(lfd_client *c, uint64_t seq, const void *arg, lfd_err *err)
{
    return lfd_proto_encode_simple_req(&c->tx, LFD_MSG_RESET, seq, lfd_proto_wall_s(), arg,
                                       c->cfg.act_dim, err);
}

static int enc_ping(lfd_client *c, uint64_t seq, const void *arg, lfd_err *err)
{
    return lfd_proto_encode_simple_req(&c->tx, LFD_MSG_PING, seq, lfd_proto_wall_s(), NULL, 0,
                                       err);
}

static int enc_stats(lfd_client *c, uint64_t seq, const void *arg, lfd_err *err)
{
    return lfd_proto_encode_simple_req(&c->tx, LFD_MSG_STATS, seq, lfd_proto_wall_s(), NULL, 0,
                                       err);
}

/* Copies an act reply's chunk out (checking its shape). */
int clt_take_actions(lfd_client *c, const lfd_rep *rep, float *chunk, lfd_err *err)
{
    int na = c->cfg.act_dim, nc = c->info.chunk;
    if (rep->actions.shape[0] != (uint64_t)nc || rep->actions.shape[1] != (uint64_t)na)
        return lfd_fail(err, LFD_EPARSE, "reply actions are (%llu, %llu), expected (%d, %d)",
                        (unsigned long long)rep->actions.shape[0],
                        (unsigned long long)rep->actions.shape[1], nc, na);
    return lfd_nd_get_f32(&rep->actions, chunk, (size_t)nc * (size_t)na, 0, err);
}

int lfd_client_act(lfd_client *c, const float *obs, const float *prev_action, float *chunk,
                   lfd_act_info *info, lfd_err *err)
{
    act_arg a = {obs, prev_action};
    zmq_msg_t msg;
    lfd_rep rep;
    double t0 = lfd_client_now_s();
    int rc = call(c, enc_act, &a, LFD_MSG_ACT, &msg, &rep, err);
    if (rc)
        return rc;
    double rtt = lfd_client_now_s() - t0;
    int na = c->cfg.act_dim, nc = c->info.chunk;
    rc = clt_take_actions(c, &rep, chunk, err);
    memset(c->flags, 0, (size_t)na);
    if (rc == LFD_OK && rep.flags.data && rep.flags.count == (uint64_t)na)
        memcpy(c->flags, rep.flags.data, (size_t)na);
    if (info) {
        memset(info, 0, sizeof *info);
        info->seq = rep.seq;
        info->hold = rep.hold;
        copy_text(info->reason, sizeof info->reason, rep.reason, rep.reason_len);
        copy_text(info->message, sizeof info->message, rep.message, rep.message_len);
        copy_text(info->hash, sizeof info->hash, rep.hash, rep.hash_len);
        info->flags = c->flags;
        info->counts = rep.counts;
        info->timing = rep.timing;
        info->rtt_us = rtt * 1e6;
    }
    if (rep.hold)
        INC(c->n.server_holds);
    zmq_msg_close(&msg);
    if (rc)
        return rc;
    /* the safety filter again, on this side of the network, from the
       caller's previous command, else from the step of this client's last
       chunk due when the act was sent (as the server does; before
       2026-12-07 only the joint range applied then) */
    double t1 = lfd_client_now_s();
    if (c->cfg.filter) {
        lfd_filter_counts cc = {0};
        if (prev_action || !c->have_sync_chunk)
            lfd_filter_state_reset(&c->sync_fs, na, prev_action, NULL);
        else
            lfd_filter_state_from_chunk(&c->sync_fs, na, c->sync_chunk, nc, c->info.control_period_s,
                                        t0 - c->sync_chunk_t, c->sync_chunk + (size_t)nc * (size_t)na);
        for (int k = 0; k < nc; k++)
            lfd_filter_step(&c->lim, &c->sync_fs, chunk + (size_t)k * (size_t)na,
                            c->info.control_period_s, c->info.default_action, NULL, &cc);
        if (info)
            info->client_counts = cc;
    }
    if (c->sync_chunk) {
        memcpy(c->sync_chunk, chunk, (size_t)nc * (size_t)na * sizeof(float));
        c->sync_chunk_t = t1;
        c->have_sync_chunk = 1;
    }
    return LFD_OK;
}

int lfd_client_reset(lfd_client *c, const float *current, lfd_err *err)
{
    zmq_msg_t msg;
    lfd_rep rep;
    int rc = call(c, enc_reset, current, LFD_MSG_RESET, &msg, &rep, err);
    if (rc == LFD_OK)
        zmq_msg_close(&msg);
    /* the command in force for the next act without prev_action: current,
       standing (every step of the remembered chunk), or none known */
    int na = c->cfg.act_dim, nc = c->info.chunk;
    c->have_sync_chunk = 0;
    if (rc == LFD_OK && current && c->sync_chunk && nc > 0) {
        for (int k = 0; k < nc; k++)
            memcpy(c->sync_chunk + (size_t)k * (size_t)na, current, (size_t)na * sizeof(float));
        c->sync_chunk_t = lfd_client_now_s();
        c->have_sync_chunk = 1;
    }
    return rc;
}

int lfd_client_ping(lfd_client *c, double *rtt_s, lfd_err *err)
{
    zmq_msg_t msg;
    lfd_rep rep;
    double t0 = lfd_client_now_s();
    int rc = call(c, enc_ping, NULL, LFD_MSG_PONG, &msg, &rep, err);
    if (rc)
        return rc;
    zmq_msg_close(&msg);
    if (rtt_s)
        *rtt_s = lfd_client_now_s() - t0;
    return LFD_OK;
}

int lfd_client_stats(lfd_client *c, char *out, size_t outsz, lfd_err *err)
{
    zmq_msg_t msg;
    lfd_rep rep;
    int rc = call(c, enc_stats, NULL, LFD_MSG_STATS, &msg, &rep, err);
    if (rc)
        return rc;
    lfd_buf b;
    lfd_jw jw;
    lfd_mpr r;
    lfd_buf_init_fixed(&b, out, outsz ? outsz - 1 : 0);
    lfd_jw_init_buf(&jw, &b, 0);
    lfd_mpr_init(&r, zmq_msg_data(&msg), zmq_msg_size(&msg));
    rc = lfd_mp_to_json(&r, &jw, err);
    zmq_msg_close(&msg);
    if (rc == LFD_OK && !lfd_buf_ok(&b))
        rc = lfd_fail(err, LFD_ELIMIT, "stats do not fit %zu bytes", outsz);
    if (outsz)
        out[rc == LFD_OK ? b.len : 0] = '\0';
    return rc;
}
