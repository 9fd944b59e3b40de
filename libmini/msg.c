/*
 * msg: RFC 5322 headers, RFC 2047 words, RFC 2045/2046 MIME trees,
 * RFC 2231 parameters and charset conversion (see msg.h).
 */
#define _GNU_SOURCE
#include "libmini.h"
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

size_t msg_headers(struct msg_hdrs *h, const char *p, size_t n)
{
	size_t lim = n < MSG_HSIZE_MAX ? n : MSG_HSIZE_MAX;
	size_t i = 0, eol, next, len, k, nend, v;
	struct msg_hdr *cur = NULL;
	const char *nl;
	int skipping = 0;

	h->n = 0;
	h->dropped = 0;
	/* an mbox separator is not a header field */
	if (n >= 5 && memcmp(p, "From ", 5) == 0) {
		nl = memchr(p, '\n', lim);
		i = nl ? (size_t)(nl - p) + 1 : lim;
	}
	while (i < lim) {
		nl = memchr(p + i, '\n', lim - i);
		eol = nl ? (size_t)(nl - p) : lim;
		next = nl ? eol + 1 : lim;
		len = eol - i;
		if (len && p[eol - 1] == '\r')
			len--;
		if (len == 0) {
			/* RFC 5322 2.1: an empty line ends the header */
			i = next;
			break;
		}
		if (is_blank(p[i])) {
			/* 2.2.3: a continuation of the field above */
			if (cur)
				cur->vlen = i + len - (size_t)(cur->value - p);
			else if (!skipping)
				h->dropped++;
			i = next;
			continue;
		}
		cur = NULL;
		for (k = i; k < i + len && p[k] != ':'; k++)
			;
		for (nend = k; nend > i && is_blank(p[nend - 1]); nend--)
			;
		skipping = 1;
		if (k == i + len || nend == i || nend - i > MSG_NAME_MAX ||
				h->n >= h->max) {
			h->dropped++;
			i = next;
			continue;
		}
		/* 2.2: printable US-ASCII but colon */
		for (v = i; v < nend && p[v] > 32 && p[v] < 127; v++)
			;
		if (v < nend) {
			h->dropped++;
			i = next;
			continue;
		}
		skipping = 0;
		for (v = k + 1; v < i + len && is_blank(p[v]); v++)
			;
		cur = &h->h[h->n++];
		cur->name = p + i;
		cur->nlen = nend - i;
		cur->value = p + v;
		cur->vlen = i + len - v;
		i = next;
	}
	h->size = i < lim ? i : lim;
	return h->n;
}

const struct msg_hdr *msg_hdr_find(const struct msg_hdrs *h,
	const char *name, const struct msg_hdr *after)
{
	size_t i = after ? (size_t)(after - h->h) + 1 : 0;
	size_t len = strlen(name);

	for (; i < h->n; i++)
		if (h->h[i].nlen == len &&
				strncasecmp(h->h[i].name, name, len) == 0)
			return &h->h[i];
	return NULL;
}

int msg_unfold(struct buf *out, const char *value, size_t vlen)
{
	size_t i, j, start = out->len;
	unsigned char c;

	while (vlen && (is_blank(value[0]) || value[0] == '\r' ||
			value[0] == '\n')) {
		value++;
		vlen--;
	}
	if (buf_reserve(out, vlen) < 0)
		return -1;
	/* spans without CR or LF go in whole (the common case is one) */
	for (i = 0; i < vlen; i = j + 1) {
		for (j = i; j < vlen && value[j] != '\r' && value[j] != '\n';
				j++)
			;
		memcpy(out->p + out->len, value + i, j - i);
		out->len += j - i;
	}
	out->p[out->len] = 0;
	for (i = start; i < out->len; i++) {
		c = out->p[i];
		if (c == '\t')
			out->p[i] = ' ';
		else if (c < 32 || c == 127)
			out->p[i] = '?';
	}
	while (out->len > start && out->p[out->len - 1] == ' ')
		out->p[--out->len] = 0;
	return 0;
}

/* Base64 as RFC 2045 6.8 wants a mail reader to decode it: characters
 * outside the alphabet are ignored, "=" ends the data.  DST has room for
 * N bytes (the output is always shorter).  Returns the byte count. */
static size_t b64_lax(unsigned char *dst, const char *src, size_t n)
{
	size_t i, o = 0;
	unsigned v = 0;
	int k = 0, x, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if (c == '=')
			break;
		if (c >= 'A' && c <= 'Z')
			x = c - 'A';
		else if (c >= 'a' && c <= 'z')
			x = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			x = c - '0' + 52;
		else if (c == '+')
			x = 62;
		else if (c == '/')
			x = 63;
		else
			continue;
		v = v << 6 | x;
		if (++k == 4) {
			dst[o++] = v >> 16;
			dst[o++] = v >> 8;
			dst[o++] = v;
			k = 0;
			v = 0;
		}
	}
	if (k == 2) {
		dst[o++] = v >> 4;
	} else if (k == 3) {
		dst[o++] = v >> 10;
		dst[o++] = v >> 2;
	}
	return o;
}

/* --- charsets --- */

/* The canonical name of charset NAME into DST (MAX bytes): lower case,
 * with the aliases mailers use mapped to what iconv knows. */
