/*  lfd_safetensors: reading PyTorch weights saved as safetensors, and
    turning an MLP stored in one into an lfd policy.

    Format (huggingface/safetensors, docs "Format"): 8 bytes little-endian
    unsigned N, then N bytes of UTF-8 JSON, then the data buffer.  The JSON
    maps each tensor name to {"dtype": "F32"|"F16"|"BF16"|"F64"|...,
    "shape": [..], "data_offsets": [begin, end]} (byte offsets into the data
    buffer, little-endian, C order); the optional key "__metadata__" maps
    strings to strings.  This is what `safetensors.torch.save_file` and
    LeRobot write.

    Parsing checks everything before anything is used: the header size
    against the file (and LFD_ST_MAX_HEADER), the JSON, every dtype, rank
    (<= LFD_ST_MAX_RANK), shape (product capped), that end - begin equals the
    element count times the element size, that each tensor lies inside the
    buffer, and that tensors do not overlap.  Errors name the file, the
    tensor and the byte offset.  Float tensors (F32, F16, BF16, F64) are
    read as float32; other dtypes are listed but cannot be read as weights.

    Import.  A layer layout (from a small JSON file or from CLI prefixes)
    names the weight and bias tensor of each nn.Linear in order and its
    activation, and optionally the tensors holding normalisation statistics:
        {"layers": [{"weight": "net.0.weight", "bias": "net.0.bias",
                     "activation": "relu"}, ...],
         "obs_mean": "obs_mean", "obs_std": "obs_std",
         "act_mean": "act_mean", "act_std": "act_std",
         "chunk": 10, "control_period_s": 0.02,
         "upper_body": true, "root": false, "prev_action": true, "phase": true}
    Weights are (out, in) as nn.Linear stores them; a missing bias is zero.
    The observation layout is lfd's (policies/lfd_obs.h) for the robot and
    the options given, so the network's input width must equal it; the
    output must be chunk * driven joints.  Observation statistics must be
    obs_dim wide; action statistics ndriven (per driven joint) or the
    robot's joint count.  Without statistics the policy normalises with
    mean 0 and std 1 (the network sees raw units).
*/
#ifndef LFD_SAFETENSORS_H
#define LFD_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"
#include "policies/lfd_mlp.h"
#include "policies/lfd_obs.h"
#include "policies/lfd_policy.h"
#include "robots/lfd_robot.h"

#define LFD_ST_MAX_HEADER (16u << 20)       /* bytes of JSON header */
#define LFD_ST_MAX_FILE ((size_t)1 << 31)   /* 2 GiB */
#define LFD_ST_MAX_TENSORS 65536
#define LFD_ST_MAX_RANK 8
#define LFD_ST_NAME_MAX 256

typedef enum {
    LFD_ST_F32 = 0, LFD_ST_F16, LFD_ST_BF16, LFD_ST_F64,
    LFD_ST_I8, LFD_ST_U8, LFD_ST_I16, LFD_ST_U16, LFD_ST_I32, LFD_ST_U32, LFD_ST_I64,
    LFD_ST_U64, LFD_ST_BOOL
} lfd_st_dtype;

typedef struct lfd_st_tensor {
    char name[LFD_ST_NAME_MAX];
    lfd_st_dtype dtype;
    int rank;
    int64_t shape[LFD_ST_MAX_RANK];
    size_t count;          /* elements */
    size_t begin, end;     /* byte offsets into the data buffer */
} lfd_st_tensor;

typedef struct lfd_safetensors {
    char name[256];        /* for messages */
    uint8_t *bytes;        /* the whole file (owned) */
    size_t len;
    size_t data_off;       /* 8 + header size */
    int n;
    lfd_st_tensor *t;
} lfd_safetensors;

/* Parses a safetensors image (copied; data may be freed afterwards) into a
   new lfd_safetensors.  name is used in messages.  The caller frees *out
   with lfd_safetensors_free (which NULLs the pointer); *out is NULL on
   failure. */
int lfd_safetensors_parse(const uint8_t *data, size_t len, const char *name,
                          lfd_safetensors **out, lfd_err *err);
/* Reads and parses a file: the same ownership, *out NULL on failure. */
int lfd_safetensors_load(lfd_safetensors **out, const char *path, lfd_err *err);
void lfd_safetensors_free(lfd_safetensors **st);

/* The tensor called name, or NULL. */
const lfd_st_tensor *lfd_safetensors_find(const lfd_safetensors *st, const char *name);
/* Name of a dtype ("F32", ...). */
const char *lfd_st_dtype_name(lfd_st_dtype d);

/* Reads a float tensor (F32, F16, BF16, F64) as n float32 values (n must
   equal its element count).  LFD_EUNSUPPORTED for other dtypes,
   LFD_ENUMERIC for a non-finite value (naming its index). */
int lfd_safetensors_read_f32(const lfd_safetensors *st, const lfd_st_tensor *t, float *out,
                             size_t n, lfd_err *err);

/* ---- import -------------------------------------------------------------------- */

typedef struct lfd_st_layer {
    char weight[LFD_ST_NAME_MAX], bias[LFD_ST_NAME_MAX]; /* bias "" = none */
    lfd_activation act;
} lfd_st_layer;

typedef struct lfd_st_layout {
    int nlayers;
    lfd_st_layer layers[LFD_MLP_MAX_LAYERS];
    char obs_mean[LFD_ST_NAME_MAX], obs_std[LFD_ST_NAME_MAX]; /* "" = none */
    char act_mean[LFD_ST_NAME_MAX], act_std[LFD_ST_NAME_MAX];
    int chunk;                  /* 0: not given */
    double control_period_s;    /* 0: not given */
    lfd_obs_opts obs;           /* observation layout options */
} lfd_st_layout;

/* An empty layout: no layers, no stats, default observation options. */
void lfd_st_layout_init(lfd_st_layout *L);

/* Parses the JSON layout description (see above) into L (which should be
   initialised first; keys absent keep their values). */
int lfd_st_layout_parse(const char *text, size_t len, const char *name, lfd_st_layout *L,
                        lfd_err *err);
/* Reads and parses a layout file into L.  A layout holds no pointers:
   nothing to free; on failure L may be partly filled (do not use it). */
int lfd_st_layout_load(lfd_st_layout *L, const char *path, lfd_err *err);

/* Layers from comma-separated module prefixes ("net.0,net.2,net.4": weight
   "<p>.weight", bias "<p>.bias"), the hidden activation for every layer but
   the last, which is linear. */
int lfd_st_layout_from_prefixes(const char *prefixes, lfd_activation hidden,
                                lfd_st_layout *L, lfd_err *err);

/* Builds a policy for robot r from the weights and the layout (chunk and
   control period from the layout; 1 and 0.02 s if it gives none).  Every
   shape is checked against the observation layout and the chain of layers;
   errors name the tensor.  *out: new policy, not saved (free with
   lfd_policy_free).  The policy's meta records the source file's hash. */
int lfd_policy_from_safetensors(const lfd_safetensors *st, const lfd_st_layout *lay,
                                const lfd_robot *r, const char *name, lfd_policy **out,
                                lfd_err *err);

#endif
