/*
 * m4lite's shared header: the state of one run and the contract
 * between its parts.  applets/m4lite.c holds the applet's tags and the
 * command line; applets/m4lite/ the rest, one concern a file:
 *   output.c   memory, messages, output, diversions
 *   symtab.c   the symbol table
 *   input.c    the input stack: files, strings, pushback
 *   expand.c   tokenizer, macro calls, argument collection, tracing
 *   builtin.c  the builtins and their table
 *   eval.c     eval (a precedence table)
 *   format.c   format
 *   regexp.c   regexp and patsubst
 *   cfdata.c   the built-in copy of configs/cf/cf.m4
 * Not a libmini module: only m4lite uses these.
 */
#ifndef M4LITE_M4_H
#define M4LITE_M4_H
#define _GNU_SOURCE
#include "libmini.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* No fixed limits that real inputs hit; these stop runaway inputs with
 * GNU's messages.  A buffer over M4_MAX_TEXT means "memory exhausted". */
#define M4_MAX_TEXT	((size_t)1 << 30)
/* With -L0 ("unlimited") GNU recurses until its stack overflows and says
 * so; we stop at a depth our stack surely holds: one level of nesting
 * takes under 256 bytes of it (measured: 20000 levels fit in 4 MB). */
#define M4_LEVEL_STACK	256

/* Byte classes for the fast scans (m->cls). */
#define C_LQ		0x01	/* first byte of the open quote */
#define C_RQ		0x02	/* first byte of the close quote */
#define C_BC		0x04	/* first byte of the comment start */
#define C_EC		0x08	/* first byte of the comment end */
#define C_WORD		0x10	/* starts a name */
#define C_NL		0x20	/* newline: lines are counted */
#define C_NUL		0x40	/* NUL: GNU's C strings end there */

#define CH_EOF		(-1)
#define CH_MACRO	(-2)

enum { T_EOF, T_STRING, T_WORD, T_OPEN, T_COMMA, T_CLOSE, T_SIMPLE,
	T_MACRO, T_NUL };
enum { IN_FILE, IN_STRING, IN_MACRO };

/* Debug flags, GNU's letters. */
#define D_ARGS		0x001	/* a */
#define D_EXPAND	0x002	/* e */
#define D_QUOTE		0x004	/* q */
#define D_TRACEALL	0x008	/* t */
#define D_LINE		0x010	/* l */
#define D_FILE		0x020	/* f */
#define D_PATH		0x040	/* p */
#define D_CALL		0x080	/* c */
#define D_INPUT		0x100	/* i */
#define D_CALLID	0x200	/* x */
#define D_DEFAULT	(D_ARGS | D_EXPAND | D_QUOTE)

/* One definition of a macro; pushdef stacks them.  A definition in use
 * by a pending call is kept alive by refs after it is popped. */
struct def {
	struct def *prev;
	int bi;			/* builtin index, or -1 for text */
	int refs, dead;
	size_t len;
	char *text;
};

struct sym {
	struct sym *next;	/* hash chain */
	struct def *top;	/* NULL: traced but undefined */
	unsigned hash;
	int traced;
	size_t nlen;
	char name[];
};

/* An input source.  Strings carry the location where they were pushed,
 * files their own line counter: GNU reports errors at those. */
struct input {
	int type;
	int advance;		/* FILE: start_of_line to restore on pop */
	int bi;			/* MACRO: the builtin */
	int fd;			/* FILE: open until popped (-1: stdin) */
	int more;		/* FILE: a pipe or tty, read as needed */
	int line;
	const char *file;
	const char *p, *end;
	struct buf data;	/* owned, kept for reuse after a pop */
};

struct diversion {
	int num;
	struct buf text;
};

/* One level of macro expansion: its arguments and its result. */
struct level {
	struct buf text;	/* arguments, each NUL-terminated */
	size_t *off;
	int *bi;
	char **argv;
	size_t *argl;
	int cap;
	struct buf exp;		/* the expansion being built */
};

struct args {
	int argc;
	char **v;		/* v[0] is the name called */
	size_t *l;
	int *bi;		/* builtin token arguments, else -1 */
};

struct m4;
typedef void builtin_fn(struct m4 *m, struct args *a, struct buf *o);

struct builtin {
	const char *name;
	builtin_fn *fn;
	unsigned char gnu, groks, blind;
};

