/*  lfd_policy: a policy the runtime serves, and its file.

    A policy turns an observation vector into a chunk of `chunk` future
    actions (joint position targets for the robot's PD controller, one row of
    act_dim per control period).  Two kinds:
      - "mlp":      a behaviour-cloning MLP (lfd_mlp) with normalisation
                    statistics: obs_n = (obs - obs_mean) / obs_std,
                    out = mlp(obs_n), action = out * act_std + act_mean
                    (per joint, the same for every step of the chunk);
      - "playback": a checked robot motion replayed by time; its observation
                    is the single value time_s, its actions the motion's
                    joint angles at time_s + k * control_period_s.
    The policy is immutable after loading; lfd_policy_step() takes a
    per-caller workspace and allocates nothing, so a server can run one
    policy for many clients at once.

    File (.lfdp): one msgpack map sealed like motion files (core/lfd_seal.h):
      "format": "lfd.policy", "version": 1, "kind": "mlp" | "playback",
      "name", "robot", "model_hash", "control_period_s", "chunk",
      "obs_names", "obs_units", "act_names", "act_units"  ([str]),
      "default_action", "act_lo", "act_hi", "vel_limit", "acc_limit"
                                               (ndarray <f4 (act_dim)),
      "norm": {"kind": "meanstd" | "none", "obs_mean", "obs_std",
               "act_mean", "act_std"}            (ndarrays <f4),
      "mlp": {"layers": [{"w": <f4 (out, in), "b": <f4 (out),
                          "act": "relu" | ...}]}             (kind mlp),
      "playback": {"fps": float, "frames": <f4 (T, act_dim)} (kind playback),
      "lineage": map, "meta": map              (carried untouched),
      "sha256": bin(32)
    Loading checks every width against obs_dim/act_dim, refuses missing or
    wrong-width statistics, non-finite weights or stats, and zero std.
    lfd_policy_check_robot() refuses a policy whose schema does not match a
    robot's joints and model hash.
*/
#ifndef LFD_POLICY_H
#define LFD_POLICY_H

#include <stddef.h>

#include "core/lfd_err.h"
#include "core/lfd_mp.h"
#include "core/lfd_prov.h"
#include "policies/lfd_mlp.h"

#define LFD_POLICY_FORMAT "lfd.policy"
#define LFD_POLICY_VERSION 1
#define LFD_POLICY_MAX_DIM 4096
#define LFD_POLICY_MAX_CHUNK 256
#define LFD_POLICY_NAME_MAX 64
#define LFD_POLICY_UNIT_MAX 16
#define LFD_POLICY_MAX_FILE ((size_t)1 << 30)

typedef enum { LFD_POLICY_MLP = 0, LFD_POLICY_PLAYBACK = 1 } lfd_policy_kind;

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
    lfd_mlp *mlp;                     /* kind mlp: obs_dim -> chunk * act_dim */
    double playback_fps;              /* kind playback */
    int playback_frames;
    float *playback;                  /* playback_frames * act_dim */
    lfd_prov lineage;                 /* demonstrations it was made from */
    lfd_prov meta;                    /* training settings, figures */
} lfd_policy;

/* Allocates a policy with all arrays for the given sizes (zeroed; std = 1,
   limits +-inf, names empty) and no model; the caller fills it.  Free with
   lfd_policy_free. */
int lfd_policy_new(lfd_policy **out, lfd_policy_kind kind, int obs_dim, int act_dim, int chunk,
                   lfd_err *err);
void lfd_policy_free(lfd_policy **p);

/* Checks internal consistency (dims, finite stats, std > 0, model shape). */
int lfd_policy_validate(const lfd_policy *p, lfd_err *err);

int lfd_policy_encode(const lfd_policy *p, lfd_buf *out, lfd_err *err);
int lfd_policy_decode(lfd_policy **out, const uint8_t *data, size_t len, const char *name,
                      lfd_err *err);
/* Writes atomically and sets p->hash to the SHA-256 of the written bytes. */
int lfd_policy_save(lfd_policy *p, const char *path, lfd_err *err);
int lfd_policy_load(lfd_policy **out, const char *path, lfd_err *err);

/* Refuses (LFD_EMISMATCH, naming the first difference) a policy whose
   robot, model hash (when both are set) or action names differ from the
   given joint names. */
int lfd_policy_check_robot(const lfd_policy *p, const char *robot, const char *model_hash,
                           int njoints, const char (*joint_names)[64], lfd_err *err);

/* Per-caller scratch space for lfd_policy_step. */
typedef struct lfd_policy_ws {
    float *obs_n;
    float *out;
    float *mlp_ws;
} lfd_policy_ws;

int lfd_policy_ws_new(lfd_policy_ws **out, const lfd_policy *p, lfd_err *err);
void lfd_policy_ws_free(lfd_policy_ws **ws);

/* One observation (obs_dim floats) -> chunk * act_dim floats.  No
   allocation.  Non-finite observations or outputs give LFD_ENUMERIC and
   leave chunk untouched: callers hold instead. */
int lfd_policy_step(const lfd_policy *p, lfd_policy_ws *ws, const float *obs, float *chunk,
                    lfd_err *err);

#endif
