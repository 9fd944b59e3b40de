/* Unit tests of file: atomic replace, safe opens, locks, whole reads. */
#include "libmini.h"
#include "unit.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static char dir[256];

static const char *at(const char *name)
{
	static char p[2][512];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void put(const char *name, const char *s)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	file_write_all(fd, s, strlen(s));
	close(fd);
}

/* Number of entries in the scratch folder (temporaries left behind). */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") &&
				strcmp(e->d_name, "..")))
			n++;
	closedir(d);
	return n;
}

static void test_atomic(void)
{
	struct file_atomic a;
	struct stat st;
	char *s;
	size_t n;
	int before;

	put("t", "old\n");
	before = entries();
	CHECK(file_atomic_open(&a, at("t"), 0640) == 0, "atomic open");
	CHECK(strncmp(a.tmp, dir, strlen(dir)) == 0 &&
		strchr(a.tmp + strlen(dir) + 1, '/') == NULL,
		"temporary in the target's folder");
	CHECK(file_write_all(a.fd, "new\n", 4) == 0, "write_all");
	CHECK(file_read_all(at("t"), 100, &s, &n) == 0 &&
		strcmp(s, "old\n") == 0, "target untouched before commit");
	free(s);
	CHECK(file_atomic_commit(&a) == 0, "commit");
	CHECK(file_read_all(at("t"), 100, &s, &n) == 0 && n == 4 &&
		strcmp(s, "new\n") == 0, "target replaced");
	free(s);
	CHECK(stat(at("t"), &st) == 0 && (st.st_mode & 07777) == 0640,
		"mode as asked, umask ignored");
	CHECK(entries() == before, "no temporary left after commit");

	CHECK(file_atomic_open(&a, at("t"), 0600) == 0, "atomic open again");
	file_write_all(a.fd, "junk", 4);
	file_atomic_abort(&a);
	CHECK(file_read_all(at("t"), 100, &s, &n) == 0 &&
		strcmp(s, "new\n") == 0, "abort keeps the target");
	free(s);
	CHECK(entries() == before, "abort removes the temporary");

	CHECK(file_atomic_open(&a, at("nosuch/t"), 0600) == -1 &&
		errno == ENOENT, "missing folder: ENOENT");
	CHECK(file_atomic_open(&a, at(""), 0600) == -1, "folder as target");
	{
		char longp[FILE_PATH_MAX + 10];

		memset(longp, 'x', sizeof longp - 1);
		longp[sizeof longp - 1] = 0;
		CHECK(file_atomic_open(&a, longp, 0600) == -1 &&
			errno == ENAMETOOLONG, "long path: ENAMETOOLONG");
	}
	/* Relative names have "." as their folder. */
	CHECK(chdir(dir) == 0 && file_atomic_open(&a, "rel", 0644) == 0 &&
		file_atomic_commit(&a) == 0 && access(at("rel"), F_OK) == 0,
		"relative target");
	CHECK(file_fsync_dir(dir, 1) == 0, "fsync_dir on a folder");
	CHECK(file_fsync_dir(at("t"), 0) == 0, "fsync_dir of a file's folder");
}

static void test_open_safe(void)
{
	int fd;

	put("plain", "x");
	chmod(at("plain"), 0644);
	fd = file_open_safe(at("plain"), O_RDONLY, 0, getuid(),
		FILE_CHECK_OWNER | FILE_CHECK_NOTWRITABLE);
	CHECK(fd >= 0, "open_safe plain file");
	if (fd >= 0)
		close(fd);
	symlink("plain", at("link"));
	CHECK(file_open_safe(at("link"), O_RDONLY, 0, 0, 0) == -1 &&
		errno == ELOOP, "open_safe refuses a symlink (ELOOP)");
	CHECK(file_open_safe(dir, O_RDONLY, 0, 0, 0) == -1 && errno == EINVAL,
		"open_safe refuses a folder (EINVAL)");
	mkfifo(at("fifo"), 0600);
	CHECK(file_open_safe(at("fifo"), O_RDONLY | O_NONBLOCK, 0, 0, 0) == -1
		&& errno == EINVAL, "open_safe refuses a fifo");
	CHECK(file_open_safe(at("plain"), O_RDONLY, 0, getuid() + 1,
		FILE_CHECK_OWNER) == -1 && errno == EPERM,
		"open_safe owner check (EPERM)");
	chmod(at("plain"), 0666);
	CHECK(file_open_safe(at("plain"), O_RDONLY, 0, 0,
		FILE_CHECK_NOTWRITABLE) == -1 && errno == EPERM,
		"open_safe refuses group/other writable");
	fd = file_open_safe(at("plain"), O_RDONLY, 0, 0, 0);
	CHECK(fd >= 0, "open_safe without checks");
	if (fd >= 0)
		close(fd);
	fd = file_open_safe(at("created"), O_WRONLY | O_CREAT | O_EXCL, 0600,
		getuid(), FILE_CHECK_OWNER);
	CHECK(fd >= 0, "open_safe creates");
	if (fd >= 0)
		close(fd);
}

