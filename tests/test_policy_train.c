/*  Tests for MLP training (policies/lfd_mlp backward pass, policies/
    lfd_train): gradients against finite differences for every activation,
    a tiny regression trained to near-zero loss, determinism for a seed,
    early stopping on validation loss. */
#include <stdlib.h>

#include "policies/lfd_mlp.h"
#include "policies/lfd_train.h"
#include "tests/lfd_test.h"

/* 0.5 * sum (mlp(X) - T)^2 in double from the float forward pass */
static double half_sse(const lfd_mlp *m, int B, const float *X, const float *T)
{
    float ws[4096], Y[256];
    lfd_mlp_forward_batch(m, ws, B, X, Y);
    double s = 0;
    for (int i = 0; i < B * m->out_dim; i++)
        s += 0.5 * ((double)Y[i] - T[i]) * ((double)Y[i] - T[i]);
    return s;
}

static void grad_check(lfd_activation act)
{
    lfd_err err = {0};
    int dims[4] = {4, 6, 5, 3}, B = 3;
    lfd_activation acts[3] = {act, act, LFD_ACT_LINEAR};
    lfd_mlp *m, *g;
    CHECK_OK(lfd_mlp_new(&m, 3, dims, acts, &err), &err);
    lfd_mlp_init_random(m, 7 + (uint64_t)act);
    for (int l = 0; l < 3; l++)
        for (int o = 0; o < m->layers[l].out; o++)
            m->layers[l].b[o] = 0.05f * (float)((o * 7 + l) % 5) - 0.1f;
    CHECK_OK(lfd_mlp_copy(&g, m, &err), &err);
    float X[12] = {0.5f, -1.0f, 0.3f, 0.8f, -0.4f, 0.9f, 1.2f, -0.7f, 0.1f, 0.2f, -1.5f, 0.6f};
    float T[9] = {0.1f, -0.2f, 0.3f, 0.0f, 0.5f, -0.5f, 1.0f, 0.2f, -0.1f};
    /* analytic: dL/dY = Y - T */
    float *ws = malloc(lfd_mlp_train_ws_floats(m, B) * sizeof(float));
    float Y[9], dY[9], dX[12];
    lfd_mlp_forward_train(m, ws, B, X, Y);
    for (int i = 0; i < 9; i++)
        dY[i] = Y[i] - T[i];
    lfd_mlp_backward(m, ws, B, X, dY, g, dX);
    /* numerical, central differences, for every weight and bias */
    const float h = 1e-3f;
    double worst = 0;
    int checked = 0;
    for (int l = 0; l < 3; l++) {
        lfd_mlp_layer *L = &m->layers[l];
        for (int which = 0; which < 2; which++) {
            float *p = which ? L->b : L->w;
            const float *gp = which ? g->layers[l].b : g->layers[l].w;
            int np = which ? L->out : L->out * L->in;
            for (int i = 0; i < np; i++) {
                float keep = p[i];
                p[i] = keep + h;
                double lp = half_sse(m, B, X, T);
                p[i] = keep - h;
                double lm = half_sse(m, B, X, T);
                p[i] = keep;
                double num = (lp - lm) / (2.0 * h);
                double d = fabs(num - gp[i]) / fmax(1.0, fabs(num));
                worst = fmax(worst, d);
                checked++;
            }
        }
    }
    /* and the input gradient */
    for (int i = 0; i < 12; i++) {
        float keep = X[i];
        X[i] = keep + h;
        double lp = half_sse(m, B, X, T);
        X[i] = keep - h;
        double lm = half_sse(m, B, X, T);
        X[i] = keep;
        double num = (lp - lm) / (2.0 * h);
        worst = fmax(worst, fabs(num - dX[i]) / fmax(1.0, fabs(num)));
    }
    CHECK_EQ_INT(checked, (int)lfd_mlp_nparams(m));
    if (!(worst < 2e-3))
        lfd_test_fail_at(__FILE__, __LINE__, "%s: worst gradient error %.3g",
                         lfd_activation_name(act), worst);
    /* the check can fail: a wrong gradient is caught */
    g->layers[1].w[3] += 0.05f;
    float keep = m->layers[1].w[3];
    m->layers[1].w[3] = keep + h;
    double lp = half_sse(m, B, X, T);
    m->layers[1].w[3] = keep - h;
    double lm = half_sse(m, B, X, T);
    m->layers[1].w[3] = keep;
    CHECK(fabs((lp - lm) / (2.0 * h) - g->layers[1].w[3]) > 1e-2);
    free(ws);
    lfd_mlp_free(&m);
    lfd_mlp_free(&g);
}

TEST(mlp_gradients_match_finite_differences)
{
    for (int a = LFD_ACT_LINEAR; a <= LFD_ACT_LAST; a++)
        grad_check((lfd_activation)a);
}

/* y = (sin 2x0, cos x1, x0 x1) on a grid: smooth, easy for a small MLP */
static void make_data(int n, float *X, float *Y, double off)
{
    for (int i = 0; i < n; i++) {
        double a = -1 + 2.0 * (i % 8) / 7 + off, b = -1 + 2.0 * (i / 8 % 8) / 7 - off;
        X[2 * i] = (float)a;
        X[2 * i + 1] = (float)b;
        Y[3 * i] = (float)sin(2 * a);
        Y[3 * i + 1] = (float)cos(b);
        Y[3 * i + 2] = (float)(a * b);
    }
}

