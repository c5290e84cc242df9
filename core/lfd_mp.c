/*  lfd_mp: bounded msgpack cursor and lfd_buf sink (see lfd_mp.h).
    Byte layout from the MessagePack specification (github.com/msgpack/msgpack,
    spec.md): formats 0x00-0xff, big-endian multi-byte lengths and values. */
#include "core/lfd_mp.h"

#include <stdlib.h>
#include <string.h>


void lfd_mpr_init(lfd_mpr *r, const void *data, size_t len)
{
    r->start = data;
    r->p = data;
    r->end = r->start + len;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

const char *lfd_mp_type_name(lfd_mp_type t)
{
    static const char *names[] = {"nil", "bool", "int", "uint", "float",
                                  "str", "bin", "array", "map", "ext"};
    return names[t];
}

#define NEED(k)                                                                          \
    do {                                                                                 \
        if ((size_t)(r->end - p) < (size_t)(k))                                          \
            return lfd_fail(err, LFD_EPARSE, "byte %zu: truncated msgpack data", off);   \
    } while (0)

int lfd_mpr_next_any(lfd_mpr *r, lfd_mp_item *it, lfd_err *err)
{
    const uint8_t *p = r->p;
    size_t off = lfd_mpr_offset(r);
    memset(it, 0, sizeof *it);
    NEED(1);
    uint8_t c = *p++;
    uint64_t len = 0;
    int lenbytes = 0;
    if (c <= 0x7f) {
        it->type = LFD_MP_UINT;
        it->u = c;
        it->i = c;
    } else if (c >= 0xe0) {
        it->type = LFD_MP_INT;
        it->i = (int8_t)c;
    } else if ((c & 0xf0) == 0x80) {
        it->type = LFD_MP_MAP;
        it->n = c & 0x0f;
    } else if ((c & 0xf0) == 0x90) {
        it->type = LFD_MP_ARRAY;
        it->n = c & 0x0f;
    } else if ((c & 0xe0) == 0xa0) {
        it->type = LFD_MP_STR;
        len = c & 0x1f;
    } else {
        switch (c) {
        case 0xc0: it->type = LFD_MP_NIL; break;
        case 0xc2: it->type = LFD_MP_BOOL; it->b = 0; break;
        case 0xc3: it->type = LFD_MP_BOOL; it->b = 1; break;
        case 0xc4: case 0xc5: case 0xc6:
            it->type = LFD_MP_BIN;
            lenbytes = 1 << (c - 0xc4);
            break;
        case 0xd9: case 0xda: case 0xdb:
            it->type = LFD_MP_STR;
            lenbytes = 1 << (c - 0xd9);
            break;
        case 0xca: {
            NEED(4);
            uint32_t u = (uint32_t)be(p, 4);
            float f;
            memcpy(&f, &u, 4);
            it->type = LFD_MP_FLOAT;
            it->f = f;
            p += 4;
            break;
        }
        case 0xcb: {
            NEED(8);
            uint64_t u = be(p, 8);
            memcpy(&it->f, &u, 8);
            it->type = LFD_MP_FLOAT;
            p += 8;
            break;
        }
        case 0xcc: case 0xcd: case 0xce: case 0xcf: {
            int n = 1 << (c - 0xcc);
            NEED(n);
            it->type = LFD_MP_UINT;
            it->u = be(p, n);
            it->i = (int64_t)it->u;
            p += n;
            break;
        }
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
            int n = 1 << (c - 0xd0);
            NEED(n);
            uint64_t u = be(p, n);
            int64_t v;
            if (n == 1) v = (int8_t)u;
            else if (n == 2) v = (int16_t)u;
            else if (n == 4) v = (int32_t)u;
            else v = (int64_t)u;
            p += n;
            it->type = v < 0 ? LFD_MP_INT : LFD_MP_UINT;
            it->i = v;
            it->u = (uint64_t)v;
            break;
        }
        case 0xdc: case 0xdd: {
            int n = c == 0xdc ? 2 : 4;
            NEED(n);
            it->type = LFD_MP_ARRAY;
            it->n = (uint32_t)be(p, n);
            p += n;
            break;
        }
        case 0xde: case 0xdf: {
            int n = c == 0xde ? 2 : 4;
            NEED(n);
            it->type = LFD_MP_MAP;
            it->n = (uint32_t)be(p, n);
            p += n;
            break;
        }
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
            NEED(1);
            it->type = LFD_MP_EXT;
            it->ext_type = (int8_t)*p++;
            len = 1u << (c - 0xd4);
            break;
        case 0xc7: case 0xc8: case 0xc9: {
            int n = 1 << (c - 0xc7);
            NEED(n + 1);
            it->type = LFD_MP_EXT;
            len = be(p, n);
            p += n;
            it->ext_type = (int8_t)*p++;
            break;
        }
        default:
            return lfd_fail(err, LFD_EPARSE, "byte %zu: invalid msgpack type byte 0x%02x", off, c);
        }
    }
    if (lenbytes) {
        NEED(lenbytes);
        len = be(p, lenbytes);
        p += lenbytes;
    }
    if (it->type == LFD_MP_STR || it->type == LFD_MP_BIN || it->type == LFD_MP_EXT) {
        NEED(len);
        it->ptr = p;
        it->len = (uint32_t)len;
        p += len;
    }
    if (it->type == LFD_MP_ARRAY || it->type == LFD_MP_MAP) {
        /* every element takes at least one byte: a count beyond what is left is a lie */
        uint64_t need = (uint64_t)it->n * (it->type == LFD_MP_MAP ? 2u : 1u);
        if (need > (uint64_t)(r->end - p))
            return lfd_fail(err, LFD_EPARSE,
                            "byte %zu: %s of %u elements but only %zu bytes left", off,
                            lfd_mp_type_name(it->type), it->n, (size_t)(r->end - p));
    }
    r->p = p;
    return LFD_OK;
}

