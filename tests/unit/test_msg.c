/* test_msg: headers, RFC 2047, charsets (Korean included), addresses,
 * RFC 2231 parameters, MIME walking, quoted-printable, HTML to text. */
#include "libmini.h"
#include "unit.h"
#include <errno.h>
#include <stdlib.h>

#define HAN_GEUL_JEMOK "\xed\x95\x9c\xea\xb8\x80\x20\xec\xa0\x9c\xeb\xaa\xa9"
#define TTOM "\xeb\x98\xa0\xeb\xb0\xa9\xea\xb0\x81\xed\x95\x98"

static const struct { const char *in, *want; } words[] = {
	{ "plain text", "plain text" },
	{ "=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard" },
	/* RFC 2047 8's examples: blanks between words vanish */
	{ "(=?ISO-8859-1?Q?a?=)", "(a)" },
	{ "(=?ISO-8859-1?Q?a?= b)", "(a b)" },
	{ "(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)" },
	{ "(=?ISO-8859-1?Q?a?=  \r\n\t=?ISO-8859-1?Q?b?=)", "(ab)" },
	{ "(=?ISO-8859-1?Q?a_b?=)", "(a b)" },
	{ "=?EUC-KR?B?x9Gx2yDBprjx?=", HAN_GEUL_JEMOK },
	{ "=?euc-kr?Q?=C7=D1?=", "\xed\x95\x9c" },
	{ "=?ks_c_5601-1987?B?jGO55rCix88=?=", TTOM },
	{ "=?CP949?B?jGO55rCix88=?=", TTOM },
	{ "=?UTF-8*ko?B?7ZWc?=", "\xed\x95\x9c" },
	/* a character split across two words */
	{ "=?UTF-8?B?7Q==?= =?UTF-8?B?lZw=?=", "\xed\x95\x9c" },
	{ "=?Shift_JIS?B?k/qWe4zq?=", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "=?ISO-2022-KR?B?GyQpQw4+SDNnDw==?=", "\xec\x95\x88\xeb\x85\x95" },
	/* malformed words stay */
	{ "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },
	{ "=?UTF-8?B?abc", "=?UTF-8?B?abc" },
	/* a decoded control character cannot reach the terminal */
	{ "=?UTF-8?Q?a=0Ab=1B[2J?=", "a b?[2J" },
	{ "raw \xe9t\xe9", "raw \xc3\xa9t\xc3\xa9" },
	{ "=?unknown-x?Q?ok?=", "ok" },
};

static void test_words(void)
{
	struct buf b = BUF_INIT(4096);
	char name[96];
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		buf_reset(&b);
		msg_decode_header(&b, words[i].in, strlen(words[i].in), NULL);
		snprintf(name, sizeof name, "rfc2047 %zu: %.40s", i,
			words[i].in);
		CHECK_STR(buf_str(&b), words[i].want, name);
	}
	buf_free(&b);
}

static void test_conv(void)
{
	struct buf b = BUF_INIT(4096);
	static const char euckr[] = "\xc7\xd1\xb1\xdb \xc1\xa6\xb8\xf1";
	static const char iso2022[] = "\x1b\x24\x29\x43\x0e\x3e\x48\x33\x67"
		"\x0f\x20\x68\x69\x20\x0e\x3c\x3c\x30\x68\x0f\x0a";

	CHECK(msg_conv(&b, "UTF-8", "EUC-KR", euckr, strlen(euckr)) == 0,
		"euc-kr converts");
	CHECK_STR(buf_str(&b), HAN_GEUL_JEMOK, "euc-kr body");
	buf_reset(&b);
	msg_conv(&b, "utf-8", "iso-2022-kr", iso2022, strlen(iso2022));
	CHECK_STR(buf_str(&b), "\xec\x95\x88\xeb\x85\x95\x20\x68\x69\x20"
		"\xec\x84\xb8\xea\xb3\x84\x0a", "iso-2022-kr body");
	buf_reset(&b);
	CHECK(msg_conv(&b, "us-ascii", "utf-8", "a\xed\x95\x9c" "b", 5) == 1,
		"utf-8 to ascii is lossy");
	CHECK_STR(buf_str(&b), "a?b", "unrepresentable is ?");
	buf_reset(&b);
	CHECK(msg_conv(&b, "utf-8", "utf-8", "a\xff" "b", 3) == 1,
		"bad utf-8 lossy");
	CHECK_STR(buf_str(&b), "a?b", "bad utf-8 is ?");
	buf_reset(&b);
	msg_conv(&b, "iso-8859-1", "utf-8", "\xc3\xa9", 2);
	CHECK_STR(buf_str(&b), "\xe9", "utf-8 to latin-1");
	buf_reset(&b);
	msg_conv(&b, "utf-8", "koi8-r", "\xf0\xd2\xc9", 3);
	CHECK_STR(buf_str(&b), "\xd0\x9f\xd1\x80\xd0\xb8", "koi8-r");
	buf_free(&b);
	b = (struct buf)BUF_INIT(4);
	CHECK(msg_conv(&b, "utf-8", "euc-kr", euckr, strlen(euckr)) == -1 &&
		errno == E2BIG, "conv respects the cap");
	buf_free(&b);
}

