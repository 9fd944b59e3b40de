/* Unit tests of map: cdb lookups, sendmail's access search order, access
 * values, the map writer and the bounded line reader. */
#include "libmini.h"
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256], path[300];

/* Writes a map of KEYS (NULL-terminated), each with "v:KEY" as value,
 * skipping the one named SKIP... (a NULL-terminated list). */
static void build(const char *const *keys, const char *const *skip)
{
	struct map_make mk;
	char v[MAP_KEY_MAX + 2];
	size_t i, j;

	map_make_init(&mk, 0);
	for (i = 0; keys[i]; i++) {
		for (j = 0; skip && skip[j]; j++)
			if (strcmp(skip[j], keys[i]) == 0)
				break;
		if (skip && skip[j])
			continue;
		snprintf(v, sizeof v, "v:%s", keys[i]);
		map_make_add(&mk, keys[i], strlen(keys[i]), v, strlen(v));
	}
	if (map_make_write(&mk, path, 0644) < 0)
		printf("FAIL: build %s: %s\n", path, strerror(errno));
	map_make_free(&mk);
}

/* The order in which map_access finds KEYS: build the map with all of
 * them, note the key found, remove it, again.  Joined with spaces. */
static void search_order(const char *const *keys, const char *tag, int kind,
	const char *value, char *out, size_t max)
{
	const char *found[64];
	char res[256], matched[MAP_KEY_MAX], err[256];
	struct map m;
	size_t n = 0;
	int r;

	out[0] = 0;
	for (;;) {
		found[n] = NULL;
		build(keys, found);
		if (map_open(&m, path, 0, err, sizeof err) < 0) {
			str_lcat(out, "(open failed)", max);
			return;
		}
		r = map_access(&m, tag, kind, value, res, sizeof res, matched);
		map_close(&m);
		if (r != 1)
			break;
		if (strncmp(res, "v:", 2) || strcmp(res + 2, matched)) {
			str_lcat(out, "(value/key mismatch)", max);
			return;
		}
		for (size_t i = 0; keys[i]; i++)
			if (strcmp(keys[i], matched) == 0)
				found[n] = keys[i];
		if (!found[n] || n == 62)
			break;
		if (n)
			str_lcat(out, " ", max);
		str_lcat(out, matched, max);
		n++;
	}
}

