/*
 * imapmsg: ENVELOPE, BODYSTRUCTURE, BODY[section], SEARCH matching and
 * dates of one message for imapd (RFC 3501; see imapmsg.h).
 *
 * The message is never copied or indexed: each function walks the bytes
 * it needs.  An entity (the message, a MIME part, the message inside a
 * message/rfc822 part) is a (pointer, length) view with its header
 * section and its body; multipart bodies are split at their boundaries
 * as they are read, so the only state is a small struct per nesting
 * level, and the nesting is bounded by MSG_DEPTH_MAX.
 */
#define _GNU_SOURCE
#include "libmini.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* --- IMAP strings --- */

/* Turns the bytes of OUT from START on into one IMAP string, in place: a
 * quoted string when they are 7-bit without CR or LF, else a literal
 * (RFC 3501 4.3, 9: quoted, literal); NULs, allowed in neither, go. */
static int fix_str(struct buf *out, size_t start)
{
	size_t i, o, len, esc = 0, newlen;
	unsigned char c;
	char pre[32];
	int lit = 0, pl;

	for (i = o = start; i < out->len; i++)
		if (out->p[i])
			out->p[o++] = out->p[i];
	out->len = o;
	for (i = start; i < out->len; i++) {
		c = out->p[i];
		if (c >= 0x80 || c == '\r' || c == '\n')
			lit = 1;
		else if (c == '"' || c == '\\')
			esc++;
	}
	len = out->len - start;
	if (lit) {
		pl = snprintf(pre, sizeof pre, "{%zu}\r\n", len);
		if (buf_reserve(out, pl) < 0)
			return -1;
		memmove(out->p + start + pl, out->p + start, len);
		memcpy(out->p + start, pre, pl);
		out->len += pl;
		out->p[out->len] = 0;
		return 0;
	}
	if (buf_reserve(out, esc + 2) < 0)
		return -1;
	/* from the end backwards, so nothing is overwritten before use */
	newlen = out->len + esc + 2;
	o = newlen;
	out->p[--o] = '"';
	for (i = out->len; i > start; ) {
		c = out->p[--i];
		out->p[--o] = c;
		if (c == '"' || c == '\\')
			out->p[--o] = '\\';
	}
	out->p[--o] = '"';
	out->len = newlen;
	out->p[out->len] = 0;
	return 0;
}

int imapmsg_quote(struct buf *out, const char *s, size_t n)
{
	size_t start = out->len;

	if (!s)
		return buf_adds(out, "NIL");
	if (buf_add(out, s, n) < 0)
		return -1;
	return fix_str(out, start);
}

/* Appends the N bytes at S without CR and LF (RFC 5322 2.2.3 unfolding). */
static int add_unfolded(struct buf *out, const char *s, size_t n)
{
	size_t i, j;

	if (buf_reserve(out, n) < 0)
		return -1;
	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n && s[j] != '\r' && s[j] != '\n'; j++)
			;
		memcpy(out->p + out->len, s + i, j - i);
		out->len += j - i;
	}
	out->p[out->len] = 0;
	return 0;
}

/* S (N bytes) unfolded as an IMAP string; NIL when S is NULL. */
static int put_nstr(struct buf *out, const char *s, size_t n)
{
	size_t start = out->len;

	if (!s)
		return buf_adds(out, "NIL");
	if (add_unfolded(out, s, n) < 0)
		return -1;
	return fix_str(out, start);
}

/* --- header sections --- */

/* One field: NAME (NLEN 0 for a line without a colon), its VALUE from
 * after the colon and blanks to before the last line end, and the RAW
 * bytes, continuation lines and the last line end included. */
struct fld {
	const char *name, *val, *raw;
	size_t nlen, vlen, rawlen;
};

/* The size of the header section at the start of the N bytes at P: up to
 * and with the first empty line (RFC 5322 2.1), all of it when there is
 * none, at most MSG_HSIZE_MAX bytes (as msg_headers). */
static size_t hdr_size(const char *p, size_t n)
{
	size_t lim = n < MSG_HSIZE_MAX ? n : MSG_HSIZE_MAX, i = 0;
	const char *nl;

	while (i < lim) {
		if (p[i] == '\n')
			return i + 1;
		if (p[i] == '\r' && i + 1 < lim && p[i + 1] == '\n')
			return i + 2;
		if (!(nl = memchr(p + i, '\n', lim - i)))
			break;
		i = (size_t)(nl - p) + 1;
	}
	return lim;
}

/* The field at *POS of the header H (HLEN bytes): 1 with F set and *POS
 * past it, 0 at the end of the section. */
static int fld_next(const char *h, size_t hlen, size_t *pos, struct fld *f)
{
	size_t i = *pos, s = *pos, e, k, ne;
	const char *nl;

	if (i >= hlen || h[i] == '\n' ||
			(h[i] == '\r' && i + 1 < hlen && h[i + 1] == '\n'))
		return 0;
	/* the line, and the ones that continue it (RFC 5322 2.2.3) */
	do {
		nl = memchr(h + i, '\n', hlen - i);
		i = nl ? (size_t)(nl - h) + 1 : hlen;
	} while (i < hlen && is_blank(h[i]));
	*pos = i;
	f->raw = h + s;
	f->rawlen = i - s;
	e = i;
	if (e > s && h[e - 1] == '\n')
		e--;
	if (e > s && h[e - 1] == '\r')
		e--;
	for (k = s; k < e && h[k] != ':' && h[k] != '\n'; k++)
		;
	if (k < e && h[k] == ':') {
		for (ne = k; ne > s && is_blank(h[ne - 1]); ne--)
			;
		f->name = h + s;
		f->nlen = ne - s;
		for (k++; k < e && is_ws(h[k]); k++)
			;
	} else {
		f->name = h + s;
		f->nlen = 0;
		k = s;
	}
	f->val = h + k;
	f->vlen = e - k;
	return 1;
}

static int name_is(const struct fld *f, const char *name, size_t len)
{
	return f->nlen == len && strncasecmp(f->name, name, len) == 0;
}

/* The first field NAME of the header H: 1 with F set, or 0. */
static int fld_find(const char *h, size_t hlen, const char *name,
	struct fld *f)
{
	size_t pos = 0, len = strlen(name);

	while (fld_next(h, hlen, &pos, f))
		if (name_is(f, name, len))
			return 1;
	return 0;
}

/* The value of field NAME as an nstring, NIL when absent. */
static int put_field(struct buf *out, const char *h, size_t hlen,
	const char *name)
{
	struct fld f;

	if (!fld_find(h, hlen, name, &f))
		return buf_adds(out, "NIL");
	return put_nstr(out, f.val, f.vlen);
}

/* --- addresses (RFC 5322 3.4, 4.4) for ENVELOPE --- */

enum { T_END, T_ATOM, T_QUOTED, T_DLIT, T_SPEC };

struct lex {
	const char *p;
	size_t n, i;
	const char *cmt;	/* the text of the last comment passed */
	size_t clen;
};

struct tok {
	int type, ws;		/* ws: a blank or comment came before */
	const char *s;		/* a quoted string: inside the quotes */
	size_t len;
};

static int addr_special(int c)
{
	return c && strchr("<>:;@\\,.)]", c) != NULL;
}

static void lex_next(struct lex *l, struct tok *t)
{
	const char *p = l->p;
	size_t i = l->i, s, depth;

	t->ws = 0;
	for (;;) {
		while (i < l->n && is_ws(p[i]))
			i++, t->ws = 1;
		if (i >= l->n || p[i] != '(')
			break;
		/* RFC 5322 3.2.2: comments nest, and quote with '\' */
		t->ws = 1;
		s = ++i;
		for (depth = 1; i < l->n; i++) {
			if (p[i] == '\\' && i + 1 < l->n)
				i++;
			else if (p[i] == '(')
				depth++;
			else if (p[i] == ')' && --depth == 0)
				break;
		}
		l->cmt = p + s;
		l->clen = i - s;
		if (i < l->n)
			i++;
	}
	t->s = p + i;
	t->len = 0;
	if (i >= l->n) {
		t->type = T_END;
	} else if (p[i] == '"') {
		for (s = ++i; i < l->n && p[i] != '"'; i++)
			if (p[i] == '\\' && i + 1 < l->n)
				i++;
		t->type = T_QUOTED;
		t->s = p + s;
		t->len = i - s;
		if (i < l->n)
			i++;
	} else if (p[i] == '[') {
		for (s = i; i < l->n && p[i] != ']'; i++)
			if (p[i] == '\\' && i + 1 < l->n)
				i++;
		if (i < l->n)
			i++;
		t->type = T_DLIT;
		t->len = i - s;
	} else if (addr_special(p[i])) {
		t->type = T_SPEC;
		t->len = 1;
		i++;
	} else {
		for (s = i; i < l->n && !is_ws(p[i]) && p[i] != '(' &&
				p[i] != '"' && p[i] != '[' &&
				!addr_special(p[i]); i++)
			;
		t->type = T_ATOM;
		t->len = i - s;
	}
	l->i = i;
}

