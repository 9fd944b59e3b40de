/*
 * map: sendmail's keyed maps as cdb files (tinycdb), read and written.
 *
 * Storage (what makemap and newaliases write, what the readers expect):
 *  - one cdb file under sendmail's name ("access.db", "aliases.db");
 *  - keys in lower case unless the map was built with makemap -f;
 *  - keys and values without a trailing NUL, except with makemap -N and in
 *    aliases.db, which, like sendmail's, holds NUL-terminated keys and
 *    values and the end marker key "@" (value "@").  Readers need not know:
 *    map_lookup tries the key without, then with, the trailing NUL
 *    (sendmail's default for a K line with neither -N nor -O) and drops a
 *    trailing NUL from the value.
 *
 * Reading: struct map is caller-owned (small; stack or a session struct).
 * The file is mmap'ed by tinycdb: a map replaced by rename keeps being read
 * from the old file until map_changed says so and the caller reopens it.
 */
#ifndef LIBMINI_MAP_H
#define LIBMINI_MAP_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <cdb.h>
#include "buf.h"
#include "file.h"

#define MAP_KEY_MAX	1024	/* a key, NUL included (longer: E2BIG) */
#define MAP_VALUE_MAX	8192	/* a makemap value, NUL included */
#define MAP_LINE_MAX	8192	/* an input line of makemap/newaliases */

/* K line flags sendmail knows, as map_open flags. */
#define MAP_NOFOLD	1	/* -f: keys are case-sensitive, no folding */
#define MAP_NUL		2	/* -N: keys only with the trailing NUL */
#define MAP_NONUL	4	/* -O: keys only without it */

struct map {
	struct cdb cdb;
	int fd;			/* -1 when closed */
	int flags;		/* MAP_* */
	dev_t dev;		/* the file opened, for map_changed */
	ino_t ino;
	/* When set (after map_open, which clears it), map_access calls it
	 * for every key it tries, in order, with the value found or NULL:
	 * what sendmail -bt -d60.1 shows. */
	void (*trace)(void *ctx, const char *key, const char *value);
	void *trace_ctx;
	/* A K line's -m and -a, set by map_spec_open (map_open clears
	 * them), applied by map_spec_lookup. */
	int match_only;
	char append[64];
};

/* Opens the cdb map at PATH for lookups.  0, or -1 with errno and one line
 * in err (errmax bytes, no newline): "PATH: strerror" (errno ENOENT for a
 * missing map, which a K line with -o allows), "PATH: not a cdb map"
 * (EINVAL), or, for a Berkeley DB file left by real sendmail (hash or
 * btree magic at offset 0 or 12, either byte order, with a plausible
 * version and page size after it; EPROTO), a message
 * naming the command that rebuilds it:
 *   "/etc/mail/access.db: a Berkeley DB hash file from sendmail, not cdb;
 *    rebuild it: makemap hash /etc/mail/access < /etc/mail/access"
 * ("newaliases" for aliases.db).  FLAGS are MAP_*. */
int map_open(struct map *m, const char *path, int flags, char *err,
	size_t errmax);
void map_close(struct map *m);
/* 1 when PATH is no longer the file M has open (replaced by makemap,
 * removed); then close and reopen. 0 when it still is. */
int map_changed(const struct map *m, const char *path);

/* The file behind a map declaration: the one rule that makemap,
 * newaliases, smtpd, local delivery, sendmail -bt and the SMTP client
 * share, so that every reader opens the file the writer wrote.
 *  - K line (map_spec_k): "Kname TYPE [-flags] PATH";
 *  - AliasFile (map_spec_alias): "[TYPE:][-flags ]PATH", as sendmail
 *    parses it ("hash:/etc/mail/aliases", "cdb:-o /etc/aliases",
 *    "/etc/aliases" is type implicit);
 *  - makemap TYPE NAME (map_spec_k with no flags).
 * TYPE hash, btree, dbm and implicit are cdb files named PATH.db, TYPE cdb
 * PATH.cdb (sendmail 8.16's name); a PATH that already ends in that
 * extension is taken as it is.  Flags: -o optional (a missing file is no
 * error), -f MAP_NOFOLD, -N MAP_NUL, -O MAP_NONUL, -m match only (a hit
 * returns the key, not the value), -aSTRING appended to every value
 * found; the others (-T<TMPF>, -z, -k, -v, -q, -D, -S, ...) change
 * nothing for a cdb map and are ignored. */
struct map_spec {
	char type[16];		/* "hash", "cdb", ..., "" when unknown */
	char src[FILE_PATH_MAX];	/* PATH as written (aliases' text) */
	char file[FILE_PATH_MAX];	/* the cdb file to open */
	int flags;		/* MAP_NOFOLD, MAP_NUL, MAP_NONUL */
	int optional;		/* -o */
	int match_only;		/* -m */
	char append[64];	/* -a, "" none */
};
/* Fills S from a K line's TYPE, PATH (may be NULL: a type without a
 * file) and FLAGS (the words as written, "" none; OPTIONAL: -o already
 * taken out, as struct cf_map holds it).  1 for a cdb file in s->file; 0
 * for a type without a file (ldap, nis, sequence, host, ...: the caller
 * skips the map), with the reason in err; -1 with err for a path that
 * does not fit, a cdb type without a path, or a file of a type postbox
 * cannot read (text): the map is unusable, lookups are temporary. */
