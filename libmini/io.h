/*
 * io: buffered reading and writing over a file descriptor, with absolute
 * deadlines, a bounded line reader and a pluggable transport (plain fd by
 * default, TLS later).  Every server session and the SMTP client sit on it.
 *
 * One struct io is one direction: a reader or a writer.  A socket gets two
 * (same fd); an inetd session gets a reader on fd 0 and a writer on fd 1.
 * The caller owns the struct and its buffer; io allocates nothing.
 *
 * Blocking: a read or write that cannot progress waits with poll() until
 * the io's deadline, then fails with ETIMEDOUT.  The deadline limits
 * waiting only: a step that can progress at once succeeds even after it.
 * Blocking and non-blocking fds both work (sockets are read with
 * MSG_DONTWAIT, other blocking fds are polled first), and EINTR is
 * retried.  Writes to a socket use MSG_NOSIGNAL; a server writing to a
 * pipe should ignore SIGPIPE so that a vanished peer is an EPIPE error,
 * not a signal.
 *
 * Errors: hard errors (EPIPE, ECONNRESET, EIO, a transport's error) are
 * sticky: the io keeps the first one in err and fails every later call
 * with it (a reader still hands out lines it had buffered before).  A
 * reader's timeout is not sticky and loses nothing (a partial line stays
 * buffered): after io_deadline() the read can be retried, which is how
 * IMAP IDLE wakes up to look at the mailbox.  A writer's timeout is
 * sticky, since part of a reply may already be gone.
 *
 * PIPELINING (RFC 2920 3.2, RFC 5321 4.5.3.2): a reader paired with a writer
 * (io_pair) flushes the writer's pending output before it asks the
 * transport for more input, and never when its own buffer can answer the
 * request.  So replies to a pipelined burst go out in one write, and a
 * client that waits for our replies before sending more never deadlocks.
 */
#ifndef LIBMINI_IO_H
#define LIBMINI_IO_H
#include <sys/types.h>
#include <stddef.h>

struct io;

/*
 * The transport under an io.  Both functions must not block: they do what
 * can be done now and return a count > 0, 0 (read only: end of file), or
 * -1 with errno.  EAGAIN means "cannot progress yet": the function sets
 * io->want to the poll() events on io->fd that must happen first (0 means
 * POLLIN for a read, POLLOUT for a write), and io waits for them until the
 * deadline, then calls again.  EINTR is retried at once; any other errno
 * becomes the io's sticky error.  The functions find their state in
 * io->ctx.  A TLS engine may read and write the socket inside either one
 * (a record to send while reading), which io->want expresses; when that
 * other direction is another fd (inetd's 0 and 1), the transport waits on
 * it itself with io_wait() on that fd's io, under that io's deadline.
 */
struct io_ops {
	ssize_t (*read)(struct io *io, void *p, size_t n);
	ssize_t (*write)(struct io *io, const void *p, size_t n);
};

/* The plain fd transport, the default.  Exposed so that a transport such
 * as TLS can move its records over the socket with it. */
extern const struct io_ops io_fd_ops;

/* The fields are readable by callers and transports; change them only
 * through the functions below (a transport sets want). */
struct io {
	int fd;
	char *buf;		/* caller-owned, cap bytes */
	size_t cap;
	size_t start, end;	/* reader: unread bytes; writer: unwritten */
	int err;		/* sticky errno, 0 while healthy */
	unsigned char eof;	/* reader: the transport said end of file */
	unsigned char skip;	/* reader: discarding an over-long line */
	unsigned char fdkind;	/* io_fd_ops: kind of fd (0 = unknown) */
	short want;		/* poll events the transport waits for */
	long long deadline;	/* CLOCK_MONOTONIC ms, 0 = none */
	struct io *peer;	/* reader: the writer to flush before waiting */
	const struct io_ops *ops;
	void *ctx;		/* the transport's state */
};

/* Sets up IO on FD with the caller's buffer BUF of CAP bytes (CAP > 0;
 * BUF must outlive the io): plain fd transport, no deadline, no peer, no
 * error.  A reader's buffer bounds its lines (io_getline); 4096 is a good
 * size for a session.  Never fails. */
void io_init(struct io *io, int fd, char *buf, size_t cap);

/* The deadline of every later blocking step: MS milliseconds from now on
 * CLOCK_MONOTONIC; 0 removes it (wait forever).  It is absolute: a line
 * that trickles in byte by byte still has to be complete by then.  Set it
 * again per command (RFC 5321 4.5.3.2 gives each step its own timeout). */
void io_deadline(struct io *io, unsigned long ms);

/* Pairs READER with WRITER: from now on READER flushes WRITER (waiting by
 * WRITER's deadline) before it asks its transport for input.  WRITER NULL
 * unpairs.  Two distinct ios, usually on the same socket. */
void io_pair(struct io *reader, struct io *writer);

