/*  lfd_policy_file: the policy file codec (see lfd_policy.h, "Policy file").

    Encodes a policy into lfd's self-describing msgpack (schema, normalisation
    statistics, layers, control period, chunk length, default pose, limits,
    lineage), sealed with a checksum and written atomically; decodes and
    validates one, capping every size before allocating.  Inference and the
    policy object itself live in lfd_policy.c. */
#include "policies/lfd_policy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_ndarray.h"
#include "core/lfd_seal.h"
#include "core/lfd_sha256.h"

/* ---- encode --------------------------------------------------------------------- */

static void pack_names(msgpack_packer *pk, const char *key, const char *names, size_t stride,
                       int n)
{
    lfd_mp_pack_cstr(pk, key);
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        lfd_mp_pack_cstr(pk, names + (size_t)i * stride);
}

static void pack_vec(msgpack_packer *pk, const char *key, const float *v, int n)
{
    uint64_t shape[1] = {(uint64_t)n};
    lfd_mp_pack_cstr(pk, key);
    lfd_nd_pack(pk, LFD_DT_F32, 1, shape, v);
}

int lfd_policy_encode(const lfd_policy *p, lfd_buf *out, lfd_err *err)
{
    int rc = lfd_policy_validate(p, err);
    if (rc)
        return rc;
    msgpack_packer pk;
    lfd_buf_init(out, LFD_POLICY_MAX_FILE);
    lfd_packer_init(&pk, out);
    /* version 1 unless the network drives a subset (the "driven" key, 2) or
       is residual (3) */
    int subset = p->ndriven < p->act_dim, resid = p->action_mode == LFD_ACTION_RESIDUAL;
    msgpack_pack_map(&pk, 22 + (size_t)subset + 2 * (size_t)resid); /* entries + the seal */
    lfd_mp_pack_cstr(&pk, "format");
    lfd_mp_pack_cstr(&pk, LFD_POLICY_FORMAT);
    lfd_mp_pack_cstr(&pk, "version");
    msgpack_pack_int(&pk, resid ? 3 : subset ? 2 : 1);
    lfd_mp_pack_cstr(&pk, "kind");
    lfd_mp_pack_cstr(&pk, p->kind == LFD_POLICY_MLP ? "mlp" : "playback");
    lfd_mp_pack_cstr(&pk, "name");
    lfd_mp_pack_cstr(&pk, p->name);
    lfd_mp_pack_cstr(&pk, "robot");
    lfd_mp_pack_cstr(&pk, p->robot);
    lfd_mp_pack_cstr(&pk, "model_hash");
    lfd_mp_pack_cstr(&pk, p->model_hash);
    lfd_mp_pack_cstr(&pk, "control_period_s");
    msgpack_pack_double(&pk, p->control_period_s);
    lfd_mp_pack_cstr(&pk, "chunk");
    msgpack_pack_int(&pk, p->chunk);
    pack_names(&pk, "obs_names", p->obs_names[0], sizeof p->obs_names[0], p->obs_dim);
    pack_names(&pk, "obs_units", p->obs_units[0], sizeof p->obs_units[0], p->obs_dim);
    pack_names(&pk, "act_names", p->act_names[0], sizeof p->act_names[0], p->act_dim);
    pack_names(&pk, "act_units", p->act_units[0], sizeof p->act_units[0], p->act_dim);
    pack_vec(&pk, "default_action", p->default_action, p->act_dim);
    pack_vec(&pk, "act_lo", p->act_lo, p->act_dim);
    pack_vec(&pk, "act_hi", p->act_hi, p->act_dim);
    pack_vec(&pk, "vel_limit", p->vel_limit, p->act_dim);
    pack_vec(&pk, "acc_limit", p->acc_limit, p->act_dim);
    lfd_mp_pack_cstr(&pk, "norm");
    if (p->normalized) {
        msgpack_pack_map(&pk, 5);
        lfd_mp_pack_cstr(&pk, "kind");
        lfd_mp_pack_cstr(&pk, "meanstd");
        pack_vec(&pk, "obs_mean", p->obs_mean, p->obs_dim);
        pack_vec(&pk, "obs_std", p->obs_std, p->obs_dim);
        pack_vec(&pk, "act_mean", p->act_mean, p->act_dim);
        pack_vec(&pk, "act_std", p->act_std, p->act_dim);
    } else {
        msgpack_pack_map(&pk, 1);
        lfd_mp_pack_cstr(&pk, "kind");
        lfd_mp_pack_cstr(&pk, "none");
    }
    if (p->kind == LFD_POLICY_MLP) {
        lfd_mp_pack_cstr(&pk, "mlp");
        msgpack_pack_map(&pk, 1);
        lfd_mp_pack_cstr(&pk, "layers");
        msgpack_pack_array(&pk, (size_t)p->mlp->nlayers);
        for (int l = 0; l < p->mlp->nlayers; l++) {
            const lfd_mlp_layer *L = &p->mlp->layers[l];
            uint64_t ws[2] = {(uint64_t)L->out, (uint64_t)L->in}, bs[1] = {(uint64_t)L->out};
            msgpack_pack_map(&pk, 3);
            lfd_mp_pack_cstr(&pk, "w");
            lfd_nd_pack(&pk, LFD_DT_F32, 2, ws, L->w);
            lfd_mp_pack_cstr(&pk, "b");
            lfd_nd_pack(&pk, LFD_DT_F32, 1, bs, L->b);
            lfd_mp_pack_cstr(&pk, "act");
            lfd_mp_pack_cstr(&pk, lfd_activation_name(L->act));
        }
    } else {
        lfd_mp_pack_cstr(&pk, "playback");
        msgpack_pack_map(&pk, 2);
        lfd_mp_pack_cstr(&pk, "fps");
        msgpack_pack_double(&pk, p->playback_fps);
        lfd_mp_pack_cstr(&pk, "frames");
        uint64_t fs[2] = {(uint64_t)p->playback_frames, (uint64_t)p->act_dim};
        lfd_nd_pack(&pk, LFD_DT_F32, 2, fs, p->playback);
    }
    if (subset) {
        lfd_mp_pack_cstr(&pk, "driven");
        msgpack_pack_array(&pk, (size_t)p->ndriven);
        for (int k = 0; k < p->ndriven; k++)
            msgpack_pack_int(&pk, p->driven[k]);
    }
    if (resid) {
        lfd_mp_pack_cstr(&pk, "action_mode");
        lfd_mp_pack_cstr(&pk, lfd_action_mode_name(p->action_mode));
        lfd_mp_pack_cstr(&pk, "residual");
        msgpack_pack_map(&pk, 2);
        pack_vec(&pk, "delta_mean", p->delta_mean, p->ndriven);
        pack_vec(&pk, "delta_std", p->delta_std, p->ndriven);
    }
    lfd_mp_pack_cstr(&pk, "lineage");
    lfd_prov_pack(&p->lineage, &pk);
    lfd_mp_pack_cstr(&pk, "meta");
    lfd_prov_pack(&p->meta, &pk);
    if ((rc = lfd_seal_append(out, err)))
        lfd_buf_free(out);
    return rc;
}

