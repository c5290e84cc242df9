/*  `lfd check`: is a robot motion safe to learn from and to play?
    (sim/lfd_check.h).  Many files are checked in parallel: the checker is
    made once and shared (read-only), each thread has its own workspace.
    --fix repairs one motion's mild problems and checks the result again;
    --plot draws one motion's joints against their limits. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "robots/lfd_robot.h"
#include "runtime/cli/lfd_cli.h"
#include "sim/lfd_check.h"

#define MAX_THREADS 16

typedef struct job {
    const char *in;
    int rc;
    lfd_err err;
    lfd_check_report *rep;
} job;

typedef struct pool {
    const lfd_checker *c;
    const lfd_check_opts *o;
    double csv_fps;
    job *jobs;
    int njobs, next, done;
    pthread_mutex_t mu;
    lfd_progress prog;
} pool;

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* reads an lfd motion or a CSV in the robot's joint order */
static int read_motion(const lfd_robot *r, const char *path, double csv_fps, lfd_motion *m,
                       lfd_err *err)
{
    /* what is not a robot motion, said as such (not "not an lfd motion file") */
    if (lfd_cli_is_dir(path))
        return lfd_fail(err, LFD_EARG, "%s is a folder, not a motion file", path);
    if (lfd_cli_is_human_file(path))
        return lfd_fail(err, LFD_EARG, "%s is a human recording, not a robot motion: retarget it first "
                        "(lfd retarget %s --robot %s -o OUT.lfdm)", path, path, r->name);
    if (!lfd_util_has_suffix(path, ".csv"))
        return lfd_motion_read(m, path, err);
    char(*names)[LFD_NAME_MAX] = calloc((size_t)(r->njoints > 0 ? r->njoints : 1), LFD_NAME_MAX);
    if (!names)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int j = 0; j < r->njoints; j++)
        snprintf(names[j], LFD_NAME_MAX, "%s", r->joints[j].name);
    lfd_csv_opts co = {.fps = csv_fps, .floating = r->floating, .robot = r->name,
                       .model_hash = NULL, .njoint_names = r->njoints,
                       .joint_names = (const char(*)[LFD_NAME_MAX])names};
    int rc = lfd_motion_read_csv(m, path, &co, err);
    /* a CSV that does not read as the robot's columns may be keypoints */
    if (rc != LFD_OK && rc != LFD_ENOMEM) {
        size_t l = strlen(err->msg);
        snprintf(err->msg + l, sizeof err->msg - l, " (if it is a keypoint CSV, a human recording: retarget "
                 "it first, lfd retarget %s --robot %s -o OUT.lfdm)", path, r->name);
    }
    free(names);
    return rc;
}

/* "PATH: message", naming the file once (most messages start with it) */
static void print_job_error(const job *j)
{
    size_t l = strlen(j->in);
    if (!strncmp(j->err.msg, j->in, l) && (j->err.msg[l] == ':' || j->err.msg[l] == ' '))
        fprintf(stderr, "lfd check: %s\n", j->err.msg);
    else
        fprintf(stderr, "lfd check: %s: %s\n", j->in, j->err.msg);
}

static void run_job(pool *p, lfd_check_ws *ws, job *j)
{
    lfd_motion m;
    j->rc = read_motion(lfd_checker_robot(p->c), j->in, p->csv_fps, &m, &j->err);
    if (j->rc)
        return;
    j->rc = lfd_check_motion(p->c, ws, &m, p->o, j->rep, &j->err);
    /* each failing torque: what holding the pose still asks, and whether
       slowing down would fit it */
    if (j->rc == LFD_OK && (p->o->checks & (1u << LFD_CG_TORQUE)))
        j->rc = lfd_check_annotate_torque(p->c, ws, &m, p->o, j->rep, &j->err);
    lfd_motion_free(&m);
}

static void *worker(void *arg)
{
    pool *p = arg;
    lfd_check_ws *ws = NULL;
    lfd_err werr = {0};
    int wrc = lfd_check_ws_new(&ws, p->c, &werr);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int i = p->next < p->njobs ? p->next++ : -1;
        pthread_mutex_unlock(&p->mu);
        if (i < 0)
            break;
        job *j = &p->jobs[i];
        if (wrc) {
            j->rc = wrc;
            j->err = werr;
        } else {
            run_job(p, ws, j);
        }
        pthread_mutex_lock(&p->mu);
        p->done++;
        if (p->njobs > 1)
            lfd_progress_update(&p->prog, p->done);
        pthread_mutex_unlock(&p->mu);
    }
    lfd_check_ws_free(&ws);
    return NULL;
}

