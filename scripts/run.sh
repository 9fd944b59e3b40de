#!/bin/sh
# run.sh: "make run".  Builds nothing itself (make did) and touches nothing
# outside build/run: a scratch root with a sendmail.cf, aliases, an access
# map, a queue and mailboxes, and a demo user "demo" (password "demo", a
# virtual user: PostboxVirtualUsers).
#   1. the cron case: a message submitted the way cron does, seen in mailq,
#      delivered by the queue runner;
#   2. the mail system: smtpd on 127.0.0.1:2525 and a queue runner, in the
#      foreground until Ctrl-C (or RUN_SECONDS=N), with a message sent to
#      demo over SMTP and shown in its mailbox, read back over POP3 and
#      IMAP.
set -eu
cd "$(dirname "$0")/.."
bin=$(pwd)/postbox
root=$(pwd)/build/run
[ -n "$root" ] && [ -x "$bin" ] || exit 1
smtp_port=${SMTP_PORT:-2525}
submission_port=${SUBMISSION_PORT:-2587}
pop3_port=${POP3_PORT:-2110}
pop3s_port=${POP3S_PORT:-2995}
imap_port=${IMAP_PORT:-2143}
imaps_port=${IMAPS_PORT:-2993}
user=$(id -un)
has() { "$bin" --list | grep -qx "$1"; }
show() { sed "s|$root|build/run|g"; }

