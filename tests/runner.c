/*  The test runner: forks one process per registered test, enforces a time
    limit, and prints one line per test plus the closing "N passed, N failed".

    usage: lfd_tests [-j N] [-t SECONDS] [-v] [FILTER...]
      FILTER   run only tests whose name or file contains one of the words
      -j N     run N tests at once (default 2, the machine's core count)
      -t S     per-test time limit (default 300 s; LFD_TEST_TIMEOUT too)
      -v       show the output of passing tests too
      -n       no fork: run matching tests in this process (for gdb)
    Environment: LFD_SHARED (default ../shared), LFD_BIN (the lfd binary).
*/
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/lfd_log.h"
#include "tests/lfd_test.h"

#define MAX_TESTS 4096
#define EXIT_SKIP 77

typedef struct {
    const char *name;
    lfd_test_fn fn;
    const char *file;
} test_case;

static test_case g_tests[MAX_TESTS];
static int g_ntests;
static int g_failures;
static const char *g_current;
static char g_tmpdir[1024];

void lfd_test_register(const char *name, lfd_test_fn fn, const char *file)
{
    if (g_ntests < MAX_TESTS)
        g_tests[g_ntests++] = (test_case){name, fn, file};
}

void lfd_test_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "    %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    g_failures++;
}

int lfd_test_failures(void) { return g_failures; }

static int cmp_path(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

int lfd_test_mocap_files(char (*paths)[1024], int max)
{
    const char *dir = lfd_test_shared("data/mocap");
    if (!dir)
        return -1;
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    DIR *d = opendir(dirbuf);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && (!strcmp(e->d_name + l - 4, ".bvh") || !strcmp(e->d_name + l - 4, ".npy")))
            snprintf(paths[n++], 1024, "%s/%s", dirbuf, e->d_name);
    }
    closedir(d);
    qsort(paths, (size_t)n, sizeof paths[0], cmp_path);
    return n;
}

int lfd_test_under_valgrind(void)
{
    const char *v = getenv("LFD_VALGRIND");
    return v && *v && strcmp(v, "0");
}

void lfd_test_skip(const char *reason)
{
    fprintf(stderr, "    skipped: %s\n", reason);
    fflush(stderr);
    _exit(g_failures ? 1 : EXIT_SKIP);
}

const char *lfd_test_tmpdir(void)
{
    if (!g_tmpdir[0]) {
        const char *base = getenv("LFD_TEST_TMP") ? getenv("LFD_TEST_TMP") : "build/test-tmp";
        snprintf(g_tmpdir, sizeof g_tmpdir, "%s/%s", base, g_current);
        char cmd[2 * sizeof g_tmpdir + 64];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_tmpdir, g_tmpdir);
        if (system(cmd) != 0)
            lfd_test_fail_at(__FILE__, __LINE__, "cannot create %s", g_tmpdir);
    }
    return g_tmpdir;
}

const char *lfd_test_shared(const char *rel)
{
    static char path[2][1024];
    static int which;
    const char *base = getenv("LFD_SHARED") ? getenv("LFD_SHARED") : "../shared";
    char *p = path[which ^= 1];
    snprintf(p, sizeof path[0], "%s/%s", base, rel);
    struct stat st;
    return stat(p, &st) == 0 ? p : NULL;
}

const char *lfd_test_lfd_bin(void)
{
    const char *b = getenv("LFD_BIN");
    return b ? b : "build/lfd";
}

int lfd_test_run_lfdf(char *out, size_t outsz, const char *fmt, ...)
{
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return lfd_test_run_lfd(args, out, outsz);
}

int lfd_test_run_lfd(const char *args, char *out, size_t outsz)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", lfd_test_lfd_bin(), args);
    FILE *fp = popen(cmd, "r");
    if (!fp)
        return -1;
    size_t n = 0;
    if (out && outsz) {
        n = fread(out, 1, outsz - 1, fp);
        out[n] = '\0';
    }
    char sink[4096];
    while (fread(sink, 1, sizeof sink, fp) > 0) {
    }
    int st = pclose(fp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int matches(const test_case *t, int nfilt, char **filt)
{
    if (nfilt == 0)
        return 1;
    for (int i = 0; i < nfilt; i++)
        if (strstr(t->name, filt[i]) || strstr(t->file, filt[i]))
            return 1;
    return 0;
}

typedef struct {
    pid_t pid;
    int idx;
    double t0;
    char log[1024];
} running;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static pid_t start(int idx, int timeout, const char *logpath)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* child: output to a log file, time limit, run, exit with the verdict */
    setpgid(0, 0);
    FILE *lf = freopen(logpath, "w", stderr);
    if (lf)
        dup2(fileno(stderr), STDOUT_FILENO);
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    alarm((unsigned)timeout);
    g_current = g_tests[idx].name;
    lfd_log_level = LFD_LOG_WARN;
    g_tests[idx].fn();
    fflush(stdout);
    fflush(stderr);
    exit(g_failures ? 1 : 0);
}

