/*  lfd_demo: the whole pipeline on built-in data (see lfd_demo.h).

    Each stage is one function on the shared demo state; it writes its
    outputs under the run folder, adds its figures to the summary and
    prints its line.  The stages call the same library functions as the
    commands (`lfd human synth`, `lfd qa`, `lfd retarget`, `lfd check`,
    `lfd train`, `lfd eval`, `lfd serve`, `lfd ctl-demo`), so the demo shows
    exactly what a user gets from them. */
#define _GNU_SOURCE
#include "runtime/lfd_demo.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "policies/lfd_bc.h"
#include "policies/lfd_eval.h"
#include "policies/lfd_obs.h"
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_qa.h"
#include "retarget/lfd_retarget.h"
#include "ingest/lfd_synth.h"
#include "robots/lfd_robot.h"
#include "runtime/lfd_ctl.h"
#include "runtime/lfd_server.h"
#include "sim/lfd_check.h"
#include "sim/lfd_render.h"

#define DEMO_MAX 16
#define PURPOSE "robot-training"

typedef struct demo_rec {
    char name[64];           /* "wipe-01" */
    char contributor[32];
    char bvh[1400];
    char motion[1400];
    int consent_ok;
    int qa_verdict;
    double qa_score;
    int retargeted;
    int check_verdict;       /* -1: not checked */
    int trained;             /* used for training */
    int held_out;            /* kept out of training: evaluation and the served run */
} demo_rec;

typedef struct demo {
    lfd_demo_opts o;
    FILE *out;
    char dir[1024];
    lfd_robot *robot;
    int n;                   /* recordings (robot-training consent ones + one research-only) */
    demo_rec rec[DEMO_MAX];
    double t0;
    lfd_buf sum;             /* summary.txt */
    lfd_buf js;              /* summary.json (built as stages finish) */
    lfd_jw jw;
    char policy[1400];       /* the trained policy file */
} demo;

/* ---- output helpers ---------------------------------------------------------------------- */

