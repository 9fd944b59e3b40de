/*
 * imapd's COMPRESS=DEFLATE (RFC 4978): a transport under the session's
 * two ios that deflates what the writer sends and inflates what the
 * reader receives, raw deflate (RFC 1951, zlib's windowBits -15), on top
 * of whatever transport the ios had: the plain fd, or TLS (so the data is
 * compressed inside TLS, README "imapd").
 *
 * Every write of the writer (io.c writes when its buffer is full, when
 * the reader is about to wait for the client, and at the end of the
 * session) ends with Z_SYNC_FLUSH (RFC 4978 4): whatever was sent is
 * complete for the client's inflater, so a client never waits for bytes
 * the server holds.
 *
 * Memory per session: the deflater's 2^(ZIO_WBITS+2) + 2^(ZIO_MEMLEVEL+9)
 * bytes (48 KiB), the inflater's 32 KiB window and 7 KiB of state (the
 * client may use the full window), and the buffers below.  The client's
 * compressed bytes can inflate a thousandfold: the inflated bytes are
 * counted, and past the session's limit per command the reader fails
 * (zio_over), bounded as an uncompressed session is by what the client
 * sends.
 *
 * Only built with CONFIG_IMAPD_COMPRESS: without it zio_new says ENOSYS
 * and zlib is not linked (the header may be absent).
 */
#include "imapd.h"

#if CFG_IMAPD_COMPRESS
#include <zlib.h>

/* The deflater's window (2^13 = 8 KiB: mail headers and the FETCH lists
 * that repeat within it) and hash memory: 48 KiB together.  The inflater
 * takes the full 32 KiB window, which RFC 4978 lets the client use. */
#define ZIO_WBITS	13
#define ZIO_MEMLEVEL	5
#define ZIO_LEVEL	6
#define ZIO_OBUF	8192

struct zio {
	z_stream d, i;		/* deflater (writer), inflater (reader) */
	struct io *in, *out;
	const struct io_ops *rops, *wops;	/* the transports underneath */
	void *rctx, *wctx;
	unsigned long long inflated, limit;	/* since zio_mark */
	int over;		/* the limit stopped the reader */
	int ended;		/* the client's stream ended (RFC 4978: never) */
	size_t taken;		/* writer: bytes of the caller's write deflated */
	int flushed;		/* writer: its Z_SYNC_FLUSH is complete */
	size_t ostart, oend;	/* deflated bytes to send */
	size_t istart, iend, icap;	/* compressed bytes received */
	unsigned char obuf[ZIO_OBUF];
	unsigned char ibuf[];	/* icap bytes */
};

/* One step of the transport underneath, with its own ops and context. */
static ssize_t below(struct io *io, int reading, void *p, size_t n)
{
	struct zio *z = io->ctx;
	const struct io_ops *ops = io->ops;
	ssize_t r;

	io->ops = reading ? z->rops : z->wops;
	io->ctx = reading ? z->rctx : z->wctx;
	r = reading ? io->ops->read(io, p, n) : io->ops->write(io, p, n);
	io->ops = ops;
	io->ctx = z;
	return r;
}

/* io.c calls again with the same bytes after EAGAIN (io.h): TAKEN
 * remembers how far deflate went, and the write counts only when its
 * deflated bytes, flush included, are all out. */
static ssize_t zio_write(struct io *io, const void *p, size_t n)
{
	struct zio *z = io->ctx;
	ssize_t k;
	int r;

	for (;;) {
		while (z->ostart < z->oend) {
			k = below(io, 0, z->obuf + z->ostart,
				z->oend - z->ostart);
			if (k < 0)
				return -1;
			if (k == 0) {
				errno = EIO;
				return -1;
			}
			z->ostart += (size_t)k;
		}
		z->ostart = z->oend = 0;
		if (z->flushed) {
			k = (ssize_t)z->taken;
			z->flushed = 0;
			z->taken = 0;
			return k;
		}
		z->d.next_in = (Bytef *)p + z->taken;
		z->d.avail_in = (uInt)(n - z->taken > 1U << 30 ? 1U << 30 :
			n - z->taken);
		z->d.next_out = z->obuf;
		z->d.avail_out = sizeof z->obuf;
		r = deflate(&z->d, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR) {
			errno = EIO;
			return -1;
		}
		z->taken = (size_t)((const Bytef *)z->d.next_in -
			(const Bytef *)p);
		z->oend = sizeof z->obuf - z->d.avail_out;
		/* zlib: the flush is complete when output room is left */
		if (z->taken == n && (z->d.avail_out > 0 || r == Z_BUF_ERROR))
			z->flushed = 1;
	}
}

