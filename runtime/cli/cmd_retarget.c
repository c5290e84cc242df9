/*  `lfd retarget`: human demonstrations onto a robot (retarget/lfd_retarget.h).
    One file, or many in parallel over the cores with a summary table. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/lfd_keypoints.h"
#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "ingest/lfd_human.h"
#include "retarget/lfd_retarget.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"
#include "runtime/cli/lfd_cli.h"

typedef struct job {
    const char *in;
    char out[4096];
    int rc;
    lfd_err err;
    lfd_retarget_report rep;
    /* lfd check (default thresholds) on the written motion */
    int checked;
    int verdict;
    double assist_max, torque_ratio;
    double hover_max; /* load on sole corners over the check's hover height (body weights) */
    char fails[256];
    int needs_support_frames; /* the check's needs-support frames */
    double time_scale;        /* factor applied (1: none) */
    double time_scale_needed; /* smallest factor whose torques fit (0: none up to the cap;
                                 -1: not probed, --upper-body) */
    /* where none does: the motion's torque peaks alone slowed down
       (lfd check --fix): the duration it would have, as a share of its
       own (0: that does not fit either), and whether it was applied */
    double local_ratio;
    int local_applied;
    int momentum_frames; /* where nothing fits: the frames that lean on their momentum (-1: not measured) */
    char rate_note[128];      /* what --in-fps did to this input ("" without it) */
} job;

typedef struct pool {
    const lfd_robot *robot;
    lfd_retarget_opts opts;
    lfd_human_opts hopts;
    int csv;
    int time_auto;
    int probe_threads; /* threads for one clip's slow-down probes (the --jobs the files leave idle) */
    job *jobs;
    int njobs, next, done;
    pthread_mutex_t mu;
    lfd_progress prog;
} pool;

/* lfd check with default thresholds: verdict, external help, the largest
   torque over its limit, the kinds of failure */
static int check_figures(const lfd_robot *r, const lfd_motion *m, unsigned checks, job *j,
                         lfd_err *err)
{
    lfd_check_report *cr = NULL;
    int rc = lfd_check_report_new(&cr, err);
    if (rc)
        return rc;
    lfd_check_opts o;
    lfd_check_opts_init(&o);
    o.checks = checks;
    rc = lfd_check_run(r, m, &o, cr, err);
    if (rc == LFD_OK) {
        j->verdict = cr->verdict;
        j->assist_max = cr->assist_max;
        j->hover_max = cr->hover_load_max;
        j->needs_support_frames = cr->support.frames;
        j->torque_ratio = 0;
        for (int k = 0; k < cr->njoints && k < r->njoints; k++)
            if (r->joints[k].torque_max > 0)
                j->torque_ratio = fmax(j->torque_ratio, cr->joint[k].torque_peak / r->joints[k].torque_max);
        j->fails[0] = 0;
        unsigned seen = 0;
        for (int i = 0; i < cr->nfindings; i++) {
            const lfd_check_finding *f = &cr->finding[i];
            if (f->severity != LFD_CHECK_FAIL || f->kind >= 32 || (seen >> f->kind & 1u))
                continue;
            seen |= 1u << f->kind;
            size_t l = strlen(j->fails);
            snprintf(j->fails + l, sizeof j->fails - l, "%s%s", l ? "," : "", lfd_check_kind_name(f->kind));
        }
        j->checked = 1;
    }
    lfd_check_report_free(&cr);
    return rc;
}

/* the motion slowed down by s: the person's clip played s times slower */
static int retarget_scaled(pool *p, const lfd_human *h, double s, lfd_motion *m,
                           lfd_retarget_report *rep, lfd_err *err)
{
    lfd_human hs = *h; /* shallow: read-only */
    hs.fps = h->fps / s;
    lfd_retarget_opts o = p->opts;
    if (!(o.fps > 0))
        o.fps = h->fps;
    o.progress = 0;
    o.time_scale = s;
    return lfd_retarget_human(p->robot, &hs, &o, m, rep, err);
}

/* The smallest slow-down (TIME_SCALE_STEPS) whose torques fit the limits;
   0 if none up to the last. */
static const double TIME_SCALE_STEPS[] = {1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2.0};
#define N_TIME_SCALE (int)(sizeof TIME_SCALE_STEPS / sizeof TIME_SCALE_STEPS[0])

