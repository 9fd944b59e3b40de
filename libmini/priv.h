/* priv: giving up set-id privilege for good (README.md "Security"). */
#ifndef LIBMINI_PRIV_H
#define LIBMINI_PRIV_H
#include <sys/types.h>

/* Becomes GID, then UID: the real, effective and saved ids all change
 * (setresgid, setresuid), and are read back (getresgid, getresuid), so
 * nothing in the process can take the old ones back.  (gid_t)-1 or
 * (uid_t)-1 leaves that side as it is.  Supplementary groups are the
 * caller's business (setgroups, as root, before this).  Returns 0, or -1
 * with errno set (EPERM when an id remained after the calls). */
int priv_drop(uid_t uid, gid_t gid);

/* priv_drop, for the set-up paths: on failure prints which ids remain
 * and exits EX_OSERR (never runs on with a privilege meant to go). */
void xpriv_drop(uid_t uid, gid_t gid);

#endif
