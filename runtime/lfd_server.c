/*  lfd_server: the ZeroMQ policy server (see lfd_server.h, docs/protocol.md).

    Layout of this file: policy models and their workspaces; replies; the
    request handlers (hello, act, reset); the act batch; the event loop;
    bind checks, setup and teardown.  The session table is in
    lfd_server_sess.c; the hello, pong and stats replies are packed in
    lfd_server_proto.c; the watcher and ZAP threads run in
    lfd_server_watch.c; what the four share is lfd_server_int.h. */
#include "runtime/lfd_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include <zmq.h>

#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "robots/lfd_robot.h"
#include "runtime/lfd_filter.h"
#include "runtime/lfd_keys.h"
#include "runtime/lfd_server_int.h"

/* ---- policies and their workspaces ------------------------------------------------ */

void srv_model_free(srv_model **pm)
{
    if (!pm || !*pm)
        return;
    srv_model *m = *pm;
    lfd_policy_free(&m->p);
    free(m->obs);
    free(m->prev);
    free(m->out);
    free(m->mlp_ws);
    lfd_policy_ws_free(&m->pws);
    free(m);
    *pm = NULL;
}

/* ---- policies against their robot -------------------------------------------------- */

void lfd_server_use_robot(lfd_server *s, const lfd_robot *r) { s->robot = r; }

/* 1 if a policy's robot is a plain (built-in) name: a policy file does not
   get to make the server open a path it names */
static int builtin_robot_name(const char *n)
{
    return n[0] && !strchr(n, '/') && !lfd_util_has_suffix(n, ".xml") &&
           !lfd_util_has_suffix(n, ".robot");
}

/* Refuses a policy whose limits or default pose are not its robot's: the
   server's robot (lfd_server_use_robot) when the policy names it or no
   robot, else the built-in robot the policy names.  When no robot can be
   loaded and the server has none, serves it with a warning (its limits,
   finite after lfd_policy_validate, are the policy file's alone); with a
   server robot, refuses it. */
static int srv_check_robot(lfd_server *s, const lfd_policy *p, lfd_err *err)
{
    const lfd_robot *r = NULL;
    lfd_robot *tmp = NULL;
    char why[LFD_ERR_MSG_MAX] = "the policy names no robot";
    if (s->robot && (!p->robot[0] || !strcmp(p->robot, s->robot->name)))
        r = s->robot;
    pthread_mutex_lock(&s->robots_mu);
    for (int i = 0; !r && p->robot[0] && i < s->nrobots; i++)
        if (!strcmp(s->robots[i]->name, p->robot))
            r = s->robots[i];
    if (!r && p->robot[0]) {
        lfd_err le = {0};
        if (!builtin_robot_name(p->robot)) {
            snprintf(why, sizeof why, "'%s' is not a built-in robot name", p->robot);
        } else if (lfd_robot_load(&tmp, p->robot, &le) == LFD_OK) {
            r = tmp;
            if (s->nrobots < LFD_SERVER_MAX_POLICIES) {
                s->robots[s->nrobots++] = tmp; /* kept for the next policy and reloads */
                tmp = NULL;
            }
        } else {
            snprintf(why, sizeof why, "%s", le.msg);
        }
    }
    int rc = LFD_OK;
    if (r) {
        rc = lfd_policy_check_robot(p, r, err);
        if (rc)
            lfd_err_prefix(err, "not serving policy '%s' (checked against %s)", p->name,
                           r->desc_path);
    } else if (s->robot) {
        rc = lfd_fail(err, LFD_EMISMATCH,
                      "not serving policy '%s': it is for robot '%s', not the server's robot "
                      "'%s', and its limits cannot be checked against '%s' (%s)",
                      p->name, p->robot, s->robot->name, p->robot, why);
    } else {
        /* the file's own limits are served, unchecked (srv_model_new ran
           lfd_policy_validate first, which refuses non-finite ones) */
        lfd_warn("policy '%s': its limits were NOT checked against a robot (%s); give "
                 "lfd serve --robot NAME|PATH to check them",
                 p->name, why);
    }
    pthread_mutex_unlock(&s->robots_mu);
    lfd_robot_free(&tmp);
    return rc;
}

