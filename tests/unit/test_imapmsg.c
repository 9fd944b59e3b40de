/* test_imapmsg: ENVELOPE, BODY, BODYSTRUCTURE, BODY[section], SEARCH
 * matching, dates and strings of imapmsg.c.  The expected ENVELOPE, BODY,
 * BODYSTRUCTURE and section bytes of the 17 sample messages below are what
 * Dovecot 2.3.19 returned for the same messages (FETCH run once by hand,
 * not in make check), but where noted:
 *  - Dovecot sends strings holding '"', '\' or a tab as literals; we send
 *    them quoted with '\' escapes (both are strings, RFC 3501 9);
 *  - m02: the message/rfc822 part is 195 octets and 12 lines (Dovecot 197
 *    and 13, and 2 more bytes in BODY[2] and BODY[2.TEXT]): the CRLF
 *    before a boundary belongs to the boundary (RFC 2046 5.1.1), also
 *    when an inner multipart's close delimiter comes just before it;
 *  - m05: a malformed Content-Type is text/plain (RFC 2045 5.2), where
 *    Dovecot shows ("garbage" "");
 *  - m12: the empty element of "<a@b>, , c@d" is skipped (RFC 5322 4.4),
 *    where Dovecot adds a (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN");
 *  - m11: HEADER.FIELDS.NOT of a header without its blank line ends with
 *    the blank line, as HEADER.FIELDS does (Dovecot omits it there). */
#include "libmini.h"
#include "unit.h"
#include "../fuzz/imapsyntax.h"
#include <errno.h>
#include <stdlib.h>

enum { M_M01, M_M02, M_M03, M_M04, M_M05, M_M06, M_M07, M_M08, M_M09,
	M_M10, M_M11, M_M12, M_M13, M_M14, M_M15, M_M16, M_M17 };

