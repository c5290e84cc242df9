/*  lfd batch: corpus listing, frame-balanced shards, the scheduler
    environments, bad input as named log entries, content-addressed resume,
    byte-identical results however the corpus is sharded, withdrawal, and
    the Kubernetes example.  (The real Slurm run: test_batch_slurm.c.) */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "runtime/lfd_batch.h"
#include "tests/lfd_test.h"
#include "tests/test_batch_util.h"

TEST(batch_shard_plan_balances_frames)
{
    lfd_err err = {0};
    lfd_batch_corpus c;
    memset(&c, 0, sizeof c);
    const int64_t frames[] = {9000, 200, 300, 4000, 4100, 150, 3900, 120, 100, 80, 60, 5000};
    int n = (int)(sizeof frames / sizeof frames[0]);
    c.item = calloc((size_t)n, sizeof *c.item);
    c.n = c.cap = n;
    char ids[12][16];
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "r%02d", i);
        c.item[i].id = ids[i];
        c.item[i].frames = frames[i];
    }
    for (int ns = 1; ns <= 4; ns++) {
        CHECK_OK(lfd_batch_shard_plan(&c, ns, &err), &err);
        int64_t load[4] = {0}, mx = 0, mn = INT64_MAX, total = 0;
        for (int i = 0; i < n; i++) {
            CHECK(c.item[i].shard >= 0 && c.item[i].shard < ns);
            load[c.item[i].shard] += c.item[i].frames;
            total += c.item[i].frames;
        }
        for (int s = 0; s < ns; s++) {
            mx = load[s] > mx ? load[s] : mx;
            mn = load[s] < mn ? load[s] : mn;
        }
        /* greedy by decreasing size: no slice is more than the largest item
           above another, and the heaviest is within 4/3 of the optimum bound */
        CHECK(mx - mn <= 9000);
        CHECK(mx <= (total / ns > 9000 ? total / ns : 9000) * 4 / 3 + 1);
        /* better than cutting by file count (round robin by id) */
        int64_t rr[4] = {0}, rrmax = 0;
        for (int i = 0; i < n; i++)
            rr[i % ns] += c.item[i].frames;
        for (int s = 0; s < ns; s++)
            rrmax = rr[s] > rrmax ? rr[s] : rrmax;
        CHECK(mx <= rrmax);
        if (ns == 2)
            CHECK(mx - mn <= 60); /* 13505 each is reachable within the smallest item */
        /* deterministic */
        int first[12];
        for (int i = 0; i < n; i++)
            first[i] = c.item[i].shard;
        CHECK_OK(lfd_batch_shard_plan(&c, ns, &err), &err);
        for (int i = 0; i < n; i++)
            CHECK_EQ_INT(c.item[i].shard, first[i]);
    }
    free(c.item);
}

TEST(batch_shard_env)
{
    lfd_err e = {0};
    int i = -1, n = -1;
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_COUNT");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    unsetenv("SLURM_ARRAY_TASK_MAX");
    unsetenv("JOB_COMPLETION_INDEX");
    CHECK_EQ_INT(lfd_batch_shard_from_env(0, &i, &n, &e), 0);
    CHECK_OK(lfd_batch_parse_shard("2/5", &i, &n, &e), &e);
    CHECK(i == 2 && n == 5);
    CHECK(lfd_batch_parse_shard("5/5", &i, &n, &e) < 0);
    CHECK(lfd_batch_parse_shard("1", &i, &n, &e) < 0);
    CHECK(lfd_batch_parse_shard("-1/3", &i, &n, &e) < 0);
    /* a Slurm array 0-3 */
    setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "0", 1);
    setenv("SLURM_ARRAY_TASK_MAX", "3", 1);
    CHECK_EQ_INT(lfd_batch_shard_from_env(0, &i, &n, &e), 1);
    CHECK(i == 3 && n == 4);
    /* task 2 resubmitted alone (--array=2): the count must come from --shards */
    setenv("SLURM_ARRAY_TASK_ID", "2", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "1", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "2", 1);
    setenv("SLURM_ARRAY_TASK_MAX", "2", 1);
    CHECK(lfd_batch_shard_from_env(0, &i, &n, &e) < 0);
    CHECK_CONTAINS(e.msg, "--shards");
    CHECK_EQ_INT(lfd_batch_shard_from_env(4, &i, &n, &e), 1);
    CHECK(i == 2 && n == 4);
    unsetenv("SLURM_ARRAY_TASK_ID");
    /* a Kubernetes Indexed Job */
    setenv("JOB_COMPLETION_INDEX", "1", 1);
    CHECK(lfd_batch_shard_from_env(0, &i, &n, &e) < 0);
    CHECK_EQ_INT(lfd_batch_shard_from_env(3, &i, &n, &e), 1);
    CHECK(i == 1 && n == 3);
    setenv("JOB_COMPLETION_INDEX", "3", 1);
    CHECK(lfd_batch_shard_from_env(3, &i, &n, &e) < 0);
    unsetenv("JOB_COMPLETION_INDEX");
}

