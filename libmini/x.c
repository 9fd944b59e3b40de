/* x: helpers that exit on failure (command-line and setup paths only). */
#include "libmini.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vwarn(const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "%s: ", applet_name ? applet_name : "postbox");
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void xwarn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, 0);
	va_end(ap);
}

void xdie(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, 0);
	va_end(ap);
	exit(code);
}

void xdie_errno(int code, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, err);
	va_end(ap);
	exit(code);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		xdie(EX_OSERR, "out of memory");
	return p;
}

void *xzalloc(size_t n)
{
	void *p = xmalloc(n);

	memset(p, 0, n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		xdie(EX_OSERR, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}
