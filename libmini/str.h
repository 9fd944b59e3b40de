/* str: string helpers.  All bounded; none allocates. */
#ifndef LIBMINI_STR_H
#define LIBMINI_STR_H
#include <stddef.h>

/* Copies src into dst (max bytes, NUL included; max > 0).  Returns
 * strlen(src): a result >= max means the copy was truncated. */
size_t str_lcpy(char *dst, const char *src, size_t max);
/* Appends src to the string in dst, as str_lcpy; returns the length the
 * whole string would have. */
size_t str_lcat(char *dst, const char *src, size_t max);
/* ASCII lower-casing in place (sendmail folds keys this way, not by
 * locale).  Returns s. */
char *str_lower(char *s);
/* Skips leading and cuts trailing blanks (space, tab, CR, LF) in place;
 * returns the first non-blank character. */
char *str_trim(char *s);
/* 1 when s starts with prefix (str_istarts: ignoring ASCII case). */
int str_starts(const char *s, const char *prefix);
int str_istarts(const char *s, const char *prefix);
/* 1 when s ends with suffix. */
int str_ends(const char *s, const char *suffix);
/* Parses a whole unsigned decimal number no greater than max; 0 on
 * success, -1 when s is empty, has other characters or is too big. */
int str_toul(const char *s, unsigned long max, unsigned long *out);
/* Whether the n bytes at s are valid UTF-8 (no overlongs, no surrogates). */
int str_utf8_valid(const char *s, size_t n);
/* 1 when a and b are equal ignoring ASCII case (SMTP verbs, keywords). */
int str_ieq(const char *a, const char *b);
/* The value of hex digit c (either case): 0 to 15, or -1. */
int str_hexval(int c);
/* Copies arg into dst (max bytes, NUL included; max > 0, truncated to
 * fit) with control characters and DEL as '?', so that input can never
 * forge a line on a terminal or in a log.  Returns dst; dst may be arg. */
const char *str_shown(const char *arg, char *dst, size_t max);
/* sscanf for integers and words: blanks in fmt match any run of white
 * space (none too), "%%" and other characters themselves; %d, %u, %lu,
 * %llu, %ld and %lld read a decimal number, %x, %lx and %llx a hex one
 * (white space first, as sscanf; out of range, unlike sscanf, stops the
 * scan), %Ns a
 * word of at most N bytes (N is required; the buffer holds N + 1), %n
 * stores the bytes read so far (an int).  Returns the number of fields
 * stored before the input stopped matching (%n not counted), as sscanf.
 * No floating point: musl's sscanf links its float scanner, ~11 KB. */
int str_scan(const char *s, const char *fmt, ...)
	__attribute__((format(scanf, 2, 3)));
/* vsnprintf into err (max bytes) for a caller's "why" buffer; nothing
 * when err is NULL or max is 0.  errno is kept as it was. */
void str_seterr(char *err, size_t max, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
