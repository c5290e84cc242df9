#!/bin/bash
# The README's behaviour-cloning rows on real data (h1, upper body): the 11 BVH clips of
# ../shared/data/mocap, each given a consent sidecar in a scratch copy (the shared clips carry
# none), retargeted at 50 fps, checked, trained residual and absolute, evaluated.
# Run from the repository root after make:  docs/tools/bc_real.sh /tmp/bc
LFD=${LFD:-build/lfd}
SHARED=${SHARED:-../shared}
set -e
W=${1:?usage: docs/tools/bc_real.sh WORKDIR (new or empty)}
if [ -e "$W" ] && [ -n "$(ls -A "$W")" ]; then echo "bc_real.sh: $W is not empty" >&2; exit 2; fi
mkdir -p $W/clips $W/h1
for f in $SHARED/data/mocap/*.bvh; do
  b=$(basename $f); ln -s "$(realpath $f)" $W/clips/$b
  cat > $W/clips/$b.prov.json <<J
{"contributor_id": "anon-$(echo $b | md5sum | cut -c1-4)", "consent": {"scopes": ["robot-training", "research"], "date": "2026-01-01"}, "licence": "see ../shared/data/mocap/README.md"}
J
done
$LFD retarget $W/clips/*.bvh --robot h1 --upper-body --out-fps 50 -o $W/h1 -j 2 > $W/retarget.log 2>&1 || true
for f in $W/h1/*.lfdm; do $LFD check $f --robot h1 --json 2>/dev/null | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['verdict'])"; done | sort | uniq -c > $W/verdicts.txt
for mode in residual absolute; do
  $LFD train $W/h1/*.lfdm --robot h1 --upper-body --allow-unchecked --action-mode $mode -o $W/pol_$mode.lfdp -q > $W/train_$mode.log 2>&1
  $LFD eval $W/pol_$mode.lfdp $W/h1/*.lfdm > $W/eval_$mode.txt 2>&1
done
echo "done: $W/verdicts.txt, $W/eval_residual.txt, $W/eval_absolute.txt"
