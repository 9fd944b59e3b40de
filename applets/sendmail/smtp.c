/*
 * The SMTP client: the queue runner's remote transport (RFC 5321, with
 * STARTTLS RFC 3207, AUTH RFC 4954, SIZE RFC 1870, 8BITMIME RFC 6152,
 * DSN RFC 3461).
 *
 * Routing, per recipient domain, as sendmail decides it:
 *  1. mailertable (Kmailertable): the domain, then ".parent" keys up to
 *     ".", sendmail's search; values "smtp:HOSTS" (also esmtp, smtp8,
 *     relay, dsmtp) or "error:D.S.N:text" ("error:550 5.1.1 text");
 *  2. else the smart host (DS, SMART_HOST; "esmtp:[host]" names the
 *     mailer whose port applies, as m4's SMART_HOST may);
 *  3. else the domain's MX (dns.h).
 * HOSTS: "host" (MX lookup), "[host]" (no MX lookup), separated by ':'
 * to try several in order; a ":port" whose word is all digits is the
 * port of the host before it ("[smtp.example.com]:587", Postfix's
 * form); else the port of "A=TCP $h PORT" of the relay mailer (smart
 * host) or the esmtp mailer, RELAY_MAILER_ARGS's form; else 25.
 *
 * Policy: the smart host (the provider relay that carries passwords)
 * gets STARTTLS with certificate and host-name verification, and a TLS
 * failure defers (never plaintext after a failed handshake; a smart host
 * that offers no STARTTLS gets plaintext, without AUTH); MX hosts get
 * opportunistic STARTTLS (verify=NONE|FAIL is logged, not fatal), unless
 * the access map has a TLS_Srv:host entry, sendmail's per-destination
 * policy: VERIFY (verified TLS required) or ENCR:bits (TLS required).
 * AUTH PLAIN or LOGIN from the authinfo map, over TLS only.  Every DNS,
 * connection, TLS and AUTH failure defers; only a 5xx reply to MAIL,
 * RCPT or DATA (or NXDOMAIN for the domain, a loop, too many hops)
 * fails a recipient.
 *
 * Left out: PIPELINING (commands wait for their reply), CHUNKING, SMTPUTF8
 * downgrades, 8-bit to 7-bit conversion, DANE/MTA-STS, TLS_Srv's key
 * sizes (bits are not compared), CRAM-MD5 as a client, host status
 * caching across runs.
 */
#include "sendmail.h"
#include "decide.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SMTP_LINE 1001		/* RFC 5321 4.5.3.1.5: reply line */
#define SMTP_MAX_HOPS 8		/* hosts of one route */
#define SMTP_MAX_TRIES 32	/* addresses tried for one domain */

/* Extensions the server announced (RFC 5321 4.1.1.1's EHLO lines). */
#define EXT_SIZE	1
#define EXT_8BIT	2
#define EXT_DSN		4
#define EXT_STARTTLS	8
#define EXT_AUTH	16

struct hop {
	char name[DNS_NAME_MAX];
	unsigned port;		/* 0: the default */
	int nomx;		/* "[host]" */
};

struct route {
	int smart;		/* the smart host: verify, AUTH */
	int direct;		/* MX of the recipient's domain itself */
	char mailer[8];		/* whose A=TCP $h PORT gives the port */
	int error;		/* mailertable error: */
	char text[512];		/* the error's text */
	char dsn[8];
	struct hop hops[SMTP_MAX_HOPS];
	size_t n;
};

struct reply {
	int code;		/* 0: none came (text says why) */
	char dsn[8];
	char text[1024];	/* "550 5.1.1 <a@b>... User unknown" */
};

struct conn {
	int fd;
	struct io in, out;
	struct tls *tls;
	int verify;
	unsigned ext;
	unsigned long maxsize;	/* SIZE's limit, 0 none (RFC 1870) */
	int mechs;		/* AUTH_PLAIN, AUTH_LOGIN offered */
	int ehlo;		/* get_reply: record the extensions */
	int verbose;		/* -v: the transcript on stdout */
	int secret;		/* the next commands carry AUTH data */
	char host[DNS_NAME_MAX];	/* as routed: "mx.example.com" */
	char ip[48];
	unsigned port;
	int smart;
	char inbuf[4096], outbuf[16384];
};

/* The transport's state for one run (sm->smtp): the connection kept for
 * the next message to the same host, and the trust anchors. */
struct smtp {
	struct conn *conn;
	struct tls_client_config *tlscfg;
	int tlscfg_tried;
};

static long secs_or(long v, long dflt)
{
	return v > 0 ? v : dflt;
}

static void set_res(struct local_result *res, int status, const char *dsn,
	const char *text)
{
	res->status = status;
	str_lcpy(res->dsn, dsn, sizeof res->dsn);
	str_lcpy(res->text, text, sizeof res->text);
}

/* --- routes ------------------------------------------------------------ */

/* Parses HOSTS (see the top) into R; 0, or -1 when malformed. */
static int parse_hosts(const char *hosts, struct route *r)
{
	char buf[1024], *p, *tok;
	unsigned long port;

	if (str_lcpy(buf, hosts, sizeof buf) >= sizeof buf)
		return -1;
	r->n = 0;
	p = buf;
	while ((tok = p) != NULL) {
		/* A colon inside brackets belongs to an IPv6 literal. */
		char *end = *tok == '[' ? strchr(tok, ']') : tok;

		if (!end)
			return -1;
		p = strchr(end, ':');
		if (p)
			*p++ = 0;
		tok = str_trim(tok);
		if (!*tok)
			continue;
		/* All digits: a port, which must be one (never a host
		 * name to look up). */
		if (strspn(tok, "0123456789") == strlen(tok)) {
			if (!r->n || str_toul(tok, 65535, &port) < 0 ||
			    port == 0)
				return -1;
			r->hops[r->n - 1].port = (unsigned)port;
			continue;
		}
		if (r->n == SMTP_MAX_HOPS)
			return -1;
		memset(&r->hops[r->n], 0, sizeof r->hops[r->n]);
		if (*tok == '[') {
			size_t len = strlen(tok);

			if (len < 3 || tok[len - 1] != ']')
				return -1;
			tok[len - 1] = 0;
			tok++;
			r->hops[r->n].nomx = 1;
		}
		if (str_lcpy(r->hops[r->n].name, tok, DNS_NAME_MAX) >=
		    DNS_NAME_MAX)
			return -1;
		r->n++;
	}
	return r->n ? 0 : -1;
}

