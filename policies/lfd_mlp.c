/*  lfd_mlp: float32 MLP inference on OpenBLAS (see lfd_mlp.h). */
#include "policies/lfd_mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_rng.h"

int lfd_mlp_new(lfd_mlp **out, int nlayers, const int *dims, const lfd_activation *acts,
                lfd_err *err)
{
    *out = NULL;
    if (nlayers < 1 || nlayers > LFD_MLP_MAX_LAYERS)
        return lfd_fail(err, LFD_ELIMIT, "MLP with %d layers (must be 1..%d)", nlayers,
                        LFD_MLP_MAX_LAYERS);
    for (int l = 0; l <= nlayers; l++)
        if (dims[l] < 1 || dims[l] > LFD_MLP_MAX_WIDTH)
            return lfd_fail(err, LFD_ELIMIT, "MLP width %d at position %d (must be 1..%d)",
                            dims[l], l, LFD_MLP_MAX_WIDTH);
    for (int l = 0; l < nlayers; l++)
        if ((int)acts[l] < LFD_ACT_LINEAR || (int)acts[l] > LFD_ACT_LAST)
            return lfd_fail(err, LFD_EARG, "MLP layer %d: unknown activation %d", l, acts[l]);
    lfd_mlp *m = calloc(1, sizeof *m);
    if (!m)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    m->nlayers = nlayers;
    m->in_dim = dims[0];
    m->out_dim = dims[nlayers];
    for (int l = 0; l < nlayers; l++) {
        lfd_mlp_layer *L = &m->layers[l];
        L->in = dims[l];
        L->out = dims[l + 1];
        L->act = acts[l];
        L->w = calloc((size_t)L->in * (size_t)L->out, sizeof(float));
        L->b = calloc((size_t)L->out, sizeof(float));
        if (!L->w || !L->b) {
            lfd_mlp_free(&m);
            return lfd_fail(err, LFD_ENOMEM, "out of memory for MLP layer %d", l);
        }
        if (L->out > m->max_width)
            m->max_width = L->out;
    }
    if (m->in_dim > m->max_width)
        m->max_width = m->in_dim;
    *out = m;
    return LFD_OK;
}

void lfd_mlp_free(lfd_mlp **pm)
{
    if (!pm || !*pm)
        return;
    lfd_mlp *m = *pm;
    for (int l = 0; l < m->nlayers; l++) {
        free(m->layers[l].w);
        free(m->layers[l].b);
    }
    free(m);
    *pm = NULL;
}

int lfd_mlp_copy(lfd_mlp **out, const lfd_mlp *src, lfd_err *err)
{
    int dims[LFD_MLP_MAX_LAYERS + 1];
    lfd_activation acts[LFD_MLP_MAX_LAYERS];
    dims[0] = src->in_dim;
    for (int l = 0; l < src->nlayers; l++) {
        dims[l + 1] = src->layers[l].out;
        acts[l] = src->layers[l].act;
    }
    int rc = lfd_mlp_new(out, src->nlayers, dims, acts, err);
    if (rc)
        return rc;
    for (int l = 0; l < src->nlayers; l++) {
        const lfd_mlp_layer *S = &src->layers[l];
        memcpy((*out)->layers[l].w, S->w, (size_t)S->in * (size_t)S->out * sizeof(float));
        memcpy((*out)->layers[l].b, S->b, (size_t)S->out * sizeof(float));
    }
    return LFD_OK;
}

void lfd_mlp_init_random(lfd_mlp *m, uint64_t seed)
{
    uint64_t s = seed;
    for (int l = 0; l < m->nlayers; l++) {
        lfd_mlp_layer *L = &m->layers[l];
        int relu_like = L->act == LFD_ACT_RELU || L->act == LFD_ACT_ELU ||
                        L->act == LFD_ACT_GELU || L->act == LFD_ACT_SILU || L->act == LFD_ACT_GELU_ERF;
        /* He: U(-sqrt(6/in), +); Xavier: U(-sqrt(6/(in+out)), +) */
        double lim = relu_like ? sqrt(6.0 / L->in) : sqrt(6.0 / (L->in + L->out));
        for (size_t i = 0; i < (size_t)L->in * (size_t)L->out; i++) {
            double u = lfd_rng_u01(&s);
            L->w[i] = (float)((2 * u - 1) * lim);
        }
        memset(L->b, 0, (size_t)L->out * sizeof(float));
    }
}

size_t lfd_mlp_ws_floats(const lfd_mlp *m, int batch)
{
    return 2 * (size_t)m->max_width * (size_t)(batch > 0 ? batch : 1);
}

