/*
 * auth: password checks and the server side of SASL (RFC 4422) for smtpd
 * (RFC 4954), pop3d (RFC 5034) and imapd (RFC 3501 6.2.2): mechanisms
 * PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login) and CRAM-MD5
 * (RFC 2195), as a state machine the protocol layer drives line by line.
 * EXTERNAL and DIGEST-MD5 are refused (with a log line saying why).
 *
 * Secrets are strings in Dovecot's "{SCHEME}data" form, from a lookup
 * function: the virtual-user file's password field as written, or
 * "{CRYPT}hash" from /etc/shadow (auth_lookup_system).  Schemes: PLAIN,
 * CLEARTEXT, CRYPT, MD5-CRYPT, SHA256-CRYPT, SHA512-CRYPT, BLF-CRYPT
 * (pwhash, on libxcrypt: $y$, $6$, $5$, $1$, $2a$/$2b$/$2y$ by default)
 * and CRAM-MD5 (the HMAC-MD5 contexts as 64 hex digits, as "doveadm pw
 * -s CRAM-MD5" writes them); no prefix means CRYPT, as Dovecot's
 * passwd-file default.  A hash of a method not built in fails its login
 * with a log line that says so.  Comparisons take constant time.
 *
 * Driving it (SMTP, RFC 4954 4; POP3 and IMAP alike):
 *	r = auth_start(&a, mech, auth_offer(set, opts, tls), initial,
 *		myhostname, lookup, lookup_ctx, "host [ip]");
 *	while (r == AUTH_CONTINUE) {
 *		reply "334 " a.out; read a line (at most AUTH_LINE_MAX)
 *		r = auth_step(&a, line without CRLF);
 *	}
 *	AUTH_SUCCESS: 235, a.user is who; otherwise the reply in the enum
 *	below, and after AUTH_FAIL auth_fail_delay(++failures, first),
 *	dropping the connection after AUTH_FAILURES_MAX.
 *
 * Logging: a failure is logged here ("AUTH PLAIN failed for alice from
 * HOST [IP]: bad password"), never with the password; success is the
 * caller's to log (sendmail: "AUTH=server, relay=..., authid=alice,
 * mech=PLAIN").
 */
#ifndef LIBMINI_AUTH_H
#define LIBMINI_AUTH_H
#include <stddef.h>

#define AUTH_USER_MAX	256	/* bytes of a user name, NUL included */
#define AUTH_PASS_MAX	256	/* bytes of a password, NUL included */
#define AUTH_SECRET_MAX	512	/* a stored "{SCHEME}data" */
#define AUTH_LINE_MAX	12288	/* a client's base64 response line */
#define AUTH_FAILURES_MAX 3	/* failed attempts per connection */

/* Mechanisms, as bits of a set. */
#define AUTH_PLAIN	1
#define AUTH_LOGIN	2
#define AUTH_CRAM_MD5	4
#define AUTH_ALL	(AUTH_PLAIN | AUTH_LOGIN | AUTH_CRAM_MD5)
/* Mechanisms that send the password itself (AuthOptions=p: not before
 * TLS). */
#define AUTH_PLAINTEXT	(AUTH_PLAIN | AUTH_LOGIN)

/* The mechanism named NAME (any case), or 0 when unknown; EXTERNAL and
 * DIGEST-MD5 are 0 too, and their refusal is logged with the reason. */
int auth_mech_byname(const char *name);
/* "PLAIN", "LOGIN", "CRAM-MD5" for one mechanism bit; "" otherwise. */
const char *auth_mech_name(int mech);
/* The set named by the words of LIST (AuthMechanisms, e.g. "LOGIN PLAIN"
 * or confAUTH_MECHANISMS's "EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN
 * PLAIN"; blanks or commas between), unknown words logged once and
 * skipped.  NULL or "" gives AUTH_ALL. */
int auth_mechs_parse(const char *list);
/* The same for a list of words (cf's auth_mechs: V, N); N 0 gives
 * AUTH_ALL. */
int auth_mechs_words(char *const *v, size_t n);
/* Writes the names of SET into DST (MAX bytes), space separated, in the
 * order CRAM-MD5 LOGIN PLAIN, for EHLO's "250-AUTH ..." line.  Returns
 * the length (>= MAX: truncated). */
size_t auth_mechs_list(int set, char *dst, size_t max);

/* The mechanisms to offer now: SET, less PLAIN and LOGIN while the
 * connection is not encrypted (TLS 0) when AuthOptions (sendmail's
 * letters, NULL when not configured) has "p" -- postbox's default when
 * AuthOptions is absent (RFC 4954 4: no passwords in the clear). */
int auth_offer(int set, const char *auth_options, int tls);

/* The mechanisms a server (smtpd, pop3d) has for its accounts: those of
 * AuthMechanisms (the words V, N; N 0 gives AUTH_ALL), less CRAM-MD5 when
 * the accounts are the system's (VIRTUAL_USERS NULL or ""): /etc/shadow
 * holds crypt hashes, from which no CRAM-MD5 answer can be checked, and a
 * client offered it (curl, fetchmail) would pay a failed login.  The
 * caller then applies auth_offer for the connection. */
