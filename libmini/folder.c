/* folder: the folder tree of one user for imapd; the contract and the
 * layouts are in folder.h. */
#include "libmini.h"
#include "folder.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUBS_FILE_MAX	(4u << 20)	/* bytes of the subscriptions file */
#define RM_DEPTH_MAX	8		/* folders deep a removal goes */

static int fail(struct folder_store *fs, int e, const char *fmt, ...)
{
	va_list ap;

	if (fs) {
		va_start(ap, fmt);
		vsnprintf(fs->err, sizeof fs->err, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -1;
}

/* --- modified UTF-7 (RFC 3501 5.1.3) ------------------------------------ */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Appends code point U as UTF-8 at DST[*N] (MAX bytes, one kept for the
 * NUL); DST NULL only counts.  0 or -1 when full. */
static int put_utf8(char *dst, size_t max, size_t *n, unsigned long u)
{
	char t[4];
	size_t k, i;

	if (u < 0x80) {
		t[0] = (char)u;
		k = 1;
	} else if (u < 0x800) {
		t[0] = (char)(0xc0 | u >> 6);
		t[1] = (char)(0x80 | (u & 0x3f));
		k = 2;
	} else if (u < 0x10000) {
		t[0] = (char)(0xe0 | u >> 12);
		t[1] = (char)(0x80 | (u >> 6 & 0x3f));
		t[2] = (char)(0x80 | (u & 0x3f));
		k = 3;
	} else {
		t[0] = (char)(0xf0 | u >> 18);
		t[1] = (char)(0x80 | (u >> 12 & 0x3f));
		t[2] = (char)(0x80 | (u >> 6 & 0x3f));
		t[3] = (char)(0x80 | (u & 0x3f));
		k = 4;
	}
	if (dst) {
		if (*n + k >= max)
			return -1;
		for (i = 0; i < k; i++)
			dst[*n + i] = t[i];
	}
	*n += k;
	return 0;
}

/* The decoder behind folder_mutf7_to_utf8; NOCTL also refuses encoded
 * control characters (C0, DEL, C1), as a folder name must. */
static int mutf7_decode(const char *src, size_t n, char *dst, size_t max,
	int noctl)
{
	size_t i = 0, o = 0;
	int after_run = 0;

	if (dst && !max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	while (i < n) {
		unsigned char c = (unsigned char)src[i];
		unsigned long bits = 0, hi = 0;
		int nbits = 0, units = 0;

		if (c < 0x20 || c > 0x7e)
			goto bad;
		if (c != '&') {
			if (dst && o + 1 >= max)
				goto full;
			if (dst)
				dst[o] = (char)c;
			o++, i++;
			after_run = 0;
			continue;
		}
		if (++i >= n)
			goto bad;		/* "&" unterminated */
		if (src[i] == '-') {		/* "&-" is '&' */
			if (dst && o + 1 >= max)
				goto full;
			if (dst)
				dst[o] = '&';
			o++, i++;
			after_run = 0;
			continue;
		}
		/* two runs side by side are one run when minimal */
		if (after_run)
			goto bad;
		for (; i < n && src[i] != '-'; i++) {
			int v = b64val((unsigned char)src[i]);
			unsigned long u;

			if (v < 0)
				goto bad;
			bits = bits << 6 | (unsigned long)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			u = bits >> nbits & 0xffff;
			bits &= (1ul << nbits) - 1;
			units++;
			if (hi) {
				if (u < 0xdc00 || u > 0xdfff)
					goto bad;
				u = 0x10000 + ((hi - 0xd800) << 10) +
					(u - 0xdc00);
				hi = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				hi = u;
				continue;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				goto bad;
			} else if (u >= 0x20 && u <= 0x7e) {
				goto bad;	/* printable: must be itself */
			} else if (u == 0) {
				goto bad;
			}
			if (noctl && (u < 0x20 || (u >= 0x7f && u <= 0x9f)))
				goto bad;
			if (put_utf8(dst, max, &o, u) < 0)
				goto full;
		}
		/* terminated, not empty, no lone high surrogate, no padding
		 * beyond the last unit, the spare bits zero */
		if (i >= n || !units || hi || nbits >= 6 || bits)
			goto bad;
		i++;
		after_run = 1;
	}
	if (dst)
		dst[o] = 0;
	return (int)o;
bad:
	errno = EINVAL;
	return -1;
full:
	errno = ENAMETOOLONG;
	return -1;
}

int folder_mutf7_to_utf8(const char *src, size_t n, char *dst, size_t max)
{
	return mutf7_decode(src, n, dst, max, 0);
}

/* The next code point of valid UTF-8 at S (N bytes left) and its length
 * into *LEN. */
static unsigned long utf8_next(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*len = 2;
		return (unsigned long)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0) {
		*len = 3;
		return (unsigned long)(s[0] & 0x0f) << 12 |
			(unsigned long)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	*len = 4;
	return (unsigned long)(s[0] & 0x07) << 18 |
		(unsigned long)(s[1] & 0x3f) << 12 |
		(unsigned long)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
}

int folder_utf8_to_mutf7(const char *src, size_t n, char *dst, size_t max)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, k;
	unsigned long bits = 0;
	int nbits = 0, in_run = 0;

	if (!max || !str_utf8_valid(src, n) || memchr(src, 0, n)) {
		errno = max ? EINVAL : ENAMETOOLONG;
		return -1;
	}
#define PUT(ch) do { if (o + 1 >= max) goto full; dst[o++] = (ch); } while (0)
	while (i < n) {
		unsigned long u = utf8_next(s + i, &k), w[2];
		int nw, j;

		i += k;
		if (u >= 0x20 && u <= 0x7e) {
			if (in_run) {		/* close the run */
				if (nbits)
					PUT(b64[bits << (6 - nbits) & 0x3f]);
				PUT('-');
				in_run = 0;
				nbits = 0;
				bits = 0;
			}
			PUT((char)u);
			if (u == '&')
				PUT('-');
			continue;
		}
		if (!in_run) {
			PUT('&');
			in_run = 1;
		}
		if (u >= 0x10000) {
			w[0] = 0xd800 + ((u - 0x10000) >> 10);
			w[1] = 0xdc00 + ((u - 0x10000) & 0x3ff);
			nw = 2;
		} else {
			w[0] = u;
			nw = 1;
		}
		for (j = 0; j < nw; j++) {
			bits = bits << 16 | w[j];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				PUT(b64[bits >> nbits & 0x3f]);
			}
			bits &= (1ul << nbits) - 1;
		}
	}
	if (in_run) {
		if (nbits)
			PUT(b64[bits << (6 - nbits) & 0x3f]);
		PUT('-');
	}
#undef PUT
	dst[o] = 0;
	return (int)o;
full:
	errno = ENAMETOOLONG;
	return -1;
}

/* --- names ---------------------------------------------------------------- */

static int is_inbox(const char *s, size_t n)
{
	return n == 5 && strncasecmp(s, "INBOX", 5) == 0;
}

/* Checks the canonical-to-be name NAME (N bytes) for layout KIND (-1:
 * both); the first component made "INBOX" in place when it is one. */
static int check_name(struct folder_store *fs, int kind, char *name,
	size_t n)
{
	size_t i, start, depth = 0;

	if (!n)
		return fail(fs, EINVAL, "empty folder name");
	if (n > FOLDER_NAME_MAX)
		return fail(fs, EINVAL, "folder name over %d bytes",
			FOLDER_NAME_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c > 0x7e)
			return fail(fs, EINVAL, "control character or 8-bit "
				"byte in a folder name (names are modified "
				"UTF-7)");
		if (c == '*' || c == '%')
			return fail(fs, EINVAL, "'%c' in a folder name", c);
	}
	if (mutf7_decode(name, n, NULL, 0, 1) < 0)
		return fail(fs, EINVAL, "invalid modified UTF-7 in a folder "
			"name");
	for (start = 0; start <= n; start = i + 1) {
		const char *c = name + start;
		size_t len;

		for (i = start; i < n && name[i] != '/'; i++)
			;
		len = i - start;
		if (!len)
			return fail(fs, EINVAL, "empty level in a folder name");
		if (len > FOLDER_COMPONENT_MAX)
			return fail(fs, EINVAL, "a level of a folder name "
				"over %d bytes", FOLDER_COMPONENT_MAX);
		if (c[0] == '.')
			return fail(fs, EINVAL, "a level of a folder name "
				"starts with '.'");
		if (kind != LOCAL_MAILDIR && len >= 5 &&
		    memcmp(c + len - 5, ".lock", 5) == 0)
			return fail(fs, EINVAL, "a folder name ending in "
				"\".lock\" (a lock file)");
		if (++depth > FOLDER_DEPTH_MAX)
			return fail(fs, EINVAL, "folder name over %d levels",
				FOLDER_DEPTH_MAX);
		if (start == 0 && is_inbox(c, len))
			memcpy(name, "INBOX", 5);
	}
	return 0;
}

