#!/bin/sh
# run.sh: "make run".  Shows the mail system at work in a scratch root
# (build/run), touching nothing outside it: the cron case end to end.  A
# message is submitted the way cron submits one, listed by mailq,
# delivered by the queue runner, and read back from the mailbox.  The
# demo user is whoever runs it.  (The servers join in as they land.)
set -eu
cd "$(dirname "$0")/.."
bin=$(pwd)/postbox
root=$(pwd)/build/run
user=$(id -un)
rm -rf "$root"
mkdir -p "$root/mqueue" "$root/mail"
chmod 1777 "$root/mail"
cat > "$root/sendmail.cf" <<EOF
# The demo's sendmail.cf: every path inside $root.
O QueueDirectory=$root/mqueue
O PostboxMailbox=mbox:$root/mail/%u
O AliasFile=$root/aliases
EOF
printf 'postmaster: root\n' > "$root/aliases"
[ "$user" = root ] || printf 'root: %s\n' "$user" >> "$root/aliases"
sm() { echo "\$ sendmail $*" | sed "s|$root|build/run|g"; "$bin" sendmail -C "$root/sendmail.cf" "$@"; }

if "$bin" --list | grep -qx newaliases; then
	echo "\$ newaliases"
	"$bin" newaliases -C "$root/sendmail.cf"
fi
echo
echo "# cron mails a job's output (Debian cron's command line, queue-only here"
echo "# so that the queue can be seen before the runner delivers it):"
printf 'Subject: Cron <%s@%s> date\n\n%s\n' "$user" "$(uname -n)" "$(date)" |
	sm -FCronDaemon -i -B8BITMIME -oem -odq "$user"
echo "rc=$?"
echo
echo "\$ mailq"
"$bin" mailq -C "$root/sendmail.cf" | sed "s|$root|build/run|g"
echo
sm -q -v
echo
echo "\$ mailq"
"$bin" mailq -C "$root/sendmail.cf" | sed "s|$root|build/run|g"
echo
echo "\$ cat build/run/mail/$user"
cat "$root/mail/$user"
