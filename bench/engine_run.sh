#!/bin/sh
# Builds and runs bench/engine (the CNN engine beside PyTorch) from a build
# directory, default ./build.  Extra arguments go to the benchmark, e.g.
#   bench/engine_run.sh build --nets child --rounds 3
# BENCH_QUIET_WAIT_S bounds how long each side waits for a quiet machine
# before a repeated run (default 600 s, as the torch script).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
[ $# -gt 0 ] && shift
[ -d "$build" ] || meson setup "$build" "$here"
meson compile -C "$build" bench/engine
exec "$build/bench/engine" "$@"
