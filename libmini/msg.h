/*
 * msg: reading and writing Internet messages (RFC 5322) and MIME
 * (RFC 2045-2047, RFC 2231) for the mail reader and the servers.
 *
 * Parsing works on a message held in memory: headers and parts are
 * (pointer, length) views into the caller's bytes, kept in caller-owned
 * arrays, so nothing is allocated and every count has a limit.  Text that
 * must be transformed (unfolded, decoded, converted to another charset)
 * goes into a struct buf, whose cap bounds it.
 *
 * Charsets: everything is decoded to UTF-8 first; msg_conv converts.  With
 * CONFIG_MAIL_CJK, musl's iconv does the work (EUC-KR, CP949, Shift_JIS,
 * EUC-JP, GB2312/GBK/GB18030, Big5, ISO-8859-x, KOI8-R, windows-125x...)
 * and ISO-2022-KR (RFC 1557), which musl lacks, is decoded here.  Without
 * it (iconv's tables cost about 180 KB), only US-ASCII, UTF-8 and
 * ISO-8859-1 are known; other text keeps its ASCII and shows '?' for the
 * rest.
 */
#ifndef LIBMINI_MSG_H
#define LIBMINI_MSG_H
#include <sys/types.h>
#include <stddef.h>

struct buf;

#define MSG_NAME_MAX	76	/* a header field name (RFC 5322 2.1.1) */
#define MSG_HDR_MAX	1000	/* header fields kept per message or part */
#define MSG_HSIZE_MAX	(1024 * 1024)	/* bytes of one header section */
#define MSG_DEPTH_MAX	16	/* nesting of multiparts */

/* One header field: NAME (without the colon) and its raw VALUE, folding
 * included, starting after the colon and blanks, without the final line
 * end.  Both point into the message. */
struct msg_hdr {
	const char *name, *value;
	size_t nlen, vlen;
};

/* A parsed header section. */
struct msg_hdrs {
	struct msg_hdr *h;	/* caller's array of max entries */
	size_t n, max;
	size_t size;		/* bytes of the section, blank line included */
	int dropped;		/* fields over max, or malformed lines */
};

/*
 * Parses the header section at the start of the N bytes at P into H
 * (H->h and H->max set by the caller).  The section ends at the first
 * empty line (LF or CRLF), or at the end of the data.  A line that is
 * neither a field ("name:" with printable ASCII name of at most
 * MSG_NAME_MAX characters, RFC 5322 2.2) nor a continuation (starts with
 * a blank, 2.2.3) is counted in dropped and skipped; so are fields past
 * H->max, and everything past MSG_HSIZE_MAX bytes (the body then starts
 * there).  An mbox "From " line at the very start is skipped too.
 * Returns H->n.  Never fails.
 */
size_t msg_headers(struct msg_hdrs *h, const char *p, size_t n);

/* The first field named NAME (ASCII case ignored), or NULL.  With AFTER
 * not NULL, the first one after that field (for repeated fields). */
const struct msg_hdr *msg_hdr_find(const struct msg_hdrs *h,
	const char *name, const struct msg_hdr *after);

/* Appends the value of F to OUT unfolded (RFC 5322 2.2.3: CR and LF
 * removed, the blanks kept), with NUL and other control characters but
 * tab shown as '?'.  0, or -1 with errno when OUT is full. */
int msg_unfold(struct buf *out, const char *value, size_t vlen);

/*
 * Appends the header text at P (N bytes, unfolded or not) to OUT in UTF-8,
 * decoding RFC 2047 encoded-words ("=?charset?B|Q?text?=", the *lang
 * suffix of RFC 2231 5 allowed) where they stand as whole words; blanks
 * between two adjacent encoded-words are dropped (RFC 2047 6.2), and
 * consecutive words of one charset are converted together so a character
 * split across two of them survives.  Undecodable words are kept as they
 * are.  Raw 8-bit text that is not UTF-8 is taken to be in FALLBACK
 * (NULL: ISO-8859-1).  Control characters become '?'.  Returns 0, 1 when
 * something could not be converted ('?' shown), -1 when OUT is full.
 */
int msg_decode_header(struct buf *out, const char *p, size_t n,
	const char *fallback);

/*
 * Appends "NAME: VALUE\n" to OUT as a header field for sending: VALUE is
 * UTF-8; any CR, LF or other control character becomes a space, so no
 * value can start a new field; when VALUE has non-ASCII bytes (or looks
 * like an encoded-word) it goes out as RFC 2047 "=?UTF-8?B?...?=" words of
 * at most 75 characters, never splitting a character, folded onto
 * continuation lines (2: lines of at most 76 characters); other values
 * are folded at blanks before 78 characters where possible.  With ADDR
 * set, VALUE is an address list: only display names are encoded, the
 * addresses are kept as they are (RFC 2047 5(3)).  0, or -1 when OUT is
 * full.
 */
int msg_header_encode(struct buf *out, const char *name, const char *value,
	int addr);

