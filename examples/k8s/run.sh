#!/bin/sh
# Runs the sharded batch, waits for every index to complete, then merges.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kubectl apply -f "$here/lfd-batch-job.yaml"
kubectl wait --for=condition=complete --timeout=24h job/lfd-batch
kubectl apply -f "$here/lfd-merge-job.yaml"
kubectl wait --for=condition=complete --timeout=1h job/lfd-merge
