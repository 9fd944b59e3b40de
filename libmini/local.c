/*
 * local: local delivery (contracts in local.h; DESIGN.md §4, issue 3 §3).
 *
 * Expansion follows sendmail 8: aliases (all AliasFiles, in order; for
 * user+detail the keys user+detail, user+*, user), owner-LIST, :include:,
 * ~/.forward per ForwardPath, "\user", |program, /file, error:.  What a
 * program or a file target runs as is the "controlling user" (sendmail's
 * ctladdr): the owner of the .forward or :include: file that named it, or
 * of the aliases database; root is replaced by DefaultUser, so no
 * user-supplied command ever runs as root.
 *
 * Delivery forks when running as root and becomes the target user
 * (setgroups, setgid, setuid) before it opens any of the user's files.
 */
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1	/* <linux/fs.h>, absent from musl-gcc */
#endif

/* Who a target is delivered as (sendmail's controlling user). */
struct creds {
	char user[64];
	uid_t uid;
	gid_t gid;
	char home[256];
	int system;		/* from passwd (initgroups applies) */
	int rootfile;		/* stands for a root-owned file: its
				   :include:s are read as root */
};

/* A set of strings: the strings back to back in a capped buf, found
 * through an open-addressing table of their offsets, so a list of 10000
 * members costs 10000 lookups, not 10000 scans. */
struct strset {
	struct buf data;	/* "s\0s\0..." */
	size_t *slot;		/* offset + 1; 0 is free */
	size_t nslot, n;
};

struct expander {
	const struct cf *cf;
	local_target_fn fn;
	void *ctx;
	char *err;
	size_t errmax;
	int rc;			/* 0, EX_TEMPFAIL, or -1 when fn stopped */
	const char *stack[LOCAL_MAX_DEPTH + 2];	/* names being expanded */
	int depth;
	struct strset names;	/* names already expanded */
	struct strset keys;	/* keys of the targets reported */
	unsigned ntargets;
	char loop[300];		/* the first name met again in a cycle */
};

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

static void creds_from_pw(struct creds *c, const struct passwd *pw)
{
	memset(c, 0, sizeof *c);
	str_lcpy(c->user, pw->pw_name, sizeof c->user);
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	str_lcpy(c->home, pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/",
		sizeof c->home);
	c->system = 1;
}

static void creds_by_uid(struct creds *c, uid_t uid, gid_t gid)
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
static int user_find(const struct cf *cf, const char *name, struct creds *c,
	char *err, size_t errmax)
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

static void default_creds(const struct cf *cf, struct creds *c)
{
	uid_t uid;
	gid_t gid;

	local_default_user(cf, &uid, &gid);
	creds_by_uid(c, uid, gid);
	c->gid = gid;
	c->system = 0;	/* its own group only, as sendmail does */
}

/* The controlling user for targets found in a file owned by UID/GID:
 * root's files (the aliases, root's .forward) run as DefaultUser. */
static void ctl_for_owner(const struct cf *cf, struct creds *c, uid_t uid,
	gid_t gid)
{
	if (uid == 0) {
		default_creds(cf, c);
		c->rootfile = 1;
	} else
		creds_by_uid(c, uid, gid);
}

/* Expands $z (home), $u (user), $h (detail), $f/$g (sender) and the cf's
 * own macros in S into dst.  0, or -1 when it does not fit. */
struct vars {
	const char *user, *home, *detail, *sender;
};

static int expand_vars(const struct cf *cf, const char *s,
	const struct vars *v, char *dst, size_t max)
{
	size_t len = 0, n;
	char name[64], val[1024];
	const char *add, *end;

	for (; *s; s++) {
		add = NULL;
		if (*s == '$' && s[1]) {
			s++;
			switch (*s) {
			case 'z': add = v->home; break;
			case 'u': add = v->user; break;
			case 'h': add = v->detail; break;
			case 'f': case 'g': add = v->sender; break;
			case '$': add = "$"; break;
			case '{':
				end = strchr(s, '}');
				if (!end || (size_t)(end - s) + 2 > sizeof name)
					return -1;
				name[0] = '$';
				memcpy(name + 1, s, end - s + 1);
				name[end - s + 2] = 0;
				s = end;
				goto macro;
			default:
				name[0] = '$';
				name[1] = *s;
				name[2] = 0;
			macro:
				if (cf_expand(cf, name, val, sizeof val) < 0)
					return -1;
				add = val;
			}
			if (!add)
				add = "";
			n = strlen(add);
		} else {
			add = s;
			n = 1;
		}
		if (len + n >= max)
			return -1;
		memcpy(dst + len, add, n);
		len += n;
	}
	dst[len] = 0;
	return 0;
}

/* FNV-1a, for struct strset. */
static size_t str_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int strset_has(const struct strset *set, const char *s)
{
	size_t i;

	if (!set->nslot)
		return 0;
	for (i = str_hash(s) & (set->nslot - 1); set->slot[i];
	     i = (i + 1) & (set->nslot - 1))
		if (strcmp(set->data.p + set->slot[i] - 1, s) == 0)
			return 1;
	return 0;
}

static void strset_put(struct strset *set, size_t off)
{
	size_t i = str_hash(set->data.p + off) & (set->nslot - 1);

	while (set->slot[i])
		i = (i + 1) & (set->nslot - 1);
	set->slot[i] = off + 1;
}

/* Adds S (not there yet).  0, or -1 (the cap, or no memory). */
static int strset_add(struct strset *set, const char *s)
{
	size_t off = set->data.len, i, old = set->nslot;
	size_t *was = set->slot;

	if (buf_add(&set->data, s, strlen(s) + 1) < 0)
		return -1;
	/* Keep the table at most half full: grow and rehash. */
	if (2 * (set->n + 1) > set->nslot) {
		set->nslot = old ? old * 2 : 64;
		set->slot = calloc(set->nslot, sizeof *set->slot);
		if (!set->slot) {
			set->slot = was;
			set->nslot = old;
			set->data.len = off;
			return -1;
		}
		for (i = 0; i < old; i++)
			if (was[i])
				strset_put(set, was[i] - 1);
		free(was);
	}
	strset_put(set, off);
	set->n++;
	return 0;
}

