#!/bin/sh
# `mpirun -np 2 apnas search`: what a user of the data-parallel search
# relies on (docs/mpi.md).
#  1. the same rank count and seed twice give the same weights, bit for
#     bit, and the same results;
#  2. two ranks and one process with the same global batch train the
#     same weights up to the order of the sums (architectures sampled
#     uniformly in the shared-weight phase, so that both train the same
#     ones): max relative difference below 1e-3 after 2 epochs;
#  3. a run stopped by SIGTERM on every rank stops with one message and a
#     checkpoint, and resumed under mpirun ends bit for bit where the
#     uninterrupted run ends; a 2-rank checkpoint resumes in one process
#     without mpirun;
#  4. a diverged loss stops every rank with one message;
#  5. more ranks than images in a batch are refused with the numbers;
#  6. `mpirun -np 2 apnas train` (the retraining): twice the same weights,
#     the weights of one process up to the order of the sums, a stop by
#     SIGTERM with one message, resumed in one process without mpirun;
#  7. search.time_limit stops every rank at one step, one message, and
#     rank 0 derives;
#  8. a space that does not sum its gradients over the ranks (the search
#     tests' fixture_mlp ignores apnas_plugin_ctx.coll) is stopped after
#     the first epoch, naming it.
# Skips (77) only in a build without MPI.
#
# usage: test_mpi_search.sh APNAS MPI_WEIGHTS yes|no FIXTURE_DIR
set -u
apnas=$1 weights=$2 built=$3 fixture_dir=$4
if [ "$built" != yes ]; then
	echo "SKIP: this build has no MPI (meson -Dmpi=enabled, Debian libopenmpi-dev)" >&2
	exit 77
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-mpi.XXXXXX") || fail mktemp
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/mpi_env.sh"

cat >"$tmp/run.cfg" <<'CFG'
run = { seed = 5; threads = 1; };
data = { dataset = "synthetic"; synthetic_n = 700;
  synthetic_test_n = 100; synthetic_classes = 10;
  synthetic_c = 1; synthetic_h = 12; synthetic_w = 12;
  val_size = 200; batch_size = 32; eval_batch_size = 100; };
search = { epochs = 2; controller_steps = 3; aggregate = 4;
  train_sampler = "uniform";
  derive_samples = 6; derive_screen_batches = 1;
  derive_rescore_top = 2; top_k = 2; };
space = { plugin = "enas_macro"; layers = 4; channels = 8; };
controller = { plugin = "reinforce_lstm"; };
reward = { plugin = "mnas"; target = 0.5; reference = "all-conv3x3"; };
cost = { plugin = "systolic"; rows = 8; cols = 8; };
CFG
ckpt() { echo "$tmp/$1/checkpoint/state.ckpt"; }

# 1. same N, same seed: same bits
for r in a b; do
	mpi 2 "$apnas" search "$tmp/run.cfg" --out "$tmp/$r" --quiet \
		>"$tmp/$r.out" 2>"$tmp/$r.err" ||
		fail "np 2 run $r: $(cat "$tmp/$r.err")"
done
"$weights" --same "$(ckpt a)" "$(ckpt b)" >/dev/null ||
	fail "two np-2 runs with one seed trained different weights"
cmp -s "$tmp/a/pareto.csv" "$tmp/b/pareto.csv" ||
	fail "two np-2 runs with one seed derived different fronts"
# (best.arch's comment names its directory)
[ "$(grep -v '^#' "$tmp/a/best.arch")" = "$(grep -v '^#' "$tmp/b/best.arch")" ] ||
	fail "two np-2 runs with one seed chose different best.arch"
[ "$(grep -c '' "$tmp/a/epochs.csv")" -eq 3 ] ||
	fail "np 2: epochs.csv has not 2 epochs"

# 2. against one process with the same global batch
"$apnas" search "$tmp/run.cfg" --out "$tmp/one" --quiet >/dev/null 2>"$tmp/one.err" ||
	fail "one process: $(cat "$tmp/one.err")"
