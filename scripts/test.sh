#!/bin/sh
# The README's second command: install, build, run every test.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh build -Dmpi=enabled
meson test -C build --print-errorlogs --num-processes 2
