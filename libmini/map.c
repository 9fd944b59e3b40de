/*
 * map: cdb maps with sendmail's lookup rules (contracts in map.h).
 *
 * sendmail reads Berkeley DB; postbox reads and writes cdb under the same
 * names.  The access search order is sendmail 8.17's (as its -d60.1
 * trace shows): most specific first, tagged before untagged.
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

static int page_size(unsigned v)
{
	return v >= 512 && v <= 65536 && (v & (v - 1)) == 0;
}

/* "hash", "btree" or NULL: the magic sits at offset 0 in DB 1.85 files
 * (then a version and the byte order or page size) and at 12, after the
 * LSN and page number, in DB 2 and later (then a version and the page
 * size).  The words after it keep a cdb (whose first words are table
 * offsets, 2048 and up) from ever looking like one. */
static const char *bdb_kind(const unsigned char *h, size_t n)
{
	const char *kind;
	unsigned v;
	int big;

	if (n < 24)
		return NULL;
	for (big = 0; big < 2; big++) {
		v = get32(h, big);
		kind = v == BDB_HASH ? "hash" : v == BDB_BTREE ? "btree" : NULL;
		v = get32(h + 8, big);
		if (kind && get32(h + 4, big) - 1 < 20 &&
				(v == 1234 || v == 4321 || page_size(v)))
			return kind;
		v = get32(h + 12, big);
		kind = v == BDB_HASH ? "hash" : v == BDB_BTREE ? "btree" : NULL;
		if (kind && get32(h + 16, big) - 1 < 20 &&
				page_size(get32(h + 20, big)))
			return kind;
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
	unsigned char head[24];
	const char *kind;
	struct stat st;
	ssize_t n;
	int e;

	memset(&m->cdb, 0, sizeof m->cdb);
	m->trace = NULL;
	m->trace_ctx = NULL;
	m->flags = flags;
	m->match_only = 0;
	m->append[0] = 0;
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

/* --- the file behind a map declaration (map.h: map_spec) --------------- */

/* The cdb file's extension of a map TYPE; NULL for a type without one. */
static const char *spec_ext(const char *type)
{
	static const char *const db[] = { "hash", "btree", "dbm",
		"implicit" };
	size_t i;

	if (strcmp(type, "cdb") == 0)
		return ".cdb";
	for (i = 0; i < sizeof db / sizeof *db; i++)
		if (strcmp(type, db[i]) == 0)
			return ".db";
	return NULL;
}

/* One flag word W (n bytes) of a K line or an AliasFile. */
static void spec_flag(struct map_spec *s, const char *w, size_t n)
{
	if (n < 2 || w[0] != '-')
		return;
	switch (w[1]) {
	case 'o': s->optional = 1; break;
	case 'f': s->flags |= MAP_NOFOLD; break;
	case 'N': s->flags = (s->flags & ~MAP_NONUL) | MAP_NUL; break;
	case 'O': s->flags = (s->flags & ~MAP_NUL) | MAP_NONUL; break;
	case 'm': s->match_only = 1; break;
	case 'a':
		if (n - 2 < sizeof s->append) {
			memcpy(s->append, w + 2, n - 2);
			s->append[n - 2] = 0;
		}
		break;
	}
}

int map_spec_k(struct map_spec *s, const char *type, const char *path,
	const char *flags, int optional, char *err, size_t errmax)
{
	const char *ext = spec_ext(type), *p = flags ? flags : "";
	int n;

	memset(s, 0, sizeof *s);
	str_lcpy(s->type, type, sizeof s->type);
	s->optional = optional;
	while (*p) {
		const char *w;

		while (*p == ' ' || *p == '\t')
			p++;
		for (w = p; *p && *p != ' ' && *p != '\t'; p++)
			;
		spec_flag(s, w, p - w);
	}
	if (ext && (!path || !*path)) {
		snprintf(err, errmax, "map type %s: no file named", type);
		return -1;
	}
	if (!ext && path) {
		/* a file postbox cannot read (text, nis's local files):
		 * unusable, never silently no map */
		snprintf(err, errmax, "%.200s: map type %s is not supported "
			"(makemap hash builds the cdb map)", path, type);
		return -1;
	}
	if (!ext) {
		snprintf(err, errmax, "map type %s: not a file, not used",
			type);
		return 0;
	}
	if (str_lcpy(s->src, path, sizeof s->src) >= sizeof s->src)
		goto long_name;
	n = snprintf(s->file, sizeof s->file, "%s%s", path,
		str_ends(path, ext) ? "" : ext);
	if (n < 0 || (size_t)n >= sizeof s->file)
		goto long_name;
	return 1;
long_name:
	snprintf(err, errmax, "%.200s...: name too long", path);
	return -1;
}

int map_spec_alias(struct map_spec *s, const char *aliasfile, char *err,
	size_t errmax)
{
	char type[16] = "implicit", flags[256] = "";
	const char *p = aliasfile, *colon = strchr(p, ':'), *path;
	size_t n;

	/* "type:..." unless the path itself holds a ':' (sendmail: a
	 * class name never starts with '/') */
	if (colon && p[0] != '/') {
		n = colon - p;
		if (n >= sizeof type) {
			memset(s, 0, sizeof *s);
			snprintf(err, errmax, "%.40s: unknown alias map type",
				aliasfile);
			return 0;
		}
		memcpy(type, p, n);
		type[n] = 0;
		p = colon + 1;
	}
	if (!spec_ext(type)) {
		/* ldap:, nis:, ...: aliases from elsewhere, not a file */
		memset(s, 0, sizeof *s);
		snprintf(err, errmax, "%.200s: alias map type %s not used",
			aliasfile, type);
		return 0;
	}
	/* flags before the path: "hash:-N -o /etc/aliases" */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '-')
			break;
		for (path = p; *p && *p != ' ' && *p != '\t'; p++)
			;
		n = strlen(flags);
		if (n + (p - path) + 2 < sizeof flags)
			snprintf(flags + n, sizeof flags - n, "%s%.*s",
				n ? " " : "", (int)(p - path), path);
	}
	return map_spec_k(s, type, p, flags, 0, err, errmax);
}