d=$("$weights" "$(ckpt a)" "$(ckpt one)") || fail "mpi_weights: $d"
echo "np 2 vs one process after 2 epochs: $d"
rel=$(echo "$d" | awk '{print $2}')
awk -v r="$rel" 'BEGIN { exit !(r < 1e-3) }' ||
	fail "np 2 and one process differ by $rel (> 1e-3): $d"
awk -v r="$rel" 'BEGIN { exit !(r > 0) }' ||
	echo "note: np 2 and one process agree bit for bit" >&2

# 3. SIGTERM on every rank at train step 9 of epoch 1 (the test hook
#    counts events alike on every rank); then resume under mpirun
APNAS_TEST_TERM_AT=9 mpi 2 "$apnas" search "$tmp/run.cfg" --out "$tmp/t" \
	>"$tmp/t.out" 2>"$tmp/t.err"
st=$?
[ "$st" -eq 143 ] || fail "SIGTERM: exit $st, expected 143: $(cat "$tmp/t.err")"
n=$(grep -c "interrupted by signal 15" "$tmp/t.err")
[ "$n" -eq 1 ] || fail "SIGTERM: $n stop messages, expected one: $(cat "$tmp/t.err")"
[ -f "$(ckpt t)" ] || fail "SIGTERM: no checkpoint"
mpi 2 "$apnas" search --resume "$tmp/t" --quiet 2>"$tmp/t2.err" ||
	fail "resume under mpirun: $(cat "$tmp/t2.err")"
"$weights" --same "$(ckpt a)" "$(ckpt t)" >/dev/null ||
	fail "stopped and resumed under mpirun: weights differ from the uninterrupted run"
#    a 2-rank checkpoint in one process, without mpirun
mpi 2 "$apnas" search "$tmp/run.cfg" --out "$tmp/h" --quiet \
	--set search.epochs=1 2>"$tmp/h.err" || fail "np 2, 1 epoch: $(cat "$tmp/h.err")"
"$apnas" search --resume "$tmp/h" --set search.epochs=2 --quiet >/dev/null \
	2>"$tmp/h2.err" || fail "np-2 checkpoint resumed alone: $(cat "$tmp/h2.err")"
[ "$(grep -c '' "$tmp/h/epochs.csv")" -eq 3 ] ||
	fail "np-2 checkpoint resumed alone: epochs.csv has not 2 epochs"
d=$("$weights" "$(ckpt a)" "$(ckpt h)") || fail "mpi_weights: $d"
rel=$(echo "$d" | awk '{print $2}')
awk -v r="$rel" 'BEGIN { exit !(r < 1e-3) }' ||
	fail "np-2 checkpoint resumed alone drifted: $d"

# 4. a diverged loss: one message, exit 1
mpi 2 "$apnas" search "$tmp/run.cfg" --out "$tmp/div" --quiet \
	--set space.lr_max=10 --set space.grad_clip=0 >/dev/null 2>"$tmp/div.err"
st=$?
[ "$st" -eq 1 ] || fail "diverged: exit $st, expected 1: $(cat "$tmp/div.err")"
n=$(grep -c "diverged" "$tmp/div.err")
[ "$n" -eq 1 ] || fail "diverged: $n messages, expected one: $(cat "$tmp/div.err")"

# 5. more ranks than images in a batch
mpi 3 "$apnas" search "$tmp/run.cfg" --out "$tmp/many" --quiet \
	--set data.batch_size=2 >/dev/null 2>"$tmp/many.err"
st=$?
[ "$st" -eq 2 ] || fail "3 ranks, batch 2: exit $st, expected 2: $(cat "$tmp/many.err")"
grep -q "3 ranks exceed the 2 images" "$tmp/many.err" ||
	fail "3 ranks, batch 2: $(cat "$tmp/many.err")"
n=$(grep -c "ranks exceed" "$tmp/many.err")
[ "$n" -eq 1 ] || fail "3 ranks, batch 2: $n messages, expected one"
[ ! -e "$tmp/many" ] || fail "3 ranks, batch 2: the refused run left $tmp/many"

