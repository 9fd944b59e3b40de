/*
 * sendmail's own parts (applets/sendmail.c and the files of applets/sendmail/):
 * the state of one run, the address parser, local expansion and delivery,
 * the queue runner with its transports, and the DSN writer.  Not a
 * libmini module: only sendmail uses these (smtpd will share the address
 * parser when it needs it).
 */
#ifndef SENDMAIL_SENDMAIL_H
#define SENDMAIL_SENDMAIL_H
#include "libmini.h"
#include <signal.h>
#include <stdio.h>

#define SM_MAX_ADDR 320		/* RFC 5321 4.5.3.1: 64 + @ + 255 */

/* --- expand.c and deliver.c: local delivery --------------------------- */
/*
 * Two steps, so the queue can record each final target's state on its own
 * and never deliver a target twice after a crash:
 *   1. local_expand turns a local recipient into final targets (aliases,
 *      :include:, ~/.forward, virtual users), detecting loops;
 *   2. local_deliver delivers the message to one target: a mailbox (mbox
 *      or Maildir per PostboxMailbox, or the Mlocal MDA), a /file, or a
 *      |program, as the target's user (never as root).
 * The queue runner persists the expansion in the envelope before it
 * delivers, then records each target's result.
 *
 * Expansion (sendmail 8's rules):
 *  - aliases: every AliasFile in order, its database as map_spec_alias
 *    names it (PATH.db, PATH.cdb for "cdb:PATH"; keys lower-cased, keys
 *    and values NUL-terminated; "ldap:" and other types without a file
 *    are skipped); for user+detail the keys user+detail, user+*, user.  A
 *    missing PATH.db while PATH holds entries is EX_TEMPFAIL ("run
 *    newaliases", as Postfix defers); no PATH, or one with only blank
 *    and comment lines, is "no aliases".  owner-LIST, when it exists,
 *    becomes the .owner of every target of LIST.
 *  - a name naming itself inside its own alias or .forward ("root: root,
 *    admin") is its mailbox; a longer cycle adds nothing (its members are
 *    being expanded already), and when the whole expansion then reaches
 *    no target at all, or goes deeper than LOCAL_MAX_DEPTH, the result is
 *    LOCAL_ERROR 5.4.6 "aliasing/forwarding loop broken".  Duplicate
 *    targets are reported once.
 *  - "\user" in a list is the user's mailbox, no alias or .forward
 *    consulted; as the address itself it is only the name "user" (no
 *    sender may skip a user's .forward).
 *  - users: PostboxVirtualUsers (vusers.h) first, then passwd.  Unknown:
 *    LOCAL_ERROR 5.1.1 "User unknown", or "NAME... User unknown" for a
 *    member of a list (postmaster falls back to root, RFC 5321 4.5.1).
 *  - ~/.forward per ForwardPath ($z home, $u user, $h detail, other
 *    macros from the cf), read as the user; used only when owned by the
 *    user or root and not group- or world-writable, in a folder with the
 *    same properties, else ignored with a log line; an empty one is no
 *    forward.
 *  - :include:/path: read as root when root's file (the aliases) names
 *    it, else as the controlling user; ignored with a log line when
 *    world-writable, or below a folder writable by group or others or
 *    owned by someone else than root or the reader (sendmail's
 *    safefile); its targets run as its owner.
 *  - |program, /file and :include: from the address itself (command line,
 *    RCPT) are LOCAL_ERROR 5.7.1 "Cannot mail directly to programs"
 *    ("files", ":include:s"), as sendmail refuses them.
 *  - error:D.S.N:### text, error:### text, error:nouser text (sysexits
 *    names) become LOCAL_ERROR with that status (4.x.x: temporary).
 * The controlling user (whom a |program or /file runs as, in .user/.uid)
 * is the owner of the .forward or :include: file that named it, or of the
 * aliases database; root is replaced by DefaultUser (then mailnull,
 * nobody, 65534), so no such target ever runs as root.
 *
 * Delivery: local_deliver runs each delivery in a child process, which,
 * as root, becomes the target user before touching any file, and which
 * finishes its write even when the caller is stopped (SIGTERM, SIGINT,
 * SIGHUP, SIGQUIT wait; only SIGKILL cuts it short).  Run by another
 * user (no privileges), it delivers only to targets of that same uid;
 * others get EX_TEMPFAIL 4.3.0 and wait for a privileged queue run
 * (sendmail run by a user cannot write other users' mailboxes either,
 * and the mail must not bounce for it).  Every delivery first writes
 * "Return-Path: <sender>" and "Delivered-To: rcpt" above the message.
 */
