/*  Helpers for the serving tests (see serve_helpers.h). */
#include "tests/serve_helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "tests/lfd_test.h"

lfd_policy *th_mlp_policy(const char *name, int obs_dim, int act_dim, int chunk, int hidden,
                          unsigned seed, const char *file)
{
    lfd_err err = {0};
    lfd_policy *p;
    if (lfd_policy_new(&p, LFD_POLICY_MLP, obs_dim, act_dim, chunk, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->robot, sizeof p->robot, "toy");
    p->control_period_s = 0.02;
    for (int i = 0; i < obs_dim; i++) {
        snprintf(p->obs_names[i], sizeof p->obs_names[i], "o%d", i);
        snprintf(p->obs_units[i], sizeof p->obs_units[i], "u");
        p->obs_mean[i] = 0.05f * (float)(i % 7);
        p->obs_std[i] = 1.0f + 0.1f * (float)(i % 5);
    }
    for (int j = 0; j < act_dim; j++) {
        snprintf(p->act_names[j], sizeof p->act_names[j], "a%d", j);
        snprintf(p->act_units[j], sizeof p->act_units[j], "rad");
        p->act_lo[j] = -2.0f;
        p->act_hi[j] = 2.0f;
        p->vel_limit[j] = 8.0f;
        p->acc_limit[j] = 0.0f;
        p->act_mean[j] = 0.1f;
        p->act_std[j] = 0.5f;
        p->default_action[j] = 0.05f * (float)j;
    }
    int dims[3] = {obs_dim, hidden, act_dim * chunk};
    lfd_activation acts[2] = {LFD_ACT_TANH, LFD_ACT_LINEAR};
    if (lfd_mlp_new(&p->mlp, 2, dims, acts, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        lfd_policy_free(&p);
        return NULL;
    }
    lfd_mlp_init_random(p->mlp, seed);
    lfd_prov_set_str(&p->lineage, "demos", "toy-demo-1", NULL);
    if (file) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", lfd_test_tmpdir(), file);
        if (lfd_policy_save(p, path, &err))
            lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
    }
    return p;
}

static char g_names[2][512][16];
static const char *g_ptrs[2][512];

static const char *const *names(int k, char c)
{
    if (!g_ptrs[k][0])
        for (int i = 0; i < 512; i++) {
            snprintf(g_names[k][i], sizeof g_names[k][i], "%c%d", c, i);
            g_ptrs[k][i] = g_names[k][i];
        }
    return g_ptrs[k];
}

const char *const *th_obs_names(void) { return names(0, 'o'); }
const char *const *th_act_names(void) { return names(1, 'a'); }

void th_client_config(lfd_client_config *cfg, const char *endpoint, const lfd_policy *p)
{
    lfd_client_config_init(cfg);
    cfg->endpoint = endpoint;
    cfg->policy = p->name;
    cfg->obs_dim = p->obs_dim;
    cfg->act_dim = p->act_dim;
    cfg->obs_names = th_obs_names();
    cfg->act_names = th_act_names();
    cfg->timeout_s = 5.0;
}

static void *server_main(void *arg)
{
    th_server *ts = arg;
    lfd_err err;
    if (lfd_server_run(ts->s, &err))
        fprintf(stderr, "server: %s\n", err.msg);
    return NULL;
}

int th_server_start(th_server *ts, const lfd_server_config *cfg, lfd_policy **policies, int n,
                    const char **paths)
{
    memset(ts, 0, sizeof *ts);
    lfd_err err = {0};
    if (lfd_server_new(&ts->s, cfg, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        for (int i = 0; i < n; i++)
            lfd_policy_free(&policies[i]);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        lfd_policy *p = policies[i];
        policies[i] = NULL;
        if (lfd_server_add_policy(ts->s, p, paths ? paths[i] : NULL, &err)) {
            lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
            lfd_server_free(&ts->s);
            return -1;
        }
    }
    if (lfd_server_bind(ts->s, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        lfd_server_free(&ts->s);
        return -1;
    }
    snprintf(ts->endpoint, sizeof ts->endpoint, "%s", lfd_server_endpoint(ts->s));
    if (pthread_create(&ts->thread, NULL, server_main, ts) != 0) {
        lfd_server_free(&ts->s);
        return -1;
    }
    ts->running = 1;
    return 0;
}

void th_server_stop(th_server *ts)
{
    if (!ts->s)
        return;
    lfd_server_stop(ts->s);
    if (ts->running)
        pthread_join(ts->thread, NULL);
    ts->running = 0;
    lfd_server_free(&ts->s);
}

int th_raw_open(th_raw *r, const char *endpoint, int req)
{
    r->ctx = zmq_ctx_new();
    r->sock = zmq_socket(r->ctx, req ? ZMQ_REQ : ZMQ_DEALER);
    int zero = 0, one = 1;
    zmq_setsockopt(r->sock, ZMQ_LINGER, &zero, sizeof zero);
    if (req) {
        zmq_setsockopt(r->sock, ZMQ_REQ_RELAXED, &one, sizeof one);
        zmq_setsockopt(r->sock, ZMQ_REQ_CORRELATE, &one, sizeof one);
    }
    return zmq_connect(r->sock, endpoint);
}

void th_raw_close(th_raw *r)
{
    if (r->sock)
        zmq_close(r->sock);
    if (r->ctx)
        zmq_ctx_term(r->ctx);
    r->sock = r->ctx = NULL;
}

int th_raw_call(th_raw *r, const void *data, size_t len, void *buf, size_t bufsz,
                double timeout_s)
{
    if (zmq_send(r->sock, data, len, 0) < 0)
        return -1;
    zmq_pollitem_t it = {r->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, (long)(timeout_s * 1000)) <= 0)
        return -1;
    int n = zmq_recv(r->sock, buf, bufsz, 0);
    return n > (int)bufsz ? (int)bufsz : n;
}

lfd_proto_error th_error_code(const void *rep, size_t len, char *msg, size_t msgsz)
{
    lfd_rep r;
    lfd_err err;
    if (lfd_rep_decode(&r, rep, len, &err) != LFD_OK || r.type != LFD_MSG_ERROR) {
        if (msg && msgsz)
            snprintf(msg, msgsz, "not an error reply");
        return LFD_PE_NONE;
    }
    if (msg && msgsz)
        snprintf(msg, msgsz, "%.*s", (int)r.message_len, (const char *)r.message);
    return r.code;
}

pid_t th_spawn_lfd(const char *const *args, const char *logpath)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    const char *argv[64];
    int n = 0;
    argv[n++] = lfd_test_lfd_bin();
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

int th_kill_wait(pid_t pid, int sig)
{
    kill(pid, sig);
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

long th_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *fp = fopen(path, "r");
    long kb = 0;
    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    fclose(fp);
    return kb;
}
