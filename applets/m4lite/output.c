/*
 * m4lite: memory, messages (GNU's wording), output and diversions.
 */
#include "m4.h"

/* The run's state, for memory_exhausted only: a buffer can fail to grow
 * deep inside any append, and GNU's message there needs the pending
 * output flushed and the program's name.  Every other function gets the
 * state as its parameter; threading it into each append (hundreds of
 * calls on the hot path) would cost size and speed for this one exit. */
struct m4 *m4_live;

void m4_memory_exhausted(void)
{
	m4_flush_out(m4_live);
	fprintf(stderr, "%s: memory exhausted\n", m4_live->prog);
	exit(1);
}

/* Room for n more bytes (and a NUL) in b, or die as GNU does. */
void m4_grow(struct buf *b, size_t n)
{
	if (b->max == 0)
		b->max = M4_MAX_TEXT;
	if (buf_reserve(b, n) < 0)
		m4_memory_exhausted();
}

void m4_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		m4_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void m4_puts0(struct buf *b, const char *s)
{
	m4_put(b, s, strlen(s));
}

void m4_putint(struct buf *b, long v)
{
	char t[32];

	m4_put(b, t, (size_t)snprintf(t, sizeof t, "%ld", v));
}

void *m4alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		m4_memory_exhausted();
	return p;
}

void *m4realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		m4_memory_exhausted();
	return p;
}

