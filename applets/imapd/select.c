/*
 * imapd's selected state (RFC 3501 6.3.1-2, 6.4): SELECT and EXAMINE,
 * FETCH, STORE, SEARCH, EXPUNGE, CLOSE, UNSELECT (RFC 3691), CHECK, IDLE
 * (RFC 2177), and the untagged EXISTS, RECENT, EXPUNGE and FETCH that
 * tell the client what other sessions and delivery did.
 *
 * The mailbox is opened MAILBOX_SHARED (mailbox.h): no lock between
 * commands, mailbox_sync before each command brings the index up to
 * date and writes our changes.  The client's view (the UIDs it knows, in
 * sequence order, with the flags it was told) is kept apart from the
 * index: sequence numbers stay what the client was told until an EXPUNGE
 * may be sent (RFC 3501 7.4.1: never during FETCH, STORE or SEARCH), and
 * a message expunged meanwhile by another session is simply not found.
 */
#include "imapd.h"
#include "imapmsg.h"
#include "folder.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX		(1UL << 30)	/* a message read into memory */
#define FETCH_ATTS_MAX	32
#define SEARCH_NODES_MAX 1000
#define SEARCH_DEPTH_MAX 50
#define IDLE_POLL_MS	30000	/* without inotify: 1000 */

/* What the client was told of one message. */
struct seen {
	uint32_t uid;
	unsigned flags;
	uint32_t kw;
	unsigned recent;
	uint64_t modseq;
};

struct sel {
	struct mailbox mb;
	int rdonly;			/* EXAMINE */
	struct seen *view;		/* sequence number i + 1 */
	size_t n, cap;
	unsigned nkw;			/* keyword names told in FLAGS */
	uint32_t cached;		/* UID in msg, 0 none */
	struct buf msg;			/* a message in CRLF form */
	struct buf tmp;			/* sections, envelopes */
	struct mailbox_reader rd;
	char name[FOLDER_NAME_MAX + 1];
};

#define FLAGS_IMAP (MAILBOX_SEEN | MAILBOX_ANSWERED | MAILBOX_FLAGGED | \
	MAILBOX_DRAFT | MAILBOX_TRASHED)

static struct sel *SEL(struct imap *s)
{
	return s->sel;
}

/* The index of UID in the mailbox, or -1. */
static long find_uid(const struct mailbox *mb, uint32_t uid)
{
	size_t lo = 0, hi = mb->n;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (mb->msg[m].uid < uid)
			lo = m + 1;
		else if (mb->msg[m].uid > uid)
			hi = m;
		else
			return (long)m;
	}
	return -1;
}

static void flag_list(struct imap *s, const struct mailbox *mb,
	unsigned flags, uint32_t kw, int recent)
{
	static const struct { unsigned bit; const char *name; } f[] = {
		{ MAILBOX_SEEN, "\\Seen" }, { MAILBOX_ANSWERED, "\\Answered" },
		{ MAILBOX_FLAGGED, "\\Flagged" },
		{ MAILBOX_TRASHED, "\\Deleted" }, { MAILBOX_DRAFT, "\\Draft" },
	};
	const char *sp = "";
	size_t i;

	io_puts(&s->out, "(");
	for (i = 0; i < sizeof f / sizeof *f; i++)
		if (flags & f[i].bit) {
			io_printf(&s->out, "%s%s", sp, f[i].name);
			sp = " ";
		}
	if (recent) {
		io_printf(&s->out, "%s\\Recent", sp);
		sp = " ";
	}
	for (i = 0; i < mb->nkw && i < 32; i++)
		if (kw & (1u << i)) {
			io_printf(&s->out, "%s%s", sp, mb->kwname[i]);
			sp = " ";
		}
	io_puts(&s->out, ")");
}

