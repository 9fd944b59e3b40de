/*
 * mail (mailx, Mail): the POSIX mailx user agent.  Send mode builds a
 * MIME message (RFC 5322, RFC 2045-2047, RFC 2231) from stdin, -s, -c,
 * -b, -r and -a files and hands it to sendmail with the recipients as
 * arguments (Bcc never enters the message).  Receive mode reads the
 * system mailbox ($MAIL, else PostboxMailbox of sendmail.cf as delivery
 * writes it: an mbox or a Maildir) or -f FILE through the shared reader,
 * with POSIX's header summary, commands, message lists, ~/.mailrc and
 * /etc/mail.rc, and "quit" moving read messages to ~/mbox.  Messages are
 * shown MIME-decoded in the terminal's charset (LANG/LC_CTYPE, or the
 * ttycharset variable; UTF-8 when the locale says nothing); attachments
 * are listed as "[-- #N name type, size --]", "parts" lists them and
 * "savepart [msg] N [file]" saves one decoded.
 *
 * Left out: the editing commands (edit/visual change no message in
 * place), line editing and history, IMAP/POP3 folders, S/MIME, the
 * "inc" of new mail during a session (it is kept, not shown: quit and
 * start again), -F records.
 */
//applet:mail usr/bin drop mailx Mail
//man:send and read mail (POSIX mailx)
//man:mail (also mailx and Mail) sends a message read from stdin to the
//man:addresses given, through sendmail, or reads a mailbox (mbox or Maildir)
//man:with mailx's commands.
//config:config MAIL
//config:	bool "mail: read and send mail (POSIX mailx)"
//config:	default y
//config:config MAIL_CJK
//config:	bool "mail: CJK, ISO-8859-x, KOI8-R charsets (musl iconv, +180 KB)"
//config:	default y
//config:	depends on MAIL
//usage:usage: mail [-C CF] [-s SUBJECT] [-c CC] [-b BCC] [-r FROM] [-a FILE]... [-E] [-n] [-v] ADDRESS...
//usage:       mail [-C CF] [-e] [-H] [-i] [-n] [-N] [-v] [-f [FILE] | -u USER]
//usage:
//usage:-C CF	the sendmail.cf (/etc/mail/sendmail.cf): its PostboxMailbox
//usage:	is the system mailbox (over $MAIL); sendmail gets it too
//usage:Send mode (addresses given): the body comes from stdin; on a
//usage:terminal a line "." ends it and ~ escapes work (~? lists them).
//usage:-s SUBJ	subject (non-ASCII is sent RFC 2047-encoded)
//usage:-c, -b	carbon copy and blind copy recipients (comma-separated)
//usage:-r FROM	sender: From field and envelope sender (sendmail -f)
//usage:-a FILE	attach FILE (base64, type from its extension); repeatable
//usage:-E	do not send a message whose body is empty
//usage:-n	do not read /etc/mail.rc
//usage:-v	verbose: show the sendmail command and its transcript
//usage:Receive mode: reads $MAIL (default /var/mail/USER; a folder is a
//usage:Maildir), or -f FILE (default ~/mbox), or -u USER's mailbox.
//usage:-e	exit 0 when there is mail, 1 when there is none
//usage:-H	print the header summary and exit
//usage:-N	no header summary at start;  -i: ignore interrupts
//usage:Commands: ? lists them.  "parts [msg]" lists MIME parts;
//usage:"savepart [msg] N [file]" saves part N decoded (an attachment).
#include "mail/mail.h"
#include <errno.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The terminal's charset from the locale variables (POSIX order);
 * UTF-8 when none names one, "US-ASCII" for a plain C or POSIX. */
static void tty_charset(char *dst, size_t max)
{
	const char *v = getenv("LC_ALL"), *dot;
	size_t n;

	if (!v || !*v)
		v = getenv("LC_CTYPE");
	if (!v || !*v)
		v = getenv("LANG");
	if (!v || !*v) {
		str_lcpy(dst, "utf-8", max);
		return;
	}
	if (strcmp(v, "C") == 0 || strcmp(v, "POSIX") == 0) {
		str_lcpy(dst, "us-ascii", max);
		return;
	}
	if (!(dot = strchr(v, '.'))) {
		str_lcpy(dst, "utf-8", max);
		return;
	}
	n = strcspn(dot + 1, "@");
	if (n >= max)
		n = max - 1;
	memcpy(dst, dot + 1, n);
	dst[n] = 0;
	str_lower(dst);
	if (strcmp(dst, "utf8") == 0)
		str_lcpy(dst, "utf-8", max);
}

