/*
 * cf's classes and macros: C, F and D lines, class w's built-in words,
 * the host's names ($w, $j, $m, $k, without DNS), the lookups
 * (cf_class, cf_class_has, cf_macro, cf_define) and $ expansion
 * (cf_expand).  cf.h has the contracts.
 */
#include "cf_priv.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#define CF_EXPAND_DEPTH 10	/* sendmail's MaxMacroRecursion */
#define CF_EXPAND_STEPS 10000	/* macro references in one expansion */
#define CF_MAX_HOSTS (1UL << 20)	/* bytes of /etc/hosts read */

struct cf_class {
	char *name;
	struct cf_list words;
	size_t cap;
	int sorted;
};

struct cf_macro {
	char *name;
	char *value;
};

/* ---- names: "w", "{VirtHost}" ------------------------------------------- */

/* Parses a macro or class name at s: one character, or {name}; a
 * single character in braces is that character, as sendmail's macid.
 * Copies the bare name into name (CF_MAX_NAME); returns the text after
 * it, or NULL when malformed. */
const char *parse_name(const char *s, char *name)
{
	size_t n;

	if (*s != '{') {
		if (!*s || is_space((unsigned char)*s))
			return NULL;
		name[0] = *s;
		name[1] = 0;
		return s + 1;
	}
	for (n = 1; s[n] && s[n] != '}'; n++)
		if (n >= CF_MAX_NAME || !(is_alnum((unsigned char)s[n]) ||
		    strchr("_.-", s[n])))
			return NULL;
	if (s[n] != '}' || n == 1)
		return NULL;
	memcpy(name, s + 1, n - 1);
	name[n - 1] = 0;
	return s + n + 1;
}

/* The bare form of a name a caller gives: "w", "{w}", "{VirtHost}". */
static void bare_name(const char *in, char *name)
{
	size_t n = strlen(in);

	if (n > 2 && in[0] == '{' && in[n - 1] == '}') {
		in++;
		n -= 2;
	}
	if (n >= CF_MAX_NAME)
		n = CF_MAX_NAME - 1;
	memcpy(name, in, n);
	name[n] = 0;
}

/* ---- classes ------------------------------------------------------------ */

static struct cf_class *class_find(const struct cf_priv *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_classes; i++)
		if (strcmp(p->classes[i].name, name) == 0)
			return &p->classes[i];
	return NULL;
}

/* Adds one word; -1 with the error in r (r may be NULL in cf_init). */
static int class_add(struct cf *cf, struct cf_reader *r, const char *name,
	const char *w, size_t n)
{
	struct cf_priv *p = cf->priv;
	struct cf_class *c = class_find(p, name);

	if (p->n_words >= CF_MAX_CLASS_WORDS) {
		if (r)
			rd_err(r, "too many class words (%d max)",
				CF_MAX_CLASS_WORDS);
		return -1;
	}
	if (!c) {
		if (p->n_classes >= CF_MAX_CLASSES) {
			if (r)
				rd_err(r, "too many classes (%d max)",
					CF_MAX_CLASSES);
			return -1;
		}
		if (buf_grow_array((void **)&p->classes, &p->cap_classes,
		    p->n_classes, sizeof *p->classes, 16) < 0)
			return r ? oom(r) : -1;
		c = &p->classes[p->n_classes];
		memset(c, 0, sizeof *c);
		if (!(c->name = strdup(name)))
			return r ? oom(r) : -1;
		p->n_classes++;
	}
	if (buf_grow_array((void **)&c->words.v, &c->cap, c->words.n,
	    sizeof *c->words.v, 8) < 0)
		return r ? oom(r) : -1;
	if (!(c->words.v[c->words.n] = dupn(w, n)))
		return r ? oom(r) : -1;
	c->words.n++;
	c->sorted = 0;
	p->n_words++;
	return 0;
}

/* Adds every blank-separated word of s to class name. */
int class_words(struct cf *cf, struct cf_reader *r, const char *name,
	const char *s)
{
	for (;;) {
		size_t n;

		s = skip_space(s);
		if (!*s)
			return 0;
		for (n = 0; s[n] && !is_space((unsigned char)s[n]); n++)
			;
		if (class_add(cf, r, name, s, n) < 0)
			return -1;
		s += n;
	}
}

