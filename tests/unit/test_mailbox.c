/* Unit tests of the shared mailbox reader: sizes, mboxrd un-quoting, UIDs
 * across sessions and rewrites, mail delivered during a session, locks,
 * hostile files, Maildir flags and foreign files. */
#include "libmini.h"
#include "unit.h"
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static const char *at(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) & 3;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void put(const char *name, const char *s)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	file_write_all(fd, s, strlen(s));
	close(fd);
}

static char *slurp(const char *name)
{
	char *p;
	size_t n;

	if (file_read_all(at(name), 1 << 20, &p, &n) < 0)
		return NULL;
	return p;
}

/* Message I as read, into a static buffer. */
static const char *msg(struct mailbox *mb, size_t i)
{
	static char out[8192];
	struct mailbox_reader *r = malloc(sizeof *r);
	size_t n = 0;
	ssize_t k;

	if (mailbox_msg_open(mb, i, r) < 0) {
		free(r);
		return "(open failed)";
	}
	/* small reads: the un-quoting must not depend on chunking */
	while ((k = mailbox_msg_read(r, out + n, 3)) > 0)
		n += (size_t)k;
	out[n] = 0;
	mailbox_msg_close(r);
	free(r);
	return out;
}

static void test_sizes(void)
{
	static const struct { const char *in; int quoted; long size; } v[] = {
		{ "a\nb\n", 0, 6 },
		{ "a", 0, 3 },
		{ "a\r\nb\n", 0, 6 },
		{ ">From x\n", 1, 8 },
		{ ">From x\n", 0, 9 },
		{ ">>From x\n", 1, 9 },
		{ ">Fromx\n", 1, 8 },
		{ "\n\n", 0, 4 },
		{ "", 0, 0 },
	};
	size_t i;
	char name[64];

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		snprintf(name, sizeof name, "sent size %zu", i);
		CHECK(mailbox_sent_size(v[i].in, strlen(v[i].in),
			v[i].quoted) == v[i].size, name);
	}
	CHECK(mailbox_key("From a\n", 7, "A: 1\nStatus: RO\n\nbody", 21) ==
		mailbox_key("From a\n", 7, "A: 1\n\nother", 11),
		"key ignores Status and the body");
	CHECK(mailbox_key("From a\n", 7, "A: 1\n\n", 6) !=
		mailbox_key("From a\n", 7, "A: 2\n\n", 6), "key of header");
}

static const char mbox1[] =
	"From alice@example.org Mon Nov 23 10:00:00 2026\n"
	"Subject: one\n"
	"\n"
	">From the start\n"
	"..dots\n"
	"\n"
	"From bob@example.org Mon Nov 23 10:01:00 2026\n"
	"Subject: two\n"
	"Status: O\n"
	"\n"
	"two\r\n"
	"\n"
	"From carol@example.org Mon Nov 23 10:02:00 2026\n"
	"Subject: three\n"
	"\n"
	"no newline at the end";

static void test_mbox(void)
{
	struct mailbox mb, mb2;
	struct mbox_append ap;
	struct stat st0, st1;
	char err[256];
	const char *p;
	unsigned uid1, uid3;
	off_t total;
	char *s;

	put("m1", mbox1);
	CHECK(mailbox_open(&mb, at("m1"), LOCAL_MBOX, 0, err, sizeof err) == 0,
		"mbox opens");
	CHECK(mb.n == 3, "three messages");
	CHECK_STR(msg(&mb, 0), "Subject: one\n\nFrom the start\n..dots\n",
		"un-quoted, separator dropped");
	CHECK(mb.msg[0].size == 40, "size with CRLF");
	CHECK_STR(msg(&mb, 1), "Subject: two\nStatus: O\n\ntwo\r\n",
		"CRLF kept");
	CHECK(mb.msg[1].size == 32, "CRLF counted once");
	CHECK(mb.msg[1].flags == MAILBOX_OLD, "Status: O read");
	CHECK_STR(msg(&mb, 2), "Subject: three\n\nno newline at the end",
		"truncated last message");
	CHECK(mb.msg[2].size == 16 + 2 + 21 + 2, "last line gets CRLF");
	CHECK(mailbox_count(&mb, &total) == 3 && total == 40 + 32 + 41,
		"count and total");
	CHECK(mb.msg[0].uid == 1 && mb.msg[2].uid == 3, "first UIDs");
	{
		char fl[64];

		CHECK(mailbox_from_line(&mb, 1, fl, sizeof fl) == 45 &&
			!strcmp(fl, "From bob@example.org Mon Nov 23 10:01:00 "
			"2026"), "From line");
		CHECK(mailbox_from_line(&mb, 1, fl, 10) == 9 &&
			!strcmp(fl, "From bob@"), "From line cut");
	}
	uid1 = mb.msg[0].uid;
	uid3 = mb.msg[2].uid;

	/* a second session is refused while this one holds it */
	errno = 0;
	CHECK(mailbox_open(&mb2, at("m1"), LOCAL_MBOX, 0, err,
		sizeof err) < 0 && errno == EWOULDBLOCK, "in use");

	/* delivery goes on during the session */
	CHECK(mbox_append_open(&ap, at("m1"), 0, 0) == 0 &&
		mbox_append_from(&ap, "dave@example.org", 1700000000) == 0 &&
		mbox_append_write(&ap, "Subject: four\n\nFrom four\n", 25) == 0
		&& mbox_append_commit(&ap) == 0, "delivery during session");
	mb.msg[1].flags |= MAILBOX_DELETED;
	mb.msg[0].flags |= MAILBOX_SEEN;
	CHECK(stat(at("m1"), &st0) == 0, "stat");
	CHECK(mailbox_commit(&mb, err, sizeof err) == 0, "commit");
	/* in place: the same file, its journal gone */
	CHECK(stat(at("m1"), &st1) == 0 && st1.st_ino == st0.st_ino,
		"rewritten in place");
	CHECK(access(at(".m1.rewrite"), F_OK) < 0 && errno == ENOENT,
		"journal removed");

	CHECK(mailbox_open(&mb, at("m1"), LOCAL_MBOX, 0, err, sizeof err) == 0,
		"reopen");
	CHECK(mb.n == 3, "one deleted, one arrived");
	CHECK(mb.msg[0].uid == uid1 && mb.msg[1].uid == uid3 &&
		mb.msg[2].uid == 4, "UIDs stable across the rewrite");
	CHECK(mb.msg[0].flags & MAILBOX_SEEN, "Status written");
	CHECK_STR(msg(&mb, 0), "Subject: one\nStatus: RO\n\nFrom the start\n"
		"..dots\n", "header rewritten, body intact");
	CHECK_STR(msg(&mb, 2), "Subject: four\n\nFrom four\n",
		"the new message");
	mailbox_close(&mb);
	s = slurp("m1");
	p = s ? strstr(s, ">From the start") : NULL;
	CHECK(p != NULL, "quoting kept on disk");
	CHECK(s && strstr(s, "no newline at the end\n\nFrom dave") != NULL,
		"separator restored");
	free(s);
	s = slurp(".m1.uidlist");
	CHECK(s && strncmp(s, "postbox-uidlist 2 V", 19) == 0, "uidlist");
	free(s);

	/* a dropped session changes nothing */
	CHECK(mailbox_open(&mb, at("m1"), LOCAL_MBOX, 0, err, sizeof err) == 0,
		"open again");
	mb.msg[0].flags |= MAILBOX_DELETED;
	mailbox_close(&mb);
	CHECK(mailbox_open(&mb, at("m1"), LOCAL_MBOX, 0, err, sizeof err) == 0
		&& mb.n == 3, "close deletes nothing");

	/* rewritten behind our back: refuse, change nothing */
	mb.msg[0].flags |= MAILBOX_DELETED;
	put("m1.new", mbox1);
	rename(at("m1.new"), at("m1"));
	errno = 0;
	CHECK(mailbox_commit(&mb, err, sizeof err) < 0 && errno == ESTALE,
		"changed behind our back");
	CHECK(mailbox_open(&mb, at("m1"), LOCAL_MBOX, 0, err, sizeof err) == 0
		&& mb.n == 3, "nothing lost");
	mailbox_close(&mb);
}

