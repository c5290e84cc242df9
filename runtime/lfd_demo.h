/*  lfd_demo: the whole pipeline on built-in data, into one run folder.

    `lfd demo` (and `make demo`) calls lfd_demo_run.  Nothing is read from
    outside the repository: the demonstrations it trains on are generated
    here (synthetic people, not recordings); stage 9 adds the short real
    recordings shipped in examples/data/.

      1 human     synthetic people reaching and wiping a table (procedural
                  motion from lfd_synth), written as BVH files with a
                  provenance sidecar each
                  (pseudonymous contributor id, consent scopes, date, expiry);
                  one of them consented to research only
      2 qa        every recording judged by lfd_qa (pass / warn / reject)
      3 consent   the recordings whose consent covers "robot-training" today
                  are kept; the others are named and left out
      4 retarget  each kept recording onto the robot (upper body: the legs
                  and root keep the default stance) at the policy's rate
      5 check     each motion through lfd_check (kinematic, geometric and
                  dynamic checks, and tracking in simulation); only passes
                  and warnings go on
      6 train     a behaviour-cloning MLP on all checked motions but one,
                  which is held out for evaluation; offline figures against
                  the nearest-neighbour and zero-order-hold baselines
      7 serve     the policy served on loopback over ZeroMQ; the C client
                  library drives a MuJoCo simulation of the robot from it at
                  500 Hz (lfd_ctl), tracking the held-out demonstration
      8 pictures  check plot (SVG) and rendered frames of the served run
                  where an offscreen GL context exists
      9 real      every BVH in examples/data/ (real people, CMU motion
                  capture; examples/data/README.md has their source and
                  licence): qa, retargeted onto the robot with the defaults
                  of `lfd retarget` and checked with those of `lfd check`;
                  each clip's verdict and figures (root jump, joint
                  acceleration p99, hand error, failing checks) are printed.
                  Not trained on.  Found beside the program's robots/
                  folder (<robots>/../examples/data) or in ./examples/data;
                  skipped with a note when neither exists

    Every stage prints one line with its figures as it finishes; the same
    figures go to summary.txt and summary.json in the run folder, next to
    every stage's outputs (human/, motions/, check/, policy/, serve/,
    pictures/, real/).  A stage that fails stops the demo with its error.
*/
#ifndef LFD_DEMO_H
#define LFD_DEMO_H

#include <stdio.h>

#include "core/lfd_err.h"

typedef struct lfd_demo_opts {
    const char *dir;        /* run folder (created; must not hold a previous run) */
    const char *robot;      /* "h1" */
    int demos;              /* recordings with robot-training consent (5) */
    double seconds;         /* length of the first recording; the others vary (0: 10, or 7 with quick) */
    double rate_hz;         /* policy control rate = motion rate (50) */
    int epochs;             /* training epochs (0: the trainer's default) */
    double drive_s;         /* seconds of closed-loop control (0: the held-out motion) */
    double ctl_hz;          /* controller rate (500) */
    int pictures;           /* 1: render frames (needs an offscreen GL context) */
    int quick;              /* 1: shorter everything (tests) */
} lfd_demo_opts;

void lfd_demo_opts_init(lfd_demo_opts *o);

/* Runs every stage, printing progress lines to out (may be NULL).  Returns
   LFD_OK when the whole pipeline ran; the verdict-like figures are in the
   run folder's summary.json. */
int lfd_demo_run(const lfd_demo_opts *o, FILE *out, lfd_err *err);

#endif
