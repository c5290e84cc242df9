/*  lfd_server_sess: the server's session table (see lfd_server.h and the
    Transport section of docs/protocol.md).  Sessions live in a fixed array
    (max_sessions) with an open-addressing table keyed by ZeroMQ routing id
    (backward-shift deletion, no tombstones) for the per-message lookup;
    finding a hello's session_token or the least recently active session
    scans the array, at hello only.  Internals shared through
    lfd_server_int.h. */
#include <stdio.h>
#include <string.h>

#include "core/lfd_log.h"
#include "runtime/lfd_server_int.h"

static uint32_t id_hash(const uint8_t *id, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ id[i]) * 16777619u;
    return h;
}

int srv_sess_find(const lfd_server *s, const uint8_t *id, int n)
{
    uint32_t h = id_hash(id, n) & s->tabmask;
    while (s->tab[h] >= 0) {
        const session *x = &s->sess[s->tab[h]];
        if (x->idlen == n && !memcmp(x->id, id, (size_t)n))
            return s->tab[h];
        h = (h + 1) & s->tabmask;
    }
    return -1;
}

int srv_sess_find_own(const lfd_server *s, const uint8_t *id, int n)
{
    int i = srv_sess_find(s, id, n);
    return i >= 0 && !strcmp(s->sess[i].key, s->cur_key) ? i : -1;
}

/* Takes session idx out of the routing-id table (the slot stays used). */
void srv_tab_del(lfd_server *s, int idx)
{
    session *x = &s->sess[idx];
    uint32_t i = id_hash(x->id, x->idlen) & s->tabmask;
    while (s->tab[i] != idx)
        i = (i + 1) & s->tabmask;
    s->tab[i] = -1;
    /* backward-shift the probe chain so lookups need no tombstones */
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & s->tabmask;
        if (s->tab[j] < 0)
            break;
        const session *y = &s->sess[s->tab[j]];
        uint32_t k = id_hash(y->id, y->idlen) & s->tabmask;
        int move = (j > i) ? (k <= i || k > j) : (k <= i && k > j);
        if (move) {
            s->tab[i] = s->tab[j];
            s->tab[j] = -1;
            i = j;
        }
    }
}

/* Files session idx under routing id (id, n). */
void srv_tab_add(lfd_server *s, int idx, const uint8_t *id, int n)
{
    session *x = &s->sess[idx];
    memcpy(x->id, id, (size_t)n);
    x->idlen = n;
    uint32_t h = id_hash(id, n) & s->tabmask;
    while (s->tab[h] >= 0)
        h = (h + 1) & s->tabmask;
    s->tab[h] = idx;
}

void srv_sess_remove(lfd_server *s, int idx)
{
    srv_tab_del(s, idx);
    s->sess[idx].used = 0;
    s->freelist[s->nfree++] = idx;
    s->nsess--;
}

int srv_sess_insert(lfd_server *s, const uint8_t *id, int n)
{
    if (s->nfree == 0)
        return -1;
    int idx = s->freelist[--s->nfree];
    session *x = &s->sess[idx];
    x->used = 1;
    x->toklen = 0;
    x->key[0] = '\0';
    srv_tab_add(s, idx, id, n);
    s->nsess++;
    return idx;
}

/* The session holding a hello's session_token (and, under CURVE, opened
   with the same client key), or -1.  Only hellos look, never the per-act
   path: a scan of the table. */
int srv_sess_find_token(const lfd_server *s, const uint8_t *tok, uint32_t n, const char *key)
{
    for (int i = 0; i < s->max_sess; i++) {
        const session *x = &s->sess[i];
        if (x->used && x->toklen == (int)n && !memcmp(x->token, tok, n) && !strcmp(x->key, key))
            return i;
    }
    return -1;
}

/* The least recently active session (of client key key when key != NULL),
   and how many sessions that key holds. */
int srv_sess_lru(const lfd_server *s, const char *key, int *count)
{
    int best = -1, n = 0;
    for (int i = 0; i < s->max_sess; i++) {
        const session *x = &s->sess[i];
        if (!x->used || (key && strcmp(x->key, key)))
            continue;
        n++;
        if (best < 0 || x->last_active_ns < s->sess[best].last_active_ns)
            best = i;
    }
    if (count)
        *count = n;
    return best;
}

/* Ends session idx to make room for a newcomer (its client's next request
   gets no_session, and its hello takes a slot back the same way).  The
   batch is empty here (handle_hello flushed it). */
void srv_sess_evict(lfd_server *s, int idx, const char *why)
{
    lfd_debug("session of '%s' ended: %s", s->sess[idx].client, why);
    srv_sess_remove(s, idx);
    s->st.sessions_evicted++;
}

void srv_sweep_sessions(lfd_server *s, int64_t now_ns)
{
    /* idle_s past what int64 nanoseconds hold (about 292 years; inf): no
       session expires (the cast overflowed and ended every session within
       the second: found by review, lfd serve --idle-s inf) */
    int64_t idle_ns = s->cfg.idle_s >= 9e9 ? INT64_MAX : (int64_t)(s->cfg.idle_s * 1e9);
    for (int i = 0; i < s->max_sess; i++) {
        session *x = &s->sess[i];
        if (x->used && !x->pending && now_ns - x->last_active_ns > idle_ns) {
            lfd_debug("session %s expired after %.0f s idle", x->client, s->cfg.idle_s);
            srv_sess_remove(s, i);
            s->st.sessions_expired++;
        }
    }
    s->last_sweep_ns = now_ns;
}