TEST(batch_frames_estimate)
{
    const char *dir = lfd_test_tmpdir();
    CHECK_EQ_INT(tb_recording(dir, 1, TB_GOOD, 1), 0);
    char p[2048];
    snprintf(p, sizeof p, "%s/site1/rec01.bvh", dir);
    /* walk, 1.8 s at 60 Hz */
    CHECK_EQ_INT(lfd_batch_frames_estimate(p), 108);
    snprintf(p, sizeof p, "%s/nothing.bvh", dir);
    CHECK_EQ_INT(lfd_batch_frames_estimate(p), 0);
}

/* the corpus of the tests below: 4 good recordings of 4 people and one of
   each kind of bad input */
static void make_corpus(const char *dir)
{
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(tb_recording(dir, i, TB_GOOD, i % 4), 0);
    CHECK_EQ_INT(tb_recording(dir, 8, TB_UNREADABLE, 5), 0);
    CHECK_EQ_INT(tb_recording(dir, 9, TB_NO_SIDECAR, 6), 0);
    CHECK_EQ_INT(tb_recording(dir, 10, TB_EXPIRED, 7), 0);
    CHECK_EQ_INT(tb_recording(dir, 11, TB_RESEARCH_ONLY, 8), 0);
    CHECK_EQ_INT(tb_recording(dir, 12, TB_TOO_SHORT, 9), 0);
}

TEST(batch_bad_input_is_named_and_the_corpus_goes_on)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], run[2048], out[16384];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    make_corpus(corpus);
    char args[8192];
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --robot no-such-robot --no-progress", corpus, run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "4 done");
    char lp[2200];
    snprintf(lp, sizeof lp, "%s/logs/shard-0-of-1.jsonl", run);
    char *log = tb_slurp(lp);
    CHECK(log != NULL);
    if (!log)
        return;
    /* one named entry per bad input, with its reason */
    CHECK_EQ_INT(tb_count(log, "\"reason_kind\":\"unreadable\""), 1);
    CHECK_CONTAINS(log, "\"id\":\"site2/rec08.bvh\",\"robot\":null,\"status\":\"error\",\"stage\":\"read\"");
    CHECK_EQ_INT(tb_count(log, "\"reason_kind\":\"missing-sidecar\""), 1);
    CHECK_EQ_INT(tb_count(log, "\"reason_kind\":\"expired\""), 1);
    CHECK_CONTAINS(log, "consent expired on 2025-12-31");
    CHECK_EQ_INT(tb_count(log, "\"reason_kind\":\"purpose-not-covered\""), 1);
    CHECK_EQ_INT(tb_count(log, "\"status\":\"rejected\",\"stage\":\"qa\",\"reason_kind\":\"duration\""), 1);
    /* the robot that does not load: an entry for each recording that reached it */
    CHECK_EQ_INT(tb_count(log, "\"robot\":\"no-such-robot\",\"status\":\"error\",\"stage\":\"robot\""), 4);
    CHECK_EQ_INT(tb_count(log, "\"robot\":\"h1\",\"status\":\"done\""), 4);
    /* no body measurement or location in any output; the check reports and records exist */
    CHECK_EQ_INT(tb_count(log, "location"), 0);
    CHECK_EQ_INT(tb_sh("grep -rl location '%s/out' >/dev/null 2>&1", run), 1);
    CHECK_EQ_INT(tb_sh("test $(ls '%s'/out/h1/*.lfdm | wc -l) = 4 && test $(ls '%s'/results/h1/*.json | wc -l) = 4",
                       run, run), 0);
    free(log);
}

/* A refusal's kind comes from the consent check, not from its message,
   which holds the contributor's id: a research-only recording of a
   contributor named "p-expired" was filed as expired. */
TEST(batch_refusal_kind_does_not_depend_on_the_contributor_id)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], run[2048], side[2300];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    CHECK_EQ_INT(tb_recording(corpus, 0, TB_NO_SIDECAR, 0), 0);
    snprintf(side, sizeof side, "%s/site0/rec00.bvh.prov.json", corpus);
    const char *js = "{\"contributor_id\": \"p-expired\", \"consent\": {\"scopes\": [\"research\"], "
                     "\"date\": \"2025-06-01\", \"expires\": \"2099-12-31\"}}\n";
    lfd_err e = {0};
    CHECK_OK(lfd_file_write_atomic(side, js, strlen(js), &e), &e);
    char *log = tb_batch_log(corpus, run, "--robot h1");
    if (!log)
        return;
    CHECK_EQ_INT(tb_count(log, "\"reason_kind\":\"purpose-not-covered\""), 1);
    CHECK_EQ_INT(tb_count(log, "\"reason_kind\":\"expired\""), 0);
    free(log);
}

