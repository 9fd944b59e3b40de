/*
 * mail's send side: the body from stdin (tilde escapes on a terminal),
 * the message built with MIME (RFC 2045-2047, RFC 2231 file names) and
 * handed to sendmail with the recipients as arguments.  Every header value
 * passes through msg_header_encode, which turns CR and LF into blanks, so
 * a subject or an address can never add a field; Bcc goes to sendmail's
 * argument list only.
 */
#define _GNU_SOURCE
#include "mail.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ATTACH_MAX	(32L << 20)	/* bytes of one attached file */
#define BODY_MAX	(64L << 20)

void mail_draft_init(struct mail_draft *d)
{
	memset(d, 0, sizeof *d);
	buf_init(&d->to, 64 * 1024);
	buf_init(&d->cc, 64 * 1024);
	buf_init(&d->bcc, 64 * 1024);
	buf_init(&d->subject, 4096);
	buf_init(&d->body, BODY_MAX);
	buf_init(&d->extra, 64 * 1024);
}

void mail_draft_free(struct mail_draft *d)
{
	buf_free(&d->to);
	buf_free(&d->cc);
	buf_free(&d->bcc);
	buf_free(&d->subject);
	buf_free(&d->body);
	buf_free(&d->extra);
	free(d->attach);
}

static void list_add(struct buf *l, const char *s)
{
	if (!*s)
		return;
	if (l->len)
		buf_adds(l, ", ");
	buf_adds(l, s);
}

/* The MIME type of a file by its extension (RFC 2046 4.5.1's default
 * for the rest). */
static const char *mime_type_of(const char *name)
{
	static const char *const types[][2] = {
		{ "txt", "text/plain" }, { "log", "text/plain" },
		{ "csv", "text/csv" }, { "html", "text/html" },
		{ "htm", "text/html" }, { "xml", "application/xml" },
		{ "json", "application/json" }, { "pdf", "application/pdf" },
		{ "png", "image/png" }, { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" }, { "gif", "image/gif" },
		{ "svg", "image/svg+xml" }, { "webp", "image/webp" },
		{ "zip", "application/zip" }, { "gz", "application/gzip" },
		{ "tgz", "application/gzip" }, { "tar", "application/x-tar" },
		{ "xz", "application/x-xz" }, { "bz2", "application/x-bzip2" },
		{ "doc", "application/msword" }, { "sh", "text/x-shellscript" },
		{ "c", "text/x-c" }, { "h", "text/x-c" },
		{ "ics", "text/calendar" }, { "eml", "message/rfc822" },
		{ "mp3", "audio/mpeg" }, { "mp4", "video/mp4" },
		{ "odt", "application/vnd.oasis.opendocument.text" },
		{ "docx", "application/vnd.openxmlformats-officedocument."
			"wordprocessingml.document" },
		{ "xlsx", "application/vnd.openxmlformats-officedocument."
			"spreadsheetml.sheet" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot && !strchr(dot, '/'))
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i][0]) == 0)
				return types[i][1];
	return "application/octet-stream";
}

/* A parameter value NAME=VALUE for a file name: quoted ASCII, or RFC 2231
 * 4 "NAME*=UTF-8''%XX" when it has other bytes. */
static void add_name_param(struct buf *b, const char *pname, const char *v)
{
	const unsigned char *s;
	int ascii = 1;

	for (s = (const unsigned char *)v; *s; s++)
		if (*s >= 0x80 || *s < 32)
			ascii = 0;
	if (ascii) {
		buf_printf(b, ";\n %s=\"", pname);
		for (s = (const unsigned char *)v; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addc(b, '\\');
			buf_addc(b, *s);
		}
		buf_addc(b, '"');
		return;
	}
	buf_printf(b, ";\n %s*=UTF-8''", pname);
	for (s = (const unsigned char *)v; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				(*s >= '0' && *s <= '9') || strchr(".-_", *s))
			buf_addc(b, *s);
		else
			buf_printf(b, "%%%02X", *s);
	}
}

