#!/bin/sh
# Submits the array and the merge step that waits for it.
#   CORPUS=/data/corpus RUN=/data/runs/r1 ROBOTS="h1 g1" sh examples/slurm/submit.sh [N]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-4}
mkdir -p "$RUN"
job=$(sbatch --parsable --array=0-$((n - 1)) --output="$RUN/slurm-%A_%a.out" "$here/lfd-batch.sbatch")
job=${job%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$job" --output="$RUN/slurm-merge-%j.out" "$here/lfd-merge.sbatch")
echo "array job $job ($n tasks), merge job $merge"
