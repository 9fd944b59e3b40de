/* Unit tests of mbox, maildir, vusers and local_mailbox: table-driven
 * vectors, refusals first. */
#include "libmini.h"
#include "unit.h"
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

/* Appends MSG (in chunks of CHUNK bytes) with a fixed From line. */
static int append(const char *name, const char *msg, size_t chunk)
{
	struct mbox_append m;
	size_t n = strlen(msg), k;

	if (mbox_append_open(&m, at(name), getuid(),
	    MBOX_CREATE | MBOX_OWNER) < 0)
		return -1;
	if (mbox_append_from(&m, "a@b", 0) < 0)
		return -1;
	for (; n; n -= k, msg += k) {
		k = n < chunk ? n : chunk;
		if (mbox_append_write(&m, msg, k) < 0)
			return -1;
	}
	return mbox_append_commit(&m);
}

static void test_from_line(void)
{
	char line[128];

	setenv("TZ", "UTC", 1);
	CHECK(mbox_from_line(line, sizeof line, "a@b", 1700000000) > 0,
		"from line formats");
	CHECK_STR(line, "From a@b Tue Nov 14 22:13:20 2023\n",
		"from line: ctime form, local time");
	mbox_from_line(line, sizeof line, "", 0);
	CHECK_STR(line, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n",
		"from line: <> is MAILER-DAEMON, day padded");
	mbox_from_line(line, sizeof line, "a b\tc", 0);
	CHECK_STR(line, "From a_b_c Thu Jan  1 00:00:00 1970\n",
		"from line: blanks in the sender become _");
	CHECK(mbox_from_line(line, 20, "a@b", 0) == -1,
		"from line: too small a buffer is -1");
}

static void test_quoting(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "x\n", "x\n" },
		{ "From me\n", ">From me\n" },
		{ ">From me\n", ">>From me\n" },
		{ ">>>From me\n", ">>>>From me\n" },
		{ "From\n", "From\n" },
		{ "Fro\n", "Fro\n" },
		{ ">Frm\n", ">Frm\n" },
		{ " From x\n", " From x\n" },
		{ "a\nFrom b\nc From d\n", "a\n>From b\nc From d\n" },
		{ ">\n>>\n", ">\n>>\n" },
		{ "no newline", "no newline\n" },
		{ "From", "From\n" },
		{ ">>Fr", ">>Fr\n" },
		{ "", "" },
	};
	char want[256], name[32], label[64], *got;
	size_t i, chunk;

	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		for (chunk = 1; chunk <= 64; chunk *= 8) {
			snprintf(name, sizeof name, "q%zu.%zu", i, chunk);
			CHECK(append(name, v[i].in, chunk) == 0,
				"quote: append");
			snprintf(want, sizeof want,
				"From a@b Thu Jan  1 00:00:00 1970\n%s\n",
				v[i].out);
			got = slurp(name);
			snprintf(label, sizeof label, "quote vector %zu, "
				"chunks of %zu", i, chunk);
			CHECK_STR(got, want, label);
			free(got);
		}
}

