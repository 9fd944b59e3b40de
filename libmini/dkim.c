/* dkim: DKIM signing (RFC 6376); the contract is in dkim.h. */
#include "libmini.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')
#define CHUNK (64 << 10)

/* --- body canonicalization (RFC 6376 3.4.3, 3.4.4) ------------------- */

void dkim_body_init(struct dkim_body *b, enum dkim_canon canon)
{
	memset(b, 0, sizeof *b);
	br_sha256_init(&b->sha);
	b->canon = canon;
}

static void body_out(struct dkim_body *b, const void *p, size_t n)
{
	br_sha256_update(&b->sha, p, n);
	b->any = 1;
}

void dkim_body_update(struct dkim_body *b, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c == '\n') {
			/* empty lines wait: those at the end are dropped */
			if (b->len == 0)
				b->empty++;
			else
				body_out(b, "\r\n", 2);
			b->len = 0;
			b->wsp = 0;
			continue;
		}
		/* relaxed: a run of WSP is one SP, none at a line's end */
		if (b->canon == DKIM_RELAXED && IS_WSP(c)) {
			b->wsp = 1;
			continue;
		}
		for (; b->len == 0 && b->empty; b->empty--)
			body_out(b, "\r\n", 2);
		if (b->wsp)
			body_out(b, " ", 1);
		b->wsp = 0;
		body_out(b, &c, 1);
		b->len++;
	}
}

void dkim_body_final(struct dkim_body *b, unsigned char hash[32])
{
	if (b->len)
		body_out(b, "\r\n", 2);	/* a last line without its end */
	/* 3.4.3: an empty body is one CRLF in simple, nothing in relaxed */
	if (!b->any && b->canon == DKIM_SIMPLE)
		body_out(b, "\r\n", 2);
	br_sha256_out(&b->sha, hash);
}

/* --- header canonicalization (3.4.1, 3.4.2) ------------------------- */

long dkim_header_canon(char *dst, size_t max, const char *f, size_t len,
	enum dkim_canon canon)
{
	size_t i = 0, o = 0, colon;
	int wsp = 0;

	if (len && f[len - 1] == '\n')
		len--;
#define PUT(c) do { if (o + 1 >= max) return -1; dst[o++] = (c); } while (0)
	if (canon == DKIM_SIMPLE) {
		for (; i < len; i++) {
			if (f[i] == '\n')
				PUT('\r');
			PUT(f[i]);
		}
		goto end;
	}
	/* relaxed: the name lower-cased, no WSP around the colon */
	colon = 0;
	while (colon < len && f[colon] != ':')
		colon++;
	for (i = 0; i < colon; i++)
		if (!IS_WSP(f[i]) && f[i] != '\n')
			PUT(tolower((unsigned char)f[i]));
	PUT(':');
	for (i = colon + 1; i < len; i++) {
		char c = f[i];

		/* unfolded; WSP runs are one SP, none at either end */
		if (c == '\n' || c == '\r' || IS_WSP(c)) {
			wsp = 1;
			continue;
		}
		if (wsp && dst[o - 1] != ':')
			PUT(' ');
		wsp = 0;
		PUT(c);
	}
end:
	PUT('\r');
	PUT('\n');
	dst[o] = 0;
#undef PUT
	return (long)o;
}

/* --- From ----------------------------------------------------------- */

