/*  Tests for residual action policies (policies/lfd_policy.h, action_mode
    "residual"): each chunk row = previous action (read from the
    observation's prev block) + a learnt change.  Save/load round trip with
    identical actions, single and batch steps and the server's output path
    agreeing to the bit, an all-zero network reproducing the zero-order hold
    exactly, old (version 1-2) files read as absolute, inconsistent files
    refused with a clear reason, and the `lfd train --action-mode` flags.
    (Training on synthetic demonstrations, which is residual by default, is
    covered by tests/test_policy_bc.c.) */
#include <math.h>
#include <stdlib.h>

#include "core/lfd_io.h"
#include "core/lfd_mp.h"
#include "core/lfd_ndarray.h"
#include "core/lfd_seal.h"
#include "policies/lfd_policy.h"
#include "tests/lfd_test.h"

enum { NOBS = 7, NACT = 4, CHUNK = 3, NDRIVEN = 2 };

/* A toy MLP policy: 4 joints of which 1 and 3 are driven; observations
   q.j1, q.j3, qd.j1, qd.j3, prev.joint_1, prev.joint_3, phase. */
static lfd_policy *toy_policy(int residual)
{
    lfd_err err = {0};
    lfd_policy *p;
    CHECK_OK(lfd_policy_new(&p, LFD_POLICY_MLP, NOBS, NACT, CHUNK, &err), &err);
    snprintf(p->name, sizeof p->name, "toy-res");
    snprintf(p->robot, sizeof p->robot, "toy");
    p->control_period_s = 0.02;
    const char *on[NOBS] = {"q.joint_1",    "q.joint_3",    "qd.joint_1", "qd.joint_3",
                            "prev.joint_1", "prev.joint_3", "phase"};
    for (int i = 0; i < NOBS; i++) {
        snprintf(p->obs_names[i], sizeof p->obs_names[i], "%s", on[i]);
        snprintf(p->obs_units[i], sizeof p->obs_units[i], "rad");
        p->obs_mean[i] = 0.05f * (float)i;
        p->obs_std[i] = 0.5f + 0.25f * (float)i;
    }
    for (int j = 0; j < NACT; j++) {
        snprintf(p->act_names[j], sizeof p->act_names[j], "joint_%d", j);
        snprintf(p->act_units[j], sizeof p->act_units[j], "rad");
        p->act_lo[j] = -2;
        p->act_hi[j] = 2;
        p->vel_limit[j] = 10;
        p->default_action[j] = 0.1f * (float)(j + 1);
        p->act_mean[j] = p->default_action[j];
        p->act_std[j] = 0.4f;
    }
    int driven[NDRIVEN] = {1, 3};
    CHECK_OK(lfd_policy_set_driven(p, NDRIVEN, driven, &err), &err);
    int dims[3] = {NOBS, 16, CHUNK * NDRIVEN};
    lfd_activation acts[2] = {LFD_ACT_TANH, LFD_ACT_LINEAR};
    CHECK_OK(lfd_mlp_new(&p->mlp, 2, dims, acts, &err), &err);
    lfd_mlp_init_random(p->mlp, 5);
    if (residual) {
        float dm[NDRIVEN] = {0.01f, -0.02f}, ds[NDRIVEN] = {0.05f, 0.08f};
        CHECK_OK(lfd_policy_set_action_mode(p, LFD_ACTION_RESIDUAL, dm, ds, &err), &err);
        CHECK_EQ_INT(p->prev_off, 4);
    }
    return p;
}

static void toy_obs(float *obs, int k)
{
    for (int i = 0; i < NOBS; i++)
        obs[i] = 0.4f * sinf(0.7f * (float)i + 0.3f * (float)k);
}

