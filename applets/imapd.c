/*
 * imapd: the IMAP server (RFC 3501 IMAP4rev1) on the mailboxes the MTA
 * delivers to (PostboxMailbox is INBOX, README "imapd"), for
 * Thunderbird, K-9, mutt, mbsync, offlineimap, fetchmail and curl.
 *
 * One session function speaks on fds 0/1: `imapd -i` (inetd, tcpsvd, s6,
 * the tests) calls it directly; the built-in listener binds every
 * PostboxImapPortOptions socket (DaemonPortOptions' syntax; default
 * 127.0.0.1 port 143, and 993 with M=s when ServerCertFile is set), forks
 * per connection and calls the same function.
 *
 * Logins: LOGIN and AUTHENTICATE (RFC 3501 6.2; PLAIN, LOGIN, CRAM-MD5
 * with SASL-IR, RFC 4959), STARTTLS (RFC 3501 6.2.1; plaintext pipelined
 * after it ends the session) and implicit TLS (port 993).  Passwords and
 * the privilege split are pop3d's (privsep.h): a login child as
 * DefaultUser parses everything, the root monitor checks passwords and
 * then serves the mailbox as its owner.  Plaintext logins only over TLS
 * unless AuthOptions lacks "p": LOGINDISABLED (RFC 3501 6.2.3) before.
 * The capabilities go in the greeting and in the tagged OK of a login
 * (K-9 never asks again).
 *
 * The command reader takes literals ({n}, and LITERAL+'s {n+}, RFC
 * 7888), bounds every line, literal and command, and ends a session
 * after IMAP_ERRORS_MAX bad commands.  Extensions: LITERAL+, SASL-IR, ID
 * (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342), and COMPRESS=DEFLATE
 * (RFC 4978, with IMAPD_COMPRESS: imapd/compress.c under the ios).
 */
//applet:imapd usr/sbin drop
//man:IMAP server on the mailboxes the MTA delivers to
//man:imapd serves the mailboxes named by PostboxMailbox over IMAP4rev1
//man:(RFC 3501) with STARTTLS, implicit TLS and SASL; passwords come from
//man:PostboxVirtualUsers or the system accounts.
//config:config IMAPD
//config:	bool "imapd: IMAP server (RFC 3501, STARTTLS, SASL)"
//config:	default y
//config:	help
//config:	  The IMAP server on the mailboxes the MTA delivers to:
//config:	  ports 143/993 or inetd mode (-i), STARTTLS, SASL.
//config:config IMAPD_COMPRESS
//config:	bool "imapd: COMPRESS=DEFLATE (RFC 4978, zlib, +28 KB)"
//config:	default y
//config:	depends on IMAPD
//config:	help
//config:	  Compressed sessions (Thunderbird, iOS, mbsync and mutt ask
//config:	  for it when offered), with zlib built from its Debian
//config:	  source package (or ZLIB_DIR=).  About 140 KB of memory a
//config:	  compressed session.
//usage:usage: imapd [-C FILE] [-b] [-i [-s]] [-v] [-p PIDFILE]
//usage:
//usage:Serve IMAP on every PostboxImapPortOptions (default 127.0.0.1:143, and
//usage:993 with TLS when ServerCertFile is set), in the foreground logging to
//usage:stderr, or with -i on stdin/stdout.
//usage:
//usage:-C FILE	configuration (default /etc/mail/sendmail.cf)
//usage:-b	detach, log to syslog, write a pidfile
//usage:-i	one session on stdin/stdout (inetd, tcpsvd, s6)
//usage:-s	with -i: implicit TLS first (port 993 under inetd or tcpsvd)
//usage:-p FILE	the pidfile of -b (default /var/run/imapd.pid)
//usage:-v	verbose: log every command
//usage:
//usage:cf options: PostboxImapPortOptions (listeners), PostboxImapFolders
//usage:(an mbox user's folders, default ~/mail), PostboxImapSpecialUse
//usage:(Drafts,Sent,Trash,Junk,Archive), PostboxImapTimeout (30m).
#include "imapd/imapd.h"
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TLS_TIMEOUT	60
/* COMPRESS: what one command may inflate to, at most (the largest
 * command, APPEND's, and what the reader holds read ahead) */
#define IMAP_INFLATE_MAX	(IMAP_APPEND_MAX + IMAP_CMD_MAX + IMAP_IN_BUF)

/* RFC 3501 5.4: the autologout timer, at least 30 minutes
 * (PostboxImapTimeout; only tests set it shorter; 0 is the 30 minutes),
 * at most a day. */
