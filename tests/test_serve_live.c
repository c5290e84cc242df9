/*  Serving tests with moving parts: policy files replaced on disk while
    served (--watch), CURVE with an allow-list, a server restarted under a
    connected client, and the real-time client (chunk buffer, interpolation,
    staleness watchdog, recovery) in a 1 kHz loop. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_log.h"
#include "runtime/lfd_keys.h"
#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

static uint8_t tbuf[1 << 16], rbuf[1 << 16];

static void reference(const lfd_policy *p, const float *obs, const float *prev, float *chunk)
{
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

static char g_path[1024];
static uint8_t *g_bytes[2];
static size_t g_len[2];
static atomic_int g_done;

/* replaces the served file: atomically (alternating A and B), and once in
   place in two halves with a pause between (a reader in the middle sees a
   torn file, which must be refused) */
static void *replacer(void *arg)
{
    (void)arg;
    lfd_err err;
    for (int i = 0; i < 8; i++) {
        usleep(60000);
        lfd_file_write_atomic(g_path, g_bytes[(i + 1) % 2], g_len[(i + 1) % 2], &err);
    }
    usleep(60000);
    FILE *fp = fopen(g_path, "wb"); /* now A; in place: torn, then B */
    if (fp) {
        fwrite(g_bytes[1], 1, g_len[1] / 2, fp);
        fflush(fp);
        usleep(200000);
        fwrite(g_bytes[1] + g_len[1] / 2, 1, g_len[1] - g_len[1] / 2, fp);
        fclose(fp);
    }
    usleep(150000);
    atomic_store(&g_done, 1);
    return NULL;
}