static void all_flags(struct imap *s, struct sel *x, int permanent)
{
	unsigned i;

	io_puts(&s->out, permanent ? "* OK [PERMANENTFLAGS (" : "* FLAGS (");
	io_puts(&s->out, "\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (i = 0; i < x->mb.nkw; i++)
		io_printf(&s->out, " %s", x->mb.kwname[i]);
	if (permanent)
		io_puts(&s->out, x->mb.nkw < MAILBOX_KW_MAX ? " \\*)] Flags "
			"permitted\r\n" : ")] Flags permitted\r\n");
	else
		io_puts(&s->out, ")\r\n");
}

/* --- keeping the client up to date ---------------------------------------- */

/* A UID set being written (RFC 3501 sequence-set, for VANISHED): ranges
 * added in ascending order, neighbours merged. */
struct uset {
	struct buf b;
	uint32_t lo, hi;
	int have;
};
#define USET_MAX	(16UL << 20)

static void uset_flush(struct uset *u)
{
	if (!u->have)
		return;
	if (u->b.len)
		buf_adds(&u->b, ",");
	if (u->lo == u->hi)
		buf_printf(&u->b, "%u", u->lo);
	else
		buf_printf(&u->b, "%u:%u", u->lo, u->hi);
	u->have = 0;
}

static void uset_add(struct uset *u, uint32_t lo, uint32_t hi)
{
	if (u->have && lo == u->hi + 1ULL) {
		u->hi = hi;
		return;
	}
	uset_flush(u);
	u->lo = lo;
	u->hi = hi;
	u->have = 1;
}

/* "* VANISHED [(EARLIER) ]set" when the set is not empty; frees it. */
static void uset_send(struct imap *s, struct uset *u, int earlier)
{
	uset_flush(u);
	if (u->b.len) {
		io_puts(&s->out, earlier ? "* VANISHED (EARLIER) " :
			"* VANISHED ");
		io_write(&s->out, u->b.p, u->b.len);
		io_puts(&s->out, "\r\n");
	}
	buf_free(&u->b);
}

/* Whether UID is in the client's view (ascending UIDs). */
static int in_view(const struct sel *x, uint32_t uid)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->view[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->n && x->view[lo].uid == uid;
}

/* RFC 7162 3.2.5.1, 3.2.6: VANISHED (EARLIER) for the UIDs (of KNOWN,
 * NULL all) expunged since modseq SINCE and not in the view: from the
 * mailbox's expunge record, or, when that does not reach back to SINCE,
 * every UID below UIDNEXT not in the view (the RFC lets a server name
 * UIDs the client never had). */
static void vanished_earlier(struct imap *s, const struct seqset *known,
	uint64_t since)
{
	struct sel *x = SEL(s);
	struct uset v;
	unsigned *u = NULL;
	size_t n = 0, i, j;
	uint32_t last = x->mb.next_uid ? x->mb.next_uid - 1 : 0;
	int r = mailbox_expunged(&x->mb, since, &u, &n);

	memset(&v, 0, sizeof v);
	buf_init(&v.b, USET_MAX);
	if (r < 0)
		log_msg(LOG_WARNING, "%s: %s: expunge record: %s", s->client,
			s->login, strerror(errno));
	if (r > 0) {
		for (i = 0; i < n; i++)
			if ((!known || seq_has(known, u[i])) &&
			    !in_view(x, u[i]))
				uset_add(&v, u[i], u[i]);
	} else {
		struct range all = { 1, last };
		const struct range *rg = known ? known->r : &all;
		size_t nr = known ? known->n : last ? 1 : 0;

		for (i = 0, j = 0; i < nr; i++) {
			uint32_t lo = rg[i].lo, hi = rg[i].hi < last ?
				rg[i].hi : last;

			while (lo && lo <= hi) {
				uint32_t w;

				while (j < x->n && x->view[j].uid < lo)
					j++;
				if (j == x->n || x->view[j].uid > hi) {
					uset_add(&v, lo, hi);
					break;
				}
				w = x->view[j].uid;
				if (w > lo)
					uset_add(&v, lo, w - 1);
				if (w == hi)
					break;
				lo = w + 1;
			}
		}
	}
	free(u);
	uset_send(s, &v, 1);
}

/* After mailbox_sync: tells the client what changed.  EXPUNGE only when
 * EXPUNGES (RFC 3501 7.4.1), in descending order so that every number
 * sent is still right when it arrives; flags changed by others as FETCH;
 * new messages as EXISTS and RECENT. */
static void tell(struct imap *s, int expunges)
{
	struct sel *x = SEL(s);
	struct mailbox *mb = &x->mb;
	size_t i, j, old = x->n, recent = 0;
	long k;

	/* RFC 3501 7.2.6: a keyword made (here or by another session)
	 * changes FLAGS */
	if (mb->nkw != x->nkw) {
		x->nkw = mb->nkw;
		all_flags(s, x, 0);
		if (!x->rdonly)
			all_flags(s, x, 1);
	}

	if (expunges && s->qresync) {
		/* RFC 7162 3.2.10: VANISHED instead of EXPUNGE */
		struct uset v;

		memset(&v, 0, sizeof v);
		buf_init(&v.b, USET_MAX);
		for (i = 0; i < x->n; i++)
			if (find_uid(mb, x->view[i].uid) < 0)
				uset_add(&v, x->view[i].uid, x->view[i].uid);
		uset_send(s, &v, 0);
	} else if (expunges) {
		for (i = x->n; i-- > 0;)
			if (find_uid(mb, x->view[i].uid) < 0)
				reply(s, "* %zu EXPUNGE", i + 1);
	}
	if (expunges) {
		for (i = 0, j = 0; i < x->n; i++)
			if (find_uid(mb, x->view[i].uid) >= 0)
				x->view[j++] = x->view[i];
		x->n = j;
		old = j;
	}
	for (i = 0; i < x->n; i++) {
		struct seen *v = &x->view[i];

		if ((k = find_uid(mb, v->uid)) < 0)
			continue;
		if ((mb->msg[k].flags & FLAGS_IMAP) == v->flags &&
		    mb->msg[k].kw == v->kw)
			continue;
		v->flags = mb->msg[k].flags & FLAGS_IMAP;
		v->kw = mb->msg[k].kw;
		v->modseq = mb->msg[k].modseq;
		io_printf(&s->out, "* %zu FETCH (", i + 1);
		if (s->condstore)
			io_printf(&s->out, "MODSEQ (%llu) ",
				(unsigned long long)v->modseq);
		io_printf(&s->out, "UID %u FLAGS ", v->uid);
		flag_list(s, mb, v->flags, v->kw, v->recent);
		io_puts(&s->out, ")\r\n");
	}
	/* new ones: UIDs past the last the client knows */
	for (k = 0; (size_t)k < mb->n; k++) {
		const struct mailbox_msg *m = &mb->msg[k];

		if (x->n && m->uid <= x->view[x->n - 1].uid)
			continue;
		if (buf_grow_array((void **)&x->view, &x->cap, x->n,
		    sizeof *x->view, 64) < 0)
			break;
		x->view[x->n].uid = m->uid;
		x->view[x->n].flags = m->flags & FLAGS_IMAP;
		x->view[x->n].kw = m->kw;
		/* RFC 3501 6.3.2: EXAMINE claims nothing, but shows what
		 * nobody claimed yet as \Recent */
		x->view[x->n].recent = m->recent || (x->rdonly &&
			m->uid >= mb->recent_uid);
		x->view[x->n].modseq = m->modseq;
		x->n++;
	}
	if (x->n != old) {
		for (i = 0; i < x->n; i++)
			recent += x->view[i].recent != 0;
		reply(s, "* %zu EXISTS", x->n);
		reply(s, "* %zu RECENT", recent);
	}
}

/* mailbox_sync, then tell.  0, or -1 (logged) when the sync failed:
 * the view stays as it was. */
static int sync_tell(struct imap *s, unsigned how, int expunges)
{
	struct sel *x = SEL(s);
	char err[MAILBOX_ERR_MAX];

	if (mailbox_sync(&x->mb, how, err, sizeof err) < 0) {
		if (errno != EWOULDBLOCK)
			log_msg(LOG_WARNING, "%s: %s: %s", s->client,
				s->login, err);
		return -1;
	}
	tell(s, expunges);
	return 0;
}

/* Between commands (imapd.c): what others did. */
int sel_update(struct imap *s, int expunges)
{
	return s->sel ? sync_tell(s, 0, expunges) : 0;
}

void sel_tell(struct imap *s)
{
	if (s->sel)
		tell(s, 1);
}

void sel_close(struct imap *s)
{
	struct sel *x = SEL(s);

	if (!x)
		return;
	mailbox_close(&x->mb);
	free(x->view);
	buf_free(&x->msg);
	buf_free(&x->tmp);
	free(x);
	s->sel = NULL;
	if (s->state == ST_SELECTED)
		s->state = ST_AUTH;
}

/* --- SELECT, EXAMINE ------------------------------------------------------ */

/* The path of folder NAME (already a C string): INBOX is the
 * PostboxMailbox, the others folder.h's.  0, or -1 with errno. */
int folder_find(struct imap *s, const char *name, char *path, size_t max,
	int *kind)
{
	if (!strcasecmp(name, "INBOX")) {
		str_lcpy(path, s->inbox, max);
		*kind = s->kind;
		return 0;
	}
	if (!s->folders) {
		errno = ENOENT;
		return -1;
	}
	return folder_path(s->folders, name, path, max, kind);
}

/* SELECT's QRESYNC parameter (RFC 7162 3.2.5). */
struct qr {
	int on;
	uint32_t validity;
	uint64_t modseq;
	struct seqset known;
	int has_known;
};

/* RFC 7162 3.1.8, 3.2.5: "(CONDSTORE)", "(QRESYNC (uidvalidity modseq
 * [known-uids [(seq-match uid-match)]]))", or both; QRESYNC only after
 * ENABLE QRESYNC.  0, or -1. */
static int select_params(struct imap *s, struct cur *c, struct qr *q)
{
	char word[32];

	if (!p_peek(c, '('))
		return -1;
	c->p++;
	for (;;) {
		if (p_word(c, word, sizeof word) < 0)
			return -1;
		if (!strcmp(word, "CONDSTORE")) {
			s->condstore = 1;
		} else if (!strcmp(word, "QRESYNC") && s->qresync && !q->on) {
			if (p_sp(c) < 0 || !p_peek(c, '('))
				return -1;
			c->p++;
			if (p_number(c, &q->validity) < 0 || p_sp(c) < 0 ||
			    p_number64(c, &q->modseq) < 0 || !q->validity ||
			    !q->modseq)
				return -1;
			if (p_sp(c) == 0) {
				if (p_seqset(c, &q->known, 0xffffffffU) < 0)
					return -1;
				q->has_known = 1;
				if (p_sp(c) == 0) {
					/* seq-match-data: the known UIDs
					 * cover what is asked here */
					struct seqset a = { 0 };
					int bad;

					bad = !p_peek(c, '(');
					if (!bad)
						c->p++;
					bad = bad || p_seqset(c, &a,
						0xffffffffU) < 0 ||
						p_sp(c) < 0 || p_seqset(c,
						&a, 0xffffffffU) < 0 ||
						!p_peek(c, ')');
					seq_free(&a);
					if (bad)
						return -1;
					c->p++;
				}
			}
			if (!p_peek(c, ')'))
				return -1;
			c->p++;
			q->on = 1;
		} else {
			return -1;
		}
		if (p_peek(c, ')')) {
			c->p++;
			return 0;
		}
		if (p_sp(c) < 0)
			return -1;
	}
}

static void do_select(struct imap *s, struct cur *c, int examine)
{
	struct qr q = { 0 };
	char name[FOLDER_NAME_MAX + 1], path[4096], err[MAILBOX_ERR_MAX];
	struct sel *x;
	size_t i, unseen = 0;
	int kind;

	if (p_sp(c) < 0 || p_cstring(c, name, sizeof name, 0) < 0) {
		tagged(s, "BAD Usage: %s mailbox", examine ? "EXAMINE" :
			"SELECT");
		s->errors++;
		return;
	}
	if (p_sp(c) == 0 && select_params(s, c, &q) < 0) {
		tagged(s, "BAD Unknown or bad SELECT parameter");
		s->errors++;
		seq_free(&q.known);
		return;
	}
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: %s mailbox", examine ? "EXAMINE" :
			"SELECT");
		s->errors++;
		seq_free(&q.known);
		return;
	}
	/* RFC 3501 6.3.1: a SELECT first deselects */
	if (s->sel) {
		sel_close(s);
		reply(s, "* OK [CLOSED] Previous mailbox closed");
	}
	if (folder_find(s, name, path, sizeof path, &kind) < 0) {
		seq_free(&q.known);
		tagged(s, errno == EINVAL ? "NO Invalid mailbox name" :
			errno == EISDIR ? "NO Mailbox cannot be selected" :
			"NO [NONEXISTENT] Mailbox does not exist");
		return;
	}
	x = calloc(1, sizeof *x);
	if (!x) {
		seq_free(&q.known);
		tagged(s, "NO [SERVERBUG] Out of memory");
		return;
	}
	buf_init(&x->msg, MSG_MAX);
	buf_init(&x->tmp, MSG_MAX);
	x->rdonly = examine;
	str_lcpy(x->name, name, sizeof x->name);
	x->mb.fd = x->mb.lockfd = -1;
	if (mailbox_open(&x->mb, path, kind, MAILBOX_SHARED | MAILBOX_CREATE |
	    (examine ? MAILBOX_RDONLY : 0), err, sizeof err) < 0) {
		int e = errno;

		free(x);
		seq_free(&q.known);
		if (e == EWOULDBLOCK)
			tagged(s, "NO [INUSE] Mailbox is locked by a POP3 "
				"session or another program");
		else if (e == EINVAL || e == EFBIG || e == ELOOP)
			tagged(s, "NO [CORRUPTION] Mailbox is damaged or not "
				"a mailbox; ask the postmaster");
		else
			tagged(s, "NO [UNAVAILABLE] Cannot open the mailbox, "
				"try again later");
		log_msg(e == EWOULDBLOCK ? LOG_INFO : LOG_ERR, "%s: %s: %s",
			s->client, s->login, err);
		return;
	}
	s->sel = x;
	s->state = ST_SELECTED;
	x->nkw = x->mb.nkw;
	all_flags(s, x, 0);
	if (examine)
		reply(s, "* OK [PERMANENTFLAGS ()] Read-only mailbox");
	else
		all_flags(s, x, 1);
	tell(s, 0);
	if (!x->n) {
		reply(s, "* 0 EXISTS");
		reply(s, "* 0 RECENT");
	}
	for (i = 0; i < x->n; i++)
		if (!(x->view[i].flags & MAILBOX_SEEN)) {
			unseen = i + 1;
			break;
		}
	if (unseen)
		reply(s, "* OK [UNSEEN %zu] First unseen", unseen);
	reply(s, "* OK [UIDVALIDITY %u] UIDs valid", x->mb.validity);
	reply(s, "* OK [UIDNEXT %u] Predicted next UID", x->mb.next_uid);
	/* RFC 7162 7: a mod-sequence is positive (an empty, new mailbox
	 * has none yet) */
	reply(s, "* OK [HIGHESTMODSEQ %llu] Highest",
		(unsigned long long)(x->mb.highestmodseq ?
		x->mb.highestmodseq : 1));
	/* RFC 7162 3.2.5.1: what changed since the client's modseq */
	if (q.on && q.validity == x->mb.validity) {
		vanished_earlier(s, q.has_known ? &q.known : NULL, q.modseq);
		for (i = 0; i < x->n; i++) {
			const struct seen *v = &x->view[i];

			if (v->modseq <= q.modseq || (q.has_known &&
			    !seq_has(&q.known, v->uid)))
				continue;
			io_printf(&s->out, "* %zu FETCH (UID %u FLAGS ",
				i + 1, v->uid);
			flag_list(s, &x->mb, v->flags, v->kw, v->recent);
			io_printf(&s->out, " MODSEQ (%llu))\r\n",
				(unsigned long long)v->modseq);
		}
	}
	seq_free(&q.known);
	tagged(s, "OK [%s] %s completed", examine ? "READ-ONLY" :
		"READ-WRITE", examine ? "EXAMINE" : "SELECT");
}

