#!/bin/sh
# The SDK as a third party gets it: installs the current build into a
# temporary DESTDIR, checks the installed tree, builds a copy of the
# skeleton cost model out of tree with nothing but the installed
# pkg-config file (MODE cc: one cc line; MODE meson: the meson.build from
# docs/plugin-authoring.md), and has the installed `apnas` load it.
#
# usage: sdk_out_of_tree.sh MODE BUILD_DIR SOURCE_DIR MESON
set -u

mode=$1 build=$2 src=$3 meson=$4

fail() { echo "sdk ($mode): FAIL: $*" >&2; exit 1; }
skip() { echo "sdk ($mode): SKIP: $*" >&2; exit 77; }

case $mode in
cc | meson) ;;
*) fail "unknown mode '$mode' (cc or meson)" ;;
esac

for tool in cc nm pkg-config python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "'$tool' is not installed; the SDK test needs it"
done

# The dynamic symbols a plugin defines, less the section markers the
# linker adds by itself (_edata, _end, __bss_start: GNU ld exports them
# when a library linked in, such as libconfig under libapnas, exports
# them) and crt's _init/_fini.  These are in every such object and are
# not the author's.
exports() {
	nm -D --defined-only "$1" | awk '{print $3}' |
		grep -vx -e _edata -e _end -e __bss_start -e _init -e _fini
}

# The installed apnas, with the installed library only (meson test puts
# the build tree's library on LD_LIBRARY_PATH, which would hide a missing
# one).
apnas() {
	LD_LIBRARY_PATH="$libdir" "$root/bin/apnas" "$@"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-sdk.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# ---- install ---------------------------------------------------------
"$meson" install -C "$build" --destdir "$tmp/root" --no-rebuild \
	>"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2;
	  fail "meson install --destdir failed (it installs without" \
	       "rebuilding: build everything first, meson compile -C $build)"; }

pc=$(find "$tmp/root" -path '*/pkgconfig/apnas.pc' | head -n 1)
[ -n "$pc" ] || fail "no pkgconfig/apnas.pc in the installed tree"
prefix=$(sed -n 's/^prefix=//p' "$pc")
[ -n "$prefix" ] || fail "$pc has no prefix= line"
root="$tmp/root$prefix"

# The .pc names the real prefix; a copy pointing into DESTDIR lets every
# tool (pkg-config, meson) use it unchanged, as after a real install.
mkdir -p "$tmp/pc"
sed "s|^prefix=.*|prefix=$root|" "$pc" >"$tmp/pc/apnas.pc"
PKG_CONFIG_PATH="$tmp/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH

# ---- the installed tree ----------------------------------------------
[ -x "$root/bin/apnas" ] || fail "bin/apnas is not installed"
[ -f "$root/include/apnas/plugin.h" ] ||
	fail "include/apnas/plugin.h is not installed"
libdir=$(pkg-config --variable=libdir apnas) || fail "pkg-config apnas"
ls "$libdir"/libapnas.so* >/dev/null 2>&1 ||
	fail "no libapnas.so* in the .pc's libdir $libdir"
case $libdir in
"$root"/lib*) ;;
*) fail "libdir $libdir is not under $root/lib*" ;;
esac
pluginsdir=$(pkg-config --variable=pluginsdir apnas)
[ -n "$pluginsdir" ] || fail "apnas.pc has no pluginsdir variable"
case $pluginsdir in
"$libdir"/apnas/plugins-[0-9]*) ;;
*) fail "pluginsdir $pluginsdir is not a versioned dir under $libdir" ;;
esac
for kind in space controller reward cost; do
	so="$pluginsdir/${kind}_skeleton.so"
	[ -f "$so" ] || fail "$so is not installed"
	syms=$(exports "$so")
	[ "$syms" = apnas_plugin ] ||
		fail "installed $so exports more than apnas_plugin: $syms"
done

# ---- build a copy of the skeleton out of tree --------------------------
oot="$tmp/oot"
mkdir -p "$oot"
sed 's/^#define PLUGIN_NAME "skeleton"$/#define PLUGIN_NAME "oot"/' \
	"$src/plugins/skeleton/skeleton_cost.c" >"$oot/oot_cost.c"
grep -q '^#define PLUGIN_NAME "oot"$' "$oot/oot_cost.c" ||
	fail "skeleton_cost.c has no '#define PLUGIN_NAME \"skeleton\"' line" \
	     "to rename (the guide tells authors to change it)"

