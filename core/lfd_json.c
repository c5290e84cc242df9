/*  lfd_json: JSON writer and bounded parser (see lfd_json.h).
    Grammar from RFC 8259. */
#include "core/lfd_json.h"
#include "core/lfd_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"

/* ---- writer ------------------------------------------------------------------ */

static void out(lfd_jw *jw, const char *s, size_t n)
{
    if (jw->fp)
        fwrite(s, 1, n, jw->fp);
    else if (jw->buf)
        lfd_buf_append(jw->buf, s, n);
}

static void outs(lfd_jw *jw, const char *s) { out(jw, s, strlen(s)); }

static void indent(lfd_jw *jw)
{
    if (!jw->pretty)
        return;
    out(jw, "\n", 1);
    for (int i = 0; i < jw->depth; i++)
        out(jw, "  ", 2);
}

/* comma and indentation before a value or key */
static void pre_value(lfd_jw *jw)
{
    if (jw->after_key) {
        jw->after_key = 0;
        return;
    }
    if (jw->depth > 0) {
        if (jw->count[jw->depth]++ > 0)
            out(jw, ",", 1);
        indent(jw);
    }
}

void lfd_jw_init_file(lfd_jw *jw, FILE *fp, int pretty)
{
    memset(jw, 0, sizeof *jw);
    jw->fp = fp;
    jw->pretty = pretty;
}

void lfd_jw_init_buf(lfd_jw *jw, lfd_buf *buf, int pretty)
{
    memset(jw, 0, sizeof *jw);
    jw->buf = buf;
    jw->pretty = pretty;
}

static void open_c(lfd_jw *jw, const char *c)
{
    pre_value(jw);
    outs(jw, c);
    if (jw->depth < LFD_JW_MAX_DEPTH - 1)
        jw->depth++;
    jw->count[jw->depth] = 0;
}

static void close_c(lfd_jw *jw, const char *c)
{
    int had = jw->count[jw->depth] > 0;
    if (jw->depth > 0)
        jw->depth--;
    if (had)
        indent(jw);
    outs(jw, c);
}

void lfd_jw_obj_begin(lfd_jw *jw) { open_c(jw, "{"); }
void lfd_jw_obj_end(lfd_jw *jw) { close_c(jw, "}"); }
void lfd_jw_arr_begin(lfd_jw *jw) { open_c(jw, "["); }
void lfd_jw_arr_end(lfd_jw *jw) { close_c(jw, "]"); }

static void escaped(lfd_jw *jw, const char *s, size_t n)
{
    out(jw, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c < 0x20) {
            snprintf(u, sizeof u, "\\u%04x", c);
            esc = u;
        } else if (c >= 0x80) {
            /* JSON is UTF-8: a byte that starts no well-formed character (a
               file name in Latin-1, a message cut inside a character)
               becomes U+FFFD (found by review: such a name made lfd check
               --json print bytes no JSON reader decodes) */
            size_t k = lfd_util_utf8_len((const unsigned char *)s + i, n - i);
            if (k > 0) {
                i += k - 1;
                continue;
            }
            esc = "\\ufffd";
        }
        if (esc) {
            out(jw, s + run, i - run);
            outs(jw, esc);
            run = i + 1;
        }
    }
    out(jw, s + run, n - run);
    out(jw, "\"", 1);
}

void lfd_jw_keyn(lfd_jw *jw, const char *key, size_t n)
{
    pre_value(jw);
    escaped(jw, key, n);
    out(jw, jw->pretty ? ": " : ":", jw->pretty ? 2 : 1);
    jw->after_key = 1;
}

void lfd_jw_key(lfd_jw *jw, const char *key) { lfd_jw_keyn(jw, key, strlen(key)); }

void lfd_jw_strn(lfd_jw *jw, const char *s, size_t n)
{
    pre_value(jw);
    escaped(jw, s, n);
}

void lfd_jw_str(lfd_jw *jw, const char *s)
{
    if (!s) {
        lfd_jw_null(jw);
        return;
    }
    lfd_jw_strn(jw, s, strlen(s));
}

