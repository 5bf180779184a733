#!/bin/sh
# A grid of the docs/results.md study run two ways, side by side in one
# run: `apnas ablate ... --jobs 2` (A) against `mpirun -np 2 apnas ablate
# ... --mpi` (B), rounds interleaved A B A B, each a fresh grid directory.
# The grid is the study's `apnas` arm (configs/study/apnas.cfg, one thread
# a run, every best network retrained) on the three arrays, SEEDS seeds.
# Prints each grid's wall time, the medians with min and max and the
# ratio of medians A/B (above 1: --mpi is faster), then checks that both
# ways found the same best architectures, run by run (the files but their
# comment lines, which name the run's directory).
#
# mpirun binds each rank to a core by default, and a run inherits its
# rank's binding: here `--bind-to none`, as docs/mpi.md advises for
# grids, so that a run may use any core, as under --jobs.  MPIRUN_BIND
# overrides it (MPIRUN_BIND=core: Open MPI's default).
#
# usage: bench/ablate_mpi.sh [BUILD_DIR] [ROUNDS] [SEEDS] [--set ...]
#   default build ./build (configured with -Dmpi=enabled), 2 rounds, 1 seed;
#   extra --set arguments go to every grid (e.g. a shorter search)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
rounds=${2:-2}
seeds=${3:-1}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
bind=${MPIRUN_BIND:-none}
apnas="$build/core/cli/apnas"
[ -x "$apnas" ] || {
	echo "ablate_mpi: build $build first (meson compile -C $build)" >&2
	exit 2; }
name=ablate_mpi
. "$here/bench/mpi_env.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-ablatempi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
grid="$here/configs/study/apnas.cfg --seeds $seeds --set run.threads=1
--retrain --vary cost.rows+cost.cols=8,16,32 $*"

echo "grid: $(echo $grid | sed "s|$here/||"); mpirun --bind-to $bind;" \
     "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/A"
: >"$tmp/B"
r=1
while [ "$r" -le "$rounds" ]; do
	t0=$(date +%s.%N)
	"$apnas" ablate $grid --jobs 2 --out "$tmp/a$r" >"$tmp/a$r.log" 2>&1
	t1=$(date +%s.%N)
	mpirun -q --bind-to "$bind" -np 2 "$apnas" ablate $grid --mpi \
		--out "$tmp/b$r" \
		>"$tmp/b$r.log" 2>&1
	t2=$(date +%s.%N)
	awk "BEGIN { print $t1 - $t0 }" >>"$tmp/A"
	awk "BEGIN { print $t2 - $t1 }" >>"$tmp/B"
	echo "round $r: A (--jobs 2) $(tail -1 "$tmp/A") s," \
	     "B (mpirun -np 2 --mpi) $(tail -1 "$tmp/B") s," \
	     "load average $(cut -d' ' -f1 /proc/loadavg)"
	r=$((r + 1))
done
python3 - "$tmp" "$rounds" <<'PY'
import os, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
v = {k: [float(x) for x in open(f"{d}/{k}")] for k in "AB"}
for k, name in (("A", "--jobs 2"), ("B", "mpirun -np 2 --mpi")):
    print(f"{name}: median {statistics.median(v[k]):.1f} s "
          f"(min {min(v[k]):.1f}, max {max(v[k]):.1f})")
ratios = [a / b for a, b in zip(v["A"], v["B"])]
print(f"A/B, ratio of medians {statistics.median(v['A']) / statistics.median(v['B']):.3f} "
      f"(per round min {min(ratios):.3f}, max {max(ratios):.3f})")
# the same runs, the same best networks
def arch(path):
    return [l for l in open(path) if not l.startswith("#")]
bad = 0
runs = 0
for r in range(1, rounds + 1):
    for root, _, files in os.walk(f"{d}/a{r}"):
        if "best.arch" not in files:
            continue
        rel = os.path.relpath(root, f"{d}/a{r}")
        other = f"{d}/b{r}/{rel}/best.arch"
        runs += 1
        if not os.path.exists(other) or \
           arch(f"{root}/best.arch") != arch(other):
            print(f"round {r}: {rel}: best.arch differs")
            bad += 1
print(f"best architectures: {runs - bad} of {runs} runs identical")
sys.exit(1 if bad else 0)
PY
