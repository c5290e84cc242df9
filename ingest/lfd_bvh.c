/*  lfd_bvh: BVH reader, forward kinematics and writer (see lfd_bvh.h).

    The reader is a single pass over the text with a small tokenizer that
    counts lines the way an editor does (LF, CRLF and a lone CR each end a
    line), so every message can say "file:line: reason".  The hierarchy is
    parsed token by token (a brace may share a line with a name); joint
    names are the rest of their line, so names with spaces or colons are
    kept whole.  MOTION rows are lines: one row per non-blank line.
*/
#include "ingest/lfd_bvh.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/lfd_io.h"
#include "core/lfd_log.h"
#include "core/lfd_quat.h"

/* ---- numbers ------------------------------------------------------------------ */
static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* nan / inf spellings, including MSVC's "1.#QNAN" / "-1.#IND" / "1.#INF" */
static int parse_nonfinite(const char *s, size_t n, double *v)
{
    int neg = 0;
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    const char *t = s + i;
    size_t m = n - i;
    if ((m == 3 && !strncasecmp(t, "nan", 3)) || (m > 3 && !strncasecmp(t, "nan(", 4))) {
        *v = NAN;
        return 0;
    }
    if ((m == 3 && !strncasecmp(t, "inf", 3)) || (m == 8 && !strncasecmp(t, "infinity", 8))) {
        *v = neg ? -INFINITY : INFINITY;
        return 0;
    }
    /* MSVC's "1.#INF", "1.#QNAN", "1.#IND", "1.#SNAN" (suffixes compared only
       within the token: it is not NUL-terminated) */
    if (m >= 4 && !strncmp(t, "1.#", 3)) {
        const char *u = t + 3;
        size_t k = m - 3;
        if (k >= 3 && !strncasecmp(u, "INF", 3)) {
            *v = neg ? -INFINITY : INFINITY;
            return 0;
        }
        if ((k >= 4 && !strncasecmp(u, "QNAN", 4)) || (k >= 3 && !strncasecmp(u, "IND", 3)) ||
            (k >= 4 && !strncasecmp(u, "SNAN", 4))) {
            *v = NAN;
            return 0;
        }
    }
    return -1;
}

int lfd_parse_number(const char *s, size_t n, double *v)
{
    size_t i = 0;
    int neg = 0;
    if (n == 0)
        return -1;
    if (s[i] == '+' || s[i] == '-')
        neg = s[i++] == '-';
    /* mantissa digits (at most 19 significant kept exactly) */
    uint64_t mant = 0;
    int nd = 0, exp10 = 0, digits = 0, inexact = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (nd < 19) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            nd += mant > 0;
        } else {
            exp10++;
            inexact = 1;
        }
        digits++;
        i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < 19) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                nd += mant > 0;
                exp10--;
            } else {
                inexact = 1;
            }
            digits++;
            i++;
        }
    }
    if (!digits)
        return parse_nonfinite(s, n, v);
    /* exponent */
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, ed = 0;
        long e = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
            ed++;
            i++;
        }
        if (!ed)
            return -1;
        exp10 += (int)(eneg ? -e : e);
    }
    if (i != n)
        return parse_nonfinite(s, n, v);
    /* exact fast path (Clinger): mantissa < 2^53 and |exp| <= 22 */
    if (!inexact && mant < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)mant;
        d = exp10 >= 0 ? d * p10[exp10] : d / p10[-exp10];
        *v = neg ? -d : d;
        return 0;
    }
    /* anything else goes through strtod on a bounded copy */
    char buf[128];
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end != buf + n)
        return -1;
    *v = d;
    return 0;
}

/* ---- lexer ------------------------------------------------------------------- */
typedef struct lex {
    const char *p, *end;
    int line;
    const char *name;
} lex;