TEST(batch_resume_and_byte_identical_shards)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], a[2048], b[2048], out[16384], args[8192];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(a, sizeof a, "%s/whole", dir);
    snprintf(b, sizeof b, "%s/sharded", dir);
    make_corpus(corpus);
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", corpus, a);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    /* three slices, in any order */
    for (int s = 2; s >= 0; s--) {
        snprintf(args, sizeof args, "batch %s -o %s --robot h1 --shard %d/3 --no-progress", corpus, b, s);
        CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    }
    snprintf(args, sizeof args, "batch merge %s", a);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "batch merge %s", b);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "3 shard logs");
    char pa[2200], pb[2200];
    snprintf(pa, sizeof pa, "%s/corpus.jsonl", a);
    snprintf(pb, sizeof pb, "%s/corpus.jsonl", b);
    CHECK(tb_same_file(pa, pb));
    CHECK_EQ_INT(tb_sh("diff -r '%s/out' '%s/out' && diff -r '%s/results' '%s/results'", a, b, a, b), 0);

    /* a rerun does nothing again */
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", corpus, a);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "4 done (4 already done before)");
    /* an output lost (a task killed before its record was written): only that item runs */
    CHECK_EQ_INT(tb_sh("rm \"$(ls '%s'/results/h1/*.json | head -1)\"", a), 0);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "4 done (3 already done before)");
    /* other options, other outputs beside the first ones */
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --upper-body --no-progress", corpus, a);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "4 done (0 already done before)");
    CHECK_EQ_INT(tb_sh("test $(ls '%s'/out/h1/*.lfdm | wc -l) = 8", a), 0);
}

TEST(batch_manifest)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], run[2048], out[16384], args[8192], man[2200];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    CHECK_EQ_INT(tb_recording(corpus, 0, TB_GOOD, 1), 0);
    CHECK_EQ_INT(tb_recording(corpus, 1, TB_NO_SIDECAR, 2), 0);
    /* the second recording's consent lives elsewhere */
    CHECK_EQ_INT(tb_sh("cp '%s/site0/rec00.bvh.prov.json' '%s/consent-1.json'", corpus, corpus), 0);
    snprintf(man, sizeof man, "%s/manifest.txt", corpus);
    FILE *fp = fopen(man, "w");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fprintf(fp, "# recordings of the week\nsite0/rec00.bvh\nsite1/rec01.bvh consent-1.json\nsite9/missing.bvh\n");
    fclose(fp);
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", man, run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "2 done");
    char lp[2200];
    snprintf(lp, sizeof lp, "%s/logs/shard-0-of-1.jsonl", run);
    char *log = tb_slurp(lp);
    CHECK(log && strstr(log, "\"id\":\"site9/missing.bvh\",\"robot\":null,\"status\":\"error\",\"stage\":\"read\""));
    free(log);
}

TEST(batch_withdraw)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], run[2048], out[16384], args[8192];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(tb_recording(corpus, i, TB_GOOD, i % 2), 0);
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --plots all --no-progress", corpus, run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    /* list: two recordings of anon-0001, each with motion, check report, plot, record */
    snprintf(args, sizeof args, "batch withdraw anon-0001 %s %s", run, corpus);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_EQ_INT(tb_count(out, "remove   motion"), 2);
    CHECK_EQ_INT(tb_count(out, "remove   record"), 2);
    CHECK_EQ_INT(tb_count(out, "remove   plot"), 2);
    CHECK_EQ_INT(tb_count(out, "input    recording"), 2);
    CHECK_CONTAINS(out, "8 outputs to remove");
    CHECK_EQ_INT(tb_sh("test $(ls '%s'/out/h1/*.lfdm | wc -l) = 4", run), 0);
    /* apply */
    snprintf(args, sizeof args, "batch withdraw anon-0001 %s --apply", run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "8 outputs removed");
    CHECK_EQ_INT(tb_sh("test $(ls '%s'/out/h1/*.lfdm | wc -l) = 2 && grep -qx anon-0001 '%s/withdrawn.txt'",
                       run, run), 0);
    /* a later run refuses that person's recordings by name; merge leaves them out */
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --plots all --no-progress", corpus, run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "2 done (2 already done before)");
    CHECK_CONTAINS(out, "2 refused");
    CHECK_EQ_INT(tb_sh("test $(ls '%s'/out/h1/*.lfdm | wc -l) = 2", run), 0);
    snprintf(args, sizeof args, "batch merge %s", run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    char cp[2200];
    snprintf(cp, sizeof cp, "%s/corpus.jsonl", run);
    char *c = tb_slurp(cp);
    CHECK(c && !strstr(c, "anon-0001") && tb_count(c, "\"status\":\"done\"") == 2);
    free(c);
}

