/*  lfd_policy: a policy the runtime serves, and its file.

    A policy turns an observation vector into a chunk of `chunk` future
    actions (joint position targets for the robot's PD controller, one row of
    act_dim per control period: row k is the target for time t_obs + k *
    control_period_s).  Two kinds:
      - "mlp":      a behaviour-cloning MLP (lfd_mlp) with normalisation
                    statistics: obs_n = (obs - obs_mean) / obs_std,
                    out = mlp(obs_n), action = out * act_std + act_mean
                    (per joint, the same for every step of the chunk);
      - "playback": a checked robot motion replayed by time; its observation
                    is the single value time_s, its actions the motion's
                    joint angles at time_s + k * control_period_s.
    Driven joints.  An MLP may drive a subset of the actions (upper-body
    policies: the legs hold the default pose): `driven` lists the action
    indices (ascending) the network outputs, and the network's output is
    chunk rows of ndriven values; every other action is default_action in
    every row.  With all actions driven (ndriven == act_dim) the network
    outputs chunk * act_dim values, as in version 1 files.
    lfd_policy_output_rows() turns network outputs into action chunks (undo
    the normalisation, place driven joints, fill the others): lfd_policy_step
    and the server's batch path both use it, so they agree to the bit.

    Action modes (MLP policies).  "absolute" (the default; every file
    without "action_mode"): a driven joint's action is the unnormalised
    network output, as above.  "residual": row k of the chunk is the
    previous action plus a learnt change,
        action[k][j] = (prev_j + default_action[j])
                       + (out[k][d] * delta_std[d] + delta_mean[d]),
    where prev_j is the observation's prev.<joint> entry (the previous
    action minus the default pose, policies/lfd_obs.h) of driven joint d =
    j, and delta_mean / delta_std (ndriven, pooled over the chunk's rows)
    are the statistics of (chunk row - previous action) in the training
    set.  A network that outputs -delta_mean/delta_std (e.g. all zeros with
    a zero mean) is exactly the zero-order hold, so a policy that knows
    nothing about a new activity degrades to holding, and what it learns is
    how the previous action moves on (velocity extrapolation).  A residual
    policy needs the prev block for every driven joint in the observation,
    in driven order (prev_off is its offset); act_mean / act_std then hold
    the statistics of the absolute actions (information only).

    The policy is immutable after loading; lfd_policy_step() takes a
    per-caller workspace and allocates nothing, so a server can run one
    policy for many clients at once.  lfd_policy_step_batch() runs many
    observations through one sgemm per layer.

    File (.lfdp): one msgpack map sealed like motion files (core/lfd_seal.h):
      "format": "lfd.policy", "version": 1 | 2 | 3 (below), "kind": "mlp" | "playback",
      "name", "robot", "model_hash", "control_period_s", "chunk",
      "obs_names", "obs_units", "act_names", "act_units"  ([str]),
      "default_action", "act_lo", "act_hi", "vel_limit", "acc_limit"
                                               (ndarray <f4 (act_dim)),
      "norm": {"kind": "meanstd" | "none", "obs_mean", "obs_std",
               "act_mean", "act_std"}            (ndarrays <f4),
      "mlp": {"layers": [{"w": <f4 (out, in), "b": <f4 (out),
                          "act": "relu" | ...}]}             (kind mlp),
      "playback": {"fps": float, "frames": <f4 (T, act_dim)} (kind playback),
      "driven": [int]                          (version >= 2: a subset),
      "action_mode": "absolute" | "residual",
      "residual": {"delta_mean", "delta_std"}  (version 3 only, residual:
                                               ndarrays <f4 (ndriven)),
      "lineage": map, "meta": map              (carried untouched),
      "sha256": bin(32)
    A policy that drives every joint is written as version 1, byte for byte
    what earlier lfd wrote; one that drives a subset is version 2, which a
    version-1 reader refuses by its version number instead of misreading
    the network's width.  A residual policy is version 3 (with or without
    "driven"), so that older readers refuse it rather than serve its
    deltas as absolute targets; absolute policies are written exactly as
    before.  Loading refuses "action_mode" in a version 1-2 file, a
    residual policy without a complete prev block, and delta statistics
    that are missing, of the wrong width, non-finite or with std <= 0.
    Loading checks every width against obs_dim/act_dim, refuses missing or
    wrong-width statistics, non-finite weights or stats, and zero std.
    Loading also refuses non-finite or inverted action ranges and
    non-finite or non-positive velocity limits (the safety filter's limits).
    lfd_policy_check_robot() refuses a policy whose schema does not match a
    robot's joints and model hash, or whose limits or default pose are not
    the robot's (ranges within, velocity/acceleration limits not larger).
*/
#ifndef LFD_POLICY_H
#define LFD_POLICY_H

#include <stddef.h>

#include "core/lfd_util.h"
#include "core/lfd_err.h"
#include "core/lfd_mp.h"
#include "core/lfd_prov.h"
#include "policies/lfd_mlp.h"

