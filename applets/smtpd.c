/*
 * smtpd: the ESMTP server (RFC 5321) with sendmail's access control,
 * relay rules and limits (README "smtpd"; ARCHITECTURE.md).
 *
 * One session function speaks SMTP on fds 0/1.  `smtpd -i` (inetd,
 * tcpsvd, s6-tcpserver, `sendmail -bs`, the tests) calls it directly; the
 * built-in listener (libmini/net) binds every DaemonPortOptions socket as
 * root, forks per connection and calls the same function.  Each session
 * drops to RunAsUser, else DefaultUser, with the group of QueueDirectory
 * (which must be group-writable), before it reads a byte.  Each queued
 * message's ID goes down a pipe to the delivery agent, `sendmail -bQ`
 * as root (smtpd/agent.c: the cf read once, each message delivered by
 * its ID, remote hosts in processes of their own): in daemon mode one
 * the listener keeps; in -i mode one the session's privileged parent
 * starts at its first message.  With -q TIME (sendmail -bd -q15m) the
 * listener also keeps the periodic queue runner as its child, and stops
 * it when it stops.  The processes are smtpd/daemon.c; this file is the
 * protocol: commands, replies, DATA, the session.
 *
 * Extensions: PIPELINING (RFC 2920), SIZE (1870), 8BITMIME (6152),
 * ENHANCEDSTATUSCODES (2034, 3463), DSN (3461), SMTPUTF8 (6531),
 * CHUNKING/BDAT (3030), STARTTLS (3207), AUTH (4954).  Access control
 * is sendmail's access map (Connect:, From:, To:), class w and R,
 * virtusertable and mailertable at RCPT time.  250 after DATA only
 * after the durable queue commit.
 *
 * The queue folder: sessions run as RunAsUser, else DefaultUser (as local
 * delivery reads it: mailnull, nobody, 65534), with QueueDirectory's group
 * when that folder is group-writable, so it must be (2770 root:GROUP,
 * GROUP the one postbox's sendmail is set-group-ID to; the queue writes
 * its files 0660).  Started as root with no such folder, smtpd makes it
 * 02770 root:<the session user's group>.  Not root: no privilege change.
 *
 * Limits: a command line of 2048 octets (RFC 5321 4.5.3.1.4's 512 plus
 * the parameters), text lines of 1000, MaxRecipientsPerMessage (100 when
 * unset: 452 beyond), MaxMessageSize (SIZE= and mid-DATA), MaxHopCount,
 * MinFreeBlocks on the queue file system (SIZE=, or DATA without it),
 * Timeout.command per command and Timeout.datablock per read of DATA
 * (3m), PostboxDataDeadline over a whole DATA or BDAT chunk (30m) and
 * PostboxSessionDeadline over the session (2h), so that a trickle of a
 * byte a read ends too;
 * after 5 protocol errors a second of delay each, after 10 a 421.  The
 * listener: MaxDaemonChildren (no accept while full), ConnectionRateThrottle
 * (per second), and sendmail's ClientConn:ADDR / ClientConn: access
 * entries as the per-address cap.  GreetPause:ADDR waits that many
 * milliseconds before the greeting, to catch clients that talk first.
 * On a socket, input sent ahead where the client must wait (the message
 * before the 354; anything behind EHLO or HELO before its reply; any
 * command after HELO), plaintext held in the TLS engine included, gets
 * 554 and the end (Postfix's reject_unauth_pipelining).
 *
 * TLS and AUTH: STARTTLS (RFC 3207) is offered after EHLO when
 * ServerCertFile is set, until the session is encrypted; commands that
 * rode in behind STARTTLS get 554 and end the session (the injection
 * attack), and after the handshake the EHLO, transaction and AUTH are
 * forgotten (4.2).  DaemonPortOptions M=s: TLS before the greeting (RFC
 * 8314, port 465).  AUTH (RFC 4954) is offered when AuthMechanisms,
 * PostboxVirtualUsers or a daemon's M=a is set (not on M=A daemons):
 * PLAIN and LOGIN only under TLS unless AuthOptions lacks p (postbox's
 * default has it).  Secrets come from PostboxVirtualUsers, else from
 * /etc/shadow (then CRAM-MD5 is not offered: crypt hashes cannot answer
 * it).  Started as root with AUTH on, a session splits as pop3d's
 * (libmini's privsep.h, ARCHITECTURE.md "Privilege separation for a
 * server"): a root monitor answers the AUTH exchanges, the session runs
 * as the session user for good, with no shadow group and no password in
 * memory (its copy of the virtual users is masked), and after AUTH goes
 * on knowing only who.  M=a: 530
 * before MAIL until AUTH.  Relaying after AUTH: with class
 * {TrustAuthMech} (sendmail's TRUST_AUTH_MECH) only for its mechanisms;
 * without it for any (sendmail would relay for none: a hand-written cf
 * that offers AUTH means it).  Three failed AUTHs (slowed 1, 2, 4 s) end
 * the session with 421.  Received: carries sendmail's comments
 * "(authenticated bits=0)" (who is in the log, not the header) and
 * "(version=TLSv1.2 cipher=... bits=256 verify=NOT)"; client
 * certificates are never asked for.
 *
 * Left out: ETRN, TURN; AUTH= on MAIL is checked, never trusted; DNS
 * (no reverse lookups: a client's name is only what TCPREMOTEHOST says);
 * %-hack, bang-path and source-route routing (refused, never relayed).
 * Bare CR or LF and NUL in a message are rejected, never normalised.
 */
//applet:smtpd usr/sbin drop
//man:ESMTP server with sendmail's access rules
//man:smtpd listens on every DaemonPortOptions of sendmail.cf (or speaks on
//man:stdin and stdout with -i), applies the access map and the relay rules,
//man:and commits each accepted message to the queue before it answers 250.
//config:config SMTPD
//config:	bool "smtpd: ESMTP server, sendmail's access rules (~24 KiB)"
//config:	default y
//config:	depends on SENDMAIL
//config:	help
//config:	  The SMTP server: port 25/587 listener or inetd mode (-i),
//config:	  sendmail's access map, relay rules and limits.  It queues
//config:	  what it accepts and sendmail (-bQ) delivers it, so it needs
//config:	  SENDMAIL.
//usage:usage: smtpd [-C FILE] [-b] [-i] [-v] [-p PIDFILE]
//usage:
//usage:Speak ESMTP: listen on every DaemonPortOptions (default 127.0.0.1:25),
//usage:in the foreground logging to stderr, or with -i on stdin/stdout.
//usage:
//usage:-C FILE	configuration (default /etc/mail/sendmail.cf)
//usage:-b	detach, log to syslog, write a pidfile
//usage:-i	one session on stdin/stdout (inetd, tcpsvd, s6, sendmail -bs)
//usage:-p FILE	the pidfile of -b (default /var/run/smtpd.pid)
//usage:-q TIME	also run the queue every TIME (15m), in a child that
//usage:	stops with the daemon (sendmail -bd -q15m)
//usage:-v	verbose: log every command and reply
#include "smtpd/smtpd.h"

/* --- small helpers -------------------------------------------------------- */

static int privacy_has(const struct cf *cf, const char *word)
{
	const char *p = cf->opt.privacy ? cf->opt.privacy : "";
	size_t n = strlen(word);

	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		/* goaway: every restriction sendmail has */
		if ((l == n && strncasecmp(p, word, n) == 0) ||
				(l == 6 && strncasecmp(p, "goaway", 6) == 0))
			return 1;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void __attribute__((format(printf, 2, 3)))
reply(struct smtpd *s, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 3)
		n = sizeof line - 3;
	if (s->verbose)
		log_msg(LOG_DEBUG, ">>> %.*s", n, line);
	line[n++] = '\r';
	line[n++] = '\n';
	io_write(&s->out, line, n);
}

/* A permanent or temporary error the client caused: counted, slowed
 * (PostboxErrorDelay, 1 s unless set). */