TEST(residual_policy_round_trips_and_matches_its_definition)
{
    lfd_err err = {0};
    lfd_policy *p = toy_policy(1), *q;
    char path[512];
    snprintf(path, sizeof path, "%s/res.lfdp", lfd_test_tmpdir());
    CHECK_OK(lfd_policy_save(p, path, &err), &err);
    CHECK_OK(lfd_policy_load(&q, path, &err), &err);
    CHECK(q->action_mode == LFD_ACTION_RESIDUAL);
    CHECK_EQ_INT(q->prev_off, 4);
    CHECK_NEAR(q->delta_std[1], 0.08f, 0);
    lfd_policy_ws *wp, *wq, *wb;
    CHECK_OK(lfd_policy_ws_new(&wp, p, &err), &err);
    CHECK_OK(lfd_policy_ws_new(&wq, q, &err), &err);
    CHECK_OK(lfd_policy_ws_new_batch(&wb, q, 3, &err), &err);
    enum { NOUT = CHUNK * NACT };
    float obs[3 * NOBS], a[NOUT], b[NOUT], batch[3 * NOUT];
    for (int k = 0; k < 3; k++)
        toy_obs(obs + k * NOBS, k);
    CHECK_OK(lfd_policy_step_batch(q, wb, 3, obs, batch, &err), &err);
    for (int k = 0; k < 3; k++) {
        const float *o = obs + k * NOBS;
        CHECK_OK(lfd_policy_step(p, wp, o, a, &err), &err);
        CHECK_OK(lfd_policy_step(q, wq, o, b, &err), &err);
        /* loaded = saved to the bit; a batch (sgemm) = single steps to rounding */
        CHECK(memcmp(a, b, sizeof a) == 0);
        for (int i = 0; i < NOUT; i++)
            CHECK_NEAR(batch[k * NOUT + i], a[i], 1e-6);
        /* the definition, by hand: prev + default + out * std + mean */
        float on[NOBS], raw[CHUNK * NDRIVEN], mws[256];
        CHECK(lfd_mlp_ws_floats(p->mlp, 1) <= 256);
        for (int i = 0; i < NOBS; i++)
            on[i] = (o[i] - p->obs_mean[i]) / p->obs_std[i];
        lfd_mlp_forward(p->mlp, mws, on, raw);
        for (int row = 0; row < CHUNK; row++) {
            CHECK_NEAR(a[row * NACT + 0], p->default_action[0], 0);
            CHECK_NEAR(a[row * NACT + 2], p->default_action[2], 0);
            for (int d = 0; d < NDRIVEN; d++) {
                int j = d ? 3 : 1;
                double want = (double)o[4 + d] + p->default_action[j] +
                              (double)raw[row * NDRIVEN + d] * p->delta_std[d] +
                              p->delta_mean[d];
                CHECK_NEAR(a[row * NACT + j], want, 1e-6);
            }
        }
        /* the network's rows turned into actions on their own, from the raw
           prev blocks kept apart, as the server does with a batch (the
           server itself: serve_residual_policy_equals_policy_then_filter) */
        float buf[NOUT], prev[NDRIVEN];
        memcpy(prev, o + q->prev_off, sizeof prev);
        memcpy(buf, raw, sizeof raw);
        lfd_policy_output_rows(q, 1, prev, NDRIVEN, buf);
        CHECK(memcmp(buf, a, sizeof a) == 0);
    }
    lfd_policy_ws_free(&wp);
    lfd_policy_ws_free(&wq);
    lfd_policy_ws_free(&wb);
    lfd_policy_free(&q);
    lfd_policy_free(&p);
}

TEST(residual_policy_with_zero_network_is_the_zero_order_hold)
{
    lfd_err err = {0};
    lfd_policy *p = toy_policy(1);
    /* all-zero weights and biases, zero delta mean: the change is 0 */
    for (int l = 0; l < p->mlp->nlayers; l++) {
        lfd_mlp_layer *L = &p->mlp->layers[l];
        memset(L->w, 0, (size_t)L->in * (size_t)L->out * sizeof(float));
        memset(L->b, 0, (size_t)L->out * sizeof(float));
    }
    float dm[NDRIVEN] = {0, 0}, ds[NDRIVEN] = {0.05f, 0.08f};
    CHECK_OK(lfd_policy_set_action_mode(p, LFD_ACTION_RESIDUAL, dm, ds, &err), &err);
    lfd_policy_ws *ws;
    CHECK_OK(lfd_policy_ws_new(&ws, p, &err), &err);
    float obs[NOBS], a[CHUNK * NACT];
    for (int k = 0; k < 20; k++) {
        toy_obs(obs, k);
        /* the previous action in absolute terms, as a controller would hold it */
        float hold[NACT];
        for (int j = 0; j < NACT; j++)
            hold[j] = p->default_action[j];
        hold[1] = obs[4] + p->default_action[1];
        hold[3] = obs[5] + p->default_action[3];
        CHECK_OK(lfd_policy_step(p, ws, obs, a, &err), &err);
        /* every row equals the previous action exactly */
        for (int row = 0; row < CHUNK; row++)
            CHECK(memcmp(a + row * NACT, hold, sizeof hold) == 0);
    }
    /* the same network in absolute mode outputs act_mean instead: not the hold */
    CHECK_OK(lfd_policy_set_action_mode(p, LFD_ACTION_ABSOLUTE, NULL, NULL, &err), &err);
    CHECK_OK(lfd_policy_step(p, ws, obs, a, &err), &err);
    CHECK(fabsf(a[1] - (obs[4] + p->default_action[1])) > 1e-3f);
    lfd_policy_ws_free(&ws);
    lfd_policy_free(&p);
}