static lfd_mlp *small_net(uint64_t seed)
{
    lfd_err err = {0};
    int dims[4] = {2, 32, 32, 3};
    lfd_activation acts[3] = {LFD_ACT_TANH, LFD_ACT_TANH, LFD_ACT_LINEAR};
    lfd_mlp *m = NULL;
    CHECK_OK(lfd_mlp_new(&m, 3, dims, acts, &err), &err);
    lfd_mlp_init_random(m, seed);
    return m;
}

static int count_epochs(void *ctx, const lfd_train_epoch *e)
{
    int *n = ctx;
    (*n)++;
    return !isfinite(e->train_loss);
}

TEST(train_tiny_regression_reaches_near_zero_loss)
{
    lfd_err err = {0};
    float X[64 * 2], Y[64 * 3];
    make_data(64, X, Y, 0);
    lfd_mlp *m = small_net(3);
    double before;
    CHECK_OK(lfd_train_loss(m, X, Y, 64, 0, &before, &err), &err);
    lfd_train_opts o;
    lfd_train_opts_init(&o);
    o.epochs = 1500;
    o.batch = 16;
    o.lr = 3e-3;
    o.lr_min = 1e-4;
    o.seed = 5;
    int calls = 0;
    o.on_epoch = count_epochs;
    o.ctx = &calls;
    lfd_train_result r;
    CHECK_OK(lfd_train_mlp(m, X, Y, 64, NULL, NULL, 0, &o, &r, &err), &err);
    CHECK_EQ_INT(r.epochs_run, 1500);
    CHECK_EQ_INT(calls, 1500);
    CHECK(before > 0.1);
    if (!(r.final_train_mse < 1e-3))
        lfd_test_fail_at(__FILE__, __LINE__, "MSE %.3g after training (%.3g before)",
                         r.final_train_mse, before);
    CHECK(r.samples_per_s > 0);
    lfd_mlp_free(&m);
}

static int same_weights(const lfd_mlp *a, const lfd_mlp *b)
{
    for (int l = 0; l < a->nlayers; l++) {
        const lfd_mlp_layer *A = &a->layers[l], *B = &b->layers[l];
        if (memcmp(A->w, B->w, (size_t)A->in * (size_t)A->out * sizeof(float)) ||
            memcmp(A->b, B->b, (size_t)A->out * sizeof(float)))
            return 0;
    }
    return 1;
}

TEST(train_is_deterministic_for_a_seed_and_stops_early)
{
    lfd_err err = {0};
    float X[64 * 2], Y[64 * 3], Xv[64 * 2], Yv[64 * 3], noise[2] = {0.05f, 0.05f};
    make_data(64, X, Y, 0);
    make_data(64, Xv, Yv, 0.06);
    lfd_mlp *m[3];
    lfd_train_result r[3];
    for (int k = 0; k < 3; k++) {
        m[k] = small_net(11);
        lfd_train_opts o;
        lfd_train_opts_init(&o);
        o.epochs = 60;
        o.batch = 8;
        o.seed = k < 2 ? 9 : 10;
        o.obs_noise = noise;
        o.l1 = 0.1;
        CHECK_OK(lfd_train_mlp(m[k], X, Y, 64, Xv, Yv, 64, &o, &r[k], &err), &err);
    }
    CHECK(same_weights(m[0], m[1]));
    CHECK(!same_weights(m[0], m[2]));
    CHECK(r[0].val_loss == r[1].val_loss);
    /* early stopping: a validation set the model cannot fit stops it */
    lfd_mlp *e = small_net(12);
    for (int i = 0; i < 64 * 3; i++)
        Yv[i] = -Yv[i] + 3;
    lfd_train_opts o;
    lfd_train_opts_init(&o);
    o.epochs = 400;
    o.batch = 16;
    o.patience = 5;
    lfd_train_result re;
    CHECK_OK(lfd_train_mlp(e, X, Y, 64, Xv, Yv, 64, &o, &re, &err), &err);
    CHECK(re.stopped_early);
    CHECK(re.epochs_run < 400);
    CHECK_EQ_INT(re.epochs_run, re.best_epoch + 5);
    /* the kept model is the best epoch's: its validation loss is the best */
    double vl;
    CHECK_OK(lfd_train_loss(e, Xv, Yv, 64, 0, &vl, &err), &err);
    CHECK_NEAR(vl, re.val_loss, 1e-9 * (1 + vl));
    for (int k = 0; k < 3; k++)
        lfd_mlp_free(&m[k]);
    lfd_mlp_free(&e);
    /* bad options are refused */
    lfd_mlp *b = small_net(1);
    lfd_train_opts_init(&o);
    o.lr = -1;
    CHECK(lfd_train_mlp(b, X, Y, 64, NULL, NULL, 0, &o, &re, &err) == LFD_EARG);
    lfd_mlp_free(&b);
}
