#!/bin/sh
# bloatcheck.sh BINARY: "make bloatcheck".  Compares the symbols of the
# unstripped binary with the saved baseline (build/bloat/baseline, made on
# the first run or with BASELINE=1) and prints what grew or shrank, biggest
# first, and the total, the way BusyBox's bloat-o-meter does.
set -eu
bin=$1
mkdir -p build/bloat
nm --size-sort -S "$bin" | awk '{ print $4, $2 }' |
while read -r name size; do echo "$name $((0x$size))"; done | sort > build/bloat/current
if [ ! -f build/bloat/baseline ] || [ -n "${BASELINE:-}" ]; then
	cp build/bloat/current build/bloat/baseline
	echo "bloatcheck: baseline saved ($(awk '{ s += $2 } END { print s }' build/bloat/baseline) bytes in symbols)"
	exit 0
fi
join -a1 -a2 -e0 -o 0,1.2,2.2 build/bloat/baseline build/bloat/current |
awk '{ d = $3 - $2; if (d) { printf "%+8d %s\n", d, $1 }; t += d; a += $2; b += $3 }
     END { printf "total: %d -> %d bytes (%+d)\n", a, b, t > "/dev/stderr" }' |
sort -k1,1nr -t' ' | awk '{ print } NR == 40 { print "  ..."; exit }'