unsigned long timeout_ms(const struct imap *s)
{
	long t = s->cf->opt.imap_timeout;

	return (t < 1 ? 1800 : t > 86400 ? 86400 : t) * 1000UL;
}

static void vreply(struct imap *s, const char *pre, const char *fmt,
	va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof text, fmt, ap);
	if (s->c->verbose)
		log_msg(LOG_DEBUG, ">>> %s%s", pre, text);
	io_puts(&s->out, pre);
	io_puts(&s->out, text);
	io_puts(&s->out, "\r\n");
}

void reply(struct imap *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, "", fmt, ap);
	va_end(ap);
}

void tagged(struct imap *s, const char *fmt, ...)
{
	char pre[IMAP_TAG_MAX + 2];
	va_list ap;

	/* RFC 3501 7.4.1: EXPUNGEs found during a command that may have
	 * them go before its end */
	if (s->expunge_ok) {
		s->expunge_ok = 0;
		sel_tell(s);
	}
	snprintf(pre, sizeof pre, "%s ", s->tag);
	va_start(ap, fmt);
	vreply(s, pre, fmt, ap);
	va_end(ap);
}

/* --- privileges (pop3d's, privsep.h) -------------------------------------- */

/* PostboxVirtualUsers, then the system accounts (auth.h). */
static int lookup(void *arg, const char *user, char *secret, size_t max)
{
	struct imap *s = arg;
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

/* Who USER is: uid, gid, home.  1, 0 unknown or without ids, -1
 * temporary. */
static int owner(struct imap *s, const char *user, uid_t *uid, gid_t *gid,
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

static int check_pass(void *arg, const char *user, const char *pass)
{
	struct imap *s = arg;
	char secret[AUTH_SECRET_MAX];
	int r = lookup(arg, user, secret, sizeof secret);

	if (r < 0)
		return AUTH_TEMPFAIL;
	if (r == 0) {
		log_msg(LOG_NOTICE, "LOGIN failed for %s from %s: no such "
			"user", user, s->client);
		return AUTH_FAIL;
	}
	r = auth_check(secret, pass, user);
	explicit_bzero(secret, sizeof secret);
	if (r != AUTH_SUCCESS)
		log_msg(LOG_NOTICE, "LOGIN failed for %s from %s: bad "
			"password", user, s->client);
	return r == AUTH_SUCCESS ? AUTH_SUCCESS : AUTH_FAIL;
}

/* --- capabilities --------------------------------------------------------- */

static int plaintext_ok(struct imap *s)
{
	return (auth_offer(AUTH_PLAINTEXT, s->cf->opt.auth_options,
		s->tls != NULL) & AUTH_PLAINTEXT) != 0;
}

static int mechs(struct imap *s)
{
	const struct cf_opts *o = &s->cf->opt;

	return auth_offer(auth_mechs_server(o->auth_mechs.v, o->auth_mechs.n,
		o->virtual_users), o->auth_options, s->tls != NULL);
}

/* RFC 3501 7.2.1: before a login, what it takes to log in; after, what
 * works (only what works is ever named). */
void capabilities(struct imap *s, char *dst, size_t max)
{
	struct buf b = BUF_INIT(max > 1 ? max - 1 : 0);
	char list[128], *w;
	int m;

	buf_adds(&b, "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE");
	if (s->state == ST_NOAUTH) {
		if (CFG_TLS && s->c->tls && !s->tls)
			buf_adds(&b, " STARTTLS");
		if (!plaintext_ok(s))
			buf_adds(&b, " LOGINDISABLED");
		m = CFG_AUTH ? mechs(s) : 0;
		auth_mechs_list(m, list, sizeof list);
		for (w = strtok(list, " "); m && w; w = strtok(NULL, " "))
			buf_printf(&b, " AUTH=%s", w);
	} else {
		buf_printf(&b, " IDLE NAMESPACE UNSELECT UIDPLUS MOVE "
			"CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE "
			"CONDSTORE QRESYNC ESEARCH APPENDLIMIT=%lu",
			(unsigned long)IMAP_APPEND_MAX);
		if (CFG_IMAPD_COMPRESS)
			buf_adds(&b, " COMPRESS=DEFLATE");
	}
	str_lcpy(dst, b.len ? b.p : "IMAP4rev1", max);
	buf_free(&b);
}

/* --- login ---------------------------------------------------------------- */

static void failed(struct imap *s, const char *text)
{
	auth_fail_delay(++s->failures, s->cf->opt.auth_fail_delay);
	tagged(s, "NO [AUTHENTICATIONFAILED] %s", text);
	if (s->failures >= AUTH_FAILURES_MAX) {
		reply(s, "* BYE Too many authentication failures");
		log_msg(LOG_NOTICE, "%s: too many authentication failures",
			s->client);
		s->quit = 1;
	}
}

/* USER is authenticated: become the owner, find the mailbox. */
static void do_login(struct imap *s, const char *user, const char *how)
{
	char home[256], caps[512];
	uid_t uid;
	gid_t gid;
	int r;

	r = owner(s, user, &uid, &gid, home, sizeof home);
	if (r <= 0) {
		tagged(s, r < 0 ? "NO [UNAVAILABLE] User database "
			"unavailable" : "NO [AUTHORIZATIONFAILED] No mailbox "
			"for this user");
		log_msg(LOG_WARNING, "%s: %s: %s", s->client, user,
			r < 0 ? "user database unavailable" : "no mailbox");
		s->quit = 1;
		return;
	}
	s->kind = local_mailbox(s->cf, user, home, s->inbox,
		sizeof s->inbox);
	if (s->kind < 0) {
		tagged(s, "NO [UNAVAILABLE] No mailbox for this user");
		log_msg(LOG_WARNING, "%s: %s: PostboxMailbox gives no "
			"mailbox: %s", s->client, user, strerror(errno));
		s->quit = 1;
		return;
	}
	if (privsep_become(&s->ps, uid, gid, s->inbox, s->kind) < 0) {
		tagged(s, "NO [UNAVAILABLE] Cannot serve this user");
		log_msg(LOG_ERR, "%s: %s: cannot switch to uid %u: %s",
			s->client, user, (unsigned)uid, strerror(errno));
		s->quit = 1;
		return;
	}
	str_lcpy(s->login, user, sizeof s->login);
	s->state = ST_AUTH;
	folders_init(s, home);
	if (!strcmp(how, "USER"))
		how = "LOGIN";	/* privsep's name for a password */
	log_msg(LOG_INFO, "login: user=<%s>, method=%s, rip=%s%s", user, how,
		s->peer.ip, s->tls || s->ps.secure ? ", TLS" : "");
	capabilities(s, caps, sizeof caps);
	tagged(s, "OK [CAPABILITY %s] Logged in", caps);
}

/* Child: the monitor's answer to RQ, its payload into OUT. */
static int chan_ask(struct imap *s, const struct privsep_req *rq, char *out,
	size_t max)
{
	int r = privsep_ask(&s->ps, rq, out, max);

	if (r < 0) {
		log_msg(LOG_ERR, "%s: the login monitor is gone", s->client);
		return AUTH_TEMPFAIL;
	}
	return r;
}

static void login_result(struct imap *s, int r, const char *user,
	const char *how)
{
	switch (r) {
	case AUTH_SUCCESS:
		/* split: the monitor takes the session and answers */
		if (s->ps.chan >= 0)
			s->handoff = s->quit = 1;
		else
			do_login(s, user, how);
		break;
	case AUTH_TEMPFAIL:
		tagged(s, "NO [UNAVAILABLE] Authentication backend failure, "
			"try again later");
		break;
	case AUTH_MALFORMED:
		tagged(s, "BAD Invalid base64 data or syntax");
		break;
	case AUTH_CANCEL:
		/* RFC 3501 6.2.2: a "*" cancels with a BAD */
		tagged(s, "BAD Authentication cancelled");
		break;
	default:
		failed(s, "Authentication failed");
	}
}

static const char plaintext_refused[] = "NO [PRIVACYREQUIRED] Plaintext "
	"authentication disallowed on non-secure (SSL/TLS) connections; use "
	"STARTTLS first";

/* RFC 3501 6.2.3: LOGIN userid password. */
static void cmd_login(struct imap *s, struct cur *c)
{
	char user[AUTH_USER_MAX], pass[AUTH_PASS_MAX], out[AUTH_USER_MAX];
	struct privsep_req rq = { 'P', s->tls != NULL, 0, user, pass };
	int r;

	if (p_sp(c) < 0 || p_cstring(c, user, sizeof user, 0) < 0 ||
	    p_sp(c) < 0 || p_cstring(c, pass, sizeof pass, 0) < 0 ||
	    !p_eol(c) || !user[0]) {
		tagged(s, "BAD Usage: LOGIN user password");
		s->errors++;
		return;
	}
	if (!plaintext_ok(s)) {
		tagged(s, "%s", plaintext_refused);
		explicit_bzero(pass, sizeof pass);
		return;
	}
	if (s->ps.chan >= 0)
		r = chan_ask(s, &rq, out, sizeof out);
	else
		r = check_pass(s, user, pass);
	explicit_bzero(pass, sizeof pass);
	login_result(s, r, user, "LOGIN");
}

/* RFC 3501 6.2.2 AUTHENTICATE mech, with RFC 4959's initial response. */
static void cmd_authenticate(struct imap *s, struct cur *c)
{
	struct auth a;
	char mech[32], initial[AUTH_LINE_MAX], *ir = NULL;
	size_t len;
	int r, allowed = mechs(s);

	if (p_sp(c) < 0 || p_cstring(c, mech, sizeof mech, 0) < 0) {
		tagged(s, "BAD Usage: AUTHENTICATE mechanism [response]");
		s->errors++;
		return;
	}
	if (p_sp(c) == 0) {
		char *v;

		if (p_atom(c, &v, &len, 0) < 0 || len >= sizeof initial) {
			tagged(s, "BAD Invalid initial response");
			s->errors++;
			return;
		}
		memcpy(initial, v, len);
		initial[len] = 0;
		ir = initial;
	}
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: AUTHENTICATE mechanism [response]");
		s->errors++;
		return;
	}
	if (!CFG_AUTH) {
		tagged(s, "NO Unsupported authentication mechanism");
		return;
	}
	if (s->ps.chan >= 0) {
		struct privsep_req rq = { 'A', s->tls != NULL, allowed, NULL,
			NULL, mech, ir };

		r = chan_ask(s, &rq, a.out, sizeof a.out);
	} else {
		r = auth_start(&a, mech, allowed, ir, s->host, lookup, s,
			s->client);
	}
	while (r == AUTH_CONTINUE) {
		reply(s, "+ %s", a.out);
		io_deadline(&s->in, timeout_ms(s));
		r = io_getline(&s->in, s->line, AUTH_LINE_MAX + 1, &len);
		if (r != IO_LINE) {
			s->quit = 1;
			explicit_bzero(&a, sizeof a);
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
	explicit_bzero(s->line, sizeof s->line);
	if (r == AUTH_NOMECH) {
		if (auth_mech_byname(mech) & AUTH_PLAINTEXT && !s->tls &&
		    !plaintext_ok(s))
			tagged(s, "%s", plaintext_refused);
		else
			tagged(s, "NO Unsupported authentication mechanism");
	} else {
		login_result(s, r, s->ps.chan >= 0 ? a.out : a.user,
			auth_mech_name(auth_mech_byname(mech)));
	}
	explicit_bzero(&a, sizeof a);
}

static int start_tls(struct imap *s)
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

/* RFC 3501 6.2.1: STARTTLS; plaintext pipelined behind it is refused and
 * the session ends (io_starttls_check), never read as if it came over
 * TLS. */
static void cmd_starttls(struct imap *s, struct cur *c)
{
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: STARTTLS");
		s->errors++;
		return;
	}
	if (!CFG_TLS || !s->c->tls || s->tls) {
		tagged(s, s->tls ? "BAD TLS is already active" :
			"BAD STARTTLS not available");
		return;
	}
	if (io_starttls_check(&s->in, "STARTTLS", s->client) < 0) {
		reply(s, "* BYE Command pipelining after STARTTLS");
		s->quit = 1;
		return;
	}
	tagged(s, "OK Begin TLS negotiation now");
	start_tls(s);
}

/* RFC 4978: COMPRESS DEFLATE.  The tagged OK goes out uncompressed; every
 * byte after it, both ways, is deflate (inside TLS when TLS is on). */
static void cmd_compress(struct imap *s, struct cur *c)
{
	char mech[32];
	struct zio *z;

	if (p_sp(c) < 0 || p_cstring(c, mech, sizeof mech, 0) < 0 ||
	    !p_eol(c)) {
		tagged(s, "BAD Usage: COMPRESS DEFLATE");
		s->errors++;
		return;
	}
	if (s->z) {
		tagged(s, "NO [COMPRESSIONACTIVE] DEFLATE active via "
			"COMPRESS");
		return;
	}
	if (strcasecmp(mech, "DEFLATE")) {
		tagged(s, "BAD Unknown compression mechanism");
		s->errors++;
		return;
	}
	z = zio_new(&s->in, IMAP_INFLATE_MAX);
	if (!z) {
		tagged(s, "NO [UNAVAILABLE] Cannot compress: %s",
			strerror(errno));
		return;
	}
	tagged(s, "OK DEFLATE active");
	if (io_flush(&s->out) < 0 || zio_start(z, &s->in, &s->out) < 0) {
		zio_end(z);
		s->quit = 1;
		return;
	}
	s->z = z;
	if (s->c->verbose)
		log_msg(LOG_DEBUG, "%s: COMPRESS DEFLATE", s->client);
}

/* --- any state ------------------------------------------------------------ */

static void cmd_capability(struct imap *s, struct cur *c)
{
	char caps[512];

	if (!p_eol(c)) {
		tagged(s, "BAD Usage: CAPABILITY");
		s->errors++;
		return;
	}
	capabilities(s, caps, sizeof caps);
	reply(s, "* CAPABILITY %s", caps);
	tagged(s, "OK Capability completed");
}

static void cmd_logout(struct imap *s, struct cur *c)
{
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: LOGOUT");
		s->errors++;
		return;
	}
	reply(s, "* BYE Logging out");
	tagged(s, "OK Logout completed");
	s->quit = 1;
}

/* RFC 2971: ID ("name" "value" ...) or NIL; at most 30 pairs, each
 * field at most 30 octets, values 1024.  Logged with -v. */
static void cmd_id(struct imap *s, struct cur *c)
{
	int pairs = 0;

	if (p_sp(c) < 0)
		goto bad;
	if (c->end - c->p >= 3 && !strncasecmp(c->p, "NIL", 3)) {
		c->p += 3;
	} else {
		if (!p_peek(c, '('))
			goto bad;
		c->p++;
		while (!p_peek(c, ')')) {
			char *k, *v;
			size_t kn, vn;

			if (pairs && p_sp(c) < 0)
				goto bad;
			if (p_string(c, &k, &kn, 0) < 0 || p_sp(c) < 0 ||
			    kn > 30)
				goto bad;
			if (c->end - c->p >= 3 &&
			    !strncasecmp(c->p, "NIL", 3)) {
				c->p += 3;
				vn = 0;
				v = "";
			} else if (p_string(c, &v, &vn, 0) < 0 || vn > 1024) {
				goto bad;
			}
			if (++pairs > 30)
				goto bad;
			if (s->c->verbose)
				log_msg(LOG_DEBUG, "%s: ID %.*s %.*s",
					s->client, (int)kn, k, (int)vn, v);
		}
		c->p++;
	}
	if (!p_eol(c))
		goto bad;
	reply(s, "* ID (\"name\" \"postbox\" \"vendor\" \"postbox\")");
	tagged(s, "OK ID completed");
	return;
bad:
	tagged(s, "BAD Usage: ID (\"field\" \"value\" ...) or ID NIL");
	s->errors++;
}

/* --- authenticated state -------------------------------------------------- */

/* RFC 5161: ENABLE capability...; what is not known is ignored. */
static void cmd_enable(struct imap *s, struct cur *c)
{
	char word[64];
	int condstore = 0, qresync = 0;

	if (p_peek(c, '\r')) {
		tagged(s, "BAD Usage: ENABLE capability ...");
		s->errors++;
		return;
	}
	while (!p_eol(c)) {
		if (p_sp(c) < 0 || p_cstring(c, word, sizeof word, 0) < 0) {
			tagged(s, "BAD Usage: ENABLE capability ...");
			s->errors++;
			return;
		}
		if (!strcasecmp(word, "CONDSTORE"))
			condstore = 1;
		else if (!strcasecmp(word, "QRESYNC"))
			qresync = 1;
	}
	/* RFC 7162 3.1.8: CONDSTORE is enabled by ENABLE; 3.2.3: QRESYNC
	 * too, and turns it on */
	if (condstore || qresync)
		s->condstore = 1;
	if (qresync)
		s->qresync = 1;
	reply(s, "* ENABLED%s%s", condstore ? " CONDSTORE" : "",
		qresync ? " QRESYNC" : "");
	tagged(s, "OK Enabled");
}

/* RFC 2342: one personal namespace, no prefix, "/" between levels. */
static void cmd_namespace(struct imap *s, struct cur *c)
{
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: NAMESPACE");
		s->errors++;
		return;
	}
	reply(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	tagged(s, "OK Namespace completed");
}

static void cmd_noop(struct imap *s, struct cur *c)
{
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: NOOP");
		s->errors++;
		return;
	}
	tagged(s, "OK NOOP completed");
}

