/*
 * m4lite: the builtins (all but eval, format, regexp and patsubst) and
 * the table of them, with the argument helpers they share.
 */
#include "m4.h"

const char *m4_arg(struct args *a, int i)
{
	return i < a->argc ? a->v[i] : "";
}

/* GNU's bad_argc: min and max count the name; 1 when too few. */
int m4_bad_argc(struct m4 *m, struct args *a, int min, int max)
{
	if (min > 0 && a->argc < min) {
		if (!m->quiet)
			m4_warn(m, "Warning: too few arguments to builtin `%s'",
				a->v[0]);
		return 1;
	}
	if (max > 0 && a->argc > max && !m->quiet)
		m4_warn(m, "Warning: excess arguments to builtin `%s' ignored",
			a->v[0]);
	return 0;
}

int m4_numeric_arg(struct m4 *m, struct args *a, const char *s, int *val)
{
	char *end;
	long v;

	if (*s == 0) {
		*val = 0;
		m4_warn(m, "empty string treated as 0 in builtin `%s'",
			a->v[0]);
		return 1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	*val = (int)v;
	if (*end) {
		m4_warn(m, "non-numeric argument to builtin `%s'", a->v[0]);
		return 0;
	}
	if (isspace((unsigned char)*s))
		m4_warn(m, "leading whitespace ignored in builtin `%s'",
			a->v[0]);
	else if (errno == ERANGE)
		m4_warn(m, "numeric overflow detected in builtin `%s'",
			a->v[0]);
	return 1;
}

static void put_quoted(struct m4 *m, struct buf *o, const char *s, size_t n)
{
	m4_put(o, m->lq, m->lql);
	m4_put(o, s, n);
	m4_put(o, m->rq, m->rql);
}

/* The symbol of argument i when it has a definition, else NULL. */
static struct sym *defined_arg(struct m4 *m, struct args *a, int i)
{
	struct sym *s = m4_lookup(m, a->v[i], a->l[i], 0);

	return s && s->top ? s : NULL;
}

/* A builtin token where a macro's name belongs: GNU warns, ignores the
 * call and says so with 1. */
static int bad_name_arg(struct m4 *m, struct args *a)
{
	if (a->bi[1] < 0)
		return 0;
	m4_warn(m, "Warning: %s: invalid macro name ignored", a->v[0]);
	return 1;
}

/* The builtins without arguments that expand to a number (divnum,
 * sysval, __line__) or to a quoted string (__file__, __program__). */
static void int_result(struct m4 *m, struct args *a, struct buf *o, long v)
{
	if (!m4_bad_argc(m, a, 1, 1))
		m4_putint(o, v);
}

static void text_result(struct m4 *m, struct args *a, struct buf *o,
	const char *s)
{
	if (!m4_bad_argc(m, a, 1, 1))
		put_quoted(m, o, s, strlen(s));
}

/* substr and translit: GNU gives back the text alone when the other
 * arguments are missing; 1 when the call stops here. */
static int text_only(struct m4 *m, struct args *a, struct buf *o)
{
	if (!m4_bad_argc(m, a, 3, 4))
		return 0;
	if (a->argc == 2)
		m4_put(o, a->v[1], a->l[1]);
	return 1;
}

/* GNU's m4_path_search: the name as given, then each -I and M4PATH
 * folder unless the name is absolute.  Directories are refused. */
int m4_path_open(struct m4 *m, const char *name, char **found)
{
	struct stat st;
	int fd, e, i;
	struct buf p = BUF_INIT(M4_MAX_TEXT);

	*found = NULL;
	if (*name == 0) {
		errno = ENOENT;
		return -1;
	}
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			errno = EISDIR;
			fd = -1;
		} else {
			*found = m4strndup(name, strlen(name));
			return fd;
		}
	}
	if (name[0] == '/' || m->nincdirs == 0)
		return -1;
	e = errno;
	for (i = 0; i < m->nincdirs; i++) {
		size_t dl = strlen(m->incdirs[i]);

		p.len = 0;
		m4_puts0(&p, m->incdirs[i]);
		if (dl && m->incdirs[i][dl - 1] != '/')
			putc1(&p, '/');
		m4_puts0(&p, name);
		fd = open(p.p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			continue;
		}
		if (m->debug & D_PATH)
			m4_debug_message(m, "path search for `%s' found `%s'",
				name, p.p);
		*found = p.p;
		return fd;
	}
	buf_free(&p);
	errno = e;
	return -1;
}

/* --- builtins --------------------------------------------------------- */