static void charset_norm(char *dst, size_t max, const char *name)
{
	static const char *const alias[][2] = {
		/* CP949 (UHC) is a superset of EUC-KR; Outlook labels it
		 * ks_c_5601-1987 */
		{ "ks_c_5601-1987", "cp949" }, { "ks_c_5601", "cp949" },
		{ "euc-kr", "cp949" }, { "euckr", "cp949" },
		{ "x-windows-949", "cp949" }, { "windows-949", "cp949" },
		{ "uhc", "cp949" }, { "ksc5601", "cp949" },
		{ "gb2312", "gb18030" }, { "gbk", "gb18030" },
		{ "x-gbk", "gb18030" }, { "euc-cn", "gb18030" },
		{ "x-sjis", "shift_jis" }, { "ms_kanji", "shift_jis" },
		{ "windows-31j", "cp932" }, { "csiso2022kr", "iso-2022-kr" },
		{ "utf8", "utf-8" }, { "unicode-1-1-utf-8", "utf-8" },
		{ "ascii", "us-ascii" }, { "ansi_x3.4-1968", "us-ascii" },
		{ "latin1", "iso-8859-1" }, { "iso8859-1", "iso-8859-1" },
		{ "iso_8859-1", "iso-8859-1" }, { "646", "us-ascii" },
	};
	size_t i;

	if (!name || !*name)
		name = "us-ascii";
	str_lcpy(dst, name, max);
	str_lower(str_trim(dst));
	for (i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (strcmp(dst, alias[i][0]) == 0) {
			str_lcpy(dst, alias[i][1], max);
			return;
		}
}

static int is_utf8(const char *cs)
{
	return strcmp(cs, "utf-8") == 0;
}

/* Charsets the built-in converter knows: 1 UTF-8, 2 ISO-8859-1, 3
 * US-ASCII, 0 others. */
static int builtin_kind(const char *cs)
{
	if (is_utf8(cs))
		return 1;
	if (strcmp(cs, "iso-8859-1") == 0)
		return 2;
	if (strcmp(cs, "us-ascii") == 0)
		return 3;
	return 0;
}

/* Decodes one UTF-8 character at S (N > 0 bytes left) into *CP; returns
 * its length, or 0 for an invalid sequence. */
static size_t utf8_get(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len, i;
	unsigned c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int utf8_put(struct buf *out, unsigned c)
{
	char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = c, n = 1;
	} else if (c < 0x800) {
		b[0] = 0xc0 | c >> 6, b[1] = 0x80 | (c & 0x3f), n = 2;
	} else if (c < 0x10000) {
		b[0] = 0xe0 | c >> 12, b[1] = 0x80 | (c >> 6 & 0x3f);
		b[2] = 0x80 | (c & 0x3f), n = 3;
	} else {
		b[0] = 0xf0 | c >> 18, b[1] = 0x80 | (c >> 12 & 0x3f);
		b[2] = 0x80 | (c >> 6 & 0x3f), b[3] = 0x80 | (c & 0x3f);
		n = 4;
	}
	return buf_add(out, b, n);
}

/* The converter without iconv: between UTF-8, ISO-8859-1 and US-ASCII;
 * any other FROM keeps ASCII and shows '?'. */
static int conv_builtin(struct buf *out, int to, int from,
	const unsigned char *s, size_t n)
{
	size_t i = 0, len;
	unsigned cp;
	int lossy = 0;

	while (i < n) {
		if (from == 1) {
			len = utf8_get(s + i, n - i, &cp);
			if (!len)
				cp = '?', len = 1, lossy = 1;
		} else {
			cp = s[i], len = 1;
			if (cp >= 0x80 && from != 2)
				cp = '?', lossy = 1;
		}
		i += len;
		if ((to == 2 && cp > 0xff) || (to != 1 && to != 2 &&
				cp > 0x7f))
			cp = '?', lossy = 1;
		if ((to == 1 ? utf8_put(out, cp) : buf_addc(out, cp)) < 0)
			return -1;
	}
	return lossy;
}

/* RFC 1557: ISO-2022-KR is ASCII with SO (0x0e) shifting to KS X 1001
 * (the bytes of EUC-KR without their high bit) and SI (0x0f) back; the
 * designator ESC $ ) C comes once, and each line starts in ASCII.  This
 * gives the EUC-KR bytes. */
static int iso2022kr_to_euckr(struct buf *out, const char *p, size_t n)
{
	size_t i;
	int so = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == 0x1b && i + 3 < n && memcmp(p + i + 1, "$)C", 3) == 0) {
			i += 3;
			continue;
		}
		if (c == 0x0e) {
			so = 1;
			continue;
		}
		if (c == 0x0f || c == '\n') {
			so = 0;
			if (c == 0x0f)
				continue;
		}
		if (so && c > 0x20 && c < 0x7f)
			c |= 0x80;
		if (buf_addc(out, c) < 0)
			return -1;
	}
	return 0;
}

/* The MIME name of a canonical charset for iconv (musl ignores case and
 * punctuation, and knows these spellings). */
static int conv_iconv(struct buf *out, const char *to, const char *from,
	const char *p, size_t n)
{
	iconv_t cd = iconv_open(to, from);
	char *in = (char *)p, *o;
	size_t inleft = n, oleft, r;
	int lossy = 0;

	if (cd == (iconv_t)-1)
		return -2;
	while (inleft) {
		if (buf_reserve(out, inleft * 4 + 16) < 0 &&
				buf_reserve(out, 64) < 0) {
			iconv_close(cd);
			return -1;
		}
		o = out->p + out->len;
		oleft = out->cap - out->len - 1;
		if (oleft > out->max - out->len)
			oleft = out->max - out->len;
		r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = o - out->p;
		out->p[out->len] = 0;
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			if (out->len >= out->max) {
				iconv_close(cd);
				errno = E2BIG;
				return -1;
			}
			continue;
		}
		/* EILSEQ, or EINVAL for a truncated character at the end */
		lossy = 1;
		if (buf_addc(out, '?') < 0) {
			iconv_close(cd);
			return -1;
		}
		in++;
		inleft--;
	}
	iconv_close(cd);
	return lossy;
}

