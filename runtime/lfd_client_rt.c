/*  lfd_client_rt: the client library's real-time mode (see lfd_client.h).

    A background thread owns the socket and keeps the local chunk buffer
    full; the control loop's calls (lfd_client_put_obs,
    lfd_client_get_action) are wait-free and talk to it through two triple
    buffers.  The thread sleeps until the next request is due (one timed
    wait on a semaphore, woken early by lfd_client_stop or, at start, by
    the first observation), waits on the socket for the reply, and repeats. */
/* sem_clockwait (glibc 2.30+): a timed wait on the monotonic clock */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "runtime/lfd_client_int.h"

static void tb_init(tribuf *t)
{
    t->back = 0;
    atomic_init(&t->mid, 1u);
    t->front = 2;
}

static void tb_publish(tribuf *t)
{
    unsigned old = atomic_exchange_explicit(&t->mid, t->back | 4u, memory_order_acq_rel);
    t->back = old & 3u;
}

/* 1 if a fresh slot was taken (front changed). */
static int tb_take(tribuf *t)
{
    if (!(atomic_load_explicit(&t->mid, memory_order_acquire) & 4u))
        return 0;
    unsigned old = atomic_exchange_explicit(&t->mid, t->front, memory_order_acq_rel);
    t->front = old & 3u;
    return 1;
}

/* ---- real-time mode: the loop side ------------------------------------------------- */

void lfd_client_put_obs(lfd_client *c, const float *obs, double t_s)
{
    if (!c->started)
        return;
    rt_obs *o = &c->oslot[c->obsbuf.back];
    int no = c->cfg.obs_dim, na = c->cfg.act_dim;
    memcpy(o->obs, obs, (size_t)no * sizeof(float));
    o->t = t_s;
    o->have_prev = c->have_last;
    memcpy(o->prev, c->last_out, (size_t)na * sizeof(float));
    memcpy(o->vel, c->loop_fs.vel, (size_t)na * sizeof(float));
    tb_publish(&c->obsbuf);
    /* the background thread waits for a first observation: wake it (a
       system call once, at start; never in the steady state) */
    if (atomic_load_explicit(&c->want_obs, memory_order_seq_cst) &&
        atomic_exchange(&c->want_obs, 0))
        sem_post(&c->wake);
}

int lfd_client_get_action(lfd_client *c, double t_s, float *action, lfd_tick *tick)
{
    int na = c->cfg.act_dim, nc = c->info.chunk;
    double dt = c->info.control_period_s;
    if (!c->started) {
        /* not running (never started, or stopped): hold the last command */
        int st = c->have_last ? LFD_TICK_STALE : LFD_TICK_NO_DATA;
        memcpy(action, c->have_last ? c->last_out : c->info.default_action,
               (size_t)na * sizeof(float));
        if (tick) {
            memset(tick, 0, sizeof *tick);
            tick->state = st;
        }
        return st;
    }
    tb_take(&c->chunks);
    const rt_chunk *ch = &c->cslot[c->chunks.front];
    int state;
    double missed = 0;
    if (ch->seq == 0) {
        /* nothing yet: the start pose */
        state = LFD_TICK_NO_DATA;
        memcpy(action, c->start_pose, (size_t)na * sizeof(float));
    } else {
        double x = (t_s - ch->t0) / dt;
        if (x < 0)
            x = 0;
        double last = nc - 1;
        if (x <= last) {
            /* linear interpolation between the chunk's two nearest steps */
            int i0 = (int)x;
            int i1 = i0 + 1 <= nc - 1 ? i0 + 1 : i0;
            float w = (float)(x - i0);
            const float *a0 = ch->a + (size_t)i0 * (size_t)na, *a1 = ch->a + (size_t)i1 * (size_t)na;
            for (int j = 0; j < na; j++)
                action[j] = a0[j] + w * (a1[j] - a0[j]);
            state = ch->hold ? LFD_TICK_SERVER_HOLD : LFD_TICK_OK;
        } else {
            missed = x - last;
            if (missed <= c->cfg.stale_periods || !c->have_last) {
                state = LFD_TICK_LATE;
                memcpy(action, ch->a + (size_t)(nc - 1) * (size_t)na, (size_t)na * sizeof(float));
            } else {
                /* the watchdog: hold the last command */
                state = LFD_TICK_STALE;
                memcpy(action, c->last_out, (size_t)na * sizeof(float));
            }
        }
    }
    /* the safety filter at the loop's own tick */
    uint8_t fl = 0;
    if (c->cfg.filter) {
        /* the first tick after start steps one period from the start pose
           (it took the whole time since boot: no velocity limit on it);
           last_t is NaN until a tick, and no time is later than NaN */
        double step = c->have_last && t_s > c->last_t ? t_s - c->last_t : dt;
        memset(c->cflags, 0, (size_t)na);
        lfd_filter_step(&c->lim, &c->loop_fs, action, step, c->start_pose, c->cflags, NULL);
        for (int j = 0; j < na; j++)
            fl |= c->cflags[j];
        if (fl)
            INC(c->n.filtered_ticks);
    }
    memcpy(c->last_out, action, (size_t)na * sizeof(float));
    c->last_t = t_s;
    c->have_last = 1;
    INC(c->n.ticks);
    if (state == LFD_TICK_LATE)
        INC(c->n.late_ticks);
    else if (state == LFD_TICK_STALE)
        INC(c->n.stale_ticks);
    if (tick) {
        tick->state = state;
        tick->missed_periods = missed;
        tick->chunk_seq = ch->seq;
        tick->filter_flags = fl;
    }
    return state;
}

