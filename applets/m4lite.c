/*
 * m4lite: a macro processor compatible with GNU m4 1.4.19, enough to build
 * sendmail.cf from the real sendmail-cf package byte for byte (stdout,
 * stderr and exit status).  Installed also as "m4".
 *
 * Follows POSIX m4 (XCU "m4") and GNU m4's documented behaviour: quoting,
 * comments, argument collection, rescanning, diversions, m4wrap (LIFO, as
 * GNU 1.4.x), the POSIX builtins and GNU's extensions (__file__, __line__,
 * __program__, __gnu__, __unix__, indir, builtin, format, regexp, patsubst,
 * esyscmd, debugmode, debugfile, mkstemp), -s sync lines and tracing.
 * Diagnostics use the name we were called by, as GNU m4 does
 * ("m4:file:line: message" when called as m4), with glibc's wording of
 * system errors, so scripts that parse them see the same text.
 *
 * Regular files are read whole; pipes and terminals as the input needs
 * them.  Nesting deeper than the stack holds ends with GNU's "stack
 * overflow" (exit 1) rather than a crash; a buffer past 1 GiB is GNU's
 * "memory exhausted".
 *
 * include() of sendmail-cf's cf.m4 at its usual paths, when absent, reads
 * postbox's own cf macros (configs/cf/cf.m4, built in: m4lite/cfdata.c).
 *
 * Left out: frozen state files (-F, -R), changeword, --warn-macro-sequence
 * (accepted, no warnings), -H (the hash table grows by itself).  regexp
 * and patsubst translate GNU's Emacs syntax (RE_SYNTAX_EMACS) to a POSIX
 * BRE for musl's regcomp: word operators (\b \B \< \>) and buffer
 * anchors (\` \') follow musl's idea of them.
 */
//applet:m4lite usr/bin drop m4
//config:config M4LITE
//config:	bool "m4lite: GNU-compatible m4 (also m4), 112 KB with cf macros"
//config:	default y
//config:	help
//config:	  A macro processor compatible with GNU m4, able to run the
//config:	  sendmail-cf package that turns sendmail.mc into sendmail.cf.
//config:config M4LITE_CF
//config:	bool "built-in cf macros when sendmail-cf is absent (14 KB)"
//config:	default y
//config:	depends on M4LITE
//config:	help
//config:	  include(`/usr/share/sendmail-cf/m4/cf.m4') with no such file
//config:	  uses postbox's own cf macros (configs/cf/cf.m4), which
//config:	  make the sendmail.cf subset postbox reads.
//usage:usage: m4 [OPTION]... [FILE]...
//usage:
//usage:Process macros in FILEs (stdin when none, or for -).
//usage:-D NAME[=VALUE]	define NAME as VALUE (or empty)
//usage:-U NAME	undefine NAME
//usage:-I DIR	append DIR to the include path (then $M4PATH)
//usage:-s	emit #line NUM "FILE" sync lines
//usage:-P	prefix every builtin with m4_
//usage:-G	traditional: no GNU extensions
//usage:-g	GNU extensions (undoes -G)
//usage:-E	warnings set the exit status (twice: stop at the first)
//usage:-Q	quiet: no warnings about arguments of builtins
//usage:-e, -i	interactive: unbuffered output
//usage:-L N	nesting limit (0: unlimited)
//usage:-d[FLAGS]	debug flags (aeqtflcxipV; none means aeq)
//usage:-t NAME	trace NAME
//usage:-l NUM	limit traced argument lengths
//usage:--debugfile[=FILE]	debug output to FILE (none: discard)
//usage:--version	print the version
#include "m4lite/m4.h"

/* --- memory and messages -------------------------------------------- */

/* The run's state, for memory_exhausted only: a buffer can fail to grow
 * deep inside any append, and GNU's message there needs the pending
 * output flushed and the program's name.  Every other function gets the
 * state as its parameter; threading it into each append (hundreds of
 * calls on the hot path) would cost size and speed for this one exit. */
struct m4 *m4_live;

static void memory_exhausted(void)
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
		memory_exhausted();
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
		memory_exhausted();
	return p;
}

void *m4realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		memory_exhausted();
	return p;
}

