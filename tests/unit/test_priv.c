/* Unit tests of priv_drop: a process in the shape a set-gid binary run
 * by a user leaves (real gid the user's, effective and saved gid the
 * binary's) gives the group up for good: no setegid() takes it back. */
#define _GNU_SOURCE
#include "libmini.h"
#include "unit.h"
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER	65534
#define QGROUP	8	/* the queue's group, as the set-gid bit gives it */

static int child(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, none[1] = { USER };

	if (setgroups(1, none) < 0 || setresgid(USER, QGROUP, QGROUP) < 0 ||
	    setresuid(USER, USER, USER) < 0) {
		CHECK(0, "priv: set-gid shape set up");
		return unit_done();
	}
	CHECK(setegid(QGROUP) == 0 && setegid(USER) == 0,
		"priv: before the drop the saved gid takes the group back");
	CHECK(priv_drop((uid_t)-1, USER) == 0, "priv: group drop returns 0");
	CHECK(getresgid(&rg, &eg, &sg) == 0 && rg == USER && eg == USER &&
		sg == USER, "priv: real, effective, saved gid all dropped");
	CHECK(setegid(QGROUP) < 0, "priv: the group cannot come back");
	CHECK(getresuid(&ru, &eu, &su) == 0 && ru == USER && eu == USER &&
		su == USER, "priv: (uid_t)-1 leaves the user alone");
	errno = 0;
	CHECK(priv_drop(0, (gid_t)-1) < 0 && errno == EPERM,
		"priv: a drop that cannot happen returns -1, EPERM");
	CHECK(priv_drop(USER, USER) == 0, "priv: a drop to what we are is 0");
	return unit_done();
}

int main(void)
{
	pid_t pid;
	int st = 0;

	if (geteuid() != 0) {
		CHECK(priv_drop(getuid(), getgid()) == 0,
			"priv: a drop to the real ids (not root)");
		return unit_done();
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int rc = child();

		fflush(stdout);
		_exit(rc);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 0, "priv: the dropped child's checks");
	return unit_done();
}
