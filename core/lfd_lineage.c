/*  lfd_lineage: consent records and lineage trees (see lfd_lineage.h). */
#include "core/lfd_lineage.h"

#include "core/lfd_log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- consent -------------------------------------------------------------------- */

static int is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int mo = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

int lfd_consent_read(const lfd_prov *prov, lfd_consent *c, lfd_err *err)
{
    memset(c, 0, sizeof *c);
    if (!lfd_prov_get(prov, "contributor_id"))
        return lfd_fail(err, LFD_EDENIED, "no consent record (no contributor_id)");
    int rc = lfd_prov_get_str(prov, "contributor_id", c->contributor, sizeof c->contributor, err);
    if (rc)
        return rc;
    /* an id no one can name is no consent: empty (it was taken as one, and
       lfd lineage --contributor and withdraw could never find the data:
       found by review), padded with spaces, or holding a line break or a
       control character (withdrawn.txt keeps one id a line) */
    size_t idl = strlen(c->contributor);
    int bad = idl == 0 || c->contributor[0] == ' ' || c->contributor[idl - 1] == ' ';
    for (size_t i = 0; i < idl && !bad; i++)
        bad = (unsigned char)c->contributor[i] < 0x20 || c->contributor[i] == 0x7f;
    if (bad)
        return lfd_fail(err, LFD_EDENIED, "contributor_id '%s' names no one (empty, padded with spaces, "
                                          "or with a control character)", c->contributor);
    if (lfd_prov_get(prov, "licence"))
        lfd_prov_get_str(prov, "licence", c->licence, sizeof c->licence, NULL);
    const lfd_prov_entry *e = lfd_prov_get(prov, "consent");
    if (!e)
        return lfd_fail(err, LFD_EDENIED, "contributor %s: no consent record", c->contributor);
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    uint32_t n;
    if ((rc = lfd_mpr_map(&r, &n, err)))
        return lfd_err_prefix_rc(err, rc, "consent");
    int have_scopes = 0;
    for (uint32_t i = 0; i < n; i++) {
        char key[32];
        if ((rc = lfd_mpr_cstr(&r, key, sizeof key, err)))
            return lfd_err_prefix_rc(err, rc, "consent key");
        if (!strcmp(key, "scopes")) {
            uint32_t ns;
            if ((rc = lfd_mpr_array(&r, &ns, err)))
                return lfd_err_prefix_rc(err, rc, "consent scopes");
            if (ns > LFD_CONSENT_MAX_SCOPES)
                return lfd_fail(err, LFD_ELIMIT, "consent lists %u scopes, at most %d", ns,
                                LFD_CONSENT_MAX_SCOPES);
            for (uint32_t k = 0; k < ns; k++)
                if ((rc = lfd_mpr_cstr(&r, c->scopes[k], sizeof c->scopes[k], err)))
                    return lfd_err_prefix_rc(err, rc, "consent scope %u", k);
            c->nscopes = (int)ns;
            have_scopes = 1;
        } else if (!strcmp(key, "date") || !strcmp(key, "expires")) {
            char *dst = key[0] == 'd' ? c->date : c->expires;
            if ((rc = lfd_mpr_cstr(&r, dst, 16, err)))
                return lfd_err_prefix_rc(err, rc, "consent %s", key);
            if (!is_date(dst))
                return lfd_fail(err, LFD_EPARSE, "consent %s '%s' is not a YYYY-MM-DD date", key,
                                dst);
        } else if ((rc = lfd_mpr_skip(&r, err))) {
            return rc;
        }
    }
    if (!have_scopes || !c->date[0])
        return lfd_fail(err, LFD_EDENIED, "contributor %s: consent record lacks %s",
                        c->contributor, !have_scopes ? "scopes" : "a date");
    return LFD_OK;
}