const struct cf *mail_cf(struct mail *m)
{
	char err[256];

	if (m->cf)
		return m->cf;
	m->cf = xzalloc(sizeof *m->cf);
	cf_init(m->cf);
	if (access(m->cfpath, R_OK) == 0 &&
			cf_load(m->cf, m->cfpath, err, sizeof err) < 0)
		xwarn("%s", err);
	else if (m->cf_given && access(m->cfpath, R_OK) < 0)
		xwarn("%s: %s", m->cfpath, strerror(errno));
	return m->cf;
}

/* The system mailbox: $MAIL, else where delivery puts the user's mail
 * (PostboxMailbox of the sendmail.cf; -C names another, and then it
 * wins over $MAIL as it does for sendmail and pop3d). */
static void system_mailbox(struct mail *m, const char *user, char *dst,
	size_t max)
{
	const char *env = getenv("MAIL");
	char path[4096];
	struct passwd *pw;

	if (env && *env && !user && !m->cf_given) {
		str_lcpy(dst, env, max);
		return;
	}
	if (!user)
		user = m->user;
	pw = getpwnam(user);
	if (local_mailbox(mail_cf(m), user, pw ? pw->pw_dir : m->home, path,
			sizeof path) >= 0)
		str_lcpy(dst, path, max);
	else
		snprintf(dst, max, "/var/mail/%s", user);
}

static void setup(struct mail *m)
{
	struct passwd *pw = getpwuid(getuid());
	const char *home = getenv("HOME"), *env;
	struct winsize ws;
	char path[4096];

	str_lcpy(m->user, pw ? pw->pw_name : "", sizeof m->user);
	if (!m->user[0] && (env = getenv("LOGNAME")))
		str_lcpy(m->user, env, sizeof m->user);
	str_lcpy(m->home, home && *home ? home : pw ? pw->pw_dir : "/",
		sizeof m->home);
	if (gethostname(m->host, sizeof m->host) < 0 || !m->host[0])
		str_lcpy(m->host, "localhost", sizeof m->host);
	m->host[sizeof m->host - 1] = 0;
	env = getenv("MBOX");
	if (env && *env)
		str_lcpy(m->mboxpath, env, sizeof m->mboxpath);
	else
		if (str_lcpy(m->mboxpath, m->home, sizeof m->mboxpath) +
				5 < sizeof m->mboxpath)
			str_lcat(m->mboxpath, "/mbox", sizeof m->mboxpath);
	tty_charset(m->ttycs, sizeof m->ttycs);
	m->tty = isatty(0);
	m->cols = 80;
	m->rows = 24;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		m->cols = ws.ws_col;
		m->rows = ws.ws_row;
	} else {
		if ((env = getenv("COLUMNS")) && atoi(env) > 0)
			m->cols = atoi(env);
		if ((env = getenv("LINES")) && atoi(env) > 0)
			m->rows = atoi(env);
	}
	/* POSIX defaults: ignore the transport's fields when printing */
	mail_set(m, "header", NULL);
	mail_set(m, "save", NULL);
	mail_set(m, "asksub", NULL);
	(void)path;
}

static int receive(struct mail *m, const char *path, int system,
	int check, int headers_only, int noheader)
{
	size_t i, n = 0;

	if (check) {
		/* -e: just whether there is mail */
		struct stat st;
		char err[MAILBOX_ERR_MAX];

		if (mailbox_open(&m->mb, path, stat(path, &st) == 0 &&
				S_ISDIR(st.st_mode) ? LOCAL_MAILDIR : LOCAL_MBOX,
				MAILBOX_RDONLY, err, sizeof err) < 0)
			return 1;
		n = m->mb.n;
		mailbox_close(&m->mb);
		return n ? 0 : 1;
	}
	m->want_rdonly = headers_only;
	if (mail_open(m, path, system, 1) < 0)
		return 1;
	if (m->mb.n == 0) {
		if (system)
			printf("No mail for %s\n", m->user);
		else
			printf("\"%s\": 0 messages\n", path);
		mail_close(m, 0);
		return system ? 1 : 0;
	}
	if (headers_only) {
		for (i = 0; i < m->mb.n; i++)
			mail_headline(m, i, stdout);
		mail_close(m, 0);
		return 0;
	}
	if (m->interactive && !mail_bool(m, "quiet"))
		puts("postbox mail.  Type ? for help.");
	noheader |= !mail_bool(m, "header");
	/* -N: neither the folder line nor the summary, as BSD mailx */
	if (!noheader) {
		char cmd[] = "headers";

		mail_announce(m);
		mail_command(m, cmd);
	}
	return mail_loop(m);
}

