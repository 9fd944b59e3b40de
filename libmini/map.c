/*
 * map: cdb maps with sendmail's lookup rules (contracts in map.h).
 *
 * sendmail reads Berkeley DB; postbox reads and writes cdb under the same
 * names.  The access search order is the one issue 4 §3 records from
 * sendmail 8.17 (-d60.1): most specific first, tagged before untagged.
 */
#include "libmini.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Berkeley DB magic numbers (db.h): what sendmail's makemap writes. */
#define BDB_HASH	0x00061561
#define BDB_BTREE	0x00053162

static unsigned get32(const unsigned char *p, int big)
{
	return big ? (unsigned)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3] :
		(unsigned)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

/* "hash", "btree" or NULL: the magic sits at offset 0 in DB 1.85 files
 * and at 12 (after the LSN and page number) in DB 2 and later. */
static const char *bdb_kind(const unsigned char *h, size_t n)
{
	static const unsigned offs[] = { 0, 12 };
	size_t i;
	int big;
	unsigned v;

	for (i = 0; i < 2; i++) {
		if (offs[i] + 4 > n)
			continue;
		for (big = 0; big < 2; big++) {
			v = get32(h + offs[i], big);
			if (v == BDB_HASH)
				return "hash";
			if (v == BDB_BTREE)
				return "btree";
		}
	}
	return NULL;
}

/* The rebuild command for a Berkeley DB file at PATH. */
static void bdb_error(const char *path, const char *kind, char *err,
	size_t errmax)
{
	const char *base = strrchr(path, '/');
	int n;

	base = base ? base + 1 : path;
	if (strcmp(base, "aliases.db") == 0) {
		snprintf(err, errmax, "%s: a Berkeley DB %s file from sendmail,"
			" not cdb; rebuild it: newaliases", path, kind);
		return;
	}
	n = (int)strlen(path);
	if (str_ends(path, ".db"))
		n -= 3;
	snprintf(err, errmax, "%s: a Berkeley DB %s file from sendmail, not "
		"cdb; rebuild it: makemap %s %.*s < %.*s", path, kind, kind,
		n, path, n, path);
}

int map_open(struct map *m, const char *path, int flags, char *err,
	size_t errmax)
{
	unsigned char head[16];
	const char *kind;
	struct stat st;
	ssize_t n;
	int e;

	memset(&m->cdb, 0, sizeof m->cdb);
	m->flags = flags;
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0) {
		e = errno;
		snprintf(err, errmax, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(m->fd, &st) < 0)
		goto fail_errno;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	n = pread(m->fd, head, sizeof head, 0);
	if (n < 0)
		goto fail_errno;
	kind = bdb_kind(head, n);
	if (kind) {
		bdb_error(path, kind, err, errmax);
		map_close(m);
		errno = EPROTO;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || cdb_init(&m->cdb, m->fd) < 0) {
		snprintf(err, errmax, "%s: not a cdb map", path);
		map_close(m);
		errno = EINVAL;
		return -1;
	}
	return 0;
fail_errno:
	e = errno;
	snprintf(err, errmax, "%s: %s", path, strerror(e));
	map_close(m);
	errno = e;
	return -1;
}

void map_close(struct map *m)
{
	if (m->fd < 0)
		return;
	/* cdb_init may not have run: only free a mapped cdb. */
	if (m->cdb.cdb_fd == m->fd && m->cdb.cdb_mem)
		cdb_free(&m->cdb);
	close(m->fd);
	m->fd = -1;
	memset(&m->cdb, 0, sizeof m->cdb);
}

int map_changed(const struct map *m, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 1;
	return st.st_dev != m->dev || st.st_ino != m->ino;
}

/* Finds K (klen bytes) and copies the value; as map_lookup. */
static int find_raw(struct map *m, const char *k, size_t klen, char *val,
	size_t max)
{
	const char *v;
	unsigned vlen;
	int r;

	r = cdb_find(&m->cdb, k, klen);
	if (r < 0) {
		errno = EIO;
		return -1;
	}
	if (r == 0)
		return 0;
	vlen = cdb_datalen(&m->cdb);
	v = cdb_getdata(&m->cdb);
	if (!v) {
		errno = EIO;
		return -1;
	}
	if (vlen > 0 && v[vlen - 1] == 0)	/* -N, aliases.db */
		vlen--;
	if (max == 0) {
		errno = E2BIG;
		return -1;
	}
	if (vlen >= max) {
		memcpy(val, v, max - 1);
		val[max - 1] = 0;
		errno = E2BIG;
		return -1;
	}
	memcpy(val, v, vlen);
	val[vlen] = 0;
	return 1;
}