/* one summary line: to the terminal and to summary.txt */
static void say(demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(demo *d, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    if (d->out) {
        fputs(line, d->out);
        fputc('\n', d->out);
        fflush(d->out);
    }
    lfd_buf_append(&d->sum, line, (size_t)n);
    lfd_buf_append(&d->sum, "\n", 1);
}

static void path_in(demo *d, char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", d->dir, rel);
}

/* ---- 1 human: synthetic (procedural) people with consent sidecars ------------------------ */

static int stage_human(demo *d, lfd_err *err)
{
    char sub[1200], today[16], expires[32];
    path_in(d, sub, sizeof sub, "human");
    int rc = lfd_mkdir_p(sub, err);
    if (rc)
        return rc;
    lfd_today(today);
    /* consent for a year from today */
    snprintf(expires, sizeof expires, "%04d%s", atoi(today) + 1, today + 4);
    double frames = 0;
    for (int i = 0; i < d->n; i++) {
        demo_rec *r = &d->rec[i];
        int research_only = i == d->n - 1;
        snprintf(r->name, sizeof r->name, "wipe-%02d", i + 1);
        snprintf(r->contributor, sizeof r->contributor, "anon-%04x", 0x3a17 + 97 * i);
        char bp[sizeof r->bvh];
        snprintf(bp, sizeof bp, "%s/%s.bvh", sub, r->name);
        memcpy(r->bvh, bp, sizeof bp);
        r->check_verdict = -1;
        /* people of different heights, at different paces */
        lfd_synth_opts so = {0};
        so.task = LFD_SYNTH_WIPE;
        so.seconds = d->o.seconds + 0.7 * (i % 4) - (i >= 4 ? 0.5 : 0.0);
        so.height_m = 1.58 + 0.06 * i;
        /* and their own way of wiping: stroke pace and size, table distance */
        so.stroke_s = 1.3 + 0.15 * ((i * 3) % 5);
        so.stroke_scale = 0.8 + 0.1 * ((i * 2) % 5);
        so.reach_scale = 0.92 + 0.04 * ((i * 4) % 5);
        so.fps = 120;
        lfd_bvh b;
        if ((rc = lfd_synth_bvh(&b, &so, NULL, err)))
            return rc;
        lfd_bvh_write_opts wo = {.decimals = 5};
        frames += b.nframes;
        rc = lfd_bvh_write(&b, r->bvh, &wo, err);
        lfd_bvh_free(&b);
        if (rc)
            return rc;
        char side[1500], js[1024];
        snprintf(side, sizeof side, "%s.prov.json", r->bvh);
        int n = snprintf(js, sizeof js,
                         "{\n  \"contributor_id\": \"%s\",\n"
                         "  \"consent\": {\"scopes\": [%s], \"date\": \"%s\", \"expires\": \"%s\"},\n"
                         "  \"capture\": {\"context\": \"lfd demo: procedural person reaching and wiping "
                         "a table\", \"location\": [48.1, 11.6], \"body_height_m\": %.2f},\n"
                         "  \"licence\": \"CC0-1.0\"\n}\n",
                         r->contributor, research_only ? "\"research\"" : "\"" PURPOSE "\", \"research\"",
                         today, expires, so.height_m);
        if ((rc = lfd_file_write_atomic(side, js, (size_t)n, err)))
            return rc;
    }
    say(d, "  1 human     %d synthetic people wiping a table (procedural motion from lfd_synth, not "
           "recordings; %.0f frames at 120 Hz, heights 1.58-%.2f m), consent sidecars: %s/human/",
        d->n, frames, 1.58 + 0.06 * (d->n - 1), d->dir);
    lfd_jw_key(&d->jw, "human");
    lfd_jw_obj_begin(&d->jw);
    lfd_jw_kint(&d->jw, "recordings", d->n);
    lfd_jw_kint(&d->jw, "frames", (int64_t)frames);
    lfd_jw_obj_end(&d->jw);
    return LFD_OK;
}

/* ---- 2 qa ---------------------------------------------------------------------------------- */

static int stage_qa(demo *d, lfd_err *err)
{
    int counts[3] = {0, 0, 0};
    double smin = 101, smax = -1;
    lfd_buf txt;
    lfd_buf_init(&txt, 1 << 20);
    lfd_qa_report *q = calloc(1, sizeof *q);
    if (!q)
        return lfd_fail(err, LFD_ENOMEM, "lfd demo: out of memory");
    int rc = LFD_OK;
    lfd_jw_key(&d->jw, "qa");
    lfd_jw_arr_begin(&d->jw);
    for (int i = 0; i < d->n; i++) {
        if ((rc = lfd_qa_file(d->rec[i].bvh, NULL, q, err)))
            break;
        d->rec[i].qa_verdict = q->verdict;
        d->rec[i].qa_score = q->score;
        counts[q->verdict < 0 ? 0 : q->verdict > 2 ? 2 : q->verdict]++;
        smin = fmin(smin, q->score);
        smax = fmax(smax, q->score);
        char line[256];
        int n = snprintf(line, sizeof line, "%s  %s  score %.0f  height %.2f m  %d frames\n",
                         d->rec[i].name, lfd_qa_verdict_name(q->verdict), q->score, q->height_m,
                         q->nframes);
        lfd_buf_append(&txt, line, (size_t)n);
        lfd_jw_obj_begin(&d->jw);
        lfd_jw_kstr(&d->jw, "name", d->rec[i].name);
        lfd_jw_kstr(&d->jw, "verdict", lfd_qa_verdict_name(q->verdict));
        lfd_jw_knum(&d->jw, "score", q->score);
        lfd_jw_obj_end(&d->jw);
    }
    lfd_jw_arr_end(&d->jw);
    free(q);
    if (rc == LFD_OK) {
        char p[1200];
        path_in(d, p, sizeof p, "human/qa.txt");
        rc = lfd_file_write_atomic(p, txt.data, txt.len, err);
    }
    lfd_buf_free(&txt);
    if (rc)
        return rc;
    say(d, "  2 qa        %d pass, %d warn, %d reject (scores %.0f-%.0f): %s/human/qa.txt", counts[0],
        counts[1], counts[2], smin, smax, d->dir);
    return LFD_OK;
}

/* ---- 3 consent --------------------------------------------------------------------------- */

static int stage_consent(demo *d, lfd_err *err)
{
    char today[16];
    lfd_today(today);
    int kept = 0;
    char refused[4096] = "";
    for (int i = 0; i < d->n; i++) {
        demo_rec *r = &d->rec[i];
        char side[1500];
        snprintf(side, sizeof side, "%s.prov.json", r->bvh);
        lfd_prov p;
        lfd_prov_init(&p);
        lfd_consent c;
        lfd_err why = {0};
        int rc = lfd_prov_read_json_file(&p, side, err);
        if (rc) {
            lfd_prov_free(&p);
            return rc;
        }
        rc = lfd_consent_read(&p, &c, &why);
        if (rc == LFD_OK)
            rc = lfd_consent_allows(&c, PURPOSE, today, &why);
        lfd_prov_free(&p);
        r->consent_ok = rc == LFD_OK;
        if (r->consent_ok) {
            kept++;
        } else {
            size_t l = strlen(refused);
            snprintf(refused + l, sizeof refused - l, "%s%s (%s)", l ? ", " : "", r->name,
                     why.msg);
        }
    }
    say(d, "  3 consent   %d of %d recordings may be used for %s; left out: %s", kept, d->n, PURPOSE,
        refused[0] ? refused : "none");
    lfd_jw_key(&d->jw, "consent");
    lfd_jw_obj_begin(&d->jw);
    lfd_jw_kstr(&d->jw, "purpose", PURPOSE);
    lfd_jw_kint(&d->jw, "kept", kept);
    lfd_jw_kint(&d->jw, "refused", d->n - kept);
    lfd_jw_obj_end(&d->jw);
    if (!kept)
        return lfd_fail(err, LFD_EDENIED, "lfd demo: no recording may be used for %s", PURPOSE);
    return LFD_OK;
}

/* ---- 4 retarget ---------------------------------------------------------------------------- */

static int stage_retarget(demo *d, lfd_err *err)
{
    char sub[1200];
    path_in(d, sub, sizeof sub, "motions");
    int rc = lfd_mkdir_p(sub, err);
    if (rc)
        return rc;
    lfd_retarget_opts ro;
    lfd_retarget_opts_init(&ro);
    ro.fps = d->o.rate_hz;
    ro.upper_body = 1;
    ro.smooth_hz = 4; /* arm motion of a chore: well under 4 Hz */
    ro.progress = 0;
    int done = 0, frames = 0;
    double ik_s = 0, hand_err = 0, peak_vel = 0;
    lfd_jw_key(&d->jw, "retarget");
    lfd_jw_arr_begin(&d->jw);
    for (int i = 0; i < d->n && rc == LFD_OK; i++) {
        demo_rec *r = &d->rec[i];
        if (!r->consent_ok || r->qa_verdict == LFD_QA_REJECT)
            continue;
        lfd_human h;
        lfd_motion m;
        lfd_retarget_report rep;
        char mp[sizeof r->motion];
        snprintf(mp, sizeof mp, "%s/%s.lfdm", sub, r->name);
        memcpy(r->motion, mp, sizeof mp);
        if ((rc = lfd_human_load(&h, r->bvh, NULL, err)))
            break;
        rc = lfd_retarget_human(d->robot, &h, &ro, &m, &rep, err);
        lfd_human_free(&h);
        if (rc)
            break;
        rc = lfd_motion_write(&m, r->motion, err);
        lfd_motion_free(&m);
        if (rc)
            break;
        r->retargeted = 1;
        done++;
        frames += rep.frames;
        ik_s += rep.seconds;
        hand_err += rep.hand_err_mean_m;
        peak_vel = fmax(peak_vel, rep.peak_vel_ratio);
        lfd_jw_obj_begin(&d->jw);
        lfd_jw_kstr(&d->jw, "name", r->name);
        lfd_jw_kint(&d->jw, "frames", rep.frames);
        lfd_jw_knum(&d->jw, "hand_err_mean_m", rep.hand_err_mean_m);
        lfd_jw_knum(&d->jw, "peak_vel_ratio", rep.peak_vel_ratio);
        lfd_jw_knum(&d->jw, "frames_per_s", rep.frames_per_s);
        lfd_jw_obj_end(&d->jw);
    }
    lfd_jw_arr_end(&d->jw);
    if (rc)
        return rc;
    say(d, "  4 retarget  %d motions onto %s, upper body, %d frames at %g Hz, IK %.0f frames/s, hand "
           "error %.1f mm mean, peak joint speed %.0f%% of limit: %s/motions/",
        done, d->robot->name, frames, d->o.rate_hz, ik_s > 0 ? frames / ik_s : 0,
        done ? 1000 * hand_err / done : 0, 100 * peak_vel, d->dir);
    return LFD_OK;
}

/* ---- 5 check ------------------------------------------------------------------------------ */

static int stage_check(demo *d, lfd_err *err)
{
    char sub[1200];
    path_in(d, sub, sizeof sub, "check");
    int rc = lfd_mkdir_p(sub, err);
    if (rc)
        return rc;
    lfd_check_opts co;
    lfd_check_opts_init(&co);
    co.checks |= 1u << LFD_CG_TRACK;
    int counts[3] = {0, 0, 0}, fell = 0;
    double self_max = 0, zmp_min = INFINITY, effort = 0, track_wall = 0;
    lfd_check_report *rep = NULL;
    if ((rc = lfd_check_report_new(&rep, err)))
        return rc;
    char failed[2048] = "";
    lfd_jw_key(&d->jw, "check");
    lfd_jw_arr_begin(&d->jw);
    for (int i = 0; i < d->n && rc == LFD_OK; i++) {
        demo_rec *r = &d->rec[i];
        if (!r->retargeted)
            continue;
        lfd_motion m;
        if ((rc = lfd_motion_read(&m, r->motion, err)))
            break;
        rc = lfd_check_run(d->robot, &m, &co, rep, err);
        lfd_motion_free(&m);
        if (rc)
            break;
        r->check_verdict = rep->verdict;
        counts[rep->verdict]++;
        self_max = fmax(self_max, rep->self_depth_max_m);
        if (isfinite(rep->zmp_margin_min_m))
            zmp_min = fmin(zmp_min, rep->zmp_margin_min_m);
        effort = fmax(effort, rep->track.effort_peak);
        fell += rep->track.fell;
        track_wall += rep->track.wall_s;
        if (rep->verdict == LFD_CHECK_FAIL) {
            size_t l = strlen(failed);
            snprintf(failed + l, sizeof failed - l, "%s%s", l ? ", " : "", r->name);
        }
        /* the report for people and for machines */
        char path[1500];
        snprintf(path, sizeof path, "%s/%s.txt", sub, r->name);
        lfd_atomic_file af;
        if ((rc = lfd_atomic_open(&af, path, err)))
            break;
        lfd_check_report_print(rep, d->robot, r->name, af.fp);
        if ((rc = lfd_atomic_commit(&af, err)))
            break;
        lfd_jw_obj_begin(&d->jw);
        lfd_jw_kstr(&d->jw, "name", r->name);
        lfd_jw_kstr(&d->jw, "verdict", lfd_check_verdict_name(rep->verdict));
        lfd_jw_kint(&d->jw, "failures", rep->nfail);
        lfd_jw_kint(&d->jw, "warnings", rep->nwarn);
        lfd_jw_knum(&d->jw, "self_depth_max_m", rep->self_depth_max_m);
        lfd_jw_kbool(&d->jw, "track_fell", rep->track.fell);
        lfd_jw_obj_end(&d->jw);
    }
    lfd_jw_arr_end(&d->jw);
    lfd_check_report_free(&rep);
    if (rc)
        return rc;
    say(d, "  5 check     %d pass, %d warn, %d fail%s%s%s; deepest self-collision %.1f mm, ZMP margin "
           "min %+.3f m, tracking in simulation: %d fell, peak effort %.0f%% (%.2f s): %s/check/",
        counts[0], counts[1], counts[2], failed[0] ? " (left out: " : "", failed[0] ? failed : "",
        failed[0] ? ")" : "", 1000 * self_max, isfinite(zmp_min) ? zmp_min : 0.0, fell, 100 * effort, track_wall, d->dir);
    return LFD_OK;
}

/* ---- 6 train and evaluate offline --------------------------------------------------------- */

/* training progress on a terminal: the epoch count, redrawn in place */
static int train_epoch_progress(void *ctx, const lfd_train_epoch *e)
{
    demo *d = ctx;
    fprintf(d->out, "\r  6 train     epoch %d of at most %d (%.1f s)", e->epoch, e->epochs, e->seconds);
    fflush(d->out);
    return 0;
}

static int stage_train(demo *d, lfd_err *err)
{
    char sub[1200];
    path_in(d, sub, sizeof sub, "policy");
    int rc = lfd_mkdir_p(sub, err);
    if (rc)
        return rc;
    /* hold out the last usable demonstration; train on the others */
    const char *paths[DEMO_MAX];
    int np = 0, held = -1;
    for (int i = d->n - 1; i >= 0; i--)
        if (d->rec[i].retargeted && d->rec[i].check_verdict != LFD_CHECK_FAIL &&
            d->rec[i].check_verdict >= 0) {
            if (held < 0) {
                held = i;
                d->rec[i].held_out = 1;
            } else {
                d->rec[i].trained = 1;
            }
        }
    for (int i = 0; i < d->n; i++)
        if (d->rec[i].trained)
            paths[np++] = d->rec[i].motion;
    if (np < 2 || held < 0)
        return lfd_fail(err, LFD_ESTATE, "only %d checked motions to train on (need 3)",
                        np + (held >= 0));
    snprintf(d->policy, sizeof d->policy, "%s/wipe.lfdp", sub);
    lfd_bc_opts bo;
    lfd_bc_opts_init(&bo);
    bo.name = "wipe";
    bo.purpose = PURPOSE;
    bo.obs.upper_body = 1;
    bo.control_period_s = 1.0 / d->o.rate_hz;
    bo.nhidden = 2;
    bo.hidden[0] = bo.hidden[1] = 128;
    bo.train.epochs = d->o.epochs > 0 ? d->o.epochs : d->o.quick ? 40 : 150;
    bo.train.seed = 1;
    /* the trainer's own progress lines ("wipe-01.lfdm: lfd check warns (4
       warnings); used", "simulating 4 noisy rollouts ...", "training on N
       samples ...") came between the stage lines; stage 5 and this stage's
       line say the same, so they are quieted here (warnings still show, and
       LFD_LOG=debug keeps everything).  On a terminal the epochs count up in
       place of the stage line while it trains. */
    int level = lfd_log_level;
    if (level == LFD_LOG_INFO)
        lfd_log_level = LFD_LOG_WARN;
    int tty = d->out && isatty(fileno(d->out));
    if (tty) {
        bo.train.on_epoch = train_epoch_progress;
        bo.train.ctx = d;
    }
    lfd_bc_report br;
    double t0 = lfd_now_s();
    rc = lfd_bc_train(d->robot, np, paths, d->policy, &bo, &br, err);
    lfd_log_level = level;
    if (tty) {
        fputs("\r\033[K", d->out);
        fflush(d->out);
    }
    if (rc)
        return rc;
    double train_s = lfd_now_s() - t0;
    /* offline: the held-out demonstration against the two baselines */
    lfd_policy *p = NULL;
    lfd_motion ms[DEMO_MAX];
    lfd_bc_demo demos[DEMO_MAX];
    char hex[DEMO_MAX][65];
    int nd = 0;
    lfd_eval_offline_report ev;
    memset(&ev, 0, sizeof ev);
    if ((rc = lfd_policy_load(&p, d->policy, err)))
        return rc;
    for (int i = 0; i < d->n && rc == LFD_OK; i++) {
        if (!d->rec[i].trained && !d->rec[i].held_out)
            continue;
        if ((rc = lfd_motion_read(&ms[nd], d->rec[i].motion, err)))
            break;
        if ((rc = lfd_file_sha256_hex(d->rec[i].motion, hex[nd], err))) {
            lfd_motion_free(&ms[nd]);
            break;
        }
        demos[nd].motion = &ms[nd];
        demos[nd].name = d->rec[i].name;
        demos[nd].sha256 = hex[nd];
        nd++;
    }
    if (rc == LFD_OK)
        rc = lfd_eval_offline(p, d->robot, nd, demos, &ev, err);
    for (int i = 0; i < nd; i++)
        lfd_motion_free(&ms[i]);
    lfd_policy_free(&p);
    if (rc) {
        lfd_eval_offline_free(&ev);
        return rc;
    }
    say(d, "  6 train     policy 'wipe' on %d demonstrations (%d train, %d validation; consent "
           "re-checked for %s), %d -> %d x %d MLP, %d epochs (best %d) in %.1f s at %.0f samples/s: "
           "%s",
        br.ndemos, br.ntrain_demos, br.nval_demos, PURPOSE, br.obs_dim, br.chunk, br.ndriven,
        br.train.epochs_run, br.train.best_epoch, train_s, br.train.samples_per_s, d->policy);
    say(d, "              held-out %s: action error %.3f rad RMS vs %.3f zero-order hold and %.3f "
           "nearest neighbour (%s)",
        d->rec[held].name, ev.rmse_rad, ev.zoh_rmse_rad, ev.nn_rmse_rad,
        ev.rmse_rad < ev.zoh_rmse_rad && ev.rmse_rad < ev.nn_rmse_rad ? "beats both baselines"
                                                                    : "does NOT beat both baselines");
    lfd_jw_key(&d->jw, "train");
    lfd_jw_obj_begin(&d->jw);
    lfd_jw_kstr(&d->jw, "policy", d->policy);
    lfd_jw_kint(&d->jw, "demos", br.ndemos);
    lfd_jw_kint(&d->jw, "epochs", br.train.epochs_run);
    lfd_jw_knum(&d->jw, "seconds", train_s);
    lfd_jw_knum(&d->jw, "val_loss", br.train.val_loss);
    lfd_jw_kstr(&d->jw, "held_out", d->rec[held].name);
    lfd_jw_knum(&d->jw, "rmse_rad", ev.rmse_rad);
    lfd_jw_knum(&d->jw, "zoh_rmse_rad", ev.zoh_rmse_rad);
    lfd_jw_knum(&d->jw, "nn_rmse_rad", ev.nn_rmse_rad);
    lfd_jw_kint(&d->jw, "in_sample", ev.in_sample);
    lfd_jw_obj_end(&d->jw);
    lfd_eval_offline_free(&ev);
    return LFD_OK;
}

/* ---- 7 serve and drive ------------------------------------------------------------------- */

static int stage_serve(demo *d, lfd_err *err)
{
    demo_rec *ref = NULL;
    for (int i = 0; i < d->n; i++)
        if (d->rec[i].held_out)
            ref = &d->rec[i];
    if (!ref)
        return lfd_fail(err, LFD_ESTATE, "lfd demo: no held-out motion to track");
    lfd_motion m;
    int rc = lfd_motion_read(&m, ref->motion, err);
    if (rc)
        return rc;
    lfd_server *srv = NULL;
    lfd_policy *pf = NULL;
    lfd_obs_layout *L = calloc(1, sizeof *L);
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    if (!L) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    /* the observation the policy expects, rebuilt from its file's schema */
    if ((rc = lfd_policy_load(&pf, d->policy, err)) ||
        (rc = lfd_obs_layout_from_names(L, d->robot, pf->obs_dim, (const char(*)[64])pf->obs_names,
                                        pf->driven, pf->ndriven, err)) ||
        (rc = lfd_server_new(&srv, &cfg, err)) || (lfd_server_use_robot(srv, d->robot), 0) ||
        (rc = lfd_server_load_policy(srv, d->policy, err)) ||
        (rc = lfd_server_bind(srv, err)) || (rc = lfd_server_start(srv, err)))
        goto done;
    lfd_ctl_opts co;
    lfd_ctl_opts_init(&co);
    co.endpoint = lfd_server_endpoint(srv);
    co.policy = pf->name;
    co.hz = d->o.ctl_hz;
    co.seconds = d->o.drive_s > 0 ? fmin(d->o.drive_s, lfd_motion_duration_s(&m)) : lfd_motion_duration_s(&m);
    co.ref = &m;
    co.obs = L;
    lfd_ctl_report cr;
    if ((rc = lfd_ctl_run(d->robot, &co, &cr, err)))
        goto done;
    /* what holding still would have scored: the driven joints' distance
       from their first frame, over the same span */
    double hold = 0;
    int nh = 0, nf = (int)fmin(m.nframes, co.seconds * m.fps + 1);
    for (int f = 0; f < nf; f++)
        for (int k = 0; k < pf->ndriven; k++) {
            const lfd_robot_joint *J = &d->robot->joints[pf->driven[k]];
            hold += fabs(lfd_motion_frame(&m, f)[J->qpos_adr] - lfd_motion_frame(&m, 0)[J->qpos_adr]);
            nh++;
        }
    hold = nh ? hold / nh : 0;
    say(d, "  7 serve     '%s' served on %s; the C client drove %s in MuJoCo at %.0f Hz for %.1f s "
           "(%d ticks, %d overruns, tick p99 %.0f us, %llu chunk requests): tracking the held-out %s "
           "%.3f rad mean (%.3f rad if it had held still), %s",
        co.policy, co.endpoint, d->robot->name, cr.achieved_hz, cr.elapsed_s, cr.ticks, cr.overruns,
        cr.tick_us_p99, cr.chunk_requests, ref->name, cr.track_rad_mean, hold,
        cr.fell ? "FELL" : "did not fall");
    lfd_jw_key(&d->jw, "serve");
    lfd_jw_obj_begin(&d->jw);
    lfd_jw_kstr(&d->jw, "reference", ref->name);
    lfd_jw_knum(&d->jw, "achieved_hz", cr.achieved_hz);
    lfd_jw_kint(&d->jw, "ticks", cr.ticks);
    lfd_jw_kint(&d->jw, "overruns", cr.overruns);
    lfd_jw_knum(&d->jw, "tick_us_p99", cr.tick_us_p99);
    lfd_jw_kint(&d->jw, "chunk_requests", (int64_t)cr.chunk_requests);
    lfd_jw_kint(&d->jw, "ticks_ok", cr.ticks_ok);
    lfd_jw_knum(&d->jw, "track_rad_mean", cr.track_rad_mean);
    lfd_jw_knum(&d->jw, "track_rad_max", cr.track_rad_max);
    lfd_jw_knum(&d->jw, "hold_still_rad_mean", hold);
    lfd_jw_kbool(&d->jw, "fell", cr.fell);
    lfd_jw_obj_end(&d->jw);
done:
    lfd_server_free(&srv); /* stops and joins its thread */
    lfd_policy_free(&pf);
    free(L);
    lfd_motion_free(&m);
    return rc;
}

/* ---- 8 pictures ------------------------------------------------------------------------------ */

static int stage_pictures(demo *d, lfd_err *err)
{
    demo_rec *ref = NULL;
    for (int i = 0; i < d->n; i++)
        if (d->rec[i].held_out)
            ref = &d->rec[i];
    if (!ref)
        return LFD_OK;
    char sub[1200], svg[1300];
    path_in(d, sub, sizeof sub, "pictures");
    int rc = lfd_mkdir_p(sub, err);
    if (rc)
        return rc;
    lfd_motion m;
    if ((rc = lfd_motion_read(&m, ref->motion, err)))
        return rc;
    /* the held-out motion's joints against their limits, with the torque series */
    lfd_checker *c = NULL;
    lfd_check_ws *ws = NULL;
    lfd_check_report *rep = NULL;
    lfd_check_opts co;
    lfd_check_opts_init(&co);
    co.series = 1;
    snprintf(svg, sizeof svg, "%s/%s-check.svg", sub, ref->name);
    rc = lfd_check_report_new(&rep, err);
    if (rc == LFD_OK)
        rc = lfd_checker_new(&c, d->robot, err);
    if (rc == LFD_OK)
        rc = lfd_check_ws_new(&ws, c, err);
    if (rc == LFD_OK)
        rc = lfd_check_motion(c, ws, &m, &co, rep, err);
    if (rc == LFD_OK)
        rc = lfd_check_plot_svg(c, &m, rep, ref->name, svg, err);
    char note[2600] = "";
    int frames = 0;
    if (rc == LFD_OK && d->o.pictures) {
        /* rendered frames and a video, where an offscreen GL context exists */
        char fdir[1300];
        snprintf(fdir, sizeof fdir, "%s/frames", sub);
        lfd_render_opts ro;
        lfd_render_opts_init(&ro);
        ro.every = d->o.quick ? 25 : 5;
        lfd_render_result res;
        lfd_err rerr = {0};
        if (lfd_render_motion(d->robot, &m, rep, fdir, &ro, &res, &rerr) == LFD_OK) {
            frames = res.frames;
            snprintf(note, sizeof note, "%d frames (%.0f ms each)%s%s in %s/frames/", res.frames,
                     res.ms_per_frame, res.mp4_written ? " and replay.mp4" : "; no video: ",
                     res.mp4_written ? "" : res.mp4_note, sub);
        } else {
            snprintf(note, sizeof note, "no rendered frames: %s", rerr.msg);
        }
    } else if (rc == LFD_OK) {
        snprintf(note, sizeof note, "rendering skipped (--no-pictures)");
    }
    lfd_check_ws_free(&ws);
    lfd_checker_free(&c);
    lfd_check_report_free(&rep);
    lfd_motion_free(&m);
    if (rc)
        return rc;
    say(d, "  8 pictures  %s (joints against their limits); %s", svg, note);
    lfd_jw_key(&d->jw, "pictures");
    lfd_jw_obj_begin(&d->jw);
    lfd_jw_kstr(&d->jw, "plot", svg);
    lfd_jw_kint(&d->jw, "frames", frames);
    lfd_jw_obj_end(&d->jw);
    return LFD_OK;
}

/* ---- 9 real: recorded human motion shipped in examples/data/ ------------------------------ */

/* The folder of the shipped recordings: <built-in robots folder>/../examples/data (the
   repository the program was built in), else ./examples/data.  0 if neither exists. */
static int real_data_dir(char *out, size_t n)
{
    char rdir[1024];
    lfd_err e = {0};
    struct stat st;
    if (lfd_robot_builtin_dir(rdir, sizeof rdir, &e) == LFD_OK) {
        snprintf(out, n, "%s/../examples/data", rdir);
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
            return 1;
    }
    snprintf(out, n, "examples/data");
    return stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Every BVH in examples/data/: qa, retarget with the defaults of `lfd retarget` (whole body,
   the file's own rate) and the default checks of `lfd check`.  Figures only: these clips
   are not trained on.  Their verdicts are whatever the current retargeter gives. */
static int stage_real(demo *d, lfd_err *err)
{
    char src[1100];
    lfd_jw_key(&d->jw, "real");
    lfd_jw_obj_begin(&d->jw);
    if (!real_data_dir(src, sizeof src)) {
        lfd_jw_kstr(&d->jw, "skipped", "no examples/data folder");
        lfd_jw_obj_end(&d->jw);
        say(d, "  9 real      skipped: no examples/data folder beside the program's robots/ "
               "or in the working folder");
        return LFD_OK;
    }
    enum { REAL_MAX = 8 };
    char names[REAL_MAX][256];
    int nclips = 0;
    DIR *dp = opendir(src);
    if (!dp)
        return lfd_fail(err, LFD_EIO, "%s: cannot list", src);
    for (struct dirent *e; (e = readdir(dp)) && nclips < REAL_MAX;) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < sizeof names[0] && !strcmp(e->d_name + l - 4, ".bvh"))
            snprintf(names[nclips++], sizeof names[0], "%s", e->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)nclips, sizeof names[0], name_cmp);
    char sub[1200];
    path_in(d, sub, sizeof sub, "real");
    int rc = lfd_mkdir_p(sub, err);
    if (rc)
        return rc;
    say(d, "  9 real      %d recording%s of real people (CMU motion capture, examples/data/), retargeted "
           "onto %s with the defaults of `lfd retarget` and checked as `lfd check` does; not trained on: "
           "%s/real/",
        nclips, nclips == 1 ? "" : "s", d->robot->name, d->dir);
    lfd_retarget_opts ro;
    lfd_retarget_opts_init(&ro);
    ro.progress = 0;
    lfd_check_opts co;
    lfd_check_opts_init(&co);
    lfd_qa_report *q = calloc(1, sizeof *q);
    if (!q)
        return lfd_fail(err, LFD_ENOMEM, "lfd demo: out of memory");
    lfd_check_report *rep = NULL;
    if ((rc = lfd_check_report_new(&rep, err))) {
        free(q);
        return rc;
    }
    int counts[3] = {0, 0, 0};
    lfd_jw_kint(&d->jw, "clips", nclips);
    lfd_jw_key(&d->jw, "results");
    lfd_jw_arr_begin(&d->jw);
    for (int i = 0; i < nclips && rc == LFD_OK; i++) {
        char in[2400], base[256], mp[2400], tp[2400];
        snprintf(in, sizeof in, "%s/%.255s", src, names[i]);
        snprintf(base, sizeof base, "%.*s", (int)strlen(names[i]) - 4, names[i]);
        snprintf(mp, sizeof mp, "%s/%s.%s.lfdm", sub, base, d->robot->name);
        snprintf(tp, sizeof tp, "%s/%s.check.txt", sub, base);
        if ((rc = lfd_qa_file(in, NULL, q, err)))
            break;
        lfd_human h;
        lfd_motion m;
        lfd_retarget_report rr;
        if ((rc = lfd_human_load(&h, in, NULL, err)))
            break;
        rc = lfd_retarget_human(d->robot, &h, &ro, &m, &rr, err);
        lfd_human_free(&h);
        if (rc)
            break;
        rc = lfd_motion_write(&m, mp, err);
        if (rc == LFD_OK)
            rc = lfd_check_run(d->robot, &m, &co, rep, err);
        lfd_motion_free(&m);
        if (rc)
            break;
        lfd_atomic_file af;
        if ((rc = lfd_atomic_open(&af, tp, err)))
            break;
        lfd_check_report_print(rep, d->robot, base, af.fp);
        if ((rc = lfd_atomic_commit(&af, err)))
            break;
        counts[rep->verdict < 0 ? 0 : rep->verdict > 2 ? 2 : rep->verdict]++;
        /* the kinds of failing finding ("torque", "assist", ...), in kind order */
        char failing[256] = "";
        unsigned seen = 0;
        for (int k = 0; k < rep->nfindings; k++) {
            const lfd_check_finding *f = &rep->finding[k];
            if (f->severity == LFD_CHECK_FAIL && f->kind >= 0 && f->kind < LFD_CK_COUNT)
                seen |= 1u << f->kind;
        }
        for (int k = 0; k < LFD_CK_COUNT; k++)
            if (seen & (1u << k)) {
                size_t l = strlen(failing);
                snprintf(failing + l, sizeof failing - l, "%s%s", l ? ", " : "", lfd_check_kind_name(k));
            }
        say(d, "              %s: %d frames at %.0f Hz, qa %s (score %.0f); root jump max %.1f mm, joint "
               "acceleration p99 %.0f rad/s^2, hands %.0f mm from target; check %s%s%s%s",
            base, rr.frames, rr.fps, lfd_qa_verdict_name(q->verdict), q->score, 1000 * rr.root_jump_max_m,
            rr.acc_p99_rad_s2, 1000 * rr.hand_err_mean_m, lfd_check_verdict_name(rep->verdict),
            failing[0] ? " (failing: " : "", failing, failing[0] ? ")" : "");
        lfd_jw_obj_begin(&d->jw);
        lfd_jw_kstr(&d->jw, "name", base);
        lfd_jw_kint(&d->jw, "frames", rr.frames);
        lfd_jw_knum(&d->jw, "fps", rr.fps);
        lfd_jw_kstr(&d->jw, "qa_verdict", lfd_qa_verdict_name(q->verdict));
        lfd_jw_knum(&d->jw, "qa_score", q->score);
        lfd_jw_knum(&d->jw, "root_jump_max_m", rr.root_jump_max_m);
        lfd_jw_knum(&d->jw, "acc_p99_rad_s2", rr.acc_p99_rad_s2);
        lfd_jw_knum(&d->jw, "hand_err_mean_m", rr.hand_err_mean_m);
        lfd_jw_kstr(&d->jw, "check_verdict", lfd_check_verdict_name(rep->verdict));
        lfd_jw_kstr(&d->jw, "failing", failing);
        lfd_jw_kint(&d->jw, "failures", rep->nfail);
        lfd_jw_kint(&d->jw, "warnings", rep->nwarn);
        lfd_jw_obj_end(&d->jw);
    }
    lfd_jw_arr_end(&d->jw);
    free(q);
    lfd_check_report_free(&rep);
    if (rc)
        return rc;
    lfd_jw_kint(&d->jw, "pass", counts[0]);
    lfd_jw_kint(&d->jw, "warn", counts[1]);
    lfd_jw_kint(&d->jw, "fail", counts[2]);
    lfd_jw_obj_end(&d->jw);
    return LFD_OK;
}

/* ---- driver -------------------------------------------------------------------------------- */

void lfd_demo_opts_init(lfd_demo_opts *o)
{
    memset(o, 0, sizeof *o);
    o->robot = "h1";
    o->demos = 5;
    o->seconds = 0; /* not given: 10 s, or 7 s with quick (lfd_demo_run) */
    o->rate_hz = 50;
    o->ctl_hz = 500;
    o->pictures = 1;
}

int lfd_demo_run(const lfd_demo_opts *opts, FILE *out, lfd_err *err)
{
    demo *d = calloc(1, sizeof *d);
    if (!d)
        return lfd_fail(err, LFD_ENOMEM, "lfd demo: out of memory");
    d->o = *opts;
    d->out = out;
    d->t0 = lfd_now_s();
    /* a given length is used as given; only a length left out (0) takes the
       default, the quick one with quick (the default was 10 from opts_init, so
       --quick never shortened the recordings) */
    if (!(d->o.seconds > 0))
        d->o.seconds = d->o.quick ? 7 : 10;
    if (d->o.quick) {
        if (d->o.drive_s <= 0)
            d->o.drive_s = 3;
    }
    d->n = (d->o.demos < 2 ? 2 : d->o.demos > DEMO_MAX - 1 ? DEMO_MAX - 1 : d->o.demos) + 1;
    snprintf(d->dir, sizeof d->dir, "%s", opts->dir);
    lfd_buf_init(&d->sum, 1 << 20);
    lfd_buf_init(&d->js, 1 << 22);
    lfd_jw_init_buf(&d->jw, &d->js, 1);
    lfd_jw_obj_begin(&d->jw);
    int rc;
    char p[1200];
    path_in(d, p, sizeof p, "summary.json");
    if (lfd_file_exists(p)) {
        rc = lfd_fail(err, LFD_ESTATE, "%s: holds a previous run (summary.json); choose another -o", d->dir);
        goto done;
    }
    /* everything that can stop the run before its first stage is tried before
       the run folder is made, so that a refused run leaves nothing behind.  The
       recordings are the length give or take (stage_human: +0.7 s steps up to
       2.1 s, one 0.5 s shorter), and a wipe needs LFD_SYNTH_WIPE_MIN_S. */
    if (!(d->o.seconds - 0.5 >= LFD_SYNTH_WIPE_MIN_S && d->o.seconds + 2.1 <= 3600)) {
        rc = lfd_fail(err, LFD_EARG, "--seconds %g is out of range: the recordings need %g to %g s (the "
                      "shortest person's wipe is 0.5 s shorter and needs %g s)", d->o.seconds,
                      LFD_SYNTH_WIPE_MIN_S + 0.5, 3600 - 2.1, LFD_SYNTH_WIPE_MIN_S);
        goto done;
    }
    if ((rc = lfd_robot_load(&d->robot, d->o.robot, err)) || (rc = lfd_mkdir_p(d->dir, err)))
        goto done;
    say(d, "lfd demo: %s, run folder %s", d->robot->name, d->dir);
    lfd_jw_kstr(&d->jw, "robot", d->robot->name);
    lfd_jw_kstr(&d->jw, "run_folder", d->dir);
    if ((rc = stage_human(d, err)) || (rc = stage_qa(d, err)) || (rc = stage_consent(d, err)) ||
        (rc = stage_retarget(d, err)) || (rc = stage_check(d, err)) || (rc = stage_train(d, err)) ||
        (rc = stage_serve(d, err)) || (rc = stage_pictures(d, err)) || (rc = stage_real(d, err)))
        goto done;
    double secs = lfd_now_s() - d->t0;
    say(d, "lfd demo: done in %.1f s; summary: %s/summary.txt", secs, d->dir);
    lfd_jw_knum(&d->jw, "seconds", secs);
    lfd_jw_obj_end(&d->jw);
    lfd_jw_finish(&d->jw);
    path_in(d, p, sizeof p, "summary.txt");
    if ((rc = lfd_file_write_atomic(p, d->sum.data, d->sum.len, err)))
        goto done;
    path_in(d, p, sizeof p, "summary.json");
    rc = lfd_file_write_atomic(p, d->js.data, d->js.len, err);
done:
    lfd_robot_free(&d->robot);
    lfd_buf_free(&d->sum);
    lfd_buf_free(&d->js);
    free(d);
    return rc;
}
