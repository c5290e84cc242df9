/*  The client library links on its own: builds examples/client_minimal.c
    against liblfdclient.a alone (no liblfd.a, no OpenBLAS, no MuJoCo, no
    -lmsgpackc) and runs it against a server; its header brings no msgpack
    or ZeroMQ header into the controller's build. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

TEST(serve_client_library_links_alone)
{
    char bin[1024], build[1024], cmd[4096], out[4096];
    snprintf(bin, sizeof bin, "%s", lfd_test_lfd_bin());
    snprintf(build, sizeof build, "%s", dirname(bin));
#ifdef __SANITIZE_ADDRESS__
    const char *san = "-fsanitize=address,undefined";
#else
    const char *san = "";
#endif
    /* lfd_client.h is self-contained: a controller's build sees no msgpack
       (or ZeroMQ) header through it (issue 18) */
    snprintf(cmd, sizeof cmd, "cc -std=c11 -I. -M examples/client_minimal.c 2>&1");
    FILE *dp = popen(cmd, "r");
    size_t dn = dp ? fread(out, 1, sizeof out - 1, dp) : 0;
    out[dn] = '\0';
    CHECK_EQ_INT(dp ? pclose(dp) : -1, 0);
    CHECK_CONTAINS(out, "runtime/lfd_client.h");
    if (strstr(out, "msgpack") || strstr(out, "zmq.h"))
        lfd_test_fail_at(__FILE__, __LINE__, "lfd_client.h pulls in:\n%s", out);
    char prog[1100];
    snprintf(prog, sizeof prog, "%s/client_minimal", lfd_test_tmpdir());
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -Wall -Wextra -Werror %s -I. examples/client_minimal.c "
             "%s/liblfdclient.a -lzmq -lpthread -lm -o %s 2>&1",
             san, build, prog);
    FILE *fp = popen(cmd, "r");
    size_t n = fp ? fread(out, 1, sizeof out - 1, fp) : 0;
    out[n] = '\0';
    int st = fp ? pclose(fp) : -1;
    if (st)
        fprintf(stderr, "%s\n%s\n", cmd, out);
    CHECK_EQ_INT(st, 0);
    if (st)
        return;
    lfd_policy *p = th_mlp_policy("walk", 9, 4, 5, 16, 2, "walk.lfdp");
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL))
        return;
    snprintf(cmd, sizeof cmd, "%s %s walk 9 4 2>&1", prog, ts.endpoint);
    fp = popen(cmd, "r");
    n = fp ? fread(out, 1, sizeof out - 1, fp) : 0;
    out[n] = '\0';
    st = fp ? pclose(fp) : -1;
    CHECK_EQ_INT(st, 0);
    CHECK_CONTAINS(out, "client_minimal ok: policy walk");
    /* a schema the server does not serve is refused, exit 1 */
    snprintf(cmd, sizeof cmd, "%s %s walk 9 3 2>&1", prog, ts.endpoint);
    fp = popen(cmd, "r");
    n = fp ? fread(out, 1, sizeof out - 1, fp) : 0;
    out[n] = '\0';
    st = fp ? pclose(fp) : -1;
    CHECK(st != 0);
    CHECK_CONTAINS(out, "schema_mismatch");
    th_server_stop(&ts);
}
