/*
 * mailbox: the shared mbox/Maildir reader (contracts in mailbox.h).
 *
 * An mbox is read once, streamed through a 64 KiB window, into an index
 * of offsets; nothing of a message stays in memory.  Messages are split at
 * "From " lines that start the file or follow a blank line (mboxrd: the
 * writer quotes every other ^>*From  line, so the rule is exact for our
 * own mailboxes).
 */
#define _GNU_SOURCE	/* fallocate */
#include "libmini.h"
#include <bearssl.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SCAN_BUF	65536
#define QUOTE_WINDOW	256	/* bytes looked at for ^>+From  */
#define UIDLIST_LINE	1024
#define UIDLIST_HDR	160	/* its first line, padded: rewritten in place */
#define UIDLIST_MAX	(256UL << 20)
#define FNV_OFF		0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

#define seterr str_seterr

/* the flags a mailbox stores (and a uidlist records) */
#define STORED_FLAGS	(MAILBOX_SEEN | MAILBOX_ANSWERED | MAILBOX_FLAGGED | \
			MAILBOX_DRAFT | MAILBOX_TRASHED)

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	while (n--) {
		h ^= (unsigned char)*p++;
		h *= FNV_PRIME;
	}
	return h;
}

/* mboxrd: whether the line at P (N bytes available) is ^>+From . */
static int quoted_from(const char *p, size_t n)
{
	size_t i = 0;

	if (n > QUOTE_WINDOW)
		n = QUOTE_WINDOW;
	while (i < n && p[i] == '>')
		i++;
	return i > 0 && n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

/* Header fields that MUAs rewrite: left out of the key. */
static int volatile_field(const char *p, size_t n)
{
	static const char *const names[] = { "status:", "x-status:",
		"x-keywords:", "x-uid:", "x-imap:", "x-imapbase:",
		"content-length:", "lines:" };
	size_t i, k;
	int c = n ? p[0] | 0x20 : 0;

	/* every name starts with one of these: most fields stop here */
	if (c != 's' && c != 'x' && c != 'c' && c != 'l')
		return 0;
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		if (names[i][0] != c)
			continue;
		k = strlen(names[i]);
		if (n >= k && strncasecmp(p, names[i], k) == 0)
			return 1;
	}
	return 0;
}

/* --- a line scanner over part of a file ---------------------------------- */

struct scan {
	int fd;
	off_t pos;		/* file offset of buf[0] */
	off_t limit;		/* stop here (-1: end of file) */
	size_t start, fill;
	int eof;
	char *buf;
};

/* The next line piece: *P, *LEN bytes at file offset *OFF; *LF when it
 * ends the line.  A line longer than the buffer comes in pieces.  1, 0 at
 * the end, -1 on a read error. */
static int scan_next(struct scan *s, const char **p, size_t *len, off_t *off,
	int *lf)
{
	for (;;) {
		char *b = s->buf + s->start;
		size_t avail = s->fill - s->start;
		char *nl = memchr(b, '\n', avail);
		ssize_t r;
		size_t want;

		/* a piece without its newline only at the end of the
		 * file or when the line fills the whole buffer: a partial
		 * line at the end of a full buffer is moved down first, or
		 * a From_ line split there would never be seen whole */
		if (nl || (avail && (s->eof || (s->fill == SCAN_BUF &&
				s->start == 0)))) {
			*p = b;
			*len = nl ? (size_t)(nl + 1 - b) : avail;
			*off = s->pos + (off_t)s->start;
			*lf = nl != NULL;
			s->start += *len;
			return 1;
		}
		if (s->eof)
			return 0;
		if (s->start) {
			memmove(s->buf, b, avail);
			s->pos += (off_t)s->start;
			s->start = 0;
			s->fill = avail;
		}
		want = SCAN_BUF - s->fill;
		if (s->limit >= 0) {
			off_t left = s->limit - (s->pos + (off_t)s->fill);

			if (left <= 0) {
				s->eof = 1;
				continue;
			}
			if ((off_t)want > left)
				want = (size_t)left;
		}
		r = pread(s->fd, s->buf + s->fill, want,
			s->pos + (off_t)s->fill);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			s->eof = 1;
		s->fill += (size_t)r;
	}
}

static int scan_init(struct scan *s, int fd, off_t from, off_t limit)
{
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->pos = from;
	s->limit = limit;
	s->buf = malloc(SCAN_BUF);
	return s->buf ? 0 : -1;
}

/* --- the index ------------------------------------------------------------ */

static struct mailbox_msg *msg_add(struct mailbox *mb)
{
	struct mailbox_msg *m;

	if (mb->n >= MAILBOX_MAX_MSGS) {
		errno = EFBIG;
		return NULL;
	}
	if (mb->n == mb->cap) {
		size_t cap = mb->cap ? mb->cap * 2 : 64;

		m = realloc(mb->msg, cap * sizeof *m);
		if (!m)
			return NULL;
		mb->msg = m;
		mb->cap = cap;
	}
	m = &mb->msg[mb->n++];
	memset(m, 0, sizeof *m);
	return m;
}

static unsigned status_flags(const char *p, size_t n, int x)
{
	unsigned f = 0;
	size_t i = x ? 9 : 7;	/* past "X-Status:" or "Status:" */

	for (; i < n && p[i] != '\n'; i++) {
		switch (p[i]) {
		case 'R': f |= x ? 0 : MAILBOX_SEEN; break;
		case 'O': f |= x ? 0 : MAILBOX_OLD; break;
		case 'A': f |= x ? MAILBOX_ANSWERED : 0; break;
		case 'F': f |= x ? MAILBOX_FLAGGED : 0; break;
		case 'T': f |= x ? MAILBOX_DRAFT : 0; break;
		case 'D': f |= x ? MAILBOX_TRASHED : 0; break;
		}
	}
	return f;
}

/* The date of a From_ line ("From SENDER Www Mmm dd hh:mm:ss [ZONE]
 * yyyy", local time) at P (N bytes, maybe cut short), 0 when none. */
static time_t from_date(const char *p, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char line[256], mon[4], zone[16];
	const char *q;
	struct tm tm;
	time_t t = 0;
	int d, H, M, S, Y, k;

	if (n >= sizeof line)
		n = sizeof line - 1;
	memcpy(line, p, n);
	line[n] = 0;
	/* the last "Mmm dd hh:mm:ss ... yyyy" of the line: a sender may
	 * look like a date, the date is at the end */
	for (q = line + 5; (q = strchr(q, ' ')); q++) {
		/* " Mmm d": most words stop here */
		if (!isalpha((unsigned char)q[1]) || !q[2] || !q[3] ||
		    q[4] != ' ' || (q[5] != ' ' &&
		    !isdigit((unsigned char)q[5])))
			continue;
		if (str_scan(q, " %3s %d %d:%d:%d %d", mon, &d, &H, &M,
		    &S, &Y) != 6 && str_scan(q, " %3s %d %d:%d:%d %15s %d",
		    mon, &d, &H, &M, &S, zone, &Y) != 7)
			continue;
		for (k = 0; k < 12; k++)
			if (strncasecmp(months + 3 * k, mon, 3) == 0)
				break;
		if (k == 12 || strlen(mon) != 3 || d < 1 || d > 31 ||
		    H > 23 || M > 59 || S > 60 || Y < 1970 || Y > 9999)
			continue;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = Y - 1900;
		tm.tm_mon = k;
		tm.tm_mday = d;
		tm.tm_hour = H;
		tm.tm_min = M;
		tm.tm_sec = S;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			t = 0;
	}
	return t;
}

/* The mbox scanner's state between lines. */
struct mscan {
	struct mailbox_msg *m;	/* the message being read, NULL before */
	int cont;		/* the next piece continues a line */
	int in_from;		/* inside the From_ line */
	int in_header;
	int hash_line;		/* this header line goes into the key */
	int keep_field;		/* the current field goes into the key */
	int prev_blank;		/* the last whole line was empty */
	size_t pending;		/* a blank line held back (may separate) */
	char last;		/* the last byte of the current line so far */
	uint64_t h;
};

static void mscan_finish(struct mscan *st, off_t end, int lf)
{
	struct mailbox_msg *m = st->m;

	if (!m)
		return;
	/* the blank line before the next From_ line (or the end) is the
	 * separator, not part of the message */
	m->len = end - (off_t)st->pending - m->off;
	if (m->len < 0)
		m->len = 0;
	if (!lf && !st->in_from)
		m->size += 2;	/* a last line without newline gets CRLF */
	m->key = st->h;
	m->flags0 = m->flags;
	st->m = NULL;
}

/* Scans the mbox MB->fd from FROM to its end, adding messages.  TAIL:
 * blank lines before the first From_ line are skipped (what a writer adds
 * after a mailbox that did not end with one).  0, or -1 with errno and
 * ERR. */
static int mbox_scan(struct mailbox *mb, off_t from, int tail, char *err,
	size_t errmax)
{
	struct scan s;
	struct mscan st;
	const char *p;
	size_t len;
	off_t off = from, at_end = from;
	int lf = 1, r;

	if (scan_init(&s, mb->fd, from, -1) < 0)
		return -1;
	memset(&st, 0, sizeof st);
	st.prev_blank = 1;
	while ((r = scan_next(&s, &p, &len, &off, &lf)) > 0) {
		at_end = off + (off_t)len;
		if (st.cont) {
			/* the rest of a long line */
			if (st.in_from || st.hash_line)
				st.h = fnv(st.h, p, len);
			if (st.m && !st.in_from) {
				char before = len >= 2 ? p[len - 2] : st.last;

				st.m->size += (off_t)len;
				if (lf && before != '\r')
					st.m->size++;
			}
			st.last = p[len - 1];
			if (lf) {
				if (st.in_from) {
					st.in_from = 0;
					st.m->off = off + (off_t)len;
				}
				st.cont = 0;
			}
			continue;
		}
		/* a line start */
		if (len >= 5 && memcmp(p, "From ", 5) == 0 && st.prev_blank) {
			mscan_finish(&st, off, 1);
			if (!(st.m = msg_add(mb))) {
				seterr(err, errmax, "%s: %s", mb->path,
					strerror(errno));
				goto fail;
			}
			st.m->from = off;
			st.m->off = off + (off_t)len;
			st.m->date = from_date(p, len);
			st.h = fnv(FNV_OFF, p, len);
			st.in_from = !lf;
			st.in_header = 1;
			st.pending = 0;
			st.prev_blank = 0;
			st.hash_line = 0;
			st.cont = !lf;
			st.last = p[len - 1];
			st.keep_field = 0;
			tail = 0;
			continue;
		}
		if (!st.m) {
			if (tail && len <= 2 && p[len - 1] == '\n' &&
			    (len == 1 || p[0] == '\r'))
				continue;
			errno = EINVAL;
			seterr(err, errmax, "%s: not an mbox file (no \"From \" "
				"line at offset %lld)", mb->path,
				(long long)off);
			goto fail;
		}
		if (st.pending) {
			st.m->size += 2;
			st.pending = 0;
		}
		st.prev_blank = lf && (len == 1 || (len == 2 && p[0] == '\r'));
		st.hash_line = 0;
		if (st.in_header) {
			if (st.prev_blank) {
				st.in_header = 0;
			} else if (p[0] != ' ' && p[0] != '\t') {
				st.keep_field = !volatile_field(p, len);
				st.hash_line = st.keep_field;
				if (len >= 7 && !strncasecmp(p, "Status:", 7))
					st.m->flags |= status_flags(p, len, 0);
				if (len >= 9 && !strncasecmp(p, "X-Status:", 9))
					st.m->flags |= status_flags(p, len, 1);
			} else {
				/* a folded line: as its field */
				st.hash_line = st.keep_field;
			}
			if (st.hash_line)
				st.h = fnv(st.h, p, len);
		}
		if (st.prev_blank && !st.in_header) {
			/* maybe the separator: counted when a line follows */
			st.pending = len;
		} else {
			st.m->size += (off_t)len;
			if (quoted_from(p, len))
				st.m->size--;
			if (lf && (len < 2 || p[len - 2] != '\r'))
				st.m->size++;
		}
		st.cont = !lf;
		st.last = p[len - 1];
	}
	if (r < 0) {
		seterr(err, errmax, "%s: %s", mb->path, strerror(errno));
		goto fail;
	}
	mscan_finish(&st, at_end, lf);
	mb->end = at_end;
	free(s.buf);
	return 0;
fail:
	free(s.buf);
	return -1;
}

uint64_t mailbox_key(const char *from_line, size_t flen, const char *hdr,
	size_t hlen)
{
	uint64_t h = fnv(FNV_OFF, from_line, flen);
	const char *p = hdr, *end = hdr + hlen, *nl;
	int keep = 0;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end - 1;
		if (p[0] == '\n' || (p[0] == '\r' && p + 1 < end &&
		    p[1] == '\n'))
			break;
		if (p[0] != ' ' && p[0] != '\t')
			keep = !volatile_field(p, nl + 1 - p);
		if (keep)
			h = fnv(h, p, nl + 1 - p);
	}
	return h;
}

off_t mailbox_sent_size(const char *p, size_t n, int quoted)
{
	const char *end = p + n, *nl;
	off_t size = 0;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (quoted && quoted_from(p, end - p))
			size--;
		if (!nl) {
			size += (end - p) + 2;
			break;
		}
		size += (nl + 1 - p);
		if (nl == p || nl[-1] != '\r')
			size++;
	}
	return size;
}

/* --- where the uidlist and the rewrite journal go ------------------------- */

/* Whether the user UID (PW its entry) may create files in DIR with its
 * own rights: as owner, through the groups the group file gives it, or as
 * others.  Not with the process's groups: pop3d keeps the group of a
 * group-writable spool folder for the dotlock, mail does not have it, and
 * both must find the same files. */
static int own_writable(const char *dir, uid_t uid, const struct passwd *pw)
{
	gid_t groups[64];
	struct stat st;
	int n = 64, i, member = 0;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (uid == 0)
		return 1;
	if (st.st_uid == uid)
		return (st.st_mode & 0300) == 0300;
	if (pw) {
		member = pw->pw_gid == st.st_gid;
		/* a list cut at 64 groups is looked at as far as it goes */
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0 ||
		    n > 64)
			n = 64;
		for (i = 0; i < n && !member; i++)
			member = groups[i] == st.st_gid;
	}
	if (member)
		return (st.st_mode & 030) == 030;
	return (st.st_mode & 03) == 03;
}

/* PATH with its folder made absolute and free of symbolic links (the
 * same mailbox reached as /var/spool/mail/u and /var/mail/u has one
 * state file), into DST: 0, or -1. */
