/*
 * m4lite: expansion: the tokenizer (quotes, comments, names), argument
 * collection, the call of a macro (user text with $n, or a builtin),
 * tracing, and the main loop that copies input to output.
 */
#include "m4.h"

/* Whether the next n input characters are s (nothing is consumed). */
static int lookahead(struct m4 *m, const char *s, size_t n)
{
	int k = m->nin - 1;
	const char *p;

	if (n == 0)
		return 1;
	if (k < 0)
		return 0;
	p = m->in[k].p;
	while (n) {
		struct input *i = &m->in[k];

		if (i->type == IN_MACRO)
			return 0;
		if (p == i->end && i->more) {
			size_t off = (size_t)(p - i->p);

			m4_refill(i);
			p = i->p + off;
		}
		if (p < i->end) {
			if (*p != *s)
				return 0;
			p++, s++, n--;
		} else {
			if (--k < 0)
				return 0;
			p = m->in[k].p;
		}
	}
	return 1;
}

/* After c was read: whether c starts delimiter s (consumed if so). */
static int match_delim(struct m4 *m, int c, const char *s, size_t n)
{
	if (n == 0 || c != (unsigned char)s[0])
		return 0;
	if (n > 1) {
		if (!lookahead(m, s + 1, n - 1))
			return 0;
		while (--n)
			m4_next_char(m);
	}
	return 1;
}

/* GNU's next_token: the token's text is appended to dst (quoted strings
 * without their outer quotes, comments whole). */
/* GNU keeps token texts as C strings: a NUL ends what is kept. */
static void cut_nul(struct buf *dst, size_t start)
{
	char *z = memchr(dst->p + start, 0, dst->len - start);

	if (z)
		dst->len = (size_t)(z - dst->p);
}

static int next_token(struct m4 *m, struct buf *dst)
{
	const char *file;
	int c, line, depth;
	struct input *i;
	size_t start = dst->len;

	c = m4_peek_char(m);
	if (c == CH_EOF) {
		m4_next_char(m);
		return T_EOF;
	}
	if (c == CH_MACRO) {
		m4_next_char(m);
		return T_MACRO;
	}
	c = m4_next_char(m);
	/* Errors name the line where the token starts. */
	file = m->cur_file;
	line = m->tok_line = m->cur_line;
	if (match_delim(m, c, m->bc, m->bcl)) {
		m4_put(dst, m->bc, m->bcl);
		for (;;) {
			if ((i = m4_plain_top(m, C_EC | C_NUL))) {
				size_t n;
				const char *p = m4_take_plain(m, i,
					C_EC | C_NUL, &n);

				m4_put(dst, p, n);
				continue;
			}
			c = m4_next_char(m);
			if (c == CH_EOF)
				m4_fatal_at(m, file, line,
					"ERROR: end of file in comment");
			if (c == CH_MACRO)
				continue;
			if (match_delim(m, c, m->ec, m->ecl)) {
				m4_put(dst, m->ec, m->ecl);
				break;
			}
			putc1(dst, c);
		}
		cut_nul(dst, start);
		return T_STRING;
	}
	if (is_word1(c)) {
		putc1(dst, c);
		for (;;) {
			/* Fast path: the rest of the word in this block
			 * (a word holds no newline, so lines don't move). */
			i = m->nin ? &m->in[m->nin - 1] : NULL;
			if (i && i->type != IN_MACRO && i->p < i->end) {
				const char *p = i->p;

				while (p < i->end && is_word((unsigned char)*p))
					p++;
				m4_put(dst, i->p, (size_t)(p - i->p));
				i->p = p;
				if (p < i->end)
					break;
			}
			c = m4_peek_char(m);
			if (c < 0 || !is_word(c))
				break;
			putc1(dst, m4_next_char(m));
		}
		return T_WORD;
	}
	if (match_delim(m, c, m->lq, m->lql)) {
		depth = 1;
		for (;;) {
			if ((i = m4_plain_top(m, C_LQ | C_RQ | C_NUL))) {
				size_t n;
				const char *p;

				p = m4_take_plain(m, i, C_LQ | C_RQ | C_NUL,
					&n);

				m4_put(dst, p, n);
				continue;
			}
			c = m4_next_char(m);
			if (c == CH_EOF)
				m4_fatal_at(m, file, line,
					"ERROR: end of file in string");
			if (c == CH_MACRO)
				continue;
			if (match_delim(m, c, m->rq, m->rql)) {
				if (--depth == 0)
					break;
				m4_put(dst, m->rq, m->rql);
			} else if (match_delim(m, c, m->lq, m->lql)) {
				depth++;
				m4_put(dst, m->lq, m->lql);
			} else {
				putc1(dst, c);
			}
		}
		cut_nul(dst, start);
		return T_STRING;
	}
	if (c == 0)
		return T_NUL;
	putc1(dst, c);
	switch (c) {
	case '(':
		return T_OPEN;
	case ',':
		return T_COMMA;
	case ')':
		return T_CLOSE;
	}
	return T_SIMPLE;
}