int msg_conv(struct buf *out, const char *to, const char *from,
	const char *p, size_t n)
{
	char tcs[40], fcs[40];
	struct buf tmp = BUF_INIT(out->max);
	int r, bt, bf;
	size_t i;

	charset_norm(tcs, sizeof tcs, to);
	charset_norm(fcs, sizeof fcs, from);
	for (i = 0; i < n && !((unsigned char)p[i] & 0x80) &&
			p[i] != 0x0e && p[i] != 0x1b; i++)
		;
	/* pure ASCII reads the same in all of them */
	if (i == n)
		return buf_add(out, p, n);
	/* US-ASCII with 8-bit bytes lies: UTF-8 when it is, else Latin-1 */
	if (strcmp(fcs, "us-ascii") == 0)
		str_lcpy(fcs, str_utf8_valid(p, n) ? "utf-8" : "iso-8859-1",
			sizeof fcs);
	if (CFG_MAIL_CJK && strcmp(fcs, "iso-2022-kr") == 0) {
		if (iso2022kr_to_euckr(&tmp, p, n) < 0) {
			buf_free(&tmp);
			return -1;
		}
		r = msg_conv(out, to, "cp949", tmp.p ? tmp.p : "", tmp.len);
		buf_free(&tmp);
		return r;
	}
	bt = builtin_kind(tcs);
	bf = builtin_kind(fcs);
	if (CFG_MAIL_CJK && !(bt && bf)) {
		r = conv_iconv(out, tcs, fcs, p, n);
		if (r != -2)
			return r;
	}
	if (!bt)
		bt = 3;
	r = conv_builtin(out, bt, bf, (const unsigned char *)p, n);
	return r < 0 ? r : (r || !bf);
}

/* Replaces control characters in OUT from START on (and the C1 controls
 * U+0080-U+009F of UTF-8, which some terminals obey) with '?', so no
 * header can move the cursor or clear the screen. */
static void defang(struct buf *out, size_t start)
{
	size_t i;
	unsigned char c;

	for (i = start; i < out->len; i++) {
		c = out->p[i];
		if (c == '\t' || c == '\r' || c == '\n')
			out->p[i] = ' ';
		else if (c < 32 || c == 127)
			out->p[i] = '?';
		else if (c == 0xc2 && i + 1 < out->len &&
				(unsigned char)out->p[i + 1] >= 0x80 &&
				(unsigned char)out->p[i + 1] <= 0x9f)
			out->p[i] = '?', out->p[++i] = '?';
	}
}

/* RFC 2047 2: "=?" charset "?" encoding "?" encoded-text "?=".  Parses
 * the word at P (N bytes); returns its length with the parts set, or 0. */
static size_t ew_parse(const char *p, size_t n, char *cs, size_t csmax,
	int *enc, const char **text, size_t *tlen)
{
	size_t i, c0, t0;

	if (n < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	for (i = c0 = 2; i < n && p[i] != '?' && p[i] > 32 && p[i] < 127;
			i++)
		;
	if (i == n || p[i] != '?' || i == c0 || i - c0 >= csmax)
		return 0;
	memcpy(cs, p + c0, i - c0);
	cs[i - c0] = 0;
	/* RFC 2231 5: charset*language */
	if (strchr(cs, '*'))
		*strchr(cs, '*') = 0;
	if (i + 2 >= n || p[i + 2] != '?')
		return 0;
	*enc = p[i + 1] | 0x20;
	if (*enc != 'b' && *enc != 'q')
		return 0;
	for (i = t0 = i + 3; i + 1 < n && !(p[i] == '?' && p[i + 1] == '=');
			i++)
		if (p[i] <= 32 || p[i] >= 127)
			return 0;
	if (i + 1 >= n)
		return 0;
	*text = p + t0;
	*tlen = i - t0;
	return i + 2;
}

int msg_decode_header(struct buf *out, const char *p, size_t n,
	const char *fallback)
{
	struct buf pend = BUF_INIT(out->max);
	char cs[41], pcs[41] = "";
	const char *text;
	size_t i = 0, j, wl, tl, start = out->len, t;
	int enc, lossy = 0, r, last_ew = 0;
	unsigned char *dec;
	ssize_t dl;

	while (i < n) {
		wl = ew_parse(p + i, n - i, cs, sizeof cs, &enc, &text, &tl);
		if (wl && buf_reserve(&pend, tl + 1) == 0) {
			dec = (unsigned char *)pend.p + pend.len;
			if (enc == 'b')
				dl = b64_lax(dec, text, tl);
			else
				dl = qp_decode(dec, tl, text, tl, QP_HEADER);
			/* adjacent words of one charset convert together */
			if (pend.len && strcasecmp(cs, pcs) != 0) {
				/* flush what is pending first, keep this */
				struct buf one = BUF_INIT(out->max);

				if (buf_add(&one, dec, dl) < 0)
					goto full;
				r = msg_conv(out, "utf-8", pcs, pend.p,
					pend.len);
				buf_reset(&pend);
				if (r < 0 || buf_add(&pend, one.p, one.len) < 0)
				{
					buf_free(&one);
					goto full;
				}
				lossy |= r;
				buf_free(&one);
			} else {
				pend.len += dl;
				pend.p[pend.len] = 0;
			}
			str_lcpy(pcs, cs, sizeof pcs);
			i += wl;
			last_ew = 1;
			continue;
		}
		if (last_ew && is_blank(p[i])) {
			/* RFC 2047 6.2: blanks between two words vanish */
			for (j = i; j < n && (is_blank(p[j]) || p[j] == '\r' ||
					p[j] == '\n'); j++)
				;
			if (ew_parse(p + j, n - j, cs, sizeof cs, &enc, &text,
					&tl)) {
				i = j;
				continue;
			}
		}
		if (pend.len) {
			r = msg_conv(out, "utf-8", pcs, pend.p, pend.len);
			buf_reset(&pend);
			if (r < 0)
				goto full;
			lossy |= r;
		}
		last_ew = 0;
		/* literal text up to the next "=?" */
		for (j = i + 1; j < n && !(p[j] == '=' && j + 1 < n &&
				p[j + 1] == '?'); j++)
			;
		t = j - i;
		if (str_utf8_valid(p + i, t))
			r = buf_add(out, p + i, t);
		else
			r = msg_conv(out, "utf-8", fallback ? fallback :
				"iso-8859-1", p + i, t);
		if (r < 0)
			goto full;
		lossy |= r;
		i = j;
	}
	if (pend.len) {
		r = msg_conv(out, "utf-8", pcs, pend.p, pend.len);
		if (r < 0)
			goto full;
		lossy |= r;
	}
	buf_free(&pend);
	defang(out, start);
	return lossy;
full:
	buf_free(&pend);
	return -1;
}

int msg_needs_mime(const char *p, size_t n)
{
	size_t i, col = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '\n') {
			col = 0;
			continue;
		}
		/* RFC 5322 2.1.1: 998 characters at most per line */
		if (c >= 0x80 || (c < 32 && c != '\t' && c != '\r') ||
				c == 127 || ++col > 998)
			return 1;
	}
	return 0;
}