static int cmp_word(const void *a, const void *b)
{
	return icmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts each class and drops duplicates, so lookups can bisect. */
void classes_finish(struct cf_priv *p)
{
	size_t i, j, k;

	for (i = 0; i < p->n_classes; i++) {
		struct cf_class *c = &p->classes[i];

		if (c->sorted)
			continue;
		qsort(c->words.v, c->words.n, sizeof *c->words.v, cmp_word);
		for (j = k = 0; j < c->words.n; j++) {
			if (k && icmp(c->words.v[k - 1], c->words.v[j]) == 0) {
				free(c->words.v[j]);
				p->n_words--;
				continue;
			}
			c->words.v[k++] = c->words.v[j];
		}
		c->words.n = k;
		c->sorted = 1;
	}
}

/* ---- macros ------------------------------------------------------------- */

static struct cf_macro *macro_find(const struct cf_priv *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_macros; i++)
		if (strcmp(p->macros[i].name, name) == 0)
			return &p->macros[i];
	return NULL;
}

int macro_set(struct cf *cf, struct cf_reader *r, const char *name,
	const char *value)
{
	struct cf_priv *p = cf->priv;
	struct cf_macro *m = macro_find(p, name);

	if (!m) {
		if (p->n_macros >= CF_MAX_MACROS) {
			if (r)
				rd_err(r, "too many macros (%d max)",
					CF_MAX_MACROS);
			return -1;
		}
		if (buf_grow_array((void **)&p->macros, &p->cap_macros,
		    p->n_macros, sizeof *p->macros, 32) < 0)
			return r ? oom(r) : -1;
		m = &p->macros[p->n_macros];
		m->value = NULL;
		if (!(m->name = strdup(name)))
			return r ? oom(r) : -1;
		p->n_macros++;
	}
	if (set_str(&m->value, value) < 0)
		return r ? oom(r) : -1;
	return 0;
}

/* ---- host names, without DNS -------------------------------------------- */

/* Looks NAME up in /etc/hosts and copies a dotted name for it into fqdn
 * (the canonical name, else an alias "NAME.domain").  0 when found. */
static int hosts_fqdn(const char *name, char *fqdn, size_t max)
{
	char line[1024];
	size_t nlen = strlen(name);
	FILE *f = fopen("/etc/hosts", "re");
	unsigned long total = 0;
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof line, f)) {
		char *w[16], *s = line, *hash;
		size_t n = 0, i;
		int match = 0;

		total += strlen(line);
		if (total > CF_MAX_HOSTS)
			break;
		if ((hash = strchr(line, '#')))
			*hash = 0;
		while (n < 16) {
			s = skip_space(s);
			if (!*s)
				break;
			w[n++] = s;
			while (*s && !is_space((unsigned char)*s))
				s++;
			if (*s)
				*s++ = 0;
		}
		for (i = 1; i < n; i++)
			if (icmp(w[i], name) == 0 ||
			    (str_istarts(w[i], name) && w[i][nlen] == '.'))
				match = 1;
		if (!match)
			continue;
		/* RFC 952 hosts format: address, canonical name, aliases */
		if (n > 1 && strchr(w[1], '.') &&
		    w[1][strlen(w[1]) - 1] != '.') {
			str_lcpy(fqdn, w[1], max);
			found = 0;
			break;
		}
		for (i = 2; i < n; i++)
			if (str_istarts(w[i], name) && w[i][nlen] == '.' &&
			    w[i][nlen + 1]) {
				str_lcpy(fqdn, w[i], max);
				found = 0;
				break;
			}
	}
	fclose(f);
	return found;
}

/* Sets $w (short name), $j (FQDN), $m (domain) and $k (node name) from
 * uname, and /etc/hosts when the node name has no dot: never a DNS
 * query, so a start without network never waits.  -1 when memory runs
 * out. */
static int host_macros(struct cf *cf)
{
	struct utsname u;
	char fqdn[256], shortname[256], *dot;

	if (uname(&u) < 0 || !u.nodename[0])
		str_lcpy(u.nodename, "localhost", sizeof u.nodename);
	str_lcpy(fqdn, u.nodename, sizeof fqdn);
	if (!strchr(fqdn, '.'))
		hosts_fqdn(u.nodename, fqdn, sizeof fqdn);
	str_lcpy(shortname, fqdn, sizeof shortname);
	if ((dot = strchr(shortname, '.')))
		*dot = 0;
	if (macro_set(cf, NULL, "w", shortname) < 0 ||
	    macro_set(cf, NULL, "j", fqdn) < 0 ||
	    macro_set(cf, NULL, "k", u.nodename) < 0 ||
	    (dot && macro_set(cf, NULL, "m", dot + 1) < 0) ||
	    class_add(cf, NULL, "w", shortname, strlen(shortname)) < 0 ||
	    class_add(cf, NULL, "w", fqdn, strlen(fqdn)) < 0)
		return -1;
	return 0;
}

/* Class w's built-in words and the built-in macros: the host's names,
 * $v, $Z, $n.  0, or -1 when memory runs out. */
