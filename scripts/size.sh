#!/bin/sh
# size.sh: "make size".  The stripped size of allnoconfig, defconfig,
# allyesconfig, each configs/NAME_defconfig and one configuration per
# applet (allnoconfig plus that applet), in bytes and KiB, with each
# one's share over allnoconfig.
set -eu
cd "$(dirname "$0")/.."
row() { printf '%-24s %9s %8s %s\n' "$1" "$2" "$3" "$4"; }
sz() { wc -c < "$1" | tr -d ' '; }
kib() { awk "BEGIN { printf \"%.1f\", $1 / 1024 }"; }
row configuration bytes KiB "over allnoconfig"
base=$(sz "$(sh scripts/buildcfg.sh allnoconfig allnoconfig)")
row allnoconfig "$base" "$(kib "$base")" ""
for k in defconfig allyesconfig $(cd configs && ls *_defconfig); do
	s=$(sz "$(sh scripts/buildcfg.sh "$k" "$k")")
	row "$k" "$s" "$(kib "$s")" "+$((s - base))"
done
for a in $(/usr/bin/python3 scripts/configs.py applets); do
	n=$(echo "$a" | tr 'A-Z_' 'a-z-')
	s=$(sz "$(sh scripts/buildcfg.sh "only-$n" single "$a")")
	row "$n only" "$s" "$(kib "$s")" "+$((s - base))"
done
# The maps pair of a router image (README "Size").
s=$(sz "$(sh scripts/buildcfg.sh only-maps single MAKEMAP,NEWALIASES)")
row "makemap+newaliases" "$s" "$(kib "$s")" "+$((s - base))"
# DKIM signing's share: defconfig with CONFIG_DKIM off (README "DKIM
# signing"; router_defconfig leaves it out).
d=build/cfg/no-dkim
mkdir -p "$d"
make -s defconfig CONFIG="$d/.config" >/dev/null
sed -i 's/^CONFIG_DKIM=y$/# CONFIG_DKIM is not set/' "$d/.config"
make -s olddefconfig CONFIG="$d/.config" >/dev/null
make -s BUILD="$d" CONFIG="$d/.config" OUT="$d/postbox" >"$d/build.log" 2>&1 ||
	{ cat "$d/build.log" >&2; exit 1; }
s=$(sz "$d/postbox")
full=$(sz build/cfg/defconfig/postbox)
row "defconfig without DKIM" "$s" "$(kib "$s")" "+$((s - base)) (DKIM: $((full - s)))"