/* Emits the UTF-8 text S (N bytes) as RFC 2047 B words at column *COL,
 * each at most 75 characters and never splitting a character (5: each
 * word must hold whole characters), moving to a continuation line when
 * the line would pass 76. */
static int ew_emit(struct buf *out, const unsigned char *s, size_t n,
	size_t *col)
{
	char enc[80];
	size_t take, room;

	while (n) {
		/* "=?UTF-8?B?" + text + "?=" in 75, so 60 base64 chars */
		room = *col + 1 + 12 < 76 ? (76 - *col - 1 - 12) / 4 * 3 : 0;
		if (room > 45)
			room = 45;
		if (room < 6) {
			if (buf_add(out, "\n", 1) < 0)
				return -1;
			*col = 0;
			continue;
		}
		take = n < room ? n : room;
		while (take < n && take > 0 && (s[take] & 0xc0) == 0x80)
			take--;
		if (take == 0)
			take = n < 4 ? n : 4;
		b64_encode(enc, sizeof enc, s, take);
		if (buf_printf(out, " =?UTF-8?B?%s?=", enc) < 0)
			return -1;
		*col += 13 + strlen(enc);
		s += take;
		n -= take;
	}
	return 0;
}

/* Appends ASCII text S (N bytes) folding at blanks (RFC 5322 2.2.3)
 * so lines stay under 78 characters where a blank allows. */
static int fold_ascii(struct buf *out, const char *s, size_t n, size_t *col)
{
	size_t i, w;

	for (i = 0; i < n; i = w) {
		for (w = i + 1; w < n && s[w] != ' '; w++)
			;
		if (s[i] == ' ' && *col + (w - i) > 78 && *col > 1) {
			if (buf_addc(out, '\n') < 0)
				return -1;
			*col = 0;
		}
		if (buf_add(out, s + i, w - i) < 0)
			return -1;
		*col += w - i;
	}
	return 0;
}

/* Whether a display name must be quoted (RFC 5322 3.2.3 specials). */
static int needs_quotes(const char *s)
{
	for (; *s; s++)
		if (strchr("()<>[]:;@\\,.\"", *s))
			return 1;
	return 0;
}

static int is_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

int msg_header_encode(struct buf *out, const char *name, const char *value,
	int addr)
{
	struct buf v = BUF_INIT(64 * 1024);
	struct msg_addr *a = NULL;
	const char *lp;
	size_t col, i, ln, k = 0;
	int r = -1;
	unsigned char c;

	/* no control character can reach the message: no new field */
	for (i = 0; value[i]; i++) {
		c = value[i];
		if (buf_addc(&v, c < 32 || c == 127 ? ' ' : c) < 0)
			goto out;
	}
	if (buf_printf(out, "%s:", name) < 0)
		goto out;
	col = strlen(name) + 1;
	if (!addr) {
		if (!is_ascii(v.p ? v.p : "", v.len) || strstr(buf_str(&v),
				"=?")) {
			if (ew_emit(out, (unsigned char *)v.p, v.len, &col) < 0)
				goto out;
		} else if ((v.len && (buf_addc(out, ' ') < 0 ||
				(col++, fold_ascii(out, v.p, v.len, &col)) < 0)))
			goto out;
		r = buf_addc(out, '\n');
		goto out;
	}
	a = xmalloc(sizeof *a);
	lp = buf_str(&v);
	ln = v.len;
	while (msg_addr_next(&lp, &ln, a)) {
		size_t nl = strlen(a->name), al = strlen(a->addr);

		if (k++ && buf_addc(out, ',') < 0)
			goto out;
		col += k > 1;
		if (col + nl + al + 4 > 78 && col > strlen(name) + 2) {
			if (buf_addc(out, '\n') < 0)
				goto out;
			col = 0;
		}
		if (nl && !is_ascii(a->name, nl)) {
			if (ew_emit(out, (unsigned char *)a->name, nl, &col) < 0)
				goto out;
		} else if (nl) {
			int q = needs_quotes(a->name);

			if (buf_addc(out, ' ') < 0 || (q && buf_addc(out, '"')
					< 0))
				goto out;
			for (i = 0; i < nl; i++)
				if ((a->name[i] == '"' || a->name[i] == '\\') &&
						buf_addc(out, '\\') < 0)
					goto out;
				else if (buf_addc(out, a->name[i]) < 0)
					goto out;
			if (q && buf_addc(out, '"') < 0)
				goto out;
			col += nl + 1 + 2 * q;
		}
		if (buf_printf(out, nl ? " <%s>" : " %s", a->addr) < 0)
			goto out;
		col += al + 1 + (nl ? 2 : 0);
	}
	r = buf_addc(out, '\n');
out:
	free(a);
	buf_free(&v);
	return r;
}

