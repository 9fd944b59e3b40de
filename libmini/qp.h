/*
 * qp: quoted-printable (RFC 2045 6.7) and the "Q" encoding of RFC 2047
 * 4.2.  Bounded; nothing is allocated.
 */
#ifndef LIBMINI_QP_H
#define LIBMINI_QP_H
#include <sys/types.h>
#include <stddef.h>

struct buf;

/* Decoding flags. */
#define QP_HEADER	1	/* RFC 2047 4.2: "_" is a space */

/*
 * Decodes the N bytes at SRC into DST (MAX bytes; no NUL added).  Lenient,
 * as RFC 2045 6.7 (note 1) advises a robust decoder to be: "=" followed by
 * anything but two hex digits or a line end is kept as it is; "=" at a
 * line end (a soft break, "=\n" or "=\r\n", blanks allowed before the end)
 * joins the lines; blanks at the end of a line are dropped (6.7 rule 3:
 * an encoder added no meaningful ones).  Returns the byte count, or -1
 * with E2BIG when the result does not fit (the output never grows, so
 * MAX >= N always fits).
 */
ssize_t qp_decode(void *dst, size_t max, const char *src, size_t n,
	int flags);

/*
 * Appends the N bytes at SRC to OUT as a quoted-printable body (RFC 2045
 * 6.7): lines of at most 76 characters with soft breaks, "=" and bytes
 * outside printable ASCII as =XX, a blank before a line end as =20 or
 * =09, "\n" kept as the line end ("\r\n" taken as one).  0, or -1 with
 * errno when OUT reached its cap (E2BIG) or memory ran out.
 */
int qp_encode(struct buf *out, const void *src, size_t n);

#endif
