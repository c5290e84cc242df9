/*  `lfd train`, `lfd eval` and `lfd motion synth`: behaviour-cloning
    policies from demonstrations (policies/lfd_bc.h), their evaluation
    (policies/lfd_eval.h), and synthetic demonstrations without people. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_log.h"
#include "core/lfd_sha256.h"
#include "policies/lfd_bc.h"
#include "policies/lfd_eval.h"
#include "runtime/cli/lfd_cli.h"

/* "256,256" -> widths */
static int parse_widths(const char *s, int *w, int max, int *n)
{
    *n = 0;
    if (!s || !*s || !strcmp(s, "none"))
        return 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > LFD_MLP_MAX_WIDTH || *n >= max)
            return -1;
        w[(*n)++] = (int)v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return 0;
}

/* the file's name without folder and extension */
static void stem(const char *path, char *out, size_t n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, n, "%.*s", (int)(n - 1), basename(tmp));
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

typedef struct progress_ctx {
    int quiet;
    double last_print_s;
} progress_ctx;

static int on_epoch(void *ctx, const lfd_train_epoch *e)
{
    progress_ctx *pc = ctx;
    if (pc->quiet)
        return 0;
    if (isfinite(e->val_loss))
        printf("epoch %4d/%d  train %.5f  val %.5f  (best %.5f at %d)  %.1f s\n", e->epoch,
               e->epochs, e->train_loss, e->val_loss, e->best_val_loss, e->best_epoch, e->seconds);
    else
        printf("epoch %4d/%d  train %.5f  %.1f s\n", e->epoch, e->epochs, e->train_loss,
               e->seconds);
    fflush(stdout);
    return 0;
}