char *m4strndup(const char *s, size_t n)
{
	char *p = m4alloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* GNU m4 prints glibc's texts; musl words some errors differently.
 * These are the ones file and process operations can give. */
const char *m4_strerror(int e)
{
	switch (e) {
	case EIO: return "Input/output error";
	case ECHILD: return "No child processes";
	case ENOMEM: return "Cannot allocate memory";
	case EBUSY: return "Device or resource busy";
	case EXDEV: return "Invalid cross-device link";
	case EMFILE: return "Too many open files";
	case ENOTTY: return "Inappropriate ioctl for device";
	case ESPIPE: return "Illegal seek";
	case EDOM: return "Numerical argument out of domain";
	case ERANGE: return "Numerical result out of range";
	case EDEADLK: return "Resource deadlock avoided";
	case ENAMETOOLONG: return "File name too long";
	case ELOOP: return "Too many levels of symbolic links";
	case EOVERFLOW: return "Value too large for defined data type";
	}
	return strerror(e);
}

/* GNU's m4_error: "prog:file:line: message", or "prog: message" once the
 * input is exhausted (line 0).  -E makes any message fail the run; -E -E
 * stops at the first. */
static void vmessage(struct m4 *m, const char *file, int line, int err,
	const char *fmt, va_list ap)
{
	m4_flush_out(m);
	if (line)
		fprintf(stderr, "%s:%s:%d: ", m->prog, file, line);
	else
		fprintf(stderr, "%s: ", m->prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", m4_strerror(err));
	fputc('\n', stderr);
	fflush(stderr);
	if (m->fatal && !m->retcode)
		m->retcode = 1;
	if (m->fatal > 1)
		exit(1);
}

void m4_warn(struct m4 *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(m, m->cur_file, m->cur_line, 0, fmt, ap);
	va_end(ap);
}

void m4_warn_errno(struct m4 *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(m, m->cur_file, m->cur_line, err, fmt, ap);
	va_end(ap);
}

/* A fatal error at a given place: what GNU prints, then exit 1 with the
 * output written so far (diversions are lost, as in GNU). */
void m4_fatal_at(struct m4 *m, const char *file, int line, const char *fmt,
	...)
{
	va_list ap;

	va_start(ap, fmt);
	m->fatal = 0;
	vmessage(m, file, line, 0, fmt, ap);
	va_end(ap);
	m4_flush_out(m);
	exit(1);
}

const char *m4_intern_name(struct m4 *m, const char *s)
{
	int i;

	for (i = m->nnames - 1; i >= 0 && i >= m->nnames - 8; i--)
		if (strcmp(m->names[i], s) == 0)
			return m->names[i];
	m->names = m4realloc(m->names, (m->nnames + 1) * sizeof *m->names);
	m->names[m->nnames] = m4strndup(s, strlen(s));
	return m->names[m->nnames++];
}

/* --- output and diversions ------------------------------------------ */

static void write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void m4_flush_out(struct m4 *m)
{
	if (m->out.len) {
		write_all(1, m->out.p, m->out.len);
		m->out.len = 0;
	}
}

/* -s: GNU's sync lines.  At the start of an output line, when the token
 * being written comes from another line than the reader would assume,
 * "#line N" goes first ("#line N "FILE"" after a change of file or
 * diversion).  Checked only where a token starts an output line. */
static void shipout_sync(struct m4 *m, struct buf *b, const char *s, size_t n,
	int line)
{
	size_t i;

	if (m->out_sol) {
		m->out_sol = 0;
		m->sync_line++;
		if (m->sync_line != line) {
			m4_put(b, "#line ", 6);
			m4_putint(b, line);
			if (m->sync_line < 1 && m->cur_file[0]) {
				m4_put(b, " \"", 2);
				m4_puts0(b, m->cur_file);
				putc1(b, '"');
			}
			putc1(b, '\n');
			m->sync_line = line;
		}
	}
	for (i = 0; i < n; i++) {
		putc1(b, s[i]);
		if (s[i] == '\n') {
			m->out_sol = 1;
			if (i + 1 < n) {
				m->out_sol = 0;
				m->sync_line++;
			}
		}
	}
}

/* Text for the current diversion (not rescanned). */
void m4_shipout(struct m4 *m, const char *s, size_t n)
{
	struct buf *b = m->curbuf;

	/* With -s even an empty token ends the reader's line check. */
	if (!b || (n == 0 && !m->synclines))
		return;
	if (m->synclines)
		shipout_sync(m, b, s, n, m->tok_line);
	else
		m4_put(b, s, n);
	if (b == &m->out && (m->out.len >= 65536 || m->interactive))
		m4_flush_out(m);
}

static struct diversion *find_div(struct m4 *m, int num, int create)
{
	int lo = 0, hi = m->ndivs, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (m->divs[mid]->num == num)
			return m->divs[mid];
		if (m->divs[mid]->num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create)
		return NULL;
	m->divs = m4realloc(m->divs, (m->ndivs + 1) * sizeof *m->divs);
	memmove(&m->divs[lo + 1], &m->divs[lo],
		(m->ndivs - lo) * sizeof *m->divs);
	m->ndivs++;
	m->divs[lo] = m4alloc(sizeof **m->divs);
	m->divs[lo]->num = num;
	buf_init(&m->divs[lo]->text, M4_MAX_TEXT);
	return m->divs[lo];
}

void m4_make_diversion(struct m4 *m, int num)
{
	/* Staying put changes nothing, not even -s's idea of the line. */
	if (num == m->curdiv && m->div_ready)
		return;
	m->div_ready = 1;
	m->curdiv = num;
	if (num == 0)
		m->curbuf = &m->out;
	else if (num < 0)
		m->curbuf = NULL;
	else
		m->curbuf = &find_div(m, num, 1)->text;
	m->sync_line = -1;
}

/* Appends diversion num to the current output and empties it; undiverting
 * stdout or the current diversion does nothing. */
void m4_insert_diversion(struct m4 *m, int num)
{
	struct diversion *d;
	struct buf *b;

	if (num <= 0 || num == m->curdiv)
		return;
	d = find_div(m, num, 0);
	if (!d || d->text.len == 0)
		return;
	b = m->curbuf;
	if (b) {
		m4_put(b, d->text.p, d->text.len);
		if (b == &m->out && m->out.len >= 65536)
			m4_flush_out(m);
	}
	/* The memory goes back to the allocator: the text is gone. */
	buf_free(&d->text);
	d->text.max = M4_MAX_TEXT;
	m->sync_line = -1;
}

void m4_undivert_all(struct m4 *m)
{
	int i;

	for (i = 0; i < m->ndivs; i++)
		m4_insert_diversion(m, m->divs[i]->num);
}

/* GNU's debug messages: "m4debug:file:line: text" ('f', 'l' flags). */
void m4_debug_message(struct m4 *m, const char *fmt, ...)
{
	FILE *f = m->debugf ? m->debugf : stderr;
	va_list ap;

	fputs("m4debug:", f);
	if (m->cur_line) {
		if (m->debug & D_FILE)
			fprintf(f, "%s:", m->cur_file);
		if (m->debug & D_LINE)
			fprintf(f, "%d:", m->cur_line);
	}
	fputc(' ', f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}
