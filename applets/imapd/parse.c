/*
 * imapd's command reader and parser (RFC 3501 2.2, 9; RFC 7888 LITERAL+).
 * A command is read whole, lines and literals, into one bounded buffer,
 * raw: "a1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n".  The parser then walks
 * it with a cursor and never looks past its end.
 */
#include "imapd.h"

/* The tag of a line, for an answer to a command that never parsed:
 * "*" when there is none. */
static void line_tag(struct imap *s, const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < IMAP_TAG_MAX; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch <= ' ' || ch >= 0x7f || strchr("(){%*\"\\+", ch))
			break;
	}
	if (i == 0 || (i < n && line[i] != ' ')) {
		str_lcpy(s->tag, "*", sizeof s->tag);
		return;
	}
	memcpy(s->tag, line, i);
	s->tag[i] = 0;
}

/* A line ending in "{N}" or "{N+}" (RFC 3501 4.3, RFC 7888): N, with
 * *PLUS; -1 when it does not end in a literal. */
static long long literal_at_end(const char *line, size_t n, int *plus)
{
	size_t i;
	long long v = 0;

	if (n < 3 || line[n - 1] != '}')
		return -1;
	i = n - 1;
	*plus = line[i - 1] == '+';
	if (*plus)
		i--;
	if (i == 0)
		return -1;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || line[i - 1] != '{' || i == n - 1 - *plus)
		return -1;
	for (; line[i] >= '0' && line[i] <= '9'; i++) {
		v = v * 10 + (line[i] - '0');
		if (v > 0xffffffffLL)
			return 0x100000000LL;
	}
	return v;
}

/* Reads and drops N bytes of a literal we refused (LITERAL+: the client
 * sends it anyway).  0, or -1 when the connection failed. */
static int discard(struct imap *s, unsigned long long n)
{
	char tmp[4096];
	ssize_t k;

	while (n) {
		k = io_read(&s->in, tmp, n < sizeof tmp ? n : sizeof tmp);
		if (k <= 0)
			return -1;
		n -= (size_t)k;
	}
	return 0;
}

int read_command(struct imap *s)
{
	size_t len, nlit = 0;
	int r, plus, append = 0, bad = 0;
	long long lit;

	buf_reset(&s->cmd);
	str_lcpy(s->tag, "*", sizeof s->tag);
	for (;;) {
		io_deadline(&s->in, timeout_ms(s));
		io_deadline(&s->out, timeout_ms(s));
		r = io_getline(&s->in, s->line, sizeof s->line, &len);
		if (r == IO_TIMEOUT) {
			reply(s, "* BYE Disconnected for inactivity");
			log_msg(LOG_INFO, "%s: %s: autologout", s->client,
				s->login[0] ? s->login : "(not logged in)");
			return 0;
		}
		if (r == IO_ERR || (r == IO_EOF && len == 0))
			return 0;
		if (!s->cmd.len)
			line_tag(s, s->line, len);
		if (r == IO_LONG) {
			/* RFC 7162 4: answer, go on with the next line */
			reply(s, "%s BAD Command line too long", s->tag);
			return -1;
		}
		if (len && s->line[len - 1] == '\n')
			len--;
		if (len && s->line[len - 1] == '\r')
			len--;
		/* a NUL: refused, but a literal announced is still read
		 * past (below), never taken for the next command */
		if (!bad && memchr(s->line, 0, len)) {
			reply(s, "%s BAD NUL in command line", s->tag);
			bad = 1;
		}
		if (!s->cmd.len) {
			const char *sp = memchr(s->line, ' ', len);

			/* APPEND: a larger literal, up to APPENDLIMIT */
			if (sp && (size_t)(s->line + len - sp) > 7 &&
			    !strncasecmp(sp + 1, "APPEND ", 7))
				append = 1;
		}
		if (!bad && (buf_add(&s->cmd, s->line, len) < 0 ||
		    buf_add(&s->cmd, "\r\n", 2) < 0)) {
			reply(s, "%s BAD Command too long", s->tag);
			bad = 1;
		}
		lit = literal_at_end(s->line, len, &plus);
		if (lit < 0 || r == IO_EOF)
			return bad ? -1 : 1;
		/* before a login only LOGIN's and ID's short strings: no
		 * one gets a large buffer without a password */
		if (!bad && (++nlit > IMAP_LITERALS_MAX ||
		    (unsigned long long)lit > (s->state == ST_NOAUTH ?
		    IMAP_LINE_MAX : append ? IMAP_APPEND_MAX : IMAP_CMD_MAX) ||
		    buf_reserve(&s->cmd, (size_t)lit) < 0)) {
			/* RFC 7888 4: a synchronizing literal refused is
			 * never sent; a non-synchronizing one is read and
			 * dropped */
			reply(s, "%s %s", s->tag, append && s->state !=
				ST_NOAUTH ? "NO [TOOBIG] Message too large" :
				"BAD Literal too large");
			bad = 1;
		}
		if (bad && !plus)
			return -1;
		if (bad) {
			if (discard(s, (unsigned long long)lit) < 0)
				return 0;
			continue;
		}
		if (!plus) {
			reply(s, "+ Ready for literal data");
			io_flush(&s->out);
		}
		while (lit > 0) {
			ssize_t k = io_read(&s->in, s->cmd.p + s->cmd.len,
				(size_t)lit);

			if (k <= 0)
				return 0;
			s->cmd.len += (size_t)k;
			lit -= k;
		}
		s->cmd.p[s->cmd.len] = 0;
	}
}

