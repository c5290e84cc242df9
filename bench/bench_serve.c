/*  Serving benchmark (issue 8), one run on loopback TCP, runs interleaved.

    The default policy: an MLP 70 -> 256 -> 256 -> 190 (ReLU), i.e. 70
    observations -> a chunk of 10 x 19 joint targets, with normalisation
    (about 132 k multiply-adds, 530 kB of float32 weights).
    Measured, all in this one process run:
      (a) act round trip p50/p99 from the C client (lfd_client_act), and from
          a bare DEALER sending the same request bytes;
      (b) the floor: a bare ZeroMQ ROUTER echo process answering the same
          request with a reply of the same size as lfd's (also from a DEALER
          waiting with the client's receive timeout), and a second echo that
          runs the policy's MLP once per request before answering: the
          transport plus the arithmetic, the closest any server running
          this policy can come to the floor;
      (c) the Python baseline server (bench/py_baseline_server.py: pyzmq +
          msgpack + numpy, the same MLP from the same file);
      (a)-(c) are measured in rounds of 100 requests per target, the order of
          the targets rotating every round (each takes each place equally
          often);
      (d) lfd's server-side time per act split into decode, normalise, infer,
          filter, encode (from each reply's timing), and the whole handling
          per act inside the server loop (receive to send) minus the MLP;
      (e) throughput with 8 concurrent closed-loop clients, lfd, Python and
          the echo (the ceiling: a server doing no work), alternating 2 s
          windows, and each server's CPU time per act; the Python baseline
          runs with one BLAS thread (as lfd serve does) and, reported beside
          it, with numpy's default BLAS threads;
      (f) the client library's per-tick cost (put_obs + get_action) in a
          1 kHz loop with the background thread refilling the chunk buffer.
    Every server runs as its own process (`lfd serve`, the echoes as forked
    children, the Python script), so that each one's CPU time per act
    can be read from /proc as well.  Each part prints one BENCH line with
    the target beside the measured figure. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench/lfd_bench.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "runtime/lfd_client.h"
#include "runtime/lfd_server.h"

#define NOBS 70
#define NACT 19
#define CHUNK 10
#define HIDDEN 256

static char g_names[NOBS + NACT][16];
static const char *g_obs[NOBS], *g_act[NACT];
static size_t g_echo_reply_len;

static lfd_policy *make_policy(const char *path)
{
    lfd_policy *p;
    lfd_err err;
    if (lfd_policy_new(&p, LFD_POLICY_MLP, NOBS, NACT, CHUNK, &err))
        return NULL;
    snprintf(p->name, sizeof p->name, "walk");
    p->control_period_s = 0.02;
    for (int i = 0; i < NOBS; i++) {
        snprintf(g_names[i], sizeof g_names[i], "o%d", i);
        g_obs[i] = g_names[i];
        snprintf(p->obs_names[i], sizeof p->obs_names[i], "o%d", i);
        snprintf(p->obs_units[i], sizeof p->obs_units[i], "u");
        p->obs_mean[i] = 0.01f * (float)i;
        p->obs_std[i] = 1.0f + 0.01f * (float)i;
    }
    for (int j = 0; j < NACT; j++) {
        snprintf(g_names[NOBS + j], sizeof g_names[0], "a%d", j);
        g_act[j] = g_names[NOBS + j];
        snprintf(p->act_names[j], sizeof p->act_names[j], "a%d", j);
        snprintf(p->act_units[j], sizeof p->act_units[j], "rad");
        p->act_lo[j] = -2;
        p->act_hi[j] = 2;
        p->vel_limit[j] = 10;
        p->acc_limit[j] = 200;
        p->act_std[j] = 0.3f;
    }
    int dims[4] = {NOBS, HIDDEN, HIDDEN, NACT * CHUNK};
    lfd_activation acts[3] = {LFD_ACT_RELU, LFD_ACT_RELU, LFD_ACT_LINEAR};
    if (lfd_mlp_new(&p->mlp, 3, dims, acts, &err))
        return NULL;
    lfd_mlp_init_random(p->mlp, 7);
    if (lfd_policy_save(p, path, &err)) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return NULL;
    }
    return p;
}

/* ---- the echo floor: a child process ------------------------------------------------ */

/* Forks a process that binds a ROUTER and answers every request with
   reply_len bytes; writes its endpoint to ep.  With mlp_policy, it also runs
   that policy's network once per request (one BLAS thread, as lfd serve)
   before answering: the transport plus the arithmetic, nothing else.  Call
   before any ZeroMQ context exists in this process. */
