#!/bin/sh
# deps.sh OUT CC AR CFLAGS
#
# Builds the two third-party libraries postbox links, BearSSL and tinycdb,
# from their Debian source packages, with the given compiler, into
# OUT/include and OUT/lib.  Nothing third-party is kept in the repository
# and no archive host is named here: the deb-src entries are derived at run
# time from the machine's own configured deb sources, and apt runs with a
# private state folder (OUT/apt) so the system's apt setup is never touched.
#
# The result is cached: OUT/stamp records the compiler's version and the
# flags, and a second run with the same key does nothing.
set -eu

OUT=$1 CC=$2 AR=${3:-ar} CFLAGS=${4:--Os}
BEARSSL_VER=0.6+dfsg.1-3
TINYCDB_VER=0.78

say() { echo "deps: $*" >&2; }
die() { echo "deps: error: $*" >&2; exit 1; }

# The toolchain and tools this script needs, from Debian's packages.
need=
case $CC in musl-gcc) command -v musl-gcc >/dev/null || need="$need musl-tools" ;; esac
command -v make >/dev/null || need="$need make"
command -v "$AR" >/dev/null || need="$need binutils"
command -v xz >/dev/null || need="$need xz-utils"
command -v gcc >/dev/null || need="$need gcc libc6-dev"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing$need"
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $need >&2 ||
		{ apt-get update -q >&2 &&
		  apt-get install -y -q --no-install-recommends $need >&2; } ||
			die "cannot install$need"
	else
		die "missing tools; run: apt-get install$need"
	fi
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ccver=$($CC --version 2>/dev/null | head -n 1) || die "compiler '$CC' not found"
key="$ccver|$AR|$CFLAGS|$BEARSSL_VER|$TINYCDB_VER"
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$key" ] &&
   [ -f "$OUT/lib/libbearssl.a" ] && [ -f "$OUT/lib/libcdb.a" ]; then
	exit 0
fi

# --- the private apt state ------------------------------------------------
APT=$OUT/apt
SRC=$OUT/src
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" \
	"$APT/cache/archives/partial" "$SRC"

# Every "deb" source the machine has, restated as "deb-src".
srcs=$APT/sources.list.d/postbox.sources
: > "$srcs.new"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk '
		function flush() {
			if (isdeb && uris != "" && suites != "") {
				print "Types: deb-src"; print uris; print suites
				if (comps != "") print comps
				if (signed != "") print signed
				print ""
			}
			isdeb = 0; uris = suites = comps = signed = ""
		}
		/^[ \t]*$/ { flush(); next }
		/^#/ { next }
		/^Types:/ { isdeb = ($0 ~ /[ \t]deb([ \t]|$)/) ; next }
		/^URIs:/ { uris = $0; next }
		/^Suites:/ { suites = $0; next }
		/^Components:/ { comps = $0; next }
		/^Signed-By:/ { signed = $0; next }
		/^Enabled:[ \t]*no/ { isdeb = 0; next }
		END { flush() }' "$f" >> "$srcs.new"
done
lists=$APT/sources.list.d/postbox.list
: > "$lists"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^[ \t]*deb[ \t]/deb-src /p' "$f" >> "$lists"
done
mv "$srcs.new" "$srcs"
[ -s "$srcs" ] || [ -s "$lists" ] || die "no deb sources configured in /etc/apt"

aptopt() {
	set -- -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$APT/sources.list.d" \
		-o Dir::State::Lists="$APT/lists" \
		-o Dir::Cache="$APT/cache" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o Debug::NoLocking=1 -q
	[ "$(id -u)" = 0 ] && set -- "$@" -o APT::Sandbox::User=root
	printf '%s\n' "$@"
}

fetch() {	# fetch PKG VERSION: the source files into $SRC
	pkg=$1 ver=$2
	ls "$SRC/${pkg}_"*.dsc >/dev/null 2>&1 && return 0
	command -v apt-get >/dev/null || die "apt-get is missing: set BEARSSL_DIR and CDB_DIR to prebuilt libraries"
	if [ ! -f "$APT/updated" ]; then
		say "updating the private apt lists (sources only)"
		# shellcheck disable=SC2046
		(IFS='
'; apt-get $(aptopt) update) >&2 || die "apt-get update failed"
		touch "$APT/updated"
	fi
	say "fetching the $pkg source package"
	(cd "$SRC" && IFS='
' && apt-get $(aptopt) source --download-only "$pkg=$ver" >&2) ||
	(say "version $ver not found, taking the suite's $pkg" &&
	 cd "$SRC" && IFS='
' && apt-get $(aptopt) source --download-only "$pkg" >&2) ||
		die "cannot fetch the $pkg source package"
}

fetch bearssl "$BEARSSL_VER"
fetch tinycdb "$TINYCDB_VER"

# --- build ----------------------------------------------------------------
W=$OUT/work
rm -rf "$W"; mkdir -p "$W/bearssl" "$W/tinycdb" "$OUT/include" "$OUT/lib"

# BearSSL: the orig tarball is the whole source (Debian carries no patches).
tb=$(ls "$SRC"/bearssl_*.orig.tar.* | head -n 1)
tar -xf "$tb" -C "$W/bearssl" --strip-components=1
say "building BearSSL with $CC"
# Only the "lib" target: the default one also links tools with the system cc.
make -s -C "$W/bearssl" lib CC="$CC" AR="$AR" BUILD=build \
	CFLAGS="$CFLAGS -W -Wall" >&2 || die "BearSSL build failed"
cp "$W/bearssl/build/libbearssl.a" "$OUT/lib/"
cp "$W/bearssl/inc/"*.h "$OUT/include/"

# tinycdb is a native package: its tarball is the source.
tt=$(ls "$SRC"/tinycdb_*.tar.* | grep -v '\.dsc$' | head -n 1)
tar -xf "$tt" -C "$W/tinycdb" --strip-components=1
say "building tinycdb with $CC"
make -s -C "$W/tinycdb" staticlib CC="$CC" CFLAGS="$CFLAGS" AR="$AR" \
	ARFLAGS=rcs RANLIB=: >&2 || die "tinycdb build failed"
cp "$W/tinycdb/libcdb.a" "$OUT/lib/"
cp "$W/tinycdb/cdb.h" "$OUT/include/"

rm -rf "$W"
printf '%s' "$key" > "$OUT/stamp"
say "BearSSL and tinycdb ready in $OUT"
