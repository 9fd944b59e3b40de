/*
 * imapmsg: what an IMAP server (RFC 3501) computes from one message:
 * ENVELOPE, BODY and BODYSTRUCTURE, BODY[section] bytes, SEARCH matching
 * of headers and bodies, Date: header and IMAP date parsing, INTERNALDATE
 * formatting, and IMAP string quoting.
 *
 * Every function takes the whole message (header and body) at P, N bytes,
 * with CRLF line ends (imapd converts what the mailbox holds), and works
 * on it in place.  Output is appended to the caller's struct buf (buf.h):
 * 0, or -1 with errno (E2BIG, ENOMEM) when OUT is full, OUT then holding
 * a partial result the caller discards.  Work is bounded: MIME nesting
 * stops at MSG_DEPTH_MAX (deeper containers are shown as leaves), at most
 * IMAPMSG_PARTS_MAX parts are looked at per message, each header section
 * is read up to MSG_HSIZE_MAX bytes.  Nothing is allocated but bounded
 * stack and OUT, except by the SEARCH functions (see there).
 */
#ifndef LIBMINI_IMAPMSG_H
#define LIBMINI_IMAPMSG_H
#include <sys/types.h>
#include <stddef.h>
#include <time.h>

struct buf;

#define IMAPMSG_PARTS_MAX	1000	/* MIME parts looked at per message */
#define IMAPMSG_PART_DEPTH	32	/* numbers in a section ("1.2.3") */
#define IMAPMSG_FIELDS_MAX	100	/* names in HEADER.FIELDS (...) */
#define IMAPMSG_FIELDS_BYTES	4096	/* their bytes, NULs included */
#define IMAPMSG_DATE_MAX	32	/* imapmsg_date_format's room */

/*
 * Appends the ENVELOPE of the message (RFC 3501 7.4.2), the parenthesized
 * list itself: date, subject, from, sender, reply-to, to, cc, bcc,
 * in-reply-to, message-id.  Values are the fields as sent, unfolded (CR
 * and LF removed), not RFC 2047 decoded; absent fields are NIL; sender
 * and reply-to default to from.  Addresses are
 * ((name adl mailbox host) ...), a group "team: a@b;" as
 * (NIL NIL "team" NIL) ... (NIL NIL NIL NIL).  Strings are quoted with
 * '"' and '\' escaped, or literals when they hold 8-bit bytes.
 */
int imapmsg_envelope(struct buf *out, const char *p, size_t n);

/*
 * Appends BODYSTRUCTURE (EXT 1: with the extension data, RFC 3501 7.4.2:
 * MD5, disposition, language, location for a leaf; parameters,
 * disposition, language, location for a multipart) or BODY (EXT 0) of
 * the message: the parenthesized list itself.  Types, subtypes,
 * encodings and parameter names are as sent (Content-Type absent or
 * malformed: "text" "plain" ("charset" "us-ascii"), RFC 2045 5.2, or in
 * a multipart/digest "message" "rfc822"); a text/ part without a charset
 * gets "charset" "us-ascii" added; RFC 2231 sections are joined ("name",
 * or "name*" with charset'lang' when one is extended); sizes are octets
 * of the encoded body, lines (LF count) are given for text/ and
 * message/rfc822; message/rfc822 carries the envelope and body of the
 * message inside; a multipart without its close delimiter ends with its
 * parent; a multipart without parts (or without a boundary) shows one
 * empty text/plain part.  This is what Dovecot shows (test_imapmsg.c
 * has the few differences).
 */
int imapmsg_bodystructure(struct buf *out, const char *p, size_t n,
	int ext);

/* What follows the part numbers of a section (RFC 3501 6.4.5). */
enum {
	IMAPMSG_ALL,		/* BODY[] or BODY[1.2]: the whole (part) */
	IMAPMSG_HEADER,		/* HEADER */
	IMAPMSG_FIELDS,		/* HEADER.FIELDS (...) */
	IMAPMSG_FIELDS_NOT,	/* HEADER.FIELDS.NOT (...) */
	IMAPMSG_TEXT,		/* TEXT */
	IMAPMSG_MIME		/* MIME (after part numbers only) */
};

/* A parsed section-spec: PART[0..NPART-1] (each >= 1), then TEXT; for
 * the FIELDS kinds, NFIELDS names at NAMES + FIELD[i], NUL-terminated. */
struct imapmsg_section {
	unsigned part[IMAPMSG_PART_DEPTH];
	size_t npart;
	int text;		/* IMAPMSG_ALL ... IMAPMSG_MIME */
	size_t nfields;
	unsigned short field[IMAPMSG_FIELDS_MAX];
	char names[IMAPMSG_FIELDS_BYTES];
};