static void define_common(struct m4 *m, struct args *a, int push)
{
	if (m4_bad_argc(m, a, 2, 3) || bad_name_arg(m, a))
		return;
	if (a->argc >= 3 && a->bi[2] >= 0)
		m4_define_sym(m, a->v[1], a->l[1], a->bi[2], NULL, 0, push);
	else
		m4_define_sym(m, a->v[1], a->l[1], -1, m4_arg(a, 2),
			a->argc >= 3 ? a->l[2] : 0, push);
}

static void bi_define(struct m4 *m, struct args *a, struct buf *o)
{
	define_common(m, a, 0);
}

static void bi_pushdef(struct m4 *m, struct args *a, struct buf *o)
{
	define_common(m, a, 1);
}

/* undefine drops the whole pushdef stack, popdef its top; names that
 * are not defined are no error (GNU is silent too). */
static void undef_common(struct m4 *m, struct args *a, int all)
{
	int i;
	struct sym *s;

	if (m4_bad_argc(m, a, 2, -1))
		return;
	for (i = 1; i < a->argc; i++)
		if ((s = defined_arg(m, a, i)))
			m4_undefine_sym(m, s, all);
}

static void bi_undefine(struct m4 *m, struct args *a, struct buf *o)
{
	undef_common(m, a, 1);
}

static void bi_popdef(struct m4 *m, struct args *a, struct buf *o)
{
	undef_common(m, a, 0);
}

/* Text comes back quoted, so it is not expanded when rescanned; a
 * builtin comes back as a token that only define and pushdef can use,
 * and only alone (GNU warns when it would be joined to other text). */
static void bi_defn(struct m4 *m, struct args *a, struct buf *o)
{
	struct sym *s;
	int i;

	if (m4_bad_argc(m, a, 2, -1))
		return;
	for (i = 1; i < a->argc; i++) {
		if (!(s = defined_arg(m, a, i)))
			continue;
		if (s->top->bi < 0)
			put_quoted(m, o, s->top->text, s->top->len);
		else if (a->argc != 2)
			m4_warn(m, "Warning: cannot concatenate builtin `%s'",
				a->v[i]);
		else
			m4_push_macro(m, s->top->bi);
	}
}

static void bi_ifdef(struct m4 *m, struct args *a, struct buf *o)
{
	if (m4_bad_argc(m, a, 3, 4))
		return;
	if (defined_arg(m, a, 1))
		m4_put(o, a->v[2], a->l[2]);
	else if (a->argc >= 4)
		m4_put(o, a->v[3], a->l[3]);
}

static void bi_ifelse(struct m4 *m, struct args *a, struct buf *o)
{
	int i, argc = a->argc;

	/* ifelse(comment) is POSIX's way to say nothing. */
	if (argc == 2)
		return;
	if (m4_bad_argc(m, a, 4, -1))
		return;
	if ((argc + 2) % 3 > 1 && !m->quiet)
		m4_warn(m, "Warning: excess arguments to builtin `%s' ignored",
			a->v[0]);
	for (i = 1;; i += 3) {
		if (a->l[i] == a->l[i + 1] &&
		    memcmp(a->v[i], a->v[i + 1], a->l[i]) == 0) {
			m4_put(o, a->v[i + 2], a->l[i + 2]);
			return;
		}
		switch (argc - i) {
		case 3:
			return;
		case 4:
		case 5:
			m4_put(o, a->v[i + 3], a->l[i + 3]);
			return;
		}
	}
}

/* All but the first argument, each quoted, as $@ would give them. */
static void bi_shift(struct m4 *m, struct args *a, struct buf *o)
{
	if (m4_bad_argc(m, a, 2, -1))
		return;
	m4_dump_args(m, o, a, 2, ",", 1);
}

void m4_set_delims(char **l, size_t *ll, char **r, size_t *rl,
	const char *ls, const char *rs, const char *dl, const char *dr)
{
	/* GNU: no arguments restore the defaults; an empty start
	 * disables; a non-empty start never gets an empty end. */
	if (!ls) {
		ls = dl;
		rs = dr;
	} else if (!rs || (*ls && !*rs)) {
		rs = dr;
	}
	free(*l);
	free(*r);
	*l = m4strndup(ls, strlen(ls));
	*r = m4strndup(rs, strlen(rs));
	*ll = strlen(ls);
	*rl = strlen(rs);
}

