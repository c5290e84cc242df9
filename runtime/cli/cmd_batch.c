/*  `lfd batch`, `lfd batch merge`, `lfd batch withdraw`: the data path over
    a corpus on the cluster schedulers people have (runtime/lfd_batch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lfd_lineage.h"
#include "runtime/cli/lfd_cli.h"
#include "runtime/lfd_batch.h"

static int run_batch(const lfd_cmd *cmd, int argc, char **argv)
{
    lfd_batch_opts o;
    lfd_batch_opts_init(&o);
    const char *shard = NULL, *plots = NULL;
    int shards = 0, no_progress = 0;
    lfd_strlist robots = {0};
    lfd_opt opts[] = {
        {"out", 'o', LFD_OPT_STR, &o.run_dir, "RUN", "run folder: outputs, records, shard logs (required)"},
        {"robot", 'r', LFD_OPT_STRS, &robots, "NAME|PATH", "robot (built-in name, .robot or .xml path); repeat for several (required)"},
        {"shard", 0, LFD_OPT_STR, &shard, "I/N", "process slice I of N (default: from Slurm / Kubernetes env)"},
        {"shards", 0, LFD_OPT_INT, &shards, "N", "slice count for JOB_COMPLETION_INDEX or a partial array resubmission"},
        {"purpose", 0, LFD_OPT_STR, &o.purpose, "P", "consent needed (default robot-training)"},
        {"out-fps", 0, LFD_OPT_DOUBLE, &o.fps, "HZ", "retarget output rate (default: the recording's)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "out-fps", NULL},
        {"upper-body", 0, LFD_OPT_FLAG, &o.upper_body, NULL, "retarget the upper body only"},
        {"smooth", 0, LFD_OPT_DOUBLE, &o.smooth_hz, "HZ", "retarget's whole-clip smoothing, as lfd retarget (default 4, 0 off)"},
        {"track", 0, LFD_OPT_FLAG, &o.track, NULL, "check with tracking in simulation"},
        {"plots", 0, LFD_OPT_STR, &plots, "WHICH", "check plots: fail (default) | all | none"},
        {"no-progress", 0, LFD_OPT_FLAG, &no_progress, NULL, "no progress bar / lines"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, LFD_BATCH_MAX_INPUTS)))
        return lfd_args_exit(rc);
    if (!o.run_dir)
        return lfd_cli_usage_error(cmd, "-o RUN is required");
    if (!robots.n)
        return lfd_cli_usage_error(cmd, "--robot is required");
    if (robots.n > LFD_BATCH_MAX_ROBOTS)
        return lfd_cli_usage_error(cmd, "at most %d robots", LFD_BATCH_MAX_ROBOTS);
    for (int i = 0; i < robots.n; i++)
        o.robots[o.nrobots++] = robots.v[i];
    for (int i = 0; i < npos; i++)
        o.inputs[o.ninputs++] = pos[i];
    if (plots) {
        if (!strcmp(plots, "fail"))
            o.plots = LFD_BATCH_PLOTS_FAIL;
        else if (!strcmp(plots, "all"))
            o.plots = LFD_BATCH_PLOTS_ALL;
        else if (!strcmp(plots, "none"))
            o.plots = LFD_BATCH_PLOTS_NONE;
        else
            return lfd_cli_usage_error(cmd, "--plots: fail, all or none, not '%s'", plots);
    }
    lfd_err err = {0};
    if (shard) {
        if (lfd_batch_parse_shard(shard, &o.shard, &o.nshards, &err))
            return lfd_cli_usage_error(cmd, "%s", err.msg);
        if (shards > 0 && shards != o.nshards)
            return lfd_cli_usage_error(cmd, "--shard %s and --shards %d disagree", shard, shards);
    } else {
        rc = lfd_batch_shard_from_env(shards, &o.shard, &o.nshards, &err);
        if (rc < 0)
            return lfd_cli_usage_error(cmd, "%s", err.msg);
        if (rc == 0 && shards > 1)
            return lfd_cli_usage_error(cmd, "--shards %d without a slice: give --shard I/N", shards);
    }
    o.progress = !no_progress;
    const char *delay = getenv("LFD_BATCH_ITEM_DELAY_MS"); /* tests: widen the window to kill a task */
    if (delay)
        o.item_delay_ms = atoi(delay);
    lfd_batch_summary s;
    if (lfd_purposes_check(o.purpose, &err))
        return lfd_cli_usage_error(cmd, "--purpose: %s", err.msg);
    if ((rc = lfd_batch_run(&o, &s, stdout, &err)))
        return lfd_cli_error(cmd, &err);
    /* A task whose every record is an error (unreadable files, robots or
       stages that failed) made nothing; exit 0 would let a Slurm array or
       an Indexed Job count it a success.  Rejections and refusals are
       verdicts on the data, not errors of the run. */
    if (s.records > 0 && s.errors == s.records) {
        fprintf(stderr, "lfd batch: shard %d/%d: all %d record%s are errors (see %s/logs/shard-%d-of-%d.jsonl)\n",
                o.shard, o.nshards, s.records, s.records == 1 ? "" : "s", o.run_dir, o.shard, o.nshards);
        return LFD_EXIT_ERROR;
    }
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_batch, "batch", "qa, consent, retarget and check a corpus, sharded and resumable",
            "CORPUS... -o RUN --robot NAME|PATH [--robot NAME|PATH...] [--shard I/N] [options]",
            "CORPUS is a folder (every .bvh/.npy/.csv below it, each with its FILE.prov.json\n"
            "consent sidecar) or a manifest (one 'PATH [SIDECAR]' per line).  Every recording\n"
            "goes qa -> consent -> retarget -> check for each robot.  Outputs are named from\n"
            "the input's hash, the robot's model hash and the options, so a rerun skips\n"
            "finished work and a killed task resumes; every file is written atomically.\n"
            "Each recording's result goes to RUN/logs/shard-I-of-N.jsonl; bad input (an\n"
            "unreadable file, a missing sidecar, refused or expired consent, a robot that\n"
            "fails to load) is a named entry there and the corpus goes on.\n\n"
            "Sharding: --shard I/N, else SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (a Slurm\n"
            "job array), else JOB_COMPLETION_INDEX with --shards N (a Kubernetes Indexed\n"
            "Job).  Slices are balanced by frame count.  Then `lfd batch merge RUN` and\n"
            "`lfd report RUN`.  Examples: examples/slurm/, examples/k8s/, docs/batch.md.\n"
            "Exit 0 when the shard was worked through (verdicts, rejections and refusals\n"
            "are in the log); 2 when the work stopped (usage, an unwritable run folder, no\n"
            "--robot could be loaded: nothing is run) or when every record of the shard is\n"
            "an error (unreadable files, robot-load, retarget or check errors), so a\n"
            "scheduler does not count a task that made nothing a success.",
            run_batch)

