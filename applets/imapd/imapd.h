/*
 * imapd's own header: the session's state and the functions its files
 * share (applets/imapd.c: the session, login, TLS, the processes and the
 * command table; imapd/parse.c: the command reader and its parser;
 * imapd/select.c: the selected mailbox: SELECT, FETCH, STORE, SEARCH,
 * EXPUNGE, IDLE; imapd/folders.c: LIST, CREATE, ..., STATUS, APPEND,
 * COPY, MOVE).
 */
#ifndef IMAPD_H
#define IMAPD_H
#define _GNU_SOURCE
#include "libmini.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAP_LINE_MAX	12288	/* one line of a command, CRLF included
				   (>= AUTH_LINE_MAX: SASL responses) */
#define IMAP_CMD_MAX	(256 * 1024)	/* a command, literals included */
#define IMAP_APPEND_MAX	(64UL * 1024 * 1024)	/* APPENDLIMIT */
#define IMAP_LITERALS_MAX 64	/* literals in one command */
#define IMAP_TAG_MAX	64
#define IMAP_ERRORS_MAX	20	/* bad commands, then BYE */
#define IMAP_OUT_BUF	65536
#define IMAP_IN_BUF	(PRIVSEP_INPUT_MAX - 512)	/* handed over whole */

enum { ST_NOAUTH, ST_AUTH, ST_SELECTED, ST_LOGOUT };

struct ctx {
	struct cf *cf;
	const char *cfpath;
	int verbose;
	int root;		/* started as root: switch users */
	int implicit;		/* -i -s: TLS before the greeting */
	uid_t pre_uid;		/* DefaultUser, before the login */
	gid_t pre_gid;
	struct tls_server_config *tls;
};

/* A parse position in the command: [p, end). */
struct cur {
	char *p, *end;
};

/* A sequence set (RFC 3501 9 sequence-set), '*' resolved: sorted,
 * merged ranges. */
struct range {
	uint32_t lo, hi;
};
struct seqset {
	struct range *r;
	size_t n, cap;
};
#define IMAP_RANGES_MAX	100000

struct imap {
	struct ctx *c;
	const struct cf *cf;
	const struct net_listener *l;
	struct net_peer peer;
	char client[NET_HOST_MAX + NET_IP_MAX + 8];	/* "host [ip]" */
	char host[256];		/* $j */
	struct io in, out;
	struct tls *tls;
	struct privsep ps;
	int handoff;		/* login child: the monitor took the session */
	int state;
	int quit;
	unsigned failures, errors;
	char login[AUTH_USER_MAX];
	char tag[IMAP_TAG_MAX + 1];	/* the command being answered */
	struct buf cmd;		/* the command, literals included, raw */
	/* after login */
	int kind;		/* LOCAL_MBOX, LOCAL_MAILDIR */
	char inbox[4096];	/* the PostboxMailbox */
	void *sel;		/* select.c's: the selected mailbox, or NULL */
	void *folders;		/* folders.c's: the folder tree */
	int condstore;		/* ENABLE CONDSTORE (or a command with it) */
	int qresync;		/* ENABLE QRESYNC: VANISHED, not EXPUNGE */
	struct zio *z;		/* COMPRESS DEFLATE is on (compress.c) */
	int expunge_ok;		/* the command may be answered with EXPUNGE
				   (RFC 3501 7.4.1: not FETCH, STORE, SEARCH) */
	char inbuf[IMAP_IN_BUF], outbuf[IMAP_OUT_BUF];
	char line[IMAP_LINE_MAX + 2];
};