static pid_t start_echo(size_t reply_len, const char *mlp_policy, char *ep, size_t n)
{
    int fd[2];
    if (pipe(fd))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        lfd_policy *mp = NULL;
        float *ws = NULL, *x = NULL, *y = NULL;
        if (mlp_policy) {
            lfd_err e;
            openblas_set_num_threads(1);
            if (lfd_policy_load(&mp, mlp_policy, &e) || !mp->mlp)
                _exit(1);
            ws = calloc(lfd_mlp_ws_floats(mp->mlp, 1), sizeof(float));
            x = calloc((size_t)mp->obs_dim, sizeof(float));
            y = calloc((size_t)mp->chunk * (size_t)mp->act_dim, sizeof(float));
            if (!ws || !x || !y)
                _exit(1);
        }
        void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_ROUTER);
        zmq_bind(sock, "tcp://127.0.0.1:*");
        char e[256];
        size_t el = sizeof e;
        zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, e, &el);
        if (write(fd[1], e, strlen(e) + 1) < 0)
            _exit(1);
        close(fd[1]);
        static uint8_t reply[1 << 16];
        memset(reply, 0x5a, sizeof reply);
        for (;;) {
            zmq_msg_t id, body;
            zmq_msg_init(&id);
            zmq_msg_init(&body);
            if (zmq_msg_recv(&id, sock, 0) < 0 || zmq_msg_recv(&body, sock, 0) < 0)
                _exit(0);
            if (mp) {
                x[0] = (float)zmq_msg_size(&body) * 1e-3f;
                lfd_mlp_forward(mp->mlp, ws, x, y);
            }
            zmq_send(sock, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
            zmq_send(sock, reply, reply_len, 0);
            zmq_msg_close(&id);
            zmq_msg_close(&body);
        }
    }
    close(fd[1]);
    ssize_t k = read(fd[0], ep, n - 1);
    close(fd[0]);
    if (k <= 0)
        return -1;
    ep[k] = '\0';
    return pid;
}

/* ---- the lfd server: `lfd serve` as a child process ---------------------------------- */

