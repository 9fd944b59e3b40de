/*
 * cf's options: O lines into struct cf_opts through one table
 * (cf_optdefs), the value parsers (times, sizes, numbers, booleans,
 * modes, lists) and DaemonPortOptions.  cf.h has sendmail's defaults and
 * postbox's choices.
 */
#include "cf_priv.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- defaults ----------------------------------------------------------- */

/* sendmail's DefaultUser: mailnull when that user exists, else 1:1 */
static const char *default_user(void)
{
	return getpwnam("mailnull") ? "mailnull" : "1:1";
}

static void daemon_free(struct cf_daemon *d)
{
	free(d->name);
	free(d->addr);
	memset(d, 0, sizeof *d);
}

/* The options' and the daemon's built-in values (cf.h): 0, or -1 when
 * memory runs out (cf partly filled, for cf_free). */
int opts_init(struct cf *cf)
{
	struct cf_opts *o = &cf->opt;
	struct cf_daemon *d = &cf->daemons[0];

	/* README "Configuration": with no DaemonPortOptions, listen on
	 * loopback only. */
	d->name = strdup("MTA");
	d->addr = strdup("127.0.0.1");
	d->port = 25;
	d->family = AF_INET;
	cf->n_daemons = 1;

	o->queue_dir = strdup("/var/spool/mqueue");
	if (!d->name || !d->addr || !o->queue_dir ||
	    list_add(&o->alias_files, "/etc/mail/aliases", 17) < 0 ||
	    list_split(&o->forward_path, "$z/.forward.$w:$z/.forward", ":") < 0)
		return -1;
	o->max_hops = 25;
	o->min_free_blocks = 100;
	o->log_level = 9;
	o->delivery_mode = 'b';
	o->error_mode = 'p';
	/* sendmail's built-in timeouts (readcf.c inittimeouts) */
	o->to_initial = 5 * 60;
	o->to_helo = 5 * 60;
	o->to_mail = 10 * 60;
	o->to_rcpt = 60 * 60;
	o->to_datainit = 5 * 60;
	/* RFC 5321 4.5.3.2.5, 4.5.3.2.6 rather than sendmail's hour each:
	 * smtpd's wait per read of DATA, the client's for the final reply */
	o->to_datablock = 3 * 60;
	o->to_datafinal = 10 * 60;
	o->to_command = 60 * 60;
	o->to_rset = 5 * 60;
	o->to_quit = 2 * 60;
	o->to_misc = 2 * 60;
	o->to_queuewarn = 4 * 3600;
	o->to_queuereturn = 5 * 86400;
	o->auth_fail_delay = 1;
	o->error_delay = 1;
	o->data_deadline = 30 * 60;
	o->session_deadline = 2 * 3600;
	o->pop3_timeout = 10 * 60;
	o->imap_timeout = 30 * 60;
	o->tls_session_timeout = 5 * 60;
	o->tls_session_cache = 1024;
	/* Safer than sendmail's empty default: no address harvesting. */
	o->privacy = strdup("authwarnings,noexpn,novrfy");
	o->greeting = strdup("$j Sendmail $v/$Z; $b");
	o->default_user = strdup(default_user());
	o->mailbox = strdup("mbox:/var/mail/%u");
	o->imap_folders = strdup("~/mail");
	if (!o->privacy || !o->greeting || !o->default_user || !o->mailbox ||
	    !o->imap_folders || list_split(&o->imap_special,
	    "Drafts,Sent,Trash,Junk,Archive", ",") < 0)
		return -1;
	return 0;
}

