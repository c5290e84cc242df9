#!/usr/bin/python3
"""Builds the README's table of lfd check verdicts for retargeted motions.

    docs/tools/verdict_table.py H1_DIR G1_DIR

Runs `build/lfd check DIR/*.lfdm --robot R --json` for each robot folder
(made by `lfd retarget ... --robot R -o DIR`) and prints one Markdown row per
motion: frames, verdict, share of frames inside a failing finding, and the
two kinds of failure covering most frames.  The report lists at most 256
findings, failures first; where a motion has more failures than that, each
group of checks runs alone (--checks), so the shares are exact."""
import glob, json, os, subprocess, sys

# lfd check's groups of checks (--checks), each run alone where the whole
# check has more failures than its report lists (LFD_CHECK_MAX_FINDINGS, 256)
GROUPS = ["range", "velocity", "torque", "self", "floor", "balance", "speed"]

def lfd_check(f, robot, checks=None):
    cmd = ["build/lfd", "check", f, "--robot", robot, "--json"] + (["--checks", checks] if checks else [])
    return json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout)

def check(d, robot):
    out = {}
    for f in sorted(glob.glob(os.path.join(d, "*.lfdm"))):
        j = lfd_check(f, robot)
        n = j["frames"]
        runs = [j]
        if j.get("failures_not_listed", 0) > 0:
            # failures come first in a report: one group at a time lists them all
            runs = [lfd_check(f, robot, g) for g in GROUPS]
            for g, x in zip(GROUPS, runs):
                if x.get("failures_not_listed", 0) > 0:
                    sys.exit("%s: --checks %s still leaves %d failures unlisted" % (f, g, x["failures_not_listed"]))
        failing = [False] * n
        kinds = {}
        for x in (x for run in runs for x in run["findings"]):
            if x["severity"] != "fail":
                continue
            k = x["kind"]
            kinds.setdefault(k, [False] * n)
            for i in range(x["first"], x["last"] + 1):
                failing[i] = kinds[k][i] = True
        share = {k: sum(v) / n for k, v in kinds.items()}
        top = sorted(share.items(), key=lambda kv: -kv[1])[:2]
        name = os.path.basename(f).split(".")[0]
        out[name] = (n, j["verdict"], sum(failing) / n,
                     ", ".join("%s %.0f%%" % (k, 100 * v) for k, v in top) or "-")
    return out

h1, g1 = check(sys.argv[1], "h1"), check(sys.argv[2], "g1")
print("| motion | frames (h1) | h1 verdict | h1 frames failing | h1 main failures (share of frames) "
      "| g1 verdict | g1 frames failing | g1 main failures |")
print("|---|---|---|---|---|---|---|---|")
for name in sorted(h1):
    a, b = h1[name], g1.get(name, (0, "-", 0, "-"))
    print("| %s | %d | %s | %.0f%% | %s | %s | %.0f%% | %s |" %
          (name, a[0], a[1], 100 * a[2], a[3], b[1], 100 * b[2], b[3]))