int map_lookup(struct map *m, const char *key, char *val, size_t max)
{
	char k[MAP_KEY_MAX];
	size_t n = strlen(key);
	int r;

	if (n >= sizeof k) {
		errno = E2BIG;
		return -1;
	}
	memcpy(k, key, n + 1);
	if (!(m->flags & MAP_NOFOLD))
		str_lower(k);
	/* sendmail's MF_TRY0NULL then MF_TRY1NULL: without, then with the
	 * NUL, unless the K line said which. */
	if (!(m->flags & MAP_NUL)) {
		r = find_raw(m, k, n, val, max);
		if (r != 0 || (m->flags & MAP_NONUL))
			return r;
	}
	return find_raw(m, k, n + 1, val, max);
}

/* One access step: "TAG:key" then "key".  1 hit, 0 none, -1 error. */
static int access_try(struct map *m, const char *tag, const char *key,
	char *result, size_t max, char *matched)
{
	char k[MAP_KEY_MAX];
	int n, r;

	if (tag) {
		n = snprintf(k, sizeof k, "%s:%s", tag, key);
		if (n < 0 || (size_t)n >= sizeof k) {
			errno = E2BIG;
			return -1;
		}
		r = map_lookup(m, k, result, max);
		if (r != 0) {
			if (r > 0 && matched)
				str_lcpy(matched, k, MAP_KEY_MAX);
			return r;
		}
	}
	r = map_lookup(m, key, result, max);
	if (r > 0 && matched)
		str_lcpy(matched, key, MAP_KEY_MAX);
	return r;
}

/* The next shorter address prefix, as proto.m4's rulesets A and D cut
 * it: "$+::$-", "$+:$-" or "$+.$-" (the last group or octet, and a "::"
 * before it).  S ends at *END; returns 0 when nothing is left to try. */
static int ip_cut(char *s, char **end)
{
	char *p = *end;

	while (p > s && p[-1] != ':' && p[-1] != '.')
		p--;
	if (p == s || p == *end)
		return 0;
	p--;
	if (*p == ':' && p > s && p[-1] == ':')
		p--;
	if (p == s)
		return 0;
	*end = p;
	return 1;
}

/* Ruleset A (LookUpAddress): 10.0.2.15, 10.0.2, 10.0, 10;
 * IPv6:2001:db8::1, IPv6:2001:db8, IPv6:2001, IPv6. */
static int access_a(struct map *m, const char *tag, char *k, char *result,
	size_t max, char *matched)
{
	char *end = k + strlen(k), save;
	int r;

	for (;;) {
		save = *end;
		*end = 0;
		r = access_try(m, tag, k, result, max, matched);
		*end = save;
		if (r != 0 || !ip_cut(k, &end))
			return r;
	}
}

/* Ruleset D (LookUpDomain): host.foo.example, foo.example, example; an
 * address literal [10.0.2.15] as [10.0.2.15], [10.0.2], [10.0], [10]. */
static int access_d(struct map *m, const char *tag, char *d, char *result,
	size_t max, char *matched)
{
	size_t n = strlen(d);
	char *end;
	int r;

	if (d[0] == '[' && n > 2 && d[n - 1] == ']') {
		end = d + n - 1;
		for (;;) {
			char save[2] = { end[0], end[1] };

			end[0] = ']';
			end[1] = 0;
			r = access_try(m, tag, d, result, max, matched);
			end[0] = save[0];
			end[1] = save[1];
			if (r != 0 || !ip_cut(d + 1, &end))
				return r;
		}
	}
	while (*d) {
		r = access_try(m, tag, d, result, max, matched);
		if (r != 0)
			return r;
		d = strchr(d, '.');
		if (!d)
			break;
		d++;
	}
	return 0;
}

/* Rulesets F (LookUpFull, KEY "user+det@dom") and U (LookUpUser, KEY
 * "user+det@"): KEY, then with "+*" for the detail, then without it. */