/* ---- files: rewriting one entry of an encoded policy and resealing ---------------- */

typedef void (*pack_fn)(msgpack_packer *pk);

/* A copy of the sealed policy file in with the value of key replaced by
   what pack writes (pack NULL: the entry dropped; key absent: added). */
static void rewrite(const lfd_buf *in, const char *key, pack_fn pack, lfd_buf *out)
{
    lfd_err err = {0};
    lfd_mpr r;
    lfd_mpr_init(&r, in->data, in->len - LFD_SEAL_LEN);
    uint32_t n;
    CHECK_OK(lfd_mpr_map(&r, &n, &err), &err);
    lfd_buf body;
    lfd_buf_init(&body, 1 << 26);
    msgpack_packer pk;
    lfd_packer_init(&pk, &body);
    int found = 0;
    uint32_t kept = 0;
    /* n - 1 entries precede the seal */
    for (uint32_t i = 0; i + 1 < n; i++) {
        const uint8_t *k0 = r.p, *k;
        uint32_t kl;
        CHECK_OK(lfd_mpr_bytes(&r, &k, &kl, &err), &err);
        const uint8_t *v0 = r.p;
        CHECK_OK(lfd_mpr_skip(&r, &err), &err);
        if (lfd_mp_key_is(k, kl, key)) {
            found = 1;
            if (pack) {
                lfd_buf_append(&body, k0, (size_t)(v0 - k0));
                pack(&pk);
                kept++;
            }
        } else {
            lfd_buf_append(&body, k0, (size_t)(r.p - k0));
            kept++;
        }
    }
    if (!found && pack) {
        lfd_mp_pack_cstr(&pk, key);
        pack(&pk);
        kept++;
    }
    lfd_buf_init(out, 1 << 26);
    msgpack_packer po;
    lfd_packer_init(&po, out);
    msgpack_pack_map(&po, (size_t)kept + 1);
    lfd_buf_append(out, body.data, body.len);
    CHECK_OK(lfd_seal_append(out, &err), &err);
    lfd_buf_free(&body);
}

static void pack_vec(msgpack_packer *pk, const char *key, const float *v, int n)
{
    uint64_t shape[1] = {(uint64_t)n};
    lfd_mp_pack_cstr(pk, key);
    lfd_nd_pack(pk, LFD_DT_F32, 1, shape, v);
}
static void res_wide(msgpack_packer *pk)
{
    float v[3] = {0.1f, 0.1f, 0.1f};
    msgpack_pack_map(pk, 2);
    pack_vec(pk, "delta_mean", v, 2);
    pack_vec(pk, "delta_std", v, 3);
}
static void res_zero_std(msgpack_packer *pk)
{
    float m[2] = {0, 0}, s[2] = {0.1f, 0};
    msgpack_pack_map(pk, 2);
    pack_vec(pk, "delta_mean", m, 2);
    pack_vec(pk, "delta_std", s, 2);
}
static void mode_relative(msgpack_packer *pk) { lfd_mp_pack_cstr(pk, "relative"); }
static void mode_residual(msgpack_packer *pk) { lfd_mp_pack_cstr(pk, "residual"); }
static void version_2(msgpack_packer *pk) { msgpack_pack_int(pk, 2); }
static void names_no_prev(msgpack_packer *pk)
{
    const char *on[NOBS] = {"q.joint_1", "q.joint_3", "qd.joint_1", "qd.joint_3",
                            "q.joint_0", "q.joint_2", "phase"};
    msgpack_pack_array(pk, NOBS);
    for (int i = 0; i < NOBS; i++)
        lfd_mp_pack_cstr(pk, on[i]);
}
static void names_prev_swapped(msgpack_packer *pk)
{
    const char *on[NOBS] = {"q.joint_1",    "q.joint_3",    "qd.joint_1", "qd.joint_3",
                            "prev.joint_3", "prev.joint_1", "phase"};
    msgpack_pack_array(pk, NOBS);
    for (int i = 0; i < NOBS; i++)
        lfd_mp_pack_cstr(pk, on[i]);
}

