/* fuzz.h: what the libFuzzer targets in tests/fuzz share (README.md,
 * "Fuzzing").  Each target is one file, NAME.c, built by "make fuzz" into
 * build/fuzz/NAME, with its seeds in tests/fuzz/corpus/NAME/. */
#ifndef FUZZ_H
#define FUZZ_H
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The multicall dispatcher (appletlib.c, which has its own main) is left
 * out: what applets use of it. */
const char *applet_name = "fuzz";
void applet_usage(void)
{
	exit(EX_USAGE);
}
void applet_help(void)
{
}
int applet_exists(const char *name)
{
	return 0;
}
int applet_run(const char *name, int argc, char **argv)
{
	errno = ENOENT;
	return -1;
}

/* The target's own scratch folder, made once and removed at exit (a
 * crash leaves it behind): in /dev/shm when there is one, since the
 * queue and the mailboxes fsync what they write, else in /tmp. */
static char fuzz_dir[256];

static int fuzz_rm(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void fuzz_rmdir(void)
{
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

__attribute__((unused))
static const char *fuzz_tmp(void)
{
	if (!fuzz_dir[0]) {
		struct stat st;

		snprintf(fuzz_dir, sizeof fuzz_dir, "%s/postbox-fuzz.XXXXXX",
			stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
			access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(fuzz_dir))
			abort();
		atexit(fuzz_rmdir);
	}
	return fuzz_dir;
}

/* Writes DATA into the file NAME of the scratch folder (replaced) and
 * returns its path (a static buffer). */
__attribute__((unused))
static const char *fuzz_file(const char *name, const void *data, size_t n)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof path, "%s/%s", fuzz_tmp(), name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n))
		abort();
	close(fd);
	return path;
}

/* A NUL-terminated copy of the input (free it). */
__attribute__((unused))
static char *fuzz_str(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = 0;
	return s;
}

/* While armed (m4's run): exit() returns to fuzz_jmp (m4's fatal errors
 * and m4exit); fork() fails, so no command the input names is run
 * (syscmd, esyscmd); no file is created (mkstemp) or opened for writing
 * (debugfile) but /dev/null.  Unarmed, each is the real one. */
static jmp_buf fuzz_jmp;
static int fuzz_armed;
void __real_exit(int) __attribute__((noreturn));
pid_t __real_fork(void);
int __real_mkstemp(char *);
FILE *__real_fopen(const char *, const char *);
void __wrap_exit(int code)
{
	if (fuzz_armed) {
		fuzz_armed = 0;
		longjmp(fuzz_jmp, 1);
	}
	__real_exit(code);
}
pid_t __wrap_fork(void)
{
	if (!fuzz_armed)
		return __real_fork();
	errno = EPERM;
	return -1;
}
int __wrap_mkstemp(char *t)
{
	if (!fuzz_armed)
		return __real_mkstemp(t);
	errno = EPERM;
	return -1;
}
FILE *__wrap_fopen(const char *path, const char *mode)
{
	if (fuzz_armed && strcmp(mode, "r") != 0 &&
			strcmp(path, "/dev/null") != 0) {
		errno = EPERM;
		return NULL;
	}
	return __real_fopen(path, mode);
}
#endif
