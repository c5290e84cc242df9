/*  `lfd ctl-demo`: an example controller driving a MuJoCo simulation of a
    robot from a served policy at 500 Hz (runtime/lfd_ctl.h). */
#include <string.h>

#include "runtime/cli/lfd_cli.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "core/lfd_motion.h"
#include "core/lfd_sha256.h"
#include "policies/lfd_obs.h"
#include "policies/lfd_policy.h"
#include "runtime/lfd_ctl.h"
#include "runtime/lfd_keys.h"
#include "runtime/lfd_playback.h"
#include "runtime/lfd_server.h"

/* a run whose ticks were stale (no fresh chunk for stale_periods) more than
   this share of the time fails, the robot standing or not */
#define CTL_STALE_FAIL_SHARE 0.05

static int run_ctl(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *robot = NULL, *motion = NULL, *endpoint = NULL, *policy = NULL, *curve = NULL;
    const char *key = NULL, *pfile = NULL;
    double hz = 500, seconds = 0;
    lfd_opt opts[] = {
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH", "the robot to simulate: built-in name, .robot or .xml path (required)"},
        {"motion", 'm', LFD_OPT_STR, &motion, "FILE.lfdm",
         "serve this motion here (playback) and track it; with --endpoint: the reference only"},
        {"endpoint", 0, LFD_OPT_STR, &endpoint, "ENDPOINT", "use a running lfd serve"},
        {"e", 'e', LFD_OPT_ALIAS, NULL, "endpoint", NULL}, /* -e is train's --epochs */
        {"policy", 'p', LFD_OPT_STR, &policy, "NAME", "the served policy (with --endpoint)"},
        {"policy-file", 0, LFD_OPT_STR, &pfile, "FILE.lfdp",
         "observe what this policy observes; without --endpoint, serve it here"},
        {"hz", 0, LFD_OPT_DOUBLE, &hz, "HZ", "control rate (default 500)"},
        {"seconds", 's', LFD_OPT_DOUBLE, &seconds, "S",
         "how long (default: the motion's length, else 5)"},
        {"server-key", 0, LFD_OPT_STR, &curve, "FILE.pub", "CURVE: the server's public key"},
        {"key", 0, LFD_OPT_STR, &key, "FILE.key", "CURVE: this controller's key pair"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 0, 0)))
        return lfd_args_exit(rc);
    if (!robot)
        return lfd_cli_usage_error(cmd, "--robot is required");
    /* checked before anything loads or serves (found by review: a negative or
       NaN --seconds fell back to the motion's length, and --hz 0 was refused
       only after the server had started) */
    int fell = 0, blind = 0, held = 0;
    if (!(hz >= 1 && hz <= 10000))
        return lfd_cli_range_error(cmd, "hz", hz, "1 to 10000");
    if (lfd_args_given("seconds") && !(seconds > 0 && seconds <= 3600))
        return lfd_cli_range_error(cmd, "seconds", seconds, "above 0, at most 3600 s");
    if (!motion && !endpoint && !pfile)
        return lfd_cli_usage_error(cmd, "give --motion FILE.lfdm, --policy-file, or --endpoint and "
                                        "--policy");
    if (endpoint && !policy && pfile) {
        /* the served policy's name is the file's */
    } else if (endpoint && !policy)
        return lfd_cli_usage_error(cmd, "--endpoint needs --policy NAME");
    if (!curve != !key)
        return lfd_cli_usage_error(cmd, "CURVE needs both --server-key and --key");
    lfd_err err = {0};
    lfd_robot *r = NULL;
    lfd_motion m;
    int have_motion = 0;
    lfd_server *srv = NULL;
    lfd_policy *pf = NULL;
    lfd_obs_layout *L = NULL;
    char spub[41], pub[41], sec[41];
    if ((rc = lfd_robot_load(&r, robot, &err)))
        return lfd_cli_error(cmd, &err);
    if (motion) {
        if ((rc = lfd_motion_read(&m, motion, &err)))
            goto fail;
        have_motion = 1;
        /* a motion of another robot is refused on every path (with
           --endpoint it was taken silently and its reference dropped) */
        if ((rc = lfd_robot_motion_check(r, &m, &err))) {
            lfd_err_prefix(&err, "%s", motion);
            goto fail;
        }
    }
    if (curve && ((rc = lfd_keys_read(curve, spub, NULL, &err)) ||
                  (rc = lfd_keys_read(key, pub, sec, &err))))
        goto fail;
    char ep[1024], pname[LFD_POLICY_NAME_MAX];
    if (pfile) {
        /* the policy's observation schema, rebuilt for this robot */
        if ((rc = lfd_policy_load(&pf, pfile, &err)))
            goto fail;
        if (pf->robot[0] && strcmp(pf->robot, r->name)) {
            rc = lfd_fail(&err, LFD_EMISMATCH, "%s: policy '%s' is for robot '%s', not '%s'", pfile,
                          pf->name, pf->robot, r->name);
            goto fail;
        }
        snprintf(pname, sizeof pname, "%s", pf->name);
        if (!policy)
            policy = pname;
        if (pf->kind == LFD_POLICY_MLP) {
            if (!(L = malloc(sizeof *L))) {
                rc = lfd_fail(&err, LFD_ENOMEM, "out of memory");
                goto fail;
            }
            if ((rc = lfd_obs_layout_from_names(L, r, pf->obs_dim,
                                                (const char(*)[64])pf->obs_names, pf->driven,
                                                pf->ndriven, &err))) {
                lfd_err_prefix(&err, "%s", pfile);
                goto fail;
            }
        }
    }
    if (!endpoint && pf) {
        /* serve the policy file here, over a real loopback connection */
        lfd_server_config cfg;
        lfd_server_config_init(&cfg);
        cfg.bind = "tcp://127.0.0.1:*";
        if ((rc = lfd_server_new(&srv, &cfg, &err)))
            goto fail;
        lfd_server_use_robot(srv, r); /* the policy must fit the simulated robot */
        rc = lfd_server_add_policy(srv, pf, NULL, &err);
        pf = NULL; /* the server owns it now, even on failure */
        if (rc || (rc = lfd_server_bind(srv, &err)) || (rc = lfd_server_start(srv, &err)))
            goto fail;
        snprintf(ep, sizeof ep, "%s", lfd_server_endpoint(srv));
        endpoint = ep;
        printf("serving '%s' (%s) on %s\n", pname, pfile, ep);
    } else if (!endpoint) {
        /* serve the motion here, over a real loopback connection */
        char tmp[4096], hex[65];
        snprintf(tmp, sizeof tmp, "%s", motion);
        snprintf(pname, sizeof pname, "%.40s", basename(tmp));
        char *dot = strrchr(pname, '.');
        if (dot)
            *dot = '\0';
        lfd_policy *p;
        lfd_server_config cfg;
        lfd_server_config_init(&cfg);
        cfg.bind = "tcp://127.0.0.1:*";
        if ((rc = lfd_file_sha256_hex(motion, hex, &err)) ||
            (rc = lfd_playback_from_motion(&m, r, pname, 0.02, 10, motion, hex, &p, &err)) ||
            (rc = lfd_server_new(&srv, &cfg, &err)) ||
            (lfd_server_use_robot(srv, r), 0) ||
            (rc = lfd_server_add_policy(srv, p, NULL, &err)) || (rc = lfd_server_bind(srv, &err)) ||
            (rc = lfd_server_start(srv, &err)))
            goto fail;
        snprintf(ep, sizeof ep, "%s", lfd_server_endpoint(srv));
        endpoint = ep;
        policy = pname;
        printf("serving '%s' (playback of %s) on %s\n", pname, motion, ep);
    }
    lfd_ctl_opts o;
    lfd_ctl_opts_init(&o);
    o.endpoint = endpoint;
    o.policy = policy;
    o.hz = hz;
    o.seconds = seconds > 0 ? seconds : have_motion ? lfd_motion_duration_s(&m) : 5;
    if (o.seconds <= 0)
        o.seconds = 1;
    o.ref = have_motion ? &m : NULL;
    o.obs = L;
    if (curve) {
        o.server_key = spub;
        o.public_key = pub;
        o.secret_key = sec;
    }
    printf("driving %s at %g Hz for %.2f s from '%s' on %s\n", r->name, hz, o.seconds, policy,
           endpoint);
    fflush(stdout);
    lfd_ctl_report rep;
    rc = lfd_ctl_run(r, &o, &rep, &err);
    if (rc == LFD_EMISMATCH && !L && strstr(err.msg, "obs_names")) {
        /* Without --policy-file the controller can only observe "time_s"
           (a playback policy); a trained policy's observation (joint
           state, gravity, previous action, phase) is rebuilt from the
           schema stored in its file.  Say so instead of leaving the
           server's schema error as the last word. */
        char msg[LFD_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err.msg);
        lfd_fail(&err, rc,
                 "policy '%s' observes more than time_s (a trained MLP policy): give "
                 "--policy-file FILE.lfdp, the file the server serves, so the controller can build "
                 "its observation (%.300s)",
                 policy, msg);
    }
    if (rc == LFD_ETIMEOUT && !srv && !curve && strstr(err.msg, "no answer from")) {
        /* a CURVE server drops a plain client's messages unanswered: the
           timeout was the last word, with nothing pointing at the keys */
        char msg[LFD_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err.msg);
        lfd_fail(&err, rc, "%.400s (a server started with --curve needs --server-key and --key)", msg);
    }
    if (rc == LFD_OK)
        lfd_ctl_print(&rep, hz);
    fell = rc == LFD_OK && rep.fell;
    /* the controller blind for a share of its ticks (the server went away,
       the link stalled) is a failed run too, though the robot may stand:
       it exited 0 with 47 % of the ticks stale (review) */
    int nt = rep.ticks;
    blind = rc == LFD_OK && nt > 0 && rep.ticks_stale > CTL_STALE_FAIL_SHARE * nt;
    if (blind)
        fprintf(stderr, "lfd ctl-demo: the controller had no fresh chunk for %d of %d ticks (%.0f %%, stale: the "
                        "watchdog held the last command): the server or the link failed\n",
                rep.ticks_stale, nt, 100.0 * rep.ticks_stale / nt);
    /* a joint held on damping: the controller met a non-finite torque (a NaN
       reached it past the filters), a fault whatever the robot did */
    held = rc == LFD_OK && rep.torque_held > 0;
    if (held)
        fprintf(stderr, "lfd ctl-demo: the controller held joints on damping at %d ticks: a torque was not "
                        "finite\n", rep.torque_held);
