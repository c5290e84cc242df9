/*  lfd_ndarray: openpi-compatible ndarray maps (see lfd_ndarray.h). */
#include "core/lfd_ndarray.h"

#include <math.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lfd assumes a little-endian host"
#endif

const lfd_nd_caps lfd_nd_caps_file = {LFD_ND_MAX_DIM, 1ull << 28, (size_t)1 << 30};

static const struct {
    lfd_dtype dt;
    const char *name;
    size_t size;
} DT[] = {
    {LFD_DT_F32, "f4", 4}, {LFD_DT_F64, "f8", 8}, {LFD_DT_I32, "i4", 4},
    {LFD_DT_I64, "i8", 8}, {LFD_DT_U8, "u1", 1},
};

const char *lfd_dtype_str(lfd_dtype dt)
{
    switch (dt) {
    case LFD_DT_F32: return "<f4";
    case LFD_DT_F64: return "<f8";
    case LFD_DT_I32: return "<i4";
    case LFD_DT_I64: return "<i8";
    case LFD_DT_U8: return "|u1";
    }
    return "?";
}

size_t lfd_dtype_size(lfd_dtype dt)
{
    for (size_t i = 0; i < sizeof DT / sizeof DT[0]; i++)
        if (DT[i].dt == dt)
            return DT[i].size;
    return 0;
}

int lfd_dtype_parse(const char *s, size_t n, lfd_dtype *dt, int *big_endian)
{
    int be = 0;
    if (n == 3) {
        if (s[0] == '>') be = 1;
        else if (s[0] != '<' && s[0] != '|' && s[0] != '=')
            return -1;
        s++;
        n--;
    }
    if (n != 2)
        return -1;
    for (size_t i = 0; i < sizeof DT / sizeof DT[0]; i++)
        if (!memcmp(s, DT[i].name, 2)) {
            *dt = DT[i].dt;
            *big_endian = DT[i].size > 1 ? be : 0;
            return 0;
        }
    return -1;
}