static int run_merge(const lfd_cmd *cmd, int argc, char **argv)
{
    lfd_opt opts[] = {{0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    lfd_err err = {0};
    int n;
    if (lfd_batch_merge(pos[0], &n, stdout, &err))
        return lfd_cli_error(cmd, &err);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_batch_merge, "batch merge", "join the shard logs of a batch run into RUN/corpus.jsonl",
            "RUN",
            "Reads RUN/logs/shard-*.jsonl and writes RUN/corpus.jsonl: every record once (the\n"
            "latest for each recording and robot), sorted by recording id then robot, without\n"
            "the run-to-run figures (times, shard), so the same corpus gives the same bytes\n"
            "however it was sharded.  Records of withdrawn contributors are left out.",
            run_merge)

static int run_withdraw(const lfd_cmd *cmd, int argc, char **argv)
{
    int apply = 0;
    lfd_opt opts[] = {
        {"apply", 0, LFD_OPT_FLAG, &apply, NULL, "remove the outputs (default: list only)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 2, -1)))
        return lfd_args_exit(rc);
    lfd_err err = {0};
    lfd_batch_withdrawal w;
    if (lfd_batch_withdraw(pos[0], (const char *const *)pos + 1, npos - 1, apply, &w, stdout, &err))
        return lfd_cli_error(cmd, &err);
    fprintf(stderr,
            "lfd batch withdraw: %s: %d output%s %s, %d polic%s to retrain, %d recording%s (inputs, "
            "left in place)%s\n",
            pos[0], w.outputs, w.outputs == 1 ? "" : "s", apply ? "removed" : "to remove (--apply)",
            w.policies, w.policies == 1 ? "y" : "ies", w.recordings, w.recordings == 1 ? "" : "s",
            !apply ? "" : w.runs ? "; the runs' corpus.jsonl merged again without them" : "; no run folder met");
    if (w.unreadable) {
        /* whose they are is not known: they may hold the person's data */
        fprintf(stderr, "lfd batch withdraw: %d file%s could not be read (listed 'unreadable'): they may "
                        "hold %s's data; look at them\n", w.unreadable, w.unreadable == 1 ? "" : "s", pos[0]);
        return LFD_EXIT_FAIL;
    }
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_batch_withdraw, "batch withdraw",
            "list (or --apply: remove) every output made from one person's recordings",
            "CONTRIBUTOR_ID DIR... [--apply]",
            "Walks each DIR (batch run folders, policy folders) for motions, policies and\n"
            "recording sidecars whose lineage includes CONTRIBUTOR_ID (as `lfd lineage\n"
            "--contributor`).  Lists every batch output made from that person's data (motion,\n"
            "check report, plot, record) and every policy that must be retrained.  With\n"
            "--apply the outputs are removed and the id is added to RUN/withdrawn.txt, so\n"
            "later `lfd batch` runs refuse that person's recordings and `lfd batch merge`\n"
            "leaves their records out; RUN/corpus.jsonl is merged again at once, so\n"
            "`lfd report` never shows the person.  Policies and recordings are named, not\n"
            "removed.",
            run_withdraw)
