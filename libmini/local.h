/*
 * local: local delivery (DESIGN.md §4, issue 3 §3).
 *
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
#ifndef LIBMINI_LOCAL_H
#define LIBMINI_LOCAL_H
#include <sys/types.h>
#include <time.h>
#include "cf.h"

#define LOCAL_MAX_DEPTH 20		/* alias/forward/include nesting */
#define LOCAL_MAX_TARGETS 10000		/* targets of one recipient */
#define LOCAL_MAX_LISTFILE (1UL << 20)	/* bytes of a .forward/:include: */
#define LOCAL_MAX_ALIAS 65536		/* bytes of one aliases.db value */
#define LOCAL_PROG_TIMEOUT 3600		/* seconds for a |program or MDA */
#define LOCAL_PROG_OUTPUT 1024		/* bytes of its output kept */
#define LOCAL_MAX_HEADER (256UL << 10)	/* header bytes read for loops */

enum local_kind {
	LOCAL_MAILBOX,		/* user's mailbox: .user; .path holds the
				   +detail ("" none), the MDA's $h */
	LOCAL_FILE,		/* append to .path (mbox format) */
	LOCAL_PROGRAM,		/* pipe to .path via /bin/sh -c */
	LOCAL_REMOTE,		/* a non-local address an alias points to: .path */
	LOCAL_ERROR,		/* error:code text, or unknown user: .status/.text */
};

struct local_target {
	enum local_kind kind;
	char user[64];		/* the mailbox owner / the user to run as */
	char path[1024];	/* file, program command, or remote address */
	uid_t uid;		/* whom to run as (from passwd or virtual users) */
	gid_t gid;
	char home[256];
	char status[8];		/* LOCAL_ERROR: enhanced code "5.1.1" */
	char text[256];		/* LOCAL_ERROR: the reply text */
	char owner[256];	/* owner-LIST address for errors, "" none */
};

/* Called once per final target; returns 0 to go on, -1 to stop. */
typedef int (*local_target_fn)(void *ctx, const struct local_target *t);

/* Whether ADDR (user, user@host, <user@host>) is local: no domain, or a
 * domain in class w, or "localhost" (a trailing dot ignored).  Writes the
 * user part, as written, into user (max bytes; cut when remote).  1
 * local, 0 not, -1 for a malformed address (empty user or domain, over
 * 1 KiB) or a local user part that does not fit. */
int local_is_local(const struct cf *cf, const char *addr, char *user,
	size_t max);

/* Expands local recipient ADDR into final targets, calling FN for each.
 * Returns 0 (all reported; unknown users come as LOCAL_ERROR 5.1.1), or
 * EX_TEMPFAIL when a map or file needed could not be read (try later),
 * with the reason in err (errmax bytes). */
int local_expand(const struct cf *cf, const char *addr, local_target_fn fn,
	void *ctx, char *err, size_t errmax);

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
	/* Called with the result in the process that delivered (the user's,
	 * when local_deliver forked one), before it reports back: a queue
	 * runner records the result there, so a runner killed meanwhile
	 * loses nothing.  Returns 0 when recorded (res->recorded is then
	 * set for the caller).  NULL: none. */
	int (*done)(void *arg, struct local_result *res);
	void *done_arg;
};

/* The mailbox of USER (home HOME) per PostboxMailbox (cf.h): the path
 * into dst (max bytes) and LOCAL_MBOX or LOCAL_MAILDIR; -1 with errno
 * (EINVAL: a bad setting or a user name with '/' or a leading '.';
 * ENOENT: "~" without a home; ENAMETOOLONG).  pop3d, imapd and mail use
 * the same function, so they read where delivery writes. */
#define LOCAL_MBOX 0
#define LOCAL_MAILDIR 1
#define LOCAL_MAILBOX_DEFAULT "mbox:/var/mail/%u"
int local_mailbox(const struct cf *cf, const char *user, const char *home,
	char *dst, size_t max);

/* DefaultUser (user, user:group, uid:gid, uid), else mailnull, nobody,
 * 65534:65534; never uid 0.  Always 0. */
int local_default_user(const struct cf *cf, uid_t *uid, gid_t *gid);

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

#endif