void m4_set_classes(struct m4 *m)
{
	int c;

	memset(m->cls, 0, sizeof m->cls);
	for (c = 0; c < 256; c++)
		if (is_word1(c))
			m->cls[c] |= C_WORD;
	m->cls['\n'] |= C_NL;
	m->cls[0] |= C_NUL;
	if (m->lql)
		m->cls[(unsigned char)m->lq[0]] |= C_LQ;
	if (m->rql)
		m->cls[(unsigned char)m->rq[0]] |= C_RQ;
	if (m->bcl)
		m->cls[(unsigned char)m->bc[0]] |= C_BC;
	if (m->ecl)
		m->cls[(unsigned char)m->ec[0]] |= C_EC;
}

static void bi_changequote(struct m4 *m, struct args *a, struct buf *o)
{
	if (m4_bad_argc(m, a, 1, 3))
		return;
	m4_set_delims(&m->lq, &m->lql, &m->rq, &m->rql,
		a->argc >= 2 ? a->v[1] : NULL,
		a->argc >= 3 ? a->v[2] : NULL, "`", "'");
	m4_set_classes(m);
}

static void bi_changecom(struct m4 *m, struct args *a, struct buf *o)
{
	if (m4_bad_argc(m, a, 1, 3))
		return;
	if (a->argc == 1)
		m4_set_delims(&m->bc, &m->bcl, &m->ec, &m->ecl, "", "", "#",
			"\n");
	else
		m4_set_delims(&m->bc, &m->bcl, &m->ec, &m->ecl, a->v[1],
			a->argc >= 3 ? a->v[2] : NULL, "#", "\n");
	m4_set_classes(m);
}

/* Any int is a diversion: negative ones discard, 0 is standard output,
 * the others collect until undiverted or the end of input. */
static void bi_divert(struct m4 *m, struct args *a, struct buf *o)
{
	int n = 0;

	if (m4_bad_argc(m, a, 1, 2))
		return;
	if (a->argc >= 2 && !m4_numeric_arg(m, a, a->v[1], &n))
		return;
	m4_make_diversion(m, n);
}

static void bi_divnum(struct m4 *m, struct args *a, struct buf *o)
{
	int_result(m, a, o, m->curdiv);
}

/* postbox's cf macros, built in (applets/m4lite/cfdata.c). */
extern const char m4lite_cf_m4[];

/* Whether a failed open (fd < 0) of name calls for the built-in cf
 * macros: the file is missing where sendmail-cf's cf.m4 usually lives.
 * README.md, "m4": the tutorial's include of sendmail-cf works on
 * an image without it, and undivert prints them. */
static int builtin_cf(int fd, const char *name)
{
	return fd < 0 && errno == ENOENT && CFG_M4LITE_CF &&
		(strcmp(name, "/usr/share/sendmail-cf/m4/cf.m4") == 0 ||
		 strcmp(name, "/usr/share/sendmail/cf/m4/cf.m4") == 0);
}