int mail_main(int argc, char **argv)
{
	struct mail *m = xzalloc(sizeof *m);
	struct mail_draft d;
	const char *rc, *file = NULL, *user = NULL, *tcs;
	char path[4096], rcpath[4096];
	int c, k, fflag = 0, check = 0, hflag = 0, nflag = 0, noheader = 0;
	int send = 0, rcode;

	mail_draft_init(&d);
	setup(m);
	str_lcpy(m->cfpath, "/etc/mail/sendmail.cf", sizeof m->cfpath);
	while ((c = getopt(argc, argv, "C:s:c:b:r:a:EnvfuHNeiFdT:~")) != -1) {
		switch (c) {
		case 'C':
			if (str_lcpy(m->cfpath, optarg, sizeof m->cfpath) >=
					sizeof m->cfpath)
				xdie(EX_USAGE, "-C: name too long");
			m->cf_given = 1;
			break;
		case 's':
			buf_reset(&d.subject);
			buf_adds(&d.subject, optarg);
			send = 1;
			break;
		case 'c':
			if (d.cc.len)
				buf_adds(&d.cc, ", ");
			buf_adds(&d.cc, optarg);
			send = 1;
			break;
		case 'b':
			if (d.bcc.len)
				buf_adds(&d.bcc, ", ");
			buf_adds(&d.bcc, optarg);
			send = 1;
			break;
		case 'r':
			d.from = optarg;
			break;
		case 'a':
			d.attach = xrealloc(d.attach, (d.nattach + 1) *
				sizeof *d.attach);
			d.attach[d.nattach++] = optarg;
			send = 1;
			break;
		case 'E':
			mail_set(m, "skipempty", NULL);
			break;
		case 'n':
			nflag = 1;
			break;
		case 'v':
			mail_set(m, "verbose", NULL);
			break;
		case 'f':
			fflag = 1;
			break;
		case 'u':
			/* POSIX: -u user, as the operand after */
			user = "";
			break;
		case 'H':
			hflag = 1;
			break;
		case 'N':
			noheader = 1;
			break;
		case 'e':
			check = 1;
			break;
		case 'i':
			mail_set(m, "ignore", NULL);
			signal(SIGINT, SIG_IGN);
			break;
		case 'F': case 'd': case 'T': case '~':
			break;
		default:
			applet_usage();
		}
	}
	if (user && optind < argc)
		user = argv[optind++];
	else if (user)
		applet_usage();
	if (fflag && optind < argc)
		file = argv[optind++];
	if (optind < argc && !fflag && !user)
		send = 1;
	if (send && (fflag || user || check || hflag))
		applet_usage();
	if (send && optind == argc && !d.cc.len && !d.bcc.len)
		applet_usage();
	m->receiving = !send;
	/* start-up files: /etc/mail.rc (not with -n), then MAILRC or
	 * ~/.mailrc */
	if (!nflag)
		mail_source(m, "/etc/mail.rc");
	rc = getenv("MAILRC");
	if (rc && *rc)
		str_lcpy(rcpath, rc, sizeof rcpath);
	else
	{
		str_lcpy(rcpath, m->home, sizeof rcpath);
		str_lcat(rcpath, "/.mailrc", sizeof rcpath);
	}
	mail_source(m, rcpath);
	if ((tcs = mail_var(m, "ttycharset")) && *tcs)
		str_lcpy(m->ttycs, tcs, sizeof m->ttycs);
	if (send) {
		for (k = optind; k < argc; k++) {
			if (d.to.len)
				buf_adds(&d.to, ", ");
			buf_adds(&d.to, argv[k]);
		}
		rcode = mail_compose(m, &d, 0);
		mail_draft_free(&d);
		return rcode;
	}
	mail_draft_free(&d);
	m->interactive = m->tty;
	if (user) {
		system_mailbox(m, user, path, sizeof path);
		return receive(m, path, 0, check, hflag, noheader);
	}
	if (fflag) {
		if (mail_expand_folder(m, file ? file : "&", path,
				sizeof path) < 0)
			xdie(EX_USAGE, "%s: %s", file, strerror(errno));
		return receive(m, path, 0, check, hflag, noheader);
	}
	system_mailbox(m, NULL, path, sizeof path);
	return receive(m, path, 1, check, hflag, noheader);
}