/* Frees the options and the daemons (both lists), for cf_free. */
void opts_free(struct cf *cf)
{
	struct cf_opts *o = &cf->opt;
	char **strs[] = {
		&o->queue_dir, &o->help_file, &o->status_file, &o->privacy,
		&o->auth_options, &o->server_cert, &o->server_key,
		&o->ca_file, &o->ca_path, &o->client_cert, &o->client_key,
		&o->greeting, &o->default_user, &o->run_as_user,
		&o->trusted_user, &o->mailbox, &o->virtual_users,
		&o->bare_line_ends, &o->imap_folders, &o->dkim_keytable,
		&o->dkim_signtable, &o->dkim_canon,
	};
	size_t i;

	for (i = 0; i < cf->n_daemons; i++)
		daemon_free(&cf->daemons[i]);
	for (i = 0; i < cf->n_pop3_daemons; i++)
		daemon_free(&cf->pop3_daemons[i]);
	for (i = 0; i < cf->n_imap_daemons; i++)
		daemon_free(&cf->imap_daemons[i]);
	cf->n_daemons = cf->n_pop3_daemons = cf->n_imap_daemons = 0;
	for (i = 0; i < sizeof strs / sizeof *strs; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	list_free(&o->alias_files);
	list_free(&o->forward_path);
	list_free(&o->auth_mechs);
	list_free(&o->imap_special);
}

/* ---- times and numbers -------------------------------------------------- */

int cf_parse_time(const char *s, int unit, long *secs)
{
	long total = 0;
	const long max = 0x7fffffffL;

	if (!*s)
		return -1;
	while (*s) {
		long v = 0, mul;

		if (!is_digit((unsigned char)*s))
			return -1;
		for (; is_digit((unsigned char)*s); s++) {
			v = v * 10 + (*s - '0');
			if (v > max)
				return -1;
		}
		switch (*s ? *s : unit) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 7 * 86400; break;
		default: return -1;
		}
		if (*s)
			s++;
		if (v > (max - total) / mul)
			return -1;
		total += v * mul;
	}
	*secs = total;
	return 0;
}

/* ---- options ------------------------------------------------------------ */

/* DaemonPortOptions' Port=: a number or a service name (smtp,
 * submission, smtps, submissions, lmtp; PostboxPop3PortOptions and
 * PostboxImapPortOptions also pop3, pop3s, imap, imaps).  POP3: 0 the
 * MTA's, 1 POP3's, 2 IMAP's. */
static int daemon_port(struct cf_reader *r, struct cf_daemon *d,
	const char *v, int pop3)
{
	static const struct { const char *n; unsigned p; } svc[] = {
		{ "smtp", 25 }, { "submission", 587 },
		{ "smtps", 465 }, { "submissions", 465 },
		{ "lmtp", 24 },
		/* PostboxPop3PortOptions only */
		{ "pop3", 110 }, { "pop3s", 995 },
		{ "imap", 143 }, { "imaps", 993 },
	};
	size_t i, nsvc = pop3 ? sizeof svc / sizeof *svc : 5;
	unsigned long port;

	for (i = 0; i < nsvc; i++)
		if (icmp(v, svc[i].n) == 0)
			break;
	if (i < nsvc) {
		d->port = svc[i].p;
	} else if (str_toul(v, 65535, &port) == 0 && port) {
		d->port = port;
	} else {
		rd_err(r, "DaemonPortOptions: bad Port=%s", v);
		return -1;
	}
	return 0;
}

/* One KEY=V of a DaemonPortOptions line into d.  Addr= is only kept in
 * *addr: it is checked once the line's Family is known. */
static int daemon_key(struct cf_reader *r, struct cf_daemon *d,
	const char *key, char *v, int pop3, char **addr)
{
	size_t i;

	/* sendmail looks at the key's first letter only */
	switch (*key) {
	case 'A': case 'a':
		*addr = v;
		break;
	case 'F': case 'f':
		if (icmp(v, "inet") == 0) {
			d->family = AF_INET;
		} else if (icmp(v, "inet6") == 0) {
			d->family = AF_INET6;
		} else {
			rd_err(r, "DaemonPortOptions: Family=%s: "
				"only inet and inet6", v);
			return -1;
		}
		break;
	case 'M': case 'm':
		for (i = 0; v[i]; i++)
			if (!is_alnum((unsigned char)v[i])) {
				rd_err(r, "DaemonPortOptions: bad "
					"modifier \"%c\"", v[i]);
				return -1;
			}
		if (i >= sizeof d->modifiers) {
			rd_err(r, "DaemonPortOptions: too many "
				"modifiers (%zu max)",
				sizeof d->modifiers - 1);
			return -1;
		}
		memcpy(d->modifiers, v, i + 1);
		break;
	case 'N': case 'n':
		if (set_str(&d->name, v) < 0)
			return oom(r);
		break;
	case 'P': case 'p':
		return daemon_port(r, d, v, pop3);
	default:	/* Listen=, SndBufSize=, ...: not ours */
		break;
	}
	return 0;
}

