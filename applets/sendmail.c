/*
 * sendmail: the submission command line, the queue runner and the address
 * tester, with sendmail 8's flags and sysexits.h exit codes.
 *
 * A message read from stdin (RFC 5322; LF or CRLF line ends; a lone "."
 * ends it unless -i/-oi) gets its header completed (Received naming the
 * queue ID, Date, Message-ID, From when missing; Bcc and Return-Path
 * removed), is committed to the queue (queue.h: fsynced and renamed; exit
 * 0 only after that), then delivered per DeliveryMode: background (fork
 * the first attempt), interactive (-odi), queue-only (-odq).  -q runs the
 * queue once, -q30m every 30 minutes in the foreground.  Recipients come
 * from the arguments, or with -t from To/Cc/Bcc too (the union, as
 * sendmail 8.17 and Postfix do); -t finding none is EX_NOINPUT, never a
 * silent loss.  -bp/-bP hand over to mailq, -bi to newaliases, -bs/-bd
 * to smtpd.  Logs go to syslog (facility mail) in sendmail's key=value
 * style, to stderr with -v or when running as a foreground queue runner.
 * With no queue folder, root makes one and anyone else's message is kept
 * in ~/dead.letter; below MinFreeBlocks it is refused with EX_TEMPFAIL and
 * printed on stderr (README.md, "The mail flow").
 *
 * Mail for other domains goes out over SMTP (applets/sendmail/smtp.c:
 * mailertable, smart host or MX; STARTTLS, AUTH from authinfo; RFC 5321,
 * 3207, 4954).
 *
 * -bt shows, for each address, every map key tried (access with its To:
 * tag, virtusertable, aliases, mailertable) and the decision: postbox
 * has no rulesets to test.
 *
 * Only root or the queue folder's owner works on the queue; another user
 * (through the binary's set-group-ID group, see queue.h) only submits,
 * and the runner delivers.  A -C file not installed by root, -oQ and -X
 * make a user give that group up, as sendmail gives up its privilege.
 *
 * Left out: -bh/-bH host status; mailing errors back (-oem is accepted:
 * errors are printed and the exit code set, so nothing is lost
 * silently); refusing unknown local users at submission (sendmail -bm
 * does; here they bounce by DSN, from the first delivery attempt).
 */
//applet:sendmail usr/sbin keepgroup
//man:submit mail, run the queue (sendmail 8 command line)
//man:sendmail takes a message on stdin and commits it to the queue before it
//man:exits 0; with -q it delivers the queue (once, or every interval in the
//man:foreground); -bd and -bD start smtpd.
//config:config SENDMAIL
//config:	bool "sendmail: submission, queue runner (sendmail 8 command line)"
//config:	default y
//config:	select MAILQ
//usage:usage: sendmail [-t] [-i] [-f SENDER] [-F NAME] [-odb|-odi|-odq] [-v] [--] RECIPIENT...
//usage:       sendmail -q[TIME] [-qRsubstr|-qSsubstr|-qIsubstr] | -bp | -bP | -bi | -bv ADDR... | -bs | -bd
//usage:
//usage:-t	also take recipients from To, Cc and Bcc (Bcc is removed)
//usage:-i, -oi	a line with a single '.' does not end the message
//usage:-f ADDR	envelope sender (-r too); '<>' for none; untrusted users get
//usage:	an X-Authentication-Warning header
//usage:-F NAME	the sender's full name for a generated From header
//usage:-odb	deliver in the background (default); -odi: before exiting;
//usage:	-odq: only queue (a later sendmail -q delivers)
//usage:-oQDIR	queue directory (also -OQueueDirectory=DIR)
//usage:-O OPT=VAL	set a sendmail.cf option (DeliveryMode, QueueDirectory,
//usage:	Timeout.queuewarn, Timeout.queuereturn, ...)
//usage:-N DSN	never, or success,failure,delay: when to send reports
//usage:-R RET	full or hdrs: what reports return;  -V ENVID: envelope id
//usage:-B TYPE	7BIT or 8BITMIME;  -X FILE: log the message read to FILE
//usage:-C FILE	configuration (default /etc/mail/sendmail.cf)
//usage:-L TAG	syslog tag;  -v: print the delivery transcript
//usage:-q[TIME]	run the queue once, or every TIME (15m, 1h30m) in the foreground
//usage:-bp	list the queue (as mailq); -bP: count it
//usage:-bi	rebuild the aliases (newaliases);  -bv: verify addresses
//usage:-bt	address test: the map keys tried and the decision
//usage:-bs	SMTP on stdin/stdout;  -bd: SMTP daemon (both need smtpd)
//usage:-bQ	deliver the queue IDs read from stdin, one a line (smtpd's
//usage:	delivery agent, started by smtpd; postbox's own)
//usage:Accepted and ignored: -Am -Ac -G -U -m -n -s -c -d -e -h -p -M -D
#include "sendmail/sendmail.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDR_MAX_LINE (256UL << 10)	/* one physical header line */
#define HDR_MAX_TOTAL (1UL << 20)	/* the whole header */
#define HDR_MAX_FIELDS 1000
#define BODY_CHUNK (64UL << 10)
#define DEFAULT_MAX_RCPTS 10000	/* when MaxRecipientsPerMessage is 0 */

/* The command line, parsed once. */
struct opts {
	char mode;			/* -b letter: m p P i v s d D t */
	int extract;			/* -t */
	int ignore_dots;		/* -i, -oi */
	int verbose;
	char delivery;			/* 'b' 'i' 'q' or 0 (the cf's) */
	const char *from;		/* -f/-r */
	const char *fullname;		/* -F */
	const char *cf_path;		/* -C */
	const char *qdir;		/* -oQ, -OQueueDirectory= */
	const char *log_tag;		/* -L */
	const char *xfile;		/* -X */
	const char *envid, *ret, *notify, *body;
	long queuewarn, queuereturn;	/* -O Timeout.*; -1 unset */
	int queue_run;			/* -q given */
	long interval;			/* -qTIME, seconds */
	struct sm_select sel;
	char **rcpts;
	int nrcpts;
};

/* A header field: offsets into the header text. */
struct field {
	size_t off, len;	/* the whole field: folded lines, LF */
	size_t nlen;			/* the name's length */
	int removed;
};

struct header {
	struct buf text;
	struct field *f;
	size_t n;
	int has_date, has_msgid, has_from, hops;
};

/* The envelope being built at submission. */
struct rcpts {
	struct queue_env *env;
	unsigned notify;
	size_t max;
	char **seen;			/* lower-cased, open addressing */
	size_t seen_cap;
	char err[512];
	int bad;
};

/* --- options ----------------------------------------------------------- */

static int is_true(const char *v)
{
	return !*v || strchr("TtYy1", *v);
}

/* -oX / -O Name=value: the options that matter here, the rest accepted
 * as sendmail accepts them. */
