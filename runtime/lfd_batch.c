/*  lfd_batch: qa -> consent -> retarget -> check over a corpus, one shard
    per task, content-addressed and resumable (see lfd_batch.h).

    Reading order: the corpus (folders, manifests, frame estimates), the
    shard plan, the per-item pipeline (run_item), the driver
    (lfd_batch_run) and the merge of the shard logs. */
#define _GNU_SOURCE
#include "runtime/lfd_batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "core/lfd_prov.h"
#include "core/lfd_sha256.h"
#include "core/lfd_util.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_qa.h"
#include "retarget/lfd_retarget.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"

#define MANIFEST_MAX_BYTES (64u << 20)
#define RECORD_MAX_BYTES (1u << 20)

void lfd_batch_opts_init(lfd_batch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->nshards = 1;
    o->purpose = "robot-training";
    o->plots = LFD_BATCH_PLOTS_FAIL;
    /* `lfd retarget`'s default: the whole-clip passes and the dynamics
       filter run only with the smoothing on (until this was set the batch
       retargeted frame by frame, with the jumps issue 15 took out) */
    o->smooth_hz = LFD_RETARGET_SMOOTH_HZ;
}

/* ---- corpus ------------------------------------------------------------------------------ */

static int is_recording(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && (!strcasecmp(name + n - 4, ".bvh") || !strcasecmp(name + n - 4, ".npy") ||
                     !strcasecmp(name + n - 4, ".csv"));
}

static int corpus_add(lfd_batch_corpus *c, const char *id, const char *path, const char *sidecar,
                      lfd_err *err)
{
    if (c->n >= LFD_BATCH_MAX_ITEMS)
        return lfd_fail(err, LFD_ELIMIT, "corpus: more than %d recordings", LFD_BATCH_MAX_ITEMS);
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 256;
        lfd_batch_item *p = realloc(c->item, (size_t)nc * sizeof *p);
        if (!p)
            return lfd_fail(err, LFD_ENOMEM, "corpus: out of memory");
        c->item = p;
        c->cap = nc;
    }
    lfd_batch_item *it = &c->item[c->n];
    memset(it, 0, sizeof *it);
    it->id = strdup(id);
    it->path = strdup(path);
    if (sidecar)
        it->sidecar = strdup(sidecar);
    else if (asprintf(&it->sidecar, "%s.prov.json", path) < 0)
        it->sidecar = NULL;
    if (!it->id || !it->path || !it->sidecar) {
        free(it->id);
        free(it->path);
        free(it->sidecar);
        return lfd_fail(err, LFD_ENOMEM, "corpus: out of memory");
    }
    c->n++;
    return LFD_OK;
}

/* every recording below the folder given; rel is its path relative to it */
typedef struct walk_ctx {
    lfd_batch_corpus *c;
    lfd_err *err;
} walk_ctx;

static int walk_one(void *ctx, const char *path, const char *rel, const struct stat *st)
{
    (void)st;
    walk_ctx *w = ctx;
    const char *name = strrchr(rel, '/');
    if (!is_recording(name ? name + 1 : rel))
        return LFD_OK;
    return corpus_add(w->c, rel, path, NULL, w->err);
}

static int manifest(lfd_batch_corpus *c, const char *mpath, lfd_err *err)
{
    uint8_t *data;
    size_t len;
    int rc = lfd_file_read(mpath, MANIFEST_MAX_BYTES, &data, &len, err);
    if (rc)
        return rc;
    char base[4096];
    snprintf(base, sizeof base, "%s", mpath);
    char *slash = strrchr(base, '/');
    if (slash)
        slash[1] = '\0';
    else
        base[0] = '\0';
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r((char *)data, "\n", &save); line && rc == LFD_OK;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        char *f1 = strtok(line, " \t\r"), *f2 = f1 ? strtok(NULL, " \t\r") : NULL;
        if (!f1)
            continue;
        if (f2 && strtok(NULL, " \t\r")) {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: expected 'PATH [SIDECAR]'", mpath, lineno);
            break;
        }
        char p[4096], s[4096];
        snprintf(p, sizeof p, "%s%s", f1[0] == '/' ? "" : base, f1);
        if (f2)
            snprintf(s, sizeof s, "%s%s", f2[0] == '/' ? "" : base, f2);
        rc = corpus_add(c, f1, p, f2 ? s : NULL, err);
    }
    free(data);
    return rc;
}

static int cmp_item_id(const void *a, const void *b)
{
    return strcmp(((const lfd_batch_item *)a)->id, ((const lfd_batch_item *)b)->id);
}

int lfd_batch_corpus_list(const lfd_batch_opts *o, lfd_batch_corpus *c, lfd_err *err)
{
    memset(c, 0, sizeof *c);
    int rc = LFD_OK;
    for (int i = 0; i < o->ninputs && rc == LFD_OK; i++) {
        struct stat st;
        const char *in = o->inputs[i];
        if (stat(in, &st) != 0) {
            rc = lfd_fail(err, LFD_EIO, "%s: %s", in, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s", in);
            size_t n = strlen(dir);
            while (n > 1 && dir[n - 1] == '/')
                dir[--n] = '\0';
            walk_ctx w = {c, err};
            rc = lfd_walk_files(dir, LFD_WALK_FOLLOW_LINKS | LFD_WALK_STRICT, walk_one, &w, err);
        } else if (is_recording(in)) {
            const char *b = strrchr(in, '/');
            rc = corpus_add(c, b ? b + 1 : in, in, NULL, err);
        } else {
            rc = manifest(c, in, err);
        }
    }
    if (rc) {
        lfd_batch_corpus_free(c);
        return rc;
    }
    if (c->n > 1)
        qsort(c->item, (size_t)c->n, sizeof *c->item, cmp_item_id);
    for (int i = 0; i < c->n; i++) {
        c->item[i].frames = lfd_batch_frames_estimate(c->item[i].path);
        c->frames += c->item[i].frames;
    }
    return LFD_OK;
}

void lfd_batch_corpus_free(lfd_batch_corpus *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->item[i].id);
        free(c->item[i].path);
        free(c->item[i].sidecar);
    }
    free(c->item);
    memset(c, 0, sizeof *c);
}

int64_t lfd_batch_frames_estimate(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    size_t n = strlen(path);
    int64_t frames = 0;
    char buf[1 << 16];
    if (n > 4 && !strcasecmp(path + n - 4, ".bvh")) {
        /* "Frames: N" follows the hierarchy: read lines until MOTION + 1 */
        char line[4096];
        int after_motion = 0;
        while (fgets(line, sizeof line, fp)) {
            char *p = line;
            while (*p == ' ' || *p == '\t')
                p++;
            if (!strncasecmp(p, "MOTION", 6))
                after_motion = 1;
            else if (after_motion && !strncasecmp(p, "Frames:", 7)) {
                frames = strtoll(p + 7, NULL, 10);
                break;
            }
        }
    } else if (n > 4 && !strcasecmp(path + n - 4, ".npy")) {
        /* the header's 'shape': (N, ...) */
        size_t got = fread(buf, 1, sizeof buf - 1, fp);
        buf[got] = '\0';
        for (size_t i = 0; i < got; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        char *s = strstr(buf, "'shape'");
        char *paren = s ? strchr(s, '(') : NULL;
        if (paren)
            frames = strtoll(paren + 1, NULL, 10);
    } else {
        /* CSV: one row per frame (a header row, if any, is a frame too: an estimate) */
        size_t got;
        int last = '\n';
        while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
            for (size_t i = 0; i < got; i++)
                frames += buf[i] == '\n';
            last = (unsigned char)buf[got - 1];
        }
        frames += last != '\n';
    }
    fclose(fp);
    return frames > 0 ? frames : 0;
}

/* ---- shards -------------------------------------------------------------------------------- */