static void test_append(void)
{
	struct mbox_append m;
	char *got;
	struct stat st;

	put("box", "From x Thu Jan  1 00:00:00 1970\nold");
	CHECK(append("box", "new\n", 4096) == 0, "append after a file "
		"missing its newline");
	got = slurp("box");
	CHECK_STR(got, "From x Thu Jan  1 00:00:00 1970\nold\n\n"
		"From a@b Thu Jan  1 00:00:00 1970\nnew\n\n",
		"a blank line is put before the From line");
	free(got);

	/* abort: byte-identical */
	put("box2", "From x Thu Jan  1 00:00:00 1970\nkeep\n\n");
	CHECK(mbox_append_open(&m, at("box2"), getuid(), MBOX_OWNER) == 0,
		"open existing");
	mbox_append_from(&m, "a@b", 0);
	mbox_append_write(&m, "half of a message", 17);
	/* bigger than the buffer, so bytes reach the file */
	{
		static char big[20000];

		memset(big, 'x', sizeof big);
		mbox_append_write(&m, big, sizeof big);
	}
	mbox_append_abort(&m);
	got = slurp("box2");
	CHECK_STR(got, "From x Thu Jan  1 00:00:00 1970\nkeep\n\n",
		"abort truncates back to the old size");
	free(got);

	/* refusals */
	unlink(at("link"));
	CHECK(symlink(at("box2"), at("link")) == 0, "symlink made");
	CHECK(mbox_append_open(&m, at("link"), getuid(), MBOX_CREATE) < 0 &&
		errno == ELOOP, "a symbolic link is refused (ELOOP)");
	unlink(at("hard"));
	CHECK(link(at("box2"), at("hard")) == 0, "hard link made");
	CHECK(mbox_append_open(&m, at("hard"), getuid(), 0) < 0 &&
		errno == EMLINK, "a hard-linked mailbox is refused (EMLINK)");
	unlink(at("hard"));
	CHECK(mbox_append_open(&m, at("box2"), getuid() + 1, MBOX_OWNER) < 0 &&
		errno == EPERM, "a foreign owner is refused (EPERM)");
	CHECK(mbox_append_open(&m, at("none"), getuid(), 0) < 0 &&
		errno == ENOENT, "no MBOX_CREATE: ENOENT");
	CHECK(mbox_append_open(&m, dir, getuid(), 0) < 0,
		"a folder is refused");
	/* created 0600, no lock left */
	CHECK(append("fresh", "x\n", 10) == 0 && stat(at("fresh"), &st) == 0 &&
		(st.st_mode & 0777) == 0600, "created mode 0600");
	CHECK(access(at("fresh.lock"), F_OK) < 0, "dotlock removed");
}

static void test_maildir(void)
{
	static const struct { long sec, usec, pid; unsigned q; const char *host,
		*want; } v[] = {
		{ 1, 2, 3, 4, "h", "1.M2P3Q4.h" },
		{ 1700000000, 999999, 12345, 1, "a/b:c",
			"1700000000.M999999P12345Q1.a\\057b\\072c" },
	};
	struct maildir_deliver d;
	struct timeval tv;
	char name[256], path[600], *got;
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		tv.tv_sec = v[i].sec;
		tv.tv_usec = v[i].usec;
		maildir_unique(name, sizeof name, &tv, v[i].pid, v[i].q,
			v[i].host);
		CHECK_STR(name, v[i].want, "maildir unique name");
	}
	CHECK(maildir_unique(name, 12, &tv, 1, 1, "host") == -1,
		"maildir unique name: too small is -1");
	CHECK(maildir_make(at("Maildir")) == 0 &&
		maildir_make(at("Maildir")) == 0, "maildir_make twice");
	CHECK(maildir_deliver_open(&d, at("Maildir")) == 0, "deliver open");
	CHECK(maildir_deliver_write(&d, "Subject: x\n\nbody\n", 17) == 0,
		"deliver write");
	CHECK(maildir_deliver_commit(&d, name, sizeof name) == 0, "commit");
	CHECK(str_ends(name, ",S=17"), "name carries S=size");
	snprintf(path, sizeof path, "Maildir/new/%s", name);
	got = slurp(path);
	CHECK_STR(got, "Subject: x\n\nbody\n", "message in new/");
	free(got);
	CHECK(maildir_deliver_open(&d, at("Maildir")) == 0, "open 2");
	maildir_deliver_write(&d, "x", 1);
	maildir_deliver_abort(&d);
	CHECK(rmdir(at("Maildir/tmp")) == 0, "abort leaves tmp/ empty");
	put("notdir", "");
	CHECK(maildir_make(at("notdir")) < 0 && errno == ENOTDIR,
		"a file as Maildir: ENOTDIR");
}

