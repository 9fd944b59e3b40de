/*
 * pop3d: the POP3 server (RFC 1939) on the mailboxes the MTA delivers to
 * (PostboxMailbox, README "pop3d and the mailboxes"), for Evolution,
 * Thunderbird, fetchmail and getmail.
 *
 * One session function speaks on fds 0/1: `pop3d -i` (inetd, tcpsvd, s6,
 * the tests) calls it directly; the built-in listener binds every
 * PostboxPop3PortOptions socket (DaemonPortOptions' syntax; default
 * 127.0.0.1 port 110, and 995 with M=s when ServerCertFile is set), forks
 * per connection and calls the same function; MaxDaemonChildren,
 * ConnectionRateThrottle and the access map's ClientConn: limit it, as
 * they limit smtpd's.
 *
 * Extensions: CAPA (RFC 2449) with RESP-CODES ([IN-USE], [AUTH],
 * [SYS/TEMP], [SYS/PERM], [LOGIN-DELAY]) and AUTH-RESP-CODE, STLS (RFC
 * 2595; plaintext pipelined after it is refused and the session ends,
 * never read as if it came over TLS),
 * SASL AUTH (RFC 5034: PLAIN, LOGIN, CRAM-MD5), implicit TLS (M=s, port
 * 995).  Passwords: PostboxVirtualUsers, then the system accounts (the
 * same back-ends as smtpd); USER/PASS and plaintext SASL only over TLS
 * unless AuthOptions lacks "p" (auth_offer).
 *
 * Privileges (Dovecot's login/mail split): a session started as root
 * forks a login child that becomes DefaultUser for good and does all
 * the talking (TLS, the command parser, SASL framing); the root process
 * only answers its password checks over a socketpair.  After a login it
 * becomes the mailbox owner (system or virtual user) for good, opens the
 * mailbox and serves it: over TLS through the child, which stays the TLS
 * end and copies bytes; in plaintext on its own copy of the connection,
 * the child handing over the input it had read and leaving (Dovecot
 * passes the fd the same way), so a RETR costs no extra copy.  Root
 * cannot log in.  Not started as root, one process does it all as the
 * caller.  The scheme is libmini's (privsep.h, for imapd too); this
 * file gives it the POP3 checks (USER/PASS, APOP, SASL, LOGIN-DELAY).
 *
 * The maildrop is locked for the session (mailbox.h: a second login gets
 * [IN-USE]); mail delivered meanwhile is kept and shows next session.
 * Deletions happen only in the UPDATE state after QUIT.
 *
 * APOP (RFC 1939 7) only with PostboxPop3Apop=true: then the greeting
 * carries a "<pid.random.time@host>" timestamp (clients such as
 * BusyBox's popmaildir switch to APOP on seeing one; fetchmail with
 * "protocol apop"), and the digest is checked against the user's secret
 * in the clear, which only a PostboxVirtualUsers {PLAIN} password is:
 * hashed secrets (system accounts, *-CRYPT, {CRAM-MD5}) get a clear
 * -ERR [AUTH] and a log line.  Without it, no timestamp and APOP is -ERR.
 *
 * LOGIN-DELAY (RFC 2449 6.5) with PostboxPop3LoginDelay=SECONDS: in CAPA,
 * and a login sooner than that after the last one of the same mailbox
 * gets -ERR [LOGIN-DELAY] and stays in AUTHORIZATION; the last login
 * time is the mtime of an empty file beside the mailbox's uidlist
 * (login_record).
 *
 * Left out: LAST (RFC 1725, removed in 1939: -ERR), the EXPIRE policy
 * (never announced).
 */
//applet:pop3d usr/sbin drop
//man:POP3 server on the mailboxes the MTA delivers to
//man:pop3d serves the mailboxes named by PostboxMailbox over POP3 (RFC 1939),
//man:with STLS, implicit TLS and SASL; passwords come from
//man:PostboxVirtualUsers or the system accounts.
//config:config POP3D
//config:	bool "pop3d: POP3 server (RFC 1939, STLS, SASL)"
//config:	default y
//config:	help
//config:	  The POP3 server on the mailboxes the MTA delivers to:
//config:	  ports 110/995 or inetd mode (-i), STLS, SASL AUTH.
//usage:usage: pop3d [-C FILE] [-b] [-i [-s]] [-v] [-p PIDFILE]
//usage:
//usage:Serve POP3 on every PostboxPop3PortOptions (default 127.0.0.1:110, and
//usage:995 with TLS when ServerCertFile is set), in the foreground logging to
//usage:stderr, or with -i on stdin/stdout.
//usage:
//usage:-C FILE	configuration (default /etc/mail/sendmail.cf)
//usage:-b	detach, log to syslog, write a pidfile
//usage:-i	one session on stdin/stdout (inetd, tcpsvd, s6)
//usage:-s	with -i: implicit TLS first (port 995 under inetd or tcpsvd)
//usage:-p FILE	the pidfile of -b (default /var/run/pop3d.pid)
//usage:-v	verbose: log every command
//usage:
//usage:cf options: PostboxPop3PortOptions (listeners), PostboxPop3Apop=true
//usage:(APOP: a timestamp in the greeting; {PLAIN} virtual users only),
//usage:PostboxPop3LoginDelay=SECONDS (RFC 2449 LOGIN-DELAY, e.g. 15m).
#define _GNU_SOURCE
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CMD_MAX		255	/* RFC 2449 4: a command line, with CRLF */
#define OUT_BUF		65536	/* RETR goes out in large writes */
#define TLS_TIMEOUT	60
#define ERRORS_MAX	20	/* unknown commands, then close */

struct ctx {
	struct cf *cf;
	const char *cfpath;
	int verbose;
	int root;		/* started as root: switch users */
	int implicit;		/* -i -s: TLS before the greeting */
	uid_t pre_uid;		/* DefaultUser, before the login */
	gid_t pre_gid;
	struct tls_server_config *tls;
};

enum { ST_AUTH, ST_TRANS };