static const lfd_batch_corpus *g_plan; /* qsort has no context argument */
static int cmp_plan(const void *a, const void *b)
{
    const lfd_batch_item *x = &g_plan->item[*(const int *)a], *y = &g_plan->item[*(const int *)b];
    if (x->frames != y->frames)
        return x->frames > y->frames ? -1 : 1;
    return strcmp(x->id, y->id);
}

int lfd_batch_shard_plan(lfd_batch_corpus *c, int n, lfd_err *err)
{
    if (n < 1)
        n = 1;
    int *order = malloc((size_t)(c->n ? c->n : 1) * sizeof *order);
    int64_t *load = calloc((size_t)n, sizeof *load);
    if (!order || !load) {
        /* no fallback plan: the other shards' tasks would not share it */
        free(order);
        free(load);
        return lfd_fail(err, LFD_ENOMEM, "lfd batch: out of memory (shard plan)");
    }
    for (int i = 0; i < c->n; i++)
        order[i] = i;
    g_plan = c;
    if (c->n > 1)
        qsort(order, (size_t)c->n, sizeof *order, cmp_plan);
    for (int k = 0; k < c->n; k++) {
        int best = 0;
        for (int s = 1; s < n; s++)
            if (load[s] < load[best])
                best = s;
        /* an unreadable file (0 frames) still costs a little */
        load[best] += c->item[order[k]].frames > 0 ? c->item[order[k]].frames : 1;
        c->item[order[k]].shard = best;
    }
    free(order);
    free(load);
    return LFD_OK;
}

int lfd_batch_parse_shard(const char *s, int *i, int *n, lfd_err *err)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/')
        return lfd_fail(err, LFD_EARG, "shard '%s': expected I/N", s);
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || b < 1 || b > 1000000 || a < 0 || a >= b)
        return lfd_fail(err, LFD_EARG, "shard '%s': expected I/N with 0 <= I < N", s);
    *i = (int)a;
    *n = (int)b;
    return LFD_OK;
}

static int env_int(const char *name, long *v)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return *end == '\0' && !errno ? 1 : -1;
}

int lfd_batch_shard_from_env(int hint, int *i, int *n, lfd_err *err)
{
    long id, count, mn, mx;
    int has_id = env_int("SLURM_ARRAY_TASK_ID", &id);
    if (has_id) {
        if (has_id < 0)
            return lfd_fail(err, LFD_EARG, "SLURM_ARRAY_TASK_ID='%s' is not a number",
                            getenv("SLURM_ARRAY_TASK_ID"));
        if (hint > 0) {
            count = hint;
        } else {
            int hc = env_int("SLURM_ARRAY_TASK_COUNT", &count);
            int hmin = env_int("SLURM_ARRAY_TASK_MIN", &mn), hmax = env_int("SLURM_ARRAY_TASK_MAX", &mx);
            if (hc != 1)
                return lfd_fail(err, LFD_EARG, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT "
                                                "is not: give --shards N");
            /* a part of an array resubmitted (--array=2) has COUNT 1: the
               slice count must then come from --shards */
            if ((hmin == 1 && mn != 0) || (hmax == 1 && mx != count - 1))
                return lfd_fail(err, LFD_EARG, "the array's task ids are %ld..%ld, not 0..%ld "
                                                "(a partial resubmission?): give --shards N",
                                hmin == 1 ? mn : 0, hmax == 1 ? mx : id, count - 1);
        }
        if (id < 0 || count < 1 || id >= count)
            return lfd_fail(err, LFD_EARG, "SLURM_ARRAY_TASK_ID %ld is not a slice of %ld", id, count);
        *i = (int)id;
        *n = (int)count;
        return 1;
    }
    int has_k8s = env_int("JOB_COMPLETION_INDEX", &id);
    if (has_k8s) {
        if (has_k8s < 0)
            return lfd_fail(err, LFD_EARG, "JOB_COMPLETION_INDEX='%s' is not a number",
                            getenv("JOB_COMPLETION_INDEX"));
        if (hint < 1)
            return lfd_fail(err, LFD_EARG, "JOB_COMPLETION_INDEX is set: give --shards N "
                                            "(the Job's completions)");
        if (id < 0 || id >= hint)
            return lfd_fail(err, LFD_EARG, "JOB_COMPLETION_INDEX %ld is not a slice of %d", id, hint);
        *i = (int)id;
        *n = hint;
        return 1;
    }
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------- */

/* a readable file name part from an id: its base name without extension */
static void stem_of(const char *id, char *out, size_t outsz)
{
    const char *b = strrchr(id, '/');
    b = b ? b + 1 : id;
    size_t k = 0;
    for (const char *p = b; *p && k + 1 < outsz && k < 64; p++) {
        if (*p == '.' && (!strcasecmp(p, ".bvh") || !strcasecmp(p, ".npy") || !strcasecmp(p, ".csv")))
            break;
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || ch == '.';
        out[k++] = ok ? ch : '_';
    }
    out[k] = '\0';
    if (!k)
        snprintf(out, outsz, "rec");
}

/* Copies one msgpack value from r to b, leaving out map entries whose key is
   drop at any depth. */
static int mp_copy_drop(lfd_mpr *r, lfd_buf *b, const char *drop, int depth, lfd_err *err)
{
    const uint8_t *start = r->p;
    lfd_mp_item it;
    int rc = lfd_mpr_next_any(r, &it, err);
    if (rc)
        return rc;
    if (depth > LFD_MP_MAX_DEPTH)
        return lfd_fail(err, LFD_ELIMIT, "provenance nested deeper than %d", LFD_MP_MAX_DEPTH);
    if (it.type == LFD_MP_MAP) {
        lfd_buf tmp;
        lfd_buf_init(&tmp, LFD_PROV_MAX_BYTES);
        uint32_t kept = 0;
        for (uint32_t k = 0; k < it.n && rc == LFD_OK; k++) {
            const uint8_t *ks = r->p;
            lfd_mp_item key;
            if ((rc = lfd_mpr_next_any(r, &key, err)))
                break;
            if (key.type == LFD_MP_STR && lfd_mp_key_is(key.ptr, key.len, drop)) {
                rc = lfd_mpr_skip(r, err);
                continue;
            }
            if (key.type == LFD_MP_ARRAY || key.type == LFD_MP_MAP) {
                r->p = ks; /* a container key: copy it whole */
                const uint8_t *k0 = r->p;
                if ((rc = lfd_mpr_skip(r, err)))
                    break;
                lfd_buf_append(&tmp, k0, (size_t)(r->p - k0));
            } else {
                lfd_buf_append(&tmp, ks, (size_t)(r->p - ks));
            }
            rc = mp_copy_drop(r, &tmp, drop, depth + 1, err);
            kept++;
        }
        if (rc == LFD_OK) {
            lfd_mpw_map(b, kept);
            if (tmp.len)
                lfd_buf_append(b, tmp.data, tmp.len);
        }
        lfd_buf_free(&tmp);
        return rc;
    }
    if (it.type == LFD_MP_ARRAY) {
        lfd_mpw_array(b, it.n);
        for (uint32_t k = 0; k < it.n && rc == LFD_OK; k++)
            rc = mp_copy_drop(r, b, drop, depth + 1, err);
        return rc;
    }
    lfd_buf_append(b, start, (size_t)(r->p - start));
    return LFD_OK;
}

/* The retargeter records its wall-clock speed in the motion's provenance
   ("retarget" -> "report" -> "frames_per_s"); a batch output must be the
   same bytes whenever it is made, so that figure moves to the log line. */
static int strip_volatile(lfd_prov *p, lfd_err *err)
{
    const lfd_prov_entry *e = lfd_prov_get(p, "retarget");
    if (!e)
        return LFD_OK;
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    lfd_buf b;
    lfd_buf_init(&b, LFD_PROV_MAX_BYTES);
    int rc = mp_copy_drop(&r, &b, "frames_per_s", 0, err);
    if (rc == LFD_OK)
        rc = lfd_buf_ok(&b) ? lfd_prov_set_raw(p, "retarget", b.data, b.len, err)
                            : lfd_fail(err, LFD_ELIMIT, "retarget provenance too large");
    lfd_buf_free(&b);
    return rc;
}

/* the category of a consent refusal: rc of lfd_consent_read (LFD_EDENIED: a
   record missing or lacking a field; else malformed), else why
   lfd_consent_allows_why refused */
static const char *consent_kind(int read_rc, lfd_consent_why why)
{
    if (read_rc)
        return read_rc == LFD_EDENIED ? "no-consent-record" : "bad-consent-record";
    switch (why) {
    case LFD_CONSENT_EXPIRED: return "expired";
    case LFD_CONSENT_NOT_COVERED: return "purpose-not-covered";
    case LFD_CONSENT_NOT_YET_VALID: return "not-yet-valid";
    default: return "bad-consent-record";
    }
}

/* ---- the run's state ---------------------------------------------------------------------- */

typedef struct brobot {
    const char *spec;
    lfd_robot *robot;     /* NULL: failed to load (load_err) */
    lfd_checker *checker;
    lfd_check_ws *ws;
    lfd_err load_err;
} brobot;

typedef struct brun {
    const lfd_batch_opts *o;
    brobot rob[LFD_BATCH_MAX_ROBOTS];
    int nrob;
    int logfd;
    char shard_s[32];
    char opts_s[256];
    char today[16];
    char **withdrawn;
    int nwithdrawn;
    lfd_qa_report *qa;
    lfd_check_report *rep;
    lfd_batch_summary *sum;
    unsigned char *marks;  /* frame marks for the check figures */
    size_t marks_cap;
    char **stale;          /* temporary files a killed task left ("X.tmp.ABCDEF") */
    int nstale;
} brun;

/* what is known of one recording as it goes through */
typedef struct bitem {
    const lfd_batch_item *it;
    char sha[65], side_sha[65];
    char contributor[LFD_CONTRIB_MAX];
    int read_ok;
    int have_qa;
    int frames;
    double fps, seconds;
} bitem;

static void path_in(const brun *b, char *out, size_t n, const char *fmt, const char *a, const char *c)
{
    char rel[2048];
    snprintf(rel, sizeof rel, fmt, a, c);
    snprintf(out, n, "%s/%s", b->o->run_dir, rel);
}

static double wall_clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* one line to the shard log: a single write(2) to an O_APPEND file */
static int log_line(brun *b, const char *record, size_t rlen, int cached, double wall_s,
                    const char *ran, double rt_fps, lfd_err *err)
{
    lfd_buf line;
    lfd_buf_init(&line, RECORD_MAX_BYTES + 4096);
    char head[512];
    int n = snprintf(head, sizeof head,
                     "{\"t\":%.3f,\"shard\":\"%s\",\"cached\":%s,\"wall_s\":%.4f,\"ran\":[%s]",
                     wall_clock_s(), b->shard_s, cached ? "true" : "false", wall_s, ran);
    lfd_buf_append(&line, head, (size_t)n);
    if (rt_fps > 0) {
        n = snprintf(head, sizeof head, ",\"retarget_frames_per_s\":%.0f", rt_fps);
        lfd_buf_append(&line, head, (size_t)n);
    }
    lfd_buf_append(&line, ",\"record\":", 10);
    lfd_buf_append(&line, record, rlen);
    lfd_buf_append(&line, "}\n", 2);
    int rc = LFD_OK;
    if (!lfd_buf_ok(&line)) {
        rc = lfd_fail(err, LFD_ELIMIT, "log line too long");
    } else {
        ssize_t w = write(b->logfd, line.data, line.len);
        if (w != (ssize_t)line.len)
            rc = lfd_fail(err, LFD_EIO, "shard log: write failed: %s", strerror(errno));
    }
    lfd_buf_free(&line);
    b->sum->records++;
    return rc;
}

/* the common head of a record */
static void rec_begin(lfd_jw *jw, const bitem *bi, const char *robot, const char *status,
                      const char *stage, const char *kind, const char *reason)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kstr(jw, "id", bi->it->id);
    lfd_jw_key(jw, "robot");
    if (robot)
        lfd_jw_str(jw, robot);
    else
        lfd_jw_null(jw);
    lfd_jw_kstr(jw, "status", status);
    lfd_jw_kstr(jw, "stage", stage);
    if (kind)
        lfd_jw_kstr(jw, "reason_kind", kind);
    if (reason)
        lfd_jw_kstr(jw, "reason", reason);
    if (bi->read_ok)
        lfd_jw_kstr(jw, "sha256", bi->sha);
    if (bi->contributor[0])
        lfd_jw_kstr(jw, "contributor", bi->contributor);
    if (bi->have_qa) {
        lfd_jw_kint(jw, "frames", bi->frames);
        lfd_jw_knum(jw, "fps", bi->fps);
        lfd_jw_knum(jw, "seconds", bi->seconds);
    }
}

