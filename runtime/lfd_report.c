/*  lfd_report: the corpus report of a batch run (see lfd_report.h).

    Counting (report_add) reads one record of corpus.jsonl at a time; the
    records arrive sorted by recording id, so a recording's own figures
    (frames, QA, contributor) are counted at its first record.  Named
    counters live in small hash tables (ctab).  The HTML writer draws bars
    as inline SVG rectangles; every string from the records is escaped. */
#define _GNU_SOURCE
#include "runtime/lfd_report.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/lfd_util.h"
#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "runtime/lfd_batch.h"

/* ---- named counters ------------------------------------------------------------------------ */

#define CT_BUCKETS 4096
#define CT_V 6

typedef struct cnt {
    char *name;
    long v[CT_V];
    double x[2];
    int next;      /* bucket chain */
} cnt;

typedef struct ctab {
    cnt *e;
    int n, cap;
    int head[CT_BUCKETS];
} ctab;

static void ct_init(ctab *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < CT_BUCKETS; i++)
        t->head[i] = -1;
}

static void ct_free(ctab *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->e[i].name);
    free(t->e);
}

static unsigned ct_hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % CT_BUCKETS;
}

/* the counter named name, created at zero; NULL when out of memory */
static cnt *ct_get(ctab *t, const char *name)
{
    unsigned h = ct_hash(name);
    for (int i = t->head[h]; i >= 0; i = t->e[i].next)
        if (!strcmp(t->e[i].name, name))
            return &t->e[i];
    if (t->n == t->cap) {
        int nc = t->cap ? 2 * t->cap : 32;
        cnt *p = realloc(t->e, (size_t)nc * sizeof *p);
        if (!p)
            return NULL;
        t->e = p;
        t->cap = nc;
    }
    cnt *c = &t->e[t->n];
    memset(c, 0, sizeof *c);
    if (!(c->name = strdup(name)))
        return NULL;
    c->next = t->head[h];
    t->head[h] = t->n++;
    return c;
}