/* Takes ownership of p. */
int srv_model_new(lfd_server *s, srv_model **out, lfd_policy *p, int cap, lfd_err *err)
{
    *out = NULL;
    int rc = lfd_policy_validate(p, err);
    if (rc == LFD_OK)
        rc = srv_check_robot(s, p, err);
    if (rc) {
        lfd_policy_free(&p);
        return rc;
    }
    if (p->obs_dim > LFD_PROTO_MAX_DIM || p->act_dim > LFD_PROTO_MAX_DIM) {
        lfd_policy_free(&p);
        return lfd_fail(err, LFD_ELIMIT, "policy wider than the protocol's %d",
                        LFD_PROTO_MAX_DIM);
    }
    srv_model *m = calloc(1, sizeof *m);
    if (!m) {
        lfd_policy_free(&p);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    m->p = p;
    m->cap = cap;
    size_t nout = (size_t)p->chunk * (size_t)p->act_dim;
    m->obs = calloc((size_t)cap * (size_t)p->obs_dim, sizeof(float));
    m->out = calloc((size_t)cap * nout, sizeof(float));
    m->prev = calloc((size_t)cap * (size_t)p->ndriven, sizeof(float));
    if (p->mlp)
        m->mlp_ws = calloc(lfd_mlp_ws_floats(p->mlp, cap), sizeof(float));
    if (!m->obs || !m->out || !m->prev || (p->mlp && !m->mlp_ws)) {
        srv_model_free(&m);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    if ((rc = lfd_policy_ws_new(&m->pws, p, err))) {
        srv_model_free(&m);
        return rc;
    }
    m->lim = (lfd_filter_limits){p->act_dim, p->act_lo, p->act_hi, p->vel_limit, p->acc_limit};
    if ((rc = lfd_filter_limits_check(&m->lim, err))) {
        lfd_err_prefix(err, "policy '%s' limits", p->name); /* before p goes with m */
        srv_model_free(&m);
        return rc;
    }
    *out = m;
    return LFD_OK;
}

/* Whether a session opened on a may go on with b: the same observations,
   actions, chunk, and the same control period, robot and model (a client
   plays the chunk's steps at the period it was told in hello, so a reload
   that changes it must make the clients hello again) */
static int same_schema(const lfd_policy *a, const lfd_policy *b)
{
    if (a->obs_dim != b->obs_dim || a->act_dim != b->act_dim || a->chunk != b->chunk ||
        a->control_period_s != b->control_period_s || strcmp(a->robot, b->robot) ||
        strcmp(a->model_hash, b->model_hash))
        return 0;
    return !memcmp(a->obs_names, b->obs_names, (size_t)a->obs_dim * sizeof a->obs_names[0]) &&
           !memcmp(a->obs_units, b->obs_units, (size_t)a->obs_dim * sizeof a->obs_units[0]) &&
           !memcmp(a->act_names, b->act_names, (size_t)a->act_dim * sizeof a->act_names[0]) &&
           !memcmp(a->act_units, b->act_units, (size_t)a->act_dim * sizeof a->act_units[0]);
}

static int find_policy(const lfd_server *s, const uint8_t *name, uint32_t len)
{
    for (int i = 0; i < s->npol; i++)
        if (lfd_mp_key_is(name, len, s->pol[i].name))
            return i;
    return -1;
}

/* Sizes the reply buffer and scratch for every served policy. */
static int size_buffers(lfd_server *s, lfd_err *err)
{
    size_t need = 4096 + (size_t)s->npol * 256, act = 1, chunk = 1;
    for (int i = 0; i < s->npol; i++) {
        const lfd_policy *p = s->pol[i].m->p;
        size_t na = (size_t)p->act_dim, no = (size_t)p->obs_dim, nc = (size_t)p->chunk;
        size_t hello = (no + na) * (LFD_PROTO_NAME_MAX + LFD_PROTO_UNIT_MAX + 8) +
                       5 * (na * 4 + 64) + LINEAGE_INLINE_MAX + 2048 + 40 * 70 +
                       (size_t)s->npol * (LFD_POLICY_NAME_MAX + 4) + 1024;
        size_t actrep = nc * na * 4 + na + 2048;
        need = hello > need ? hello : need;
        need = actrep > need ? actrep : need;
        act = na > act ? na : act;
        /* hold rows, and two act_dim vectors of scratch when chunk is 1 */
        size_t rows = nc > 2 ? nc : 2;
        chunk = rows * na > chunk ? rows * na : chunk;
    }
    if (need > s->outcap) {
        uint8_t *m = realloc(s->outmem, need);
        if (!m)
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        s->outmem = m;
        s->outcap = need;
    }
    if (act > s->scratch_act) {
        uint8_t *f = realloc(s->flags, act);
        if (!f)
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        s->flags = f;
        s->scratch_act = act;
    }
    if (chunk > s->scratch_chunk) {
        float *h = realloc(s->hold, chunk * sizeof(float));
        if (!h)
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        s->hold = h;
        s->scratch_chunk = chunk;
    }
    return LFD_OK;
}

static void flush_batch(lfd_server *s);

/* ---- replies ----------------------------------------------------------------------- */

void srv_send_reply(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                       const uint8_t *data, size_t len)
{
    /* never wait: a peer that is gone or does not read loses its reply */
    if (zmq_send(s->sock, id, (size_t)idlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        s->st.dropped_replies++;
        return;
    }
    for (int i = 0; env && env->delim && i < env->n; i++)
        zmq_send(s->sock, env->data[i], env->len[i], ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (env && env->delim)
        zmq_send(s->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (zmq_send(s->sock, data, len, ZMQ_DONTWAIT) < 0)
        s->st.dropped_replies++;
    else
        s->st.replies++;
}

void srv_send_error(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env, uint64_t seq,
                       lfd_proto_error code, const char *msg)
{
    lfd_buf b;
    lfd_buf_init_fixed(&b, s->errmem, sizeof s->errmem);
    lfd_proto_encode_error(&b, seq, lfd_proto_wall_s(), code, msg);
    s->st.errors++;
    s->st.errors_by_code[code < LFD_PE_COUNT ? code : LFD_PE_INTERNAL]++;
    lfd_debug("error %s to a client: %s", lfd_proto_error_name(code), msg);
    if (lfd_buf_ok(&b))
        srv_send_reply(s, id, idlen, env, b.data, b.len);
}


/* ---- handlers ---------------------------------------------------------------------- */

static int session_buffers(session *x, const lfd_policy *p, lfd_err *err)
{
    if (x->fs.cap < p->act_dim) {
        lfd_filter_state_free(&x->fs);
        if (lfd_filter_state_init(&x->fs, p->act_dim, err))
            return LFD_ENOMEM;
    }
    int nc = p->chunk * p->act_dim;
    if (x->chunk_cap < nc) {
        float *c = realloc(x->last_chunk, (size_t)nc * sizeof(float));
        if (!c)
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        x->last_chunk = c;
        x->chunk_cap = nc;
    }
    return LFD_OK;
}

static void handle_hello(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                         const lfd_req *rq, int64_t now_ns)
{
    int pidx = find_policy(s, rq->policy, rq->policy_len);
    if (pidx < 0) {
        char msg[1024];
        size_t n = (size_t)snprintf(msg, sizeof msg, "no policy '%.*s' is served here; served:",
                                    (int)rq->policy_len, (const char *)rq->policy);
        for (int i = 0; i < s->npol && n < sizeof msg - 80; i++)
            n += (size_t)snprintf(msg + n, sizeof msg - n, " %s", s->pol[i].name);
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_UNKNOWN_POLICY, msg);
        return;
    }
    const lfd_policy *p = s->pol[pidx].m->p;
    if (rq->probe) {
        srv_reply_hello(s, id, idlen, env, rq->seq, p, 0);
        return;
    }
    /* the schema the client expects must be the policy's, name by name */
    char why[256];
    const char *cp = p->obs_units[0], *au = p->act_units[0];
    if (!lfd_names_match(&rq->obs_names, "obs_names", p->obs_names[0], sizeof p->obs_names[0],
                         p->obs_dim, why, sizeof why) ||
        !lfd_names_match(&rq->act_names, "act_names", p->act_names[0], sizeof p->act_names[0],
                         p->act_dim, why, sizeof why) ||
        (rq->obs_units.present &&
         !lfd_names_match(&rq->obs_units, "obs_units", cp, sizeof p->obs_units[0], p->obs_dim,
                          why, sizeof why)) ||
        (rq->act_units.present &&
         !lfd_names_match(&rq->act_units, "act_units", au, sizeof p->act_units[0], p->act_dim,
                          why, sizeof why))) {
        char msg[400];
        snprintf(msg, sizeof msg, "policy '%s': %s", p->name, why);
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_SCHEMA_MISMATCH, msg);
        return;
    }
    if (rq->robot_len && p->robot[0] && !lfd_mp_key_is(rq->robot, rq->robot_len, p->robot)) {
        char msg[256];
        snprintf(msg, sizeof msg, "policy '%s' is for robot '%s', not '%.*s'", p->name, p->robot,
                 (int)rq->robot_len, (const char *)rq->robot);
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_SCHEMA_MISMATCH, msg);
        return;
    }
    if (rq->model_hash_len && p->model_hash[0] &&
        !lfd_mp_key_is(rq->model_hash, rq->model_hash_len, p->model_hash)) {
        /* whole hashes: a client sending a 12-character prefix read "made
           for cfe97aaef7d2..., the client has cfe97aaef7d2..." (review) */
        char msg[256];
        snprintf(msg, sizeof msg, "policy '%s' was made for model %s, the client has %.*s", p->name,
                 p->model_hash, (int)(rq->model_hash_len < 64 ? rq->model_hash_len : 64),
                 (const char *)rq->model_hash);
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_SCHEMA_MISMATCH, msg);
        return;
    }
    /* pending acts are answered first: making room may end a session, and
       s->hold is the batch's scratch */
    flush_batch(s);
    float *cur = NULL;
    lfd_err err;
    if (rq->has_current) {
        cur = s->hold;
        if (lfd_proto_get_vec(&rq->current, cur, p->act_dim, 1, "current", &err)) {
            srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_BAD_MESSAGE, err.msg);
            return;
        }
    }
    /* the session: this connection's; else the one this client's token
       names (a client that reconnected: its new routing id takes it over);
       else a new one, making room if the table is full */
    const char *key = s->cur_key;
    int sidx = srv_sess_find(s, id, idlen);
    if (sidx >= 0 && strcmp(s->sess[sidx].key, key)) {
        /* this routing id's session was opened with another client key
           (that client is gone and this one took its id): it is ended, not
           handed over (found by review: a second key read its stats and
           reset its filter's starting point) */
        srv_sess_evict(s, sidx, "another client key took over its routing id");
        sidx = -1;
    }
    int tidx = rq->token_len ? srv_sess_find_token(s, rq->token, rq->token_len, key) : -1;
    int base = tidx >= 0 ? tidx : sidx;
    if (base >= 0 && rq->seq <= s->sess[base].last_seq) {
        /* e.g. a late hello from the client's earlier connection */
        char msg[200];
        snprintf(msg, sizeof msg, "hello seq %llu is not above this session's last seq %llu",
                 (unsigned long long)rq->seq, (unsigned long long)s->sess[base].last_seq);
        s->sess[base].errors++;
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_OUT_OF_ORDER, msg);
        return;
    }
    if (tidx >= 0 && tidx != sidx) {
        if (sidx >= 0)
            srv_sess_remove(s, sidx); /* this connection's other session */
        srv_tab_del(s, tidx);
        srv_tab_add(s, tidx, id, idlen);
        sidx = tidx;
        s->st.sessions_taken_over++;
    }
    int prior = sidx; /* this client's session before this hello, if any */
    if (sidx < 0) {
        /* under CURVE a client key holds at most max_sessions_per_key:
           beyond that its own least recently active session makes room */
        int nkey = 0, kidx = key[0] ? srv_sess_lru(s, key, &nkey) : -1;
        if (kidx >= 0 && nkey >= s->cfg.max_sessions_per_key)
            srv_sess_evict(s, kidx, "its client key opened another session");
        if (s->nfree == 0)
            srv_sweep_sessions(s, now_ns);
        if (s->nfree == 0) {
            /* full: the least recently active session makes room, never the newcomer */
            int lru = srv_sess_lru(s, NULL, NULL);
            if (lru >= 0)
                srv_sess_evict(s, lru, "the least recently active when the table was full");
        }
        sidx = srv_sess_insert(s, id, idlen);
        if (sidx < 0) {
            s->st.sessions_refused++;
            char msg[160];
            snprintf(msg, sizeof msg, "all %d sessions are in use; try again later",
                     s->max_sess);
            srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_BUSY, msg);
            return;
        }
        session *x = &s->sess[sidx];
        x->created_ns = now_ns;
        x->acts = x->holds = x->errors = 0;
        memset(&x->counts, 0, sizeof x->counts);
        snprintf(x->key, sizeof x->key, "%s", key);
        s->st.sessions_created++;
    }
    if (rq->token_len) {
        memcpy(s->sess[sidx].token, rq->token, rq->token_len);
        s->sess[sidx].toklen = (int)rq->token_len;
    }
    session *x = &s->sess[sidx];
    if (session_buffers(x, p, &err)) {
        srv_sess_remove(s, sidx);
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_INTERNAL, err.msg);
        return;
    }
    /* A client that says hello again on the session it had (a reconnect
       taking it over by its token, or a re-hello on the same connection),
       for the same policy and schema and without `current`, keeps its
       previous command: the first act after it is rate-limited from where
       the robot was sent, not only clamped to the range (both lfd clients
       re-hello on their own inside an act; before 2026-12-07 such an act
       without prev_action could jump a joint to the policy's answer in one
       step).  With `current`, that is the previous command. */
    int keep = prior >= 0 && !cur && x->policy == pidx &&
               x->generation == s->pol[pidx].generation && x->fs.have_prev &&
               x->fs.n == p->act_dim;
    x->policy = pidx;
    x->generation = s->pol[pidx].generation;
    x->last_seq = rq->seq;
    x->last_active_ns = now_ns;
    if (!keep)
        x->have_last_chunk = 0;
    x->pending = 0;
    snprintf(x->client, sizeof x->client, "%.*s",
             (int)(rq->client_len < 63 ? rq->client_len : 63),
             rq->client ? (const char *)rq->client : "");
    if (!keep)
        lfd_filter_state_reset(&x->fs, p->act_dim, cur, NULL);
    lfd_debug("session for '%s' from client '%s' (%d sessions)", p->name, x->client, s->nsess);
    srv_reply_hello(s, id, idlen, env, rq->seq, p, 1);
}

