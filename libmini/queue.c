/*
 * queue: the durable mail queue (contracts and the envelope format in
 * queue.h).  A submission writes the data file, then the envelope
 * under the data file's lock, so that no runner acts on it half-made; it
 * is acknowledged only after both and the folder are on disk.  Envelope
 * updates replace it by rename; results are appended as journal lines.
 */
#define _GNU_SOURCE	/* sync_file_range */
#include "libmini.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* sendmail's QueueIdChars: 60 symbols in ASCII order, so IDs sort. */
static const char b60[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";

static const char *const state_words[] = {
	"pending", "sent", "failed", "expanded"
};
static const char *const kind_words[] = { "mail", "dsn", "dsn2" };
static const char *const target_words[] = {
	"mailbox", "file", "program", "remote", "error"
};

void queue_env_init(struct queue_env *e)
{
	memset(e, 0, sizeof *e);
}

static void rcpt_free(struct queue_rcpt *r)
{
	free(r->addr);
	free(r->orcpt);
	free(r->reason);
	free(r->target);
}

void queue_env_free(struct queue_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		rcpt_free(&e->rcpt[i]);
	free(e->rcpt);
	free(e->sender);
	free(e->envid);
	free(e->msgid);
	free(e->reason);
	queue_env_init(e);
}

int queue_set(char **field, const char *s)
{
	char *copy = strdup(s ? s : ""), *p;

	if (!copy)
		return -1;
	for (p = copy; *p; p++)
		if (*p == '\t' || *p == '\r' || *p == '\n')
			*p = ' ';
	free(*field);
	*field = copy;
	return 0;
}

struct queue_rcpt *queue_env_add(struct queue_env *e, const char *addr,
	int parent)
{
	struct queue_rcpt *r;

	if (e->n >= QUEUE_MAX_RCPTS) {
		errno = E2BIG;
		return NULL;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		void *p = realloc(e->rcpt, cap * sizeof *e->rcpt);

		if (!p)
			return NULL;
		e->rcpt = p;
		e->cap = cap;
	}
	r = &e->rcpt[e->n];
	memset(r, 0, sizeof *r);
	r->parent = parent;
	if (queue_set(&r->addr, addr) < 0 || queue_set(&r->orcpt, "") < 0 ||
	    queue_set(&r->reason, "") < 0) {
		rcpt_free(r);
		return NULL;
	}
	e->n++;
	return r;
}

int queue_rcpt_target(struct queue_rcpt *r, const struct local_target *t)
{
	struct local_target *copy = malloc(sizeof *copy);

	if (!copy)
		return -1;
	*copy = *t;
	free(r->target);
	r->target = copy;
	return 0;
}

const char *queue_state_str(enum queue_state s)
{
	return (unsigned)s < 4 ? state_words[s] : "?";
}

int queue_aside(const struct queue_env *e, const struct queue_rcpt *r)
{
	return e->kind == QUEUE_DSN2 && r->state == QUEUE_FAILED &&
		!r->dsn_sent && !(r->notify & QUEUE_NOTIFY_NEVER) &&
		!(r->target && r->target->owner[0]);
}

void queue_notify_str(unsigned notify, char *dst, size_t max)
{
	dst[0] = 0;
	if (notify & QUEUE_NOTIFY_NEVER) {
		str_lcpy(dst, "never", max);
		return;
	}
	if (notify & QUEUE_NOTIFY_SUCCESS)
		str_lcat(dst, "success", max);
	if (notify & QUEUE_NOTIFY_FAILURE)
		str_lcat(dst, *dst ? ",failure" : "failure", max);
	if (notify & QUEUE_NOTIFY_DELAY)
		str_lcat(dst, *dst ? ",delay" : "delay", max);
}

int queue_notify_parse(const char *s, unsigned *notify)
{
	unsigned n = 0;
	size_t len;

	/* RFC 3461 4.1: "NEVER" or a comma list of the other three. */
	while (*s) {
		len = strcspn(s, ",");
		if (len == 5 && strncasecmp(s, "never", 5) == 0)
			n |= QUEUE_NOTIFY_NEVER;
		else if (len == 7 && strncasecmp(s, "success", 7) == 0)
			n |= QUEUE_NOTIFY_SUCCESS;
		else if (len == 7 && strncasecmp(s, "failure", 7) == 0)
			n |= QUEUE_NOTIFY_FAILURE;
		else if (len == 5 && strncasecmp(s, "delay", 5) == 0)
			n |= QUEUE_NOTIFY_DELAY;
		else
			return -1;
		s += len;
		if (*s == ',' && *++s == 0)
			return -1;
	}
	if ((n & QUEUE_NOTIFY_NEVER) && n != QUEUE_NOTIFY_NEVER)
		return -1;
	*notify = n;
	return 0;
}

/* --- the envelope's text ------------------------------------------- */

/* A field may hold no line end or NUL; a TAB-separated one no TAB. */
static int field_ok(const char *s, int tabbed)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || (tabbed && *s == '\t'))
			return 0;
	return 1;
}

