#!/bin/sh
# deps.sh OUT CC AR CFLAGS [HASHES [ZLIB]]
#
# Builds the third-party libraries postbox links, BearSSL and tinycdb, from
# their Debian source packages, with the given compiler, into OUT/include
# and OUT/lib; and libxcrypt (crypt(3), the library behind Debian's own
# /etc/shadow hashes) with the hash methods HASHES (its configure's
# --enable-hashes list, e.g. "yescrypt,sha512crypt") into
# OUT/xcrypt-HASHES/include and lib, one folder per list, so that
# configurations with different lists can share OUT; and, when ZLIB is 1
# (imapd's COMPRESS=DEFLATE), zlib into OUT/zlib/include and lib.  Nothing
# third-party is kept in the repository
# and no archive host is named here: the deb-src entries are derived at run
# time from the machine's own configured deb sources, and apt runs with a
# private state folder (OUT/apt) so the system's apt setup is never touched.
#
# The result is cached: OUT/stamp, OUT/xcrypt-HASHES/stamp and
# OUT/zlib/stamp record the
# compiler's version and the flags, and a second run with the same key
# does nothing.
set -eu

OUT=$1 CC=$2 AR=${3:-ar} CFLAGS=${4:--Os}
HASHES=${5:-yescrypt,sha512crypt,sha256crypt,md5crypt,bcrypt,bcrypt_a,bcrypt_y}
ZLIB=${6:-0}
BEARSSL_VER=0.6+dfsg.1-3
TINYCDB_VER=0.78
XCRYPT_VER=1:4.4.33-2
ZLIB_VER=1:1.2.13.dfsg-1

say() { echo "deps: $*" >&2; }
die() { echo "deps: error: $*" >&2; exit 1; }

