/* Unit tests of buf and str: table-driven vectors, bounds first. */
#include "libmini.h"
#include "unit.h"
#include <errno.h>

static void test_buf(void)
{
	struct buf b = BUF_INIT(8);

	CHECK_STR(buf_str(&b), "", "buf empty is \"\"");
	CHECK(buf_adds(&b, "abcd") == 0, "buf add within cap");
	CHECK(buf_adds(&b, "efgh") == 0, "buf add up to cap");
	CHECK(buf_addc(&b, 'x') == -1 && errno == E2BIG, "buf over cap fails E2BIG");
	CHECK_STR(buf_str(&b), "abcdefgh", "buf unchanged after overflow");
	buf_consume(&b, 3);
	CHECK_STR(buf_str(&b), "defgh", "buf consume");
	CHECK(buf_printf(&b, "%d", 123) == 0, "buf printf fits");
	CHECK(buf_printf(&b, "%d", 1) == -1, "buf printf over cap fails");
	CHECK_STR(buf_str(&b), "defgh123", "buf printf result");
	buf_free(&b);
	CHECK(b.len == 0 && buf_str(&b)[0] == 0, "buf free empties");
}

/* str_scan against the sscanf it stands in for (mailbox.c's formats). */
static void test_scan(void)
{
	static const char *const in[] = {
		"postbox-uidlist 1 V17 N42\n", "postbox-uidlist 1 V17\n",
		"postbox-uidlist 2 V17 N42", "postbox-uidlist 1 V N4", "",
		"postbox-uidlist  1\tV-3 N+4",
	};
	static const char *const lines[] = {
		"12 abc 345", "12 abc 345 more", "7 \t x  -9", "1 ab", "1",
		"18446744073709551615 k 9223372036854775807",
		"x 1 2",
	};
	unsigned long a1, a2, b1, b2;
	unsigned long long u1, u2;
	long long l1, l2;
	char k1[8], k2[8], w1[4], w2[4];
	int r1, r2, n1, n2;
	size_t i;

	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		a1 = a2 = b1 = b2 = 0;
		r1 = str_scan(in[i], "postbox-uidlist 1 V%lu N%lu", &a1, &b1);
		r2 = sscanf(in[i], "postbox-uidlist 1 V%lu N%lu", &a2, &b2);
		CHECK(r1 == (r2 < 0 ? 0 : r2) && a1 == a2 && b1 == b2,
			"scan header as sscanf");
	}
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		a1 = a2 = 0, l1 = l2 = 0, n1 = n2 = -1;
		k1[0] = k2[0] = 0;
		r1 = str_scan(lines[i], "%lu %7s %lld%n", &a1, k1, &l1, &n1);
		r2 = sscanf(lines[i], "%lu %7s %lld%n", &a2, k2, &l2, &n2);
		CHECK(r1 == (r2 < 0 ? 0 : r2) && a1 == a2 && l1 == l2 &&
			n1 == n2 && strcmp(k1, k2) == 0, "scan line as sscanf");
	}
	/* out of range stops the scan (sscanf wraps or clamps) */
	CHECK(str_scan("18446744073709551616 k 1", "%lu %7s %lld", &a1, k1,
		&l1) == 0, "scan: %lu out of range");
	CHECK(str_scan("1 k 9223372036854775808", "%lu %7s %lld", &a1, k1,
		&l1) == 2, "scan: %lld out of range");
	/* a word longer than its width: the rest is left to the next field */
	r1 = str_scan("abcdef 5", "%3s%3s %llu", w1, w2, &u1);
	r2 = sscanf("abcdef 5", "%3s%3s %llu", k1, k2, &u2);
	CHECK(r1 == 3 && r1 == r2 && u1 == u2 && strcmp(w1, k1) == 0 &&
		strcmp(w2, k2) == 0, "scan width as sscanf");
	CHECK(str_scan("50% x", "%lu%% %3s", &a1, w1) == 2 && a1 == 50 &&
		strcmp(w1, "x") == 0, "scan %%");
	{
		/* the uidlist's format 2 line and a From_ date */
		const char *l = "12 0123abc 300 77 1f ffffffff -5";
		unsigned long f1, f2;
		unsigned k3, k4;
		int d1, d2;

		r1 = str_scan(l, "%lu %7s %lld %llu %lx %x %d", &a1, k1, &l1,
			&u1, &f1, &k3, &d1);
		r2 = sscanf(l, "%lu %7s %lld %llu %lx %x %d", &a2, k2, &l2,
			&u2, &f2, &k4, &d2);
		CHECK(r1 == 7 && r1 == r2 && a1 == a2 && l1 == l2 &&
			u1 == u2 && f1 == f2 && k3 == k4 && d1 == d2 &&
			strcmp(k1, k2) == 0, "scan %x %lx %d as sscanf");
		CHECK(str_scan("1 4294967296", "%lu %u", &a1, &k3) == 1,
			"scan: %u out of range");
		CHECK(str_scan("2147483648", "%d", &d1) == 0,
			"scan: %d out of range");
	}
}

