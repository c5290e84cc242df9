/*  lfd_batch_withdraw: a person withdraws; find (and remove) everything a
    batch run made from their recordings, and name the policies to retrain.

    The same lineage records `lfd lineage --contributor` reads
    (core/lfd_lineage.h): a motion's provenance and a policy's lineage list
    every contributor below them; a recording's sidecar names its own.  A
    batch output is a motion RUN/out/ROBOT/STEM-KEY12.lfdm; its check report
    (.check.json), plot (.svg) and record (RUN/results/ROBOT/KEY12-*.json)
    go with it.  See lfd_batch.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_motion.h"
#include "policies/lfd_policy.h"
#include "runtime/lfd_batch.h"

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

#define WD_MAX_RUNS 256

typedef struct wctx {
    const char *id;
    int apply;
    lfd_batch_withdrawal *w;
    FILE *out;
    int unreadable;
    /* the run folders met under the folders given (a walk from a folder of
       runs wrote no withdrawn.txt and merged nothing: found by review) */
    char *runs[WD_MAX_RUNS];
    int nruns;
} wctx;

static int is_run(const char *dir);

/* dir, when it is a run folder, remembered once */
static int note_dir(wctx *c, const char *dir)
{
    if (!is_run(dir))
        return 0;
    for (int i = 0; i < c->nruns; i++)
        if (!strcmp(c->runs[i], dir))
            return 1;
    if (c->nruns < WD_MAX_RUNS && (c->runs[c->nruns] = strdup(dir)))
        c->nruns++;
    return 1;
}

/* the run folder holding path (the part before /logs/, /results/ or
   /out/), remembered once */
static void note_run(wctx *c, const char *path)
{
    static const char *parts[] = {"/logs/", "/results/", "/out/"};
    for (int k = 0; k < 3; k++)
        for (const char *at = strstr(path, parts[k]); at; at = strstr(at + 1, parts[k])) {
            char dir[4200];
            snprintf(dir, sizeof dir, "%.*s", (int)(at - path), path);
            if (note_dir(c, dir))
                return;
        }
}

static void remove_one(wctx *c, const char *what, const char *path)
{
    if (!lfd_file_exists(path))
        return;
    c->w->outputs++;
    if (c->out)
        fprintf(c->out, "%-8s %-8s %s\n", c->apply ? "removed" : "remove", what, path);
    if (c->apply && unlink(path) == 0)
        c->w->removed++;
}

/* the records of a batch output: RUN/results/ROBOT/KEY12-*.json */
static void remove_records(wctx *c, const char *motion)
{
    char run[4096], robot[256], key[16];
    snprintf(run, sizeof run, "%s", motion);
    char *base = strrchr(run, '/');
    if (!base)
        return;
    *base++ = '\0';
    const char *dash = strrchr(base, '-');
    if (!dash || strlen(dash + 1) < 12 + 5)
        return;
    snprintf(key, sizeof key, "%.12s", dash + 1);
    char *rob = strrchr(run, '/');
    if (!rob)
        return;
    snprintf(robot, sizeof robot, "%s", rob + 1);
    *rob = '\0';
    char *outd = strrchr(run, '/');
    if (!outd || strcmp(outd + 1, "out"))
        return;
    *outd = '\0';
    char rdir[4600];
    snprintf(rdir, sizeof rdir, "%s/results/%s", run, robot);
    DIR *d = opendir(rdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, key, 12) && e->d_name[12] == '-' && ends_with(e->d_name, ".json")) {
            char p[4900];
            snprintf(p, sizeof p, "%s/%s", rdir, e->d_name);
            remove_one(c, "record", p);
        }
    closedir(d);
}

static int scan_one(void *ctx, const char *path, const char *rel, const struct stat *st)
{
    (void)rel;
    wctx *c = ctx;
    if (!S_ISREG(st->st_mode))
        return 0;
    note_run(c, path);
    lfd_err err = {0};
    lfd_prov p;
    lfd_prov_init(&p);
    /* a motion's temporary file, left by a write that was killed before
       its rename, is the person's motion all the same (found by review:
       it outlived the withdrawal and the resumed run) */
    int tmp_motion = strstr(path, ".lfdm.tmp") != NULL;
    if (ends_with(path, ".lfdm") || tmp_motion) {
        lfd_motion m;
        if (lfd_motion_read(&m, path, &err)) {
            if (tmp_motion) {
                /* a torn temporary file: whose it is cannot be read; it is
                   no output, and with --apply it goes */
                remove_one(c, "partial", path);
                return 0;
            }
            if (c->out)
                fprintf(c->out, "unreadable %s\n", err.msg);
            c->unreadable++;
            return 0;
        }
        int hit = lfd_lineage_used_by(&m.prov, c->id);
        lfd_motion_free(&m);
        if (!hit)
            return 0;
        char side[4200];
        size_t stem = strlen(path) - strlen(".lfdm");
        snprintf(side, sizeof side, "%.*s.check.json", (int)stem, path);
        remove_one(c, "check", side);
        snprintf(side, sizeof side, "%.*s.svg", (int)stem, path);
        remove_one(c, "plot", side);
        remove_records(c, path);
        remove_one(c, "motion", path);
    } else if (ends_with(path, ".lfdp")) {
        lfd_policy *pol;
        if (lfd_policy_load(&pol, path, &err)) {
            if (c->out)
                fprintf(c->out, "unreadable %s\n", err.msg);
            c->unreadable++;
            return 0;
        }
        if (lfd_lineage_used_by(&pol->lineage, c->id)) {
            c->w->policies++;
            if (c->out)
                fprintf(c->out, "%-8s %-8s %s\n", "retrain", "policy", path);
        }
        lfd_policy_free(&pol);
    } else if (ends_with(path, ".prov.json")) {
        int rc = lfd_prov_read_json_file(&p, path, &err);
        if (rc != LFD_OK) {
            /* a record that cannot be read may be anyone's (lfd lineage
               says so too): said, counted, and the exit code follows */
            if (c->out)
                fprintf(c->out, "unreadable %s\n", err.msg);
            c->unreadable++;
            lfd_prov_free(&p);
            return 0;
        }
        if (lfd_lineage_used_by(&p, c->id)) {
            char made[4200];
            snprintf(made, sizeof made, "%.*s", (int)(strlen(path) - strlen(".prov.json")), path);
            if (lfd_lineage_has_kind(&p, "human", &err) > 0) {
                /* the provenance of a motion made from a recording (a CSV's
                   sidecar, lfd_motion_write_csv): an output, removed with it */
                remove_one(c, "motion", made);
                remove_one(c, "prov", path);
            } else {
                c->w->recordings++;
                if (c->out)
                    fprintf(c->out, "%-8s %-8s %s\n", "input", "recording", made);
            }
        }
        lfd_prov_free(&p);
    }
    return 0;
}

