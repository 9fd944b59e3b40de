#!/bin/sh
# setup.sh: installs what the tests need from Debian's packages, when run as
# root: the toolchain, kconfiglib, and every package a test file names on a
# line "# needs: pkg ...".  Never another MTA and never a service: a test
# that needs a package carrying an MTA dependency unpacks it privately
# (apt-get download + dpkg -x) itself.  As non-root, prints what is missing.
set -u
cd "$(dirname "$0")/.."
pkgs="make gcc musl-tools python3 python3-kconfiglib file"
pkgs="$pkgs $(sed -n 's/^# needs:[ \t]*//p' tests/*.test 2>/dev/null | tr ' \t' '\n\n' | sort -u | tr '\n' ' ')"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "tests: missing packages; run: apt-get install$missing" >&2
	exit 0
fi
echo "tests: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
	apt-get update -q >/dev/null 2>&1
	apt-get install -y -q --no-install-recommends $missing >&2
}
