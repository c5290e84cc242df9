/*  The session table under reconnecting clients (issue 19, item 2).

    A client that times out reconnects with a new ZeroMQ routing id.  The
    lfd clients present a random session_token in hello, so the new
    connection takes its old session over instead of leaving it to hold a
    slot until --idle-s; a full table ends its least recently active session
    instead of refusing the newcomer; under CURVE one client key holds at
    most max_sessions_per_key sessions.  Each test asserts that a live
    controller is served again within one timeout: the first call it makes
    once the server is reachable succeeds. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "core/lfd_io.h"
#include "runtime/lfd_keys.h"
#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

enum { NCLI = 16, MAXCALLS = 4000, NSTALL = 4 };
#define TIMEOUT_S 0.5
#define STALL_S 0.8

typedef struct call_rec {
    double t0, t1;
    int rc;
    int is_new; /* the call was lfd_client_new (hello with a fresh token) */
} call_rec;

static lfd_policy *g_ref;
static char g_ep[1024];
static atomic_int g_stop;
static call_rec g_calls[NCLI][MAXCALLS];
static int g_ncalls[NCLI];
static char g_first_err[NCLI][600];

static void *controller(void *arg)
{
    int id = (int)(intptr_t)arg;
    lfd_client_config cc;
    th_client_config(&cc, g_ep, g_ref);
    cc.timeout_s = TIMEOUT_S;
    cc.filter = 0;
    lfd_client *c = NULL;
    lfd_err err;
    float obs[8] = {0}, got[64];
    while (!atomic_load(&g_stop) && g_ncalls[id] < MAXCALLS) {
        call_rec *r = &g_calls[id][g_ncalls[id]];
        r->t0 = lfd_client_now_s();
        r->is_new = !c;
        if (!c)
            r->rc = lfd_client_new(&c, &cc, &err);
        else
            r->rc = lfd_client_act(c, obs, NULL, got, NULL, &err);
        r->t1 = lfd_client_now_s();
        if (r->rc && !g_first_err[id][0])
            snprintf(g_first_err[id], sizeof g_first_err[id], "%s", err.msg);
        g_ncalls[id]++;
        usleep(2000);
    }
    lfd_client_free(&c);
    return NULL;
}

/* 16 controllers with a 0.5 s timeout; the server stalls for 0.8 s four
   times (every controller times out and reconnects each time).  Before
   issue 19 each stall left 16 dead sessions behind: after four, every
   controller got `busy` until --idle-s. */
