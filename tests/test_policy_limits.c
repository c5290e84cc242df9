/*  Tests for the safety filter's limits against the robot: a policy file's
    act_lo / act_hi / vel_limit / acc_limit / default_action are what the
    server's filter enforces, so they must be finite (lfd_policy_validate)
    and must be the robot's (lfd_policy_check_robot: ranges within the
    joints', velocity and acceleration limits not larger, the same default
    pose), wherever a policy meets its robot: lfd eval, the server's load
    and reload paths (lfd serve, ctl-demo) and the controller's hello.

    Before: a file edited to act_lo = -inf, act_hi = +inf, vel_limit = inf
    (checksum recomputed) loaded and was served, and a client received
    right_shoulder_roll_joint = 9.8 rad on a joint whose range is
    [-3.11, 0.34]; a robot description with another default pose and
    velocity limits was accepted by eval because the model hash covers the
    MJCF only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_seal.h"
#include "policies/lfd_bc.h"
#include "policies/lfd_policy.h"
#include "robots/lfd_robot.h"
#include "runtime/lfd_server.h"
#include "policies/lfd_track.h"
#include "tests/lfd_test.h"

/* the joint the reviewer's client saw 9.8 rad on */
#define JOINT "right_shoulder_roll_joint"

static lfd_robot *load_h1(void)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, "h1", &err), &err);
    return r;
}

/* An MLP policy for r observing time_s, with r's schema, limits and default
   pose (what lfd train writes), named name. */