static void test_mbox_bad(void)
{
	struct mailbox mb;
	char err[256];

	put("bad", "Subject: not mbox\n\nhi\n");
	errno = 0;
	CHECK(mailbox_open(&mb, at("bad"), LOCAL_MBOX, 0, err, sizeof err) < 0
		&& errno == EINVAL && strstr(err, "not an mbox"),
		"not an mbox file");
	put("empty", "");
	CHECK(mailbox_open(&mb, at("empty"), LOCAL_MBOX, 0, err,
		sizeof err) == 0 && mb.n == 0, "empty mbox");
	mailbox_close(&mb);
	CHECK(mailbox_open(&mb, at("absent"), LOCAL_MBOX, 0, err,
		sizeof err) == 0 && mb.n == 0, "absent mbox is empty");
	mailbox_close(&mb);
	symlink(at("m1"), at("link"));
	CHECK(mailbox_open(&mb, at("link"), LOCAL_MBOX, 0, err,
		sizeof err) < 0, "symbolic link refused");
	put("only", "From x\n");
	CHECK(mailbox_open(&mb, at("only"), LOCAL_MBOX, 0, err,
		sizeof err) == 0 && mb.n == 1 && mb.msg[0].size == 0,
		"From line alone");
	mailbox_close(&mb);
}

static void deliver(const char *md, const char *text)
{
	struct maildir_deliver d;

	maildir_deliver_open(&d, md);
	maildir_deliver_write(&d, text, strlen(text));
	maildir_deliver_commit(&d, NULL, 0);
}

static void test_maildir(void)
{
	struct mailbox mb, mb2;
	char err[256], md[300], path[600], *s;
	unsigned u1, u3;

	snprintf(md, sizeof md, "%s/Maildir", dir);
	CHECK(mailbox_open(&mb, md, LOCAL_MAILDIR, MAILBOX_CREATE, err,
		sizeof err) == 0 && mb.n == 0, "created");
	mailbox_close(&mb);
	deliver(md, "Subject: 1\n\none\n");
	usleep(2000);
	deliver(md, "Subject: 2\n\ntwo\n");
	usleep(2000);
	deliver(md, "Subject: 3\n\n.three");
	put("Maildir/cur/.hidden", "junk");
	mkdir(at("Maildir/cur/sub"), 0700);
	symlink("/etc/passwd", at("Maildir/new/evil"));
	CHECK(mailbox_open(&mb, md, LOCAL_MAILDIR, 0, err, sizeof err) == 0,
		"open");
	CHECK(mb.n == 3, "foreign files skipped");
	CHECK_STR(msg(&mb, 0), "Subject: 1\n\none\n", "first by time");
	CHECK(mb.msg[2].size == 18 + 4, "size without final newline");
	u1 = mb.msg[0].uid;
	u3 = mb.msg[2].uid;
	errno = 0;
	CHECK(mailbox_open(&mb2, md, LOCAL_MAILDIR, 0, err, sizeof err) < 0 &&
		errno == EWOULDBLOCK, "maildir in use");
	mb.msg[1].flags |= MAILBOX_DELETED;
	mb.msg[0].flags |= MAILBOX_SEEN;
	CHECK(mailbox_commit(&mb, err, sizeof err) == 0, "commit");
	CHECK(mailbox_open(&mb, md, LOCAL_MAILDIR, 0, err, sizeof err) == 0 &&
		mb.n == 2, "reopen");
	CHECK(mb.msg[0].uid == u1 && mb.msg[1].uid == u3, "UIDs kept");
	CHECK(mb.msg[0].flags & MAILBOX_SEEN && mb.msg[0].name[0] == 'c' &&
		strstr(mb.msg[0].name, ":2,S"), "flag in info, in cur/");

	/* another client sets a flag: found under its new name */
	snprintf(path, sizeof path, "%s/%s", md, mb.msg[1].name);
	{
		char to[700];

		snprintf(to, sizeof to, "%s/cur/%s:2,F", md,
			strchr(mb.msg[1].name, '/') + 1);
		CHECK(rename(path, to) == 0, "renamed behind");
	}
	CHECK_STR(msg(&mb, 1), "Subject: 3\n\n.three", "found renamed");
	snprintf(path, sizeof path, "%s/%s", md, mb.msg[1].name);
	unlink(path);
	CHECK_STR(msg(&mb, 1), "(open failed)", "deleted behind");
	mb.msg[1].flags |= MAILBOX_DELETED;
	CHECK(mailbox_commit(&mb, err, sizeof err) == 0,
		"commit with a vanished message");
	s = slurp("Maildir/postbox-uidlist");
	CHECK(s && strncmp(s, "postbox-uidlist 2 V", 19) == 0, "uidlist");
	free(s);
	/* a broken uidlist: new UIDs, nothing lost */
	put("Maildir/postbox-uidlist", "garbage\n");
	CHECK(mailbox_open(&mb, md, LOCAL_MAILDIR, 0, err, sizeof err) == 0 &&
		mb.n == 1, "broken uidlist");
	mailbox_close(&mb);
}