/* the one-motion extras: --fix (repair, re-check) and --plot */
static int fix_and_plot(const lfd_cmd *cmd, const lfd_checker *c, const char *in, double csv_fps,
                        const lfd_check_opts *o, lfd_check_report *rep, const char *fix_out,
                        const char *plot, int json, int *verdict)
{
    lfd_err err = {0};
    lfd_motion m;
    lfd_check_ws *ws = NULL;
    int rc = read_motion(lfd_checker_robot(c), in, csv_fps, &m, &err);
    if (rc)
        return lfd_cli_error(cmd, &err);
    if ((rc = lfd_check_ws_new(&ws, c, &err))) {
        lfd_motion_free(&m);
        return lfd_cli_error(cmd, &err);
    }
    if (plot) {
        rc = lfd_check_plot_svg(c, &m, rep, base_name(in), plot, &err);
        if (rc)
            goto fail;
        if (!json)
            printf("plot: %s\n", plot);
    }
    if (fix_out) {
        lfd_motion fixed;
        lfd_check_fixlog log;
        rc = lfd_check_fix(c, ws, &m, rep, o, &fixed, &log, &err);
        if (rc)
            goto fail;
        lfd_check_report *rep2 = NULL;
        if ((rc = lfd_check_report_new(&rep2, &err))) {
            lfd_motion_free(&fixed);
            goto fail;
        }
        rc = lfd_check_motion(c, ws, &fixed, o, rep2, &err);
        /* no change: OUT is written all the same, the motion as it came (until
           2026-12-07 nothing was written, and an OUT left from an earlier run
           stayed: `lfd check X --fix -o OUT && play OUT` played another
           motion; found by review).  The verdict, unchanged, sets the exit
           code. */
        int written = log.nchanges > 0;
        if (!rc)
            rc = lfd_util_has_suffix(fix_out, ".csv") ? lfd_motion_write_csv(written ? &fixed : &m, fix_out, 0, &err)
                                             : lfd_motion_write(written ? &fixed : &m, fix_out, &err);
        if (!rc) {
            *verdict = rep2->verdict;
            if (json) {
                lfd_jw jw;
                lfd_jw_init_file(&jw, stdout, 1);
                lfd_jw_obj_begin(&jw);
                lfd_jw_kstr(&jw, "fixed", fix_out);
                if (!written)
                    lfd_jw_kstr(&jw, "note", "nothing to fix: written unchanged");
                lfd_jw_key(&jw, "changes");
                lfd_jw_arr_begin(&jw);
                for (int i = 0; i < lfd_check_fixlog_kept(log.nchanges); i++)
                    lfd_jw_str(&jw, log.change[i]);
                lfd_jw_arr_end(&jw);
                lfd_jw_kint(&jw, "changes_not_listed", log.nchanges - lfd_check_fixlog_kept(log.nchanges));
                lfd_jw_key(&jw, "left");
                lfd_jw_arr_begin(&jw);
                for (int i = 0; i < lfd_check_fixlog_kept(log.nleft); i++)
                    lfd_jw_str(&jw, log.left[i]);
                lfd_jw_arr_end(&jw);
                lfd_jw_kint(&jw, "left_not_listed", log.nleft - lfd_check_fixlog_kept(log.nleft));
                lfd_jw_key(&jw, "report");
                lfd_check_report_json(written ? rep2 : rep, lfd_checker_robot(c),
                                      base_name(written ? fix_out : in), &jw);
                lfd_jw_obj_end(&jw);
                lfd_jw_finish(&jw);
            } else if (!written) {
                printf("\nfix: nothing to fix: %s is the motion as it came\n", fix_out);
                for (int i = 0; i < lfd_check_fixlog_kept(log.nleft); i++)
                    printf("  left as is: %s\n", log.left[i]);
                if (log.nleft > lfd_check_fixlog_kept(log.nleft))
                    printf("  ... and %d more left as is\n", log.nleft - lfd_check_fixlog_kept(log.nleft));
                printf("verdict %s\n", lfd_check_verdict_name(rep->verdict));
            } else {
                printf("\nfix: %d change%s -> %s\n", log.nchanges, log.nchanges == 1 ? "" : "s",
                       fix_out);
                for (int i = 0; i < lfd_check_fixlog_kept(log.nchanges); i++)
                    printf("  changed: %s\n", log.change[i]);
                if (log.nchanges > lfd_check_fixlog_kept(log.nchanges))
                    printf("  ... and %d more changes\n", log.nchanges - lfd_check_fixlog_kept(log.nchanges));
                for (int i = 0; i < lfd_check_fixlog_kept(log.nleft); i++)
                    printf("  left as is: %s\n", log.left[i]);
                if (log.nleft > lfd_check_fixlog_kept(log.nleft))
                    printf("  ... and %d more left as is\n", log.nleft - lfd_check_fixlog_kept(log.nleft));
                printf("verdict %s -> %s\n\n", lfd_check_verdict_name(rep->verdict),
                       lfd_check_verdict_name(rep2->verdict));
                lfd_check_report_print(rep2, lfd_checker_robot(c), base_name(fix_out), stdout);
            }
        }
        lfd_check_report_free(&rep2);
        lfd_motion_free(&fixed);
        if (rc)
            goto fail;
    }
    lfd_check_ws_free(&ws);
    lfd_motion_free(&m);
    return LFD_EXIT_OK;
fail:
    lfd_check_ws_free(&ws);
    lfd_motion_free(&m);
    return lfd_cli_error(cmd, &err);
}