static void rec_qa(lfd_jw *jw, const lfd_qa_report *q)
{
    lfd_jw_key(jw, "qa");
    lfd_jw_obj_begin(jw);
    lfd_jw_kstr(jw, "verdict", lfd_qa_verdict_name(q->verdict));
    lfd_jw_knum(jw, "score", q->score);
    /* every finding by its check name and severity: the report counts them
       by kind, whatever kinds lfd_qa reports */
    lfd_jw_key(jw, "findings");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < q->nreasons; i++) {
        lfd_jw_obj_begin(jw);
        lfd_jw_kstr(jw, "check", q->reason[i].check);
        lfd_jw_kstr(jw, "severity", lfd_qa_severity_name(q->reason[i].severity));
        lfd_jw_kint(jw, "frames", q->reason[i].frames);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
    lfd_jw_obj_end(jw);
}

/* a record that ends the recording before any robot (read, qa, consent) */
static int emit_simple(brun *b, const bitem *bi, const char *robot, const char *status,
                       const char *stage, const char *kind, const char *reason, int with_qa,
                       double wall_s, const char *ran, lfd_err *err)
{
    lfd_buf rb;
    lfd_buf_init(&rb, RECORD_MAX_BYTES);
    lfd_jw jw;
    lfd_jw_init_buf(&jw, &rb, 0);
    rec_begin(&jw, bi, robot, status, stage, kind, reason);
    if (with_qa)
        rec_qa(&jw, b->qa);
    lfd_jw_obj_end(&jw);
    int rc = lfd_buf_ok(&rb) ? log_line(b, (const char *)rb.data, rb.len, 0, wall_s, ran, 0, err)
                             : lfd_fail(err, LFD_ELIMIT, "record too long");
    lfd_buf_free(&rb);
    if (!strcmp(status, "rejected"))
        b->sum->rejected++;
    else if (!strcmp(status, "refused"))
        b->sum->refused++;
    else if (strcmp(status, "done"))
        b->sum->errors++;
    return rc;
}

int lfd_batch_id_listed(char *const *ids, int n, const char *id)
{
    for (int i = 0; id && i < n; i++)
        if (!strcmp(ids[i], id))
            return 1;
    return 0;
}

int lfd_batch_is_shard_log(const char *name)
{
    size_t l = strlen(name);
    return !strncmp(name, "shard-", 6) && l >= 7 && !strcmp(name + l - 6, ".jsonl");
}

static int is_withdrawn(const brun *b, const char *id)
{
    return lfd_batch_id_listed(b->withdrawn, b->nwithdrawn, id);
}

/* Reads the sidecar and decides consent.  Returns 1 allowed, 0 refused
   (kind, why filled). */