static void test_access_order(void)
{
	static const char *const host[] = {
		"example", "connect:example", "foo.example",
		"connect:foo.example", "host.foo.example",
		"connect:host.foo.example", "oo.example", "from:foo.example",
		NULL };
	static const char *const ip4[] = {
		"10", "connect:10", "10.0", "connect:10.0", "10.0.2",
		"connect:10.0.2", "10.0.2.15", "connect:10.0.2.15", "10.0.2.1",
		"connect:10.0.2.1", "0.2.15", NULL };
	static const char *const ip6[] = {
		"ipv6", "ipv6:2001", "connect:ipv6:2001", "ipv6:2001:db8",
		"connect:ipv6:2001:db8", "ipv6:2001:db8:",
		"connect:ipv6:2001:db8::1", "2001:db8::1", NULL };
	static const char *const addr[] = {
		"org", "from:org", "example.org", "from:example.org",
		"sub.example.org", "from:sub.example.org", "x@", "from:x@",
		"x@sub.example.org", "from:x@sub.example.org", "to:x@",
		"@sub.example.org", NULL };
	static const char *const detail[] = {
		"x@d.org", "to:x@d.org", "x+*@d.org", "to:x+*@d.org",
		"x+tag@d.org", "to:x+tag@d.org", "x@", "x+*@", "x+tag@",
		"d.org", NULL };
	static const char *const lit[] = {
		"x@", "10.0.2", "from:[10.0.2]", "[10.0.2.15]", "[10]", NULL };
	static const char *const unres[] = {
		"connect:[10.0.2.15]", "[10.0.2.15]", "10.0.2.15", "[10.0.2]",
		"connect:[10]", NULL };
	static const char *const unres6[] = {
		"[ipv6:2001:db8::1]", "[ipv6:2001:db8]", "[ipv6:2001]",
		"[ipv6]", NULL };
	static const char *const user[] = { "joe@", "from:joe@", "joe", NULL };
	static const char *const nul[] = { "from:<>", "<>", "", NULL };
	char got[2048];

	search_order(host, "Connect", MAP_ACCESS_HOST, "Host.Foo.Example.",
		got, sizeof got);
	CHECK_STR(got, "connect:host.foo.example host.foo.example "
		"connect:foo.example foo.example connect:example example",
		"host: labels stripped from the left, tagged first");
	search_order(ip4, "Connect:", MAP_ACCESS_IP, "10.0.2.15", got,
		sizeof got);
	CHECK_STR(got, "connect:10.0.2.15 10.0.2.15 connect:10.0.2 10.0.2 "
		"connect:10.0 10.0 connect:10 10",
		"IPv4: octets stripped from the right, tagged first");
	search_order(ip4, "Connect", MAP_ACCESS_IP, "::ffff:10.0.2.15", got,
		sizeof got);
	CHECK(strncmp(got, "connect:10.0.2.15 10.0.2.15", 27) == 0,
		"IPv4-mapped IPv6 searched as IPv4");
	search_order(ip6, "Connect", MAP_ACCESS_IP, "2001:DB8::1", got,
		sizeof got);
	CHECK_STR(got, "connect:ipv6:2001:db8::1 connect:ipv6:2001:db8 "
		"ipv6:2001:db8 connect:ipv6:2001 ipv6:2001 ipv6",
		"IPv6: IPv6: keys, :: and groups stripped as ruleset A");
	search_order(ip6, "Connect", MAP_ACCESS_IP, "IPv6:2001:db8::1", got,
		sizeof got);
	CHECK(strncmp(got, "connect:ipv6:2001:db8::1 connect", 32) == 0,
		"IPv6: an IPv6: prefix given is kept");
	search_order(addr, "From", MAP_ACCESS_ADDR, "x@Sub.Example.ORG.", got,
		sizeof got);
	CHECK_STR(got, "from:x@sub.example.org x@sub.example.org from:x@ x@ "
		"from:sub.example.org sub.example.org from:example.org "
		"example.org from:org org",
		"sender: full, user@, then the domain and its parents");
	search_order(addr, NULL, MAP_ACCESS_ADDR, "x@sub.example.org", got,
		sizeof got);
	CHECK_STR(got, "x@sub.example.org x@ sub.example.org example.org org",
		"untagged search uses untagged keys only");
	search_order(addr, "To", MAP_ACCESS_RCPT, "x@sub.example.org", got,
		sizeof got);
	CHECK_STR(got, "x@sub.example.org sub.example.org example.org org",
		"recipient (not local): full, then the domains, no user@");
	search_order(detail, "To", MAP_ACCESS_ADDR, "x+tag@d.org", got,
		sizeof got);
	CHECK_STR(got, "to:x+tag@d.org x+tag@d.org to:x+*@d.org x+*@d.org "
		"to:x@d.org x@d.org x+tag@ x+*@ x@ d.org",
		"+detail: x+det, x+*, x (rulesets F and U)");
	search_order(lit, "From", MAP_ACCESS_ADDR, "x@[10.0.2.15]", got,
		sizeof got);
	CHECK_STR(got, "x@ [10.0.2.15] from:[10.0.2] [10]",
		"address literal walks bracketed prefixes (ruleset D)");
	search_order(unres, "Connect", MAP_ACCESS_HOST, "[10.0.2.15]", got,
		sizeof got);
	CHECK_STR(got, "connect:[10.0.2.15] [10.0.2.15] [10.0.2] connect:[10]",
		"unresolved client name: [addr] and its bracketed prefixes");
	search_order(unres6, "Connect", MAP_ACCESS_HOST, "[IPv6:2001:db8::1]",
		got, sizeof got);
	CHECK_STR(got, "[ipv6:2001:db8::1] [ipv6:2001:db8] [ipv6:2001] [ipv6]",
		"unresolved IPv6 client name");
	search_order(user, "From", MAP_ACCESS_ADDR, "Joe", got, sizeof got);
	CHECK_STR(got, "from:joe@ joe@", "address without @: user@ only");
	search_order(nul, "From", MAP_ACCESS_ADDR, "<>", got, sizeof got);
	CHECK_STR(got, "", "null sender: no lookup (check_mail accepts <>)");
}

static void trace(void *ctx, const char *key, const char *value)
{
	char *out = ctx;

	str_lcat(out, key, 512);
	str_lcat(out, value ? "=" : " ", 512);
	if (value) {
		str_lcat(out, value, 512);
		str_lcat(out, " ", 512);
	}
}

