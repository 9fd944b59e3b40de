/*
 * sendmail's expansion of a local recipient into final targets (contracts
 * in sendmail.h), as sendmail 8: aliases (all AliasFiles, in order; for
 * user+detail the keys user+detail, user+*, user), owner-LIST, :include:,
 * ~/.forward per ForwardPath, "\user", |program, /file, error:.  What a
 * program or a file target runs as is the "controlling user" (sendmail's
 * ctladdr): the owner of the .forward or :include: file that named it, or
 * of the aliases database; root is replaced by DefaultUser, so no
 * user-supplied command ever runs as root.
 */
#include "sendmail.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define seterr str_seterr

/* The controlling user for targets found in a file owned by UID/GID:
 * root's files (the aliases, root's .forward) run as DefaultUser. */
static void ctl_for_owner(const struct cf *cf, struct local_creds *c, uid_t uid,
	gid_t gid)
{
	if (uid == 0) {
		local_default_creds(cf, c);
		c->rootfile = 1;
	} else
		local_creds_by_uid(c, uid, gid);
}

int expand_vars(const struct cf *cf, const char *s,
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

/* Reads a list file as the user AS: with this process's ids switched to
 * AS (local_as_user) when we are root and AS is not, so a user can never
 * make us read a file of someone else's (a hard link to /etc/shadow as
 * ~/.forward). */
static int list_read_as(const struct local_creds *as, const char *path,
	int kind, struct buf *out, struct stat *st, char *why, size_t max)
{
	struct local_ids ids;
	int rc;

	if (geteuid() != 0 || as->uid == 0)
		return list_read(path, kind, as->uid, out, st, why, max);
	/* Most users have no .forward: root's look at the name alone
	 * (nothing is read) spares the switch. */
	if (kind == LIST_FORWARD && lstat(path, st) < 0 &&
	    (errno == ENOENT || errno == ENOTDIR)) {
		why[0] = 0;
		return 0;
	}
	if (local_as_user(as, (gid_t)-1, &ids) < 0) {
		seterr(why, max, "cannot become %s: %s", as->user,
			strerror(errno));
		return -1;
	}
	rc = list_read(path, kind, as->uid, out, st, why, max);
	local_as_root(&ids);
	if (rc < 0 && !why[0])
		seterr(why, max, "%s: reader failed", path);
	return rc;
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

static void set_target_creds(struct local_target *t,
	const struct local_creds *c)
{
	str_lcpy(t->user, c->user, sizeof t->user);
	t->uid = c->uid;
	t->gid = c->gid;
	str_lcpy(t->home, c->home, sizeof t->home);
}

static void report_mailbox(struct expander *x, const struct local_creds *c,
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
	const struct local_creds *ctl, const char *owner);

/* :include:PATH read as CTL; its targets run as the file's owner. */
static void expand_include(struct expander *x, const char *path,
	const struct local_creds *ctl, const char *owner)
{
	struct buf data = BUF_INIT(LOCAL_MAX_LISTFILE);
	struct local_creds fctl, root;
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
static void expand_entry(struct expander *x, char *e,
	const struct local_creds *ctl, const char *owner, int raw)
{
	struct local_target t;
	struct local_creds dflt;
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
			local_default_creds(x->cf, &dflt);
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
	const struct local_creds *ctl, const char *owner)
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
static int expand_forward(struct expander *x, const struct local_creds *c,
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
	struct local_creds c, actl;
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
	rc = local_user_find(x->cf, user, &c, x->err, x->errmax);
	if (rc < 0) {
		tempfail(x);
		goto out;
	}
	if (rc == 0) {
		/* RFC 5321 4.5.1: postmaster must always be accepted. */
		if (strcmp(user, "postmaster") == 0 &&
		    local_user_find(x->cf, "root", &c, x->err, x->errmax) > 0) {
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
	struct local_creds none;
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
