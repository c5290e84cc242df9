/*  Tests for behaviour cloning end to end (policies/lfd_bc, lfd_eval,
    lfd_safetensors): safetensors import of a file written here against
    hand-computed outputs, bad safetensors files, training an upper-body
    policy on synthetic demonstrations (save/load identical, NaN refused,
    offline evaluation beating the baselines, closed loop standing), the
    lfd check gate, and consent refusal + lineage through `lfd train`. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_sha256.h"
#include "policies/lfd_bc.h"
#include "policies/lfd_eval.h"
#include "policies/lfd_safetensors.h"
#include "tests/lfd_test.h"

/* ---- a safetensors writer (the format, written independently of the reader) ---- */

typedef struct st_item {
    const char *name, *dtype;
    int rank;
    int shape[2];
    const float *v;
} st_item;

static size_t st_write(uint8_t *buf, size_t cap, const st_item *it, int n)
{
    char hdr[4096];
    size_t hl = 0, off = 0;
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < n; i++) {
        size_t cnt = (size_t)it[i].shape[0] * (size_t)(it[i].rank == 2 ? it[i].shape[1] : 1);
        size_t es = strcmp(it[i].dtype, "F32") == 0 ? 4 : 2;
        if (it[i].rank == 2)
            hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl,
                                   ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}",
                                   it[i].name, it[i].dtype, it[i].shape[0], it[i].shape[1], off,
                                   off + cnt * es);
        else
            hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl,
                                   ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}",
                                   it[i].name, it[i].dtype, it[i].shape[0], off, off + cnt * es);
        off += cnt * es;
    }
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "}");
    while (hl % 8) /* the format pads the header with spaces */
        hdr[hl++] = ' ';
    CHECK(8 + hl + off <= cap);
    for (int k = 0; k < 8; k++)
        buf[k] = (uint8_t)((uint64_t)hl >> (8 * k));
    memcpy(buf + 8, hdr, hl);
    uint8_t *d = buf + 8 + hl;
    for (int i = 0; i < n; i++) {
        size_t cnt = (size_t)it[i].shape[0] * (size_t)(it[i].rank == 2 ? it[i].shape[1] : 1);
        for (size_t j = 0; j < cnt; j++) {
            uint32_t u;
            memcpy(&u, &it[i].v[j], 4);
            if (strcmp(it[i].dtype, "F32") == 0) {
                for (int k = 0; k < 4; k++)
                    *d++ = (uint8_t)(u >> (8 * k));
            } else { /* BF16: the top half (values chosen to be exact) */
                *d++ = (uint8_t)(u >> 16);
                *d++ = (uint8_t)(u >> 24);
            }
        }
    }
    return 8 + hl + off;
}

static lfd_robot *load_h1(void)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, "h1", &err), &err);
    return r;
}