static void bad(struct smtpd *s)
{
	s->errors++;
	if (s->errors > SOFT_ERRORS && s->errors < HARD_ERRORS &&
	    s->cf->opt.error_delay > 0) {
		io_flush(&s->out);
		sleep((unsigned)s->cf->opt.error_delay);
	}
}
/* --- transactions --------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The wait for the next read: PER ms (0: none) cut to what is left of
 * the DATA and session deadlines (Postfix's smtpd_per_record_deadline:
 * a client trickling a byte a read never outlives them).  0 when one
 * has passed. */
static unsigned long wait_ms(const struct smtpd *s, unsigned long per)
{
	long long end = s->data_end, now;

	if (s->session_end && (!end || s->session_end < end))
		end = s->session_end;
	if (!end)
		return per;
	now = now_ms();
	if (end <= now)
		return 0;
	if (!per || (unsigned long long)(end - now) < per)
		return (unsigned long)(end - now);
	return per;
}

/* The 421 for a read that timed out: which limit it was. */
static void timeout_reply(struct smtpd *s, const char *what)
{
	long long now = now_ms();

	if (s->session_end && now >= s->session_end) {
		reply(s, "421 4.4.2 %s Session too long "
			"(PostboxSessionDeadline); timeout", s->j);
		log_msg(LOG_NOTICE, "[%s]: session deadline passed",
			s->peer.ip);
	} else if (s->data_end && now >= s->data_end) {
		reply(s, "421 4.4.2 %s DATA too long "
			"(PostboxDataDeadline); timeout", s->j);
		log_msg(LOG_NOTICE, "[%s]: DATA deadline passed",
			s->peer.ip);
	} else {
		reply(s, "421 4.4.2 %s Timeout waiting for %s", s->j, what);
	}
}

/* Whether the client has sent more than the command being answered: bytes
 * buffered, in the TLS engine too, or waiting on the socket (peeked, so
 * that a client that shut its sending side down is not counted). */
static int input_waiting(const struct smtpd *s)
{
	char c;

	if (io_pending(&s->in) > 0)
		return 1;
	if (CFG_TLS && s->tls && tls_pending(s->tls) > 0)
		return 1;
	return recv(s->in.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* Postfix's reject_unauth_pipelining (README "smtpd"): input waiting
 * where the client had to wait for our reply, on a network connection
 * (a pipe, as with sendmail -bs, is a local program's whole script). */
static int unauth_pipelining(struct smtpd *s, const char *where)
{
	if (!s->sock || !input_waiting(s))
		return 0;
	reply(s, "554 5.5.0 Error: improper use of SMTP command pipelining");
	log_msg(LOG_NOTICE, "[%s]: improper use of SMTP command pipelining "
		"%s: closing", s->peer.ip, where);
	s->quit = 1;
	return 1;
}

static void txn_free(struct smtpd *s)
{
	struct txn *t = s->txn;
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->rcpt[i].addr);
		free(t->rcpt[i].orcpt);
	}
	free(t->rcpt);
	if (t->q) {
		queue_abort(t->q);
		free(t->q);
	}
	free(t->ds);
	free(t);
	s->txn = NULL;
}

static int txn_add(struct txn *t, const char *addr, const char *orcpt,
	unsigned notify)
{
	if (buf_grow_array((void **)&t->rcpt, &t->cap, t->n, sizeof *t->rcpt,
			8) < 0)
		return -1;
	t->rcpt[t->n].addr = strdup(addr);
	t->rcpt[t->n].orcpt = strdup(orcpt);
	t->rcpt[t->n].notify = notify;
	if (!t->rcpt[t->n].addr || !t->rcpt[t->n].orcpt) {
		free(t->rcpt[t->n].addr);
		free(t->rcpt[t->n].orcpt);
		return -1;
	}
	t->n++;
	return 0;
}

/* The Received: line (RFC 5321 4.4), LF line ends, into the data file. */
static int write_received(struct smtpd *s, struct queue_new *q)
{
	struct txn *t = s->txn;
	char date[64], proto[16], from[600];
	struct buf b = BUF_INIT(4096);
	int r;

	/* RFC 3848 protocol names */
	snprintf(proto, sizeof proto, "%s%s%s%s",
		t->smtputf8 ? "UTF8" : "", s->esmtp ? "ESMTP" : "SMTP",
		s->tls ? "S" : "", s->authenticated ? "A" : "");
	if (s->peer.local)
		snprintf(from, sizeof from, "%s (localhost)",
			s->helo[0] ? s->helo : "localhost");
	else
		snprintf(from, sizeof from, "%s (%s%s[%s])",
			s->helo[0] ? s->helo : s->peer.ip, s->peer.host,
			s->peer.host[0] ? " " : "", s->peer.ip);
	msg_date(time(NULL), date, sizeof date);
	buf_printf(&b, "Received: from %s", from);
	/* sendmail's $?{auth_type}: AUTH happened, not who (the log says
	 * who); bits= is the SASL security layer, which none of ours has */
	if (s->authenticated)
		buf_printf(&b, "\n\t(authenticated bits=0)");
	buf_printf(&b, "\n\tby %s (postbox) with %s id %s", s->j, proto,
		q->id);
	/* sendmail's $?{tls_version}: we never ask for a client certificate,
	 * so verify=NOT */
	if (CFG_TLS && s->tls)
		buf_printf(&b, "\n\t(version=%s cipher=%s bits=%d "
			"verify=NOT)", tls_version(s->tls), tls_cipher(s->tls),
			tls_cipher_bits(s->tls));
	if (t->n == 1)
		/* the address the client gave, not a virtusertable target */
		buf_printf(&b, "\n\tfor <%s>", str_istarts(t->rcpt[0].orcpt,
			"rfc822;") ? t->rcpt[0].orcpt + 7 : t->rcpt[0].addr);
	r = buf_printf(&b, "; %s\n", date);
	if (r == 0)
		r = file_write_all(q->fd, b.p, b.len);
	buf_free(&b);
	return r;
}

/* sendmail's MinFreeBlocks: whether the queue's file system keeps that
 * many blocks free (for an unprivileged user) once SIZE more octets are
 * in it.  A statvfs that fails answers yes: the write will tell. */
static int space_ok(const struct smtpd *s, unsigned long size)
{
	return queue_space_ok(s->cf->opt.queue_dir,
		s->cf->opt.min_free_blocks, size);
}

#define NO_SPACE	"452 4.3.1 Insufficient system storage"

/* Opens the queue entry and its machine for DATA or the first BDAT.
 * NULL, or the reply that refuses. */
static const char *data_open(struct smtpd *s)
{
	struct txn *t = s->txn;

	/* no SIZE= given: at least MinFreeBlocks must be free now */
	if (!t->size_decl && !space_ok(s, 0)) {
		log_msg(LOG_NOTICE, "[%s]: %s: below MinFreeBlocks",
			s->peer.ip, s->cf->opt.queue_dir);
		return NO_SPACE;
	}
	t->q = calloc(1, sizeof *t->q);
	t->ds = calloc(1, sizeof *t->ds);
	if (!t->q || !t->ds) {
		free(t->q);
		free(t->ds);
		t->q = NULL, t->ds = NULL;
		return "451 4.3.0 Out of memory, try again later";
	}
	if (queue_open(t->q, s->cf->opt.queue_dir) < 0) {
		log_msg(LOG_ERR, "%s: cannot open a queue file: %s",
			s->cf->opt.queue_dir, strerror(errno));
		free(t->q);
		t->q = NULL;
		return "451 4.3.0 Queue not available, try again later";
	}
	t->ds->fd = t->q->fd;
	t->ds->in_header = 1;
	t->ds->st = D_BOL;
	t->ds->max = s->cf->opt.max_message_size;
	t->ds->normalize = s->cf->opt.bare_line_ends &&
		strcasecmp(s->cf->opt.bare_line_ends, "normalize") == 0;
	if (write_received(s, t->q) < 0)
		t->ds->bad |= BAD_WRITE;
	/* A submission (an authenticated or a local client, as Postfix's
	 * local_header_rewrite_clients) gets the Date and Message-Id it
	 * lacks, as sendmail gives them (RFC 6409 8.2, 8.3); mail relayed
	 * from elsewhere is left as it came (RFC 5321 6.4). */
	if (s->authenticated || net_is_loopback(&s->peer)) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[16], date[40];

		localtime_r(&now, &tm);
		if (msg_date(now, date, sizeof date))
			snprintf(t->ds->date, sizeof t->ds->date,
				"Date: %s\n", date);
		else
			t->ds->date[0] = 0;
		strftime(stamp, sizeof stamp, "%Y%m%d%H%M", &tm);
		snprintf(t->ds->newid, sizeof t->ds->newid,
			"Message-Id: <%s.%s@%s>\n", stamp, t->q->id, s->j);
	}
	return NULL;
}

