/*  lfd_buf: a bounded byte buffer, the sink of lfd's writers.

    Either growable up to a cap (files, reports) or fixed over caller memory
    (per-message paths: never allocates).  A write that would pass the cap
    marks the buffer failed and later writes do nothing; check lfd_buf_ok()
    once at the end.  The msgpack writers (lfd_mp.h) and the JSON writer
    (lfd_json.h) write into it.
*/
#ifndef LFD_BUF_H
#define LFD_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct lfd_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
    int fixed;
    int failed;
} lfd_buf;

/* Growable buffer, at most max bytes; lfd_buf_free frees what it grew. */
void lfd_buf_init(lfd_buf *b, size_t max);
/* Fixed buffer over caller memory; never allocates. */
void lfd_buf_init_fixed(lfd_buf *b, void *mem, size_t cap);
void lfd_buf_reset(lfd_buf *b);
void lfd_buf_free(lfd_buf *b);
/* Appends len bytes: 0, or -1 (and the buffer marked failed) past the cap
   or out of memory. */
int lfd_buf_append(lfd_buf *b, const void *data, size_t len);
static inline int lfd_buf_ok(const lfd_buf *b) { return !b->failed; }


#endif