static ssize_t zio_read(struct io *io, void *dst, size_t n)
{
	struct zio *z = io->ctx;
	size_t got;
	ssize_t k;
	int r;

	for (;;) {
		if (z->over || z->ended) {
			errno = z->over ? EMSGSIZE : EPROTO;
			return -1;
		}
		if (n > z->limit - z->inflated)
			n = (size_t)(z->limit - z->inflated);
		if (n == 0) {
			z->over = 1;
			continue;
		}
		z->i.next_in = z->ibuf + z->istart;
		z->i.avail_in = (uInt)(z->iend - z->istart);
		z->i.next_out = dst;
		z->i.avail_out = (uInt)(n > 1U << 30 ? 1U << 30 : n);
		got = z->i.avail_out;
		r = inflate(&z->i, Z_SYNC_FLUSH);
		got -= z->i.avail_out;
		z->istart = z->iend - z->i.avail_in;
		if (r == Z_STREAM_END)
			z->ended = 1;
		else if (r != Z_OK && r != Z_BUF_ERROR) {
			errno = EPROTO;
			return -1;
		}
		if (got) {
			z->inflated += got;
			return (ssize_t)got;
		}
		if (z->ended)
			continue;
		/* nothing came out: more input */
		if (z->istart == z->iend) {
			z->istart = z->iend = 0;
		} else if (z->iend == z->icap) {
			if (z->istart == 0) {
				errno = EPROTO;	/* inflate took nothing */
				return -1;
			}
			memmove(z->ibuf, z->ibuf + z->istart,
				z->iend - z->istart);
			z->iend -= z->istart;
			z->istart = 0;
		}
		k = below(io, 1, z->ibuf + z->iend, z->icap - z->iend);
		if (k <= 0)
			return k;
		z->iend += (size_t)k;
	}
}

static const struct io_ops zio_ops = { zio_read, zio_write };

struct zio *zio_new(struct io *in, unsigned long long limit)
{
	size_t cap = io_pending(in) > 4096 ? io_pending(in) : 4096;
	struct zio *z = calloc(1, sizeof *z + cap);

	if (!z)
		return NULL;
	z->icap = cap;
	z->limit = limit;
	if (deflateInit2(&z->d, ZIO_LEVEL, Z_DEFLATED, -ZIO_WBITS,
	    ZIO_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		errno = ENOMEM;
		return NULL;
	}
	if (inflateInit2(&z->i, -15) != Z_OK) {
		deflateEnd(&z->d);
		free(z);
		errno = ENOMEM;
		return NULL;
	}
	return z;
}

int zio_start(struct zio *z, struct io *in, struct io *out)
{
	size_t n = io_pending(in);

	/* RFC 4978 3: compression starts right after the command's CRLF:
	 * what the client sent behind it is compressed already */
	if (io_pending(out) || n > z->icap) {
		errno = EBUSY;
		return -1;
	}
	memcpy(z->ibuf, in->buf + in->start, n);
	z->iend = n;
	in->start = in->end = 0;
	z->in = in;
	z->out = out;
	z->rops = in->ops;
	z->rctx = in->ctx;
	z->wops = out->ops;
	z->wctx = out->ctx;
	io_transport(in, &zio_ops, z);
	io_transport(out, &zio_ops, z);
	return 0;
}

void zio_mark(struct zio *z)
{
	if (z)
		z->inflated = 0;
}

int zio_over(const struct zio *z)
{
	return z && z->over;
}

void zio_end(struct zio *z)
{
	if (!z)
		return;
	if (z->out) {
		io_flush(z->out);
		z->out->start = z->out->end = 0;
		io_transport(z->out, z->wops, z->wctx);
		z->in->start = z->in->end = 0;
		io_transport(z->in, z->rops, z->rctx);
	}
	deflateEnd(&z->d);
	inflateEnd(&z->i);
	free(z);
}

#else

struct zio *zio_new(struct io *in, unsigned long long limit)
{
	errno = ENOSYS;
	return NULL;
}

int zio_start(struct zio *z, struct io *in, struct io *out)
{
	errno = ENOSYS;
	return -1;
}

void zio_mark(struct zio *z)
{
}

int zio_over(const struct zio *z)
{
	return 0;
}

void zio_end(struct zio *z)
{
}

#endif
