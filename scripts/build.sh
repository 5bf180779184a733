#!/bin/sh
# Configures (once) and builds apnas into ./build (or $1).
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
shift 2>/dev/null || true
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" "$@" >/dev/null
else
	meson setup "$dir" "$@"
fi
meson compile -C "$dir"