/* Replaces the transport of IO (OPS NULL: back to io_fd_ops) and its
 * context CTX, mid-session.  Refuses with -1 and EBUSY while IO holds
 * buffered bytes (io_pending() > 0): for a reader those bytes arrived
 * under the old transport (RFC 3207 4: STARTTLS must not accept plaintext
 * sent ahead of the handshake), and a writer must be flushed first (the
 * "220 Ready to start TLS" goes out in the clear).  0 on success. */
int io_transport(struct io *io, const struct io_ops *ops, void *ctx);

/* Reader: bytes received and buffered but not yet returned.  Writer:
 * bytes buffered but not yet written.  Never blocks. */
size_t io_pending(const struct io *io);

/* The one STARTTLS rule, for SMTP's STARTTLS (RFC 3207 4, 6) and POP3's
 * STLS (RFC 2595 4): whether the reader IN may be switched to TLS now.
 * 0 when nothing is buffered behind the command; -1 when plaintext is
 * (the STARTTLS command injection): that text must never be read as if
 * it had come over TLS, so the caller refuses and ends the session.  The
 * refusal is logged (LOG_NOTICE) naming CLIENT and the command VERB. */
int io_starttls_check(const struct io *in, const char *verb,
	const char *client);

/* Results of io_getline. */
enum {
	IO_TIMEOUT = -2,	/* the deadline passed; errno ETIMEDOUT */
	IO_ERR = -1,		/* an error; errno says which */
	IO_EOF = 0,		/* end of file; *len may be > 0, see below */
	IO_LINE = 1,		/* one whole line, terminator included */
	IO_LONG = 2,		/* an over-long line, its rest discarded */
};

/*
 * Reads one line into DST, which has room for MAX bytes (2 <= MAX <= the
 * reader's cap + 1; else IO_ERR with EINVAL).  Sets *LEN to the number of
 * bytes stored (0 when none) and always NUL-terminates DST, so a line holds
 * at most MAX - 1 bytes including its terminator: for SMTP's 1000-octet
 * lines (RFC 5321 4.5.3.1.6) MAX is 1001.  The line is raw: it ends with
 * whatever ended it, "\r\n" or a bare "\n" (the caller decides what a bare
 * LF means; only LF ends a line, a bare CR is data), and may contain NUL
 * bytes, which is why *LEN counts, not strlen.  Returns:
 *   IO_LINE: a line ending in "\n".
 *   IO_EOF: end of file.  When the input ended in the middle of a line,
 *	that partial line (no terminator) is returned with *LEN > 0, and the
 *	next call returns IO_EOF with *LEN 0.  *LEN 0 means nothing was left.
 *   IO_LONG: MAX - 1 bytes arrived without a "\n" among them.  DST holds
 *	those first MAX - 1 bytes (for a log line); the rest of the line up
 *	to and including its "\n" (or to end of file) is read and discarded
 *	before returning, so the next call starts at the next line.  Should
 *	the deadline or an error interrupt the discarding, the next call
 *	resumes it and reports the timeout or error then.
 *   IO_TIMEOUT: the deadline passed first.  Nothing is lost: a partial
 *	line stays buffered for a retry after a new io_deadline().
 *   IO_ERR: the transport failed (sticky), or the paired writer's flush
 *	failed (errno from the writer).
 * Waits only when the buffer holds no whole line.
 */
int io_getline(struct io *io, char *dst, size_t max, size_t *len);

/* Reads up to N raw bytes into DST (BDAT chunks, IMAP literals): returns
 * what is buffered (at most N) without waiting, else waits for one
 * transport read (large reads go straight into DST).  Returns the count
 * (1..N), 0 at end of file (or N 0), -1 with errno on error or ETIMEDOUT.
 * The caller loops for an exact count. */
ssize_t io_read(struct io *io, void *dst, size_t n);

/* Writer: buffers N bytes from P, writing the buffer out whenever it is
 * full (large writes go straight out).  0, or -1 with errno; after an
 * error some of P may have been written, and the writer stays failed. */
int io_write(struct io *io, const void *p, size_t n);
/* io_write of the C string S. */
int io_puts(struct io *io, const char *s);
/* Writer: formats like snprintf into the buffer, never past it: the text
 * of one call is at most cap - 1 bytes and is truncated there.  Returns
 * the length the whole text has (a result >= cap means it was truncated),
 * or -1 with errno.  Callers bound peer-supplied strings (%.*s). */
int io_printf(struct io *io, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writer: writes out everything buffered.  0, or -1 with errno. */
int io_flush(struct io *io);

/* Waits until io->fd is ready for EVENTS (POLLIN, POLLOUT) or the deadline
 * passes.  0 when ready (or hung up / in error: the next read or write
 * tells which), -1 with errno ETIMEDOUT or poll's error.  For transports
 * (a TLS handshake) that wait outside io_getline/io_read/io_write. */
int io_wait(struct io *io, int events);

#endif