static char *m4strndup(const char *s, size_t n)
{
	char *p = m4alloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* GNU m4 prints glibc's texts; musl words some errors differently.
 * These are the ones file and process operations can give. */
static const char *m4_strerror(int e)
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

static void warn(struct m4 *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct m4 *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(m, m->cur_file, m->cur_line, 0, fmt, ap);
	va_end(ap);
}

static void warn_errno(struct m4 *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn_errno(struct m4 *m, int err, const char *fmt, ...)
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

static void make_diversion(struct m4 *m, int num)
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
static void insert_diversion(struct m4 *m, int num)
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

static void undivert_all(struct m4 *m)
{
	int i;

	for (i = 0; i < m->ndivs; i++)
		insert_diversion(m, m->divs[i]->num);
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

/* --- symbols ---------------------------------------------------------- */

/* FNV-1a: names are short, and this spreads them well enough. */
static unsigned hash_name(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The table grows by four whenever it is full, so chains stay short
 * (sendmail-cf defines a few thousand names). */
static void rehash(struct m4 *m)
{
	size_t ns = m->tabsize ? m->tabsize * 4 : 1024, i;
	struct sym **t = m4alloc(ns * sizeof *t), *s, *next;

	memset(t, 0, ns * sizeof *t);
	for (i = 0; i < m->tabsize; i++)
		for (s = m->tab[i]; s; s = next) {
			next = s->next;
			s->next = t[s->hash & (ns - 1)];
			t[s->hash & (ns - 1)] = s;
		}
	free(m->tab);
	m->tab = t;
	m->tabsize = ns;
}

struct sym *m4_lookup(struct m4 *m, const char *name, size_t n, int create)
{
	unsigned h = hash_name(name, n);
	struct sym *s;

	if (m->tabsize)
		for (s = m->tab[h & (m->tabsize - 1)]; s; s = s->next)
			if (s->hash == h && s->nlen == n &&
			    memcmp(s->name, name, n) == 0)
				return s;
	if (!create)
		return NULL;
	if (m->nsyms >= m->tabsize)
		rehash(m);
	s = m4alloc(sizeof *s + n + 1);
	memcpy(s->name, name, n);
	s->name[n] = 0;
	s->nlen = n;
	s->hash = h;
	s->top = NULL;
	s->traced = 0;
	s->next = m->tab[h & (m->tabsize - 1)];
	m->tab[h & (m->tabsize - 1)] = s;
	m->nsyms++;
	return s;
}

static void forget_sym(struct m4 *m, struct sym *s)
{
	struct sym **pp = &m->tab[s->hash & (m->tabsize - 1)];

	if (s->top || s->traced)
		return;
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	m->nsyms--;
	free(s);
}

void m4_drop_def(struct def *d)
{
	if (d->refs) {
		d->dead = 1;
		return;
	}
	free(d->text);
	free(d);
}

static struct def *new_def(int bi, const char *text, size_t len)
{
	struct def *d = m4alloc(sizeof *d);

	d->prev = NULL;
	d->bi = bi;
	d->refs = d->dead = 0;
	d->len = bi >= 0 ? 0 : len;
	d->text = bi >= 0 ? NULL : m4strndup(text, len);
	return d;
}

/* define (push 0) replaces the top definition, pushdef stacks a new one.
 * A pending call keeps using the definition it started with. */
static void define_sym(struct m4 *m, const char *name, size_t n, int bi,
	const char *text, size_t len, int push)
{
	struct sym *s = m4_lookup(m, name, n, 1);
	struct def *d = new_def(bi, text, len);

	if (s->top) {
		d->prev = s->top->prev;
		if (push)
			d->prev = s->top;
		else
			m4_drop_def(s->top);
	}
	s->top = d;
}

static void undefine_sym(struct m4 *m, struct sym *s, int all)
{
	struct def *d;

	while ((d = s->top)) {
		s->top = d->prev;
		m4_drop_def(d);
		if (!all)
			break;
	}
	/* A traced name stays traced (GNU keeps a placeholder). */
	forget_sym(m, s);
}

/* --- builtins: helpers ----------------------------------------------- */

static const char *arg(struct args *a, int i)
{
	return i < a->argc ? a->v[i] : "";
}

/* GNU's bad_argc: min and max count the name; 1 when too few. */
static int bad_argc(struct m4 *m, struct args *a, int min, int max)
{
	if (min > 0 && a->argc < min) {
		if (!m->quiet)
			warn(m, "Warning: too few arguments to builtin `%s'",
				a->v[0]);
		return 1;
	}
	if (max > 0 && a->argc > max && !m->quiet)
		warn(m, "Warning: excess arguments to builtin `%s' ignored",
			a->v[0]);
	return 0;
}

static int numeric_arg(struct m4 *m, struct args *a, const char *s, int *val)
{
	char *end;
	long v;

	if (*s == 0) {
		*val = 0;
		warn(m, "empty string treated as 0 in builtin `%s'", a->v[0]);
		return 1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	*val = (int)v;
	if (*end) {
		warn(m, "non-numeric argument to builtin `%s'", a->v[0]);
		return 0;
	}
	if (isspace((unsigned char)*s))
		warn(m, "leading whitespace ignored in builtin `%s'", a->v[0]);
	else if (errno == ERANGE)
		warn(m, "numeric overflow detected in builtin `%s'", a->v[0]);
	return 1;
}

static void put_quoted(struct m4 *m, struct buf *o, const char *s, size_t n)
{
	m4_put(o, m->lq, m->lql);
	m4_put(o, s, n);
	m4_put(o, m->rq, m->rql);
}

/* GNU's m4_path_search: the name as given, then each -I and M4PATH
 * folder unless the name is absolute.  Directories are refused. */
static int path_open(struct m4 *m, const char *name, char **found)
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
	if (bad_argc(m, a, 2, 3))
		return;
	if (a->bi[1] >= 0) {
		warn(m, "Warning: %s: invalid macro name ignored", a->v[0]);
		return;
	}
	if (a->argc >= 3 && a->bi[2] >= 0)
		define_sym(m, a->v[1], a->l[1], a->bi[2], NULL, 0, push);
	else
		define_sym(m, a->v[1], a->l[1], -1, arg(a, 2),
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

	if (bad_argc(m, a, 2, -1))
		return;
	for (i = 1; i < a->argc; i++) {
		s = m4_lookup(m, a->v[i], a->l[i], 0);
		if (s && s->top)
			undefine_sym(m, s, all);
	}
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

	if (bad_argc(m, a, 2, -1))
		return;
	for (i = 1; i < a->argc; i++) {
		s = m4_lookup(m, a->v[i], a->l[i], 0);
		if (!s || !s->top)
			continue;
		if (s->top->bi < 0)
			put_quoted(m, o, s->top->text, s->top->len);
		else if (a->argc != 2)
			warn(m, "Warning: cannot concatenate builtin `%s'",
				a->v[i]);
		else
			m4_push_macro(m, s->top->bi);
	}
}

static int is_defined(struct m4 *m, struct args *a, int i)
{
	struct sym *s = m4_lookup(m, a->v[i], a->l[i], 0);

	return s && s->top;
}

static void bi_ifdef(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 3, 4))
		return;
	if (is_defined(m, a, 1))
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
	if (bad_argc(m, a, 4, -1))
		return;
	if ((argc + 2) % 3 > 1 && !m->quiet)
		warn(m, "Warning: excess arguments to builtin `%s' ignored",
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
	if (bad_argc(m, a, 2, -1))
		return;
	m4_dump_args(m, o, a, 2, ",", 1);
}

static void set_delims(char **l, size_t *ll, char **r, size_t *rl,
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

static void set_classes(struct m4 *m)
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
	if (bad_argc(m, a, 1, 3))
		return;
	set_delims(&m->lq, &m->lql, &m->rq, &m->rql,
		a->argc >= 2 ? a->v[1] : NULL,
		a->argc >= 3 ? a->v[2] : NULL, "`", "'");
	set_classes(m);
}

static void bi_changecom(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 1, 3))
		return;
	if (a->argc == 1)
		set_delims(&m->bc, &m->bcl, &m->ec, &m->ecl, "", "", "#", "\n");
	else
		set_delims(&m->bc, &m->bcl, &m->ec, &m->ecl, a->v[1],
			a->argc >= 3 ? a->v[2] : NULL, "#", "\n");
	set_classes(m);
}

/* Any int is a diversion: negative ones discard, 0 is standard output,
 * the others collect until undiverted or the end of input. */
static void bi_divert(struct m4 *m, struct args *a, struct buf *o)
{
	int n = 0;

	if (bad_argc(m, a, 1, 2))
		return;
	if (a->argc >= 2 && !numeric_arg(m, a, a->v[1], &n))
		return;
	make_diversion(m, n);
}

static void bi_divnum(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 1, 1))
		return;
	m4_putint(o, m->curdiv);
}

/* postbox's cf macros, built in (applets/m4lite/cfdata.c). */
extern const char m4lite_cf_m4[];