static int consent_ok(brun *b, bitem *bi, const char **kind, char *why, size_t whysz)
{
    if (!lfd_file_exists(bi->it->sidecar)) {
        *kind = "missing-sidecar";
        snprintf(why, whysz, "no provenance sidecar %s", bi->it->sidecar);
        return 0;
    }
    lfd_prov p;
    lfd_prov_init(&p);
    lfd_err e = {0};
    int rc = lfd_prov_read_json_file(&p, bi->it->sidecar, &e);
    if (rc) {
        lfd_prov_free(&p);
        *kind = "bad-sidecar";
        snprintf(why, whysz, "%s", e.msg);
        return 0;
    }
    lfd_consent c;
    lfd_consent_why cwhy = LFD_CONSENT_COVERED;
    int read_rc = rc = lfd_consent_read(&p, &c, &e);
    lfd_prov_free(&p);
    /* the person, whenever the record names one, and their withdrawal
       before the rest of their consent record (a record refused for a
       missing date kept no contributor, and merge left it in corpus.jsonl
       after the person withdrew: found by review) */
    if (c.contributor[0])
        snprintf(bi->contributor, sizeof bi->contributor, "%s", c.contributor);
    if (c.contributor[0] && is_withdrawn(b, c.contributor)) {
        *kind = "withdrawn";
        snprintf(why, whysz, "contributor %s withdrew (withdrawn.txt)", c.contributor);
        return 0;
    }
    if (rc == LFD_OK)
        rc = lfd_consent_allows_why(&c, b->o->purpose, b->today, &cwhy, &e);
    if (rc) {
        *kind = consent_kind(read_rc, cwhy);
        snprintf(why, whysz, "%s", e.msg);
        return 0;
    }
    return 1;
}

/* the item's key for one robot */
static void item_key(const brun *b, const bitem *bi, const lfd_robot *r, char key[65])
{
    char s[1024];
    int n = snprintf(s, sizeof s, "lfd-batch %d\ninput %s\nsidecar %s\nrobot %s %s\n%s\n",
                     LFD_BATCH_FORMAT, bi->sha, bi->side_sha, r->name, r->model_hash, b->opts_s);
    lfd_sha256_buf_hex(s, (size_t)n, key);
}

static void result_path(const brun *b, const bitem *bi, const lfd_robot *r, const char *key,
                        char *out, size_t n)
{
    char idh[65], name[64];
    lfd_sha256_buf_hex(bi->it->id, strlen(bi->it->id), idh);
    snprintf(name, sizeof name, "%.12s-%.8s", key, idh);
    path_in(b, out, n, "results/%s/%s.json", r->name, name);
}

/* room in b->marks for the frames of rep (covered's scratch) */
static int marks_reserve(brun *b, const lfd_check_report *rep, lfd_err *err)
{
    if (rep->nframes > 0 && (size_t)rep->nframes > b->marks_cap) {
        unsigned char *m = realloc(b->marks, (size_t)rep->nframes);
        if (!m)
            return lfd_fail(err, LFD_ENOMEM, "lfd batch: out of memory (%d frames)", rep->nframes);
        b->marks = m;
        b->marks_cap = (size_t)rep->nframes;
    }
    return LFD_OK;
}

/* frames covered by the findings of a severity (and group, -1 = any);
   marks_reserve first */
static int covered(brun *b, const lfd_check_report *rep, int severity, int group)
{
    if (rep->nframes <= 0)
        return 0;
    memset(b->marks, 0, (size_t)rep->nframes);
    int n = 0;
    for (int i = 0; i < rep->nfindings; i++) {
        const lfd_check_finding *f = &rep->finding[i];
        if (f->severity != severity || (group >= 0 && f->group != group))
            continue;
        for (int k = f->first < 0 ? 0 : f->first; k <= f->last && k < rep->nframes; k++)
            if (!b->marks[k]) {
                b->marks[k] = 1;
                n++;
            }
    }
    return n;
}

/* Temporary files of atomic writes a killed task left behind, listed once
   per run (out/ROBOT/ and results/ROBOT/); each is removed when its item is
   made again, unless a live writer still holds it: identical recordings in
   two shards have the same outputs, and the other task may be writing one
   (lfd_temp_is_live; unlinking it failed that task's rename). */
static int list_stale(brun *b, const char *dir, lfd_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return LFD_OK; /* not made yet: nothing left behind */
    struct dirent *e;
    int rc = LFD_OK;
    while (rc == LFD_OK && (e = readdir(d))) {
        if (!strstr(e->d_name, ".tmp."))
            continue;
        char **p = realloc(b->stale, (size_t)(b->nstale + 1) * sizeof *p);
        if (p)
            b->stale = p;
        if (!p || asprintf(&b->stale[b->nstale], "%s/%s", dir, e->d_name) < 0)
            rc = lfd_fail(err, LFD_ENOMEM, "lfd batch: out of memory (listing %s)", dir);
        else
            b->nstale++;
    }
    closedir(d);
    return rc;
}

static void remove_stale(brun *b, const char *dir, const char *base)
{
    size_t dl = strlen(dir), bl = strlen(base);
    for (int i = 0; i < b->nstale; i++) {
        const char *s = b->stale[i];
        if (s && !strncmp(s, dir, dl) && s[dl] == '/' && !strncmp(s + dl + 1, base, bl) &&
            s[dl + 1 + bl] == '.') {
            if (!lfd_temp_is_live(s))
                unlink(s);
            free(b->stale[i]);
            b->stale[i] = NULL;
        }
    }
}