int lfd_mpr_peek(const lfd_mpr *r, lfd_mp_type *type, lfd_err *err)
{
    lfd_mpr tmp = *r;
    lfd_mp_item it;
    int rc = lfd_mpr_next(&tmp, &it, err);
    if (rc == LFD_OK)
        *type = it.type;
    return rc;
}

int lfd_mpr_skip(lfd_mpr *r, lfd_err *err)
{
    /* iterative: pending[d] counts the values still to read at depth d */
    uint64_t pending[LFD_MP_MAX_DEPTH + 1];
    int depth = 0;
    pending[0] = 1;
    while (depth >= 0) {
        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        pending[depth]--;
        lfd_mp_item it;
        int rc = lfd_mpr_next(r, &it, err);
        if (rc)
            return rc;
        if ((it.type == LFD_MP_ARRAY || it.type == LFD_MP_MAP) && it.n > 0) {
            if (depth == LFD_MP_MAX_DEPTH)
                return lfd_fail(err, LFD_ELIMIT, "byte %zu: msgpack nesting deeper than %d",
                                lfd_mpr_offset(r), LFD_MP_MAX_DEPTH);
            pending[++depth] = (uint64_t)it.n * (it.type == LFD_MP_MAP ? 2u : 1u);
        }
    }
    return LFD_OK;
}

static int expect(lfd_mpr *r, lfd_mp_item *it, lfd_mp_type want, lfd_err *err)
{
    size_t off = lfd_mpr_offset(r);
    int rc = lfd_mpr_next(r, it, err);
    if (rc)
        return rc;
    if (it->type != want)
        return lfd_fail(err, LFD_EPARSE, "byte %zu: expected %s, found %s", off,
                        lfd_mp_type_name(want), lfd_mp_type_name(it->type));
    return LFD_OK;
}

int lfd_mpr_map(lfd_mpr *r, uint32_t *n, lfd_err *err)
{
    lfd_mp_item it;
    int rc = expect(r, &it, LFD_MP_MAP, err);
    if (rc == LFD_OK)
        *n = it.n;
    return rc;
}

int lfd_mpr_array(lfd_mpr *r, uint32_t *n, lfd_err *err)
{
    lfd_mp_item it;
    int rc = expect(r, &it, LFD_MP_ARRAY, err);
    if (rc == LFD_OK)
        *n = it.n;
    return rc;
}

