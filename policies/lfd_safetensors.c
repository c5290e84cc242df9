/*  lfd_safetensors: safetensors reader and MLP import (see lfd_safetensors.h).

    The header is parsed with lfd's bounded JSON parser; the data buffer is
    never trusted: every tensor's byte range is checked against its dtype
    and shape before any read.
*/
#include "policies/lfd_safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_sha256.h"
#include "policies/lfd_bc.h"

static const struct {
    const char *name;
    int size;
} dtypes[] = {{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I8", 1},
              {"U8", 1},  {"I16", 2}, {"U16", 2},  {"I32", 4}, {"U32", 4},
              {"I64", 8}, {"U64", 8}, {"BOOL", 1}};

const char *lfd_st_dtype_name(lfd_st_dtype d)
{
    return (int)d >= 0 && (size_t)d < sizeof dtypes / sizeof dtypes[0] ? dtypes[d].name : "?";
}

void lfd_safetensors_free(lfd_safetensors **pst)
{
    if (!pst || !*pst)
        return;
    free((*pst)->bytes);
    free((*pst)->t);
    free(*pst);
    *pst = NULL;
}

/* a non-negative integer JSON number that fits (no fraction, <= cap) */
static int json_uint(const lfd_json *v, double cap, uint64_t *out)
{
    if (!v || v->type != LFD_JSON_NUM || !(v->num >= 0) || v->num > cap ||
        v->num != floor(v->num))
        return 0;
    *out = (uint64_t)v->num;
    return 1;
}

static int parse_tensor(lfd_safetensors *st, const lfd_json *v, lfd_st_tensor *t,
                        size_t data_len, lfd_err *err)
{
    const char *f = st->name;
    if (v->type != LFD_JSON_OBJ)
        return lfd_fail(err, LFD_EPARSE, "%s: header: tensor '%s' is not an object", f, t->name);
    const lfd_json *dt = lfd_json_get(v, "dtype"), *sh = lfd_json_get(v, "shape"),
                   *off = lfd_json_get(v, "data_offsets");
    if (!dt || dt->type != LFD_JSON_STR)
        return lfd_fail(err, LFD_EPARSE, "%s: header: tensor '%s' has no dtype string", f,
                        t->name);
    int d = -1;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(dt->str, dtypes[i].name) == 0)
            d = (int)i;
    if (d < 0)
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: header: tensor '%s' has dtype '%.16s'", f,
                        t->name, dt->str);
    t->dtype = (lfd_st_dtype)d;
    if (!sh || sh->type != LFD_JSON_ARR || sh->count > LFD_ST_MAX_RANK)
        return lfd_fail(err, LFD_EPARSE, "%s: header: tensor '%s' shape is not a list of at most %d",
                        f, t->name, LFD_ST_MAX_RANK);
    t->rank = sh->count;
    /* element count, capped by the buffer so it cannot overflow */
    size_t count = 1;
    for (int k = 0; k < t->rank; k++) {
        uint64_t n;
        if (!json_uint(lfd_json_at(sh, k), 9.0e15, &n))
            return lfd_fail(err, LFD_EPARSE, "%s: header: tensor '%s' shape[%d] is not a size", f,
                            t->name, k);
        t->shape[k] = (int64_t)n;
        if (n && count > data_len / n)
            count = data_len + 1;
        else
            count *= (size_t)n;
    }
    uint64_t b, e;
    if (!off || off->type != LFD_JSON_ARR || off->count != 2 ||
        !json_uint(lfd_json_at(off, 0), 9.0e15, &b) || !json_uint(lfd_json_at(off, 1), 9.0e15, &e))
        return lfd_fail(err, LFD_EPARSE, "%s: header: tensor '%s' data_offsets is not [begin, end]",
                        f, t->name);
    if (b > e || e > data_len)
        return lfd_fail(err, LFD_EPARSE,
                        "%s: tensor '%s' bytes [%llu, %llu) lie outside the data buffer (%zu bytes "
                        "at offset %zu)",
                        f, t->name, (unsigned long long)b, (unsigned long long)e, data_len,
                        st->data_off);
    if (count > data_len || (uint64_t)count * (uint64_t)dtypes[d].size != e - b)
        return lfd_fail(err, LFD_EPARSE,
                        "%s: tensor '%s' at byte %llu: %llu bytes do not hold its shape of %s",
                        f, t->name, (unsigned long long)(st->data_off + b),
                        (unsigned long long)(e - b), dtypes[d].name);
    t->count = count;
    t->begin = (size_t)b;
    t->end = (size_t)e;
    return LFD_OK;
}

