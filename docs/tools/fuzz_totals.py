#!/usr/bin/python3
"""Totals of the libFuzzer runs recorded by tests/fuzz/run.sh.

    docs/tools/fuzz_totals.py [build-fuzz/fuzz-log.tsv]

Prints one Markdown row per target: runs, seconds in total, executions,
largest corpus, findings (runs that ended with a crash or leak)."""
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "build-fuzz/fuzz-log.tsv"
tot = {}
for line in open(path):
    f = line.rstrip("\n").split("\t")
    if len(f) < 6:
        continue
    _, t, secs, execs, corpus, res = f[:6]
    r = tot.setdefault(t, [0, 0, 0, 0, 0])
    r[0] += 1
    r[1] += int(secs)
    r[2] += int(execs) if execs.isdigit() else 0
    r[3] = max(r[3], int(corpus))
    r[4] += res != "ok"
print("| target | runs | seconds | executions | corpus | runs ending in a finding |")
print("|---|---|---|---|---|---|")
for t in sorted(tot):
    r = tot[t]
    print("| %s | %d | %d (%.1f min) | %s | %d | %d |" % (t, r[0], r[1], r[1] / 60, format(r[2], ","), r[3], r[4]))