/* --- the parser ----------------------------------------------------------- */

int p_sp(struct cur *c)
{
	if (c->p >= c->end || *c->p != ' ')
		return -1;
	c->p++;
	return 0;
}

/* The command ends here: only its CRLF is left. */
int p_eol(const struct cur *c)
{
	return c->end - c->p == 2 && c->p[0] == '\r' && c->p[1] == '\n';
}

int p_peek(const struct cur *c, int ch)
{
	return c->p < c->end && *c->p == ch;
}

/* RFC 3501 9: ATOM-CHAR is any CHAR but atom-specials; ASTRING-CHAR adds
 * "]" (resp-specials). */
static int atom_char(unsigned char ch, int bracket)
{
	if (ch <= ' ' || ch >= 0x7f)
		return 0;
	if (strchr("(){%*\"\\", ch))
		return 0;
	return bracket || ch != ']';
}

int p_atom(struct cur *c, char **v, size_t *n, int bracket)
{
	char *b = c->p;

	while (c->p < c->end && atom_char((unsigned char)*c->p, bracket))
		c->p++;
	*v = b;
	*n = (size_t)(c->p - b);
	return *n ? 0 : -1;
}

int p_string(struct cur *c, char **v, size_t *n, int astring)
{
	char *o;

	if (p_peek(c, '"')) {
		/* quoted: unescaped in place (it only shrinks) */
		o = *v = ++c->p;
		while (c->p < c->end && *c->p != '"') {
			if (*c->p == '\r' || *c->p == '\n')
				return -1;
			if (*c->p == '\\') {
				if (++c->p >= c->end ||
				    (*c->p != '\\' && *c->p != '"'))
					return -1;
			}
			*o++ = *c->p++;
		}
		if (c->p >= c->end)
			return -1;
		c->p++;
		*n = (size_t)(o - *v);
		return 0;
	}
	if (p_peek(c, '{')) {
		unsigned long long len = 0;
		char *q = c->p + 1;

		while (q < c->end && *q >= '0' && *q <= '9' && len < (1ULL <<
		    40))
			len = len * 10 + (unsigned)(*q++ - '0');
		if (q == c->p + 1)
			return -1;
		if (q < c->end && *q == '+')
			q++;
		if (c->end - q < 3 || q[0] != '}' || q[1] != '\r' ||
		    q[2] != '\n' || len > (unsigned long long)(c->end - q - 3))
			return -1;
		*v = q + 3;
		*n = (size_t)len;
		c->p = q + 3 + len;
		return 0;
	}
	if (!astring)
		return -1;
	return p_atom(c, v, n, 1);
}