TEST(serve_watch_reloads_atomically_or_not_at_all)
{
    lfd_err err = {0};
    const char *dir = lfd_test_tmpdir();
    lfd_policy *a = th_mlp_policy("walk", 6, 4, 3, 16, 1, "a.lfdp");
    lfd_policy *b = th_mlp_policy("walk", 6, 4, 3, 16, 2, "b.lfdp");
    char pa[1100], pb[1100];
    snprintf(pa, sizeof pa, "%s/a.lfdp", dir);
    snprintf(pb, sizeof pb, "%s/b.lfdp", dir);
    snprintf(g_path, sizeof g_path, "%s/served.lfdp", dir);
    CHECK_OK(lfd_file_read(pa, 1 << 24, &g_bytes[0], &g_len[0], &err), &err);
    CHECK_OK(lfd_file_read(pb, 1 << 24, &g_bytes[1], &g_len[1], &err), &err);
    CHECK_OK(lfd_file_write_atomic(g_path, g_bytes[0], g_len[0], &err), &err);
    CHECK(strcmp(a->hash, b->hash) != 0);
    lfd_policy *served;
    CHECK_OK(lfd_policy_load(&served, g_path, &err), &err);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.watch = 1;
    cfg.watch_interval_s = 0.02;
    th_server ts;
    const char *paths[1] = {g_path};
    if (th_server_start(&ts, &cfg, &served, 1, paths))
        return;
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, a);
    cc.filter = 0;
    lfd_client *c;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    atomic_store(&g_done, 0);
    pthread_t th;
    pthread_create(&th, NULL, replacer, NULL);
    int from[2] = {0, 0}, wrong = 0, n = 0;
    while (c && !atomic_load(&g_done)) {
        float obs[6], prev[4] = {0.2f, -0.2f, 0, 0.1f}, got[12], want[12];
        for (int i = 0; i < 6; i++)
            obs[i] = (float)sin(0.3 * n + i);
        lfd_act_info ai;
        if (lfd_client_act(c, obs, prev, got, &ai, &err) != LFD_OK) {
            lfd_test_fail_at(__FILE__, __LINE__, "act: %s", err.msg);
            break;
        }
        int w = !strcmp(ai.hash, a->hash) ? 0 : !strcmp(ai.hash, b->hash) ? 1 : -1;
        if (w < 0) {
            wrong++;
            continue;
        }
        /* the answer is exactly the policy its hash names: never a mix */
        reference(w ? b : a, obs, prev, want);
        for (int i = 0; i < 12; i++)
            if (fabsf(got[i] - want[i]) > 1e-5f) {
                wrong++;
                break;
            }
        from[w]++;
        n++;
        usleep(2000);
    }
    pthread_join(th, NULL);
    CHECK_EQ_INT(wrong, 0);
    CHECK(from[0] > 0 && from[1] > 0);
    /* the last state is B, completed in place after the torn write was refused */
    float obs[6] = {0}, got[12];
    lfd_act_info ai;
    CHECK_OK(lfd_client_act(c, obs, NULL, got, &ai, &err), &err);
    CHECK_STR(ai.hash, b->hash);

    /* a new schema: sessions are told schema_changed; this client re-hellos and is refused */
    lfd_policy *s2 = th_mlp_policy("walk", 6, 5, 3, 16, 3, "c.lfdp");
    char pc[1100];
    snprintf(pc, sizeof pc, "%s/c.lfdp", dir);
    th_raw r;
    th_raw_open(&r, ts.endpoint, 0);
    lfd_hello_req h = {.seq = 1, .policy = "walk", .obs_dim = 6, .act_dim = 4,
                       .obs_names = th_obs_names(), .act_names = th_act_names()};
    lfd_buf bb;
    lfd_buf_init_fixed(&bb, tbuf, sizeof tbuf);
    lfd_proto_encode_hello_req(&bb, &h, NULL);
    CHECK(th_raw_call(&r, bb.data, bb.len, rbuf, sizeof rbuf, 5) > 0);
    CHECK_EQ_INT(rename(pc, g_path), 0);
    int code = LFD_PE_NONE;
    for (int i = 2; i < 200 && code == LFD_PE_NONE; i++) {
        usleep(10000);
        lfd_buf_init_fixed(&bb, tbuf, sizeof tbuf);
        lfd_proto_encode_act_req(&bb, (uint64_t)i, 0, obs, 6, NULL, NULL, 4, NULL);
        int k = th_raw_call(&r, bb.data, bb.len, rbuf, sizeof rbuf, 5);
        code = k > 0 ? th_error_code(rbuf, (size_t)k, NULL, 0) : LFD_PE_COUNT;
    }
    CHECK_EQ_INT(code, LFD_PE_SCHEMA_CHANGED);
    CHECK(lfd_client_act(c, obs, NULL, got, &ai, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "act_names has 4 entries, the policy has 5");
    th_raw_close(&r);
    lfd_client_free(&c);
    lfd_server_stop(ts.s);
    pthread_join(ts.thread, NULL);
    ts.running = 0;
    lfd_server_stats st;
    lfd_server_get_stats(ts.s, &st);
    CHECK(st.reload_failures >= 1); /* the torn file */
    CHECK(st.reloads >= 3);
    th_server_stop(&ts);
    free(g_bytes[0]);
    free(g_bytes[1]);
    lfd_policy_free(&a);
    lfd_policy_free(&b);
    lfd_policy_free(&s2);
}