int auth_mechs_server(char *const *v, size_t n, const char *virtual_users);

/*
 * A password back-end: looks USER up and writes its secret
 * ("{SCHEME}data", at most MAX bytes with the NUL) into SECRET.  Returns
 * 1 when found, 0 when there is no such user, -1 on a temporary failure
 * (a file that cannot be read), having logged why.
 */
typedef int (*auth_lookup_fn)(void *ctx, const char *user, char *secret,
	size_t max);

/* The system accounts: getpwnam, then getspnam (reading /etc/shadow needs
 * root or group shadow: keep that group); the secret is "{CRYPT}hash".
 * CTX unused. */
int auth_lookup_system(void *ctx, const char *user, char *secret,
	size_t max);

/* The virtual-user file (Dovecot's passwd-file form, vusers.h): CTX is
 * its path (PostboxVirtualUsers); the secret is the password field as
 * written.  A file with a broken line is a temporary failure (-1, logged
 * as "path:line: message"), whoever is asked for. */
int auth_lookup_vusers(void *ctx, const char *user, char *secret,
	size_t max);

/* Results of auth_check, auth_start and auth_step, with the replies RFC
 * 4954 6 gives them in SMTP. */
enum {
	AUTH_CONTINUE,	/* 334 + a->out: send the challenge, read a line */
	AUTH_SUCCESS,	/* 235 2.7.0: authenticated as a->user */
	AUTH_FAIL,	/* 535 5.7.8: bad user, password or scheme */
	AUTH_MALFORMED,	/* 501 5.5.2: bad base64 or message syntax */
	AUTH_CANCEL,	/* 501 5.0.0: the client answered "*" */
	AUTH_TEMPFAIL,	/* 454 4.7.0: the back-end failed; try later */
	AUTH_NOMECH,	/* 504 5.5.4: unknown or refused mechanism */
};

/* Checks PASSWORD against SECRET ("{SCHEME}data"): AUTH_SUCCESS or
 * AUTH_FAIL (also for an unsupported scheme or a locked account, logged
 * with USER, which is only for the log). */
int auth_check(const char *secret, const char *password, const char *user);

/* Writes Dovecot's "{CRAM-MD5}" secret of PASSWORD into DST (MAX >= 75):
 * what "doveadm pw -s CRAM-MD5" prints.  0, or -1 when MAX is short. */
int auth_cram_secret(const char *password, char *dst, size_t max);

/* One SASL exchange.  Caller-owned; fill it with auth_start. */
struct auth {
	int mech;
	int step;
	auth_lookup_fn lookup;
	void *ctx;
	const char *client;		/* "host [ip]", for the log */
	char user[AUTH_USER_MAX];	/* AUTH_SUCCESS: who (the authcid) */
	char challenge[128];		/* CRAM-MD5's, as sent */
	char out[256];			/* AUTH_CONTINUE: base64, may be "" */
};

/*
 * Starts the mechanism MECH (a name, as the client sent it) with the
 * optional INITIAL response (RFC 4954 4: base64, "=" for an empty one;
 * NULL when none came).  HOSTNAME goes into CRAM-MD5's challenge; LOOKUP
 * with CTX finds secrets; CLIENT names the peer in log lines (kept as a
 * pointer).  Returns AUTH_CONTINUE with the challenge in a->out, or a
 * final result (AUTH_NOMECH for a mechanism that is unknown, refused or
 * not in ALLOWED, a set of AUTH_* bits).
 */
int auth_start(struct auth *a, const char *mech, int allowed,
	const char *initial, const char *hostname, auth_lookup_fn lookup,
	void *ctx, const char *client);
/* Feeds the client's response LINE (the line without its CRLF) after
 * AUTH_CONTINUE.  Returns the next result, as auth_start. */
int auth_step(struct auth *a, const char *line);

/* POP3's APOP (RFC 1939 7): whether DIGEST (32 hex digits, either case)
 * is MD5(STAMP secret) for USER, the secret found with LOOKUP (CTX).
 * Only a secret held in the clear can give it, "{PLAIN}" or
 * "{CLEARTEXT}": a hash (CRYPT, the *-CRYPT schemes) or "{CRAM-MD5}"
 * gives AUTH_NOMECH, logged with the reason.  Also AUTH_SUCCESS;
 * AUTH_FAIL (no such user, a bad digest: logged naming CLIENT);
 * AUTH_MALFORMED (DIGEST not 32 hex digits, STAMP empty); AUTH_TEMPFAIL
 * (the lookup failed).  The digests are compared in constant time. */
int auth_apop(const char *stamp, const char *user, const char *digest,
	auth_lookup_fn lookup, void *ctx, const char *client);

/* The pause before replying to the Nth failed attempt of a connection
 * (N >= 1): 1 s, 2 s, 4 s, ... at most 15 s (RFC 4954 9 asks servers to
 * slow guessing down).  In milliseconds; 0 for N 0. */
unsigned auth_fail_delay_ms(unsigned failures);
/* Sleeps auth_fail_delay_ms(FAILURES) times FIRST, the first pause in
 * seconds (PostboxAuthFailDelay: 1 unless set; 0 sleeps not at all). */
void auth_fail_delay(unsigned failures, long first);

#endif