int lfd_policy_save(lfd_policy *p, const char *path, lfd_err *err)
{
    lfd_buf b;
    int rc = lfd_policy_encode(p, &b, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "%s", path);
    rc = lfd_file_write_atomic(path, b.data, b.len, err);
    if (rc == LFD_OK) {
        lfd_sha256_buf_hex(b.data, b.len, p->hash);
    }
    lfd_buf_free(&b);
    return rc;
}

/* ---- decode --------------------------------------------------------------------- */

/* A list of names into a fixed-stride table of n entries (n known). */
static int read_names(lfd_mpr *r, char *dst, size_t stride, int n, const char *what,
                      lfd_err *err)
{
    uint32_t cnt;
    int rc = lfd_mpr_array(r, &cnt, err);
    if (rc)
        return rc;
    if ((int)cnt != n)
        return lfd_fail(err, LFD_EMISMATCH, "%s has %u entries, expected %d", what, cnt, n);
    for (int i = 0; i < n; i++)
        if ((rc = lfd_mpr_cstr(r, dst + (size_t)i * stride, stride, err)))
            return lfd_err_prefix_rc(err, rc, "%s[%d]", what, i);
    return LFD_OK;
}

static int read_vec(lfd_mpr *r, float *dst, int n, const char *what, lfd_err *err)
{
    lfd_ndview v;
    int rc = lfd_nd_read(r, &lfd_nd_caps_file, &v, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "%s", what);
    int64_t shape[1] = {n};
    if ((rc = lfd_nd_expect(&v, 1, shape, what, err)))
        return rc;
    return lfd_nd_get_f32(&v, dst, (size_t)n, 0, err);
}