static int is_sp(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

/* skips whitespace and line ends, counting lines */
static void skip_ws(lex *L)
{
    while (L->p < L->end) {
        char c = *L->p;
        if (c == '\n') {
            L->line++;
            L->p++;
        } else if (c == '\r') {
            L->line++;
            L->p++;
            if (L->p < L->end && *L->p == '\n')
                L->p++;
        } else if (is_sp(c)) {
            L->p++;
        } else {
            break;
        }
    }
}

/* next whitespace-separated token; 0 at end of input */
static int next_tok(lex *L, const char **s, size_t *n, int *line)
{
    skip_ws(L);
    if (L->p >= L->end)
        return 0;
    *line = L->line;
    const char *b = L->p;
    while (L->p < L->end && !is_sp(*L->p) && *L->p != '\n' && *L->p != '\r')
        L->p++;
    *s = b;
    *n = (size_t)(L->p - b);
    return 1;
}

/* rest of the current line, trimmed */
static void rest_of_line(lex *L, const char **s, size_t *n)
{
    while (L->p < L->end && is_sp(*L->p))
        L->p++;
    const char *b = L->p;
    while (L->p < L->end && *L->p != '\n' && *L->p != '\r')
        L->p++;
    const char *e = L->p;
    while (e > b && is_sp(e[-1]))
        e--;
    *s = b;
    *n = (size_t)(e - b);
}

static int tok_is(const char *s, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    return n == k && !strncasecmp(s, kw, k);
}

/* a printable, bounded copy of a token for messages */
static const char *show(const char *s, size_t n, char *buf, size_t bufsz)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < bufsz; i++)
        buf[k++] = isprint((unsigned char)s[i]) ? s[i] : '?';
    if (n && k < n && k + 4 <= bufsz) {
        buf[k++] = '.';
        buf[k++] = '.';
        buf[k++] = '.';
    }
    buf[k] = '\0';
    return buf;
}

/* ---- model ---------------------------------------------------------------------- */
void lfd_bvh_free(lfd_bvh *b)
{
    if (!b)
        return;
    free(b->node);
    free(b->motion);
    memset(b, 0, sizeof *b);
}

static int add_warn(lfd_bvh *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_warn(lfd_bvh *b, const char *fmt, ...)
{
    if (b->nwarn >= LFD_BVH_MAX_WARN)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->warn[b->nwarn], sizeof b->warn[0], fmt, ap);
    va_end(ap);
    lfd_warn("%s", b->warn[b->nwarn]);
    b->nwarn++;
    return 0;
}

int lfd_bvh_find(const lfd_bvh *b, const char *name)
{
    for (int i = 0; i < b->nnodes; i++)
        if (!strcmp(b->node[i].name, name))
            return i;
    return -1;
}

void lfd_bvh_rot_order(const lfd_bvh_joint *j, char out[4])
{
    int k = 0;
    for (int c = 0; c < j->nchan && k < 3; c++)
        if (j->chan[c] >= LFD_BVH_XROT)
            out[k++] = (char)('X' + (j->chan[c] - LFD_BVH_XROT));
    out[k] = '\0';
}

static int chan_parse(const char *s, size_t n)
{
    static const char *const names[6] = {"Xposition", "Yposition", "Zposition",
                                         "Xrotation", "Yrotation", "Zrotation"};
    for (int i = 0; i < 6; i++)
        if (tok_is(s, n, names[i]))
            return i;
    return -1;
}

static int add_node(lfd_bvh *b, int *cap, int parent, const char *nm, size_t nn, int end_site,
                    int line, lfd_err *err)
{
    if (b->nnodes >= LFD_BVH_MAX_NODES)
        return lfd_fail(err, LFD_ELIMIT, "%s:%d: more than %d joints and End Sites", b->name,
                        line, LFD_BVH_MAX_NODES);
    if (b->nnodes == *cap) {
        int nc = *cap ? 2 * *cap : 64;
        lfd_bvh_joint *p = realloc(b->node, (size_t)nc * sizeof *p);
        if (!p)
            return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", b->name);
        b->node = p;
        *cap = nc;
    }
    lfd_bvh_joint *j = &b->node[b->nnodes];
    memset(j, 0, sizeof *j);
    j->parent = parent;
    j->end_site = end_site;
    j->line = line;
    j->offset[0] = NAN; /* "no OFFSET yet" */
    j->nchan = -1;      /* "no CHANNELS yet" */
    if (end_site) {
        const char *pn = b->node[parent].name;
        snprintf(j->name, sizeof j->name, "%.*s_end", (int)(sizeof j->name - 5), pn);
    } else {
        if (nn == 0)
            return lfd_fail(err, LFD_EPARSE, "%s:%d: joint without a name", b->name, line);
        if (nn >= sizeof j->name) {
            char tmp[48];
            return lfd_fail(err, LFD_EPARSE, "%s:%d: joint name '%s' is longer than %d characters",
                            b->name, line, show(nm, nn, tmp, sizeof tmp), LFD_BVH_NAME_MAX - 1);
        }
        memcpy(j->name, nm, nn);
        j->name[nn] = '\0';
    }
    b->nnodes++;
    return LFD_OK;
}

