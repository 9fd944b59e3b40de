/* Unit tests of addr_check: one table for smtpd's paths and sendmail's
 * addresses, bounds and messages first. */
#include "libmini.h"
#include "unit.h"

static const struct {
	const char *s, *ends;
	int ok;
	size_t len, local;	/* when ok; else the message */
	const char *why;
} vec[] = {
	{ "user@example.org", "", 1, 16, 4, NULL },
	{ "postmaster", "", 1, 10, 10, NULL },
	{ "first.last+tag@sub.example.org", "", 1, 30, 14, NULL },
	{ "\"john doe\"@example.org", "", 1, 22, 10, NULL },
	{ "\"a\\\"b\"@x", "", 1, 8, 6, NULL },
	{ "a@[192.0.2.1]", "", 1, 13, 1, NULL },
	{ "a@[IPv6:2001:db8::1]", "", 1, 20, 1, NULL },
	{ "a@host_name.example", "", 1, 19, 1, NULL },
	{ "a@example.org.", "", 1, 14, 1, NULL },
	{ "\xc3\xa9l\xc3\xa8ve@\xc3\xa9" "cole.example", "", 1, 22, 7, NULL },
	/* a path: the address ends at '>' (or a blank without brackets) */
	{ "a@b.example> SIZE=10", ">", 1, 11, 1, NULL },
	{ "a@b.example SIZE=10", " ", 1, 11, 1, NULL },
	{ "\"a>b\"@c>", ">", 1, 7, 5, NULL },
	{ "", "", 0, 0, 0, "user address required" },
	{ "@example.org", "", 0, 0, 0, "user address required" },
	{ ".a@b", "", 0, 0, 0, "misplaced '.' in local part" },
	{ "a.@b", "", 0, 0, 0, "misplaced '.' in local part" },
	{ "a..b@c", "", 0, 0, 0, "misplaced '.' in local part" },
	{ "a b@c", "", 0, 0, 0, "invalid character ' ' in address" },
	{ "a\tb@c", "", 0, 0, 0, "invalid character '^I' in address" },
	{ "a@@b", "", 0, 0, 0, "invalid character in domain" },
	{ "a@", "", 0, 0, 0, "domain required after '@'" },
	{ "a@b..c", "", 0, 0, 0, "misplaced '.' in domain" },
	{ "a@.b", "", 0, 0, 0, "misplaced '.' in domain" },
	{ "a@b.c..", "", 0, 0, 0, "misplaced '.' in domain" },
	{ "a@[1.2.3.4", "", 0, 0, 0, "bad address literal" },
	{ "a@[]", "", 0, 0, 0, "bad address literal" },
	{ "a@[1.2.3.4]x", "", 0, 0, 0, "bad address literal" },
	{ "a@[1 2]", "", 0, 0, 0, "bad address literal" },
	{ "\"abc", "", 0, 0, 0, "unbalanced '\"'" },
	{ "\"a\x01\"@b", "", 0, 0, 0, "control character in address" },
	{ "\"a\"b@c", "", 0, 0, 0,
		"invalid character after the quoted local part" },
	{ "a@b.example>", "", 0, 0, 0, "invalid character in domain" },
};

int main(void)
{
	char err[128], name[160];
	size_t i, len, local;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		int r;

		len = local = 999;
		err[0] = 0;
		r = addr_check(vec[i].s, vec[i].ends, &len, &local, err,
			sizeof err);
		snprintf(name, sizeof name, "addr_check \"%s\"", vec[i].s);
		if (vec[i].ok) {
			CHECK(r == 0 && len == vec[i].len &&
				local == vec[i].local, name);
		} else {
			CHECK(r == -1, name);
			CHECK_STR(err, vec[i].why, name);
		}
	}
	/* a message that does not fit is cut, never overflows */
	CHECK(addr_check("a b", "", &len, &local, err, 8) == -1 &&
		strlen(err) == 7, "addr_check: ERRMAX bounds the message");
	return unit_done();
}