/* Hands QID to the delivery agent now (DeliveryMode b, i; agent.c). */
static void wake_delivery(struct smtpd *s, const char *qid)
{
	char mode = s->cf->opt.delivery_mode;

	if (!s->ctx || mode == 'q' || mode == 'd')
		return;
	smtpd_agent_send(&s->ctx->agent, qid);
}

/* End of DATA or the last BDAT: refuse, or commit and then say 250. */
static void data_finish(struct smtpd *s)
{
	struct txn *t = s->txn;
	struct dstate *d = t->ds;
	const char *why;
	struct queue_env e;
	char qid[QUEUE_ID_LEN + 1], err[1500];
	size_t i;
	int ok = 1;

	smtpd_ds_flush(d);
	why = smtpd_ds_refusal(d);
	if (!why && d->hops > s->cf->opt.max_hops && s->cf->opt.max_hops)
		why = "554 5.4.6 Too many hops";
	if (why) {
		log_msg(LOG_NOTICE, "[%s]: message refused: %s", s->peer.ip,
			why);
		reply(s, "%s", why);
		bad(s);
		txn_free(s);
		return;
	}
	str_lcpy(qid, t->q->id, sizeof qid);
	if (t->discard || s->client_discard) {
		/* access DISCARD: accepted, then dropped, as sendmail does */
		log_msg(LOG_INFO, "%s: discarded from <%s>", qid, t->sender);
		reply(s, "250 2.0.0 %s Message accepted for delivery", qid);
		txn_free(s);
		return;
	}
	queue_env_init(&e);
	e.kind = QUEUE_MAIL;
	e.created = e.next = time(NULL);
	ok &= queue_set(&e.sender, t->sender) == 0;
	ok &= queue_set(&e.envid, t->envid) == 0;
	ok &= queue_set(&e.msgid, d->msgid) == 0;
	str_lcpy(e.ret, t->ret, sizeof e.ret);
	str_lcpy(e.body, t->body, sizeof e.body);
	for (i = 0; ok && i < t->n; i++) {
		struct queue_rcpt *r = queue_env_add(&e, t->rcpt[i].addr, -1);

		if (!r || queue_set(&r->orcpt, t->rcpt[i].orcpt) < 0) {
			ok = 0;
			break;
		}
		r->notify = t->rcpt[i].notify;
	}
	/* an authenticated client's message, or a local program's
	 * (sendmail -bs), is signed before the commit (README.md, "DKIM
	 * signing"); a failure is temporary */
	if (CFG_DKIM && ok && (s->authenticated || s->peer.local) &&
			dkim_sign_queued(&s->cf->opt, t->q->fd, err,
				sizeof err) < 0) {
		log_msg(LOG_ERR, "%s: DKIM signing: %s", qid, err);
		queue_env_free(&e);
		reply(s, "451 4.3.0 Error signing the message, try again "
			"later");
		txn_free(s);
		return;
	}
	/* nothing is acknowledged before it is on disk (ARCHITECTURE.md,
	 * "The queue") */
	if (!ok || queue_commit(t->q, &e) < 0) {
		log_msg(LOG_ERR, "%s: queue commit failed: %s", qid,
			strerror(errno));
		reply(s, "451 4.3.0 Error writing the queue, try again later");
	} else {
		free(t->q);
		t->q = NULL;
		log_msg(LOG_INFO, "%s: from=<%s>, size=%lu, nrcpts=%zu, "
			"relay=%s [%s]", qid, t->sender, d->size, t->n,
			s->helo[0] ? s->helo : "-", s->peer.ip);
		reply(s, "250 2.0.0 %s Message accepted for delivery", qid);
		wake_delivery(s, qid);
	}
	queue_env_free(&e);
	txn_free(s);
}

/* Reads the data after 354 to CRLF.CRLF.  0 at the end, -1 when the
 * client went away or timed out (after the reply). */
static int data_read(struct smtpd *s)
{
	struct dstate *d = s->txn->ds;
	unsigned long ms = s->cf->opt.to_datablock * 1000UL, w;
	unsigned char c;
	ssize_t r;

	for (;;) {
		/* RFC 5321 4.5.3.2.5: a timeout per block, and the DATA
		 * and session deadlines over all of them */
		if (io_pending(&s->in) == 0) {
			if ((w = wait_ms(s, ms)) == 0) {
				timeout_reply(s, "data");
				return -1;
			}
			io_deadline(&s->in, w);
		}
		r = io_read(&s->in, &c, 1);
		if (r <= 0) {
			if (r < 0 && errno == ETIMEDOUT)
				timeout_reply(s, "data");
			log_msg(LOG_NOTICE, "[%s]: lost input channel during "
				"DATA", s->peer.ip);
			return -1;
		}
		switch (smtpd_ds_byte(d, c, 1)) {
		case 1:
			return 0;
		case 2:
			/* RFC 5321 2.3.8: not our end of data; what follows
			 * cannot be told from commands, so stop here */
			reply(s, "421 4.5.0 %s Bare LF as the end of DATA "
				"(RFC 5321 2.3.8); closing", s->j);
			log_msg(LOG_NOTICE, "[%s]: bare LF before \".\" in "
				"DATA: closing", s->peer.ip);
			return -1;
		}
	}
}

/* --- commands ------------------------------------------------------------- */

/* The daemon's M= letters has C ("" in -i mode). */
static int daemon_has(const struct smtpd *s, int c)
{
	return s->l && strchr(s->l->modifiers, c) != NULL;
}

/* The mechanisms offered now: AuthMechanisms, less PLAIN and LOGIN
 * before TLS with AuthOptions p (RFC 4954 4); 0 when AUTH is off, or
 * off on this daemon (sendmail's M=A). */
static int auth_set(const struct smtpd *s)
{
	if (!CFG_AUTH || !s->ctx || !s->ctx->mechs || daemon_has(s, 'A'))
		return 0;
	return auth_offer(s->ctx->mechs, s->cf->opt.auth_options,
		s->tls != NULL);
}

static void ehlo_extensions(struct smtpd *s)
{
	unsigned long max = s->cf->opt.max_message_size;
	char l[64];
	int set;

	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250-PIPELINING");
	reply(s, "250-8BITMIME");
	if (max)
		reply(s, "250-SIZE %lu", max);
	else
		reply(s, "250-SIZE");
	reply(s, "250-DSN");
	reply(s, "250-SMTPUTF8");
	reply(s, "250-CHUNKING");
	/* RFC 3207 4: not once the session is encrypted */
	if (CFG_TLS && s->ctx && s->ctx->tlscfg && !s->tls)
		reply(s, "250-STARTTLS");
	/* RFC 4954 3: not once authenticated */
	if (!s->authenticated && (set = auth_set(s)) != 0) {
		auth_mechs_list(set, l, sizeof l);
		reply(s, "250-AUTH %s", l);
	}
	reply(s, "250 HELP");
}

