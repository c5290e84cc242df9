/*  lfd_prov: provenance maps with raw msgpack values (see lfd_prov.h). */
#include "core/lfd_prov.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lfd_prov_init(lfd_prov *p) { memset(p, 0, sizeof *p); }

void lfd_prov_free(lfd_prov *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->e[i].val);
    free(p->e);
    memset(p, 0, sizeof *p);
}

int lfd_prov_copy(lfd_prov *dst, const lfd_prov *src, lfd_err *err)
{
    lfd_prov_init(dst);
    for (int i = 0; i < src->n; i++) {
        int rc = lfd_prov_set_raw(dst, src->e[i].key, src->e[i].val, src->e[i].len, err);
        if (rc) {
            lfd_prov_free(dst);
            return rc;
        }
    }
    return LFD_OK;
}

static int find(const lfd_prov *p, const char *key)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->e[i].key, key))
            return i;
    return -1;
}

int lfd_prov_set_raw(lfd_prov *p, const char *key, const void *mp, size_t len, lfd_err *err)
{
    if (strlen(key) >= LFD_PROV_KEY_MAX)
        return lfd_fail(err, LFD_ELIMIT, "provenance key '%.40s...' longer than %d bytes", key,
                        LFD_PROV_KEY_MAX - 1);
    int i = find(p, key);
    size_t old = i >= 0 ? p->e[i].len : 0;
    if (p->bytes - old + len > LFD_PROV_MAX_BYTES)
        return lfd_fail(err, LFD_ELIMIT, "provenance larger than %u bytes", LFD_PROV_MAX_BYTES);
    uint8_t *v = malloc(len ? len : 1);
    if (!v)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    memcpy(v, mp, len);
    if (i < 0) {
        if (p->n >= LFD_PROV_MAX_ENTRIES) {
            free(v);
            return lfd_fail(err, LFD_ELIMIT, "provenance has more than %d keys",
                            LFD_PROV_MAX_ENTRIES);
        }
        if (p->n == p->cap) {
            int nc = p->cap ? 2 * p->cap : 8;
            lfd_prov_entry *ne = realloc(p->e, (size_t)nc * sizeof *ne);
            if (!ne) {
                free(v);
                return lfd_fail(err, LFD_ENOMEM, "out of memory");
            }
            p->e = ne;
            p->cap = nc;
        }
        i = p->n++;
        snprintf(p->e[i].key, LFD_PROV_KEY_MAX, "%s", key);
    } else {
        free(p->e[i].val);
    }
    p->e[i].val = v;
    p->e[i].len = len;
    p->bytes = p->bytes - old + len;
    return LFD_OK;
}

static int set_packed(lfd_prov *p, const char *key, lfd_buf *b, lfd_err *err)
{
    int rc = lfd_buf_ok(b) ? lfd_prov_set_raw(p, key, b->data, b->len, err)
                           : lfd_fail(err, LFD_ENOMEM, "out of memory");
    lfd_buf_free(b);
    return rc;
}

int lfd_prov_set_str(lfd_prov *p, const char *key, const char *value, lfd_err *err)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, LFD_PROV_MAX_BYTES);
    lfd_packer_init(&pk, &b);
    lfd_mp_pack_cstr(&pk, value);
    return set_packed(p, key, &b, err);
}

int lfd_prov_set_num(lfd_prov *p, const char *key, double value, lfd_err *err)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, 64);
    lfd_packer_init(&pk, &b);
    msgpack_pack_double(&pk, value);
    return set_packed(p, key, &b, err);
}

int lfd_prov_set_int(lfd_prov *p, const char *key, int64_t value, lfd_err *err)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, 64);
    lfd_packer_init(&pk, &b);
    msgpack_pack_int64(&pk, value);
    return set_packed(p, key, &b, err);
}

int lfd_prov_remove(lfd_prov *p, const char *key)
{
    int i = find(p, key);
    if (i < 0)
        return 0;
    p->bytes -= p->e[i].len;
    free(p->e[i].val);
    memmove(p->e + i, p->e + i + 1, (size_t)(p->n - i - 1) * sizeof *p->e);
    p->n--;
    return 1;
}

const lfd_prov_entry *lfd_prov_get(const lfd_prov *p, const char *key)
{
    int i = find(p, key);
    return i < 0 ? NULL : &p->e[i];
}

int lfd_prov_get_str(const lfd_prov *p, const char *key, char *out, size_t outsz, lfd_err *err)
{
    const lfd_prov_entry *e = lfd_prov_get(p, key);
    if (!e)
        return lfd_fail(err, LFD_EPARSE, "provenance has no '%s'", key);
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    int rc = lfd_mpr_cstr(&r, out, outsz, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "provenance '%s'", key);
    return LFD_OK;
}

