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
 * This file holds the command line; the rest is in applets/m4lite/, one
 * concern a file (input, expansion, builtins, eval, format, regexp, ...),
 * with m4lite/m4.h as their map and shared header.
 *
 * Left out: frozen state files (-F, -R), changeword, --warn-macro-sequence
 * (accepted, no warnings), -H (the hash table grows by itself).  regexp
 * and patsubst translate GNU's Emacs syntax (RE_SYNTAX_EMACS) to a POSIX
 * BRE for musl's regcomp: word operators (\b \B \< \>) and buffer
 * anchors (\` \') follow musl's idea of them.
 */
//applet:m4lite usr/bin drop m4
//man:macro processor compatible with GNU m4, with sendmail's cf macros built in
//man:m4lite (also installed as m4) turns a sendmail.mc into sendmail.cf:
//man:m4 sendmail.mc > sendmail.cf.  When the sendmail-cf macros are absent,
//man:postbox's own are used.
//config:config M4LITE
//config:	bool "m4lite: GNU-compatible m4 (also m4), 112 KB with cf macros"
//config:	default y
//config:	help
//config:	  A macro processor compatible with GNU m4, able to run the
//config:	  sendmail-cf package that turns sendmail.mc into sendmail.cf.
//config:config M4LITE_CF
//config:	bool "built-in cf macros when sendmail-cf is absent (15 KB)"
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

/* Options GNU applies in command-line order once the builtins exist
 * (-D, -U, -s, -t, --debugfile), and the files to read. */
struct cmdline {
	struct deferred {
		int code;
		const char *arg;
	} *defs;
	int ndefs;
	char **files;
	int nfiles;
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

/* The state before any option: GNU mode, `' quotes, # comments, the
 * nesting that the stack limit allows. */
static void init_state(struct m4 *m, const char *prog)
{
	struct rlimit rl;

	/* Diagnostics name the program as called, as GNU's do. */
	m->prog = prog ? prog : "m4";
	m->max_depth = 1 << 20;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY)
		m->max_depth = rl.rlim_cur > (1 << 19) ?
			(int)((rl.rlim_cur - (1 << 18)) /
			      M4_LEVEL_STACK) : 1000;
	m->gnu = 1;
	m->cur_file = "";
	buf_init(&m->out, M4_MAX_TEXT);
	buf_init(&m->tok, M4_MAX_TEXT);
	m->out_sol = 1;
	m4_make_diversion(m, 0);
	m4_set_delims(&m->lq, &m->lql, &m->rq, &m->rql, NULL, NULL, "`", "'");
	m4_set_delims(&m->bc, &m->bcl, &m->ec, &m->ecl, NULL, NULL, "#", "\n");
	m4_set_classes(m);
}

/* One option c with its argument (NULL: none): settings take effect
 * now, the rest waits in cl. */
static void take_option(struct m4 *m, struct cmdline *cl, int c,
	const char *optarg)
{
	int f;

	switch (c) {
	case 'D': case 'U': case 's': case 't': case 'X':
		cl->defs[cl->ndefs].code = c;
		cl->defs[cl->ndefs++].arg = optarg;
		break;
	case 'o':
		cl->defs[cl->ndefs].code = 'X';
		cl->defs[cl->ndefs++].arg = optarg;
		break;
	case 'E':
		m->fatal++;
		break;
	case 'F': case 'R':
		fprintf(stderr, "%s: frozen state files are not supported\n",
			m->prog);
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
			fprintf(stderr, "%s: bad debug flags: `%s'\n",
				m->prog, optarg);
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
}

/* --NAME[=VALUE] at argv[*i], with glibc getopt_long's rules and words:
 * any unambiguous prefix; a required value may be the next word.
 * Returns the option's letter and *optarg. */
static int long_option(struct m4 *m, int argc, char **argv, int *i,
	char **optarg)
{
	const char *a = argv[*i], *name = a + 2, *eq = strchr(name, '=');
	size_t nl = eq ? (size_t)(eq - name) : strlen(name);
	const struct longopt *lo = NULL;
	int amb = 0, k;

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
		fprintf(stderr, "%s: option '--%.*s' is ambiguous; "
			"possibilities:", m->prog, (int)strlen(name), name);
		for (k = 0; longopts[k].name; k++)
			if (!strncmp(longopts[k].name, name, nl))
				fprintf(stderr, " '--%s'", longopts[k].name);
		fputc('\n', stderr);
		usage_fail(m);
	}
	if (!lo) {
		fprintf(stderr, "%s: unrecognized option '%s'\n", m->prog, a);
		usage_fail(m);
	}
	*optarg = eq ? (char *)eq + 1 : NULL;
	if (lo->has_arg == 0 && eq) {
		fprintf(stderr, "%s: option '--%s' doesn't allow an "
			"argument\n", m->prog, lo->name);
		usage_fail(m);
	}
	if (lo->has_arg == 1 && !eq) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "%s: option '--%s' requires an "
				"argument\n", m->prog, lo->name);
			usage_fail(m);
		}
		*optarg = argv[++*i];
	}
	return lo->val;
}