static int is_spec(const struct tok *t, int c)
{
	return t->type == T_SPEC && *t->s == c;
}

/* A word of a phrase, local part or domain: atom, quoted string,
 * domain literal or dot (RFC 5322 4.1 allows dots in phrases). */
static int is_word(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QUOTED ||
		t->type == T_DLIT || is_spec(t, '.');
}

/* Appends N bytes at S with quoted-pairs undone and CR, LF dropped. */
static int add_unquoted(struct buf *out, const char *s, size_t n)
{
	size_t i;

	if (buf_reserve(out, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		if (s[i] != '\r' && s[i] != '\n')
			out->p[out->len++] = s[i];
	}
	out->p[out->len] = 0;
	return 0;
}

/* The tokens from lexer state L to END as one IMAP string (SPACED: one
 * blank where the source had blanks or comments, for a phrase; else
 * joined, for a local part or domain), or DFLT (NULL: NIL) when empty. */
static int put_words(struct buf *out, struct lex l, const char *end,
	int spaced, const char *dflt)
{
	struct tok t;
	size_t start = out->len;
	int first = 1;

	for (;;) {
		lex_next(&l, &t);
		if (t.type == T_END || t.s >= end)
			break;
		if (spaced && t.ws && !first && buf_addc(out, ' ') < 0)
			return -1;
		first = 0;
		if (t.type == T_QUOTED) {
			if (add_unquoted(out, t.s, t.len) < 0)
				return -1;
		} else if (buf_add(out, t.s, t.len) < 0) {
			return -1;
		}
	}
	if (out->len == start) {
		if (!dflt)
			return buf_adds(out, "NIL");
		return buf_printf(out, "\"%s\"", dflt);
	}
	return fix_str(out, start);
}

static int put_comment(struct buf *out, const char *c, size_t n)
{
	size_t start = out->len;

	if (!c)
		n = 0;
	while (n && is_ws(*c))
		c++, n--;
	while (n && is_ws(c[n - 1]))
		n--;
	if (!n)
		return buf_adds(out, "NIL");
	if (add_unquoted(out, c, n) < 0)
		return -1;
	return fix_str(out, start);
}

/* Dovecot's names for the parts an address lacks, so that a host of NIL
 * keeps meaning a group marker (RFC 3501 7.4.2). */
#define MISSING_MAILBOX	"MISSING_MAILBOX"
#define MISSING_DOMAIN	"MISSING_DOMAIN"

/*
 * After '<' at lexer L: "[route:] local@domain >".  Appends
 * (name adl mailbox host) with the name from the phrase at PH up to PEND.
 */
static int put_angle(struct buf *out, struct lex *l, struct lex ph,
	const char *pend)
{
	struct lex r = *l, lp, dom;
	struct tok t;
	const char *rend = NULL, *lend, *dend;
	int has_route = 0;

	if (buf_addc(out, '(') < 0 || put_words(out, ph, pend, 1, NULL) < 0 ||
			buf_addc(out, ' ') < 0)
		return -1;
	/* RFC 5322 4.4: obs-route "@a,@b:" */
	lex_next(l, &t);
	if (is_spec(&t, '@')) {
		struct lex k = *l;

		/* only "@", "," and domains: one scan per '<' at most */
		for (;;) {
			lex_next(&k, &t);
			if (!is_word(&t) && !is_spec(&t, '@') &&
					!is_spec(&t, ',') && !is_spec(&t, ':'))
				break;
			if (is_spec(&t, ':')) {
				rend = t.s;
				has_route = 1;
				*l = k;
				break;
			}
		}
	}
	if (has_route) {
		if (put_words(out, r, rend, 0, NULL) < 0)
			return -1;
	} else {
		*l = r;
		if (buf_adds(out, "NIL") < 0)
			return -1;
	}
	lp = *l;
	do {
		lex_next(l, &t);
	} while (t.type != T_END && !is_spec(&t, '@') && !is_spec(&t, '>') &&
		!is_spec(&t, ','));
	lend = t.s;
	dom = *l;
	dend = t.s;
	if (is_spec(&t, '@')) {
		do {
			lex_next(l, &t);
		} while (t.type != T_END && !is_spec(&t, '>') &&
			!is_spec(&t, ','));
		dend = t.s;
	} else {
		dom.i = dom.n;
	}
	if (is_spec(&t, ',')) {
		/* no '>': the ',' is the next address's */
		l->i = (size_t)(t.s - l->p);
	}
	if (buf_addc(out, ' ') < 0 ||
			put_words(out, lp, lend, 0, MISSING_MAILBOX) < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_words(out, dom, dend, 0, MISSING_DOMAIN) < 0)
		return -1;
	return buf_addc(out, ')');
}

/* The address list V (VLEN bytes) as ((...)(...)), or NIL when it has no
 * address; groups as RFC 3501 7.4.2 marks them. */
static int put_addrs(struct buf *out, const char *v, size_t vlen)
{
	struct lex l = { v, vlen, 0, NULL, 0 }, l0, peek;
	struct tok t;
	size_t start = out->len, count = 0;
	int group = 0;

	if (buf_addc(out, '(') < 0)
		return -1;
	for (;;) {
		l.cmt = NULL;
		l.clen = 0;
		l0 = l;
		lex_next(&l, &t);
		if (t.type == T_END)
			break;
		if (is_spec(&t, ';') && group) {
			if (buf_adds(out, "(NIL NIL NIL NIL)") < 0)
				return -1;
			group = 0;
			count++;
			continue;
		}
		if (!is_word(&t) && !is_spec(&t, '<') && !is_spec(&t, '@') &&
				!is_spec(&t, ':'))
			continue;	/* ',', or something stray */
		while (is_word(&t))
			lex_next(&l, &t);
		/* T ends the phrase or local part that began at L0 */
		if (is_spec(&t, '<')) {
			if (put_angle(out, &l, l0, t.s) < 0)
				return -1;
			count++;
		} else if (is_spec(&t, ':') && !group) {
			/* RFC 5322 3.4: "display-name: list;" */
			if (buf_adds(out, "(NIL NIL ") < 0 ||
					put_words(out, l0, t.s, 1, "") < 0 ||
					buf_adds(out, " NIL)") < 0)
				return -1;
			group = 1;
			count++;
		} else if (is_spec(&t, '@')) {
			const char *lend = t.s;
			struct lex dom = l;

			for (;;) {
				peek = l;
				lex_next(&peek, &t);
				if (!is_word(&t))
					break;
				l = peek;
			}
			/* "a@b (Name)": the comment names the mailbox */
			if (buf_addc(out, '(') < 0 ||
					put_comment(out, peek.cmt,
					peek.clen) < 0 ||
					buf_adds(out, " NIL ") < 0 ||
					put_words(out, l0, lend, 0,
					MISSING_MAILBOX) < 0 ||
					buf_addc(out, ' ') < 0 ||
					put_words(out, dom, t.s, 0,
					MISSING_DOMAIN) < 0 ||
					buf_addc(out, ')') < 0)
				return -1;
			count++;
		} else if (l0.i < (size_t)(t.s - v) && (t.type == T_END ||
				is_spec(&t, ',') || is_spec(&t, ';'))) {
			/* a local part without a domain */
			if (buf_addc(out, '(') < 0 ||
					put_comment(out, l.cmt, l.clen) < 0 ||
					buf_adds(out, " NIL ") < 0 ||
					put_words(out, l0, t.s, 0,
					MISSING_MAILBOX) < 0 ||
					buf_adds(out, " \"" MISSING_DOMAIN
					"\")") < 0)
				return -1;
			count++;
			/* the ';' or the end is looked at again */
			l.i = (size_t)(t.s - v);
			if (t.type == T_END)
				break;
		}
	}
	if (group) {
		if (buf_adds(out, "(NIL NIL NIL NIL)") < 0)
			return -1;
		count++;
	}
	if (!count) {
		out->len = start;
		return buf_adds(out, "NIL");
	}
	return buf_addc(out, ')');
}

/* Field NAME as an address list; NIL when absent or without addresses. */
static int put_addr_field(struct buf *out, const char *h, size_t hlen,
	const char *name)
{
	struct fld f;

	if (!fld_find(h, hlen, name, &f))
		return buf_adds(out, "NIL");
	return put_addrs(out, f.val, f.vlen);
}

/* Sender and Reply-To: FROM's list when absent or empty (RFC 3501 7.4.2). */
static int put_addr_dflt(struct buf *out, const char *h, size_t hlen,
	const char *name)
{
	size_t start = out->len;

	if (put_addr_field(out, h, hlen, name) < 0)
		return -1;
	if (out->len - start == 3 && memcmp(out->p + start, "NIL", 3) == 0) {
		out->len = start;
		return put_addr_field(out, h, hlen, "From");
	}
	return 0;
}

/* The envelope of the message whose header is H (HLEN bytes). */
static int put_envelope(struct buf *out, const char *h, size_t hlen)
{
	if (buf_addc(out, '(') < 0 ||
			put_field(out, h, hlen, "Date") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_field(out, h, hlen, "Subject") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_addr_field(out, h, hlen, "From") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_addr_dflt(out, h, hlen, "Sender") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_addr_dflt(out, h, hlen, "Reply-To") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_addr_field(out, h, hlen, "To") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_addr_field(out, h, hlen, "Cc") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_addr_field(out, h, hlen, "Bcc") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_field(out, h, hlen, "In-Reply-To") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_field(out, h, hlen, "Message-ID") < 0)
		return -1;
	return buf_addc(out, ')');
}

int imapmsg_envelope(struct buf *out, const char *p, size_t n)
{
	return put_envelope(out, p, hdr_size(p, n));
}

/* --- MIME entities --- */

#define BOUNDARY_MAX	200	/* RFC 2046 5.1.1 says 70; as msg.c */
#define PRM_MAX		32	/* parameters read per field */

enum { K_LEAF, K_MULTI, K_MSG };

/* One entity: the message, a part, or the message in a message/rfc822. */
struct ent {
	const char *p, *body;
	size_t n, hlen, blen;
	const char *ct;		/* Content-Type's value, NULL: the default */
	size_t ctlen, prm;	/* its length; where its parameters start */
	const char *type, *sub;
	size_t tlen, slen;
	int kind, text, digest;
	char bnd[BOUNDARY_MAX + 1];
	size_t bl;
};

/* RFC 2045 5.1 tspecials; 8-bit bytes are let into tokens. */
static int is_tspecial(int c)
{
	return c && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static size_t token_end(const char *p, size_t n, size_t i)
{
	while (i < n && (unsigned char)p[i] > 32 && p[i] != 127 &&
			!is_tspecial(p[i]))
		i++;
	return i;
}

/* Past blanks, line ends and comments from I. */
static size_t skip_cfws(const char *p, size_t n, size_t i)
{
	size_t depth;

	for (;;) {
		while (i < n && is_ws(p[i]))
			i++;
		if (i >= n || p[i] != '(')
			return i;
		for (depth = 0; i < n; i++) {
			if (p[i] == '\\' && i + 1 < n)
				i++;
			else if (p[i] == '(')
				depth++;
			else if (p[i] == ')' && --depth == 0)
				break;
		}
		if (i < n)
			i++;
	}
}

/* Past the quoted string that opens at I. */
static size_t skip_quoted(const char *p, size_t n, size_t i)
{
	for (i++; i < n && p[i] != '"'; i++)
		if (p[i] == '\\' && i + 1 < n)
			i++;
	return i < n ? i + 1 : n;
}

/* One parameter; SECT >= 0 for an RFC 2231 3 section "name*N[*]", its
 * base name being the first BLEN bytes; EXT for "*" (charset'lang'). */
struct prm {
	const char *name, *val;
	size_t nlen, vlen, blen;
	int quoted, sect, ext;
};

/* The parameters of the structured field value V (N bytes) from I on,
 * into PM (at most MAX); returns their count. */
static size_t prm_parse(const char *v, size_t n, size_t i, struct prm *pm,
	size_t max)
{
	size_t np = 0, s, ne, k;
	struct prm *m;

	while (i < n && np < max) {
		while (i < n && v[i] != ';') {
			if (v[i] == '"')
				i = skip_quoted(v, n, i);
			else if (v[i] == '(')
				i = skip_cfws(v, n, i);
			else
				i++;
		}
		if (i >= n)
			break;
		i = skip_cfws(v, n, i + 1);
		ne = token_end(v, n, s = i);
		if (ne == s)
			continue;
		i = skip_cfws(v, n, ne);
		if (i >= n || v[i] != '=')
			continue;
		i = skip_cfws(v, n, i + 1);
		m = &pm[np];
		m->name = v + s;
		m->nlen = ne - s;
		if (i < n && v[i] == '"') {
			k = skip_quoted(v, n, i);
			m->val = v + i + 1;
			m->vlen = k - i - 1 - (k > i + 1 && v[k - 1] == '"' &&
				k - i >= 2);
			m->quoted = 1;
			i = k;
		} else {
			k = token_end(v, n, i);
			m->val = v + i;
			m->vlen = k - i;
			m->quoted = 0;
			i = k;
		}
		m->sect = -1;
		m->ext = 0;
		m->blen = m->nlen;
		/* RFC 2231 3, 4: name*N, name*N*, name* */
		for (k = 0; k < m->nlen && m->name[k] != '*'; k++)
			;
		if (k < m->nlen && k > 0) {
			size_t j = k + 1;
			unsigned long sect = 0;

			while (j < m->nlen && m->name[j] >= '0' &&
					m->name[j] <= '9' && sect < 1000)
				sect = sect * 10 + (m->name[j++] - '0');
			if (j > k + 1 && (j == m->nlen || (j + 1 == m->nlen &&
					m->name[j] == '*')) && sect < 1000) {
				m->sect = (int)sect;
				m->ext = j < m->nlen;
				m->blen = k;
			}
		}
		np++;
	}
	return np;
}

/* Whether M is the plain parameter NAME (ASCII case ignored). */
static int prm_named(const struct prm *m, const char *name)
{
	return m->sect < 0 && m->nlen == strlen(name) &&
		strncasecmp(m->name, name, m->nlen) == 0;
}

/* Copies parameter NAME of the field value V (from I on) unquoted into
 * DST (MAX bytes); 1 when found and it fits, else 0. */
static int prm_get(const char *v, size_t n, size_t i, const char *name,
	char *dst, size_t max)
{
	struct prm pm[PRM_MAX];
	size_t np = prm_parse(v, n, i, pm, PRM_MAX), k, j, o;

	for (k = 0; k < np; k++) {
		if (!prm_named(&pm[k], name))
			continue;
		for (j = o = 0; j < pm[k].vlen; j++) {
			if (pm[k].quoted && pm[k].val[j] == '\\' &&
					j + 1 < pm[k].vlen)
				j++;
			if (o + 1 >= max)
				return 0;
			dst[o++] = pm[k].val[j];
		}
		dst[o] = 0;
		return 1;
	}
	return 0;
}

static int add_prm_val(struct buf *out, const struct prm *m)
{
	if (m->quoted)
		return add_unquoted(out, m->val, m->vlen);
	return buf_add(out, m->val, m->vlen);
}

/* A plain section's value joined to extended ones: unquoted, each byte
 * but an RFC 2231 7 attribute-char as %XX. */
static int add_pct(struct buf *out, const struct prm *m)
{
	size_t i;
	unsigned char c;
	int r;

	for (i = 0; i < m->vlen; i++) {
		c = m->val[i];
		if (m->quoted && c == '\\' && i + 1 < m->vlen)
			c = m->val[++i];
		if (c == '\r' || c == '\n')
			continue;
		if (c > 32 && c < 127 && c != '*' && c != '\'' && c != '%' &&
				!is_tspecial(c))
			r = buf_addc(out, c);
		else
			r = buf_printf(out, "%%%02X", c);
		if (r < 0)
			return -1;
	}
	return 0;
}

/*
 * The parameter list of field value V (N bytes, from I) as
 * ("name" "value" ...), NIL when empty: plain parameters in order, then
 * the RFC 2231 sections of each name joined ("name", or "name*" with
 * charset'lang' when a section is extended, as Dovecot shows them); with
 * CHARSET, "charset" "us-ascii" is added when absent (RFC 2045 5.2).
 */
static int put_params(struct buf *out, const char *v, size_t n, size_t i,
	int charset)
{
	struct prm pm[PRM_MAX];
	unsigned char used[PRM_MAX];
	size_t np = v ? prm_parse(v, n, i, pm, PRM_MAX) : 0, k, j, start;
	size_t count = 0;
	int ext, sect, found;

	memset(used, 0, sizeof used);
	if (buf_addc(out, '(') < 0)
		return -1;
	for (k = 0; k < np; k++) {
		if (pm[k].sect >= 0)
			continue;
		if (prm_named(&pm[k], "charset"))
			charset = 0;
		if ((count++ && buf_addc(out, ' ') < 0) ||
				imapmsg_quote(out, pm[k].name,
				pm[k].nlen) < 0 ||
				buf_addc(out, ' ') < 0)
			return -1;
		start = out->len;
		if (add_prm_val(out, &pm[k]) < 0 || fix_str(out, start) < 0)
			return -1;
	}
	for (k = 0; k < np; k++) {
		if (pm[k].sect < 0 || used[k])
			continue;
		for (ext = 0, j = k; j < np; j++)
			if (pm[j].sect >= 0 && pm[j].blen == pm[k].blen &&
					strncasecmp(pm[j].name, pm[k].name,
					pm[k].blen) == 0)
				ext |= pm[j].ext;
		if (count++ && buf_addc(out, ' ') < 0)
			return -1;
		start = out->len;
		if (buf_add(out, pm[k].name, pm[k].blen) < 0 ||
				(ext && buf_addc(out, '*') < 0) ||
				fix_str(out, start) < 0 ||
				buf_addc(out, ' ') < 0)
			return -1;
		start = out->len;
		/* sections 0, 1, 2... up to the first one missing */
		for (sect = 0, found = 1; found; sect++) {
			found = 0;
			for (j = k; j < np; j++) {
				if (pm[j].sect != sect || used[j] ||
						pm[j].blen != pm[k].blen ||
						strncasecmp(pm[j].name,
						pm[k].name, pm[k].blen))
					continue;
				used[j] = 1;
				found = 1;
				if (ext && sect == 0 && !pm[j].ext &&
						buf_adds(out, "''") < 0)
					return -1;
				if ((ext && !pm[j].ext ? add_pct(out, &pm[j]) :
						add_prm_val(out, &pm[j])) < 0)
					return -1;
				break;
			}
		}
		used[k] = 1;
		if (fix_str(out, start) < 0)
			return -1;
	}
	if (charset && ((count++ && buf_addc(out, ' ') < 0) ||
			buf_adds(out, "\"charset\" \"us-ascii\"") < 0))
		return -1;
	if (!count) {
		out->len--;
		return buf_adds(out, "NIL");
	}
	return buf_addc(out, ')');
}

/* Parses the entity at P (N bytes); DIGEST: its parent is a
 * multipart/digest, so its default type is message/rfc822 (RFC 2046
 * 5.1.5).  A missing or malformed Content-Type gives the default (RFC
 * 2045 5.2). */
static void ent_parse(struct ent *e, const char *p, size_t n, int digest)
{
	struct fld f;
	size_t i, te, j, se;

	memset(e, 0, offsetof(struct ent, bnd));
	e->bnd[0] = 0;
	e->p = p;
	e->n = n;
	e->hlen = hdr_size(p, n);
	e->body = p + e->hlen;
	e->blen = n - e->hlen;
	if (fld_find(p, e->hlen, "Content-Type", &f)) {
		const char *v = f.val;
		size_t vl = f.vlen;

		i = skip_cfws(v, vl, 0);
		te = token_end(v, vl, i);
		j = skip_cfws(v, vl, te);
		if (te > i && j < vl && v[j] == '/') {
			j = skip_cfws(v, vl, j + 1);
			se = token_end(v, vl, j);
			if (se > j) {
				e->ct = v;
				e->ctlen = vl;
				e->prm = se;
				e->type = v + i;
				e->tlen = te - i;
				e->sub = v + j;
				e->slen = se - j;
			}
		}
	}
	if (!e->ct) {
		e->type = digest ? "message" : "text";
		e->sub = digest ? "rfc822" : "plain";
		e->tlen = strlen(e->type);
		e->slen = strlen(e->sub);
	}
	e->text = e->tlen == 4 && strncasecmp(e->type, "text", 4) == 0;
	if (e->tlen == 9 && strncasecmp(e->type, "multipart", 9) == 0) {
		e->kind = K_MULTI;
		e->digest = e->slen == 6 && strncasecmp(e->sub, "digest",
			6) == 0;
		if (prm_get(e->ct, e->ctlen, e->prm, "boundary", e->bnd,
				sizeof e->bnd))
			e->bl = strlen(e->bnd);
	} else if (e->tlen == 7 && strncasecmp(e->type, "message", 7) == 0 &&
			e->slen == 6 && strncasecmp(e->sub, "rfc822", 6) == 0) {
		e->kind = K_MSG;
	}
}

/* A multipart body being split into its parts (RFC 2046 5.1.1). */
struct mp {
	const char *p, *b;
	size_t n, i, bl;
	int state;		/* 0 before the first delimiter, 1 in, 2 done */
};

static void mp_init(struct mp *m, const struct ent *e)
{
	m->p = e->body;
	m->n = e->blen;
	m->i = 0;
	m->b = e->bnd;
	m->bl = e->bl;
	m->state = e->bl ? 0 : 2;
}

/* Whether the line at P (N bytes, its LF excluded) is "--B" (1) or
 * "--B--" (2), blanks allowed after. */
static int delimiter(const char *p, size_t n, const char *b, size_t bl)
{
	size_t i;
	int close = 0;

	if (n < bl + 2 || p[0] != '-' || p[1] != '-' ||
			memcmp(p + 2, b, bl) != 0)
		return 0;
	i = bl + 2;
	if (i + 1 < n && p[i] == '-' && p[i + 1] == '-')
		close = 1, i += 2;
	while (i < n && (is_blank(p[i]) || p[i] == '\r'))
		i++;
	return i == n ? 1 + close : 0;
}

/* The next part: 1 with *PP, *PN set, 0 when there is none.  The line
 * end before a delimiter is the delimiter's; without a close delimiter
 * the last part ends with its parent. */
static int mp_next(struct mp *m, const char **pp, size_t *pn)
{
	size_t i = m->i, eol, next, start, end;
	const char *nl;
	int d;

	while (m->state == 0) {
		if (i >= m->n) {
			m->state = 2;
			break;
		}
		nl = memchr(m->p + i, '\n', m->n - i);
		eol = nl ? (size_t)(nl - m->p) : m->n;
		d = m->p[i] == '-' ? delimiter(m->p + i, eol - i, m->b,
			m->bl) : 0;
		i = nl ? eol + 1 : m->n;
		if (d)
			m->state = d == 1 ? 1 : 2;
	}
	if (m->state == 2 || i >= m->n) {
		m->state = 2;
		return 0;
	}
	start = i;
	while (i < m->n) {
		nl = memchr(m->p + i, '\n', m->n - i);
		eol = nl ? (size_t)(nl - m->p) : m->n;
		next = nl ? eol + 1 : m->n;
		d = m->p[i] == '-' ? delimiter(m->p + i, eol - i, m->b,
			m->bl) : 0;
		if (d) {
			end = i;
			if (end > start && m->p[end - 1] == '\n')
				end--;
			if (end > start && m->p[end - 1] == '\r')
				end--;
			*pp = m->p + start;
			*pn = end - start;
			m->i = next;
			if (d == 2)
				m->state = 2;
			return 1;
		}
		i = next;
	}
	m->state = 2;
	*pp = m->p + start;
	*pn = m->n - start;
	return 1;
}

static size_t count_lines(const char *p, size_t n)
{
	const char *e = p + n, *nl;
	size_t c = 0;

	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p = nl + 1;
	}
	return c;
}

/* --- BODY and BODYSTRUCTURE (RFC 3501 7.4.2) --- */

/* What a multipart without parts shows (one is required by the syntax):
 * an empty text/plain part, as Dovecot does. */
#define EMPTY_BODY "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL " \
	"\"7bit\" 0 0"

static int put_empty(struct buf *out, int ext)
{
	return buf_adds(out, ext ? EMPTY_BODY " NIL NIL NIL NIL)" :
		EMPTY_BODY ")");
}

/* Content-Disposition as ("type" params), NIL when absent. */
static int put_dsp(struct buf *out, const char *h, size_t hlen)
{
	struct fld f;
	size_t i, te;

	if (!fld_find(h, hlen, "Content-Disposition", &f))
		return buf_adds(out, "NIL");
	i = skip_cfws(f.val, f.vlen, 0);
	te = token_end(f.val, f.vlen, i);
	if (te == i)
		return buf_adds(out, "NIL");
	if (buf_addc(out, '(') < 0 ||
			imapmsg_quote(out, f.val + i, te - i) < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_params(out, f.val, f.vlen, te, 0) < 0)
		return -1;
	return buf_addc(out, ')');
}

/* Content-Language (RFC 3282) as ("en" "de"), NIL when absent. */
static int put_lang(struct buf *out, const char *h, size_t hlen)
{
	struct fld f;
	size_t i = 0, te, start = out->len, count = 0;

	if (!fld_find(h, hlen, "Content-Language", &f))
		return buf_adds(out, "NIL");
	if (buf_addc(out, '(') < 0)
		return -1;
	while (i < f.vlen) {
		i = skip_cfws(f.val, f.vlen, i);
		te = token_end(f.val, f.vlen, i);
		if (te == i) {
			i++;
			continue;
		}
		if ((count++ && buf_addc(out, ' ') < 0) ||
				imapmsg_quote(out, f.val + i, te - i) < 0)
			return -1;
		i = te;
	}
	if (!count) {
		out->len = start;
		return buf_adds(out, "NIL");
	}
	return buf_addc(out, ')');
}

/* The extension data after a part's fields: MD5 (leaves only),
 * disposition, language, location. */
static int put_ext(struct buf *out, const struct ent *e)
{
	if (e->kind != K_MULTI && (put_field(out, e->p, e->hlen,
			"Content-MD5") < 0 || buf_addc(out, ' ') < 0))
		return -1;
	if (put_dsp(out, e->p, e->hlen) < 0 || buf_addc(out, ' ') < 0 ||
			put_lang(out, e->p, e->hlen) < 0 ||
			buf_addc(out, ' ') < 0)
		return -1;
	return put_field(out, e->p, e->hlen, "Content-Location");
}

static int put_body(struct buf *out, const char *p, size_t n, int digest,
	int depth, int ext, unsigned *budget);

static int put_multi(struct buf *out, const struct ent *e, int depth,
	int ext, unsigned *budget)
{
	struct mp m;
	const char *cp;
	size_t cn, count = 0;

	if (buf_addc(out, '(') < 0)
		return -1;
	mp_init(&m, e);
	while (depth < MSG_DEPTH_MAX && *budget && mp_next(&m, &cp, &cn)) {
		--*budget;
		if (put_body(out, cp, cn, e->digest, depth + 1, ext,
				budget) < 0)
			return -1;
		count++;
	}
	if (!count && put_empty(out, ext) < 0)
		return -1;
	if (buf_addc(out, ' ') < 0 || imapmsg_quote(out, e->sub, e->slen) < 0)
		return -1;
	if (ext && (buf_addc(out, ' ') < 0 ||
			put_params(out, e->ct, e->ctlen, e->prm, 0) < 0 ||
			buf_addc(out, ' ') < 0 || put_ext(out, e) < 0))
		return -1;
	return buf_addc(out, ')');
}

static int put_leaf(struct buf *out, const struct ent *e, int depth,
	int ext, unsigned *budget)
{
	struct fld f;
	size_t i, te;
	int r;

	if (buf_addc(out, '(') < 0 ||
			imapmsg_quote(out, e->type, e->tlen) < 0 ||
			buf_addc(out, ' ') < 0 ||
			imapmsg_quote(out, e->sub, e->slen) < 0 ||
			buf_addc(out, ' ') < 0)
		return -1;
	if (e->ct)
		r = put_params(out, e->ct, e->ctlen, e->prm, e->text);
	else
		r = buf_adds(out, e->text ? "(\"charset\" \"us-ascii\")" :
			"NIL");
	if (r < 0 || buf_addc(out, ' ') < 0 ||
			put_field(out, e->p, e->hlen, "Content-ID") < 0 ||
			buf_addc(out, ' ') < 0 ||
			put_field(out, e->p, e->hlen,
			"Content-Description") < 0 ||
			buf_addc(out, ' ') < 0)
		return -1;
	/* RFC 2045 6.1: 7bit when absent; as sent otherwise */
	i = te = 0;
	if (fld_find(e->p, e->hlen, "Content-Transfer-Encoding", &f)) {
		i = skip_cfws(f.val, f.vlen, 0);
		te = token_end(f.val, f.vlen, i);
	}
	if (te > i)
		r = imapmsg_quote(out, f.val + i, te - i);
	else
		r = buf_adds(out, "\"7bit\"");
	if (r < 0 || buf_printf(out, " %zu", e->blen) < 0)
		return -1;
	if (e->kind == K_MSG) {
		if (buf_addc(out, ' ') < 0 || put_envelope(out, e->body,
				hdr_size(e->body, e->blen)) < 0 ||
				buf_addc(out, ' ') < 0)
			return -1;
		if (depth < MSG_DEPTH_MAX && *budget) {
			--*budget;
			r = put_body(out, e->body, e->blen, 0, depth + 1, ext,
				budget);
		} else {
			r = put_empty(out, ext);
		}
		if (r < 0)
			return -1;
	}
	if ((e->kind == K_MSG || e->text) && buf_printf(out, " %zu",
			count_lines(e->body, e->blen)) < 0)
		return -1;
	if (ext && (buf_addc(out, ' ') < 0 || put_ext(out, e) < 0))
		return -1;
	return buf_addc(out, ')');
}

static int put_body(struct buf *out, const char *p, size_t n, int digest,
	int depth, int ext, unsigned *budget)
{
	struct ent e;

	ent_parse(&e, p, n, digest);
	if (e.kind == K_MULTI)
		return put_multi(out, &e, depth, ext, budget);
	return put_leaf(out, &e, depth, ext, budget);
}

int imapmsg_bodystructure(struct buf *out, const char *p, size_t n, int ext)
{
	unsigned budget = IMAPMSG_PARTS_MAX;

	return put_body(out, p, n, 0, 0, ext, &budget);
}

/* --- BODY[section] (RFC 3501 6.4.5, 9) --- */

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3501 9: ATOM-CHAR, and ASTRING-CHAR when BRACKET (']' too). */
static int is_atom_char(int c, int bracket)
{
	if (c <= 32 || c >= 127)
		return 0;
	if (c == ']')
		return bracket;
	return !strchr("(){%*\"\\", c);
}

/* Whether the N bytes at S, ASCII case ignored, are keyword KW. */
static int kw_is(const char *s, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp(s, kw, n) == 0;
}

/* An astring at *I of SPEC (N bytes) into S->names: 0, or -1. */
static int parse_astring(struct imapmsg_section *s, const char *spec,
	size_t n, size_t *ip, size_t *used)
{
	size_t i = *ip, k, len = 0, o = *used;
	unsigned long lit;
	char *dst = s->names;
	size_t max = sizeof s->names;

	if (i < n && spec[i] == '"') {
		/* quoted: TEXT-CHARs, '\' before '"' and '\' only */
		for (i++; i < n && spec[i] != '"'; i++) {
			unsigned char c = spec[i];

			if (c == '\\') {
				if (++i >= n || (spec[i] != '"' &&
						spec[i] != '\\'))
					return -1;
				c = spec[i];
			} else if (c == 0 || c == '\r' || c == '\n' ||
					c >= 0x80) {
				return -1;
			}
			if (o + 1 >= max)
				return -1;
			dst[o++] = c;
		}
		if (i >= n)
			return -1;
		i++;
	} else if (i < n && spec[i] == '{') {
		/* literal "{N}" or LITERAL+ "{N+}", CRLF, N bytes */
		for (lit = 0, k = ++i; i < n && is_digit(spec[i]) &&
				lit < 100000; i++)
			lit = lit * 10 + (spec[i] - '0');
		if (i == k || lit >= 100000)
			return -1;
		if (i < n && spec[i] == '+')
			i++;
		if (i + 3 > n || memcmp(spec + i, "}\r\n", 3) != 0)
			return -1;
		i += 3;
		if (lit > n - i || o + lit + 1 > max ||
				memchr(spec + i, 0, lit))
			return -1;
		memcpy(dst + o, spec + i, lit);
		o += lit;
		i += lit;
	} else {
		for (k = i; i < n && is_atom_char(spec[i], 1); i++)
			;
		len = i - k;
		if (!len || o + len + 1 > max)
			return -1;
		memcpy(dst + o, spec + k, len);
		o += len;
	}
	dst[o++] = 0;
	*used = o;
	*ip = i;
	return 0;
}

int imapmsg_section_parse(struct imapmsg_section *s, const char *spec,
	size_t n)
{
	size_t i = 0, k, used = 0;
	unsigned long v;

	memset(s, 0, offsetof(struct imapmsg_section, names));
	s->names[0] = 0;
	/* section-part = nz-number *("." nz-number) */
	while (i < n && is_digit(spec[i])) {
		if (spec[i] == '0' || s->npart == IMAPMSG_PART_DEPTH)
			goto bad;
		for (v = 0; i < n && is_digit(spec[i]); i++) {
			v = v * 10 + (spec[i] - '0');
			if (v > 0xffffffffUL)
				goto bad;
		}
		s->part[s->npart++] = (unsigned)v;
		if (i == n)
			return 0;
		if (spec[i] != '.' || ++i == n)
			goto bad;
	}
	if (i == n) {
		s->text = IMAPMSG_ALL;
		return 0;
	}
	for (k = i; k < n && spec[k] != ' '; k++)
		;
	if (k == n) {
		if (kw_is(spec + i, n - i, "HEADER"))
			s->text = IMAPMSG_HEADER;
		else if (kw_is(spec + i, n - i, "TEXT"))
			s->text = IMAPMSG_TEXT;
		else if (s->npart && kw_is(spec + i, n - i, "MIME"))
			s->text = IMAPMSG_MIME;
		else
			goto bad;
		return 0;
	}
	/* "HEADER.FIELDS" [".NOT"] SP header-list */
	if (kw_is(spec + i, k - i, "HEADER.FIELDS"))
		s->text = IMAPMSG_FIELDS;
	else if (kw_is(spec + i, k - i, "HEADER.FIELDS.NOT"))
		s->text = IMAPMSG_FIELDS_NOT;
	else
		goto bad;
	i = k + 1;
	if (i >= n || spec[i] != '(')
		goto bad;
	for (i++;;) {
		if (s->nfields == IMAPMSG_FIELDS_MAX)
			goto bad;
		s->field[s->nfields++] = (unsigned short)used;
		if (parse_astring(s, spec, n, &i, &used) < 0)
			goto bad;
		if (i < n && spec[i] == ' ') {
			i++;
			continue;
		}
		if (i + 1 == n && spec[i] == ')')
			return 0;
		goto bad;
	}
bad:
	errno = EINVAL;
	return -1;
}

int imapmsg_section_format(struct buf *out, const struct imapmsg_section *s)
{
	static const char *const kw[] = { "", "HEADER", "HEADER.FIELDS",
		"HEADER.FIELDS.NOT", "TEXT", "MIME" };
	size_t i, j, start;
	const char *name;
	int atom;

	for (i = 0; i < s->npart; i++)
		if (buf_printf(out, i ? ".%u" : "%u", s->part[i]) < 0)
			return -1;
	if (s->text == IMAPMSG_ALL)
		return 0;
	if ((s->npart && buf_addc(out, '.') < 0) ||
			buf_adds(out, kw[s->text]) < 0)
		return -1;
	if (s->text != IMAPMSG_FIELDS && s->text != IMAPMSG_FIELDS_NOT)
		return 0;
	if (buf_adds(out, " (") < 0)
		return -1;
	for (i = 0; i < s->nfields; i++) {
		name = s->names + s->field[i];
		if (i && buf_addc(out, ' ') < 0)
			return -1;
		start = out->len;
		if (buf_adds(out, name) < 0)
			return -1;
		atom = out->len > start;
		for (j = start; j < out->len; j++) {
			if (out->p[j] >= 'a' && out->p[j] <= 'z')
				out->p[j] -= 32;
			/* no ']' in what stands inside the brackets */
			atom &= is_atom_char((unsigned char)out->p[j], 0);
		}
		if (!atom && fix_str(out, start) < 0)
			return -1;
	}
	return buf_addc(out, ')');
}

/* Whether field F is one of the names of S. */
static int sect_has(const struct imapmsg_section *s, const struct fld *f)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (name_is(f, s->names + s->field[i],
				strlen(s->names + s->field[i])))
			return 1;
	return 0;
}

