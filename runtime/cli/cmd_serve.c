/*  `lfd serve` and `lfd keygen`: serve policies to robot controllers over
    ZeroMQ (runtime/lfd_server.h), and make CURVE key pairs for it
    (runtime/lfd_keys.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "core/lfd_sha256.h"
#include "core/lfd_util.h"
#include "robots/lfd_robot.h"
#include "runtime/cli/lfd_cli.h"
#include "runtime/lfd_keys.h"
#include "runtime/lfd_playback.h"
#include "runtime/lfd_server.h"

static lfd_server *volatile g_server;

static void on_signal(int sig)
{
    (void)sig;
    if (g_server)
        lfd_server_stop(g_server);
}

static void print_policy(const lfd_policy *p, const char *path)
{
    printf("serving '%s': %s, %d observations -> %d x %d actions every %.4g ms, hash %.12s "
           "(%s)\n",
           p->name, p->kind == LFD_POLICY_MLP ? "mlp" : "playback", p->obs_dim, p->chunk,
           p->act_dim, p->control_period_s * 1e3, p->hash, path);
}

static int run_serve(const lfd_cmd *cmd, int argc, char **argv)
{
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    const char *bind = LFD_SERVER_DEFAULT_BIND, *curve = NULL, *robot = NULL;
    int watch = 0, insecure = 0, max_sessions = cfg.max_sessions, max_batch = cfg.max_batch;
    int per_key = cfg.max_sessions_per_key;
    int max_msg = (int)cfg.max_msg_bytes;
    double deadline_ms = 0, idle_s = cfg.idle_s, period_ms = 20;
    int chunk = 10;
    lfd_opt opts[] = {
        {"bind", 'b', LFD_OPT_STR, &bind, "ENDPOINT",
         "where to listen (default " LFD_SERVER_DEFAULT_BIND ", loopback only)"},
        {"curve", 0, LFD_OPT_STR, &curve, "KEYDIR",
         "CURVE encryption: KEYDIR/server.key, clients allowed by KEYDIR/clients/*.pub"},
        {"watch", 'w', LFD_OPT_FLAG, &watch, NULL,
         "reload a policy file replaced on disk (atomically, or not at all)"},
        {"deadline-ms", 0, LFD_OPT_DOUBLE, &deadline_ms, "MS",
         "answer a hold action when an act takes longer (default: no deadline)"},
        {"max-sessions", 0, LFD_OPT_INT, &max_sessions, "N",
         "clients at once (default 64; when full, the least recently active session ends)"},
        {"max-sessions-per-key", 0, LFD_OPT_INT, &per_key, "N",
         "with --curve: sessions one client key may hold (default 16)"},
        {"idle-s", 0, LFD_OPT_DOUBLE, &idle_s, "S", "a silent client's session ends after S s (60)"},
        {"max-msg-bytes", 0, LFD_OPT_INT, &max_msg, "N", "larger requests are refused (65536)"},
        {"max-batch", 0, LFD_OPT_INT, &max_batch, "N",
         "act requests inferred together (16; 1 = no batching)"},
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH",
         "the robot: policies for it are checked against it (limits, default pose), and "
         "MOTION.lfdm files are served as playback policies for it"},
        {"period-ms", 0, LFD_OPT_DOUBLE, &period_ms, "MS",
         "playback: time between the actions of a chunk (20)"},
        {"chunk", 0, LFD_OPT_INT, &chunk, "N", "playback: actions per chunk (10)"},
        {"insecure", 0, LFD_OPT_FLAG, &insecure, NULL,
         "allow a non-loopback bind without CURVE (trusted networks only)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, LFD_SERVER_MAX_POLICIES)))
        return lfd_args_exit(rc);
    if (!(deadline_ms >= 0 && deadline_ms < 1e9) || max_msg < 256)
        return lfd_cli_usage_error(cmd, "--deadline-ms must be >= 0 (and finite) and --max-msg-bytes >= 256");
    /* a bind no controller could reach (found by review): an in-process
       endpoint, or a TCP port past 65535 (libzmq kept its low 16 bits and
       listened elsewhere) */
    if (!strncmp(bind, "inproc://", 9))
        return lfd_cli_usage_error(cmd, "--bind %s: an inproc endpoint is reachable from this process only", bind);
    if (!strncmp(bind, "tcp://", 6)) {
        const char *colon = strrchr(bind, ':');
        char *end = NULL;
        long port = colon && colon[1] != '*' ? strtol(colon + 1, &end, 10) : 0;
        if (colon && colon[1] != '*' && (end == colon + 1 || *end || port < 0 || port > 65535))
            return lfd_cli_usage_error(cmd, "--bind %s: the port must be 0 to 65535, or *", bind);
    }
    cfg.bind = bind;
    cfg.curve_dir = curve;
    cfg.watch = watch;
    cfg.insecure = insecure;
    cfg.deadline_s = deadline_ms * 1e-3;
    cfg.max_sessions = max_sessions;
    cfg.max_sessions_per_key = per_key;
    cfg.idle_s = idle_s;
    cfg.max_msg_bytes = (size_t)max_msg;
    cfg.max_batch = max_batch;
    lfd_err err = {0};
    lfd_server *s;
    if ((rc = lfd_server_new(&s, &cfg, &err)))
        return lfd_cli_error(cmd, &err);
    /* the robot the policies are checked against (without --robot, the
       built-in robot each policy names; lfd_server_use_robot) */
    lfd_robot *robot_desc = NULL;
    if (robot) {
        if ((rc = lfd_robot_load(&robot_desc, robot, &err)))
            goto fail;
        lfd_server_use_robot(s, robot_desc);
    }
    for (int i = 0; i < npos; i++) {
        lfd_policy *p;
        if (lfd_util_has_suffix(pos[i], ".lfdm")) {
            /* a checked motion, served as a playback policy for --robot */
            if (!robot) {
                lfd_server_free(&s);
                return lfd_cli_usage_error(cmd, "%s: serving a motion needs --robot NAME|PATH",
                                           pos[i]);
            }
            lfd_motion m;
            char hex[65], name[LFD_POLICY_NAME_MAX], tmp[4096];
            snprintf(tmp, sizeof tmp, "%s", pos[i]);
            const char *base = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp;
            snprintf(name, sizeof name, "%.*s", (int)(strlen(base) - 5 < 60 ? strlen(base) - 5 : 60),
                     base);
            if ((rc = lfd_motion_read(&m, pos[i], &err)))
                goto fail;
            rc = lfd_file_sha256_hex(pos[i], hex, &err);
            if (rc == LFD_OK)
                rc = lfd_playback_from_motion(&m, robot_desc, name, period_ms * 1e-3, chunk,
                                              pos[i], hex, &p, &err);
            lfd_motion_free(&m);
            if (rc)
                goto fail;
            /* its identity is the file's SHA-256, as for a policy file (not the
               encoding of the playback policy, which held the path as typed) */
            snprintf(p->hash, sizeof p->hash, "%s", hex);
            print_policy(p, pos[i]);
            if ((rc = lfd_server_add_policy(s, p, NULL, &err)))
                goto fail;
            if (watch)
                lfd_warn("%s: --watch reloads .lfdp files only; this motion is served as loaded",
                         pos[i]);
            continue;
        }
        if ((rc = lfd_policy_load(&p, pos[i], &err)))
            goto fail;
        print_policy(p, pos[i]);
        /* a policy for another robot than --robot is served (one server may
           serve several robots), checked against the robot it names, and its
           hello refuses a controller of --robot's robot: said here, naming
           both (it was served without a word) */
        char pname[LFD_POLICY_NAME_MAX], probot[LFD_POLICY_NAME_MAX]; /* p is the server's after */
        snprintf(pname, sizeof pname, "%s", p->name);
        snprintf(probot, sizeof probot, "%s", p->robot);
        if ((rc = lfd_server_add_policy(s, p, pos[i], &err)))
            goto fail;
        if (robot_desc && probot[0] && strcmp(probot, robot_desc->name))
            lfd_warn("policy '%s' (%s) is for robot '%s', not --robot %s ('%s'): it was checked "
                     "against '%s', and a controller saying hello as '%s' is refused",
                     pname, pos[i], probot, robot, robot_desc->name, probot, robot_desc->name);
    }
    if ((rc = lfd_server_bind(s, &err)))
        goto fail;
    printf("listening on %s%s%s%s\n", lfd_server_endpoint(s), curve ? " (CURVE)" : "",
           watch ? ", watching the policy files" : "",
           deadline_ms > 0 ? ", with a deadline" : "");
    fflush(stdout);
    /* SIGINT / SIGTERM end the loop cleanly (no SA_RESTART: the poll wakes) */
    g_server = s;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = lfd_server_run(s, &err);
    g_server = NULL;
    lfd_server_stats st;
    lfd_server_get_stats(s, &st);
    double n = st.acts ? (double)st.acts : 1;
    printf("served %llu messages in %.1f s: %llu acts (%llu holds, %llu deadline misses), "
           "%llu errors, %llu dropped replies, %llu sessions, %llu reloads (%llu refused); "
           "mean per act: decode %.2f, normalise %.2f, infer %.2f, filter %.2f, encode %.2f, "
           "whole %.2f us\n",
           (unsigned long long)st.messages, st.uptime_s, (unsigned long long)st.acts,
           (unsigned long long)st.holds, (unsigned long long)st.deadline_misses,
           (unsigned long long)st.errors, (unsigned long long)st.dropped_replies,
           (unsigned long long)st.sessions_created, (unsigned long long)st.reloads,
           (unsigned long long)st.reload_failures, st.decode_us / n, st.normalise_us / n,
           st.infer_us / n, st.filter_us / n, st.encode_us / n, st.handle_us / n);
    lfd_server_free(&s);
    lfd_robot_free(&robot_desc); /* after the server, which borrowed it */
    if (rc)
        return lfd_cli_error(cmd, &err);
    return LFD_EXIT_OK;