/* --- the command table ---------------------------------------------------- */

#define S_NOAUTH	(1 << ST_NOAUTH)
#define S_AUTH		(1 << ST_AUTH)
#define S_SEL		(1 << ST_SELECTED)
#define S_ANY		(S_NOAUTH | S_AUTH | S_SEL)

static const struct command {
	const char *name;
	unsigned states;
	void (*fn)(struct imap *s, struct cur *c);
} commands[] = {
	{ "CAPABILITY", S_ANY, cmd_capability },
	{ "NOOP", S_ANY, cmd_noop },
	{ "LOGOUT", S_ANY, cmd_logout },
	{ "ID", S_ANY, cmd_id },
	{ "LOGIN", S_NOAUTH, cmd_login },
	{ "AUTHENTICATE", S_NOAUTH, cmd_authenticate },
	{ "STARTTLS", S_NOAUTH, cmd_starttls },
	{ "ENABLE", S_AUTH | S_SEL, cmd_enable },
	{ "NAMESPACE", S_AUTH | S_SEL, cmd_namespace },
	{ "SELECT", S_AUTH | S_SEL, cmd_select },
	{ "EXAMINE", S_AUTH | S_SEL, cmd_examine },
	{ "CREATE", S_AUTH | S_SEL, cmd_create },
	{ "DELETE", S_AUTH | S_SEL, cmd_delete },
	{ "RENAME", S_AUTH | S_SEL, cmd_rename },
	{ "SUBSCRIBE", S_AUTH | S_SEL, cmd_subscribe },
	{ "UNSUBSCRIBE", S_AUTH | S_SEL, cmd_unsubscribe },
	{ "LIST", S_AUTH | S_SEL, cmd_list },
	{ "LSUB", S_AUTH | S_SEL, cmd_lsub },
	{ "STATUS", S_AUTH | S_SEL, cmd_status },
	{ "APPEND", S_AUTH | S_SEL, cmd_append },
	{ "IDLE", S_AUTH | S_SEL, cmd_idle },
	{ "CHECK", S_SEL, cmd_check },
	{ "CLOSE", S_SEL, cmd_close },
	{ "UNSELECT", S_SEL, cmd_unselect },
	{ "EXPUNGE", S_SEL, cmd_expunge },
	{ "SEARCH", S_SEL, cmd_search },
	{ "FETCH", S_SEL, cmd_fetch },
	{ "STORE", S_SEL, cmd_store },
	{ "COPY", S_SEL, cmd_copy },
	{ "MOVE", S_SEL, cmd_move },
	{ "UID", S_SEL, cmd_uid },
	{ "COMPRESS", CFG_IMAPD_COMPRESS ? S_AUTH | S_SEL : 0, cmd_compress },
};

