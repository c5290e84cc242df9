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

    Writing.  lfd_buf is a byte sink for msgpack-c's msgpack_packer: either
    growable up to a cap (files) or fixed over caller memory (per-message
    paths, no allocation).  A write that would pass the cap marks the buffer
    failed; check lfd_buf_ok() once at the end.
*/
#ifndef LFD_MP_H
#define LFD_MP_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

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
   offset. */
int lfd_mpr_next(lfd_mpr *r, lfd_mp_item *it, lfd_err *err);
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

/* 1 if the bytes equal the NUL-terminated key. */
int lfd_mp_key_is(const uint8_t *ptr, uint32_t len, const char *key);

/* ---- writing ------------------------------------------------------------ */
typedef struct lfd_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
    int fixed;
    int failed;
} lfd_buf;

/* Growable buffer, at most max bytes. */
void lfd_buf_init(lfd_buf *b, size_t max);
/* Fixed buffer over caller memory; never allocates. */
void lfd_buf_init_fixed(lfd_buf *b, void *mem, size_t cap);
void lfd_buf_reset(lfd_buf *b);
void lfd_buf_free(lfd_buf *b);
int lfd_buf_append(lfd_buf *b, const void *data, size_t len);
static inline int lfd_buf_ok(const lfd_buf *b) { return !b->failed; }

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

/* Writes the msgpack value at r as JSON (one value; advances r). */
struct lfd_jw;
int lfd_mp_to_json(lfd_mpr *r, struct lfd_jw *jw, lfd_err *err);

#endif
