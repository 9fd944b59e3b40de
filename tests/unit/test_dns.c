/* test_dns: MX answers parsed from canned DNS messages (no network). */
#include "libmini.h"
#include "unit.h"

/* Header: id 0x1234, flags QR RD RA + RCODE, 1 question, ANCOUNT. */
#define HDR(rcode, an) 0x12, 0x34, 0x81, 0x80 | (rcode), 0, 1, 0, (an), \
	0, 0, 0, 0
/* Question: example.com MX IN, at offset 12 (pointer 0xc00c). */
#define QEX 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, \
	0, 15, 0, 1
/* An MX record for the name at 0xc00c, TTL 300, preference P, then an
 * exchanger "mxN" + pointer to example.com. */
#define MX(p, c) 0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 44, 0, 8, 0, (p), \
	3, 'm', 'x', (c), 0xc0, 0x0c

static const unsigned char three[] = { HDR(0, 4), QEX,
	MX(20, 'c'), MX(10, 'a'), MX(10, 'b'),
	/* a CNAME record in the answer is skipped */
	0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 1, 44, 0, 2, 0xc0, 0x0c };
static const unsigned char none[] = { HDR(0, 0), QEX };
static const unsigned char nxdomain[] = { HDR(3, 0), QEX };
static const unsigned char servfail[] = { HDR(2, 0), QEX };
/* ANCOUNT 1 but the record is cut short. */
static const unsigned char cut[] = { HDR(0, 1), QEX, 0xc0, 0x0c, 0, 15 };
/* A compression pointer that points at itself. */
static const unsigned char loop[] = { HDR(0, 1), QEX, 0xc0, 0x0c, 0, 15,
	0, 1, 0, 0, 1, 44, 0, 4, 0, 5, 0xc0, 45 };

static long zero(void)
{
	return 0;
}

int main(void)
{
	struct dns_mx mx[DNS_MAX_MX];
	size_t n = 99;
	int rc;

	rc = dns_mx_parse(three, sizeof three, mx, DNS_MAX_MX, &n);
	CHECK(rc == DNS_OK && n == 3, "three MX records");
	CHECK_STR(mx[0].host, "mxa.example.com", "preference 10 first");
	CHECK_STR(mx[1].host, "mxb.example.com", "equal ones in order");
	CHECK_STR(mx[2].host, "mxc.example.com", "preference 20 last");
	CHECK(mx[0].pref == 10 && mx[2].pref == 20, "preferences");
	/* rnd 0 swaps each later one with the first of its run. */
	dns_mx_shuffle(mx, n, zero);
	CHECK_STR(mx[0].host, "mxb.example.com", "shuffle within 10");
	CHECK_STR(mx[2].host, "mxc.example.com", "shuffle keeps 20 last");
	rc = dns_mx_parse(three, sizeof three, mx, 2, &n);
	CHECK(rc == DNS_OK && n == 2, "MAX bounds the records");
	rc = dns_mx_parse(none, sizeof none, mx, DNS_MAX_MX, &n);
	CHECK(rc == DNS_OK && n == 0, "no MX: OK with none");
	rc = dns_mx_parse(nxdomain, sizeof nxdomain, mx, DNS_MAX_MX, &n);
	CHECK(rc == DNS_NOTFOUND, "NXDOMAIN is permanent");
	rc = dns_mx_parse(servfail, sizeof servfail, mx, DNS_MAX_MX, &n);
	CHECK(rc == DNS_TEMP, "SERVFAIL is temporary");
	rc = dns_mx_parse(cut, sizeof cut, mx, DNS_MAX_MX, &n);
	CHECK(rc == DNS_TEMP, "a cut record is temporary");
	rc = dns_mx_parse(loop, sizeof loop, mx, DNS_MAX_MX, &n);
	CHECK(rc == DNS_TEMP, "a pointer loop is temporary");
	rc = dns_mx_parse(three, 5, mx, DNS_MAX_MX, &n);
	CHECK(rc == DNS_TEMP, "a short message is temporary");
	{
		struct dns_addr a[DNS_MAX_ADDRS];

		rc = dns_addrs("[127.0.0.1]", 25, a, DNS_MAX_ADDRS, &n);
		CHECK(rc == DNS_OK && n == 1, "address literal");
		CHECK_STR(a[0].text, "127.0.0.1", "address literal text");
		rc = dns_addrs("[IPv6:::1]", 25, a, DNS_MAX_ADDRS, &n);
		CHECK(rc == DNS_OK && n == 1, "IPv6 literal");
		CHECK_STR(a[0].text, "::1", "IPv6 literal text");
	}
	return unit_done();
}