/* Whether name is where sendmail-cf's cf.m4 usually lives. */
static int is_cf_m4(const char *name)
{
	return strcmp(name, "/usr/share/sendmail-cf/m4/cf.m4") == 0 ||
		strcmp(name, "/usr/share/sendmail/cf/m4/cf.m4") == 0;
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
		undivert_all(m);
		return;
	}
	for (i = 1; i < a->argc; i++) {
		n = strtol(a->v[i], &end, 10);
		if (*end == 0 && !isspace((unsigned char)a->v[i][0])) {
			insert_diversion(m, (int)n);
		} else if (!m->gnu) {
			warn(m, "non-numeric argument to builtin `%s'",
				a->v[0]);
		} else {
			fd = path_open(m, a->v[i], &found);
			/* The built-in cf macros stand in for the file
			 * here too: undivert prints them. */
			if (fd < 0 && errno == ENOENT && CFG_M4LITE_CF &&
			    is_cf_m4(a->v[i])) {
				if (m->curbuf)
					m4_puts0(m->curbuf, m4lite_cf_m4);
				continue;
			}
			if (fd < 0) {
				warn_errno(m, errno, "cannot undivert `%s'",
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

	if (bad_argc(m, a, 1, 1))
		return;
	while ((c = m4_next_char(m)) != CH_EOF && c != '\n')
		;
	if (c == CH_EOF) {
		const char *sf = m->cur_file;
		int sl = m->cur_line;

		m->cur_file = file;
		m->cur_line = line;
		warn(m, "Warning: end of file treated as newline");
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
			s = m4_lookup(m, a->v[k], a->l[k], 0);
			if (s && s->top)
				v[n++] = s;
			else
				warn(m, "undefined macro `%s'", a->v[k]);
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

	if (bad_argc(m, a, 2, -1))
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

	if (bad_argc(m, a, 2, 2))
		return;
	if (!numeric_arg(m, a, a->v[1], &v))
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

	if (bad_argc(m, a, 3, 3)) {
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
	if (bad_argc(m, a, 2, 2))
		return;
	m4_putint(o, (long)a->l[1]);
}

/* Out-of-range starts and lengths give nothing rather than an error
 * (POSIX leaves them undefined; this is GNU's choice). */
static void bi_substr(struct m4 *m, struct args *a, struct buf *o)
{
	int start, length, avail;

	if (bad_argc(m, a, 3, 4)) {
		if (a->argc == 2)
			m4_put(o, a->v[1], a->l[1]);
		return;
	}
	avail = length = (int)a->l[1];
	if (!numeric_arg(m, a, a->v[2], &start))
		return;
	if (a->argc >= 4 && !numeric_arg(m, a, a->v[3], &length))
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

	if (bad_argc(m, a, 3, 4)) {
		if (a->argc == 2)
			m4_put(o, a->v[1], a->l[1]);
		return;
	}
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
	int fd;

	if (bad_argc(m, a, 2, 2))
		return;
	fd = path_open(m, a->v[1], &found);
	/* DESIGN.md section 3: the tutorial's include of sendmail-cf works
	 * on an image without it, with postbox's own macros. */
	if (fd < 0 && errno == ENOENT && CFG_M4LITE_CF &&
	    is_cf_m4(a->v[1])) {
		m4_push_text_file(m, m4lite_cf_m4, a->v[1]);
		return;
	}
	if (fd < 0) {
		if (!silent) {
			warn_errno(m, errno, "cannot open `%s'", a->v[1]);
			m->retcode = 1;
		}
		return;
	}
	if (m4_push_file(m, fd, found) < 0) {
		if (!silent) {
			warn_errno(m, errno, "cannot open `%s'", a->v[1]);
			m->retcode = 1;
		}
		close(fd);
	}
	free(found);
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

	if (bad_argc(m, a, 2, -1))
		return;
	if (a->bi[1] >= 0) {
		warn(m, "Warning: %s: invalid macro name ignored", a->v[0]);
		return;
	}
	s = m4_lookup(m, a->v[1], a->l[1], 0);
	if (!s || !s->top) {
		warn(m, "undefined macro `%s'", a->v[1]);
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

	if (bad_argc(m, a, 2, -1))
		return;
	if (a->bi[1] >= 0) {
		warn(m, "Warning: %s: invalid macro name ignored", a->v[0]);
		return;
	}
	bi = find_builtin(a->v[1]);
	if (bi < 0 || (!m->gnu && m4_builtins[bi].gnu)) {
		warn(m, "undefined builtin `%s'", a->v[1]);
		return;
	}
	call_shifted(m, bi, NULL, a, o);
}

static void bi_m4exit(struct m4 *m, struct args *a, struct buf *o)
{
	int code = 0;

	bad_argc(m, a, 1, 2);
	if (a->argc >= 2 && !numeric_arg(m, a, a->v[1], &code))
		code = 1;
	if (code < 0 || code > 255) {
		warn(m, "exit status out of range: `%d'", code);
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

	if (bad_argc(m, a, 2, -1))
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
		warn_errno(m, errno, "%s: cannot create tempfile `%s'",
			a->v[0], a->v[1]);
	} else {
		close(fd);
		put_quoted(m, o, t.p, t.len);
	}
	buf_free(&t);
}

static void bi_mkstemp(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 2, 2))
		return;
	mkstemp_common(m, a, o);
}

/* GNU makes maketemp as safe as mkstemp (the file is created); only
 * -G keeps POSIX's insecure "trailing X's become the pid". */
static void bi_maketemp(struct m4 *m, struct args *a, struct buf *o)
{
	char pid[32];
	size_t len, i, np;

	if (bad_argc(m, a, 2, 2))
		return;
	if (m->gnu) {
		mkstemp_common(m, a, o);
		return;
	}
	/* POSIX (and -G): trailing X's become the process id. */
	warn(m, "recommend using mkstemp instead");
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
	if (bad_argc(m, a, 1, 1))
		return;
	m4_putint(o, m->sysval);
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
		warn_errno(m, errno, "cannot run command `%s'", cmd);
		m->sysval = 127;
		return;
	}
	pid = fork();
	if (pid < 0) {
		warn_errno(m, errno, "cannot run command `%s'", cmd);
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

/* The command's output goes straight to our standard output (flushed
 * first, so the order holds); its status is sysval's. */
static void bi_syscmd(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 2, 2))
		return;
	if (a->v[1][0] == 0) {
		m->sysval = 0;
		return;
	}
	run_shell(m, a->v[1], NULL);
}

/* The command's standard output becomes the expansion, rescanned. */
static void bi_esyscmd(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 2, 2))
		return;
	if (a->v[1][0] == 0) {
		m->sysval = 0;
		return;
	}
	run_shell(m, a->v[1], o);
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
				s->traced = on;
				if (!on)
					forget_sym(m, s);
			}
		return;
	}
	for (i = 1; i < a->argc; i++) {
		s = m4_lookup(m, a->v[i], a->l[i], on);
		if (!s)
			continue;
		s->traced = on;
		if (!on)
			forget_sym(m, s);
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
static int debug_flags(const char *s)
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

	if (bad_argc(m, a, 1, 2))
		return;
	if (a->argc == 1) {
		m->debug = 0;
		return;
	}
	s = a->v[1];
	if (*s == '+' || *s == '-')
		how = *s++;
	f = debug_flags(s);
	if (f < 0) {
		warn(m, "Debugmode: bad debug flags: `%s'", a->v[1]);
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

static int set_debugfile(struct m4 *m, const char *name)
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
	if (bad_argc(m, a, 1, 2))
		return;
	if (set_debugfile(m, a->argc >= 2 ? a->v[1] : NULL) < 0)
		warn_errno(m, errno, "cannot set debug file `%s'", a->v[1]);
}

static void bi_file(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 1, 1))
		return;
	put_quoted(m, o, m->cur_file, strlen(m->cur_file));
}

static void bi_line(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 1, 1))
		return;
	m4_putint(o, m->cur_line);
}

static void bi_program(struct m4 *m, struct args *a, struct buf *o)
{
	if (bad_argc(m, a, 1, 1))
		return;
	put_quoted(m, o, m->prog, strlen(m->prog));
}

/* --- eval: GNU's grammar and errors, 32-bit wrapping arithmetic ------- */

enum { E_OK, E_DIV, E_MOD, E_NEGEXP, E_MISSRIGHT, E_BADINPUT, E_EXCESS,
	E_BADOP, E_SYNTAX };
enum { K_ERROR, K_BADOP, K_PLUS, K_MINUS, K_EXP, K_TIMES, K_DIVIDE,
	K_MODULO, K_ASSIGN, K_EQ, K_NOTEQ, K_GT, K_GTEQ, K_LS, K_LSEQ,
	K_LSHIFT, K_RSHIFT, K_LNOT, K_LAND, K_LOR, K_NOT, K_AND, K_OR,
	K_XOR, K_LEFTP, K_RIGHTP, K_NUMBER, K_EOT };

struct ev {
	const char *s, *last;
	int depth;		/* nested parentheses and unary operators */
};

/* Parentheses, unary operators and ** recurse; past what the stack
 * holds, GNU's words for its own overflow, and exit 1.  Weights are in
 * stack frames of about 64 bytes (measured: a parenthesis takes 13). */
#define EV_PAREN	13

static void ev_deeper(struct m4 *m, struct ev *e, int weight)
{
	e->depth += weight;
	if (e->depth > m->max_depth * 3) {
		m4_flush_out(m);
		fprintf(stderr, "%s: stack overflow\n", m->prog);
		exit(1);
	}
}