static void test_trace(void)
{
	static const char *const keys[] = { "10.0", NULL };
	char got[512] = "", res[64], err[256];
	struct map m;

	build(keys, NULL);
	if (map_open(&m, path, 0, err, sizeof err) < 0)
		return;
	m.trace = trace;
	m.trace_ctx = got;
	map_access(&m, "Connect", MAP_ACCESS_IP, "10.0.2.15", res, sizeof res,
		NULL);
	map_close(&m);
	CHECK_STR(got, "connect:10.0.2.15 10.0.2.15 connect:10.0.2 10.0.2 "
		"connect:10.0 10.0=v:10.0 ", "trace: every key tried, in order");
}

static void test_lookup(void)
{
	static const char *const keys[] = { "mixed.example", NULL };
	struct map_make mk;
	struct map m;
	char v[64], err[512];
	int fd;

	build(keys, NULL);
	CHECK(map_open(&m, path, 0, err, sizeof err) == 0, "open a cdb");
	CHECK(map_lookup(&m, "MIXED.example", v, sizeof v) == 1 &&
		strcmp(v, "v:mixed.example") == 0, "lookup folds the key");
	CHECK(map_lookup(&m, "nosuch", v, sizeof v) == 0, "lookup miss");
	CHECK(map_lookup(&m, "mixed.example", v, 5) == -1 && errno == E2BIG &&
		strcmp(v, "v:mi") == 0, "value bounded: E2BIG, truncated");
	{
		char big[MAP_KEY_MAX + 1];

		memset(big, 'a', MAP_KEY_MAX);
		big[MAP_KEY_MAX] = 0;
		CHECK(map_lookup(&m, big, v, sizeof v) == -1 &&
			errno == E2BIG, "over-long key: E2BIG");
	}
	map_close(&m);
	CHECK(map_open(&m, path, MAP_NOFOLD, err, sizeof err) == 0 &&
		map_lookup(&m, "MIXED.example", v, sizeof v) == 0,
		"MAP_NOFOLD keeps case");
	CHECK(!map_changed(&m, path), "map_changed: same file");
	build(keys, NULL);
	CHECK(map_changed(&m, path), "map_changed after a rebuild");
	map_close(&m);

	/* NUL-terminated keys and values, as in aliases.db and -N maps */
	map_make_init(&mk, 0);
	map_make_add(&mk, "root", 5, "admin\0", 6);
	map_make_add(&mk, "@", 2, "@", 2);
	map_make_add(&mk, "plain", 5, "p", 1);
	CHECK(map_make_write(&mk, path, 0644) == 0, "write -N style map");
	map_make_free(&mk);
	CHECK(map_open(&m, path, 0, err, sizeof err) == 0, "open -N map");
	CHECK(map_lookup(&m, "Root", v, sizeof v) == 1 &&
		strcmp(v, "admin") == 0, "NUL key found, value NUL dropped");
	CHECK(map_lookup(&m, "@", v, sizeof v) == 1 && strcmp(v, "@") == 0,
		"the @ end marker");
	map_close(&m);
	CHECK(map_open(&m, path, MAP_NONUL, err, sizeof err) == 0 &&
		map_lookup(&m, "root", v, sizeof v) == 0 &&
		map_lookup(&m, "plain", v, sizeof v) == 1, "MAP_NONUL (-O)");
	map_close(&m);
	CHECK(map_open(&m, path, MAP_NUL, err, sizeof err) == 0 &&
		map_lookup(&m, "root", v, sizeof v) == 1 &&
		map_lookup(&m, "plain", v, sizeof v) == 0, "MAP_NUL (-N)");
	map_close(&m);

	/* Errors: missing, not a cdb, Berkeley DB in all four spellings */
	CHECK(map_open(&m, "/nonexistent/access.db", 0, err, sizeof err) ==
		-1 && errno == ENOENT && strcmp(err, "/nonexistent/access.db: "
		"No such file or directory") == 0, "missing map: ENOENT");
	fd = open(path, O_WRONLY | O_TRUNC);
	write(fd, "short", 5);
	close(fd);
	CHECK(map_open(&m, path, 0, err, sizeof err) == -1 && errno == EINVAL
		&& strstr(err, "not a cdb map"), "a short file is not a cdb");
	{
		static const struct {
			unsigned magic, version, third; int off, big;
			const char *kind;
		} bdb[] = {	/* DB 5.3 (Debian) and DB 1.85 (BSD) headers */
			{ 0x061561, 9, 4096, 12, 0, "hash" },
			{ 0x061561, 9, 4096, 12, 1, "hash" },
			{ 0x053162, 9, 8192, 12, 0, "btree" },
			{ 0x053162, 3, 4096, 0, 1, "btree" },
			{ 0x061561, 2, 1234, 0, 0, "hash" },
		};
		unsigned char page[4096];
		char want[512], p2[320];
		size_t i;

		snprintf(p2, sizeof p2, "%s/access.db", dir);
		for (i = 0; i < sizeof bdb / sizeof bdb[0]; i++) {
			unsigned w[3] = { bdb[i].magic, bdb[i].version,
				bdb[i].third }, j, k;

			memset(page, 0, sizeof page);
			for (j = 0; j < 3; j++)
				for (k = 0; k < 4; k++)
					page[bdb[i].off + 4 * j + k] = w[j] >>
						(bdb[i].big ? 24 - 8 * k :
						8 * k);
			fd = open(p2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			write(fd, page, sizeof page);
			close(fd);
			snprintf(want, sizeof want, "%s: a Berkeley DB %s "
				"file from sendmail, not cdb; rebuild it: "
				"makemap %s %s/access < %s/access", p2,
				bdb[i].kind, bdb[i].kind, dir, dir);
			CHECK(map_open(&m, p2, 0, err, sizeof err) == -1 &&
				errno == EPROTO && strcmp(err, want) == 0,
				"Berkeley DB file: the rebuild command");
		}
		snprintf(p2, sizeof p2, "%s/aliases.db", dir);
		fd = open(p2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		write(fd, page, sizeof page);
		close(fd);
		CHECK(map_open(&m, p2, 0, err, sizeof err) == -1 &&
			str_ends(err, "rebuild it: newaliases"),
			"Berkeley DB aliases.db: newaliases");
	}
	{
		/* A cdb whose data ends at 0x00061561, the hash magic, in its
		 * first word: still a cdb. */
		static char big[0x61561 - 2048 - 8 - 1];

		map_make_init(&mk, 0);
		map_make_add(&mk, "k", 1, big, sizeof big);
		map_make_write(&mk, path, 0644);
		map_make_free(&mk);
		CHECK(map_open(&m, path, 0, err, sizeof err) == 0,
			"a cdb that starts like Berkeley DB magic is a cdb");
		map_close(&m);
	}
}

static void test_make(void)
{
	struct map_make mk;
	struct map m;
	char v[64], err[512];
	struct stat st;

	map_make_init(&mk, 0);
	CHECK(map_make_add(&mk, "k", 1, "1", 1) == 0, "make add");
	CHECK(map_make_add(&mk, "k", 1, "2", 1) == 1,
		"make duplicate refused");
	CHECK(map_make_write(&mk, path, 0640) == 0, "make write");
	map_make_free(&mk);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640,
		"make write mode");
	map_make_init(&mk, MAP_MAKE_REPLACE);
	CHECK(map_make_load(&mk, path, err, sizeof err) == 0,
		"make load (-o)");
	CHECK(map_make_add(&mk, "k", 1, "3", 1) == 2,
		"make replace (-r) says 2");
	map_make_add(&mk, "j", 1, "4", 1);
	map_make_write(&mk, path, 0644);
	map_make_free(&mk);
	map_open(&m, path, 0, err, sizeof err);
	CHECK(map_lookup(&m, "k", v, sizeof v) == 1 && strcmp(v, "3") == 0 &&
		map_lookup(&m, "j", v, sizeof v) == 1, "replaced value read");
	map_close(&m);
	map_make_init(&mk, MAP_MAKE_DUPS);
	map_make_add(&mk, "k", 1, "a", 1);
	CHECK(map_make_add(&mk, "k", 1, "b", 1) == 0, "make dups (-d)");
	map_make_write(&mk, path, 0644);
	map_make_free(&mk);
	map_open(&m, path, 0, err, sizeof err);
	CHECK(map_lookup(&m, "k", v, sizeof v) == 1 && strcmp(v, "a") == 0,
		"dups: first value found");
	map_close(&m);
	/* many keys: the index grows */
	map_make_init(&mk, 0);
	for (int i = 0; i < 5000; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "key%d", i);

		if (map_make_add(&mk, k, n, k, n) != 0)
			break;
	}
	CHECK(mk.n == 5000 && map_make_add(&mk, "key4999", 7, "x", 1) == 1,
		"5000 keys, duplicate still found");
	map_make_free(&mk);
	map_make_init(&mk, 0);
	CHECK(map_make_write(&mk, "/nonexistent/x.db", 0644) == -1 &&
		errno == ENOENT, "write into a missing folder: ENOENT");
	map_make_free(&mk);
}

