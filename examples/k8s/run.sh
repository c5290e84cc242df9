#!/bin/sh
# Runs the sharded batch, waits for every index to complete, then merges.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# Waits until a Job completes or fails: with backoffLimitPerIndex a Job with a
# failed index ends Failed, never Complete, and waiting for complete alone sat
# out the whole timeout.  Exits 1 on failed (or on the timeout).
wait_job() {
    job=$1 timeout_s=$2 waited=0
    while [ "$waited" -lt "$timeout_s" ]; do
        st=$(kubectl get "job/$job" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}')
        case " $st " in
        *" Complete "*) return 0 ;;
        *" Failed "*) echo "job $job failed: kubectl describe job/$job" >&2; return 1 ;;
        esac
        sleep 30
        waited=$((waited + 30))
    done
    echo "job $job: no outcome within $timeout_s s" >&2
    return 1
}
kubectl apply -f "$here/lfd-batch-job.yaml"
wait_job lfd-batch 86400
kubectl apply -f "$here/lfd-merge-job.yaml"
wait_job lfd-merge 3600
