/* str: bounded string helpers. */
#include "libmini.h"
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t str_lcpy(char *dst, const char *src, size_t max)
{
	size_t n = strlen(src);

	if (max) {
		size_t c = n < max - 1 ? n : max - 1;

		memcpy(dst, src, c);
		dst[c] = 0;
	}
	return n;
}

size_t str_lcat(char *dst, const char *src, size_t max)
{
	size_t d = strnlen(dst, max);

	if (d == max)
		return d + strlen(src);
	return d + str_lcpy(dst + d, src, max - d);
}

char *str_lower(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return s;
}

static int isblank_nl(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *str_trim(char *s)
{
	size_t n;

	while (isblank_nl((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isblank_nl((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

int str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_istarts(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		int a = (unsigned char)*s, b = (unsigned char)*prefix;

		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return 0;
	}
	return 1;
}

int str_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int str_toul(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned char)*s - '0';

		if (d > 9 || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int str_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p++, need, min, cp;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return 0;
		if ((size_t)(end - p) < need)
			return 0;
		while (need--) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

int str_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int str_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

const char *str_shown(const char *arg, char *dst, size_t max)
{
	size_t i;

	for (i = 0; arg[i] && i + 1 < max; i++)
		dst[i] = (unsigned char)arg[i] < ' ' || arg[i] == 0x7f ? '?' :
			arg[i];
	dst[i] = 0;
	return dst;
}

void str_seterr(char *err, size_t max, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	if (err && max) {
		va_start(ap, fmt);
		vsnprintf(err, max, fmt, ap);
		va_end(ap);
	}
	errno = e;
}

/* One conversion of str_scan at *s: 1 stored, 0 none (%n), -1 mismatch. */
static int scan_one(const char **sp, const char *in, const char **fp,
	va_list *ap)
{
	const char *f = *fp, *s = *sp;
	char *end;
	unsigned long n = 0;
	int longs = 0;

	while (*f >= '0' && *f <= '9')
		n = n * 10 + (unsigned long)(*f++ - '0');
	while (*f == 'l')
		longs++, f++;
	*fp = f + 1;
	if (*f == 'n' && !n && !longs) {
		*va_arg(*ap, int *) = (int)(s - in);
		return 0;
	}
	if (*f == 's' && n && !longs) {
		char *dst = va_arg(*ap, char *);
		size_t k = 0;

		while (isspace((unsigned char)*s))
			s++;
		while (*s && !isspace((unsigned char)*s) && k < n)
			dst[k++] = *s++;
		dst[k] = 0;
		*sp = s;
		return k ? 1 : -1;
	}
	if ((*f != 'u' && *f != 'd' && *f != 'x') || n || longs > 2)
		return -1;
	errno = 0;
	if (*f == 'x' || (*f == 'u' && !longs)) {
		unsigned long long v = strtoull(s, &end, *f == 'x' ? 16 : 10);

		if (end == s || errno == ERANGE ||
		    (longs == 0 && v > UINT_MAX) ||
		    (longs == 1 && v > ULONG_MAX))
			return -1;
		if (!longs)
			*va_arg(*ap, unsigned *) = (unsigned)v;
		else if (longs == 1)
			*va_arg(*ap, unsigned long *) = (unsigned long)v;
		else
			*va_arg(*ap, unsigned long long *) = v;
		*sp = end;
		return 1;
	}
	if (!longs) {
		long v = strtol(s, &end, 10);

		if (end == s || errno == ERANGE || v > INT_MAX || v < INT_MIN)
			return -1;
		*va_arg(*ap, int *) = (int)v;
		*sp = end;
		return 1;
	}
	if (*f == 'u' && longs == 1)
		*va_arg(*ap, unsigned long *) = strtoul(s, &end, 10);
	else if (*f == 'u')
		*va_arg(*ap, unsigned long long *) = strtoull(s, &end, 10);
	else if (longs == 1)
		*va_arg(*ap, long *) = strtol(s, &end, 10);
	else
		*va_arg(*ap, long long *) = strtoll(s, &end, 10);
	if (end == s || errno == ERANGE)
		return -1;
	*sp = end;
	return 1;
}

int str_scan(const char *s, const char *fmt, ...)
{
	const char *in = s;
	va_list ap;
	int stored = 0, r;

	va_start(ap, fmt);
	while (*fmt) {
		if (isspace((unsigned char)*fmt)) {
			while (isspace((unsigned char)*fmt))
				fmt++;
			while (isspace((unsigned char)*s))
				s++;
		} else if (*fmt != '%' || fmt[1] == '%') {
			fmt += *fmt == '%';
			if (*s != *fmt)
				break;
			s++, fmt++;
		} else {
			fmt++;
			if ((r = scan_one(&s, in, &fmt, &ap)) < 0)
				break;
			stored += r;
		}
	}
	va_end(ap);
	return stored;
}