fail:
    lfd_server_free(&s);
    lfd_robot_free(&robot_desc);
    return lfd_cli_error(cmd, &err);
}

LFD_COMMAND(cmd_serve, "serve", "serve policies to robot controllers over ZeroMQ",
            "POLICY.lfdp|MOTION.lfdm... [options]",
            "Serves each policy under its name on one ZeroMQ ROUTER socket; controllers\n"
            "connect with the C client library (runtime/lfd_client.h) or the Python client\n"
            "(runtime/python/lfd_client.py).  The protocol is in docs/protocol.md: hello\n"
            "(the schema is checked here), act, reset, ping, stats.  Every action passes\n"
            "the safety filter (joint ranges, velocity and acceleration limits, NaN).\n"
            "A motion file (.lfdm, with --robot) is served as a playback policy named\n"
            "after the file: observation time_s, actions the motion's joint angles,\n"
            "limits and default pose from the robot description.\n"
            "Each policy is checked against its robot before it is served (and again\n"
            "when --watch reloads it): its action ranges must lie within the joint\n"
            "ranges, its velocity and acceleration limits must not exceed the robot's\n"
            "and its default action must be the robot's default pose.  The robot is\n"
            "--robot when the policy names it, else the built-in robot the policy\n"
            "names (with --robot, that policy is served with a warning naming both\n"
            "robots); a policy whose robot cannot be loaded is refused with --robot, and\n"
            "served with a warning (its own finite limits, unchecked) without.\n"
            "Runs until SIGINT or SIGTERM, then prints its counters.",
            run_serve)

