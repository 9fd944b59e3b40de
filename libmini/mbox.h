/*
 * mbox: the Unix mailbox format, mboxrd flavour (ARCHITECTURE.md, "Mailboxes").
 *
 * A mailbox is a series of messages, each starting with a line
 * "From SENDER DATE" (DATE in asctime form, local time), ending with a
 * blank line.  mboxrd quoting keeps the body intact: on writing, any line
 * matching ^>*From  gets one more '>'; a reader removes one.
 *
 * This module holds the writer (mbox_append_*) and the delivery locks
 * (mbox_lock); the reader that mail, pop3d and imapd share is mailbox.h.
 *
 * The writer never corrupts a mailbox: it opens without following
 * symbolic links, checks the owner on the open file, takes an fcntl lock
 * and a dotlock, remembers the size, appends, fsyncs, and on any failure
 * truncates the file back to that size.  (A writer killed outright, by
 * SIGKILL or a crash, cannot truncate: its partial message stays, as with
 * mail.local and Postfix; the queue then delivers the message again.)
 */
#ifndef LIBMINI_MBOX_H
#define LIBMINI_MBOX_H
#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#define MBOX_PATH_MAX 4096
#define MBOX_LOCK_TIMEOUT 120	/* seconds to wait for either lock */

/* mbox_append_open flags */
#define MBOX_CREATE	1	/* create the file (mode 0600) when absent */
#define MBOX_OWNER	2	/* refuse a file not owned by OWNER (EPERM) */
#define MBOX_NODOTLOCK	4	/* fcntl lock only (no PATH.lock) */

struct mbox_append {
	int fd;			/* -1 when closed */
	off_t old_size;		/* the size before this message */
	int dotlocked;		/* PATH.lock is ours */
	int created;		/* we created PATH (its folder needs fsync) */
	int err;		/* first errno seen while writing, 0 none */
	/* mboxrd quoting state, carried across mbox_append_write calls */
	int bol;		/* at the beginning of a line */
	size_t gt;		/* '>' seen at the start of this line */
	size_t matched;		/* bytes of "From " matched after them */
	int last;		/* the last byte of the message written */
	int open_msg;		/* a message is started and not yet ended */
	int more;		/* a message of ours precedes: no tail check */
	size_t n;		/* bytes pending in out */
	char out[4096];
	char path[MBOX_PATH_MAX];
};

/* Opens PATH for appending one message: O_NOFOLLOW (ELOOP for a symbolic
 * link), a regular file (EINVAL), owned by OWNER when MBOX_OWNER (EPERM),
 * created mode 0600 when absent and MBOX_CREATE (ENOENT otherwise); then
 * the fcntl write lock and the dotlock, each waited for up to
 * MBOX_LOCK_TIMEOUT seconds (EAGAIN after).  A folder where PATH.lock
 * cannot be created (EACCES, EPERM, EROFS) means fcntl locking only, as
 * procmail and mutt do.  0, or -1 with errno and nothing held. */
int mbox_append_open(struct mbox_append *m, const char *path, uid_t owner,
	int flags);
/* Starts the message: a newline first when the mailbox does not end with
 * one, then "From SENDER DATE\n" (mbox_from_line).  0 or -1. */
int mbox_append_from(struct mbox_append *m, const char *sender, time_t when);
/* Appends N bytes of the message (any chunking), quoting ^>*From  lines.
 * Buffered: errors may show here or at commit.  0 or -1 (errno). */
int mbox_append_write(struct mbox_append *m, const void *p, size_t n);
/* Ends the message (a newline when it lacks one, then the blank line)
 * without syncing, so that mbox_append_from can start another one under
 * the same lock: a batch of messages for one mailbox costs one fsync
 * (smtpd's delivery agent).  All of them stand or fall together: commit
 * keeps them all, a failure truncates them all away.  0 or -1 (errno). */
int mbox_append_end(struct mbox_append *m);
/* Ends the message still open (as mbox_append_end), flushes, fsyncs (and
 * the folder when the file was created here), unlocks and closes.  0; or
 * -1 with errno after truncating back to the old size (as
 * mbox_append_abort). */
int mbox_append_commit(struct mbox_append *m);
/* Truncates back to the old size, fsyncs, unlocks, closes.  Keeps errno.
 * Safe to call on a closed struct. */
void mbox_append_abort(struct mbox_append *m);

/* The delivery locks on FD, open on PATH: the fcntl lock TYPE (F_RDLCK
 * to read, F_WRLCK to change), waited for up to MBOX_LOCK_TIMEOUT
 * seconds, then for F_WRLCK the dotlock PATH.lock (unless MBOX_NODOTLOCK
 * in FLAGS; a folder where it cannot be created means fcntl only).
 * *DOTLOCKED says whether PATH.lock is ours.  0, or -1 with errno
 * (EAGAIN after the timeout) and nothing held.  Readers and rewriters
 * (mailbox.c) exclude delivery with them. */
int mbox_lock(int fd, const char *path, int type, int flags,
	int *dotlocked);
/* Releases what mbox_lock took.  Keeps errno. */
void mbox_unlock(int fd, const char *path, int dotlocked);

/* Formats "From SENDER Www Mmm dd hh:mm:ss yyyy\n" into dst (max bytes):
 * SENDER "" becomes MAILER-DAEMON, blanks and control characters in it
 * become '_' so the line stays one word plus a date; the date is WHEN in
 * local time, as ctime(3) prints it.  Returns the length, or -1 when it
 * did not fit. */
int mbox_from_line(char *dst, size_t max, const char *sender, time_t when);

#endif