static void test_action(void)
{
	static const struct {
		const char *in; int rc; int act; unsigned code;
		const char *dsn, *text;
	} v[] = {
		{ "OK", 0, MAP_ACT_OK, 0, "", "" },
		{ " relay\t", 0, MAP_ACT_RELAY, 0, "", "" },
		{ "REJECT", 0, MAP_ACT_REJECT, 550, "5.7.1", "Access denied" },
		{ "DISCARD", 0, MAP_ACT_DISCARD, 0, "", "" },
		{ "SKIP", 0, MAP_ACT_SKIP, 0, "", "" },
		{ "ERROR:5.7.1:550 Go away", 0, MAP_ACT_ERROR, 550, "5.7.1",
			"Go away" },
		{ "ERROR:550 Go away", 0, MAP_ACT_ERROR, 550, "", "Go away" },
		{ "ERROR:\"550 We don't accept mail from spammers\"", 0,
			MAP_ACT_ERROR, 550, "",
			"We don't accept mail from spammers" },
		{ "ERROR:4.3.2:\"421 try later\"", 0, MAP_ACT_ERROR, 421,
			"4.3.2", "try later" },
		{ "550 Spammer", 0, MAP_ACT_ERROR, 550, "", "Spammer" },
		{ "553 5.1.8 bad domain", 0, MAP_ACT_ERROR, 553, "5.1.8",
			"bad domain" },
		{ "ERROR:4.7.1:550 mismatch", -1, 0, 0, "", "" },
		{ "ERROR:250 ok?", -1, 0, 0, "", "" },
		{ "ERROR:", -1, 0, 0, "", "" },
		{ "5500 x", -1, 0, 0, "", "" },
		{ "FRIEND", -1, 0, 0, "", "" },
		{ "", -1, 0, 0, "", "" },
	};
	struct map_action a;
	char name[128];
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		int rc = map_action_parse(v[i].in, &a);

		snprintf(name, sizeof name, "action \"%s\"", v[i].in);
		CHECK(rc == v[i].rc && (rc < 0 || (a.act == (int)v[i].act &&
			a.code == v[i].code && !strcmp(a.dsn, v[i].dsn) &&
			!strcmp(a.text, v[i].text))), name);
	}
}

