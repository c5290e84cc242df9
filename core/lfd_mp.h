/*  lfd_mp: msgpack reading (our own bounded cursor) and writing (msgpack-c).

    Reading.  lfd_mpr is a cursor over a caller-owned buffer.  It never
    allocates: strings, binaries and arrays are returned as pointers into the
    buffer, and array/map headers only yield a count that the caller must cap
    before allocating anything.  Every count is checked against the bytes
    that remain (each element takes at least one byte), so a 5-byte message
    can never make lfd reserve gigabytes.  (msgpack-c's object unpacker
    reserves count * 24 bytes from a header before reading the elements,
    which is why lfd does not use it for untrusted input.)  Nesting is capped
    at LFD_MP_MAX_DEPTH when skipping.

    Writing.  msgpack-c's msgpack_packer and the inline lfd_mpw_* writers
    write into an lfd_buf (core/lfd_buf.h): growable up to a cap (files) or
    fixed over caller memory (per-message paths, no allocation).

    lfd_mp_to_json (core/lfd_mp_json.c) prints a msgpack value as JSON.
*/
#ifndef LFD_MP_H
#define LFD_MP_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/lfd_buf.h"
#include "core/lfd_err.h"

#define LFD_MP_MAX_DEPTH 32

typedef enum {
    LFD_MP_NIL,
    LFD_MP_BOOL,
    LFD_MP_INT,   /* negative integer (fits int64) */
    LFD_MP_UINT,  /* non-negative integer */
    LFD_MP_FLOAT, /* float32 or float64, widened */
    LFD_MP_STR,
    LFD_MP_BIN,
    LFD_MP_ARRAY,
    LFD_MP_MAP,
    LFD_MP_EXT
} lfd_mp_type;

/* One decoded item.  For STR/BIN/EXT, ptr/len point into the buffer; for
   ARRAY/MAP, n is the element (pair) count and the elements follow. */
typedef struct lfd_mp_item {
    lfd_mp_type type;
    int b;
    int64_t i;
    uint64_t u;
    double f;
    const uint8_t *ptr;
    uint32_t len;
    uint32_t n;
    int8_t ext_type;
} lfd_mp_item;

typedef struct lfd_mpr {
    const uint8_t *start;
    const uint8_t *p;
    const uint8_t *end;
} lfd_mpr;

void lfd_mpr_init(lfd_mpr *r, const void *data, size_t len);
static inline size_t lfd_mpr_offset(const lfd_mpr *r) { return (size_t)(r->p - r->start); }
static inline size_t lfd_mpr_left(const lfd_mpr *r) { return (size_t)(r->end - r->p); }

/* Reads the next item header (scalars completely).  Errors name the byte
   offset.  lfd_mpr_next reads the forms lfd's own messages are made of
   (fixint, fixstr, fixmap, fixarray, nil, bool, float64, bin 8, uint 8/16)
   inline and hands everything else, and every error, to lfd_mpr_next_any;
   the two give the same item for the same bytes. */
