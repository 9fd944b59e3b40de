#!/bin/sh
# run.sh: "make check".  Installs the test peers (when root), builds
# ./postbox, runs the unit tests, then every tests/*.test, and ends with
# the line "N passed, N failed" (", N skipped" when any were skipped).
# Exit status: 0 only when nothing failed.
#
# Environment: TESTS="name ..." runs only those tests/NAME.test files;
# VERBOSE=1 prints passes too.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit 1
export SRC
sh tests/setup.sh || { echo "tests: setup failed"; echo "0 passed, 1 failed"; exit 1; }

RESULTS=$SRC/build/t/results
rm -rf build/t; mkdir -p build/t
: > "$RESULTS"
export RESULTS

# A .config older than the applet set gains the new applets at their
# defaults (the user's own choices are kept).
if [ -f .config ]; then make -s olddefconfig >build/t/build.log 2>&1; fi
if ! make -s >>build/t/build.log 2>&1; then
	cat build/t/build.log
	echo "FAIL: build"
	echo "0 passed, 1 failed"
	exit 1
fi
export POSTBOX=$SRC/postbox CONFIG=$SRC/.config
export PY=/usr/bin/python3

# Unit tests: one C program per libmini module, linked with libmini.a.
TEST_FILE=unit sh tests/unit.sh build

for f in tests/*.test; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .test)
	if [ -n "${TESTS:-}" ]; then
		case " $TESTS " in *" $name "*) ;; *) continue ;; esac
	fi
	T=$SRC/build/t/$name
	mkdir -p "$T"
	export T TEST_FILE=$name
	before=$(grep -c . "$RESULTS")
	# Each file runs in its own shell: a crash there is one failure.
	if ! sh -c '. "$SRC/tests/testing.sh"; . "$1"' sh "$f" \
			> "$T.log" 2>&1; then
		echo "FAIL: $name: the test file exited non-zero" >> "$RESULTS"
		echo "FAIL: $name: the test file exited non-zero"
	fi
	grep '^FAIL' "$T.log" || true
	[ "$(grep -c . "$RESULTS")" -gt "$before" ] ||
		{ echo "FAIL: $name: no result recorded" >> "$RESULTS";
		  echo "FAIL: $name: no result recorded"; tail -n 20 "$T.log"; }
done

p=$(grep -c '^PASS' "$RESULTS")
f=$(grep -c '^FAIL' "$RESULTS")
s=$(grep -c '^SKIP' "$RESULTS")
if [ "$s" -gt 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" -eq 0 ]