static int abs_mailbox(const char *path, char *dst, size_t max)
{
	char dir[4096], real[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = path;
	int n;

	if (slash) {
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		if (!dir[0])
			str_lcpy(dir, "/", sizeof dir);
		base = slash + 1;
	} else {
		str_lcpy(dir, ".", sizeof dir);
	}
	if (!realpath(dir, real))
		return -1;
	n = snprintf(dst, max, "%s/%s", strcmp(real, "/") ? real : "",
		base);
	return n < 0 || (size_t)n >= max ? (errno = ENAMETOOLONG, -1) : 0;
}

/* The file WHAT beside the mailbox at PATH: DIR/.NAME.WHAT for an mbox,
 * DIR/postbox-WHAT in a Maildir.  0, or -1 (ENAMETOOLONG). */
static int beside_path(const char *path, int kind, const char *what,
	char *dst, size_t max)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (kind == LOCAL_MAILDIR)
		n = snprintf(dst, max, "%s/postbox-%s", path, what);
	else if (slash)
		n = snprintf(dst, max, "%.*s/.%s.%s", (int)(slash - path),
			path, slash + 1, what);
	else
		n = snprintf(dst, max, ".%s.%s", path, what);
	if (n < 0 || (size_t)n >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* mailbox_state_path for the user UID. */
static int state_path_of(const char *path, int kind, const char *what,
	uid_t uid, char *dst, size_t max)
{
	const char *slash = strrchr(path, '/');
	struct passwd *pw = getpwuid(uid);
	char dir[4096], abs[4096];
	int n;

	/* the folder the file would go into beside the mailbox */
	if (kind == LOCAL_MAILDIR)
		str_lcpy(dir, path, sizeof dir);
	else if (slash)
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 :
			(int)(slash - path), path);
	else
		str_lcpy(dir, ".", sizeof dir);
	/* not writable on the user's own rights (Debian's /var/mail):
	 * the state folder in the home, when there is one to write in */
	if (own_writable(dir, uid, pw) || !pw || pw->pw_dir[0] != '/' ||
	    !own_writable(pw->pw_dir, uid, pw) ||
	    abs_mailbox(path, abs, sizeof abs) < 0)
		return beside_path(path, kind, what, dst, max);
	n = snprintf(dst, max, "%s/" MAILBOX_STATE_DIR "%s.%s",
		strcmp(pw->pw_dir, "/") ? pw->pw_dir : "", abs, what);
	if (n < 0 || (size_t)n >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int mailbox_state_path(const char *path, int kind, const char *what,
	char *dst, size_t max)
{
	struct stat st;
	uid_t uid = geteuid();

	/* root on another user's mailbox: that user's files (as_owner) */
	if (uid == 0 && stat(path, &st) == 0)
		uid = st.st_uid;
	return state_path_of(path, kind, what, uid, dst, max);
}

/* Root working on another user's mailbox (the admin's "mail -f
 * /var/mail/alice"): the state files are the owner's, where the owner's
 * own pop3d, imapd and mail find them (mailbox_state_path), and the call
 * opens, makes and replaces files with the owner's rights, as the
 * owner's pop3d would: the file system uid becomes the owner's, the group
 * that of a group-writable mbox folder (which pop3d keeps for the
 * dotlock), else the owner's.  So a file made belongs to the owner with
 * the mode the owner's own would have, and a symbolic link the owner
 * placed leads nowhere the owner could not go.  1 when switched (as_self
 * switches back), else 0. */
static int as_owner(const char *path, int kind)
{
	const char *slash = strrchr(path, '/');
	struct passwd *pw;
	struct stat st, dir;
	char d[4096];
	gid_t gid;

	if (geteuid() != 0 || stat(path, &st) < 0 || st.st_uid == 0)
		return 0;
	pw = getpwuid(st.st_uid);
	gid = pw ? pw->pw_gid : st.st_gid;
	if (kind == LOCAL_MBOX) {
		if (slash)
			snprintf(d, sizeof d, "%.*s", slash == path ? 1 :
				(int)(slash - path), path);
		else
			str_lcpy(d, ".", sizeof d);
		if (stat(d, &dir) == 0 && (dir.st_mode & 020))
			gid = dir.st_gid;
	}
	setfsgid(gid);
	setfsuid(st.st_uid);
	if ((uid_t)setfsuid((uid_t)-1) != st.st_uid ||
	    (gid_t)setfsgid((gid_t)-1) != gid) {
		setfsuid(geteuid());
		setfsgid(getegid());
		return 0;
	}
	return 1;
}

static void as_self(int switched)
{
	int e = errno;

	if (switched) {
		setfsuid(geteuid());
		setfsgid(getegid());
	}
	errno = e;
}

int mailbox_uidlist_path(const char *path, int kind, char *dst, size_t max)
{
	return mailbox_state_path(path, kind, "uidlist", dst, max);
}

/* The folders above the state file PATH, made (0700) when missing: only
 * those inside the state folder, the home itself is not made. */
static int make_parents(const char *path)
{
	const char *state = strstr(path, "/" MAILBOX_STATE_DIR "/");
	char dir[4096];
	size_t i;

	if (!state)
		return 0;
	for (i = (size_t)(state - path) + 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		if (i >= sizeof dir) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, i);
		dir[i] = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* --- locks ---------------------------------------------------------------- */

unsigned mailbox_wait_ms = MAILBOX_SHARED_WAIT;

/* ms an exclusive or read-only open waits: a shared call in progress
 * is short */
#define EXCL_WAIT	((int)(mailbox_wait_ms / 5))

/* flock OP (LOCK_SH, LOCK_EX) on FD, waiting up to MS milliseconds: 0,
 * or -1 with errno (EWOULDBLOCK when still held). */
static int lock_wait(int fd, int op, int ms)
{
	int waited = 0, step = 1;

	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (waited >= ms) {
			errno = EWOULDBLOCK;
			return -1;
		}
		usleep((useconds_t)step * 1000);
		waited += step;
		if (step < 64)
			step *= 2;
	}
}

/* --- the uidlist ---------------------------------------------------------- */

struct uident {
	unsigned uid;
	off_t size;
	size_t idx;		/* position in the file */
	int used;
	int v2;			/* a format 2 line: the fields below known */
	unsigned flags;		/* STORED_FLAGS as last written */
	uint32_t kw;
	uint64_t modseq;
	long long date;
	char key[MAILDIR_NAME_MAX];
};

static int uident_cmp(const void *a, const void *b)
{
	const struct uident *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int uident_pcmp(const void *a, const void *b)
{
	return uident_cmp(*(const struct uident *const *)a,
		*(const struct uident *const *)b);
}

/* Sorts the N entries of *U by key: pointers are sorted, then the
 * entries (about 280 bytes each) moved once.  0, or -1 (no memory). */
static int sort_by_key(struct uident **u, size_t n)
{
	struct uident **ptr = malloc(n * sizeof *ptr), *out;
	size_t i;

	out = ptr ? malloc(n * sizeof *out) : NULL;
	if (!out) {
		free(ptr);
		return -1;
	}
	for (i = 0; i < n; i++)
		ptr[i] = &(*u)[i];
	qsort(ptr, n, sizeof *ptr, uident_pcmp);
	for (i = 0; i < n; i++)
		out[i] = *ptr[i];
	free(ptr);
	free(*u);
	*u = out;
	return 0;
}

/* Loads the uidlist, sorted by key.  A missing or broken one gives none
 * and a fresh UIDVALIDITY. */
static struct uident *uidlist_load(struct mailbox *mb, size_t *count)
{
	struct uident *u = NULL;
	char *data = NULL, *p, *q, *nl, path[4096];
	const char *which = mb->uidlist;
	size_t len, n = 0, cap = 0, line = 1;
	unsigned long v, nx, rc;
	unsigned long long hm, xl = 0;
	unsigned *ul = NULL;
	int fmt = 1, has_x = 0;

	*count = 0;
	mb->validity = (unsigned)time(NULL);
	mb->next_uid = 1;
	mb->highestmodseq = 0;
	mb->recent_uid = 1;
	mb->exp_low = 0;
	free(mb->ul_uid);
	mb->ul_uid = NULL;
	mb->ul_n = 0;
	if (file_read_all(mb->uidlist, UIDLIST_MAX, &data, &len) < 0) {
		/* none in the state folder yet: the one a process that
		 * could write beside the mailbox left there (pop3d with
		 * the folder's group), so that UIDs stay; saved in the
		 * state folder from now on */
		if (errno != ENOENT || beside_path(mb->path, mb->kind,
		    "uidlist", path, sizeof path) < 0 ||
		    strcmp(path, mb->uidlist) == 0 ||
		    file_read_all((which = path), UIDLIST_MAX, &data,
		    &len) < 0) {
			/* one that is there but cannot be read (another
			 * user's) is said, not passed over in silence */
			if (errno != ENOENT)
				log_msg(LOG_WARNING, "%s: cannot read it: %s: "
					"new UIDs", which, strerror(errno));
			mb->uids_dirty = 1;
			return NULL;
		}
		mb->uids_dirty = 1;
	}
	mb->uid_end = -1;
	mb->uid_ino = 0;
	mb->rewrites = 0;
	if (str_scan(data, "postbox-uidlist 2 V%lu N%lu M%llu R%lu", &v, &nx,
	    &hm, &rc) == 4) {
		long long e;
		unsigned long long ino;
		unsigned w;

		fmt = 2;
		p = strchr(data, '\n');
		q = strstr(data, " E");
		if (q && (!p || q < p) && str_scan(q, " E%lld I%llu W%u", &e,
		    &ino, &w) == 3) {
			mb->uid_end = e;
			mb->uid_ino = ino;
			mb->rewrites = w;
		}
		/* X: expunges above it are in the state file "expunged";
		 * a list from before it existed records none so far */
		q = strstr(data, " X");
		if (q && (!p || q < p) && str_scan(q, " X%llu", &xl) == 1)
			has_x = 1;
	} else if (str_scan(data, "postbox-uidlist 1 V%lu N%lu", &v, &nx) == 2) {
		/* format 1: nothing was claimed as recent by IMAP */
		hm = 0;
		rc = nx;
	} else {
		goto bad;
	}
	if (!v || !nx || v > 0xffffffffUL || nx > 0xffffffffUL ||
	    rc > nx || !rc)
		goto bad;
	p = strchr(data, '\n');
	for (p = p ? p + 1 : data + len; *p; p = nl + 1) {
		struct uident *e;
		unsigned long uid, fl;
		unsigned long long ms;
		long long size, date;
		unsigned kw;
		int used = 0;

		line++;
		if (!(nl = strchr(p, '\n')) || nl - p >= UIDLIST_LINE)
			goto bad;
		*nl = 0;
		if (n == cap) {
			unsigned *nu;

			cap = cap ? cap * 2 : 256;
			if (!(e = realloc(u, cap * sizeof *u)))
				goto bad;
			u = e;
			if (!(nu = realloc(ul, cap * sizeof *ul)))
				goto bad;
			ul = nu;
		}
		e = &u[n];
		memset(e, 0, sizeof *e);
		if (fmt == 2 ? str_scan(p, "%lu %255s %lld %llu %lx %x %lld%n",
		    &uid, e->key, &size, &ms, &fl, &kw, &date, &used) != 7 :
		    str_scan(p, "%lu %255s %lld%n", &uid, e->key, &size,
		    &used) != 3)
			goto bad;
		if (p[used] || !uid || size < 0 || (n && uid <= u[n - 1].uid))
			goto bad;
		if (uid >= nx) {
			/* an APPEND's line whose first line was not yet
			 * rewritten (uidlist_add) */
			if (fmt != 2 || uid >= 0xffffffffUL)
				goto bad;
			nx = uid + 1;
		}
		if (fmt == 2) {
			/* never below a modseq given out */
			if (ms > hm)
				hm = ms;
			e->v2 = 1;
			e->modseq = ms;
			e->flags = (unsigned)fl & STORED_FLAGS;
			e->kw = kw;
			e->date = date;
		}
		e->uid = uid;
		e->size = size;
		ul[n] = (unsigned)uid;
		e->idx = n++;
		e->used = 0;
	}
	free(data);
	mb->validity = v;
	mb->next_uid = nx;
	mb->highestmodseq = hm;
	mb->recent_uid = rc;
	mb->exp_low = has_x && xl < hm ? xl : hm;
	mb->ul_uid = ul;
	mb->ul_n = n;
	ul = NULL;
	if (fmt == 1)
		mb->uids_dirty = 1;	/* written over as format 2 */
	if (n > 1 && sort_by_key(&u, n) < 0)
		goto bad;
	*count = n;
	return u;
bad:
	log_msg(LOG_WARNING, "%s:%zu: broken line: new UIDs", mb->uidlist,
		line);
	free(data);
	free(u);
	free(ul);
	mb->uids_dirty = 1;
	return NULL;
}

/* The first unused entry with KEY at a file position >= POS. */
static struct uident *uident_find(struct uident *u, size_t n,
	const char *key, size_t pos)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(u[mid].key, key);

		if (c < 0 || (c == 0 && u[mid].idx < pos))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strcmp(u[lo].key, key) == 0; lo++)
		if (!u[lo].used)
			return &u[lo];
	return NULL;
}

static void msg_key(const struct mailbox *mb, const struct mailbox_msg *m,
	char *dst, size_t max)
{
	if (mb->kind == LOCAL_MAILDIR) {
		const char *base = strchr(m->name, '/') + 1;
		size_t n = strcspn(base, ":");

		if (n >= max)
			n = max - 1;
		memcpy(dst, base, n);
		dst[n] = 0;
	} else {
		snprintf(dst, max, "%016llx", (unsigned long long)m->key);
	}
}

/* The first line of a format 2 uidlist, padded with blanks to
 * UIDLIST_HDR bytes (its newline the last), into DST. */
static void uidlist_hdr(char *dst, unsigned long v, unsigned long nx,
	unsigned long long hm, unsigned long rc, long long end,
	unsigned long long ino, unsigned w, unsigned long long x)
{
	int n = snprintf(dst, UIDLIST_HDR, "postbox-uidlist 2 V%lu N%lu M%llu "
		"R%lu E%lld I%llu W%u X%llu", v, nx, hm, rc, end, ino, w, x);

	if (n < 0 || n > UIDLIST_HDR - 1)
		n = UIDLIST_HDR - 1;
	memset(dst + n, ' ', (size_t)(UIDLIST_HDR - 1 - n));
	dst[UIDLIST_HDR - 1] = '\n';
}

/* --- the expunge record (QRESYNC) ----------------------------------------
 *
 * The state file "expunged": a first line "postbox-expunged 1 V<validity>
 * L<low>", then lines "<modseq> <uid-set>" (IMAP's syntax: "3,5:7"),
 * appended under the locks by whoever saves the uidlist and finds UIDs
 * of the file's list gone.  Past 2 * MAILBOX_EXP_KEEP bytes it is written
 * anew with its newest MAILBOX_EXP_KEEP bytes, L the modseq of the
 * newest line dropped.
 */

#define EXP_READ_MAX	(4 * MAILBOX_EXP_KEEP + 4096)

static int uint_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* Appends to B the lines of the N ascending UIDS with MODSEQ. */
static int exp_lines(struct buf *b, const unsigned *uids, size_t n,
	unsigned long long modseq)
{
	char tmp[48];
	size_t i = 0, j, start = b->len;
	int k;

	while (i < n) {
		for (j = i; j + 1 < n && uids[j + 1] == uids[j] + 1; j++)
			;
		if (b->len == start || b->len - start > 900) {
			if (b->len != start && buf_add(b, "\n", 1) < 0)
				return -1;
			start = b->len;
			k = snprintf(tmp, sizeof tmp, "%llu ", modseq);
		} else {
			k = snprintf(tmp, sizeof tmp, ",");
		}
		if (buf_add(b, tmp, (size_t)k) < 0)
			return -1;
		k = i == j ? snprintf(tmp, sizeof tmp, "%u", uids[i]) :
			snprintf(tmp, sizeof tmp, "%u:%u", uids[i], uids[j]);
		if (buf_add(b, tmp, (size_t)k) < 0)
			return -1;
		i = j + 1;
	}
	return buf_add(b, "\n", 1);
}

/* The record's header in DATA: 1 (V, L set), or 0. */
static int exp_hdr(const char *data, unsigned long *v,
	unsigned long long *low)
{
	return str_scan(data, "postbox-expunged 1 V%lu L%llu", v, low) == 2 &&
		strchr(data, '\n');
}

/* Keeps the newest MAILBOX_EXP_KEEP bytes of the record PATH (the locks
 * held); MB->exp_low rises to the newest modseq dropped. */
static int exp_trim(struct mailbox *mb, const char *path)
{
	struct file_atomic a;
	char *data = NULL, *p, *keep, hdr[96];
	unsigned long v;
	unsigned long long low, ms;
	size_t len;
	int n, rc = -1;

	if (file_read_all(path, EXP_READ_MAX, &data, &len) < 0)
		return -1;
	if (!exp_hdr(data, &v, &low))
		goto out;
	keep = data + len - MAILBOX_EXP_KEEP;
	while (keep < data + len && keep[-1] != '\n')
		keep++;
	/* the lines before KEEP are dropped: the newest of them */
	for (p = strchr(data, '\n') + 1; p < keep; p = strchr(p, '\n') + 1)
		if (str_scan(p, "%llu", &ms) == 1 && ms > low)
			low = ms;
	if (low > mb->exp_low)
		mb->exp_low = low;
	n = snprintf(hdr, sizeof hdr, "postbox-expunged 1 V%lu L%llu\n", v,
		low);
	if (file_atomic_open(&a, path, 0600) < 0)
		goto out;
	if (file_write_all(a.fd, hdr, (size_t)n) < 0 ||
	    file_write_all(a.fd, keep, (size_t)(data + len - keep)) < 0) {
		file_atomic_abort(&a);
		goto out;
	}
	rc = file_atomic_commit(&a);
out:
	free(data);
	return rc;
}

/* Records the N ascending UIDS as expunged at MODSEQ (the locks held).
 * 0, or -1 with errno. */
static int exp_record(struct mailbox *mb, const unsigned *uids, size_t n,
	uint64_t modseq)
{
	char path[4096], hdr[96];
	unsigned long v;
	unsigned long long low;
	struct buf b;
	struct stat st;
	ssize_t got;
	int fd, k, rc = -1, e;

	if (mailbox_state_path(mb->path, mb->kind, "expunged", path,
	    sizeof path) < 0 || make_parents(path) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0)
		return -1;
	buf_init(&b, UIDLIST_LINE * 4 + (size_t)n * 24);
	got = pread(fd, hdr, sizeof hdr - 1, 0);
	hdr[got > 0 ? got : 0] = 0;
	if (got < 0 || !exp_hdr(hdr, &v, &low) || v != mb->validity) {
		/* new, or of an older UIDVALIDITY: started anew */
		k = snprintf(hdr, sizeof hdr, "postbox-expunged 1 V%u L%llu\n",
			mb->validity, (unsigned long long)mb->exp_low);
		if (ftruncate(fd, 0) < 0 || buf_add(&b, hdr, (size_t)k) < 0)
			goto out;
	}
	if (exp_lines(&b, uids, n, (unsigned long long)modseq) < 0 ||
	    file_write_all(fd, b.p, b.len) < 0 || fsync(fd) < 0 ||
	    fstat(fd, &st) < 0)
		goto out;
	rc = 0;
	if (st.st_size > 2 * MAILBOX_EXP_KEEP && exp_trim(mb, path) < 0)
		rc = -1;
out:
	e = errno;
	buf_free(&b);
	close(fd);
	errno = e;
	return rc;
}

/* Before the uidlist is written: the UIDs it will list (ascending,
 * malloc'ed; NULL with errno), and those of the file's list gone
 * recorded as expunged, with a new modseq.  A record not written moves
 * exp_low up: clients older than it resync in full. */
static unsigned *expunges(struct mailbox *mb)
{
	unsigned *cur = malloc((mb->n ? mb->n : 1) * sizeof *cur), *gone;
	size_t i, j, ng = 0;
	int sorted = 1;

	if (!cur)
		return NULL;
	for (i = 0; i < mb->n; i++) {
		cur[i] = mb->msg[i].uid;
		if (i && cur[i] <= cur[i - 1])
			sorted = 0;
	}
	if (!sorted)
		qsort(cur, mb->n, sizeof *cur, uint_cmp);
	if (!mb->ul_n)
		return cur;
	if (!(gone = malloc(mb->ul_n * sizeof *gone))) {
		free(cur);
		return NULL;
	}
	for (i = 0, j = 0; i < mb->ul_n; i++) {
		while (j < mb->n && cur[j] < mb->ul_uid[i])
			j++;
		if (j == mb->n || cur[j] != mb->ul_uid[i])
			gone[ng++] = mb->ul_uid[i];
	}
	if (ng) {
		uint64_t ms = ++mb->highestmodseq;

		if (exp_record(mb, gone, ng, ms) < 0) {
			log_msg(LOG_WARNING, "%s: expunge record: %s",
				mb->path, strerror(errno));
			mb->exp_low = ms;
		}
	}
	free(gone);
	return cur;
}

int mailbox_expunged(struct mailbox *mb, uint64_t since, unsigned **uids,
	size_t *count)
{
	char path[4096], *data = NULL, *p, *nl;
	unsigned long v;
	unsigned long long low, ms;
	unsigned *u = NULL;
	size_t len, n = 0, cap = 0, i, k;
	int covered;

	*uids = NULL;
	*count = 0;
	covered = since >= mb->exp_low;
	if (mailbox_state_path(mb->path, mb->kind, "expunged", path,
	    sizeof path) < 0)
		return -1;
	if (file_read_all(path, EXP_READ_MAX, &data, &len) < 0)
		return errno == ENOENT ? covered : -1;
	if (!exp_hdr(data, &v, &low) || v != mb->validity) {
		free(data);
		return covered;
	}
	if (since < low)
		covered = 0;
	for (p = strchr(data, '\n') + 1; (nl = strchr(p, '\n')); p = nl + 1) {
		char *q;

		*nl = 0;
		if (str_scan(p, "%llu", &ms) != 1 || ms <= since ||
		    !(q = strchr(p, ' ')))
			continue;
		while (*q && n <= MAILBOX_MAX_MSGS) {
			unsigned long lo, hi;
			char *end;

			lo = strtoul(q + 1, &end, 10);
			hi = lo;
			if (*end == ':')
				hi = strtoul(end + 1, &end, 10);
			if (!lo || hi < lo || (*end && *end != ',') ||
			    hi > 0xffffffffUL || hi - lo > MAILBOX_MAX_MSGS)
				break;
			for (; lo <= hi; lo++) {
				if (n == cap) {
					unsigned *nu;

					cap = cap ? cap * 2 : 256;
					if (!(nu = realloc(u, cap *
					    sizeof *u))) {
						free(u);
						free(data);
						return -1;
					}
					u = nu;
				}
				u[n++] = (unsigned)lo;
			}
			q = end;
		}
	}
	free(data);
	if (n > 1)
		qsort(u, n, sizeof *u, uint_cmp);
	for (i = 0, k = 0; i < n; i++)
		if (!k || u[i] != u[k - 1])
			u[k++] = u[i];
	*uids = u;
	*count = k;
	return covered;
}

static int uidlist_save(struct mailbox *mb)
{
	struct file_atomic a;
	char key[MAILDIR_NAME_MAX], line[UIDLIST_LINE];
	struct buf b;
	size_t i;
	int n;

	unsigned *cur;

	if (mb->rdonly || !mb->uids_dirty)
		return 0;
	if (make_parents(mb->uidlist) < 0 || !(cur = expunges(mb)))
		return -1;
	if (file_atomic_open(&a, mb->uidlist, 0600) < 0) {
		free(cur);
		return -1;
	}
	uidlist_hdr(line, mb->validity, mb->next_uid, mb->highestmodseq,
		mb->recent_uid, mb->kind == LOCAL_MBOX ?
		(long long)mb->uid_end : 0LL,
		mb->kind == LOCAL_MBOX ? mb->uid_ino : 0ULL, mb->rewrites,
		(unsigned long long)mb->exp_low);
	n = UIDLIST_HDR;
	buf_init(&b, UIDLIST_MAX);
	if (buf_add(&b, line, n) < 0)
		goto fail;
	for (i = 0; i < mb->n; i++) {
		msg_key(mb, &mb->msg[i], key, sizeof key);
		n = snprintf(line, sizeof line, "%u %s %lld %llu %x %x %lld\n",
			mb->msg[i].uid, key, (long long)mb->msg[i].size,
			(unsigned long long)mb->msg[i].modseq,
			mb->msg[i].flags & STORED_FLAGS,
			(unsigned)mb->msg[i].kw,
			(long long)mb->msg[i].date);
		if (buf_add(&b, line, n) < 0)
			goto fail;
	}
	if (file_write_all(a.fd, b.p, b.len) < 0 || file_atomic_commit(&a) < 0)
		goto fail2;
	buf_free(&b);
	mb->uids_dirty = 0;
	free(mb->ul_uid);
	mb->ul_uid = cur;
	mb->ul_n = mb->n;
	return 0;
fail:
	file_atomic_abort(&a);
fail2:
	n = errno;
	buf_free(&b);
	free(cur);
	errno = n;
	return -1;
}

/* Message M is the one of uidlist entry E: its modseq and keywords, and
 * a new modseq when its flags are not the ones the uidlist recorded
 * (changed by another program, or an entry of format 1). */
static void entry_apply(struct mailbox *mb, struct mailbox_msg *m,
	const struct uident *e)
{
	m->kw = m->kw0 = e->kw;
	m->modseq = e->modseq;
	if (mb->kind == LOCAL_MAILDIR && e->date)
		m->date = (time_t)e->date;
	if (!e->v2 || !e->modseq || (m->flags & STORED_FLAGS) != e->flags) {
		m->modseq = ++mb->highestmodseq;
		mb->uids_dirty = 1;
	}
}

/* The uidlist will cover the mbox as scanned (mb->end bytes of mb->ino),
 * every message in it having its UID. */
static void cover(struct mailbox *mb)
{
	if (mb->kind != LOCAL_MBOX || mb->fd < 0)
		return;
	if (mb->uid_end != mb->end ||
	    mb->uid_ino != (unsigned long long)mb->ino)
		mb->uids_dirty = 1;
	mb->uid_end = mb->end;
	mb->uid_ino = (unsigned long long)mb->ino;
}

/* Gives messages FIRST.. their UIDs: the uidlist's when the key matches
 * in order, else new ones; keeps them ascending. */
static void assign_uids(struct mailbox *mb, struct uident *u, size_t nu,
	size_t first)
{
	char key[MAILDIR_NAME_MAX];
	unsigned last = first ? mb->msg[first - 1].uid : 0;
	size_t i, pos = 0;

	for (i = first; i < mb->n; i++) {
		struct mailbox_msg *m = &mb->msg[i];
		struct uident *e;

		msg_key(mb, m, key, sizeof key);
		e = u ? uident_find(u, nu, key,
			mb->kind == LOCAL_MBOX ? pos : 0) : NULL;
		if (e && e->uid > last) {
			e->used = 1;
			m->uid = e->uid;
			pos = e->idx + 1;
			entry_apply(mb, m, e);
		} else {
			m->uid = mb->next_uid++;
			m->modseq = ++mb->highestmodseq;
			mb->uids_dirty = 1;
		}
		last = m->uid;
	}
	/* entries of messages gone: the file shrinks */
	for (i = 0; i < nu; i++)
		if (!u[i].used)
			mb->uids_dirty = 1;
}

/* --- Maildir -------------------------------------------------------------- */

static unsigned info_flags(const char *name)
{
	const char *info = strstr(name, ":2,");
	unsigned f = 0;

	if (!info)
		return 0;
	for (info += 3; *info; info++) {
		switch (*info) {
		case 'S': f |= MAILBOX_SEEN; break;
		case 'R': f |= MAILBOX_ANSWERED; break;
		case 'F': f |= MAILBOX_FLAGGED; break;
		case 'D': f |= MAILBOX_DRAFT; break;
		case 'T': f |= MAILBOX_TRASHED; break;
		}
	}
	return f;
}

static int file_sent_size(int dirfd, const char *name, off_t *size,
	time_t *mtime)
{
	struct scan s;
	const char *p;
	size_t len;
	off_t off, total = 0;
	int fd, lf = 1, r, last_cr = 0;
	struct stat st;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0)
		*mtime = st.st_mtime;
	if (scan_init(&s, fd, 0, -1) < 0) {
		close(fd);
		return -1;
	}
	while ((r = scan_next(&s, &p, &len, &off, &lf)) > 0) {
		total += (off_t)len;
		if (lf && !((len >= 2 && p[len - 2] == '\r') ||
		    (len == 1 && last_cr)))
			total++;
		last_cr = len && p[len - 1] == '\r';
	}
	if (r == 0 && !lf && total)
		total += 2;
	free(s.buf);
	close(fd);
	*size = total;
	return r < 0 ? -1 : 0;
}

static int maildir_scan_sub(struct mailbox *mb, const char *sub,
	struct uident *u, size_t nu, char *err, size_t errmax)
{
	char path[MAILBOX_ERR_MAX + 4096], key[MAILDIR_NAME_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int dfd;

	snprintf(path, sizeof path, "%s/%s", mb->path, sub);
	if (!(dir = opendir(path))) {
		seterr(err, errmax, "%s: %s", path, strerror(errno));
		return -1;
	}
	dfd = dirfd(dir);
	while ((errno = 0, d = readdir(dir))) {
		struct mailbox_msg *m;
		struct uident *e;
		size_t nlen = strlen(d->d_name);

		/* dot files (Dovecot's, editors') and odd names: not ours */
		if (d->d_name[0] == '.' || nlen >= MAILDIR_NAME_MAX - 8)
			continue;
		/* the directory says what it is (most file systems): no
		 * stat for each of thousands of messages */
		if (d->d_type != DT_UNKNOWN && d->d_type != DT_REG)
			continue;
		if (d->d_type == DT_UNKNOWN &&
		    (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode)))
			continue;
		if (!(m = msg_add(mb)) ||
		    !(m->name = malloc(nlen + 5))) {
			seterr(err, errmax, "%s: %s", path, strerror(errno));
			closedir(dir);
			return -1;
		}
		memcpy(m->name, sub, 3);
		m->name[3] = '/';
		memcpy(m->name + 4, d->d_name, nlen + 1);
		m->flags = m->flags0 = info_flags(d->d_name) |
			(sub[0] == 'c' ? MAILBOX_OLD : 0);
		msg_key(mb, m, key, sizeof key);
		e = u ? uident_find(u, nu, key, 0) : NULL;
		if (e && e->size > 0) {
			m->size = e->size;
			/* INTERNALDATE: the mtime, looked at once */
			if (!e->date && fstatat(dfd, d->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
				m->date = st.st_mtime;
		} else if (file_sent_size(dfd, d->d_name, &m->size,
		    &m->date) < 0) {
			/* gone while we looked: not there */
			free(m->name);
			mb->n--;
			continue;
		}
	}
	if (errno) {
		seterr(err, errmax, "%s: %s", path, strerror(errno));
		closedir(dir);
		return -1;
	}
	closedir(dir);
	return 0;
}

/* strcmp with runs of digits compared as numbers: Python's mailbox and
 * others write the microseconds of "SEC.M<usec>P<pid>" unpadded, so
 * "M99999" was delivered before "M100000". */
static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			const char *x = a, *y = b;
			size_t la, lb;

			while (*x == '0' && x[1] >= '0' && x[1] <= '9')
				x++;
			while (*y == '0' && y[1] >= '0' && y[1] <= '9')
				y++;
			for (a = x; *a >= '0' && *a <= '9'; a++)
				;
			for (b = y; *b >= '0' && *b <= '9'; b++)
				;
			la = a - x;
			lb = b - y;
			if (la != lb)
				return la < lb ? -1 : 1;
			if (memcmp(x, y, la))
				return memcmp(x, y, la);
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int maildir_cmp(const void *a, const void *b)
{
	const struct mailbox_msg *x = a, *y = b;

	/* known messages by UID (u's index order), then new ones by name
	 * (their names start with the delivery time) */
	if (x->uid != y->uid)
		return x->uid == 0 ? 1 : y->uid == 0 ? -1 :
			x->uid < y->uid ? -1 : 1;
	return natural_cmp(strchr(x->name, '/'), strchr(y->name, '/'));
}

/* Reads the Maildir MB (locked) into its empty index: the uidlist, cur/
 * and new/, UIDs.  0, or -1 with ERR. */
static int maildir_load(struct mailbox *mb, char *err, size_t errmax)
{
	struct uident *u;
	size_t nu, i;
	char key[MAILDIR_NAME_MAX];

	u = uidlist_load(mb, &nu);
	if (maildir_scan_sub(mb, "cur", u, nu, err, errmax) < 0 ||
	    maildir_scan_sub(mb, "new", u, nu, err, errmax) < 0) {
		free(u);
		return -1;
	}
	/* the UIDs they had, then sort, then new ones for the rest */
	for (i = 0; i < mb->n; i++) {
		struct uident *e;

		msg_key(mb, &mb->msg[i], key, sizeof key);
		e = u ? uident_find(u, nu, key, 0) : NULL;
		if (e) {
			e->used = 1;
			mb->msg[i].uid = e->uid;
			entry_apply(mb, &mb->msg[i], e);
		} else {
			mb->uids_dirty = 1;
		}
	}
	for (i = 0; i < nu; i++)
		if (!u[i].used)
			mb->uids_dirty = 1;
	if (mb->n)
		qsort(mb->msg, mb->n, sizeof *mb->msg, maildir_cmp);
	for (i = 0; i < mb->n; i++)
		if (!mb->msg[i].uid) {
			mb->msg[i].uid = mb->next_uid++;
			mb->msg[i].modseq = ++mb->highestmodseq;
		}
	free(u);
	return 0;
}

static int maildir_open(struct mailbox *mb, int flags, char *err,
	size_t errmax)
{
	if ((flags & MAILBOX_CREATE) && maildir_make(mb->path) < 0) {
		seterr(err, errmax, "%s: %s", mb->path, strerror(errno));
		return -1;
	}
	mb->lockfd = open(mb->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mb->lockfd < 0) {
		seterr(err, errmax, "%s: %s", mb->path, strerror(errno));
		return -1;
	}
	if (lock_wait(mb->lockfd, mb->rdonly ? LOCK_SH : LOCK_EX,
	    EXCL_WAIT) < 0) {
		seterr(err, errmax, "%s: in use by another session",
			mb->path);
		return -1;
	}
	if (maildir_load(mb, err, errmax) < 0)
		return -1;
	if (uidlist_save(mb) < 0)
		log_msg(LOG_WARNING, "%s: %s: UIDs not saved", mb->uidlist,
			strerror(errno));
	return 0;
}

/* Finds the current name of Maildir message M (another client may have
 * changed its flags): 0 with m->name updated, or -1 ENOENT. */
static int maildir_refind(struct mailbox *mb, struct mailbox_msg *m)
{
	static const char *const subs[] = { "cur", "new" };
	char path[4200], key[MAILDIR_NAME_MAX];
	struct dirent *d;
	size_t i, klen;
	DIR *dir;

	msg_key(mb, m, key, sizeof key);
	klen = strlen(key);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", mb->path, subs[i]);
		if (!(dir = opendir(path)))
			continue;
		while ((d = readdir(dir))) {
			char *name;

			if (strncmp(d->d_name, key, klen) != 0 ||
			    (d->d_name[klen] && d->d_name[klen] != ':'))
				continue;
			name = malloc(strlen(d->d_name) + 5);
			if (!name)
				break;
			snprintf(name, strlen(d->d_name) + 5, "%s/%s",
				subs[i], d->d_name);
			free(m->name);
			m->name = name;
			closedir(dir);
			return 0;
		}
		closedir(dir);
	}
	errno = ENOENT;
	return -1;
}

/* New modseqs for the messages whose stored flags or keywords changed
 * (pop3d's and mail's changes too, so IMAP clients see them), and for an
 * expunge; the uidlist then needs writing. */
static void bump_modseqs(struct mailbox *mb)
{
	size_t i;

	for (i = 0; i < mb->n; i++) {
		struct mailbox_msg *m = &mb->msg[i];

		if (m->flags & MAILBOX_DELETED) {
			mb->highestmodseq++;
			mb->uids_dirty = 1;
		} else if (((m->flags ^ m->flags0) & STORED_FLAGS) ||
		    m->kw != m->kw0) {
			m->modseq = ++mb->highestmodseq;
			mb->uids_dirty = 1;
		}
	}
}

/* Drops the messages marked MAILBOX_DELETED from the index. */
static void drop_deleted(struct mailbox *mb)
{
	size_t i, k = 0;

	for (i = 0; i < mb->n; i++) {
		if (mb->msg[i].flags & MAILBOX_DELETED)
			free(mb->msg[i].name);
		else
			mb->msg[k++] = mb->msg[i];
	}
	mb->n = k;
}

/* The Maildir info letters of flags F (DFRST, in ASCII order) into DST
 * (8 bytes). */
static void info_letters(unsigned f, char *dst)
{
	static const char letters[] = "DFRST";
	static const unsigned bits[] = { MAILBOX_DRAFT, MAILBOX_FLAGGED,
		MAILBOX_ANSWERED, MAILBOX_SEEN, MAILBOX_TRASHED };
	size_t k, j;

	for (k = j = 0; k < 5; k++)
		if (f & bits[k])
			dst[j++] = letters[k];
	dst[j] = 0;
}

/* Writes the changed flags of MB's messages as renames, removes the
 * deleted ones; ALL: every message in new/ moves to cur/ too (a POP3 or
 * mail session ends).  m->name follows a rename; a message gone behind
 * our back is marked MAILBOX_DELETED.  0, or -1 with ERR (the others
 * were done). */
static int maildir_apply(struct mailbox *mb, int all, char *err,
	size_t errmax)
{
	char from[4200], to[4200], info[16];
	size_t i;
	int rc = 0, moved = 0, tries, r;

	for (i = 0; i < mb->n; i++) {
		struct mailbox_msg *m = &mb->msg[i];
		unsigned f = m->flags;

		if (!(f & MAILBOX_DELETED) && (all ? m->name[0] == 'c' &&
		    f == m->flags0 : !((f ^ m->flags0) & STORED_FLAGS)))
			continue;
		for (tries = 0; tries < 2; tries++) {
			const char *base = strchr(m->name, '/') + 1;

			snprintf(from, sizeof from, "%s/%s", mb->path,
				m->name);
			if (f & MAILBOX_DELETED) {
				r = unlink(from);
			} else {
				info_letters(f, info);
				snprintf(to, sizeof to, "%s/cur/%.*s:2,%s",
					mb->path, (int)strcspn(base, ":"),
					base, info);
				r = rename(from, to);
				moved |= r == 0;
			}
			/* another client renamed it: find its new name;
			 * when gone, there is nothing left to do */
			if (r == 0 || errno != ENOENT ||
			    maildir_refind(mb, m) < 0)
				break;
		}
		if (r == 0 && !(f & MAILBOX_DELETED)) {
			char *name = strdup(to + strlen(mb->path) + 1);

			if (name) {
				free(m->name);
				m->name = name;
			}
		} else if (r < 0 && errno == ENOENT) {
			m->flags |= MAILBOX_DELETED;
		} else if (r < 0) {
			seterr(err, errmax, "%s: %s", from, strerror(errno));
			rc = -1;
		}
	}
	if (moved) {
		snprintf(to, sizeof to, "%s/cur", mb->path);
		file_fsync_dir(to, 1);
	}
	snprintf(to, sizeof to, "%s/new", mb->path);
	file_fsync_dir(to, 1);
	return rc;
}

static int maildir_commit(struct mailbox *mb, char *err, size_t errmax)
{
	int rc = maildir_apply(mb, 1, err, errmax);

	/* the modseqs of the changes, the deleted out of the list */
	bump_modseqs(mb);
	drop_deleted(mb);
	if (uidlist_save(mb) < 0)
		log_msg(LOG_WARNING, "%s: %s", mb->uidlist, strerror(errno));
	return rc;
}

/* --- mbox ----------------------------------------------------------------- */

/* The delivery locks not had (mbox_lock): EAGAIN is a holder that kept
 * them past MBOX_LOCK_TIMEOUT, a delivery or a session that died holding
 * the dotlock (broken when 5 minutes old). */
static void lock_error(struct mailbox *mb, char *err, size_t errmax)
{
	if (errno == EAGAIN)
		seterr(err, errmax, "%s: cannot lock: held by another "
			"program (a dotlock %s.lock goes when 5 minutes old)",
			mb->path, mb->path);
	else
		seterr(err, errmax, "%s: cannot lock: %s", mb->path,
			strerror(errno));
}

/* Writes the header of M with its Status/X-Status from M->flags. */
static int write_header(struct mailbox *mb, const struct mailbox_msg *m,
	struct buf *b, int fd, off_t *done)
{
	struct scan s;
	const char *p;
	size_t len;
	off_t off;
	int lf = 1, r, skip = 0, cont = 0;
	char st[64];
	unsigned f = m->flags;

	if (scan_init(&s, mb->fd, m->off, m->off + m->len) < 0)
		return -1;
	*done = 0;
	while ((r = scan_next(&s, &p, &len, &off, &lf)) > 0) {
		if (!cont) {
			if (p[0] == '\n' || (len == 2 && p[0] == '\r'))
				break;
			if (p[0] != ' ' && p[0] != '\t')
				skip = (len >= 7 &&
					!strncasecmp(p, "Status:", 7)) ||
					(len >= 9 &&
					!strncasecmp(p, "X-Status:", 9));
		}
		cont = !lf;
		*done = off + (off_t)len - m->off;
		if (!skip && buf_add(b, p, len) < 0)
			goto fail;
		if (b->len >= SCAN_BUF) {
			if (file_write_all(fd, b->p, b->len) < 0)
				goto fail;
			b->len = 0;
		}
	}
	if (r < 0)
		goto fail;
	if (cont && buf_add(b, "\n", 1) < 0)
		goto fail;
	len = (size_t)snprintf(st, sizeof st, "Status: %s%s\n",
		f & MAILBOX_SEEN ? "R" : "", "O");
	if (buf_add(b, st, len) < 0)
		goto fail;
	if (f & (MAILBOX_ANSWERED | MAILBOX_FLAGGED | MAILBOX_DRAFT |
	    MAILBOX_TRASHED)) {
		len = (size_t)snprintf(st, sizeof st, "X-Status: %s%s%s%s\n",
			f & MAILBOX_ANSWERED ? "A" : "",
			f & MAILBOX_FLAGGED ? "F" : "",
			f & MAILBOX_DRAFT ? "T" : "",
			f & MAILBOX_TRASHED ? "D" : "");
		if (buf_add(b, st, len) < 0)
			goto fail;
	}
	free(s.buf);
	return 0;
fail:
	free(s.buf);
	return -1;
}

static int copy_range(int from, int to, off_t off, off_t len, struct buf *b)
{
	while (len > 0) {
		size_t want = len > SCAN_BUF ? SCAN_BUF : (size_t)len;
		ssize_t r;

		if (b->len && file_write_all(to, b->p, b->len) < 0)
			return -1;
		b->len = 0;
		if (buf_reserve(b, want) < 0)
			return -1;
		r = pread(from, b->p, want, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ESTALE;
			return -1;
		}
		b->len = (size_t)r;
		off += r;
		len -= r;
	}
	return 0;
}

/* --- the rewrite: in place, under a journal -------------------------------
 *
 * The mbox is rewritten in place (its folder need not be writable; the
 * inode, owner and mode stay), from the first message that changes.  The
 * new tail goes first into a journal, the state file "rewrite"
 * (mailbox_state_path): a header of JOURNAL_HDR bytes, then the tail.
 * Once the journal is on disk, the tail is written over the mbox, the
 * file cut (or grown) to its new size and synced, and the journal
 * removed.  Whoever takes the delivery write lock next and finds a
 * journal (mailbox_open) knows that its writer died: an incomplete one
 * (the header is written only once the tail is synced, and says its
 * length) means the mbox was not touched yet and goes; a complete one is
 * applied again.  The size at the crash was the old one or the new one;
 * the header's hash of the old bytes past the new end tells which when
 * mail was appended since, and that mail is kept (folded into the
 * journal when it sits at the old end).
 */

#define JOURNAL_HDR	8192
#define JOURNAL_CHUNK	65536
#define STALE_MAX	65536	/* bytes of the old tail hashed */

struct journal {
	unsigned long long dev, ino;
	off_t start;		/* the first byte rewritten */
	off_t old;		/* the mbox's size before */
	off_t len;		/* the tail's length (new size start+len) */
	unsigned char stale[32];	/* SHA-256 of the old bytes from
					   start+len on, STALE_MAX at most */
	char path[4096];
};

static void sum_hex(char *dst, const unsigned char *sum)
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(dst + 2 * i, 3, "%02x", sum[i]);
}

/* 64 lowercase hex digits and a newline (as sum_hex writes them). */
static int sum_parse(unsigned char *sum, const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	const char *hi, *lo;
	int i;

	for (i = 0; i < 32; i++) {
		hi = hex[2 * i] ? strchr(digits, hex[2 * i]) : NULL;
		lo = hex[2 * i + 1] ? strchr(digits, hex[2 * i + 1]) : NULL;
		if (!hi || !lo)
			return -1;
		sum[i] = (unsigned char)((hi - digits) << 4 | (lo - digits));
	}
	return hex[64] == '\n' ? 0 : -1;
}

/* SHA-256 of the bytes of FD from OFF to END (STALE_MAX at most): what
 * tells the old end of a shrunk mbox from mail appended at the new one,
 * which starts with its own From_ line.  0, or -1 (ESTALE when the file
 * ends before). */
static int stale_sum(int fd, off_t off, off_t end, unsigned char *sum)
{
	br_sha256_context c;
	off_t len = end - off > STALE_MAX ? STALE_MAX : end - off;
	char *b = malloc(STALE_MAX);
	ssize_t r;

	if (!b)
		return -1;
	br_sha256_init(&c);
	while (len > 0) {
		r = pread(fd, b, (size_t)len, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ESTALE;
			free(b);
			return -1;
		}
		br_sha256_update(&c, b, (size_t)r);
		off += r;
		len -= r;
	}
	br_sha256_out(&c, sum);
	free(b);
	return 0;
}

static int journal_write_hdr(int jfd, const struct journal *j)
{
	char *h = calloc(1, JOURNAL_HDR), s2[65];
	int n;

	if (!h)
		return -1;
	sum_hex(s2, j->stale);
	n = snprintf(h, JOURNAL_HDR, "postbox-rewrite 1\ndev %llu ino %llu\n"
		"start %lld old %lld len %lld\nstale %s\npath %s\nend\n",
		j->dev, j->ino, (long long)j->start, (long long)j->old,
		(long long)j->len, s2, j->path);
	if (n < 0 || n >= JOURNAL_HDR) {
		free(h);
		errno = ENAMETOOLONG;
		return -1;
	}
	n = pwrite(jfd, h, JOURNAL_HDR, 0) == JOURNAL_HDR ? 0 : -1;
	free(h);
	return n == 0 && fsync(jfd) == 0 ? 0 : -1;
}

/* Reads and checks the journal: 1 complete (its header, written after
 * the tail was synced, and the length it gives), 0 incomplete (the
 * writer died before the mbox was touched), -1 a read error. */
static int journal_read(int jfd, struct journal *j)
{
	char *h = malloc(JOURNAL_HDR + 1), *p, *e, s2[80];
	long long start, old, len;
	struct stat st;
	ssize_t r;
	int ok = 0;

	if (!h)
		return -1;
	memset(j, 0, sizeof *j);
	r = pread(jfd, h, JOURNAL_HDR, 0);
	if (r < 0 || fstat(jfd, &st) < 0) {
		free(h);
		return -1;
	}
	h[r] = 0;
	if (r == JOURNAL_HDR && str_scan(h, "postbox-rewrite 1\ndev %llu ino "
	    "%llu\nstart %lld old %lld len %lld\nstale %70s\n", &j->dev,
	    &j->ino, &start, &old, &len, s2) == 6 && strlen(s2) == 64 &&
	    (p = strstr(h, "\npath ")) && (e = strstr(p + 6, "\nend\n")) &&
	    (size_t)(e - p - 6) < sizeof j->path) {
		str_lcat(s2, "\n", sizeof s2);
		if (sum_parse(j->stale, s2) == 0 && start >= 0 &&
		    old >= start && len >= 0 &&
		    st.st_size == JOURNAL_HDR + len) {
			memcpy(j->path, p + 6, (size_t)(e - p - 6));
			j->start = start;
			j->old = old;
			j->len = len;
			ok = 1;
		}
	}
	free(h);
	return ok;
}

/* POSTBOX_TEST_KILL_REWRITE, for the crash tests (mail.test): "journal"
 * dies with the journal written but not its header, N after N bytes of
 * the tail went into the mbox, "end" with all of it written and synced
 * but the file not yet cut to size. */
static void test_kill(const char *at, off_t done)
{
	const char *v = getenv("POSTBOX_TEST_KILL_REWRITE");

	if (!v || !*v)
		return;
	if (strcmp(v, at) == 0 || (strcmp(at, "tail") == 0 &&
	    *v >= '0' && *v <= '9' && done >= (off_t)strtoll(v, NULL, 10)))
		raise(SIGKILL);
}

/* Writes the journal's tail over the mbox FD at its start, then makes
 * FINAL the mbox's size, syncing.  0 or -1. */
static int journal_apply(int fd, int jfd, const struct journal *j,
	off_t final)
{
	char *b = malloc(JOURNAL_CHUNK);
	off_t done = 0;
	struct stat st;
	ssize_t r;

	if (!b)
		return -1;
	/* grown: the size changes once, before any byte is written */
	if (fstat(fd, &st) < 0 || (st.st_size < j->start + j->len &&
	    ftruncate(fd, j->start + j->len) < 0))
		goto fail;
	while (done < j->len) {
		r = pread(jfd, b, j->len - done > JOURNAL_CHUNK ?
			JOURNAL_CHUNK : (size_t)(j->len - done),
			JOURNAL_HDR + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ESTALE;
			goto fail;
		}
		if (pwrite(fd, b, (size_t)r, j->start + done) != r) {
			if (errno == 0)
				errno = EIO;
			goto fail;
		}
		done += r;
		test_kill("tail", done);
	}
	/* on disk before the cut: after it, the size says "done" */
	if (fsync(fd) < 0)
		goto fail;
	test_kill("end", done);
	if (fstat(fd, &st) < 0 || (st.st_size > final &&
	    (ftruncate(fd, final) < 0 || fsync(fd) < 0)))
		goto fail;
	free(b);
	return 0;
fail:
	r = errno;
	free(b);
	errno = (int)r;
	return -1;
}

/* Writes message M as kept, from its From_ line to its blank line. */
static int write_kept(struct mailbox *mb, const struct mailbox_msg *m,
	int fd, struct buf *b)
{
	off_t hdr = 0;
	char lastc = '\n';

	if (copy_range(mb->fd, fd, m->from, m->off - m->from, b) < 0)
		return -1;
	if ((m->flags & ~MAILBOX_DELETED) != (m->flags0 & ~MAILBOX_DELETED)) {
		if (b->len && file_write_all(fd, b->p, b->len) < 0)
			return -1;
		b->len = 0;
		if (write_header(mb, m, b, fd, &hdr) < 0)
			return -1;
	}
	if (copy_range(mb->fd, fd, m->off + hdr, m->len - hdr, b) < 0)
		return -1;
	if (m->len > hdr && b->len)
		lastc = b->p[b->len - 1];
	else if (m->len > 0 && pread(mb->fd, &lastc, 1,
	    m->off + m->len - 1) != 1)
		return -1;
	/* mboxrd: every message ends with a blank line */
	return buf_add(b, lastc == '\n' ? "\n" : "\n\n",
		lastc == '\n' ? 1 : 2);
}

/* The rewrite of a locked mbox whose size is OLD, from message FIRST on,
 * through the journal JPATH.  0 or -1. */
static int mbox_rewrite(struct mailbox *mb, size_t first, off_t old,
	const char *jpath)
{
	struct journal j;
	struct stat st;
	struct buf b;
	size_t i;
	int jfd, e, committed = 0;

	memset(&j, 0, sizeof j);
	if (fstat(mb->fd, &st) < 0 || make_parents(jpath) < 0)
		return -1;
	j.dev = (unsigned long long)st.st_dev;
	j.ino = (unsigned long long)st.st_ino;
	j.start = mb->msg[first].from;
	j.old = old;
	str_lcpy(j.path, mb->path, sizeof j.path);
	/* a new file: never one planted there (a link to another file of
	 * the user's, or root's beside a spool mbox); an old journal was
	 * applied when the mailbox was opened */
	if (unlink(jpath) < 0 && errno != ENOENT)
		return -1;
	jfd = open(jpath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		O_CLOEXEC, 0600);
	if (jfd < 0)
		return -1;
	buf_init(&b, 4 * SCAN_BUF);
	if (lseek(jfd, JOURNAL_HDR, SEEK_SET) < 0)
		goto fail;
	for (i = first; i < mb->n; i++)
		if (!(mb->msg[i].flags & MAILBOX_DELETED) &&
		    write_kept(mb, &mb->msg[i], jfd, &b) < 0)
			goto fail;
	if (b.len && file_write_all(jfd, b.p, b.len) < 0)
		goto fail;
	buf_free(&b);
	j.len = lseek(jfd, 0, SEEK_CUR) - JOURNAL_HDR;
	if (j.len < 0 || fsync(jfd) < 0 || (j.start + j.len < old &&
	    stale_sum(mb->fd, j.start + j.len, old, j.stale) < 0))
		goto fail2;
	/* grown (Status fields added): the blocks reserved now, so that a
	 * full disk stops us before the mbox is touched */
	if (j.start + j.len > old && fallocate(mb->fd, FALLOC_FL_KEEP_SIZE,
	    old, j.start + j.len - old) < 0 && errno != EOPNOTSUPP &&
	    errno != ENOSYS)
		goto fail2;
	test_kill("journal", 0);
	/* the journal on disk, with its name: the point of no return */
	if (journal_write_hdr(jfd, &j) < 0 || file_fsync_dir(jpath, 0) < 0)
		goto fail2;
	committed = 1;
	if (journal_apply(mb->fd, jfd, &j, j.start + j.len) < 0)
		goto fail2;
	close(jfd);
	unlink(jpath);
	file_fsync_dir(jpath, 0);
	return 0;
fail:
	buf_free(&b);
fail2:
	e = errno;
	close(jfd);
	/* a journal whose header is on disk stays: the next open
	 * finishes the rewrite */
	if (!committed)
		unlink(jpath);
	errno = e;
	return -1;
}

/* A byte of [old, new) of a grown rewrite: zero (the file was grown, the
 * tail not written there yet) or the tail's.  Whether all of [OLD, END)
 * of FD are such bytes, i.e. the growth happened before the crash. */
static int grown_here(int fd, int jfd, const struct journal *j, off_t end)
{
	char *a = malloc(2 * JOURNAL_CHUNK), *t = a + JOURNAL_CHUNK;
	off_t at = j->old;
	ssize_t r, k, i;
	int same = 1;

	if (!a)
		return -1;
	while (same && at < end) {
		k = end - at > JOURNAL_CHUNK ? JOURNAL_CHUNK :
			(ssize_t)(end - at);
		r = pread(fd, a, (size_t)k, at);
		if (r != k || pread(jfd, t, (size_t)k, JOURNAL_HDR + at -
		    j->start) != k) {
			free(a);
			errno = ESTALE;
			return -1;
		}
		for (i = 0; i < k && same; i++)
			same = a[i] == 0 || a[i] == t[i];
		at += k;
	}
	free(a);
	return same;
}

/* Makes the journal JPATH (open as *JFD) also carry the mail appended to
 * the mbox FD between J->old and SIZE: a new journal renamed over it,
 * *JFD and J then describe that one.  0 or -1. */
static int journal_fold(int fd, int *jfd, const char *jpath,
	struct journal *j, off_t size)
{
	struct file_atomic fa;
	struct buf b;
	off_t end;
	int nfd;

	if (file_atomic_open(&fa, jpath, 0600) < 0)
		return -1;
	buf_init(&b, 4 * SCAN_BUF);
	/* the old tail, then the mail after it */
	if (lseek(fa.fd, JOURNAL_HDR, SEEK_SET) < 0 ||
	    copy_range(*jfd, fa.fd, JOURNAL_HDR, j->len, &b) < 0 ||
	    copy_range(fd, fa.fd, j->old, size - j->old, &b) < 0 ||
	    (b.len && file_write_all(fa.fd, b.p, b.len) < 0) ||
	    fsync(fa.fd) < 0)
		goto fail;
	buf_free(&b);
	j->len += size - j->old;
	j->old = size;
	end = j->start + j->len;
	if ((end < size && stale_sum(fd, end, size, j->stale) < 0) ||
	    journal_write_hdr(fa.fd, j) < 0) {
		file_atomic_abort(&fa);
		return -1;
	}
	if (file_atomic_commit(&fa) < 0)
		return -1;
	nfd = open(jpath, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		return -1;
	close(*jfd);
	*jfd = nfd;
	return 0;
fail:
	buf_free(&b);
	file_atomic_abort(&fa);
	return -1;
}

/* Finishes the rewrite that the journal JPATH of the mbox FD (PATH, the
 * delivery write lock held) records, if its writer died.  0 (nothing to
 * do, or done), or -1 with ERR: the journal stays for the next try. */
static int mbox_recover(int fd, const char *path, const char *jpath,
	char *err, size_t errmax)
{
	struct journal j;
	struct stat st;
	unsigned char sum[32];
	off_t fc, end, final;
	char bad[4200];
	int jfd, r;

	jfd = open(jpath, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (jfd < 0) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errmax, "%s: %s: an interrupted rewrite cannot "
			"be finished", jpath, strerror(errno));
		return -1;
	}
	r = journal_read(jfd, &j);
	if (r <= 0) {
		if (r < 0)
			goto fail;
		/* the writer died before the mbox was touched */
		log_msg(LOG_WARNING, "%s: an interrupted rewrite had not "
			"started: nothing to undo", path);
		close(jfd);
		unlink(jpath);
		return 0;
	}
	if (fstat(fd, &st) < 0)
		goto fail;
	/* the file, not its name: mail may reach it through a symbolic
	 * link that pop3d does not take */
	if ((unsigned long long)st.st_dev != j.dev ||
	    (unsigned long long)st.st_ino != j.ino) {
		/* another program replaced the mbox since: not ours to
		 * write over; the copy stays for the user */
		snprintf(bad, sizeof bad, "%.4095s.unapplied", jpath);
		rename(jpath, bad);
		log_msg(LOG_WARNING, "%s: replaced since a rewrite was "
			"interrupted; its copy is in %s, not applied", path,
			bad);
		close(jfd);
		return 0;
	}
	/* the size at the crash: the old or the new one (it changes in one
	 * step); anything past it was delivered since */
	end = j.start + j.len;
	fc = j.old;
	if (end > j.old) {
		if (st.st_size >= end) {
			r = grown_here(fd, jfd, &j, end);
			if (r < 0)
				goto fail;
			fc = r ? end : j.old;
		}
	} else if (end < j.old) {
		if (st.st_size < j.old) {
			fc = end;
		} else {
			if (stale_sum(fd, end, j.old, sum) < 0)
				goto fail;
			fc = memcmp(sum, j.stale, 32) == 0 ? j.old : end;
		}
	}
	if (st.st_size < fc) {
		errno = ESTALE;
		goto fail;
	}
	/* mail appended at the old end moves with the tail: a new journal
	 * with it (renamed over this one) first */
	final = fc == j.old ? end : st.st_size;
	if (fc == j.old && st.st_size > j.old) {
		if (journal_fold(fd, &jfd, jpath, &j, st.st_size) < 0)
			goto fail;
		final = j.start + j.len;
	}
	if (journal_apply(fd, jfd, &j, final) < 0)
		goto fail;
	close(jfd);
	unlink(jpath);
	file_fsync_dir(jpath, 0);
	log_msg(LOG_NOTICE, "%s: an interrupted rewrite was finished", path);
	return 0;
fail:
	seterr(err, errmax, "%s: an interrupted rewrite (%s) cannot be "
		"finished: %s", path, jpath, strerror(errno));
	close(jfd);
	return -1;
}

/* A rewrite interrupted before this open is finished first, under the
 * delivery write lock (its writer held it until the end: a journal found
 * under it is an orphan).  Read-only sessions too, with a second
 * descriptor.  The journal is looked for where this user puts it, and
 * where another would have: beside the mbox (root), in the owner's state
 * folder.  0, or -1 with ERR (one that cannot be finished: the mbox may
 * be half written, so it is not read). */
static int mbox_recover_at_open(struct mailbox *mb, char *err,
	size_t errmax)
{
	char jpath[3][4096];
	struct stat st;
	int fd = mb->fd, dot, rc = 0, i, k, n = 0, r;
	uid_t owner;

	if (fstat(mb->fd, &st) < 0)
		return 0;
	owner = st.st_uid;
	for (i = 0; i < 3; i++) {
		if (i == 1)
			r = beside_path(mb->path, LOCAL_MBOX, "rewrite",
				jpath[n], sizeof jpath[n]);
		else
			r = state_path_of(mb->path, LOCAL_MBOX, "rewrite",
				i == 0 ? geteuid() : owner, jpath[n],
				sizeof jpath[n]);
		for (k = 0; r == 0 && k < n && strcmp(jpath[k], jpath[n]); k++)
			;
		if (r < 0 || k < n)
			continue;
		if (lstat(jpath[n], &st) == 0) {
			n++;
		} else if (errno != ENOENT) {
			seterr(err, errmax, "%s: %s: an interrupted rewrite "
				"cannot be looked at: %s", mb->path, jpath[n],
				strerror(errno));
			return -1;
		}
	}
	if (!n)
		return 0;
	if (mb->rdonly) {
		fd = file_open_safe(mb->path, O_RDWR, 0, 0, 0);
		if (fd < 0) {
			seterr(err, errmax, "%s: an interrupted rewrite (%s) "
				"cannot be finished: %s", mb->path, jpath[0],
				strerror(errno));
			return -1;
		}
	}
	if (mbox_lock(fd, mb->path, F_WRLCK, 0, &dot) < 0) {
		lock_error(mb, err, errmax);
		rc = -1;
	} else {
		for (i = 0; i < n && rc == 0; i++)
			rc = mbox_recover(fd, mb->path, jpath[i], err,
				errmax);
		mbox_unlock(fd, mb->path, dot);
	}
	if (fd != mb->fd)
		close(fd);
	return rc;
}

static int mbox_open_scan(struct mailbox *mb, char *err, size_t errmax)
{
	struct uident *u;
	struct stat st;
	size_t nu;
	int dot;

	mb->fd = file_open_safe(mb->path, (mb->rdonly ? O_RDONLY : O_RDWR),
		0, 0, 0);
	if (mb->fd < 0) {
		if (errno == ENOENT) {
			/* no mail yet: an empty mailbox */
			u = uidlist_load(mb, &nu);
			free(u);
			return 0;
		}
		seterr(err, errmax, "%s: %s", mb->path, strerror(errno));
		return -1;
	}
	mb->lockfd = mb->fd;
	if (lock_wait(mb->fd, mb->rdonly ? LOCK_SH : LOCK_EX, EXCL_WAIT) < 0) {
		seterr(err, errmax, "%s: in use by another session",
			mb->path);
		return -1;
	}
	if (mbox_recover_at_open(mb, err, errmax) < 0)
		return -1;
	/* RFC-less but universal: no delivery while we read */
	if (mbox_lock(mb->fd, mb->path, F_RDLCK, 0, &dot) < 0) {
		lock_error(mb, err, errmax);
		return -1;
	}
	if (fstat(mb->fd, &st) < 0 || mbox_scan(mb, 0, 0, err, errmax) < 0) {
		if (errno != EINVAL)
			seterr(err, errmax, "%s: %s", mb->path,
				strerror(errno));
		mbox_unlock(mb->fd, mb->path, 0);
		return -1;
	}
	mbox_unlock(mb->fd, mb->path, 0);
	mb->dev = st.st_dev;
	mb->ino = st.st_ino;
	u = uidlist_load(mb, &nu);
	assign_uids(mb, u, nu, 0);
	free(u);
	cover(mb);
	if (uidlist_save(mb) < 0)
		log_msg(LOG_WARNING, "%s: %s: UIDs not saved", mb->uidlist,
			strerror(errno));
	return 0;
}

static int mbox_commit(struct mailbox *mb, char *err, size_t errmax)
{
	struct stat st, cur;
	size_t i, first, old_n = mb->n;
	int dot, change = 0, rc = 0;
	char jpath[4096];

	if (mb->fd < 0)
		return 0;
	for (i = 0; i < mb->n; i++)
		if (mb->msg[i].flags != mb->msg[i].flags0)
			change = 1;
		else if (mb->msg[i].kw != mb->msg[i].kw0)
			change |= 2;
	if (change == 2) {
		/* keywords only: the uidlist, not the mbox */
		bump_modseqs(mb);
		if (uidlist_save(mb) < 0)
			log_msg(LOG_WARNING, "%s: %s", mb->uidlist,
				strerror(errno));
	}
	if (!(change & 1))
		return 0;
	if (mbox_lock(mb->fd, mb->path, F_WRLCK, 0, &dot) < 0) {
		lock_error(mb, err, errmax);
		return -1;
	}
	/* the file we scanned, still there, not shorter */
	if (fstat(mb->fd, &st) < 0 || lstat(mb->path, &cur) < 0 ||
	    cur.st_ino != mb->ino || cur.st_dev != mb->dev ||
	    st.st_size < mb->end) {
		errno = ESTALE;
		seterr(err, errmax, "%s: changed by another program; "
			"nothing deleted", mb->path);
		rc = -1;
		goto out;
	}
	/* mail delivered during the session: kept */
	if (st.st_size > mb->end) {
		if (mbox_scan(mb, mb->end, 1, err, errmax) < 0 ||
		    fstat(mb->fd, &st) < 0) {
			rc = -1;
			goto out;
		}
		/* the UIDs given at open stay; new ones follow */
		assign_uids(mb, NULL, 0, old_n);
	}
	for (first = 0; first < mb->n; first++)
		if (mb->msg[first].flags != mb->msg[first].flags0)
			break;
	if (mailbox_state_path(mb->path, LOCAL_MBOX, "rewrite", jpath,
	    sizeof jpath) < 0 || mbox_rewrite(mb, first, st.st_size,
	    jpath) < 0) {
		seterr(err, errmax, "%s: cannot rewrite: %s", mb->path,
			strerror(errno));
		rc = -1;
		goto out;
	}
	bump_modseqs(mb);
	mb->uid_end = -1;
	mb->rewrites++;
	mb->uids_dirty = 1;
	if (mb->uids_dirty) {
		/* the saved list, without the deleted */
		size_t k = 0;

		for (i = 0; i < mb->n; i++)
			if (!(mb->msg[i].flags & MAILBOX_DELETED))
				mb->msg[k++] = mb->msg[i];
		mb->n = k;
		if (uidlist_save(mb) < 0)
			log_msg(LOG_WARNING, "%s: %s", mb->uidlist,
				strerror(errno));
	}
out:
	mbox_unlock(mb->fd, mb->path, dot);
	return rc;
}

/* --- shared sessions (MAILBOX_SHARED) -------------------------------------
 *
 * No lock is held between calls.  Each call takes the session lock
 * shared (exclusive while it rewrites an mbox), then the second lock
 * that makes shared writers take turns (mbox: the delivery write lock;
 * Maildir: flock on cur/), reads the mailbox into a new index, applies
 * our pending changes to it, writes, saves the uidlist, and only then
 * puts the new index in place of the old: a failure leaves the session
 * as it was.
 */

static void in_use(struct mailbox *mb, char *err, size_t errmax)
{
	int e = errno;

	if (e == EWOULDBLOCK)
		seterr(err, errmax, "%s: in use by another session",
			mb->path);
	else
		seterr(err, errmax, "%s: cannot lock: %s", mb->path,
			strerror(e));
	errno = e;
}

static long long ns_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void snap_of(struct mailbox_snap *s, const struct stat *st)
{
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = ns_of(&st->st_mtim);
	s->ctime = ns_of(&st->st_ctim);
}

/* Whether a file last changed at NS may be trusted not to change again
 * without its times moving: a change within the same tick of the file
 * system's clock leaves them as they were, so a file changed in the last
 * second is looked at again next time. */
static int settled(long long ns)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return ns_of(&now) - ns > 1000000000LL;
}