/* --explain-torque: one joint's torque at one frame, split (sim/lfd_check_explain.c) */
static int explain_torque(const lfd_cmd *cmd, lfd_robot *r, const char *path, double csv_fps,
                          const lfd_check_opts *o, int frame, const char *jname, int json)
{
    lfd_err err = {0};
    lfd_motion m = {0};
    int joint = -1, rc = LFD_OK;
    if (jname) {
        for (int j = 0; j < r->njoints && joint < 0; j++)
            if (!strcmp(r->joints[j].name, jname))
                joint = j;
        if (joint < 0)
            rc = lfd_fail(&err, LFD_EARG, "%s is not a joint of %s (lfd robot info %s lists them)", jname,
                          r->name, r->name);
    }
    lfd_torque_split sp;
    if (rc == LFD_OK && (rc = read_motion(r, path, csv_fps, &m, &err)) == LFD_OK &&
        (rc = lfd_check_explain_torque(r, &m, o, frame, joint, &sp, &err)) != LFD_OK)
        lfd_err_prefix(&err, "%s", path);
    if (rc == LFD_OK && json) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_torque_split_json(&sp, r, &jw);
        fputc('\n', stdout);
    } else if (rc == LFD_OK) {
        printf("%s (%s): ", base_name(path), r->name);
        lfd_torque_split_print(&sp, r, stdout);
    }
    lfd_motion_free(&m);
    lfd_robot_free(&r);
    return rc ? lfd_cli_error(cmd, &err) : 0;
}

/* --explain-help: why one frame needs external help (sim/lfd_check_explain.c) */
static int explain_help_run(const lfd_cmd *cmd, lfd_robot *r, const char *path, double csv_fps,
                            const lfd_check_opts *o, int frame, int json)
{
    lfd_err err = {0};
    lfd_motion m = {0};
    lfd_help_split hs;
    int rc = read_motion(r, path, csv_fps, &m, &err);
    if (rc == LFD_OK && (rc = lfd_check_explain_help(r, &m, o, frame, &hs, &err)) != LFD_OK)
        lfd_err_prefix(&err, "%s", path);
    if (rc == LFD_OK && json) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_help_split_json(&hs, &jw);
        fputc('\n', stdout);
    } else if (rc == LFD_OK) {
        printf("%s (%s): ", base_name(path), r->name);
        lfd_help_split_print(&hs, stdout);
    }
    lfd_motion_free(&m);
    lfd_robot_free(&r);
    return rc ? lfd_cli_error(cmd, &err) : 0;
}