/* Looks up the session of an act or reset and checks policy generation and
   seq; sends the error and returns -1 when it cannot go on. */
static int session_for(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                       const lfd_req *rq)
{
    int sidx = srv_sess_find_own(s, id, idlen);
    if (sidx < 0) {
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_NO_SESSION,
                   "no session: send hello first (sessions end when idle, or when the server "
                   "restarts)");
        return -1;
    }
    session *x = &s->sess[sidx];
    if (x->generation != s->pol[x->policy].generation) {
        x->errors++;
        char msg[200];
        snprintf(msg, sizeof msg, "policy '%s' was reloaded with another schema: send hello "
                                  "again",
                 s->pol[x->policy].name);
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_SCHEMA_CHANGED, msg);
        return -1;
    }
    if (rq->seq <= x->last_seq) {
        x->errors++;
        char msg[160];
        snprintf(msg, sizeof msg, "seq %llu is not above this session's last seq %llu",
                 (unsigned long long)rq->seq, (unsigned long long)x->last_seq);
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_OUT_OF_ORDER, msg);
        return -1;
    }
    return sidx;
}

static void handle_reset(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                         const lfd_req *rq, int64_t now_ns)
{
    int sidx = session_for(s, id, idlen, env, rq);
    if (sidx < 0)
        return;
    session *x = &s->sess[sidx];
    const lfd_policy *p = s->pol[x->policy].m->p;
    lfd_err err;
    float *cur = NULL;
    if (rq->has_current) {
        cur = s->hold;
        if (lfd_proto_get_vec(&rq->current, cur, p->act_dim, 1, "current", &err)) {
            x->errors++;
            srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_BAD_MESSAGE, err.msg);
            return;
        }
    }
    x->last_seq = rq->seq;
    x->last_active_ns = now_ns;
    x->have_last_chunk = 0;
    lfd_filter_state_reset(&x->fs, p->act_dim, cur, NULL);
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, s->outmem, s->outcap);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 0, LFD_MSG_RESET, rq->seq, lfd_proto_wall_s());
    srv_send_reply(s, id, idlen, env, b.data, b.len);
}


/* ---- the act batch ----------------------------------------------------------------- */

/* Sets the session's filter state for an act: the client's previous
   command when it sent one, else the action of the last chunk sent that
   was due now (by elapsed time), else whatever hello/reset left. */
