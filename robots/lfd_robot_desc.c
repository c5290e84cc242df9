/*  lfd_robot_desc: parsing a robot description file into raw entries with
    their line numbers (see lfd_robot_desc.h; format in docs/robots.md), and
    lfd_robot_desc_lint, the same parse without MuJoCo for linting and
    fuzzing. */
#include "robots/lfd_robot_desc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"

#define MAX_TOKENS 32
#define LINE_MAX_CHARS 4096

/* parses a finite number filling the whole token */
static int parse_num(const char *s, double *v)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(x))
        return 0;
    *v = x;
    return 1;
}

/* parses n comma-separated numbers */
static int parse_nums(const char *s, double *v, int n)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return 0;
    snprintf(buf, sizeof buf, "%s", s);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if (i < n - 1) {
            if (!comma)
                return 0;
            *comma = '\0';
        } else if (comma) {
            return 0;
        }
        if (!parse_num(p, &v[i]))
            return 0;
        p = comma ? comma + 1 : p;
    }
    return 1;
}

static int copy_name(char *dst, const char *src, const raw_desc *rd, int line, const char *what,
                     lfd_err *err)
{
    if (strlen(src) >= LFD_NAME_MAX)
        return lfd_fail(err, LFD_ELIMIT, "%s:%d: %s name '%.40s...' is longer than %d characters",
                        rd->path, line, what, src, LFD_NAME_MAX - 1);
    snprintf(dst, LFD_NAME_MAX, "%s", src);
    return LFD_OK;
}

/* splits a key=value token in place; a token without '=' is a parse error */
static int split_kv(const raw_desc *rd, int line, char *tok, char **key, char **val, lfd_err *err)
{
    char *eq = strchr(tok, '=');
    if (!eq)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: expected key=value, got '%s'", rd->path, line, tok);
    *eq = '\0';
    *key = tok;
    *val = eq + 1;
    return LFD_OK;
}

static int bad_value(const raw_desc *rd, int line, const char *key, const char *val,
                     const char *want, lfd_err *err)
{
    return lfd_fail(err, LFD_EPARSE, "%s:%d: '%s' needs %s, got '%s'", rd->path, line, key, want,
                    val);
}

static int parse_joint(raw_desc *rd, int line, char **tok, int ntok, lfd_err *err)
{
    if (ntok < 2)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: 'joint' needs a joint name", rd->path, line);
    if (rd->njoints >= LFD_ROBOT_MAX_JOINTS)
        return lfd_fail(err, LFD_ELIMIT, "%s:%d: more than %d joints", rd->path, line,
                        LFD_ROBOT_MAX_JOINTS);
    raw_joint *j = &rd->joints[rd->njoints];
    memset(j, 0, sizeof *j);
    j->line = line;
    int rc = copy_name(j->name, tok[1], rd, line, "joint", err);
    if (rc)
        return rc;
    for (int i = 0; i < rd->njoints; i++)
        if (!strcmp(rd->joints[i].name, j->name))
            return lfd_fail(err, LFD_EPARSE, "%s:%d: joint '%s' is listed twice (first at line %d)",
                            rd->path, line, j->name, rd->joints[i].line);
    for (int t = 2; t < ntok; t++) {
        char *k = NULL, *v = NULL;
        int kv = split_kv(rd, line, tok[t], &k, &v, err);
        if (kv)
            return kv;
        double x;
        if (!strcmp(k, "range")) {
            double r[2];
            if (!parse_nums(v, r, 2) || !(r[0] < r[1]))
                return bad_value(rd, line, k, v, "LO,HI with LO < HI (rad)", err);
            j->lo = r[0];
            j->hi = r[1];
            j->has_range = 1;
            continue;
        }
        if (!parse_num(v, &x))
            return bad_value(rd, line, k, v, "a number", err);
        if (!strcmp(k, "vel") || !strcmp(k, "torque") || !strcmp(k, "acc")) {
            if (!(x > 0))
                return bad_value(rd, line, k, v, "a positive number", err);
            if (k[0] == 'v') { j->vel = x; j->has_vel = 1; }
            else if (k[0] == 't') { j->torque = x; j->has_torque = 1; }
            else { j->acc = x; j->has_acc = 1; }
        } else if (!strcmp(k, "kp") || !strcmp(k, "kd")) {
            if (!(x >= 0))
                return bad_value(rd, line, k, v, "a number >= 0", err);
            if (k[1] == 'p') { j->kp = x; j->has_kp = 1; }
            else { j->kd = x; j->has_kd = 1; }
        } else if (!strcmp(k, "default")) {
            j->def = x;
            j->has_default = 1;
        } else {
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: unknown joint key '%s' (keys: vel torque acc kp kd default range)",
                            rd->path, line, k);
        }
    }
    rd->njoints++;
    return LFD_OK;
}