# 6. apnas train on the best architecture of run a
arch="$tmp/a/best.arch"
for r in ta tb; do
	mpi 2 "$apnas" train "$tmp/run.cfg" --arch "$arch" --epochs 2 \
		--out "$tmp/$r" --quiet >/dev/null 2>"$tmp/$r.err" ||
		fail "np 2 train $r: $(cat "$tmp/$r.err")"
done
"$weights" --same "$tmp/ta/weights.bin" "$tmp/tb/weights.bin" >/dev/null ||
	fail "two np-2 trainings trained different weights"
"$apnas" train "$tmp/run.cfg" --arch "$arch" --epochs 2 --out "$tmp/t1" \
	--quiet >/dev/null 2>"$tmp/t1.err" || fail "train alone: $(cat "$tmp/t1.err")"
d=$("$weights" "$tmp/ta/weights.bin" "$tmp/t1/weights.bin") || fail "mpi_weights: $d"
echo "train, np 2 vs one process after 2 epochs: $d"
rel=$(echo "$d" | awk '{print $2}')
awk -v r="$rel" 'BEGIN { exit !(r < 1e-3) }' ||
	fail "train: np 2 and one process differ by $rel: $d"
#    SIGTERM on every rank at step 30 (epoch 2: 21 steps an epoch)
APNAS_TEST_TERM_AT=30 mpi 2 "$apnas" train "$tmp/run.cfg" --arch "$arch" \
	--epochs 2 --out "$tmp/tt" >/dev/null 2>"$tmp/tt.err"
st=$?
[ "$st" -eq 143 ] || fail "train SIGTERM: exit $st, expected 143: $(cat "$tmp/tt.err")"
n=$(grep -c "stopped by signal 15" "$tmp/tt.err")
[ "$n" -eq 1 ] || fail "train SIGTERM: $n stop messages, expected one: $(cat "$tmp/tt.err")"
"$apnas" train --resume "$tmp/tt" --quiet >/dev/null 2>"$tmp/tt2.err" ||
	fail "np-2 training resumed alone: $(cat "$tmp/tt2.err")"
d=$("$weights" "$tmp/ta/weights.bin" "$tmp/tt/weights.bin") || fail "mpi_weights: $d"
rel=$(echo "$d" | awk '{print $2}')
awk -v r="$rel" 'BEGIN { exit !(r < 1e-3) }' ||
	fail "np-2 training resumed alone drifted: $d"

# 7. the time limit
mpi 2 "$apnas" search "$tmp/run.cfg" --out "$tmp/tl" --set search.epochs=50 \
	--set search.time_limit=1 >/dev/null 2>"$tmp/tl.err" ||
	fail "time limit: $(cat "$tmp/tl.err")"
n=$(grep -c "time limit of 1 s reached" "$tmp/tl.err")
[ "$n" -eq 1 ] || fail "time limit: $n messages, expected one: $(cat "$tmp/tl.err")"
[ -f "$tmp/tl/summary.json" ] || fail "time limit: rank 0 did not derive"

# 8. a space that ignores the collective
cat >"$tmp/fx.cfg" <<CFG
run = { seed = 3; threads = 1; };
data = { dataset = "synthetic"; synthetic_n = 600;
  synthetic_test_n = 50; synthetic_classes = 4;
  synthetic_c = 1; synthetic_h = 6; synthetic_w = 6;
  val_size = 200; batch_size = 32; eval_batch_size = 50; };
search = { epochs = 2; controller_steps = 2; aggregate = 2; };
space = { plugin = "fixture_mlp"; path = "$fixture_dir"; };
controller = { plugin = "reinforce_lstm"; hidden = 8; };
reward = { plugin = "mnas"; target = 0.6; reference = "largest"; };
cost = { plugin = "systolic"; rows = 4; cols = 4; };
CFG
mpi 2 "$apnas" search "$tmp/fx.cfg" --out "$tmp/fx" --quiet >/dev/null \
	2>"$tmp/fx.err"
st=$?
[ "$st" -ne 0 ] || fail "a space that ignores the ranks ran to the end"
n=$(grep -c "space 'fixture_mlp' differ between rank 0 and rank 1" "$tmp/fx.err")
[ "$n" -eq 1 ] || fail "ignored collective: $n messages: $(cat "$tmp/fx.err")"
exit 0