int dkim_from_addr(char *dst, size_t max, const char *v, size_t len)
{
	size_t i, start = 0, end = 0, o = 0;
	int q = 0, depth = 0, angle = 0, at = -1;

	/* the first "<...>" outside quotes and comments, else the first
	 * word holding an "@" */
	for (i = 0; i < len; i++) {
		char c = v[i];

		if (q) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				q = 0;
			continue;
		}
		if (depth) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (c == '"')
			q = 1;
		else if (c == '(')
			depth = 1;
		else if (c == '<' && !angle) {
			angle = 1;
			start = i + 1;
		} else if (c == '>' && angle) {
			end = i;
			break;
		} else if (c == ',' && !angle) {
			break;
		}
	}
	if (!angle) {
		/* addr-spec alone: the first run of other characters than
		 * blanks, commas and comments, which holds an "@" */
		for (i = 0, depth = 0; i < len; i = end) {
			if (v[i] == '(')
				depth++;
			else if (v[i] == ')' && depth)
				depth--;
			end = i + 1;
			if (depth || v[i] == ')' || isspace((unsigned char)v[i])
					|| v[i] == ',')
				continue;
			for (end = i; end < len &&
					!isspace((unsigned char)v[end]) &&
					v[end] != ',' && v[end] != '('; end++)
				;
			if (memchr(v + i, '@', end - i))
				break;
		}
		if (i >= len)
			return -1;
		start = i;
	} else if (!end) {
		return -1;
	}
	while (start < end && IS_WSP(v[start]))
		start++;
	while (end > start && isspace((unsigned char)v[end - 1]))
		end--;
	for (i = start; i < end; i++) {
		/* no control characters (NUL among them) in an address */
		if (o + 1 >= max || (unsigned char)v[i] < 0x20 ||
				v[i] == 0x7f)
			return -1;
		if (v[i] == '@')
			at = (int)o;
		dst[o++] = at >= 0 ? (char)tolower((unsigned char)v[i]) : v[i];
	}
	dst[o] = 0;
	return at > 0 && (size_t)at + 1 < o ? 0 : -1;
}

/* --- tables --------------------------------------------------------- */

/* A table file as lines: FN for each line's two fields (NAME, the rest
 * VALUE); comments (#) and blank lines skipped.  FN returns 1 to stop,
 * 0 to go on, -1 error.  Returns what FN returned last, or -1. */
typedef int (*line_fn)(void *ctx, const char *name, const char *value,
	const char *where, char *err, size_t errmax);