# Stop what an earlier run left behind.
for p in "$root"/*.pid; do
	[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
done
rm -rf "$root"
mkdir -p "$root/mqueue" "$root/mail" "$root/home/demo"
chmod 1777 "$root/mail"
# The demo user: as root an unprivileged uid (deliveries run as it), else
# the caller's own.
if [ "$(id -u)" = 0 ]; then
	duid=$(id -u nobody) dgid=$(id -g nobody)
	# smtpd's sessions run as DefaultUser (nobody) with the queue's group.
	chgrp "$dgid" "$root/mqueue"; chmod 2770 "$root/mqueue"
	chown "$duid:$dgid" "$root/home/demo"
else
	duid=$(id -u) dgid=$(id -g)
fi
echo "demo:{PLAIN}demo:$duid:$dgid::$root/home/demo" > "$root/users"

# A self-signed certificate for the TLS services (STLS/STARTTLS, 995, 993).
tls=
if has pop3d || has smtpd || has imapd; then
	if ! command -v openssl >/dev/null && [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >/dev/null 2>&1 || true
	fi
	if command -v openssl >/dev/null &&
	   openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
		-keyout "$root/key.pem" -out "$root/cert.pem" -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost >/dev/null 2>&1; then
		chmod 0600 "$root/key.pem"
		tls=1
	else
		echo "(no openssl: POP3 without TLS; apt-get install openssl)"
	fi
fi

cat > "$root/sendmail.cf" <<EOF
# The demo's sendmail.cf: every path inside build/run.
Djmail.example.test
Cwlocalhost mail.example.test example.test
O DaemonPortOptions=Port=$smtp_port,Addr=127.0.0.1,Name=MTA
O QueueDirectory=$root/mqueue
O PostboxMailbox=mbox:$root/mail/%u
O PostboxVirtualUsers=$root/users
O AliasFile=$root/aliases
O DefaultUser=nobody
O SmtpGreetingMessage=\$j postbox demo; \$b
Kaccess hash -o $root/access
O PostboxPop3PortOptions=Port=$pop3_port, Addr=127.0.0.1, Name=POP3
O PostboxImapPortOptions=Port=$imap_port, Addr=127.0.0.1, Name=IMAP
O PostboxImapFolders=$root/home/%u/mail
EOF
if [ -n "$tls" ]; then
	cat >> "$root/sendmail.cf" <<EOF
O ServerCertFile=$root/cert.pem
O ServerKeyFile=$root/key.pem
O PostboxPop3PortOptions=Port=$pop3s_port, Addr=127.0.0.1, Name=POP3S, M=s
O PostboxImapPortOptions=Port=$imaps_port, Addr=127.0.0.1, Name=IMAPS, M=s
O DaemonPortOptions=Port=$submission_port,Addr=127.0.0.1,Name=MSA,M=Ea
EOF
else
	# Without TLS, let the demo's password go in plain text on loopback.
	echo "O AuthOptions=" >> "$root/sendmail.cf"
fi
cat > "$root/aliases" <<EOF
postmaster: root
root: demo
webmaster: demo
EOF
printf 'Connect:127.0.0.1\tRELAY\nFrom:spammer@example.com\tREJECT\n' > "$root/access"
sm() { echo "\$ sendmail $*" | show; "$bin" sendmail -C "$root/sendmail.cf" "$@"; }

echo "== the maps"
if has makemap; then
	echo "\$ makemap hash build/run/access < build/run/access"
	"$bin" makemap hash "$root/access" < "$root/access"
fi
if has newaliases; then
	echo "\$ newaliases"
	"$bin" newaliases -C "$root/sendmail.cf" | show
fi

echo
echo "== the cron case: Debian cron's command line (queue-only here, so"
echo "   the queue can be seen before the runner delivers it)"
printf 'Subject: Cron <%s@%s> date\n\n%s\n' "$user" "$(uname -n)" "$(date)" |
	sm -FCronDaemon -i -B8BITMIME -oem -odq root
echo "\$ mailq"
"$bin" mailq -C "$root/sendmail.cf" | show
sm -q -v 2>&1 | show
echo "\$ tail -n 3 build/run/mail/demo"
tail -n 3 "$root/mail/demo"

if ! has smtpd; then
	echo "(smtpd is not compiled into this postbox: done)"
	exit 0
fi

echo
echo "== the mail system on 127.0.0.1:$smtp_port"
if /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1).close()" 2>/dev/null; then
	echo "run: 127.0.0.1:$smtp_port is taken by another program; try SMTP_PORT=NNNN make run" >&2
	exit 1
fi
"$bin" smtpd -C "$root/sendmail.cf" 2>>"$root/smtpd.log" &
echo $! > "$root/smtpd.pid"
"$bin" sendmail -C "$root/sendmail.cf" -q1m 2>>"$root/queue.log" &
echo $! > "$root/queue.pid"
if has pop3d; then
	"$bin" pop3d -C "$root/sendmail.cf" 2>>"$root/pop3d.log" &
	echo $! > "$root/pop3d.pid"
fi
if has imapd; then
	"$bin" imapd -C "$root/sendmail.cf" 2>>"$root/imapd.log" &
	echo $! > "$root/imapd.pid"
fi
stop() {
	for p in "$root"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
		rm -f "$p"
	done
}
trap 'stop; echo; echo "stopped"; exit 0' INT TERM
trap stop EXIT

# Wait (bounded) for the listener, then send demo a message over SMTP.
i=0
while [ $i -lt 50 ]; do
	/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1).close()" 2>/dev/null && break
	sleep 0.1; i=$((i + 1))
done
/usr/bin/python3 - "$smtp_port" <<'EOF' || echo "(the SMTP demo message failed: see build/run/smtpd.log)"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    print("$ telnet 127.0.0.1 %s   (Python smtplib here)" % sys.argv[1])
    print("  " + s.ehlo("client.example.test")[1].decode().replace("\n", "\n  "))
    s.sendmail("alice@example.org", ["demo@example.test"],
               "From: alice@example.org\r\nTo: demo@example.test\r\n"
               "Subject: hello over SMTP\r\n\r\nHi demo.\r\n")
    print("  message accepted")
EOF
i=0
while [ $i -lt 50 ] && ! grep -q 'hello over SMTP' "$root/mail/demo" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
echo "\$ grep '^Subject:' build/run/mail/demo"
grep '^Subject:' "$root/mail/demo" || true

if [ -n "$tls" ]; then
	/usr/bin/python3 - "$submission_port" "$root/cert.pem" <<'EOF' || echo "(the submission demo failed: see build/run/smtpd.log)"
import smtplib, ssl, sys
port, cert = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cert)
ctx.check_hostname = False
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    print("$ submission on 127.0.0.1:%d: STARTTLS, AUTH as demo/demo (Python smtplib)" % port)
    s.starttls(context=ctx)
    s.login("demo", "demo")
    s.sendmail("demo@example.test", ["demo@example.test"],
               "From: demo@example.test\r\nTo: demo@example.test\r\n"
               "Subject: hello over submission\r\n\r\nSent with TLS and AUTH.\r\n")
    print("  message accepted")
EOF
	i=0
	while [ $i -lt 50 ] && ! grep -q 'hello over submission' "$root/mail/demo" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
fi
if has pop3d; then
	/usr/bin/python3 - "$pop3_port" "$root/cert.pem" "$tls" <<'EOF' || echo "(the POP3 demo failed: see build/run/pop3d.log)"
import poplib, ssl, sys
port, cert, tls = int(sys.argv[1]), sys.argv[2], sys.argv[3]
p = poplib.POP3("127.0.0.1", port, timeout=10)
print("$ POP3 on 127.0.0.1:%d as demo/demo%s (Python poplib)" %
      (port, " after STLS" if tls else ""))
if tls:
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False
    p.stls(ctx)
p.user("demo"); p.pass_("demo")
n, size = p.stat()
print("  STAT: %d messages, %d octets" % (n, size))
for line in p.top(n, 0)[1]:
    if line.startswith(b"Subject:"):
        print("  message %d: %s" % (n, line.decode()))
p.quit()
EOF
fi
if has imapd; then
	/usr/bin/python3 - "$imap_port" "$root/cert.pem" "$tls" <<'EOF' || echo "(the IMAP demo failed: see build/run/imapd.log)"
import imaplib, ssl, sys, time
port, cert, tls = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(50):
    try:
        c = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        break
    except OSError:
        time.sleep(0.1)
print("$ IMAP on 127.0.0.1:%d as demo/demo%s (Python imaplib)" %
      (port, " after STARTTLS" if tls else ""))
if tls:
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False
    c.starttls(ctx)
c.login("demo", "demo")
typ, d = c.select("INBOX")
print("  SELECT INBOX: %s messages" % d[0].decode())
typ, d = c.fetch(d[0], "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
print("  the last one: %s" % d[0][1].decode().strip())
print("  folders: %s" % " ".join(l.decode().split('"/" ')[1] for l in c.list()[1]))
c.logout()
EOF
fi

pids="smtpd pid $(cat "$root/smtpd.pid"), queue runner pid $(cat "$root/queue.pid")"
for d in pop3d imapd; do
	[ -f "$root/$d.pid" ] && pids="$pids, $d pid $(cat "$root/$d.pid")"
done
cat <<EOF

postbox is running ($pids):
  telnet 127.0.0.1 $smtp_port                      talk SMTP by hand
  swaks --server 127.0.0.1:$smtp_port --to demo@example.test
  swaks --server 127.0.0.1:$submission_port --tls --auth PLAIN --auth-user demo --auth-password demo --to someone@example.org
  ./postbox mailq -C build/run/sendmail.cf      the queue
  less build/run/mail/demo                      demo's mailbox (mbox)
  curl --ssl-reqd -k --user demo:demo pop3://127.0.0.1:$pop3_port/1     POP3 with STLS
  curl -k --user demo:demo pop3s://127.0.0.1:$pop3s_port/           POP3 over TLS
  Thunderbird/Evolution: POP3 server 127.0.0.1, port $pop3s_port (SSL/TLS) or $pop3_port (STARTTLS), user demo, password demo
  curl --ssl-reqd -k --user demo:demo imap://127.0.0.1:$imap_port/INBOX     IMAP with STARTTLS
  curl -k --user demo:demo 'imaps://127.0.0.1:$imaps_port/INBOX;UID=1'    IMAP over TLS: the first message
  Thunderbird/K-9/mutt: IMAP server 127.0.0.1, port $imaps_port (SSL/TLS) or $imap_port (STARTTLS), user demo, password demo
  build/run/smtpd.log, build/run/queue.log, build/run/pop3d.log, build/run/imapd.log      the daemons' logs
Ctrl-C stops it.
EOF
if [ -n "${RUN_SECONDS:-}" ]; then
	sleep "$RUN_SECONDS"
	exit 0
fi
wait