/* A bounded fuzz of the scanner: random mboxes from a hostile alphabet
 * never crash it, and every message read back has the size announced. */
static void test_fuzz(void)
{
	static const char alpha[] = "From >\n\n\r.xS:";
	static char text[600];
	static const char *const words[] = { "From ", ">From ", "\n",
		"\n\n", ">>From ", "Status: RO\n", "\r\n", "." };
	unsigned seed = 12345, bad = 0, runs, i;
	struct mailbox mb;
	char err[256];

	for (runs = 0; runs < 3000; runs++) {
		size_t n = 0, len;

		if (runs % 3)
			n = (size_t)snprintf(text, sizeof text, "From x\n");
		len = n + (seed = seed * 1103515245 + 12345) % 400;
		while (n < len) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 4 == 0) {
				const char *w = words[(seed >> 20) % 8];
				size_t k = strlen(w);

				if (n + k >= sizeof text)
					break;
				memcpy(text + n, w, k);
				n += k;
			} else {
				text[n++] = alpha[(seed >> 16) %
					(sizeof alpha - 1)];
			}
		}
		text[n] = 0;
		put("fz", text);
		unlink(at(".fz.uidlist"));
		if (mailbox_open(&mb, at("fz"), LOCAL_MBOX, 0, err,
		    sizeof err) < 0) {
			if (errno != EINVAL || strncmp(text, "From ", 5) == 0)
				bad++;
			continue;
		}
		for (i = 0; i < mb.n; i++) {
			const char *m = msg(&mb, i);

			if (mailbox_sent_size(m, strlen(m), 0) !=
			    mb.msg[i].size)
				bad++;
		}
		mailbox_close(&mb);
	}
	CHECK(bad == 0, "fuzz: 3000 hostile mboxes, sizes agree");
}


/* --- shared (IMAP) sessions --------------------------------------------- */

static size_t by_uid(const struct mailbox *mb, unsigned uid)
{
	size_t i;

	for (i = 0; i < mb->n; i++)
		if (mb->msg[i].uid == uid)
			return i;
	return (size_t)-1;
}

/* A message as the MTA delivers it, into the mailbox at PATH. */
static void deliver_to(const char *path, int kind, const char *text)
{
	struct mbox_append ap;

	if (kind == LOCAL_MAILDIR) {
		deliver(path, text);
		return;
	}
	mbox_append_open(&ap, path, 0, MBOX_CREATE);
	mbox_append_from(&ap, "x@example.org", 1700000000);
	mbox_append_write(&ap, text, strlen(text));
	mbox_append_commit(&ap);
}