/* What the mailbox looks like now, into SNAP[3]: the mbox file (or the
 * Maildir's cur/), new/, the uidlist; a missing one all zero.  Whether
 * that picture may be trusted (settled). */
static int snap_now(const struct mailbox *mb, struct mailbox_snap *snap)
{
	char path[4200];
	struct stat st;
	long long newest = 0;
	int i;

	memset(snap, 0, 3 * sizeof *snap);
	for (i = 0; i < 3; i++) {
		if (i == 2)
			str_lcpy(path, mb->uidlist, sizeof path);
		else if (mb->kind == LOCAL_MAILDIR)
			snprintf(path, sizeof path, "%s/%s", mb->path,
				i ? "new" : "cur");
		else if (i == 0)
			str_lcpy(path, mb->path, sizeof path);
		else
			continue;
		if (stat(path, &st) < 0)
			continue;
		snap_of(&snap[i], &st);
		if (snap[i].mtime > newest)
			newest = snap[i].mtime;
		if (snap[i].ctime > newest)
			newest = snap[i].ctime;
	}
	return settled(newest);
}

/* --- keyword names: the state file "keywords", one a line, bit 0 first */

#define KW_FILE_MAX	(MAILBOX_KW_MAX * (MAILBOX_KW_LEN + 1))

/* RFC 3501 9: flag-keyword = atom; no system flag ("\Seen"). */
static int kw_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n >= MAILBOX_KW_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c))
			return 0;
	}
	return 1;
}