static int run_train(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *robot = NULL, *out = NULL, *purpose = "robot-training", *hidden = NULL;
    const char *act = NULL, *name = NULL, *amode = NULL;
    int chunk = 10, epochs = -1, seed = 1, upper = 0, unchecked = 0, no_people = 0, batch = -1;
    int patience = -1, threads = 1, quiet = 0, no_prev = 0, no_phase = 0, no_root = 0;
    double l1 = 0, lr = -1, val_frac = -1, period = 0.02, nq = -1, nqd = -1, nprev = -1;
    int rollouts = -1;
    double sim_noise = -1;
    lfd_opt opts[] = {
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH",
         "the robot the motions are for (built-in name, .robot or .xml path; required)"},
        {"out", 'o', LFD_OPT_STR, &out, "POLICY.lfdp", "where to write the policy (required)"},
        {"purpose", 0, LFD_OPT_STR, &purpose, "P[,P...]",
         "what the policy is for; every demonstration's consent must cover it (default "
         "robot-training)"},
        {"no-people", 0, LFD_OPT_FLAG, &no_people, NULL,
         "accept demonstrations that name no contributor anywhere (synthetic data); never "
         "overrides a person's consent"},
        {"allow-unchecked", 0, LFD_OPT_FLAG, &unchecked, NULL,
         "train on motions that did not pass lfd check"},
        {"chunk", 'k', LFD_OPT_INT, &chunk, "K", "actions predicted per step (default 10)"},
        {"hidden", 0, LFD_OPT_STR, &hidden, "W,W,...", "hidden layer widths (default 256,256)"},
        {"act", 0, LFD_OPT_STR, &act, "NAME", "hidden activation: relu tanh elu gelu (tanh form) gelu_erf silu"},
        {"epochs", 'e', LFD_OPT_INT, &epochs, "N", "maximum epochs (default 300)"},
        {"batch", 0, LFD_OPT_INT, &batch, "N", "minibatch size (default 256)"},
        {"lr", 0, LFD_OPT_DOUBLE, &lr, "X", "Adam learning rate (default 1e-3, cosine to 1e-5)"},
        {"patience", 0, LFD_OPT_INT, &patience, "N",
         "stop after N epochs without a better validation loss (default 40)"},
        {"l1", 0, LFD_OPT_DOUBLE, &l1, "W", "weight of an L1 term in the loss (default 0)"},
        {"seed", 0, LFD_OPT_INT, &seed, "S", "seed: initial weights, split, shuffles (default 1)"},
        {"val-frac", 0, LFD_OPT_DOUBLE, &val_frac, "F",
         "fraction of demonstrations held out for validation (default 0.2)"},
        {"period", 0, LFD_OPT_DOUBLE, &period, "S", "control period (default 0.02 s)"},
        {"upper-body", 0, LFD_OPT_FLAG, &upper, NULL,
         "drive the joints off the legs only; the legs hold the default pose"},
        {"no-prev-action", 0, LFD_OPT_FLAG, &no_prev, NULL,
         "leave the previous action out (implies --action-mode absolute)"},
        {"action-mode", 0, LFD_OPT_STR, &amode, "MODE",
         "residual: each chunk row = previous action + a learnt change (default); absolute: "
         "joint targets"},
        {"no-phase", 0, LFD_OPT_FLAG, &no_phase, NULL, "leave the phase out"},
        {"no-root", 0, LFD_OPT_FLAG, &no_root, NULL, "leave gravity and root angular velocity out"},
        {"rollouts", 0, LFD_OPT_INT, &rollouts, "N",
         "noisy simulated replays of each demonstration added to the data (default 4)"},
        {"rollout-noise", 0, LFD_OPT_DOUBLE, &sim_noise, "RAD",
         "target perturbation of those replays (default 0.05)"},
        {"noise-q", 0, LFD_OPT_DOUBLE, &nq, "RAD", "joint position noise (default 0.02)"},
        {"noise-qd", 0, LFD_OPT_DOUBLE, &nqd, "RAD/S", "joint velocity noise (default 0.2)"},
        {"noise-prev", 0, LFD_OPT_DOUBLE, &nprev, "RAD", "previous action noise (default 0.02)"},
        {"name", 0, LFD_OPT_STR, &name, "NAME", "policy name (default: the output file's stem)"},
        {"threads", 0, LFD_OPT_INT, &threads, "N", "OpenBLAS threads for training (default 1: see docs/policies.md)"},
        {"quiet", 'q', LFD_OPT_FLAG, &quiet, NULL, "no per-epoch lines"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, -1)))
        return lfd_args_exit(rc);
    if (!robot || !out)
        return lfd_cli_usage_error(cmd, "--robot and -o are required");
    {
        lfd_err pe = {0};
        if (lfd_purposes_check(purpose, &pe))
            return lfd_cli_usage_error(cmd, "--purpose: %s", pe.msg);
    }
    /* the policy file goes into a folder that exists, and over no demonstration */
    if (lfd_cli_check_out_parent(cmd, out) || lfd_cli_check_not_input(cmd, out, pos, npos))
        return LFD_EXIT_ERROR;
    lfd_bc_opts o;
    lfd_bc_opts_init(&o);
    o.obs.upper_body = upper;
    o.obs.prev_action = !no_prev;
    o.obs.phase = !no_phase;
    if (amode && lfd_action_mode_parse(amode, &o.action_mode))
        return lfd_cli_usage_error(cmd, "--action-mode '%s' (residual or absolute)", amode);
    if (no_prev && amode && o.action_mode == LFD_ACTION_RESIDUAL)
        return lfd_cli_usage_error(cmd, "--action-mode residual needs the previous action in "
                                        "the observation (drop --no-prev-action)");
    /* given numbers are used as given or refused (an out-of-range one was
       replaced by the default, unsaid: found by review) */