int map_spec_k(struct map_spec *s, const char *type, const char *path,
	const char *flags, int optional, char *err, size_t errmax);
/* The same for one AliasFile entry (an unknown type, "ldap:", "nis:",
 * is 0: not a file).  An alias map's keys are looked up
 * without, then with, a trailing NUL unless -N or -O says which (what
 * newaliases writes has it; makemap without -N not). */
int map_spec_alias(struct map_spec *s, const char *aliasfile, char *err,
	size_t errmax);
/* map_open on s->file with s->flags, keeping -m and -a for
 * map_spec_lookup.  Returns as map_open. */
int map_spec_open(struct map *m, const struct map_spec *s, char *err,
	size_t errmax);
/* map_lookup, then the K line's -m (the key is the value) and -a (its
 * string appended; E2BIG when the result does not fit). */
int map_spec_lookup(struct map *m, const char *key, char *val, size_t max);
/* Opens an alias map (sendmail's and Postfix's rule for aliases not
 * built yet): 1 open; 0 when there are no aliases to read (neither the
 * map nor entries in the text file s->src: blank and comment lines
 * only); -1 with errno and err: ENOENT when the text has entries but the
 * map is missing (the caller defers: "run newaliases"), else as
 * map_open. */
int map_alias_open(struct map *m, const struct map_spec *s, char *err,
	size_t errmax);

/* Looks KEY up (folded to lower case unless MAP_NOFOLD).  On a hit, copies
 * the value (its trailing NUL dropped) into val as a C string and returns
 * 1; returns 0 when absent; -1 with E2BIG when the key is MAP_KEY_MAX or
 * longer or the value does not fit in max bytes (val then holds a
 * truncated copy), EIO for a damaged map.  With several values for one key
 * (makemap -d) the first one written is returned. */
int map_lookup(struct map *m, const char *key, char *val, size_t max);

/* sendmail's access map search, as the rulesets of cf/m4/proto.m4 (8.17)
 * do it: at each step "TAG:key" before "key", the most specific key
 * first, the first key found wins.  TAG is "Connect", "From", "To" (a
 * trailing ':' is allowed) or NULL for untagged keys only.  KIND says what
 * VALUE is and which rulesets run:
 *  MAP_ACCESS_HOST  a client or domain name (ruleset D): host.foo.example,
 *                   foo.example, example (a trailing dot ignored); an
 *                   unresolved client's "[10.0.2.15]" as [10.0.2.15],
 *                   [10.0.2], [10.0], [10] (IPv6: "[IPv6:2001:db8::1]",
 *                   "[IPv6:2001:db8]", "[IPv6:2001]", "[IPv6]");
 *  MAP_ACCESS_IP    the client's address (ruleset A): 10.0.2.15, 10.0.2,
 *                   10.0, 10; IPv6 as sendmail's ${client_addr}, with an
 *                   "IPv6:" prefix added when missing: IPv6:2001:db8::1,
 *                   IPv6:2001:db8, IPv6:2001, IPv6 ("::" cut with the
 *                   group after it); "::ffff:a.b.c.d" is searched as IPv4;
 *  MAP_ACCESS_ADDR  a sender, check_mail's <F:x@dom> <U:x@> <D:dom>:
 *                   x@sub.example.org, then x@, then sub.example.org,
 *                   example.org, org (an address literal x@[10.0.2.15]
 *                   walks as in HOST); an address without '@' only x@;
 *                   "" and "<>" (the null sender, RFC 1123 5.2.9) are
 *                   never looked up: 0;
 *  MAP_ACCESS_RCPT  a recipient in a domain that is not local,
 *                   check_rcpt's <F:x@dom> <D:dom> (no "x@"; for local
 *                   domains use MAP_ACCESS_ADDR, as sendmail does).
 * Full addresses and "x@" keys with a +detail are tried as sendmail's F
 * and U rulesets do: x+det@dom, x+*@dom, x@dom (each tagged, untagged).
 * Connect: is D on the client's name, then A on its address (two calls).
 * On a hit, returns 1 with the value in result (max bytes) and the key
 * that matched, tag included, in matched (MAP_KEY_MAX bytes; may be NULL);
 * keys are folded to lower case unless MAP_NOFOLD.  0 when nothing
 * matched; -1 as map_lookup (E2BIG for a value over MAP_KEY_MAX - 7). */
#define MAP_ACCESS_HOST	1
#define MAP_ACCESS_IP	2
#define MAP_ACCESS_ADDR	3
#define MAP_ACCESS_RCPT	4
int map_access(struct map *m, const char *tag, int kind, const char *value,
	char *result, size_t max, char *matched);