static int ev_lex(struct ev *e, int32_t *val)
{
	const char *s;
	int base, digit;
	uint32_t v;

	while (isspace((unsigned char)*e->s))
		e->s++;
	e->last = e->s;
	s = e->s;
	if (*s == 0)
		return K_EOT;
	if (isdigit((unsigned char)*s)) {
		if (*s == '0') {
			s++;
			switch (*s) {
			case 'x': case 'X':
				base = 16, s++;
				break;
			case 'b': case 'B':
				base = 2, s++;
				break;
			case 'r': case 'R':
				base = 0, s++;
				while (isdigit((unsigned char)*s) && base <= 36)
					base = 10 * base + *s++ - '0';
				if (base == 0 || base > 36 || *s != ':') {
					e->s = s;
					return K_ERROR;
				}
				s++;
				break;
			default:
				base = 8;
			}
		} else {
			base = 10;
		}
		for (v = 0; *s; s++) {
			if (isdigit((unsigned char)*s))
				digit = *s - '0';
			else if (islower((unsigned char)*s))
				digit = *s - 'a' + 10;
			else if (isupper((unsigned char)*s))
				digit = *s - 'A' + 10;
			else
				break;
			if (base == 1) {
				if (digit == 1)
					v++;
				else if (digit == 0 && !v)
					continue;
				else
					break;
			} else if (digit >= base) {
				break;
			} else {
				v = v * (uint32_t)base + (uint32_t)digit;
			}
		}
		*val = (int32_t)v;
		e->s = s;
		return K_NUMBER;
	}
	e->s = s + 1;
	switch (*s) {
	case '+':
		return s[1] == '+' || s[1] == '=' ? K_BADOP : K_PLUS;
	case '-':
		return s[1] == '-' || s[1] == '=' ? K_BADOP : K_MINUS;
	case '*':
		if (s[1] == '*') {
			e->s++;
			return K_EXP;
		}
		return s[1] == '=' ? K_BADOP : K_TIMES;
	case '/':
		return s[1] == '=' ? K_BADOP : K_DIVIDE;
	case '%':
		return s[1] == '=' ? K_BADOP : K_MODULO;
	case '=':
		if (s[1] == '=') {
			e->s++;
			return K_EQ;
		}
		return K_ASSIGN;
	case '!':
		if (s[1] == '=') {
			e->s++;
			return K_NOTEQ;
		}
		return K_LNOT;
	case '>':
		if (s[1] == '=') {
			e->s++;
			return K_GTEQ;
		}
		if (s[1] == '>') {
			e->s++;
			return s[2] == '=' ? K_BADOP : K_RSHIFT;
		}
		return K_GT;
	case '<':
		if (s[1] == '=') {
			e->s++;
			return K_LSEQ;
		}
		if (s[1] == '<') {
			e->s++;
			return s[2] == '=' ? K_BADOP : K_LSHIFT;
		}
		return K_LS;
	case '^':
		return s[1] == '=' ? K_BADOP : K_XOR;
	case '~':
		return K_NOT;
	case '&':
		if (s[1] == '&') {
			e->s++;
			return K_LAND;
		}
		return s[1] == '=' ? K_BADOP : K_AND;
	case '|':
		if (s[1] == '|') {
			e->s++;
			return K_LOR;
		}
		return s[1] == '=' ? K_BADOP : K_OR;
	case '(':
		return K_LEFTP;
	case ')':
		return K_RIGHTP;
	}
	return K_ERROR;
}

static int ev_or(struct m4 *m, struct ev *e, int et, int32_t *v1);

static int ev_simple(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er;

	switch (et) {
	case K_LEFTP:
		ev_deeper(m, e, EV_PAREN);
		et = ev_lex(e, v1);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_or(m, e, et, v1)) != E_OK)
			return er;
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if (et != K_RIGHTP)
			return E_MISSRIGHT;
		e->depth -= EV_PAREN;
		return E_OK;
	case K_NUMBER:
		return E_OK;
	case K_BADOP:
		return E_BADOP;
	}
	return E_SYNTAX;
}

static int ev_unary(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int er, et2;

	if (et == K_PLUS || et == K_MINUS || et == K_NOT || et == K_LNOT) {
		ev_deeper(m, e, 1);
		et2 = ev_lex(e, v1);
		if (et2 == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_unary(m, e, et2, v1)) != E_OK)
			return er;
		if (et == K_MINUS)
			*v1 = (int32_t)-(uint32_t)*v1;
		else if (et == K_NOT)
			*v1 = ~*v1;
		else if (et == K_LNOT)
			*v1 = *v1 == 0;
		e->depth--;
		return E_OK;
	}
	return ev_simple(m, e, et, v1);
}

static int ev_exp(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	uint32_t r, b;
	int er;

	if ((er = ev_unary(m, e, et, v1)) != E_OK)
		return er;
	while ((et = ev_lex(e, &v2)) == K_EXP) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		ev_deeper(m, e, 1);
		if ((er = ev_exp(m, e, et, &v2)) != E_OK)
			return er;
		e->depth--;
		if (v2 < 0)
			return E_NEGEXP;
		/* GNU: 0**0 is undefined, reported as a division. */
		if (*v1 == 0 && v2 == 0)
			return E_DIV;
		/* Square and multiply: the same bits as GNU's loop. */
		for (r = 1, b = (uint32_t)*v1; v2; v2 >>= 1, b *= b)
			if (v2 & 1)
				r *= b;
		*v1 = (int32_t)r;
	}
	if (et == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_mult(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_exp(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_TIMES || op == K_DIVIDE ||
	       op == K_MODULO) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_exp(m, e, et, &v2)) != E_OK)
			return er;
		if (op == K_TIMES) {
			*v1 = (int32_t)((uint32_t)*v1 * (uint32_t)v2);
		} else if (op == K_DIVIDE) {
			if (v2 == 0)
				return E_DIV;
			*v1 = v2 == -1 ? (int32_t)-(uint32_t)*v1 : *v1 / v2;
		} else {
			if (v2 == 0)
				return E_MOD;
			*v1 = v2 == -1 ? 0 : *v1 % v2;
		}
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_add(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_mult(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_PLUS || op == K_MINUS) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_mult(m, e, et, &v2)) != E_OK)
			return er;
		if (op == K_PLUS)
			*v1 = (int32_t)((uint32_t)*v1 + (uint32_t)v2);
		else
			*v1 = (int32_t)((uint32_t)*v1 - (uint32_t)v2);
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_shift(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	uint32_t u;
	int er, op;

	if ((er = ev_add(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_LSHIFT || op == K_RSHIFT) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_add(m, e, et, &v2)) != E_OK)
			return er;
		u = (uint32_t)*v1;
		v2 &= 31;
		if (op == K_LSHIFT)
			*v1 = (int32_t)(u << v2);
		else
			*v1 = *v1 < 0 ? (int32_t)~(~u >> v2) :
				(int32_t)(u >> v2);
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_cmp(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_shift(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_GT || op == K_GTEQ ||
	       op == K_LS || op == K_LSEQ) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_shift(m, e, et, &v2)) != E_OK)
			return er;
		switch (op) {
		case K_GT: *v1 = *v1 > v2; break;
		case K_GTEQ: *v1 = *v1 >= v2; break;
		case K_LS: *v1 = *v1 < v2; break;
		default: *v1 = *v1 <= v2; break;
		}
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_eq(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_cmp(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_EQ || op == K_NOTEQ ||
	       op == K_ASSIGN) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_cmp(m, e, et, &v2)) != E_OK)
			return er;
		if (op == K_ASSIGN) {
			warn(m, "Warning: recommend ==, not =, for equality "
				"operator");
			op = K_EQ;
		}
		*v1 = (op == K_EQ) == (*v1 == v2);
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