# install PKG...: Debian's packages this script needs (as root), or the
# apt-get line to run.
install() {
	[ $# -gt 0 ] || return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing $*"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q --no-install-recommends "$@" >&2 ||
		{ apt-get update -q >&2 &&
		  apt-get install -y -q --no-install-recommends "$@" >&2; } ||
			die "cannot install $*"
	else
		die "missing tools; run: apt-get install $*"
	fi
}

# The toolchain and tools this script needs, from Debian's packages.
need=
case $CC in musl-gcc) command -v musl-gcc >/dev/null || need="$need musl-tools" ;; esac
command -v make >/dev/null || need="$need make"
command -v "$AR" >/dev/null || need="$need binutils"
command -v xz >/dev/null || need="$need xz-utils"
command -v gcc >/dev/null || need="$need gcc libc6-dev"
# shellcheck disable=SC2086
install $need

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ccver=$($CC --version 2>/dev/null | head -n 1) || die "compiler '$CC' not found"
case $HASHES in
*[!a-z0-9_,]*|'') die "bad hash method list '$HASHES'" ;;
esac
XOUT=$OUT/xcrypt-$(echo "$HASHES" | tr , -)
ZOUT=$OUT/zlib
key="$ccver|$AR|$CFLAGS|$BEARSSL_VER|$TINYCDB_VER"
xkey="$ccver|$AR|$CFLAGS|$XCRYPT_VER|$HASHES"
zkey="$ccver|$AR|$CFLAGS|$ZLIB_VER NO_GZIP"
have_main=0 have_xcrypt=0 have_zlib=1
[ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$key" ] &&
	[ -f "$OUT/lib/libbearssl.a" ] && [ -f "$OUT/lib/libcdb.a" ] &&
	have_main=1
[ -f "$XOUT/stamp" ] && [ "$(cat "$XOUT/stamp")" = "$xkey" ] &&
	[ -f "$XOUT/lib/libcrypt.a" ] && have_xcrypt=1
if [ "$ZLIB" = 1 ]; then
	[ -f "$ZOUT/stamp" ] && [ "$(cat "$ZOUT/stamp")" = "$zkey" ] &&
		[ -f "$ZOUT/lib/libz.a" ] || have_zlib=0
fi
[ $have_main = 1 ] && [ $have_xcrypt = 1 ] && [ $have_zlib = 1 ] && exit 0
if [ $have_zlib = 0 ]; then	# zlib's orig tarball is .tar.bz2
	need=
	command -v bzip2 >/dev/null || need="$need bzip2"
	command -v patch >/dev/null || need="$need patch"
	# shellcheck disable=SC2086
	install $need
fi

# libxcrypt's tarball has no configure: autoreconf makes it.  Its yescrypt
# code includes <linux/mman.h>, from the kernel headers.
if [ $have_xcrypt = 0 ]; then
	need=
	command -v autoreconf >/dev/null || need="$need autoconf"
	command -v aclocal >/dev/null || need="$need automake"
	command -v libtoolize >/dev/null || need="$need libtool"
	command -v pkg-config >/dev/null || need="$need pkg-config"
	command -v perl >/dev/null || need="$need perl"
	command -v patch >/dev/null || need="$need patch"
	[ -f /usr/include/linux/mman.h ] || need="$need linux-libc-dev"
	# shellcheck disable=SC2086
	install $need
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
	command -v apt-get >/dev/null || die "apt-get is missing: set BEARSSL_DIR, CDB_DIR, XCRYPT_DIR (and ZLIB_DIR) to prebuilt libraries"
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

# --- build ----------------------------------------------------------------
build_main() {
	fetch bearssl "$BEARSSL_VER"
	fetch tinycdb "$TINYCDB_VER"
	W=$OUT/work
	rm -rf "$W"; mkdir -p "$W/bearssl" "$W/tinycdb" "$OUT/include" \
		"$OUT/lib"

	# BearSSL: the orig tarball is the whole source (no Debian patches).
	tb=$(ls "$SRC"/bearssl_*.orig.tar.* | head -n 1)
	tar -xf "$tb" -C "$W/bearssl" --strip-components=1
	say "building BearSSL with $CC"
	# Only "lib": the default target also links tools with the system cc.
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
}

# libxcrypt: the orig tarball plus Debian's patches (quilt series), then
# autoreconf, then a static library with only the chosen hash methods and
# no obsolete (glibc-compatible) interfaces.
build_xcrypt() {
	fetch libxcrypt "$XCRYPT_VER"
	W=$XOUT.work
	rm -rf "$W" "$XOUT"
	mkdir -p "$W/src" "$W/build" "$W/kinc"
	tx=$(ls "$SRC"/libxcrypt_*.orig.tar.* | head -n 1)
	tar -xf "$tx" -C "$W/src" --strip-components=1
	td=$(ls "$SRC"/libxcrypt_*.debian.tar.* | head -n 1)
	tar -xf "$td" -C "$W/src"
	if [ -f "$W/src/debian/patches/series" ]; then
		sed 's/#.*//' "$W/src/debian/patches/series" | while read -r p _; do
			[ -n "$p" ] || continue
			patch -s -p1 -d "$W/src" < "$W/src/debian/patches/$p" ||
				die "libxcrypt: Debian patch $p does not apply"
		done
	fi
	say "running autoreconf for libxcrypt"
	(cd "$W/src" && autoreconf -fi) > "$W/autoreconf.log" 2>&1 ||
		{ tail -n 20 "$W/autoreconf.log" >&2; die "libxcrypt autoreconf failed"; }
	# musl-gcc searches no kernel headers: a folder of links to the
	# system's (the multiarch asm folder of the compiler's target).
	arch=$($CC -print-multiarch 2>/dev/null || gcc -print-multiarch 2>/dev/null || true)
	ln -s /usr/include/linux "$W/kinc/linux"
	ln -s /usr/include/asm-generic "$W/kinc/asm-generic"
	if [ -n "$arch" ] && [ -d "/usr/include/$arch/asm" ]; then
		ln -s "/usr/include/$arch/asm" "$W/kinc/asm"
	elif [ -d /usr/include/asm ]; then
		ln -s /usr/include/asm "$W/kinc/asm"
	fi
	# a cross compiler: configure must not run what it builds
	host=
	target=$($CC -dumpmachine 2>/dev/null || true)
	[ -n "$target" ] && [ "$target" != "$(gcc -dumpmachine)" ] &&
		host=--host=$target
	say "building libxcrypt ($HASHES) with $CC"
	# shellcheck disable=SC2086
	(cd "$W/build" && "$W/src/configure" -q $host CC="$CC" AR="$AR" \
		CFLAGS="$CFLAGS" CPPFLAGS="-isystem $W/kinc" --prefix=/ \
		--disable-shared --enable-static --enable-hashes="$HASHES" \
		--enable-obsolete-api=no --disable-werror \
		--disable-xcrypt-compat-files) > "$W/configure.log" 2>&1 ||
		{ tail -n 20 "$W/configure.log" >&2; die "libxcrypt configure failed (log: $W/build/config.log)"; }
	make -s -C "$W/build" -j2 libcrypt.la > "$W/make.log" 2>&1 ||
		{ tail -n 20 "$W/make.log" >&2; die "libxcrypt build failed"; }
	mkdir -p "$XOUT/include" "$XOUT/lib"
	cp "$W/build/.libs/libcrypt.a" "$XOUT/lib/"
	cp "$W/build/crypt.h" "$XOUT/include/"
	rm -rf "$W"
	printf '%s' "$xkey" > "$XOUT/stamp"
	say "libxcrypt ready in $XOUT"
}

# zlib: the orig tarball plus Debian's patches (they touch only minizip,
# which is not built), its own configure (--static), and only the
# library target, with NO_GZIP (zlib's own switch): imapd's raw deflate
# needs no gzip wrapper, and without it deflate and inflate do not link
# crc32's 9 KB of tables.
build_zlib() {
	fetch zlib "$ZLIB_VER"
	W=$ZOUT.work
	rm -rf "$W" "$ZOUT"
	mkdir -p "$W"
	tz=$(ls "$SRC"/zlib_*.orig.tar.* | head -n 1)
	tar -xf "$tz" -C "$W" --strip-components=1
	td=$(ls "$SRC"/zlib_*.debian.tar.* | head -n 1)
	tar -xf "$td" -C "$W"
	if [ -f "$W/debian/patches/series" ]; then
		sed 's/#.*//' "$W/debian/patches/series" | while read -r p _; do
			[ -n "$p" ] || continue
			patch -s -p1 -d "$W" < "$W/debian/patches/$p" ||
				die "zlib: Debian patch $p does not apply"
		done
	fi
	say "building zlib with $CC"
	(cd "$W" && CC="$CC" CFLAGS="$CFLAGS -DNO_GZIP" ./configure --static) \
		> "$W/configure.out" 2>&1 ||
		{ tail -n 20 "$W/configure.out" >&2; die "zlib configure failed"; }
	make -s -C "$W" libz.a AR="$AR" ARFLAGS=rcs RANLIB=: >&2 ||
		die "zlib build failed"
	mkdir -p "$ZOUT/include" "$ZOUT/lib"
	cp "$W/libz.a" "$ZOUT/lib/"
	cp "$W/zlib.h" "$W/zconf.h" "$ZOUT/include/"
	rm -rf "$W"
	printf '%s' "$zkey" > "$ZOUT/stamp"
	say "zlib ready in $ZOUT"
}

[ $have_main = 1 ] || build_main
[ $have_xcrypt = 1 ] || build_xcrypt
[ $have_zlib = 1 ] || build_zlib