static int act_filter_state(session *x, const lfd_policy *p, const lfd_req *rq, int64_t now_ns,
                            float *scratch, lfd_err *err)
{
    int na = p->act_dim;
    if (rq->has_prev_action) {
        float *vel = scratch + na;
        int rc = lfd_proto_get_vec(&rq->prev_action, scratch, na, 1, "prev_action", err);
        if (rc == LFD_OK && rq->has_prev_velocity)
            rc = lfd_proto_get_vec(&rq->prev_velocity, vel, na, 1, "prev_velocity", err);
        if (rc)
            return rc;
        /* a velocity past the joint's limit is the limit (the filter's
           acceleration limit would otherwise carry it on) */
        for (int j = 0; rq->has_prev_velocity && j < na; j++) {
            float vl = p->vel_limit[j];
            if (vel[j] > vl)
                vel[j] = vl;
            else if (vel[j] < -vl)
                vel[j] = -vl;
        }
        lfd_filter_state_reset(&x->fs, na, scratch, rq->has_prev_velocity ? vel : NULL);
    } else if (x->have_last_chunk) {
        lfd_filter_state_from_chunk(&x->fs, na, x->last_chunk, p->chunk, p->control_period_s,
                                    (double)(now_ns - x->last_reply_ns) * 1e-9, scratch);
    }
    return LFD_OK;
}

static void enqueue_act(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                        const lfd_req *rq, int64_t t_recv_ns)
{
    int sidx = session_for(s, id, idlen, env, rq);
    if (sidx < 0)
        return;
    if (s->sess[sidx].pending)
        flush_batch(s); /* keep one act per session per batch, in order */
    session *x = &s->sess[sidx];
    srv_policy *sp = &s->pol[x->policy];
    srv_model *m = sp->m;
    const lfd_policy *p = m->p;
    lfd_err err;
    /* the observation goes straight into its batch row */
    int row = 0;
    for (int i = 0; i < s->npend; i++)
        row += s->pend[i].pidx == x->policy && s->pend[i].row >= 0;
    float *ob = m->obs + (size_t)row * (size_t)p->obs_dim;
    if (lfd_proto_get_vec(&rq->obs, ob, p->obs_dim, 0, "obs", &err)) {
        x->errors++;
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_BAD_OBSERVATION, err.msg);
        return;
    }
    if (act_filter_state(x, p, rq, t_recv_ns, s->hold, &err)) {
        x->errors++;
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_BAD_MESSAGE, err.msg);
        return;
    }
    x->last_seq = rq->seq;
    x->last_active_ns = t_recv_ns;
    x->pending = 1;
    s->recent_sidx[s->recent_pos] = sidx;
    s->recent_pos = (s->recent_pos + 1) % 4;
    s->acts_from_several = 0;
    for (int i = 0; i < 4; i++)
        s->acts_from_several |= s->recent_sidx[i] != sidx;
    pending_act *pa = &s->pend[s->npend++];
    pa->sidx = sidx;
    pa->pidx = x->policy;
    pa->env = *env;
    pa->seq = rq->seq;
    pa->t_req = rq->t_s;
    pa->t_recv_ns = t_recv_ns;
    pa->reason = "";
    pa->message[0] = '\0';
    pa->t_decoded_ns = lfd_now_ns();
    /* a non-finite observation cannot be inferred: this request holds */
    int bad = -1;
    for (int i = 0; i < p->obs_dim && bad < 0; i++)
        if (!isfinite(ob[i]))
            bad = i;
    if (bad >= 0) {
        pa->row = -1;
        pa->reason = "policy_error";
        snprintf(pa->message, sizeof pa->message, "observation %d ('%s') is not finite", bad,
                 p->obs_names[bad]);
        pa->norm_ns = 0;
    } else {
        pa->row = row;
        /* a residual policy adds its deltas to the raw previous action */
        if (p->action_mode == LFD_ACTION_RESIDUAL)
            memcpy(m->prev + (size_t)row * (size_t)p->ndriven, ob + p->prev_off,
                   (size_t)p->ndriven * sizeof(float));
        lfd_policy_normalize_obs(p, ob, ob);
        int64_t t = lfd_now_ns();
        pa->norm_ns = t - pa->t_decoded_ns;
    }
    if (s->npend >= s->cfg.max_batch)
        flush_batch(s);
}

/* Infers every row of policy pidx in the batch; returns the time taken and
   adds the per-row unnormalisation time to *denorm_ns. */
static int64_t infer_rows(lfd_server *s, int pidx, int rows, int64_t *denorm_ns)
{
    srv_model *m = s->pol[pidx].m;
    const lfd_policy *p = m->p;
    int no = p->obs_dim, nout = p->chunk * p->act_dim;
    int64_t t0 = lfd_now_ns();
    if (p->kind == LFD_POLICY_MLP) {
        if (rows == 1)
            lfd_mlp_forward(p->mlp, m->mlp_ws, m->obs, m->out);
        else
            lfd_mlp_forward_batch(p->mlp, m->mlp_ws, rows, m->obs, m->out);
    } else {
        for (int r = 0; r < rows; r++)
            if (lfd_policy_step(p, m->pws, m->obs + (size_t)r * (size_t)no,
                                m->out + (size_t)r * (size_t)nout, NULL) != LFD_OK)
                for (int i = 0; i < nout; i++)
                    m->out[(size_t)r * (size_t)nout + (size_t)i] = NAN;
    }
    int64_t t1 = lfd_now_ns();
    /* the network's rows become action chunks (policies/lfd_policy.h: the
       same code lfd_policy_step runs) */
    if (p->kind == LFD_POLICY_MLP)
        lfd_policy_output_rows(p, rows, m->prev, (size_t)p->ndriven, m->out);
    *denorm_ns = lfd_now_ns() - t1;
    return t1 - t0;
}