struct m4 {
	/* input stack and the m4wrap stack */
	struct input *in, *wrap;
	int nin, incap, nwrap, wrapcap;
	const char *cur_file;
	int cur_line, start_of_line, input_change;
	/* quotes and comments; empty lq or bc disables them */
	char *lq, *rq, *bc, *ec;
	size_t lql, rql, bcl, ecl;
	unsigned char cls[256];	/* C_* classes of each byte, for scans */
	/* symbols */
	struct sym **tab;
	size_t tabsize, nsyms;
	/* output: stdout and diversions */
	struct buf out;
	struct diversion **divs;	/* sorted by number */
	int ndivs, curdiv, div_ready;
	struct buf *curbuf;	/* NULL: diverted to a negative number */
	/* expansion */
	struct level **lv;
	int nlv, depth, nesting_limit, max_depth;
	struct buf tok;		/* the current token */
	struct buf trace;	/* the trace line of the current call */
	int tokbi;		/* the builtin of a T_MACRO token */
	/* settings and status */
	int gnu, prefix, quiet, fatal, interactive, synclines;
	int sysval, retcode, debug, arglen, macro_call_id, warned_0;
	FILE *debugf;
	const char *prog;
	char **incdirs;
	int nincdirs;
	char **names;		/* file names, kept for the whole run */
	int nnames;
	int sync_line;		/* -s: the reader's idea of the line */
	int out_sol;		/* -s: output is at the start of a line */
	int tok_line;		/* -s: where the shipped token began */
};

/* The builtins by index (struct def's bi), NULL-terminated (builtin.c). */
extern const struct builtin m4_builtins[];
/* The run's state for m4_memory_exhausted alone (output.c says why). */
extern struct m4 *m4_live;

/* --- output.c: memory, messages, output and diversions ---------------- */

/* GNU's "memory exhausted": flushes the output, exits 1. */
void m4_memory_exhausted(void) __attribute__((noreturn));
/* Room for n more bytes and a NUL in b (capped at M4_MAX_TEXT). */
void m4_grow(struct buf *b, size_t n);
/* Appends to b, keeping it NUL-terminated; never fails (exits). */
void m4_put(struct buf *b, const void *p, size_t n);
void m4_puts0(struct buf *b, const char *s);
void m4_putint(struct buf *b, long v);
/* malloc, realloc, strndup that exit as GNU does on failure. */
void *m4alloc(size_t n);
void *m4realloc(void *p, size_t n);
char *m4strndup(const char *s, size_t n);
/* glibc's wording of errno e, as GNU m4 prints it. */
const char *m4_strerror(int e);
/* "prog:file:line: message" at the current place (warn_errno adds
 * ": strerror"); -E turns them into a failed status or an exit. */
