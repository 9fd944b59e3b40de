/*
 * b64: base64 (RFC 4648 4), bounded, for SASL (RFC 4954 4), MIME bodies
 * and headers (RFC 2045 6.8, RFC 2047) and PEM-like data.  Nothing is
 * allocated: the caller gives the destination and its size.
 */
#ifndef LIBMINI_B64_H
#define LIBMINI_B64_H
#include <sys/types.h>
#include <stddef.h>

/* Characters that N bytes encode to (no NUL). */
#define B64_ENCLEN(n)	(((n) + 2) / 3 * 4)
/* The most bytes N characters can decode to. */
#define B64_DECLEN(n)	((n) / 4 * 3 + 3)

/* Encodes the N bytes at SRC into DST (room for MAX bytes, the NUL
 * included), padded with "=".  Returns the length, or -1 with E2BIG when
 * MAX < B64_ENCLEN(N) + 1 (DST is then "" when MAX > 0). */
ssize_t b64_encode(char *dst, size_t max, const void *src, size_t n);

/* Decoding flags. */
#define B64_SPACE	1	/* skip CR, LF, space and tab (MIME bodies) */

/*
 * Decodes the N characters at SRC into DST (MAX bytes; no NUL is added).
 * Strict, as RFC 4648 3.3 lets a decoder be: any character outside the
 * alphabet (but blanks with B64_SPACE), a length that is not a multiple
 * of four, "=" anywhere but one or two at the end, or non-zero bits left
 * over in the last character (3.5: a non-canonical encoding) fail with
 * EINVAL.  Empty input decodes to 0 bytes.  Returns the byte count, or
 * -1 with EINVAL, or E2BIG when the result does not fit in MAX.
 */
ssize_t b64_decode(void *dst, size_t max, const char *src, size_t n,
	int flags);

#endif
