/*
 * cf: reads the configuring lines of a sendmail.cf (cf.h has the subset
 * and the choices).  One pass: each logical line is parsed into the fixed
 * struct at once; rulesets and other lines postbox does not obey are only
 * noted.  Nothing here runs a program or asks DNS.
 *
 * This file is the reader: lines, continuations, comments, the file
 * limits, F class files; init, free, cf_load and the daemons' load and
 * reload.  cf_priv.h says where the other line kinds are parsed.
 */
#include "cf_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------ */

int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		c == '\v' || c == '\f';
}

int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

int is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

/* ASCII case-insensitive compare: sendmail folds class words this way,
 * never by locale. */
int icmp(const char *a, const char *b)
{
	for (; *a && lower((unsigned char)*a) == lower((unsigned char)*b);
	     a++, b++)
		;
	return lower((unsigned char)*a) - lower((unsigned char)*b);
}

char *skip_space(const char *s)
{
	while (is_space((unsigned char)*s))
		s++;
	return (char *)s;
}

char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

/* "path:line: message" into the caller's error buffer. */
__attribute__((format(printf, 2, 3)))
void rd_err(struct cf_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, r->errmax, "%s:%u: ", r->path, r->at);
	if (n < 0 || (size_t)n >= r->errmax)
		return;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errmax - n, fmt, ap);
	va_end(ap);
}

/* Replaces *dst with a copy of s (s may be NULL).  0 or -1. */
int set_str(char **dst, const char *s)
{
	char *p = NULL;

	if (s && !(p = strdup(s)))
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

void list_free(struct cf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int list_add(struct cf_list *l, const char *s, size_t n)
{
	char **v, *w;

	if (!(w = dupn(s, n)))
		return -1;
	v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v) {
		free(w);
		return -1;
	}
	v[l->n++] = w;
	l->v = v;
	return 0;
}

/* Splits s at any character of seps (blanks always separate too) and
 * appends the non-empty pieces. */
int list_split(struct cf_list *l, const char *s, const char *seps)
{
	while (*s) {
		size_t n;

		while (*s && (is_space((unsigned char)*s) || strchr(seps, *s)))
			s++;
		for (n = 0; s[n] && !is_space((unsigned char)s[n]) &&
		     !strchr(seps, s[n]); n++)
			;
		if (n && list_add(l, s, n) < 0)
			return -1;
		s += n;
	}
	return 0;
}

/* Notes an ignored thing once per load (cf.h: the note callback). */
void note(struct cf_reader *r, const char *what)
{
	struct cf_priv *p = r->cf->priv;
	char where[512];
	size_t i;

	for (i = 0; i < p->n_noted; i++)
		if (strcmp(p->noted[i], what) == 0)
			return;
	if (p->n_noted < CF_MAX_NOTES && (p->noted[p->n_noted] = strdup(what)))
		p->n_noted++;
	if (r->cf->note) {
		snprintf(where, sizeof where, "%s:%u", r->path, r->at);
		r->cf->note(what, where);
	}
}

/* ---- init and free ------------------------------------------------------ */

/* cf_init's work: 0, or -1 when memory runs out (cf partly filled, for
 * cf_free). */
static int init_defaults(struct cf *cf)
{
	memset(cf, 0, sizeof *cf);
	cf->priv = calloc(1, sizeof(struct cf_priv));
	if (!cf->priv || opts_init(cf) < 0 || classes_init(cf) < 0)
		return -1;
	return 0;
}

void cf_init(struct cf *cf)
{
	if (init_defaults(cf) < 0)
		xdie(EX_OSERR, "out of memory");
}

void cf_free(struct cf *cf)
{
	struct cf_priv *p = cf->priv;
	size_t i;

	opts_free(cf);
	for (i = 0; i < cf->n_maps; i++)
		map_free(&cf->maps[i]);
	for (i = 0; i < cf->n_mailers; i++)
		mailer_free(&cf->mailers[i]);
	free(cf->path);
	cf->path = NULL;
	if (p) {
		classes_free(p);
		for (i = 0; i < p->n_noted; i++)
			free(p->noted[i]);
		free(p);
	}
	cf->priv = NULL;
	cf->n_maps = cf->n_mailers = 0;
}

/* ---- reading lines ------------------------------------------------------ */

/* The next byte, -1 at the end, -2 on a read error or past
 * CF_MAX_FILE (error set). */
static int rd_getc(struct cf_reader *r)
{
	if (r->in_pos == r->in_len) {
		ssize_t n;

		if (r->eof)
			return -1;
		do
			n = read(r->fd, r->in, IN_SIZE);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			rd_err(r, "%s", strerror(errno));
			return -2;
		}
		if (n == 0) {
			r->eof = 1;
			return -1;
		}
		r->total += n;
		if (r->total > CF_MAX_FILE) {
			rd_err(r, "file larger than %lu bytes", CF_MAX_FILE);
			return -2;
		}
		r->in_pos = 0;
		r->in_len = n;
	}
	return (unsigned char)r->in[r->in_pos++];
}