int map_spec_open(struct map *m, const struct map_spec *s, char *err,
	size_t errmax)
{
	if (map_open(m, s->file, s->flags, err, errmax) < 0)
		return -1;
	m->match_only = s->match_only;
	memcpy(m->append, s->append, sizeof m->append);
	return 0;
}

int map_spec_lookup(struct map *m, const char *key, char *val, size_t max)
{
	int r = map_lookup(m, key, val, max);

	if (r <= 0)
		return r;
	if (m->match_only && str_lcpy(val, key, max) >= max)
		goto too_long;
	if (m->append[0] && str_lcat(val, m->append, max) >= max)
		goto too_long;
	return 1;
too_long:
	errno = E2BIG;
	return -1;
}

/* Whether the alias text FILE holds an entry: a line that is neither
 * blank nor a comment.  A missing or unreadable file holds none; one
 * too big to read holds some. */
static int text_has_entries(const char *file)
{
	char *data, *p;
	size_t len;
	int any = 0, bol = 1;

	if (file_read_all(file, 16UL << 20, &data, &len) < 0)
		return errno == EFBIG;
	for (p = data; p < data + len && !any; p++) {
		if (bol && *p != '#' && *p != '\n' && *p != ' ' &&
		    *p != '\t' && *p != '\r')
			any = 1;
		bol = *p == '\n';
	}
	free(data);
	return any;
}