static int parse_side(const raw_desc *rd, int line, const char *word, const char *s, int *side,
                      lfd_err *err)
{
    if (!s)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: '%s' needs left or right", rd->path, line, word);
    if (!strcmp(s, "left"))
        *side = LFD_LEFT;
    else if (!strcmp(s, "right"))
        *side = LFD_RIGHT;
    else
        return lfd_fail(err, LFD_EPARSE, "%s:%d: '%s' needs left or right, got '%s'", rd->path,
                        line, word, s);
    return LFD_OK;
}

static int parse_foot_hand(raw_desc *rd, int line, char **tok, int ntok, int foot, lfd_err *err)
{
    const char *word = foot ? "foot" : "hand";
    int side = 0, rc;
    if ((rc = parse_side(rd, line, word, ntok > 1 ? tok[1] : NULL, &side, err)))
        return rc;
    int *prev_line = foot ? &rd->feet[side].line : &rd->hands[side].line;
    if (*prev_line)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: %s %s is given twice (first at line %d)", rd->path,
                        line, tok[1], word, *prev_line);
    char *body = foot ? rd->feet[side].body : rd->hands[side].body;
    int have_body = 0, have_sole = 0, have_z = 0;
    for (int t = 2; t < ntok; t++) {
        char *k = NULL, *v = NULL;
        int kv = split_kv(rd, line, tok[t], &k, &v, err);
        if (kv)
            return kv;
        if (!strcmp(k, "body")) {
            if ((rc = copy_name(body, v, rd, line, "body", err)))
                return rc;
            have_body = 1;
        } else if (foot && !strcmp(k, "sole")) {
            double *s = rd->feet[side].sole;
            if (!parse_nums(v, s, 4) || !(s[0] < s[1]) || !(s[2] < s[3]))
                return bad_value(rd, line, k, v, "XMIN,XMAX,YMIN,YMAX with MIN < MAX (m)", err);
            have_sole = 1;
        } else if (foot && !strcmp(k, "z")) {
            if (!parse_num(v, &rd->feet[side].z))
                return bad_value(rd, line, k, v, "a number (m)", err);
            have_z = 1;
        } else if (!foot && !strcmp(k, "offset")) {
            if (!parse_nums(v, rd->hands[side].offset, 3))
                return bad_value(rd, line, k, v, "X,Y,Z (m)", err);
        } else {
            return lfd_fail(err, LFD_EPARSE, "%s:%d: unknown %s key '%s' (keys: %s)", rd->path, line,
                            word, k, foot ? "body sole z" : "body offset");
        }
    }
    if (!have_body || (foot && (!have_sole || !have_z)))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: '%s' needs %s", rd->path, line, word,
                        foot ? "body=, sole= and z=" : "body=");
    *prev_line = line;
    return LFD_OK;
}

