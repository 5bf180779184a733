#!/bin/sh
# Installs the Debian 12 packages apnas builds, tests and runs with
# (clang: the fuzz harnesses, tests/fuzz/run.sh; protobuf-c: apnas export
# --format onnx; graphviz, python3-torch, python3-onnx: apnas draw and the
# export tests, tests/export; parallel: the GNU parallel form of
# docs/scale-out.md, tests/report/test_ablate_parallel.sh; Open MPI: the
# data-parallel search of docs/mpi.md, tests/mpi; chromium: the browser
# that loads apnas report --html's page, tests/report/test_report_html.sh).
# Idempotent; needs root (or sudo).  Skips apt when everything is there.
set -eu
pkgs="meson ninja-build pkg-config gcc libconfig-dev libyaml-dev check libopenblas-dev
zlib1g-dev dataset-fashion-mnist gnuplot-nox valgrind clang
libclang-rt-14-dev libprotobuf-c-dev protobuf-c-compiler graphviz python3-numpy
python3-torch python3-onnx parallel libopenmpi-dev openmpi-bin chromium"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "apnas: installing$missing" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