static void insert_file(struct m4 *m, int fd)
{
	char *t = m4alloc(65536);
	ssize_t r;

	/* Raw, as GNU's insert_file: no sync lines. */
	while ((r = read(fd, t, 65536)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0 && m->curbuf)
			m4_put(m->curbuf, t, (size_t)r);
	free(t);
	if (m->curbuf == &m->out && m->out.len >= 65536)
		m4_flush_out(m);
}

/* Undiverted text goes out as it is, never rescanned.  A non-numeric
 * argument is a file to copy (GNU), found as include finds files. */
static void bi_undivert(struct m4 *m, struct args *a, struct buf *o)
{
	int i, fd;
	long n;
	char *end, *found;

	if (a->argc == 1) {
		m4_undivert_all(m);
		return;
	}
	for (i = 1; i < a->argc; i++) {
		n = strtol(a->v[i], &end, 10);
		if (*end == 0 && !isspace((unsigned char)a->v[i][0])) {
			m4_insert_diversion(m, (int)n);
		} else if (!m->gnu) {
			m4_warn(m, "non-numeric argument to builtin `%s'",
				a->v[0]);
		} else {
			fd = m4_path_open(m, a->v[i], &found);
			if (builtin_cf(fd, a->v[i])) {
				if (m->curbuf)
					m4_puts0(m->curbuf, m4lite_cf_m4);
				continue;
			}
			if (fd < 0) {
				m4_warn_errno(m, errno, "cannot undivert `%s'",
					a->v[i]);
				continue;
			}
			free(found);
			insert_file(m, fd);
			close(fd);
		}
	}
}

/* dnl: the rest of the line goes, newline included. */
static void bi_dnl(struct m4 *m, struct args *a, struct buf *o)
{
	const char *file = m->cur_file;
	int line = m->cur_line, c;

	if (m4_bad_argc(m, a, 1, 1))
		return;
	while ((c = m4_next_char(m)) != CH_EOF && c != '\n')
		;
	if (c == CH_EOF) {
		const char *sf = m->cur_file;
		int sl = m->cur_line;

		m->cur_file = file;
		m->cur_line = line;
		m4_warn(m, "Warning: end of file treated as newline");
		m->cur_file = sf;
		m->cur_line = sl;
	}
	/* Crossing into another input: let the next read fix the place
	 * that expand_macro is about to restore. */
	if (file != m->cur_file || line != m->cur_line)
		m->input_change = 1;
}

static int sym_cmp(const void *x, const void *y)
{
	const struct sym *a = *(struct sym *const *)x;
	const struct sym *b = *(struct sym *const *)y;

	return strcmp(a->name, b->name);
}

static void dump_one(struct m4 *m, struct sym *s)
{
	struct buf t = BUF_INIT(M4_MAX_TEXT);

	m4_puts0(&t, s->name);
	m4_puts0(&t, ":\t");
	if (s->top->bi >= 0) {
		putc1(&t, '<');
		m4_puts0(&t, m4_builtins[s->top->bi].name);
		putc1(&t, '>');
	} else if (m->debug & D_QUOTE) {
		put_quoted(m, &t, s->top->text, s->top->len);
	} else {
		m4_put(&t, s->top->text, s->top->len);
	}
	putc1(&t, '\n');
	fwrite(t.p, 1, t.len, m4_debug_out(m));
	fflush(m4_debug_out(m));
	buf_free(&t);
}

/* To the debug output, sorted by name as GNU 1.4.19 does; text is
 * quoted only with the 'q' debug flag. */
static void bi_dumpdef(struct m4 *m, struct args *a, struct buf *o)
{
	struct sym **v, *s;
	size_t n = 0, i;
	int k;

	v = m4alloc((m->nsyms + a->argc) * sizeof *v);
	if (a->argc == 1) {
		for (i = 0; i < m->tabsize; i++)
			for (s = m->tab[i]; s; s = s->next)
				if (s->top)
					v[n++] = s;
	} else {
		for (k = 1; k < a->argc; k++) {
			if ((s = defined_arg(m, a, k)))
				v[n++] = s;
			else
				m4_warn(m, "undefined macro `%s'", a->v[k]);
		}
	}
	qsort(v, n, sizeof *v, sym_cmp);
	for (i = 0; i < n; i++)
		dump_one(m, v[i]);
	free(v);
}

/* Arguments joined by spaces, no newline added; standard output is
 * flushed first so the two streams keep their order on a terminal. */
static void bi_errprint(struct m4 *m, struct args *a, struct buf *o)
{
	struct buf t = BUF_INIT(M4_MAX_TEXT);

	if (m4_bad_argc(m, a, 2, -1))
		return;
	m4_dump_args(m, &t, a, 1, " ", 0);
	m4_flush_out(m);
	fwrite(t.p, 1, t.len, stderr);
	fflush(stderr);
	buf_free(&t);
}

/* 32-bit int arithmetic that wraps, as GNU's does on every platform. */
static void incr_common(struct m4 *m, struct args *a, struct buf *o, int by)
{
	int v;

	if (m4_bad_argc(m, a, 2, 2))
		return;
	if (!m4_numeric_arg(m, a, a->v[1], &v))
		return;
	m4_putint(o, (int)((unsigned)v + (unsigned)by));
}

static void bi_incr(struct m4 *m, struct args *a, struct buf *o)
{
	incr_common(m, a, o, 1);
}

static void bi_decr(struct m4 *m, struct args *a, struct buf *o)
{
	incr_common(m, a, o, -1);
}

static void bi_index(struct m4 *m, struct args *a, struct buf *o)
{
	const char *p;

	if (m4_bad_argc(m, a, 3, 3)) {
		/* GNU: index(`abc') is 0, builtin(`index') is empty. */
		if (a->argc == 2)
			m4_putint(o, 0);
		return;
	}
	p = memmem(a->v[1], a->l[1], a->v[2], a->l[2]);
	m4_putint(o, p ? (long)(p - a->v[1]) : -1);
}

static void bi_len(struct m4 *m, struct args *a, struct buf *o)
{
	if (m4_bad_argc(m, a, 2, 2))
		return;
	m4_putint(o, (long)a->l[1]);
}

/* Out-of-range starts and lengths give nothing rather than an error
 * (POSIX leaves them undefined; this is GNU's choice). */
static void bi_substr(struct m4 *m, struct args *a, struct buf *o)
{
	int start, length, avail;

	if (text_only(m, a, o))
		return;
	avail = length = (int)a->l[1];
	if (!m4_numeric_arg(m, a, a->v[2], &start))
		return;
	if (a->argc >= 4 && !m4_numeric_arg(m, a, a->v[3], &length))
		return;
	if (start < 0 || length <= 0 || start >= avail)
		return;
	if (length > avail - start)
		length = avail - start;
	m4_put(o, a->v[1] + start, (size_t)length);
}

/* translit's ranges, as GNU: "a-d" is abcd, "d-a" is dcba, a leading or
 * trailing '-' is itself. */
static void expand_ranges(const char *s, size_t n, struct buf *o)
{
	unsigned char from = 0, to;
	size_t i;

	for (i = 0; i < n; from = (unsigned char)s[i++]) {
		if (s[i] == '-' && from != 0) {
			if (i + 1 >= n) {
				putc1(o, '-');
				break;
			}
			to = (unsigned char)s[++i];
			if (from <= to) {
				while (from++ < to)
					putc1(o, from);
			} else {
				while (--from >= to) {
					putc1(o, from);
					if (from == 0)
						break;
				}
			}
		} else {
			putc1(o, s[i]);
		}
	}
}

/* Each character of the first set maps to the one at the same place
 * in the second, or is deleted past its end; the first mapping of a
 * repeated character wins (POSIX). */
static void bi_translit(struct m4 *m, struct args *a, struct buf *o)
{
	struct buf from = BUF_INIT(M4_MAX_TEXT), to = BUF_INIT(M4_MAX_TEXT);
	short map[256];
	size_t i, j;

	if (text_only(m, a, o))
		return;
	expand_ranges(a->v[2], a->l[2], &from);
	if (a->argc >= 4)
		expand_ranges(a->v[3], a->l[3], &to);
	for (i = 0; i < 256; i++)
		map[i] = (short)i;
	{
		char seen[256];

		memset(seen, 0, sizeof seen);
		for (i = 0, j = 0; i < from.len; i++) {
			unsigned char c = (unsigned char)from.p[i];

			if (!seen[c]) {
				seen[c] = 1;
				map[c] = j < to.len ?
					(unsigned char)to.p[j] : -1;
			}
			if (j < to.len)
				j++;
		}
	}
	for (i = 0; i < a->l[1]; i++) {
		short c = map[(unsigned char)a->v[1][i]];

		if (c >= 0)
			putc1(o, c);
	}
	buf_free(&from);
	buf_free(&to);
}

static void include_common(struct m4 *m, struct args *a, int silent)
{
	char *found;
	int fd, err;

	if (m4_bad_argc(m, a, 2, 2))
		return;
	fd = m4_path_open(m, a->v[1], &found);
	if (builtin_cf(fd, a->v[1])) {
		m4_push_text_file(m, m4lite_cf_m4, a->v[1]);
		return;
	}
	if (fd >= 0) {
		if (m4_push_file(m, fd, found) == 0) {
			free(found);
			return;
		}
		err = errno;
		close(fd);
		free(found);
		errno = err;
	}
	if (!silent) {
		m4_warn_errno(m, errno, "cannot open `%s'", a->v[1]);
		m->retcode = 1;
	}
}

static void bi_include(struct m4 *m, struct args *a, struct buf *o)
{
	include_common(m, a, 0);
}

static void bi_sinclude(struct m4 *m, struct args *a, struct buf *o)
{
	include_common(m, a, 1);
}

/* indir and builtin call with the arguments shifted by one. */
static void call_shifted(struct m4 *m, int bi, struct def *d, struct args *a,
	struct buf *o)
{
	struct args b;
	int i;

	b.argc = a->argc - 1;
	b.v = a->v + 1;
	b.l = a->l + 1;
	b.bi = a->bi + 1;
	if (bi < 0 || !m4_builtins[bi].groks)
		for (i = 1; i < b.argc; i++)
			if (b.bi[i] >= 0) {
				b.bi[i] = -1;
				b.v[i] = (char *)"";
				b.l[i] = 0;
			}
	if (bi >= 0)
		m4_call_builtin(m, bi, &b, o);
	else
		m4_expand_user(m, d, &b, o);
}

static void bi_indir(struct m4 *m, struct args *a, struct buf *o)
{
	struct sym *s;
	struct def *d;

	if (m4_bad_argc(m, a, 2, -1) || bad_name_arg(m, a))
		return;
	if (!(s = defined_arg(m, a, 1))) {
		m4_warn(m, "undefined macro `%s'", a->v[1]);
		return;
	}
	d = s->top;
	d->refs++;
	call_shifted(m, d->bi, d, a, o);
	if (--d->refs == 0 && d->dead)
		m4_drop_def(d);
}

static int find_builtin(const char *name)
{
	int i;

	for (i = 0; m4_builtins[i].name; i++)
		if (strcmp(m4_builtins[i].name, name) == 0)
			return i;
	return -1;
}

static void bi_builtin(struct m4 *m, struct args *a, struct buf *o)
{
	int bi;

	if (m4_bad_argc(m, a, 2, -1) || bad_name_arg(m, a))
		return;
	bi = find_builtin(a->v[1]);
	if (bi < 0 || (!m->gnu && m4_builtins[bi].gnu)) {
		m4_warn(m, "undefined builtin `%s'", a->v[1]);
		return;
	}
	call_shifted(m, bi, NULL, a, o);
}

static void bi_m4exit(struct m4 *m, struct args *a, struct buf *o)
{
	int code = 0;

	m4_bad_argc(m, a, 1, 2);
	if (a->argc >= 2 && !m4_numeric_arg(m, a, a->v[1], &code))
		code = 1;
	if (code < 0 || code > 255) {
		m4_warn(m, "exit status out of range: `%d'", code);
		code = 1;
	}
	if (code == 0 && m->retcode)
		code = m->retcode;
	/* Diversions and m4wrap text are dropped, as GNU does. */
	m4_flush_out(m);
	if (m->debugf)
		fflush(m->debugf);
	exit(code);
}

/* The text waits on its own stack, each entry remembering where m4wrap
 * was called (errors in it name that place, as GNU's do). */
static void bi_m4wrap(struct m4 *m, struct args *a, struct buf *o)
{
	struct input *i;

	if (m4_bad_argc(m, a, 2, -1))
		return;
	if (m->nwrap == m->wrapcap) {
		m->wrapcap = m->wrapcap ? m->wrapcap * 2 : 16;
		m->wrap = m4realloc(m->wrap, m->wrapcap * sizeof *m->wrap);
	}
	i = &m->wrap[m->nwrap++];
	memset(i, 0, sizeof *i);
	i->type = IN_STRING;
	i->file = m->cur_file;
	i->line = m->cur_line;
	/* GNU joins all arguments with spaces; POSIX takes the first. */
	if (m->gnu)
		m4_dump_args(m, &i->data, a, 1, " ", 0);
	else
		m4_put(&i->data, a->v[1], a->l[1]);
	i->p = i->data.p;
	i->end = i->data.p + i->data.len;
}

static void mkstemp_common(struct m4 *m, struct args *a, struct buf *o)
{
	struct buf t = BUF_INIT(M4_MAX_TEXT);
	size_t len = a->l[1];
	int i, fd;

	m4_put(&t, a->v[1], len);
	for (i = 0; len > 0 && i < 6 && (size_t)i < len; i++)
		if (a->v[1][len - i - 1] != 'X')
			break;
	m4_put(&t, "XXXXXX", (size_t)(6 - i));
	fd = mkstemp(t.p);
	if (fd < 0) {
		m4_warn_errno(m, errno, "%s: cannot create tempfile `%s'",
			a->v[0], a->v[1]);
	} else {
		close(fd);
		put_quoted(m, o, t.p, t.len);
	}
	buf_free(&t);
}

static void bi_mkstemp(struct m4 *m, struct args *a, struct buf *o)
{
	if (m4_bad_argc(m, a, 2, 2))
		return;
	mkstemp_common(m, a, o);
}

/* GNU makes maketemp as safe as mkstemp (the file is created); only
 * -G keeps POSIX's insecure "trailing X's become the pid". */
static void bi_maketemp(struct m4 *m, struct args *a, struct buf *o)
{
	char pid[32];
	size_t len, i, np;

	if (m4_bad_argc(m, a, 2, 2))
		return;
	if (m->gnu) {
		mkstemp_common(m, a, o);
		return;
	}
	/* POSIX (and -G): trailing X's become the process id. */
	m4_warn(m, "recommend using mkstemp instead");
	len = a->l[1];
	for (i = len; i > 1; i--)
		if (a->v[1][i - 1] != 'X')
			break;
	m4_put(o, a->v[1], i);
	np = (size_t)snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (np > len - i) {
		m4_put(o, pid + np - (len - i), len - i);
	} else {
		while (i++ < len - np)
			putc1(o, '0');
		m4_put(o, pid, np);
	}
}

static void bi_sysval(struct m4 *m, struct args *a, struct buf *o)
{
	int_result(m, a, o, m->sysval);
}

/* Runs /bin/sh -c cmd; with out, its standard output is captured. */
static void run_shell(struct m4 *m, const char *cmd, struct buf *out)
{
	int pfd[2] = { -1, -1 }, status;
	pid_t pid;
	char *t;
	ssize_t r;

	m4_flush_out(m);
	fflush(stderr);
	if (m->debugf)
		fflush(m->debugf);
	if (out && pipe(pfd) < 0) {
		m4_warn_errno(m, errno, "cannot run command `%s'", cmd);
		m->sysval = 127;
		return;
	}
	pid = fork();
	if (pid < 0) {
		m4_warn_errno(m, errno, "cannot run command `%s'", cmd);
		if (out) {
			close(pfd[0]);
			close(pfd[1]);
		}
		m->sysval = 127;
		return;
	}
	if (pid == 0) {
		if (out) {
			close(pfd[0]);
			if (pfd[1] != 1) {
				dup2(pfd[1], 1);
				close(pfd[1]);
			}
		}
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		t = m4alloc(65536);
		while ((r = read(pfd[0], t, 65536)) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			m4_put(out, t, (size_t)r);
		}
		free(t);
		close(pfd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			m->sysval = 127;
			return;
		}
	if (WIFSIGNALED(status))
		m->sysval = WTERMSIG(status) << 8;
	else
		m->sysval = WEXITSTATUS(status);
}

/* syscmd and esyscmd; an empty command succeeds without a shell. */
static void shell_common(struct m4 *m, struct args *a, struct buf *out)
{
	if (m4_bad_argc(m, a, 2, 2))
		return;
	if (a->v[1][0] == 0) {
		m->sysval = 0;
		return;
	}
	run_shell(m, a->v[1], out);
}

/* The command's output goes straight to our standard output (flushed
 * first, so the order holds); its status is sysval's. */
static void bi_syscmd(struct m4 *m, struct args *a, struct buf *o)
{
	shell_common(m, a, NULL);
}

/* The command's standard output becomes the expansion, rescanned. */
static void bi_esyscmd(struct m4 *m, struct args *a, struct buf *o)
{
	shell_common(m, a, o);
}

/* A traced mark set or cleared; a symbol with neither a definition
 * nor the mark goes. */
static void set_traced(struct m4 *m, struct sym *s, int on)
{
	s->traced = on;
	if (!on)
		m4_forget_sym(m, s);
}

static void bi_traceon_off(struct m4 *m, struct args *a, int on)
{
	struct sym *s;
	int i;

	/* GNU: without arguments, every macro defined now (not the 't'
	 * flag, which also covers macros defined later). */
	if (a->argc == 1) {
		size_t k;
		struct sym *next;

		for (k = 0; k < m->tabsize; k++)
			for (s = m->tab[k]; s; s = next) {
				next = s->next;
				set_traced(m, s, on);
			}
		return;
	}
	for (i = 1; i < a->argc; i++) {
		s = m4_lookup(m, a->v[i], a->l[i], on);
		if (s)
			set_traced(m, s, on);
	}
}

static void bi_traceon(struct m4 *m, struct args *a, struct buf *o)
{
	bi_traceon_off(m, a, 1);
}

static void bi_traceoff(struct m4 *m, struct args *a, struct buf *o)
{
	bi_traceon_off(m, a, 0);
}

/* GNU's debug flag letters; -1 when one is unknown. */
int m4_debug_flags(const char *s)
{
	int f = 0;

	if (!*s)
		return D_DEFAULT;
	for (; *s; s++) {
		switch (*s) {
		case 'a': f |= D_ARGS; break;
		case 'e': f |= D_EXPAND; break;
		case 'q': f |= D_QUOTE; break;
		case 't': f |= D_TRACEALL; break;
		case 'l': f |= D_LINE; break;
		case 'f': f |= D_FILE; break;
		case 'p': f |= D_PATH; break;
		case 'c': f |= D_CALL; break;
		case 'i': f |= D_INPUT; break;
		case 'x': f |= D_CALLID; break;
		case 'V': f |= 0x3ff; break;
		default: return -1;
		}
	}
	return f;
}

static void bi_debugmode(struct m4 *m, struct args *a, struct buf *o)
{
	const char *s;
	int f, how = 0;

	if (m4_bad_argc(m, a, 1, 2))
		return;
	if (a->argc == 1) {
		m->debug = 0;
		return;
	}
	s = a->v[1];
	if (*s == '+' || *s == '-')
		how = *s++;
	f = m4_debug_flags(s);
	if (f < 0) {
		m4_warn(m, "Debugmode: bad debug flags: `%s'", a->v[1]);
		return;
	}
	/* GNU's debug_decode drops the pending trace line (this very
	 * call's) whenever flags parse. */
	m->trace.len = 0;
	if (how == '+')
		m->debug |= f;
	else if (how == '-')
		m->debug &= ~f;
	else
		m->debug = f;
}

int m4_set_debugfile(struct m4 *m, const char *name)
{
	FILE *f = NULL;

	if (name && *name) {
		f = fopen(name, "a");
		if (!f)
			return -1;
	} else if (name) {
		f = fopen("/dev/null", "w");
		if (!f)
			return -1;
	}
	if (m->debugf)
		fclose(m->debugf);
	m->debugf = f;
	return 0;
}

static void bi_debugfile(struct m4 *m, struct args *a, struct buf *o)
{
	if (m4_bad_argc(m, a, 1, 2))
		return;
	if (m4_set_debugfile(m, a->argc >= 2 ? a->v[1] : NULL) < 0)
		m4_warn_errno(m, errno, "cannot set debug file `%s'", a->v[1]);
}

static void bi_file(struct m4 *m, struct args *a, struct buf *o)
{
	text_result(m, a, o, m->cur_file);
}

static void bi_line(struct m4 *m, struct args *a, struct buf *o)
{
	int_result(m, a, o, m->cur_line);
}

static void bi_program(struct m4 *m, struct args *a, struct buf *o)
{
	text_result(m, a, o, m->prog);
}

/* --- the table -------------------------------------------------------- */

/* name, function, GNU extension, takes builtin tokens as arguments,
 * recognized only with arguments ("blind"). */
const struct builtin m4_builtins[] = {
	{ "__file__", bi_file, 1, 0, 0 },
	{ "__line__", bi_line, 1, 0, 0 },
	{ "__program__", bi_program, 1, 0, 0 },
	{ "builtin", bi_builtin, 1, 1, 1 },
	{ "changecom", bi_changecom, 0, 0, 0 },
	{ "changequote", bi_changequote, 0, 0, 0 },
	{ "debugfile", bi_debugfile, 1, 0, 0 },
	{ "debugmode", bi_debugmode, 1, 0, 0 },
	{ "decr", bi_decr, 0, 0, 1 },
	{ "define", bi_define, 0, 1, 1 },
	{ "defn", bi_defn, 0, 0, 1 },
	{ "divert", bi_divert, 0, 0, 0 },
	{ "divnum", bi_divnum, 0, 0, 0 },
	{ "dnl", bi_dnl, 0, 0, 0 },
	{ "dumpdef", bi_dumpdef, 0, 0, 0 },
	{ "errprint", bi_errprint, 0, 0, 1 },
	{ "esyscmd", bi_esyscmd, 1, 0, 1 },
	{ "eval", m4_bi_eval, 0, 0, 1 },
	{ "format", m4_bi_format, 1, 0, 1 },
	{ "ifdef", bi_ifdef, 0, 0, 1 },
	{ "ifelse", bi_ifelse, 0, 0, 1 },
	{ "include", bi_include, 0, 0, 1 },
	{ "incr", bi_incr, 0, 0, 1 },
	{ "index", bi_index, 0, 0, 1 },
	{ "indir", bi_indir, 1, 1, 1 },
	{ "len", bi_len, 0, 0, 1 },
	{ "m4exit", bi_m4exit, 0, 0, 0 },
	{ "m4wrap", bi_m4wrap, 0, 0, 1 },
	{ "maketemp", bi_maketemp, 0, 0, 1 },
	{ "mkstemp", bi_mkstemp, 0, 0, 1 },
	{ "patsubst", m4_bi_patsubst, 1, 0, 1 },
	{ "popdef", bi_popdef, 0, 0, 1 },
	{ "pushdef", bi_pushdef, 0, 1, 1 },
	{ "regexp", m4_bi_regexp, 1, 0, 1 },
	{ "shift", bi_shift, 0, 0, 1 },
	{ "sinclude", bi_sinclude, 0, 0, 1 },
	{ "substr", bi_substr, 0, 0, 1 },
	{ "syscmd", bi_syscmd, 0, 0, 1 },
	{ "sysval", bi_sysval, 0, 0, 0 },
	{ "traceoff", bi_traceoff, 0, 0, 0 },
	{ "traceon", bi_traceon, 0, 0, 0 },
	{ "translit", bi_translit, 0, 0, 1 },
	{ "undefine", bi_undefine, 0, 0, 1 },
	{ "undivert", bi_undivert, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0 }
};
