# testing.sh: the Toybox/BusyBox test shape, sourced by every tests/*.test.
#
#   testing "name" "command" "expected stdout" "input file" "stdin"
#
# runs COMMAND with sh -c in the test's scratch folder ($T), with the file
# "input" holding INPUT FILE and STDIN on standard input (both are printf
# %b strings: \n, \t, \0 … work), and compares its standard output with
# EXPECTED (also %b).  "$?" is not checked: append "; echo rc=$?" to check
# it.  Also:
#   optional SYM...   skip what follows unless CONFIG_SYM=y in the config
#   pass NAME / fail NAME [DETAIL] / skip NAME   record a result directly
#   check NAME CMD...  pass when CMD (run as given) succeeds
#
# Variables from run.sh: POSTBOX (the binary), CONFIG (its .config), T (a
# scratch folder owned by this test file), RESULTS (the tally file), SRC
# (the source tree), PY (python3 with Debian's modules).

TESTS_SKIP=
optional() {
	TESTS_SKIP=
	for sym in "$@"; do
		grep -q "^CONFIG_$sym=y" "$CONFIG" 2>/dev/null || TESTS_SKIP="$sym"
	done
}

pass() { echo "PASS: $TEST_FILE: $1" >> "$RESULTS"; [ -n "${VERBOSE:-}" ] && echo "PASS: $TEST_FILE: $1"; return 0; }
skip() { echo "SKIP: $TEST_FILE: $1" >> "$RESULTS"; return 0; }
fail() {
	echo "FAIL: $TEST_FILE: $1" >> "$RESULTS"
	echo "FAIL: $TEST_FILE: $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | head -n 40 | sed 's/^/    /'
	return 0
}

testing() {
	if [ $# -ne 5 ]; then
		fail "$1" "testing needs 5 arguments, got $#"
		return 0
	fi
	if [ -n "$TESTS_SKIP" ]; then
		skip "$1 (CONFIG_$TESTS_SKIP off)"
		return 0
	fi
	printf '%b' "$4" > "$T/input"
	printf '%b' "$3" > "$T/expected"
	(cd "$T" && printf '%b' "$5" | sh -c "$2") > "$T/actual" 2>"$T/stderr"
	if cmp -s "$T/expected" "$T/actual"; then
		pass "$1"
	else
		fail "$1" "$(diff -u "$T/expected" "$T/actual"; sed 's/^/stderr: /' "$T/stderr")"
	fi
}

check() {
	name=$1; shift
	if [ -n "$TESTS_SKIP" ]; then
		skip "$name (CONFIG_$TESTS_SKIP off)"
		return 0
	fi
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
