/*
 * local: the users mail is delivered to (contracts in local.h): whether an
 * address is local, a user's mailbox path, DefaultUser, looking a user up
 * (virtual users, then passwd) and becoming one.  pop3d, mail and smtpd
 * use these; sendmail's expansion (applets/sendmail/expand.c) and delivery
 * (applets/sendmail/deliver.c) build on them.
 */
#define _GNU_SOURCE	/* setresuid, getresuid */
#include "libmini.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

/* ---- small helpers ---------------------------------------------------- */

#define seterr str_seterr

/* A user name we may look up and put in a path: no '/', no leading '.',
 * no blanks or control characters. */
static int user_name_ok(const char *s)
{
	if (!*s || *s == '.' || strlen(s) >= 64)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '/' || *s == 0x7f)
			return 0;
	return 1;
}

static void creds_from_pw(struct local_creds *c, const struct passwd *pw)
{
	memset(c, 0, sizeof *c);
	str_lcpy(c->user, pw->pw_name, sizeof c->user);
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	str_lcpy(c->home, pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/",
		sizeof c->home);
	c->system = 1;
}

void local_creds_by_uid(struct local_creds *c, uid_t uid, gid_t gid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw) {
		creds_from_pw(c, pw);
		return;
	}
	memset(c, 0, sizeof *c);
	snprintf(c->user, sizeof c->user, "#%ld", (long)uid);
	c->uid = uid;
	c->gid = gid;
	str_lcpy(c->home, "/", sizeof c->home);
}

/* 1 found, 0 unknown, -1 temporary (err). */
int local_user_find(const struct cf *cf, const char *name,
	struct local_creds *c, char *err, size_t errmax)
{
	struct vusers_entry v;
	struct passwd *pw;
	int rc;

	memset(c, 0, sizeof *c);
	if (!user_name_ok(name))
		return 0;
	if (cf->opt.virtual_users && *cf->opt.virtual_users) {
		rc = vusers_lookup(cf->opt.virtual_users, name, &v, err,
			errmax);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			if (!v.has_ids || !v.home[0]) {
				seterr(err, errmax, "%s: user %s has no "
					"uid, gid and home",
					cf->opt.virtual_users, name);
				return -1;
			}
			str_lcpy(c->user, v.user, sizeof c->user);
			c->uid = v.uid;
			c->gid = v.gid;
			str_lcpy(c->home, v.home, sizeof c->home);
			return 1;
		}
	}
	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		if (errno == EIO || errno == ENOMEM || errno == EMFILE ||
		    errno == ENFILE) {
			seterr(err, errmax, "passwd lookup of %s: %s", name,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	creds_from_pw(c, pw);
	return 1;
}

int local_default_user(const struct cf *cf, uid_t *uid, gid_t *gid)
{
	const char *du = cf->opt.default_user;
	char name[64], *colon;
	unsigned long n;
	struct passwd *pw;
	struct group *gr;

	/* DefaultUser=user, user:group, uid:gid or uid; sendmail falls
	 * back to mailnull, and we then to nobody. */
	if (du && *du && str_lcpy(name, du, sizeof name) < sizeof name) {
		colon = strchr(name, ':');
		if (colon)
			*colon++ = 0;
		if (str_toul(name, 0x7fffffffUL, &n) == 0) {
			*uid = (uid_t)n;
			*gid = (gid_t)n;
			pw = getpwuid(*uid);
			if (pw)
				*gid = pw->pw_gid;
		} else if ((pw = getpwnam(name)) != NULL) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
		} else
			goto fallback;
		if (colon && *colon) {
			if (str_toul(colon, 0x7fffffffUL, &n) == 0)
				*gid = (gid_t)n;
			else if ((gr = getgrnam(colon)) != NULL)
				*gid = gr->gr_gid;
		}
		if (*uid != 0)
			return 0;
	}
fallback:
	if ((pw = getpwnam("mailnull")) != NULL ||
	    (pw = getpwnam("nobody")) != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		if (*uid != 0)
			return 0;
	}
	*uid = 65534;
	*gid = 65534;
	return 0;
}