/* GNU's peek_token () == TOKEN_OPEN: a '(' that starts no comment and no
 * quote. */
static int peek_open(struct m4 *m)
{
	if (m4_peek_char(m) != '(')
		return 0;
	if (m->bcl && m->bc[0] == '(' && lookahead(m, m->bc, m->bcl))
		return 0;
	if (m->lql && m->lq[0] == '(' && lookahead(m, m->lq, m->lql))
		return 0;
	return 1;
}

/* --- expansion -------------------------------------------------------- */

FILE *m4_debug_out(struct m4 *m)
{
	return m->debugf ? m->debugf : stderr;
}

/* Each nesting depth keeps its argument and expansion buffers for the
 * next call at that depth: pointers into a level stay valid while
 * deeper levels come and go (an array of pointers, never moved). */
static struct level *get_level(struct m4 *m, int depth)
{
	if (depth >= m->nlv) {
		int n = m->nlv ? m->nlv * 2 : 16, k;

		while (n <= depth)
			n *= 2;
		m->lv = m4realloc(m->lv, n * sizeof *m->lv);
		for (k = m->nlv; k < n; k++) {
			m->lv[k] = m4alloc(sizeof **m->lv);
			memset(m->lv[k], 0, sizeof **m->lv);
			m->lv[k]->text.max = M4_MAX_TEXT;
			m->lv[k]->exp.max = M4_MAX_TEXT;
		}
		m->nlv = n;
	}
	return m->lv[depth];
}

static void level_arg(struct level *lv, int k, size_t off, int bi)
{
	if (k >= lv->cap) {
		lv->cap = lv->cap ? lv->cap * 2 : 16;
		lv->off = m4realloc(lv->off, lv->cap * sizeof *lv->off);
		lv->bi = m4realloc(lv->bi, lv->cap * sizeof *lv->bi);
		lv->argv = m4realloc(lv->argv, lv->cap * sizeof *lv->argv);
		lv->argl = m4realloc(lv->argl, lv->cap * sizeof *lv->argl);
	}
	lv->off[k] = off;
	lv->bi[k] = bi;
}

/* Appends args first..argc-1 joined by sep, each quoted when asked. */
void m4_dump_args(struct m4 *m, struct buf *o, struct args *a, int first,
	const char *sep, int quoted)
{
	int i;

	for (i = first; i < a->argc; i++) {
		if (i > first)
			m4_puts0(o, sep);
		if (quoted)
			m4_put(o, m->lq, m->lql);
		m4_put(o, a->v[i], a->l[i]);
		if (quoted)
			m4_put(o, m->rq, m->rql);
	}
}

/* A user macro's expansion: $0-$9 (GNU: any number), $#, $* (joined by
 * commas) and $@ (the same, each quoted); any other '$' is itself. */
void m4_expand_user(struct m4 *m, struct def *d, struct args *a,
	struct buf *o)
{
	const char *t = d->text, *e = d->text + d->len, *dollar;
	int n;

	while (t < e) {
		dollar = memchr(t, '$', (size_t)(e - t));
		if (!dollar) {
			m4_put(o, t, (size_t)(e - t));
			break;
		}
		m4_put(o, t, (size_t)(dollar - t));
		t = dollar + 1;
		if (t < e && *t >= '0' && *t <= '9') {
			/* GNU reads $10 as the tenth argument; -G as $1 0. */
			if (!m->gnu) {
				n = *t++ - '0';
			} else {
				for (n = 0; t < e && *t >= '0' && *t <= '9';
				     t++)
					n = n > INT_MAX / 10 - 10 ? INT_MAX :
						n * 10 + (*t - '0');
			}
			if (n < a->argc)
				m4_put(o, a->v[n], a->l[n]);
		} else if (t < e && *t == '#') {
			m4_putint(o, a->argc - 1);
			t++;
		} else if (t < e && (*t == '*' || *t == '@')) {
			m4_dump_args(m, o, a, 1, ",", *t == '@');
			t++;
		} else {
			putc1(o, '$');
		}
	}
}