int lfd_mpr_next_any(lfd_mpr *r, lfd_mp_item *it, lfd_err *err);
static inline int lfd_mpr_next(lfd_mpr *r, lfd_mp_item *it, lfd_err *err)
{
    const uint8_t *p = r->p;
    size_t left = (size_t)(r->end - p);
    if (left == 0)
        return lfd_mpr_next_any(r, it, err);
    uint8_t c = p[0];
    lfd_mp_item x = {0};
    size_t used;
    if (c <= 0x7f) {
        x.type = LFD_MP_UINT;
        x.u = c;
        x.i = c;
        used = 1;
    } else if ((c & 0xe0) == 0xa0) {
        uint32_t len = c & 0x1f;
        if (left - 1 < len)
            return lfd_mpr_next_any(r, it, err);
        x.type = LFD_MP_STR;
        x.ptr = p + 1;
        x.len = len;
        used = 1 + len;
    } else if ((c & 0xe0) == 0x80) {
        /* fixmap 0x80-0x8f, fixarray 0x90-0x9f: each element takes a byte */
        int map = c < 0x90;
        x.type = map ? LFD_MP_MAP : LFD_MP_ARRAY;
        x.n = c & 0x0f;
        if ((size_t)x.n * (map ? 2u : 1u) > left - 1)
            return lfd_mpr_next_any(r, it, err);
        used = 1;
    } else if (c == 0xc0 || c == 0xc2 || c == 0xc3) {
        x.type = c == 0xc0 ? LFD_MP_NIL : LFD_MP_BOOL;
        x.b = c == 0xc3;
        used = 1;
    } else if (c == 0xcb && left >= 9) {
        uint64_t u = 0;
        for (int i = 1; i <= 8; i++)
            u = u << 8 | p[i];
        memcpy(&x.f, &u, 8);
        x.type = LFD_MP_FLOAT;
        used = 9;
    } else if (c == 0xc4 && left >= 2 && left - 2 >= p[1]) {
        x.type = LFD_MP_BIN;
        x.ptr = p + 2;
        x.len = p[1];
        used = 2u + p[1];
    } else if (c == 0xcc && left >= 2) {
        x.type = LFD_MP_UINT;
        x.u = p[1];
        x.i = p[1];
        used = 2;
    } else if (c == 0xcd && left >= 3) {
        x.type = LFD_MP_UINT;
        x.u = (uint64_t)p[1] << 8 | p[2];
        x.i = (int64_t)x.u;
        used = 3;
    } else {
        return lfd_mpr_next_any(r, it, err);
    }
    *it = x;
    r->p = p + used;
    return LFD_OK;
}
/* Type of the next item without consuming it (LFD_EPARSE at end). */
int lfd_mpr_peek(const lfd_mpr *r, lfd_mp_type *type, lfd_err *err);
/* Skips one whole value, including nested containers. */
int lfd_mpr_skip(lfd_mpr *r, lfd_err *err);

/* Typed reads; each fails with a clear message on a type mismatch. */
int lfd_mpr_map(lfd_mpr *r, uint32_t *n, lfd_err *err);
int lfd_mpr_array(lfd_mpr *r, uint32_t *n, lfd_err *err);
/* A str or a bin (msgpack_numpy writes keys as bin). */
int lfd_mpr_bytes(lfd_mpr *r, const uint8_t **ptr, uint32_t *len, lfd_err *err);
/* A str or bin copied into out (NUL-terminated); fails if it does not fit. */
int lfd_mpr_cstr(lfd_mpr *r, char *out, size_t outsz, lfd_err *err);
/* Any integer or float, as a double. */
int lfd_mpr_f64(lfd_mpr *r, double *v, lfd_err *err);
/* Any integer in [lo, hi] (floats with an integral value are accepted). */
int lfd_mpr_int(lfd_mpr *r, int64_t lo, int64_t hi, int64_t *v, lfd_err *err);
int lfd_mpr_bool(lfd_mpr *r, int *v, lfd_err *err);

/* 1 (and *out set) if v is finite, integral and fits an int64 without UB. */
static inline int lfd_f64_exact_i64(double v, int64_t *out)
{
    if (!(v >= -9.2e18 && v <= 9.2e18) || v != (double)(int64_t)v)
        return 0;
    *out = (int64_t)v;
    return 1;
}

/* The name of a msgpack type ("nil", "bool", ... "ext"), for messages. */
const char *lfd_mp_type_name(lfd_mp_type t);

/* 1 if the bytes equal the NUL-terminated key (inline: a literal key's
   length is known when compiling). */
static inline int lfd_mp_key_is(const uint8_t *ptr, uint32_t len, const char *key)
{
    size_t n = strlen(key);
    return n == len && memcmp(ptr, key, n) == 0;
}

/* ---- writing ------------------------------------------------------------ */
/* msgpack-c write callback for an lfd_buf. */
int lfd_buf_write_cb(void *data, const char *buf, size_t len);
static inline void lfd_packer_init(msgpack_packer *pk, lfd_buf *b)
{
    msgpack_packer_init(pk, b, lfd_buf_write_cb);
}
/* Packs a NUL-terminated string as msgpack str. */
void lfd_mp_pack_cstr(msgpack_packer *pk, const char *s);
/* Packs a string of known length as msgpack str. */
void lfd_mp_pack_strn(msgpack_packer *pk, const char *s, size_t n);

/* ---- direct writing (the per-message encoders) -------------------------------
   lfd_mpw_* write msgpack straight into an lfd_buf: the same bytes as
   msgpack-c's packer (the smallest form of each integer, length and
   container header; float64 for doubles; str 8 for 32-255 byte strings),
   without a callback per item.  A write that does not fit marks the buffer
   failed, as with the packer. */
