/*
 * Unit tests of io: lines and their bounds, end of file, deadlines,
 * partial writes, pipelining (pending bytes, flush before read), printf
 * bounds, the transport hook, sticky errors, and a model-checked run of
 * random input through io_getline.  Peers are pipes, socketpairs and
 * forked children; tests assert results, never how long anything took.
 */
#include "libmini.h"
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#define LONG_WAIT 10000		/* ms: reached only by a broken test */
#define SHORT_WAIT 30		/* ms: for deadlines that must expire */

static void put(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t r;

	while (n > 0 && (r = write(fd, s, n)) > 0) {
		s += r;
		n -= r;
	}
	if (n) {
		printf("FAIL: test peer write\n");
		unit_failed++;
	}
}

/* Reader over a pipe that already holds S and is closed behind it. */
static void pipe_reader(struct io *io, char *buf, size_t cap, const char *s,
	size_t n)
{
	int p[2];

	if (pipe(p) < 0)
		abort();
	put(p[1], s, n);
	close(p[1]);
	io_init(io, p[0], buf, cap);
}

struct want {
	int result;
	const char *line;
	size_t len;
};

/* Runs io_getline over S with MAX and compares with the table W. */
static void expect_lines(const char *name, const char *s, size_t n,
	size_t cap, size_t max, const struct want *w, size_t nw)
{
	struct io io;
	char buf[256], dst[256], label[128];
	size_t i, len;
	int r;

	pipe_reader(&io, buf, cap, s, n);
	for (i = 0; i < nw; i++) {
		r = io_getline(&io, dst, max, &len);
		snprintf(label, sizeof label, "%s: line %zu", name, i);
		CHECK(r == w[i].result && len == w[i].len &&
			memcmp(dst, w[i].line, len) == 0 && dst[len] == 0,
			label);
	}
	close(io.fd);
}

static void test_lines(void)
{
	static const char in[] = "a\r\nb\nc\rd\r\n\r\nx\0y\nlast";
	static const struct want w[] = {
		{ IO_LINE, "a\r\n", 3 }, { IO_LINE, "b\n", 2 },
		{ IO_LINE, "c\rd\r\n", 5 }, { IO_LINE, "\r\n", 2 },
		{ IO_LINE, "x\0y\n", 4 }, { IO_EOF, "last", 4 },
		{ IO_EOF, "", 0 }, { IO_EOF, "", 0 },
	};
	static const struct want empty[] = { { IO_EOF, "", 0 } };
	static const struct want lf_only[] = {
		{ IO_LINE, "\n", 1 }, { IO_LINE, "\n", 1 }, { IO_EOF, "", 0 },
	};

	expect_lines("crlf, bare lf, bare cr", in, sizeof in - 1, 64, 64,
		w, 8);
	/* the same through a 7-byte buffer: lines span many reads */
	expect_lines("tiny buffer", in, sizeof in - 1, 7, 8, w, 8);
	expect_lines("eof on empty", "", 0, 16, 16, empty, 1);
	expect_lines("max 2 takes a bare lf", "\n\n", 2, 1, 2, lf_only, 3);
}

static void test_bounds(void)
{
	/* MAX 8: a line holds 7 bytes with its terminator. */
	static const char in[] = "abcde\r\nabcdef\r\nok\n"
		"0123456789012345678901234567890123456789\r\nnext\r\n"
		"abcdefg";
	static const struct want w[] = {
		{ IO_LINE, "abcde\r\n", 7 },	/* max - 1: fits */
		{ IO_LONG, "abcdef\r", 7 },	/* max: too long */
		{ IO_LINE, "ok\n", 3 },
		{ IO_LONG, "0123456", 7 },
		{ IO_LINE, "next\r\n", 6 },
		{ IO_LONG, "abcdefg", 7 },	/* unterminated, max - 1 */
		{ IO_EOF, "", 0 },
	};
	static const struct want short_tail[] = {
		{ IO_LONG, "abcdefg", 7 }, { IO_EOF, "", 0 },
	};
	struct io io;
	char buf[16], dst[16];
	size_t len;

	expect_lines("bounds", in, sizeof in - 1, 16, 8, w, 7);
	expect_lines("bounds, buffer = max - 1", in, sizeof in - 1, 7, 8,
		w, 7);
	expect_lines("long line cut by eof", "abcdefghijkl", 12, 8, 8,
		short_tail, 2);

	pipe_reader(&io, buf, 8, "x\n", 2);
	CHECK(io_getline(&io, dst, 1, &len) == IO_ERR && errno == EINVAL,
		"max 1 is EINVAL");
	CHECK(io_getline(&io, dst, 10, &len) == IO_ERR && errno == EINVAL,
		"max over cap + 1 is EINVAL");
	CHECK(io_getline(&io, dst, 9, &len) == IO_LINE && len == 2,
		"max cap + 1 is fine");
	close(io.fd);
}

