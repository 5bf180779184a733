#!/bin/sh
# The README's first command: install, build, run the quickstart search on
# Fashion-MNIST, then report it (Pareto table on stdout, plot paths on
# stderr).  Each invocation makes a new run directory under runs/.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh build
export APNAS_PLUGIN_PATH="$PWD/build/plugins"
apnas=./build/core/cli/apnas
out=runs/quickstart-$(date +%Y%m%d-%H%M%S)
$apnas search configs/quickstart.cfg --out "$out" "$@"
$apnas report "$out" --out "$out/report"
