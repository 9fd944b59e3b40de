/*
 * mail's folder session and its commands (POSIX mailx "Commands in
 * mailx", "Message Lists").  The folder is read and rewritten through
 * the shared reader (libmini/mailbox.c): its session lock, its rewrite by
 * rename under the delivery locks that keeps mail delivered meanwhile,
 * and Maildir's new/ to cur/ with ":2," flags.
 */
#define _GNU_SOURCE
#include "mail.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORDS	256

/* What a message list may select (POSIX: deleted messages only for
 * undelete). */
#define L_DELETED	1

static int is_deleted(const struct mail *m, size_t i)
{
	return (m->msg[i].flags & M_DELETED) != 0;
}

static int need_folder(const struct mail *m)
{
	if (!m->open || m->mb.n == 0) {
		puts("No applicable messages");
		return 0;
	}
	return 1;
}

/* Whether WORD is a message list token rather than a file name. */
static int is_list_word(const char *w)
{
	if (strchr("*$.^:/", w[0]) && w[0])
		return 1;
	if (w[0] >= '0' && w[0] <= '9')
		return strspn(w, "0123456789-") == strlen(w);
	return 0;
}

/* Sets SEL[i] for each message the words W[0..N) select; with none,
 * the current message.  Returns the count, or -1 after a message. */
static int msglist(struct mail *m, char **w, int n, unsigned char *sel,
	int how)
{
	size_t i, cnt = 0, total = m->mb.n;
	unsigned long a, b;
	int k, any = 0;
	char *dash, *end;

	memset(sel, 0, total);
	for (k = 0; k < n; k++) {
		const char *t = w[k];

		any = 1;
		if (strcmp(t, "*") == 0) {
			memset(sel, 1, total);
		} else if (strcmp(t, "$") == 0 || strcmp(t, "^") == 0 ||
				strcmp(t, ".") == 0) {
			size_t pick = m->cur;

			if (t[0] != '.') {
				/* the last or first message not deleted */
				for (i = 0; i < total; i++) {
					size_t j = t[0] == '$' ? total - 1 - i :
						i;

					if (!is_deleted(m, j) || how & L_DELETED) {
						pick = j;
						break;
					}
				}
			}
			sel[pick] = 1;
		} else if (t[0] >= '0' && t[0] <= '9') {
			a = strtoul(t, &end, 10);
			b = a;
			if ((dash = strchr(t, '-')) && dash == end)
				b = strtoul(dash + 1, &end, 10);
			if (*end || a < 1 || b < a || b > total) {
				printf("%s: Invalid message number\n", t);
				return -1;
			}
			for (i = a - 1; i < b; i++)
				sel[i] = 1;
		} else if (t[0] == ':' && t[1]) {
			/* POSIX: :n new, :o old, :u unread, :d deleted,
			 * :r read */
			for (i = 0; i < total; i++) {
				unsigned f = m->msg[i].flags;
				unsigned sf = m->mb.msg[i].flags;
				unsigned sf0 = m->mb.msg[i].flags0;
				int hit = 0;

				if (f & M_READ)
					sf |= MAILBOX_SEEN;

				switch (t[1]) {
				case 'n': hit = !(sf & MAILBOX_SEEN) &&
					!(sf0 & MAILBOX_OLD); break;
				case 'o': hit = (sf0 & MAILBOX_OLD) != 0; break;
				case 'u': hit = !(sf & MAILBOX_SEEN); break;
				case 'r': hit = (sf & MAILBOX_SEEN) != 0; break;
				case 'd': hit = (f & M_DELETED) != 0; break;
				default:
					printf("%s: unknown message type\n", t);
					return -1;
				}
				if (hit)
					sel[i] = 1;
			}
			if (t[1] == 'd')
				how |= L_DELETED;
		} else if (t[0] == '/') {
			for (i = 0; i < total; i++) {
				mail_scan(m, i);
				if (strcasestr(m->msg[i].subject, t + 1))
					sel[i] = 1;
			}
		} else {
			/* a user: messages whose sender matches */
			size_t tl = strlen(t);

			for (i = 0; i < total; i++) {
				const char *fa;

				mail_scan(m, i);
				fa = m->msg[i].fromaddr;
				if (strncasecmp(fa, t, tl) == 0 &&
						(fa[tl] == 0 || fa[tl] == '@'))
					sel[i] = 1;
			}
		}
	}
	if (!any)
		sel[m->cur] = 1;
	for (i = 0; i < total; i++) {
		if (sel[i] && is_deleted(m, i) && !(how & L_DELETED))
			sel[i] = 0;
		cnt += sel[i];
	}
	if (!cnt)
		puts("No applicable messages");
	return cnt ? (int)cnt : -1;
}