struct pop3 {
	struct ctx *c;
	const struct cf *cf;
	const struct net_listener *l;
	struct net_peer peer;
	char client[NET_HOST_MAX + NET_IP_MAX + 8];	/* "host [ip]" */
	char host[256];		/* $j */
	struct io in, out;
	struct tls *tls;
	struct privsep ps;	/* the login child and its monitor */
	int handoff;		/* login child: the monitor took the session */
	int state;
	int quit;
	unsigned failures, errors;
	char stamp[320];	/* APOP's "<pid.rand.time@host>", "": off */
	char user[AUTH_USER_MAX];	/* from USER */
	char login[AUTH_USER_MAX];	/* who logged in */
	struct mailbox mb;
	struct mailbox_reader *rd;	/* RETR's and TOP's, made once */
	char *stage;		/* emit's, 2 * sizeof body, made once */
	unsigned long retr, dele;
	off_t retr_bytes;
	char inbuf[AUTH_LINE_MAX + 2], outbuf[OUT_BUF];
	char line[AUTH_LINE_MAX + 2];
	char body[16384];
};

/* RFC 1939 3: the autologout timer, at least 10 minutes
 * (PostboxPop3Timeout; only tests set it shorter; 0 is the 10 minutes),
 * at most a day. */
static unsigned long timeout_ms(const struct pop3 *s)
{
	long t = s->cf->opt.pop3_timeout;

	return (t < 1 ? 600 : t > 86400 ? 86400 : t) * 1000UL;
}