static void test_read(void)
{
	static const char in[] = "BDAT 5\r\nhelloQUIT\r\n";
	struct io io;
	char buf[32], dst[64], big[64];
	size_t len;
	ssize_t n, got = 0;

	pipe_reader(&io, buf, sizeof buf, in, sizeof in - 1);
	CHECK(io_getline(&io, dst, sizeof buf, &len) == IO_LINE,
		"read: command line");
	while (got < 5 && (n = io_read(&io, big + got, 5 - got)) > 0)
		got += n;
	CHECK(got == 5 && memcmp(big, "hello", 5) == 0,
		"read: exact raw bytes after a line");
	CHECK(io_getline(&io, dst, sizeof buf, &len) == IO_LINE &&
		strcmp(dst, "QUIT\r\n") == 0, "read: next line intact");
	CHECK(io_read(&io, big, sizeof big) == 0, "read: 0 at eof");
	CHECK(io_read(&io, big, 0) == 0, "read: n 0");
	close(io.fd);

	/* larger than the buffer: straight into dst */
	memset(big, 'z', sizeof big);
	pipe_reader(&io, buf, 8, big, sizeof big);
	got = 0;
	while ((n = io_read(&io, dst + got, sizeof dst - got)) > 0)
		got += n;
	CHECK(got == sizeof big && memcmp(dst, big, sizeof big) == 0,
		"read: big read bypasses the buffer");
	close(io.fd);
}

static void test_timeout(void)
{
	struct io io, w;
	char buf[64], dst[64], wbuf[256], chunk[4096];
	size_t len;
	int sv[2], p[2], i, r = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	io_init(&io, sv[0], buf, sizeof buf);
	io_deadline(&io, SHORT_WAIT);
	CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_TIMEOUT &&
		errno == ETIMEDOUT && len == 0, "deadline: silent peer");
	CHECK(io_read(&io, dst, 4) == -1 && errno == ETIMEDOUT,
		"deadline: io_read too");
	put(sv[1], "par", 3);
	io_deadline(&io, SHORT_WAIT);
	CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_TIMEOUT,
		"deadline: half a line");
	CHECK(io_pending(&io) == 3, "deadline: half line kept");
	put(sv[1], "tial\r\n", 6);
	io_deadline(&io, LONG_WAIT);
	CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "partial\r\n") == 0,
		"deadline: retry after timeout loses nothing");
	io_deadline(&io, 0);
	CHECK(io.deadline == 0, "deadline 0 is none");

	/* a long line whose rest has not arrived: reported at once, and
	 * the discarding resumes at the next call */
	put(sv[1], "0123456789", 10);
	io_deadline(&io, SHORT_WAIT);
	CHECK(io_getline(&io, dst, 8, &len) == IO_LONG && len == 7,
		"deadline: long line reported before its end");
	CHECK(io_getline(&io, dst, 8, &len) == IO_TIMEOUT,
		"deadline: discarding resumes, times out");
	put(sv[1], "abc\r\nnext\r\n", 11);
	io_deadline(&io, LONG_WAIT);
	CHECK(io_getline(&io, dst, 8, &len) == IO_LINE &&
		strcmp(dst, "next\r\n") == 0,
		"deadline: the line after the long one is intact");

	/* a writer whose peer never reads: times out, and stays failed */
	io_init(&w, sv[1], wbuf, sizeof wbuf);
	io_deadline(&w, SHORT_WAIT);
	memset(chunk, 'w', sizeof chunk);
	for (i = 0; i < 4096 && (r = io_write(&w, chunk, sizeof chunk)) == 0;
			i++)
		;
	CHECK(r == -1 && errno == ETIMEDOUT, "deadline: writer times out");
	CHECK(io_puts(&w, "x") == -1 && errno == ETIMEDOUT,
		"deadline: writer timeout is sticky");
	close(sv[0]);
	close(sv[1]);

	/* pipes, blocking and non-blocking */
	for (i = 0; i < 2; i++) {
		if (pipe(p) < 0)
			abort();
		if (i)
			fcntl(p[0], F_SETFL, O_NONBLOCK);
		io_init(&io, p[0], buf, sizeof buf);
		io_deadline(&io, SHORT_WAIT);
		CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_TIMEOUT &&
			errno == ETIMEDOUT, i ? "deadline: non-blocking pipe" :
			"deadline: blocking pipe");
		put(p[1], "ok\n", 3);
		CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_LINE &&
			len == 3, "a passed deadline only limits waiting");
		CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_TIMEOUT,
			"deadline stays passed until set again");
		put(p[1], "ok\n", 3);
		io_deadline(&io, LONG_WAIT);
		CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_LINE &&
			len == 3, "pipe: line after new deadline");
		close(p[0]);
		close(p[1]);
	}
}

