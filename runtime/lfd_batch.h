/*  lfd_batch: the whole data path over a corpus, resumable and sharded.

    `lfd batch` runs, for every recording of a corpus and every robot asked
    for:  qa -> consent -> retarget -> check  (ingest/lfd_qa, core/lfd_lineage,
    retarget/lfd_retarget, sim/lfd_check), with the same library calls as the
    single commands.  It is built for clusters whose scheduler already
    exists (Slurm job arrays, Kubernetes Indexed Jobs): lfd keeps no
    scheduler of its own, each task runs one deterministic shard.

    Corpus.  Folders (every .bvh/.npy/.csv below them, sorted, sidecars
    FILE.prov.json beside each) or manifests (any other file: one recording
    per line, "PATH [SIDECAR]", '#' comments, relative paths against the
    manifest's folder).  A recording's id is its path relative to the
    folder given (or as written in the manifest).

    Shards.  The corpus is cut into N slices balanced by frame count (read
    from the file header, not by loading it): recordings by decreasing
    frames, each to the slice with the fewest frames so far, ties by id and
    by lowest slice.  Every task computes the same plan from the same
    corpus.

    Content addressing.  Each (recording, robot) has a key: SHA-256 of the
    recording's bytes, its sidecar's bytes, the robot's name and model hash
    and the options that change outputs.  Outputs are named from it, so a
    rerun skips finished work and a preempted task resumes where it
    stopped:

      RUN/out/ROBOT/STEM-KEY12.lfdm         the retargeted motion
      RUN/out/ROBOT/STEM-KEY12.check.json   the check report (lfd check --json,
                                            without the per-frame series)
      RUN/out/ROBOT/STEM-KEY12.svg          its plot (failing clips, --plots)
      RUN/results/ROBOT/KEY12-ID8.json      the item's record; written last,
                                            its presence means "done"
      RUN/logs/shard-I-of-N.jsonl           one line per item and robot
      RUN/corpus.jsonl                      lfd_batch_merge: every record once

    Every file is written atomically (core/lfd_io), and a log line is one
    write(2) to an O_APPEND file, so a killed task loses no finished output
    and leaves no half file.  Figures that vary run to run (wall times, the
    retargeter's frames/s) go to the log lines, never into outputs or
    records, so the same corpus gives the same bytes on one machine or on
    a cluster.

    Bad input never stops the corpus: an unreadable file, a missing
    sidecar, refused or expired consent, a rejected recording, a robot that
    fails to load, a retarget or check error each become a record with
    status, stage, reason_kind and reason, and the run goes on.

    A log line:  {"t": UNIX_S, "shard": "I/N", "cached": BOOL, "wall_s": S,
                  "ran": ["qa", "retarget", "check"], "record": RECORD}
    A record (deterministic; corpus.jsonl holds one per line):
      {"id", "robot" (null for recording-level records), "status"
       ("done" | "rejected" | "refused" | "error"), "stage" ("read" | "qa" |
       "consent" | "robot" | "retarget" | "check" | "done"), "reason_kind",
       "reason", "sha256", "contributor", "frames", "fps", "seconds",
       "qa": {"verdict", "score", "findings": [{"check", "severity",
       "frames"}]}, "motion", "motion_frames", "retarget": {...},
       "check": {"verdict", "nfail", "nwarn", "fail_share", "groups":
       {GROUP: {"fail", "warn", "fail_frames"}}}, "check_report", "plot"}
*/
#ifndef LFD_BATCH_H
#define LFD_BATCH_H

#include <stdint.h>
#include <stdio.h>

#include "core/lfd_err.h"

#define LFD_BATCH_MAX_ROBOTS 16
#define LFD_BATCH_MAX_INPUTS 64
#define LFD_BATCH_MAX_ITEMS 1000000

/* what a key covers besides the inputs; bump when outputs change meaning */
#define LFD_BATCH_FORMAT 1

enum { LFD_BATCH_PLOTS_NONE = 0, LFD_BATCH_PLOTS_FAIL = 1, LFD_BATCH_PLOTS_ALL = 2 };

typedef struct lfd_batch_opts {
    const char *inputs[LFD_BATCH_MAX_INPUTS]; /* folders, files or manifests */
    int ninputs;
    const char *run_dir;                      /* outputs, logs, records */
    const char *robots[LFD_BATCH_MAX_ROBOTS]; /* names or paths (robots/) */
    int nrobots;
    int shard, nshards;                       /* this task's slice I of N (0 <= I < N) */
    const char *purpose;                      /* consent needed ("robot-training") */
    double fps;                               /* retarget rate; 0 = the source's */
    int upper_body;                           /* retarget upper body only */
    double smooth_hz;                         /* retarget's whole-clip smoothing (default
                                                 LFD_RETARGET_SMOOTH_HZ, as lfd retarget); 0 = none,
                                                 and then no whole-clip passes or dynamics filter */
    int track;                                /* check with tracking in simulation */
    int plots;                                /* LFD_BATCH_PLOTS_* (default FAIL) */
    int progress;                             /* progress bar / line on stderr */
    int item_delay_ms;                        /* tests: sleep after each item */
} lfd_batch_opts;

void lfd_batch_opts_init(lfd_batch_opts *o);

