/*  lfd_train: Adam on minibatches with early stopping (see lfd_train.h). */
#include "policies/lfd_train.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_log.h"
#include "core/lfd_rng.h"

void lfd_train_opts_init(lfd_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 200;
    o->batch = 256;
    o->patience = 20;
    o->lr = 1e-3;
    o->lr_min = -1;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->seed = 1;
    o->threads = 1;
}

#define EVAL_BATCH 1024

static double loss_with(const lfd_mlp *m, const float *X, const float *Y, int n, double l1, int b,
                        float *ws, float *out);

int lfd_train_loss(const lfd_mlp *m, const float *X, const float *Y, int n, double l1,
                   double *loss, lfd_err *err)
{
    *loss = NAN;
    if (n <= 0)
        return LFD_OK;
    int b = n < EVAL_BATCH ? n : EVAL_BATCH;
    float *ws = malloc(lfd_mlp_ws_floats(m, b) * sizeof(float));
    float *out = malloc((size_t)b * (size_t)m->out_dim * sizeof(float));
    if (ws && out)
        *loss = loss_with(m, X, Y, n, l1, b, ws, out);
    free(ws);
    free(out);
    return ws && out ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "out of memory");
}

/* the mean loss over n samples in batches of b (min(n, EVAL_BATCH), as
   lfd_train_loss), with caller buffers for at least b rows (ws:
   lfd_mlp_ws_floats, out: b x out_dim) */
static double loss_with(const lfd_mlp *m, const float *X, const float *Y, int n, double l1, int b,
                        float *ws, float *out)
{
    double sum = 0;
    size_t no = (size_t)m->out_dim;
    for (int s = 0; s < n; s += b) {
        int k = n - s < b ? n - s : b;
        lfd_mlp_forward_batch(m, ws, k, X + (size_t)s * (size_t)m->in_dim, out);
        const float *y = Y + (size_t)s * no;
        for (size_t i = 0; i < (size_t)k * no; i++) {
            double e = (double)out[i] - y[i];
            sum += e * e + l1 * fabs(e);
        }
    }
    return sum / ((double)n * (double)no);
}

/* one Adam step over a parameter vector */
static void adam_vec(float *p, const float *g, float *m1, float *m2, size_t n, float lr,
                     float b1, float b2, float c1, float c2, float eps, float wd)
{
    for (size_t i = 0; i < n; i++) {
        m1[i] = b1 * m1[i] + (1 - b1) * g[i];
        m2[i] = b2 * m2[i] + (1 - b2) * g[i] * g[i];
        float mh = m1[i] / c1, vh = m2[i] / c2;
        p[i] -= lr * (mh / (sqrtf(vh) + eps) + wd * p[i]);
    }
}

static void copy_weights(lfd_mlp *dst, const lfd_mlp *src)
{
    for (int l = 0; l < src->nlayers; l++) {
        const lfd_mlp_layer *S = &src->layers[l];
        memcpy(dst->layers[l].w, S->w, (size_t)S->in * (size_t)S->out * sizeof(float));
        memcpy(dst->layers[l].b, S->b, (size_t)S->out * sizeof(float));
    }
}

static void zero_weights(lfd_mlp *m)
{
    for (int l = 0; l < m->nlayers; l++) {
        lfd_mlp_layer *L = &m->layers[l];
        memset(L->w, 0, (size_t)L->in * (size_t)L->out * sizeof(float));
        memset(L->b, 0, (size_t)L->out * sizeof(float));
    }
}

