/* b64: base64, RFC 4648 4 (see b64.h). */
#include "libmini.h"
#include <errno.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

ssize_t b64_encode(char *dst, size_t max, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i, o = 0;
	unsigned v;

	if (max < B64_ENCLEN(n) + 1 || n > (size_t)-1 / 2) {
		if (max)
			dst[0] = 0;
		errno = E2BIG;
		return -1;
	}
	for (i = 0; i + 2 < n; i += 3) {
		v = s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		dst[o++] = alphabet[v >> 18];
		dst[o++] = alphabet[v >> 12 & 63];
		dst[o++] = alphabet[v >> 6 & 63];
		dst[o++] = alphabet[v & 63];
	}
	/* RFC 4648 4: the final quantum of one or two bytes is padded */
	if (i < n) {
		v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0);
		dst[o++] = alphabet[v >> 18];
		dst[o++] = alphabet[v >> 12 & 63];
		dst[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		dst[o++] = '=';
	}
	dst[o] = 0;
	return o;
}

/* The value of C in the alphabet, or -1. */
static int value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t b64_decode(void *dst, size_t max, const char *src, size_t n,
	int flags)
{
	unsigned char *d = dst;
	unsigned v = 0;
	size_t i, o = 0;
	int k = 0, pad = 0, c, x;

	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if ((flags & B64_SPACE) && (c == '\r' || c == '\n' ||
				c == ' ' || c == '\t'))
			continue;
		if (c == '=') {
			/* only in the last quantum's third or fourth place */
			if (k < 2)
				goto bad;
			pad++;
			k++;
			if (k == 4)
				break;
			continue;
		}
		if (pad || (x = value(c)) < 0)
			goto bad;
		v = v << 6 | x;
		if (++k == 4) {
			if (max - o < 3)
				goto big;
			d[o++] = v >> 16;
			d[o++] = v >> 8;
			d[o++] = v;
			v = 0;
			k = 0;
		}
	}
	/* after the padding only blanks (B64_SPACE) may follow */
	for (i++; pad && i < n; i++) {
		c = (unsigned char)src[i];
		if (!(flags & B64_SPACE) || (c != '\r' && c != '\n' &&
				c != ' ' && c != '\t'))
			goto bad;
	}
	if (pad == 0) {
		if (k != 0)
			goto bad;
		return o;
	}
	if (k != 4)
		goto bad;
	/* "xx==" holds one byte, "xxx=" two; the spare bits must be 0 */
	if (pad == 2) {
		if (v & 0xf)
			goto bad;
		if (max - o < 1)
			goto big;
		d[o++] = v >> 4;
	} else {
		if (v & 0x3)
			goto bad;
		if (max - o < 2)
			goto big;
		d[o++] = v >> 10;
		d[o++] = v >> 2;
	}
	return o;
bad:
	errno = EINVAL;
	return -1;
big:
	errno = E2BIG;
	return -1;
}