/* examples/k8s: the Indexed Job has what it needs, and lfd runs under a pod's env */
TEST(batch_k8s_indexed_job)
{
    char *y = tb_slurp("examples/k8s/lfd-batch-job.yaml");
    CHECK(y != NULL);
    if (!y)
        return;
    CHECK_CONTAINS(y, "apiVersion: batch/v1");
    CHECK_CONTAINS(y, "kind: Job");
    CHECK_CONTAINS(y, "completionMode: Indexed");
    CHECK_CONTAINS(y, "restartPolicy:");
    CHECK_CONTAINS(y, "backoffLimitPerIndex:");
    CHECK_CONTAINS(y, "persistentVolumeClaim:");
    /* completions, parallelism and the --shards given to lfd agree */
    const char *c = strstr(y, "completions:"), *s = strstr(y, "\"--shards\"");
    CHECK(c && s && strstr(y, "parallelism:"));
    if (c && s) {
        int nc = atoi(c + strlen("completions:"));
        const char *q = strchr(s + 10, '"');
        int ns = q ? atoi(q + 1) : -1;
        CHECK(nc > 0);
        CHECK_EQ_INT(ns, nc);
    }
    free(y);
    y = tb_slurp("examples/k8s/lfd-merge-job.yaml");
    CHECK(y && strstr(y, "lfd batch merge /data/runs/r1") && strstr(y, "lfd report"));
    free(y);

    /* the pods: JOB_COMPLETION_INDEX 0..2 (set by Kubernetes) with --shards 3 */
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], pods[2048], local[2048], out[16384], args[8192];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(pods, sizeof pods, "%s/pods", dir);
    snprintf(local, sizeof local, "%s/local", dir);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(tb_recording(corpus, i, TB_GOOD, i), 0);
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args,
                 "batch %s -o %s --robot h1 --shards 3 --no-progress", corpus, pods);
        char cmd[8300];
        snprintf(cmd, sizeof cmd, "env -u SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX=%d %s %s >/dev/null 2>&1", k,
                 lfd_test_lfd_bin(), args);
        CHECK_EQ_INT(tb_sh("%s", cmd), 0);
        char lp[2200];
        snprintf(lp, sizeof lp, "%s/logs/shard-%d-of-3.jsonl", pods, k);
        CHECK(lfd_file_exists(lp));
    }
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", corpus, local);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_EQ_INT(tb_sh("%s batch merge %s >/dev/null && %s batch merge %s >/dev/null && cmp %s/corpus.jsonl "
                       "%s/corpus.jsonl && diff -r %s/out %s/out",
                       lfd_test_lfd_bin(), pods, lfd_test_lfd_bin(), local, pods, local, pods, local),
                 0);
    /* an index without the count is refused with the reason */
    snprintf(args, sizeof args, "batch %s -o %s --robot h1", corpus, pods);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "JOB_COMPLETION_INDEX=1 %s %s 2>&1 | grep -q -- '--shards N'", lfd_test_lfd_bin(), args);
    CHECK_EQ_INT(tb_sh("%s", cmd), 0);
}

/* merge: the latest line of each (recording, robot) wins, a line cut short
   by a kill is skipped, records come out sorted and without run figures */