int lfd_purposes_check(const char *purposes, lfd_err *err)
{
    /* an empty list, or an empty item ("," or "a,,b"), declares nothing */
    if (!purposes || !purposes[0])
        return lfd_fail(err, LFD_EARG, "no purpose declared for the consent check");
    for (const char *p = purposes; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (*p == ',' || *p == '\0')
            return lfd_fail(err, LFD_EARG, "purpose list '%s' has an empty item", purposes);
    return LFD_OK;
}

int lfd_consent_allows_why(const lfd_consent *c, const char *purposes, const char *today,
                           lfd_consent_why *why, lfd_err *err)
{
    *why = LFD_CONSENT_NOT_YET_VALID;
    if (strcmp(c->date, today) > 0)
        return lfd_fail(err, LFD_EDENIED, "contributor %s: consent dated %s, after today (%s)",
                        c->contributor, c->date, today);
    *why = LFD_CONSENT_EXPIRED;
    if (c->expires[0] && strcmp(c->expires, today) < 0)
        return lfd_fail(err, LFD_EDENIED, "contributor %s: consent expired on %s",
                        c->contributor, c->expires);
    /* a purpose list that would skip its check is refused, not passed (the
       commands check it before any work: lfd_purposes_check) */
    *why = LFD_CONSENT_BAD_PURPOSES;
    int rc = lfd_purposes_check(purposes, err);
    if (rc)
        return rc;
    *why = LFD_CONSENT_NOT_COVERED;
    const char *p = purposes;
    while (p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int ok = 0;
        for (int i = 0; i < c->nscopes && !ok; i++)
            ok = strlen(c->scopes[i]) == n && !strncmp(c->scopes[i], p, n);
        if (!ok)
            return lfd_fail(err, LFD_EDENIED, "contributor %s: consent does not cover '%.*s'",
                            c->contributor, (int)n, p);
        p = comma ? comma + 1 : NULL;
    }
    *why = LFD_CONSENT_COVERED;
    return LFD_OK;
}

int lfd_consent_allows(const lfd_consent *c, const char *purposes, const char *today,
                       lfd_err *err)
{
    lfd_consent_why why;
    return lfd_consent_allows_why(c, purposes, today, &why, err);
}

void lfd_today(char out[16])
{
    const char *env = getenv("LFD_TODAY");
    if (env && is_date(env)) {
        /* an audit's or a test's date: said once per thread, since it decides
           which consent records hold */
        static _Thread_local int said;
        if (!said++)
            lfd_warn("LFD_TODAY=%s: consent is checked as of that date, not today's", env);
        snprintf(out, 16, "%s", env);
        return;
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* ---- lineage ----------------------------------------------------------------------- */

/* appends id to the list if new */
static int add_id(char (*ids)[LFD_CONTRIB_MAX], int n, int max, const char *id)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ids[i], id))
            return n;
    if (n < max)
        snprintf(ids[n++], LFD_CONTRIB_MAX, "%s", id);
    return n;
}

int lfd_lineage_contributors(const lfd_prov *prov, char (*ids)[LFD_CONTRIB_MAX], int max)
{
    int n = 0;
    char own[LFD_CONTRIB_MAX] = ""; /* empty, never stack bytes, if the read fails */
    if (lfd_prov_get(prov, "contributor_id") &&
        lfd_prov_get_str(prov, "contributor_id", own, sizeof own, NULL) == LFD_OK && own[0])
        n = add_id(ids, n, max, own);
    const lfd_prov_entry *e = lfd_prov_get(prov, "contributors");
    if (!e)
        return n;
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    uint32_t cnt;
    if (lfd_mpr_array(&r, &cnt, NULL))
        return n;
    for (uint32_t i = 0; i < cnt; i++) {
        char id[LFD_CONTRIB_MAX];
        if (lfd_mpr_cstr(&r, id, sizeof id, NULL))
            break;
        n = add_id(ids, n, max, id);
    }
    return n;
}

int lfd_lineage_used_by(const lfd_prov *prov, const char *id)
{
    char got[LFD_CONTRIB_MAX] = ""; /* empty, never stack bytes, if the read fails */
    if (lfd_prov_get(prov, "contributor_id") &&
        lfd_prov_get_str(prov, "contributor_id", got, sizeof got, NULL) == LFD_OK && got[0] &&
        !strcmp(got, id))
        return 1;
    const lfd_prov_entry *e = lfd_prov_get(prov, "contributors");
    if (!e)
        return 0;
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    uint32_t cnt;
    if (lfd_mpr_array(&r, &cnt, NULL))
        return 0;
    for (uint32_t i = 0; i < cnt; i++) {
        if (lfd_mpr_cstr(&r, got, sizeof got, NULL))
            break;
        if (!strcmp(got, id))
            return 1;
    }
    return 0;
}