/* imapd.c */
void reply(struct imap *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* the tagged answer: "TAG OK|NO|BAD text" */
void tagged(struct imap *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned long timeout_ms(const struct imap *s);
/* the capability list of the session's state into DST */
void capabilities(struct imap *s, char *dst, size_t max);

/* parse.c */
/* Reads one command into s->cmd (its lines with their CRLFs and its
 * literals, raw).  1 a command; 0 the session ends (EOF, error,
 * timeout: answered); -1 a bad one, answered, read past. */
int read_command(struct imap *s);
int p_sp(struct cur *c);
int p_eol(const struct cur *c);
int p_peek(const struct cur *c, int ch);
/* an atom (RFC 3501 9), astring-chars when BRACKET: its bytes */
int p_atom(struct cur *c, char **v, size_t *n, int bracket);
/* a quoted string or a literal, or an atom when ASTRING */
int p_string(struct cur *c, char **v, size_t *n, int astring);
/* an astring (or, with LISTCHARS, list-mailbox) as a C string into DST;
 * -1 also when it holds a NUL or does not fit */
int p_cstring(struct cur *c, char *dst, size_t max, int listchars);
/* a number (RFC 3501 number, < 2^32) */
int p_number(struct cur *c, uint32_t *v);
int p_number64(struct cur *c, uint64_t *v);
/* a sequence set, '*' being STAR; MAX the largest value that can be in
 * it (values over it dropped) */
int p_seqset(struct cur *c, struct seqset *set, uint32_t star);
int seq_has(const struct seqset *set, uint32_t v);
void seq_free(struct seqset *set);
/* the rest of a word, upper-cased, for command names and keys */
int p_word(struct cur *c, char *dst, size_t max);
/* IMAP quoted or literal form of S (N bytes) */
int out_string(struct imap *s, const char *v, size_t n);

/* select.c */
void cmd_select(struct imap *s, struct cur *c);
void cmd_examine(struct imap *s, struct cur *c);
void cmd_fetch(struct imap *s, struct cur *c);
void cmd_store(struct imap *s, struct cur *c);
void cmd_search(struct imap *s, struct cur *c);
void cmd_copy(struct imap *s, struct cur *c);
void cmd_move(struct imap *s, struct cur *c);
void cmd_uid(struct imap *s, struct cur *c);
void cmd_expunge(struct imap *s, struct cur *c);
void cmd_close(struct imap *s, struct cur *c);
void cmd_unselect(struct imap *s, struct cur *c);
void cmd_check(struct imap *s, struct cur *c);
void cmd_idle(struct imap *s, struct cur *c);
/* mailbox_sync and the untagged answers; EXPUNGES: EXPUNGE may be sent.
 * 0, or -1 with errno (EWOULDBLOCK: a POP3 session has the mailbox) */
int sel_update(struct imap *s, int expunges);
/* what the last sync found, told (before a tagged answer) */
void sel_tell(struct imap *s);
void sel_close(struct imap *s);
void sel_copy(struct imap *s, struct cur *c, int uid, int move);
/* a flag list (RFC 3501 flag-list, or flags without parentheses) */
int p_flags(struct cur *c, unsigned *flags, char kw[][MAILBOX_KW_LEN],
	size_t *nkw);
/* the path and kind of folder NAME (INBOX: the PostboxMailbox) */
int folder_find(struct imap *s, const char *name, char *path, size_t max,
	int *kind);

/* compress.c: RFC 4978 DEFLATE under the session's ios (over TLS too).
 * zio_new: the state, before the OK, for the reader IN (its buffered
 * bytes are the first compressed ones); LIMIT the inflated bytes a
 * command may take.  NULL with errno (ENOSYS when not built in).
 * zio_start: after the OK is flushed, IN and OUT deflate from now on.
 * zio_mark: a new command, the count starts again.  zio_over: the limit
 * ended the reader.  zio_end: flush, back to the transports underneath,
 * free (NULL does nothing). */
struct zio;
struct zio *zio_new(struct io *in, unsigned long long limit);
int zio_start(struct zio *z, struct io *in, struct io *out);
void zio_mark(struct zio *z);
int zio_over(const struct zio *z);
void zio_end(struct zio *z);

/* folders.c */
void folders_init(struct imap *s, const char *home);
void cmd_create(struct imap *s, struct cur *c);
void cmd_delete(struct imap *s, struct cur *c);
void cmd_rename(struct imap *s, struct cur *c);
void cmd_subscribe(struct imap *s, struct cur *c);
void cmd_unsubscribe(struct imap *s, struct cur *c);
void cmd_status(struct imap *s, struct cur *c);
void cmd_list(struct imap *s, struct cur *c);
void cmd_lsub(struct imap *s, struct cur *c);
void cmd_append(struct imap *s, struct cur *c);

#endif
