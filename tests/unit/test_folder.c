/* Unit tests of the IMAP folder tree (folder.h): modified UTF-7 both ways
 * and its bad encodings, names, LIST patterns, both layouts (mbox under a
 * root, Maildir++) with CREATE, DELETE and RENAME with inferiors, the
 * INBOX cases, subscriptions, special use, hostile names and links. */
#include "libmini.h"
#include "folder.h"
#include "unit.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

/* link(2) as a file system without hard links has it, while link_fails
 * is set (the static link takes this one over the C library's): RENAME
 * INBOX of a Maildir then copies the messages instead of linking them. */
static int link_fails, link_failed;

int link(const char *from, const char *to)
{
	if (link_fails) {
		link_failed++;
		errno = EPERM;
		return -1;
	}
	return linkat(AT_FDCWD, from, AT_FDCWD, to, 0);
}

static const char *at(const char *name)
{
	static char p[4][1024];
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

static int exists(const char *name)
{
	struct stat st;

	return lstat(at(name), &st) == 0;
}

static int is_dir(const char *name)
{
	struct stat st;

	return lstat(at(name), &st) == 0 && S_ISDIR(st.st_mode);
}

static char *slurp(const char *name)
{
	char *p;
	size_t n;

	if (file_read_all(at(name), 1 << 20, &p, &n) < 0)
		return NULL;
	return p;
}

/* --- mUTF-7 --------------------------------------------------------------- */

static void test_mutf7(void)
{
	static const struct { const char *m, *u; } good[] = {
		{ "&AMk-", "\xc3\x89" },
		{ "&-", "&" },
		{ "a&-b&-", "a&b&" },
		{ "&AMkAyQ-", "\xc3\x89\xc3\x89" },
		{ "Entw&APw-rfe", "Entw\xc3\xbcrfe" },
		{ "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
		  "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
		  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "&2D3eAA-", "\xf0\x9f\x98\x80" },
		{ "&AMk-&-", "\xc3\x89&" },
		{ "", "" },
	};
	static const char *const bad[] = {
		"&",			/* unterminated */
		"&AMk",			/* unterminated run */
		"a&AMk-&AMk-",		/* two runs side by side: not minimal */
		"&AGE-",		/* 'a' in base64 */
		"&ACY-",		/* '&' in base64 */
		"&AMkA-",		/* a base64 character beyond the unit */
		"&AMl-",		/* spare bits not zero */
		"&2D0-",		/* a lone high surrogate */
		"&3gA-",		/* a lone low surrogate */
		"&AAA-",		/* U+0000 */
		"&Jjo!-",		/* not base64 */
		"&=-",
		"a\x01" "b",		/* raw control character */
		"\xc3\x89",		/* raw 8-bit */
		"a\tb",
	};
	static const char *const badutf8[] = {
		"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf8\x88\x80\x80\x80",
		"\xff",
	};
	char out[256], back[256], name[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof good / sizeof *good; i++) {
		snprintf(name, sizeof name, "mutf7 decode %zu", i);
		n = folder_mutf7_to_utf8(good[i].m, strlen(good[i].m), out,
			sizeof out);
		CHECK_STR(n >= 0 ? out : "(failed)", good[i].u, name);
		snprintf(name, sizeof name, "mutf7 encode %zu", i);
		n = folder_utf8_to_mutf7(good[i].u, strlen(good[i].u), back,
			sizeof back);
		CHECK_STR(n >= 0 ? back : "(failed)", good[i].m, name);
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(name, sizeof name, "mutf7 refuses %s", bad[i]);
		errno = 0;
		n = folder_mutf7_to_utf8(bad[i], strlen(bad[i]), out,
			sizeof out);
		CHECK(n == -1 && errno == EINVAL, name);
	}
	for (i = 0; i < sizeof badutf8 / sizeof *badutf8; i++) {
		snprintf(name, sizeof name, "utf8 to mutf7 refuses %zu", i);
		errno = 0;
		n = folder_utf8_to_mutf7(badutf8[i], strlen(badutf8[i]), out,
			sizeof out);
		CHECK(n == -1 && errno == EINVAL, name);
	}
	CHECK(folder_utf8_to_mutf7("a\0b", 3, out, sizeof out) == -1 &&
		errno == EINVAL, "utf8 to mutf7 refuses NUL");
	CHECK(folder_utf8_to_mutf7("\xc3\x89\xc3\x89", 4, out, 8) == -1 &&
		errno == ENAMETOOLONG, "utf8 to mutf7: small buffer");
	CHECK(folder_utf8_to_mutf7("\xc3\x89\xc3\x89", 4, out, 9) == 8,
		"utf8 to mutf7: exact buffer");
	CHECK(folder_mutf7_to_utf8("&AMk-", 5, out, 2) == -1 &&
		errno == ENAMETOOLONG, "mutf7 to utf8: small buffer");
	/* every code point of the BMP (surrogates and NUL aside) and some
	 * beyond survive the round trip */
	for (i = 1; i < 0x110000; i += (i < 0x10000 ? 1 : 977)) {
		char u[8];
		size_t k = 0;

		if (i >= 0xd800 && i <= 0xdfff)
			continue;
		if (i < 0x80) {
			u[k++] = (char)i;
		} else if (i < 0x800) {
			u[k++] = (char)(0xc0 | i >> 6);
			u[k++] = (char)(0x80 | (i & 0x3f));
		} else if (i < 0x10000) {
			u[k++] = (char)(0xe0 | i >> 12);
			u[k++] = (char)(0x80 | (i >> 6 & 0x3f));
			u[k++] = (char)(0x80 | (i & 0x3f));
		} else {
			u[k++] = (char)(0xf0 | i >> 18);
			u[k++] = (char)(0x80 | (i >> 12 & 0x3f));
			u[k++] = (char)(0x80 | (i >> 6 & 0x3f));
			u[k++] = (char)(0x80 | (i & 0x3f));
		}
		u[k++] = 'x';
		u[k] = 0;
		if (folder_utf8_to_mutf7(u, k, out, sizeof out) < 0 ||
		    folder_mutf7_to_utf8(out, strlen(out), back,
		    sizeof back) < 0 || strcmp(back, u) != 0)
			break;
	}
	CHECK(i >= 0x110000, "mutf7 round trip of every code point");
}

/* --- names and patterns --------------------------------------------------- */

static void test_names(void)
{
	static const struct { const char *in; int trailing; const char *out; }
	good[] = {
		{ "inbox", 0, "INBOX" },
		{ "InBoX/Sub", 0, "INBOX/Sub" },
		{ "INBOXES", 0, "INBOXES" },
		{ "a/inbox", 0, "a/inbox" },
		{ "Lists/linux", 0, "Lists/linux" },
		{ "a/", 1, "a" },
		{ "Entw&APw-rfe", 0, "Entw&APw-rfe" },
		{ "a.b c~", 0, "a.b c~" },
	};
	static const char *const bad[] = {
		"", "../x", "..", ".", "a//b", "/a", "a/", "/", ".hidden",
		"a/.b", "a/..", "*", "a%b", "a*", "a\x01" "b", "a\x7f",
		"a\nb", "\xc3\x89", "&AGE-", "&", "x.lock", "a/b.lock",
	};
	struct folder_store fs;
	char out[FOLDER_NAME_MAX + 1], big[2100], name[80];
	size_t i;

	folder_init(&fs, LOCAL_MBOX, "/nonexistent/inbox", "/nonexistent");
	for (i = 0; i < sizeof good / sizeof *good; i++) {
		snprintf(name, sizeof name, "name %s", good[i].in);
		CHECK_STR(folder_canon(&fs, good[i].in, good[i].trailing, out,
			sizeof out) == 0 ? out : fs.err, good[i].out, name);
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(name, sizeof name, "bad name %zu", i);
		errno = 0;
		CHECK(folder_canon(&fs, bad[i], 0, out, sizeof out) == -1 &&
			errno == EINVAL && fs.err[0], name);
	}
	memset(big, 'a', 2000);
	big[2000] = 0;
	CHECK(folder_canon(&fs, big, 0, out, sizeof out) == -1 &&
		errno == EINVAL, "a 2000-byte name");
	big[FOLDER_COMPONENT_MAX + 1] = 0;
	CHECK(folder_canon(&fs, big, 0, out, sizeof out) == -1 &&
		errno == EINVAL, "a 256-byte level");
	big[FOLDER_COMPONENT_MAX] = 0;
	CHECK(folder_canon(&fs, big, 0, out, sizeof out) == 0,
		"a 255-byte level");
	for (i = 0; i < 33; i++) {
		big[2 * i] = 'a';
		big[2 * i + 1] = '/';
	}
	big[2 * 31 + 1] = 0;
	CHECK(folder_canon(&fs, big, 0, out, sizeof out) == 0, "32 levels");
	big[2 * 31 + 1] = '/';
	big[2 * 33 + 1] = 0;
	CHECK(folder_canon(&fs, big, 0, out, sizeof out) == -1 &&
		errno == EINVAL, "33 levels");
	folder_init(&fs, LOCAL_MAILDIR, "/nonexistent/Maildir", NULL);
	CHECK(folder_canon(&fs, "x.lock", 0, out, sizeof out) == 0,
		"Maildir: x.lock is a name");
}

static void test_match(void)
{
	static const struct { const char *pat, *name; int m; } v[] = {
		{ "*", "a", 1 }, { "*", "a/b/c", 1 }, { "%", "a", 1 },
		{ "%", "a/b", 0 }, { "%/%", "a/b", 1 }, { "a/%", "a/b", 1 },
		{ "a/%", "a/b/c", 0 }, { "a/*", "a/b/c", 1 }, { "a*", "a", 1 },
		{ "a*", "ab/c", 1 }, { "a%", "ab", 1 }, { "a%", "ab/c", 0 },
		{ "*c", "a/b/c", 1 }, { "%c", "a/b/c", 0 }, { "a", "A", 0 },
		{ "inbox", "INBOX", 1 }, { "InBox/%", "INBOX/x", 1 },
		{ "inbox/X", "INBOX/x", 0 }, { "inb*", "INBOX", 1 },
		{ "inbox", "INBOXES", 0 }, { "inboxes", "INBOXES", 0 },
		{ "*%*%", "ab", 1 }, { "%*", "a/b", 1 }, { "a%%b", "ab", 1 },
		{ "", "a", 0 }, { "a", "", 0 }, { "%", "", 1 },
		{ "Lists/*", "Lists", 0 }, { "Lists*", "Lists", 1 },
	};
	char name[80], pat[2000], big[1001];
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		snprintf(name, sizeof name, "match %s %s", v[i].pat, v[i].name);
		CHECK(folder_match(v[i].pat, v[i].name) == v[i].m, name);
	}
	/* a hostile pattern costs pattern x name steps, no more */
	for (i = 0; i + 1 < sizeof pat; i += 2) {
		pat[i] = '*';
		pat[i + 1] = 'a';
	}
	pat[sizeof pat - 1] = 0;
	memset(big, 'a', 1000);
	big[1000] = 0;
	CHECK(folder_match(pat, big) == 1, "match: *a*a*a... against 1000 a");
	big[500] = 0;
	CHECK(folder_match(pat, big) == 0, "match: *a*a*a... against 500 a");
}

