/*
 * maildir: the Maildir format (qmail's, with Dovecot's
 * ",S=size" in the name).
 *
 * A Maildir is a folder with tmp/, new/ and cur/.  A message is written to
 * tmp/UNIQUE, fsynced, then linked (or renamed) to new/UNIQUE,S=SIZE, and
 * new/ fsynced: a reader never sees half a message, and a crash leaves at
 * worst a stray file in tmp/ (readers clean tmp/ files older than 36 h).
 *
 * This module holds delivery (maildir_deliver_*); the reader that mail,
 * pop3d and imapd share will join it here (maildir_scan_*).
 */
#ifndef LIBMINI_MAILDIR_H
#define LIBMINI_MAILDIR_H
#include <sys/types.h>
#include <stddef.h>
#include <sys/time.h>

#define MAILDIR_PATH_MAX 4096
#define MAILDIR_NAME_MAX 256

struct maildir_deliver {
	int fd;				/* the tmp/ file; -1 when closed */
	size_t size;			/* bytes written so far */
	char dir[MAILDIR_PATH_MAX];	/* the Maildir */
	char name[MAILDIR_NAME_MAX];	/* UNIQUE, as in tmp/ */
	char tmp[MAILDIR_PATH_MAX];	/* DIR/tmp/UNIQUE */
};

/* Creates DIR and its tmp/, new/, cur/ (mode 0700) where missing; the
 * parent of DIR must exist.  0, or -1 with errno (ENOTDIR when one of
 * them is not a folder).  Runs as the mailbox owner, so links the owner
 * made are followed: a Maildir may live elsewhere. */
int maildir_make(const char *dir);
/* The Maildir spec's unique name "SEC.M<usec>P<pid>Q<count>.HOST" into dst
 * (max bytes); '/' and ':' in HOST become \057 and \072.  Returns the
 * length, or -1 when it did not fit. */
int maildir_unique(char *dst, size_t max, const struct timeval *tv,
	long pid, unsigned count, const char *host);
/* Starts a delivery into DIR (which must exist, see maildir_make):
 * creates DIR/tmp/UNIQUE with O_EXCL, mode 0600.  0, or -1 with errno. */
int maildir_deliver_open(struct maildir_deliver *d, const char *dir);
/* Appends N bytes of the message, as is (Maildir has no quoting).  0 or
 * -1 with errno (ENOSPC, EDQUOT, ...). */
int maildir_deliver_write(struct maildir_deliver *d, const void *p,
	size_t n);
/* fsync, close, link to DIR/new/UNIQUE,S=SIZE (rename where the file
 * system has no hard links), remove the tmp/ name, fsync new/.  Writes the
 * new/ file name (no folder) into name (max bytes) when name is not NULL.
 * 0; or -1 with errno, and then nothing is left in new/ or tmp/. */
int maildir_deliver_commit(struct maildir_deliver *d, char *name, size_t max);
/* Closes and removes the tmp/ file.  Keeps errno.  Safe when closed. */
void maildir_deliver_abort(struct maildir_deliver *d);

#endif