/* retarget + check of one recording onto one robot, outputs and record */
static int run_robot(brun *b, bitem *bi, const lfd_human *h, brobot *R, const char *key,
                     lfd_err *err)
{
    double t0 = lfd_now_s();
    const lfd_robot *r = R->robot;
    char stem[80], base[256], motion[4096], checkp[4096], plot[4096], result[4096], dir[3000];
    stem_of(bi->it->id, stem, sizeof stem);
    snprintf(base, sizeof base, "%s-%.12s", stem, key);
    path_in(b, dir, sizeof dir, "out/%s%s", r->name, "");
    int rc = lfd_mkdir_p(dir, err);
    if (rc)
        return rc;
    snprintf(motion, sizeof motion, "%s/%s.lfdm", dir, base);
    snprintf(checkp, sizeof checkp, "%s/%s.check.json", dir, base);
    snprintf(plot, sizeof plot, "%s/%s.svg", dir, base);
    result_path(b, bi, r, key, result, sizeof result);
    if (b->nstale) {
        char rdir[3000], *rb = strrchr(result, '/');
        snprintf(rdir, sizeof rdir, "%.*s", (int)(rb - result), result);
        remove_stale(b, dir, base);
        char rbase[64];
        snprintf(rbase, sizeof rbase, "%.*s", (int)strcspn(rb + 1, "."), rb + 1);
        remove_stale(b, rdir, rbase);
    }

    lfd_retarget_opts ro;
    lfd_retarget_opts_init(&ro);
    ro.fps = b->o->fps;
    ro.upper_body = b->o->upper_body;
    ro.smooth_hz = b->o->smooth_hz;
    ro.progress = 0;
    lfd_motion m;
    lfd_retarget_report rrep;
    lfd_err e = {0};
    memset(&m, 0, sizeof m);
    if ((rc = lfd_retarget_human(r, h, &ro, &m, &rrep, &e)) || (rc = strip_volatile(&m.prov, &e)) ||
        (rc = lfd_motion_write(&m, motion, &e))) {
        lfd_motion_free(&m);
        return emit_simple(b, bi, r->name, "error", "retarget", "retarget-error", e.msg, 1,
                           lfd_now_s() - t0, "\"qa\",\"retarget\"", err);
    }
    lfd_check_opts co;
    lfd_check_opts_init(&co);
    if (b->o->track)
        co.checks |= 1u << LFD_CG_TRACK;
    co.series = b->o->plots != LFD_BATCH_PLOTS_NONE;
    lfd_check_report *rep = b->rep;
    rc = lfd_check_motion(R->checker, R->ws, &m, &co, rep, &e);
    if (rc == LFD_OK && (b->o->plots == LFD_BATCH_PLOTS_ALL ||
                         (b->o->plots == LFD_BATCH_PLOTS_FAIL && rep->verdict == LFD_CHECK_FAIL)))
        rc = lfd_check_plot_svg(R->checker, &m, rep, bi->it->id, plot, &e);
    else
        plot[0] = '\0';
    double check_wall = rep->wall_s, track_wall = rep->track.wall_s;
    if (rc == LFD_OK) {
        /* the report without its wall times (those go to the log line) */
        rep->wall_s = 0;
        rep->track.wall_s = 0;
        /* and without the per-frame series (kept for the plot): a record, not a dump */
        int series = rep->series_frames;
        rep->series_frames = 0;
        lfd_buf cb;
        lfd_buf_init(&cb, 64u << 20);
        lfd_jw jw;
        lfd_jw_init_buf(&jw, &cb, 1);
        lfd_check_report_json(rep, r, bi->it->id, &jw);
        lfd_jw_finish(&jw);
        rep->series_frames = series;
        rc = lfd_buf_ok(&cb) ? lfd_file_write_atomic(checkp, cb.data, cb.len, &e)
                             : lfd_fail(&e, LFD_ELIMIT, "check report too large");
        lfd_buf_free(&cb);
    }
    (void)check_wall;
    (void)track_wall;
    int mframes = m.nframes;
    double mfps = m.fps;
    lfd_motion_free(&m);
    if (rc)
        return emit_simple(b, bi, r->name, "error", "check", "check-error", e.msg, 1,
                           lfd_now_s() - t0, "\"qa\",\"retarget\",\"check\"", err);
    if ((rc = marks_reserve(b, rep, err)))
        return rc;

    /* the record */
    lfd_buf rb;
    lfd_buf_init(&rb, RECORD_MAX_BYTES);
    lfd_jw jw;
    lfd_jw_init_buf(&jw, &rb, 0);
    rec_begin(&jw, bi, r->name, "done", "done", NULL, NULL);
    rec_qa(&jw, b->qa);
    size_t rl = strlen(b->o->run_dir) + 1;
    lfd_jw_kstr(&jw, "key", key);
    lfd_jw_kstr(&jw, "motion", motion + rl);
    lfd_jw_kint(&jw, "motion_frames", mframes);
    lfd_jw_knum(&jw, "motion_fps", mfps);
    lfd_jw_key(&jw, "retarget");
    lfd_jw_obj_begin(&jw);
    lfd_jw_knum(&jw, "hand_err_mean_m", rrep.hand_err_mean_m);
    lfd_jw_knum(&jw, "foot_err_mean_m", rrep.foot_err_mean_m);
    lfd_jw_knum(&jw, "peak_vel_ratio", rrep.peak_vel_ratio);
    lfd_jw_knum(&jw, "foot_slide_max_m", rrep.foot_slide_max_m);
    lfd_jw_kint(&jw, "range_violations", rrep.range_violations);
    /* what stopped the dynamics filter (lfd_retarget_report.zmp_rounds_stop) */
    if (rrep.zmp_filter_ran && rrep.zmp_rounds_stop.why != LFD_RT_DYN_NONE) {
        lfd_jw_kstr(&jw, "filter_rounds", lfd_rt_dyn_why_name(rrep.zmp_rounds_stop.why));
        lfd_jw_key(&jw, "filter_last_steps");
        lfd_jw_arr_begin(&jw);
        for (int i = 0; i < 2; i++)
            lfd_jw_str(&jw, lfd_rt_dyn_why_name(rrep.zmp_direct_stop[i].why));
        lfd_jw_arr_end(&jw);
    }
    /* what the torque step changed (docs/retarget.md part 24): a corpus can
       find the clips whose waist or arms it turned, and by how much */
    if (rrep.torque.measured && rrep.torque.windows > 0) {
        lfd_jw_kint(&jw, "torque_step_windows", rrep.torque.windows);
        lfd_jw_knum(&jw, "torque_step_change_max_rad", rrep.torque.change_max_rad);
    }
    /* and the flight step (part 26): the clips with flights it corrected */
    if (rrep.flight.phases_kept > 0) {
        lfd_jw_kint(&jw, "flight_phases_kept", rrep.flight.phases_kept);
        lfd_jw_knum(&jw, "flight_shift_max_m", rrep.flight.shift_max_m);
        lfd_jw_knum(&jw, "flight_turn_max_rad", rrep.flight.turn_max_rad);
    }
    lfd_jw_obj_end(&jw);
    lfd_jw_key(&jw, "check");
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "verdict", lfd_check_verdict_name(rep->verdict));
    lfd_jw_kint(&jw, "nfail", rep->nfail);
    lfd_jw_kint(&jw, "nwarn", rep->nwarn);
    int ff = covered(b, rep, LFD_CHECK_FAIL, -1);
    lfd_jw_knum(&jw, "fail_share", rep->nframes ? (double)ff / rep->nframes : 0.0);
    lfd_jw_kbool(&jw, "findings_truncated", rep->more_findings > 0);
    if (rep->track.ran)
        lfd_jw_kbool(&jw, "track_fell", rep->track.fell);
    lfd_jw_key(&jw, "groups");
    lfd_jw_obj_begin(&jw);
    for (int g = 0; g < LFD_CG_COUNT; g++) {
        int nf = 0, nw = 0;
        for (int i = 0; i < rep->nfindings; i++)
            if (rep->finding[i].group == g) {
                nf += rep->finding[i].severity == LFD_CHECK_FAIL;
                nw += rep->finding[i].severity == LFD_CHECK_WARN;
            }
        if (!nf && !nw)
            continue;
        lfd_jw_key(&jw, lfd_check_group_name(g));
        lfd_jw_obj_begin(&jw);
        lfd_jw_kint(&jw, "fail", nf);
        lfd_jw_kint(&jw, "warn", nw);
        lfd_jw_kint(&jw, "fail_frames", nf ? covered(b, rep, LFD_CHECK_FAIL, g) : 0);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_obj_end(&jw);
    lfd_jw_obj_end(&jw);
    lfd_jw_kstr(&jw, "check_report", checkp + rl);
    if (plot[0])
        lfd_jw_kstr(&jw, "plot", plot + rl);
    lfd_jw_obj_end(&jw);
    if (!lfd_buf_ok(&rb)) {
        lfd_buf_free(&rb);
        return lfd_fail(err, LFD_ELIMIT, "record too long");
    }
    /* written last: its presence means every output above is complete */
    char rdir[4096];
    path_in(b, rdir, sizeof rdir, "results/%s%s", r->name, "");
    if ((rc = lfd_mkdir_p(rdir, err)) || (rc = lfd_file_write_atomic(result, rb.data, rb.len, err))) {
        lfd_buf_free(&rb);
        return rc;
    }
    rc = log_line(b, (const char *)rb.data, rb.len, 0, lfd_now_s() - t0, "\"retarget\",\"check\"",
                  rrep.frames_per_s, err);
    lfd_buf_free(&rb);
    b->sum->done++;
    return rc;
}

/* A recording refused now (its consent narrowed, expired or withdrawn)
   that was done before, under another key: its earlier outputs in this run
   go (the records results/ROBOT/KEY12-ID8.json and the motion, check
   report and plot each names), so no later step trains on a motion whose
   provenance still carries the consent since taken back (found by review:
   lfd train accepted the old motion and the policy named the person).
   Returns how many records were retired. */
