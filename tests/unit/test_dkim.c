/* test_dkim: RFC 6376 3.4.5's canonicalization example and the edge
 * cases of 3.4.3/3.4.4, From addresses, OpenDKIM tables (refile:
 * patterns, plain lookups, errors naming file:line), PEM keys. */
#include "libmini.h"
#include "unit.h"
#include <stdlib.h>

#define DIR "/tmp/test_dkim.XXXXXX"

/* Whether the body hash of IN (LF ends) is SHA-256 of WANT. */
static int body_is(const char *in, enum dkim_canon c, const char *want)
{
	struct dkim_body b;
	br_sha256_context s;
	unsigned char h1[32], h2[32];
	size_t i;

	dkim_body_init(&b, c);
	for (i = 0; in[i]; i++)		/* byte by byte: pieces join */
		dkim_body_update(&b, in + i, 1);
	dkim_body_final(&b, h1);
	br_sha256_init(&s);
	br_sha256_update(&s, want, strlen(want));
	br_sha256_out(&s, h2);
	return memcmp(h1, h2, 32) == 0;
}

static const struct {
	const char *in, *simple, *relaxed;
} bodies[] = {
	/* RFC 6376 3.4.5 */
	{ " C \nD \t E\n\n\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n" },
	/* 3.4.3: an empty body is one CRLF; 3.4.4: nothing */
	{ "", "\r\n", "" },
	{ "\n\n", "\r\n", "" },
	/* a last line without its end gets one */
	{ "x", "x\r\n", "x\r\n" },
	/* a line of blanks is empty in relaxed only */
	{ "a\n \t\n", "a\r\n \t\r\n", "a\r\n" },
	/* empty lines inside stay */
	{ "a\n\n\nb\n", "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n" },
};

static const struct {
	const char *in, *simple, *relaxed;
} headers[] = {
	{ "A: X\n", "A: X\r\n", "a:X\r\n" },
	{ "B : Y\t\n\tZ  \n", "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n" },
	{ "Subject:   a   b\n", "Subject:   a   b\r\n", "subject:a b\r\n" },
	{ "X:\n", "X:\r\n", "x:\r\n" },
};

static const struct {
	const char *in, *want;
} froms[] = {
	{ "Alice <alice@Example.ORG>", "alice@example.org" },
	{ " alice@example.org", "alice@example.org" },
	{ "\"a <b@c.d>, e\" <f@G.h>", "f@g.h" },
	{ "(c <x@y.z>) p@q.r (comment)", "p@q.r" },
	{ "Bob <bob@b.example>, Carol <c@c.example>", "bob@b.example" },
	{ "Mixed.Case@X.example", "Mixed.Case@x.example" },
	{ "no address", NULL },
	{ "<unterminated@x.y", NULL },
	{ "<@x.y>", NULL },
	{ "", NULL },
	{ "\"a\" <x\001y@e.f>", NULL },	/* control characters */
};