static int cmp_cnt_v0(const void *a, const void *b)
{
    const cnt *x = a, *y = b;
    if (x->v[0] != y->v[0])
        return x->v[0] > y->v[0] ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_cnt_name(const void *a, const void *b)
{
    return strcmp(((const cnt *)a)->name, ((const cnt *)b)->name);
}

/* sorting breaks the hash chains: only at the end */
static void ct_sort(ctab *t, int (*cmp)(const void *, const void *))
{
    if (t->n > 1)
        qsort(t->e, (size_t)t->n, sizeof *t->e, cmp);
    for (int i = 0; i < CT_BUCKETS; i++)
        t->head[i] = -1;
    for (int i = 0; i < t->n; i++) {
        unsigned h = ct_hash(t->e[i].name);
        t->e[i].next = t->head[h];
        t->head[h] = i;
    }
}

/* ---- the report ---------------------------------------------------------------------------- */

typedef struct worst {
    double share;
    long nfail;
    char *id, *robot, *verdict, *plot, *check_report, *groups;
} worst;

struct lfd_report {
    char run_dir[4096];
    char generated[32];
    long records, recordings, motions;
    double frames, seconds, motion_frames;
    long qa[3];                  /* pass, warn, reject (recordings with a QA result) */
    long status[4];              /* recordings: done (some robot), rejected, refused, error */
    ctab qa_kinds;               /* "severity\x1fcheck": v0 recordings, v1 frames */
    ctab qa_sev;                 /* severity names seen: v0 findings */
    ctab consent;                /* reason_kind: v0 recordings, x0 hours */
    ctab errors;                 /* "stage\x1freason_kind": v0 records */
    ctab robots;                 /* robot: v0 pass, v1 warn, v2 fail, v3 errors, v4 motions; x0 frames */
    ctab groups;                 /* "robot\x1fgroup": v0 failing clips, v1 warning clips; x0 fail frames */
    ctab filter;                 /* "robot\x1fwhy": v0 motions whose filter rounds ended so, v1 last steps */
    ctab contrib;                /* id: v0 recordings, v1 rejected, v2 refused, v3 failing clips; x0 s */
    worst *w;
    int nw, wcap;
    char last_id[4096];
    /* the recording being counted: its fate is known only after its last
       record (a record whose every robot failed was not retargeted) */
    int cur_open, cur_null, cur_done;
    char **withdrawn;            /* RUN/withdrawn.txt: never shown, whatever the index says */
    int nwithdrawn;
};

static const char *jstr(const lfd_json *o, const char *k)
{
    const lfd_json *v = o ? lfd_json_get(o, k) : NULL;
    return v && v->type == LFD_JSON_STR ? v->str : NULL;
}

static double jnum(const lfd_json *o, const char *k, double dflt)
{
    const lfd_json *v = o ? lfd_json_get(o, k) : NULL;
    return v && v->type == LFD_JSON_NUM ? v->num : dflt;
}

static char *dupz(const char *s) { return strdup(s ? s : ""); }

/* one more of robot's motions whose filter rounds (slot 0) or a last step
   (slot 1) ended for reason why; nonzero when out of memory */
static int filter_count(lfd_report *r, const char *robot, const char *why, int slot)
{
    char key[256];
    snprintf(key, sizeof key, "%s\x1f%s", robot, why);
    cnt *c = ct_get(&r->filter, key);
    if (!c)
        return 1;
    c->v[slot]++;
    return 0;
}

/* The recording just counted gets its headline fate: retargeted when at
   least one robot made a motion; else its record before any robot
   (rejected, refused, unreadable); else (every robot's record an error:
   robot-load, retarget, check) an error.  Merge never keeps both kinds,
   but a motion made wins if a hand-joined index has them. */
static void recording_end(lfd_report *r)
{
    if (!r->cur_open)
        return;
    if (r->cur_done)
        r->status[0]++;
    else if (r->cur_null)
        r->status[r->cur_null]++;
    else
        r->status[3]++;
    r->cur_open = r->cur_null = r->cur_done = 0;
}

static int is_withdrawn(const lfd_report *r, const char *who)
{
    return lfd_batch_id_listed(r->withdrawn, r->nwithdrawn, who);
}

static int report_add(lfd_report *r, const lfd_json *rec)
{
    const char *id = jstr(rec, "id"), *robot = jstr(rec, "robot"), *status = jstr(rec, "status");
    const char *stage = jstr(rec, "stage"), *kind = jstr(rec, "reason_kind");
    const char *who = jstr(rec, "contributor");
    if (!id || !status)
        return LFD_EPARSE;
    if (is_withdrawn(r, who))
        return LFD_OK; /* a stale index (see lfd_report_build): the person is never shown */
    int first = strcmp(id, r->last_id) != 0;
    if (first)
        recording_end(r);
    r->records++;
    snprintf(r->last_id, sizeof r->last_id, "%s", id);
    r->cur_open = 1;
    cnt *cc = who ? ct_get(&r->contrib, who) : NULL;
    const lfd_json *qa = lfd_json_get(rec, "qa");
    if (first) {
        r->recordings++;
        double secs = jnum(rec, "seconds", 0);
        r->frames += jnum(rec, "frames", 0);
        r->seconds += secs;
        if (cc) {
            cc->v[0]++;
            cc->x[0] += secs;
        }
        if (qa) {
            const char *v = jstr(qa, "verdict");
            int vi = v && !strcmp(v, "pass") ? 0 : v && !strcmp(v, "warn") ? 1 : 2;
            r->qa[vi]++;
            const lfd_json *fs = lfd_json_get(qa, "findings");
            for (const lfd_json *f = fs ? fs->child : NULL; f; f = f->next) {
                const char *ch = jstr(f, "check"), *sv = jstr(f, "severity");
                if (!ch || !sv)
                    continue;
                char key[128];
                snprintf(key, sizeof key, "%s\x1f%s", sv, ch);
                cnt *k = ct_get(&r->qa_kinds, key);
                cnt *s = ct_get(&r->qa_sev, sv);
                if (!k || !s)
                    return LFD_ENOMEM;
                k->v[0]++;
                k->v[1] += (long)jnum(f, "frames", 0);
                s->v[0]++;
            }
        }
        /* the recording's fate before any robot */
        if (!robot) {
            int si = !strcmp(status, "rejected") ? 1 : !strcmp(status, "refused") ? 2 : 3;
            r->cur_null = si;
            if (si == 1 && cc)
                cc->v[1]++;
            if (si == 2) {
                cnt *c = ct_get(&r->consent, kind ? kind : "unknown");
                if (!c)
                    return LFD_ENOMEM;
                c->v[0]++;
                c->x[0] += secs / 3600.0;
                if (cc)
                    cc->v[2]++;
            }
        }
    }
    if (robot)
        r->cur_done |= !strcmp(status, "done");
    if (!strcmp(status, "error")) {
        char key[256];
        snprintf(key, sizeof key, "%s\x1f%s", stage ? stage : "?", kind ? kind : "?");
        cnt *e = ct_get(&r->errors, key);
        if (!e)
            return LFD_ENOMEM;
        e->v[0]++;
        if (robot) {
            cnt *rb = ct_get(&r->robots, robot);
            if (!rb)
                return LFD_ENOMEM;
            rb->v[3]++;
        }
        return LFD_OK;
    }
    if (!robot || strcmp(status, "done"))
        return LFD_OK;
    /* a robot motion made and checked */
    const lfd_json *ck = lfd_json_get(rec, "check");
    const char *verdict = jstr(ck, "verdict");
    double mframes = jnum(rec, "motion_frames", 0);
    cnt *rb = ct_get(&r->robots, robot);
    if (!rb)
        return LFD_ENOMEM;
    r->motions++;
    r->motion_frames += mframes;
    rb->v[4]++;
    rb->x[0] += mframes;
    int vi = verdict && !strcmp(verdict, "pass") ? 0 : verdict && !strcmp(verdict, "warn") ? 1 : 2;
    rb->v[vi]++;
    if (vi == 2 && cc)
        cc->v[3]++;
    const lfd_json *gs = ck ? lfd_json_get(ck, "groups") : NULL;
    char gl[512] = "";
    for (const lfd_json *g = gs ? gs->child : NULL; g; g = g->next) {
        char key[256];
        snprintf(key, sizeof key, "%s\x1f%s", robot, g->key);
        cnt *c = ct_get(&r->groups, key);
        if (!c)
            return LFD_ENOMEM;
        long nf = (long)jnum(g, "fail", 0), nw = (long)jnum(g, "warn", 0);
        c->v[0] += nf > 0;
        c->v[1] += nf == 0 && nw > 0;
        c->x[0] += jnum(g, "fail_frames", 0);
        if (nf > 0) {
            size_t l = strlen(gl);
            snprintf(gl + l, sizeof gl - l, "%s%s %.0f%%", l ? ", " : "", g->key,
                     mframes > 0 ? 100.0 * jnum(g, "fail_frames", 0) / mframes : 0.0);
        }
    }
    /* what stopped the dynamics filter: its rounds, and each last step */
    const lfd_json *rt = lfd_json_get(rec, "retarget");
    const char *fr = jstr(rt, "filter_rounds");
    const lfd_json *fl = fr ? lfd_json_get(rt, "filter_last_steps") : NULL;
    if (fr && filter_count(r, robot, fr, 0))
        return LFD_ENOMEM;
    for (const lfd_json *e = fl ? fl->child : NULL; e; e = e->next)
        if (e->type == LFD_JSON_STR && filter_count(r, robot, e->str, 1))
            return LFD_ENOMEM;
    double share = jnum(ck, "fail_share", 0);
    if (vi == 2 || share > 0) {
        if (r->nw == r->wcap) {
            int nc = r->wcap ? 2 * r->wcap : 64;
            worst *p = realloc(r->w, (size_t)nc * sizeof *p);
            if (!p)
                return LFD_ENOMEM;
            r->w = p;
            r->wcap = nc;
        }
        worst *w = &r->w[r->nw++];
        w->share = share;
        w->nfail = (long)jnum(ck, "nfail", 0);
        w->id = dupz(id);
        w->robot = dupz(robot);
        w->verdict = dupz(verdict);
        w->plot = jstr(rec, "plot") ? dupz(jstr(rec, "plot")) : NULL;
        w->check_report = dupz(jstr(rec, "check_report"));
        w->groups = dupz(gl);
    }
    return LFD_OK;
}

static int cmp_worst(const void *a, const void *b)
{
    const worst *x = a, *y = b;
    if (x->share != y->share)
        return x->share > y->share ? -1 : 1;
    if (x->nfail != y->nfail)
        return x->nfail > y->nfail ? -1 : 1;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->robot, y->robot);
}

