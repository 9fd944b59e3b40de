/*
 * dns: the lookups the SMTP client needs, through musl's resolver (which
 * reads /etc/resolv.conf and /etc/hosts only; its timeout and attempts
 * from resolv.conf bound every call, default 5 s x 2).
 *
 *  - MX (RFC 5321 5.1): the exchangers in preference order, equal
 *    preferences shuffled; no MX record means the implicit MX, the
 *    domain itself at preference 0.
 *  - Addresses (A and AAAA) of a host, /etc/hosts first, through
 *    getaddrinfo (musl asks A and AAAA at once); address literals
 *    ("192.0.2.1", "::1") are taken as they are.
 *
 * Every result is DNS_OK, DNS_NOTFOUND (permanent: the name does not
 * exist, NXDOMAIN) or DNS_TEMP (timeout, SERVFAIL, a broken answer, no
 * resolver): RFC 5321 5.1; unknown means temporary.
 * Nothing is allocated: the caller gives the arrays.  Parsing is
 * separate from querying so that canned answers can be tested.
 */
#ifndef LIBMINI_DNS_H
#define LIBMINI_DNS_H
#include <stddef.h>
#include <sys/socket.h>

#define DNS_MAX_MX 16		/* exchangers kept from one answer */
#define DNS_MAX_ADDRS 8		/* addresses kept for one host */
#define DNS_NAME_MAX 256	/* a domain name, NUL included */

enum { DNS_OK = 0, DNS_NOTFOUND = 1, DNS_TEMP = -1 };

struct dns_mx {
	unsigned pref;
	char host[DNS_NAME_MAX];	/* lower case, no trailing dot */
};

struct dns_addr {
	struct sockaddr_storage sa;	/* AF_INET or AF_INET6, port 0 */
	socklen_t len;
	char text[48];			/* "192.0.2.1", "2001:db8::1" */
};

/* Parses the DNS message MSG (LEN bytes), the answer to an MX query,
 * into MX (room for MAX; extra records are dropped), sorted by
 * preference (stable: equal ones in answer order).  Sets *N.  Returns
 * DNS_OK (also with *N 0: no MX), DNS_NOTFOUND for rcode NXDOMAIN,
 * DNS_TEMP for another rcode or a malformed message. */
int dns_mx_parse(const unsigned char *msg, size_t len, struct dns_mx *mx,
	size_t max, size_t *n);

/* Shuffles the runs of equal preference of the sorted MX[N] (RFC 5321
 * 5.1: spread the load over equal exchangers), with RND (NULL: the
 * libc random()).  */
void dns_mx_shuffle(struct dns_mx *mx, size_t n, long (*rnd)(void));

/* Looks DOMAIN's MX up: parse, shuffle, and the implicit MX when there
 * is none.  Returns DNS_OK with *N >= 1, DNS_NOTFOUND, or DNS_TEMP. */
int dns_mx(const char *domain, struct dns_mx *mx, size_t max, size_t *n);

/* The addresses of HOST (a name or an address literal, brackets
 * allowed), IPv6 and IPv4 as the resolver orders them, into A (room for
 * MAX), with PORT set.  Returns DNS_OK with *N >= 1, DNS_NOTFOUND (no
 * such name, or no address for it), or DNS_TEMP. */
int dns_addrs(const char *host, unsigned port, struct dns_addr *a,
	size_t max, size_t *n);

#endif