static void reply_act(lfd_server *s, pending_act *pa, int rows, int64_t infer_ns,
                      int64_t denorm_ns, int64_t t_infer0_ns)
{
    session *x = &s->sess[pa->sidx];
    srv_policy *sp = &s->pol[pa->pidx];
    const lfd_policy *p = sp->m->p;
    int na = p->act_dim, nc = p->chunk;
    float *chunk = pa->row >= 0 ? sp->m->out + (size_t)pa->row * (size_t)(nc * na) : NULL;
    int64_t tf0 = lfd_now_ns();
    /* a non-finite output anywhere: the policy failed, hold */
    if (chunk) {
        for (int i = 0; i < nc * na; i++)
            if (!isfinite(chunk[i])) {
                pa->reason = "policy_error";
                snprintf(pa->message, sizeof pa->message,
                         "policy '%s' produced a non-finite action (%d)", p->name, i);
                chunk = NULL;
                break;
            }
    }
    /* the hold pose: the previous command, else the policy's default pose */
    float *hold = s->hold;
    lfd_filter_hold_pose(&sp->m->lim, &x->fs, p->default_action, hold);
    memset(s->flags, 0, s->scratch_act);
    lfd_filter_counts counts = {0};
    if (chunk) {
        /* the safety filter over each step of the chunk */
        for (int k = 0; k < nc; k++)
            lfd_filter_step(&sp->m->lim, &x->fs, chunk + (size_t)k * (size_t)na,
                            p->control_period_s, p->default_action, s->flags, &counts);
    }
    int64_t tf1 = lfd_now_ns();
    if (chunk && s->cfg.deadline_s > 0 && (double)(tf1 - pa->t_recv_ns) * 1e-9 > s->cfg.deadline_s) {
        pa->reason = "deadline";
        snprintf(pa->message, sizeof pa->message, "took %.3f ms, the deadline is %.3f ms",
                 (double)(tf1 - pa->t_recv_ns) * 1e-6, s->cfg.deadline_s * 1e3);
        s->st.deadline_misses++;
        chunk = NULL;
        /* the filter ran ahead: the previous command is the hold pose again */
        lfd_filter_state_reset(&x->fs, na, hold, NULL);
        memset(s->flags, 0, s->scratch_act);
        memset(&counts, 0, sizeof counts);
    }
    int held = chunk == NULL;
    if (held) {
        /* a previous command outside the joint range is flagged on a hold
           as on a filtered chunk (the hold pose is it, clamped into the
           range): hold replies carried no flag 16 (review) */
        lfd_filter_flag_start(&sp->m->lim, &x->fs, s->flags, &counts);
        for (int k = 1; k < nc; k++)
            memcpy(hold + (size_t)k * (size_t)na, hold, (size_t)na * sizeof(float));
        chunk = hold;
        x->holds++;
        sp->holds++;
        s->st.holds++;
    }
    memcpy(x->last_chunk, chunk, (size_t)(nc * na) * sizeof(float));
    x->have_last_chunk = 1;
    x->last_reply_ns = tf1;
    x->counts.clamped += counts.clamped;
    x->counts.vel_limited += counts.vel_limited;
    x->counts.acc_limited += counts.acc_limited;
    x->counts.nonfinite += counts.nonfinite;
    x->counts.start_clamped += counts.start_clamped;
    /* encode (the encoder measures itself) and send */
    lfd_act_out o = {0};
    o.seq = pa->seq;
    o.t_s = lfd_proto_wall_s();
    o.t_req_s = pa->t_req;
    o.hash = p->hash;
    o.actions = chunk;
    o.chunk = nc;
    o.act_dim = na;
    o.hold = held;
    o.reason = pa->reason;
    o.message = pa->message;
    o.flags = s->flags;
    o.counts = counts;
    o.timing.decode_us = (double)(pa->t_decoded_ns - pa->t_recv_ns) * 1e-3;
    o.timing.normalise_us = (double)(pa->norm_ns + (rows ? denorm_ns / rows : 0)) * 1e-3;
    o.timing.infer_us = pa->row >= 0 ? (double)infer_ns * 1e-3 : 0;
    o.timing.filter_us = (double)(tf1 - tf0) * 1e-3;
    int64_t q = t_infer0_ns - pa->t_decoded_ns - pa->norm_ns;
    o.timing.queue_us = q > 0 ? (double)q * 1e-3 : 0;
    o.timing.batch = pa->row >= 0 ? rows : 0;
    lfd_buf b;
    lfd_err err;
    double enc_us = 0;
    lfd_buf_init_fixed(&b, s->outmem, s->outcap);
    int64_t te0 = lfd_now_ns();
    if (lfd_proto_encode_act_rep(&b, &o, te0, &enc_us, &err)) {
        srv_send_error(s, x->id, x->idlen, &pa->env, pa->seq, LFD_PE_INTERNAL, err.msg);
    } else {
        srv_send_reply(s, x->id, x->idlen, &pa->env, b.data, b.len);
    }
    x->acts++;
    x->pending = 0;
    sp->acts++;
    s->st.acts++;
    s->st.decode_us += o.timing.decode_us;
    s->st.normalise_us += o.timing.normalise_us;
    s->st.infer_us += rows ? o.timing.infer_us / rows : 0;
    s->st.filter_us += o.timing.filter_us;
    s->st.encode_us += enc_us;
    double handle = (double)(lfd_now_ns() - pa->t_recv_ns) * 1e-3;
    s->st.handle_us += handle;
    double over = handle - (rows ? o.timing.infer_us / rows : 0);
    int hb = (int)(handle * 4), ob = (int)(over * 4);
    s->st.handle_hist[hb < 0 ? 0 : hb >= LFD_SERVER_HIST ? LFD_SERVER_HIST - 1 : hb]++;
    s->st.overhead_hist[ob < 0 ? 0 : ob >= LFD_SERVER_HIST ? LFD_SERVER_HIST - 1 : ob]++;
}

double lfd_server_hist_pct(const uint32_t *hist, double pct)
{
    uint64_t n = 0, k = 0;
    for (int i = 0; i < LFD_SERVER_HIST; i++)
        n += hist[i];
    if (n == 0)
        return 0;
    uint64_t want = (uint64_t)ceil(pct / 100.0 * (double)n);
    for (int i = 0; i < LFD_SERVER_HIST; i++) {
        k += hist[i];
        if (k >= want && k > 0)
            return (i + 0.5) * 0.25;
    }
    return LFD_SERVER_HIST * 0.25;
}

static void flush_batch(lfd_server *s)
{
    if (s->npend == 0)
        return;
    s->st.batches++;
    for (int pidx = 0; pidx < s->npol; pidx++) {
        int rows = 0, any = 0;
        for (int i = 0; i < s->npend; i++)
            if (s->pend[i].pidx == pidx) {
                any = 1;
                rows += s->pend[i].row >= 0;
            }
        if (!any)
            continue;
        int64_t denorm = 0, infer = 0, t0 = lfd_now_ns();
        if (rows)
            infer = infer_rows(s, pidx, rows, &denorm);
        for (int i = 0; i < s->npend; i++)
            if (s->pend[i].pidx == pidx)
                reply_act(s, &s->pend[i], rows, infer, denorm, t0);
    }
    s->npend = 0;
}

/* ---- the event loop ---------------------------------------------------------------- */

static void handle_message(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                           const uint8_t *data, size_t len, int64_t t_recv_ns)
{
    s->st.messages++;
    if (len > s->cfg.max_msg_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg, "message of %zu bytes is larger than this server's cap of %zu",
                 len, s->cfg.max_msg_bytes);
        /* the reply names the request it answers where its seq can be
           read: clients drop replies of another seq, so an error with seq 0
           read as a timeout (found by review) */
        uint64_t sq = 0;
        lfd_proto_peek_seq(data, len, &sq);
        srv_send_error(s, id, idlen, env, sq, LFD_PE_TOO_LARGE, msg);
        return;
    }
    lfd_req rq;
    lfd_proto_error pe;
    lfd_err err;
    if (lfd_req_decode(&rq, data, len, &pe, &err) != LFD_OK) {
        int sidx = srv_sess_find_own(s, id, idlen);
        if (sidx >= 0)
            s->sess[sidx].errors++;
        uint64_t sq = 0;
        if (rq.has_seq)
            sq = rq.seq;
        else
            lfd_proto_peek_seq(data, len, &sq);
        srv_send_error(s, id, idlen, env, sq, pe, err.msg);
        return;
    }
    if (rq.type != LFD_MSG_ACT) {
        /* keep this client's order: its pending act is answered first */
        int sidx = srv_sess_find(s, id, idlen);
        if (sidx >= 0 && s->sess[sidx].pending)
            flush_batch(s);
    }
    /* a CURVE key removed from the allow-list since its handshake gets
       nothing more: its session was ended (its acts get no_session), and
       its hellos (which would open a session), resets, pings, stats and
       probes are denied (pings, stats and probes were answered, stats with
       every policy's hash: found by review).  Not on the act path: acts
       need a session, which the key no longer has. */
    if (rq.type != LFD_MSG_ACT && s->zap_on && s->cur_key[0] && !srv_key_allowed_now(s, s->cur_key)) {
        char msg[200];
        snprintf(msg, sizeof msg, "key %.40s is no longer in %.100s/clients", s->cur_key,
                 s->curve_dir);
        srv_send_error(s, id, idlen, env, rq.seq, LFD_PE_DENIED, msg);
        return;
    }
    switch (rq.type) {
    case LFD_MSG_HELLO: handle_hello(s, id, idlen, env, &rq, t_recv_ns); break;
    case LFD_MSG_ACT: enqueue_act(s, id, idlen, env, &rq, t_recv_ns); break;
    case LFD_MSG_RESET: handle_reset(s, id, idlen, env, &rq, t_recv_ns); break;
    case LFD_MSG_PING: srv_handle_ping(s, id, idlen, env, &rq, t_recv_ns); break;
    case LFD_MSG_STATS: srv_handle_stats(s, id, idlen, env, &rq, t_recv_ns); break;
    default:
        srv_send_error(s, id, idlen, env, rq.seq, LFD_PE_UNKNOWN_TYPE, "unknown request type");
    }
}