void lfd_report_free(lfd_report **rp)
{
    lfd_report *r = rp ? *rp : NULL;
    if (!r)
        return;
    ct_free(&r->qa_kinds);
    ct_free(&r->qa_sev);
    ct_free(&r->consent);
    ct_free(&r->errors);
    ct_free(&r->robots);
    ct_free(&r->groups);
    ct_free(&r->filter);
    ct_free(&r->contrib);
    for (int i = 0; i < r->nw; i++) {
        free(r->w[i].id);
        free(r->w[i].robot);
        free(r->w[i].verdict);
        free(r->w[i].plot);
        free(r->w[i].check_report);
        free(r->w[i].groups);
    }
    free(r->w);
    for (int i = 0; i < r->nwithdrawn; i++)
        free(r->withdrawn[i]);
    free(r->withdrawn);
    free(r);
    *rp = NULL;
}

/* 1 if a is modified after b (nanoseconds where the filesystem has them) */
static int newer(const struct stat *a, const struct stat *b)
{
    if (a->st_mtim.tv_sec != b->st_mtim.tv_sec)
        return a->st_mtim.tv_sec > b->st_mtim.tv_sec;
    return a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

/* Why RUN/corpus.jsonl no longer says what the run holds, or NULL: a shard
   log or withdrawn.txt changed after the last merge (a task ran again, or
   `lfd batch withdraw --apply` removed a person's outputs). */
static const char *index_stale(const char *run_dir, const struct stat *cst, char *why, size_t whysz)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/withdrawn.txt", run_dir);
    if (stat(p, &st) == 0 && newer(&st, cst)) {
        snprintf(why, whysz, "%s changed after the last merge", p);
        return why;
    }
    snprintf(p, sizeof p, "%s/logs", run_dir);
    DIR *d = opendir(p);
    if (!d)
        return NULL;
    const char *res = NULL;
    struct dirent *e;
    while (!res && (e = readdir(d))) {
        if (!lfd_batch_is_shard_log(e->d_name))
            continue;
        char f[4500];
        snprintf(f, sizeof f, "%s/%s", p, e->d_name);
        if (stat(f, &st) == 0 && newer(&st, cst)) {
            snprintf(why, whysz, "%s changed after the last merge", f);
            res = why;
        }
    }
    closedir(d);
    return res;
}

/* RUN/withdrawn.txt, as lfd_batch reads it */
static int read_withdrawn(lfd_report *r, const char *run_dir, lfd_err *err)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/withdrawn.txt", run_dir);
    return lfd_batch_read_withdrawn(p, &r->withdrawn, &r->nwithdrawn, err);
}

