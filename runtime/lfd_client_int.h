/*  lfd_client_int: what the two halves of the client library share
    (internal).  runtime/lfd_client.c holds the socket, the round trip,
    hello and the request/reply calls; runtime/lfd_client_rt.c the
    real-time mode (triple buffers, the loop-side reads, the background
    thread).  Nothing outside runtime/lfd_client*.c includes this. */
#ifndef LFD_CLIENT_INT_H
#define LFD_CLIENT_INT_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "runtime/lfd_client.h"
#include "runtime/lfd_proto.h"

#define NAME_MAX_ 64
#define UNIT_MAX_ 16

/* A triple buffer: one writer, one reader, neither ever waits.  The writer
   fills slot `back` and swaps it into `mid` with the fresh bit; the reader
   swaps `mid` with its `front` when the fresh bit is set. */
typedef struct tribuf {
    atomic_uint mid;
    unsigned back, front;
} tribuf;

typedef struct rt_chunk {
    uint64_t seq;
    double t0;
    int hold;
    float *a; /* chunk * act_dim */
} rt_chunk;

typedef struct rt_obs {
    double t;
    int have_prev;
    float *obs, *prev, *vel;
} rt_obs;

typedef struct counters {
    atomic_ullong requests, replies, timeouts, reconnects, hellos, errors, server_holds;
    atomic_ullong ticks, late_ticks, stale_ticks, filtered_ticks, late_replies, wakeups;
    atomic_ullong future_obs;
} counters;

struct lfd_client {
    lfd_client_config cfg;
    char endpoint[1024], policy[NAME_MAX_], client_name[128], robot[NAME_MAX_], model_hash[65];
    char (*obs_names)[NAME_MAX_], (*obs_units)[UNIT_MAX_];
    char (*act_names)[NAME_MAX_], (*act_units)[UNIT_MAX_];
    const char **name_ptrs; /* obs names, obs units, act names, act units */
    char server_key[41], public_key[41], secret_key[41];
    int curve;

    void *ctx, *sock, *mon;
    unsigned gen;
    int rcvtimeo_ms;
    uint64_t seq;
    int need_hello;
    char token[33]; /* hello's session_token: random, chosen at lfd_client_new */
    int denied;

    lfd_client_policy info;
    float *limits; /* 5 * act_dim: default, lo, hi, vel, acc */
    lfd_filter_limits lim;
    lfd_filter_state sync_fs;
    /* lfd_client_act's last chunk, when it came, and 2 act_dim of scratch
       (allocated at the first hello): the robot's previous command where an
       act or a re-hello has none of its own */
    float *sync_chunk;
    double sync_chunk_t;
    int have_sync_chunk;
    uint8_t *flags, *cflags;

    uint8_t *txmem;
    size_t txcap;
    lfd_buf tx;

    /* real-time mode */
    int started;
    atomic_int running;
    pthread_t thread;
    sem_t wake;           /* the background thread's timed sleep; posted by stop */
    atomic_int want_obs;  /* the thread waits for a first observation */
    tribuf chunks, obsbuf;
    rt_chunk cslot[3];
    rt_obs oslot[3];
    float *start_pose;
    /* loop side */
    lfd_filter_state loop_fs;
    float *last_out;
    double last_t; /* the last tick's time (NaN: no tick since start) */
    int have_last;
    counters n;
};

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

/* lfd_client.c */
/* Closes and reopens the socket (the next request says hello first). */
int clt_reconnect(lfd_client *c, lfd_err *err);
/* Says hello (the schema check) within deadline (lfd_client_now_s clock). */
int clt_do_hello(lfd_client *c, double deadline, lfd_err *err);
/* Copies an act reply's chunk out (checking its shape). */
int clt_take_actions(lfd_client *c, const lfd_rep *rep, float *chunk, lfd_err *err);

#endif
