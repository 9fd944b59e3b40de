/* Unit tests of local: local_is_local and the expansion of raw
 * addresses (no aliases, no users needed). */
/* links: applets/sendmail/expand.c */
#include "../../applets/sendmail/sendmail.h"
#include "unit.h"
#include <stdlib.h>
#include <unistd.h>

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
	return unit_done();
}