static int put_kv(struct buf *out, const char *key, const char *val)
{
	if (!field_ok(val, 0)) {
		errno = EINVAL;
		return -1;
	}
	return buf_printf(out, "%s %s\n", key, val);
}

/* Appends TAB and each field; the last may hold anything but line ends. */
static int put_fields(struct buf *out, const char *type, const char **f,
	size_t n)
{
	size_t i;

	if (buf_adds(out, type) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!field_ok(f[i], 1)) {
			errno = EINVAL;
			return -1;
		}
		if (buf_addc(out, '\t') < 0 || buf_adds(out, f[i]) < 0)
			return -1;
	}
	return buf_addc(out, '\n');
}

static int put_target(struct buf *out, const struct local_target *t)
{
	char uid[24], gid[24];
	const char *f[9];

	snprintf(uid, sizeof uid, "%lu", (unsigned long)t->uid);
	snprintf(gid, sizeof gid, "%lu", (unsigned long)t->gid);
	f[0] = (unsigned)t->kind < 5 ? target_words[t->kind] : "error";
	f[1] = t->user;
	f[2] = uid;
	f[3] = gid;
	f[4] = t->home;
	f[5] = t->owner;
	f[6] = t->status;
	f[7] = t->path;
	f[8] = t->text;
	return put_fields(out, "target", f, 9);
}

int queue_env_format(const struct queue_env *e, struct buf *out)
{
	char num[4][32], notify[40];
	const char *f[8];
	size_t i;

	snprintf(num[0], sizeof num[0], "%lld", (long long)e->created);
	snprintf(num[1], sizeof num[1], "%lld", (long long)e->next);
	snprintf(num[2], sizeof num[2], "%u", e->tries);
	snprintf(num[3], sizeof num[3], "%lu", e->size);
	if (buf_printf(out, "postbox-queue %d\n", QUEUE_VERSION) < 0 ||
	    put_kv(out, "id", e->id) < 0 ||
	    put_kv(out, "created", num[0]) < 0 ||
	    put_kv(out, "next", num[1]) < 0 ||
	    put_kv(out, "tries", num[2]) < 0 ||
	    put_kv(out, "warned", e->warned ? "1" : "0") < 0 ||
	    put_kv(out, "kind", kind_words[e->kind]) < 0 ||
	    put_kv(out, "sender", e->sender ? e->sender : "") < 0 ||
	    put_kv(out, "size", num[3]) < 0 ||
	    put_kv(out, "envid", e->envid ? e->envid : "") < 0 ||
	    put_kv(out, "ret", e->ret) < 0 ||
	    put_kv(out, "body", e->body) < 0 ||
	    put_kv(out, "msgid", e->msgid ? e->msgid : "") < 0 ||
	    put_kv(out, "reason", e->reason ? e->reason : "") < 0)
		return -1;
	for (i = 0; i < e->n; i++) {
		const struct queue_rcpt *r = &e->rcpt[i];
		char parent[24];

		snprintf(parent, sizeof parent, "%d", r->parent);
		queue_notify_str(r->notify, notify, sizeof notify);
		f[0] = parent;
		f[1] = queue_state_str(r->state);
		f[2] = notify;
		f[3] = r->dsn_sent ? "1" : "0";
		f[4] = r->status;
		f[5] = r->orcpt ? r->orcpt : "";
		f[6] = r->addr ? r->addr : "";
		f[7] = r->reason ? r->reason : "";
		/* An empty address can only be a bug upstream. */
		if (!*f[6]) {
			errno = EINVAL;
			return -1;
		}
		if (put_fields(out, "rcpt", f, 8) < 0)
			return -1;
		if (r->target && put_target(out, r->target) < 0)
			return -1;
	}
	return buf_adds(out, "end\n");
}

/* Splits LINE at TABs into at most MAX fields, in place. */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = 0;
	}
	return n;
}

static int word_index(const char *w, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w, words[i]) == 0)
			return (int)i;
	return -1;
}