static int kw_find(const struct mailbox *mb, const char *name)
{
	unsigned i;

	for (i = 0; i < mb->nkw; i++)
		if (mb->kwname[i][0] && strcasecmp(mb->kwname[i], name) == 0)
			return (int)i;
	return -1;
}

/* Reads the names into mb->kwname.  A line that is not a name keeps its
 * bit, unnamed; a last line without its newline (a writer that died) is
 * not one.  No file: no names.  0 or -1. */
static int kw_load(struct mailbox *mb)
{
	char path[4096], *data, *p, *nl;
	size_t len;

	mb->nkw = 0;
	if (mailbox_state_path(mb->path, mb->kind, "keywords", path,
	    sizeof path) < 0)
		return -1;
	if (file_read_all(path, KW_FILE_MAX, &data, &len) < 0)
		return errno == ENOENT ? 0 : -1;
	for (p = data; (nl = strchr(p, '\n')) && mb->nkw < MAILBOX_KW_MAX;
	    p = nl + 1) {
		*nl = 0;
		str_lcpy(mb->kwname[mb->nkw++], kw_valid(p) ? p : "",
			MAILBOX_KW_LEN);
	}
	free(data);
	return 0;
}

/* Adds NAME to the file (the caller holds the locks that make writers
 * take turns, and has just loaded the names) and to mb->kwname: its bit,
 * or -1 with errno. */
