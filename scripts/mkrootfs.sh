#!/bin/sh
# mkrootfs.sh [-b BINARY] DESTDIR: the container image's root file system,
# as initscripts/docker/Dockerfile copies it into a FROM scratch image and
# tests/container.test runs it (chroot, network namespaces).  Run as root
# (it sets owners), from the source tree, after "make".
#
# DESTDIR gets: /usr/sbin/postbox (set-group-ID smmsp) and its links, the
# cf macros; /etc/passwd and /etc/group with the mail system's accounts
# only; /etc/mail/sendmail.mc and the sendmail.cf the image's own m4 makes
# from it; aliases and aliases.db made by the image's own newaliases;
# local-host-names; an empty virtual-user file /etc/mail/users (mount
# yours); /etc/mail/tls for the certificate (mount it: the image holds no
# key); the CA bundle of the build host (/etc/ssl/certs/ca-certificates.crt,
# Debian's ca-certificates) for verifying smart hosts; /etc/hosts and
# /etc/resolv.conf (the engine mounts its own over both); the queue
# (root:smmsp 2770), the mailboxes (root:mail 2775), /tmp, /run.
# Every step's error stops the script.
set -eu
bin=./postbox
if [ "${1:-}" = -b ]; then bin=$2; shift 2; fi
[ $# -eq 1 ] ||
	{ echo "usage: mkrootfs.sh [-b BINARY] DESTDIR" >&2; exit 64; }
D=$1
[ "$(id -u)" = 0 ] ||
	{ echo "mkrootfs.sh: run as root (it sets owners)" >&2; exit 77; }
[ -x "$bin" ] || { echo "mkrootfs.sh: no $bin: run make first" >&2; exit 66; }
ca=/etc/ssl/certs/ca-certificates.crt
[ -s "$ca" ] ||
	{ echo "mkrootfs.sh: no $ca: install ca-certificates" >&2; exit 66; }
for a in smtpd sendmail pop3d imapd mailinit m4 newaliases; do
	"$bin" --list | grep -qx "$a" ||
		{ echo "mkrootfs.sh: $bin lacks the $a applet" >&2; exit 78; }
done
src=$(cd "$(dirname "$0")/.." && pwd)

# The accounts: uid/gid numbers of Debian's base-passwd (smmsp as
# sendmail's).  No shell exists in the image.
GID_MAIL=8 GID_SMMSP=25
umask 022
mkdir -p "$D"
sh "$src/scripts/install.sh" "$bin" "$D" /usr >/dev/null
chown root:$GID_SMMSP "$D/usr/sbin/postbox"
chmod 2755 "$D/usr/sbin/postbox"
install -d -m 0755 "$D/etc" "$D/etc/mail" "$D/etc/ssl/certs" \
	"$D/dev" "$D/proc" "$D/var" "$D/var/spool"
install -d -m 0700 "$D/root"
install -d -m 0755 -o root -g root "$D/run"
ln -sfn ../run "$D/var/run"
install -d -m 1777 "$D/tmp"
install -d -m 2770 -o root -g $GID_SMMSP "$D/var/spool/mqueue"
install -d -m 2775 -o root -g $GID_MAIL "$D/var/mail"
install -d -m 0750 -o root -g root "$D/etc/mail/tls"
cat > "$D/etc/passwd" <<EOF
root:x:0:0:root:/root:/nonexistent
mail:x:8:8:mail:/var/mail:/nonexistent
smmsp:x:25:25:mail submission:/var/spool/mqueue:/nonexistent
nobody:x:65534:65534:nobody:/nonexistent:/nonexistent
EOF
cat > "$D/etc/group" <<EOF
root:x:0:
mail:x:$GID_MAIL:
smmsp:x:$GID_SMMSP:
nogroup:x:65534:
EOF
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' > "$D/etc/hosts"
printf '# replaced by the container engine\nnameserver 127.0.0.1\n' \
	> "$D/etc/resolv.conf"
install -m 0644 "$ca" "$D/etc/ssl/certs/ca-certificates.crt"

# /etc/mail: the cf made by the image's own m4 and aliases.db by its own
# newaliases, run inside DESTDIR (the binary is static), so every path in
# them is the image's.
install -m 0644 "$src/initscripts/docker/sendmail.mc" "$D/etc/mail/sendmail.mc"
chroot "$D" /usr/bin/m4 /etc/mail/sendmail.mc > "$D/etc/mail/sendmail.cf.new"
mv "$D/etc/mail/sendmail.cf.new" "$D/etc/mail/sendmail.cf"
printf 'localhost\n' > "$D/etc/mail/local-host-names"
cat > "$D/etc/mail/aliases" <<EOF
# /etc/mail/aliases: run newaliases after a change.
postmaster: root
MAILER-DAEMON: postmaster
abuse: postmaster
hostmaster: postmaster
webmaster: postmaster
mail: postmaster
EOF
chroot "$D" /usr/bin/newaliases
# the virtual users: "user:{SCHEME}hash:uid:gid::home", read by root only
install -m 0600 /dev/null "$D/etc/mail/users"
echo "mkrootfs.sh: $D is ready ($(du -sk "$D" | cut -f1) KiB)"