TEST(batch_merge_latest_sorted_skips_torn_lines)
{
    const char *dir = lfd_test_tmpdir();
    char logs[2048], p[2200];
    snprintf(logs, sizeof logs, "%s/run/logs", dir);
    lfd_err e = {0};
    CHECK_OK(lfd_mkdir_p(logs, &e), &e);
    snprintf(p, sizeof p, "%s/shard-1-of-2.jsonl", logs);
    const char *l1 =
        "{\"t\":10.0,\"shard\":\"1/2\",\"cached\":false,\"wall_s\":1.5,\"ran\":[\"qa\"],\"record\":"
        "{\"id\":\"b.bvh\",\"robot\":null,\"status\":\"refused\",\"stage\":\"consent\"}}\n"
        "{\"t\":11.0,\"shard\":\"1/2\",\"cached\":false,\"wall_s\":0.5,\"ran\":[],\"record\":"
        "{\"id\":\"a.bvh\",\"robot\":\"h1\",\"status\":\"error\",\"stage\":\"check\"}}\n"
        "{\"t\":12.0,\"shard\":\"1/2\",\"cached\":false,\"wall_s\":0.5,\"ran\":[],\"rec"; /* torn */
    CHECK_OK(lfd_file_write_atomic(p, l1, strlen(l1), &e), &e);
    snprintf(p, sizeof p, "%s/shard-0-of-2.jsonl", logs);
    const char *l0 =
        "{\"t\":20.0,\"shard\":\"0/2\",\"cached\":false,\"wall_s\":2.5,\"ran\":[\"retarget\"],\"record\":"
        "{\"id\":\"a.bvh\",\"robot\":\"h1\",\"status\":\"done\",\"stage\":\"done\"}}\n"
        "{\"t\":5.0,\"shard\":\"0/2\",\"cached\":true,\"wall_s\":0.1,\"ran\":[],\"record\":"
        "{\"id\":\"a.bvh\",\"robot\":\"g1\",\"status\":\"done\",\"stage\":\"done\"}}\n";
    CHECK_OK(lfd_file_write_atomic(p, l0, strlen(l0), &e), &e);
    char run[2100];
    snprintf(run, sizeof run, "%s/run", dir);
    int n = 0;
    char buf[4096];
    FILE *out = fmemopen(buf, sizeof buf, "w");
    CHECK_OK(lfd_batch_merge(run, &n, out, &e), &e);
    fclose(out);
    CHECK_EQ_INT(n, 3);
    CHECK_CONTAINS(buf, "not a log line, skipped");
    snprintf(p, sizeof p, "%s/corpus.jsonl", run);
    char *c = tb_slurp(p);
    CHECK_STR(c ? c : "",
              "{\"id\":\"a.bvh\",\"robot\":\"g1\",\"status\":\"done\",\"stage\":\"done\"}\n"
              "{\"id\":\"a.bvh\",\"robot\":\"h1\",\"status\":\"done\",\"stage\":\"done\"}\n"
              "{\"id\":\"b.bvh\",\"robot\":null,\"status\":\"refused\",\"stage\":\"consent\"}\n");
    free(c);
}

/* consent expires after a run: the rerun's refusal replaces the motions' records */
TEST(batch_merge_later_refusal_replaces_done)
{
    const char *dir = lfd_test_tmpdir();
    char logs[2048], p[2200], run[2100];
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(logs, sizeof logs, "%s/logs", run);
    lfd_err e = {0};
    CHECK_OK(lfd_mkdir_p(logs, &e), &e);
    snprintf(p, sizeof p, "%s/shard-0-of-1.jsonl", logs);
    const char *l =
        "{\"t\":1.0,\"shard\":\"0/1\",\"cached\":false,\"wall_s\":1,\"ran\":[],\"record\":"
        "{\"id\":\"a.bvh\",\"robot\":\"h1\",\"status\":\"done\"}}\n"
        "{\"t\":1.0,\"shard\":\"0/1\",\"cached\":false,\"wall_s\":1,\"ran\":[],\"record\":"
        "{\"id\":\"b.bvh\",\"robot\":null,\"status\":\"refused\"}}\n"
        "{\"t\":2.0,\"shard\":\"0/1\",\"cached\":false,\"wall_s\":1,\"ran\":[],\"record\":"
        "{\"id\":\"a.bvh\",\"robot\":null,\"status\":\"refused\"}}\n"
        "{\"t\":2.0,\"shard\":\"0/1\",\"cached\":false,\"wall_s\":1,\"ran\":[],\"record\":"
        "{\"id\":\"b.bvh\",\"robot\":\"h1\",\"status\":\"done\"}}\n";
    CHECK_OK(lfd_file_write_atomic(p, l, strlen(l), &e), &e);
    int n = 0;
    CHECK_OK(lfd_batch_merge(run, &n, NULL, &e), &e);
    CHECK_EQ_INT(n, 2);
    snprintf(p, sizeof p, "%s/corpus.jsonl", run);
    char *c = tb_slurp(p);
    CHECK_STR(c ? c : "",
              "{\"id\":\"a.bvh\",\"robot\":null,\"status\":\"refused\"}\n"
              "{\"id\":\"b.bvh\",\"robot\":\"h1\",\"status\":\"done\"}\n");
    free(c);
}

/* the line of log that holds needle (a copy to free; NULL: none) */
static char *tb_line_of(const char *log, const char *needle)
{
    const char *at = strstr(log, needle);
    if (!at)
        return NULL;
    const char *ls = at;
    while (ls > log && ls[-1] != '\n')
        ls--;
    const char *le = strchr(at, '\n');
    return strndup(ls, le ? (size_t)(le - ls) : strlen(ls));
}

