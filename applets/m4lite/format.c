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

static long fmt_int(struct m4 *m, struct args *a, int *k)
{
	const char *s = fmt_next(a, k);
	char *end;
	long v;

	if (!s)
		return 0;
	if (!*s) {
		m4_warn(m, "empty string treated as 0");
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		m4_warn(m, "non-numeric argument %s", s);
	else if (isspace((unsigned char)*s))
		m4_warn(m, "leading whitespace ignored");
	else if (errno == ERANGE || (int)v != v)
		m4_warn(m, "numeric overflow detected");
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
		m4_warn(m, "empty string treated as 0");
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end)
		m4_warn(m, "non-numeric argument %s", s);
	else if (isspace((unsigned char)*s))
		m4_warn(m, "leading whitespace ignored");
	else if (errno == ERANGE)
		m4_warn(m, "numeric overflow detected");
	return v;
}

/* printf with m4 strings: each conversion takes the next argument,
 * missing ones count as 0 or "".  The pieces go through snprintf with
 * a format rebuilt from the flags, width and precision seen. */
void m4_bi_format(struct m4 *m, struct args *a, struct buf *o)
{
	const char *f, *pct;
	char spec[32];
	int k = 2, width = 0, prec = 0, haswidth, hasprec, n;
	size_t sl, before;

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
			m4_warn(m, "Warning: unrecognized specifier in `%s'",
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
			m4_memory_exhausted();
		/* GNU keeps each piece as a C string: a %c of 0 is lost. */
		{
			char *z = memchr(o->p + before, 0, o->len - before);

			if (z)
				o->len = (size_t)(z - o->p);
		}
		f++;
	}
}
