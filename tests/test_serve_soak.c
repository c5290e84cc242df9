/*  Soak and fault test of `lfd serve` (issue 10), run as a separate process
    on a loopback ipc endpoint: 16 clients for LFD_SOAK_S seconds (default 6
    in `make test`; `make soak` runs 60) -- 8 well-behaved C clients checking
    every answer against the policy and filter computed here, and 8 chaos
    clients mixing valid requests with garbage, oversized, truncated,
    out-of-order and multi-frame messages and abrupt disconnects, each of
    which must get its structured error -- and 4 storm clients that drop
    their connection every 100-400 ms (sometimes mid-request) and reconnect
    with their session token (issue 19), whose hellos must never be refused.
    Halfway through, the server is killed with SIGKILL and restarted;
    clients must recover.  Asserts:
      - every reply is correct (actions equal the reference, errors carry
        the expected code): no wrong answer, ever;
      - every request sent while the server was up was answered (timeouts
        only around the kill);
      - every good client is answered again after the restart;
      - the server's resident memory stays flat (after warm-up, within
        each server process's life) and it exits cleanly on SIGTERM (under
        `make asan` that includes LeakSanitizer's verdict). */
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "core/lfd_io.h"
#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

#define NGOOD 8
#define NCHAOS 8
#define NSTORM 4
/* A request unanswered this long counts as a timeout. Under Valgrind the 20
 * client threads run one at a time on one core, so a thread may not be
 * scheduled for over a second (CI saw 2 such timeouts at 1.5 s): there the
 * limit is longer, and what is asserted stays the same. */
static double g_timeout_s = 1.5;
#define TIMEOUT_S g_timeout_s

static lfd_policy *g_ref;
static char g_ep[1200];
static atomic_int g_stop;
static atomic_int g_restarts;
/* the outage: [t_kill, t_up] (monotonic seconds; t_up 0 while down) */
static _Atomic double g_t_kill, g_t_up;

typedef struct stats {
    long sent, answered, wrong, timeouts, unexcused, after_restart, errors_checked, reconnects;
    char first_wrong[1024];
} stats;

static stats g_stats[NGOOD + NCHAOS + NSTORM];

static void note_wrong(stats *s, const char *fmt, const char *what)
{
    if (!s->wrong)
        snprintf(s->first_wrong, sizeof s->first_wrong, fmt, what);
    s->wrong++;
}

/* a timeout is excused when the request may have met the server down */
static void note_timeout(stats *s, double t_sent)
{
    s->timeouts++;
    double tk = atomic_load(&g_t_kill), tu = atomic_load(&g_t_up);
    int excused = tk > 0 && t_sent >= tk - TIMEOUT_S - 0.5 && (tu == 0 || t_sent <= tu + TIMEOUT_S / 1.5);
    if (!excused)
        s->unexcused++;
}

static void reference(const float *obs, const float *prev, float *chunk)
{
    const lfd_policy *p = g_ref;
    lfd_err err;
    lfd_policy_ws *ws;
    lfd_policy_ws_new(&ws, p, &err);
    lfd_policy_step(p, ws, obs, chunk, &err);
    lfd_policy_ws_free(&ws);
    lfd_filter_state st;
    lfd_filter_state_init(&st, p->act_dim, &err);
    lfd_filter_state_reset(&st, p->act_dim, prev, NULL);
    lfd_filter_limits lim = {p->act_dim, p->act_lo, p->act_hi, p->vel_limit, p->acc_limit};
    for (int k = 0; k < p->chunk; k++)
        lfd_filter_step(&lim, &st, chunk + k * p->act_dim, p->control_period_s,
                        p->default_action, NULL, NULL);
    lfd_filter_state_free(&st);
}

