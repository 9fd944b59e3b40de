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

void m4_forget_sym(struct m4 *m, struct sym *s)
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
void m4_define_sym(struct m4 *m, const char *name, size_t n, int bi,
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

void m4_undefine_sym(struct m4 *m, struct sym *s, int all)
{
	struct def *d;

	while ((d = s->top)) {
		s->top = d->prev;
		m4_drop_def(d);
		if (!all)
			break;
	}
	/* A traced name stays traced (GNU keeps a placeholder). */
	m4_forget_sym(m, s);
}

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
		m4_define_sym(m, n.p, n.len, i, NULL, 0, 0);
	}
	buf_free(&n);
	if (m->gnu) {
		m4_define_sym(m, "__gnu__", 7, -1, "", 0, 0);
		m4_define_sym(m, "__unix__", 8, -1, "", 0, 0);
	} else {
		m4_define_sym(m, "unix", 4, -1, "", 0, 0);
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
		fd = m4_path_open(m, name, &found);
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
	m4_make_diversion(m, 0);
	m4_set_delims(&m->lq, &m->lql, &m->rq, &m->rql, NULL, NULL, "`", "'");
	m4_set_delims(&m->bc, &m->bcl, &m->ec, &m->ecl, NULL, NULL, "#", "\n");
	m4_set_classes(m);
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
				f = m4_debug_flags(optarg ? optarg : "");
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
				m4_define_sym(m, v, (size_t)(eq - v), -1,
					eq + 1,
					strlen(eq + 1), 0);
			else
				m4_define_sym(m, v, strlen(v), -1, "", 0, 0);
			break;
		case 'U':
			s = m4_lookup(m, v, strlen(v), 0);
			if (s && s->top)
				m4_undefine_sym(m, s, 1);
			break;
		case 't':
			m4_lookup(m, v, strlen(v), 1)->traced = 1;
			break;
		case 's':
			m->synclines = 1;
			break;
		case 'X':
			if (m4_set_debugfile(m, v) < 0) {
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
	m4_make_diversion(m, 0);
	m4_undivert_all(m);
	m4_flush_out(m);
	if (m->debugf)
		fclose(m->debugf);
	free(defs);
	free(files);
	return m->retcode;
}