/* -XYZ at argv[*i]: each letter taken in turn; one that wants a value
 * takes the rest of the word, or the next word. */
static void short_options(struct m4 *m, struct cmdline *cl, int argc,
	char **argv, int *i)
{
	const char *a = argv[*i], *p;
	char *optarg;
	int c, k;

	for (k = 1; a[k]; k++) {
		c = (unsigned char)a[k];
		p = strchr("B:D:EF:GH:I:L:N:PQR:S:T:U:W:d::egil:o:st:", c);
		if (!p || c == ':') {
			fprintf(stderr, "%s: invalid option -- '%c'\n",
				m->prog, c);
			usage_fail(m);
		}
		optarg = NULL;
		if (p[1] == ':' && p[2] == ':') {
			if (a[k + 1])
				optarg = (char *)a + k + 1;
		} else if (p[1] == ':') {
			if (a[k + 1]) {
				optarg = (char *)a + k + 1;
			} else if (*i + 1 < argc) {
				optarg = argv[++*i];
			} else {
				fprintf(stderr, "%s: option requires an "
					"argument -- '%c'\n", m->prog, c);
				usage_fail(m);
			}
		}
		take_option(m, cl, c, optarg);
		if (optarg)
			break;
	}
}

/* GNU's option order: options and files may mix; "--" ends options. */
static void parse_args(struct m4 *m, struct cmdline *cl, int argc,
	char **argv)
{
	char *optarg;
	int i, c;

	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				cl->files[cl->nfiles++] = argv[i];
			break;
		}
		if (a[0] != '-' || a[1] == 0) {
			cl->files[cl->nfiles++] = a;
			continue;
		}
		if (a[1] == '-') {
			c = long_option(m, argc, argv, &i, &optarg);
			take_option(m, cl, c, optarg);
		} else {
			short_options(m, cl, argc, argv, &i);
		}
	}
}

/* $M4PATH: more include folders after the -I ones (empty means "."). */
static void add_m4path(struct m4 *m)
{
	const char *env = getenv("M4PATH");
	char *e, *s, *colon;

	if (!env || !*env)
		return;
	e = m4strndup(env, strlen(env));
	for (s = e;; s = colon + 1) {
		colon = strchr(s, ':');
		if (colon)
			*colon = 0;
		add_incdir(m, *s ? s : ".");
		if (!colon)
			break;
	}
}

/* -D, -U, -t, -s and --debugfile, in their command-line order. */
static void apply_deferred(struct m4 *m, struct cmdline *cl)
{
	int i;

	for (i = 0; i < cl->ndefs; i++) {
		const char *v = cl->defs[i].arg, *eq;
		struct sym *s;

		switch (cl->defs[i].code) {
		case 'D':
			eq = strchr(v, '=');
			if (eq)
				m4_define_sym(m, v, (size_t)(eq - v), -1,
					eq + 1, strlen(eq + 1), 0);
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
}

/* m4wrap text: GNU 1.4 reads the last wrapped first, and text wrapped
 * meanwhile runs in a further round. */
static void run_wrapped(struct m4 *m)
{
	int k;

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
}

int m4lite_main(int argc, char **argv)
{
	struct m4 state = { 0 }, *m = &state;
	struct cmdline cl = { 0 };
	int i;

	m4_live = m;
	cl.defs = m4alloc(argc * sizeof *cl.defs);
	cl.files = m4alloc(argc * sizeof *cl.files);
	init_state(m, argv[0]);
	parse_args(m, &cl, argc, argv);
	add_m4path(m);
	if (m->interactive)
		signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	define_builtins(m);
	apply_deferred(m, &cl);
	if (cl.nfiles == 0)
		process_file(m, "-");
	for (i = 0; i < cl.nfiles; i++)
		process_file(m, cl.files[i]);
	run_wrapped(m);
	m4_make_diversion(m, 0);
	m4_undivert_all(m);
	m4_flush_out(m);
	if (m->debugf)
		fclose(m->debugf);
	free(cl.defs);
	free(cl.files);
	return m->retcode;
}