fail:
    lfd_server_free(&srv); /* stops and joins its thread */
    lfd_policy_free(&pf);
    free(L);
    if (have_motion)
        lfd_motion_free(&m);
    lfd_robot_free(&r);
    if (rc)
        return lfd_cli_error(cmd, &err);
    return fell || blind || held ? LFD_EXIT_FAIL : LFD_EXIT_OK; /* the verdict: the robot fell (it exited 0) */
}


LFD_COMMAND(cmd_ctl_demo, "ctl-demo", "drive a simulated robot from a served policy at 500 Hz",
            "--robot NAME|PATH (--motion FILE.lfdm | --policy-file FILE.lfdp | --endpoint EP "
            "(--policy NAME | --policy-file FILE.lfdp)) [options]",
            "An example controller on the C client library: a MuJoCo simulation of the\n"
            "robot stepped in lockstep with a real-time clock at --hz, each tick reading\n"
            "the interpolated, filtered action from the client's local chunk buffer\n"
            "(never waiting on the network) and applying lfd's PD + feed-forward control.\n"
            "Prints a cadence report: achieved rate, overruns, tick times, action reads,\n"
            "tick states (fresh, late, stale), and with a motion the tracking error and\n"
            "whether the robot fell.  With --motion alone the motion is served here as a\n"
            "playback policy over a loopback connection.  With --policy-file (a trained\n"
            "MLP policy) the controller builds that policy's observation from the\n"
            "simulated robot every tick (joint state, gravity, angular velocity, previous\n"
            "action, phase over the motion's or the run's duration) and, without\n"
            "--endpoint, serves the file here.  With --endpoint, --policy NAME alone is\n"
            "enough for a playback policy (a served motion, observation time_s); a\n"
            "trained MLP policy also needs --policy-file (the served file), since its\n"
            "observation is built from the schema stored there.",
            run_ctl)
