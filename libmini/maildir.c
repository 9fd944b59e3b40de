/*
 * maildir: Maildir delivery (contracts in maildir.h).
 *
 * The protocol is qmail's: tmp/, fsync, link into new/.  The file name
 * carries ",S=size" so that Dovecot and our own readers know the size
 * without a stat.
 */
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int join(char *dst, size_t max, const char *dir, const char *sub,
	const char *name)
{
	int n = snprintf(dst, max, "%s/%s%s%s", dir, sub, name ? "/" : "",
		name ? name : "");

	if (n < 0 || (size_t)n >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int maildir_make(const char *dir)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char path[MAILDIR_PATH_MAX];
	size_t i;

	if (make_dir(dir) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (join(path, sizeof path, dir, sub[i], NULL) < 0 ||
		    make_dir(path) < 0)
			return -1;
	return 0;
}

int maildir_unique(char *dst, size_t max, const struct timeval *tv,
	long pid, unsigned count, const char *host)
{
	size_t len;
	int n;

	n = snprintf(dst, max, "%lld.M%ldP%ldQ%u.", (long long)tv->tv_sec,
		(long)tv->tv_usec, pid, count);
	if (n < 0 || (size_t)n >= max)
		return -1;
	len = n;
	/* The spec: '/' and ':' in the host name are written as octal
	 * escapes, since ':' starts the info part of a name. */
	for (; *host; host++) {
		const char *rep = *host == '/' ? "\\057" :
			*host == ':' ? "\\072" : NULL;
		size_t k = rep ? 4 : 1;

		if (len + k >= max)
			return -1;
		memcpy(dst + len, rep ? rep : host, k);
		len += k;
	}
	dst[len] = 0;
	return (int)len;
}

int maildir_deliver_open(struct maildir_deliver *d, const char *dir)
{
	static unsigned count;
	char host[256];
	struct timeval tv;
	int tries;

	d->fd = -1;
	d->size = 0;
	d->tmp[0] = 0;
	if (str_lcpy(d->dir, dir, sizeof d->dir) >= sizeof d->dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (gethostname(host, sizeof host) < 0 || !host[0])
		str_lcpy(host, "localhost", sizeof host);
	host[sizeof host - 1] = 0;
	for (tries = 0; tries < 10; tries++) {
		gettimeofday(&tv, NULL);
		if (maildir_unique(d->name, sizeof d->name, &tv,
		    (long)getpid(), ++count, host) < 0 ||
		    join(d->tmp, sizeof d->tmp, dir, "tmp", d->name) < 0) {
			d->tmp[0] = 0;
			errno = ENAMETOOLONG;
			return -1;
		}
		d->fd = open(d->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, 0600);
		if (d->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	d->tmp[0] = 0;
	return -1;
}

int maildir_deliver_write(struct maildir_deliver *d, const void *p, size_t n)
{
	if (d->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (file_write_all(d->fd, p, n) < 0)
		return -1;
	d->size += n;
	return 0;
}

int maildir_deliver_commit(struct maildir_deliver *d, char *name, size_t max)
{
	char final[MAILDIR_NAME_MAX + 32], path[MAILDIR_PATH_MAX];
	int n, err;

	if (d->fd < 0) {
		errno = EBADF;
		return -1;
	}
	/* Data on disk before the name appears in new/. */
	if (fsync(d->fd) < 0 || (err = close(d->fd), d->fd = -1, err < 0)) {
		maildir_deliver_abort(d);
		return -1;
	}
	n = snprintf(final, sizeof final, "%s,S=%zu", d->name, d->size);
	if (n < 0 || (size_t)n >= sizeof final ||
	    join(path, sizeof path, d->dir, "new", final) < 0) {
		errno = ENAMETOOLONG;
		maildir_deliver_abort(d);
		return -1;
	}
	/* link() never replaces an existing name, unlike rename(). */
	if (link(d->tmp, path) < 0) {
		if (errno != EPERM && errno != ENOSYS && errno != EOPNOTSUPP &&
		    errno != EXDEV) {
			maildir_deliver_abort(d);
			return -1;
		}
		if (access(path, F_OK) == 0) {
			errno = EEXIST;
			maildir_deliver_abort(d);
			return -1;
		}
		if (rename(d->tmp, path) < 0) {
			maildir_deliver_abort(d);
			return -1;
		}
	} else
		unlink(d->tmp);
	d->tmp[0] = 0;
	if (file_fsync_dir(path, 0) < 0) {
		/* Not durable: take it back rather than report a delivery
		 * that a crash could lose, and let the caller retry. */
		err = errno;
		unlink(path);
		errno = err;
		return -1;
	}
	if (name)
		str_lcpy(name, final, max);
	return 0;
}

void maildir_deliver_abort(struct maildir_deliver *d)
{
	int err = errno;

	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->tmp[0])
		unlink(d->tmp);
	d->tmp[0] = 0;
	errno = err;
}
