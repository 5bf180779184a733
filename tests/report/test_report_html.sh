#!/bin/sh
# apnas report --html as a person sees it: report.html of a real grid
# (two arrays x two seeds, retrained) holds the four tables, the three
# SVG plots and the drawing of each front's best network, all inline as
# data: URIs (no other file, no network); then Debian's chromium, headless,
# loads it: every picture shown (the page marks each), the tables in the
# DOM, and a screenshot that is not blank.  A copy with one picture broken
# is caught; a network that cannot be drawn leaves the reason on the page;
# a bad --error-bars is refused.  Without chromium (Debian package
# chromium): exit 77, saying so, after the checks that need no browser.
#   test_report_html.sh APNAS SOURCE_ROOT
set -eu
apnas=$1
src=$2
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-html.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

. "$src/tests/report/tiny_grid.sh"
tiny_grid "$tmp"
"$apnas" report "$tmp/grid" --html --out "$tmp/rep" >"$tmp/out.txt" \
	2>"$tmp/err.txt" || fail "apnas report --html: $(cat "$tmp/err.txt")"
grep -q "report.html" "$tmp/err.txt" || fail "report.html not announced"
html=$tmp/rep/report.html
[ -s "$html" ] || fail "no report.html"

# The page's structure, read with Python's HTML parser.
"$py" - "$html" <<'PY' || fail "report.html structure"
import base64, html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.imgs, self.external, self.h2 = {}, [], [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "img":
            self.imgs.append(a)
        if tag == "h2":
            self.h2.append(a.get("id"))
        for k in ("src", "href"):
            if k in a and not a[k].startswith("data:") and not a[k].startswith("#"):
                self.external.append((tag, k, a[k]))
        if tag == "link" or (tag == "script" and "src" in a):
            self.external.append((tag, a))
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert p.tags.get("table") == 4, p.tags            # groups, runs, fronts, provenance
assert p.h2 == ["groups", "runs", "fronts", "provenance", "plots", "drawings"], p.h2
assert not p.external, p.external                   # nothing fetched
alts = [i["alt"] for i in p.imgs]
for name in ("pareto.svg", "paper.svg", "reward.svg"):
    assert name in alts, alts
drawings = [a for a in alts if "best.arch" in a or "top/" in a]
assert len(drawings) == 2, alts                      # one per array
drawings_imgs = [i for i in p.imgs if i["alt"] in drawings]
for i in p.imgs:
    prefix = "data:image/svg+xml;base64,"
    assert i["src"].startswith(prefix), i["src"][:40]
    svg = base64.b64decode(i["src"][len(prefix):]).decode("utf-8")
    assert "<svg" in svg and "</svg>" in svg, i["alt"]
    if i in drawings_imgs:
        # the cost model's 17 metrics per layer wrapped on lines, not
        # one line that makes the picture thousands of points wide
        import re
        w = float(re.search(r'<svg width="([0-9.]+)pt"', svg).group(1))
        assert w < 1200, (i["alt"], w)
        assert "cycles" in svg, i["alt"]
print("structure ok: %d pictures" % len(p.imgs))
PY

# A network that cannot be drawn (the toy space describes no data flow):
# the page is written all the same and says why, as does stderr.
"$apnas" search "$src/configs/toy.cfg" --set search.epochs=3 \
	--out "$tmp/toy" >/dev/null 2>&1 || fail "toy search"
"$apnas" report "$tmp/toy" --html --out "$tmp/toyrep" >/dev/null \
	2>"$tmp/err.txt" || fail "report of the toy run: $(cat "$tmp/err.txt")"
grep -q "note: .*best.arch of run toy .*not drawn: .*data flow" \
	"$tmp/err.txt" || fail "no note on the drawing: $(cat "$tmp/err.txt")"
grep -q "not drawn: .*data flow" "$tmp/toyrep/report.html" ||
	fail "the page does not say why the drawing is missing"
# Bad input: one line, exit 2.
rc=0
"$apnas" report "$tmp/toy" --error-bars wide --out "$tmp/x" \
	>/dev/null 2>"$tmp/err.txt" || rc=$?
[ "$rc" = 2 ] && grep -q "expected sd or range" "$tmp/err.txt" ||
	fail "--error-bars wide: exit $rc: $(cat "$tmp/err.txt")"

if ! command -v chromium >/dev/null 2>&1; then
	echo "SKIP: chromium is not installed (Debian package chromium):" \
	     "report.html's structure was checked, not its display" >&2
	exit 77
fi
# As root chromium needs --no-sandbox; its profile goes to a scratch
# directory.  --virtual-time-budget lets the page's load handler run
# before the DOM is dumped.
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$tmp/profile" \
		--virtual-time-budget=10000 "$@" 2>>"$tmp/chromium.log"
}
chrome --dump-dom "file://$html" >"$tmp/dom.html" ||
	fail "chromium --dump-dom: $(tail -3 "$tmp/chromium.log")"
grep -q 'data-images="5 of 5"' "$tmp/dom.html" ||
	fail "not every picture was shown: $(grep -o '<body[^>]*>' "$tmp/dom.html")"
[ "$(grep -o 'data-loaded="yes"' "$tmp/dom.html" | wc -l)" -eq 5 ] ||
	fail "pictures not marked loaded"
[ "$(grep -o '<table' "$tmp/dom.html" | wc -l)" -eq 4 ] ||
	fail "tables missing from the DOM"
grep -q "Where the runs ran" "$tmp/dom.html" || fail "no provenance"

chrome --hide-scrollbars --window-size=1024,1400 \
	--screenshot="$tmp/shot.png" "file://$html" >/dev/null ||
	fail "chromium --screenshot"
set -- $("$py" "$src/tests/report/png_colours.py" "$tmp/shot.png")
echo "screenshot: $1 colours, $2 of the pixels not white"
[ "$1" -gt 16 ] || fail "screenshot of $1 colours: blank"
"$py" -c "import sys; sys.exit(not float(sys.argv[1]) > 0.02)" "$2" ||
	fail "screenshot almost all white ($2)"

# The check can fail: a picture whose data is cut short is marked.
sed '0,/base64,/s//base64,AAAA/' "$html" >"$tmp/broken.html"
chrome --dump-dom "file://$tmp/broken.html" >"$tmp/dom2.html" ||
	fail "chromium on the broken copy"
grep -q 'data-images="4 of 5"' "$tmp/dom2.html" ||
	fail "a broken picture passed: $(grep -o '<body[^>]*>' "$tmp/dom2.html")"
grep -q "this picture could not be shown" "$tmp/dom2.html" ||
	fail "a broken picture not said"
echo "ok"