void cmd_select(struct imap *s, struct cur *c)
{
	do_select(s, c, 0);
}

void cmd_examine(struct imap *s, struct cur *c)
{
	do_select(s, c, 1);
}

/* --- reading messages ----------------------------------------------------- */

/* RFC 3501 2.3: a message never changes.  An mbox keeps flags in the
 * header (Status:, X-Status:, rewritten when they change; X-Keywords,
 * X-UID, X-IMAP, X-IMAPbase from other programs), so those fields are
 * left out of what IMAP shows, as Dovecot does: RFC822.SIZE and the
 * bytes stay the same whatever the flags. */
static int hidden_field(const char *p, size_t n)
{
	static const char *const names[] = { "Status", "X-Status",
		"X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase" };
	size_t i, len;

	for (i = 0; i < sizeof names / sizeof *names; i++) {
		len = strlen(names[i]);
		if (n > len && p[len] == ':' && !strncasecmp(p, names[i], len))
			return 1;
	}
	return 0;
}

/* The bytes of the header lines of P (N bytes, any line ends) that
 * hidden_field leaves out, counted as sent (CRLF ends); *END (may be
 * NULL) says whether the header's end was seen. */
static size_t hidden_bytes(const char *p, size_t n, int *end)
{
	size_t hid = 0, i = 0;
	int hiding = 0;

	if (end)
		*end = 0;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;

		if (!nl)
			break;
		if (len && p[i + len - 1] == '\r')
			len--;
		if (!len) {
			if (end)
				*end = 1;
			break;
		}
		if (p[i] != ' ' && p[i] != '\t')
			hiding = hidden_field(p + i, len);
		if (hiding)
			hid += len + 2;
		i = (size_t)(nl - p) + 1;
	}
	return hid;
}

/* The header of x->msg without the hidden fields, in place. */
static void hide_fields(struct sel *x)
{
	char *p = x->msg.p, *o = p;
	size_t i = 0, n = x->msg.len;
	int hiding = 0;

	while (i < n) {
		char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) + 1 : n - i;

		if (len <= 2 && (p[i] == '\r' || p[i] == '\n'))
			break;
		if (p[i] != ' ' && p[i] != '\t')
			hiding = hidden_field(p + i, len);
		if (!hiding) {
			memmove(o, p + i, len);
			o += len;
		}
		i += len;
	}
	memmove(o, p + i, n - i);
	x->msg.len = (size_t)(o - p) + (n - i);
	p[x->msg.len] = 0;
}

/* Message K of the index into x->msg, CRLF line ends (ARCHITECTURE.md:
 * its size is then msg[k].size), an mbox's flag fields left out (its
 * size then visible_size's).  0, or -1 with errno (ENOENT: expunged by
 * another session). */
static int load(struct sel *x, size_t k)
{
	char chunk[16384];
	ssize_t r;
	int cr = 0, any = 0, last = '\n';

	if (x->cached == x->mb.msg[k].uid)
		return 0;
	x->cached = 0;
	buf_reset(&x->msg);
	if (mailbox_msg_open(&x->mb, k, &x->rd) < 0)
		return -1;
	while ((r = mailbox_msg_read(&x->rd, chunk, sizeof chunk)) > 0) {
		ssize_t i, from = 0;

		for (i = 0; i < r; i++) {
			if (chunk[i] == '\n' && !cr) {
				if (buf_add(&x->msg, chunk + from,
				    (size_t)(i - from)) < 0 ||
				    buf_add(&x->msg, "\r\n", 2) < 0)
					goto fail;
				from = i + 1;
			}
			cr = chunk[i] == '\r';
		}
		if (buf_add(&x->msg, chunk + from, (size_t)(r - from)) < 0)
			goto fail;
		last = chunk[r - 1];
		any = 1;
	}
	if (r < 0)
		goto fail;
	mailbox_msg_close(&x->rd);
	/* mailbox.h: a last line without a newline gets one */
	if (any && last != '\n' && buf_add(&x->msg, "\r\n", 2) < 0)
		return -1;
	if (!x->msg.p && buf_add(&x->msg, "", 0) < 0)
		return -1;
	if (x->mb.kind == LOCAL_MBOX && x->msg.p)
		hide_fields(x);
	x->cached = x->mb.msg[k].uid;
	return 0;
fail:
	mailbox_msg_close(&x->rd);
	return -1;
}

/* RFC822.SIZE of message K: the size as sent less the hidden fields
 * (an mbox: its header read, at most 64 KB of it).  -1 when it cannot
 * be read. */
static long long visible_size(struct sel *x, size_t k)
{
	const struct mailbox_msg *m = &x->mb.msg[k];
	char *h;
	size_t n = 0, max = 65536;
	ssize_t r;
	int end = 0;
	long long size;

	if (x->mb.kind != LOCAL_MBOX)
		return (long long)m->size;
	if (x->cached == m->uid)
		return (long long)x->msg.len;
	if (!(h = malloc(max)))
		return -1;
	if (mailbox_msg_open(&x->mb, k, &x->rd) < 0) {
		free(h);
		return -1;
	}
	while (n < max && (r = mailbox_msg_read(&x->rd, h + n, max - n)) > 0) {
		n += (size_t)r;
		hidden_bytes(h, n, &end);
		if (end)
			break;
	}
	mailbox_msg_close(&x->rd);
	size = (long long)m->size - (long long)hidden_bytes(h, n, NULL);
	free(h);
	return size;
}

/* --- FETCH ---------------------------------------------------------------- */

enum {
	F_FLAGS, F_UID, F_INTERNALDATE, F_SIZE, F_ENVELOPE, F_BODY,
	F_BODYSTRUCTURE, F_SECTION, F_RFC822, F_RFC822_HEADER, F_RFC822_TEXT,
	F_MODSEQ,
};

struct fatt {
	int kind;
	int peek;
	int partial;
	uint32_t origin, count;
	struct imapmsg_section sec;
};

/* The end of a section-spec starting at C (after '['): the ']' that
 * closes it, past quoted strings and literals.  NULL when none. */
static char *section_end(struct cur *c)
{
	char *p = c->p;

	while (p < c->end) {
		if (*p == ']')
			return p;
		if (*p == '"') {
			for (p++; p < c->end && *p != '"'; p++)
				if (*p == '\\')
					p++;
		} else if (*p == '{') {
			struct cur t = { p, c->end };
			char *v;
			size_t n;

			if (p_string(&t, &v, &n, 0) < 0)
				return NULL;
			p = t.p;
			continue;
		}
		p++;
	}
	return NULL;
}

static int fetch_att(struct cur *c, struct fatt *a, int *condstore)
{
	char word[32];

	memset(a, 0, offsetof(struct fatt, sec));
	if (p_word(c, word, sizeof word) < 0)
		return -1;
	if (!strcmp(word, "FLAGS")) a->kind = F_FLAGS;
	else if (!strcmp(word, "UID")) a->kind = F_UID;
	else if (!strcmp(word, "INTERNALDATE")) a->kind = F_INTERNALDATE;
	else if (!strcmp(word, "ENVELOPE")) a->kind = F_ENVELOPE;
	else if (!strcmp(word, "BODYSTRUCTURE")) a->kind = F_BODYSTRUCTURE;
	else if (!strcmp(word, "MODSEQ")) {
		a->kind = F_MODSEQ;
		*condstore = 1;
	} else if (!strcmp(word, "RFC822")) {
		a->kind = F_RFC822;
		if (p_peek(c, '.')) {
			c->p++;
			if (p_word(c, word, sizeof word) < 0)
				return -1;
			if (!strcmp(word, "SIZE")) a->kind = F_SIZE;
			else if (!strcmp(word, "HEADER")) {
				a->kind = F_RFC822_HEADER;
				a->peek = 1;
			} else if (!strcmp(word, "TEXT"))
				a->kind = F_RFC822_TEXT;
			else
				return -1;
		}
	} else if (!strcmp(word, "BODY")) {
		char *e;

		a->kind = F_BODY;
		if (p_peek(c, '.')) {
			c->p++;
			if (p_word(c, word, sizeof word) < 0 ||
			    strcmp(word, "PEEK") || !p_peek(c, '['))
				return -1;
			a->peek = 1;
		}
		if (!p_peek(c, '['))
			return a->peek ? -1 : 0;
		c->p++;
		if (!(e = section_end(c)) || imapmsg_section_parse(&a->sec,
		    c->p, (size_t)(e - c->p)) < 0)
			return -1;
		a->kind = F_SECTION;
		c->p = e + 1;
		if (p_peek(c, '<')) {
			c->p++;
			if (p_number(c, &a->origin) < 0 || !p_peek(c, '.'))
				return -1;
			c->p++;
			if (p_number(c, &a->count) < 0 || a->count == 0 ||
			    !p_peek(c, '>'))
				return -1;
			c->p++;
			a->partial = 1;
		}
	} else {
		return -1;
	}
	return 0;
}

/* RFC 3501 6.4.5 fetch attributes: a macro, one, or a list.  The number
 * of them, or -1. */