static void test_shared(int kind)
{
	struct mailbox a, b, c;
	char err[256], path[300], t[160];
	const char *k = kind == LOCAL_MAILDIR ? "maildir" : "mbox";
	const char *kws[] = { "$Forwarded" };
	unsigned u1, u2, u3, un, v, ua;
	uint64_t ms, hm;
	size_t i;
	int bit, r, ok;
	pid_t pid;

	snprintf(path, sizeof path, "%s/shared-%s", dir, k);
	if (kind == LOCAL_MAILDIR)
		maildir_make(path);
	deliver_to(path, kind, "Subject: 1\n\none\n");
	usleep(2000);
	deliver_to(path, kind, "Subject: 2\n\ntwo\n");
	usleep(2000);
	deliver_to(path, kind, "Subject: 3\n\nthree\n");

#define T(name) (snprintf(t, sizeof t, "%s: %s", k, name), t)
	CHECK(mailbox_open(&a, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && a.n == 3, T("shared open"));
	CHECK(mailbox_open(&b, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && b.n == 3, T("a second shared open"));
	CHECK(a.msg[0].recent && a.msg[2].recent && !b.msg[0].recent &&
		!b.msg[2].recent, T("\\Recent: the first session only"));
	u1 = a.msg[0].uid;
	u2 = a.msg[1].uid;
	u3 = a.msg[2].uid;
	CHECK(u1 < u2 && u2 < u3 && b.msg[1].uid == u2 &&
		a.validity == b.validity, T("same UIDs in both"));
	CHECK(a.msg[0].modseq > 0 && a.highestmodseq >= a.msg[2].modseq,
		T("modseqs given"));
	if (kind == LOCAL_MBOX)
		CHECK(a.msg[0].date == 1700000000, T("INTERNALDATE of From_"));

	/* A stores a flag; B syncs and sees it with a higher modseq */
	ms = b.msg[1].modseq;
	hm = b.highestmodseq;
	a.msg[1].flags |= MAILBOX_FLAGGED;
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0, T("sync A"));
	CHECK(a.msg[1].flags0 & MAILBOX_FLAGGED && a.msg[1].modseq > ms,
		T("A: written, new modseq"));
	CHECK(mailbox_sync(&b, 0, err, sizeof err) == 0, T("sync B"));
	i = by_uid(&b, u2);
	CHECK(i != (size_t)-1 && (b.msg[i].flags & MAILBOX_FLAGGED) &&
		b.msg[i].modseq > ms && b.highestmodseq > hm &&
		b.msg[i].modseq == a.msg[1].modseq, T("B sees the flag"));
	CHECK_STR(msg(&b, 2), "Subject: 3\n\nthree\n",
		T("B reads after the rewrite"));

	/* both change different flags of one message: both kept */
	a.msg[0].flags |= MAILBOX_SEEN;
	b.msg[0].flags |= MAILBOX_ANSWERED;
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 &&
		mailbox_sync(&b, 0, err, sizeof err) == 0 &&
		mailbox_sync(&a, 0, err, sizeof err) == 0 &&
		(a.msg[0].flags & (MAILBOX_SEEN | MAILBOX_ANSWERED)) ==
		(MAILBOX_SEEN | MAILBOX_ANSWERED) && (b.msg[0].flags &
		(MAILBOX_SEEN | MAILBOX_ANSWERED)) == (MAILBOX_SEEN |
		MAILBOX_ANSWERED), T("concurrent stores merge"));

	/* keywords: made, stored, seen by the other, kept */
	bit = mailbox_keyword(&a, "$Junk", 1);
	CHECK(bit >= 0 && mailbox_keyword(&a, "$junk", 0) == bit,
		T("keyword made, found without case"));
	CHECK(mailbox_keyword(&a, "bad name", 1) < 0 && errno == EINVAL &&
		mailbox_keyword(&a, "\\Seen", 1) < 0 &&
		mailbox_keyword(&a, "Unknown", 0) < 0 && errno == ENOENT,
		T("bad keywords refused"));
	CHECK(mailbox_keyword(&b, "$JUNK", 1) == bit,
		T("the other session finds its bit"));
	ms = a.msg[2].modseq;
	a.msg[2].kw |= 1u << bit;
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 &&
		a.msg[2].modseq > ms && a.msg[2].kw0 == 1u << bit,
		T("keyword stored"));
	CHECK(mailbox_sync(&b, 0, err, sizeof err) == 0 &&
		b.msg[by_uid(&b, u3)].kw == 1u << bit,
		T("B sees the keyword"));

	/* A expunges message 1; B's reader finds it gone, sync drops it */
	a.msg[0].flags |= MAILBOX_TRASHED;
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 && a.n == 3,
		T("\\Deleted set, not expunged"));
	a.msg[0].flags |= MAILBOX_DELETED;
	hm = a.highestmodseq;
	CHECK(mailbox_sync(&a, MAILBOX_SYNC_EXPUNGE, err, sizeof err) == 0 &&
		a.n == 2 && by_uid(&a, u1) == (size_t)-1 &&
		a.highestmodseq > hm, T("expunged"));
	CHECK_STR(msg(&b, 0), "(open failed)", T("B: expunged message gone"));
	CHECK(errno == ENOENT, T("... ENOENT"));
	CHECK_STR(msg(&b, 2), "Subject: 3\n\nthree\n",
		T("B: the others found again"));
	CHECK(mailbox_sync(&b, 0, err, sizeof err) == 0 && b.n == 2 &&
		by_uid(&b, u1) == (size_t)-1 && b.msg[0].uid == u2,
		T("B sees the UID gone"));

	/* delivery while both are open: a new UID, \Recent in one only */
	deliver_to(path, kind, "Subject: 4\n\nfour\n");
	CHECK(mailbox_sync(&b, 0, err, sizeof err) == 0 && b.n == 3 &&
		b.msg[2].uid > u3 && b.msg[2].recent, T("B gets the new one"));
	un = b.msg[2].uid;
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 && a.n == 3 &&
		a.msg[2].uid == un && !a.msg[2].recent,
		T("A: same UID, not recent"));

	/* APPEND: the next UID at once, flags, keywords, date */
	{
		static const char m5[] = "Subject: 5\r\nStatus: RO\r\n\r\n"
			"From me\r\nfive\r\n";

		r = mailbox_append(path, kind, m5, sizeof m5 - 1,
			MAILBOX_SEEN | MAILBOX_FLAGGED, kws, 1, 1600000000,
			&v, &ua, err, sizeof err);
	}
	CHECK(r == 0 && v == a.validity && ua == un + 1, T("append's UID"));
	{
		const char *bad[] = { "no good" };

		errno = 0;
		CHECK(mailbox_append(path, kind, "S: x\r\n\r\nx\r\n", 11, 0,
			bad, 1, 0, &v, &u1, err, sizeof err) < 0 &&
			errno == EINVAL, T("append: a bad keyword refused"));
	}
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 && a.n == 4 &&
		a.msg[3].uid == ua, T("A sees the appended"));
	bit = mailbox_keyword(&a, "$Forwarded", 0);
	CHECK(bit >= 0 && a.msg[3].kw == 1u << bit &&
		(a.msg[3].flags & (MAILBOX_SEEN | MAILBOX_FLAGGED)) ==
		(MAILBOX_SEEN | MAILBOX_FLAGGED) &&
		a.msg[3].date == 1600000000 && a.msg[3].recent,
		T("appended: flags, keyword, date"));
	CHECK_STR(msg(&a, 3), kind == LOCAL_MBOX ? "Subject: 5\nStatus: RO\n"
		"X-Status: F\n\nFrom me\nfive\n" : "Subject: 5\n\nFrom me\n"
		"five\n", T("appended: LF ends, quoting undone"));
	CHECK(a.msg[3].size == (kind == LOCAL_MBOX ? 54 : 29),
		T("appended: size in CRLF"));
	CHECK(mailbox_sync(&b, 0, err, sizeof err) == 0 && b.n == 4 &&
		b.msg[3].uid == ua && !b.msg[3].recent,
		T("B: the appended, recent in A only"));

	/* modseqs, keywords, \Recent kept across close and open */
	ms = a.msg[3].modseq;
	hm = a.highestmodseq;
	mailbox_close(&a);
	mailbox_close(&b);
	CHECK(mailbox_open(&c, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && c.n == 4, T("reopen"));
	CHECK(c.highestmodseq == hm && c.msg[3].modseq == ms,
		T("modseqs kept"));
	bit = mailbox_keyword(&c, "$junk", 0);
	CHECK(bit >= 0 && c.msg[by_uid(&c, u3)].kw == 1u << bit,
		T("keywords kept"));
	ok = 1;
	for (i = 0; i < c.n; i++)
		ok &= !c.msg[i].recent;
	CHECK(ok, T("nothing recent twice"));

	/* EXAMINE: reads, claims nothing, writes nothing */
	deliver_to(path, kind, "Subject: 7\n\nseven\n");
	CHECK(mailbox_open(&a, path, kind, MAILBOX_SHARED | MAILBOX_RDONLY,
		err, sizeof err) == 0 && a.n == 5 && !a.msg[4].recent,
		T("read-only shared open"));
	a.msg[0].flags |= MAILBOX_ANSWERED;
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 &&
		!(a.msg[0].flags & MAILBOX_ANSWERED),
		T("read-only: nothing written"));
	mailbox_close(&a);
	CHECK(mailbox_sync(&c, 0, err, sizeof err) == 0 && c.n == 5 &&
		c.msg[4].recent && !(c.msg[0].flags & MAILBOX_ANSWERED),
		T("read-only: the new one still recent for the next"));

	/* a pop3d-style session: shared calls wait, then EWOULDBLOCK */
	CHECK(mailbox_open(&b, path, kind, 0, err, sizeof err) == 0,
		T("exclusive open beside a shared session"));
	errno = 0;
	CHECK(mailbox_sync(&c, 0, err, sizeof err) < 0 &&
		errno == EWOULDBLOCK, T("shared sync: EWOULDBLOCK"));
	errno = 0;
	CHECK(mailbox_open(&a, path, kind, MAILBOX_SHARED, err,
		sizeof err) < 0 && errno == EWOULDBLOCK,
		T("shared open: EWOULDBLOCK"));
	errno = 0;
	CHECK(mailbox_append(path, kind, "S: x\r\n\r\nx\r\n", 11, 0, NULL, 0,
		0, &v, &ua, err, sizeof err) < 0 && errno == EWOULDBLOCK,
		T("append: EWOULDBLOCK"));
	/* its changes get modseqs too */
	ms = b.msg[0].modseq;
	b.msg[0].flags |= MAILBOX_DRAFT;
	b.msg[1].flags |= MAILBOX_DELETED;
	u2 = b.msg[1].uid;
	CHECK(mailbox_commit(&b, err, sizeof err) == 0, T("exclusive commit"));
	CHECK(mailbox_sync(&c, 0, err, sizeof err) == 0 && c.n == 4 &&
		(c.msg[0].flags & MAILBOX_DRAFT) && c.msg[0].modseq > ms &&
		by_uid(&c, u2) == (size_t)-1,
		T("pop3d's changes seen with a new modseq"));

	/* another process: stores a flag and appends */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct mailbox d;

		if (mailbox_open(&d, path, kind, MAILBOX_SHARED, err,
		    sizeof err) < 0)
			_exit(1);
		d.msg[0].flags |= MAILBOX_SEEN;
		if (mailbox_sync(&d, 0, err, sizeof err) < 0 ||
		    mailbox_append(path, kind, "S: 6\r\n\r\n6\r\n", 11, 0,
		    NULL, 0, 0, &v, &ua, err, sizeof err) < 0)
			_exit(2);
		mailbox_close(&d);
		_exit(0);
	}
	waitpid(pid, &r, 0);
	CHECK(WIFEXITED(r) && WEXITSTATUS(r) == 0, T("child process"));
	ms = c.msg[0].modseq;
	CHECK(mailbox_sync(&c, 0, err, sizeof err) == 0 && c.n == 5 &&
		(c.msg[0].flags & MAILBOX_SEEN) && c.msg[0].modseq > ms,
		T("another process's changes seen"));
	/* nothing changed: cheap and the same */
	hm = c.highestmodseq;
	CHECK(mailbox_sync(&c, 0, err, sizeof err) == 0 && c.n == 5 &&
		c.highestmodseq == hm, T("sync with nothing new"));
	mailbox_close(&c);

	/* an exclusive session may sync too: writes, reads new mail */
	CHECK(mailbox_open(&a, path, kind, 0, err, sizeof err) == 0,
		T("exclusive open"));
	i = a.n;
	ok = a.msg[0].flags & MAILBOX_FLAGGED;
	a.msg[0].flags ^= MAILBOX_FLAGGED;
	deliver_to(path, kind, "Subject: 8\n\neight\n");
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 && a.n == i + 1 &&
		a.msg[0].flags == a.msg[0].flags0 && (ok ? !(a.msg[0].flags &
		MAILBOX_FLAGGED) : (a.msg[0].flags & MAILBOX_FLAGGED) != 0),
		T("exclusive sync"));
	CHECK_STR(msg(&a, i), "Subject: 8\n\neight\n",
		T("exclusive sync: the new one read"));
	mailbox_close(&a);
	CHECK(mailbox_open(&a, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && a.n == i + 1 && (ok ? !(a.msg[0].flags &
		MAILBOX_FLAGGED) : (a.msg[0].flags & MAILBOX_FLAGGED) != 0),
		T("exclusive sync: written"));
	mailbox_close(&a);
#undef T
}