static int parse_num(const char *s, unsigned long long max,
	unsigned long long *out)
{
	unsigned long v;

	if (str_toul(s, max > (unsigned long)-1 ? (unsigned long)-1 :
			(unsigned long)max, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_target(struct queue_rcpt *r, char *line, const char **why)
{
	struct local_target t;
	unsigned long long uid, gid;
	char *f[10];
	int kind;

	if (split_tabs(line, f, 10) != 10) {
		*why = "target: wrong number of fields";
		return -1;
	}
	memset(&t, 0, sizeof t);
	kind = word_index(f[1], target_words, 5);
	if (kind < 0 || parse_num(f[3], (uid_t)-1, &uid) < 0 ||
	    parse_num(f[4], (gid_t)-1, &gid) < 0) {
		*why = "target: bad kind, uid or gid";
		return -1;
	}
	t.kind = kind;
	t.uid = (uid_t)uid;
	t.gid = (gid_t)gid;
	if (str_lcpy(t.user, f[2], sizeof t.user) >= sizeof t.user ||
	    str_lcpy(t.home, f[5], sizeof t.home) >= sizeof t.home ||
	    str_lcpy(t.owner, f[6], sizeof t.owner) >= sizeof t.owner ||
	    str_lcpy(t.status, f[7], sizeof t.status) >= sizeof t.status ||
	    str_lcpy(t.path, f[8], sizeof t.path) >= sizeof t.path ||
	    str_lcpy(t.text, f[9], sizeof t.text) >= sizeof t.text) {
		*why = "target: field too long";
		return -1;
	}
	if (queue_rcpt_target(r, &t) < 0) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

static int parse_rcpt(struct queue_env *e, char *line, const char **why)
{
	struct queue_rcpt *r;
	char *f[9];
	long parent;
	int state;
	unsigned notify;
	char *end;

	if (split_tabs(line, f, 9) != 9) {
		*why = "rcpt: wrong number of fields";
		return -1;
	}
	errno = 0;
	parent = strtol(f[1], &end, 10);
	state = word_index(f[2], state_words, 4);
	if (*end || end == f[1] || parent < -1 || parent >= (long)e->n ||
	    state < 0 || queue_notify_parse(f[3], &notify) < 0 ||
	    (strcmp(f[4], "0") && strcmp(f[4], "1")) ||
	    strlen(f[5]) >= sizeof r->status || !*f[7]) {
		*why = "rcpt: bad field";
		return -1;
	}
	r = queue_env_add(e, f[7], (int)parent);
	if (!r || queue_set(&r->orcpt, f[6]) < 0 ||
	    queue_set(&r->reason, f[8]) < 0) {
		*why = errno == E2BIG ? "too many recipients" : "out of memory";
		return -1;
	}
	r->state = state;
	r->notify = notify;
	r->dsn_sent = f[4][0] == '1';
	str_lcpy(r->status, f[5], sizeof r->status);
	return 0;
}

static int parse_kv(struct queue_env *e, const char *key, const char *val,
	const char **why)
{
	unsigned long long v;

	*why = "bad value";
	if (strcmp(key, "id") == 0) {
		if (!queue_id_valid(val))
			return -1;
		str_lcpy(e->id, val, sizeof e->id);
	} else if (strcmp(key, "created") == 0 || strcmp(key, "next") == 0) {
		if (parse_num(val, (unsigned long long)1 << 40, &v) < 0)
			return -1;
		*(key[0] == 'c' ? &e->created : &e->next) = (time_t)v;
	} else if (strcmp(key, "tries") == 0) {
		if (parse_num(val, 1000000, &v) < 0)
			return -1;
		e->tries = (unsigned)v;
	} else if (strcmp(key, "warned") == 0) {
		if (strcmp(val, "0") && strcmp(val, "1"))
			return -1;
		e->warned = val[0] == '1';
	} else if (strcmp(key, "kind") == 0) {
		int k = word_index(val, kind_words, 3);

		if (k < 0)
			return -1;
		e->kind = k;
	} else if (strcmp(key, "size") == 0) {
		if (parse_num(val, (unsigned long)-1, &v) < 0)
			return -1;
		e->size = (unsigned long)v;
	} else if (strcmp(key, "ret") == 0) {
		if (*val && strcmp(val, "full") && strcmp(val, "hdrs"))
			return -1;
		str_lcpy(e->ret, val, sizeof e->ret);
	} else if (strcmp(key, "body") == 0) {
		if (*val && strcmp(val, "7bit") && strcmp(val, "8bitmime"))
			return -1;
		str_lcpy(e->body, val, sizeof e->body);
	} else {
		char **field = strcmp(key, "sender") == 0 ? &e->sender :
			strcmp(key, "envid") == 0 ? &e->envid :
			strcmp(key, "msgid") == 0 ? &e->msgid :
			strcmp(key, "reason") == 0 ? &e->reason : NULL;

		/* Unknown keys of the same version are an error: a newer
		 * writer must bump the version instead. */
		if (!field) {
			*why = "unknown record";
			return -1;
		}
		if (queue_set(field, val) < 0) {
			*why = "out of memory";
			return -1;
		}
	}
	return 0;
}

/* One journal record "state TAB I TAB STATE TAB DSNSENT TAB STATUS TAB
 * REASON" (LEN bytes, no LF) applied to E; one that does not fit is
 * skipped (the recipient then stays as the envelope says: tried again,
 * at least once, never lost). */
static void apply_record(struct queue_env *e, const char *p, size_t len)
{
	char *line, *f[6];
	unsigned long idx;
	int state;

	if (memchr(p, 0, len) || !(line = strndup(p, len)))
		return;
	if (split_tabs(line, f, 6) == 6 && strcmp(f[0], "state") == 0 &&
	    str_toul(f[1], QUEUE_MAX_RCPTS, &idx) == 0 && idx < e->n &&
	    (state = word_index(f[2], state_words, 4)) >= 0 &&
	    strlen(f[4]) < sizeof e->rcpt[0].status) {
		e->rcpt[idx].state = state;
		e->rcpt[idx].dsn_sent = f[3][0] == '1';
		str_lcpy(e->rcpt[idx].status, f[4],
			sizeof e->rcpt[idx].status);
		queue_set(&e->rcpt[idx].reason, f[5]);
	}
	free(line);
}

int queue_env_parse(struct queue_env *e, const char *text, size_t len,
	char *err, size_t errmax)
{
	const char *why = NULL, *p = text, *end = text + len;
	char *line = NULL;
	size_t lineno = 0, cap = 0;
	int ended = 0, rc = -1;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n;
		char *sp;

		lineno++;
		/* after "end": the journal (queue_note); a last line without
		 * its LF was cut by a crash and is ignored */
		if (ended) {
			if (!nl)
				break;
			if ((size_t)(nl - p) < 6 || memcmp(p, "state\t", 6)) {
				why = "text after end";
				goto out;
			}
			apply_record(e, p, (size_t)(nl - p));
			p = nl + 1;
			continue;
		}
		if (!nl) {
			why = "last line not terminated";
			goto out;
		}
		n = nl - p;
		if (memchr(p, 0, n) || memchr(p, '\r', n)) {
			why = "NUL or CR in a line";
			goto out;
		}
		if (n + 1 > cap) {
			char *q = realloc(line, n + 1);

			if (!q) {
				why = "out of memory";
				goto out;
			}
			line = q;
			cap = n + 1;
		}
		memcpy(line, p, n);
		line[n] = 0;
		p = nl + 1;
		if (lineno == 1) {
			if (strcmp(line, "postbox-queue 1") != 0) {
				why = "not a version 1 envelope";
				goto out;
			}
			continue;
		}
		if (strcmp(line, "end") == 0) {
			ended = 1;
		} else if (str_starts(line, "rcpt\t")) {
			if (parse_rcpt(e, line, &why) < 0)
				goto out;
		} else if (str_starts(line, "target\t")) {
			if (!e->n || e->rcpt[e->n - 1].target) {
				why = "target without its recipient";
				goto out;
			}
			if (parse_target(&e->rcpt[e->n - 1], line, &why) < 0)
				goto out;
		} else if ((sp = strchr(line, ' ')) != NULL) {
			*sp = 0;
			if (parse_kv(e, line, sp + 1, &why) < 0)
				goto out;
		} else {
			why = "unknown record";
			goto out;
		}
	}
	if (!ended) {
		why = lineno ? "no end record (truncated)" : "empty";
		goto out;
	}
	if (!queue_id_valid(e->id) || !e->sender) {
		why = "id or sender missing";
		lineno = 0;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		snprintf(err, errmax, "line %zu: %s", lineno, why);
	free(line);
	return rc;
}

/* --- IDs and policy ------------------------------------------------ */

void queue_id_new(char id[QUEUE_ID_LEN + 1], time_t now)
{
	static time_t last;
	static pid_t last_pid;
	static unsigned counter;
	pid_t pid = getpid();
	struct tm tm;

	/* A forked child starts its own sequence; past 3600 IDs in one
	 * second, wait for the next (sendmail does the same). */
	if (pid != last_pid || now != last) {
		if (pid == last_pid && now < last)
			now = last;
		counter = 0;
	}
	while (counter >= 3600 && now <= last) {
		sleep(1);
		now = time(NULL);
		if (now > last)
			counter = 0;
	}
	last = now;
	last_pid = pid;
	gmtime_r(&now, &tm);
	id[0] = b60[tm.tm_year % 60];
	id[1] = b60[tm.tm_mon];
	id[2] = b60[tm.tm_mday];
	id[3] = b60[tm.tm_hour];
	id[4] = b60[tm.tm_min];
	id[5] = b60[tm.tm_sec % 60];
	id[6] = b60[counter / 60];
	id[7] = b60[counter % 60];
	counter++;
	snprintf(id + 8, QUEUE_ID_LEN - 7, "%06lu",
		(unsigned long)pid % 1000000);
}

int queue_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < QUEUE_ID_LEN; i++) {
		if (!s[i] || !strchr(b60, s[i]))
			return 0;
		if (i >= 8 && (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return s[i] == 0;
}

time_t queue_backoff(unsigned tries)
{
	time_t d = 15 * 60;

	while (tries-- > 1 && d < 4 * 3600)
		d *= 2;
	return d > 4 * 3600 ? 4 * 3600 : d;
}

/* --- paths ---------------------------------------------------------- */

static int qpath(char *dst, size_t max, const char *dir, const char *pfx,
	const char *id)
{
	if ((size_t)snprintf(dst, max, "%s/%s%s", dir, pfx, id) >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* --- submission ----------------------------------------------------- */

int queue_space_ok(const char *dir, long min_blocks, unsigned long size)
{
	struct statvfs fs;
	unsigned long bs, need;

	if (min_blocks <= 0 && size == 0)
		return 1;
	if (statvfs(dir, &fs) < 0)
		return 1;
	bs = fs.f_frsize ? fs.f_frsize : fs.f_bsize;
	if (!bs)
		return 1;
	need = size / bs + (min_blocks > 0 ? (unsigned long)min_blocks : 0);
	return (unsigned long)fs.f_bavail >= need;
}

int queue_open(struct queue_new *q, const char *dir)
{
	int tries;

	q->fd = -1;
	q->tmp[0] = 0;
	if (str_lcpy(q->dir, dir, sizeof q->dir) >= sizeof q->dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* The data file takes its final name at once: no runner looks at
	 * it before the envelope names it (a crash leaves an orphan that
	 * queue_clean removes by age), and a rename less per message is a
	 * lock of the folder less for 50 sessions to queue up on. */
	for (tries = 0; tries < 10000; tries++) {
		queue_id_new(q->id, time(NULL));
		if (qpath(q->tmp, sizeof q->tmp, dir, "df", q->id) < 0)
			return -1;
		/* O_EXCL: the ID is ours only if no entry has it */
		q->fd = open(q->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, QUEUE_MODE);
		if (q->fd >= 0)
			break;
		if (errno != EEXIST) {
			q->tmp[0] = 0;
			return -1;
		}
	}
	if (q->fd < 0) {
		q->tmp[0] = 0;
		errno = EEXIST;
		return -1;
	}
	/* The group's write bit survives a restrictive umask.  The runners'
	 * lock, held until the commit is done: the envelope is written
	 * under its own name, and a runner must not read it half-written. */
	if (fchmod(q->fd, QUEUE_MODE) < 0 || file_lock(q->fd, F_WRLCK, 0) < 0) {
		queue_abort(q);
		return -1;
	}
	return 0;
}

/* Writes the envelope text to PATH (new, O_EXCL), then fsyncs the data
 * file DATAFD and it.  0, or -1 with PATH removed. */
static int write_env(const char *path, const struct buf *text, int datafd)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		O_CLOEXEC, QUEUE_MODE);
	int err, ok;

	if (fd < 0)
		return -1;
	ok = fchmod(fd, QUEUE_MODE) == 0 &&
		file_write_all(fd, text->p, text->len) == 0;
	/* both write-outs in flight before the first fsync waits: the two
	 * syncs then cost little more than one (a hint: if it fails, only
	 * slower) */
	if (ok)
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	ok = ok && fsync(datafd) == 0 && fsync(fd) == 0;
	err = errno;
	if (close(fd) < 0 && ok) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		unlink(path);
		errno = err;
		return -1;
	}
	return 0;
}

int queue_commit(struct queue_new *q, struct queue_env *env)
{
	char qf[1100];
	struct buf text = BUF_INIT(QUEUE_MAX_ENVELOPE);
	struct stat st;
	int err;

	if (qpath(qf, sizeof qf, q->dir, "qf", q->id) < 0)
		goto fail;
	/* 1. the data is on disk before anything names it: its write-out
	 * starts now and overlaps the envelope's (sync_file_range), the
	 * fsync below waits for it */
	sync_file_range(q->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (fstat(q->fd, &st) < 0)
		goto fail;
	str_lcpy(env->id, q->id, sizeof env->id);
	env->size = (unsigned long)st.st_size;
	/* 2. the envelope, complete and on disk.  It is written under its
	 * own name (no temporary to create and rename: on ext4 without a
	 * journal, inode creation is the dearest part of a commit) while we
	 * hold the data file's lock: a runner that sees it early finds the
	 * entry locked and leaves it, and one cut short by a crash was never
	 * acknowledged (a runner sets it aside as QfID); 3. the folder holds
	 * both names. */
	if (queue_env_format(env, &text) < 0 || write_env(qf, &text,
	    q->fd) < 0)
		goto fail;
	if (file_fsync_dir(q->dir, 1) < 0) {
		/* Visible but maybe not durable: the caller must not say
		 * yes, and a runner may still deliver it (at least once). */
		err = errno;
		buf_free(&text);
		close(q->fd);
		q->fd = -1;
		q->tmp[0] = 0;
		errno = err;
		return -1;
	}
	buf_free(&text);
	close(q->fd);
	q->fd = -1;
	q->tmp[0] = 0;
	return 0;
fail:
	err = errno;
	buf_free(&text);
	queue_abort(q);
	errno = err;
	return -1;
}

void queue_abort(struct queue_new *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	if (q->tmp[0])
		unlink(q->tmp);
	q->tmp[0] = 0;
}

/* --- runners -------------------------------------------------------- */

static int read_env(const char *qf, struct queue_env *e, char *err,
	size_t errmax)
{
	char *text;
	size_t len;
	int rc;

	if (file_read_all(qf, QUEUE_MAX_ENVELOPE, &text, &len) < 0) {
		snprintf(err, errmax, "%s: %s", qf, strerror(errno));
		return -1;
	}
	rc = queue_env_parse(e, text, len, err, errmax);
	free(text);
	if (rc < 0)
		errno = EINVAL;
	return rc;
}

void queue_journal(struct queue_entry *q)
{
	struct queue_env fresh;
	char why[256], qf[1100];
	size_t i;

	/* the envelope with the records a worker appended since */
	queue_env_init(&fresh);
	if (qpath(qf, sizeof qf, q->dir, "qf", q->id) == 0 &&
	    read_env(qf, &fresh, why, sizeof why) == 0 && fresh.n == q->env.n)
		for (i = 0; i < fresh.n; i++) {
			struct queue_rcpt *r = &q->env.rcpt[i];

			r->state = fresh.rcpt[i].state;
			r->dsn_sent = fresh.rcpt[i].dsn_sent;
			str_lcpy(r->status, fresh.rcpt[i].status,
				sizeof r->status);
			queue_set(&r->reason, fresh.rcpt[i].reason);
		}
	queue_env_free(&fresh);
}

int queue_note_fd(struct queue_entry *q, size_t i, int fd)
{
	if (i >= q->env.n) {
		errno = EINVAL;
		return -1;
	}
	return queue_note_rcpt(&q->env.rcpt[i], i, fd);
}

int queue_note_rcpt(const struct queue_rcpt *r, size_t i, int fd)
{
	struct buf line = BUF_INIT(8192);
	int rc = -1;

	if (!field_ok(r->reason, 1) || !field_ok(r->status, 1)) {
		errno = EINVAL;
		return -1;
	}
	/* One write to an O_APPEND file: a kill lands before it or after. */
	if (buf_printf(&line, "state\t%zu\t%s\t%d\t%s\t%s\n", i,
			queue_state_str(r->state), r->dsn_sent, r->status,
			r->reason) == 0)
		rc = file_write_all(fd, line.p, line.len);
	buf_free(&line);
	return rc;
}

int queue_journal_open(const struct queue_entry *q)
{
	char qf[1100];

	if (qpath(qf, sizeof qf, q->dir, "qf", q->id) < 0)
		return -1;
	return open(qf, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
}

int queue_note(struct queue_entry *q, size_t i)
{
	int fd, rc, err;

	if (i >= q->env.n) {
		errno = EINVAL;
		return -1;
	}
	fd = queue_journal_open(q);
	if (fd < 0)
		return -1;
	rc = queue_note_fd(q, i, fd);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int queue_lock(struct queue_entry *q, const char *dir, const char *id,
	char *err, size_t errmax)
{
	char df[1100], qf[1100], lost[1100];
	char why[256];
	int e;

	q->fd = -1;
	queue_env_init(&q->env);
	if (str_lcpy(q->dir, dir, sizeof q->dir) >= sizeof q->dir ||
	    !queue_id_valid(id)) {
		errno = EINVAL;
		snprintf(err, errmax, "bad queue entry name");
		return -1;
	}
	str_lcpy(q->id, id, sizeof q->id);
	if (qpath(df, sizeof df, dir, "df", id) < 0 ||
	    qpath(qf, sizeof qf, dir, "qf", id) < 0 ||
	    qpath(lost, sizeof lost, dir, "Qf", id) < 0)
		return -1;
	q->fd = open(df, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (q->fd < 0) {
		e = errno;
		/* An envelope whose data is missing cannot be delivered. */
		if (e == ENOENT && access(qf, F_OK) == 0) {
			rename(qf, lost);
			snprintf(err, errmax, "%s: data file missing", id);
			errno = EINVAL;
			return -1;
		}
		snprintf(err, errmax, "%s: %s", df, strerror(e));
		errno = e;
		return -1;
	}
	if (file_lock(q->fd, F_WRLCK, 0) < 0) {
		e = errno == EACCES ? EAGAIN : errno;
		close(q->fd);
		q->fd = -1;
		snprintf(err, errmax, "%s: locked", id);
		errno = e;
		return -1;
	}
	/* A delivery whose runner died may still be finishing: it holds
	 * an flock on the envelope until it has recorded its result. */
	{
		int jfd = open(qf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (jfd >= 0) {
			if (flock(jfd, LOCK_EX | LOCK_NB) < 0) {
				close(jfd);
				queue_unlock(q);
				snprintf(err, errmax, "%s: delivery in "
					"progress", id);
				errno = EAGAIN;
				return -1;
			}
			close(jfd);
		}
	}
	/* Read the envelope only now: it is the state the last holder of
	 * the lock left (or gone, when that holder finished the entry). */
	if (read_env(qf, &q->env, why, sizeof why) < 0) {
		e = errno;
		if (e == EINVAL) {
			rename(qf, lost);
			file_fsync_dir(dir, 1);
			snprintf(err, errmax, "%s: bad envelope, renamed "
				"to Qf%s: %s", id, id, why);
		} else {
			snprintf(err, errmax, "%s", why);
		}
		queue_unlock(q);
		errno = e;
		return -1;
	}
	if (strcmp(q->env.id, id) != 0) {
		rename(qf, lost);
		snprintf(err, errmax, "%s: envelope names another id", id);
		queue_unlock(q);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int queue_save(struct queue_entry *q)
{
	struct buf text = BUF_INIT(QUEUE_MAX_ENVELOPE);
	struct file_atomic a;
	char qf[1100];
	int err;

	if (qpath(qf, sizeof qf, q->dir, "qf", q->id) < 0)
		return -1;
	if (queue_env_format(&q->env, &text) < 0)
		goto fail;
	if (file_atomic_open(&a, qf, QUEUE_MODE) < 0)
		goto fail;
	if (file_write_all(a.fd, text.p, text.len) < 0) {
		err = errno;
		file_atomic_abort(&a);
		errno = err;
		goto fail;
	}
	/* the journal records of the old envelope are folded in */
	if (file_atomic_commit(&a) < 0)
		goto fail;
	buf_free(&text);
	return 0;
fail:
	err = errno;
	buf_free(&text);
	errno = err;
	return -1;
}

int queue_remove(struct queue_entry *q)
{
	char df[1100], qf[1100];
	int rc = 0;

	/* Envelope first: once it is gone no runner will look for the
	 * data, and a crash between leaves an orphan that queue_clean
	 * removes. */
	if (qpath(df, sizeof df, q->dir, "df", q->id) < 0 ||
	    qpath(qf, sizeof qf, q->dir, "qf", q->id) < 0 ||
	    unlink(qf) < 0)
		rc = -1;
	if (rc == 0 && unlink(df) < 0)
		rc = -1;
	/* No fsync of the folder: a removal lost to a power cut brings the
	 * entry back with its journal records, which say what was done (at
	 * worst a delivery is repeated: at least once, never lost).  One
	 * fsync less per message is a quarter of the disk's work. */
	queue_unlock(q);
	return rc;
}

void queue_unlock(struct queue_entry *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	queue_env_free(&q->env);
}

static int cmp_ids(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int list_prefix(const char *dir, char c,
	char (**ids)[QUEUE_ID_LEN + 1], size_t *n)
{
	char (*v)[QUEUE_ID_LEN + 1] = NULL;
	size_t count = 0, cap = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	*ids = NULL;
	*n = 0;
	if (!dp)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] != c || d->d_name[1] != 'f' ||
		    !queue_id_valid(d->d_name + 2))
			continue;
		if (count == cap) {
			size_t c = cap ? cap * 2 : 64;
			void *p = realloc(v, c * sizeof *v);

			if (!p) {
				free(v);
				closedir(dp);
				errno = ENOMEM;
				return -1;
			}
			v = p;
			cap = c;
		}
		str_lcpy(v[count++], d->d_name + 2, sizeof v[0]);
	}
	closedir(dp);
	if (count)
		qsort(v, count, sizeof *v, cmp_ids);
	*ids = v;
	*n = count;
	return 0;
}

int queue_list(const char *dir, char (**ids)[QUEUE_ID_LEN + 1], size_t *n)
{
	return list_prefix(dir, 'q', ids, n);
}

int queue_list_lost(const char *dir, char (**ids)[QUEUE_ID_LEN + 1],
	size_t *n)
{
	return list_prefix(dir, 'Q', ids, n);
}

int queue_peek(const char *dir, const char *id, struct queue_env *e,
	int *locked, char *err, size_t errmax)
{
	char df[1100], qf[1100];
	struct flock fl;
	int fd;

	*locked = 0;
	if (!queue_id_valid(id) || qpath(df, sizeof df, dir, "df", id) < 0 ||
	    qpath(qf, sizeof qf, dir, "qf", id) < 0) {
		errno = EINVAL;
		snprintf(err, errmax, "bad queue entry name");
		return -1;
	}
	fd = open(df, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			*locked = 1;
		close(fd);
	}
	return read_env(qf, e, err, errmax);
}

/* Whether another process holds a lock on the data file PATH. */
static int data_locked(const char *path)
{
	struct flock fl;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r = 0;

	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		r = 1;
	close(fd);
	return r;
}

/* "2026-12-08 01:50:53 UTC", for the log (a static buffer). */
static const char *stamp(time_t t)
{
	static char buf[32];
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, sizeof buf, "%lld", (long long)t);
	return buf;
}

int queue_clean(const char *dir, time_t now, time_t age)
{
	char path[1100], qf[1100];
	struct dirent *d;
	struct stat st;
	int removed = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		const char *name = d->d_name;
		int orphan = 0, temp;

		temp = ((name[0] == 't' && (name[1] == 'd' || name[1] == 'f') &&
			queue_id_valid(name + 2)) ||
			(str_starts(name, ".qf") && str_ends(name, ".tmp")));
		if (!temp && (name[0] == 'd' || name[0] == 'j') &&
		    name[1] == 'f' && queue_id_valid(name + 2)) {
			if (qpath(qf, sizeof qf, dir, "qf", name + 2) < 0)
				continue;
			orphan = access(qf, F_OK) < 0 && errno == ENOENT;
			/* the message of an envelope set aside (QfID) stays
			 * with it, for the administrator */
			if (orphan && qpath(qf, sizeof qf, dir, "Qf",
			    name + 2) == 0)
				orphan = access(qf, F_OK) < 0 &&
					errno == ENOENT;
		}
		if (!temp && !orphan)
			continue;
		if (qpath(path, sizeof path, dir, "", name) < 0 ||
		    lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_mtime > now - age)
			continue;
		/* a submitter still writing it holds its lock (a session
		 * in a DATA that outlived every timeout, a sendmail reading
		 * a slow pipe): it is not an orphan yet */
		if (orphan && data_locked(path))
			continue;
		if (unlink(path) == 0) {
			removed++;
			if (orphan)
				log_msg(LOG_WARNING, "%s: removed: no envelope "
					"since %s", name, stamp(st.st_mtime));
		}
	}
	closedir(dp);
	if (removed)
		file_fsync_dir(dir, 1);
	return removed;
}