int lfd_mpw_slow(lfd_buf *b, const void *data, size_t len);
static inline void lfd_mpw_raw(lfd_buf *b, const void *data, size_t len)
{
    if (len == 0)
        return;
    if (!b->failed && b->cap - b->len >= len && b->max - b->len >= len) {
        memcpy(b->data + b->len, data, len);
        b->len += len;
    } else {
        lfd_mpw_slow(b, data, len);
    }
}
/* a header byte and a big-endian count of w bytes (0, 1, 2, 4 or 8) */
static inline void lfd_mpw_head(lfd_buf *b, uint8_t tag, uint64_t v, int w)
{
    uint8_t h[9];
    h[0] = tag;
    for (int i = 0; i < w; i++)
        h[1 + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
    lfd_mpw_raw(b, h, (size_t)(1 + w));
}
static inline void lfd_mpw_u64(lfd_buf *b, uint64_t v)
{
    if (v < 128)
        lfd_mpw_head(b, (uint8_t)v, 0, 0);
    else if (v < 256)
        lfd_mpw_head(b, 0xcc, v, 1);
    else if (v < 65536)
        lfd_mpw_head(b, 0xcd, v, 2);
    else if (v <= UINT32_MAX)
        lfd_mpw_head(b, 0xce, v, 4);
    else
        lfd_mpw_head(b, 0xcf, v, 8);
}
static inline void lfd_mpw_i64(lfd_buf *b, int64_t v)
{
    if (v >= 0)
        lfd_mpw_u64(b, (uint64_t)v);
    else if (v >= -32)
        lfd_mpw_head(b, (uint8_t)(int8_t)v, 0, 0);
    else if (v >= -128)
        lfd_mpw_head(b, 0xd0, (uint64_t)v, 1);
    else if (v >= -32768)
        lfd_mpw_head(b, 0xd1, (uint64_t)v, 2);
    else if (v >= INT32_MIN)
        lfd_mpw_head(b, 0xd2, (uint64_t)v, 4);
    else
        lfd_mpw_head(b, 0xd3, (uint64_t)v, 8);
}
static inline void lfd_mpw_f64(lfd_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    lfd_mpw_head(b, 0xcb, u, 8);
}
static inline void lfd_mpw_bool(lfd_buf *b, int v) { lfd_mpw_head(b, v ? 0xc3 : 0xc2, 0, 0); }
/* a container header: fix form (fix | n) below 16, then tag16, tag16 + 1 */
static inline void lfd_mpw_container(lfd_buf *b, uint32_t n, uint8_t fix, uint8_t tag16)
{
    if (n < 16)
        lfd_mpw_head(b, (uint8_t)(fix | n), 0, 0);
    else if (n < 65536)
        lfd_mpw_head(b, tag16, n, 2);
    else
        lfd_mpw_head(b, (uint8_t)(tag16 + 1), n, 4);
}
static inline void lfd_mpw_map(lfd_buf *b, uint32_t n) { lfd_mpw_container(b, n, 0x80, 0xde); }
static inline void lfd_mpw_array(lfd_buf *b, uint32_t n) { lfd_mpw_container(b, n, 0x90, 0xdc); }
static inline void lfd_mpw_str(lfd_buf *b, const char *s, size_t n)
{
    if (n < 32)
        lfd_mpw_head(b, (uint8_t)(0xa0 | n), 0, 0);
    else if (n < 256)
        lfd_mpw_head(b, 0xd9, n, 1);
    else if (n < 65536)
        lfd_mpw_head(b, 0xda, n, 2);
    else
        lfd_mpw_head(b, 0xdb, n, 4);
    lfd_mpw_raw(b, s, n);
}
static inline void lfd_mpw_cstr(lfd_buf *b, const char *s) { lfd_mpw_str(b, s, strlen(s)); }
static inline void lfd_mpw_bin(lfd_buf *b, const void *d, size_t n)
{
    if (n < 256)
        lfd_mpw_head(b, 0xc4, n, 1);
    else if (n < 65536)
        lfd_mpw_head(b, 0xc5, n, 2);
    else
        lfd_mpw_head(b, 0xc6, n, 4);
    lfd_mpw_raw(b, d, n);
}

/* Writes the msgpack value at r as JSON (one value; advances r).  In
   core/lfd_mp_json.c, so that the msgpack codec and the JSON writer do not
   depend on each other. */
struct lfd_jw;
int lfd_mp_to_json(lfd_mpr *r, struct lfd_jw *jw, lfd_err *err);

#endif
