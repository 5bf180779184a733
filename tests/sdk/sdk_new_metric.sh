#!/bin/sh
# A metric the core has never heard of, end to end, as a third party gets
# it: apnas is configured, built and installed into a temporary prefix (no
# DESTDIR, no LD_LIBRARY_PATH: the installed apnas and its plugins must
# find libapnas through their RPATH), a cost plugin declaring `toy_energy`
# and `area_mm2` is built out of tree with the installed pkg-config file,
# and a search rewarded by mnas on toy_energy must show the new metrics in
# every file it writes, in `apnas cost`, and in `apnas report --x`.
#
# usage: sdk_new_metric.sh SOURCE_DIR MESON
set -u

if [ -z "${APNAS_SDK_UNWRAPPED:-}" ]; then
	# Not the shell's leaks: see sdk_out_of_tree.sh.
	APNAS_SDK_UNWRAPPED=1 exec /bin/sh "$0" "$@"
fi

src=$1 meson=$2
fail() { echo "sdk_new_metric: FAIL: $*" >&2; exit 1; }
for tool in cc pkg-config; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "sdk_new_metric: SKIP: no $tool" >&2; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-metric.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
prefix="$tmp/prefix"

# ---- a real install into a prefix of the user's choosing ----------------
# Neither the test environment's library path nor its plugin path may
# help the installed program.
unset LD_LIBRARY_PATH APNAS_PLUGIN_PATH
"$meson" setup "$tmp/build" "$src" --prefix "$prefix" -Dtests=false \
	-Dbuildtype=debugoptimized >"$tmp/setup.log" 2>&1 ||
	{ cat "$tmp/setup.log" >&2; fail "meson setup"; }
"$meson" install -C "$tmp/build" >"$tmp/install.log" 2>&1 ||
	{ tail -30 "$tmp/install.log" >&2; fail "meson install"; }
apnas="$prefix/bin/apnas"
[ -x "$apnas" ] || fail "no $apnas"
"$apnas" plugins --kind cost >"$tmp/plugins.txt" 2>&1 ||
	{ cat "$tmp/plugins.txt" >&2;
	  fail "the installed apnas cannot list its plugins (RPATH?)"; }
grep -q systolic "$tmp/plugins.txt" ||
	fail "the installed apnas does not find its installed plugins"

# ---- the third party's plugin -----------------------------------------
pc=$(find "$prefix" -name apnas.pc | head -n 1)
[ -n "$pc" ] || fail "no apnas.pc installed"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
mkdir -p "$tmp/mine"
(cd "$tmp/mine" && cc -Wall -Wextra -Werror -shared -fPIC \
	-o cost_toyenergy.so "$src/tests/sdk/oot-metric/toyenergy_cost.c" \
	$(pkg-config --cflags --libs apnas) \
	-Wl,-rpath,"$(pkg-config --variable=libdir apnas)") \
	>"$tmp/cc.log" 2>&1 || { cat "$tmp/cc.log" >&2; fail "cc"; }

# ---- a search on it -----------------------------------------------------
cfg="$tmp/toy.cfg"
# The toy search with the array's options taken out of its cost group:
# the new model has its own (pes).
grep -v -e '^  rows = ' -e '^  cols = ' -e '^  dataflow = ' \
	"$src/configs/toy.cfg" >"$cfg"
sets="--set cost.plugin=toyenergy --set cost.path=\"$tmp/mine\"
      --set reward.metric=toy_energy --set search.epochs=3"
# A reward naming a metric the model lacks is refused at config check,
# with the metrics the model has.
# shellcheck disable=SC2086
"$apnas" config check "$cfg" $sets --set reward.metric=energy_pj \
	>"$tmp/check.txt" 2>&1 && fail "config check accepted energy_pj"
grep -q 'toy_energy' "$tmp/check.txt" && grep -q 'area_mm2' "$tmp/check.txt" ||
	{ cat "$tmp/check.txt" >&2;
	  fail "the refusal does not list the model's metrics"; }
# shellcheck disable=SC2086
"$apnas" config check "$cfg" $sets >"$tmp/check.txt" 2>&1 ||
	{ cat "$tmp/check.txt" >&2; fail "config check refused toy_energy"; }
run="$tmp/run"
# shellcheck disable=SC2086
"$apnas" search "$cfg" $sets --out "$run" --quiet >"$tmp/search.txt" 2>&1 ||
	{ cat "$tmp/search.txt" >&2; fail "search"; }

for f in samples.jsonl summary.json; do
	for m in toy_energy area_mm2; do
		grep -q "\"$m\"" "$run/$f" || fail "$f lacks $m"
	done
done
for f in candidates.csv pareto.csv; do
	head -n 1 "$run/$f" | tr ',' '\n' | grep -qx toy_energy ||
		fail "$f's header lacks toy_energy"
	head -n 1 "$run/$f" | tr ',' '\n' | grep -qx area_mm2 ||
		fail "$f's header lacks area_mm2"
done
head -n 1 "$run/epochs.csv" | tr ',' '\n' | grep -qx mean_toy_energy ||
	fail "epochs.csv has no mean_toy_energy (the reward's metric)"
grep -q '"reward_metric": "toy_energy"' "$run/summary.json" ||
	fail "summary.json does not name the reward's metric"
grep -q '"hardware": "toy 64 PEs"' "$run/summary.json" ||
	fail "summary.json lacks the model's own hardware line"
grep -q 'toy_energy' "$run/best.arch" || fail "best.arch's comment lacks it"

# `apnas cost` on the best architecture, columns named after the metrics.
# shellcheck disable=SC2086
"$apnas" cost "$cfg" $sets --arch "$run/best.arch" --format csv \
	>"$tmp/cost.csv" 2>"$tmp/cost.err" || { cat "$tmp/cost.err" >&2;
	fail "apnas cost --arch best.arch"; }
head -n 1 "$tmp/cost.csv" | tr ',' '\n' | grep -qx toy_energy ||
	fail "apnas cost's csv lacks a toy_energy column"
# The total equals the best's toy_energy in summary.json.
total=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "toy_energy") c = i }
                 $1 == "total" { print $c }' "$tmp/cost.csv")
grep -q "\"toy_energy\":$total[,}]" "$run/summary.json" ||
	fail "apnas cost's total toy_energy $total is not the search's"

# The report's front against the new metric, and its plot.
"$apnas" report "$run" --x toy_energy --out "$tmp/rep" >"$tmp/rep.txt" 2>&1 ||
	{ cat "$tmp/rep.txt" >&2; fail "apnas report --x toy_energy"; }
head -n 1 "$tmp/rep/front.csv" | tr ',' '\n' | grep -qx toy_energy ||
	fail "front.csv's header lacks toy_energy"
grep -q "set xlabel 'toy_energy[' ]" "$tmp/rep/plots.gp" ||
	fail "the Pareto plot's x axis is not toy_energy"
if command -v gnuplot >/dev/null 2>&1; then
	[ -s "$tmp/rep/pareto.svg" ] || fail "no pareto.svg drawn"
fi
echo "sdk_new_metric: toy_energy and area_mm2 reach every file, apnas cost" \
     "and apnas report, from a plugin built against $prefix"