static void test_str(void)
{
	char d[8], t[32];
	unsigned long v;
	static const struct { const char *s; int ok; } utf8[] = {
		{ "plain ascii", 1 }, { "\xed\x95\x9c\xea\xb8\x80", 1 },
		{ "\xc0\xaf", 0 }, { "\xed\xa0\x80", 0 }, { "\xf4\x90\x80\x80", 0 },
		{ "\xe2\x82", 0 }, { "\xff", 0 }, { "\xf0\x9f\x98\x80", 1 },
	};
	size_t i;

	CHECK(str_lcpy(d, "0123456789", sizeof d) == 10, "lcpy returns source length");
	CHECK_STR(d, "0123456", "lcpy truncates with NUL");
	str_lcpy(d, "ab", sizeof d);
	CHECK(str_lcat(d, "cdefghij", sizeof d) == 10, "lcat returns whole length");
	CHECK_STR(d, "abcdefg", "lcat truncates");
	str_lcpy(t, "  Mixed CASE\t\r\n", sizeof t);
	CHECK_STR(str_lower(str_trim(t)), "mixed case", "trim + lower");
	CHECK(str_istarts("Connect:1.2", "connect:"), "istarts ignores case");
	CHECK(!str_starts("Connect:1.2", "connect:"), "starts is exact");
	CHECK(str_ends("access.db", ".db") && !str_ends("db", ".db"), "ends");
	CHECK(str_toul("4294967296", 0xffffffffUL, &v) == -1, "toul over max");
	CHECK(str_toul("12x", 100, &v) == -1, "toul junk");
	CHECK(str_toul("", 100, &v) == -1, "toul empty");
	CHECK(str_toul("100", 100, &v) == 0 && v == 100, "toul at max");
	test_scan();
	for (i = 0; i < sizeof utf8 / sizeof utf8[0]; i++) {
		char name[64];

		snprintf(name, sizeof name, "utf8 vector %zu", i);
		CHECK(str_utf8_valid(utf8[i].s, strlen(utf8[i].s)) == utf8[i].ok, name);
	}
}

/* The helpers that had a copy in several applets. */
static void test_shared(void)
{
	static const struct { int c, v; } hex[] = {
		{ '0', 0 }, { '9', 9 }, { 'a', 10 }, { 'F', 15 }, { 'g', -1 },
		{ 'G', -1 }, { ' ', -1 }, { 0, -1 }, { '@', -1 }, { '`', -1 },
	};
	char d[8], date[40];
	size_t i, n;

	for (i = 0; i < sizeof hex / sizeof hex[0]; i++)
		CHECK(str_hexval(hex[i].c) == hex[i].v, "hexval vector");
	CHECK(str_ieq("EHLO", "ehlo") && !str_ieq("EHLO", "EHL"), "ieq");
	CHECK_STR(str_shown("a\r\nb\x7f", d, sizeof d), "a??b?", "shown");
	CHECK_STR(str_shown("0123456789", d, sizeof d), "0123456",
		"shown truncates");
	errno = EAGAIN;
	str_seterr(d, sizeof d, "%s:%d", "abc", 1234);
	CHECK_STR(d, "abc:123", "seterr bounded");
	CHECK(errno == EAGAIN, "seterr keeps errno");
	str_seterr(NULL, 0, "%s", "nothing");
	n = msg_date(0, date, sizeof date);
	CHECK(n >= 30 && n == strlen(date) && date[3] == ',' &&
		(date[n - 5] == '+' || date[n - 5] == '-'), "date shape");
	CHECK(msg_date(0, d, sizeof d) == 0 && !d[0], "date too small");
	{
		long *a = NULL;
		size_t cap = 0, k;
		int ok = 1;

		for (k = 0; k < 100; k++) {
			if (buf_grow_array((void **)&a, &cap, k, sizeof *a,
					4) < 0)
				ok = 0;
			else
				a[k] = (long)k;
		}
		CHECK(ok && cap == 128 && a[99] == 99, "grow_array doubles");
		errno = 0;
		CHECK(buf_grow_array((void **)&a, &cap, cap, (size_t)-1 / 64,
			1) == -1 && errno == ENOMEM && cap == 128 && a[5] == 5,
			"grow_array: overflow refused, array kept");
		free(a);
	}
}

int main(void)
{
	test_buf();
	test_str();
	test_shared();
	return unit_done();
}