static void test_headers(void)
{
	static const char m[] = "From sender Thu May 21 17:31:00 2026\n"
		"Subject: one\r\n two\r\n"
		"X-Bad line\n"
		"To :  a@b\n"
		"\tfolded\n"
		": empty name\n"
		"Subject: second\n"
		"\n"
		"body\n";
	struct msg_hdr hs[8];
	struct msg_hdrs h = { hs, 0, 8, 0, 0 };
	const struct msg_hdr *f;
	struct buf b = BUF_INIT(256);

	CHECK(msg_headers(&h, m, strlen(m)) == 3, "three fields");
	CHECK(h.dropped == 2, "two malformed lines");
	CHECK(strcmp(m + h.size, "body\n") == 0, "body after blank line");
	f = msg_hdr_find(&h, "subject", NULL);
	msg_unfold(&b, f->value, f->vlen);
	CHECK_STR(buf_str(&b), "one two", "unfolded");
	f = msg_hdr_find(&h, "SUBJECT", f);
	CHECK(f && f->vlen == 6, "second subject");
	buf_reset(&b);
	f = msg_hdr_find(&h, "to", NULL);
	msg_unfold(&b, f->value, f->vlen);
	CHECK_STR(buf_str(&b), "a@b folded", "name with blank before colon");
	h.max = 1;
	msg_headers(&h, m, strlen(m));
	CHECK(h.n == 1 && h.dropped == 4, "field count limit");
	buf_free(&b);
}

static const struct { const char *list; const char *want; } addrs[] = {
	{ "John Doe <jdoe@example.com>", "John Doe|jdoe@example.com" },
	{ "\"Doe, John\" <j@x>, k@y (Kay)", "Doe, John|j@x;Kay|k@y" },
	{ "team: a@b, \"c\" <c@d>;, e@f", "|a@b;c|c@d;|e@f" },
	{ "=?EUC-KR?B?x9Gx2yDBprjx?= <k@kr>", HAN_GEUL_JEMOK "|k@kr" },
	{ "<@route,@r2:x@y>", "|x@y" },
	{ "undisclosed-recipients:;", "" },
	{ "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
		"Mary Smith|mary@x.test;|jdoe@example.org;Who?|one@y.test" },
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test>",
		"Pete|pete@silly.test" },
};

static void test_addrs(void)
{
	struct msg_addr a;
	struct buf b = BUF_INIT(1024);
	const char *p;
	size_t i, n;

	for (i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		buf_reset(&b);
		p = addrs[i].list;
		n = strlen(p);
		while (msg_addr_next(&p, &n, &a))
			buf_printf(&b, "%s%s|%s", b.len ? ";" : "", a.name,
				a.addr);
		CHECK_STR(buf_str(&b), addrs[i].want, addrs[i].list);
	}
	buf_free(&b);
}

static const struct { const char *v, *name, *want; } params[] = {
	{ "text/plain; charset=\"EUC-KR\"", "charset", "EUC-KR" },
	{ "text/plain;charset=utf-8 (comment)", "charset", "utf-8" },
	{ "attachment; filename=\"a \\\"b\\\".txt\"", "filename",
		"a \"b\".txt" },
	/* RFC 2231 3, 4, 4.1 */
	{ "application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A"
		"%2Afun%2A%2A%2A", "title", "This is ***fun***" },
	{ "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";"
		"\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
		"url", "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar" },
	{ "application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more"
		"%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
		"title", "This is even more ***fun*** isn't it!" },
	{ "attachment; filename*=UTF-8''%ED%95%9C.txt", "filename",
		"\xed\x95\x9c.txt" },
	{ "attachment; filename*=EUC-KR''%C7%D1.txt", "filename",
		"\xed\x95\x9c.txt" },
	{ "attachment; filename=\"=?EUC-KR?B?x9Gx2yDBprjx?=.txt\"", "filename",
		HAN_GEUL_JEMOK ".txt" },
	{ "text/plain", "charset", "(absent)" },
	{ "multipart/mixed; boundary=\"=-=-=\"", "boundary", "=-=-=" },
};