int lfd_train_mlp(lfd_mlp *m, const float *X, const float *Y, int n, const float *Xv,
                  const float *Yv, int nv, const lfd_train_opts *o, lfd_train_result *res,
                  lfd_err *err)
{
    memset(res, 0, sizeof *res);
    res->val_loss = NAN;
    if (n < 1)
        return lfd_fail(err, LFD_EARG, "no training samples");
    if (o->epochs < 1 || o->batch < 1 || !(o->lr > 0) || !(o->l1 >= 0) ||
        !(o->weight_decay >= 0) || o->patience < 0)
        return lfd_fail(err, LFD_EARG, "training options: epochs %d, batch %d, lr %g, l1 %g, "
                                       "weight decay %g, patience %d",
                        o->epochs, o->batch, o->lr, o->l1, o->weight_decay, o->patience);
    if (o->threads > 0)
        openblas_set_num_threads(o->threads);
    int B = o->batch < n ? o->batch : n;
    int ni = m->in_dim, no = m->out_dim;
    /* everything the loop needs, allocated once */
    float *ws = malloc(lfd_mlp_train_ws_floats(m, B) * sizeof(float));
    float *xb = malloc((size_t)B * (size_t)ni * sizeof(float));
    float *yb = malloc((size_t)B * (size_t)no * sizeof(float));
    float *dy = malloc((size_t)B * (size_t)no * sizeof(float));
    int *perm = malloc((size_t)n * sizeof(int));
    /* and for the losses over the validation and training sets */
    int eb = (nv > n ? nv : n) < EVAL_BATCH ? (nv > n ? nv : n) : EVAL_BATCH;
    float *ews = malloc(lfd_mlp_ws_floats(m, eb) * sizeof(float));
    float *eout = malloc((size_t)eb * (size_t)no * sizeof(float));
    lfd_mlp *g = NULL, *m1 = NULL, *m2 = NULL, *best = NULL;
    int rc = LFD_OK;
    if (!ws || !xb || !yb || !dy || !perm || !ews || !eout) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory for training buffers");
        goto done;
    }
    if ((rc = lfd_mlp_copy(&g, m, err)) || (rc = lfd_mlp_copy(&m1, m, err)) ||
        (rc = lfd_mlp_copy(&m2, m, err)) || (rc = lfd_mlp_copy(&best, m, err)))
        goto done;
    zero_weights(m1);
    zero_weights(m2);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    uint64_t rng = o->seed * 0x9e3779b97f4a7c15ull + 12345;
    double best_val = INFINITY, t0 = lfd_now_s(), train_s = 0;
    int best_epoch = 0, since_best = 0;
    long long step = 0, seen = 0;
    float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
    double lr_min = o->lr_min >= 0 ? o->lr_min : o->lr;
    for (int ep = 1; ep <= o->epochs; ep++) {
        /* the learning rate: cosine from lr to lr_min over the epochs */
        double frac = o->epochs > 1 ? (double)(ep - 1) / (o->epochs - 1) : 0;
        float lr = (float)(lr_min + 0.5 * (o->lr - lr_min) * (1 + cos(3.141592653589793 * frac)));
        /* a fresh seeded shuffle */
        for (int i = n - 1; i > 0; i--) {
            int k = (int)(lfd_rng_next(&rng) % (uint64_t)(i + 1));
            int t = perm[i];
            perm[i] = perm[k];
            perm[k] = t;
        }
        double ep_loss = 0, tb0 = lfd_now_s();
        int nb = 0;
        for (int s = 0; s < n; s += B) {
            int bs = n - s < B ? n - s : B;
            /* the minibatch, with observation noise */
            for (int r = 0; r < bs; r++) {
                int i = perm[s + r];
                float *xr = xb + (size_t)r * (size_t)ni;
                memcpy(xr, X + (size_t)i * (size_t)ni, (size_t)ni * sizeof(float));
                memcpy(yb + (size_t)r * (size_t)no, Y + (size_t)i * (size_t)no,
                       (size_t)no * sizeof(float));
                if (o->obs_noise)
                    for (int k = 0; k < ni; k++)
                        if (o->obs_noise[k] > 0)
                            xr[k] += o->obs_noise[k] * lfd_rng_gauss(&rng);
            }
            /* forward, the loss and its gradient with respect to the output */
            lfd_mlp_forward_train(m, ws, bs, xb, NULL);
            const float *out = lfd_mlp_train_output(m, ws, bs);
            double sum = 0, scale = 1.0 / ((double)bs * (double)no);
            for (size_t i = 0; i < (size_t)bs * (size_t)no; i++) {
                float e = out[i] - yb[i];
                sum += (double)e * e + o->l1 * fabsf(e);
                dy[i] = (float)((2.0 * e + o->l1 * (e > 0 ? 1 : e < 0 ? -1 : 0)) * scale);
            }
            ep_loss += sum * scale;
            nb++;
            /* backward, then one Adam step on every layer */
            lfd_mlp_backward(m, ws, bs, xb, dy, g, NULL);
            step++;
            float c1 = (float)(1 - pow(o->beta1, (double)step));
            float c2 = (float)(1 - pow(o->beta2, (double)step));
            for (int l = 0; l < m->nlayers; l++) {
                lfd_mlp_layer *L = &m->layers[l];
                size_t nw = (size_t)L->in * (size_t)L->out;
                adam_vec(L->w, g->layers[l].w, m1->layers[l].w, m2->layers[l].w, nw, lr, b1, b2,
                         c1, c2, eps, (float)o->weight_decay);
                adam_vec(L->b, g->layers[l].b, m1->layers[l].b, m2->layers[l].b,
                         (size_t)L->out, lr, b1, b2, c1, c2, eps, 0.0f);
            }
            seen += bs;
        }
        ep_loss /= nb;
        train_s += lfd_now_s() - tb0;
        if (!isfinite(ep_loss)) {
            copy_weights(m, best);
            rc = lfd_fail(err, LFD_ENUMERIC, "training loss is not finite at epoch %d (try a "
                                             "smaller learning rate)",
                          ep);
            goto done;
        }
        /* validation and early stopping */
        double vl = NAN;
        if (nv > 0)
            vl = loss_with(m, Xv, Yv, nv, o->l1, nv < eb ? nv : eb, ews, eout);
        res->epochs_run = ep;
        res->train_loss = ep_loss;
        if (nv > 0 && vl < best_val) {
            best_val = vl;
            best_epoch = ep;
            since_best = 0;
            copy_weights(best, m);
        } else if (nv > 0) {
            since_best++;
        } else {
            best_epoch = ep;
            copy_weights(best, m);
        }
        lfd_train_epoch e = {ep, o->epochs, ep_loss, vl, nv > 0 ? best_val : NAN, best_epoch,
                             lfd_now_s() - t0};
        if (o->on_epoch && o->on_epoch(o->ctx, &e))
            break;
        if (nv > 0 && o->patience > 0 && since_best >= o->patience) {
            res->stopped_early = 1;
            break;
        }
    }
    /* keep the best model */
    copy_weights(m, best);
    res->best_epoch = best_epoch;
    res->val_loss = nv > 0 ? best_val : NAN;
    res->seconds = lfd_now_s() - t0;
    res->steps = step;
    res->samples_per_s = train_s > 0 ? (double)seen / train_s : 0;
    res->final_train_mse = loss_with(m, X, Y, n, 0, n < eb ? n : eb, ews, eout);
done:
    free(ews);
    free(eout);
    free(ws);
    free(xb);
    free(yb);
    free(dy);
    free(perm);
    lfd_mlp_free(&g);
    lfd_mlp_free(&m1);
    lfd_mlp_free(&m2);
    lfd_mlp_free(&best);
    return rc;
}