/* closes the node on top of the stack: it must have had an OFFSET */
static int close_node(lfd_bvh *b, int idx, int line, lfd_err *err)
{
    lfd_bvh_joint *j = &b->node[idx];
    if (isnan(j->offset[0]))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: %s '%s' (line %d) has no OFFSET", b->name, line,
                        j->end_site ? "End Site of" : "joint",
                        j->end_site ? b->node[j->parent].name : j->name, j->line);
    if (j->nchan < 0)
        j->nchan = 0;
    return LFD_OK;
}

/* HIERARCHY ... up to and including the MOTION keyword */
static int parse_hierarchy(lfd_bvh *b, lex *L, lfd_err *err)
{
    const char *s;
    size_t n;
    int line = 1, cap = 0;
    char tmp[48];
    int stack[LFD_BVH_MAX_NODES];
    int depth = 0;
    int pending_open = -1; /* node waiting for its '{' */

    if (!next_tok(L, &s, &n, &line) || !tok_is(s, n, "HIERARCHY"))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: expected HIERARCHY at the start of a BVH file%s",
                        b->name, L->line, L->p >= L->end ? " (the file is empty)" : "");
    for (;;) {
        if (!next_tok(L, &s, &n, &line)) {
            if (depth > 0)
                return lfd_fail(err, LFD_EPARSE,
                                "%s:%d: unexpected end of file inside joint '%s' (opened at line "
                                "%d): the file is truncated",
                                b->name, L->line, b->node[stack[depth - 1]].name,
                                b->node[stack[depth - 1]].line);
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: no MOTION section after the hierarchy (file truncated?)",
                            b->name, L->line);
        }
        if (pending_open >= 0) {
            /* a ROOT/JOINT/End Site must be followed by '{' */
            if (!tok_is(s, n, "{"))
                return lfd_fail(err, LFD_EPARSE, "%s:%d: expected '{' after '%s', found '%s'",
                                b->name, line, b->node[pending_open].name, show(s, n, tmp, sizeof tmp));
            stack[depth++] = pending_open;
            pending_open = -1;
            continue;
        }
        int top = depth ? stack[depth - 1] : -1;
        if (tok_is(s, n, "ROOT") || tok_is(s, n, "JOINT")) {
            int is_root = tok_is(s, n, "ROOT");
            if (is_root && depth)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: ROOT inside joint '%s'", b->name, line,
                                b->node[top].name);
            if (!is_root && !depth)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: JOINT outside any ROOT", b->name, line);
            if (!is_root && b->node[top].end_site)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: JOINT inside an End Site", b->name, line);
            const char *nm;
            size_t nn;
            rest_of_line(L, &nm, &nn);
            int brace = nn > 0 && nm[nn - 1] == '{';
            if (brace) {
                nn--;
                while (nn > 0 && is_sp(nm[nn - 1]))
                    nn--;
            }
            int rc = add_node(b, &cap, is_root ? -1 : top, nm, nn, 0, line, err);
            if (rc)
                return rc;
            if (brace)
                stack[depth++] = b->nnodes - 1;
            else
                pending_open = b->nnodes - 1;
        } else if (tok_is(s, n, "End")) {
            const char *s2;
            size_t n2;
            int l2;
            if (!next_tok(L, &s2, &n2, &l2) || !(tok_is(s2, n2, "Site") || tok_is(s2, n2, "Site{")))
                return lfd_fail(err, LFD_EPARSE, "%s:%d: expected 'End Site'", b->name, line);
            if (!depth)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: End Site outside any joint", b->name, line);
            if (b->node[top].end_site)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: End Site inside an End Site", b->name, line);
            int rc = add_node(b, &cap, top, NULL, 0, 1, line, err);
            if (rc)
                return rc;
            if (n2 == 5)
                stack[depth++] = b->nnodes - 1;
            else
                pending_open = b->nnodes - 1;
        } else if (tok_is(s, n, "OFFSET")) {
            if (!depth)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: OFFSET outside any joint", b->name, line);
            lfd_bvh_joint *j = &b->node[top];
            if (!isnan(j->offset[0]))
                return lfd_fail(err, LFD_EPARSE, "%s:%d: second OFFSET for '%s'", b->name, line, j->name);
            for (int k = 0; k < 3; k++) {
                const char *v;
                size_t vn;
                int vl;
                double d;
                if (!next_tok(L, &v, &vn, &vl))
                    return lfd_fail(err, LFD_EPARSE, "%s:%d: OFFSET needs 3 numbers (file truncated?)",
                                    b->name, L->line);
                if (vl != line || lfd_parse_number(v, vn, &d) || !isfinite(d))
                    return lfd_fail(err, LFD_EPARSE,
                                    "%s:%d: OFFSET of '%s' needs 3 finite numbers, value %d is '%s'",
                                    b->name, line, j->name, k + 1,
                                    vl != line ? "(end of line)" : show(v, vn, tmp, sizeof tmp));

                j->offset[k] = d;
            }
        } else if (tok_is(s, n, "CHANNELS")) {
            if (!depth)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: CHANNELS outside any joint", b->name, line);
            lfd_bvh_joint *j = &b->node[top];
            if (j->end_site)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: CHANNELS in an End Site", b->name, line);
            if (j->nchan >= 0)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: second CHANNELS line for '%s'", b->name, line, j->name);
            const char *v;
            size_t vn;
            int vl;
            double d;
            if (!next_tok(L, &v, &vn, &vl) || lfd_parse_number(v, vn, &d) || d != floor(d))
                return lfd_fail(err, LFD_EPARSE, "%s:%d: CHANNELS of '%s' must start with a count",
                                b->name, line, j->name);
            if (d < 0 || d > 6)
                return lfd_fail(err, LFD_EPARSE,
                                "%s:%d: '%s' declares %g channels; a joint has 0 to 6 "
                                "(Xposition Yposition Zposition Xrotation Yrotation Zrotation)",
                                b->name, line, j->name, d);
            int cnt = (int)d;
            j->nchan = 0;
            for (int k = 0; k < cnt; k++) {
                int c = -1, got = next_tok(L, &v, &vn, &vl);
                if (got)
                    c = chan_parse(v, vn);
                if (c < 0)
                    return lfd_fail(err, LFD_EPARSE,
                                    "%s:%d: CHANNELS of '%s' says %d but lists %d channel name(s) "
                                    "(found '%s')",
                                    b->name, got ? vl : L->line, j->name, cnt, k,
                                    got ? show(v, vn, tmp, sizeof tmp) : "end of file");
                for (int m = 0; m < j->nchan; m++)
                    if (j->chan[m] == c)
                        return lfd_fail(err, LFD_EPARSE, "%s:%d: channel '%s' repeated for '%s'",
                                        b->name, vl, show(v, vn, tmp, sizeof tmp), j->name);
                j->chan[j->nchan++] = (unsigned char)c;
            }
        } else if (tok_is(s, n, "}")) {
            if (!depth)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: '}' without a matching '{'", b->name, line);
            int rc = close_node(b, stack[depth - 1], line, err);
            if (rc)
                return rc;
            depth--;
        } else if (tok_is(s, n, "MOTION")) {
            if (depth)
                return lfd_fail(err, LFD_EPARSE,
                                "%s:%d: MOTION inside joint '%s' (opened at line %d): a '}' is missing",
                                b->name, line, b->node[top].name, b->node[top].line);
            break;
        } else if (!depth && (tok_is(s, n, "Frames:") || tok_is(s, n, "Frames"))) {
            return lfd_fail(err, LFD_EPARSE, "%s:%d: the MOTION keyword is missing before 'Frames:'", b->name, line);
        } else {
            return lfd_fail(err, LFD_EPARSE, "%s:%d: unexpected '%s' in HIERARCHY", b->name, line,
                            show(s, n, tmp, sizeof tmp));
        }
    }
    if (b->nnodes == 0)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: the HIERARCHY has no ROOT", b->name, line);
    return LFD_OK;
}

