#!/bin/sh
# `mpirun -np 2 apnas ablate ... --mpi` (docs/mpi.md): the toy grid of
# docs/ablations.md gives the same runs as --jobs 2 (every run's front and
# best architecture), the same report but for the timing columns, and
# resumes as --jobs does (again: nothing reruns); --mpi with --plan is
# refused.  In a build without MPI: --mpi is refused with the rebuild
# hint, and so is a search started as 2 ranks (the launcher's variable
# set by hand).
#
# usage: test_mpi_ablate.sh APNAS yes|no CONFIG
set -u
apnas=$1 built=$2 cfg=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-mpiab.XXXXXX") || fail mktemp
trap 'rm -rf "$tmp"' EXIT
grid="--vary cost.rows=8,16 --seeds 2 --set run.threads=1 --no-plots"

if [ "$built" != yes ]; then
	"$apnas" ablate "$cfg" $grid --out "$tmp/g" --mpi >/dev/null 2>"$tmp/e"
	st=$?
	[ "$st" -eq 2 ] || fail "ablate --mpi without MPI: exit $st: $(cat "$tmp/e")"
	grep -q "rebuild with -Dmpi=enabled" "$tmp/e" ||
		fail "ablate --mpi without MPI: $(cat "$tmp/e")"
	[ ! -e "$tmp/g" ] || fail "ablate --mpi without MPI wrote $tmp/g"
	OMPI_COMM_WORLD_SIZE=2 "$apnas" search "$cfg" --out "$tmp/s" \
		>/dev/null 2>"$tmp/e"
	st=$?
	[ "$st" -eq 2 ] || fail "search as 2 ranks without MPI: exit $st"
	grep -q "started as 2 MPI ranks.*rebuild with -Dmpi=enabled" "$tmp/e" ||
		fail "search as 2 ranks without MPI: $(cat "$tmp/e")"
	exit 0
fi
. "$(dirname "$0")/mpi_env.sh"

"$apnas" ablate "$cfg" $grid --jobs 2 --out "$tmp/jobs" >"$tmp/jobs.out" \
	2>"$tmp/jobs.err" || fail "--jobs 2: $(cat "$tmp/jobs.err")"
mpi 2 "$apnas" ablate "$cfg" $grid --out "$tmp/mpi" --mpi >"$tmp/mpi.out" \
	2>"$tmp/mpi.err" || fail "--mpi: $(cat "$tmp/mpi.err")"
grep -q "4 runs: 4 finished now" "$tmp/mpi.err" || fail "--mpi: $(cat "$tmp/mpi.err")"
for run in cost.rows=8/seed-1 cost.rows=8/seed-2 cost.rows=16/seed-1 \
           cost.rows=16/seed-2; do
	cmp -s "$tmp/jobs/$run/pareto.csv" "$tmp/mpi/$run/pareto.csv" ||
		fail "$run: --mpi and --jobs 2 found different fronts"
	[ "$(grep -v '^#' "$tmp/jobs/$run/best.arch")" = \
	  "$(grep -v '^#' "$tmp/mpi/$run/best.arch")" ] ||
		fail "$run: --mpi and --jobs 2 chose different architectures"
done
# the report but for its timing columns (the last one: search seconds)
strip() {
	awk '{ $1 = $1; print }' "$1" | sed -E 's/ [0-9.]+( \+- [0-9.]+)?$//'
}
[ "$(strip "$tmp/jobs.out")" = "$(strip "$tmp/mpi.out")" ] ||
	fail "--mpi and --jobs 2 reports differ: $(diff "$tmp/jobs.out" "$tmp/mpi.out")"
# again: nothing reruns
mpi 2 "$apnas" ablate "$cfg" $grid --out "$tmp/mpi" --mpi >/dev/null \
	2>"$tmp/again.err" || fail "--mpi again: $(cat "$tmp/again.err")"
grep -q "4 runs: 0 finished now, 4 already finished" "$tmp/again.err" ||
	fail "--mpi again reran: $(cat "$tmp/again.err")"
# --plan runs nothing: not with --mpi
mpi 2 "$apnas" ablate "$cfg" $grid --out "$tmp/p" --mpi --plan >/dev/null \
	2>"$tmp/p.err"
st=$?
[ "$st" -eq 2 ] || fail "--mpi --plan: exit $st: $(cat "$tmp/p.err")"
[ "$(grep -c "run nothing" "$tmp/p.err")" -eq 1 ] ||
	fail "--mpi --plan: $(cat "$tmp/p.err")"
exit 0