#define GIVEN(f) lfd_args_given(f)
    if (GIVEN("epochs") && !(epochs >= 1 && epochs <= 1000000))
        return lfd_cli_range_error(cmd, "epochs", epochs, "1 or more");
    if (GIVEN("batch") && !(batch >= 1 && batch <= 1 << 20))
        return lfd_cli_range_error(cmd, "batch", batch, "1 or more");
    if (GIVEN("lr") && !(lr > 0 && lr < 10))
        return lfd_cli_range_error(cmd, "lr", lr, "above 0, under 10");
    if (GIVEN("patience") && !(patience >= 0))
        return lfd_cli_range_error(cmd, "patience", patience, "0 (off) or more");
    if (GIVEN("val-frac") && !(val_frac >= 0 && val_frac < 1))
        return lfd_cli_range_error(cmd, "val-frac", val_frac, "0 to under 1");
    if (GIVEN("threads") && !(threads >= 1 && threads <= 256))
        return lfd_cli_range_error(cmd, "threads", threads, "1 to 256");
    if (GIVEN("rollouts") && !(rollouts >= 0 && rollouts <= 1000))
        return lfd_cli_range_error(cmd, "rollouts", rollouts, "0 to 1000");
    if (GIVEN("chunk") && !(chunk >= 1 && chunk <= 4096))
        return lfd_cli_range_error(cmd, "chunk", chunk, "1 to 4096");
    if (GIVEN("period") && !(period > 0 && period <= 1))
        return lfd_cli_range_error(cmd, "period", period, "above 0 s, at most 1 s");
    {
        static const char *noise[] = {"rollout-noise", "noise-q", "noise-qd", "noise-prev"};
        const double nv[] = {sim_noise, nq, nqd, nprev};
        for (int i = 0; i < 4; i++)
            if (GIVEN(noise[i]) && !(nv[i] >= 0 && nv[i] <= 100))
                return lfd_cli_range_error(cmd, noise[i], nv[i], "0 to 100");
    }
    if (GIVEN("l1") && !(l1 >= 0 && l1 < 1e6))
        return lfd_cli_range_error(cmd, "l1", l1, "0 or more");
