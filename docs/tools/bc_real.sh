#!/bin/bash
# The README's behaviour-cloning rows on real data.
#   docs/tools/bc_real.sh WORKDIR          h1, upper body: the 11 BVH clips of ../shared/data/mocap
#   docs/tools/bc_real.sh --g1 WORKDIR     g1, whole body: the five walks (bandai walk, bandai
#                                          walk-turn-left, LAFAN walk, mixamo, xia walk)
# Each clip is given a consent sidecar in a scratch copy (the shared clips carry none),
# retargeted at 50 fps, checked, trained residual and absolute (seed 1, --val-frac 0.2) and
# evaluated.  Run from the repository root after make.
LFD=${LFD:-build/lfd}
SHARED=${SHARED:-../shared}
set -e
ROBOT=h1 UPPER=--upper-body
if [ "$1" = --g1 ]; then ROBOT=g1 UPPER=; shift; fi
W=${1:?usage: docs/tools/bc_real.sh [--g1] WORKDIR (new or empty)}
if [ -e "$W" ] && [ -n "$(ls -A "$W")" ]; then echo "bc_real.sh: $W is not empty" >&2; exit 2; fi
mkdir -p $W/clips $W/$ROBOT
if [ $ROBOT = g1 ]; then
  CLIPS="bandai1_walk_normal_001 bandai2_walk_turn_left_normal_001 lafan1_walk1_subject1_first91
         mixamorig_freebvh_69f xia_cmuskel_neutral_walk"
else
  CLIPS=$(cd $SHARED/data/mocap && ls *.bvh | sed 's/\.bvh$//')
fi
for c in $CLIPS; do
  f=$SHARED/data/mocap/$c.bvh b=$c.bvh
  ln -s "$(realpath $f)" $W/clips/$b
  cat > $W/clips/$b.prov.json <<J
{"contributor_id": "anon-$(echo $b | md5sum | cut -c1-4)", "consent": {"scopes": ["robot-training", "research"], "date": "2026-01-01"}, "licence": "see ../shared/data/mocap/README.md"}
J
done
$LFD retarget $W/clips/*.bvh --robot $ROBOT $UPPER --out-fps 50 -o $W/$ROBOT -j 2 > $W/retarget.log 2>&1 || true
for f in $W/$ROBOT/*.lfdm; do $LFD check $f --robot $ROBOT --json 2>/dev/null | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['verdict'])"; done | sort | uniq -c > $W/verdicts.txt
for mode in residual absolute; do
  $LFD train $W/$ROBOT/*.lfdm --robot $ROBOT $UPPER --allow-unchecked --action-mode $mode -o $W/pol_$mode.lfdp -q > $W/train_$mode.log 2>&1
  $LFD eval $W/pol_$mode.lfdp $W/$ROBOT/*.lfdm > $W/eval_$mode.txt 2>&1
done
echo "done: $W/verdicts.txt, $W/eval_residual.txt, $W/eval_absolute.txt"
