/*  Helpers for the batch and report tests: a small corpus made by
    `lfd human synth` (no ../shared needed) with consent sidecars, some of
    them bad on purpose, and file/folder comparisons. */
#ifndef TEST_BATCH_UTIL_H
#define TEST_BATCH_UTIL_H

#include <limits.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "tests/lfd_test.h"

/* test paths are short; GCC cannot know that */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* kinds of recordings in the corpus */
enum { TB_GOOD, TB_UNREADABLE, TB_NO_SIDECAR, TB_EXPIRED, TB_RESEARCH_ONLY, TB_TOO_SHORT };

static inline int tb_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int tb_sh(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* runs `lfd ARGS` (printf-formatted), output captured into a scratch buffer;
   returns the exit code */
static inline int lfd_test_run_lfd_fmt_quiet(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int lfd_test_run_lfd_fmt_quiet(const char *fmt, ...)
{
    char args[8192], out[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return lfd_test_run_lfd(args, out, sizeof out);
}

/* absolute path of a (existing) path */
static inline const char *tb_abs(const char *p)
{
    static char out[4][PATH_MAX];
    static int k;
    char *o = out[k++ & 3];
    if (!realpath(p, o))
        snprintf(o, PATH_MAX, "%s", p);
    return o;
}

/* frame rate of the synthesised recordings (lower = faster tests) */
static int tb_fps = 60;

/* One recording: synthesised with lfd, task and length by index, in a
   subfolder by index; kind says what is wrong with it.  contributor:
   anon-<c>. */
static inline int tb_recording(const char *dir, int i, int kind, int contributor)
{
    const char *tasks[3] = {"wipe", "walk", "stand"};
    char sub[2048], path[2200];
    snprintf(sub, sizeof sub, "%s/site%d", dir, i % 3);
    if (tb_sh("mkdir -p '%s'", sub))
        return -1;
    snprintf(path, sizeof path, "%s/rec%02d.bvh", sub, i);
    if (kind == TB_UNREADABLE) {
        FILE *fp = fopen(path, "w");
        if (!fp)
            return -1;
        fputs("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0\n", fp); /* cut short */
        fclose(fp);
    } else {
        /* lengths 1.5 .. 4.2 s, so slices must balance frames, not files */
        double secs = kind == TB_TOO_SHORT ? 0.2 : 1.5 + 0.3 * (i % 10);
        int rc = lfd_test_run_lfd_fmt_quiet("human synth --task %s --seconds %.2f --height %.2f "
                                           "--fps %d -o '%s'",
                                           kind == TB_TOO_SHORT ? "stand" : tasks[i % 3], secs, 1.55 + 0.02 * (i % 15), tb_fps,
                                           path);
        if (rc)
            return -1;
    }
    if (kind == TB_NO_SIDECAR)
        return 0;
    char side[2300], js[512];
    snprintf(side, sizeof side, "%s.prov.json", path);
    snprintf(js, sizeof js,
             "{\"contributor_id\": \"anon-%04d\", \"consent\": {\"scopes\": [%s], \"date\": "
             "\"2025-06-01\", \"expires\": \"%s\"}, \"capture\": {\"location\": [1, 2]}}\n",
             contributor, kind == TB_RESEARCH_ONLY ? "\"research\"" : "\"robot-training\", \"research\"",
             kind == TB_EXPIRED ? "2025-12-31" : "2099-12-31");
    lfd_err e = {0};
    return lfd_file_write_atomic(side, js, strlen(js), &e);
}

/* reads a whole file into a static-free heap buffer (free it); NULL if absent */
static inline char *tb_slurp(const char *path)
{
    uint8_t *d;
    size_t n;
    lfd_err e = {0};
    return lfd_file_read(path, 256u << 20, &d, &n, &e) ? NULL : (char *)d;
}

/* `lfd batch CORPUS -o RUN --no-progress EXTRA`, which must exit 0, and its
   shard log (a single shard) to free; NULL if either failed (checked) */
static inline char *tb_batch_log(const char *corpus, const char *run, const char *extra)
{
    char args[8192], out[16384], lp[2200];
    snprintf(args, sizeof args, "batch %s -o %s --no-progress %s", corpus, run, extra);
    if (lfd_test_run_lfd(args, out, sizeof out) != 0) {
        lfd_test_fail_at(__FILE__, __LINE__, "lfd %s did not exit 0:\n%s", args, out);
        return NULL;
    }
    snprintf(lp, sizeof lp, "%s/logs/shard-0-of-1.jsonl", run);
    char *log = tb_slurp(lp);
    if (!log)
        lfd_test_fail_at(__FILE__, __LINE__, "no shard log %s", lp);
    return log;
}

static inline int tb_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* 1 if two files have the same bytes */
static inline int tb_same_file(const char *a, const char *b)
{
    return tb_sh("cmp -s '%s' '%s'", a, b) == 0;
}

#endif
