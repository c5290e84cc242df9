/*  lfd_train: fitting an MLP to (observation, action) samples.

    Supervised regression in normalised units (the caller normalises with
    training-set statistics, see lfd_dataset.h):
        loss = mean over the batch and outputs of  e^2 + l1 * |e|,
        e = mlp(x) - y
    minimised with Adam (bias-corrected moments, optional decoupled weight
    decay as in AdamW) on shuffled minibatches.  After every epoch the same
    loss on the validation samples (without noise) decides early stopping:
    training ends after `patience` epochs without a new best, and the model
    is left at its best validation epoch.  Without validation samples every
    epoch runs and the last weights are kept.

    Observation noise (DART-style augmentation): with obs_noise set, each
    training sample's observation gets fresh Gaussian noise of that std
    (normalised units, per observation) every time it is drawn, while its
    target stays the demonstration's: the network learns to steer back
    toward the demonstration from states near it, which is what closed-loop
    control needs.

    Threads: every layer's forward and backward product is one OpenBLAS
    sgemm over the minibatch, run on opts.threads OpenBLAS threads (default
    1).  Measured on this 2-core machine (h1 upper-body wipe, 128-128 and
    256-256 nets, batch 256): two threads gain 7-21% when the machine is
    idle and lose 28x (185k -> 6.5k samples/s) when other work shares the
    cores, because OpenBLAS's threads wait for each other on every one of
    the many small products; so training uses one, and the other core goes
    to the simulated rollouts of the dataset (lfd_dataset.h, 2 threads).
    Deterministic: the shuffle
    and the noise come from a seeded generator, the sums over the batch are
    inside sgemm, which splits work by output block (never a reduction
    across threads), and every other loop is sequential.  tests/
    test_policy_train.c checks that two runs give identical weights.

    Allocation happens once, before the first epoch.
*/
#ifndef LFD_TRAIN_H
#define LFD_TRAIN_H

#include <stdint.h>

#include "core/lfd_err.h"
#include "policies/lfd_mlp.h"

typedef struct lfd_train_epoch {
    int epoch;             /* 1-based */
    int epochs;            /* the maximum */
    double train_loss;     /* mean objective over the epoch's minibatches (with noise) */
    double val_loss;       /* objective on the validation set, NAN without one */
    double best_val_loss;
    int best_epoch;
    double seconds;        /* since the start of training */
} lfd_train_epoch;

typedef struct lfd_train_opts {
    int epochs;            /* maximum (default 200) */
    int batch;             /* minibatch size (default 256) */
    int patience;          /* early stop after this many epochs without a new best
                              validation loss (default 20; 0 = never) */
    double lr;             /* Adam step (default 1e-3) */
    double lr_min;         /* cosine decay from lr to lr_min over epochs (default lr: none) */
    double beta1, beta2, eps; /* Adam (0.9, 0.999, 1e-8) */
    double weight_decay;   /* decoupled (AdamW), default 0 */
    double l1;             /* weight of the L1 term (default 0) */
    uint64_t seed;         /* shuffle and noise */
    const float *obs_noise; /* in_dim noise stds (normalised units) or NULL */
    int threads;           /* OpenBLAS threads (default 1; 0: leave OpenBLAS's setting) */
    /* called after every epoch (may be NULL); return non-zero to stop */
    int (*on_epoch)(void *ctx, const lfd_train_epoch *e);
    void *ctx;
} lfd_train_opts;

void lfd_train_opts_init(lfd_train_opts *o);

typedef struct lfd_train_result {
    int epochs_run, best_epoch, stopped_early;
    double train_loss;     /* last epoch's */
    double val_loss;       /* at the best epoch (NAN without validation) */
    double final_train_mse; /* MSE of the kept model on the training set, no noise */
    double seconds;
    double samples_per_s;  /* training samples per second of minibatch work (no validation) */
    long long steps;
} lfd_train_result;

/* Trains m in place on X (n x in_dim) -> Y (n x out_dim), validating on
   Xv/Yv (nv rows, may be 0).  LFD_ENUMERIC if the loss stops being finite
   (the model is then left at its best finite state). */
int lfd_train_mlp(lfd_mlp *m, const float *X, const float *Y, int n, const float *Xv,
                  const float *Yv, int nv, const lfd_train_opts *o, lfd_train_result *res,
                  lfd_err *err);

/* The objective mean(e^2 + l1 |e|) of m on n samples (batched forward). */
int lfd_train_loss(const lfd_mlp *m, const float *X, const float *Y, int n, double l1,
                   double *loss, lfd_err *err);

#endif
