#!/bin/sh
# `apnas cost --sweep` end to end (docs/cosearch.md, "Sizing an array for
# a fixed network"):
#  1. a row of the sweep is exactly what `apnas cost` gives with --set of
#     that row's hardware (best, worst and rows between);
#  2. one row per setting: the product of the decisions' choices;
#  3. rows best first in the metric's direction, ties in enumeration
#     order (first decision slowest);
#  4. every bad input is one line and exit 2;
#  5. csv and json parse, --top keeps the first rows, and an --arch
#     file's hardware section is ignored and noted.
# python3 reads the csv and json.  usage: cost_sweep_cli.sh APNAS SRCDIR
set -eu
APNAS=$1
SRC=$2
command -v python3 > /dev/null || { echo "SKIP: no python3" >&2; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# the study's budget: 256 PEs, os|ws|is, 192 kB in eighths
CFG=$SRC/configs/study/cosearch.cfg
# four layers, with a hardware section --sweep must ignore
cp "$SRC/tests/cost/data/sweep_net.arch" "$T/net.arch"

"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format csv \
	> "$T/sweep.csv" 2> "$T/sweep.err" ||
	fail "sweep: $(cat "$T/sweep.err")"
grep -q "note: --sweep ignores the hardware section of $T/net.arch" \
	"$T/sweep.err" || fail "no note on the ignored section"

# 2. 5 shapes x 3 dataflows x 21 splits; one dataflow: no token; no SRAM
# budget: the buffers stay as configured
rows() { python3 -c 'import csv, sys
print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))' "$1"; }
[ "$(rows "$T/sweep.csv")" = 315 ] ||
	fail "$(rows "$T/sweep.csv") rows, expected 5 x 3 x 21 = 315"
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format csv \
	--set 'cost.search_dataflows=["ws"]' > "$T/ws.csv" 2>/dev/null
[ "$(rows "$T/ws.csv")" = 105 ] ||
	fail "one dataflow: $(rows "$T/ws.csv") rows, expected 5 x 21 = 105"
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format csv \
	--set cost.search_sram_kb_budget=0 > "$T/nosram.csv" 2>/dev/null
[ "$(rows "$T/nosram.csv")" = 15 ] ||
	fail "no SRAM budget: $(rows "$T/nosram.csv") rows, expected 15"
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format csv \
	--set cost.search_pe_budget=1024 > "$T/1024.csv" 2>/dev/null
[ "$(rows "$T/1024.csv")" = 441 ] ||
	fail "1024 PEs: $(rows "$T/1024.csv") rows, expected 7 x 3 x 21 = 441"

# 1. rows 1, 2, 3, 100, 200, the worst: `apnas cost` with --set of each
python3 - "$T/sweep.csv" > "$T/picked" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
labels = {r["hardware"] for r in rows}
assert len(labels) == len(rows), "a hardware label repeats"
for i in (0, 1, 2, 99, 199, len(rows) - 1):
    print(rows[i]["rank"], rows[i]["hardware"])
