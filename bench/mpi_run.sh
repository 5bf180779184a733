#!/bin/sh
# The data-parallel search (docs/mpi.md) against one process, side by side
# in one run: the quickstart search's shared-weight phase (configs/
# quickstart.cfg: Fashion-MNIST, 6 layers, 16 channels, batch 64), one
# epoch, as
#   A  one process, run.threads = 1
#   B  mpirun -np 2, run.threads = 1 per rank (loopback, shared memory)
#   C  one process, run.threads = 2
# in interleaved rounds A B C A B C ..., and prints each variant's
# shared-phase seconds (epochs.csv: images / images_per_s, rank 0's clock)
# and the ratios of medians A/B and C/B with their min and max over the
# rounds.  Then the weights of B against A and C after the same epoch
# (tests/mpi/mpi_weights: largest relative difference of a tensor and of
# an element; the shared-weight phase samples uniformly so that all train
# the same architectures), beside A against C: what the order of the sums
# alone does within one process.
#
# usage: bench/mpi_run.sh [BUILD_DIR] [ROUNDS] [--set ...]
#   default build ./build (configured with -Dmpi=enabled), 3 rounds;
#   extra --set arguments go to every run (e.g. --set data.train_subset=5000)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
rounds=${2:-3}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
apnas="$build/core/cli/apnas"
weights="$build/tests/mpi/mpi_weights"
[ -x "$apnas" ] && [ -x "$weights" ] || {
	echo "mpi_run: build $build first (meson compile -C $build)" >&2; exit 2; }
name=mpi_run
. "$here/bench/mpi_env.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-mpibench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# one epoch, little controller and derive work: the shared phase is timed
sets="--set search.epochs=1 --set search.controller_steps=1
--set search.aggregate=2 --set search.derive_samples=2
--set search.derive_screen_batches=1 --set search.derive_rescore_top=0
--set search.train_sampler=uniform --quiet"

secs() { # the shared-weight phase: the epoch less the controller phase
	python3 -c '
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[0]
f = lambda k: float(r[k])
print("%.3f" % (f("seconds") - f("sec_eval") - f("sec_controller") -
                f("sec_cost")))' "$1/epochs.csv"
}

: >"$tmp/A" ; : >"$tmp/B" ; : >"$tmp/C"
r=1
while [ "$r" -le "$rounds" ]; do
	"$apnas" search "$here/configs/quickstart.cfg" $sets --set run.threads=1 \
		"$@" --out "$tmp/a$r" >/dev/null
	secs "$tmp/a$r" >>"$tmp/A"
	mpirun -q -np 2 "$apnas" search "$here/configs/quickstart.cfg" $sets \
		--set run.threads=1 "$@" --out "$tmp/b$r" >/dev/null
	secs "$tmp/b$r" >>"$tmp/B"
	"$apnas" search "$here/configs/quickstart.cfg" $sets --set run.threads=2 \
		"$@" --out "$tmp/c$r" >/dev/null
	secs "$tmp/c$r" >>"$tmp/C"
	echo "round $r: A (1 process, 1 thread) $(tail -1 "$tmp/A") s," \
	     "B (np 2 x 1 thread) $(tail -1 "$tmp/B") s," \
	     "C (1 process, 2 threads) $(tail -1 "$tmp/C") s"
	r=$((r + 1))
done
python3 - "$tmp" <<'PY'
import statistics, sys
d = sys.argv[1]
v = {k: [float(x) for x in open(f"{d}/{k}")] for k in "ABC"}
for k, name in (("A", "1 process x 1 thread"), ("B", "np 2 x 1 thread"),
                ("C", "1 process x 2 threads")):
    print(f"{name}: median {statistics.median(v[k]):.2f} s "
          f"(min {min(v[k]):.2f}, max {max(v[k]):.2f})")
for k, name in (("A", "speed-up of np 2 over 1 process x 1 thread"),
                ("C", "speed-up of np 2 over 1 process x 2 threads")):
    ratios = [x / y for x, y in zip(v[k], v["B"])]
    print(f"{name}: ratio of medians "
          f"{statistics.median(v[k]) / statistics.median(v['B']):.3f} "
          f"(per round min {min(ratios):.3f}, max {max(ratios):.3f})")
PY
echo "weights after one epoch, np 2 against 1 process x 1 thread:" \
     "$("$weights" "$tmp/b1/checkpoint/state.ckpt" "$tmp/a1/checkpoint/state.ckpt")"
echo "weights after one epoch, np 2 against 1 process x 2 threads:" \
     "$("$weights" "$tmp/b1/checkpoint/state.ckpt" "$tmp/c1/checkpoint/state.ckpt")"
echo "reference, what the order of sums alone does in one process," \
     "1 thread against 2 threads:" \
     "$("$weights" "$tmp/a1/checkpoint/state.ckpt" "$tmp/c1/checkpoint/state.ckpt")"