int lfd_lineage_add_input(lfd_prov *out, const char *kind, const char *name,
                          const char *sha256, const lfd_prov *in_prov, lfd_err *err)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, LFD_PROV_MAX_BYTES);
    lfd_packer_init(&pk, &b);
    /* the existing list, element by element, then the new entry */
    const lfd_prov_entry *old = lfd_prov_get(out, "lineage");
    uint32_t nold = 0;
    lfd_mpr r;
    if (old) {
        lfd_mpr_init(&r, old->val, old->len);
        int rc = lfd_mpr_array(&r, &nold, err);
        if (rc) {
            lfd_buf_free(&b);
            return lfd_err_prefix_rc(err, rc, "lineage");
        }
    }
    msgpack_pack_array(&pk, (size_t)nold + 1);
    if (old) {
        const uint8_t *start = r.p;
        for (uint32_t i = 0; i < nold; i++) {
            int rc = lfd_mpr_skip(&r, err);
            if (rc) {
                lfd_buf_free(&b);
                return lfd_err_prefix_rc(err, rc, "lineage");
            }
        }
        lfd_buf_append(&b, start, (size_t)(r.p - start));
    }
    char contrib[LFD_CONTRIB_MAX] = "";
    if (in_prov && lfd_prov_get(in_prov, "contributor_id"))
        lfd_prov_get_str(in_prov, "contributor_id", contrib, sizeof contrib, NULL);
    const lfd_prov_entry *sub = in_prov ? lfd_prov_get(in_prov, "lineage") : NULL;
    msgpack_pack_map(&pk, 3 + (contrib[0] != 0) + (sub != NULL));
    lfd_mp_pack_cstr(&pk, "kind");
    lfd_mp_pack_cstr(&pk, kind);
    lfd_mp_pack_cstr(&pk, "name");
    lfd_mp_pack_cstr(&pk, name);
    lfd_mp_pack_cstr(&pk, "sha256");
    lfd_mp_pack_cstr(&pk, sha256);
    if (contrib[0]) {
        lfd_mp_pack_cstr(&pk, "contributor_id");
        lfd_mp_pack_cstr(&pk, contrib);
    }
    if (sub) {
        lfd_mp_pack_cstr(&pk, "lineage");
        lfd_buf_append(&b, sub->val, sub->len);
    }
    int rc = lfd_buf_ok(&b) ? lfd_prov_set_raw(out, "lineage", b.data, b.len, err)
                            : lfd_fail(err, LFD_ELIMIT, "lineage larger than its cap");
    lfd_buf_free(&b);
    if (rc)
        return rc;
    /* contributors: out's own and listed ones, plus everything the input used
       (on the heap: lfd retarget --jobs builds lineage on several threads at
       once, and the static lists these were mixed one file's contributors
       into another's: found by review) */
    char (*ids)[LFD_CONTRIB_MAX] = malloc(2 * (size_t)LFD_LINEAGE_MAX_CONTRIB * sizeof *ids);
    if (!ids)
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the contributor list");
    char (*in_ids)[LFD_CONTRIB_MAX] = ids + LFD_LINEAGE_MAX_CONTRIB;
    int n = lfd_lineage_contributors(out, ids, LFD_LINEAGE_MAX_CONTRIB);
    if (in_prov) {
        int m = lfd_lineage_contributors(in_prov, in_ids, LFD_LINEAGE_MAX_CONTRIB);
        for (int i = 0; i < m; i++)
            n = add_id(ids, n, LFD_LINEAGE_MAX_CONTRIB, in_ids[i]);
    }
    lfd_buf_init(&b, LFD_PROV_MAX_BYTES);
    lfd_packer_init(&pk, &b);
    msgpack_pack_array(&pk, (size_t)n);
    for (int i = 0; i < n; i++)
        lfd_mp_pack_cstr(&pk, ids[i]);
    free(ids);
    rc = lfd_buf_ok(&b) ? lfd_prov_set_raw(out, "contributors", b.data, b.len, err)
                        : lfd_fail(err, LFD_ELIMIT, "contributor list larger than its cap");
    lfd_buf_free(&b);
    return rc;
}