static void test_vusers(void)
{
	static const struct { const char *line; int rc; const char *user;
		long uid; const char *home; } v[] = {
		{ "alice:{PLAIN}pw:5000:5001::/var/vmail/alice", 1, "alice",
			5000, "/var/vmail/alice" },
		{ "bob:{SHA512-CRYPT}$6$x$y:1:2:Bob B:/home/b:/bin/sh:"
			"extra=a:b",
			1, "bob", 1, "/home/b" },
		{ "carol:{PLAIN}x", 1, "carol", -1, "" },
		{ "# comment", 0, NULL, 0, NULL },
		{ "   ", 0, NULL, 0, NULL },
		{ "", 0, NULL, 0, NULL },
		{ ":pw:1:1::/h", -1, NULL, 0, NULL },
		{ "d:pw:x:1::/h", -1, NULL, 0, NULL },
		{ "d:pw:1:::/h", -1, NULL, 0, NULL },
		{ "d:pw:99999999999:1::/h", -1, NULL, 0, NULL },
		{ "d:pw:-1:1::/h", -1, NULL, 0, NULL },
		{ "d:pw:1:1::relative", -1, NULL, 0, NULL },
		{ "d/e:pw:1:1::/h", -1, NULL, 0, NULL },
		{ "d:pw:1:1::/h\r", -1, NULL, 0, NULL },
		{ "a_very_long_user_name_that_is_longer_than_sixty_four_"
			"bytes_in_all_x:pw", -1, NULL, 0, NULL },
	};
	struct vusers_entry e;
	char err[128], line[VUSERS_MAX_LINE + 10];
	size_t i;
	int rc;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		rc = vusers_parse_line(v[i].line, strlen(v[i].line), &e, err,
			sizeof err);
		snprintf(err, sizeof err, "vusers vector %zu", i);
		CHECK(rc == v[i].rc, err);
		if (rc == 1) {
			CHECK_STR(e.user, v[i].user, "vusers user");
			CHECK(v[i].uid < 0 ? !e.has_ids : e.has_ids &&
				(long)e.uid == v[i].uid, "vusers uid");
			CHECK_STR(e.home, v[i].home, "vusers home");
		}
	}
	CHECK(vusers_parse_line("a\0b:pw", 6, &e, err, sizeof err) == -1,
		"vusers: NUL byte refused");
	memset(line, 'a', sizeof line);
	CHECK(vusers_parse_line(line, sizeof line, &e, err, sizeof err) == -1,
		"vusers: over-long line refused");
	put("vusers", "# users\nalice::1:1::/a\n\nbob::2:2::/b\n");
	CHECK(vusers_lookup(at("vusers"), "bob", &e, err, sizeof err) == 1 &&
		e.uid == 2, "vusers lookup finds bob");
	CHECK(vusers_lookup(at("vusers"), "Bob", &e, err, sizeof err) == 0,
		"vusers lookup is exact");
	put("vusers", "alice::1:1::/a\nbroken:pw:x\n");
	CHECK(vusers_lookup(at("vusers"), "alice", &e, err, sizeof err) == -1,
		"a broken line fails every lookup");
	snprintf(line, sizeof line, "%s:2: uid and gid must be numbers",
		at("vusers"));
	CHECK_STR(err, line, "vusers error names file:line");
	CHECK(vusers_lookup(at("absent"), "a", &e, err, sizeof err) == -1,
		"vusers: a missing file is an error");
}