static void strset_free(struct strset *set)
{
	buf_free(&set->data);
	free(set->slot);
	set->slot = NULL;
	set->nslot = set->n = 0;
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

/* ---- aliases ---------------------------------------------------------- */

/* Looks KEY up in one AliasFile's map (map_spec_alias names the file:
 * PATH.db, PATH.cdb for "cdb:PATH"; keys and values NUL-terminated, as
 * sendmail's).  1 found (value in val, the map's owner in st), 0 absent,
 * -1 temporary (err). */
static int alias_db_get(const char *file, const char *key, struct buf *val,
	struct stat *st, char *err, size_t errmax)
{
	struct map_spec *spec;
	struct map m;
	int rc;

	if (strlen(key) + 1 >= MAP_KEY_MAX)
		return 0;	/* no key that long can have been written */
	if (!(spec = malloc(sizeof *spec))) {
		seterr(err, errmax, "%s: %s", file, strerror(errno));
		return -1;
	}
	rc = map_spec_alias(spec, file, err, errmax);
	if (rc <= 0) {
		free(spec);
		return rc;	/* not a file of ours (ldap:, nis:): none */
	}
	rc = map_alias_open(&m, spec, err, errmax);
	if (rc <= 0) {
		/* Aliases written but never built: wait for newaliases
		 * rather than bounce what they would have taken (as
		 * Postfix defers "alias database unavailable"). */
		if (rc < 0 && errno == ENOENT)
			str_lcat(err, " (run newaliases)", errmax);
		free(spec);
		return rc;
	}
	buf_reset(val);
	if (fstat(m.fd, st) < 0 || buf_reserve(val, LOCAL_MAX_ALIAS) < 0) {
		seterr(err, errmax, "%s: %s", spec->file, strerror(errno));
		map_close(&m);
		free(spec);
		return -1;
	}
	rc = map_spec_lookup(&m, key, val->p, LOCAL_MAX_ALIAS);
	if (rc > 0)
		val->len = strlen(val->p);
	else if (rc < 0)
		seterr(err, errmax, "%s: lookup of %s: %s", spec->file, key,
			strerror(errno));
	map_close(&m);
	free(spec);
	return rc;
}

/* Every AliasFile in order; for user+detail also user+* and user. */
static int alias_find(struct expander *x, const char *name, struct buf *val,
	struct stat *st)
{
	const struct cf_list *files = &x->cf->opt.alias_files;
	char key[256];
	const char *plus;
	int pass, rc;
	size_t i;

	for (pass = 0; pass < 3; pass++) {
		plus = strchr(name, '+');
		if (pass == 0)
			str_lcpy(key, name, sizeof key);
		else if (!plus || plus == name)
			break;
		else if (pass == 1)
			snprintf(key, sizeof key, "%.*s+*", (int)(plus - name),
				name);
		else
			snprintf(key, sizeof key, "%.*s", (int)(plus - name),
				name);
		for (i = 0; i < files->n; i++) {
			rc = alias_db_get(files->v[i], key, val, st, x->err,
				x->errmax);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* ---- reading .forward and :include: files ------------------------------ */

#define LIST_INCLUDE 1
#define LIST_FORWARD 2

/* sendmail's safefile for :include: — every folder on the way owned by
 * root or the reader and writable by nobody else (a sticky folder such as
 * /tmp is not safe either). */
static int dirs_safe(const char *path, uid_t reader, char *why, size_t max)
{
	char d[FILE_PATH_MAX];
	struct stat st;
	char *slash;

	if (str_lcpy(d, path, sizeof d) >= sizeof d)
		return 0;
	slash = strrchr(d, '/');
	if (!slash)
		return 0;
	for (;;) {
		if (slash == d)
			slash[1] = 0;
		else
			*slash = 0;
		if (stat(d, &st) < 0) {
			seterr(why, max, "%s: %s", d, strerror(errno));
			return 0;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) ||
		    (st.st_uid != 0 && st.st_uid != reader)) {
			seterr(why, max, "folder %s is writable by others",
				d);
			return 0;
		}
		if (slash == d)
			return 1;
		slash = strrchr(d, '/');
	}
}

/* In-process check and read.  1 read (out, st), 0 ignore (why; "" when
 * the file is simply absent), -1 temporary (why). */
static int list_read(const char *path, int kind, uid_t reader,
	struct buf *out, struct stat *st, char *why, size_t max)
{
	char tmp[4096];
	ssize_t r;
	int fd;

	why[0] = 0;
	if (path[0] != '/') {
		seterr(why, max, "%s: not an absolute path", path);
		return 0;
	}
	if (kind == LIST_INCLUDE && !dirs_safe(path, reader, why, max))
		return 0;
	/* sendmail's .forward rule: the folder holding it (the home) may
	 * not be writable by others either, or they could swap the file. */
	if (kind == LIST_FORWARD) {
		char d[FILE_PATH_MAX], *slash;
		struct stat ds;

		str_lcpy(d, path, sizeof d);
		slash = strrchr(d, '/');
		slash == d ? (void)(slash[1] = 0) : (void)(*slash = 0);
		if (stat(d, &ds) == 0 && ((ds.st_mode & (S_IWGRP | S_IWOTH)) ||
		    (ds.st_uid != reader && ds.st_uid != 0))) {
			seterr(why, max, "%s: in an unsafe folder: ignored",
				path);
			return 0;
		}
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			if (kind == LIST_INCLUDE)
				seterr(why, max, "%s: %s", path,
					strerror(errno));
			return 0;
		}
		seterr(why, max, "%s: %s", path, strerror(errno));
		return errno == EIO || errno == ENOMEM || errno == EMFILE ||
			errno == ENFILE || errno == ETIMEDOUT ||
			errno == ESTALE ? -1 : 0;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		seterr(why, max, "%s: not a regular file", path);
		close(fd);
		return 0;
	}
	if (kind == LIST_FORWARD && ((st->st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st->st_uid != reader && st->st_uid != 0))) {
		seterr(why, max, "%s: unsafe (owner %ld, mode %03o): ignored",
			path, (long)st->st_uid, (unsigned)st->st_mode & 0777);
		close(fd);
		return 0;
	}
	if (kind == LIST_INCLUDE && (st->st_mode & S_IWOTH)) {
		seterr(why, max, "%s: world-writable: ignored", path);
		close(fd);
		return 0;
	}
	buf_reset(out);
	while ((r = read(fd, tmp, sizeof tmp)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			seterr(why, max, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (buf_add(out, tmp, r) < 0) {
			seterr(why, max, "%s: larger than %lu bytes", path,
				(unsigned long)LOCAL_MAX_LISTFILE);
			close(fd);
			return 0;
		}
	}
	close(fd);
	return 1;
}

/* What a reading child sends back before the file's bytes. */
struct list_reply {
	int rc;
	struct stat st;
	size_t len;
	char why[200];
};

/* Becomes C for good: groups (initgroups for passwd users; EXTRA added
 * when not -1), gid, uid.  0, or -1 with errno. */
static int drop_privileges(const struct creds *c, gid_t extra)
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
	if (setgid(c->gid) < 0 || setuid(c->uid) < 0)
		return -1;
	/* Paranoia: a root that could come back is no drop at all. */
	if (c->uid != 0 && (geteuid() == 0 || setuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Reads a list file as the user AS: in a child that becomes AS when we
 * are root and AS is not, so a user can never make us read a file of
 * someone else's (a hard link to /etc/shadow as ~/.forward). */
static int list_read_as(const struct creds *as, const char *path, int kind,
	struct buf *out, struct stat *st, char *why, size_t max)
{
	struct list_reply rep;
	int p[2], status;
	size_t got;
	ssize_t r;
	pid_t pid;

	if (geteuid() != 0 || as->uid == 0)
		return list_read(path, kind, as->uid, out, st, why, max);
	/* Most users have no .forward: root's look at the name alone
	 * (nothing is read) spares the reading child. */
	if (kind == LIST_FORWARD && lstat(path, st) < 0 &&
	    (errno == ENOENT || errno == ENOTDIR)) {
		why[0] = 0;
		return 0;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		seterr(why, max, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		seterr(why, max, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		memset(&rep, 0, sizeof rep);
		if (drop_privileges(as, (gid_t)-1) < 0) {
			rep.rc = -1;
			seterr(rep.why, sizeof rep.why, "cannot become %s",
				as->user);
		} else
			rep.rc = list_read(path, kind, as->uid, out, &rep.st,
				rep.why, sizeof rep.why);
		rep.len = rep.rc > 0 ? out->len : 0;
		if (file_write_all(p[1], &rep, sizeof rep) == 0 && rep.len)
			file_write_all(p[1], out->p, rep.len);
		_exit(0);
	}
	close(p[1]);
	got = 0;
	while (got < sizeof rep &&
	       (r = read(p[0], (char *)&rep + got, sizeof rep - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += r;
	}
	buf_reset(out);
	if (got == sizeof rep && rep.rc > 0 && rep.len <= LOCAL_MAX_LISTFILE &&
	    buf_reserve(out, rep.len + 1) == 0) {
		got = 0;
		while (got < rep.len &&
		       (r = read(p[0], out->p + got, rep.len - got)) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			got += r;
		}
		if (got == rep.len) {
			out->len = got;
			out->p[got] = 0;
		} else
			rep.rc = -1;
	} else if (got != sizeof rep)
		rep.rc = -1, rep.why[0] = 0;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rep.rc < 0 && !rep.why[0])
		seterr(rep.why, sizeof rep.why, "%s: reader failed", path);
	str_lcpy(why, rep.why, max);
	*st = rep.st;
	return rep.rc;
}

/* ---- expansion ------------------------------------------------------ */

static void tempfail(struct expander *x)
{
	if (x->rc == 0)
		x->rc = EX_TEMPFAIL;
}

static void report(struct expander *x, struct local_target *t)
{
	char key[1400];

	if (x->rc < 0)
		return;
	/* One delivery per mailbox, file or program (sendmail drops such
	 * duplicates too). */
	switch (t->kind) {
	case LOCAL_MAILBOX:
		snprintf(key, sizeof key, "m:%s", t->user);
		break;
	case LOCAL_ERROR:
		snprintf(key, sizeof key, "e:%s:%s", t->status, t->text);
		break;
	case LOCAL_REMOTE:
		snprintf(key, sizeof key, "r:%s", t->path);
		break;
	default:	/* the same program or file as two users: two runs */
		snprintf(key, sizeof key, "%c:%s:%s", t->kind == LOCAL_FILE ?
			'f' : 'p', t->user, t->path);
	}
	if (strset_has(&x->keys, key))
		return;
	if (++x->ntargets > LOCAL_MAX_TARGETS) {
		struct local_target over;

		/* The rest bounces, once: sendmail's 5.5.3 wording. */
		if (x->ntargets != LOCAL_MAX_TARGETS + 1)
			return;
		memset(&over, 0, sizeof over);
		over.kind = LOCAL_ERROR;
		str_lcpy(over.status, "5.5.3", sizeof over.status);
		snprintf(over.text, sizeof over.text, "Too many recipients "
			"(more than %d targets)", LOCAL_MAX_TARGETS);
		str_lcpy(over.owner, t->owner, sizeof over.owner);
		if (x->fn(x->ctx, &over) < 0)
			x->rc = -1;
		return;
	}
	if (strset_add(&x->keys, key) < 0) {
		seterr(x->err, x->errmax, "out of memory");
		tempfail(x);
		return;
	}
	if (x->fn(x->ctx, t) < 0)
		x->rc = -1;
}

static void report_error(struct expander *x, const char *status,
	const char *owner, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report_error(struct expander *x, const char *status,
	const char *owner, const char *fmt, ...)
{
	struct local_target t;
	va_list ap;

	memset(&t, 0, sizeof t);
	t.kind = LOCAL_ERROR;
	str_lcpy(t.status, status, sizeof t.status);
	va_start(ap, fmt);
	vsnprintf(t.text, sizeof t.text, fmt, ap);
	va_end(ap);
	str_lcpy(t.owner, owner ? owner : "", sizeof t.owner);
	report(x, &t);
}

static void set_target_creds(struct local_target *t, const struct creds *c)
{
	str_lcpy(t->user, c->user, sizeof t->user);
	t->uid = c->uid;
	t->gid = c->gid;
	str_lcpy(t->home, c->home, sizeof t->home);
}

static void report_mailbox(struct expander *x, const struct creds *c,
	const char *detail, const char *owner)
{
	struct local_target t;

	memset(&t, 0, sizeof t);
	t.kind = LOCAL_MAILBOX;
	set_target_creds(&t, c);
	str_lcpy(t.path, detail ? detail : "", sizeof t.path);
	str_lcpy(t.owner, owner ? owner : "", sizeof t.owner);
	report(x, &t);
}

/* error:D.S.N:### text, error:### [D.S.N] text, error:nouser text */
static void parse_error_entry(const char *s, char *status, size_t smax,
	const char **text)
{
	static const struct { const char *name, *dsn; } names[] = {
		{ "nouser", "5.1.1" }, { "nohost", "5.1.2" },
		{ "unavailable", "5.0.0" }, { "tempfail", "4.0.0" },
		{ "noperm", "5.7.1" }, { "dataerr", "5.6.0" },
		{ "software", "5.3.0" }, { "config", "5.3.5" },
		{ "usage", "5.5.4" }, { "protocol", "5.5.0" },
	};
	size_t i, n;

	while (*s == ' ' || *s == '\t')
		s++;
	str_lcpy(status, "5.0.0", smax);
	/* D.S.N first, then the reply code */
	if ((s[0] == '4' || s[0] == '5') && s[1] == '.') {
		n = strcspn(s, ": \t");
		if (n < smax) {
			memcpy(status, s, n);
			status[n] = 0;
		}
		s += n;
		if (*s == ':')
			s++;
	}
	if ((s[0] == '4' || s[0] == '5') && s[1] >= '0' && s[1] <= '9' &&
	    s[2] >= '0' && s[2] <= '9' && (s[3] == ' ' || !s[3])) {
		if (status[0] != s[0])
			snprintf(status, smax, "%c.0.0", s[0]);
		s += 3;
		while (*s == ' ')
			s++;
		if ((s[0] == '4' || s[0] == '5') && s[1] == '.') {
			n = strcspn(s, " \t");
			if (n < smax) {
				memcpy(status, s, n);
				status[n] = 0;
			}
			s += n;
		}
	} else {
		for (i = 0; i < sizeof names / sizeof names[0]; i++) {
			n = strlen(names[i].name);
			if (strncasecmp(s, names[i].name, n) == 0 &&
			    (s[n] == ' ' || s[n] == '\t' || !s[n])) {
				str_lcpy(status, names[i].dsn, smax);
				s += n;
				break;
			}
		}
	}
	while (*s == ' ' || *s == '\t')
		s++;
	*text = *s ? s : "Address rejected";
}

static void expand_name(struct expander *x, const char *name, int noalias,
	const char *owner);
static void expand_list(struct expander *x, char *text, int lines,
	const struct creds *ctl, const char *owner);

/* :include:PATH read as CTL; its targets run as the file's owner. */
static void expand_include(struct expander *x, const char *path,
	const struct creds *ctl, const char *owner)
{
	struct buf data = BUF_INIT(LOCAL_MAX_LISTFILE);
	struct creds fctl, root;
	struct stat st;
	char why[256], tag[1100];
	int i, rc;

	snprintf(tag, sizeof tag, ":include:%s", path);
	for (i = 0; i < x->depth; i++)
		if (strcmp(x->stack[i], tag) == 0) {
			if (!x->loop[0])
				str_lcpy(x->loop, tag, sizeof x->loop);
			return;
		}
	if (x->depth >= LOCAL_MAX_DEPTH) {
		report_error(x, "5.4.6", owner, "aliasing/forwarding loop "
			"broken (%d deep)", x->depth);
		return;
	}
	/* A path from root's own file (the aliases) is read as root; one
	 * from a user's .forward or :include: as that user. */
	memset(&root, 0, sizeof root);
	str_lcpy(root.user, "root", sizeof root.user);
	rc = list_read_as(ctl->rootfile ? &root : ctl, path, LIST_INCLUDE,
		&data, &st, why, sizeof why);
	if (rc < 0) {
		seterr(x->err, x->errmax, "%s", why);
		tempfail(x);
	} else if (rc == 0) {
		/* sendmail: an unsafe or missing :include: is skipped with
		 * a log line; the other addresses still get the mail. */
		log_msg(LOG_WARNING, "include %s ignored: %s", path, why);
	} else {
		if (st.st_uid == ctl->uid || (st.st_uid == 0 && ctl->rootfile))
			fctl = *ctl;
		else
			ctl_for_owner(x->cf, &fctl, st.st_uid, st.st_gid);
		x->stack[x->depth++] = tag;
		expand_list(x, data.p ? data.p : (char *)"", 1, &fctl, owner);
		x->depth--;
	}
	buf_free(&data);
}

/* One entry of an alias, .forward or :include: list (RAW: given by the
 * sender, so no programs, files or includes). */
static void expand_entry(struct expander *x, char *e, const struct creds *ctl,
	const char *owner, int raw)
{
	struct local_target t;
	struct creds dflt;
	char user[256], *end;
	const char *text;
	size_t n;
	int rc;

	e = str_trim(e);
	n = strlen(e);
	/* "|prog args" and "/file name": quotes around the whole entry */
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
		char *r, *w;

		e[n - 1] = 0;
		e++;
		/* RFC 5322 quoted-string: \" and \\ stand for " and \ */
		for (r = w = e; *r; r++) {
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r;
		}
		*w = 0;
		e = str_trim(e);
	}
	if (!*e)
		return;
	if ((e[0] == '|' || e[0] == '/' || str_istarts(e, ":include:")) &&
	    raw) {
		report_error(x, "5.7.1", owner, "Cannot mail directly to %s",
			e[0] == '|' ? "programs" : e[0] == '/' ? "files" :
			":include:s");
		return;
	}
	if (e[0] == '|' || e[0] == '/') {
		memset(&t, 0, sizeof t);
		t.kind = e[0] == '|' ? LOCAL_PROGRAM : LOCAL_FILE;
		/* Never as root: DefaultUser instead, as sendmail. */
		if (ctl->uid == 0) {
			default_creds(x->cf, &dflt);
			set_target_creds(&t, &dflt);
		} else
			set_target_creds(&t, ctl);
		if (str_lcpy(t.path, e[0] == '|' ? str_trim(e + 1) : e,
		    sizeof t.path) >= sizeof t.path) {
			report_error(x, "5.3.0", owner, "%s target too long",
				e[0] == '|' ? "program" : "file");
			return;
		}
		str_lcpy(t.owner, owner ? owner : "", sizeof t.owner);
		report(x, &t);
		return;
	}
	if (str_istarts(e, ":include:")) {
		expand_include(x, str_trim(e + 9), ctl, owner);
		return;
	}
	if (!raw && str_istarts(e, "error:")) {
		memset(&t, 0, sizeof t);
		parse_error_entry(e + 6, t.status, sizeof t.status, &text);
		report_error(x, t.status, owner, "%s", text);
		return;
	}
	/* "\\user" from a list: the mailbox, no alias or .forward.  From
	 * the sender it is only a name: nobody outside may skip a user's
	 * .forward. */
	if (e[0] == '\\' && !raw) {
		str_lcpy(user, e + 1, sizeof user);
		expand_name(x, str_lower(user), 1, owner);
		return;
	}
	/* Display Name <addr> */
	if ((end = strchr(e, '<')) != NULL && strchr(end, '>')) {
		e = end + 1;
		*strchr(e, '>') = 0;
	}
	rc = local_is_local(x->cf, e, user, sizeof user);
	if (rc < 0) {
		report_error(x, "5.1.3", owner, "%s: bad address syntax", e);
		return;
	}
	if (rc == 0) {
		memset(&t, 0, sizeof t);
		t.kind = LOCAL_REMOTE;
		str_lcpy(t.path, e, sizeof t.path);
		str_lcpy(t.owner, owner ? owner : "", sizeof t.owner);
		report(x, &t);
		return;
	}
	/* "user" in quotes is still the user */
	n = strlen(user);
	if (n >= 2 && user[0] == '"' && user[n - 1] == '"') {
		user[n - 1] = 0;
		memmove(user, user + 1, n - 1);
	}
	if (raw && (user[0] == '|' || user[0] == '/' ||
	    str_istarts(user, ":include:"))) {
		report_error(x, "5.7.1", owner, "Cannot mail directly to %s",
			user[0] == '|' ? "programs" : user[0] == '/' ?
			"files" : ":include:s");
		return;
	}
	if (user[0] == '\\')
		expand_name(x, str_lower(user + 1), !raw, owner);
	else
		expand_name(x, str_lower(user), 0, owner);
}

/* Comma-separated entries, commas inside double quotes kept.  LINES:
 * one list per line, '#' lines are comments (.forward, :include:). */
static void expand_list(struct expander *x, char *text, int lines,
	const struct creds *ctl, const char *owner)
{
	char *line = text, *next, *p, *start;
	int quoted;

	while (line && *line && x->rc >= 0) {
		next = lines ? strchr(line, '\n') : NULL;
		if (next)
			*next++ = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		if (lines && *line == '#') {
			line = next;
			continue;
		}
		quoted = 0;
		for (p = start = line; x->rc >= 0; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '\\' && p[1])
				p++;
			else if ((*p == ',' && !quoted) || !*p) {
				int last = !*p;

				*p = 0;
				expand_entry(x, start, ctl, owner, 0);
				if (last)
					break;
				start = p + 1;
			}
		}
		line = next;
	}
}

/* ~/.forward per ForwardPath: 1 used, 0 none. */
static int expand_forward(struct expander *x, const struct creds *c,
	const char *detail, const char *owner)
{
	const struct cf_list *fp = &x->cf->opt.forward_path;
	struct buf data = BUF_INIT(LOCAL_MAX_LISTFILE);
	struct vars v = { c->user, c->home, detail, "" };
	char path[FILE_PATH_MAX], why[256], *s;
	struct stat st;
	size_t i;
	int rc, used = 0;

	for (i = 0; i < fp->n && !used; i++) {
		if (expand_vars(x->cf, fp->v[i], &v, path, sizeof path) < 0 ||
		    !path[0])
			continue;
		rc = list_read_as(c, path, LIST_FORWARD, &data, &st, why,
			sizeof why);
		if (rc < 0) {
			seterr(x->err, x->errmax, "%s", why);
			tempfail(x);
			used = 1;
		} else if (rc == 0) {
			if (why[0])
				log_msg(LOG_WARNING, "forward: %s", why);
		} else {
			/* An empty .forward is no forward. */
			for (s = data.p ? data.p : (char *)""; *s; s++)
				if (*s != ' ' && *s != '\t' && *s != '\n' &&
				    *s != '\r')
					break;
			if (*s) {
				expand_list(x, data.p, 1, c, owner);
				used = 1;
			}
		}
	}
	buf_free(&data);
	return used;
}

static void expand_name(struct expander *x, const char *name, int noalias,
	const char *owner)
{
	struct buf val = BUF_INIT(LOCAL_MAX_ALIAS + 1);
	struct creds c, actl;
	struct stat st;
	char user[256], detail[256], ownkey[300], *plus;
	const char *own = owner;
	int i, rc;

	if (x->rc < 0)
		return;
	if (!*name) {
		report_error(x, "5.1.3", owner, "empty user name");
		return;
	}
	/* The name being expanded naming itself means its own mailbox
	 * ("root: root, admin"); further up the stack it is a loop. */
	if (x->depth > 0 && strcmp(x->stack[x->depth - 1], name) == 0)
		noalias = 1;
	else {
		/* A cycle adds nothing new: what it leads to is being
		 * expanded already.  Only a cycle that delivers nowhere is
		 * an error (reported by local_expand). */
		for (i = 0; i < x->depth; i++)
			if (strcmp(x->stack[i], name) == 0) {
				if (!x->loop[0])
					str_lcpy(x->loop, name,
						sizeof x->loop);
				return;
			}
		if (x->depth >= LOCAL_MAX_DEPTH) {
			report_error(x, "5.4.6", owner, "aliasing/forwarding "
				"loop broken (%d deep)", x->depth);
			return;
		}
		if (!noalias) {
			if (strset_has(&x->names, name))
				return;	/* expanded already */
			if (strset_add(&x->names, name) < 0) {
				tempfail(x);
				return;
			}
		}
	}
	x->stack[x->depth++] = name;
	if (!noalias) {
		rc = alias_find(x, name, &val, &st);
		if (rc < 0) {
			tempfail(x);
			goto out;
		}
		if (rc > 0) {
			/* owner-LIST receives the errors of LIST */
			struct buf oval = BUF_INIT(LOCAL_MAX_ALIAS + 1);
			struct stat ost;

			snprintf(ownkey, sizeof ownkey, "owner-%s", name);
			if (!str_starts(name, "owner-") &&
			    alias_find(x, ownkey, &oval, &ost) > 0)
				own = ownkey;
			buf_free(&oval);
			ctl_for_owner(x->cf, &actl, st.st_uid, st.st_gid);
			expand_list(x, val.p, 0, &actl, own);
			goto out;
		}
	}
	str_lcpy(user, name, sizeof user);
	detail[0] = 0;
	plus = strchr(user, '+');
	if (plus && plus != user) {
		str_lcpy(detail, plus + 1, sizeof detail);
		*plus = 0;
	}
	rc = user_find(x->cf, user, &c, x->err, x->errmax);
	if (rc < 0) {
		tempfail(x);
		goto out;
	}
	if (rc == 0) {
		/* RFC 5321 4.5.1: postmaster must always be accepted. */
		if (strcmp(user, "postmaster") == 0 &&
		    user_find(x->cf, "root", &c, x->err, x->errmax) > 0) {
			report_mailbox(x, &c, "", owner);
			goto out;
		}
		/* Inside a list, say which member (sendmail's wording). */
		if (x->depth > 1)
			report_error(x, "5.1.1", owner, "%s... User unknown",
				user);
		else
			report_error(x, "5.1.1", owner, "User unknown");
		goto out;
	}
	if (noalias || !expand_forward(x, &c, detail, owner))
		report_mailbox(x, &c, detail, owner);
out:
	x->depth--;
	buf_free(&val);
}

int local_expand(const struct cf *cf, const char *addr, local_target_fn fn,
	void *ctx, char *err, size_t errmax)
{
	struct expander x;
	struct creds none;
	char a[1100];

	memset(&x, 0, sizeof x);
	x.cf = cf;
	x.fn = fn;
	x.ctx = ctx;
	x.err = err;
	x.errmax = errmax;
	buf_init(&x.names.data, 1UL << 20);
	buf_init(&x.keys.data, 4UL << 20);
	if (err && errmax)
		err[0] = 0;
	memset(&none, 0, sizeof none);
	none.uid = (uid_t)-1;
	if (str_lcpy(a, addr, sizeof a) >= sizeof a)
		report_error(&x, "5.1.3", NULL, "address too long");
	else
		expand_entry(&x, a, &none, NULL, 1);
	if (x.rc == 0 && x.ntargets == 0 && x.loop[0])
		report_error(&x, "5.4.6", NULL, "%s: aliasing/forwarding "
			"loop broken", x.loop);
	strset_free(&x.names);
	strset_free(&x.keys);
	return x.rc > 0 ? x.rc : 0;
}

/* ---- delivery ------------------------------------------------------- */

enum job_mode { JOB_MBOX, JOB_MAILDIR, JOB_FILE, JOB_PROGRAM, JOB_MDA };

struct job {
	const struct cf *cf;
	const struct local_target *t;
	const struct local_msg *msg;
	struct creds c;		/* whom to run as */
	enum job_mode mode;
	int keep_root;		/* Mlocal F=S: run the MDA as we are */
	dev_t suid_dev;		/* a set-ID /file we run as the owner of: */
	ino_t suid_ino;		/*   the file it must still be once open */
	char path[FILE_PATH_MAX];
	char prefix[1400];	/* Return-Path and Delivered-To */
	size_t prefix_len;
};

static void result(struct local_result *r, int status, const char *dsn,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void result(struct local_result *r, int status, const char *dsn,
	const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	str_lcpy(r->dsn, dsn, sizeof r->dsn);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof r->text, fmt, ap);
	va_end(ap);
}

/* An open/write failure as a result.  Mailboxes: everything temporary
 * (the administrator fixes a symlink or an owner, the mail waits, as in
 * Postfix); /file targets: sendmail's EX_CANTCREAT for what will not
 * change by itself. */
static void result_errno(struct local_result *r, const struct job *j, int err)
{
	const char *why = strerror(err);

	switch (err) {
	case ENOSPC:
		result(r, EX_TEMPFAIL, "4.3.1", "%s: %s", j->path, why);
		return;
	case EDQUOT: case EFBIG:
		result(r, EX_TEMPFAIL, "4.2.2", "%s: mailbox full (%s)",
			j->path, why);
		return;
	case EAGAIN:
		result(r, EX_TEMPFAIL, "4.2.0", "%s: mailbox locked",
			j->path);
		return;
	case ELOOP:
		why = "is a symbolic link: refused";
		break;
	case EPERM:
		why = j->mode == JOB_FILE ? why : "wrong owner: refused";
		break;
	case EMLINK:
		why = "has hard links: refused";
		break;
	case EINVAL:
		why = "not a regular file: refused";
		break;
	}
	if (j->mode == JOB_FILE && (err == EACCES || err == EPERM ||
	    err == ELOOP || err == EINVAL || err == EISDIR ||
	    err == ENOENT || err == EMLINK || err == ENOTDIR)) {
		result(r, EX_CANTCREAT, "5.2.0", "%s: %s", j->path, why);
		return;
	}
	result(r, EX_TEMPFAIL, "4.2.0", "%s: %s", j->path, why);
}

/* Header text is ours to keep to one line per field. */
static void clean_copy(char *dst, size_t max, const char *s)
{
	size_t i;

	str_lcpy(dst, s ? s : "", max);
	for (i = 0; dst[i]; i++)
		if ((unsigned char)dst[i] < ' ' || dst[i] == 0x7f)
			dst[i] = '?';
}

static void make_prefix(struct job *j)
{
	char sender[600], rcpt[600];
	int n;

	clean_copy(sender, sizeof sender, j->msg->sender);
	clean_copy(rcpt, sizeof rcpt, j->msg->rcpt && *j->msg->rcpt ?
		j->msg->rcpt : j->t->user);
	n = snprintf(j->prefix, sizeof j->prefix,
		"Return-Path: <%s>\nDelivered-To: %s\n", sender, rcpt);
	j->prefix_len = n > 0 && (size_t)n < sizeof j->prefix ? (size_t)n : 0;
}

/* Feeds the prefix and the message (pread from 0) to OUT. */
static int copy_message(const struct job *j,
	int (*out)(void *arg, const void *p, size_t n), void *arg)
{
	char chunk[16384];
	off_t off = 0;
	ssize_t r;

	if (j->prefix_len && out(arg, j->prefix, j->prefix_len) < 0)
		return -1;
	for (;;) {
		r = pread(j->msg->fd, chunk, sizeof chunk, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		if (out(arg, chunk, r) < 0)
			return -1;
		off += r;
	}
}

static int mbox_out(void *arg, const void *p, size_t n)
{
	return mbox_append_write(arg, p, n);
}

static int maildir_out(void *arg, const void *p, size_t n)
{
	return maildir_deliver_write(arg, p, n);
}

static void job_mbox(const struct job *j, struct local_result *res)
{
	struct mbox_append m;
	time_t when = j->msg->arrived ? j->msg->arrived : time(NULL);
	int flags = MBOX_CREATE, err;

	/* sendmail's file mailer: /dev/null takes anything */
	if (j->mode == JOB_FILE && strcmp(j->path, "/dev/null") == 0) {
		result(res, 0, "2.0.0", "Delivered");
		return;
	}
	if (j->mode == JOB_MBOX)
		flags |= MBOX_OWNER;
	if (mbox_append_open(&m, j->path, j->c.uid, flags) < 0) {
		struct stat st;

		/* Someone else's file is not even writable for us: say why
		 * it is refused rather than "Permission denied". */
		err = errno;
		if (err == EACCES && j->mode == JOB_MBOX &&
		    lstat(j->path, &st) == 0 && st.st_uid != j->c.uid)
			err = EPERM;
		result_errno(res, j, err);
		return;
	}
	/* A path swapped between our look as root and this open must
	 * not get written with the set-ID file's owner's rights. */
	if (j->suid_ino) {
		struct stat now;

		if (fstat(m.fd, &now) < 0 || now.st_dev != j->suid_dev ||
		    now.st_ino != j->suid_ino) {
			mbox_append_abort(&m);
			result_errno(res, j, EPERM);
			return;
		}
	}
	if (mbox_append_from(&m, j->msg->sender, when) < 0 ||
	    copy_message(j, mbox_out, &m) < 0) {
		err = errno;
		mbox_append_abort(&m);
		result_errno(res, j, err);
		return;
	}
	if (mbox_append_commit(&m) < 0)
		result_errno(res, j, errno);
	else
		result(res, 0, "2.0.0", "Delivered");
}

/* mkdir -p of PATH's parents, mode 0700. */
static void make_parents(const char *path)
{
	char d[FILE_PATH_MAX], *p;

	if (str_lcpy(d, path, sizeof d) >= sizeof d)
		return;
	for (p = d + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = 0;
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return;
		*p = '/';
	}
}

static void job_maildir(const struct job *j, struct local_result *res)
{
	struct maildir_deliver d;
	int err;

	/* A virtual user's home may not exist yet (Dovecot makes it on
	 * demand too): we are the user here, so make what is missing. */
	if (maildir_make(j->path) < 0 && errno == ENOENT)
		make_parents(j->path);
	if (maildir_make(j->path) < 0 ||
	    maildir_deliver_open(&d, j->path) < 0) {
		result_errno(res, j, errno);
		return;
	}
	if (copy_message(j, maildir_out, &d) < 0) {
		err = errno;
		maildir_deliver_abort(&d);
		result_errno(res, j, err);
		return;
	}
	if (maildir_deliver_commit(&d, NULL, 0) < 0) {
		result_errno(res, j, errno);
		return;
	}
	result(res, 0, "2.0.0", "Delivered");
}

/* Output of a program, for the bounce: one line, control bytes blanked. */
static void output_text(char *dst, size_t max, const char *out, size_t n)
{
	size_t i, k = 0;
	int blank = 1;

	for (i = 0; i < n && k + 1 < max; i++) {
		char c = out[i];

		if ((unsigned char)c < ' ' || c == 0x7f)
			c = ' ';
		if (c == ' ' && blank)
			continue;
		blank = c == ' ';
		dst[k++] = c;
	}
	while (k && dst[k - 1] == ' ')
		k--;
	dst[k] = 0;
}

static void close_from(int lowest)
{
	int fd;

	for (fd = lowest; fd < 1024; fd++)
		close(fd);
}

/* Runs PATH with ARGV and the message on stdin, collecting its output
 * (bounded), within LOCAL_PROG_TIMEOUT seconds. */
/* Reads what is there on FD (non-blocking) into out, keeping the first
 * max bytes.  1 at end of file or on an error, else 0. */
static int keep_output(int fd, char *out, size_t max, size_t *outn)
{
	char tmp[4096];
	ssize_t r;
	size_t k;

	for (;;) {
		r = read(fd, tmp, sizeof tmp);
		if (r == 0)
			return 1;
		if (r < 0)
			return errno != EAGAIN && errno != EINTR;
		k = max - *outn < (size_t)r ? max - *outn : (size_t)r;
		memcpy(out + *outn, tmp, k);
		*outn += k;
	}
}

/* Mlocal's P= that cannot be run (WHY): the words for the log and the
 * queue, naming the program, its package's usual name and postbox's own
 * local delivery (a P= whose last part is mail.local or postbox, see
 * external_mda). */
static void mda_unusable(char *dst, size_t max, const char *path,
	const char *why)
{
	const char *base = strrchr(path, '/');

	snprintf(dst, max, "Mlocal P=%s: %s; install %s or use "
		"P=/usr/lib/sm.bin/mail.local (postbox's own local delivery)",
		path, why, base ? base + 1 : path);
}

/* execve's errno in words. */
static const char *exec_why(int err)
{
	switch (err) {
	case ENOENT:
		return "not found";
	case EACCES:
		return "not executable (permission denied)";
	case ENOEXEC:
		return "not an executable (exec format error)";
	}
	return strerror(err);
}

static void run_command(const struct job *j, const char *path,
	char *const argv[], const char *what, struct local_result *res)
{
	char envs[7][700], *envp[8], out[LOCAL_PROG_OUTPUT], text[400];
	char chunk[16384], why[460];
	size_t outn = 0, clen = 0, cpos = 0;
	int in[2], op[2] = { -1, -1 }, ep[2], status, i, eof_in = 0;
	int eof_out = 0, prefix_done = 0, read_err = 0, exited = 0;
	int timed_out = 0, exec_err = 0;
	off_t off = 0;
	struct pollfd pfd[2];
	struct timespec t0, now;
	ssize_t r;
	pid_t pid;

	snprintf(envs[0], sizeof envs[0], "SENDER=%s", j->msg->sender);
	snprintf(envs[1], sizeof envs[1], "RECIPIENT=%s",
		j->msg->rcpt ? j->msg->rcpt : j->t->user);
	snprintf(envs[2], sizeof envs[2], "HOME=%s", j->c.home);
	snprintf(envs[3], sizeof envs[3], "USER=%s", j->c.user);
	snprintf(envs[4], sizeof envs[4], "LOGNAME=%s", j->c.user);
	snprintf(envs[5], sizeof envs[5], "SHELL=/bin/sh");
	snprintf(envs[6], sizeof envs[6], "PATH=/usr/bin:/bin");
	for (i = 0; i < 7; i++)
		envp[i] = envs[i];
	envp[7] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0) {
		result(res, EX_TEMPFAIL, "4.3.0", "pipe: %s", strerror(errno));
		return;
	}
	/* ep: the child's execve errno, if it fails (closed by a good
	 * exec), so a program that is not there is told from one that
	 * exits 69 */
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		result(res, EX_TEMPFAIL, "4.3.0", "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		if (op[0] >= 0)
			close(op[0]), close(op[1]);
		return;
	}
	pid = fork();
	if (pid < 0) {
		result(res, EX_TEMPFAIL, "4.3.0", "fork: %s", strerror(errno));
		close(in[0]), close(in[1]), close(op[0]), close(op[1]);
		close(ep[0]), close(ep[1]);
		return;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(op[1], 1) < 0 ||
		    dup2(op[1], 2) < 0 || dup2(ep[1], 3) < 0 ||
		    fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
			_exit(EX_OSERR);
		close_from(4);
		if (!j->c.home[0] || chdir(j->c.home) < 0)
			if (chdir("/") < 0)
				_exit(EX_OSERR);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGXFSZ, SIG_DFL);
		{
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
		}
		execve(path, argv, envp);
		i = errno;
		if (write(3, &i, sizeof i) < 0)
			_exit(EX_OSERR);
		_exit(127);
	}
	close(in[0]);
	close(op[1]);
	close(ep[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(op[0], F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Until it exits: a program may close its output early, or leave
	 * a child behind that keeps it open. */
	while (!exited) {
		pfd[0].fd = eof_in ? -1 : in[1];
		pfd[0].events = POLLOUT;
		pfd[1].fd = eof_out ? -1 : op[0];
		pfd[1].events = POLLIN;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= LOCAL_PROG_TIMEOUT) {
			timed_out = 1;
			break;
		}
		if (poll(pfd, 2, eof_in && eof_out ? 10 : 1000) < 0 &&
		    errno != EINTR)
			pfd[0].revents = pfd[1].revents = 0;
		if (!eof_in && (pfd[0].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			if (cpos == clen) {
				/* Refill: the prefix first, then the file. */
				cpos = clen = 0;
				if (!prefix_done) {
					memcpy(chunk, j->prefix, j->prefix_len);
					clen = j->prefix_len;
					prefix_done = 1;
				}
				if (clen == 0) {
					r = pread(j->msg->fd, chunk,
						sizeof chunk, off);
					if (r < 0)
						read_err = errno;
					clen = r > 0 ? (size_t)r : 0;
					off += clen;
				}
			}
			if (clen == 0) {
				eof_in = 1;	/* all sent */
				close(in[1]);
			} else if (cpos < clen) {
				r = write(in[1], chunk + cpos, clen - cpos);
				if (r > 0)
					cpos += r;
				else if (r < 0 && errno != EAGAIN &&
				    errno != EINTR) {
					/* EPIPE: it stopped reading,
					 * which is its right. */
					eof_in = 1;
					close(in[1]);
				}
			}
		}
		if (!eof_out && (pfd[1].revents & (POLLIN | POLLHUP |
		    POLLERR)))
			eof_out = keep_output(op[0], out, sizeof out, &outn);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			/* What it wrote before exiting, not what a
			 * child it left behind may still write. */
			if (!eof_out)
				keep_output(op[0], out, sizeof out, &outn);
		}
	}
	if (!eof_in)
		close(in[1]);
	close(op[0]);
	if (!exited) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				result(res, EX_TEMPFAIL, "4.3.0", "%s: wait: "
					"%s", what, strerror(errno));
				close(ep[0]);
				return;
			}
	}
	/* it has exited: what it wrote is there, or EOF */
	if (read(ep[0], &exec_err, sizeof exec_err) != sizeof exec_err)
		exec_err = 0;
	close(ep[0]);
	output_text(text, sizeof text, out, outn);
	/* A mailer that cannot be run (not there, not executable, or the
	 * dynamic loader's 127 for a missing library, as the shell's for a
	 * command not found) waits for the administrator: temporary, as a
	 * refused mailbox is, never a bounce that may fail the same way. */
	if (exec_err || (WIFEXITED(status) && (WEXITSTATUS(status) == 126 ||
	    WEXITSTATUS(status) == 127))) {
		if (exec_err)
			str_lcpy(why, exec_why(exec_err), sizeof why);
		else
			snprintf(why, sizeof why, "cannot be executed "
				"(exited %d%s%s)", WEXITSTATUS(status),
				text[0] ? ": " : "", text);
		if (j->mode == JOB_MDA)
			mda_unusable(res->text, sizeof res->text, path, why);
		else
			snprintf(res->text, sizeof res->text,
				"%s: %.200s: %.250s", what,
				exec_err ? path : j->t->path, why);
		res->status = EX_TEMPFAIL;
		str_lcpy(res->dsn, "4.3.5", sizeof res->dsn);
		return;
	}
	if (read_err) {
		result(res, EX_TEMPFAIL, "4.3.0", "reading the message: %s",
			strerror(read_err));
		return;
	}
	if (timed_out) {
		result(res, EX_TEMPFAIL, "4.3.0", "%s: timed out after %d s",
			what, LOCAL_PROG_TIMEOUT);
		return;
	}
	if (WIFSIGNALED(status)) {
		result(res, EX_TEMPFAIL, "4.3.0", "%s: killed by signal %d%s%s",
			what, WTERMSIG(status), text[0] ? ": " : "", text);
		return;
	}
	status = WEXITSTATUS(status);
	switch (status) {
	case 0:
		result(res, 0, "2.0.0", "Delivered");
		return;
	case EX_TEMPFAIL: case EX_OSERR: case EX_IOERR:
		/* sendmail defers on these three */
		result(res, EX_TEMPFAIL, "4.0.0", "%s: exited %d%s%s", what,
			status, text[0] ? ": " : "", text);
		return;
	}
	result(res, status >= EX__BASE && status <= EX__MAX ? status :
		EX_UNAVAILABLE, status == EX_NOUSER ? "5.1.1" :
		status == EX_NOHOST ? "5.1.2" : status == EX_NOPERM ? "5.7.1" :
		"5.3.0", "%s: exited %d%s%s", what, status,
		text[0] ? ": " : "", text);
}

static void job_program(const struct job *j, struct local_result *res)
{
	char *argv[] = { "/bin/sh", "-c", (char *)j->t->path, NULL };

	run_command(j, argv[0], argv, "program", res);
}

/* Mlocal's A= words, each expanded ($u $h $f $g $z, cf macros). */
static void job_mda(const struct job *j, struct local_result *res)
{
	const struct cf_mailer *m = cf_mailer(j->cf, "local");
	struct vars v = { j->c.user, j->c.home, j->t->path,
		j->msg->sender && *j->msg->sender ? j->msg->sender : "<>" };
	char words[4096], area[8192], *argv[33], *w, *save = NULL;
	size_t used = 0;
	int n = 0;

	if (!m || str_lcpy(words, m->argv ? m->argv : "", sizeof words) >=
	    sizeof words) {
		result(res, EX_TEMPFAIL, "4.3.5", "Mlocal A= too long");
		return;
	}
	/* A='s first word is argv[0], as sendmail passes it; P= is run. */
	for (w = strtok_r(words, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		if (n == 32 || expand_vars(j->cf, w, &v, area + used,
		    sizeof area - used) < 0) {
			result(res, EX_TEMPFAIL, "4.3.5", "Mlocal A= too long");
			return;
		}
		argv[n++] = area + used;
		used += strlen(area + used) + 1;
	}
	argv[n] = NULL;
	if (n == 0) {
		result(res, EX_TEMPFAIL, "4.3.5", "Mlocal has no A=");
		return;
	}
	run_command(j, m->path, argv, "mailer local", res);
}

static void do_job(const struct job *j, struct local_result *res)
{
	switch (j->mode) {
	case JOB_MBOX: case JOB_FILE:
		job_mbox(j, res);
		break;
	case JOB_MAILDIR:
		job_maildir(j, res);
		break;
	case JOB_PROGRAM:
		job_program(j, res);
		break;
	case JOB_MDA:
		job_mda(j, res);
		break;
	}
}

/* rename() that never replaces: renameat2(RENAME_NOREPLACE) where the
 * kernel and file system have it, else link() and unlink() (a reader may
 * then see two links for an instant).  0, or -1 with errno (EEXIST). */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef SYS_renameat2
	if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (link(from, to) < 0)
		return -1;
	unlink(from);
	return 0;
}

/* Root's part of an mbox delivery, before becoming the user: in a folder
 * root owns, the user alone can neither create the mailbox nor a lock.
 * Group-writable (Debian's /var/mail, root:mail 2775): lend the user that
 * group for this delivery.  Root only (0755): create the mailbox for the
 * user, O_EXCL so nothing existing is touched. */
static void mbox_prepare(const char *path, const struct creds *c,
	gid_t *extra)
{
	char dir[FILE_PATH_MAX], tmp[FILE_PATH_MAX], *slash;
	struct stat st;
	int fd;

	if (str_lcpy(dir, path, sizeof dir) >= sizeof dir ||
	    !(slash = strrchr(dir, '/')))
		return;
	slash == dir ? (void)(slash[1] = 0) : (void)(*slash = 0);
	if (stat(dir, &st) < 0 || st.st_uid != 0 || (st.st_mode & S_IWOTH))
		return;
	if (st.st_mode & S_IWGRP) {
		*extra = st.st_gid;
		return;
	}
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return;
	/* Made under another name and linked into place, so that no one
	 * ever sees it owned by root (a concurrent delivery would refuse
	 * it as foreign); link() fails when another delivery was first. */
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.new", path,
	    (long)getpid()) >= sizeof tmp)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0)
		return;
	if (fchown(fd, c->uid, c->gid) == 0 && rename_noreplace(tmp, path) == 0)
		file_fsync_dir(path, 0);
	unlink(tmp);
	close(fd);
}

typedef void (*job_work)(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res);

/* Runs WORK on the N messages in a child that becomes J's user, root or
 * not (a caller killed meanwhile does not cut a mailbox write short),
 * calls each message's done hook there, and brings the N results back;
 * one that does not come back is "delivery process died". */
static void in_child(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res, job_work work)
{
	gid_t extra = (gid_t)-1;
	size_t k, got = 0;
	ssize_t r;
	int p[2] = { -1, -1 }, root = geteuid() == 0;
	pid_t pid = -1;

	memset(res, 0, n * sizeof *res);
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		int err = errno;

		if (p[0] >= 0) {
			close(p[0]);
			close(p[1]);
		}
		for (k = 0; k < n; k++)
			result(&res[k], EX_TEMPFAIL, "4.3.0", "fork: %s",
				strerror(err));
		return;
	}
	if (pid == 0) {
		sigset_t stops;

		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		/* Past RLIMIT_FSIZE a write fails with EFBIG (and the mbox
		 * is cut back) instead of killing us half-way. */
		signal(SIGXFSZ, SIG_IGN);
		/* A stop request (SIGTERM from a supervisor, ^C) waits until
		 * the messages are in or out and the results sent: only
		 * SIGKILL can leave half a message. */
		sigemptyset(&stops);
		sigaddset(&stops, SIGTERM);
		sigaddset(&stops, SIGINT);
		sigaddset(&stops, SIGHUP);
		sigaddset(&stops, SIGQUIT);
		sigprocmask(SIG_BLOCK, &stops, NULL);
		if (j->mode == JOB_MBOX && root)
			mbox_prepare(j->path, &j->c, &extra);
		if (!j->keep_root && root &&
		    drop_privileges(&j->c, extra) < 0) {
			for (k = 0; k < n; k++)
				result(&res[k], EX_TEMPFAIL, "4.3.0", "cannot "
					"become %s (uid %ld): %s", j->c.user,
					(long)j->c.uid, strerror(errno));
		} else {
			work(j, msgs, n, res);
		}
		for (k = 0; k < n; k++)
			if (msgs[k]->done &&
			    msgs[k]->done(msgs[k]->done_arg, &res[k]) == 0)
				res[k].recorded = 1;
		file_write_all(p[1], res, n * sizeof *res);
		_exit(0);
	}
	close(p[1]);
	while (got < n * sizeof *res &&
	       (r = read(p[0], (char *)res + got, n * sizeof *res - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (k = 0; k < n; k++) {
		if ((k + 1) * sizeof *res > got) {
			memset(&res[k], 0, sizeof res[k]);
			result(&res[k], EX_TEMPFAIL, "4.3.0",
				"delivery process died");
			res[k].died = 1;
		}
		res[k].dsn[sizeof res[k].dsn - 1] = 0;
		res[k].text[sizeof res[k].text - 1] = 0;
	}
}

static void one_job(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res)
{
	(void)msgs;
	(void)n;
	do_job(j, res);
}

static void run_job(struct job *j, struct local_result *res)
{
	const struct local_msg *one[1];

	/* sendmail run by a user delivers only as that user; the mail
	 * waits for a privileged queue run. */
	if (geteuid() != 0 && !j->keep_root && j->c.uid != geteuid()) {
		result(res, EX_TEMPFAIL, "4.3.0", "cannot deliver as %s "
			"(uid %ld) when not running as root", j->c.user,
			(long)j->c.uid);
		return;
	}
	one[0] = j->msg;
	in_child(j, one, 1, res, one_job);
}

/* Postfix's loop check: the header already holds the Delivered-To line
 * we would add, so the message came back through a forward.  Looks at
 * the first LOCAL_MAX_HEADER bytes of the header only. */
static int delivered_before(const struct local_msg *msg, const char *rcpt)
{
	struct buf h = BUF_INIT(LOCAL_MAX_HEADER);
	char chunk[8192], *line, *end, *v;
	size_t n = strlen(rcpt), vl;
	off_t off = 0;
	ssize_t r;
	int seen = 0;

	while (h.len < LOCAL_MAX_HEADER &&
	       (r = pread(msg->fd, chunk, sizeof chunk, off)) > 0) {
		if (buf_add(&h, chunk, (size_t)r) < 0)
			break;
		off += r;
		if (strstr(buf_str(&h), "\n\n"))
			break;
	}
	for (line = h.p; line && *line && *line != '\n'; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = 0;
		if (strncasecmp(line, "Delivered-To:", 13) != 0)
			continue;
		for (v = line + 13; *v == ' ' || *v == '\t'; v++)
			;
		vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
			vl--;
		if (vl == n && strncasecmp(v, rcpt, n) == 0) {
			seen = 1;
			break;
		}
	}
	buf_free(&h);
	return seen;
}

/* Mlocal with a P= other than mail.local or postbox: an external MDA. */
static const struct cf_mailer *external_mda(const struct cf *cf)
{
	const struct cf_mailer *m = cf_mailer(cf, "local");
	const char *base;

	if (!m || !m->path || m->path[0] != '/')
		return NULL;
	base = strrchr(m->path, '/') + 1;
	if (strcmp(base, "mail.local") == 0 || strcmp(base, "postbox") == 0)
		return NULL;
	return m;
}

int local_mailer_check(const struct cf *cf, char *why, size_t max)
{
	const struct cf_mailer *m = external_mda(cf);
	struct stat st;

	if (!m)
		return 0;
	if (stat(m->path, &st) < 0) {
		mda_unusable(why, max, m->path, exec_why(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		mda_unusable(why, max, m->path, exec_why(EACCES));
		return -1;
	}
	return 0;
}

/* J for target T: who to run as. */
static void job_init(struct job *j, const struct cf *cf,
	const struct local_target *t)
{
	struct passwd *pw;

	j->cf = cf;
	j->t = t;
	str_lcpy(j->c.user, t->user, sizeof j->c.user);
	j->c.uid = t->uid;
	j->c.gid = t->gid;
	str_lcpy(j->c.home, t->home, sizeof j->c.home);
	pw = t->user[0] ? getpwnam(t->user) : NULL;
	j->c.system = pw && pw->pw_uid == t->uid;
}

int local_deliver(const struct cf *cf, const struct local_target *t,
	const struct local_msg *msg, struct local_result *res)
{
	const struct cf_mailer *mda;
	struct job *j;
	int kind;

	memset(res, 0, sizeof *res);
	switch (t->kind) {
	case LOCAL_ERROR:
		result(res, t->status[0] == '4' ? EX_TEMPFAIL :
			strcmp(t->status, "5.1.1") == 0 ? EX_NOUSER :
			EX_UNAVAILABLE, t->status[0] ? t->status : "5.0.0",
			"%s", t->text);
		return res->status;
	case LOCAL_REMOTE:
		result(res, EX_TEMPFAIL, "4.3.5", "%s: not a local target",
			t->path);
		return res->status;
	default:
		break;
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		result(res, EX_TEMPFAIL, "4.3.0", "out of memory");
		return res->status;
	}
	job_init(j, cf, t);
	j->msg = msg;
	if ((t->kind == LOCAL_FILE || t->kind == LOCAL_PROGRAM) &&
	    j->c.uid == 0)
		default_creds(cf, &j->c);	/* never as root */
	make_prefix(j);
	if (delivered_before(msg, msg->rcpt && *msg->rcpt ? msg->rcpt :
	    t->user)) {
		result(res, EX_UNAVAILABLE, "5.4.6", "mail forwarding loop "
			"for %s", msg->rcpt && *msg->rcpt ? msg->rcpt :
			t->user);
		free(j);
		return res->status;
	}
	if (t->kind == LOCAL_FILE) {
		struct stat fst;

		j->mode = JOB_FILE;
		str_lcpy(j->path, t->path, sizeof j->path);
		/* sendmail's mailfile(): a set-user-ID (set-group-ID) file
		 * is written as its owner (group), how an administrator
		 * lets an alias append to a file of a service user. */
		if (stat(j->path, &fst) == 0 && S_ISREG(fst.st_mode)) {
			if ((fst.st_mode & S_ISUID) && fst.st_uid != 0) {
				creds_by_uid(&j->c, fst.st_uid, fst.st_gid);
				j->c.system = 0;
			}
			if ((fst.st_mode & S_ISGID) && fst.st_gid != 0)
				j->c.gid = fst.st_gid;
			if (fst.st_mode & (S_ISUID | S_ISGID)) {
				j->suid_dev = fst.st_dev;
				j->suid_ino = fst.st_ino;
			}
		}
	} else if (t->kind == LOCAL_PROGRAM) {
		j->mode = JOB_PROGRAM;
	} else if ((mda = external_mda(cf)) != NULL) {
		j->mode = JOB_MDA;
		j->keep_root = mda->flags && strchr(mda->flags, 'S');
	} else {
		kind = local_mailbox(cf, t->user, t->home, j->path,
			sizeof j->path);
		if (kind < 0) {
			result(res, EX_TEMPFAIL, "4.3.5", "PostboxMailbox "
				"gives no mailbox for %s: %s", t->user,
				strerror(errno));
			free(j);
			return res->status;
		}
		j->mode = kind == LOCAL_MAILDIR ? JOB_MAILDIR : JOB_MBOX;
	}
	run_job(j, res);
	free(j);
	return res->status;
}

/* The batch's child: becomes the user, appends every message not seen
 * before under one lock, one fsync for all, then each result (and the
 * done hooks). */
static void batch_child(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res)
{
	struct mbox_append m;
	size_t k, nw = 0;
	char *wrote = calloc(n ? n : 1, 1);
	int err = 0;

	if (!wrote) {
		for (k = 0; k < n; k++)
			result(&res[k], EX_TEMPFAIL, "4.3.0", "out of memory");
		return;
	}
	if (mbox_append_open(&m, j->path, j->c.uid, MBOX_CREATE | MBOX_OWNER)
	    < 0) {
		struct stat st;

		err = errno;
		if (err == EACCES && lstat(j->path, &st) == 0 &&
		    st.st_uid != j->c.uid)
			err = EPERM;
		for (k = 0; k < n; k++)
			result_errno(&res[k], j, err);
		free(wrote);
		return;
	}
	for (k = 0; k < n && !err; k++) {
		res[k].status = -1;	/* not decided yet */
		const char *rcpt = msgs[k]->rcpt && *msgs[k]->rcpt ?
			msgs[k]->rcpt : j->t->user;

		j->msg = msgs[k];
		if (delivered_before(msgs[k], rcpt)) {
			result(&res[k], EX_UNAVAILABLE, "5.4.6", "mail "
				"forwarding loop for %s", rcpt);
			continue;
		}
		make_prefix(j);
		if ((nw && mbox_append_end(&m) < 0) ||
		    mbox_append_from(&m, msgs[k]->sender, msgs[k]->arrived ?
			msgs[k]->arrived : time(NULL)) < 0 ||
		    copy_message(j, mbox_out, &m) < 0)
			err = errno ? errno : EIO;
		wrote[k] = 1;
		nw++;
	}
	if (err)
		mbox_append_abort(&m);
	else if (!nw)
		mbox_append_abort(&m);	/* nothing written: just unlock */
	else if (mbox_append_commit(&m) < 0)
		err = errno;
	for (k = 0; k < n; k++) {
		/* a loop keeps its 5.4.6; the rest share the batch's fate */
		if (!wrote[k] && res[k].status > 0)
			continue;
		if (err)
			result_errno(&res[k], j, err);
		else
			result(&res[k], 0, "2.0.0", "Delivered");
	}
	free(wrote);
}

void local_deliver_batch(const struct cf *cf, const struct local_target *t,
	const struct local_msg *const *msgs, size_t n,
	struct local_result *res)
{
	struct job *j;
	size_t k;

	memset(res, 0, n * sizeof *res);
	j = t->kind == LOCAL_MAILBOX && !external_mda(cf) ?
		calloc(1, sizeof *j) : NULL;
	if (j) {
		job_init(j, cf, t);
		j->mode = JOB_MBOX;
	}
	/* Maildir (a file and an fsync per message anyway), an MDA, a user
	 * we cannot become: one by one, as ever. */
	if (!j || n < 2 || local_mailbox(cf, t->user, t->home, j->path,
	    sizeof j->path) != LOCAL_MBOX ||
	    (geteuid() != 0 && t->uid != geteuid())) {
		free(j);
		for (k = 0; k < n; k++)
			local_deliver(cf, t, msgs[k], &res[k]);
		return;
	}
	in_child(j, msgs, n, res, batch_child);
	free(j);
}
