#!/bin/sh
# The co-search arm of the study (docs/results.md, "Co-search"), budget
# 256 PEs and 192 kB of SRAM, reward MnasNet-hard on the energy-delay
# product at one absolute target T for every arm (configs/study/
# cosearch.cfg says how T is chosen), 3 seeds, every best network
# retrained:
#   cosearch        network + shape + dataflow + SRAM split, reinforce_lstm
#   random          random search over the same joint space
#   enas            accuracy alone (configs/study/enas.cfg); the table then
#                   sizes the array for each of its networks, exhaustively
#   fixed_RxC       APNAS on each fixed array of the budget (rows x cols =
#                   256), each dataflow, 64/64/64 kB (the even split)
# Resumable: run it again and finished runs are skipped (apnas ablate).
# Two runs at a time at nice 10.  Then scripts/study_cosearch.py prints
# the table.
#
#   sh scripts/study_cosearch.sh [OUT]     # default OUT: runs/study-cosearch
#   SEEDS=2 SHAPES="16x16 8x32" sh scripts/study_cosearch.sh   # smaller
#   STUDY_SETS="--set search.epochs=1" ...   # extra settings for every run
#   CFG=configs/study/cosearch1024.cfg SHAPES="32x32 64x16 16x64 128x8 8x128" \
#       sh scripts/study_cosearch.sh runs/study-cosearch-1024   # 1,024 PEs
#   METRIC=cycles ...   # reward (and T, and the table's best) on cycles
set -eu
cd "$(dirname "$0")/.."
if [ -z "${APNAS:-}" ]; then
	sh scripts/deps.sh
	sh scripts/build.sh build
	export APNAS_PLUGIN_PATH="$PWD/build/plugins"
	APNAS=./build/core/cli/apnas
fi
out=${1:-runs/study-cosearch}
seeds=${SEEDS:-3}
shapes=${SHAPES:-"16x16 8x32 32x8 4x64 64x4"}
cfg=${CFG:-configs/study/cosearch.cfg}
metric=${METRIC:-edp}
mkdir -p "$out"
start=$(date +%s)

# T: 0.7 x the all-conv3x3 network's metric on the config's reference array.
ref=$("$APNAS" cost "$cfg" --arch all-conv3x3 --format json \
	--set cost.search_pe_budget=0 --set cost.search_sram_kb_budget=0 \
	2>/dev/null | /usr/bin/python3 -c \
	'import json, sys; print(json.load(sys.stdin)["total"][sys.argv[1]])' \
	"$metric")
target=$(/usr/bin/python3 -c "print(repr(0.7 * $ref))")
echo "study_cosearch: T = 0.7 x $ref = $target ($metric)" >&2
echo "$target" > "$out/target"
echo "$cfg" > "$out/cfg"
echo "$metric" > "$out/metric"

arm() { # config, name, then extra ablate arguments
	c=$1
	name=$2
	shift 2
	nice -n 10 "$APNAS" ablate "$c" --seeds "$seeds" --jobs 2 \
		--set run.threads=1 --retrain --out "$out/$name" \
		${STUDY_SETS:-} "$@"
}
hw_arm() { # config, name, then extra arguments: a T-rewarded arm
	c=$1
	name=$2
	shift 2
	# the metric only when it is not the config's edp: a grid's settings
	# are part of its plan, and earlier runs must still resume
	if [ "$metric" = edp ]; then
		arm "$c" "$name" --set "reward.target=$target" \
			--set 'reward.reference=""' "$@"
	else
		arm "$c" "$name" --set "reward.target=$target" \
			--set 'reward.reference=""' --set "reward.metric=$metric" "$@"
	fi
}

hw_arm "$cfg" cosearch
sed '/^controller = {/,/^};/c\
controller = { plugin = "random"; };' "$cfg" > "$out/random.cfg"
hw_arm "$out/random.cfg" random
arm configs/study/enas.cfg enas
for s in $shapes; do
	r=${s%x*}
	c=${s#*x}
	hw_arm "$cfg" "fixed_$s" --set cost.search_pe_budget=0 \
		--set cost.search_sram_kb_budget=0 --set "cost.rows=$r" \
		--set "cost.cols=$c" --vary cost.dataflow=os,ws,is
done
echo "study_cosearch: $(( $(date +%s) - start )) s of wall time in this invocation" >&2
/usr/bin/python3 scripts/study_cosearch.py "$out" "$APNAS"
