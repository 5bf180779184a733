#!/bin/sh
# bench/cost_ab.sh: two builds of bench/cost side by side, before and
# after a change to the array models, interleaved A B A B so that the
# load of a shared machine hits both alike.  Each round runs each binary
# once (bench/cost's own interleaved rounds inside); the script prints,
# for every figure of bench/cost's last line, the median, min and max of
# each side over the rounds and the ratio of the medians (B / A).
#
#   sh bench/cost_ab.sh BEFORE/bench/cost AFTER/bench/cost [ROUNDS] [SECONDS]
#
# ROUNDS defaults to 5, SECONDS (per bench/cost run) to 1.  A "before"
# build of an older commit:
#   git worktree add /tmp/before COMMIT && meson setup /tmp/before/b /tmp/before
#   meson compile -C /tmp/before/b bench/cost
set -eu
if [ $# -lt 2 ]; then
	echo "usage: sh bench/cost_ab.sh BEFORE/bench/cost AFTER/bench/cost [ROUNDS] [SECONDS]" >&2
	exit 2
fi
a=$1 b=$2 rounds=${3:-5} secs=${4:-1}
data="$(dirname "$0")/data/resnet50.csv"
for x in "$a" "$b"; do
	[ -x "$x" ] || { echo "cost_ab: $x: not an executable" >&2; exit 2; }
done
case $rounds in ''|*[!0-9]*|0) echo "cost_ab: ROUNDS: expected a count >= 1, got '$rounds'" >&2; exit 2;; esac
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
i=0
while [ "$i" -lt "$rounds" ]; do
	for side in A B; do
		[ "$side" = A ] && bin=$a || bin=$b
		# The last line: key=value pairs.
		"$bin" "$data" "$secs" | tail -n 1 | tr ' ' '\n' |
			sed "s/^/$side /; s/=/ /" >> "$tmp"
	done
	i=$((i + 1))
done
awk -v rounds="$rounds" '
function median(s, n,   v, k, i, j, t) {
	k = split(s, v, " ")
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	lo = v[1]; hi = v[k]
	return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
}
{ val[$1, $2] = val[$1, $2] " " $3; if (!seen[$2]++) keys[++n] = $2 }
END {
	printf "%d rounds, A B interleaved (A: before, B: after)\n", rounds
	for (i = 1; i <= n; i++) {
		k = keys[i]
		ma = median(val["A", k]); la = lo; ha = hi
		mb = median(val["B", k]); lb = lo; hb = hi
		printf "%s: A median %.4g (min %.4g, max %.4g); B median %.4g (min %.4g, max %.4g); B/A %.2f\n",
		       k, ma, la, ha, mb, lb, hb, (ma > 0 ? mb / ma : 0)
	}
}' "$tmp"