void local_default_creds(const struct cf *cf, struct local_creds *c)
{
	uid_t uid;
	gid_t gid;

	local_default_user(cf, &uid, &gid);
	local_creds_by_uid(c, uid, gid);
	c->gid = gid;
	c->system = 0;	/* its own group only, as sendmail does */
}

/* Becomes C for good: groups (initgroups for passwd users; EXTRA added
 * when not -1), gid, uid.  0, or -1 with errno. */
int local_become(const struct local_creds *c, gid_t extra)
{
	gid_t groups[2];
	int n = 0;

	if (geteuid() != 0) {
		errno = EPERM;
		return c->uid == geteuid() ? 0 : -1;
	}
	if (c->system && extra == (gid_t)-1) {
		if (initgroups(c->user, c->gid) < 0)
			return -1;
	} else {
		groups[n++] = c->gid;
		if (extra != (gid_t)-1 && extra != c->gid)
			groups[n++] = extra;
		if (setgroups(n, groups) < 0)
			return -1;
	}
	/* real, effective and saved ids, read back (priv.h) */
	if (priv_drop(c->uid, c->gid) < 0)
		return -1;
	/* Paranoia: a root that could come back is no drop at all. */
	if (c->uid != 0 && (geteuid() == 0 || setuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Whether the ids are now: real uid RUID, saved uid SUID, effective and
 * file-system uid EUID, effective and file-system gid EGID. */
static int ids_are(uid_t ruid, uid_t suid, uid_t euid, gid_t egid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return 0;
	/* setfsuid(-1) changes nothing and answers the current one */
	return ru == ruid && su == suid && eu == euid && eg == egid &&
		(uid_t)setfsuid((uid_t)-1) == euid &&
		(gid_t)setfsgid((gid_t)-1) == egid;
}

/* Root's process takes C's ids for one delivery or read (local.h):
 * groups (the user's own from the group file for passwd users, else the
 * primary one; EXTRA added when not -1, as local_become), effective gid
 * and uid.  The real and saved uid stay root's, so local_as_root can
 * come back, and the user can neither signal nor trace us; the kernel
 * clears the effective
 * capabilities with the effective uid, so the user's quota and the file
 * system's reserved blocks bind as they would for the user.  Every id is
 * read back.  0, or -1 with errno and root's ids as they were. */
int local_as_user(const struct local_creds *c, gid_t extra,
	struct local_ids *o)
{
	gid_t groups[LOCAL_MAX_GROUPS];
	int n = 0;

	if (getresuid(&o->ruid, &o->euid, &o->suid) < 0)
		return -1;
	o->egid = getegid();
	o->ngroups = getgroups(LOCAL_MAX_GROUPS, o->groups);
	if (o->ngroups < 0)
		return -1;
	if (c->system && extra == (gid_t)-1) {
		n = LOCAL_MAX_GROUPS;
		if (getgrouplist(c->user, c->gid, groups, &n) < 0)
			n = 0;
	}
	if (n <= 0) {
		n = 0;
		groups[n++] = c->gid;
		if (extra != (gid_t)-1 && extra != c->gid)
			groups[n++] = extra;
	}
	if (setgroups(n, groups) < 0)
		return -1;
	if (setresgid((gid_t)-1, c->gid, (gid_t)-1) < 0 ||
	    setresuid((uid_t)-1, c->uid, (uid_t)-1) < 0 ||
	    (!ids_are(o->ruid, o->suid, c->uid, c->gid) &&
	     (errno = EPERM))) {
		int err = errno;

		setresuid((uid_t)-1, o->euid, (uid_t)-1);
		setresgid((gid_t)-1, o->egid, (gid_t)-1);
		setgroups(o->ngroups, o->groups);
		errno = err;
		return -1;
	}
	return 0;
}

/* Back to the ids local_as_user saved in O.  A root that cannot be root again
 * must not go on delivering as whoever it is now: it ends. */
void local_as_root(const struct local_ids *o)
{
	if (setresuid((uid_t)-1, o->euid, (uid_t)-1) < 0 ||
	    setresgid((gid_t)-1, o->egid, (gid_t)-1) < 0 ||
	    setgroups(o->ngroups, o->groups) < 0 ||
	    !ids_are(o->ruid, o->suid, o->euid, o->egid)) {
		log_msg(LOG_ERR, "cannot take back root's ids after a "
			"delivery: %s", strerror(errno));
		_exit(EX_OSERR);
	}
}

/* ---- local_is_local ------------------------------------------------- */

int local_is_local(const struct cf *cf, const char *addr, char *user,
	size_t max)
{
	char a[1024], *at, *dom, *end;
	size_t n;

	while (*addr == ' ' || *addr == '\t')
		addr++;
	if (str_lcpy(a, addr, sizeof a) >= sizeof a)
		return -1;
	str_trim(a);
	/* <user@host>: the brackets are not part of the address. */
	if (a[0] == '<') {
		end = strrchr(a, '>');
		if (!end)
			return -1;
		*end = 0;
		memmove(a, a + 1, strlen(a + 1) + 1);
	}
	/* A source route (<@a,@b:user@c>, RFC 5321 4.1.2) is ignored. */
	if (a[0] == '@') {
		char *colon = strchr(a, ':');

		if (!colon)
			return -1;
		memmove(a, colon + 1, strlen(colon + 1) + 1);
	}
	at = strrchr(a, '@');
	dom = NULL;
	if (at) {
		*at = 0;
		dom = at + 1;
		n = strlen(dom);
		if (n && dom[n - 1] == '.')
			dom[n - 1] = 0;
	}
	if (!a[0] || (dom && !*dom))
		return -1;
	/* Remote is remote whatever its local part: callers test !0. */
	if (dom && strcasecmp(dom, "localhost") != 0 &&
	    strcasecmp(dom, "localhost.localdomain") != 0 &&
	    !cf_class_has(cf, "w", dom)) {
		str_lcpy(user, a, max);
		return 0;
	}
	return str_lcpy(user, a, max) < max ? 1 : -1;
}

/* ---- the mailbox setting ------------------------------------------- */

int local_mailbox(const struct cf *cf, const char *user, const char *home,
	char *dst, size_t max)
{
	const char *spec = cf->opt.mailbox, *s;
	size_t len = 0, n;
	int kind = LOCAL_MBOX;
	const char *add;
	char ch[2] = { 0, 0 };

	if (!spec || !*spec)
		spec = LOCAL_MAILBOX_DEFAULT;
	if (str_istarts(spec, "mbox:"))
		spec += 5;
	else if (str_istarts(spec, "maildir:")) {
		spec += 8;
		kind = LOCAL_MAILDIR;
	} else if (str_ends(spec, "/"))
		kind = LOCAL_MAILDIR;	/* Postfix's home_mailbox rule */
	if (!user_name_ok(user)) {
		errno = EINVAL;
		return -1;
	}
	for (s = spec; *s; s++) {
		if (s == spec && *s == '~' && (s[1] == '/' || !s[1])) {
			if (!home || home[0] != '/') {
				errno = ENOENT;
				return -1;
			}
			add = home;
		} else if (*s == '%' && s[1] == 'u') {
			add = user;
			s++;
		} else if (*s == '%' && s[1] == '%') {
			add = "%";
			s++;
		} else if (*s == '%') {
			errno = EINVAL;
			return -1;
		} else {
			ch[0] = *s;
			add = ch;
		}
		n = strlen(add);
		if (len + n >= max) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dst + len, add, n);
		len += n;
	}
	dst[len] = 0;
	while (len > 1 && dst[len - 1] == '/')
		dst[--len] = 0;
	if (dst[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	return kind;
}