static int retire_outputs(brun *b, const bitem *bi)
{
    char idh[65], suffix[16];
    lfd_sha256_buf_hex(bi->it->id, strlen(bi->it->id), idh);
    snprintf(suffix, sizeof suffix, "-%.8s.json", idh);
    int n = 0;
    for (int k = 0; k < b->nrob; k++) {
        if (!b->rob[k].robot)
            continue;
        char rdir[4096];
        path_in(b, rdir, sizeof rdir, "results/%s%s", b->rob[k].robot->name, "");
        DIR *d = opendir(rdir);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t l = strlen(e->d_name), sl = strlen(suffix);
            if (l != 12 + sl || strcmp(e->d_name + 12, suffix))
                continue;
            char rp[4400];
            snprintf(rp, sizeof rp, "%s/%s", rdir, e->d_name);
            uint8_t *data = NULL;
            size_t len = 0;
            lfd_err je = {0};
            lfd_json_doc *doc = NULL;
            if (lfd_file_read(rp, RECORD_MAX_BYTES, &data, &len, &je) == LFD_OK &&
                lfd_json_parse((const char *)data, len, rp, &doc, &je) == LFD_OK) {
                static const char *keys[] = {"motion", "check_report", "plot"};
                for (int i = 0; i < 3; i++) {
                    const lfd_json *v = lfd_json_get(lfd_json_root(doc), keys[i]);
                    if (!v || v->type != LFD_JSON_STR || strstr(v->str, ".."))
                        continue;
                    char op[4400];
                    snprintf(op, sizeof op, "%s/%s", b->o->run_dir, v->str);
                    unlink(op);
                    if (i == 0 && lfd_util_has_suffix(op, ".csv")) {
                        strncat(op, ".prov.json", sizeof op - strlen(op) - 1);
                        unlink(op);
                    }
                }
            }
            lfd_json_free(&doc);
            free(data);
            if (unlink(rp) == 0)
                n++;
        }
        closedir(d);
    }
    return n;
}

static int hash_file(const char *path, char hex[65], lfd_err *err)
{
    return lfd_file_sha256_hex(path, hex, err);
}

static int run_item(brun *b, const lfd_batch_item *it, lfd_err *err)
{
    double t0 = lfd_now_s();
    bitem bi;
    memset(&bi, 0, sizeof bi);
    bi.it = it;
    lfd_err e = {0};
    char why[LFD_ERR_MSG_MAX + 64];
    const char *kind = NULL;

    /* read: the content hash (an unreadable file is a named record) */
    if (hash_file(it->path, bi.sha, &e))
        return emit_simple(b, &bi, NULL, "error", "read", "unreadable", e.msg, 0, lfd_now_s() - t0,
                           "", err);
    bi.read_ok = 1;
    if (!lfd_file_exists(it->sidecar) || hash_file(it->sidecar, bi.side_sha, &e))
        snprintf(bi.side_sha, sizeof bi.side_sha, "none");

    /* every robot already done and consent still holds: nothing to run */
    int allowed = consent_ok(b, &bi, &kind, why, sizeof why);
    int ncached = 0, nloaded = 0;
    char keys[LFD_BATCH_MAX_ROBOTS][65];
    for (int k = 0; k < b->nrob; k++) {
        if (!b->rob[k].robot)
            continue;
        nloaded++;
        item_key(b, &bi, b->rob[k].robot, keys[k]);
        char rp[4096];
        result_path(b, &bi, b->rob[k].robot, keys[k], rp, sizeof rp);
        ncached += lfd_file_exists(rp);
    }
    if (allowed && nloaded && ncached == nloaded && b->nrob == nloaded) {
        int rc = LFD_OK;
        for (int k = 0; k < b->nrob && rc == LFD_OK; k++) {
            char rp[4096];
            result_path(b, &bi, b->rob[k].robot, keys[k], rp, sizeof rp);
            uint8_t *data;
            size_t len;
            if ((rc = lfd_file_read(rp, RECORD_MAX_BYTES, &data, &len, err)))
                break;
            rc = log_line(b, (const char *)data, len, 1, lfd_now_s() - t0, "", 0, err);
            free(data);
            b->sum->done++;
            b->sum->cached++;
        }
        /* the figures of the recording, for the summary: from the header */
        b->sum->frames += it->frames;
        return rc;
    }

    /* qa */
    lfd_human h;
    lfd_human_opts ho;
    memset(&ho, 0, sizeof ho);
    ho.prov = lfd_file_exists(it->sidecar) ? it->sidecar : NULL;
    if (lfd_human_load(&h, it->path, &ho, &e))
        return emit_simple(b, &bi, NULL, "error", "read", "unreadable", e.msg, 0, lfd_now_s() - t0,
                           "\"qa\"", err);
    int rc = lfd_qa_human(&h, b->qa, &e);
    if (rc) {
        lfd_human_free(&h);
        return emit_simple(b, &bi, NULL, "error", "qa", "qa-error", e.msg, 0, lfd_now_s() - t0,
                           "\"qa\"", err);
    }
    bi.have_qa = 1;
    bi.frames = b->qa->nframes;
    bi.fps = b->qa->fps;
    bi.seconds = b->qa->duration_s;
    b->sum->frames += bi.frames;
    b->sum->hours += bi.seconds / 3600.0;
    if (b->qa->verdict == LFD_QA_REJECT) {
        const char *rk = "reject";
        const char *msg = "rejected by qa";
        for (int i = 0; i < b->qa->nreasons; i++)
            if (b->qa->reason[i].severity == LFD_QA_REJECT) {
                rk = b->qa->reason[i].check;
                msg = b->qa->reason[i].msg;
                break;
            }
        rc = emit_simple(b, &bi, NULL, "rejected", "qa", rk, msg, 1, lfd_now_s() - t0, "\"qa\"", err);
        lfd_human_free(&h);
        return rc;
    }

    /* consent */
    if (!allowed) {
        int gone = retire_outputs(b, &bi);
        if (gone)
            snprintf(why + strlen(why), sizeof why - strlen(why), "; its %d earlier output%s removed", gone,
                     gone == 1 ? " was" : "s were");
        rc = emit_simple(b, &bi, NULL, "refused", "consent", kind, why, 1, lfd_now_s() - t0, "\"qa\"",
                         err);
        lfd_human_free(&h);
        return rc;
    }

    /* retarget + check, robot by robot */
    for (int k = 0; k < b->nrob && rc == LFD_OK; k++) {
        brobot *R = &b->rob[k];
        if (!R->robot) {
            rc = emit_simple(b, &bi, R->spec, "error", "robot", "robot-load", R->load_err.msg, 1, 0,
                             "", err);
            continue;
        }
        char rp[4096];
        result_path(b, &bi, R->robot, keys[k], rp, sizeof rp);
        if (lfd_file_exists(rp)) {
            uint8_t *data;
            size_t len;
            if ((rc = lfd_file_read(rp, RECORD_MAX_BYTES, &data, &len, err)))
                break;
            rc = log_line(b, (const char *)data, len, 1, 0, "", 0, err);
            free(data);
            b->sum->done++;
            b->sum->cached++;
            continue;
        }
        rc = run_robot(b, &bi, &h, R, keys[k], err);
    }
    lfd_human_free(&h);
    return rc;
}

/* ---- driver ----------------------------------------------------------------------------------- */

int lfd_batch_read_withdrawn(const char *path, char ***ids, int *n, lfd_err *err)
{
    if (!lfd_file_exists(path))
        return LFD_OK;
    uint8_t *data;
    size_t len;
    int rc = lfd_file_read(path, 16u << 20, &data, &len, err);
    if (rc)
        return rc;
    char *save = NULL;
    for (char *l = strtok_r((char *)data, "\n", &save); l && rc == LFD_OK; l = strtok_r(NULL, "\n", &save)) {
        /* one id a line, whole: a line starting with '#' is a comment, and
           only the line's trailing white space is trimmed (an id was cut at
           its first '#', space or tab, so site3#17's withdrawal refused
           site3 and let site3#17 through: found by review) */
        size_t ll = strlen(l);
        while (ll && (l[ll - 1] == '\r' || l[ll - 1] == ' ' || l[ll - 1] == '\t'))
            l[--ll] = '\0';
        if (!*l || *l == '#')
            continue;
        char **w = realloc(*ids, (size_t)(*n + 1) * sizeof *w);
        if (w)
            *ids = w;
        if (!w || !(w[*n] = strdup(l)))
            rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
        else
            (*n)++;
    }
    free(data);
    return rc;
}