static void num_fmt(lfd_jw *jw, double v, const char *fmt)
{
    pre_value(jw);
    if (!isfinite(v)) {
        outs(jw, "null");
        return;
    }
    char b[40];
    snprintf(b, sizeof b, fmt, v);
    outs(jw, b);
}

void lfd_jw_num(lfd_jw *jw, double v) { num_fmt(jw, v, "%.10g"); }
void lfd_jw_num_exact(lfd_jw *jw, double v) { num_fmt(jw, v, "%.17g"); }

void lfd_jw_int(lfd_jw *jw, int64_t v)
{
    char b[32];
    pre_value(jw);
    snprintf(b, sizeof b, "%lld", (long long)v);
    outs(jw, b);
}

void lfd_jw_uint(lfd_jw *jw, uint64_t v)
{
    char b[32];
    pre_value(jw);
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    outs(jw, b);
}

void lfd_jw_bool(lfd_jw *jw, int v)
{
    pre_value(jw);
    outs(jw, v ? "true" : "false");
}

void lfd_jw_null(lfd_jw *jw)
{
    pre_value(jw);
    outs(jw, "null");
}

void lfd_jw_finish(lfd_jw *jw) { out(jw, "\n", 1); }

void lfd_jw_kstr(lfd_jw *jw, const char *key, const char *s) { lfd_jw_key(jw, key); lfd_jw_str(jw, s); }
void lfd_jw_knum(lfd_jw *jw, const char *key, double v) { lfd_jw_key(jw, key); lfd_jw_num(jw, v); }
void lfd_jw_kint(lfd_jw *jw, const char *key, int64_t v) { lfd_jw_key(jw, key); lfd_jw_int(jw, v); }
void lfd_jw_kbool(lfd_jw *jw, const char *key, int v) { lfd_jw_key(jw, key); lfd_jw_bool(jw, v); }

/* ---- parser ------------------------------------------------------------------ */

/* Nodes and unescaped strings live in a chain of blocks freed together. */
typedef struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
} block;

struct lfd_json_doc {
    block *blocks;
    size_t nodes;
    lfd_json *root;
    char name[256];
};

typedef struct parser {
    const char *s, *end, *line_start;
    int line;
    lfd_json_doc *doc;
    lfd_err *err;
} parser;

static void *arena(lfd_json_doc *doc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    block *b = doc->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        doc->blocks = nb;
        b = nb;
    }
    void *p = b->mem + b->used;
    b->used += n;
    return p;
}

static int perr(parser *ps, const char *what)
{
    return lfd_fail(ps->err, LFD_EPARSE, "%s:%d:%d: %s", ps->doc->name, ps->line,
                    (int)(ps->s - ps->line_start) + 1, what);
}