TEST(serve_curve_allow_list_admits_known_keys_only)
{
    if (!zmq_has("curve"))
        SKIP("libzmq without CURVE");
    lfd_err err = {0};
    const char *dir = lfd_test_tmpdir();
    char keys[1100], cdir[1100], path[1200];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(cdir, sizeof cdir, "%s/keys/clients", dir);
    char spub[41], gpub[41], gsec[41], bpub[41], bsec[41];
    CHECK_OK(lfd_keys_generate(keys, "server", spub, &err), &err);
    CHECK_OK(lfd_keys_generate(dir, "good", NULL, &err), &err);
    CHECK_OK(lfd_keys_generate(dir, "bad", NULL, &err), &err);
    snprintf(path, sizeof path, "%s/good.key", dir);
    CHECK_OK(lfd_keys_read(path, gpub, gsec, &err), &err);
    snprintf(path, sizeof path, "%s/bad.key", dir);
    CHECK_OK(lfd_keys_read(path, bpub, bsec, &err), &err);
    /* the .key file is private; a .pub file has no secret */
    struct stat sst;
    CHECK(stat(path, &sst) == 0 && (sst.st_mode & 077) == 0);
    snprintf(path, sizeof path, "%s/good.pub", dir);
    char tmp[41];
    CHECK(lfd_keys_read(path, tmp, tmp, &err) == LFD_EPARSE);
    /* allow "good" only */
    CHECK_OK(lfd_mkdir_p(cdir, &err), &err);
    char cmd[2600];
    snprintf(cmd, sizeof cmd, "cp '%s/good.pub' '%s/good.pub'", dir, cdir);
    CHECK_EQ_INT(system(cmd), 0);
    lfd_policy *p = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_policy *ref = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.curve_dir = keys;
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    cc.timeout_s = 2;
    cc.server_key = spub;
    cc.public_key = gpub;
    cc.secret_key = gsec;
    lfd_client *c = NULL;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    float obs[6] = {0}, got[12];
    if (c)
        CHECK_OK(lfd_client_act(c, obs, NULL, got, NULL, &err), &err);
    lfd_client_free(&c);
    /* an unknown key is refused during the handshake */
    cc.public_key = bpub;
    cc.secret_key = bsec;
    CHECK(lfd_client_new(&c, &cc, &err) == LFD_EDENIED);
    CHECK_CONTAINS(err.msg, "refused this client's CURVE key");
    /* so is a client without CURVE (it gets no answer at all) */
    cc.server_key = cc.public_key = cc.secret_key = NULL;
    cc.timeout_s = 0.5;
    CHECK(lfd_client_new(&c, &cc, &err) != LFD_OK);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

TEST(serve_client_reconnects_after_server_restart)
{
    lfd_err err = {0};
    char ep[1200];
    snprintf(ep, sizeof ep, "ipc://%s/restart.ipc", lfd_test_tmpdir());
    lfd_policy *ref = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = ep;
    th_server ts;
    lfd_policy *p = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    lfd_client_config cc;
    th_client_config(&cc, ep, ref);
    cc.timeout_s = 0.5;
    lfd_client *c;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    float obs[6] = {0.1f}, got[12];
    if (c)
        CHECK_OK(lfd_client_act(c, obs, NULL, got, NULL, &err), &err);
    th_server_stop(&ts);
    /* while the server is down every call times out, promptly */
    CHECK(c && lfd_client_act(c, obs, NULL, got, NULL, &err) == LFD_ETIMEOUT);
    p = th_mlp_policy("walk", 6, 4, 3, 16, 1, NULL);
    if (th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_client_free(&c);
        return;
    }
    int ok = 0;
    for (int i = 0; c && i < 20 && !ok; i++)
        ok = lfd_client_act(c, obs, NULL, got, NULL, &err) == LFD_OK;
    CHECK(ok);
    lfd_client_counters n;
    if (c) {
        lfd_client_get_counters(c, &n);
        CHECK(n.reconnects >= 1);
        CHECK(n.hellos >= 2);
    }
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

/* a playback policy whose joints move linearly in time: a_j(t) = 0.1 j + 0.5 t */
static lfd_policy *linear_playback(void)
{
    lfd_policy *p;
    lfd_err err;
    if (lfd_policy_new(&p, LFD_POLICY_PLAYBACK, 1, 3, 10, &err))
        return NULL;
    snprintf(p->name, sizeof p->name, "play");
    snprintf(p->obs_names[0], sizeof p->obs_names[0], "o0");
    snprintf(p->obs_units[0], sizeof p->obs_units[0], "s");
    p->control_period_s = 0.02;
    p->playback_fps = 50;
    p->playback_frames = 1000;
    p->playback = malloc(sizeof(float) * 3000);
    for (int f = 0; f < 1000; f++)
        for (int j = 0; j < 3; j++)
            p->playback[f * 3 + j] = 0.1f * (float)j + 0.5f * (float)f / 50.0f;
    for (int j = 0; j < 3; j++) {
        snprintf(p->act_names[j], sizeof p->act_names[j], "a%d", j);
        snprintf(p->act_units[j], sizeof p->act_units[j], "rad");
        p->act_lo[j] = -1;
        p->act_hi[j] = 20;
        p->vel_limit[j] = 4;
        p->default_action[j] = 0.1f * (float)j;
    }
    return p;
}

static void sleep_until(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* a server playing linear_playback on ipc://TMP/name and a client of it
   (timeout 0.2 s, stale after 3 periods); 0 with *c NULL on failure (the
   server stopped again) */
static int rt_server_and_client(const char *name, char *ep, size_t epn, lfd_server_config *cfg,
                                th_server *ts, lfd_policy **ref, lfd_client **c)
{
    lfd_err err = {0};
    *c = NULL;
    *ref = NULL;
    snprintf(ep, epn, "ipc://%s/%s", lfd_test_tmpdir(), name);
    lfd_server_config_init(cfg);
    cfg->bind = ep;
    lfd_policy *p = linear_playback();
    if (th_server_start(ts, cfg, &p, 1, NULL))
        return 0;
    *ref = linear_playback();
    lfd_client_config cc;
    th_client_config(&cc, ep, *ref);
    cc.timeout_s = 0.2;
    cc.stale_periods = 3;
    CHECK_OK(lfd_client_new(c, &cc, &err), &err);
    if (!*c) {
        th_server_stop(ts);
        lfd_policy_free(ref);
        return 0;
    }
    return 1;
}

TEST(serve_realtime_client_interpolates_and_watchdog_holds)
{
    lfd_err err = {0};
    char ep[1200];
    lfd_server_config cfg;
    th_server ts;
    lfd_policy *ref;
    lfd_client *c;
    if (!rt_server_and_client("rt.ipc", ep, sizeof ep, &cfg, &ts, &ref, &c))
        return;
    float start[3] = {0, 0.1f, 0.2f}, a[3], held[3] = {0};
    CHECK_OK(lfd_client_start(c, start, &err), &err);
    /* the sync calls are refused while the background thread owns the socket */
    CHECK(lfd_client_ping(c, NULL, &err) == LFD_ESTATE);
    double t0 = lfd_client_now_s(), t = t0, worst_us = 0, err_max = 0;
    int counts[5] = {0}, phase = 0, ok_after = 0, stale_moved = 0;
    int64_t tick = 0;
    double t_stop = 0;
    for (tick = 0; tick < 6000; tick++) {
        sleep_until(t0 + tick * 1e-3);
        t = lfd_client_now_s();
        float obs[1] = {(float)(t - t0)};
        double c0 = lfd_client_now_s();
        lfd_client_put_obs(c, obs, t);
        lfd_tick tk;
        int st = lfd_client_get_action(c, t, a, &tk);
        double us = (lfd_client_now_s() - c0) * 1e6;
        worst_us = us > worst_us ? us : worst_us;
        counts[st]++;
        if (phase == 0) {
            /* serving: after a warm-up the action is the trajectory at t */
            if (st == LFD_TICK_OK && t - t0 > 0.1)
                for (int j = 0; j < 3; j++) {
                    double e = fabs(a[j] - (0.1 * j + 0.5 * (t - t0)));
                    err_max = e > err_max ? e : err_max;
                }
            if (t - t0 > 0.5) {
                th_server_stop(&ts); /* the server goes away */
                phase = 1;
                t_stop = t;
            }
        } else if (phase == 1) {
            if (st == LFD_TICK_STALE) {
                if (held[0] == 0)
                    memcpy(held, a, sizeof held);
                else if (memcmp(held, a, sizeof held))
                    stale_moved++;
            }
            if (t - t_stop > 0.6) {
                lfd_policy *p2 = linear_playback();
                if (th_server_start(&ts, &cfg, &p2, 1, NULL))
                    break;
                phase = 2;
            }
        } else if (st == LFD_TICK_OK && ++ok_after > 100) {
            break;
        }
    }
    lfd_client_stop(c);
    lfd_client_counters n;
    lfd_client_get_counters(c, &n);
    fprintf(stderr, "ticks ok %d late %d stale %d no_data %d; worst read %.1f us; "
                    "tracking error %.2g rad; requests %llu timeouts %llu reconnects %llu\n",
            counts[0], counts[2], counts[3], counts[4], worst_us, err_max,
            (unsigned long long)n.requests, (unsigned long long)n.timeouts,
            (unsigned long long)n.reconnects);
    CHECK(counts[LFD_TICK_OK] > 300);
    CHECK(err_max < 1e-3);
    CHECK(counts[LFD_TICK_LATE] > 0);
    CHECK(counts[LFD_TICK_STALE] > 0);
    CHECK_EQ_INT(stale_moved, 0);
    CHECK(ok_after > 100); /* recovered after the restart */
    CHECK(n.timeouts >= 1 && n.reconnects >= 1);
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

/* The real-time client's background thread sleeps until its next request
   is due and wakes on demand (issue 18): a few turns of its loop per
   request, where napping in 2 ms steps took about one per 2 ms. */
TEST(serve_realtime_client_thread_wakes_on_demand)
{
    lfd_err err = {0};
    lfd_policy *p = th_mlp_policy("walk", 4, 3, 10, 8, 5, NULL);
    lfd_policy *ref = th_mlp_policy("walk", 4, 3, 10, 8, 5, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_policy_free(&ref);
        return;
    }
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    lfd_client *c;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    if (c) {
        /* the thread waits for the first observation without polling */
        CHECK_OK(lfd_client_start(c, NULL, &err), &err);
        usleep(300000);
        lfd_client_counters n0;
        lfd_client_get_counters(c, &n0);
        /* a 250 Hz loop for 0.6 s: chunks of 10 x 20 ms, one request about
           every 5 periods */
        double t0 = lfd_client_now_s();
        float obs[4] = {0}, a[3];
        for (int k = 0; k < 150; k++) {
            sleep_until(t0 + k * 4e-3);
            double t = lfd_client_now_s();
            lfd_client_put_obs(c, obs, t);
            lfd_client_get_action(c, t, a, NULL);
        }
        lfd_client_stop(c);
        lfd_client_counters n;
        lfd_client_get_counters(c, &n);
        fprintf(stderr, "before the first observation: %llu wakeups in 0.3 s; then %llu "
                        "requests, %llu wakeups\n",
                (unsigned long long)n0.wakeups, (unsigned long long)n.requests,
                (unsigned long long)(n.wakeups - n0.wakeups));
        CHECK(n0.wakeups <= 5);
        CHECK(n.requests >= 3);
        CHECK(n.wakeups - n0.wakeups <= 4 * n.requests + 4);
        lfd_client_free(&c);
    }
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}

/* An observation stamped in the future (a loop clock other than
   CLOCK_MONOTONIC) must not push the staleness watchdog out: the chunk is
   anchored at the send time, counted in future_obs, and once the server
   goes away the loop sees stale ticks as usual.  Before, the chunk was
   anchored 100 s ahead, every tick read its first step as fresh (OK) and
   the background thread slept until then: no stale tick, ever. */
TEST(serve_realtime_client_future_stamps_keep_the_watchdog)
{
    lfd_err err = {0};
    char ep[1200];
    lfd_server_config cfg;
    th_server ts;
    lfd_policy *ref;
    lfd_client *c;
    if (!rt_server_and_client("rtf.ipc", ep, sizeof ep, &cfg, &ts, &ref, &c))
        return;
    float start[3] = {0, 0.1f, 0.2f}, a[3];
    CHECK_OK(lfd_client_start(c, start, &err), &err);
    double t0 = lfd_client_now_s(), t_stop = 0, first_stale = -1;
    int stopped = 0;
    for (int tick = 0; tick < 1500; tick++) {
        sleep_until(t0 + tick * 1e-3);
        double t = lfd_client_now_s();
        float obs[1] = {(float)(t - t0)};
        lfd_client_put_obs(c, obs, t + 100.0);
        int st = lfd_client_get_action(c, t, a, NULL);
        if (!stopped && t - t0 > 0.4) {
            th_server_stop(&ts);
            stopped = 1;
            t_stop = t;
        } else if (stopped && st == LFD_TICK_STALE && first_stale < 0) {
            first_stale = t - t_stop;
        }
    }
    lfd_client_stop(c);
    lfd_client_counters n;
    lfd_client_get_counters(c, &n);
    fprintf(stderr, "future-stamped requests %llu of %llu; first stale tick %.3f s after the "
                    "server stopped\n",
            (unsigned long long)n.future_obs, (unsigned long long)n.requests, first_stale);
    CHECK(n.future_obs >= 2);
    CHECK(first_stale >= 0 && first_stale < 0.6);
    lfd_client_free(&c);
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}
