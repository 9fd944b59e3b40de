/*
 * newaliases: rebuild the aliases database (sendmail -bi).
 *
 * Reads each AliasFile of the sendmail.cf (-C FILE; /etc/mail/sendmail.cf)
 * in aliases(5) syntax:
 *
 *   # comment
 *   name: value, value        names fold to lower case; "quoted names"
 *       value                 a line starting with a blank continues
 *   staff: :include:/etc/mail/staff, "|/usr/bin/prog arg", /var/log/x
 *   owner-staff: root         error:5.1.1:550 gone  (values kept as written)
 *
 * and writes FILE.db, a cdb map stored as sendmail stores its alias
 * database: keys (lower case) and values with a trailing NUL, values as
 * written (continuation lines joined, their leading blanks kept), plus the
 * end marker key "@" with value "@".  The map is written through a
 * temporary, fsync and rename.  The summary line is sendmail's, on stdout:
 *   /etc/aliases: N aliases, longest L bytes, T bytes total
 * (L: the longest value; T: the sum of name and value lengths).
 *
 * Where the aliases are: AliasFile from the cf (several, comma-separated
 * or on several lines; a "hash:"/"btree:"/"dbm:" prefix is allowed,
 * "cdb:" writes FILE.cdb, other map types are skipped: map_spec_alias
 * names the file, for the readers too).  With no cf file
 * at all: /etc/mail/aliases (sendmail's compiled-in default on Debian),
 * or /etc/aliases when that does not exist.  -O AliasFile=PATH overrides.
 *
 * Errors are sendmail 8.17's (checked against Debian's build), as
 * "FILE: line N: message": "missing colon", "NAME... missing value for
 * alias", "Non-continuation line starts with space", "alias line too
 * long", "NAME... cannot alias non-local names", and the warning "NAME...
 * Warning: duplicate alias name name" (the later value wins).  Names are
 * stored as written (quotes kept, inner blanks kept), folded.  sendmail
 * builds the map without a bad entry and exits 70 (its syserr status);
 * newaliases reports every bad entry, also NUL bytes, invalid UTF-8 and
 * unbalanced quotes, which sendmail lets through, exits 70 too, and keeps
 * the old map byte-identical, so an edit that broke an alias never
 * silently drops it.  Errors go to stderr (sendmail: stdout).  Lines are
 * numbered from an entry's first line (sendmail: its last).  Limits: a
 * line and a joined entry 8191 bytes (sendmail's BUFSIZ), a name 1022.
 * Values are not parsed as addresses (sendmail's CheckAliases is off by
 * default).  Exit codes (sysexits.h): 64 usage, 66 an unreadable alias
 * file, 70 bad entries, 72 a missing -C file, 73 the map cannot be
 * created, 74 a write failed (disk full).
 */
//applet:newaliases usr/bin drop
//man:rebuild the aliases database
//man:newaliases reads each AliasFile of sendmail.cf and writes aliases.db
//man:(sendmail -bi does the same).
//config:config NEWALIASES
//config:	bool "newaliases: rebuild the aliases database (sendmail -bi)"
//config:	default y
//usage:usage: newaliases [-v] [-C file] [-O AliasFile=path] [-oApath]
//usage:
//usage:Rebuilds aliases.db (cdb) from the AliasFile of the sendmail.cf.
//usage:
//usage:-C file	sendmail.cf to read (default /etc/mail/sendmail.cf)
//usage:-O AliasFile=path	use this alias file instead (also -oApath)
//usage:-v	print each alias as it is stored

#include "libmini.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALIAS_VALUE_MAX	8192	/* sendmail's BUFSIZ for one joined entry */

struct newaliases {
	const char *file;		/* the alias file, as named */
	int verbose;
	unsigned long line;		/* physical line number */
	unsigned long entry_line;	/* first line of the current entry */
	int errors;
	unsigned long n, longest, bytes;	/* sendmail's statistics */
};

static void entry_error(struct newaliases *na, unsigned long line,
	const char *fmt, const char *arg)
{
	char buf[MAP_KEY_MAX];

	fprintf(stderr, "%s: line %lu: ", na->file, line);
	fprintf(stderr, fmt, str_shown(arg, buf, sizeof buf));
	fputc('\n', stderr);
	na->errors++;
}

/* The physical checks every line gets; 0 when fine. */
static int check_line(struct newaliases *na, char *s, size_t *len)
{
	if (memchr(s, 0, *len)) {
		entry_error(na, na->line, "NUL byte in input%s", "");
		return -1;
	}
	if (*len && s[*len - 1] == '\r')	/* edited on Windows */
		s[--*len] = 0;
	if (!str_utf8_valid(s, *len)) {
		entry_error(na, na->line, "invalid UTF-8%s", "");
		return -1;
	}
	return 0;
}

/* The name before the colon, as written (quotes kept, as sendmail keeps
 * them), trailing blanks cut, folded, into key.  END gets the position
 * after the colon.  0, or -1 after an error. */