int lfd_prov_read(lfd_prov *p, lfd_mpr *r, lfd_err *err)
{
    uint32_t n;
    int rc = lfd_mpr_map(r, &n, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "provenance");
    if (n > LFD_PROV_MAX_ENTRIES)
        return lfd_fail(err, LFD_ELIMIT, "provenance has %u keys, at most %d", n,
                        LFD_PROV_MAX_ENTRIES);
    for (uint32_t i = 0; i < n; i++) {
        char key[LFD_PROV_KEY_MAX];
        if ((rc = lfd_mpr_cstr(r, key, sizeof key, err)))
            return lfd_err_prefix_rc(err, rc, "provenance key");
        const uint8_t *v0 = r->p;
        if ((rc = lfd_mpr_skip(r, err)))
            return lfd_err_prefix_rc(err, rc, "provenance '%s'", key);
        if (lfd_prov_get(p, key))
            return lfd_fail(err, LFD_EPARSE, "provenance key '%s' appears twice", key);
        if ((rc = lfd_prov_set_raw(p, key, v0, (size_t)(r->p - v0), err)))
            return rc;
    }
    return LFD_OK;
}

void lfd_prov_pack(const lfd_prov *p, msgpack_packer *pk)
{
    msgpack_pack_map(pk, (size_t)p->n);
    for (int i = 0; i < p->n; i++) {
        lfd_mp_pack_cstr(pk, p->e[i].key);
        /* raw bytes are a complete msgpack value: append them verbatim */
        pk->callback(pk->data, (const char *)p->e[i].val, p->e[i].len);
    }
}

static int json_to_mp(const lfd_json *v, msgpack_packer *pk, int depth, lfd_err *err)
{
    if (depth > LFD_MP_MAX_DEPTH)
        return lfd_fail(err, LFD_ELIMIT, "line %d: nesting deeper than %d", v->line,
                        LFD_MP_MAX_DEPTH);
    switch (v->type) {
    case LFD_JSON_NULL: msgpack_pack_nil(pk); break;
    case LFD_JSON_BOOL: v->b ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case LFD_JSON_NUM: {
        int64_t iv;
        if (v->inum == 1)
            msgpack_pack_int64(pk, v->i); /* exact, also beyond 2^53 */
        else if (v->inum == 2)
            msgpack_pack_uint64(pk, v->u);
        else if (fabs(v->num) < 9e15 && lfd_f64_exact_i64(v->num, &iv))
            msgpack_pack_int64(pk, iv);
        else
            msgpack_pack_double(pk, v->num);
        break;
    }
    case LFD_JSON_STR: lfd_mp_pack_strn(pk, v->str, v->len); break;
    case LFD_JSON_ARR:
        msgpack_pack_array(pk, (size_t)v->count);
        for (const lfd_json *c = v->child; c; c = c->next) {
            int rc = json_to_mp(c, pk, depth + 1, err);
            if (rc)
                return rc;
        }
        break;
    case LFD_JSON_OBJ:
        msgpack_pack_map(pk, (size_t)v->count);
        for (const lfd_json *c = v->child; c; c = c->next) {
            lfd_mp_pack_cstr(pk, c->key);
            int rc = json_to_mp(c, pk, depth + 1, err);
            if (rc)
                return rc;
        }
        break;
    }
    return LFD_OK;
}

/* The person's id is a string wherever it stands: lineage and withdrawal
   match ids as strings, so a number (42) was carried into every motion made
   from the recording and never found by `lfd lineage --contributor 42` or
   `lfd batch withdraw 42` (the consent gate refused it for training, not
   for retargeting).  Refused where it is read, naming the line. */
static int ids_are_strings(const lfd_json *c, lfd_err *err)
{
    if (!strcmp(c->key, "contributor_id") && c->type != LFD_JSON_STR)
        return lfd_fail(err, LFD_EPARSE,
                        "provenance 'contributor_id' (line %d) must be a string, a pseudonymous id "
                        "such as \"anon-3a17\" (write a number as \"42\"): lineage and withdrawal "
                        "find people by that string",
                        c->line);
    if (!strcmp(c->key, "contributors") && c->type != LFD_JSON_ARR)
        return lfd_fail(err, LFD_EPARSE,
                        "provenance 'contributors' (line %d) must be a list of ids, such as "
                        "[\"anon-3a17\", \"anon-9c02\"]: lineage and withdrawal read no other form",
                        c->line);
    if (!strcmp(c->key, "contributors"))
        for (const lfd_json *e = c->child; e; e = e->next)
            if (e->type != LFD_JSON_STR)
                return lfd_fail(err, LFD_EPARSE,
                                "provenance 'contributors' (line %d): every id must be a string "
                                "(write a number as \"42\")",
                                e->line);
    return LFD_OK;
}

int lfd_prov_from_json(lfd_prov *p, const lfd_json *obj, lfd_err *err)
{
    if (!obj || obj->type != LFD_JSON_OBJ)
        return lfd_fail(err, LFD_EPARSE, "provenance must be a JSON object");
    for (const lfd_json *c = obj->child; c; c = c->next) {
        int rc0 = ids_are_strings(c, err);
        if (rc0)
            return rc0;
        lfd_buf b;
        msgpack_packer pk;
        lfd_buf_init(&b, LFD_PROV_MAX_BYTES);
        lfd_packer_init(&pk, &b);
        int rc = json_to_mp(c, &pk, 0, err);
        if (rc == LFD_OK)
            rc = set_packed(p, c->key, &b, err);
        else
            lfd_buf_free(&b);
        if (rc)
            return lfd_err_prefix_rc(err, rc, "provenance '%s' (line %d)", c->key, c->line);
    }
    return LFD_OK;
}

