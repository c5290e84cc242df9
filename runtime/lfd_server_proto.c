/*  lfd_server_proto: packs the server's hello, pong and stats replies
    (docs/protocol.md; the server's internals in lfd_server_int.h).  The
    act reply and the error reply are encoded by runtime/lfd_proto.c, which
    the client library shares; these three need the policy and the
    server's state, so they live with the server. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "runtime/lfd_server_int.h"

static void pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    lfd_mp_pack_cstr(pk, k);
    lfd_mp_pack_cstr(pk, v);
}

static void pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
    lfd_mp_pack_cstr(pk, k);
    msgpack_pack_uint64(pk, v);
}

static void pack_kv_f64(msgpack_packer *pk, const char *k, double v)
{
    lfd_mp_pack_cstr(pk, k);
    msgpack_pack_double(pk, v);
}

static void pack_name_table(msgpack_packer *pk, const char *key, const char *names,
                            size_t stride, int n)
{
    lfd_mp_pack_cstr(pk, key);
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        lfd_mp_pack_cstr(pk, names + (size_t)i * stride);
}

/* The lineage as is when small, else its size and first keys. */
static void pack_lineage(msgpack_packer *pk, const lfd_prov *lin)
{
    size_t bytes = 8;
    for (int i = 0; i < lin->n; i++)
        bytes += strlen(lin->e[i].key) + 8 + lin->e[i].len;
    if (bytes <= LINEAGE_INLINE_MAX) {
        lfd_prov_pack(lin, pk);
        return;
    }
    int nk = lin->n < 32 ? lin->n : 32;
    msgpack_pack_map(pk, 4);
    lfd_mp_pack_cstr(pk, "truncated");
    msgpack_pack_true(pk);
    pack_kv_u64(pk, "entries", (uint64_t)lin->n);
    pack_kv_u64(pk, "bytes", (uint64_t)lin->bytes);
    lfd_mp_pack_cstr(pk, "keys");
    msgpack_pack_array(pk, (size_t)nk);
    for (int i = 0; i < nk; i++)
        lfd_mp_pack_cstr(pk, lin->e[i].key);
}

static void pack_policy_names(msgpack_packer *pk, const lfd_server *s)
{
    lfd_mp_pack_cstr(pk, "policies");
    msgpack_pack_array(pk, (size_t)s->npol);
    for (int i = 0; i < s->npol; i++)
        lfd_mp_pack_cstr(pk, s->pol[i].name);
}

void srv_reply_hello(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env, uint64_t seq,
                        const lfd_policy *p, int session_open)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, s->outmem, s->outcap);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 23, LFD_MSG_HELLO, seq, lfd_proto_wall_s());
    pack_kv_str(&pk, "server", SERVER_NAME);
    lfd_mp_pack_cstr(&pk, "session");
    if (session_open)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    pack_kv_str(&pk, "policy", p->name);
    pack_kv_str(&pk, "hash", p->hash);
    pack_kv_str(&pk, "kind", p->kind == LFD_POLICY_MLP ? "mlp" : "playback");
    pack_kv_str(&pk, "robot", p->robot);
    pack_kv_str(&pk, "model_hash", p->model_hash);
    pack_kv_f64(&pk, "control_period_s", p->control_period_s);
    pack_kv_u64(&pk, "chunk", (uint64_t)p->chunk);
    pack_name_table(&pk, "obs_names", p->obs_names[0], sizeof p->obs_names[0], p->obs_dim);
    pack_name_table(&pk, "obs_units", p->obs_units[0], sizeof p->obs_units[0], p->obs_dim);
    pack_name_table(&pk, "act_names", p->act_names[0], sizeof p->act_names[0], p->act_dim);
    pack_name_table(&pk, "act_units", p->act_units[0], sizeof p->act_units[0], p->act_dim);
    const struct {
        const char *k;
        const float *v;
    } vecs[] = {{"default_action", p->default_action}, {"act_lo", p->act_lo},
                {"act_hi", p->act_hi}, {"vel_limit", p->vel_limit},
                {"acc_limit", p->acc_limit}};
    for (int i = 0; i < 5; i++) {
        lfd_mp_pack_cstr(&pk, vecs[i].k);
        lfd_proto_pack_vec(&pk, vecs[i].v, 0, p->act_dim);
    }
    pack_kv_str(&pk, "norm", p->normalized ? "meanstd" : "none");
    lfd_mp_pack_cstr(&pk, "lineage");
    pack_lineage(&pk, &p->lineage);
    pack_kv_u64(&pk, "max_msg_bytes", s->cfg.max_msg_bytes);
    pack_kv_f64(&pk, "deadline_s", s->cfg.deadline_s);
    pack_policy_names(&pk, s);
    if (!lfd_buf_ok(&b)) {
        srv_send_error(s, id, idlen, env, seq, LFD_PE_INTERNAL, "hello reply too large");
        return;
    }
    srv_send_reply(s, id, idlen, env, b.data, b.len);
}

void srv_handle_ping(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                        const lfd_req *rq, int64_t now_ns)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, s->outmem, s->outcap);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 4, LFD_MSG_PONG, rq->seq, lfd_proto_wall_s());
    pack_kv_str(&pk, "server", SERVER_NAME);
    pack_kv_f64(&pk, "t_req", rq->t_s);
    pack_kv_f64(&pk, "uptime_s", (double)(now_ns - s->t_start_ns) * 1e-9);
    pack_policy_names(&pk, s);
    if (lfd_buf_ok(&b))
        srv_send_reply(s, id, idlen, env, b.data, b.len);
}