static int kw_add(struct mailbox *mb, const char *name)
{
	char path[4096], line[MAILBOX_KW_LEN + 1], *old = NULL;
	ssize_t got;
	off_t keep;
	int fd, n, e;

	if (mb->nkw >= MAILBOX_KW_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (mailbox_state_path(mb->path, mb->kind, "keywords", path,
	    sizeof path) < 0 || make_parents(path) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(old = malloc(KW_FILE_MAX + 1)))
		goto fail;
	/* a line cut short by a writer that died goes first */
	got = pread(fd, old, KW_FILE_MAX + 1, 0);
	if (got < 0)
		goto fail;
	for (keep = got; keep > 0 && old[keep - 1] != '\n'; keep--)
		;
	if ((keep < got && ftruncate(fd, keep) < 0))
		goto fail;
	n = snprintf(line, sizeof line, "%s\n", name);
	if (pwrite(fd, line, (size_t)n, keep) != n || fsync(fd) < 0) {
		e = errno;
		if (ftruncate(fd, keep) < 0)
			log_msg(LOG_WARNING, "%s: %s", path, strerror(errno));
		errno = e;
		goto fail;
	}
	free(old);
	close(fd);
	str_lcpy(mb->kwname[mb->nkw], name, MAILBOX_KW_LEN);
	return (int)mb->nkw++;
fail:
	e = errno;
	free(old);
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

/* --- the locks of a shared call ------------------------------------------- */

struct held {
	int session;		/* LOCK_SH or LOCK_EX on mb->lockfd, 0 none */
	int fcntl, dot;		/* mbox: the delivery lock (F_WRLCK) */
	int cur;		/* Maildir: flock on cur/ (mb->fd) */
};

/* Shared sessions: the mbox file as it is now (it may have appeared,
 * gone, or been replaced since): mb->fd, -1 when none. */
static int mbox_reopen(struct mailbox *mb, char *err, size_t errmax)
{
	struct stat st, cur;
	int fd;

	if (stat(mb->path, &cur) < 0 && errno != ENOENT) {
		seterr(err, errmax, "%s: %s", mb->path, strerror(errno));
		return -1;
	}
	if (errno != ENOENT && mb->fd >= 0 && fstat(mb->fd, &st) == 0 &&
	    st.st_ino == cur.st_ino && st.st_dev == cur.st_dev)
		return 0;
	fd = file_open_safe(mb->path, mb->rdonly ? O_RDONLY : O_RDWR, 0, 0,
		0);
	if (fd < 0 && errno != ENOENT) {
		seterr(err, errmax, "%s: %s", mb->path, strerror(errno));
		return -1;
	}
	if (mb->fd >= 0)
		close(mb->fd);
	mb->fd = mb->lockfd = fd;
	return 0;
}

/* The session lock: OP for a shared session (an exclusive one has it). */
static int hold_session(struct mailbox *mb, int op, struct held *h,
	char *err, size_t errmax)
{
	if (!mb->shared || mb->lockfd < 0 || h->session == op)
		return 0;
	if (lock_wait(mb->lockfd, op, (int)mailbox_wait_ms) < 0) {
		in_use(mb, err, errmax);
		return -1;
	}
	h->session = op;
	return 0;
}

/* The lock that makes writers take turns, and for an mbox keeps
 * delivery out while it is read.  A journal left by a rewrite that died
 * is finished first. */
static int hold_writers(struct mailbox *mb, struct held *h, char *err,
	size_t errmax)
{
	if (mb->kind == LOCAL_MBOX) {
		if (mb->fd < 0)
			return 0;
		if (mb->shared && mbox_recover_at_open(mb, err, errmax) < 0)
			return -1;
		if (mbox_lock(mb->fd, mb->path, mb->rdonly ? F_RDLCK : F_WRLCK,
		    0, &h->dot) < 0) {
			lock_error(mb, err, errmax);
			return -1;
		}
		h->fcntl = 1;
		return 0;
	}
	if (!mb->shared || mb->rdonly || mb->fd < 0)
		return 0;
	if (lock_wait(mb->fd, LOCK_EX, (int)mailbox_wait_ms) < 0) {
		in_use(mb, err, errmax);
		return -1;
	}
	h->cur = 1;
	return 0;
}

static void release(struct mailbox *mb, struct held *h)
{
	int e = errno;

	if (h->fcntl)
		mbox_unlock(mb->fd, mb->path, mb->rdonly ? 0 : h->dot);
	if (h->cur)
		flock(mb->fd, LOCK_UN);
	if (h->session)
		flock(mb->lockfd, LOCK_UN);
	memset(h, 0, sizeof *h);
	errno = e;
}

/* --- the sync ------------------------------------------------------------- */

/* What our pending changes need: 0 nothing, 1 the uidlist (keywords),
 * 2 the mailbox too (flags, an expunge). */
static int pending(const struct mailbox *mb, unsigned how)
{
	size_t i;
	int r = 0;

	if (mb->rdonly)
		return 0;
	for (i = 0; i < mb->n; i++) {
		const struct mailbox_msg *m = &mb->msg[i];

		if (((m->flags ^ m->flags0) & STORED_FLAGS) ||
		    ((how & MAILBOX_SYNC_EXPUNGE) &&
		    (m->flags & MAILBOX_DELETED)))
			return 2;
		if (m->kw != m->kw0)
			r = 1;
	}
	return r;
}

static void free_index(struct mailbox *mb)
{
	size_t i;

	for (i = 0; i < mb->n; i++)
		free(mb->msg[i].name);
	free(mb->msg);
	mb->msg = NULL;
	mb->n = mb->cap = 0;
	free(mb->ul_uid);
	mb->ul_uid = NULL;
	mb->ul_n = 0;
}

static int idx_pcmp(const void *a, const void *b)
{
	const struct uident *x = *(const struct uident *const *)a;
	const struct uident *y = *(const struct uident *const *)b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The NU entries of U (sorted by key) in file order, that is by UID: a
 * new array of pointers, or NULL. */
static struct uident **by_idx(struct uident *u, size_t nu)
{
	struct uident **p = malloc((nu ? nu : 1) * sizeof *p);
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < nu; i++)
		p[i] = &u[i];
	qsort(p, nu, sizeof *p, idx_pcmp);
	return p;
}

/* Whether message M of the mbox FD still starts where the index says,
 * with the same key (no rewrite moved it).  A header past 16 KiB is
 * not looked at whole: "no", the caller reads the mbox again. */
static int msg_intact(int fd, const struct mailbox_msg *m)
{
	off_t want = m->off + m->len - m->from, hl = m->off - m->from;
	char *b;
	ssize_t r;
	int ok;

	if (want > 16384)
		want = 16384;
	if (hl > want || !(b = malloc((size_t)want + 1)))
		return 0;
	r = pread(fd, b, (size_t)want, m->from);
	ok = r == want && mailbox_key(b, (size_t)hl, b + hl,
		(size_t)(r - hl)) == m->key;
	free(b);
	return ok;
}

/* Scans the mail past the first END bytes of the mbox into NB (after
 * OLD_N messages known) and gives it UIDs.  1 done, 0 when what is
 * there is not mail appended (NB emptied: scan it all), -1 error. */
static int scan_past(struct mailbox *nb, off_t end, off_t size,
	struct uident *u, size_t nu, size_t old_n, char *err, size_t errmax)
{
	nb->end = end;
	if (size > end && mbox_scan(nb, end, 1, err, errmax) < 0) {
		if (errno != EINVAL)
			return -1;
		free_index(nb);
		return 0;
	}
	assign_uids(nb, u, nu, old_n);
	return 1;
}

/* An mbox that only grew since the session's last sync (MB: the same
 * file and rewrite count, the uidlist covering at least what MB
 * scanned): MB's index, refreshed from the uidlist (keywords and
 * modseqs other sessions wrote), then the mail past MB's end.  1, 0 not
 * possible, -1 error. */
static int tail_of_index(struct mailbox *nb, const struct mailbox *mb,
	struct uident *u, size_t nu, const struct stat *st, char *err,
	size_t errmax)
{
	struct uident **ord;
	size_t i;

	if (!mb || !mb->end || mb->validity != nb->validity ||
	    nb->uid_end < mb->end || st->st_size < nb->uid_end ||
	    nb->uid_ino != (unsigned long long)st->st_ino ||
	    mb->ino != st->st_ino || mb->dev != st->st_dev ||
	    nb->rewrites != mb->rewrites ||
	    (mb->n && !msg_intact(nb->fd, &mb->msg[mb->n - 1])))
		return 0;
	if (!(ord = by_idx(u, nu)))
		return -1;
	for (i = 0; i < mb->n; i++) {
		const struct mailbox_msg *o = &mb->msg[i];
		struct mailbox_msg *m = msg_add(nb);
		size_t lo = 0, hi = nu;

		if (!m) {
			free(ord);
			seterr(err, errmax, "%s: %s", nb->path,
				strerror(errno));
			return -1;
		}
		*m = *o;
		m->name = NULL;
		m->flags = m->flags0 = o->flags0 & ~MAILBOX_DELETED;
		m->kw = m->kw0 = o->kw0;
		m->recent = 0;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (ord[mid]->uid < m->uid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nu && ord[lo]->uid == m->uid && !ord[lo]->used) {
			ord[lo]->used = 1;
			entry_apply(nb, m, ord[lo]);
		} else {
			nb->uids_dirty = 1;
		}
	}
	free(ord);
	return scan_past(nb, mb->end, st->st_size, u, nu, mb->n, err,
		errmax);
}

/* For an APPEND, with no index yet: the uidlist's entries stand for the
 * first E bytes (they have no offsets: this index only lists UIDs), then
 * the mail past them.  1, 0 not possible, -1 error. */
static int tail_of_uidlist(struct mailbox *nb, struct uident *u, size_t nu,
	const struct stat *st, char *err, size_t errmax)
{
	struct uident **ord;
	size_t i;

	if (nb->uid_end < 0 || st->st_size < nb->uid_end ||
	    nb->uid_ino != (unsigned long long)st->st_ino)
		return 0;
	for (i = 0; i < nu; i++)
		if (!u[i].v2)
			return 0;
	if (!(ord = by_idx(u, nu)))
		return -1;
	for (i = 0; i < nu; i++) {
		struct mailbox_msg *m = msg_add(nb);
		struct uident *e = ord[i];

		if (!m) {
			free(ord);
			seterr(err, errmax, "%s: %s", nb->path,
				strerror(errno));
			return -1;
		}
		e->used = 1;
		m->key = strtoull(e->key, NULL, 16);
		m->size = e->size;
		m->uid = e->uid;
		m->flags = m->flags0 = e->flags;
		m->date = (time_t)e->date;
		entry_apply(nb, m, e);
	}
	free(ord);
	return scan_past(nb, nb->uid_end, st->st_size, u, nu, nb->n, err,
		errmax);
}

/* Reads the mailbox (the locks held) into the empty index of NB: scan,
 * uidlist, keyword names.  MB: the session's index so far, when it has
 * one (an mbox that only grew is then scanned past its old end only);
 * NULL for an APPEND (the uidlist alone stands for what it covers).  0,
 * or -1 with ERR. */
static int load_index(struct mailbox *nb, const struct mailbox *mb,
	int append, char *err, size_t errmax)
{
	struct uident *u;
	struct stat st;
	size_t nu;
	int r = 0;

	if (kw_load(nb) < 0)
		log_msg(LOG_WARNING, "%s: keywords: %s", nb->path,
			strerror(errno));
	if (nb->kind == LOCAL_MAILDIR)
		return maildir_load(nb, err, errmax);
	if (nb->fd >= 0 && fstat(nb->fd, &st) < 0) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		return -1;
	}
	u = uidlist_load(nb, &nu);
	if (nb->fd >= 0) {
		if (append)
			r = tail_of_uidlist(nb, u, nu, &st, err, errmax);
		else if (mb)
			r = tail_of_index(nb, mb, u, nu, &st, err, errmax);
		if (r == 0) {
			/* a whole scan: the entries all free again */
			size_t i;

			for (i = 0; i < nu; i++)
				u[i].used = 0;
		}
		if (r == 0 && mbox_scan(nb, 0, 0, err, errmax) < 0) {
			if (errno != EINVAL)
				seterr(err, errmax, "%s: %s", nb->path,
					strerror(errno));
			r = -1;
		} else if (r == 0) {
			assign_uids(nb, u, nu, 0);
		}
		nb->dev = st.st_dev;
		nb->ino = st.st_ino;
		cover(nb);
	} else {
		assign_uids(nb, u, nu, 0);
	}
	free(u);
	return r < 0 ? -1 : 0;
}

/* Our pending changes (MB) applied to the index just read (NB), both in
 * ascending UID order: what we added and what we removed, on what is
 * stored now, each change with a new modseq.  *EXPUNGED counts the
 * messages to remove.  Whether the mailbox must be written. */
static int merge(struct mailbox *nb, const struct mailbox *mb, unsigned how,
	size_t *expunged)
{
	size_t i = 0, j = 0;
	int write = 0;

	*expunged = 0;
	/* a new UIDVALIDITY (the uidlist lost): nothing of ours matches */
	if (nb->validity != mb->validity)
		return 0;
	while (i < nb->n && j < mb->n) {
		struct mailbox_msg *m = &nb->msg[i];
		const struct mailbox_msg *o = &mb->msg[j];
		unsigned add, del, nf;
		uint32_t nk;

		if (m->uid != o->uid) {
			if (m->uid < o->uid)
				i++;
			else
				j++;
			continue;
		}
		i++;
		j++;
		m->recent = o->recent;
		if (mb->rdonly)
			continue;
		add = o->flags & ~o->flags0 & STORED_FLAGS;
		del = o->flags0 & ~o->flags & STORED_FLAGS;
		nf = (m->flags | add) & ~del;
		nk = (m->kw | (o->kw & ~o->kw0)) & ~(o->kw0 & ~o->kw);
		if (nf != m->flags || nk != m->kw) {
			m->flags = nf;
			m->kw = nk;
			m->modseq = ++nb->highestmodseq;
			nb->uids_dirty = 1;
		}
		if ((how & MAILBOX_SYNC_EXPUNGE) &&
		    (o->flags & MAILBOX_DELETED)) {
			m->flags |= MAILBOX_DELETED;
			(*expunged)++;
		}
		if ((m->flags ^ m->flags0) & (STORED_FLAGS | MAILBOX_DELETED))
			write = 1;
	}
	return write;
}

/* MAILBOX_DELETED marks not expunged (no MAILBOX_SYNC_EXPUNGE) stay
 * pending in the new index. */
static void keep_marks(struct mailbox *nb, const struct mailbox *mb)
{
	size_t i = 0, j = 0;

	while (i < nb->n && j < mb->n) {
		if (nb->msg[i].uid < mb->msg[j].uid) {
			i++;
		} else if (nb->msg[i].uid > mb->msg[j].uid) {
			j++;
		} else {
			nb->msg[i].flags |= mb->msg[j].flags &
				MAILBOX_DELETED;
			i++;
			j++;
		}
	}
}

/* Rewrites the locked mbox of NB from its first changed message (the
 * journal of mbox_rewrite), then reads that tail again for its new
 * offsets: NB then holds the kept messages only.  0, or -1 with ERR. */
static int mbox_write(struct mailbox *nb, char *err, size_t errmax)
{
	struct mailbox_msg *tail = NULL;
	struct stat st;
	size_t first, i, k = 0;
	off_t start;
	char jpath[4096];

	for (first = 0; first < nb->n; first++)
		if ((nb->msg[first].flags ^ nb->msg[first].flags0) &
		    (STORED_FLAGS | MAILBOX_DELETED))
			break;
	if (first == nb->n)
		return 0;
	start = nb->msg[first].from;
	if (fstat(nb->fd, &st) < 0 || mailbox_state_path(nb->path,
	    LOCAL_MBOX, "rewrite", jpath, sizeof jpath) < 0 ||
	    mbox_rewrite(nb, first, st.st_size, jpath) < 0) {
		seterr(err, errmax, "%s: cannot rewrite: %s", nb->path,
			strerror(errno));
		return -1;
	}
	if (!(tail = malloc((nb->n - first) * sizeof *tail)))
		goto fail;
	for (i = first; i < nb->n; i++)
		if (!(nb->msg[i].flags & MAILBOX_DELETED))
			tail[k++] = nb->msg[i];
	nb->n = first;
	if (mbox_scan(nb, start, 0, err, errmax) < 0)
		goto fail;
	/* under the write lock: exactly what we wrote, in order */
	if (nb->n - first != k) {
		errno = ESTALE;
		goto fail;
	}
	for (i = 0; i < k; i++) {
		struct mailbox_msg *m = &nb->msg[first + i];

		if (m->key != tail[i].key) {
			errno = ESTALE;
			goto fail;
		}
		m->uid = tail[i].uid;
		m->modseq = tail[i].modseq;
		m->kw = tail[i].kw;
		m->recent = tail[i].recent;
	}
	free(tail);
	nb->rewrites++;
	cover(nb);
	return 0;
fail:
	seterr(err, errmax, "%s: after the rewrite: %s", nb->path,
		strerror(errno));
	free(tail);
	return -1;
}

static int do_sync(struct mailbox *mb, unsigned how, char *err,
	size_t errmax)
{
	struct mailbox *nb = NULL;
	struct mailbox_snap snap[3];
	struct held h;
	size_t i, expunged;
	int need, trusted, rc = -1;

	memset(&h, 0, sizeof h);
	need = pending(mb, how);
	if (mb->kind == LOCAL_MBOX && mb->shared &&
	    mbox_reopen(mb, err, errmax) < 0)
		return -1;
	/* a rewrite takes the session lock exclusively: readers finish */
	if (hold_session(mb, need == 2 && mb->kind == LOCAL_MBOX ?
	    LOCK_EX : LOCK_SH, &h, err, errmax) < 0)
		return -1;
	trusted = snap_now(mb, snap);
	if (!need && mb->snap_ok && memcmp(snap, mb->snap, sizeof snap) == 0) {
		release(mb, &h);
		return 0;
	}
	if (hold_writers(mb, &h, err, errmax) < 0)
		goto out;
	if (!(nb = calloc(1, sizeof *nb))) {
		seterr(err, errmax, "%s: %s", mb->path, strerror(errno));
		goto out;
	}
	nb->kind = mb->kind;
	nb->rdonly = mb->rdonly;
	nb->shared = mb->shared;
	nb->fd = mb->fd;
	nb->lockfd = mb->lockfd;
	memcpy(nb->path, mb->path, sizeof nb->path);
	memcpy(nb->uidlist, mb->uidlist, sizeof nb->uidlist);
	if (load_index(nb, mb, 0, err, errmax) < 0)
		goto out;
	if (merge(nb, mb, how, &expunged)) {
		if (mb->kind == LOCAL_MAILDIR) {
			if (maildir_apply(nb, 0, err, errmax) < 0)
				goto out;
		} else if (hold_session(mb, LOCK_EX, &h, err, errmax) < 0 ||
		    mbox_write(nb, err, errmax) < 0) {
			goto out;
		}
	}
	if (expunged) {
		nb->highestmodseq++;
		nb->uids_dirty = 1;
	}
	drop_deleted(nb);
	/* RFC 3501 2.3.2: the first session to see a message has it as
	 * \Recent; the uidlist's R says which were seen */
	if (mb->shared && !mb->rdonly) {
		for (i = 0; i < nb->n; i++)
			if (nb->msg[i].uid >= nb->recent_uid)
				nb->msg[i].recent = 1;
		if (nb->recent_uid != nb->next_uid) {
			nb->recent_uid = nb->next_uid;
			nb->uids_dirty = 1;
		}
	}
	for (i = 0; i < nb->n; i++) {
		nb->msg[i].flags0 = nb->msg[i].flags;
		nb->msg[i].kw0 = nb->msg[i].kw;
	}
	if (uidlist_save(nb) < 0) {
		seterr(err, errmax, "%s: %s", nb->uidlist, strerror(errno));
		goto out;
	}
	/* the picture taken before the locks go: later changes show */
	trusted = snap_now(nb, nb->snap);
	if (!(how & MAILBOX_SYNC_EXPUNGE))
		keep_marks(nb, mb);
	rc = 0;
	free_index(mb);
	mb->msg = nb->msg;
	mb->n = nb->n;
	mb->cap = nb->cap;
	nb->msg = NULL;
	nb->n = 0;
	mb->ul_uid = nb->ul_uid;
	mb->ul_n = nb->ul_n;
	nb->ul_uid = NULL;
	nb->ul_n = 0;
	mb->exp_low = nb->exp_low;
	mb->validity = nb->validity;
	mb->next_uid = nb->next_uid;
	mb->highestmodseq = nb->highestmodseq;
	mb->recent_uid = nb->recent_uid;
	mb->nkw = nb->nkw;
	memcpy(mb->kwname, nb->kwname, sizeof mb->kwname);
	memcpy(mb->snap, nb->snap, sizeof mb->snap);
	mb->snap_ok = trusted;
	mb->rsnap = nb->snap[0];
	mb->rsnap_ok = trusted;
	mb->end = nb->end;
	mb->dev = nb->dev;
	mb->ino = nb->ino;
	mb->uid_end = nb->uid_end;
	mb->uid_ino = nb->uid_ino;
	mb->rewrites = nb->rewrites;
	mb->uids_dirty = 0;
out:
	release(mb, &h);
	if (nb) {
		int e = errno;

		free_index(nb);
		free(nb);
		errno = e;
	}
	return rc;
}

/* --- reading under a shared session --------------------------------------- */

/* The mbox changed since the last sync (another session rewrote it, mail
 * arrived): the messages of MB found again in the file FD by their keys,
 * in order; one no longer there gets from = -1.  0 or -1. */
static int mbox_refind(struct mailbox *mb, int fd)
{
	struct mailbox *nb = calloc(1, sizeof *nb);
	struct uident *u = NULL, *e;
	char err[MAILBOX_ERR_MAX];
	size_t i, pos = 0;
	int dot, rc = -1;

	if (!nb)
		return -1;
	nb->kind = LOCAL_MBOX;
	nb->fd = fd;
	memcpy(nb->path, mb->path, sizeof nb->path);
	if (mbox_lock(fd, mb->path, F_RDLCK, 0, &dot) < 0)
		goto out;
	i = mbox_scan(nb, 0, 0, err, sizeof err) < 0;
	mbox_unlock(fd, mb->path, 0);
	if (i || (nb->n && !(u = malloc(nb->n * sizeof *u))))
		goto out;
	for (i = 0; i < nb->n; i++) {
		memset(&u[i], 0, offsetof(struct uident, key));
		msg_key(nb, &nb->msg[i], u[i].key, sizeof u[i].key);
		u[i].idx = i;
	}
	if (nb->n > 1 && sort_by_key(&u, nb->n) < 0)
		goto out;
	for (i = 0; i < mb->n; i++) {
		struct mailbox_msg *m = &mb->msg[i];
		char key[MAILDIR_NAME_MAX];

		msg_key(mb, m, key, sizeof key);
		e = u ? uident_find(u, nb->n, key, pos) : NULL;
		if (!e) {
			m->from = -1;
			continue;
		}
		e->used = 1;
		pos = e->idx + 1;
		m->from = nb->msg[e->idx].from;
		m->off = nb->msg[e->idx].off;
		m->len = nb->msg[e->idx].len;
	}
	rc = 0;
out:
	free(u);
	free_index(nb);
	free(nb);
	return rc;
}

/* mailbox_msg_open of a shared mbox session: its own descriptor, locked
 * shared until mailbox_msg_close, so no rewrite runs under the reader. */
static int shared_msg_open(struct mailbox *mb, size_t i,
	struct mailbox_reader *r)
{
	struct mailbox_snap now;
	struct mailbox_msg *m;
	struct stat st;
	int fd, e;

	fd = file_open_safe(mb->path, O_RDONLY, 0, 0, 0);
	if (fd < 0)
		return -1;
	if (lock_wait(fd, LOCK_SH, (int)mailbox_wait_ms) < 0 ||
	    fstat(fd, &st) < 0)
		goto fail;
	memset(&now, 0, sizeof now);
	snap_of(&now, &st);
	m = &mb->msg[i];
	/* changed since the last look, or maybe within its clock tick:
	 * the message checked where it should be first */
	if (memcmp(&now, &mb->rsnap, sizeof now) != 0 || (!mb->rsnap_ok &&
	    (m->from < 0 || !msg_intact(fd, m)))) {
		if (mbox_refind(mb, fd) < 0)
			goto fail;
		mb->rsnap = now;
		mb->rsnap_ok = settled(now.mtime > now.ctime ? now.mtime :
			now.ctime);
	}
	m = &mb->msg[i];
	if (m->from < 0) {
		errno = ENOENT;
		goto fail;
	}
	if (st.st_size < m->off + m->len) {
		errno = ESTALE;
		goto fail;
	}
	r->fd = fd;
	r->own = 1;
	r->pos = m->off;
	r->end = m->off + m->len;
	r->quoted = 1;
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* --- appending ------------------------------------------------------------ */

/* DATA (N bytes, CRLF or LF ends) as stored: LF ends, the header's
 * Status and X-Status fields (and their folded lines) left out, and for
 * an mbox the ones of FLAGS put at the header's end.  A new buffer, its
 * length in *LEN; NULL when out of memory. */
static char *append_text(const char *data, size_t n, int mbox,
	unsigned flags, size_t *len)
{
	char *out = malloc(n + 64), st[64];
	size_t i = 0, k = 0, hdr = (size_t)-1, sl = 0;
	int in_header = 1, skip = 0;

	if (!out)
		return NULL;
	while (i < n) {
		const char *nl = memchr(data + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - data) + 1 : n, body = e - i;

		if (nl) {
			body--;
			if (body && data[i + body - 1] == '\r')
				body--;
		}
		if (in_header && nl && body == 0) {
			in_header = 0;
			skip = 0;
			hdr = k;
		} else if (in_header && data[i] != ' ' && data[i] != '\t') {
			skip = (body >= 7 && !strncasecmp(data + i, "Status:",
				7)) || (body >= 9 && !strncasecmp(data + i,
				"X-Status:", 9));
		}
		if (!skip) {
			memcpy(out + k, data + i, body);
			k += body;
			if (nl)
				out[k++] = '\n';
		}
		i = e;
	}
	if (hdr == (size_t)-1) {
		/* all header: its last line gets its newline */
		if (k && out[k - 1] != '\n')
			out[k++] = '\n';
		hdr = k;
	}
	if (mbox && (flags & MAILBOX_SEEN))
		sl = (size_t)snprintf(st, sizeof st, "Status: RO\n");
	if (mbox && (flags & (MAILBOX_ANSWERED | MAILBOX_FLAGGED |
	    MAILBOX_DRAFT | MAILBOX_TRASHED)))
		sl += (size_t)snprintf(st + sl, sizeof st - sl,
			"X-Status: %s%s%s%s\n",
			flags & MAILBOX_ANSWERED ? "A" : "",
			flags & MAILBOX_FLAGGED ? "F" : "",
			flags & MAILBOX_DRAFT ? "T" : "",
			flags & MAILBOX_TRASHED ? "D" : "");
	memmove(out + hdr + sl, out + hdr, k - hdr);
	memcpy(out + hdr, st, sl);
	*len = k + sl;
	return out;
}

/* The bits of the NKW keyword names KW in NB (the locks held), made as
 * needed: 0, or -1 with errno (EINVAL, ENOSPC). */
static int kw_bits(struct mailbox *nb, const char *const *kw, size_t nkw,
	uint32_t *bits)
{
	size_t i;
	int b;

	*bits = 0;
	for (i = 0; i < nkw; i++) {
		if (!kw_valid(kw[i])) {
			errno = EINVAL;
			return -1;
		}
		b = kw_find(nb, kw[i]);
		if (b < 0 && (b = kw_add(nb, kw[i])) < 0)
			return -1;
		*bits |= (uint32_t)1 << b;
	}
	return 0;
}

/* APPEND's short way, under the locks: the new entry goes at the end of
 * the uidlist and its first line is rewritten in place; no scan, no new
 * copy of the list.  Only for a format 2 list with its first line
 * padded, and for an mbox only when the list covers all of it (nothing
 * delivered since).  A crash between the two writes leaves a line past
 * N, which the loader accepts. */
struct uladd {
	int fd;
	off_t fsize;
	unsigned long v, nx, rc;
	unsigned long long hm, ino, x;
	long long end;
	unsigned w;
};

/* Whether the short way is open (A ready for uladd_finish): 1, or 0. */
static int uladd_begin(struct mailbox *nb, struct uladd *a, off_t size,
	unsigned long long ino)
{
	char hdr[UIDLIST_HDR + 1], last;
	struct stat st;

	a->fd = open(nb->uidlist, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (a->fd < 0)
		return 0;
	if (pread(a->fd, hdr, UIDLIST_HDR, 0) != UIDLIST_HDR ||
	    hdr[UIDLIST_HDR - 1] != '\n' ||
	    memchr(hdr, '\n', UIDLIST_HDR - 1) || fstat(a->fd, &st) < 0 ||
	    pread(a->fd, &last, 1, st.st_size - 1) != 1 || last != '\n')
		goto no;
	hdr[UIDLIST_HDR] = 0;
	if (str_scan(hdr, "postbox-uidlist 2 V%lu N%lu M%llu R%lu E%lld I%llu "
	    "W%u", &a->v, &a->nx, &a->hm, &a->rc, &a->end, &a->ino,
	    &a->w) != 7 || !a->v || a->nx >= 0xffffffffUL ||
	    (nb->kind == LOCAL_MBOX && (a->end != size || a->ino != ino)))
		goto no;
	{
		const char *q = strstr(hdr, " X");

		if (!q || str_scan(q, " X%llu", &a->x) != 1 || a->x > a->hm)
			a->x = a->hm;
	}
	a->fsize = st.st_size;
	return 1;
no:
	close(a->fd);
	a->fd = -1;
	return 0;
}

/* Adds M (its key, size, flags, kw, date set) with the next UID and
 * modseq, the mbox then covering END bytes.  0, or -1 with errno (the
 * list as it was). */
static int uladd_finish(struct mailbox *nb, struct uladd *a,
	struct mailbox_msg *m, long long end)
{
	char hdr[UIDLIST_HDR], line[UIDLIST_LINE], key[MAILDIR_NAME_MAX];
	int n, e;

	m->uid = (unsigned)a->nx;
	m->modseq = a->hm + 1;
	msg_key(nb, m, key, sizeof key);
	n = snprintf(line, sizeof line, "%u %s %lld %llu %x %x %lld\n",
		m->uid, key, (long long)m->size,
		(unsigned long long)m->modseq, m->flags & STORED_FLAGS,
		(unsigned)m->kw, (long long)m->date);
	uidlist_hdr(hdr, a->v, a->nx + 1, a->hm + 1, a->rc,
		nb->kind == LOCAL_MBOX ? end : 0, a->ino, a->w, a->x);
	if (n < 0 || n >= (int)sizeof line ||
	    pwrite(a->fd, line, (size_t)n, a->fsize) != n ||
	    pwrite(a->fd, hdr, UIDLIST_HDR, 0) != UIDLIST_HDR ||
	    fsync(a->fd) < 0) {
		e = errno ? errno : EIO;
		if (ftruncate(a->fd, a->fsize) < 0)
			log_msg(LOG_WARNING, "%s: %s", nb->uidlist,
				strerror(errno));
		errno = e;
		return -1;
	}
	nb->validity = (unsigned)a->v;
	return 0;
}

static void uladd_end(struct uladd *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

/* The short way of an mbox APPEND (the locks held, MA open): 1 done
 * (committed, *UID given), 0 not open (nothing written), -1 failed. */
static int append_mbox_short(struct mailbox *nb, struct mbox_append *ma,
	const char *text, size_t len, unsigned flags, const char *const *kw,
	size_t nkw, time_t date, unsigned *uid, char *err, size_t errmax)
{
	struct mailbox_msg m;
	struct uladd a;
	struct stat st;
	char fl[600];
	int flen;

	if (fstat(nb->fd, &st) < 0 || !uladd_begin(nb, &a, st.st_size,
	    (unsigned long long)st.st_ino))
		return 0;
	nb->dev = st.st_dev;
	nb->ino = st.st_ino;
	memset(&m, 0, sizeof m);
	flen = mbox_from_line(fl, sizeof fl, "MAILER-DAEMON", date);
	if (kw_load(nb) < 0 || kw_bits(nb, kw, nkw, &m.kw) < 0 || flen < 0) {
		seterr(err, errmax, "%s: keywords: %s", nb->path,
			strerror(errno));
		goto fail;
	}
	m.key = mailbox_key(fl, (size_t)flen, text, len);
	m.size = mailbox_sent_size(text, len, 0);
	m.flags = flags;
	m.date = date;
	if (mbox_append_from(ma, "MAILER-DAEMON", date) < 0 ||
	    mbox_append_write(ma, text, len) < 0 ||
	    mbox_append_end(ma) < 0 || fstat(ma->fd, &st) < 0 ||
	    uladd_finish(nb, &a, &m, st.st_size + (off_t)ma->n) < 0) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		goto fail;
	}
	uladd_end(&a);
	/* should this fail, the uidlist's entry and end are past the
	 * mbox: the next scan drops the entry */
	if (mbox_append_commit(ma) < 0) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		mbox_append_abort(ma);
		return -1;
	}
	*uid = m.uid;
	return 1;
fail:
	uladd_end(&a);
	mbox_append_abort(ma);
	return -1;
}

static int append_mbox(struct mailbox *nb, const char *text, size_t len,
	unsigned flags, const char *const *kw, size_t nkw, time_t date,
	unsigned *uid, char *err, size_t errmax)
{
	struct mbox_append ma;
	struct mailbox_msg *m;
	struct stat st;
	struct held h;
	char fl[600];
	uint32_t bits;
	int flen;

	memset(&h, 0, sizeof h);
	nb->fd = nb->lockfd = file_open_safe(nb->path, O_RDWR | O_CREAT,
		0600, 0, 0);
	if (nb->fd < 0) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		return -1;
	}
	if (hold_session(nb, LOCK_SH, &h, err, errmax) < 0)
		return -1;
	if (mbox_recover_at_open(nb, err, errmax) < 0)
		goto fail;
	/* the delivery locks on a descriptor of its own; nb->fd stays
	 * open until they are released (closing any descriptor of the
	 * file drops a process's fcntl locks) */
	if (mbox_append_open(&ma, nb->path, 0, 0) < 0) {
		lock_error(nb, err, errmax);
		goto fail;
	}
	switch (append_mbox_short(nb, &ma, text, len, flags, kw, nkw, date,
	    uid, err, errmax)) {
	case 1:
		release(nb, &h);
		return 0;
	case -1:
		goto fail;
	}
	/* the messages before it get their UIDs first */
	if (load_index(nb, NULL, 1, err, errmax) < 0)
		goto abort;
	if (kw_bits(nb, kw, nkw, &bits) < 0) {
		seterr(err, errmax, "%s: keywords: %s", nb->path,
			strerror(errno));
		goto abort;
	}
	flen = mbox_from_line(fl, sizeof fl, "MAILER-DAEMON", date);
	if (flen < 0 || !(m = msg_add(nb))) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		goto abort;
	}
	m->key = mailbox_key(fl, (size_t)flen, text, len);
	m->size = mailbox_sent_size(text, len, 0);
	m->flags = m->flags0 = flags;
	m->kw = m->kw0 = bits;
	m->date = date;
	m->uid = nb->next_uid++;
	m->modseq = ++nb->highestmodseq;
	*uid = m->uid;
	nb->uids_dirty = 1;
	if (mbox_append_from(&ma, "MAILER-DAEMON", date) < 0 ||
	    mbox_append_write(&ma, text, len) < 0 ||
	    mbox_append_end(&ma) < 0 || fstat(ma.fd, &st) < 0) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		goto abort;
	}
	/* the UID saved first, covering the mbox with the message (the
	 * bytes still buffered too): should the commit fail, the entry of
	 * a message not there goes at the next scan */
	nb->end = st.st_size + (off_t)ma.n;
	cover(nb);
	if (uidlist_save(nb) < 0) {
		seterr(err, errmax, "%s: %s", nb->uidlist, strerror(errno));
		goto abort;
	}
	if (mbox_append_commit(&ma) < 0) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		mbox_append_abort(&ma);
		goto fail;
	}
	release(nb, &h);
	return 0;
