#!/bin/sh
# The Fashion-MNIST study of docs/results.md: APNAS against ENAS, random
# search, regularized evolution and APNAS with MACs in place of cycles, on
# 8x8, 16x16 and 32x32 output-stationary arrays, 5 seeds each, every best
# architecture retrained.  Resumable: run it again after an interruption
# and finished runs are skipped (apnas ablate).  Then
# scripts/study_table.py writes the comparison table.
#
#   sh scripts/study.sh [OUT]          # default OUT: runs/study
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh build
export APNAS_PLUGIN_PATH="$PWD/build/plugins"
apnas=./build/core/cli/apnas
out=${1:-runs/study}
start=$(date +%s)

# One apnas ablate per arm, most telling first, so that an interrupted
# study has the APNAS-vs-ENAS comparison before the baselines.
# Hardware-blind arms (ENAS, APNAS on MACs) search once per seed, whatever
# the array; study_table.py costs their networks on every array.
arm() { # name, then extra ablate arguments
	name=$1
	shift
	$apnas ablate "configs/study/$name.cfg" --seeds 5 --jobs 2 \
		--set run.threads=1 --retrain --out "$out/$name" "$@"
}
arm enas
arm apnas_hard --vary cost.rows+cost.cols=8,16,32 --vary reward.target=0.5,0.7,1.0
arm apnas --vary cost.rows+cost.cols=8,16,32
arm apnas_adam --vary cost.rows+cost.cols=8,16,32
arm apnas_macs
arm evolution --vary cost.rows+cost.cols=8,16,32
arm random --vary cost.rows+cost.cols=8,16,32

echo "study: $(( $(date +%s) - start )) s of wall time in this invocation" >&2
/usr/bin/python3 scripts/study_table.py "$out" "$apnas"
