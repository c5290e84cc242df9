/*  The controller side on arm64: cross-builds liblfdclient.a (make
    arm64-client) and examples/client_minimal.c with Debian's
    gcc-aarch64-linux-gnu against the arm64 libzmq from multiarch, runs that
    binary under qemu-aarch64 against an x86 `lfd serve` over TCP, and checks
    that it gets the same actions as the same program built for this machine.
    SKIPs, naming what is missing, where the cross tools are not installed
    (`make deps` installs them for CI: ARM64_PKGS in the Makefile). */
#include <arpa/inet.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

#define CROSS "aarch64-linux-gnu"

static int have_cmd(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* runs cmd; its output (stdout and stderr) into out; returns the exit status */
static int run(const char *cmd, char *out, size_t outsz)
{
    FILE *fp = popen(cmd, "r");
    size_t n = fp ? fread(out, 1, outsz - 1, fp) : 0;
    out[n] = '\0';
    int st = fp ? pclose(fp) : -1;
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* a TCP port on loopback that is free now */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int wait_log(const char *path, const char *what, double timeout_s)
{
    for (double t = 0; t < timeout_s; t += 0.02) {
        char buf[8192];
        FILE *fp = fopen(path, "r");
        size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
        if (fp)
            fclose(fp);
        buf[n] = '\0';
        if (strstr(buf, what))
            return 1;
        usleep(20000);
    }
    return 0;
}

TEST(arm64_client_library_cross_builds_and_gets_actions_under_qemu)
{
    struct stat st;
    if (!have_cmd(CROSS "-gcc"))
        SKIP("no " CROSS "-gcc (Debian gcc-aarch64-linux-gnu)");
    if (!have_cmd("qemu-aarch64"))
        SKIP("no qemu-aarch64 (Debian qemu-user)");
    if (stat("/usr/lib/" CROSS "/libzmq.so", &st) || stat("/usr/include/msgpack.h", &st) ||
        stat("/lib/ld-linux-aarch64.so.1", &st))
        SKIP("no arm64 libzmq (libzmq3-dev:arm64 and libmsgpack-dev:arm64 after "
             "dpkg --add-architecture arm64)");
    if (lfd_test_under_valgrind())
        SKIP("the arm64 binary runs under qemu, not Valgrind: checked in the plain suite");
    char bin[1024], build[1024], cmd[8192], out[1 << 14];
    snprintf(bin, sizeof bin, "%s", lfd_test_lfd_bin());
    snprintf(build, sizeof build, "%s", dirname(bin));
    const char *dir = lfd_test_tmpdir();

    /* the client library for arm64 (incremental in BUILD/arm64), then the example */
    /* a make of its own: not the flags of the make that runs the tests
       (make asan's sanitizers are not installed for arm64) */
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s arm64-client "
             "BUILD=%s CFLAGS= LDFLAGS= 2>&1",
             build);
    int rc = run(cmd, out, sizeof out);
    if (rc)
        fprintf(stderr, "%s\n%s\n", cmd, out);
    CHECK_EQ_INT(rc, 0);
    char arm[1100], x86[1100];
    snprintf(arm, sizeof arm, "%s/client_minimal_arm64", dir);
    snprintf(x86, sizeof x86, "%s/client_minimal_x86", dir);
    snprintf(cmd, sizeof cmd,
             CROSS "-gcc -std=c11 -Wall -Wextra -Werror -I. examples/client_minimal.c "
                   "%s/arm64/liblfdclient.a -lzmq -lpthread -lm -o %s 2>&1",
             build, arm);
    rc = rc ? rc : run(cmd, out, sizeof out);
    if (rc)
        fprintf(stderr, "%s\n%s\n", cmd, out);
    CHECK_EQ_INT(rc, 0);
    /* it is an arm64 program */
    snprintf(cmd, sizeof cmd, CROSS "-readelf -h %s 2>&1", arm);
    rc = rc ? rc : run(cmd, out, sizeof out);
    CHECK_CONTAINS(out, "AArch64");
    /* the same program for this machine, for the expected actions (with the
       sanitizers the client library of this build was compiled with) */
#ifdef __SANITIZE_ADDRESS__
    const char *san = "-fsanitize=address,undefined";
#else
    const char *san = "";
#endif
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 %s -I. examples/client_minimal.c %s/liblfdclient.a -lzmq -lpthread -lm "
             "-o %s 2>&1",
             san, build, x86);
    rc = rc ? rc : run(cmd, out, sizeof out);
    if (rc)
        fprintf(stderr, "%s\n%s\n", cmd, out);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        return;

    /* an x86 `lfd serve` on a loopback TCP port */
    lfd_policy *p = th_mlp_policy("walk", 9, 4, 5, 16, 2, "walk.lfdp");
    lfd_policy_free(&p);
    int port = free_port();
    CHECK(port > 0);
    char file[1100], ep[128], log[1100];
    snprintf(file, sizeof file, "%s/walk.lfdp", dir);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    const char *args[] = {"serve", file, "--bind", ep, NULL};
    pid_t pid = th_spawn_lfd(args, log);
    CHECK(wait_log(log, "listening on", 20));

    /* the arm64 client under qemu, then the native one.  No -L: the arm64
       libzmq comes from multiarch (/usr/lib/aarch64-linux-gnu) with its own
       libc6:arm64, and the loader must be that libc's (/lib/ld-linux-aarch64.so.1);
       with -L /usr/aarch64-linux-gnu the cross root's loader meets the
       multiarch libc and the first pthread_create spins forever. */
    char got_arm[4096] = "", got_x86[4096] = "";
    snprintf(cmd, sizeof cmd, "timeout 120 qemu-aarch64 %s %s walk 9 4 2>&1", arm, ep);
    int st_arm = run(cmd, got_arm, sizeof got_arm);
    snprintf(cmd, sizeof cmd, "timeout 60 %s %s walk 9 4 2>&1", x86, ep);
    int st_x86 = run(cmd, got_x86, sizeof got_x86);
    CHECK_EQ_INT(th_kill_wait(pid, SIGTERM), 0);
    if (st_arm)
        fprintf(stderr, "arm64 client:\n%s\n", got_arm);
    CHECK_EQ_INT(st_arm, 0);
    CHECK_EQ_INT(st_x86, 0);
    CHECK_CONTAINS(got_arm, "client_minimal ok: policy walk");
    /* the same actions, to the printed digit */
    char *a = strstr(got_arm, "first action:"), *b = strstr(got_x86, "first action:");
    CHECK(a && b);
    if (a && b) {
        size_t na = strcspn(a, "\n"), nb = strcspn(b, "\n");
        if (na != nb || strncmp(a, b, na))
            fprintf(stderr, "arm64: %.*s\nx86:   %.*s\n", (int)na, a, (int)nb, b);
        CHECK(na == nb && !strncmp(a, b, na));
        /* and they are actions, not zeros */
        CHECK(strspn(a + 13, " 0.-") < na - 13);
    }
}
