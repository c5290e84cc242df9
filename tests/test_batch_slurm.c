/*  lfd batch on a REAL single-node Slurm (Debian slurm-wlm + munge).

    The test starts munged, slurmctld and slurmd on this machine
    (examples/slurm/single-node.sh: every file under the test's folder) and
    stops them after, also when the test dies (a watchdog process waits for
    the test to exit).  Then, over 20 recordings made by `lfd human synth`:

      1. a local `lfd batch` + merge: the reference;
      2. examples/slurm/lfd-batch.sbatch as an array of 4 tasks; task 2 is
         cancelled while it works (scancel: SIGTERM, as preemption does);
      3. task 2 resubmitted alone (LFD_SHARDS=4 sbatch --array=2): only the
         recordings it had not finished run, the finished ones are skipped;
      4. examples/slurm/lfd-merge.sbatch (merge + report) as a Slurm job;
      5. corpus.jsonl, every output and every record are byte-identical to
         the local run.

    Skipped (with the reason) where Slurm or munge is not installed or the
    test is not root; `make ci` installs them (make deps). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/lfd_log.h"
#include "tests/lfd_test.h"
#include "tests/test_batch_util.h"

#define NREC 20
#define SHARDS 4
#define KILLED 2

static char g_slurm[PATH_MAX];

static void stop_slurm(void)
{
    tb_sh("sh examples/slurm/single-node.sh stop '%s' >/dev/null 2>&1", g_slurm);
}

/* A process that stops the daemons when the test process is gone, however
   it ends (time limit, crash). */
static void watchdog(void)
{
    int fd[2];
    if (pipe(fd) != 0)
        return;
    pid_t p = fork();
    if (p == 0) {
        close(fd[1]);
        char c;
        while (read(fd[0], &c, 1) > 0) {
        }
        stop_slurm();
        _exit(0);
    }
    close(fd[0]); /* fd[1] stays open in this process until it exits */
}