/* message, ENVELOPE, BODY, BODYSTRUCTURE */
static const struct {
	const char *msg, *env, *body, *bs;
} msgs[] = {
	{ /* m01 */
		"Date: Tue, 1 Dec 2026 10:00:00 +0100\r\n"
		"From: John  Smith <john@example.com>, \"Q\\\"x\\\\y\" "
		"<q@ex.org>\r\n"
		"To: undisclosed-recipients:;\r\n"
		"Cc: team: a@b.c, \"Bee\" <b@c.d>;, solo@x.y\r\n"
		"Bcc: noat, (only comment) c@d (Comment Name)\r\n"
		"Reply-To: <@r1,@r2:route@x.y>\r\n"
		"Subject: =?utf-8?q?caf=C3=A9?= and\r\n"
		" folded\r\n"
		"Message-ID: <id1@x>\r\n"
		"In-Reply-To: <prev@x>\r\n"
		"Content-Type: Text/HTML; Charset=\"ISO-8859-1\"; x*=utf-8''%"
		"41; y*0=a; y*1=b\r\n"
		"Content-ID: <cid@x>\r\n"
		"Content-Description: a desc\r\n"
		"Content-Transfer-Encoding: Quoted-Printable\r\n"
		"Content-Disposition: inline; filename=\"a b.html\"\r\n"
		"Content-Language: en, de\r\n"
		"Content-Location: http://x/y\r\n"
		"Content-MD5: abcd\r\n"
		"\r\n"
		"<p>caf=E9</p>\r\n"
		"second line\r\n",
		"(\"Tue, 1 Dec 2026 10:00:00 +0100\" \"=?utf-8?q?caf=C3=A9?= "
		"and folded\" ((\"John Smith\" NIL \"john\" \"example.com\")("
		"\"Q\\\"x\\\\y\" NIL \"q\" \"ex.org\")) ((\"John Smith\" "
		"NIL \"john\" \"example.com\")(\"Q\\\"x\\\\y\" NIL \"q\" "
		"\"ex.org\")) ((NIL \"@r1,@r2\" \"route\" \"x.y\")) ((NIL "
		"NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
		"((NIL NIL \"team\" NIL)(NIL NIL \"a\" \"b.c\")(\"Bee\" "
		"NIL \"b\" \"c.d\")(NIL NIL NIL NIL)(NIL NIL \"solo\" \"x.y\""
		")) ((NIL NIL \"noat\" \"MISSING_DOMAIN\")(\"Comment Name\" "
		"NIL \"c\" \"d\")) \"<prev@x>\" \"<id1@x>\")",
		"(\"Text\" \"HTML\" (\"Charset\" \"ISO-8859-1\" \"x*\" "
		"\"utf-8''%41\" \"y\" \"ab\") \"<cid@x>\" \"a desc\" \"Quoted"
		"-Printable\" 28 2)",
		"(\"Text\" \"HTML\" (\"Charset\" \"ISO-8859-1\" \"x*\" "
		"\"utf-8''%41\" \"y\" \"ab\") \"<cid@x>\" \"a desc\" \"Quoted"
		"-Printable\" 28 2 \"abcd\" (\"inline\" (\"filename\" \"a "
		"b.html\")) (\"en\" \"de\") \"http://x/y\")" },
	{ /* m02 */
		"From: a@b.c\r\n"
		"Subject:\r\n"
		"Content-Type: multipart/mixed; boundary=\"BB\"\r\n"
		"\r\n"
		"preamble\r\n"
		"--BB\r\n"
		"\r\n"
		"no content type part\r\n"
		"--BB\r\n"
		"Content-Type: message/rfc822\r\n"
		"\r\n"
		"From: inner@x.y\r\n"
		"Subject: inner\r\n"
		"Content-Type: multipart/alternative; boundary=CC\r\n"
		"\r\n"
		"--CC\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"inner text\r\n"
		"--CC\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"\r\n"
		"<b>x</b>\r\n"
		"--CC--\r\n"
		"--BB\r\n"
		"Content-Type: application/octet-stream; name=x.bin\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"Content-Disposition: attachment; filename=x.bin; size=3\r\n"
		"\r\n"
		"AAAA\r\n"
		"--BB\r\n"
		"Content-Type: multipart/related; boundary=DD\r\n"
		"\r\n"
		"--DD\r\n"
		"Content-Type: image/png\r\n"
		"\r\n"
		"xx\r\n",
		"(NIL \"\" ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")"
		") ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)",
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 20 0)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" "
		"195 (NIL \"inner\" ((NIL NIL \"inner\" \"x.y\")) ((NIL "
		"NIL \"inner\" \"x.y\")) ((NIL NIL \"inner\" \"x.y\")) "
		"NIL NIL NIL NIL NIL) ((\"text\" \"plain\" (\"charset\" "
		"\"us-ascii\") NIL NIL \"7bit\" 10 0)(\"text\" \"html\" "
		"(\"charset\" \"utf-8\") NIL NIL \"7bit\" 8 0) \"alternative\""
		") 12)(\"application\" \"octet-stream\" (\"name\" \"x.bin\") "
		"NIL NIL \"base64\" 4)((\"image\" \"png\" NIL NIL NIL \"7bit\""
		" 4) \"related\") \"mixed\")",
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 20 0 NIL NIL NIL NIL)(\"message\" \"rfc822\" "
		"NIL NIL NIL \"7bit\" 195 (NIL \"inner\" ((NIL NIL \"inner\" "
		"\"x.y\")) ((NIL NIL \"inner\" \"x.y\")) ((NIL NIL \"inner\" "
		"\"x.y\")) NIL NIL NIL NIL NIL) ((\"text\" \"plain\" (\"chars"
		"et\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)(\""
		"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" "
		"8 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"CC\") "
		"NIL NIL NIL) 12 NIL NIL NIL NIL)(\"application\" \"octet-str"
		"eam\" (\"name\" \"x.bin\") NIL NIL \"base64\" 4 NIL (\"attac"
		"hment\" (\"filename\" \"x.bin\" \"size\" \"3\")) NIL NIL)((\""
		"image\" \"png\" NIL NIL NIL \"7bit\" 4 NIL NIL NIL NIL) "
		"\"related\" (\"boundary\" \"DD\") NIL NIL NIL) \"mixed\" "
		"(\"boundary\" \"BB\") NIL NIL NIL)" },
	{ /* m03 */
		"From: a@b.c\r\n"
		"Content-Type: multipart/mixed; boundary=EE\r\n"
		"\r\n"
		"no parts at all\r\n",
		"(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\"))"
		" ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)",
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0) \"mixed\")",
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
		"\"EE\") NIL NIL NIL)" },
	{ /* m04 */
		"From: a@b.c\r\n"
		"Content-Type: multipart/mixed\r\n"
		"\r\n"
		"no boundary\r\n",
		"(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\"))"
		" ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)",
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0) \"mixed\")",
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)" },
	{ /* m05 */
		"From: a@b.c\r\n"
		"Content-Type: garbage\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"x\r\n",
		"(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\"))"
		" ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"8bit\" 3 1)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"8bit\" 3 1 NIL NIL NIL NIL)" },
	{ /* m06 */
		"From: =?x?= \xc3\xa9t\xc3\xa9 <e@x.y>\r\n"
		"Subject: \xc3\xa9\r\n"
		"\r\n"
		"no final newline",
		"(NIL {2}\r\n"
		"\xc3\xa9 (({11}\r\n"
		"=?x?= \xc3\xa9t\xc3\xa9 NIL \"e\" \"x.y\")) (({11}\r\n"
		"=?x?= \xc3\xa9t\xc3\xa9 NIL \"e\" \"x.y\")) (({11}\r\n"
		"=?x?= \xc3\xa9t\xc3\xa9 NIL \"e\" \"x.y\")) NIL NIL NIL "
		"NIL NIL)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 16 0)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 16 0 NIL NIL NIL NIL)" },
	{ /* m07 */
		"From: a@b.c\r\n"
		"Content-Type: message/rfc822\r\n"
		"\r\n"
		"Subject: inner only\r\n"
		"\r\n"
		"body\r\n",
		"(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\"))"
		" ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 29 (NIL \"inner"
		" only\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\""
		" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1) 3)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 29 (NIL \"inner"
		" only\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\""
		" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL "
		"NIL NIL) 3 NIL NIL NIL NIL)" },
	{ /* m08 */
		"From: a@b.c\r\n"
		"Content-Type: message/rfc822\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"U3ViamVjdDogeAoKeQo=\r\n",
		"(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\"))"
		" ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 22 (NIL "
		"NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
		"(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 1)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 22 (NIL "
		"NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
		"(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL "
		"NIL NIL) 1 NIL NIL NIL NIL)" },
	{ /* m09 */
		"From: a@b.c\r\n"
		"Content-Type: multipart/digest; boundary=Z\r\n"
		"\r\n"
		"--Z\r\n"
		"\r\n"
		"Subject: d1\r\n"
		"\r\n"
		"one\r\n"
		"--Z\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"two\r\n"
		"--Z--\r\n"
		"epilogue\r\n",
		"(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\"))"
		" ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)",
		"((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 18 (NIL "
		"\"d1\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
		"(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0) 2)(\"text\""
		" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
		"3 0) \"digest\")",
		"((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 18 (NIL "
		"\"d1\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" "
		"(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL "
		"NIL NIL) 2 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" "
		"\"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL NIL NIL) \"digest"
		"\" (\"boundary\" \"Z\") NIL NIL NIL)" },
	{ /* m10 */
		"From: Group: ;\r\n"
		"Sender: \r\n"
		"To: \"a b\"@x.y, a@[1.2.3.4], <>, @, x@\r\n"
		"Subject: plain\r\n"
		"Content-Type: text/plain; charset=us-ascii; format=flowed\r\n"
		"Content-Disposition: attachment\r\n",
		"(NIL \"plain\" ((NIL NIL \"Group\" NIL)(NIL NIL NIL NIL)) "
		"((NIL NIL \"Group\" NIL)(NIL NIL NIL NIL)) ((NIL NIL \"Group"
		"\" NIL)(NIL NIL NIL NIL)) ((NIL NIL \"a b\" \"x.y\")(NIL "
		"NIL \"a\" \"[1.2.3.4]\")(NIL NIL \"MISSING_MAILBOX\" \"MISSI"
		"NG_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
		"(NIL NIL \"x\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\" \"format\" "
		"\"flowed\") NIL NIL \"7bit\" 0 0)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\" \"format\" "
		"\"flowed\") NIL NIL \"7bit\" 0 0 NIL (\"attachment\" NIL) "
		"NIL NIL)" },
	{ /* m11 */
		"From: a@b\r\n"
		"Content-Type: text/plain; format=flowed\r\n"
		"Content-Language: en\r\n"
		"Content-Disposition: inline; filename*0=\"a\"; filename*1*=%"
		"41\r\n"
		"Subject: x",
		"(NIL \"x\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
		"((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)",
		"(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" "
		"\"us-ascii\") NIL NIL \"7bit\" 0 0)",
		"(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" "
		"\"us-ascii\") NIL NIL \"7bit\" 0 0 NIL (\"inline\" (\"filena"
		"me*\" \"''a%41\")) (\"en\") NIL)" },
	{ /* m12 */
		"From: \"Doe, John\" <j@d.example>, Team: x@y.z, \"W \\\\ "
		"Z\" <w@z>;\r\n"
		"To: <a@b>, , c@d\r\n"
		"Cc: =?utf-8?b?w6k=?= <e@f>\r\n"
		"Subject: tab\x09in\x09subject\r\n"
		"In-Reply-To: <a@x> <b@x>\r\n"
		"Message-ID:   <spaced@x>  \r\n"
		"Date: Mon, 7 Dec 2026 23:30:00 -0800 (PST)\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed (comment); boundary=\"with "
		"space =\"\r\n"
		"\r\n"
		"--with space =\r\n"
		"Content-Type: multipart/alternative; boundary=alt\r\n"
		"\r\n"
		"--alt\r\n"
		"Content-Type: text/plain (c); charset=\"utf-8\"; format=flow"
		"ed\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"h\xc3\xa9llo w\xc3\xb6rld\r\n"
		"--alt\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"<p>h=C3=A9llo</p>\r\n"
		"--alt--\r\n"
		"\r\n"
		"--with space =\r\n"
		"Content-Type: application/pdf; name=\"a\\\"b.pdf\"\r\n"
		"Content-Disposition: attachment; filename=\"r\xc3\xa9sum\xc3"
		"\xa9.pdf\"\r\n"
		"Content-Language:\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"JVBERi0=\r\n"
		"--with space =\r\n"
		"Content-Type: message/rfc822\r\n"
		"Content-Disposition: inline\r\n"
		"\r\n"
		"From: fwd@x.y\r\n"
		"To: someone@x.y\r\n"
		"Subject: forwarded\r\n"
		"Date: 1 Jan 70 00:00 GMT\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"forwarded body\r\n",
		"(\"Mon, 7 Dec 2026 23:30:00 -0800 (PST)\" \"tab\x09in\x09sub"
		"ject\" ((\"Doe, John\" NIL \"j\" \"d.example\")(NIL NIL "
		"\"Team\" NIL)(NIL NIL \"x\" \"y.z\")(\"W \\\\ Z\" NIL "
		"\"w\" \"z\")(NIL NIL NIL NIL)) ((\"Doe, John\" NIL \"j\" "
		"\"d.example\")(NIL NIL \"Team\" NIL)(NIL NIL \"x\" \"y.z\")("
		"\"W \\\\ Z\" NIL \"w\" \"z\")(NIL NIL NIL NIL)) ((\"Doe, "
		"John\" NIL \"j\" \"d.example\")(NIL NIL \"Team\" NIL)(NIL "
		"NIL \"x\" \"y.z\")(\"W \\\\ Z\" NIL \"w\" \"z\")(NIL NIL "
		"NIL NIL)) ((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")) "
		"((\"=?utf-8?b?w6k=?=\" NIL \"e\" \"f\")) NIL \"<a@x> <b@x>\""
		" \"<spaced@x>  \")",
		"(((\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" "
		"\"flowed\") NIL NIL \"8bit\" 13 0)(\"text\" \"html\" (\"char"
		"set\" \"utf-8\") NIL NIL \"quoted-printable\" 17 0) \"altern"
		"ative\")(\"application\" \"pdf\" (\"name\" \"a\\\"b.pdf\") "
		"NIL NIL \"base64\" 8)(\"message\" \"rfc822\" NIL NIL NIL "
		"\"7bit\" 122 (\"1 Jan 70 00:00 GMT\" \"forwarded\" ((NIL "
		"NIL \"fwd\" \"x.y\")) ((NIL NIL \"fwd\" \"x.y\")) ((NIL "
		"NIL \"fwd\" \"x.y\")) ((NIL NIL \"someone\" \"x.y\")) "
		"NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii"
		"\") NIL NIL \"7bit\" 16 1) 7) \"mixed\")",
		"(((\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" "
		"\"flowed\") NIL NIL \"8bit\" 13 0 NIL NIL NIL NIL)(\"text\" "
		"\"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\""
		" 17 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"alt\""
		") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"a\\\"b.pd"
		"f\") NIL NIL \"base64\" 8 NIL (\"attachment\" (\"filename\" "
		"{12}\r\n"
		"r\xc3\xa9sum\xc3\xa9.pdf)) NIL NIL)(\"message\" \"rfc822\" "
		"NIL NIL NIL \"7bit\" 122 (\"1 Jan 70 00:00 GMT\" \"forwarded"
		"\" ((NIL NIL \"fwd\" \"x.y\")) ((NIL NIL \"fwd\" \"x.y\")) "
		"((NIL NIL \"fwd\" \"x.y\")) ((NIL NIL \"someone\" \"x.y\")) "
		"NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii"
		"\") NIL NIL \"7bit\" 16 1 NIL NIL NIL NIL) 7 NIL (\"inline\""
		" NIL) NIL NIL) \"mixed\" (\"boundary\" \"with space =\") "
		"NIL NIL NIL)" },
	{ /* m13 */
		"",
		"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0 NIL NIL NIL NIL)" },
	{ /* m14 */
		"\r\n"
		"body only\r\n",
		"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 11 1)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 11 1 NIL NIL NIL NIL)" },
	{ /* m15 */
		"Subject: no body",
		"(NIL \"no body\" NIL NIL NIL NIL NIL NIL NIL NIL)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0)",
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		"\"7bit\" 0 0 NIL NIL NIL NIL)" },
	{ /* m16 */
		"From: a@b\r\n"
		"Content-Type: multipart/alternative; boundary=a\r\n"
		"\r\n"
		"--a\r\n"
		"Content-Type: multipart/alternative; boundary=b\r\n"
		"\r\n"
		"--b\r\n"
		"Content-Type: multipart/alternative; boundary=c\r\n"
		"\r\n"
		"--c\r\n"
		"\r\n"
		"deep\r\n"
		"--c--\r\n"
		"--b--\r\n"
		"--a\r\n"
		"Content-Type: text/plain; charset=us-ascii; name*=iso-8859-1"
		"'en'%E9t%E9\r\n"
		"\r\n"
		"x\r\n"
		"--a--\r\n",
		"(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
		"((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)",
		"((((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
		"NIL \"7bit\" 4 0) \"alternative\") \"alternative\")(\"text\""
		" \"plain\" (\"charset\" \"us-ascii\" \"name*\" \"iso-8859-1'"
		"en'%E9t%E9\") NIL NIL \"7bit\" 1 0) \"alternative\")",
		"((((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
		"NIL \"7bit\" 4 0 NIL NIL NIL NIL) \"alternative\" (\"boundar"
		"y\" \"c\") NIL NIL NIL) \"alternative\" (\"boundary\" "
		"\"b\") NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-asc"
		"ii\" \"name*\" \"iso-8859-1'en'%E9t%E9\") NIL NIL \"7bit\" "
		"1 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"a\") "
		"NIL NIL NIL)" },
	{ /* m17: as Thunderbird writes one */
		"From: Thunder Bird <tb@example.org>\r\n"
		"To: \"Recipient (work)\" <r@example.net>\r\n"
		"Subject: Re: =?UTF-8?Q?=C3=A9t=C3=A9?=\r\n"
		"Date: Mon, 7 Dec 2026 10:11:12 +0100\r\n"
		"Message-ID: <a1b2c3@example.org>\r\n"
		"In-Reply-To: <x@y>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: MULTIPART/MIXED;\r\n"
		" boundary=\"------------abc123\"\r\n"
		"Content-Language: en-US\r\n"
		"\r\n"
		"This is a multi-part message in MIME format.\r\n"
		"--------------abc123\r\n"
		"Content-Type: multipart/related;\r\n"
		" boundary=\"------------rel456\"\r\n"
		"\r\n"
		"--------------rel456\r\n"
		"Content-Type: multipart/alternative;\r\n"
		" boundary=\"------------alt789\"\r\n"
		"\r\n"
		"--------------alt789\r\n"
		"Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"Hi\r\n"
		"\r\n"
		"--------------alt789\r\n"
		"Content-Type: text/html; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"<html><body><img src=\"cid:part1.x@y\"></body></html>\r\n"
		"\r\n"
		"--------------alt789--\r\n"
		"--------------rel456\r\n"
		"Content-Type: image/png; name=\"=?UTF-8?B?w6kucG5n?=\"\r\n"
		"Content-Disposition: inline; filename*=UTF-8''%C3%A9.png\r\n"
		"Content-Id: <part1.x@y>\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"iVBORw0KGgo=\r\n"
		"--------------rel456--\r\n"
		"--------------abc123\r\n"
		"Content-Type: text/plain; charset=UTF-8; name=\"notes.txt\"\r"
		"\n"
		"Content-Disposition: attachment; filename=\"notes.txt\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"aGVsbG8K\r\n"
		"\r\n"
		"--------------abc123--\r\n",
		"(\"Mon, 7 Dec 2026 10:11:12 +0100\" \"Re: =?UTF-8?Q?=C3=A9t="
		"C3=A9?=\" ((\"Thunder Bird\" NIL \"tb\" \"example.org\")) "
		"((\"Thunder Bird\" NIL \"tb\" \"example.org\")) ((\"Thunder "
		"Bird\" NIL \"tb\" \"example.org\")) ((\"Recipient (work)\" "
		"NIL \"r\" \"example.net\")) NIL NIL \"<x@y>\" \"<a1b2c3@exam"
		"ple.org>\")",
		"((((\"text\" \"plain\" (\"charset\" \"UTF-8\" \"format\" "
		"\"flowed\") NIL NIL \"8bit\" 4 1)(\"text\" \"html\" (\"chars"
		"et\" \"UTF-8\") NIL NIL \"8bit\" 53 1) \"alternative\")(\"im"
		"age\" \"png\" (\"name\" \"=?UTF-8?B?w6kucG5n?=\") \"<part1.x"
		"@y>\" NIL \"base64\" 12) \"related\")(\"text\" \"plain\" "
		"(\"charset\" \"UTF-8\" \"name\" \"notes.txt\") NIL NIL "
		"\"base64\" 10 1) \"MIXED\")",
		"((((\"text\" \"plain\" (\"charset\" \"UTF-8\" \"format\" "
		"\"flowed\") NIL NIL \"8bit\" 4 1 NIL NIL NIL NIL)(\"text\" "
		"\"html\" (\"charset\" \"UTF-8\") NIL NIL \"8bit\" 53 1 "
		"NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"-----------"
		"-alt789\") NIL NIL NIL)(\"image\" \"png\" (\"name\" \"=?UTF-"
		"8?B?w6kucG5n?=\") \"<part1.x@y>\" NIL \"base64\" 12 NIL "
		"(\"inline\" (\"filename*\" \"UTF-8''%C3%A9.png\")) NIL "
		"NIL) \"related\" (\"boundary\" \"------------rel456\") "
		"NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"UTF-8\" "
		"\"name\" \"notes.txt\") NIL NIL \"base64\" 10 1 NIL (\"attac"
		"hment\" (\"filename\" \"notes.txt\")) NIL NIL) \"MIXED\" "
		"(\"boundary\" \"------------abc123\") NIL (\"en-US\") "
		"NIL)" },
};