static int fetch_atts(struct cur *c, struct fatt *a, int *condstore)
{
	static const int all[] = { F_FLAGS, F_INTERNALDATE, F_SIZE,
		F_ENVELOPE, F_BODY };
	char *save = c->p, word[16];
	int n = 0, k;

	if (p_word(c, word, sizeof word) == 0 && (p_eol(c) || p_peek(c,
	    ' ')) && (!strcmp(word, "ALL") || !strcmp(word, "FAST") ||
	    !strcmp(word, "FULL"))) {
		k = !strcmp(word, "FAST") ? 3 : !strcmp(word, "ALL") ? 4 : 5;
		for (n = 0; n < k; n++) {
			memset(&a[n], 0, offsetof(struct fatt, sec));
			a[n].kind = all[n];
		}
		return n;
	}
	c->p = save;
	if (!p_peek(c, '('))
		return fetch_att(c, a, condstore) < 0 ? -1 : 1;
	c->p++;
	do {
		if (n >= FETCH_ATTS_MAX || fetch_att(c, &a[n++],
		    condstore) < 0)
			return -1;
	} while (p_sp(c) == 0);
	if (!p_peek(c, ')'))
		return -1;
	c->p++;
	return n;
}

/* Bytes [origin, origin + count) of P (N bytes), RFC 3501 6.4.5. */
static void out_partial(struct imap *s, const struct fatt *a, const char *p,
	size_t n)
{
	if (a->partial) {
		size_t o = a->origin < n ? a->origin : n;
		size_t k = n - o < a->count ? n - o : a->count;

		io_printf(&s->out, "<%u> {%zu}\r\n", a->origin, k);
		io_write(&s->out, p + o, k);
	} else {
		io_printf(&s->out, " {%zu}\r\n", n);
		io_write(&s->out, p, n);
	}
}

/* The header of the message: up to and including the blank line. */
static size_t header_len(const char *p, size_t n)
{
	size_t i;

	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (i = 0; i + 3 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return i + 4;
	return n;
}

/* One message's FETCH response.  -1 when it could not be read. */
static int fetch_one(struct imap *s, size_t seq, long k, struct fatt *a,
	int na, int uid)
{
	struct sel *x = SEL(s);
	struct mailbox_msg *m = &x->mb.msg[k];
	struct seen *v = &x->view[seq - 1];
	int i, need = 0, seen = 0, flags = 0, sp = 0;
	char date[IMAPMSG_DATE_MAX];

	for (i = 0; i < na; i++) {
		if (a[i].kind >= F_ENVELOPE && a[i].kind <= F_RFC822_TEXT)
			need = 1;
		if ((a[i].kind == F_SECTION || a[i].kind == F_RFC822 ||
		    a[i].kind == F_RFC822_TEXT) && !a[i].peek)
			seen = 1;
		if (a[i].kind == F_FLAGS)
			flags = 1;
	}
	if (need && load(x, (size_t)k) < 0) {
		x->cached = 0;
		return -1;
	}
	/* RFC 3501 6.4.5: BODY[] sets \Seen, and FLAGS goes along */
	if (seen && !x->rdonly && !(m->flags & MAILBOX_SEEN)) {
		m->flags |= MAILBOX_SEEN;
		flags = 1;
	}
	io_printf(&s->out, "* %zu FETCH (", seq);
	if (uid) {
		io_printf(&s->out, "UID %u", m->uid);
		sp = 1;
	}
	if (flags) {
		io_puts(&s->out, sp++ ? " FLAGS " : "FLAGS ");
		flag_list(s, &x->mb, m->flags & FLAGS_IMAP, m->kw, v->recent);
		v->flags = m->flags & FLAGS_IMAP;
		v->kw = m->kw;
	}
	for (i = 0; i < na; i++) {
		const char *p = x->msg.p;
		size_t n = x->msg.len, h;

		if (a[i].kind == F_FLAGS || (a[i].kind == F_UID && uid))
			continue;
		if (sp++)
			io_puts(&s->out, " ");
		switch (a[i].kind) {
		case F_UID:
			io_printf(&s->out, "UID %u", m->uid);
			break;
		case F_MODSEQ:
			io_printf(&s->out, "MODSEQ (%llu)",
				(unsigned long long)m->modseq);
			break;
		case F_INTERNALDATE:
			if (!imapmsg_date_format(m->date ? m->date : 0,
			    date, sizeof date))
				str_lcpy(date, "01-Jan-1970 00:00:00 +0000",
					sizeof date);
			io_printf(&s->out, "INTERNALDATE \"%s\"", date);
			break;
		case F_SIZE:
			io_printf(&s->out, "RFC822.SIZE %lld",
				visible_size(x, (size_t)k));
			break;
		case F_ENVELOPE:
		case F_BODY:
		case F_BODYSTRUCTURE:
			buf_reset(&x->tmp);
			if ((a[i].kind == F_ENVELOPE ? imapmsg_envelope(&x->tmp,
			    p, n) : imapmsg_bodystructure(&x->tmp, p, n,
			    a[i].kind == F_BODYSTRUCTURE)) < 0)
				buf_reset(&x->tmp);
			io_puts(&s->out, a[i].kind == F_ENVELOPE ? "ENVELOPE " :
				a[i].kind == F_BODY ? "BODY " :
				"BODYSTRUCTURE ");
			io_write(&s->out, x->tmp.p ? x->tmp.p : "NIL",
				x->tmp.len ? x->tmp.len : 3);
			break;
		case F_RFC822:
			io_puts(&s->out, "RFC822");
			out_partial(s, &a[i], p, n);
			break;
		case F_RFC822_HEADER:
			io_puts(&s->out, "RFC822.HEADER");
			out_partial(s, &a[i], p, header_len(p, n));
			break;
		case F_RFC822_TEXT:
			h = header_len(p, n);
			io_puts(&s->out, "RFC822.TEXT");
			out_partial(s, &a[i], p + h, n - h);
			break;
		case F_SECTION:
			buf_reset(&x->tmp);
			io_puts(&s->out, "BODY[");
			if (imapmsg_section_format(&x->tmp, &a[i].sec) == 0)
				io_write(&s->out, x->tmp.p ? x->tmp.p : "",
					x->tmp.len);
			io_puts(&s->out, "]");
			buf_reset(&x->tmp);
			if (imapmsg_section(&x->tmp, p, n, &a[i].sec) < 0)
				buf_reset(&x->tmp);
			out_partial(s, &a[i], x->tmp.p ? x->tmp.p : "",
				x->tmp.len);
			break;
		}
	}
	io_puts(&s->out, ")\r\n");
	return 0;
}

/* Resolves a sequence set of the client's view into SET: sequence
 * numbers, or with UID, UIDs.  "*" is the last one (RFC 3501 6.4.8:
 * for UIDs, the largest UID in the mailbox). */
static int parse_set(struct imap *s, struct cur *c, struct seqset *set,
	int uid)
{
	struct sel *x = SEL(s);
	uint32_t star = uid ? (x->n ? x->view[x->n - 1].uid : 0) :
		(uint32_t)x->n;

	if (p_seqset(c, set, star) < 0)
		return -1;
	/* RFC 3501 9: a message sequence number past EXISTS is an error
	 * (a UID that does not exist is not; "1:*" in an empty mailbox is
	 * nothing, as clients send it right after SELECT) */
	if (!uid && set->n && (x->n ? set->r[set->n - 1].hi > x->n :
	    set->r[set->n - 1].lo > 0))
		return -1;
	return 0;
}

/* Calls FN for every message of the view in SET (sequence numbers, or
 * UIDs); the index of each in the mailbox, -1 when it was expunged by
 * another session since the client was told. */
#define EACH(x, set, uid, seq)						\
	for (seq = 1; seq <= (x)->n; seq++)				\
		if (seq_has(set, uid ? (x)->view[seq - 1].uid :		\
		    (uint32_t)seq))

static void do_fetch(struct imap *s, struct cur *c, int uid)
{
	struct sel *x = SEL(s);
	struct seqset set = { 0 };
	struct fatt *a = NULL;
	int na, cs = 0, gone = 0, changed = 0, has_since = 0, i, flags;
	int inuse = 0, vanished = 0;
	int modseq;
	uint64_t since = 0;
	size_t seq;

	if (p_sp(c) < 0 || parse_set(s, c, &set, uid) < 0 || p_sp(c) < 0 ||
	    !(a = malloc(FETCH_ATTS_MAX * sizeof *a)) ||
	    (na = fetch_atts(c, a, &cs)) < 0) {
		tagged(s, "BAD Usage: FETCH sequence-set items");
		goto bad;
	}
	if (p_sp(c) == 0) {
		/* RFC 7162 3.1.4: (CHANGEDSINCE modseq); 3.2.6: UID FETCH
		 * also (CHANGEDSINCE modseq VANISHED) after ENABLE QRESYNC */
		char word[16];
		int bad = !p_peek(c, '(');

		if (!bad)
			c->p++;
		while (!bad) {
			if (p_word(c, word, sizeof word) < 0)
				bad = 1;
			else if (!strcmp(word, "CHANGEDSINCE") && !has_since)
				bad = p_sp(c) < 0 ||
					p_number64(c, &since) < 0 ||
					!(has_since = 1);
			else if (!strcmp(word, "VANISHED") && uid &&
			    s->qresync && !vanished)
				vanished = 1;
			else
				bad = 1;
			if (bad || p_peek(c, ')'))
				break;
			bad = p_sp(c) < 0;
		}
		if (bad || !p_peek(c, ')') || (vanished && !has_since)) {
			tagged(s, "BAD Unknown FETCH modifier");
			goto bad;
		}
		c->p++;
		cs = 1;
	}
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: FETCH sequence-set items");
		goto bad;
	}
	if (cs)
		s->condstore = 1;
	/* RFC 7162 3.1.4.1: with CONDSTORE on, MODSEQ goes with FLAGS and
	 * with CHANGEDSINCE */
	for (i = 0, flags = 0, modseq = 0; i < na; i++) {
		flags |= a[i].kind == F_FLAGS;
		modseq |= a[i].kind == F_MODSEQ;
	}
	if (s->condstore && (flags || has_since) && !modseq &&
	    na < FETCH_ATTS_MAX) {
		memset(&a[na], 0, offsetof(struct fatt, sec));
		a[na++].kind = F_MODSEQ;
	}
	if (vanished)
		vanished_earlier(s, &set, since);
	EACH(x, &set, uid, seq) {
		long k = find_uid(&x->mb, x->view[seq - 1].uid);
		unsigned before;

		if (k < 0) {
			gone = 1;
			continue;
		}
		if (has_since && x->mb.msg[k].modseq <= since)
			continue;
		before = x->mb.msg[k].flags;
		if (fetch_one(s, seq, k, a, na, uid) < 0) {
			/* a POP3 session took the mailbox: no 5 s wait per
			 * message */
			if (errno == EWOULDBLOCK) {
				inuse = 1;
				break;
			}
			gone = 1;
		}
		else if (x->mb.msg[k].flags != before)
			changed = 1;
		if (s->out.err)
			break;
	}
	if (changed && sync_tell(s, 0, uid) < 0)
		log_msg(LOG_WARNING, "%s: %s: \\Seen not saved", s->client,
			s->login);
	if (inuse)
		tagged(s, "NO [INUSE] Mailbox is locked by a POP3 session or "
			"another program, try again");
	else if (gone)
		tagged(s, "NO [EXPUNGEISSUED] Some messages were expunged "
			"or could not be read");
	else
		tagged(s, "OK %sFETCH completed", uid ? "UID " : "");
	free(a);
	seq_free(&set);
	return;
bad:
	s->errors++;
	free(a);
	seq_free(&set);
}

