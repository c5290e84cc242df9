/*  lfd_json: a streaming JSON writer for reports and a small bounded parser.

    Writer.  lfd_jw writes to a FILE* or an lfd_buf, inserting commas and
    (optionally) indentation itself; the caller only says begin/end/key/value.
    Non-finite numbers are written as null, since JSON has no NaN.

    Parser.  lfd_json_parse builds a read-only tree from a text of at most
    LFD_JSON_MAX_BYTES, nesting at most LFD_JSON_MAX_DEPTH, with at most
    LFD_JSON_MAX_NODES values (so memory stays bounded whatever the input).  Errors carry the
    input's name, line and column.  An object may not name a member twice, nor
    hold a member name containing \u0000 (readers would disagree on which
    value, or which name, counts).  Used for sidecar files (provenance,
    keypoint descriptions), safetensors headers and import layouts.
*/
#ifndef LFD_JSON_H
#define LFD_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/lfd_err.h"
#include "core/lfd_buf.h"

/* ---- writer ----------------------------------------------------------------- */
#define LFD_JW_MAX_DEPTH 64

typedef struct lfd_jw {
    FILE *fp;
    lfd_buf *buf;
    int pretty;
    int depth;
    int count[LFD_JW_MAX_DEPTH];
    int after_key;
} lfd_jw;

void lfd_jw_init_file(lfd_jw *jw, FILE *fp, int pretty);
void lfd_jw_init_buf(lfd_jw *jw, lfd_buf *buf, int pretty);
void lfd_jw_obj_begin(lfd_jw *jw);
void lfd_jw_obj_end(lfd_jw *jw);
void lfd_jw_arr_begin(lfd_jw *jw);
void lfd_jw_arr_end(lfd_jw *jw);
void lfd_jw_key(lfd_jw *jw, const char *key);
void lfd_jw_keyn(lfd_jw *jw, const char *key, size_t n);
void lfd_jw_str(lfd_jw *jw, const char *s);
void lfd_jw_strn(lfd_jw *jw, const char *s, size_t n);
/* %.10g, enough for reports; lfd_jw_num_exact uses %.17g (round-trips). */
void lfd_jw_num(lfd_jw *jw, double v);
void lfd_jw_num_exact(lfd_jw *jw, double v);
void lfd_jw_int(lfd_jw *jw, int64_t v);
void lfd_jw_uint(lfd_jw *jw, uint64_t v);
void lfd_jw_bool(lfd_jw *jw, int v);
void lfd_jw_null(lfd_jw *jw);
/* Ends the document with a newline. */
void lfd_jw_finish(lfd_jw *jw);

/* key + value shorthands */
void lfd_jw_kstr(lfd_jw *jw, const char *key, const char *s);
void lfd_jw_knum(lfd_jw *jw, const char *key, double v);
void lfd_jw_kint(lfd_jw *jw, const char *key, int64_t v);
void lfd_jw_kbool(lfd_jw *jw, const char *key, int v);

/* ---- parser ----------------------------------------------------------------- */
#define LFD_JSON_MAX_BYTES (16u << 20)
#define LFD_JSON_MAX_DEPTH 64
#define LFD_JSON_MAX_NODES 1000000
#define LFD_STR_(x) #x
#define LFD_STR(x) LFD_STR_(x)

typedef enum {
    LFD_JSON_NULL,
    LFD_JSON_BOOL,
    LFD_JSON_NUM,
    LFD_JSON_STR,
    LFD_JSON_ARR,
    LFD_JSON_OBJ
} lfd_json_type;

typedef struct lfd_json lfd_json;
struct lfd_json {
    lfd_json_type type;
    const char *key;   /* member name inside an object, else NULL */
    const char *str;   /* STR: NUL-terminated UTF-8 (may hold NULs: use len) */
    size_t len;
    double num;        /* NUM (an integer beyond 2^53 rounded: see inum) */
    int inum;          /* NUM: 1 if the literal is an integer (no '.', no exponent)
                          that fits int64_t, in i; 2 if it fits only uint64_t, in u;
                          else 0.  Exact where num is not (9007199254740993). */
    int64_t i;
    uint64_t u;
    int b;             /* BOOL */
    int count;         /* ARR/OBJ: number of children */
    lfd_json *child;   /* ARR/OBJ: first child */
    lfd_json *next;    /* next sibling */
    int line, col;     /* where the value starts (1-based) */
};

typedef struct lfd_json_doc lfd_json_doc;

/* Parses text[0..len) (need not be NUL-terminated) into a new document
   *doc that owns every value (text may be freed afterwards); the caller
   frees it with lfd_json_free, which NULLs the pointer.  name is used in
   errors.  On failure *doc is NULL. */
int lfd_json_parse(const char *text, size_t len, const char *name, lfd_json_doc **doc,
                   lfd_err *err);
/* Reads and parses a file: the same ownership, *doc NULL on failure. */
int lfd_json_parse_file(lfd_json_doc **doc, const char *path, lfd_err *err);
const lfd_json *lfd_json_root(const lfd_json_doc *doc);
/* The name given at parse time (for error messages). */
const char *lfd_json_name(const lfd_json_doc *doc);
void lfd_json_free(lfd_json_doc **doc);

/* Member of an object by name, or NULL. */
const lfd_json *lfd_json_get(const lfd_json *obj, const char *key);
/* Element i of an array, or NULL. */
const lfd_json *lfd_json_at(const lfd_json *arr, int i);

#endif