/* message, section-spec, the section's bytes */
static const struct {
	int msg;
	const char *spec, *want;
} sections[] = {
	{ M_M07, "1",
		"Subject: inner only\r\n"
		"\r\n"
		"body\r\n" },
	{ M_M07, "1.MIME",
		"From: a@b.c\r\n"
		"Content-Type: message/rfc822\r\n"
		"\r\n" },
	{ M_M07, "1.HEADER",
		"Subject: inner only\r\n"
		"\r\n" },
	{ M_M07, "1.TEXT",
		"body\r\n" },
	{ M_M07, "1.1",
		"body\r\n" },
	{ M_M07, "1.1.MIME",
		"Subject: inner only\r\n"
		"\r\n" },
	{ M_M07, "2",
		"" },
	{ M_M07, "1.2",
		"" },
	{ M_M07, "TEXT",
		"Subject: inner only\r\n"
		"\r\n"
		"body\r\n" },
	{ M_M07, "",
		"From: a@b.c\r\n"
		"Content-Type: message/rfc822\r\n"
		"\r\n"
		"Subject: inner only\r\n"
		"\r\n"
		"body\r\n" },
	{ M_M02, "1",
		"no content type part" },
	{ M_M02, "1.MIME",
		"\r\n" },
	{ M_M02, "1.HEADER",
		"" },
	{ M_M02, "1.TEXT",
		"" },
	{ M_M02, "2.HEADER.FIELDS (subject)",
		"Subject: inner\r\n"
		"\r\n" },
	{ M_M02, "2.1",
		"inner text" },
	{ M_M02, "2.2.MIME",
		"Content-Type: text/html; charset=utf-8\r\n"
		"\r\n" },
	{ M_M02, "2.TEXT",
		"--CC\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"inner text\r\n"
		"--CC\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"\r\n"
		"<b>x</b>\r\n"
		"--CC--" },
	{ M_M02, "2.1.1",
		"inner text" },
	{ M_M02, "4.1",
		"xx\r\n" },
	{ M_M02, "3.HEADER",
		"" },
	{ M_M02, "3.1",
		"AAAA" },
	{ M_M02, "4.1.TEXT",
		"" },
	{ M_M02, "5",
		"" },
	{ M_M02, "2.3",
		"" },
	{ M_M02, "4.2",
		"" },
	{ M_M11, "HEADER.FIELDS (Subject)",
		"Subject: x\r\n"
		"\r\n" },
	{ M_M11, "HEADER.FIELDS.NOT (Subject)",
		"From: a@b\r\n"
		"Content-Type: text/plain; format=flowed\r\n"
		"Content-Language: en\r\n"
		"Content-Disposition: inline; filename*0=\"a\"; filename*1*=%"
		"41\r\n"
		"\r\n" },
	{ M_M11, "HEADER",
		"From: a@b\r\n"
		"Content-Type: text/plain; format=flowed\r\n"
		"Content-Language: en\r\n"
		"Content-Disposition: inline; filename*0=\"a\"; filename*1*=%"
		"41\r\n"
		"Subject: x" },
	{ M_M11, "TEXT",
		"" },
	{ M_M11, "1",
		"" },
	{ M_M11, "1.MIME",
		"From: a@b\r\n"
		"Content-Type: text/plain; format=flowed\r\n"
		"Content-Language: en\r\n"
		"Content-Disposition: inline; filename*0=\"a\"; filename*1*=%"
		"41\r\n"
		"Subject: x" },
	{ M_M01, "HEADER.FIELDS (cc \"X-NONE\" to)",
		"To: undisclosed-recipients:;\r\n"
		"Cc: team: a@b.c, \"Bee\" <b@c.d>;, solo@x.y\r\n"
		"\r\n" },
};

