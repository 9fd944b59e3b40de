/* qp: quoted-printable, RFC 2045 6.7 and RFC 2047 4.2 (see qp.h). */
#include "libmini.h"
#include <errno.h>

ssize_t qp_decode(void *dst, size_t max, const char *src, size_t n,
	int flags)
{
	unsigned char *d = dst;
	size_t i = 0, o = 0, j, blank = 0;
	int hi, lo, c;

	while (i < n) {
		c = (unsigned char)src[i];
		if (c == '=') {
			/* a soft line break: "=" then blanks, then the end */
			for (j = i + 1; j < n && (src[j] == ' ' ||
					src[j] == '\t'); j++)
				;
			if (j < n && src[j] == '\r' && j + 1 < n &&
					src[j + 1] == '\n')
				j++;
			if (j == n || src[j] == '\n') {
				i = j + (j < n);
				blank = o;
				continue;
			}
			if (i + 2 < n && (hi = str_hexval(src[i + 1])) >= 0 &&
					(lo = str_hexval(src[i + 2])) >= 0) {
				if (o >= max)
					goto big;
				d[o++] = hi << 4 | lo;
				blank = o;
				i += 3;
				continue;
			}
		}
		if (c == '\n' || (c == '\r' && i + 1 < n &&
				src[i + 1] == '\n')) {
			/* rule 3: trailing blanks were the transport's */
			o = blank;
		}
		if (c == '_' && (flags & QP_HEADER))
			c = ' ';
		if (o >= max)
			goto big;
		d[o++] = c;
		if (c != ' ' && c != '\t')
			blank = o;
		i++;
	}
	return o;
big:
	errno = E2BIG;
	return -1;
}

int qp_encode(struct buf *out, const void *src, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = src;
	size_t i, col = 0;
	char tok[4];
	size_t tl;
	int c, eol;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (c == '\n') {
			if (buf_addc(out, '\n') < 0)
				return -1;
			col = 0;
			continue;
		}
		eol = i + 1 == n || s[i + 1] == '\n' ||
			(s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
		if ((c >= 33 && c <= 126 && c != '=') ||
				((c == ' ' || c == '\t') && !eol)) {
			tok[0] = c;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			tl = 3;
		}
		/* 6.7 rule 5: at most 76 characters, the "=" included */
		if (col + tl > 75 && !(eol && col + tl <= 76)) {
			if (buf_add(out, "=\n", 2) < 0)
				return -1;
			col = 0;
		}
		if (buf_add(out, tok, tl) < 0)
			return -1;
		col += tl;
	}
	return 0;
}
