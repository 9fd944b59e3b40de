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

	while (n && is_ws(*c))
		c++, n--;
	while (n && is_ws(c[n - 1]))
		n--;
	if (!c || !n)
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

		for (;;) {
			lex_next(&k, &t);
			if (t.type == T_END || is_spec(&t, '>'))
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
					put_comment(out, peek.cmt, peek.clen) < 0 ||
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
					buf_adds(out, " \"" MISSING_DOMAIN "\")") < 0)
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

/* Whether parameter M's value, unquoted, is VAL (ASCII case ignored). */
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

/* RFC 2231 7 attribute-char, else %XX, for a plain section joined to
 * extended ones. */
static int add_pct(struct buf *out, const struct prm *m)
{
	size_t start = out->len, i, end;
	unsigned char c;

	if (add_prm_val(out, m) < 0)
		return -1;
	end = out->len;
	for (i = start; i < end; i++) {
		c = out->p[i];
		if (c > 32 && c < 127 && c != '*' && c != '\'' && c != '%' &&
				!is_tspecial(c))
			continue;
		if (buf_reserve(out, 2) < 0)
			return -1;
		memmove(out->p + i + 3, out->p + i + 1, out->len - i - 1);
		out->len += 2;
		end += 2;
		snprintf(out->p + i, 4, "%%%02X", c);
		out->p[i + 3] = i + 3 < out->len ? out->p[i + 3] : 0;
		i += 2;
	}
	out->p[out->len] = 0;
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
				imapmsg_quote(out, pm[k].name, pm[k].nlen) < 0 ||
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
				fix_str(out, start) < 0 || buf_addc(out, ' ') < 0)
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
			put_field(out, e->p, e->hlen, "Content-Description") < 0 ||
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
