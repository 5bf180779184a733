#!/bin/sh
# The SDK as a third party gets it: installs the current build into a
# temporary DESTDIR, checks the installed tree, builds a renamed copy of
# the skeleton cost model out of tree with nothing but the installed
# pkg-config file, twice (the guide's cc line, and the meson.build the
# guide shows), and has the installed `apnas` list and load each build.
#
# usage: sdk_out_of_tree.sh BUILD_DIR SOURCE_DIR MESON
set -u

# `meson test --setup valgrind` wraps this script too, which would check
# the shell (shells free little on purpose, and it is not ours).  A fresh
# exec leaves the wrapper behind: it does not follow children.
if [ -z "${APNAS_SDK_UNWRAPPED:-}" ]; then
	APNAS_SDK_UNWRAPPED=1 exec /bin/sh "$0" "$@"
fi

build=$1 src=$2 meson=$3

fail() { echo "sdk: FAIL: $*" >&2; exit 1; }
skip() { echo "sdk: SKIP: $*" >&2; exit 77; }

for tool in cc nm pkg-config python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "'$tool' is not installed; the SDK test needs it"
done

# The dynamic symbols a plugin defines, less the section markers the
# linker adds by itself (_edata, _end, __bss_start: GNU ld exports them
# when a library linked in, such as libconfig under libapnas, exports
# them) and crt's _init/_fini.  These are in every such object and are
# not the author's.  An AddressSanitizer build adds one __odr_asan.<sym>
# marker per exported global, which is the sanitizer's, not the author's.
exports() {
	nm -D --defined-only "$1" | awk '{print $3}' |
		grep -vx -e _edata -e _end -e __bss_start -e _init -e _fini |
		grep -v '^__odr_asan\.'
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

# ---- build a copy of the skeleton out of tree, both ways ---------------
# Each way gets its own directory, holding nothing but the plugin, so each
# listing below proves that build alone.
for way in cc meson; do
	mkdir -p "$tmp/$way"
	sed 's/^#define PLUGIN_NAME "skeleton"$/#define PLUGIN_NAME "oot"/' \
		"$src/plugins/skeleton/skeleton_cost.c" >"$tmp/$way/oot_cost.c"
	grep -q '^#define PLUGIN_NAME "oot"$' "$tmp/$way/oot_cost.c" ||
		fail "skeleton_cost.c has no '#define PLUGIN_NAME \"skeleton\"'" \
		     "line to rename (the guide tells authors to change it)"
done

# The guide's line, with warnings made errors so that the template stays
# clean under a third party's default compiler settings.
(cd "$tmp/cc" &&
 cc -Wall -Wextra -Werror -shared -fPIC -o cost_oot.so oot_cost.c \
	$(pkg-config --cflags --libs apnas)) >"$tmp/cc.log" 2>&1 ||
	{ cat "$tmp/cc.log" >&2; fail "out-of-tree cc build failed"; }

# The guide's meson.build, renamed like the source.
sed "s/'mine.c'/'oot_cost.c'/; s/'cost_mine'/'cost_oot'/" \
	"$src/tests/sdk/oot-meson/meson.build" >"$tmp/meson/meson.build" ||
	fail "no tests/sdk/oot-meson/meson.build"
grep -q "'cost_oot'" "$tmp/meson/meson.build" ||
	fail "oot-meson/meson.build no longer builds 'cost_mine' from" \
	     "'mine.c'; keep it in step with this test"
{ "$meson" setup "$tmp/meson-build" "$tmp/meson" &&
  "$meson" compile -C "$tmp/meson-build"; } >"$tmp/meson.log" 2>&1 ||
	{ cat "$tmp/meson.log" >&2; fail "out-of-tree meson build failed"; }
cp "$tmp/meson-build/cost_oot.so" "$tmp/meson/cost_oot.so" ||
	fail "the out-of-tree meson build made no cost_oot.so"

for way in cc meson; do
	syms=$(exports "$tmp/$way/cost_oot.so")
	[ "$syms" = apnas_plugin ] ||
		fail "$way build of cost_oot.so exports more than" \
		     "apnas_plugin: $syms"
done

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

for way in cc meson; do
	dir="$tmp/$way"
	APNAS_PLUGIN_PATH="$dir:$pluginsdir" apnas plugins --format json \
		>"$tmp/$way.list.json" 2>"$tmp/$way.list.err" ||
		{ cat "$tmp/$way.list.err" >&2;
		  fail "apnas plugins --format json failed"; }
	listed <"$tmp/$way.list.json" >"$tmp/$way.list.txt" ||
		{ cat "$tmp/$way.list.json" >&2;
		  fail "apnas plugins printed bad JSON"; }
	grep -qx "cost oot $dir/cost_oot.so" "$tmp/$way.list.txt" ||
		{ cat "$tmp/$way.list.txt" >&2;
		  fail "$way build: cost 'oot' in \$APNAS_PLUGIN_PATH" \
		       "is not listed"; }
	for kind in space controller reward cost; do
		grep -qx "$kind skeleton $pluginsdir/${kind}_skeleton.so" \
			"$tmp/$way.list.txt" ||
			{ cat "$tmp/$way.list.txt" >&2;
			  fail "installed $kind skeleton is not listed"; }
	done

	# Never the current directory: from inside $dir, not in the path.
	(cd "$dir" &&
	 APNAS_PLUGIN_PATH="$pluginsdir" apnas plugins --format json) \
		>"$tmp/$way.cwd.json" 2>"$tmp/$way.cwd.err" ||
		{ cat "$tmp/$way.cwd.err" >&2;
		  fail "apnas plugins failed in $dir"; }
	listed <"$tmp/$way.cwd.json" >"$tmp/$way.cwd.txt" ||
		{ cat "$tmp/$way.cwd.json" >&2;
		  fail "apnas plugins printed bad JSON"; }
	grep -q '^cost oot ' "$tmp/$way.cwd.txt" &&
		fail "apnas plugins found cost_oot.so in the current directory"

	# A config naming it is checked against its own option table.
	printf 'cost = { plugin = "oot"; pes = 64; };\n' >"$tmp/$way.ok.cfg"
	APNAS_PLUGIN_PATH="$dir" apnas config check "$tmp/$way.ok.cfg" \
		>"$tmp/$way.ok.out" 2>"$tmp/$way.ok.err" ||
		{ cat "$tmp/$way.ok.err" >&2;
		  fail "$way build: config check of a valid oot config"; }
	printf 'cost = { plugin = "oot"; pes = 0; };\n' >"$tmp/$way.bad.cfg"
	APNAS_PLUGIN_PATH="$dir" apnas config check "$tmp/$way.bad.cfg" \
		>"$tmp/$way.bad.out" 2>"$tmp/$way.bad.err"
	rc=$?
	[ "$rc" -eq 2 ] ||
		fail "$way build: config check with pes = 0 exited $rc," \
		     "expected 2"
	grep -q pes "$tmp/$way.bad.err" ||
		{ cat "$tmp/$way.bad.err" >&2;
		  fail "the refusal of pes = 0 does not name pes"; }
done

echo "sdk: ok: cost_oot.so built with cc and with meson against $pc," \
     "listed and checked by the installed apnas"