static int table_each(const char *path, line_fn fn, void *ctx, char *err,
	size_t errmax)
{
	FILE *f = fopen(path, "re");
	char *line, where[1100], *name, *value, *p;
	unsigned long lineno = 0;
	int r = 0;

	if (!f) {
		snprintf(err, errmax, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!(line = malloc(DKIM_LINE_MAX + 2))) {
		fclose(f);
		snprintf(err, errmax, "%s: out of memory", path);
		return -1;
	}
	while (r == 0 && fgets(line, DKIM_LINE_MAX + 2, f)) {
		size_t n = strlen(line);

		snprintf(where, sizeof where, "%s:%lu", path, ++lineno);
		if (lineno > DKIM_TABLE_MAX) {
			snprintf(err, errmax, "%s: over %d lines", where,
				DKIM_TABLE_MAX);
			r = -1;
			break;
		}
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		else if (!feof(f)) {
			snprintf(err, errmax, "%s: line over %d bytes", where,
				DKIM_LINE_MAX);
			r = -1;
			break;
		}
		if (memchr(line, 0, n) != NULL && strlen(line) != n) {
			snprintf(err, errmax, "%s: NUL byte", where);
			r = -1;
			break;
		}
		if ((p = strchr(line, '#')))
			*p = 0;
		for (name = line; isspace((unsigned char)*name); name++)
			;
		if (!*name)
			continue;
		for (value = name; *value && !isspace((unsigned char)*value);
				value++)
			;
		if (*value)
			*value++ = 0;
		while (isspace((unsigned char)*value))
			value++;
		for (p = value + strlen(value); p > value &&
				isspace((unsigned char)p[-1]); p--)
			;
		*p = 0;
		if (!*value) {
			snprintf(err, errmax, "%s: \"%s\" has no value", where,
				name);
			r = -1;
			break;
		}
		r = fn(ctx, name, value, where, err, errmax);
	}
	if (r == 0 && ferror(f)) {
		snprintf(err, errmax, "%s: %s", path, strerror(errno));
		r = -1;
	}
	free(line);
	fclose(f);
	return r;
}

/* Whether S matches the pattern P ('*': any run), case-insensitively. */
static int wild_match(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s) {
		if (*p == '*') {
			star = ++p;
			back = s;
		} else if (*p && tolower((unsigned char)*p) ==
				tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star) {
			p = star;
			s = ++back;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

/* OpenDKIM's "refile:", "file:" or a bare path: the path, and whether
 * its keys are patterns.  NULL for a data set type postbox lacks. */
static const char *table_path(const char *spec, int *re)
{
	*re = 0;
	if (strncmp(spec, "refile:", 7) == 0) {
		*re = 1;
		return spec + 7;
	}
	if (strncmp(spec, "file:", 5) == 0)
		return spec + 5;
	return spec[0] == '/' || spec[0] == '.' ? spec : NULL;
}

struct sign_find {
	int re;
	const char *from, *domain;
	char key[256];
	int rank;		/* plain file: 2 address, 1 domain */
};

static int sign_line(void *ctx, const char *name, const char *value,
	const char *where, char *err, size_t errmax)
{
	struct sign_find *sf = ctx;
	int rank = 0;

	if (strlen(value) >= sizeof sf->key || strchr(value, ' ') ||
			strchr(value, '\t')) {
		snprintf(err, errmax, "%s: the key name must be one word of "
			"at most %zu bytes", where, sizeof sf->key - 1);
		return -1;
	}
	if (sf->re) {
		if (!wild_match(name, sf->from))
			return 0;
		str_lcpy(sf->key, value, sizeof sf->key);
		return 1;	/* the first match wins */
	}
	if (strcasecmp(name, sf->from) == 0)
		rank = 2;
	else if (strcasecmp(name, sf->domain) == 0)
		rank = 1;
	if (rank > sf->rank) {
		sf->rank = rank;
		str_lcpy(sf->key, value, sizeof sf->key);
	}
	return 0;
}

struct key_find {
	const char *key, *domain;
	struct dkim_signer *s;
	int found;
};

static int key_line(void *ctx, const char *name, const char *value,
	const char *where, char *err, size_t errmax)
{
	struct key_find *kf = ctx;
	const char *c1, *c2;
	size_t dl, sl;

	if (strcmp(name, kf->key) != 0)
		return 0;
	/* DOMAIN:SELECTOR:KEYPATH */
	if (!(c1 = strchr(value, ':')) || !(c2 = strchr(c1 + 1, ':'))) {
		snprintf(err, errmax, "%s: the value must be "
			"DOMAIN:SELECTOR:KEYFILE", where);
		return -1;
	}
	dl = (size_t)(c1 - value);
	sl = (size_t)(c2 - c1 - 1);
	if (dl == 1 && value[0] == '%') {
		value = kf->domain;
		dl = strlen(value);
	}
	if (!dl || dl >= sizeof kf->s->domain || !sl ||
			sl >= sizeof kf->s->selector) {
		snprintf(err, errmax, "%s: empty or over-long domain or "
			"selector", where);
		return -1;
	}
	if (c2[1] != '/') {
		snprintf(err, errmax, "%s: the key must be a file's absolute "
			"path (keys written into the table are not supported)",
			where);
		return -1;
	}
	if (strlen(c2 + 1) >= sizeof kf->s->keypath) {
		snprintf(err, errmax, "%s: key path too long", where);
		return -1;
	}
	memcpy(kf->s->domain, value, dl);
	kf->s->domain[dl] = 0;
	memcpy(kf->s->selector, c1 + 1, sl);
	kf->s->selector[sl] = 0;
	str_lcpy(kf->s->keypath, c2 + 1, sizeof kf->s->keypath);
	/* tag values may not hold ";" or blanks (RFC 6376 3.2) */
	if (strpbrk(kf->s->domain, "; \t=") ||
			strpbrk(kf->s->selector, "; \t=")) {
		snprintf(err, errmax, "%s: bad domain or selector", where);
		return -1;
	}
	kf->found = 1;
	return 1;
}

int dkim_lookup(const char *keytable, const char *signtable,
	const char *from, struct dkim_signer *s, char *err, size_t errmax)
{
	struct sign_find sf;
	struct key_find kf;
	const char *path, *at = strrchr(from, '@');
	int re;

	memset(&sf, 0, sizeof sf);
	sf.from = from;
	sf.domain = at ? at + 1 : from;
	if (!(path = table_path(signtable, &sf.re))) {
		snprintf(err, errmax, "PostboxDKIMSigningTable %s: not a "
			"file (refile:PATH, file:PATH or /PATH)", signtable);
		return -1;
	}
	if (table_each(path, sign_line, &sf, err, errmax) < 0)
		return -1;
	if (!sf.key[0])
		return 0;
	if (!(path = table_path(keytable, &re)) || re) {
		snprintf(err, errmax, "PostboxDKIMKeyTable %s: not a file "
			"(file:PATH or /PATH)", keytable);
		return -1;
	}
	memset(&kf, 0, sizeof kf);
	kf.key = sf.key;
	kf.domain = sf.domain;
	kf.s = s;
	if (table_each(path, key_line, &kf, err, errmax) < 0)
		return -1;
	if (!kf.found) {
		snprintf(err, errmax, "%s: no key named \"%s\" (the "
			"SigningTable's for %s)", path, sf.key, from);
		return -1;
	}
	return 1;
}

/* --- keys ----------------------------------------------------------- */

struct der {
	unsigned char *p;
	size_t len, max;
	int over;
};

static void der_add(void *ctx, const void *src, size_t n)
{
	struct der *d = ctx;

	if (d->len + n > d->max) {
		d->over = 1;
		return;
	}
	memcpy(d->p + d->len, src, n);
	d->len += n;
}

static unsigned char *put(unsigned char **dst, const void *p, size_t n)
{
	unsigned char *at = *dst;

	memcpy(at, p, n);
	*dst += n;
	return at;
}

/* The DER of one private key into the key. */
static int key_der(struct dkim_key *k, const char *name,
	const unsigned char *der, size_t len, char *err, size_t errmax)
{
	br_skey_decoder_context *dc = malloc(sizeof *dc);
	const br_rsa_private_key *rk;
	unsigned char *p;
	int r = -1;

	if (!dc) {
		snprintf(err, errmax, "%s: out of memory", name);
		return -1;
	}
	br_skey_decoder_init(dc);
	br_skey_decoder_push(dc, der, len);
	if (br_skey_decoder_last_error(dc) != 0) {
		snprintf(err, errmax, "%s: cannot decode the key (BearSSL "
			"error %d)", name, br_skey_decoder_last_error(dc));
	} else if (!(rk = br_skey_decoder_get_rsa(dc))) {
		snprintf(err, errmax, "%s: not an RSA key (DKIM signs with "
			"RSA-SHA256 only: README.md, \"DKIM signing\")", name);
	} else if (rk->n_bitlen < DKIM_MIN_BITS) {
		snprintf(err, errmax, "%s: %u-bit key (RFC 8301: %d bits at "
			"least)", name, rk->n_bitlen, DKIM_MIN_BITS);
	} else if (!(p = k->mem = malloc(rk->plen + rk->qlen + rk->dplen +
			rk->dqlen + rk->iqlen))) {
		snprintf(err, errmax, "%s: out of memory", name);
	} else {
		k->sk = *rk;
		k->sk.p = put(&p, rk->p, rk->plen);
		k->sk.q = put(&p, rk->q, rk->qlen);
		k->sk.dp = put(&p, rk->dp, rk->dplen);
		k->sk.dq = put(&p, rk->dq, rk->dqlen);
		k->sk.iq = put(&p, rk->iq, rk->iqlen);
		r = 0;
	}
	memset(dc, 0, sizeof *dc);	/* the key's numbers */
	free(dc);
	return r;
}

int dkim_key_parse(struct dkim_key *k, const char *name, const char *data,
	size_t len, char *err, size_t errmax)
{
	br_pem_decoder_context pc;
	struct der d = { NULL, 0, DKIM_KEYFILE_MAX, 0 };
	int inobj = 0, want = 0, r = -1;
	size_t n;

	memset(k, 0, sizeof *k);
	if (!(d.p = malloc(d.max))) {
		snprintf(err, errmax, "%s: out of memory", name);
		return -1;
	}
	br_pem_decoder_init(&pc);
	while (len > 0 || inobj) {
		n = br_pem_decoder_push(&pc, data, len);
		data += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			inobj = 1;
			want = strcmp(br_pem_decoder_name(&pc),
				"RSA PRIVATE KEY") == 0 || strcmp(
				br_pem_decoder_name(&pc), "PRIVATE KEY") == 0;
			if (strcmp(br_pem_decoder_name(&pc),
					"ENCRYPTED PRIVATE KEY") == 0) {
				snprintf(err, errmax, "%s: an encrypted key "
					"(decrypt it with openssl pkey)", name);
				goto out;
			}
			d.len = 0;
			br_pem_decoder_setdest(&pc, want ? der_add : NULL,
				&d);
			break;
		case BR_PEM_END_OBJ:
			inobj = 0;
			if (!want)
				break;
			if (d.over) {
				snprintf(err, errmax, "%s: key too large",
					name);
				goto out;
			}
			r = key_der(k, name, d.p, d.len, err, errmax);
			goto out;
		case BR_PEM_ERROR:
			snprintf(err, errmax, "%s: bad PEM data", name);
			goto out;
		default:
			if (len == 0 && inobj) {
				snprintf(err, errmax, "%s: truncated PEM "
					"object", name);
				goto out;
			}
		}
	}
	snprintf(err, errmax, "%s: no \"RSA PRIVATE KEY\" or \"PRIVATE KEY\" "
		"in it", name);
out:
	memset(d.p, 0, d.max);
	free(d.p);
	memset(&pc, 0, sizeof pc);
	return r;
}

int dkim_key_load(struct dkim_key *k, const char *path, char *err,
	size_t errmax)
{
	char *data = malloc(DKIM_KEYFILE_MAX + 1);
	ssize_t n;
	size_t len = 0;
	int fd, r;

	memset(k, 0, sizeof *k);
	if (!data) {
		snprintf(err, errmax, "%s: out of memory", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errmax, "%s: %s", path, strerror(errno));
		free(data);
		return -1;
	}
	while (len <= DKIM_KEYFILE_MAX && (n = read(fd, data + len,
			DKIM_KEYFILE_MAX + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len > DKIM_KEYFILE_MAX) {
		snprintf(err, errmax, "%s: over %d bytes", path,
			DKIM_KEYFILE_MAX);
		r = -1;
	} else {
		r = dkim_key_parse(k, path, data, len, err, errmax);
	}
	memset(data, 0, len);
	free(data);
	return r;
}

void dkim_key_free(struct dkim_key *k)
{
	if (k->mem) {
		memset(k->mem, 0, k->sk.plen + k->sk.qlen + k->sk.dplen +
			k->sk.dqlen + k->sk.iqlen);
		free(k->mem);
	}
	memset(k, 0, sizeof *k);
}

/* --- signing -------------------------------------------------------- */

/* RFC 6376 5.4.1's fields, and those of the MIME body and the ID. */
static const char *const sign_fields[] = {
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date",
	"Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive", "Message-ID", "Sender",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};
#define NFIELDS (sizeof sign_fields / sizeof *sign_fields)
#define MAX_FIELDS 1000

struct field {
	size_t off, len;	/* in the header text, the LF included */
	int which;		/* index in sign_fields or -1 */
};

/* Whether the field at F names NAME. */
static int field_is(const char *f, size_t len, const char *name)
{
	size_t n = strlen(name), i;

	if (len <= n || strncasecmp(f, name, n) != 0)
		return 0;
	for (i = n; i < len && IS_WSP(f[i]); i++)
		;
	return i < len && f[i] == ':';
}

/* Splits the header (H, LEN bytes up to and with the empty line) into
 * fields.  The count, or -1 when there are too many. */
static long split_fields(const char *h, size_t len, struct field *fv)
{
	size_t i = 0, n = 0, start, k;

	while (i < len && h[i] != '\n') {
		start = i;
		do {
			const char *e = memchr(h + i, '\n', len - i);

			i = e ? (size_t)(e - h) + 1 : len;
		} while (i < len && IS_WSP(h[i]));
		if (n == MAX_FIELDS)
			return -1;
		fv[n].off = start;
		fv[n].len = i - start;
		fv[n].which = -1;
		for (k = 0; k < NFIELDS; k++)
			if (field_is(h + start, i - start, sign_fields[k]))
				fv[n].which = (int)k;
		n++;
	}
	return (long)n;
}

struct sig {
	struct buf text;	/* the DKIM-Signature field, LF ends */
	br_sha256_context sha;	/* the header hash */
	char *canon;		/* a canonical field */
};

/* Adds the canonical field F to the header hash. */
static int hash_field(struct sig *sg, const char *f, size_t len,
	enum dkim_canon canon, int crlf)
{
	long n = dkim_header_canon(sg->canon, 2 * DKIM_HEADER_MAX + 16, f, len,
		canon);

	if (n < 0)
		return -1;
	br_sha256_update(&sg->sha, sg->canon, (size_t)n - (crlf ? 0 : 2));
	return 0;
}

static int pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, c, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		off += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Moves the LEN bytes of FD from offset 0 up by ADD bytes. */
static int shift_file(int fd, off_t len, size_t add, char *chunk)
{
	off_t end = len;

	while (end > 0) {
		size_t n = end > CHUNK ? CHUNK : (size_t)end;

		end -= (off_t)n;
		if (pread(fd, chunk, n, end) != (ssize_t)n ||
				pwrite_all(fd, chunk, n, end +
					(off_t)add) < 0)
			return -1;
	}
	return 0;
}

/* Reads the header of FD: its bytes in *H (malloc'ed), *HLEN with the
 * empty line (or the whole message when there is no body).  0 or -1. */
static int read_header(int fd, char **h, size_t *hlen, char *err,
	size_t errmax)
{
	char *p = malloc(DKIM_HEADER_MAX + 1), *e;
	size_t len = 0;
	ssize_t n;

	*h = p;
	if (!p) {
		snprintf(err, errmax, "out of memory");
		return -1;
	}
	while (len < DKIM_HEADER_MAX && (n = pread(fd, p + len,
			DKIM_HEADER_MAX - len, (off_t)len)) > 0)
		len += (size_t)n;
	p[len] = 0;
	if (len >= 1 && p[0] == '\n') {
		*hlen = 1;
		return 0;
	}
	for (e = p; (e = memchr(e, '\n', len - (size_t)(e - p))) &&
			e + 1 < p + len; e++)
		if (e[1] == '\n') {
			*hlen = (size_t)(e - p) + 2;
			return 0;
		}
	if (len < DKIM_HEADER_MAX) {
		*hlen = len;	/* a header alone */
		return 0;
	}
	snprintf(err, errmax, "header over %lu bytes: not signed",
		DKIM_HEADER_MAX);
	return -1;
}

/* Builds the signature field into SG for the header H (HLEN bytes) of
 * FD's message with signer S and key K. */
static int build(struct sig *sg, int fd, const char *h, size_t hlen,
	struct field *fv, long nf, const struct dkim_signer *s,
	const struct dkim_key *k, enum dkim_canon hc, enum dkim_canon bc,
	time_t now, char *chunk, char *err, size_t errmax)
{
	static const char *const cname[] = { "simple", "relaxed" };
	struct dkim_body body;
	unsigned char bh[32], hh[32], sigbin[512];
	char b64[700];
	size_t k2, sl, col;
	long i;
	off_t off = (off_t)hlen;
	ssize_t n;
	int count[NFIELDS] = { 0 }, first = 1, seen;

	/* the body hash (no l=: RFC 6376 8.2) */
	dkim_body_init(&body, bc);
	while ((n = pread(fd, chunk, CHUNK, off)) > 0) {
		dkim_body_update(&body, chunk, (size_t)n);
		off += n;
	}
	if (n < 0) {
		snprintf(err, errmax, "reading the message: %s",
			strerror(errno));
		return -1;
	}
	dkim_body_final(&body, bh);
	if (b64_encode(b64, sizeof b64, bh, sizeof bh) < 0)
		return -1;
	buf_printf(&sg->text, "DKIM-Signature: v=1; a=rsa-sha256; "
		"c=%s/%s; d=%s; s=%s;\n\tt=%lld; bh=%s;\n\th=", cname[hc],
		cname[bc], s->domain, s->selector, (long long)now, b64);
	/* h=: each instance of each field, bottom up (5.4.2), and From
	 * once more (8.15) */
	for (i = 0; i < nf; i++)
		if (fv[i].which >= 0)
			count[fv[i].which]++;
	col = 3;
	br_sha256_init(&sg->sha);
	for (k2 = 0; k2 < NFIELDS; k2++) {
		int c, total = count[k2] + (k2 == 0);

		for (c = 0; c < total; c++) {
			sl = strlen(sign_fields[k2]);
			if (col + sl > 70) {
				buf_printf(&sg->text, "\n\t ");
				col = 2;
			}
			buf_printf(&sg->text, "%s%s", first ? "" : ":",
				sign_fields[k2]);
			col += sl + 1;
			first = 0;
			if (c >= count[k2])
				continue;	/* over-signed: null */
			/* the c-th instance counted from the bottom */
			for (i = nf - 1, seen = 0; i >= 0; i--)
				if (fv[i].which == (int)k2 && seen++ == c)
					break;
			if (hash_field(sg, h + fv[i].off, fv[i].len, hc,
					1) < 0)
				goto big;
		}
	}
	if (buf_printf(&sg->text, ";\n\tb=") < 0)
		goto big;
	/* 3.7: the signature field itself, b= empty, no final CRLF */
	if (hash_field(sg, sg->text.p, sg->text.len, hc, 0) < 0)
		goto big;
	br_sha256_out(&sg->sha, hh);
	sl = (k->sk.n_bitlen + 7) / 8;
	if (sl > sizeof sigbin || !br_rsa_pkcs1_sign_get_default()(
			BR_HASH_OID_SHA256, hh, sizeof hh, &k->sk, sigbin)) {
		snprintf(err, errmax, "%s: RSA signing failed", s->keypath);
		return -1;
	}
	if (b64_encode(b64, sizeof b64, sigbin, sl) < 0)
		goto big;
	/* folded: b= ignores white space (3.5) */
	for (k2 = 0, sl = strlen(b64); k2 < sl; k2 += 72) {
		if (k2 && buf_printf(&sg->text, "\n\t ") < 0)
			goto big;
		if (buf_add(&sg->text, b64 + k2, strnlen(b64 + k2, 72)) < 0)
			goto big;
	}
	if (buf_add(&sg->text, "\n", 1) < 0)
		goto big;
	return 0;
big:
	snprintf(err, errmax, "a header field too large to sign");
	return -1;
}

int dkim_sign_fd(int fd, const char *keytable, const char *signtable,
	enum dkim_canon hcanon, enum dkim_canon bcanon, time_t now,
	char *err, size_t errmax)
{
	struct dkim_signer signer;
	struct dkim_key key;
	struct field *fv = NULL;
	struct sig sg;
	struct stat st;
	char *h = NULL, *chunk = NULL, from[512], ferr[1300];
	size_t hlen = 0;
	long nf, i;
	int r = -1;

	memset(&key, 0, sizeof key);
	memset(&sg, 0, sizeof sg);
	buf_init(&sg.text, 16384);
	if (read_header(fd, &h, &hlen, err, errmax) < 0)
		goto out;
	if (!(fv = malloc(MAX_FIELDS * sizeof *fv)) ||
			!(chunk = malloc(CHUNK)) ||
			!(sg.canon = malloc(2 * DKIM_HEADER_MAX + 16))) {
		snprintf(err, errmax, "out of memory");
		goto out;
	}
	if ((nf = split_fields(h, hlen, fv)) < 0) {
		snprintf(err, errmax, "over %d header fields: not signed",
			MAX_FIELDS);
		goto out;
	}
	/* the signer: the first From's first address */
	for (i = 0; i < nf && fv[i].which != 0; i++)
		;
	if (i == nf) {
		r = 0;
		goto out;
	}
	{
		const char *v = memchr(h + fv[i].off, ':', fv[i].len) + 1;

		if (dkim_from_addr(from, sizeof from, v, fv[i].len -
				(size_t)(v - h - fv[i].off)) < 0) {
			r = 0;
			goto out;
		}
	}
	if ((r = dkim_lookup(keytable, signtable, from, &signer, err,
			errmax)) <= 0)
		goto out;
	r = -1;
	if (dkim_key_load(&key, signer.keypath, ferr, sizeof ferr) < 0) {
		snprintf(err, errmax, "%s", ferr);
		goto out;
	}
	if (build(&sg, fd, h, hlen, fv, nf, &signer, &key, hcanon, bcanon,
			now, chunk, err, errmax) < 0)
		goto out;
	/* the field goes first (RFC 6376 5.6), the message after it */
	if (fstat(fd, &st) < 0 || shift_file(fd, st.st_size, sg.text.len,
			chunk) < 0 || pwrite_all(fd, sg.text.p,
				sg.text.len, 0) < 0) {
		snprintf(err, errmax, "writing the signed message: %s",
			strerror(errno));
		goto out;
	}
	r = 1;
out:
	dkim_key_free(&key);
	buf_free(&sg.text);
	free(sg.canon);
	free(chunk);
	free(fv);
	free(h);
	return r;
}

static int canon_word(const char *s, size_t n, enum dkim_canon *c)
{
	if (n == 6 && strncasecmp(s, "simple", 6) == 0)
		*c = DKIM_SIMPLE;
	else if (n == 7 && strncasecmp(s, "relaxed", 7) == 0)
		*c = DKIM_RELAXED;
	else
		return -1;
	return 0;
}

int dkim_canon_parse(const char *s, enum dkim_canon *hc,
	enum dkim_canon *bc)
{
	const char *slash;

	*hc = *bc = DKIM_RELAXED;
	if (!s || !*s)
		return 0;
	/* RFC 6376 3.5 c=: "header/body", body simple when left out */
	if (!(slash = strchr(s, '/'))) {
		*bc = DKIM_SIMPLE;
		return canon_word(s, strlen(s), hc);
	}
	if (canon_word(s, (size_t)(slash - s), hc) < 0)
		return -1;
	return canon_word(slash + 1, strlen(slash + 1), bc);
}

int dkim_sign_queued(const struct cf_opts *o, int fd, char *err,
	size_t errmax)
{
	enum dkim_canon hc, bc;

	if (!CFG_DKIM || !o->dkim_keytable || !o->dkim_signtable)
		return 0;
	if (dkim_canon_parse(o->dkim_canon, &hc, &bc) < 0) {
		snprintf(err, errmax, "PostboxDKIMCanonicalization=%s: not "
			"simple or relaxed, or two of them with a /",
			o->dkim_canon);
		return -1;
	}
	return dkim_sign_fd(fd, o->dkim_keytable, o->dkim_signtable, hc, bc,
		time(NULL), err, errmax);
}