TEST(safetensors_import_gives_expected_outputs)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    /* the observation lfd builds for an upper-body h1 policy without prev action */
    lfd_st_layout lay;
    lfd_st_layout_init(&lay);
    lay.obs.upper_body = 1;
    lay.obs.prev_action = 0;
    lay.chunk = 2;
    lfd_obs_layout L;
    CHECK_OK(lfd_obs_layout_init(&L, r, &lay.obs, &err), &err);
    int in = L.dim, H = 5, nd = L.ndriven, out = 2 * nd;
    /* weights: a known pattern; the hidden bias as BF16 (exact values) */
    float *w0 = malloc((size_t)H * (size_t)in * sizeof(float)), b0[5], w1[5 * 64], b1[64];
    float om[64], os[64], am[64], as[64];
    for (int i = 0; i < H * in; i++)
        w0[i] = (float)((i * 37 % 11) - 5) / 8.0f;
    for (int i = 0; i < H; i++)
        b0[i] = 0.25f * (float)(i - 2);
    for (int i = 0; i < out * H; i++)
        w1[i] = (float)((i * 13 % 7) - 3) / 4.0f;
    for (int i = 0; i < out; i++)
        b1[i] = 0.01f * (float)i;
    for (int i = 0; i < in; i++) {
        om[i] = 0.1f * (float)(i % 3);
        os[i] = 0.5f + 0.25f * (float)(i % 2);
    }
    for (int d = 0; d < nd; d++) {
        am[d] = 0.05f * (float)d;
        as[d] = 0.2f;
    }
    st_item it[] = {{"net.0.weight", "F32", 2, {H, in}, w0}, {"net.0.bias", "BF16", 1, {H, 0}, b0},
                    {"net.2.weight", "F32", 2, {out, H}, w1}, {"net.2.bias", "F32", 1, {out, 0}, b1},
                    {"obs_mean", "F32", 1, {in, 0}, om},    {"obs_std", "F32", 1, {in, 0}, os},
                    {"act_mean", "F32", 1, {nd, 0}, am},    {"act_std", "F32", 1, {nd, 0}, as}};
    static uint8_t buf[1 << 16];
    size_t len = st_write(buf, sizeof buf, it, 8);
    char path[512], lpath[512], ppath[512], cmd[4096], outtxt[8192];
    snprintf(path, sizeof path, "%s/w.safetensors", lfd_test_tmpdir());
    CHECK_OK(lfd_file_write_atomic(path, buf, len, &err), &err);
    /* library import with CLI-style prefixes */
    lfd_safetensors *st;
    CHECK_OK(lfd_safetensors_load(&st, path, &err), &err);
    CHECK_EQ_INT(st->n, 8);
    CHECK(lfd_safetensors_find(st, "net.0.bias")->dtype == LFD_ST_BF16);
    CHECK_OK(lfd_st_layout_from_prefixes("net.0,net.2", LFD_ACT_TANH, &lay, &err), &err);
    snprintf(lay.obs_mean, sizeof lay.obs_mean, "obs_mean");
    snprintf(lay.obs_std, sizeof lay.obs_std, "obs_std");
    snprintf(lay.act_mean, sizeof lay.act_mean, "act_mean");
    snprintf(lay.act_std, sizeof lay.act_std, "act_std");
    lfd_policy *p;
    CHECK_OK(lfd_policy_from_safetensors(st, &lay, r, "imp", &p, &err), &err);
    CHECK_EQ_INT(p->obs_dim, in);
    CHECK_EQ_INT(p->ndriven, nd);
    /* expected output by hand, in double */
    float obs[64], chunk[2 * 64];
    for (int i = 0; i < in; i++)
        obs[i] = 0.3f * sinf((float)i);
    double h[5];
    for (int k = 0; k < H; k++) {
        double s = b0[k];
        for (int i = 0; i < in; i++)
            s += (double)w0[k * in + i] * ((obs[i] - om[i]) / os[i]);
        h[k] = tanh(s);
    }
    lfd_policy_ws *ws;
    CHECK_OK(lfd_policy_ws_new(&ws, p, &err), &err);
    CHECK_OK(lfd_policy_step(p, ws, obs, chunk, &err), &err);
    for (int row = 0; row < 2; row++)
        for (int j = 0; j < r->njoints; j++) {
            int d = -1;
            for (int k = 0; k < nd; k++)
                if (L.driven[k] == j)
                    d = k;
            double want = r->joints[j].default_q;
            if (d >= 0) {
                double y = b1[row * nd + d];
                for (int k = 0; k < H; k++)
                    y += (double)w1[(row * nd + d) * H + k] * h[k];
                want = y * as[d] + am[d];
            }
            CHECK_NEAR(chunk[row * r->njoints + j], want, 1e-4);
        }
    /* the same through `lfd policy import` with a JSON layout */
    snprintf(lpath, sizeof lpath, "%s/layout.json", lfd_test_tmpdir());
    const char *lj = "{\"layers\": [{\"weight\": \"net.0.weight\", \"bias\": \"net.0.bias\", "
                     "\"activation\": \"tanh\"}, {\"weight\": \"net.2.weight\", \"bias\": "
                     "\"net.2.bias\"}], \"obs_mean\": \"obs_mean\", \"obs_std\": \"obs_std\", "
                     "\"act_mean\": \"act_mean\", \"act_std\": \"act_std\", \"chunk\": 2, "
                     "\"upper_body\": true, \"prev_action\": false}";
    CHECK_OK(lfd_file_write_atomic(lpath, lj, strlen(lj), &err), &err);
    snprintf(ppath, sizeof ppath, "%s/imp.lfdp", lfd_test_tmpdir());
    /* the weights were learnt from data: its people's consent, or --no-people, is required */
    snprintf(cmd, sizeof cmd, "policy import %s --robot h1 --layout %s -o %s", path, lpath, ppath);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, outtxt, sizeof outtxt), 2);
    CHECK_CONTAINS(outtxt, "--no-people");
    CHECK(!lfd_file_exists(ppath));
    char prov[512], prov_text[400];
    snprintf(prov, sizeof prov, "%s/anna.prov.json", lfd_test_tmpdir());
    snprintf(prov_text, sizeof prov_text,
             "{\"contributor_id\": \"anon-anna\", \"consent\": {\"scopes\": [\"research\"], "
             "\"date\": \"2026-01-01\"}}");
    CHECK_OK(lfd_file_write_atomic(prov, prov_text, strlen(prov_text), &err), &err);
    snprintf(cmd, sizeof cmd, "policy import %s --robot h1 --layout %s -o %s --prov %s", path, lpath,
             ppath, prov);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, outtxt, sizeof outtxt), 1); /* research only */
    CHECK_CONTAINS(outtxt, "does not cover 'robot-training'");
    CHECK(!lfd_file_exists(ppath));
    /* a provenance file that does not parse is named once, with its line */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad.prov.json", lfd_test_tmpdir());
    CHECK_OK(lfd_file_write_atomic(bad, "{\"a\": \n", 8, &err), &err);
    snprintf(cmd, sizeof cmd, "policy import %s --robot h1 --layout %s -o %s --prov %s", path, lpath, ppath, bad);
    CHECK(lfd_test_run_lfd(cmd, outtxt, sizeof outtxt) != 0);
    const char *at = strstr(outtxt, bad);
    CHECK(at != NULL);
    CHECK(at && strstr(at + strlen(bad), bad) == NULL);
    CHECK(!lfd_file_exists(ppath));
    snprintf(cmd, sizeof cmd, "policy import %s --robot h1 --layout %s -o %s --prov %s --purpose research",
             path, lpath, ppath, prov);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, outtxt, sizeof outtxt), 0);
    snprintf(cmd, sizeof cmd, "lineage --contributor anon-anna %s", lfd_test_tmpdir());
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, outtxt, sizeof outtxt), 0);
    CHECK_CONTAINS(outtxt, "imp.lfdp");
    snprintf(cmd, sizeof cmd, "policy import %s --robot h1 --layout %s -o %s --no-people", path, lpath, ppath);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, outtxt, sizeof outtxt), 0);
    lfd_policy *q;
    float chunk2[2 * 64];
    CHECK_OK(lfd_policy_load(&q, ppath, &err), &err);
    CHECK_OK(lfd_policy_step(q, ws, obs, chunk2, &err), &err);
    CHECK(memcmp(chunk, chunk2, (size_t)(2 * r->njoints) * sizeof(float)) == 0);
    lfd_policy_free(&q);
    /* a width mismatch is named: the same weights for a whole-body layout */
    lay.obs.upper_body = 0;
    CHECK(lfd_policy_from_safetensors(st, &lay, r, "imp", &q, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "net.0.weight");
    lay.obs.upper_body = 1;
    snprintf(lay.obs_std, sizeof lay.obs_std, "act_std"); /* wrong width */
    CHECK(lfd_policy_from_safetensors(st, &lay, r, "imp", &q, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "obs_std");
    lfd_policy_ws_free(&ws);
    lfd_policy_free(&p);
    lfd_safetensors_free(&st);
    free(w0);
    lfd_robot_free(&r);
}

TEST(safetensors_bad_files_give_clear_errors)
{
    lfd_err err = {0};
    float w[6] = {1, 2, 3, 4, 5, 6};
    st_item it[] = {{"a", "F32", 2, {2, 3}, w}, {"b", "F32", 1, {2, 0}, w}};
    static uint8_t buf[4096], bad[4096];
    size_t len = st_write(buf, sizeof buf, it, 2);
    lfd_safetensors *st;
    CHECK_OK(lfd_safetensors_parse(buf, len, "ok", &st, &err), &err);
    lfd_safetensors_free(&st);
    /* every truncation fails cleanly */
    for (size_t n = 0; n < len; n++) {
        int rc = lfd_safetensors_parse(buf, n, "t", &st, &err);
        CHECK(rc != LFD_OK);
        CHECK(st == NULL);
    }
    CHECK(lfd_safetensors_parse(buf, 5, "t", &st, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "too short");
    CHECK(lfd_safetensors_parse(buf, len - 1, "t", &st, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "outside the data buffer");
    /* absurd header size */
    memcpy(bad, buf, len);
    bad[7] = 0x7f;
    CHECK(lfd_safetensors_parse(bad, len, "h", &st, &err) == LFD_ELIMIT);
    CHECK_CONTAINS(err.msg, "header size");
    /* shape and bytes disagree; overlap; unknown dtype; NaN weights */
    const char *hdrs[] = {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,24]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
        "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
        "{\"a\":[1,2]}",
        "[1]",
        /* a name given twice, another tensor's bytes between the two (the
           check compared neighbours by offset only: found by review); the
           JSON reader refuses a duplicated member name since 2026-12-07 */
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}",
        /* bytes no tensor accounts for, between two tensors and after the
           last: the format has no holes (they were accepted until 2026-12-07) */
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"};
    const char *want[] = {"do not hold its shape", "overlap", "dtype", "shape[0]", "not an object",
                          "not a JSON object", "duplicate member name \"a\"",
                          "of the file belong to no tensor (before 'b')",
                          "at its end, belong to no tensor"};
    for (int k = 0; k < 9; k++) {
        size_t hl = strlen(hdrs[k]);
        memset(bad, 0, sizeof bad);
        bad[0] = (uint8_t)hl;
        memcpy(bad + 8, hdrs[k], hl);
        CHECK(lfd_safetensors_parse(bad, 8 + hl + 24, "b", &st, &err) != LFD_OK);
        CHECK_CONTAINS(err.msg, want[k]);
    }
    float nanv[2] = {NAN, 1};
    st_item itn[] = {{"a", "F32", 1, {2, 0}, nanv}};
    len = st_write(buf, sizeof buf, itn, 1);
    CHECK_OK(lfd_safetensors_parse(buf, len, "n", &st, &err), &err);
    float v[2];
    CHECK(lfd_safetensors_read_f32(st, &st->t[0], v, 2, &err) == LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "not finite");
    lfd_safetensors_free(&st);
    /* bad layout JSON is named by line */
    lfd_st_layout lay;
    lfd_st_layout_init(&lay);
    const char *lj = "{\"layers\": [{\"weight\": \"w\", \"activation\": \"swish\"}]}";
    CHECK(lfd_st_layout_parse(lj, strlen(lj), "l.json", &lay, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "l.json:1");
}

/* ---- training on synthetic demonstrations ----------------------------------------- */

static void small_opts(lfd_bc_opts *o)
{
    lfd_bc_opts_init(o);
    o->obs.upper_body = 1;
    o->hidden[0] = o->hidden[1] = 128;
    o->train.epochs = 150;
    o->train.patience = 0;
    o->train.threads = 1;
    o->sim_rollouts = 2;
    o->val_frac = 0.25;
    o->name = "t";
    o->no_people = 1;
}

TEST(bc_trains_upper_body_policy_that_beats_baselines_and_stands)
{
    /* training with simulated rollouts and a closed-loop run take over 500 s
       under memcheck; the same code runs under Valgrind in the smaller
       training, gate and consent tests, and this whole test under ASan */
    if (lfd_test_under_valgrind())
        SKIP("too slow under Valgrind (runs in make test and make asan)");
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    enum { N = 4 };
    lfd_motion m[N];
    lfd_bc_demo demos[N];
    char names[N][32], sha[N][65];
    for (int i = 0; i < N; i++) {
        lfd_bc_synth_opts so;
        lfd_bc_synth_opts_init(&so);
        so.seconds = 4;
        so.seed = (uint64_t)i + 1;
        CHECK_OK(lfd_bc_synth_motion(r, &so, &m[i], &err), &err);
        snprintf(names[i], sizeof names[i], "synth%d", i);
        uint8_t dg[32];
        lfd_sha256_buf(names[i], strlen(names[i]), dg);
        lfd_sha256_hex(dg, sha[i]);
        demos[i] = (lfd_bc_demo){&m[i], names[i], sha[i]};
    }
    lfd_bc_opts o;
    small_opts(&o);
    lfd_bc_report rep;
    lfd_policy *p;
    CHECK_OK(lfd_bc_train_motions(r, N, demos, &o, &p, &rep, &err), &err);
    CHECK_EQ_INT(rep.nval_demos, 1);
    CHECK_EQ_INT(p->ndriven, rep.ndriven);
    CHECK(p->ndriven < p->act_dim);
    CHECK(p->action_mode == LFD_ACTION_RESIDUAL); /* the default */
    /* save / load: identical actions; NaN observation refused, chunk untouched */
    char path[512];
    snprintf(path, sizeof path, "%s/bc.lfdp", lfd_test_tmpdir());
    CHECK_OK(lfd_policy_save(p, path, &err), &err);
    lfd_policy *q;
    CHECK_OK(lfd_policy_load(&q, path, &err), &err);
    lfd_policy_ws *ws;
    CHECK_OK(lfd_policy_ws_new(&ws, p, &err), &err);
    float obs[LFD_OBS_MAX_DIM], a[LFD_POLICY_MAX_CHUNK * 32], b[LFD_POLICY_MAX_CHUNK * 32];
    for (int i = 0; i < p->obs_dim; i++)
        obs[i] = 0.1f * cosf((float)i);
    CHECK_OK(lfd_policy_step(p, ws, obs, a, &err), &err);
    CHECK_OK(lfd_policy_step(q, ws, obs, b, &err), &err);
    CHECK(memcmp(a, b, (size_t)(p->chunk * p->act_dim) * sizeof(float)) == 0);
    obs[3] = NAN;
    for (int i = 0; i < p->chunk * p->act_dim; i++)
        b[i] = 123.0f;
    CHECK(lfd_policy_step(q, ws, obs, b, &err) == LFD_ENUMERIC);
    CHECK(b[0] == 123.0f && b[p->chunk * p->act_dim - 1] == 123.0f);
    /* offline: the held-out demonstration, against both baselines */
    lfd_eval_offline_report off;
    CHECK_OK(lfd_eval_offline(q, r, N, demos, &off, &err), &err);
    CHECK_EQ_INT(off.nheld_out, 1);
    CHECK(!off.in_sample);
    CHECK(off.have_nn);
    CHECK(off.rmse_rad < off.zoh_rmse_rad);
    CHECK(off.rmse_rad < off.nn_rmse_rad);
    lfd_eval_offline_free(&off);
    /* closed loop on a held-out demonstration: stays up and tracks */
    int held = -1;
    for (int i = 0; i < N; i++)
        if (lfd_eval_demo_class(q, sha[i]) == LFD_DEMO_VAL)
            held = i;
    CHECK(held >= 0);
    lfd_eval_closed_opts co;
    lfd_eval_closed_opts_init(&co);
    lfd_eval_closed_report cr;
    CHECK_OK(lfd_eval_closed_loop(q, r, &m[held], &co, &cr, &err), &err);
    CHECK(!cr.policy.fell);
    /* against holding still (about 0.2 rad on these motions), as
       test_demo.c does: a policy that holds its first pose must not pass */
    CHECK(cr.hold_rad_mean > 0.1);
    if (!(cr.policy.track_rad_mean < 0.5 * cr.hold_rad_mean))
        lfd_test_fail_at(__FILE__, __LINE__,
                         "closed loop: policy %.4f rad, not under half of holding still (%.4f)",
                         cr.policy.track_rad_mean, cr.hold_rad_mean);
    /* the controller on the demonstration itself stays up: comparable */
    CHECK(cr.have_reference && !cr.reference.fell);
    CHECK(lfd_eval_closed_comparable(&cr));
    /* the same policy served over ZeroMQ drives the simulated robot from
       lfd's observation (ctl-demo builds it from the simulated state) */
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "ctl-demo --robot h1 --policy-file %s --seconds 1", path);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "stayed up");
    CHECK_CONTAINS(out, "0 stale");
    lfd_policy_ws_free(&ws);
    lfd_policy_free(&q);
    lfd_policy_free(&p);
    for (int i = 0; i < N; i++)
        lfd_motion_free(&m[i]);
    lfd_robot_free(&r);
}

TEST(bc_check_gate_refuses_failing_motion_unless_allowed)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    lfd_motion m[2];
    lfd_bc_demo demos[2] = {{&m[0], "good", "00"}, {&m[1], "wild", "11"}};
    for (int i = 0; i < 2; i++) {
        lfd_bc_synth_opts so;
        lfd_bc_synth_opts_init(&so);
        so.seconds = 2;
        so.seed = (uint64_t)i + 1;
        CHECK_OK(lfd_bc_synth_motion(r, &so, &m[i], &err), &err);
    }
    /* "wild": an elbow far past its range for half a second */
    int j = -1;
    for (int k = 0; k < r->njoints; k++)
        if (strstr(r->joints[k].name, "elbow"))
            j = k;
    CHECK(j >= 0);
    for (int f = 20; f < 45; f++)
        m[1].qpos[(size_t)f * (size_t)m[1].nq + (size_t)r->joints[j].qpos_adr] =
            r->joints[j].range_hi + 1.0;
    int verdicts[2], nwarn;
    CHECK(lfd_bc_check_gate(r, 2, demos, verdicts, &nwarn, &err) == LFD_EDENIED);
    CHECK_CONTAINS(err.msg, "wild");
    CHECK(strstr(err.msg, "good") == NULL);
    CHECK(verdicts[0] != 2 && verdicts[1] == 2);
    lfd_bc_opts o;
    small_opts(&o);
    o.train.epochs = 2;
    o.sim_rollouts = 0;
    lfd_bc_report rep;
    lfd_policy *p = NULL;
    CHECK(lfd_bc_train_motions(r, 2, demos, &o, &p, &rep, &err) == LFD_EDENIED);
    CHECK(p == NULL);
    o.allow_unchecked = 1;
    CHECK_OK(lfd_bc_train_motions(r, 2, demos, &o, &p, &rep, &err), &err);
    lfd_policy_free(&p);
    for (int i = 0; i < 2; i++)
        lfd_motion_free(&m[i]);
    lfd_robot_free(&r);
}