static void test_text(void)
{
	struct map_text *t = malloc(sizeof *t);
	size_t len, n = MAP_LINE_MAX + 70000;
	char *big, *line, name[320];
	int fd;

	/* an over-long line bigger than the buffer, then short ones */
	big = malloc(n + 40);
	memset(big, 'x', n);
	memcpy(big + n, "\nnext\nab\0c\n\nlast", 16);
	snprintf(name, sizeof name, "%s/text", dir);
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	file_write_all(fd, big, n + 16);
	lseek(fd, 0, SEEK_SET);
	map_text_init(t, fd);
	CHECK(map_text_line(t, &line, &len) == -1 && errno == E2BIG,
		"text: over-long line E2BIG");
	CHECK(map_text_line(t, &line, &len) == 1 && strcmp(line, "next") == 0,
		"text: next line after an over-long one");
	CHECK(map_text_line(t, &line, &len) == 1 && len == 4 && line[2] == 0,
		"text: NUL kept, length counts it");
	CHECK(map_text_line(t, &line, &len) == 1 && len == 0, "text: empty");
	CHECK(map_text_line(t, &line, &len) == 1 && strcmp(line, "last") == 0,
		"text: last line without newline");
	CHECK(map_text_line(t, &line, &len) == 0, "text: end");
	CHECK(map_text_line(t, &line, &len) == 0, "text: end stays end");
	/* exactly at the limit and one below */
	ftruncate(fd, 0);
	lseek(fd, 0, SEEK_SET);
	memset(big, 'y', MAP_LINE_MAX);
	big[MAP_LINE_MAX - 1] = '\n';
	file_write_all(fd, big, MAP_LINE_MAX);
	file_write_all(fd, big, MAP_LINE_MAX - 1);
	big[MAP_LINE_MAX - 1] = 'y';
	file_write_all(fd, big, MAP_LINE_MAX);
	lseek(fd, 0, SEEK_SET);
	map_text_init(t, fd);
	CHECK(map_text_line(t, &line, &len) == 1 && len == MAP_LINE_MAX - 1,
		"text: MAP_LINE_MAX - 1 bytes fit");
	CHECK(map_text_line(t, &line, &len) == -1 && errno == E2BIG,
		"text: MAP_LINE_MAX bytes do not (no newline at the end)");
	CHECK(map_text_line(t, &line, &len) == 0, "text: then the end");
	close(fd);
	/* a folder */
	fd = open(dir, O_RDONLY);
	map_text_init(t, fd);
	CHECK(map_text_line(t, &line, &len) == -1 && errno == EISDIR,
		"text: read error passed on");
	close(fd);
	free(big);
	free(t);
}