#define LOCAL_MAX_DEPTH 20		/* alias/forward/include nesting */
#define LOCAL_MAX_TARGETS 10000		/* targets of one recipient */
#define LOCAL_MAX_LISTFILE (1UL << 20)	/* bytes of a .forward/:include: */
#define LOCAL_MAX_ALIAS 65536		/* bytes of one aliases.db value */
#define LOCAL_PROG_TIMEOUT 3600		/* seconds for a |program or MDA */
#define LOCAL_PROG_OUTPUT 1024		/* bytes of its output kept */
#define LOCAL_MAX_HEADER (256UL << 10)	/* header bytes read for loops */

/* Called once per final target; returns 0 to go on, -1 to stop. */
typedef int (*local_target_fn)(void *ctx, const struct local_target *t);

/* Expands local recipient ADDR into final targets, calling FN for each.
 * Returns 0 (all reported; unknown users come as LOCAL_ERROR 5.1.1), or
 * EX_TEMPFAIL when a map or file needed could not be read (try later),
 * with the reason in err (errmax bytes). */
int local_expand(const struct cf *cf, const char *addr, local_target_fn fn,
	void *ctx, char *err, size_t errmax);

/* Expands $z (home), $u (user), $h (detail), $f/$g (sender) and the cf's
 * own macros in S into dst (max bytes).  0, or -1 when it does not fit. */
struct vars {
	const char *user, *home, *detail, *sender;
};
int expand_vars(const struct cf *cf, const char *s, const struct vars *v,
	char *dst, size_t max);

struct local_result {
	int status;		/* 0 delivered, EX_TEMPFAIL retry, other sysexits bounce */
	char dsn[8];		/* enhanced status, "2.0.0", "4.2.2", "5.1.1" */
	char text[512];		/* for the log and the DSN's Diagnostic-Code */
	int recorded;		/* msg->done returned 0 */
	int died;		/* the delivering process ended without
				   reporting: what its done hook journaled,
				   if anything, is the result */
};

struct local_msg {
	int fd;			/* the message (header + body, LF line ends),
				   read from offset 0 with pread */
	const char *sender;	/* envelope sender, "" for <> */
	const char *rcpt;	/* the original recipient (Delivered-To) */
	const char *qid;	/* queue ID, for logs */
	time_t arrived;		/* for the mbox "From " line */
	/* Called with the result in the process that delivered (the
	 * delivery process, or a |program's child), with DONE_FD (an fd it
	 * records into, -1 none), before it reports back: a queue runner
	 * records the result there, so a runner killed meanwhile loses
	 * nothing.  Returns 0 when recorded (res->recorded is then set for
	 * the caller).  NULL: none.  DONE_ARG is DONE_LEN bytes of plain
	 * data (no pointers: the delivery process gets a copy). */
	int (*done)(void *arg, int done_fd, struct local_result *res);
	void *done_arg;
	size_t done_len;
	int done_fd;
};

/* Whether Mlocal's P=, when it names an external MDA, is a file that
 * can be executed: 0, or -1 with what is wrong and what to do in why
 * (max bytes; "Mlocal P=/usr/bin/procmail: not found; install procmail
 * or use P=/usr/lib/sm.bin/mail.local ...").  For a warning when the cf
 * is loaded; delivery itself finds the rest (a missing shared library)
 * and defers. */
int local_mailer_check(const struct cf *cf, char *why, size_t max);