int lfd_nd_read(lfd_mpr *r, const lfd_nd_caps *caps, lfd_ndview *v, lfd_err *err)
{
    size_t off0 = lfd_mpr_offset(r);
    uint32_t n;
    int rc = lfd_mpr_map(r, &n, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "ndarray");
    memset(v, 0, sizeof *v);
    int seen_flag = 0, seen_data = 0, seen_dtype = 0, seen_shape = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k;
        uint32_t kl;
        if ((rc = lfd_mpr_bytes(r, &k, &kl, err)))
            return lfd_err_prefix_rc(err, rc, "ndarray key");
        size_t off = lfd_mpr_offset(r);
        if (lfd_mp_key_is(k, kl, "__ndarray__")) {
            if ((rc = lfd_mpr_bool(r, &seen_flag, err)))
                return lfd_err_prefix_rc(err, rc, "ndarray __ndarray__");
        } else if (lfd_mp_key_is(k, kl, "data")) {
            const uint8_t *d;
            uint32_t dl;
            if ((rc = lfd_mpr_bytes(r, &d, &dl, err)))
                return lfd_err_prefix_rc(err, rc, "ndarray data");
            v->data = d;
            v->nbytes = dl;
            seen_data = 1;
        } else if (lfd_mp_key_is(k, kl, "dtype")) {
            const uint8_t *d;
            uint32_t dl;
            if ((rc = lfd_mpr_bytes(r, &d, &dl, err)))
                return lfd_err_prefix_rc(err, rc, "ndarray dtype");
            if (lfd_dtype_parse((const char *)d, dl, &v->dtype, &v->big_endian))
                return lfd_fail(err, LFD_EUNSUPPORTED,
                                "byte %zu: ndarray dtype '%.*s' is not one of <f4 <f8 <i4 "
                                "<i8 |u1",
                                off, (int)(dl > 16 ? 16 : dl), (const char *)d);
            seen_dtype = 1;
        } else if (lfd_mp_key_is(k, kl, "shape")) {
            uint32_t nd;
            if ((rc = lfd_mpr_array(r, &nd, err)))
                return lfd_err_prefix_rc(err, rc, "ndarray shape");
            if ((int)nd > caps->max_ndim || nd > LFD_ND_MAX_DIM)
                return lfd_fail(err, LFD_ELIMIT, "byte %zu: ndarray of rank %u, at most %d",
                                off, nd, caps->max_ndim);
            v->ndim = (int)nd;
            for (uint32_t d = 0; d < nd; d++) {
                int64_t x;
                if ((rc = lfd_mpr_int(r, 0, INT64_MAX, &x, err)))
                    return lfd_err_prefix_rc(err, rc, "ndarray shape[%u]", d);
                v->shape[d] = (uint64_t)x;
            }
            seen_shape = 1;
        } else if ((rc = lfd_mpr_skip(r, err))) {
            return rc;
        }
    }
    if (!seen_flag || !seen_data || !seen_dtype || !seen_shape)
        return lfd_fail(err, LFD_EPARSE,
                        "byte %zu: not an ndarray map (needs __ndarray__: true, data, dtype, "
                        "shape)",
                        off0);
    /* element count with overflow check against the cap */
    uint64_t count = 1;
    for (int d = 0; d < v->ndim; d++) {
        if (v->shape[d] != 0 && count > caps->max_elems / v->shape[d])
            return lfd_fail(err, LFD_ELIMIT, "byte %zu: ndarray has more than %llu elements",
                            off0, (unsigned long long)caps->max_elems);
        count *= v->shape[d];
    }
    if (count > caps->max_elems)
        return lfd_fail(err, LFD_ELIMIT, "byte %zu: ndarray has more than %llu elements", off0,
                        (unsigned long long)caps->max_elems);
    uint64_t need = count * lfd_dtype_size(v->dtype);
    if (need > caps->max_bytes)
        return lfd_fail(err, LFD_ELIMIT, "byte %zu: ndarray of %llu bytes exceeds the cap %zu",
                        off0, (unsigned long long)need, caps->max_bytes);
    if (need != v->nbytes)
        return lfd_fail(err, LFD_EPARSE,
                        "byte %zu: ndarray data has %zu bytes but shape and dtype need %llu",
                        off0, v->nbytes, (unsigned long long)need);
    v->count = count;
    return LFD_OK;
}

int lfd_nd_expect(const lfd_ndview *v, int ndim, const int64_t *shape, const char *what,
                  lfd_err *err)
{
    char want[128], got[128];
    int ok = v->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++)
        if (shape[d] >= 0 && (uint64_t)shape[d] != v->shape[d])
            ok = 0;
    if (ok)
        return LFD_OK;
    size_t w = 0, g = 0;
    want[0] = got[0] = '\0';
    for (int d = 0; d < ndim && w < sizeof want - 24; d++) {
        if (shape[d] >= 0)
            w += (size_t)snprintf(want + w, sizeof want - w, "%s%lld", d ? ", " : "",
                                  (long long)shape[d]);
        else
            w += (size_t)snprintf(want + w, sizeof want - w, "%s*", d ? ", " : "");
    }
    for (int d = 0; d < v->ndim && g < sizeof got - 24; d++)
        g += (size_t)snprintf(got + g, sizeof got - g, "%s%llu", d ? ", " : "",
                              (unsigned long long)v->shape[d]);
    return lfd_fail(err, LFD_EMISMATCH, "%s: shape (%s), expected (%s)", what, got, want);
}

