/* Unit tests of local: local_is_local and the expansion of raw
 * addresses (no aliases, no users needed). */
/* links: applets/sendmail/expand.c */
#define _GNU_SOURCE	/* getresuid */
#include "../../applets/sendmail/sendmail.h"
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <unistd.h>

/* local_as_user and back, as root: a user's ids with root's real and
 * saved uid, root's own 0600 file out of reach, then root again. */
static void as_user_and_back(void)
{
	struct local_creds c;
	struct local_ids ids;
	char path[64];
	uid_t r = 1, e = 1, s = 1;
	int fd;

	snprintf(path, sizeof path, "/tmp/test_local.%ld.root", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "root's 0600 file made");
	if (fd < 0)
		return;
	close(fd);
	memset(&c, 0, sizeof c);
	str_lcpy(c.user, "#54321", sizeof c.user);
	c.uid = 54321;
	c.gid = 54322;
	CHECK(local_as_user(&c, 54323, &ids) == 0, "local_as_user");
	getresuid(&r, &e, &s);
	CHECK(r == 0 && e == 54321 && s == 0, "the user's effective uid, "
		"root's real and saved");
	CHECK(getegid() == 54322 && (gid_t)setfsgid((gid_t)-1) == 54322,
		"the user's gid, file-system gid too");
	CHECK((uid_t)setfsuid((uid_t)-1) == 54321, "file-system uid");
	{
		gid_t g[4];
		int n = getgroups(4, g);

		CHECK(n == 2 && g[0] == 54322 && g[1] == 54323,
			"groups: the user's and the extra one");
	}
	errno = 0;
	fd = open(path, O_WRONLY);
	CHECK(fd < 0 && errno == EACCES, "root's 0600 file not writable "
		"(no capability left)");
	if (fd >= 0)
		close(fd);
	local_as_root(&ids);
	getresuid(&r, &e, &s);
	CHECK(r == 0 && e == 0 && s == 0 &&
		(uid_t)setfsuid((uid_t)-1) == 0, "root again");
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0, "root's file writable again");
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static int collect(void *ctx, const struct local_target *t)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%d %s %s;", (int)t->kind,
		t->kind == LOCAL_ERROR ? t->status : t->path,
		t->kind == LOCAL_ERROR ? t->text : t->user);
	return 0;
}

int main(void)
{
	static const struct {
		const char *addr;
		int rc;
		const char *user;
	} v[] = {
		{ "alice", 1, "alice" },
		{ "alice@example.com", 1, "alice" },
		{ "<alice@EXAMPLE.com.>", 1, "alice" },
		{ "bob@localhost", 1, "bob" },
		{ "<@relay.org:carol@example.com>", 1, "carol" },
		{ "\"a b\"@example.com", 1, "\"a b\"" },
		{ "x@other.org", 0, "x" },
		{ "a@b@other.org", 0, "a@b" },
		{ "@example.com", -1, NULL },
		{ "alice@", -1, NULL },
		{ "<alice@example.com", -1, NULL },
		{ "", -1, NULL },
		{ "a_user_name_longer_than_the_sixteen_bytes_given@example.com",
			-1, NULL },
		{ "a_user_name_longer_than_the_sixteen_bytes_given@other.org",
			0, "a_user_name_lon" },
	};
	static const struct { const char *addr, *want; } raw[] = {
		{ "|/bin/sh", "4 5.7.1 Cannot mail directly to programs;" },
		{ "/etc/passwd", "4 5.7.1 Cannot mail directly to files;" },
		{ ":include:/x",
			"4 5.7.1 Cannot mail directly to :include:s;" },
		{ "\"|id\"@example.com",
			"4 5.7.1 Cannot mail directly to programs;" },
		{ "error:5.0.0 no", "4 5.1.1 User unknown;" },
		{ "x@other.org", "3 x@other.org ;" },
		{ "no-such-user-here@example.com", "4 5.1.1 User unknown;" },
		{ "@@", "4 5.1.3 @@: bad address syntax;" },
	};
	struct cf *cf = xzalloc(sizeof *cf);
	char path[64], user[16], out[512], err[256];
	size_t i;
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "/tmp/test_local.%ld.cf", (long)getpid());
	f = fopen(path, "w");
	fprintf(f, "Cwexample.com\nO AliasFile=/nonexistent/aliases\n"
		"O ForwardPath=/nonexistent/.forward\n");
	fclose(f);
	cf_init(cf);
	CHECK(cf_load(cf, path, err, sizeof err) == 0, "test cf loads");
	unlink(path);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		user[0] = 0;
		rc = local_is_local(cf, v[i].addr, user, sizeof user);
		snprintf(out, sizeof out, "is_local %s", v[i].addr);
		CHECK(rc == v[i].rc, out);
		if (v[i].user && rc == v[i].rc)
			CHECK_STR(user, v[i].user, out);
	}
	for (i = 0; i < sizeof raw / sizeof raw[0]; i++) {
		out[0] = 0;
		rc = local_expand(cf, raw[i].addr, collect, out, err,
			sizeof err);
		CHECK(rc == 0, raw[i].addr);
		CHECK_STR(out, raw[i].want, raw[i].addr);
	}
	cf_free(cf);
	free(cf);
	if (geteuid() == 0 && getuid() == 0)
		as_user_and_back();
	return unit_done();
}
