#!/usr/bin/env bash
# hashwatch set-up in one command, on a fresh Debian 12 machine (as root, or
# with sudo): installs the Debian packages that are missing, configures and
# builds, then
#   scripts/run.sh demo   runs the main job on the bundled testdata
#   scripts/run.sh test   builds and runs the whole test suite (ctest)
#   scripts/run.sh build  only installs and builds
# Build type and folder can be changed with HASHWATCH_BUILD_TYPE (Release) and
# HASHWATCH_BUILD_DIR (build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${HASHWATCH_BUILD_DIR:-$ROOT/build}
BUILD_TYPE=${HASHWATCH_BUILD_TYPE:-Release}

# Why each is here: README.md, "Dependencies".
PACKAGES=(
  build-essential cmake pkg-config
  libopencv-dev libopencv-contrib-dev libjpeg-dev
  libfaiss-dev libopenblas-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libabsl-dev catch2 libsqlite3-dev
  # The shared catalog on a server (docs/deployment.md): libpq to build, and the
  # server the tests start a throw-away cluster of (scripts/pg_cluster.sh).
  libpq-dev postgresql-15
  nlohmann-json3-dev libcli11-dev libssl-dev zlib1g-dev
  ffmpeg fonts-dejavu-core
  # The default embedding model is made at set-up (scripts/model/, docs/embedding_model.md).
  python3-onnx python3-numpy python3-pil
  # The test command's sanitizer and fuzzing runs (docs/reliability.md): clang with
  # libFuzzer and the sanitizer runtimes, its OpenMP (FAISS's CMake targets ask for
  # it), llvm-symbolizer for readable reports.
  clang libclang-rt-14-dev libomp-dev llvm
)
# node and npm fetch and unpack that model's source package. Only when the
# commands are missing: a nodesource nodejs bundles its own npm, and Debian's
# npm package must not be forced onto it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

say() { printf '==> %s\n' "$*" >&2; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all present"
    return
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
    sudo=(sudo)
  fi
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
}

build() {
  say "configuring ($BUILD_TYPE) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
  say "building"
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}

# The main job on the bundled testdata: enrol a victim's known photos
# (testdata/known) as case DEMO-1, then scan a "crawled" folder holding edited
# copies of them and unrelated photos (testdata/crawled; what each file is:
# testdata/scan_expected.tsv), and print the matches.
demo() {
  local hw="$BUILD_DIR/bin/hashwatch"
  local db="$BUILD_DIR/demo/catalog.db"
  mkdir -p "$BUILD_DIR/demo"
  rm -f "$db" "$db-wal" "$db-shm"
  say "enrolling testdata/known and testdata/video/street_vtest.mp4 as case DEMO-1 into $db (hashes only)"
  "$hw" enroll --db "$db" --case DEMO-1 --label "demo: testdata/known" --format table \
    "$ROOT/testdata/known" "$ROOT/testdata/video/street_vtest.mp4"
  say "scanning testdata/crawled (photos) and testdata/crawled_video (videos)"
  "$hw" scan --db "$db" --format table "$ROOT/testdata/crawled" "$ROOT/testdata/crawled_video"
  say "expected (testdata/scan_expected.tsv, testdata/scan_expected_video.tsv): every edited photo matches"
  say "its original, the 4% crop at stage 'verified' (34 bits away, PDQ's known weakness with crops:"
  say "local features confirm it; docs/robustness.md); the re-posted"
  say "video excerpt matches street_vtest.mp4 with its span (query 0-8 s = reference ~4.5-12.5 s);"
  say "no unrelated photo or video matches"
}

# A throw-away PostgreSQL cluster for the server catalog's tests: started as
# an unprivileged user on a free loopback port, stopped when the tests end
# (scripts/pg_cluster.sh). The tests get its owner URI.
PG_TEST_DIR=""
stop_test_server() {
  if [ -n "$PG_TEST_DIR" ]; then
    "$ROOT/scripts/pg_cluster.sh" stop "$PG_TEST_DIR" || true
    rm -rf "$PG_TEST_DIR"
    PG_TEST_DIR=""
  fi
}
start_test_server() {
  PG_TEST_DIR=$(mktemp -d /tmp/hashwatch-pg-XXXXXX)
  trap stop_test_server EXIT
  say "starting a throw-away PostgreSQL cluster in $PG_TEST_DIR"
  HASHWATCH_TEST_PG_URI=$("$ROOT/scripts/pg_cluster.sh" start "$PG_TEST_DIR")
  export HASHWATCH_TEST_PG_URI
  say "PostgreSQL test server: $HASHWATCH_TEST_PG_URI"
}

run_tests() {
  start_test_server
  say "running the test suite"
  (cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)")
  sanitizer_tests
  say "fuzzing: a short run of each harness (scripts/fuzz.sh; long runs: docs/reliability.md)"
  local start=$SECONDS
  # A fixed seed: the same inputs on every run, so CI does not flip on chance.
  HASHWATCH_FUZZ_DIR="$BUILD_DIR-fuzz" HASHWATCH_FUZZ_FLAGS="${HASHWATCH_FUZZ_FLAGS:--seed=1}" \
    "$ROOT/scripts/fuzz.sh" smoke 20
  say "fuzzing took $((SECONDS - start)) s"
}

# A build with sanitizers beside the main one: same sources, its own folder,
# the default model copied in. -O1 (what the sanitizers' authors advise; it
# also compiles much faster than -O3), NDEBUG as in Release. Bench and
# warnings-as-errors off (the bench is not under test; the sanitizer builds
# must not fail on a new warning that the main build does not have).
sanitizer_build() {
  local dir=$1 target=$2
  shift 2
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -DNDEBUG" \
    -DHASHWATCH_BUILD_BENCH=OFF -DHASHWATCH_WERROR=OFF "$@" >/dev/null
  mkdir -p "$dir/models"
  cp -a "$BUILD_DIR/models/." "$dir/models/"
  cmake --build "$dir" -j "$(nproc)" --target "$target"
}

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# concurrency tests ([concurrency]) under ThreadSanitizer. Any report fails
# the run: UBSan halts on the first error, ASan's leak checker is on.
sanitizer_tests() {
  local asan="$BUILD_DIR-asan" tsan="$BUILD_DIR-tsan" start=$SECONDS
  say "ASan + UBSan: building in $asan"
  sanitizer_build "$asan" hashwatch_tests -DHASHWATCH_SANITIZE=ON
  cmake --build "$asan" -j "$(nproc)" --target hashwatch-cli
  say "ASan + UBSan: running the test suite"
  (cd "$asan" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --output-on-failure -j "$(nproc)")
  say "TSan: building the concurrency tests in $tsan"
  sanitizer_build "$tsan" hashwatch_concurrency_tests -DHASHWATCH_TSAN=ON
  say "TSan: running the concurrency tests"
  (cd "$ROOT" && TSAN_OPTIONS="halt_on_error=1:suppressions=$ROOT/tests/tsan.supp" \
    "$tsan/bin/hashwatch_concurrency_tests" "[concurrency]")
  say "sanitizer runs took $((SECONDS - start)) s"
}

main() {
  local what=${1:-}
  case "$what" in
    demo|test|build) ;;
    *) echo "usage: scripts/run.sh demo|test|build" >&2; exit 2 ;;
  esac
  install_packages
  say "default embedding model in $BUILD_DIR/models"
  "$ROOT/scripts/model/make_default_model.sh" "$BUILD_DIR/models"
  build
  case "$what" in
    demo) demo ;;
    test) run_tests ;;
    build) ;;
  esac
}

main "$@"
