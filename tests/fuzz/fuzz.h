/* fuzz.h: what the libFuzzer targets in tests/fuzz share (README.md,
 * "Fuzzing").  Each target is one file, NAME.c, built by "make fuzz" into
 * build/fuzz/NAME, with its seeds in tests/fuzz/corpus/NAME/. */
#ifndef FUZZ_H
#define FUZZ_H
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The target's own scratch folder, made once (TMPDIR or /tmp) and
 * removed at exit. */
static char fuzz_dir[256];

static void fuzz_rmdir(void)
{
	char cmd[300];

	if (fuzz_dir[0] && strncmp(fuzz_dir, "/tmp/", 5) == 0 &&
			!strchr(fuzz_dir, '\'')) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
		if (system(cmd)) { /* nothing to do */ }
	}
}

static const char *fuzz_tmp(void)
{
	if (!fuzz_dir[0]) {
		snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/postbox-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_dir))
			abort();
		atexit(fuzz_rmdir);
	}
	return fuzz_dir;
}

/* Writes DATA into the file NAME of the scratch folder (replaced) and
 * returns its path (a static buffer). */
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
static char *fuzz_str(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = 0;
	return s;
}

/* exit() inside the code under test returns to fuzz_jmp when armed
 * (m4's fatal errors and m4exit); fork() always fails, so nothing the
 * input says is ever run (m4's syscmd). */
static jmp_buf fuzz_jmp;
static int fuzz_armed;
void __real_exit(int) __attribute__((noreturn));
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
	errno = EPERM;
	return -1;
}
#endif