static int cmp_begin(const void *a, const void *b)
{
    const lfd_st_tensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : strcmp(x->name, y->name);
}

int lfd_safetensors_parse(const uint8_t *data, size_t len, const char *name,
                          lfd_safetensors **out, lfd_err *err)
{
    *out = NULL;
    name = name ? name : "safetensors";
    /* the 8-byte header size */
    if (len < 8)
        return lfd_fail(err, LFD_EPARSE, "%s: %zu bytes: too short for a safetensors header size",
                        name, len);
    if (len > LFD_ST_MAX_FILE)
        return lfd_fail(err, LFD_ELIMIT, "%s: %zu bytes is over the %zu-byte limit", name, len,
                        LFD_ST_MAX_FILE);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | data[i];
    if (hlen > LFD_ST_MAX_HEADER)
        return lfd_fail(err, LFD_ELIMIT, "%s: byte 0: header size %llu is over the limit of %u",
                        name, (unsigned long long)hlen, LFD_ST_MAX_HEADER);
    if (hlen < 2 || hlen > len - 8)
        return lfd_fail(err, LFD_EPARSE,
                        "%s: byte 0: header size %llu does not fit the file (%zu bytes): truncated?",
                        name, (unsigned long long)hlen, len);
    lfd_safetensors *st = calloc(1, sizeof *st);
    if (!st)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    snprintf(st->name, sizeof st->name, "%s", name);
    st->data_off = 8 + (size_t)hlen;
    size_t data_len = len - st->data_off;
    lfd_json_doc *doc = NULL;
    int rc = lfd_json_parse((const char *)data + 8, (size_t)hlen, name, &doc, err);
    const lfd_json *root = rc ? NULL : lfd_json_root(doc);
    if (rc == LFD_OK && root->type != LFD_JSON_OBJ)
        rc = lfd_fail(err, LFD_EPARSE, "%s: header is not a JSON object", name);
    /* the tensors */
    if (rc == LFD_OK) {
        int n = 0;
        for (const lfd_json *c = root->child; c; c = c->next)
            n += strcmp(c->key, "__metadata__") != 0;
        if (n > LFD_ST_MAX_TENSORS)
            rc = lfd_fail(err, LFD_ELIMIT, "%s: %d tensors (limit %d)", name, n, LFD_ST_MAX_TENSORS);
        else if (n && !(st->t = calloc((size_t)n, sizeof *st->t)))
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        for (const lfd_json *c = root->child; rc == LFD_OK && c; c = c->next) {
            if (strcmp(c->key, "__metadata__") == 0) {
                if (c->type != LFD_JSON_OBJ)
                    rc = lfd_fail(err, LFD_EPARSE, "%s: header: __metadata__ is not an object", name);
                continue;
            }
            lfd_st_tensor *t = &st->t[st->n];
            if (strlen(c->key) >= sizeof t->name)
                rc = lfd_fail(err, LFD_ELIMIT, "%s: header: a tensor name is over %d bytes", name,
                              LFD_ST_NAME_MAX - 1);
            else {
                /* a name the header gives twice never reaches here: JSON
                   readers keep one or the other (Python's the last), and
                   lfd_json_parse refuses a duplicated member name */
                snprintf(t->name, sizeof t->name, "%s", c->key);
                rc = parse_tensor(st, c, t, data_len, err);
                st->n += rc == LFD_OK;
            }
        }
    }
    /* no two tensors may share bytes, and together they index the whole
       data buffer with no hole: the format's rule ("the byte buffer needs to
       be entirely indexed, and cannot contain holes", huggingface/safetensors
       README), which keeps a file from carrying bytes no tensor accounts for */
    if (rc == LFD_OK && st->n > 1)
        qsort(st->t, (size_t)st->n, sizeof *st->t, cmp_begin);
    if (rc == LFD_OK) {
        size_t at = 0;
        for (int i = 0; rc == LFD_OK && i < st->n; i++) {
            if (st->t[i].begin < at)
                rc = lfd_fail(err, LFD_EPARSE, "%s: tensors '%s' and '%s' overlap at byte %zu",
                              name, st->t[i - 1].name, st->t[i].name,
                              st->data_off + st->t[i].begin);
            else if (st->t[i].begin > at)
                rc = lfd_fail(err, LFD_EPARSE,
                              "%s: bytes %zu-%zu of the file belong to no tensor (before '%s'); "
                              "a safetensors buffer has no holes",
                              name, st->data_off + at, st->data_off + st->t[i].begin - 1,
                              st->t[i].name);
            else
                at = st->t[i].end;
        }
        if (rc == LFD_OK && at != data_len)
            rc = lfd_fail(err, LFD_EPARSE,
                          "%s: bytes %zu-%zu of the file, at its end, belong to no tensor; a safetensors "
                          "buffer has no holes",
                          name, st->data_off + at, st->data_off + data_len - 1);
    }
    lfd_json_free(&doc);
    if (rc == LFD_OK) {
        if (!(st->bytes = malloc(len ? len : 1)))
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        else {
            memcpy(st->bytes, data, len);
            st->len = len;
        }
    }
    if (rc) {
        lfd_safetensors_free(&st);
        return rc;
    }
    *out = st;
    return LFD_OK;
}

