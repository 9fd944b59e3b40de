/*
 * priv: giving up set-id privilege for good (contracts in priv.h).
 *
 * setgid(getgid()) by a process that is not root changes only the
 * effective group: the saved set-group-ID keeps the binary's group, and
 * any code running later in the process (a parser bug, a program it
 * starts before exec) can setegid() back to it.  So every drop sets the
 * real, effective and saved ids together and checks all three.
 */
#define _GNU_SOURCE	/* setresuid, getresuid */
#include "libmini.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int priv_drop(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	// the group first: setresuid away from root would forbid it
	if (gid != (gid_t)-1 && setresgid(gid, gid, gid) < 0)
		return -1;
	if (uid != (uid_t)-1 && setresuid(uid, uid, uid) < 0)
		return -1;
	if (getresgid(&rg, &eg, &sg) < 0 || getresuid(&ru, &eu, &su) < 0)
		return -1;
	if ((gid != (gid_t)-1 && (rg != gid || eg != gid || sg != gid)) ||
	    (uid != (uid_t)-1 && (ru != uid || eu != uid || su != uid))) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

void xpriv_drop(uid_t uid, gid_t gid)
{
	uid_t ru = 0, eu = 0, su = 0;
	gid_t rg = 0, eg = 0, sg = 0;
	int err;

	if (priv_drop(uid, gid) == 0)
		return;
	err = errno;
	getresgid(&rg, &eg, &sg);
	getresuid(&ru, &eu, &su);
	xdie(EX_OSERR, "cannot give up privilege (to uid %ld, gid %ld): "
		"uid %u/%u/%u and gid %u/%u/%u (real/effective/saved) "
		"remain: %s", uid == (uid_t)-1 ? -1L : (long)uid,
		gid == (gid_t)-1 ? -1L : (long)gid, (unsigned)ru,
		(unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
		(unsigned)sg, strerror(err));
}