/* list-char (RFC 3501 9): ATOM-CHAR, list-wildcards, resp-specials */
int p_cstring(struct cur *c, char *dst, size_t max, int listchars)
{
	char *v;
	size_t n;

	if (listchars && c->p < c->end && !p_peek(c, '"') &&
	    !p_peek(c, '{')) {
		v = c->p;
		while (c->p < c->end && (atom_char((unsigned char)*c->p, 1) ||
		    *c->p == '%' || *c->p == '*'))
			c->p++;
		n = (size_t)(c->p - v);
		if (!n)
			return -1;
	} else if (p_string(c, &v, &n, 1) < 0) {
		return -1;
	}
	if (n >= max || memchr(v, 0, n))
		return -1;
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

int p_number64(struct cur *c, uint64_t *v)
{
	uint64_t x = 0;
	char *b = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*c->p++ - '0');
	}
	if (c->p == b)
		return -1;
	*v = x;
	return 0;
}

int p_number(struct cur *c, uint32_t *v)
{
	uint64_t x;

	if (p_number64(c, &x) < 0 || x > 0xffffffffULL)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int p_word(struct cur *c, char *dst, size_t max)
{
	size_t i = 0;

	while (c->p < c->end && atom_char((unsigned char)*c->p, 0) &&
	    *c->p != '[' && *c->p != '<' && *c->p != '.') {
		if (i + 1 >= max)
			return -1;
		dst[i++] = (char)(*c->p >= 'a' && *c->p <= 'z' ?
			*c->p - 32 : *c->p);
		c->p++;
	}
	dst[i] = 0;
	return i ? 0 : -1;
}

/* --- sequence sets -------------------------------------------------------- */

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int seq_value(struct cur *c, uint32_t star, uint32_t *v)
{
	if (p_peek(c, '*')) {
		c->p++;
		*v = star;
		return 0;
	}
	/* RFC 3501 9: nz-number */
	return p_number(c, v) < 0 || *v == 0 ? -1 : 0;
}

/* RFC 3501 9 sequence-set; "*" is STAR (the largest number in use; 0 in
 * an empty mailbox, where "*" then matches nothing).  Ranges are kept
 * sorted and merged, for a binary search per message. */
int p_seqset(struct cur *c, struct seqset *set, uint32_t star)
{
	size_t i, j;

	set->n = 0;
	for (;;) {
		struct range r;

		if (seq_value(c, star, &r.lo) < 0)
			return -1;
		r.hi = r.lo;
		if (p_peek(c, ':')) {
			c->p++;
			if (seq_value(c, star, &r.hi) < 0)
				return -1;
		}
		if (r.lo > r.hi) {
			uint32_t t = r.lo;

			r.lo = r.hi;
			r.hi = t;
		}
		if (set->n >= IMAP_RANGES_MAX ||
		    buf_grow_array((void **)&set->r, &set->cap, set->n,
		    sizeof *set->r, 16) < 0)
			return -1;
		if (r.hi)
			set->r[set->n++] = r;
		if (!p_peek(c, ','))
			break;
		c->p++;
	}
	qsort(set->r, set->n, sizeof *set->r, range_cmp);
	for (i = 0, j = 0; i < set->n; i++) {
		if (j && set->r[i].lo <= set->r[j - 1].hi + 1ULL) {
			if (set->r[i].hi > set->r[j - 1].hi)
				set->r[j - 1].hi = set->r[i].hi;
		} else {
			set->r[j++] = set->r[i];
		}
	}
	set->n = j;
	return 0;
}

int seq_has(const struct seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (v < set->r[m].lo)
			hi = m;
		else if (v > set->r[m].hi)
			lo = m + 1;
		else
			return 1;
	}
	return 0;
}

void seq_free(struct seqset *set)
{
	free(set->r);
	memset(set, 0, sizeof *set);
}

/* RFC 3501 4.3, 4.2: a string as a quoted string when it can be one,
 * else as a literal. */
int out_string(struct imap *s, const char *v, size_t n)
{
	size_t i;

	if (!v)
		return io_puts(&s->out, "NIL");
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch == 0 || ch == '\r' || ch == '\n' || ch >= 0x80)
			break;
	}
	if (i < n || n > 1024) {
		io_printf(&s->out, "{%zu}\r\n", n);
		return io_write(&s->out, v, n);
	}
	io_write(&s->out, "\"", 1);
	for (i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			io_write(&s->out, "\\", 1);
		io_write(&s->out, v + i, 1);
	}
	return io_write(&s->out, "\"", 1);
}