static int matches(const float *got, const float *want, int n)
{
    for (int i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= 1e-5f))
            return 0;
    return 1;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *good_client(void *arg)
{
    int id = (int)(intptr_t)arg;
    stats *s = &g_stats[id];
    const lfd_policy *p = g_ref;
    lfd_client_config cc;
    th_client_config(&cc, g_ep, p);
    cc.timeout_s = TIMEOUT_S;
    cc.filter = 0;
    lfd_client *c = NULL;
    lfd_err err;
    uint64_t seed = 0x1234567ull + (uint64_t)id;
    int no = p->obs_dim, na = p->act_dim, n = p->chunk * na;
    float obs[64], prev[64], got[256], want[256];
    while (!atomic_load(&g_stop)) {
        double t = lfd_client_now_s();
        if (!c) {
            int rc = lfd_client_new(&c, &cc, &err);
            if (rc == LFD_ETIMEOUT) {
                note_timeout(s, t);
                continue;
            }
            if (rc) {
                note_wrong(s, "client_new: %s", err.msg);
                usleep(100000);
                continue;
            }
        }
        for (int i = 0; i < no; i++)
            obs[i] = (float)((double)(rnd(&seed) % 2000) / 1000.0 - 1.0);
        for (int j = 0; j < na; j++)
            prev[j] = (float)((double)(rnd(&seed) % 200) / 100.0 - 1.0);
        s->sent++;
        int rc = lfd_client_act(c, obs, prev, got, NULL, &err);
        if (rc == LFD_ETIMEOUT) {
            note_timeout(s, t);
            continue;
        }
        if (rc) {
            note_wrong(s, "act: %s", err.msg);
            continue;
        }
        reference(obs, prev, want);
        if (!matches(got, want, n))
            note_wrong(s, "%s", "act answer differs from the reference");
        s->answered++;
        if (atomic_load(&g_restarts) > 0 && atomic_load(&g_t_up) > 0)
            s->after_restart++;
    }
    lfd_client_free(&c);
    return NULL;
}

/* ---- chaos clients ---------------------------------------------------------------- */

typedef struct chaos {
    stats *s;
    th_raw r;
    uint64_t seq, seed;
    uint64_t acked; /* the last seq the server took into the session */
    int session, restarts_at_hello;
    uint8_t tx[1 << 12], rx[1 << 14];
} chaos;

static void chaos_reopen(chaos *x)
{
    th_raw_close(&x->r);
    th_raw_open(&x->r, g_ep, 0);
    x->session = 0;
}

/* sends n bytes and waits for the one reply; -1 on timeout (socket reopened) */
static int chaos_call(chaos *x, const void *d, size_t n)
{
    double t = lfd_client_now_s();
    x->s->sent++;
    int k = th_raw_call(&x->r, d, n, x->rx, sizeof x->rx, TIMEOUT_S);
    if (k <= 0) {
        note_timeout(x->s, t);
        chaos_reopen(x);
        return -1;
    }
    x->s->answered++;
    return k;
}

static void expect_code(chaos *x, int k, lfd_proto_error want, const char *what)
{
    if (k < 0)
        return;
    char msg[300];
    lfd_proto_error got = th_error_code(x->rx, (size_t)k, msg, sizeof msg);
    x->s->errors_checked++;
    if (got != want) {
        char w[400];
        snprintf(w, sizeof w, "%s: got '%s' (%s)", what, lfd_proto_error_name(got), msg);
        note_wrong(x->s, "%s", w);
    }
}

static int chaos_hello(chaos *x)
{
    const lfd_policy *p = g_ref;
    lfd_hello_req h = {.seq = ++x->seq, .policy = p->name, .obs_dim = p->obs_dim,
                       .act_dim = p->act_dim, .obs_names = th_obs_names(),
                       .act_names = th_act_names(), .client = "chaos"};
    lfd_buf b;
    lfd_buf_init_fixed(&b, x->tx, sizeof x->tx);
    lfd_proto_encode_hello_req(&b, &h, NULL);
    int restarts = atomic_load(&g_restarts);
    int k = chaos_call(x, b.data, b.len);
    if (k < 0)
        return -1;
    lfd_rep rep;
    lfd_err err;
    if (lfd_rep_decode(&rep, x->rx, (size_t)k, &err) || rep.type != LFD_MSG_HELLO) {
        note_wrong(x->s, "%s", "hello not answered with hello");
        return -1;
    }
    x->session = 1;
    x->acked = x->seq;
    x->restarts_at_hello = restarts;
    return 0;
}