static int access_fu(struct map *m, const char *tag, const char *key,
	char *result, size_t max, char *matched)
{
	char k[MAP_KEY_MAX];
	const char *plus, *at = strrchr(key, '@');
	int r;

	r = access_try(m, tag, key, result, max, matched);
	/* "$+ + $* @": the first '+' after at least one character */
	plus = at ? memchr(key + 1, '+', at - key) : NULL;
	if (r != 0 || !plus || key[0] == '@')
		return r;
	snprintf(k, sizeof k, "%.*s+*%s", (int)(plus - key), key, at);
	r = access_try(m, tag, k, result, max, matched);
	if (r != 0)
		return r;
	snprintf(k, sizeof k, "%.*s%s", (int)(plus - key), key, at);
	return access_try(m, tag, k, result, max, matched);
}

int map_access(struct map *m, const char *tag, int kind, const char *value,
	char *result, size_t max, char *matched)
{
	char t[32] = "", v[MAP_KEY_MAX], *at;
	size_t n;
	int r;

	if (tag) {
		/* "From" or "From:" */
		n = str_lcpy(t, tag, sizeof t);
		if (n >= sizeof t) {
			errno = E2BIG;
			return -1;
		}
		if (n && t[n - 1] == ':')
			t[n - 1] = 0;
		tag = t;
	}
	/* room for an "IPv6:" prefix or "+*" */
	if (strlen(value) + 6 >= sizeof v) {
		errno = E2BIG;
		return -1;
	}
	str_lcpy(v, value, sizeof v);
	/* Folded here, so the key reported as matched is the one stored. */
	if (!(m->flags & MAP_NOFOLD)) {
		str_lower(t);
		str_lower(v);
	}
	n = strlen(v);
	switch (kind) {
	case MAP_ACCESS_IP:
		if (str_istarts(v, "::ffff:") && strchr(v, '.'))
			memmove(v, v + 7, n - 6);
		else if (strchr(v, ':') && !str_istarts(v, "IPv6:")) {
			/* sendmail's ${client_addr} for IPv6 */
			memmove(v + 5, v, n + 1);
			memcpy(v, m->flags & MAP_NOFOLD ? "IPv6:" : "ipv6:",
				5);
		}
		return access_a(m, tag, v, result, max, matched);
	case MAP_ACCESS_HOST:
		if (n > 1 && v[n - 1] == '.')
			v[n - 1] = 0;
		return access_d(m, tag, v, result, max, matched);
	case MAP_ACCESS_ADDR:
	case MAP_ACCESS_RCPT:
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	/* RFC 1123 5.2.9: check_mail accepts <> before any lookup. */
	if (n == 0 || strcmp(v, "<>") == 0)
		return 0;
	if (n > 1 && v[n - 1] == '.')	/* "strip trailing dots" */
		v[--n] = 0;
	at = strrchr(v, '@');
	if (!at) {			/* a local user: <U:user@> only */
		v[n] = '@';
		v[n + 1] = 0;
		return access_fu(m, tag, v, result, max, matched);
	}
	/* <F:user@dom> */
	r = access_fu(m, tag, v, result, max, matched);
	if (r != 0)
		return r;
	/* <U:user@>: senders, and recipients in local domains */
	if (kind == MAP_ACCESS_ADDR && at > v) {
		char c = at[1];

		at[1] = 0;
		r = access_fu(m, tag, v, result, max, matched);
		at[1] = c;
		if (r != 0)
			return r;
	}
	/* <D:dom> */
	return access_d(m, tag, at + 1, result, max, matched);
}

/* "D.S.N" with class 2, 4 or 5 and numbers of up to 3 digits (RFC 3463). */
static size_t dsn_len(const char *s)
{
	const char *p = s;
	int part, digits;

	for (part = 0; part < 3; part++) {
		if (part && *p++ != '.')
			return 0;
		for (digits = 0; isdigit((unsigned char)*p); p++)
			digits++;
		if (digits < 1 || digits > (part ? 3 : 1))
			return 0;
	}
	return p - s;
}

/* "### text" after ERROR: or bare. */
static int parse_reply(const char *s, struct map_action *a)
{
	size_t n;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
			!isdigit((unsigned char)s[2]))
		return -1;
	if (s[0] != '4' && s[0] != '5')
		return -1;
	if (s[3] && s[3] != ' ' && s[3] != '\t')
		return -1;
	a->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	/* A DSN may also follow the code, as in "550 5.7.1 text". */
	n = dsn_len(s);
	if (n && !a->dsn[0] && (s[n] == 0 || s[n] == ' ' || s[n] == '\t')) {
		memcpy(a->dsn, s, n);
		a->dsn[n] = 0;
		s += n;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	str_lcpy(a->text, s, sizeof a->text);
	/* RFC 3463 2: the DSN's class agrees with the reply code. */
	if (a->dsn[0] && a->dsn[0] - '0' != (int)(a->code / 100))
		return -1;
	return 0;
}

int map_action_parse(const char *value, struct map_action *a)
{
	static const struct { const char *word; enum map_act act; } words[] = {
		{ "OK", MAP_ACT_OK }, { "RELAY", MAP_ACT_RELAY },
		{ "REJECT", MAP_ACT_REJECT }, { "DISCARD", MAP_ACT_DISCARD },
		{ "SKIP", MAP_ACT_SKIP },
	};
	char v[MAP_VALUE_MAX], *s;
	size_t i, n;

	memset(a, 0, sizeof *a);
	if (str_lcpy(v, value, sizeof v) >= sizeof v)
		goto bad;
	s = str_trim(v);
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(s, words[i].word) == 0) {
			a->act = words[i].act;
			if (a->act == MAP_ACT_REJECT) {
				a->code = 550;
				str_lcpy(a->dsn, "5.7.1", sizeof a->dsn);
				str_lcpy(a->text, "Access denied",
					sizeof a->text);
			}
			return 0;
		}
	a->act = MAP_ACT_ERROR;
	if (!str_istarts(s, "ERROR:")) {
		/* the deprecated bare "550 text" */
		if (parse_reply(s, a) == 0)
			return 0;
		goto bad;
	}
	s += 6;
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = 0;
		s++;
	}
	n = dsn_len(s);
	if (n && s[n] == ':') {		/* ERROR:D.S.N:### text */
		memcpy(a->dsn, s, n);
		a->dsn[n] = 0;
		s += n + 1;
		if (s[0] == '"') {
			s++;
			n = strlen(s);
			if (n && s[n - 1] == '"')
				s[n - 1] = 0;
		}
	}
	if (parse_reply(s, a) == 0)
		return 0;
