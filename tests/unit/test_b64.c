/* test_b64: RFC 4648 10 vectors both ways, and junk that must fail. */
#include "libmini.h"
#include "unit.h"
#include <errno.h>

static const struct { const char *raw, *enc; } vectors[] = {
	/* RFC 4648 10 */
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
	/* RFC 4616 4's PLAIN message with its NULs is in test_auth */
	{ "\xff\xfe\xfd", "//79" },
};

static const char *junk[] = {
	"Zg", "Zg=", "Z===", "=Zg=", "Zm9v!", "Zm 9v", "Zm9v\r\n",
	"Zh==",		/* non-zero spare bits (RFC 4648 3.5) */
	"Zm9=",		/* non-zero spare bits */
	"Zg==Zg==", "Zg===", "Zm8=x", "Zm9vYg=a", "\x80\x80\x80\x80",
	"Zm9v\0YmFy",
};

int main(void)
{
	char enc[64], dec[64], name[80];
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		n = b64_encode(enc, sizeof enc, vectors[i].raw,
			strlen(vectors[i].raw));
		snprintf(name, sizeof name, "encode \"%s\"", vectors[i].raw);
		CHECK(n == (ssize_t)strlen(vectors[i].enc) &&
			strcmp(enc, vectors[i].enc) == 0, name);
		n = b64_decode(dec, sizeof dec, vectors[i].enc,
			strlen(vectors[i].enc), 0);
		snprintf(name, sizeof name, "decode \"%s\"", vectors[i].enc);
		CHECK(n == (ssize_t)strlen(vectors[i].raw) &&
			memcmp(dec, vectors[i].raw, n) == 0, name);
	}
	for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		size_t len = strlen(junk[i]);

		if (i == sizeof junk / sizeof junk[0] - 1)
			len = 10;	/* with its NUL */
		errno = 0;
		n = b64_decode(dec, sizeof dec, junk[i], len, 0);
		snprintf(name, sizeof name, "junk %zu rejected", i);
		CHECK(n == -1 && errno == EINVAL, name);
	}
	/* blanks are skipped only when asked (MIME bodies) */
	n = b64_decode(dec, sizeof dec, "Zm9v\r\nYmFy\r\n", 12, B64_SPACE);
	CHECK(n == 6 && memcmp(dec, "foobar", 6) == 0, "B64_SPACE skips CRLF");
	n = b64_decode(dec, sizeof dec, "Zm8=\r\n", 6, B64_SPACE);
	CHECK(n == 2 && memcmp(dec, "fo", 2) == 0, "B64_SPACE after padding");
	/* bounds */
	CHECK(b64_encode(enc, 9, "foobar", 6) == 8, "encode fits exactly");
	CHECK(b64_encode(enc, 8, "foobar", 6) == -1 && errno == E2BIG &&
		enc[0] == 0, "encode one short: E2BIG");
	CHECK(b64_decode(dec, 6, "Zm9vYmFy", 8, 0) == 6, "decode fits");
	CHECK(b64_decode(dec, 5, "Zm9vYmFy", 8, 0) == -1 && errno == E2BIG,
		"decode one short: E2BIG");
	CHECK(b64_decode(dec, 1, "Zm8=", 4, 0) == -1 && errno == E2BIG,
		"decode padded one short: E2BIG");
	/* random round trips; random text decodes only when canonical */
	{
		static const char set[] = "ABCxyz019+/=\r\n !";
		unsigned long long x = 0x9e3779b97f4a7c15ULL;
		unsigned char raw[64], back[64];
		char text[100], again[100];
		int i, j, n, bad = 0;

		for (i = 0; i < 20000; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			n = x % sizeof raw;
			for (j = 0; j < n; j++)
				raw[j] = x >> (j % 56);
			b64_encode(text, sizeof text, raw, n);
			if (b64_decode(back, sizeof back, text, strlen(text),
					0) != n || memcmp(raw, back, n) != 0)
				bad++;
			n = x % 24;
			for (j = 0; j < n; j++) {
				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				text[j] = set[x % (sizeof set - 1)];
			}
			text[n] = 0;
			j = b64_decode(back, sizeof back, text, n, 0);
			if (j >= 0 && (b64_encode(again, sizeof again, back,
					j) < 0 || strcmp(again, text) != 0))
				bad++;
		}
		CHECK(bad == 0, "random round trips and canonical decoding");
	}
	return unit_done();
}