/* HEADER.FIELDS (NOT 0) or HEADER.FIELDS.NOT (NOT 1) of header H: the
 * fields whole, each ending with CRLF, then the blank line. */
static int put_fields(struct buf *out, const char *h, size_t hlen,
	const struct imapmsg_section *s, int not)
{
	struct fld f;
	size_t pos = 0;

	while (fld_next(h, hlen, &pos, &f)) {
		if (f.nlen == 0 ? !not : sect_has(s, &f) == not)
			continue;
		if (buf_add(out, f.raw, f.rawlen) < 0)
			return -1;
		if (f.raw[f.rawlen - 1] != '\n' && buf_adds(out, "\r\n") < 0)
			return -1;
	}
	return buf_adds(out, "\r\n");
}

/*
 * Finds the entity that the part numbers of S name (RFC 3501 6.4.5): a
 * multipart's N is its Nth part; a message/rfc822 part's numbers are
 * those of the message inside; anything else has just part 1, itself
 * (so "1" of a message that is not multipart is the message).  1 with E
 * set, 0 when there is no such part.
 */
static int sect_find(const char *p, size_t n,
	const struct imapmsg_section *s, struct ent *e)
{
	struct mp m;
	const char *cp = NULL;
	size_t i, cn = 0;
	unsigned k, j;
	int depth = 0, digest;

	ent_parse(e, p, n, 0);
	for (i = 0; i < s->npart; i++) {
		k = s->part[i];
		if (i > 0 && e->kind == K_MSG) {
			if (depth >= MSG_DEPTH_MAX)
				return 0;
			ent_parse(e, e->body, e->blen, 0);
			depth++;
		}
		if (e->kind != K_MULTI) {
			if (k != 1)
				return 0;
			continue;
		}
		if (depth >= MSG_DEPTH_MAX)
			return 0;
		mp_init(&m, e);
		for (j = 0; j < k; j++)
			if (!mp_next(&m, &cp, &cn))
				return 0;
		digest = e->digest;
		ent_parse(e, cp, cn, digest);
		depth++;
	}
	return 1;
}

