#!/bin/sh
# The core exports its API and nothing else, and the shipped plugins use
# nothing else:
#  1. `nm -D --defined-only libapnas.so` lists exactly the functions and
#     objects declared with APNAS_API in include/apnas/*.h;
#  2. every apnas_* symbol a plugin leaves undefined is one of those.
#
# usage: abi_symbols.sh LIBAPNAS INCLUDE_DIR PLUGIN.so...
set -u

if [ -z "${APNAS_SDK_UNWRAPPED:-}" ]; then
	# Not the shell's leaks: see sdk_out_of_tree.sh.
	APNAS_SDK_UNWRAPPED=1 exec /bin/sh "$0" "$@"
fi

fail() { echo "abi_symbols: FAIL: $*" >&2; exit 1; }
command -v nm >/dev/null 2>&1 ||
	{ echo "abi_symbols: SKIP: nm is not installed" >&2; exit 77; }

lib=$1 inc=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apnas-abi.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# Declared: the identifier before the first '(' of each APNAS_API line
# (functions), or the last identifier of an APNAS_API extern (objects).
for h in "$inc"/*.h; do
	grep '^APNAS_API ' "$h"
done | sed -e 's/(.*//' -e 's/[][;]//g' | awk '{print $NF}' |
	sed 's/^\**//' | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || fail "no APNAS_API declaration in $inc"

# Exported: defined dynamic symbols, less the linker's section markers
# and a sanitizer build's own (__odr_asan.*, __asan_*, __ubsan_*).
nm -D --defined-only "$lib" | awk '{print $3}' |
	grep -vx -e _edata -e _end -e __bss_start -e _init -e _fini |
	grep -v -e '^__odr_asan' -e '^__asan' -e '^__ubsan' -e '^__sanitizer' |
	sort -u >"$tmp/exported"

if ! cmp -s "$tmp/declared" "$tmp/exported"; then
	echo "declared with APNAS_API but not exported:" >&2
	comm -23 "$tmp/declared" "$tmp/exported" >&2
	echo "exported but not declared with APNAS_API:" >&2
	comm -13 "$tmp/declared" "$tmp/exported" >&2
	fail "$lib exports other than its public API"
fi

bad=0
for so in "$@"; do
	nm -D --undefined-only "$so" | awk '{print $NF}' | grep '^apnas_' |
	while read -r sym; do
		grep -qx "$sym" "$tmp/exported" ||
			echo "$so uses $sym, which is not public API" >&2
	done >"$tmp/misuse" 2>&1
	if [ -s "$tmp/misuse" ]; then
		cat "$tmp/misuse" >&2
		bad=1
	fi
done
[ "$bad" = 0 ] || fail "a plugin uses the core's internals"
n=$(wc -l <"$tmp/exported")
echo "abi_symbols: libapnas exports its $n public symbols and nothing" \
     "else; $# plugins use only those"