/* Random input never crashes or overruns (a fixed seed: deterministic). */
static void test_fuzz(void)
{
	static const char alphabet[] = "ab.:@[]+*<>\"\\ 0123456789IPv6\xff";
	static const char *const keys[] = { "a", "a@", "b.a", "[1.2]", NULL };
	char v[300], res[16], matched[MAP_KEY_MAX];
	struct map_action act;
	unsigned seed = 12345;
	struct map m;
	int i, j, n, bad = 0;

	build(keys, NULL);
	if (map_open(&m, path, 0, v, sizeof v) < 0)
		return;
	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % (sizeof v - 1);
		for (j = 0; j < n; j++) {
			seed = seed * 1103515245 + 12345;
			v[j] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		v[n] = 0;
		if (map_access(&m, i & 1 ? "From" : NULL, 1 + i % 4, v, res,
				sizeof res, matched) > 0 &&
				strncmp(res, "v:", 2) != 0)
			bad++;
		map_action_parse(v, &act);
		if (strlen(act.text) >= sizeof act.text)
			bad++;
	}
	map_close(&m);
	CHECK(bad == 0, "fuzz: 20000 random access keys and values");
}


/* map_make_dups: the duplicates of MAP_MAKE_LATER, found by one sort. */
struct dupseen { char text[512]; };

static void dup_note(void *ctx, unsigned long tag, const char *key,
	size_t klen, int kind)
{
	struct dupseen *d = ctx;
	size_t n = strlen(d->text);

	snprintf(d->text + n, sizeof d->text - n, "%lu:%.*s:%d ", tag,
		(int)klen, key, kind);
}

static long dups_of(int flags, const char *keys, struct dupseen *d,
	size_t *live)
{
	struct map_make mk;
	const char *k;
	long r;
	size_t i;

	map_make_init(&mk, flags | MAP_MAKE_LATER);
	d->text[0] = 0;
	for (k = keys, i = 1; *k; k++, i++) {
		mk.tag = i;
		map_make_add(&mk, k, 1, "v", 1);
	}
	r = map_make_dups(&mk, dup_note, d);
	*live = 0;
	for (i = 0; i < mk.n; i++)
		*live += !mk.rec[i].dead;
	map_make_free(&mk);
	return r;
}

