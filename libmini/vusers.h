/*
 * vusers: the virtual-user file (README "Configuration", PostboxVirtualUsers), in
 * Dovecot's passwd-file form, for containers with no system accounts:
 *
 *	user:{SCHEME}hash:uid:gid:gecos:home:shell:extra
 *	alice:{SHA512-CRYPT}$6$...:5000:5000::/var/vmail/alice
 *
 * Fields after home may be left out; uid and gid may be empty (then the
 * entry serves AUTH only, and local delivery refuses it).  '#' starts a
 * comment line; blank lines are skipped.  Names compare exactly (Dovecot's
 * default).  Shared by local delivery (uid, gid, home) and AUTH (the
 * password field, which this module only carries, never checks).
 */
#ifndef LIBMINI_VUSERS_H
#define LIBMINI_VUSERS_H
#include <sys/types.h>
#include <stddef.h>

#define VUSERS_MAX_LINE 4096		/* bytes per line, newline excluded */
#define VUSERS_MAX_FILE (16UL << 20)	/* bytes per file */

struct vusers_entry {
	char user[64];
	char pass[512];		/* "{SCHEME}hash" as written, "" when empty */
	int has_ids;		/* uid and gid were given */
	uid_t uid;
	gid_t gid;
	char home[256];		/* absolute, "" when empty */
};

/* Parses one line (LEN bytes, no newline) into e.  Returns 1 for an
 * entry, 0 for a blank or comment line, -1 with a message (no file:line)
 * in err (errmax bytes): a NUL or control byte, an over-long field, an
 * empty or malformed user name, a uid/gid that is not a number below
 * 2^31, a relative home. */
int vusers_parse_line(const char *line, size_t len, struct vusers_entry *e,
	char *err, size_t errmax);
/* Finds USER in DATA (LEN bytes, the contents of the file PATH), every
 * line checked: the one policy for a broken line, whoever reads the
 * file (delivery, smtpd's RCPT and AUTH): the whole file is unusable
 * and every lookup is temporary (-1, "path:line: message" in err), so a
 * typo defers mail and logins instead of bouncing or refusing them.
 * 1 found (e filled, the first entry of that name), 0 absent. */
int vusers_find(const char *data, size_t len, const char *path,
	const char *user, struct vusers_entry *e, char *err, size_t errmax);
/* Finds USER in the file PATH (vusers_find on its contents).  The whole
 * file is checked on every call, so a broken line is reported whichever
 * user is asked for.  1 found (e filled, the first entry of that name),
 * 0 absent, -1 with "path:line: message" or "path: strerror" in err (a
 * lookup that must be retried: temporary). */
int vusers_lookup(const char *path, const char *user, struct vusers_entry *e,
	char *err, size_t errmax);

#endif