static void set_option(struct opts *o, const char *opt, int is_long)
{
	char name[64];
	const char *val = "";
	size_t n;

	if (is_long) {
		n = strcspn(opt, "=");
		if (n >= sizeof name)
			n = sizeof name - 1;
		memcpy(name, opt, n);
		name[n] = 0;
		if (opt[n] == '=')
			val = opt + n + 1;
	} else {
		if (!*opt)
			applet_usage();
		/* The single-letter forms map to the long names. */
		val = opt + 1;
		switch (*opt) {
		case 'i': str_lcpy(name, "IgnoreDots", sizeof name); break;
		case 'd': str_lcpy(name, "DeliveryMode", sizeof name); break;
		case 'Q': str_lcpy(name, "QueueDirectory", sizeof name); break;
		case 'e': str_lcpy(name, "ErrorMode", sizeof name); break;
		case 'T': str_lcpy(name, "Timeout.queuereturn", sizeof name);
			break;
		default: return;
		}
	}
	if (strcasecmp(name, "IgnoreDots") == 0) {
		o->ignore_dots = is_true(val);
	} else if (strcasecmp(name, "DeliveryMode") == 0) {
		if (!*val || !strchr("bidqsD", *val))
			xdie(EX_USAGE, "Invalid DeliveryMode '%s'", val);
		o->delivery = *val == 'd' || *val == 'D' ? 'q' :
			*val == 's' ? 'i' : *val;
	} else if (strcasecmp(name, "QueueDirectory") == 0) {
		if (!*val)
			applet_usage();
		o->qdir = val;
	} else if (strcasecmp(name, "ErrorMode") == 0) {
		if (*val && !strchr("pqmwe", *val))
			xdie(EX_USAGE, "Invalid ErrorMode '%s'", val);
	} else if (strcasecmp(name, "Timeout.queuewarn") == 0) {
		if (cf_parse_time(val, 'h', &o->queuewarn) < 0)
			xdie(EX_USAGE, "bad time '%s'", val);
	} else if (strcasecmp(name, "Timeout.queuereturn") == 0) {
		if (cf_parse_time(val, 'd', &o->queuereturn) < 0)
			xdie(EX_USAGE, "bad time '%s'", val);
	}
}