/* The port of a mailer's "A=TCP $h PORT" (RELAY_MAILER_ARGS), or 0. */
static unsigned mailer_port(struct sm *sm, const char *name)
{
	const struct cf_mailer *m = cf_mailer(&sm->cf, name);
	char buf[256], *w[4], *p, *save = NULL;
	unsigned long port;
	int n = 0;

	if (!m || str_lcpy(buf, m->argv, sizeof buf) >= sizeof buf)
		return 0;
	for (p = strtok_r(buf, " \t", &save); p && n < 4;
	    p = strtok_r(NULL, " \t", &save))
		w[n++] = p;
	if (n == 3 && strcmp(w[0], "TCP") == 0 &&
	    str_toul(w[2], 65535, &port) == 0)
		return (unsigned)port;
	return 0;
}

/* The length of the SMTP mailer name that prefixes S ("esmtp:"), with
 * its colon, or 0; the name goes into R. */
static size_t mailer_prefix(const char *s, struct route *r)
{
	static const char *const names[] = { "smtp", "esmtp", "smtp8",
		"dsmtp", "relay" };
	size_t i, k;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		k = strlen(names[i]);
		if (strncasecmp(s, names[i], k) == 0 && s[k] == ':') {
			str_lcpy(r->mailer, names[i], sizeof r->mailer);
			str_lower(r->mailer);
			return k + 1;
		}
	}
	return 0;
}

/* Looks KEY up in map NAME (the file map_spec_k names, as smtpd and
 * makemap do): 1 found, 0 not, -1 temporary. */
static int lookup(struct sm *sm, const char *name, const char *key,
	char *val, size_t max)
{
	struct decide_map dm;
	int rc;

	decide_map_open(&dm, &sm->cf, name);
	if (dm.state < 0)
		log_msg(LOG_ERR, "%s", dm.err ? dm.err : name);
	rc = decide_map_get(&dm, key, val, max);
	decide_map_close(&dm);
	return rc;
}

/* Decides where mail for DOMAIN goes.  0, or -1 with RES set (a
 * temporary failure). */
static int route_for(struct sm *sm, const char *domain, struct route *r,
	struct local_result *res)
{
	char val[1024];
	struct decide d;
	char *colon;
	size_t k;
	int via;

	memset(r, 0, sizeof *r);
	/* the same order smtpd and sendmail -bt show (decide.h) */
	memset(&d, 0, sizeof d);
	d.cf = &sm->cf;
	decide_map_open(&d.mailertable, &sm->cf, "mailertable");
	if (d.mailertable.state < 0)
		log_msg(LOG_ERR, "%s", d.mailertable.err);
	via = decide_remote(&d, domain, val, sizeof val);
	decide_map_close(&d.mailertable);
	if (via < 0) {
		set_res(res, EX_TEMPFAIL, "4.3.0", "mailertable lookup failed");
		return -1;
	}
	if (via == DECIDE_VIA_MAILERTABLE) {
		colon = strchr(val, ':');
		if (colon && str_istarts(val, "error:")) {
			/* "error:5.1.1:550 text" or "error:550 text" */
			const char *t = colon + 1;

			r->error = 1;
			str_lcpy(r->dsn, t[0] == '4' ? "4.0.0" : "5.0.0",
				sizeof r->dsn);
			if (t[0] >= '2' && t[0] <= '5' && t[1] == '.' &&
			    strchr(t, ':')) {
				size_t k = (size_t)(strchr(t, ':') - t);

				if (k < sizeof r->dsn) {
					memcpy(r->dsn, t, k);
					r->dsn[k] = 0;
				}
				t = strchr(t, ':') + 1;
			}
			str_lcpy(r->text, t, sizeof r->text);
			return 0;
		}
		k = mailer_prefix(val, r);
		if (k && parse_hosts(val + k, r) == 0)
			return 0;
		log_msg(LOG_ERR, "mailertable: %s: unusable entry \"%s\"",
			domain, val);
		set_res(res, EX_TEMPFAIL, "4.3.5", "bad mailertable entry");
		return -1;
	}
	if (via == DECIDE_VIA_SMARTHOST) {
		/* m4's SMART_HOST may name the mailer: "esmtp:[host]". */
		str_lcpy(r->mailer, "relay", sizeof r->mailer);
		if (!val[0] ||
		    parse_hosts(val + mailer_prefix(val, r), r) < 0) {
			set_res(res, EX_TEMPFAIL, "4.3.5",
				"bad smart host (DS) setting");
			return -1;
		}
		r->smart = 1;
		return 0;
	}
	/* MX delivery to the domain itself. */
	r->direct = 1;
	str_lcpy(r->mailer, "esmtp", sizeof r->mailer);
	r->n = 1;
	str_lcpy(r->hops[0].name, domain, DNS_NAME_MAX);
	return 0;
}

/* --- the connection ------------------------------------------------------ */

/* One EHLO line's keyword and parameters (RFC 5321 4.1.1.1), TEXT
 * being the line after "250-". */
