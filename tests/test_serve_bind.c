/*  The loopback-only default of `lfd serve` (issue 19, item 1): a bind
    endpoint is judged on what it names and on what was really bound
    (ZMQ_LAST_ENDPOINT), and libzmq's "source;address" form is refused
    before anything is bound.

    No test here ever listens on a non-loopback address outside a network
    namespace: the attempts to bind one run only after unshare(CLONE_NEWNET)
    (root; each test runs in its own forked process), where the only
    interface is the namespace's own loopback.  Without root those attempts
    are skipped and only the decisions on strings are checked. */
#define _GNU_SOURCE
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

/* A fresh network namespace with its loopback up; 0 if not possible. */
static int own_netns(void)
{
    if (unshare(CLONE_NEWNET) != 0)
        return 0;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

TEST(serve_endpoint_locality_for_every_spelling)
{
    static const char *const local[] = {
        "tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://127.3.4.5:80", "tcp://localhost:5555",
        "tcp://lo:5555", "tcp://[::1]:5555", "tcp://[::ffff:127.0.0.1]:5555",
        "tcp://127.1:5555", "tcp://0x7f000001:5555", "ipc:///tmp/x.ipc", "ipc://@abstract",
        "inproc://name"};
    static const char *const wide[] = {
        "tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://192.168.1.2:5555", "tcp://[::]:5555",
        "tcp://[::ffff:10.0.0.1]:5555", "tcp://eth0:5555", "tcp://wlan0:*", "tcp://lo0:5555",
        "tcp://loopback:5555", "tcp://127.0.0.1.example.com:5555", "tcp://128.0.0.1:5555",
        /* libzmq reads "A;B" as source A, address B, even for bind */
        "tcp://127.0.0.1:1;0.0.0.0:47000", "tcp://127.0.0.1;0.0.0.0:47000",
        "tcp://lo;eth0:5555", "tcp://127.0.0.1:1;[::]:47000", "tcp://localhost:1;*:47000",
        "ipc:///tmp/a;tcp://0.0.0.0:1", "tcp://127.0.0.1", "tcp://:5555", "tcp://[::1:5555",
        "udp://127.0.0.1:5555", "pgm://127.0.0.1:5555", "ws://127.0.0.1:5555", "", "tcp://"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (!lfd_endpoint_is_local(local[i]))
            lfd_test_fail_at(__FILE__, __LINE__, "'%s' should be loopback-only", local[i]);
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (lfd_endpoint_is_local(wide[i]))
            lfd_test_fail_at(__FILE__, __LINE__, "'%s' is not loopback-only", wide[i]);
}

/* binds a server on ep; returns the status (and the endpoint bound) */
static int try_bind(const char *ep, int insecure, char *bound, size_t boundsz, lfd_err *err)
{
    lfd_policy *p = th_mlp_policy("walk", 4, 2, 2, 8, 1, NULL);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = ep;
    cfg.insecure = insecure;
    lfd_server *s;
    int rc = lfd_server_new(&s, &cfg, err);
    if (rc)
        return rc;
    if ((rc = lfd_server_add_policy(s, p, NULL, err)) == LFD_OK)
        rc = lfd_server_bind(s, err);
    snprintf(bound, boundsz, "%s", rc == LFD_OK ? lfd_server_endpoint(s) : "");
    lfd_server_free(&s);
    return rc;
}

TEST(serve_bind_refuses_source_address_form_and_wide_binds)
{
    if (!own_netns())
        SKIP("needs root for a network namespace (never binds a wide address outside one)");
    char bound[1024];
    lfd_err err = {0};
    /* the bypass of issue 19: listened on every interface without --curve */
    static const char *const semi[] = {"tcp://127.0.0.1:1;0.0.0.0:47000",
                                       "tcp://127.0.0.1:1;*:47001", "tcp://lo;0.0.0.0:47002"};
    for (int i = 0; i < 3; i++) {
        for (int insecure = 0; insecure < 2; insecure++) {
            int rc = try_bind(semi[i], insecure, bound, sizeof bound, &err);
            if (rc == LFD_OK)
                lfd_test_fail_at(__FILE__, __LINE__, "'%s' was bound (as %s)", semi[i], bound);
            else
                CHECK_CONTAINS(err.msg, "source address");
        }
    }
    /* wide addresses without CURVE are refused; --insecure allows them */
    CHECK_EQ_INT(try_bind("tcp://0.0.0.0:*", 0, bound, sizeof bound, &err), LFD_EDENIED);
    CHECK_CONTAINS(err.msg, "--curve");
    CHECK_EQ_INT(try_bind("tcp://*:*", 0, bound, sizeof bound, &err), LFD_EDENIED);
    CHECK_EQ_INT(try_bind("tcp://[::]:*", 0, bound, sizeof bound, &err), LFD_EDENIED);
    CHECK_OK(try_bind("tcp://0.0.0.0:*", 1, bound, sizeof bound, &err), &err);
    CHECK_CONTAINS(bound, "tcp://0.0.0.0:");
    /* loopback spellings bind, and what was bound is loopback */
    static const char *const lo[] = {"tcp://127.0.0.1:*", "tcp://lo:*", "tcp://127.1:*",
                                     "tcp://[::1]:*", "tcp://[::ffff:127.0.0.1]:*"};
    for (int i = 0; i < 5; i++) {
        int rc = try_bind(lo[i], 0, bound, sizeof bound, &err);
        if (rc != LFD_OK) {
            lfd_test_fail_at(__FILE__, __LINE__, "'%s': %s", lo[i], err.msg);
            continue;
        }
        CHECK(lfd_endpoint_is_local(bound));
    }
}

/* `lfd serve` itself refuses the bypass at once (exit 2, nothing bound) */
TEST(serve_cli_refuses_source_address_bind)
{
    if (!own_netns())
        SKIP("needs root for a network namespace (never binds a wide address outside one)");
    lfd_policy *p = th_mlp_policy("walk", 4, 2, 2, 8, 1, "walk.lfdp");
    char args[2048], out[4096];
    snprintf(args, sizeof args, "serve %s/walk.lfdp --bind 'tcp://127.0.0.1:1;0.0.0.0:47000'",
             lfd_test_tmpdir());
    int rc = lfd_test_run_lfd(args, out, sizeof out);
    CHECK(rc != 0);
    CHECK_CONTAINS(out, "source address");
    lfd_policy_free(&p);
}
