/*
 * sendmail's address parser: RFC 5322 3.4 address lists as they appear
 * in To/Cc/Bcc and on the command line, reduced to addr-specs, and
 * sendmail's limits around the syntax check of one (addr_check, RFC 5321
 * 4.1.2, which smtpd's paths share).  Obsolete forms that still occur
 * are accepted: source routes (<@a,@b:u@c>, RFC 5322 4.4),
 * whitespace around dots, empty list elements.
 */
#include "sendmail.h"
#include <string.h>

int sm_addr_valid(const char *addr, char *err, size_t errmax)
{
	size_t len = strlen(addr), n, local;

	if (!len || len > SM_MAX_ADDR) {
		snprintf(err, errmax, len ? "address too long" :
			"empty address");
		return 0;
	}
	if (!str_utf8_valid(addr, len)) {
		snprintf(err, errmax, "address is not valid UTF-8");
		return 0;
	}
	/* the syntax is libmini's, smtpd's too (addr.h) */
	return addr_check(addr, "", &n, &local, err, errmax) == 0;
}

/* The list parser's state: the current element's text outside comments
 * (blanks dropped), the text inside <>, and whether <> was seen. */
struct alist {
	struct buf cur, angle;
	int in_angle, had_angle, in_group;
	int gap, spaced;		/* a blank between words of cur */
	int (*fn)(void *, const char *);
	void *ctx;
};

static int emit(struct alist *a, char *err, size_t errmax)
{
	const char *s;
	char *colon;

	if (a->had_angle) {
		s = buf_str(&a->angle);
		/* RFC 5322 4.4 obs-route: drop "@a,@b:" before the addr. */
		if (*s == '@' && (colon = strchr(s, ':')) != NULL)
			s = colon + 1;
		if (a->fn(a->ctx, s) < 0)
			return -1;
	} else if (a->cur.len) {
		/* "john doe@x" is no address (sendmail would guess
		 * john.doe@x; guessing a recipient is worse than asking). */
		if (a->spaced) {
			snprintf(err, errmax, "unquoted blank in address '%s'",
				buf_str(&a->cur));
			return -1;
		}
		if (a->fn(a->ctx, buf_str(&a->cur)) < 0)
			return -1;
	}
	a->gap = a->spaced = 0;
	buf_reset(&a->cur);
	buf_reset(&a->angle);
	a->had_angle = 0;
	return 0;
}

int sm_addr_list(const char *s, int (*fn)(void *ctx, const char *addr),
	void *ctx, char *err, size_t errmax)
{
	struct alist a;
	int rc = -1, depth;

	memset(&a, 0, sizeof a);
	buf_init(&a.cur, 4096);
	buf_init(&a.angle, 4096);
	a.fn = fn;
	a.ctx = ctx;
	err[0] = 0;
	while (*s) {
		struct buf *to = a.in_angle ? &a.angle : &a.cur;
		unsigned char c = *s;

		if (c == '(') {
			/* RFC 5322 3.2.2: comments nest, quoted-pair inside. */
			for (depth = 0; *s; s++) {
				if (*s == '\\' && s[1])
					s++;
				else if (*s == '(')
					depth++;
				else if (*s == ')' && --depth == 0)
					break;
			}
			if (!*s) {
				snprintf(err, errmax, "unbalanced '('");
				goto out;
			}
			s++;
			continue;
		}
		if (c == '"') {
			const char *start = s++;

			while (*s && *s != '"') {
				if (*s == '\\' && s[1])
					s++;
				s++;
			}
			if (!*s) {
				snprintf(err, errmax, "unbalanced '\"'");
				goto out;
			}
			s++;
			if (buf_add(to, start, s - start) < 0)
				goto toolong;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!a.in_angle && a.cur.len)
				a.gap = 1;
			s++;
			continue;
		}
		if (c == '<') {
			if (a.in_angle || a.had_angle) {
				snprintf(err, errmax, "unbalanced '<'");
				goto out;
			}
			a.in_angle = a.had_angle = 1;
			s++;
			continue;
		}
		if (c == '>') {
			if (!a.in_angle) {
				snprintf(err, errmax, "unbalanced '>'");
				goto out;
			}
			a.in_angle = 0;
			s++;
			continue;
		}
		if (!a.in_angle && c == ',') {
			if (emit(&a, err, errmax) < 0)
				goto out;
			s++;
			continue;
		}
		if (!a.in_angle && c == ':' && !a.had_angle) {
			/* A group's display name: "undisclosed:;". */
			if (a.in_group) {
				snprintf(err, errmax, "nested group");
				goto out;
			}
			buf_reset(&a.cur);
			a.in_group = 1;
			s++;
			continue;
		}
		if (!a.in_angle && c == ';' && a.in_group) {
			if (emit(&a, err, errmax) < 0)
				goto out;
			a.in_group = 0;
			s++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errmax, "control character in address");
			goto out;
		}
		if (to == &a.cur && a.gap && c != '.' && c != '@' &&
		    a.cur.p[a.cur.len - 1] != '.' &&
		    a.cur.p[a.cur.len - 1] != '@')
			a.spaced = 1;
		a.gap = 0;
		if (buf_addc(to, c) < 0)
			goto toolong;
		s++;
	}
	if (a.in_angle) {
		snprintf(err, errmax, "unbalanced '<'");
		goto out;
	}
	if (emit(&a, err, errmax) < 0)
		goto out;
	rc = 0;
	goto out;
toolong:
	snprintf(err, errmax, "address too long");
out:
	buf_free(&a.cur);
	buf_free(&a.angle);
	return rc;
}
