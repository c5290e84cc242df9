/*  lfd_mp_json: a msgpack value printed as JSON (lfd_mp_to_json, declared in
    lfd_mp.h), for `--json` output of motion and policy metadata and the
    provenance records.  Its own file so that the msgpack codec (lfd_mp.c)
    and the JSON writer (lfd_json.c) do not depend on each other. */
#include <math.h>
#include <string.h>

#include "core/lfd_json.h"
#include "core/lfd_mp.h"

static int to_json(lfd_mpr *r, lfd_jw *jw, int depth, lfd_err *err)
{
    if (depth > LFD_MP_MAX_DEPTH)
        return lfd_fail(err, LFD_ELIMIT, "byte %zu: msgpack nesting deeper than %d",
                        lfd_mpr_offset(r), LFD_MP_MAX_DEPTH);
    lfd_mp_item it;
    int rc = lfd_mpr_next(r, &it, err);
    if (rc)
        return rc;
    switch (it.type) {
    case LFD_MP_NIL: lfd_jw_null(jw); break;
    case LFD_MP_BOOL: lfd_jw_bool(jw, it.b); break;
    case LFD_MP_INT: lfd_jw_int(jw, it.i); break;
    case LFD_MP_UINT: lfd_jw_uint(jw, it.u); break;
    /* every digit a double needs to read back the same: provenance goes
       through this JSON beside a CSV (a capture time 1767225600.123456
       came back as 1767225600 with %.10g) */
    case LFD_MP_FLOAT: lfd_jw_num_exact(jw, it.f); break;
    case LFD_MP_STR: lfd_jw_strn(jw, (const char *)it.ptr, it.len); break;
    case LFD_MP_BIN:
    case LFD_MP_EXT: {
        char note[64];
        snprintf(note, sizeof note, "<%s, %u bytes>", lfd_mp_type_name(it.type), it.len);
        lfd_jw_str(jw, note);
        break;
    }
    case LFD_MP_ARRAY:
        lfd_jw_arr_begin(jw);
        for (uint32_t i = 0; i < it.n; i++)
            if ((rc = to_json(r, jw, depth + 1, err)))
                return rc;
        lfd_jw_arr_end(jw);
        break;
    case LFD_MP_MAP:
        lfd_jw_obj_begin(jw);
        for (uint32_t i = 0; i < it.n; i++) {
            lfd_mp_item k;
            size_t off = lfd_mpr_offset(r);
            if ((rc = lfd_mpr_next(r, &k, err)))
                return rc;
            if (k.type == LFD_MP_STR || k.type == LFD_MP_BIN) {
                lfd_jw_keyn(jw, (const char *)k.ptr, k.len);
            } else if (k.type == LFD_MP_UINT || k.type == LFD_MP_INT) {
                char kb[32];
                snprintf(kb, sizeof kb, "%lld", (long long)k.i);
                lfd_jw_key(jw, kb);
            } else {
                return lfd_fail(err, LFD_EPARSE, "byte %zu: map key of type %s", off,
                                lfd_mp_type_name(k.type));
            }
            if ((rc = to_json(r, jw, depth + 1, err)))
                return rc;
        }
        lfd_jw_obj_end(jw);
        break;
    }
    return LFD_OK;
}

int lfd_mp_to_json(lfd_mpr *r, lfd_jw *jw, lfd_err *err)
{
    return to_json(r, jw, 0, err);
}
