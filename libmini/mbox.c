/*
 * mbox: the mboxrd writer (contracts in mbox.h).
 *
 * The rules are those of mail.local, procmail and Postfix's local(8):
 * lock with fcntl and a dotlock, append after the current end, fsync, and
 * on any error cut the file back to where it was, so that a failed
 * delivery leaves the mailbox byte-identical.
 */
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char from_[] = "From ";

static int flush_out(struct mbox_append *m)
{
	if (m->err)
		return -1;
	if (m->n && file_write_all(m->fd, m->out, m->n) < 0) {
		m->err = errno ? errno : EIO;
		return -1;
	}
	m->n = 0;
	return 0;
}

static int put(struct mbox_append *m, const char *p, size_t n)
{
	size_t room;

	while (n > 0) {
		if (m->n == sizeof m->out && flush_out(m) < 0)
			return -1;
		room = sizeof m->out - m->n;
		if (room > n)
			room = n;
		memcpy(m->out + m->n, p, room);
		m->n += room;
		p += room;
		n -= room;
	}
	return m->err ? -1 : 0;
}

static int put_gt(struct mbox_append *m, size_t count)
{
	while (count-- > 0)
		if (put(m, ">", 1) < 0)
			return -1;
	return 0;
}

/* A line start that turned out not to be ^>*From : write it as it was. */
static int put_pending(struct mbox_append *m)
{
	int rc = put_gt(m, m->gt);

	if (rc == 0)
		rc = put(m, from_, m->matched);
	m->gt = m->matched = 0;
	m->bol = 0;
	return rc;
}

int mbox_from_line(char *dst, size_t max, const char *sender, time_t when)
{
	char date[40];
	struct tm tm;
	size_t len, i;
	int n;

	if (!sender || !*sender)
		sender = "MAILER-DAEMON";
	/* ctime(3)'s form without its newline: "Mon Nov 23 10:44:57 2026" */
	if (!localtime_r(&when, &tm) ||
	    !strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm))
		return -1;
	n = snprintf(dst, max, "From %s %s\n", sender, date);
	if (n < 0 || (size_t)n >= max)
		return -1;
	/* A reader splits the line on blanks: keep the sender one word. */
	len = strlen(sender);
	for (i = 5; i < 5 + len; i++)
		if ((unsigned char)dst[i] <= ' ' || dst[i] == 0x7f)
			dst[i] = '_';
	return n;
}

/* fcntl lock, polled so that a mailbox held forever cannot hang us:
 * F_SETLKW has no timeout. */