/* Puts the parsed daemon d in its list (it is the list's then): the
 * first DaemonPortOptions line replaces the built-in one, later ones
 * add to it; PostboxPop3PortOptions and PostboxImapPortOptions (POP3 1
 * and 2) have no built-in lines.  On error d is freed. */
static int daemon_add(struct cf_reader *r, struct cf_daemon *d, int pop3)
{
	struct cf *cf = r->cf;
	struct cf_priv *p = cf->priv;
	struct cf_daemon *list = pop3 == 2 ? cf->imap_daemons :
		cf->pop3_daemons;
	size_t *n = pop3 == 2 ? &cf->n_imap_daemons : &cf->n_pop3_daemons;
	size_t i;

	if (pop3) {
		/* no built-in lines to replace */
		if (*n >= CF_MAX_DAEMONS) {
			rd_err(r, "too many Postbox%sPortOptions (%d max)",
				pop3 == 2 ? "Imap" : "Pop3", CF_MAX_DAEMONS);
			daemon_free(d);
			return -1;
		}
		if (!strcmp(d->name, "MTA")) {
			free(d->name);
			if (!(d->name = strdup(pop3 == 2 ? "IMAP" : "POP3"))) {
				daemon_free(d);
				return oom(r);
			}
		}
		list[(*n)++] = *d;
		return 0;
	}
	if (!p->daemons_set) {
		for (i = 0; i < cf->n_daemons; i++)
			daemon_free(&cf->daemons[i]);
		cf->n_daemons = 0;
		p->daemons_set = 1;
	}
	if (cf->n_daemons >= CF_MAX_DAEMONS) {
		rd_err(r, "too many DaemonPortOptions (%d max)",
			CF_MAX_DAEMONS);
		daemon_free(d);
		return -1;
	}
	cf->daemons[cf->n_daemons++] = *d;
	return 0;
}

/* DaemonPortOptions=Port=smtp, Addr=127.0.0.1, Name=MTA, M=Ea, ... */
static int opt_daemon(struct cf_reader *r, const char *val, int pop3)
{
	struct cf_daemon d;
	char *copy = strdup(val), *s, *next, *addr = NULL;

	if (!copy)
		return oom(r);
	memset(&d, 0, sizeof d);
	d.port = pop3 == 2 ? 143 : pop3 ? 110 : 25;
	d.family = AF_INET;
	for (s = copy; s; s = next) {
		char *key, *v, *eq;

		if ((next = strchr(s, ',')))
			*next++ = 0;
		key = skip_space(s);
		if (!*key)
			continue;
		if (!(eq = strchr(key, '='))) {
			rd_err(r, "DaemonPortOptions: \"%s\": `=' expected",
				key);
			goto bad;
		}
		*eq = 0;
		v = str_trim(eq + 1);
		str_trim(key);
		if (daemon_key(r, &d, key, v, pop3, &addr) < 0)
			goto bad;
	}
	if (addr && *addr) {
		unsigned char bin[16];

		/* no resolver here: an address, or localhost */
		if (icmp(addr, "localhost") == 0)
			addr = d.family == AF_INET6 ? "::1" : "127.0.0.1";
		if (inet_pton(d.family, addr, bin) != 1) {
			rd_err(r, "DaemonPortOptions: Addr=%s is not an %s "
				"address", addr,
				d.family == AF_INET6 ? "IPv6" : "IPv4");
			goto bad;
		}
		if (!(d.addr = strdup(addr)))
			goto nomem;
	}
	if (!d.name && !(d.name = strdup("MTA")))
		goto nomem;
	free(copy);
	return daemon_add(r, &d, pop3);
nomem:
	oom(r);
bad:
	free(copy);
	daemon_free(&d);
	return -1;
}

