#!/usr/bin/env bash
# Runs every libFuzzer target of a build made with MLPRIM_BUILD_FUZZERS=ON
# (the asan preset) for a bounded time, two at a time, starting from the
# seed corpus and the kept regression inputs. Fails on any finding: a crash,
# a sanitizer report, a leak, a timeout, or memory beyond the limits below.
#
#   bash tests/fuzz/run.sh [build-dir] [seconds-per-target]   # defaults: build/asan 60
#
# A finding leaves its input in <build-dir>/fuzz-findings/<target>/; once it is
# fixed, copy that file into tests/fuzz/regressions/<target>/ so the normal
# test suite replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/asan}
seconds=${2:-60}
targets=(binary_reader kdtree_load dynamic_kdtree_load forest_load optimizer_load gradient_boosting_load
         xgboost_json ensemble_load)

for t in "${targets[@]}"; do
  if [[ ! -x "$build/tests/fuzz/mlprim_fuzz_$t" ]]; then
    echo "fuzz: $build/tests/fuzz/mlprim_fuzz_$t is missing: build with the asan preset first" >&2
    exit 1
  fi
done
"$build/tests/fuzz/mlprim_fuzz_corpus" "$build/fuzz-seeds" >/dev/null

run_one() {
  local t=$1 work="$build/fuzz-work/$1" findings="$build/fuzz-findings/$1/"
  mkdir -p "$work" "$findings"
  # Readers must allocate only what arrived: 64 MiB is far above the 1 MiB
  # blocks of a pipe and the ~4 KiB inputs, far below any size a header claims.
  local malloc_limit=2048
  [[ $t == binary_reader ]] && malloc_limit=64
  OMP_NUM_THREADS=1 "$build/tests/fuzz/mlprim_fuzz_$t" "$work" "$build/fuzz-seeds/$t" \
    "tests/fuzz/regressions/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb="$malloc_limit" -max_len=8192 -artifact_prefix="$findings" \
    -print_final_stats=1 >"$build/fuzz-$t.log" 2>&1
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, two at a time"
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    run_one "$t" &
    pids+=("$!:$t")
  done
  for entry in "${pids[@]}"; do
    pid=${entry%%:*} t=${entry#*:}
    if wait "$pid"; then
      runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$t.log" | grep -o '[0-9]*$' || true)
      echo "fuzz: $t: no finding in ${runs:-?} inputs"
    else
      echo "fuzz: $t: FINDING (log: $build/fuzz-$t.log, input in $build/fuzz-findings/$t/)" >&2
      tail -n 40 "$build/fuzz-$t.log" >&2
      status=1
    fi
  done
done
exit $status