/*
 * Parses the section-spec at SPEC (N bytes: what is between the brackets
 * of BODY[...], "" included) into S, per RFC 3501 9: keywords in any
 * case, part numbers nz-number (32 bits), header names astrings (atoms,
 * quoted strings, or literals "{n}" CRLF and n bytes as the client sent
 * them).  0, or -1 (errno EINVAL) on bad syntax or over the limits above.
 */
int imapmsg_section_parse(struct imapmsg_section *s, const char *spec,
	size_t n);

/* Appends S in the canonical form a FETCH response echoes inside the
 * brackets ("1.2.HEADER.FIELDS (FROM SUBJECT)": keywords and field names
 * upper-cased, names quoted when not atoms).  0, or -1 when OUT is full. */
int imapmsg_section_format(struct buf *out, const struct imapmsg_section *s);

/*
 * Appends the bytes of section S of the message (RFC 3501 6.4.5): the
 * whole message; a part's body (still transfer-encoded; a
 * message/rfc822 part's body is the message inside); a part's MIME
 * header; HEADER, HEADER.FIELDS(.NOT) and TEXT of the message or of a
 * message/rfc822 part (names matched ignoring ASCII case, whole fields
 * with their folding, the blank line included).  Part numbers: the Nth
 * part of a multipart; in a message/rfc822 part, those of the message
 * inside; any other part has just 1, itself (so "1" of a message that is
 * not multipart is its body, as RFC 3501 and Dovecot have it).  A
 * section that does not exist gives no bytes (and 0).  Partial fetches
 * are the caller's.
 */
int imapmsg_section(struct buf *out, const char *p, size_t n,
	const struct imapmsg_section *s);

/*
 * SEARCH (RFC 3501 6.4.4) on the header: 1 when some field named FIELD
 * (ASCII case ignored; NULL: any field, as "Name: value", for TEXT)
 * contains KEY (UTF-8), comparing the value unfolded and RFC 2047
 * decoded to UTF-8, with case folded (ASCII and the simple Unicode
 * folding of Latin, Greek and Cyrillic letters); an empty KEY matches
 * every message that has the field.  0 when not.  Allocates bounded
 * scratch memory (at most a few times the header's size); -1 with errno
 * ENOMEM when it cannot.
 */
int imapmsg_search_header(const char *p, size_t n, const char *field,
	const char *key);

/*
 * SEARCH BODY (TEXT 0) and TEXT (TEXT 1: the headers too, the
 * message's and those of messages inside message/rfc822 parts): 1 when
 * KEY occurs in the text of the message: every text/ part decoded
 * (base64, quoted-printable) and converted from its charset to UTF-8
 * with msg_conv, case folded as above, as Dovecot searches without a
 * full-text index.  Other parts are not searched.  0 when
 * not found, -1 with errno ENOMEM when scratch memory (bounded by a few
 * times N) cannot be had.  Work is linear in N times the nesting depth.
 */
int imapmsg_search_body(const char *p, size_t n, const char *key, int text);

/*
 * The Date: header of the message as a time (RFC 5322 3.3 and the
 * obsolete syntax of 4.3: optional day name, 2- and 3-digit years,
 * seconds optional, comments, UT/GMT/EST...PDT and military zones as
 * +0000); -1 when the field is absent or bad.  With TZOFF not NULL, the
 * zone's offset east of UTC in seconds goes there, so the caller can
 * find the date as written (SENTBEFORE/SENTON/SENTSINCE disregard the
 * time and zone: the day is that of T + *TZOFF).
 */
time_t imapmsg_date(const char *p, size_t n, int *tzoff);

/*
 * Parses an IMAP date (WITH_TIME 0: "1-Feb-1994", RFC 3501 9 date) or
 * date-time (WITH_TIME 1: "17-Jul-1996 02:44:25 -0700", day also " 7"),
 * with or without its surrounding double quotes, month names in any case.
 * A date gives 00:00:00 UTC of that day.  0 with *T set, or -1 (errno
 * EINVAL) on bad syntax or an impossible date.
 */
int imapmsg_date_parse(const char *s, size_t n, time_t *t, int with_time);

/* The INTERNALDATE date-time of T in UTC without the double quotes
 * ("17-Jul-1996 02:44:25 +0000") into DST (MAX bytes; IMAPMSG_DATE_MAX
 * suffice).  Returns its length, or 0 with DST "" when MAX is too small
 * or T out of range. */
size_t imapmsg_date_format(time_t t, char *dst, size_t max);

/*
 * Appends S (N bytes) as an IMAP string (RFC 3501 4.3): a quoted string
 * ('"' and '\' escaped) when it is 7-bit without CR or LF, else a literal
 * "{N}" CRLF and the bytes; NUL bytes, which neither may hold, are
 * dropped.  S NULL gives NIL.  0, or -1 when OUT is full.
 */
int imapmsg_quote(struct buf *out, const char *s, size_t n);

#endif