/* One command in s->cmd: the tag, the name, the table. */
static void command(struct imap *s)
{
	struct cur c = { s->cmd.p, s->cmd.p + s->cmd.len };
	char name[32];
	char *tag;
	size_t n, i;

	if (p_atom(&c, &tag, &n, 1) < 0 || n > IMAP_TAG_MAX ||
	    memchr(tag, '+', n) || p_sp(&c) < 0) {
		reply(s, "* BAD Missing or invalid tag");
		s->errors++;
		return;
	}
	memcpy(s->tag, tag, n);
	s->tag[n] = 0;
	if (p_word(&c, name, sizeof name) < 0) {
		tagged(s, "BAD Missing or invalid command");
		s->errors++;
		return;
	}
	if (s->c->verbose)
		log_msg(LOG_DEBUG, "<<< %s %s", s->tag, !strcmp(name, "LOGIN")
			? "LOGIN ****" : name);
	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(commands[i].name, name) && commands[i].states)
			break;
	if (i == sizeof commands / sizeof *commands) {
		tagged(s, "BAD Unknown command");
		s->errors++;
		return;
	}
	if (!(commands[i].states & (1u << s->state))) {
		tagged(s, "BAD %s", s->state == ST_NOAUTH ? "Not logged in" :
			commands[i].states == S_NOAUTH ? "Already logged in" :
			"No mailbox selected");
		s->errors++;
		return;
	}
	/* what others did since the last command: new messages, flags
	 * (EXPUNGEs wait for a command that may have them) */
	if (s->sel && sel_update(s, 0) < 0 && errno == EWOULDBLOCK &&
	    (!strcmp(name, "FETCH") || !strcmp(name, "STORE") ||
	    !strcmp(name, "SEARCH") || !strcmp(name, "COPY") ||
	    !strcmp(name, "MOVE") || !strcmp(name, "UID") ||
	    !strcmp(name, "EXPUNGE"))) {
		/* RFC 5530 INUSE: a POP3 session (or mail) has it */
		tagged(s, "NO [INUSE] Mailbox is locked by a POP3 session or "
			"another program, try again");
		return;
	}
	s->expunge_ok = s->state == ST_SELECTED && strcmp(name, "FETCH") &&
		strcmp(name, "STORE") && strcmp(name, "SEARCH");
	commands[i].fn(s, &c);
	s->expunge_ok = 0;
}