static lfd_policy *robot_policy(const lfd_robot *r, const char *name)
{
    lfd_err err = {0};
    lfd_policy *p = NULL;
    if (lfd_policy_new(&p, LFD_POLICY_MLP, 1, r->njoints, 2, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->obs_names[0], sizeof p->obs_names[0], "time_s");
    snprintf(p->obs_units[0], sizeof p->obs_units[0], "s");
    p->control_period_s = 0.02;
    lfd_bc_policy_actions(p, r);
    int dims[3] = {1, 4, 2 * r->njoints};
    lfd_activation acts[2] = {LFD_ACT_TANH, LFD_ACT_LINEAR};
    if (lfd_mlp_new(&p->mlp, 2, dims, acts, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        lfd_policy_free(&p);
        return NULL;
    }
    lfd_mlp_init_random(p->mlp, 7);
    return p;
}

static int joint_index(const lfd_robot *r, const char *name)
{
    int j = lfd_robot_find_joint(r, name);
    if (j < 0) {
        lfd_test_fail_at(__FILE__, __LINE__, "h1 has no joint %s", name);
        return 0;
    }
    return j;
}

/* Writes p's encoding with the float `from` replaced by `to` wherever its
   four bytes occur, sealed again: what an editor of the file would do. */
static int write_patched(const lfd_policy *p, const char *path, const float *from,
                         const float *to, int n)
{
    lfd_err err = {0};
    lfd_buf b;
    if (lfd_policy_encode(p, &b, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return -1;
    }
    size_t body = b.len - LFD_SEAL_LEN;
    for (int k = 0; k < n; k++) {
        int hits = 0;
        for (size_t i = 0; i + 4 <= body; i++)
            if (!memcmp(b.data + i, &from[k], 4)) {
                memcpy(b.data + i, &to[k], 4);
                hits++;
            }
        CHECK(hits >= 1);
    }
    b.len = body;
    int rc = lfd_seal_append(&b, &err);
    if (rc == LFD_OK)
        rc = lfd_file_write_atomic(path, b.data, b.len, &err);
    if (rc)
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
    lfd_buf_free(&b);
    return rc;
}

/* Copies h1 (description and MJCF) into dir/h1/, the entry of `joint` with
   its default pose and/or velocity limit replaced (NULL: as it was);
   writes the copy's description path into desc. */
static void robot_copy(const char *dir, const char *joint, const char *vel, const char *def,
                       char *desc, size_t descsz)
{
    lfd_err err = {0};
    char src[4096], srcdir[4096], dst[4096], path[4200];
    CHECK_OK(lfd_robot_resolve("h1", src, sizeof src, &err), &err);
    snprintf(srcdir, sizeof srcdir, "%s", src);
    char *slash = strrchr(srcdir, '/');
    if (slash)
        *slash = '\0';
    snprintf(dst, sizeof dst, "%s/h1", dir);
    char cmd[20000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp '%s/h1.xml' '%s/'", dst, dst,
             srcdir, dst);
    CHECK_EQ_INT(system(cmd), 0);
    uint8_t *text = NULL;
    size_t len = 0;
    CHECK_OK(lfd_file_read(src, 1 << 20, &text, &len, &err), &err);
    if (!text)
        return;
    snprintf(path, sizeof path, "%s/h1.robot", dst);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    char want[128];
    snprintf(want, sizeof want, "joint %s ", joint);
    int edited = 0;
    for (size_t i = 0; f && i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(e - i), (const char *)text + i);
        if (!strncmp(line, want, strlen(want))) {
            /* rewrite the key=value tokens asked for, keep the others */
            char out[1024] = "", *save = NULL;
            for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
                char piece[256];
                if (vel && !strncmp(tok, "vel=", 4))
                    snprintf(piece, sizeof piece, "vel=%s", vel);
                else if (def && !strncmp(tok, "default=", 8))
                    snprintf(piece, sizeof piece, "default=%s", def);
                else
                    snprintf(piece, sizeof piece, "%s", tok);
                strncat(out, piece, sizeof out - strlen(out) - 2);
                strncat(out, " ", sizeof out - strlen(out) - 1);
            }
            fprintf(f, "%s\n", out);
            edited++;
        } else {
            fprintf(f, "%s\n", line);
        }
        i = e + 1;
    }
    if (f)
        fclose(f);
    free(text);
    CHECK_EQ_INT(edited, 1);
    snprintf(desc, descsz, "%s", path);
}

/* Runs `lfd ARGS` under a time limit (a server that wrongly starts serving
   must not hang the test); returns the exit status, output in out. */
static int run_lfd_limited(const char *args, char *out, size_t outsz)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "timeout 30 %s %s 2>&1", lfd_test_lfd_bin(), args);
    FILE *fp = popen(cmd, "r");
    if (!fp)
        return -1;
    size_t n = fread(out, 1, outsz - 1, fp);
    out[n] = '\0';
    char sink[4096];
    while (fread(sink, 1, sizeof sink, fp) > 0) {
    }
    int st = pclose(fp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* ---- finite limits --------------------------------------------------------------- */

TEST(policy_limits_infinite_or_inverted_refused_naming_the_joint)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    lfd_policy *p = robot_policy(r, "lim");
    if (!p) {
        lfd_robot_free(&r);
        return;
    }
    int j = joint_index(r, JOINT);
    CHECK_OK(lfd_policy_validate(p, &err), &err);
    /* each bad value alone is refused, naming the joint */
    struct {
        float *at;
        float v;
        const char *says;
    } bad[] = {{&p->act_lo[j], -INFINITY, "range"},     {&p->act_hi[j], INFINITY, "range"},
               {&p->act_lo[j], NAN, "range"},           {&p->act_lo[j], 1.0f, "inverted"},
               {&p->vel_limit[j], INFINITY, "velocity"}, {&p->vel_limit[j], 0.0f, "velocity"},
               {&p->vel_limit[j], -1.0f, "velocity"},   {&p->vel_limit[j], NAN, "velocity"},
               {&p->acc_limit[j], INFINITY, "acceleration"},
               {&p->acc_limit[j], -1.0f, "acceleration"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        float keep = *bad[k].at;
        *bad[k].at = bad[k].v;
        err.msg[0] = '\0';
        CHECK_EQ_INT(lfd_policy_validate(p, &err), LFD_EARG);
        CHECK_CONTAINS(err.msg, JOINT);
        CHECK_CONTAINS(err.msg, bad[k].says);
        *bad[k].at = keep;
    }
    CHECK_OK(lfd_policy_validate(p, &err), &err);
    /* a policy fresh from lfd_policy_new has +-inf limits: not servable
       until they are filled in */
    lfd_policy *raw = NULL;
    CHECK_OK(lfd_policy_new(&raw, LFD_POLICY_MLP, 1, 1, 1, &err), &err);
    snprintf(raw->act_names[0], sizeof raw->act_names[0], "j0");
    raw->control_period_s = 0.02;
    CHECK_EQ_INT(lfd_policy_validate(raw, &err), LFD_EARG);
    CHECK_CONTAINS(err.msg, "j0");
    lfd_policy_free(&raw);
    /* the file the reviewer made: every limit infinite, checksum recomputed;
       load, `lfd policy info` and `lfd serve` refuse it */
    char path[1100], out[16384], args[4096];
    snprintf(path, sizeof path, "%s/inf.lfdp", lfd_test_tmpdir());
    float from[3] = {p->act_lo[j], p->act_hi[j], p->vel_limit[j]};
    /* unique values, so that only this joint's bytes are patched */
    p->act_lo[j] = from[0] = -1.2345678f;
    p->act_hi[j] = from[1] = 0.2345678f;
    p->vel_limit[j] = from[2] = 8.7654321f;
    float to[3] = {-INFINITY, INFINITY, INFINITY};
    if (write_patched(p, path, from, to, 3) == 0) {
        lfd_policy *q = NULL;
        CHECK_EQ_INT(lfd_policy_load(&q, path, &err), LFD_EARG);
        CHECK(q == NULL);
        CHECK_CONTAINS(err.msg, JOINT);
        CHECK_CONTAINS(err.msg, "not finite");
        snprintf(args, sizeof args, "policy info %s", path);
        CHECK(run_lfd_limited(args, out, sizeof out) != 0);
        CHECK_CONTAINS(out, JOINT);
        snprintf(args, sizeof args, "serve %s --bind ipc://%s/inf.ipc", path, lfd_test_tmpdir());
        int st = run_lfd_limited(args, out, sizeof out);
        CHECK(st != 0 && st != 124);
        CHECK_CONTAINS(out, JOINT);
    }
    lfd_policy_free(&p);
    lfd_robot_free(&r);
}

/* ---- the policy against its robot ------------------------------------------------ */

TEST(policy_limits_check_robot_compares_each_joint)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    lfd_policy *p = robot_policy(r, "lim");
    if (!p) {
        lfd_robot_free(&r);
        return;
    }
    int j = joint_index(r, JOINT);
    /* made from the robot: fits (float rounding of the robot's values too) */
    CHECK_OK(lfd_policy_check_robot(p, r, &err), &err);
    /* a range 2 rad wider (the reviewer's second file) */
    p->act_hi[j] += 2.0f;
    CHECK_EQ_INT(lfd_policy_check_robot(p, r, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, JOINT);
    CHECK_CONTAINS(err.msg, "range");
    char hi[32];
    snprintf(hi, sizeof hi, "%.7g]", r->joints[j].range_hi);
    CHECK_CONTAINS(err.msg, hi); /* the robot's upper bound */
    p->act_hi[j] -= 2.0f;
    p->act_lo[j] -= 1e-3f;
    CHECK_EQ_INT(lfd_policy_check_robot(p, r, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, JOINT);
    p->act_lo[j] += 1e-3f;
    /* a narrower range and a lower velocity limit are fine */
    p->act_lo[j] += 0.1f;
    p->act_hi[j] -= 0.1f;
    p->vel_limit[j] *= 0.5f;
    CHECK_OK(lfd_policy_check_robot(p, r, &err), &err);
    /* a larger velocity limit */
    p->vel_limit[j] = (float)r->joints[j].vel_max + 1.0f;
    CHECK_EQ_INT(lfd_policy_check_robot(p, r, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, JOINT);
    CHECK_CONTAINS(err.msg, "velocity");
    p->vel_limit[j] = (float)r->joints[j].vel_max;
    /* another default pose */
    p->default_action[j] = (float)r->joints[j].default_q + 0.5f;
    CHECK_EQ_INT(lfd_policy_check_robot(p, r, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, JOINT);
    CHECK_CONTAINS(err.msg, "default");
    p->default_action[j] = (float)r->joints[j].default_q;
    CHECK_OK(lfd_policy_check_robot(p, r, &err), &err);
    /* an acceleration limit the robot states: none (0) or a larger one is
       refused, a smaller one is fine */
    r->joints[j].acc_max = 50;
    CHECK_EQ_INT(lfd_policy_check_robot(p, r, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "acceleration");
    p->acc_limit[j] = 60;
    CHECK_EQ_INT(lfd_policy_check_robot(p, r, &err), LFD_EMISMATCH);
    p->acc_limit[j] = 40;
    CHECK_OK(lfd_policy_check_robot(p, r, &err), &err);
    r->joints[j].acc_max = 0;
    /* the bare-array form the controller uses on a server's hello */
    p->act_hi[j] += 2.0f;
    CHECK_EQ_INT(lfd_policy_check_limits("served", p->act_dim, p->default_action, p->act_lo,
                                         p->act_hi, p->vel_limit, p->acc_limit, r, &err),
                 LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, JOINT);
    lfd_policy_free(&p);
    lfd_robot_free(&r);
}

/* ---- the server's load and reload paths ------------------------------------------ */

TEST(policy_limits_server_refuses_limits_beyond_the_robot)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    int j = joint_index(r, JOINT);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    /* the robot the policy names (built-in h1), found by the server */
    lfd_server *s = NULL;
    CHECK_OK(lfd_server_new(&s, &cfg, &err), &err);
    lfd_policy *p = robot_policy(r, "wide");
    if (!s || !p) {
        lfd_server_free(&s);
        lfd_policy_free(&p);
        lfd_robot_free(&r);
        return;
    }
    p->act_lo[j] -= 2.0f;
    p->act_hi[j] += 2.0f;
    CHECK_EQ_INT(lfd_server_add_policy(s, p, NULL, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, JOINT);
    CHECK_CONTAINS(err.msg, "wide");
    /* the same with the robot given (lfd serve --robot) */
    lfd_server_use_robot(s, r);
    p = robot_policy(r, "wide");
    p->act_hi[j] += 2.0f;
    CHECK_EQ_INT(lfd_server_add_policy(s, p, NULL, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, JOINT);
    p = robot_policy(r, "fast");
    p->vel_limit[j] *= 4.0f;
    CHECK_EQ_INT(lfd_server_add_policy(s, p, NULL, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "velocity");
    /* one that fits is served */
    p = robot_policy(r, "fits");
    CHECK_OK(lfd_server_add_policy(s, p, NULL, &err), &err);
    /* a policy naming a robot that cannot be loaded: refused when the
       server has a robot of its own ... */
    p = robot_policy(r, "elsewhere");
    snprintf(p->robot, sizeof p->robot, "no-such-robot");
    CHECK_EQ_INT(lfd_server_add_policy(s, p, NULL, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "no-such-robot");
    lfd_server_free(&s);
    /* ... served with its own (finite) limits when it has none */
    CHECK_OK(lfd_server_new(&s, &cfg, &err), &err);
    p = robot_policy(r, "elsewhere");
    snprintf(p->robot, sizeof p->robot, "no-such-robot");
    CHECK_OK(lfd_server_add_policy(s, p, NULL, &err), &err);
    /* a path in the policy's robot field is not opened: it names a robot
       copy the policy does not fit (another default pose), which would
       refuse it; under /tmp, for a path that fits the field */
    char shortdir[64], pathy[4300];
    snprintf(shortdir, sizeof shortdir, "/tmp/lfd-pathy-%d", (int)getpid());
    robot_copy(shortdir, "right_shoulder_pitch_joint", NULL, "0.5", pathy, sizeof pathy);
    CHECK(strlen(pathy) < sizeof p->robot);
    p = robot_policy(r, "pathy");
    snprintf(p->robot, sizeof p->robot, "%.63s", pathy);
    CHECK_OK(lfd_server_add_policy(s, p, NULL, &err), &err);
    lfd_server_free(&s);
    char rmcmd[200];
    snprintf(rmcmd, sizeof rmcmd, "rm -rf '%s'", shortdir);
    CHECK_EQ_INT(system(rmcmd), 0);
    /* a robot copy with another default pose: a policy made from h1 does
       not fit it (the model hash, the MJCF's, is the same) */
    char desc[4300];
    robot_copy(lfd_test_tmpdir(), "right_shoulder_pitch_joint", NULL, "0.5", desc, sizeof desc);
    lfd_robot *copy = NULL;
    CHECK_OK(lfd_robot_load(&copy, desc, &err), &err);
    if (copy) {
        CHECK_STR(copy->model_hash, r->model_hash);
        CHECK_OK(lfd_server_new(&s, &cfg, &err), &err);
        lfd_server_use_robot(s, copy);
        p = robot_policy(r, "h1made");
        CHECK_EQ_INT(lfd_server_add_policy(s, p, NULL, &err), LFD_EMISMATCH);
        CHECK_CONTAINS(err.msg, "right_shoulder_pitch_joint");
        CHECK_CONTAINS(err.msg, "default");
        lfd_server_free(&s);
        lfd_robot_free(&copy);
    }
    lfd_robot_free(&r);
}

TEST(policy_limits_server_reload_goes_through_the_same_check)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    int j = joint_index(r, JOINT);
    const char *dir = lfd_test_tmpdir();
    char served[1100], wide[1100], good[1100];
    snprintf(served, sizeof served, "%s/reload_served.lfdp", dir);
    snprintf(wide, sizeof wide, "%s/reload_wide.lfdp", dir);
    snprintf(good, sizeof good, "%s/reload_good.lfdp", dir);
    lfd_policy *p = robot_policy(r, "arm");
    if (!p) {
        lfd_robot_free(&r);
        return;
    }
    CHECK_OK(lfd_policy_save(p, served, &err), &err);
    p->act_hi[j] += 2.0f;
    CHECK_OK(lfd_policy_save(p, wide, &err), &err); /* a file may hold it ... */
    p->act_hi[j] -= 2.0f;
    lfd_mlp_init_random(p->mlp, 11);
    CHECK_OK(lfd_policy_save(p, good, &err), &err);
    lfd_policy_free(&p);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.watch = 1;
    cfg.watch_interval_s = 0.02;
    lfd_server *s = NULL;
    CHECK_OK(lfd_server_new(&s, &cfg, &err), &err);
    if (!s) {
        lfd_robot_free(&r);
        return;
    }
    CHECK_OK(lfd_server_load_policy(s, served, &err), &err);
    CHECK_OK(lfd_server_bind(s, &err), &err); /* starts the watcher */
    /* ... but a reload to it is refused and the served policy stays */
    CHECK_EQ_INT(rename(wide, served), 0);
    lfd_server_stats st;
    for (int i = 0; i < 500; i++) {
        lfd_server_get_stats(s, &st);
        if (st.reload_failures)
            break;
        sleep_s(0.01);
    }
    CHECK_EQ_INT((int)st.reload_failures, 1);
    CHECK_OK(lfd_server_poll(s, 10, &err), &err);
    lfd_server_get_stats(s, &st);
    CHECK_EQ_INT((int)st.reloads, 0);
    /* a file that fits is reloaded */
    CHECK_EQ_INT(rename(good, served), 0);
    for (int i = 0; i < 500 && st.reloads == 0; i++) {
        CHECK_OK(lfd_server_poll(s, 10, &err), &err);
        lfd_server_get_stats(s, &st);
    }
    CHECK_EQ_INT((int)st.reloads, 1);
    CHECK_EQ_INT((int)st.reload_failures, 1);
    lfd_server_free(&s);
    lfd_robot_free(&r);
}

TEST(policy_limits_cli_serve_refuses_a_wide_policy)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    int j = joint_index(r, JOINT);
    const char *dir = lfd_test_tmpdir();
    char pol[1100], args[4096], out[16384];
    snprintf(pol, sizeof pol, "%s/cli_wide.lfdp", dir);
    lfd_policy *p = robot_policy(r, "cliwide");
    if (!p) {
        lfd_robot_free(&r);
        return;
    }
    p->act_lo[j] -= 2.0f;
    p->act_hi[j] += 2.0f;
    CHECK_OK(lfd_policy_save(p, pol, &err), &err);
    lfd_policy_free(&p);
    /* the built-in robot the policy names, and --robot */
    const char *robot[2] = {"", "--robot h1"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "serve %s %s --bind ipc://%s/wide.ipc", pol, robot[k], dir);
        int st = run_lfd_limited(args, out, sizeof out);
        CHECK(st != 0 && st != 124);
        CHECK_CONTAINS(out, JOINT);
        CHECK_CONTAINS(out, "range");
    }
    lfd_robot_free(&r);
}

/* ---- eval and ctl-demo with a changed robot description ----------------------------- */

TEST(policy_limits_eval_refuses_a_robot_copy_with_another_default)
{
    lfd_err err = {0};
    lfd_robot *r = load_h1();
    const char *dir = lfd_test_tmpdir();
    char mot[1100], pol[1100], cmd[8192], out[32768];
    snprintf(mot, sizeof mot, "%s/lim_demo.lfdm", dir);
    snprintf(pol, sizeof pol, "%s/lim_trained.lfdp", dir);
    lfd_motion m;
    lfd_bc_synth_opts so;
    lfd_bc_synth_opts_init(&so);
    so.seconds = 2;
    CHECK_OK(lfd_bc_synth_motion(r, &so, &m, &err), &err);
    CHECK_OK(lfd_motion_write(&m, mot, &err), &err);
    lfd_motion_free(&m);
    snprintf(cmd, sizeof cmd,
             "train %s --robot h1 --upper-body --no-people -o %s -q -e 2 --rollouts 0 --hidden 8",
             mot, pol);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    /* the robot it was trained for */
    snprintf(cmd, sizeof cmd, "eval %s %s --robot h1 --no-closed-loop", pol, mot);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    /* a copy whose shoulder pitch stands at 0.5: refused, naming the joint
       and both values */
    char desc[4300], cdir[1100];
    snprintf(cdir, sizeof cdir, "%s/default_copy", dir);
    robot_copy(cdir, "left_shoulder_pitch_joint", NULL, "0.5", desc, sizeof desc);
    snprintf(cmd, sizeof cmd, "eval %s %s --robot %s --no-closed-loop", pol, mot, desc);
    CHECK(lfd_test_run_lfd(cmd, out, sizeof out) != 0);
    CHECK_CONTAINS(out, "left_shoulder_pitch_joint");
    CHECK_CONTAINS(out, "default");
    CHECK_CONTAINS(out, "0.5");
    /* a copy with a lower velocity limit: refused too */
    snprintf(cdir, sizeof cdir, "%s/vel_copy", dir);
    robot_copy(cdir, "left_shoulder_pitch_joint", "3", NULL, desc, sizeof desc);
    snprintf(cmd, sizeof cmd, "eval %s %s --robot %s --no-closed-loop", pol, mot, desc);
    CHECK(lfd_test_run_lfd(cmd, out, sizeof out) != 0);
    CHECK_CONTAINS(out, "left_shoulder_pitch_joint");
    CHECK_CONTAINS(out, "velocity");
    /* ctl-demo serving the file for the default-pose copy refuses it too */
    snprintf(cdir, sizeof cdir, "%s/default_copy", dir);
    snprintf(desc, sizeof desc, "%s/h1/h1.robot", cdir);
    snprintf(cmd, sizeof cmd, "ctl-demo --robot %s --policy-file %s --seconds 0.2", desc, pol);
    int st = run_lfd_limited(cmd, out, sizeof out);
    CHECK(st != 0 && st != 124);
    CHECK_CONTAINS(out, "left_shoulder_pitch_joint");
    lfd_robot_free(&r);
}

/* A control period the model's step does not divide is simulated as it is
   (a copy of the model takes a step that divides it), as lfd ctl-demo does:
   it was rounded to whole steps, 0.003 s simulated as 0.004 s, so training
   rollouts labelled 0.003 s moved 22 % too slowly and eval held each chunk
   row a third too long (found by review). */
TEST(policy_track_keeps_a_period_the_model_step_does_not_divide)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    if (lfd_robot_load(&r, "h1", &err) != LFD_OK) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    const double periods[] = {0.02, 0.003, 0.001, 0.0035};
    for (int i = 0; i < 4; i++) {
        lfd_track *t = NULL;
        CHECK_OK(lfd_track_new(&t, r, periods[i], &err), &err);
        if (t)
            CHECK_NEAR(lfd_track_period_s(t), periods[i], 1e-12);
        lfd_track_free(&t);
    }
    lfd_robot_free(&r);
}