static int lock_fcntl(int fd, int type)
{
	struct timespec ts;
	long waited_ms = 0, step = 2;

	for (;;) {
		if (file_lock(fd, type, 0) == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (waited_ms >= MBOX_LOCK_TIMEOUT * 1000L) {
			errno = EAGAIN;
			return -1;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		waited_ms += step;
		if (step < 100)
			step *= 2;
	}
}

int mbox_lock(int fd, const char *path, int type, int flags,
	int *dotlocked)
{
	*dotlocked = 0;
	if (lock_fcntl(fd, type) < 0)
		return -1;
	if (type != F_WRLCK || (flags & MBOX_NODOTLOCK))
		return 0;
	if (file_dotlock(path, MBOX_LOCK_TIMEOUT) == 0)
		*dotlocked = 1;
	else if (errno != EACCES && errno != EPERM && errno != EROFS) {
		int err = errno;

		file_lock(fd, F_UNLCK, 0);
		errno = err;
		return -1;
	}
	return 0;
}

void mbox_unlock(int fd, const char *path, int dotlocked)
{
	int err = errno;

	if (dotlocked)
		file_dotunlock(path);
	file_lock(fd, F_UNLCK, 0);
	errno = err;
}

static void close_keep_errno(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
}

int mbox_append_open(struct mbox_append *m, const char *path, uid_t owner,
	int flags)
{
	struct stat st, cur;
	int fd, tries, checks;

	memset(m, 0, offsetof(struct mbox_append, out));
	m->fd = -1;
	m->bol = 1;
	m->last = '\n';
	if (str_lcpy(m->path, path, sizeof m->path) >= sizeof m->path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	checks = flags & MBOX_OWNER ? FILE_CHECK_OWNER : 0;
	/* Another program may rename or remove the mailbox while we wait
	 * for its lock (a reader rewriting it): then lock the new one. */
	for (tries = 0; tries < 5; tries++) {
		fd = file_open_safe(path, O_RDWR | O_APPEND, 0600, owner,
			checks);
		if (fd < 0 && errno == ENOENT && (flags & MBOX_CREATE)) {
			/* O_EXCL: we know it is ours to fsync the folder
			 * for; losing a race to another creator is fine. */
			fd = file_open_safe(path, O_RDWR | O_APPEND | O_CREAT |
				O_EXCL, 0600, owner, checks);
			if (fd < 0 && errno == EEXIST)
				continue;
			m->created = fd >= 0;
		}
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0) {
			close_keep_errno(fd);
			return -1;
		}
		/* A hard link could make us append to another file of
		 * the user's, or worse (sendmail's SFF_NOHLINK). */
		if (st.st_nlink != 1) {
			close(fd);
			errno = EMLINK;
			return -1;
		}
		if (lock_fcntl(fd, F_WRLCK) < 0) {
			close_keep_errno(fd);
			return -1;
		}
		if (lstat(path, &cur) == 0 && cur.st_dev == st.st_dev &&
		    cur.st_ino == st.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		errno = EAGAIN;
		return -1;
	}
	if (!(flags & MBOX_NODOTLOCK)) {
		if (file_dotlock(path, MBOX_LOCK_TIMEOUT) == 0)
			m->dotlocked = 1;
		else if (errno != EACCES && errno != EPERM && errno != EROFS) {
			close_keep_errno(fd);
			return -1;
		}
	}
	/* The size under both locks is the point to return to. */
	if (fstat(fd, &st) < 0) {
		if (m->dotlocked)
			file_dotunlock(path);
		close_keep_errno(fd);
		return -1;
	}
	m->fd = fd;
	m->old_size = st.st_size;
	return 0;
}

int mbox_append_from(struct mbox_append *m, const char *sender, time_t when)
{
	char line[1200], tail[2];
	ssize_t r;
	int n;

	if (m->fd < 0) {
		errno = EBADF;
		return -1;
	}
	/* The previous message must end with a blank line, or our From
	 * line would be read as part of its body (ours, mbox_append_end
	 * has ended). */
	if (m->old_size > 0 && !m->more) {
		off_t at = m->old_size >= 2 ? m->old_size - 2 : 0;
		size_t want = m->old_size >= 2 ? 2 : 1;

		r = pread(m->fd, tail, want, at);
		if (r != (ssize_t)want) {
			m->err = r < 0 ? errno : EIO;
			errno = m->err;
			return -1;
		}
		if (tail[want - 1] != '\n') {
			if (put(m, "\n\n", 2) < 0)
				return -1;
		} else if (want == 2 && tail[0] != '\n') {
			if (put(m, "\n", 1) < 0)
				return -1;
		}
	}
	n = mbox_from_line(line, sizeof line, sender, when);
	if (n < 0) {
		m->err = ENAMETOOLONG;
		errno = m->err;
		return -1;
	}
	m->bol = 1;
	m->last = '\n';
	m->open_msg = 1;
	return put(m, line, n);
}

int mbox_append_write(struct mbox_append *m, const void *data, size_t len)
{
	const char *p = data, *end = p + len, *nl;

	if (m->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (len)
		m->last = (unsigned char)end[-1];
	while (p < end) {
		if (m->bol) {
			/* mboxrd: ^>*From  gets one more '>'. */
			if (m->matched == 0 && *p == '>') {
				m->gt++;
				p++;
				continue;
			}
			if (*p == from_[m->matched]) {
				p++;
				if (++m->matched < 5)
					continue;
				if (put_gt(m, m->gt + 1) < 0 ||
				    put(m, from_, 5) < 0)
					return -1;
				m->gt = m->matched = 0;
				m->bol = 0;
				continue;
			}
			if (put_pending(m) < 0)
				return -1;
		}
		/* Inside a line: copy up to and including its newline. */
		nl = memchr(p, '\n', end - p);
		if (!nl) {
			if (put(m, p, end - p) < 0)
				return -1;
			break;
		}
		if (put(m, p, nl + 1 - p) < 0)
			return -1;
		p = nl + 1;
		m->bol = 1;
	}
	return m->err ? (errno = m->err, -1) : 0;
}

/* The end of a message: pending quoting, its last newline, the blank
 * line; the quoting state back to the start of a line. */
static void end_message(struct mbox_append *m)
{
	if (!m->open_msg)
		return;
	if (m->bol && (m->gt || m->matched))
		put_pending(m);
	if (m->last != '\n')
		put(m, "\n", 1);
	put(m, "\n", 1);
	m->open_msg = 0;
	m->bol = 1;
	m->gt = m->matched = 0;
	m->last = '\n';
}

int mbox_append_end(struct mbox_append *m)
{
	if (m->fd < 0) {
		errno = EBADF;
		return -1;
	}
	end_message(m);
	m->more = 1;
	if (m->err) {
		errno = m->err;
		return -1;
	}
	return 0;
}

int mbox_append_commit(struct mbox_append *m)
{
	if (m->fd < 0) {
		errno = EBADF;
		return -1;
	}
	end_message(m);
	/* A new mailbox's name must be on disk too, or a crash could take
	 * the delivered message with it. */
	if (flush_out(m) < 0 || fsync(m->fd) < 0 ||
	    (m->created && file_fsync_dir(m->path, 0) < 0)) {
		if (!m->err)
			m->err = errno;
		errno = m->err;
		mbox_append_abort(m);
		return -1;
	}
	if (m->dotlocked)
		file_dotunlock(m->path);
	m->dotlocked = 0;
	/* Closing releases the fcntl lock, after the data is on disk. */
	close(m->fd);
	m->fd = -1;
	return 0;
}

void mbox_append_abort(struct mbox_append *m)
{
	int err = errno;

	if (m->fd >= 0) {
		/* The whole point: the mailbox as it was before us. */
		if (ftruncate(m->fd, m->old_size) == 0)
			fsync(m->fd);
		if (m->dotlocked)
			file_dotunlock(m->path);
		close(m->fd);
	}
	m->fd = -1;
	m->dotlocked = 0;
	m->n = 0;
	errno = err;
}