static void session_loop(struct imap *s)
{
	while (!s->quit) {
		int r;

		if (s->errors >= IMAP_ERRORS_MAX) {
			reply(s, "* BYE Too many bad commands");
			break;
		}
		zio_mark(s->z);
		r = read_command(s);
		if (r == 0 && zio_over(s->z)) {
			/* compressed input that would inflate past any
			 * command (a decompression bomb) */
			reply(s, "* BYE Compressed command too large");
			log_msg(LOG_NOTICE, "%s: compressed input over %lu "
				"bytes in one command: closing", s->client,
				(unsigned long)IMAP_INFLATE_MAX);
		}
		if (r == 0)
			break;
		if (r < 0) {
			s->errors++;
			continue;
		}
		command(s);
	}
	io_flush(&s->out);
}

/* Child, after a good login (privsep.h): the monitor answers the
 * command, so it learns the tag first, as the first line of what it
 * reads (the tag is checked there as any client's). */
static void child_handoff(struct imap *s, char *buf, size_t max)
{
	size_t t = strlen(s->tag), n;
	ssize_t k;

	if (s->tls) {
		memcpy(buf, s->tag, t);
		memcpy(buf + t, "\r\n", 2);
		if (file_write_all(s->ps.chan, buf, t + 2) == 0)
			privsep_relay(&s->ps, &s->in, &s->out, buf, max,
				timeout_ms(s));
		return;
	}
	/* all the input buffered (IMAP_IN_BUF) fits behind the tag */
	max = PRIVSEP_INPUT_MAX;
	if (!(buf = malloc(max))) {
		log_msg(LOG_ERR, "%s: out of memory", s->client);
		return;
	}
	memcpy(buf, s->tag, t);
	memcpy(buf + t, "\r\n", 2);
	n = t + 2;
	while (io_pending(&s->in) && n < max &&
	    (k = io_read(&s->in, buf + n, max - n)) > 0)
		n += (size_t)k;
	privsep_send(s->ps.chan, 'I', buf, n);
	free(buf);
}