static int parse_map(raw_desc *rd, int line, char **tok, int ntok, lfd_err *err)
{
    if (ntok < 2)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: 'map' needs a human joint name", rd->path, line);
    if (rd->nmap >= LFD_ROBOT_MAX_MAP)
        return lfd_fail(err, LFD_ELIMIT, "%s:%d: more than %d map entries", rd->path, line,
                        LFD_ROBOT_MAX_MAP);
    raw_map *e = &rd->map[rd->nmap];
    memset(e, 0, sizeof *e);
    e->line = line;
    e->human = lfd_cjoint_find(tok[1]);
    if (e->human < 0) {
        char list[256] = "";
        for (int i = 0; i < LFD_CJ_COUNT; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? " " : "", lfd_cjoint_name(i));
        }
        return lfd_fail(err, LFD_EPARSE, "%s:%d: '%s' is not a canonical human joint (%s)", rd->path,
                        line, tok[1], list);
    }
    e->pos_w = 1;
    e->rot_w = 0;
    e->rot[0] = 1;
    int have_body = 0, rc;
    for (int t = 2; t < ntok; t++) {
        char *k = NULL, *v = NULL;
        int kv = split_kv(rd, line, tok[t], &k, &v, err);
        if (kv)
            return kv;
        if (!strcmp(k, "body")) {
            if ((rc = copy_name(e->body, v, rd, line, "body", err)))
                return rc;
            have_body = 1;
        } else if (!strcmp(k, "pos_w") || !strcmp(k, "rot_w") || !strcmp(k, "scale")) {
            double x;
            if (!parse_num(v, &x) || x < 0)
                return bad_value(rd, line, k, v, "a number >= 0", err);
            if (k[0] == 'p') e->pos_w = x;
            else if (k[0] == 'r') e->rot_w = x;
            else e->scale = x;
        } else if (!strcmp(k, "offset")) {
            if (!parse_nums(v, e->offset, 3))
                return bad_value(rd, line, k, v, "X,Y,Z (m)", err);
        } else if (!strcmp(k, "rot")) {
            if (!parse_nums(v, e->rot, 4) || lfd_quat_normalize(e->rot) < 1e-9)
                return bad_value(rd, line, k, v, "a non-zero quaternion W,X,Y,Z", err);
        } else {
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: unknown map key '%s' (keys: body pos_w rot_w offset rot scale)",
                            rd->path, line, k);
        }
    }
    if (!have_body)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: 'map' needs body=", rd->path, line);
    if (e->pos_w == 0 && e->rot_w == 0)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: map %s has zero position and orientation weight",
                        rd->path, line, tok[1]);
    rd->nmap++;
    return LFD_OK;
}

