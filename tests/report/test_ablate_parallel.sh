#!/bin/sh
# The scheduler forms of docs/scale-out.md for real: a grid planned with
# `apnas ablate ... --plan`, its runs handed to GNU parallel (two jobs at
# a time), then again (every run already finished: nothing reruns), the
# same grid through `xargs -P 2`, and through the Slurm array script as
# Slurm runs it (one task per SLURM_ARRAY_TASK_ID; a task stopped by the
# early SIGTERM of --signal=B:TERM exits 143 and the next submission
# finishes the run); each run's result must equal the one `apnas ablate
# --jobs 2` gets, and `apnas report` must find the grid complete.
#
# usage: test_ablate_parallel.sh APNAS TOY_CFG SOURCE_DIR
set -u

# `meson test --setup valgrind` wraps this script too, which would check
# the shell; a fresh exec leaves the wrapper behind.
if [ -z "${APNAS_SCALEOUT_UNWRAPPED:-}" ]; then
	APNAS_SCALEOUT_UNWRAPPED=1 exec /bin/sh "$0" "$@"
fi

apnas=$1 toy=$2 src=$3
slurm=$src/scripts/scale-out/slurm-array.sh

fail() { echo "ablate_parallel: FAIL: $*" >&2; exit 1; }

if ! command -v parallel >/dev/null 2>&1; then
	echo "ablate_parallel: SKIP: GNU parallel is not installed (Debian" \
	     "package 'parallel', installed by scripts/deps.sh)" >&2
	exit 77
fi

t=$(mktemp -d "${TMPDIR:-/tmp}/apnas-parallel-XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT

grid() {
	"$apnas" ablate "$toy" --vary cost.rows=8,16 --seeds 2 \
	    --set search.epochs=2 --set search.controller_steps=4 \
	    --set search.derive_samples=20 --set run.threads=1 "$@"
}

# the reference: the same grid run by apnas itself
grid --jobs 2 --no-report --out "$t/ref" 2>"$t/ref.err" ||
	fail "ablate --jobs 2: $(cat "$t/ref.err")"

# the runs' results without timings: summary.json's best record and
# pareto.csv
same_as_ref() {
	n=0
	for run in "$t/ref"/*/seed-*/; do
		name=${run#"$t/ref/"}
		got=$1/$name
		[ -f "$got/summary.json" ] || fail "$got did not finish"
		grep '^  "best":' "$run/summary.json" >"$t/want"
		grep '^  "best":' "$got/summary.json" >"$t/got"
		[ -s "$t/want" ] || fail "$run/summary.json has no best record"
		cmp -s "$t/want" "$t/got" ||
			fail "$got: best differs from --jobs's"
		cmp -s "$run/pareto.csv" "$got/pareto.csv" ||
			fail "$got: pareto.csv differs from --jobs's"
		n=$((n + 1))
	done
	[ "$n" -eq 4 ] || fail "the reference grid has $n runs, not 4"
}

grid --out "$t/grid" --plan >"$t/plan.out" 2>"$t/plan.err" ||
	fail "--plan: $(cat "$t/plan.err")"
n=$(grep -c '"index"' "$t/grid/ablate.json")
[ "$n" -eq 4 ] || fail "ablate.json plans $n runs, not 4"

# the line of docs/scale-out.md
seq 0 $((n - 1)) | parallel -j 2 --halt now,fail=1 \
    "$apnas" ablate "$t/grid" --run {} 2>"$t/par.err" ||
	fail "parallel: $(cat "$t/par.err")"
same_as_ref "$t/grid"
[ "$(grep -c 'started' "$t/par.err")" -eq 4 ] ||
	fail "parallel did not start each run once: $(cat "$t/par.err")"

# again: every job finds its run finished
seq 0 $((n - 1)) | parallel -j 2 --halt now,fail=1 \
    "$apnas" ablate "$t/grid" --run {} 2>"$t/par2.err" ||
	fail "parallel again: $(cat "$t/par2.err")"
grep -q started "$t/par2.err" && fail "a finished run ran again"
[ "$(grep -c 'already finished' "$t/par2.err")" -eq 4 ] ||
	fail "second pass: $(cat "$t/par2.err")"

# the xargs form
grid --out "$t/grid2" --plan >/dev/null 2>&1 || fail "--plan grid2"
seq 0 $((n - 1)) | xargs -P 2 -I{} "$apnas" ablate "$t/grid2" --run {} \
    2>"$t/xargs.err" || fail "xargs: $(cat "$t/xargs.err")"
same_as_ref "$t/grid2"

# the Slurm array script, one task per index as sbatch --array=0-3 runs it
grid --out "$t/grid3" --plan >/dev/null 2>&1 || fail "--plan grid3"
for k in $(seq 0 $((n - 1))); do
	SLURM_ARRAY_TASK_ID=$k APNAS=$apnas bash "$slurm" "$t/grid3" \
	    >>"$t/slurm.out" 2>&1 || fail "slurm task $k: $(cat "$t/slurm.out")"
done
same_as_ref "$t/grid3"

# a task stopped before its time limit (--signal=B:TERM: the batch shell
# alone gets SIGTERM) checkpoints and exits 143; the resubmitted task
# resumes the run
"$apnas" ablate "$toy" --set search.epochs=40 --set search.controller_steps=5 \
    --set run.threads=1 \
    --out "$t/long" --plan >/dev/null 2>&1 || fail "--plan long"
SLURM_ARRAY_TASK_ID=0 APNAS=$apnas bash "$slurm" "$t/long" \
    >"$t/long1.out" 2>&1 &
task=$!
i=0
until [ -f "$t/long/base/seed-1/checkpoint/state.ckpt" ]; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || fail "the long run wrote no checkpoint"
	sleep 0.05
done
kill -TERM "$task"
st=0
wait "$task" || st=$?
[ "$st" -eq 143 ] || fail "stopped task exit $st: $(cat "$t/long1.out")"
[ -f "$t/long/base/seed-1/summary.json" ] &&
	fail "the long run finished before SIGTERM: make it longer"
SLURM_ARRAY_TASK_ID=0 APNAS=$apnas bash "$slurm" "$t/long" \
    >"$t/long2.out" 2>&1 || fail "resubmitted task: $(cat "$t/long2.out")"
grep -q "(resume)" "$t/long2.out" ||
	fail "the resubmitted task did not resume: $(cat "$t/long2.out")"
[ -f "$t/long/base/seed-1/summary.json" ] || fail "the long run is unfinished"

"$apnas" report "$t/grid" --no-plots >"$t/rep.out" 2>"$t/rep.err" ||
	fail "report: $(cat "$t/rep.err")"
grep -q "not finished" "$t/rep.err" &&
	fail "report finds runs missing: $(cat "$t/rep.err")"
grep -q "cost.rows=16/seed-2" "$t/rep.out" || fail "report lacks a run"
echo "ablate_parallel: ok (4 runs by GNU parallel, xargs -P 2 and the" \
     "Slurm array script, equal to --jobs 2; a SIGTERMed task resumed)"
exit 0