int lfd_report_build(lfd_report **out, const char *run_dir, lfd_err *err)
{
    *out = NULL;
    char cp[4200], why[4600];
    snprintf(cp, sizeof cp, "%s/corpus.jsonl", run_dir);
    int rc;
    struct stat cst;
    if (stat(cp, &cst) != 0) {
        if ((rc = lfd_batch_merge(run_dir, NULL, NULL, err)))
            return rc;
    } else if (index_stale(run_dir, &cst, why, sizeof why)) {
        /* a report of an old index would show what is gone (a withdrawn
           person's motions, links to deleted files): merge again */
        lfd_err me = {0};
        if (lfd_batch_merge(run_dir, NULL, NULL, &me) == LFD_OK)
            lfd_info("lfd report: %s; merged %s again", why, cp);
        else
            lfd_warn("lfd report: %s, and merging again failed (%s): reporting the old index "
                     "without withdrawn contributors",
                     why, me.msg);
    }
    uint8_t *data;
    size_t len;
    if ((rc = lfd_file_read(cp, (size_t)1 << 34, &data, &len, err)))
        return rc;
    lfd_report *r = calloc(1, sizeof *r);
    if (!r) {
        free(data);
        return lfd_fail(err, LFD_ENOMEM, "report: out of memory");
    }
    if ((rc = read_withdrawn(r, run_dir, err))) {
        free(data);
        lfd_report_free(&r);
        return rc;
    }
    snprintf(r->run_dir, sizeof r->run_dir, "%s", run_dir);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(r->generated, sizeof r->generated, "%Y-%m-%d %H:%M UTC", &tm);
    ct_init(&r->qa_kinds);
    ct_init(&r->qa_sev);
    ct_init(&r->consent);
    ct_init(&r->errors);
    ct_init(&r->robots);
    ct_init(&r->groups);
    ct_init(&r->filter);
    ct_init(&r->contrib);
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r((char *)data, "\n", &save); line && rc == LFD_OK;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        lfd_json_doc *doc;
        if ((rc = lfd_json_parse(line, strlen(line), cp, &doc, err)))
            break;
        rc = report_add(r, lfd_json_root(doc));
        lfd_json_free(&doc);
        if (rc)
            rc = lfd_fail(err, rc, "%s:%d: %s", cp, lineno,
                          rc == LFD_ENOMEM ? "out of memory" : "not a batch record");
    }
    free(data);
    recording_end(r);
    if (rc) {
        lfd_report_free(&r);
        return rc;
    }
    if (r->nw > 1)
        qsort(r->w, (size_t)r->nw, sizeof *r->w, cmp_worst);
    ct_sort(&r->qa_kinds, cmp_cnt_v0);
    ct_sort(&r->qa_sev, cmp_cnt_name);
    ct_sort(&r->consent, cmp_cnt_v0);
    ct_sort(&r->errors, cmp_cnt_v0);
    ct_sort(&r->robots, cmp_cnt_name);
    ct_sort(&r->groups, cmp_cnt_name);
    ct_sort(&r->filter, cmp_cnt_name);
    ct_sort(&r->contrib, cmp_cnt_v0);
    *out = r;
    return LFD_OK;
}

/* ---- JSON ---------------------------------------------------------------------------------------- */

#define WORST_MAX 15
#define CONTRIB_MAX_SHOWN 50

static const char *after_sep(const char *s)
{
    const char *p = strchr(s, '\x1f');
    return p ? p + 1 : s;
}

static int sep_prefix_is(const char *s, const char *pre)
{
    size_t n = strlen(pre);
    return !strncmp(s, pre, n) && s[n] == '\x1f';
}

