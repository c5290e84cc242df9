/*  Fuzz target: the safetensors reader (policies/lfd_safetensors.h).  A file
    that parses must let every float tensor be read in full (its byte range
    was checked); the same bytes also go through the import layout parser,
    which takes JSON. */
#include <stdlib.h>

#include "policies/lfd_safetensors.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(safetensors)
{
    lfd_safetensors *st;
    lfd_err err;
    if (lfd_safetensors_parse(data, size, "fuzz", &st, &err) == LFD_OK) {
        for (int i = 0; i < st->n; i++) {
            const lfd_st_tensor *t = &st->t[i];
            if (t->count > (1u << 20))
                continue;
            float *v = malloc((t->count ? t->count : 1) * sizeof(float));
            if (v)
                lfd_safetensors_read_f32(st, t, v, t->count, &err);
            free(v);
        }
        lfd_safetensors_free(&st);
    }
    if (size > 8) {
        lfd_st_layout lay;
        lfd_st_layout_init(&lay);
        lfd_st_layout_parse((const char *)data + 8, size - 8, "fuzz", &lay, &err);
    }
    return 0;
}