int folder_canon(struct folder_store *fs, const char *name, int trailing,
	char *dst, size_t max)
{
	size_t n = strlen(name);

	if (trailing && n > 1 && name[n - 1] == '/')
		n--;
	if (n >= max || n > FOLDER_NAME_MAX)
		return fail(fs, EINVAL, "folder name over %d bytes",
			FOLDER_NAME_MAX);
	memcpy(dst, name, n);
	dst[n] = 0;
	return check_name(fs, fs ? fs->kind : -1, dst, n);
}

int folder_init(struct folder_store *fs, int kind, const char *inbox,
	const char *root)
{
	memset(fs, 0, sizeof *fs);
	fs->kind = kind;
	if (kind != LOCAL_MBOX && kind != LOCAL_MAILDIR)
		return fail(fs, EINVAL, "unknown mailbox kind");
	if (!root || !*root) {
		if (kind == LOCAL_MBOX)
			return fail(fs, EINVAL, "no folder root for mbox");
		root = inbox;
	}
	if (!inbox || !*inbox)
		return fail(fs, EINVAL, "no inbox");
	if (str_lcpy(fs->inbox, inbox, sizeof fs->inbox) >= sizeof fs->inbox ||
	    str_lcpy(fs->root, root, sizeof fs->root) >= sizeof fs->root)
		return fail(fs, ENAMETOOLONG, "inbox or root path too long");
	/* a trailing '/' of the root would double in every path */
	while (strlen(fs->root) > 1 && fs->root[strlen(fs->root) - 1] == '/')
		fs->root[strlen(fs->root) - 1] = 0;
	return 0;
}

/* Maildir++: the folder directory name of canonical NAME, ".a%2Eb.c"
 * for "a.b/c", into DST (MAX bytes). */
static int maildir_dirname(struct folder_store *fs, const char *name,
	char *dst, size_t max)
{
	size_t o = 0;

	if (max < 2)
		return fail(fs, ENAMETOOLONG, "folder name too long");
	dst[o++] = '.';
	for (; *name; name++) {
		if (o + 4 >= max || o + 3 > 255)
			return fail(fs, ENAMETOOLONG, "folder name too long "
				"for the file system");
		if (*name == '/') {
			dst[o++] = '.';
		} else if (*name == '.') {
			memcpy(dst + o, "%2E", 3);
			o += 3;
		} else {
			dst[o++] = *name;
		}
	}
	dst[o] = 0;
	return 0;
}

/* The path of canonical NAME, whether it exists or not. */
static int name_path(struct folder_store *fs, const char *name, char *dst,
	size_t max)
{
	char d[512];
	int n;

	if (strcmp(name, "INBOX") == 0)
		n = snprintf(dst, max, "%s", fs->inbox);
	else if (fs->kind == LOCAL_MBOX)
		n = snprintf(dst, max, "%s/%s", fs->root, name);
	else if (maildir_dirname(fs, name, d, sizeof d) < 0)
		return -1;
	else
		n = snprintf(dst, max, "%s/%s", fs->root, d);
	if (n < 0 || (size_t)n >= max)
		return fail(fs, ENAMETOOLONG, "folder path too long");
	return 0;
}

/* No symbolic link on the way from the root to canonical NAME (what
 * exists of it): 0, or -1 ELOOP. */
static int check_links(struct folder_store *fs, const char *name)
{
	char path[4096];
	struct stat st;
	size_t i, n;

	if (strcmp(name, "INBOX") == 0)
		return 0;
	if (name_path(fs, name, path, sizeof path) < 0)
		return -1;
	n = strlen(path);
	i = fs->kind == LOCAL_MBOX ? strlen(fs->root) + 1 : n;
	for (; i <= n; i++) {
		if (i < n && path[i] != '/')
			continue;
		path[i] = 0;
		if (lstat(path, &st) < 0) {
			path[i] = '/';
			break;
		}
		if (S_ISLNK(st.st_mode))
			return fail(fs, ELOOP, "a symbolic link in the folder "
				"tree: %s", path);
		if (i < n)
			path[i] = '/';
	}
	return 0;
}

int folder_path(struct folder_store *fs, const char *name, char *dst,
	size_t max, int *kind)
{
	char canon[FOLDER_NAME_MAX + 1];
	struct stat st;

	if (folder_canon(fs, name, 0, canon, sizeof canon) < 0)
		return -1;
	if (name_path(fs, canon, dst, max) < 0)
		return -1;
	if (kind)
		*kind = fs->kind;
	if (strcmp(canon, "INBOX") == 0)
		return 0;
	if (check_links(fs, canon) < 0)
		return -1;
	if (lstat(dst, &st) < 0) {
		/* a level above that is a file: no such folder either */
		if (errno == ENOENT || errno == ENOTDIR)
			return fail(fs, ENOENT, "no such folder");
		return fail(fs, errno, "%s: %s", dst, strerror(errno));
	}
	if (fs->kind == LOCAL_MBOX && S_ISDIR(st.st_mode))
		return fail(fs, EISDIR, "the folder only holds folders "
			"(\\Noselect)");
	if (fs->kind == LOCAL_MBOX ? !S_ISREG(st.st_mode) :
	    !S_ISDIR(st.st_mode))
		return fail(fs, EINVAL, "%s: not a folder", dst);
	return 0;
}

/* --- matching (RFC 3501 6.3.8) ------------------------------------------ */

