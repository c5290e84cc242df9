/*  lfd_buf: a bounded byte buffer (see lfd_buf.h). */
#include "core/lfd_buf.h"

#include <stdlib.h>
#include <string.h>

void lfd_buf_init(lfd_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void lfd_buf_init_fixed(lfd_buf *b, void *mem, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->data = mem;
    b->cap = cap;
    b->max = cap;
    b->fixed = 1;
}

void lfd_buf_reset(lfd_buf *b)
{
    b->len = 0;
    b->failed = 0;
}

void lfd_buf_free(lfd_buf *b)
{
    if (!b->fixed)
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int lfd_buf_append(lfd_buf *b, const void *data, size_t len)
{
    if (b->failed)
        return -1;
    if (len == 0)
        return 0;
    if (len > b->max - b->len) {
        b->failed = 1;
        return -1;
    }
    if (b->len + len > b->cap) {
        if (b->fixed) {
            b->failed = 1;
            return -1;
        }
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + len)
            nc = nc > b->max / 2 ? b->max : nc * 2;
        uint8_t *nd = realloc(b->data, nc);
        if (!nd) {
            b->failed = 1;
            return -1;
        }
        b->data = nd;
        b->cap = nc;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}