void lfd_report_json(const lfd_report *r, FILE *fp)
{
    lfd_jw jw;
    lfd_jw_init_file(&jw, fp, 1);
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "run", r->run_dir);
    lfd_jw_key(&jw, "corpus");
    lfd_jw_obj_begin(&jw);
    lfd_jw_kint(&jw, "records", r->records);
    lfd_jw_kint(&jw, "recordings", r->recordings);
    lfd_jw_knum(&jw, "hours", r->seconds / 3600.0);
    lfd_jw_kint(&jw, "frames", (int64_t)r->frames);
    lfd_jw_kint(&jw, "motions", r->motions);
    lfd_jw_kint(&jw, "motion_frames", (int64_t)r->motion_frames);
    lfd_jw_kint(&jw, "recordings_retargeted", r->status[0]);
    lfd_jw_kint(&jw, "recordings_rejected", r->status[1]);
    lfd_jw_kint(&jw, "recordings_refused", r->status[2]);
    lfd_jw_kint(&jw, "recordings_error", r->status[3]);
    lfd_jw_obj_end(&jw);

    lfd_jw_key(&jw, "qa");
    lfd_jw_obj_begin(&jw);
    lfd_jw_key(&jw, "verdicts");
    lfd_jw_obj_begin(&jw);
    lfd_jw_kint(&jw, "pass", r->qa[0]);
    lfd_jw_kint(&jw, "warn", r->qa[1]);
    lfd_jw_kint(&jw, "reject", r->qa[2]);
    lfd_jw_obj_end(&jw);
    /* by severity (reject, warn, info and whatever kinds lfd_qa adds), then check */
    lfd_jw_key(&jw, "findings");
    lfd_jw_obj_begin(&jw);
    for (int s = 0; s < r->qa_sev.n; s++) {
        lfd_jw_key(&jw, r->qa_sev.e[s].name);
        lfd_jw_obj_begin(&jw);
        for (int i = 0; i < r->qa_kinds.n; i++)
            if (sep_prefix_is(r->qa_kinds.e[i].name, r->qa_sev.e[s].name)) {
                lfd_jw_key(&jw, after_sep(r->qa_kinds.e[i].name));
                lfd_jw_obj_begin(&jw);
                lfd_jw_kint(&jw, "recordings", r->qa_kinds.e[i].v[0]);
                lfd_jw_kint(&jw, "frames", r->qa_kinds.e[i].v[1]);
                lfd_jw_obj_end(&jw);
            }
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_obj_end(&jw);
    lfd_jw_obj_end(&jw);

    lfd_jw_key(&jw, "consent_refusals");
    lfd_jw_obj_begin(&jw);
    for (int i = 0; i < r->consent.n; i++) {
        lfd_jw_key(&jw, r->consent.e[i].name);
        lfd_jw_obj_begin(&jw);
        lfd_jw_kint(&jw, "recordings", r->consent.e[i].v[0]);
        lfd_jw_knum(&jw, "hours", r->consent.e[i].x[0]);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_obj_end(&jw);

    lfd_jw_key(&jw, "errors");
    lfd_jw_arr_begin(&jw);
    for (int i = 0; i < r->errors.n; i++) {
        char stage[128];
        snprintf(stage, sizeof stage, "%.*s", (int)strcspn(r->errors.e[i].name, "\x1f"),
                 r->errors.e[i].name);
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "stage", stage);
        lfd_jw_kstr(&jw, "reason_kind", after_sep(r->errors.e[i].name));
        lfd_jw_kint(&jw, "records", r->errors.e[i].v[0]);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);

    lfd_jw_key(&jw, "check");
    lfd_jw_obj_begin(&jw);
    for (int i = 0; i < r->robots.n; i++) {
        const cnt *rb = &r->robots.e[i];
        lfd_jw_key(&jw, rb->name);
        lfd_jw_obj_begin(&jw);
        lfd_jw_kint(&jw, "motions", rb->v[4]);
        lfd_jw_kint(&jw, "pass", rb->v[0]);
        lfd_jw_kint(&jw, "warn", rb->v[1]);
        lfd_jw_kint(&jw, "fail", rb->v[2]);
        lfd_jw_kint(&jw, "errors", rb->v[3]);
        lfd_jw_key(&jw, "failing_by_check");
        lfd_jw_obj_begin(&jw);
        for (int g = 0; g < r->groups.n; g++)
            if (sep_prefix_is(r->groups.e[g].name, rb->name)) {
                lfd_jw_key(&jw, after_sep(r->groups.e[g].name));
                lfd_jw_obj_begin(&jw);
                lfd_jw_kint(&jw, "clips_failing", r->groups.e[g].v[0]);
                lfd_jw_kint(&jw, "clips_warning_only", r->groups.e[g].v[1]);
                lfd_jw_knum(&jw, "frame_share_failing", rb->x[0] > 0 ? r->groups.e[g].x[0] / rb->x[0] : 0);
                lfd_jw_obj_end(&jw);
            }
        lfd_jw_obj_end(&jw);
        lfd_jw_key(&jw, "filter_stops");
        lfd_jw_obj_begin(&jw);
        for (int g = 0; g < r->filter.n; g++)
            if (sep_prefix_is(r->filter.e[g].name, rb->name)) {
                lfd_jw_key(&jw, after_sep(r->filter.e[g].name));
                lfd_jw_obj_begin(&jw);
                lfd_jw_kint(&jw, "rounds", r->filter.e[g].v[0]);
                lfd_jw_kint(&jw, "last_steps", r->filter.e[g].v[1]);
                lfd_jw_obj_end(&jw);
            }
        lfd_jw_obj_end(&jw);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_obj_end(&jw);

    lfd_jw_key(&jw, "worst_clips");
    lfd_jw_arr_begin(&jw);
    for (int i = 0; i < r->nw && i < WORST_MAX; i++) {
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "id", r->w[i].id);
        lfd_jw_kstr(&jw, "robot", r->w[i].robot);
        lfd_jw_kstr(&jw, "verdict", r->w[i].verdict);
        lfd_jw_knum(&jw, "fail_share", r->w[i].share);
        lfd_jw_kint(&jw, "failures", r->w[i].nfail);
        lfd_jw_kstr(&jw, "failing_checks", r->w[i].groups);
        if (r->w[i].plot)
            lfd_jw_kstr(&jw, "plot", r->w[i].plot);
        lfd_jw_kstr(&jw, "check_report", r->w[i].check_report);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);

    lfd_jw_key(&jw, "contributors");
    lfd_jw_obj_begin(&jw);
    for (int i = 0; i < r->contrib.n; i++) {
        const cnt *c = &r->contrib.e[i];
        lfd_jw_key(&jw, c->name);
        lfd_jw_obj_begin(&jw);
        lfd_jw_kint(&jw, "recordings", c->v[0]);
        lfd_jw_knum(&jw, "hours", c->x[0] / 3600.0);
        lfd_jw_kint(&jw, "rejected", c->v[1]);
        lfd_jw_kint(&jw, "refused", c->v[2]);
        lfd_jw_kint(&jw, "failing_motions", c->v[3]);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_obj_end(&jw);
    lfd_jw_obj_end(&jw);
    lfd_jw_finish(&jw);
}

/* ---- HTML ----------------------------------------------------------------------------------------- */

/* text into the page; the unit separator between a list's items (0x1f) as " / " */
static void esc(FILE *fp, const char *s)
{
    lfd_util_xml_text(fp, s, '\x1f', " / ");
}

/* a link target: path relative to the run folder, made relative to the report's folder */
static void href(FILE *fp, const char *prefix, const char *rel)
{
    for (const char *s = prefix; *s; s++)
        fputc(*s, fp);
    for (const char *s = rel; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("/._-~", ch))
            fputc(ch, fp);
        else
            fprintf(fp, "%%%02X", ch);
    }
}

