/*
 * makemap: sendmail's map builder, writing cdb (tinycdb) files.
 *
 *   makemap hash /etc/mail/access < /etc/mail/access
 *
 * reads "key value" lines on stdin and writes /etc/mail/access.db through
 * a temporary, fsync and rename, so a reader (smtpd) never sees half a map
 * and a failed run leaves the old map byte-identical.  Types hash, btree
 * and dbm all write cdb under sendmail's ".db" name; type cdb uses ".cdb",
 * as sendmail 8.17's own cdb support does.  -u dumps a map as
 * "key<TAB>value" lines, also maps made by tinycdb's "cdb -c".
 *
 * Messages and exit codes are those of sendmail 8.17's makemap (checked
 * against Debian's build): "makemap: MAP: line N: no RHS for LHS k",
 * "...: key k: duplicate key", "...: syntax error (leading space)",
 * "...: line too long (8191 bytes max)", "makemap: error opening type
 * hash map MAP: strerror"; -d with -r keeps every value, as there.
 * Differences, all on the side of not losing data: after a bad input line
 * (also a NUL byte or invalid UTF-8, which sendmail does not notice) no map
 * is written at all (sendmail writes the good lines), so the old one stays
 * byte-identical; a line of blanks is skipped and a trailing CR dropped;
 * keys are limited to 1022 bytes and lines to 8191 (sendmail: 1024).  CIDR
 * keys ("192.168.0.0/24"), which sendmail's access map never matches, draw
 * a warning.  -C, -c, -s are accepted and ignored (no TrustedUser checks,
 * no hash cache).  Exit codes (sysexits.h): 64 bad usage, 65 bad input,
 * 66 unreadable input, 73 the map cannot be opened or created (also an
 * unknown type and a missing map for -u, as sendmail), 74 a write failed
 * (disk full).
 */
//applet:makemap usr/sbin drop
//man:build a map for sendmail.cf from text
//man:makemap reads key and value lines on stdin and writes a cdb map under
//man:sendmail's name (access.db), through a temporary file and a rename.
//config:config MAKEMAP
//config:	bool "makemap: build cdb maps from text (sendmail's makemap)"
//config:	default y
//usage:usage: makemap [-C file] [-N] [-c size] [-D char] [-d] [-e] [-f]
//usage:	[-l] [-o] [-r] [-s] [-t delim] [-u] [-v] type name
//usage:
//usage:Reads "key value" lines on stdin and writes the cdb map name.db
//usage:(name.cdb for type cdb). Types: dbm hash btree cdb implicit (all cdb).
//usage:
//usage:-C file	sendmail.cf to read (accepted, ignored)
//usage:-N	include the trailing NUL in keys and values
//usage:-c size	hash cache size (accepted, ignored)
//usage:-D char	comment character (default #)
//usage:-d	allow duplicate keys (keep every value)
//usage:-e	allow empty values
//usage:-f	do not fold keys to lower case
//usage:-l	list the supported map types
//usage:-o	append to an existing map
//usage:-r	a duplicate key replaces the earlier value
//usage:-s	skip safety checks (accepted)
//usage:-t delim	key/value delimiter instead of white space
//usage:-u	dump the map as key<TAB>value lines
//usage:-v	print each key and value as it is added

#include "libmini.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct makemap {
	const char *type;	/* hash, btree, dbm, cdb */
	const char *name;	/* as given: names the input in messages */
	char path[FILE_PATH_MAX];	/* the map file */
	int nul, fold, empty, verbose, append;
	int sep;		/* -t, 0 = white space */
	int comment;		/* -D, '#' */
	int mkflags;		/* MAP_MAKE_* */
	unsigned long line;
	int errors;
};

static const char *const types[] = { "dbm", "hash", "btree", "cdb",
	"implicit" };

static int known_type(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(t, types[i]) == 0)
			return 1;
	return 0;
}

/* sendmail's naming: "access" -> "access.db", "cdb" maps "access.cdb";
 * a name with the extension stays (map_spec_k: the readers' rule). */
static void map_path(struct makemap *mm)
{
	struct map_spec *s = xzalloc(sizeof *s);
	char err[300];

	if (map_spec_k(s, mm->type, mm->name, "", 0, err, sizeof err) <= 0 ||
	    str_lcpy(mm->path, s->file, sizeof mm->path) >= sizeof mm->path)
		xdie(EX_USAGE, "%s: name too long", mm->name);
	free(s);
}

static void line_error(struct makemap *mm, const char *fmt, const char *arg)
{
	char buf[MAP_KEY_MAX];

	fprintf(stderr, "%s: %s: line %lu: ", applet_name, mm->name,
		mm->line);
	fprintf(stderr, fmt, str_shown(arg, buf, sizeof buf));
	fputc('\n', stderr);
	mm->errors++;
}

/* sendmail's access map compares octet prefixes (10.0.2), never CIDR
 * masks: "192.168.0.0/24" would silently match nothing. */
