#!/bin/sh
# install.sh BINARY DESTDIR PREFIX: "make install".  Installs the binary as
# PREFIX/sbin/postbox and one link per applet where its header says
# (usr/sbin/sendmail, usr/bin/m4 ...), relative to DESTDIR and mapped under
# PREFIX; the links are symbolic and relative, so the tree can be copied
# into an image as it is.  The cf macros go to PREFIX/share/postbox/cf.
set -eu
bin=$1 dest=$2 prefix=$3
case $bin in */*) ;; *) bin=./$bin ;; esac
pfx=${prefix%/}
list=$("$bin" --list-full)	# fails here, not silently in a pipe
install -d "$dest$pfx/sbin"
install -m 0755 "$bin" "$dest$pfx/sbin/postbox"
echo "$list" | while read -r path; do
	dir=${path%/*} name=${path##*/}
	# usr/sbin -> PREFIX/sbin, sbin -> /sbin when PREFIX is /usr, ...
	case $dir in
	usr/*) d=$pfx/${dir#usr/} ;;
	*) [ "$pfx" = /usr ] && d=/$dir || d=$pfx/$dir ;;
	esac
	install -d "$dest$d"
	rel=$(realpath -m --relative-to="$d" "$pfx/sbin/postbox")
	ln -sfn "$rel" "$dest$d/$name"
done
if [ -d configs/cf ]; then
	install -d "$dest$pfx/share/postbox"
	cp -R configs/cf "$dest$pfx/share/postbox/"
fi
echo "installed $dest$pfx/sbin/postbox and $(echo "$list" | wc -l) links"
