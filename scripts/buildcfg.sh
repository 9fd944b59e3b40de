#!/bin/sh
# buildcfg.sh NAME KIND [ARG]: builds a configuration into build/cfg/NAME
# (its own .config, objects and binary build/cfg/NAME/postbox), where KIND
# is allnoconfig, defconfig, allyesconfig, random SEED or single APPLET.
# Prints the binary's path.  Used by `make size` and the matrix test.
set -eu
name=$1 kind=$2 arg=${3:-}
dir=build/cfg/$name
mkdir -p "$dir"
cfg=$dir/.config
make -s build/Kconfig.applets >/dev/null
case $kind in
random|single)
	/usr/bin/python3 scripts/configs.py "$kind" "$arg" "$cfg" >/dev/null ;;
*)
	make -s "$kind" CONFIG="$cfg" >/dev/null ;;
esac
make -s BUILD="$dir" CONFIG="$cfg" OUT="$dir/postbox" >"$dir/build.log" 2>&1 ||
	{ cat "$dir/build.log" >&2; exit 1; }
echo "$dir/postbox"