void m4_warn(struct m4 *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void m4_warn_errno(struct m4 *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The message at file:line, then exit 1 with the output so far. */
void m4_fatal_at(struct m4 *m, const char *file, int line, const char *fmt,
	...) __attribute__((noreturn, format(printf, 4, 5)));
/* A copy of file name s that lives for the whole run (recent names
 * are shared). */
const char *m4_intern_name(struct m4 *m, const char *s);
/* Writes stdout's buffer out (diversions stay). */
void m4_flush_out(struct m4 *m);
/* Text for the current diversion, with -s sync lines. */
void m4_shipout(struct m4 *m, const char *s, size_t n);
/* divert(num): negative numbers discard. */
void m4_make_diversion(struct m4 *m, int num);
/* undivert(num) into the current diversion (its text is then gone);
 * undivert_all: every one, in order. */
void m4_insert_diversion(struct m4 *m, int num);
void m4_undivert_all(struct m4 *m);
/* "m4debug: message" to the debug output. */
void m4_debug_message(struct m4 *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --- symtab.c: the symbol table --------------------------------------- */

/* The symbol of name (n bytes); with create, made when absent. */
struct sym *m4_lookup(struct m4 *m, const char *name, size_t n, int create);
/* Frees s when it has neither a definition nor the traced mark. */
void m4_forget_sym(struct m4 *m, struct sym *s);
/* Frees a definition taken off its stack, or marks it dead while a
 * pending call still holds it (refs). */
void m4_drop_def(struct def *d);
/* define (push 0: replaces the top) or pushdef; bi >= 0 for a builtin,
 * else text (len bytes, copied). */
void m4_define_sym(struct m4 *m, const char *name, size_t n, int bi,
	const char *text, size_t len, int push);
/* undefine (all) or popdef. */
void m4_undefine_sym(struct m4 *m, struct sym *s, int all);

/* --- input.c: the input stack ----------------------------------------- */

/* A new, empty block of type IN_* on top of the input. */
struct input *m4_push_block(struct m4 *m, int type);
/* Pops exhausted string blocks, so pushes do not pile up. */
void m4_pop_spent_strings(struct m4 *m);
/* Pushes b's text back to be read next; b comes back empty, with the
 * block's old buffer (no copy). */
void m4_push_string_buf(struct m4 *m, struct buf *b);
/* Pushes a builtin token (defn's result). */
void m4_push_macro(struct m4 *m, int bi);
/* A new file block for fd, named name (interned): a regular file is
 * read whole, a pipe or terminal as needed; 0, or -1 with errno. */
int m4_push_file(struct m4 *m, int fd, const char *name);
/* A built-in text read as if it were the file name. */
void m4_push_text_file(struct m4 *m, const char *text, const char *name);
/* More bytes of a pipe or terminal into i; 0 at its end. */
size_t m4_refill(struct input *i);
/* The next character (CH_EOF, CH_MACRO for a builtin token), consumed
 * or only looked at; the input's place and lines follow. */
int m4_next_char(struct m4 *m);
int m4_peek_char(struct m4 *m);
/* The top block when its next byte can start a run (no builtin token,
 * not a byte of the classes in stop), else NULL; take_plain takes the
 * run up to the next such byte (*n bytes, pointing into the block). */
struct input *m4_plain_top(struct m4 *m, int stop);
const char *m4_take_plain(struct m4 *m, struct input *i, int stop,
	size_t *n);

/* --- expand.c: tokens, macro calls, tracing --------------------------- */

/* Where debug and trace output goes (--debugfile, else stderr). */
FILE *m4_debug_out(struct m4 *m);
/* Arguments first.. of a, joined by sep, each quoted when quoted. */
void m4_dump_args(struct m4 *m, struct buf *o, struct args *a, int first,
	const char *sep, int quoted);
/* A user macro's text with $0..$9, $#, $*, $@ replaced, into o. */
void m4_expand_user(struct m4 *m, struct def *d, struct args *a,
	struct buf *o);
void m4_call_builtin(struct m4 *m, int bi, struct args *a, struct buf *o);
/* Reads, expands and ships the input until the stack is empty. */
void m4_expand_input(struct m4 *m);

/* --- builtin.c: the builtins' shared helpers -------------------------- */

/* Argument i, or "" past the last. */
const char *m4_arg(struct args *a, int i);
/* GNU's argument count check (min and max count the name; -1: none):
 * warns, and returns 1 when there are too few. */
int m4_bad_argc(struct m4 *m, struct args *a, int min, int max);
/* s as an int into *val with GNU's warnings; 0 when not a number. */
int m4_numeric_arg(struct m4 *m, struct args *a, const char *s, int *val);
/* Opens name, else along -I and $M4PATH: the fd and *found (malloc'd),
 * or -1 with errno. */
int m4_path_open(struct m4 *m, const char *name, char **found);
/* changequote/changecom's rules for a pair of delimiters (dl, dr: the
 * defaults); set_classes then updates the byte classes. */
void m4_set_delims(char **l, size_t *ll, char **r, size_t *rl,
	const char *ls, const char *rs, const char *dl, const char *dr);
void m4_set_classes(struct m4 *m);
/* GNU's debug flag letters as D_* bits; -1 for an unknown one. */
int m4_debug_flags(const char *s);
/* --debugfile: name, "" (discard) or NULL (stderr); -1 with errno. */
int m4_set_debugfile(struct m4 *m, const char *name);

/* --- the builtins with files of their own ----------------------------- */

void m4_bi_eval(struct m4 *m, struct args *a, struct buf *o);	/* eval.c */
void m4_bi_format(struct m4 *m, struct args *a, struct buf *o); /* format.c */
void m4_bi_regexp(struct m4 *m, struct args *a, struct buf *o); /* regexp.c */
void m4_bi_patsubst(struct m4 *m, struct args *a, struct buf *o);

#define M4_INLINE static inline __attribute__((always_inline))

/* m4_put of one byte, inline: the hot path of every scan. */
M4_INLINE void putc1(struct buf *b, int c)
{
	if (b->len + 2 > b->cap)
		m4_grow(b, 1);
	b->p[b->len++] = (char)c;
	b->p[b->len] = 0;
}

/* GNU m4's name characters (C locale). */
static inline int is_word1(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline int is_word(int c)
{
	return is_word1(c) || (c >= '0' && c <= '9');
}

#endif