static void set_queue_flag(struct opts *o, const char *v)
{
	o->queue_run = 1;
	if (!*v)
		return;
	if (*v == 'f' || *v == 'p') {
		/* -qf (foreground) and -qp (persistent): the runner here is
		 * always in the foreground. */
		v++;
		if (*v && (cf_parse_time(v, 'm', &o->interval) < 0 ||
		    o->interval <= 0))
			xdie(EX_USAGE, "Invalid -q interval '%s'", v);
		return;
	}
	if (*v == '!' || *v == 'R' || *v == 'S' || *v == 'I') {
		o->sel.negate = *v == '!';
		if (*v == '!')
			v++;
		if (*v != 'R' && *v != 'S' && *v != 'I')
			applet_usage();
		o->sel.what = *v;
		o->sel.substr = v + 1;
		if (!*o->sel.substr)
			applet_usage();
		return;
	}
	if (cf_parse_time(v, 'm', &o->interval) < 0 || o->interval <= 0)
		xdie(EX_USAGE, "Invalid -q interval '%s'", v);
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* sendmail's getopt string, with -q's argument optional (sendmail
 * rewrites a bare -q the same way).  Arguments after "--" or that do not
 * start with '-' are recipients; like glibc's getopt, flags may follow
 * them. */
static void parse_args(struct opts *o, int argc, char **argv)
{
	static const char with_arg[] = "ABbCDdeFfhLMNOopQRrVX";
	int i, k, rest = 0;

	o->rcpts = xmalloc((argc + 1) * sizeof *o->rcpts);
	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (rest || a[0] != '-' || !a[1]) {
			o->rcpts[o->nrcpts++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			rest = 1;
			continue;
		}
		for (k = 1; a[k]; k++) {
			char c = a[k];
			const char *v = NULL;

			if (c == 'q') {
				set_queue_flag(o, a + k + 1);
				break;
			}
			if (strchr(with_arg, c)) {
				if (a[k + 1])
					v = a + k + 1;
				else if (i + 1 < argc)
					v = argv[++i];
				else
					applet_usage();
			}
			switch (c) {
			case 't': o->extract = 1; break;
			case 'i': o->ignore_dots = 1; break;
			case 'v': o->verbose = 1; break;
			case 'G': case 'U': case 'm': case 'n': case 's':
			case 'c': case 'T': case 'I':
				if (c == 'I')
					o->mode = 'i';
				break;
			case 'A':
				if (strcmp(v, "m") && strcmp(v, "c"))
					applet_usage();
				break;
			case 'B':
				if (strcasecmp(v, "7BIT") &&
				    strcasecmp(v, "8BITMIME"))
					xdie(EX_USAGE, "Illegal body type "
						"'%s'", v);
				o->body = v;
				break;
			case 'b':
				if (strlen(v) != 1 ||
				    !strchr("mpPivsdDthHQ", *v))
					applet_usage();
				o->mode = *v;
				break;
			case 'C': o->cf_path = v; break;
			case 'F':
				/* Into a header: no line breaks (RFC 5322
				 * 2.2), no other control characters. */
				if (has_ctl(v))
					xdie(EX_USAGE, "-F: control character "
						"in the full name");
				o->fullname = v;
				break;
			case 'f': case 'r':
				if (o->from)
					xdie(EX_USAGE, "More than one "
						"\"from\" person");
				o->from = v;
				break;
			case 'L': o->log_tag = v; break;
			case 'N': o->notify = v; break;
			case 'R':
				if (strcasecmp(v, "full") &&
				    strcasecmp(v, "hdrs"))
					xdie(EX_USAGE, "Invalid -R value "
						"'%s'", v);
				o->ret = v;
				break;
			case 'V':
				/* RFC 3461 4.4: printable US-ASCII. */
				if (!*v || has_ctl(v) || strchr(v, ' ') ||
				    strlen(v) > 100)
					xdie(EX_USAGE, "Invalid -V envid "
						"'%s'", v);
				o->envid = v;
				break;
			case 'X': o->xfile = v; break;
			case 'o': set_option(o, v, 0); break;
			case 'O': set_option(o, v, 1); break;
			case 'e': case 'h': case 'p': case 'M': case 'D':
			case 'd': case 'Q':
				break;
			default:
				applet_usage();
			}
			if (v)
				break;
		}
	}
	o->rcpts[o->nrcpts] = NULL;
}

/* --- reading the message ------------------------------------------------ */

struct reader {
	int fd;
	char *in;
	size_t pos, len;
	int eof, ignore_dots, at_sol;
	int xlog;			/* -X file, or -1 */
	unsigned long lineno;
};

static int refill(struct reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	do
		n = read(r->fd, r->in, BODY_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		xdie_errno(EX_IOERR, "reading the message");
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->pos = 0;
	r->len = (size_t)n;
	return 1;
}

/* Appends the next line (LF-terminated, CRLF made LF) to LINE, at most
 * LINE's cap.  Returns 1 (a whole line), 2 (a part: the line goes on),
 * 0 (end: EOF, or a lone "." unless -i), -1 on a NUL byte. */
static int read_line(struct reader *r, struct buf *line)
{
	int sol = r->at_sol;
	size_t start = line->len;

	for (;;) {
		char c;

		if (r->pos == r->len && !refill(r))
			break;
		c = r->in[r->pos++];
		if (c == 0)
			return -1;
		if (c == '\r') {
			if (r->pos == r->len)
				refill(r);
			if (r->pos < r->len && r->in[r->pos] == '\n')
				continue;
		}
		if (buf_addc(line, c) < 0)
			xdie(EX_OSERR, "out of memory");
		if (c == '\n') {
			r->at_sol = 1;
			r->lineno++;
			goto whole;
		}
		if (line->len >= line->max - 1) {
			r->at_sol = 0;
			return 2;
		}
	}
	if (line->len == start)
		return 0;
	/* An unterminated last line is terminated. */
	if (buf_addc(line, '\n') < 0)
		xdie(EX_OSERR, "out of memory");
	r->at_sol = 1;
	r->lineno++;
whole:
	if (sol && !r->ignore_dots && line->len - start == 2 &&
	    line->p[start] == '.')
		return 0;
	if (r->xlog >= 0) {
		char pfx[32];
		int n = snprintf(pfx, sizeof pfx, "%ld <<< ", (long)getpid());

		if (file_write_all(r->xlog, pfx, n) < 0 ||
		    file_write_all(r->xlog, line->p + start,
			line->len - start) < 0)
			r->xlog = -1;
	}
	return 1;
}

/* RFC 5322 2.2: field-name is printable ASCII but ':' (sendmail also
 * takes blanks before the colon).  Returns the name's length, or 0. */
static size_t field_name(const char *s, size_t n)
{
	size_t i = 0, name;

	while (i < n && s[i] > ' ' && s[i] < 0x7f && s[i] != ':')
		i++;
	name = i;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return name && i < n && s[i] == ':' ? name : 0;
}

static int field_is(const struct header *h, const struct field *f,
	const char *name)
{
	return f->nlen == strlen(name) &&
		strncasecmp(h->text.p + f->off, name, f->nlen) == 0;
}

/* The field's value, unfolded (RFC 5322 2.2.3), malloc'ed. */
static char *field_value(const struct header *h, const struct field *f)
{
	const char *p = h->text.p + f->off, *end = p + f->len;
	char *v = xmalloc(f->len + 1), *o = v;

	p = memchr(p, ':', f->len) + 1;
	for (; p < end; p++)
		if (*p != '\n')
			*o++ = *p;
	*o = 0;
	return v;
}

/* Reads the header into H.  Returns the first body line's state: 1 when
 * LINE holds a body line that was read (no empty line before it), 0 at
 * the empty line, -2 at the end of input; exits on errors. */
static int read_header(struct reader *r, struct header *h, struct buf *line)
{
	int rc;

	for (;;) {
		buf_reset(line);
		rc = read_line(r, line);
		if (rc < 0)
			xdie(EX_DATAERR, "line %lu: NUL byte in the message "
				"header", r->lineno + 1);
		if (rc == 2)
			xdie(EX_DATAERR, "line %lu: header line longer than "
				"%lu bytes", r->lineno + 1, HDR_MAX_LINE);
		if (rc == 0)
			return -2;
		/* An mbox "From " line first is dropped, as sendmail does. */
		if (r->lineno == 1 && str_starts(line->p, "From "))
			continue;
		if (line->len == 1)
			return 0;
		if ((line->p[0] == ' ' || line->p[0] == '\t') && h->n) {
			/* RFC 5322 2.2.3: a folded line continues the field. */
			if (buf_add(&h->text, line->p, line->len) < 0)
				goto big;
			h->f[h->n - 1].len += line->len;
			continue;
		}
		{
			size_t nlen = field_name(line->p, line->len);

			if (!nlen)
				return 1;	/* not a header: body starts */
			if (h->n >= HDR_MAX_FIELDS)
				xdie(EX_DATAERR, "more than %d header fields",
					HDR_MAX_FIELDS);
			h->f[h->n].off = h->text.len;
			h->f[h->n].len = line->len;
			h->f[h->n].nlen = nlen;
			h->f[h->n].removed = 0;
			if (buf_add(&h->text, line->p, line->len) < 0)
				goto big;
			h->n++;
		}
	}
big:
	xdie(EX_DATAERR, "message header larger than %lu bytes", HDR_MAX_TOTAL);
}

/* --- recipients ------------------------------------------------------- */

static unsigned long hash_str(const char *s)
{
	unsigned long h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)(*s | 0x20);
	return h;
}

/* Adds ADDR unless already there (ASCII case-insensitive, as sendmail
 * folds).  -1 (stop) after an error, reason in rc->err. */
static int add_rcpt(void *ctx, const char *addr)
{
	struct rcpts *rc = ctx;
	struct queue_rcpt *r;
	char why[200];
	size_t i;

	if (!*addr) {
		snprintf(rc->err, sizeof rc->err, "<>: empty recipient");
		rc->bad = 1;
		return -1;
	}
	if (!sm_addr_valid(addr, why, sizeof why)) {
		snprintf(rc->err, sizeof rc->err, "%.200s... %s", addr, why);
		rc->bad = 1;
		return -1;
	}
	if (rc->env->n * 2 + 2 > rc->seen_cap) {
		size_t cap = rc->seen_cap ? rc->seen_cap * 2 : 64, k;
		char **old = rc->seen, **nw = xzalloc(cap * sizeof *nw);

		for (k = 0; k < rc->seen_cap; k++) {
			if (!old[k])
				continue;
			i = hash_str(old[k]) % cap;
			while (nw[i])
				i = (i + 1) % cap;
			nw[i] = old[k];
		}
		free(old);
		rc->seen = nw;
		rc->seen_cap = cap;
	}
	for (i = hash_str(addr) % rc->seen_cap; rc->seen[i];
	     i = (i + 1) % rc->seen_cap)
		if (strcasecmp(rc->seen[i], addr) == 0)
			return 0;
	if (rc->env->n >= rc->max) {
		snprintf(rc->err, sizeof rc->err, "too many recipients "
			"(at most %zu)", rc->max);
		rc->bad = 2;
		return -1;
	}
	r = queue_env_add(rc->env, addr, -1);
	if (!r)
		xdie(EX_OSERR, "out of memory");
	r->notify = rc->notify;
	rc->seen[i] = r->addr;
	return 0;
}

static void free_rcpts(struct rcpts *rc)
{
	free(rc->seen);
}

/* -t: the recipients of To, Cc and Bcc (the Resent- ones when present,
 * RFC 5322 3.6.6); Bcc fields are removed below in any case. */
static void header_rcpts(struct header *h, struct rcpts *rc)
{
	static const char *const plain[] = { "To", "Cc", "Bcc" };
	static const char *const resent[] = {
		"Resent-To", "Resent-Cc", "Resent-Bcc"
	};
	const char *const *names = plain;
	size_t i, k;

	for (i = 0; i < h->n; i++)
		for (k = 0; k < 3; k++)
			if (field_is(h, &h->f[i], resent[k]))
				names = resent;
	for (i = 0; i < h->n; i++) {
		for (k = 0; k < 3; k++) {
			char err[200], *v;

			if (!field_is(h, &h->f[i], names[k]))
				continue;
			v = field_value(h, &h->f[i]);
			if (sm_addr_list(v, add_rcpt, rc, err,
					sizeof err) < 0) {
				if (!rc->bad)
					xdie(EX_DATAERR, "%s header: %s",
						names[k], err);
				xdie(rc->bad == 2 ? EX_DATAERR : EX_DATAERR,
					"%s header: %s", names[k], rc->err);
			}
			free(v);
		}
	}
}

/* --- the submission ------------------------------------------------------ */

/* Whether the invoking user may set the envelope sender freely: root,
 * class t (Ct/Ft) and TrustedUser, as sendmail 8.12+ decides. */
static int trusted(const struct sm *sm)
{
	if (sm->uid == 0)
		return 1;
	if (cf_class_has(&sm->cf, "t", sm->user))
		return 1;
	return sm->cf.opt.trusted_user &&
		strcmp(sm->cf.opt.trusted_user, sm->user) == 0;
}

/* A display name as RFC 5322 3.2.5 phrase: quoted when not all atext. */
static void add_phrase(struct buf *b, const char *name)
{
	const char *p;
	int plain = 1;

	for (p = name; *p; p++)
		if (!(*p == ' ' || (unsigned char)*p >= 0x80 ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') ||
		      strchr("!#$%&'*+-/=?^_`{|}~", *p)))
			plain = 0;
	if (plain) {
		buf_adds(b, name);
		return;
	}
	buf_addc(b, '"');
	for (p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(b, '\\');
		if ((unsigned char)*p >= 0x20)
			buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* The full name from passwd's gecos: up to the first comma, '&' as the
 * login with a capital (the BSD convention sendmail follows). */
static void gecos_name(const char *user, char *dst, size_t max)
{
	struct passwd *pw = getpwnam(user);
	const char *g;
	size_t n = 0;

	dst[0] = 0;
	if (!pw || !pw->pw_gecos)
		return;
	for (g = pw->pw_gecos; *g && *g != ',' && n + 1 < max; g++) {
		if (*g == '&') {
			const char *u;

			for (u = user; *u && n + 1 < max; u++)
				dst[n++] = u == user && *u >= 'a' && *u <= 'z' ?
					*u - 32 : *u;
		} else if ((unsigned char)*g >= 0x20) {
			dst[n++] = *g;
		}
	}
	dst[n] = 0;
}

/* Builds the completed header: Received first, then the user's fields
 * (Bcc and Return-Path removed), then the missing ones. */
static void complete_header(struct sm *sm, struct opts *o, struct header *h,
	const struct queue_env *env, const char *qid, struct buf *out,
	char *msgid, size_t msgid_max)
{
	const char *j = cf_macro(&sm->cf, "j");
	char date[64], stamp[32], name[256];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	if (!j)
		j = "localhost";
	sm_date(now, date, sizeof date);
	/* RFC 5321 4.4: the trace field of this submission. */
	buf_printf(out, "Received: (from %s@localhost)\n\tby %s (postbox) "
		"id %s;\n\t%s\n", sm->user, j, qid, date);
	/* PrivacyOptions authwarnings (in postbox's default, and in
	 * goaway) asks for sendmail's warning header. */
	if (o->from && !trusted(sm) && sm->cf.opt.privacy &&
	    (strstr(sm->cf.opt.privacy, "authwarnings") ||
	     strstr(sm->cf.opt.privacy, "goaway"))) {
		char own[SM_MAX_ADDR + 8];

		sm_qualify(sm, sm->user, own, sizeof own);
		if (strcasecmp(env->sender, own) != 0 &&
		    strcasecmp(env->sender, sm->user) != 0)
			buf_printf(out, "X-Authentication-Warning: %s: %s set "
				"sender to %s using -f\n", j, sm->user,
				env->sender[0] ? env->sender : "<>");
	}
	for (i = 0; i < h->n; i++) {
		struct field *f = &h->f[i];

		if (field_is(h, f, "Bcc") || field_is(h, f, "Resent-Bcc") ||
		    field_is(h, f, "Return-Path"))
			continue;
		if (field_is(h, f, "Date"))
			h->has_date = 1;
		if (field_is(h, f, "Message-Id"))
			h->has_msgid = 1;
		if (field_is(h, f, "From"))
			h->has_from = 1;
		buf_add(out, h->text.p + f->off, f->len);
	}
	if (!h->has_date)
		buf_printf(out, "Date: %s\n", date);
	if (!h->has_msgid) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d%H%M", &tm);
		snprintf(msgid, msgid_max, "<%s.%s@%s>", stamp, qid, j);
		buf_printf(out, "Message-Id: %s\n", msgid);
	}
	if (!h->has_from) {
		char addr[SM_MAX_ADDR + 80];

		if (o->fullname)
			str_lcpy(name, o->fullname, sizeof name);
		else if (!o->from)
			gecos_name(sm->user, name, sizeof name);
		else
			name[0] = 0;
		if (env->sender[0])
			str_lcpy(addr, env->sender, sizeof addr);
		else
			snprintf(addr, sizeof addr, "MAILER-DAEMON@%s", j);
		buf_adds(out, "From: ");
		if (name[0]) {
			add_phrase(out, name);
			buf_printf(out, " <%s>\n", addr);
		} else {
			buf_printf(out, "%s\n", addr);
		}
	}
	buf_addc(out, '\n');
}

static int count_hops(const struct header *h)
{
	size_t i;
	int n = 0;

	for (i = 0; i < h->n; i++)
		if (field_is(h, &h->f[i], "Received"))
			n++;
	return n;
}

static int one_addr(void *ctx, const char *addr)
{
	char **slot = ctx;

	if (*slot)
		return -1;
	*slot = xstrdup(addr);
	return 0;
}

/* -f ADDR: one address ("<>" or "" for none), qualified with $j. */
static void parse_sender(struct sm *sm, const char *from, char *dst,
	size_t max)
{
	char *addr = NULL, err[200];

	if (sm_addr_list(from, one_addr, &addr, err, sizeof err) < 0)
		xdie(EX_USAGE, "-f %s: %s", from, addr ? "more than one "
			"address" : err);
	if (addr && *addr && !sm_addr_valid(addr, err, sizeof err))
		xdie(EX_USAGE, "-f %s... %s", from, err);
	sm_qualify(sm, addr ? addr : "", dst, max);
	free(addr);
}

/* Exits with the right sysexits code for a queue failure. */
static void __attribute__((noreturn)) queue_die(const char *dir, int err)
{
	errno = err;
	if (err == ENOENT || err == ENOTDIR)
		xdie_errno(EX_OSFILE, "queue directory %s", dir);
	if (err == EACCES || err == EPERM)
		xdie_errno(EX_NOPERM, "cannot write in queue directory %s "
			"(is sendmail set-group-ID to the queue's group?)",
			dir);
	xdie_errno(EX_TEMPFAIL, "cannot queue the message in %s", dir);
}

/* Whether queue_open's ERR means there is no queue folder (and root did
 * not make one, ensure_queue_dir): the message then goes to dead.letter
 * rather than nowhere.  A folder we may not write is an installation
 * error, EX_NOPERM with its cause (queue_die). */
static int queue_unusable(int err)
{
	return err == ENOENT || err == ENOTDIR;
}

/* There is no queue to take the message (QERR on QDIR): sendmail's
 * savemail, the message appended in mbox format to ~/dead.letter ($HOME,
 * else the home in passwd), as the user alone (the queue's group given
 * up), and fsynced.  Exit 0 only once it is there for good, saying so
 * on stderr; otherwise EX_TEMPFAIL with the whole message printed on stderr, so
 * that cron still has it to log. */
static void __attribute__((noreturn)) dead_letter(const struct queue_env
	*env, const struct buf *msg, const char *qdir, int qerr)
{
	struct mbox_append mb;
	struct passwd *pw = getpwuid(getuid());
	const char *home = getenv("HOME");
	char path[MBOX_PATH_MAX];
	int err = 0;
	size_t i;

	if (priv_drop((uid_t)-1, getgid()) < 0)
		err = errno;
	if (!home || home[0] != '/')
		home = pw ? pw->pw_dir : "";
	if (!err && (!*home || snprintf(path, sizeof path, "%s/dead.letter",
	    strcmp(home, "/") ? home : "") >= (int)sizeof path))
		err = ENOENT;
	if (!err && mbox_append_open(&mb, path, getuid(), MBOX_CREATE |
	    MBOX_OWNER) < 0)
		err = errno;
	if (!err) {
		/* the envelope's recipients, which the header may lack */
		if (mbox_append_from(&mb, env->sender, time(NULL)) < 0 ||
		    mbox_append_write(&mb, "X-Envelope-To: ", 15) < 0)
			err = errno;
		for (i = 0; !err && i < env->n; i++)
			if ((i && mbox_append_write(&mb, ", ", 2) < 0) ||
			    mbox_append_write(&mb, env->rcpt[i].addr,
			    strlen(env->rcpt[i].addr)) < 0)
				err = errno;
		if (!err && (mbox_append_write(&mb, "\n", 1) < 0 ||
		    mbox_append_write(&mb, msg->p, msg->len) < 0 ||
		    mbox_append_commit(&mb) < 0))
			err = errno ? errno : EIO;
		if (err)
			mbox_append_abort(&mb);
	}
	if (!err) {
		xwarn("queue directory %s: %s; the message is kept in %s "
			"(not sent)", qdir, strerror(qerr), path);
		exit(EX_OK);
	}
	xwarn("queue directory %s: %s; dead.letter: %s: the message was not "
		"kept; here it is:", qdir, strerror(qerr), strerror(err));
	fflush(stderr);
	file_write_all(2, msg->p, msg->len);
	exit(EX_TEMPFAIL);
}

#define DEAD_MAX (64UL << 20)	/* a message held for dead.letter */

/* Reads, completes and queues the message; returns its queue ID.  When
 * the queue cannot take it, dead_letter keeps it. */
static void submit(struct sm *sm, struct opts *o, char qid[QUEUE_ID_LEN + 1])
{
	struct reader r = { 0, NULL, 0, 0, 0, o->ignore_dots, 1, -1, 0 };
	struct header h;
	struct buf line = BUF_INIT(HDR_MAX_LINE + 2), out;
	struct queue_env env;
	struct queue_new q;
	struct rcpts rc;
	char sender[SM_MAX_ADDR + 80], err[300], gen_msgid[200] = "";
	unsigned long long size;
	unsigned long maxsize = sm->cf.opt.max_message_size;
	int i, first, body_rc, qerr = 0, noroom = 0, dst;
	long maxhops = sm->cf.opt.max_hops ? sm->cf.opt.max_hops : 25;

	queue_env_init(&env);
	memset(&rc, 0, sizeof rc);
	rc.env = &env;
	rc.max = sm->cf.opt.max_rcpts ? sm->cf.opt.max_rcpts :
		DEFAULT_MAX_RCPTS;
	if (o->notify && queue_notify_parse(o->notify, &rc.notify) < 0)
		xdie(EX_USAGE, "Invalid -N argument '%s'", o->notify);
	/* The envelope sender: -f, or the user at $j. */
	if (o->from)
		parse_sender(sm, o->from, sender, sizeof sender);
	else
		sm_qualify(sm, sm->user, sender, sizeof sender);
	if (queue_set(&env.sender, sender) < 0)
		xdie(EX_OSERR, "out of memory");
	/* Recipients named on the command line come first. */
	for (i = 0; i < o->nrcpts; i++) {
		if (sm_addr_list(o->rcpts[i], add_rcpt, &rc, err,
				sizeof err) < 0)
			xdie(rc.bad == 2 ? EX_DATAERR : EX_USAGE, "%s",
				rc.bad ? rc.err : err);
	}
	if (!o->extract && env.n == 0)
		xdie(EX_USAGE, "Recipient names must be specified");
	if (o->xfile) {
		r.xlog = open(o->xfile, O_WRONLY | O_APPEND | O_CREAT |
			O_NOFOLLOW | O_CLOEXEC, 0600);
		if (r.xlog < 0)
			xwarn("-X %s: %s", o->xfile, strerror(errno));
	}
	r.in = xmalloc(BODY_CHUNK);
	memset(&h, 0, sizeof h);
	buf_init(&h.text, HDR_MAX_TOTAL);
	h.f = xmalloc(HDR_MAX_FIELDS * sizeof *h.f);
	first = read_header(&r, &h, &line);
	if (o->extract)
		header_rcpts(&h, &rc);
	if (env.n == 0)
		xdie(EX_NOINPUT, "No recipient addresses found in header "
			"(nothing was queued)");
	h.hops = count_hops(&h);
	if (h.hops > maxhops)
		xdie(EX_DATAERR, "Too many hops %d (%ld max): message not "
			"queued", h.hops, maxhops);
	/* Validated: now the queue.  One that cannot take it: the message
	 * is read whole (an ID of the queue's shape names it in Received:)
	 * for dead_letter.  One below MinFreeBlocks takes nothing: the
	 * refusal, then the message streamed to stderr, for cron or the
	 * MUA to keep, and EX_TEMPFAIL (README "Security"). */
	if (!queue_space_ok(sm->qdir, sm->cf.opt.min_free_blocks, 0)) {
		noroom = 1;
		xwarn("Insufficient disk space; try again later");
		xwarn("queue directory %s: fewer than MinFreeBlocks=%ld "
			"blocks free; the message was not queued; here it is:",
			sm->qdir, sm->cf.opt.min_free_blocks);
		fflush(stderr);
	} else if (queue_open(&q, sm->qdir) < 0) {
		qerr = errno;
		if (!queue_unusable(qerr))
			queue_die(sm->qdir, qerr);
	}
	if (qerr || noroom) {
		queue_id_new(q.id, time(NULL));
		q.fd = -1;
		q.tmp[0] = 0;
	}
	dst = noroom ? 2 : q.fd;
	buf_init(&out, qerr ? DEAD_MAX : HDR_MAX_TOTAL * 2);
	complete_header(sm, o, &h, &env, q.id, &out, gen_msgid,
		sizeof gen_msgid);
	if (first == 1 && buf_add(&out, line.p, line.len) < 0)
		goto toobig;
	size = out.len;
	/* The body, streamed; lines may be any length. */
	body_rc = first == -2 ? 0 : 1;
	while (body_rc) {
		if (!qerr && out.len >= BODY_CHUNK) {
			if (file_write_all(dst, out.p, out.len) < 0)
				goto ioerr;
			buf_reset(&out);
		}
		buf_reset(&line);
		body_rc = read_line(&r, &line);
		if (body_rc < 0) {
			queue_abort(&q);
			xdie(EX_DATAERR, "line %lu: NUL byte in the message "
				"(nothing was queued)", r.lineno + 1);
		}
		if (body_rc == 0)
			break;
		size += line.len;
		if (maxsize && size > maxsize) {
			queue_abort(&q);
			xdie(EX_DATAERR, "message exceeds the maximum size of "
				"%lu bytes (nothing was queued)", maxsize);
		}
		if (buf_add(&out, line.p, line.len) < 0)
			goto toobig;
	}
	if (qerr)
		dead_letter(&env, &out, sm->qdir, qerr);
	if (file_write_all(dst, out.p, out.len) < 0)
		goto ioerr;
	if (noroom)
		exit(EX_TEMPFAIL);
	/* The envelope. */
	{
		char *msgid = NULL;
		size_t k;

		for (k = 0; k < h.n; k++)
			if (field_is(&h, &h.f[k], "Message-Id"))
				msgid = field_value(&h, &h.f[k]);
		if (queue_set(&env.msgid, msgid ? str_trim(msgid) : "") < 0)
			xdie(EX_OSERR, "out of memory");
		free(msgid);
	}
	env.created = env.next = time(NULL);
	if (queue_set(&env.envid, o->envid ? o->envid : "") < 0 ||
	    queue_set(&env.reason, "") < 0)
		xdie(EX_OSERR, "out of memory");
	if (o->ret)
		str_lcpy(env.ret, o->ret[0] == 'f' || o->ret[0] == 'F' ?
			"full" : "hdrs", sizeof env.ret);
	if (o->body)
		str_lcpy(env.body, o->body[0] == '7' ? "7bit" : "8bitmime",
			sizeof env.body);
	if (!env.msgid[0] && queue_set(&env.msgid, gen_msgid) < 0)
		xdie(EX_OSERR, "out of memory");
	str_lcpy(qid, q.id, QUEUE_ID_LEN + 1);
	/* signed once, before the commit: every try sends the same
	 * signature (README.md, "DKIM signing") */
	if (CFG_DKIM && dkim_sign_queued(&sm->cf.opt, q.fd, err,
			sizeof err) < 0) {
		queue_abort(&q);
		xdie(EX_TEMPFAIL, "DKIM signing: %s (nothing was queued)",
			err);
	}
	if (queue_commit(&q, &env) < 0)
		queue_die(sm->qdir, errno);
	log_msg(LOG_INFO, "%s: from=<%s>, size=%lu, class=0, nrcpts=%zu, "
		"msgid=%s, relay=%s@localhost", qid, env.sender, env.size,
		env.n, env.msgid[0] ? env.msgid : "<>", sm->user);
	buf_free(&out);
	buf_free(&line);
	buf_free(&h.text);
	free(h.f);
	free(r.in);
	free_rcpts(&rc);
	queue_env_free(&env);
	if (r.xlog >= 0)
		close(r.xlog);
	return;
toobig:
	queue_abort(&q);
	xdie(EX_DATAERR, "message too large (nothing was queued)");
ioerr:
	{
		int e = errno;

		queue_abort(&q);
		queue_die(sm->qdir, e);
	}
}

/* --- the other modes -------------------------------------------------- */

struct verify {
	const char *addr;
	int rc;
};

/* sendmail -bv names each final recipient (an alias's targets, not
 * the alias): "root... deliverable: mailer local, user root". */
static int verify_target(void *ctx, const struct local_target *t)
{
	struct verify *v = ctx;

	switch (t->kind) {
	case LOCAL_MAILBOX:
		printf("%s... deliverable: mailer local, user %s\n", t->user,
			t->user);
		break;
	case LOCAL_FILE:
		printf("%s... deliverable: mailer *file*, user %s\n", t->path,
			t->path);
		break;
	case LOCAL_PROGRAM:
		printf("\"|%s\"... deliverable: mailer prog, user \"|%s\"\n",
			t->path, t->path);
		break;
	case LOCAL_REMOTE: {
		const char *at = strrchr(t->path, '@');

		printf("%s... deliverable: mailer esmtp, host %s, user %s\n",
			t->path, at ? at + 1 : t->path, t->path);
		break;
	}
	default:
		printf("%s... %s\n", v->addr, t->text[0] ? t->text :
			"User unknown");
		if (!v->rc)
			v->rc = t->status[0] == '4' ? EX_TEMPFAIL : EX_NOUSER;
	}
	return 0;
}

/* -bv: what each address resolves to, sendmail's wording. */
static int verify(struct sm *sm, struct opts *o)
{
	struct verify v = { NULL, 0 };
	char user[64], err[300];
	int i;

	if (!o->nrcpts)
		xdie(EX_USAGE, "Recipient names must be specified");
	for (i = 0; i < o->nrcpts; i++) {
		const char *a = o->rcpts[i];

		v.addr = a;
		if (!sm_addr_valid(a, err, sizeof err)) {
			printf("%s... %s\n", a, err);
			v.rc = v.rc ? v.rc : EX_USAGE;
		} else if (local_is_local(&sm->cf, a, user, sizeof user)) {
			if (local_expand(&sm->cf, a, verify_target, &v, err,
					sizeof err) != 0) {
				printf("%s... %s\n", a, err);
				v.rc = v.rc ? v.rc : EX_TEMPFAIL;
			}
		} else {
			int r = sm_verify_remote(sm, a);

			if (r && !v.rc)
				v.rc = r;
		}
	}
	fflush(stdout);
	return v.rc;
}

/* -bp, -bP, -bi, -bs, -bd: hand over to the applet that does it, with
 * the arguments A1 and A2 (NULL: none) first. */
static int hand_over(const char *name, const struct opts *o, const char *a1,
	const char *a2)
{
	char *argv[16], qopt[1100];
	int argc = 0;

	if (!applet_exists(name))
		xdie(EX_UNAVAILABLE, "%s is not compiled into this postbox",
			name);
	argv[argc++] = (char *)name;
	if (a1)
		argv[argc++] = (char *)a1;
	if (a2)
		argv[argc++] = (char *)a2;
	if (o->cf_path) {
		argv[argc++] = "-C";
		argv[argc++] = (char *)o->cf_path;
	}
	if (o->qdir && strcmp(name, "mailq") == 0) {
		snprintf(qopt, sizeof qopt, "-OQueueDirectory=%s", o->qdir);
		argv[argc++] = qopt;
	}
	if (o->verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	fflush(stdout);
	return applet_run(name, argc, argv);
}

/* A local mailer that cannot run defers every local message: said once
 * when the cf is loaded to deliver (queue runner, smtpd's agent). */
static void check_mailer(const struct sm *sm, const struct opts *o)
{
	char why[600];

	if (local_mailer_check(&sm->cf, why, sizeof why) < 0)
		log_msg(LOG_WARNING, "%s: %s; local mail waits in the queue "
			"until then", o->cf_path ? o->cf_path : CF_PATH, why);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/* -q: once, or every interval in the foreground (for supervisors). */
static int queue_runner(struct sm *sm, struct opts *o)
{
	struct sigaction sa;
	int rc;

	check_mailer(sm, o);
	sm->stop = &stop;
	if (!o->interval) {
		sm->force = 1;
		return sm_run_queue(sm, o->sel.what ? &o->sel : NULL) < 0 ?
			EX_TEMPFAIL : EX_OK;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGCHLD, SIG_DFL);
	log_msg(LOG_INFO, "starting queue runner, interval %lds", o->interval);
	while (!stop) {
		rc = sm_run_queue(sm, o->sel.what ? &o->sel : NULL);
		(void)rc;
		if (!stop)
			sleep((unsigned)o->interval);
	}
	log_msg(LOG_INFO, "queue runner stopped");
	return EX_OK;
}

/* Background delivery: the child detaches and works on the new entry;
 * the parent returns at once (the message is already safe). */
static void deliver_background(struct sm *sm, const char *qid)
{
	pid_t pid = fork();

	if (pid != 0)
		return;	/* a failed fork leaves it to the runner */
	setsid();
	file_null_fds(sm->verbose ? 3 : 7);
	sm_run_entry(sm, qid);
	sm_run_reports(sm);
	_exit(0);
}

static int stderr_is_null(void)
{
	struct stat a, b;

	return fstat(2, &a) < 0 || stat("/dev/null", &b) < 0 ||
		(S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev);
}

static void note_ignored(const char *what, const char *where)
{
	log_msg(LOG_DEBUG, "%s: %s ignored", where, what);
}

/* 1 when an F file of the cf could not be opened and we go on (-bt). */
static int load_cf(struct sm *sm, const struct opts *o)
{
	char err[600];
	const char *path = o->cf_path ? o->cf_path : CF_PATH;
	int r;

	cf_init(&sm->cf);
	r = cf_load(&sm->cf, path, err, sizeof err);
	if (r == CF_EFCLASS) {
		/* sendmail's syserr: the text on standard output, exit
		 * EX_OSERR, except that -bt goes on with what it read */
		printf("%s\n", err);
		fflush(stdout);
		if (o->mode != 't')
			exit(EX_OSERR);
		return 1;
	}
	if (r < 0) {
		if (errno != ENOENT || o->cf_path)
			xdie(EX_CONFIG, "%s", err);
		/* No sendmail.cf: the built-in defaults (README "Configuration"). */
		cf_free(&sm->cf);
		cf_init(&sm->cf);
	}
	return 0;
}

/* --- -bQ: smtpd's delivery agent ----------------------------------------- */

#define AGENT_KIDS 16		/* remote deliveries running at once */

static volatile sig_atomic_t agent_hup;
static unsigned agent_kids;

static void on_hup(int sig)
{
	(void)sig;
	agent_hup = 1;
}

static void agent_reap(int block)
{
	while (agent_kids && waitpid(-1, NULL, block ? 0 : WNOHANG) > 0) {
		agent_kids--;
		block = 0;
	}
}

/* Entries with remote recipients, kept during a batch (agent_handoff)
 * and then delivered by one child of their own (agent_flush): a slow
 * host never holds up local mail, and the messages of a burst for one
 * host share its connection and TLS session (smtp.c keeps them open for
 * the run).  At most AGENT_KIDS such children at once. */
static char (*handoff_ids)[QUEUE_ID_LEN + 1];
static size_t n_handoff, cap_handoff;

static void agent_handoff(struct sm *sm, const char *id)
{
	if (n_handoff == cap_handoff) {
		size_t cap = cap_handoff ? cap_handoff * 2 : 64;
		void *p = realloc(handoff_ids, cap * sizeof *handoff_ids);

		if (!p) {
			log_msg(LOG_WARNING, "%s: out of memory; left for the "
				"queue run", id);
			return;
		}
		handoff_ids = p;
		cap_handoff = cap;
	}
	str_lcpy(handoff_ids[n_handoff++], id, sizeof handoff_ids[0]);
}

static void agent_flush(struct sm *sm)
{
	size_t i;
	pid_t pid;

	if (!n_handoff)
		return;
	agent_reap(0);
	if (agent_kids >= AGENT_KIDS)
		agent_reap(1);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(0);	/* the IDs are the agent's */
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sm->handoff = NULL;
		for (i = 0; i < n_handoff; i++)
			sm_run_entry(sm, handoff_ids[i]);
		sm_run_reports(sm);
		_exit(0);
	}
	if (pid > 0)
		agent_kids++;
	else
		log_msg(LOG_WARNING, "fork: %s; %zu entries left for the "
			"queue run", strerror(errno), n_handoff);
	n_handoff = 0;
}

/* SIGHUP: the cf again, between two entries; a bad one keeps the old. */
static void agent_reload(struct sm *sm, const struct opts *o)
{
	char err[600];
	struct cf fresh;
	const char *path = o->cf_path ? o->cf_path : CF_PATH;

	agent_hup = 0;
	cf_init(&fresh);
	if (cf_load(&fresh, path, err, sizeof err) < 0 &&
	    (errno != ENOENT || o->cf_path)) {
		log_msg(LOG_ERR, "reload: %s; keeping the old configuration",
			err);
		cf_free(&fresh);
		return;
	}
	/* the delivery process keeps the cf it was forked with: the next
	 * local delivery starts one that has the new cf */
	local_deliver_end();
	cf_free(&sm->cf);
	sm->cf = fresh;
	sm->cf.note = note_ignored;
	sm->qdir = o->qdir ? o->qdir : sm->cf.opt.queue_dir ?
		sm->cf.opt.queue_dir : QUEUE_DIR;
	sm_runner_init(sm);
	check_mailer(sm, o);
}

/* -bQ: smtpd's sessions write the ID of each message they queued to a
 * pipe on our stdin; we deliver each at once, with the cf read once
 * (the old way, a process per message that read it again, cost more
 * than the delivery).  Local delivery runs here (its own process per
 * mailbox still becomes the user and records the results), the IDs of
 * one read as a batch (sm_run_batch: one lock and one fsync per mailbox);
 * the batch's entries with remote recipients go to one child
 * (agent_handoff, agent_flush).  After each burst
 * the reports queued meanwhile go out.  SIGTERM: the entry at hand is
 * finished first; EOF (smtpd stopped): done.  Entries missed (a crash
 * here) stay queued for the next queue run: nothing is lost. */
static int agent(struct sm *sm, const struct opts *o)
{
	struct sigaction sa;
	char buf[(QUEUE_ID_LEN + 1) * 64], *nl, *p;
	char ids[64][QUEUE_ID_LEN + 1];
	size_t have = 0, nids;
	ssize_t n;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sm->force = 1;
	sm->handoff = agent_handoff;
	check_mailer(sm, o);
	/* ps shows it apart from the listener it was forked from */
	prctl(PR_SET_NAME, "smtpd-deliver", 0, 0, 0);
	while (!stop) {
		n = read(0, buf + have, sizeof buf - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (agent_hup)
			agent_reload(sm, o);
		/* every ID that came in one read is one batch: messages for
		 * one mailbox share a lock and an fsync (group commit) */
		nids = 0;
		p = buf;
		while ((nl = memchr(p, '\n', buf + have - p))) {
			*nl = 0;
			/* (64 lines of an ID fill buf: ids cannot overflow) */
			if (queue_id_valid(p) && nids < 64)
				str_lcpy(ids[nids++], p, sizeof ids[0]);
			else
				log_msg(LOG_WARNING, "-bQ: not a queue ID: %.40s",
					p);
			p = nl + 1;
		}
		if (nids)
			sm_run_batch(sm, ids, nids);
		sm_run_reports(sm);
		agent_flush(sm);
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		/* a line longer than any ID: drop it */
		if (have == sizeof buf)
			have = 0;
		agent_reap(0);
		if (agent_hup)
			agent_reload(sm, o);
	}
	agent_flush(sm);
	return EX_OK;
}

/* Makes the queue folder when root finds none (a bare container, cron
 * before the first install step) as README.md's Installing section does:
 * root:GROUP mode 2770, GROUP the one the binary is set-group-ID to, else
 * smmsp, else mail, else root's.  A failure is left to submit(). */
static void ensure_queue_dir(const char *dir)
{
	char path[1024];
	struct stat st;
	struct group *gr;
	gid_t gid = 0;
	char *p;

	if (getuid() != 0 || access(dir, F_OK) == 0)
		return;
	if (str_lcpy(path, dir, sizeof path) >= sizeof path)
		return;
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	if (stat("/proc/self/exe", &st) == 0 && (st.st_mode & S_ISGID))
		gid = st.st_gid;
	else if ((gr = getgrnam("smmsp")) != NULL ||
		 (gr = getgrnam("mail")) != NULL)
		gid = gr->gr_gid;
	if (mkdir(path, 0700) < 0)
		return;
	if (chown(path, 0, gid) < 0 || chmod(path, 02770) < 0)
		log_msg(LOG_WARNING, "%s: %s", path, strerror(errno));
	else
		log_msg(LOG_INFO, "%s: made the queue folder (root:%lu, 2770)",
			path, (unsigned long)gid);
}

/* sendmail's restrictqrun, always on: root or the queue's owner (a
 * container that runs everything as one user) works on the queue. */
static int may_run_queue(const struct sm *sm)
{
	struct stat st;

	return sm->uid == 0 || (stat(sm->qdir, &st) == 0 &&
		st.st_uid == sm->uid);
}

static int cf_is_safe(const char *path)
{
	struct stat st;

	if (!path)
		return 1;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		st.st_uid == 0 && !(st.st_mode & 022);
}

int sendmail_main(int argc, char **argv)
{
	struct opts o;
	struct sm sm;
	struct passwd *pw;
	char qid[QUEUE_ID_LEN + 1];
	char delivery;
	int cf_broken;

	memset(&o, 0, sizeof o);
	memset(&sm, 0, sizeof sm);
	o.queuewarn = o.queuereturn = -1;
	parse_args(&o, argc, argv);
	/* A queue or a traffic log chosen by a user is no business of the
	 * queue's group, nor a config an administrator did not install
	 * (root's, writable by nobody else): give the group up, as sendmail
	 * gives up its privilege for -C. */
	if ((!cf_is_safe(o.cf_path) || o.qdir || o.xfile) && getuid() != 0)
		xpriv_drop((uid_t)-1, getgid());
	sm.verbose = o.verbose;
	/* smtpd's agent (-bQ) logs where smtpd does: stderr in the
	 * foreground, syslog when detached (stderr is /dev/null then) */
	log_open(o.log_tag ? o.log_tag : "sendmail",
		!(o.verbose || (((o.queue_run && o.interval) ||
		  o.mode == 'Q') && !stderr_is_null())));
	switch (o.mode) {
	case 'p': case 'P':
		return hand_over("mailq", &o, o.mode == 'P' ? "-bP" : NULL,
			NULL);
	case 'i':
		return hand_over("newaliases", &o, NULL, NULL);
	case 's':
		return hand_over("smtpd", &o, "-i", NULL);
	case 'd': case 'D':
		/* -bd is smtpd -b (detached), -bD smtpd in the foreground;
		 * "-bd -q30m" also runs the queue every 30 minutes, in a
		 * child of smtpd's that stops with it (smtpd -q). */
		if (!applet_exists("smtpd"))
			xdie(EX_UNAVAILABLE, "smtpd is not compiled into this "
				"postbox");
		if (o.queue_run && o.interval) {
			char every[32];

			snprintf(every, sizeof every, "-q%lds", o.interval);
			return hand_over("smtpd", &o, o.mode == 'd' ? "-b" :
				every, o.mode == 'd' ? every : NULL);
		}
		return hand_over("smtpd", &o, o.mode == 'd' ? "-b" : NULL,
			NULL);
	case 'h': case 'H':
		return EX_OK;	/* no host status database to show */
	}
	cf_broken = load_cf(&sm, &o);
	sm.cf.note = note_ignored;
	sm.qdir = o.qdir ? o.qdir : sm.cf.opt.queue_dir ? sm.cf.opt.queue_dir :
		QUEUE_DIR;
	sm.uid = getuid();
	pw = getpwuid(sm.uid);
	if (pw)
		str_lcpy(sm.user, pw->pw_name, sizeof sm.user);
	else
		snprintf(sm.user, sizeof sm.user, "%lu", (unsigned long)sm.uid);
	sm_runner_init(&sm);
	if (o.queuewarn >= 0)
		sm.queuewarn = o.queuewarn;
	if (o.queuereturn >= 0)
		sm.queuereturn = o.queuereturn;
	if (o.mode == 'v')
		return verify(&sm, &o);
	if (o.mode == 't') {
		int rc = sm_address_test(&sm, o.rcpts, o.nrcpts);

		return cf_broken && rc == EX_OK ? EX_OSERR : rc;
	}
	ensure_queue_dir(sm.qdir);
	if (o.mode == 'Q') {
		/* smtpd's agent, nothing without smtpd (the linker drops it) */
		if (!CFG_SMTPD)
			xdie(EX_USAGE, "-bQ: this postbox has no smtpd");
		/* the rights of -qI<ID>: root, or the queue's owner */
		if (!may_run_queue(&sm))
			xdie(EX_NOPERM, "-bQ: only root or the queue's owner "
				"delivers for smtpd");
		return agent(&sm, &o);
	}
	if (o.queue_run) {
		if (!may_run_queue(&sm))
			xdie(EX_NOPERM, "You do not have permission to process "
				"the queue");
		return queue_runner(&sm, &o);
	}
	submit(&sm, &o, qid);
	/* -v means interactive delivery, as in sendmail.  A user who does
	 * not own the queue only submits: delivering as that user would
	 * expand aliases and .forward files with the wrong rights; the
	 * queue runner (root's) delivers. */
	delivery = o.verbose ? 'i' : o.delivery ? o.delivery :
		sm.cf.opt.delivery_mode;
	if (!may_run_queue(&sm))
		delivery = 'q';
	if (delivery == 'i') {
		sm.force = 1;
		sm_run_entry(&sm, qid);
		sm_run_reports(&sm);
	} else if (delivery != 'q' && delivery != 'd') {
		sm.force = 1;
		fflush(stdout);
		deliver_background(&sm, qid);
	}
	return EX_OK;
}
