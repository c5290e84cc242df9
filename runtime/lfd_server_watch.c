/*  lfd_server_watch: the server's two helper threads (see lfd_server.h).
    The watcher reloads a policy file replaced on disk: it loads and checks
    the whole file, then hands the new model to the serving thread, which
    swaps it in between two messages.  The ZAP handler (ZeroMQ RFC 27)
    admits only CURVE clients whose public key is in curve_dir/clients. */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

#include "core/lfd_log.h"
#include "runtime/lfd_keys.h"
#include "runtime/lfd_server_int.h"

/* ---- the policy watcher ------------------------------------------------------------ */

int srv_file_id(const char *path, int64_t id[4])
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    id[0] = (int64_t)st.st_dev;
    id[1] = (int64_t)st.st_ino;
    id[2] = (int64_t)st.st_size;
    id[3] = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    return 0;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

void *srv_watcher_main(void *arg)
{
    lfd_server *s = arg;
    while (!atomic_load(&s->stop)) {
        for (int i = 0; i < s->npol && !atomic_load(&s->stop); i++) {
            srv_policy *sp = &s->pol[i];
            int64_t id[4];
            if (!sp->has_path || srv_file_id(sp->path, id) != 0)
                continue;
            if (id[0] == sp->st_dev && id[1] == sp->st_ino && id[2] == sp->st_size &&
                id[3] == sp->st_mtime_ns)
                continue;
            /* changed: load and check the whole file, then hand it over */
            sp->st_dev = id[0];
            sp->st_ino = id[1];
            sp->st_size = id[2];
            sp->st_mtime_ns = id[3];
            lfd_policy *p;
            lfd_err err;
            srv_model *m = NULL;
            int rc = lfd_policy_load(&p, sp->path, &err);
            if (rc == LFD_OK && strcmp(p->name, sp->name)) {
                rc = lfd_fail(&err, LFD_EMISMATCH, "%s now holds policy '%s', not '%s'",
                              sp->path, p->name, sp->name);
                lfd_policy_free(&p);
            }
            if (rc == LFD_OK)
                rc = srv_model_new(s, &m, p, s->cfg.max_batch, &err);
            if (rc) {
                atomic_fetch_add(&s->reload_failures, 1);
                lfd_warn("kept policy '%s' as it was: %s", sp->name, err.msg);
                continue;
            }
            pthread_mutex_lock(&s->reload_mu);
            srv_model_free(&sp->pending);
            sp->pending = m;
            atomic_store(&s->reload_ready, 1);
            pthread_mutex_unlock(&s->reload_mu);
        }
        sleep_s(s->cfg.watch_interval_s);
    }
    return NULL;
}

/* ---- CURVE: the ZAP handler (RFC 27) ------------------------------------------------- */

/* 1 if key (32 bytes) is one of DIR/clients/ *.pub (read on each handshake,
   so keys can be added or removed while serving). */
static int key_allowed(const char *dir, const uint8_t *key, char *z85_out)
{
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/clients", dir);
    zmq_z85_encode(z85_out, key, 32);
    DIR *d = opendir(cdir);
    if (!d)
        return 0;
    int ok = 0;
    struct dirent *e;
    while (!ok && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub"))
            continue;
        char path[4600], pub[41];
        snprintf(path, sizeof path, "%s/%s", cdir, e->d_name);
        if (lfd_keys_read(path, pub, NULL, NULL) == LFD_OK && !strcmp(pub, z85_out))
            ok = 1;
    }
    closedir(d);
    return ok;
}

static int cmp_key(const void *a, const void *b) { return strcmp(a, b); }

int srv_keys_reload(lfd_server *s, lfd_err *err)
{
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/clients", s->curve_dir);
    char (*k)[41] = NULL;
    int n = 0, cap = 0;
    DIR *d = opendir(cdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".pub"))
            continue;
        char path[4600], pub[41];
        snprintf(path, sizeof path, "%s/%s", cdir, e->d_name);
        if (lfd_keys_read(path, pub, NULL, NULL) != LFD_OK)
            continue;
        if (n == cap) {
            int nc = cap ? 2 * cap : 16;
            char (*m)[41] = realloc(k, (size_t)nc * sizeof *k);
            if (!m) {
                /* a partial list would lock out clients: keep the one in force */
                if (d)
                    closedir(d);
                free(k);
                return lfd_fail(err, LFD_ENOMEM, "%s: out of memory reading the client keys", cdir);
            }
            k = m;
            cap = nc;
        }
        memcpy(k[n++], pub, 41);
    }
    if (d)
        closedir(d);
    if (n > 1)
        qsort(k, (size_t)n, sizeof *k, cmp_key);
    pthread_mutex_lock(&s->keys_mu);
    int same = n == s->nkeys && (n == 0 || !memcmp(k, s->keys, (size_t)n * sizeof *k));
    if (!same) {
        free(s->keys);
        s->keys = k;
        s->nkeys = n;
        k = NULL;
        atomic_fetch_add(&s->keys_gen, 1);
    }
    pthread_mutex_unlock(&s->keys_mu);
    free(k);
    return LFD_OK;
}

int srv_key_allowed_now(lfd_server *s, const char *key)
{
    pthread_mutex_lock(&s->keys_mu);
    int ok = s->keys && bsearch(key, s->keys, (size_t)s->nkeys, sizeof *s->keys, cmp_key);
    pthread_mutex_unlock(&s->keys_mu);
    return ok;
}

void *srv_zap_main(void *arg)
{
    lfd_server *s = arg;
    double last_reload = 0;
    while (!atomic_load(&s->stop)) {
        /* the allow-list as the serving thread sees it, re-read every second */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double now = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
        if (now - last_reload >= 1.0) {
            lfd_err e = {0};
            if (srv_keys_reload(s, &e))
                lfd_warn("lfd serve: %s (the previous allow-list stays)", e.msg);
            last_reload = now;
        }
        zmq_pollitem_t it = {s->zap_sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0)
            continue;
        char fr[8][300];
        size_t len[8];
        int n = 0, more = 1;
        while (more) {
            int r = zmq_recv(s->zap_sock, n < 8 ? fr[n] : fr[7], 300, 0);
            if (r < 0)
                break;
            if (n < 8)
                len[n++] = (size_t)r < 300 ? (size_t)r : 300;
            int m = 0;
            size_t ms = sizeof m;
            zmq_getsockopt(s->zap_sock, ZMQ_RCVMORE, &m, &ms);
            more = m;
        }
        if (n < 6)
            continue;
        char z85[41] = "";
        int ok = n >= 7 && len[5] == 5 && !memcmp(fr[5], "CURVE", 5) && len[6] == 32 &&
                 key_allowed(s->curve_dir, (const uint8_t *)fr[6], z85);
        char addr[64];
        snprintf(addr, sizeof addr, "%.*s", (int)(len[3] < 63 ? len[3] : 63), fr[3]);
        if (!ok)
            lfd_warn("refused a client from %s: key %s is not in %s/clients", addr,
                     z85[0] ? z85 : "(none)", s->curve_dir);
        zmq_send(s->zap_sock, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(s->zap_sock, fr[1], len[1], ZMQ_SNDMORE);
        zmq_send(s->zap_sock, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(s->zap_sock, ok ? "OK" : "key not allowed", ok ? 2 : 15, ZMQ_SNDMORE);
        zmq_send(s->zap_sock, ok ? z85 : "", ok ? 40 : 0, ZMQ_SNDMORE);
        zmq_send(s->zap_sock, "", 0, 0);
    }
    return NULL;
}