/* Root: the login child speaks to the client as DefaultUser, this
 * process checks passwords, then becomes the mailbox owner and serves
 * it.  1 in the child, 0 here when the session is over (the child's
 * exit status in *RC), -1 when nothing forked. */
static int split(struct imap *s, int *rc)
{
	char user[AUTH_USER_MAX], how[16];
	struct privsep_checks k = { s, s->host, s->client, lookup,
		check_pass, NULL, NULL };
	int r = privsep_split(&s->ps), st;
	size_t len;

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
		io_deadline(&s->in, timeout_ms(s));
		io_deadline(&s->out, timeout_ms(s));
		if (io_getline(&s->in, s->line, IMAP_TAG_MAX + 3, &len) !=
		    IO_LINE || len < 3 || s->line[len - 2] != '\r') {
			log_msg(LOG_ERR, "%s: the login child sent no tag",
				s->client);
		} else {
			struct cur c = { s->line, s->line + len - 2 };
			char *t;
			size_t n;

			/* the child's word is checked as a client's */
			if (p_atom(&c, &t, &n, 1) < 0 || c.p != c.end) {
				log_msg(LOG_ERR, "%s: the login child sent a "
					"bad tag", s->client);
			} else {
				s->line[len - 2] = 0;
				str_lcpy(s->tag, s->line, sizeof s->tag);
				do_login(s, user, how);
				session_loop(s);
			}
		}
	}
	explicit_bzero(user, sizeof user);
	st = privsep_end(&s->ps, s->line, sizeof s->line);
	*rc = WIFEXITED(st) ? WEXITSTATUS(st) : EX_SOFTWARE;
	if (WIFSIGNALED(st))
		log_msg(LOG_ERR, "%s: the login child (pid %ld) was killed by "
			"signal %d (%s)", s->client, (long)s->ps.child,
			WTERMSIG(st), strsignal(WTERMSIG(st)));
	return 0;
}