TEST(residual_policy_files_refused_when_inconsistent)
{
    lfd_err err = {0};
    lfd_policy *p = toy_policy(1), *q = NULL;
    lfd_buf b, bad;
    CHECK_OK(lfd_policy_encode(p, &b, &err), &err);
    /* the rewriter itself works: a required key dropped is refused */
    rewrite(&b, "name", NULL, &bad);
    CHECK(lfd_policy_decode(&q, bad.data, bad.len, "r.lfdp", &err) == LFD_EPARSE);
    lfd_buf_free(&bad);
    rewrite(&b, "action_mode", mode_residual, &bad);
    CHECK_OK(lfd_policy_decode(&q, bad.data, bad.len, "r.lfdp", &err), &err);
    CHECK(q->action_mode == LFD_ACTION_RESIDUAL);
    lfd_policy_free(&q);
    lfd_buf_free(&bad);
    struct {
        const char *key;
        pack_fn pack;
        int code;
        const char *want;
    } cases[] = {
        {"residual", res_wide, LFD_EMISMATCH, "delta_std"},
        {"residual", res_zero_std, LFD_ENUMERIC, "std"},
        {"residual", NULL, LFD_EPARSE, "missing 'residual'"},
        {"action_mode", mode_relative, LFD_EUNSUPPORTED, "relative"},
        {"version", version_2, LFD_EPARSE, "version 2"},
        {"obs_names", names_no_prev, LFD_EMISMATCH, "prev.joint_1"},
        {"obs_names", names_prev_swapped, LFD_EMISMATCH, "prev.joint_3"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rewrite(&b, cases[c].key, cases[c].pack, &bad);
        int rc = lfd_policy_decode(&q, bad.data, bad.len, "r.lfdp", &err);
        if (rc != cases[c].code)
            fprintf(stderr, "case %zu: rc %d, %s\n", c, rc, err.msg);
        CHECK_EQ_INT(rc, cases[c].code);
        CHECK(q == NULL);
        CHECK_CONTAINS(err.msg, cases[c].want);
        lfd_buf_free(&bad);
    }
    lfd_buf_free(&b);
    /* an absolute policy is written as before (version 2 here: a subset is
       driven) and reads back absolute; "action_mode" cannot be added to it,
       nor "residual" statistics to an absolute version-3 file */
    lfd_policy *a = toy_policy(0);
    CHECK_OK(lfd_policy_encode(a, &b, &err), &err);
    CHECK_OK(lfd_policy_decode(&q, b.data, b.len, "a.lfdp", &err), &err);
    CHECK(q->action_mode == LFD_ACTION_ABSOLUTE);
    CHECK(q->delta_mean == NULL);
    lfd_policy_free(&q);
    rewrite(&b, "action_mode", mode_residual, &bad);
    CHECK(lfd_policy_decode(&q, bad.data, bad.len, "a.lfdp", &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "'action_mode' in a version 2 policy");
    lfd_buf_free(&bad);
    lfd_buf_free(&b);
    /* the library refuses a residual mode the observation cannot support */
    lfd_policy *np = toy_policy(0);
    snprintf(np->obs_names[5], sizeof np->obs_names[5], "prev.joint_2");
    float dm[2] = {0, 0}, ds[2] = {1, 1};
    CHECK(lfd_policy_set_action_mode(np, LFD_ACTION_RESIDUAL, dm, ds, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "prev.joint_3");
    CHECK(np->action_mode == LFD_ACTION_ABSOLUTE);
    snprintf(np->obs_names[5], sizeof np->obs_names[5], "prev.joint_3");
    ds[1] = NAN;
    CHECK(lfd_policy_set_action_mode(np, LFD_ACTION_RESIDUAL, dm, ds, &err) == LFD_ENUMERIC);
    lfd_policy_free(&np);
    lfd_policy_free(&a);
    lfd_policy_free(&p);
}

TEST(train_action_mode_flags)
{
    char out[8192], cmd[1024];
    const char *dir = lfd_test_tmpdir();
    snprintf(cmd, sizeof cmd, "train x.lfdm --robot h1 -o %s/p.lfdp --action-mode relative",
             dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 2);
    CHECK_CONTAINS(out, "relative");
    snprintf(cmd, sizeof cmd,
             "train x.lfdm --robot h1 -o %s/p.lfdp --action-mode residual --no-prev-action",
             dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 2);
    CHECK_CONTAINS(out, "previous action");
}