struct cf_timeout {
	const char *name;
	unsigned short off;
	char unit;
};

#define TO(n, f, u) { n, offsetof(struct cf_opts, f), u }
static const struct cf_timeout cf_timeouts[] = {
	TO("initial", to_initial, 'm'), TO("helo", to_helo, 'm'),
	TO("mail", to_mail, 'm'), TO("rcpt", to_rcpt, 'm'),
	TO("datainit", to_datainit, 'm'), TO("datablock", to_datablock, 'm'),
	TO("datafinal", to_datafinal, 'm'), TO("command", to_command, 'm'),
	TO("connect", to_connect, 'm'), TO("iconnect", to_iconnect, 'm'),
	TO("rset", to_rset, 'm'), TO("quit", to_quit, 'm'),
	TO("misc", to_misc, 'm'),
	TO("queuewarn", to_queuewarn, 'h'),
	TO("queuewarn.*", to_queuewarn, 'h'),
	TO("queuewarn.normal", to_queuewarn, 'h'),
	TO("queuereturn", to_queuereturn, 'd'),
	TO("queuereturn.*", to_queuereturn, 'd'),
	TO("queuereturn.normal", to_queuereturn, 'd'),
};

static int set_time(struct cf_reader *r, const char *opt, const char *v,
	int unit, long *dst)
{
	if (cf_parse_time(v, unit, dst) < 0) {
		rd_err(r, "%s: bad time \"%s\"", opt, v);
		return -1;
	}
	return 0;
}

/* One Timeout.NAME=value; names postbox has no use for are noted. */
static int opt_timeout(struct cf_reader *r, const char *name, const char *v)
{
	char what[128];
	size_t i;
	long t;

	for (i = 0; i < sizeof cf_timeouts / sizeof *cf_timeouts; i++)
		if (icmp(name, cf_timeouts[i].name) == 0)
			return set_time(r, "Timeout", v, cf_timeouts[i].unit,
				(long *)((char *)&r->cf->opt +
				cf_timeouts[i].off));
	/* still a time: a typo'd value is an error, a valid one a note */
	if (set_time(r, "Timeout", v, 'm', &t) < 0)
		return -1;
	snprintf(what, sizeof what, "option Timeout.%s", name);
	note(r, what);
	return 0;
}

/* The old Or form: "15m" (sets the SMTP reply timeouts) or
 * "mail=10m,rcpt=1h". */
static int opt_readtimeout(struct cf_reader *r, const char *val)
{
	char *copy = strdup(val), *s, *next;
	struct cf_opts *o = &r->cf->opt;
	int rc = 0;

	if (!copy)
		return oom(r);
	for (s = copy; s && rc == 0; s = next) {
		char *eq;

		if ((next = strchr(s, ',')))
			*next++ = 0;
		s = str_trim(s);
		if (!*s)
			continue;
		if (is_digit((unsigned char)*s)) {
			long t;

			if ((rc = set_time(r, "ReadTimeout", s, 'm', &t)) < 0)
				break;
			o->to_mail = o->to_rcpt = o->to_datainit = t;
			o->to_datablock = o->to_datafinal = o->to_command = t;
			continue;
		}
		if (!(eq = strpbrk(s, ":="))) {
			rd_err(r, "ReadTimeout: \"%s\": `=' expected", s);
			rc = -1;
			break;
		}
		*eq = 0;
		rc = opt_timeout(r, str_trim(s), str_trim(eq + 1));
	}
	free(copy);
	return rc;
}

