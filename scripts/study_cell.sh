#!/bin/sh
# Reruns one cell of a study (scripts/study.sh, or any apnas ablate grid)
# from today's code and checks it against the recorded one bit for bit:
# the search from the run's resolved config.cfg with its seed and thread
# count (summary.json), then, when the cell was retrained, the retraining
# of the rerun's best network with the recorded epochs and threads.
# Compares summary.json (all but timings and provenance), pareto.csv,
# candidates.csv, epochs.csv (all but timings) and retrain/summary.json
# (scripts/study_compare.py).  Prints MATCH, or the first difference and
# where each side ran (commit, CPU, OpenBLAS core, engine kernels).
#
#   sh scripts/study_cell.sh [--recorded-commit] STUDY_DIR RUN_NAME [WORK_DIR]
#   e.g. sh scripts/study_cell.sh runs/study \
#            'apnas_hard/cost.rows+cost.cols=16,reward.target=1.0/seed-1'
#
# --recorded-commit reruns with the code the cell was run with instead of
# today's: the commit its summary.json records is checked out beside this
# clone (git worktree, in WORK_DIR) and built there.  A commit with
# uncommitted edits (a trailing +) or one this clone does not have is
# refused.  Today's code may legitimately differ from the recorded one in
# the last bits (docs/engine.md, Determinism); this tells that apart from
# a run that cannot be reproduced at all.
#
# RUN_NAME is the run's directory under STUDY_DIR (the name `apnas report`
# gives it).  APNAS names the apnas binary (default ./build/core/cli/apnas,
# built first); the rerun goes to WORK_DIR (default a fresh temporary
# directory, removed afterwards).  Exit 0 MATCH, 1 a difference, 2 bad
# arguments or a failed rerun.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
atrec=0
if [ "${1:-}" = --recorded-commit ]; then
	atrec=1
	shift
fi
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: sh scripts/study_cell.sh [--recorded-commit] STUDY_DIR" \
	     "RUN_NAME [WORK_DIR]" >&2
	exit 2
fi
run="$1/$2"
for f in summary.json config.cfg; do
	if [ ! -f "$run/$f" ]; then
		echo "study_cell: $run/$f: no such file (RUN_NAME is the run's" \
		     "directory under STUDY_DIR, holding summary.json)" >&2
		exit 2
	fi
done
if [ $# -eq 3 ]; then
	work=$3
	mkdir -p "$work"
	keep=1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/study_cell.XXXXXX")
	keep=0
fi
tree=
cleanup() {
	[ -z "$tree" ] || git -C "$here/.." worktree remove --force "$tree" \
		>/dev/null 2>&1 || true
	[ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

if [ "$atrec" = 1 ]; then
	commit=$(/usr/bin/python3 -c 'import json,sys; print((json.load(open(sys.argv[1])).get("provenance") or {}).get("commit", ""))' "$run/summary.json")
	case $commit in
	"" | unknown)
		echo "study_cell: $run/summary.json records no commit (a run" \
		     "older than the provenance record, or built outside git):" \
		     "nothing to check out" >&2
		exit 2 ;;
	*+)
		echo "study_cell: $run/summary.json: commit $commit was built" \
		     "with uncommitted edits (the trailing +): that code cannot" \
		     "be checked out again" >&2
		exit 2 ;;
	esac
	if ! git -C "$here/.." rev-parse -q --verify "$commit^{commit}" \
		>/dev/null 2>&1; then
		echo "study_cell: $run/summary.json: commit $commit is not in" \
		     "this clone ($here/..); fetch it first" >&2
		exit 2
	fi
	tree=$work/src
	echo "study_cell: building commit $commit in $tree" >&2
	if ! git -C "$here/.." worktree add -q --detach "$tree" "$commit" \
		>"$work/build.log" 2>&1 ||
	   ! (cd "$tree" && sh scripts/build.sh build) >>"$work/build.log" 2>&1
	then
		echo "study_cell: building commit $commit failed; see" \
		     "$work/build.log" >&2
		keep=1
		exit 2
	fi
	APNAS=$tree/build/core/cli/apnas
	APNAS_PLUGIN_PATH=$tree/build/plugins
elif [ -z "${APNAS:-}" ]; then
	(cd "$here/.." && sh scripts/build.sh build >/dev/null)
	APNAS="$here/../build/core/cli/apnas"
fi
: "${APNAS_PLUGIN_PATH:=$(cd "$(dirname "$APNAS")/../.." && pwd)/plugins}"
export APNAS_PLUGIN_PATH

# A number of summary.json, as the run recorded it.
field() { # file key
	/usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}
where() { # summary.json
	/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1])).get("provenance") or {}; print("commit %s, CPU %s, OpenBLAS %s, engine kernels %s" % tuple(p.get(k, "not recorded") for k in ("commit", "cpu", "openblas_core", "engine_kernels")))' "$1"
}
differs() { # what recorded rerun message
	echo "DIFFERS: $2 ($1): $4"
	echo "  recorded: $(where "$2/summary.json")"
	echo "  rerun:    $(where "$3/summary.json")"
	exit 1
}

threads=$(field "$run/summary.json" threads)
echo "study_cell: rerunning the search of $run (threads $threads) in $work" >&2
if ! "$APNAS" search "$run/config.cfg" --out "$work/search" \
	--set "run.threads=$threads" >"$work/search.log" 2>&1; then
	echo "study_cell: the rerun failed; see $work/search.log:" >&2
	tail -3 "$work/search.log" >&2
	keep=1
	exit 2
fi
if ! d=$(/usr/bin/python3 "$here/study_compare.py" search "$run" \
	"$work/search"); then
	differs search "$run" "$work/search" "$d"
fi
checked="search"
if [ -f "$run/retrain/summary.json" ]; then
	epochs=$(field "$run/retrain/summary.json" epochs)
	threads=$(field "$run/retrain/summary.json" threads)
	echo "study_cell: rerunning the retraining ($epochs epochs, threads" \
	     "$threads)" >&2
	if ! "$APNAS" train "$run/config.cfg" --arch "$work/search/best.arch" \
		--out "$work/retrain" --epochs "$epochs" \
		--set "run.threads=$threads" >"$work/train.log" 2>&1; then
		echo "study_cell: the retraining failed; see $work/train.log:" >&2
		tail -3 "$work/train.log" >&2
		keep=1
		exit 2
	fi
	if ! d=$(/usr/bin/python3 "$here/study_compare.py" retrain \
		"$run/retrain" "$work/retrain"); then
		differs retraining "$run/retrain" "$work/retrain" "$d"
	fi
	checked="search and retraining"
fi
echo "MATCH: $2 ($checked equal bit for bit; recorded on $(where "$run/summary.json"))"