int lfd_safetensors_load(lfd_safetensors **out, const char *path, lfd_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = lfd_file_read(path, LFD_ST_MAX_FILE, &data, &len, err);
    if (rc == LFD_OK)
        rc = lfd_safetensors_parse(data, len, path, out, err);
    free(data);
    return rc;
}

const lfd_st_tensor *lfd_safetensors_find(const lfd_safetensors *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->t[i].name, name) == 0)
            return &st->t[i];
    return NULL;
}

/* IEEE 754 half -> float */
static float half_to_float(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float v;
    if (e == 0)
        v = ldexpf((float)m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexpf((float)(m | 1024), e - 25);
    return s ? -v : v;
}

int lfd_safetensors_read_f32(const lfd_safetensors *st, const lfd_st_tensor *t, float *out,
                             size_t n, lfd_err *err)
{
    if (n != t->count)
        return lfd_fail(err, LFD_EMISMATCH, "%s: tensor '%s' has %zu elements, %zu expected",
                        st->name, t->name, t->count, n);
    const uint8_t *p = st->bytes + st->data_off + t->begin;
    for (size_t i = 0; i < n; i++) {
        float v;
        switch (t->dtype) {
        case LFD_ST_F32: {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                         (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
            memcpy(&v, &u, 4);
            break;
        }
        case LFD_ST_F16:
            v = half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            break;
        case LFD_ST_BF16: {
            uint32_t u = ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8) << 16;
            memcpy(&v, &u, 4);
            break;
        }
        case LFD_ST_F64: {
            uint64_t u = 0;
            for (int k = 7; k >= 0; k--)
                u = u << 8 | p[8 * i + (size_t)k];
            double dv;
            memcpy(&dv, &u, 8);
            v = (float)dv;
            break;
        }
        default:
            return lfd_fail(err, LFD_EUNSUPPORTED, "%s: tensor '%s' is %s, not a float tensor",
                            st->name, t->name, lfd_st_dtype_name(t->dtype));
        }
        if (!isfinite(v))
            return lfd_fail(err, LFD_ENUMERIC, "%s: tensor '%s' element %zu is not finite",
                            st->name, t->name, i);
        out[i] = v;
    }
    return LFD_OK;
}

/* ---- layouts ------------------------------------------------------------------------ */

void lfd_st_layout_init(lfd_st_layout *L)
{
    memset(L, 0, sizeof *L);
    lfd_obs_opts_init(&L->obs);
}

static int copy_name(char *dst, const lfd_json *v, const char *what, const char *file,
                     lfd_err *err)
{
    if (!v || v->type != LFD_JSON_STR || v->len == 0 || v->len >= LFD_ST_NAME_MAX ||
        strlen(v->str) != v->len)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: %s must be a tensor name (1..%d bytes)", file,
                        v ? v->line : 1, what, LFD_ST_NAME_MAX - 1);
    memcpy(dst, v->str, v->len + 1);
    return LFD_OK;
}