/* ---- real-time mode: the background thread ----------------------------------------- */

/* Sleeps until lfd_client_now_s() reaches t_mono, or until woken: by
   lfd_client_stop, or by the first observation when the thread asked for
   it (c->want_obs).  One timed wait on a semaphore, no polling in steps. */
static void wait_until(lfd_client *c, double t_mono)
{
    double left = t_mono - lfd_client_now_s();
    if (left <= 0 || !atomic_load(&c->running))
        return;
    if (left > 3600)
        left = 3600;
    /* The deadline on the monotonic clock where the C library can wait on
       it: a deadline on the wall clock (sem_timedwait's) sleeps as long
       again as the wall clock is stepped back (NTP, GPS), and the thread
       then requests no chunks while the loop runs on (found by review,
       2026-12-07: with the wall clock 30 s off, 402 of 500 ticks a second
       went stale) */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
    const clockid_t clk = CLOCK_MONOTONIC;
#else
    const clockid_t clk = CLOCK_REALTIME;
#endif
    struct timespec ts;
    clock_gettime(clk, &ts);
    double s = (double)ts.tv_nsec * 1e-9 + left;
    ts.tv_sec += (time_t)s;
    ts.tv_nsec = (long)((s - (double)(time_t)s) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
    while (sem_clockwait(&c->wake, clk, &ts) != 0 && errno == EINTR)
        ;
#else
    while (sem_timedwait(&c->wake, &ts) != 0 && errno == EINTR)
        ;
#endif
}

static void *rt_main(void *arg)
{
    lfd_client *c = arg;
    int na = c->cfg.act_dim, nc = c->info.chunk;
    double dt = c->info.control_period_s;
    int refill = c->cfg.refill_periods > 0 ? c->cfg.refill_periods : nc / 2;
    if (refill < 1)
        refill = 1;
    if (refill > nc)
        refill = nc;
    int have_chunk = 0, inflight = 0;
    double t0_last = 0, t_last_req = -1e30, t_sent = 0, req_t0 = 0;
    uint64_t req_seq = 0;
    lfd_err err;
    while (atomic_load(&c->running)) {
        INC(c->n.wakeups);
        double now = lfd_client_now_s();
        if (c->need_hello && !inflight) {
            if (clt_do_hello(c, now + c->cfg.timeout_s, &err) != LFD_OK) {
                wait_until(c, now + (dt < 0.05 ? dt : 0.05));
                continue;
            }
        }
        if (!inflight) {
            /* the next request is due when the buffer runs low, at most once a period */
            double t_end = t0_last + (nc - 1) * dt;
            double due = have_chunk ? t_end - refill * dt : now;
            if (due < t_last_req + dt)
                due = t_last_req + dt;
            tb_take(&c->obsbuf);
            const rt_obs *o = &c->oslot[c->obsbuf.front];
            if (o->t <= 0) {
                /* no observation yet: ask the loop to wake this thread with
                   its first one (asked before looking again, so that an
                   observation published in between is seen) */
                atomic_store(&c->want_obs, 1);
                tb_take(&c->obsbuf);
                if (c->oslot[c->obsbuf.front].t <= 0)
                    wait_until(c, now + 0.1);
                atomic_store(&c->want_obs, 0);
                continue;
            }
            if (now < due) {
                /* asleep until the request is due (or stop) */
                wait_until(c, due);
                continue;
            }
            req_seq = ++c->seq;
            /* the chunk's step k is for req_t0 + k periods.  An observation
               stamped in the future (a loop clock other than CLOCK_MONOTONIC)
               would push the chunk's end, and with it the staleness
               watchdog, as far ahead: anchor it at the send time instead
               (the loop then sees late or stale ticks, the safe side) */
            req_t0 = o->t;
            if (req_t0 > now) {
                req_t0 = now;
                INC(c->n.future_obs);
            }
            lfd_buf_init_fixed(&c->tx, c->txmem, c->txcap);
            if (lfd_proto_encode_act_req(&c->tx, req_seq, lfd_proto_wall_s(), o->obs,
                                         c->cfg.obs_dim, o->have_prev ? o->prev : NULL,
                                         o->have_prev ? o->vel : NULL, na, &err) != LFD_OK)
                break;
            INC(c->n.requests);
            if (zmq_send(c->sock, c->tx.data, c->tx.len, ZMQ_DONTWAIT) < 0) {
                clt_reconnect(c, NULL);
                continue;
            }
            inflight = 1;
            t_sent = t_last_req = now;
            continue;
        }
        /* waiting for the reply, in short slices so that stop is prompt */
        double left = t_sent + c->cfg.timeout_s - now;
        if (left <= 0) {
            INC(c->n.timeouts);
            clt_reconnect(c, NULL);
            inflight = 0;
            continue;
        }
        zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLIN, 0};
        int ms = (int)ceil((left < 0.01 ? left : 0.01) * 1e3);
        if (zmq_poll(&it, 1, ms < 1 ? 1 : ms) <= 0)
            continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, c->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        lfd_rep rep;
        if (lfd_rep_decode(&rep, zmq_msg_data(&msg), zmq_msg_size(&msg), &err) != LFD_OK ||
            (rep.seq != req_seq && !(rep.type == LFD_MSG_ERROR && rep.seq == 0))) {
            zmq_msg_close(&msg);
            continue;
        }
        inflight = 0;
        if (rep.type != LFD_MSG_ACT)
            INC(c->n.replies);
        if (rep.type == LFD_MSG_ACT) {
            rt_chunk *slot = &c->cslot[c->chunks.back];
            if (clt_take_actions(c, &rep, slot->a, &err) == LFD_OK) {
                double t_end = t0_last + (nc - 1) * dt;
                if (have_chunk && lfd_client_now_s() > t_end)
                    INC(c->n.late_replies);
                slot->seq = rep.seq;
                slot->t0 = req_t0;
                slot->hold = rep.hold;
                if (rep.hold)
                    INC(c->n.server_holds);
                tb_publish(&c->chunks);
                have_chunk = 1;
                t0_last = req_t0;
            } else {
                INC(c->n.errors);
            }
            INC(c->n.replies); /* once its chunk is published: who reads the count finds the chunk */
        } else if (rep.type == LFD_MSG_ERROR) {
            INC(c->n.errors);
            if (rep.code == LFD_PE_NO_SESSION || rep.code == LFD_PE_SCHEMA_CHANGED)
                c->need_hello = 1;
            else
                wait_until(c, lfd_client_now_s() + dt);
        }
        zmq_msg_close(&msg);
    }
    return NULL;
}

