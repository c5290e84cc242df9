/*  Helpers shared by the serving tests (tests/test_serve_*.c): toy
    policies, an in-process server on its own thread, raw ZeroMQ peers that
    send arbitrary bytes, and `lfd serve` as a child process. */
#ifndef LFD_SERVE_HELPERS_H
#define LFD_SERVE_HELPERS_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "policies/lfd_policy.h"
#include "runtime/lfd_client.h"
#include "runtime/lfd_server.h"

/* An MLP policy named name with obs_dim inputs "o<i>" (unit "u"), act_dim
   joints "a<j>" (unit "rad"), chunk steps every 0.02 s, limits [-2, 2] rad,
   8 rad/s, no acceleration limit, non-trivial normalisation; hidden width
   hidden; weights from seed.  Saved to tmpdir/<file> when file != NULL (so
   that it has a hash). */
lfd_policy *th_mlp_policy(const char *name, int obs_dim, int act_dim, int chunk, int hidden,
                          unsigned seed, const char *file);

/* Names "o0".. and "a0".. for client configs (static storage, up to 512). */
const char *const *th_obs_names(void);
const char *const *th_act_names(void);

/* A client config for the policy's schema. */
void th_client_config(lfd_client_config *cfg, const char *endpoint, const lfd_policy *p);

/* A server serving policies (taken) on its own thread. */
typedef struct th_server {
    lfd_server *s;
    pthread_t thread;
    int running;
    char endpoint[1024];
} th_server;

int th_server_start(th_server *ts, const lfd_server_config *cfg, lfd_policy **policies, int n,
                    const char **paths);
void th_server_stop(th_server *ts);

/* A raw DEALER (or REQ with req=1) socket on its own context. */
typedef struct th_raw {
    void *ctx, *sock;
} th_raw;

int th_raw_open(th_raw *r, const char *endpoint, int req);
void th_raw_close(th_raw *r);
/* Sends one frame; receives one reply frame within timeout_s into buf
   (returns its length, or -1 on timeout). */
int th_raw_call(th_raw *r, const void *data, size_t len, void *buf, size_t bufsz,
                double timeout_s);

/* Decodes an error reply's code and message; returns the code (LFD_PE_NONE
   if the reply is not an error). */
lfd_proto_error th_error_code(const void *rep, size_t len, char *msg, size_t msgsz);

/* Starts `lfd ARGS...` (NULL-terminated) with output to logpath. */
pid_t th_spawn_lfd(const char *const *args, const char *logpath);
/* Sends sig and waits; returns the exit status (or 128 + signal). */
int th_kill_wait(pid_t pid, int sig);

/* Resident set size of a process, kB (0 if unknown). */
long th_rss_kb(pid_t pid);

#endif