static void test_structure(void)
{
	struct buf b = BUF_INIT(1 << 20);
	char name[96];
	size_t i, n;

	for (i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		n = strlen(msgs[i].msg);
		buf_reset(&b);
		snprintf(name, sizeof name, "m%02zu: ENVELOPE", i + 1);
		CHECK(imapmsg_envelope(&b, msgs[i].msg, n) == 0 &&
			syn_check(b.p, b.len, 0, 1) == 0, name);
		CHECK_STR(buf_str(&b), msgs[i].env, name);
		buf_reset(&b);
		snprintf(name, sizeof name, "m%02zu: BODY", i + 1);
		CHECK(imapmsg_bodystructure(&b, msgs[i].msg, n, 0) == 0 &&
			syn_check(b.p, b.len, 0, 0) == 0, name);
		CHECK_STR(buf_str(&b), msgs[i].body, name);
		buf_reset(&b);
		snprintf(name, sizeof name, "m%02zu: BODYSTRUCTURE", i + 1);
		CHECK(imapmsg_bodystructure(&b, msgs[i].msg, n, 1) == 0 &&
			syn_check(b.p, b.len, 1, 0) == 0, name);
		CHECK_STR(buf_str(&b), msgs[i].bs, name);
	}
	buf_free(&b);
}