void cmd_fetch(struct imap *s, struct cur *c)
{
	do_fetch(s, c, 0);
}

/* --- STORE ---------------------------------------------------------------- */

/* A flag list "(\Seen kw ...)" or flags without the parentheses (RFC
 * 3501 9 store-att-flags) into FLAGS and the keyword names (at most
 * MAILBOX_KW_MAX) KW.  0, or -1. */
int p_flags(struct cur *c, unsigned *flags, char kw[][MAILBOX_KW_LEN],
	size_t *nkw)
{
	static const struct { const char *name; unsigned bit; } f[] = {
		{ "\\SEEN", MAILBOX_SEEN }, { "\\ANSWERED", MAILBOX_ANSWERED },
		{ "\\FLAGGED", MAILBOX_FLAGGED },
		{ "\\DELETED", MAILBOX_TRASHED }, { "\\DRAFT", MAILBOX_DRAFT },
	};
	int paren = p_peek(c, '(');
	size_t i;

	*flags = 0;
	*nkw = 0;
	if (paren)
		c->p++;
	if (paren && p_peek(c, ')')) {
		c->p++;
		return 0;
	}
	for (;;) {
		char *v;
		size_t n;

		if (p_peek(c, '\\')) {
			char word[16];

			c->p++;
			if (p_word(c, word + 1, sizeof word - 1) < 0)
				return -1;
			word[0] = '\\';
			for (i = 0; i < sizeof f / sizeof *f; i++)
				if (!strcmp(word, f[i].name))
					break;
			if (i == sizeof f / sizeof *f)
				return -1;
			*flags |= f[i].bit;
		} else {
			if (p_atom(c, &v, &n, 0) < 0 || n >= MAILBOX_KW_LEN)
				return -1;
			for (i = 0; i < *nkw; i++)
				if (!strncasecmp(kw[i], v, n) && !kw[i][n])
					break;
			if (i == *nkw) {
				if (*nkw >= MAILBOX_KW_MAX)
					return -1;
				memcpy(kw[*nkw], v, n);
				kw[(*nkw)++][n] = 0;
			}
		}
		if (p_sp(c) < 0)
			break;
		if (!paren)
			return -1;
	}
	if (paren) {
		if (!p_peek(c, ')'))
			return -1;
		c->p++;
	}
	return 0;
}

static void do_store(struct imap *s, struct cur *c, int uid)
{
	struct sel *x = SEL(s);
	struct seqset set = { 0 };
	char word[32], (*kw)[MAILBOX_KW_LEN] = NULL, err[MAILBOX_ERR_MAX];
	unsigned flags;
	uint32_t kwbits = 0;
	uint64_t unchanged = 0;
	int op = 0, silent = 0, has_unch = 0, fail = 0;
	size_t nkw, seq, i;
	struct buf modified = BUF_INIT(1 << 20);

	if (p_sp(c) < 0 || parse_set(s, c, &set, uid) < 0 || p_sp(c) < 0)
		goto bad;
	if (p_peek(c, '(')) {
		/* RFC 7162 3.1.3: (UNCHANGEDSINCE modseq) */
		c->p++;
		if (p_word(c, word, sizeof word) < 0 ||
		    strcmp(word, "UNCHANGEDSINCE") || p_sp(c) < 0 ||
		    p_number64(c, &unchanged) < 0 || !p_peek(c, ')'))
			goto bad;
		c->p++;
		if (p_sp(c) < 0)
			goto bad;
		has_unch = 1;
		s->condstore = 1;
	}
	if (p_peek(c, '+') || p_peek(c, '-'))
		op = *c->p++;
	if (p_word(c, word, sizeof word) < 0 || strcmp(word, "FLAGS"))
		goto bad;
	if (p_peek(c, '.')) {
		c->p++;
		if (p_word(c, word, sizeof word) < 0 || strcmp(word, "SILENT"))
			goto bad;
		silent = 1;
	}
	kw = malloc(MAILBOX_KW_MAX * sizeof *kw);
	if (!kw || p_sp(c) < 0 || p_flags(c, &flags, kw, &nkw) < 0 ||
	    !p_eol(c))
		goto bad;
	if (x->rdonly) {
		tagged(s, "NO [READ-ONLY] Mailbox is read-only");
		goto out;
	}
	for (i = 0; i < nkw; i++) {
		int b = mailbox_keyword(&x->mb, kw[i], op != '-');

		if (b < 0 && (op != '-' || errno != ENOENT)) {
			tagged(s, errno == ENOSPC ? "NO [LIMIT] Too many "
				"keywords" : errno == EWOULDBLOCK ?
				"NO [INUSE] Mailbox is locked" :
				"BAD Invalid keyword");
			goto out;
		}
		if (b >= 0)
			kwbits |= 1u << b;
	}
	EACH(x, &set, uid, seq) {
		long k = find_uid(&x->mb, x->view[seq - 1].uid);
		struct mailbox_msg *m;

		if (k < 0) {
			fail = 1;
			continue;
		}
		m = &x->mb.msg[k];
		if (has_unch && m->modseq > unchanged) {
			buf_printf(&modified, "%s%u", modified.len ? "," : "",
				uid ? m->uid : (unsigned)seq);
			continue;
		}
		if (op == '+') {
			m->flags |= flags;
			m->kw |= kwbits;
		} else if (op == '-') {
			m->flags &= ~flags;
			m->kw &= ~kwbits;
		} else {
			m->flags = (m->flags & ~FLAGS_IMAP) | flags;
			m->kw = kwbits;
		}
	}
	if (mailbox_sync(&x->mb, 0, err, sizeof err) < 0) {
		if (errno != EWOULDBLOCK)
			log_msg(LOG_WARNING, "%s: %s: %s", s->client,
				s->login, err);
		tagged(s, "NO [INUSE] Flags not saved, try again");
		goto out;
	}
	/* RFC 3501 6.4.6: the new flags, unless .SILENT (tell already sent
	 * them for what others changed); a client's own change is told
	 * here */
	EACH(x, &set, uid, seq) {
		long k = find_uid(&x->mb, x->view[seq - 1].uid);
		struct mailbox_msg *m;
		struct seen *v = &x->view[seq - 1];

		if (k < 0)
			continue;
		m = &x->mb.msg[k];
		v->flags = m->flags & FLAGS_IMAP;
		v->kw = m->kw;
		v->modseq = m->modseq;
		if (silent && !has_unch)
			continue;
		io_printf(&s->out, "* %zu FETCH (", seq);
		if (uid)
			io_printf(&s->out, "UID %u ", m->uid);
		if (s->condstore)
			io_printf(&s->out, "MODSEQ (%llu)%s",
				(unsigned long long)m->modseq,
				silent ? "" : " ");
		if (!silent) {
			io_puts(&s->out, "FLAGS ");
			flag_list(s, &x->mb, v->flags, v->kw, v->recent);
		}
		io_puts(&s->out, ")\r\n");
	}
	/* and what others changed meanwhile */
	tell(s, 0);
	if (modified.len)
		tagged(s, "OK [MODIFIED %s] Conditional STORE failed",
			modified.p);
	else if (fail)
		tagged(s, "NO [EXPUNGEISSUED] Some messages were expunged");
	else
		tagged(s, "OK %sSTORE completed", uid ? "UID " : "");
	goto out;
bad:
	tagged(s, "BAD Usage: STORE sequence-set [+-]FLAGS[.SILENT] "
		"(flags)");
	s->errors++;
out:
	free(kw);
	buf_free(&modified);
	seq_free(&set);
}

void cmd_store(struct imap *s, struct cur *c)
{
	do_store(s, c, 0);
}

/* --- EXPUNGE, CLOSE, UNSELECT, CHECK -------------------------------------- */

/* RFC 7162 3.2.7, 3.2.8: with QRESYNC on, the tagged OK of EXPUNGE and
 * CLOSE names the new HIGHESTMODSEQ ("[HIGHESTMODSEQ n] " into DST). */
static const char *hms(struct imap *s, char *dst, size_t max)
{
	struct sel *x = SEL(s);

	if (!s->qresync || !x)
		return "";
	snprintf(dst, max, "[HIGHESTMODSEQ %llu] ",
		(unsigned long long)(x->mb.highestmodseq ?
		x->mb.highestmodseq : 1));
	return dst;
}