static int rd_peek(struct cf_reader *r)
{
	int c = rd_getc(r);

	if (c >= 0)
		r->in_pos--;
	return c;
}

/* Appends one physical line (without its LF) to line[*len], bounded by
 * CF_MAX_LINE.  1 when a line was read, 0 at the end, -1 on error. */
static int rd_phys(struct cf_reader *r, char *line, size_t *len)
{
	int c, any = 0;

	r->lineno++;
	for (;;) {
		c = rd_getc(r);
		if (c == -2)
			return -1;
		if (c == -1) {
			if (!any)
				r->lineno--;
			return any;
		}
		any = 1;
		if (c == '\n')
			return 1;
		if (c == 0) {
			r->at = r->lineno;
			rd_err(r, "NUL byte in line");
			return -1;
		}
		if (*len >= CF_MAX_LINE) {
			rd_err(r, "line longer than %d bytes", CF_MAX_LINE);
			return -1;
		}
		line[(*len)++] = (char)c;
	}
}

/* Cuts an inline comment as sendmail 8 does for V10 files: "#" ends the
 * line unless written "$#" (a rule's $# operator) or "\#" (a literal
 * "#", the backslash removed); then trims trailing blanks. */
static void cut_comment(char *s)
{
	char *p, *q;

	for (p = q = s; *p; p++) {
		if (*p == '#' && p > s) {
			if (p[-1] == '\\') {
				q[-1] = '#';
				continue;
			}
			if (p[-1] != '$')
				break;
		}
		*q++ = *p;
	}
	*q = 0;
	while (q > s && is_space((unsigned char)q[-1]))
		*--q = 0;
}

/* ---- F class files ------------------------------------------------------ */

/* The scanf subset for F lines: an optional literal prefix, then "%s"
 * (one word), "%[set]" or "%[^set]" (the matched span, all its words).
 * Returns the words' span in *w / *n, or 0 when the line does not match. */
static int fpattern(const char *pat, const char *s, const char **w, size_t *n)
{
	const char *set, *end;
	int neg;

	while (*pat && !(pat[0] == '%' && pat[1] != '%')) {
		if (pat[0] == '%')
			pat++;
		if (is_space((unsigned char)*pat)) {
			s = skip_space(s);
			pat = skip_space(pat);
			continue;
		}
		if (*s++ != *pat++)
			return 0;
	}
	if (!*pat || pat[1] != '[') {
		/* "%s" or anything else: the first word */
		s = skip_space(s);
		*w = s;
		for (*n = 0; s[*n] && !is_space((unsigned char)s[*n]); (*n)++)
			;
		return *n > 0;
	}
	set = pat + 2;
	neg = *set == '^';
	if (neg)
		set++;
	/* "]" first in the set is a member, as in scanf */
	end = strchr(*set == ']' ? set + 1 : set, ']');
	if (!end)
		return 0;
	*w = s;
	for (*n = 0; s[*n]; (*n)++) {
		int in = memchr(set, s[*n], end - set) != NULL;

		if (in == neg)
			break;
	}
	return *n > 0;
}

/* sendmail's shortenstring(): a name of m bytes or more keeps its two
 * ends around "...". */
static const char *shorten(const char *s, size_t m, char *buf, size_t max)
{
	size_t l = strlen(s), h = (m - 3) / 2;

	if (l < m || 2 * h + 4 > max)
		return s;
	snprintf(buf, max, "%.*s...%s", (int)h, s, s + l - h);
	return buf;
}

/* An F file without -o that cannot be opened: sendmail's syserr, word
 * for word ("FILE: line N: fileclass: cannot open 'F': reason"), and the
 * rest of the cf is read, as sendmail goes on (cf.h: CF_EFCLASS). */