/* writes a synthetic h1 motion carrying a person's consent record */
static void consent_motion(const lfd_robot *r, const char *path, const char *who,
                           const char *scopes, const char *expires, uint64_t seed)
{
    lfd_err err = {0};
    lfd_motion m;
    lfd_bc_synth_opts so;
    lfd_bc_synth_opts_init(&so);
    so.seconds = 2;
    so.seed = seed;
    CHECK_OK(lfd_bc_synth_motion(r, &so, &m, &err), &err);
    char json[512];
    snprintf(json, sizeof json,
             "{\"contributor_id\": \"%s\", \"consent\": {\"scopes\": [%s], \"date\": "
             "\"2026-01-01\"%s%s%s}}",
             who, scopes, expires ? ", \"expires\": \"" : "", expires ? expires : "",
             expires ? "\"" : "");
    lfd_json_doc *doc;
    CHECK_OK(lfd_json_parse(json, strlen(json), "c.json", &doc, &err), &err);
    lfd_prov_free(&m.prov);
    lfd_prov_init(&m.prov);
    CHECK_OK(lfd_prov_from_json(&m.prov, lfd_json_root(doc), &err), &err);
    lfd_json_free(&doc);
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    lfd_motion_free(&m);
}

TEST(bc_train_refuses_without_consent_and_records_lineage)
{
    lfd_robot *r = load_h1();
    const char *dir = lfd_test_tmpdir();
    char p[4][512], cmd[4096], out[16384];
    const char *who[4] = {"anon-ok1", "anon-ok2", "anon-research", "anon-expired"};
    for (int i = 0; i < 4; i++)
        snprintf(p[i], sizeof p[i], "%s/d%d.lfdm", dir, i);
    consent_motion(r, p[0], who[0], "\"robot-training\"", NULL, 1);
    consent_motion(r, p[1], who[1], "\"robot-training\", \"commercial\"", NULL, 2);
    consent_motion(r, p[2], who[2], "\"research\"", NULL, 3);
    consent_motion(r, p[3], who[3], "\"robot-training\"", "2026-03-01", 4);
    setenv("LFD_TODAY", "2026-06-01", 1);
    /* all four: refused, exit 1, the two bad ones named, nothing written */
    snprintf(cmd, sizeof cmd,
             "train %s %s %s %s --robot h1 --upper-body -o %s/pol.lfdp -q -e 2 --rollouts 0 "
             "--hidden 16",
             p[0], p[1], p[2], p[3], dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 1);
    CHECK_CONTAINS(out, "d2.lfdm");
    CHECK_CONTAINS(out, "d3.lfdm");
    CHECK_CONTAINS(out, "expired");
    CHECK(strstr(out, "d0.lfdm") == NULL);
    char pol[600];
    snprintf(pol, sizeof pol, "%s/pol.lfdp", dir);
    CHECK(access(pol, F_OK) != 0);
    /* a purpose only one of them consented to */
    snprintf(cmd, sizeof cmd,
             "train %s %s --robot h1 --upper-body --purpose commercial -o %s -q -e 2 "
             "--rollouts 0 --hidden 16",
             p[0], p[1], pol);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 1);
    CHECK_CONTAINS(out, "d0.lfdm");
    /* the consented two: trained; lineage names both people and their motions */
    snprintf(cmd, sizeof cmd,
             "train %s %s --robot h1 --upper-body -o %s -q -e 2 --rollouts 0 --hidden 16 "
             "--action-mode absolute",
             p[0], p[1], pol);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    unsetenv("LFD_TODAY");
    CHECK_CONTAINS(out, "absolute actions");
    snprintf(cmd, sizeof cmd, "lineage %s", pol);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "d0.lfdm");
    CHECK_CONTAINS(out, "d1.lfdm");
    CHECK_CONTAINS(out, "anon-ok1");
    CHECK_CONTAINS(out, "anon-ok2");
    snprintf(cmd, sizeof cmd, "lineage --contributor anon-ok2 %s", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "pol.lfdp");
    snprintf(cmd, sizeof cmd, "lineage --contributor anon-research %s", dir);
    lfd_test_run_lfd(cmd, out, sizeof out);
    CHECK(strstr(out, "pol.lfdp") == NULL);
    lfd_robot_free(&r);
}