/* --- addresses --- */

/* Reads a quoted string or comment at P[*I] (the opening character) up
 * to its close, handling backslash escapes (RFC 5322 3.2.4) and nesting
 * of comments (3.2.2); appends the inside to DST (MAX bytes, cut). */
static void take_delimited(const char *p, size_t n, size_t *i, char *dst,
	size_t max, size_t *dl)
{
	char open = p[*i], close = open == '(' ? ')' : '"';
	int depth = 1;

	for ((*i)++; *i < n; (*i)++) {
		char c = p[*i];

		if (c == '\\' && *i + 1 < n) {
			c = p[++*i];
		} else if (c == close) {
			if (--depth == 0) {
				(*i)++;
				return;
			}
		} else if (open == '(' && c == '(') {
			depth++;
		}
		if (c == '\r' || c == '\n')
			continue;
		if (*dl + 1 < max)
			dst[(*dl)++] = c;
	}
}

static void addc_cut(char *dst, size_t max, size_t *dl, char c)
{
	if (*dl + 1 < max)
		dst[(*dl)++] = c;
}

int msg_addr_next(const char **pp, size_t *np, struct msg_addr *a)
{
	const char *p = *pp;
	size_t n = *np, i = 0, pl = 0, rl = 0, cl = 0, al = 0, q;
	char phrase[256], raw[256], cmt[256];
	int angle = 0, space = 0, any = 0;
	struct buf nb = BUF_INIT(sizeof a->name);

	a->name[0] = a->addr[0] = 0;
	while (i < n) {
		char c = p[i];

		if (c == ',' || c == ';') {
			i++;
			if (any)
				break;
			continue;
		}
		if (c == ':' && !angle) {
			/* RFC 5322 3.4: a group's display name */
			pl = rl = cl = 0;
			any = 0;
			i++;
			continue;
		}
		if (c == '"') {
			if (pl && space)
				addc_cut(phrase, sizeof phrase, &pl, ' ');
			addc_cut(raw, sizeof raw, &rl, '"');
			q = pl;
			take_delimited(p, n, &i, phrase, sizeof phrase, &pl);
			for (; q < pl; q++)
				addc_cut(raw, sizeof raw, &rl, phrase[q]);
			addc_cut(raw, sizeof raw, &rl, '"');
			space = 0;
			any = 1;
			continue;
		}
		if (c == '(') {
			if (cl)
				addc_cut(cmt, sizeof cmt, &cl, ' ');
			take_delimited(p, n, &i, cmt, sizeof cmt, &cl);
			continue;
		}
		if (c == '<') {
			for (i++, al = 0; i < n && p[i] != '>'; i++) {
				if (p[i] == '(') {
					char junk[2];
					size_t jl = 0;

					take_delimited(p, n, &i, junk,
						sizeof junk, &jl);
					i--;
				} else if (p[i] == ':')
					al = 0;	/* obsolete route: @a,@b: */
				else if (!is_blank(p[i]) && p[i] != '\r' &&
						p[i] != '\n')
					addc_cut(a->addr, sizeof a->addr, &al,
						p[i]);
			}
			a->addr[al] = 0;
			i += i < n;
			angle = 1;
			any = 1;
			continue;
		}
		if (is_blank(c) || c == '\r' || c == '\n') {
			space = pl > 0;
			i++;
			continue;
		}
		if (angle) {
			i++;
			continue;
		}
		if (pl && space && c != '.' && phrase[pl - 1] != '.')
			addc_cut(phrase, sizeof phrase, &pl, ' ');
		else if (pl && space)
			addc_cut(phrase, sizeof phrase, &pl, ' ');
		addc_cut(phrase, sizeof phrase, &pl, c);
		addc_cut(raw, sizeof raw, &rl, c);
		space = 0;
		any = 1;
		i++;
	}
	*pp = p + i;
	*np = n - i;
	if (!any)
		return 0;
	phrase[pl] = raw[rl] = cmt[cl] = 0;
	if (angle) {
		msg_decode_header(&nb, phrase, pl, NULL);
	} else {
		str_lcpy(a->addr, raw, sizeof a->addr);
		msg_decode_header(&nb, cmt, cl, NULL);
	}
	str_lcpy(a->name, buf_str(&nb), sizeof a->name);
	buf_free(&nb);
	return 1;
}

/* --- MIME parameters --- */

#define PARAM_SECTIONS	64

