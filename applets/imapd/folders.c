/*
 * imapd's folders (RFC 3501 6.3, folder.h): LIST and LSUB (with RFC
 * 5258 LIST-EXTENDED's selection and return options, RFC 3348 CHILDREN,
 * RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS), CREATE, DELETE, RENAME,
 * SUBSCRIBE, UNSUBSCRIBE, STATUS, APPEND (RFC 4315 APPENDUID, RFC 7889
 * APPENDLIMIT), COPY and MOVE (RFC 6851) with COPYUID.
 */
#include "imapd.h"
#include "imapmsg.h"
#include "folder.h"
#include <sys/stat.h>

static struct folder_store *FS(struct imap *s)
{
	return s->folders;
}

/* "~" the home, "%u" the user: PostboxImapFolders into DST. */
static int expand_root(const char *spec, const char *user, const char *home,
	char *dst, size_t max)
{
	struct buf b = BUF_INIT(max - 1);
	int r = 0;

	if (*spec == '~') {
		r = buf_adds(&b, home);
		spec++;
	}
	for (; *spec && r == 0; spec++) {
		if (spec[0] == '%' && spec[1] == 'u') {
			r = buf_adds(&b, user);
			spec++;
		} else {
			r = buf_addc(&b, *spec);
		}
	}
	if (r == 0 && b.len && b.p[0] == '/')
		str_lcpy(dst, b.p, max);
	else
		r = -1;
	buf_free(&b);
	return r;
}

/* Makes the folder PATH and those above it that are missing, 0700 (an
 * mbox user's folder root: Dovecot makes ~/mail the same way).  0, or
 * -1 with errno. */