enum {
	OT_STR, OT_SIZE, OT_UINT, OT_LONG, OT_MODE, OT_EMODE, OT_ALIAS,
	OT_LIST, OT_PRIV, OT_DAEMON, OT_POP3D, OT_IMAPD, OT_RTIMEOUT,
	OT_QTIMEOUT, OT_MINFREE, OT_MACRO, OT_MAILBOX, OT_USER, OT_BOOL, OT_SECS, OT_IGNORE,
};

struct cf_optdef {
	const char *name;
	char letter;		/* the old one-letter form, 0 when none */
	unsigned char type;
	unsigned short off;	/* into struct cf_opts */
	const char *dflt;	/* OT_STR: the value an empty one restores;
				 * OT_LIST, OT_ALIAS: the separators */
};

#define OPT(n, l, t, f) { n, l, t, offsetof(struct cf_opts, f), NULL }
#define OPTD(n, l, f, d) { n, l, OT_STR, offsetof(struct cf_opts, f), d }
#define OPTX(n, l, t) { n, l, t, 0, NULL }
#define OPTL(n, l, t, f, s) { n, l, t, offsetof(struct cf_opts, f), s }
static const struct cf_optdef cf_optdefs[] = {
	OPTD("QueueDirectory", 'Q', queue_dir, "/var/spool/mqueue"),
	OPTL("AliasFile", 'A', OT_ALIAS, alias_files, ","),
	OPTL("ForwardPath", 'J', OT_LIST, forward_path, ":"),
	OPT("HelpFile", 'H', OT_STR, help_file),
	OPT("StatusFile", 'S', OT_STR, status_file),
	OPT("MaxMessageSize", 0, OT_SIZE, max_message_size),
	OPT("MaxRecipientsPerMessage", 0, OT_UINT, max_rcpts),
	OPT("MaxDaemonChildren", 0, OT_UINT, max_children),
	OPT("ConnectionRateThrottle", 0, OT_UINT, conn_rate),
	OPT("MaxHopCount", 'h', OT_UINT, max_hops),
	OPT("MinFreeBlocks", 0, OT_LONG, min_free_blocks),
	OPTX("", 'b', OT_MINFREE),	/* Ob10/1000000: blocks/max size */
	OPT("LogLevel", 'L', OT_UINT, log_level),
	OPT("DeliveryMode", 'd', OT_MODE, delivery_mode),
	OPT("ErrorMode", 'e', OT_EMODE, error_mode),
	OPTX("ReadTimeout", 'r', OT_RTIMEOUT),
	OPTX("QueueTimeout", 'T', OT_QTIMEOUT),
	OPTX("PrivacyOptions", 'p', OT_PRIV),
	OPTL("AuthMechanisms", 0, OT_LIST, auth_mechs, ","),
	OPT("AuthOptions", 0, OT_STR, auth_options),
	OPT("ServerCertFile", 0, OT_STR, server_cert),
	OPT("ServerKeyFile", 0, OT_STR, server_key),
	OPT("CACertFile", 0, OT_STR, ca_file),
	OPT("CACertPath", 0, OT_STR, ca_path),
	OPT("ClientCertFile", 0, OT_STR, client_cert),
	OPT("ClientKeyFile", 0, OT_STR, client_key),
	OPTD("SmtpGreetingMessage", 0, greeting, "$j Sendmail $v/$Z; $b"),
	OPTX("DefaultUser", 'u', OT_USER),
	OPT("RunAsUser", 0, OT_STR, run_as_user),
	OPT("TrustedUser", 0, OT_STR, trusted_user),
	OPTX("DaemonPortOptions", 'O', OT_DAEMON),
	OPTX("", 'M', OT_MACRO),		/* OMxvalue defines $x */
	OPT("PostboxMailbox", 0, OT_MAILBOX, mailbox),
	OPT("PostboxVirtualUsers", 0, OT_STR, virtual_users),
	OPT("PostboxBareLineEnds", 0, OT_STR, bare_line_ends),
	OPTX("PostboxPop3PortOptions", 0, OT_POP3D),
	OPT("PostboxPop3Apop", 0, OT_BOOL, pop3_apop),
	OPT("PostboxPop3LoginDelay", 0, OT_SECS, pop3_login_delay),
	OPT("PostboxAuthFailDelay", 0, OT_SECS, auth_fail_delay),
	OPT("PostboxErrorDelay", 0, OT_SECS, error_delay),
	OPT("PostboxDataDeadline", 0, OT_SECS, data_deadline),
	OPT("PostboxSessionDeadline", 0, OT_SECS, session_deadline),
	OPT("PostboxPop3Timeout", 0, OT_SECS, pop3_timeout),
	OPTX("PostboxImapPortOptions", 0, OT_IMAPD),
	OPTD("PostboxImapFolders", 0, imap_folders, "~/mail"),
	OPTL("PostboxImapSpecialUse", 0, OT_LIST, imap_special, ","),
	OPT("PostboxImapTimeout", 0, OT_SECS, imap_timeout),
	OPT("PostboxTlsSessionTimeout", 0, OT_SECS, tls_session_timeout),
	OPT("PostboxTlsSessionCacheSize", 0, OT_UINT, tls_session_cache),
	/* one-letter names of options postbox ignores: noted by name */
	OPTX("AliasWait", 'a', OT_IGNORE), OPTX("BlankSub", 'B', OT_IGNORE),
	OPTX("CheckpointInterval", 'C', OT_IGNORE),
	OPTX("HoldExpensive", 'c', OT_IGNORE),
	OPTX("ErrorHeader", 'E', OT_IGNORE),
	OPTX("TempFileMode", 'F', OT_IGNORE),
	OPTX("SaveFromLine", 'f', OT_IGNORE),
	OPTX("MatchGECOS", 'G', OT_IGNORE),
	OPTX("ResolverOptions", 'I', OT_IGNORE),
	OPTX("IgnoreDots", 'i', OT_IGNORE),
	OPTX("SendMimeErrors", 'j', OT_IGNORE),
	OPTX("ConnectionCacheSize", 'k', OT_IGNORE),
	OPTX("ConnectionCacheTimeout", 'K', OT_IGNORE),
	OPTX("UseErrorsTo", 'l', OT_IGNORE),
	OPTX("MeToo", 'm', OT_IGNORE),
	OPTX("CheckAliases", 'n', OT_IGNORE),
	OPTX("OldStyleHeaders", 'o', OT_IGNORE),
	OPTX("PostmasterCopy", 'P', OT_IGNORE),
	OPTX("QueueFactor", 'q', OT_IGNORE),
	OPTX("DontPruneRoutes", 'R', OT_IGNORE),
	OPTX("SuperSafe", 's', OT_IGNORE),
	OPTX("TimeZoneSpec", 't', OT_IGNORE),
	OPTX("UserDatabaseSpec", 'U', OT_IGNORE),
	OPTX("FallbackMXhost", 'V', OT_IGNORE),
	OPTX("Verbose", 'v', OT_IGNORE),
	OPTX("TryNullMXList", 'w', OT_IGNORE),
	OPTX("QueueLA", 'x', OT_IGNORE),
	OPTX("RefuseLA", 'X', OT_IGNORE),
	OPTX("ForkEachJob", 'Y', OT_IGNORE),
	OPTX("RecipientFactor", 'y', OT_IGNORE),
	OPTX("ClassFactor", 'z', OT_IGNORE),
	OPTX("RetryFactor", 'Z', OT_IGNORE),
	OPTX("SevenBitInput", '7', OT_IGNORE),
	OPTX("EightBitMode", '8', OT_IGNORE),
	/* DKIM signing (libmini/dkim.h) */
	OPT("PostboxDKIMKeyTable", 0, OT_STR, dkim_keytable),
	OPT("PostboxDKIMSigningTable", 0, OT_STR, dkim_signtable),
	OPT("PostboxDKIMCanonicalization", 0, OT_STR, dkim_canon),
};

