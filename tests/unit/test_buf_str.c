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
