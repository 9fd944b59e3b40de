/*
 * cf's private header: what the parts of the sendmail.cf reader share.
 * Not part of libmini.h; only libmini/cf*.c include it.  cf.h has the
 * public contracts.  The parts, one concern a file:
 *   cf.c        the reader (lines, continuations, comments, the file
 *               limits, F class files), init and free, the line
 *               dispatcher, cf_load, the daemons' load and reload
 *   cfclass.c   classes and macros: C, F, D lines, class w's built-in
 *               words and the host's names, $ expansion
 *   cfopt.c     O lines: the option table, the value parsers (times,
 *               sizes, booleans), DaemonPortOptions
 *   cfmap.c     K lines (map declarations)
 *   cfmailer.c  M lines (mailers)
 * Every parser here takes the reader (file:line for errors, the note
 * callback) and returns 0, or -1 with the message set through rd_err.
 */
#ifndef LIBMINI_CF_PRIV_H
#define LIBMINI_CF_PRIV_H
#include "libmini.h"

#define CF_MAX_NOTES 128	/* distinct notes remembered */
#define CF_MAX_NAME 64		/* a {long} macro or class name */

struct cf_priv {
	struct cf_class *classes;	/* cfclass.c's */
	size_t n_classes, cap_classes;
	size_t n_words;
	struct cf_macro *macros;
	size_t n_macros, cap_macros;
	char *noted[CF_MAX_NOTES];
	size_t n_noted;
	/* whether the file already replaced a built-in list value */
	int daemons_set, aliases_set, privacy_set;
	/* an F file without -o could not be opened (cf_load returns
	 * CF_EFCLASS once the rest is read) */
	int fclass_failed;
};

/* One file being read: the cf itself or an F class file. */
struct cf_reader {
	struct cf *cf;
	const char *path;
	int fd;
	char *in;		/* read buffer */
	size_t in_pos, in_len;
	int eof;
	unsigned long total;	/* bytes read so far (CF_MAX_FILE) */
	unsigned lineno;	/* physical lines read */
	unsigned at;		/* first physical line of the logical one */
	char *err;
	size_t errmax;
};

#define IN_SIZE 16384

/* ---- cf.c: small helpers, errors, notes --------------------------------- */

/* ASCII only, never the locale: blanks, digits, letters and digits. */
int is_space(int c);
int is_digit(int c);
int is_alnum(int c);
int lower(int c);
/* ASCII case-insensitive compare, as sendmail folds class words. */
int icmp(const char *a, const char *b);
/* The first non-blank of s. */
char *skip_space(const char *s);
/* A malloc'ed copy of s[0..n), NUL-terminated; NULL when memory runs out. */
char *dupn(const char *s, size_t n);
/* "path:line: message" into the reader's error buffer. */
__attribute__((format(printf, 2, 3)))
void rd_err(struct cf_reader *r, const char *fmt, ...);

static inline int oom(struct cf_reader *r)
{
	rd_err(r, "out of memory");
	return -1;
}

/* Replaces *dst with a copy of s (s may be NULL).  0 or -1. */
int set_str(char **dst, const char *s);
/* List values: free all, add a copy of s[0..n), or split s at any of
 * seps (and blanks) appending the non-empty pieces.  0 or -1 (memory). */
void list_free(struct cf_list *l);
int list_add(struct cf_list *l, const char *s, size_t n);
int list_split(struct cf_list *l, const char *s, const char *seps);
/* Notes an ignored thing once per load (cf.h: the note callback). */
void note(struct cf_reader *r, const char *what);
/* A value up to an unquoted DELIM (a mailer field's comma; 0 for a D
 * line), as sendmail's munchstring: quotes removed, \r \n decoded, other
 * \x kept as x.  Writes in place, *val the value; returns the text after
 * the field. */
char *munch(char *p, char **val, int delim);
/* Reads F class file FILE into class NAME, each line through the scanf
 * pattern PAT; OPTIONAL (-o) skips a file that cannot be opened. */
int fclass_read(struct cf_reader *cr, const char *name, const char *file,
	const char *pat, int optional);

/* ---- cfclass.c: classes and macros -------------------------------------- */

/* A macro or class name at s: one character, or {name}; the bare name
 * into name (CF_MAX_NAME).  The text after it, or NULL when malformed. */
const char *parse_name(const char *s, char *name);
/* Adds every blank-separated word of s to class NAME. */
int class_words(struct cf *cf, struct cf_reader *r, const char *name,
	const char *s);
/* Sorts each class and drops duplicates, so lookups can bisect. */
void classes_finish(struct cf_priv *p);
/* Defines macro NAME as a copy of VALUE (R may be NULL: no message). */
int macro_set(struct cf *cf, struct cf_reader *r, const char *name,
	const char *value);
/* Class w's built-in words and the built-in macros ($w, $j, $m, $k
 * from uname and /etc/hosts, $v, $Z, $n), for cf_init.  0, or -1 when
 * memory runs out. */
int classes_init(struct cf *cf);
/* Frees the classes and the macros, for cf_free. */
void classes_free(struct cf_priv *p);
/* The C, D and F lines, S the whole line. */
int line_C(struct cf_reader *r, char *s);
int line_D(struct cf_reader *r, char *s);
int line_F(struct cf_reader *r, char *s);

/* ---- cfopt.c: options --------------------------------------------------- */

/* The options' and the daemon's built-in values, for cf_init; frees
 * them (and the daemons of both lists), for cf_free.  0, or -1 when
 * memory runs out. */
int opts_init(struct cf *cf);
void opts_free(struct cf *cf);
/* An O line, S the whole line. */
int line_O(struct cf_reader *r, char *s);

/* ---- cfmap.c: K lines --------------------------------------------------- */

int line_K(struct cf_reader *r, char *s);
void map_free(struct cf_map *m);

/* ---- cfmailer.c: M lines ------------------------------------------------ */

int line_M(struct cf_reader *r, char *s);
void mailer_free(struct cf_mailer *m);

#endif
