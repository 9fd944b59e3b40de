/*
 * mail's own parts (applets/mail.c and applets/mail/): the state of one
 * run, variables and start-up files (vars.c), composing and submitting a
 * message (send.c), the folder session and its commands (cmd.c), header
 * summaries and message display (show.c).  Not a libmini module: only
 * mail uses these.
 */
#ifndef MAIL_MAIL_H
#define MAIL_MAIL_H
#include "libmini.h"
#include "mailbox.h"
#include <stdio.h>
#include <time.h>

#define MAIL_LINE_MAX	4096		/* a command or body line */
#define MAIL_MSG_MAX	(64L << 20)	/* bytes of one message shown */
#define MAIL_PARTS_MAX	256		/* MIME parts of one message */
#define MAIL_RC_DEPTH	8		/* nested source commands */

/* A string list (variables, aliases, ignored fields). */
struct mail_kv {
	struct mail_kv *next;
	char *key, *val;
};

/* Session flags of a message, beside mailbox.h's stored ones. */
#define M_READ		0x001	/* read in this session */
#define M_DELETED	0x002
#define M_SAVED		0x004	/* saved or written: gone at quit */
#define M_PRESERVE	0x008	/* hold/preserve: stays in the folder */
#define M_MBOX		0x010	/* mbox command: goes to ~/mbox at quit */
#define M_TOUCH		0x020	/* touch command */
#define M_SCANNED	0x040	/* the summary fields below are set */
#define M_SEEN0		0x080	/* seen when the folder was opened */

struct mail_msg {
	unsigned flags;			/* M_* */
	char *from;			/* sender for the summary (UTF-8) */
	char *subject;			/* decoded (UTF-8) */
	time_t date;			/* Date:, else From_ line, else 0 */
	char *fromaddr;			/* bare sender address */
	long lines;
	long long bytes;
};

struct mail {
	struct mail_kv *vars, *aliases, *ignore, *retain, *alts;
	/* the folder */
	struct mailbox mb;
	int open;			/* mb is open */
	int rdonly;
	int want_rdonly;		/* -H: open read-only */
	int system;			/* the user's system mailbox */
	struct mail_msg *msg;		/* mb.n entries */
	size_t cur;			/* current message (0-based) */
	char folder[4096];		/* its path */
	char prevfolder[4096];		/* for "#" */
	char mboxpath[4096];		/* ~/mbox or MBOX */
	char cfpath[4096];		/* -C, else /etc/mail/sendmail.cf */
	int cf_given;			/* -C: sendmail gets it too */
	struct cf *cf;			/* loaded by mail_cf */
	char user[64];
	char home[4096];
	char host[256];
	char ttycs[40];			/* the terminal's charset */
	int receiving;			/* receive mode (if r) */
	int interactive;		/* commands from a terminal */
	int tty;			/* stdin is a terminal */
	int cols, rows;
	int exit_code;
	/* scratch reused by mail_scan (malloc churn costs in big mboxes) */
	struct mailbox_reader *rd;
	struct msg_hdr *hs;
	struct buf shdr;
	char *win;			/* a window of the mbox for summaries */
	off_t win_off;
	size_t win_len;
	time_t tz_hour;			/* the summary's localtime cache */
	long tz_off;
	int tz_valid;
	int rcdepth;
	int cond_skip;			/* inside a false if ... endif */
	int cond_depth;
};

/* mail.c: the sendmail.cf (-C), loaded the first time (an empty one
 * when it cannot be read: the defaults). */
const struct cf *mail_cf(struct mail *m);

/* vars.c */
const char *mail_var(const struct mail *m, const char *name);
int mail_bool(const struct mail *m, const char *name);
long mail_num(const struct mail *m, const char *name, long def);
void mail_set(struct mail *m, const char *name, const char *val);
void mail_unset(struct mail *m, const char *name);
void mail_kv_add(struct mail_kv **l, const char *key, const char *val);
int mail_kv_del(struct mail_kv **l, const char *key);
const struct mail_kv *mail_kv_find(const struct mail_kv *l, const char *key);
void mail_kv_free(struct mail_kv **l);
/* Splits LINE into words (quotes and backslashes as mailx's); returns the
 * count, at most MAX, words pointing into LINE. */