bad:
	memset(a, 0, sizeof *a);
	errno = EINVAL;
	return -1;
}

/* --- writing -------------------------------------------------------- */

struct map_make_rec {
	uint32_t off, klen, vlen, hash;
	int dead;		/* replaced by a later record (-r) */
};

void map_make_init(struct map_make *mk, int flags)
{
	memset(mk, 0, sizeof *mk);
	mk->flags = flags;
	/* A cdb file cannot pass 4 GiB; the records must fit below. */
	buf_init(&mk->data, 0xfff00000UL);
}

void map_make_free(struct map_make *mk)
{
	buf_free(&mk->data);
	free(mk->rec);
	free(mk->index);
	mk->rec = NULL;
	mk->index = NULL;
	mk->n = mk->cap = mk->index_size = 0;
}

static int index_grow(struct map_make *mk)
{
	size_t size = mk->index_size ? mk->index_size * 2 : 1024, i, j;
	unsigned *t = calloc(size, sizeof *t);

	if (!t) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < mk->index_size; i++) {
		unsigned r = mk->index[i];

		if (!r)
			continue;
		for (j = mk->rec[r - 1].hash & (size - 1); t[j];
				j = (j + 1) & (size - 1))
			;
		t[j] = r;
	}
	free(mk->index);
	mk->index = t;
	mk->index_size = size;
	return 0;
}

/* The index slot of KEY: holds its record + 1, or 0 where it would go. */
static unsigned *index_slot(struct map_make *mk, const void *key,
	size_t klen, uint32_t h)
{
	size_t j = h & (mk->index_size - 1);
	unsigned r;

	while ((r = mk->index[j])) {
		struct map_make_rec *p = &mk->rec[r - 1];

		if (p->hash == h && p->klen == klen &&
				memcmp(mk->data.p + p->off, key, klen) == 0)
			break;
		j = (j + 1) & (mk->index_size - 1);
	}
	return &mk->index[j];
}