/* Finds key in the map at r (which must be positioned at the map) and leaves
   *out at its value; returns 1 if found. */
static int find_key(const lfd_mpr *map, const char *key, lfd_mpr *out, lfd_err *err)
{
    lfd_mpr r = *map;
    uint32_t n;
    if (lfd_mpr_map(&r, &n, err))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k;
        uint32_t kl;
        if (lfd_mpr_bytes(&r, &k, &kl, err))
            return -1;
        if (lfd_mp_key_is(k, kl, key)) {
            *out = r;
            return 1;
        }
        if (lfd_mpr_skip(&r, err))
            return -1;
    }
    return 0;
}

static int need_key(const lfd_mpr *map, const char *key, lfd_mpr *out, lfd_err *err)
{
    int f = find_key(map, key, out, err);
    if (f < 0)
        return err ? err->code : LFD_EPARSE;
    if (f == 0)
        return lfd_fail(err, LFD_EPARSE, "missing '%s'", key);
    return LFD_OK;
}

static int read_mlp(lfd_policy *p, const lfd_mpr *mlpmap, lfd_err *err)
{
    lfd_mpr r;
    int rc = need_key(mlpmap, "layers", &r, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "mlp");
    uint32_t nl;
    if ((rc = lfd_mpr_array(&r, &nl, err)))
        return lfd_err_prefix_rc(err, rc, "mlp layers");
    if (nl < 1 || nl > LFD_MLP_MAX_LAYERS)
        return lfd_fail(err, LFD_ELIMIT, "mlp has %u layers (must be 1..%d)", nl,
                        LFD_MLP_MAX_LAYERS);
    /* first pass: shapes and activations; the model is allocated once they are known */
    int dims[LFD_MLP_MAX_LAYERS + 1];
    lfd_activation acts[LFD_MLP_MAX_LAYERS];
    lfd_ndview wv[LFD_MLP_MAX_LAYERS], bv[LFD_MLP_MAX_LAYERS];
    for (uint32_t l = 0; l < nl; l++) {
        lfd_mpr layer = r, f;
        char act[32];
        if ((rc = need_key(&layer, "w", &f, err)) ||
            (rc = lfd_nd_read(&f, &lfd_nd_caps_file, &wv[l], err)) ||
            (rc = need_key(&layer, "b", &f, err)) ||
            (rc = lfd_nd_read(&f, &lfd_nd_caps_file, &bv[l], err)) ||
            (rc = need_key(&layer, "act", &f, err)) ||
            (rc = lfd_mpr_cstr(&f, act, sizeof act, err)))
            return lfd_err_prefix_rc(err, rc, "mlp layer %u", l);
        if (lfd_activation_parse(act, &acts[l]))
            return lfd_fail(err, LFD_EUNSUPPORTED, "mlp layer %u: unknown activation '%s'", l,
                            act);
        if (wv[l].ndim != 2 || wv[l].dtype != LFD_DT_F32 || bv[l].ndim != 1 ||
            bv[l].dtype != LFD_DT_F32 || bv[l].shape[0] != wv[l].shape[0])
            return lfd_fail(err, LFD_EMISMATCH,
                            "mlp layer %u: w must be <f4 (out, in) and b <f4 (out)", l);
        if (wv[l].shape[0] > LFD_MLP_MAX_WIDTH || wv[l].shape[1] > LFD_MLP_MAX_WIDTH)
            return lfd_fail(err, LFD_ELIMIT, "mlp layer %u wider than %d", l,
                            LFD_MLP_MAX_WIDTH);
        if (l == 0)
            dims[0] = (int)wv[l].shape[1];
        else if ((int)wv[l].shape[1] != dims[l])
            return lfd_fail(err, LFD_EMISMATCH, "mlp layer %u takes %llu inputs but layer %u "
                                                "gives %d",
                            l, (unsigned long long)wv[l].shape[1], l - 1, dims[l]);
        dims[l + 1] = (int)wv[l].shape[0];
        if ((rc = lfd_mpr_skip(&r, err)))
            return rc;
    }
    if ((rc = lfd_mlp_new(&p->mlp, (int)nl, dims, acts, err)))
        return rc;
    for (uint32_t l = 0; l < nl; l++) {
        lfd_mlp_layer *L = &p->mlp->layers[l];
        lfd_nd_get_f32(&wv[l], L->w, (size_t)L->in * (size_t)L->out, 0, NULL);
        lfd_nd_get_f32(&bv[l], L->b, (size_t)L->out, 0, NULL);
    }
    return LFD_OK;
}