static void capability(struct conn *c, const char *line)
{
	char text[SMTP_LINE], *p, *save = NULL;
	int auth = 0;

	str_lcpy(text, line, sizeof text);
	for (p = strtok_r(text, " ", &save); p;
	    p = strtok_r(NULL, " ", &save)) {
		if (auth) {
			/* Only the two we speak; no log line per
			 * mechanism we do not know. */
			if (strcasecmp(p, "PLAIN") == 0)
				c->mechs |= AUTH_PLAIN;
			else if (strcasecmp(p, "LOGIN") == 0)
				c->mechs |= AUTH_LOGIN;
			continue;
		}
		if (strcasecmp(p, "SIZE") == 0) {
			c->ext |= EXT_SIZE;
			p = strtok_r(NULL, " ", &save);
			if (!p || str_toul(p, ~0UL, &c->maxsize) < 0)
				c->maxsize = 0;
			break;
		}
		else if (strcasecmp(p, "8BITMIME") == 0)
			c->ext |= EXT_8BIT;
		else if (strcasecmp(p, "DSN") == 0)
			c->ext |= EXT_DSN;
		else if (strcasecmp(p, "STARTTLS") == 0)
			c->ext |= EXT_STARTTLS;
		else if (strcasecmp(p, "AUTH") == 0 ||
		    strncasecmp(p, "AUTH=", 5) == 0) {
			/* "AUTH=LOGIN PLAIN": old servers' form, for
			 * Outlook Express (RFC 4954 has only "AUTH"). */
			c->ext |= EXT_AUTH;
			auth = 1;
			if (p[4] == '=' && strcasecmp(p + 5, "PLAIN") == 0)
				c->mechs |= AUTH_PLAIN;
			else if (p[4] == '=' && strcasecmp(p + 5, "LOGIN") == 0)
				c->mechs |= AUTH_LOGIN;
			continue;
		}
		break;	/* the rest are the keyword's parameters */
	}
}

/* Reads one reply (all its lines) under a deadline of S seconds. */
static void get_reply(struct conn *c, long s, struct reply *rp)
{
	char line[SMTP_LINE];
	size_t len, tl;
	int rc;

	rp->code = 0;
	rp->text[0] = 0;
	io_deadline(&c->in, (unsigned long)s * 1000);
	for (;;) {
		rc = io_getline(&c->in, line, sizeof line, &len);
		if (rc != IO_LINE && rc != IO_LONG) {
			snprintf(rp->text, sizeof rp->text, "%s with %s",
				rc == IO_TIMEOUT ? "timeout" : rc == IO_EOF ?
				"connection closed" : strerror(errno),
				c->host);
			rp->code = 0;
			return;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (c->verbose)
			printf("%.*s\n", (int)strnlen(line, len), line);
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (len > 3 && line[3] != ' ' &&
		    line[3] != '-')) {
			snprintf(rp->text, sizeof rp->text,
				"malformed reply from %s", c->host);
			return;
		}
		/* The first line of an EHLO reply is the greeting. */
		if (c->ehlo && rp->text[0] && len > 4 && line[0] == '2')
			capability(c, line + 4);
		/* The lines' texts joined: "550 5.1.1 text more". */
		tl = strlen(rp->text);
		if (!tl)
			str_lcpy(rp->text, line, sizeof rp->text);
		else if (len > 4) {
			str_lcat(rp->text, " ", sizeof rp->text);
			str_lcat(rp->text, line + 4, sizeof rp->text);
		}
		if (!tl && rp->text[3] == '-')
			rp->text[3] = ' ';
		if (len == 3 || line[3] == ' ')
			break;
	}
	rp->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		(line[2] - '0');
	/* RFC 3463: an enhanced status after the code, else a generic one
	 * of the same class. */
	{
		const char *t = rp->text + 4;
		size_t k = strspn(t, "0123456789.");

		if (strlen(rp->text) > 4 && k >= 5 && k < sizeof rp->dsn &&
		    t[0] == rp->text[0] && t[1] == '.' &&
		    (t[k] == ' ' || !t[k])) {
			memcpy(rp->dsn, t, k);
			rp->dsn[k] = 0;
		} else {
			snprintf(rp->dsn, sizeof rp->dsn, "%c.0.0",
				rp->text[0]);
		}
	}
}

