/* x: helpers that exit on failure.  Command-line and setup paths only. */
#ifndef LIBMINI_X_H
#define LIBMINI_X_H
#include <stddef.h>

/* Prints "APPLET: message" (printf format) to stderr and exits CODE. */
void xdie(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* As xdie, with ": strerror(errno)" appended. */
void xdie_errno(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* Prints "APPLET: message" to stderr and returns. */
void xwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc/realloc/strdup that exit EX_OSERR when memory runs out. */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