static int decode_map(lfd_policy **out, const lfd_mpr *root, lfd_err *err)
{
    lfd_mpr f;
    char format[32], kind[16];
    int64_t version, chunk;
    uint32_t nobs, nact;
    int rc;
    if ((rc = need_key(root, "format", &f, err)) || (rc = lfd_mpr_cstr(&f, format, sizeof format, err)))
        return rc;
    if (strcmp(format, LFD_POLICY_FORMAT))
        return lfd_fail(err, LFD_EPARSE, "not an lfd policy (format '%s')", format);
    if ((rc = need_key(root, "version", &f, err)) ||
        (rc = lfd_mpr_int(&f, 0, 1000000, &version, err)))
        return rc;
    if (version < 1 || version > LFD_POLICY_VERSION)
        return lfd_fail(err, LFD_EUNSUPPORTED, "policy format version %lld (this lfd reads 1..%d)",
                        (long long)version, LFD_POLICY_VERSION);
    if ((rc = need_key(root, "kind", &f, err)) || (rc = lfd_mpr_cstr(&f, kind, sizeof kind, err)))
        return rc;
    lfd_policy_kind k;
    if (!strcmp(kind, "mlp"))
        k = LFD_POLICY_MLP;
    else if (!strcmp(kind, "playback"))
        k = LFD_POLICY_PLAYBACK;
    else
        return lfd_fail(err, LFD_EUNSUPPORTED, "unknown policy kind '%s'", kind);
    if ((rc = need_key(root, "chunk", &f, err)) ||
        (rc = lfd_mpr_int(&f, 1, LFD_POLICY_MAX_CHUNK, &chunk, err)))
        return lfd_err_prefix_rc(err, rc, "chunk");
    if ((rc = need_key(root, "obs_names", &f, err)) || (rc = lfd_mpr_array(&f, &nobs, err)) ||
        (rc = need_key(root, "act_names", &f, err)) || (rc = lfd_mpr_array(&f, &nact, err)))
        return rc;
    if (nobs < 1 || nobs > LFD_POLICY_MAX_DIM || nact < 1 || nact > LFD_POLICY_MAX_DIM)
        return lfd_fail(err, LFD_ELIMIT, "policy with %u observations and %u actions", nobs, nact);
    /* the normalisation kind decides which arrays exist */
    lfd_mpr norm;
    char nkind[16] = "";
    if ((rc = need_key(root, "norm", &norm, err)) || (rc = need_key(&norm, "kind", &f, err)) ||
        (rc = lfd_mpr_cstr(&f, nkind, sizeof nkind, err)))
        return lfd_err_prefix_rc(err, rc, "norm");
    if (strcmp(nkind, "meanstd") && strcmp(nkind, "none"))
        return lfd_fail(err, LFD_EUNSUPPORTED, "unknown normalisation '%s'", nkind);
    if (k == LFD_POLICY_MLP && strcmp(nkind, "meanstd"))
        return lfd_fail(err, LFD_EPARSE, "MLP policy without normalisation statistics");
    lfd_policy *p;
    if ((rc = lfd_policy_new(&p, k, (int)nobs, (int)nact, (int)chunk, err)))
        return rc;
    if (strcmp(nkind, "meanstd") == 0 && !p->normalized) {
        p->normalized = 1;
        p->obs_mean = calloc(nobs, sizeof(float));
        p->obs_std = calloc(nobs, sizeof(float));
        p->act_mean = calloc(nact, sizeof(float));
        p->act_std = calloc(nact, sizeof(float));
        if (!p->obs_mean || !p->obs_std || !p->act_mean || !p->act_std) {
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if ((rc = need_key(root, "name", &f, err)) ||
        (rc = lfd_mpr_cstr(&f, p->name, sizeof p->name, err)) ||
        (rc = need_key(root, "robot", &f, err)) ||
        (rc = lfd_mpr_cstr(&f, p->robot, sizeof p->robot, err)) ||
        (rc = need_key(root, "model_hash", &f, err)) ||
        (rc = lfd_mpr_cstr(&f, p->model_hash, sizeof p->model_hash, err)) ||
        (rc = need_key(root, "control_period_s", &f, err)) ||
        (rc = lfd_mpr_f64(&f, &p->control_period_s, err)))
        goto fail;
    if ((rc = need_key(root, "obs_names", &f, err)) ||
        (rc = read_names(&f, p->obs_names[0], sizeof p->obs_names[0], p->obs_dim, "obs_names", err)) ||
        (rc = need_key(root, "obs_units", &f, err)) ||
        (rc = read_names(&f, p->obs_units[0], sizeof p->obs_units[0], p->obs_dim, "obs_units", err)) ||
        (rc = need_key(root, "act_names", &f, err)) ||
        (rc = read_names(&f, p->act_names[0], sizeof p->act_names[0], p->act_dim, "act_names", err)) ||
        (rc = need_key(root, "act_units", &f, err)) ||
        (rc = read_names(&f, p->act_units[0], sizeof p->act_units[0], p->act_dim, "act_units", err)))
        goto fail;
    struct {
        const char *key;
        float *dst;
        int n;
    } vecs[] = {{"default_action", p->default_action, p->act_dim},
                {"act_lo", p->act_lo, p->act_dim},
                {"act_hi", p->act_hi, p->act_dim},
                {"vel_limit", p->vel_limit, p->act_dim},
                {"acc_limit", p->acc_limit, p->act_dim}};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        if ((rc = need_key(root, vecs[i].key, &f, err)) ||
            (rc = read_vec(&f, vecs[i].dst, vecs[i].n, vecs[i].key, err)))
            goto fail;
    if (p->normalized) {
        struct {
            const char *key;
            float *dst;
            int n;
        } st[] = {{"obs_mean", p->obs_mean, p->obs_dim},
                  {"obs_std", p->obs_std, p->obs_dim},
                  {"act_mean", p->act_mean, p->act_dim},
                  {"act_std", p->act_std, p->act_dim}};
        for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
            if ((rc = need_key(&norm, st[i].key, &f, err)) ||
                (rc = read_vec(&f, st[i].dst, st[i].n, st[i].key, err))) {
                lfd_err_prefix(err, "norm");
                goto fail;
            }
    }
    if (k == LFD_POLICY_MLP) {
        lfd_mpr mm;
        if ((rc = need_key(root, "mlp", &mm, err)) || (rc = read_mlp(p, &mm, err)))
            goto fail;
    } else {
        lfd_mpr pb, fr;
        lfd_ndview v;
        if ((rc = need_key(root, "playback", &pb, err)) || (rc = need_key(&pb, "fps", &f, err)) ||
            (rc = lfd_mpr_f64(&f, &p->playback_fps, err)) ||
            (rc = need_key(&pb, "frames", &fr, err)) ||
            (rc = lfd_nd_read(&fr, &lfd_nd_caps_file, &v, err))) {
            lfd_err_prefix(err, "playback");
            goto fail;
        }
        int64_t shape[2] = {-1, p->act_dim};
        if ((rc = lfd_nd_expect(&v, 2, shape, "playback frames", err)))
            goto fail;
        if (v.shape[0] < 1 || v.shape[0] > 10000000) {
            rc = lfd_fail(err, LFD_ELIMIT, "playback of %llu frames",
                          (unsigned long long)v.shape[0]);
            goto fail;
        }
        p->playback_frames = (int)v.shape[0];
        p->playback = malloc((size_t)v.count * sizeof(float));
        if (!p->playback) {
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
            goto fail;
        }
        lfd_nd_get_f32(&v, p->playback, (size_t)v.count, 0, NULL);
    }
    /* version 2: the actions the network drives */
    int fk = find_key(root, "driven", &f, err);
    if (fk < 0) {
        rc = LFD_EPARSE;
        goto fail;
    }
    if (fk == 1) {
        uint32_t nd;
        if (version < 2) {
            rc = lfd_fail(err, LFD_EPARSE, "'driven' in a version %lld policy", (long long)version);
            goto fail;
        }
        if ((rc = lfd_mpr_array(&f, &nd, err)))
            goto fail;
        if (nd < 1 || nd > nact) {
            rc = lfd_fail(err, LFD_EMISMATCH, "driven lists %u of %u actions", nd, nact);
            goto fail;
        }
        int *idx = malloc(nd * sizeof *idx);
        if (!idx) {
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
            goto fail;
        }
        for (uint32_t k = 0; k < nd && rc == LFD_OK; k++) {
            int64_t v;
            if ((rc = lfd_mpr_int(&f, 0, (int64_t)nact - 1, &v, err)))
                lfd_err_prefix(err, "driven[%u]", k);
            else
                idx[k] = (int)v;
        }
        if (rc == LFD_OK)
            rc = lfd_policy_set_driven(p, (int)nd, idx, err);
        free(idx);
        if (rc)
            goto fail;
    }
    /* version 3: the action mode (absent: absolute) and the delta statistics */
    fk = find_key(root, "action_mode", &f, err);
    if (fk < 0) {
        rc = LFD_EPARSE;
        goto fail;
    }
    if (fk == 1) {
        char mode[16];
        lfd_action_mode am;
        if (version < 3) {
            rc = lfd_fail(err, LFD_EPARSE, "'action_mode' in a version %lld policy",
                          (long long)version);
            goto fail;
        }
        if ((rc = lfd_mpr_cstr(&f, mode, sizeof mode, err))) {
            lfd_err_prefix(err, "action_mode");
            goto fail;
        }
        if (lfd_action_mode_parse(mode, &am)) {
            rc = lfd_fail(err, LFD_EUNSUPPORTED, "unknown action_mode '%s'", mode);
            goto fail;
        }
        if (am == LFD_ACTION_RESIDUAL) {
            lfd_mpr res;
            int nd = p->ndriven;
            float *dm = malloc((size_t)nd * sizeof(float)), *ds = malloc((size_t)nd * sizeof(float));
            if (!dm || !ds)
                rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
            else if ((rc = need_key(root, "residual", &res, err)) ||
                     (rc = need_key(&res, "delta_mean", &f, err)) ||
                     (rc = read_vec(&f, dm, nd, "delta_mean", err)) ||
                     (rc = need_key(&res, "delta_std", &f, err)) ||
                     (rc = read_vec(&f, ds, nd, "delta_std", err)))
                lfd_err_prefix(err, "residual");
            else
                rc = lfd_policy_set_action_mode(p, am, dm, ds, err);
            free(dm);
            free(ds);
            if (rc)
                goto fail;
        }
    }
    if (p->action_mode != LFD_ACTION_RESIDUAL && (fk = find_key(root, "residual", &f, err)) != 0) {
        rc = fk < 0 ? LFD_EPARSE
                    : lfd_fail(err, LFD_EPARSE, "'residual' statistics in a policy whose "
                                                "action_mode is not residual");
        goto fail;
    }
    if (find_key(root, "lineage", &f, err) == 1 && (rc = lfd_prov_read(&p->lineage, &f, err)))
        goto fail;
    if (find_key(root, "meta", &f, err) == 1 && (rc = lfd_prov_read(&p->meta, &f, err)))
        goto fail;
    if ((rc = lfd_policy_validate(p, err)))
        goto fail;
    *out = p;
    return LFD_OK;
fail:
    lfd_policy_free(&p);
    return rc ? rc : LFD_EPARSE;
}

int lfd_policy_decode(lfd_policy **out, const uint8_t *data, size_t len, const char *name,
                      lfd_err *err)
{
    *out = NULL;
    int rc = lfd_seal_check(data, len, name, "lfd policy", err);
    if (rc)
        return rc;
    /* the map's entry count includes the seal, so the cursor spans the whole
       file; the whole map must parse, and end exactly at the end, first */
    lfd_mpr root, all;
    lfd_mpr_init(&root, data, len);
    all = root;
    if ((rc = lfd_mpr_skip(&all, err)))
        return lfd_err_prefix_rc(err, rc, "%s", name);
    if (lfd_mpr_left(&all) != 0)
        return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: data after the policy map", name,
                        lfd_mpr_offset(&all));
    if ((rc = decode_map(out, &root, err)))
        return lfd_err_prefix_rc(err, rc, "%s", name);
    lfd_sha256_buf_hex(data, len, (*out)->hash);
    return LFD_OK;
}

int lfd_policy_load(lfd_policy **out, const char *path, lfd_err *err)
{
    uint8_t *data;
    size_t len;
    *out = NULL;
    int rc = lfd_file_read(path, LFD_POLICY_MAX_FILE, &data, &len, err);
    if (rc)
        return rc;
    rc = lfd_policy_decode(out, data, len, path, err);
    free(data);
    return rc;
}

