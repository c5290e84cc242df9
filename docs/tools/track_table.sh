#!/bin/bash
# track_table.sh: the "Tracking controllers" table of docs/check.md (issue 15).
# Retargets the shared walks and drink soda onto g1 and h1 (default options,
# 30 fps), cuts rows 94-184 of Unitree's reference walk, and prints the fall
# time (or "UP"), mean RMS joint error, largest root error and the first scuff,
# edge and pivot (docs/check.md, "Why a run fell") of
# `lfd check --track` and `--track-balance` on each.
#   usage: docs/tools/track_table.sh [OUTDIR] [-DBAL_STEP=1 ...]
# Extra arguments are compile-time switches of robots/lfd_robot_control.c
# (the experiments listed there, all off by default): the controller is then
# rebuilt into OUTDIR/lfd with them and measured instead of build/lfd.
# Run from the repository root after `make`.
set -e
OUT=${1:-/tmp/lfd_track_table}; shift || true
mkdir -p "$OUT"
export LFD_ROBOTS_DIR=$PWD/robots
LFD=$PWD/build/lfd
MOCAP=../shared/data/mocap
REF=../shared/data/robot_motions/unitree_lafan1_g1_walk1_subject1.csv
if [ $# -gt 0 ]; then
    cc -std=c11 -O2 -I. -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L "$@" \
        -c robots/lfd_robot_control.c -o "$OUT/control.o"
    cc -O2 -o "$OUT/lfd" build/obj/runtime/cli/*.o "$OUT/control.o" build/liblfd.a \
        -lmujoco -lopenblas -lzmq -lmsgpackc -lz -ldl -lpthread -lm
    LFD=$OUT/lfd
fi
CLIPS="bandai1_walk_normal_001 bandai2_walk_turn_left_normal_001 lafan1_walk1_subject1_first91
       mixamorig_freebvh_69f xia_cmuskel_neutral_walk cmu_daz_14_04_drink_soda"
summ='import json,sys
d=json.load(sys.stdin); t=d["tracking"]
s=("falls %.2f s" % t["fall_time_s"]) if t["fell"] else "up"
# the first scuff (a foot the motion lifts or moves carries the robot) and
# edge (a foot it holds flat rolls onto an edge): docs/check.md
ev=[]
if t.get("first_scuff_frame", -1) >= 0: ev.append("scuff f%d" % t["first_scuff_frame"])
if t.get("first_edge_frame", -1) >= 0: ev.append("edge f%d" % t["first_edge_frame"])
if t.get("first_pivot_frame", -1) >= 0: ev.append("pivot f%d" % t["first_pivot_frame"])
print("%s; %.3f rad, %.2f m%s" % (s, t["joint_err_rms_mean_rad"], t["root_err_max_m"],
      "; " + ", ".join(ev) if ev else ""))'
row() { # motion robot [check options]
    m=$1 rb=$2; shift 2
    a=$("$LFD" check "$m" --robot $rb "$@" --track --checks track --json 2>/dev/null | python3 -c "$summ")
    b=$("$LFD" check "$m" --robot $rb "$@" --track-balance --checks track --json 2>/dev/null | python3 -c "$summ")
    echo "| $(basename "$m" | sed 's/\.[a-z]*$//') | $rb | $a | $b |"
}
for rb in g1 h1; do
    for c in $CLIPS; do
        f=$OUT/${c}_$rb.lfdm
        [ -f "$f" ] || build/lfd retarget "$MOCAP/$c.bvh" --robot $rb --out-fps 30 -o "$f" >/dev/null 2>&1
        row "$f" $rb
    done
done
sed -n '95,185p' "$REF" > "$OUT/unitree_walk_start.csv" # rows 94-184 (0-based), read as CSV
row "$OUT/unitree_walk_start.csv" g1 --in-fps 30