/* Content-Type and Content-Transfer-Encoding of a text body, and the
 * body itself, encoded as needed. */
static int add_text_part(struct buf *msg, const char *p, size_t n)
{
	size_t i, col = 0;
	int ascii = 1, ctl = 0, longl = 0, utf8 = str_utf8_valid(p, n);

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '\n') {
			col = 0;
			continue;
		}
		if (++col > 998)
			longl = 1;
		if (c >= 0x80)
			ascii = 0;
		else if ((c < 32 && c != '\t') || c == 127)
			ctl = 1;
	}
	buf_printf(msg, "Content-Type: text/plain; charset=%s\n",
		ascii ? "us-ascii" : utf8 ? "UTF-8" : "unknown-8bit");
	/* RFC 2045 6: 7bit and 8bit need short lines and no NUL or CR */
	if (!ctl && !longl) {
		buf_printf(msg, "Content-Transfer-Encoding: %s\n\n",
			ascii ? "7bit" : "8bit");
		buf_add(msg, p, n);
	} else {
		buf_adds(msg, "Content-Transfer-Encoding: "
			"quoted-printable\n\n");
		if (qp_encode(msg, p, n) < 0)
			return -1;
	}
	if (n && p[n - 1] != '\n')
		buf_addc(msg, '\n');
	return 0;
}

static int add_attachment(struct buf *msg, const char *path)
{
	char *data, line[80];
	size_t len, i;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *type = mime_type_of(base);

	if (file_read_all(path, ATTACH_MAX, &data, &len) < 0) {
		xwarn("%s: %s", path, strerror(errno));
		return -1;
	}
	buf_printf(msg, "Content-Type: %s", type);
	add_name_param(msg, "name", base);
	buf_adds(msg, "\nContent-Disposition: attachment");
	add_name_param(msg, "filename", base);
	buf_adds(msg, "\nContent-Transfer-Encoding: base64\n\n");
	/* RFC 2045 6.8: lines of at most 76 characters */
	for (i = 0; i < len; i += 57) {
		b64_encode(line, sizeof line, data + i,
			len - i < 57 ? len - i : 57);
		buf_adds(msg, line);
		buf_addc(msg, '\n');
	}
	free(data);
	return msg->len < msg->max ? 0 : -1;
}

static void random_hex(char *dst, size_t n)
{
	unsigned char r[16];
	size_t i;

	if (getentropy(r, sizeof r) < 0)
		memset(r, 0, sizeof r);
	for (i = 0; i < sizeof r && 2 * i + 2 < n; i++)
		snprintf(dst + 2 * i, 3, "%02x", r[i]);
}

/* The bare addresses of list L (aliases already expanded) onto ARGV. */
static void collect(const char *l, char ***argv, size_t *argc)
{
	struct msg_addr a;
	size_t n = strlen(l);

	while (msg_addr_next(&l, &n, &a)) {
		if (!a.addr[0])
			continue;
		*argv = xrealloc(*argv, (*argc + 2) * sizeof **argv);
		(*argv)[(*argc)++] = xstrdup(a.addr);
		(*argv)[*argc] = NULL;
	}
}

/* Appends the draft to ~/dead.letter (POSIX DEAD) unless nosave. */
static void save_dead(struct mail *m, const char *msg, size_t n)
{
	char path[4096 + 16];
	const char *dead = mail_var(m, "DEAD");
	int fd;

	if (mail_bool(m, "nosave"))
		return;
	if (dead)
		str_lcpy(path, dead, sizeof path);
	else
		snprintf(path, sizeof path, "%s/dead.letter", m->home);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
		O_CLOEXEC, 0600);
	if (fd < 0 || file_write_all(fd, msg, n) < 0)
		xwarn("%s: %s", path, strerror(errno));
	else
		fprintf(stderr, "(message saved in %s)\n", path);
	if (fd >= 0)
		close(fd);
}

