/*
 * dkim: DKIM signatures (RFC 6376) for mail that enters the queue, with
 * OpenDKIM's KeyTable and SigningTable (README.md, "DKIM signing").
 *
 * One signature per message: a=rsa-sha256 (RFC 8301: 1024 bits at
 * least), c=relaxed/relaxed unless asked, the header fields of RFC 6376
 * 5.4.1 that are present (each instance), From signed once more than it
 * occurs so that no From can be added (8.15), no l=.  The signer is
 * chosen by the first From address of the header, as OpenDKIM does.
 *
 * Limits: a table line DKIM_LINE_MAX bytes, DKIM_TABLE_MAX entries, a
 * key file DKIM_KEYFILE_MAX bytes, the header read for signing
 * DKIM_HEADER_MAX bytes.  Errors name the file (and line).
 */
#ifndef LIBMINI_DKIM_H
#define LIBMINI_DKIM_H
#include <stddef.h>
#include <time.h>
#include <bearssl.h>

#define DKIM_LINE_MAX 4096
#define DKIM_TABLE_MAX 10000
#define DKIM_KEYFILE_MAX (64 << 10)
#define DKIM_HEADER_MAX (256UL << 10)
#define DKIM_MIN_BITS 1024	/* RFC 8301 3.2 */

enum dkim_canon { DKIM_SIMPLE, DKIM_RELAXED };

/* --- canonicalization (RFC 6376 3.4), on text with LF line ends ------ */
/* The body hash, fed in any pieces; CRLF is what is hashed. */
struct dkim_body {
	br_sha256_context sha;
	enum dkim_canon canon;
	unsigned long empty;	/* empty lines held back (3.4.3, 3.4.4) */
	unsigned long len;	/* octets of the current line emitted */
	int wsp;		/* relaxed: white space held back */
	int any;		/* something was hashed */
};
void dkim_body_init(struct dkim_body *b, enum dkim_canon canon);
void dkim_body_update(struct dkim_body *b, const char *p, size_t n);
/* The SHA-256 of the canonical body. */
void dkim_body_final(struct dkim_body *b, unsigned char hash[32]);
/* Canonicalizes the header field at F (LEN bytes, "Name: value" with its
 * LF-ended folded lines, the last LF optional) into DST (MAX bytes, NUL
 * added), ending in CRLF.  Returns the length or -1 when MAX is short. */
long dkim_header_canon(char *dst, size_t max, const char *f, size_t len,
	enum dkim_canon canon);

/* --- tables and keys ------------------------------------------------ */
struct dkim_signer {
	char domain[254], selector[64], keypath[1024];
};
/* Finds the signer of FROM (an addr-spec, "user@domain") in SIGNTABLE
 * and KEYTABLE (OpenDKIM's values: "refile:PATH" patterns with "*",
 * first match wins; "file:PATH" or "PATH": FROM, then its domain).  "%"
 * in a KeyTable domain is FROM's domain.  1 found, 0 none, -1 error
 * (a file that cannot be read, a bad line, a key name the KeyTable
 * lacks) with "FILE:LINE: why" in ERR. */
int dkim_lookup(const char *keytable, const char *signtable,
	const char *from, struct dkim_signer *s, char *err, size_t errmax);

struct dkim_key {
	br_rsa_private_key sk;
	unsigned char *mem;	/* the key's numbers, malloc'ed */
};
/* Reads the RSA private key in PEM (PKCS#1 "RSA PRIVATE KEY" or PKCS#8
 * "PRIVATE KEY") from PATH.  0, or -1 with the reason in ERR. */
int dkim_key_load(struct dkim_key *k, const char *path, char *err,
	size_t errmax);
/* Forgets the key (its numbers are zeroed). */
void dkim_key_free(struct dkim_key *k);
/* The same from DATA (LEN bytes), NAME for messages. */
int dkim_key_parse(struct dkim_key *k, const char *name, const char *data,
	size_t len, char *err, size_t errmax);

/* The first address of a From field's value V (LEN bytes) into DST
 * (lower-cased domain).  0, or -1 when there is none. */
int dkim_from_addr(char *dst, size_t max, const char *v, size_t len);

/* --- signing -------------------------------------------------------- */
/* Signs the message in FD (a queue data file: LF line ends, read and
 * written with pread/pwrite) by inserting a DKIM-Signature field at its
 * start, the signer looked up in the tables by its From.  CANON is
 * header and body canonicalization.  1 signed, 0 no signer for the From
 * (or no From), -1 error in ERR (the message is then as it was, unless
 * the writing itself failed). */
int dkim_sign_fd(int fd, const char *keytable, const char *signtable,
	enum dkim_canon hcanon, enum dkim_canon bcanon, time_t now,
	char *err, size_t errmax);

/* OpenDKIM's Canonicalization value ("relaxed", "simple/relaxed"...;
 * NULL is relaxed/relaxed).  0, or -1 for a bad value. */
int dkim_canon_parse(const char *s, enum dkim_canon *hc,
	enum dkim_canon *bc);
struct cf_opts;
/* Signs the queue data file FD as O says: when PostboxDKIMKeyTable and
 * PostboxDKIMSigningTable are both set (and CFG_DKIM).  1 signed, 0 not
 * (not configured, no signer for the From), -1 error in ERR: the caller
 * refuses the message as a temporary failure. */
int dkim_sign_queued(const struct cf_opts *o, int fd, char *err,
	size_t errmax);

#endif