int imapmsg_section(struct buf *out, const char *p, size_t n,
	const struct imapmsg_section *s)
{
	struct ent e, m;

	if (!sect_find(p, n, s, &e))
		return 0;
	if (s->text == IMAPMSG_ALL)
		return s->npart ? buf_add(out, e.body, e.blen) :
			buf_add(out, p, n);
	if (s->text == IMAPMSG_MIME)
		return buf_add(out, e.p, e.hlen);
	/* HEADER, TEXT: of the message, or of a message/rfc822 part's */
	if (s->npart) {
		if (e.kind != K_MSG)
			return 0;
		ent_parse(&m, e.body, e.blen, 0);
	} else {
		m = e;
	}
	switch (s->text) {
	case IMAPMSG_HEADER:
		return buf_add(out, m.p, m.hlen);
	case IMAPMSG_TEXT:
		return buf_add(out, m.body, m.blen);
	default:
		return put_fields(out, m.p, m.hlen, s,
			s->text == IMAPMSG_FIELDS_NOT);
	}
}

/* --- SEARCH (RFC 3501 6.4.4) --- */

/* The simple case folding (Unicode CaseFolding.txt, status C and S) of
 * Latin, Greek, Cyrillic and Armenian letters and fullwidth ASCII. */
static unsigned fold_cp(unsigned c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c < 0x100)
		return c >= 0xc0 && c <= 0xde && c != 0xd7 ? c + 32 :
			c == 0xb5 ? 0x3bc : c;
	if (c < 0x180) {
		if (c == 0x130)
			return 'i';
		if (c == 0x178)
			return 0xff;
		if (c == 0x17f)
			return 's';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return c & 1 ? c + 1 : c;
		if (c != 0x138 && c != 0x149)
			return c & 1 ? c : c + 1;
		return c;
	}
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 32;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c == 0x3c2)
		return 0x3c3;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
			(c >= 0x4d0 && c <= 0x52f))
		return c & 1 ? c : c + 1;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if ((c >= 0x1e00 && c <= 0x1e95) || (c >= 0x1ea0 && c <= 0x1eff))
		return c & 1 ? c : c + 1;
	if (c == 0x1e9e)
		return 0xdf;
	if (c == 0x212a)
		return 'k';
	if (c == 0x212b)
		return 0xe5;
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;
	return c;
}