/* Whether the N bytes at P need MIME encoding (any byte >= 0x80, any
 * control character but tab, CR, LF, or a line over 998 bytes). */
int msg_needs_mime(const char *p, size_t n);

/* One mailbox of an address list, for display. */
struct msg_addr {
	char name[256];		/* display name, RFC 2047 decoded ("" none) */
	char addr[256];		/* local@domain, as written ("" none) */
};

/*
 * Parses the next address of the list at *P (N bytes left in *N, both
 * advanced): "Name <a@b>", "a@b (Name)", "<a@b>", "a@b", quoted strings,
 * comments, group syntax ("team: a@b, c@d;" gives a and c).  Over-long
 * names and addresses are cut.  Returns 1 with A filled, 0 at the end of
 * the list.
 */
int msg_addr_next(const char **p, size_t *n, struct msg_addr *a);

/*
 * Extracts parameter NAME of a structured field (Content-Type,
 * Content-Disposition) whose value is at P (N bytes): quoted or token
 * values (RFC 2045 5.1), RFC 2231 continuations (name*0, name*1...) and
 * charset'lang'%XX extended values (converted to UTF-8), and RFC 2047
 * words inside a quoted value, as mailers send them.  The value goes to
 * OUT (appended).  Returns 1 when found, 0 when absent, -1 when OUT is
 * full.
 */
int msg_param(struct buf *out, const char *p, size_t n, const char *name);

/* The MIME type of a field value ("Text/HTML; x=y" gives "text/html")
 * into DST (MAX bytes), lower-cased; "" when empty.  Returns DST. */
char *msg_mime_type(char *dst, size_t max, const char *p, size_t n);

/* Content-Transfer-Encoding */
enum { MSG_7BIT, MSG_8BIT, MSG_BINARY, MSG_QP, MSG_BASE64 };

/* One leaf or container of a MIME tree. */
struct msg_part {
	const char *hdr;	/* the part's header section */
	size_t hlen;
	const char *body;	/* its body, still encoded */
	size_t blen;
	char type[64];		/* lower-cased "text/plain" (the default) */
	char charset[40];	/* "" when none given */
	char name[128];		/* filename or name, UTF-8 ("" none) */
	int encoding;		/* MSG_7BIT ... MSG_BASE64 */
	int depth;		/* 0 for the message itself */
	int attachment;		/* Content-Disposition: attachment */
	int container;		/* multipart/ or message/rfc822 */
};

/*
 * Walks the MIME tree of the message at P (N bytes) depth first: each
 * part, container or leaf, goes into PARTS (at most MAX; the message
 * itself is parts[0]).  Multipart boundaries (RFC 2046 5.1.1) are matched
 * at line starts; a missing close delimiter ends the part at the end of
 * its parent; message/rfc822 is walked into.  HSCRATCH (HMAX entries) is
 * used to parse each part's header.  Nesting stops at MSG_DEPTH_MAX.
 * Returns the number of parts stored (at least 1 when MAX > 0).
 */
size_t msg_mime_walk(const char *p, size_t n, struct msg_part *parts,
	size_t max, struct msg_hdr *hscratch, size_t hmax);

/*
 * Appends the decoded body of PART (base64 and quoted-printable undone;
 * base64 leniently, RFC 2045 6.8: characters outside the alphabet are
 * skipped) to OUT.  0, or -1 when OUT is full.
 */
int msg_part_decode(struct buf *out, const struct msg_part *part);

/*
 * Appends the N bytes at P, in charset FROM, to OUT in charset TO (both
 * MIME names; "" or NULL means US-ASCII).  Outlook's ks_c_5601-1987 and
 * EUC-KR are read as CP949 (their superset), ISO-2022-KR is decoded here.
 * A sequence that cannot be converted becomes '?'.  Returns 0, 1 when
 * something became '?' or a charset is unknown (ASCII is then kept and
 * other bytes become '?'), -1 with errno when OUT is full.
 */
int msg_conv(struct buf *out, const char *to, const char *from,
	const char *p, size_t n);

/*
 * Appends a plain-text rendering of the HTML at P (N bytes, already in
 * UTF-8) to OUT: tags removed, <script> and <style> contents dropped,
 * entities (&amp; &lt; &gt; &quot; &apos; &nbsp; &#N; &#xN; and a few
 * common names) decoded, white space collapsed, <br> a line break,
 * <p> <div> <tr> <h1>-<h6> <li> <table> a new line ("* " before an item).
 * 0, or -1 when OUT is full.
 */
int msg_html_text(struct buf *out, const char *p, size_t n);

/* The RFC 5322 3.3 date of T in local time with a numeric zone and the C
 * locale's names ("Mon, 23 Nov 2026 10:40:47 +0000") into dst (max bytes;
 * 32 always suffice).  Returns its length, or 0 with dst "" when max is
 * too small. */
size_t msg_date(time_t t, char *dst, size_t max);

#endif