static void cmd_helo(struct smtpd *s, const char *arg, int esmtp)
{
	const char *p;

	/* RFC 2920 3.1: EHLO and HELO end a group; before their reply the
	 * client cannot know that PIPELINING is offered */
	if (unauth_pipelining(s, esmtp ? "behind EHLO" : "behind HELO"))
		return;
	if (!*arg) {
		reply(s, "501 5.0.0 %s requires domain address",
			esmtp ? "EHLO" : "HELO");
		bad(s);
		return;
	}
	for (p = arg; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			break;
	if (*p || p - arg >= (long)sizeof s->helo) {
		reply(s, "501 5.0.0 Invalid domain name");
		bad(s);
		return;
	}
	/* RFC 5321 4.1.4: EHLO/HELO also resets the transaction */
	txn_free(s);
	str_lcpy(s->helo, arg, sizeof s->helo);
	s->esmtp = esmtp;
	if (s->peer.local)
		reply(s, "250%c%s Hello %s, pleased to meet you",
			esmtp ? '-' : ' ', s->j, "localhost");
	else
		reply(s, "250%c%s Hello %s [%s], pleased to meet you",
			esmtp ? '-' : ' ', s->j,
			s->peer.host[0] ? s->peer.host : arg, s->peer.ip);
	if (esmtp)
		ehlo_extensions(s);
}

/* RFC 3461 4: xtext, printable ASCII without '=' and '+' except as
 * "+XX". */
static int xtext_ok(const char *v, size_t max)
{
	size_t n = 0;

	for (; *v; v++, n++) {
		if (*v == '+') {
			if (!isxdigit((unsigned char)v[1]) ||
					!isxdigit((unsigned char)v[2]))
				return 0;
			v += 2;
		} else if (*v < '!' || *v > '~' || *v == '=') {
			return 0;
		}
	}
	return n > 0 && n <= max;
}

/* The next ESMTP parameter in P ("KEY" or "KEY=VALUE", RFC 5321 4.1.2)
 * into PARAM (CMD_MAX bytes: no word of a command line is longer), with
 * *val at its value or NULL.  Returns where the rest starts, NULL at the
 * end. */
static const char *next_param(const char *p, char *param, char **val)
{
	char *eq;
	size_t n;

	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	n = strcspn(p, " ");
	memcpy(param, p, n);
	param[n] = 0;
	eq = strchr(param, '=');
	*val = eq ? eq + 1 : NULL;
	if (eq)
		*eq = 0;
	return p + n;
}

static void cmd_mail(struct smtpd *s, const char *arg)
{
	char addr[PATH_MAX_SMTP], why[600], param[CMD_MAX], *v;
	const char *p = arg;
	struct map_action a;
	struct txn *t;
	int utf8 = 0, r;

	if (s->txn) {
		reply(s, "503 5.5.0 Sender already specified");
		bad(s);
		return;
	}
	if (!s->helo[0] && privacy_has(s->cf, "needmailhelo")) {
		reply(s, "503 5.0.0 Polite people say HELO first");
		bad(s);
		return;
	}
	/* sendmail's M=a: this daemon takes mail only after AUTH */
	if (daemon_has(s, 'a') && !s->authenticated) {
		reply(s, "530 5.7.0 Authentication required");
		bad(s);
		return;
	}
	if (!str_istarts(p, "FROM:")) {
		reply(s, "501 5.5.2 Syntax error in parameters scanning "
			"\"from\"");
		bad(s);
		return;
	}
	p += 5;
	/* SMTPUTF8 changes what the path may hold: look ahead for it */
	{
		const char *q = strchr(p, '>');

		for (q = q ? q : p; (q = strchr(q, ' ')) != NULL; q++)
			if (strncasecmp(q + 1, "SMTPUTF8", 8) == 0 &&
					(q[9] == 0 || q[9] == ' '))
				utf8 = 1;
	}
	if (smtpd_parse_path(&p, addr, 1, utf8, why, sizeof why) < 0) {
		reply(s, "%s", why);
		bad(s);
		return;
	}
	t = calloc(1, sizeof *t);
	if (!t) {
		reply(s, "451 4.3.0 Out of memory, try again later");
		return;
	}
	str_lcpy(t->sender, addr, sizeof t->sender);
	smtpd_addr_normalise(t->sender);
	/* ESMTP parameters (RFC 5321 4.1.2 Mail-parameters) */
	while ((p = next_param(p, param, &v)) != NULL) {
		if (str_ieq(param, "SIZE") && v) {
			unsigned long sz, max = s->cf->opt.max_message_size;

			if (str_toul(v, 0xffffffffffUL, &sz) < 0) {
				snprintf(why, sizeof why, "501 5.5.4 Syntax "
					"error in SIZE parameter");
				goto refuse;
			}
			/* RFC 1870 6.1: refuse early */
			if (max && sz > max) {
				snprintf(why, sizeof why, "552 5.3.4 Message "
					"size exceeds fixed maximum message "
					"size (%lu)", max);
				goto refuse;
			}
			/* sendmail's enoughdiskspace(): MinFreeBlocks
			 * left after the message */
			if (!space_ok(s, sz)) {
				log_msg(LOG_NOTICE, "[%s]: %s: SIZE=%lu "
					"leaves less than MinFreeBlocks",
					s->peer.ip, s->cf->opt.queue_dir, sz);
				/* temporary: no protocol error (bad()) */
				free(t);
				reply(s, NO_SPACE);
				return;
			}
			t->size_decl = sz;
		} else if (str_ieq(param, "BODY") && v) {
			if (str_ieq(v, "7BIT"))
				str_lcpy(t->body, "7bit", sizeof t->body);
			else if (str_ieq(v, "8BITMIME"))
				str_lcpy(t->body, "8bitmime", sizeof t->body);
			else {
				snprintf(why, sizeof why, "501 5.5.4 Unknown "
					"BODY type %.40s", v);
				goto refuse;
			}
		} else if (str_ieq(param, "SMTPUTF8") && !v) {
			t->smtputf8 = 1;
		} else if (str_ieq(param, "RET") && v) {
			if (str_ieq(v, "FULL") || str_ieq(v, "HDRS")) {
				str_lcpy(t->ret, v, sizeof t->ret);
				str_lower(t->ret);
			} else {
				snprintf(why, sizeof why, "501 5.5.4 Bad "
					"argument \"%.40s\" to RET", v);
				goto refuse;
			}
		} else if (str_ieq(param, "ENVID") && v) {
			if (!xtext_ok(v, 100) || t->envid[0]) {
				snprintf(why, sizeof why, "501 5.5.4 Syntax "
					"error in ENVID parameter");
				goto refuse;
			}
			str_lcpy(t->envid, v, sizeof t->envid);
		} else if (str_ieq(param, "AUTH") && v) {
			/* RFC 4954 5: an xtext mailbox or <>; we trust no
			 * other server's word for it, so it is only checked
			 * (sendmail without a trusted AUTH= does the same) */
			if (strcmp(v, "<>") != 0 && !xtext_ok(v, 500)) {
				snprintf(why, sizeof why, "501 5.5.4 Syntax "
					"error in AUTH parameter");
				goto refuse;
			}
		} else {
			snprintf(why, sizeof why, "555 5.5.4 %.40s parameter "
				"unrecognized", param);
			goto refuse;
		}
	}
	/* §3: the sender in the access map */
	r = decide_access(&s->rt, "From", MAP_ACCESS_ADDR,
		t->sender[0] ? t->sender : "<>", &a, NULL);
	if (r < 0) {
		snprintf(why, sizeof why, "451 4.3.0 <%s>... Temporary lookup "
			"failure", t->sender);
		goto refuse;
	}
	if (r > 0 && (a.act == MAP_ACT_REJECT || a.act == MAP_ACT_ERROR)) {
		decide_action_reply(&a, t->sender, why, sizeof why);
		log_msg(LOG_NOTICE, "[%s]: sender <%s> refused: %s",
			s->peer.ip, t->sender, why);
		free(t);
		reply(s, "%s", why);
		return;
	}
	if (r > 0 && a.act == MAP_ACT_DISCARD)
		t->discard = 1;
	s->txn = t;
	reply(s, "250 2.1.0 <%s>... Sender ok", t->sender);
	return;
refuse:
	free(t);
	reply(s, "%s", why);
	bad(s);
}

/* RCPT parameters: NOTIFY, ORCPT (RFC 3461 4.1, 4.2). */
static int rcpt_params(const char *p, unsigned *notify, char *orcpt,
	size_t omax, char *why, size_t whymax)
{
	char param[CMD_MAX], *v;

	*notify = 0;
	orcpt[0] = 0;
	while ((p = next_param(p, param, &v)) != NULL) {
		if (str_ieq(param, "NOTIFY") && v) {
			char low[64];

			str_lcpy(low, v, sizeof low);
			str_lower(low);
			if (strlen(v) >= sizeof low ||
					queue_notify_parse(low, notify) < 0) {
				snprintf(why, whymax, "501 5.5.4 Bad argument "
					"\"%.40s\" to NOTIFY", v);
				return -1;
			}
		} else if (str_ieq(param, "ORCPT") && v) {
			const char *semi = strchr(v, ';');

			if (!semi || semi == v || !xtext_ok(semi + 1, 500) ||
					strlen(v) >= omax) {
				snprintf(why, whymax, "501 5.5.4 Syntax error "
					"in ORCPT parameter");
				return -1;
			}
			str_lcpy(orcpt, v, omax);
		} else {
			snprintf(why, whymax, "555 5.5.4 %.40s parameter "
				"unrecognized", param);
			return -1;
		}
	}
	return 0;
}

static void cmd_rcpt(struct smtpd *s, const char *arg)
{
	char addr[PATH_MAX_SMTP], dst[PATH_MAX_SMTP], why[700];
	char orcpt[520];
	const char *p = arg;
	unsigned notify, max = s->cf->opt.max_rcpts;

	if (!s->txn) {
		reply(s, "503 5.0.0 Need MAIL before RCPT");
		bad(s);
		return;
	}
	if (s->txn->q) {
		reply(s, "503 5.5.1 RCPT not allowed during BDAT");
		bad(s);
		return;
	}
	if (!str_istarts(p, "TO:")) {
		reply(s, "501 5.5.2 Syntax error in parameters scanning "
			"\"to\"");
		bad(s);
		return;
	}
	p += 3;
	if (smtpd_parse_path(&p, addr, 0, s->txn->smtputf8, why,
			sizeof why) < 0 || rcpt_params(p, &notify, orcpt,
			sizeof orcpt, why, sizeof why) < 0) {
		reply(s, "%s", why);
		bad(s);
		return;
	}
	smtpd_addr_normalise(addr);
	/* RFC 5321 4.5.3.1.8: 452 for too many, the client retries later */
	if (s->txn->n >= (max ? max : RCPTS_DEFAULT)) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (smtpd_check_rcpt(s, addr, dst, sizeof dst, why, sizeof why) < 0) {
		/* a policy refusal is no protocol error (sendmail does not
		 * count it either): relay probes get every answer */
		reply(s, "%s", why);
		return;
	}
	if (!orcpt[0] && strcmp(dst, addr) != 0)
		snprintf(orcpt, sizeof orcpt, "rfc822;%s", addr);
	if (txn_add(s->txn, dst, orcpt, notify) < 0) {
		reply(s, "452 4.3.0 Out of memory");
		return;
	}
	reply(s, "250 2.1.5 <%s>... Recipient ok", addr);
}

static void cmd_data(struct smtpd *s, const char *arg)
{
	const char *why;
	int r;

	if (!s->txn) {
		reply(s, "503 5.0.0 Need MAIL command");
		bad(s);
		return;
	}
	if (s->txn->n == 0) {
		reply(s, "503 5.0.0 Need RCPT (recipient)");
		bad(s);
		return;
	}
	if (s->txn->q) {
		reply(s, "503 5.5.1 DATA not allowed during BDAT");
		bad(s);
		return;
	}
	if (*arg) {
		reply(s, "501 5.5.4 DATA takes no parameters");
		bad(s);
		return;
	}
	/* RFC 2920 3.1: DATA ends a group; the message waits for 354 */
	if (unauth_pipelining(s, "after DATA")) {
		txn_free(s);
		return;
	}
	if ((why = data_open(s)) != NULL) {
		reply(s, "%s", why);
		return;
	}
	reply(s, "354 Enter mail, end with \".\" on a line by itself");
	if (s->cf->opt.data_deadline > 0)
		s->data_end = now_ms() + s->cf->opt.data_deadline * 1000LL;
	r = data_read(s);
	s->data_end = 0;
	if (r < 0) {
		txn_free(s);
		s->quit = 1;
		return;
	}
	data_finish(s);
}

/* RFC 3030 2: BDAT size [LAST].  The chunk is always read, even when
 * refused, so the session stays in step. */
static void cmd_bdat(struct smtpd *s, const char *arg)
{
	unsigned long size, left;
	char num[24];
	const char *rest, *why = NULL;
	struct txn *t = s->txn;
	size_t n = strcspn(arg, " ");
	int last;

	rest = arg + n;
	while (*rest == ' ')
		rest++;
	last = str_ieq(rest, "LAST");
	if (n >= sizeof num || (*rest && !last)) {
		size = 1;	/* makes the check below fail */
		num[0] = 0;
	} else {
		memcpy(num, arg, n);
		num[n] = 0;
	}
	if (!num[0] || str_toul(num, 0xffffffffffUL, &size) < 0) {
		/* out of step: the chunk cannot be skipped */
		reply(s, "501 5.5.4 Syntax error in BDAT parameters");
		s->quit = 1;
		return;
	}
	if (!t)
		why = "503 5.0.0 Need MAIL command";
	else if (t->n == 0)
		why = "503 5.0.0 Need RCPT (recipient)";
	else if (t->bdat_failed)
		why = "451 4.3.0 Queue not available, try again later";
	else if (!t->q && (why = data_open(s)) != NULL)
		t->bdat_failed = 1;
	if (s->cf->opt.data_deadline > 0)
		s->data_end = now_ms() + s->cf->opt.data_deadline * 1000LL;
	for (left = size; left > 0; ) {
		char chunk[4096];
		size_t want = left < sizeof chunk ? left : sizeof chunk;
		unsigned long w = 1;
		ssize_t r, i;

		if (io_pending(&s->in) == 0 && (w = wait_ms(s,
		    s->cf->opt.to_datablock * 1000UL)) != 0)
			io_deadline(&s->in, w);
		r = w ? io_read(&s->in, chunk, want) : -1;
		if (r <= 0) {
			if (!w || (r < 0 && errno == ETIMEDOUT))
				timeout_reply(s, "data");
			s->data_end = 0;
			txn_free(s);
			s->quit = 1;
			return;
		}
		left -= r;
		for (i = 0; !why && i < r; i++)
			smtpd_ds_byte(t->ds, (unsigned char)chunk[i], 0);
	}
	s->data_end = 0;
	if (why) {
		reply(s, "%s", why);
		if (t && last)
			txn_free(s);
		if (why[0] == '5')
			bad(s);
		return;
	}
	if (!last) {
		reply(s, "250 2.0.0 %lu octets received", size);
		return;
	}
	/* a message that ends without CRLF gets one */
	if (t->ds->st != D_BOL)
		smtpd_ds_byte(t->ds, '\r', 0), smtpd_ds_byte(t->ds, '\n', 0);
	data_finish(s);
}

static void cmd_help(struct smtpd *s, const char *arg)
{
	reply(s, "214-2.0.0 This is postbox smtpd");
	reply(s, "214-2.0.0 Topics:");
	reply(s, "214-2.0.0 \tHELO\tEHLO\tMAIL\tRCPT\tDATA");
	reply(s, "214-2.0.0 \tBDAT\tRSET\tNOOP\tQUIT\tHELP");
	reply(s, "214-2.0.0 \tVRFY\tEXPN");
	reply(s, "214-2.0.0 For local information send email to "
		"Postmaster at your site.");
	reply(s, "214 2.0.0 End of HELP info");
}

static void cmd_vrfy(struct smtpd *s, const char *arg, int expn)
{
	char addr[PATH_MAX_SMTP], user[LOCAL_MAX + 8], why[600];
	const char *p = arg;
	int r;

	/* PrivacyOptions novrfy, noexpn (the default): sendmail's words */
	if (expn && privacy_has(s->cf, "noexpn")) {
		reply(s, "502 5.7.0 Sorry, we do not allow this operation");
		return;
	}
	if (!expn && privacy_has(s->cf, "novrfy")) {
		reply(s, "252 2.5.2 Cannot VRFY user; try RCPT to attempt "
			"delivery (or try finger)");
		return;
	}
	if (!*p || smtpd_parse_path(&p, addr, 0, 0, why, sizeof why) < 0) {
		reply(s, "501 5.5.2 Argument required");
		bad(s);
		return;
	}
	if (!smtpd_is_local(s, addr, user, sizeof user)) {
		reply(s, "252 2.1.5 <%s>... Cannot VRFY a remote address",
			addr);
		return;
	}
	r = smtpd_user_exists(s, user);
	if (r > 0)
		reply(s, "250 2.1.5 <%s@%s>", user, s->j);
	else if (r == 0)
		reply(s, "550 5.1.1 <%s>... User unknown", addr);
	else
		reply(s, "451 4.3.0 Temporary lookup failure");
}

/* Forgets what the client told us before the handshake (RFC 3207
 * 4.2): its EHLO, the transaction, an AUTH. */
static void session_reset(struct smtpd *s)
{
	txn_free(s);
	s->helo[0] = 0;
	s->esmtp = 0;
	s->authenticated = s->auth_relay = 0;
	s->authid[0] = 0;
	s->auth_mech = 0;
}

/* Logs the session's TLS, as sendmail does. */
static void tls_log(struct smtpd *s)
{
	log_msg(LOG_INFO, "STARTTLS=server, relay=%s%s[%s], version=%s, "
		"verify=NOT, cipher=%s, bits=%d/%d%s", s->peer.host,
		s->peer.host[0] ? " " : "", s->peer.ip, tls_version(s->tls),
		tls_cipher(s->tls), tls_cipher_bits(s->tls),
		tls_cipher_bits(s->tls), tls_resumed(s->tls) ? ", resumed" :
		"");
}

/* The handshake, for STARTTLS and M=s.  0, or -1 (logged) when the
 * connection is unusable: the session ends without another reply. */
static int tls_begin(struct smtpd *s)
{
	char err[256];

	s->tls = tls_server_start(&s->in, &s->out, s->ctx->tlscfg,
		s->cf->opt.to_command * 1000UL, err, sizeof err);
	if (!s->tls) {
		log_msg(LOG_NOTICE, "STARTTLS=server, relay=[%s], error: %s",
			s->peer.ip, err);
		return -1;
	}
	tls_log(s);
	return 0;
}

/* RFC 3207 4. */
static void cmd_starttls(struct smtpd *s, const char *arg)
{
	char who[NET_IP_MAX + 2];

	if (!CFG_TLS || !s->ctx || !s->ctx->tlscfg) {
		reply(s, "500 5.5.1 Command unrecognized: \"STARTTLS\"");
		bad(s);
		return;
	}
	if (s->tls) {
		reply(s, "503 5.5.0 TLS already active");
		bad(s);
		return;
	}
	if (*arg) {
		reply(s, "501 5.5.4 Syntax error (no parameters allowed)");
		bad(s);
		return;
	}
	/* RFC 3207 4, 6: what the client sent behind STARTTLS came in the
	 * clear and must not be read as if it came over TLS (the STARTTLS
	 * injection attack): refuse it, discard it, end the session */
	snprintf(who, sizeof who, "[%s]", s->peer.ip);
	if (io_starttls_check(&s->in, "STARTTLS", who) < 0) {
		reply(s, "554 5.5.1 Error: command pipelining after "
			"STARTTLS");
		s->quit = 1;
		return;
	}
	reply(s, "220 2.0.0 Ready to start TLS");
	if (tls_begin(s) < 0) {
		s->quit = 1;
		return;
	}
	session_reset(s);
}

/* Whether the mechanism that authenticated may relay: sendmail's
 * TRUST_AUTH_MECH puts those in class {TrustAuthMech}; without that
 * class any mechanism may (sendmail would let none: see README). */
static int auth_trusted(const struct smtpd *s)
{
	const struct cf_list *c = cf_class(s->cf, "{TrustAuthMech}");

	return !c || c->n == 0 || cf_class_has(s->cf, "{TrustAuthMech}",
		auth_mech_name(s->auth_mech));
}

/* AUTH's step through the monitor (privsep.h): TYPE 'A' starts MECH with
 * the mechanisms SET and TEXT the initial response (NULL none), 'S' sends
 * the response TEXT.  The result; the challenge, or after AUTH_SUCCESS
 * the user and the mechanism, into A. */
static int ask(struct smtpd *s, int type, int set, const char *mech,
	const char *text, struct auth *a)
{
	struct privsep_req rq = { type, s->tls != NULL, set, NULL,
		type == 'S' ? text : NULL, mech, type == 'A' ? text : NULL };
	int r = privsep_ask(&s->ps, &rq, a->out, sizeof a->out);

	if (type == 'A')
		a->mech = auth_mech_byname(mech);
	if (r < 0) {
		log_msg(LOG_ERR, "[%s]: the AUTH monitor is gone", s->peer.ip);
		return AUTH_TEMPFAIL;
	}
	if (r == AUTH_SUCCESS)
		str_lcpy(a->user, a->out, sizeof a->user);
	return r;
}

/* RFC 4954 4: AUTH mechanism [initial-response]. */
static void cmd_auth(struct smtpd *s, char *arg)
{
	char client[NET_IP_MAX + 300];
	const char *initial = NULL;
	auth_lookup_fn lookup = auth_lookup_system;
	void *lctx = NULL;
	struct auth a;
	char *sp;
	int set = auth_set(s), r;

	if (!set) {
		reply(s, "503 5.3.3 AUTH not available");
		bad(s);
		return;
	}
	if (!s->esmtp) {
		reply(s, "503 5.5.1 Error: send EHLO first");
		bad(s);
		return;
	}
	if (s->authenticated) {
		reply(s, "503 5.5.0 Already Authenticated");
		bad(s);
		return;
	}
	if (s->txn) {
		reply(s, "503 5.5.0 AUTH not permitted during a mail "
			"transaction");
		bad(s);
		return;
	}
	if ((sp = strchr(arg, ' ')) != NULL) {
		*sp++ = 0;
		initial = sp;
	}
	if (s->cf->opt.virtual_users && *s->cf->opt.virtual_users) {
		lookup = smtpd_vuser_secret;
		lctx = s;
	}
	snprintf(client, sizeof client, "%s%s[%s]", s->peer.host,
		s->peer.host[0] ? " " : "", s->peer.ip);
	if (s->ps.chan >= 0)
		r = ask(s, 'A', set, arg, initial, &a);
	else
		r = auth_start(&a, arg, set, initial, s->j, lookup, lctx,
			client);
	while (r == AUTH_CONTINUE) {
		size_t len = 0;
		unsigned long w;
		int g;

		reply(s, "334 %s", a.out);
		/* RFC 5321 4.5.3.2.7's command timeout, per response */
		w = wait_ms(s, s->cf->opt.to_command * 1000UL);
		if (w)
			io_deadline(&s->in, w);
		g = w ? io_getline(&s->in, s->line, sizeof s->line, &len) :
			IO_TIMEOUT;
		if (g == IO_TIMEOUT) {
			timeout_reply(s, "input");
			s->quit = 1;
			goto out;
		}
		if (g == IO_ERR || g == IO_EOF) {
			s->quit = 1;
			goto out;
		}
		if (g == IO_LONG) {
			r = AUTH_MALFORMED;
			break;
		}
		len--;
		if (len > 0 && s->line[len - 1] == '\r')
			len--;
		s->line[len] = 0;
		if (s->ps.chan >= 0)
			r = ask(s, 'S', 0, NULL, s->line, &a);
		else
			r = auth_step(&a, s->line);
	}
	switch (r) {
	case AUTH_SUCCESS:
		s->authenticated = 1;
		s->auth_mech = a.mech;
		str_lcpy(s->authid, a.user, sizeof s->authid);
		s->auth_relay = auth_trusted(s);
		log_msg(LOG_INFO, "AUTH=server, relay=%s, authid=%s, mech=%s, "
			"bits=0", client, s->authid, auth_mech_name(a.mech));
		reply(s, "235 2.7.0 Authentication successful");
		break;
	case AUTH_FAIL:
		/* RFC 4954 9: slow guessing down, then stop it */
		io_flush(&s->out);
		auth_fail_delay(++s->auth_fails, s->cf->opt.auth_fail_delay);
		reply(s, "535 5.7.8 Authentication credentials invalid");
		if (s->auth_fails >= AUTH_FAILURES_MAX) {
			log_msg(LOG_NOTICE, "[%s]: too many AUTH failures: "
				"closing", s->peer.ip);
			reply(s, "421 4.7.0 %s Too many authentication "
				"failures", s->j);
			s->quit = 1;
		}
		break;
	case AUTH_MALFORMED:
		reply(s, "501 5.5.2 Cannot decode response");
		bad(s);
		break;
	case AUTH_CANCEL:
		reply(s, "501 5.0.0 AUTH aborted");
		break;
	case AUTH_TEMPFAIL:
		reply(s, "454 4.7.0 Temporary authentication failure");
		break;
	default:
		reply(s, "504 5.5.4 Unrecognized authentication type");
		bad(s);
		break;
	}
out:
	memset(&a, 0, sizeof a);
	/* the response line may hold a password */
	memset(s->line, 0, sizeof s->line);
}

/* One command line (terminator removed). */
static void command(struct smtpd *s, char *line)
{
	char *arg = line;
	size_t n;

	n = strcspn(line, " ");
	arg = line + n;
	if (*arg)
		*arg++ = 0;
	while (*arg == ' ')
		arg++;
	/* trailing blanks are not part of any argument */
	n = strlen(arg);
	while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
		arg[--n] = 0;
	if (str_ieq(line, "QUIT")) {
		reply(s, "221 2.0.0 %s closing connection", s->j);
		s->quit = 1;
		return;
	}
	if (str_ieq(line, "NOOP")) {
		reply(s, "250 2.0.0 OK");
		return;
	}
	if (str_ieq(line, "RSET")) {
		txn_free(s);
		reply(s, "250 2.0.0 Reset state");
		return;
	}
	/* a refused client may only leave (RFC 5321 3.1: 554 greeting) */
	if (s->nullserver[0]) {
		reply(s, "%s", s->nullserver);
		bad(s);
		return;
	}
	if (str_ieq(line, "EHLO"))
		cmd_helo(s, arg, 1);
	else if (str_ieq(line, "HELO"))
		cmd_helo(s, arg, 0);
	else if (str_ieq(line, "MAIL"))
		cmd_mail(s, arg);
	else if (str_ieq(line, "RCPT"))
		cmd_rcpt(s, arg);
	else if (str_ieq(line, "DATA"))
		cmd_data(s, arg);
	else if (str_ieq(line, "BDAT"))
		cmd_bdat(s, arg);
	else if (str_ieq(line, "STARTTLS"))
		cmd_starttls(s, arg);
	else if (str_ieq(line, "AUTH"))
		cmd_auth(s, arg);
	else if (str_ieq(line, "HELP"))
		cmd_help(s, arg);
	else if (str_ieq(line, "VRFY"))
		cmd_vrfy(s, arg, 0);
	else if (str_ieq(line, "EXPN"))
		cmd_vrfy(s, arg, 1);
	else {
		reply(s, "500 5.5.1 Command unrecognized: \"%.40s\"", line);
		bad(s);
	}
}

/* --- the session ---------------------------------------------------------- */

/* Whether the client spoke before the greeting (RFC 5321 4.3.1: the
 * client waits for it).  WAIT_MS: GreetPause. */
static int talked_first(struct smtpd *s, long wait_ms)
{
	struct pollfd p = { 0, POLLIN, 0 };
	char c;

	if (s->peer.local)
		return 0;	/* a pipe holds the whole test transcript */
	if (poll(&p, 1, wait_ms) <= 0 || !(p.revents & POLLIN))
		return 0;
	/* readable at EOF is not talking */
	return recv(0, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

static void greet(struct smtpd *s)
{
	char text[512], val[64];
	const char *g = s->cf->opt.greeting;
	unsigned long pause = 0;

	if (!g || !*g)
		g = "$j ESMTP postbox; $b";
	if (cf_expand(s->cf, g, text, sizeof text) < 0)
		text[sizeof text - 1] = 0;
	if (smtpd_tagged_ip(&s->rt.access, "GreetPause", s->peer.ip,
			val, sizeof val) > 0)
		str_toul(val, 60000, &pause);
	if (talked_first(s, (long)pause)) {
		log_msg(LOG_NOTICE, "[%s]: rejecting commands due to "
			"pre-greeting traffic", s->peer.ip);
		reply(s, "554 %s ESMTP not accepting messages", s->j);
		snprintf(s->nullserver, sizeof s->nullserver,
			"503 5.5.0 Polite people wait for the greeting");
		return;
	}
	if (s->nullserver[0] == '4') {
		reply(s, "421 %s %s", s->j, s->nullserver + 10);
		s->quit = 1;
		return;
	}
	if (s->nullserver[0]) {
		reply(s, "554 %s ESMTP not accepting messages", s->j);
		return;
	}
	/* RFC 5321 4.3.1: the greeting; sendmail inserts "ESMTP" as its
	 * second word when the text lacks it (RFC 1869 4.2 clients look) */
	{
		char *nl = strchr(text, '\n');
		size_t w = strcspn(text, " ");

		if (nl)
			*nl = 0;
		if (strstr(text, "ESMTP"))
			reply(s, "220 %s", text);
		else
			reply(s, "220 %.*s ESMTP%s", (int)w, text, text + w);
	}
}

/* Reads and obeys commands until QUIT, an error, or the end. */
static void session_loop(struct smtpd *s)
{
	unsigned long ms = s->cf->opt.to_command * 1000UL;

	greet(s);
	while (!s->quit) {
		size_t len = 0;
		unsigned long w;
		int r;

		if (s->errors >= HARD_ERRORS) {
			reply(s, "421 4.7.0 %s Too many errors", s->j);
			log_msg(LOG_NOTICE, "[%s]: too many errors",
				s->peer.ip);
			break;
		}
		/* RFC 5321 4.5.3.2.7: the server's wait for a command; the
		 * replies to it get as long to leave */
		w = wait_ms(s, ms);
		if (w) {
			io_deadline(&s->in, w);
			io_deadline(&s->out, w);
		}
		r = w ? io_getline(&s->in, s->line, sizeof s->line, &len) :
			IO_TIMEOUT;
		if (r == IO_TIMEOUT) {
			timeout_reply(s, "input");
			log_msg(LOG_NOTICE, "[%s]: timeout waiting for input",
				s->peer.ip);
			break;
		}
		if (r == IO_ERR || r == IO_EOF) {
			if (!s->quit)
				log_msg(LOG_INFO, "[%s]: lost input channel",
					s->peer.ip);
			break;
		}
		if (r == IO_LONG) {
			reply(s, "500 5.5.0 Command line too long");
			bad(s);
			continue;
		}
		/* the terminator: CRLF, or a bare LF (tolerated in commands,
		 * never in DATA) */
		len--;
		if (len > 0 && s->line[len - 1] == '\r')
			len--;
		s->line[len] = 0;
		if (memchr(s->line, 0, len)) {
			reply(s, "500 5.5.2 NUL in command");
			bad(s);
			continue;
		}
		if (memchr(s->line, '\r', len)) {
			reply(s, "500 5.5.2 Bare CR in command (RFC 5321 "
				"2.3.8)");
			bad(s);
			continue;
		}
		if (s->verbose) {
			/* AUTH's initial response may hold a password */
			int n = (int)len;

			if (str_istarts(s->line, "AUTH "))
				n = 5 + (int)strcspn(s->line + 5, " ");
			log_msg(LOG_DEBUG, "<<< %.*s%s", n, s->line,
				s->line[n] ? " ..." : "");
		}
		/* after HELO no PIPELINING was offered (RFC 2920 3.1) */
		if (s->helo[0] && !s->esmtp &&
				unauth_pipelining(s, "after HELO"))
			break;
		command(s, s->line);
	}
	io_flush(&s->out);
}

/* Drops to the session user before the first byte is read. */
static int drop_privilege(const struct ctx *c)
{
	if (!c->drop)
		return 0;
	/* never root's group, even after a reload (see session_user) */
	if (c->gid == 0 || c->uid == 0) {
		errno = EPERM;
		return -1;
	}
	if (setgroups(1, &c->gid) < 0)
		return -1;
	return priv_drop(c->uid, c->gid);
}

/* Root with AUTH on (privsep.h): 1 in the session, which is the session
 * user for good; 0 in the monitor once the session is over; -1 (logged)
 * when nothing forked. */
static int split(struct smtpd *s)
{
	char client[NET_IP_MAX + 300], *buf;
	auth_lookup_fn lookup = auth_lookup_system;
	struct privsep_checks k = { s, s->j, client, NULL, NULL, NULL, NULL };
	int r;

	if (s->cf->opt.virtual_users && *s->cf->opt.virtual_users)
		lookup = smtpd_vuser_secret;
	k.lookup = lookup;
	snprintf(client, sizeof client, "%s%s[%s]", s->peer.host,
		s->peer.host[0] ? " " : "", s->peer.ip);
	privsep_init(&s->ps, 1, s->ctx->uid, s->ctx->gid);
	if (!(buf = malloc(AUTH_LINE_MAX + 8))) {
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	r = privsep_split(&s->ps);
	if (r == 0)
		privsep_serve(&s->ps, &k, buf, AUTH_LINE_MAX + 8);
	free(buf);
	if (r == 1 && s->vusers)	/* the monitor has the secrets */
		smtpd_vusers_mask(s->vusers, s->vusers_len);
	return r;
}

/* The session on fds 0/1.  L is the listener (NULL in -i mode). */
int smtpd_session(struct ctx *c, const struct net_listener *l)
{
	struct smtpd *s;
	struct stat st;
	int r;

	signal(SIGPIPE, SIG_IGN);
	s = calloc(1, sizeof *s);
	if (!s) {
		log_msg(LOG_ERR, "out of memory");
		return EX_TEMPFAIL;
	}
	s->cf = c->cf;
	s->ctx = c;
	s->l = l;
	s->verbose = c->verbose;
	privsep_init(&s->ps, 0, c->uid, c->gid);
	net_peer(&s->peer);
	/* the maps are opened as root (they may be 0640), then we drop */
	smtpd_maps_open(s);
	/* the virtual users' file holds password hashes: root reads it */
	if (c->cf->opt.virtual_users && *c->cf->opt.virtual_users &&
			file_read_all(c->cf->opt.virtual_users, VUSERS_MAX_FILE,
				&s->vusers, &s->vusers_len) < 0) {
		log_msg(LOG_ERR, "%s: %s", c->cf->opt.virtual_users,
			strerror(errno));
		s->vusers_err = 1;
	}
	s->rt.vusers = s->vusers;
	s->rt.vusers_len = s->vusers_len;
	s->rt.vusers_err = s->vusers_err;
	if (cf_expand(c->cf, "$j", s->j, sizeof s->j) < 0 || !s->j[0])
		str_lcpy(s->j, "localhost", sizeof s->j);
	/* AUTH's passwords stay with a root monitor (privsep.h) */
	if (c->drop && CFG_AUTH && c->mechs && !daemon_has(s, 'A')) {
		if ((r = split(s)) == 0) {
			decide_close(&s->rt);
			free(s->vusers);
			free(s);
			return 0;
		}
	} else {
		r = drop_privilege(c) < 0 ? -1 : 1;
	}
	if (r < 0) {
		log_msg(LOG_ERR, "cannot drop privilege to %u:%u: %s",
			(unsigned)c->uid, (unsigned)c->gid, strerror(errno));
		static const char msg[] = "421 4.3.0 Server configuration "
			"error\r\n";

		if (write(1, msg, sizeof msg - 1) < 0)
			return EX_OSERR;
		return EX_OSERR;
	}
	s->sock = fstat(0, &st) == 0 && S_ISSOCK(st.st_mode);
	io_init(&s->in, 0, s->inbuf, sizeof s->inbuf);
	io_init(&s->out, 1, s->outbuf, sizeof s->outbuf);
	/* RFC 2920: replies to a pipelined group leave in one write */
	io_pair(&s->in, &s->out);
	io_deadline(&s->out, s->cf->opt.to_command * 1000UL);
	if (s->cf->opt.session_deadline > 0)
		s->session_end = now_ms() +
			s->cf->opt.session_deadline * 1000LL;
	smtpd_check_connect(s);
	if (s->verbose)
		log_msg(LOG_DEBUG, "connection from [%s]%s", s->peer.ip,
			s->peer.local ? " (local)" : "");
	/* M=s (port 465, RFC 8314 3.3): TLS from the first byte */
	if (CFG_TLS && c->tlscfg && daemon_has(s, 's')) {
		if (tls_begin(s) == 0)
			session_loop(s);
	} else {
		session_loop(s);
	}
	if (CFG_TLS && s->tls)
		tls_close(s->tls);
	txn_free(s);
	decide_close(&s->rt);
	free(s->vusers);
	free(s);
	return 0;
}

int smtpd_main(int argc, char **argv)
{
	const char *cfpath = NULL, *pidfile = "/var/run/smtpd.pid";
	int inetd = 0, background = 0, verbose = 0, opt, r;
	struct ctx c;

	memset(&c, 0, sizeof c);
	c.agent.rd = c.agent.wr = -1;
	optind = 1;
	while ((opt = getopt(argc, argv, "C:bip:q:v")) != -1) {
		switch (opt) {
		case 'C': cfpath = optarg; break;
		case 'b': background = 1; break;
		case 'i': inetd = 1; break;
		case 'p': pidfile = optarg; break;
		case 'q': c.runner_every = optarg; break;
		case 'v': verbose = 1; break;
		default: applet_usage();
		}
	}
	if (optind != argc || (inetd && (background || c.runner_every)) ||
	    (c.runner_every && (!*c.runner_every || strlen(c.runner_every) >
	     32 || strspn(c.runner_every, "0123456789smhdw") !=
	     strlen(c.runner_every))))
		applet_usage();
	log_open("smtpd", 0);
	if (verbose)
		log_level(LOG_DEBUG);
	c.cf = xzalloc(sizeof *c.cf);
	c.cfpath = cfpath;
	c.verbose = verbose;
	r = cf_load_daemon(c.cf, cfpath ? cfpath : CF_PATH, cfpath != NULL);
	if (r < 0)	/* sendmail -bd: EX_OSERR for a missing F file */
		return r == CF_EFCLASS ? EX_OSERR : EX_CONFIG;
	if (c.cf->opt.bare_line_ends &&
			strcasecmp(c.cf->opt.bare_line_ends, "reject") &&
			strcasecmp(c.cf->opt.bare_line_ends, "normalize")) {
		xwarn("PostboxBareLineEnds=%s: reject or normalize",
			c.cf->opt.bare_line_ends);
		return EX_CONFIG;
	}
	if (smtpd_session_user(&c) < 0 || smtpd_load_secrets(&c, c.cf) < 0 ||
			(!inetd && smtpd_check_daemons(&c) < 0))
		return EX_CONFIG;
	if (inetd)
		r = smtpd_inetd(&c);
	else
		r = smtpd_daemon(&c, background, pidfile);
	if (CFG_TLS && c.tlscfg)
		tls_server_config_free(c.tlscfg);
	cf_free(c.cf);
	free(c.cf);
	return r;
}