int folder_match(const char *pattern, const char *name)
{
	unsigned char cur[FOLDER_PATTERN_MAX + 1], nxt[FOLDER_PATTERN_MAX + 1];
	size_t p = strlen(pattern), k, i, ci = 0;
	int any;

	if (p > FOLDER_PATTERN_MAX)
		return 0;
	/* INBOX is matched in any case */
	if (strncmp(name, "INBOX", 5) == 0 && (name[5] == 0 || name[5] == '/'))
		ci = 5;
	memset(cur, 0, p + 1);
	cur[0] = 1;
	for (i = 0; i < p && (pattern[i] == '*' || pattern[i] == '%'); i++)
		cur[i + 1] = 1;
	for (k = 0; name[k]; k++) {
		unsigned char c = (unsigned char)name[k];

		memset(nxt, 0, p + 1);
		any = 0;
		for (i = 0; i < p; i++) {
			unsigned char q = (unsigned char)pattern[i];

			if (!cur[i])
				continue;
			if (q == '*' || (q == '%' && c != '/'))
				nxt[i] = 1;
			else if (q == c || (k < ci && q != '%' &&
			    (q | 0x20) == (c | 0x20) && c >= 'A' && c <= 'Z'))
				nxt[i + 1] = 1;
		}
		/* a wildcard also matches nothing */
		for (i = 0; i <= p; i++) {
			if (nxt[i]) {
				any = 1;
				if (i < p && (pattern[i] == '*' ||
				    pattern[i] == '%'))
					nxt[i + 1] = 1;
			}
		}
		if (!any)
			return 0;
		memcpy(cur, nxt, p + 1);
	}
	return cur[p];
}

/* --- the tree: names found, sorted ------------------------------------- */

#define B_SEL		0x01	/* a selectable folder */
#define B_DIR		0x02	/* an mbox directory */
#define B_FILE		0x04	/* an mbox file */
#define B_TREE		0x08	/* on disk, or a level above one */
#define B_SUB		0x10	/* subscribed */
#define B_SUBCHILD	0x20	/* an inferior is subscribed */
#define B_CHILD		0x40	/* an inferior is on disk */
#define B_SUBTREE	0x80	/* a level above a subscription */

struct node {
	char *name;
	unsigned bits;
};

struct tree {
	struct folder_store *fs;
	struct node *v;
	size_t n, cap;
	int cut;		/* FOLDER_LIST_MAX reached */
	size_t seen;		/* directory entries read */
	dev_t inbox_dev;	/* the inbox, when it lies in the tree */
	ino_t inbox_ino;
};

/* The order: INBOX and its inferiors first, then bytewise with '/' lowest,
 * so that a folder's inferiors follow it. */
static int node_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)
		((const struct node *)a)->name;
	const unsigned char *y = (const unsigned char *)
		((const struct node *)b)->name;
	int ix = strncmp((const char *)x, "INBOX", 5) == 0 &&
		(x[5] == 0 || x[5] == '/');
	int iy = strncmp((const char *)y, "INBOX", 5) == 0 &&
		(y[5] == 0 || y[5] == '/');

	if (ix != iy)
		return iy - ix;
	for (; *x && *x == *y; x++, y++)
		;
	return (*x == '/' ? 1 : *x) - (*y == '/' ? 1 : *y);
}

/* Sorts and merges duplicates (a name found again, or as the level
 * above others). */
static void tree_merge(struct tree *t)
{
	size_t i, o;

	if (!t->n)
		return;
	qsort(t->v, t->n, sizeof *t->v, node_cmp);
	for (o = 0, i = 1; i < t->n; i++) {
		if (strcmp(t->v[o].name, t->v[i].name) == 0) {
			t->v[o].bits |= t->v[i].bits;
			free(t->v[i].name);
		} else {
			t->v[++o] = t->v[i];
		}
	}
	t->n = o + 1;
}

static int tree_add1(struct tree *t, const char *name, size_t len,
	unsigned bits)
{
	struct node *v;

	/* FOLDER_LIST_MAX different names: the duplicates merged when
	 * twice as many are held */
	if (t->n >= 2 * FOLDER_LIST_MAX) {
		tree_merge(t);
		if (t->n >= FOLDER_LIST_MAX)
			t->cut = 1;
	}
	if (t->cut)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		if (!(v = realloc(t->v, cap * sizeof *v)))
			return -1;
		t->v = v;
		t->cap = cap;
	}
	if (!(t->v[t->n].name = malloc(len + 1)))
		return -1;
	memcpy(t->v[t->n].name, name, len);
	t->v[t->n].name[len] = 0;
	t->v[t->n].bits = bits;
	t->n++;
	return 0;
}

/* NAME with BITS, and each level above it with ABOVE. */
static int tree_add(struct tree *t, const char *name, unsigned bits,
	unsigned above)
{
	const char *s;

	for (s = strchr(name, '/'); s; s = strchr(s + 1, '/'))
		if (tree_add1(t, name, (size_t)(s - name), above) < 0)
			return -1;
	return tree_add1(t, name, strlen(name), bits);
}

