/*
 * local: the users mail is delivered to: whether an address is local, a
 * user's mailbox (pop3d, imapd and mail read where delivery writes),
 * DefaultUser, looking a user up and becoming one; and the final target
 * a local recipient expands to, which the queue records (queue.h).  sendmail's expansion and delivery build on these
 * (applets/sendmail/expand.c and deliver.c, contracts in sendmail.h).
 */
#ifndef LIBMINI_LOCAL_H
#define LIBMINI_LOCAL_H
#include <sys/types.h>
#include <time.h>
#include "cf.h"

enum local_kind {
	LOCAL_MAILBOX,		/* user's mailbox: .user; .path holds the
				   +detail ("" none), the MDA's $h */
	LOCAL_FILE,		/* append to .path (mbox format) */
	LOCAL_PROGRAM,		/* pipe to .path via /bin/sh -c */
	LOCAL_REMOTE,		/* a non-local address an alias points to: .path */
	LOCAL_ERROR,		/* error:code text, or unknown user: .status/.text */
};

struct local_target {
	enum local_kind kind;
	char user[64];		/* the mailbox owner / the user to run as */
	char path[1024];	/* file, program command, or remote address */
	uid_t uid;		/* whom to run as (from passwd or virtual users) */
	gid_t gid;
	char home[256];
	char status[8];		/* LOCAL_ERROR: enhanced code "5.1.1" */
	char text[256];		/* LOCAL_ERROR: the reply text */
	char owner[256];	/* owner-LIST address for errors, "" none */
};

/* Whether ADDR (user, user@host, <user@host>) is local: no domain, or a
 * domain in class w, or "localhost" (a trailing dot ignored).  Writes the
 * user part, as written, into user (max bytes; cut when remote).  1
 * local, 0 not, -1 for a malformed address (empty user or domain, over
 * 1 KiB) or a local user part that does not fit. */
int local_is_local(const struct cf *cf, const char *addr, char *user,
	size_t max);

/* The mailbox of USER (home HOME) per PostboxMailbox (cf.h): the path
 * into dst (max bytes) and LOCAL_MBOX or LOCAL_MAILDIR; -1 with errno
 * (EINVAL: a bad setting or a user name with '/' or a leading '.';
 * ENOENT: "~" without a home; ENAMETOOLONG).  pop3d, imapd and mail use
 * the same function, so they read where delivery writes. */
#define LOCAL_MBOX 0
#define LOCAL_MAILDIR 1
#define LOCAL_MAILBOX_DEFAULT "mbox:/var/mail/%u"
int local_mailbox(const struct cf *cf, const char *user, const char *home,
	char *dst, size_t max);

/* DefaultUser (user, user:group, uid:gid, uid), else mailnull, nobody,
 * 65534:65534; never uid 0.  Always 0. */
int local_default_user(const struct cf *cf, uid_t *uid, gid_t *gid);

/* Who a target is delivered as (sendmail's controlling user). */
struct local_creds {
	char user[64];
	uid_t uid;
	gid_t gid;
	char home[256];
	int system;		/* from passwd (initgroups applies) */
	int rootfile;		/* stands for a root-owned file: its
				   :include:s are read as root */
};

/* Looks user NAME up into c: PostboxVirtualUsers (vusers.h) first, then
 * passwd; a name with '/', blanks or a leading '.' is unknown.  1 found,
 * 0 unknown, -1 temporary (the reason in err, errmax bytes). */
int local_user_find(const struct cf *cf, const char *name,
	struct local_creds *c, char *err, size_t errmax);

/* The passwd user of UID into c, or "#UID" with GID and home "/" when
 * there is none. */
void local_creds_by_uid(struct local_creds *c, uid_t uid, gid_t gid);

/* DefaultUser (local_default_user) into c, with its own group only. */
void local_default_creds(const struct cf *cf, struct local_creds *c);

/* Becomes C for good: groups (initgroups for passwd users; EXTRA added
 * when not -1), gid, uid.  Not root: 0 when C is already us, else -1
 * EPERM.  0, or -1 with errno (also when root could be regained). */
int local_become(const struct local_creds *c, gid_t extra);

/* Root's process takes C's ids for a while (README "Security"): groups
 * (the user's own from the group file for passwd users, else the primary
 * one; EXTRA added when not -1), effective gid and uid, so the file-system
 * ids too; real and saved uid kept; every id read back.  0, or -1 with
 * errno and the ids as they were.  local_as_root goes back, or exits
 * EX_OSERR when it cannot. */
#define LOCAL_MAX_GROUPS 256	/* supplementary groups kept, at most */
struct local_ids {
	uid_t ruid, suid, euid;
	gid_t egid;
	gid_t groups[LOCAL_MAX_GROUPS];
	int ngroups;
};
int local_as_user(const struct local_creds *c, gid_t extra,
	struct local_ids *o);
void local_as_root(const struct local_ids *o);

#endif