/* horizontal bars: one row per label, width proportional to value */
static void bars(FILE *fp, int n, const char *const *labels, const double *vals, const char *const *texts,
                 const char *color)
{
    double mx = 0;
    for (int i = 0; i < n; i++)
        mx = fmax(mx, vals[i]);
    int row = 22, lw = 230, bw = 380, h = n * row + 6;
    fprintf(fp, "<svg class=\"bars\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
            lw + bw + 170, h, lw + bw + 170, h);
    for (int i = 0; i < n; i++) {
        int y = 3 + i * row;
        double w = mx > 0 ? bw * vals[i] / mx : 0;
        fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 8, y + 15);
        esc(fp, labels[i]);
        fprintf(fp, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%d\">",
                lw, y + 2, w < 1 && vals[i] > 0 ? 1.0 : w, color, lw + w + 6, y + 15);
        esc(fp, texts[i]);
        fputs("</text>\n", fp);
    }
    fputs("</svg>\n", fp);
}

/* what stopped the retargeter's dynamics filter on this robot's motions:
   per reason, how many clips' rounds ended so and how many last steps */
static void filter_table(FILE *fp, const lfd_report *r, const char *robot)
{
    int any = 0;
    for (int g = 0; g < r->filter.n; g++) {
        const cnt *c = &r->filter.e[g];
        if (!sep_prefix_is(c->name, robot))
            continue;
        if (!any)
            fputs("<table><tr><th>what stopped the dynamics filter</th><th>clips' rounds</th>"
                  "<th>last steps</th></tr>\n",
                  fp);
        any = 1;
        fputs("<tr><td>", fp);
        esc(fp, after_sep(c->name));
        fprintf(fp, "</td><td>%ld</td><td>%ld</td></tr>\n", c->v[0], c->v[1]);
    }
    if (any)
        fputs("</table>\n", fp);
}

/* one stacked bar of pass / warn / fail (or reject) */
static void stacked(FILE *fp, const char *label, long a, long b, long c, const char *cname)
{
    long t = a + b + c;
    int W = 560;
    fprintf(fp, "<div class=\"stk\"><span class=\"stkl\">");
    esc(fp, label);
    fprintf(fp, "</span><svg width=\"%d\" height=\"22\" viewBox=\"0 0 %d 22\" role=\"img\">", W, W);
    double x = 0;
    const long v[3] = {a, b, c};
    const char *col[3] = {"#3a8d4f", "#d9a21b", "#c8412f"};
    for (int i = 0; i < 3; i++) {
        double w = t ? (double)W * v[i] / t : 0;
        if (w > 0)
            fprintf(fp, "<rect x=\"%.1f\" y=\"2\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>", x, w, col[i]);
        if (w > 28)
            fprintf(fp, "<text x=\"%.1f\" y=\"16\" fill=\"#fff\">%ld</text>", x + 5, v[i]);
        x += w;
    }
    fprintf(fp, "</svg><span class=\"stkn\">%ld pass, %ld warn, %ld %s</span></div>\n", a, b, c, cname);
}

static void card(FILE *fp, const char *big, const char *small)
{
    fprintf(fp, "<div class=\"card\"><div class=\"big\">");
    esc(fp, big);
    fprintf(fp, "</div><div class=\"small\">");
    esc(fp, small);
    fprintf(fp, "</div></div>\n");
}

/* the relative prefix from the report's folder to the run folder */
static void rel_prefix(const char *run_dir, const char *report_path, char *out, size_t n)
{
    char run[PATH_MAX], rep[PATH_MAX], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", report_path);
    char *sl = strrchr(dir, '/');
    if (sl)
        *sl = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(run_dir, run) || !realpath(dir, rep)) {
        snprintf(out, n, "%s/", run_dir);
        return;
    }
    /* common leading folders, then ".." for each left in rep */
    size_t i = 0, cut = 0;
    while (run[i] && run[i] == rep[i]) {
        if (run[i] == '/')
            cut = i;
        i++;
    }
    if (!run[i] && (!rep[i] || rep[i] == '/'))
        cut = i;
    else if (!rep[i] && run[i] == '/')
        cut = i;
    out[0] = '\0';
    size_t used = 0;
    for (const char *p = rep + cut; *p; p++)
        if (*p == '/' && used + 4 < n) {
            memcpy(out + used, "../", 3);
            used += 3;
            out[used] = '\0';
        }
    const char *rest = run + cut;
    while (*rest == '/')
        rest++;
    if (*rest)
        snprintf(out + used, n - used, "%s/", rest);
}