static void test_mailbox(void)
{
	static const struct { const char *spec, *user, *home; int kind;
		const char *path; } v[] = {
		{ NULL, "alice", "/home/a", LOCAL_MBOX, "/var/mail/alice" },
		{ "mbox:/var/mail/%u", "bob", "/h", LOCAL_MBOX,
			"/var/mail/bob" },
		{ "maildir:~/Maildir", "bob", "/home/bob", LOCAL_MAILDIR,
			"/home/bob/Maildir" },
		{ "maildir:~/Maildir/", "bob", "/home/bob", LOCAL_MAILDIR,
			"/home/bob/Maildir" },
		{ "mbox:~/mbox", "bob", "/home/bob", LOCAL_MBOX,
			"/home/bob/mbox" },
		{ "maildir:/srv/mail/%u/%%x", "c", "/h", LOCAL_MAILDIR,
			"/srv/mail/c/%x" },
		{ "mbox:/var/mail/%u", "../etc", "/h", -1, NULL },
		{ "mbox:/var/mail/%u", "a/b", "/h", -1, NULL },
		{ "mbox:/var/mail/%x", "a", "/h", -1, NULL },
		{ "mbox:~/mbox", "a", "", -1, NULL },
		{ "mbox:relative/%u", "a", "/h", -1, NULL },
	};
	struct cf *cf = xzalloc(sizeof *cf);
	char path[256];
	size_t i;
	int kind;

	cf_init(cf);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		free(cf->opt.mailbox);
		cf->opt.mailbox = v[i].spec ? xstrdup(v[i].spec) : NULL;
		kind = local_mailbox(cf, v[i].user, v[i].home, path,
			sizeof path);
		CHECK(kind == v[i].kind, v[i].spec ? v[i].spec : "(default)");
		if (kind >= 0)
			CHECK_STR(path, v[i].path, "mailbox path");
	}
	cf_free(cf);
	free(cf);
}

/* Several messages under one lock and one fsync (mbox_append_end): the
 * same bytes as one append each; an abort takes the whole batch away. */
static void test_batch(void)
{
	struct mbox_append m;
	char *a, *b;

	put("one", "From x@y Thu Jan  1 00:00:00 1970\nSubject: old\n\nno blank line");
	put("two", "From x@y Thu Jan  1 00:00:00 1970\nSubject: old\n\nno blank line");
	CHECK(append("one", "Subject: 1\n\nFrom here\n>From", 7) == 0 &&
		append("one", "Subject: 2\n\nbody", 3) == 0, "two appends");
	CHECK(mbox_append_open(&m, at("two"), getuid(), MBOX_OWNER) == 0 &&
		mbox_append_from(&m, "a@b", 0) == 0 &&
		mbox_append_write(&m, "Subject: 1\n\nFrom here\n>From", 27) ==
		0 && mbox_append_end(&m) == 0 &&
		mbox_append_from(&m, "a@b", 0) == 0 &&
		mbox_append_write(&m, "Subject: 2\n\nbody", 16) == 0 &&
		mbox_append_commit(&m) == 0, "a batch of two");
	a = slurp("one");
	b = slurp("two");
	CHECK(a && b && strcmp(a, b) == 0, "a batch writes what two appends do");
	free(a);
	free(b);
	/* abort after two ended messages: the file as it was */
	a = slurp("two");
	CHECK(mbox_append_open(&m, at("two"), getuid(), MBOX_OWNER) == 0 &&
		mbox_append_from(&m, "a@b", 0) == 0 &&
		mbox_append_write(&m, "x", 1) == 0 && mbox_append_end(&m) == 0 &&
		mbox_append_from(&m, "a@b", 0) == 0, "a batch begun");
	mbox_append_abort(&m);
	b = slurp("two");
	CHECK(a && b && strcmp(a, b) == 0, "abort takes the whole batch away");
	free(a);
	free(b);
	CHECK(mbox_append_end(&m) < 0 && errno == EBADF, "end after abort");
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_mbox.%ld", (long)getpid());
	if (mkdir(dir, 0700) < 0)
		return 1;
	test_from_line();
	test_quoting();
	test_append();
	test_batch();
	test_maildir();
	test_vusers();
	test_mailbox();
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		pid_t pid;

		if (unit_failed == 0 && (pid = fork()) == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		} else if (unit_failed == 0 && pid > 0)
			waitpid(pid, NULL, 0);
	}
	return unit_done();
}