int classes_init(struct cf *cf)
{
	static const char *const builtin_w[] = { "localhost", "[127.0.0.1]" };
	size_t i;

	if (host_macros(cf) < 0 ||
	    macro_set(cf, NULL, "v", POSTBOX_VERSION) < 0 ||
	    macro_set(cf, NULL, "Z", POSTBOX_VERSION) < 0 ||
	    macro_set(cf, NULL, "n", "MAILER-DAEMON") < 0)
		return -1;
	for (i = 0; i < sizeof builtin_w / sizeof *builtin_w; i++)
		if (class_add(cf, NULL, "w", builtin_w[i],
		    strlen(builtin_w[i])) < 0)
			return -1;
	classes_finish(cf->priv);
	return 0;
}

/* Frees the classes and the macros, for cf_free. */
void classes_free(struct cf_priv *p)
{
	size_t i, j;

	for (i = 0; i < p->n_classes; i++) {
		for (j = 0; j < p->classes[i].words.n; j++)
			free(p->classes[i].words.v[j]);
		free(p->classes[i].words.v);
		free(p->classes[i].name);
	}
	free(p->classes);
	for (i = 0; i < p->n_macros; i++) {
		free(p->macros[i].name);
		free(p->macros[i].value);
	}
	free(p->macros);
}

/* ---- C, D and F lines --------------------------------------------------- */

/* Fx[-o] /path [pattern] */
int line_F(struct cf_reader *r, char *s)
{
	char name[CF_MAX_NAME], *file, *pat;
	const char *p = parse_name(s + 1, name);
	int optional = 0;

	if (!p) {
		rd_err(r, "bad class name");
		return -1;
	}
	p = skip_space(p);
	if (p[0] == '-' && p[1] == 'o') {
		optional = 1;
		p = skip_space(p + 2);
		/* "Fw-o -o /etc/mail/local-host-names", as postbox's cf
		 * macros once wrote: sendmail would read a file "-o" (and
		 * skip it); the file meant is read instead */
		while (p[0] == '-' && p[1] == 'o' &&
		       is_space((unsigned char)p[2]))
			p = skip_space(p + 2);
	}
	if (*p == '|') {
		note(r, "F class from a program (not run)");
		return 0;
	}
	if (*p == '@') {
		note(r, "F class from a map");
		return 0;
	}
	if (!*p) {
		rd_err(r, "F%s: file name expected", s + 1);
		return -1;
	}
	file = (char *)p;
	while (*p && !is_space((unsigned char)*p))
		p++;
	pat = (char *)skip_space(p);
	if (*p)
		*(char *)p = 0;
	return fclass_read(r, name, file, *pat ? pat : "%s", optional);
}

/* Dxvalue, D{name}value: the value as sendmail's munchstring leaves it,
 * leading blanks dropped ("Dj mail.example.com" means the obvious). */
int line_D(struct cf_reader *r, char *s)
{
	char name[CF_MAX_NAME], *val;
	const char *v = parse_name(s + 1, name);

	if (!v) {
		rd_err(r, "bad macro name");
		return -1;
	}
	munch(skip_space(v), &val, 0);
	return macro_set(r->cf, r, name, val);
}

/* Cx words, C{name} words: macros in the words are expanded as the
 * line is read, as sendmail does ("Cw $w.example.com"). */
int line_C(struct cf_reader *r, char *s)
{
	char name[CF_MAX_NAME], *words;
	const char *v = parse_name(s + 1, name);
	int rc;

	if (!v) {
		rd_err(r, "bad class name");
		return -1;
	}
	if (!strchr(v, '$'))
		return class_words(r->cf, r, name, v);
	if (!(words = malloc(CF_MAX_LINE + 1)))
		return oom(r);
	if (cf_expand(r->cf, v, words, CF_MAX_LINE + 1) < 0) {
		rd_err(r, "C%s: macro expansion too long or too deep", name);
		free(words);
		return -1;
	}
	rc = class_words(r->cf, r, name, words);
	free(words);
	return rc;
}

/* ---- lookups ------------------------------------------------------------ */

const char *cf_macro(const struct cf *cf, const char *name)
{
	char bare[CF_MAX_NAME];
	const struct cf_macro *m;

	if (!cf->priv)
		return NULL;
	bare_name(name, bare);
	m = macro_find(cf->priv, bare);
	return m ? m->value : NULL;
}

