#!/usr/bin/python3
"""The README's per-file retargeting table (Retargeting, "Every file in ../shared/data/mocap/ on
every built-in robot at 30 fps"): retargets every clip onto h1, g1 and humanoid with the default
options at 30 fps and prints one Markdown row per clip, plus the figures the paragraph under the
table quotes (range violations and the peak joint velocity over all runs).

    /usr/bin/python3 docs/tools/retarget_files_table.py [--mocap DIR] [--out DIR] [--lfd PATH]

Run from the repository root after `make`.  The figures are lfd retarget's own report (--json),
measured on the written motion: hands = mean error against the scaled human targets, slide =
worst drift of a planted foot within one contact phase, floor = deepest sole, root jump = largest
deviation of the root from the midpoint of its neighbours, acc p99 = joint acceleration from
second differences.  docs/tools/retarget_table.py measures root jump and acceleration again from
the written CSV, independently of lfd.
"""
import argparse
import json
import os
import subprocess
import sys

ROBOTS = ["h1", "g1", "humanoid"]


def retarget(lfd, clip, robot, out):
    base = os.path.splitext(os.path.basename(clip))[0]
    args = [lfd, "retarget", clip, "--robot", robot, "--fps", "30", "-o",
            os.path.join(out, f"{base}.{robot}.lfdm"), "--json"]
    if clip.endswith(".npy"):
        args += ["--preset", "holosoma-53"]
    p = subprocess.run(args, capture_output=True, text=True)
    try:
        return json.loads(p.stdout)[0]["report"]
    except (ValueError, IndexError, KeyError):
        sys.exit(f"retarget_files_table: {clip} onto {robot} gave no report:\n{p.stderr[-2000:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mocap", default="../shared/data/mocap")
    ap.add_argument("--out", default="/tmp/lfd_retarget_files_table")
    ap.add_argument("--lfd", default="build/lfd")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    clips = sorted(os.path.join(a.mocap, f) for f in os.listdir(a.mocap)
                   if f.endswith((".bvh", ".npy")))
    print("| file | H1 hands / slide / floor; root jump mm; acc p99 "
          "| G1 hands / slide / floor; root jump mm; acc p99 "
          "| humanoid hands / slide / floor; root jump mm |")
    print("|---|---|---|---|")
    violations, vel, runs = 0, 0.0, 0
    for clip in clips:
        name = os.path.splitext(os.path.basename(clip))[0]
        if clip.endswith(".npy"):
            name += " (`--preset holosoma-53`)"
        cells = []
        for robot in ROBOTS:
            r = retarget(a.lfd, clip, robot, a.out)
            runs += 1
            violations += r["range_violations"]
            vel = max(vel, r["peak_vel_ratio"])
            cell = "%.1f cm / %.1f mm / %.1f mm; %.1f" % (
                100 * r["hand_err_mean_m"], 1000 * r["foot_slide_max_m"],
                1000 * r["floor_pen_max_m"], 1000 * r["root_jump_max_m"])
            if robot != "humanoid":
                cell += "; %.0f" % r["acc_p99_rad_s2"]
            cells.append(cell)
        print("| %s | %s |" % (name, " | ".join(cells)))
    print()
    print("%d runs: %d joint-range violations, peak joint velocity %.2f of the limit"
          % (runs, violations, vel))


if __name__ == "__main__":
    main()
