#!/bin/sh
# unit.sh BUILD: builds each tests/unit/*.c against BUILD/libmini.a with the
# project's compiler and runs it; each PASS:/FAIL: line it prints goes to
# the tally ($RESULTS) under "unit: FILE: ".  A test of an applet's own
# code names the files it needs in a "/* links: FILE... */" line.
set -u
build=${1:-build}
SRC=${SRC:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$SRC" || exit 1
RESULTS=${RESULTS:-/dev/stdout}
make -s "$build/libmini.a" >/dev/null || { echo "FAIL: unit: libmini.a" >> "$RESULTS"; exit 0; }
cc=${CC:-musl-gcc}
depflags=$(make -s --no-print-directory depflags BUILD="$build")
deplibs=$(make -s --no-print-directory deplibs BUILD="$build")
cflags="-Os -std=gnu11 -Wall -Wno-unused-parameter -Wno-unused-function -I$build/gen -Ilibmini $depflags -Itests/unit"
mkdir -p "$build/unit"
for c in tests/unit/*.c; do
	[ -f "$c" ] || continue
	n=$(basename "$c" .c)
	exe=$build/unit/$n
	links=$(sed -n 's,^/\* links: \(.*\) \*/$,\1,p' "$c")
	if ! ${cc:-musl-gcc} $cflags -static -o "$exe" "$c" $links \
			"$build/libmini.a" $deplibs > "$exe.log" 2>&1; then
		echo "FAIL: unit: $n: does not compile" >> "$RESULTS"
		echo "FAIL: unit: $n: does not compile"; head -n 20 "$exe.log"
		continue
	fi
	(cd "$build/unit" && timeout 120 "./$n") > "$exe.out" 2>&1
	rc=$?
	sed -n "s/^\(PASS\|FAIL\): /\1: unit: $n: /p" "$exe.out" >> "$RESULTS"
	grep '^FAIL' "$exe.out" | sed "s/^FAIL: /FAIL: unit: $n: /"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$exe.out"; then
		echo "FAIL: unit: $n: exited $rc" >> "$RESULTS"
		echo "FAIL: unit: $n: exited $rc"; tail -n 10 "$exe.out"
	fi
done