/* a synthetic h1 motion (no person) written to path; lineage: a human
   recording `recording` when non-NULL (as lfd retarget records it) */
static void synth_file(const lfd_robot *r, const char *path, uint64_t seed, const char *recording)
{
    lfd_err err = {0};
    lfd_motion m;
    lfd_bc_synth_opts so;
    lfd_bc_synth_opts_init(&so);
    so.seconds = 2;
    so.seed = seed;
    CHECK_OK(lfd_bc_synth_motion(r, &so, &m, &err), &err);
    if (recording)
        CHECK_OK(lfd_lineage_add_input(&m.prov, "human", recording,
                                       "5764cebc2fedabf287880a7f25cb06753e1679675a02a6f033998de041ba8032",
                                       NULL, &err),
                 &err);
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    lfd_motion_free(&m);
}

/* a refusal names the ways forward that apply: the consent record beside
   the recording (named) and retargeting again or --prov; --no-people only
   where no person is in the data */
TEST(bc_train_consent_refusal_names_the_ways_forward)
{
    lfd_robot *r = load_h1();
    const char *dir = lfd_test_tmpdir();
    char rec[600], syn[600], cmd[4096], out[16384];
    snprintf(rec, sizeof rec, "%s/walk.lfdm", dir);
    snprintf(syn, sizeof syn, "%s/syn.lfdm", dir);
    synth_file(r, rec, 1, "walk_take3.bvh");
    synth_file(r, syn, 2, NULL);
    snprintf(cmd, sizeof cmd, "train %s --robot h1 --upper-body -o %s/p.lfdp -q -e 1 --rollouts 0 --hidden 8", rec, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 1);
    CHECK_CONTAINS(out, "ways forward");
    CHECK_CONTAINS(out, "walk_take3.bvh.prov.json beside walk_take3.bvh");
    CHECK_CONTAINS(out, "retarget it again");
    CHECK_CONTAINS(out, "--prov FILE");
    CHECK_CONTAINS(out, "does not apply to a recording of a person");
    /* synthetic data without a record: --no-people is the way */
    snprintf(cmd, sizeof cmd, "train %s --robot h1 --upper-body -o %s/p.lfdp -q -e 1 --rollouts 0 --hidden 8", syn, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 1);
    CHECK_CONTAINS(out, "add --no-people");
    CHECK(strstr(out, ".prov.json beside") == NULL);
    /* a record that does not cover the purpose */
    char cons[600];
    snprintf(cons, sizeof cons, "%s/c.lfdm", dir);
    consent_motion(r, cons, "anon-r", "\"research\"", NULL, 3);
    setenv("LFD_TODAY", "2026-06-01", 1);
    snprintf(cmd, sizeof cmd, "train %s --robot h1 --upper-body -o %s/p.lfdp -q -e 1 --rollouts 0 --hidden 8", cons, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 1);
    unsetenv("LFD_TODAY");
    CHECK_CONTAINS(out, "does not cover 'robot-training' today");
    lfd_robot_free(&r);
}