static int json_flag(const lfd_json *root, const char *key, int *dst, const char *file,
                     lfd_err *err)
{
    const lfd_json *v = lfd_json_get(root, key);
    if (!v)
        return LFD_OK;
    if (v->type != LFD_JSON_BOOL)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: %s must be true or false", file, v->line, key);
    *dst = v->b;
    return LFD_OK;
}

int lfd_st_layout_parse(const char *text, size_t len, const char *name, lfd_st_layout *L,
                        lfd_err *err)
{
    lfd_json_doc *doc = NULL;
    int rc = lfd_json_parse(text, len, name, &doc, err);
    if (rc)
        return rc;
    const lfd_json *root = lfd_json_root(doc), *v;
    if (root->type != LFD_JSON_OBJ) {
        rc = lfd_fail(err, LFD_EPARSE, "%s:1: the layout must be a JSON object", name);
        goto done;
    }
    /* the layers, in order */
    const lfd_json *layers = lfd_json_get(root, "layers");
    if (!layers || layers->type != LFD_JSON_ARR || layers->count < 1 ||
        layers->count > LFD_MLP_MAX_LAYERS) {
        rc = lfd_fail(err, LFD_EPARSE, "%s:%d: \"layers\" must be a list of 1..%d layers", name,
                      layers ? layers->line : 1, LFD_MLP_MAX_LAYERS);
        goto done;
    }
    L->nlayers = layers->count;
    for (int i = 0; i < layers->count; i++) {
        const lfd_json *l = lfd_json_at(layers, i);
        lfd_st_layer *y = &L->layers[i];
        memset(y, 0, sizeof *y);
        if (l->type != LFD_JSON_OBJ) {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: layer %d is not an object", name, l->line, i);
            goto done;
        }
        if ((rc = copy_name(y->weight, lfd_json_get(l, "weight"), "layer weight", name, err)))
            goto done;
        if ((v = lfd_json_get(l, "bias")) && v->type != LFD_JSON_NULL &&
            (rc = copy_name(y->bias, v, "layer bias", name, err)))
            goto done;
        y->act = i == layers->count - 1 ? LFD_ACT_LINEAR : LFD_ACT_RELU;
        if ((v = lfd_json_get(l, "activation"))) {
            if (v->type != LFD_JSON_STR || lfd_activation_parse(v->str, &y->act)) {
                rc = lfd_fail(err, LFD_EPARSE,
                              "%s:%d: layer %d activation must be linear, relu, tanh, elu, gelu "
                              "(tanh form), gelu_erf (PyTorch's default nn.GELU) or silu",
                              name, v->line, i);
                goto done;
            }
        }
    }
    /* statistics tensors */
    static const char *stat_keys[] = {"obs_mean", "obs_std", "act_mean", "act_std"};
    char *stat_dst[] = {L->obs_mean, L->obs_std, L->act_mean, L->act_std};
    for (int k = 0; k < 4; k++)
        if ((v = lfd_json_get(root, stat_keys[k])) &&
            (rc = copy_name(stat_dst[k], v, stat_keys[k], name, err)))
            goto done;
    /* schema options */
    uint64_t u;
    if ((v = lfd_json_get(root, "chunk"))) {
        if (!json_uint(v, LFD_POLICY_MAX_CHUNK, &u) || u < 1) {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: chunk must be 1..%d", name, v->line,
                          LFD_POLICY_MAX_CHUNK);
            goto done;
        }
        L->chunk = (int)u;
    }
    if ((v = lfd_json_get(root, "control_period_s"))) {
        if (v->type != LFD_JSON_NUM || !(v->num > 0 && v->num <= 10)) {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: control_period_s must be in (0, 10]", name,
                          v->line);
            goto done;
        }
        L->control_period_s = v->num;
    }
    if ((rc = json_flag(root, "upper_body", &L->obs.upper_body, name, err)) ||
        (rc = json_flag(root, "root", &L->obs.root, name, err)) ||
        (rc = json_flag(root, "prev_action", &L->obs.prev_action, name, err)) ||
        (rc = json_flag(root, "phase", &L->obs.phase, name, err)))
        goto done;
