/*
 * m4lite: the input stack: files (read whole, or as needed from a pipe or
 * terminal), pushed-back strings and builtin tokens, m4wrap text,
 * and the byte-at-a-time and run-at-a-time readers over them.
 */
#include "m4.h"

/* A new block on top of the input; slots and their buffers are reused,
 * so steady-state expansion allocates nothing. */
struct input *m4_push_block(struct m4 *m, int type)
{
	struct input *i;

	if (m->nin == m->incap) {
		m->incap = m->incap ? m->incap * 2 : 64;
		m->in = m4realloc(m->in, m->incap * sizeof *m->in);
		memset(m->in + m->nin, 0, (m->incap - m->nin) * sizeof *m->in);
	}
	i = &m->in[m->nin++];
	i->type = type;
	i->more = 0;
	i->file = m->cur_file;
	i->line = m->cur_line;
	i->data.len = 0;
	i->p = i->end = NULL;
	m->input_change = 1;
	return i;
}

static void pop_input(struct m4 *m)
{
	struct input *i = &m->in[--m->nin];

	if (i->type == IN_FILE) {
		if (i->fd > 0)
			close(i->fd);
		m->start_of_line = i->advance;
		m->sync_line = -1;
		if (m->debug & D_INPUT) {
			if (m->nin)
				m4_debug_message(m,
					"input reverted to %s, line %d",
					m->in[m->nin - 1].file,
					m->in[m->nin - 1].line);
			else
				m4_debug_message(m, "input exhausted");
		}
		/* A big file's memory is not worth keeping. */
		if (i->data.cap > 1 << 20)
			buf_free(&i->data);
	}
	m->input_change = 1;
}

/* Exhausted strings on top of the stack are dropped before a push, so
 * tail recursion runs in constant input depth. */
void m4_pop_spent_strings(struct m4 *m)
{
	while (m->nin > 0 && m->in[m->nin - 1].type == IN_STRING &&
	       m->in[m->nin - 1].p == m->in[m->nin - 1].end)
		pop_input(m);
}

/* Pushes the text of b for rescanning; b's memory is swapped with the
 * block's, so nothing is copied. */
void m4_push_string_buf(struct m4 *m, struct buf *b)
{
	struct input *i;
	struct buf t;

	if (b->len == 0)
		return;
	m4_pop_spent_strings(m);
	i = m4_push_block(m, IN_STRING);
	t = i->data;
	i->data = *b;
	*b = t;
	b->len = 0;
	i->p = i->data.p;
	i->end = i->data.p + i->data.len;
}

void m4_push_macro(struct m4 *m, int bi)
{
	struct input *i = m4_push_block(m, IN_MACRO);

	i->bi = bi;
}

/* The file block i, filled, becomes the input (GNU's push_file). */
static void start_file(struct m4 *m, struct input *i, const char *name)
{
	i->file = m4_intern_name(m, name);
	i->line = 0;
	i->advance = m->start_of_line;
	m->start_of_line = 1;
	i->p = i->data.p;
	i->end = i->data.p + i->data.len;
	m->sync_line = -1;
	if (m->debug & D_INPUT)
		m4_debug_message(m, "input read from %s", name);
}

/* Reads all of fd into a new file block named name (interned). */
int m4_push_file(struct m4 *m, int fd, const char *name)
{
	struct input *i;
	ssize_t r;
	struct stat st;
	size_t chunk = 4096;

	/* Room for the whole file at once when its size is known. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (unsigned long long)st.st_size < M4_MAX_TEXT)
		chunk = (size_t)st.st_size + 1;
	m4_pop_spent_strings(m);
	i = m4_push_block(m, IN_FILE);
	i->more = 0;
	/* A pipe or a terminal is read as the input needs it, as GNU
	 * does: output flows, and an endless producer is no problem. */
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISBLK(st.st_mode)) {
		i->more = 1;
		m4_grow(&i->data, 0);
		i->data.p[0] = 0;
		i->fd = fd;
		start_file(m, i, name);
		return 0;
	}
	for (;;) {
		if (i->data.cap - i->data.len < chunk + 1)
			m4_grow(&i->data, chunk);
		chunk = 65536;
		r = read(fd, i->data.p + i->data.len,
			i->data.cap - i->data.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;

			m->nin--;
			errno = err;
			return -1;
		}
		if (r == 0)
			break;
		i->data.len += (size_t)r;
	}
	i->data.p[i->data.len] = 0;
	/* GNU keeps each file open while it is read: so do we, and an
	 * include loop meets the same "Too many open files". */
	i->fd = fd;
	start_file(m, i, name);
	return 0;
}

/* A file whose text is built in (the cf macros). */
void m4_push_text_file(struct m4 *m, const char *text, const char *name)
{
	struct input *i;

	m4_pop_spent_strings(m);
	i = m4_push_block(m, IN_FILE);
	i->more = 0;
	m4_put(&i->data, text, strlen(text));
	i->fd = -1;
	start_file(m, i, name);
}

/* More of a pipe's input: the unread rest moves to the front, then one
 * read (it blocks, as GNU's getc does).  0 at the end of the input. */