/* An access map value, parsed. */
enum map_act {
	MAP_ACT_OK = 1,		/* OK: accept (no relaying) */
	MAP_ACT_RELAY,		/* RELAY */
	MAP_ACT_REJECT,		/* REJECT: 550 5.7.1 Access denied */
	MAP_ACT_DISCARD,	/* DISCARD: accept, drop silently */
	MAP_ACT_SKIP,		/* SKIP: stop searching, use the default */
	MAP_ACT_ERROR		/* ERROR:..., or a bare "### text" */
};
struct map_action {
	enum map_act act;
	unsigned code;		/* 550 for REJECT; the ### of ERROR; else 0 */
	char dsn[12];		/* "5.7.1"; "" when the value gave none */
	char text[256];		/* reply text without code and DSN */
};
/* Parses VALUE: OK, RELAY, REJECT, DISCARD, SKIP (any case, surrounding
 * blanks ignored), ERROR:D.S.N:### text, ERROR:### text, each optionally
 * quoted (ERROR:"550 text"), and the deprecated bare "### text".  The code
 * must be 4xx or 5xx and the DSN's class must match it.  0, or -1 (EINVAL)
 * for anything else; an over-long text is cut to fit. */
int map_action_parse(const char *value, struct map_action *a);

/* Writing: collects records in memory, refuses or handles duplicates, then
 * writes the cdb file through file_atomic (temp, fsync, rename, fsync the
 * folder), so a reader never sees half a map.  All memory is released by
 * map_make_free. */
#define MAP_MAKE_DUPS	 1	/* makemap -d: keep every value of a key */
#define MAP_MAKE_REPLACE 2	/* makemap -r: a later value replaces */
#define MAP_MAKE_LATER	 4	/* duplicates found by map_make_dups, once,
				   not by each add: a million keys need no
				   hash probe (a cache miss) per key */
struct map_make_rec {		/* one record; data at off: key, value */
	uint32_t off, klen, vlen, hash, tag;
	unsigned char dead;	/* replaced by a later record (-r), or refused */
	unsigned char old;	/* read from the old map (-o) */
};
struct map_make {
	int flags;
	unsigned long tag;		/* given to records added from now on
					   (the input line, for messages) */
	struct buf data;		/* keys and values, back to back */
	struct map_make_rec *rec;	/* n records (cap allocated) */
	size_t n, cap;
	uint64_t *index;		/* open addressing over rec, 0 = free */
	size_t index_size;		/* a power of two, or 0 */
};
void map_make_init(struct map_make *mk, int flags);
/* Adds a record.  With MAP_MAKE_LATER: 0, or -1; else 0; 1 when KEY is already there and neither DUPS nor
 * REPLACE was asked (nothing added); 2 when REPLACE replaced a record;
 * -1 with ENOMEM or E2BIG (more than the 4 GiB a cdb file can hold). */
int map_make_add(struct map_make *mk, const void *key, size_t klen,
	const void *val, size_t vlen);
/* Adds every record of the cdb map at PATH (makemap -o): 0, or -1 with
 * errno and a line in err as map_open's (ENOENT when there is none: the
 * caller decides).  Duplicates follow the flags, the old record counting
 * as the first; a refused duplicate is EEXIST. */
int map_make_load(struct map_make *mk, const char *path, char *err,
	size_t errmax);
/* With MAP_MAKE_LATER, before map_make_write: finds the duplicate keys
 * and calls FN once for each record that repeats an earlier key, in the
 * order the records were added, with that record's tag and key and KIND 1
 * (refused: the record is dropped; neither DUPS nor REPLACE) or 2 (it
 * replaced the earlier record: REPLACE).  Records of map_make_load count
 * as earlier and are never compared with each other.  Returns the number
 * of refused records, or -1 with ENOMEM.  One stable radix sort of the
 * key hashes: linear, and sequential in memory. */
typedef void (*map_make_dup_fn)(void *ctx, unsigned long tag,
	const char *key, size_t klen, int kind);
long map_make_dups(struct map_make *mk, map_make_dup_fn fn, void *ctx);
/* Writes the map to PATH with MODE.  0, or -1 with errno (ENOSPC, EACCES,
 * ENOENT for a missing folder, ...): the old file at PATH is then
 * untouched. */
int map_make_write(struct map_make *mk, const char *path, mode_t mode);
void map_make_free(struct map_make *mk);

/* The text side of makemap and newaliases: lines read from a file
 * descriptor through a 64 KiB buffer (found with memchr, not byte by
 * byte: a million-line map is read in well under a second).  The struct
 * is big: allocate it. */
struct map_text {
	int fd;
	int eof;
	size_t pos, len;	/* the unread bytes are buf[pos..len) */
	char buf[65536];
};
void map_text_init(struct map_text *t, int fd);
/* The next line, its newline replaced by a NUL: *line points into t->buf
 * (valid until the next call), *len is its length (NULs inside the line
 * are kept and counted).  1 for a line; 0 at the end of the input; -1
 * with E2BIG for a line of MAP_LINE_MAX bytes or more (it is skipped
 * whole, the next call reads the line after it), or with the errno of
 * read(2) (EISDIR for a folder on stdin, EIO, ...). */
int map_text_line(struct map_text *t, char **line, size_t *len);

#endif