static void cidr_warn(struct makemap *mm, const char *key, size_t klen)
{
	const char *ip, *p;
	unsigned long bits;
	int octets = 0, dots = 0;
	char use[64], buf[MAP_KEY_MAX];

	if (!memchr(key, '/', klen))
		return;
	ip = strrchr(key, ':');
	ip = ip ? ip + 1 : key;
	for (p = ip; isdigit((unsigned char)*p) || *p == '.'; p++)
		dots += *p == '.';
	if (p == ip || *p != '/' || dots > 3 ||
			str_toul(p + 1, 32, &bits) < 0)
		return;
	if (bits % 8 == 0 && bits > 0) {
		/* The first bits/8 octets, with the tag kept. */
		octets = bits / 8;
		for (p = ip; *p != '/'; p++)
			if (*p == '.' && --octets == 0)
				break;
		snprintf(use, sizeof use, "use %.*s", (int)(p - key), key);
	} else
		str_lcpy(use, "list the octet prefixes it covers",
			sizeof use);
	fprintf(stderr, "%s: %s: line %lu: %s: sendmail access maps match "
		"octet prefixes, not CIDR; %s\n", applet_name, mm->name,
		mm->line, str_shown(key, buf, sizeof buf), str_shown(use, use,
		sizeof use));
}

/* One input line into the builder; errors counted in mm->errors. */
/* isspace() of the C locale, without a call per byte. */
static int is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* One pass, eight bytes at a time (a million-line map is read in well
 * under a second): 1 when the line has a NUL byte; *high when it has
 * bytes over 0x7f, which then must be checked as UTF-8. */
static int scan_line(const char *s, size_t n, int *high)
{
	const uint64_t ones = 0x0101010101010101ULL, tops = ones << 7;
	uint64_t w, acc = 0, zero = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
		zero |= (w - ones) & ~w & tops;	/* a zero byte in w */
	}
	for (; i < n; i++) {
		acc |= (unsigned char)s[i];
		zero |= !s[i];
	}
	*high = !!(acc & tops);
	return zero != 0;
}