static unsigned long fnv(unsigned long h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * 1099511628211UL;
	return h;
}

/* Child: reads everything in small pieces, answers count and hash. */
static void drain_child(int in, int out)
{
	char b[97];
	unsigned long h = 14695981039346656037UL, total = 0;
	ssize_t n;
	char ans[64];
	int k;

	while ((n = read(in, b, sizeof b)) > 0) {
		h = fnv(h, b, n);
		total += n;
	}
	k = snprintf(ans, sizeof ans, "%lu %lx\n", total, h);
	if (write(out, ans, k) != k)
		_exit(1);
	_exit(0);
}

static void test_partial_writes(void)
{
	static const char *names[] = {
		"partial writes: blocking socket, small sndbuf",
		"partial writes: non-blocking socket, small sndbuf",
		"partial writes: blocking pipe",
	};
	char wbuf[1000], chunk[5000], ans[64], want[64];
	unsigned long h, total;
	struct io w;
	int v, fd[2], back[2], mode, ok;
	unsigned seed;
	size_t i, n;
	pid_t pid;

	for (mode = 0; mode < 3; mode++) {
		if (mode < 2) {
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
				abort();
			v = 2048;
			setsockopt(fd[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
			setsockopt(fd[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
			if (mode == 1)
				fcntl(fd[0], F_SETFL, O_NONBLOCK);
		} else {
			if (pipe(back) < 0)
				abort();
			fd[1] = back[0];
			fd[0] = back[1];
		}
		if (pipe(back) < 0)
			abort();
		pid = fork();
		if (pid == 0) {
			close(fd[0]);
			close(back[0]);
			drain_child(fd[1], back[1]);
		}
		close(fd[1]);
		close(back[1]);
		io_init(&w, fd[0], wbuf, sizeof wbuf);
		io_deadline(&w, LONG_WAIT);
		h = 14695981039346656037UL;
		total = 0;
		seed = 7;
		ok = 1;
		for (i = 0; i < 400; i++) {
			seed = seed * 1103515245 + 12345;
			n = (seed >> 8) % sizeof chunk;
			memset(chunk, 'a' + i % 26, n);
			if (i % 5 == 0) {
				n = snprintf(chunk, sizeof chunk,
					"%zu line\r\n", i);
				ok &= io_printf(&w, "%zu line\r\n", i) ==
					(int)n;
			} else {
				ok &= io_write(&w, chunk, n) == 0;
			}
			h = fnv(h, chunk, n);
			total += n;
		}
		ok &= io_flush(&w) == 0 && io_pending(&w) == 0;
		close(fd[0]);
		n = read(back[0], ans, sizeof ans - 1);
		ans[n > 0 ? n : 0] = 0;
		close(back[0]);
		waitpid(pid, NULL, 0);
		snprintf(want, sizeof want, "%lu %lx\n", total, h);
		CHECK(ok && strcmp(ans, want) == 0, names[mode]);
	}
}

static void test_pending(void)
{
	static const char burst[] = "EHLO x\r\nMAIL FROM:<a@b>\r\n"
		"RCPT TO:<c@d>\r\nDATA\r\n";
	static const char tls[] = "STARTTLS\r\nEHLO evil\r\n";
	struct io io;
	char buf[512], dst[128];
	size_t len, left = sizeof burst - 1;
	int sv[2], r, i;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	io_init(&io, sv[0], buf, sizeof buf);
	io_deadline(&io, LONG_WAIT);
	CHECK(io_pending(&io) == 0, "pending: 0 before reading");
	put(sv[1], burst, sizeof burst - 1);
	for (i = 0; i < 4; i++) {
		r = io_getline(&io, dst, sizeof dst, &len);
		left -= len;
		CHECK(r == IO_LINE && io_pending(&io) == left,
			"pending: counts the rest of a pipelined burst");
	}
	CHECK(left == 0 && io_pending(&io) == 0, "pending: 0 at the end");

	/* RFC 3207 4: plaintext after STARTTLS means no switch */
	put(sv[1], tls, sizeof tls - 1);
	CHECK(io_getline(&io, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "STARTTLS\r\n") == 0, "pending: STARTTLS line");
	CHECK(io_pending(&io) == 11, "pending: injected command seen");
	CHECK(io_starttls_check(&io, "STARTTLS", "[t]") == -1,
		"the STARTTLS rule refuses buffered plaintext");
	CHECK(io_transport(&io, &io_fd_ops, NULL) == -1 && errno == EBUSY,
		"transport switch refused while plaintext is buffered");
	close(sv[0]);
	close(sv[1]);
}

/* Child: answers PONG to each PING, and "A\r\nB\r\n" in one write to BYE;
 * it answers nothing before it has seen the whole line. */
static void pong_child(int fd)
{
	char line[64], c;
	size_t n = 0;

	while (read(fd, &c, 1) == 1) {
		if (n < sizeof line - 1)
			line[n++] = c;
		if (c != '\n')
			continue;
		line[n] = 0;
		n = 0;
		if (strcmp(line, "PING\r\n") == 0 &&
				write(fd, "PONG\r\n", 6) != 6)
			_exit(1);
		if (strcmp(line, "BYE\r\n") == 0 &&
				write(fd, "A\r\nB\r\n", 6) != 6)
			_exit(1);
	}
	_exit(0);
}

static void test_pairing(void)
{
	struct io r, w, bad;
	char rbuf[128], wbuf[128], dst[64], bbuf[16];
	size_t len;
	int sv[2], p[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		pong_child(sv[1]);
	}
	close(sv[1]);
	io_init(&r, sv[0], rbuf, sizeof rbuf);
	io_init(&w, sv[0], wbuf, sizeof wbuf);

	/* unpaired, the PING sits in our buffer and nobody answers */
	CHECK(io_puts(&w, "PING\r\n") == 0 && io_pending(&w) == 6,
		"pair: output is buffered");
	io_deadline(&r, SHORT_WAIT);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_TIMEOUT,
		"pair: unpaired reader does not flush");
	CHECK(io_pending(&w) == 6, "pair: still buffered");

	io_pair(&r, &w);
	io_deadline(&r, LONG_WAIT);
	io_deadline(&w, LONG_WAIT);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "PONG\r\n") == 0 && io_pending(&w) == 0,
		"pair: reader flushes the writer before it waits");

	io_puts(&w, "BYE\r\n");
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "A\r\n") == 0, "pair: flush, answer");
	if (io_pending(&r) == 3) {
		io_puts(&w, "X\r\n");
		CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_LINE &&
			strcmp(dst, "B\r\n") == 0 && io_pending(&w) == 3,
			"pair: no flush when the buffer has the line");
	} else {
		printf("SKIP: the peer's burst arrived split\n");
	}
	io_pair(&r, NULL);
	CHECK(r.peer == NULL, "pair: unpair");
	close(sv[0]);
	waitpid(pid, NULL, 0);

	/* the writer's failure comes back through the read */
	if (pipe(p) < 0)
		abort();
	close(p[0]);
	io_init(&bad, p[1], bbuf, sizeof bbuf);
	io_puts(&bad, "lost\r\n");
	if (pipe(sv) < 0)
		abort();
	io_init(&r, sv[0], rbuf, sizeof rbuf);
	io_pair(&r, &bad);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_ERR &&
		errno == EPIPE && bad.err == EPIPE,
		"pair: writer's flush failure returned by the read");
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_printf(void)
{
	static const char longs[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
	char mem[32], out[64];
	struct io w;
	int p[2], i, canary = 1;
	ssize_t n;

	if (pipe(p) < 0)
		abort();
	memset(mem, 0x5a, sizeof mem);
	io_init(&w, p[1], mem, 16);
	CHECK(io_printf(&w, "%d-%s", 42, "ab") == 5 && io_pending(&w) == 5,
		"printf: fits");
	CHECK(io_printf(&w, "%s", "0123456789") == 10 && io_pending(&w) == 15,
		"printf: fills to cap - 1");
	CHECK(io_printf(&w, "%s", "abc") == 3 && io_pending(&w) == 3,
		"printf: flushes to make room");
	CHECK(io_printf(&w, "%s", longs) == 40 && io_pending(&w) == 15,
		"printf: truncated to cap - 1, returns whole length");
	CHECK(io_printf(&w, "%s", "") == 0, "printf: empty");
	for (i = 16; i < (int)sizeof mem; i++)
		canary &= mem[i] == 0x5a;
	CHECK(canary, "printf: nothing written past the buffer");
	CHECK(io_flush(&w) == 0, "printf: flush");
	close(p[1]);
	n = read(p[0], out, sizeof out - 1);
	out[n > 0 ? n : 0] = 0;
	CHECK_STR(out, "42-ab0123456789abc0123456789abcde",
		"printf: the bytes on the wire");
	close(p[0]);
}

/* A ROT13 transport over the fd one, counting what passes. */
struct rot {
	size_t in, out;
};

static void rot13(char *s, size_t n)
{
	for (; n--; s++) {
		if ((*s >= 'a' && *s <= 'm') || (*s >= 'A' && *s <= 'M'))
			*s += 13;
		else if ((*s >= 'n' && *s <= 'z') || (*s >= 'N' && *s <= 'Z'))
			*s -= 13;
	}
}

static ssize_t rot_read(struct io *io, void *p, size_t n)
{
	struct rot *c = io->ctx;
	ssize_t r = io_fd_ops.read(io, p, n);

	if (r > 0) {
		rot13(p, r);
		c->in += r;
	}
	return r;
}

static ssize_t rot_write(struct io *io, const void *p, size_t n)
{
	struct rot *c = io->ctx;
	char tmp[8];
	ssize_t r;

	/* small records, as a TLS engine would make */
	if (n > sizeof tmp)
		n = sizeof tmp;
	memcpy(tmp, p, n);
	rot13(tmp, n);
	r = io_fd_ops.write(io, tmp, n);
	if (r > 0)
		c->out += r;
	return r;
}

static const struct io_ops rot_ops = { rot_read, rot_write };

static void test_transport(void)
{
	struct rot ctx = { 0, 0 };
	struct io r, w;
	char rbuf[64], wbuf[64], dst[64];
	size_t len;
	ssize_t n;
	int p[2];

	if (pipe(p) < 0)
		abort();
	io_init(&w, p[1], wbuf, sizeof wbuf);
	CHECK(io_transport(&w, &rot_ops, &ctx) == 0, "transport: set");
	io_printf(&w, "Hello, %s\r\n", "World");
	CHECK(io_flush(&w) == 0 && ctx.out == 14, "transport: counted out");
	n = read(p[0], dst, sizeof dst - 1);
	dst[n > 0 ? n : 0] = 0;
	CHECK_STR(dst, "Uryyb, Jbeyq\r\n", "transport: write goes through it");

	/* a reader switched mid-session, as STARTTLS does */
	io_init(&r, p[0], rbuf, sizeof rbuf);
	put(p[1], "plain\r\n", 7);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "plain\r\n") == 0, "transport: plain first");
	CHECK(io_pending(&r) == 0 && io_transport(&r, &rot_ops, &ctx) == 0,
		"transport: switch with nothing pending");
	put(p[1], "Frperg yvar\r\n", 13);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "Secret line\r\n") == 0 && ctx.in == 13,
		"transport: read goes through it");
	CHECK(io_transport(&r, NULL, NULL) == 0 && r.ops == &io_fd_ops,
		"transport: NULL is the fd again");
	put(p[1], "Abc\n", 4);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "Abc\n") == 0, "transport: plain again");
	close(p[0]);
	close(p[1]);
}