/* a no_session answer is right only if the server restarted since our hello */
static int lost_session(chaos *x, int k)
{
    if (th_error_code(x->rx, (size_t)k, NULL, 0) == LFD_PE_NO_SESSION &&
        atomic_load(&g_restarts) > x->restarts_at_hello) {
        x->session = 0;
        return 1;
    }
    return 0;
}

static void chaos_valid_act(chaos *x)
{
    const lfd_policy *p = g_ref;
    int no = p->obs_dim, na = p->act_dim;
    float obs[64], prev[64], got[256], want[256];
    for (int i = 0; i < no; i++)
        obs[i] = (float)((double)(rnd(&x->seed) % 2000) / 1000.0 - 1.0);
    for (int j = 0; j < na; j++)
        prev[j] = (float)((double)(rnd(&x->seed) % 200) / 100.0 - 1.0);
    lfd_buf b;
    lfd_buf_init_fixed(&b, x->tx, sizeof x->tx);
    lfd_proto_encode_act_req(&b, ++x->seq, 0, obs, no, prev, NULL, na, NULL);
    int k = chaos_call(x, b.data, b.len);
    if (k < 0 || lost_session(x, k))
        return;
    lfd_rep rep;
    lfd_err err;
    if (lfd_rep_decode(&rep, x->rx, (size_t)k, &err) || rep.type != LFD_MSG_ACT ||
        rep.seq != x->seq ||
        lfd_nd_get_f32(&rep.actions, got, (size_t)(p->chunk * na), 0, &err)) {
        note_wrong(x->s, "%s", "valid act not answered with its actions");
        return;
    }
    x->acked = x->seq;
    reference(obs, prev, want);
    if (!matches(got, want, p->chunk * na))
        note_wrong(x->s, "%s", "chaos act answer differs from the reference");
}

static void *chaos_client(void *arg)
{
    int id = (int)(intptr_t)arg;
    chaos *x = calloc(1, sizeof *x);
    x->s = &g_stats[id];
    x->seed = 0xabcdef12345ull * (uint64_t)(id + 1);
    th_raw_open(&x->r, g_ep, 0);
    static uint8_t big[70000];
    memset(big, 0x91, sizeof big);
    const lfd_policy *p = g_ref;
    while (!atomic_load(&g_stop)) {
        if (!x->session && chaos_hello(x) < 0)
            continue;
        int op = (int)(rnd(&x->seed) % 9), k;
        lfd_buf b;
        switch (op) {
        case 0: { /* garbage */
            uint8_t g[64];
            size_t n = 1 + rnd(&x->seed) % sizeof g;
            for (size_t i = 0; i < n; i++)
                g[i] = (uint8_t)rnd(&x->seed);
            g[0] = 0xc1; /* never valid msgpack */
            expect_code(x, chaos_call(x, g, n), LFD_PE_BAD_MESSAGE, "garbage");
            break;
        }
        case 1: /* oversized */
            expect_code(x, chaos_call(x, big, sizeof big), LFD_PE_TOO_LARGE, "oversized");
            break;
        case 2: { /* truncated act */
            float obs[64] = {0};
            lfd_buf_init_fixed(&b, x->tx, sizeof x->tx);
            lfd_proto_encode_act_req(&b, ++x->seq, 0, obs, p->obs_dim, NULL, NULL, 0, NULL);
            size_t cut = 1 + rnd(&x->seed) % (b.len - 1);
            expect_code(x, chaos_call(x, b.data, cut), LFD_PE_BAD_MESSAGE, "truncated");
            break;
        }
        case 3: { /* out of order: a seq below the session's last */
            float obs[64] = {0};
            lfd_buf_init_fixed(&b, x->tx, sizeof x->tx);
            lfd_proto_encode_act_req(&b, x->acked - rnd(&x->seed) % 2, 0, obs, p->obs_dim,
                                     NULL, NULL, 0, NULL);
            k = chaos_call(x, b.data, b.len);
            if (k > 0 && !lost_session(x, k))
                expect_code(x, k, LFD_PE_OUT_OF_ORDER, "out of order");
            break;
        }
        case 4: /* multi-frame */
            zmq_send(x->r.sock, "x", 1, ZMQ_SNDMORE);
            expect_code(x, chaos_call(x, "y", 1), LFD_PE_BAD_ENVELOPE, "two frames");
            break;
        case 5: /* abrupt disconnect with a request in flight */
            if (rnd(&x->seed) % 64 == 0) {
                float obs[64] = {0};
                lfd_buf_init_fixed(&b, x->tx, sizeof x->tx);
                lfd_proto_encode_act_req(&b, ++x->seq, 0, obs, p->obs_dim, NULL, NULL, 0,
                                         NULL);
                zmq_send(x->r.sock, b.data, b.len, 0);
                chaos_reopen(x);
            }
            break;
        default: /* valid requests */
            chaos_valid_act(x);
            break;
        }
    }
    th_raw_close(&x->r);
    free(x);
    return NULL;
}