/* PrivacyOptions: sendmail ORs the flags of every line together; kept
 * as one lower-case list without blanks or empty items. */
static int opt_privacy(struct cf_reader *r, const char *v)
{
	struct cf_priv *p = r->cf->priv;
	struct cf_opts *o = &r->cf->opt;
	struct buf b = BUF_INIT(CF_MAX_LINE);
	const char *s = "";
	int rc = 0;

	if (p->privacy_set && o->privacy)
		s = o->privacy;
	for (; rc == 0 && s; s = s == v ? NULL : v) {
		const char *c;

		for (c = s; rc == 0 && *c; c++) {
			if (is_space((unsigned char)*c))
				continue;
			if (*c == ',' && (!b.len || b.p[b.len - 1] == ','))
				continue;
			rc = buf_addc(&b, lower((unsigned char)*c));
		}
		if (rc == 0 && b.len && b.p[b.len - 1] != ',')
			rc = buf_addc(&b, ',');
	}
	while (b.len && b.p[b.len - 1] == ',')
		b.p[--b.len] = 0;
	if (rc == 0)
		rc = set_str(&o->privacy, buf_str(&b));
	buf_free(&b);
	p->privacy_set = 1;
	return rc < 0 ? oom(r) : 0;
}

static int set_uint(struct cf_reader *r, const char *opt, const char *v,
	unsigned long max, unsigned long *out)
{
	if (str_toul(v, max, out) < 0) {
		rd_err(r, "%s: bad number \"%s\"", opt, v);
		return -1;
	}
	return 0;
}

