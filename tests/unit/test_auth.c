/* test_auth: password schemes (musl crypt, Dovecot's), the SASL state
 * machines of PLAIN (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195's example),
 * and hostile responses. */
#include "libmini.h"
#include "unit.h"
#include <unistd.h>

/* Hashes of "pass word" made with openssl passwd -1/-5/-6 -salt saltsalt
 * and Python's crypt (glibc's libxcrypt: bcrypt, DES). */
static const struct { const char *secret; int ok; const char *name; } checks[] = {
	{ "{CRYPT}$1$saltsalt$1K7dkhtbTNVUwUicA5kOT1", 1, "$1$ (openssl -1)" },
	{ "{MD5-CRYPT}$1$saltsalt$1K7dkhtbTNVUwUicA5kOT1", 1, "MD5-CRYPT" },
	{ "{SHA256-CRYPT}$5$saltsalt$9Wp9Qw4Ze8Jxq5F1Z3UnS47KFhc8AqhCRyxFDa8e660",
		1, "SHA256-CRYPT (openssl -5)" },
	{ "{SHA512-CRYPT}$6$saltsalt$cc1KsgmlKYtCcnNH8.sv7Fe8mca8fAso5fHlNrb1VZa5WYQ.L3ChTcx06ID.LoaXZAf9CZNraK43XCp7LxKHl1",
		1, "SHA512-CRYPT (openssl -6)" },
	{ "$6$saltsalt$cc1KsgmlKYtCcnNH8.sv7Fe8mca8fAso5fHlNrb1VZa5WYQ.L3ChTcx06ID.LoaXZAf9CZNraK43XCp7LxKHl1",
		1, "no scheme means CRYPT" },
	{ "{BLF-CRYPT}$2b$05$abcdefghijklmnopqrstuuIt/9/tGzLcigNq/.RWIDjeEVR30RSf.",
		1, "BLF-CRYPT $2b$" },
	{ "{CRYPT}ab3jcLo8aNLw6", 0, "DES crypt is not supported" },
	{ "{PLAIN}pass word", 1, "PLAIN" },
	{ "{plain}pass word", 1, "scheme names ignore case" },
	{ "{CLEARTEXT}pass word", 1, "CLEARTEXT" },
	{ "{PLAIN}pass wor", 0, "PLAIN shorter" },
	{ "{PLAIN}pass words", 0, "PLAIN longer" },
	{ "{PLAIN}", 0, "PLAIN empty" },
	{ "{SHA512-CRYPT}$6$saltsalt$cc1KsgmlKYtCcnNH8.sv7Fe8mca8fAso5fHlNrb1VZa5WYQ.L3ChTcx06ID.LoaXZAf9CZNraK43XCp7LxKHl2",
		0, "SHA512-CRYPT altered" },
	{ "{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
		0, "yescrypt refused" },
	{ "{CRYPT}!$6$saltsalt$cc1KsgmlKYtCcnNH8.sv7Fe8mca8fAso5fHlNrb1VZa5WYQ.L3ChTcx06ID.LoaXZAf9CZNraK43XCp7LxKHl1",
		0, "locked account" },
	{ "{CRYPT}", 0, "empty hash" },
	{ "{CRYPT}*", 0, "star hash" },
	{ "{SSHA}abcdef", 0, "unknown scheme" },
	{ "{CRAM-MD5}zz", 0, "malformed CRAM-MD5 secret" },
};

static const char *users[][2] = {
	{ "alice", "{PLAIN}pass word" },
	{ "tim", "{PLAIN}tanstaaftanstaaf" },
	{ "timc", "" },		/* filled with the CRAM-MD5 context */
	{ "apop", "{PLAIN}tanstaaf" },
	{ "bob", "{SHA512-CRYPT}$6$saltsalt$cc1KsgmlKYtCcnNH8.sv7Fe8mca8fAso5fHlNrb1VZa5WYQ.L3ChTcx06ID.LoaXZAf9CZNraK43XCp7LxKHl1" },
};
static char timc[80];

