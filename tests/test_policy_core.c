/*  Tests for MLP inference (policies/lfd_mlp) and policy files and
    inference (policies/lfd_policy). */
#include <stdlib.h>

#include "core/lfd_io.h"
#include "policies/lfd_mlp.h"
#include "policies/lfd_policy.h"
#include "tests/lfd_test.h"

/* reference forward pass written out with plain loops in double */
static void naive_forward(const lfd_mlp *m, const float *x, double *y)
{
    double a[LFD_MLP_MAX_WIDTH], b[LFD_MLP_MAX_WIDTH];
    for (int i = 0; i < m->in_dim; i++)
        a[i] = x[i];
    for (int l = 0; l < m->nlayers; l++) {
        const lfd_mlp_layer *L = &m->layers[l];
        for (int o = 0; o < L->out; o++) {
            double s = L->b[o];
            for (int i = 0; i < L->in; i++)
                s += (double)L->w[o * L->in + i] * a[i];
            switch (L->act) {
            case LFD_ACT_RELU: s = s > 0 ? s : 0; break;
            case LFD_ACT_TANH: s = tanh(s); break;
            case LFD_ACT_ELU: s = s > 0 ? s : expm1(s); break;
            case LFD_ACT_GELU: s = 0.5 * s * (1 + tanh(0.7978845608 * (s + 0.044715 * s * s * s))); break;
            case LFD_ACT_SILU: s = s / (1 + exp(-s)); break;
            case LFD_ACT_GELU_ERF: s = 0.5 * s * (1 + erf(s / sqrt(2.0))); break;
            default: break;
            }
            b[o] = s;
        }
        memcpy(a, b, (size_t)L->out * sizeof(double));
    }
    for (int i = 0; i < m->out_dim; i++)
        y[i] = a[i];
}

TEST(mlp_forward_matches_reference_for_every_activation)
{
    lfd_err err = {0};
    for (int act = LFD_ACT_RELU; act <= LFD_ACT_LAST; act++) {
        int dims[4] = {7, 33, 17, 5};
        lfd_activation acts[3] = {(lfd_activation)act, (lfd_activation)act, LFD_ACT_LINEAR};
        lfd_mlp *m;
        CHECK_OK(lfd_mlp_new(&m, 3, dims, acts, &err), &err);
        lfd_mlp_init_random(m, 42 + (uint64_t)act);
        for (int l = 0; l < 3; l++)
            for (int o = 0; o < m->layers[l].out; o++)
                m->layers[l].b[o] = 0.01f * (float)o - 0.05f;
        float x[7] = {0.3f, -1.2f, 0.5f, 2.0f, -0.1f, 0.0f, 0.7f}, y[5], ws[256];
        double ref[5];
        CHECK(lfd_mlp_ws_floats(m, 1) <= 256);
        lfd_mlp_forward(m, ws, x, y);
        naive_forward(m, x, ref);
        for (int i = 0; i < 5; i++)
            CHECK_NEAR(y[i], ref[i], 1e-4 * (1 + fabs(ref[i])));
        /* a batch gives each row's single-sample answer */
        float X[3 * 7], Y[3 * 5];
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 7; i++)
                X[r * 7 + i] = x[i] * (float)(r + 1) * 0.5f;
        float *bws = malloc(lfd_mlp_ws_floats(m, 3) * sizeof(float));
        lfd_mlp_forward_batch(m, bws, 3, X, Y);
        for (int r = 0; r < 3; r++) {
            lfd_mlp_forward(m, ws, X + r * 7, y);
            for (int i = 0; i < 5; i++)
                CHECK_NEAR(Y[r * 5 + i], y[i], 1e-5 * (1 + fabs(y[i])));
        }
        free(bws);
        lfd_mlp_free(&m);
        CHECK(m == NULL);
    }
    int bad[2] = {0, 3};
    lfd_activation a1[1] = {LFD_ACT_LINEAR};
    lfd_mlp *m;
    CHECK(lfd_mlp_new(&m, 1, bad, a1, &err) == LFD_ELIMIT);
}