static void test_lock(void)
{
	int fd = open(at("plain"), O_RDWR), st;
	pid_t pid;

	CHECK(file_lock(fd, F_WRLCK, 0) == 0, "fcntl write lock");
	/* fcntl locks are per process: try from a child. */
	pid = fork();
	if (pid == 0) {
		int fd2 = open(at("plain"), O_RDWR);

		if (file_lock(fd2, F_WRLCK, 0) == -1 && errno == EAGAIN &&
				file_lock(fd2, F_RDLCK, 0) == -1)
			_exit(0);
		_exit(1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"held lock: EAGAIN in another process");
	CHECK(file_lock(fd, F_UNLCK, 0) == 0, "unlock");
	pid = fork();
	if (pid == 0) {
		int fd2 = open(at("plain"), O_RDWR);

		_exit(file_lock(fd2, F_WRLCK, 1) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "lock free after unlock");
	close(fd);
}

static void test_dotlock(void)
{
	struct utimbuf old;
	char *s;
	size_t n;

	CHECK(file_dotlock(at("mbox"), 0) == 0, "dotlock taken");
	CHECK(file_read_all(at("mbox.lock"), 64, &s, &n) == 0 &&
		atol(s) == (long)getpid(), "dotlock holds the pid");
	free(s);
	CHECK(file_dotlock(at("mbox"), 0) == -1 && errno == EAGAIN,
		"held dotlock: EAGAIN at timeout 0");
	file_dotunlock(at("mbox"));
	CHECK(access(at("mbox.lock"), F_OK) == -1, "dotunlock removes");
	/* A lock older than 5 minutes is broken. */
	put("mbox.lock", "1\n");
	old.actime = old.modtime = time(NULL) - 3600;
	utime(at("mbox.lock"), &old);
	CHECK(file_dotlock(at("mbox"), 0) == 0, "stale dotlock broken");
	file_dotunlock(at("mbox"));
	CHECK(file_dotlock(at("nosuch/mbox"), 0) == -1 && errno == ENOENT,
		"dotlock in a missing folder: ENOENT");
}

static void test_read_all(void)
{
	char *s;
	size_t n;
	int fd;

	put("r", "hello");
	CHECK(file_read_all(at("r"), 5, &s, &n) == 0 && n == 5 &&
		strcmp(s, "hello") == 0, "read_all at max");
	free(s);
	CHECK(file_read_all(at("r"), 4, &s, &n) == -1 && errno == EFBIG &&
		s == NULL, "read_all past max: EFBIG");
	put("e", "");
	CHECK(file_read_all(at("e"), 10, &s, &n) == 0 && n == 0 && s &&
		s[0] == 0, "read_all empty file");
	free(s);
	CHECK(file_read_all(at("nosuch"), 10, &s, &n) == -1 &&
		errno == ENOENT, "read_all missing: ENOENT");
	CHECK(file_read_all(dir, 10, &s, &n) == -1 && errno == EISDIR,
		"read_all folder: EISDIR");
	/* Bigger than any first guess, with a NUL inside. */
	fd = open(at("big"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	for (n = 0; n < 3000; n++)
		file_write_all(fd, n == 10 ? "\0bc" : "abc", 3);
	close(fd);
	CHECK(file_read_all(at("big"), 9000, &s, &n) == 0 && n == 9000 &&
		s[10 * 3] == 0 && s[8999] == 'c' && s[9000] == 0,
		"read_all large binary file");
	free(s);
	CHECK(file_read_all("/dev/zero", 100000, &s, &n) == -1 &&
		errno == EFBIG, "read_all endless stream: EFBIG");
	CHECK(file_read_all("/dev/null", 0, &s, &n) == 0 && n == 0,
		"read_all /dev/null");
	free(s);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_file.%ld", (long)getpid());
	mkdir(dir, 0755);
	umask(022);
	test_atomic();
	test_open_safe();
	test_lock();
	test_dotlock();
	test_read_all();
	unit_rmdir(dir);
	return unit_done();
}
