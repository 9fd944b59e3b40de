/*
 * privsep: the privilege separation of a mail access server (pop3d and
 * smtpd's AUTH, imapd next; README.md "pop3d").  Started as root, a
 * session splits in two (privsep_split):
 *
 *  - the login child becomes DefaultUser for good and does all the
 *    talking: TLS, the command parser, SASL framing.  It has each login
 *    checked by the monitor (privsep_ask) and, once one succeeded, stays
 *    the TLS end and copies bytes (privsep_relay) or, in plaintext, hands
 *    over the input it had buffered (privsep_handoff) and leaves;
 *  - the monitor stays root and only answers the child's checks
 *    (privsep_monitor), with the protocol's own callbacks; every record
 *    is bounded and parsed here (privsep_parse), never trusted.  After a
 *    good one it takes the session (privsep_take_over), becomes the
 *    mailbox owner for good (privsep_become) and serves it with the
 *    protocol's code; privsep_end then waits for the child.
 *
 * Not started as root, nothing splits: one process does it all as the
 * caller, and privsep_become accepts only the caller's own uid.
 *
 * A server's session, as pop3d's:
 *	privsep_init(&ps, geteuid() == 0, DefaultUser's uid, gid);
 *	if (ps.root && (r = privsep_split(&ps)) == 0) {	// the monitor
 *		if (privsep_monitor(&ps, &checks, ...) == 0 &&
 *		    privsep_take_over(&ps, &in, ..., &out, ...) == 0)
 *			privsep_become(&ps, owner...), open, serve on in/out;
 *		privsep_end(&ps, ...);
 *		return;
 *	}
 *	greet, parse; a login is privsep_ask(&ps, &req, ...) when
 *	ps.chan >= 0 (else checked here, then privsep_become); after an
 *	AUTH_SUCCESS answer, privsep_relay (TLS) or privsep_handoff, exit.
 *
 * The records on the socketpair: TYPE (1 byte), LEN (2 bytes,
 * big-endian), LEN bytes.  Requests, child to monitor:
 *	'P' [tls] user NUL password		a password (USER/PASS)
 *	'D' [tls] user NUL digest		32 hex digits (APOP)
 *	'A' [tls] [allowed] [has initial] mech NUL initial	SASL's start
 *	'S' line				SASL's next response
 *	'I' bytes	the child's last: the input it had buffered
 * Answers: TYPE = the AUTH_* result (or PRIVSEP_DELAYED), payload = the
 * challenge (or the seconds left, in decimal; after AUTH_SUCCESS, the
 * user).
 *
 * A protocol whose session needs no mailbox owner (smtpd: after AUTH the
 * session goes on as it was, only knowing who) has its monitor answer
 * with privsep_serve: no take-over, no become; the child keeps the
 * connection and runs unprivileged to its end.
 */
#ifndef LIBMINI_PRIVSEP_H
#define LIBMINI_PRIVSEP_H

#include <sys/types.h>
#include "auth.h"
#include "io.h"

/* answer: a good password, but too soon (LOGIN-DELAY); payload: the
 * seconds left */
#define PRIVSEP_DELAYED	100
#define PRIVSEP_INPUT_MAX 16384	/* 'I': input handed over, at most */
#define PRIVSEP_RECORD_MAX 0xffff	/* a record's payload, at most */

/* One session's side of the split.  privsep_init fills it. */
struct privsep {
	int root;		/* may switch users (not the login child) */
	uid_t uid;		/* DefaultUser, the login child's for good */
	gid_t gid;
	int chan;		/* the socketpair, -1: no split */
	int secure;		/* monitor: the child said TLS is on */
	int cin, cout;		/* monitor: copies of the connection */
	pid_t child;		/* monitor: the login child */
	char *pre;		/* monitor: the input handed over */
	size_t pre_n, pre_off;
};

/* ROOT: the session runs as root (and may split); UID and GID: the
 * unprivileged DefaultUser for the login child. */
void privsep_init(struct privsep *ps, int root, uid_t uid, gid_t gid);

/* Root for a moment (reading password files, the owner's ids), then back
 * to UID/GID as effective ids.  No-ops when not root. */
void privsep_up(const struct privsep *ps);
void privsep_down(const struct privsep *ps);

/* Forks the login child.  1 in the child, which is DefaultUser for good
 * (ps->root 0; it exits EX_OSERR when it cannot drop root); 0 in the
 * monitor, which keeps copies of fds 0/1 and points 0/1 at /dev/null
 * (the child owns the connection); -1 (logged) when nothing forked. */
int privsep_split(struct privsep *ps);