/* runs a shell command with SLURM_CONF set, output into out */
static int slurm_cmd(char *out, size_t outsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int slurm_cmd(char *out, size_t outsz, const char *fmt, ...)
{
    char cmd[8192], full[9000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "SLURM_CONF='%s/slurm.conf' sh -c '%s' 2>&1", g_slurm, cmd);
    FILE *fp = popen(full, "r");
    if (!fp)
        return -1;
    size_t n = fread(out, 1, outsz - 1, fp);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    int st = pclose(fp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* waits until no job of jobid is queued or running; 0 if it ended in time */
static int wait_job(const char *jobid, double timeout_s)
{
    double t0 = lfd_now_s();
    char out[4096];
    while (lfd_now_s() - t0 < timeout_s) {
        if (slurm_cmd(out, sizeof out, "squeue -h -j %s", jobid) == 0 && !out[0])
            return 0;
        usleep(200000);
    }
    return -1;
}

static int lines_of(const char *path)
{
    char *s = tb_slurp(path);
    int n = tb_count(s, "\n");
    free(s);
    return n;
}

TEST(batch_slurm_array_kill_resubmit_merge)
{
    if (access("/usr/sbin/slurmctld", X_OK) || access("/usr/sbin/slurmd", X_OK) ||
        access("/usr/sbin/munged", X_OK) || tb_sh("command -v sbatch >/dev/null 2>&1"))
        SKIP("Slurm is not installed (Debian slurm-wlm and munge; `make deps` installs them)");
    if (geteuid() != 0)
        SKIP("a single-node Slurm needs root to start slurmd");
    const char *dir = tb_abs(lfd_test_tmpdir());
    char tmp[PATH_MAX], corpus[PATH_MAX + 16], local[PATH_MAX + 16], run[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s", dir);
    snprintf(corpus, sizeof corpus, "%s/corpus", tmp);
    snprintf(local, sizeof local, "%s/local", tmp);
    snprintf(run, sizeof run, "%s/slurm-run", tmp);
    snprintf(g_slurm, sizeof g_slurm, "%s/slurm", tmp);
    /* 20 recordings at 30 Hz: 18 usable ones of 6 people, one unreadable, one expired */
    tb_fps = 30;
    for (int i = 0; i < NREC; i++)
        CHECK_EQ_INT(tb_recording(corpus, i, i == 7 ? TB_UNREADABLE : i == 13 ? TB_EXPIRED : TB_GOOD, i % 6), 0);
    const char *lfd = tb_abs(lfd_test_lfd_bin());
    char out[16384];

    /* 1. the reference: one local run */
    CHECK_EQ_INT(tb_sh("'%s' batch '%s' -o '%s' --robot h1 --no-progress >/dev/null 2>&1 && "
                       "'%s' batch merge '%s' >/dev/null",
                       lfd, corpus, local, lfd, local),
                 0);

    /* 2. Slurm up; the array of 4 */
    watchdog();
    if (tb_sh("sh examples/slurm/single-node.sh start '%s' >'%s.start.log' 2>&1", g_slurm, g_slurm)) {
        char lp[PATH_MAX + 16];
        snprintf(lp, sizeof lp, "%s.start.log", g_slurm);
        char *l = tb_slurp(lp);
        lfd_test_fail_at(__FILE__, __LINE__, "single-node Slurm did not start: %s", l ? l : "?");
        free(l);
        stop_slurm();
        return;
    }
    CHECK_EQ_INT(tb_sh("mkdir -p '%s'", run), 0);
    char env[4 * PATH_MAX];
    snprintf(env, sizeof env, "CORPUS=%s RUN=%s LFD=%s ROBOTS=h1", corpus, run, lfd);
    char job[64];
    /* each task pauses 0.7 s after each recording, so one can be killed midway */
    int rc = slurm_cmd(out, sizeof out,
                       "%s LFD_BATCH_ITEM_DELAY_MS=700 sbatch --parsable --array=0-%d "
                       "--output=%s/slurm-%%A_%%a.out examples/slurm/lfd-batch.sbatch",
                       env, SHARDS - 1, run);
    CHECK_EQ_INT(rc, 0);
    snprintf(job, sizeof job, "%.*s", (int)strcspn(out, ";\n"), out);
    CHECK(atoi(job) > 0);
    if (rc || atoi(job) <= 0) {
        lfd_test_fail_at(__FILE__, __LINE__, "sbatch: %s", out);
        stop_slurm();
        return;
    }
    /* kill task 2 once it has finished at least one recording, before its last */
    char klog[PATH_MAX + 64];
    snprintf(klog, sizeof klog, "%s/logs/shard-%d-of-%d.jsonl", run, KILLED, SHARDS);
    double t0 = lfd_now_s();
    while (lines_of(klog) < 1 && lfd_now_s() - t0 < 120)
        usleep(50000);
    CHECK_EQ_INT(slurm_cmd(out, sizeof out, "scancel %s_%d", job, KILLED), 0);
    CHECK_EQ_INT(wait_job(job, 180), 0);
    int first = lines_of(klog);
    char *log1 = tb_slurp(klog);
    /* every other task finished its slice */
    for (int s = 0; s < SHARDS; s++) {
        char lp[PATH_MAX + 64];
        snprintf(lp, sizeof lp, "%s/logs/shard-%d-of-%d.jsonl", run, s, SHARDS);
        CHECK(lfd_file_exists(lp));
    }

    /* 3. resubmit the killed task alone: the slice count from LFD_SHARDS */
    rc = slurm_cmd(out, sizeof out,
                   "%s LFD_SHARDS=%d sbatch --parsable --array=%d --output=%s/slurm-%%A_%%a.out "
                   "examples/slurm/lfd-batch.sbatch",
                   env, SHARDS, KILLED, run);
    CHECK_EQ_INT(rc, 0);
    snprintf(job, sizeof job, "%.*s", (int)strcspn(out, ";\n"), out);
    CHECK_EQ_INT(wait_job(job, 180), 0);
    char *log2 = tb_slurp(klog);
    CHECK(log1 && log2);
    if (log1 && log2) {
        /* the first attempt stopped midway; the second ran exactly the rest */
        const char *second = log2;
        for (int i = 0; i < first && second; i++)
            second = strchr(second, '\n') ? strchr(second, '\n') + 1 : NULL;
        int done1 = tb_count(log1, "\"status\":\"done\""), all1 = first;
        int ran2 = second ? tb_count(second, "\"cached\":false") : -1;
        int skipped2 = second ? tb_count(second, "\"cached\":true") : -1;
        int lines2 = second ? tb_count(second, "\n") : -1;
        CHECK(all1 >= 1);
        CHECK_EQ_INT(skipped2, done1);          /* what was done is not done again */
        CHECK_EQ_INT(ran2 + skipped2, lines2);  /* every recording of the slice has a line */
        CHECK(ran2 >= 1);                       /* killed midway: something was left */
        /* each recording the first attempt finished is the one skipped */
        for (const char *p = log1; (p = strstr(p, "\"status\":\"done\"")); p++) {
            const char *ls = p;
            while (ls > log1 && ls[-1] != '\n')
                ls--;
            const char *ip = strstr(ls, "\"id\":\"");
            char id[300];
            snprintf(id, sizeof id, "\"id\":\"%.*s\"", ip ? (int)strcspn(ip + 6, "\"") : 0, ip ? ip + 6 : "");
            const char *q = second ? strstr(second, id) : NULL;
            const char *qs = q, *qe = q ? strchr(q, '\n') : NULL;
            while (qs && qs > second && qs[-1] != '\n')
                qs--;
            char line[512] = "";
            if (qs && qe)
                snprintf(line, sizeof line, "%.*s", (int)(qe - qs), qs);
            CHECK(q != NULL && strstr(line, "\"cached\":true") != NULL);
        }
        printf("slurm: task %d killed after %d of %d recordings; resubmission ran %d, skipped %d\n", KILLED,
               all1, lines2, ran2, skipped2);
    }
    free(log1);
    free(log2);

    /* 4. merge + report as a Slurm job */
    rc = slurm_cmd(out, sizeof out, "RUN=%s LFD=%s sbatch --parsable --output=%s/merge.out "
                                    "examples/slurm/lfd-merge.sbatch",
                   run, lfd, run);
    CHECK_EQ_INT(rc, 0);
    snprintf(job, sizeof job, "%.*s", (int)strcspn(out, ";\n"), out);
    CHECK_EQ_INT(wait_job(job, 120), 0);
    stop_slurm();

    /* 5. the same bytes as the local run */
    char a[PATH_MAX + 32], b[PATH_MAX + 32];
    snprintf(a, sizeof a, "%s/corpus.jsonl", local);
    snprintf(b, sizeof b, "%s/corpus.jsonl", run);
    CHECK(lfd_file_exists(b));
    CHECK(tb_same_file(a, b));
    CHECK_EQ_INT(tb_sh("diff -r '%s/out' '%s/out' && diff -r '%s/results' '%s/results'", local, run, local, run), 0);
    snprintf(b, sizeof b, "%s/report.html", run);
    CHECK(lfd_file_exists(b));
    char *c = tb_slurp(a);
    CHECK_EQ_INT(tb_count(c, "\"status\":\"done\""), NREC - 2);
    CHECK_EQ_INT(tb_count(c, "\"reason_kind\":\"unreadable\""), 1);
    CHECK_EQ_INT(tb_count(c, "\"reason_kind\":\"expired\""), 1);
    free(c);
}