/* --- listing helper ------------------------------------------------------- */

static int collect(void *arg, const char *name, unsigned a)
{
	struct buf *b = arg;
	static const char codes[] = "NICcSXs";
	char s[32];
	size_t k = 0, i;

	for (i = 0; codes[i]; i++)
		if (a & 1u << i)
			s[k++] = codes[i];
	for (i = 0; i < 5; i++)
		if (a & FOLDER_DRAFTS << i)
			s[k++] = (char)('1' + i);
	s[k] = 0;
	buf_printf(b, "%s%s[%s]", b->len ? " " : "", name, s);
	return 0;
}

static const char *list(struct folder_store *fs, const char *ref,
	const char *pat, unsigned flags)
{
	static char out[4096];
	struct buf b = BUF_INIT(4000);

	if (folder_list(fs, ref, pat, flags, collect, &b) < 0)
		snprintf(out, sizeof out, "(failed: %s)", fs->err);
	else
		str_lcpy(out, buf_str(&b), sizeof out);
	buf_free(&b);
	return out;
}

/* The messages of the mailbox at PATH: their count, and the bodies in
 * order into OUT. */
static int messages(const char *path, int kind, char *out, size_t max)
{
	struct mailbox mb;
	struct mailbox_reader *r = malloc(sizeof *r);
	char err[MAILBOX_ERR_MAX];
	size_t i, n = 0;
	ssize_t k;
	int count;

	out[0] = 0;
	if (mailbox_open(&mb, path, kind, MAILBOX_RDONLY, err,
			sizeof err) < 0) {
		free(r);
		snprintf(out, max, "(%s)", err);
		return -1;
	}
	for (i = 0; i < mb.n; i++) {
		if (mailbox_msg_open(&mb, i, r) < 0)
			continue;
		while (n + 1 < max && (k = mailbox_msg_read(r, out + n,
				max - n - 1)) > 0)
			n += (size_t)k;
		out[n] = 0;
		mailbox_msg_close(r);
	}
	count = (int)mb.n;
	mailbox_close(&mb);
	free(r);
	return count;
}