/* Trace output in GNU's form ("m4trace:file:line: -N- name(args)"). */
static void trace_text(struct m4 *m, struct buf *t, const char *s, size_t n)
{
	if (m->debug & D_QUOTE)
		m4_put(t, m->lq, m->lql);
	if (m->arglen > 0 && n > (size_t)m->arglen) {
		m4_put(t, s, (size_t)m->arglen);
		m4_put(t, "...", 3);
	} else {
		m4_put(t, s, n);
	}
	if (m->debug & D_QUOTE)
		m4_put(t, m->rq, m->rql);
}

static void trace_header(struct m4 *m, struct buf *t, int id)
{
	m4_puts0(t, "m4trace:");
	if (m->debug & D_FILE) {
		m4_puts0(t, m->cur_file);
		putc1(t, ':');
	}
	if (m->debug & D_LINE) {
		m4_putint(t, m->cur_line);
		putc1(t, ':');
	}
	m4_puts0(t, " -");
	m4_putint(t, m->depth);
	m4_puts0(t, "- ");
	if (m->debug & D_CALLID) {
		m4_puts0(t, "id ");
		m4_putint(t, id);
		m4_puts0(t, ": ");
	}
}

static void trace_flush(struct m4 *m, struct buf *t)
{
	putc1(t, '\n');
	fwrite(t->p, 1, t->len, m4_debug_out(m));
	fflush(m4_debug_out(m));
	t->len = 0;
}

/* The line is kept until the call is over (GNU's trace obstack), so
 * the builtin's own messages come first. */
static void trace_pre(struct m4 *m, struct args *a, int id)
{
	struct buf t = m->trace;
	int i;

	t.len = 0;
	trace_header(m, &t, id);
	m4_put(&t, a->v[0], a->l[0]);
	if (a->argc > 1 && (m->debug & D_ARGS)) {
		putc1(&t, '(');
		for (i = 1; i < a->argc; i++) {
			if (i > 1)
				m4_puts0(&t, ", ");
			if (a->bi[i] >= 0) {
				putc1(&t, '<');
				m4_puts0(&t, m4_builtins[a->bi[i]].name);
				putc1(&t, '>');
			} else {
				trace_text(m, &t, a->v[i], a->l[i]);
			}
		}
		putc1(&t, ')');
	}
	if (m->debug & D_CALL) {
		m4_puts0(&t, " -> ???");
		trace_flush(m, &t);
	}
	m->trace = t;
}

static void trace_post(struct m4 *m, struct args *a, int id, struct buf *exp)
{
	struct buf t = m->trace;

	if (m->debug & D_CALL) {
		trace_header(m, &t, id);
		m4_put(&t, a->v[0], a->l[0]);
		if (a->argc > 1)
			m4_puts0(&t, "(...)");
	}
	if (exp->len && (m->debug & D_EXPAND)) {
		m4_puts0(&t, " -> ");
		trace_text(m, &t, exp->p, exp->len);
	}
	trace_flush(m, &t);
	m->trace = t;
}

static int expand_word(struct m4 *m, struct buf *dst, size_t start);

/* GNU's expand_argument: one argument into lv->text.  Returns 1 when a
 * comma ended it, 0 for the closing parenthesis. */
static int collect_arg(struct m4 *m, struct level *lv, int *bi)
{
	const char *file = m->cur_file;
	int line = m->cur_line, t, paren = 0;
	size_t start = lv->text.len, ts;

	*bi = -1;
	/* POSIX: leading unquoted white space is skipped. */
	for (;;) {
		t = next_token(m, &lv->text);
		if (t == T_SIMPLE &&
		    isspace((unsigned char)lv->text.p[lv->text.len - 1])) {
			lv->text.len--;
			continue;
		}
		break;
	}
	if (t == T_WORD)
		expand_word(m, &lv->text, start);
	for (;;) {
		switch (t) {
		case T_COMMA:
		case T_CLOSE:
			if (paren == 0) {
				lv->text.len--;
				lv->text.p[lv->text.len] = 0;
				return t == T_COMMA;
			}
			if (t == T_CLOSE)
				paren--;
			break;
		case T_OPEN:
			paren++;
			break;
		case T_EOF:
			m4_fatal_at(m, file, line,
				"ERROR: end of file in argument list");
		case T_MACRO:
			if (lv->text.len == start)
				*bi = m->tokbi;
			break;
		}
		ts = lv->text.len;
		t = next_token(m, &lv->text);
		if (t == T_WORD)
			expand_word(m, &lv->text, ts);
	}
}

void m4_call_builtin(struct m4 *m, int bi, struct args *a, struct buf *o)
{
	m4_builtins[bi].fn(m, a, o);
}