static void fclass_fail(struct cf_reader *cr, const char *file,
	const char *why)
{
	char buf[100];

	snprintf(cr->err, cr->errmax,
		"%s: line %u: fileclass: cannot open '%s': %s",
		shorten(cr->path, 83, buf, sizeof buf), cr->at, file, why);
	((struct cf_priv *)cr->cf->priv)->fclass_failed = 1;
}

int fclass_read(struct cf_reader *cr, const char *name,
	const char *file, const char *pat, int optional)
{
	struct cf_reader r;
	struct stat st;
	char *line;
	size_t len;
	int rc = 0, got;

	memset(&r, 0, sizeof r);
	r.cf = cr->cf;
	r.path = file;
	r.err = cr->err;
	r.errmax = cr->errmax;
	r.fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (r.fd < 0) {
		/* -o: sendmail skips a file it cannot open, whatever why;
		 * a file that exists but cannot be read is worth a note */
		if (optional && errno != ENOENT && errno != ENOTDIR)
			note(cr, "F class file unreadable (-o)");
		if (optional)
			return 0;
		fclass_fail(cr, file, strerror(errno));
		return 0;
	}
	/* a FIFO or device would block or never end: regular files only,
	 * as sendmail's SFF_REGONLY */
	if (fstat(r.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(r.fd);
		if (optional) {
			note(cr, "F class file not a regular file (-o)");
			return 0;
		}
		fclass_fail(cr, file, "Regular files only");
		return 0;
	}
	r.in = malloc(IN_SIZE);
	line = malloc(CF_MAX_LINE + 1);
	if (!r.in || !line) {
		rc = oom(cr);
		goto out;
	}
	for (;;) {
		const char *w;
		size_t n;

		len = 0;
		r.at = r.lineno + 1;
		got = rd_phys(&r, line, &len);
		if (got <= 0) {
			rc = got;
			break;
		}
		line[len] = 0;
		if (line[0] == '#')
			continue;
		if (fpattern(pat, line, &w, &n)) {
			char *words = dupn(w, n);

			if (!words) {
				rc = oom(cr);
				break;
			}
			rc = class_words(r.cf, &r, name, words);
			free(words);
			if (rc < 0)
				break;
		}
	}
out:
	free(line);
	free(r.in);
	close(r.fd);
	return rc;
}

/* ---- values ------------------------------------------------------------- */

/* A value up to an unquoted DELIM (a mailer field's comma; 0 for a D
 * line), as sendmail's munchstring: quotes removed, \r \n decoded,
 * other \x kept as x.  Writes in place; returns the end of the field. */
char *munch(char *p, char **val, int delim)
{
	char *q = p, *floor = p;	/* floor: end of escaped or quoted text */
	int quoted = 0;

	*val = p;
	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			*q++ = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p;
			floor = q;
			continue;
		}
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (*p == delim && !quoted) {
			p++;
			break;
		}
		*q++ = *p;
		if (quoted)
			floor = q;
	}
	/* trailing blanks of the field go, unless escaped or quoted */
	while (q > floor && is_space((unsigned char)q[-1]))
		q--;
	*q = 0;
	return p;
}

/* ---- the line dispatcher and cf_load ------------------------------------ */

static int cf_line(struct cf_reader *r, char *s)
{
	switch (s[0]) {
	case 'C':
		return line_C(r, s);
	case 'F':
		return line_F(r, s);
	case 'D':
		return line_D(r, s);
	case 'O':
		return line_O(r, s);
	case 'K':
		return line_K(r, s);
	case 'M':
		return line_M(r, s);
	case 'T':	/* trusted users, the old form of class t */
		return class_words(r->cf, r, "t", s + 1);
	case 'V':
		return 0;
	case 'S':
	case 'R':
		note(r, "rulesets");
		return 0;
	case 'H':
		note(r, "header definitions");
		return 0;
	case 'P':
		note(r, "precedence definitions");
		return 0;
	case 'X':
		note(r, "mail filters");
		return 0;
	case 'Q':
		note(r, "queue groups");
		return 0;
	case 'E':
		note(r, "environment (E lines)");
		return 0;
	case 'L':
	case 'G':
		note(r, s[0] == 'L' ? "L lines" : "G lines");
		return 0;
	default:
		rd_err(r, "unknown control line \"%.20s\"", s);
		return -1;
	}
}

