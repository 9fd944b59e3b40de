/*
 * mail's folder session and its commands (POSIX mailx "Commands in
 * mailx", "Message Lists").  The folder is read and rewritten through
 * the shared reader (libmini/mailbox.c): its session lock, its rewrite by
 * rename under the delivery locks that keeps mail delivered meanwhile,
 * and Maildir's new/ to cur/ with ":2," flags.
 */
#define _GNU_SOURCE
#include "mail.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio_ext.h>
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

/* What a command takes (POSIX mailx "Commands in mailx"). */
enum {
	A_NONE,		/* nothing (words after it are ignored) */
	A_MSGS,		/* a message list: selected before the handler runs */
	A_DELMSGS,	/* a message list of deleted messages (undelete) */
	A_STR,		/* words: names, addresses, variables, or a
			 * message list the handler reads (next, pipe) */
	A_FILE,		/* words ending in a file name (+name, %, #, &) */
	A_RAW,		/* the rest of the line as typed (!command) */
};

struct mail_cmd;

/* What a handler gets: the words of the line after the command word,
 * that text (split in place into the words, except for A_RAW), and for
 * A_MSGS and A_DELMSGS the messages selected (one flag per message). */
struct cmd_args {
	const struct mail_cmd *cmd;
	char **w;
	int n;
	char *rest;
	unsigned char *sel;
};

/* A command: the name, the length of its shortest abbreviation (a
 * longer prefix of the name also selects it), what it takes, a value
 * for the handler (a mode or a flag), and the handler, which returns 1
 * to leave the session (quit, exit), else 0. */
struct mail_cmd {
	char name[12];			/* the longest is "alternates" */
	unsigned char abbrev;
	unsigned char arg;
	signed char param;
	int (*run)(struct mail *m, const struct cmd_args *a);
};

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