/* The slow-downs of one clip, tried on p->probe_threads threads.  Each is a
   whole retargeting; the answer is what trying them from the smallest up
   gives (the first that fits, none past one that failed), since the
   torques do not fall monotonically with the slow-down.  A thread takes no
   factor past one already found to fit or fail. */
enum { PROBE_UNTRIED, PROBE_FITS, PROBE_NO_FIT, PROBE_FAILED };
/* the pool's jobs and lock, and the robot, freed */
static void pool_close(pool *p, lfd_robot **r)
{
    free(p->jobs);
    pthread_mutex_destroy(&p->mu);
    lfd_robot_free(r);
}

typedef struct probe_set {
    pool *p;
    const lfd_human *h;
    pthread_mutex_t mu;
    int next, stop;                 /* next factor to take; none from stop on */
    int state[N_TIME_SCALE];
    lfd_motion m[N_TIME_SCALE];     /* kept where it fits (with --time-scale auto) */
    lfd_retarget_report rep[N_TIME_SCALE];
} probe_set;

static void *probe_worker(void *arg)
{
    probe_set *ps = arg;
    for (;;) {
        pthread_mutex_lock(&ps->mu);
        int i = ps->next < ps->stop ? ps->next++ : -1;
        pthread_mutex_unlock(&ps->mu);
        if (i < 0)
            return NULL;
        job probe = {0};
        lfd_motion ms;
        int st = PROBE_FAILED;
        if (retarget_scaled(ps->p, ps->h, TIME_SCALE_STEPS[i], &ms, &ps->rep[i], &probe.err) == LFD_OK) {
            int ok = check_figures(ps->p->robot, &ms, 1u << LFD_CG_TORQUE, &probe, &probe.err) == LFD_OK &&
                     probe.torque_ratio <= 1;
            st = ok ? PROBE_FITS : PROBE_NO_FIT;
            if (ok && ps->p->time_auto)
                ps->m[i] = ms;
            else
                lfd_motion_free(&ms);
        }
        pthread_mutex_lock(&ps->mu);
        ps->state[i] = st;
        if (st != PROBE_NO_FIT && i < ps->stop)
            ps->stop = i;
        pthread_mutex_unlock(&ps->mu);
    }
}

/* j->time_scale_needed for the clip h, whose motion at its own pace is *m;
   with --time-scale auto, *m becomes the slowed motion (and j its figures) */
static void probe_slowdowns(pool *p, const lfd_human *h, job *j, lfd_motion *m)
{
    probe_set *ps = calloc(1, sizeof *ps);
    if (!ps)
        return; /* nothing said: time_scale_needed stays 0 */
    ps->p = p;
    ps->h = h;
    ps->next = 1;
    ps->stop = N_TIME_SCALE;
    pthread_mutex_init(&ps->mu, NULL);
    pthread_t th[8];
    int nt = p->probe_threads < 1 ? 0 : p->probe_threads - 1;
    nt = nt > 8 ? 8 : nt;
    for (int t = 0; t < nt; t++)
        if (pthread_create(&th[t], NULL, probe_worker, ps))
            nt = t;
    probe_worker(ps);
    for (int t = 0; t < nt; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&ps->mu);
    /* from the smallest up: the first that fits, none past one that failed */
    int pick = -1;
    for (int i = 1; i < N_TIME_SCALE && pick < 0; i++) {
        if (ps->state[i] == PROBE_FAILED || ps->state[i] == PROBE_UNTRIED)
            break;
        if (ps->state[i] == PROBE_FITS)
            pick = i;
    }
    if (pick > 0) {
        j->time_scale_needed = TIME_SCALE_STEPS[pick];
        if (p->time_auto) {
            lfd_motion_free(m);
            *m = ps->m[pick];
            ps->m[pick] = (lfd_motion){0};
            j->rep = ps->rep[pick];
            j->time_scale = TIME_SCALE_STEPS[pick];
            j->rc = check_figures(p->robot, m, LFD_CHECK_DEFAULT, j, &j->err);
        }
    }
    for (int i = 0; i < N_TIME_SCALE; i++)
        lfd_motion_free(&ps->m[i]); /* the fits not taken (the others are empty) */
    free(ps);
}