int lfd_client_start(lfd_client *c, const float *current, lfd_err *err)
{
    if (c->started)
        return lfd_fail(err, LFD_ESTATE, "already started");
    int na = c->cfg.act_dim, nc = c->info.chunk;
    for (int i = 0; i < 3; i++) {
        float *a = realloc(c->cslot[i].a, (size_t)nc * (size_t)na * sizeof(float));
        if (!a)
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        c->cslot[i].a = a;
        c->cslot[i].seq = 0;
        c->oslot[i].t = 0;
    }
    tb_init(&c->chunks);
    tb_init(&c->obsbuf);
    memcpy(c->start_pose, current ? current : c->info.default_action, (size_t)na * sizeof(float));
    lfd_filter_state_reset(&c->loop_fs, na, current, NULL);
    memcpy(c->last_out, c->start_pose, (size_t)na * sizeof(float));
    c->have_last = current != NULL;
    c->last_t = NAN; /* no tick since start */
    if (sem_init(&c->wake, 0, 0) != 0)
        return lfd_fail(err, LFD_ENOMEM, "cannot make the client thread's semaphore");
    atomic_store(&c->want_obs, 0);
    atomic_store(&c->running, 1);
    c->started = 1;
    if (pthread_create(&c->thread, NULL, rt_main, c) != 0) {
        c->started = 0;
        atomic_store(&c->running, 0);
        sem_destroy(&c->wake);
        return lfd_fail(err, LFD_ENOMEM, "cannot start the client thread");
    }
    return LFD_OK;
}

void lfd_client_stop(lfd_client *c)
{
    if (!c || !c->started)
        return;
    atomic_store(&c->running, 0);
    sem_post(&c->wake);
    pthread_join(c->thread, NULL);
    sem_destroy(&c->wake);
    c->started = 0;
    /* the command in force for a synchronous act without prev_action (and
       a re-hello's current) is now the loop's last, standing: the chunk
       remembered from before the loop would pull the joints back to where
       the robot was then (found by review: 1.46 rad in one 0.02 s step) */
    int na = c->cfg.act_dim, nc = c->info.chunk;
    c->have_sync_chunk = 0;
    if (c->have_last && c->sync_chunk && nc > 0) {
        for (int k = 0; k < nc; k++)
            memcpy(c->sync_chunk + (size_t)k * (size_t)na, c->last_out, (size_t)na * sizeof(float));
        c->sync_chunk_t = lfd_client_now_s();
        c->have_sync_chunk = 1;
    }
}