static lfd_policy *make_mlp_policy(int obs, int act, int chunk)
{
    lfd_err err = {0};
    lfd_policy *p;
    CHECK_OK(lfd_policy_new(&p, LFD_POLICY_MLP, obs, act, chunk, &err), &err);
    snprintf(p->name, sizeof p->name, "test-mlp");
    snprintf(p->robot, sizeof p->robot, "toy");
    p->control_period_s = 0.02;
    for (int i = 0; i < obs; i++) {
        snprintf(p->obs_names[i], sizeof p->obs_names[i], "obs_%d", i);
        snprintf(p->obs_units[i], sizeof p->obs_units[i], "rad");
        p->obs_mean[i] = 0.1f * (float)i;
        p->obs_std[i] = 1.0f + 0.5f * (float)i;
    }
    for (int j = 0; j < act; j++) {
        snprintf(p->act_names[j], sizeof p->act_names[j], "joint_%d", j);
        snprintf(p->act_units[j], sizeof p->act_units[j], "rad");
        p->act_lo[j] = -1.5f;
        p->act_hi[j] = 1.5f;
        p->vel_limit[j] = 10;
        p->acc_limit[j] = 100;
        p->act_mean[j] = 0.2f;
        p->act_std[j] = 0.3f;
    }
    int dims[3] = {obs, 16, act * chunk};
    lfd_activation acts[2] = {LFD_ACT_TANH, LFD_ACT_LINEAR};
    CHECK_OK(lfd_mlp_new(&p->mlp, 2, dims, acts, &err), &err);
    lfd_mlp_init_random(p->mlp, 9);
    CHECK_OK(lfd_prov_set_str(&p->lineage, "contributors", "anon-1", &err), &err);
    return p;
}

TEST(policy_save_load_gives_identical_actions)
{
    lfd_err err = {0};
    lfd_policy *p = make_mlp_policy(6, 4, 3), *q;
    char path[512];
    snprintf(path, sizeof path, "%s/p.lfdp", lfd_test_tmpdir());
    CHECK_OK(lfd_policy_save(p, path, &err), &err);
    CHECK_OK(lfd_policy_load(&q, path, &err), &err);
    CHECK_STR(q->hash, p->hash);
    CHECK_EQ_INT(q->chunk, 3);
    CHECK_STR(q->act_names[3], "joint_3");
    lfd_policy_ws *wp, *wq;
    CHECK_OK(lfd_policy_ws_new(&wp, p, &err), &err);
    CHECK_OK(lfd_policy_ws_new(&wq, q, &err), &err);
    float obs[6] = {0.5f, -0.2f, 1.1f, 0, 0.3f, -2}, a[12], b[12];
    CHECK_OK(lfd_policy_step(p, wp, obs, a, &err), &err);
    CHECK_OK(lfd_policy_step(q, wq, obs, b, &err), &err);
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* normalisation is applied: the step equals the MLP on normalised input */
    float on[6], raw[12], mws[64];
    for (int i = 0; i < 6; i++)
        on[i] = (obs[i] - p->obs_mean[i]) / p->obs_std[i];
    lfd_mlp_forward(p->mlp, mws, on, raw);
    for (int i = 0; i < 12; i++)
        CHECK_NEAR(a[i], raw[i] * 0.3f + 0.2f, 1e-6);
    /* NaN in, error out, chunk untouched */
    float before[12];
    memcpy(before, b, sizeof b);
    obs[2] = NAN;
    CHECK(lfd_policy_step(q, wq, obs, b, &err) == LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "obs_2");
    CHECK(memcmp(before, b, sizeof b) == 0);
    lfd_policy_ws_free(&wp);
    lfd_policy_ws_free(&wq);
    lfd_policy_free(&q);
    lfd_policy_free(&p);
}

