/*  The Python client (runtime/python/lfd_client.py) end to end against
    `lfd serve` run as a separate process: tests/python/test_client.py checks
    the served actions against its own numpy MLP and filter, the other calls
    and the error answers.  Also the `lfd serve` command's start-up, its
    clean exit on SIGTERM, and `lfd keygen`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "core/lfd_io.h"
#include "runtime/lfd_keys.h"
#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

#define PY "/usr/bin/python3"

/* waits until the log file contains what (up to timeout_s); returns 1 if it did */
static int wait_log(const char *path, const char *what, double timeout_s)
{
    for (int i = 0; i < (int)(timeout_s * 50); i++) {
        uint8_t *d;
        size_t n;
        if (lfd_file_read(path, 1 << 20, &d, &n, NULL) == LFD_OK) {
            int found = strstr((char *)d, what) != NULL;
            free(d);
            if (found)
                return 1;
        }
        usleep(20000);
    }
    return 0;
}

static int python_ok(void)
{
    return system(PY " -c 'import zmq, msgpack, numpy' >/dev/null 2>&1") == 0;
}

TEST(serve_python_client_end_to_end)
{
    if (!python_ok())
        SKIP(PY " with zmq, msgpack and numpy is not installed");
    const char *dir = lfd_test_tmpdir();
    lfd_policy *p = th_mlp_policy("walk", 7, 5, 4, 24, 9, "py.lfdp");
    lfd_policy_free(&p);
    char file[1100], ep[1100], log[1100];
    snprintf(file, sizeof file, "%s/py.lfdp", dir);
    snprintf(ep, sizeof ep, "ipc://%s/py.ipc", dir);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    const char *args[] = {"serve", file, "--bind", ep, NULL};
    pid_t pid = th_spawn_lfd(args, log);
    CHECK(wait_log(log, "listening on", 20));
    char cmd[4000], out[1 << 14];
    snprintf(cmd, sizeof cmd, PY " tests/python/test_client.py '%s' '%s' 2>&1", ep, file);
    FILE *fp = popen(cmd, "r");
    size_t n = fp ? fread(out, 1, sizeof out - 1, fp) : 0;
    out[n] = '\0';
    int st = fp ? pclose(fp) : -1;
    if (st != 0)
        fprintf(stderr, "%s\n", out);
    CHECK_EQ_INT(st, 0);
    CHECK_CONTAINS(out, "PYTHON CLIENT OK");
    /* the script form describes a policy */
    snprintf(cmd, sizeof cmd, PY " runtime/python/lfd_client.py '%s' walk 2>&1", ep);
    fp = popen(cmd, "r");
    n = fp ? fread(out, 1, sizeof out - 1, fp) : 0;
    out[n] = '\0';
    CHECK_EQ_INT(fp ? pclose(fp) : -1, 0);
    CHECK_CONTAINS(out, "\"act_names\"");
    CHECK_CONTAINS(out, "\"a4\"");
    /* SIGTERM ends the server cleanly with its counters */
    CHECK_EQ_INT(th_kill_wait(pid, SIGTERM), 0);
    CHECK(wait_log(log, "served ", 5));
    CHECK(wait_log(log, "serving 'walk'", 1));
}

TEST(serve_cli_errors_and_keygen)
{
    char out[8192];
    const char *dir = lfd_test_tmpdir();
    char args[2000];
    CHECK_EQ_INT(lfd_test_run_lfd("serve", out, sizeof out), 2);
    CHECK_CONTAINS(out, "missing argument");
    snprintf(args, sizeof args, "serve %s/none.lfdp", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "none.lfdp");
    lfd_policy *p = th_mlp_policy("walk", 3, 2, 2, 4, 1, "k.lfdp");
    lfd_policy_free(&p);
    snprintf(args, sizeof args, "serve %s/k.lfdp --bind tcp://0.0.0.0:0", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "--curve");
    snprintf(args, sizeof args, "serve %s/k.lfdp %s/k.lfdp --bind tcp://127.0.0.1:0", dir, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "served twice");
    snprintf(args, sizeof args, "serve %s/motion.lfdm --robot h1", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "keygen robot1 --dir %s/keys", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "public ");
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/keys/robot1.key", dir);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    snprintf(path, sizeof path, "%s/keys/robot1.pub", dir);
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_INT(lfd_test_run_lfd("keygen a/b", out, sizeof out), 2);
}