int lfd_robot_desc_parse(raw_desc *rd, char *text, lfd_err *err)
{
    int line = 0, have_header = 0, rc;
    char *p = text;
    while (*p) {
        /* one line, without its terminator and comment */
        char *eol = p + strcspn(p, "\r\n");
        char *next = eol;
        if (*next == '\r')
            next++;
        if (*next == '\n')
            next++;
        *eol = '\0';
        line++;
        if (eol - p > LINE_MAX_CHARS)
            return lfd_fail(err, LFD_ELIMIT, "%s:%d: line longer than %d characters", rd->path, line,
                            LINE_MAX_CHARS);
        char *hash = strchr(p, '#');
        if (hash)
            *hash = '\0';
        char raw_rest[LINE_MAX_CHARS + 1];
        snprintf(raw_rest, sizeof raw_rest, "%s", p);
        /* tokens separated by blanks */
        char *tok[MAX_TOKENS];
        int ntok = 0;
        for (char *s = strtok(p, " \t"); s; s = strtok(NULL, " \t")) {
            if (ntok == MAX_TOKENS)
                return lfd_fail(err, LFD_ELIMIT, "%s:%d: more than %d words", rd->path, line,
                                MAX_TOKENS);
            tok[ntok++] = s;
        }
        p = next;
        if (!ntok)
            continue;
        if (!have_header) {
            if (strcmp(tok[0], LFD_ROBOT_FORMAT) || ntok != 2)
                return lfd_fail(err, LFD_EPARSE,
                                "%s:%d: not an lfd robot description (the first line must be '"
                                LFD_ROBOT_FORMAT " %d')",
                                rd->path, line, LFD_ROBOT_VERSION);
            double v;
            if (!parse_num(tok[1], &v) || v != LFD_ROBOT_VERSION)
                return lfd_fail(err, LFD_EUNSUPPORTED,
                                "%s:%d: description version '%s' is not supported (this lfd reads %d)",
                                rd->path, line, tok[1], LFD_ROBOT_VERSION);
            have_header = 1;
            continue;
        }
        const char *w = tok[0];
        if (!strcmp(w, "name")) {
            if (ntok != 2)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: 'name' needs one word", rd->path, line);
            if ((rc = copy_name(rd->name, tok[1], rd, line, "robot", err)))
                return rc;
        } else if (!strcmp(w, "mjcf")) {
            /* the rest of the line, as written: a path may hold spaces (lfd
               robot init drafted "my robot.xml" into a description that did
               not load: found by review) */
            const char *s = strstr(raw_rest, "mjcf") + 4;
            while (*s == ' ' || *s == '\t')
                s++;
            size_t n = strlen(s);
            while (n && isspace((unsigned char)s[n - 1]))
                n--;
            if (n == 0)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: 'mjcf' needs a path", rd->path, line);
            if (n >= sizeof rd->mjcf)
                return lfd_fail(err, LFD_ELIMIT, "%s:%d: mjcf path too long", rd->path, line);
            snprintf(rd->mjcf, sizeof rd->mjcf, "%.*s", (int)n, s);
            rd->mjcf_line = line;
        } else if (!strcmp(w, "source")) {
            /* the rest of the line, as written */
            const char *s = strstr(raw_rest, "source") + 6;
            while (*s == ' ' || *s == '\t')
                s++;
            snprintf(rd->source, sizeof rd->source, "%s", s);
            size_t n = strlen(rd->source);
            while (n && isspace((unsigned char)rd->source[n - 1]))
                rd->source[--n] = '\0';
        } else if (!strcmp(w, "joint")) {
            if ((rc = parse_joint(rd, line, tok, ntok, err)))
                return rc;
        } else if (!strcmp(w, "foot") || !strcmp(w, "hand")) {
            if ((rc = parse_foot_hand(rd, line, tok, ntok, w[0] == 'f', err)))
                return rc;
        } else if (!strcmp(w, "exclude")) {
            if (ntok != 3)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: 'exclude' needs two body names", rd->path,
                                line);
            if (rd->npairs >= LFD_ROBOT_MAX_EXCLUDE)
                return lfd_fail(err, LFD_ELIMIT, "%s:%d: more than %d excluded pairs", rd->path,
                                line, LFD_ROBOT_MAX_EXCLUDE);
            raw_pair *pr = &rd->pairs[rd->npairs];
            pr->line = line;
            if ((rc = copy_name(pr->b1, tok[1], rd, line, "body", err)) ||
                (rc = copy_name(pr->b2, tok[2], rd, line, "body", err)))
                return rc;
            rd->npairs++;
        } else if (!strcmp(w, "map")) {
            if ((rc = parse_map(rd, line, tok, ntok, err)))
                return rc;
        } else {
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: unknown entry '%s' (entries: name mjcf source joint foot hand "
                            "exclude map)",
                            rd->path, line, w);
        }
    }
    if (!have_header)
        return lfd_fail(err, LFD_EPARSE, "%s: empty robot description (the first line must be '"
                        LFD_ROBOT_FORMAT " %d')", rd->path, LFD_ROBOT_VERSION);
    if (!rd->mjcf[0])
        return lfd_fail(err, LFD_EPARSE, "%s: no 'mjcf' line naming the robot's MJCF file",
                        rd->path);
    return LFD_OK;
}

int lfd_robot_desc_lint(const char *text, size_t len, const char *name, lfd_err *err)
{
    if (len > LFD_ROBOT_DESC_MAX_BYTES)
        return lfd_fail(err, LFD_ELIMIT, "%s: description larger than %u bytes", name,
                        LFD_ROBOT_DESC_MAX_BYTES);
    if (memchr(text, '\0', len))
        return lfd_fail(err, LFD_EPARSE, "%s: not a text file (contains a NUL byte)", name);
    char *copy = malloc(len + 1);
    raw_desc *rd = calloc(1, sizeof *rd);
    if (rd)
        rd->pairs = calloc(LFD_ROBOT_MAX_EXCLUDE, sizeof *rd->pairs);
    int rc;
    if (!copy || !rd || !rd->pairs) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
    } else {
        memcpy(copy, text, len);
        copy[len] = '\0';
        rd->path = name;
        rc = lfd_robot_desc_parse(rd, copy, err);
    }
    if (rd)
        free(rd->pairs);
    free(rd);
    free(copy);
    return rc;
}
