/*  lfd_ndarray: the one array encoding lfd uses on the wire and in files.

    An array is a msgpack map with four entries:
        "__ndarray__": true
        "data":  bin, the elements little-endian in C (row-major) order
        "dtype": str, numpy's dtype string: "<f4" "<f8" "<i4" "<i8" "|u1"
        "shape": array of non-negative integers
    This is exactly what openpi's Python msgpack_numpy helper writes, keys
    included: it writes the four keys as msgpack *bin*, so lfd writes them as
    bin too (openpi's reader looks them up as bytes) and accepts str or bin
    when reading.  Big-endian arrays (">f4") are accepted and byte-swapped.

    Reading never allocates: lfd_nd_read returns a view into the message,
    after checking dtype, rank, every dimension and the byte count against
    caps and against each other (with overflow checks).  Copy out with
    lfd_nd_get_f64/f32, which also fix alignment and byte order.
*/
#ifndef LFD_NDARRAY_H
#define LFD_NDARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"
#include "core/lfd_mp.h"

#define LFD_ND_MAX_DIM 8

typedef enum { LFD_DT_F32, LFD_DT_F64, LFD_DT_I32, LFD_DT_I64, LFD_DT_U8 } lfd_dtype;

typedef struct lfd_nd_caps {
    int max_ndim;        /* at most LFD_ND_MAX_DIM */
    uint64_t max_elems;  /* total element count */
    size_t max_bytes;    /* size of "data" */
} lfd_nd_caps;

/* 8 dims, 2^28 elements, 1 GiB: for files.  Network code uses tighter caps. */
extern const lfd_nd_caps lfd_nd_caps_file;

typedef struct lfd_ndview {
    lfd_dtype dtype;
    int big_endian;
    int ndim;
    uint64_t shape[LFD_ND_MAX_DIM];
    uint64_t count;
    const uint8_t *data; /* into the message; may be unaligned */
    size_t nbytes;
} lfd_ndview;

const char *lfd_dtype_str(lfd_dtype dt);
size_t lfd_dtype_size(lfd_dtype dt);
/* Parses a numpy dtype string; returns 0 or -1 for an unsupported one. */
int lfd_dtype_parse(const char *s, size_t n, lfd_dtype *dt, int *big_endian);

/* Reads one ndarray map at r. */
int lfd_nd_read(lfd_mpr *r, const lfd_nd_caps *caps, lfd_ndview *v, lfd_err *err);

/* Checks rank and shape; a negative entry in shape means "any". */
int lfd_nd_expect(const lfd_ndview *v, int ndim, const int64_t *shape, const char *what,
                  lfd_err *err);

/* Converts all v->count elements to double / float into dst (n must equal
   v->count).  Fails on a NaN or infinity when reject_nonfinite is set. */
int lfd_nd_get_f64(const lfd_ndview *v, double *dst, size_t n, int reject_nonfinite,
                   lfd_err *err);
int lfd_nd_get_f32(const lfd_ndview *v, float *dst, size_t n, int reject_nonfinite,
                   lfd_err *err);

/* Packs an array whose elements are in host (little-endian) order. */
void lfd_nd_pack(msgpack_packer *pk, lfd_dtype dt, int ndim, const uint64_t *shape,
                 const void *data);
/* The same bytes as lfd_nd_pack, written straight into b (lfd_mpw_*). */
void lfd_nd_write(lfd_buf *b, lfd_dtype dt, int ndim, const uint64_t *shape, const void *data);

#endif
