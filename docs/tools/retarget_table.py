#!/usr/bin/python3
"""Measures retargeted motions, independently of lfd's retargeter report, and
prints the README's retargeting quality table.

    docs/tools/retarget_table.py [--mocap DIR] [--robots g1,h1] [--track]
                                 [--retarget-args "ARGS"] [--out DIR] [--ref CSV]
    docs/tools/retarget_table.py --measure FILE.csv|.lfdm --robot R [--track]

For every clip of the shared mocap set (default ../shared/data/mocap) and every
robot it runs `build/lfd retarget CLIP --robot R -o OUT/clip_R.csv` (default
options plus --retarget-args) and measures the WRITTEN file:

  root jump   largest one-frame deviation of the root position from the
              midpoint of its two neighbours, |p[k] - (p[k-1] + p[k+1]) / 2|, mm
  acc p99     99th percentile over joints and interior frames of the second
              difference |q[k+1] - 2 q[k] + q[k-1]| * fps^2, rad/s^2
  help max    external help, share of body weight (`lfd check --json`,
              summary.assist_max_body_weight)
  torque      largest torque peak over joints / its limit (`lfd check`)
  verdict     `lfd check`'s verdict and the kinds of its failures
  track       with --track: whether `lfd check --track` finds a fall

The first two come from the CSV rows alone (root xyz, root quaternion xyzw,
joints in model order), not from lfd's checker.  --ref adds Unitree's LAFAN1
retarget of the same walk onto G1 (rows 94-184, the walk start, and the whole
file) as the reference row.  Run from the repository root after `make`."""
import argparse, glob, json, math, os, subprocess, sys

LFD = "build/lfd"


def read_csv(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append([float(x) for x in line.split(",")])
    return rows


def kinematic_figures(rows, fps):
    """root jump max (m) and its frame, joint acceleration p99 (rad/s^2)."""
    jump, jump_k = 0.0, -1
    acc = []
    for k in range(1, len(rows) - 1):
        a, b, c = rows[k - 1], rows[k], rows[k + 1]
        d = math.sqrt(sum((b[i] - 0.5 * (a[i] + c[i])) ** 2 for i in range(3)))
        if d > jump:
            jump, jump_k = d, k
        for j in range(7, len(b)):
            acc.append(abs(c[j] - 2 * b[j] + a[j]) * fps * fps)
    acc.sort()
    p99 = acc[min(len(acc) - 1, int(0.99 * len(acc)))] if acc else 0.0
    return jump, jump_k, p99


def check(path, robot, fps, track):
    cmd = [LFD, "check", path, "--robot", robot, "--json", "--in-fps", str(fps)]
    if track:
        cmd.append("--track")
    r = subprocess.run(cmd, capture_output=True, text=True)
    j = json.loads(r.stdout)
    torque = 0.0
    for jt in j["joints"]:
        if jt.get("torque_max_nm", 0) > 0:
            torque = max(torque, jt["torque_peak_nm"] / jt["torque_max_nm"])
    kinds = sorted({x["kind"] for x in j["findings"] if x["severity"] == "fail"})
    fell = any(x["kind"] in ("fall", "fell") for x in j["findings"])
    return {"verdict": j["verdict"], "help": j["summary"].get("assist_max_body_weight", 0.0),
            "torque": torque, "fails": ",".join(kinds) or "-", "fell": fell}


def measure(path, robot, fps, track, rows=None):
    if path.endswith(".lfdm"):
        csv = path[:-5] + ".measure.csv"
        subprocess.run([LFD, "motion", "convert", path, csv, "--robot", robot],
                       check=True, capture_output=True)
        path = csv
    rows = rows if rows is not None else read_csv(path)
    jump, jump_k, p99 = kinematic_figures(rows, fps)
    out = {"frames": len(rows), "jump_mm": 1000 * jump, "jump_frame": jump_k, "acc_p99": p99}
    out.update(check(path, robot, fps, track))
    return out


def row(name, robot, m, track):
    cells = [name, robot, str(m["frames"]), "%.1f (f%d)" % (m["jump_mm"], m["jump_frame"]),
             "%.0f" % m["acc_p99"], "%.2f" % m["help"], "%.2f" % m["torque"],
             m["verdict"], m["fails"]]
    if track:
        cells.append("falls" if m["fell"] else "up")
    return "| " + " | ".join(cells) + " |"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mocap", default="../shared/data/mocap")
    ap.add_argument("--robots", default="g1,h1")
    ap.add_argument("--track", action="store_true")
    ap.add_argument("--retarget-args", default="")
    ap.add_argument("--out", default="/tmp/lfd_retarget_table")
    ap.add_argument("--ref", default="../shared/data/robot_motions/unitree_lafan1_g1_walk1_subject1.csv")
    ap.add_argument("--fps", type=float, default=30)
    ap.add_argument("--measure")
    ap.add_argument("--robot")
    ap.add_argument("--json", action="store_true", help="one JSON object per motion instead of a table")
    a = ap.parse_args()
    if a.measure:
        m = measure(a.measure, a.robot, a.fps, a.track)
        print(json.dumps(m) if a.json else row(os.path.basename(a.measure), a.robot, m, a.track))
        return
    os.makedirs(a.out, exist_ok=True)
    hdr = ["clip", "robot", "frames", "root jump mm (frame)", "acc p99 rad/s²", "help max (bw)",
           "torque / limit", "lfd check", "failing checks"]
    if a.track:
        hdr.append("--track")
    if not a.json:
        print("| " + " | ".join(hdr) + " |")
        print("|" + "---|" * len(hdr))
    clips = sorted(glob.glob(os.path.join(a.mocap, "*.bvh")) + glob.glob(os.path.join(a.mocap, "*.npy")))
    for clip in clips:
        name = os.path.basename(clip).rsplit(".", 1)[0]
        for robot in a.robots.split(","):
            out = os.path.join(a.out, "%s_%s.csv" % (name, robot))
            cmd = [LFD, "retarget", clip, "--robot", robot, "-o", out, "--out-fps", str(a.fps)]
            cmd += a.retarget_args.split()
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                msg = (r.stderr.strip().splitlines() or ["?"])[-1]
                print("| %s | %s | retarget failed: %s |" % (name, robot, msg))
                continue
            m = measure(out, robot, a.fps, a.track)
            print(json.dumps(dict(m, clip=name, robot=robot)) if a.json else row(name, robot, m, a.track))
            sys.stdout.flush()
    if a.ref and os.path.exists(a.ref):
        rows = read_csv(a.ref)
        start = os.path.join(a.out, "unitree_walk_start_g1.csv")
        with open(start, "w") as f:
            for r in rows[94:185]:
                f.write(",".join("%.9g" % x for x in r) + "\n")
        for name, path in (("unitree ref, rows 94-184", start), ("unitree ref, whole", a.ref)):
            m = measure(path, "g1", 30, a.track)
            print(json.dumps(dict(m, clip=name, robot="g1")) if a.json else row(name, "g1", m, a.track))


if __name__ == "__main__":
    main()
