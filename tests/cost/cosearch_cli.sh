#!/bin/sh
# Co-search end to end through the apnas executable (docs/cosearch.md):
#  1. `apnas cost --arch` on a file with a hardware section costs exactly
#     what the same network costs with --set of that hardware, and a --set
#     still wins over the section (and says so);
#  2. a co-search writes best.arch with a hardware section, records the
#     point's hardware, and `apnas cost --arch best.arch` gives the very
#     values the search recorded for it;
#  3. `apnas train` trains the network alone, costs it on the section's
#     hardware and keeps the section in its arch.arch.
# usage: cosearch_cli.sh APNAS SRCDIR
set -eu
APNAS=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$T/plain.arch" <<'ARCH'
apnas-arch 1
space enas_macro
option layers = 3
option channels = 16
---
layer 0: conv3x3
layer 1: sep5x5 skip 0
layer 2: maxpool3x3 skip 1
ARCH
cp "$T/plain.arch" "$T/hw.arch"
cat >> "$T/hw.arch" <<'ARCH'
--- hardware
cost systolic
# edited by hand
option rows = 8
option cols = 32
option dataflow = "ws"
option ifmap_sram_kb = 48
option filter_sram_kb = 48
option ofmap_sram_kb = 96
ARCH
CFG=$SRC/configs/quickstart.cfg
"$APNAS" cost "$CFG" --arch "$T/hw.arch" --set cost.bandwidth=8 \
	--format csv > "$T/a.csv" 2> "$T/a.err"
"$APNAS" cost "$CFG" --arch "$T/plain.arch" --set cost.bandwidth=8 \
	--set cost.rows=8 --set cost.cols=32 --set cost.dataflow=ws \
	--set cost.ifmap_sram_kb=48 --set cost.filter_sram_kb=48 \
	--set cost.ofmap_sram_kb=96 --format csv > "$T/b.csv"
cmp -s "$T/a.csv" "$T/b.csv" || fail "hardware section != --set of it"
grep -q "costing on the hardware section" "$T/a.err" ||
	fail "no note that the section is used"
"$APNAS" cost "$CFG" --arch "$T/hw.arch" --set cost.bandwidth=8 \
	--set cost.rows=16 --format csv > "$T/c.csv" 2> "$T/c.err"
grep -q -- "--set cost.rows=16 wins over the hardware section" "$T/c.err" ||
	fail "a --set over the section is not noted"
cmp -s "$T/a.csv" "$T/c.csv" && fail "--set cost.rows did not win"
# the plain file on the config's own 16x16 is another figure again
"$APNAS" cost "$CFG" --arch "$T/plain.arch" --set cost.bandwidth=8 \
	--format csv > "$T/d.csv" 2>/dev/null
cmp -s "$T/a.csv" "$T/d.csv" && fail "the section changed nothing"
# a section the cost model cannot take is one line, exit 2
sed 's/option cols = 32/option colz = 32/' "$T/hw.arch" > "$T/bad.arch"
set +e
"$APNAS" cost "$CFG" --arch "$T/bad.arch" > /dev/null 2> "$T/bad.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "bad section: exit $rc, expected 2"
grep -q "bad.arch:[0-9]*: hardware section: .*unknown key 'colz'" \
	"$T/bad.err" ||
	fail "bad section: $(cat "$T/bad.err")"

# impossible budgets: `apnas config check` says so in one line, exit 2
for bad in "cost.search_pe_budget=8" "cost.search_dataflows=[]" \
	'cost.search_sram_split="64/64/32"'; do
	set +e
	"$APNAS" config check "$CFG" --set cost.search_pe_budget=256 \
		--set cost.search_sram_kb_budget=192 --set "$bad" \
		> "$T/chk.out" 2> "$T/chk.err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "config check with $bad: exit $rc, expected 2"
	[ "$(wc -l < "$T/chk.err")" = 1 ] ||
		fail "config check with $bad: not one line: $(cat "$T/chk.err")"
	grep -q "cost 'systolic': search_" "$T/chk.err" ||
		fail "config check with $bad: $(cat "$T/chk.err")"