static int run_check(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *robot = NULL, *checks = NULL, *fix_out = NULL, *plot = NULL, *explain_joint = NULL;
    int json = 0, track = 0, track_balance = 0, collab = 0, fix = 0, jobs = 2, explain = INT_MIN;
    int explain_help = INT_MIN;
    double csv_fps = 0; /* given: CSV inputs only (they state no rate); else 30 */
    lfd_check_opts o;
    lfd_check_opts_init(&o);
    const lfd_opt base[] = {
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH", "robot (built-in name, .robot or .xml path)"},
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "print the reports as JSON"},
        {"track", 0, LFD_OPT_FLAG, &track, NULL, "also simulate the robot tracking the motion in MuJoCo"},
        {"track-balance", 0, LFD_OPT_FLAG, &track_balance, NULL,
         "--track with the balance controller (experimental, docs/check.md)"},
        {"collaborative", 0, LFD_OPT_FLAG, &collab, NULL,
         "cap hand and foot speed at 0.25 m/s (ISO 10218-1 reduced speed)"},
        {"checks", 0, LFD_OPT_STR, &checks, "LIST",
         "checks to run: range,velocity,torque,self,floor,balance,track,speed or all"},
        {"fix", 0, LFD_OPT_FLAG, &fix, NULL, "repair mild problems into -o OUT and check it again"},
        {"out", 'o', LFD_OPT_STR, &fix_out, "OUT", "repaired motion (.lfdm or .csv) for --fix"},
        {"plot", 0, LFD_OPT_STR, &plot, "FILE.svg", "draw each joint against its limits"},
        {"explain-torque", 0, LFD_OPT_INT, &explain, "FRAME",
         "split the torque of one joint at FRAME into gravity, velocity terms, the accelerations of the root and each limb, and the floor's share (the joint nearest its limit, or --explain-joint); instead of the check"},
        {"explain-joint", 0, LFD_OPT_STR, &explain_joint, "NAME", "the joint --explain-torque explains"},
        {"explain-help", 0, LFD_OPT_INT, &explain_help, "FRAME",
         "why FRAME needs external help: the ground wrench its motion asks, and what the feet cannot supply of it (friction, the ZMP outside the support, twisting); instead of the check"},
        {"jobs", 'j', LFD_OPT_INT, &jobs, "N", "files checked in parallel (default 2)"},
        {"in-fps", 0, LFD_OPT_DOUBLE, &csv_fps, "HZ", "frame rate of CSV inputs (CSV states none; without it 30 is assumed, with a note)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "in-fps", NULL},
    };
    /* those, then every threshold of the table as a flag, then the end */
    enum { NBASE = sizeof base / sizeof base[0], MAXOPT = 96 };
    if (NBASE + lfd_check_nlimits + 1 > MAXOPT)
        return lfd_cli_usage_error(cmd, "internal: %d threshold options do not fit", lfd_check_nlimits);
    lfd_opt opts[MAXOPT];
    memcpy(opts, base, sizeof base);
    int no = NBASE;
    for (int i = 0; i < lfd_check_nlimits; i++, no++)
        opts[no] = (lfd_opt){lfd_check_limits[i].flag, 0, LFD_OPT_DOUBLE,
                             (char *)&o + lfd_check_limits[i].offset, lfd_check_limits[i].unit,
                             lfd_check_limits[i].meaning};
    opts[no] = (lfd_opt){0};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, -1)))
        return lfd_args_exit(rc);
    if (!robot)
        return lfd_cli_usage_error(cmd, "--robot is required");
    if (fix && !fix_out)
        return lfd_cli_usage_error(cmd, "--fix needs -o OUT (the repaired motion)");
    if (fix_out && !fix)
        return lfd_cli_usage_error(cmd, "-o is the output of --fix");
    if ((fix || plot) && npos != 1)
        return lfd_cli_usage_error(cmd, "--fix and --plot take one motion (got %d)", npos);
    if (explain_joint && explain == INT_MIN)
        return lfd_cli_usage_error(cmd, "--explain-joint goes with --explain-torque FRAME");
    if (explain != INT_MIN && (npos != 1 || fix || plot || track || track_balance))
        return lfd_cli_usage_error(cmd, "--explain-torque takes one motion, without --fix, --plot or --track");
    if (explain_help != INT_MIN && (npos != 1 || fix || plot || track || track_balance || explain != INT_MIN))
        return lfd_cli_usage_error(cmd, "--explain-help takes one motion, without --fix, --plot, --track or --explain-torque");
    if (lfd_args_given("in-fps") && !(csv_fps > 0 && csv_fps <= 1000))
        return lfd_cli_range_error(cmd, "in-fps", csv_fps, "above 0 up to 1000 Hz");
    /* the outputs, before any work: a format --fix writes, folders that
       exist, and never an input */
    if (fix_out && !lfd_util_has_suffix(fix_out, ".lfdm") && !lfd_util_has_suffix(fix_out, ".csv"))
        return lfd_cli_usage_error(cmd, "-o %s: --fix writes .lfdm (lfd motion) or .csv", fix_out);
    if (fix_out && (lfd_cli_check_out_parent(cmd, fix_out) || lfd_cli_check_not_input(cmd, fix_out, pos, npos)))
        return LFD_EXIT_ERROR;
    if (plot && (lfd_cli_check_out_parent(cmd, plot) || lfd_cli_check_not_input(cmd, plot, pos, npos)))
        return LFD_EXIT_ERROR;
    if (fix_out && plot && lfd_cli_same_path(fix_out, plot))
        return lfd_cli_usage_error(cmd, "-o and --plot name the same file %s", plot);
    lfd_err err = {0};
    if (checks && (rc = lfd_check_parse_groups(checks, &o.checks, &err)))
        return lfd_cli_error(cmd, &err);
    if (track || track_balance)
        o.checks |= 1u << LFD_CG_TRACK;
    o.track_balance = track_balance;
    if (collab) {
        /* the preset's cap, unless --speed-cap gave one (found by review:
           --collaborative --speed-cap 1.0 checked 0.25 m/s) */
        if (!lfd_args_given("speed-cap"))
            lfd_check_opts_collaborative(&o);
        o.checks |= 1u << LFD_CG_SPEED;
    }
    if (plot)
        o.series = 1;
    if ((rc = lfd_check_opts_validate(&o, &err)))
        return lfd_cli_error(cmd, &err);
    lfd_robot *r = NULL;
    if ((rc = lfd_robot_load(&r, robot, &err)))
        return lfd_cli_error(cmd, &err);
    /* CSV states no rate: an assumed one is said (README: "the command says so in a note") */
    if (!(csv_fps > 0))
        for (int i = 0; i < npos; i++)
            if (lfd_util_has_suffix(pos[i], ".csv"))
                fprintf(stderr, "lfd check: note: %s: CSV states no frame rate: 30 fps assumed (give --in-fps HZ)\n",
                        pos[i]);
    if (explain != INT_MIN)
        return explain_torque(cmd, r, pos[0], csv_fps > 0 ? csv_fps : 30, &o, explain, explain_joint, json);
    if (explain_help != INT_MIN)
        return explain_help_run(cmd, r, pos[0], csv_fps > 0 ? csv_fps : 30, &o, explain_help, json);
    lfd_checker *c = NULL;
    if ((rc = lfd_checker_new(&c, r, &err))) {
        lfd_robot_free(&r);
        return lfd_cli_error(cmd, &err);
    }

    /* a rate flag applies only to files that state none (CSV); the others say so */
    for (int i = 0; csv_fps > 0 && i < npos; i++)
        if (!lfd_util_has_suffix(pos[i], ".csv"))
            fprintf(stderr, "lfd check: note: %s: --in-fps %g not applied: a motion file states its rate\n",
                    pos[i], csv_fps);
    if (!(csv_fps > 0))
        csv_fps = 30;
    /* check every file, in parallel */
    pool p = {0};
    p.c = c;
    p.o = &o;
    p.csv_fps = csv_fps;
    p.njobs = npos;
    p.jobs = calloc((size_t)npos, sizeof *p.jobs);
    rc = p.jobs ? LFD_OK : lfd_fail(&err, LFD_ENOMEM, "out of memory");
    for (int i = 0; i < npos && rc == LFD_OK; i++) {
        p.jobs[i].in = pos[i];
        rc = lfd_check_report_new(&p.jobs[i].rep, &err);
    }
    if (rc) {
        if (p.jobs)
            for (int i = 0; i < npos; i++)
                lfd_check_report_free(&p.jobs[i].rep);
        free(p.jobs);
        lfd_checker_free(&c);
        lfd_robot_free(&r);
        return lfd_cli_error(cmd, &err);
    }
    pthread_mutex_init(&p.mu, NULL);
    if (npos > 1)
        lfd_progress_start(&p.prog, "check", npos);
    int nthreads = jobs < 1 ? 1 : jobs > npos ? npos : jobs;
    if (nthreads > MAX_THREADS)
        nthreads = MAX_THREADS;
    pthread_t th[MAX_THREADS];
    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, &p);
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    if (npos > 1)
        lfd_progress_end(&p.prog);

    /* reports */
    int errors = 0, fails = 0;
    int extras = (fix || plot) && p.jobs[0].rc == 0;
    if (json && !extras) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        if (npos > 1)
            lfd_jw_arr_begin(&jw);
        for (int i = 0; i < npos; i++) {
            job *j = &p.jobs[i];
            if (j->rc) {
                lfd_jw_obj_begin(&jw);
                lfd_jw_kstr(&jw, "motion", j->in);
                lfd_jw_kstr(&jw, "robot", r->name);
                lfd_jw_kstr(&jw, "error", j->err.msg);
                lfd_jw_obj_end(&jw);
            } else {
                lfd_check_report_json(j->rep, r, j->in, &jw);
            }
        }
        if (npos > 1)
            lfd_jw_arr_end(&jw);
        lfd_jw_finish(&jw);
    }
    for (int i = 0; i < npos; i++) {
        job *j = &p.jobs[i];
        if (j->rc) {
            print_job_error(j);
            errors++;
            continue;
        }
        fails += j->rep->verdict == LFD_CHECK_FAIL;
        if (!json && npos == 1)
            lfd_check_report_print(j->rep, r, j->in, stdout);
    }
    if (!json && npos > 1) {
        printf("%-44s %-7s %6s %5s %5s  %s\n", "motion", "verdict", "frames", "fail", "warn",
               "first finding");
        for (int i = 0; i < npos; i++) {
            job *j = &p.jobs[i];
            if (j->rc) {
                printf("%-44.44s %-7s  %s\n", base_name(j->in), "error", j->err.msg);
                continue;
            }
            const lfd_check_report *rp = j->rep;
            printf("%-44.44s %-7s %6d %5d %5d  %.90s\n", base_name(j->in),
                   lfd_check_verdict_name(rp->verdict), rp->nframes, rp->nfail, rp->nwarn,
                   rp->nfindings ? rp->finding[0].msg : "");
        }
        int npass = 0, nwarn = 0;
        for (int i = 0; i < npos; i++)
            if (!p.jobs[i].rc) {
                npass += p.jobs[i].rep->verdict == LFD_CHECK_PASS;
                nwarn += p.jobs[i].rep->verdict == LFD_CHECK_WARN;
            }
        printf("%d motions: %d pass, %d warn, %d fail, %d errors\n", npos, npass, nwarn, fails,
               errors);
    }
    int verdict = npos == 1 && !p.jobs[0].rc ? p.jobs[0].rep->verdict : LFD_CHECK_PASS;
    int exit_code = errors ? LFD_EXIT_ERROR : fails ? LFD_EXIT_FAIL : LFD_EXIT_OK;
    if (extras) {
        int v = verdict;
        rc = fix_and_plot(cmd, c, pos[0], csv_fps, &o, p.jobs[0].rep, fix ? fix_out : NULL, plot,
                          json, &v);
        if (json && !fix) {
            lfd_jw jw;
            lfd_jw_init_file(&jw, stdout, 1);
            lfd_check_report_json(p.jobs[0].rep, r, p.jobs[0].in, &jw);
            lfd_jw_finish(&jw);
        }
        if (rc)
            exit_code = LFD_EXIT_ERROR;
        else if (fix)
            exit_code = v == LFD_CHECK_FAIL ? LFD_EXIT_FAIL : LFD_EXIT_OK;
    }
    for (int i = 0; i < npos; i++)
        lfd_check_report_free(&p.jobs[i].rep);
    free(p.jobs);
    pthread_mutex_destroy(&p.mu);
    lfd_checker_free(&c);
    lfd_robot_free(&r);
    return exit_code;
}

LFD_COMMAND(cmd_check, "check", "check robot motions against the robot's limits (safety check)",
            "MOTION... --robot NAME|PATH [options]",
            "Checks each motion (.lfdm, or CSV in the Unitree/BeyondMimic layout) against\n"
            "the robot: joint range, velocity/acceleration/jerk, torque from inverse\n"
            "dynamics, self-collision, floor penetration and foot slide, balance (ZMP and\n"
            "external help), Cartesian speed (--collaborative) and, with --track, a MuJoCo\n"
            "simulation of the robot following the motion.  Findings are merged into frame\n"
            "ranges.  Exit code 0: pass or warn, 1: some motion fails, 2: error.  Every\n"
            "threshold is a flag below; docs/check.md has the table.  --fix writes a\n"
            "repaired motion (-o) and checks it again; its verdict sets the exit code; when\n"
            "there is nothing it can repair, it says so and writes the motion unchanged\n"
            "(so no -o file from an earlier run is left standing).",
            run_check)