case $mode in
cc)
	# The guide's line, with warnings made errors so that the template
	# stays clean under a third party's default compiler settings.
	cc -Wall -Wextra -Werror -shared -fPIC -o "$oot/cost_oot.so" \
		"$oot/oot_cost.c" $(pkg-config --cflags --libs apnas) \
		>"$tmp/cc.log" 2>&1 ||
		{ cat "$tmp/cc.log" >&2; fail "out-of-tree cc build failed"; }
	;;
meson)
	cp "$src/tests/sdk/oot-meson/meson.build" "$oot/meson.build" ||
		fail "no tests/sdk/oot-meson/meson.build"
	sed -i "s/'mine.c'/'oot_cost.c'/; s/'cost_mine'/'cost_oot'/" \
		"$oot/meson.build"
	grep -q "'cost_oot'" "$oot/meson.build" ||
		fail "oot-meson/meson.build no longer builds 'cost_mine' from" \
		     "'mine.c'; keep it in step with this test"
	{ "$meson" setup "$tmp/oot-build" "$oot" &&
	  "$meson" compile -C "$tmp/oot-build"; } >"$tmp/meson.log" 2>&1 ||
		{ cat "$tmp/meson.log" >&2; fail "out-of-tree meson build failed"; }
	cp "$tmp/oot-build/cost_oot.so" "$oot/cost_oot.so" ||
		fail "the meson build made no cost_oot.so"
	;;
esac

syms=$(exports "$oot/cost_oot.so")
[ "$syms" = apnas_plugin ] ||
	fail "cost_oot.so exports more than apnas_plugin: $syms"

# ---- the installed apnas finds and loads it ------------------------------
# Lists the plugins as "kind name file" lines, failing on bad JSON.
listed() {
	python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert isinstance(doc, list), "not a JSON array"
for p in doc:
    print(p["kind"], p["name"], p["file"])
'
}

APNAS_PLUGIN_PATH="$oot:$pluginsdir" apnas plugins --format json \
	>"$tmp/list.json" 2>"$tmp/list.err" ||
	{ cat "$tmp/list.err" >&2; fail "apnas plugins --format json failed"; }
listed <"$tmp/list.json" >"$tmp/list.txt" ||
	{ cat "$tmp/list.json" >&2; fail "apnas plugins printed bad JSON"; }
grep -qx "cost oot $oot/cost_oot.so" "$tmp/list.txt" ||
	{ cat "$tmp/list.txt" >&2;
	  fail "cost 'oot' in \$APNAS_PLUGIN_PATH is not listed"; }
for kind in space controller reward cost; do
	grep -qx "$kind skeleton $pluginsdir/${kind}_skeleton.so" \
		"$tmp/list.txt" ||
		{ cat "$tmp/list.txt" >&2;
		  fail "installed $kind skeleton is not listed"; }
done

# Never the current directory: from inside $oot, without it in the path.
(cd "$oot" && APNAS_PLUGIN_PATH="$pluginsdir" apnas plugins --format json) \
	>"$tmp/cwd.json" 2>"$tmp/cwd.err" ||
	{ cat "$tmp/cwd.err" >&2; fail "apnas plugins failed in $oot"; }
listed <"$tmp/cwd.json" >"$tmp/cwd.txt" ||
	{ cat "$tmp/cwd.json" >&2; fail "apnas plugins printed bad JSON"; }
grep -q '^cost oot ' "$tmp/cwd.txt" &&
	fail "apnas plugins found cost_oot.so in the current directory"

# A config naming it is checked against its own option table.
printf 'cost = { plugin = "oot"; pes = 64; };\n' >"$tmp/ok.cfg"
APNAS_PLUGIN_PATH="$oot" apnas config check "$tmp/ok.cfg" \
	>"$tmp/ok.out" 2>"$tmp/ok.err" ||
	{ cat "$tmp/ok.err" >&2; fail "config check of a valid oot config"; }
printf 'cost = { plugin = "oot"; pes = 0; };\n' >"$tmp/bad.cfg"
APNAS_PLUGIN_PATH="$oot" apnas config check "$tmp/bad.cfg" \
	>"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
[ "$rc" -eq 2 ] || fail "config check with pes = 0 exited $rc, expected 2"
grep -q pes "$tmp/bad.err" ||
	{ cat "$tmp/bad.err" >&2; fail "the refusal of pes = 0 does not name pes"; }

echo "sdk ($mode): ok: cost_oot.so built against $pc, listed and checked"