int cf_define(struct cf *cf, const char *name, const char *value)
{
	char bare[CF_MAX_NAME];

	if (!cf->priv || !*name || strlen(name) >= CF_MAX_NAME) {
		errno = EINVAL;
		return -1;
	}
	bare_name(name, bare);
	if (macro_set(cf, NULL, bare, value) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

const struct cf_list *cf_class(const struct cf *cf, const char *name)
{
	char bare[CF_MAX_NAME];
	const struct cf_class *c;

	if (!cf->priv)
		return NULL;
	bare_name(name, bare);
	c = class_find(cf->priv, bare);
	return c && c->words.n ? &c->words : NULL;
}

int cf_class_has(const struct cf *cf, const char *name, const char *word)
{
	const struct cf_list *l = cf_class(cf, name);
	size_t lo = 0, hi;

	if (!l)
		return 0;
	hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = icmp(word, l->v[mid]);

		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* ---- expansion ---------------------------------------------------------- */

struct cf_out {
	char *dst;
	size_t max, len;
	unsigned steps;
	int fail;
};

static void out_add(struct cf_out *o, const char *s, size_t n)
{
	if (o->fail)
		return;
	if (n >= o->max - o->len) {
		n = o->max - o->len - 1;
		o->fail = 1;
	}
	memcpy(o->dst + o->len, s, n);
	o->len += n;
	o->dst[o->len] = 0;
}

/* Reads a macro reference's name at s (after "$", "$?" or "$&"): one
 * character or {name}.  Returns the text after it, or NULL when a {
 * is not closed. */
static const char *ref_name(const char *s, char *name)
{
	const char *e;

	if (*s != '{') {
		name[0] = *s;
		name[1] = 0;
		return *s ? s + 1 : s;
	}
	e = strchr(s, '}');
	if (!e || e - s - 1 >= CF_MAX_NAME || e == s + 1)
		return NULL;
	memcpy(name, s + 1, e - s - 1);
	name[e - s - 1] = 0;
	return e + 1;
}

static const char *macro_value(const struct cf *cf, const char *name,
	char *datebuf, size_t datemax)
{
	const char *v = cf_macro(cf, name);

	if (!v && strcmp(name, "b") == 0) {
		/* $b: the current date, RFC 5322 3.3 */
		msg_date(time(NULL), datebuf, datemax);
		v = datebuf;
	}
	return v;
}

/* Sendmail's expansion: $?x starts a conditional, $| flips it, $. ends
 * it; nested conditionals inside a skipped part are counted, not
 * evaluated. */
static void expand(const struct cf *cf, const char *s, struct cf_out *o,
	int depth)
{
	int skipping = 0;
	unsigned iflev = 0, skiplev = 0;
	char name[CF_MAX_NAME], date[64];

	if (depth > CF_EXPAND_DEPTH) {
		o->fail = 1;
		return;
	}
	while (*s && !o->fail) {
		const char *v, *next, *ref;

		if (*s != '$' || !s[1]) {
			if (!skipping)
				out_add(o, s, 1);
			s++;
			continue;
		}
		switch (s[1]) {
		case '$':
			if (!skipping)
				out_add(o, "$", 1);
			s += 2;
			continue;
		case '?':
			if (!(next = ref_name(s + 2, name)) || !*name)
				break;
			iflev++;
			if (skipping) {
				skiplev++;
			} else {
				v = macro_value(cf, name, date, sizeof date);
				skipping = !v || !*v;
			}
			s = next;
			continue;
		case '|':
			if (!iflev)
				break;
			if (!skiplev)
				skipping = !skipping;
			s += 2;
			continue;
		case '.':
			if (!iflev)
				break;
			iflev--;
			if (!skiplev)
				skipping = 0;
			else
				skiplev--;
			s += 2;
			continue;
		default:
			/* $&x is deferred to run time: the same for us */
			ref = s[1] == '&' ? s + 2 : s + 1;
			/* $1 (a rule's match), $#, $: ... are no macros */
			if ((!is_alnum((unsigned char)*ref) ||
			    is_digit((unsigned char)*ref)) && *ref != '{' &&
			    *ref != '_')
				break;
			if (!(next = ref_name(ref, name)))
				break;	/* an unclosed ${ stays as is */
			s = next;
			if (skipping)
				continue;
			if (++o->steps > CF_EXPAND_STEPS) {
				o->fail = 1;
				return;
			}
			v = macro_value(cf, name, date, sizeof date);
			if (v)
				expand(cf, v, o, depth + 1);
			continue;
		}
		/* not an operator here: the text stays as written */
		if (!skipping)
			out_add(o, s, 2);
		s += 2;
	}
}

int cf_expand(const struct cf *cf, const char *s, char *dst, size_t max)
{
	struct cf_out o = { dst, max, 0, 0, 0 };

	if (!max)
		return -1;
	dst[0] = 0;
	expand(cf, s, &o, 0);
	return o.fail ? -1 : (int)o.len;
}