/* The contributors who withdrew (run_dir/withdrawn.txt, none when absent).
   A withdrawal that cannot be read fails the run: never process (or merge)
   recordings of someone who withdrew. */
static int read_withdrawn(brun *b, lfd_err *err)
{
    char p[4096];
    path_in(b, p, sizeof p, "withdrawn.txt%s%s", "", "");
    return lfd_batch_read_withdrawn(p, &b->withdrawn, &b->nwithdrawn, err);
}

int lfd_batch_run(const lfd_batch_opts *o, lfd_batch_summary *s, FILE *out, lfd_err *err)
{
    memset(s, 0, sizeof *s);
    if (!o->run_dir || !o->ninputs || !o->nrobots)
        return lfd_fail(err, LFD_EARG, "lfd batch: needs a corpus, a run folder and a robot");
    if (o->nshards < 1 || o->shard < 0 || o->shard >= o->nshards)
        return lfd_fail(err, LFD_EARG, "lfd batch: shard %d/%d is not a slice", o->shard, o->nshards);
    double t0 = lfd_now_s();
    lfd_batch_corpus c;
    int rc = lfd_batch_corpus_list(o, &c, err);
    if (rc == LFD_OK)
        rc = lfd_batch_shard_plan(&c, o->nshards, err);
    if (rc) {
        lfd_batch_corpus_free(&c);
        return rc;
    }

    brun *b = calloc(1, sizeof *b);
    if (!b) {
        lfd_batch_corpus_free(&c);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    b->o = o;
    b->sum = s;
    b->logfd = -1;
    lfd_today(b->today);
    snprintf(b->shard_s, sizeof b->shard_s, "%d/%d", o->shard, o->nshards);
    snprintf(b->opts_s, sizeof b->opts_s, "fps %.17g upper_body %d smooth_hz %.17g track %d plots %d",
             o->fps, o->upper_body, o->smooth_hz, o->track, o->plots);
    b->qa = calloc(1, sizeof *b->qa);
    char p[4096];
    path_in(b, p, sizeof p, "logs%s%s", "", "");
    if (!b->qa) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = lfd_check_report_new(&b->rep, err)))
        goto done;
    if ((rc = lfd_mkdir_p(p, err)))
        goto done;
    /* robots: one that fails to load becomes a record per recording */
    b->nrob = o->nrobots;
    for (int k = 0; k < o->nrobots; k++) {
        brobot *R = &b->rob[k];
        R->spec = o->robots[k];
        if (lfd_robot_load(&R->robot, R->spec, &R->load_err) == LFD_OK &&
            (lfd_checker_new(&R->checker, R->robot, &R->load_err) ||
             lfd_check_ws_new(&R->ws, R->checker, &R->load_err))) {
            lfd_check_ws_free(&R->ws);
            lfd_checker_free(&R->checker);
            lfd_robot_free(&R->robot);
        }
        if (R->robot) {
            char sd[4096];
            path_in(b, sd, sizeof sd, "out/%s%s", R->robot->name, "");
            rc = list_stale(b, sd, err);
            path_in(b, sd, sizeof sd, "results/%s%s", R->robot->name, "");
            if (rc == LFD_OK)
                rc = list_stale(b, sd, err);
            if (rc)
                goto done;
        }
    }
    /* No robot at all: every recording would only become a robot-load
       error, and a scheduler would mark the task a success.  Stop before
       anything is written, naming each robot and why. */
    int nloaded = 0;
    for (int k = 0; k < b->nrob; k++)
        nloaded += b->rob[k].robot != NULL;
    if (!nloaded) {
        char why[LFD_ERR_MSG_MAX] = "";
        for (int k = 0; k < b->nrob; k++) {
            size_t l = strlen(why);
            snprintf(why + l, sizeof why - l, "%s%s: %s", k ? "; " : "", b->rob[k].spec,
                     b->rob[k].load_err.msg);
        }
        rc = lfd_fail(err, LFD_EARG, "no robot could be loaded, nothing was run (%s)", why);
        goto done;
    }
    for (int k = 0; k < b->nrob; k++)
        if (!b->rob[k].robot)
            lfd_warn("lfd batch: robot %s: %s (a record for every recording)", b->rob[k].spec,
                     b->rob[k].load_err.msg);
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/shard-%d-of-%d.jsonl", p, o->shard, o->nshards);
    b->logfd = open(lp, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644); /* read: its last byte */
    if (b->logfd < 0) {
        rc = lfd_fail(err, LFD_EIO, "%s: cannot open: %s", lp, strerror(errno));
        goto done;
    }
    {
        /* a line torn by a kill mid-append is ended first: the next record
           would be glued onto it and skipped with it by the merge (a later
           refusal went unseen: found by review) */
        struct stat lst;
        char last = '\n';
        if (fstat(b->logfd, &lst) == 0 && lst.st_size > 0 &&
            pread(b->logfd, &last, 1, lst.st_size - 1) == 1 && last != '\n' &&
            write(b->logfd, "\n", 1) != 1) {
            rc = lfd_fail(err, LFD_EIO, "%s: cannot write: %s", lp, strerror(errno));
            goto done;
        }
    }
    if ((rc = read_withdrawn(b, err)))
        goto done;

    /* total weighs an unreadable file (0 frames) as one for the progress
       bar; the line counts frames only (it read "161 of 160 frames") */
    int64_t total = 0, frames = 0, done_frames = 0;
    for (int i = 0; i < c.n; i++)
        if (c.item[i].shard == o->shard) {
            s->items++;
            total += c.item[i].frames > 0 ? c.item[i].frames : 1;
            frames += c.item[i].frames > 0 ? c.item[i].frames : 0;
        }
    if (out)
        fprintf(out, "lfd batch: shard %s: %d of %d recordings (%lld of %lld frames), %d robot%s, run %s\n",
                b->shard_s, s->items, c.n, (long long)frames, (long long)c.frames, o->nrobots,
                o->nrobots == 1 ? "" : "s", o->run_dir);
    lfd_progress pr;
    char label[64];
    snprintf(label, sizeof label, "lfd batch %s (frames)", b->shard_s);
    if (o->progress)
        lfd_progress_start(&pr, label, total);
    for (int i = 0; i < c.n && rc == LFD_OK; i++) {
        if (c.item[i].shard != o->shard)
            continue;
        rc = run_item(b, &c.item[i], err);
        done_frames += c.item[i].frames > 0 ? c.item[i].frames : 1;
        if (o->progress)
            lfd_progress_update(&pr, done_frames);
        if (o->item_delay_ms > 0)
            usleep((useconds_t)o->item_delay_ms * 1000u);
    }
    if (o->progress)
        lfd_progress_end(&pr);
    s->wall_s = lfd_now_s() - t0;
    if (out && rc == LFD_OK)
        fprintf(out, "lfd batch: shard %s: %d done (%d already done before), %d rejected by qa, "
                     "%d refused (consent), %d errors; %.3f recording hours in %.1f s; log %s\n",
                b->shard_s, s->done, s->cached, s->rejected, s->refused, s->errors, s->hours,
                s->wall_s, lp);
