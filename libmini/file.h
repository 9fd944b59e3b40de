/*
 * file: durable and careful file operations.
 *
 * Commit by rename (ARCHITECTURE.md, "How the code is written"): write a temporary file in the target's
 * own folder, fsync it, rename it over the target, fsync the folder.  A
 * reader sees the old file or the new one, never half of one, and after a
 * crash at any instant the target is one of the two.
 */
#ifndef LIBMINI_FILE_H
#define LIBMINI_FILE_H
#include <sys/types.h>
#include <stddef.h>

#define FILE_PATH_MAX 4096

struct file_atomic {
	int fd;				/* write here; -1 when closed */
	char path[FILE_PATH_MAX];	/* the target */
	char tmp[FILE_PATH_MAX];	/* the temporary, same folder */
};

/* Creates a new temporary file beside PATH (O_EXCL, O_NOFOLLOW, mode MODE)
 * for an atomic replace.  0, or -1 with errno (ENAMETOOLONG, EACCES,
 * ENOENT for a missing folder, ...). */
int file_atomic_open(struct file_atomic *a, const char *path, mode_t mode);
/* fsync, close, rename over the target, fsync the folder.  0, or -1 with
 * errno; on failure the temporary is removed and the target is untouched
 * (ENOSPC from a full disk is reported here or by the writes before). */
int file_atomic_commit(struct file_atomic *a);
/* Closes and removes the temporary; the target is untouched. */
void file_atomic_abort(struct file_atomic *a);

/* write() all of it, retrying on EINTR and short writes.  0 or -1. */
int file_write_all(int fd, const void *p, size_t n);
/* fsync the folder that holds PATH (the folder itself when DIR is 1). */
int file_fsync_dir(const char *path, int dir);

/* Opens PATH with O_NOFOLLOW|O_CLOEXEC plus FLAGS.  Then checks the open
 * file (fstat, so no race): a regular file (EINVAL otherwise); when
 * FILE_CHECK_OWNER, owned by OWNER (EPERM otherwise); when
 * FILE_CHECK_NOTWRITABLE, not writable by group or others (EPERM).
 * Returns the fd or -1 with errno (ELOOP for a symbolic link). */
#define FILE_CHECK_OWNER	1
#define FILE_CHECK_NOTWRITABLE	2
int file_open_safe(const char *path, int flags, mode_t mode, uid_t owner,
	int checks);

/* fcntl lock on the whole file: TYPE is F_RDLCK, F_WRLCK or F_UNLCK;
 * WAIT 0 fails at once with EAGAIN when held.  0 or -1. */
int file_lock(int fd, int type, int wait);

/* sendmail's dotlock beside a mailbox: creates PATH.lock with O_EXCL,
 * retrying for up to TIMEOUT seconds and breaking a lock older than
 * 5 minutes or whose holder (the pid in it) is gone.  0 or -1 (EAGAIN
 * when still held at the timeout; EACCES when it cannot be made, or is
 * stale and cannot be removed: the caller goes on without). */
int file_dotlock(const char *path, int timeout);
void file_dotunlock(const char *path);

/* Reads a whole file of at most MAX bytes into a malloc'ed, NUL-terminated
 * buffer (*out, *len).  0, or -1 with errno (EFBIG past MAX). */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

/* Points each of fds 0, 1 and 2 whose bit (1 << fd) is set in MASK at
 * /dev/null, as a detached process or one that hands its connection on
 * does.  0, or -1 with errno when /dev/null cannot be opened (the fds are
 * then left as they were). */
int file_null_fds(unsigned mask);

/* Closes FD (when >= 0) keeping errno as it was, for a failure path;
 * returns -1. */
int file_close_fail(int fd);

#endif