done

# 2. a co-search on the toy space (no data: seconds)
cat > "$T/co.cfg" <<'CFG'
run = { seed = 3; threads = 1; };
search = { epochs = 4; controller_steps = 5; aggregate = 8;
           derive_samples = 30; top_k = 2; };
space = { plugin = "toy"; layers = 4; ops = 6; skips = true;
          target_seed = 1; };
controller = { plugin = "evolution"; };
reward = { plugin = "mnas"; metric = "edp"; target = 0.5;
           reference = "zeros"; };
cost = { plugin = "systolic"; bandwidth = 8; search_pe_budget = 256;
         search_sram_kb_budget = 192; };
CFG
"$APNAS" search "$T/co.cfg" --out "$T/run" > "$T/search.out" 2>&1 ||
	{ cat "$T/search.out"; fail "co-search failed"; }
grep -q -- "^--- hardware$" "$T/run/best.arch" || fail "no hardware section"
head -1 "$T/run/pareto.csv" | grep -q ",hardware,arch$" ||
	fail "pareto.csv has no hardware column"
grep -q '"hardware": *"[^"]*; co-search <= 256 PEs' "$T/run/summary.json" ||
	fail "summary.json does not name the budget"
# best.arch costs, on its own hardware, what the search recorded for it
"$APNAS" cost "$T/co.cfg" --arch "$T/run/best.arch" --format csv \
	> "$T/best.csv" 2>/dev/null
edp=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "edp") c = i }
	$1 == "total" { print $c }' "$T/best.csv")
rec=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "edp") c = i }
	NR == 2 { print $c }' "$T/run/candidates.csv")
[ -n "$edp" ] && [ -n "$rec" ] || fail "no edp (cost '$edp', search '$rec')"
awk -v a="$edp" -v b="$rec" 'BEGIN { exit !(a == b) }' ||
	fail "best.arch costs edp $edp, the search recorded $rec"
# apnas report names each front point's own hardware
"$APNAS" report "$T/run" --no-plots > /dev/null 2>&1 || fail "report failed"
head -1 "$T/run/report/front.csv" | grep -q ",point_hardware$" ||
	fail "front.csv has no point_hardware column"
for hw in $(awk -F, 'NR > 1 { print $(NF - 1) }' "$T/run/pareto.csv" |
	tr ' ' '_'); do
	grep -q "$(echo "$hw" | tr '_' ' ')\$" "$T/run/report/front.csv" ||
		fail "front.csv lacks the point on $hw"
done
grep -q 'os\\|ws\\|is' "$T/run/report/report.md" ||
	fail "a '|' in a label is not escaped in report.md"

# 3. apnas train trains the network alone and keeps the section
cat > "$T/tr.cfg" <<'CFG'
run = { seed = 1; threads = 1; };
data = { dataset = "synthetic"; synthetic_n = 300; batch_size = 32; };
space = { plugin = "enas_macro"; layers = 3; channels = 8; };
train = { epochs = 1; };
CFG
"$APNAS" train "$T/tr.cfg" --arch "$T/hw.arch" --out "$T/tr" \
	> "$T/train.out" 2>&1 || { cat "$T/train.out"; fail "train failed"; }
sed -n '/^--- hardware$/,$p' "$T/tr/arch.arch" | grep -v '^#' > "$T/kept"
sed -n '/^--- hardware$/,$p' "$T/hw.arch" | grep -v '^#' > "$T/given"
cmp -s "$T/kept" "$T/given" || fail "arch.arch lost the hardware section"
# and costs what it trained on the hardware the section names
grep -q '"hardware": *"8x32 ws, 48/48/96 kB' "$T/tr/summary.json" ||
	fail "train did not cost on the section: $(grep hardware "$T/tr/summary.json")"
echo "ok: co-search best.arch edp $edp on $(sed -n 2p "$T/run/candidates.csv" | awk -F, '{ print $(NF - 1) }')"