TEST(serve_reconnecting_clients_take_their_sessions_over)
{
    g_ref = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_policy *p = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    lfd_server *s;
    lfd_err err = {0};
    CHECK_OK(lfd_server_new(&s, &cfg, &err), &err);
    CHECK_OK(lfd_server_add_policy(s, p, NULL, &err), &err);
    CHECK_OK(lfd_server_bind(s, &err), &err);
    snprintf(g_ep, sizeof g_ep, "%s", lfd_server_endpoint(s));
    atomic_store(&g_stop, 0);
    memset(g_ncalls, 0, sizeof g_ncalls);
    memset(g_first_err, 0, sizeof g_first_err);
    pthread_t th[NCLI];
    for (int i = 0; i < NCLI; i++)
        pthread_create(&th[i], NULL, controller, (void *)(intptr_t)i);
    /* serve, stall, serve, ... (this thread is the server) */
    double stall_end[NSTALL], t = lfd_client_now_s();
    for (int k = 0; k <= NSTALL; k++) {
        double until = lfd_client_now_s() + 0.7;
        while (lfd_client_now_s() < until)
            CHECK_OK(lfd_server_poll(s, 10, &err), &err);
        if (k == NSTALL)
            break;
        usleep((useconds_t)(STALL_S * 1e6));
        stall_end[k] = lfd_client_now_s();
    }
    atomic_store(&g_stop, 1);
    /* keep serving while the controllers finish their last calls */
    for (int i = 0; i < 50; i++)
        lfd_server_poll(s, 10, &err);
    for (int i = 0; i < NCLI; i++)
        pthread_join(th[i], NULL);
    lfd_server_stats st;
    lfd_server_get_stats(s, &st);
    /* every failure is a timeout; after each stall every controller's
       first call is answered */
    int busy = 0, other = 0, late = 0, lost_new = 0;
    for (int i = 0; i < NCLI; i++) {
        for (int k = 0; k < g_ncalls[i]; k++) {
            const call_rec *r = &g_calls[i][k];
            if (r->rc && r->is_new)
                lost_new++;
            if (r->rc == LFD_ESTATE)
                busy++;
            else if (r->rc && r->rc != LFD_ETIMEOUT)
                other++;
        }
        for (int j = 0; j < NSTALL; j++) {
            /* the first call that started once the server was back */
            for (int k = 0; k < g_ncalls[i]; k++) {
                const call_rec *r = &g_calls[i][k];
                if (r->t0 < stall_end[j])
                    continue;
                if (r->rc) {
                    late++;
                    fprintf(stderr, "controller %d after stall %d: rc %d (%s)\n", i, j, r->rc,
                            g_first_err[i]);
                }
                break;
            }
        }
    }
    fprintf(stderr, "%d controllers, %d stalls of %.1f s over %.1f s: %llu sessions created, "
                    "%llu taken over, %d open at the end; %d busy, %d late, %d lfd_client_new timed out\n",
            NCLI, NSTALL, STALL_S, lfd_client_now_s() - t,
            (unsigned long long)st.sessions_created, (unsigned long long)st.sessions_taken_over,
            st.sessions, busy, late, lost_new);
    CHECK_EQ_INT(busy, 0);
    CHECK_EQ_INT(other, 0);
    CHECK_EQ_INT(late, 0);
    CHECK_EQ_INT(st.sessions_refused, 0);
    /* a controller whose lfd_client_new timed out (slow under Valgrind)
       gives its token up; the server may have opened a session for that
       hello, which then waits for --idle-s: at most one per such call */
    CHECK(st.sessions <= NCLI + lost_new);
    CHECK(st.sessions_taken_over >= NCLI);
    lfd_server_free(&s);
    lfd_policy_free(&g_ref);
}

/* One local peer opens 64 connections that each say hello and then keep
   acting, saying hello again whenever their session ends: a new
   controller is still served, each of its calls within its timeout. */
static void *squatter(void *arg)
{
    enum { NS = 64 };
    (void)arg;
    void *ctx = zmq_ctx_new();
    void *sk[NS];
    uint64_t seq[NS];
    uint8_t tx[4096], rx[8192];
    lfd_hello_req h = {.policy = "walk", .obs_dim = 8, .act_dim = 4,
                       .obs_names = th_obs_names(), .act_names = th_act_names(),
                       .client = "squatter"};
    float obs[8] = {0};
    int zero = 0;
    for (int i = 0; i < NS; i++) {
        sk[i] = zmq_socket(ctx, ZMQ_DEALER);
        zmq_setsockopt(sk[i], ZMQ_LINGER, &zero, sizeof zero);
        zmq_connect(sk[i], g_ep);
        seq[i] = 0;
    }
    int *hello = calloc(NS, sizeof *hello);
    for (int i = 0; i < NS; i++)
        hello[i] = 1;
    while (!atomic_load(&g_stop)) {
        for (int i = 0; i < NS && !atomic_load(&g_stop); i++) {
            lfd_buf b;
            lfd_buf_init_fixed(&b, tx, sizeof tx);
            if (hello[i]) {
                h.seq = ++seq[i];
                lfd_proto_encode_hello_req(&b, &h, NULL);
            } else {
                lfd_proto_encode_act_req(&b, ++seq[i], 0, obs, 8, NULL, NULL, 4, NULL);
            }
            zmq_send(sk[i], b.data, b.len, 0);
            zmq_pollitem_t it = {sk[i], 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&it, 1, 1000) <= 0)
                continue;
            int n = zmq_recv(sk[i], rx, sizeof rx, 0);
            hello[i] = n > 0 && th_error_code(rx, (size_t)n, NULL, 0) != LFD_PE_NONE;
        }
    }
    for (int i = 0; i < NS; i++)
        zmq_close(sk[i]);
    free(hello);
    zmq_ctx_term(ctx);
    return NULL;
}

