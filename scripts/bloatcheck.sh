#!/bin/sh
# bloatcheck.sh [CONFIG]: "make bloatcheck".  Builds CONFIG (defconfig,
# allnoconfig, NAME_defconfig, or a .config file) into build/cfg/NAME with a
# linker map, then prints where the bytes of the static binary go:
#   - per library: postbox's own objects, musl, BearSSL, tinycdb, libxcrypt,
#     zlib;
#   - per object: the bytes each .o or archive member puts in the binary
#     (text and read-only data, data, bss), and for an archive member the
#     object and symbol that pulled it in (the map's first reference, seen
#     before unused sections go: that code may be gone; WHY= below says
#     who still uses a symbol);
#   - the biggest symbols (nm --size-sort) with the object they come from;
#   - what grew or shrank against a saved baseline of the same configuration
#     (build/bloat/NAME, saved on the first run or with BASELINE=1).
# WHY="sym ..." adds the functions that still use each symbol once unused
# sections are gone.  ROWS=N rows per table (default 40, 0 for all).  The
# whole tables are kept in build/cfg/NAME/objects and symbols, the map in
# build/cfg/NAME/postbox.map (its cross-reference table names every
# object that refers to a symbol).  The stripped size is a little more
# than the objects' sum: ELF headers and alignment.
set -eu
cd "$(dirname "$0")/.."
cfg=${1:-defconfig}
rows=${ROWS:-40}
case $cfg in
*/*|.config)
	# A .config of one's own: copied, then built like a named one.
	name=own-$(basename "$(dirname "$(realpath "$cfg")")")
	mkdir -p "build/cfg/$name"
	cp "$cfg" "build/cfg/$name/.config"
	kind=olddefconfig ;;
*)
	name=$cfg kind=$cfg ;;
esac
dir=build/cfg/$name
map=$dir/postbox.map
# The map changes nothing in the binary; relink so that it is written.
rm -f "$dir/postbox.unstripped" "$map"
LDFLAGS="${LDFLAGS:-} -Wl,-Map=$map -Wl,--cref" \
	sh scripts/buildcfg.sh "$name" "$kind" >/dev/null
bin=$dir/postbox
# Hexadecimal to number, for any awk (mawk has no strtonum).
hex='function hex(s,  i, n) { n = 0; s = tolower(s); sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++)
		n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return n }'
unstripped=$dir/postbox.unstripped

# One row per contributing input section: class, address, size, object,
# section.
# Output sections that strip removes (.comment, .note, debug) and the
# discarded ones are not counted.  Archive members are "lib.a(member)".
awk '
/^Archive member included/ { part = "why"; next }
/^Linker script and memory map/ { part = "map"; next }
/^Cross Reference Table/ { part = "" }
part == "why" && /^[^ ]/ { member = $1; if (NF > 1) { sub(/^[^ ]+ +/, ""); print "why", member, $0 }; next }
part == "why" && /^ +[^ ]/ && member != "" { sub(/^ +/, ""); print "why", member, $0; member = ""; next }
part != "map" { next }
/^\.[^ ]/ { out = $1; pending = ""
	skip = out ~ /^\.(comment|note|debug|stab|gnu\.build|line)/
	class = out ~ /^\.t?bss/ ? "bss" : \
		out ~ /^\.(t?data|init_array|fini_array|preinit_array|got|ctors|dtors|tm_clone)/ ? "data" : "text"
	next }
/^ \*fill\*/ || /^ \*\(/ { next }
/^ [.A-Za-z_]/ && NF == 1 { pending = $1; next }
/^ [.A-Za-z_]/ && NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/ {
	if (!skip) print class, $2, $3, $4, $1; pending = ""; next }
/^  +0x/ && NF >= 3 && $2 ~ /^0x/ && pending != "" {
	if (!skip) print class, $1, $2, $3, pending; pending = ""; next }
' "$map" > "$dir/sections"

short() { sed -e "s|$dir/obj/||g" -e 's|[^ ]*/\([^/ ]*\.a(\)|\1|g' \
	-e 's|/usr/lib/[^ ]*/||g' -e 's|build/deps/[^ ]*/||g'; }

# Per object: text (code and read-only data), data, bss, and why it is in.
awk "$hex"'
$1 == "why" { m = $2; $1 = $2 = ""; sub(/^ +/, ""); why[m] = $0; next }
{ n = hex($3); if (!n) next; s[$4, $1] += n; seen[$4] = 1 }
END { for (o in seen)
	printf "%d %d %d %s %s\n", s[o, "text"] + s[o, "data"], s[o, "data"],
		s[o, "bss"], o, (o in why) ? why[o] : "" }
' "$dir/sections" | sort -k1,1nr -k4 | short > "$dir/objects"

lib() { awk '{ l = $4; if (l !~ /\.a\(/) l = (l ~ /^(applets|libmini)\//) ? "postbox" : "crt"
	else sub(/\(.*/, "", l); print l, $1, $3 }'; }
total=$(wc -c < "$bin" | tr -d ' ')
echo "bloatcheck $cfg: $bin $total bytes stripped ($(date -u +%F))"
size "$unstripped" | sed 's/^/  /'
echo
echo "Per library (text = code and read-only data, data included; bss apart):"
lib < "$dir/objects" | awk '{ t[$1] += $2; b[$1] += $3; n[$1]++ }
	END { for (l in t) printf "%9d %7d %4d  %s\n", t[l], b[l], n[l], l }' |
	sort -k1,1nr | awk 'BEGIN { printf "%9s %7s %4s  %s\n", "bytes", "bss", "objs", "library" } { print }'
echo
echo "Per object (biggest first; an archive member with the first reference that pulled it in):"
printf '%8s %6s %6s  %-34s %s\n' bytes data bss object "pulled in by"
awk -v rows="$rows" 'rows && NR > rows { exit }
	{ why = ""; for (i = 5; i <= NF; i++) why = why " " $i
	  printf "%8d %6d %6d  %-34s%s\n", $1, $2, $3, $4, why }' "$dir/objects"
echo
echo "Biggest symbols (nm --size-sort; T/t code, R/r read-only, D/d data, B/b bss):"
printf '%8s %s  %-32s %s\n' bytes t symbol object
# Each symbol's object: the input section whose range holds its address.
# Merged constants and strings (.rodata.str1.1) overlap in the map: left out.
{ sort -k2,2 "$dir/sections" |
	awk '$1 != "why" && $5 !~ /\.(str|cst)[0-9]/ { print "S", $2, $3, $4 }'
  nm -S --size-sort "$unstripped" | awk 'NF == 4 { print "Y", "0x" $1, "0x" $2, $3, $4 }'
} | awk "$hex"'
$1 == "S" { a = hex($2); if (!hex($3)) next; lo[++ns] = a; hi[ns] = a + hex($3); ob[ns] = $4; next }
{ a = hex($2); l = 1; h = ns; o = "?"
  while (l <= h) { m = int((l + h) / 2)
	if (a < lo[m]) h = m - 1; else if (a >= hi[m]) l = m + 1; else { o = ob[m]; break } }
  printf "%d %s %s %s %s\n", hex($3), $4, $5, o, $2 }
' | sort -k1,1nr -k3 | short > "$dir/symbols"
awk -v rows="$rows" 'rows && NR > rows { exit }
	{ printf "%8d %s  %-32s %s\n", $1, $2, $3, $4 }' "$dir/symbols"

# WHY="sym ...": the functions of the linked binary that call or load each
# symbol (after section GC, unlike the map's cross references).
for sym in ${WHY:-}; do
	echo
	echo "Who uses $sym in the linked binary:"
	objdump -d --no-show-raw-insn "$unstripped" | awk -v s="<$sym>" '
		/^[0-9a-f]+ <.*>:$/ { f = substr($2, 2, length($2) - 3); next }
		index($0, s) && !(f in seen) { seen[f] = 1; print "  " f }'
done

# Against the baseline: the symbols that grew or shrank.
mkdir -p build/bloat
base=build/bloat/$name
# Keyed by object and name (static names such as t0_codeblock repeat);
# an alias (vfscanf and __isoc99_vfscanf) counts once.
awk '!seen[$5]++ { s[$4 ":" $3] += $1 } END { for (k in s) print k, s[k] }' "$dir/symbols" |
	sort > "$dir/symbols.sorted"
if [ ! -f "$base" ] || [ -n "${BASELINE:-}" ]; then
	cp "$dir/symbols.sorted" "$base"
	echo
	echo "bloatcheck: baseline saved in $base"
	exit 0
fi
echo
echo "Against the baseline $base (BASELINE=1 saves a new one):"
join -a1 -a2 -e0 -o 0,1.2,2.2 "$base" "$dir/symbols.sorted" |
awk '{ d = $3 - $2; if (d) printf "%+8d %s\n", d, $1; t += d; a += $2; b += $3 }
     END { printf "%+8d total in symbols: %d -> %d\n", t, a, b }' |
sort -k1,1nr | awk -v rows="$rows" '{ print } rows && NR == rows { print "  ..."; exit }'