#undef GIVEN
    if (no_prev)
        o.action_mode = LFD_ACTION_ABSOLUTE;
    if (no_root)
        o.obs.root = 0;
    o.chunk = chunk;
    o.control_period_s = period;
    if (hidden && parse_widths(hidden, o.hidden, LFD_MLP_MAX_LAYERS - 1, &o.nhidden))
        return lfd_cli_usage_error(cmd, "--hidden '%s' is not a list of widths 1..%d", hidden,
                                   LFD_MLP_MAX_WIDTH);
    if (act && lfd_activation_parse(act, &o.act))
        return lfd_cli_usage_error(cmd, "unknown activation '%s'", act);
    if (epochs > 0)
        o.train.epochs = epochs;
    if (batch > 0)
        o.train.batch = batch;
    if (lr > 0)
        o.train.lr = lr;
    if (patience >= 0)
        o.train.patience = patience;
    if (val_frac >= 0)
        o.val_frac = val_frac;
    if (rollouts >= 0)
        o.sim_rollouts = rollouts;
    if (sim_noise >= 0)
        o.sim_noise_rad = sim_noise;
    if (nq >= 0)
        o.noise_q_rad = nq;
    if (nqd >= 0)
        o.noise_qd_rad_s = nqd;
    if (nprev >= 0)
        o.noise_prev_rad = nprev;
    o.train.l1 = l1;
    o.train.seed = (uint64_t)seed;
    o.train.threads = threads;
    o.purpose = purpose;
    o.no_people = no_people;
    o.allow_unchecked = unchecked;
    char pname[LFD_POLICY_NAME_MAX];
    stem(out, pname, sizeof pname);
    o.name = name ? name : pname;
    progress_ctx pc = {quiet, 0};
    o.train.on_epoch = on_epoch;
    o.train.ctx = &pc;
    lfd_robot *r = NULL;
    lfd_err err = {0};
    if ((rc = lfd_robot_load(&r, robot, &err)))
        return lfd_cli_error(cmd, &err);
    lfd_bc_report rep;
    rc = lfd_bc_train(r, npos, (const char *const *)pos, out, &o, &rep, &err);
    lfd_robot_free(&r);
    if (rc == LFD_EDENIED) {
        fprintf(stderr, "lfd %s: %s\n", cmd->name, err.msg);
        if (rep.consent_hint[0])
            fprintf(stderr, "ways forward:\n%s", rep.consent_hint);
        return LFD_EXIT_FAIL;
    }
    if (rc)
        return lfd_cli_error(cmd, &err);
    printf("wrote %s: policy '%s', %d -> %d x %d (%zu parameters), %d driven of %d joints, "
           "%s actions\n",
           out, o.name, rep.obs_dim, rep.chunk, rep.ndriven, rep.nparams, rep.ndriven,
           rep.act_dim, lfd_action_mode_name(o.action_mode));
    printf("data      %d demonstrations (%d train, %d validation), %d + %d samples%s\n",
           rep.ndemos, rep.ntrain_demos, rep.nval_demos, rep.ntrain, rep.nval,
           rep.no_people_used ? " (some without people: --no-people)" : "");
    if (rep.nval > 0 && isfinite(rep.train.val_loss))
        printf("training  %d epochs (best %d%s), train MSE %.5f, validation loss %.5f, %.0f "
               "samples/s\n",
               rep.train.epochs_run, rep.train.best_epoch,
               rep.train.stopped_early ? ", stopped early" : "", rep.train.final_train_mse,
               rep.train.val_loss, rep.train.samples_per_s);
    else
        printf("training  %d epochs (the last one kept), train MSE %.5f, no validation set "
               "(%s; no early stopping), %.0f samples/s\n",
               rep.train.epochs_run, rep.train.final_train_mse,
               rep.ndemos == 1 ? "one demonstration: give two or more to hold one out"
                               : "--val-frac held none out: raise it",
               rep.train.samples_per_s);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_train, "train", "train a behaviour-cloning policy from robot motions",
            "MOTION.lfdm... --robot NAME|PATH -o POLICY.lfdp [options]",
            "Builds (observation, action chunk) samples from the motions at the control\n"
            "rate, holds out whole demonstrations for validation, trains an MLP with Adam\n"
            "and early stopping, and writes a policy file with the schema, normalisation\n"
            "statistics and the lineage of every demonstration used.\n"
            "\n"
            "Consent: every demonstration's provenance must hold a consent record that\n"
            "covers --purpose today and has not expired; otherwise nothing is trained and\n"
            "the refused demonstrations are named with the ways forward (exit 1): a\n"
            "consent record in <recording>.prov.json beside the recording, then retarget\n"
            "again (or lfd retarget --prov FILE).  --no-people lets through\n"
            "demonstrations that name no contributor anywhere (synthetic data) and never\n"
            "one that does.  LFD_TODAY=YYYY-MM-DD sets the date checked.\n"
            "\n"
            "One demonstration trains without a validation set (said so; no early stopping).",
            run_train)

/* ---- eval ------------------------------------------------------------------------------- */

static const char *class_name(int c)
{
    return c == LFD_DEMO_TRAIN ? "train" : c == LFD_DEMO_VAL ? "validation" : "new";
}