size_t m4_refill(struct input *i)
{
	size_t keep = (size_t)(i->end - i->p);
	ssize_t r;

	if (!i->more)
		return 0;
	memmove(i->data.p, i->p, keep);
	i->data.len = keep;
	if (i->data.cap - keep < 65536 + 1)
		m4_grow(&i->data, 65536);
	do
		r = read(i->fd < 0 ? 0 : i->fd, i->data.p + keep, 65536);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		i->more = 0;
		r = 0;
	}
	i->data.len += (size_t)r;
	i->data.p[i->data.len] = 0;
	i->p = i->data.p;
	i->end = i->data.p + i->data.len;
	return (size_t)r;
}

/* GNU's next_char: exhausted blocks are popped here, and a file's line
 * counts up when the character after a newline is read (so a token that
 * ends a line still reports that line).  After a pop, the place becomes
 * that of the block below (input_change), as GNU's current_file/line. */
/* m4_next_char past its common case: notes a change of input and a new
 * line, refills pipes, pops ended inputs, returns builtin tokens. */
static __attribute__((noinline)) int next_char_slow(struct m4 *m)
{
	struct input *i;
	int c;

	for (;;) {
		if (m->nin == 0) {
			m->cur_file = "";
			m->cur_line = 0;
			return CH_EOF;
		}
		i = &m->in[m->nin - 1];
		if (m->input_change) {
			m->cur_file = i->file;
			m->cur_line = i->line;
			m->input_change = 0;
		}
		if (i->type == IN_STRING) {
			if (i->p < i->end)
				return (unsigned char)*i->p++;
		} else if (i->type == IN_FILE) {
			if (m->start_of_line) {
				m->start_of_line = 0;
				m->cur_line = ++i->line;
			}
			if (i->p == i->end)
				m4_refill(i);
			if (i->p < i->end) {
				c = (unsigned char)*i->p++;
				if (c == '\n')
					m->start_of_line = 1;
				return c;
			}
		} else {
			m->tokbi = i->bi;
			pop_input(m);
			return CH_MACRO;
		}
		pop_input(m);
	}
}

/* m4_peek_char past its common case: the inputs below an ended one. */
static __attribute__((noinline)) int peek_char_slow(struct m4 *m)
{
	int k;

	for (k = m->nin - 1; k >= 0; k--) {
		struct input *i = &m->in[k];

		if (i->type == IN_MACRO)
			return CH_MACRO;
		if (i->p == i->end)
			m4_refill(i);
		if (i->p < i->end)
			return (unsigned char)*i->p;
	}
	return CH_EOF;
}

/* The common cases of the two readers stay free of calls, so that they
 * need no saved registers: a byte of the string or file on top, no
 * change of input or line to note. */
int m4_next_char(struct m4 *m)
{
	struct input *i;
	int c;

	if (m->nin && !m->input_change) {
		i = &m->in[m->nin - 1];
		if (i->type == IN_STRING && i->p < i->end)
			return (unsigned char)*i->p++;
		if (i->type == IN_FILE && !m->start_of_line && i->p < i->end) {
			c = (unsigned char)*i->p++;
			if (c == '\n')
				m->start_of_line = 1;
			return c;
		}
	}
	return next_char_slow(m);
}

int m4_peek_char(struct m4 *m)
{
	struct input *i;

	if (m->nin) {
		i = &m->in[m->nin - 1];
		if (i->type != IN_MACRO && i->p < i->end)
			return (unsigned char)*i->p;
	}
	return peek_char_slow(m);
}

/* Fast scans: the top block, ready to be read as next_char would read
 * it, when its next byte has none of the classes in stop; else NULL. */
struct input *m4_plain_top(struct m4 *m, int stop)
{
	struct input *i;

	if (m->nin == 0)
		return NULL;
	i = &m->in[m->nin - 1];
	if (i->type == IN_MACRO || i->p >= i->end ||
	    (m->cls[(unsigned char)*i->p] & stop))
		return NULL;
	if (m->input_change) {
		m->cur_file = i->file;
		m->cur_line = i->line;
		m->input_change = 0;
	}
	if (i->type == IN_FILE && m->start_of_line) {
		m->start_of_line = 0;
		m->cur_line = ++i->line;
	}
	return i;
}

/* Consumes the run of bytes of i without a class in stop (at least one),
 * counting lines as next_char does; returns where the run starts. */
const char *m4_take_plain(struct m4 *m, struct input *i, int stop,
	size_t *n)
{
	const char *p = i->p, *q = p;
	int nl = 0;

	if (i->type == IN_FILE) {
		while (q < i->end && !(m->cls[(unsigned char)*q] & stop)) {
			if (*q++ == '\n')
				nl++;
		}
		if (nl) {
			/* The last newline's line starts at the next read. */
			if (q[-1] == '\n') {
				nl--;
				m->start_of_line = 1;
			}
			i->line += nl;
			m->cur_line = i->line;
		}
	} else {
		while (q < i->end && !(m->cls[(unsigned char)*q] & stop))
			q++;
	}
	i->p = q;
	*n = (size_t)(q - p);
	return p;
}