int cf_load(struct cf *cf, const char *path, char *err, size_t errmax)
{
	struct cf_reader r;
	char *line;
	int rc = 0;

	memset(&r, 0, sizeof r);
	r.cf = cf;
	r.path = path;
	r.err = err;
	r.errmax = errmax;
	if (errmax)
		err[0] = 0;
	if (set_str(&cf->path, path) < 0) {
		snprintf(err, errmax, "%s: out of memory", path);
		errno = ENOMEM;
		return -1;
	}
	r.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r.fd < 0) {
		int e = errno;

		snprintf(err, errmax, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	r.in = malloc(IN_SIZE);
	line = malloc(CF_MAX_LINE + 1);
	if (!r.in || !line) {
		snprintf(err, errmax, "%s: out of memory", path);
		rc = -1;
		goto out;
	}
	for (;;) {
		size_t len = 0;
		int got, c, comment;

		r.at = r.lineno + 1;
		got = rd_phys(&r, line, &len);
		if (got <= 0) {
			rc = got;
			break;
		}
		/* A whole-line comment, folded lines and all, is skipped;
		 * an inline comment ends with its physical line, so a
		 * folded line goes on after it, as in sendmail. */
		line[len] = 0;
		comment = line[0] == '#';
		if (!comment) {
			cut_comment(line);
			len = strlen(line);
		}
		/* sendmail folds a line that the next one continues with
		 * a space or tab */
		while ((c = rd_peek(&r)) == ' ' || c == '\t') {
			size_t start;

			if (len >= CF_MAX_LINE) {
				rd_err(&r, "line longer than %d bytes",
					CF_MAX_LINE);
				rc = -1;
				goto out;
			}
			line[len++] = ' ';
			start = len;
			if (rd_phys(&r, line, &len) < 0) {
				rc = -1;
				goto out;
			}
			line[len] = 0;
			if (!comment) {
				cut_comment(line + start);
				len = start + strlen(line + start);
			}
		}
		if (c == -2) {
			rc = -1;
			break;
		}
		if (comment)
			continue;
		if (is_space((unsigned char)line[0])) {
			/* a continuation with nothing before it */
			if (*skip_space(line)) {
				rd_err(&r, "continuation line without a line "
					"to continue");
				rc = -1;
				break;
			}
			continue;
		}
		if (!line[0])
			continue;
		if ((rc = cf_line(&r, line)) < 0)
			break;
	}
out:
	classes_finish(cf->priv);
	free(line);
	free(r.in);
	close(r.fd);
	if (rc < 0) {
		errno = EINVAL;
		return -1;
	}
	if (((struct cf_priv *)cf->priv)->fclass_failed) {
		errno = EINVAL;
		return CF_EFCLASS;
	}
	return 0;
}

static void cf_log_note(const char *what, const char *where)
{
	log_msg(LOG_INFO, "%s: ignored: %s", where, what);
}

/* cf_load_daemon's work, never exiting: 0, or -1 (CF_EFCLASS for a
 * missing F file) with the reason in err (cf freed). */
static int load_daemon(struct cf *cf, const char *path, int explicit,
	char *err, size_t errmax)
{
	int missing, r;

	if (init_defaults(cf) < 0)
		goto nomem;
	cf->note = cf_log_note;
	if ((r = cf_load(cf, path, err, errmax)) == 0)
		return 0;
	missing = errno == ENOENT;
	cf_free(cf);
	if (r == CF_EFCLASS)
		return r;
	if (missing && !explicit) {
		log_msg(LOG_INFO, "%s: not found, using built-in defaults",
			path);
		if (init_defaults(cf) < 0)
			goto nomem;
		return 0;
	}
	return -1;
nomem:
	cf_free(cf);
	snprintf(err, errmax, "%s: out of memory", path);
	return -1;
}

int cf_load_daemon(struct cf *cf, const char *path, int explicit)
{
	char err[512];
	int r;

	if ((r = load_daemon(cf, path, explicit, err, sizeof err)) == 0)
		return 0;
	xwarn("%s", err);
	return r;
}

struct cf *cf_reload(const char *path, int explicit)
{
	struct cf *cf = calloc(1, sizeof *cf);
	char err[512];

	if (cf && load_daemon(cf, path, explicit, err, sizeof err) == 0)
		return cf;
	if (!cf)
		snprintf(err, sizeof err, "%s: out of memory", path);
	log_msg(LOG_ERR, "%s; reload failed, keeping the old configuration",
		err);
	free(cf);
	return NULL;
}