/* columns of every joint's channels */
static int layout(lfd_bvh *b, lfd_err *err)
{
    int col = 0;
    b->njoints = 0;
    for (int i = 0; i < b->nnodes; i++) {
        lfd_bvh_joint *j = &b->node[i];
        if (j->parent >= i)
            return lfd_fail(err, LFD_EARG, "%s: node %d's parent comes after it", b->name, i);
        if (j->nchan < 0 || j->nchan > 6 || (j->end_site && j->nchan))
            return lfd_fail(err, LFD_EARG, "%s: node '%s' has %d channels", b->name, j->name, j->nchan);
        j->chan0 = col;
        col += j->nchan;
        b->njoints += !j->end_site;
    }
    b->nchannels = col;
    return LFD_OK;
}

/* MOTION: Frames, Frame Time and the rows */
static int parse_motion(lfd_bvh *b, lex *L, const lfd_bvh_opts *o, lfd_err *err)
{
    const char *s;
    size_t n;
    int line = L->line;
    char tmp[48];
    /* Frames: N */
    if (!next_tok(L, &s, &n, &line))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: MOTION without 'Frames:' (file truncated?)", b->name, L->line);
    if (tok_is(s, n, "Frames") && L->p < L->end && *L->p == ':')
        L->p++;
    else if (!tok_is(s, n, "Frames:"))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: expected 'Frames:' after MOTION, found '%s'",
                        b->name, line, show(s, n, tmp, sizeof tmp));
    double d;
    int l2 = line;
    if (!next_tok(L, &s, &n, &l2))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: 'Frames:' without a count (file truncated?)", b->name, L->line);
    if (lfd_parse_number(s, n, &d) || d != floor(d) || d < 0)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: 'Frames:' needs a non-negative integer, found '%s'",
                        b->name, l2, show(s, n, tmp, sizeof tmp));
    b->frames_declared = d > 2e9 ? 2000000000 : (int)d;
    /* Frame Time: T */
    if (!next_tok(L, &s, &n, &line) || !tok_is(s, n, "Frame"))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: expected 'Frame Time:'%s", b->name, L->p >= L->end ? L->line : line,
                        L->p >= L->end ? " (file truncated?)" : "");
    if (!next_tok(L, &s, &n, &line) || !(tok_is(s, n, "Time:") || tok_is(s, n, "Time")))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: expected 'Frame Time:'%s", b->name, L->p >= L->end ? L->line : line,
                        L->p >= L->end ? " (file truncated?)" : "");
    if (tok_is(s, n, "Time") && L->p < L->end && *L->p == ':')
        L->p++;
    if (!next_tok(L, &s, &n, &l2))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: 'Frame Time:' without a value (file truncated?)", b->name, L->line);
    if (lfd_parse_number(s, n, &d) || !isfinite(d))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: 'Frame Time:' needs a number, found '%s'", b->name,
                        l2, show(s, n, tmp, sizeof tmp));
    if (d < 1e-5 || d > 10)
        return lfd_fail(err, LFD_EPARSE,
                        "%s:%d: Frame Time %g s is outside 1e-5..10 s (%g frames per second)",
                        b->name, l2, d, d > 0 ? 1 / d : 0.0);
    b->frame_time_s = d;
    {
        const char *r;
        size_t rn;
        rest_of_line(L, &r, &rn);
        if (rn)
            return lfd_fail(err, LFD_EPARSE, "%s:%d: unexpected '%s' after the frame time", b->name,
                            l2, show(r, rn, tmp, sizeof tmp));
    }
    if (b->nchannels == 0)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: the hierarchy declares no channels", b->name, l2);

    /* count the rows that are really there (this, not Frames:, sizes the array) */
    int max_frames = o && o->max_frames > 0 ? o->max_frames : LFD_BVH_MAX_FRAMES;
    const char *p = L->p;
    long rows = 0;
    while (p < L->end) {
        const char *e = p;
        int blank = 1;
        while (e < L->end && *e != '\n' && *e != '\r') {
            if (!is_sp(*e))
                blank = 0;
            e++;
        }
        rows += !blank;
        if (rows > max_frames)
            return lfd_fail(err, LFD_ELIMIT, "%s: more than %d MOTION rows (the limit)", b->name,
                            max_frames);
        p = e;
        if (p < L->end && *p == '\r')
            p++;
        if (p < L->end && *p == '\n')
            p++;
    }
    if ((size_t)rows * (size_t)b->nchannels > LFD_BVH_MAX_VALUES)
        return lfd_fail(err, LFD_ELIMIT, "%s: %ld rows x %d channels is more than %zu values",
                        b->name, rows, b->nchannels, (size_t)LFD_BVH_MAX_VALUES);
    if (rows > 0) {
        b->motion = malloc((size_t)rows * (size_t)b->nchannels * sizeof(double));
        if (!b->motion)
            return lfd_fail(err, LFD_ENOMEM, "%s: out of memory for %ld rows", b->name, rows);
    }
    /* parse the rows */
    int f = 0;
    L->line++; /* rows start on the line after Frame Time */
    p = L->p;
    if (p < L->end && *p == '\r')
        p++;
    if (p < L->end && *p == '\n')
        p++;
    int ln = L->line;
    while (p < L->end && f < rows) {
        double *row = b->motion ? b->motion + (size_t)f * (size_t)b->nchannels : NULL;
        int k = 0;
        const char *q = p;
        while (q < L->end && *q != '\n' && *q != '\r') {
            while (q < L->end && is_sp(*q))
                q++;
            if (q >= L->end || *q == '\n' || *q == '\r')
                break;
            const char *t = q;
            while (q < L->end && !is_sp(*q) && *q != '\n' && *q != '\r')
                q++;
            if (k >= b->nchannels)
                return lfd_fail(err, LFD_EPARSE,
                                "%s:%d: row has more than the %d values the CHANNELS declare",
                                b->name, ln, b->nchannels);
            double v;
            if (lfd_parse_number(t, (size_t)(q - t), &v))
                return lfd_fail(err, LFD_EPARSE, "%s:%d: value %d ('%s') is not a number", b->name,
                                ln, k + 1, show(t, (size_t)(q - t), tmp, sizeof tmp));
            if (!isfinite(v)) {
                if (o && o->reject_nonfinite)
                    return lfd_fail(err, LFD_ENUMERIC, "%s:%d: value %d is %s", b->name, ln, k + 1,
                                    show(t, (size_t)(q - t), tmp, sizeof tmp));
                b->nonfinite++;
            }
            row[k++] = v;
        }
        if (k > 0) {
            if (k != b->nchannels) {
                int last = 1;
                for (const char *r = q; r < L->end; r++)
                    if (!is_sp(*r) && *r != '\n' && *r != '\r') {
                        last = 0;
                        break;
                    }
                return lfd_fail(err, LFD_EPARSE, "%s:%d: row has %d values, the CHANNELS declare %d%s",
                                b->name, ln, k, b->nchannels,
                                last ? " (the file is truncated)" : "");
            }
            f++;
        }
        p = q;
        if (p < L->end && *p == '\r')
            p++;
        if (p < L->end && *p == '\n')
            p++;
        ln++;
    }
    b->nframes = f;
    if (b->frames_declared != f) {
        if (o && o->strict_frames)
            return lfd_fail(err, LFD_EPARSE, "%s: 'Frames: %d' but the file has %d rows", b->name,
                            b->frames_declared, f);
        add_warn(b, "%s: 'Frames: %d' but the file has %d rows; using %d", b->name,
                 b->frames_declared, f, f);
    }
    return LFD_OK;
}