static int run_keygen(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *dir = ".";
    int force = 0;
    lfd_opt opts[] = {{"dir", 'd', LFD_OPT_STR, &dir, "DIR", "where to write (default .)"},
                      {"force", 0, LFD_OPT_FLAG, &force, NULL,
                       "replace an existing NAME.key / NAME.pub (peers holding the old .pub are locked out)"},
                      {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    const char *name = pos[0];
    if (!name[0] || strchr(name, '/'))
        return lfd_cli_usage_error(cmd, "NAME is a file name without '/'");
    lfd_err err = {0};
    char pub[41];
    if ((rc = lfd_keys_generate_ex(dir, name, force, pub, &err)))
        return lfd_cli_error(cmd, &err);
    printf("wrote %s/%s.key (secret, keep it private) and %s/%s.pub\npublic %s\n", dir, name,
           dir, name, pub);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_keygen, "keygen", "make a CURVE key pair for lfd serve and its clients",
            "NAME [--dir DIR] [--force]",
            "Writes DIR/NAME.key (public and secret key, mode 0600) and DIR/NAME.pub.\n"
            "An existing pair is not overwritten (exit 2) without --force: a new key\n"
            "locks out every peer that holds the old .pub.\n"
            "A server key folder for `lfd serve --curve KEYDIR`:\n"
            "  lfd keygen server --dir KEYDIR            (the server's pair)\n"
            "  lfd keygen robot1 --dir robot1-keys       (on the controller)\n"
            "  cp robot1-keys/robot1.pub KEYDIR/clients/ (allow that controller)\n"
            "Clients need KEYDIR/server.pub and their own .key file.",
            run_keygen)
