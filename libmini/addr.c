/* addr: one mailbox address's syntax (see addr.h). */
#include "libmini.h"
#include <string.h>

static int is_atext(unsigned char c)
{
	/* RFC 5322 3.2.3 atext, plus UTF-8 (RFC 6532 3.2) */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c >= 0x80 ||
		(c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int is_end(char c, const char *ends)
{
	return !c || strchr(ends, c);
}

/* The local part at S: its length, or -1 with ERR. */
static int local_part(const char *s, const char *ends, char *err,
	size_t errmax)
{
	const char *p = s;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				str_seterr(err, errmax, "control character "
					"in address");
				return -1;
			}
		}
		if (*p != '"') {
			str_seterr(err, errmax, "unbalanced '\"'");
			return -1;
		}
		p++;
		if (*p != '@' && !is_end(*p, ends)) {
			str_seterr(err, errmax, "invalid character after the "
				"quoted local part");
			return -1;
		}
		return (int)(p - s);
	}
	/* RFC 5321 4.1.2 Dot-string: atoms, one '.' between two */
	for (; *p != '@' && !is_end(*p, ends); p++) {
		if (*p == '.' && (p == s || p[1] == '.' || p[1] == '@' ||
		    is_end(p[1], ends))) {
			str_seterr(err, errmax, "misplaced '.' in local part");
			return -1;
		}
		if (*p != '.' && !is_atext((unsigned char)*p)) {
			str_seterr(err, errmax, "invalid character '%s%c' in "
				"address", (unsigned char)*p < 0x20 ? "^" : "",
				(unsigned char)*p < 0x20 ? *p + '@' : *p);
			return -1;
		}
	}
	if (p == s) {
		str_seterr(err, errmax, "user address required");
		return -1;
	}
	return (int)(p - s);
}

/* The domain at DOM (after the '@'): its length, or -1 with ERR. */
static int domain(const char *dom, const char *ends, char *err,
	size_t errmax)
{
	const char *p;

	if (is_end(*dom, ends)) {
		str_seterr(err, errmax, "domain required after '@'");
		return -1;
	}
	if (*dom == '[') {
		/* RFC 5321 4.1.3 address literal: checked for shape only */
		size_t n = strspn(dom + 1, "0123456789abcdefABCDEF.:IPv");

		if (n == 0 || dom[1 + n] != ']' || !is_end(dom[2 + n], ends)) {
			str_seterr(err, errmax, "bad address literal");
			return -1;
		}
		return (int)n + 2;
	}
	for (p = dom; !is_end(*p, ends); p++) {
		unsigned char c = *p;

		if (c == '.' && (p == dom || p[1] == '.' ||
		    is_end(p[1], ends))) {
			/* a trailing dot (FQDN form) is fine */
			if (is_end(p[1], ends) && p != dom && p[-1] != '.')
				continue;
			str_seterr(err, errmax, "misplaced '.' in domain");
			return -1;
		}
		if (!(c == '.' || c == '-' || c == '_' || c >= 0x80 ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9'))) {
			str_seterr(err, errmax, "invalid character in domain");
			return -1;
		}
	}
	return (int)(p - dom);
}

int addr_check(const char *s, const char *ends, size_t *len, size_t *local,
	char *err, size_t errmax)
{
	int l = local_part(s, ends, err, errmax), d = 0;

	if (l < 0)
		return -1;
	if (s[l] == '@' && (d = domain(s + l + 1, ends, err, errmax)) < 0)
		return -1;
	*local = (size_t)l;
	*len = (size_t)l + (s[l] == '@' ? 1 + (size_t)d : 0);
	return 0;
}

const char *addr_domain(const char *addr)
{
	const char *p = addr, *at = NULL;
	int q = 0;

	for (; *p; p++) {
		if (*p == '\\' && q && p[1])
			p++;
		else if (*p == '"')
			q = !q;
		else if (*p == '@' && !q)
			at = p;
	}
	return at ? at + 1 : NULL;
}