/* The \Deleted messages (in SET of UIDs when not NULL) are removed. */
static int expunge(struct imap *s, const struct seqset *set)
{
	struct sel *x = SEL(s);
	size_t i;

	for (i = 0; i < x->mb.n; i++) {
		struct mailbox_msg *m = &x->mb.msg[i];

		if ((m->flags & MAILBOX_TRASHED) &&
		    (!set || seq_has(set, m->uid)))
			m->flags |= MAILBOX_DELETED;
	}
	x->cached = 0;
	if (sync_tell(s, MAILBOX_SYNC_EXPUNGE, 1) < 0) {
		for (i = 0; i < x->mb.n; i++)
			x->mb.msg[i].flags &= ~MAILBOX_DELETED;
		return -1;
	}
	return 0;
}

void cmd_expunge(struct imap *s, struct cur *c)
{
	char hm[48];

	if (!p_eol(c)) {
		tagged(s, "BAD Usage: EXPUNGE");
		s->errors++;
		return;
	}
	if (SEL(s)->rdonly)
		tagged(s, "NO [READ-ONLY] Mailbox is read-only");
	else if (expunge(s, NULL) < 0)
		tagged(s, "NO [INUSE] Cannot expunge now, try again");
	else
		tagged(s, "OK %sEXPUNGE completed", hms(s, hm, sizeof hm));
}

/* RFC 4315 2.1: UID EXPUNGE sequence-set. */
static void uid_expunge(struct imap *s, struct cur *c)
{
	char hm[48];

	struct seqset set = { 0 };

	if (p_sp(c) < 0 || parse_set(s, c, &set, 1) < 0 || !p_eol(c)) {
		tagged(s, "BAD Usage: UID EXPUNGE sequence-set");
		s->errors++;
	} else if (SEL(s)->rdonly) {
		tagged(s, "NO [READ-ONLY] Mailbox is read-only");
	} else if (expunge(s, &set) < 0) {
		tagged(s, "NO [INUSE] Cannot expunge now, try again");
	} else {
		tagged(s, "OK %sUID EXPUNGE completed", hms(s, hm,
			sizeof hm));
	}
	seq_free(&set);
}

/* RFC 3501 6.4.2: CLOSE expunges silently; UNSELECT (RFC 3691) not. */
static void do_close(struct imap *s, struct cur *c, int expunges)
{
	struct sel *x = SEL(s);
	char err[MAILBOX_ERR_MAX], hm[48] = "";
	size_t i;

	if (!p_eol(c)) {
		tagged(s, "BAD Usage: %s", expunges ? "CLOSE" : "UNSELECT");
		s->errors++;
		return;
	}
	if (expunges && !x->rdonly) {
		for (i = 0; i < x->mb.n; i++)
			if (x->mb.msg[i].flags & MAILBOX_TRASHED)
				x->mb.msg[i].flags |= MAILBOX_DELETED;
		if (mailbox_sync(&x->mb, MAILBOX_SYNC_EXPUNGE, err,
		    sizeof err) < 0)
			log_msg(LOG_WARNING, "%s: %s: CLOSE: %s", s->client,
				s->login, err);
	}
	if (expunges)
		hms(s, hm, sizeof hm);
	sel_close(s);
	tagged(s, "OK %s%s completed", hm, expunges ? "CLOSE" : "UNSELECT");
}

void cmd_close(struct imap *s, struct cur *c)
{
	do_close(s, c, 1);
}

void cmd_unselect(struct imap *s, struct cur *c)
{
	do_close(s, c, 0);
}

void cmd_check(struct imap *s, struct cur *c)
{
	if (!p_eol(c)) {
		tagged(s, "BAD Usage: CHECK");
		s->errors++;
		return;
	}
	tagged(s, "OK CHECK completed");
}

/* --- SEARCH --------------------------------------------------------------- */

enum {
	K_ALL, K_AND, K_OR, K_NOT, K_FLAG, K_UNFLAG, K_KW, K_UNKW, K_NEW,
	K_OLD, K_RECENT, K_LARGER, K_SMALLER, K_BEFORE, K_ON, K_SINCE,
	K_SENTBEFORE, K_SENTON, K_SENTSINCE, K_HEADER, K_BODY, K_TEXT,
	K_SEQ, K_UID, K_MODSEQ, K_NONE,
};

struct snode {
	int op;
	int a, b;		/* AND: first child, next sibling; OR, NOT */
	unsigned flag;
	uint64_t num;
	time_t t;
	char *field, *key;	/* into the command: NUL-terminated */
	struct seqset set;
};

struct search {
	struct snode *n;
	size_t len;
	int condstore;
	char *str[SEARCH_NODES_MAX];	/* s_string's copies */
	size_t nstr;
};

static int s_node(struct search *q)
{
	if (q->len >= SEARCH_NODES_MAX)
		return -1;
	memset(&q->n[q->len], 0, sizeof q->n[q->len]);
	q->n[q->len].a = q->n[q->len].b = -1;
	return (int)q->len++;
}

/* An astring as a C string (a copy, freed with the search); NULL when
 * bad or holding a NUL. */
static char *s_string(struct search *q, struct cur *c)
{
	char *v, *d;
	size_t n;

	if (q->nstr >= SEARCH_NODES_MAX || p_string(c, &v, &n, 1) < 0 ||
	    memchr(v, 0, n) || !(d = malloc(n + 1)))
		return NULL;
	memcpy(d, v, n);
	d[n] = 0;
	q->str[q->nstr++] = d;
	return d;
}

static int s_key(struct imap *s, struct search *q, struct cur *c, int depth);

/* Keys separated by spaces up to ')' or the end: an AND node. */
static int s_list(struct imap *s, struct search *q, struct cur *c,
	int depth, int paren)
{
	int and = s_node(q), prev = -1, k;

	if (and < 0)
		return -1;
	q->n[and].op = K_AND;
	for (;;) {
		if ((k = s_key(s, q, c, depth + 1)) < 0)
			return -1;
		if (prev < 0)
			q->n[and].a = k;
		else
			q->n[prev].b = k;
		prev = k;
		if (paren ? p_peek(c, ')') : p_eol(c))
			break;
		if (p_sp(c) < 0)
			return -1;
	}
	return and;
}

static int s_date(struct cur *c, time_t *t)
{
	char *v;
	size_t n;

	if (p_peek(c, '"')) {
		if (p_string(c, &v, &n, 0) < 0)
			return -1;
	} else if (p_atom(c, &v, &n, 0) < 0) {
		return -1;
	}
	return imapmsg_date_parse(v, n, t, 0);
}

/* One search key (RFC 3501 6.4.4).  The node, or -1. */
static int s_key(struct imap *s, struct search *q, struct cur *c, int depth)
{
	static const struct { const char *name; int op; unsigned flag; } t[] = {
		{ "ALL", K_ALL, 0 }, { "ANSWERED", K_FLAG, MAILBOX_ANSWERED },
		{ "DELETED", K_FLAG, MAILBOX_TRASHED },
		{ "DRAFT", K_FLAG, MAILBOX_DRAFT },
		{ "FLAGGED", K_FLAG, MAILBOX_FLAGGED },
		{ "SEEN", K_FLAG, MAILBOX_SEEN },
		{ "UNANSWERED", K_UNFLAG, MAILBOX_ANSWERED },
		{ "UNDELETED", K_UNFLAG, MAILBOX_TRASHED },
		{ "UNDRAFT", K_UNFLAG, MAILBOX_DRAFT },
		{ "UNFLAGGED", K_UNFLAG, MAILBOX_FLAGGED },
		{ "UNSEEN", K_UNFLAG, MAILBOX_SEEN },
		{ "NEW", K_NEW, 0 }, { "OLD", K_OLD, 0 },
		{ "RECENT", K_RECENT, 0 },
		{ "LARGER", K_LARGER, 0 }, { "SMALLER", K_SMALLER, 0 },
		{ "BEFORE", K_BEFORE, 0 }, { "ON", K_ON, 0 },
		{ "SINCE", K_SINCE, 0 }, { "SENTBEFORE", K_SENTBEFORE, 0 },
		{ "SENTON", K_SENTON, 0 }, { "SENTSINCE", K_SENTSINCE, 0 },
		{ "BCC", K_HEADER, 0 }, { "CC", K_HEADER, 0 },
		{ "FROM", K_HEADER, 0 }, { "SUBJECT", K_HEADER, 0 },
		{ "TO", K_HEADER, 0 }, { "HEADER", K_HEADER, 0 },
		{ "BODY", K_BODY, 0 }, { "TEXT", K_TEXT, 0 },
		{ "KEYWORD", K_KW, 0 }, { "UNKEYWORD", K_UNKW, 0 },
		{ "NOT", K_NOT, 0 }, { "OR", K_OR, 0 }, { "UID", K_UID, 0 },
		{ "MODSEQ", K_MODSEQ, 0 },
	};
	struct sel *x = SEL(s);
	char word[32], *save = c->p;
	size_t i;
	int k, r;

	if (depth > SEARCH_DEPTH_MAX)
		return -1;
	if (p_peek(c, '(')) {
		c->p++;
		if ((k = s_list(s, q, c, depth, 1)) < 0 || !p_peek(c, ')'))
			return -1;
		c->p++;
		return k;
	}
	if ((k = s_node(q)) < 0)
		return -1;
	if (p_peek(c, '*') || (c->p < c->end && *c->p >= '0' &&
	    *c->p <= '9')) {
		q->n[k].op = K_SEQ;
		return parse_set(s, c, &q->n[k].set, 0) < 0 ? -1 : k;
	}
	if (p_word(c, word, sizeof word) < 0)
		return -1;
	for (i = 0; i < sizeof t / sizeof *t; i++)
		if (!strcmp(word, t[i].name))
			break;
	if (i == sizeof t / sizeof *t) {
		c->p = save;
		return -1;
	}
	q->n[k].op = t[i].op;
	q->n[k].flag = t[i].flag;
	switch (t[i].op) {
	case K_LARGER:
	case K_SMALLER:
		return p_sp(c) < 0 || p_number64(c, &q->n[k].num) < 0 ? -1 :
			k;
	case K_MODSEQ:
		q->condstore = 1;
		/* RFC 7162 3.1.5: MODSEQ [entry-name entry-type] n */
		if (p_sp(c) < 0)
			return -1;
		if (p_peek(c, '"')) {
			if (!s_string(q, c) || p_sp(c) < 0 ||
			    p_word(c, word, sizeof word) < 0 || p_sp(c) < 0)
				return -1;
		}
		return p_number64(c, &q->n[k].num) < 0 ? -1 : k;
	case K_BEFORE: case K_ON: case K_SINCE: case K_SENTBEFORE:
	case K_SENTON: case K_SENTSINCE:
		return p_sp(c) < 0 || s_date(c, &q->n[k].t) < 0 ? -1 : k;
	case K_HEADER:
		if (p_sp(c) < 0)
			return -1;
		if (!strcmp(word, "HEADER")) {
			if (!(q->n[k].field = s_string(q, c)) || p_sp(c) < 0)
				return -1;
		} else {
			q->n[k].field = (char *)t[i].name;
		}
		/* fall through */
	case K_BODY:
	case K_TEXT:
		if (t[i].op != K_HEADER && p_sp(c) < 0)
			return -1;
		return (q->n[k].key = s_string(q, c)) ? k : -1;
	case K_KW:
	case K_UNKW: {
		char *v;
		size_t n;
		char name[MAILBOX_KW_LEN];

		if (p_sp(c) < 0 || p_atom(c, &v, &n, 0) < 0 ||
		    n >= sizeof name)
			return -1;
		memcpy(name, v, n);
		name[n] = 0;
		r = mailbox_keyword(&x->mb, name, 0);
		/* an unknown keyword is set on no message */
		q->n[k].num = r < 0 ? 0 : 1u << r;
		q->n[k].flag = r >= 0;
		return k;
	}
	case K_NOT:
		if (p_sp(c) < 0 || (q->n[k].a = s_key(s, q, c, depth + 1)) < 0)
			return -1;
		return k;
	case K_OR:
		if (p_sp(c) < 0 ||
		    (q->n[k].a = s_key(s, q, c, depth + 1)) < 0 ||
		    p_sp(c) < 0 ||
		    (q->n[k].b = s_key(s, q, c, depth + 1)) < 0)
			return -1;
		return k;
	case K_UID:
		return p_sp(c) < 0 || parse_set(s, c, &q->n[k].set, 1) < 0 ?
			-1 : k;
	}
	return k;
}