int lfd_bvh_parse(lfd_bvh *b, const char *text, size_t len, const char *name,
                  const lfd_bvh_opts *opts, lfd_err *err)
{
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name ? name : "bvh");
    if (len > LFD_BVH_MAX_BYTES)
        return lfd_fail(err, LFD_ELIMIT, "%s: larger than %zu bytes", b->name, (size_t)LFD_BVH_MAX_BYTES);
    /* a UTF-8 byte-order mark, as Windows editors write (the CSV and JSON
       lines readers skip it too; found by review) */
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        text += 3;
        len -= 3;
    }
    lex L = {text, text + len, 1, b->name};
    int rc = parse_hierarchy(b, &L, err);
    if (rc == LFD_OK)
        rc = layout(b, err);
    if (rc == LFD_OK)
        rc = parse_motion(b, &L, opts, err);
    if (rc) {
        lfd_bvh_free(b);
        return rc;
    }
    return LFD_OK;
}

int lfd_bvh_read(lfd_bvh *b, const char *path, const lfd_bvh_opts *opts, lfd_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    memset(b, 0, sizeof *b);
    int rc = lfd_file_read(path, LFD_BVH_MAX_BYTES, &data, &len, err);
    if (rc)
        return rc;
    rc = lfd_bvh_parse(b, (const char *)data, len, path, opts, err);
    free(data);
    return rc;
}