/* Runs sendmail with ARGV, the message on its stdin; its exit status. */
static int run_sendmail(struct mail *m, char **argv, const char *msg,
	size_t n)
{
	const char *sm = mail_var(m, "sendmail");
	char *words[32], *smline = NULL, **av = argv;
	int pfd[2], st, nw = 0, k, argc = 0;
	pid_t pid;
	void (*old)(int);

	/* the sendmail variable may carry arguments ("/usr/sbin/sendmail
	 * -oi"): its words, then ours after argv[0] */
	if (sm && *sm) {
		smline = xstrdup(sm);
		nw = mail_words(smline, words, 32);
	}
	if (nw > 0) {
		while (argv[argc])
			argc++;
		av = xmalloc((nw + argc + 1) * sizeof *av);
		for (k = 0; k < nw; k++)
			av[k] = words[k];
		for (k = 1; k <= argc; k++)
			av[nw + k - 1] = argv[k];
		argc = 0;
	}

	if (pipe(pfd) < 0)
		xdie_errno(EX_OSERR, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		xdie_errno(EX_OSERR, "fork");
	if (pid == 0) {
		close(pfd[1]);
		if (pfd[0] != 0) {
			dup2(pfd[0], 0);
			close(pfd[0]);
		}
		if (nw > 0) {
			execv(av[0], av);
			xdie_errno(EX_UNAVAILABLE, "%s", av[0]);
		}
		/* our own sendmail, exec'ed so a set-group-ID binary
		 * regains the queue's group that mail dropped */
		execv("/proc/self/exe", argv);
		while (argv[argc])
			argc++;
		_exit(applet_run("sendmail", argc, argv));
	}
	close(pfd[0]);
	if (av != argv)
		free(av);
	free(smline);
	old = signal(SIGPIPE, SIG_IGN);
	file_write_all(pfd[1], msg, n);
	close(pfd[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return EX_SOFTWARE;
}

/* Appends the message to the record folder (POSIX record). */
static void record(struct mail *m, const char *msg, size_t n)
{
	const char *r = mail_var(m, "record");
	char path[4096];
	struct mbox_append a;

	if (!r || !*r)
		return;
	if (mail_expand_folder(m, r, path, sizeof path) < 0 ||
			mbox_append_open(&a, path, getuid(), MBOX_CREATE) < 0 ||
			mbox_append_from(&a, m->user, time(NULL)) < 0 ||
			mbox_append_write(&a, msg, n) < 0 ||
			mbox_append_commit(&a) < 0)
		xwarn("%s: %s", r, strerror(errno));
}

int mail_send(struct mail *m, struct mail_draft *d)
{
	struct buf to = BUF_INIT(64 * 1024), cc = BUF_INIT(64 * 1024),
		bcc = BUF_INIT(64 * 1024), msg = BUF_INIT(BODY_MAX * 2),
		body = BUF_INIT(BODY_MAX);
	char **argv = NULL, date[64], bound[48], rnd[40];
	size_t argc = 0, i;
	const char *from = d->from ? d->from : mail_var(m, "from");
	time_t now = time(NULL);
	int rc;

	/* an address list is one field: a line break in it is an attempt
	 * to add another, never an address */
	if (strpbrk(buf_str(&d->to), "\r\n") || strpbrk(buf_str(&d->cc),
			"\r\n") || strpbrk(buf_str(&d->bcc), "\r\n") ||
			(from && strpbrk(from, "\r\n"))) {
		xwarn("a line break in an address: not sent");
		rc = EX_DATAERR;
		argv = NULL;
		goto out;
	}
	mail_expand_aliases(m, buf_str(&d->to), &to);
	mail_expand_aliases(m, buf_str(&d->cc), &cc);
	mail_expand_aliases(m, buf_str(&d->bcc), &bcc);
	argv = xmalloc(10 * sizeof *argv);
	argv[argc++] = xstrdup("sendmail");
	/* -C: the same sendmail.cf for the message as for the mailbox */
	if (m->cf_given) {
		argv[argc++] = xstrdup("-C");
		argv[argc++] = xstrdup(m->cfpath);
	}
	argv[argc++] = xstrdup("-oi");
	if (from && *from) {
		struct msg_addr a;
		const char *p = from;
		size_t n = strlen(p);

		if (msg_addr_next(&p, &n, &a) && a.addr[0]) {
			argv[argc++] = xstrdup("-f");
			argv[argc++] = xstrdup(a.addr);
		}
	}
	if (mail_bool(m, "verbose"))
		argv[argc++] = xstrdup("-v");
	argv[argc++] = xstrdup("--");
	argv[argc] = NULL;
	i = argc;
	collect(buf_str(&to), &argv, &argc);
	collect(buf_str(&cc), &argv, &argc);
	collect(buf_str(&bcc), &argv, &argc);
	if (argc == i) {
		xwarn("No recipients specified");
		rc = EX_USAGE;
		goto out;
	}
	/* the terminal's text becomes UTF-8 */
	if (strcasecmp(m->ttycs, "utf-8") != 0 && d->body.len)
		msg_conv(&body, "utf-8", m->ttycs, d->body.p, d->body.len);
	else
		buf_add(&body, d->body.p ? d->body.p : "", d->body.len);

	/* RFC 5322 3.6: Date and From are required; sendmail adds From */
	msg_date(now, date, sizeof date);
	buf_printf(&msg, "Date: %s\n", date);
	if (from && *from)
		msg_header_encode(&msg, "From", from, 1);
	if (to.len)
		msg_header_encode(&msg, "To", buf_str(&to), 1);
	if (cc.len)
		msg_header_encode(&msg, "Cc", buf_str(&cc), 1);
	if (d->subject.len)
		msg_header_encode(&msg, "Subject", buf_str(&d->subject), 0);
	random_hex(rnd, sizeof rnd);
	buf_printf(&msg, "Message-ID: <%.16s.%ld@%s>\n", rnd,
		(long)getpid(), m->host);
	buf_add(&msg, d->extra.p ? d->extra.p : "", d->extra.len);
	buf_adds(&msg, "MIME-Version: 1.0\n");
	if (!d->nattach) {
		add_text_part(&msg, body.p ? body.p : "", body.len);
	} else {
		snprintf(bound, sizeof bound, "=-%.24s=-", rnd + 8);
		buf_printf(&msg, "Content-Type: multipart/mixed; "
			"boundary=\"%s\"\n\n", bound);
		buf_adds(&msg, "This is a multi-part message in MIME "
			"format.\n");
		buf_printf(&msg, "\n--%s\n", bound);
		add_text_part(&msg, body.p ? body.p : "", body.len);
		for (i = 0; i < d->nattach; i++) {
			buf_printf(&msg, "\n--%s\n", bound);
			if (add_attachment(&msg, d->attach[i]) < 0) {
				rc = EX_NOINPUT;
				goto out;
			}
		}
		buf_printf(&msg, "\n--%s--\n", bound);
	}
	if (msg.len >= msg.max) {
		xwarn("message too big");
		rc = EX_DATAERR;
		goto out;
	}
	if (mail_bool(m, "verbose")) {
		fprintf(stderr, "sendmail");
		for (i = 1; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
	}
	record(m, msg.p, msg.len);
	rc = run_sendmail(m, argv, msg.p, msg.len);
	if (rc != 0) {
		xwarn("sendmail exited %d", rc);
		save_dead(m, msg.p, msg.len);
	}
out:
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	buf_free(&to);
	buf_free(&cc);
	buf_free(&bcc);
	buf_free(&msg);
	buf_free(&body);
	return rc;
}

static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

void mail_catch_int(struct mail *m, int on)
{
	struct sigaction sa;

	/* -i (the ignore variable): interrupts stay ignored */
	if (mail_bool(m, "ignore"))
		return;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the read in progress returns, so it is seen */
	sa.sa_handler = on ? on_int : SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	interrupted = 0;
}

int mail_interrupted(void)
{
	int was = interrupted;

	interrupted = 0;
	return was;
}

/* Reads one line from stdin into LINE without its newline; 0 at EOF. */
static int get_line(char *line, size_t max)
{
	size_t len;

	if (!fgets(line, max, stdin))
		return 0;
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[--len] = 0;
	return 1;
}

static void prompt_field(const char *label, struct buf *b, int replace)
{
	char line[MAIL_LINE_MAX];

	printf("%s", label);
	fflush(stdout);
	if (!get_line(line, sizeof line))
		return;
	if (replace)
		buf_reset(b);
	if (b == NULL)
		return;
	if (replace)
		buf_adds(b, line);
	else
		list_add(b, line);
}

/* Runs "sh -c CMD" with stdin from IN (-1: ours) and stdout to OUT (-1:
 * ours); the exit status. */
static int shell(const char *cmd, int in, int out)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0)
			dup2(out, 1);
		signal(SIGINT, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ~e and ~v: the body through the editor, in a private file. */
static void edit_body(struct mail *m, struct buf *body, const char *var)
{
	const char *ed = mail_var(m, var);
	char tmp[] = "/tmp/mailXXXXXX", cmd[8192], *data;
	size_t len;
	int fd;

	if (!ed || !*ed)
		ed = strcmp(var, "VISUAL") == 0 ? "vi" : "ed";
	if ((fd = mkstemp(tmp)) < 0) {
		xwarn("%s: %s", tmp, strerror(errno));
		return;
	}
	file_write_all(fd, body->p ? body->p : "", body->len);
	close(fd);
	snprintf(cmd, sizeof cmd, "%s %s", ed, tmp);
	shell(cmd, -1, -1);
	if (file_read_all(tmp, body->max, &data, &len) == 0) {
		buf_reset(body);
		buf_add(body, data, len);
		free(data);
	}
	unlink(tmp);
}

/* ~| command: the body becomes the command's output. */
static void pipe_body(struct buf *body, const char *cmd)
{
	char in[] = "/tmp/mailXXXXXX", out[] = "/tmp/mailXXXXXX", *data;
	int fi = mkstemp(in), fo = mkstemp(out);
	size_t len;

	if (fi < 0 || fo < 0)
		goto done;
	file_write_all(fi, body->p ? body->p : "", body->len);
	lseek(fi, 0, SEEK_SET);
	if (shell(cmd, fi, fo) == 0 &&
			file_read_all(out, body->max, &data, &len) == 0) {
		buf_reset(body);
		buf_add(body, data, len);
		free(data);
	} else {
		xwarn("\"%s\" failed: the message is unchanged", cmd);
	}
done:
	if (fi >= 0)
		close(fi), unlink(in);
	if (fo >= 0)
		close(fo), unlink(out);
}

static void tilde_help(void)
{
	fputs("-------------------- ~ ESCAPES ----------------------------\n"
	"~~		Quote a single tilde\n"
	"~b users	Add users to \"blind\" cc list\n"
	"~c users	Add users to cc list\n"
	"~d		Read in dead.letter\n"
	"~e		Edit the message buffer\n"
	"~f messages	Read in messages without indenting lines\n"
	"~h		Prompt for to list, subject and cc list\n"
	"~m messages	Read in messages, right shifted by a tab\n"
	"~p		Print the message buffer\n"
	"~q		Abort message composition and save text to dead.letter\n"
	"~x		Abort message composition without saving\n"
	"~r file		Read a file into the message buffer (also ~<)\n"
	"~<!command	Read the output of a command\n"
	"~s subject	Set subject\n"
	"~t users	Add users to to list\n"
	"~v		Invoke display editor on message\n"
	"~w file		Write message onto file\n"
	"~a, ~A		Insert the sign (Sign) variable\n"
	"~!command	Invoke the shell\n"
	"~|command	Pipe the message through the command\n"
	"~.		End of message\n"
	"----------------------------------------------------------\n",
		stdout);
}

/* ~m and ~f: messages of the open folder into the body. */
static void insert_msgs(struct mail *m, struct buf *body, const char *arg,
	int indent)
{
	struct buf one = BUF_INIT(MAIL_MSG_MAX);
	const char *pfx = mail_var(m, "indentprefix");
	char *end;
	unsigned long n;
	size_t i, s;

	if (!m->open) {
		xwarn("No messages to include");
		return;
	}
	n = strtoul(arg, &end, 10);
	i = *arg && n > 0 && n <= m->mb.n ? n - 1 : m->cur;
	if (i >= m->mb.n || mail_read_msg(m, i, &one) < 0) {
		xwarn("%s: no such message", arg);
		buf_free(&one);
		return;
	}
	printf("Interpolating: %zu\n", i + 1);
	for (s = 0; s < one.len; ) {
		const char *nl = memchr(one.p + s, '\n', one.len - s);
		size_t e = nl ? (size_t)(nl - one.p) + 1 : one.len;

		if (indent)
			buf_adds(body, pfx ? pfx : "\t");
		buf_add(body, one.p + s, e - s);
		s = e;
	}
	if (one.len && one.p[one.len - 1] != '\n')
		buf_addc(body, '\n');
	buf_free(&one);
}

static void read_file(struct buf *body, const char *path)
{
	char *data;
	size_t len, i, lines = 0;

	if (file_read_all(path, body->max - body->len, &data, &len) < 0) {
		xwarn("%s: %s", path, strerror(errno));
		return;
	}
	for (i = 0; i < len; i++)
		lines += data[i] == '\n';
	printf("\"%s\" %zu/%zu\n", path, lines, len);
	buf_add(body, data, len);
	free(data);
}

/* One tilde escape (LINE starts with "~"); returns 1 to end the message,
 * -1 to abort it, 0 to go on. */
static int tilde(struct mail *m, struct mail_draft *d, char *line)
{
	char *arg = line + 2, path[4096 + 16];
	int c = line[1];

	while (*arg == ' ' || *arg == '\t')
		arg++;
	switch (c) {
	case '.':
		return 1;
	case 'q':
		save_dead(m, d->body.p ? d->body.p : "", d->body.len);
		return -1;
	case 'x':
		return -1;
	case 's':
		buf_reset(&d->subject);
		buf_adds(&d->subject, arg);
		break;
	case 't':
		list_add(&d->to, arg);
		break;
	case 'c':
		list_add(&d->cc, arg);
		break;
	case 'b':
		list_add(&d->bcc, arg);
		break;
	case 'h':
		prompt_field("To: ", &d->to, 0);
		prompt_field("Subject: ", &d->subject, 1);
		prompt_field("Cc: ", &d->cc, 0);
		prompt_field("Bcc: ", &d->bcc, 0);
		break;
	case 'r':
	case '<':
		if (*arg == '!') {
			int pfd[2];
			char *data;
			size_t len;
			char tmp[] = "/tmp/mailXXXXXX";
			int fd = mkstemp(tmp);

			(void)pfd;
			if (fd < 0)
				break;
			shell(arg + 1, -1, fd);
			close(fd);
			if (file_read_all(tmp, d->body.max - d->body.len, &data,
					&len) == 0) {
				buf_add(&d->body, data, len);
				free(data);
			}
			unlink(tmp);
			break;
		}
		if (mail_expand_folder(m, arg, path, sizeof path) == 0)
			read_file(&d->body, path);
		break;
	case 'd':
		snprintf(path, sizeof path, "%s/dead.letter", m->home);
		read_file(&d->body, path);
		break;
	case 'w':
		if (mail_expand_folder(m, arg, path, sizeof path) == 0) {
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC |
				O_NOFOLLOW, 0600);

			if (fd < 0 || file_write_all(fd, d->body.p ? d->body.p :
					"", d->body.len) < 0)
				xwarn("%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
		}
		break;
	case 'e':
		edit_body(m, &d->body, "EDITOR");
		fputs("(continue)\n", stdout);
		break;
	case 'v':
		edit_body(m, &d->body, "VISUAL");
		fputs("(continue)\n", stdout);
		break;
	case 'p':
		fputs("-------\nMessage contains:\n", stdout);
		if (d->to.len)
			printf("To: %s\n", buf_str(&d->to));
		if (d->subject.len)
			printf("Subject: %s\n", buf_str(&d->subject));
		if (d->cc.len)
			printf("Cc: %s\n", buf_str(&d->cc));
		if (d->bcc.len)
			printf("Bcc: %s\n", buf_str(&d->bcc));
		fwrite(buf_str(&d->body), 1, d->body.len, stdout);
		fputs("(continue)\n", stdout);
		break;
	case 'm':
	case 'f':
		insert_msgs(m, &d->body, arg, c == 'm');
		break;
	case '!':
		shell(arg, -1, -1);
		fputs("!\n", stdout);
		break;
	case '|':
		pipe_body(&d->body, arg);
		fputs("(continue)\n", stdout);
		break;
	case '?':
		tilde_help();
		break;
	case 'a':
	case 'A': {
		/* POSIX: the sign (Sign) variable */
		const char *sig = mail_var(m, c == 'a' ? "sign" : "Sign");

		if (sig && *sig) {
			buf_adds(&d->body, sig);
			buf_addc(&d->body, '\n');
		}
		break;
	}
	case '~':
		buf_adds(&d->body, line + 1);
		buf_addc(&d->body, '\n');
		break;
	default:
		printf("Unknown tilde escape: ~%c\n", c ? c : ' ');
		break;
	}
	return 0;
}

int mail_compose(struct mail *m, struct mail_draft *d, int edit_headers)
{
	char line[MAIL_LINE_MAX];
	ssize_t r;
	int t = 0, ints = 0;

	if (!m->tty) {
		/* not a terminal: the body as it comes, tildes and all */
		char chunk[16384];

		while ((r = read(0, chunk, sizeof chunk)) > 0)
			if (buf_add(&d->body, chunk, r) < 0) {
				xwarn("message too big");
				return EX_DATAERR;
			}
	} else {
		if (edit_headers && !d->to.len)
			prompt_field("To: ", &d->to, 0);
		if (!d->subject.len && (edit_headers || mail_bool(m,
				"asksub") || mail_bool(m, "ask")))
			prompt_field("Subject: ", &d->subject, 1);
		mail_catch_int(m, 1);
		for (;;) {
			if (!get_line(line, sizeof line)) {
				/* POSIX: a first interrupt warns, a second
				 * kills the letter (kept in dead.letter) */
				/* ^D ends the message; the terminal stays
				 * ours: back at the & prompt, not an end of
				 * input that would quit (as bsd-mailx) */
				if (!mail_interrupted()) {
					clearerr(stdin);
					break;
				}
				clearerr(stdin);
				if (++ints < 2) {
					puts("\n(Interrupt -- one more to kill "
						"letter)");
					continue;
				}
				putchar('\n');
				save_dead(m, d->body.p ? d->body.p : "",
					d->body.len);
				mail_catch_int(m, 0);
				return 1;
			}
			ints = 0;
			/* a single dot ends the message, as in mailx */
			if (strcmp(line, ".") == 0 && !mail_bool(m, "nodot"))
				break;
			if (line[0] == '~' && !mail_bool(m, "notilde")) {
				if ((t = tilde(m, d, line)) != 0)
					break;
				continue;
			}
			buf_adds(&d->body, line);
			buf_addc(&d->body, '\n');
		}
		mail_catch_int(m, 0);
		if (t < 0)
			return 1;
		if (mail_bool(m, "askcc"))
			prompt_field("Cc: ", &d->cc, 0);
		if (mail_bool(m, "askbcc"))
			prompt_field("Bcc: ", &d->bcc, 0);
		puts("EOT");
	}
	if (!d->body.len && mail_bool(m, "skipempty")) {
		/* -E: an empty body is not sent (s-nail, Heirloom) */
		return 0;
	}
	if (!d->body.len && m->tty)
		fputs("Null message body; hope that's ok\n", stderr);
	return mail_send(m, d);
}