/* Sends a command (printf format) and reads its reply. */
static void __attribute__((format(printf, 4, 5)))
cmd(struct conn *c, long s, struct reply *rp, const char *fmt, ...)
{
	char line[1100];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* sendmail -v's transcript; never a secret (AUTH's lines). */
	if (c->verbose && n >= 0) {
		if (!str_istarts(line, "AUTH ") && !c->secret)
			printf(">>> %s\n", line);
		else
			printf(">>> (AUTH data)\n");
		fflush(stdout);
	}
	io_deadline(&c->out, (unsigned long)s * 1000);
	if (n < 0 || (size_t)n >= sizeof line - 2 ||
	    io_write(&c->out, line, (size_t)n) < 0 ||
	    io_write(&c->out, "\r\n", 2) < 0 || io_flush(&c->out) < 0) {
		rp->code = 0;
		snprintf(rp->text, sizeof rp->text, "%s with %s",
			n >= 0 && (size_t)n < sizeof line - 2 ?
			strerror(c->out.err ? c->out.err : errno) :
			"command too long", c->host);
		return;
	}
	get_reply(c, s, rp);
}

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->tls)
		tls_close(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void conn_quit(struct conn *c, struct sm *sm)
{
	struct reply rp;

	if (!c)
		return;
	if (c->fd >= 0 && !c->in.err && !c->out.err)
		cmd(c, secs_or(sm->cf.opt.to_quit, 120), &rp, "QUIT");
	conn_free(c);
}

/* Connects to A within S seconds.  0, or -1 with errno. */
static int connect_to(const struct dns_addr *a, long s)
{
	struct pollfd p;
	int fd, err = 0, rc;
	socklen_t len = sizeof err;

	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	do
		rc = poll(&p, 1, (int)(s * 1000));
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	if (rc <= 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		goto fail;
	if (err) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	return file_close_fail(fd);
}

/* EHLO, falling back to HELO (RFC 5321 3.2); records the extensions. */
static int hello(struct sm *sm, struct conn *c, struct reply *rp)
{
	char j[256];
	long s = secs_or(sm->cf.opt.to_helo, 300);

	if (cf_expand(&sm->cf, "$j", j, sizeof j) < 0 || !*j)
		str_lcpy(j, "localhost", sizeof j);
	c->ext = 0;
	c->maxsize = 0;
	c->mechs = 0;
	c->ehlo = 1;
	cmd(c, s, rp, "EHLO %s", j);
	c->ehlo = 0;
	if (rp->code == 250)
		return 0;
	if (rp->code == 0 || rp->code == 421)
		return -1;
	cmd(c, s, rp, "HELO %s", j);
	return rp->code == 250 ? 0 : -1;
}

static struct tls_client_config *tls_config(struct sm *sm, struct smtp *st)
{
	char err[512];

	if (st->tlscfg_tried)
		return st->tlscfg;
	st->tlscfg_tried = 1;
	st->tlscfg = tls_client_config_new(sm->cf.opt.ca_file,
		sm->cf.opt.ca_path, err, sizeof err);
	if (!st->tlscfg) {
		log_msg(LOG_ERR, "STARTTLS: %s", err);
		return NULL;
	}
	if (sm->cf.opt.client_cert && tls_client_config_cert(st->tlscfg,
	    sm->cf.opt.client_cert, sm->cf.opt.client_key, err,
	    sizeof err) < 0)
		log_msg(LOG_ERR, "STARTTLS: %s", err);
	return st->tlscfg;
}

/* sendmail's authinfo value: "U:user" "I:authid" "P:password" (or
 * "P=base64") "M:PLAIN LOGIN" "R:realm", quoted or not. */
struct authinfo {
	char user[AUTH_USER_MAX], authid[AUTH_USER_MAX];
	char pass[AUTH_PASS_MAX];
	char mechs[128];
};

static int parse_authinfo(const char *v, struct authinfo *ai)
{
	char word[600];
	size_t k;

	memset(ai, 0, sizeof *ai);
	while (*v) {
		int quoted = *v == '"';

		if (*v == ' ' || *v == '\t') {
			v++;
			continue;
		}
		v += quoted;
		for (k = 0; *v && (quoted ? *v != '"' : *v != ' ' &&
		    *v != '\t'); v++)
			if (k < sizeof word - 1)
				word[k++] = *v;
		word[k] = 0;
		if (quoted && *v == '"')
			v++;
		if (k < 2 || (word[1] != ':' && word[1] != '='))
			return -1;
		switch (word[0]) {
		case 'U':
			str_lcpy(ai->user, word + 2, sizeof ai->user);
			break;
		case 'I':
			str_lcpy(ai->authid, word + 2, sizeof ai->authid);
			break;
		case 'P':
			if (word[1] == '=') {
				ssize_t n = b64_decode(ai->pass,
					sizeof ai->pass - 1, word + 2,
					strlen(word + 2), 0);

				if (n < 0)
					return -1;
				ai->pass[n] = 0;
			} else {
				str_lcpy(ai->pass, word + 2, sizeof ai->pass);
			}
			break;
		case 'M':
			str_lcpy(ai->mechs, word + 2, sizeof ai->mechs);
			break;
		}
	}
	if (!ai->authid[0])
		str_lcpy(ai->authid, ai->user, sizeof ai->authid);
	if (!ai->user[0])
		str_lcpy(ai->user, ai->authid, sizeof ai->user);
	return ai->authid[0] ? 0 : -1;
}

/* AUTH to the smart host when authinfo has an entry for it.  0 done or
 * not needed, -1 with RP's text saying why (a temporary failure). */
static int authenticate(struct sm *sm, struct conn *c, struct reply *rp)
{
	char key[DNS_NAME_MAX + 16], val[1024], msg[3 * AUTH_USER_MAX];
	char enc[B64_ENCLEN(sizeof msg) + 1];
	struct authinfo ai;
	long s = secs_or(sm->cf.opt.to_misc, 120);
	int rc, want, mech;
	size_t n;

	snprintf(key, sizeof key, "AuthInfo:%s", c->host);
	rc = lookup(sm, "authinfo", key, val, sizeof val);
	if (rc == 0) {
		snprintf(key, sizeof key, "AuthInfo:%s", c->ip);
		rc = lookup(sm, "authinfo", key, val, sizeof val);
	}
	if (rc == 0)
		rc = lookup(sm, "authinfo", "AuthInfo:", val, sizeof val);
	if (rc == 0)
		return 0;
	if (rc < 0 || parse_authinfo(val, &ai) < 0) {
		snprintf(rp->text, sizeof rp->text, "%s: %s", key,
			rc < 0 ? "authinfo lookup failed" :
			"malformed authinfo entry");
		return -1;
	}
	/* RFC 4954 4: the password goes only over TLS. */
	if (!c->tls) {
		snprintf(rp->text, sizeof rp->text, "AUTH to %s needs TLS, "
			"which it did not offer", c->host);
		return -1;
	}
	want = ai.mechs[0] ? auth_mechs_parse(ai.mechs) : AUTH_PLAINTEXT;
	mech = (c->mechs & want & AUTH_PLAIN) ? AUTH_PLAIN :
		(c->mechs & want & AUTH_LOGIN) ? AUTH_LOGIN : 0;
	if (!mech) {
		snprintf(rp->text, sizeof rp->text, "%s offers no AUTH "
			"mechanism we may use (PLAIN, LOGIN)", c->host);
		return -1;
	}
	c->secret = 1;
	if (mech == AUTH_PLAIN) {
		/* RFC 4616 2: authzid NUL authcid NUL passwd.  No authzid:
		 * the tutorials' "U:smmsp" "I:me@provider" means log in as
		 * I, and providers refuse an authzid that is not the login
		 * (Dovecot without master users, for one). */
		const char *authz = "";
		size_t a = strlen(authz), b = strlen(ai.authid);

		n = a + 1 + b + 1 + strlen(ai.pass);
		if (n > sizeof msg)
			return -1;
		memcpy(msg, authz, a);
		msg[a] = 0;
		memcpy(msg + a + 1, ai.authid, b);
		msg[a + 1 + b] = 0;
		memcpy(msg + a + b + 2, ai.pass, strlen(ai.pass));
		b64_encode(enc, sizeof enc, msg, n);
		cmd(c, s, rp, "AUTH PLAIN %s", enc);
	} else {
		cmd(c, s, rp, "AUTH LOGIN");
		if (rp->code == 334) {
			b64_encode(enc, sizeof enc, ai.authid,
				strlen(ai.authid));
			cmd(c, s, rp, "%s", enc);
		}
		if (rp->code == 334) {
			b64_encode(enc, sizeof enc, ai.pass, strlen(ai.pass));
			cmd(c, s, rp, "%s", enc);
		}
	}
	c->secret = 0;
	explicit_bzero(&ai, sizeof ai);
	explicit_bzero(msg, sizeof msg);
	explicit_bzero(enc, sizeof enc);
	if (rp->code == 235) {
		log_msg(LOG_INFO, "AUTH=client, relay=%s, mech=%s, bits=%d",
			c->host, auth_mech_name(mech),
			tls_cipher_bits(c->tls));
		return 0;
	}
	{
		char why[700];

		snprintf(why, sizeof why, "AUTH %s to %s failed: %.300s",
			auth_mech_name(mech), c->host, rp->code ? rp->text :
			"no reply");
		str_lcpy(rp->text, why, sizeof rp->text);
	}
	return -1;
}

/* sendmail's per-destination TLS policy: the access map's "TLS_Srv:"
 * entries for the server's name and its parent domains, VERIFY[:bits]
 * (a verified certificate) or ENCR:bits (any, but encrypted).  Returns
 * 2, 1, 0 (none), or -1 when the map could not be read. */
static int tls_policy(struct sm *sm, const char *host)
{
	char key[DNS_NAME_MAX + 16], val[256];
	const char *d = host;
	int rc;

	while (d && *d) {
		snprintf(key, sizeof key, "TLS_Srv:%s", d);
		rc = lookup(sm, "access", key, val, sizeof val);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return str_istarts(val, "VERIFY") ? 2 :
				str_istarts(val, "ENCR") ? 1 : 0;
		d = strchr(d, '.');
		if (d)
			d++;
	}
	return 0;
}

/* Opens a session with HOST at address A: greeting, EHLO, STARTTLS,
 * EHLO again, AUTH.  Returns the connection, or NULL with RP's text
 * saying why (always a reason to try elsewhere or defer). */
static struct conn *session(struct sm *sm, struct smtp *st, const char *host,
	const struct dns_addr *a, unsigned port, int smart, struct reply *rp)
{
	struct conn *c = calloc(1, sizeof *c);
	char err[256];
	long s;
	int policy, verify;

	rp->code = 0;
	if (!c) {
		str_lcpy(rp->text, "out of memory", sizeof rp->text);
		return NULL;
	}
	str_lcpy(c->host, host, sizeof c->host);
	str_lcpy(c->ip, a->text, sizeof c->ip);
	c->port = port;
	c->smart = smart;
	c->fd = connect_to(a, secs_or(sm->cf.opt.to_connect, 120));
	if (c->fd < 0) {
		const char *why = errno == ECONNREFUSED ?
			"Connection refused" : strerror(errno);

		if (strcmp(host, a->text) == 0)
			snprintf(rp->text, sizeof rp->text, "%s by [%s]", why,
				host);
		else
			snprintf(rp->text, sizeof rp->text, "%s by %s [%s]",
				why, host, a->text);
		free(c);
		return NULL;
	}
	c->verbose = sm->verbose;
	if (c->verbose) {
		printf("Connecting to %s port %u...\n", a->text, port);
		fflush(stdout);
	}
	io_init(&c->in, c->fd, c->inbuf, sizeof c->inbuf);
	io_init(&c->out, c->fd, c->outbuf, sizeof c->outbuf);
	c->verify = TLS_VERIFY_NONE;
	/* RFC 5321 4.5.3.2.1: the greeting within Timeout.initial. */
	get_reply(c, secs_or(sm->cf.opt.to_initial, 300), rp);
	if (rp->code != 220 || hello(sm, c, rp) < 0)
		goto fail;
	s = secs_or(sm->cf.opt.to_helo, 300);
	/* The smart host is verified whenever it offers STARTTLS; TLS_Srv
	 * entries make TLS (and verification) a condition. */
	policy = tls_policy(sm, host);
	if (policy < 0 || (policy > 0 && (!CFG_TLS ||
	    !(c->ext & EXT_STARTTLS)))) {
		snprintf(rp->text, sizeof rp->text, policy < 0 ?
			"access map lookup failed (TLS_Srv:%s)" :
			"TLS_Srv:%s requires STARTTLS, not offered", host);
		goto fail;
	}
	verify = smart || policy == 2;
	if (CFG_TLS && (c->ext & EXT_STARTTLS)) {
		struct tls_client_config *cfg = tls_config(sm, st);

		if (!cfg) {
			if (verify || policy) {
				str_lcpy(rp->text, "no trust anchors for "
					"STARTTLS", sizeof rp->text);
				goto fail;
			}
		} else {
			cmd(c, s, rp, "STARTTLS");
			if (rp->code != 220) {
				if (verify || policy || rp->code == 0)
					goto fail;
			} else {
				c->tls = tls_client_start(&c->in, &c->out,
					cfg, host, verify ? 0 :
					TLS_OPPORTUNISTIC, (unsigned long)s *
					1000, &c->verify, err, sizeof err);
				log_msg(c->tls ? LOG_INFO : LOG_WARNING,
					"STARTTLS=client, relay=%s, version=%s,"
					" verify=%s, cipher=%s, bits=%d%s%s",
					host, c->tls ? tls_version(c->tls) :
					"none", tls_verify_name(c->verify),
					c->tls ? tls_cipher(c->tls) : "none",
					c->tls ? tls_cipher_bits(c->tls) : 0,
					c->tls ? (tls_resumed(c->tls) ?
					", resumed" : "") : ", error=",
					c->tls ? "" : err);
				if (!c->tls) {
					/* The connection is unusable now;
					 * the next attempt may be plain
					 * for an MX, never for a smart
					 * host. */
					snprintf(rp->text, sizeof rp->text,
						"STARTTLS with %s failed "
						"(verify=%s): %s", host,
						tls_verify_name(c->verify),
						err);
					rp->code = 0;
					goto fail;
				}
				if (hello(sm, c, rp) < 0)
					goto fail;
			}
		}
	}
	if (smart && authenticate(sm, c, rp) < 0) {
		rp->code = 0;
		goto fail;
	}
	return c;
fail:
	if (rp->code && rp->code != 421) {
		struct reply q;

		cmd(c, secs_or(sm->cf.opt.to_quit, 120), &q, "QUIT");
	}
	conn_free(c);
	return NULL;
}

/* --- one message over a session ------------------------------------------ */

/* Writes the message body from FD to C: LF becomes CRLF, a line that
 * starts with "." gets another (RFC 5321 4.5.2), then ".".  In large
 * writes, each within Timeout.datablock.  0, or -1. */
static int send_data(struct sm *sm, struct conn *c, int fd)
{
	char *in = malloc(65536);
	off_t off = 0;
	ssize_t n, i, start;
	int bol = 1, cr = 0, rc = -1;
	unsigned long ms = (unsigned long)secs_or(sm->cf.opt.to_datablock,
		180) * 1000;

	if (!in)
		return -1;
	for (;;) {
		do
			n = pread(fd, in, 65536, off);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		off += n;
		io_deadline(&c->out, ms);
		for (i = start = 0; i < n; i++) {
			if (bol && in[i] == '.') {
				if (io_write(&c->out, in + start,
				    (size_t)(i - start)) < 0 ||
				    io_write(&c->out, ".", 1) < 0)
					goto out;
				start = i;
			}
			bol = 0;
			if (in[i] == '\n') {
				/* A CR already before the LF stays one. */
				if (io_write(&c->out, in + start,
				    (size_t)(i - start)) < 0 ||
				    io_write(&c->out, cr ? "\n" : "\r\n",
				    cr ? 1 : 2) < 0)
					goto out;
				start = i + 1;
				bol = 1;
			}
			cr = in[i] == '\r';
		}
		if (io_write(&c->out, in + start, (size_t)(n - start)) < 0)
			goto out;
	}
	if ((!bol && io_write(&c->out, "\r\n", 2) < 0) ||
	    io_write(&c->out, ".\r\n", 3) < 0 || io_flush(&c->out) < 0)
		goto out;
	if (c->verbose) {
		printf(">>> .\n");
		fflush(stdout);
	}
	rc = 0;
out:
	free(in);
	return rc;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s -= 32;
}

/* One transaction: MAIL, RCPT for each of IDX[N], DATA.  Sets each
 * recipient's RES.  Returns -1 when the connection broke (it must not be
 * reused), 0 otherwise. */
static int transaction(struct sm *sm, struct conn *c, struct queue_entry *q,
	const size_t *idx, size_t n, struct local_result *res)
{
	struct queue_env *e = &q->env;
	struct reply rp;
	char params[512], rparams[700], notify[64];
	size_t i, accepted = 0;
	int *ok = calloc(n ? n : 1, sizeof *ok);

	if (!ok) {
		for (i = 0; i < n; i++)
			set_res(&res[i], EX_TEMPFAIL, "4.3.0", "out of memory");
		return 0;
	}
	/* RFC 1870 6: a message over the server's fixed limit is not
	 * sent; it would never fit. */
	if ((c->ext & EXT_SIZE) && c->maxsize && e->size > c->maxsize) {
		snprintf(params, sizeof params, "552 5.3.4 Message size "
			"exceeds fixed maximum message size (%lu)", c->maxsize);
		for (i = 0; i < n; i++)
			set_res(&res[i], EX_UNAVAILABLE, "5.3.4", params);
		free(ok);
		return 0;
	}
	params[0] = 0;
	if (c->ext & EXT_SIZE)
		snprintf(params, sizeof params, " SIZE=%lu", e->size);
	if ((c->ext & EXT_8BIT) && e->body[0]) {
		str_lcat(params, " BODY=", sizeof params);
		str_lcat(params, strcmp(e->body, "8bitmime") == 0 ?
			"8BITMIME" : "7BIT", sizeof params);
	}
	/* RFC 3461 4.3, 4.4: RET and ENVID only where DSN is offered. */
	if ((c->ext & EXT_DSN) && e->ret[0]) {
		str_lcat(params, " RET=", sizeof params);
		str_lcat(params, strcmp(e->ret, "hdrs") ? "FULL" : "HDRS",
			sizeof params);
	}
	if ((c->ext & EXT_DSN) && e->envid[0]) {
		str_lcat(params, " ENVID=", sizeof params);
		str_lcat(params, e->envid, sizeof params);
	}
	cmd(c, secs_or(sm->cf.opt.to_mail, 300), &rp, "MAIL FROM:<%s>%s",
		e->sender, params);
	if (rp.code != 250)
		goto all;
	for (i = 0; i < n; i++) {
		struct queue_rcpt *r = &e->rcpt[idx[i]];

		rparams[0] = 0;
		if ((c->ext & EXT_DSN) && r->notify) {
			queue_notify_str(r->notify, notify, sizeof notify);
			upper(notify);
			snprintf(rparams, sizeof rparams, " NOTIFY=%s",
				notify);
		}
		if ((c->ext & EXT_DSN) && r->orcpt[0]) {
			str_lcat(rparams, " ORCPT=", sizeof rparams);
			str_lcat(rparams, r->orcpt, sizeof rparams);
		}
		cmd(c, secs_or(sm->cf.opt.to_rcpt, 300), &rp, "RCPT TO:<%s>%s",
			r->addr, rparams);
		if (rp.code == 0)
			goto all;
		if (rp.code == 250 || rp.code == 251) {
			ok[i] = 1;
			accepted++;
			continue;
		}
		set_res(&res[i], rp.code >= 500 ? EX_UNAVAILABLE :
			EX_TEMPFAIL, rp.dsn, rp.text);
	}
	if (!accepted) {
		cmd(c, secs_or(sm->cf.opt.to_rset, 300), &rp, "RSET");
		free(ok);
		return rp.code == 250 ? 0 : -1;
	}
	cmd(c, secs_or(sm->cf.opt.to_datainit, 120), &rp, "DATA");
	if (rp.code == 354) {
		if (send_data(sm, c, q->fd) < 0) {
			rp.code = 0;
			snprintf(rp.text, sizeof rp.text, "%s during the "
				"message to %s", c->out.err == ETIMEDOUT ?
				"timeout" : "connection lost", c->host);
		} else {
			/* RFC 5321 4.5.3.2.6: 10 minutes for the final
			 * reply, however long the processing takes. */
			get_reply(c, secs_or(sm->cf.opt.to_datafinal, 600),
				&rp);
		}
	}
all:
	/* MAIL or DATA's verdict for every recipient still open. */
	for (i = 0; i < n; i++) {
		if (res[i].dsn[0] && !ok[i])
			continue;
		if (rp.code == 250)
			set_res(&res[i], 0, "2.0.0", rp.text);
		else if (rp.code >= 500)
			set_res(&res[i], EX_UNAVAILABLE, rp.dsn, rp.text);
		else if (rp.code)
			set_res(&res[i], EX_TEMPFAIL, rp.dsn, rp.text);
		else
			set_res(&res[i], EX_TEMPFAIL, "4.4.2", rp.text);
	}
	free(ok);
	if (rp.code == 0 || rp.code == 421)
		return -1;
	if (rp.code != 250) {
		cmd(c, secs_or(sm->cf.opt.to_rset, 300), &rp, "RSET");
		if (rp.code != 250)
			return -1;
	}
	return 0;
}

/* --- routing a group of recipients --------------------------------------- */

/* One log line per recipient, sendmail's: to=, delay=, xdelay=, mailer=,
 * relay=, dsn=, stat=, and verify=. */
static void log_rcpt(struct sm *sm, struct queue_entry *q, size_t i,
	const struct local_result *res, const struct conn *c, time_t started)
{
	char delay[32], xdelay[32], relay[DNS_NAME_MAX + 64] = "";
	time_t now = time(NULL);
	const char *addr = q->env.rcpt[i].addr;

	sm_fmt_delay((long)(now - q->env.created), delay, sizeof delay);
	sm_fmt_delay((long)(now - started), xdelay, sizeof xdelay);
	/* An address literal is logged in brackets, as sendmail does. */
	if (c && (strcmp(c->host, c->ip) == 0 ||
	    str_istarts(c->host, "IPv6:")))
		snprintf(relay, sizeof relay, " relay=[%s] [%s],", c->host,
			c->ip);
	else if (c)
		snprintf(relay, sizeof relay, " relay=%s. [%s],", c->host,
			c->ip);
	log_msg(LOG_INFO, "%s: to=<%s>, delay=%s, xdelay=%s, mailer=esmtp,"
		"%s dsn=%s, stat=%s%s%s%s, verify=%s", q->id, addr, delay,
		xdelay, relay, res->dsn, res->status == 0 ? "Sent (" :
		res->status == EX_TEMPFAIL ? "Deferred: " : "Service "
		"unavailable: ", res->text, res->status == 0 ? ")" : "",
		"", tls_verify_name(c ? c->verify : TLS_VERIFY_NONE));
	if (sm->verbose) {
		printf("%s... %s%s\n", addr, res->status == 0 ? "Sent: " :
			res->status == EX_TEMPFAIL ? "Deferred: " : "",
			res->text);
		fflush(stdout);
	}
}

/* Drops every MX that is us, and those no better than it (RFC 5321 5.1:
 * a host in the list must not relay to itself or to worse ones).
 * Returns how many remain; *LOOP says whether any was ours. */
static size_t prune_mx(struct sm *sm, struct dns_mx *mx, size_t n,
	int *loop)
{
	size_t i, k = 0;
	unsigned best = ~0u;

	*loop = 0;
	for (i = 0; i < n; i++)
		if (cf_class_has(&sm->cf, "w", mx[i].host) &&
		    mx[i].pref < best) {
			best = mx[i].pref;
			*loop = 1;
		}
	for (i = 0; i < n; i++)
		if (mx[i].pref < best)
			mx[k++] = mx[i];
	return k;
}

/* Counts the Received: fields of the message's header (MaxHopCount). */
static unsigned hops_of(int fd)
{
	char *buf = malloc(65536);
	ssize_t n;
	unsigned count = 0;
	char *p, *end;

	if (!buf)
		return 0;
	n = pread(fd, buf, 65535, 0);
	if (n > 0) {
		buf[n] = 0;
		end = strstr(buf, "\n\n");
		if (!end)
			end = buf + n;
		for (p = buf; p && p < end; p = strchr(p, '\n')) {
			if (*p == '\n')
				p++;
			if (str_istarts(p, "Received:"))
				count++;
		}
	}
	free(buf);
	return count;
}

/* Delivers the recipients IDX[N] of one domain along route R. */
static void deliver_route(struct sm *sm, struct smtp *st,
	struct queue_entry *q, const char *domain, struct route *r,
	const size_t *idx, size_t n, struct local_result *res)
{
	struct dns_mx *mx = calloc(DNS_MAX_MX, sizeof *mx);
	struct dns_addr addrs[DNS_MAX_ADDRS];
	struct reply rp;
	unsigned defport = mailer_port(sm, r->mailer);
	size_t h, m, nmx, a, na, tries = 0, i;
	int any_mx = 0, loop = 0, notfound = 0, rc;
	time_t started = time(NULL);

	rp.code = 0;
	snprintf(rp.text, sizeof rp.text, "no host to deliver to for %s",
		domain);
	str_lcpy(rp.dsn, "4.4.1", sizeof rp.dsn);
	if (!mx) {
		str_lcpy(rp.text, "out of memory", sizeof rp.text);
		goto defer;
	}
	for (h = 0; h < r->n; h++) {
		struct hop *hp = &r->hops[h];
		unsigned port = hp->port ? hp->port : defport ? defport : 25;

		if (hp->nomx) {
			nmx = 1;
			mx[0].pref = 0;
			str_lcpy(mx[0].host, hp->name, sizeof mx[0].host);
		} else {
			rc = dns_mx(hp->name, mx, DNS_MAX_MX, &nmx);
			if (rc == DNS_NOTFOUND) {
				snprintf(rp.text, sizeof rp.text, "Host unknown"
					" (Name server: %s: host not found)",
					hp->name);
				notfound = 1;
				continue;
			}
			if (rc != DNS_OK) {
				snprintf(rp.text, sizeof rp.text, "Host %s: "
					"name server timeout or failure "
					"(MX lookup)", hp->name);
				str_lcpy(rp.dsn, "4.4.3", sizeof rp.dsn);
				continue;
			}
			any_mx = 1;
			if (!r->smart) {
				int l;

				nmx = prune_mx(sm, mx, nmx, &l);
				loop |= l;
			}
		}
		for (m = 0; m < nmx; m++) {
			rc = dns_addrs(mx[m].host, port, addrs, DNS_MAX_ADDRS,
				&na);
			if (rc != DNS_OK) {
				snprintf(rp.text, sizeof rp.text, "Host %s: %s",
					mx[m].host, rc == DNS_NOTFOUND ?
					"no address" : "name server timeout");
				continue;
			}
			for (a = 0; a < na && tries < SMTP_MAX_TRIES; a++) {
				struct conn *c = st->conn;

				tries++;
				/* One connection per host and run: the
				 * previous message's, after RSET. */
				if (c && (strcmp(c->ip, addrs[a].text) ||
				    c->port != port || c->smart != r->smart ||
				    strcasecmp(c->host, mx[m].host))) {
					conn_quit(c, sm);
					c = st->conn = NULL;
				}
				/* A kept connection may have been closed by
				 * the server meanwhile: RSET tells, and a
				 * new one replaces it. */
				if (c) {
					cmd(c, secs_or(sm->cf.opt.to_rset, 300),
						&rp, "RSET");
					if (rp.code != 250) {
						conn_free(c);
						c = st->conn = NULL;
					}
				}
				if (!c)
					c = session(sm, st, mx[m].host,
						&addrs[a], port, r->smart, &rp);
				st->conn = c;
				if (!c) {
					str_lcpy(rp.dsn, "4.4.1",
						sizeof rp.dsn);
					log_msg(LOG_INFO, "%s: %s", q->id,
						rp.text);
					continue;
				}
				rc = transaction(sm, c, q, idx, n, res);
				for (i = 0; i < n; i++)
					log_rcpt(sm, q, idx[i], &res[i], c,
						started);
				if (rc < 0) {
					conn_free(c);
					st->conn = NULL;
				}
				free(mx);
				return;
			}
		}
	}
	if (loop && !r->smart && any_mx && !notfound) {
		/* Every exchanger left is us: sendmail's 5.3.5. */
		snprintf(rp.text, sizeof rp.text, "554 5.3.5 %s: config "
			"error: mail loops back to me (MX problem?)", domain);
		for (i = 0; i < n; i++)
			set_res(&res[i], EX_CONFIG, "5.3.5", rp.text);
		goto log;
	}
	if (notfound && r->direct && !any_mx) {
		/* RFC 5321 5.1: the domain does not exist. */
		for (i = 0; i < n; i++)
			set_res(&res[i], EX_NOHOST, "5.1.2", rp.text);
		goto log;
	}
defer:
	for (i = 0; i < n; i++)
		set_res(&res[i], EX_TEMPFAIL, rp.dsn, rp.text);
log:
	for (i = 0; i < n; i++)
		log_rcpt(sm, q, idx[i], &res[i], NULL, started);
	free(mx);
}

static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* The remote transport: groups IDX[N] by domain, one route each. */
int sm_smtp_deliver(struct sm *sm, struct queue_entry *q, const size_t *idx,
	size_t n, struct local_result *res)
{
	struct smtp *st = sm->smtp;
	size_t *grp = malloc((n ? n : 1) * sizeof *grp);
	char *done = calloc(n ? n : 1, 1);
	struct local_result *gres = calloc(n ? n : 1, sizeof *gres);
	struct route r;
	size_t i, k, g;
	unsigned hops;

	if (!st)
		st = sm->smtp = calloc(1, sizeof *st);
	if (!st || !grp || !done || !gres) {
		for (i = 0; i < n; i++)
			set_res(&res[i], EX_TEMPFAIL, "4.3.0", "out of memory");
		goto out;
	}
	memset(res, 0, n * sizeof *res);
	/* RFC 5321 6.3: a message that went through too many hosts is
	 * looping; sendmail's MaxHopCount and 5.4.6. */
	hops = hops_of(q->fd);
	if (sm->cf.opt.max_hops && hops > sm->cf.opt.max_hops) {
		char why[128];

		snprintf(why, sizeof why, "554 5.4.6 Too many hops %u (%u max)",
			hops, sm->cf.opt.max_hops);
		for (i = 0; i < n; i++) {
			set_res(&res[i], EX_UNAVAILABLE, "5.4.6", why);
			log_rcpt(sm, q, idx[i], &res[i], NULL, time(NULL));
		}
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *dom = domain_of(q->env.rcpt[idx[i]].addr);

		if (done[i])
			continue;
		g = 0;
		for (k = i; k < n; k++)
			if (!done[k] && strcasecmp(dom,
			    domain_of(q->env.rcpt[idx[k]].addr)) == 0) {
				grp[g++] = k;
				done[k] = 1;
			}
		{
			size_t *sub = malloc(g * sizeof *sub);

			if (!sub) {
				for (k = 0; k < g; k++)
					set_res(&res[grp[k]], EX_TEMPFAIL,
						"4.3.0", "out of memory");
				continue;
			}
			for (k = 0; k < g; k++)
				sub[k] = idx[grp[k]];
			memset(gres, 0, g * sizeof *gres);
			if (!*dom) {
				for (k = 0; k < g; k++)
					set_res(&gres[k], EX_TEMPFAIL, "4.3.5",
						"no domain");
			} else if (route_for(sm, dom, &r, &gres[0]) < 0) {
				for (k = 1; k < g; k++)
					gres[k] = gres[0];
				for (k = 0; k < g; k++)
					log_rcpt(sm, q, sub[k], &gres[k], NULL,
						time(NULL));
			} else if (r.error) {
				for (k = 0; k < g; k++) {
					set_res(&gres[k], r.dsn[0] == '4' ?
						EX_TEMPFAIL : EX_UNAVAILABLE,
						r.dsn, r.text);
					log_rcpt(sm, q, sub[k], &gres[k], NULL,
						time(NULL));
				}
			} else {
				deliver_route(sm, st, q, dom, &r, sub, g,
					gres);
			}
			for (k = 0; k < g; k++)
				res[grp[k]] = gres[k];
			free(sub);
		}
	}
out:
	free(grp);
	free(done);
	free(gres);
	return 0;
}

void sm_smtp_end(struct sm *sm)
{
	struct smtp *st = sm->smtp;

	if (!st)
		return;
	conn_quit(st->conn, sm);
	if (st->tlscfg)
		tls_client_config_free(st->tlscfg);
	free(st);
	sm->smtp = NULL;
}
