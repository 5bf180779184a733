#!/bin/sh
# scripts/cosearch_headroom.py (docs/results.md, "How much the hardware
# can buy"): on two networks, the reported best hardware of each is at
# least as good as every fixed array and as the sweep's best (so every
# ratio is >= 1), the best fixed array is the one of lowest geometric
# mean, and a PE budget that is no power of two is refused.
#   usage: cosearch_headroom.sh APNAS SRCDIR
set -eu
APNAS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$2
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: no /usr/bin/python3" >&2; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$T/runs/a/seed-1" "$T/runs/b/seed-1/top"
cp "$SRC/tests/cost/data/sweep_net.arch" "$T/runs/a/seed-1/best.arch"
cp "$SRC/tests/fuzz/corpus/archfile/enas.arch" "$T/runs/b/seed-1/best.arch"
# the same network again: counted once
cp "$SRC/tests/fuzz/corpus/archfile/enas.arch" "$T/runs/b/seed-1/top/01.arch"
cd "$SRC"
"$PY" scripts/cosearch_headroom.py "$T/runs" "$APNAS" > "$T/out.md" \
	2> "$T/err" || fail "exit $?: $(cat "$T/err")"
grep -q '^2 networks from ' "$T/out.md" || fail "$(head -1 "$T/out.md")"
"$PY" - "$T/out.md" <<'PY' || fail "$(cat "$T/out.md")"
import re, sys, math
rows = [l.split("|")[1:4] for l in open(sys.argv[1])
        if re.match(r"\| \d+x\d+ (os|ws|is) \|", l)]
assert len(rows) == 15, len(rows)          # 5 shapes x 3 dataflows
means = [float(r[1]) for r in rows]
assert means == sorted(means), means        # best fixed first
for r in rows:
    med, lo, hi = map(float, re.match(r" ([\d.]+) \(([\d.]+)\.\.([\d.]+)\)",
                                      r[2]).groups())
    assert 1.0 <= lo <= med <= hi, r
best = re.search(r"Best fixed array: (\S+ \S+)\.",
                 open(sys.argv[1]).read()).group(1)
assert rows[0][0].strip() == best, (rows[0], best)
PY
rc=0
"$PY" scripts/cosearch_headroom.py "$T/runs" "$APNAS" --pe-budget 100 \
	> /dev/null 2> "$T/err" || rc=$?
[ "$rc" != 0 ] && grep -q 'pe-budget 100: expected a power of two' "$T/err" ||
	fail "--pe-budget 100: exit $rc: $(cat "$T/err")"
echo ok