/* Two processes store flags, expunge, append and sync at once while
 * mail is delivered: every call succeeds (or waits its turn), no message
 * is lost or doubled, and all agree on UIDs and flags at the end. */
static void test_shared_race(int kind)
{
	struct mailbox a, b;
	char err[256], path[300], t[160];
	const char *k = kind == LOCAL_MAILDIR ? "maildir" : "mbox";
	unsigned v, ua;
	int p, st, bad = 0, i;
	pid_t pid[2];
	size_t j;

	snprintf(path, sizeof path, "%s/race-%s", dir, k);
	if (kind == LOCAL_MAILDIR)
		maildir_make(path);
	for (i = 0; i < 5; i++)
		deliver_to(path, kind, "Subject: r\n\nr\n");
	/* the wait a server has: a turn can take a while on a busy disk */
	mailbox_wait_ms = MAILBOX_SHARED_WAIT;
	fflush(stdout);
	for (p = 0; p < 2; p++) {
		if ((pid[p] = fork()) != 0)
			continue;
		if (mailbox_open(&a, path, kind, MAILBOX_SHARED, err,
		    sizeof err) < 0)
			_exit(1);
		for (i = 0; i < 25; i++) {
			if (a.n) {
				j = (size_t)(i * 7 + p) % a.n;
				a.msg[j].flags ^= p ? MAILBOX_FLAGGED :
					MAILBOX_SEEN;
			}
			if (i % 10 == 9 && mailbox_append(path, kind,
			    "S: a\r\n\r\na\r\n", 11, 0, NULL, 0, 0, &v, &ua,
			    err, sizeof err) < 0) {
				fprintf(stderr, "append: %s\n", err);
				_exit(2);
			}
			/* each expunges one message once */
			if (i == 12 + p && a.n)
				a.msg[p].flags |= MAILBOX_DELETED;
			if (mailbox_sync(&a, i == 12 + p ?
			    MAILBOX_SYNC_EXPUNGE : 0, err, sizeof err) < 0) {
				fprintf(stderr, "sync: %s\n", err);
				_exit(3);
			}
		}
		mailbox_close(&a);
		_exit(0);
	}
	for (i = 0; i < 6; i++) {
		deliver_to(path, kind, "Subject: d\n\nd\n");
		usleep(3000);
	}
	for (p = 0; p < 2; p++) {
		waitpid(pid[p], &st, 0);
		bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	mailbox_wait_ms = 250;
#define T(name) (snprintf(t, sizeof t, "%s: %s", k, name), t)
	CHECK(!bad, T("race: every call succeeded"));
	CHECK(mailbox_open(&a, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && mailbox_open(&b, path, kind,
		MAILBOX_SHARED | MAILBOX_RDONLY, err, sizeof err) == 0,
		T("race: open after"));
	CHECK(a.n == 5 + 6 + 2 * 2 - 2 && b.n == a.n,
		T("race: nothing lost, two expunged"));
	for (j = 0; j < a.n && j < b.n; j++)
		bad |= a.msg[j].uid != b.msg[j].uid || (j && a.msg[j].uid <=
			a.msg[j - 1].uid) || a.msg[j].flags != b.msg[j].flags ||
			a.msg[j].modseq != b.msg[j].modseq ||
			a.msg[j].modseq > a.highestmodseq;
	CHECK(!bad, T("race: UIDs, flags, modseqs agree"));
	mailbox_close(&a);
	mailbox_close(&b);
#undef T
}

/* A shared sync killed in the middle of its mbox rewrite: the next
 * shared open finishes (or drops) it through the journal, every message
 * is there and reads whole. */
static void test_shared_kill(void)
{
	static const char *const at[] = { "journal", "40", "end" };
	struct mailbox mb;
	char err[256], path[300], name[64];
	unsigned i;
	int st, ok;
	pid_t pid;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "kill-%u", i);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		put(name, mbox1);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			if (mailbox_open(&mb, path, LOCAL_MBOX, MAILBOX_SHARED,
			    err, sizeof err) < 0)
				_exit(1);
			mb.msg[0].flags |= MAILBOX_FLAGGED;
			setenv("POSTBOX_TEST_KILL_REWRITE", at[i], 1);
			mailbox_sync(&mb, 0, err, sizeof err);
			_exit(2);
		}
		waitpid(pid, &st, 0);
		snprintf(name, sizeof name, "shared kill at %s", at[i]);
		CHECK(WIFSIGNALED(st), name);
		ok = mailbox_open(&mb, path, LOCAL_MBOX, MAILBOX_SHARED, err,
			sizeof err) == 0 && mb.n == 3 &&
			/* a rewrite ends the last line */
			strcmp(msg(&mb, 2), i ? "Subject: three\n\nno newline "
			"at the end\n" : "Subject: three\n\nno newline at "
			"the end") == 0 && strcmp(msg(&mb, 0), i ?
			"Subject: one\nStatus: O\nX-Status: F\n\nFrom the "
			"start\n..dots\n" : "Subject: one\n\nFrom the start\n"
			"..dots\n") == 0 && !(mb.msg[0].flags &
			MAILBOX_FLAGGED) == !i;
		snprintf(name, sizeof name, "shared kill at %s: recovered",
			at[i]);
		CHECK(ok, name);
		mailbox_close(&mb);
	}
}