static void test_params(void)
{
	struct buf b = BUF_INIT(1024);
	size_t i;
	char t[32];

	for (i = 0; i < sizeof params / sizeof params[0]; i++) {
		buf_reset(&b);
		if (msg_param(&b, params[i].v, strlen(params[i].v),
				params[i].name) == 0)
			buf_adds(&b, "(absent)");
		CHECK_STR(buf_str(&b), params[i].want, params[i].v);
	}
	CHECK_STR(msg_mime_type(t, sizeof t, " Text/HTML ; x=y", 16),
		"text/html", "mime type lower-cased");
	buf_free(&b);
}

static void test_mime(void)
{
	static const char m[] = "Subject: x\n"
		"Content-Type: multipart/mixed; boundary=\"XX\"\n"
		"\n"
		"preamble\n"
		"--XX\n"
		"Content-Type: text/plain; charset=euc-kr\n"
		"Content-Transfer-Encoding: base64\n"
		"\n"
		"x9Gx2yDBprjx\n"
		"--XX\n"
		"Content-Type: multipart/alternative; boundary=YY\n"
		"\n"
		"--YY\r\n"
		"Content-Type: text/html\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"<p>caf=C3=A9 &amp; cr=\r\n"
		"=C3=A8me</p>\r\n"
		"--YY--\n"
		"--XX\n"
		"Content-Type: application/pdf; name=\"a.pdf\"\n"
		"Content-Disposition: attachment; filename*=UTF-8''%ED%95%9C.pdf\n"
		"Content-Transfer-Encoding: BASE64\n"
		"\n"
		"JVBERi0=\n"
		"--XX\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"Subject: inner\n"
		"\n"
		"inner body\n"
		"--XX--\n"
		"epilogue\n";
	struct msg_part parts[10];
	struct msg_hdr hs[16];
	struct buf b = BUF_INIT(4096), t = BUF_INIT(4096);
	size_t n;

	n = msg_mime_walk(m, strlen(m), parts, 10, hs, 16);
	CHECK(n == 7, "seven parts");
	CHECK(parts[0].container && parts[0].depth == 0, "root container");
	CHECK_STR(parts[1].type, "text/plain", "part 1 type");
	CHECK_STR(parts[1].charset, "euc-kr", "part 1 charset");
	msg_part_decode(&b, &parts[1]);
	msg_conv(&t, "utf-8", parts[1].charset, b.p, b.len);
	CHECK_STR(buf_str(&t), HAN_GEUL_JEMOK, "part 1 decoded korean");
	CHECK(parts[2].container && parts[3].depth == 2, "nested");
	buf_reset(&b);
	buf_reset(&t);
	msg_part_decode(&b, &parts[3]);
	CHECK_STR(buf_str(&b), "<p>caf\xc3\xa9 &amp; cr\xc3\xa8me</p>",
		"qp part, delimiter's line end excluded");
	msg_html_text(&t, b.p, b.len);
	CHECK_STR(buf_str(&t), "caf\xc3\xa9 & cr\xc3\xa8me\n", "html text");
	CHECK(parts[4].attachment, "attachment");
	CHECK_STR(parts[4].name, "\xed\x95\x9c.pdf", "filename* wins");
	buf_reset(&b);
	msg_part_decode(&b, &parts[4]);
	CHECK(b.len == 5 && memcmp(b.p, "%PDF-", 5) == 0, "base64 part");
	CHECK_STR(parts[5].type, "message/rfc822", "rfc822");
	CHECK(parts[6].depth == 2 && parts[6].blen == 10, "inner message");
	
	/* the limit on parts */
	CHECK(msg_mime_walk(m, strlen(m), parts, 3, hs, 16) == 3, "part cap");
	buf_free(&b);
	buf_free(&t);
}