int map_alias_open(struct map *m, const struct map_spec *s, char *err,
	size_t errmax)
{
	if (map_spec_open(m, s, err, errmax) == 0)
		return 1;
	if (errno != ENOENT)
		return -1;
	if (!text_has_entries(s->src))
		return 0;	/* no aliases at all: fine */
	errno = ENOENT;
	return -1;
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

/* One key, traced when asked. */
static int access_key(struct map *m, const char *key, char *result,
	size_t max, char *matched)
{
	int r = map_lookup(m, key, result, max);

	if (m->trace)
		m->trace(m->trace_ctx, key, r > 0 ? result : NULL);
	if (r > 0 && matched)
		str_lcpy(matched, key, MAP_KEY_MAX);
	return r;
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
		r = access_key(m, k, result, max, matched);
		if (r != 0)
			return r;
	}
	return access_key(m, key, result, max, matched);
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

/* Where hash H starts probing: its bits mixed (djb's low bits cluster
 * on keys that differ only at their end). */
static size_t index_home(uint32_t h, size_t size)
{
	return (size_t)((h * 0x9e3779b97f4a7c15ULL) >> 20) & (size - 1);
}

/* Slots hold the hash (high half) and the record + 1 (low half), so a
 * probe reads no record unless the hashes agree. */
static int index_grow(struct map_make *mk)
{
	size_t size = mk->index_size ? mk->index_size * 2 : 1024, i, j;
	uint64_t *t = calloc(size, sizeof *t);

	if (!t) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < mk->index_size; i++) {
		uint64_t e = mk->index[i];

		if (!e)
			continue;
		for (j = index_home(e >> 32, size); t[j]; j = (j + 1) &
				(size - 1))
			;
		t[j] = e;
	}
	free(mk->index);
	mk->index = t;
	mk->index_size = size;
	return 0;
}

/* The index slot of KEY: holds its entry, or 0 where it would go. */
static uint64_t *index_slot(struct map_make *mk, const void *key,
	size_t klen, uint32_t h)
{
	size_t j = index_home(h, mk->index_size);
	uint64_t e;

	while ((e = mk->index[j])) {
		if ((uint32_t)(e >> 32) == h) {
			struct map_make_rec *p = &mk->rec[(uint32_t)e - 1];

			if (p->klen == klen && memcmp(mk->data.p + p->off,
					key, klen) == 0)
				break;
		}
		j = (j + 1) & (mk->index_size - 1);
	}
	return &mk->index[j];
}