static double elem(const lfd_ndview *v, size_t i)
{
    size_t sz = lfd_dtype_size(v->dtype);
    uint8_t b[8];
    memcpy(b, v->data + i * sz, sz);
    if (v->big_endian)
        for (size_t k = 0; k < sz / 2; k++) {
            uint8_t t = b[k];
            b[k] = b[sz - 1 - k];
            b[sz - 1 - k] = t;
        }
    switch (v->dtype) {
    case LFD_DT_F32: { float f; memcpy(&f, b, 4); return f; }
    case LFD_DT_F64: { double d; memcpy(&d, b, 8); return d; }
    case LFD_DT_I32: { int32_t x; memcpy(&x, b, 4); return x; }
    case LFD_DT_I64: { int64_t x; memcpy(&x, b, 8); return (double)x; }
    case LFD_DT_U8: return b[0];
    }
    return 0;
}

int lfd_nd_get_f64(const lfd_ndview *v, double *dst, size_t n, int reject_nonfinite,
                   lfd_err *err)
{
    if (n != v->count)
        return lfd_fail(err, LFD_EMISMATCH, "ndarray has %llu elements, expected %zu",
                        (unsigned long long)v->count, n);
    if (v->dtype == LFD_DT_F64 && !v->big_endian)
        memcpy(dst, v->data, n * 8);
    else
        for (size_t i = 0; i < n; i++)
            dst[i] = elem(v, i);
    if (reject_nonfinite)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(dst[i]))
                return lfd_fail(err, LFD_ENUMERIC, "ndarray element %zu is not finite", i);
    return LFD_OK;
}

int lfd_nd_get_f32(const lfd_ndview *v, float *dst, size_t n, int reject_nonfinite,
                   lfd_err *err)
{
    if (n != v->count)
        return lfd_fail(err, LFD_EMISMATCH, "ndarray has %llu elements, expected %zu",
                        (unsigned long long)v->count, n);
    if (v->dtype == LFD_DT_F32 && !v->big_endian)
        memcpy(dst, v->data, n * 4);
    else
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)elem(v, i);
    if (reject_nonfinite)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(dst[i]))
                return lfd_fail(err, LFD_ENUMERIC, "ndarray element %zu is not finite", i);
    return LFD_OK;
}

static void pack_binkey(msgpack_packer *pk, const char *k)
{
    size_t n = strlen(k);
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, k, n);
}

void lfd_nd_pack(msgpack_packer *pk, lfd_dtype dt, int ndim, const uint64_t *shape,
                 const void *data)
{
    uint64_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= shape[d];
    size_t nbytes = (size_t)count * lfd_dtype_size(dt);
    msgpack_pack_map(pk, 4);
    pack_binkey(pk, "__ndarray__");
    msgpack_pack_true(pk);
    pack_binkey(pk, "data");
    msgpack_pack_bin(pk, nbytes);
    msgpack_pack_bin_body(pk, data, nbytes);
    pack_binkey(pk, "dtype");
    lfd_mp_pack_cstr(pk, lfd_dtype_str(dt));
    pack_binkey(pk, "shape");
    msgpack_pack_array(pk, (size_t)ndim);
    for (int d = 0; d < ndim; d++)
        msgpack_pack_uint64(pk, shape[d]);
}

void lfd_nd_write(lfd_buf *b, lfd_dtype dt, int ndim, const uint64_t *shape, const void *data)
{
    uint64_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= shape[d];
    size_t nbytes = (size_t)count * lfd_dtype_size(dt);
    const char *ds = lfd_dtype_str(dt);
    lfd_mpw_map(b, 4);
    lfd_mpw_bin(b, "__ndarray__", 11);
    lfd_mpw_bool(b, 1);
    lfd_mpw_bin(b, "data", 4);
    lfd_mpw_bin(b, data, nbytes);
    lfd_mpw_bin(b, "dtype", 5);
    lfd_mpw_str(b, ds, strlen(ds));
    lfd_mpw_bin(b, "shape", 5);
    lfd_mpw_array(b, (uint32_t)ndim);
    for (int d = 0; d < ndim; d++)
        lfd_mpw_u64(b, shape[d]);
}