TEST(serve_full_table_ends_the_least_recently_active_session)
{
    g_ref = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_policy *p = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_policy_free(&g_ref);
        return;
    }
    snprintf(g_ep, sizeof g_ep, "%s", ts.endpoint);
    atomic_store(&g_stop, 0);
    pthread_t th;
    pthread_create(&th, NULL, squatter, NULL);
    /* wait until the squatter holds every slot */
    lfd_server_stats st = {0};
    for (int i = 0; i < 500; i++) {
        usleep(10000);
        lfd_server_get_stats(ts.s, &st);
        if (st.sessions >= cfg.max_sessions)
            break;
    }
    CHECK_EQ_INT(st.sessions, cfg.max_sessions);
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, g_ref);
    cc.timeout_s = TIMEOUT_S;
    lfd_client *c = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    int ok = 0;
    float obs[8] = {0}, got[12];
    for (int k = 0; c && k < 100; k++) {
        if (lfd_client_act(c, obs, NULL, got, NULL, &err) == LFD_OK)
            ok++;
        else if (ok == k)
            fprintf(stderr, "act %d: %s\n", k, err.msg);
        usleep(5000);
    }
    CHECK_EQ_INT(ok, 100);
    atomic_store(&g_stop, 1);
    pthread_join(th, NULL);
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&g_ref);
}

/* CURVE keys under dir: the server's in dir/KEYS (its public key into spub)
   and two clients' (a, b) allowed in dir/KEYS/clients; keys gets dir/KEYS.
   0 on success. */
static int curve_keys(const char *dir, const char *sub, const char *a, const char *b, char *keys,
                      size_t nkeys, char spub[41], char apub[41], char asec[41], char bpub[41],
                      char bsec[41])
{
    lfd_err err = {0};
    char cdir[1100], path[1200], cmd[2600];
    snprintf(keys, nkeys, "%s/%s", dir, sub);
    snprintf(cdir, sizeof cdir, "%s/clients", keys);
    if (lfd_keys_generate(keys, "server", spub, &err) || lfd_keys_generate(dir, a, NULL, &err) ||
        lfd_keys_generate(dir, b, NULL, &err))
        return -1;
    snprintf(path, sizeof path, "%s/%s.key", dir, a);
    if (lfd_keys_read(path, apub, asec, &err))
        return -1;
    snprintf(path, sizeof path, "%s/%s.key", dir, b);
    if (lfd_keys_read(path, bpub, bsec, &err) || lfd_mkdir_p(cdir, &err))
        return -1;
    snprintf(cmd, sizeof cmd, "cp '%s/%s.pub' '%s/%s.pub' '%s/'", dir, a, dir, b, cdir);
    return system(cmd);
}

/* Under CURVE one client key holds at most max_sessions_per_key sessions:
   a key that opens more ends its own least recently active session, never
   another key's. */
TEST(serve_curve_caps_sessions_per_client_key)
{
    if (!zmq_has("curve"))
        SKIP("libzmq without CURVE");
    lfd_err err = {0};
    const char *dir = lfd_test_tmpdir();
    char keys[1100], spub[41], apub[41], asec[41], bpub[41], bsec[41];
    CHECK_EQ_INT(curve_keys(dir, "keys", "fleet", "ctl", keys, sizeof keys, spub, apub, asec, bpub, bsec), 0);
    g_ref = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_policy *p = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.curve_dir = keys;
    cfg.max_sessions_per_key = 2;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_policy_free(&g_ref);
        return;
    }
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, g_ref);
    cc.server_key = spub;
    cc.public_key = bpub;
    cc.secret_key = bsec;
    lfd_client *ctl = NULL, *fleet[3] = {NULL, NULL, NULL};
    CHECK_OK(lfd_client_new(&ctl, &cc, &err), &err);
    cc.public_key = apub;
    cc.secret_key = asec;
    for (int i = 0; i < 3; i++)
        CHECK_OK(lfd_client_new(&fleet[i], &cc, &err), &err);
    float obs[8] = {0}, got[12];
    lfd_client_counters n;
    /* the fleet key's first session made room for its third */
    if (fleet[0]) {
        CHECK_OK(lfd_client_act(fleet[0], obs, NULL, got, NULL, &err), &err);
        lfd_client_get_counters(fleet[0], &n);
        CHECK_EQ_INT(n.hellos, 2);
    }
    /* the other key's session was never touched */
    if (ctl) {
        CHECK_OK(lfd_client_act(ctl, obs, NULL, got, NULL, &err), &err);
        lfd_client_get_counters(ctl, &n);
        CHECK_EQ_INT(n.hellos, 1);
    }
    char js[8192];
    if (ctl) {
        CHECK_OK(lfd_client_stats(ctl, js, sizeof js, &err), &err);
        CHECK_CONTAINS(js, "\"sessions\":3");
    }
    for (int i = 0; i < 3; i++)
        lfd_client_free(&fleet[i]);
    lfd_client_free(&ctl);
    th_server_stop(&ts);
    lfd_policy_free(&g_ref);
}