int msg_param(struct buf *out, const char *p, size_t n, const char *name)
{
	struct { const char *v; size_t len; int ext, quoted; } sec[
		PARAM_SECTIONS];
	struct buf raw = BUF_INIT(64 * 1024);
	size_t i = 0, a0, a1, v0, v1, nl = strlen(name), k, nsec = 0;
	const char *plain = NULL;
	size_t plainlen = 0;
	int quoted, ext, r = 0, plainq = 0;
	unsigned long num;
	char charset[41] = "", numbuf[8];

	memset(sec, 0, sizeof sec);
	/* the type or disposition itself comes first */
	for (; i < n && p[i] != ';'; i++)
		if (p[i] == '"')
			for (i++; i < n && p[i] != '"'; i++)
				i += p[i] == '\\';
	while (i < n) {
		i++;		/* the ';' */
		while (i < n && (is_blank(p[i]) || p[i] == '\r' ||
				p[i] == '\n'))
			i++;
		if (i < n && p[i] == '(') {
			char junk[2];
			size_t jl = 0;

			take_delimited(p, n, &i, junk, sizeof junk, &jl);
			while (i < n && is_blank(p[i]))
				i++;
		}
		for (a0 = i; i < n && p[i] != '=' && p[i] != ';' &&
				!is_blank(p[i]); i++)
			;
		a1 = i;
		while (i < n && is_blank(p[i]))
			i++;
		if (i >= n || p[i] != '=') {
			while (i < n && p[i] != ';')
				i++;
			continue;
		}
		for (i++; i < n && (is_blank(p[i]) || p[i] == '\r' ||
				p[i] == '\n'); i++)
			;
		quoted = i < n && p[i] == '"';
		if (quoted) {
			for (v0 = ++i; i < n && p[i] != '"'; i++)
				i += p[i] == '\\';
			v1 = i < n ? i : n;
			i += i < n;
		} else {
			for (v0 = i; i < n && p[i] != ';' && !is_blank(p[i]) &&
					p[i] != '\r' && p[i] != '\n'; i++)
				;
			v1 = i;
		}
		while (i < n && p[i] != ';')
			i++;
		if (a1 - a0 < nl || strncasecmp(p + a0, name, nl) != 0)
			continue;
		if (a1 - a0 == nl) {
			plain = p + v0;
			plainlen = v1 - v0;
			plainq = quoted;
			continue;
		}
		/* RFC 2231 3 and 4: name*, name*N, name*N* */
		if (p[a0 + nl] != '*')
			continue;
		k = a0 + nl + 1;
		ext = p[a1 - 1] == '*';
		if (k >= a1 - ext) {
			num = 0;
			ext = 1;
		} else {
			if (a1 - ext - k >= sizeof numbuf)
				continue;
			memcpy(numbuf, p + k, a1 - ext - k);
			numbuf[a1 - ext - k] = 0;
			if (str_toul(numbuf, PARAM_SECTIONS - 1, &num) < 0)
				continue;
		}
		sec[num].v = p + v0;
		sec[num].len = v1 - v0;
		sec[num].ext = ext;
		sec[num].quoted = quoted;
		if (num + 1 > nsec)
			nsec = num + 1;
	}
	if (nsec && sec[0].v) {
		for (k = 0; k < nsec && sec[k].v; k++) {
			const char *s = sec[k].v;
			size_t len = sec[k].len, j;

			if (sec[k].ext && k == 0) {
				/* charset'language'value */
				const char *q1 = memchr(s, '\'', len), *q2;

				if (q1 && (q2 = memchr(q1 + 1, '\'',
						len - (q1 + 1 - s)))) {
					size_t cl = q1 - s;

					if (cl >= sizeof charset)
						cl = sizeof charset - 1;
					memcpy(charset, s, cl);
					charset[cl] = 0;
					len -= q2 + 1 - s;
					s = q2 + 1;
				}
			}
			for (j = 0; j < len; j++) {
				int c = (unsigned char)s[j], h, l;

				if (sec[k].ext && c == '%' && j + 2 < len &&
						(h = str_hexval(s[j + 1])) >= 0 &&
						(l = str_hexval(s[j + 2])) >= 0) {
					c = h << 4 | l;
					j += 2;
				} else if (sec[k].quoted && c == '\\' &&
						j + 1 < len) {
					c = (unsigned char)s[++j];
				}
				if (buf_addc(&raw, c) < 0)
					goto full;
			}
		}
		r = msg_conv(out, "utf-8", charset[0] ? charset :
			"us-ascii", buf_str(&raw), raw.len);
		r = r < 0 ? -1 : 1;
	} else if (plain) {
		for (k = 0; k < plainlen; k++) {
			if (plainq && plain[k] == '\\' && k + 1 < plainlen)
				k++;
			if (buf_addc(&raw, plain[k]) < 0)
				goto full;
		}
		/* RFC 2047 5 forbids words in quoted strings; mailers
		 * send them anyway in names */
		r = msg_decode_header(out, buf_str(&raw), raw.len, NULL);
		r = r < 0 ? -1 : 1;
	}
	buf_free(&raw);
	return r;
full:
	buf_free(&raw);
	return -1;
}

char *msg_mime_type(char *dst, size_t max, const char *p, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n && (is_blank(p[i]) || p[i] == '\r' || p[i] == '\n'))
		i++;
	for (; i < n && p[i] != ';' && p[i] != '(' && p[i] > 32 &&
			p[i] < 127 && o + 1 < max; i++)
		dst[o++] = p[i];
	if (max)
		dst[o] = 0;
	return str_lower(dst);
}

/* --- MIME trees --- */

struct walk {
	struct msg_part *parts;
	size_t n, max;
	struct msg_hdr *hs;
	size_t hmax;
};

/* The Content-Transfer-Encoding named by the value at P (RFC 2045 6.1);
 * unknown ones are shown raw, as 7bit. */
static int cte(const char *p, size_t n)
{
	char t[24];

	msg_mime_type(t, sizeof t, p, n);
	if (strcmp(t, "base64") == 0)
		return MSG_BASE64;
	if (strcmp(t, "quoted-printable") == 0)
		return MSG_QP;
	if (strcmp(t, "8bit") == 0)
		return MSG_8BIT;
	if (strcmp(t, "binary") == 0)
		return MSG_BINARY;
	return MSG_7BIT;
}

/* Whether the line at P (N bytes) is "--BOUNDARY" or "--BOUNDARY--",
 * blanks allowed after (RFC 2046 5.1.1).  2 for the close delimiter. */
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
	for (; i < n && (is_blank(p[i]) || p[i] == '\r'); i++)
		;
	return i == n ? 1 + close : 0;
}

static void walk(struct walk *w, const char *p, size_t n, int depth,
	const char *deftype);