/* a run folder: has logs/ or results/ */
static int is_run(const char *dir)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/logs", dir);
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    snprintf(p, sizeof p, "%s/results", dir);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* RUN/withdrawn.txt gains id; RUN/corpus.jsonl is merged again */
static int withdraw_run(const char *run, const char *id, FILE *out, lfd_err *err)
{
    /* later runs refuse this person's recordings; merge leaves their records out */
    char p[4200];
    snprintf(p, sizeof p, "%s/withdrawn.txt", run);
    uint8_t *old = NULL;
    size_t len = 0;
    if (lfd_file_exists(p) && lfd_file_read(p, 16u << 20, &old, &len, err))
        return LFD_EIO;
    lfd_buf b;
    lfd_buf_init(&b, (16u << 20) + 256);
    if (old)
        lfd_buf_append(&b, old, len);
    free(old);
    if (b.len && b.data[b.len - 1] != '\n')
        lfd_buf_append(&b, "\n", 1);
    lfd_buf_append(&b, id, strlen(id));
    lfd_buf_append(&b, "\n", 1);
    int rc = lfd_buf_ok(&b) ? lfd_file_write_atomic(p, b.data, b.len, err)
                            : lfd_fail(err, LFD_ELIMIT, "%s too large", p);
    lfd_buf_free(&b);
    if (rc)
        return rc;
    if (out)
        fprintf(out, "%-8s %-8s %s (later runs refuse %s's recordings)\n", "added", "withdrawn",
                p, id);
    /* RUN/corpus.jsonl still lists the person's records and the outputs
       just removed; a report read from it would show them.  Merge again now
       (merge leaves withdrawn contributors out) so the run's index never
       outlives the withdrawal. */
    char logs[4200];
    struct stat lst;
    snprintf(logs, sizeof logs, "%s/logs", run);
    if (stat(logs, &lst) == 0 && S_ISDIR(lst.st_mode)) {
        int n = 0;
        if ((rc = lfd_batch_merge(run, &n, NULL, err))) {
            lfd_err_prefix(err, "withdraw: %s: merging again after the removal", run);
            return rc;
        }
        if (out)
            fprintf(out, "%-8s %-8s %s/corpus.jsonl (%d records, without %s)\n", "merged",
                    "index", run, n, id);
    }
    return LFD_OK;
}

int lfd_batch_withdraw(const char *id, const char *const *dirs, int ndirs, int apply,
                       lfd_batch_withdrawal *w, FILE *out, lfd_err *err)
{
    memset(w, 0, sizeof *w);
    if (!id || !*id || strchr(id, '\n'))
        return lfd_fail(err, LFD_EARG, "withdraw: a contributor id is needed");
    wctx c = {.id = id, .apply = apply, .w = w, .out = out};
    for (int i = 0; i < ndirs; i++) {
        struct stat st;
        if (stat(dirs[i], &st) != 0 || !S_ISDIR(st.st_mode))
            return lfd_fail(err, LFD_EARG, "withdraw: %s is not a folder", dirs[i]);
    }
    for (int i = 0; i < ndirs; i++) {
        lfd_err werr = {0};
        note_dir(&c, dirs[i]);
        /* hidden and linked folders too: a copy of a person's data in .staging/
           or behind a link is still theirs */
        lfd_walk_files(dirs[i], LFD_WALK_FOLLOW_LINKS | LFD_WALK_HIDDEN | LFD_WALK_ONCE, scan_one, &c, &werr); /* unreadable folders are passed over */
    }
    int rc = LFD_OK;
    w->runs = c.nruns;
    w->unreadable = c.unreadable;
    for (int i = 0; apply && rc == LFD_OK && i < c.nruns; i++)
        rc = withdraw_run(c.runs[i], id, out, err);
    for (int i = 0; i < c.nruns; i++)
        free(c.runs[i]);
    return rc;
}