static void skip_ws(parser *ps)
{
    while (ps->s < ps->end) {
        char c = *ps->s;
        if (c == '\n') {
            ps->line++;
            ps->line_start = ps->s + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        ps->s++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *ps, const char *p, unsigned *v)
{
    if (ps->end - p < 4)
        return -1;
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        x = x << 4 | (unsigned)h;
    }
    *v = x;
    return 0;
}

static int parse_string(parser *ps, const char **outp, size_t *outlen)
{
    /* first pass: find the end and an upper bound of the length */
    const char *p = ps->s + 1;
    while (p < ps->end && *p != '"') {
        if (*p == '\\')
            p++;
        p++;
    }
    if (p >= ps->end)
        return perr(ps, "unterminated string");
    char *o = arena(ps->doc, (size_t)(p - ps->s) + 1);
    if (!o)
        return lfd_fail(ps->err, LFD_ENOMEM, "%s: out of memory", ps->doc->name);
    size_t n = 0;
    p = ps->s + 1;
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            ps->s = p;
            return perr(ps, "control character in string");
        }
        if (c != '\\') {
            o[n++] = (char)c;
            p++;
            continue;
        }
        p++;
        switch (*p) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (read_hex4(ps, p + 1, &cp)) {
                ps->s = p;
                return perr(ps, "bad \\u escape");
            }
            p += 4;
            /* a low surrogate must follow a high one (consumed below): alone
               it encodes no character, and its three bytes ED B0 80 are not
               UTF-8 */
            if (cp >= 0xdc00 && cp < 0xe000) {
                ps->s = p - 5;
                return perr(ps, "unpaired surrogate in \\u escape");
            }
            if (cp >= 0xd800 && cp < 0xdc00) {
                unsigned lo;
                if (p[1] == '\\' && p[2] == 'u' && !read_hex4(ps, p + 3, &lo) && lo >= 0xdc00 &&
                    lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                } else {
                    ps->s = p;
                    return perr(ps, "unpaired surrogate in \\u escape");
                }
            }
            /* UTF-8 encode: at most 4 bytes, never more than the 6-12 escape bytes used */
            if (cp < 0x80) {
                o[n++] = (char)cp;
            } else if (cp < 0x800) {
                o[n++] = (char)(0xc0 | cp >> 6);
                o[n++] = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                o[n++] = (char)(0xe0 | cp >> 12);
                o[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                o[n++] = (char)(0x80 | (cp & 0x3f));
            } else {
                o[n++] = (char)(0xf0 | cp >> 18);
                o[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
                o[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                o[n++] = (char)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default:
            ps->s = p;
            return perr(ps, "bad escape in string");
        }
        p++;
    }
    o[n] = '\0';
    *outp = o;
    *outlen = n;
    ps->s = p + 1;
    return LFD_OK;
}

static int parse_value(parser *ps, lfd_json *v, int depth);

/* Member names must be unique: readers disagree on which of two equal names
   counts (lfd_json_get takes the first, provenance loading kept the last), so
   one provenance file could name alice to one reader and bob to another.
   Objects up to DUP_LINEAR members are checked as each name is read; larger
   ones once, sorted, at their end (1e6 members must not cost 1e12 compares). */
#define DUP_LINEAR 16

typedef struct keyref {
    const lfd_json *c;
    int idx;
} keyref;

static int keyref_cmp(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    int d = strcmp(x->c->key, y->c->key);
    return d ? d : (x->idx > y->idx) - (x->idx < y->idx);
}

static int dup_error(parser *ps, int line, int col, const char *key)
{
    return lfd_fail(ps->err, LFD_EPARSE, "%s:%d:%d: duplicate member name \"%.64s\"",
                    ps->doc->name, line, col, key);
}

static int check_dups_sorted(parser *ps, const lfd_json *obj)
{
    keyref *k = malloc((size_t)obj->count * sizeof *k);
    if (!k)
        return lfd_fail(ps->err, LFD_ENOMEM, "%s: out of memory", ps->doc->name);
    int n = 0;
    for (const lfd_json *c = obj->child; c; c = c->next, n++)
        k[n] = (keyref){c, n};
    qsort(k, (size_t)n, sizeof *k, keyref_cmp);
    int rc = LFD_OK;
    for (int i = 1; i < n && rc == LFD_OK; i++)
        if (!strcmp(k[i - 1].c->key, k[i].c->key))
            rc = dup_error(ps, k[i].c->line, k[i].c->col, k[i].c->key);
    free(k);
    return rc;
}

static int parse_container(parser *ps, lfd_json *v, int depth, int is_obj)
{
    char close = is_obj ? '}' : ']';
    ps->s++;
    lfd_json **tail = &v->child;
    skip_ws(ps);
    if (ps->s < ps->end && *ps->s == close) {
        ps->s++;
        return LFD_OK;
    }
    for (;;) {
        if (++ps->doc->nodes > LFD_JSON_MAX_NODES)
            return perr(ps, "too many values (cap " LFD_STR(LFD_JSON_MAX_NODES) ")");
        lfd_json *c = arena(ps->doc, sizeof *c);
        if (!c)
            return lfd_fail(ps->err, LFD_ENOMEM, "%s: out of memory", ps->doc->name);
        memset(c, 0, sizeof *c);
        skip_ws(ps);
        if (is_obj) {
            if (ps->s >= ps->end || *ps->s != '"')
                return perr(ps, "expected a member name in quotes");
            size_t kl;
            const char *k0 = ps->s;
            int rc = parse_string(ps, &c->key, &kl);
            if (rc)
                return rc;
            /* a name with \u0000 in it would be cut there by every C reader
               ("a\u0000x" read as "a") */
            if (memchr(c->key, '\0', kl)) {
                ps->s = k0;
                return perr(ps, "member name contains \\u0000");
            }
            if (v->count < DUP_LINEAR)
                for (const lfd_json *o = v->child; o; o = o->next)
                    if (!strcmp(o->key, c->key)) {
                        ps->s = k0;
                        return dup_error(ps, ps->line, (int)(k0 - ps->line_start) + 1, c->key);
                    }
            skip_ws(ps);
            if (ps->s >= ps->end || *ps->s != ':')
                return perr(ps, "expected ':' after member name");
            ps->s++;
        }
        int rc = parse_value(ps, c, depth + 1);
        if (rc)
            return rc;
        *tail = c;
        tail = &c->next;
        v->count++;
        skip_ws(ps);
        if (ps->s < ps->end && *ps->s == ',') {
            ps->s++;
            continue;
        }
        if (ps->s < ps->end && *ps->s == close) {
            ps->s++;
            return is_obj && v->count > DUP_LINEAR ? check_dups_sorted(ps, v) : LFD_OK;
        }
        return perr(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(parser *ps, lfd_json *v, int depth)
{
    if (depth > LFD_JSON_MAX_DEPTH)
        return perr(ps, "nesting too deep");
    skip_ws(ps);
    if (ps->s >= ps->end)
        return perr(ps, "unexpected end of input");
    v->line = ps->line;
    v->col = (int)(ps->s - ps->line_start) + 1;
    char c = *ps->s;
    size_t left = (size_t)(ps->end - ps->s);
    if (c == '{') {
        v->type = LFD_JSON_OBJ;
        return parse_container(ps, v, depth, 1);
    }
    if (c == '[') {
        v->type = LFD_JSON_ARR;
        return parse_container(ps, v, depth, 0);
    }
    if (c == '"') {
        v->type = LFD_JSON_STR;
        return parse_string(ps, &v->str, &v->len);
    }
    if (left >= 4 && !memcmp(ps->s, "true", 4)) {
        v->type = LFD_JSON_BOOL;
        v->b = 1;
        ps->s += 4;
        return LFD_OK;
    }
    if (left >= 5 && !memcmp(ps->s, "false", 5)) {
        v->type = LFD_JSON_BOOL;
        ps->s += 5;
        return LFD_OK;
    }
    if (left >= 4 && !memcmp(ps->s, "null", 4)) {
        v->type = LFD_JSON_NULL;
        ps->s += 4;
        return LFD_OK;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* validate the RFC 8259 number grammar, then convert with strtod */
        const char *p = ps->s;
        if (*p == '-') p++;
        if (p >= ps->end || !(*p >= '0' && *p <= '9'))
            return perr(ps, "bad number");
        if (*p == '0') p++;
        else while (p < ps->end && *p >= '0' && *p <= '9') p++;
        int integral = !(p < ps->end && (*p == '.' || *p == 'e' || *p == 'E'));
        if (p < ps->end && *p == '.') {
            p++;
            if (p >= ps->end || !(*p >= '0' && *p <= '9'))
                return perr(ps, "bad number");
            while (p < ps->end && *p >= '0' && *p <= '9') p++;
        }
        if (p < ps->end && (*p == 'e' || *p == 'E')) {
            p++;
            if (p < ps->end && (*p == '+' || *p == '-')) p++;
            if (p >= ps->end || !(*p >= '0' && *p <= '9'))
                return perr(ps, "bad number");
            while (p < ps->end && *p >= '0' && *p <= '9') p++;
        }
        char tmp[64];
        size_t n = (size_t)(p - ps->s);
        if (n >= sizeof tmp)
            return perr(ps, "number too long");
        memcpy(tmp, ps->s, n);
        tmp[n] = '\0';
        v->type = LFD_JSON_NUM;
        v->num = strtod(tmp, NULL);
        /* 1e400 would be +inf, which no reader checks for (and which the
           writer then prints as null); a number too small is 0, which is
           its nearest double */
        if (isinf(v->num))
            return perr(ps, "number out of range");
        /* an integer literal is kept exactly too: a double holds integers
           only to 2^53, so a serial number or nanosecond time read through
           strtod alone came back changed */
        if (integral) {
            errno = 0;
            long long iv = strtoll(tmp, NULL, 10);
            if (errno == 0) {
                v->inum = 1;
                v->i = iv;
            } else if (tmp[0] != '-') {
                errno = 0;
                unsigned long long uv = strtoull(tmp, NULL, 10);
                if (errno == 0) {
                    v->inum = 2;
                    v->u = uv;
                }
            }
        }
        ps->s = p;
        return LFD_OK;
    }
    /* Python's json.dumps writes these for a float it cannot say in JSON:
       name them (found by review: "unexpected character" left the reader
       guessing) */
    static const char *const py[] = {"NaN", "Infinity", "-Infinity"};
    for (int i = 0; i < 3; i++)
        if ((size_t)(ps->end - ps->s) >= strlen(py[i]) && !memcmp(ps->s, py[i], strlen(py[i])))
            return perr(ps, i ? "Infinity is not JSON (Python's json.dumps writes it: use "
                                "allow_nan=False, or write null)"
                              : "NaN is not JSON (Python's json.dumps writes it: write null for a "
                                "missing value)");
    return perr(ps, "unexpected character");
}

int lfd_json_parse(const char *text, size_t len, const char *name, lfd_json_doc **out,
                   lfd_err *err)
{
    *out = NULL;
    if (len > LFD_JSON_MAX_BYTES)
        return lfd_fail(err, LFD_ELIMIT, "%s: JSON text of %zu bytes exceeds the %u-byte cap",
                        name, len, LFD_JSON_MAX_BYTES);
    lfd_json_doc *doc = calloc(1, sizeof *doc);
    if (!doc)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", name);
    snprintf(doc->name, sizeof doc->name, "%s", name ? name : "<json>");
    parser ps = {text, text + len, text, 1, doc, err};
    /* skip a UTF-8 byte-order mark */
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
        ps.s += 3;
    doc->root = arena(doc, sizeof *doc->root);
    int rc = doc->root ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "%s: out of memory", name);
    if (rc == LFD_OK) {
        memset(doc->root, 0, sizeof *doc->root);
        rc = parse_value(&ps, doc->root, 0);
    }
    if (rc == LFD_OK) {
        skip_ws(&ps);
        if (ps.s != ps.end)
            rc = perr(&ps, "unexpected text after the JSON value");
    }
    if (rc) {
        lfd_json_free(&doc);
        return rc;
    }
    *out = doc;
    return LFD_OK;
}

int lfd_json_parse_file(lfd_json_doc **doc, const char *path, lfd_err *err)
{
    *doc = NULL;
    uint8_t *data;
    size_t len;
    int rc = lfd_file_read(path, LFD_JSON_MAX_BYTES, &data, &len, err);
    if (rc)
        return rc;
    rc = lfd_json_parse((const char *)data, len, path, doc, err);
    free(data);
    return rc;
}

const lfd_json *lfd_json_root(const lfd_json_doc *doc) { return doc ? doc->root : NULL; }
const char *lfd_json_name(const lfd_json_doc *doc) { return doc ? doc->name : ""; }

void lfd_json_free(lfd_json_doc **doc)
{
    if (!doc || !*doc)
        return;
    block *b = (*doc)->blocks;
    while (b) {
        block *n = b->next;
        free(b);
        b = n;
    }
    free(*doc);
    *doc = NULL;
}

const lfd_json *lfd_json_get(const lfd_json *obj, const char *key)
{
    if (!obj || obj->type != LFD_JSON_OBJ)
        return NULL;
    for (const lfd_json *c = obj->child; c; c = c->next)
        if (!strcmp(c->key, key))
            return c;
    return NULL;
}

const lfd_json *lfd_json_at(const lfd_json *arr, int i)
{
    if (!arr || arr->type != LFD_JSON_ARR || i < 0)
        return NULL;
    const lfd_json *c = arr->child;
    while (c && i-- > 0)
        c = c->next;
    return c;
}