/* KEEP: an old record of -o, kept even beside an equal key. */
static int make_add(struct map_make *mk, const void *key, size_t klen,
	const void *val, size_t vlen, int keep)
{
	struct map_make_rec *p;
	uint64_t *slot = NULL;
	uint32_t h = cdb_hash(key, klen);
	size_t off = mk->data.len;

	if (klen > 0xffffffffUL || vlen > 0xffffffffUL ||
			mk->n >= 0xfffffffeUL) {
		errno = E2BIG;
		return -1;
	}
	if (!(mk->flags & (MAP_MAKE_DUPS | MAP_MAKE_LATER))) {
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
	p->tag = (uint32_t)mk->tag;
	p->dead = 0;
	p->old = keep;
	mk->n++;
	if (slot) {
		if (!*slot)
			*slot = (uint64_t)h << 32 | mk->n;
		else if (!keep) {	/* -r: the new value wins */
			mk->rec[(uint32_t)*slot - 1].dead = 1;
			*slot = (uint64_t)h << 32 | mk->n;
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

static int same_key(const struct map_make *mk, const struct map_make_rec *a,
	const struct map_make_rec *b)
{
	return a->klen == b->klen &&
		memcmp(mk->data.p + a->off, mk->data.p + b->off, a->klen) == 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One run of records with equal hashes (A[i..j), in added order): the
 * live records of distinct keys are kept in LIVE; each record either
 * repeats one of them (an event) or joins them.  Events go to EV. */
static void dup_run(struct map_make *mk, const uint64_t *a, size_t i,
	size_t j, uint32_t *live, uint64_t *ev, size_t *nev)
{
	size_t nlive = 0, k, m;

	for (k = i; k < j; k++) {
		uint32_t rk = (uint32_t)a[k];
		struct map_make_rec *pk = &mk->rec[rk];
		int hit = 0;

		for (m = 0; m < nlive; m++) {
			struct map_make_rec *pm = &mk->rec[live[m]];

			if (pm->dead || (pm->old && pk->old) ||
					!same_key(mk, pm, pk))
				continue;
			hit = 1;
			if (mk->flags & MAP_MAKE_REPLACE) {
				pm->dead = 1;	/* the later value wins */
				continue;
			}
			pk->dead = 1;		/* refused */
			break;
		}
		if (hit && !pk->old)
			ev[(*nev)++] = (uint64_t)rk << 1 |
				!(mk->flags & MAP_MAKE_REPLACE);
		if (!pk->dead)
			live[nlive++] = rk;
	}
}

long map_make_dups(struct map_make *mk, map_make_dup_fn fn, void *ctx)
{
	size_t n = mk->n, i, j, nev = 0, *count;
	uint64_t *a, *b, *ev;
	uint32_t *live;
	long refused = 0;
	int shift;

	if ((mk->flags & MAP_MAKE_DUPS) || n < 2)
		return 0;
	a = malloc(n * sizeof *a);
	b = malloc(n * sizeof *b);
	ev = malloc(n * sizeof *ev);
	live = malloc(n * sizeof *live);
	count = malloc(65536 * sizeof *count);
	if (!a || !b || !ev || !live || !count) {
		free(a), free(b), free(ev), free(live), free(count);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++)
		a[i] = (uint64_t)mk->rec[i].hash << 32 | i;
	/* LSD radix sort on the hash, 16 bits a pass: stable, so equal
	 * hashes stay in the order their records were added. */
	for (shift = 32; shift < 64; shift += 16) {
		size_t sum = 0;
		uint64_t *t;

		memset(count, 0, 65536 * sizeof *count);
		for (i = 0; i < n; i++)
			count[a[i] >> shift & 0xffff]++;
		for (i = 0; i < 65536; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[count[a[i] >> shift & 0xffff]++] = a[i];
		t = a, a = b, b = t;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && a[j] >> 32 == a[i] >> 32; j++)
			;
		if (j - i > 1)
			dup_run(mk, a, i, j, live, ev, &nev);
	}
	qsort(ev, nev, sizeof *ev, cmp_u64);	/* back in added order */
	for (i = 0; i < nev; i++) {
		struct map_make_rec *p = &mk->rec[ev[i] >> 1];
		int kind = ev[i] & 1 ? 1 : 2;

		refused += kind == 1;
		if (fn)
			fn(ctx, p->tag, mk->data.p + p->off, p->klen, kind);
	}
	free(a), free(b), free(ev), free(live), free(count);
	return refused;
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

void map_text_init(struct map_text *t, int fd)
{
	t->fd = fd;
	t->eof = 0;
	t->pos = t->len = 0;
}

int map_text_line(struct map_text *t, char **line, size_t *len)
{
	size_t n;
	ssize_t r;
	char *nl;
	int over = 0;

	for (;;) {
		nl = memchr(t->buf + t->pos, '\n', t->len - t->pos);
		if (nl || t->eof) {
			n = nl ? (size_t)(nl - (t->buf + t->pos)) :
				t->len - t->pos;
			if (!nl && n == 0 && !over)
				return 0;
			t->buf[t->pos + n] = 0;	/* the newline, or room kept */
			*line = t->buf + t->pos;
			*len = n;
			t->pos += nl ? n + 1 : n;
			if (over || n >= MAP_LINE_MAX) {
				errno = E2BIG;
				return -1;
			}
			return 1;
		}
		n = t->len - t->pos;
		if (n >= MAP_LINE_MAX) {	/* too long: drop it */
			over = 1;
			n = 0;
		} else if (t->pos)
			memmove(t->buf, t->buf + t->pos, n);
		t->pos = 0;
		t->len = n;
		/* one byte stays free for the NUL after a last line */
		r = read(t->fd, t->buf + t->len, sizeof t->buf - 1 - t->len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			t->eof = 1;
		t->len += r;
	}
}
