/*
 * file: durable and careful file operations (contracts in file.h).
 *
 * Commit by rename, as qmail and sendmail's own map builders do: a reader
 * of the target sees the old file or the new one, never a mixture, and a
 * crash leaves at worst a stray temporary beside it.
 */
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Seconds: sendmail's mail.local breaks older dotlocks. */
#define DOTLOCK_STALE 300

/* The folder part of PATH into dst ("." when PATH has no slash). */
static int dir_of(const char *path, char *dst, size_t max)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return str_lcpy(dst, ".", max) < max ? 0 : -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, path, n);
	dst[n] = 0;
	return 0;
}

int file_fsync_dir(const char *path, int dir)
{
	char d[FILE_PATH_MAX];
	int fd, rc, err;

	if (dir) {
		if (str_lcpy(d, path, sizeof d) >= sizeof d) {
			errno = ENAMETOOLONG;
			return -1;
		}
	} else if (dir_of(path, d, sizeof d) < 0)
		return -1;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	err = errno;
	close(fd);
	/* Some file systems cannot sync a folder (EINVAL): nothing to do. */
	if (rc < 0 && err != EINVAL && err != EROFS) {
		errno = err;
		return -1;
	}
	return 0;
}

int file_atomic_open(struct file_atomic *a, const char *path, mode_t mode)
{
	static unsigned counter;
	const char *base = strrchr(path, '/');
	struct timespec ts;
	size_t dlen;
	int tries, n;

	a->fd = -1;
	a->tmp[0] = 0;
	if (str_lcpy(a->path, path, sizeof a->path) >= sizeof a->path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	base = base ? base + 1 : path;
	if (!*base) {
		errno = EISDIR;
		return -1;
	}
	dlen = base - path;
	/* The temporary lives in the target's folder: rename(2) is atomic
	 * only within one file system.  A leading dot keeps it out of
	 * globs; pid, time and a counter make it unique. */
	for (tries = 0; tries < 100; tries++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		n = snprintf(a->tmp, sizeof a->tmp, "%.*s.%s.%ld.%lx%u.tmp",
			(int)dlen, path, base, (long)getpid(),
			(unsigned long)ts.tv_nsec, counter++);
		if (n < 0 || (size_t)n >= sizeof a->tmp) {
			a->tmp[0] = 0;
			errno = ENAMETOOLONG;
			return -1;
		}
		a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, mode & 07777);
		if (a->fd >= 0)
			break;
		if (errno != EEXIST) {
			a->tmp[0] = 0;
			return -1;
		}
	}
	if (a->fd < 0) {
		a->tmp[0] = 0;
		return -1;
	}
	/* The mode asked for, whatever the umask. */
	if (fchmod(a->fd, mode & 07777) < 0) {
		file_atomic_abort(a);
		return -1;
	}
	return 0;
}

int file_atomic_commit(struct file_atomic *a)
{
	int err;

	if (a->fd < 0) {
		errno = EBADF;
		return -1;
	}
	/* Data on disk before the name: otherwise a crash after the rename
	 * could leave an empty target (ext4 delalloc, XFS). */
	if (fsync(a->fd) < 0) {
		file_atomic_abort(a);
		return -1;
	}
	err = close(a->fd);
	a->fd = -1;
	if (err < 0) {	/* NFS reports ENOSPC/EDQUOT here */
		file_atomic_abort(a);
		return -1;
	}
	if (rename(a->tmp, a->path) < 0) {
		file_atomic_abort(a);
		return -1;
	}
	a->tmp[0] = 0;
	/* The rename itself is durable only once the folder is synced.  The
	 * target is already new here: a failure says "not yet durable". */
	return file_fsync_dir(a->path, 0);
}

void file_atomic_abort(struct file_atomic *a)
{
	int err = errno;

	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp[0])
		unlink(a->tmp);
	a->tmp[0] = 0;
	errno = err;
}

int file_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {	/* cannot happen for files; do not spin */
			errno = EIO;
			return -1;
		}
		s += w;
		n -= w;
	}
	return 0;
}