static int lookup(void *ctx, const char *user, char *secret, size_t max)
{
	size_t i;

	if (strcmp(user, "broken") == 0)
		return -1;
	for (i = 0; i < sizeof users / sizeof users[0]; i++)
		if (strcmp(user, users[i][0]) == 0) {
			str_lcpy(secret, i == 2 ? timc : users[i][1], max);
			return 1;
		}
	return 0;
}

/* Every user exists, with a password nobody guesses at random. */
static int fuzz_lookup(void *ctx, const char *user, char *secret,
	size_t max)
{
	str_lcpy(secret, "{PLAIN}not guessed at random", max);
	return 1;
}

static unsigned long long fuzz_state = 88172645463325252ULL;

static unsigned fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return (unsigned)fuzz_state;
}

/* Random responses, base64 and not, to each mechanism at each step: the
 * machine answers with one of its results and never crashes. */
static int fuzz(int rounds)
{
	static const char *names[] = { "PLAIN", "LOGIN", "CRAM-MD5" };
	static const char pick[] = "\0\0  abcAZ09+/=*\r\n\x80\xff@.";
	char raw[400], line[600];
	struct auth a;
	int i, k, n, r, bad = 0;

	for (i = 0; i < rounds; i++) {
		r = auth_start(&a, names[i % 3], AUTH_ALL, NULL, "mx",
			fuzz_lookup, NULL, "fuzz");
		for (k = 0; k < 3 && r == AUTH_CONTINUE; k++) {
			n = fuzz_next() % sizeof raw;
			for (int j = 0; j < n; j++)
				raw[j] = fuzz_next() % 3 ? pick[fuzz_next() %
					(sizeof pick - 1)] : (char)fuzz_next();
			if (fuzz_next() % 4) {
				b64_encode(line, sizeof line, raw, n);
			} else {
				memcpy(line, raw, n);
				line[n] = 0;
			}
			r = auth_step(&a, line);
		}
		if (r == AUTH_SUCCESS || r == AUTH_NOMECH || r < 0 ||
				r > AUTH_NOMECH)
			bad++;
	}
	return bad;
}

/* base64 of the N bytes at S (static buffer of the test) */
static const char *b64(const void *s, size_t n)
{
	static char out[600];

	b64_encode(out, sizeof out, s, n);
	return out;
}

static int plain(const char *msg, size_t n, struct auth *a)
{
	return auth_start(a, "PLAIN", AUTH_ALL, b64(msg, n), "mx", lookup,
		NULL, "test [127.0.0.1]");
}