/* A reader of one shared session holds off another process's rewrite
 * of the mbox until it closes; the reader gets the message whole. */
static void test_shared_reader(void)
{
	struct mailbox a, b;
	struct mailbox_reader *r = malloc(sizeof *r);
	char err[256], path[300], out[200];
	ssize_t k;
	size_t n = 0;
	int st;
	pid_t pid;

	snprintf(path, sizeof path, "%s/reader", dir);
	put("reader", mbox1);
	CHECK(mailbox_open(&a, path, LOCAL_MBOX, MAILBOX_SHARED, err,
		sizeof err) == 0 && mailbox_open(&b, path, LOCAL_MBOX,
		MAILBOX_SHARED, err, sizeof err) == 0, "reader: two sessions");
	CHECK(mailbox_msg_open(&a, 2, r) == 0, "reader: open");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* another process: its rewrite waits for the reader */
		b.msg[0].flags |= MAILBOX_SEEN;
		_exit(mailbox_sync(&b, 0, err, sizeof err) < 0 &&
			errno == EWOULDBLOCK ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"reader: a rewrite waits, then EWOULDBLOCK");
	while ((k = mailbox_msg_read(r, out + n, sizeof out - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = 0;
	mailbox_msg_close(r);
	CHECK_STR(out, "Subject: three\n\nno newline at the end",
		"reader: the message whole");
	b.msg[0].flags |= MAILBOX_SEEN;
	CHECK(mailbox_sync(&b, 0, err, sizeof err) == 0,
		"reader: closed, the rewrite goes");
	CHECK_STR(msg(&a, 2), "Subject: three\n\nno newline at the end\n",
		"reader: found again after the rewrite");
	free(r);
	mailbox_close(&a);
	mailbox_close(&b);
}

/* APPEND adds one line to the uidlist and rewrites its first line in
 * place; a crash between the two leaves a line past N: still read. */
static void test_append_line(int kind)
{
	struct mailbox mb;
	char err[256], path[300], ul[600], t[160];
	const char *k = kind == LOCAL_MAILDIR ? "maildir" : "mbox";
	unsigned v, u, n;
	char *p;
	size_t len;
	int fd;

	snprintf(path, sizeof path, "%s/line-%s", dir, k);
	if (kind == LOCAL_MAILDIR)
		maildir_make(path);
	deliver_to(path, kind, "Subject: 1\n\none\n");
	mailbox_uidlist_path(path, kind, ul, sizeof ul);
#define T(name) (snprintf(t, sizeof t, "%s: %s", k, name), t)
	CHECK(mailbox_open(&mb, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && mb.n == 1, T("line: open"));
	mailbox_close(&mb);
	CHECK(mailbox_append(path, kind, "S: 2\r\n\r\n2\r\n", 11, 0, NULL, 0,
		0, &v, &u, err, sizeof err) == 0, T("line: append"));
	/* the first line as it was before the append */
	if (file_read_all(ul, 1 << 20, &p, &len) == 0 && (n = (unsigned)
	    strtoul(strstr(p, " N") + 2, NULL, 10)) == u + 1) {
		char *q = strstr(p, " N") + 2, num[16];
		int w = snprintf(num, sizeof num, "%u", u);

		memcpy(q, num, (size_t)w);
		if ((unsigned)snprintf(num, sizeof num, "%u", n) > (unsigned)w)
			q[w] = ' ';
		fd = open(ul, O_WRONLY | O_TRUNC);
		file_write_all(fd, p, len);
		close(fd);
	}
	free(p);
	CHECK(mailbox_open(&mb, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && mb.n == 2 && mb.msg[1].uid == u &&
		mb.next_uid == u + 1 && mb.validity == v,
		T("line: past N, still read"));
	mailbox_close(&mb);
#undef T
}

/* Mailboxes that do not exist yet: a shared session sees the first
 * delivery; APPEND makes the mbox file (0600) or the Maildir. */
static void test_shared_new(void)
{
	struct mailbox mb;
	struct stat st;
	char err[256], path[300], md[300];
	unsigned v, u;

	snprintf(path, sizeof path, "%s/new-mbox", dir);
	snprintf(md, sizeof md, "%s/new-maildir", dir);
	CHECK(mailbox_open(&mb, path, LOCAL_MBOX, MAILBOX_SHARED, err,
		sizeof err) == 0 && mb.n == 0, "no mbox yet: empty");
	deliver_to(path, LOCAL_MBOX, "Subject: 1\n\none\n");
	CHECK(mailbox_sync(&mb, 0, err, sizeof err) == 0 && mb.n == 1 &&
		mb.msg[0].recent && mb.msg[0].uid == 1,
		"no mbox yet: the first delivery seen");
	CHECK_STR(msg(&mb, 0), "Subject: 1\n\none\n",
		"no mbox yet: read");
	mailbox_close(&mb);
	unlink(path);
	CHECK(mailbox_append(path, LOCAL_MBOX, "S: a\r\n\r\na\r\n", 11, 0,
		NULL, 0, 0, &v, &u, err, sizeof err) == 0 &&
		stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
		"append makes the mbox");
	CHECK(mailbox_append(md, LOCAL_MAILDIR, "S: a\r\n\r\na\r\n", 11, 0,
		NULL, 0, 0, &v, &u, err, sizeof err) == 0 && u == 1 &&
		mailbox_open(&mb, md, LOCAL_MAILDIR, MAILBOX_SHARED, err,
		sizeof err) == 0 && mb.n == 1 && mb.msg[0].uid == 1 &&
		mb.validity == v, "append makes the Maildir");
	mailbox_close(&mb);
}

/* A uidlist of format 1 gives its UIDs, and is written as format 2. */
static void test_uidlist1(int kind)
{
	struct mailbox mb;
	char err[256], path[300], line[200], name[100], ul[400];
	const char *k = kind == LOCAL_MAILDIR ? "maildir" : "mbox";
	char *s;

	snprintf(path, sizeof path, "%s/v1-%s", dir, k);
	if (kind == LOCAL_MAILDIR) {
		maildir_make(path);
		snprintf(ul, sizeof ul, "%s/postbox-uidlist", path);
		snprintf(name, sizeof name, "%s/new/1700000000.a.host", path);
		put(name + strlen(dir) + 1, "Subject: a\n\na\n");
		snprintf(line, sizeof line, "postbox-uidlist 1 V77 N42\n"
			"41 1700000000.a.host 16\n");
	} else {
		struct mailbox tmp;

		put("v1-mbox", "From a Mon Nov 23 10:00:00 2026\nSubject: a\n"
			"\na\n");
		/* the key as this code computes it */
		mailbox_open(&tmp, path, kind, MAILBOX_RDONLY, err,
			sizeof err);
		snprintf(line, sizeof line, "postbox-uidlist 1 V77 N42\n"
			"41 %016llx 16\n", (unsigned long long)tmp.msg[0].key);
		mailbox_close(&tmp);
		snprintf(ul, sizeof ul, "%s/.v1-mbox.uidlist", dir);
	}
	{
		int fd = open(ul, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		file_write_all(fd, line, strlen(line));
		close(fd);
	}
	CHECK(mailbox_open(&mb, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && mb.n == 1 && mb.validity == 77 &&
		mb.msg[0].uid == 41 && mb.next_uid == 42 &&
		!mb.msg[0].recent, kind == LOCAL_MAILDIR ?
		"maildir: format 1 uidlist read" :
		"mbox: format 1 uidlist read");
	mailbox_close(&mb);
	s = slurp(ul + strlen(dir) + 1);
	CHECK(s && strncmp(s, "postbox-uidlist 2 V77 N42 M", 27) == 0,
		kind == LOCAL_MAILDIR ? "maildir: written as format 2" :
		"mbox: written as format 2");
	free(s);
}

/* QRESYNC's record: expunges by a shared session, by an exclusive one
 * (pop3d, mail) and by another program, each with a modseq above what a
 * session saw; a uidlist from before the record covers nothing older;
 * the record stays bounded. */
static void test_expunged(int kind)
{
	struct mailbox a, b, p;
	char err[256], path[300], t[160], ul[400], *s, *x;
	const char *k = kind == LOCAL_MAILDIR ? "maildir" : "mbox";
	unsigned *u, u2, u4, u5;
#define T(name) (snprintf(t, sizeof t, "%s: %s", k, name), t)
	uint64_t hm0;
	size_t n, i;
	int r, fd;

	snprintf(path, sizeof path, "%s/exp-%s", dir, k);
	if (kind == LOCAL_MAILDIR)
		maildir_make(path);
	for (i = 0; i < 6; i++) {
		char m[64];

		snprintf(m, sizeof m, "Subject: %zu\n\nbody %zu\n", i, i);
		deliver_to(path, kind, m);
		usleep(2000);
	}
	CHECK(mailbox_open(&a, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && a.n == 6, T("expunged: open A"));
	hm0 = a.highestmodseq;
	u2 = a.msg[1].uid;
	u4 = a.msg[3].uid;
	u5 = a.msg[4].uid;
	r = mailbox_expunged(&a, hm0, &u, &n);
	CHECK(r == 1 && n == 0, T("expunged: none yet"));
	free(u);

	/* a shared session expunges one */
	CHECK(mailbox_open(&b, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0, T("expunged: open B"));
	b.msg[1].flags |= MAILBOX_DELETED;
	CHECK(mailbox_sync(&b, MAILBOX_SYNC_EXPUNGE, err, sizeof err) == 0 &&
		b.n == 5, T("expunged: B expunges"));
	mailbox_close(&b);
	/* an exclusive session (pop3d) deletes another */
	CHECK(mailbox_open(&p, path, kind, 0, err, sizeof err) == 0 &&
		p.n == 5, T("expunged: exclusive open"));
	p.msg[2].flags |= MAILBOX_DELETED;
	CHECK(mailbox_commit(&p, err, sizeof err) == 0,
		T("expunged: exclusive commit"));
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 && a.n == 4 &&
		a.highestmodseq > hm0, T("expunged: A sees both gone"));
	r = mailbox_expunged(&a, hm0, &u, &n);
	CHECK(r == 1 && n == 2 && u[0] == u2 && u[1] == u4,
		T("expunged: both recorded"));
	free(u);
	r = mailbox_expunged(&a, a.highestmodseq, &u, &n);
	CHECK(r == 1 && n == 0, T("expunged: none since the newest"));
	free(u);

	/* a format 2 uidlist from before the record (no X): nothing
	 * older than its highest modseq is covered */
	mailbox_uidlist_path(path, kind, ul, sizeof ul);
	s = slurp(ul + strlen(dir) + 1);
	x = s ? strstr(s, " X") : NULL;
	if (x) {
		memset(x, ' ', strcspn(x + 1, " \n") + 1);
		fd = open(ul, O_WRONLY | O_TRUNC);
		file_write_all(fd, s, strlen(s));
		close(fd);
	}
	free(s);
	mailbox_close(&a);
	{
		char ep[400];

		mailbox_state_path(path, kind, "expunged", ep, sizeof ep);
		unlink(ep);
	}
	CHECK(x && mailbox_open(&a, path, kind, MAILBOX_SHARED, err,
		sizeof err) == 0 && a.n == 4, T("expunged: old uidlist read"));
	r = mailbox_expunged(&a, hm0, &u, &n);
	CHECK(r == 0, T("expunged: old uidlist covers nothing older"));
	free(u);
	r = mailbox_expunged(&a, a.highestmodseq, &u, &n);
	CHECK(r == 1 && n == 0, T("expunged: old uidlist covers from now"));
	free(u);

	/* another program removes a message: recorded when next seen */
	hm0 = a.highestmodseq;
	if (kind == LOCAL_MBOX) {
		/* the mbox without its third message (U5) */
		s = slurp(strrchr(path, '/') + 1);
		x = s;
		for (i = 0; x && i < 2; i++)
			x = strstr(x + 1, "\nFrom ");
		if (x) {
			char *e = strstr(x + 1, "\nFrom ");

			memmove(x, e, strlen(e) + 1);
			fd = open(path, O_WRONLY | O_TRUNC);
			file_write_all(fd, s, strlen(s));
			close(fd);
		}
		free(s);
	} else {
		char f[600];

		snprintf(f, sizeof f, "%s/%s", path, a.msg[2].name);
		unlink(f);
	}
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 && a.n == 3,
		T("expunged: removed by another program"));
	r = mailbox_expunged(&a, hm0, &u, &n);
	CHECK(r == 1 && n == 1 && u[0] == u5,
		T("expunged: another program's removal recorded"));
	free(u);
	mailbox_close(&a);
#undef T
}

/* The record stays bounded: past twice MAILBOX_EXP_KEEP it keeps the
 * newest lines, and what it dropped is no longer claimed as covered. */
static void test_expunged_bound(void)
{
	struct mailbox a, b;
	char err[256], path[300], ep[400], line[64];
	unsigned *u, u1;
	size_t n, i;
	struct stat st;
	int fd, r;

	snprintf(path, sizeof path, "%s/expbound", dir);
	deliver_to(path, LOCAL_MBOX, "Subject: 1\n\none\n");
	deliver_to(path, LOCAL_MBOX, "Subject: 2\n\ntwo\n");
	CHECK(mailbox_open(&a, path, LOCAL_MBOX, MAILBOX_SHARED, err,
		sizeof err) == 0 && a.n == 2, "expunged bound: open");
	u1 = a.msg[0].uid;
	mailbox_state_path(path, LOCAL_MBOX, "expunged", ep, sizeof ep);
	fd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	snprintf(line, sizeof line, "postbox-expunged 1 V%u L0\n", a.validity);
	file_write_all(fd, line, strlen(line));
	/* old entries at modseq 1, past twice the bound once one more
	 * line comes */
	for (i = 0; i < 2 * MAILBOX_EXP_KEEP / 8; i++) {
		snprintf(line, sizeof line, "1 %zu\n", 1000000 + i);
		file_write_all(fd, line, strlen(line));
	}
	close(fd);
	r = mailbox_expunged(&a, 0, &u, &n);
	CHECK(r == 1 && n > 10000, "expunged bound: the old entries read");
	free(u);
	CHECK(mailbox_open(&b, path, LOCAL_MBOX, MAILBOX_SHARED, err,
		sizeof err) == 0, "expunged bound: open B");
	b.msg[0].flags |= MAILBOX_DELETED;
	CHECK(mailbox_sync(&b, MAILBOX_SYNC_EXPUNGE, err, sizeof err) == 0,
		"expunged bound: B expunges");
	mailbox_close(&b);
	CHECK(stat(ep, &st) == 0 && st.st_size <= MAILBOX_EXP_KEEP + 200,
		"expunged bound: the record cut to its newest part");
	CHECK(mailbox_sync(&a, 0, err, sizeof err) == 0 && a.n == 1,
		"expunged bound: A syncs");
	r = mailbox_expunged(&a, 0, &u, &n);
	CHECK(r == 0, "expunged bound: older modseqs no longer covered");
	free(u);
	r = mailbox_expunged(&a, 1, &u, &n);
	CHECK(r == 1 && n == 1 && u[0] == u1,
		"expunged bound: the newest expunge kept");
	free(u);
	mailbox_close(&a);
}

static int rm_entry(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

int main(void)
{
	char cwd[512];
	int rc;

	/* A scratch folder in the build tree (the unit tests run in
	 * build/unit), removed at the end: nothing is left in /tmp. */
	if (!getcwd(cwd, sizeof cwd))
		return 1;
	snprintf(dir, sizeof dir, "%s/test_mailbox.%d", cwd, (int)getpid());
	mkdir(dir, 0700);
	log_open("test", 0);
	mailbox_wait_ms = 250;	/* the EWOULDBLOCK checks, quickly */
	test_sizes();
	test_mbox();
	test_mbox_bad();
	test_maildir();
	test_fuzz();
	test_shared(LOCAL_MBOX);
	test_shared(LOCAL_MAILDIR);
	test_shared_race(LOCAL_MBOX);
	test_shared_race(LOCAL_MAILDIR);
	test_append_line(LOCAL_MBOX);
	test_append_line(LOCAL_MAILDIR);
	test_shared_new();
	test_shared_kill();
	test_shared_reader();
	test_uidlist1(LOCAL_MBOX);
	test_uidlist1(LOCAL_MAILDIR);
	test_expunged(LOCAL_MBOX);
	test_expunged(LOCAL_MAILDIR);
	test_expunged_bound();
	rc = unit_done();
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