/* One recording of the corpus. */
typedef struct lfd_batch_item {
    char *id;        /* relative path: the recording's name in records */
    char *path;      /* where to read it */
    char *sidecar;   /* its provenance sidecar (may not exist) */
    int64_t frames;  /* from the header (0 when unreadable) */
    int shard;       /* slice it belongs to */
} lfd_batch_item;

typedef struct lfd_batch_corpus {
    lfd_batch_item *item;
    int n, cap;
    int64_t frames;  /* sum */
} lfd_batch_corpus;

/* Lists the corpus of o->inputs (sorted by id).  A missing input or an
   unreadable manifest is an error (nothing would be processed); files
   inside are judged later, one by one.  Free with lfd_batch_corpus_free. */
int lfd_batch_corpus_list(const lfd_batch_opts *o, lfd_batch_corpus *c, lfd_err *err);
void lfd_batch_corpus_free(lfd_batch_corpus *c);

/* Frames of a recording from its header (BVH "Frames:", .npy shape, CSV
   rows); 0 if it cannot be read. */
int64_t lfd_batch_frames_estimate(const char *path);

/* Assigns each item its slice of n, balanced by frame count (see top).
   LFD_ENOMEM (no item assigned) when its scratch cannot be allocated. */
int lfd_batch_shard_plan(lfd_batch_corpus *c, int n, lfd_err *err);

/* The slice from the environment when no --shard was given:
   SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (count overridden by
   nshards_hint > 0, needed when a part of an array is resubmitted), or
   JOB_COMPLETION_INDEX with nshards_hint.  Returns 1 and sets *i, *n when
   one applies, 0 when none does (run everything), or a negative status
   with the reason. */
int lfd_batch_shard_from_env(int nshards_hint, int *i, int *n, lfd_err *err);

/* Parses "I/N". */
int lfd_batch_parse_shard(const char *s, int *i, int *n, lfd_err *err);

typedef struct lfd_batch_summary {
    int items;              /* recordings in this shard */
    int records;            /* log lines written */
    int done, cached;       /* (recording, robot) pairs done; of which already done before */
    int rejected, refused, errors;
    int64_t frames;         /* human frames of the shard's recordings */
    double hours;           /* recording hours of the shard (read recordings) */
    double wall_s;
} lfd_batch_summary;

/* Runs this task's shard of the corpus.  Returns LFD_OK when the shard was
   worked through (whatever each recording's fate: see the log), or an
   error that stopped it: the run folder is not writable, or not one of the
   robots loads (LFD_EARG naming each; nothing is processed, since every
   record would be the same robot-load error).  A robot that fails to load
   beside one that loads is a record per recording, not an error.  Whether
   every record of the shard was an error is the caller's to judge from
   *s (records, errors): `lfd batch` exits 2 then. */
int lfd_batch_run(const lfd_batch_opts *o, lfd_batch_summary *s, FILE *out, lfd_err *err);

/* Joins RUN/logs/shard-*.jsonl into RUN/corpus.jsonl: every record once
   (the latest line for an (id, robot) pair), sorted by id then robot.  A
   recording-level record (robot null: refused, rejected, unreadable) and
   robot records of the same recording do not stand side by side: the
   later kind wins (consent expired after the motions were made: only the
   refusal is kept).
   *nrecords (may be NULL) gets the count.  Unparsable lines (a task killed
   mid-write on a filesystem without atomic appends) are skipped with a
   warning. */
int lfd_batch_merge(const char *run_dir, int *nrecords, FILE *out, lfd_err *err);

/* ---- withdrawal (lfd_batch_withdraw.c) ----------------------------------------------- */

typedef struct lfd_batch_withdrawal {
    int outputs;      /* motions, check reports, plots and records found */
    int removed;      /* removed (with apply) */
    int policies;     /* policies that must be retrained */
    int recordings;   /* the person's recordings (inputs, left in place) */
    int runs;         /* run folders met (with apply: withdrawn.txt and corpus.jsonl updated) */
    int unreadable;   /* motions and policies that could not be read: whose they are is not known */
} lfd_batch_withdrawal;

/* Every output under the folders dirs[0..ndirs) made from contributor id's
   recordings (lineage: core/lfd_lineage.h, as `lfd lineage --contributor`),
   listed to out one per line ("remove  motion  PATH", "retrain policy
   PATH", "input  recording PATH").  With apply, the outputs (motions, their
   check reports, plots and records) are removed and id is added to
   RUN/withdrawn.txt of each run folder, so later `lfd batch` runs refuse
   that person's recordings (consent reason "withdrawn"), and a run folder
   with shard logs is merged again (lfd_batch_merge), so RUN/corpus.jsonl
   no longer lists the person or the removed outputs.  Policies are named,
   not removed. */
int lfd_batch_withdraw(const char *id, const char *const *dirs, int ndirs, int apply,
                       lfd_batch_withdrawal *w, FILE *out, lfd_err *err);

/* The ids in a withdrawn.txt (one a line, '#' comments, blank lines
   skipped), appended to *ids (*n of them, realloc'd; the caller frees each
   and the array); nothing when the file is absent. */
int lfd_batch_read_withdrawn(const char *path, char ***ids, int *n, lfd_err *err);

/* 1 if id is one of ids[0..n) (a withdrawn list), else 0 (also for NULL). */
int lfd_batch_id_listed(char *const *ids, int n, const char *id);

/* 1 if a file name under RUN/logs is a shard log (shard-*.jsonl). */
int lfd_batch_is_shard_log(const char *name);

#endif