/* The day of T, UTC (RFC 3501 6.4.4: dates disregard time and zone;
 * INTERNALDATE and the parsed dates are UTC here). */
static long day(time_t t)
{
	return (long)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

/* Whether message SEQ (index K) matches node I: 1, 0, or -1 when the
 * message could not be read. */
static int s_match(struct imap *s, struct search *q, int i, size_t seq,
	long k)
{
	struct sel *x = SEL(s);
	struct mailbox_msg *m = &x->mb.msg[k];
	struct snode *nd = &q->n[i];
	long long size;
	int r, tz = 0;
	time_t t;

	switch (nd->op) {
	case K_ALL:
		return 1;
	case K_AND:
		for (i = nd->a; i >= 0; i = q->n[i].b)
			if ((r = s_match(s, q, i, seq, k)) <= 0)
				return r;
		return 1;
	case K_OR:
		if ((r = s_match(s, q, nd->a, seq, k)) != 0)
			return r;
		return s_match(s, q, nd->b, seq, k);
	case K_NOT:
		r = s_match(s, q, nd->a, seq, k);
		return r < 0 ? r : !r;
	case K_FLAG:
		return (m->flags & nd->flag) != 0;
	case K_UNFLAG:
		return !(m->flags & nd->flag);
	case K_KW:
		return (m->kw & nd->num) != 0;
	case K_UNKW:
		return !(m->kw & nd->num);
	/* \Recent as this session shows it (EXAMINE claims nothing) */
	case K_NEW:
		return x->view[seq - 1].recent && !(m->flags & MAILBOX_SEEN);
	case K_OLD:
		return !x->view[seq - 1].recent;
	case K_RECENT:
		return x->view[seq - 1].recent != 0;
	case K_LARGER:
	case K_SMALLER:
		if ((size = visible_size(x, (size_t)k)) < 0)
			return -1;
		return nd->op == K_LARGER ? (uint64_t)size > nd->num :
			(uint64_t)size < nd->num;
	case K_MODSEQ:
		return m->modseq >= nd->num;
	case K_BEFORE:
		return day(m->date) < day(nd->t);
	case K_ON:
		return day(m->date) == day(nd->t);
	case K_SINCE:
		return day(m->date) >= day(nd->t);
	case K_SEQ:
		return seq_has(&nd->set, (uint32_t)seq);
	case K_UID:
		return seq_has(&nd->set, m->uid);
	}
	if (load(x, (size_t)k) < 0)
		return -1;
	switch (nd->op) {
	case K_SENTBEFORE:
	case K_SENTON:
	case K_SENTSINCE:
		if ((t = imapmsg_date(x->msg.p, x->msg.len, &tz)) == -1)
			return 0;
		t += tz;
		return nd->op == K_SENTBEFORE ? day(t) < day(nd->t) :
			nd->op == K_SENTON ? day(t) == day(nd->t) :
			day(t) >= day(nd->t);
	case K_HEADER:
		return imapmsg_search_header(x->msg.p, x->msg.len, nd->field,
			nd->key);
	case K_BODY:
	case K_TEXT:
		return imapmsg_search_body(x->msg.p, x->msg.len, nd->key,
			nd->op == K_TEXT);
	}
	return 0;
}

static void do_search(struct imap *s, struct cur *c, int uid)
{
	struct sel *x = SEL(s);
	struct search q = { 0 };
	uint64_t maxmod = 0;
	size_t seq, i, hits = 0;
	int root = -1, r, err = 0, esearch = 0;
	unsigned ret = 0;	/* ESEARCH RETURN: 1 MIN 2 MAX 4 ALL 8 COUNT */
	uint32_t min = 0, max = 0;
	struct buf all = BUF_INIT(64 << 20);

	q.n = calloc(SEARCH_NODES_MAX, sizeof *q.n);
	if (!q.n || p_sp(c) < 0)
		goto bad;
	/* RFC 4731: SEARCH RETURN (MIN MAX ALL COUNT) */
	if (c->end - c->p > 7 && !strncasecmp(c->p, "RETURN (", 8)) {
		char word[16];

		c->p += 8;
		esearch = 1;
		while (!p_peek(c, ')')) {
			if (p_word(c, word, sizeof word) < 0)
				goto bad;
			if (!strcmp(word, "MIN")) ret |= 1;
			else if (!strcmp(word, "MAX")) ret |= 2;
			else if (!strcmp(word, "ALL")) ret |= 4;
			else if (!strcmp(word, "COUNT")) ret |= 8;
			else goto bad;
			if (p_sp(c) < 0 && !p_peek(c, ')'))
				goto bad;
		}
		c->p++;
		if (!ret)
			ret = 4;
		if (p_sp(c) < 0)
			goto bad;
	}
	if (c->end - c->p > 8 && !strncasecmp(c->p, "CHARSET ", 8)) {
		char cs[64];

		c->p += 8;
		if (p_cstring(c, cs, sizeof cs, 0) < 0 || p_sp(c) < 0)
			goto bad;
		if (strcasecmp(cs, "UTF-8") && strcasecmp(cs, "US-ASCII")) {
			tagged(s, "NO [BADCHARSET (UTF-8 US-ASCII)] Unknown "
				"charset");
			goto out;
		}
	}
	if ((root = s_list(s, &q, c, 0, 0)) < 0 || !p_eol(c))
		goto bad;
	if (q.condstore)
		s->condstore = 1;
	if (!esearch)
		io_puts(&s->out, "* SEARCH");
	for (seq = 1; seq <= x->n; seq++) {
		long k = find_uid(&x->mb, x->view[seq - 1].uid);
		uint32_t v;

		if (k < 0)
			continue;
		if ((r = s_match(s, &q, root, seq, k)) < 0) {
			err = errno == EWOULDBLOCK ? 2 : 1;
			if (err == 2)
				break;
			continue;
		}
		if (!r)
			continue;
		v = uid ? x->mb.msg[k].uid : (uint32_t)seq;
		if (x->mb.msg[k].modseq > maxmod)
			maxmod = x->mb.msg[k].modseq;
		if (!hits++)
			min = v;
		max = v;
		if (!esearch)
			io_printf(&s->out, " %u", v);
		else if (ret & 4)
			buf_printf(&all, "%s%u", all.len ? "," : "", v);
	}
	if (esearch) {
		io_printf(&s->out, "* ESEARCH (TAG \"%s\")%s", s->tag,
			uid ? " UID" : "");
		if ((ret & 1) && hits)
			io_printf(&s->out, " MIN %u", min);
		if ((ret & 2) && hits)
			io_printf(&s->out, " MAX %u", max);
		if ((ret & 4) && hits)
			io_printf(&s->out, " ALL %s", all.p);
		if (ret & 8)
			io_printf(&s->out, " COUNT %zu", hits);
		if (q.condstore && hits)
			io_printf(&s->out, " MODSEQ %llu",
				(unsigned long long)maxmod);
	} else if (q.condstore && hits) {
		io_printf(&s->out, " (MODSEQ %llu)",
			(unsigned long long)maxmod);
	}
	io_puts(&s->out, "\r\n");
	if (err == 2)
		tagged(s, "NO [INUSE] Mailbox is locked by a POP3 session or "
			"another program, try again");
	else if (err)
		tagged(s, "NO [EXPUNGEISSUED] Some messages could not be "
			"read");
	else
		tagged(s, "OK %sSEARCH completed", uid ? "UID " : "");
	goto out;
bad:
	tagged(s, "BAD Invalid search");
	s->errors++;
out:
	if (q.n)
		for (i = 0; i < q.len; i++)
			seq_free(&q.n[i].set);
	for (i = 0; i < q.nstr; i++)
		free(q.str[i]);
	free(q.n);
	buf_free(&all);
}

void cmd_search(struct imap *s, struct cur *c)
{
	do_search(s, c, 0);
}

/* --- COPY, MOVE ----------------------------------------------------------- */

/* RFC 3501 6.4.7 COPY, RFC 6851 MOVE: each message stored anew in the
 * target with its flags, keywords and INTERNALDATE (mailbox_append), its
 * new UID kept for RFC 4315's COPYUID; MOVE then expunges the sources.
 * A failure midway leaves the copies made (COPY is not atomic here:
 * said in README "imapd"). */
void sel_copy(struct imap *s, struct cur *c, int uid, int move)
{
	struct sel *x = SEL(s);
	struct seqset set = { 0 };
	char name[FOLDER_NAME_MAX + 1], path[4096], err[MAILBOX_ERR_MAX];
	struct buf from = BUF_INIT(16 << 20), to = BUF_INIT(16 << 20);
	const char *kw[MAILBOX_KW_MAX];
	unsigned validity = 0, nuid;
	size_t seq, nkw, b, done = 0;
	int kind, fail = 0, inuse = 0;

	if (p_sp(c) < 0 || parse_set(s, c, &set, uid) < 0 || p_sp(c) < 0 ||
	    p_cstring(c, name, sizeof name, 0) < 0 || !p_eol(c)) {
		tagged(s, "BAD Usage: %s sequence-set mailbox", move ? "MOVE" :
			"COPY");
		s->errors++;
		goto out;
	}
	if (move && x->rdonly) {
		tagged(s, "NO [READ-ONLY] Mailbox is read-only");
		goto out;
	}
	if (folder_find(s, name, path, sizeof path, &kind) < 0) {
		tagged(s, errno == ENOENT ? "NO [TRYCREATE] Mailbox does not "
			"exist" : "NO [CANNOT] Invalid mailbox name");
		goto out;
	}
	EACH(x, &set, uid, seq) {
		long k = find_uid(&x->mb, x->view[seq - 1].uid);
		struct mailbox_msg *m;

		if (k < 0 || load(x, (size_t)k) < 0) {
			if (k >= 0 && errno == EWOULDBLOCK) {
				fail = 2;
				inuse = 1;
				break;
			}
			fail = 1;
			continue;
		}
		m = &x->mb.msg[k];
		for (b = 0, nkw = 0; b < x->mb.nkw && b < 32; b++)
			if (m->kw & (1u << b))
				kw[nkw++] = x->mb.kwname[b];
		if (mailbox_append(path, kind, x->msg.p, x->msg.len,
		    m->flags & FLAGS_IMAP, kw, nkw, m->date, &validity, &nuid,
		    err, sizeof err) < 0) {
			inuse = errno == EWOULDBLOCK;
			log_msg(LOG_WARNING, "%s: %s: %s: %s", s->client,
				s->login, move ? "MOVE" : "COPY", err);
			fail = 2;
			break;
		}
		buf_printf(&from, "%s%u", from.len ? "," : "", m->uid);
		buf_printf(&to, "%s%u", to.len ? "," : "", nuid);
		if (move)
			m->flags |= MAILBOX_TRASHED | MAILBOX_DELETED;
		done++;
	}
	if (fail == 2) {
		/* what was copied stays; nothing of the sources goes */
		size_t i;

		for (i = 0; i < x->mb.n; i++)
			x->mb.msg[i].flags = x->mb.msg[i].flags0;
		tagged(s, "NO [%s] %s failed, try again", inuse ? "INUSE" :
			"UNAVAILABLE", move ? "MOVE" : "COPY");
		goto out;
	}
	if (move && done) {
		/* RFC 6851 4.3: COPYUID untagged, then the EXPUNGEs */
		reply(s, "* OK [COPYUID %u %s %s] Moved", validity, from.p,
			to.p);
		if (sync_tell(s, MAILBOX_SYNC_EXPUNGE, 1) < 0) {
			tagged(s, "NO [INUSE] Copied, but the originals could "
				"not be removed yet");
			goto out;
		}
	}
	sel_update(s, 0);
	if (fail)
		tagged(s, "NO [EXPUNGEISSUED] Some messages were expunged");
	else if (!done)
		tagged(s, "OK %s completed", move ? "MOVE" : "COPY");
	else if (move)
		tagged(s, "OK MOVE completed");
	else
		tagged(s, "OK [COPYUID %u %s %s] COPY completed", validity,
			from.p, to.p);
out:
	buf_free(&from);
	buf_free(&to);
	seq_free(&set);
}

void cmd_copy(struct imap *s, struct cur *c)
{
	sel_copy(s, c, 0, 0);
}

void cmd_move(struct imap *s, struct cur *c)
{
	sel_copy(s, c, 0, 1);
}

/* --- UID ------------------------------------------------------------------ */

void cmd_uid(struct imap *s, struct cur *c)
{
	char word[16];

	if (p_sp(c) < 0 || p_word(c, word, sizeof word) < 0) {
		tagged(s, "BAD Usage: UID FETCH|STORE|SEARCH|COPY|MOVE|"
			"EXPUNGE ...");
		s->errors++;
	} else if (!strcmp(word, "FETCH")) {
		do_fetch(s, c, 1);
	} else if (!strcmp(word, "STORE")) {
		do_store(s, c, 1);
	} else if (!strcmp(word, "SEARCH")) {
		do_search(s, c, 1);
	} else if (!strcmp(word, "EXPUNGE")) {
		uid_expunge(s, c);
	} else if (!strcmp(word, "COPY") || !strcmp(word, "MOVE")) {
		sel_copy(s, c, 1, word[0] == 'M');
	} else {
		tagged(s, "BAD Unknown UID command");
		s->errors++;
	}
}

/* --- IDLE ----------------------------------------------------------------- */

/* inotify watches on what delivery and other sessions change; -1 when
 * there is no inotify (then IDLE looks every second). */
static int idle_watch(struct sel *x)
{
	const uint32_t ev = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE |
		IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
		IN_DELETE_SELF | IN_MOVE_SELF;
	char path[4200], *slash;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	if (x->mb.kind == LOCAL_MAILDIR) {
		snprintf(path, sizeof path, "%s/new", x->mb.path);
		inotify_add_watch(fd, path, ev);
		snprintf(path, sizeof path, "%s/cur", x->mb.path);
		inotify_add_watch(fd, path, ev);
		inotify_add_watch(fd, x->mb.path, IN_MOVED_TO | IN_CREATE);
	} else {
		inotify_add_watch(fd, x->mb.path, ev);
		str_lcpy(path, x->mb.path, sizeof path);
		if ((slash = strrchr(path, '/')) && slash != path) {
			*slash = 0;
			inotify_add_watch(fd, path, IN_MOVED_TO | IN_CREATE |
				IN_CLOSE_WRITE);
		}
	}
	/* the uidlist (keywords, other sessions' flags), when kept
	 * elsewhere */
	if (x->mb.uidlist[0]) {
		str_lcpy(path, x->mb.uidlist, sizeof path);
		if ((slash = strrchr(path, '/')) && slash != path) {
			*slash = 0;
			inotify_add_watch(fd, path, IN_MOVED_TO |
				IN_CLOSE_WRITE);
		}
	}
	return fd;
}

/* RFC 2177: IDLE, then what changes as it happens, until DONE. */
void cmd_idle(struct imap *s, struct cur *c)
{
	struct sel *x = SEL(s);
	char drain[4096];
	size_t len;
	int ino = -1, r;
	long long end;
	struct timespec ts;

	if (!p_eol(c)) {
		tagged(s, "BAD Usage: IDLE");
		s->errors++;
		return;
	}
	reply(s, "+ idling");
	io_flush(&s->out);
	if (x)
		ino = idle_watch(x);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 +
		(long long)timeout_ms(s);
	for (;;) {
		struct pollfd pf[2];
		long long now;

		/* what is buffered (or inside TLS) first */
		io_deadline(&s->in, 1);
		r = io_getline(&s->in, s->line, IMAP_LINE_MAX + 1, &len);
		if (r == IO_LINE || r == IO_LONG || (r == IO_EOF && len))
			break;
		if (r != IO_TIMEOUT) {
			s->quit = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
		if (now >= end) {
			reply(s, "* BYE Disconnected for inactivity");
			s->quit = 1;
			break;
		}
		pf[0].fd = s->in.fd;
		pf[0].events = POLLIN;
		pf[1].fd = ino;
		pf[1].events = POLLIN;
		r = poll(pf, 2, ino >= 0 ? IDLE_POLL_MS : 1000);
		if (r < 0 && errno != EINTR)
			break;
		if (ino >= 0 && r > 0 && (pf[1].revents & POLLIN))
			while (read(ino, drain, sizeof drain) > 0)
				;
		if (x && (r == 0 || (ino >= 0 && (pf[1].revents & POLLIN)))) {
			sync_tell(s, 0, 1);
			io_flush(&s->out);
		}
	}
	if (ino >= 0)
		close(ino);
	if (s->quit)
		return;
	s->line[strcspn(s->line, "\r\n")] = 0;
	if (r == IO_LINE && !strcasecmp(s->line, "DONE")) {
		tagged(s, "OK IDLE terminated");
	} else {
		tagged(s, "BAD Expected DONE");
		s->errors++;
	}
}
