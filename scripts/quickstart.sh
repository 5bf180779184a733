#!/bin/sh
# The README's first command: install, build, run the quickstart search.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh build
APNAS_PLUGIN_PATH="$PWD/build/plugins" exec ./build/core/cli/apnas \
	search configs/quickstart.cfg --out runs/quickstart "$@"