static void walk_multipart(struct walk *w, const char *p, size_t n,
	int depth, const char *b, const char *deftype)
{
	size_t bl = strlen(b), i = 0, eol, start = 0;
	const char *nl;
	int inpart = 0, d;

	while (i < n) {
		nl = memchr(p + i, '\n', n - i);
		eol = nl ? (size_t)(nl - p) : n;
		d = p[i] == '-' ? delimiter(p + i, eol - i, b, bl) : 0;
		if (d) {
			if (inpart) {
				/* the line end before a delimiter is its own */
				size_t end = i;

				if (end > start && p[end - 1] == '\n')
					end--;
				if (end > start && p[end - 1] == '\r')
					end--;
				walk(w, p + start, end - start, depth, deftype);
			}
			if (d == 2)
				return;
			inpart = 1;
			start = nl ? eol + 1 : n;
		}
		i = nl ? eol + 1 : n;
	}
	/* no close delimiter: the part ends with its parent */
	if (inpart && start < n)
		walk(w, p + start, n - start, depth, deftype);
}

static void walk(struct walk *w, const char *p, size_t n, int depth,
	const char *deftype)
{
	struct msg_hdrs h = { w->hs, 0, w->hmax, 0, 0 };
	const struct msg_hdr *f;
	struct msg_part *part;
	struct buf v = BUF_INIT(1024);

	if (w->n >= w->max)
		return;
	part = &w->parts[w->n++];
	memset(part, 0, sizeof *part);
	msg_headers(&h, p, n);
	part->hdr = p;
	part->hlen = h.size;
	part->body = p + h.size;
	part->blen = n - h.size;
	part->depth = depth;
	str_lcpy(part->type, deftype, sizeof part->type);
	if ((f = msg_hdr_find(&h, "Content-Type", NULL))) {
		msg_mime_type(part->type, sizeof part->type, f->value,
			f->vlen);
		/* RFC 2045 5.2: a malformed type means text/plain */
		if (!strchr(part->type, '/'))
			str_lcpy(part->type, "text/plain", sizeof part->type);
		if (msg_param(&v, f->value, f->vlen, "charset") > 0)
			str_lcpy(part->charset, buf_str(&v),
				sizeof part->charset);
		buf_reset(&v);
		if (msg_param(&v, f->value, f->vlen, "name") > 0)
			str_lcpy(part->name, buf_str(&v), sizeof part->name);
		buf_reset(&v);
	}
	if ((f = msg_hdr_find(&h, "Content-Transfer-Encoding", NULL)))
		part->encoding = cte(f->value, f->vlen);
	if ((f = msg_hdr_find(&h, "Content-Disposition", NULL))) {
		char t[16];

		msg_mime_type(t, sizeof t, f->value, f->vlen);
		part->attachment = strcmp(t, "attachment") == 0;
		if (msg_param(&v, f->value, f->vlen, "filename") > 0)
			str_lcpy(part->name, buf_str(&v), sizeof part->name);
		buf_reset(&v);
	}
	if (depth < MSG_DEPTH_MAX && str_starts(part->type, "multipart/") &&
			(f = msg_hdr_find(&h, "Content-Type", NULL)) &&
			msg_param(&v, f->value, f->vlen, "boundary") > 0 &&
			v.len > 0 && v.len <= 200) {
		char b[201];

		str_lcpy(b, buf_str(&v), sizeof b);
		part->container = 1;
		/* RFC 2046 5.1.5: a digest's parts are messages */
		walk_multipart(w, part->body, part->blen, depth + 1, b,
			strcmp(part->type, "multipart/digest") == 0 ?
			"message/rfc822" : "text/plain");
	} else if (depth < MSG_DEPTH_MAX &&
			strcmp(part->type, "message/rfc822") == 0 &&
			part->encoding != MSG_BASE64 &&
			part->encoding != MSG_QP) {
		part->container = 1;
		walk(w, part->body, part->blen, depth + 1, "text/plain");
	}
	buf_free(&v);
}

size_t msg_mime_walk(const char *p, size_t n, struct msg_part *parts,
	size_t max, struct msg_hdr *hscratch, size_t hmax)
{
	struct walk w = { parts, 0, max, hscratch, hmax };

	walk(&w, p, n, 0, "text/plain");
	return w.n;
}

int msg_part_decode(struct buf *out, const struct msg_part *part)
{
	ssize_t r;

	if (part->encoding != MSG_BASE64 && part->encoding != MSG_QP)
		return buf_add(out, part->body, part->blen);
	if (buf_reserve(out, part->blen + 1) < 0)
		return -1;
	if (part->encoding == MSG_BASE64)
		r = b64_lax((unsigned char *)out->p + out->len, part->body,
			part->blen);
	else
		r = qp_decode(out->p + out->len, part->blen, part->body,
			part->blen, 0);
	if (r < 0)
		return -1;
	out->len += r;
	out->p[out->len] = 0;
	return 0;
}

/* --- HTML --- */

/* The code point of the entity at P (N bytes, after the "&", up to and
 * without the ";"), or -1. */
