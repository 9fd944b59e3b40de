/* mime: the message reader of mail and the servers: the header section
 * (msg_headers), RFC 2047 words (msg_decode_header), addresses
 * (msg_addr_next), RFC 2231 parameters (msg_param), the MIME tree
 * (msg_mime_walk) and each part's body decoded (msg_part_decode: base64,
 * quoted-printable), converted from its charset (msg_conv) and, for HTML,
 * turned into text (msg_html_text); qp_decode and b64_decode directly. */
#include "fuzz.h"

#define PARTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg_hdr hv[MSG_HDR_MAX], hs[MSG_HDR_MAX];
	static struct msg_part parts[PARTS];
	static char tmp[65536];
	const char *p = (const char *)data;
	struct msg_hdrs h = { 0 };
	struct buf out = BUF_INIT(1 << 20), body = BUF_INIT(1 << 20);
	struct msg_addr a;
	size_t i, n, left;
	const char *q;
	char type[64];

	h.h = hv;
	h.max = MSG_HDR_MAX;
	msg_headers(&h, p, size);
	for (i = 0; i < h.n; i++) {
		const struct msg_hdr *f = &h.h[i];

		buf_reset(&out);
		msg_unfold(&out, f->value, f->vlen);
		msg_decode_header(&out, f->value, f->vlen, i & 1 ?
			"windows-1252" : NULL);
		if (f->nlen == 4 || f->nlen == 2 || f->nlen == 7) {
			q = f->value, left = f->vlen;
			for (n = 0; n < 100 && msg_addr_next(&q, &left, &a);
					n++)
				;
		}
		msg_param(&out, f->value, f->vlen, "charset");
		msg_param(&out, f->value, f->vlen, "filename");
		msg_mime_type(type, sizeof type, f->value, f->vlen);
	}
	n = msg_mime_walk(p, size, parts, PARTS, hs, MSG_HDR_MAX);
	for (i = 0; i < n; i++) {
		if (parts[i].container)
			continue;
		buf_reset(&body);
		if (msg_part_decode(&body, &parts[i]) < 0)
			continue;
		buf_reset(&out);
		msg_conv(&out, "UTF-8", parts[i].charset, body.p ? body.p : "",
			body.len);
		if (strcmp(parts[i].type, "text/html") == 0) {
			buf_reset(&out);
			msg_html_text(&out, body.p ? body.p : "", body.len);
		}
	}
	n = size < sizeof tmp ? size : sizeof tmp;
	if (qp_decode(tmp, sizeof tmp, p, n, 0) > (ssize_t)n ||
			qp_decode(tmp, sizeof tmp, p, n, QP_HEADER) > (ssize_t)n)
		abort();
	if (b64_decode(tmp, sizeof tmp, p, n, 0) > (ssize_t)B64_DECLEN(n))
		abort();
	b64_decode(tmp, sizeof tmp, p, n, B64_SPACE);
	buf_free(&out);
	buf_free(&body);
	return 0;
}