/* Receives one whole multipart message, waiting up to the socket's
   receive timeout when wait is set; returns 0 if none came, 1 if one was
   handled, -1 on a socket error. */
#define MAX_FRAMES (ENV_FRAMES + 3)
static int recv_one(lfd_server *s, int wait)
{
    zmq_msg_t f[MAX_FRAMES];
    int nf = 0, more = 0, extra = 0;
    for (;;) {
        zmq_msg_t tmp;
        zmq_msg_init(&tmp);
        int flags = nf == 0 && !extra && !wait ? ZMQ_DONTWAIT : 0;
        if (zmq_msg_recv(&tmp, s->sock, flags) < 0) {
            int e = zmq_errno();
            zmq_msg_close(&tmp);
            for (int i = 0; i < nf; i++)
                zmq_msg_close(&f[i]);
            if (e == EAGAIN || e == EINTR)
                return 0;
            return -1;
        }
        more = zmq_msg_more(&tmp);
        if (nf < MAX_FRAMES)
            f[nf++] = tmp;
        else {
            zmq_msg_close(&tmp);
            extra++;
        }
        if (!more)
            break;
    }
    int64_t t_recv = lfd_now_ns();
    const uint8_t *id = zmq_msg_data(&f[0]);
    int idlen = (int)zmq_msg_size(&f[0]);
    if (idlen > ID_MAX)
        idlen = 0; /* cannot happen with libzmq (routing ids are <= 255 bytes) */
    /* [id, payload] from DEALER; [id, (request id,) "", payload] from REQ */
    srv_env env = {0};
    int ok = nf >= 2 && !extra;
    if (ok && nf > 2) {
        env.delim = 1;
        env.n = nf - 3;
        ok = zmq_msg_size(&f[nf - 2]) == 0;
        for (int i = 0; ok && i < env.n; i++) {
            size_t n = zmq_msg_size(&f[1 + i]);
            ok = n <= ENV_FRAME_MAX;
            if (ok) {
                env.len[i] = (uint8_t)n;
                memcpy(env.data[i], zmq_msg_data(&f[1 + i]), n);
            }
        }
    }
    if (ok) {
        /* under CURVE, the client's key (the ZAP handler's user id) */
        const char *uid = s->zap_on ? zmq_msg_gets(&f[nf - 1], "User-Id") : NULL;
        s->cur_key = uid && strlen(uid) == 40 ? uid : "";
        handle_message(s, id, idlen, &env, zmq_msg_data(&f[nf - 1]), zmq_msg_size(&f[nf - 1]),
                       t_recv);
        s->cur_key = "";
    } else if (idlen > 0) {
        s->st.messages++;
        srv_send_error(s, id, idlen, NULL, 0, LFD_PE_BAD_ENVELOPE,
                   "a request is one frame (after an empty delimiter frame for REQ sockets)");
    }
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return 1;
}

static void swap_reloaded(lfd_server *s)
{
    if (!atomic_load(&s->reload_ready))
        return;
    pthread_mutex_lock(&s->reload_mu);
    atomic_store(&s->reload_ready, 0);
    for (int i = 0; i < s->npol; i++) {
        srv_policy *sp = &s->pol[i];
        if (!sp->pending)
            continue;
        srv_model *old = sp->m;
        int same = same_schema(old->p, sp->pending->p);
        /* the shared buffers sized for the new policy before it serves
           (they only grow: if they cannot, the old policy stays) */
        sp->m = sp->pending;
        lfd_err serr;
        if (size_buffers(s, &serr)) {
            sp->m = old;
            lfd_warn("reload of policy '%s' from %s refused: %s; the loaded one keeps serving", sp->name,
                     sp->path, serr.msg);
            srv_model_free(&sp->pending);
            continue;
        }
        sp->pending = NULL;
        if (!same)
            sp->generation++;
        lfd_info("reloaded policy '%s' from %s: hash %.12s... -> %.12s...%s", sp->name, sp->path,
                 old->p->hash, sp->m->p->hash,
                 same ? "" : " (schema changed: clients must hello again)");
        srv_model_free(&old);
        s->st.reloads++;
    }
    pthread_mutex_unlock(&s->reload_mu);
    lfd_err err;
    if (size_buffers(s, &err))
        lfd_warn("after a reload: %s", err.msg);
}

/* Ends the sessions whose CURVE key left the allow-list (the batch is
   empty here); their requests get no_session, their hellos denied. */
static void end_revoked_sessions(lfd_server *s)
{
    s->keys_seen_gen = atomic_load(&s->keys_gen);
    for (int i = 0; i < s->max_sess; i++) {
        session *x = &s->sess[i];
        if (x->used && x->key[0] && !srv_key_allowed_now(s, x->key)) {
            lfd_info("session of '%s' ended: key %.12s... was removed from %s/clients", x->client,
                     x->key, s->curve_dir);
            srv_sess_remove(s, i);
            s->st.sessions_revoked++;
        }
    }
}