int file_open_safe(const char *path, int flags, mode_t mode, uid_t owner,
	int checks)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	/* Checked on the open file, not the name: no window for a swap. */
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((checks & FILE_CHECK_OWNER) && st.st_uid != owner) {
		errno = EPERM;
		goto fail;
	}
	if ((checks & FILE_CHECK_NOTWRITABLE) && (st.st_mode & 022)) {
		errno = EPERM;
		goto fail;
	}
	return fd;
fail:
	return file_close_fail(fd);
}

int file_lock(int fd, int type, int wait)
{
	struct flock fl;

	memset(&fl, 0, sizeof fl);
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0;		/* 0 = to the end, however it grows */
	if (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) < 0) {
		if (errno == EACCES)	/* POSIX allows either */
			errno = EAGAIN;
		return -1;
	}
	return 0;
}

static int lock_name(const char *path, char *dst, size_t max)
{
	int n = snprintf(dst, max, "%s.lock", path);

	if (n < 0 || (size_t)n >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Whether the holder whose pid LOCK holds is gone (a process of this
 * host: a spool shared over NFS keeps the age rule alone). */
static int holder_gone(const char *lock)
{
	char buf[24], *end;
	int fd = open(lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t n;
	long pid;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	pid = strtol(buf, &end, 10);
	if (pid <= 0 || (*end && *end != '\n'))
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Removes LOCK when it is older than DOTLOCK_STALE or its holder is
 * gone; 1 when removed, 0 when held, -1 stale but not ours to remove (a
 * folder the user may not write: no dotlock then, as if none could be
 * made). */
static int break_stale(const char *lock)
{
	struct stat a, b;

	if (lstat(lock, &a) < 0)
		return errno == ENOENT;
	if (time(NULL) - a.st_mtime < DOTLOCK_STALE && !holder_gone(lock))
		return 0;
	/* Look again just before the unlink, so a lock that was broken and
	 * re-made by another process in between is left alone. */
	if (lstat(lock, &b) < 0)
		return errno == ENOENT;
	if (a.st_ino != b.st_ino || a.st_mtime != b.st_mtime)
		return 0;
	if (unlink(lock) == 0 || errno == ENOENT)
		return 1;
	return errno == EACCES || errno == EPERM ? -1 : 0;
}

int file_dotlock(const char *path, int timeout)
{
	char lock[FILE_PATH_MAX], pid[24];
	struct timespec t0, now;
	int fd, n, r;

	if (lock_name(path, lock, sizeof lock) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, 0644);
		if (fd >= 0) {
			/* The holder's pid, as liblockfile and procmail do. */
			n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
			file_write_all(fd, pid, n);
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return -1;
		if ((r = break_stale(lock)) > 0)
			continue;
		if (r < 0) {
			errno = EACCES;
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= timeout) {
			errno = EAGAIN;
			return -1;
		}
		sleep(1);
	}
}

void file_dotunlock(const char *path)
{
	char lock[FILE_PATH_MAX];
	int err = errno;

	if (lock_name(path, lock, sizeof lock) == 0)
		unlink(lock);
	errno = err;
}

int file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *p = NULL, *q;
	size_t n = 0, cap;
	ssize_t r;
	int fd, err;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	/* The size is a hint (the file may grow, or be a pipe): read to EOF
	 * but never past MAX.  Room for EOF after it: an unchanged file is
	 * read with no realloc, so no copy of it (of secrets: smtpd masks
	 * the passwords in its) stays behind in freed memory. */
	cap = S_ISREG(st.st_mode) && (size_t)st.st_size < max ?
		(size_t)st.st_size + 2 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	for (;;) {
		if (n + 1 >= cap || !p) {
			if (p)
				cap = cap > max / 2 ? max + 1 : cap * 2;
			q = realloc(p, cap + 1);
			if (!q) {
				errno = ENOMEM;
				goto fail;
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
		if (n > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	p[n] = 0;
	*out = p;
	*len = n;
	return 0;
fail:
	err = errno;
	free(p);
	close(fd);
	errno = err;
	return -1;
}

int file_null_fds(unsigned mask)
{
	int fd = open("/dev/null", O_RDWR), i;

	if (fd < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (mask & 1u << i && fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
	return 0;
}

int file_close_fail(int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}