static void tree_free(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static int is_below(const char *child, const char *parent)
{
	size_t n = strlen(parent);

	return strncmp(child, parent, n) == 0 && child[n] == '/';
}

/* Sorts, merges duplicates, keeps the first FOLDER_LIST_MAX, and marks
 * which have inferiors. */
static void tree_sort(struct tree *t)
{
	size_t i, j;

	tree_merge(t);
	if (t->n > FOLDER_LIST_MAX) {
		for (i = FOLDER_LIST_MAX; i < t->n; i++)
			free(t->v[i].name);
		t->n = FOLDER_LIST_MAX;
		t->cut = 1;
	}
	for (i = 0; i < t->n; i++)
		for (j = i + 1; j < t->n && is_below(t->v[j].name,
				t->v[i].name); j++) {
			if (t->v[j].bits & B_TREE)
				t->v[i].bits |= B_CHILD;
			if (t->v[j].bits & B_SUB)
				t->v[i].bits |= B_SUBCHILD;
		}
}

/* Whether the on-disk entry NAME (a level, mUTF-7) may be a folder's
 * level; appends it to the name being built at NAME_BUF[*LEN]. */
static int name_push(struct folder_store *fs, char *buf, size_t *len,
	const char *ent, size_t n)
{
	size_t l = *len;

	if (l + (l ? 1 : 0) + n > FOLDER_NAME_MAX)
		return -1;
	if (l)
		buf[l++] = '/';
	memcpy(buf + l, ent, n);
	buf[l + n] = 0;
	if (check_name(NULL, fs->kind, buf, l + n) < 0) {
		buf[*len] = 0;
		return -1;
	}
	*len = l + n;
	return 0;
}

/* mbox: the folder directory DFD, its folders' names under NAME. */
static int walk_mbox(struct tree *t, int dfd, char *name, size_t len,
	int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	struct stat st;
	int rc = 0;

	if (!d) {
		close(dfd);
		return 0;
	}
	while (!t->cut && (de = readdir(d))) {
		const char *e = de->d_name;

		/* a root full of other files (a home) costs bounded work */
		if (++t->seen > 4 * FOLDER_LIST_MAX) {
			t->cut = 1;
			break;
		}
		size_t n = strlen(e), nl = len;
		int fd;

		if (e[0] == '.' || (n >= 5 && strcmp(e + n - 5, ".lock") == 0))
			continue;
		if (fstatat(dirfd(d), e, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* a top-level "INBOX" directory holds INBOX's inferiors;
		 * "inbox" in any other case, or the inbox file, is no
		 * folder */
		if (!len && is_inbox(e, n) && (strcmp(e, "INBOX") != 0 ||
		    !S_ISDIR(st.st_mode)))
			continue;
		if (st.st_dev == t->inbox_dev && st.st_ino == t->inbox_ino)
			continue;
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		if (name_push(t->fs, name, &nl, e, n) < 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			if (tree_add1(t, name, nl, B_SEL | B_FILE | B_TREE) < 0)
				rc = -1;
		} else {
			if (strcmp(name, "INBOX") != 0 && tree_add1(t, name,
					nl, B_DIR | B_TREE) < 0)
				rc = -1;
			if (rc == 0 && depth + 1 < FOLDER_DEPTH_MAX &&
			    (fd = openat(dirfd(d), e, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC)) >= 0)
				rc = walk_mbox(t, fd, name, nl, depth + 1);
		}
		name[len] = 0;
		if (rc < 0)
			break;
	}
	closedir(d);
	return rc;
}

/* Maildir++: the name of the folder directory ENT (".a%2Eb.c") into NAME
 * (FOLDER_NAME_MAX + 1 bytes), checked; -1 when it is no folder. */
static int maildir_name(struct folder_store *fs, const char *ent,
	char *name)
{
	size_t o = 0;
	const char *s;

	if (ent[0] != '.' || !ent[1] || ent[1] == '.')
		return -1;
	for (s = ent + 1; *s; s++) {
		if (o >= FOLDER_NAME_MAX)
			return -1;
		if (*s == '.') {
			name[o++] = '/';
		} else if (*s == '%') {
			if (s[1] != '2' || (s[2] != 'E' && s[2] != 'e'))
				return -1;
			name[o++] = '.';
			s += 2;
		} else {
			name[o++] = *s;
		}
	}
	name[o] = 0;
	if (check_name(NULL, LOCAL_MAILDIR, name, o) < 0)
		return -1;
	/* ".INBOX" is not the inbox, ".inbox.x" not INBOX/x: neither is
	 * reachable by its name */
	if (strncasecmp(name, "INBOX", 5) == 0 && (!name[5] ||
	    name[5] == '/') && (!name[5] || strncmp(ent + 1, "INBOX", 5)))
		return -1;
	return 0;
}

static int walk_maildir(struct tree *t)
{
	char name[FOLDER_NAME_MAX + 1];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (!(d = opendir(t->fs->root)))
		return errno == ENOENT ? 0 : -1;
	while (!t->cut && (de = readdir(d))) {
		if (++t->seen > 4 * FOLDER_LIST_MAX) {
			t->cut = 1;
			break;
		}
		if (maildir_name(t->fs, de->d_name, name) < 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if ((rc = tree_add(t, name, B_SEL | B_TREE, B_TREE)) < 0)
			break;
	}
	closedir(d);
	return rc;
}

/* --- subscriptions ------------------------------------------------------ */

static int subs_path(struct folder_store *fs, char *dst, size_t max)
{
	int n = snprintf(dst, max, "%s/%s", fs->root,
		fs->kind == LOCAL_MBOX ? ".subscriptions" : "subscriptions");

	if (n < 0 || (size_t)n >= max)
		return fail(fs, ENAMETOOLONG, "subscriptions path too long");
	return 0;
}

/* Calls EACH(ARG, canonical name) for every valid name in the
 * subscriptions file (none when it does not exist).  A first line
 * "V\t..." (Dovecot's version header) and the blank line after it are
 * skipped, and a '\t' is read as '/'. */
static int subs_read(struct folder_store *fs,
	int (*each)(void *arg, const char *name), void *arg)
{
	char path[4096], name[FOLDER_NAME_MAX + 1], *p, *s, *nl;
	size_t n, count = 0;
	int rc = 0;

	if (subs_path(fs, path, sizeof path) < 0)
		return -1;
	if (file_read_all(path, SUBS_FILE_MAX, &p, &n) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	}
	s = p;
	if (strncmp(s, "V\t", 2) == 0) {
		s = strchr(s, '\n');
		s = s ? s + 1 : p + n;
	}
	for (; s < p + n && count < FOLDER_LIST_MAX; s = nl + 1) {
		char *q;

		if (!(nl = memchr(s, '\n', (size_t)(p + n - s))))
			nl = p + n;
		*nl = 0;
		if (nl > s && nl[-1] == '\r')
			nl[-1] = 0;
		for (q = s; *q; q++)
			if (*q == '\t')
				*q = '/';
		if (!*s || (size_t)(nl - s) > FOLDER_NAME_MAX)
			continue;
		memcpy(name, s, (size_t)(nl - s) + 1);
		if (check_name(NULL, fs->kind, name, strlen(name)) < 0)
			continue;
		count++;
		if ((rc = each(arg, name)) < 0)
			break;
	}
	free(p);
	return rc;
}

static int subs_to_tree(void *arg, const char *name)
{
	return tree_add(arg, name, B_SUB, B_SUBTREE);
}

/* --- LIST ---------------------------------------------------------------- */

static unsigned node_attrs(struct folder_store *fs, const struct node *v)
{
	unsigned a = 0, b = v->bits;
	int i;

	if (!(b & (B_SEL | B_DIR)))
		a |= FOLDER_NOSELECT | FOLDER_NONEXISTENT;
	if (b & B_DIR)
		a |= FOLDER_NOSELECT;
	if ((b & B_FILE) && !(b & B_CHILD))
		a |= FOLDER_NOINFERIORS;
	else if (b & B_CHILD)
		a |= FOLDER_HASCHILDREN;
	else if (b & (B_SEL | B_DIR))
		a |= FOLDER_HASNOCHILDREN;
	if (b & B_SUB)
		a |= FOLDER_SUBSCRIBED;
	if (b & B_SUBCHILD)
		a |= FOLDER_CHILD_SUBSCRIBED;
	for (i = 0; i < FOLDER_USES; i++)
		if (fs->special[i][0] && strcmp(fs->special[i], v->name) == 0)
			a |= FOLDER_DRAFTS << i;
	return a;
}

int folder_list(struct folder_store *fs, const char *ref,
	const char *pattern, unsigned flags,
	int (*cb)(void *arg, const char *name, unsigned attrs), void *arg)
{
	char *full, name[FOLDER_NAME_MAX + 1];
	struct tree t;
	struct stat st;
	size_t i, j, rl, pl;
	int count = 0, rc = 0, fd;

	fs->err[0] = 0;
	if (!*pattern)
		return 0;
	/* RFC 3501 6.3.8: a pattern starting with the separator is not
	 * relative to the reference */
	if (pattern[0] == '/')
		ref = "";
	rl = strlen(ref);
	pl = strlen(pattern);
	if (rl + pl > FOLDER_PATTERN_MAX)
		return fail(fs, EINVAL, "reference and pattern over %d bytes",
			FOLDER_PATTERN_MAX);
	if (!(full = malloc(rl + pl + 1)))
		return fail(fs, ENOMEM, "out of memory");
	memcpy(full, ref, rl);
	memcpy(full + rl, pattern, pl + 1);

	memset(&t, 0, sizeof t);
	t.fs = fs;
	if (stat(fs->inbox, &st) == 0) {
		t.inbox_dev = st.st_dev;
		t.inbox_ino = st.st_ino;
	}
	if (tree_add(&t, "INBOX", B_SEL | B_TREE, B_TREE) < 0)
		goto nomem;
	if (fs->kind == LOCAL_MBOX) {
		name[0] = 0;
		fd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && walk_mbox(&t, fd, name, 0, 0) < 0)
			goto nomem;
	} else if (walk_maildir(&t) < 0) {
		goto nomem;
	}
	if (subs_read(fs, subs_to_tree, &t) < 0) {
		if (errno == ENOMEM)
			goto nomem;
		/* an unreadable list: folders still listed, none marked */
	}
	tree_sort(&t);
	for (i = 0; i < t.n && rc == 0; i++) {
		struct node *v = &t.v[i];
		unsigned a, b = v->bits;

		if (!folder_match(full, v->name))
			continue;
		a = node_attrs(fs, v);
		if (flags & FOLDER_LIST_LSUB) {
			if (!(b & B_SUB)) {
				if (!(b & B_SUBCHILD))
					continue;
				/* RFC 3501 6.3.9: the level is given when
				 * none of the subscribed below match */
				for (j = i + 1; j < t.n && is_below(t.v[j].name,
						v->name); j++)
					if ((t.v[j].bits & B_SUB) &&
					    folder_match(full, t.v[j].name))
						break;
				if (j < t.n && is_below(t.v[j].name, v->name))
					continue;
				a |= FOLDER_NOSELECT;
			}
		} else if (flags & FOLDER_LIST_SUBSCRIBED) {
			if (!(b & B_SUB) && !((flags & FOLDER_LIST_RECURSIVE) &&
			    (b & B_SUBCHILD)))
				continue;
		} else if (!(b & B_TREE)) {
			continue;
		}
		if (cb(arg, v->name, a) < 0)
			rc = -1;
		else
			count++;
	}
	if (t.cut)
		snprintf(fs->err, sizeof fs->err, "more than %d folders: the "
			"rest left out", FOLDER_LIST_MAX);
	tree_free(&t);
	free(full);
	return rc < 0 ? -1 : count;
nomem:
	tree_free(&t);
	free(full);
	return fail(fs, errno ? errno : ENOMEM, "cannot list the folders: %s",
		strerror(errno ? errno : ENOMEM));
}

/* --- CREATE -------------------------------------------------------------- */

/* mbox: the directory PATH as a level that holds folders: made (0700)
 * when missing; ENOTDIR when it is a file, ELOOP a link. */
static int mbox_level(struct folder_store *fs, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		if (S_ISLNK(st.st_mode))
			return fail(fs, ELOOP, "a symbolic link in the folder "
				"tree: %s", path);
		return fail(fs, ENOTDIR, "%s is a folder of messages: it "
			"cannot hold folders (\\NoInferiors)", path);
	}
	if (errno != ENOENT)
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	return 0;
}

/* Maildir: make the Maildir PATH of a folder: EEXIST when it is there. */
static int maildir_new(struct folder_store *fs, const char *path,
	int excl)
{
	char f[4200];
	int fd;

	if (mkdir(path, 0700) < 0) {
		if (errno != EEXIST || excl)
			return fail(fs, errno, errno == EEXIST ? "the folder "
				"exists" : "%s: %s", path, strerror(errno));
	}
	if (maildir_make(path) < 0)
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	/* Maildir++: marks a folder below the Maildir (Courier, maildrop) */
	snprintf(f, sizeof f, "%s/maildirfolder", path);
	if ((fd = open(f, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			0600)) >= 0)
		close(fd);
	file_fsync_dir(path, 0);
	return 0;
}

/* The levels above canonical NAME made where missing. */
static int make_above(struct folder_store *fs, const char *name)
{
	char path[4096], level[FOLDER_NAME_MAX + 1];
	const char *s;
	struct stat st;

	if (fs->kind == LOCAL_MBOX && mbox_level(fs, fs->root) < 0)
		return -1;
	for (s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		memcpy(level, name, (size_t)(s - name));
		level[s - name] = 0;
		if (fs->kind == LOCAL_MAILDIR && strcmp(level, "INBOX") == 0)
			continue;	/* the Maildir itself */
		/* mbox: INBOX's inferiors are in ROOT/INBOX */
		if (fs->kind == LOCAL_MBOX ? snprintf(path, sizeof path,
				"%s/%s", fs->root, level) >= (int)sizeof path :
				name_path(fs, level, path, sizeof path) < 0)
			return fail(fs, ENAMETOOLONG, "folder path too long");
		if (fs->kind == LOCAL_MBOX) {
			if (mbox_level(fs, path) < 0)
				return -1;
			continue;
		}
		if (lstat(path, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return fail(fs, ENOTDIR, "%s: not a folder",
					path);
			continue;
		}
		if (maildir_new(fs, path, 0) < 0)
			return -1;
	}
	return 0;
}

/* CREATE of canonical NAME; DIR: an mbox level meant for folders. */
static int create_canon(struct folder_store *fs, const char *name, int dir)
{
	char path[4096];
	struct stat st;
	int fd;

	if (strcmp(name, "INBOX") == 0)
		return fail(fs, EEXIST, "INBOX always exists");
	if (name_path(fs, name, path, sizeof path) < 0 ||
	    check_links(fs, name) < 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (fs->kind == LOCAL_MBOX && S_ISDIR(st.st_mode) && !dir)
			return fail(fs, EEXIST, "the folder exists, holding "
				"folders (\\Noselect): an mbox folder holds "
				"messages or folders, not both");
		return fail(fs, EEXIST, "the folder exists");
	}
	if (make_above(fs, name) < 0)
		return -1;
	if (fs->kind == LOCAL_MAILDIR)
		return maildir_new(fs, path, 1);
	if (dir) {
		if (mkdir(path, 0700) < 0)
			return fail(fs, errno, errno == EEXIST ? "the folder "
				"exists" : "%s: %s", path, strerror(errno));
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, 0600);
		if (fd < 0)
			return fail(fs, errno, errno == EEXIST ? "the folder "
				"exists" : "%s: %s", path, strerror(errno));
		close(fd);
	}
	file_fsync_dir(path, 0);
	return 0;
}

int folder_create(struct folder_store *fs, const char *name)
{
	char canon[FOLDER_NAME_MAX + 1];
	size_t n = strlen(name);

	if (folder_canon(fs, name, 1, canon, sizeof canon) < 0)
		return -1;
	/* RFC 3501 6.3.3: a trailing separator says the name will hold
	 * folders */
	return create_canon(fs, canon, n > 1 && name[n - 1] == '/');
}

/* --- DELETE -------------------------------------------------------------- */

/* Removes NAME in the folder DFD and all below it, never following a
 * link, at most RM_DEPTH_MAX deep.  0 or -1 with errno. */
static int rm_at(int dfd, const char *name, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (depth >= RM_DEPTH_MAX) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd)))
		return file_close_fail(fd);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_at(dirfd(d), de->d_name, depth + 1) < 0)
			rc = -1;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		rc = -1;
	return rc;
}