int main(void)
{
	struct auth a;
	char buf[200];
	size_t i;
	int r;

	log_level(LOG_EMERG);	/* failures log; keep the output clean */
	for (i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		r = auth_check(checks[i].secret, "pass word", "u");
		CHECK(r == (checks[i].ok ? AUTH_SUCCESS : AUTH_FAIL),
			checks[i].name);
		if (checks[i].ok)
			CHECK(auth_check(checks[i].secret, "pass worD", "u") ==
				AUTH_FAIL, "wrong password fails");
	}
	/* Dovecot: doveadm pw -s CRAM-MD5 -p password */
	auth_cram_secret("password", buf, sizeof buf);
	CHECK_STR(buf, "{CRAM-MD5}9186d855e11eba527a7a52ca82b313e1"
		"80d62234f0acc9051b527243d41e2740", "CRAM-MD5 secret as Dovecot's");
	CHECK(auth_check(buf, "password", "u") == AUTH_SUCCESS,
		"CRAM-MD5 secret checks a password");
	CHECK(auth_check(buf, "passwore", "u") == AUTH_FAIL,
		"CRAM-MD5 secret refuses another");
	CHECK(auth_check("{BLF-CRYPT}$2y$05$Nkx/QGy0PMR4CgQhfRDnROfMn4JmU8A2e"
		"VxROXTWeHlNnQMYs/Aaq", "password", "u") == AUTH_SUCCESS,
		"Dovecot's BLF-CRYPT $2y$");

	/* mechanisms */
	CHECK(auth_mech_byname("plain") == AUTH_PLAIN, "mech plain");
	CHECK(auth_mech_byname("CRAM-MD5") == AUTH_CRAM_MD5, "mech CRAM-MD5");
	CHECK(auth_mech_byname("EXTERNAL") == 0, "EXTERNAL refused");
	CHECK(auth_mech_byname("DIGEST-MD5") == 0, "DIGEST-MD5 refused");
	r = auth_mechs_parse("EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN PLAIN");
	CHECK(r == AUTH_ALL, "confAUTH_MECHANISMS parsed");
	CHECK(auth_mechs_parse("LOGIN,PLAIN") == AUTH_PLAINTEXT, "commas");
	{
		char *w[] = { "EXTERNAL", "login", "CRAM-MD5" };

		CHECK(auth_mechs_words(w, 3) == (AUTH_LOGIN | AUTH_CRAM_MD5),
			"AuthMechanisms words");
		CHECK(auth_mechs_words(w, 0) == AUTH_ALL, "no words: all");
	}
	CHECK(auth_mechs_parse("") == AUTH_ALL, "empty means all");
	auth_mechs_list(AUTH_ALL, buf, sizeof buf);
	CHECK_STR(buf, "CRAM-MD5 LOGIN PLAIN", "EHLO list");
	auth_mechs_list(AUTH_CRAM_MD5, buf, sizeof buf);
	CHECK_STR(buf, "CRAM-MD5", "EHLO list, TLS not up");
	CHECK(auth_offer(AUTH_ALL, NULL, 0) == AUTH_CRAM_MD5,
		"no AuthOptions: no PLAIN/LOGIN before TLS");
	CHECK(auth_offer(AUTH_ALL, NULL, 1) == AUTH_ALL, "all over TLS");
	CHECK(auth_offer(AUTH_ALL, "A", 0) == AUTH_ALL,
		"AuthOptions without p: plaintext allowed");
	CHECK(auth_offer(AUTH_ALL, "A,p", 0) == AUTH_CRAM_MD5,
		"AuthOptions with p");
	{
		char *words[] = { "CRAM-MD5", "PLAIN" };

		CHECK(auth_mechs_server(NULL, 0, NULL) == AUTH_PLAINTEXT,
			"system accounts: no CRAM-MD5");
		CHECK(auth_mechs_server(NULL, 0, "/v") == AUTH_ALL,
			"virtual users: all");
		CHECK(auth_mechs_server(words, 2, "") == AUTH_PLAIN,
			"AuthMechanisms, system accounts");
		CHECK(auth_mechs_server(words, 2, "/v") ==
			(AUTH_PLAIN | AUTH_CRAM_MD5),
			"AuthMechanisms, virtual users");
	}
	/* APOP (RFC 1939 7's example: the digest of "tanstaaf" with
	 * this stamp) */
	{
		static const char stamp[] = "<1896.697170952@dbc.mtview.ca.us>";
		static const char dig[] = "c4c9334bac560ecc979e58001b3e22fb";

		CHECK(auth_apop(stamp, "tim", dig, lookup, NULL, "t") ==
			AUTH_FAIL, "APOP: another password, bad digest");
		CHECK(auth_apop(stamp, "apop", dig, lookup, NULL, "t") ==
			AUTH_SUCCESS, "APOP: RFC 1939's example");
		CHECK(auth_apop(stamp, "apop", "C4C9334BAC560ECC979E58001B3E22FB",
			lookup, NULL, "t") == AUTH_SUCCESS, "APOP: upper case");
		CHECK(auth_apop(stamp, "apop", "c4c9", lookup, NULL, "t") ==
			AUTH_MALFORMED, "APOP: short digest");
		CHECK(auth_apop("", "apop", dig, lookup, NULL, "t") ==
			AUTH_MALFORMED, "APOP: no stamp");
		CHECK(auth_apop(stamp, "bob", dig, lookup, NULL, "t") ==
			AUTH_NOMECH, "APOP: a hashed secret cannot");
		CHECK(auth_apop(stamp, "nobody", dig, lookup, NULL, "t") ==
			AUTH_FAIL, "APOP: no such user");
		CHECK(auth_apop(stamp, "broken", dig, lookup, NULL, "t") ==
			AUTH_TEMPFAIL, "APOP: lookup fails");
	}
	CHECK(auth_start(&a, "DIGEST-MD5", AUTH_ALL, NULL, "mx", lookup, NULL,
		"t") == AUTH_NOMECH, "AUTH DIGEST-MD5: 504");
	CHECK(auth_start(&a, "PLAIN", AUTH_CRAM_MD5, NULL, "mx", lookup, NULL,
		"t") == AUTH_NOMECH, "PLAIN not allowed: 504");

	/* PLAIN (RFC 4616) */
	r = plain("\0alice\0pass word", 16, &a);
	CHECK(r == AUTH_SUCCESS, "PLAIN initial response");
	CHECK_STR(a.user, "alice", "PLAIN user");
	CHECK(plain("alice\0alice\0pass word", 21, &a) == AUTH_SUCCESS,
		"PLAIN authzid = authcid");
	CHECK(plain("bob\0alice\0pass word", 19, &a) == AUTH_FAIL,
		"PLAIN authzid of another user fails");
	CHECK(plain("\0alice\0pass wor", 15, &a) == AUTH_FAIL,
		"PLAIN bad password");
	CHECK(plain("\0mallory\0pass word", 18, &a) == AUTH_FAIL,
		"PLAIN unknown user");
	CHECK(plain("\0broken\0pass word", 17, &a) == AUTH_TEMPFAIL,
		"PLAIN back-end failure is temporary");
	CHECK(plain("\0bob\0pass word", 14, &a) == AUTH_SUCCESS,
		"PLAIN against SHA512-CRYPT");
	CHECK(plain("alice pass word", 15, &a) == AUTH_MALFORMED,
		"PLAIN without NULs");
	CHECK(plain("\0alice\0pass\0word", 16, &a) == AUTH_MALFORMED,
		"PLAIN with a third NUL");
	CHECK(plain("\0alice\0", 7, &a) == AUTH_MALFORMED,
		"PLAIN empty password");
	CHECK(plain("\0\0pass word", 11, &a) == AUTH_MALFORMED,
		"PLAIN empty user");
	CHECK(plain("\0al\r\nice\0pass word", 18, &a) == AUTH_MALFORMED,
		"PLAIN user with CRLF");
	CHECK(auth_start(&a, "PLAIN", AUTH_ALL, "AGFsaWNl!", "mx", lookup, NULL,
		"t") == AUTH_MALFORMED, "PLAIN bad base64");
	CHECK(auth_start(&a, "PLAIN", AUTH_ALL, "=", "mx", lookup, NULL,
		"t") == AUTH_MALFORMED, "PLAIN empty initial response");
	r = auth_start(&a, "PLAIN", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	CHECK(r == AUTH_CONTINUE && strcmp(a.out, "") == 0,
		"PLAIN without initial response: 334 empty");
	CHECK(auth_step(&a, b64("\0alice\0pass word", 16)) == AUTH_SUCCESS,
		"PLAIN second step");
	auth_start(&a, "PLAIN", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	CHECK(auth_step(&a, "*") == AUTH_CANCEL, "PLAIN cancelled with *");
	memset(buf, 'A', sizeof buf);
	{
		static char huge[AUTH_LINE_MAX + 8];

		memset(huge, 'A', sizeof huge - 1);
		auth_start(&a, "PLAIN", AUTH_ALL, NULL, "mx", lookup, NULL,
			"t");
		CHECK(auth_step(&a, huge) == AUTH_MALFORMED,
			"over-long response refused");
	}

	/* LOGIN */
	r = auth_start(&a, "LOGIN", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	CHECK(r == AUTH_CONTINUE, "LOGIN starts");
	CHECK_STR(a.out, "VXNlcm5hbWU6", "LOGIN asks Username:");
	r = auth_step(&a, "YWxpY2U=");
	CHECK(r == AUTH_CONTINUE, "LOGIN takes the user");
	CHECK_STR(a.out, "UGFzc3dvcmQ6", "LOGIN asks Password:");
	r = auth_step(&a, b64("pass word", 9));
	CHECK(r == AUTH_SUCCESS, "LOGIN succeeds");
	CHECK_STR(a.user, "alice", "LOGIN user");
	r = auth_start(&a, "LOGIN", AUTH_ALL, "YWxpY2U=", "mx", lookup, NULL,
		"t");
	CHECK(r == AUTH_CONTINUE && strcmp(a.out, "UGFzc3dvcmQ6") == 0,
		"LOGIN with the user as initial response");
	CHECK(auth_step(&a, b64("pass", 4)) == AUTH_FAIL, "LOGIN bad password");
	CHECK(a.user[0] == 0, "no user after a failure");
	auth_start(&a, "LOGIN", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	CHECK(auth_step(&a, "*") == AUTH_CANCEL, "LOGIN cancelled");

	/* CRAM-MD5, RFC 2195 2's example */
	r = auth_start(&a, "CRAM-MD5", AUTH_ALL, NULL, "mx.example", lookup,
		NULL, "t");
	CHECK(r == AUTH_CONTINUE && a.challenge[0] == '<' &&
		strstr(a.challenge, "@mx.example>"), "CRAM-MD5 challenge");
	b64_decode(buf, sizeof buf, a.out, strlen(a.out), 0);
	CHECK(strncmp(buf, a.challenge, strlen(a.challenge)) == 0,
		"CRAM-MD5 challenge sent in base64");
	str_lcpy(a.challenge, "<1896.697170952@postoffice.reston.mci.net>",
		sizeof a.challenge);
	r = auth_step(&a, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	CHECK(r == AUTH_SUCCESS, "CRAM-MD5 RFC 2195 vector, PLAIN secret");
	CHECK_STR(a.user, "tim", "CRAM-MD5 user");
	auth_cram_secret("tanstaaftanstaaf", timc, sizeof timc);
	auth_start(&a, "CRAM-MD5", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	str_lcpy(a.challenge, "<1896.697170952@postoffice.reston.mci.net>",
		sizeof a.challenge);
	r = auth_step(&a, b64("timc b913a602c7eda7a495b4e6e7334d3890", 37));
	CHECK(r == AUTH_SUCCESS, "CRAM-MD5 with a stored CRAM-MD5 context");
	auth_start(&a, "CRAM-MD5", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	r = auth_step(&a, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	CHECK(r == AUTH_FAIL, "CRAM-MD5 answer to another challenge fails");
	auth_start(&a, "CRAM-MD5", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	r = auth_step(&a, b64("bob b913a602c7eda7a495b4e6e7334d3890", 36));
	CHECK(r == AUTH_FAIL, "CRAM-MD5 for a hashed password fails");
	auth_start(&a, "CRAM-MD5", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	CHECK(auth_step(&a, b64("tim b913a602", 12)) == AUTH_MALFORMED,
		"CRAM-MD5 short digest");
	auth_start(&a, "CRAM-MD5", AUTH_ALL, NULL, "mx", lookup, NULL, "t");
	CHECK(auth_step(&a, b64("timb913a602c7eda7a495b4e6e7334d3890", 35)) ==
		AUTH_MALFORMED, "CRAM-MD5 without a space");
	CHECK(auth_start(&a, "CRAM-MD5", AUTH_ALL, "dGlt", "mx", lookup, NULL,
		"t") == AUTH_MALFORMED, "CRAM-MD5 refuses an initial response");

	/* the virtual-user file (Dovecot passwd-file) as the back-end */
	{
		FILE *f = fopen("vusers.test", "w");
		char cram_sec[80];
		static const char *hostile[] = {
			"mallory:{PLAIN}x:1:1::/home/m\r\n",	/* CR */
			"eve:{PLAIN}x:abc:1::/home/e\n",	/* uid */
			"ghost:{PLAIN}x:1:1::relative\n",	/* home */
			":{PLAIN}nobody:1:1::/x\n",		/* no name */
		};
		size_t k;

		auth_cram_secret("tanstaaftanstaaf", cram_sec, sizeof cram_sec);
		fprintf(f, "# virtual users\n\n"
			"alice:{SHA512-CRYPT}$6$saltsalt$cc1KsgmlKYtCcnNH8.sv7Fe8"
			"mca8fAso5fHlNrb1VZa5WYQ.L3ChTcx06ID.LoaXZAf9CZNraK43XCp7"
			"LxKHl1:5000:5000::/var/vmail/alice\n"
			"tim:%s:5000:5000::/var/vmail/tim\n"
			"nopass::5000:5000::/var/vmail/nopass\n"
			"authonly:{PLAIN}pass word\n", cram_sec);
		fclose(f);
		r = auth_start(&a, "PLAIN", AUTH_ALL,
			b64("\0alice\0pass word", 16), "mx", auth_lookup_vusers,
			"vusers.test", "t");
		CHECK(r == AUTH_SUCCESS, "vusers: PLAIN against SHA512-CRYPT");
		r = auth_start(&a, "PLAIN", AUTH_ALL,
			b64("\0authonly\0pass word", 19), "mx",
			auth_lookup_vusers, "vusers.test", "t");
		CHECK(r == AUTH_SUCCESS, "vusers: entry without ids");
		r = auth_start(&a, "PLAIN", AUTH_ALL,
			b64("\0nopass\0", 9), "mx", auth_lookup_vusers,
			"vusers.test", "t");
		CHECK(r == AUTH_MALFORMED, "vusers: empty password malformed");
		r = auth_start(&a, "LOGIN", AUTH_ALL, b64("nopass", 6), "mx",
			auth_lookup_vusers, "vusers.test", "t");
		r = auth_step(&a, b64("x", 1));
		CHECK(r == AUTH_FAIL, "vusers: empty password field fails");
		r = auth_start(&a, "PLAIN", AUTH_ALL,
			b64("\0bob\0pass word", 14), "mx", auth_lookup_vusers,
			"vusers.test", "t");
		CHECK(r == AUTH_FAIL, "vusers: unknown user");
		auth_start(&a, "CRAM-MD5", AUTH_ALL, NULL, "mx",
			auth_lookup_vusers, "vusers.test", "t");
		str_lcpy(a.challenge, "<1896.697170952@postoffice.reston."
			"mci.net>", sizeof a.challenge);
		r = auth_step(&a, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNz"
			"MzNGQzODkw");
		CHECK(r == AUTH_SUCCESS, "vusers: CRAM-MD5 with {CRAM-MD5}");
		r = auth_start(&a, "PLAIN", AUTH_ALL,
			b64("\0alice\0pass word", 16), "mx", auth_lookup_vusers,
			"no-such-file", "t");
		CHECK(r == AUTH_TEMPFAIL, "vusers: missing file is temporary");
		for (k = 0; k < sizeof hostile / sizeof hostile[0]; k++) {
			f = fopen("vusers.test", "a");
			fputs(hostile[k], f);
			fclose(f);
			r = auth_start(&a, "PLAIN", AUTH_ALL,
				b64("\0alice\0pass word", 16), "mx",
				auth_lookup_vusers, "vusers.test", "t");
			snprintf(buf, sizeof buf, "vusers: hostile line %zu "
				"makes lookups temporary failures", k);
			CHECK(r == AUTH_TEMPFAIL, buf);
			/* take it out again for the next one */
			f = fopen("vusers.test", "r+");
			fseek(f, 0, SEEK_END);
			r = ftruncate(fileno(f), ftell(f) -
				(long)strlen(hostile[k]));
			fclose(f);
		}
		f = fopen("vusers.test", "a");
		fputs("nul:{PLAIN}a", f);
		fputc(0, f);
		fputs("b:1:1::/x\n", f);
		fclose(f);
		r = auth_start(&a, "PLAIN", AUTH_ALL,
			b64("\0alice\0pass word", 16), "mx", auth_lookup_vusers,
			"vusers.test", "t");
		CHECK(r == AUTH_TEMPFAIL, "vusers: a NUL in the file");
	}

	CHECK(fuzz(30000) == 0, "30000 random exchanges: no success, no crash");

	/* the delay grows, then stays */
	CHECK(auth_fail_delay_ms(0) == 0 && auth_fail_delay_ms(1) == 1000 &&
		auth_fail_delay_ms(2) == 2000 && auth_fail_delay_ms(3) == 4000 &&
		auth_fail_delay_ms(9) == 15000, "failure delays");
	return unit_done();
}
