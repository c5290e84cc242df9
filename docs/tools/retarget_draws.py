#!/usr/bin/python3
"""How much a retargeted clip's figures move when its input moves by almost nothing.

    docs/tools/retarget_draws.py [--draws N] [--robots g1,h1] [--fps HZ]
                                 [--lfd PATH] [--retarget-args "ARGS"] CLIP.bvh...

The whole-clip steps of `lfd retarget` make discrete choices (a round of the
dynamics filter kept or refused, a step halved), so a change far below any
physical meaning can tip a figure from one value to another.  This tool
retargets each BVH N times (default 5): draw 0 is the file as it is, draws
1..N-1 add a seeded uniform perturbation of +-5e-7 (in the file's own units:
centimetres and degrees for most files, so well under a micrometre and a
microradian) to every number of the MOTION section.  It prints, per clip and
robot, the median over the draws and the range of lfd's own report and of the
`lfd check` summary `lfd retarget` prints: worst foot slide (cm), hands' mean
error (cm), acceleration p99 (rad/s^2), external help (body weights), torque
over its limit, and the verdicts.  A change to the retargeter is judged
against these ranges, not against one draw (docs/retarget.md, "Figures and
their spread").
"""
import argparse, os, random, re, statistics, subprocess, sys, tempfile
from multiprocessing import Pool

NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def perturbed(text, seed):
    """The BVH text with every MOTION value moved by up to +-5e-7 (seed 0: as is)."""
    if seed == 0:
        return text
    rng = random.Random(seed)
    head, sep, motion = text.partition("MOTION")
    lines = motion.split("\n")
    out = []
    in_rows = False
    for line in lines:
        if not in_rows:
            out.append(line)
            if line.strip().lower().startswith("frame time"):
                in_rows = True
            continue
        out.append(NUM.sub(lambda m: repr(float(m.group(0)) + rng.uniform(-5e-7, 5e-7)), line))
    return head + sep + "\n".join(out)


def figure(pattern, text, scale=1.0):
    m = re.search(pattern, text)
    return scale * float(m.group(1)) if m else float("nan")


def one(job):
    lfd, clip, robot, seed, fps, extra, tmp = job
    base = os.path.splitext(os.path.basename(clip))[0]
    src = os.path.join(tmp, "%s.d%d.bvh" % (base, seed))
    if not os.path.exists(src):
        with open(clip) as f:
            text = f.read()
        part = src + ".part.%d" % os.getpid()
        with open(part, "w") as f:
            f.write(perturbed(text, seed))
        os.replace(part, src)
    out = os.path.join(tmp, "%s.d%d.%s.lfdm" % (base, seed, robot))
    cmd = [lfd, "retarget", src, "--robot", robot, "-o", out] + (["--out-fps", fps] if fps else []) + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        return (base, robot, seed, None, p.stderr.strip()[-300:])
    t = p.stdout
    verdict = re.search(r"on the written motion: ([a-z]+)", t)
    return (base, robot, seed, {
        "slide_cm": figure(r"worst foot slide ([0-9.]+)", t, 100),
        "hand_cm": figure(r"hands to scaled human targets: mean ([0-9.]+)", t, 100),
        "acc_p99": figure(r"acceleration p99 ([0-9.]+)", t),
        "help": figure(r"external help max ([0-9.]+)", t),
        "torque": figure(r"torque max ([0-9.]+)", t),
        "verdict": verdict.group(1) if verdict else "?",
    }, "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="+", help="BVH files")
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--robots", default="g1,h1")
    ap.add_argument("--fps", default="30", help="output rate (default 30; '' for the clip's own)")
    ap.add_argument("--lfd", default="build/lfd")
    ap.add_argument("--retarget-args", default="", help="more `lfd retarget` options, one string")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    if a.draws < 1:
        sys.exit("retarget_draws.py: --draws must be at least 1")
    for c in a.clips:
        if not os.path.isfile(c) or not c.lower().endswith(".bvh"):
            sys.exit("retarget_draws.py: %s: not a BVH file" % c)
    with tempfile.TemporaryDirectory(prefix="lfd_draws_") as tmp:
        jobs = [(a.lfd, c, r, d, a.fps, a.retarget_args.split(), tmp)
                for c in a.clips for r in a.robots.split(",") for d in range(a.draws)]
        with Pool(a.jobs) as pool:
            res = pool.map(one, jobs)
    rows = {}
    for base, robot, seed, fig, msg in res:
        if fig is None:
            print("%s %s draw %d: lfd retarget failed: %s" % (base, robot, seed, msg), file=sys.stderr)
            continue
        rows.setdefault((base, robot), []).append(fig)
    keys = ["slide_cm", "hand_cm", "acc_p99", "help", "torque"]
    print("| clip | robot | draws | slide cm | hands cm | acc p99 | help (bw) | torque / limit | verdicts |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (base, robot), figs in rows.items():
        cells = []
        for k in keys:
            v = [f[k] for f in figs]
            med, lo, hi = statistics.median(v), min(v), max(v)
            fmt = "%.0f" if k == "acc_p99" else "%.2f"
            cells.append((fmt % med) + ("" if lo == hi else (" (" + fmt + "–" + fmt + ")") % (lo, hi)))
        verdicts = {}
        for f in figs:
            verdicts[f["verdict"]] = verdicts.get(f["verdict"], 0) + 1
        vs = ", ".join("%s %d" % kv for kv in sorted(verdicts.items()))
        print("| %s | %s | %d | %s | %s |" % (base, robot, len(figs), " | ".join(cells), vs))


if __name__ == "__main__":
    main()
