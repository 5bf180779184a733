#!/bin/sh
# `--resume` on another rank count than the checkpoint's (docs/mpi.md):
# allowed, and the resume's progress line says so, naming both counts;
# on the same count it says nothing of the kind.  For the search and for
# `apnas train`:
#  1. a search checkpointed under `mpirun -np 2` (after its first epoch)
#     and resumed without mpirun names 2 and 1; a copy resumed under
#     np 2 does not; the checkpoint the one-process resume wrote, resumed
#     under np 2, names 1 and 2 (the count is that of the last writer);
#  2. a training stopped by SIGTERM in its second epoch under np 2, the
#     same three ways;
#  3. a damaged search checkpoint resumed under np 2 is refused with one
#     message (every rank reads it; rank 0 speaks), exit 2.
# Skips (77) only in a build without MPI.
#
# usage: test_mpi_resume_ranks.sh APNAS yes|no
set -u
apnas=$1 built=$2
if [ "$built" != yes ]; then
	echo "SKIP: this build has no MPI (meson -Dmpi=enabled, Debian libopenmpi-dev)" >&2
	exit 77
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-mpi-ranks.XXXXXX") || fail mktemp
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/mpi_env.sh"

cat >"$tmp/run.cfg" <<'CFG'
run = { seed = 5; threads = 1; };
data = { dataset = "synthetic"; synthetic_n = 300;
  synthetic_test_n = 40; synthetic_classes = 4;
  synthetic_c = 1; synthetic_h = 8; synthetic_w = 8;
  val_size = 100; batch_size = 32; eval_batch_size = 50; };
search = { epochs = 1; controller_steps = 2; aggregate = 2;
  derive_samples = 4; derive_screen_batches = 1;
  derive_rescore_top = 2; top_k = 1; };
space = { plugin = "enas_macro"; layers = 2; channels = 4; };
controller = { plugin = "reinforce_lstm"; };
reward = { plugin = "mnas"; target = 0.5; reference = "all-conv3x3"; };
cost = { plugin = "systolic"; rows = 8; cols = 8; };
CFG

# The line a resume prints on another count than the checkpoint's.
other() {
	echo "the checkpoint was written by $1 MPI rank$([ "$1" -eq 1 ] || echo s), this run has $2: allowed"
}
# expect FILE WHAT LINE: the resume's one line in FILE holds LINE
expect() {
	n=$(grep -c "$3" "$1")
	[ "$n" -eq 1 ] || fail "$2: $n lines with '$3', expected one: $(cat "$1")"
}
# none FILE WHAT: no remark on the checkpoint's rank count in FILE
none() {
	! grep -q "this run has\|ranks; this one does not record" "$1" ||
		fail "$2: a remark on the rank count: $(cat "$1")"
}

# 1. the search
mpi 2 "$apnas" search "$tmp/run.cfg" --out "$tmp/s" >/dev/null 2>"$tmp/s.err" ||
	fail "np 2 search: $(cat "$tmp/s.err")"
cp -R "$tmp/s" "$tmp/s2"
"$apnas" search --resume "$tmp/s" --set search.epochs=2 >/dev/null \
	2>"$tmp/s.alone" || fail "np-2 search resumed alone: $(cat "$tmp/s.alone")"
expect "$tmp/s.alone" "np-2 search resumed alone" "resuming .*$(other 2 1)"
mpi 2 "$apnas" search --resume "$tmp/s2" --set search.epochs=2 >/dev/null \
	2>"$tmp/s2.np2" || fail "np-2 search resumed on np 2: $(cat "$tmp/s2.np2")"
grep -q "resuming $tmp/s2 at epoch 2" "$tmp/s2.np2" ||
	fail "np-2 search resumed on np 2: no resume line: $(cat "$tmp/s2.np2")"
none "$tmp/s2.np2" "np-2 search resumed on np 2"
mpi 2 "$apnas" search --resume "$tmp/s" --set search.epochs=3 >/dev/null \
	2>"$tmp/s.np2" || fail "one-process checkpoint on np 2: $(cat "$tmp/s.np2")"
expect "$tmp/s.np2" "one-process checkpoint resumed on np 2" \
	"resuming .*$(other 1 2)"

# 2. the training, stopped at step 13 (10 steps an epoch: 300 images,
#    batch 32); a training's checkpoint is gone once it finished
arch="$tmp/s/best.arch"
APNAS_TEST_TERM_AT=13 mpi 2 "$apnas" train "$tmp/run.cfg" --arch "$arch" \
	--epochs 3 --out "$tmp/t" >/dev/null 2>"$tmp/t.err"
st=$?
[ "$st" -eq 143 ] || fail "np 2 train, SIGTERM: exit $st: $(cat "$tmp/t.err")"
grep -q "the checkpoint holds epoch 1" "$tmp/t.err" ||
	fail "np 2 train, SIGTERM: $(cat "$tmp/t.err")"
cp -R "$tmp/t" "$tmp/t2"
APNAS_TEST_TERM_AT=13 "$apnas" train --resume "$tmp/t" >/dev/null \
	2>"$tmp/t.alone"
st=$?
[ "$st" -eq 143 ] || fail "np-2 training resumed alone: exit $st: $(cat "$tmp/t.alone")"
expect "$tmp/t.alone" "np-2 training resumed alone" \
	"from epoch 2 .*$(other 2 1)"
mpi 2 "$apnas" train --resume "$tmp/t2" >/dev/null 2>"$tmp/t2.np2" ||
	fail "np-2 training resumed on np 2: $(cat "$tmp/t2.np2")"
grep -q "from epoch 2" "$tmp/t2.np2" ||
	fail "np-2 training resumed on np 2: no start line: $(cat "$tmp/t2.np2")"
none "$tmp/t2.np2" "np-2 training resumed on np 2"
mpi 2 "$apnas" train --resume "$tmp/t" >/dev/null 2>"$tmp/t.np2" ||
	fail "one-process training checkpoint on np 2: $(cat "$tmp/t.np2")"
expect "$tmp/t.np2" "one-process training checkpoint resumed on np 2" \
	"from epoch 3 .*$(other 1 2)"

# 3. one byte of s2's checkpoint changed: the CRC no longer matches
printf 'X' | dd of="$tmp/s2/checkpoint/state.ckpt" bs=1 seek=100 \
	conv=notrunc 2>/dev/null || fail "dd"
mpi 2 "$apnas" search --resume "$tmp/s2" --set search.epochs=3 >/dev/null \
	2>"$tmp/bad.err"
st=$?
[ "$st" -eq 2 ] || fail "damaged checkpoint on np 2: exit $st: $(cat "$tmp/bad.err")"
n=$(grep -c "checkpoint damaged" "$tmp/bad.err")
[ "$n" -eq 1 ] || fail "damaged checkpoint on np 2: $n messages, expected one: $(cat "$tmp/bad.err")"
exit 0