/* ---- the reconnect storm ------------------------------------------------------------ */

/* A controller that drops its connection every 100-400 ms (sometimes with
   a request in flight) and reconnects with the same session_token: the new
   connection takes its session over.  Every valid request is answered
   correctly; a hello is never refused (no busy, no out_of_order). */
static void *storm_client(void *arg)
{
    int id = (int)(intptr_t)arg;
    stats *s = &g_stats[id];
    const lfd_policy *p = g_ref;
    int no = p->obs_dim, na = p->act_dim;
    uint64_t seed = 0x5eed0000ull + (uint64_t)id, seq = 0;
    char token[40];
    snprintf(token, sizeof token, "storm-%02d-%08llx", id, (unsigned long long)rnd(&seed));
    uint8_t tx[4096], rx[16384];
    float obs[64], prev[64], got[256], want[256];
    while (!atomic_load(&g_stop)) {
        th_raw r;
        th_raw_open(&r, g_ep, 0);
        s->reconnects++;
        lfd_hello_req h = {.seq = ++seq, .policy = p->name, .obs_dim = no, .act_dim = na,
                           .obs_names = th_obs_names(), .act_names = th_act_names(),
                           .client = "storm", .session_token = token};
        lfd_buf b;
        lfd_buf_init_fixed(&b, tx, sizeof tx);
        lfd_proto_encode_hello_req(&b, &h, NULL);
        double t = lfd_client_now_s();
        s->sent++;
        int k = th_raw_call(&r, b.data, b.len, rx, sizeof rx, TIMEOUT_S);
        lfd_rep rep;
        lfd_err err;
        if (k <= 0) {
            note_timeout(s, t);
            th_raw_close(&r);
            continue;
        }
        s->answered++;
        if (lfd_rep_decode(&rep, rx, (size_t)k, &err) || rep.type != LFD_MSG_HELLO ||
            !rep.session) {
            char msg[300];
            lfd_proto_error pe = th_error_code(rx, (size_t)k, msg, sizeof msg);
            char w[400];
            snprintf(w, sizeof w, "storm hello answered '%s' (%s)", lfd_proto_error_name(pe), msg);
            note_wrong(s, "%s", w);
            th_raw_close(&r);
            continue;
        }
        double until = lfd_client_now_s() + 0.1 + (double)(rnd(&seed) % 300) * 1e-3;
        while (!atomic_load(&g_stop) && lfd_client_now_s() < until) {
            for (int i = 0; i < no; i++)
                obs[i] = (float)((double)(rnd(&seed) % 2000) / 1000.0 - 1.0);
            for (int j = 0; j < na; j++)
                prev[j] = (float)((double)(rnd(&seed) % 200) / 100.0 - 1.0);
            lfd_buf_init_fixed(&b, tx, sizeof tx);
            lfd_proto_encode_act_req(&b, ++seq, 0, obs, no, prev, NULL, na, NULL);
            t = lfd_client_now_s();
            s->sent++;
            k = th_raw_call(&r, b.data, b.len, rx, sizeof rx, TIMEOUT_S);
            if (k <= 0) {
                note_timeout(s, t);
                break;
            }
            s->answered++;
            if (lfd_rep_decode(&rep, rx, (size_t)k, &err) || rep.type != LFD_MSG_ACT ||
                rep.seq != seq ||
                lfd_nd_get_f32(&rep.actions, got, (size_t)(p->chunk * na), 0, &err)) {
                /* the server restarted since this connection's hello */
                if (th_error_code(rx, (size_t)k, NULL, 0) == LFD_PE_NO_SESSION &&
                    atomic_load(&g_restarts) > 0)
                    break;
                note_wrong(s, "%s", "storm act not answered with its actions");
                break;
            }
            reference(obs, prev, want);
            if (!matches(got, want, p->chunk * na))
                note_wrong(s, "%s", "storm act answer differs from the reference");
            if (atomic_load(&g_restarts) > 0 && atomic_load(&g_t_up) > 0)
                s->after_restart++;
            usleep(2000);
        }
        /* now and then drop the connection with a request in flight */
        if (rnd(&seed) % 4 == 0) {
            lfd_buf_init_fixed(&b, tx, sizeof tx);
            lfd_proto_encode_act_req(&b, ++seq, 0, obs, no, prev, NULL, na, NULL);
            zmq_send(r.sock, b.data, b.len, 0);
        }
        th_raw_close(&r);
    }
    return NULL;
}