/* The mbox state files of the mbox PATH ("uidlist", "rewrite",
 * "pop3-login"): removed (TO NULL) or moved beside TO. */
static const char *const state_files[] = { "uidlist", "rewrite",
	"pop3-login" };

static void mbox_state_move(const char *path, const char *to)
{
	char a[4096], b[4096];
	size_t i;

	for (i = 0; i < sizeof state_files / sizeof *state_files; i++) {
		if (mailbox_state_path(path, LOCAL_MBOX, state_files[i], a,
				sizeof a) < 0)
			continue;
		if (!to)
			unlink(a);
		else if (mailbox_state_path(to, LOCAL_MBOX, state_files[i],
				b, sizeof b) == 0)
			rename(a, b);
	}
}

/* mbox: the directory PATH, which holds no folder, removed with its dot
 * files; ENOTEMPTY when something else is in it. */
static int mbox_rmdir(struct folder_store *fs, const char *path)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (!(d = opendir(path)))
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.') {
			closedir(d);
			return fail(fs, ENOTEMPTY, "the folder has inferiors "
				"and holds no messages (\\Noselect)");
		}
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    rm_at(dirfd(d), de->d_name, 0) < 0)
			rc = -1;
	closedir(d);
	if (rc < 0 || rmdir(path) < 0)
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	file_fsync_dir(path, 0);
	return 0;
}

