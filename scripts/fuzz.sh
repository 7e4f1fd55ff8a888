#!/usr/bin/env bash
# scripts/fuzz.sh: builds and runs hashwatch's libFuzzer harnesses (fuzz/;
# docs/reliability.md, "Fuzzing").
#
#   scripts/fuzz.sh build                    configure (clang) and build the fuzzers
#   scripts/fuzz.sh replay                   run testdata/fuzz_regressions/<harness>/ through each
#   scripts/fuzz.sh smoke [SECONDS]          build, replay, then fuzz each harness SECONDS (20)
#                                            from its seeds, in a temporary corpus
#   scripts/fuzz.sh long SECONDS [HARNESS...]  fuzz each harness (all by default) in turn for
#                                            SECONDS, keeping its corpus in
#                                            $HASHWATCH_FUZZ_DIR/corpus/<harness>
#
# Needs clang, libclang-rt-14-dev and libomp-dev (Debian 12). The build goes
# into ${HASHWATCH_FUZZ_DIR:-build-fuzz} (relative to the checkout); testdata
# is never written: seeds are copied to a scratch corpus. Exits non-zero on
# any crash, sanitizer report, timeout or out-of-memory, printing the
# reproducer's path (libFuzzer writes it as crash-*, timeout-*, oom-* or
# leak-* into the run's artifact folder, printed below). Replay a reproducer
# with: $HASHWATCH_FUZZ_DIR/bin/<harness> FILE
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ_DIR=${HASHWATCH_FUZZ_DIR:-build-fuzz}
case "$FUZZ_DIR" in /*) ;; *) FUZZ_DIR="$ROOT/$FUZZ_DIR" ;; esac
BIN="$FUZZ_DIR/bin"
HARNESSES=(image_decoder_fuzzer video_decoder_fuzzer hash_list_fuzzer catalog_open_fuzzer)
# Per-input limits: a slower input than -timeout seconds is a hang; more
# memory than -rss_limit_mb an OOM finding. HASHWATCH_FUZZ_FLAGS adds
# libFuzzer flags to smoke and long runs, e.g. "-fork=1 -ignore_crashes=1
# -ignore_ooms=1" to go on past a known, not yet fixed finding.
TIMEOUT=${HASHWATCH_FUZZ_TIMEOUT:-10}
RSS_LIMIT_MB=${HASHWATCH_FUZZ_RSS_MB:-2048}
read -r -a USER_FLAGS <<<"${HASHWATCH_FUZZ_FLAGS:-}"

# UBSan only reports by default; a finding must stop the run. Leak checks
# are off: the engine's libraries (OpenCV, libav, FAISS) keep process-wide
# caches that LeakSanitizer would report at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'fuzz.sh: %s\n' "$*" >&2
  exit 2
}

# Seed folders and files of each harness, and its largest input. The seeds
# are tiny (testdata/fuzz_seeds/make_seeds.sh says why and how they were made).
seeds() {
  case "$1" in
    image_decoder_fuzzer) echo "$ROOT/testdata/fuzz_seeds/image" ;;
    video_decoder_fuzzer) echo "$ROOT/testdata/fuzz_seeds/video" ;;
    hash_list_fuzzer) echo "$ROOT/testdata/fuzz_seeds/hash_list" ;;
    catalog_open_fuzzer) echo "$ROOT/testdata/fuzz_seeds/catalog_open $ROOT/testdata/catalog/schema1.db" ;;
    *) die "unknown harness '$1' (one of: ${HARNESSES[*]})" ;;
  esac
}
max_len() {
  case "$1" in
    image_decoder_fuzzer) echo 32768 ;;
    video_decoder_fuzzer) echo 65536 ;;
    hash_list_fuzzer) echo 16384 ;;
    catalog_open_fuzzer) echo 131072 ;;
  esac
}
extra_flags() {
  case "$1" in
    hash_list_fuzzer) echo "-dict=$ROOT/fuzz/hash_list.dict" ;;
    *) echo "" ;;
  esac
}

check_tools() {
  if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
    die "clang is missing (apt-get install clang libclang-rt-14-dev libomp-dev)"
  fi
  local fuzzer_lib
  fuzzer_lib=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
  if [ ! -f "$fuzzer_lib" ]; then
    fuzzer_lib=$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null |
      head -n 1)
  fi
  if [ -z "$fuzzer_lib" ] || [ ! -f "$fuzzer_lib" ]; then
    die "libFuzzer's runtime is missing (apt-get install libclang-rt-14-dev)"
  fi
  # FAISS's CMake targets need OpenMP, which clang takes from LLVM's libomp.
  if ! printf '#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n' |
    clang -fopenmp -x c - -o /dev/null >/dev/null 2>&1; then
    die "clang cannot build OpenMP code (apt-get install libomp-dev)"
  fi
}

build() {
  check_tools
  say "configuring the fuzzers (clang, Release, ASan + UBSan + libFuzzer) in $FUZZ_DIR"
  mkdir -p "$FUZZ_DIR"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DHASHWATCH_BUILD_FUZZERS=ON -DHASHWATCH_BUILD_TESTS=OFF -DHASHWATCH_BUILD_BENCH=OFF \
    >"$FUZZ_DIR/configure.log" 2>&1 || {
    tail -n 30 "$FUZZ_DIR/configure.log" >&2
    die "configuring failed (log: $FUZZ_DIR/configure.log)"
  }
  say "building ${HARNESSES[*]}"
  cmake --build "$FUZZ_DIR" -j "$(nproc)" --target "${HARNESSES[@]}"
}

need_built() {
  local h
  for h in "${HARNESSES[@]}"; do
    [ -x "$BIN/$h" ] || die "$BIN/$h is not built (scripts/fuzz.sh build)"
  done
}

# The harness's output goes to a log; on a finding its tail is printed with
# the reproducer.
report_finding() {
  local harness=$1 log=$2 artifacts=$3
  printf '\nfuzz.sh: FINDING in %s (log: %s)\n' "$harness" "$log" >&2
  grep -E 'ERROR: |runtime error:|broken (invariant|promise)|Test unit written to|SUMMARY' "$log" |
    head -n 20 >&2 || true
  local found
  found=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) 2>/dev/null | sort || true)
  if [ -n "$found" ]; then
    printf 'reproducer(s):\n%s\n' "$found" >&2
    printf 'replay: %s <reproducer>\n' "$BIN/$harness" >&2
  fi
}

# Regression inputs: every file under testdata/fuzz_regressions/<harness>/
# but the notes (*.md) must run cleanly. One process a file, so that every
# failing file is named.
replay() {
  need_built
  local failed=0 h dir f log
  for h in "${HARNESSES[@]}"; do
    dir="$ROOT/testdata/fuzz_regressions/$h"
    [ -d "$dir" ] || continue
    while IFS= read -r f; do
      log=$(mktemp -t "hashwatch-replay-$h.XXXXXX.log")
      if "$BIN/$h" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_LIMIT_MB" -detect_leaks=0 "$f" \
        >"$log" 2>&1; then
        say "replay $h: ok   ${f#"$ROOT"/}"
        rm -f "$log"
      else
        say "replay $h: FAIL ${f#"$ROOT"/} (log: $log)"
        grep -E 'ERROR: |runtime error:|broken (invariant|promise)|what\(\)|SUMMARY' "$log" |
          head -n 5 >&2 || true
        failed=1
      fi
    done < <(find "$dir" -type f ! -name '*.md' | sort)
  done
  return $failed
}

# run HARNESS SECONDS CORPUS ARTIFACTS LOG: fuzz one harness; 0 when nothing
# was found.
run_one() {
  local h=$1 seconds=$2 corpus=$3 artifacts=$4 log=$5
  local -a seed_dirs
  read -r -a seed_dirs <<<"$(seeds "$h")"
  local -a flags
  read -r -a flags <<<"$(extra_flags "$h")"
  mkdir -p "$corpus" "$artifacts"
  # The corpus folder first: new inputs go there; the seed folders are only
  # read. Seed files (not folders) are copied in, libFuzzer reads folders.
  local -a inputs=("$corpus")
  local s
  for s in "${seed_dirs[@]}"; do
    if [ -d "$s" ]; then inputs+=("$s"); else cp -n "$s" "$corpus/"; fi
  done
  "$BIN/$h" -max_total_time="$seconds" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_LIMIT_MB" \
    -detect_leaks=0 \
    -max_len="$(max_len "$h")" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "${flags[@]}" "${USER_FLAGS[@]}" "${inputs[@]}" >"$log" 2>&1
}

# The figures a run ends with, for docs/reliability.md.
summarise() {
  local h=$1 log=$2 corpus=$3
  local last
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  printf '%-22s %s\n' "$h" "${last:-(no status line)}"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
    sed 's/^/                       /' || true
  printf '                       corpus: %s files, %s\n' "$(find "$corpus" -type f | wc -l)" \
    "$(du -sh "$corpus" | cut -f1)"
}

smoke() {
  local seconds=${1:-20}
  build
  local failed=0
  replay || failed=1
  local scratch h
  scratch=$(mktemp -d -t hashwatch-fuzz-smoke.XXXXXX)
  for h in "${HARNESSES[@]}"; do
    say "fuzzing $h for ${seconds}s (scratch: $scratch/$h)"
    if run_one "$h" "$seconds" "$scratch/$h/corpus" "$scratch/$h/artifacts" "$scratch/$h.log"; then
      summarise "$h" "$scratch/$h.log" "$scratch/$h/corpus"
    else
      report_finding "$h" "$scratch/$h.log" "$scratch/$h/artifacts"
      failed=1
    fi
  done
  if [ $failed -eq 0 ]; then
    rm -rf "$scratch"
    say "smoke: no findings"
  else
    say "smoke: FINDINGS (logs and reproducers kept in $scratch)"
  fi
  return $failed
}

long() {
  local seconds=${1:?usage: scripts/fuzz.sh long SECONDS [HARNESS...]}
  shift
  local -a which=("$@")
  [ ${#which[@]} -gt 0 ] || which=("${HARNESSES[@]}")
  need_built
  local failed=0 h stamp
  for h in "${which[@]}"; do
    seeds "$h" >/dev/null
    stamp=$(date +%Y%m%d-%H%M%S)
    local log="$FUZZ_DIR/logs/$h-$stamp.log"
    mkdir -p "$FUZZ_DIR/logs"
    say "fuzzing $h for ${seconds}s (corpus: $FUZZ_DIR/corpus/$h, log: $log)"
    if run_one "$h" "$seconds" "$FUZZ_DIR/corpus/$h" "$FUZZ_DIR/artifacts/$h" "$log"; then
      summarise "$h" "$log" "$FUZZ_DIR/corpus/$h"
    else
      report_finding "$h" "$log" "$FUZZ_DIR/artifacts/$h"
      failed=1
    fi
  done
  return $failed
}

case "${1:-}" in
  build) build ;;
  replay) replay ;;
  smoke) smoke "${2:-20}" ;;
  long)
    shift
    long "$@"
    ;;
  *)
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