static void test_dups(void)
{
	struct dupseen d;
	struct map_make mk;
	size_t live, i;
	long r;

	r = dups_of(0, "abacba", &d, &live);
	CHECK(r == 3 && live == 3, "dups: three refused, three kept");
	CHECK_STR(d.text, "3:a:1 5:b:1 6:a:1 ", "dups: reported in line order");
	r = dups_of(MAP_MAKE_REPLACE, "abacba", &d, &live);
	CHECK(r == 0 && live == 3, "dups -r: the later value wins");
	CHECK_STR(d.text, "3:a:2 5:b:2 6:a:2 ", "dups -r: replaced in order");
	r = dups_of(MAP_MAKE_DUPS, "aaaa", &d, &live);
	CHECK(r == 0 && live == 4 && !d.text[0], "dups -d: all kept, none reported");
	r = dups_of(0, "abc", &d, &live);
	CHECK(r == 0 && live == 3 && !d.text[0], "dups: none in distinct keys");
	/* Keys with equal hashes but different bytes are not duplicates:
	 * force the hashes equal by hand. */
	map_make_init(&mk, MAP_MAKE_LATER);
	map_make_add(&mk, "x", 1, "1", 1);
	map_make_add(&mk, "y", 1, "2", 1);
	map_make_add(&mk, "x", 1, "3", 1);
	for (i = 0; i < mk.n; i++)
		mk.rec[i].hash = 7;
	d.text[0] = 0;
	r = map_make_dups(&mk, dup_note, &d);
	CHECK(r == 1 && !mk.rec[0].dead && !mk.rec[1].dead && mk.rec[2].dead,
		"dups: equal hashes, only equal keys collide");
	map_make_free(&mk);
	/* Old records (makemap -o) are never compared with each other. */
	map_make_init(&mk, MAP_MAKE_LATER);
	map_make_add(&mk, "o", 1, "1", 1);
	map_make_add(&mk, "o", 1, "2", 1);
	mk.rec[0].old = mk.rec[1].old = 1;
	map_make_add(&mk, "n", 1, "3", 1);
	r = map_make_dups(&mk, NULL, NULL);
	CHECK(r == 0 && !mk.rec[0].dead && !mk.rec[1].dead,
		"dups: old records kept beside each other");
	map_make_add(&mk, "o", 1, "4", 1);
	r = map_make_dups(&mk, NULL, NULL);
	CHECK(r == 1 && mk.rec[3].dead, "dups: a new record repeating an old one is refused");
	map_make_free(&mk);
	/* 200,000 keys, every tenth repeated: linear, and exact. */
	map_make_init(&mk, MAP_MAKE_LATER);
	for (i = 0; i < 200000; i++) {
		char k[32];
		int n = snprintf(k, sizeof k, "key%zu", i % 10 ? i : i / 10);

		map_make_add(&mk, k, n, "v", 1);
	}
	r = map_make_dups(&mk, NULL, NULL);
	CHECK(r == 18000, "dups: 200,000 keys, the 18,000 repeats found");
	map_make_free(&mk);
}

/* map_spec: the one rule naming the file behind a K line, an AliasFile
 * and a makemap name, for every reader and writer. */