void lfd_activation_apply(lfd_activation a, float *v, int n)
{
    switch (a) {
    case LFD_ACT_LINEAR:
        break;
    case LFD_ACT_RELU:
        for (int i = 0; i < n; i++)
            v[i] = v[i] > 0 ? v[i] : 0;
        break;
    case LFD_ACT_TANH:
        for (int i = 0; i < n; i++)
            v[i] = tanhf(v[i]);
        break;
    case LFD_ACT_ELU:
        for (int i = 0; i < n; i++)
            v[i] = v[i] > 0 ? v[i] : expm1f(v[i]);
        break;
    case LFD_ACT_GELU:
        for (int i = 0; i < n; i++) {
            float x = v[i];
            v[i] = 0.5f * x * (1 + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
        }
        break;
    case LFD_ACT_SILU:
        for (int i = 0; i < n; i++)
            v[i] = v[i] / (1 + expf(-v[i]));
        break;
    case LFD_ACT_GELU_ERF:
        for (int i = 0; i < n; i++)
            v[i] = 0.5f * v[i] * (1 + erff(v[i] * 0.70710678f));
        break;
    }
}

void lfd_mlp_forward(const lfd_mlp *m, float *ws, const float *x, float *y)
{
    const float *in = x;
    float *bufs[2] = {ws, ws + m->max_width};
    for (int l = 0; l < m->nlayers; l++) {
        const lfd_mlp_layer *L = &m->layers[l];
        float *out = l == m->nlayers - 1 ? y : bufs[l & 1];
        /* out = W in + b */
        memcpy(out, L->b, (size_t)L->out * sizeof(float));
        cblas_sgemv(CblasRowMajor, CblasNoTrans, L->out, L->in, 1.0f, L->w, L->in, in, 1, 1.0f,
                    out, 1);
        lfd_activation_apply(L->act, out, L->out);
        in = out;
    }
}

void lfd_mlp_forward_batch(const lfd_mlp *m, float *ws, int batch, const float *X, float *Y)
{
    const float *in = X;
    size_t stride = (size_t)m->max_width * (size_t)batch;
    float *bufs[2] = {ws, ws + stride};
    for (int l = 0; l < m->nlayers; l++) {
        const lfd_mlp_layer *L = &m->layers[l];
        float *out = l == m->nlayers - 1 ? Y : bufs[l & 1];
        /* out (batch x out) = in (batch x in) W^T + 1 b^T */
        for (int r = 0; r < batch; r++)
            memcpy(out + (size_t)r * L->out, L->b, (size_t)L->out * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, L->out, L->in, 1.0f, in,
                    L->in, L->w, L->in, 1.0f, out, L->out);
        lfd_activation_apply(L->act, out, batch * L->out);
        in = out;
    }
}

static const char *ACT_NAMES[] = {"linear", "relu", "tanh", "elu", "gelu", "silu", "gelu_erf"};

const char *lfd_activation_name(lfd_activation a)
{
    return (int)a >= 0 && (int)a <= LFD_ACT_LAST ? ACT_NAMES[a] : "?";
}

int lfd_activation_parse(const char *name, lfd_activation *a)
{
    for (int i = 0; i <= LFD_ACT_LAST; i++)
        if (!strcmp(name, ACT_NAMES[i])) {
            *a = (lfd_activation)i;
            return 0;
        }
    if (!strcmp(name, "identity") || !strcmp(name, "none")) {
        *a = LFD_ACT_LINEAR;
        return 0;
    }
    return -1;
}

size_t lfd_mlp_nparams(const lfd_mlp *m)
{
    size_t n = 0;
    for (int l = 0; l < m->nlayers; l++)
        n += (size_t)m->layers[l].out * ((size_t)m->layers[l].in + 1);
    return n;
}

/* ---- training ---------------------------------------------------------------------- */

/* training workspace, for a batch of B rows:
     for each layer l: z_l (B x out_l), a_l (B x out_l), consecutively;
     then two gradient buffers of B x max_width */
size_t lfd_mlp_train_ws_floats(const lfd_mlp *m, int batch)
{
    size_t b = (size_t)(batch > 0 ? batch : 1), n = 0;
    for (int l = 0; l < m->nlayers; l++)
        n += 2 * (size_t)m->layers[l].out;
    return b * (n + 2 * (size_t)m->max_width);
}

static float *layer_z(const lfd_mlp *m, float *ws, int batch, int l)
{
    size_t off = 0;
    for (int i = 0; i < l; i++)
        off += 2 * (size_t)m->layers[i].out;
    return ws + off * (size_t)batch;
}

static float *layer_a(const lfd_mlp *m, float *ws, int batch, int l)
{
    return layer_z(m, ws, batch, l) + (size_t)m->layers[l].out * (size_t)batch;
}

void lfd_mlp_forward_train(const lfd_mlp *m, float *ws, int batch, const float *X, float *Y)
{
    const float *in = X;
    for (int l = 0; l < m->nlayers; l++) {
        const lfd_mlp_layer *L = &m->layers[l];
        float *z = layer_z(m, ws, batch, l), *a = layer_a(m, ws, batch, l);
        size_t n = (size_t)batch * (size_t)L->out;
        /* z = in W^T + 1 b^T, then a = act(z) */
        for (int r = 0; r < batch; r++)
            memcpy(z + (size_t)r * L->out, L->b, (size_t)L->out * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, L->out, L->in, 1.0f, in,
                    L->in, L->w, L->in, 1.0f, z, L->out);
        memcpy(a, z, n * sizeof(float));
        lfd_activation_apply(L->act, a, (int)n);
        in = a;
    }
    if (Y)
        memcpy(Y, in, (size_t)batch * (size_t)m->out_dim * sizeof(float));
}

const float *lfd_mlp_train_output(const lfd_mlp *m, const float *ws, int batch)
{
    return layer_a(m, (float *)ws, batch, m->nlayers - 1);
}

float lfd_activation_deriv(lfd_activation act, float z, float a)
{
    switch (act) {
    case LFD_ACT_RELU:
        return z > 0 ? 1.0f : 0.0f;
    case LFD_ACT_TANH:
        return 1 - a * a;
    case LFD_ACT_ELU:
        return z > 0 ? 1.0f : a + 1;
    case LFD_ACT_GELU: {
        /* d/dz of 0.5 z (1 + tanh(u)), u = c (z + k z^3) */
        const float c = 0.7978845608f, k = 0.044715f;
        float t = tanhf(c * (z + k * z * z * z));
        return 0.5f * (1 + t) + 0.5f * z * (1 - t * t) * c * (1 + 3 * k * z * z);
    }
    case LFD_ACT_SILU: {
        float s = 1 / (1 + expf(-z));
        return s * (1 + z * (1 - s));
    }
    case LFD_ACT_GELU_ERF: /* Phi(z) + z phi(z) */
        return 0.5f * (1 + erff(z * 0.70710678f)) + z * 0.39894228f * expf(-0.5f * z * z);
    default:
        return 1.0f;
    }
}

void lfd_mlp_backward(const lfd_mlp *m, float *ws, int batch, const float *X, const float *dY,
                      lfd_mlp *grad, float *dX)
{
    size_t top = 0;
    for (int l = 0; l < m->nlayers; l++)
        top += 2 * (size_t)m->layers[l].out;
    float *bufs[2] = {ws + top * (size_t)batch,
                      ws + (top + (size_t)m->max_width) * (size_t)batch};
    const float *dA = dY; /* dL/da of the current layer */
    for (int l = m->nlayers - 1; l >= 0; l--) {
        const lfd_mlp_layer *L = &m->layers[l];
        lfd_mlp_layer *G = &grad->layers[l];
        const float *z = layer_z(m, ws, batch, l), *a = layer_a(m, ws, batch, l);
        const float *in = l > 0 ? layer_a(m, ws, batch, l - 1) : X;
        float *delta = bufs[l & 1];
        size_t n = (size_t)batch * (size_t)L->out;
        /* delta = dL/da * act'(z) (in place when dA is already this buffer) */
        if (L->act == LFD_ACT_LINEAR) {
            if (delta != dA)
                memcpy(delta, dA, n * sizeof(float));
        }
        else
            for (size_t i = 0; i < n; i++)
                delta[i] = dA[i] * lfd_activation_deriv(L->act, z[i], a[i]);
        /* dW = delta^T in (out x in); db = column sums of delta */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->out, L->in, batch, 1.0f, delta,
                    L->out, in, L->in, 0.0f, G->w, L->in);
        memset(G->b, 0, (size_t)L->out * sizeof(float));
        for (int r = 0; r < batch; r++) {
            const float *dr = delta + (size_t)r * L->out;
            for (int o = 0; o < L->out; o++)
                G->b[o] += dr[o];
        }
        /* dL/d(in) = delta W (batch x in): the next layer down's dA, or dX */
        if (l > 0 || dX) {
            float *dst = l > 0 ? bufs[(l + 1) & 1] : dX;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, L->in, L->out, 1.0f,
                        delta, L->out, L->w, L->in, 0.0f, dst, L->in);
            dA = dst;
        }
    }
}
