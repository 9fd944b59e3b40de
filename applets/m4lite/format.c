/*
 * m4lite: format: printf with m4 arguments, as GNU's format.c.
 */
#include "m4.h"

static const char *fmt_next(struct args *a, int *k)
{
	if (*k >= a->argc)
		return NULL;
	return a->v[(*k)++];
}

/* The next argument as a number's text: NULL when there is none, or
 * (with GNU's warning) when it is empty; both count as 0. */
static const char *fmt_numarg(struct m4 *m, struct args *a, int *k)
{
	const char *s = fmt_next(a, k);

	if (s && !*s) {
		m4_warn(m, "empty string treated as 0");
		return NULL;
	}
	return s;
}

/* GNU's warnings for a number s that strtol or strtod read up to end. */
static void fmt_check(struct m4 *m, const char *s, const char *end,
	int overflow)
{
	if (*end)
		m4_warn(m, "non-numeric argument %s", s);
	else if (isspace((unsigned char)*s))
		m4_warn(m, "leading whitespace ignored");
	else if (overflow)
		m4_warn(m, "numeric overflow detected");
}

static long fmt_int(struct m4 *m, struct args *a, int *k)
{
	const char *s = fmt_numarg(m, a, k);
	char *end;
	long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	fmt_check(m, s, end, errno == ERANGE || (int)v != v);
	return v;
}

static double fmt_double(struct m4 *m, struct args *a, int *k)
{
	const char *s = fmt_numarg(m, a, k);
	char *end;
	double v;

	if (!s)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	fmt_check(m, s, end, errno == ERANGE);
	return v;
}

/* One conversion: the printf format rebuilt from the flags seen, with
 * '*' for a width or precision, and their values. */
struct fmt_spec {
	char text[32];
	int width, prec, haswidth, hasprec;
};

/* Reads flags, width and precision at *f (after the '%') into sp, the
 * '*' values from the arguments; returns the conversion letter, with *f
 * on it, or 0 for one GNU does not know. */
static int fmt_parse(struct m4 *m, struct args *a, int *k, const char **f,
	struct fmt_spec *sp)
{
	const char *p = *f;
	size_t sl = 0;

	sp->text[sl++] = '%';
	while (strchr("-+ #0'", *p) && *p) {
		if (*p != '\'' && sl < 10)
			sp->text[sl++] = *p;
		p++;
	}
	sp->haswidth = sp->hasprec = 0;
	if (*p == '*') {
		sp->width = (int)fmt_int(m, a, k);
		sp->haswidth = 1;
		p++;
	} else if (isdigit((unsigned char)*p)) {
		for (sp->width = 0; isdigit((unsigned char)*p); p++)
			sp->width = sp->width > 100000000 ? sp->width :
				sp->width * 10 + (*p - '0');
		sp->haswidth = 1;
	}
	if (*p == '.') {
		p++;
		sp->hasprec = 1;
		if (*p == '*') {
			sp->prec = (int)fmt_int(m, a, k);
			p++;
		} else {
			for (sp->prec = 0; isdigit((unsigned char)*p); p++)
				sp->prec = sp->prec > 100000000 ? sp->prec :
					sp->prec * 10 + (*p - '0');
		}
	}
	while (*p == 'h' || *p == 'l')
		p++;
	if (sp->haswidth)
		sp->text[sl++] = '*';
	if (sp->hasprec) {
		sp->text[sl++] = '.';
		sp->text[sl++] = '*';
	}
	*f = p;
	if (!*p || !strchr("cdiouxXsaAeEfFgG", *p))
		return 0;
	sp->text[sl++] = *p;
	sp->text[sl] = 0;
	return *p;
}

/* buf_printf of one value v (any type) with sp's '*' values. */
#define FMT_PRINT(o, sp, v) \
	((sp)->haswidth && (sp)->hasprec ? \
		buf_printf(o, (sp)->text, (sp)->width, (sp)->prec, v) : \
	 (sp)->haswidth ? buf_printf(o, (sp)->text, (sp)->width, v) : \
	 (sp)->hasprec ? buf_printf(o, (sp)->text, (sp)->prec, v) : \
	 buf_printf(o, (sp)->text, v))

/* Converts the next argument as conversion c says, appending to o. */
static void fmt_convert(struct m4 *m, struct args *a, int *k, int c,
	struct fmt_spec *sp, struct buf *o)
{
	size_t before = o->len;
	const char *str;
	int n, i;

	switch (c) {
	case 'c': case 'd': case 'i':
		i = (int)fmt_int(m, a, k);
		if (c == 'c')
			i = (unsigned char)i;
		n = FMT_PRINT(o, sp, i);
		break;
	case 'o': case 'u': case 'x': case 'X':
		n = FMT_PRINT(o, sp, (unsigned)fmt_int(m, a, k));
		break;
	case 's':
		str = fmt_next(a, k);
		n = FMT_PRINT(o, sp, str ? str : "");
		break;
	default:
		n = FMT_PRINT(o, sp, fmt_double(m, a, k));
		break;
	}
	if (n < 0)
		m4_memory_exhausted();
	/* GNU keeps each piece as a C string: a %c of 0 is lost. */
	{
		char *z = memchr(o->p + before, 0, o->len - before);

		if (z)
			o->len = (size_t)(z - o->p);
	}
}

/* printf with m4 strings: each conversion takes the next argument,
 * missing ones count as 0 or "".  The pieces go through snprintf with
 * a format rebuilt from the flags, width and precision seen. */
void m4_bi_format(struct m4 *m, struct args *a, struct buf *o)
{
	struct fmt_spec sp;
	const char *f, *pct;
	int k = 2, c;

	if (m4_bad_argc(m, a, 2, -1))
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
		c = fmt_parse(m, a, &k, &f, &sp);
		if (!c) {
			/* GNU skips the bad conversion and goes on. */
			m4_warn(m, "Warning: unrecognized specifier in `%s'",
				a->v[1]);
			if (*f)
				f++;
			continue;
		}
		fmt_convert(m, a, &k, c, &sp, o);
		f++;
	}
}