/* one demonstration: "no validation set", never a NaN loss */
TEST(bc_train_single_demo_says_no_validation_set)
{
    lfd_robot *r = load_h1();
    const char *dir = lfd_test_tmpdir();
    char path[600], cmd[4096], out[16384];
    snprintf(path, sizeof path, "%s/one.lfdm", dir);
    synth_file(r, path, 1, NULL);
    snprintf(cmd, sizeof cmd,
             "train %s --robot h1 --upper-body --no-people -o %s/p.lfdp -e 3 --rollouts 0 --hidden 8",
             path, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "no validation set");
    CHECK_CONTAINS(out, "one demonstration");
    CHECK(strstr(out, "nan") == NULL);
    lfd_robot_free(&r);
}

/* The same file given twice (a copy) could fall on both sides of the
   split, so validation scored a training sample: refused, naming both. */
TEST(bc_train_refuses_a_demonstration_given_twice)
{
    lfd_robot *r = load_h1();
    const char *dir = lfd_test_tmpdir();
    char a[600], b[600], c[600], cmd[4096], out[16384];
    snprintf(a, sizeof a, "%s/a.lfdm", dir);
    snprintf(b, sizeof b, "%s/b.lfdm", dir);
    snprintf(c, sizeof c, "%s/a_copy.lfdm", dir);
    synth_file(r, a, 1, NULL);
    synth_file(r, b, 2, NULL);
    snprintf(cmd, sizeof cmd, "cp %s %s", a, c);
    CHECK_EQ_INT(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "train %s %s %s --robot h1 --upper-body --no-people -o %s/p.lfdp -e 2 --rollouts 0 --hidden 8",
             a, b, c, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 2);
    CHECK_CONTAINS(out, "same demonstration");
    CHECK_CONTAINS(out, "a_copy.lfdm");
    snprintf(c, sizeof c, "%s/p.lfdp", dir);
    CHECK(!lfd_file_exists(c));
    lfd_robot_free(&r);
}