static void put(const char *dir, const char *name, const char *text)
{
	char path[200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void tables(const char *dir)
{
	char kt[200], st[200], pst[200], err[2000], want[400];
	struct dkim_signer s;
	int r;

	snprintf(kt, sizeof kt, "%s/KeyTable", dir);
	snprintf(st, sizeof st, "refile:%s/SigningTable", dir);
	snprintf(pst, sizeof pst, "%s/Plain", dir);
	put(dir, "KeyTable", "# comment\n\nk1 example.org:s1:/k/1.pem\n"
		"k2\t%:s2:/k/2.pem   # trailing\nk3 x.example:s3:/k/3.pem\n");
	put(dir, "SigningTable", "boss@example.org k3\n*@example.org k1\n"
		"*@*.example k2\n");
	put(dir, "Plain", "example.org k1\nboss@example.org k3\n");
	r = dkim_lookup(kt, st, "joe@example.org", &s, err, sizeof err);
	CHECK(r == 1 && !strcmp(s.domain, "example.org") &&
		!strcmp(s.selector, "s1") && !strcmp(s.keypath, "/k/1.pem"),
		"refile: *@example.org");
	r = dkim_lookup(kt, st, "boss@example.org", &s, err, sizeof err);
	CHECK(r == 1 && !strcmp(s.selector, "s3"), "refile: first match");
	r = dkim_lookup(kt, st, "a@sub.example", &s, err, sizeof err);
	CHECK(r == 1 && !strcmp(s.domain, "sub.example") &&
		!strcmp(s.selector, "s2"), "% is the From's domain");
	r = dkim_lookup(kt, st, "a@other.org", &s, err, sizeof err);
	CHECK(r == 0, "no match: not signed");
	r = dkim_lookup(kt, pst, "boss@example.org", &s, err, sizeof err);
	CHECK(r == 1 && !strcmp(s.selector, "s3"), "plain: address first");
	r = dkim_lookup(kt, pst, "joe@example.org", &s, err, sizeof err);
	CHECK(r == 1 && !strcmp(s.selector, "s1"), "plain: then domain");
	r = dkim_lookup(kt, pst, "joe@sub.example.org", &s, err,
		sizeof err);
	CHECK(r == 0, "plain: no parent domains");
	put(dir, "SigningTable", "*@example.org nokey\n");
	r = dkim_lookup(kt, st, "joe@example.org", &s, err, sizeof err);
	snprintf(want, sizeof want, "%s: no key named \"nokey\" (the "
		"SigningTable's for joe@example.org)", kt);
	CHECK(r == -1 && !strcmp(err, want), "a key name the KeyTable lacks");
	put(dir, "SigningTable", "*@example.org k1\nlonely\n");
	r = dkim_lookup(kt, st, "a@b.c", &s, err, sizeof err);
	snprintf(want, sizeof want, "%s/SigningTable:2: \"lonely\" has no "
		"value", dir);
	CHECK_STR(r == -1 ? err : "", want, "a line without value: file:line");
	put(dir, "KeyTable", "k1 example.org:s1:relative.pem\n");
	put(dir, "SigningTable", "* k1\n");
	r = dkim_lookup(kt, st, "a@b.c", &s, err, sizeof err);
	CHECK(r == -1 && strstr(err, "KeyTable:1: the key must be"),
		"a relative key path is refused");
	put(dir, "KeyTable", "k1 exa;mple.org:s1:/k\n");
	r = dkim_lookup(kt, st, "a@b.c", &s, err, sizeof err);
	CHECK(r == -1 && strstr(err, "bad domain or selector"),
		"a ';' in a domain is refused");
	{
		char *big = malloc(DKIM_LINE_MAX + 100);

		memset(big, 'x', DKIM_LINE_MAX + 99);
		big[DKIM_LINE_MAX + 99] = 0;
		put(dir, "SigningTable", big);
		free(big);
	}
	r = dkim_lookup(kt, st, "a@b.c", &s, err, sizeof err);
	CHECK(r == -1 && strstr(err, "SigningTable:1: line over"),
		"an over-long line is refused");
	r = dkim_lookup(kt, "/nonexistent/st", "a@b.c", &s, err, sizeof err);
	CHECK_STR(r == -1 ? err : "", "/nonexistent/st: No such file or "
		"directory", "a missing table");
	r = dkim_lookup(kt, "db:/x", "a@b.c", &s, err, sizeof err);
	CHECK(r == -1 && strstr(err, "not a file"), "other data sets");
}

static void keys(const char *dir)
{
	char cmd[600], path[200], err[600];
	struct dkim_key k;
	static const char *const kinds[] = {
		/* PKCS#1 and PKCS#8, as openssl writes them */
		"openssl genrsa -traditional -out %s/k1.pem 1024 2>/dev/null",
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
			"-out %s/k8.pem 2>/dev/null",
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof cmd, kinds[i], dir);
		if (system(cmd) != 0) {
			printf("SKIP: no openssl to make keys\n");
			return;
		}
		snprintf(path, sizeof path, "%s/k%c.pem", dir,
			i ? '8' : '1');
		CHECK(dkim_key_load(&k, path, err, sizeof err) == 0 &&
			k.sk.n_bitlen == 1024, i ? "PKCS#8 key" : "PKCS#1 key");
		dkim_key_free(&k);
	}
	CHECK(dkim_key_parse(&k, "x", "-----BEGIN RSA PRIVATE KEY-----\n"
		"AAAA\n", 37, err, sizeof err) == -1 && strstr(err, "x: "),
		"truncated PEM");
	CHECK(dkim_key_parse(&k, "x", "-----BEGIN RSA PRIVATE KEY-----\n"
		"AAAA\n-----END RSA PRIVATE KEY-----\n", 67, err, sizeof err)
		== -1 && strstr(err, "cannot decode"), "bad DER");
	CHECK(dkim_key_parse(&k, "x", "hello\n", 6, err, sizeof err) == -1
		&& strstr(err, "no \"RSA PRIVATE KEY\""), "no key at all");
	CHECK(dkim_key_parse(&k, "x", "-----BEGIN ENCRYPTED PRIVATE KEY-----"
		"\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", 83, err,
		sizeof err) == -1 && strstr(err, "encrypted"), "encrypted key");
}

int main(void)
{
	char dst[200], name[100], dir[] = DIR, addr[100];
	enum dkim_canon hc, bc;
	size_t i;
	long n;

	for (i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		snprintf(name, sizeof name, "body %zu simple", i);
		CHECK(body_is(bodies[i].in, DKIM_SIMPLE, bodies[i].simple),
			name);
		snprintf(name, sizeof name, "body %zu relaxed", i);
		CHECK(body_is(bodies[i].in, DKIM_RELAXED, bodies[i].relaxed),
			name);
	}
	for (i = 0; i < sizeof headers / sizeof *headers; i++) {
		n = dkim_header_canon(dst, sizeof dst, headers[i].in,
			strlen(headers[i].in), DKIM_SIMPLE);
		snprintf(name, sizeof name, "header %zu simple", i);
		CHECK_STR(n >= 0 ? dst : "", headers[i].simple, name);
		n = dkim_header_canon(dst, sizeof dst, headers[i].in,
			strlen(headers[i].in), DKIM_RELAXED);
		snprintf(name, sizeof name, "header %zu relaxed", i);
		CHECK_STR(n >= 0 ? dst : "", headers[i].relaxed, name);
	}
	CHECK(dkim_header_canon(dst, 5, "Subject: x\n", 11, DKIM_RELAXED)
		== -1, "header canon: short buffer");
	for (i = 0; i < sizeof froms / sizeof *froms; i++) {
		int r = dkim_from_addr(addr, sizeof addr, froms[i].in,
			strlen(froms[i].in));

		snprintf(name, sizeof name, "from %zu", i);
		if (froms[i].want)
			CHECK_STR(r == 0 ? addr : "", froms[i].want, name);
		else
			CHECK(r == -1, name);
	}
	CHECK(dkim_canon_parse(NULL, &hc, &bc) == 0 && hc == DKIM_RELAXED &&
		bc == DKIM_RELAXED, "canon: default relaxed/relaxed");
	CHECK(dkim_canon_parse("simple", &hc, &bc) == 0 && hc == DKIM_SIMPLE
		&& bc == DKIM_SIMPLE, "canon: simple");
	CHECK(dkim_canon_parse("relaxed", &hc, &bc) == 0 &&
		hc == DKIM_RELAXED && bc == DKIM_SIMPLE,
		"canon: relaxed is relaxed/simple (RFC 6376 3.5)");
	CHECK(dkim_canon_parse("Relaxed/Simple", &hc, &bc) == 0 &&
		hc == DKIM_RELAXED && bc == DKIM_SIMPLE, "canon: case");
	CHECK(dkim_canon_parse("relaxed/", &hc, &bc) == -1 &&
		dkim_canon_parse("nofws", &hc, &bc) == -1, "canon: bad");
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return unit_done();
	}
	tables(dir);
	keys(dir);
	unit_rmdir(dir);
	return unit_done();
}