static void on_alarm(int sig)
{
}

static void test_eintr(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } }, off = { { 0, 0 },
		{ 0, 0 } };
	struct io r;
	char buf[64], dst[64];
	size_t len;
	int sv[2];
	pid_t pid;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: poll gets EINTR */
	sigaction(SIGALRM, &sa, NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		usleep(100000);
		if (write(sv[1], "late\r\n", 6) != 6)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	io_init(&r, sv[0], buf, sizeof buf);
	io_deadline(&r, LONG_WAIT);
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_LINE &&
		strcmp(dst, "late\r\n") == 0, "EINTR is retried");
	setitimer(ITIMER_REAL, &off, NULL);
	close(sv[0]);
	waitpid(pid, NULL, 0);
}

static void test_sticky(void)
{
	struct io w, r;
	char buf[16], dst[16];
	size_t len;
	int p[2];

	if (pipe(p) < 0)
		abort();
	close(p[0]);
	io_init(&w, p[1], buf, sizeof buf);
	CHECK(io_puts(&w, "x") == 0, "sticky: buffered write succeeds");
	CHECK(io_flush(&w) == -1 && errno == EPIPE, "sticky: EPIPE on flush");
	errno = 0;
	CHECK(io_puts(&w, "y") == -1 && errno == EPIPE &&
		io_printf(&w, "z") == -1 && io_flush(&w) == -1,
		"sticky: writer stays failed");
	close(p[1]);

	io_init(&r, -1, buf, sizeof buf);
	CHECK(io_getline(&r, dst, sizeof dst, &len) == IO_ERR &&
		errno == EBADF, "sticky: read error");
	errno = 0;
	CHECK(io_read(&r, dst, 4) == -1 && errno == EBADF && r.err == EBADF,
		"sticky: reader stays failed");
}