/* KEEP: an old record of -o, kept even beside an equal key. */
static int make_add(struct map_make *mk, const void *key, size_t klen,
	const void *val, size_t vlen, int keep)
{
	struct map_make_rec *p;
	unsigned *slot = NULL;
	uint32_t h = cdb_hash(key, klen);
	size_t off = mk->data.len;

	if (klen > 0xffffffffUL || vlen > 0xffffffffUL ||
			mk->n >= 0xfffffffeUL) {
		errno = E2BIG;
		return -1;
	}
	if (!(mk->flags & MAP_MAKE_DUPS)) {
		/* at most half full, so a probe always ends */
		if ((mk->n + 1) * 2 > mk->index_size && index_grow(mk) < 0)
			return -1;
		slot = index_slot(mk, key, klen, h);
		if (*slot && !keep && !(mk->flags & MAP_MAKE_REPLACE))
			return 1;
	}
	if (mk->n == mk->cap) {
		size_t cap = mk->cap ? mk->cap * 2 : 256;
		void *q = realloc(mk->rec, cap * sizeof *mk->rec);

		if (!q) {
			errno = ENOMEM;
			return -1;
		}
		mk->rec = q;
		mk->cap = cap;
	}
	if (buf_add(&mk->data, key, klen) < 0 ||
			buf_add(&mk->data, val, vlen) < 0) {
		mk->data.len = off;
		return -1;
	}
	p = &mk->rec[mk->n];
	p->off = off;
	p->klen = klen;
	p->vlen = vlen;
	p->hash = h;
	p->dead = 0;
	mk->n++;
	if (slot) {
		if (!*slot)
			*slot = mk->n;
		else if (!keep) {	/* -r: the new value wins */
			mk->rec[*slot - 1].dead = 1;
			*slot = mk->n;
			return 2;
		}
	}
	return 0;
}

int map_make_add(struct map_make *mk, const void *key, size_t klen,
	const void *val, size_t vlen)
{
	return make_add(mk, key, klen, val, vlen, 0);
}

int map_make_load(struct map_make *mk, const char *path, char *err,
	size_t errmax)
{
	struct map m;
	unsigned pos;
	int r, e;

	if (map_open(&m, path, 0, err, errmax) < 0)
		return -1;
	cdb_seqinit(&pos, &m.cdb);
	while ((r = cdb_seqnext(&pos, &m.cdb)) > 0) {
		const void *k = cdb_getkey(&m.cdb), *v = cdb_getdata(&m.cdb);

		if (!k || !v) {
			r = -1;
			errno = EIO;
			break;
		}
		if (make_add(mk, k, cdb_keylen(&m.cdb), v,
				cdb_datalen(&m.cdb), 1) < 0) {
			r = -1;
			break;
		}
	}
	e = r < 0 ? (errno ? errno : EIO) : 0;
	map_close(&m);
	if (e) {
		snprintf(err, errmax, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

int map_make_write(struct map_make *mk, const char *path, mode_t mode)
{
	struct file_atomic a;
	struct cdb_make *cm;
	size_t i;

	/* struct cdb_make holds a 4 KiB buffer: the heap, not the stack of
	 * a small-stack caller. */
	cm = malloc(sizeof *cm);
	if (!cm) {
		errno = ENOMEM;
		return -1;
	}
	if (file_atomic_open(&a, path, mode) < 0) {
		free(cm);
		return -1;
	}
	if (cdb_make_start(cm, a.fd) < 0)
		goto fail;
	for (i = 0; i < mk->n; i++) {
		struct map_make_rec *p = &mk->rec[i];

		if (p->dead)
			continue;
		if (cdb_make_add(cm, mk->data.p + p->off, p->klen,
				mk->data.p + p->off + p->klen, p->vlen) < 0)
			goto fail;
	}
	if (cdb_make_finish(cm) < 0)
		goto fail;
	free(cm);
	return file_atomic_commit(&a);
fail:
	if (!errno)
		errno = EIO;
	free(cm);
	file_atomic_abort(&a);
	return -1;
}

int map_getline(FILE *f, char *line, size_t *len)
{
	size_t n = 0;
	int c, over = 0;

	while ((c = getc_unlocked(f)) != EOF) {
		if (c == '\n')
			break;
		if (n < MAP_LINE_MAX - 1)
			line[n++] = c;
		else
			over = 1;
	}
	line[n] = 0;
	*len = n;
	if (c == EOF) {
		if (ferror(f))
			return -1;
		if (n == 0 && !over)
			return 0;
	}
	if (over) {
		errno = E2BIG;
		return -1;
	}
	return 1;
}
