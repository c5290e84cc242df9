/*  Policy benchmarks: inference latency of lfd_policy_step for the default
    policy size (whole-body h1: 64 observations -> 256 -> 256 -> chunk 10 x
    19 joints, float32 on OpenBLAS), p50/p99 over single steps, beside a
    plain C triple loop over the same weights (the baseline: what the
    network costs without BLAS), on one OpenBLAS thread, and the
    per-observation cost of a batch of 64 on two; and training throughput (samples/s of Adam minibatch work) of
    lfd_train_mlp on the same network, with 1 and 2 OpenBLAS threads. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lfd_bench.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "policies/lfd_policy.h"
#include "policies/lfd_train.h"

enum { OBS = 64, ACT = 19, CHUNK = 10, H = 256 };

/* y = W2 relu(W1 relu(W0 x + b0) + b1) + b2, plain loops */
static void naive_forward(const lfd_mlp *m, const float *x, float *y, float *h0, float *h1)
{
    const float *in = x;
    float *bufs[2] = {h0, h1};
    for (int l = 0; l < m->nlayers; l++) {
        const lfd_mlp_layer *L = &m->layers[l];
        float *o = l == m->nlayers - 1 ? y : bufs[l % 2];
        for (int i = 0; i < L->out; i++) {
            float s = L->b[i];
            for (int k = 0; k < L->in; k++)
                s += L->w[(size_t)i * (size_t)L->in + (size_t)k] * in[k];
            o[i] = L->act == LFD_ACT_RELU && s < 0 ? 0 : s;
        }
        in = o;
    }
}

BENCH(policy)
{
    lfd_err err = {0};
    lfd_policy *p = NULL;
    int dims[4] = {OBS, H, H, CHUNK * ACT};
    lfd_activation acts[3] = {LFD_ACT_RELU, LFD_ACT_RELU, LFD_ACT_LINEAR};
    if (lfd_policy_new(&p, LFD_POLICY_MLP, OBS, ACT, CHUNK, &err) ||
        lfd_mlp_new(&p->mlp, 3, dims, acts, &err)) {
        lfd_log(LFD_LOG_ERROR, "bench policy: %s", err.msg);
        lfd_policy_free(&p);
        return;
    }
    lfd_mlp_init_random(p->mlp, 1);
    for (int i = 0; i < OBS; i++) {
        p->obs_mean[i] = 0;
        p->obs_std[i] = 1;
    }
    for (int j = 0; j < ACT; j++) {
        p->act_mean[j] = 0;
        p->act_std[j] = 1;
    }
    lfd_policy_ws *ws = NULL, *wsb = NULL;
    enum { N = 20000, B = 64 };
    double *lat = malloc(N * sizeof(double)), *nlat = malloc(N * sizeof(double));
    float *obs = malloc((size_t)B * OBS * sizeof(float));
    float *chunk = malloc((size_t)B * CHUNK * ACT * sizeof(float));
    float h0[H], h1[H];
    if (!lat || !nlat || !obs || !chunk || lfd_policy_ws_new(&ws, p, &err) ||
        lfd_policy_ws_new_batch(&wsb, p, B, &err))
        goto done;
    for (int i = 0; i < B * OBS; i++)
        obs[i] = sinf(0.37f * (float)i);
    /* single steps, interleaved with the plain-loop baseline, on one
       OpenBLAS thread (a control loop's setting: waking BLAS threads for a
       256-wide product costs more than the product) */
    openblas_set_num_threads(1);
    for (int i = 0; i < N; i++) {
        obs[i % OBS] += 1e-3f;
        double t0 = lfd_now_s();
        lfd_policy_step(p, ws, obs, chunk, &err);
        double t1 = lfd_now_s();
        naive_forward(p->mlp, obs, chunk, h0, h1);
        double t2 = lfd_now_s();
        lat[i] = (t1 - t0) * 1e6;
        nlat[i] = (t2 - t1) * 1e6;
    }
    /* batches of 64 on every core */
    openblas_set_num_threads(2);
    int nb = 500;
    double tb = lfd_now_s();
    for (int i = 0; i < nb; i++)
        lfd_policy_step_batch(p, wsb, B, obs, chunk, &err);
    double batch_us = (lfd_now_s() - tb) / nb / B * 1e6;
    /* training throughput on random regression data */
    int ns = 16384;
    float *X = malloc((size_t)ns * OBS * sizeof(float));
    float *Y = malloc((size_t)ns * CHUNK * ACT * sizeof(float));
    double sps[2] = {0, 0};
    if (X && Y) {
        uint64_t s = 7;
        for (size_t i = 0; i < (size_t)ns * OBS; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            X[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
        }
        for (size_t i = 0; i < (size_t)ns * CHUNK * ACT; i++)
            Y[i] = sinf(X[i % ((size_t)ns * OBS)] * 3.0f);
        for (int t = 0; t < 2; t++) {
            lfd_mlp *m = NULL;
            if (lfd_mlp_copy(&m, p->mlp, &err))
                break;
            lfd_train_opts o;
            lfd_train_opts_init(&o);
            o.epochs = 3;
            o.patience = 0;
            o.threads = t + 1;
            lfd_train_result res;
            if (lfd_train_mlp(m, X, Y, ns, NULL, NULL, 0, &o, &res, &err) == LFD_OK)
                sps[t] = res.samples_per_s;
            lfd_mlp_free(&m);
        }
    }
    free(X);
    free(Y);
    lfd_bench_report rep;
    lfd_bench_begin(&rep, "policy");
    lfd_bench_str(&rep, "network", "64-256-256-190 relu, float32 (whole-body h1, chunk 10)");
    lfd_bench_num(&rep, "params", (double)lfd_mlp_nparams(p->mlp));
    lfd_bench_str(&rep, "step_threads", "1 OpenBLAS thread");
    lfd_bench_num(&rep, "step_us_p50", lfd_bench_percentile(lat, N, 50));
    lfd_bench_num(&rep, "step_us_p99", lfd_bench_percentile(lat, N, 99));
    lfd_bench_num(&rep, "baseline_plain_loops_us_p50", lfd_bench_percentile(nlat, N, 50));
    lfd_bench_num(&rep, "baseline_plain_loops_us_p99", lfd_bench_percentile(nlat, N, 99));
    lfd_bench_num(&rep, "batch64_us_per_obs", batch_us);
    lfd_bench_num(&rep, "train_samples_per_s_1thread", sps[0]);
    lfd_bench_num(&rep, "train_samples_per_s_2threads", sps[1]);
    lfd_bench_end(&rep);
done:
    lfd_policy_ws_free(&ws);
    lfd_policy_ws_free(&wsb);
    free(lat);
    free(nlat);
    free(obs);
    free(chunk);
    lfd_policy_free(&p);
}