abort:
	mbox_append_abort(&ma);
fail:
	release(nb, &h);
	return -1;
}

static int append_maildir(struct mailbox *nb, const char *text, size_t len,
	unsigned flags, const char *const *kw, size_t nkw, time_t date,
	unsigned *uid, char *err, size_t errmax)
{
	struct maildir_deliver d;
	struct timespec ts[2];
	struct held h;
	char name[MAILDIR_NAME_MAX], from[4400], to[4400], info[16];
	uint32_t bits;
	size_t i;

	memset(&h, 0, sizeof h);
	snprintf(from, sizeof from, "%s/cur", nb->path);
	if (maildir_make(nb->path) < 0 ||
	    (nb->lockfd = open(nb->path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 ||
	    (nb->fd = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
		return -1;
	}
	if (hold_session(nb, LOCK_SH, &h, err, errmax) < 0 ||
	    hold_writers(nb, &h, err, errmax) < 0)
		goto fail;
	ts[0].tv_sec = ts[1].tv_sec = date;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (maildir_deliver_open(&d, nb->path) < 0)
		goto sys;
	if (maildir_deliver_write(&d, text, len) < 0 ||
	    futimens(d.fd, ts) < 0) {
		maildir_deliver_abort(&d);
		goto sys;
	}
	if (maildir_deliver_commit(&d, name, sizeof name) < 0)
		goto sys;
	snprintf(from, sizeof from, "%s/new/%s", nb->path, name);
	if (flags) {
		/* with its flags: straight on to cur/ */
		info_letters(flags, info);
		snprintf(to, sizeof to, "%s/cur/%s:2,%s", nb->path, name,
			info);
		if (rename(from, to) < 0)
			goto undo;
		str_lcpy(from, to, sizeof from);
	}
	{
		/* the short way: one line added to the uidlist */
		struct mailbox_msg m;
		struct uladd a;
		char mname[MAILDIR_NAME_MAX + 8];

		if (uladd_begin(nb, &a, 0, 0)) {
			memset(&m, 0, sizeof m);
			snprintf(mname, sizeof mname, "new/%s", name);
			m.name = mname;
			m.size = mailbox_sent_size(text, len, 0);
			m.flags = flags;
			m.date = date;
			if (kw_load(nb) < 0 ||
			    kw_bits(nb, kw, nkw, &m.kw) < 0 ||
			    uladd_finish(nb, &a, &m, 0) < 0) {
				uladd_end(&a);
				goto undo;
			}
			uladd_end(&a);
			*uid = m.uid;
			release(nb, &h);
			return 0;
		}
	}
	if (load_index(nb, NULL, 0, err, errmax) < 0 ||
	    kw_bits(nb, kw, nkw, &bits) < 0)
		goto undo;
	for (i = 0; i < nb->n; i++) {
		const char *base = strchr(nb->msg[i].name, '/') + 1;
		size_t k = strlen(name);

		if (strncmp(base, name, k) == 0 && (!base[k] ||
		    base[k] == ':'))
			break;
	}
	if (i == nb->n) {
		errno = ENOENT;
		goto undo;
	}
	nb->msg[i].kw = nb->msg[i].kw0 = bits;
	nb->msg[i].date = date;
	nb->uids_dirty = 1;
	if (uidlist_save(nb) < 0)
		goto undo;
	*uid = nb->msg[i].uid;
	release(nb, &h);
	return 0;
undo:
	/* nothing stored after a failure */
	seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
	unlink(from);
	goto fail;
sys:
	seterr(err, errmax, "%s: %s", nb->path, strerror(errno));
fail:
	release(nb, &h);
	return -1;
}

/* --- the interface -------------------------------------------------------- */

static int shared_open(struct mailbox *mb, int flags, char *err,
	size_t errmax)
{
	char cur[4200];

	if (mb->kind == LOCAL_MAILDIR) {
		if ((flags & MAILBOX_CREATE) && maildir_make(mb->path) < 0) {
			seterr(err, errmax, "%s: %s", mb->path,
				strerror(errno));
			return -1;
		}
		snprintf(cur, sizeof cur, "%s/cur", mb->path);
		mb->lockfd = open(mb->path, O_RDONLY | O_DIRECTORY |
			O_CLOEXEC);
		mb->fd = mb->lockfd < 0 ? -1 : open(cur, O_RDONLY |
			O_DIRECTORY | O_CLOEXEC);
		if (mb->fd < 0) {
			seterr(err, errmax, "%s: %s", mb->path,
				strerror(errno));
			return -1;
		}
	}
	return do_sync(mb, 0, err, errmax);
}

int mailbox_sync(struct mailbox *mb, unsigned how, char *err,
	size_t errmax)
{
	return do_sync(mb, how, err, errmax);
}

int mailbox_keyword(struct mailbox *mb, const char *name, int create)
{
	char err[MAILBOX_ERR_MAX];
	struct held h;
	int b = kw_find(mb, name);

	if (b >= 0)
		return b;
	if (!create) {
		errno = ENOENT;
		return -1;
	}
	if (!kw_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if (mb->rdonly) {
		/* EXAMINE: known in this session only */
		if (mb->nkw >= MAILBOX_KW_MAX) {
			errno = ENOSPC;
			return -1;
		}
		str_lcpy(mb->kwname[mb->nkw], name, MAILBOX_KW_LEN);
		return (int)mb->nkw++;
	}
	/* saved at once, under the locks, so that a name keeps its bit:
	 * one another session made meanwhile is found */
	memset(&h, 0, sizeof h);
	if ((mb->kind == LOCAL_MBOX && mb->shared &&
	    mbox_reopen(mb, err, sizeof err) < 0) ||
	    hold_session(mb, LOCK_SH, &h, err, sizeof err) < 0 ||
	    hold_writers(mb, &h, err, sizeof err) < 0)
		return -1;
	if (kw_load(mb) < 0 || ((b = kw_find(mb, name)) < 0 &&
	    (b = kw_add(mb, name)) < 0))
		b = -1;
	release(mb, &h);
	return b;
}

int mailbox_append(const char *path, int kind, const char *data, size_t n,
	unsigned flags, const char *const *kw, size_t nkw, time_t date,
	unsigned *validity, unsigned *uid, char *err, size_t errmax)
{
	struct mailbox *nb = calloc(1, sizeof *nb);
	char *text = NULL;
	size_t len, i;
	int rc = -1, fs;

	if (!nb || !(text = append_text(data, n, kind == LOCAL_MBOX,
	    flags & STORED_FLAGS, &len))) {
		seterr(err, errmax, "%s: %s", path, strerror(errno));
		goto out;
	}
	nb->kind = kind;
	nb->shared = 1;
	nb->fd = nb->lockfd = -1;
	if (str_lcpy(nb->path, path, sizeof nb->path) >= sizeof nb->path ||
	    mailbox_uidlist_path(path, kind, nb->uidlist,
	    sizeof nb->uidlist) < 0) {
		errno = ENAMETOOLONG;
		seterr(err, errmax, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (i = 0; i < nkw; i++)
		if (!kw_valid(kw[i])) {
			errno = EINVAL;
			seterr(err, errmax, "%s: not a keyword: %.100s", path,
				kw[i]);
			goto out;
		}
	if (!date)
		date = time(NULL);
	flags &= STORED_FLAGS;
	fs = as_owner(path, kind);
	rc = kind == LOCAL_MAILDIR ?
		append_maildir(nb, text, len, flags, kw, nkw, date, uid, err,
			errmax) :
		append_mbox(nb, text, len, flags, kw, nkw, date, uid, err,
			errmax);
	as_self(fs);
	if (rc == 0)
		*validity = nb->validity;
out:
	if (nb) {
		int e = errno;

		mailbox_close(nb);
		free(nb);
		errno = e;
	}
	free(text);
	return rc;
}

int mailbox_open(struct mailbox *mb, const char *path, int kind, int flags,
	char *err, size_t errmax)
{
	int rc, fs;

	memset(mb, 0, sizeof *mb);
	mb->fd = mb->lockfd = -1;
	mb->kind = kind;
	mb->rdonly = flags & MAILBOX_RDONLY;
	mb->shared = (flags & MAILBOX_SHARED) != 0;
	if (str_lcpy(mb->path, path, sizeof mb->path) >= sizeof mb->path ||
	    mailbox_uidlist_path(path, kind, mb->uidlist,
	    sizeof mb->uidlist) < 0) {
		errno = ENAMETOOLONG;
		seterr(err, errmax, "%s: %s", path, strerror(errno));
		return -1;
	}
	fs = as_owner(path, kind);
	if (mb->shared)
		rc = shared_open(mb, flags, err, errmax);
	else if (kind == LOCAL_MAILDIR)
		rc = maildir_open(mb, flags, err, errmax);
	else
		rc = mbox_open_scan(mb, err, errmax);
	as_self(fs);
	if (rc < 0) {
		int e = errno;

		mailbox_close(mb);
		errno = e;
	}
	return rc;
}

void mailbox_close(struct mailbox *mb)
{
	free_index(mb);
	if (mb->lockfd >= 0 && mb->lockfd != mb->fd)
		close(mb->lockfd);
	if (mb->fd >= 0)
		close(mb->fd);	/* the flock goes with it */
	mb->fd = mb->lockfd = -1;
}

int mailbox_commit(struct mailbox *mb, char *err, size_t errmax)
{
	int rc = 0, e, fs = as_owner(mb->path, mb->kind);

	if (mb->shared)
		rc = do_sync(mb, 0, err, errmax);
	else if (!mb->rdonly)
		rc = mb->kind == LOCAL_MAILDIR ?
			maildir_commit(mb, err, errmax) :
			mbox_commit(mb, err, errmax);
	as_self(fs);
	e = errno;
	mailbox_close(mb);
	errno = e;
	return rc;
}

size_t mailbox_count(const struct mailbox *mb, off_t *total)
{
	size_t i, n = 0;
	off_t t = 0;

	for (i = 0; i < mb->n; i++)
		if (!(mb->msg[i].flags & MAILBOX_DELETED)) {
			n++;
			t += mb->msg[i].size;
		}
	if (total)
		*total = t;
	return n;
}

int mailbox_msg_open(struct mailbox *mb, size_t i, struct mailbox_reader *r)
{
	struct mailbox_msg *m = &mb->msg[i];
	struct stat st;
	int tries;

	memset(r, 0, offsetof(struct mailbox_reader, buf));
	r->bol = 1;
	if (mb->kind == LOCAL_MBOX && mb->shared)
		return shared_msg_open(mb, i, r);
	if (mb->kind == LOCAL_MBOX) {
		if (mb->fd < 0) {
			errno = ESTALE;
			return -1;
		}
		/* cut short behind our back: say so before a reply */
		if (fstat(mb->fd, &st) < 0 || st.st_size < m->off + m->len) {
			errno = ESTALE;
			return -1;
		}
		r->fd = mb->fd;
		r->pos = m->off;
		r->end = m->off + m->len;
		r->quoted = 1;
		return 0;
	}
	for (tries = 0; tries < 2; tries++) {
		/* relative to the open folder: no walk down its path */
		r->fd = openat(mb->lockfd, m->name, O_RDONLY | O_NOFOLLOW |
			O_CLOEXEC);
		if (r->fd >= 0)
			break;
		if (errno != ENOENT || maildir_refind(mb, m) < 0)
			return -1;
	}
	if (r->fd < 0)
		return -1;
	if (fstat(r->fd, &st) < 0) {
		close(r->fd);
		return -1;
	}
	r->own = 1;
	r->end = st.st_size;
	return 0;
}

/* Up to WANT bytes at r->pos, never past r->end, into DST: the count
 * (r->pos moved on); 0 when the file ends early (it is shorter than when
 * it was opened, or than the index says: r->end moves back); -1 error. */
static ssize_t read_at(struct mailbox_reader *r, char *dst, size_t want)
{
	ssize_t got;

	if ((off_t)want > r->end - r->pos)
		want = (size_t)(r->end - r->pos);
	do
		got = pread(r->fd, dst, want, r->pos);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		r->end = r->pos;
	else if (got > 0)
		r->pos += got;
	return got;
}

/* mailbox_msg_read's answer when read_at gave GOT <= 0 after OUT bytes:
 * those bytes, else -1 (ESTALE for a file that ended early). */
static ssize_t cut_short(size_t out, ssize_t got)
{
	if (out)
		return (ssize_t)out;
	if (got == 0)
		errno = ESTALE;
	return -1;
}

ssize_t mailbox_msg_read(struct mailbox_reader *r, char *dst, size_t n)
{
	size_t out = 0;

	/* nothing to undo (Maildir): straight from the file into DST */
	while (!r->quoted && out < n && r->pos < r->end) {
		ssize_t got = read_at(r, dst + out, n - out);

		if (got <= 0)
			return cut_short(out, got);
		out += (size_t)got;
	}
	if (!r->quoted)
		return (ssize_t)out;
	while (out < n) {
		size_t avail = r->fill - r->start;
		char *p = r->buf + r->start;

		/* enough look-ahead at a line start for the quoting rule */
		if (avail < QUOTE_WINDOW && r->pos < r->end) {
			size_t want = sizeof r->buf - avail;
			ssize_t got;

			memmove(r->buf, p, avail);
			r->start = 0;
			r->fill = avail;
			got = read_at(r, r->buf + r->fill, want);
			if (got <= 0)
				return cut_short(out, got);
			r->fill += (size_t)got;
			continue;
		}
		if (!avail)
			break;
		if (r->bol && r->quoted && quoted_from(p, avail)) {
			r->start++;	/* drop one '>' */
			p++;
			avail--;
		}
		{
			/* up to the next '>' at a line start, where the
			 * quoting may have to be undone: rare, so long runs */
			const char *q = p + 1, *end = p + avail;
			size_t k = avail;

			while (q < end && (q = memchr(q, '>', end - q))) {
				if (q[-1] == '\n') {
					k = (size_t)(q - p);
					break;
				}
				q++;
			}
			if (k > n - out)
				k = n - out;
			memcpy(dst + out, p, k);
			out += k;
			r->start += k;
			r->bol = p[k - 1] == '\n';
		}
	}
	return (ssize_t)out;
}

int mailbox_from_line(struct mailbox *mb, size_t i, char *dst, size_t max)
{
	const struct mailbox_msg *m = &mb->msg[i];
	off_t len = m->off - m->from;
	ssize_t r;

	if (max == 0) {
		errno = EINVAL;
		return -1;
	}
	dst[0] = 0;
	if (mb->kind != LOCAL_MBOX || mb->fd < 0)
		return 0;
	if (len > (off_t)max - 1)
		len = (off_t)max - 1;
	r = pread(mb->fd, dst, (size_t)len, m->from);
	if (r < 0)
		return -1;
	while (r > 0 && (dst[r - 1] == '\n' || dst[r - 1] == '\r'))
		r--;
	dst[r] = 0;
	return (int)r;
}

void mailbox_msg_close(struct mailbox_reader *r)
{
	if (r->own && r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