#define LFD_POLICY_FORMAT "lfd.policy"
#define LFD_POLICY_VERSION 3 /* the newest this lfd reads and writes */
#define LFD_POLICY_MAX_DIM 4096
#define LFD_POLICY_MAX_CHUNK 256
#define LFD_POLICY_NAME_MAX LFD_NAME_MAX
#define LFD_POLICY_UNIT_MAX 16
#define LFD_POLICY_MAX_FILE ((size_t)1 << 30)

typedef enum { LFD_POLICY_MLP = 0, LFD_POLICY_PLAYBACK = 1 } lfd_policy_kind;

/* How an MLP's outputs become actions (see above). */
typedef enum { LFD_ACTION_ABSOLUTE = 0, LFD_ACTION_RESIDUAL = 1 } lfd_action_mode;

/* "absolute" / "residual"; parse returns 0 or LFD_EARG. */
const char *lfd_action_mode_name(lfd_action_mode m);
int lfd_action_mode_parse(const char *s, lfd_action_mode *m);

typedef struct lfd_policy {
    lfd_policy_kind kind;
    char name[LFD_POLICY_NAME_MAX];
    char hash[65];        /* SHA-256 (hex) of the policy file bytes: its identity */
    char robot[LFD_POLICY_NAME_MAX];
    char model_hash[65];
    int obs_dim, act_dim, chunk;
    double control_period_s;
    char (*obs_names)[LFD_POLICY_NAME_MAX];
    char (*obs_units)[LFD_POLICY_UNIT_MAX];
    char (*act_names)[LFD_POLICY_NAME_MAX];
    char (*act_units)[LFD_POLICY_UNIT_MAX];
    float *default_action;            /* act_dim: the robot's default pose */
    float *act_lo, *act_hi;           /* act_dim: joint range, rad */
    float *vel_limit;                 /* act_dim: rad/s */
    float *acc_limit;                 /* act_dim: rad/s^2, 0 = none */
    int normalized;                   /* 1: "meanstd", 0: "none" */
    float *obs_mean, *obs_std;        /* obs_dim (NULL when not normalized) */
    float *act_mean, *act_std;        /* act_dim (NULL when not normalized) */
    lfd_mlp *mlp;                     /* kind mlp: obs_dim -> chunk * ndriven */
    int ndriven;                      /* actions the network drives (act_dim: all) */
    int *driven;                      /* ndriven ascending action indices */
    lfd_action_mode action_mode;      /* kind mlp: absolute (default) or residual */
    int prev_off;                     /* residual: offset of the prev block in obs */
    float *delta_mean, *delta_std;    /* residual: ndriven (NULL otherwise) */
    double playback_fps;              /* kind playback */
    int playback_frames;
    float *playback;                  /* playback_frames * act_dim */
    lfd_prov lineage;                 /* demonstrations it was made from */
    lfd_prov meta;                    /* training settings, figures */
} lfd_policy;

/* Allocates a policy with all arrays for the given sizes (zeroed; std = 1,
   limits +-inf, names empty) and no model; the caller fills it (the
   limits too: lfd_policy_validate refuses infinite ones).  The caller
   frees *out with lfd_policy_free (which NULLs the pointer); *out is NULL
   on failure. */
int lfd_policy_new(lfd_policy **out, lfd_policy_kind kind, int obs_dim, int act_dim, int chunk,
                   lfd_err *err);
void lfd_policy_free(lfd_policy **p);

/* Makes the network drive only actions idx[0..n) (ascending, n >= 1); the
   others hold default_action.  n == act_dim restores "all". */
int lfd_policy_set_driven(lfd_policy *p, int n, const int *idx, lfd_err *err);

/* Makes an MLP policy residual with the given delta statistics (ndriven
   each, copied) or, with mode absolute, absolute again (the statistics
   are dropped; pass NULL).  Call after the observation names and the
   driven joints are set: refuses (LFD_EMISMATCH) an observation without
   prev.<joint> for every driven joint in driven order, and non-finite
   statistics or std <= 0 (LFD_ENUMERIC). */
int lfd_policy_set_action_mode(lfd_policy *p, lfd_action_mode mode, const float *delta_mean,
                               const float *delta_std, lfd_err *err);

/* Offset of the prev block of the driven joints in the observation (the
   first prev.<act_names[driven[0]]> followed by the others in order), or
   LFD_EMISMATCH naming what is missing. */
int lfd_policy_find_prev_block(const lfd_policy *p, lfd_err *err);

/* Checks internal consistency (dims, finite stats, std > 0, model shape)
   and the safety filter's limits, for every kind (both can be served):
   per action a finite, non-inverted range, a finite velocity limit > 0 and
   a finite acceleration limit >= 0 (0: none); the error names the joint. */
int lfd_policy_validate(const lfd_policy *p, lfd_err *err);