static int parse_name(struct newaliases *na, char *s, char **end, char *key)
{
	char *p, *e;
	int quoted = 0, at = 0;
	size_t n;

	/* RFC 5322 3.4.1: a quoted local part may hold a colon */
	for (p = s; *p && (quoted || *p != ':'); p++) {
		if (*p == '\\' && quoted && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '@' && !quoted)
			at = 1;
		else if ((unsigned char)*p < ' ' && *p != '\t') {
			/* RFC 5322 3.2.3: no controls in a local part */
			entry_error(na, na->entry_line,
				"%.40s... illegal alias name", s);
			return -1;
		}
	}
	if (*p != ':') {
		entry_error(na, na->entry_line, "missing colon%s", "");
		return -1;
	}
	for (e = p; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	n = e - s;
	if (n == 0) {
		entry_error(na, na->entry_line, "%.40s... illegal alias name",
			s);
		return -1;
	}
	if (n >= MAP_KEY_MAX - 1) {
		entry_error(na, na->entry_line, "%.40s... alias name too long",
			s);
		return -1;
	}
	memcpy(key, s, n);
	key[n] = 0;
	if (at) {
		entry_error(na, na->entry_line,
			"%s... cannot alias non-local names", key);
		return -1;
	}
	*end = p + 1;
	return 0;
}

/* One joined entry "name: values" into the builder. */
static void add_entry(struct newaliases *na, struct map_make *mk, char *s)
{
	char key[MAP_KEY_MAX], *rhs, *p;
	size_t klen, vlen;
	int quoted = 0, r;

	if (parse_name(na, s, &rhs, key) < 0)
		return;
	while (isspace((unsigned char)*rhs))
		rhs++;
	if (!*rhs) {
		entry_error(na, na->entry_line,
			"%.40s... missing value for alias", s);
		return;
	}
	/* sendmail finds an unbalanced quote only when it delivers */
	for (p = rhs; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
	}
	if (quoted) {
		entry_error(na, na->entry_line, "%s... unbalanced '\"'", key);
		return;
	}
	klen = strlen(key);
	vlen = strlen(rhs);
	/* sendmail's alias database: keys folded, keys and values with
	 * their NUL */
	p = xstrdup(key);
	str_lower(key);
	if (na->verbose)
		printf("%s: %s\n", key, rhs);
	r = map_make_add(mk, key, klen + 1, rhs, vlen + 1);
	if (r < 0)
		xdie_errno(EX_OSERR, "%s: line %lu", na->file, na->entry_line);
	/* sendmail warns, and the later value wins */
	if (r == 2)
		fprintf(stderr, "%s: line %lu: %s... Warning: duplicate alias "
			"name %s\n", na->file, na->entry_line,
			str_shown(p, p, strlen(p) + 1),
			str_shown(key, key, sizeof key));
	free(p);
	na->n++;
	na->bytes += klen + vlen;
	if (vlen > na->longest)
		na->longest = vlen;
}

/* Reads the alias file on fd into mk.  0, or an exit code. */
static int read_aliases(struct newaliases *na, int fd, struct map_make *mk)
{
	struct map_text *in = xmalloc(sizeof *in);
	char *line, *entry = xmalloc(ALIAS_VALUE_MAX);
	size_t len, elen = 0;
	int r, have = 0, skipping = 0;

	map_text_init(in, fd);
	/* An entry is pending in "entry" until a line that does not start
	 * with a blank ends it. */
	for (;;) {
		r = map_text_line(in, &line, &len);
		if (r < 0 && errno != E2BIG) {
			na->line++;
			entry_error(na, na->line, "read error: %s",
				strerror(errno));
			free(in);
			free(entry);
			return EX_NOINPUT;
		}
		if (r != 0)
			na->line++;
		if (r < 0 || (r > 0 && check_line(na, line, &len) < 0)) {
			if (r < 0)
				entry_error(na, na->line,
					"alias line too long%s", "");
			/* a bad first line ends the pending entry (the start
			 * of an over-long one is gone: end it too); a bad
			 * entry is skipped as a whole */
			if (have && (r < 0 || (line[0] != ' ' &&
					line[0] != '\t')))
				add_entry(na, mk, entry);
			have = 0;
			skipping = 1;
			continue;
		}
		if (r > 0 && (line[0] == ' ' || line[0] == '\t')) {
			if (skipping)
				continue;
			if (!have) {
				/* blanks alone separate entries harmlessly */
				if (line[strspn(line, " \t")] == 0)
					continue;
				entry_error(na, na->line, "Non-continuation "
					"line starts with space%s", "");
				skipping = 1;
				continue;
			}
			if (elen + len >= ALIAS_VALUE_MAX) {
				entry_error(na, na->line,
					"alias line too long%s", "");
				have = 0;
				skipping = 1;
				continue;
			}
			memcpy(entry + elen, line, len + 1);
			elen += len;
			continue;
		}
		/* Not a continuation: the pending entry is complete. */
		if (have)
			add_entry(na, mk, entry);
		have = 0;
		skipping = 0;
		if (r == 0)
			break;
		/* blank lines after a comment belong to it (sendmail) */
		if (line[0] == '#') {
			skipping = 1;
			continue;
		}
		if (line[0] == 0)
			continue;
		memcpy(entry, line, len + 1);
		elen = len;
		have = 1;
		na->entry_line = na->line;
	}
	free(in);
	free(entry);
	return 0;
}

/* Rebuilds one alias file's map.  0 or a sysexits code. */
static int rebuild(const char *aliasfile, int verbose)
{
	struct newaliases na;
	struct map_make mk;
	struct map_spec *ms = xzalloc(sizeof *ms);
	char err[FILE_PATH_MAX + 100];
	const char *spec, *db;
	struct stat st;
	mode_t mode = 0644;
	int fd, rc, have = 0;

	/* the file every reader opens (map.h: map_spec); "ldap:..." and the
	 * like are not files */
	rc = map_spec_alias(ms, aliasfile, err, sizeof err);
	if (rc <= 0) {
		if (rc < 0)
			xwarn("%s", err);
		free(ms);
		return rc < 0 ? EX_USAGE : 0;
	}
	spec = ms->src;
	db = ms->file;
	memset(&na, 0, sizeof na);
	na.file = spec;
	na.verbose = verbose;
	fd = open(spec, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		xwarn("cannot open %s: %s", spec, strerror(errno));
		free(ms);
		return EX_NOINPUT;
	}
	map_make_init(&mk, MAP_MAKE_REPLACE);
	rc = read_aliases(&na, fd, &mk);
	close(fd);
	/* sendmail's syserr() status; and the old map stays as it was */
	if (rc == 0 && na.errors)
		rc = EX_SOFTWARE;
	if (rc == 0) {
		if (stat(db, &st) == 0) {
			mode = st.st_mode & 07777;
			have = 1;
		}
		/* sendmail's end marker: the map is complete */
		map_make_add(&mk, "@", 2, "@", 2);
		if (map_make_write(&mk, db, mode) < 0) {
			int e = errno;

			rc = e == ENOSPC || e == EIO || e == EDQUOT ||
				e == EFBIG || e == ENOMEM ? EX_IOERR :
				EX_CANTCREAT;
			xwarn("cannot %s %s: %s", rc == EX_IOERR ? "write" :
				"create", db, strerror(e));
		} else {
			if (have && geteuid() == 0)
				chown(db, st.st_uid, st.st_gid);
			printf("%s: %lu aliases, longest %lu bytes, %lu bytes "
				"total\n", spec, na.n, na.longest, na.bytes);
		}
	}
	map_make_free(&mk);
	free(ms);
	return rc;
}

int newaliases_main(int argc, char **argv)
{
	const char *cfpath = NULL, *override = NULL;
	char err[FILE_PATH_MAX + 200], *list, *s, *tok;
	struct cf *cf = xzalloc(sizeof *cf);
	int c, rc = 0, r, nocf = 0, verbose = 0;
	size_t i;

	while ((c = getopt(argc, argv, "C:vO:o:d:")) != -1) {
		switch (c) {
		case 'C': cfpath = optarg; break;
		case 'v': verbose = 1; break;
		case 'O':
			if (str_istarts(optarg, "AliasFile="))
				override = optarg + 10;
			break;
		case 'o':	/* sendmail's old one-letter form: -oAfile */
			if (optarg[0] == 'A' && optarg[1])
				override = optarg + 1;
			break;
		case 'd': break;	/* sendmail's debug flags */
		default: applet_usage();
		}
	}
	if (optind != argc)
		applet_usage();
	cf_init(cf);
	r = cf_load(cf, cfpath ? cfpath : CF_PATH, err, sizeof err);
	if (r == CF_EFCLASS) {
		/* sendmail -bi: its fileclass message, EX_OSERR */
		printf("%s\n", err);
		return EX_OSERR;
	}
	if (r < 0) {
		/* no cf at all is fine unless -C named one */
		if (errno != ENOENT || cfpath) {
			fprintf(stderr, "%s\n", err);
			return errno == ENOENT ? EX_OSFILE : EX_CONFIG;
		}
		nocf = 1;
	}
	if (override) {
		list = xstrdup(override);
		for (s = list; (tok = strsep(&s, ",")); )
			if (*(tok = str_trim(tok)))
				if ((r = rebuild(tok, verbose)) && !rc)
					rc = r;
		free(list);
	} else if (nocf && access("/etc/mail/aliases", F_OK) < 0 &&
			errno == ENOENT) {
		/* Debian's sendmail reads /etc/mail/aliases; most systems
		 * and tutorials keep /etc/aliases. */
		rc = rebuild("/etc/aliases", verbose);
	} else {
		for (i = 0; i < cf->opt.alias_files.n; i++) {
			r = rebuild(cf->opt.alias_files.v[i], verbose);
			if (r && !rc)
				rc = r;
		}
	}
	cf_free(cf);
	free(cf);
	if (fflush(stdout) == EOF && !rc)
		rc = EX_IOERR;
	return rc;
}