/* the comment of one address is not another's (a fuzzer's find: a
 * stale comment length with no comment crashed) */
static void test_comments(void)
{
	static const char m[] = "From: a@b (x), c@d, e (y), f\r\n\r\n";
	struct buf b = BUF_INIT(4096);

	CHECK(imapmsg_envelope(&b, m, strlen(m)) == 0, "comments");
	CHECK_STR(buf_str(&b), "(NIL NIL ((\"x\" NIL \"a\" \"b\")"
		"(NIL NIL \"c\" \"d\")(\"y\" NIL \"e\" \"MISSING_DOMAIN\")"
		"(NIL NIL \"f\" \"MISSING_DOMAIN\")) ((\"x\" NIL \"a\" \"b\")"
		"(NIL NIL \"c\" \"d\")(\"y\" NIL \"e\" \"MISSING_DOMAIN\")"
		"(NIL NIL \"f\" \"MISSING_DOMAIN\")) ((\"x\" NIL \"a\" \"b\")"
		"(NIL NIL \"c\" \"d\")(\"y\" NIL \"e\" \"MISSING_DOMAIN\")"
		"(NIL NIL \"f\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL NIL)",
		"comments: each address its own");
	buf_free(&b);
}

static void test_sections(void)
{
	struct buf b = BUF_INIT(1 << 20);
	struct imapmsg_section s;
	const char *m;
	char name[96];
	size_t i;

	for (i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		m = msgs[sections[i].msg].msg;
		snprintf(name, sizeof name, "m%02d: BODY[%s]",
			sections[i].msg + 1, sections[i].spec);
		buf_reset(&b);
		CHECK(imapmsg_section_parse(&s, sections[i].spec,
			strlen(sections[i].spec)) == 0 &&
			imapmsg_section(&b, m, strlen(m), &s) == 0, name);
		CHECK(b.len == strlen(sections[i].want), name);
		CHECK_STR(buf_str(&b), sections[i].want, name);
	}
	buf_free(&b);
}