/* Applies option DEF (named OPT as written) with value V. */
static int opt_apply(struct cf_reader *r, const struct cf_optdef *def,
	const char *opt, char *v)
{
	struct cf *cf = r->cf;
	struct cf_opts *o = &cf->opt;
	struct cf_priv *p = cf->priv;
	void *field = (char *)o + def->off;
	unsigned long n;
	char what[128], *slash;

	switch (def->type) {
	case OT_STR:
		/* an empty value restores the built-in one */
		if (set_str(field, *v ? v : def->dflt) < 0)
			return oom(r);
		return 0;
	case OT_USER:
		if (set_str(&o->default_user, *v ? v : default_user()) < 0)
			return oom(r);
		return 0;
	case OT_MAILBOX:
		/* the one mailbox setting MTA, pop3d, imapd and mail share */
		if (!str_starts(v, "mbox:") && !str_starts(v, "maildir:")) {
			rd_err(r, "%s: \"%s\": mbox:PATH or maildir:PATH "
				"expected", opt, v);
			return -1;
		}
		if (set_str(field, v) < 0)
			return oom(r);
		return 0;
	case OT_SIZE:
		return set_uint(r, opt, v, (unsigned long)-1, field);
	case OT_UINT:
		if (set_uint(r, opt, v, 0xffffffffUL, &n) < 0)
			return -1;
		*(unsigned *)field = n;
		return 0;
	case OT_LONG:
		if (set_uint(r, opt, v, 0x7fffffffUL, &n) < 0)
			return -1;
		*(long *)field = n;
		return 0;
	case OT_MINFREE:
		if ((slash = strchr(v, '/'))) {
			*slash++ = 0;
			if (set_uint(r, opt, slash, (unsigned long)-1,
			    &o->max_message_size) < 0)
				return -1;
		}
		if (set_uint(r, opt, v, 0x7fffffffUL, &n) < 0)
			return -1;
		o->min_free_blocks = n;
		return 0;
	case OT_BOOL:
		/* sendmail's booleans: empty or t/y true; f/n false (any
		 * case, the first letter); anything else is a mistake */
		if (!*v || strchr("tTyY", *v))
			*(int *)field = 1;
		else if (strchr("fFnN", *v))
			*(int *)field = 0;
		else {
			rd_err(r, "%s: bad boolean \"%s\" (true or false)",
				opt, v);
			return -1;
		}
		return 0;
	case OT_SECS:
		return set_time(r, opt, v, 's', field);
	case OT_MODE:
		/* sendmail reads the first letter: background, interactive,
		 * queue, deferred */
		if (!*v || !strchr("biqd", lower((unsigned char)*v))) {
			rd_err(r, "%s: bad mode \"%s\"", opt, v);
			return -1;
		}
		o->delivery_mode = lower((unsigned char)*v);
		return 0;
	case OT_EMODE:
		if (!*v || !strchr("pqmwe", *v)) {
			rd_err(r, "%s: bad mode \"%s\"", opt, v);
			return -1;
		}
		o->error_mode = *v;
		return 0;
	case OT_ALIAS:
		/* sendmail accumulates AliasFile lines: the file's first
		 * one replaces the built-in value, later ones add to it */
		if (p->aliases_set)
			return list_split(field, v, def->dflt) < 0 ? oom(r) : 0;
		p->aliases_set = 1;
		/* fall through */
	case OT_LIST:
		list_free(field);
		if (list_split(field, v, def->dflt) < 0)
			return oom(r);
		return 0;
	case OT_PRIV:
		return opt_privacy(r, v);
	case OT_DAEMON:
		return opt_daemon(r, v, 0);
	case OT_POP3D:
		return opt_daemon(r, v, 1);
	case OT_IMAPD:
		return opt_daemon(r, v, 2);
	case OT_RTIMEOUT:
		return opt_readtimeout(r, v);
	case OT_QTIMEOUT:
		/* OT5d/4h: queuereturn[/queuewarn] */
		if ((slash = strchr(v, '/'))) {
			*slash++ = 0;
			if (set_time(r, opt, slash, 'h', &o->to_queuewarn) < 0)
				return -1;
		}
		return set_time(r, opt, v, 'd', &o->to_queuereturn);
	case OT_MACRO: {
		char name[CF_MAX_NAME];
		const char *val = parse_name(v, name);

		if (!val) {
			rd_err(r, "OM: bad macro name");
			return -1;
		}
		return macro_set(cf, r, name, val);
	}
	default:
		break;
	}
	snprintf(what, sizeof what, "option %s", def->name);
	note(r, what);
	return 0;
}