/* A done record says what the torque and flight steps changed
   (docs/batch.md, docs/retarget.md parts 24 and 26): CMU's bend-scoop onto
   G1 at 30 fps has its waist turned in some windows (its record names how
   many and by how much at most); CMU's playground jumps have their flights
   corrected (how many, how far the root moved); a procedural walk, whose
   waist and arms stay within their limits and whose feet never both leave
   the floor, has neither entry.  Skipped without ../shared. */
TEST(batch_record_says_what_the_torque_and_flight_steps_changed)
{
    const char *clip = lfd_test_shared("data/mocap/cmu_daz_02_06_bend_scoop_lift.bvh");
    const char *jumps = lfd_test_shared("data/mocap/cmu_01_01_playground_jumps.bvh");
    if (!clip || !jumps)
        SKIP("needs ../shared/data/mocap (the CMU bend-scoop and playground-jumps clips)");
    if (lfd_test_under_valgrind())
        SKIP("retargets an 18 s and a 23 s clip: too slow under Valgrind");
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], run[2048];
    snprintf(corpus, sizeof corpus, "%s/tcorpus", dir);
    snprintf(run, sizeof run, "%s/trun", dir);
    CHECK_EQ_INT(tb_sh("mkdir -p '%s' && cp '%s' '%s/scoop.bvh' && cp '%s' '%s/jumps.bvh'", corpus, clip, corpus,
                       jumps, corpus),
                 0);
    CHECK_EQ_INT(lfd_test_run_lfd_fmt_quiet("human synth --task walk --seconds 3 -o '%s/walk.bvh'", corpus), 0);
    const char *js = "{\"contributor_id\": \"anon-0001\", \"consent\": {\"scopes\": [\"robot-training\"], "
                     "\"date\": \"2025-06-01\", \"expires\": \"2099-12-31\"}}\n";
    lfd_err e = {0};
    const char *names[3] = {"scoop", "jumps", "walk"};
    for (int i = 0; i < 3; i++) {
        char side[2300];
        snprintf(side, sizeof side, "%s/%s.bvh.prov.json", corpus, names[i]);
        CHECK_OK(lfd_file_write_atomic(side, js, strlen(js), &e), &e);
    }
    char *log = tb_batch_log(corpus, run, "--robot g1 --out-fps 30");
    if (!log)
        return;
    CHECK_EQ_INT(tb_count(log, "\"status\":\"done\""), 3);
    char *scoop = tb_line_of(log, "scoop.bvh"), *jl = tb_line_of(log, "jumps.bvh"), *walk = tb_line_of(log, "walk.bvh");
    CHECK(scoop && jl && walk);
    if (scoop && jl && walk) {
        const char *tw = strstr(scoop, "\"torque_step_windows\":");
        CHECK(tw && atoi(tw + strlen("\"torque_step_windows\":")) > 0);
        CHECK(strstr(scoop, "\"torque_step_change_max_rad\":") != NULL);
        CHECK(strstr(scoop, "\"flight_phases_kept\":") == NULL);
        const char *fk = strstr(jl, "\"flight_phases_kept\":");
        CHECK(fk && atoi(fk + strlen("\"flight_phases_kept\":")) >= 8);
        const char *fs = strstr(jl, "\"flight_shift_max_m\":");
        CHECK(fs && atof(fs + strlen("\"flight_shift_max_m\":")) > 0.01);
        CHECK(strstr(walk, "\"torque_step_windows\":") == NULL);
        CHECK(strstr(walk, "\"flight_phases_kept\":") == NULL);
    }
    free(scoop);
    free(jl);
    free(walk);
    free(log);
}

/* writes rec's consent sidecar naming contributor id (date: with a date) */
static int tb_sidecar(const char *corpus, int i, const char *id, int date)
{
    char side[2300], js[512];
    snprintf(side, sizeof side, "%s/site%d/rec%02d.bvh.prov.json", corpus, i % 3, i);
    snprintf(js, sizeof js,
             "{\"contributor_id\": \"%s\", \"consent\": {\"scopes\": [\"robot-training\"]%s}}\n", id,
             date ? ", \"date\": \"2025-06-01\"" : "");
    lfd_err e = {0};
    return lfd_file_write_atomic(side, js, strlen(js), &e);
}

/* Withdrawal keeps its promise when it is asked from a folder of runs, for
   an id holding '#', for a record refused for another reason, with a
   temporary file a killed write left, and says when a file could not be
   read; an empty contributor_id is no consent.  Each was broken (found by
   review): withdraw from the parent folder wrote no withdrawn.txt and
   merged nothing, withdrawn.txt cut site3#17 to site3, a record refused
   for its missing date stayed in corpus.jsonl, the temporary file kept the
   motion, an unreadable motion exited 0, and "" counted as a person. */