/* Appends the N bytes at S case folded; bytes that are not UTF-8 are
 * kept as they are.  The result is never longer than S. */
static int fold_add(struct buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;
	unsigned c, min;
	char *o;

	if (buf_reserve(out, n) < 0)
		return -1;
	o = out->p + out->len;
	while (i < n) {
		c = u[i];
		len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
			(c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (len > 1 && i + len <= n) {
			size_t k;

			min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
			c &= 0x3f >> (len - 1);
			for (k = 1; k < len && (u[i + k] & 0xc0) == 0x80; k++)
				c = c << 6 | (u[i + k] & 0x3f);
			if (k < len || c < min || c > 0x10ffff)
				len = 0;
		}
		if (len == 1) {
			*o++ = (char)fold_cp(c);
		} else if (len > 1 && i + len <= n) {
			c = fold_cp(c);
			/* folding never makes a character longer */
			if (c < 0x80) {
				*o++ = (char)c;
			} else if (c < 0x800) {
				*o++ = (char)(0xc0 | c >> 6);
				*o++ = (char)(0x80 | (c & 0x3f));
			} else if (c < 0x10000) {
				*o++ = (char)(0xe0 | c >> 12);
				*o++ = (char)(0x80 | (c >> 6 & 0x3f));
				*o++ = (char)(0x80 | (c & 0x3f));
			} else {
				*o++ = (char)(0xf0 | c >> 18);
				*o++ = (char)(0x80 | (c >> 12 & 0x3f));
				*o++ = (char)(0x80 | (c >> 6 & 0x3f));
				*o++ = (char)(0x80 | (c & 0x3f));
			}
		} else {
			len = 1;
			*o++ = s[i];
		}
		i += len;
	}
	out->len = (size_t)(o - out->p);
	out->p[out->len] = 0;
	return 0;
}

/* Scratch of one search: the folded key and the buffers a text goes
 * through (decoded, in UTF-8, folded), capped by the message's size. */
struct srch {
	struct buf key, dec, utf, fold;
	unsigned budget;
	int text;		/* TEXT: the headers of inner messages too */
};

static void srch_init(struct srch *s, size_t n)
{
	buf_init(&s->key, 16 * 1024 * 1024);
	/* base64/QP decoding shrinks; a charset to UTF-8 at most triples,
	 * and RFC 2047 words with their names removed do no worse */
	buf_init(&s->dec, n + 1024);
	buf_init(&s->utf, 4 * n + 1024);
	buf_init(&s->fold, 4 * n + 1024);
	s->budget = IMAPMSG_PARTS_MAX;
	s->text = 0;
}

static void srch_free(struct srch *s)
{
	buf_free(&s->key);
	buf_free(&s->dec);
	buf_free(&s->utf);
	buf_free(&s->fold);
}

/* Whether the N bytes of UTF-8 text at T hold the key: 1, 0, -1. */
static int srch_text(struct srch *s, const char *t, size_t n)
{
	buf_reset(&s->fold);
	if (fold_add(&s->fold, t, n) < 0)
		return -1;
	return memmem(buf_str(&s->fold), s->fold.len, buf_str(&s->key),
		s->key.len) != NULL;
}

/* The fields of header H named FIELD (NULL: all of them, each as
 * "Name: value"), unfolded and RFC 2047 decoded: 1 when one holds the
 * key, 0, or -1.  An empty key matches any such field. */
static int srch_hdr(struct srch *s, const char *h, size_t hlen,
	const char *field)
{
	struct fld f;
	size_t pos = 0, flen = field ? strlen(field) : 0;
	int r;

	while (fld_next(h, hlen, &pos, &f)) {
		if (field && !name_is(&f, field, flen))
			continue;
		if (!s->key.len)
			return 1;
		buf_reset(&s->dec);
		buf_reset(&s->utf);
		if (!field && f.nlen && (buf_add(&s->dec, f.name, f.nlen) < 0 ||
				buf_adds(&s->dec, ": ") < 0))
			return -1;
		if (add_unfolded(&s->dec, f.val, f.vlen) < 0 ||
				msg_decode_header(&s->utf, buf_str(&s->dec),
				s->dec.len, NULL) < 0)
			return -1;
		if ((r = srch_text(s, buf_str(&s->utf), s->utf.len)))
			return r;
	}
	return 0;
}

/* The text of leaf E: decoded, converted to UTF-8, searched. */
static int srch_leaf(struct srch *s, const struct ent *e)
{
	struct msg_part part;
	struct fld f;
	char cs[64] = "", enc[24] = "";
	size_t i, te;

	memset(&part, 0, sizeof part);
	part.body = e->body;
	part.blen = e->blen;
	if (fld_find(e->p, e->hlen, "Content-Transfer-Encoding", &f)) {
		i = skip_cfws(f.val, f.vlen, 0);
		te = token_end(f.val, f.vlen, i);
		if (te - i < sizeof enc) {
			memcpy(enc, f.val + i, te - i);
			enc[te - i] = 0;
		}
	}
	part.encoding = strcasecmp(enc, "base64") == 0 ? MSG_BASE64 :
		strcasecmp(enc, "quoted-printable") == 0 ? MSG_QP : MSG_8BIT;
	if (e->ct)
		prm_get(e->ct, e->ctlen, e->prm, "charset", cs, sizeof cs);
	buf_reset(&s->dec);
	buf_reset(&s->utf);
	if (msg_part_decode(&s->dec, &part) < 0)
		return -1;
	/* text without a charset that is UTF-8 is taken as it is */
	if (!cs[0] || strcasecmp(cs, "us-ascii") == 0 ||
			strcasecmp(cs, "utf-8") == 0 ||
			strcasecmp(cs, "utf8") == 0) {
		if (cs[0] && strcasecmp(cs, "us-ascii") != 0)
			return srch_text(s, buf_str(&s->dec), s->dec.len);
		if (str_utf8_valid(buf_str(&s->dec), s->dec.len))
			return srch_text(s, buf_str(&s->dec), s->dec.len);
	}
	if (msg_conv(&s->utf, "utf-8", cs[0] ? cs : "iso-8859-1",
			buf_str(&s->dec), s->dec.len) < 0)
		return -1;
	return srch_text(s, buf_str(&s->utf), s->utf.len);
}

/* The text parts of entity P (N bytes), and for TEXT the headers of the
 * messages inside it (BODY leaves them out, as Dovecot does), depth
 * first: 1 at the first match, 0, or -1. */
static int srch_ent(struct srch *s, const char *p, size_t n, int digest,
	int depth)
{
	struct ent e;
	struct mp m;
	const char *cp;
	size_t cn;
	int r;

	ent_parse(&e, p, n, digest);
	if (e.kind == K_MULTI) {
		mp_init(&m, &e);
		while (depth < MSG_DEPTH_MAX && s->budget &&
				mp_next(&m, &cp, &cn)) {
			s->budget--;
			if ((r = srch_ent(s, cp, cn, e.digest, depth + 1)))
				return r;
		}
		return 0;
	}
	if (e.kind == K_MSG) {
		size_t hl = hdr_size(e.body, e.blen);

		if (s->text && (r = srch_hdr(s, e.body, hl, NULL)))
			return r;
		if (depth >= MSG_DEPTH_MAX || !s->budget)
			return 0;
		s->budget--;
		return srch_ent(s, e.body, e.blen, 0, depth + 1);
	}
	return e.text ? srch_leaf(s, &e) : 0;
}

static int srch_key(struct srch *s, const char *key)
{
	if (fold_add(&s->key, key, strlen(key)) < 0)
		return -1;
	return 0;
}

static int srch_done(struct srch *s, int r)
{
	srch_free(s);
	if (r < 0)
		errno = ENOMEM;
	return r;
}

int imapmsg_search_header(const char *p, size_t n, const char *field,
	const char *key)
{
	struct srch s;
	size_t hlen = hdr_size(p, n);

	srch_init(&s, hlen * 4);
	if (srch_key(&s, key) < 0)
		return srch_done(&s, -1);
	return srch_done(&s, srch_hdr(&s, p, hlen, field));
}

int imapmsg_search_body(const char *p, size_t n, const char *key, int text)
{
	struct srch s;
	int r = 0;

	srch_init(&s, n);
	if (srch_key(&s, key) < 0)
		return srch_done(&s, -1);
	if (!s.key.len)
		return srch_done(&s, 1);
	s.text = text;
	if (text)
		r = srch_hdr(&s, p, hdr_size(p, n), NULL);
	if (!r)
		r = srch_ent(&s, p, n, 0, 0);
	return srch_done(&s, r);
}

/* --- dates --- */

static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* The month (0-11) named by the 3 letters at S, any case, or -1. */
static int month_of(const char *s, size_t n)
{
	int m;

	if (n < 3)
		return -1;
	for (m = 0; m < 12; m++)
		if (strncasecmp(s, month_names + 3 * m, 3) == 0)
			return m;
	return -1;
}

static int leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(long y, int m)
{
	static const unsigned char d[] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };

	return d[m] + (m == 1 && leap(y));
}