done:
    lfd_json_free(&doc);
    return rc;
}

int lfd_st_layout_load(lfd_st_layout *L, const char *path, lfd_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = lfd_file_read(path, LFD_JSON_MAX_BYTES, &data, &len, err);
    if (rc == LFD_OK)
        rc = lfd_st_layout_parse((const char *)data, len, path, L, err);
    free(data);
    return rc;
}

int lfd_st_layout_from_prefixes(const char *prefixes, lfd_activation hidden, lfd_st_layout *L,
                                lfd_err *err)
{
    L->nlayers = 0;
    const char *s = prefixes;
    while (s && *s) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        if (n == 0 || n + 8 >= LFD_ST_NAME_MAX)
            return lfd_fail(err, LFD_EARG, "layer prefix %d is empty or too long", L->nlayers + 1);
        if (L->nlayers == LFD_MLP_MAX_LAYERS)
            return lfd_fail(err, LFD_ELIMIT, "more than %d layers", LFD_MLP_MAX_LAYERS);
        lfd_st_layer *y = &L->layers[L->nlayers++];
        snprintf(y->weight, sizeof y->weight, "%.*s.weight", (int)n, s);
        snprintf(y->bias, sizeof y->bias, "%.*s.bias", (int)n, s);
        y->act = hidden;
        s = c ? c + 1 : NULL;
    }
    if (L->nlayers == 0)
        return lfd_fail(err, LFD_EARG, "no layers given");
    L->layers[L->nlayers - 1].act = LFD_ACT_LINEAR;
    return LFD_OK;
}

/* ---- import ----------------------------------------------------------------------- */

static int need(const lfd_safetensors *st, const char *name, const char *role,
                const lfd_st_tensor **t, lfd_err *err)
{
    *t = lfd_safetensors_find(st, name);
    if (!*t)
        return lfd_fail(err, LFD_EMISMATCH, "%s: no tensor '%s' (%s)", st->name, name, role);
    return LFD_OK;
}

/* a 1-D (or (1, n)) statistics vector of one of two accepted widths */
static int read_stat(const lfd_safetensors *st, const char *name, const char *role, int w1,
                     int w2, float *out, int *width, lfd_err *err)
{
    const lfd_st_tensor *t;
    int rc = need(st, name, role, &t, err);
    if (rc)
        return rc;
    if (t->rank < 1 || t->rank > 2 || (t->rank == 2 && t->shape[0] != 1) ||
        (t->count != (size_t)w1 && t->count != (size_t)w2)) {
        if (w1 == w2)
            return lfd_fail(err, LFD_EMISMATCH, "%s: %s '%s' has %zu values, the schema needs %d",
                            st->name, role, name, t->count, w1);
        return lfd_fail(err, LFD_EMISMATCH, "%s: %s '%s' has %zu values, the schema needs %d or %d",
                        st->name, role, name, t->count, w1, w2);
    }
    *width = (int)t->count;
    return lfd_safetensors_read_f32(st, t, out, t->count, err);
}