TEST(batch_withdraw_from_a_folder_of_runs_and_odd_ids)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], runs[2048], run[2100], out[32768], args[8192];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(runs, sizeof runs, "%s/runs", dir);
    snprintf(run, sizeof run, "%s/r1", runs);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(tb_recording(corpus, i, TB_GOOD, i), 0);
    CHECK_EQ_INT(tb_sidecar(corpus, 2, "site3#17", 1), 0);
    CHECK_EQ_INT(tb_sidecar(corpus, 3, "site3", 1), 0);
    CHECK_EQ_INT(tb_sidecar(corpus, 4, "", 1), 0);      /* no one */
    CHECK_EQ_INT(tb_sidecar(corpus, 1, "anon-0009", 0), 0); /* no date */
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", corpus, run);
    lfd_test_run_lfd(args, out, sizeof out);
    CHECK_CONTAINS(out, "3 done");    /* rec00, site3#17's rec02, site3's rec03 */
    CHECK_CONTAINS(out, "2 refused"); /* rec01 (no date), rec04 (no one) */
    /* a motion the killed write left under its temporary name */
    CHECK_EQ_INT(tb_sh("cd '%s'/out/h1 && for m in *.lfdm; do cp \"$m\" \"$m.tmp.4242\"; done", run), 0);
    snprintf(args, sizeof args, "batch withdraw 'site3#17' %s --apply", runs);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_EQ_INT(tb_sh("grep -qx 'site3#17' '%s/withdrawn.txt'", run), 0);
    CHECK_CONTAINS(out, "corpus.jsonl");
    /* of the temporary copies, site3#17's went with the motion */
    CHECK_EQ_INT(tb_sh("test $(ls '%s'/out/h1/*.tmp.4242 | wc -l) = 2", run), 0);
    /* the next run refuses site3#17 and still does site3 */
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", corpus, run);
    lfd_test_run_lfd(args, out, sizeof out);
    char cp[2200];
    snprintf(cp, sizeof cp, "%s/corpus.jsonl", run);
    char *c = tb_slurp(cp);
    CHECK(c && !strstr(c, "site3#17") && strstr(c, "\"site3\""));
    free(c);
    /* the record refused for its missing date goes with its person */
    snprintf(args, sizeof args, "batch withdraw anon-0009 %s --apply", run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    c = tb_slurp(cp);
    CHECK(c && !strstr(c, "anon-0009"));
    free(c);
    /* a motion that cannot be read may be anyone's: said, and exit 1 */
    CHECK_EQ_INT(tb_sh("cd '%s'/out/h1 && m=$(ls *.lfdm | head -1) && head -c 100 \"$m\" > torn.lfdm", run), 0);
    snprintf(args, sizeof args, "batch withdraw anon-0000 %s --apply", run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1);
    CHECK_CONTAINS(out, "could not be read");
}

/* A shard log whose last line a kill tore (no newline) gets its newline
   before the next run appends: the next record was glued onto the torn
   line and skipped with it by the merge, so a refusal after a consent was
   narrowed went unseen (found by review). */
TEST(batch_run_after_a_torn_log_line_keeps_its_records)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], run[2048], out[16384], args[8192], lp[2300];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    for (int i = 0; i < 2; i++)
        CHECK_EQ_INT(tb_recording(corpus, i, TB_GOOD, i), 0);
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", corpus, run);
    lfd_test_run_lfd(args, out, sizeof out);
    CHECK_CONTAINS(out, "2 done");
    snprintf(lp, sizeof lp, "%s/logs/shard-0-of-1.jsonl", run);
    FILE *fp = fopen(lp, "a");
    if (fp) {
        fputs("{\"t\":1e12,\"shard\":\"0/1\",\"cached\":false,\"wall_s\":0.5,\"ran\":[],\"rec", fp);
        fclose(fp);
    }
    /* rec00's person (the first record the next run writes) narrows their
       consent to research */
    char side[2300], js[512];
    snprintf(side, sizeof side, "%s/site0/rec00.bvh.prov.json", corpus);
    snprintf(js, sizeof js, "{\"contributor_id\": \"anon-0000\", \"consent\": {\"scopes\": [\"research\"], "
                            "\"date\": \"2025-06-01\"}}\n");
    lfd_err e = {0};
    CHECK_OK(lfd_file_write_atomic(side, js, strlen(js), &e), &e);
    lfd_test_run_lfd(args, out, sizeof out);
    CHECK_CONTAINS(out, "1 refused");
    snprintf(args, sizeof args, "batch merge %s", run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    char cp[2200];
    snprintf(cp, sizeof cp, "%s/corpus.jsonl", run);
    char *c = tb_slurp(cp);
    CHECK(c && strstr(c, "anon-0000") && strstr(c, "\"status\":\"refused\""));
    free(c);
    /* and the motion made while the consent covered training is gone with
       its record and check report (it stayed, carrying the old consent, and
       lfd train took it: found by review) */
    CHECK_EQ_INT(tb_sh("test $(ls '%s'/out/h1/*.lfdm | wc -l) = 1 && test $(ls '%s'/results/h1/*.json | wc -l) = 1 "
                       "&& test $(ls '%s'/out/h1/*.check.json | wc -l) = 1",
                       run, run, run),
                 0);
    snprintf(args, sizeof args, "train %s/out/h1/*.lfdm --robot h1 --upper-body --epochs 1 -o %s/p.lfdp --allow-unchecked", run, dir);
    lfd_test_run_lfd(args, out, sizeof out);
    snprintf(args, sizeof args, "lineage %s/p.lfdp", dir);
    lfd_test_run_lfd(args, out, sizeof out);
    CHECK_CONTAINS(out, "anon-0001");
    CHECK(strstr(out, "anon-0000") == NULL);
}