/* GNU's expand_macro: the name is at dst+start (removed from dst). */
static void expand_macro(struct m4 *m, struct sym *s, struct buf *dst,
	size_t start)
{
	struct def *d = s->top;
	const char *ofile = m->cur_file, *cfile;
	int oline = m->cur_line, cline, argc = 0, more, bi, id, traced, k;
	struct level *lv;
	struct args a;

	if (m->nesting_limit > 0 && m->depth + 1 > m->nesting_limit)
		m4_fatal_at(m, m->cur_file, m->cur_line,
			"recursion limit of %d "
			"exceeded, use -L<N> to change it", m->nesting_limit);
	if (m->depth + 1 > m->max_depth) {
		m4_flush_out(m);
		fprintf(stderr, "%s: stack overflow\n", m->prog);
		exit(1);
	}
	m->depth++;
	d->refs++;
	lv = get_level(m, m->depth);
	lv->text.len = 0;
	level_arg(lv, argc++, 0, -1);
	m4_put(&lv->text, dst->p + start, dst->len - start);
	putc1(&lv->text, 0);
	dst->len = start;
	if (dst->p)
		dst->p[start] = 0;
	traced = (m->debug & D_TRACEALL) || s->traced;
	id = ++m->macro_call_id;
	if (traced && (m->debug & D_CALL)) {
		struct buf t = m->trace;

		t.len = 0;
		trace_header(m, &t, id);
		m4_put(&t, lv->text.p, lv->text.len - 1);
		m4_puts0(&t, " ...");
		trace_flush(m, &t);
		m->trace = t;
	}
	if (peek_open(m)) {
		m4_next_char(m);
		do {
			size_t off = lv->text.len;

			more = collect_arg(m, lv, &bi);
			/* A builtin token stands alone: text around it is
			 * dropped.  Only define, pushdef, builtin and indir
			 * take it; the others see "". */
			if (bi >= 0) {
				lv->text.len = off;
				if (!(d->bi >= 0 && m4_builtins[d->bi].groks))
					bi = -1;
			}
			putc1(&lv->text, 0);
			level_arg(lv, argc++, off, bi);
		} while (more);
	}
	for (k = 0; k < argc; k++) {
		size_t end = k + 1 < argc ? lv->off[k + 1] : lv->text.len;

		lv->argv[k] = lv->text.p + lv->off[k];
		lv->argl[k] = end - lv->off[k] - 1;
	}
	a.argc = argc;
	a.v = lv->argv;
	a.l = lv->argl;
	a.bi = lv->bi;
	cfile = m->cur_file;
	cline = m->cur_line;
	m->cur_file = ofile;
	m->cur_line = oline;
	if (traced)
		trace_pre(m, &a, id);
	lv->exp.len = 0;
	if (d->bi >= 0)
		m4_call_builtin(m, d->bi, &a, &lv->exp);
	else
		m4_expand_user(m, d, &a, &lv->exp);
	if (traced)
		trace_post(m, &a, id, &lv->exp);
	m4_push_string_buf(m, &lv->exp);
	m->cur_file = cfile;
	m->cur_line = cline;
	if (--d->refs == 0 && d->dead)
		m4_drop_def(d);
	m->depth--;
}

/* A word just read into dst+start: a macro call, or plain text (left in
 * dst).  Returns 1 when it was a call. */
static int expand_word(struct m4 *m, struct buf *dst, size_t start)
{
	struct sym *s = m4_lookup(m, dst->p + start, dst->len - start, 0);
	int bi;

	if (!s || !s->top)
		return 0;
	bi = s->top->bi;
	if (bi >= 0 && m4_builtins[bi].blind && !peek_open(m))
		return 0;
	expand_macro(m, s, dst, start);
	return 1;
}

void m4_expand_input(struct m4 *m)
{
	int t;

	for (;;) {
		struct input *i;

		/* Plain text goes straight out (but not with -s, which
		 * watches every line). */
		if (!m->synclines &&
		    (i = m4_plain_top(m, C_LQ | C_BC | C_WORD | C_NUL))) {
			size_t n;
			const char *p = m4_take_plain(m, i,
				C_LQ | C_BC | C_WORD | C_NUL, &n);

			m4_shipout(m, p, n);
			continue;
		}
		m->tok.len = 0;
		t = next_token(m, &m->tok);
		if (t == T_EOF)
			break;
		if (t == T_MACRO)
			continue;
		if (t == T_NUL) {
			m4_shipout(m, "", 0);
			continue;
		}
		if (t == T_WORD && expand_word(m, &m->tok, 0))
			continue;
		m4_shipout(m, m->tok.p, m->tok.len);
	}
}