static int c_save(struct mail *m, const struct cmd_args *a)
{
	/* mode: 's' save, 'c' copy, 'w' write, 'S' Save, 'C' Copy */
	unsigned char *sel;
	char path[4096], who[128], **w = a->w;
	const char *file = NULL;
	size_t i, cnt = 0;
	int n = a->n, nl = n, mode = a->cmd->param;

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

/* reply (R_ALL) and Reply: POSIX, with flipr swapping them; followup
 * and Followup (R_RECORD) keep a copy named after the sender. */
#define R_ALL		1
#define R_RECORD	2
static int c_reply(struct mail *m, const struct cmd_args *a)
{
	struct mail_draft d;
	struct buf v = BUF_INIT(64 * 1024), id = BUF_INIT(4096);
	size_t i;
	char saved_rec[4096] = "", who[128];
	const char *rec;
	int rc, all = a->cmd->param & R_ALL, record = a->cmd->param & R_RECORD;

	if (mail_bool(m, "flipr"))
		all = !all;
	for (i = 0; i < m->mb.n && !a->sel[i]; i++)
		;
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

static int c_mail(struct mail *m, const struct cmd_args *a)
{
	struct mail_draft d;
	char **w = a->w;
	int k, n = a->n;

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

static int c_set(struct mail *m, const struct cmd_args *a)
{
	int k, n = a->n;
	char *eq, **w = a->w;

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

static int c_alias(struct mail *m, const struct cmd_args *a)
{
	struct buf v = BUF_INIT(64 * 1024);
	const struct mail_kv *kv;
	char **w = a->w;
	int k, n = a->n;

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

/* ignore, discard (PARAM 'i') and retain: list or add header fields. */
static int c_fields(struct mail *m, const struct cmd_args *a)
{
	struct mail_kv **l = a->cmd->param == 'i' ? &m->ignore : &m->retain;
	char **w = a->w;
	int k, n = a->n;

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

static int c_folder(struct mail *m, const struct cmd_args *a)
{
	char path[4096], **w = a->w;
	int n = a->n;

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

static int c_folders(struct mail *m, const struct cmd_args *a)
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

static int c_help(struct mail *m, const struct cmd_args *a)
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
	return 0;
}

/* Selects the messages the words W[0..N) name (HOW as msglist's): one
 * flag per message for the caller to free, or NULL after a message. */
static unsigned char *select_msgs(struct mail *m, char **w, int n, int how)
{
	unsigned char *sel;

	if (!need_folder(m))
		return NULL;
	sel = xmalloc(m->mb.n);
	if (msglist(m, w, n, sel, how) < 0) {
		free(sel);
		return NULL;
	}
	return sel;
}

static void show_list(struct mail *m, const unsigned char *sel, int all,
	long top)
{
	size_t i;

	for (i = 0; i < m->mb.n; i++)
		if (sel[i])
			show(m, i, all, top);
}

static int c_print_list(struct mail *m, char **w, int n, int all, long top)
{
	unsigned char *sel = select_msgs(m, w, n, 0);

	if (sel)
		show_list(m, sel, all, top);
	free(sel);
	return 0;
}

/* type, print, more, page (PARAM 0); Type, Print (1): all fields. */
static int c_type(struct mail *m, const struct cmd_args *a)
{
	show_list(m, a->sel, a->cmd->param, -1);
	return 0;
}

static int c_top(struct mail *m, const struct cmd_args *a)
{
	show_list(m, a->sel, 0, mail_num(m, "toplines", 5));
	return 0;
}

/* An empty line types the next message, a bare list those (POSIX). */
static int c_default(struct mail *m, const struct cmd_args *a)
{
	size_t k;
	int ok;

	if (!m->open)
		return 0;
	if (a->n)
		return c_print_list(m, a->w, a->n, 0, -1);
	if (!need_folder(m))
		return 0;
	if (!(m->msg[m->cur].flags & M_READ) && !is_deleted(m, m->cur)) {
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

static int c_next(struct mail *m, const struct cmd_args *a)
{
	size_t k;
	int ok;

	if (!need_folder(m))
		return 0;
	if (a->n)
		return c_print_list(m, a->w, a->n, 0, -1);
	k = step(m, m->cur, 1, &ok);
	if (!ok && (m->msg[m->cur].flags & M_READ)) {
		puts("At EOF");
		return 0;
	}
	show(m, ok ? k : m->cur, 0, -1);
	return 0;
}

/* "+" and "-" (PARAM the direction): the next or previous message. */
static int c_step(struct mail *m, const struct cmd_args *a)
{
	size_t k;
	int ok;

	if (!need_folder(m))
		return 0;
	k = step(m, m->cur, a->cmd->param, &ok);
	if (!ok)
		puts(a->cmd->param > 0 ? "At EOF" : "Referencing before 1");
	else
		show(m, k, 0, -1);
	return 0;
}

static int c_current(struct mail *m, const struct cmd_args *a)
{
	printf("%zu\n", m->cur + 1);
	return 0;
}

static int c_comment(struct mail *m, const struct cmd_args *a)
{
	return 0;
}

static int c_headers(struct mail *m, const struct cmd_args *a)
{
	unsigned long num;

	if (!need_folder(m))
		return 0;
	if (a->n && str_toul(a->w[0], m->mb.n, &num) == 0 && num > 0)
		m->cur = num - 1;
	headers_from(m, page_start(m, m->cur));
	return 0;
}

/* z: the next screenful of headers, "z -" the previous one. */
static int c_z(struct mail *m, const struct cmd_args *a)
{
	long s = screen_size(m);
	size_t start;

	if (!need_folder(m))
		return 0;
	start = page_start(m, m->cur);
	if (a->n && a->w[0][0] == '-')
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

static int c_from(struct mail *m, const struct cmd_args *a)
{
	size_t k;

	for (k = 0; k < m->mb.n; k++)
		if (a->sel[k])
			mail_headline(m, k, stdout);
	return 0;
}

static int c_size(struct mail *m, const struct cmd_args *a)
{
	size_t k;

	for (k = 0; k < m->mb.n; k++)
		if (a->sel[k]) {
			mail_scan(m, k);
			printf("%zu: %lld\n", k + 1, m->msg[k].bytes);
		}
	return 0;
}

/* Sets or clears FLAG on the messages selected.  Deleting moves the
 * current message to the next one kept (else the previous one);
 * undeleting makes the last one undeleted current. */
static void mark_msgs(struct mail *m, const unsigned char *sel,
	unsigned flag, int set)
{
	size_t i, last = m->cur;

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
}

static int c_delete(struct mail *m, const struct cmd_args *a)
{
	mark_msgs(m, a->sel, M_DELETED, 1);
	return 0;
}

/* dp, dt: delete, then type the new current message. */
static int c_delete_type(struct mail *m, const struct cmd_args *a)
{
	size_t before = m->cur;

	mark_msgs(m, a->sel, M_DELETED, 1);
	if (is_deleted(m, m->cur) || m->cur == before)
		puts("At EOF");
	else
		show(m, m->cur, 0, -1);
	return 0;
}

static int c_undelete(struct mail *m, const struct cmd_args *a)
{
	mark_msgs(m, a->sel, M_DELETED, 0);
	return 0;
}

/* preserve, hold, mbox, touch: PARAM is the flag they set. */
static int c_mark(struct mail *m, const struct cmd_args *a)
{
	mark_msgs(m, a->sel, a->cmd->param, 1);
	return 0;
}

static int c_unset(struct mail *m, const struct cmd_args *a)
{
	int k;

	for (k = 0; k < a->n; k++)
		mail_unset(m, a->w[k]);
	return 0;
}

static int c_unalias(struct mail *m, const struct cmd_args *a)
{
	int k;

	for (k = 0; k < a->n; k++)
		mail_kv_del(&m->aliases, a->w[k]);
	return 0;
}

static int c_alternates(struct mail *m, const struct cmd_args *a)
{
	int k;

	if (!a->n)
		list_kv(m->alts, 0);
	for (k = 0; k < a->n; k++)
		mail_kv_add(&m->alts, a->w[k], "");
	return 0;
}

/* unignore (PARAM 'i') and unretain. */
static int c_unfields(struct mail *m, const struct cmd_args *a)
{
	int k;

	for (k = 0; k < a->n; k++)
		mail_kv_del(a->cmd->param == 'i' ? &m->ignore : &m->retain,
			str_lower(a->w[k]));
	return 0;
}

static int c_source(struct mail *m, const struct cmd_args *a)
{
	char path[4096];

	if (a->n && mail_expand_folder(m, a->w[0], path, sizeof path) == 0 &&
			mail_source(m, path) < 0 && errno == ENOENT)
		printf("%s: %s\n", a->w[0], strerror(ENOENT));
	return 0;
}

static int c_echo(struct mail *m, const struct cmd_args *a)
{
	int k;

	for (k = 0; k < a->n; k++)
		printf("%s%s", k ? " " : "", a->w[k]);
	putchar('\n');
	return 0;
}

static int c_cd(struct mail *m, const struct cmd_args *a)
{
	char path[4096];

	if (mail_expand_folder(m, a->n ? a->w[0] : "~", path, sizeof path) <
			0 || chdir(path) < 0)
		printf("%s: %s\n", a->n ? a->w[0] : m->home, strerror(errno));
	return 0;
}

/* pipe [msglist] command, "| [msglist] command": the command is the
 * text after the list words, else the cmd variable. */
static int c_pipe(struct mail *m, const struct cmd_args *a)
{
	unsigned char *sel;
	const char *cmd = mail_var(m, "cmd");
	size_t k;

	if (!need_folder(m))
		return 0;
	for (k = 0; k < (size_t)a->n && is_list_word(a->w[k]); k++)
		;
	if (k < (size_t)a->n) {
		/* find the command in the original text */
		char *q = a->rest;
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
	if (msglist(m, a->w, k, sel, 0) > 0)
		for (k = 0; k < m->mb.n; k++)
			if (sel[k])
				pipe_msg(m, k, cmd);
	free(sel);
	return 0;
}

static int c_parts(struct mail *m, const struct cmd_args *a)
{
	unsigned long num;
	size_t k;

	if (need_folder(m)) {
		k = m->cur;
		if (a->n && str_toul(a->w[0], m->mb.n, &num) == 0 && num > 0)
			k = num - 1;
		mail_parts(m, k, stdout);
	}
	return 0;
}

static int c_savepart(struct mail *m, const struct cmd_args *a)
{
	unsigned long msgno = m->cur + 1, part;
	char **w = a->w;
	int n = a->n;

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

/* if r|s ... else ... endif (POSIX: r receiving, s sending).  W[0] is
 * the command's full name. */
static void conditional(struct mail *m, char **w, int n)
{
	if (strcmp(w[0], "if") == 0) {
		int truth = n > 1 && ((w[1][0] == 'r' && m->receiving) ||
			(w[1][0] == 's' && !m->receiving));

		m->cond_depth++;
		if (m->cond_skip)
			m->cond_skip++;
		else if (!truth)
			m->cond_skip = 1;
	} else if (strcmp(w[0], "else") == 0) {
		if (!m->cond_depth)
			puts("\"else\" without matching \"if\"");
		else if (m->cond_skip == 1)
			m->cond_skip = 0;
		else if (!m->cond_skip)
			m->cond_skip = 1;
	} else if (!m->cond_depth) {
		puts("\"endif\" without matching \"if\"");
	} else {
		m->cond_depth--;
		if (m->cond_skip)
			m->cond_skip--;
	}
}

static int c_cond(struct mail *m, const struct cmd_args *a)
{
	char *cw[2] = { (char *)a->cmd->name, a->n ? a->w[0] : (char *)"" };

	conditional(m, cw, a->n ? 2 : 1);
	return 0;
}

/* Runs PROG (ARGV[0]) and waits for it, output flushed first. */
static void run_wait(const char *prog, char **argv)
{
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		execv(prog, argv);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* "!command": the rest of the line, as typed, to sh -c. */
static int c_escape(struct mail *m, const struct cmd_args *a)
{
	char *argv[] = { "sh", "-c", a->rest, NULL };

	run_wait("/bin/sh", argv);
	puts("!");
	return 0;
}

static int c_shell(struct mail *m, const struct cmd_args *a)
{
	const char *prog = mail_var(m, "SHELL");
	char *argv[2] = { (char *)(prog && *prog ? prog : "/bin/sh"), NULL };

	run_wait(argv[0], argv);
	return 0;
}

/* edit, visual: messages are not edited in place. */
static int c_edit(struct mail *m, const struct cmd_args *a)
{
	puts("edit: messages are not edited in place; use save, then edit "
		"the copy");
	return 0;
}

static int c_version(struct mail *m, const struct cmd_args *a)
{
	puts("postbox mail (POSIX mailx)");
	return 0;
}

static int c_inc(struct mail *m, const struct cmd_args *a)
{
	puts("No new mail (quit and start again to see it)");
	return 0;
}

/* quit (PARAM 1: read messages to ~/mbox) and exit, xit (0: nothing
 * changed); ignored inside a start-up file. */
static int c_quit(struct mail *m, const struct cmd_args *a)
{
	if (m->rcdepth)
		return 0;
	mail_close(m, a->cmd->param);
	return 1;
}

/* c_list prints the table that names it. */
static int c_list(struct mail *m, const struct cmd_args *a);

/* The commands (POSIX mailx "Commands in mailx") and the length of the
 * shortest abbreviation of each.  Where names share a prefix, it selects
 * the earlier one of this list: p print, pre preserve, pa page, par
 * parts, s save, se set, fo folder (not followup: foll), F Followup.  No
 * word selects two commands.  list prints the names in this order; the
 * punctuation commands come last. */
static const struct mail_cmd cmdtab[] = {
	{ "next", 1, A_STR, 0, c_next },
	{ "alias", 1, A_STR, 0, c_alias },
	{ "alternates", 3, A_STR, 0, c_alternates },
	{ "print", 1, A_MSGS, 0, c_type },
	{ "preserve", 3, A_MSGS, M_PRESERVE, c_mark },
	{ "type", 1, A_MSGS, 0, c_type },
	{ "Type", 1, A_MSGS, 1, c_type },
	{ "Print", 1, A_MSGS, 1, c_type },
	{ "visual", 1, A_NONE, 0, c_edit },
	{ "top", 2, A_MSGS, 0, c_top },
	{ "touch", 3, A_MSGS, M_TOUCH, c_mark },
	{ "delete", 1, A_MSGS, 0, c_delete },
	{ "dp", 2, A_MSGS, 0, c_delete_type },
	{ "dt", 2, A_MSGS, 0, c_delete_type },
	{ "undelete", 1, A_DELMSGS, 0, c_undelete },
	{ "unset", 3, A_STR, 0, c_unset },
	{ "mail", 1, A_STR, 0, c_mail },
	{ "mbox", 2, A_MSGS, M_MBOX, c_mark },
	{ "more", 2, A_MSGS, 0, c_type },
	{ "page", 2, A_MSGS, 0, c_type },
	{ "pipe", 2, A_STR, 0, c_pipe },
	{ "parts", 3, A_STR, 0, c_parts },
	{ "quit", 1, A_NONE, 1, c_quit },
	{ "reply", 1, A_MSGS, R_ALL, c_reply },
	{ "Reply", 1, A_MSGS, 0, c_reply },
	{ "respond", 3, A_MSGS, R_ALL, c_reply },
	{ "Respond", 3, A_MSGS, 0, c_reply },
	{ "edit", 1, A_NONE, 0, c_edit },
	{ "echo", 2, A_STR, 0, c_echo },
	{ "exit", 2, A_NONE, 0, c_quit },
	{ "else", 2, A_STR, 0, c_cond },
	{ "endif", 2, A_STR, 0, c_cond },
	{ "save", 1, A_FILE, 's', c_save },
	{ "Save", 1, A_FILE, 'S', c_save },
	{ "set", 2, A_STR, 0, c_set },
	{ "shell", 2, A_NONE, 0, c_shell },
	{ "size", 2, A_MSGS, 0, c_size },
	{ "source", 2, A_FILE, 0, c_source },
	{ "savepart", 5, A_FILE, 0, c_savepart },
	{ "copy", 1, A_FILE, 'c', c_save },
	{ "Copy", 1, A_FILE, 'C', c_save },
	{ "chdir", 2, A_FILE, 0, c_cd },
	{ "cd", 2, A_FILE, 0, c_cd },
	{ "from", 1, A_MSGS, 0, c_from },
	{ "file", 2, A_FILE, 0, c_folder },
	{ "folder", 2, A_FILE, 0, c_folder },
	{ "folders", 7, A_NONE, 0, c_folders },
	{ "followup", 4, A_MSGS, R_RECORD, c_reply },
	{ "Followup", 1, A_MSGS, R_RECORD, c_reply },
	{ "headers", 1, A_STR, 0, c_headers },
	{ "help", 3, A_NONE, 0, c_help },
	{ "hold", 2, A_MSGS, M_PRESERVE, c_mark },
	{ "ignore", 1, A_STR, 'i', c_fields },
	{ "if", 2, A_STR, 0, c_cond },
	{ "discard", 2, A_STR, 'i', c_fields },
	{ "retain", 3, A_STR, 'r', c_fields },
	{ "unalias", 3, A_STR, 0, c_unalias },
	{ "unignore", 3, A_STR, 'i', c_unfields },
	{ "unretain", 3, A_STR, 'r', c_unfields },
	{ "group", 1, A_STR, 0, c_alias },
	{ "list", 1, A_NONE, 0, c_list },
	{ "write", 1, A_FILE, 'w', c_save },
	{ "xit", 1, A_NONE, 0, c_quit },
	{ "z", 1, A_STR, 0, c_z },
	{ "version", 2, A_NONE, 0, c_version },
	{ "inc", 2, A_NONE, 0, c_inc },
	{ "newmail", 3, A_NONE, 0, c_inc },
	{ "?", 1, A_NONE, 0, c_help },
	{ "=", 1, A_NONE, 0, c_current },
	{ "+", 1, A_NONE, 1, c_step },
	{ "-", 1, A_NONE, -1, c_step },
	{ "#", 1, A_NONE, 0, c_comment },
	{ "!", 1, A_RAW, 0, c_escape },
	{ "|", 1, A_STR, 0, c_pipe },
};

static int c_list(struct mail *m, const struct cmd_args *a)
{
	size_t k;

	for (k = 0; k < sizeof cmdtab / sizeof *cmdtab; k++)
		if (isalpha((unsigned char)cmdtab[k].name[0]))
			printf("%s%s", k ? " " : "", cmdtab[k].name);
	putchar('\n');
	return 0;
}

/* The command WORD names: the one with that name, else the one whose
 * abbreviation WORD is or extends (the abbreviations are such that at
 * most one matches); NULL when none. */
static const struct mail_cmd *resolve(const char *word)
{
	size_t k, len = strlen(word);

	for (k = 0; k < sizeof cmdtab / sizeof *cmdtab; k++)
		if (len >= cmdtab[k].abbrev &&
				strncmp(cmdtab[k].name, word, len) == 0)
			return &cmdtab[k];
	return NULL;
}

/* The command word at the start of P into NAME: letters, or letters
 * ending in one other character ("=", "x-"), or that one character;
 * a digit or a blank ends it.  Returns its length. */
static size_t command_word(const char *p, char *name, size_t max)
{
	size_t k;

	for (k = 0; p[k] && !strchr(" \t0123456789", p[k]) && k + 1 < max;
			k++) {
		name[k] = p[k];
		if (!((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' &&
				p[k] <= 'Z'))) {
			k++;
			break;
		}
	}
	name[k] = 0;
	return k;
}

/* Inside a false if: only if, else and endif (in full) count. */
static void skip_line(struct mail *m, char *name, char *p)
{
	if (strcmp(name, "if") == 0 || strcmp(name, "else") == 0 ||
			strcmp(name, "endif") == 0) {
		char *cw[2] = { name, p };

		while (*p == ' ')
			p++;
		conditional(m, cw, 2);
	}
}

int mail_command(struct mail *m, char *line)
{
	char *w[MAX_WORDS], *p = line, name[32], rest[MAIL_LINE_MAX];
	struct cmd_args a = { NULL, w, 0, NULL, NULL };
	int ret;

	while (*p == ' ' || *p == '\t')
		p++;
	p += command_word(p, name, sizeof name);
	if (m->cond_skip) {
		skip_line(m, name, p);
		return 0;
	}
	a.rest = p;
	if (name[0] && !(a.cmd = resolve(name))) {
		printf("Unknown command: \"%s\"\n", name);
		return 0;
	}
	if (a.cmd && a.cmd->arg == A_RAW)
		return a.cmd->run(m, &a);
	/* the words are split in place: rest keeps the text (pipe's
	 * command after its message list) */
	str_lcpy(rest, p, sizeof rest);
	a.rest = rest;
	a.n = mail_words(p, w, MAX_WORDS);
	if (!a.cmd)
		return c_default(m, &a);
	if (a.cmd->arg == A_MSGS || a.cmd->arg == A_DELMSGS) {
		a.sel = select_msgs(m, w, a.n,
			a.cmd->arg == A_DELMSGS ? L_DELETED : 0);
		if (!a.sel)
			return 0;
	}
	ret = a.cmd->run(m, &a);
	free(a.sel);
	return ret;
}

/* Waits at the prompt until stdin has input (1) or an interrupt came
 * (0).  SIGINT is blocked from before the prompt is shown until ppoll
 * unblocks it atomically, so an interrupt typed the moment the prompt
 * appears is never lost between the handler's flag and a read that
 * would then block (a new prompt follows it, as in bsd-mailx). */
static int prompt_wait(struct mail *m, const char *prompt)
{
	sigset_t intr, old;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	int r = 1;

	sigemptyset(&intr);
	sigaddset(&intr, SIGINT);
	sigprocmask(SIG_BLOCK, &intr, &old);
	mail_catch_int(m, 1);
	fputs(prompt, stdout);
	fflush(stdout);
#ifndef __GLIBC__
	/* a line already in stdio's buffer needs no wait (musl) */
	if (__freadahead(stdin) == 0) {
		sigset_t wait = old;

		sigdelset(&wait, SIGINT);
		while (ppoll(&p, 1, NULL, &wait) < 0 && errno == EINTR)
			if (mail_interrupted()) {
				r = 0;
				break;
			}
	}
#endif
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int mail_loop(struct mail *m)
{
	char line[MAIL_LINE_MAX];
	const char *prompt;
	size_t len;

	for (;;) {
		if (m->interactive) {
			prompt = mail_var(m, "prompt");
			if (!prompt_wait(m, prompt ? prompt : "& ")) {
				/* an interrupt at the prompt: a new prompt */
				putchar('\n');
				continue;
			}
		}
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
