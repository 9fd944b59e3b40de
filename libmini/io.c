/* io: buffered fd reader/writer with deadlines (see io.h for contracts). */
#include "libmini.h"
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* io->fdkind, probed once by the fd transport. */
enum { FD_UNKNOWN, FD_SOCKET, FD_FILE, FD_OTHER };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fd_kind(struct io *io)
{
	struct stat st;

	if (io->fdkind == FD_UNKNOWN) {
		if (fstat(io->fd, &st) < 0)
			return -1;
		io->fdkind = S_ISSOCK(st.st_mode) ? FD_SOCKET :
			S_ISREG(st.st_mode) ? FD_FILE : FD_OTHER;
	}
	return io->fdkind;
}

/* A blocking pipe or tty must not block inside read() or write(): look
 * first.  Regular files never wait, sockets take MSG_DONTWAIT. */
static int fd_ready(struct io *io, short events)
{
	struct pollfd p = { io->fd, events, 0 };
	int r = poll(&p, 1, 0);

	if (r == 0) {
		io->want = events;
		errno = EAGAIN;
		return -1;
	}
	return r < 0 ? -1 : 0;
}

static ssize_t fd_read(struct io *io, void *p, size_t n)
{
	switch (fd_kind(io)) {
	case FD_SOCKET:
		return recv(io->fd, p, n, MSG_DONTWAIT);
	case FD_OTHER:
		if (fd_ready(io, POLLIN) < 0)
			return -1;
		/* fall through */
	case FD_FILE:
		return read(io->fd, p, n);
	}
	return -1;
}