/* --- mbox ----------------------------------------------------------------- */

static void test_mbox(void)
{
	struct folder_store fs;
	char path[4096], got[4096], *s;
	int kind;
	static const char *const special[5] = { "Drafts", "Sent", "Trash",
		"Junk", "Archive" };

	mkdir(at("var"), 0700);
	put("var/u", "From a@b Tue Dec  8 02:44:01 2026\nSubject: one\n"
		"Status: RO\n\nbody 1\n\n"
		"From c@d Tue Dec  8 02:45:01 2026\nSubject: two\n\n"
		">From here\n\n");
	CHECK(folder_init(&fs, LOCAL_MBOX, at("var/u"), at("mail/")) == 0,
		"mbox: init");
	CHECK_STR(fs.root, at("mail"), "mbox: root without trailing /");
	CHECK_STR(list(&fs, "", "*", 0), "INBOX[c]", "mbox: no root yet");
	CHECK(folder_create(&fs, "Sent") == 0 && is_dir("mail") &&
		exists("mail/Sent") && !is_dir("mail/Sent"),
		"mbox: create Sent makes the root and a file");
	CHECK(folder_create(&fs, "Sent") == -1 && errno == EEXIST,
		"mbox: create again is EEXIST");
	CHECK(folder_create(&fs, "inbox") == -1 && errno == EEXIST,
		"mbox: create INBOX is EEXIST");
	CHECK(folder_create(&fs, "Lists/linux") == 0 &&
		is_dir("mail/Lists") && exists("mail/Lists/linux"),
		"mbox: create with a level above");
	CHECK(folder_create(&fs, "Sent/x") == -1 && errno == ENOTDIR,
		"mbox: no folder below a file (\\NoInferiors)");
	CHECK(folder_create(&fs, "Box/") == 0 && is_dir("mail/Box"),
		"mbox: a trailing / makes a level for folders");
	CHECK(folder_create(&fs, "INBOX/kid") == 0 &&
		exists("mail/INBOX/kid"), "mbox: INBOX's inferior");
	/* state files and links are no folders */
	put("mail/.Sent.uidlist", "x");
	put("mail/Sent.lock", "1");
	put("mail/inbox", "");
	mkdir(at("mail/.imap"), 0700);
	put("mail/.imap/x", "");
	symlink("/etc", at("mail/evil"));
	symlink("/etc/passwd", at("mail/evilfile"));
	symlink(".", at("mail/Box/loop"));
	put("mail/bad\x01name", "");
	CHECK_STR(list(&fs, "", "*", 0), "INBOX[C] INBOX/kid[I] Box[Nc] "
		"Lists[NC] Lists/linux[I] Sent[I]", "mbox: LIST * ");
	CHECK_STR(list(&fs, "", "%", 0), "INBOX[C] Box[Nc] Lists[NC] Sent[I]",
		"mbox: LIST %");
	CHECK_STR(list(&fs, "Lists/", "%", 0), "Lists/linux[I]",
		"mbox: LIST with a reference");
	CHECK_STR(list(&fs, "", "inbox", 0), "INBOX[C]",
		"mbox: LIST inbox in any case");
	CHECK_STR(list(&fs, "", "Lists", 0), "Lists[NC]",
		"mbox: LIST one name");
	CHECK_STR(list(&fs, "", "", 0), "", "mbox: LIST \"\"");
	CHECK_STR(list(&fs, "Lists", "/linux", 0), "",
		"mbox: a pattern starting with / ignores the reference");
	CHECK(folder_path(&fs, "Lists/linux", path, sizeof path, &kind) == 0 &&
		strcmp(path, at("mail/Lists/linux")) == 0 &&
		kind == LOCAL_MBOX, "mbox: path of a folder");
	CHECK(folder_path(&fs, "INBOX", path, sizeof path, NULL) == 0 &&
		strcmp(path, at("var/u")) == 0, "mbox: path of INBOX");
	CHECK(folder_path(&fs, "Lists", path, sizeof path, NULL) == -1 &&
		errno == EISDIR, "mbox: a level of folders is not selectable");
	CHECK(folder_path(&fs, "Nope", path, sizeof path, NULL) == -1 &&
		errno == ENOENT, "mbox: no such folder");
	CHECK(folder_path(&fs, "Sent/x", path, sizeof path, NULL) == -1 &&
		errno == ENOENT, "mbox: no such folder below a file");
	CHECK(folder_path(&fs, "evil/passwd", path, sizeof path, NULL) == -1 &&
		errno == ELOOP, "mbox: no path through a link");
	CHECK(folder_path(&fs, "evilfile", path, sizeof path, NULL) == -1 &&
		errno == ELOOP, "mbox: a linked file is no folder");
	CHECK(folder_create(&fs, "evil/x") == -1 && errno == ELOOP &&
		!exists("mail/evil/x"), "mbox: no create through a link");
	CHECK(folder_create(&fs, "../x") == -1 && errno == EINVAL &&
		!exists("x"), "mbox: ../x refused");
	CHECK(folder_create(&fs, "a//b") == -1 && errno == EINVAL,
		"mbox: a//b refused");
	CHECK(folder_create(&fs, "Sent.lock") == -1 && errno == EINVAL,
		"mbox: a name of a lock file refused");

	/* DELETE */
	CHECK(folder_delete(&fs, "INBOX") == -1 && errno == EPERM,
		"mbox: INBOX cannot be deleted");
	CHECK(folder_delete(&fs, "Lists") == -1 && errno == ENOTEMPTY,
		"mbox: a \\Noselect level with inferiors is not deleted");
	CHECK(folder_delete(&fs, "Nope") == -1 && errno == ENOENT,
		"mbox: delete what is not there");
	CHECK(folder_delete(&fs, "Sent") == 0 && !exists("mail/Sent") &&
		!exists("mail/.Sent.uidlist"),
		"mbox: delete a folder and its uidlist");
	CHECK(folder_delete(&fs, "Lists/linux") == 0 &&
		folder_delete(&fs, "Lists") == 0 && !exists("mail/Lists"),
		"mbox: delete the inferior, then the empty level");

	/* RENAME */
	folder_create(&fs, "Sent");
	put("mail/.Sent.uidlist", "postbox-uidlist 1 V7 N1\n");
	CHECK(folder_rename(&fs, "Sent", "Old/2024/Sent") == 0 &&
		exists("mail/Old/2024/Sent") && !exists("mail/Sent") &&
		exists("mail/Old/2024/.Sent.uidlist"),
		"mbox: rename with new levels and the uidlist");
	CHECK(folder_rename(&fs, "Old", "Older") == 0 &&
		exists("mail/Older/2024/Sent"),
		"mbox: rename moves the inferiors");
	CHECK(folder_rename(&fs, "Older", "Older/x") == -1 && errno == EINVAL,
		"mbox: no rename below itself");
	folder_create(&fs, "Box2");
	CHECK(folder_rename(&fs, "Box2", "Box") == -1 && errno == EEXIST,
		"mbox: rename onto an existing folder");
	CHECK(folder_rename(&fs, "Gone", "New") == -1 && errno == ENOENT,
		"mbox: rename what is not there");
	CHECK(folder_rename(&fs, "Box2", "inbox") == -1 && errno == EEXIST,
		"mbox: rename onto INBOX");

	/* subscriptions, LSUB */
	CHECK(folder_subscribe(&fs, "Older/2024/Sent", 1) == 0 &&
		folder_subscribe(&fs, "Gone/child", 1) == 0 &&
		folder_subscribe(&fs, "inbox", 1) == 0 &&
		folder_subscribe(&fs, "INBOX", 1) == 0,
		"mbox: subscribe");
	CHECK(folder_subscribe(&fs, "a//b", 1) == -1 && errno == EINVAL,
		"mbox: subscribe a bad name");
	s = slurp("mail/.subscriptions");
	CHECK_STR(s, "Older/2024/Sent\nGone/child\nINBOX\n",
		"mbox: the subscriptions file");
	free(s);
	CHECK_STR(list(&fs, "", "*", FOLDER_LIST_LSUB),
		"INBOX[CS] Gone/child[NSX] Older/2024/Sent[IS]",
		"mbox: LSUB *");
	CHECK_STR(list(&fs, "", "%", FOLDER_LIST_LSUB),
		"INBOX[CS] Gone[NXs] Older[NCs]", "mbox: LSUB % gives levels");
	CHECK_STR(list(&fs, "", "%", FOLDER_LIST_SUBSCRIBED), "INBOX[CS]",
		"mbox: LIST (SUBSCRIBED) %");
	CHECK_STR(list(&fs, "", "%", FOLDER_LIST_SUBSCRIBED |
		FOLDER_LIST_RECURSIVE), "INBOX[CS] Gone[NXs] Older[NCs]",
		"mbox: LIST (SUBSCRIBED RECURSIVEMATCH) %");
	CHECK(folder_rename(&fs, "Older", "Archive") == 0, "mbox: rename "
		"a subscribed tree");
	s = slurp("mail/.subscriptions");
	CHECK_STR(s, "Archive/2024/Sent\nGone/child\nINBOX\n",
		"mbox: subscriptions follow a rename");
	free(s);
	CHECK(folder_subscribe(&fs, "gone/child", 0) == 0 &&
		folder_subscribe(&fs, "Gone/child", 0) == 0 &&
		folder_subscribe(&fs, "Gone/child", 0) == 0,
		"mbox: unsubscribe");
	s = slurp("mail/.subscriptions");
	CHECK_STR(s, "Archive/2024/Sent\nINBOX\n", "mbox: unsubscribed");
	free(s);
	/* a hand-edited list: bad lines are no subscriptions */
	put("mail/.subscriptions", "V\t2\n\nArchive\t2024\n../x\n"
		"a//b\n\x01\n.x\n\n&AGE-\nINBOX\r\n");
	CHECK_STR(list(&fs, "", "*", FOLDER_LIST_LSUB), "INBOX[CS] "
		"Archive/2024[NCS]",
		"mbox: a Dovecot list, bad lines left out");
	put("mail/.subscriptions", "Archive/2024/Sent\nINBOX\n");

	/* special use */
	CHECK(folder_special(&fs, special) == 0 && exists("mail/Drafts") &&
		exists("mail/Trash") && exists("mail/Sent") &&
		is_dir("mail/Archive"), "mbox: special-use folders made");
	CHECK_STR(list(&fs, "", "%", 0), "INBOX[CS] Archive[NCs5] Box[Nc] "
		"Box2[I] Drafts[IS1] Junk[IS4] Sent[IS2] Trash[IS3]",
		"mbox: special-use attributes");

	/* RENAME INBOX while a POP3 session holds it: nothing changes */
	{
		struct mailbox mb;
		char err[MAILBOX_ERR_MAX];

		CHECK(mailbox_open(&mb, at("var/u"), LOCAL_MBOX, 0, err,
			sizeof err) == 0, "mbox: a session on INBOX");
		CHECK(folder_rename(&fs, "INBOX", "Busy") == -1 &&
			errno == EWOULDBLOCK && !exists("mail/Busy") &&
			strstr(fs.err, "INBOX"),
			"mbox: rename INBOX in use is EWOULDBLOCK");
		mailbox_close(&mb);
	}
	/* RENAME INBOX: the messages move, INBOX stays, empty */
	CHECK(folder_rename(&fs, "INBOX", "Saved") == 0, "mbox: rename INBOX");
	CHECK(messages(at("mail/Saved"), LOCAL_MBOX, got, sizeof got) == 2 &&
		strcmp(got, "Subject: one\nStatus: RO\n\nbody 1\n"
		"Subject: two\n\nFrom here\n") == 0,
		"mbox: INBOX's messages in the new folder, quoting kept");
	s = slurp("mail/Saved");
	CHECK(s && strncmp(s, "From a@b Tue Dec  8 02:44:01 2026\n", 34) == 0,
		"mbox: the From_ line kept");
	CHECK(s && strstr(s, "\n>From here\n") &&
		strstr(s, "\nFrom c@d Tue Dec  8 02:45:01 2026\n"),
		"mbox: quoted as it was");
	free(s);
	CHECK(messages(at("var/u"), LOCAL_MBOX, got, sizeof got) == 0,
		"mbox: INBOX left empty");
	CHECK(exists("mail/INBOX/kid"), "mbox: INBOX's inferiors stay");
	CHECK(folder_rename(&fs, "INBOX", "Saved") == -1 && errno == EEXIST,
		"mbox: rename INBOX onto an existing folder");
}

