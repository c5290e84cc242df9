/*  Fuzz target: the msgpack cursor, the ndarray reader, provenance maps and
    the msgpack-to-JSON printer on arbitrary bytes. */
#include <stdlib.h>

#include "core/lfd_json.h"
#include "core/lfd_mp.h"
#include "core/lfd_ndarray.h"
#include "core/lfd_prov.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(msgpack)
{
    lfd_err err;
    lfd_mpr r;
    lfd_ndview v;
    lfd_nd_caps caps = {4, 1u << 16, 1u << 20};
    lfd_mpr_init(&r, data, size);
    if (lfd_nd_read(&r, &caps, &v, &err) == LFD_OK) {
        double *d = malloc((size_t)v.count * sizeof *d + 1);
        if (d)
            lfd_nd_get_f64(&v, d, (size_t)v.count, 1, &err);
        free(d);
    }
    lfd_mpr_init(&r, data, size);
    while (lfd_mpr_left(&r) && lfd_mpr_skip(&r, &err) == LFD_OK) {
    }
    lfd_mpr_init(&r, data, size);
    lfd_prov p;
    lfd_prov_init(&p);
    lfd_prov_read(&p, &r, &err);
    lfd_prov_free(&p);
    lfd_buf b;
    lfd_buf_init(&b, 1u << 22);
    lfd_jw jw;
    lfd_jw_init_buf(&jw, &b, 0);
    lfd_mpr_init(&r, data, size);
    lfd_mp_to_json(&r, &jw, &err);
    lfd_buf_free(&b);
    return 0;
}