/* section-spec as sent, its echo ("" when it must be refused) */
static const struct {
	const char *spec, *echo;
} specs[] = {
	{ "", "" },
	{ "1", "1" },
	{ "1.2.3", "1.2.3" },
	{ "4294967295", "4294967295" },
	{ "header", "HEADER" },
	{ "Text", "TEXT" },
	{ "2.mime", "2.MIME" },
	{ "1.HEADER", "1.HEADER" },
	{ "1.2.TEXT", "1.2.TEXT" },
	{ "HEADER.FIELDS (From Subject)", "HEADER.FIELDS (FROM SUBJECT)" },
	{ "1.header.fields.not (x-a)", "1.HEADER.FIELDS.NOT (X-A)" },
	{ "HEADER.FIELDS (\"a b\" \"q\\\"\" c])",
		"HEADER.FIELDS (\"A B\" \"Q\\\"\" \"C]\")" },
	{ "HEADER.FIELDS ({4}\r\nab c \"\")",
		"HEADER.FIELDS (\"AB C\" \"\")" },
	{ "HEADER.FIELDS ({2+}\r\nxy)", "HEADER.FIELDS (XY)" },
	{ "0", NULL },
	{ "01", NULL },
	{ "1.0", NULL },
	{ "1.", NULL },
	{ ".1", NULL },
	{ "1..2", NULL },
	{ "4294967296", NULL },
	{ "MIME", NULL },
	{ "HEADERS", NULL },
	{ "1.TEXT.MIME", NULL },
	{ "TEXT ", NULL },
	{ "HEADER.FIELDS", NULL },
	{ "HEADER.FIELDS ()", NULL },
	{ "HEADER.FIELDS (a", NULL },
	{ "HEADER.FIELDS (a) ", NULL },
	{ "HEADER.FIELDS  (a)", NULL },
	{ "HEADER.FIELDS (a  b)", NULL },
	{ "HEADER.FIELDS (a%)", NULL },
	{ "HEADER.FIELDS (\"a\r\")", NULL },
	{ "HEADER.FIELDS ({5}\r\nab)", NULL },
	{ "HEADER.FIELDS ({2}\nab)", NULL },
	{ "HEADER.NOT (a)", NULL },
	{ "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24."
		"25.26.27.28.29.30.31.32.33", NULL },
};

/* NAME made printable: the harness reads one line per result. */
static void shown(char *name)
{
	for (; *name; name++)
		if (*name == '\r' || *name == '\n')
			*name = '~';
}

static void test_section_parse(void)
{
	struct buf b = BUF_INIT(65536);
	struct imapmsg_section s;
	char name[96];
	size_t i;
	int r;

	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		snprintf(name, sizeof name, "section [%.60s]", specs[i].spec);
		shown(name);
		r = imapmsg_section_parse(&s, specs[i].spec,
			strlen(specs[i].spec));
		if (!specs[i].echo) {
			CHECK(r == -1 && errno == EINVAL, name);
			continue;
		}
		buf_reset(&b);
		CHECK(r == 0 && imapmsg_section_format(&b, &s) == 0, name);
		CHECK_STR(buf_str(&b), specs[i].echo, name);
	}
	/* 100 names fit, 101 do not */
	buf_reset(&b);
	buf_adds(&b, "HEADER.FIELDS (");
	for (i = 0; i < IMAPMSG_FIELDS_MAX; i++)
		buf_printf(&b, i ? " X-%zu" : "X-%zu", i);
	CHECK(imapmsg_section_parse(&s, b.p, b.len - 0) == -1,
		"section: the list must be closed");
	buf_addc(&b, ')');
	CHECK(imapmsg_section_parse(&s, b.p, b.len) == 0 &&
		s.nfields == IMAPMSG_FIELDS_MAX, "section: 100 field names");
	b.len--;
	buf_adds(&b, " Y)");
	CHECK(imapmsg_section_parse(&s, b.p, b.len) == -1,
		"section: 101 field names are refused");
	buf_free(&b);
}

/* message, field (NULL: any), key, want; BODY/TEXT searches below */
static const struct {
	int msg;
	const char *field, *key;
	int want;
} hdrsearch[] = {
	{ M_M01, "Subject", "CAF\xc3\x89", 1 },		/* RFC 2047 + case */
	{ M_M01, "subject", "caf\xc3\xa9 and folded", 1 },	/* unfolded */
	{ M_M01, "Subject", "and  folded", 0 },
	{ M_M01, "From", "smith", 1 },
	{ M_M01, "From", "JOHN@EXAMPLE.COM", 1 },
	{ M_M01, "To", "john", 0 },
	{ M_M01, "Cc", "bee", 1 },
	{ M_M01, "X-None", "", 0 },
	{ M_M01, "Subject", "", 1 },	/* empty key: the field is there */
	{ M_M01, NULL, "message-id: <ID1@", 1 },
	{ M_M01, NULL, "second line", 0 },	/* body, not header */
	{ M_M06, "Subject", "\xc3\x89", 1 },	/* raw UTF-8 */
	{ M_M06, "From", "\xc3\x89T\xc3\x89", 1 },
	{ M_M12, "Cc", "\xc3\x89", 1 },
	{ M_M12, "Subject", "TAB IN", 1 },	/* tabs are blanks */
};

static const struct {
	int msg;
	const char *key;
	int text, want;
} bodysearch[] = {
	{ M_M01, "CAF\xc3\x89", 0, 1 },	/* QP, ISO-8859-1 to UTF-8 */
	{ M_M01, "Second LINE", 0, 1 },
	{ M_M01, "in-reply-to", 0, 0 },
	{ M_M01, "in-reply-to", 1, 1 },
	{ M_M01, "", 0, 1 },
	{ M_M02, "inner text", 0, 1 },
	{ M_M02, "<B>X</B>", 0, 1 },
	{ M_M02, "AAAA", 0, 0 },	/* not a text part */
	{ M_M02, "preamble", 0, 0 },
	/* the header of the message inside is TEXT, not BODY (Dovecot) */
	{ M_M02, "Subject: INNER", 0, 0 },
	{ M_M02, "Subject: INNER", 1, 1 },
	{ M_M12, "to: someone", 0, 0 },
	{ M_M12, "to: someone", 1, 1 },
	{ M_M12, "H\xc3\x89LLO W\xc3\x96RLD", 0, 1 },	/* 8bit UTF-8 */
	{ M_M12, "<p>h\xc3\xa9llo", 0, 1 },	/* QP UTF-8 */
	{ M_M12, "forwarded body", 0, 1 },
	{ M_M12, "JVBERi0", 0, 0 },
	{ M_M08, "Subject", 0, 0 },	/* base64 message/rfc822 */
	{ M_M14, "BODY ONLY", 1, 1 },
};