/* Identical recordings in two shards have the same outputs, so a task
   cleaning up what a killed writer left beside an item's outputs may meet
   the other task's file still being written: that one (its writer holds a
   lock on it) stays, a dead writer's goes.  Unlinking a live one failed the
   other task's rename (an item earlier sessions left alone). */
TEST(batch_leaves_a_live_writers_temporary_file_alone)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], run[2048], out[16384], args[8192];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    CHECK_EQ_INT(tb_recording(corpus, 0, TB_GOOD, 0), 0);
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --no-progress", corpus, run);
    lfd_test_run_lfd(args, out, sizeof out);
    CHECK_CONTAINS(out, "1 done");
    /* the record gone (its task killed), a dead and a live temporary file */
    CHECK_EQ_INT(tb_sh("cd '%s' && rm results/h1/*.json && m=$(ls out/h1/*.lfdm) && "
                       "cp \"$m\" \"$m.tmp.dead01\" && ln -s \"$(basename \"$m\")\" live.name",
                       run),
                 0);
    char live[4096], name[512] = "", lp[2300];
    snprintf(lp, sizeof lp, "%s/live.name", run);
    ssize_t nl = readlink(lp, name, sizeof name - 1);
    CHECK(nl > 0);
    if (nl <= 0)
        return;
    name[nl] = '\0';
    snprintf(live, sizeof live, "%s/out/h1/%s", run, name);
    lfd_atomic_file af;
    lfd_err e = {0};
    CHECK_OK(lfd_atomic_open(&af, live, &e), &e);
    CHECK(lfd_temp_is_live(af.tmp));
    lfd_test_run_lfd(args, out, sizeof out);
    CHECK_CONTAINS(out, "1 done (0 already done before)");
    CHECK_EQ_INT(tb_sh("test ! -e \"$(ls '%s'/out/h1/*.lfdm).tmp.dead01\"", run), 0);
    CHECK(access(af.tmp, F_OK) == 0);
    /* the other writer finishes: its rename still finds its file */
    fputs("x", af.fp);
    CHECK_OK(lfd_atomic_commit(&af, &e), &e);
    CHECK(!lfd_temp_is_live(live));
}

/* A recording's sidecar that cannot be read (its contributor_id a number,
   refused since provenance ids must be strings) may be anyone's: withdraw
   says so and exits 1, as for a motion it cannot read.  It was passed over
   without a word while lfd lineage reported it (review). */
TEST(batch_withdraw_says_an_unreadable_sidecar)
{
    const char *dir = lfd_test_tmpdir();
    char corpus[2048], side[2300], out[8192], args[4200];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    CHECK_EQ_INT(tb_sh("mkdir -p '%s/site0' && : > '%s/site0/rec00.bvh'", corpus, corpus), 0);
    snprintf(side, sizeof side, "%s/site0/rec00.bvh.prov.json", corpus);
    const char *js = "{\"contributor_id\": 42, \"consent\": {\"scopes\": [\"robot-training\"], "
                     "\"date\": \"2025-06-01\"}}\n";
    lfd_err e = {0};
    CHECK_OK(lfd_file_write_atomic(side, js, strlen(js), &e), &e);
    snprintf(args, sizeof args, "batch withdraw 42 %s", corpus);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1);
    CHECK_CONTAINS(out, "unreadable");
    CHECK_CONTAINS(out, "must be a string");
}