int lfd_policy_encode(const lfd_policy *p, lfd_buf *out, lfd_err *err);
/* Decodes a policy file image (data may be freed afterwards) into a new
   policy, validated; the caller frees *out with lfd_policy_free.  *out is
   NULL on failure. */
int lfd_policy_decode(lfd_policy **out, const uint8_t *data, size_t len, const char *name,
                      lfd_err *err);
/* Writes atomically and sets p->hash to the SHA-256 of the written bytes. */
int lfd_policy_save(lfd_policy *p, const char *path, lfd_err *err);
/* Reads and decodes a .lfdp file into a new policy (its arrays, model,
   lineage and meta all owned by it); the caller frees *out with
   lfd_policy_free, which NULLs the pointer.  *out is NULL on failure. */
int lfd_policy_load(lfd_policy **out, const char *path, lfd_err *err);

/* Refuses (LFD_EMISMATCH, naming the first difference) a policy whose
   robot, model hash (when both are set) or action names differ from the
   given joint names: the schema half of lfd_policy_check_robot. */
int lfd_policy_check_schema(const lfd_policy *p, const char *robot, const char *model_hash,
                            int njoints, const char (*joint_names)[64], lfd_err *err);

struct lfd_robot; /* robots/lfd_robot.h */

/* Refuses (LFD_EMISMATCH, naming the joint and both values) a policy that
   does not fit robot r: lfd_policy_check_schema with r's name, model hash
   and joints, then lfd_policy_check_limits.  The model hash covers the
   MJCF only; the limits and default pose of the description file are
   compared joint by joint. */
int lfd_policy_check_robot(const lfd_policy *p, const struct lfd_robot *r, lfd_err *err);

/* The limits half, on bare arrays (n actions in r's joint order; what names
   the policy in messages), for a policy known only by what a server said
   of it: per joint, the action range [lo, hi] must lie within the joint's
   range, vel must not exceed the joint's velocity limit, acc must not
   exceed its acceleration limit when the robot states one (0, none, then
   exceeds it), and the default action must equal the joint's default pose.
   The robot's values are taken at the policy file's float precision, with
   a tolerance of 1e-9. */
int lfd_policy_check_limits(const char *what, int n, const float *default_action,
                            const float *lo, const float *hi, const float *vel, const float *acc,
                            const struct lfd_robot *r, lfd_err *err);

/* Per-caller scratch space for lfd_policy_step (and batches of up to
   max_batch observations for lfd_policy_step_batch). */
typedef struct lfd_policy_ws {
    int max_batch;
    float *obs_n;   /* max_batch * obs_dim */
    float *out;     /* max_batch * chunk * act_dim */
    float *mlp_ws;
} lfd_policy_ws;

/* Workspace for single steps (max_batch 1), sized for p (p must outlive
   its use).  The caller frees *out with lfd_policy_ws_free (which NULLs the
   pointer); *out is NULL on failure. */
int lfd_policy_ws_new(lfd_policy_ws **out, const lfd_policy *p, lfd_err *err);
/* Workspace for batches of up to max_batch (1..LFD_POLICY_MAX_BATCH); the
   same ownership. */
int lfd_policy_ws_new_batch(lfd_policy_ws **out, const lfd_policy *p, int max_batch,
                            lfd_err *err);
void lfd_policy_ws_free(lfd_policy_ws **ws);

#define LFD_POLICY_MAX_BATCH 65536

/* Normalises one observation (obs_dim) into obs_n (may be the same array);
   a copy for unnormalised policies. */
void lfd_policy_normalize_obs(const lfd_policy *p, const float *obs, float *obs_n);

/* In place, for rows rows of buf (row stride chunk * act_dim floats): the
   network's outputs (the first chunk * ndriven floats of each row) become
   action chunks (unnormalised, driven joints placed, the others at the
   default action).  Residual policies add row r's previous action, read
   from prev + r * prev_stride (ndriven floats: the raw, unnormalised prev
   block of that row's observation, i.e. previous action minus default
   pose); absolute policies ignore prev (may be NULL).  MLP policies only;
   allocation-free. */
void lfd_policy_output_rows(const lfd_policy *p, int rows, const float *prev,
                            size_t prev_stride, float *buf);

/* One observation (obs_dim floats) -> chunk * act_dim floats.  No
   allocation.  Non-finite observations or outputs give LFD_ENUMERIC and
   leave chunk untouched: callers hold instead. */
int lfd_policy_step(const lfd_policy *p, lfd_policy_ws *ws, const float *obs, float *chunk,
                    lfd_err *err);

/* n observations (n x obs_dim, rows) -> n chunks (n x chunk * act_dim), one
   sgemm per layer; n <= ws->max_batch.  No allocation.  Any non-finite
   observation fails the whole call (LFD_ENUMERIC naming the row and the
   observation) before anything is computed, and chunks is untouched; a
   non-finite output likewise. */
int lfd_policy_step_batch(const lfd_policy *p, lfd_policy_ws *ws, int n, const float *obs,
                          float *chunks, lfd_err *err);

#endif