static void test_search(void)
{
	char name[128];
	const char *m;
	size_t i;

	for (i = 0; i < sizeof hdrsearch / sizeof hdrsearch[0]; i++) {
		m = msgs[hdrsearch[i].msg].msg;
		snprintf(name, sizeof name, "search m%02d %s \"%s\"",
			hdrsearch[i].msg + 1, hdrsearch[i].field ?
			hdrsearch[i].field : "TEXT", hdrsearch[i].key);
		CHECK(imapmsg_search_header(m, strlen(m), hdrsearch[i].field,
			hdrsearch[i].key) == hdrsearch[i].want, name);
	}
	for (i = 0; i < sizeof bodysearch / sizeof bodysearch[0]; i++) {
		m = msgs[bodysearch[i].msg].msg;
		snprintf(name, sizeof name, "search m%02d %s \"%s\"",
			bodysearch[i].msg + 1,
			bodysearch[i].text ? "TEXT" : "BODY",
			bodysearch[i].key);
		CHECK(imapmsg_search_body(m, strlen(m), bodysearch[i].key,
			bodysearch[i].text) == bodysearch[i].want, name);
	}
	/* Greek, Cyrillic, Latin Extended-A folding; base64 KOI8-R */
	{
		static const char msg[] =
			"Subject: =?utf-8?b?zqPOn86mzpnOkQ==?="
			" \xc5\x81\xc3\xb3" "d\xc5\xba\r\n"
			"Content-Type: text/plain; charset=koi8-r\r\n"
			"Content-Transfer-Encoding: base64\r\n\r\n"
			"0NLJ18XU\r\n";

		CHECK(imapmsg_search_header(msg, strlen(msg), "subject",
			"\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1") == 1,
			"search: Greek case folding");
		CHECK(imapmsg_search_header(msg, strlen(msg), "subject",
			"\xc5\x82\xc3\x93\x44\xc5\xb9") == 1,
			"search: Latin Extended-A case folding");
		CHECK(imapmsg_search_body(msg, strlen(msg), "\xd0\x9f\xd0"
			"\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2", 0) == 1,
			"search: base64 KOI8-R body, Cyrillic folding");
	}
}

static void test_dates(void)
{
	static const struct {
		const char *date;
		long long t;
		int tz;
	} hdates[] = {
		{ "Tue, 1 Dec 2026 10:00:00 +0100", 1796115600, 3600 },
		{ "1 Dec 2026 10:00 +0100", 1796115600, 3600 },
		{ "Tue,  1 Dec 2026 10:00:00 +0100 (CET)", 1796115600, 3600 },
		{ "Mon, 7 Dec 2026 23:30:00 -0800 (PST)", 1796715000, -28800 },
		{ "Mon, 7 Dec 2026 23:30:00 PST", 1796715000, -28800 },
		{ "Thu, 01 Jan 70 00:00:00 GMT", 0, 0 },
		{ "1 Jan 49 00:00 UT", 2493072000LL, 0 },
		{ "1 Jan 101 00:00 Z", 978307200, 0 },
		{ "(c) Sat, 29 Feb 2020 12:00:00 +0000", 1582977600, 0 },
		{ "Sun, 29 Feb 2021 12:00:00 +0000", -1, 0 },
		{ "Mon, 7 Foo 2026 23:30:00 +0000", -1, 0 },
		{ "7 Dec 2026 24:00:00 +0000", -1, 0 },
		{ "7 Dec 2026 23:30:00 +0060", -1, 0 },
		{ "7 Dec 2026", -1, 0 },
		{ "yesterday", -1, 0 },
	};
	static const struct {
		const char *s;
		int with_time;
		long long t;
	} idates[] = {
		{ "1-Feb-1994", 0, 760060800 },
		{ "\"01-feb-1994\"", 0, 760060800 },
		{ "29-Feb-2000", 0, 951782400 },
		{ "17-Jul-1996 02:44:25 -0700", 1, 837596665 },
		{ "\"17-Jul-1996 02:44:25 -0700\"", 1, 837596665 },
		{ " 7-Jul-1996 02:44:25 +0000", 1, 836707465 },
		{ "29-Feb-1999", 0, -1 },
		{ "1-Feb-94", 0, -1 },
		{ "1 Feb 1994", 0, -1 },
		{ "1-Feb-1994 ", 0, -1 },
		{ "123-Feb-1994", 0, -1 },
		{ "17-Jul-1996 02:44:25", 1, -1 },
		{ "17-Jul-1996 2:44:25 -0700", 1, -1 },
		{ "17-Jul-1996 02:44:25 -070", 1, -1 },
		{ "17-Jul-1996 02:60:25 -0700", 1, -1 },
		{ "1-Feb-1994", 1, -1 },
	};
	char msg[128], name[96], d[IMAPMSG_DATE_MAX];
	size_t i;
	time_t t;
	int tz;

	for (i = 0; i < sizeof hdates / sizeof hdates[0]; i++) {
		snprintf(msg, sizeof msg, "From: a@b\r\nDate: %s\r\n\r\nx",
			hdates[i].date);
		snprintf(name, sizeof name, "Date: %s", hdates[i].date);
		tz = 12345;
		t = imapmsg_date(msg, strlen(msg), &tz);
		CHECK((long long)t == hdates[i].t && (t == -1 ||
			tz == hdates[i].tz), name);
	}
	CHECK(imapmsg_date("Subject: x\r\n\r\n", 14, NULL) == -1,
		"Date: absent");
	for (i = 0; i < sizeof idates / sizeof idates[0]; i++) {
		snprintf(name, sizeof name, "IMAP date %s", idates[i].s);
		t = 0;
		if (idates[i].t == -1)
			CHECK(imapmsg_date_parse(idates[i].s,
				strlen(idates[i].s), &t, idates[i].with_time) ==
				-1 && errno == EINVAL, name);
		else
			CHECK(imapmsg_date_parse(idates[i].s,
				strlen(idates[i].s), &t, idates[i].with_time) ==
				0 && (long long)t == idates[i].t, name);
	}
	CHECK(imapmsg_date_format(837596665, d, sizeof d) == 26,
		"INTERNALDATE");
	CHECK_STR(d, "17-Jul-1996 09:44:25 +0000", "INTERNALDATE");
	CHECK(imapmsg_date_format(0, d, sizeof d) == 26 &&
		strcmp(d, "01-Jan-1970 00:00:00 +0000") == 0, "INTERNALDATE 0");
	CHECK(imapmsg_date_format(0, d, 26) == 0 && d[0] == 0,
		"INTERNALDATE: room too small");
	CHECK(imapmsg_date_parse(d, 0, &t, 0) == -1, "IMAP date: empty");
	imapmsg_date_format(1796115600, d, sizeof d);
	CHECK(imapmsg_date_parse(d, strlen(d), &t, 1) == 0 && t == 1796115600,
		"INTERNALDATE parses back");
}