void srv_handle_stats(lfd_server *s, const uint8_t *id, int idlen, const srv_env *env,
                         const lfd_req *rq, int64_t now_ns)
{
    int sidx = srv_sess_find_own(s, id, idlen);
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init_fixed(&b, s->outmem, s->outcap);
    lfd_packer_init(&pk, &b);
    lfd_proto_pack_header(&pk, 2, LFD_MSG_STATS, rq->seq, lfd_proto_wall_s());
    const lfd_server_stats *st = &s->st;
    lfd_mp_pack_cstr(&pk, "server");
    msgpack_pack_map(&pk, 22);
    pack_kv_f64(&pk, "uptime_s", (double)(now_ns - s->t_start_ns) * 1e-9);
    pack_kv_u64(&pk, "messages", st->messages);
    pack_kv_u64(&pk, "replies", st->replies);
    pack_kv_u64(&pk, "errors", st->errors);
    pack_kv_u64(&pk, "acts", st->acts);
    pack_kv_u64(&pk, "batches", st->batches);
    pack_kv_u64(&pk, "holds", st->holds);
    pack_kv_u64(&pk, "deadline_misses", st->deadline_misses);
    pack_kv_u64(&pk, "dropped_replies", st->dropped_replies);
    pack_kv_u64(&pk, "sessions", (uint64_t)s->nsess);
    pack_kv_u64(&pk, "max_sessions", (uint64_t)s->max_sess);
    pack_kv_u64(&pk, "sessions_refused", st->sessions_refused);
    pack_kv_u64(&pk, "sessions_expired", st->sessions_expired);
    pack_kv_u64(&pk, "sessions_evicted", st->sessions_evicted);
    pack_kv_u64(&pk, "sessions_taken_over", st->sessions_taken_over);
    pack_kv_u64(&pk, "sessions_revoked", st->sessions_revoked);
    pack_kv_u64(&pk, "reloads", st->reloads);
    pack_kv_u64(&pk, "reload_failures", (uint64_t)atomic_load(&s->reload_failures));
    lfd_mp_pack_cstr(&pk, "errors_by_code");
    int ncodes = 0;
    for (int i = 1; i < LFD_PE_COUNT; i++)
        ncodes += st->errors_by_code[i] > 0;
    msgpack_pack_map(&pk, (size_t)ncodes);
    for (int i = 1; i < LFD_PE_COUNT; i++)
        if (st->errors_by_code[i])
            pack_kv_u64(&pk, lfd_proto_error_name((lfd_proto_error)i), st->errors_by_code[i]);
    lfd_mp_pack_cstr(&pk, "act_us");
    msgpack_pack_map(&pk, 4);
    pack_kv_f64(&pk, "handle_p50", lfd_server_hist_pct(st->handle_hist, 50));
    pack_kv_f64(&pk, "handle_p99", lfd_server_hist_pct(st->handle_hist, 99));
    pack_kv_f64(&pk, "overhead_beyond_infer_p50", lfd_server_hist_pct(st->overhead_hist, 50));
    pack_kv_f64(&pk, "overhead_beyond_infer_p99", lfd_server_hist_pct(st->overhead_hist, 99));
    lfd_mp_pack_cstr(&pk, "mean_us");
    double n = st->acts ? (double)st->acts : 1;
    msgpack_pack_map(&pk, 6);
    pack_kv_f64(&pk, "decode", st->decode_us / n);
    pack_kv_f64(&pk, "normalise", st->normalise_us / n);
    pack_kv_f64(&pk, "infer", st->infer_us / n);
    pack_kv_f64(&pk, "filter", st->filter_us / n);
    pack_kv_f64(&pk, "encode", st->encode_us / n);
    pack_kv_f64(&pk, "handle", st->handle_us / n);
    lfd_mp_pack_cstr(&pk, "policies");
    msgpack_pack_array(&pk, (size_t)s->npol);
    for (int i = 0; i < s->npol; i++) {
        msgpack_pack_map(&pk, 5);
        pack_kv_str(&pk, "name", s->pol[i].name);
        pack_kv_str(&pk, "hash", s->pol[i].m->p->hash);
        pack_kv_u64(&pk, "generation", s->pol[i].generation);
        pack_kv_u64(&pk, "acts", s->pol[i].acts);
        pack_kv_u64(&pk, "holds", s->pol[i].holds);
    }
    lfd_mp_pack_cstr(&pk, "session");
    if (sidx < 0) {
        msgpack_pack_nil(&pk);
    } else {
        const session *x = &s->sess[sidx];
        msgpack_pack_map(&pk, 11);
        pack_kv_str(&pk, "policy", s->pol[x->policy].name);
        pack_kv_str(&pk, "client", x->client);
        pack_kv_f64(&pk, "age_s", (double)(now_ns - x->created_ns) * 1e-9);
        pack_kv_u64(&pk, "acts", x->acts);
        pack_kv_u64(&pk, "holds", x->holds);
        pack_kv_u64(&pk, "errors", x->errors);
        pack_kv_u64(&pk, "clamped", x->counts.clamped);
        pack_kv_u64(&pk, "vel_limited", x->counts.vel_limited);
        pack_kv_u64(&pk, "acc_limited", x->counts.acc_limited);
        pack_kv_u64(&pk, "nonfinite", x->counts.nonfinite);
        pack_kv_u64(&pk, "start_clamped", x->counts.start_clamped);
    }
    if (!lfd_buf_ok(&b)) {
        srv_send_error(s, id, idlen, env, rq->seq, LFD_PE_INTERNAL, "stats reply too large");
        return;
    }
    srv_send_reply(s, id, idlen, env, b.data, b.len);
}