/* The bitwise levels share one shape. */
static int ev_bits(struct m4 *m, struct ev *e, int et, int32_t *v1, int level)
{
	static const int ops[] = { K_AND, K_XOR, K_OR };
	int32_t v2;
	int er, op;

	er = level == 0 ? ev_eq(m, e, et, v1) : ev_bits(m, e, et, v1,
		level - 1);
	if (er != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == ops[level]) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		er = level == 0 ? ev_eq(m, e, et, &v2) :
			ev_bits(m, e, et, &v2, level - 1);
		if (er != E_OK)
			return er;
		if (op == K_AND)
			*v1 &= v2;
		else if (op == K_XOR)
			*v1 ^= v2;
		else
			*v1 |= v2;
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_and(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er;

	if ((er = ev_bits(m, e, et, v1, 2)) != E_OK)
		return er;
	while ((et = ev_lex(e, &v2)) == K_LAND) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		/* Short-circuit: errors past a false left side are not. */
		er = ev_bits(m, e, et, &v2, 2);
		if (er == E_OK)
			*v1 = *v1 && v2;
		else if (*v1 == 0 && er < E_SYNTAX)
			;
		else
			return er;
	}
	if (et == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_or(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er;

	if ((er = ev_and(m, e, et, v1)) != E_OK)
		return er;
	while ((et = ev_lex(e, &v2)) == K_LOR) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		er = ev_and(m, e, et, &v2);
		if (er == E_OK)
			*v1 = *v1 || v2;
		else if (*v1 != 0 && er < E_SYNTAX)
			*v1 = 1;
		else
			return er;
	}
	if (et == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

/* 0 and *val on success; else GNU's message and -1. */
static int evaluate(struct m4 *m, const char *expr, int32_t *val)
{
	static const char *const msg[] = {
		"", "divide by zero in eval: %s",
		"modulo by zero in eval: %s",
		"negative exponent in eval: %s",
		"bad expression in eval (missing right parenthesis): %s",
		"bad expression in eval (bad input): %s",
		"bad expression in eval (excess input): %s",
		"invalid operator in eval: %s",
		"bad expression in eval: %s",
	};
	struct ev e = { expr, expr, 0 };
	int et, er;

	et = ev_lex(&e, val);
	er = ev_or(m, &e, et, val);
	if (er == E_OK && *e.s) {
		int32_t v;

		er = ev_lex(&e, &v) == K_BADOP ? E_BADOP : E_EXCESS;
	}
	if (er == E_OK)
		return 0;
	warn(m, msg[er], expr);
	/* GNU fails the run for this one error of eval's only. */
	if (er == E_BADOP)
		m->retcode = 1;
	return -1;
}

/* eval(expr, radix, width): radix 1 to 36 (1 is unary), width pads
 * the digits with zeros after any '-'. */
static void bi_eval(struct m4 *m, struct args *a, struct buf *o)
{
	int radix = 10, width = 1, neg;
	int32_t value = 0;
	uint32_t u;
	char digits[40];
	int n = 0, i;

	if (bad_argc(m, a, 2, 4))
		return;
	if (a->argc >= 3 && *a->v[2] && !numeric_arg(m, a, a->v[2], &radix))
		return;
	if (radix < 1 || radix > 36) {
		warn(m, "radix %d in builtin `%s' out of range", radix,
			a->v[0]);
		return;
	}
	if (a->argc >= 4 && !numeric_arg(m, a, a->v[3], &width))
		return;
	if (width < 0) {
		warn(m, "negative width to builtin `%s'", a->v[0]);
		return;
	}
	if (!*a->v[1])
		warn(m, "empty string treated as 0 in builtin `%s'", a->v[0]);
	else if (evaluate(m, a->v[1], &value) < 0)
		return;
	neg = value < 0;
	u = neg ? -(uint32_t)value : (uint32_t)value;
	if (neg)
		putc1(o, '-');
	if (radix == 1) {
		for (i = (int)u; i < width; i++)
			putc1(o, '0');
		while (u--)
			putc1(o, '1');
		return;
	}
	do {
		digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[u % radix];
		u /= (uint32_t)radix;
	} while (u);
	for (i = n; i < width; i++)
		putc1(o, '0');
	while (n)
		putc1(o, digits[--n]);
}

/* --- format: printf with m4 arguments (GNU's format.c) --------------- */

static const char *fmt_next(struct args *a, int *k)
{
	if (*k >= a->argc)
		return NULL;
	return a->v[(*k)++];
}

static long fmt_int(struct m4 *m, struct args *a, int *k)
{
	const char *s = fmt_next(a, k);
	char *end;
	long v;

	if (!s)
		return 0;
	if (!*s) {
		warn(m, "empty string treated as 0");
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		warn(m, "non-numeric argument %s", s);
	else if (isspace((unsigned char)*s))
		warn(m, "leading whitespace ignored");
	else if (errno == ERANGE || (int)v != v)
		warn(m, "numeric overflow detected");
	return v;
}

static double fmt_double(struct m4 *m, struct args *a, int *k)
{
	const char *s = fmt_next(a, k);
	char *end;
	double v;

	if (!s)
		return 0;
	if (!*s) {
		warn(m, "empty string treated as 0");
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end)
		warn(m, "non-numeric argument %s", s);
	else if (isspace((unsigned char)*s))
		warn(m, "leading whitespace ignored");
	else if (errno == ERANGE)
		warn(m, "numeric overflow detected");
	return v;
}

/* printf with m4 strings: each conversion takes the next argument,
 * missing ones count as 0 or "".  The pieces go through snprintf with
 * a format rebuilt from the flags, width and precision seen. */
static void bi_format(struct m4 *m, struct args *a, struct buf *o)
{
	const char *f, *pct;
	char spec[32];
	int k = 2, width = 0, prec = 0, haswidth, hasprec, n;
	size_t sl, before;

	if (bad_argc(m, a, 2, -1))
		return;
	if (!o->max)
		o->max = M4_MAX_TEXT;
	f = a->v[1];
	for (;;) {
		pct = strchr(f, '%');
		if (!pct) {
			m4_puts0(o, f);
			return;
		}
		m4_put(o, f, (size_t)(pct - f));
		f = pct + 1;
		if (*f == '%') {
			putc1(o, '%');
			f++;
			continue;
		}
		before = o->len;
		sl = 0;
		spec[sl++] = '%';
		while (strchr("-+ #0'", *f) && *f) {
			if (*f != '\'' && sl < 10)
				spec[sl++] = *f;
			f++;
		}
		haswidth = hasprec = 0;
		if (*f == '*') {
			width = (int)fmt_int(m, a, &k);
			haswidth = 1;
			f++;
		} else if (isdigit((unsigned char)*f)) {
			for (width = 0; isdigit((unsigned char)*f); f++)
				width = width > 100000000 ? width :
					width * 10 + (*f - '0');
			haswidth = 1;
		}
		if (*f == '.') {
			f++;
			hasprec = 1;
			if (*f == '*') {
				prec = (int)fmt_int(m, a, &k);
				f++;
			} else {
				for (prec = 0; isdigit((unsigned char)*f); f++)
					prec = prec > 100000000 ? prec :
						prec * 10 + (*f - '0');
			}
		}
		while (*f == 'h' || *f == 'l')
			f++;
		if (haswidth)
			spec[sl++] = '*';
		if (hasprec) {
			spec[sl++] = '.';
			spec[sl++] = '*';
		}
		if (!*f || !strchr("cdiouxXsaAeEfFgG", *f)) {
			/* GNU skips the bad conversion and goes on. */
			warn(m, "Warning: unrecognized specifier in `%s'",
				a->v[1]);
			if (*f)
				f++;
			continue;
		}
		switch (*f) {
		case 'c':
		case 'd': case 'i':
			spec[sl++] = *f;
			spec[sl] = 0;
			{
				int v = (int)fmt_int(m, a, &k);

				if (*f == 'c')
					v = (unsigned char)v;
				if (haswidth && hasprec)
					n = buf_printf(o, spec, width, prec, v);
				else if (haswidth)
					n = buf_printf(o, spec, width, v);
				else if (hasprec)
					n = buf_printf(o, spec, prec, v);
				else
					n = buf_printf(o, spec, v);
			}
			break;
		case 'o': case 'u': case 'x': case 'X':
			spec[sl++] = *f;
			spec[sl] = 0;
			{
				unsigned v = (unsigned)fmt_int(m, a, &k);

				if (haswidth && hasprec)
					n = buf_printf(o, spec, width, prec, v);
				else if (haswidth)
					n = buf_printf(o, spec, width, v);
				else if (hasprec)
					n = buf_printf(o, spec, prec, v);
				else
					n = buf_printf(o, spec, v);
			}
			break;
		case 's':
			spec[sl++] = 's';
			spec[sl] = 0;
			{
				const char *v = fmt_next(a, &k);

				if (!v)
					v = "";
				if (haswidth && hasprec)
					n = buf_printf(o, spec, width, prec, v);
				else if (haswidth)
					n = buf_printf(o, spec, width, v);
				else if (hasprec)
					n = buf_printf(o, spec, prec, v);
				else
					n = buf_printf(o, spec, v);
			}
			break;
		default:
			spec[sl++] = *f;
			spec[sl] = 0;
			{
				double v = fmt_double(m, a, &k);

				if (haswidth && hasprec)
					n = buf_printf(o, spec, width, prec, v);
				else if (haswidth)
					n = buf_printf(o, spec, width, v);
				else if (hasprec)
					n = buf_printf(o, spec, prec, v);
				else
					n = buf_printf(o, spec, v);
			}
			break;
		}
		if (n < 0)
			memory_exhausted();
		/* GNU keeps each piece as a C string: a %c of 0 is lost. */
		{
			char *z = memchr(o->p + before, 0, o->len - before);

			if (z)
				o->len = (size_t)(z - o->p);
		}
		f++;
	}
}

/* --- regexp and patsubst ---------------------------------------------- */

/* GNU m4 compiles with RE_SYNTAX_EMACS (0) and anchors at newlines:
 * \( \) \| are operators and ( ) | { } plain; no intervals and no
 * character classes; * + ? at the start of an expression are plain; ^
 * and $ anchor only at the ends of an expression; [^a] and \W match a
 * newline but . does not; \w \W \s \S \< \> \b \B are GNU's operators.
 * This rewrites such a pattern as a POSIX ERE for musl (REG_NEWLINE),
 * with brackets spelled out as explicit sets; map[] gives the ERE group
 * of each of GNU's groups. */
struct rx {
	regex_t re;
	int ngroups;		/* GNU's groups */
	int map[10];
	int nere;		/* groups in the ERE */
};

#define RX_ERPAREN	1000	/* glibc's "Unmatched ) or \)" */

static void emit_set(struct buf *o, const unsigned char *set, struct rx *rx)
{
	int c, d, n = 0, has_rb = set[']'], has_dash = set['-'];
	int has_hat = set['^'];

	for (c = 1; c < 256; c++)
		n += set[c] != 0;
	if (n == 0) {
		/* An empty set matches nothing: "end, then a". */
		m4_puts0(o, "\\($\\)a");
		rx->nere++;
		return;
	}
	if (n == 1 && has_hat) {
		m4_puts0(o, "\\^");
		return;
	}
	putc1(o, '[');
	if (has_rb)
		putc1(o, ']');
	for (c = 1; c < 256; c++) {
		if (!set[c] || c == ']' || c == '-' || c == '^')
			continue;
		for (d = c; d + 1 < 256 && set[d + 1] && d + 1 != ']' &&
		     d + 1 != '-' && d + 1 != '^'; d++)
			;
		putc1(o, c);
		if (d > c + 1)
			putc1(o, '-');
		if (d > c)
			putc1(o, d);
		c = d;
	}
	if (has_hat)
		putc1(o, '^');
	if (has_dash)
		putc1(o, '-');
	putc1(o, ']');
}

static void class_set(unsigned char *set, int which, int negate)
{
	int c;

	for (c = 1; c < 256; c++) {
		int in = which == 'w' ? (isalnum(c) || c == '_') :
			(c == ' ' || (c >= '\t' && c <= '\r'));

		set[c] = negate ? !in : in;
	}
}

/* 0, or a regcomp error code (RX_ERPAREN for an unmatched \)). */
static int emacs_to_ere(const char *s, struct buf *o, struct rx *rx)
{
	unsigned char set[256];
	int start = 1, stack[64], depth = 0, done = 0, c;

	rx->ngroups = rx->nere = 0;
	while (*s) {
		c = (unsigned char)*s++;
		if (c == '\\') {
			c = (unsigned char)*s++;
			switch (c) {
			case 0:
				return REG_EESCAPE;
			case '(':
				if (depth == 64)
					return REG_ESPACE;
				rx->nere++;
				if (rx->ngroups < 9)
					rx->map[rx->ngroups + 1] = rx->nere;
				stack[depth++] = ++rx->ngroups;
				m4_puts0(o, "\\(");
				start = 1;
				continue;
			case ')':
				if (depth == 0)
					return RX_ERPAREN;
				if (stack[--depth] < 10)
					done |= 1 << stack[depth];
				m4_puts0(o, "\\)");
				break;
			case '|':
				m4_puts0(o, "\\|");
				start = 1;
				continue;
			case '{': case '}':
				putc1(o, c);
				break;
			case 'w': case 'W': case 's': case 'S':
				class_set(set, c == 'w' || c == 'W' ? 'w' : 's',
					c == 'W' || c == 'S');
				emit_set(o, set, rx);
				break;
			case '`':
				putc1(o, '^');
				break;
			case '\'':
				putc1(o, '$');
				break;
			case '<': case '>': case 'b': case 'B':
				putc1(o, '\\');
				putc1(o, c);
				break;
			default:
				if (c >= '1' && c <= '9') {
					if (!(done & (1 << (c - '0'))))
						return REG_ESUBREG;
					putc1(o, '\\');
					putc1(o, '0' + rx->map[c - '0']);
				} else {
					if (strchr(".[]*^$\\", c))
						putc1(o, '\\');
					putc1(o, c);
				}
			}
			start = 0;
			continue;
		}
		switch (c) {
		case '[': {
			int neg = 0, first = 1;

			memset(set, 0, sizeof set);
			if (*s == '^')
				neg = 1, s++;
			if (*s == 0)
				return REG_BADPAT;
			for (;;) {
				c = (unsigned char)*s;
				if (c == 0)
					return REG_EBRACK;
				s++;
				if (c == ']' && !first)
					break;
				first = 0;
				/* No classes, no escapes; b-a is empty. */
				if (*s == '-' && s[1] && s[1] != ']') {
					int to = (unsigned char)s[1], k;

					for (k = c; k <= to; k++)
						set[k] = 1;
					s += 2;
					continue;
				}
				set[c] = 1;
			}
			if (neg)
				for (c = 1; c < 256; c++)
					set[c] = !set[c];
			set[0] = 0;
			emit_set(o, set, rx);
			break;
		}
		case '*':
			if (start)
				putc1(o, '\\');
			putc1(o, c);
			break;
		case '+': case '?':
			if (!start)
				putc1(o, '\\');
			putc1(o, c);
			break;
		case '^':
			putc1(o, '^');
			if (start)
				continue;	/* still at the start */
			break;
		case '$':
			if (*s == 0 || (s[0] == '\\' &&
					(s[1] == ')' || s[1] == '|')))
				putc1(o, '$');
			else
				m4_puts0(o, "\\$");
			break;
		case '.':
		default:
			putc1(o, c);
		}
		start = 0;
	}
	if (depth)
		return REG_EPAREN;
	return 0;
}

static const char *regex_message(int err)
{
	switch (err) {
	case RX_ERPAREN: return "Unmatched ) or \\)";
	case REG_NOMATCH: return "No match";
	case REG_BADPAT: return "Invalid regular expression";
	case REG_ECOLLATE: return "Invalid collation character";
	case REG_ECTYPE: return "Invalid character class name";
	case REG_EESCAPE: return "Trailing backslash";
	case REG_ESUBREG: return "Invalid back reference";
	case REG_EBRACK: return "Unmatched [, [^, [:, [., or [=";
	case REG_EPAREN: return "Unmatched ( or \\(";
	case REG_EBRACE: return "Unmatched \\{";
	case REG_BADBR: return "Invalid content of \\{\\}";
	case REG_ERANGE: return "Invalid range end";
	case REG_ESPACE: return "Memory exhausted";
	case REG_BADRPT: return "Invalid preceding regular expression";
	}
	return "Invalid regular expression";
}

static int compile_regex(struct m4 *m, struct rx *rx, const char *pat,
	const char *fmt)
{
	struct buf e = BUF_INIT(M4_MAX_TEXT);
	int r;

	r = emacs_to_ere(pat, &e, rx);
	if (!r)
		r = regcomp(&rx->re, e.p ? e.p : "", REG_NEWLINE);
	buf_free(&e);
	if (r) {
		warn(m, fmt, pat, regex_message(r));
		return -1;
	}
	return 0;
}

/* Searches s (n bytes) from off; 0 with match[] set, else -1. */
static int regex_search(regex_t *re, const char *s, size_t off,
	regmatch_t *match, size_t nm)
{
	size_t i;
	int r;

	r = regexec(re, s + off, nm, match, off > 0 && s[off - 1] != '\n' ?
		REG_NOTBOL : 0);
	if (r)
		return -1;
	for (i = 0; i < nm; i++)
		if (match[i].rm_so >= 0) {
			match[i].rm_so += (regoff_t)off;
			match[i].rm_eo += (regoff_t)off;
		}
	return 0;
}

static void substitute(struct m4 *m, struct buf *o, const char *victim,
	const char *repl, regmatch_t *match, struct rx *rx)
{
	const char *bs;
	int c;

	for (;;) {
		bs = strchr(repl, '\\');
		if (!bs) {
			m4_puts0(o, repl);
			return;
		}
		m4_put(o, repl, (size_t)(bs - repl));
		repl = bs + 1;
		c = (unsigned char)*repl;
		switch (c) {
		case '0':
			if (!m->warned_0) {
				warn(m, "Warning: \\0 will disappear, use \\& "
					"instead in replacements");
				m->warned_0 = 1;
			}
			/* fall through */
		case '&':
			m4_put(o, victim + match[0].rm_so,
				(size_t)(match[0].rm_eo - match[0].rm_so));
			repl++;
			break;
		case '1': case '2': case '3': case '4': case '5':
		case '6': case '7': case '8': case '9':
			c -= '0';
			if (c > rx->ngroups) {
				warn(m, "Warning: sub-expression %d not "
					"present", c);
			} else {
				c = rx->map[c];
				if (match[c].rm_so >= 0)
					m4_put(o, victim + match[c].rm_so,
					    (size_t)(match[c].rm_eo -
						     match[c].rm_so));
			}
			repl++;
			break;
		case 0:
			warn(m, "Warning: trailing \\ ignored in replacement");
			return;
		default:
			putc1(o, c);
			repl++;
		}
	}
}

#define RX_NMATCH	64

/* The index of the first match (-1 for none), or with a replacement
 * its expansion (nothing for no match). */
static void bi_regexp(struct m4 *m, struct args *a, struct buf *o)
{
	struct rx rx;
	regmatch_t match[RX_NMATCH];

	if (bad_argc(m, a, 3, 4)) {
		if (a->argc == 2)
			m4_putint(o, 0);
		return;
	}
	if (compile_regex(m, &rx, a->v[2], "bad regular expression: `%s': %s"))
		return;
	if (regex_search(&rx.re, a->v[1], 0, match, RX_NMATCH) < 0) {
		if (a->argc == 3)
			m4_putint(o, -1);
	} else if (a->argc == 3) {
		m4_putint(o, (long)match[0].rm_so);
	} else {
		substitute(m, o, a->v[1], a->v[3], match, &rx);
	}
	regfree(&rx.re);
}

/* Every match replaced, left to right; an empty match copies one
 * character and moves on, so "a*" on "aaa" gives two replacements. */
static void bi_patsubst(struct m4 *m, struct args *a, struct buf *o)
{
	struct rx rx;
	regmatch_t match[RX_NMATCH];
	size_t off = 0, len = a->argc > 1 ? a->l[1] : 0;
	const char *v;

	if (bad_argc(m, a, 3, 4)) {
		if (a->argc == 2)
			m4_put(o, a->v[1], a->l[1]);
		return;
	}
	v = a->v[1];
	if (compile_regex(m, &rx, a->v[2], "bad regular expression `%s': %s"))
		return;
	while (off <= len) {
		if (regex_search(&rx.re, v, off, match, RX_NMATCH) < 0) {
			if (off < len)
				m4_put(o, v + off, len - off);
			break;
		}
		if ((size_t)match[0].rm_so > off)
			m4_put(o, v + off, (size_t)match[0].rm_so - off);
		substitute(m, o, v, arg(a, 3), match, &rx);
		off = (size_t)match[0].rm_eo;
		/* An empty match moves on by one character. */
		if (match[0].rm_so == match[0].rm_eo) {
			if (off < len)
				putc1(o, v[off]);
			off++;
		}
	}
	regfree(&rx.re);
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
	{ "eval", bi_eval, 0, 0, 1 },
	{ "format", bi_format, 1, 0, 1 },
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
	{ "patsubst", bi_patsubst, 1, 0, 1 },
	{ "popdef", bi_popdef, 0, 0, 1 },
	{ "pushdef", bi_pushdef, 0, 1, 1 },
	{ "regexp", bi_regexp, 1, 0, 1 },
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

/* --- command line ----------------------------------------------------- */

struct longopt {
	const char *name;
	int has_arg;		/* 0 no, 1 required, 2 optional */
	int val;
};

/* GNU m4's table, in its order (ambiguity messages list them so). */
static const struct longopt longopts[] = {
	{ "arglength", 1, 'l' }, { "debug", 2, 'd' },
	{ "define", 1, 'D' }, { "error-output", 1, 'o' },
	{ "fatal-warnings", 0, 'E' }, { "freeze-state", 1, 'F' },
	{ "gnu", 0, 'g' }, { "hashsize", 1, 'H' },
	{ "include", 1, 'I' }, { "interactive", 0, 'i' },
	{ "nesting-limit", 1, 'L' }, { "prefix-builtins", 0, 'P' },
	{ "quiet", 0, 'Q' }, { "reload-state", 1, 'R' },
	{ "silent", 0, 'Q' }, { "synclines", 0, 's' },
	{ "trace", 1, 't' }, { "traditional", 0, 'G' },
	{ "undefine", 1, 'U' }, { "warn-macro-sequence", 2, 'W' },
	{ "debugfile", 2, 'X' }, { "diversions", 1, 'N' },
	{ "help", 0, 'h' }, { "version", 0, 'v' },
	{ NULL, 0, 0 }
};

struct deferred {
	int code;
	const char *arg;
};

static void usage_fail(struct m4 *m)
{
	fprintf(stderr, "Try `%s --help' for more information.\n", m->prog);
	exit(1);
}

static void define_builtins(struct m4 *m)
{
	struct buf n = BUF_INIT(256);
	int i;

	for (i = 0; m4_builtins[i].name; i++) {
		if (!m->gnu && m4_builtins[i].gnu)
			continue;
		n.len = 0;
		if (m->prefix)
			m4_puts0(&n, "m4_");
		m4_puts0(&n, m4_builtins[i].name);
		define_sym(m, n.p, n.len, i, NULL, 0, 0);
	}
	buf_free(&n);
	if (m->gnu) {
		define_sym(m, "__gnu__", 7, -1, "", 0, 0);
		define_sym(m, "__unix__", 8, -1, "", 0, 0);
	} else {
		define_sym(m, "unix", 4, -1, "", 0, 0);
	}
}

static void add_incdir(struct m4 *m, const char *d)
{
	m->incdirs = m4realloc(m->incdirs, (m->nincdirs + 1) * sizeof(char *));
	m->incdirs[m->nincdirs++] = (char *)d;
}

static void process_file(struct m4 *m, const char *name)
{
	char *found;
	int fd;

	if (strcmp(name, "-") == 0) {
		if (m4_push_file(m, 0, "stdin") < 0) {
			xwarn("read error");
			m->retcode = 1;
			return;
		}
	} else {
		fd = path_open(m, name, &found);
		if (fd < 0) {
			m4_flush_out(m);
			fprintf(stderr, "%s: cannot open `%s': %s\n", m->prog,
				name, m4_strerror(errno));
			m->retcode = 1;
			return;
		}
		if (m4_push_file(m, fd, found) < 0) {
			m4_flush_out(m);
			fprintf(stderr, "%s: %s: read error\n", m->prog, name);
			m->retcode = 1;
			close(fd);
		}
		free(found);
	}
	m4_expand_input(m);
}

int m4lite_main(int argc, char **argv)
{
	struct m4 state = { 0 }, *m = &state;
	struct deferred *defs;
	char **files;
	int ndefs = 0, nfiles = 0, i, k, f;
	const char *p, *env;

	m4_live = m;
	defs = m4alloc(argc * sizeof *defs);
	files = m4alloc(argc * sizeof *files);
	/* Diagnostics name the program as called, as GNU's do. */
	m->prog = argv[0] ? argv[0] : "m4";
	{
		struct rlimit rl;

		m->max_depth = 1 << 20;
		if (getrlimit(RLIMIT_STACK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			m->max_depth = rl.rlim_cur > (1 << 19) ?
				(int)((rl.rlim_cur - (1 << 18)) /
				      M4_LEVEL_STACK) : 1000;
	}
	m->gnu = 1;
	m->cur_file = "";
	buf_init(&m->out, M4_MAX_TEXT);
	buf_init(&m->tok, M4_MAX_TEXT);
	m->out_sol = 1;
	make_diversion(m, 0);
	set_delims(&m->lq, &m->lql, &m->rq, &m->rql, NULL, NULL, "`", "'");
	set_delims(&m->bc, &m->bcl, &m->ec, &m->ecl, NULL, NULL, "#", "\n");
	set_classes(m);
	for (i = 1; i < argc; i++) {
		char *a = argv[i], *optarg;
		int c, has;

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				files[nfiles++] = argv[i];
			break;
		}
		if (a[0] != '-' || a[1] == 0) {
			files[nfiles++] = a;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			const struct longopt *lo = NULL;
			int amb = 0;

			for (k = 0; longopts[k].name; k++) {
				if (strncmp(longopts[k].name, name, nl))
					continue;
				if (strlen(longopts[k].name) == nl) {
					lo = &longopts[k];
					amb = 0;
					break;
				}
				if (!lo)
					lo = &longopts[k];
				else if (lo->val != longopts[k].val ||
					 lo->has_arg != longopts[k].has_arg)
					amb = 1;
			}
			if (amb) {
				fprintf(stderr, "%s: option '--%.*s' is "
					"ambiguous; possibilities:", m->prog,
					(int)strlen(name), name);
				for (k = 0; longopts[k].name; k++)
					if (!strncmp(longopts[k].name, name,
						     nl))
						fprintf(stderr, " '--%s'",
							longopts[k].name);
				fputc('\n', stderr);
				usage_fail(m);
			}
			if (!lo) {
				fprintf(stderr, "%s: unrecognized option "
					"'%s'\n", m->prog, a);
				usage_fail(m);
			}
			c = lo->val;
			optarg = eq ? (char *)eq + 1 : NULL;
			if (lo->has_arg == 0 && eq) {
				fprintf(stderr, "%s: option '--%s' doesn't "
					"allow an argument\n", m->prog,
					lo->name);
				usage_fail(m);
			}
			if (lo->has_arg == 1 && !eq) {
				if (i + 1 >= argc) {
					fprintf(stderr, "%s: option '--%s' "
						"requires an argument\n",
						m->prog, lo->name);
					usage_fail(m);
				}
				optarg = argv[++i];
			}
			has = 1;
			goto handle;
		}
		for (k = 1; a[k]; k++) {
			c = (unsigned char)a[k];
			p = strchr("B:D:EF:GH:I:L:N:PQR:S:T:U:W:d::egil:o:st:",
				c);
			if (!p || c == ':') {
				fprintf(stderr, "%s: invalid option -- '%c'\n",
					m->prog, c);
				usage_fail(m);
			}
			optarg = NULL;
			if (p[1] == ':' && p[2] == ':') {
				if (a[k + 1])
					optarg = a + k + 1;
			} else if (p[1] == ':') {
				if (a[k + 1]) {
					optarg = a + k + 1;
				} else if (i + 1 < argc) {
					optarg = argv[++i];
				} else {
					fprintf(stderr, "%s: option requires "
						"an argument -- '%c'\n",
						m->prog, c);
					usage_fail(m);
				}
			}
			has = 1;
handle:
			switch (c) {
			case 'D': case 'U': case 's': case 't': case 'X':
				defs[ndefs].code = c;
				defs[ndefs++].arg = optarg;
				break;
			case 'o':
				defs[ndefs].code = 'X';
				defs[ndefs++].arg = optarg;
				break;
			case 'E':
				m->fatal++;
				break;
			case 'F': case 'R':
				fprintf(stderr, "%s: frozen state files are "
					"not supported\n", m->prog);
				exit(1);
			case 'G':
				m->gnu = 0;
				break;
			case 'g':
				m->gnu = 1;
				break;
			case 'I':
				add_incdir(m, optarg);
				break;
			case 'L':
				m->nesting_limit = atoi(optarg);
				break;
			case 'P':
				m->prefix = 1;
				break;
			case 'Q':
				m->quiet = 1;
				break;
			case 'e': case 'i':
				m->interactive = 1;
				break;
			case 'd':
				f = debug_flags(optarg ? optarg : "");
				if (f < 0) {
					fprintf(stderr, "%s: bad debug flags: "
						"`%s'\n", m->prog, optarg);
					f = 0;
				}
				m->debug = f;
				break;
			case 'l':
				m->arglen = atoi(optarg);
				break;
			case 'h':
				applet_help();
				exit(0);
			case 'v':
				printf("m4 (postbox m4lite) 1.4.19\n"
					"Compatible with GNU M4 1.4.19.\n");
				exit(0);
			default:	/* B H N S T W: accepted, unused */
				break;
			}
			if (optarg || a[1] == '-')
				break;
		}
		(void)has;
	}
	env = getenv("M4PATH");
	if (env && *env) {
		char *e = m4strndup(env, strlen(env)), *s = e, *colon;

		for (;;) {
			colon = strchr(s, ':');
			if (colon)
				*colon = 0;
			add_incdir(m, *s ? s : ".");
			if (!colon)
				break;
			s = colon + 1;
		}
	}
	if (m->interactive)
		signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	define_builtins(m);
	for (i = 0; i < ndefs; i++) {
		const char *v = defs[i].arg, *eq;
		struct sym *s;

		switch (defs[i].code) {
		case 'D':
			eq = strchr(v, '=');
			if (eq)
				define_sym(m, v, (size_t)(eq - v), -1, eq + 1,
					strlen(eq + 1), 0);
			else
				define_sym(m, v, strlen(v), -1, "", 0, 0);
			break;
		case 'U':
			s = m4_lookup(m, v, strlen(v), 0);
			if (s && s->top)
				undefine_sym(m, s, 1);
			break;
		case 't':
			m4_lookup(m, v, strlen(v), 1)->traced = 1;
			break;
		case 's':
			m->synclines = 1;
			break;
		case 'X':
			if (set_debugfile(m, v) < 0) {
				fprintf(stderr, "%s: cannot set debug file "
					"`%s': %s\n", m->prog, v ? v : "stderr",
					m4_strerror(errno));
				if (m->fatal)
					m->retcode = 1;
			}
			break;
		}
	}
	if (nfiles == 0)
		process_file(m, "-");
	for (i = 0; i < nfiles; i++)
		process_file(m, files[i]);
	/* m4wrap text: GNU 1.4 reads the last wrapped first, and text
	 * wrapped meanwhile runs in a further round. */
	while (m->nwrap) {
		struct input *w = m->wrap;
		int n = m->nwrap;

		m->wrap = NULL;
		m->nwrap = m->wrapcap = 0;
		for (k = 0; k < n; k++) {
			struct input *b;

			m4_pop_spent_strings(m);
			b = m4_push_block(m, IN_STRING);
			buf_free(&b->data);
			b->data = w[k].data;
			b->file = w[k].file;
			b->line = w[k].line;
			b->p = b->data.p;
			b->end = b->data.p + b->data.len;
		}
		free(w);
		m4_expand_input(m);
	}
	make_diversion(m, 0);
	undivert_all(m);
	m4_flush_out(m);
	if (m->debugf)
		fclose(m->debugf);
	free(defs);
	free(files);
	return m->retcode;
}
