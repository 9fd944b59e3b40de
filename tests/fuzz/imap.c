/* imap: imapd's command reader and parser (applets/imapd/parse.c): the
 * input is what a client sends, read command by command (lines, {n} and
 * {n+} literals, the limits), each command then walked as imapd's
 * commands walk theirs: the tag, the name, then strings, atoms, numbers,
 * sequence sets and lists until the parser refuses.  Nothing may read
 * past a command or loop.  Inputs of odd size are read as after a login
 * (APPEND's literals may then be large). */
#include "fuzz.h"
#include "../../applets/imapd/imapd.h"
#include "../../applets/imapd/parse.c"

/* What parse.c needs of imapd.c. */
void reply(struct imap *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	io_puts(&s->out, fmt);
	va_end(ap);
}

void tagged(struct imap *s, const char *fmt, ...)
{
}

unsigned long timeout_ms(const struct imap *s)
{
	return 1000;
}

static void walk(struct imap *s)
{
	struct cur c = { s->cmd.p, s->cmd.p + s->cmd.len };
	struct seqset set = { 0 };
	char word[32], str[256], *v;
	size_t n;
	int steps;

	if (p_atom(&c, &v, &n, 1) < 0 || p_sp(&c) < 0 ||
	    p_word(&c, word, sizeof word) < 0)
		return;
	for (steps = 0; steps < 1000 && c.p < c.end; steps++) {
		char *before = c.p;

		if (c.p < s->cmd.p || c.p > c.end)
			abort();
		if (p_eol(&c))
			break;
		if (p_sp(&c) == 0 || (p_peek(&c, '(') && c.p++) ||
		    (p_peek(&c, ')') && c.p++))
			continue;
		if (p_seqset(&c, &set, 100) == 0) {
			if (set.n && !seq_has(&set, set.r[0].lo))
				abort();
			continue;
		}
		c.p = before;
		if (p_cstring(&c, str, sizeof str, steps & 1) == 0)
			continue;
		c.p = before;
		if (p_string(&c, &v, &n, 1) == 0) {
			if (v < s->cmd.p || v + n > c.end)
				abort();
			continue;
		}
		c.p = before;
		if (p_word(&c, word, sizeof word) < 0)
			break;
	}
	seq_free(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null = -1;
	struct imap *s;
	const char *path;
	int fd, r, i;

	if (null < 0 && (null = open("/dev/null", O_WRONLY)) < 0)
		abort();
	path = fuzz_file("in", data, size);
	if ((fd = open(path, O_RDONLY)) < 0)
		abort();
	s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->cf = NULL;
	/* odd sizes read as after a login: APPEND's large literals */
	s->state = size & 1 ? ST_AUTH : ST_NOAUTH;
	buf_init(&s->cmd, IMAP_APPEND_MAX + IMAP_CMD_MAX);
	io_init(&s->in, fd, s->inbuf, sizeof s->inbuf);
	io_init(&s->out, null, s->outbuf, sizeof s->outbuf);
	for (i = 0; i < 10000; i++) {
		r = read_command(s);
		if (r == 0)
			break;
		if (r > 0)
			walk(s);
	}
	buf_free(&s->cmd);
	close(fd);
	free(s);
	return 0;
}