PY
while read -r rank shape df split; do
	r=${shape%x*}; c=${shape#*x}
	i=${split%%/*}; o=${split##*/}; f=${split#*/}; f=${f%/*}
	"$APNAS" cost "$CFG" --arch "$T/net.arch" --format csv \
		--set cost.search_pe_budget=0 --set cost.search_sram_kb_budget=0 \
		--set cost.rows="$r" --set cost.cols="$c" --set cost.dataflow="$df" \
		--set cost.ifmap_sram_kb="$i" --set cost.filter_sram_kb="$f" \
		--set cost.ofmap_sram_kb="$o" > "$T/one.csv" 2>/dev/null ||
		fail "apnas cost on $shape $df $split"
	python3 - "$T/sweep.csv" "$T/one.csv" "$rank" <<'PY' ||
import csv, sys
sweep = list(csv.DictReader(open(sys.argv[1])))
one = [r for r in csv.DictReader(open(sys.argv[2])) if r["layer"] == "total"]
row = sweep[int(sys.argv[3]) - 1]
cols = [k for k in row if k not in ("rank", "hardware")]
assert cols == [k for k in one[0] if k not in ("layer", "type")], cols
bad = [k for k in cols if row[k] != one[0][k]]
if bad:
    sys.exit("%s: %s" % (row["hardware"], ", ".join(
        "%s %s != %s" % (k, row[k], one[0][k]) for k in bad)))
PY
		fail "rank $rank ($shape $df $split) differs from apnas cost"
done < "$T/picked"
[ "$(wc -l < "$T/picked")" = 6 ] || fail "not 6 rows compared"

# 3. best first: edp rising by default, utilization (higher is better)
# falling; macs is the same on every array, so --sort macs is the
# enumeration order, shape slowest (the shapes of docs/cosearch.md)
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format csv \
	--sort utilization > "$T/util.csv" 2>/dev/null
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format csv \
	--sort macs > "$T/macs.csv" 2>/dev/null
python3 - "$T/sweep.csv" "$T/util.csv" "$T/macs.csv" <<'PY' ||
import csv, sys
def read(p):
    return list(csv.DictReader(open(p)))
edp = [float(r["edp"]) for r in read(sys.argv[1])]
assert all(a <= b for a, b in zip(edp, edp[1:])), "edp not rising"
assert edp[0] < edp[-1], "every edp equal: nothing was sorted"
u = [float(r["utilization"]) for r in read(sys.argv[2])]
assert all(a >= b for a, b in zip(u, u[1:])), "utilization not falling"
order = ["%s %s %d/%d/%d" % (s, d, 24 * a, 24 * b, 24 * (8 - a - b))
         for s in ("4x64", "8x32", "16x16", "32x8", "64x4")
         for d in ("os", "ws", "is")
         for a in range(1, 7) for b in range(1, 8 - a)]
got = [r["hardware"] for r in read(sys.argv[3])]
assert got == order, "--sort macs: %s, expected %s" % (got[:4], order[:4])
PY
	fail "rows not best first"

# 5. json: the same rows as the csv; --top; the table's last line
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format json \
	> "$T/sweep.json" 2>/dev/null
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --format json --top 3 \
	> "$T/top.json" 2>/dev/null
python3 - "$T/sweep.json" "$T/top.json" "$T/sweep.csv" <<'PY' ||
import csv, json, sys
j = json.load(open(sys.argv[1]))
top = json.load(open(sys.argv[2]))
c = list(csv.DictReader(open(sys.argv[3])))
assert j["cost_model"] == "systolic" and j["sort"] == "edp", j
assert j["settings"] == 315 == len(j["rows"]), j["settings"]
assert [d["choices"] for d in j["decisions"]] == [5, 3, 21], j["decisions"]
for r, x in zip(j["rows"], c):
    assert r["rank"] == int(x["rank"]) and r["hardware"] == x["hardware"]
    for k, v in r["total"].items():
        assert v == float(x[k]), (k, v, x[k])
assert top["rows"] == j["rows"][:3] and top["settings"] == 315
PY
	fail "json and csv differ"
"$APNAS" cost "$CFG" --arch "$T/net.arch" --sweep --top 2 \
	> "$T/table" 2>/dev/null
best=$(awk -F, 'NR == 2 { print $2 }' "$T/sweep.csv")
[ "$(tail -1 "$T/table")" = "# 315 hardware settings; best edp: $best" ] ||
	fail "table's last line: $(tail -1 "$T/table")"
[ "$(grep -c '^ *[0-9]' "$T/table")" = 2 ] || fail "--top 2 in the table"

# 4. bad input: one line, exit 2
bad() {
	set +e
	"$APNAS" cost "$@" > /dev/null 2> "$T/bad.err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "$*: exit $rc, expected 2"
	[ "$(wc -l < "$T/bad.err")" = 1 ] ||
		fail "$*: not one line: $(cat "$T/bad.err")"
}
bad "$SRC/configs/quickstart.cfg" --arch all-conv3x3 --sweep
grep -q "cost model \`systolic\` declares no hardware to sweep" \
	"$T/bad.err" || fail "no hardware: $(cat "$T/bad.err")"
bad "$CFG" --arch all-conv3x3 --sweep --sort nosuch
grep -q -- "--sort nosuch: .*expected one of .*edp" "$T/bad.err" ||
	fail "unknown metric: $(cat "$T/bad.err")"
bad "$CFG" --arch all-conv3x3 --sweep --sort accuracy
for n in 0 -3 abc 5x ""; do
	bad "$CFG" --arch all-conv3x3 --sweep --top "$n"
done
bad "$CFG" --arch all-conv3x3 --sweep --top
bad "$CFG" --arch all-conv3x3 --sort edp
bad "$CFG" --arch all-conv3x3 --top 3
# 1,100 shapes x 3 x 21 = 69,300 settings, refused before costing any
shapes=$(python3 -c 'print(", ".join("1x%d" % i for i in range(1, 1101)))')
bad "$CFG" --arch all-conv3x3 --sweep --set cost.search_pe_budget=1100 \
	--set "cost.search_shapes=\"$shapes\""
grep -q "declares 69300 hardware settings, above --sweep's limit of 65536" \
	"$T/bad.err" || fail "over the limit: $(cat "$T/bad.err")"
echo "ok: 315 settings, best $best"
