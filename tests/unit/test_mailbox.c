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
	CHECK(s && strncmp(s, "postbox-uidlist 1 V", 19) == 0, "uidlist");
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
	CHECK(s && strncmp(s, "postbox-uidlist 1 V", 19) == 0, "uidlist");
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
	test_sizes();
	test_mbox();
	test_mbox_bad();
	test_maildir();
	test_fuzz();
	rc = unit_done();
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