static int make_root(const char *path)
{
	char p[4096];
	size_t i;

	if (str_lcpy(p, path, sizeof p) >= sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* After a login: the folder tree, and the special-use folders made
 * when missing (PostboxImapSpecialUse).  A failure is logged: INBOX
 * still works. */
void folders_init(struct imap *s, const char *home)
{
	const struct cf_list *sp = &s->cf->opt.imap_special;
	const char *names[FOLDER_USES] = { 0 };
	struct folder_store *fs;
	char root[4096];
	size_t i;

	fs = calloc(1, sizeof *fs);
	if (!fs)
		return;
	if (s->kind == LOCAL_MAILDIR)
		root[0] = 0;
	else if (expand_root(s->cf->opt.imap_folders ?
	    s->cf->opt.imap_folders : "~/mail", s->login, home, root,
	    sizeof root) < 0) {
		log_msg(LOG_WARNING, "%s: %s: PostboxImapFolders gives no "
			"folder", s->client, s->login);
		free(fs);
		return;
	}
	if (folder_init(fs, s->kind, s->inbox, root) < 0) {
		log_msg(LOG_WARNING, "%s: %s: folders: %s", s->client,
			s->login, strerror(errno));
		free(fs);
		return;
	}
	s->folders = fs;
	if (s->kind == LOCAL_MBOX && make_root(root) < 0)
		log_msg(LOG_WARNING, "%s: %s: %s: %s", s->client, s->login,
			root, strerror(errno));
	for (i = 0; i < sp->n && i < FOLDER_USES; i++)
		names[i] = sp->v[i];
	if (sp->n && folder_special(fs, names) < 0)
		log_msg(LOG_WARNING, "%s: %s: special-use folders: %s",
			s->client, s->login, fs->err);
}

/* NO with the RFC 5530 code of errno. */
static void folder_no(struct imap *s, const char *what)
{
	int e = errno;

	tagged(s, "NO [%s] %s: %s", e == EEXIST ? "ALREADYEXISTS" :
		e == ENOENT ? "NONEXISTENT" : e == EINVAL ? "CANNOT" :
		e == EPERM || e == ENOTEMPTY || e == ENOTDIR || e == EISDIR ?
		"CANNOT" : e == EACCES ? "NOPERM" : e == EWOULDBLOCK ? "INUSE" :
		e == ENOSPC || e == EDQUOT ? "OVERQUOTA" : "SERVERBUG", what,
		FS(s) && FS(s)->err[0] ? FS(s)->err : strerror(e));
}

static int p_name(struct imap *s, struct cur *c, char *dst, size_t max)
{
	return p_cstring(c, dst, max, 0);
}

static int need_folders(struct imap *s)
{
	if (FS(s))
		return 0;
	tagged(s, "NO [UNAVAILABLE] Folders are not available");
	return -1;
}

/* --- CREATE, DELETE, RENAME, SUBSCRIBE ------------------------------------ */

void cmd_create(struct imap *s, struct cur *c)
{
	char name[FOLDER_NAME_MAX + 2];

	if (p_sp(c) < 0 || p_name(s, c, name, sizeof name) < 0 || !p_eol(c)) {
		tagged(s, "BAD Usage: CREATE mailbox");
		s->errors++;
	} else if (need_folders(s) == 0) {
		if (folder_create(FS(s), name) < 0)
			folder_no(s, "CREATE failed");
		else
			tagged(s, "OK CREATE completed");
	}
}

void cmd_delete(struct imap *s, struct cur *c)
{
	char name[FOLDER_NAME_MAX + 1];

	if (p_sp(c) < 0 || p_name(s, c, name, sizeof name) < 0 || !p_eol(c)) {
		tagged(s, "BAD Usage: DELETE mailbox");
		s->errors++;
	} else if (need_folders(s) == 0) {
		if (folder_delete(FS(s), name) < 0)
			folder_no(s, "DELETE failed");
		else
			tagged(s, "OK DELETE completed");
	}
}

void cmd_rename(struct imap *s, struct cur *c)
{
	char old[FOLDER_NAME_MAX + 1], new[FOLDER_NAME_MAX + 1];

	if (p_sp(c) < 0 || p_name(s, c, old, sizeof old) < 0 ||
	    p_sp(c) < 0 || p_name(s, c, new, sizeof new) < 0 || !p_eol(c)) {
		tagged(s, "BAD Usage: RENAME old new");
		s->errors++;
	} else if (need_folders(s) == 0) {
		if (folder_rename(FS(s), old, new) < 0)
			folder_no(s, "RENAME failed");
		else
			tagged(s, "OK RENAME completed");
	}
}

static void subscribe(struct imap *s, struct cur *c, int on)
{
	char name[FOLDER_NAME_MAX + 1];

	if (p_sp(c) < 0 || p_name(s, c, name, sizeof name) < 0 || !p_eol(c)) {
		tagged(s, "BAD Usage: %sSUBSCRIBE mailbox", on ? "" : "UN");
		s->errors++;
	} else if (need_folders(s) == 0) {
		if (folder_subscribe(FS(s), name, on) < 0)
			folder_no(s, on ? "SUBSCRIBE failed" :
				"UNSUBSCRIBE failed");
		else
			tagged(s, "OK %sSUBSCRIBE completed", on ? "" : "UN");
	}
}

void cmd_subscribe(struct imap *s, struct cur *c)
{
	subscribe(s, c, 1);
}

void cmd_unsubscribe(struct imap *s, struct cur *c)
{
	subscribe(s, c, 0);
}

/* --- STATUS --------------------------------------------------------------- */

#define ST_MESSAGES	1
#define ST_RECENT	2
#define ST_UIDNEXT	4
#define ST_UIDVALIDITY	8
#define ST_UNSEEN	16
#define ST_HIGHESTMODSEQ 32
#define ST_SIZE		64

/* "(MESSAGES UNSEEN ...)" into *WHAT.  0, or -1. */
static int p_status_items(struct cur *c, unsigned *what)
{
	static const struct { const char *name; unsigned bit; } t[] = {
		{ "MESSAGES", ST_MESSAGES }, { "RECENT", ST_RECENT },
		{ "UIDNEXT", ST_UIDNEXT }, { "UIDVALIDITY", ST_UIDVALIDITY },
		{ "UNSEEN", ST_UNSEEN }, { "HIGHESTMODSEQ", ST_HIGHESTMODSEQ },
		{ "SIZE", ST_SIZE },
	};
	char word[32];
	size_t i;

	*what = 0;
	if (!p_peek(c, '('))
		return -1;
	c->p++;
	do {
		if (p_word(c, word, sizeof word) < 0)
			return -1;
		for (i = 0; i < sizeof t / sizeof *t; i++)
			if (!strcmp(word, t[i].name))
				break;
		if (i == sizeof t / sizeof *t)
			return -1;
		*what |= t[i].bit;
	} while (p_sp(c) == 0);
	if (!p_peek(c, ')'))
		return -1;
	c->p++;
	return 0;
}

/* The STATUS response of NAME: 0, or -1 with errno. */
static int status(struct imap *s, const char *name, unsigned what)
{
	char path[4096], err[MAILBOX_ERR_MAX];
	struct mailbox mb;
	size_t i, unseen = 0, recent = 0;
	off_t size = 0;
	const char *sp = "";
	int kind;

	if (folder_find(s, name, path, sizeof path, &kind) < 0)
		return -1;
	memset(&mb, 0, sizeof mb);
	mb.fd = mb.lockfd = -1;
	if (mailbox_open(&mb, path, kind, MAILBOX_SHARED | MAILBOX_RDONLY,
	    err, sizeof err) < 0) {
		log_msg(LOG_INFO, "%s: %s: STATUS: %s", s->client, s->login,
			err);
		return -1;
	}
	for (i = 0; i < mb.n; i++) {
		if (!(mb.msg[i].flags & MAILBOX_SEEN))
			unseen++;
		if (mb.msg[i].uid >= mb.recent_uid)
			recent++;
		size += mb.msg[i].size;
	}
	io_puts(&s->out, "* STATUS ");
	out_string(s, name, strlen(name));
	io_puts(&s->out, " (");
	if (what & ST_MESSAGES) {
		io_printf(&s->out, "%sMESSAGES %zu", sp, mb.n);
		sp = " ";
	}
	if (what & ST_RECENT) {
		io_printf(&s->out, "%sRECENT %zu", sp, recent);
		sp = " ";
	}
	if (what & ST_UIDNEXT) {
		io_printf(&s->out, "%sUIDNEXT %u", sp, mb.next_uid);
		sp = " ";
	}
	if (what & ST_UIDVALIDITY) {
		io_printf(&s->out, "%sUIDVALIDITY %u", sp, mb.validity);
		sp = " ";
	}
	if (what & ST_UNSEEN) {
		io_printf(&s->out, "%sUNSEEN %zu", sp, unseen);
		sp = " ";
	}
	if (what & ST_HIGHESTMODSEQ) {
		io_printf(&s->out, "%sHIGHESTMODSEQ %llu", sp,
			(unsigned long long)(mb.highestmodseq ?
			mb.highestmodseq : 1));
		sp = " ";
	}
	if (what & ST_SIZE)
		io_printf(&s->out, "%sSIZE %lld", sp, (long long)size);
	io_puts(&s->out, ")\r\n");
	mailbox_close(&mb);
	return 0;
}

void cmd_status(struct imap *s, struct cur *c)
{
	char name[FOLDER_NAME_MAX + 1];
	unsigned what;

	if (p_sp(c) < 0 || p_name(s, c, name, sizeof name) < 0 ||
	    p_sp(c) < 0 || p_status_items(c, &what) < 0 || !p_eol(c)) {
		tagged(s, "BAD Usage: STATUS mailbox (items)");
		s->errors++;
		return;
	}
	if (what & ST_HIGHESTMODSEQ)
		s->condstore = 1;
	if (status(s, name, what) < 0) {
		if (errno == EWOULDBLOCK)
			tagged(s, "NO [INUSE] Mailbox is locked");
		else
			tagged(s, "NO [NONEXISTENT] Mailbox does not exist");
		return;
	}
	tagged(s, "OK STATUS completed");
}

/* --- LIST, LSUB ----------------------------------------------------------- */

struct listing {
	struct imap *s;
	const char *verb;	/* "LIST", "LSUB" */
	int extended;		/* LIST-EXTENDED syntax: \NonExistent shown */
	int subscribed;		/* \Subscribed shown */
	int children;		/* CHILDINFO for RECURSIVEMATCH */
	unsigned status;	/* RETURN (STATUS (...)) */
	int special_only;	/* (SPECIAL-USE) selection */
};

static int list_cb(void *arg, const char *name, unsigned attrs)
{
	static const struct { unsigned bit; const char *name; } t[] = {
		{ FOLDER_NOSELECT, "\\Noselect" },
		{ FOLDER_NONEXISTENT, "\\NonExistent" },
		{ FOLDER_NOINFERIORS, "\\NoInferiors" },
		{ FOLDER_HASCHILDREN, "\\HasChildren" },
		{ FOLDER_HASNOCHILDREN, "\\HasNoChildren" },
		{ FOLDER_SUBSCRIBED, "\\Subscribed" },
		{ FOLDER_DRAFTS, "\\Drafts" }, { FOLDER_SENT, "\\Sent" },
		{ FOLDER_TRASH, "\\Trash" }, { FOLDER_JUNK, "\\Junk" },
		{ FOLDER_ARCHIVE, "\\Archive" },
	};
	struct listing *ls = arg;
	struct imap *s = ls->s;
	const char *sp = "";
	size_t i;

	if (!ls->extended)
		attrs &= ~FOLDER_NONEXISTENT;
	if (!ls->subscribed)
		attrs &= ~FOLDER_SUBSCRIBED;
	if (ls->special_only && !(attrs & (FOLDER_DRAFTS | FOLDER_SENT |
	    FOLDER_TRASH | FOLDER_JUNK | FOLDER_ARCHIVE)))
		return 0;
	/* RFC 3348: \NoInferiors implies no children */
	if (attrs & FOLDER_NOINFERIORS)
		attrs &= ~FOLDER_HASNOCHILDREN;
	io_printf(&s->out, "* %s (", ls->verb);
	for (i = 0; i < sizeof t / sizeof *t; i++)
		if (attrs & t[i].bit) {
			io_printf(&s->out, "%s%s", sp, t[i].name);
			sp = " ";
		}
	io_puts(&s->out, ") \"/\" ");
	out_string(s, name, strlen(name));
	if (ls->children && (attrs & FOLDER_CHILD_SUBSCRIBED))
		io_puts(&s->out, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	io_puts(&s->out, "\r\n");
	if (ls->status && !(attrs & (FOLDER_NOSELECT | FOLDER_NONEXISTENT)))
		status(s, name, ls->status);
	return s->out.err ? -1 : 0;
}

/* RFC 3501 6.3.8, RFC 5258 3: LIST [(selection)] ref (pattern | (patterns))
 * [RETURN (options)]; LSUB ref pattern. */
static void list(struct imap *s, struct cur *c, int lsub)
{
	struct listing ls = { s, lsub ? "LSUB" : "LIST", 0, 0, 0, 0, 0 };
	char ref[FOLDER_NAME_MAX + 1], word[32];
	char (*pat)[FOLDER_PATTERN_MAX] = NULL;
	unsigned flags = lsub ? FOLDER_LIST_LSUB : 0;
	size_t npat = 0, i;
	int multi = 0;

	if (p_sp(c) < 0)
		goto bad;
	if (!lsub && p_peek(c, '(')) {
		ls.extended = 1;
		c->p++;
		while (!p_peek(c, ')')) {
			if (p_word(c, word, sizeof word) < 0)
				goto bad;
			if (!strcmp(word, "SUBSCRIBED")) {
				flags |= FOLDER_LIST_SUBSCRIBED;
				ls.subscribed = 1;
			} else if (!strcmp(word, "RECURSIVEMATCH")) {
				flags |= FOLDER_LIST_RECURSIVE;
				ls.children = 1;
			} else if (!strcmp(word, "SPECIAL-USE")) {
				ls.special_only = 1;
			} else if (strcmp(word, "REMOTE")) {
				goto bad;
			}
			if (p_sp(c) < 0 && !p_peek(c, ')'))
				goto bad;
		}
		c->p++;
		if (p_sp(c) < 0)
			goto bad;
		/* RFC 5258 3: RECURSIVEMATCH needs another option */
		if ((flags & FOLDER_LIST_RECURSIVE) &&
		    !(flags & FOLDER_LIST_SUBSCRIBED))
			goto bad;
	}
	if (p_cstring(c, ref, sizeof ref, 0) < 0 || p_sp(c) < 0)
		goto bad;
	pat = malloc(16 * sizeof *pat);
	if (!pat)
		goto bad;
	if (!lsub && p_peek(c, '(')) {
		multi = 1;
		ls.extended = 1;
		c->p++;
	}
	do {
		if (npat >= 16 || p_cstring(c, pat[npat++], sizeof *pat, 1) < 0)
			goto bad;
	} while (multi && p_sp(c) == 0);
	if (multi) {
		if (!p_peek(c, ')'))
			goto bad;
		c->p++;
	}
	if (!lsub && p_sp(c) == 0) {
		/* RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (...)) */
		if (p_word(c, word, sizeof word) < 0 ||
		    strcmp(word, "RETURN") || p_sp(c) < 0 || !p_peek(c, '('))
			goto bad;
		ls.extended = 1;
		c->p++;
		while (!p_peek(c, ')')) {
			if (p_word(c, word, sizeof word) < 0)
				goto bad;
			if (!strcmp(word, "SUBSCRIBED"))
				ls.subscribed = 1;
			else if (!strcmp(word, "STATUS")) {
				if (p_sp(c) < 0 ||
				    p_status_items(c, &ls.status) < 0)
					goto bad;
			} else if (strcmp(word, "CHILDREN") &&
			    strcmp(word, "SPECIAL-USE"))
				goto bad;
			if (p_sp(c) < 0 && !p_peek(c, ')'))
				goto bad;
		}
		c->p++;
	}
	if (!p_eol(c))
		goto bad;
	if (lsub)
		ls.subscribed = 0;
	/* RFC 3501 6.3.8: an empty pattern asks for the delimiter */
	if (npat == 1 && !pat[0][0] && !lsub) {
		reply(s, "* LIST (\\Noselect) \"/\" \"\"");
		tagged(s, "OK LIST completed");
		free(pat);
		return;
	}
	if (need_folders(s) < 0) {
		free(pat);
		return;
	}
	for (i = 0; i < npat; i++)
		if (pat[i][0] && folder_list(FS(s), ref, pat[i], flags,
		    list_cb, &ls) < 0 && !s->out.err) {
			folder_no(s, lsub ? "LSUB failed" : "LIST failed");
			free(pat);
			return;
		}
	tagged(s, "OK %s completed", ls.verb);
	free(pat);
	return;
bad:
	tagged(s, "BAD Usage: %s", lsub ? "LSUB reference pattern" :
		"LIST [(options)] reference pattern [RETURN (options)]");
	s->errors++;
	free(pat);
}

void cmd_list(struct imap *s, struct cur *c)
{
	list(s, c, 0);
}

void cmd_lsub(struct imap *s, struct cur *c)
{
	list(s, c, 1);
}

/* --- APPEND --------------------------------------------------------------- */

/* RFC 3501 6.3.11: APPEND mailbox [(flags)] [date-time] literal. */
void cmd_append(struct imap *s, struct cur *c)
{
	char name[FOLDER_NAME_MAX + 1], path[4096], err[MAILBOX_ERR_MAX];
	char (*kw)[MAILBOX_KW_LEN] = NULL;
	const char *kwp[MAILBOX_KW_MAX];
	unsigned flags = 0, validity, uid;
	size_t nkw = 0, n, i;
	time_t date = 0;
	char *data;
	int kind;

	if (p_sp(c) < 0 || p_name(s, c, name, sizeof name) < 0 ||
	    p_sp(c) < 0)
		goto bad;
	kw = malloc(MAILBOX_KW_MAX * sizeof *kw);
	if (!kw)
		goto bad;
	if (p_peek(c, '(')) {
		if (p_flags(c, &flags, kw, &nkw) < 0 || p_sp(c) < 0)
			goto bad;
	}
	if (p_peek(c, '"')) {
		char *v;

		if (p_string(c, &v, &n, 0) < 0 ||
		    imapmsg_date_parse(v, n, &date, 1) < 0 || p_sp(c) < 0)
			goto bad;
	}
	if (!p_peek(c, '{') || p_string(c, &data, &n, 0) < 0 || !p_eol(c))
		goto bad;
	if (folder_find(s, name, path, sizeof path, &kind) < 0) {
		/* RFC 3501 6.3.11: TRYCREATE when it could be made */
		tagged(s, errno == ENOENT ? "NO [TRYCREATE] Mailbox does not "
			"exist" : "NO [CANNOT] Invalid mailbox name");
		goto out;
	}
	for (i = 0; i < nkw; i++)
		kwp[i] = kw[i];
	if (mailbox_append(path, kind, data, n, flags, kwp, nkw, date,
	    &validity, &uid, err, sizeof err) < 0) {
		int e = errno;

		log_msg(LOG_WARNING, "%s: %s: APPEND: %s", s->client,
			s->login, err);
		tagged(s, e == EWOULDBLOCK ? "NO [INUSE] Mailbox is locked, "
			"try again" : e == ENOSPC || e == EDQUOT ?
			"NO [OVERQUOTA] No space left" : e == EINVAL ?
			"NO [CANNOT] Message or keyword refused" :
			"NO [UNAVAILABLE] APPEND failed, try again");
		goto out;
	}
	sel_update(s, 0);
	tagged(s, "OK [APPENDUID %u %u] APPEND completed", validity, uid);
	goto out;
bad:
	tagged(s, "BAD Usage: APPEND mailbox [(flags)] [\"date-time\"] "
		"{size}");
	s->errors++;
out:
	free(kw);
}