int mail_words(char *line, char **w, int max);
/* Runs the start-up file PATH (set, unset, alias, ignore, retain, if,
 * source...); 0, or -1 when it cannot be read (ENOENT is quiet). */
int mail_source(struct mail *m, const char *path);
/* One command line; returns 0 to go on, 1 to leave (quit/exit). */
int mail_command(struct mail *m, char *line);
/* "+name", "%", "%user", "#", "&", "~/x" into DST. 0 or -1. */
int mail_expand_folder(const struct mail *m, const char *in, char *dst,
	size_t max);
/* Expands aliases in the address list ADDRS (recursive, bounded) into OUT
 * as a comma-separated list; removes the user unless metoo. */
void mail_expand_aliases(const struct mail *m, const char *addrs,
	struct buf *out);

/* send.c */
struct mail_draft {
	struct buf to, cc, bcc;		/* comma-separated lists */
	struct buf subject, body;
	struct buf extra;		/* In-Reply-To, References lines */
	char **attach;			/* files */
	size_t nattach;
	const char *from;		/* -r */
};
void mail_draft_init(struct mail_draft *d);
void mail_draft_free(struct mail_draft *d);
/* Reads the body (tilde escapes when interactive), then sends.  Returns
 * an exit code. */
int mail_compose(struct mail *m, struct mail_draft *d, int edit_headers);
/* SIGINT caught (ON 1) so a read returns and mail_interrupted() says
 * so, or back to the default (0); nothing under -i. */
void mail_catch_int(struct mail *m, int on);
int mail_interrupted(void);
/* Builds the message and hands it to sendmail.  Returns an exit code. */
int mail_send(struct mail *m, struct mail_draft *d);

/* show.c */
/* Fills the summary fields of message I (reads its header once). */
void mail_scan(struct mail *m, size_t i);
/* Prints the header summary line of message I. */
void mail_headline(struct mail *m, size_t i, FILE *out);
/* Reads message I into OUT (at most its cap): 0, 1 when the message was
 * longer than that (OUT holds its start), -1 with errno. */
int mail_read_msg(struct mail *m, size_t i, struct buf *out);
/* Streams message I to PUT in chunks (any size).  0, or -1 with errno
 * (from the reader, or PUT's). */
int mail_stream_msg(struct mail *m, size_t i,
	int (*put)(void *ctx, const char *p, size_t n), void *ctx);
/* Prints message I: ALL headers or the retained ones, TOP lines of the
 * body (-1: all), MIME decoded into the terminal's charset. */
int mail_print(struct mail *m, size_t i, FILE *out, int all, long top);
/* Lists message I's MIME parts (number, type, size, name). */
int mail_parts(struct mail *m, size_t i, FILE *out);
/* Saves part PART of message I, decoded, to FILE (NULL: its name). */
int mail_savepart(struct mail *m, size_t i, int part, const char *file);
/* Appends UTF-8 text to OUT in the terminal's charset. */
void mail_tty_puts(struct mail *m, FILE *out, const char *s, size_t n);
/* The reply helpers: a header field of message I decoded into OUT
 * ("" when absent); returns whether it was there. */
int mail_field(struct mail *m, size_t i, const char *name, struct buf *out);
/* Sender date in RFC 5322 form, parsed. -1 when not a date. */
time_t mail_parse_date(const char *s);

/* cmd.c */
/* Opens folder PATH (system: the user's mailbox); prints the banner
 * unless quiet.  0, or -1 with a message printed. */
int mail_open(struct mail *m, const char *path, int system, int quiet);
/* Prints the folder line: "PATH": N messages M new ... */
void mail_announce(struct mail *m);
/* Ends the folder session: quit semantics (SAVE 1) or exit (0). */
int mail_close(struct mail *m, int save);
/* The interactive loop. */
int mail_loop(struct mail *m);

#endif