int lfd_bvh_alloc(lfd_bvh *b, int nnodes, int nframes, lfd_err *err)
{
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "generated");
    if (nnodes <= 0 || nnodes > LFD_BVH_MAX_NODES || nframes < 0 || nframes > LFD_BVH_MAX_FRAMES)
        return lfd_fail(err, LFD_EARG, "lfd_bvh_alloc: %d nodes, %d frames out of range", nnodes, nframes);
    b->node = calloc((size_t)nnodes, sizeof *b->node);
    if (!b->node)
        return lfd_fail(err, LFD_ENOMEM, "lfd_bvh_alloc: out of memory");
    b->nnodes = nnodes;
    b->nframes = b->frames_declared = nframes;
    return LFD_OK;
}

int lfd_bvh_finalize(lfd_bvh *b, int nframes, lfd_err *err)
{
    int rc = layout(b, err);
    if (rc)
        return rc;
    if (nframes < 0 || nframes > LFD_BVH_MAX_FRAMES ||
        (size_t)nframes * (size_t)b->nchannels > LFD_BVH_MAX_VALUES)
        return lfd_fail(err, LFD_ELIMIT, "%s: %d frames x %d channels is too large", b->name,
                        nframes, b->nchannels);
    free(b->motion);
    b->motion = NULL;
    if (nframes > 0 && b->nchannels > 0) {
        b->motion = calloc((size_t)nframes * (size_t)b->nchannels, sizeof(double));
        if (!b->motion)
            return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", b->name);
    }
    b->nframes = b->frames_declared = nframes;
    return LFD_OK;
}

