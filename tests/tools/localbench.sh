#!/bin/sh
# localbench.sh POSTBOX [N]: local delivery speed and processes (as root;
# README "The mail flow").  Virtual users u1-u3 (uids 6001-6003) with
# mboxes in a root:mail 2775 spool under a scratch folder in /tmp.
#  1. N one-recipient messages (2 KB) to u1..u3 queued with -odq, then
#     one timed "sendmail -q" (batches), and again under strace -f to
#     count the processes made;
#  2. N/3 messages to u1 u2 u3 each, the same;
#  3. N messages delivered one by one with -odi (a process each anyway).
# N is at most 3000.
P=$1 N=${2:-300}
[ -x "$P" ] && [ "$N" -ge 3 ] && [ "$N" -le 3000 ] ||
	{ echo "usage: localbench.sh POSTBOX [N, 3..3000]" >&2; exit 64; }
B=$(mktemp -d /tmp/localbench.XXXXXX) || exit 1
chmod 755 "$B"
mkdir -p "$B/q" "$B/mail" "$B/h1" "$B/h2" "$B/h3"
chgrp mail "$B/mail" && chmod 2775 "$B/mail"
for i in 1 2 3; do
	echo "u$i::600$i:600$i::$B/h$i"
	chown "600$i" "$B/h$i"
done > "$B/vusers"
printf 'postmaster: root\n' > "$B/aliases"
cat > "$B/cf" <<EOF
Djbench.example
Cwbench.example
O QueueDirectory=$B/q
O AliasFile=$B/aliases
O PostboxMailbox=mbox:$B/mail/%u
O PostboxVirtualUsers=$B/vusers
EOF
"$P" newaliases -C "$B/cf" >/dev/null 2>&1
body=$(head -c 2000 /dev/zero | tr '\0' x)
now() { date +%s.%N; }
# queue COUNT RCPT...: COUNT messages queued, to RCPT, or u1..u3 in turn
queue() {
	n=$1; shift; i=0
	while [ $i -lt "$n" ]; do
		printf 'Subject: m %d\n\n%s\n' $i "$body" |
			"$P" sendmail -C "$B/cf" -odq ${1:+"$@"} \
			$([ $# = 0 ] && echo u$((i % 3 + 1)))
		i=$((i + 1))
	done
}
# run WHAT DELIVERIES: times one queue run, then counts a second one's
# processes (the queue is filled again by the caller's REFILL)
run() {
	t0=$(now); "$P" sendmail -C "$B/cf" -q; t1=$(now)
	echo "$1: $2 deliveries in $(echo "$t1 - $t0" | bc) s," \
		"$(echo "$2 / ($t1 - $t0)" | bc) deliveries/s"
}
forks() {
	strace -f -qq -o "$B/forks" -e trace=clone,clone3,fork,vfork \
		"$P" sendmail -C "$B/cf" -q
	echo "  processes made: $(grep -c 'clone\|fork' "$B/forks")" \
		"for $1 deliveries"
}
queue "$N"; run "one recipient each" "$N"
queue "$N"; forks "$N"
M=$((N / 3))
queue $M u1 u2 u3; run "3 recipients each" $((M * 3))
queue $M u1 u2 u3; forks $((M * 3))
t0=$(now); i=0
while [ $i -lt "$N" ]; do
	printf 'Subject: m %d\n\n%s\n' $i "$body" |
		"$P" sendmail -C "$B/cf" -odi u$((i % 3 + 1))
	i=$((i + 1))
done
t1=$(now)
echo "-odi, one process each: $N in $(echo "$t1 - $t0" | bc) s," \
	"$(echo "$N / ($t1 - $t0)" | bc) msg/s"
echo "left in the queue: $(ls "$B/q" | wc -l); in the mailboxes:" \
	"$(cat "$B"/mail/u? | grep -c '^From ') of $((N * 3 + M * 6))"
rm -rf "$B"