static int print_list(lfd_mpr *r, int depth, FILE *fp, lfd_err *err)
{
    uint32_t n;
    int rc = lfd_mpr_array(r, &n, err);
    if (rc)
        return rc;
    if (depth > LFD_MP_MAX_DEPTH)
        return lfd_fail(err, LFD_ELIMIT, "lineage nested deeper than %d", LFD_MP_MAX_DEPTH);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nk;
        if ((rc = lfd_mpr_map(r, &nk, err)))
            return rc;
        char kind[32] = "?", name[256] = "?", sha[72] = "?", who[LFD_CONTRIB_MAX] = "";
        lfd_mpr sub = {0};
        int have_sub = 0;
        for (uint32_t k = 0; k < nk; k++) {
            char key[32];
            if ((rc = lfd_mpr_cstr(r, key, sizeof key, err)))
                return rc;
            if (!strcmp(key, "kind")) rc = lfd_mpr_cstr(r, kind, sizeof kind, err);
            else if (!strcmp(key, "name")) rc = lfd_mpr_cstr(r, name, sizeof name, err);
            else if (!strcmp(key, "sha256")) rc = lfd_mpr_cstr(r, sha, sizeof sha, err);
            else if (!strcmp(key, "contributor_id")) rc = lfd_mpr_cstr(r, who, sizeof who, err);
            else if (!strcmp(key, "lineage")) {
                sub = *r;
                have_sub = 1;
                rc = lfd_mpr_skip(r, err);
            } else
                rc = lfd_mpr_skip(r, err);
            if (rc)
                return rc;
        }
        fprintf(fp, "%*s%s %s  sha256 %.16s%s%s\n", 2 * depth + 2, "", kind, name, sha,
                who[0] ? "  contributor " : "", who);
        if (have_sub && (rc = print_list(&sub, depth + 1, fp, err)))
            return rc;
    }
    return LFD_OK;
}

int lfd_lineage_print(const lfd_prov *prov, const char *name, FILE *fp, lfd_err *err)
{
    char own[LFD_CONTRIB_MAX] = "";
    if (lfd_prov_get(prov, "contributor_id"))
        lfd_prov_get_str(prov, "contributor_id", own, sizeof own, NULL);
    fprintf(fp, "%s%s%s\n", name, own[0] ? "  contributor " : "", own);
    const lfd_prov_entry *e = lfd_prov_get(prov, "lineage");
    if (!e) {
        fprintf(fp, "  (no recorded inputs)\n");
        return LFD_OK;
    }
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    int rc = print_list(&r, 0, fp, err);
    return rc ? lfd_err_prefix_rc(err, rc, "%s: lineage", name) : LFD_OK;
}

/* 1 if some entry of the list at r (at any depth) has kind `kind` */
static int find_kind(lfd_mpr *r, int depth, const char *kind, lfd_err *err)
{
    uint32_t n;
    int rc = lfd_mpr_array(r, &n, err);
    if (rc)
        return rc;
    if (depth > LFD_MP_MAX_DEPTH)
        return lfd_fail(err, LFD_ELIMIT, "lineage nested deeper than %d", LFD_MP_MAX_DEPTH);
    int found = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nk;
        if ((rc = lfd_mpr_map(r, &nk, err)))
            return rc;
        for (uint32_t k = 0; k < nk; k++) {
            char key[32], val[64];
            if ((rc = lfd_mpr_cstr(r, key, sizeof key, err)))
                return rc;
            if (!strcmp(key, "kind")) {
                if ((rc = lfd_mpr_cstr(r, val, sizeof val, err)))
                    return rc;
                found |= !strcmp(val, kind);
            } else if (!strcmp(key, "lineage")) {
                if ((rc = find_kind(r, depth + 1, kind, err)) < 0)
                    return rc;
                found |= rc;
            } else if ((rc = lfd_mpr_skip(r, err))) {
                return rc;
            }
        }
    }
    return found;
}

int lfd_lineage_has_kind(const lfd_prov *prov, const char *kind, lfd_err *err)
{
    const lfd_prov_entry *e = lfd_prov_get(prov, "lineage");
    if (!e)
        return 0;
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    return find_kind(&r, 0, kind, err);
}
