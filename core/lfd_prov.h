/*  lfd_prov: provenance maps carried by motions and policies.

    A provenance map is a msgpack map with string keys whose values lfd
    carries through untouched: each value is kept as its raw msgpack bytes, so
    fields lfd does not know (a capture rig's notes, a vendor's ids) survive
    every stage bit for bit.  Stages add or replace their own keys
    ("retarget", "lineage", ...) with lfd_prov_set_*; consent fields are read
    with lfd_prov_get_str and friends (see docs/lineage.md).

    Caps: LFD_PROV_MAX_ENTRIES keys and LFD_PROV_MAX_BYTES of values.
*/
#ifndef LFD_PROV_H
#define LFD_PROV_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"
#include "core/lfd_json.h"
#include "core/lfd_mp.h"

#define LFD_PROV_MAX_ENTRIES 4096
#define LFD_PROV_MAX_BYTES (16u << 20)
#define LFD_PROV_KEY_MAX 128

typedef struct lfd_prov_entry {
    char key[LFD_PROV_KEY_MAX];
    uint8_t *val; /* raw msgpack bytes of one value */
    size_t len;
} lfd_prov_entry;

typedef struct lfd_prov {
    int n, cap;
    size_t bytes;
    lfd_prov_entry *e;
} lfd_prov;

void lfd_prov_init(lfd_prov *p);
void lfd_prov_free(lfd_prov *p);
int lfd_prov_copy(lfd_prov *dst, const lfd_prov *src, lfd_err *err);

/* Reads a msgpack map at r into p (p must be empty), which then owns the
   entries (lfd_prov_free).  On failure p may hold the entries read before
   the bad one: the caller still frees it with lfd_prov_free. */
int lfd_prov_read(lfd_prov *p, lfd_mpr *r, lfd_err *err);
/* Packs p as one msgpack map. */
void lfd_prov_pack(const lfd_prov *p, msgpack_packer *pk);
/* Converts a JSON object (a sidecar file) into a provenance map. */
int lfd_prov_from_json(lfd_prov *p, const lfd_json *obj, lfd_err *err);
/* Reads a JSON provenance file (a .prov.json sidecar) into p, which is
   emptied first (an initialised map); every error names the file (a parse
   error its line, lfd_json_parse_file; a conversion error its key and
   line, lfd_prov_from_json).  On failure p may hold part of it: the caller
   still frees it. */
int lfd_prov_read_json_file(lfd_prov *p, const char *path, lfd_err *err);
/* Writes p as a JSON object. */
int lfd_prov_to_json(const lfd_prov *p, lfd_jw *jw, lfd_err *err);

/* Sets key to a raw msgpack value (replacing an existing key in place). */
int lfd_prov_set_raw(lfd_prov *p, const char *key, const void *mp, size_t len, lfd_err *err);
int lfd_prov_set_str(lfd_prov *p, const char *key, const char *value, lfd_err *err);
int lfd_prov_set_num(lfd_prov *p, const char *key, double value, lfd_err *err);
int lfd_prov_set_int(lfd_prov *p, const char *key, int64_t value, lfd_err *err);
/* Removes key; returns 1 if it was there. */
int lfd_prov_remove(lfd_prov *p, const char *key);

/* Removes every key named in keys[0..nkeys) at any depth: top-level entries
   and keys of maps nested inside values (e.g. "capture": {"location": ...}).
   Values that hold none are left bit for bit.  *dropped (may be NULL) gets
   how many were removed. */
int lfd_prov_drop_keys(lfd_prov *p, const char *const *keys, int nkeys, int *dropped, lfd_err *err);

const lfd_prov_entry *lfd_prov_get(const lfd_prov *p, const char *key);
/* Copies a string (or bin) value into out; LFD_EPARSE when absent or not a
   string (use lfd_prov_get to test presence). */
int lfd_prov_get_str(const lfd_prov *p, const char *key, char *out, size_t outsz, lfd_err *err);

#endif