/* Where no slow-down of the whole clip up to 2x fits: its torque peaks
   slowed down alone, by lfd check --fix (sim/lfd_check_fix.c: the part of
   each peak beyond holding the pose still falls with 1/s^2; checked again,
   three rounds).  j->local_ratio: the repaired motion's duration over the
   clip's when its torques then fit, else 0; with --time-scale auto *m
   becomes it. */
static void probe_local(pool *p, job *j, lfd_motion *m)
{
    lfd_checker *c = NULL;
    lfd_check_ws *ws = NULL;
    lfd_check_report *rep = NULL;
    lfd_motion out = {0};
    lfd_err err = {0};
    lfd_check_opts o;
    lfd_check_opts_init(&o);
    j->local_ratio = 0;
    j->momentum_frames = -1;
    int rc = lfd_checker_new(&c, p->robot, &err);
    if (rc == LFD_OK)
        rc = lfd_check_ws_new(&ws, c, &err);
    if (rc == LFD_OK)
        rc = lfd_check_report_new(&rep, &err);
    if (rc == LFD_OK)
        rc = lfd_check_motion(c, ws, m, &o, rep, &err);
    lfd_check_fixlog *log = rc == LFD_OK ? malloc(sizeof *log) : NULL;
    if (log && (rc = lfd_check_fix(c, ws, m, rep, &o, &out, log, &err)) == LFD_OK) {
        job probe = *j;
        if (check_figures(p->robot, &out, 1u << LFD_CG_TORQUE, &probe, &err) == LFD_OK &&
            probe.torque_ratio <= 1 && out.nframes > 1 && m->nframes > 1) {
            j->local_ratio = lfd_motion_duration_s(&out) / lfd_motion_duration_s(m);
            if (p->time_auto) {
                lfd_motion_free(m);
                *m = out;
                out = (lfd_motion){0};
                j->local_applied = 1;
                j->rc = check_figures(p->robot, m, LFD_CHECK_DEFAULT, j, &j->err);
            }
        }
    }
    /* nothing fits: say how much of the motion leans on its momentum,
       where slowing down raises the torque instead of lowering it */
    if (rc == LFD_OK && j->local_ratio == 0 &&
        lfd_check_momentum_frames(c, ws, m, &o, &j->momentum_frames, &err) != LFD_OK)
        j->momentum_frames = -1;
    free(log);
    lfd_motion_free(&out);
    lfd_check_report_free(&rep);
    lfd_check_ws_free(&ws);
    lfd_checker_free(&c);
}