/* Delivers MSG to target T.  Never leaves a mailbox half-written: on any
 * failure the mbox is truncated back to its old size, a Maildir's tmp file
 * removed.  Returns res->status.
 *  - LOCAL_MAILBOX: Mlocal's P= when it names an external MDA (anything
 *    but mail.local or postbox): run with A= ($u user, $h detail, $f/$g
 *    sender or "<>", $z home) as the user, or as root with F=S; else the
 *    mailbox of local_mailbox(): mbox (created 0600 when absent; refused,
 *    temporarily, when a symbolic link, hard-linked or not the user's) or
 *    Maildir (made when missing, with the folders above it, as the user).
 *  - LOCAL_FILE: appended in mbox format as .uid, or as the file's owner
 *    (group) when it is set-user-ID (set-group-ID) and not root's, as
 *    sendmail does (/dev/null: discarded); a file that cannot be opened
 *    is EX_CANTCREAT 5.2.0.
 *  - LOCAL_PROGRAM: /bin/sh -c .path as .uid, in .home (else /), with
 *    only SENDER RECIPIENT HOME USER LOGNAME SHELL=/bin/sh
 *    PATH=/usr/bin:/bin in its environment; exit 0 delivered; 75, 71, 74
 *    EX_TEMPFAIL; a signal or LOCAL_PROG_TIMEOUT: EX_TEMPFAIL; a program
 *    that cannot be executed (execve fails, or exit 126 or 127: the
 *    shell's "not found", the dynamic loader's missing library):
 *    EX_TEMPFAIL 4.3.5 naming it (for the MDA, with what to do); other codes
 *    bounce with the first LOCAL_PROG_OUTPUT bytes of its output in
 *    .text.  An MDA's exit codes read the same way.
 *  - LOCAL_ERROR: its status (4.x.x EX_TEMPFAIL, 5.1.1 EX_NOUSER, else
 *    EX_UNAVAILABLE); LOCAL_REMOTE: EX_TEMPFAIL (not ours).
 *  - a message whose header already holds "Delivered-To: RCPT" (the line
 *    this delivery would add) came back through a forward: EX_UNAVAILABLE
 *    5.4.6 "mail forwarding loop for RCPT", as Postfix.
 * The caller must not ignore SIGCHLD (children are waited for). */
int local_deliver(const struct cf *cf, const struct local_target *t,
	const struct local_msg *msg, struct local_result *res);

/* Delivers N messages to one target T, each with its own result in
 * res[N].  An mbox mailbox takes them all in one process that becomes
 * the user, under one lock with one fsync (they stand or fall together;
 * a message that came back through a forward gets its 5.4.6 alone), and
 * calls each message's done hook there; any other target is delivered
 * one message at a time (local_deliver). */
void local_deliver_batch(const struct cf *cf, const struct local_target *t,
	const struct local_msg *const *msgs, size_t n,
	struct local_result *res);

/* The delivery process (README "The mail flow"), if started, told to
 * end and waited for: at the end of a queue run. */
void local_deliver_end(void);

/* Queue-run selection: -qR, -qS, -qI substrings, "!" negates. */
struct sm_select {
	char what;			/* 'R', 'S', 'I' or 0 for all */
	int negate;
	const char *substr;
};

struct sm;

/* A transport delivers the message to recipients it is given and sets
 * each one's result.  local runs one target; remote gets every pending
 * non-local recipient of the entry at once, so the SMTP client (smtp.c)
 * groups them by destination. */
struct sm_transport {
	const char *name;		/* the log's mailer= */
	int (*deliver)(struct sm *sm, struct queue_entry *q,
		const size_t *idx, size_t n, struct local_result *res);
};

struct sm {
	struct cf cf;
	const char *qdir;
	char user[64];			/* the invoking user's login */
	uid_t uid;
	int verbose;			/* -v: transcript out, log err */
	int force;			/* a -q run ignores the retry times */
	long queuewarn, queuereturn;	/* Timeout.queue{warn,return} */
	struct sm_transport local, remote;
	struct smtp *smtp;		/* smtp.c's state for the run */
	/* Reports queued by this process, delivered before it ends. */
	char (*dsn_ids)[QUEUE_ID_LEN + 1];
	size_t n_dsn, cap_dsn;
	/* smtpd's delivery agent (-bQ): an entry with remote recipients is
	 * unlocked and given to this (a process of its own); NULL: the
	 * runner delivers them itself. */
	void (*handoff)(struct sm *sm, const char *id);
	/* Set by a signal handler: a queue run ends after the batch of
	 * entries at hand (NULL: never asked). */
	const volatile sig_atomic_t *stop;
};

