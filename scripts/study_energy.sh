#!/bin/sh
# The energy arm of the study (docs/results.md, "Energy against cycles"):
# APNAS rewarded on the energy of one inference against APNAS rewarded on
# the array's cycles, on a 16x16 output-stationary array with 64 kB SRAMs
# and a DRAM port of 8 words per cycle (configs/study-energy.cfg), 3 seeds
# each, every best architecture retrained.  About 15 minutes of CPU (an hour
# of wall time on a busy 2-core machine), two runs at a time at nice 10.
# Resumable: run it again after an interruption and finished runs are
# skipped (apnas ablate).  Then scripts/study_energy.py prints the table.
#
#   sh scripts/study_energy.sh [OUT]      # default OUT: runs/study-energy
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh build
export APNAS_PLUGIN_PATH="$PWD/build/plugins"
out=${1:-runs/study-energy}
start=$(date +%s)
nice -n 10 ./build/core/cli/apnas ablate configs/study-energy.cfg \
	--seeds 3 --jobs 2 --set run.threads=1 --retrain --out "$out" \
	--vary reward.metric=energy_pj,cycles
echo "study_energy: $(( $(date +%s) - start )) s of wall time in this invocation" >&2
/usr/bin/python3 scripts/study_energy.py "$out"