int mail_open(struct mail *m, const char *path, int system, int quiet)
{
	struct stat st;
	char err[MAILBOX_ERR_MAX];
	int kind = LOCAL_MBOX, flags = 0;
	size_t i;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		kind = LOCAL_MAILDIR;
	else if (stat(path, &st) < 0 && !system) {
		printf("%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (m->want_rdonly || (access(path, W_OK) < 0 && errno != ENOENT))
		flags |= MAILBOX_RDONLY;
	memset(&m->mb, 0, sizeof m->mb);
	if (mailbox_open(&m->mb, path, kind, flags, err, sizeof err) < 0) {
		/* the reason in ERR: EWOULDBLOCK is EAGAIN, another
		 * session's flock or a delivery lock that timed out */
		printf("%s\n", err);
		return -1;
	}
	m->open = 1;
	m->rdonly = flags & MAILBOX_RDONLY;
	m->system = system;
	str_lcpy(m->folder, path, sizeof m->folder);
	m->msg = m->mb.n ? xzalloc(m->mb.n * sizeof *m->msg) : NULL;
	m->cur = 0;
	for (i = m->mb.n; i-- > 0; ) {
		if (!(m->mb.msg[i].flags & MAILBOX_SEEN)) {
			m->cur = i;
		} else {
			m->msg[i].flags |= M_SEEN0;
		}
	}
	if (!quiet)
		mail_announce(m);
	return 0;
}

void mail_announce(struct mail *m)
{
	size_t i, nnew = 0, unread = 0;

	for (i = 0; i < m->mb.n; i++)
		if (!(m->mb.msg[i].flags & MAILBOX_SEEN)) {
			unread++;
			nnew += !(m->mb.msg[i].flags0 & MAILBOX_OLD);
		}
	printf("\"%s\": %zu message%s", m->folder, m->mb.n,
		m->mb.n == 1 ? "" : "s");
	if (nnew)
		printf(" %zu new", nnew);
	if (unread > nnew)
		printf(" %zu unread", unread - nnew);
	if (m->rdonly)
		printf(" [Read only]");
	putchar('\n');
}

/* The From_ sender and date of message I, for copying it into an mbox. */
static void envelope(struct mail *m, size_t i, char *sender, size_t max,
	time_t *when)
{
	struct mailbox_msg *bm = &m->mb.msg[i];
	char line[512];
	off_t len = bm->off - bm->from;

	mail_scan(m, i);
	str_lcpy(sender, m->msg[i].fromaddr[0] ? m->msg[i].fromaddr :
		"MAILER-DAEMON", max);
	*when = m->msg[i].date > 0 ? m->msg[i].date : time(NULL);
	if (m->mb.kind == LOCAL_MBOX && len > 6 && len < (off_t)sizeof line &&
			pread(m->mb.fd, line, len, bm->from) == len) {
		struct tm tm;
		char *sp;

		line[len - 1] = 0;
		if ((sp = strchr(line + 5, ' '))) {
			*sp = 0;
			str_lcpy(sender, line + 5, max);
			memset(&tm, 0, sizeof tm);
			if (strptime(sp + 1, "%a %b %d %H:%M:%S %Y", &tm)) {
				tm.tm_isdst = -1;
				*when = mktime(&tm);
			}
		}
	}
}

/* Where a copied message goes: an mbox, a Maildir or a plain file. */
struct sink {
	int kind;			/* 0 mbox, 1 Maildir, 2 fd */
	struct mbox_append *a;
	struct maildir_deliver d;
	int fd;
	int body_only;			/* write: no header */
	int inhdr;			/* still collecting the header */
	struct buf hdr;
};

static int sink_raw(struct sink *s, const char *p, size_t n)
{
	if (s->kind == 0)
		return mbox_append_write(s->a, p, n);
	if (s->kind == 1)
		return maildir_deliver_write(&s->d, p, n);
	return file_write_all(s->fd, p, n);
}

/* The header collected: written with its Status fields replaced by
 * "Status: RO" (mailx marks the copies it saves read), or left out for
 * write; then whatever followed it. */
static int sink_header(struct sink *s)
{
	const char *p = s->hdr.p ? s->hdr.p : "", *nl;
	size_t n = s->hdr.len, i = 0, e;
	int skip = 0;

	s->inhdr = 0;
	while (i < n) {
		nl = memchr(p + i, '\n', n - i);
		e = nl ? (size_t)(nl - p) + 1 : n;
		if (p[i] == '\n' || (p[i] == '\r' && i + 1 < n &&
				p[i + 1] == '\n'))
			break;
		if (p[i] != ' ' && p[i] != '\t')
			skip = strncasecmp(p + i, "Status:", 7) == 0;
		if (!s->body_only && !skip && sink_raw(s, p + i, e - i) < 0)
			return -1;
		i = e;
	}
	if (s->body_only) {
		/* the blank line ends the header; the body follows */
		if (i < n)
			i += p[i] == '\r' ? 2 : 1;
	} else if (s->kind == 0 && sink_raw(s, "Status: RO\n", 11) < 0) {
		return -1;
	}
	return sink_raw(s, p + i, n - i);
}

static int sink_put(void *ctx, const char *p, size_t n)
{
	struct sink *s = ctx;
	size_t from;

	if (!s->inhdr)
		return sink_raw(s, p, n);
	from = s->hdr.len > 3 ? s->hdr.len - 3 : 0;
	if (buf_add(&s->hdr, p, n) < 0)
		return sink_header(s) < 0 ? -1 : sink_raw(s, p, n);
	if (memmem(s->hdr.p + from, s->hdr.len - from, "\n\n", 2) ||
			memmem(s->hdr.p + from, s->hdr.len - from, "\n\r\n", 3))
		return sink_header(s);
	return 0;
}

/* Appends message I to the folder at PATH (an mbox, or a Maildir when
 * PATH is a folder; a plain file for write, BODY_ONLY), streamed, so a
 * message of any size is copied whole.  0, or -1 after a message, and
 * then nothing of it is left in the target. */
static int append_msg(struct mail *m, size_t i, const char *path,
	int body_only)
{
	struct sink s;
	char sender[320];
	time_t when;
	struct stat st;
	int rc = -1;

	memset(&s, 0, sizeof s);
	s.body_only = body_only;
	s.inhdr = 1;
	s.fd = -1;
	s.d.fd = -1;
	buf_init(&s.hdr, 1 << 20);
	if (body_only) {
		s.kind = 2;
		s.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
			O_CLOEXEC, 0600);
		if (s.fd < 0)
			goto fail;
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		s.kind = 1;
		if (maildir_deliver_open(&s.d, path) < 0)
			goto fail;
	} else {
		s.a = xmalloc(sizeof *s.a);
		envelope(m, i, sender, sizeof sender, &when);
		if (mbox_append_open(s.a, path, getuid(), MBOX_CREATE) < 0) {
			free(s.a);
			s.a = NULL;
			goto fail;
		}
		if (mbox_append_from(s.a, sender, when) < 0)
			goto fail;
	}
	if (mail_stream_msg(m, i, sink_put, &s) < 0 ||
			(s.inhdr && sink_header(&s) < 0))
		goto fail;
	if (s.kind == 0 && mbox_append_commit(s.a) < 0)
		goto fail;
	if (s.kind == 1 && maildir_deliver_commit(&s.d, NULL, 0) < 0)
		goto fail;
	if (s.kind == 2 && close(s.fd) < 0) {
		s.fd = -1;
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	printf("%s: %s\n", path, strerror(errno));
	if (s.a)
		mbox_append_abort(s.a);
	if (s.kind == 1)
		maildir_deliver_abort(&s.d);
	if (s.kind == 2 && s.fd >= 0)
		close(s.fd);
out:
	free(s.a);
	buf_free(&s.hdr);
	return rc;
}

int mail_close(struct mail *m, int save)
{
	char err[MAILBOX_ERR_MAX];
	size_t i, moved = 0, held = 0, failed = 0;
	int hold = mail_bool(m, "hold"), keepsave = mail_bool(m, "keepsave");

	if (!m->open)
		return 0;
	if (!save || m->rdonly) {
		mailbox_close(&m->mb);
		goto done;
	}
	for (i = 0; i < m->mb.n; i++) {
		struct mail_msg *mm = &m->msg[i];
		struct mailbox_msg *bm = &m->mb.msg[i];
		int read = (mm->flags & M_READ) || (bm->flags & MAILBOX_SEEN);

		if (mm->flags & M_DELETED) {
			bm->flags |= MAILBOX_DELETED;
			continue;
		}
		/* POSIX quit: saved messages leave the system mailbox
		 * unless keepsave */
		if (m->system && (mm->flags & M_SAVED) && !keepsave &&
				!(mm->flags & M_PRESERVE)) {
			bm->flags |= MAILBOX_DELETED;
			continue;
		}
		if (mm->flags & M_READ)
			bm->flags |= MAILBOX_SEEN;
		bm->flags |= MAILBOX_OLD;
		/* read messages go to ~/mbox unless hold or preserve */
		if (m->system && !(mm->flags & M_PRESERVE) &&
				((mm->flags & (M_MBOX | M_TOUCH)) ||
				(read && !hold))) {
			if (append_msg(m, i, m->mboxpath, 0) == 0) {
				bm->flags |= MAILBOX_DELETED;
				moved++;
			} else {
				failed++;
				held++;
			}
			continue;
		}
		held++;
	}
	if (mailbox_commit(&m->mb, err, sizeof err) < 0) {
		printf("%s\n", err);
		if (moved)
			printf("(%zu messages were copied to %s and are "
				"also still in %s)\n", moved, m->mboxpath,
				m->folder);
		m->exit_code = 1;
	} else {
		if (moved)
			printf("Saved %zu message%s in %s\n", moved,
				moved > 1 ? "s" : "", m->mboxpath);
		if (held && m->system)
			printf("Held %zu message%s in %s\n", held,
				held > 1 ? "s" : "", m->folder);
	}
	(void)failed;
done:
	for (i = 0; i < m->mb.n; i++) {
		free(m->msg[i].from);
		free(m->msg[i].fromaddr);
		free(m->msg[i].subject);
	}
	free(m->msg);
	m->msg = NULL;
	m->open = 0;
	/* the window belongs to the file just closed */
	m->win_len = 0;
	str_lcpy(m->prevfolder, m->folder, sizeof m->prevfolder);
	return 0;
}

/* Prints message I as type/print do, and marks it read. */
static void show(struct mail *m, size_t i, int all, long top)
{
	FILE *out = stdout;
	int pipefd[2] = { -1, -1 };
	pid_t pid = -1;
	const char *pager = mail_var(m, "PAGER");
	long crt = mail_num(m, "crt", -1);

	mail_scan(m, i);
	/* POSIX crt: long messages go through the pager */
	if (top < 0 && crt >= 0 && m->interactive &&
			m->msg[i].lines > (crt ? crt : m->rows) &&
			pipe(pipefd) == 0) {
		fflush(stdout);
		if ((pid = fork()) == 0) {
			dup2(pipefd[0], 0);
			close(pipefd[0]);
			close(pipefd[1]);
			execl("/bin/sh", "sh", "-c", pager && *pager ? pager :
				"more", (char *)NULL);
			_exit(127);
		}
		close(pipefd[0]);
		out = pid > 0 ? fdopen(pipefd[1], "w") : NULL;
		if (!out) {
			close(pipefd[1]);
			out = stdout;
		}
	}
	if (!mail_bool(m, "quiet") || 1)
		fprintf(out, "Message %zu:\n", i + 1);
	mail_print(m, i, out, all, top);
	if (out != stdout) {
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);

		fclose(out);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		signal(SIGPIPE, old);
	}
	if (top < 0) {
		m->msg[i].flags |= M_READ;
		m->mb.msg[i].flags |= MAILBOX_SEEN;
	}
	m->cur = i;
}

static long screen_size(const struct mail *m)
{
	long s = mail_num(m, "screen", 0);

	if (s > 0)
		return s;
	return m->tty && m->rows > 5 ? m->rows - 4 : 20;
}

static void headers_from(struct mail *m, size_t first)
{
	long s = screen_size(m), shown = 0;
	size_t i;

	for (i = first; i < m->mb.n && shown < s; i++) {
		if (is_deleted(m, i))
			continue;
		mail_headline(m, i, stdout);
		shown++;
	}
	if (!shown)
		puts("No more mail.");
}

static size_t page_start(struct mail *m, size_t i)
{
	long s = screen_size(m);

	return i / s * s;
}

/* The next message not deleted after (DIR 1) or before (-1) FROM; FROM
 * itself when there is none.  *OK says whether one was found. */
static size_t step(struct mail *m, size_t from, int dir, int *ok)
{
	size_t i = from;

	*ok = 0;
	for (;;) {
		if (dir > 0 && i + 1 >= m->mb.n)
			return from;
		if (dir < 0 && i == 0)
			return from;
		i += dir;
		if (!is_deleted(m, i)) {
			*ok = 1;
			return i;
		}
	}
}

/* The login of an address (for Save and followup file names). */
static void login_of(const char *addr, char *dst, size_t max)
{
	size_t n = strcspn(addr, "@%!");
	const char *bang = memchr(addr, '!', n);

	if (bang)
		addr = bang + 1, n = strcspn(addr, "@%");
	if (n >= max)
		n = max - 1;
	memcpy(dst, addr, n);
	dst[n] = 0;
	/* a sender's name never becomes a path */
	for (char *p = dst; *p; p++)
		if (*p == '/')
			*p = '_';
	if (!dst[0] || dst[0] == '.')
		str_lcpy(dst, "unknown", max);
}

static int c_save(struct mail *m, char **w, int n, int mode)
{
	/* mode: 's' save, 'c' copy, 'w' write, 'S' Save, 'C' Copy */
	unsigned char *sel;
	char path[4096], who[128];
	const char *file = NULL;
	size_t i, cnt = 0;
	int nl = n;

	if (!need_folder(m))
		return 0;
	if ((mode == 's' || mode == 'c' || mode == 'w') && n > 0 &&
			!(n == 1 && is_list_word(w[0]))) {
		file = w[n - 1];
		nl = n - 1;
	}
	sel = xmalloc(m->mb.n);
	if (msglist(m, w, nl, sel, 0) < 0) {
		free(sel);
		return 0;
	}
	if (mode == 'S' || mode == 'C') {
		/* the file is named after the first sender */
		for (i = 0; i < m->mb.n && !sel[i]; i++)
			;
		mail_scan(m, i);
		login_of(m->msg[i].fromaddr, who, sizeof who);
		snprintf(path, sizeof path, "+%s", who);
		if (!mail_bool(m, "outfolder") && !mail_var(m, "folder"))
			str_lcpy(path, who, sizeof path);
		file = path;
	}
	if (!file)
		file = mode == 'w' ? NULL : "&";
	if (!file) {
		puts("No file specified.");
		free(sel);
		return 0;
	}
	if (mail_expand_folder(m, file, path, sizeof path) < 0) {
		printf("%s: %s\n", file, strerror(errno));
		free(sel);
		return 0;
	}
	for (i = 0; i < m->mb.n; i++) {
		if (!sel[i])
			continue;
		if (append_msg(m, i, path, mode == 'w') < 0)
			break;
		cnt++;
		m->cur = i;
		if (mode != 'c' && mode != 'C')
			m->msg[i].flags |= M_SAVED | M_READ;
	}
	if (cnt)
		printf("\"%s\" %zu message%s\n", path, cnt, cnt > 1 ? "s" :
			"");
	free(sel);
	return 0;
}

/* The subject of a reply: "Re: " once (RFC 5322 3.6.5). */
static void reply_subject(struct buf *out, const char *s)
{
	while (*s == ' ')
		s++;
	if (strncasecmp(s, "re:", 3) != 0)
		buf_adds(out, "Re: ");
	buf_adds(out, s);
}

/* Whether ADDR is the user's own: the login name bare or at a local
 * name (this host's, class w of the sendmail.cf, localhost, as delivery
 * decides it), or one of the alternates. */
static int is_me(struct mail *m, const char *addr)
{
	const char *at = strchr(addr, '@');
	char login[128];

	if (mail_kv_find(m->alts, addr))
		return 1;
	login_of(addr, login, sizeof login);
	if (strcmp(login, m->user) != 0)
		return 0;
	return !at || strcasecmp(at + 1, m->host) == 0 ||
		local_is_local(mail_cf(m), addr, login, sizeof login) == 1;
}

/* Adds the addresses of LIST to OUT, leaving out the user's own (POSIX:
 * unless metoo). */
static void add_others(struct mail *m, struct buf *out, const char *list)
{
	struct msg_addr a;
	size_t n = strlen(list);

	while (msg_addr_next(&list, &n, &a)) {
		if (!a.addr[0])
			continue;
		if (!mail_bool(m, "metoo") && is_me(m, a.addr))
			continue;
		if (out->len)
			buf_adds(out, ", ");
		if (a.name[0] && strpbrk(a.name, "()<>[]:;@\\,.\""))
			buf_printf(out, "\"%s\" <%s>", a.name, a.addr);
		else if (a.name[0])
			buf_printf(out, "%s <%s>", a.name, a.addr);
		else
			buf_adds(out, a.addr);
	}
}

/* reply (ALL 1) and Reply (0): POSIX, with flipr swapping them. */
static int c_reply(struct mail *m, char **w, int n, int all, int record)
{
	struct mail_draft d;
	struct buf v = BUF_INIT(64 * 1024), id = BUF_INIT(4096);
	unsigned char *sel;
	size_t i;
	char saved_rec[4096] = "", who[128];
	const char *rec;
	int rc;

	if (!need_folder(m))
		return 0;
	if (mail_bool(m, "flipr"))
		all = !all;
	sel = xmalloc(m->mb.n);
	if (msglist(m, w, n, sel, 0) < 0) {
		free(sel);
		return 0;
	}
	for (i = 0; i < m->mb.n && !sel[i]; i++)
		;
	free(sel);
	m->cur = i;
	mail_draft_init(&d);
	/* RFC 5322 3.6.3: Reply-To when present, else From */
	if (mail_field(m, i, "Reply-To", &v) ||
			mail_field(m, i, "From", &v)) {
		struct buf t = BUF_INIT(64 * 1024);

		add_others(m, &t, buf_str(&v));
		/* replying to oneself still goes somewhere */
		if (!t.len)
			buf_add(&t, v.p, v.len);
		buf_add(&d.to, t.p ? t.p : "", t.len);
		buf_free(&t);
	}
	if (all) {
		buf_reset(&v);
		if (mail_field(m, i, "To", &v)) {
			struct buf t = BUF_INIT(64 * 1024);

			add_others(m, &t, buf_str(&v));
			if (t.len && d.to.len)
				buf_adds(&d.to, ", ");
			buf_add(&d.to, t.p ? t.p : "", t.len);
			buf_free(&t);
		}
		buf_reset(&v);
		if (mail_field(m, i, "Cc", &v))
			add_others(m, &d.cc, buf_str(&v));
	}
	mail_scan(m, i);
	reply_subject(&d.subject, m->msg[i].subject);
	/* RFC 5322 3.6.4: In-Reply-To and References */
	if (mail_field(m, i, "Message-ID", &id) && id.len < 1000) {
		buf_printf(&d.extra, "In-Reply-To: %s\n", buf_str(&id));
		buf_reset(&v);
		if (mail_field(m, i, "References", &v) && v.len < 8000)
			buf_printf(&d.extra, "References: %s %s\n",
				buf_str(&v), buf_str(&id));
		else
			buf_printf(&d.extra, "References: %s\n", buf_str(&id));
		/* the values are one line: unfolded and defanged */
		for (size_t k = 0; k < d.extra.len; k++)
			if (d.extra.p[k] == '\n' && k + 1 < d.extra.len &&
					strncmp(d.extra.p + k + 1, "References",
					10) && strncmp(d.extra.p + k + 1,
					"In-Reply", 8))
				d.extra.p[k] = ' ';
	}
	printf("To: %s\nSubject: %s\n", buf_str(&d.to), buf_str(&d.subject));
	if (d.cc.len)
		printf("Cc: %s\n", buf_str(&d.cc));
	if (record) {
		/* followup: a copy in the file named after the sender */
		mail_scan(m, i);
		login_of(m->msg[i].fromaddr, who, sizeof who);
		rec = mail_var(m, "record");
		if (rec)
			str_lcpy(saved_rec, rec, sizeof saved_rec);
		snprintf(saved_rec + 2048, 2048, "+%s", who);
		mail_set(m, "record", saved_rec + 2048);
	}
	rc = mail_compose(m, &d, 0);
	if (record) {
		if (rec)
			mail_set(m, "record", saved_rec);
		else
			mail_unset(m, "record");
	}
	if (rc == 0)
		m->mb.msg[i].flags |= MAILBOX_ANSWERED;
	mail_draft_free(&d);
	buf_free(&v);
	buf_free(&id);
	return 0;
}

static int c_mail(struct mail *m, char **w, int n)
{
	struct mail_draft d;
	int k;

	mail_draft_init(&d);
	for (k = 0; k < n; k++) {
		if (d.to.len)
			buf_adds(&d.to, ", ");
		buf_adds(&d.to, w[k]);
	}
	mail_compose(m, &d, n == 0);
	mail_draft_free(&d);
	return 0;
}

static void list_kv(const struct mail_kv *l, int values)
{
	for (; l; l = l->next)
		if (values && l->val[0])
			printf("%s\t%s\n", l->key, l->val);
		else
			printf("%s\n", l->key);
}

static int c_set(struct mail *m, char **w, int n)
{
	int k;
	char *eq;

	if (n == 0) {
		const struct mail_kv *kv;

		for (kv = m->vars; kv; kv = kv->next)
			printf("%s%s%s\n", kv->key, kv->val[0] ? "=" : "",
				kv->val[0] ? kv->val : "");
		return 0;
	}
	for (k = 0; k < n; k++) {
		if ((eq = strchr(w[k], '='))) {
			*eq = 0;
			mail_set(m, w[k], eq + 1);
		} else {
			mail_set(m, w[k], NULL);
		}
	}
	return 0;
}

static int c_alias(struct mail *m, char **w, int n)
{
	struct buf v = BUF_INIT(64 * 1024);
	const struct mail_kv *kv;
	int k;

	if (n == 0) {
		list_kv(m->aliases, 1);
		return 0;
	}
	if (n == 1) {
		if ((kv = mail_kv_find(m->aliases, w[0])))
			printf("%s\t%s\n", kv->key, kv->val);
		else
			printf("\"%s\": no such alias\n", w[0]);
		return 0;
	}
	/* POSIX: alias name address...: more names extend it */
	if ((kv = mail_kv_find(m->aliases, w[0])))
		buf_adds(&v, kv->val);
	for (k = 1; k < n; k++) {
		if (v.len)
			buf_adds(&v, ", ");
		buf_adds(&v, w[k]);
	}
	mail_kv_del(&m->aliases, w[0]);
	mail_kv_add(&m->aliases, w[0], buf_str(&v));
	buf_free(&v);
	return 0;
}

static int c_fields(struct mail *m, struct mail_kv **l, char **w, int n)
{
	int k;

	if (n == 0) {
		list_kv(*l, 0);
		return 0;
	}
	for (k = 0; k < n; k++) {
		str_lower(w[k]);
		if (!mail_kv_find(*l, w[k]))
			mail_kv_add(l, w[k], "");
	}
	return 0;
}

/* Runs "sh -c CMD" with message I on its stdin (pipe command). */
static void pipe_msg(struct mail *m, size_t i, const char *cmd)
{
	struct buf msg = BUF_INIT(MAIL_MSG_MAX);
	int pfd[2], st;
	pid_t pid;
	void (*old)(int);

	if (mail_read_msg(m, i, &msg) < 0 || pipe(pfd) < 0)
		goto out;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		close(pfd[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	old = signal(SIGPIPE, SIG_IGN);
	if (pid > 0)
		file_write_all(pfd[1], msg.p ? msg.p : "", msg.len);
	close(pfd[1]);
	signal(SIGPIPE, old);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
out:
	buf_free(&msg);
}

static int c_folder(struct mail *m, char **w, int n)
{
	char path[4096];

	if (n == 0) {
		size_t i, del = 0;

		if (!m->open) {
			puts("No file.");
			return 0;
		}
		for (i = 0; i < m->mb.n; i++)
			del += is_deleted(m, i);
		printf("\"%s\": %zu message%s", m->folder, m->mb.n,
			m->mb.n == 1 ? "" : "s");
		if (del)
			printf(" %zu deleted", del);
		printf("%s\n", m->rdonly ? " [Read only]" : "");
		return 0;
	}
	if (mail_expand_folder(m, w[0], path, sizeof path) < 0) {
		printf("%s: %s\n", w[0], strerror(errno));
		return 0;
	}
	mail_close(m, 1);
	{
		const char *mail = getenv("MAIL");
		char sys[4096];

		snprintf(sys, sizeof sys, "/var/mail/%s", m->user);
		if (mail_open(m, path, strcmp(path, mail && *mail ? mail :
				sys) == 0, 0) == 0 && m->mb.n)
			headers_from(m, page_start(m, m->cur));
	}
	return 0;
}

static int c_folders(struct mail *m)
{
	const char *fd = mail_var(m, "folder");
	char path[4096];
	DIR *d;
	struct dirent *e;

	if (!fd) {
		puts("No value set for \"folder\"");
		return 0;
	}
	if (mail_expand_folder(m, "+", path, sizeof path) < 0 ||
			!(d = opendir(path))) {
		printf("%s: %s\n", fd, strerror(errno));
		return 0;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf("%s\n", e->d_name);
	closedir(d);
	return 0;
}

static void help(void)
{
	fputs("    mail commands\n"
	"type <message list>		type messages (also print, p)\n"
	"Type <message list>		type messages with all header fields\n"
	"top <message list>		first toplines lines of messages\n"
	"next				goto and type next message\n"
	"headers [message]		header summary (z, z- for the next, "
		"previous screen)\n"
	"from <message list>		give head lines of messages\n"
	"delete <message list>		delete messages (dp, dt: and type "
		"the next)\n"
	"undelete <message list>		undelete messages\n"
	"save <message list> file	append messages to a file (copy: "
		"without marking them)\n"
	"Save <message list>		append to a file named after the sender\n"
	"write <message list> file	append the bodies only\n"
	"reply <message>			reply to the sender and all recipients\n"
	"Reply <message list>		reply to the senders only\n"
	"followup, Followup		reply, keeping a copy named after the "
		"sender\n"
	"mail addresses			mail to specific recipients\n"
	"preserve <message list>		keep in the system mailbox (hold)\n"
	"mbox <message list>		move to ~/mbox at quit\n"
	"parts <message>			list the MIME parts of a message\n"
	"savepart <message> part [file]	save a part (an attachment) decoded\n"
	"pipe <message list> command	pipe messages to a shell command\n"
	"folder [file]			change folder (+name, %, #, &)\n"
	"folders				list the folder directory\n"
	"set, unset, alias, unalias, ignore, retain, source, echo, cd, size\n"
	"!command			shell escape\n"
	"quit				quit, moving read messages to ~/mbox\n"
	"exit (xit, x)			quit, changing nothing\n"
	"\n"
	"A <message list> is numbers, ranges (1-5), *, $, ., ^, /subject,\n"
	"user, :n (new), :u (unread), :o (old), :r (read), :d (deleted).\n",
		stdout);
}

/* The commands, in the order their abbreviations resolve (POSIX gives
 * the shortest prefix of each). */
static const char *const commands[] = {
	"next", "alias", "alternates", "print", "preserve", "type", "Type",
	"Print", "visual", "top", "touch", "delete", "dp", "dt", "undelete",
	"unset", "mail", "mbox", "more", "page", "pipe", "parts", "quit",
	"reply", "Reply", "respond", "Respond", "edit", "echo", "exit", "else",
	"endif", "save", "Save", "set", "shell", "size", "source", "savepart",
	"copy", "Copy", "chdir", "cd", "from", "file", "folder", "folders",
	"followup", "Followup", "headers", "help", "hold", "ignore", "if",
	"discard", "retain", "unalias", "unignore", "unretain", "group",
	"list", "write", "xit", "z", "version", "inc", "newmail", NULL,
};

static const char *resolve(const char *w)
{
	size_t i, len = strlen(w);

	for (i = 0; commands[i]; i++)
		if (strcmp(commands[i], w) == 0)
			return commands[i];
	for (i = 0; commands[i]; i++)
		if (strncmp(commands[i], w, len) == 0)
			return commands[i];
	return NULL;
}

static int c_print_list(struct mail *m, char **w, int n, int all, long top)
{
	unsigned char *sel;
	size_t i;

	if (!need_folder(m))
		return 0;
	sel = xmalloc(m->mb.n);
	if (msglist(m, w, n, sel, 0) > 0)
		for (i = 0; i < m->mb.n; i++)
			if (sel[i])
				show(m, i, all, top);
	free(sel);
	return 0;
}

/* Sets or clears FLAG on the messages of the list. */
static int c_mark(struct mail *m, char **w, int n, unsigned flag, int set,
	int how)
{
	unsigned char *sel;
	size_t i, last = m->cur;

	if (!need_folder(m))
		return -1;
	sel = xmalloc(m->mb.n);
	if (msglist(m, w, n, sel, how) < 0) {
		free(sel);
		return -1;
	}
	for (i = 0; i < m->mb.n; i++) {
		if (!sel[i])
			continue;
		if (set)
			m->msg[i].flags |= flag;
		else
			m->msg[i].flags &= ~flag;
		if (!set && flag == M_DELETED)
			m->cur = i;
		last = i;
	}
	if (set && flag == M_DELETED) {
		int ok;

		m->cur = last;
		m->cur = step(m, last, 1, &ok);
		if (!ok)
			m->cur = step(m, last, -1, &ok);
	}
	free(sel);
	return 0;
}

static int c_savepart(struct mail *m, char **w, int n)
{
	unsigned long msgno = m->cur + 1, part;

	if (!need_folder(m))
		return 0;
	/* savepart [message] part [file] */
	if (n >= 2 && str_toul(w[0], m->mb.n, &msgno) == 0 &&
			str_toul(w[1], 100000, &part) == 0) {
		w += 2;
		n -= 2;
	} else if (n >= 1 && str_toul(w[0], 100000, &part) == 0) {
		w += 1;
		n -= 1;
	} else {
		puts("usage: savepart [message] part [file]");
		return 0;
	}
	if (msgno < 1 || msgno > m->mb.n) {
		puts("Invalid message number");
		return 0;
	}
	mail_savepart(m, msgno - 1, part, n ? w[0] : NULL);
	return 0;
}

/* if r|s ... else ... endif (POSIX: r receiving, s sending). */
static int conditional(struct mail *m, char **w, int n)
{
	if (strcmp(w[0], "if") == 0) {
		int truth = n > 1 && ((w[1][0] == 'r' && m->receiving) ||
			(w[1][0] == 's' && !m->receiving));

		m->cond_depth++;
		if (m->cond_skip)
			m->cond_skip++;
		else if (!truth)
			m->cond_skip = 1;
		return 1;
	}
	if (strcmp(w[0], "else") == 0) {
		if (!m->cond_depth)
			puts("\"else\" without matching \"if\"");
		else if (m->cond_skip == 1)
			m->cond_skip = 0;
		else if (!m->cond_skip)
			m->cond_skip = 1;
		return 1;
	}
	if (strcmp(w[0], "endif") == 0) {
		if (!m->cond_depth) {
			puts("\"endif\" without matching \"if\"");
			return 1;
		}
		m->cond_depth--;
		if (m->cond_skip)
			m->cond_skip--;
		return 1;
	}
	return 0;
}

int mail_command(struct mail *m, char *line)
{
	char *w[MAX_WORDS], *p = line, *rest, cmdname[32];
	const char *c;
	int n, ok;
	size_t k;
	unsigned long num;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!m->cond_skip && (*p == '!' || *p == '|')) {
		/* "!cmd" and "| cmd" take the rest of the line as is */
		if (*p == '!') {
			char *argv[] = { "sh", "-c", p + 1, NULL };
			pid_t pid;

			fflush(NULL);
			if ((pid = fork()) == 0) {
				execv("/bin/sh", argv);
				_exit(127);
			}
			while (pid > 0 && waitpid(pid, NULL, 0) < 0 &&
					errno == EINTR)
				;
			puts("!");
			return 0;
		}
		p++;
		str_lcpy(cmdname, "pipe", sizeof cmdname);
		c = "pipe";
		goto args;
	}
	/* the command word: letters, or one of the punctuation commands */
	for (k = 0; p[k] && !strchr(" \t0123456789", p[k]) && k + 1 <
			sizeof cmdname; k++) {
		cmdname[k] = p[k];
		if (!((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' &&
				p[k] <= 'Z'))) {
			k++;
			break;
		}
	}
	cmdname[k] = 0;
	p += k;
	if (m->cond_skip) {
		if (strcmp(cmdname, "if") == 0 || strcmp(cmdname, "else") == 0
				|| strcmp(cmdname, "endif") == 0) {
			char *cw[2] = { cmdname, p };

			while (*p == ' ')
				p++;
			conditional(m, cw, 2);
		}
		return 0;
	}
	c = NULL;
args:
	rest = p;
	n = mail_words(p, w, MAX_WORDS);
	if (!cmdname[0]) {
		/* a bare number types that message; an empty line the
		 * next (POSIX) */
		if (!m->open)
			return 0;
		if (n == 0) {
			if (!need_folder(m))
				return 0;
			if (!(m->msg[m->cur].flags & M_READ) &&
					!is_deleted(m, m->cur)) {
				show(m, m->cur, 0, -1);
				return 0;
			}
			k = step(m, m->cur, 1, &ok);
			if (!ok) {
				puts("At EOF");
				return 0;
			}
			show(m, k, 0, -1);
			return 0;
		}
		return c_print_list(m, w, n, 0, -1);
	}
	if (!c) {
		if (strcmp(cmdname, "?") == 0) {
			help();
			return 0;
		}
		if (strcmp(cmdname, "=") == 0) {
			printf("%zu\n", m->cur + 1);
			return 0;
		}
		if (strcmp(cmdname, "+") == 0 || strcmp(cmdname, "-") == 0) {
			if (!need_folder(m))
				return 0;
			k = step(m, m->cur, cmdname[0] == '+' ? 1 : -1, &ok);
			if (!ok)
				puts(cmdname[0] == '+' ? "At EOF" :
					"Referencing before 1");
			else
				show(m, k, 0, -1);
			return 0;
		}
		if (strcmp(cmdname, "#") == 0)
			return 0;
		if (!(c = resolve(cmdname))) {
			printf("Unknown command: \"%s\"\n", cmdname);
			return 0;
		}
	}
	if (strcmp(c, "if") == 0 || strcmp(c, "else") == 0 ||
			strcmp(c, "endif") == 0) {
		char *cw[2] = { (char *)c, n ? w[0] : (char *)"" };

		conditional(m, cw, n ? 2 : 1);
		return 0;
	}
	if (!strcmp(c, "type") || !strcmp(c, "print") || !strcmp(c, "more") ||
			!strcmp(c, "page"))
		return c_print_list(m, w, n, 0, -1);
	if (!strcmp(c, "Type") || !strcmp(c, "Print"))
		return c_print_list(m, w, n, 1, -1);
	if (!strcmp(c, "top"))
		return c_print_list(m, w, n, 0, mail_num(m, "toplines", 5));
	if (!strcmp(c, "next")) {
		if (!need_folder(m))
			return 0;
		if (n)
			return c_print_list(m, w, n, 0, -1);
		k = step(m, m->cur, 1, &ok);
		if (!ok && (m->msg[m->cur].flags & M_READ)) {
			puts("At EOF");
			return 0;
		}
		show(m, ok ? k : m->cur, 0, -1);
		return 0;
	}
	if (!strcmp(c, "headers")) {
		if (!need_folder(m))
			return 0;
		if (n && str_toul(w[0], m->mb.n, &num) == 0 && num > 0)
			m->cur = num - 1;
		headers_from(m, page_start(m, m->cur));
		return 0;
	}
	if (!strcmp(c, "z")) {
		long s = screen_size(m);
		size_t start;

		if (!need_folder(m))
			return 0;
		start = page_start(m, m->cur);
		if (n && w[0][0] == '-')
			start = start >= (size_t)s ? start - s : 0;
		else if (start + s < m->mb.n)
			start += s;
		else {
			puts("On last screenful of messages");
			return 0;
		}
		m->cur = start;
		headers_from(m, start);
		return 0;
	}
	if (!strcmp(c, "from")) {
		unsigned char *sel;

		if (!need_folder(m))
			return 0;
		sel = xmalloc(m->mb.n);
		if (msglist(m, w, n, sel, 0) > 0)
			for (k = 0; k < m->mb.n; k++)
				if (sel[k])
					mail_headline(m, k, stdout);
		free(sel);
		return 0;
	}
	if (!strcmp(c, "delete")) {
		c_mark(m, w, n, M_DELETED, 1, 0);
		return 0;
	}
	if (!strcmp(c, "dp") || !strcmp(c, "dt")) {
		size_t before = m->cur;

		if (c_mark(m, w, n, M_DELETED, 1, 0) == 0) {
			if (is_deleted(m, m->cur) || m->cur == before)
				puts("At EOF");
			else
				show(m, m->cur, 0, -1);
		}
		return 0;
	}
	if (!strcmp(c, "undelete")) {
		c_mark(m, w, n, M_DELETED, 0, L_DELETED);
		return 0;
	}
	if (!strcmp(c, "preserve") || !strcmp(c, "hold")) {
		c_mark(m, w, n, M_PRESERVE, 1, 0);
		return 0;
	}
	if (!strcmp(c, "mbox")) {
		c_mark(m, w, n, M_MBOX, 1, 0);
		return 0;
	}
	if (!strcmp(c, "touch")) {
		c_mark(m, w, n, M_TOUCH, 1, 0);
		return 0;
	}
	if (!strcmp(c, "save"))
		return c_save(m, w, n, 's');
	if (!strcmp(c, "Save"))
		return c_save(m, w, n, 'S');
	if (!strcmp(c, "copy"))
		return c_save(m, w, n, 'c');
	if (!strcmp(c, "Copy"))
		return c_save(m, w, n, 'C');
	if (!strcmp(c, "write"))
		return c_save(m, w, n, 'w');
	if (!strcmp(c, "reply") || !strcmp(c, "respond"))
		return c_reply(m, w, n, 1, 0);
	if (!strcmp(c, "Reply") || !strcmp(c, "Respond"))
		return c_reply(m, w, n, 0, 0);
	if (!strcmp(c, "followup") || !strcmp(c, "Followup"))
		return c_reply(m, w, n, 0, 1);
	if (!strcmp(c, "mail"))
		return c_mail(m, w, n);
	if (!strcmp(c, "set"))
		return c_set(m, w, n);
	if (!strcmp(c, "unset")) {
		for (k = 0; k < (size_t)n; k++)
			mail_unset(m, w[k]);
		return 0;
	}
	if (!strcmp(c, "alias") || !strcmp(c, "group"))
		return c_alias(m, w, n);
	if (!strcmp(c, "unalias")) {
		for (k = 0; k < (size_t)n; k++)
			mail_kv_del(&m->aliases, w[k]);
		return 0;
	}
	if (!strcmp(c, "alternates")) {
		if (!n)
			list_kv(m->alts, 0);
		for (k = 0; k < (size_t)n; k++)
			mail_kv_add(&m->alts, w[k], "");
		return 0;
	}
	if (!strcmp(c, "ignore") || !strcmp(c, "discard"))
		return c_fields(m, &m->ignore, w, n);
	if (!strcmp(c, "retain"))
		return c_fields(m, &m->retain, w, n);
	if (!strcmp(c, "unignore") || !strcmp(c, "unretain")) {
		for (k = 0; k < (size_t)n; k++)
			mail_kv_del(c[2] == 'i' ? &m->ignore : &m->retain,
				str_lower(w[k]));
		return 0;
	}
	if (!strcmp(c, "source")) {
		char path[4096];

		if (n && mail_expand_folder(m, w[0], path, sizeof path) == 0 &&
				mail_source(m, path) < 0 && errno == ENOENT)
			printf("%s: %s\n", w[0], strerror(ENOENT));
		return 0;
	}
	if (!strcmp(c, "echo")) {
		for (k = 0; k < (size_t)n; k++)
			printf("%s%s", k ? " " : "", w[k]);
		putchar('\n');
		return 0;
	}
	if (!strcmp(c, "cd") || !strcmp(c, "chdir")) {
		char path[4096];

		if (mail_expand_folder(m, n ? w[0] : "~", path, sizeof path) <
				0 || chdir(path) < 0)
			printf("%s: %s\n", n ? w[0] : m->home, strerror(errno));
		return 0;
	}
	if (!strcmp(c, "size")) {
		unsigned char *sel;

		if (!need_folder(m))
			return 0;
		sel = xmalloc(m->mb.n);
		if (msglist(m, w, n, sel, 0) > 0)
			for (k = 0; k < m->mb.n; k++)
				if (sel[k]) {
					mail_scan(m, k);
					printf("%zu: %lld\n", k + 1,
						m->msg[k].bytes);
				}
		free(sel);
		return 0;
	}
	if (!strcmp(c, "pipe")) {
		unsigned char *sel;
		const char *cmd = mail_var(m, "cmd");
		int nl = n;

		if (!need_folder(m))
			return 0;
		/* pipe [msglist] command: the command is the rest after
		 * the list words */
		for (k = 0; k < (size_t)n && is_list_word(w[k]); k++)
			;
		nl = k;
		if (k < (size_t)n) {
			/* find the command in the original text */
			char *q = rest;
			size_t skip;

			for (skip = 0; skip < k; skip++) {
				q += strspn(q, " \t");
				q += strcspn(q, " \t");
			}
			q += strspn(q, " \t");
			cmd = q;
		}
		if (!cmd || !*cmd) {
			puts("No command to pipe to");
			return 0;
		}
		sel = xmalloc(m->mb.n);
		if (msglist(m, w, nl, sel, 0) > 0)
			for (k = 0; k < m->mb.n; k++)
				if (sel[k])
					pipe_msg(m, k, cmd);
		free(sel);
		return 0;
	}
	if (!strcmp(c, "folder") || !strcmp(c, "file"))
		return c_folder(m, w, n);
	if (!strcmp(c, "folders"))
		return c_folders(m);
	if (!strcmp(c, "parts")) {
		if (need_folder(m)) {
			k = m->cur;
			if (n && str_toul(w[0], m->mb.n, &num) == 0 && num > 0)
				k = num - 1;
			mail_parts(m, k, stdout);
		}
		return 0;
	}
	if (!strcmp(c, "savepart"))
		return c_savepart(m, w, n);
	if (!strcmp(c, "help")) {
		help();
		return 0;
	}
	if (!strcmp(c, "list")) {
		for (k = 0; commands[k]; k++)
			printf("%s%s", commands[k], commands[k + 1] ? " " :
				"\n");
		return 0;
	}
	if (!strcmp(c, "version")) {
		puts("postbox mail (POSIX mailx)");
		return 0;
	}
	if (!strcmp(c, "inc") || !strcmp(c, "newmail")) {
		puts("No new mail (quit and start again to see it)");
		return 0;
	}
	if (!strcmp(c, "quit")) {
		if (m->rcdepth)
			return 0;
		mail_close(m, 1);
		return 1;
	}
	if (!strcmp(c, "exit") || !strcmp(c, "xit")) {
		if (m->rcdepth)
			return 0;
		mail_close(m, 0);
		return 1;
	}
	if (!strcmp(c, "edit") || !strcmp(c, "visual") ||
			!strcmp(c, "shell")) {
		const char *prog = mail_var(m, !strcmp(c, "shell") ? "SHELL" :
			c[0] == 'e' ? "EDITOR" : "VISUAL");
		char *argv[3] = { NULL, NULL, NULL };
		pid_t pid;

		if (strcmp(c, "shell") != 0) {
			puts("edit: messages are not edited in place; use "
				"save, then edit the copy");
			return 0;
		}
		argv[0] = (char *)(prog && *prog ? prog : "/bin/sh");
		fflush(NULL);
		if ((pid = fork()) == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return 0;
	}
	printf("Unknown command: \"%s\"\n", cmdname);
	return 0;
}

int mail_loop(struct mail *m)
{
	char line[MAIL_LINE_MAX];
	const char *prompt;
	size_t len;

	for (;;) {
		if (m->interactive) {
			prompt = mail_var(m, "prompt");
			fputs(prompt ? prompt : "& ", stdout);
			fflush(stdout);
		}
		if (m->interactive)
			mail_catch_int(m, 1);
		if (!fgets(line, sizeof line, stdin)) {
			if (m->interactive && mail_interrupted()) {
				/* an interrupt at the prompt: a new prompt */
				clearerr(stdin);
				putchar('\n');
				continue;
			}
			/* end of input is quit (POSIX), unless ignoreeof */
			if (m->interactive && mail_bool(m, "ignoreeof")) {
				clearerr(stdin);
				puts("Use \"quit\" to quit.");
				continue;
			}
			if (m->interactive)
				putchar('\n');
			mail_close(m, 1);
			return m->exit_code;
		}
		len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (m->interactive)
			mail_catch_int(m, 0);
		if (mail_command(m, line))
			return m->exit_code;
		fflush(stdout);
	}
}