int lfd_report_html(const lfd_report *r, const char *path, lfd_err *err)
{
    lfd_atomic_file af;
    int rc = lfd_atomic_open(&af, path, err);
    if (rc)
        return rc;
    FILE *fp = af.fp;
    char pre[PATH_MAX + 8];
    rel_prefix(r->run_dir, path, pre, sizeof pre);
    char b1[128], b2[256];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>lfd corpus report</title>\n<style>\n"
          "body{font-family:sans-serif;margin:24px 32px;color:#222;max-width:1100px}\n"
          "h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #ccc;"
          "padding-bottom:3px;margin-top:28px}\n.sub{color:#666;font-size:13px}\n"
          ".cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;"
          "padding:8px 14px;min-width:120px}\n.big{font-size:22px;font-weight:bold}.small{font-size:12px;"
          "color:#555}\nsvg text{font-size:12px;font-family:sans-serif;fill:#222}\n"
          "table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #e3e3e3;"
          "padding:3px 9px;text-align:left}th{background:#f4f4f4}td.n{text-align:right}\n"
          ".stk{display:flex;align-items:center;gap:10px;margin:4px 0}.stkl{width:90px;font-weight:bold}"
          ".stkn{font-size:12px;color:#444}\n.none{color:#777;font-style:italic}\n"
          "</style></head><body>\n",
          fp);
    fputs("<h1>lfd corpus report</h1>\n<div class=\"sub\">run ", fp);
    esc(fp, r->run_dir);
    fprintf(fp, " &middot; generated %s &middot; %ld records</div>\n", r->generated, r->records);

    /* corpus */
    fputs("<h2 id=\"corpus\">Corpus processed</h2>\n<div class=\"cards\">\n", fp);
    snprintf(b1, sizeof b1, r->seconds < 36000 ? "%.3f" : "%.1f", r->seconds / 3600.0);
    card(fp, b1, "recording hours read");
    snprintf(b1, sizeof b1, "%.0f", r->frames);
    card(fp, b1, "frames read");
    snprintf(b1, sizeof b1, "%ld", r->recordings);
    card(fp, b1, "recordings");
    snprintf(b1, sizeof b1, "%ld", r->motions);
    snprintf(b2, sizeof b2, "robot motions made (%.0f frames)", r->motion_frames);
    card(fp, b1, b2);
    snprintf(b1, sizeof b1, "%ld / %ld / %ld", r->status[1], r->status[2], r->status[3]);
    card(fp, b1, "recordings rejected (qa) / refused (consent) / unreadable or failed");
    fputs("</div>\n", fp);

    /* qa */
    fputs("<h2 id=\"qa\">QA verdicts and reasons</h2>\n", fp);
    stacked(fp, "recordings", r->qa[0], r->qa[1], r->qa[2], "reject");
    if (r->qa_kinds.n) {
        fputs("<p class=\"sub\">Recordings with each finding, by severity and check "
              "(a recording can have several).</p>\n",
              fp);
        int n = r->qa_kinds.n;
        const char **lab = calloc((size_t)n, sizeof *lab), **txt = calloc((size_t)n, sizeof *txt);
        double *v = calloc((size_t)n, sizeof *v);
        char (*tb)[64] = calloc((size_t)n, sizeof *tb);
        if (lab && txt && v && tb) {
            for (int i = 0; i < n; i++) {
                lab[i] = r->qa_kinds.e[i].name;
                v[i] = (double)r->qa_kinds.e[i].v[0];
                snprintf(tb[i], sizeof tb[i], "%ld recordings, %ld frames", r->qa_kinds.e[i].v[0],
                         r->qa_kinds.e[i].v[1]);
                txt[i] = tb[i];
            }
            bars(fp, n, lab, v, txt, "#5b7fb5");
        }
        free(lab);
        free(txt);
        free(v);
        free(tb);
    } else {
        fputs("<p class=\"none\">No QA findings.</p>\n", fp);
    }

    /* consent */
    fputs("<h2 id=\"consent\">Consent refusals by reason</h2>\n", fp);
    if (r->consent.n) {
        int n = r->consent.n;
        const char *lab[64], *txt[64];
        double v[64];
        char tb[64][64];
        if (n > 64)
            n = 64;
        for (int i = 0; i < n; i++) {
            lab[i] = r->consent.e[i].name;
            v[i] = (double)r->consent.e[i].v[0];
            snprintf(tb[i], sizeof tb[i], "%ld recordings, %.3g h", r->consent.e[i].v[0],
                     r->consent.e[i].x[0]);
            txt[i] = tb[i];
        }
        bars(fp, n, lab, v, txt, "#8a5bb5");
    } else {
        fputs("<p class=\"none\">No recording was refused.</p>\n", fp);
    }

    /* errors */
    fputs("<h2 id=\"errors\">Unreadable input and errors</h2>\n", fp);
    if (r->errors.n) {
        fputs("<table><tr><th>stage</th><th>reason</th><th>records</th></tr>\n", fp);
        for (int i = 0; i < r->errors.n; i++) {
            fputs("<tr><td>", fp);
            fprintf(fp, "%.*s", (int)strcspn(r->errors.e[i].name, "\x1f"), r->errors.e[i].name);
            fputs("</td><td>", fp);
            esc(fp, after_sep(r->errors.e[i].name));
            fprintf(fp, "</td><td class=\"n\">%ld</td></tr>\n", r->errors.e[i].v[0]);
        }
        fputs("</table>\n<p class=\"sub\">Each error's full reason is in the record "
              "(corpus.jsonl).</p>\n",
              fp);
    } else {
        fputs("<p class=\"none\">None.</p>\n", fp);
    }

    /* check */
    fputs("<h2 id=\"check\">Check verdicts per robot, by failing check</h2>\n", fp);
    if (!r->robots.n)
        fputs("<p class=\"none\">No robot motion was checked.</p>\n", fp);
    for (int i = 0; i < r->robots.n; i++) {
        const cnt *rb = &r->robots.e[i];
        stacked(fp, rb->name, rb->v[0], rb->v[1], rb->v[2], "fail");
        if (rb->v[3])
            fprintf(fp, "<p class=\"sub\">%ld records for this robot ended in an error (see above).</p>\n",
                    rb->v[3]);
        int n = 0;
        const char *lab[16], *txt[16];
        double v[16];
        char tb[16][96];
        for (int g = 0; g < r->groups.n && n < 16; g++)
            if (sep_prefix_is(r->groups.e[g].name, rb->name) && r->groups.e[g].v[0] > 0) {
                lab[n] = after_sep(r->groups.e[g].name);
                v[n] = (double)r->groups.e[g].v[0];
                snprintf(tb[n], sizeof tb[n], "%ld of %ld clips fail; %.0f%% of frames",
                         r->groups.e[g].v[0], rb->v[4], rb->x[0] > 0 ? 100 * r->groups.e[g].x[0] / rb->x[0] : 0.0);
                txt[n] = tb[n];
                n++;
            }
        if (n)
            bars(fp, n, lab, v, txt, "#c8412f");
        filter_table(fp, r, rb->name);
    }

    /* worst clips */
    fputs("<h2 id=\"worst\">Worst clips</h2>\n", fp);
    if (r->nw) {
        fputs("<table><tr><th>#</th><th>recording</th><th>robot</th><th>verdict</th>"
              "<th>frames failing</th><th>failing checks (share of frames)</th><th>plot</th>"
              "<th>report</th></tr>\n",
              fp);
        for (int i = 0; i < r->nw && i < WORST_MAX; i++) {
            const worst *w = &r->w[i];
            fprintf(fp, "<tr><td class=\"n\">%d</td><td>", i + 1);
            esc(fp, w->id);
            fputs("</td><td>", fp);
            esc(fp, w->robot);
            fputs("</td><td>", fp);
            esc(fp, w->verdict);
            fprintf(fp, "</td><td class=\"n\">%.0f%%</td><td>", 100 * w->share);
            esc(fp, w->groups);
            fputs("</td><td>", fp);
            if (w->plot) {
                fputs("<a href=\"", fp);
                href(fp, pre, w->plot);
                fputs("\">plot</a>", fp);
            } else {
                fputs("-", fp);
            }
            fputs("</td><td><a href=\"", fp);
            href(fp, pre, w->check_report);
            fputs("\">json</a></td></tr>\n", fp);
        }
        fputs("</table>\n", fp);
    } else {
        fputs("<p class=\"none\">No clip failed a check.</p>\n", fp);
    }

    /* contributors */
    fputs("<h2 id=\"contributors\">Contributors (pseudonymous ids)</h2>\n", fp);
    if (r->contrib.n) {
        fprintf(fp, "<p class=\"sub\">%d contributors; ids are the pseudonymous ids of the consent "
                    "sidecars, nothing else about a person is shown.%s</p>\n",
                r->contrib.n, r->contrib.n > CONTRIB_MAX_SHOWN ? " The 50 with most recordings:" : "");
        fputs("<table><tr><th>contributor</th><th>recordings</th><th>hours</th><th>rejected (qa)</th>"
              "<th>refused (consent)</th><th>failing motions</th></tr>\n",
              fp);
        for (int i = 0; i < r->contrib.n && i < CONTRIB_MAX_SHOWN; i++) {
            const cnt *c = &r->contrib.e[i];
            fputs("<tr><td>", fp);
            esc(fp, c->name);
            fprintf(fp, "</td><td class=\"n\">%ld</td><td class=\"n\">%.3f</td><td class=\"n\">%ld</td>"
                        "<td class=\"n\">%ld</td><td class=\"n\">%ld</td></tr>\n",
                    c->v[0], c->x[0] / 3600.0, c->v[1], c->v[2], c->v[3]);
        }
        fputs("</table>\n", fp);
    } else {
        fputs("<p class=\"none\">No contributor ids (no readable sidecars).</p>\n", fp);
    }
    fputs("<p class=\"sub\">Made by <code>lfd report</code>; the same figures: "
          "<code>lfd report RUN --json</code>.</p>\n</body></html>\n",
          fp);
    return lfd_atomic_commit(&af, err);
}