/* --- addr.c --------------------------------------------------------- */
/* Calls FN with each address (addr-spec, display names and comments
 * dropped, "<>" as "") of the RFC 5322 address list S: "a@b, Name
 * <c@d>, group: e@f;".  0, or -1 with the reason in err; FN returning
 * -1 stops with -1. */
int sm_addr_list(const char *s, int (*fn)(void *ctx, const char *addr),
	void *ctx, char *err, size_t errmax);
/* Whether ADDR is a well-formed addr-spec or bare local part (RFC 5321
 * 4.1.2 syntax, UTF-8 allowed): 1, or 0 with the reason in err. */
int sm_addr_valid(const char *addr, char *err, size_t errmax);

/* --- runner.c --------------------------------------------------------- */
/* Sets up the transports (local, remote) and the timeouts from sm->cf. */
void sm_runner_init(struct sm *sm);
/* Works on entry ID once (locked; skipped when another runner holds it).
 * Returns 0, or -1 when the entry could not be worked on. */
int sm_run_entry(struct sm *sm, const char *id);
/* Works on the N entries IDS at once (smtpd's delivery agent, a queue
 * run): those for one local mailbox each are delivered per mailbox in one
 * process, one lock and one fsync for all (local_deliver_batch); the
 * others one by one (sm_run_entry).  Entries not due are skipped unless
 * sm->force.  0, or -1 when one could not be worked on. */
int sm_run_batch(struct sm *sm, char (*ids)[QUEUE_ID_LEN + 1], size_t n);
/* Works on the reports this process queued meanwhile (a bounce reaches
 * its reader now, not at the next queue run). */
void sm_run_reports(struct sm *sm);
/* One queue run over every entry matching SEL (may be NULL). */
int sm_run_queue(struct sm *sm, const struct sm_select *sel);
/* S seconds in sendmail's delay= form, [days+]HH:MM:SS, into dst. */
void sm_fmt_delay(long s, char *dst, size_t max);
/* The RFC 5322 date of T into dst. */
void sm_date(time_t t, char *dst, size_t max);
/* Qualifies ADDR with $j when it has no domain, into dst. */
void sm_qualify(const struct sm *sm, const char *addr, char *dst,
	size_t max);

/* --- smtp.c ---------------------------------------------------------- */
/* The remote transport (struct sm_transport's deliver): routes IDX[N]
 * by domain (mailertable, smart host, MX), delivers over SMTP, sets each
 * RES and logs each recipient's line (with relay= and verify=).  May keep
 * the connection open for the next message of the run. */
int sm_smtp_deliver(struct sm *sm, struct queue_entry *q, const size_t *idx,
	size_t n, struct local_result *res);
/* Ends the run's kept connection (QUIT) and frees the transport's state. */
void sm_smtp_end(struct sm *sm);

/* --- bt.c ------------------------------------------------------------ */
/* -bt: for each of the N addresses (or each stdin line when N is 0),
 * prints the map keys tried with their results and the decision. */
int sm_address_test(struct sm *sm, char **addrs, int n);
/* -bv for ADDR in another domain: where the runner takes it (mailertable,
 * smart host, MX: decide_remote), in sendmail's words.  0, or the exit
 * code (EX_TEMPFAIL, EX_UNAVAILABLE for a mailertable error: entry). */
int sm_verify_remote(struct sm *sm, const char *addr);

/* --- dsn.c ------------------------------------------------------------ */
enum sm_dsn { SM_DSN_FAILED, SM_DSN_DELAYED, SM_DSN_DELIVERED };
/* Queues an RFC 3464 report about recipients IDX (n of them) of entry Q
 * to TO (never ""); the report's envelope sender is <>.  Returns 0, or
 * -1 when it could not be queued (try again later). */
int sm_dsn_queue(struct sm *sm, struct queue_entry *q, enum sm_dsn what,
	const char *to, const size_t *idx, size_t n);

#endif
