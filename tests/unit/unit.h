/*
 * unit.h: the tiny harness of the C unit tests.  A test program includes
 * it, calls CHECK(cond, name) or CHECK_STR(got, want, name) per vector,
 * and returns unit_done().  Each result is one line PASS:/FAIL: on stdout,
 * which tests/unit.sh collects into the tally.
 */
#ifndef UNIT_H
#define UNIT_H
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int unit_failed;

#define CHECK(cond, name) do { \
	if (cond) printf("PASS: %s\n", (name)); \
	else { printf("FAIL: %s (%s:%d: %s)\n", (name), __FILE__, \
		__LINE__, #cond); unit_failed++; } \
} while (0)

#define CHECK_STR(got, want, name) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ && w_ && strcmp(g_, w_) == 0) printf("PASS: %s\n", (name)); \
	else { printf("FAIL: %s (%s:%d: got \"%s\", want \"%s\")\n", \
		(name), __FILE__, __LINE__, g_ ? g_ : "(null)", \
		w_ ? w_ : "(null)"); unit_failed++; } \
} while (0)

/* Removes the scratch folder DIR (rm -rf), unless a check failed: then
 * it stays for a look. */
static inline void unit_rmdir(const char *dir)
{
	char cmd[300];

	if (unit_failed)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (fork() == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)0);
		_exit(127);
	}
	wait(NULL);
}

static int unit_done(void)
{
	return unit_failed ? 1 : 0;
}

/* applet_name is the dispatcher's; the unit programs have no dispatcher. */
const char *applet_name = "unit";
#endif