/* O Name=value, or the old one-letter Oxvalue */
int line_O(struct cf_reader *r, char *s)
{
	const struct cf_optdef *def = NULL;
	char *name, *v, what[160];
	size_t i, n;

	if (!s[1]) {
		rd_err(r, "O line: option expected");
		return -1;
	}
	if (!is_space((unsigned char)s[1])) {
		for (i = 0; i < sizeof cf_optdefs / sizeof *cf_optdefs; i++)
			if (cf_optdefs[i].letter == s[1])
				def = &cf_optdefs[i];
		v = str_trim(s + 2);
		if (!def) {
			snprintf(what, sizeof what, "option %c", s[1]);
			note(r, what);
			return 0;
		}
		snprintf(what, sizeof what, "%s", *def->name ? def->name :
			"O");
		return opt_apply(r, def, what, v);
	}
	name = skip_space(s + 1);
	for (n = 0; name[n] && name[n] != '=' &&
	     !is_space((unsigned char)name[n]); n++)
		;
	v = skip_space(name + n);
	if (*v == '=')
		v = skip_space(v + 1);
	else if (*v)
		v = skip_space(v);	/* "O Name value": sendmail allows it */
	name[n] = 0;
	if (!n) {
		rd_err(r, "O line: option name expected");
		return -1;
	}
	str_trim(v);
	if (str_istarts(name, "Timeout.") && name[8])
		return opt_timeout(r, name + 8, v);
	for (i = 0; i < sizeof cf_optdefs / sizeof *cf_optdefs; i++)
		if (*cf_optdefs[i].name && icmp(cf_optdefs[i].name, name) == 0)
			return opt_apply(r, &cf_optdefs[i], cf_optdefs[i].name,
				v);
	snprintf(what, sizeof what, "option %.100s", name);
	note(r, what);
	return 0;
}