static void test_spec(void)
{
	static const struct {
		const char *type, *path, *flags, *file;
		int rc, optional, flags_out, match;
	} k[] = {
		{ "hash", "/etc/mail/access", "", "/etc/mail/access.db", 1,
			0, 0, 0 },
		{ "hash", "/etc/mail/access.db", "", "/etc/mail/access.db", 1,
			0, 0, 0 },
		{ "btree", "/x/y", "-T<TMPF>", "/x/y.db", 1, 0, 0, 0 },
		{ "dbm", "/x/y", "", "/x/y.db", 1, 0, 0, 0 },
		{ "implicit", "/x/y", "", "/x/y.db", 1, 0, 0, 0 },
		/* sendmail 8.16's cdb maps: NAME.cdb, as makemap cdb
		 * writes (smtpd, -bt and the SMTP client used to differ) */
		{ "cdb", "/etc/mail/x", "", "/etc/mail/x.cdb", 1, 0, 0, 0 },
		{ "cdb", "/etc/mail/x.cdb", "", "/etc/mail/x.cdb", 1, 0, 0,
			0 },
		{ "cdb", "/etc/mail/x.db", "", "/etc/mail/x.db.cdb", 1, 0, 0,
			0 },
		{ "hash", "/a", "-o", "/a.db", 1, 1, 0, 0 },
		{ "hash", "/a", "-f -N", "/a.db", 1, 0,
			MAP_NOFOLD | MAP_NUL, 0 },
		{ "hash", "/a", "-N -O", "/a.db", 1, 0, MAP_NONUL, 0 },
		{ "hash", "/a", "-m", "/a.db", 1, 0, 0, 1 },
		{ "ldap", NULL, "-k uid -v mail", "", 0, 0, 0, 0 },
		/* a file postbox cannot read: unusable, never "no map" */
		{ "text", "/etc/x", "", "", -1, 0, 0, 0 },
		{ "hash", NULL, "", "", -1, 0, 0, 0 },
	};
	static const struct {
		const char *spec, *src, *file;
		int rc, flags;
	} al[] = {
		{ "/etc/mail/aliases", "/etc/mail/aliases",
			"/etc/mail/aliases.db", 1, 0 },
		/* smtpd opened "hash:/etc/mail/aliases.db" */
		{ "hash:/etc/mail/aliases", "/etc/mail/aliases",
			"/etc/mail/aliases.db", 1, 0 },
		/* delivery opened aliases.db where newaliases wrote .cdb */
		{ "cdb:/etc/aliases", "/etc/aliases", "/etc/aliases.cdb", 1,
			0 },
		{ "hash:-N /etc/aliases", "/etc/aliases", "/etc/aliases.db",
			1, MAP_NUL },
		{ "btree:/etc/aliases", "/etc/aliases", "/etc/aliases.db", 1,
			0 },
		{ "ldap:-k (uid=%0) -v mail", "", "", 0, 0 },
		{ "nis:mail.aliases@dom", "", "", 0, 0 },
	};
	struct map_spec *ms = malloc(sizeof *ms);
	char err[300], name[64], val[64];
	struct map m;
	size_t i;
	int rc;

	for (i = 0; i < sizeof k / sizeof *k; i++) {
		rc = map_spec_k(ms, k[i].type, k[i].path, k[i].flags, 0, err,
			sizeof err);
		snprintf(name, sizeof name, "spec: K %s %s", k[i].type,
			k[i].path ? k[i].path : "(none)");
		CHECK(rc == k[i].rc, name);
		if (rc > 0) {
			CHECK_STR(ms->file, k[i].file, name);
			CHECK(ms->optional == k[i].optional &&
				ms->flags == k[i].flags_out &&
				ms->match_only == k[i].match, name);
		}
	}
	for (i = 0; i < sizeof al / sizeof *al; i++) {
		rc = map_spec_alias(ms, al[i].spec, err, sizeof err);
		snprintf(name, sizeof name, "spec: AliasFile=%s", al[i].spec);
		CHECK(rc == al[i].rc, name);
		if (rc > 0) {
			CHECK_STR(ms->file, al[i].file, name);
			CHECK_STR(ms->src, al[i].src, name);
			CHECK(ms->flags == al[i].flags, name);
		}
	}
	/* -m and -a, applied by map_spec_lookup */
	{
		static const char *const keys[] = { "k1", NULL };
		char p2[320];

		build(keys, NULL);
		snprintf(p2, sizeof p2, "%.*s", (int)(strlen(path) - 3), path);
		map_spec_k(ms, "hash", p2, "-a.FOUND", 0, err, sizeof err);
		rc = map_spec_open(&m, ms, err, sizeof err);
		CHECK(rc == 0 && map_spec_lookup(&m, "k1", val, sizeof val) ==
			1 && strcmp(val, "v:k1.FOUND") == 0, "spec: -a");
		if (rc == 0)
			map_close(&m);
		map_spec_k(ms, "hash", p2, "-m", 0, err, sizeof err);
		rc = map_spec_open(&m, ms, err, sizeof err);
		CHECK(rc == 0 && map_spec_lookup(&m, "K1", val, sizeof val) ==
			1 && strcmp(val, "K1") == 0, "spec: -m");
		if (rc == 0)
			map_close(&m);
	}
	/* aliases not built yet: none when the text has no entry, "try
	 * later" (ENOENT) when it has */
	{
		char txt[320];
		int fd;

		snprintf(txt, sizeof txt, "%s/spec-aliases", dir);
		fd = open(txt, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0 && write(fd, "# none\n\n", 8) == 8) {
			map_spec_alias(ms, txt, err, sizeof err);
			CHECK(map_alias_open(&m, ms, err, sizeof err) == 0,
				"spec: aliases with no entries, no map: none");
			if (write(fd, "root: a\n", 8) == 8)
				CHECK(map_alias_open(&m, ms, err, sizeof err) ==
					-1 && errno == ENOENT,
					"spec: aliases not built: try later");
		}
		if (fd >= 0)
			close(fd);
	}
	free(ms);
}

int main(void)
{
	test_dups();
	snprintf(dir, sizeof dir, "/tmp/test_map.%ld", (long)getpid());
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/t.db", dir);
	test_access_order();
	test_trace();
	test_lookup();
	test_make();
	test_action();
	test_text();
	test_fuzz();
	test_spec();
	unit_rmdir(dir);
	return unit_done();
}