done:
    if (b->logfd >= 0) {
        if (fsync(b->logfd) != 0 && rc == LFD_OK)
            rc = lfd_fail(err, LFD_EIO, "shard log: fsync failed: %s", strerror(errno));
        close(b->logfd);
    }
    for (int k = 0; k < b->nrob; k++) {
        lfd_check_ws_free(&b->rob[k].ws);
        lfd_checker_free(&b->rob[k].checker);
        lfd_robot_free(&b->rob[k].robot);
    }
    for (int i = 0; i < b->nwithdrawn; i++)
        free(b->withdrawn[i]);
    free(b->withdrawn);
    for (int i = 0; i < b->nstale; i++)
        free(b->stale[i]);
    free(b->stale);
    free(b->marks);
    free(b->qa);
    lfd_check_report_free(&b->rep);
    free(b);
    lfd_batch_corpus_free(&c);
    return rc;
}

/* ---- merge ------------------------------------------------------------------------------------ */

typedef struct mrec {
    char *sortkey;   /* id \x1f robot */
    char *text;      /* the record's JSON text */
    size_t len;
    double t;
    long seq;        /* order read: later wins on equal t */
} mrec;

static int cmp_mrec(const void *a, const void *b)
{
    const mrec *x = a, *y = b;
    int c = strcmp(x->sortkey, y->sortkey);
    if (c)
        return c;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int lfd_batch_merge(const char *run_dir, int *nrecords, FILE *out, lfd_err *err)
{
    char logs[4096];
    snprintf(logs, sizeof logs, "%s/logs", run_dir);
    DIR *d = opendir(logs);
    if (!d)
        return lfd_fail(err, LFD_EIO, "%s: no shard logs (%s)", logs, strerror(errno));
    char **names = NULL;
    int nn = 0;
    struct dirent *e;
    int rc = LFD_OK;
    while (rc == LFD_OK && (e = readdir(d))) {
        if (!lfd_batch_is_shard_log(e->d_name))
            continue;
        char **p = realloc(names, (size_t)(nn + 1) * sizeof *p);
        if (p)
            names = p;
        if (!p || !(names[nn] = strdup(e->d_name)))
            rc = lfd_fail(err, LFD_ENOMEM, "merge: out of memory");
        else
            nn++;
    }
    closedir(d);
    if (nn > 1)
        qsort(names, (size_t)nn, sizeof *names, cmp_cstr);
    mrec *v = NULL;
    long nv = 0, cap = 0, bad = 0, dropped = 0;
    /* contributors who withdrew (lfd_batch_withdraw): their records are left out */
    char **wids = NULL;
    int nwids = 0;
    if (rc == LFD_OK) {
        char wp[4200];
        snprintf(wp, sizeof wp, "%s/withdrawn.txt", run_dir);
        rc = lfd_batch_read_withdrawn(wp, &wids, &nwids, err);
    }
    for (int f = 0; f < nn && rc == LFD_OK; f++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", logs, names[f]);
        uint8_t *data;
        size_t len;
        if ((rc = lfd_file_read(path, (size_t)1 << 34, &data, &len, err)))
            break;
        char *save = NULL;
        int lineno = 0;
        for (char *line = strtok_r((char *)data, "\n", &save); line && rc == LFD_OK;
             line = strtok_r(NULL, "\n", &save)) {
            lineno++;
            lfd_json_doc *doc = NULL;
            lfd_err pe = {0};
            const lfd_json *rec = NULL, *t = NULL, *id = NULL, *rob = NULL, *who = NULL;
            if (lfd_json_parse(line, strlen(line), path, &doc, &pe) == LFD_OK) {
                rec = lfd_json_get(lfd_json_root(doc), "record");
                t = lfd_json_get(lfd_json_root(doc), "t");
                id = rec ? lfd_json_get(rec, "id") : NULL;
                rob = rec ? lfd_json_get(rec, "robot") : NULL;
                who = rec ? lfd_json_get(rec, "contributor") : NULL;
            }
            if (who && who->type == LFD_JSON_STR && lfd_batch_id_listed(wids, nwids, who->str)) {
                dropped++;
                lfd_json_free(&doc);
                continue;
            }
            /* the record is the line's last member: its text is copied as written */
            char *rs = strstr(line, ",\"record\":");
            size_t ll = strlen(line);
            if (!rec || !id || id->type != LFD_JSON_STR || !rs || ll < 2 || line[ll - 1] != '}') {
                if (out)
                    fprintf(out, "lfd batch merge: %s:%d: not a log line, skipped\n", path, lineno);
                bad++;
                lfd_json_free(&doc);
                continue;
            }
            if (nv == cap) {
                long nc = cap ? 2 * cap : 1024;
                mrec *p = realloc(v, (size_t)nc * sizeof *p);
                if (!p) {
                    rc = lfd_fail(err, LFD_ENOMEM, "merge: out of memory");
                    lfd_json_free(&doc);
                    break;
                }
                v = p;
                cap = nc;
            }
            mrec *m = &v[nv];
            rs += 10;
            m->len = (size_t)(line + ll - 1 - rs);
            m->text = strndup(rs, m->len);
            m->t = t && t->type == LFD_JSON_NUM ? t->num : 0;
            m->seq = nv;
            if (asprintf(&m->sortkey, "%s\x1f%s", id->str,
                         rob && rob->type == LFD_JSON_STR ? rob->str : "") < 0)
                m->sortkey = NULL;
            lfd_json_free(&doc);
            if (!m->text || !m->sortkey) {
                free(m->text);
                free(m->sortkey);
                rc = lfd_fail(err, LFD_ENOMEM, "merge: out of memory");
                break;
            }
            nv++;
        }
        free(data);
    }
    for (int f = 0; f < nn; f++)
        free(names[f]);
    free(names);
    for (int i = 0; i < nwids; i++)
        free(wids[i]);
    free(wids);
    if (rc == LFD_OK) {
        if (nv > 1)
            qsort(v, (size_t)nv, sizeof *v, cmp_mrec);
        char cp[4200];
        snprintf(cp, sizeof cp, "%s/corpus.jsonl", run_dir);
        lfd_atomic_file af;
        if ((rc = lfd_atomic_open(&af, cp, err)) == LFD_OK) {
            int kept = 0;
            for (long g0 = 0, g1; g0 < nv; g0 = g1) {
                /* one recording: its records for each robot, and perhaps one
                   before any robot (refused, rejected, unreadable); whichever
                   came last describes the recording now */
                size_t il = strcspn(v[g0].sortkey, "\x1f");
                for (g1 = g0 + 1; g1 < nv && !strncmp(v[g1].sortkey, v[g0].sortkey, il) &&
                                  v[g1].sortkey[il] == '\x1f';
                     g1++) {
                }
                double t_null = -1e300, t_rob = -1e300;
                for (long i = g0; i < g1; i++) {
                    int latest = i + 1 == g1 || strcmp(v[i].sortkey, v[i + 1].sortkey);
                    if (!latest)
                        continue;
                    if (v[i].sortkey[il + 1] == '\0')
                        t_null = v[i].t;
                    else if (v[i].t > t_rob)
                        t_rob = v[i].t;
                }
                int want_null = t_null > -1e300 && t_null >= t_rob;
                for (long i = g0; i < g1; i++) {
                    if (i + 1 < g1 && !strcmp(v[i].sortkey, v[i + 1].sortkey))
                        continue; /* an older line of the same (id, robot) */
                    if ((v[i].sortkey[il + 1] == '\0') != want_null)
                        continue;
                    fwrite(v[i].text, 1, v[i].len, af.fp);
                    fputc('\n', af.fp);
                    kept++;
                }
            }
            rc = lfd_atomic_commit(&af, err);
            if (nrecords)
                *nrecords = kept;
            if (rc == LFD_OK && out)
                fprintf(out, "lfd batch merge: %d shard log%s, %ld lines (%ld unreadable, %ld of "
                             "withdrawn contributors left out), %d records: %s\n",
                        nn, nn == 1 ? "" : "s", nv + bad + dropped, bad, dropped, kept, cp);
        }
    }
    for (long i = 0; i < nv; i++) {
        free(v[i].text);
        free(v[i].sortkey);
    }
    free(v);
    return rc;
}