/* A CURVE key removed from clients/ while its client is connected: within
   about a second the client's session ends and its hello is refused with
   `denied` (LFD_EDENIED), though ZeroMQ keeps the authenticated connection;
   another key's client is not touched. */
TEST(serve_curve_removed_key_ends_its_sessions)
{
    if (!zmq_has("curve"))
        SKIP("libzmq without CURVE");
    lfd_err err = {0};
    const char *dir = lfd_test_tmpdir();
    char keys[1100], cdir[1200], path[1300], spub[41], apub[41], asec[41], bpub[41], bsec[41];
    CHECK_EQ_INT(curve_keys(dir, "keys", "gone", "stays", keys, sizeof keys, spub, apub, asec, bpub, bsec), 0);
    snprintf(cdir, sizeof cdir, "%s/clients", keys);
    g_ref = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_policy *p = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.curve_dir = keys;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_policy_free(&g_ref);
        return;
    }
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, g_ref);
    cc.server_key = spub;
    cc.public_key = apub;
    cc.secret_key = asec;
    lfd_client *gone = NULL, *stays = NULL;
    CHECK_OK(lfd_client_new(&gone, &cc, &err), &err);
    cc.public_key = bpub;
    cc.secret_key = bsec;
    CHECK_OK(lfd_client_new(&stays, &cc, &err), &err);
    float obs[8] = {0}, got[12];
    if (gone && stays) {
        CHECK_OK(lfd_client_act(gone, obs, NULL, got, NULL, &err), &err);
        snprintf(path, sizeof path, "%s/gone.pub", cdir);
        CHECK_EQ_INT(unlink(path), 0);
        int rc = LFD_OK;
        for (int k = 0; k < 50 && rc == LFD_OK; k++) {
            usleep(100000);
            rc = lfd_client_act(gone, obs, NULL, got, NULL, &err);
        }
        CHECK_EQ_INT(rc, LFD_EDENIED);
        CHECK_CONTAINS(err.msg, "no longer in");
        CHECK_OK(lfd_client_act(stays, obs, NULL, got, NULL, &err), &err);
        lfd_client_counters n;
        lfd_client_get_counters(stays, &n);
        CHECK_EQ_INT(n.hellos, 1);
    }
    lfd_client_free(&gone);
    lfd_client_free(&stays);
    lfd_server_stats st;
    lfd_server_stop(ts.s);
    pthread_join(ts.thread, NULL);
    ts.running = 0;
    lfd_server_get_stats(ts.s, &st);
    CHECK_EQ_INT(st.sessions_revoked, 1);
    CHECK_EQ_INT(st.errors_by_code[LFD_PE_DENIED], 1);
    th_server_stop(&ts);
    lfd_policy_free(&g_ref);
}

/* a DEALER under CURVE with the client key (pub, sec) and a routing id of
   its own choosing */
static void *curve_dealer(void *ctx, const char *ep, const char *spub, const char *pub,
                          const char *sec, const char *rid)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, spub, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40);
    zmq_setsockopt(s, ZMQ_ROUTING_ID, rid, strlen(rid));
    zmq_connect(s, ep);
    return s;
}

