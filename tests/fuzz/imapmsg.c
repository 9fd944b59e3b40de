/* imapmsg: what imapd computes from a stored message (imapmsg.c):
 * ENVELOPE, BODY and BODYSTRUCTURE (each checked against RFC 3501 9's
 * syntax: a malformed answer aborts), BODY[section] of a few sections and
 * of the section-spec the input's first line holds, SEARCH on headers
 * and bodies, the Date: header, IMAP dates, quoting. */
#include "fuzz.h"
#include "imapsyntax.h"

static const char *const specs[] = {
	"", "1", "2", "1.1", "2.1", "1.2.1", "3.1.2", "HEADER", "TEXT",
	"1.MIME", "2.MIME", "1.HEADER", "2.TEXT", "1.1.HEADER",
	"HEADER.FIELDS (From Subject)", "2.HEADER.FIELDS.NOT (To)",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl;
	struct buf out = BUF_INIT(16 << 20);
	struct imapmsg_section s;
	char d[IMAPMSG_DATE_MAX];
	size_t i, len;
	time_t t;
	int tz;

	if (imapmsg_envelope(&out, p, size) == 0 &&
			syn_check(out.p, out.len, 0, 1) < 0)
		abort();
	buf_reset(&out);
	if (imapmsg_bodystructure(&out, p, size, 0) == 0 &&
			syn_check(out.p, out.len, 0, 0) < 0)
		abort();
	buf_reset(&out);
	if (imapmsg_bodystructure(&out, p, size, 1) == 0 &&
			syn_check(out.p, out.len, 1, 0) < 0)
		abort();
	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		buf_reset(&out);
		if (imapmsg_section_parse(&s, specs[i], strlen(specs[i])) < 0)
			abort();
		/* at most the message, a CRLF per field and the blank line */
		if (imapmsg_section(&out, p, size, &s) == 0 &&
				out.len > 3 * size + 2)
			abort();
	}
	nl = memchr(p, '\n', size);
	len = nl ? (size_t)(nl - p) : size;
	if (imapmsg_section_parse(&s, p, len) == 0) {
		buf_reset(&out);
		imapmsg_section_format(&out, &s);
		buf_reset(&out);
		imapmsg_section(&out, p, size, &s);
	}
	imapmsg_search_header(p, size, "Subject", "\xc3\xa9t\xc3\xa9");
	imapmsg_search_header(p, size, NULL, "a");
	imapmsg_search_body(p, size, "\xd0\x9f", 1);
	imapmsg_search_body(p, size, "", 0);
	t = imapmsg_date(p, size, &tz);
	imapmsg_date_format(t, d, sizeof d);
	if (imapmsg_date_parse(p, len < 64 ? len : 64, &t, 1) == 0)
		imapmsg_date_format(t, d, sizeof d);
	imapmsg_date_parse(p, len < 64 ? len : 64, &t, 0);
	buf_reset(&out);
	imapmsg_quote(&out, p, size);
	buf_free(&out);
	return 0;
}