static int run_eval(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *robot = NULL;
    int json = 0, no_closed = 0, exec = 0;
    double extra = 0.5;
    lfd_opt opts[] = {
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH",
         "the robot: built-in name, .robot or .xml path (default: the policy's)"},
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "print JSON"},
        {"no-closed-loop", 0, LFD_OPT_FLAG, &no_closed, NULL, "offline figures only"},
        {"extra", 0, LFD_OPT_DOUBLE, &extra, "S", "closed loop: run S past the motion's end (0.5)"},
        {"exec", 0, LFD_OPT_INT, &exec, "N",
         "closed loop: periods each chunk drives before the next query (default chunk/2)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 2, -1)))
        return lfd_args_exit(rc);
    /* found by review: nan or huge overflowed into "out of memory", and a
       negative value cut the run short while the table said otherwise */
    if (!(extra >= 0 && extra <= 3600))
        return lfd_cli_range_error(cmd, "extra", extra, "0 to 3600 s");
    if (lfd_args_given("exec") && !(exec >= 1))
        return lfd_cli_range_error(cmd, "exec", exec, "1 or more (at most the policy's chunk)");
    /* one file given twice counts once (it counted twice: found by review) */
    for (int i = 1; i < npos; i++)
        for (int k = 1; k < i; k++)
            if (lfd_cli_same_path(pos[i], pos[k]))
                return lfd_cli_usage_error(cmd, "%s is given twice", pos[i]);
    lfd_err err = {0};
    lfd_policy *p = NULL;
    lfd_robot *r = NULL;
    int n = npos - 1, loaded = 0;
    lfd_motion *ms = calloc((size_t)n, sizeof *ms);
    lfd_bc_demo *demos = calloc((size_t)n, sizeof *demos);
    char(*hex)[65] = calloc((size_t)n, sizeof *hex);
    lfd_eval_closed_report *cl = calloc((size_t)n, sizeof *cl);
    lfd_eval_offline_report off;
    memset(&off, 0, sizeof off);
    if (!ms || !demos || !hex || !cl) {
        rc = lfd_fail(&err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = lfd_policy_load(&p, pos[0], &err)) ||
        (rc = lfd_robot_load(&r, robot ? robot : p->robot, &err)))
        goto done;
    if (exec > p->chunk) {
        rc = lfd_fail(&err, LFD_EARG, "--exec %d: the policy's chunk has %d steps", exec, p->chunk);
        goto done;
    }
    for (; loaded < n; loaded++) {
        if ((rc = lfd_motion_read(&ms[loaded], pos[1 + loaded], &err)))
            goto done;
        if ((rc = lfd_file_sha256_hex(pos[1 + loaded], hex[loaded], &err))) {
            lfd_motion_free(&ms[loaded]);
            goto done;
        }
        demos[loaded] = (lfd_bc_demo){&ms[loaded], pos[1 + loaded], hex[loaded]};
    }
    if ((rc = lfd_eval_offline(p, r, n, demos, &off, &err)))
        goto done;
    lfd_eval_closed_opts co;
    lfd_eval_closed_opts_init(&co);
    co.extra_s = extra;
    co.exec = exec;
    for (int i = 0; i < n && !no_closed; i++)
        if ((rc = lfd_eval_closed_loop(p, r, &ms[i], &co, &cl[i], &err))) {
            lfd_err_prefix(&err, "%s", demos[i].name);
            goto done;
        }
    if (json) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "policy", p->name);
        lfd_jw_kstr(&jw, "policy_hash", p->hash);
        lfd_jw_kstr(&jw, "robot", r->name);
        lfd_jw_kint(&jw, "chunk", p->chunk);
        lfd_jw_knum(&jw, "control_period_s", p->control_period_s);
        lfd_jw_kint(&jw, "driven_joints", p->ndriven);
        lfd_jw_key(&jw, "offline");
        lfd_eval_offline_json(&off, demos, &jw);
        if (!no_closed) {
            lfd_jw_key(&jw, "closed_loop");
            lfd_jw_arr_begin(&jw);
            for (int i = 0; i < n; i++) {
                lfd_jw_obj_begin(&jw);
                lfd_jw_kstr(&jw, "name", demos[i].name);
                lfd_jw_kstr(&jw, "class", class_name(off.demo_class[i]));
                lfd_jw_key(&jw, "run");
                lfd_eval_closed_json(&cl[i], &jw);
                lfd_jw_obj_end(&jw);
            }
            lfd_jw_arr_end(&jw);
        }
        lfd_jw_obj_end(&jw);
        lfd_jw_finish(&jw);
        goto done;
    }
    printf("policy    %s (%.12s...) for %s: %d of %d joints driven, chunk %d at %g Hz\n",
           p->name, p->hash, p->robot, p->ndriven, p->act_dim, p->chunk,
           1.0 / p->control_period_s);
    for (int i = 0; i < n; i++)
        printf("  %-40s %s\n", demos[i].name, class_name(off.demo_class[i]));
    printf("offline   %s: %d samples from %d demonstrations\n",
           off.in_sample ? "IN-SAMPLE (no held-out demonstration given)" : "held out",
           off.nsamples, off.in_sample ? off.ndemos : off.nheld_out);
    char nn[64];
    if (off.have_nn)
        snprintf(nn, sizeof nn, "%.4f rad", off.nn_rmse_rad);
    else
        snprintf(nn, sizeof nn, "n/a (give the training motions too)");
    printf("          RMSE over the chunk: policy %.4f rad, zero-order hold %.4f rad, "
           "nearest neighbour %s\n",
           off.rmse_rad, off.zoh_rmse_rad, nn);
    printf("  %-32s %9s %9s %9s\n", "joint (RMSE rad)", "policy", "hold", "nearest");
    for (int d = 0; d < off.njoints; d++)
        printf("  %-32s %9.4f %9.4f %9.4f\n", off.joints[d].name, off.joints[d].rmse_rad,
               off.joints[d].zoh_rmse_rad, off.joints[d].nn_rmse_rad);
    if (!no_closed) {
        /* each demonstration: the policy beside the controller on the
           demonstration itself (the ceiling) and holding still (the floor) */
        printf("closed loop (MuJoCo, PD + feed-forward; error = mean |q - q_demo| over driven "
               "joints, rad)\n");
        int w = 13;
        for (int i = 0; i < n; i++)
            w = (int)strlen(demos[i].name) > w ? (int)strlen(demos[i].name) : w;
        w = w > 60 ? 60 : w;
        printf("  %-*s %-10s %6s  %-19s %-19s %s\n", w, "demonstration", "class", "s", "policy",
               "reference", "hold still");
        int ncomp = 0;
        for (int i = 0; i < n; i++) {
            const lfd_eval_closed_report *c = &cl[i];
            char pol[40], ref[40];
            snprintf(pol, sizeof pol, "%.4f %s", c->policy.track_rad_mean,
                     c->policy.fell ? "FELL" : "up");
            if (c->policy.fell)
                snprintf(pol + strlen(pol), sizeof pol - strlen(pol), " %.1fs", c->policy.t_fall_s);
            if (c->have_reference) {
                snprintf(ref, sizeof ref, "%.4f %s", c->reference.track_rad_mean,
                         c->reference.fell ? "FELL" : "up");
                if (c->reference.fell)
                    snprintf(ref + strlen(ref), sizeof ref - strlen(ref), " %.1fs",
                             c->reference.t_fall_s);
            } else {
                snprintf(ref, sizeof ref, "n/a");
            }
            printf("  %-*s %-10s %6.1f  %-19s %-19s %.4f\n", w, demos[i].name,
                   class_name(off.demo_class[i]), c->duration_s, pol, ref, c->hold_rad_mean);
            if (!lfd_eval_closed_comparable(c))
                printf("    reference falls: closed-loop comparison not meaningful (the controller "
                       "falls at %.2f s tracking the demonstration itself)\n",
                       c->reference.t_fall_s);
            else
                ncomp++;
        }
        printf("  (policy and reference: mean error, up = stayed up, FELL at t; reference = the "
               "controller tracking the demonstration itself; hold still = the error of holding "
               "the first pose)\n");
        if (ncomp < n)
            printf("  %d of %d demonstrations: the reference falls, so their closed-loop figures "
                   "say nothing about the policy\n", n - ncomp, n);
        for (int i = 0; i < n; i++) {
            const lfd_eval_closed_report *c = &cl[i];
            printf("  %s: policy error every %.2f s:", demos[i].name, c->series_dt_s);
            for (int k = 0; k < c->policy.nseries && k < 40; k++)
                printf(" %.3f", c->policy.series_err[k]);
            printf("%s\n", c->policy.nseries > 40 ? " ..." : "");
        }
    }
