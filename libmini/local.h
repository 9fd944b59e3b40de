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
 */
#ifndef LIBMINI_LOCAL_H
#define LIBMINI_LOCAL_H
#include <sys/types.h>
#include <time.h>
#include "cf.h"

enum local_kind {
	LOCAL_MAILBOX,		/* user's mailbox: .user */
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

/* Whether ADDR (user, user@host) is local: no domain, or a domain in
 * class w, or "localhost".  Writes the user part into user (max bytes). */
int local_is_local(const struct cf *cf, const char *addr, char *user,
	size_t max);

/* Expands local recipient ADDR into final targets, calling FN for each.
 * Returns 0 (all reported; unknown users come as LOCAL_ERROR 5.1.1), or
 * EX_TEMPFAIL when a map or file needed could not be read (try later),
 * with the reason in err (errmax bytes). */
int local_expand(const struct cf *cf, const char *addr, local_target_fn fn,
	void *ctx, char *err, size_t errmax);

struct local_msg {
	int fd;			/* the message (header + body, LF line ends),
				   read from offset 0 with pread */
	const char *sender;	/* envelope sender, "" for <> */
	const char *rcpt;	/* the original recipient (Delivered-To) */
	const char *qid;	/* queue ID, for logs */
	time_t arrived;		/* for the mbox "From " line */
};

struct local_result {
	int status;		/* 0 delivered, EX_TEMPFAIL retry, other sysexits bounce */
	char dsn[8];		/* enhanced status, "2.0.0", "4.2.2", "5.1.1" */
	char text[512];		/* for the log and the DSN's Diagnostic-Code */
};

/* Delivers MSG to target T.  Never leaves a mailbox half-written: on any
 * failure the mbox is truncated back to its old size, a Maildir's tmp file
 * removed.  Forks to change user when running as root. */
int local_deliver(const struct cf *cf, const struct local_target *t,
	const struct local_msg *msg, struct local_result *res);

#endif