static pid_t start_lfd(const char *policy, char *ep, size_t n)
{
    int fd[2];
    if (pipe(fd))
        return -1;
    const char *bin = getenv("LFD_BIN") ? getenv("LFD_BIN") : "build/lfd";
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execl(bin, bin, "serve", policy, "--bind", "tcp://127.0.0.1:*", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *fp = fdopen(fd[0], "r");
    char line[512];
    int ok = 0;
    while (fp && fgets(line, sizeof line, fp))
        if (!strncmp(line, "listening on ", 13)) {
            line[13 + strcspn(line + 13, " \n")] = '\0';
            if (strlen(line + 13) < n)
                memcpy(ep, line + 13, strlen(line + 13) + 1);
            ok = 1;
            break;
        }
    /* its later output (the summary at exit) goes to a closed pipe */
    if (fp)
        fclose(fp);
    if (!ok) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

/* CPU seconds (user + system) a process has used so far. */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* after the command: state, then fields 4..13, then utime (14) and stime (15) */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

/* ---- the Python baseline process ---------------------------------------------------- */

static pid_t start_python(const char *policy, int one_blas_thread, char *endpoint, size_t n)
{
    int fd[2];
    if (pipe(fd))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        /* the same single-threaded BLAS as lfd serve uses (numpy's OpenBLAS
           threads would otherwise spin between the small products) */
        if (one_blas_thread) {
            setenv("OPENBLAS_NUM_THREADS", "1", 1);
            setenv("OMP_NUM_THREADS", "1", 1);
        }
        execl("/usr/bin/python3", "python3", "bench/py_baseline_server.py", policy, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *fp = fdopen(fd[0], "r");
    if (!fp || !fgets(endpoint, (int)n, fp)) {
        if (fp)
            fclose(fp);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    endpoint[strcspn(endpoint, "\n")] = '\0';
    fclose(fp);
    return pid;
}

/* ---- raw request/reply ------------------------------------------------------------ */

static void *raw_socket(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(s, ep);
    return s;
}

/* one round trip; returns seconds or -1 */
static double raw_rt(void *s, const void *req, size_t len, uint8_t *buf, size_t bufsz)
{
    double t0 = lfd_client_now_s();
    if (zmq_send(s, req, len, 0) < 0)
        return -1;
    int n = zmq_recv(s, buf, bufsz, 0);
    double t1 = lfd_client_now_s();
    return n < 0 ? -1 : t1 - t0;
}

/* an act request with a fresh seq each time (lfd sessions need seq to grow) */
static size_t act_request(uint8_t *mem, size_t cap, uint64_t seq, const float *obs)
{
    lfd_buf b;
    lfd_buf_init_fixed(&b, mem, cap);
    lfd_proto_encode_act_req(&b, seq, lfd_proto_wall_s(), obs, NOBS, NULL, NULL, NACT, NULL);
    return b.len;
}

static int hello_raw(void *s, uint64_t seq)
{
    uint8_t mem[8192], rx[1 << 16];
    lfd_buf b;
    lfd_buf_init_fixed(&b, mem, sizeof mem);
    lfd_hello_req h = {.seq = seq, .policy = "walk", .obs_dim = NOBS, .act_dim = NACT,
                       .obs_names = g_obs, .act_names = g_act};
    lfd_proto_encode_hello_req(&b, &h, NULL);
    return raw_rt(s, b.data, b.len, rx, sizeof rx) > 0 ? 0 : -1;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, lfd_util_cmp_double);
    return n ? v[n / 2] : 0;
}

/* ---- throughput ------------------------------------------------------------------ */

typedef struct tp_arg {
    void *ctx;
    const char *ep;
    int lfd; /* say hello first */
    double until;
    long done;
} tp_arg;

static void *tp_client(void *a_)
{
    tp_arg *a = a_;
    void *s = raw_socket(a->ctx, a->ep);
    uint64_t seq = 1;
    if (a->lfd)
        hello_raw(s, seq++);
    float obs[NOBS];
    uint8_t req[4096], rx[1 << 16];
    for (int i = 0; i < NOBS; i++)
        obs[i] = (float)sin(i);
    a->done = 0;
    while (lfd_client_now_s() < a->until) {
        obs[0] = (float)seq * 1e-4f;
        size_t n = act_request(req, sizeof req, seq++, obs);
        if (raw_rt(s, req, n, rx, sizeof rx) < 0)
            break;
        a->done++;
    }
    zmq_close(s);
    return NULL;
}

/* 8 closed-loop clients (one ZeroMQ context, one I/O thread, as in one
   controller process) for secs; returns acts/s, adds the server process's
   CPU seconds to *cpu_s and the acts to *acts. */
static double throughput(void *ctx, const char *ep, int lfd, double secs, pid_t server,
                         double *cpu_s, long *acts)
{
    pthread_t th[8];
    tp_arg a[8];
    double c0 = proc_cpu_s(server);
    double until = lfd_client_now_s() + secs;
    for (int i = 0; i < 8; i++) {
        a[i] = (tp_arg){ctx, ep, lfd, until, 0};
        pthread_create(&th[i], NULL, tp_client, &a[i]);
    }
    long total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        total += a[i].done;
    }
    *cpu_s += proc_cpu_s(server) - c0;
    *acts += total;
    return (double)total / secs;
}

/* A number from the server's stats reply: server.<group>.<key> (group may be NULL). */
static double stat_num(lfd_client *c, const char *group, const char *key)
{
    static char js[1 << 16];
    lfd_err err;
    if (lfd_client_stats(c, js, sizeof js, &err))
        return 0;
    lfd_json_doc *doc;
    if (lfd_json_parse(js, strlen(js), "stats", &doc, &err))
        return 0;
    const lfd_json *v = lfd_json_get(lfd_json_root(doc), "server");
    if (v && group)
        v = lfd_json_get(v, group);
    v = v ? lfd_json_get(v, key) : NULL;
    double x = v && v->type == LFD_JSON_NUM ? v->num : 0;
    lfd_json_free(&doc);
    return x;
}

static void sleep_until(double t)
{
    struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

BENCH(serve)
{
    /* beside the lfd binary make bench runs (LFD_BIN: $(BUILD)/lfd), not a
       build/ of the working directory (with another BUILD, or run from
       elsewhere, the bench printed no line and exited 0: review) */
    char path[1100];
    const char *bin = getenv("LFD_BIN");
    const char *slash = bin ? strrchr(bin, '/') : NULL;
    if (slash)
        snprintf(path, sizeof path, "%.*s/bench-serve-policy.lfdp", (int)(slash - bin), bin);
    else
        snprintf(path, sizeof path, "build/bench-serve-policy.lfdp");
    lfd_policy *p = make_policy(path);
    if (!p)
        return;
    lfd_err err = {0};
    /* the servers, each its own process; the echo first (no context here yet).
       The echo answers with as many bytes as lfd's act reply, whose layout is
       fixed: its size comes from the encoder (and is checked below). */
    char echo_ep[256] = "", lfd_ep[256] = "", py_ep[256] = "";
    {
        static uint8_t mem[1 << 16];
        static float acts0[CHUNK * NACT];
        uint8_t fl[NACT] = {0};
        lfd_act_out o = {.seq = 2, .t_s = 1, .t_req_s = 1, .hash = p->hash, .actions = acts0,
                         .chunk = CHUNK, .act_dim = NACT, .reason = "", .flags = fl};
        lfd_buf b;
        lfd_buf_init_fixed(&b, mem, sizeof mem);
        lfd_proto_encode_act_rep(&b, &o, lfd_now_ns(), NULL, NULL);
        g_echo_reply_len = b.len;
    }
    pid_t echo = start_echo(g_echo_reply_len, NULL, echo_ep, sizeof echo_ep);
    char echom_ep[256] = "";
    pid_t echom = start_echo(g_echo_reply_len, path, echom_ep, sizeof echom_ep);
    pid_t lfd = start_lfd(path, lfd_ep, sizeof lfd_ep);
    pid_t py = start_python(path, 1, py_ep, sizeof py_ep);
    char pyd_ep[256] = "";
    pid_t pyd = start_python(path, 0, pyd_ep, sizeof pyd_ep);
    if (echo < 0 || echom < 0 || lfd < 0) {
        fprintf(stderr, "bench serve: the echo or `lfd serve` did not start\n");
        return;
    }
    if (py < 0)
        fprintf(stderr, "bench serve: the Python baseline did not start (/usr/bin/python3 "
                        "with zmq, msgpack, numpy?)\n");

    /* the C client, and raw sockets for the same bytes to each target */
    lfd_client_config cc;
    lfd_client_config_init(&cc);
    cc.endpoint = lfd_ep;
    cc.policy = "walk";
    cc.obs_dim = NOBS;
    cc.obs_names = g_obs;
    cc.act_dim = NACT;
    cc.act_names = g_act;
    cc.timeout_s = 5;
    lfd_client *c;
    if (lfd_client_new(&c, &cc, &err)) {
        fprintf(stderr, "bench serve: %s\n", err.msg);
        return;
    }
    void *ctx = zmq_ctx_new();
    void *s_lfd = raw_socket(ctx, lfd_ep), *s_echo = raw_socket(ctx, echo_ep);
    void *s_echom = raw_socket(ctx, echom_ep);
    /* the echo again from a DEALER that waits with a receive timeout, as
       the C client does on every call (5 s here) */
    void *s_echot = raw_socket(ctx, echo_ep);
    int tmo_ms = 5000;
    zmq_setsockopt(s_echot, ZMQ_RCVTIMEO, &tmo_ms, sizeof tmo_ms);
    void *s_py = py > 0 ? raw_socket(ctx, py_ep) : NULL;
    hello_raw(s_lfd, 1);
    float obs[NOBS], chunk[CHUNK * NACT];
    for (int i = 0; i < NOBS; i++)
        obs[i] = (float)sin(0.3 * i);
    static uint8_t req[4096], rx[1 << 16];
    size_t reqlen = act_request(req, sizeof req, 2, obs);
    zmq_send(s_lfd, req, reqlen, 0);
    int replen = zmq_recv(s_lfd, rx, sizeof rx, 0);
    if (replen != (int)g_echo_reply_len)
        fprintf(stderr, "bench serve: lfd replied %d bytes, the echo sends %zu\n", replen,
                g_echo_reply_len);

    /* (a)-(c): interleaved rounds */
    enum { ROUNDS = 36, PER = 100 };
    static double rt_client[ROUNDS * PER], rt_lfdraw[ROUNDS * PER], rt_echo[ROUNDS * PER],
        rt_echom[ROUNDS * PER], rt_echot[ROUNDS * PER], rt_py[ROUNDS * PER];
    static double t_dec[ROUNDS * PER], t_norm[ROUNDS * PER], t_inf[ROUNDS * PER],
        t_fil[ROUNDS * PER], t_enc[ROUNDS * PER], t_over[ROUNDS * PER], t_q[ROUNDS * PER];
    int nc = 0, nl = 0, ne = 0, nm = 0, nt = 0, np = 0;
    uint64_t seq = 10;
    /* warm-up */
    for (int i = 0; i < 200; i++) {
        lfd_client_act(c, obs, NULL, chunk, NULL, &err);
        size_t n = act_request(req, sizeof req, seq++, obs);
        raw_rt(s_lfd, req, n, rx, sizeof rx);
        raw_rt(s_echo, req, n, rx, sizeof rx);
        raw_rt(s_echom, req, n, rx, sizeof rx);
        raw_rt(s_echot, req, n, rx, sizeof rx);
        if (s_py)
            raw_rt(s_py, req, n, rx, sizeof rx);
    }
    /* the raw targets, and where each one's samples go */
    void *raw_s[5] = {s_lfd, s_echo, s_echom, s_echot, s_py};
    double *raw_rt_v[5] = {rt_lfdraw, rt_echo, rt_echom, rt_echot, rt_py};
    int *raw_n[5] = {&nl, &ne, &nm, &nt, &np};
    /* the order of the six targets rotates every round, so that each one
       takes each place in a round equally often */
    for (int r = 0; r < ROUNDS; r++) {
        for (int slot = 0; slot < 6; slot++) {
            int tgt = (slot + r) % 6;
            if (tgt == 5) {
                for (int i = 0; i < PER; i++) {
                    lfd_act_info ai;
                    obs[1] = (float)i * 1e-3f;
                    double t0 = lfd_client_now_s();
                    if (lfd_client_act(c, obs, NULL, chunk, &ai, &err) != LFD_OK)
                        continue;
                    rt_client[nc] = lfd_client_now_s() - t0;
                    t_dec[nc] = ai.timing.decode_us;
                    t_norm[nc] = ai.timing.normalise_us;
                    t_inf[nc] = ai.timing.infer_us;
                    t_fil[nc] = ai.timing.filter_us;
                    t_enc[nc] = ai.timing.encode_us;
                    t_q[nc] = ai.timing.queue_us;
                    t_over[nc] = ai.timing.decode_us + ai.timing.normalise_us +
                                 ai.timing.filter_us + ai.timing.encode_us;
                    nc++;
                }
                continue;
            }
            for (int i = 0; raw_s[tgt] && i < PER; i++) {
                size_t n = act_request(req, sizeof req, seq++, obs);
                double d = raw_rt(raw_s[tgt], req, n, rx, sizeof rx);
                if (d > 0)
                    raw_rt_v[tgt][(*raw_n[tgt])++] = d;
            }
        }
    }
    double c50 = lfd_bench_percentile(rt_client, nc, 50) * 1e6;
    double c99 = lfd_bench_percentile(rt_client, nc, 99) * 1e6;
    double l50 = lfd_bench_percentile(rt_lfdraw, nl, 50) * 1e6;
    double l99 = lfd_bench_percentile(rt_lfdraw, nl, 99) * 1e6;
    double e50 = lfd_bench_percentile(rt_echo, ne, 50) * 1e6;
    double e99 = lfd_bench_percentile(rt_echo, ne, 99) * 1e6;
    double m50 = lfd_bench_percentile(rt_echom, nm, 50) * 1e6;
    double m99 = lfd_bench_percentile(rt_echom, nm, 99) * 1e6;
    double t50 = lfd_bench_percentile(rt_echot, nt, 50) * 1e6;
    double p50 = np ? lfd_bench_percentile(rt_py, np, 50) * 1e6 : 0;
    double p99 = np ? lfd_bench_percentile(rt_py, np, 99) * 1e6 : 0;
    lfd_bench_report rep;
    lfd_bench_begin(&rep, "serve_act_roundtrip");
    lfd_bench_str(&rep, "policy", "mlp 70-256-256-190 relu, chunk 10 x 19, normalised");
    lfd_bench_num(&rep, "request_bytes", (double)reqlen);
    lfd_bench_num(&rep, "reply_bytes", (double)g_echo_reply_len);
    lfd_bench_num(&rep, "c_client_p50_us", c50);
    lfd_bench_num(&rep, "c_client_p99_us", c99);
    lfd_bench_num(&rep, "raw_dealer_to_lfd_p50_us", l50);
    lfd_bench_num(&rep, "raw_dealer_to_lfd_p99_us", l99);
    lfd_bench_num(&rep, "baseline_zmq_echo_p50_us", e50);
    lfd_bench_num(&rep, "baseline_zmq_echo_p99_us", e99);
    lfd_bench_num(&rep, "echo_with_rcvtimeo_p50_us", t50);
    lfd_bench_num(&rep, "echo_plus_mlp_p50_us", m50);
    lfd_bench_num(&rep, "echo_plus_mlp_p99_us", m99);
    lfd_bench_num(&rep, "baseline_python_p50_us", p50);
    lfd_bench_num(&rep, "baseline_python_p99_us", p99);
    lfd_bench_num(&rep, "ratio_p50_vs_echo", c50 / e50);
    lfd_bench_num(&rep, "target_ratio_p50_vs_echo", 1.2);
    /* what the network's arithmetic alone costs against the floor: no
       server that runs this MLP can come closer to the echo than this */
    lfd_bench_num(&rep, "ratio_p50_echo_plus_mlp_vs_echo", m50 / e50);
    lfd_bench_num(&rep, "ratio_p50_vs_echo_plus_mlp", c50 / m50);
    /* the client's per-call timeout, on its own */
    lfd_bench_num(&rep, "ratio_p50_echo_with_rcvtimeo_vs_echo", t50 / e50);
    lfd_bench_num(&rep, "ratio_p50_python_vs_lfd", np ? p50 / c50 : 0);
    lfd_bench_end(&rep);

    /* (d) server-side split, and the whole per-act handling minus the MLP */
    double md = median(t_dec, nc), mn = median(t_norm, nc), mi = median(t_inf, nc),
           mf = median(t_fil, nc), me = median(t_enc, nc), mo = median(t_over, nc),
           mq = median(t_q, nc);
    double handle = stat_num(c, "act_us", "handle_p50");
    double over = stat_num(c, "act_us", "overhead_beyond_infer_p50");
    lfd_bench_begin(&rep, "serve_server_split");
    lfd_bench_num(&rep, "decode_us_p50", md);
    lfd_bench_num(&rep, "normalise_us_p50", mn);
    lfd_bench_num(&rep, "infer_us_p50", mi);
    lfd_bench_num(&rep, "filter_us_p50", mf);
    lfd_bench_num(&rep, "encode_us_p50", me);
    lfd_bench_num(&rep, "queue_us_p50", mq);
    lfd_bench_num(&rep, "overhead_beyond_mlp_us_p50", mo);
    lfd_bench_num(&rep, "server_loop_per_act_us_p50", handle);
    lfd_bench_num(&rep, "server_loop_beyond_mlp_us_p50", over);
    lfd_bench_num(&rep, "target_overhead_us", 5);
    lfd_bench_end(&rep);

    /* (e) throughput with 8 clients, alternating windows */
    double tl = 0, tpy = 0, tpd = 0, te = 0, cpu_l = 0, cpu_p = 0, cpu_d = 0, cpu_e = 0;
    long acts_l = 0, acts_p = 0, acts_d = 0, acts_e = 0;
    double a0 = stat_num(c, NULL, "acts"), bt0 = stat_num(c, NULL, "batches");
    for (int w = 0; w < 2; w++) {
        tl += throughput(ctx, lfd_ep, 1, 2.0, lfd, &cpu_l, &acts_l);
        te += throughput(ctx, echo_ep, 0, 2.0, echo, &cpu_e, &acts_e);
        if (py > 0)
            tpy += throughput(ctx, py_ep, 0, 2.0, py, &cpu_p, &acts_p);
        if (pyd > 0)
            tpd += throughput(ctx, pyd_ep, 0, 2.0, pyd, &cpu_d, &acts_d);
    }
    double da = stat_num(c, NULL, "acts") - a0, db = stat_num(c, NULL, "batches") - bt0;
    double batch = db > 0 ? da / db : 0;
    lfd_bench_begin(&rep, "serve_throughput_8_clients");
    lfd_bench_num(&rep, "lfd_acts_per_s", tl / 2);
    lfd_bench_num(&rep, "baseline_python_acts_per_s", tpy / 2);
    lfd_bench_num(&rep, "ratio_lfd_vs_python", tpy > 0 ? tl / tpy : 0);
    lfd_bench_num(&rep, "target_ratio", 3);
    /* the ceiling: the same clients against the echo, a server that does
       no work; no server can beat it over this transport on this machine */
    lfd_bench_num(&rep, "ceiling_zmq_echo_acts_per_s", te / 2);
    lfd_bench_num(&rep, "ceiling_ratio_echo_vs_python", tpy > 0 ? te / tpy : 0);
    lfd_bench_num(&rep, "lfd_share_of_ceiling", te > 0 ? tl / te : 0);
    lfd_bench_num(&rep, "ceiling_zmq_echo_cpu_us_per_act",
                  acts_e ? cpu_e / (double)acts_e * 1e6 : 0);
    double cl = acts_l ? cpu_l / (double)acts_l * 1e6 : 0, cp = acts_p ? cpu_p / (double)acts_p * 1e6 : 0;
    lfd_bench_num(&rep, "lfd_server_cpu_us_per_act", cl);
    lfd_bench_num(&rep, "baseline_python_cpu_us_per_act", cp);
    lfd_bench_num(&rep, "ratio_cpu_per_act_python_vs_lfd", cl > 0 ? cp / cl : 0);
    lfd_bench_num(&rep, "baseline_python_default_blas_threads_acts_per_s", tpd / 2);
    lfd_bench_num(&rep, "baseline_python_default_blas_threads_cpu_us_per_act",
                  acts_d ? cpu_d / (double)acts_d * 1e6 : 0);
    lfd_bench_num(&rep, "ratio_lfd_vs_python_default_blas_threads", tpd > 0 ? tl / tpd : 0);
    lfd_bench_num(&rep, "lfd_mean_batch", batch);
    lfd_bench_str(&rep, "note", "2 cores shared by the 8 clients, their I/O thread and the server");
    lfd_bench_end(&rep);

    /* (f) the client library's per-tick cost in a 1 kHz loop */
    float cur[NACT] = {0}, a[NACT];
    lfd_client_counters cn0;
    lfd_client_get_counters(c, &cn0);
    if (lfd_client_start(c, cur, &err) == LFD_OK) {
        enum { TICKS = 3000 };
        static double tick_us[TICKS];
        int states[5] = {0};
        double t0 = lfd_client_now_s(), worst = 0;
        for (int k = 0; k < TICKS; k++) {
            sleep_until(t0 + k * 1e-3);
            double now = lfd_client_now_s();
            obs[2] = (float)k * 1e-3f;
            double c0 = lfd_client_now_s();
            lfd_client_put_obs(c, obs, now);
            int s = lfd_client_get_action(c, now, a, NULL);
            double us = (lfd_client_now_s() - c0) * 1e6;
            tick_us[k] = us;
            worst = us > worst ? us : worst;
            states[s]++;
        }
        lfd_client_stop(c);
        lfd_client_counters cn;
        lfd_client_get_counters(c, &cn);
        lfd_bench_begin(&rep, "serve_client_tick_1khz");
        lfd_bench_num(&rep, "ticks", TICKS);
        lfd_bench_num(&rep, "tick_us_p50", lfd_bench_percentile(tick_us, TICKS, 50));
        lfd_bench_num(&rep, "tick_us_p99", lfd_bench_percentile(tick_us, TICKS, 99));
        lfd_bench_num(&rep, "tick_us_max", worst);
        lfd_bench_num(&rep, "target_tick_us", 5);
        lfd_bench_num(&rep, "ticks_fresh", states[LFD_TICK_OK]);
        lfd_bench_num(&rep, "ticks_late", states[LFD_TICK_LATE]);
        lfd_bench_num(&rep, "ticks_stale", states[LFD_TICK_STALE]);
        lfd_bench_num(&rep, "chunk_requests", (double)(cn.requests - cn0.requests));
        lfd_bench_str(&rep, "blocking", "none: put_obs/get_action take no lock, make no "
                                        "system call and never wait on the network");
        lfd_bench_end(&rep);
    }

    /* teardown */
    lfd_client_free(&c);
    zmq_close(s_lfd);
    zmq_close(s_echo);
    zmq_close(s_echom);
    zmq_close(s_echot);
    if (s_py)
        zmq_close(s_py);
    zmq_ctx_term(ctx);
    pid_t kids[5] = {echo, echom, lfd, py, pyd};
    for (int i = 0; i < 5; i++)
        if (kids[i] > 0) {
            kill(kids[i], SIGTERM);
            waitpid(kids[i], NULL, 0);
        }
    lfd_policy_free(&p);
}
