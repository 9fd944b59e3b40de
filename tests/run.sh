#!/bin/sh
# run.sh: "make check".  Installs the test peers (when root), builds
# ./postbox, then runs the unit tests and every tests/*.test, JOBS of them
# at once, the long ones first.  Prints a line per file as it ends (its
# checks passed and failed, its seconds; on failure its log and its FAIL
# lines), and ends with the line "N passed, N failed" (", N skipped" when
# any were skipped).  Exit status: 0 only when nothing failed.
#
# Environment: TESTS="name ..." runs only those tests/NAME.test files
# ("unit" names the unit tests); JOBS=N files at once (default: the number
# of cores); VERBOSE=1 prints the passes too.
#
# Each file has its scratch folder build/t/NAME ($T), its log
# build/t/NAME.log and its tally build/t/NAME.results ($RESULTS); a file
# that starts a server takes a free port (or a network namespace named
# with its PID), so files never share a port, a folder or a file.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit 1
export SRC
sh tests/setup.sh || { echo "tests: setup failed"; echo "0 passed, 1 failed"; exit 1; }

RESULTS=$SRC/build/t/results
rm -rf build/t; mkdir -p build/t
: > "$RESULTS"

# A .config older than the applet set gains the new applets at their
# defaults (the user's own choices are kept).
if [ -f .config ]; then make -s olddefconfig >build/t/make.log 2>&1; fi
# libmini.a too: the unit tests and some files link with it, and they must
# not build it at the same time.
if ! make -s all build/libmini.a >>build/t/make.log 2>&1; then
	cat build/t/make.log
	echo "FAIL: build"
	echo "0 passed, 1 failed"
	exit 1
fi
export POSTBOX=$SRC/postbox CONFIG=$SRC/.config
export PY=/usr/bin/python3

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
case $JOBS in ''|*[!0-9]*|0) JOBS=1 ;; esac

# The longest files first (as measured; a stale list only costs time), so
# that the last ones to start are short; then the others by name.  The
# unit tests always run; TESTS picks among the files.
LONG="configs fuzz testssl smtpd m4 build mail unit pop3d smtpd-tls tls lab"
order=
for name in $LONG unit $(ls tests/*.test | sed 's,.*/,,; s,\.test$,,'); do
	case " $order " in *" $name "*) continue ;; esac
	if [ "$name" != unit ]; then
		[ -f "tests/$name.test" ] || continue
		case " ${TESTS:- $name } " in
		*" $name "*) ;;
		*) continue ;;
		esac
	fi
	order="$order $name"
done

# run_one NAME: one file in its own shell (a crash there is one failure),
# then "NAME SECONDS CPU-SECONDS" on fd 3 to say it ended (the CPU time
# of what the file ran and waited for: times' second line).
run_one() {
	name=$1
	T=$SRC/build/t/$name
	RESULTS=$T.results
	mkdir -p "$T"
	: > "$RESULTS"
	export T RESULTS TEST_FILE=$name
	start=$(date +%s)
	if [ "$name" = unit ]; then
		# one C program per libmini module, linked with libmini.a
		sh tests/unit.sh build > "$T.log" 2>&1 3>&-
	elif ! sh -c '. "$SRC/tests/testing.sh"; . "$1"' sh \
			"tests/$name.test" > "$T.log" 2>&1 3>&- </dev/null; then
		echo "FAIL: $name: the test file exited non-zero" >> "$RESULTS"
	fi
	[ -s "$RESULTS" ] ||
		echo "FAIL: $name: no result recorded" >> "$RESULTS"
	# times' second line: "0m1.20s 0m0.30s"; not inside $(...), where
	# a subshell would have no children
	times > "$T.times"
	cpu=$(awk 'NR == 2 { u = $1 * 60 + substr($1, index($1, "m") + 1)
		s = $2 * 60 + substr($2, index($2, "m") + 1)
		printf "%.0f", u + s }' "$T.times")
	echo "$name $(($(date +%s) - start)) ${cpu:-0}" >&3
}

# report NAME SECONDS CPU: the line of a file that ended.
total=0 cputotal=0 longest=0 longname=
report() {
	r=build/t/$1.results
	p=$(grep -c '^PASS' "$r") f=$(grep -c '^FAIL' "$r")
	s=$(grep -c '^SKIP' "$r")
	total=$((total + $2)) cputotal=$((cputotal + $3))
	[ "$2" -gt "$longest" ] && { longest=$2; longname=$1; }
	extra=
	[ "$s" -gt 0 ] && extra=", $s skipped"
	log=
	[ "$f" -gt 0 ] && log="; log: build/t/$1.log"
	printf '%-12s %4d passed, %d failed%s, %d s (%d s CPU)%s\n' \
		"$1" "$p" "$f" "$extra" "$2" "$3" "$log"
	grep '^FAIL' "$r"
	# a file that crashed: the end of its log says why
	grep -q -e "^FAIL: $1: no result recorded" \
		-e "^FAIL: $1: the test file exited non-zero" "$r" &&
		tail -n 20 "build/t/$1.log"
	[ -n "${VERBOSE:-}" ] && grep '^PASS' "$r"
	return 0
}

# The pool: a FIFO that each finished file writes its line to.
rm -f build/t/.done
mkfifo build/t/.done || exit 1
exec 3<>build/t/.done
began=$(date +%s)
running=0
for name in $order; do
	while [ "$running" -ge "$JOBS" ]; do
		read -r n secs cpu <&3 && report "$n" "$secs" "$cpu"
		running=$((running - 1))
	done
	run_one "$name" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	read -r n secs cpu <&3 && report "$n" "$secs" "$cpu"
	running=$((running - 1))
done
exec 3>&-
rm -f build/t/.done
wait

for name in $order; do cat "build/t/$name.results"; done >> "$RESULTS"
echo "tests: $(($(date +%s) - began)) s with JOBS=$JOBS; the files' sum" \
	"$total s ($cputotal s CPU), the longest $longname $longest s"
p=$(grep -c '^PASS' "$RESULTS")
f=$(grep -c '^FAIL' "$RESULTS")
s=$(grep -c '^SKIP' "$RESULTS")
if [ "$s" -gt 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" -eq 0 ]