/* one request on s; the reply's length (or -1) into rbuf */
static int curve_call(void *s, const lfd_buf *b, uint8_t *rbuf, size_t cap)
{
    if (zmq_send(s, b->data, b->len, 0) < 0)
        return -1;
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 3000) <= 0)
        return -1;
    return zmq_recv(s, rbuf, cap, 0);
}

/* A connection whose CURVE key was removed from the allow-list gets nothing
   more: its pings, stats and probes are denied as its hellos are.  Until
   2026-12-07 they were answered, stats with every policy's hash (review). */
static int ping_code(void *s, uint64_t seq, int stats)
{
    static uint8_t tx[256], rx[1 << 16];
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 0, stats ? LFD_MSG_STATS : LFD_MSG_PING, seq, 0);
    int k = curve_call(s, &b, rx, sizeof rx);
    return k > 0 ? (int)th_error_code(rx, (size_t)k, NULL, 0) : -1;
}

TEST(serve_curve_removed_key_gets_no_pong_nor_stats)
{
    if (!zmq_has("curve"))
        SKIP("libzmq without CURVE");
    const char *dir = lfd_test_tmpdir();
    char keys[1100], path[1300], spub[41], apub[41], asec[41], bpub[41], bsec[41];
    CHECK_EQ_INT(curve_keys(dir, "pkeys", "gone", "stays", keys, sizeof keys, spub, apub, asec, bpub, bsec), 0);
    lfd_policy *p = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.curve_dir = keys;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    void *ctx = zmq_ctx_new();
    void *gone = curve_dealer(ctx, ts.endpoint, spub, apub, asec, "gone-1");
    void *stays = curve_dealer(ctx, ts.endpoint, spub, bpub, bsec, "stays-1");
    CHECK_EQ_INT(ping_code(gone, 1, 0), LFD_PE_NONE);
    CHECK_EQ_INT(ping_code(gone, 2, 1), LFD_PE_NONE);
    snprintf(path, sizeof path, "%s/clients/gone.pub", keys);
    CHECK_EQ_INT(unlink(path), 0);
    int code = LFD_PE_NONE;
    for (int k = 0; k < 40 && code == LFD_PE_NONE; k++) {
        usleep(100000);
        code = ping_code(gone, 3 + (uint64_t)k, 0);
    }
    CHECK_EQ_INT(code, LFD_PE_DENIED);
    CHECK_EQ_INT(ping_code(gone, 100, 1), LFD_PE_DENIED);
    CHECK_EQ_INT(ping_code(stays, 1, 0), LFD_PE_NONE);
    CHECK_EQ_INT(ping_code(stays, 2, 1), LFD_PE_NONE);
    zmq_close(gone);
    zmq_close(stays);
    zmq_ctx_term(ctx);
    th_server_stop(&ts);
}

/* Under CURVE a session belongs to the client key that opened it: a client
   with another key that connects with the same routing id (the first client
   gone) gets no_session on act and reset, stats that do not show the
   session, and a session of its own on hello.  Found by review: the second
   key's reset was accepted on the first key's session (so that client's
   next act was rate-limited from a pose the other chose), and its stats
   named the first client's session. */