static void add_line(struct makemap *mm, struct map_make *mk, char *s,
	size_t len)
{
	char *key, *val, *p;
	size_t klen, vlen;
	int r, high;

	if (scan_line(s, len, &high)) {
		line_error(mm, "NUL byte in input%s", "");
		return;
	}
	if (len && s[len - 1] == '\r')
		s[--len] = 0;
	if (*s == 0 || *s == mm->comment)
		return;
	if (*s == ' ' || *s == '\t') {
		if (s[strspn(s, " \t")] == 0)
			return;		/* blanks alone, unlike sendmail */
		line_error(mm, "syntax error (leading space)%s", "");
		return;
	}
	if (high && !str_utf8_valid(s, len)) {
		line_error(mm, "invalid UTF-8%s", "");
		return;
	}
	/* The key, folded on the way unless -f (before the checks:
	 * sendmail's messages show it folded). */
	key = s;
	if (mm->sep)
		for (p = s; *p && *p != mm->sep; p++)
			;
	else
		for (p = s; *p && !is_space(*p); p++)
			if (mm->fold && *p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
	klen = p - key;
	if (mm->sep && mm->fold)
		for (p = key; p < key + klen; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
	p = key + klen;
	if (*p)
		*p++ = 0;
	while (is_space(*p))
		p++;
	val = p;
	vlen = len - (val - s);
	if (klen + 2 > MAP_KEY_MAX) {
		line_error(mm, "key too long (%s bytes max)", "1022");
		return;
	}
	if (klen == 0) {
		line_error(mm, "no key%s", "");
		return;
	}
	if (vlen == 0 && !mm->empty) {
		line_error(mm, "no RHS for LHS %s", key);
		return;
	}
	cidr_warn(mm, key, klen);
	if (mm->verbose)
		printf("key=`%s', val=`%s'\n", key, val);
	/* -N: the terminating NUL belongs to the key and the value. */
	mk->tag = mm->line;
	r = map_make_add(mk, key, klen + mm->nul, val, vlen + mm->nul);
	if (r < 0)
		xdie_errno(EX_OSERR, "%s: line %lu", mm->name, mm->line);
}

/* A key that repeats an earlier one (found once all lines are in). */
static void dup_key(void *ctx, unsigned long tag, const char *key,
	size_t klen, int kind)
{
	struct makemap *mm = ctx;
	unsigned long line = mm->line;
	char k[MAP_KEY_MAX + 1];

	if (kind != 1)
		return;
	if (klen > MAP_KEY_MAX)
		klen = MAP_KEY_MAX;
	memcpy(k, key, klen);
	k[klen] = 0;		/* -N keys carry their NUL already */
	mm->line = tag;
	line_error(mm, "key %s: duplicate key", k);
	mm->line = line;
}

static int dump(struct makemap *mm)
{
	char err[FILE_PATH_MAX + 200];
	struct map m;
	unsigned pos;
	int r;

	if (map_open(&m, mm->path, 0, err, sizeof err) < 0) {
		if (errno == EPROTO)	/* Berkeley DB: say how to rebuild */
			xwarn("%s", err);
		else
			xwarn("error opening type %s map %s: %s", mm->type,
				mm->name, strerror(errno));
		return EX_CANTCREAT;
	}
	cdb_seqinit(&pos, &m.cdb);
	while ((r = cdb_seqnext(&pos, &m.cdb)) > 0) {
		const char *k = cdb_getkey(&m.cdb), *v = cdb_getdata(&m.cdb);
		unsigned kl = cdb_keylen(&m.cdb), vl = cdb_datalen(&m.cdb);

		if (!k || !v)
			break;
		/* sendmail prints "%.*s": text up to a NUL (the -N one). */
		fwrite(k, 1, strnlen(k, kl), stdout);
		putchar(mm->sep ? mm->sep : '\t');
		fwrite(v, 1, strnlen(v, vl), stdout);
		putchar('\n');
	}
	map_close(&m);
	if (r < 0) {
		xwarn("%s: damaged map", mm->path);
		return EX_DATAERR;
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		xdie_errno(EX_IOERR, "standard output");
	return 0;
}

static int build(struct makemap *mm)
{
	char err[FILE_PATH_MAX + 200], *line;
	struct map_text *in;
	struct map_make mk;
	struct stat st;
	mode_t mode = 0644;
	size_t len;
	int r, have = 0;

	map_make_init(&mk, mm->mkflags | MAP_MAKE_LATER);
	/* A rebuilt map keeps its mode and owner (root:smmsp 0640 on
	 * sendmail systems); a new one is 0644. */
	if (stat(mm->path, &st) == 0) {
		mode = st.st_mode & 07777;
		have = 1;
	}
	if (mm->append && map_make_load(&mk, mm->path, err, sizeof err) < 0
			&& errno != ENOENT) {
		if (errno == EPROTO)
			xwarn("%s", err);
		else
			xwarn("error opening type %s map %s: %s", mm->type,
				mm->name, strerror(errno));
		return EX_CANTCREAT;
	}
	in = xmalloc(sizeof *in);
	map_text_init(in, 0);
	while ((r = map_text_line(in, &line, &len)) != 0) {
		mm->line++;
		if (r > 0) {
			add_line(mm, &mk, line, len);
			continue;
		}
		if (errno == E2BIG) {
			line_error(mm, "line too long (%s bytes max)", "8191");
			continue;
		}
		line_error(mm, "read error: %s", strerror(errno));
		free(in);
		return EX_NOINPUT;
	}
	free(in);
	if (map_make_dups(&mk, dup_key, mm) < 0)
		xdie_errno(EX_OSERR, "%s", mm->name);
	if (mm->errors) {
		map_make_free(&mk);
		return EX_DATAERR;	/* the old map stays as it was */
	}
	if (map_make_write(&mk, mm->path, mode) < 0) {
		int e = errno;

		map_make_free(&mk);
		if (e == ENOSPC || e == EIO || e == EDQUOT || e == EFBIG ||
				e == E2BIG || e == ENOMEM) {
			xwarn("error writing type %s map %s: %s", mm->type,
				mm->name, strerror(e));
			return EX_IOERR;
		}
		xwarn("error opening type %s map %s: %s", mm->type,
			mm->name, strerror(e));
		return EX_CANTCREAT;
	}
	map_make_free(&mk);
	if (have && geteuid() == 0)
		chown(mm->path, st.st_uid, st.st_gid);
	return 0;
}

int makemap_main(int argc, char **argv)
{
	struct makemap mm;
	int c, list = 0, undump = 0;
	size_t i;

	memset(&mm, 0, sizeof mm);
	mm.fold = 1;
	mm.comment = '#';
	while ((c = getopt(argc, argv, "C:Nc:D:deflorst:uv")) != -1) {
		switch (c) {
		case 'C': case 'c': case 's':
			break;
		case 'N': mm.nul = 1; break;
		case 'D': mm.comment = (unsigned char)optarg[0]; break;
		case 'd': mm.mkflags |= MAP_MAKE_DUPS; break;
		case 'e': mm.empty = 1; break;
		case 'f': mm.fold = 0; break;
		case 'l': list = 1; break;
		case 'o': mm.append = 1; break;
		case 'r': mm.mkflags |= MAP_MAKE_REPLACE; break;
		case 't':
			if (!optarg[0] || optarg[1])
				applet_usage();
			mm.sep = (unsigned char)optarg[0];
			break;
		case 'u': undump = 1; break;
		case 'v': mm.verbose = 1; break;
		default: applet_usage();
		}
	}
	if (list) {
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			puts(types[i]);
		return 0;
	}
	if (argc - optind != 2)
		applet_usage();
	mm.type = argv[optind];
	mm.name = argv[optind + 1];
	if (!known_type(mm.type))
		xdie(EX_CANTCREAT, "error opening type %s map %s: Unknown "
			"database type", mm.type, mm.name);
	map_path(&mm);
	if (undump)
		return dump(&mm);
	c = build(&mm);
	if (fflush(stdout) == EOF && c == 0)
		c = EX_IOERR;
	return c;
}