static ssize_t fd_write(struct io *io, const void *p, size_t n)
{
	switch (fd_kind(io)) {
	case FD_SOCKET:
		return send(io->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	case FD_OTHER:
		if (fd_ready(io, POLLOUT) < 0)
			return -1;
		/* Linux says a pipe is writable with a page free: PIPE_BUF */
		if (n > PIPE_BUF)
			n = PIPE_BUF;
		/* fall through */
	case FD_FILE:
		return write(io->fd, p, n);
	}
	return -1;
}

const struct io_ops io_fd_ops = { fd_read, fd_write };

void io_init(struct io *io, int fd, char *buf, size_t cap)
{
	memset(io, 0, sizeof *io);
	io->fd = fd;
	io->buf = buf;
	io->cap = cap;
	io->ops = &io_fd_ops;
}

void io_deadline(struct io *io, unsigned long ms)
{
	io->deadline = ms ? now_ms() + (long long)ms : 0;
}

void io_pair(struct io *reader, struct io *writer)
{
	reader->peer = writer;
}

int io_transport(struct io *io, const struct io_ops *ops, void *ctx)
{
	if (io_pending(io)) {
		errno = EBUSY;
		return -1;
	}
	io->ops = ops ? ops : &io_fd_ops;
	io->ctx = ctx;
	io->fdkind = FD_UNKNOWN;
	io->want = 0;
	return 0;
}

size_t io_pending(const struct io *io)
{
	return io->end - io->start;
}

int io_starttls_check(const struct io *in, const char *verb,
	const char *client)
{
	if (!io_pending(in))
		return 0;
	log_msg(LOG_NOTICE, "%s: %s: %zu bytes pipelined after %s: closing",
		client, verb, io_pending(in), verb);
	return -1;
}

int io_wait(struct io *io, int events)
{
	struct pollfd p;
	long long left;
	int r, ms;

	for (;;) {
		ms = -1;
		if (io->deadline) {
			left = io->deadline - now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		p.fd = io->fd;
		p.events = events;
		p.revents = 0;
		r = poll(&p, 1, ms);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0) {
			if (p.revents & POLLNVAL) {
				errno = EBADF;
				return -1;
			}
			return 0;
		}
		/* 0 or EINTR: the loop looks at the clock again */
	}
}

/* One step of the transport, waiting as it asks.  READING picks the op.
 * Returns its count, 0 at end of file, or -1: ETIMEDOUT is left to the
 * caller, any other error is made sticky here. */
static ssize_t transport(struct io *io, void *p, size_t n, int reading)
{
	ssize_t r;

	for (;;) {
		io->want = 0;
		r = reading ? io->ops->read(io, p, n) :
			io->ops->write(io, p, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (io_wait(io, io->want ? io->want :
					reading ? POLLIN : POLLOUT) == 0)
				continue;
			if (errno == ETIMEDOUT)
				return -1;
		}
		io->err = errno;
		return -1;
	}
}

int io_flush(struct io *io)
{
	ssize_t r;

	if (io->err) {
		errno = io->err;
		return -1;
	}
	while (io->start < io->end) {
		r = transport(io, io->buf + io->start, io->end - io->start, 0);
		if (r <= 0) {
			/* a writer's timeout leaves half a reply out: sticky */
			if (r == 0)
				errno = EIO;
			io->err = errno;
			return -1;
		}
		io->start += r;
	}
	io->start = io->end = 0;
	return 0;
}

/* The reader's read from its transport: first the paired writer's
 * output goes out, since the peer may be waiting for it (RFC 2920 3.2). */
static ssize_t reader_transport(struct io *io, void *p, size_t n)
{
	ssize_t r;

	if (io->err) {
		errno = io->err;
		return -1;
	}
	if (io->eof)
		return 0;
	if (io->peer && io_pending(io->peer) && io_flush(io->peer) < 0)
		return -1;
	r = transport(io, p, n, 1);
	if (r == 0)
		io->eof = 1;
	return r;
}

/* Makes room at the end of the buffer and reads once into it.  The unread
 * bytes keep their order; start moves to 0 when that is needed. */
static ssize_t fill(struct io *io)
{
	ssize_t r;

	if (io->start == io->end) {
		io->start = io->end = 0;
	} else if (io->end == io->cap) {
		memmove(io->buf, io->buf + io->start, io->end - io->start);
		io->end -= io->start;
		io->start = 0;
	}
	r = reader_transport(io, io->buf + io->end, io->cap - io->end);
	if (r > 0)
		io->end += r;
	return r;
}

/* Discards up to and including the next "\n".  1 when found, 0 at end of
 * file (the line ended there), -1 on error or timeout (skip stays set). */
static int skip_line(struct io *io)
{
	char *lf;
	ssize_t r;

	for (;;) {
		lf = memchr(io->buf + io->start, '\n', io->end - io->start);
		if (lf) {
			io->start = lf - io->buf + 1;
			io->skip = 0;
			return 1;
		}
		io->start = io->end;
		r = fill(io);
		if (r == 0)
			io->skip = 0;
		if (r <= 0)
			return r;
	}
}

static int failed(void)
{
	return errno == ETIMEDOUT ? IO_TIMEOUT : IO_ERR;
}

static void take(struct io *io, char *dst, size_t n, size_t *len)
{
	memcpy(dst, io->buf + io->start, n);
	dst[n] = 0;
	io->start += n;
	*len = n;
}

int io_getline(struct io *io, char *dst, size_t max, size_t *len)
{
	size_t scanned = 0, lim;
	char *lf;
	ssize_t r;

	*len = 0;
	if (max)
		dst[0] = 0;
	if (max < 2 || max - 1 > io->cap) {
		errno = EINVAL;
		return IO_ERR;
	}
	if (io->skip && (r = skip_line(io)) <= 0)
		return r < 0 ? failed() : IO_EOF;
	for (;;) {
		lim = io->end - io->start;
		if (lim > max - 1)
			lim = max - 1;
		/* scan only the bytes not looked at in an earlier round */
		lf = memchr(io->buf + io->start + scanned, '\n', lim - scanned);
		if (lf) {
			take(io, dst, lf - (io->buf + io->start) + 1, len);
			return IO_LINE;
		}
		scanned = lim;
		if (lim == max - 1) {
			take(io, dst, lim, len);
			io->skip = 1;
			skip_line(io);
			return IO_LONG;
		}
		r = fill(io);
		if (r < 0)
			return failed();
		if (r == 0) {
			take(io, dst, io->end - io->start, len);
			return IO_EOF;
		}
	}
}

ssize_t io_read(struct io *io, void *dst, size_t n)
{
	size_t have;
	ssize_t r;

	if (n == 0)
		return 0;
	if (io->skip && (r = skip_line(io)) <= 0)
		return r;
	if (io->start == io->end) {
		/* nothing buffered: a big read needs no copy */
		if (n >= io->cap)
			return reader_transport(io, dst, n);
		r = fill(io);
		if (r <= 0)
			return r;
	}
	have = io->end - io->start;
	if (n > have)
		n = have;
	memcpy(dst, io->buf + io->start, n);
	io->start += n;
	return n;
}

int io_write(struct io *io, const void *p, size_t n)
{
	const char *s = p;
	size_t room;
	ssize_t r;

	if (io->err) {
		errno = io->err;
		return -1;
	}
	while (n > 0) {
		if (io->end == io->cap && io_flush(io) < 0)
			return -1;
		/* an empty buffer and a big write: no copy */
		if (io->end == 0 && n >= io->cap) {
			r = transport(io, (void *)s, n, 0);
			if (r <= 0) {
				io->err = r == 0 ? EIO : errno;
				errno = io->err;
				return -1;
			}
			s += r;
			n -= r;
			continue;
		}
		room = io->cap - io->end;
		if (room > n)
			room = n;
		memcpy(io->buf + io->end, s, room);
		io->end += room;
		s += room;
		n -= room;
	}
	return 0;
}

int io_puts(struct io *io, const char *s)
{
	return io_write(io, s, strlen(s));
}

int io_printf(struct io *io, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (io->err) {
		errno = io->err;
		return -1;
	}
	/* vsnprintf writes its NUL inside the buffer, past the text */
	va_start(ap, fmt);
	n = vsnprintf(io->buf + io->end, io->cap - io->end, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < io->cap - io->end) {
		io->end += n;
		return n;
	}
	/* It did not fit: empty the buffer and format again with all of it. */
	if (io->end > 0) {
		if (io_flush(io) < 0)
			return -1;
		va_start(ap, fmt);
		n = vsnprintf(io->buf, io->cap, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
	}
	io->end = (size_t)n < io->cap ? (size_t)n : io->cap - 1;
	return n;
}