/* Days from 1970-01-01 to Y-M-D (M 1-12), the proleptic Gregorian
 * calendar's civil-from-days inverse. */
static long long days_from_civil(long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Y-M-D h:m:s at ZONE seconds east of UTC as a time; -1 when out of
 * range.  M is 0-11. */
static time_t mktime_utc(long y, int m, int d, int hh, int mm, int ss,
	long zone)
{
	long long t;

	if (y < 1000 || y > 9999 || m < 0 || m > 11 || d < 1 ||
			d > month_days(y, m) || hh > 23 || mm > 59 || ss > 60)
		return -1;
	if (ss == 60)
		ss = 59;
	t = days_from_civil(y, m + 1, d) * 86400LL + hh * 3600 + mm * 60 +
		ss - zone;
	if ((time_t)t != t)
		return -1;
	return (time_t)t;
}

/* A number of 1 to MAXD digits at *I of S: its value, or -1. */
static long num_at(const char *s, size_t n, size_t *i, int maxd)
{
	long v = 0;
	int d = 0;

	while (*i < n && is_digit(s[*i]) && d < maxd) {
		v = v * 10 + (s[(*i)++] - '0');
		d++;
	}
	if (!d || (*i < n && is_digit(s[*i])))
		return -1;
	return v;
}

/* RFC 5322 4.3 obsolete zone names; the military letters are unknown
 * (their sign was reversed in RFC 822) and count as +0000. */
static int zone_name(const char *s, size_t n, long *zone)
{
	static const struct { char name[4]; signed char h; } zones[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};
	size_t k;

	for (k = 0; k < sizeof zones / sizeof zones[0]; k++)
		if (kw_is(s, n, zones[k].name)) {
			*zone = zones[k].h * 3600L;
			return 0;
		}
	if (n == 1 && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')) {
		*zone = 0;
		return 0;
	}
	return -1;
}

/* RFC 5322 3.3 date-time in V (N bytes, comments already removed). */
static time_t parse_date(const char *v, size_t n, int *tzoff)
{
	size_t i = 0, k;
	long day, year, hh, mm, ss = 0, zone = 0, z;
	int mon;

#define SKIP_SEP() while (i < n && (is_ws(v[i]) || v[i] == ',')) i++
	SKIP_SEP();
	/* [day-of-week ","] */
	if (i < n && !is_digit(v[i])) {
		for (k = i; i < n && ((v[i] | 0x20) >= 'a' &&
				(v[i] | 0x20) <= 'z'); i++)
			;
		if (i - k < 3)
			return -1;
		SKIP_SEP();
	}
	if ((day = num_at(v, n, &i, 2)) < 0)
		return -1;
	SKIP_SEP();
	for (k = i; i < n && ((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'z');
			i++)
		;
	if ((mon = month_of(v + k, i - k)) < 0)
		return -1;
	SKIP_SEP();
	k = i;
	if ((year = num_at(v, n, &i, 4)) < 0)
		return -1;
	/* 4.3: two digits are 1950-2049, three are from 1900 */
	if (i - k == 2)
		year += year < 50 ? 2000 : 1900;
	else if (i - k == 3)
		year += 1900;
	SKIP_SEP();
	if ((hh = num_at(v, n, &i, 2)) < 0 || i >= n || v[i++] != ':' ||
			(mm = num_at(v, n, &i, 2)) < 0)
		return -1;
	if (i < n && v[i] == ':') {
		i++;
		if ((ss = num_at(v, n, &i, 2)) < 0)
			return -1;
	}
	SKIP_SEP();
	if (i < n && (v[i] == '+' || v[i] == '-')) {
		k = i++;
		if ((z = num_at(v, n, &i, 4)) < 0 || i - k != 5 ||
				z % 100 > 59)
			return -1;
		zone = (z / 100 * 3600 + z % 100 * 60) * (v[k] == '-' ? -1 : 1);
	} else if (i < n) {
		for (k = i; i < n && !is_ws(v[i]); i++)
			;
		if (zone_name(v + k, i - k, &zone) < 0)
			return -1;
	}
#undef SKIP_SEP
	if (tzoff)
		*tzoff = (int)zone;
	return mktime_utc(year, mon, (int)day, (int)hh, (int)mm, (int)ss,
		zone);
}

time_t imapmsg_date(const char *p, size_t n, int *tzoff)
{
	struct fld f;
	char v[256];
	size_t i, o = 0, depth = 0;

	if (!fld_find(p, hdr_size(p, n), "Date", &f))
		return -1;
	/* the value without its comments ("+0100 (CET)") */
	for (i = 0; i < f.vlen && o + 1 < sizeof v; i++) {
		if (f.val[i] == '\\' && depth && i + 1 < f.vlen)
			i++;
		else if (f.val[i] == '(')
			depth++;
		else if (f.val[i] == ')' && depth)
			depth--;
		else if (!depth)
			v[o++] = f.val[i];
	}
	return parse_date(v, o, tzoff);
}

int imapmsg_date_parse(const char *s, size_t n, time_t *t, int with_time)
{
	size_t i = 0, k;
	long day, year, hh = 0, mm = 0, ss = 0, z, zone = 0;
	int mon;
	time_t r;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	/* date-day-fixed = (SP DIGIT) / 2DIGIT; date-day = 1*2DIGIT */
	if (with_time && n && s[0] == ' ')
		i++;
	if ((day = num_at(s, n, &i, 2)) < 0 || i >= n || s[i++] != '-' ||
			i + 3 > n || (mon = month_of(s + i, 3)) < 0)
		goto bad;
	i += 3;
	k = i + 1;
	if (i >= n || s[i++] != '-' || (year = num_at(s, n, &i, 4)) < 0 ||
			i - k != 4)
		goto bad;
	if (with_time) {
		/* SP time SP zone: "02:44:25 -0700" */
		if (i + 15 != n || s[i] != ' ' || s[i + 3] != ':' ||
				s[i + 6] != ':' || s[i + 9] != ' ' ||
				(s[i + 10] != '+' && s[i + 10] != '-'))
			goto bad;
		k = i + 1;
		if ((hh = num_at(s, n, &k, 2)) < 0 || k != i + 3)
			goto bad;
		k++;
		if ((mm = num_at(s, n, &k, 2)) < 0 || k != i + 6)
			goto bad;
		k++;
		if ((ss = num_at(s, n, &k, 2)) < 0 || k != i + 9)
			goto bad;
		k += 2;
		if ((z = num_at(s, n, &k, 4)) < 0 || k != n || z % 100 > 59)
			goto bad;
		zone = (z / 100 * 3600 + z % 100 * 60) *
			(s[i + 10] == '-' ? -1 : 1);
		i = n;
	}
	if (i != n)
		goto bad;
	if ((r = mktime_utc(year, mon, (int)day, (int)hh, (int)mm, (int)ss,
			zone)) == (time_t)-1 && !(year == 1969 && mon == 11))
		goto bad;
	*t = r;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

size_t imapmsg_date_format(time_t t, char *dst, size_t max)
{
	struct tm tm;
	int len;

	if (max)
		dst[0] = 0;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 ||
			tm.tm_year + 1900 < 1000)
		return 0;
	len = snprintf(dst, max, "%02d-%.3s-%04d %02d:%02d:%02d +0000",
		tm.tm_mday, month_names + 3 * tm.tm_mon, tm.tm_year + 1900,
		tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (len < 0 || (size_t)len >= max) {
		if (max)
			dst[0] = 0;
		return 0;
	}
	return (size_t)len;
}