/* lfd eval puts the controller's own run beside the policy's and says when
   that reference falls (here: a first frame tilted 1 rad, so the
   whole-body start falls at once); --help of train and eval names both
   ways to give a robot */
TEST(eval_reports_reference_beside_policy_and_when_it_falls)
{
    lfd_robot *r = load_h1();
    const char *dir = lfd_test_tmpdir();
    char ok[600], tilt[600], pol[600], cmd[4096], out[32768];
    snprintf(ok, sizeof ok, "%s/ok.lfdm", dir);
    snprintf(tilt, sizeof tilt, "%s/tilted.lfdm", dir);
    snprintf(pol, sizeof pol, "%s/wb.lfdp", dir);
    synth_file(r, ok, 1, NULL);
    lfd_err err = {0};
    lfd_motion m;
    CHECK_OK(lfd_motion_read(&m, ok, &err), &err);
    for (int f = 0; f < m.nframes; f++) {
        double *q = lfd_motion_frame(&m, f);
        q[3] = cos(0.5), q[4] = sin(0.5), q[5] = 0, q[6] = 0; /* 1 rad about x */
    }
    CHECK_OK(lfd_motion_write(&m, tilt, &err), &err);
    lfd_motion_free(&m);
    snprintf(cmd, sizeof cmd, "train %s --robot h1 --no-people -o %s -q -e 2 --rollouts 0 --hidden 8", ok, pol);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd, "eval %s %s %s", pol, ok, tilt);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "reference");
    CHECK_CONTAINS(out, "hold still");
    CHECK_CONTAINS(out, "reference falls: closed-loop comparison not meaningful");
    CHECK_CONTAINS(out, "1 of 2 demonstrations");
    /* the note is on the tilted one only */
    const char *note = strstr(out, "reference falls");
    const char *t = strstr(out, "tilted.lfdm");
    CHECK(note && t && t < note);
    snprintf(cmd, sizeof cmd, "eval %s %s --json", pol, tilt);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"comparison_meaningful\": false");
    const char *help[2] = {"train --help", "eval --help"};
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(lfd_test_run_lfd(help[i], out, sizeof out), 0);
        CHECK_CONTAINS(out, "--robot NAME|PATH");
    }
    lfd_robot_free(&r);
}
