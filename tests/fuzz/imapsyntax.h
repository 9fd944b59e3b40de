/* imapsyntax.h: a strict checker of RFC 3501 9's formal syntax for what
 * imapmsg writes (body, envelope, strings), shared by the imapmsg fuzz
 * target and tests/unit/test_imapmsg.c.  Each check takes the text at
 * *P (up to E) and advances *P; 0 when it conforms, -1 when not. */
#ifndef IMAPSYNTAX_H
#define IMAPSYNTAX_H
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct syn {
	const char *p, *e;
	const char *str;	/* the last string's bytes */
	size_t slen;
};

static int syn_ch(struct syn *s, int c)
{
	if (s->p >= s->e || *s->p != c)
		return -1;
	s->p++;
	return 0;
}

static int syn_nil(struct syn *s)
{
	if (s->e - s->p >= 3 && memcmp(s->p, "NIL", 3) == 0) {
		s->p += 3;
		return 0;
	}
	return -1;
}

/* string = quoted / literal */
static int syn_string(struct syn *s)
{
	size_t n = 0;

	if (s->p < s->e && *s->p == '"') {
		s->str = ++s->p;
		for (; s->p < s->e && *s->p != '"'; s->p++) {
			unsigned char c = *s->p;

			if (c == 0 || c >= 0x80 || c == '\r' || c == '\n')
				return -1;
			if (c == '\\' && (++s->p >= s->e ||
					(*s->p != '"' && *s->p != '\\')))
				return -1;
		}
		s->slen = (size_t)(s->p - s->str);
		return syn_ch(s, '"');
	}
	if (syn_ch(s, '{') < 0 || s->p >= s->e || *s->p < '0' || *s->p > '9')
		return -1;
	while (s->p < s->e && *s->p >= '0' && *s->p <= '9')
		n = n * 10 + (size_t)(*s->p++ - '0');
	if (syn_ch(s, '}') < 0 || syn_ch(s, '\r') < 0 || syn_ch(s, '\n') < 0 ||
			(size_t)(s->e - s->p) < n || memchr(s->p, 0, n))
		return -1;
	s->str = s->p;
	s->slen = n;
	s->p += n;
	return 0;
}

static int syn_nstring(struct syn *s)
{
	return syn_nil(s) == 0 ? 0 : syn_string(s);
}

static int syn_number(struct syn *s)
{
	const char *b = s->p;

	while (s->p < s->e && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > b ? 0 : -1;
}

/* address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")" */
static int syn_addrs(struct syn *s)
{
	int i, n = 0;

	if (syn_nil(s) == 0)
		return 0;
	if (syn_ch(s, '(') < 0)
		return -1;
	while (s->p < s->e && *s->p == '(') {
		s->p++;
		for (i = 0; i < 4; i++)
			if ((i && syn_ch(s, ' ') < 0) || syn_nstring(s) < 0)
				return -1;
		if (syn_ch(s, ')') < 0)
			return -1;
		n++;
	}
	return n ? syn_ch(s, ')') : -1;
}

static int syn_envelope(struct syn *s)
{
	int i;

	if (syn_ch(s, '(') < 0)
		return -1;
	for (i = 0; i < 10; i++) {
		if (i && syn_ch(s, ' ') < 0)
			return -1;
		if ((i >= 2 && i <= 7 ? syn_addrs(s) : syn_nstring(s)) < 0)
			return -1;
	}
	return syn_ch(s, ')');
}

/* body-fld-param = "(" string SP string *(SP string SP string) ")" / nil */
static int syn_param(struct syn *s)
{
	if (syn_nil(s) == 0)
		return 0;
	if (syn_ch(s, '(') < 0)
		return -1;
	do {
		if (syn_string(s) < 0 || syn_ch(s, ' ') < 0 ||
				syn_string(s) < 0)
			return -1;
	} while (syn_ch(s, ' ') == 0);
	return syn_ch(s, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static int syn_ext(struct syn *s)
{
	if (syn_nil(s) < 0) {
		if (syn_ch(s, '(') < 0 || syn_string(s) < 0 ||
				syn_ch(s, ' ') < 0 || syn_param(s) < 0 ||
				syn_ch(s, ')') < 0)
			return -1;
	}
	if (syn_ch(s, ' ') < 0)
		return -1;
	if (s->p < s->e && *s->p == '(') {
		s->p++;
		do {
			if (syn_string(s) < 0)
				return -1;
		} while (syn_ch(s, ' ') == 0);
		if (syn_ch(s, ')') < 0)
			return -1;
	} else if (syn_nstring(s) < 0) {
		return -1;
	}
	return syn_ch(s, ' ') < 0 ? -1 : syn_nstring(s);
}

static int syn_is(const struct syn *s, const char *w)
{
	return s->slen == strlen(w) && strncasecmp(s->str, w, s->slen) == 0;
}

/* body (EXT: BODYSTRUCTURE's extension data is always written in full) */
static int syn_body(struct syn *s, int ext, int depth)
{
	int msg, text;

	if (depth > 64 || syn_ch(s, '(') < 0)
		return -1;
	if (s->p < s->e && *s->p == '(') {
		/* body-type-mpart = 1*body SP media-subtype [SP ext] */
		while (s->p < s->e && *s->p == '(')
			if (syn_body(s, ext, depth + 1) < 0)
				return -1;
		if (syn_ch(s, ' ') < 0 || syn_string(s) < 0)
			return -1;
		if (ext && (syn_ch(s, ' ') < 0 || syn_param(s) < 0 ||
				syn_ch(s, ' ') < 0 || syn_ext(s) < 0))
			return -1;
		return syn_ch(s, ')');
	}
	if (syn_string(s) < 0)
		return -1;
	msg = syn_is(s, "message");
	text = syn_is(s, "text");
	if (syn_ch(s, ' ') < 0 || syn_string(s) < 0)
		return -1;
	msg = msg && syn_is(s, "rfc822");
	/* body-fields */
	if (syn_ch(s, ' ') < 0 || syn_param(s) < 0 || syn_ch(s, ' ') < 0 ||
			syn_nstring(s) < 0 || syn_ch(s, ' ') < 0 ||
			syn_nstring(s) < 0 || syn_ch(s, ' ') < 0 ||
			syn_string(s) < 0 || syn_ch(s, ' ') < 0 ||
			syn_number(s) < 0)
		return -1;
	if (msg && (syn_ch(s, ' ') < 0 || syn_envelope(s) < 0 ||
			syn_ch(s, ' ') < 0 || syn_body(s, ext, depth + 1) < 0))
		return -1;
	if ((msg || text) && (syn_ch(s, ' ') < 0 || syn_number(s) < 0))
		return -1;
	if (ext && (syn_ch(s, ' ') < 0 || syn_nstring(s) < 0 ||
			syn_ch(s, ' ') < 0 || syn_ext(s) < 0))
		return -1;
	return syn_ch(s, ')');
}

/* Whether the N bytes at P are exactly one body (ENVELOPE 0) or one
 * envelope (ENVELOPE 1). */
static int syn_check(const char *p, size_t n, int ext, int envelope)
{
	struct syn s = { p, p + n, NULL, 0 };

	if ((envelope ? syn_envelope(&s) : syn_body(&s, ext, 0)) < 0)
		return -1;
	return s.p == s.e ? 0 : -1;
}
#endif