/* Maildir: whether canonical NAME has inferiors on disk. */
static int maildir_has_below(struct folder_store *fs, const char *name)
{
	char dn[512];
	struct dirent *de;
	size_t n;
	DIR *d;
	int found = 0;

	if (maildir_dirname(fs, name, dn, sizeof dn) < 0 ||
	    !(d = opendir(fs->root)))
		return 0;
	n = strlen(dn);
	while (!found && (de = readdir(d)))
		found = strncmp(de->d_name, dn, n) == 0 &&
			de->d_name[n] == '.';
	closedir(d);
	return found;
}

/* Maildir: removes the folder directory PATH (DN in the root): renamed
 * out of sight first, so that no one sees it half gone. */
static int maildir_rm(struct folder_store *fs, const char *dn)
{
	static unsigned count;
	char gone[64];
	int rfd, rc;

	if ((rfd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(fs, errno, "%s: %s", fs->root, strerror(errno));
	snprintf(gone, sizeof gone, "..deleted.%ld.%ld.%u", (long)getpid(),
		(long)time(NULL), count++);
	if (renameat(rfd, dn, rfd, gone) < 0) {
		int e = errno;

		close(rfd);
		return fail(fs, e, e == ENOENT ? "no such folder" :
			"%s/%s: %s", fs->root, dn, strerror(e));
	}
	fsync(rfd);
	rc = rm_at(rfd, gone, 0);
	close(rfd);
	/* what could not be removed stays under a name never listed */
	if (rc < 0)
		return fail(fs, errno, "%s/%s: removed in part: %s", fs->root,
			gone, strerror(errno));
	return 0;
}

int folder_delete(struct folder_store *fs, const char *name)
{
	char canon[FOLDER_NAME_MAX + 1], path[4096], dn[512];
	struct stat st;

	if (folder_canon(fs, name, 0, canon, sizeof canon) < 0)
		return -1;
	if (strcmp(canon, "INBOX") == 0)
		return fail(fs, EPERM, "INBOX cannot be deleted");
	if (name_path(fs, canon, path, sizeof path) < 0 ||
	    check_links(fs, canon) < 0)
		return -1;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return fail(fs, errno, "%s: %s", path, strerror(errno));
		/* RFC 3501 6.3.4: a \Noselect name with inferiors */
		if (fs->kind == LOCAL_MAILDIR && maildir_has_below(fs, canon))
			return fail(fs, ENOTEMPTY, "the folder has inferiors "
				"and holds no messages (\\Noselect)");
		return fail(fs, ENOENT, "no such folder");
	}
	if (fs->kind == LOCAL_MAILDIR) {
		if (!S_ISDIR(st.st_mode))
			return fail(fs, EINVAL, "%s: not a folder", path);
		if (maildir_dirname(fs, canon, dn, sizeof dn) < 0)
			return -1;
		return maildir_rm(fs, dn);
	}
	if (S_ISDIR(st.st_mode))
		return mbox_rmdir(fs, path);
	if (!S_ISREG(st.st_mode))
		return fail(fs, EINVAL, "%s: not a folder", path);
	if (unlink(path) < 0)
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	mbox_state_move(path, NULL);
	file_fsync_dir(path, 0);
	return 0;
}

/* --- subscriptions, written --------------------------------------------- */

struct subs_edit {
	struct buf out;
	const char *name;	/* subscribe/unsubscribe this */
	const char *from, *to;	/* or rename FROM (and below) to TO */
	int on, found;
	size_t count;
};

static int subs_keep(void *arg, const char *name)
{
	struct subs_edit *e = arg;
	char moved[FOLDER_NAME_MAX + 2];
	size_t fl;

	if (e->name && strcmp(name, e->name) == 0) {
		e->found = 1;
		if (!e->on)
			return 0;
	}
	if (e->from) {
		fl = strlen(e->from);
		if (strcmp(name, e->from) == 0 || is_below(name, e->from)) {
			e->found = 1;
			if (snprintf(moved, sizeof moved, "%s%s", e->to,
					name + fl) > FOLDER_NAME_MAX)
				return 0;	/* too long now: dropped */
			name = moved;
		}
	}
	if (e->count >= FOLDER_LIST_MAX)
		return 0;
	e->count++;
	if (buf_adds(&e->out, name) < 0 || buf_addc(&e->out, '\n') < 0)
		return -1;
	return 0;
}

/* Rewrites the subscriptions file through E, under its dotlock. */
static int subs_edit(struct folder_store *fs, struct subs_edit *e)
{
	char path[4096];
	struct file_atomic a;
	int rc = -1, locked;

	if (subs_path(fs, path, sizeof path) < 0)
		return -1;
	if (fs->kind == LOCAL_MBOX && mbox_level(fs, fs->root) < 0)
		return -1;
	/* a root where no lock can be made: as mbox_lock, go on without */
	if (!(locked = file_dotlock(path, 10) == 0) && errno != EACCES)
		return fail(fs, errno, "%s.lock: %s", path, strerror(errno));
	buf_init(&e->out, SUBS_FILE_MAX);
	if (subs_read(fs, subs_keep, e) < 0) {
		fail(fs, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (e->name && e->on && !e->found && (e->count >= FOLDER_LIST_MAX ||
	    buf_adds(&e->out, e->name) < 0 ||
	    buf_addc(&e->out, '\n') < 0)) {
		fail(fs, ENOSPC, "too many subscriptions");
		goto out;
	}
	if (e->name ? e->found == e->on : !e->found) {
		rc = 0;			/* nothing changes */
		goto out;
	}
	if (file_atomic_open(&a, path, 0600) < 0) {
		fail(fs, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (file_write_all(a.fd, e->out.p, e->out.len) < 0) {
		fail(fs, errno, "%s: %s", path, strerror(errno));
		file_atomic_abort(&a);
		goto out;
	}
	if (file_atomic_commit(&a) < 0) {
		fail(fs, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_free(&e->out);
	if (locked)
		file_dotunlock(path);
	return rc;
}

int folder_subscribe(struct folder_store *fs, const char *name, int on)
{
	char canon[FOLDER_NAME_MAX + 1];
	struct subs_edit e;

	if (folder_canon(fs, name, 0, canon, sizeof canon) < 0)
		return -1;
	memset(&e, 0, sizeof e);
	e.name = canon;
	e.on = on;
	return subs_edit(fs, &e);
}

/* --- RENAME -------------------------------------------------------------- */

/* Parses the date of the From_ line "From SENDER Www Mmm dd hh:mm:ss yyyy"
 * (LINE) into *WHEN (local time, as it was written) and SENDER into DST
 * (MAX bytes); what cannot be read is "now" and "MAILER-DAEMON". */
static void from_line_parse(const char *line, char *dst, size_t max,
	time_t *when)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *s = line + 5, *e;
	struct tm tm;
	char m[4];
	int i, n = 0;
	time_t t;

	*when = time(NULL);
	str_lcpy(dst, "MAILER-DAEMON", max);
	if (strncmp(line, "From ", 5) != 0)
		return;
	for (e = s; *e && *e != ' '; e++)
		;
	if (e > s && (size_t)(e - s) < max) {
		memcpy(dst, s, (size_t)(e - s));
		dst[e - s] = 0;
	}
	memset(&tm, 0, sizeof tm);
	if (sscanf(e, " %*3s %3s %d %d:%d:%d %d%n", m, &tm.tm_mday,
			&tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tm.tm_year,
			&n) < 6 || !n)
		return;
	for (i = 0; i < 12 && strncmp(mon + 3 * i, m, 3); i++)
		;
	if (i == 12 || tm.tm_year < 1970 || tm.tm_year > 9999)
		return;
	tm.tm_mon = i;
	tm.tm_year -= 1900;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) != (time_t)-1)
		*when = t;
}

/* The Maildir info letters of FLAGS (":2,DFRST"), "" when none. */
static void maildir_info(unsigned flags, char *dst)
{
	char *o = dst;

	if (flags & (MAILBOX_DRAFT | MAILBOX_FLAGGED | MAILBOX_ANSWERED |
			MAILBOX_SEEN | MAILBOX_TRASHED | MAILBOX_OLD)) {
		memcpy(o, ":2,", 3);
		o += 3;
		if (flags & MAILBOX_DRAFT)
			*o++ = 'D';
		if (flags & MAILBOX_FLAGGED)
			*o++ = 'F';
		if (flags & MAILBOX_ANSWERED)
			*o++ = 'R';
		if (flags & MAILBOX_SEEN)
			*o++ = 'S';
		if (flags & MAILBOX_TRASHED)
			*o++ = 'T';
	}
	*o = 0;
}

/* Copies message I of MB into the folder at PATH: for an mbox through M
 * (open), for a Maildir delivered, then moved to cur/ with its flags. */
static int copy_msg(struct folder_store *fs, struct mailbox *mb, size_t i,
	struct mbox_append *m, const char *path, struct mailbox_reader *r)
{
	struct maildir_deliver d;
	char line[1024], sender[512], name[MAILDIR_NAME_MAX], info[16];
	char a[4400], b[4400];
	time_t when;
	ssize_t k;

	if (mailbox_msg_open(mb, i, r) < 0) {
		/* removed behind our back: nothing to move */
		if (errno == ENOENT)
			return 0;
		return fail(fs, errno, "INBOX message %zu: %s", i + 1,
			strerror(errno));
	}
	/* Maildir: a message file never changes, so a second link to it in
	 * the new folder is the copy, flags and all (the folders' new/ and
	 * cur/ are synced once at the end); copied when that fails */
	if (fs->kind == LOCAL_MAILDIR && mb->msg[i].name &&
	    snprintf(a, sizeof a, "%s/%s", mb->path, mb->msg[i].name) <
	    (int)sizeof a && snprintf(b, sizeof b, "%s/%s", path,
	    mb->msg[i].name) < (int)sizeof b && link(a, b) == 0) {
		mailbox_msg_close(r);
		return 0;
	}
	if (fs->kind == LOCAL_MBOX) {
		if (mailbox_from_line(mb, i, line, sizeof line) < 0)
			line[0] = 0;
		from_line_parse(line, sender, sizeof sender, &when);
		if (mbox_append_from(m, sender, when) < 0)
			goto fail;
	} else if (maildir_deliver_open(&d, path) < 0) {
		goto fail;
	}
	for (;;) {
		char chunk[8192];

		k = mailbox_msg_read(r, chunk, sizeof chunk);
		if (k < 0)
			goto fail_d;
		if (k == 0)
			break;
		if (fs->kind == LOCAL_MBOX ? mbox_append_write(m, chunk,
				(size_t)k) < 0 : maildir_deliver_write(&d,
				chunk, (size_t)k) < 0)
			goto fail_d;
	}
	mailbox_msg_close(r);
	if (fs->kind == LOCAL_MBOX)
		return mbox_append_end(m) < 0 ? fail(fs, errno, "%s: %s",
			path, strerror(errno)) : 0;
	if (maildir_deliver_commit(&d, name, sizeof name) < 0)
		return fail(fs, errno, "%s: %s", path, strerror(errno));
	/* the flags: into cur/ with them, as the message was */
	maildir_info(mb->msg[i].flags, info);
	if (info[0]) {
		snprintf(a, sizeof a, "%s/new/%s", path, name);
		snprintf(b, sizeof b, "%s/cur/%s%s", path, name, info);
		if (rename(a, b) < 0)
			return fail(fs, errno, "%s: %s", b, strerror(errno));
	}
	return 0;
fail_d:
	if (fs->kind == LOCAL_MAILDIR)
		maildir_deliver_abort(&d);
fail:
	{
		int e = errno;

		mailbox_msg_close(r);
		return fail(fs, e, "%s: %s", path, strerror(e));
	}
}

/* RENAME INBOX NEW: NEW made, INBOX's messages copied into it, then
 * removed from INBOX by mailbox_commit, all under INBOX's session lock;
 * NEW removed again when anything fails. */
static int rename_inbox(struct folder_store *fs, const char *new)
{
	struct mailbox *mb;
	struct mailbox_reader *r;
	struct mbox_append m;
	char path[4096], err[MAILBOX_ERR_MAX];
	size_t i;
	int rc = -1, e;

	if (name_path(fs, new, path, sizeof path) < 0)
		return -1;
	if (!(mb = calloc(1, sizeof *mb)) || !(r = malloc(sizeof *r))) {
		free(mb);
		return fail(fs, ENOMEM, "out of memory");
	}
	m.fd = -1;
	if (mailbox_open(mb, fs->inbox, fs->kind, 0, err, sizeof err) < 0) {
		e = errno;
		free(mb);
		free(r);
		return fail(fs, e, "INBOX: %s", err);
	}
	if (create_canon(fs, new, 0) < 0) {
		mailbox_close(mb);
		goto out;
	}
	if (fs->kind == LOCAL_MBOX && mbox_append_open(&m, path, geteuid(),
			MBOX_OWNER) < 0) {
		fail(fs, errno, "%s: %s", path, strerror(errno));
		goto undo;
	}
	for (i = 0; i < mb->n; i++)
		if (copy_msg(fs, mb, i, &m, path, r) < 0)
			goto undo;
	if (fs->kind == LOCAL_MBOX && mbox_append_commit(&m) < 0) {
		fail(fs, errno, "%s: %s", path, strerror(errno));
		goto undo;
	}
	if (fs->kind == LOCAL_MAILDIR) {
		char d[4200];

		snprintf(d, sizeof d, "%s/new", path);
		file_fsync_dir(d, 1);
		snprintf(d, sizeof d, "%s/cur", path);
		file_fsync_dir(d, 1);
	}
	/* now in both; the commit takes them out of INBOX (what arrived
	 * meanwhile stays there) */
	for (i = 0; i < mb->n; i++)
		mb->msg[i].flags |= MAILBOX_DELETED;
	if (mailbox_commit(mb, err, sizeof err) < 0) {
		e = errno;
		fail(fs, e, "INBOX: %s", err);
		/* as it was: INBOX unchanged, the copies go */
		folder_delete(fs, new);
		fail(fs, e, "INBOX: %s", err);
		goto out;
	}
	rc = 0;
	goto out;
undo:
	e = errno;
	mbox_append_abort(&m);
	mailbox_close(mb);
	{
		char keep[FOLDER_ERR_MAX];

		str_lcpy(keep, fs->err, sizeof keep);
		folder_delete(fs, new);
		str_lcpy(fs->err, keep, sizeof fs->err);
	}
	errno = e;
out:
	free(mb);
	free(r);
	return rc;
}

struct move {
	char from[512], to[512];
};

int folder_rename(struct folder_store *fs, const char *old, const char *new)
{
	char from[FOLDER_NAME_MAX + 1], to[FOLDER_NAME_MAX + 1];
	char a[4096], b[4096], dn[512], tn[512];
	struct move *mv = NULL;
	struct dirent *de;
	struct stat st;
	struct subs_edit se;
	size_t n = 0, i, dl;
	DIR *d;
	int rc = -1;

	if (folder_canon(fs, old, 0, from, sizeof from) < 0 ||
	    folder_canon(fs, new, 0, to, sizeof to) < 0)
		return -1;
	if (strcmp(to, "INBOX") == 0 || strcmp(from, to) == 0)
		return fail(fs, EEXIST, "the folder %s exists", to);
	if (strcmp(from, "INBOX") && is_below(to, from))
		return fail(fs, EINVAL, "a folder cannot move below itself");
	if (check_links(fs, to) < 0)
		return -1;
	if (name_path(fs, to, b, sizeof b) < 0)
		return -1;
	if (lstat(b, &st) == 0)
		return fail(fs, EEXIST, "the folder %s exists", to);
	if (strcmp(from, "INBOX") == 0)
		return rename_inbox(fs, to);
	if (check_links(fs, from) < 0 || name_path(fs, from, a, sizeof a) < 0)
		return -1;

	if (fs->kind == LOCAL_MBOX) {
		if (lstat(a, &st) < 0)
			return fail(fs, errno, errno == ENOENT ?
				"no such folder" : "%s: %s", a,
				strerror(errno));
		if (make_above(fs, to) < 0)
			return -1;
		if (rename(a, b) < 0)
			return fail(fs, errno, "%s: %s", b, strerror(errno));
		if (S_ISREG(st.st_mode))
			mbox_state_move(a, b);
		file_fsync_dir(a, 0);
		file_fsync_dir(b, 0);
		rc = 0;
		goto subs;
	}

	/* Maildir++: the folder and each inferior, each its own directory */
	if (maildir_dirname(fs, from, dn, sizeof dn) < 0 ||
	    maildir_dirname(fs, to, tn, sizeof tn) < 0)
		return -1;
	dl = strlen(dn);
	if (!(d = opendir(fs->root)))
		return fail(fs, errno, "%s: %s", fs->root, strerror(errno));
	while ((de = readdir(d))) {
		struct move *m2;

		if (strncmp(de->d_name, dn, dl) != 0 ||
		    (de->d_name[dl] && de->d_name[dl] != '.'))
			continue;
		if (n >= FOLDER_LIST_MAX) {
			fail(fs, E2BIG, "over %d folders to rename",
				FOLDER_LIST_MAX);
			goto out;
		}
		if (!(m2 = realloc(mv, (n + 1) * sizeof *mv))) {
			fail(fs, ENOMEM, "out of memory");
			goto out;
		}
		mv = m2;
		if (snprintf(mv[n].to, sizeof mv[n].to, "%s%s", tn,
				de->d_name + dl) > 255) {
			fail(fs, ENAMETOOLONG, "a new folder name is too long "
				"for the file system");
			goto out;
		}
		str_lcpy(mv[n].from, de->d_name, sizeof mv[n].from);
		if (fstatat(dirfd(d), mv[n].to, &st, AT_SYMLINK_NOFOLLOW)
				== 0) {
			fail(fs, EEXIST, "the folder %s exists", mv[n].to);
			goto out;
		}
		n++;
	}
	if (!n) {
		fail(fs, ENOENT, "no such folder");
		goto out;
	}
	if (make_above(fs, to) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (renameat(dirfd(d), mv[i].from, dirfd(d), mv[i].to) < 0) {
			fail(fs, errno, "%s/%s: %s (%zu of %zu levels moved)",
				fs->root, mv[i].to, strerror(errno), i, n);
			goto out;
		}
	}
	fsync(dirfd(d));
	rc = 0;
out:
	closedir(d);
	free(mv);
	if (rc < 0)
		return -1;
subs:
	/* the subscriptions move along; failing that, the folders are
	 * renamed all the same */
	memset(&se, 0, sizeof se);
	se.from = from;
	se.to = to;
	if (subs_edit(fs, &se) < 0)
		fs->err[0] = 0;
	return 0;
}

/* --- special use (RFC 6154) --------------------------------------------- */

int folder_special(struct folder_store *fs, const char *const names[5])
{
	char canon[FOLDER_NAME_MAX + 1], path[4096], keep[FOLDER_ERR_MAX];
	int i, rc = 0, e = 0;

	keep[0] = 0;
	for (i = 0; i < FOLDER_USES; i++) {
		fs->special[i][0] = 0;
		if (!names[i] || !*names[i])
			continue;
		if (folder_canon(fs, names[i], 0, canon, sizeof canon) < 0 ||
		    strcmp(canon, "INBOX") == 0) {
			if (!rc) {
				rc = -1;
				e = EINVAL;
				snprintf(keep, sizeof keep, "%.100s: %.150s",
					names[i],
					fs->err[0] ? fs->err : "INBOX");
			}
			continue;
		}
		str_lcpy(fs->special[i], canon, sizeof fs->special[i]);
		if (folder_path(fs, canon, path, sizeof path, NULL) == 0 ||
		    errno != ENOENT)
			continue;
		if (create_canon(fs, canon, 0) < 0) {
			if (errno != EEXIST && !rc) {
				rc = -1;
				e = errno;
				snprintf(keep, sizeof keep, "%.100s: %.150s",
					canon, fs->err);
			}
			continue;
		}
		/* made here: subscribed, or clients that show only
		 * subscribed folders (Thunderbird's default) never see it */
		folder_subscribe(fs, canon, 1);
	}
	if (rc < 0) {
		str_lcpy(fs->err, keep, sizeof fs->err);
		errno = e;
	}
	return rc;
}