int lfd_server_poll(lfd_server *s, int timeout_ms, lfd_err *err)
{
    if (!s->bound)
        return lfd_fail(err, LFD_ESTATE, "server is not bound");
    swap_reloaded(s);
    /* a blocking receive with a timeout (one poll in libzmq when idle, none
       when a message is waiting), then drain what is there without waiting;
       acts gather into one batch */
    if (timeout_ms != s->rcvtimeo_ms) {
        zmq_setsockopt(s->sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
        s->rcvtimeo_ms = timeout_ms;
    }
    for (int k = 0; k < 4 * LFD_SERVER_MAX_BATCH; k++) {
        /* while the last four acts came from one client there is nothing to
           batch with: its act is answered at once instead of looking for
           more (a look costs a system call in libzmq); a waiting message is
           read by the next poll.  Acts from several clients are drained and
           inferred together. */
        if (k > 0 && s->npend > 0 && !s->acts_from_several)
            break;
        int r = recv_one(s, k == 0);
        if (r < 0) {
            flush_batch(s);
            if (zmq_errno() == ETERM)
                return LFD_OK;
            return lfd_fail(err, LFD_ENET, "receive: %s", zmq_strerror(zmq_errno()));
        }
        if (r == 0)
            break;
    }
    flush_batch(s);
    if (s->zap_on && atomic_load(&s->keys_gen) != s->keys_seen_gen)
        end_revoked_sessions(s);
    int64_t now = lfd_now_ns();
    if (now - s->last_sweep_ns > 1000000000LL)
        srv_sweep_sessions(s, now);
    return LFD_OK;
}

int lfd_server_run(lfd_server *s, lfd_err *err)
{
    while (!atomic_load(&s->stop)) {
        int rc = lfd_server_poll(s, 50, err);
        if (rc)
            return rc;
    }
    return LFD_OK;
}

void lfd_server_stop(lfd_server *s) { atomic_store(&s->stop, 1); }

static void *runner_main(void *arg)
{
    lfd_err e = {0};
    if (lfd_server_run(arg, &e))
        lfd_warn("lfd serve: %s", e.msg);
    return NULL;
}

int lfd_server_start(lfd_server *s, lfd_err *err)
{
    if (!s->bound || s->runner_on)
        return lfd_fail(err, LFD_ESTATE, "lfd_server_start: %s",
                        s->runner_on ? "already running" : "bind first");
    if (pthread_create(&s->runner, NULL, runner_main, s) != 0)
        return lfd_fail(err, LFD_EIO, "cannot start the server thread");
    s->runner_on = 1;
    return LFD_OK;
}

void lfd_server_get_stats(const lfd_server *s, lfd_server_stats *st)
{
    *st = s->st;
    st->sessions = s->nsess;
    st->reload_failures = atomic_load(&s->reload_failures);
    st->uptime_s = (double)(lfd_now_ns() - s->t_start_ns) * 1e-9;
}


/* ---- setup and teardown ------------------------------------------------------------ */

void lfd_server_config_init(lfd_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind = LFD_SERVER_DEFAULT_BIND;
    cfg->max_sessions = 64;
    cfg->max_sessions_per_key = 16;
    cfg->idle_s = 60;
    cfg->max_msg_bytes = LFD_PROTO_MAX_MSG_DEFAULT;
    cfg->max_batch = 16;
    cfg->watch_interval_s = 0.2;
    cfg->blas_threads = 1;
}

/* 1 if host (n bytes, no port) is a loopback address as libzmq reads a
   bind address: the interface "lo", "localhost", an IPv4 address in
   127.0.0.0/8 in any form inet_aton reads (127.1, 0x7f000001), or the IPv6
   loopback or an IPv4-mapped 127.x in brackets. */
static int host_is_loopback(const char *host, size_t n)
{
    char h[64];
    if (n == 0 || n >= sizeof h)
        return 0;
    memcpy(h, host, n);
    h[n] = '\0';
    if (!strcmp(h, "lo") || !strcmp(h, "localhost"))
        return 1;
    if (h[0] == '[') {
        if (h[n - 1] != ']')
            return 0;
        h[n - 1] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, h + 1, &a6) != 1)
            return 0;
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    struct in_addr a4;
    if (inet_aton(h, &a4) == 0)
        return 0;
    return (ntohl(a4.s_addr) >> 24) == 127;
}

int lfd_endpoint_is_local(const char *ep)
{
    /* "A;B" is libzmq's "source A, address B", even for bind: never local */
    if (!ep || strchr(ep, ';'))
        return 0;
    if (!strncmp(ep, "ipc://", 6) || !strncmp(ep, "inproc://", 9))
        return 1;
    if (strncmp(ep, "tcp://", 6))
        return 0;
    const char *h = ep + 6, *colon = strrchr(h, ':');
    if (!colon || !colon[1])
        return 0;
    return host_is_loopback(h, (size_t)(colon - h));
}

int lfd_server_new(lfd_server **out, const lfd_server_config *cfg, lfd_err *err)
{
    *out = NULL;
    if (cfg->max_sessions < 1 || cfg->max_sessions > 65536)
        return lfd_fail(err, LFD_EARG, "max sessions %d (must be 1..65536)", cfg->max_sessions);
    if (cfg->max_sessions_per_key < 1)
        return lfd_fail(err, LFD_EARG, "max sessions per key %d (must be at least 1)",
                        cfg->max_sessions_per_key);
    if (cfg->max_batch < 1 || cfg->max_batch > LFD_SERVER_MAX_BATCH)
        return lfd_fail(err, LFD_EARG, "max batch %d (must be 1..%d)", cfg->max_batch,
                        LFD_SERVER_MAX_BATCH);
    if (cfg->max_msg_bytes < 256 || cfg->max_msg_bytes > LFD_PROTO_HARD_MAX_MSG)
        return lfd_fail(err, LFD_EARG, "message cap %zu (must be 256..%zu)", cfg->max_msg_bytes,
                        LFD_PROTO_HARD_MAX_MSG);
    if (!(cfg->deadline_s >= 0) || !(cfg->idle_s > 0) || !(cfg->watch_interval_s > 0))
        return lfd_fail(err, LFD_EARG, "deadline, idle time and watch interval must be positive");
    lfd_server *s = calloc(1, sizeof *s);
    if (!s)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    s->cfg = *cfg;
    /* OpenBLAS's worker threads spin (sched_yield) between calls: for the
       small matrices of one act batch they cost far more CPU than they save,
       and they steal the cores the clients and ZeroMQ need */
    openblas_set_num_threads(cfg->blas_threads > 0 ? cfg->blas_threads : 1);
    snprintf(s->bind, sizeof s->bind, "%s", cfg->bind ? cfg->bind : LFD_SERVER_DEFAULT_BIND);
    s->cfg.bind = s->bind;
    if (cfg->curve_dir) {
        snprintf(s->curve_dir, sizeof s->curve_dir, "%s", cfg->curve_dir);
        s->cfg.curve_dir = s->curve_dir;
    }
    pthread_mutex_init(&s->reload_mu, NULL);
    pthread_mutex_init(&s->keys_mu, NULL);
    pthread_mutex_init(&s->robots_mu, NULL);
    s->max_sess = cfg->max_sessions;
    uint32_t tabsz = 16;
    while (tabsz < 2u * (uint32_t)s->max_sess)
        tabsz *= 2;
    s->tabmask = tabsz - 1;
    s->sess = calloc((size_t)s->max_sess, sizeof *s->sess);
    s->tab = malloc(tabsz * sizeof *s->tab);
    s->freelist = malloc((size_t)s->max_sess * sizeof *s->freelist);
    s->ctx = zmq_ctx_new();
    if (!s->sess || !s->tab || !s->freelist || !s->ctx) {
        lfd_server_free(&s);
        return lfd_fail(err, LFD_ENOMEM, "out of memory (or no ZeroMQ context)");
    }
    for (uint32_t i = 0; i < tabsz; i++)
        s->tab[i] = -1;
    for (int i = 0; i < s->max_sess; i++)
        s->freelist[i] = s->max_sess - 1 - i;
    s->nfree = s->max_sess;
    s->t_start_ns = s->last_sweep_ns = lfd_now_ns();
    for (int i = 0; i < 4; i++)
        s->recent_sidx[i] = -1;
    s->rcvtimeo_ms = -2;
    s->cur_key = "";
    *out = s;
    return LFD_OK;
}