static long entity(const char *p, size_t n)
{
	static const struct { const char *name; unsigned cp; } names[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", 0xa0 }, { "copy", 0xa9 },
		{ "reg", 0xae }, { "hellip", 0x2026 }, { "mdash", 0x2014 },
		{ "ndash", 0x2013 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
		{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "bull", 0x2022 },
		{ "middot", 0xb7 }, { "euro", 0x20ac }, { "trade", 0x2122 },
		{ "laquo", 0xab }, { "raquo", 0xbb }, { "times", 0xd7 },
	};
	size_t i;
	unsigned long v = 0;

	if (n > 1 && p[0] == '#') {
		int hex = p[1] == 'x' || p[1] == 'X';

		for (i = 1 + hex; i < n; i++) {
			int d = hex ? str_hexval(p[i]) : (p[i] >= '0' && p[i] <= '9' ?
				p[i] - '0' : -1);

			if (d < 0 || v > 0x10ffff)
				return -1;
			v = v * (hex ? 16 : 10) + d;
		}
		if (i == 1 + (size_t)hex || v == 0 || v > 0x10ffff ||
				(v >= 0xd800 && v <= 0xdfff))
			return -1;
		return v;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n &&
				memcmp(names[i].name, p, n) == 0)
			return names[i].cp;
	return -1;
}

/* Ends the current line of OUT unless it is ended; with BLANK, leaves
 * one empty line (never more). */
static int html_break(struct buf *out, size_t start, int blank)
{
	size_t nl = 0, i = out->len;

	while (i > start && out->p[i - 1] == ' ')
		out->p[--i] = 0, out->len--;
	for (i = out->len; i > start && out->p[i - 1] == '\n'; i--)
		nl++;
	if (out->len == start)
		return 0;
	while (nl < (blank ? 2u : 1u)) {
		if (buf_addc(out, '\n') < 0)
			return -1;
		nl++;
	}
	return 0;
}

int msg_html_text(struct buf *out, const char *p, size_t n)
{
	size_t i = 0, j, t0, start = out->len;
	char tag[16];
	size_t tl;
	int space = 0, closing, pre = 0;
	long cp;

	while (i < n) {
		unsigned char c = p[i];

		if (c == '<') {
			if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
				const char *e = memmem(p + i + 4, n - i - 4,
					"-->", 3);

				i = e ? (size_t)(e - p) + 3 : n;
				continue;
			}
			j = i + 1;
			closing = j < n && p[j] == '/';
			j += closing;
			for (t0 = j, tl = 0; j < n && (p[j] | 0x20) >= 'a' &&
					(p[j] | 0x20) <= 'z' ? 1 : (j < n &&
					tl && p[j] >= '0' && p[j] <= '9'); j++)
				if (tl + 1 < sizeof tag)
					tag[tl++] = p[j] | 0x20;
			tag[tl] = 0;
			if (j == t0 && !closing && (j >= n || p[j] != '!')) {
				/* a lone "<" is text */
				goto text;
			}
			/* the end of the tag, quotes respected */
			for (; j < n && p[j] != '>'; j++)
				if (p[j] == '"' || p[j] == '\'') {
					const char *e = memchr(p + j + 1, p[j],
						n - j - 1);

					j = e ? (size_t)(e - p) : n - 1;
				}
			i = j + (j < n);
			if (!closing && (strcmp(tag, "script") == 0 ||
					strcmp(tag, "style") == 0 ||
					strcmp(tag, "head") == 0 ||
					strcmp(tag, "title") == 0)) {
				/* skip to the closing tag */
				char close[12];
				size_t cl = snprintf(close, sizeof close,
					"</%s", tag);
				const char *e;

				for (e = NULL, j = i; j + cl <= n; j++)
					if (strncasecmp(p + j, close, cl) == 0) {
						e = p + j;
						break;
					}
				if (!e) {
					i = n;
					continue;
				}
				i = e - p;
				continue;
			}
			if (strcmp(tag, "br") == 0) {
				while (out->len > start &&
						out->p[out->len - 1] == ' ')
					out->p[--out->len] = 0;
				if (buf_addc(out, '\n') < 0)
					return -1;
				space = 0;
			} else if (strcmp(tag, "li") == 0 && !closing) {
				if (html_break(out, start, 0) < 0 ||
						buf_adds(out, "* ") < 0)
					return -1;
				space = 0;
			} else if (strcmp(tag, "p") == 0 ||
					strcmp(tag, "table") == 0 ||
					strcmp(tag, "blockquote") == 0 ||
					(tag[0] == 'h' && tag[1] >= '1' &&
					tag[1] <= '6' && !tag[2])) {
				if (html_break(out, start, 1) < 0)
					return -1;
				space = 0;
			} else if (strcmp(tag, "div") == 0 ||
					strcmp(tag, "tr") == 0 ||
					strcmp(tag, "ul") == 0 ||
					strcmp(tag, "ol") == 0 ||
					strcmp(tag, "hr") == 0) {
				if (html_break(out, start, 0) < 0)
					return -1;
				space = 0;
			} else if (strcmp(tag, "pre") == 0) {
				pre = !closing;
				if (html_break(out, start, 0) < 0)
					return -1;
			} else if (strcmp(tag, "td") == 0 ||
					strcmp(tag, "th") == 0) {
				space = 1;
			}
			continue;
		}
		if (c == '&') {
			for (j = i + 1; j < n && j - i < 12 && p[j] != ';' &&
					p[j] != '<' && p[j] != ' '; j++)
				;
			if (j < n && p[j] == ';' &&
					(cp = entity(p + i + 1, j - i - 1)) >= 0) {
				if (space && out->len > start &&
						out->p[out->len - 1] != '\n' &&
						buf_addc(out, ' ') < 0)
					return -1;
				space = 0;
				if (utf8_put(out, cp == 0xa0 ? ' ' : cp) < 0)
					return -1;
				i = j + 1;
				continue;
			}
		}
		if (!pre && (c == ' ' || c == '\t' || c == '\r' ||
				c == '\n')) {
			/* HTML collapses white space */
			space = 1;
			i++;
			continue;
		}
text:
		if (space && out->len > start && out->p[out->len - 1] != '\n' &&
				buf_addc(out, ' ') < 0)
			return -1;
		space = 0;
		if (buf_addc(out, p[i]) < 0)
			return -1;
		i++;
	}
	while (out->len > start && (out->p[out->len - 1] == '\n' ||
			out->p[out->len - 1] == ' '))
		out->p[--out->len] = 0;
	if (out->len > start)
		return buf_addc(out, '\n');
	return 0;
}

size_t msg_date(time_t t, char *dst, size_t max)
{
	struct tm tm;
	size_t n = 0;

	if (localtime_r(&t, &tm))
		n = strftime(dst, max, "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (!n && max)
		dst[0] = 0;
	return n;
}