static void test_qp(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "a=3Db", "a=b" }, { "soft=\nbreak", "softbreak" },
		{ "soft= \r\nbreak", "softbreak" }, { "trail   \nx", "trail\nx" },
		{ "bad=ZZ=", "bad=ZZ" }, { "low=e9", "low\xe9" }, { "=", "" },
		{ "x=4", "x=4" },
	};
	struct buf b = BUF_INIT(4096);
	char d[64], big[128];
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		n = qp_decode(d, sizeof d, v[i].in, strlen(v[i].in), 0);
		d[n < 0 ? 0 : n] = 0;
		CHECK_STR(d, v[i].want, v[i].in);
	}
	CHECK(qp_decode(d, 2, "abc", 3, 0) == -1 && errno == E2BIG, "qp cap");
	qp_encode(&b, "caf\xc3\xa9 = ok \n", 12);
	CHECK_STR(buf_str(&b), "caf=C3=A9 =3D ok=20\n", "qp encode");
	buf_reset(&b);
	memset(d, 'a', 63);
	buf_add(&b, d, 63);
	buf_add(&b, d, 63);
	{
		struct buf e = BUF_INIT(4096);

		qp_encode(&e, b.p, b.len);
		buf_free(&b);
		b = e;
	}
	CHECK(strchr(b.p, '\n') && strchr(b.p, '\n') - b.p <= 76,
		"qp lines at most 76");
	n = qp_decode(big, sizeof big, b.p, strchr(b.p, '\n') - b.p + 1, 0);
	CHECK(n == 75, "qp soft break round trip");
	buf_free(&b);
}

static void test_encode(void)
{
	struct buf b = BUF_INIT(4096);

	msg_header_encode(&b, "Subject", "hello\r\nBcc: evil@x", 0);
	CHECK_STR(buf_str(&b), "Subject: hello  Bcc: evil@x\n",
		"no header injection");
	buf_reset(&b);
	msg_header_encode(&b, "Subject", HAN_GEUL_JEMOK, 0);
	CHECK_STR(buf_str(&b), "Subject: =?UTF-8?B?7ZWc6riAIOygnOuqqQ==?=\n",
		"korean subject");
	buf_reset(&b);
	msg_header_encode(&b, "To", "\xed\x95\x9c <k@kr>, plain@x, "
		"\"A, B\" <ab@x>", 1);
	CHECK_STR(buf_str(&b), "To: =?UTF-8?B?7ZWc?= <k@kr>, plain@x, "
		"\"A, B\" <ab@x>\n", "address list");
	buf_reset(&b);
	msg_header_encode(&b, "To", "a@b\nCc: evil@x", 1);
	CHECK(!strstr(b.p, "\nCc:"), "no injection in addresses");
	buf_reset(&b);
	{
		char longs[400];
		struct msg_hdr hs[4];
		struct msg_hdrs h = { hs, 0, 4, 0, 0 };
		struct buf d = BUF_INIT(4096);
		size_t i;
		const char *l;
		int ok = 1;

		for (i = 0; i < 100; i++)
			memcpy(longs + 3 * i, "\xed\x95\x9c", 3);
		longs[300] = 0;
		msg_header_encode(&b, "Subject", longs, 0);
		for (l = b.p; (l = strchr(l, '\n')); l++)
			;
		for (l = b.p; *l; ) {
			const char *e = strchr(l, '\n');

			ok &= e - l <= 76;
			l = e + 1;
		}
		CHECK(ok, "encoded lines at most 76");
		msg_headers(&h, b.p, b.len);
		msg_unfold(&d, hs[0].value, hs[0].vlen);
		buf_reset(&b);
		msg_decode_header(&b, d.p, d.len, NULL);
		CHECK_STR(buf_str(&b), longs, "long subject round trip");
		buf_free(&d);
	}
	buf_free(&b);
	CHECK(!msg_needs_mime("plain\n", 6) && msg_needs_mime("\xc3\xa9", 2),
		"needs mime");
}