/* The files in DIR whose names end in SUFFIX. */
static int count_suffix(const char *d, const char *suffix)
{
	struct dirent *de;
	DIR *dp = opendir(d);
	int n = 0;

	if (!dp)
		return -1;
	while ((de = readdir(dp)))
		if (de->d_name[0] != '.' && str_ends(de->d_name, suffix))
			n++;
	closedir(dp);
	return n;
}

/* --- Maildir -------------------------------------------------------------- */

static void test_maildir(void)
{
	struct folder_store fs;
	char path[4096], got[4096], *s = NULL;
	struct maildir_deliver d;
	char name[256], a[1200], b[1200];
	int kind;

	maildir_make(at("Maildir"));
	CHECK(folder_init(&fs, LOCAL_MAILDIR, at("Maildir"), NULL) == 0,
		"Maildir: init");
	CHECK(folder_create(&fs, "Lists/linux") == 0 &&
		is_dir("Maildir/.Lists/cur") &&
		is_dir("Maildir/.Lists.linux/new") &&
		exists("Maildir/.Lists.linux/maildirfolder"),
		"Maildir: create makes Maildirs, the level above too");
	CHECK(folder_create(&fs, "a.b/c") == 0 && is_dir("Maildir/.a%2Eb.c") &&
		is_dir("Maildir/.a%2Eb"), "Maildir: a '.' in a name");
	CHECK(folder_create(&fs, "INBOX/kid") == 0 &&
		is_dir("Maildir/.INBOX.kid"), "Maildir: INBOX's inferior");
	CHECK(folder_create(&fs, "Sent/") == 0 && is_dir("Maildir/.Sent/cur"),
		"Maildir: a trailing / makes a Maildir too");
	/* no folders: state files, ".." names, hand-made ".INBOX" */
	put("Maildir/dovecot-uidlist", "");
	put("Maildir/postbox-uidlist", "");
	mkdir(at("Maildir/..deleted.1"), 0700);
	mkdir(at("Maildir/.INBOX"), 0700);
	mkdir(at("Maildir/.inbox.x"), 0700);
	mkdir(at("Maildir/.x.y"), 0700);
	mkdir(at("Maildir/.bad%2"), 0700);
	mkdir(at("Maildir/.bad..two"), 0700);
	put("Maildir/.file", "");
	symlink("/etc", at("Maildir/.evil"));
	CHECK_STR(list(&fs, "", "*", 0), "INBOX[C] INBOX/kid[c] Lists[C] "
		"Lists/linux[c] Sent[c] a.b[C] a.b/c[c] x[NCX] x/y[c]",
		"Maildir: LIST *");
	CHECK_STR(list(&fs, "", "%", 0), "INBOX[C] Lists[C] Sent[c] a.b[C] "
		"x[NCX]", "Maildir: LIST %");
	CHECK(folder_path(&fs, "a.b/c", path, sizeof path, &kind) == 0 &&
		strcmp(path, at("Maildir/.a%2Eb.c")) == 0 &&
		kind == LOCAL_MAILDIR, "Maildir: path of a folder");
	CHECK(folder_path(&fs, "evil", path, sizeof path, NULL) == -1 &&
		errno == ELOOP, "Maildir: a linked folder is refused");
	CHECK(folder_path(&fs, "inbox", path, sizeof path, NULL) == 0 &&
		strcmp(path, at("Maildir")) == 0, "Maildir: path of INBOX");

	/* DELETE with inferiors: the folder goes, they stay */
	put("Maildir/.Lists/cur/1:2,S", "Subject: x\n\nx\n");
	CHECK(folder_delete(&fs, "Lists") == 0 && !exists("Maildir/.Lists") &&
		is_dir("Maildir/.Lists.linux"),
		"Maildir: delete with inferiors keeps them");
	CHECK_STR(list(&fs, "", "Lists*", 0), "Lists[NCX] Lists/linux[c]",
		"Maildir: the deleted folder is \\Noselect now");
	CHECK(folder_delete(&fs, "Lists") == -1 && errno == ENOTEMPTY,
		"Maildir: delete a \\Noselect level with inferiors");
	CHECK(folder_delete(&fs, "INBOX") == -1 && errno == EPERM,
		"Maildir: INBOX cannot be deleted");
	CHECK(folder_delete(&fs, "none") == -1 && errno == ENOENT,
		"Maildir: delete what is not there");

	/* RENAME with inferiors */
	CHECK(folder_rename(&fs, "a.b", "z/q") == 0 && is_dir("Maildir/.z.q") &&
		is_dir("Maildir/.z.q.c") && is_dir("Maildir/.z") &&
		!exists("Maildir/.a%2Eb.c"), "Maildir: rename with inferiors");
	CHECK(folder_rename(&fs, "Lists", "L") == 0 &&
		is_dir("Maildir/.L.linux"),
		"Maildir: rename a level that is only inferiors");
	folder_create(&fs, "y");
	mkdir(at("Maildir/.y2.y"), 0700);
	CHECK(folder_rename(&fs, "x", "y2") == -1 && errno == EEXIST &&
		is_dir("Maildir/.x.y"),
		"Maildir: rename onto an existing inferior changes nothing");

	/* RENAME INBOX: flags kept */
	unlink(at("Maildir/postbox-uidlist"));
	maildir_deliver_open(&d, at("Maildir"));
	maildir_deliver_write(&d, "Subject: one\n\n1\n", 16);
	maildir_deliver_commit(&d, name, sizeof name);
	snprintf(a, sizeof a, "Maildir/new/%s", name);
	snprintf(b, sizeof b, "Maildir/cur/%s:2,FS", name);
	rename(at(a), at(b));
	maildir_deliver_open(&d, at("Maildir"));
	maildir_deliver_write(&d, "Subject: two\n\n2\n", 16);
	maildir_deliver_commit(&d, name, sizeof name);
	CHECK(folder_rename(&fs, "inbox", "Saved") == 0,
		"Maildir: rename INBOX");
	CHECK(messages(at("Maildir/.Saved"), LOCAL_MAILDIR, got,
		sizeof got) == 2 && strstr(got, "Subject: one\n\n1\n") &&
		strstr(got, "Subject: two\n\n2\n"),
		"Maildir: INBOX's messages in the new folder");
	CHECK(count_suffix(at("Maildir/.Saved/cur"), ":2,FS") == 1 &&
		count_suffix(at("Maildir/.Saved/new"), "") == 1,
		"Maildir: flags kept");
	CHECK(messages(at("Maildir"), LOCAL_MAILDIR, got, sizeof got) == 0,
		"Maildir: INBOX left empty");
	CHECK(is_dir("Maildir/.INBOX.kid"), "Maildir: INBOX's inferiors stay");
	maildir_deliver_open(&d, at("Maildir"));
	maildir_deliver_write(&d, "Subject: 3\n\n3\n", 14);
	maildir_deliver_commit(&d, name, sizeof name);
	CHECK(folder_rename(&fs, "INBOX", "inbox/old") == 0 &&
		messages(at("Maildir/.INBOX.old"), LOCAL_MAILDIR, got,
		sizeof got) == 1 && strcmp(got, "Subject: 3\n\n3\n") == 0 &&
		messages(at("Maildir"), LOCAL_MAILDIR, got, sizeof got) == 0,
		"Maildir: rename INBOX to an inferior of its own");
	/* again where files cannot be linked: copied, flags kept */
	maildir_deliver_open(&d, at("Maildir"));
	maildir_deliver_write(&d, "Subject: 4\n\n4\n", 14);
	maildir_deliver_commit(&d, name, sizeof name);
	snprintf(a, sizeof a, "Maildir/new/%s", name);
	snprintf(b, sizeof b, "Maildir/cur/%s:2,RS", name);
	rename(at(a), at(b));
	maildir_deliver_open(&d, at("Maildir"));
	maildir_deliver_write(&d, "Subject: 5\n\n5\n", 14);
	maildir_deliver_commit(&d, name, sizeof name);
	link_fails = 1;
	CHECK(folder_rename(&fs, "INBOX", "Copied") == 0 &&
		messages(at("Maildir/.Copied"), LOCAL_MAILDIR, got,
		sizeof got) == 2 && strstr(got, "Subject: 4\n\n4\n") &&
		strstr(got, "Subject: 5\n\n5\n") &&
		count_suffix(at("Maildir/.Copied/cur"), ":2,RS") == 1 &&
		count_suffix(at("Maildir/.Copied/new"), "") == 1 &&
		messages(at("Maildir"), LOCAL_MAILDIR, got, sizeof got) == 0,
		"Maildir: rename INBOX without hard links copies");
	CHECK(link_failed >= 4, "Maildir: links were refused");
	link_fails = 0;

	CHECK(!exists("Maildir/subscriptions"),
		"Maildir: no subscriptions file made by a rename");
	CHECK(folder_subscribe(&fs, "L/linux", 1) == 0 &&
		(s = slurp("Maildir/subscriptions")) &&
		strcmp(s, "L/linux\n") == 0, "Maildir: subscriptions file");
	free(s);
	CHECK_STR(list(&fs, "", "L/*", FOLDER_LIST_LSUB), "L/linux[cS]",
		"Maildir: LSUB");
}