int lfd_policy_from_safetensors(const lfd_safetensors *st, const lfd_st_layout *lay,
                                const lfd_robot *r, const char *name, lfd_policy **out,
                                lfd_err *err)
{
    *out = NULL;
    if (lay->nlayers < 1)
        return lfd_fail(err, LFD_EARG, "the layout names no layers");
    if (!name || !*name || strlen(name) >= LFD_POLICY_NAME_MAX)
        return lfd_fail(err, LFD_EARG, "policy name must be 1..%d bytes", LFD_POLICY_NAME_MAX - 1);
    /* the observation layout lfd will build for this robot */
    lfd_obs_layout *L = malloc(sizeof *L);
    if (!L)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    int rc = lfd_obs_layout_init(L, r, &lay->obs, err);
    int chunk = lay->chunk ? lay->chunk : 1;
    double period = lay->control_period_s > 0 ? lay->control_period_s : 0.02;
    lfd_policy *p = NULL;
    if (rc)
        goto done;
    /* layer shapes: a chain from obs_dim to chunk * ndriven */
    int dims[LFD_MLP_MAX_LAYERS + 1];
    lfd_activation acts[LFD_MLP_MAX_LAYERS];
    const lfd_st_tensor *W[LFD_MLP_MAX_LAYERS], *B[LFD_MLP_MAX_LAYERS];
    for (int l = 0; l < lay->nlayers; l++) {
        const lfd_st_layer *y = &lay->layers[l];
        char role[48];
        snprintf(role, sizeof role, "layer %d weight", l);
        if ((rc = need(st, y->weight, role, &W[l], err)))
            goto done;
        if (W[l]->rank != 2 || W[l]->shape[0] < 1 || W[l]->shape[1] < 1 ||
            W[l]->shape[0] > LFD_MLP_MAX_WIDTH || W[l]->shape[1] > LFD_MLP_MAX_WIDTH) {
            rc = lfd_fail(err, LFD_EMISMATCH, "%s: '%s' must be a 2-D (out, in) matrix of at most "
                          "%d x %d", st->name, y->weight, LFD_MLP_MAX_WIDTH, LFD_MLP_MAX_WIDTH);
            goto done;
        }
        int in = (int)W[l]->shape[1], o = (int)W[l]->shape[0];
        if (l == 0 && in != L->dim) {
            rc = lfd_fail(err, LFD_EMISMATCH,
                          "%s: '%s' takes %d inputs; lfd's observation for %s has %d (%s%s%s%s)",
                          st->name, y->weight, in, r->name, L->dim,
                          L->upper_body ? "upper body" : "whole body", L->root ? ", root" : "",
                          L->prev_action ? ", prev action" : "", L->phase ? ", phase" : "");
            goto done;
        }
        if (l > 0 && in != dims[l]) {
            rc = lfd_fail(err, LFD_EMISMATCH, "%s: '%s' takes %d inputs but the layer before gives %d",
                          st->name, y->weight, in, dims[l]);
            goto done;
        }
        dims[l] = in;
        dims[l + 1] = o;
        acts[l] = y->act;
        B[l] = NULL;
        if (y->bias[0]) {
            snprintf(role, sizeof role, "layer %d bias", l);
            if ((rc = need(st, y->bias, role, &B[l], err)))
                goto done;
            if (B[l]->count != (size_t)o || B[l]->rank != 1) {
                rc = lfd_fail(err, LFD_EMISMATCH, "%s: bias '%s' has %zu values, its layer %d outputs",
                              st->name, y->bias, B[l]->count, o);
                goto done;
            }
        }
    }
    int nout = dims[lay->nlayers];
    if (nout != chunk * L->ndriven) {
        rc = lfd_fail(err, LFD_EMISMATCH,
                      "%s: the network outputs %d values; chunk %d x %d driven joints needs %d",
                      st->name, nout, chunk, L->ndriven, chunk * L->ndriven);
        goto done;
    }
    /* the policy: schema from lfd's layout, the weights from the file */
    if ((rc = lfd_policy_new(&p, LFD_POLICY_MLP, L->dim, r->njoints, chunk, err)) ||
        (rc = lfd_mlp_new(&p->mlp, lay->nlayers, dims, acts, err)))
        goto done;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->control_period_s = period;
    if ((rc = lfd_bc_policy_schema(p, r, L, err)))
        goto done;
    for (int l = 0; l < lay->nlayers && rc == LFD_OK; l++) {
        lfd_mlp_layer *ml = &p->mlp->layers[l];
        rc = lfd_safetensors_read_f32(st, W[l], ml->w, (size_t)ml->out * (size_t)ml->in, err);
        if (rc == LFD_OK && B[l])
            rc = lfd_safetensors_read_f32(st, B[l], ml->b, (size_t)ml->out, err);
    }
    if (rc)
        goto done;
    /* statistics: identity unless named */
    for (int i = 0; i < L->dim; i++) {
        p->obs_mean[i] = 0;
        p->obs_std[i] = 1;
    }
    for (int j = 0; j < r->njoints; j++) {
        p->act_mean[j] = 0;
        p->act_std[j] = 1;
    }
    int w;
    if ((lay->obs_mean[0] != 0) != (lay->obs_std[0] != 0) ||
        (lay->act_mean[0] != 0) != (lay->act_std[0] != 0)) {
        rc = lfd_fail(err, LFD_EARG, "the layout must name both mean and std, or neither");
        goto done;
    }
    if (lay->obs_mean[0] &&
        ((rc = read_stat(st, lay->obs_mean, "obs_mean", L->dim, L->dim, p->obs_mean, &w, err)) ||
         (rc = read_stat(st, lay->obs_std, "obs_std", L->dim, L->dim, p->obs_std, &w, err))))
        goto done;
    if (lay->act_mean[0]) {
        float *tmp = malloc(2 * (size_t)r->njoints * sizeof(float));
        int wm = 0, ws = 0;
        if (!tmp) {
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
            goto done;
        }
        rc = read_stat(st, lay->act_mean, "act_mean", L->ndriven, r->njoints, tmp, &wm, err);
        if (rc == LFD_OK)
            rc = read_stat(st, lay->act_std, "act_std", L->ndriven, r->njoints, tmp + r->njoints,
                           &ws, err);
        if (rc == LFD_OK && wm != ws)
            rc = lfd_fail(err, LFD_EMISMATCH, "%s: act_mean has %d values, act_std %d", st->name,
                          wm, ws);
        /* per driven joint, or per robot joint */
        for (int d = 0; rc == LFD_OK && d < L->ndriven; d++) {
            int j = L->driven[d], src = wm == r->njoints ? j : d;
            p->act_mean[j] = tmp[src];
            p->act_std[j] = tmp[r->njoints + src];
        }
        free(tmp);
        if (rc)
            goto done;
    }
    /* meta: where the weights came from */
    char hex[65];
    lfd_sha256_buf_hex(st->bytes, st->len, hex);
    if ((rc = lfd_prov_set_str(&p->meta, "trainer", "imported from safetensors", err)) ||
        (rc = lfd_prov_set_str(&p->meta, "source_sha256", hex, err)) ||
        (rc = lfd_prov_set_int(&p->meta, "upper_body", L->upper_body, err)) ||
        (rc = lfd_lineage_add_input(&p->lineage, "weights", st->name, hex, NULL, err)))
        goto done;
    rc = lfd_policy_validate(p, err);
done:
    free(L);
    if (rc)
        lfd_policy_free(&p);
    *out = p;
    return rc;
}