static void session_free(struct imap *s)
{
	zio_end(s->z);
	sel_close(s);
	free(s->folders);
	buf_free(&s->cmd);
	free(s);
}

/* The session on fds 0/1.  L is the listener (NULL in -i mode). */
static int session(struct ctx *c, const struct net_listener *l)
{
	struct imap *s;
	char caps[512];
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
	buf_init(&s->cmd, IMAP_APPEND_MAX + IMAP_CMD_MAX);
	privsep_init(&s->ps, c->root, c->pre_uid, c->pre_gid);
	net_peer(&s->peer);
	if (s->peer.host[0])
		snprintf(s->client, sizeof s->client, "%s [%s]", s->peer.host,
			s->peer.ip);
	else
		snprintf(s->client, sizeof s->client, "[%s]", s->peer.ip);
	if (cf_expand(c->cf, "$j", s->host, sizeof s->host) < 0 ||
	    !s->host[0])
		str_lcpy(s->host, "localhost", sizeof s->host);
	if (c->root) {
		int rc = 0, r = split(s, &rc);

		if (r <= 0) {
			session_free(s);
			return r < 0 ? EX_OSERR : rc;
		}
	}
	io_init(&s->in, 0, s->inbuf, sizeof s->inbuf);
	io_init(&s->out, 1, s->outbuf, sizeof s->outbuf);
	io_pair(&s->in, &s->out);
	io_deadline(&s->out, timeout_ms(s));
	if (c->verbose)
		log_msg(LOG_DEBUG, "connection from %s", s->client);
	/* M=s: implicit TLS (port 993), before the greeting */
	if (CFG_TLS && ((l && strchr(l->modifiers, 's')) || c->implicit) &&
	    (!c->tls || start_tls(s) < 0)) {
		if (!c->tls)
			log_msg(LOG_ERR, "implicit TLS without ServerCertFile");
		session_free(s);
		return 0;
	}
	/* RFC 3501 7.1: the capabilities in the greeting save a round
	 * trip, and some clients read them nowhere else */
	capabilities(s, caps, sizeof caps);
	reply(s, "* OK [CAPABILITY %s] postbox IMAP server ready", caps);
	session_loop(s);
	if (s->handoff)
		child_handoff(s, s->line, sizeof s->line);
	/* deflate's end first: it sits on TLS */
	zio_end(s->z);
	s->z = NULL;
	if (s->tls)
		tls_close(s->tls);
	child = s->ps.chan >= 0;
	session_free(s);
	if (child)
		_exit(0);	/* the login child: its parent cleans up */
	return 0;
}

