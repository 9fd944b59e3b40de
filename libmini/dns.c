/* dns: MX and address lookups through musl's resolver (see dns.h). */
#include "libmini.h"
#include "dns.h"
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

int dns_mx_parse(const unsigned char *msg, size_t len, struct dns_mx *mx,
	size_t max, size_t *n)
{
	ns_msg h;
	ns_rr rr;
	int i, count, rcode;
	size_t k;

	*n = 0;
	if (len < 12 || len > 65535 || ns_initparse(msg, (int)len, &h) < 0)
		return DNS_TEMP;
	/* RFC 1035 4.1.1: rcode 3 is "name error", the domain does not
	 * exist: permanent.  Any other error (2 SERVFAIL, 5 REFUSED) may
	 * pass. */
	rcode = msg[3] & 15;
	if (rcode == 3)
		return DNS_NOTFOUND;
	if (rcode != 0)
		return DNS_TEMP;
	count = ns_msg_count(h, ns_s_an);
	for (i = 0; i < count; i++) {
		struct dns_mx m;
		const unsigned char *rd;

		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return DNS_TEMP;
		/* A CNAME in front of the records is skipped (the
		 * resolver followed it). */
		if (ns_rr_type(rr) != ns_t_mx || ns_rr_class(rr) != ns_c_in)
			continue;
		rd = ns_rr_rdata(rr);
		if (ns_rr_rdlen(rr) < 3)
			return DNS_TEMP;
		m.pref = ns_get16(rd);
		if (dn_expand(msg, msg + len, rd + 2, m.host,
		    sizeof m.host) < 0)
			return DNS_TEMP;
		str_lower(m.host);
		k = strlen(m.host);
		if (k && m.host[k - 1] == '.')
			m.host[k - 1] = 0;
		if (*n == max)
			break;
		/* Insertion keeps equal preferences in answer order. */
		for (k = *n; k > 0 && mx[k - 1].pref > m.pref; k--)
			mx[k] = mx[k - 1];
		mx[k] = m;
		(*n)++;
	}
	return DNS_OK;
}

void dns_mx_shuffle(struct dns_mx *mx, size_t n, long (*rnd)(void))
{
	size_t start = 0, end, i, j;
	struct dns_mx t;

	if (!rnd)
		rnd = random;
	while (start < n) {
		for (end = start + 1; end < n && mx[end].pref ==
		    mx[start].pref; end++)
			;
		/* Fisher-Yates over [start, end). */
		for (i = end - 1; i > start; i--) {
			j = start + (size_t)rnd() % (i - start + 1);
			t = mx[i];
			mx[i] = mx[j];
			mx[j] = t;
		}
		start = end;
	}
}

int dns_mx(const char *domain, struct dns_mx *mx, size_t max, size_t *n)
{
	unsigned char q[300];
	unsigned char *ans;
	int ql, al, rc;

	*n = 0;
	if (!max || !*domain || strlen(domain) >= DNS_NAME_MAX)
		return DNS_NOTFOUND;
	ql = res_mkquery(0, domain, ns_c_in, ns_t_mx, NULL, 0, NULL, q,
		sizeof q);
	if (ql < 0)
		return DNS_NOTFOUND;	/* not a domain name at all */
	/* 64 KiB: the most a DNS message holds; heap, not bss. */
	ans = malloc(65536);
	if (!ans)
		return DNS_TEMP;
	/* res_send rather than res_query: it hands back the answer
	 * whatever its rcode, so dns_mx_parse tells NXDOMAIN from
	 * SERVFAIL; a timeout gives -1. */
	al = res_send(q, ql, ans, 65536);
	rc = al < 0 ? DNS_TEMP : dns_mx_parse(ans, (size_t)al, mx, max, n);
	free(ans);
	if (rc != DNS_OK)
		return rc;
	if (*n == 0) {
		/* RFC 5321 5.1: no MX, the domain is its own exchanger. */
		mx[0].pref = 0;
		str_lcpy(mx[0].host, domain, sizeof mx[0].host);
		str_lower(mx[0].host);
		*n = 1;
	}
	dns_mx_shuffle(mx, *n, NULL);
	return DNS_OK;
}

int dns_addrs(const char *host, unsigned port, struct dns_addr *a,
	size_t max, size_t *n)
{
	struct addrinfo hints, *res, *p;
	char name[DNS_NAME_MAX];
	size_t len;
	int rc;

	*n = 0;
	/* "[192.0.2.1]" and "[IPv6:2001:db8::1]" (RFC 5321 4.1.3). */
	if (*host == '[')
		host++;
	if (str_istarts(host, "IPv6:"))
		host += 5;
	len = str_lcpy(name, host, sizeof name);
	if (len >= sizeof name || !len)
		return DNS_NOTFOUND;
	if (name[len - 1] == ']')
		name[--len] = 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_NODATA)
		return DNS_NOTFOUND;
	if (rc != 0)
		return DNS_TEMP;
	for (p = res; p && *n < max; p = p->ai_next) {
		struct dns_addr *d = &a[*n];
		const void *ip;

		if ((p->ai_family != AF_INET && p->ai_family != AF_INET6) ||
		    p->ai_addrlen > sizeof d->sa)
			continue;
		memcpy(&d->sa, p->ai_addr, p->ai_addrlen);
		d->len = p->ai_addrlen;
		if (p->ai_family == AF_INET) {
			((struct sockaddr_in *)&d->sa)->sin_port =
				htons((unsigned short)port);
			ip = &((struct sockaddr_in *)&d->sa)->sin_addr;
		} else {
			((struct sockaddr_in6 *)&d->sa)->sin6_port =
				htons((unsigned short)port);
			ip = &((struct sockaddr_in6 *)&d->sa)->sin6_addr;
		}
		if (!inet_ntop(p->ai_family, ip, d->text, sizeof d->text))
			continue;
		(*n)++;
	}
	freeaddrinfo(res);
	return *n ? DNS_OK : DNS_NOTFOUND;
}
