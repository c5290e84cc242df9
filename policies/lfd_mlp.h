/*  lfd_mlp: multilayer perceptrons in float32 on OpenBLAS.

    The model is immutable once built (weights, shapes, activations); every
    evaluation takes a caller-owned workspace sized by lfd_mlp_ws_floats(), so
    inference allocates nothing and one model serves many threads.  Layer l
    maps dims[l] -> dims[l+1]: y = act_l(W_l x + b_l), W_l row-major
    (out x in), the layout PyTorch's nn.Linear stores (weight is out x in).

    Single samples go through cblas_sgemv, batches through cblas_sgemm
    (row-major, samples in rows).

    Training (policies/lfd_train.h drives it) uses the same storage: a
    forward pass that keeps every layer's pre-activation and output in a
    training workspace (lfd_mlp_forward_train), and a backward pass
    (lfd_mlp_backward) that turns dL/dY into gradients held in an lfd_mlp of
    the same shape (the gradient of w and b of layer l in grad->layers[l]),
    all with sgemm over the batch.  Backward pass, for layer l with input
    a_{l-1}, pre-activation z_l and output a_l = act(z_l):
        delta_l   = dL/da_l * act'(z_l)
        dW_l      = delta_l^T a_{l-1}        (out x in)
        db_l      = sum over samples of delta_l
        dL/da_l-1 = delta_l W_l
*/
#ifndef LFD_MLP_H
#define LFD_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"

#define LFD_MLP_MAX_LAYERS 16
#define LFD_MLP_MAX_WIDTH 8192

typedef enum {
    LFD_ACT_LINEAR = 0,
    LFD_ACT_RELU,
    LFD_ACT_TANH,
    LFD_ACT_ELU,
    LFD_ACT_GELU, /* tanh approximation, as PyTorch's approximate="tanh" */
    LFD_ACT_SILU,
    LFD_ACT_GELU_ERF /* "gelu_erf": the exact form, PyTorch's default nn.GELU() (added
                        2026-12-07: "gelu" stayed the tanh form lfd trains with) */
} lfd_activation;
#define LFD_ACT_LAST LFD_ACT_GELU_ERF

typedef struct lfd_mlp_layer {
    int in, out;
    lfd_activation act;
    float *w; /* out * in, row-major */
    float *b; /* out */
} lfd_mlp_layer;

typedef struct lfd_mlp {
    int nlayers;
    int in_dim, out_dim, max_width;
    lfd_mlp_layer layers[LFD_MLP_MAX_LAYERS];
} lfd_mlp;

/* Creates an MLP with nlayers layers: dims has nlayers + 1 entries, acts has
   nlayers (use LFD_ACT_LINEAR for the output layer).  Weights are zero;
   see lfd_mlp_init_random.  The caller frees *out with lfd_mlp_free (which
   NULLs the pointer); *out is NULL on failure. */
int lfd_mlp_new(lfd_mlp **out, int nlayers, const int *dims, const lfd_activation *acts,
                lfd_err *err);
void lfd_mlp_free(lfd_mlp **m);
int lfd_mlp_copy(lfd_mlp **out, const lfd_mlp *src, lfd_err *err);

/* He-uniform weights for ReLU-family layers, Xavier-uniform otherwise,
   zero biases; deterministic for a seed. */
void lfd_mlp_init_random(lfd_mlp *m, uint64_t seed);

/* Number of floats of workspace for batches of up to batch samples. */
size_t lfd_mlp_ws_floats(const lfd_mlp *m, int batch);

/* y = mlp(x) for one sample; ws holds lfd_mlp_ws_floats(m, 1) floats. */
void lfd_mlp_forward(const lfd_mlp *m, float *ws, const float *x, float *y);
/* Y = mlp(X) for batch samples (rows); ws holds lfd_mlp_ws_floats(m, batch). */
void lfd_mlp_forward_batch(const lfd_mlp *m, float *ws, int batch, const float *X, float *Y);

/* Applies an activation in place; and its name <-> enum ("relu", ...). */
void lfd_activation_apply(lfd_activation a, float *v, int n);
const char *lfd_activation_name(lfd_activation a);
int lfd_activation_parse(const char *name, lfd_activation *a);

/* Total number of parameters. */
size_t lfd_mlp_nparams(const lfd_mlp *m);

/* ---- training ------------------------------------------------------------- */

/* Floats of training workspace for batches of up to batch samples: every
   layer's pre-activation and output, and two gradient buffers. */
size_t lfd_mlp_train_ws_floats(const lfd_mlp *m, int batch);

/* Y = mlp(X) for batch rows like lfd_mlp_forward_batch, keeping what the
   backward pass needs in ws (lfd_mlp_train_ws_floats(m, batch) floats).
   Y may be NULL: the output then stays in ws (lfd_mlp_train_output). */
void lfd_mlp_forward_train(const lfd_mlp *m, float *ws, int batch, const float *X, float *Y);
/* The output rows (batch x out_dim) of the last lfd_mlp_forward_train. */
const float *lfd_mlp_train_output(const lfd_mlp *m, const float *ws, int batch);

/* Gradients of a loss L with respect to every weight and bias, given dY =
   dL/dY (batch x out_dim) for the batch and ws of the lfd_mlp_forward_train
   that produced Y from X.  Overwrites grad (an MLP of the same shape, e.g.
   from lfd_mlp_copy).  If dX is non-NULL it receives dL/dX (batch x in_dim).
   Allocates nothing. */
void lfd_mlp_backward(const lfd_mlp *m, float *ws, int batch, const float *X, const float *dY,
                      lfd_mlp *grad, float *dX);

/* Derivative of an activation at pre-activation z with output a = act(z). */
float lfd_activation_deriv(lfd_activation act, float z, float a);

#endif