done:
    for (int i = 0; i < loaded; i++)
        lfd_motion_free(&ms[i]);
    lfd_eval_offline_free(&off);
    free(ms);
    free(demos);
    free(hex);
    free(cl);
    lfd_policy_free(&p);
    lfd_robot_free(&r);
    return rc ? lfd_cli_error(cmd, &err) : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_eval, "eval", "evaluate a policy offline and in closed loop",
            "POLICY.lfdp MOTION.lfdm... [--robot NAME|PATH] [--json] [--no-closed-loop]",
            "Offline: the action error per joint on the held-out demonstrations among\n"
            "the motions (by content hash against the split recorded at training), beside\n"
            "a zero-order-hold and a nearest-neighbour baseline (the nearest training\n"
            "sample; give the training motions too).  Closed loop: for every motion, the\n"
            "policy drives the simulated robot through PD + feed-forward from the\n"
            "motion's start; tracking error over time and whether it fell, beside the\n"
            "same controller tracking the demonstration itself.",
            run_eval)

/* ---- motion synth ---------------------------------------------------------------------- */

static int run_synth(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *robot = NULL, *out = NULL;
    int seed = 1, task = 1;
    double seconds = 6, fps = 50, variation = 0.15;
    lfd_opt opts[] = {
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH",
         "the robot: built-in name, .robot or .xml path (required)"},
        {"out", 'o', LFD_OPT_STR, &out, "OUT.lfdm", "the motion file (required)"},
        {"seconds", 's', LFD_OPT_DOUBLE, &seconds, "S", "duration (default 6)"},
        {"out-fps", 0, LFD_OPT_DOUBLE, &fps, "HZ", "frame rate (default 50)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "out-fps", NULL},
        {"pattern", 0, LFD_OPT_INT, &task, "N", "which task pattern (default 1)"},
        {"task", 0, LFD_OPT_ALIAS, NULL, "pattern", NULL}, /* --task is human synth's stand|walk|wipe */
        {"seed", 0, LFD_OPT_INT, &seed, "N", "which variation of it (default 1)"},
        {"variation", 0, LFD_OPT_DOUBLE, &variation, "F", "relative variation (default 0.15)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 0, 0)))
        return lfd_args_exit(rc);
    if (!robot || !out)
        return lfd_cli_usage_error(cmd, "--robot and -o are required");
    /* said by the flag, not as "synthetic motion of 0 s at 50 fps" */
    if (!(seconds > 0 && seconds <= 3600))
        return lfd_cli_range_error(cmd, "seconds", seconds, "above 0 up to 3600 s");
    if (!(fps >= 1 && fps <= 1000))
        return lfd_cli_range_error(cmd, "out-fps", fps, "1 to 1000 Hz");
    if (!(variation >= 0 && variation < 1))
        return lfd_cli_range_error(cmd, "variation", variation, "0 up to (not including) 1");
    if (lfd_cli_check_out_parent(cmd, out))
        return LFD_EXIT_ERROR;
    lfd_err err = {0};
    lfd_robot *r = NULL;
    lfd_motion m;
    if ((rc = lfd_robot_load(&r, robot, &err)))
        return lfd_cli_error(cmd, &err);
    lfd_bc_synth_opts so;
    lfd_bc_synth_opts_init(&so);
    so.seconds = seconds;
    so.fps = fps;
    so.task_seed = (uint64_t)task;
    so.seed = (uint64_t)seed;
    so.variation = variation;
    rc = lfd_bc_synth_motion(r, &so, &m, &err);
    lfd_robot_free(&r);
    if (rc)
        return lfd_cli_error(cmd, &err);
    rc = lfd_motion_write(&m, out, &err);
    lfd_motion_free(&m);
    if (rc)
        return lfd_cli_error(cmd, &err);
    printf("wrote %s (%.1f s at %g fps, synthetic: no contributor)\n", out, seconds, fps);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_motion_synth, "motion synth",
            "write a synthetic upper-body robot motion (no person in it)",
            "--robot NAME|PATH -o OUT.lfdm [--seconds S] [--pattern N] [--seed N]",
            "Smooth reaching-and-wiping-like joint trajectories on every joint off the\n"
            "legs; the legs and root hold the default pose.  --pattern picks the pattern,\n"
            "--seed a variation of it: demonstrations of one task for testing training.",
            run_synth)