static int counter(void *arg, const char *name, unsigned a)
{
	++*(int *)arg;
	return 0;
}

/* RFC 3501's examples of DELETE (6.3.4) and RENAME (6.3.5), on a
 * Maildir (on mbox "foo" would be a file, which holds no folders). */
static void test_rfc(void)
{
	struct folder_store fs;

	maildir_make(at("Rfc"));
	folder_init(&fs, LOCAL_MAILDIR, at("Rfc"), NULL);
	CHECK(folder_create(&fs, "blurdybloop") == 0 &&
		folder_create(&fs, "foo") == 0 &&
		folder_create(&fs, "foo/bar") == 0 &&
		folder_delete(&fs, "blurdybloop") == 0 &&
		folder_delete(&fs, "foo") == 0, "RFC 3501 6.3.4: DELETEs");
	CHECK_STR(list(&fs, "", "foo", 0), "foo[NCX]",
		"RFC 3501 6.3.4: foo is \\Noselect");
	CHECK(folder_delete(&fs, "foo") == -1 && errno == ENOTEMPTY,
		"RFC 3501 6.3.4: DELETE foo again fails");
	CHECK(folder_delete(&fs, "foo/bar") == 0 &&
		!exists("Rfc/.foo.bar"), "RFC 3501 6.3.4: DELETE foo/bar");
	CHECK(folder_create(&fs, "foo/bar/zap") == 0 &&
		folder_rename(&fs, "foo", "zowie") == 0,
		"RFC 3501 6.3.5: RENAME foo zowie");
	CHECK_STR(list(&fs, "", "*", 0), "INBOX[c] zowie[C] zowie/bar[C] "
		"zowie/bar/zap[c]", "RFC 3501 6.3.5: the inferiors moved");
}

/* Many folders: a listing gives FOLDER_LIST_MAX and says so. */
static void test_bounds(void)
{
	struct folder_store fs;
	char d[64];
	int i, n = 0;

	maildir_make(at("Many"));
	for (i = 0; i < FOLDER_LIST_MAX + 5; i++) {
		snprintf(d, sizeof d, "Many/.f%05d", i);
		mkdir(at(d), 0700);
	}
	folder_init(&fs, LOCAL_MAILDIR, at("Many"), NULL);
	CHECK(folder_list(&fs, "", "*", 0, counter, &n) == FOLDER_LIST_MAX &&
		n == FOLDER_LIST_MAX && strstr(fs.err, "left out"),
		"a listing is bounded and says so");
	n = 0;
	CHECK(folder_list(&fs, "", "f0000%", 0, counter, &n) == 10 &&
		n == 10 && fs.err[0], "a bounded listing still matches");
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_folder.%ld", (long)getpid());
	mkdir(dir, 0700);
	test_mutf7();
	test_names();
	test_match();
	test_mbox();
	test_maildir();
	test_rfc();
	test_bounds();
	unit_rmdir(dir);
	return unit_done();
}
