#!/bin/sh
# Everything CI runs (`make ci`, called by .ci/run), in order:
#   1. the test suite                                (make test; with the test
#      tools installed it includes the arm64 cross build run under qemu,
#      tests/test_arm64_client.c)
#   2. the same suite under AddressSanitizer + UBSan  (make asan)
#   3. the same suite under Valgrind memcheck         (make valgrind; long tests
#      shorten their inputs there, see lfd_test_under_valgrind)
#   4. every libFuzzer target for FUZZ_CI_SECONDS under ASan + UBSan (make fuzz)
# Each stage's own "N passed, N failed" is added up (a fuzz target counts as
# one test); the last line is the total.  A stage that fails to build counts
# as one failure.  Exit status 0 only if nothing failed.
set -u
secs=${FUZZ_CI_SECONDS:-10}
make=${MAKE:-make}
tp=0; tf=0; log=$(mktemp); trap 'rm -f "$log"' EXIT

count() {  # stage-name: read the last "N passed, N failed" of $log
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
    if [ -z "$line" ]; then
        echo "ci: $1 did not finish (no result line); counted as 1 failure"
        tail -20 "$log"
        tf=$((tf + 1))
        return
    fi
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
    tp=$((tp + p)); tf=$((tf + f))
    echo "ci: $1: $line"
}

for stage in test asan valgrind; do
    echo "ci: === $stage ==="
    $make --no-print-directory $stage 2>&1 | tee "$log"
    count $stage
done

echo "ci: === fuzz ($secs s per target) ==="
$make --no-print-directory fuzz FUZZ_SECONDS="$secs" 2>&1 | tee "$log"
fp=$(grep -c '^fuzz .* ok$' "$log"); ff=$(grep -c '^fuzz .*FINDING' "$log")
if [ $((fp + ff)) -eq 0 ]; then
    echo "ci: fuzz did not run; counted as 1 failure"; ff=1
fi
echo "ci: fuzz: $fp passed, $ff failed"
tp=$((tp + fp)); tf=$((tf + ff))

echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
