#!/bin/sh
# Runs each libFuzzer target for a bounded time (see tests/fuzz/lfd_fuzz.h).
#   tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
# New corpus entries go to BUILD_DIR/corpus/<target> (the seeds in
# tests/fuzz/corpus/<target> are read, never written); findings go to
# BUILD_DIR/artifacts/<target>/.  A dictionary tests/fuzz/<target>.dict is passed when present.  Appends one line per run to
# BUILD_DIR/fuzz-log.tsv: date, target, seconds, executions, corpus size, result.
set -u
build=$1; secs=$2; shift 2
fail=0
for t in "$@"; do
    bin="$build/fuzz/fuzz_$t"
    mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
    log="$build/fuzz-$t.log"
    dict=""
    [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict \
        -artifact_prefix="$build/artifacts/$t/" "$build/corpus/$t" "tests/fuzz/corpus/$t" \
        >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    corp=$(ls "$build/corpus/$t" | wc -l)
    if [ $rc -eq 0 ]; then res=ok; else res="FINDING (exit $rc, see $log)"; fail=1; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" "$secs" \
        "${execs:-?}" "$corp" "$res" >>"$build/fuzz-log.tsv"
    printf 'fuzz %-16s %4ss  %10s execs  corpus %5s  %s\n' "$t" "$secs" "${execs:-?}" "$corp" "$res"
    [ $rc -eq 0 ] || tail -30 "$log"
done
exit $fail