/* --- running it ----------------------------------------------------------- */

static int net_session(void *arg, const struct net_listener *l)
{
	return session(arg, l);
}

/* SIGHUP: the certificate of FRESH read again for the next sessions,
 * built aside (pop3d's rule); the listeners stay. */
static int reload(void *arg, struct net_server *srv, const struct cf *fresh,
	char *err, size_t errmax)
{
	struct ctx *c = arg;

	return net_tls_reload(srv, fresh, &c->tls, err, errmax);
}

static void log_login_user(void *arg)
{
	struct ctx *c = arg;

	net_log_user("login children", c->root, c->pre_uid, c->pre_gid,
		"DefaultUser", c->cf->opt.default_user ?
		c->cf->opt.default_user : "");
}

static void reloaded(void *arg)
{
	struct ctx *c = arg;

	if (c->root)
		local_default_user(c->cf, &c->pre_uid, &c->pre_gid);
	log_login_user(c);
}

/* The listeners: PostboxImapPortOptions, else 127.0.0.1 143 and, with a
 * certificate, 127.0.0.1 993 M=s (loopback by default). */
static int daemon_mode(struct ctx *c, int background, const char *pidfile)
{
	struct cf_daemon def[2];
	const struct cf_daemon *tls;
	struct net_daemon d;

	net_daemon_init(&d, "imapd", c, &c->cf, c->cfpath);
	d.d = c->cf->imap_daemons;
	d.n = c->cf->n_imap_daemons;
	if (!d.n) {
		d.n = net_default_listeners(def, "IMAP", 143, "IMAPS", 993,
			c->tls != NULL);
		d.d = def;
	}
	if (!c->tls && (tls = net_needs_tls(d.d, d.n))) {
		xwarn("PostboxImapPortOptions Name=%s: M=s needs "
			"ServerCertFile", tls->name);
		return EX_CONFIG;
	}
	d.session = net_session;
	d.busy = "* BYE [UNAVAILABLE] Too many connections\r\n";
	d.client_conn = 1;
	d.busy_ip = "* BYE [UNAVAILABLE] Too many connections from your "
		"address\r\n";
	d.started = log_login_user;
	d.reload = reload;
	d.reloaded = reloaded;
	return net_daemon(&d, background, pidfile);
}

int imapd_main(int argc, char **argv)
{
	const char *cfpath = NULL, *pidfile = "/var/run/imapd.pid";
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
	log_open("imapd", 0);
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
