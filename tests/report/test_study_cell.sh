#!/bin/sh
# Reproducibility: every search and retraining of a real grid records
# where it ran (summary.json "provenance": the commit this build came
# from, /proc/cpuinfo's model name, the OpenBLAS core and config the
# process loaded, read independently here); `apnas report` warns when
# runs differ in it; scripts/study_cell.sh reruns one cell, says MATCH,
# and names the first difference when the recorded search, its Pareto
# front or its retraining was altered.
#   test_study_cell.sh APNAS SOURCE_ROOT
set -eu
apnas=$1
src=$2
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-cell.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

. "$src/tests/report/tiny_grid.sh"
tiny_grid "$tmp"
cell='cost.rows+cost.cols=8/seed-2'
run=$tmp/grid/$cell
[ -f "$run/retrain/summary.json" ] || fail "the grid was not retrained"

# ---- provenance, against what this test finds itself
blas=$(ldd "$apnas" | awk '/libopenblas/ {print $3; exit}')
[ -n "$blas" ] || fail "apnas does not load OpenBLAS?"
if git -C "$src" rev-parse HEAD >/dev/null 2>&1; then ingit=1; else ingit=0; fi
for f in "$run/summary.json" "$run/retrain/summary.json"; do
	commit=$("$py" - "$f" "$blas" <<'PY'
import ctypes, json, sys
p = json.load(open(sys.argv[1]))["provenance"]
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip() or "unknown"
        break
assert p["cpu"] == cpu, (p["cpu"], cpu)
lib = ctypes.CDLL(sys.argv[2])
for fn, key in (("openblas_get_corename", "openblas_core"),
                ("openblas_get_config", "openblas_config")):
    getattr(lib, fn).restype = ctypes.c_char_p
    want = getattr(lib, fn)().decode().strip()
    assert p[key] == want, (key, p[key], want)
# the engine's kernels: AVX-512 where the CPU has F, BW, DQ and VL,
# unless APNAS_NN_ISA=avx2 (core/nn/isa.h)
import os
flags = set()
for line in open("/proc/cpuinfo"):
    if line.startswith("flags"):
        flags = set(line.split(":", 1)[1].split())
        break
wide = {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags and \
    os.environ.get("APNAS_NN_ISA", "auto") != "avx2"
assert p["engine_kernels"] == ("avx512" if wide else "avx2"), \
    (p["engine_kernels"], wide)
print(p["commit"])
PY
) || fail "$f: provenance"
	if [ "$ingit" = 1 ]; then
		# the build's commit: this checkout's HEAD or one before it
		# (others may commit between the build and the test)
		git -C "$src" merge-base --is-ancestor "${commit%+}" HEAD ||
			fail "$f: commit $commit is not in this checkout's history"
	else
		[ "$commit" = unknown ] || fail "$f: commit $commit outside git"
	fi
done
echo "provenance ok (commit $commit)"

# ---- apnas report: the same commit everywhere, then one run altered
"$apnas" report "$tmp/grid" --no-plots --out "$tmp/rep" >/dev/null \
	2>"$tmp/err.txt" || fail "apnas report: $(cat "$tmp/err.txt")"
! grep -q "warning" "$tmp/err.txt" || fail "$(cat "$tmp/err.txt")"
grep -q "| $cell | $commit |" "$tmp/rep/report.md" ||
	fail "report.md lacks the provenance row"

# ---- study_cell.sh: MATCH
APNAS=$apnas sh "$src/scripts/study_cell.sh" "$tmp/grid" "$cell" \
	>"$tmp/cell.txt" 2>"$tmp/cell.err" ||
	fail "study_cell exit $?: $(cat "$tmp/cell.txt" "$tmp/cell.err")"
grep -q "^MATCH: $cell (search and retraining equal bit for bit" \
	"$tmp/cell.txt" || fail "$(cat "$tmp/cell.txt")"

# ---- a tampered copy of the grid: each alteration is found and named
tamper() { # what, python code on path p, expected words
	rm -rf "$tmp/t"
	cp -r "$tmp/grid" "$tmp/t"
	"$py" -c "p='$tmp/t/$cell/$2'; $3"
	rc=0
	APNAS=$apnas sh "$src/scripts/study_cell.sh" "$tmp/t" "$cell" \
		>"$tmp/cell.txt" 2>"$tmp/cell.err" || rc=$?
	[ "$rc" = 1 ] || fail "$1: exit $rc: $(cat "$tmp/cell.txt" "$tmp/cell.err")"
	grep -q "^DIFFERS: .*$4" "$tmp/cell.txt" ||
		fail "$1: $(cat "$tmp/cell.txt")"
	grep -q "recorded: commit" "$tmp/cell.txt" || fail "$1: no provenance"
	echo "$1: $(head -1 "$tmp/cell.txt")"
}
tamper "best accuracy" summary.json "import json; d=json.load(open(p)); \
d['best']['accuracy']+=2**-40; json.dump(d,open(p,'w'))" \
	"summary.json: best.accuracy: recorded"
tamper "a Pareto point" pareto.csv "l=open(p).read().split('\n'); \
l[1]=l[1].replace(',', ',1', 1); open(p,'w').write('\n'.join(l))" \
	"pareto.csv line 2"
tamper "the retrained accuracy" retrain/summary.json "import json; \
d=json.load(open(p)); d['test_accuracy']=d['test_accuracy']+2**-40; \
json.dump(d,open(p,'w'))" "summary.json: test_accuracy: recorded"

# ---- a run on another commit: apnas report warns
"$py" -c "import json; p='$tmp/t/$cell/summary.json'; d=json.load(open(p)); \
d['provenance']['commit']='0000000'; json.dump(d,open(p,'w'))"
"$apnas" report "$tmp/t" --no-plots --out "$tmp/rep2" >/dev/null \
	2>"$tmp/err.txt" || fail "apnas report: $(cat "$tmp/err.txt")"
grep -q "warning: runs ran on different commits" "$tmp/err.txt" ||
	fail "no warning: $(cat "$tmp/err.txt")"

# ---- --recorded-commit refuses what cannot be checked out again (the
# full rebuild of a commit takes minutes: docs/reports.md shows it run)
recorded() { # commit, expected words
	"$py" -c "import json; p='$tmp/t/$cell/summary.json'; d=json.load(open(p)); \
d['provenance']['commit']='$1'; json.dump(d,open(p,'w'))"
	rc=0
	sh "$src/scripts/study_cell.sh" --recorded-commit "$tmp/t" "$cell" \
		>/dev/null 2>"$tmp/cell.err" || rc=$?
	[ "$rc" = 2 ] && grep -q "$2" "$tmp/cell.err" ||
		fail "--recorded-commit $1: exit $rc: $(cat "$tmp/cell.err")"
}
recorded 'abc1234+' 'commit abc1234+ was built with uncommitted edits'
recorded unknown 'records no commit'
[ "$ingit" = 0 ] || recorded 0000000 'commit 0000000 is not in this clone'
[ -z "$(git -C "$src" worktree list 2>/dev/null | grep study_cell)" ] ||
	fail "a refused --recorded-commit left a worktree behind"

# ---- bad input: a run that is not there
rc=0
APNAS=$apnas sh "$src/scripts/study_cell.sh" "$tmp/grid" nothing/seed-1 \
	>/dev/null 2>"$tmp/cell.err" || rc=$?
[ "$rc" = 2 ] && grep -q "no such file" "$tmp/cell.err" ||
	fail "a missing run: exit $rc: $(cat "$tmp/cell.err")"
echo ok
