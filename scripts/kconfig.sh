#!/bin/sh
# kconfig.sh CONFIG TARGET [ARG]: runs one kconfiglib tool on ./Kconfig with
# KCONFIG_CONFIG=CONFIG.  kconfiglib is Debian's python3-kconfiglib, seen by
# /usr/bin/python3 only; when it is missing, root gets it installed and
# anyone else the exact command to run.
set -eu
config=$1 target=$2; shift 2
py=${PYTHON:-/usr/bin/python3}
if ! "$py" -c 'import kconfiglib' 2>/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "kconfig: installing python3-kconfiglib" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-kconfiglib >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-kconfiglib >&2; }
	else
		echo "kconfig: kconfiglib is missing; run: apt-get install python3-kconfiglib" >&2
		exit 1
	fi
fi
export KCONFIG_CONFIG="$config"
case $target in
defconfig)	exec "$py" -m defconfig --kconfig Kconfig "$1" ;;
savedefconfig)	exec "$py" -m savedefconfig --kconfig Kconfig --out "$1" ;;
menuconfig)	exec "$py" -m menuconfig Kconfig ;;
oldconfig)	exec "$py" -m oldconfig Kconfig ;;
*)		exec "$py" -m "$target" Kconfig ;;
esac