static void test_html(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "<html><head><title>T</title><style>p{}</style></head>"
			"<body><p>Hello,<br>world</p><p>Next &lt;b&gt; "
			"&#xD55C;&#54620;</p></body></html>",
			"Hello,\nworld\n\nNext <b> \xed\x95\x9c\xed\x95\x9c\n" },
		{ "<ul><li>one<li>two</ul>x", "* one\n* two\nx\n" },
		{ "a <!-- <p> --> b < c &bogus; d", "a b < c &bogus; d\n" },
		{ "<script>alert('<p>')</script>ok", "ok\n" },
		{ "<a href=\"x>y\">link</a>", "link\n" },
	};
	struct buf b = BUF_INIT(4096);
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		buf_reset(&b);
		msg_html_text(&b, v[i].in, strlen(v[i].in));
		CHECK_STR(buf_str(&b), v[i].want, v[i].in);
	}
	buf_free(&b);
}

/* A bounded fuzz: the MIME sample mutated (bytes flipped, cut, blown
 * up with delimiters and encoded words), through every parser.  Passes
 * when nothing crashes and every output respects its cap. */
static void test_fuzz(void)
{
	static const char seed[] = "Subject: =?EUC-KR?B?x9Gx2yDBprjx?= x\n"
		"From: \"a\\\" b\" <a@b>, (c) d@e, g: h@i;\n"
		"Content-Type: multipart/mixed; boundary=\"XX\"; "
		"name*0*=UTF-8''%ED%95; name*1*=%9C\n\n"
		"--XX\nContent-Type: text/html; charset=iso-2022-kr\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"<p>a=3D&amp;&#xD55C;<br>\x1b$)C\x0e>H\x0f=\n"
		"--XX\nContent-Type: message/rfc822\n\n"
		"Content-Type: multipart/alternative; boundary=YY\n\n"
		"--YY\nContent-Transfer-Encoding: base64\n\n7ZWc\n--YY--\n"
		"--XX--\n";
	char *m = malloc(4096);
	struct msg_part *parts = malloc(64 * sizeof *parts);
	struct msg_hdr hs[32];
	struct buf b = BUF_INIT(1 << 16);
	struct msg_addr a;
	unsigned long r = 12345;
	size_t it, n, k, np, left;
	const char *p;
	int ok = 1;

	for (it = 0; it < 3000; it++) {
		n = sizeof seed - 1;
		memcpy(m, seed, n);
		for (k = 0; k < 1 + it % 8; k++) {
			r = r * 6364136223846793005UL + 1442695040888963407UL;
			switch (r >> 60 & 3) {
			case 0:
				m[(r >> 20) % n] = r >> 8;
				break;
			case 1:
				n = (r >> 20) % n + 1;
				break;
			case 2:
				if (n + 8 < 4096) {
					memcpy(m + n, r & 1 ? "\n--XX\n" :
						"=?B?x?=", 7);
					n += 7;
				}
				break;
			default:
				m[(r >> 20) % n] = "\n:;<>\"=?%\\&#"[r % 13];
			}
		}
		np = msg_mime_walk(m, n, parts, 64, hs, 32);
		ok &= np >= 1 && np <= 64;
		for (k = 0; k < np; k++) {
			buf_reset(&b);
			if (msg_part_decode(&b, &parts[k]) == 0) {
				struct buf u = BUF_INIT(1 << 16);

				msg_conv(&u, "utf-8", parts[k].charset,
					b.p ? b.p : "", b.len);
				buf_reset(&b);
				msg_html_text(&b, u.p ? u.p : "", u.len);
				buf_free(&u);
			}
			ok &= b.len <= b.max;
		}
		buf_reset(&b);
		msg_decode_header(&b, m, n, "euc-kr");
		ok &= b.len <= b.max && strlen(buf_str(&b)) == b.len;
		p = m;
		left = n;
		for (k = 0; k < 1000 && msg_addr_next(&p, &left, &a); k++)
			ok &= strlen(a.name) < sizeof a.name &&
				strlen(a.addr) < sizeof a.addr;
		ok &= k < 1000;
		buf_reset(&b);
		msg_param(&b, m, n, "name");
		buf_reset(&b);
		msg_header_encode(&b, "Subject", buf_str(&b), 0);
	}
	CHECK(ok, "fuzz: 3000 mutated messages through every parser");
	buf_free(&b);
	free(m);
	free(parts);
}

int main(void)
{
	test_fuzz();
	/* the vectors in legacy charsets need iconv (MAIL_CJK) */
	if (CFG_MAIL_CJK) {
		test_words();
		test_conv();
		test_addrs();
		test_params();
		test_mime();
	}
	test_headers();
	test_qp();
	test_encode();
	test_html();
	return unit_done();
}