/* ---- forward kinematics ---------------------------------------------------------- */
void lfd_bvh_fk_row(const lfd_bvh *b, const double *row, double *pos, double *quat)
{
    const double half_deg = M_PI / 360.0;
    for (int i = 0; i < b->nnodes; i++) {
        const lfd_bvh_joint *j = &b->node[i];
        double t[3] = {j->offset[0], j->offset[1], j->offset[2]};
        double q[4] = {1, 0, 0, 0};
        /* channels: positions replace the offset, rotations compose in order */
        for (int c = 0; c < j->nchan; c++) {
            double v = row[j->chan0 + c];
            int k = j->chan[c];
            if (k <= LFD_BVH_ZPOS) {
                t[k] = v;
            } else {
                double e[4] = {cos(v * half_deg), 0, 0, 0};
                e[1 + k - LFD_BVH_XROT] = sin(v * half_deg);
                lfd_quat_mul(q, q, e);
            }
        }
        double *p = pos + 3 * i, *qw = quat + 4 * i;
        if (j->parent < 0) {
            lfd_v3_copy(p, t);
            memcpy(qw, q, sizeof q);
        } else {
            const double *pp = pos + 3 * j->parent, *pq = quat + 4 * j->parent;
            double r[3];
            /* world = parent position + parent rotation * local translation */
            lfd_quat_rotate(r, pq, t);
            lfd_v3_add(p, pp, r);
            lfd_quat_mul(qw, pq, q);
        }
    }
}

void lfd_bvh_fk(const lfd_bvh *b, int f, double *pos, double *quat)
{
    lfd_bvh_fk_row(b, b->motion + (size_t)f * (size_t)b->nchannels, pos, quat);
}