int lfd_server_add_policy(lfd_server *s, lfd_policy *p, const char *path, lfd_err *err)
{
    if (s->bound) {
        lfd_policy_free(&p);
        return lfd_fail(err, LFD_ESTATE, "policies are added before binding");
    }
    if (s->npol >= LFD_SERVER_MAX_POLICIES) {
        lfd_policy_free(&p);
        return lfd_fail(err, LFD_ELIMIT, "at most %d policies", LFD_SERVER_MAX_POLICIES);
    }
    if (!p->name[0] || find_policy(s, (const uint8_t *)p->name, (uint32_t)strlen(p->name)) >= 0) {
        int rc = lfd_fail(err, LFD_EARG, "policy name '%s' is empty or served twice", p->name);
        lfd_policy_free(&p);
        return rc;
    }
    srv_policy *sp = &s->pol[s->npol];
    memset(sp, 0, sizeof *sp);
    snprintf(sp->name, sizeof sp->name, "%s", p->name);
    int rc = srv_model_new(s, &sp->m, p, s->cfg.max_batch, err);
    if (rc)
        return rc;
    if (path) {
        snprintf(sp->path, sizeof sp->path, "%s", path);
        sp->has_path = 1;
        int64_t id[4];
        if (srv_file_id(path, id) == 0) {
            sp->st_dev = id[0];
            sp->st_ino = id[1];
            sp->st_size = id[2];
            sp->st_mtime_ns = id[3];
        }
    }
    s->npol++;
    if ((rc = size_buffers(s, err)))
        return rc;
    return LFD_OK;
}

int lfd_server_load_policy(lfd_server *s, const char *path, lfd_err *err)
{
    lfd_policy *p;
    int rc = lfd_policy_load(&p, path, err);
    if (rc)
        return rc;
    return lfd_server_add_policy(s, p, path, err);
}

int lfd_server_bind(lfd_server *s, lfd_err *err)
{
    if (s->bound)
        return lfd_fail(err, LFD_ESTATE, "already bound");
    if (s->npol == 0)
        return lfd_fail(err, LFD_EARG, "no policy to serve");
    int curve = s->cfg.curve_dir != NULL;
    /* libzmq reads "tcp://A;B" as "source A, address B" even for bind, so
       the start of the string says nothing about what is bound: refused
       outright, with or without --insecure */
    if (strchr(s->bind, ';'))
        return lfd_fail(err, LFD_EARG,
                        "%s names a source address ('A;B' binds B): give the one address "
                        "to serve on",
                        s->bind);
    if (!curve && !s->cfg.insecure && !lfd_endpoint_is_local(s->bind))
        return lfd_fail(err, LFD_EDENIED,
                        "%s is reachable from other machines: serve it with --curve KEYDIR "
                        "(or --insecure on a trusted network)",
                        s->bind);
    char pub[41], sec[41];
    if (curve) {
        char path[4200];
        snprintf(path, sizeof path, "%s/server.key", s->curve_dir);
        int rc = lfd_keys_read(path, pub, sec, err);
        if (rc)
            return lfd_err_prefix_rc(err, rc, "--curve");
        if (!zmq_has("curve"))
            return lfd_fail(err, LFD_EUNSUPPORTED, "this libzmq has no CURVE support");
        /* the allow-list as the serving thread checks it; the ZAP handler
           must be listening before the first handshake */
        if ((rc = srv_keys_reload(s, err)))
            return rc;
        s->keys_seen_gen = atomic_load(&s->keys_gen);
        s->zap_sock = zmq_socket(s->ctx, ZMQ_REP);
        int linger = 0;
        zmq_setsockopt(s->zap_sock, ZMQ_LINGER, &linger, sizeof linger);
        if (!s->zap_sock || zmq_bind(s->zap_sock, "inproc://zeromq.zap.01") != 0)
            return lfd_fail(err, LFD_ENET, "ZAP handler: %s", zmq_strerror(zmq_errno()));
        if (pthread_create(&s->zap, NULL, srv_zap_main, s) != 0)
            return lfd_fail(err, LFD_ENOMEM, "cannot start the ZAP thread");
        s->zap_on = 1;
    }
    s->sock = zmq_socket(s->ctx, ZMQ_ROUTER);
    if (!s->sock)
        return lfd_fail(err, LFD_ENET, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    int one = 1, zero = 0;
    int64_t maxmsg = (int64_t)LFD_PROTO_HARD_MAX_MSG;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (curve) {
        zmq_setsockopt(s->sock, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, sec, 40);
        zmq_setsockopt(s->sock, ZMQ_ZAP_DOMAIN, "lfd", 3);
        memset(sec, 0, sizeof sec);
    }
    /* an IPv6 address in brackets needs ZeroMQ's IPv6 mode */
    if (!strncmp(s->bind, "tcp://[", 7))
        zmq_setsockopt(s->sock, ZMQ_IPV6, &one, sizeof one);
    if (zmq_bind(s->sock, s->bind) != 0)
        return lfd_fail(err, LFD_ENET, "cannot bind %s: %s", s->bind, zmq_strerror(zmq_errno()));
    /* decide on what was really bound, not only on the string */
    size_t n = sizeof s->endpoint;
    if (zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, s->endpoint, &n) != 0)
        s->endpoint[0] = '\0';
    if (!curve && !s->cfg.insecure && !lfd_endpoint_is_local(s->endpoint)) {
        int rc = lfd_fail(err, LFD_EDENIED,
                          "%s was bound as '%s', which is not loopback-only: closed (serve it "
                          "with --curve KEYDIR, or --insecure on a trusted network)",
                          s->bind, s->endpoint);
        zmq_close(s->sock);
        s->sock = NULL;
        s->endpoint[0] = '\0';
        return rc;
    }
    if (s->cfg.watch) {
        if (pthread_create(&s->watcher, NULL, srv_watcher_main, s) != 0)
            return lfd_fail(err, LFD_ENOMEM, "cannot start the watcher thread");
        s->watcher_on = 1;
    }
    s->bound = 1;
    s->t_start_ns = s->last_sweep_ns = lfd_now_ns();
    return LFD_OK;
}

const char *lfd_server_endpoint(const lfd_server *s) { return s->endpoint; }

void lfd_server_free(lfd_server **ps)
{
    if (!ps || !*ps)
        return;
    lfd_server *s = *ps;
    atomic_store(&s->stop, 1);
    if (s->runner_on)
        pthread_join(s->runner, NULL);
    if (s->watcher_on)
        pthread_join(s->watcher, NULL);
    if (s->zap_on)
        pthread_join(s->zap, NULL);
    if (s->sock)
        zmq_close(s->sock);
    if (s->zap_sock)
        zmq_close(s->zap_sock);
    if (s->ctx)
        zmq_ctx_term(s->ctx);
    for (int i = 0; i < s->npol; i++) {
        srv_model_free(&s->pol[i].m);
        srv_model_free(&s->pol[i].pending);
    }
    for (int i = 0; s->sess && i < s->max_sess; i++) {
        lfd_filter_state_free(&s->sess[i].fs);
        free(s->sess[i].last_chunk);
    }
    free(s->sess);
    free(s->tab);
    free(s->freelist);
    free(s->outmem);
    free(s->flags);
    free(s->hold);
    for (int i = 0; i < s->nrobots; i++)
        lfd_robot_free(&s->robots[i]);
    pthread_mutex_destroy(&s->reload_mu);
    pthread_mutex_destroy(&s->keys_mu);
    pthread_mutex_destroy(&s->robots_mu);
    free(s->keys);
    free(s);
    *ps = NULL;
}