/* The Python client reports a CURVE key the server refuses as "denied"
   (LfdDenied), as the C client reports LFD_EDENIED, instead of timing out
   (issue 19). */
TEST(serve_python_client_reports_refused_curve_key)
{
    if (!python_ok())
        SKIP(PY " with zmq, msgpack and numpy is not installed");
    if (!zmq_has("curve"))
        SKIP("libzmq without CURVE");
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    char keys[1100], cdir[1100], path[1200], spub[41], gpub[41], gsec[41], bpub[41], bsec[41];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(cdir, sizeof cdir, "%s/keys/clients", dir);
    CHECK_OK(lfd_keys_generate(keys, "server", spub, &err), &err);
    CHECK_OK(lfd_keys_generate(cdir, "good", NULL, &err), &err);
    CHECK_OK(lfd_keys_generate(dir, "bad", NULL, &err), &err);
    snprintf(path, sizeof path, "%s/good.key", cdir);
    CHECK_OK(lfd_keys_read(path, gpub, gsec, &err), &err);
    /* the secret half must not sit in the allow-list folder */
    CHECK_EQ_INT(unlink(path), 0);
    snprintf(path, sizeof path, "%s/bad.key", dir);
    CHECK_OK(lfd_keys_read(path, bpub, bsec, &err), &err);
    lfd_policy *p = th_mlp_policy("walk", 3, 2, 2, 8, 9, "c.lfdp");
    lfd_policy_free(&p);
    char file[1100], ep[1100], log[1100];
    snprintf(file, sizeof file, "%s/c.lfdp", dir);
    snprintf(ep, sizeof ep, "ipc://%s/c.ipc", dir);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    const char *args[] = {"serve", file, "--bind", ep, "--curve", keys, NULL};
    pid_t pid = th_spawn_lfd(args, log);
    CHECK(wait_log(log, "listening on", 20));
    char cmd[6000], out[1 << 14], script[1200];
    /* a known key is served; an unknown one is "denied" well before the 5 s
       timeout (the keys travel as arguments in single quotes: Z85 has '$') */
    snprintf(script, sizeof script, "%s/denied.py", dir);
    FILE *sf = fopen(script, "w");
    if (sf) {
        fputs("import sys, time\n"
              "sys.path.insert(0, 'runtime/python')\n"
              "import lfd_client as lc\n"
              "ep, spub, gpub, gsec, bpub, bsec = sys.argv[1:7]\n"
              "ok = lc.LfdClient(ep, 'walk', ['o0', 'o1', 'o2'], ['a0', 'a1'],\n"
              "                  curve=(spub, gpub, gsec), timeout_s=5)\n"
              "print('served', ok.act([0, 0, 0])[0].shape)\n"
              "t = time.monotonic()\n"
              "try:\n"
              "    lc.LfdClient(ep, 'walk', ['o0', 'o1', 'o2'], ['a0', 'a1'],\n"
              "                 curve=(spub, bpub, bsec), timeout_s=5)\n"
              "    print('ACCEPTED')\n"
              "except lc.LfdError as e:\n"
              "    print('refused as', e.code, 'after %.1f s' % (time.monotonic() - t))\n",
              sf);
        fclose(sf);
    }
    snprintf(cmd, sizeof cmd, PY " '%s' '%s' '%s' '%s' '%s' '%s' '%s' 2>&1", script, ep, spub,
             gpub, gsec, bpub, bsec);
    FILE *fp = popen(cmd, "r");
    size_t n = fp ? fread(out, 1, sizeof out - 1, fp) : 0;
    out[n] = '\0';
    if (fp)
        pclose(fp);
    fprintf(stderr, "%s", out);
    CHECK_CONTAINS(out, "served (2, 2)");
    CHECK_CONTAINS(out, "refused as denied");
    CHECK_EQ_INT(th_kill_wait(pid, SIGTERM), 0);
}