int lfd_mpr_bytes(lfd_mpr *r, const uint8_t **ptr, uint32_t *len, lfd_err *err)
{
    size_t off = lfd_mpr_offset(r);
    lfd_mp_item it;
    int rc = lfd_mpr_next(r, &it, err);
    if (rc)
        return rc;
    if (it.type != LFD_MP_STR && it.type != LFD_MP_BIN)
        return lfd_fail(err, LFD_EPARSE, "byte %zu: expected str or bin, found %s", off,
                        lfd_mp_type_name(it.type));
    *ptr = it.ptr;
    *len = it.len;
    return LFD_OK;
}

int lfd_mpr_cstr(lfd_mpr *r, char *out, size_t outsz, lfd_err *err)
{
    size_t off = lfd_mpr_offset(r);
    const uint8_t *p;
    uint32_t n;
    int rc = lfd_mpr_bytes(r, &p, &n, err);
    if (rc)
        return rc;
    if ((size_t)n >= outsz)
        return lfd_fail(err, LFD_ELIMIT, "byte %zu: string of %u bytes, at most %zu allowed",
                        off, n, outsz - 1);
    if (memchr(p, '\0', n))
        return lfd_fail(err, LFD_EPARSE, "byte %zu: string contains a NUL byte", off);
    memcpy(out, p, n);
    out[n] = '\0';
    return LFD_OK;
}

int lfd_mpr_f64(lfd_mpr *r, double *v, lfd_err *err)
{
    size_t off = lfd_mpr_offset(r);
    lfd_mp_item it;
    int rc = lfd_mpr_next(r, &it, err);
    if (rc)
        return rc;
    switch (it.type) {
    case LFD_MP_FLOAT: *v = it.f; return LFD_OK;
    case LFD_MP_UINT: *v = (double)it.u; return LFD_OK;
    case LFD_MP_INT: *v = (double)it.i; return LFD_OK;
    default:
        return lfd_fail(err, LFD_EPARSE, "byte %zu: expected a number, found %s", off,
                        lfd_mp_type_name(it.type));
    }
}

int lfd_mpr_int(lfd_mpr *r, int64_t lo, int64_t hi, int64_t *v, lfd_err *err)
{
    size_t off = lfd_mpr_offset(r);
    lfd_mp_item it;
    int rc = lfd_mpr_next(r, &it, err);
    if (rc)
        return rc;
    int64_t x;
    if (it.type == LFD_MP_UINT) {
        if (it.u > (uint64_t)INT64_MAX)
            return lfd_fail(err, LFD_ELIMIT, "byte %zu: integer %llu out of range", off,
                            (unsigned long long)it.u);
        x = (int64_t)it.u;
    } else if (it.type == LFD_MP_INT) {
        x = it.i;
    } else if (it.type == LFD_MP_FLOAT && lfd_f64_exact_i64(it.f, &x)) {
        /* an integral float is accepted as that integer */
    } else {
        return lfd_fail(err, LFD_EPARSE, "byte %zu: expected an integer, found %s", off,
                        lfd_mp_type_name(it.type));
    }
    if (x < lo || x > hi)
        return lfd_fail(err, LFD_ELIMIT, "byte %zu: integer %lld outside [%lld, %lld]", off,
                        (long long)x, (long long)lo, (long long)hi);
    *v = x;
    return LFD_OK;
}

int lfd_mpr_bool(lfd_mpr *r, int *v, lfd_err *err)
{
    lfd_mp_item it;
    int rc = expect(r, &it, LFD_MP_BOOL, err);
    if (rc == LFD_OK)
        *v = it.b;
    return rc;
}


int lfd_buf_write_cb(void *data, const char *buf, size_t len)
{
    return lfd_buf_append(data, buf, len);
}

int lfd_mpw_slow(lfd_buf *b, const void *data, size_t len) { return lfd_buf_append(b, data, len); }

void lfd_mp_pack_cstr(msgpack_packer *pk, const char *s)
{
    lfd_mp_pack_strn(pk, s, strlen(s));
}

void lfd_mp_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}