/* A request: what each TYPE uses is in the list above. */
struct privsep_req {
	int type;		/* 'P', 'D', 'A' or 'S' */
	int tls;		/* P, D, A: the client's connection is TLS */
	int allowed;		/* A: the mechanisms offered (AUTH_*) */
	const char *user;	/* P, D: < AUTH_USER_MAX bytes, not empty */
	const char *text;	/* P: the password (< AUTH_PASS_MAX); D: the
				   32-digit digest; S: the line */
	const char *mech;	/* A */
	const char *initial;	/* A: the initial response, NULL: none */
};

/* One record: TYPE, then N bytes of P.  0, or -1 (N over the max). */
int privsep_send(int fd, int type, const void *p, size_t n);

/* One record into BUF (MAX bytes, NUL-terminated): its type in *TYPE and
 * its length in *N.  -1 on a short read (a truncated record, the peer
 * gone) or when it does not fit (N >= MAX): nothing of it is used. */
int privsep_recv(int fd, int *type, char *buf, size_t max, size_t *n);

/* The request RQ of record TYPE, N bytes in BUF (NUL-terminated, as
 * privsep_recv leaves it; RQ points into it).  0, or -1 when it breaks
 * the format or the bounds above: a hostile child's record. */
int privsep_parse(int type, char *buf, size_t n, struct privsep_req *rq);

/* Login child: sends RQ and reads the answer, its payload into OUT (MAX
 * bytes).  The answer (AUTH_*, PRIVSEP_DELAYED), or -1 when the monitor
 * is gone or RQ breaks the bounds. */
int privsep_ask(struct privsep *ps, const struct privsep_req *rq, char *out,
	size_t max);

/* The protocol's checks, for the monitor.  Each returns an AUTH_* result
 * and logs its failures. */
struct privsep_checks {
	void *ctx;
	const char *host;	/* SASL's (CRAM-MD5's challenge) */
	const char *client;	/* "host [ip]", for the log */
	auth_lookup_fn lookup;	/* SASL's secrets */
	/* NULL: 'P' is not expected (smtpd: SASL only) */
	int (*pass)(void *ctx, const char *user, const char *password);
	/* NULL: 'D' is not expected (a child that sends it is hostile) */
	int (*digest)(void *ctx, const char *user, const char *digest);
	/* NULL, or the seconds USER must wait before logging in (0 none),
	 * asked after a good password */
	long (*delay)(void *ctx, const char *user);
};

/* Monitor: answers the child's requests until a login succeeds, with
 * BUF (MAX bytes, at least AUTH_LINE_MAX + 2) for the records.  0 with
 * the user (UMAX bytes) and the method ("USER", "APOP", the SASL
 * mechanism; HMAX bytes); -1 when the child ended first, sent a record
 * out of order or bounds, or used up AUTH_FAILURES_MAX attempts. */
int privsep_monitor(struct privsep *ps, const struct privsep_checks *k,
	char *buf, size_t max, char *user, size_t umax, char *how,
	size_t hmax);

/* Monitor, after privsep_monitor: the session's reader IN and writer OUT
 * (with their buffers).  Over TLS they are the socketpair (the child
 * relays); in plaintext, its copies of the connection, the child's
 * buffered input read first.  0, or -1 when the child did not hand over. */
int privsep_take_over(struct privsep *ps, struct io *in, char *inbuf,
	size_t inmax, struct io *out, char *outbuf, size_t outmax);

/* For good: the mailbox owner UID/GID, with the group of the folder of an
 * mbox (KIND LOCAL_MBOX, at PATH) that is group-writable (Debian's
 * /var/mail, 2775 root:mail: the dotlock lives there).  Never root; not
 * root before, only the caller's own uid.  0, or -1 with errno. */
int privsep_become(struct privsep *ps, uid_t uid, gid_t gid,
	const char *path, int kind);

/* Login child, after a login: copies bytes between the client (IN, OUT:
 * TLS or not) and the monitor until either side ends or nothing moves for
 * 2 * TIMEOUT_MS.  BUF (MAX bytes) is the copy buffer. */
void privsep_relay(struct privsep *ps, struct io *in, struct io *out,
	char *buf, size_t max, unsigned long timeout_ms);

/* Login child, plaintext: sends what IN holds buffered (at most
 * PRIVSEP_INPUT_MAX bytes, through BUF of MAX) as the last record. */
void privsep_handoff(struct privsep *ps, struct io *in, char *buf,
	size_t max);

/* Monitor of a session that stays the child's (smtpd): closes the copies
 * of the connection, answers logins (privsep_monitor, again after each
 * success: SMTP allows a new AUTH after STARTTLS) until the child ends or
 * breaks the rules, then privsep_end.  BUF as privsep_monitor's.  The
 * number of successful logins. */
int privsep_serve(struct privsep *ps, const struct privsep_checks *k,
	char *buf, size_t max);

/* Monitor: the session is over.  Ends its side, drains what the child
 * still sends (BUF of MAX bytes), closes and waits for the child: its
 * wait status (a signal that killed it is the caller's to report). */
int privsep_end(struct privsep *ps, char *buf, size_t max);

#endif