int lfd_prov_to_json(const lfd_prov *p, lfd_jw *jw, lfd_err *err)
{
    lfd_jw_obj_begin(jw);
    for (int i = 0; i < p->n; i++) {
        lfd_jw_key(jw, p->e[i].key);
        lfd_mpr r;
        lfd_mpr_init(&r, p->e[i].val, p->e[i].len);
        int rc = lfd_mp_to_json(&r, jw, err);
        if (rc)
            return rc;
    }
    lfd_jw_obj_end(jw);
    return LFD_OK;
}

/* ---- dropping keys at any depth --------------------------------------------------------- */

static int key_listed(const msgpack_object *k, const char *const *keys, int nkeys)
{
    if (k->type != MSGPACK_OBJECT_STR)
        return 0;
    for (int i = 0; i < nkeys; i++)
        if (lfd_mp_key_is((const uint8_t *)k->via.str.ptr, k->via.str.size, keys[i]))
            return 1;
    return 0;
}

/* how many listed keys the value holds in its maps, at any depth */
static int count_listed(const msgpack_object *o, const char *const *keys, int nkeys, int depth)
{
    if (depth > LFD_MP_MAX_DEPTH)
        return 0;
    int n = 0;
    if (o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            n += key_listed(&kv->key, keys, nkeys) ? 1 : count_listed(&kv->val, keys, nkeys, depth + 1);
        }
    } else if (o->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < o->via.array.size; i++)
            n += count_listed(&o->via.array.ptr[i], keys, nkeys, depth + 1);
    }
    return n;
}

/* packs o without the listed keys (every other value as msgpack_pack_object
   packs it, so a part without listed keys comes out as it would whole) */
static void pack_without(msgpack_packer *pk, const msgpack_object *o, const char *const *keys,
                         int nkeys, int depth)
{
    if (depth > LFD_MP_MAX_DEPTH || (o->type != MSGPACK_OBJECT_MAP && o->type != MSGPACK_OBJECT_ARRAY)) {
        msgpack_pack_object(pk, *o);
        return;
    }
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        msgpack_pack_array(pk, o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size; i++)
            pack_without(pk, &o->via.array.ptr[i], keys, nkeys, depth + 1);
        return;
    }
    uint32_t keep = 0;
    for (uint32_t i = 0; i < o->via.map.size; i++)
        keep += !key_listed(&o->via.map.ptr[i].key, keys, nkeys);
    msgpack_pack_map(pk, keep);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (key_listed(&kv->key, keys, nkeys))
            continue;
        msgpack_pack_object(pk, kv->key);
        pack_without(pk, &kv->val, keys, nkeys, depth + 1);
    }
}

int lfd_prov_drop_keys(lfd_prov *p, const char *const *keys, int nkeys, int *dropped, lfd_err *err)
{
    int total = 0;
    /* top-level keys */
    for (int i = 0; i < nkeys; i++)
        total += lfd_prov_remove(p, keys[i]);
    /* nested ones: only values that hold one are rewritten */
    for (int i = 0; i < p->n; i++) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        if (msgpack_unpack_next(&u, (const char *)p->e[i].val, p->e[i].len, &off) !=
            MSGPACK_UNPACK_SUCCESS) {
            msgpack_unpacked_destroy(&u);
            continue; /* carried untouched; it was checked when read */
        }
        int n = count_listed(&u.data, keys, nkeys, 0);
        if (n) {
            lfd_buf b;
            lfd_buf_init(&b, LFD_PROV_MAX_BYTES);
            msgpack_packer pk;
            lfd_packer_init(&pk, &b);
            pack_without(&pk, &u.data, keys, nkeys, 0);
            int rc = lfd_buf_ok(&b) ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "out of memory");
            if (rc == LFD_OK) {
                char key[LFD_PROV_KEY_MAX];
                memcpy(key, p->e[i].key, sizeof key);
                rc = lfd_prov_set_raw(p, key, b.data, b.len, err);
            }
            lfd_buf_free(&b);
            if (rc) {
                msgpack_unpacked_destroy(&u);
                return rc;
            }
            total += n;
        }
        msgpack_unpacked_destroy(&u);
    }
    if (dropped)
        *dropped = total;
    return LFD_OK;
}

int lfd_prov_read_json_file(lfd_prov *p, const char *path, lfd_err *err)
{
    lfd_json_doc *doc = NULL;
    int rc = lfd_json_parse_file(&doc, path, err);
    if (rc == LFD_OK) {
        lfd_prov_free(p);
        lfd_prov_init(p);
        if ((rc = lfd_prov_from_json(p, lfd_json_root(doc), err)))
            lfd_err_prefix(err, "%s", path);
    }
    lfd_json_free(&doc);
    return rc;
}
