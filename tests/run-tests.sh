#!/usr/bin/env bash
# Runs every test binary and shell test of a build folder; prints one closing line
# "N passed, N failed[, N skipped]" counting individual test cases.
set -u
build=${1:-build}
export VSC_BUILD=$build
pass=0; fail=0; skip=0; failed_names=()
mkdir -p "$build/test-logs"
run_one() {
    local name=$1; shift
    local log="$build/test-logs/$(echo "$name" | tr '/' '_').log"
    "$@" >"$log" 2>&1
    local rc=$?
    local p f s
    p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END{print s+0}')
    f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END{print s+0}')
    s=$(grep -Eo '^\[  SKIPPED \] [0-9]+' "$log" | awk '{s+=$4} END{print s+0}')
    if [ "$p" = 0 ] && [ "$f" = 0 ] && [ "$s" = 0 ]; then   # not cmocka: the exit code decides
        if [ $rc = 0 ]; then p=1; elif [ $rc = 77 ]; then s=1; else f=1; fi
    elif [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; fi
    grep -E '^SKIP' "$log" | sed "s|^|  $name: |"
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ "$f" != 0 ]; then
        failed_names+=("$name"); echo "FAIL $name (log: $log)"; tail -30 "$log" | sed 's/^/    /'
    else
        echo "ok   $name ($p passed${s:+, $s skipped})"
    fi
}
for t in "$build"/tests/unit/test_* "$build"/tests/integration/test_*; do
    [ -x "$t" ] || continue
    run_one "${t#$build/tests/}" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    run_one "${t#tests/}" bash "$t"
done
echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
