/* buf: growable byte buffers with a hard cap. */
#ifndef LIBMINI_BUF_H
#define LIBMINI_BUF_H
#include <stddef.h>
#include <stdarg.h>

/* p is always NUL-terminated after len bytes once anything was added
 * (the NUL is not counted); max caps len: adding beyond it fails with
 * E2BIG and leaves the buffer as it was. */
struct buf {
	char *p;
	size_t len, cap, max;
};

#define BUF_INIT(max) { 0, 0, 0, (max) }

void buf_init(struct buf *b, size_t max);
/* Make room for n more bytes.  0, or -1 with errno E2BIG or ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, int c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* The contents as a C string ("" when empty; never NULL). */
const char *buf_str(const struct buf *b);
/* Forget the contents, keep the memory. */
void buf_reset(struct buf *b);
/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Release the memory; the buffer is empty and usable again. */
void buf_free(struct buf *b);

/* Room for one more element in the array *P of N used and *CAP allocated
 * elements of SIZE bytes: when N == *CAP, reallocates it to twice as many
 * (FIRST when there are none yet).  0, or -1 with errno ENOMEM (overflow
 * included), *P and *CAP then untouched. */
int buf_grow_array(void **p, size_t *cap, size_t n, size_t size,
	size_t first);

#endif