static void reply(struct pop3 *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply(struct pop3 *s, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (s->c->verbose)
		log_msg(LOG_DEBUG, ">>> %s", text);
	io_puts(&s->out, text);
	io_puts(&s->out, "\r\n");
}

/* --- privileges ----------------------------------------------------------- */

/* PostboxVirtualUsers, then the system accounts (auth.h). */
static int lookup(void *arg, const char *user, char *secret, size_t max)
{
	struct pop3 *s = arg;
	const char *vu = s->cf->opt.virtual_users;
	int r = 0;

	privsep_up(&s->ps);
	if (vu && *vu)
		r = auth_lookup_vusers((void *)vu, user, secret, max);
	if (r == 0 && CFG_AUTH)
		r = auth_lookup_system(NULL, user, secret, max);
	privsep_down(&s->ps);
	return r;
}

/* Who USER is: uid, gid, home, from the virtual users or passwd.  1, 0
 * unknown or without ids (no mailbox), -1 temporary. */
static int owner(struct pop3 *s, const char *user, uid_t *uid, gid_t *gid,
	char *home, size_t max)
{
	const char *vu = s->cf->opt.virtual_users;
	struct vusers_entry e;
	struct passwd *pw;
	char err[512];
	int r = 0;

	if (vu && *vu) {
		privsep_up(&s->ps);
		r = vusers_lookup(vu, user, &e, err, sizeof err);
		privsep_down(&s->ps);
		if (r < 0) {
			log_msg(LOG_ERR, "%s", err);
			return -1;
		}
		if (r > 0) {
			if (!e.has_ids)
				return 0;
			*uid = e.uid;
			*gid = e.gid;
			str_lcpy(home, e.home, max);
			return 1;
		}
	}
	errno = 0;
	if (!(pw = getpwnam(user)))
		return errno && errno != ENOENT ? -1 : 0;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	str_lcpy(home, pw->pw_dir ? pw->pw_dir : "", max);
	return 1;
}

/* --- login ---------------------------------------------------------------- */

static int plaintext_ok(struct pop3 *s)
{
	return (auth_offer(AUTH_PLAINTEXT, s->cf->opt.auth_options,
		s->tls != NULL) & AUTH_PLAINTEXT) != 0;
}

static int mechs(struct pop3 *s)
{
	const struct cf_opts *o = &s->cf->opt;

	return auth_offer(auth_mechs_server(o->auth_mechs.v, o->auth_mechs.n,
		o->virtual_users), o->auth_options, s->tls != NULL);
}

static void failed(struct pop3 *s, const char *text)
{
	auth_fail_delay(++s->failures, s->cf->opt.auth_fail_delay);
	reply(s, "-ERR [AUTH] %s", text);
	if (s->failures >= AUTH_FAILURES_MAX) {
		reply(s, "-ERR [AUTH] Too many authentication failures");
		log_msg(LOG_NOTICE, "%s: too many authentication failures",
			s->client);
		s->quit = 1;
	}
}

/* RFC 2449 6.5 LOGIN-DELAY (PostboxPop3LoginDelay): the time of a
 * mailbox's last POP3 login is the modification time of an empty file
 * beside its uidlist (mailbox.h): DIR/.NAME.pop3-login for the mbox
 * DIR/NAME, DIR/postbox-pop3-login in the Maildir DIR, or in the state
 * folder ~/.postbox when the uidlist is there.  One file per
 * mailbox, named from the mailbox path (never from what the client
 * sent), made and read as the mailbox owner; nothing is read from it,
 * so its content cannot be hostile.  Its path into DST; 0, or -1. */
static int login_record(const char *mbpath, int kind, char *dst, size_t max)
{
	size_t n;

	if (mailbox_uidlist_path(mbpath, kind, dst, max) < 0)
		return -1;
	n = strlen(dst);
	if (n < 7 || strcmp(dst + n - 7, "uidlist") ||
	    n - 7 + sizeof "pop3-login" > max)
		return -1;
	memcpy(dst + n - 7, "pop3-login", sizeof "pop3-login");
	return 0;
}

/* Seconds before the owner may log in again; 0: now.  A record that is
 * not a regular file of ours, or from the future (the clock went back),
 * is ignored: the policy must not lock anyone out for good. */
static long login_wait(struct pop3 *s, const char *record)
{
	long delay = s->cf->opt.pop3_login_delay;
	time_t now = time(NULL);
	struct stat st;

	if (delay <= 0 || lstat(record, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_mtime > now ||
	    now - st.st_mtime >= delay)
		return 0;
	return delay - (long)(now - st.st_mtime);
}

static void login_stamp(struct pop3 *s, const char *record)
{
	int fd = open(record, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
		O_CLOEXEC, 0600);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    futimens(fd, NULL) < 0)
		log_msg(LOG_WARNING, "%s: %s: LOGIN-DELAY record %s: %s",
			s->client, s->login, record, fd < 0 ? strerror(errno) :
			"not a regular file");
	if (fd >= 0)
		close(fd);
}

/* The seconds USER must still wait (LOGIN-DELAY), 0 when none: looked
 * at with the owner's ids (root, the monitor, takes them for a moment),
 * before anything is committed to, so that the client may stay in the
 * AUTHORIZATION state and QUIT as usual. */
static long delay_left(void *arg, const char *user)
{
	struct pop3 *s = arg;
	char home[256], path[4096], record[4096];
	long wait = 0;
	uid_t uid;
	gid_t gid;
	int kind;

	if (s->cf->opt.pop3_login_delay <= 0 ||
	    owner(s, user, &uid, &gid, home, sizeof home) <= 0 ||
	    (kind = local_mailbox(s->cf, user, home, path, sizeof path)) < 0 ||
	    login_record(path, kind, record, sizeof record) < 0)
		return 0;
	if (!s->ps.root)
		return login_wait(s, record);
	if (uid == 0)
		return 0;
	privsep_up(&s->ps);
	if (setegid(gid) == 0 && seteuid(uid) == 0)
		wait = login_wait(s, record);
	privsep_up(&s->ps);
	privsep_down(&s->ps);
	return wait;
}

/* RFC 2449 8.1.2: the reply to the PASS, APOP or AUTH of a user who
 * logged in too recently; the session stays in AUTHORIZATION. */
static void delayed(struct pop3 *s, long wait)
{
	s->errors++;
	s->user[0] = 0;
	reply(s, "-ERR [LOGIN-DELAY] Minimum time between logins is %ld "
		"seconds; try again in %ld seconds",
		s->cf->opt.pop3_login_delay, wait);
}

/* USER is authenticated: become the owner, open the mailbox. */
static void do_login(struct pop3 *s, const char *user, const char *how)
{
	char home[256], path[4096], err[MAILBOX_ERR_MAX], record[4096];
	long wait = 0;
	uid_t uid;
	gid_t gid;
	int kind, r;
	off_t total;
	size_t n;

	r = owner(s, user, &uid, &gid, home, sizeof home);
	if (r <= 0) {
		reply(s, r < 0 ? "-ERR [SYS/TEMP] User database unavailable"
			: "-ERR [SYS/PERM] No mailbox for this user");
		log_msg(LOG_WARNING, "%s: %s: %s", s->client, user,
			r < 0 ? "user database unavailable" : "no mailbox");
		s->quit = 1;
		return;
	}
	kind = local_mailbox(s->cf, user, home, path, sizeof path);
	if (kind < 0) {
		reply(s, "-ERR [SYS/PERM] No mailbox for this user");
		log_msg(LOG_WARNING, "%s: %s: PostboxMailbox gives no "
			"mailbox: %s", s->client, user, strerror(errno));
		s->quit = 1;
		return;
	}
	if (privsep_become(&s->ps, uid, gid, path, kind) < 0) {
		reply(s, "-ERR [SYS/PERM] Cannot serve this user");
		log_msg(LOG_ERR, "%s: %s: cannot switch to uid %u: %s",
			s->client, user, (unsigned)uid, strerror(errno));
		s->quit = 1;
		return;
	}
	/* from here on, the session is the owner: no way back, so a
	 * mailbox that cannot be opened ends it (not root: nothing changed,
	 * and a [LOGIN-DELAY] leaves the session in AUTHORIZATION) */
	/* RFC 2449 8.1.2: [LOGIN-DELAY] only after the password was good;
	 * the monitor asked before it answered the child (delay_left), this
	 * is for the single process and a login that raced another */
	record[0] = 0;
	if (s->cf->opt.pop3_login_delay > 0 &&
	    login_record(path, kind, record, sizeof record) == 0 &&
	    (wait = login_wait(s, record)) > 0) {
		/* before delayed(), which empties s->user (USER may be it) */
		log_msg(LOG_INFO, "%s: %s: login refused: LOGIN-DELAY, %ld "
			"seconds left", s->client, user, wait);
		delayed(s, wait);
		s->quit = s->ps.root;
		return;
	}
	/* a Maildir that nothing was delivered to yet is made, as the
	 * delivery would (Dovecot does the same) */
	if (mailbox_open(&s->mb, path, kind, MAILBOX_CREATE, err,
	    sizeof err) < 0) {
		if (errno == EWOULDBLOCK)
			reply(s, "-ERR [IN-USE] Mailbox is locked by another "
				"POP3 session");
		else if (errno == EINVAL || errno == EFBIG || errno == ELOOP)
			reply(s, "-ERR [SYS/PERM] Mailbox is damaged or not "
				"a mailbox; ask the postmaster");
		else
			reply(s, "-ERR [SYS/TEMP] Cannot open the mailbox, "
				"try again later");
		log_msg(errno == EWOULDBLOCK ? LOG_INFO : LOG_ERR,
			"%s: %s: %s", s->client, user, err);
		s->quit = 1;
		return;
	}
	str_lcpy(s->login, user, sizeof s->login);
	if (record[0])
		login_stamp(s, record);
	s->state = ST_TRANS;
	n = mailbox_count(&s->mb, &total);
	log_msg(LOG_INFO, "login: user=<%s>, method=%s, rip=%s%s, "
		"messages=%zu", user, how, s->peer.ip,
		s->tls || s->ps.secure ? ", TLS" : "", n);
	reply(s, "+OK Logged in, %zu message%s (%lld octets)", n,
		n == 1 ? "" : "s", (long long)total);
}

static void cmd_user(struct pop3 *s, const char *arg)
{
	if (!plaintext_ok(s)) {
		reply(s, "-ERR [AUTH] Plaintext authentication disallowed on "
			"non-secure (SSL/TLS) connections; use STLS first");
		return;
	}
	if (!*arg || strlen(arg) >= sizeof s->user) {
		reply(s, "-ERR Usage: USER name");
		return;
	}
	str_lcpy(s->user, arg, sizeof s->user);
	reply(s, "+OK");
}

/* USER and PASS against the back-ends: AUTH_SUCCESS, AUTH_FAIL or
 * AUTH_TEMPFAIL; failures logged (auth.h's wording). */
static int check_pass(void *arg, const char *user, const char *pass)
{
	struct pop3 *s = arg;
	char secret[AUTH_SECRET_MAX];
	int r = lookup(arg, user, secret, sizeof secret);

	if (r < 0)
		return AUTH_TEMPFAIL;
	if (r == 0) {
		log_msg(LOG_NOTICE, "USER/PASS failed for %s from %s: no such "
			"user", user, s->client);
		return AUTH_FAIL;
	}
	r = auth_check(secret, pass, user);
	explicit_bzero(secret, sizeof secret);
	if (r != AUTH_SUCCESS)
		log_msg(LOG_NOTICE, "USER/PASS failed for %s from %s: bad "
			"password", user, s->client);
	return r == AUTH_SUCCESS ? AUTH_SUCCESS : AUTH_FAIL;
}

/* RFC 1939 7: APOP NAME DIGEST (auth_apop has the rule). */
static int check_apop(void *arg, const char *user, const char *hex)
{
	struct pop3 *s = arg;

	return auth_apop(s->stamp, user, hex, lookup, s, s->client);
}

/* --- the login child and its monitor (privsep.h) ------------------------ */

/* Child: the monitor's answer to RQ, its payload into OUT. */
static int chan_ask(struct pop3 *s, const struct privsep_req *rq, char *out,
	size_t max)
{
	int r = privsep_ask(&s->ps, rq, out, max);

	if (r < 0) {
		log_msg(LOG_ERR, "%s: the login monitor is gone", s->client);
		return AUTH_TEMPFAIL;
	}
	return r;
}

static void cmd_pass(struct pop3 *s, const char *arg)
{
	struct privsep_req rq = { 'P', s->tls != NULL, 0, s->user, arg };
	char out[32];
	int r;

	if (!plaintext_ok(s)) {
		reply(s, "-ERR [AUTH] Plaintext authentication disallowed on "
			"non-secure (SSL/TLS) connections; use STLS first");
		return;
	}
	if (!s->user[0]) {
		reply(s, "-ERR No username given; USER first");
		return;
	}
	if (strlen(arg) >= AUTH_PASS_MAX)
		r = AUTH_FAIL;
	else if (s->ps.chan >= 0)
		r = chan_ask(s, &rq, out, sizeof out);
	else
		r = check_pass(s, s->user, arg);
	if (r == AUTH_SUCCESS) {
		if (s->ps.chan >= 0)
			s->handoff = s->quit = 1;	/* the monitor answers */
		else
			do_login(s, s->user, "USER");
		return;
	}
	s->user[0] = 0;
	if (r == PRIVSEP_DELAYED)
		delayed(s, strtol(out, NULL, 10));
	else if (r == AUTH_TEMPFAIL)
		reply(s, "-ERR [SYS/TEMP] Authentication backend failure, "
			"try again later");
	else
		failed(s, "Authentication failed");
}

/* RFC 1939 7: APOP name digest, when PostboxPop3Apop put a timestamp in
 * the greeting.  No password crosses the wire, so it is allowed before
 * TLS (as CRAM-MD5); failures are slowed and counted as PASS's. */
static void cmd_apop(struct pop3 *s, char *arg)
{
	struct privsep_req rq = { 'D', s->tls != NULL, 0, arg };
	char out[32], *sp = strrchr(arg, ' ');
	size_t ul, i;
	int r;

	if (!s->stamp[0]) {
		reply(s, "-ERR APOP is not enabled");
		return;
	}
	if (!sp || sp == arg || strlen(sp + 1) != 32) {
		reply(s, "-ERR Usage: APOP name digest (32 hex digits)");
		return;
	}
	*sp = 0;
	ul = strlen(arg);
	for (i = 0; i < ul; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			break;
	if (i < ul || ul >= AUTH_USER_MAX) {
		reply(s, "-ERR Usage: APOP name digest (32 hex digits)");
		return;
	}
	rq.text = sp + 1;
	if (s->ps.chan >= 0)
		r = chan_ask(s, &rq, out, sizeof out);
	else
		r = check_apop(s, arg, sp + 1);
	switch (r) {
	case AUTH_SUCCESS:
		/* split: the monitor takes the session and answers */
		if (s->ps.chan >= 0)
			s->handoff = s->quit = 1;
		else
			do_login(s, arg, "APOP");
		break;
	case AUTH_MALFORMED:
		reply(s, "-ERR Usage: APOP name digest (32 hex digits)");
		break;
	case AUTH_TEMPFAIL:
		reply(s, "-ERR [SYS/TEMP] Authentication backend failure, "
			"try again later");
		break;
	case AUTH_NOMECH:
		failed(s, "APOP is not possible for this account (password "
			"stored hashed); use USER/PASS or AUTH");
		break;
	case PRIVSEP_DELAYED:
		delayed(s, strtol(out, NULL, 10));
		break;
	default:
		failed(s, "Authentication failed");
	}
}

/* RFC 5034 4: AUTH mech [initial-response]; bare AUTH lists them (the
 * RFC 1734 form fetchmail probes with). */
static void cmd_auth(struct pop3 *s, char *arg)
{
	struct auth a;
	char *mech = arg, *initial = NULL, list[128], *w;
	int r, allowed = mechs(s);
	size_t len;

	if (!CFG_AUTH) {
		reply(s, "-ERR Unknown command");
		return;
	}
	if (!*arg) {
		reply(s, "+OK Supported mechanisms follow");
		auth_mechs_list(allowed, list, sizeof list);
		for (w = strtok(list, " "); w; w = strtok(NULL, " "))
			reply(s, "%s", w);
		reply(s, ".");
		return;
	}
	if ((initial = strchr(arg, ' '))) {
		*initial++ = 0;
		while (*initial == ' ')
			initial++;
	}
	if (s->ps.chan >= 0) {
		struct privsep_req rq = { 'A', s->tls != NULL, allowed, NULL,
			NULL, mech, initial };

		r = chan_ask(s, &rq, a.out, sizeof a.out);
	} else {
		r = auth_start(&a, mech, allowed, initial, s->host, lookup, s,
			s->client);
	}
	while (r == AUTH_CONTINUE) {
		reply(s, "+ %s", a.out);
		io_deadline(&s->in, timeout_ms(s));
		r = io_getline(&s->in, s->line, sizeof s->line, &len);
		if (r != IO_LINE) {
			s->quit = 1;
			return;
		}
		s->line[strcspn(s->line, "\r\n")] = 0;
		if (s->ps.chan >= 0) {
			struct privsep_req rq = { 'S', 0, 0, NULL, s->line };

			r = chan_ask(s, &rq, a.out, sizeof a.out);
		} else {
			r = auth_step(&a, s->line);
		}
	}
	switch (r) {
	case AUTH_SUCCESS:
		if (s->ps.chan >= 0)
			s->handoff = s->quit = 1;	/* the monitor answers */
		else
			do_login(s, a.user, auth_mech_name(a.mech));
		break;
	case AUTH_FAIL:
		failed(s, "Authentication failed");
		break;
	case AUTH_MALFORMED:
		reply(s, "-ERR Invalid base64 data or syntax");
		break;
	case AUTH_CANCEL:
		reply(s, "-ERR Authentication cancelled");
		break;
	case PRIVSEP_DELAYED:
		delayed(s, strtol(a.out, NULL, 10));
		break;
	case AUTH_TEMPFAIL:
		reply(s, "-ERR [SYS/TEMP] Authentication backend failure, "
			"try again later");
		break;
	default:
		if (auth_mech_byname(mech) & AUTH_PLAINTEXT && !s->tls &&
		    !plaintext_ok(s))
			reply(s, "-ERR [AUTH] Plaintext authentication "
				"disallowed on non-secure (SSL/TLS) "
				"connections; use STLS first");
		else
			reply(s, "-ERR Unsupported authentication mechanism");
	}
	explicit_bzero(&a, sizeof a);
}

static int start_tls(struct pop3 *s)
{
	char err[256];

	s->tls = tls_server_start(&s->in, &s->out, s->c->tls,
		TLS_TIMEOUT * 1000UL, err, sizeof err);
	if (!s->tls) {
		log_msg(LOG_NOTICE, "%s: TLS handshake failed: %s",
			s->client, err);
		s->quit = 1;
		return -1;
	}
	if (s->c->verbose)
		log_msg(LOG_DEBUG, "%s: %s %s", s->client, tls_version(s->tls),
			tls_cipher(s->tls));
	return 0;
}

/* RFC 2595 4: STLS, then a fresh session; plaintext pipelined behind the
 * command is refused and the session ends (io_starttls_check), as smtpd
 * does: it is never read as if it had come over TLS. */
static void cmd_stls(struct pop3 *s)
{
	if (!CFG_TLS || !s->c->tls || s->tls) {
		reply(s, s->tls ? "-ERR TLS is already active" :
			"-ERR STLS not available");
		return;
	}
	if (io_starttls_check(&s->in, "STLS", s->client) < 0) {
		reply(s, "-ERR Command pipelining after STLS");
		s->quit = 1;
		return;
	}
	reply(s, "+OK Begin TLS negotiation now");
	if (start_tls(s) == 0)
		s->user[0] = 0;
}

static void cmd_capa(struct pop3 *s)
{
	char list[128];
	int m = mechs(s);

	reply(s, "+OK Capability list follows");
	reply(s, "TOP");
	reply(s, "UIDL");
	reply(s, "RESP-CODES");
	reply(s, "AUTH-RESP-CODE");
	reply(s, "PIPELINING");
	/* RFC 2449 6.5: one value for every user */
	if (s->cf->opt.pop3_login_delay > 0)
		reply(s, "LOGIN-DELAY %ld", s->cf->opt.pop3_login_delay);
	if (s->state == ST_AUTH) {
		if (plaintext_ok(s))
			reply(s, "USER");
		if (CFG_AUTH && m) {
			auth_mechs_list(m, list, sizeof list);
			reply(s, "SASL %s", list);
		}
		if (CFG_TLS && s->c->tls && !s->tls)
			reply(s, "STLS");
	}
	reply(s, "IMPLEMENTATION postbox");
	reply(s, ".");
}

/* --- the transaction state ------------------------------------------------ */

/* Message number ARG (1-based, RFC 1939 5), not deleted.  Its index, or
 * -1 after the reply. */
static long msgno(struct pop3 *s, const char *arg, const char **rest)
{
	unsigned long n = 0;
	const char *p = arg;

	while (*p >= '0' && *p <= '9' && n < 100000000UL)
		n = n * 10 + (unsigned long)(*p++ - '0');
	if (p == arg || (*p && *p != ' ') || (!rest && *p)) {
		reply(s, "-ERR Invalid message number: %.40s", arg);
		return -1;
	}
	if (rest)
		*rest = *p ? p + 1 : p;
	if (n < 1 || n > s->mb.n) {
		reply(s, "-ERR There's no message %lu", n);
		return -1;
	}
	if (s->mb.msg[n - 1].flags & MAILBOX_DELETED) {
		reply(s, "-ERR Message %lu is deleted", n);
		return -1;
	}
	return (long)n - 1;
}

struct emit {
	int bol;		/* at a line start */
	int cr;			/* the last byte written was CR */
	int header;		/* still in the header */
	size_t linelen;		/* bytes of this line so far */
	long lines, max;	/* body lines sent; the most (-1 all) */
	int done;
};

/* Sends stored bytes as RFC 1939 3 wants them: CRLF line ends, a '.'
 * doubled at a line start; TOP stops after MAX body lines.  The lines
 * are converted into s->stage (at most twice the input: "." LF becomes
 * ".." CR LF) and go to the writer in one piece. */
static int emit(struct pop3 *s, struct emit *e, const char *p, size_t n)
{
	const char *end = p + n;
	char *o = s->stage;

	while (p < end && !e->done) {
		const char *nl;
		size_t seg;

		if (e->bol) {
			if (!e->header && e->max >= 0 && e->lines >= e->max) {
				e->done = 1;
				break;
			}
			if (*p == '.')
				*o++ = '.';
			e->bol = 0;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		seg = nl ? (size_t)(nl - p) : (size_t)(end - p);
		memcpy(o, p, seg);
		o += seg;
		if (seg) {
			e->cr = p[seg - 1] == '\r';
			e->linelen += seg;
		}
		if (!nl)
			break;
		if (!e->cr)
			*o++ = '\r';
		*o++ = '\n';
		if (e->header) {
			if (e->linelen == 0 || (e->linelen == 1 && e->cr))
				e->header = 0;
		} else {
			e->lines++;
		}
		e->linelen = 0;
		e->cr = 0;
		e->bol = 1;
		p = nl + 1;
	}
	return io_write(&s->out, s->stage, (size_t)(o - s->stage));
}

static void send_msg(struct pop3 *s, long i, long max_lines)
{
	struct mailbox_reader *r;
	struct emit e = { 1, 0, 1, 0, 0, max_lines, 0 };
	ssize_t k;

	if (!s->rd)
		s->rd = malloc(sizeof *s->rd);
	if (!s->stage)
		s->stage = malloc(2 * sizeof s->body);
	r = s->rd;
	if (!r || !s->stage) {
		reply(s, "-ERR [SYS/TEMP] Out of memory");
		return;
	}
	if (mailbox_msg_open(&s->mb, (size_t)i, r) < 0) {
		/* gone behind our back: say so, lose nothing else */
		reply(s, "-ERR [SYS/TEMP] Message %ld was removed by another "
			"client", i + 1);
		log_msg(LOG_WARNING, "%s: %s: message %ld: %s", s->client,
			s->login, i + 1, strerror(errno));
		return;
	}
	if (max_lines < 0)
		reply(s, "+OK %lld octets", (long long)s->mb.msg[i].size);
	else
		reply(s, "+OK");
	while (!e.done && (k = mailbox_msg_read(r, s->body,
	    sizeof s->body)) > 0)
		if (emit(s, &e, s->body, (size_t)k) < 0)
			break;
	if (k < 0) {
		/* the "+OK" is gone: only the connection can say it */
		log_msg(LOG_ERR, "%s: %s: reading message %ld: %s", s->client,
			s->login, i + 1, strerror(errno));
		s->quit = 1;
		io_flush(&s->out);
		mailbox_msg_close(r);
		return;
	}
	if (!e.bol)
		io_write(&s->out, "\r\n", 2);
	io_write(&s->out, ".\r\n", 3);
	mailbox_msg_close(r);
	if (max_lines < 0) {
		s->retr++;
		s->retr_bytes += s->mb.msg[i].size;
	}
}

static void uidl_line(struct pop3 *s, size_t i, int single)
{
	/* RFC 1939 7: 1-70 printable characters, never reused: the
	 * mailbox's UIDVALIDITY and the message's UID */
	reply(s, "%s%zu %u.%u", single ? "+OK " : "", i + 1,
		s->mb.validity, s->mb.msg[i].uid);
}

static void cmd_list(struct pop3 *s, const char *arg, int uidl)
{
	size_t i;
	long n;

	if (*arg) {
		if ((n = msgno(s, arg, NULL)) < 0)
			return;
		if (uidl)
			uidl_line(s, (size_t)n, 1);
		else
			reply(s, "+OK %ld %lld", n + 1,
				(long long)s->mb.msg[n].size);
		return;
	}
	reply(s, "+OK");
	for (i = 0; i < s->mb.n; i++) {
		if (s->mb.msg[i].flags & MAILBOX_DELETED)
			continue;
		if (uidl)
			uidl_line(s, i, 0);
		else
			reply(s, "%zu %lld", i + 1,
				(long long)s->mb.msg[i].size);
	}
	reply(s, ".");
}

static void cmd_top(struct pop3 *s, const char *arg)
{
	const char *rest;
	unsigned long lines;
	long n;

	if ((n = msgno(s, arg, &rest)) < 0)
		return;
	if (str_toul(rest, 0x7fffffffUL, &lines) < 0) {
		reply(s, "-ERR Usage: TOP msg lines");
		return;
	}
	send_msg(s, n, (long)lines);
}

/* RFC 1939 6: the UPDATE state. */
static void cmd_quit(struct pop3 *s)
{
	char err[MAILBOX_ERR_MAX];
	size_t left, i;
	unsigned long gone = 0;

	s->quit = 1;
	if (s->state != ST_TRANS) {
		reply(s, "+OK Bye");
		return;
	}
	for (i = 0; i < s->mb.n; i++)
		if (s->mb.msg[i].flags & MAILBOX_DELETED)
			gone++;
	left = mailbox_count(&s->mb, NULL);
	s->state = ST_AUTH;
	if (mailbox_commit(&s->mb, err, sizeof err) < 0) {
		log_msg(LOG_ERR, "%s: %s: %s", s->client, s->login, err);
		reply(s, "-ERR [SYS/TEMP] Some deleted messages were not "
			"removed");
		return;
	}
	log_msg(LOG_INFO, "logout: user=<%s>, retr=%lu/%lld, del=%lu/%zu",
		s->login, s->retr, (long long)s->retr_bytes, gone,
		(size_t)(left + gone));
	reply(s, "+OK Logging out, %zu message%s left", left,
		left == 1 ? "" : "s");
}

static void command(struct pop3 *s, char *line)
{
	char *arg = line + strcspn(line, " ");
	long n;

	if (*arg)
		*arg++ = 0;
	if (!strcasecmp(line, "QUIT")) {
		cmd_quit(s);
	} else if (!strcasecmp(line, "CAPA")) {
		cmd_capa(s);
	} else if (s->state == ST_AUTH) {
		if (!strcasecmp(line, "USER"))
			cmd_user(s, arg);
		else if (!strcasecmp(line, "PASS"))
			cmd_pass(s, arg);
		else if (!strcasecmp(line, "AUTH"))
			cmd_auth(s, arg);
		else if (!strcasecmp(line, "STLS"))
			cmd_stls(s);
		else if (!strcasecmp(line, "APOP"))
			cmd_apop(s, arg);
		else {
			s->errors++;
			reply(s, "-ERR Unknown command or not logged in");
		}
	} else if (!strcasecmp(line, "STAT")) {
		off_t total;
		size_t k = mailbox_count(&s->mb, &total);

		reply(s, "+OK %zu %lld", k, (long long)total);
	} else if (!strcasecmp(line, "LIST")) {
		cmd_list(s, arg, 0);
	} else if (!strcasecmp(line, "UIDL")) {
		cmd_list(s, arg, 1);
	} else if (!strcasecmp(line, "RETR")) {
		if ((n = msgno(s, arg, NULL)) >= 0)
			send_msg(s, n, -1);
	} else if (!strcasecmp(line, "TOP")) {
		cmd_top(s, arg);
	} else if (!strcasecmp(line, "DELE")) {
		if ((n = msgno(s, arg, NULL)) >= 0) {
			s->mb.msg[n].flags |= MAILBOX_DELETED;
			reply(s, "+OK Marked to be deleted");
		}
	} else if (!strcasecmp(line, "NOOP")) {
		reply(s, "+OK");
	} else if (!strcasecmp(line, "RSET")) {
		size_t i;

		for (i = 0; i < s->mb.n; i++)
			s->mb.msg[i].flags &= ~MAILBOX_DELETED;
		reply(s, "+OK");
	} else if (!strcasecmp(line, "LAST")) {
		/* RFC 1725's, gone from RFC 1939 */
		reply(s, "-ERR LAST is not supported");
	} else {
		s->errors++;
		reply(s, "-ERR Unknown command");
	}
}

static void session_loop(struct pop3 *s)
{
	while (!s->quit) {
		size_t len = 0;
		int r;

		if (s->errors >= ERRORS_MAX) {
			reply(s, "-ERR Too many bad commands");
			break;
		}
		io_deadline(&s->in, timeout_ms(s));
		io_deadline(&s->out, timeout_ms(s));
		r = io_getline(&s->in, s->line, CMD_MAX + 1, &len);
		if (r == IO_TIMEOUT) {
			reply(s, "-ERR Disconnected for inactivity");
			log_msg(LOG_INFO, "%s: %s: autologout", s->client,
				s->login[0] ? s->login : "(not logged in)");
			break;
		}
		if (r == IO_ERR || (r == IO_EOF && len == 0) ||
		    (r == IO_EOF && !s->line[0])) {
			if (s->state == ST_TRANS)
				log_msg(LOG_INFO, "%s: %s: connection lost, "
					"nothing deleted", s->client, s->login);
			break;
		}
		if (r == IO_LONG) {
			s->errors++;
			reply(s, "-ERR Command line too long");
			continue;
		}
		if (len && s->line[len - 1] == '\n')
			len--;
		if (len && s->line[len - 1] == '\r')
			len--;
		s->line[len] = 0;
		if (memchr(s->line, 0, len)) {
			s->errors++;
			reply(s, "-ERR NUL in command");
			continue;
		}
		if (s->c->verbose)
			log_msg(LOG_DEBUG, "<<< %s", str_istarts(s->line,
				"PASS ") ? "PASS ****" : s->line);
		command(s, s->line);
		if (r == IO_EOF)
			break;
	}
	io_flush(&s->out);
}

/* Root: the login child speaks to the client as DefaultUser, this
 * process checks passwords, then becomes the mailbox owner and serves
 * the mailbox (privsep.h).  1 in the child, 0 in this process when the
 * session is over, with the child's exit status in *RC (EX_SOFTWARE,
 * logged, when a signal killed it, as smtpd -i reports its session's),
 * -1 when nothing forked. */
static int split(struct pop3 *s, int *rc)
{
	char user[AUTH_USER_MAX], how[16];
	struct privsep_checks k = { s, s->host, s->client, lookup,
		check_pass, s->stamp[0] ? check_apop : NULL, delay_left };
	int r = privsep_split(&s->ps), st;

	if (r != 0)
		return r;
	r = privsep_monitor(&s->ps, &k, s->line, sizeof s->line, user,
		sizeof user, how, sizeof how);
	if (r == 0 && privsep_take_over(&s->ps, &s->in, s->inbuf,
	    sizeof s->inbuf, &s->out, s->outbuf, sizeof s->outbuf) < 0) {
		log_msg(LOG_ERR, "%s: the login child did not hand over",
			s->client);
		r = -1;
	}
	if (r == 0) {
		io_deadline(&s->out, timeout_ms(s));
		do_login(s, user, how);
		session_loop(s);
		if (s->state == ST_TRANS)
			mailbox_close(&s->mb);	/* no QUIT */
	}
	explicit_bzero(user, sizeof user);
	st = privsep_end(&s->ps, s->body, sizeof s->body);
	*rc = WIFEXITED(st) ? WEXITSTATUS(st) : EX_SOFTWARE;
	if (WIFSIGNALED(st))
		log_msg(LOG_ERR, "%s: the login child (pid %ld) was killed by "
			"signal %d (%s)", s->client, (long)s->ps.child,
			WTERMSIG(st), strsignal(WTERMSIG(st)));
	return 0;
}

/* APOP's timestamp, in RFC 1939 7's msg-id form: the pid and the time
 * make it unique on this host, 64 random bits make it unguessable (a
 * digest seen once is worth nothing later). */
static int make_stamp(struct pop3 *s)
{
	unsigned char rnd[8];
	unsigned long long r = 0;
	size_t i;

	if (getentropy(rnd, sizeof rnd) < 0)
		return -1;
	for (i = 0; i < sizeof rnd; i++)
		r = r << 8 | rnd[i];
	snprintf(s->stamp, sizeof s->stamp, "<%ld.%llx.%lld@%.200s>",
		(long)getpid(), r, (long long)time(NULL), s->host);
	return 0;
}

/* The session on fds 0/1.  L is the listener (NULL in -i mode). */
static int session(struct ctx *c, const struct net_listener *l)
{
	struct pop3 *s;
	int child;

	signal(SIGPIPE, SIG_IGN);
	s = calloc(1, sizeof *s);
	if (!s) {
		log_msg(LOG_ERR, "out of memory");
		return EX_TEMPFAIL;
	}
	s->c = c;
	s->cf = c->cf;
	s->l = l;
	privsep_init(&s->ps, c->root, c->pre_uid, c->pre_gid);
	s->mb.fd = s->mb.lockfd = -1;
	net_peer(&s->peer);
	if (s->peer.host[0])
		snprintf(s->client, sizeof s->client, "%s [%s]", s->peer.host,
			s->peer.ip);
	else
		snprintf(s->client, sizeof s->client, "[%s]", s->peer.ip);
	if (cf_expand(c->cf, "$j", s->host, sizeof s->host) < 0 ||
	    !s->host[0])
		str_lcpy(s->host, "localhost", sizeof s->host);
	/* RFC 1939 7: a timestamp unique to this session, made before the
	 * split so that the monitor checks digests against its own copy */
	if (c->cf->opt.pop3_apop && make_stamp(s) < 0) {
		log_msg(LOG_ERR, "no entropy for the APOP timestamp: %s",
			strerror(errno));
		free(s);
		return EX_TEMPFAIL;
	}
	/* as root: a login child that parses everything the client says,
	 * and this process, which checks passwords and switches users */
	if (c->root) {
		int rc = 0, r = split(s, &rc);

		if (r <= 0) {
			free(s->rd);
			free(s->stage);
			free(s);
			return r < 0 ? EX_OSERR : rc;
		}
	}
	io_init(&s->in, 0, s->inbuf, sizeof s->inbuf);
	io_init(&s->out, 1, s->outbuf, sizeof s->outbuf);
	io_pair(&s->in, &s->out);
	io_deadline(&s->out, timeout_ms(s));
	if (c->verbose)
		log_msg(LOG_DEBUG, "connection from %s", s->client);
	/* M=s: implicit TLS (port 995), before the greeting */
	if (CFG_TLS && ((l && strchr(l->modifiers, 's')) || c->implicit) &&
	    (!c->tls || start_tls(s) < 0)) {
		if (!c->tls)
			log_msg(LOG_ERR, "implicit TLS without ServerCertFile");
		free(s);
		return 0;
	}
	/* RFC 1939 7: the timestamp tells clients APOP is there */
	reply(s, "+OK postbox POP3 server ready%s%s", s->stamp[0] ? " " : "",
		s->stamp);
	session_loop(s);
	if (s->handoff && !s->tls)
		privsep_handoff(&s->ps, &s->in, s->body, sizeof s->body);
	else if (s->handoff)
		privsep_relay(&s->ps, &s->in, &s->out, s->body,
			sizeof s->body, timeout_ms(s));
	if (s->state == ST_TRANS)
		mailbox_close(&s->mb);	/* no QUIT: nothing deleted */
	if (s->tls)
		tls_close(s->tls);
	child = s->ps.chan >= 0;
	free(s->rd);
	free(s->stage);
	free(s);
	if (child)
		_exit(0);	/* the login child: its parent cleans up */
	return 0;
}

/* --- running it ----------------------------------------------------------- */

static int net_session(void *arg, const struct net_listener *l)
{
	struct ctx *c = arg;

	return session(c, l);
}

/* SIGHUP: the certificate FRESH names read again for the next sessions,
 * built aside, so that any failure (a file that cannot be read, a bad
 * line, memory running out) keeps the old configuration whole.  The
 * listeners stay: new PostboxPop3PortOptions need a restart. */
static int reload(void *arg, struct net_server *srv, const struct cf *fresh,
	char *err, size_t errmax)
{
	struct ctx *c = arg;

	return net_tls_reload(srv, fresh, &c->tls, err, errmax);
}

/* Says which user the login children run as (the start-up log line,
 * as smtpd's for its sessions; README.md "Security"). */
static void log_login_user(void *arg)
{
	struct ctx *c = arg;

	net_log_user("login children", c->root, c->pre_uid, c->pre_gid,
		"DefaultUser", c->cf->opt.default_user ?
		c->cf->opt.default_user : "");
}

/* After a reload, with the new cf in place: the login child's user. */
static void reloaded(void *arg)
{
	struct ctx *c = arg;

	if (c->root)
		local_default_user(c->cf, &c->pre_uid, &c->pre_gid);
	log_login_user(c);
}

/* The listeners: PostboxPop3PortOptions, else 127.0.0.1 110 and, with a
 * certificate, 127.0.0.1 995 M=s (loopback by default). */
static int daemon_mode(struct ctx *c, int background, const char *pidfile)
{
	struct cf_daemon def[2];
	const struct cf_daemon *tls;
	struct net_daemon d;

	net_daemon_init(&d, "pop3d", c, &c->cf, c->cfpath);
	d.d = c->cf->pop3_daemons;
	d.n = c->cf->n_pop3_daemons;
	if (!d.n) {
		d.n = net_default_listeners(def, "POP3", 110, "POP3S", 995,
			c->tls != NULL);
		d.d = def;
	}
	if (!c->tls && (tls = net_needs_tls(d.d, d.n))) {
		xwarn("PostboxPop3PortOptions Name=%s: M=s needs "
			"ServerCertFile", tls->name);
		return EX_CONFIG;
	}
	d.session = net_session;
	d.busy = "-ERR [SYS/TEMP] Too many connections\r\n";
	d.client_conn = 1;
	d.busy_ip = "-ERR [SYS/TEMP] Too many connections from your "
		"address\r\n";
	d.started = log_login_user;
	d.reload = reload;
	d.reloaded = reloaded;
	return net_daemon(&d, background, pidfile);
}

int pop3d_main(int argc, char **argv)
{
	const char *cfpath = NULL, *pidfile = "/var/run/pop3d.pid";
	int inetd = 0, background = 0, opt, r;
	struct ctx c;

	memset(&c, 0, sizeof c);
	optind = 1;
	while ((opt = getopt(argc, argv, "C:bip:sv")) != -1) {
		switch (opt) {
		case 'C': cfpath = optarg; break;
		case 'b': background = 1; break;
		case 'i': inetd = 1; break;
		case 'p': pidfile = optarg; break;
		case 's': c.implicit = 1; break;
		case 'v': c.verbose = 1; break;
		default: applet_usage();
		}
	}
	if (optind != argc || (inetd && background) || (c.implicit && !inetd))
		applet_usage();
	log_open("pop3d", 0);
	if (c.verbose)
		log_level(LOG_DEBUG);
	c.cf = xzalloc(sizeof *c.cf);
	c.cfpath = cfpath;
	if (cf_load_daemon(c.cf, cfpath ? cfpath : CF_PATH, cfpath != NULL) < 0)
		return EX_CONFIG;
	c.root = geteuid() == 0;
	if (c.root)
		local_default_user(c.cf, &c.pre_uid, &c.pre_gid);
	/* the key is root's: read it before any session starts */
	{
		char err[512];

		if (net_tls_server(c.cf, &c.tls, err, sizeof err) < 0) {
			xwarn("%s", err);
			if (!inetd)
				return EX_CONFIG;
		}
	}
	if (inetd)
		r = session(&c, NULL);
	else
		r = daemon_mode(&c, background, pidfile);
	if (c.tls)
		tls_server_config_free(c.tls);
	cf_free(c.cf);
	free(c.cf);
	return r;
}