TEST(policy_load_refuses_bad_files)
{
    lfd_err err = {0};
    lfd_policy *p = make_mlp_policy(3, 2, 1), *q;
    lfd_buf b;
    CHECK_OK(lfd_policy_encode(p, &b, &err), &err);
    /* truncation and corruption */
    for (size_t n = 0; n < b.len; n += 7)
        CHECK(lfd_policy_decode(&q, b.data, n, "p.lfdp", &err) != LFD_OK);
    b.data[b.len / 2] ^= 0x55;
    CHECK(lfd_policy_decode(&q, b.data, b.len, "p.lfdp", &err) == LFD_ECHECKSUM);
    lfd_buf_free(&b);
    /* statistics of the wrong width, zero std, wrong model shape */
    p->obs_std[1] = 0;
    CHECK(lfd_policy_encode(p, &b, &err) == LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "obs_std[1]");
    p->obs_std[1] = 1;
    lfd_mlp_free(&p->mlp);
    int dims[2] = {3, 5};
    lfd_activation acts[1] = {LFD_ACT_LINEAR};
    CHECK_OK(lfd_mlp_new(&p->mlp, 1, dims, acts, &err), &err);
    CHECK(lfd_policy_encode(p, &b, &err) == LFD_EMISMATCH);
    /* a robot whose joints differ is refused, naming the joint */
    lfd_mlp_free(&p->mlp);
    dims[1] = 2;
    CHECK_OK(lfd_mlp_new(&p->mlp, 1, dims, acts, &err), &err);
    const char names[2][64] = {"joint_0", "joint_x"};
    CHECK(lfd_policy_check_schema(p, "toy", NULL, 2, names, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "joint_x");
    CHECK(lfd_policy_check_schema(p, "h1", NULL, 2, names, &err) == LFD_EMISMATCH);
    const char good[2][64] = {"joint_0", "joint_1"};
    CHECK_OK(lfd_policy_check_schema(p, "toy", NULL, 2, good, &err), &err);
    lfd_policy_free(&p);
}

TEST(policy_playback_interpolates_by_time)
{
    lfd_err err = {0};
    lfd_policy *p, *q;
    CHECK_OK(lfd_policy_new(&p, LFD_POLICY_PLAYBACK, 1, 2, 4, &err), &err);
    snprintf(p->name, sizeof p->name, "replay");
    snprintf(p->obs_names[0], sizeof p->obs_names[0], "time_s");
    snprintf(p->obs_units[0], sizeof p->obs_units[0], "s");
    snprintf(p->act_names[0], sizeof p->act_names[0], "a");
    snprintf(p->act_names[1], sizeof p->act_names[1], "b");
    p->control_period_s = 0.05;
    for (int j = 0; j < 2; j++) {
        /* finite limits: lfd_policy_validate refuses the +-inf of _new */
        p->act_lo[j] = -10;
        p->act_hi[j] = 10;
        p->vel_limit[j] = 50;
    }
    p->playback_fps = 10;
    p->playback_frames = 5;
    p->playback = malloc(10 * sizeof(float));
    for (int f = 0; f < 5; f++) {
        p->playback[2 * f] = (float)f;        /* a = 10 t */
        p->playback[2 * f + 1] = -(float)f * 2;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/pb.lfdp", lfd_test_tmpdir());
    CHECK_OK(lfd_policy_save(p, path, &err), &err);
    CHECK_OK(lfd_policy_load(&q, path, &err), &err);
    lfd_policy_ws *ws;
    CHECK_OK(lfd_policy_ws_new(&ws, q, &err), &err);
    float t = 0.12f, chunk[8];
    CHECK_OK(lfd_policy_step(q, ws, &t, chunk, &err), &err);
    for (int k = 0; k < 4; k++) {
        double tk = 0.12 + 0.05 * k;
        CHECK_NEAR(chunk[2 * k], 10 * tk, 1e-5);
        CHECK_NEAR(chunk[2 * k + 1], -20 * tk, 1e-5);
    }
    t = 99; /* past the end: holds the last frame */
    CHECK_OK(lfd_policy_step(q, ws, &t, chunk, &err), &err);
    CHECK_NEAR(chunk[6], 4, 0);
    lfd_policy_ws_free(&ws);
    lfd_policy_free(&q);
    lfd_policy_free(&p);
}