static void print_log(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    char line[2048];
    int shown = 0;
    while (fgets(line, sizeof line, fp) && shown++ < 60)
        fputs(line, stdout);
    fclose(fp);
}

int main(int argc, char **argv)
{
    int jobs = 2, timeout = 300, verbose = 0, nfilt = 0, nofork = 0;
    char *filt[64];
    if (getenv("LFD_TEST_TIMEOUT"))
        timeout = atoi(getenv("LFD_TEST_TIMEOUT"));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-j") && i + 1 < argc) jobs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) timeout = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-v")) verbose = 1;
        else if (!strcmp(argv[i], "-n")) nofork = 1;
        else if (nfilt < 64) filt[nfilt++] = argv[i];
    }
    if (jobs < 1) jobs = 1;
    if (jobs > 16) jobs = 16;
    const char *base = getenv("LFD_TEST_TMP") ? getenv("LFD_TEST_TMP") : "build/test-tmp";
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/.logs'", base);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot create %s\n", base);
        return 2;
    }
    if (!lfd_test_shared("data/mocap"))
        printf("note: ../shared/data/mocap not found (set LFD_SHARED): tests on real "
               "mocap files will be skipped\n");

    if (nofork) {
        int nfail = 0;
        for (int i = 0; i < g_ntests; i++) {
            if (!matches(&g_tests[i], nfilt, filt))
                continue;
            int before = g_failures;
            g_current = g_tests[i].name;
            g_tmpdir[0] = '\0';
            g_tests[i].fn();
            printf("%s  %s\n", g_failures > before ? "FAIL" : "PASS", g_tests[i].name);
            nfail += g_failures > before;
        }
        return nfail ? 1 : 0;
    }
    int passed = 0, failed = 0, skipped = 0, next = 0;
    running run[16];
    int nrun = 0;
    double t_all = now();
    for (;;) {
        while (nrun < jobs && next < g_ntests) {
            int idx = next++;
            if (!matches(&g_tests[idx], nfilt, filt))
                continue;
            running *r = &run[nrun++];
            r->idx = idx;
            r->t0 = now();
            snprintf(r->log, sizeof r->log, "%s/.logs/%s.log", base, g_tests[idx].name);
            r->pid = start(idx, timeout, r->log);
        }
        if (nrun == 0)
            break;
        int st;
        pid_t pid = wait(&st);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int k = 0; k < nrun; k++) {
            if (run[k].pid != pid)
                continue;
            running r = run[k];
            run[k] = run[--nrun];
            const test_case *t = &g_tests[r.idx];
            double dt = now() - r.t0;
            const char *file = strrchr(t->file, '/') ? strrchr(t->file, '/') + 1 : t->file;
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
                passed++;
                printf("PASS  %-44s %-24s %6.2f s\n", t->name, file, dt);
                if (verbose)
                    print_log(r.log);
            } else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIP) {
                skipped++;
                printf("SKIP  %-44s %-24s\n", t->name, file);
                print_log(r.log);
            } else {
                failed++;
                if (WIFSIGNALED(st))
                    printf("FAIL  %-44s %-24s %6.2f s  (%s%s)\n", t->name, file, dt,
                           strsignal(WTERMSIG(st)),
                           WTERMSIG(st) == SIGALRM ? ": time limit" : "");
                else
                    printf("FAIL  %-44s %-24s %6.2f s\n", t->name, file, dt);
                print_log(r.log);
            }
            fflush(stdout);
            /* tidy the group of a test that left children behind */
            kill(-pid, SIGKILL);
            break;
        }
    }
    printf("%d skipped (need ../shared or optional tools); total %.1f s\n", skipped,
           now() - t_all);
    printf("%d passed, %d failed\n", passed, failed);
    /* a filter that names no test tested nothing: not a success (make test
       TESTS=typo said "0 passed, 0 failed" and exited 0: review) */
    if (nfilt > 0 && passed + failed + skipped == 0) {
        fprintf(stderr, "no test matches");
        for (int i = 0; i < nfilt; i++)
            fprintf(stderr, " '%s'", filt[i]);
        fprintf(stderr, "\n");
        return 2;
    }
    return failed ? 1 : 0;
}