TEST(serve_curve_session_belongs_to_its_client_key)
{
    if (!zmq_has("curve"))
        SKIP("libzmq without CURVE");
    lfd_err err = {0};
    const char *dir = lfd_test_tmpdir();
    char keys[1100], spub[41], apub[41], asec[41], bpub[41], bsec[41];
    CHECK_EQ_INT(curve_keys(dir, "rkeys", "left", "other", keys, sizeof keys, spub, apub, asec, bpub, bsec), 0);
    lfd_policy *p = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.curve_dir = keys;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    static uint8_t tx[1 << 14], rx[1 << 16];
    lfd_buf b;
    float obs[8] = {0}, cur[4] = {-1.5f, -1.5f, -1.5f, -1.5f};
    lfd_hello_req h = {.seq = 1, .policy = "walk", .client = "robot-left", .obs_dim = 8,
                       .act_dim = 4, .obs_names = th_obs_names(), .act_names = th_act_names()};
    void *ctx = zmq_ctx_new();
    /* the first client: hello and act */
    void *s1 = curve_dealer(ctx, ts.endpoint, spub, apub, asec, "robot-left");
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    CHECK_OK(lfd_proto_encode_hello_req(&b, &h, &err), &err);
    int k = curve_call(s1, &b, rx, sizeof rx);
    CHECK(k > 0 && th_error_code(rx, (size_t)k, NULL, 0) == LFD_PE_NONE);
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    lfd_proto_encode_act_req(&b, 2, 0, obs, 8, NULL, NULL, 4, NULL);
    k = curve_call(s1, &b, rx, sizeof rx);
    CHECK(k > 0 && th_error_code(rx, (size_t)k, NULL, 0) == LFD_PE_NONE);
    zmq_close(s1);
    usleep(200000); /* the server sees the first connection go */
    /* the other key on the same routing id */
    void *s2 = curve_dealer(ctx, ts.endpoint, spub, bpub, bsec, "robot-left");
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    lfd_proto_encode_simple_req(&b, LFD_MSG_RESET, 10, 0, cur, 4, NULL);
    k = curve_call(s2, &b, rx, sizeof rx);
    CHECK(k > 0);
    if (k > 0)
        CHECK_EQ_INT(th_error_code(rx, (size_t)k, NULL, 0), LFD_PE_NO_SESSION);
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    lfd_proto_encode_act_req(&b, 11, 0, obs, 8, NULL, NULL, 4, NULL);
    k = curve_call(s2, &b, rx, sizeof rx);
    CHECK(k > 0);
    if (k > 0)
        CHECK_EQ_INT(th_error_code(rx, (size_t)k, NULL, 0), LFD_PE_NO_SESSION);
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    lfd_proto_encode_simple_req(&b, LFD_MSG_STATS, 12, 0, NULL, 4, NULL);
    k = curve_call(s2, &b, rx, sizeof rx);
    CHECK(k > 0);
    if (k > 0) {
        rx[k < (int)sizeof rx ? k : (int)sizeof rx - 1] = 0;
        int found = 0;
        for (int i = 0; i + 15 <= k && !found; i++)
            found = !memcmp(rx + i, "robot-left (key", 15);
        CHECK(!found);
    }
    /* its hello opens a session of its own */
    h.seq = 13;
    h.client = "intruder";
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    CHECK_OK(lfd_proto_encode_hello_req(&b, &h, &err), &err);
    k = curve_call(s2, &b, rx, sizeof rx);
    CHECK(k > 0 && th_error_code(rx, (size_t)k, NULL, 0) == LFD_PE_NONE);
    lfd_buf_init_fixed(&b, tx, sizeof tx);
    lfd_proto_encode_act_req(&b, 14, 0, obs, 8, NULL, NULL, 4, NULL);
    k = curve_call(s2, &b, rx, sizeof rx);
    CHECK(k > 0 && th_error_code(rx, (size_t)k, NULL, 0) == LFD_PE_NONE);
    zmq_close(s2);
    zmq_ctx_term(ctx);
    th_server_stop(&ts);
}

/* --idle-s inf (or any idle time past what int64 nanoseconds hold) means a
   session never expires: the conversion to nanoseconds overflowed and every
   session counted as idle (found by review: every act from 0.5 s on got
   no_session). */
TEST(serve_infinite_idle_time_keeps_sessions)
{
    lfd_policy *p = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.idle_s = INFINITY;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    g_ref = th_mlp_policy("walk", 8, 4, 3, 16, 7, NULL);
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, g_ref);
    lfd_client *c = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    float obs[8] = {0}, got[12];
    for (int i = 0; c && i < 12; i++) {
        CHECK_OK(lfd_client_act(c, obs, NULL, got, NULL, &err), &err);
        usleep(100000);
    }
    lfd_client_counters n;
    if (c) {
        lfd_client_get_counters(c, &n);
        CHECK_EQ_INT(n.hellos, 1); /* never told no_session, never said hello again */
    }
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&g_ref);
}