static pid_t start_server(const char *file, const char *log)
{
    const char *args[] = {"serve", file, "--bind", g_ep, "--max-sessions", "32", "--idle-s",
                          "2", NULL};
    pid_t pid = th_spawn_lfd(args, log);
    /* ready when a ping is answered */
    th_raw r;
    th_raw_open(&r, g_ep, 0);
    uint8_t tx[256], rx[4096];
    for (int i = 0; i < 200; i++) {
        lfd_buf b;
        lfd_buf_init_fixed(&b, tx, sizeof tx);
        lfd_proto_encode_simple_req(&b, LFD_MSG_PING, 1, 0, NULL, 0, NULL);
        if (th_raw_call(&r, b.data, b.len, rx, sizeof rx, 0.1) > 0)
            break;
        th_raw_close(&r);
        th_raw_open(&r, g_ep, 0);
    }
    th_raw_close(&r);
    return pid;
}

TEST(serve_soak_with_faults_and_restart)
{
    /* under Valgrind: longer timeouts, and a longer soak so that every good
       client, after a timeout met in the outage, still has time to be
       answered by the restarted server */
    int vg = lfd_test_under_valgrind();
    double secs = getenv("LFD_SOAK_S") ? atof(getenv("LFD_SOAK_S")) : vg ? 16.0 : 6.0;
    g_timeout_s = vg ? 4.0 : 1.5;
#ifdef __SANITIZE_ADDRESS__
    /* a small quarantine, so that freed memory does not look like growth */
    char asan[1024];
    snprintf(asan, sizeof asan, "%s%squarantine_size_mb=1:thread_local_quarantine_size_kb=64",
             getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
             getenv("ASAN_OPTIONS") ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
#endif
    const char *dir = lfd_test_tmpdir();
    lfd_policy *p = th_mlp_policy("walk", 12, 6, 4, 32, 21, "soak.lfdp");
    g_ref = p;
    char file[1100], log[1100];
    snprintf(file, sizeof file, "%s/soak.lfdp", dir);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    snprintf(g_ep, sizeof g_ep, "ipc://%s/soak.ipc", dir);
    atomic_store(&g_stop, 0);
    atomic_store(&g_restarts, 0);
    atomic_store(&g_t_kill, 0.0);
    atomic_store(&g_t_up, 0.0);
    memset(g_stats, 0, sizeof g_stats);
    pid_t pid = start_server(file, log);
    enum { NALL = NGOOD + NCHAOS + NSTORM };
    pthread_t th[NALL];
    for (int i = 0; i < NGOOD; i++)
        pthread_create(&th[i], NULL, good_client, (void *)(intptr_t)i);
    for (int i = 0; i < NCHAOS; i++)
        pthread_create(&th[NGOOD + i], NULL, chaos_client, (void *)(intptr_t)(NGOOD + i));
    for (int i = 0; i < NSTORM; i++)
        pthread_create(&th[NGOOD + NCHAOS + i], NULL, storm_client,
                       (void *)(intptr_t)(NGOOD + NCHAOS + i));
    /* first life: memory after warm-up and just before the kill */
    double t0 = lfd_client_now_s(), half = secs / 2;
    long rss[4] = {0};
    usleep((useconds_t)(half * 0.4 * 1e6));
    rss[0] = th_rss_kb(pid);
    usleep((useconds_t)(half * 0.6 * 1e6));
    rss[1] = th_rss_kb(pid);
    int alive1 = waitpid(pid, NULL, WNOHANG) == 0;
    atomic_store(&g_t_kill, lfd_client_now_s());
    th_kill_wait(pid, SIGKILL);
    usleep(300000);
    atomic_fetch_add(&g_restarts, 1);
    pid = start_server(file, log);
    atomic_store(&g_t_up, lfd_client_now_s());
    /* second life */
    double left = secs - (lfd_client_now_s() - t0);
    if (left < 1)
        left = 1;
    usleep((useconds_t)(left * 0.4 * 1e6));
    rss[2] = th_rss_kb(pid);
    usleep((useconds_t)(left * 0.6 * 1e6));
    rss[3] = th_rss_kb(pid);
    atomic_store(&g_stop, 1);
    for (int i = 0; i < NALL; i++)
        pthread_join(th[i], NULL);
    int alive2 = waitpid(pid, NULL, WNOHANG) == 0;
    int code = th_kill_wait(pid, SIGTERM);
    stats tot = {0};
    long storm_reconnects = 0;
    for (int i = 0; i < NALL; i++) {
        stats *s = &g_stats[i];
        storm_reconnects += s->reconnects;
        tot.sent += s->sent;
        tot.answered += s->answered;
        tot.wrong += s->wrong;
        tot.timeouts += s->timeouts;
        tot.unexcused += s->unexcused;
        tot.errors_checked += s->errors_checked;
        if (s->wrong)
            fprintf(stderr, "client %d: %ld wrong, first: %s\n", i, s->wrong, s->first_wrong);
        if ((i < NGOOD || i >= NGOOD + NCHAOS) && s->after_restart == 0)
            lfd_test_fail_at(__FILE__, __LINE__, "good client %d never answered after the restart",
                             i);
    }
    fprintf(stderr, "soak %.0f s: %ld requests, %ld answered (%ld errors checked), %ld wrong, "
                    "%ld timeouts (%ld outside the outage), %ld storm reconnects; server RSS "
                    "%ld -> %ld kB, then %ld -> %ld kB after the restart\n",
            secs, tot.sent, tot.answered, tot.errors_checked, tot.wrong, tot.timeouts,
            tot.unexcused, storm_reconnects, rss[0], rss[1], rss[2], rss[3]);
    CHECK(storm_reconnects >= NSTORM * 4);
    CHECK_EQ_INT(tot.wrong, 0);
    CHECK_EQ_INT(tot.unexcused, 0);
    CHECK(tot.answered > 100);
    CHECK(tot.errors_checked > 20);
    CHECK(alive1 && alive2);
    CHECK_EQ_INT(code, 0);
    /* flat memory: after warm-up (40 % of a life) growth stays under 4 MB (libzmq
       and allocator noise; 8 MB under ASan, whose allocator caches ramp up longer).
       `make soak` shows the real thing: tens of kB over 30 s lives */
#ifdef __SANITIZE_ADDRESS__
    long slack = 8192;
#else
    long slack = 4096;
#endif
    CHECK(rss[0] > 0 && rss[1] - rss[0] < slack);
    CHECK(rss[2] > 0 && rss[3] - rss[2] < slack);
    if (code != 0 || tot.wrong) {
        uint8_t *d;
        size_t n;
        if (lfd_file_read(log, 1 << 20, &d, &n, NULL) == LFD_OK) {
            fprintf(stderr, "server log (last 2 kB):\n%s\n", (char *)d + (n > 2048 ? n - 2048 : 0));
            free(d);
        }
    }
    lfd_policy_free(&p);
    g_ref = NULL;
}