/*
 * Hostile input: random blocks, heavy in LF, CR and NUL, each read through
 * a fresh io with a random small buffer and MAX, by a transport that hands
 * out random short reads and EINTRs.  Every result must match a simple
 * model, DST must never be written past MAX, and the bytes returned plus
 * the bytes the model says were discarded must add up to the input.
 */
struct mem {
	const unsigned char *p;
	size_t len, off;
};

static unsigned long rng = 20261123;

static unsigned rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static ssize_t mem_read(struct io *io, void *p, size_t n)
{
	struct mem *m = io->ctx;
	size_t k = 1 + rnd() % 23;

	if (rnd() % 7 == 0) {
		errno = EINTR;
		return -1;
	}
	if (k > n)
		k = n;
	if (k > m->len - m->off)
		k = m->len - m->off;
	memcpy(p, m->p + m->off, k);
	m->off += k;
	return k;
}

static ssize_t mem_write(struct io *io, const void *p, size_t n)
{
	errno = EBADF;
	return -1;
}

static const struct io_ops mem_ops = { mem_read, mem_write };

static int fuzz_block(const unsigned char *in, size_t n, size_t cap,
	size_t max)
{
	unsigned char buf[64], dst[64 + 16];
	const unsigned char *lf;
	struct mem m = { in, n, 0 };
	size_t pos = 0, span, got, len, sum = 0, dropped = 0, j;
	int want, r, calls = 0;
	struct io io;

	io_init(&io, -1, (char *)buf, cap);
	io_transport(&io, &mem_ops, &m);
	for (;;) {
		/* the model: what the next call must return */
		lf = memchr(in + pos, '\n', n - pos);
		span = lf ? (size_t)(lf - in) - pos + 1 : n - pos;
		if (lf && span <= max - 1)
			want = IO_LINE;
		else if (!lf && span < max - 1)
			want = IO_EOF;
		else
			want = IO_LONG;
		got = want == IO_LONG ? max - 1 : span;
		memset(dst, 0xa5, sizeof dst);
		r = io_getline(&io, (char *)dst, max, &len);
		if (r != want || len != got || memcmp(dst, in + pos, len) ||
				dst[len] != 0)
			return 0;
		for (j = max; j < sizeof dst; j++)
			if (dst[j] != 0xa5)
				return 0;
		if (io.start > io.end || io.end > cap)
			return 0;
		sum += len;
		dropped += span - got;
		pos += span;
		if (++calls > (int)n + 2)
			return 0;
		if (r == IO_EOF)
			break;
	}
	return sum + dropped == n && m.off == n &&
		io_getline(&io, (char *)dst, max, &len) == IO_EOF && len == 0;
}

static void test_fuzz(void)
{
	static const unsigned char alphabet[] = "\n\n\n\r\r\0ab";
	unsigned char in[300];
	size_t n, i, cap, max;
	int block, bad = 0;

	for (block = 0; block < 4000; block++) {
		n = rnd() % sizeof in;
		for (i = 0; i < n; i++)
			in[i] = rnd() % 2 ? alphabet[rnd() % 8] : rnd() & 0xff;
		cap = 1 + rnd() % 64;
		max = 2 + rnd() % cap;
		if (!fuzz_block(in, n, cap, max)) {
			if (bad++ < 3)
				printf("fuzz block %d (n %zu cap %zu max %zu) "
					"differs from the model\n", block, n,
					cap, max);
		}
	}
	CHECK(bad == 0, "fuzz: 4000 random blocks match the line model");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_lines();
	test_bounds();
	test_read();
	test_timeout();
	test_partial_writes();
	test_pending();
	test_pairing();
	test_printf();
	test_transport();
	test_eintr();
	test_sticky();
	test_fuzz();
	return unit_done();
}