/* ---- writer ------------------------------------------------------------------------ */
static void bputs(lfd_buf *o, const char *s) { lfd_buf_append(o, s, strlen(s)); }

static void bprintf(lfd_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(lfd_buf *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        lfd_buf_append(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void indent(lfd_buf *o, int d)
{
    for (int i = 0; i < d; i++)
        bputs(o, "\t");
}

int lfd_bvh_to_text(const lfd_bvh *b, const lfd_bvh_write_opts *opts, lfd_buf *out, lfd_err *err)
{
    static const char *const cn[6] = {"Xposition", "Yposition", "Zposition",
                                      "Xrotation", "Yrotation", "Zrotation"};
    int dec = opts && opts->decimals > 0 ? opts->decimals : 6;
    if (dec > 12)
        dec = 12;
    const char *nl = opts && opts->crlf ? "\r\n" : "\n";
    if (b->nnodes <= 0 || b->nnodes > LFD_BVH_MAX_NODES)
        return lfd_fail(err, LFD_EARG, "%s: no nodes to write", b->name);
    lfd_buf_init(out, LFD_BVH_MAX_BYTES);
    /* hierarchy: walk nodes in order, closing braces when the depth drops */
    int depth_of[LFD_BVH_MAX_NODES];
    bprintf(out, "HIERARCHY%s", nl);
    int path[LFD_BVH_MAX_NODES];
    int depth = 0;
    for (int i = 0; i < b->nnodes; i++) {
        const lfd_bvh_joint *j = &b->node[i];
        int d = j->parent < 0 ? 0 : depth_of[j->parent] + 1;
        depth_of[i] = d;
        if (d > depth || (d > 0 && path[d - 1] != j->parent) || (j->parent >= 0 && b->node[j->parent].end_site)) {
            lfd_buf_free(out);
            return lfd_fail(err, LFD_EARG, "%s: node '%s' is not in depth-first order", b->name, j->name);
        }
        path[d] = i;
        while (depth > d) {
            depth--;
            indent(out, depth);
            bprintf(out, "}%s", nl);
        }
        indent(out, d);
        if (j->end_site)
            bprintf(out, "End Site%s", nl);
        else
            bprintf(out, "%s %s%s", j->parent < 0 ? "ROOT" : "JOINT", j->name, nl);
        indent(out, d);
        bprintf(out, "{%s", nl);
        indent(out, d + 1);
        bprintf(out, "OFFSET %.6f %.6f %.6f%s", j->offset[0], j->offset[1], j->offset[2], nl);
        if (!j->end_site) {
            indent(out, d + 1);
            bprintf(out, "CHANNELS %d", j->nchan);
            for (int c = 0; c < j->nchan; c++)
                bprintf(out, " %s", cn[j->chan[c]]);
            bputs(out, nl);
        }
        depth = d + 1;
    }
    while (depth > 0) {
        depth--;
        indent(out, depth);
        bprintf(out, "}%s", nl);
    }
    bprintf(out, "MOTION%sFrames: %d%sFrame Time: %.8f%s", nl, b->nframes, nl, b->frame_time_s, nl);
    for (int f = 0; f < b->nframes; f++) {
        const double *row = b->motion + (size_t)f * (size_t)b->nchannels;
        for (int c = 0; c < b->nchannels; c++)
            bprintf(out, c ? " %.*f" : "%.*f", dec, row[c]);
        bputs(out, nl);
    }
    if (!lfd_buf_ok(out)) {
        lfd_buf_free(out);
        return lfd_fail(err, LFD_ELIMIT, "%s: BVH text larger than %zu bytes", b->name,
                        (size_t)LFD_BVH_MAX_BYTES);
    }
    return LFD_OK;
}

int lfd_bvh_write(const lfd_bvh *b, const char *path, const lfd_bvh_write_opts *opts, lfd_err *err)
{
    lfd_buf out;
    int rc = lfd_bvh_to_text(b, opts, &out, err);
    if (rc)
        return rc;
    rc = lfd_file_write_atomic(path, out.data, out.len, err);
    lfd_buf_free(&out);
    return rc;
}