static void test_quote(void)
{
	static const struct {
		const char *s;
		size_t n;
		const char *want;
	} q[] = {
		{ "", 0, "\"\"" },
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "tab\there", 8, "\"tab\there\"" },
		{ "two\r\nlines", 10, "{10}\r\ntwo\r\nlines" },
		{ "\xc3\xa9", 2, "{2}\r\n\xc3\xa9" },
		{ "n\0ul", 4, "\"nul\"" },
		{ "\xff\0", 2, "{1}\r\n\xff" },
		{ NULL, 0, "NIL" },
	};
	struct buf b = BUF_INIT(64), small = BUF_INIT(4);
	char name[64];
	size_t i;

	for (i = 0; i < sizeof q / sizeof q[0]; i++) {
		buf_reset(&b);
		buf_adds(&b, "x ");
		snprintf(name, sizeof name, "quote %zu", i);
		CHECK(imapmsg_quote(&b, q[i].s, q[i].n) == 0 &&
			b.len == 2 + strlen(q[i].want) &&
			memcmp(b.p + 2, q[i].want, b.len - 2) == 0, name);
	}
	CHECK(imapmsg_quote(&small, "abc", 3) == -1 && errno == E2BIG,
		"quote: the buf is full");
	buf_free(&b);
	buf_free(&small);
}

/* Hostile shapes: each answer is valid syntax, and the work is bounded. */
static void test_hostile(void)
{
	struct buf m = BUF_INIT(8 << 20), b = BUF_INIT(64 << 20);
	struct imapmsg_section s;
	size_t i;

	/* 200 nested multiparts, each open and never closed */
	for (i = 0; i < 200; i++)
		buf_printf(&m, "Content-Type: multipart/mixed; boundary=b%zu"
			"\r\n\r\n--b%zu\r\n", i, i);
	buf_adds(&m, "\r\ndeep\r\n");
	CHECK(imapmsg_bodystructure(&b, m.p, m.len, 1) == 0 &&
		syn_check(b.p, b.len, 1, 0) == 0, "hostile: deep multiparts");
	CHECK(imapmsg_section_parse(&s, "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1",
		35) == 0, "hostile: a deep section parses");
	buf_reset(&b);
	CHECK(imapmsg_section(&b, m.p, m.len, &s) == 0 && b.len == 0,
		"hostile: past the depth limit is no section");
	CHECK(imapmsg_search_body(m.p, m.len, "deep", 0) == 0,
		"hostile: search stops at the depth limit");
	/* 200 nested message/rfc822 */
	buf_reset(&m);
	for (i = 0; i < 200; i++)
		buf_adds(&m, "From: \"a\\\"\" <a@b>\r\n"
			"Content-Type: message/rfc822\r\n\r\n");
	buf_reset(&b);
	CHECK(imapmsg_bodystructure(&b, m.p, m.len, 1) == 0 &&
		syn_check(b.p, b.len, 1, 0) == 0, "hostile: deep messages");
	/* 5000 parts: only IMAPMSG_PARTS_MAX are shown */
	buf_reset(&m);
	buf_adds(&m, "Content-Type: multipart/mixed; boundary=x\r\n\r\n");
	for (i = 0; i < 5000; i++)
		buf_adds(&m, "--x\r\n\r\n.\r\n");
	buf_reset(&b);
	CHECK(imapmsg_bodystructure(&b, m.p, m.len, 0) == 0 &&
		syn_check(b.p, b.len, 0, 0) == 0 &&
		b.len < 100 * IMAPMSG_PARTS_MAX, "hostile: 5000 parts");
	CHECK(imapmsg_section_parse(&s, "4999", 4) == 0, "hostile: 4999");
	buf_reset(&b);
	CHECK(imapmsg_section(&b, m.p, m.len, &s) == 0 && b.len == 1 &&
		b.p[0] == '.', "hostile: part 4999 is there");
	/* a 1 MB address list of junk, and a 1 MB parameter */
	buf_reset(&m);
	buf_adds(&m, "From: ");
	for (i = 0; i < 100000; i++)
		buf_adds(&m, "<@a,\"(\\");
	buf_adds(&m, "\r\nContent-Type: text/plain; name*0=\"");
	for (i = 0; i < 100000; i++)
		buf_adds(&m, "% \\\"");
	buf_adds(&m, "\"; name*1*=x\r\n\r\n");
	buf_reset(&b);
	CHECK(imapmsg_envelope(&b, m.p, m.len) == 0 &&
		syn_check(b.p, b.len, 0, 1) == 0, "hostile: junk addresses");
	buf_reset(&b);
	CHECK(imapmsg_bodystructure(&b, m.p, m.len, 1) == 0 &&
		syn_check(b.p, b.len, 1, 0) == 0, "hostile: long parameter");
	/* obs-route look-alikes: one scan per '<' (this took minutes when
	 * each '<' looked for the route's ':' up to the end) */
	buf_reset(&m);
	buf_adds(&m, "From: ");
	for (i = 0; i < 100000; i++)
		buf_adds(&m, "<@a,");
	buf_adds(&m, "\r\n\r\n");
	buf_reset(&b);
	CHECK(imapmsg_envelope(&b, m.p, m.len) == 0 &&
		syn_check(b.p, b.len, 0, 1) == 0,
		"hostile: '<@a,' 100000 times");
	/* the caller's buf is full: -1, E2BIG */
	b.max = 10;
	buf_reset(&b);
	CHECK(imapmsg_bodystructure(&b, msgs[M_M02].msg,
		strlen(msgs[M_M02].msg), 1) == -1 && errno == E2BIG,
		"hostile: a full buf is an error");
	buf_free(&m);
	buf_free(&b);
}

int main(void)
{
	test_structure();
	test_comments();
	test_sections();
	test_section_parse();
	test_search();
	test_dates();
	test_quote();
	test_hostile();
	return unit_done();
}
