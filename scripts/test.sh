#!/usr/bin/env bash
# The whole test suite: the normal build and its tests, the same tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, the 32-bit build of the portable core, and every fuzzer for a bounded time.
#   scripts/test.sh            everything
#   FUZZ_SECONDS=N             seconds per fuzzer (default 60 in CI, 20 otherwise)
#   FUZZ_SEED=N                libFuzzer seed (default 1: a CI run explores what a local run with the
#                              same seed explored; set another to search further)
#   SKIP_ASAN=1 SKIP_FUZZ=1 SKIP_M32=1   skip a stage
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
scripts/deps.sh

stage() { printf '\n=== %s ===\n' "$*"; }

stage "build (RelWithDebInfo, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
stage "tests"
ctest --test-dir build -j "$jobs" --output-on-failure

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  stage "build with ASan + UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRUNE_SANITIZE=ON -DRUNE_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  stage "tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -j "$jobs" --output-on-failure -LE slow
fi

if [ "${SKIP_M32:-0}" != 1 ]; then
  stage "32-bit build of the portable core (-m32)"
  cmake -S . -B build-m32 -G Ninja -DRUNE_M32=ON -DRUNE_BENCH=OFF >/dev/null
  cmake --build build-m32 -j "$jobs" --target portable
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  stage "fuzzers (libFuzzer + ASan + UBSan)"
  secs=${FUZZ_SECONDS:-$([ "${CI:-}" = true ] && echo 60 || echo 20)}
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRUNE_FUZZ=ON \
    -DRUNE_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs" --target fuzzers
  for f in build-fuzz/fuzz/*/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    part=$(basename "$(dirname "$f")")
    corpus="$root/fuzz/$part/corpus/${name#fuzz_}"
    work=$(mktemp -d)
    seeds=()
    [ -d "$corpus" ] && seeds=("$corpus")
    echo "fuzz: $name for ${secs}s"
    "$f" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
      "$work" "${seeds[@]}" > "$work.log" 2>&1 || { tail -50 "$work.log"; echo "fuzz: $name FAILED"; exit 1; }
    grep -E '^#[0-9]+ *DONE' "$work.log" | tail -1 || true
    rm -rf "$work" "$work.log"
  done
fi
stage "all stages passed"