static void run_job(pool *p, job *j)
{
    lfd_human h;
    lfd_motion m;
    j->time_scale = 1;
    j->momentum_frames = -1;
    j->rc = lfd_human_load(&h, j->in, &p->hopts, &j->err);
    if (j->rc)
        return;
    snprintf(j->rate_note, sizeof j->rate_note, "%s", h.fps_note);
    j->rc = lfd_retarget_human(p->robot, &h, &p->opts, &m, &j->rep, &j->err);
    if (j->rc == LFD_OK)
        j->rc = check_figures(p->robot, &m, LFD_CHECK_DEFAULT, j, &j->err);
    /* the error names the recording (a numerical failure deep in a step
       read "dynamics filter: singular system" with no file: found by review) */
    if (j->rc && !strstr(j->err.msg, j->in))
        lfd_err_prefix(&j->err, "%s", j->in);
    /* which slow-down the actuators would need (always said; applied with --time-scale auto) */
    /* upper body: no slow-down probed, so none is said (-1: it read as "none
       fits up to 2x", whatever the torques were: found by review) */
    j->time_scale_needed = -1;
    if (j->rc == LFD_OK && !p->opts.upper_body) {
        j->time_scale_needed = j->torque_ratio <= 1 ? 1 : 0;
        if (j->time_scale_needed == 0)
            probe_slowdowns(p, &h, j, &m);
        if (j->time_scale_needed == 0)
            probe_local(p, j, &m);
    }
    lfd_human_free(&h);
    if (j->rc) {
        lfd_motion_free(&m);
        return;
    }
    j->rc = p->csv ? lfd_motion_write_csv(&m, j->out, 0, &j->err) : lfd_motion_write(&m, j->out, &j->err);
    lfd_motion_free(&m);
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int i = p->next < p->njobs ? p->next++ : -1;
        pthread_mutex_unlock(&p->mu);
        if (i < 0)
            return NULL;
        run_job(p, &p->jobs[i]);
        pthread_mutex_lock(&p->mu);
        p->done++;
        if (p->njobs > 1)
            lfd_progress_update(&p->prog, p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void print_check(const job *j)
{
    char ns[64] = "";
    if (j->needs_support_frames)
        snprintf(ns, sizeof ns, " (needs support: %d frames)", j->needs_support_frames);
    printf("  lfd check on the written motion: %s%s; external help max %.2f body weights "
           "(outside needs-support frames), torque max %.2f of its limit\n",
           lfd_check_verdict_name(j->verdict), ns, j->assist_max, j->torque_ratio);
    if (j->fails[0])
        printf("  (failing: %s)\n", j->fails);
    lfd_check_opts co;
    lfd_check_opts_init(&co);
    if (j->hover_max > co.assist_warn)
        printf("  counted as support by that check: up to %.2f body weights on sole corners %.0f-%.0f mm "
               "above the floor (lfd check's info findings say where)\n", j->hover_max,
               co.hover_height_m * 1e3, co.contact_height_m * 1e3);
    if (j->time_scale > 1)
        printf("  slowed down %.2fx (--time-scale auto) so the torques fit\n", j->time_scale);
    else if (j->time_scale_needed > 1)
        printf("  the torques would fit slowed down %.2fx (--time-scale auto)\n", j->time_scale_needed);
    else if (j->local_applied)
        printf("  slowed down at its torque peaks alone (--time-scale auto; no slow-down of the whole up to 2x fits), "
               "with lfd check --fix's other mild repairs: %.2fx the duration, and the torques fit (the "
               "figures above are of the motion before it, the check's of the motion written; its "
               "provenance lists the changes under check_fix)\n", j->local_ratio);
    else if (j->time_scale_needed == 0 && j->local_ratio > 0)
        printf("  the torques do not fit slowed down as a whole up to 2x, but slowing their peaks alone "
               "would fit them at %.2fx the duration (--time-scale auto, or lfd check --fix)\n", j->local_ratio);
    else if (j->time_scale_needed == 0 && j->momentum_frames > 0)
        printf("  the torques do not fit slowed down up to 2x, as a whole or at their peaks: at %d of %d "
               "frames the motion leans on its momentum (held still, the pose would ask more than a "
               "joint's limit, so slowing down raises that torque; lfd check --explain-torque FRAME "
               "says what a peak is made of)\n", j->momentum_frames, j->rep.frames);
    else if (j->time_scale_needed == 0)
        printf("  the torques do not fit slowed down up to 2x, as a whole or at their peaks "
               "(lfd check --explain-torque FRAME says what a peak is made of)\n");
}

static int run_retarget(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *robot = NULL, *out = NULL, *units = NULL, *up = NULL, *preset = NULL,
               *map = NULL, *prov = NULL;
    double fps = 0, human_fps = 0, smooth = LFD_RETARGET_SMOOTH_HZ, swing_clear_m = LFD_RETARGET_SWING_CLEAR_M;
    int upper = 0, no_contacts = 0, keep = 0, jobs = 2, json = 0, no_clear = 0;
    const char *time_scale = NULL;
    int zmp_filter = 0, no_zmp_filter = 0, no_torque_step = 0, no_flight_step = 0, strict = 0, every_frame = 0;
    lfd_opt opts[] = {
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH", "robot (built-in name, .robot or .xml path)"},
        {"out", 'o', LFD_OPT_STR, &out, "OUT", "output motion (.lfdm, or .csv); a folder for many inputs"},
        {"out-fps", 0, LFD_OPT_DOUBLE, &fps, "HZ", "output frame rate (default: the input's)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "out-fps", NULL},
        {"upper-body", 0, LFD_OPT_FLAG, &upper, NULL, "hold root and legs at the default pose; retarget arms, waist, head"},
        {"smooth", 0, LFD_OPT_DOUBLE, &smooth, "HZ", "whole-clip smoothing of the result at this cutoff, then the hard bounds again (default 4; 0: off)"},
        {"time-scale", 0, LFD_OPT_STR, &time_scale, "auto", "slow the motion down by the smallest factor (1.1-2) whose torques fit the limits (default off; the factor needed is always reported)"},
        {"no-zmp-filter", 0, LFD_OPT_FLAG, &no_zmp_filter, NULL, "skip the dynamics filter (by default the root is shifted until the motion's own ZMP stays in the support polygon, the arms keeping their targets; off: about 5x faster, more external help and torque on walks; docs/retarget.md)"},
        {"zmp-filter", 0, LFD_OPT_FLAG, &zmp_filter, NULL, "the dynamics filter (the default; kept for scripts that name it)"},
        {"no-flight-step", 0, LFD_OPT_FLAG, &no_flight_step, NULL, "skip the flight step (by default, where both feet are off the floor, the root is moved and turned by the least that makes the centre of mass fall freely and the angular momentum hold there; docs/retarget.md part 26)"},
        {"no-torque-step", 0, LFD_OPT_FLAG, &no_torque_step, NULL, "skip the torque step (by default the joints with no foot below them, waist and arms, are turned by the least that brings their torques within the robot's limits where the motion asks more; docs/retarget.md part 24)"},
        {"solve-every-frame", 0, LFD_OPT_FLAG, &every_frame, NULL, "solve every output frame (by default, at 60 fps or more with smoothing on, every k-th frame is solved at 30-60 fps, the rate lfd's whole-clip steps are tuned at, and the result splined to the output rate: several times faster, and on the shared 120 Hz clips mostly the better motion; docs/retarget.md part 8)"},
        {"swing-clearance-m", 0, LFD_OPT_DOUBLE, &swing_clear_m, "M", "a foot swinging between contact phases keeps its lowest sole corner this far above the floor at mid-swing (sin^2 over the swing; default 0.04, 0: off): swinging feet do not skim the floor, where a real robot trips and the check would count them as support (docs/retarget.md parts 14 and 19)"},
        {"no-contacts", 0, LFD_OPT_FLAG, &no_contacts, NULL, "do not pin feet during contact"},
        {"keep-measurements", 0, LFD_OPT_FLAG, &keep, NULL, "keep body measurements and capture location in the output"},
        {"no-clearance", 0, LFD_OPT_FLAG, &no_clear, NULL, "let the arms pass through the body (no IK clearance pairs)"},
        {"jobs", 'j', LFD_OPT_INT, &jobs, "N", "threads: files retargeted in parallel, and with fewer files than N a file's slow-down probes (default 2)"},
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "print the quality reports as JSON"},
        {"strict", 0, LFD_OPT_FLAG, &strict, NULL, "exit 1 when a report warns (hands, joints at bounds, root jump, acceleration, slide, floor, root speed) or lfd check on the written motion fails (without --strict both are printed and the exit is 0)"},
        {"units", 0, LFD_OPT_STR, &units, "U", "human units m|cm|mm|inch|asf, winning over a sidecar's or preset's (default/auto: theirs, else detected)"},
        {"up", 0, LFD_OPT_STR, &up, "AXIS", "human up axis y|z|-y|-z, winning as --units does (default/auto: a sidecar's or preset's, else detected)"},
        {"in-fps", 0, LFD_OPT_DOUBLE, &human_fps, "HZ", "frame rate of a human input that states none (a BVH's Frame Time, a sidecar's fps or a time column win; a note says so)"},
        {"human-fps", 0, LFD_OPT_ALIAS, NULL, "in-fps", NULL},
        {"preset", 0, LFD_OPT_STR, &preset, "NAME", "keypoint joint preset (smpl-22, mediapipe-33, ...)"},
        {"map", 0, LFD_OPT_STR, &map, "FILE", "canonical mapping file for an unknown rig"},
        {"prov", 0, LFD_OPT_STR, &prov, "FILE", "provenance record (default FILE.prov.json)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, -1)))
        return lfd_args_exit(rc);
    if ((rc = lfd_cli_check_preset(cmd, preset)))
        return rc;
    if (!robot)
        return lfd_cli_usage_error(cmd, "--robot is required");
    if (!out)
        return lfd_cli_usage_error(cmd, "-o OUT is required");
    if (time_scale && strcmp(time_scale, "auto"))
        return lfd_cli_usage_error(cmd, "--time-scale takes 'auto'");
    /* the slow-downs are probed on the whole body only (with --upper-body
       the option did nothing, unsaid: found by review) */
    if (time_scale && upper)
        return lfd_cli_usage_error(cmd, "--time-scale auto slows a whole-body motion; with --upper-body "
                                        "the legs hold their pose and no slow-down is probed");
    if (!(swing_clear_m >= 0 && swing_clear_m <= 0.2))
        return lfd_cli_usage_error(cmd, "--swing-clearance-m takes 0 to 0.2 (metres)");
    if (zmp_filter && no_zmp_filter)
        return lfd_cli_usage_error(cmd, "--zmp-filter and --no-zmp-filter exclude each other");
    /* numbers the retargeter would otherwise take silently (a negative or NaN
       cutoff, a rate of 0 read as "the input's") */
    if (!(smooth >= 0 && smooth <= 1000))
        return lfd_cli_range_error(cmd, "smooth", smooth, "0 (off) or a cutoff above 0 up to 1000 Hz");
    if (lfd_args_given("out-fps") && !(fps > 0 && fps <= 1000))
        return lfd_cli_range_error(cmd, "out-fps", fps, "above 0 up to 1000 Hz (leave it out for the input's rate)");
    if (lfd_args_given("in-fps") && !(human_fps > 0 && human_fps <= LFD_KP_FPS_MAX)) {
        char rng[48];
        snprintf(rng, sizeof rng, "above 0 up to %g Hz", LFD_KP_FPS_MAX);
        return lfd_cli_range_error(cmd, "in-fps", human_fps, rng);
    }
    /* a folder is not a recording: say so, not "unknown format" */
    for (int i = 0; i < npos; i++)
        if (lfd_cli_is_dir(pos[i]))
            return lfd_cli_usage_error(cmd, "%s is a folder, not a recording: pass the files in it, "
                                            "e.g. %s/*.bvh", pos[i], pos[i]);
    /* where the output goes: one file (.lfdm or .csv), or a folder for several
       inputs, for -o ending in '/' or naming a folder that exists */
    size_t olen = strlen(out);
    int out_folder = npos > 1 || (olen && out[olen - 1] == '/') || lfd_cli_is_dir(out);
    int out_ext = lfd_util_has_suffix(out, ".lfdm") || lfd_util_has_suffix(out, ".csv");
    if (npos > 1 && out_ext && !lfd_cli_is_dir(out))
        return lfd_cli_usage_error(cmd, "-o %s names one file but %d inputs were given: give a folder "
                                        "(e.g. -o motions/) for several inputs", out, npos);
    if (!out_folder && !out_ext)
        return lfd_cli_usage_error(cmd, "-o %s: retarget writes .lfdm (lfd motion) or .csv "
                                        "(Unitree/BeyondMimic layout), or into a folder (-o DIR/)", out);
    if (!out_folder && lfd_cli_check_out_parent(cmd, out))
        return LFD_EXIT_ERROR;
    lfd_err err = {0};
    lfd_robot *r;
    if ((rc = lfd_robot_load(&r, robot, &err)))
        return lfd_cli_error(cmd, &err);
    pool p = {0};
    p.robot = r;
    lfd_retarget_opts_init(&p.opts);
    p.opts.fps = fps;
    p.opts.upper_body = upper;
    p.opts.smooth_hz = smooth;
    p.opts.no_contacts = no_contacts;
    p.opts.keep_measurements = keep;
    p.opts.no_clearance = no_clear;
    p.opts.progress = npos == 1;
    p.time_auto = time_scale != NULL;
    p.opts.zmp_filter = !no_zmp_filter;
    p.opts.torque_step = !no_torque_step;
    p.opts.flight_step = !no_flight_step;
    p.opts.solve_every_frame = every_frame;
    p.opts.swing_clear_m = swing_clear_m;
    p.hopts = (lfd_human_opts){units, up, human_fps, preset, NULL, map, prov, LFD_REFPOSE_KEEP};
    p.njobs = npos;
    p.jobs = calloc((size_t)npos, sizeof *p.jobs);
    pthread_mutex_init(&p.mu, NULL);
    for (int i = 0; i < npos; i++) {
        job *j = &p.jobs[i];
        j->in = pos[i];
        if (!out_folder) {
            snprintf(j->out, sizeof j->out, "%s", out);
        } else {
            const char *b = strrchr(pos[i], '/') ? strrchr(pos[i], '/') + 1 : pos[i];
            const char *dot = strrchr(b, '.');
            int n = dot ? (int)(dot - b) : (int)strlen(b);
            snprintf(j->out, sizeof j->out, "%s/%.*s.%s.lfdm", out, n, b, r->name);
        }
    }
    /* nothing is written over an input, and no two inputs share an output */
    for (int i = 0; i < npos; i++) {
        int bad = lfd_cli_check_not_input(cmd, p.jobs[i].out, pos, npos);
        for (int k = 0; k < i && !bad; k++)
            if (!strcmp(p.jobs[k].out, p.jobs[i].out))
                bad = lfd_cli_usage_error(cmd, "%s and %s would both be written to %s: give them "
                                               "different names or retarget them into different folders",
                                          p.jobs[k].in, p.jobs[i].in, p.jobs[i].out);
        if (bad) {
            pool_close(&p, &r);
            return LFD_EXIT_ERROR;
        }
    }
    /* a folder output is made when missing (as replay -o), once the arguments hold */
    if (out_folder && !lfd_cli_is_dir(out)) {
        lfd_err derr = {0};
        if (lfd_mkdir_p(out, &derr)) {
            pool_close(&p, &r);
            return lfd_cli_error(cmd, &derr);
        }
    }
    size_t ol = strlen(p.jobs[0].out);
    p.csv = ol > 4 && !strcmp(p.jobs[0].out + ol - 4, ".csv");
    if (npos > 1)
        lfd_progress_start(&p.prog, "retarget", npos);
    int nthreads = jobs < 1 ? 1 : jobs > npos ? npos : jobs;
    pthread_t th[64];
    if (nthreads > 64)
        nthreads = 64;
    /* the threads --jobs allows beyond one per file go to each file's slow-down probes */
    p.probe_threads = jobs > nthreads ? jobs / nthreads : 1;
    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, &p);
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    if (npos > 1)
        lfd_progress_end(&p.prog);
    int failed = 0;
    if (json) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_jw_arr_begin(&jw);
        for (int i = 0; i < npos; i++) {
            job *j = &p.jobs[i];
            lfd_jw_obj_begin(&jw);
            lfd_jw_kstr(&jw, "input", j->in);
            lfd_jw_kstr(&jw, "output", j->rc ? NULL : j->out);
            lfd_jw_kstr(&jw, "robot", r->name);
            if (j->rate_note[0])
                lfd_jw_kstr(&jw, "rate_note", j->rate_note);
            if (j->rc) {
                lfd_jw_kstr(&jw, "error", j->err.msg);
            } else {
                lfd_jw_key(&jw, "report");
                lfd_retarget_report_json(&j->rep, &jw);
                lfd_jw_key(&jw, "check");
                lfd_jw_obj_begin(&jw);
                lfd_jw_kstr(&jw, "verdict", lfd_check_verdict_name(j->verdict));
                lfd_jw_knum(&jw, "assist_max_body_weight", j->assist_max);
                lfd_jw_kint(&jw, "needs_support_frames", j->needs_support_frames);
                lfd_jw_knum(&jw, "torque_ratio_max", j->torque_ratio);
                lfd_jw_knum(&jw, "hover_load_max_body_weight", j->hover_max);
                lfd_jw_kstr(&jw, "failing", j->fails);
                lfd_jw_knum(&jw, "time_scale", j->time_scale);
                if (j->time_scale_needed < 0) {
                    lfd_jw_key(&jw, "time_scale_needed");
                    lfd_jw_null(&jw);
                } else
                    lfd_jw_knum(&jw, "time_scale_needed", j->time_scale_needed);
                lfd_jw_knum(&jw, "local_slowdown_ratio", j->local_ratio);
                lfd_jw_kbool(&jw, "local_slowdown_applied", j->local_applied);
                if (j->momentum_frames >= 0)
                    lfd_jw_knum(&jw, "momentum_frames", j->momentum_frames);
                lfd_jw_obj_end(&jw);
            }
            lfd_jw_obj_end(&jw);
            failed += j->rc != 0;
        }
        lfd_jw_arr_end(&jw);
        lfd_jw_finish(&jw);
    } else {
        for (int i = 0; i < npos; i++) {
            job *j = &p.jobs[i];
            if (j->rc) {
                fprintf(stderr, "lfd retarget: %s\n", j->err.msg);
                failed++;
            } else if (npos == 1) {
                printf("%s -> %s (%s)\n", j->in, j->out, r->name);
                lfd_retarget_report_print(&j->rep, stdout);
                print_check(j);
            }
        }
        if (npos > 1) {
            /* the check's verdict in its own column (a failing check of a
               file among several was printed nowhere: found by review) */
            printf("%-44s %6s %8s %8s %8s %8s %8s %6s  %s\n", "input", "frames", "hand_m", "foot_m",
                   "slide_m", "floor_m", "vel/lim", "fps_k", "check");
            for (int i = 0; i < npos; i++) {
                job *j = &p.jobs[i];
                const char *b = strrchr(j->in, '/') ? strrchr(j->in, '/') + 1 : j->in;
                if (j->rc) {
                    printf("%-44.44s  error (see above)\n", b);
                    continue;
                }
                printf("%-44.44s %6d %8.3f %8.3f %8.4f %8.4f %8.2f %6.1f  %s%s%s%s\n", b, j->rep.frames,
                       j->rep.hand_err_mean_m, j->rep.foot_err_mean_m, j->rep.foot_slide_max_m,
                       j->rep.floor_pen_max_m, j->rep.peak_vel_ratio, j->rep.frames_per_s / 1000,
                       j->checked ? lfd_check_verdict_name(j->verdict) : "-", j->fails[0] ? " (" : "",
                       j->fails, j->fails[0] ? ")" : "");
            }
        }
    }
    /* a given rate that did not apply (or did) is stated, per file */
    for (int i = 0; i < npos && !json; i++)
        if (p.jobs[i].rate_note[0])
            fprintf(stderr, "lfd retarget: note: %s: %s\n", p.jobs[i].in, p.jobs[i].rate_note);
    /* poor results say so: a warning line per figure beyond its threshold
       (lfd_retarget_report_warnings), and --strict makes them the verdict */
    int warned = 0;
    for (int i = 0; i < npos; i++) {
        job *j = &p.jobs[i];
        char w[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN];
        if (j->rc || !lfd_retarget_report_warnings(&j->rep, w))
            continue;
        warned++;
        if (npos > 1 && !json) {
            const char *b = strrchr(j->in, '/') ? strrchr(j->in, '/') + 1 : j->in;
            fprintf(stderr, "lfd retarget: warning: %s: %s\n", b, w[0]);
        }
    }
    /* the check on the written motion is part of the verdict under --strict
       (without it, a failing check is printed and the exit stays 0) */
    int check_failed = 0;
    for (int i = 0; i < npos; i++) {
        job *j = &p.jobs[i];
        if (j->rc || !j->checked || j->verdict != LFD_CHECK_FAIL)
            continue;
        check_failed++;
        if (strict && !json) {
            const char *b = strrchr(j->in, '/') ? strrchr(j->in, '/') + 1 : j->in;
            fprintf(stderr, "lfd retarget: --strict: %s: lfd check on the written motion %s fails%s%s\n", b,
                    j->out, j->fails[0] ? ": " : "", j->fails);
        }
    }
    if (warned && npos > 1 && !json)
        fprintf(stderr, "lfd retarget: %d of %d motions have warnings (single input or --json: all)\n",
                warned, npos);
    pool_close(&p, &r);
    if (failed)
        return LFD_EXIT_ERROR;
    return strict && (warned || check_failed) ? LFD_EXIT_FAIL : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_retarget, "retarget", "retarget human demonstrations onto a robot",
            "HUMAN... --robot NAME|PATH -o OUT [options]",
            "HUMAN is a BVH, keypoint CSV or .npy file (see lfd human info).  The output is\n"
            "an lfd motion (.lfdm) or, for a name ending in .csv, the Unitree/BeyondMimic\n"
            "CSV layout.  Scaling is automatic (robot over human segment lengths), feet are\n"
            "pinned during contact and kept above the floor, joint ranges and velocity\n"
            "limits are hard bounds.  A quality report is printed and stored in the\n"
            "motion's provenance, with the human's consent record and lineage.\n"
            "The written motion is then checked as lfd check does (default thresholds) and\n"
            "the verdict printed; a failing check or a warning in the report exits 1 only\n"
            "with --strict (else 0: the motion is written either way).  -o must not name an\n"
            "input; for several inputs it is a folder (made when missing).",
            run_retarget)
