/*
 * privsep: the records between the login child and its root monitor.  A
 * hostile child (one whose parser a client subverted) may send anything:
 * a record that is over-long, truncated, out of its format or out of
 * order is refused and never reaches a password check.
 */
#include "libmini.h"
#include "unit.h"
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* --- privsep_parse ---------------------------------------------------- */

struct vec {
	int type;
	const char *rec;
	size_t n;		/* 0: strlen(rec) */
	int ok;
	const char *name;
};

static const struct vec vecs[] = {
	{ 'P', "\1alice\0secret", 13, 1, "P: tls, user, password" },
	{ 'P', "\0alice\0", 7, 1, "P: an empty password" },
	{ 'P', "\0alice", 6, 0, "P: truncated, no NUL after the user" },
	{ 'P', "\0\0pw", 4, 0, "P: an empty user" },
	{ 'P', "\0alice\0pw\0x", 11, 0, "P: a NUL inside the password" },
	{ 'P', "", 0, 0, "P: empty record" },
	{ 'D', "\0bob\0" "0123456789abcdef0123456789abcdef", 37, 1,
		"D: user and 32 digits" },
	{ 'D', "\0bob\0" "0123456789abcdef0123456789abcde", 36, 0,
		"D: 31 digits" },
	{ 'D', "\0bob\0" "0123456789abcdef0123456789abcdef0", 38, 0,
		"D: 33 digits" },
	{ 'A', "\0\7\1PLAIN\0AGFsaWNlAHNlY3JldA==", 29, 1,
		"A: mech and initial response" },
	{ 'A', "\0\7\0CRAM-MD5\0", 12, 1, "A: mech alone" },
	{ 'A', "\0\7\1", 3, 0, "A: truncated before the mech" },
	{ 'A', "\0\7\1PLAIN", 8, 0, "A: truncated, no NUL after the mech" },
	{ 'S', "YWxpY2U=", 8, 1, "S: a line" },
	{ 'S', "", 0, 0, "S: empty" },
	{ 'S', "ab\0cd", 5, 0, "S: a NUL inside" },
	{ 'I', "\0x\0y", 4, 0, "I: not a request" },
	{ 'X', "\0x\0y", 4, 0, "an unknown type" },
};

static void test_parse(void)
{
	char buf[600], name[128];
	struct privsep_req rq;
	size_t i;

	for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		memcpy(buf, vecs[i].rec, vecs[i].n);
		buf[vecs[i].n] = 0;
		snprintf(name, sizeof name, "parse %s", vecs[i].name);
		CHECK((privsep_parse(vecs[i].type, buf, vecs[i].n, &rq) == 0) ==
			vecs[i].ok, name);
	}
	/* the good ones, field by field */
	memcpy(buf, "\1alice\0secret", 14);
	privsep_parse('P', buf, 13, &rq);
	CHECK(rq.tls == 1, "parse P: tls");
	CHECK_STR(rq.user, "alice", "parse P: user");
	CHECK_STR(rq.text, "secret", "parse P: password");
	memcpy(buf, "\0\7\1PLAIN\0AGI=", 14);
	privsep_parse('A', buf, 14, &rq);
	CHECK(rq.tls == 0 && rq.allowed == 7, "parse A: tls, allowed");
	CHECK_STR(rq.mech, "PLAIN", "parse A: mech");
	CHECK_STR(rq.initial, "AGI=", "parse A: initial");
	memcpy(buf, "\0\7\0PLAIN\0", 10);
	privsep_parse('A', buf, 10, &rq);
	CHECK(rq.initial == NULL, "parse A: no initial response");

	/* the bounds: a user of AUTH_USER_MAX bytes, a password of
	 * AUTH_PASS_MAX, are one too many */
	buf[0] = 0;
	memset(buf + 1, 'u', AUTH_USER_MAX - 1);
	buf[AUTH_USER_MAX] = 0;
	memcpy(buf + AUTH_USER_MAX + 1, "pw", 3);
	CHECK(privsep_parse('P', buf, AUTH_USER_MAX + 3, &rq) == 0,
		"parse P: the longest user");
	memset(buf + 1, 'u', AUTH_USER_MAX);
	buf[AUTH_USER_MAX + 1] = 0;
	memcpy(buf + AUTH_USER_MAX + 2, "pw", 3);
	CHECK(privsep_parse('P', buf, AUTH_USER_MAX + 4, &rq) < 0,
		"parse P: a user over AUTH_USER_MAX refused");
	memcpy(buf, "\0u\0", 3);
	memset(buf + 3, 'p', AUTH_PASS_MAX - 1);
	buf[AUTH_PASS_MAX + 2] = 0;
	CHECK(privsep_parse('P', buf, AUTH_PASS_MAX + 2, &rq) == 0,
		"parse P: the longest password");
	memset(buf + 3, 'p', AUTH_PASS_MAX);
	buf[AUTH_PASS_MAX + 3] = 0;
	CHECK(privsep_parse('P', buf, AUTH_PASS_MAX + 3, &rq) < 0,
		"parse P: a password over AUTH_PASS_MAX refused");
}

/* --- privsep_recv: the framing ---------------------------------------- */

static void pair(int sp[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0) {
		perror("socketpair");
		exit(2);
	}
}

static void test_recv(void)
{
	char buf[100];
	int sp[2], type;
	size_t n;

	pair(sp);
	privsep_send(sp[1], 'S', "hello", 5);
	CHECK(privsep_recv(sp[0], &type, buf, sizeof buf, &n) == 0 &&
		type == 'S' && n == 5 && !strcmp(buf, "hello"),
		"recv: a record");
	/* 300 bytes announced, 100 of room: refused before reading it */
	write(sp[1], "S\001\054", 3);
	CHECK(privsep_recv(sp[0], &type, buf, sizeof buf, &n) < 0,
		"recv: an over-long record refused");
	close(sp[0]);
	close(sp[1]);

	CHECK(privsep_send(sp[1], 'S', buf, PRIVSEP_RECORD_MAX + 1) < 0,
		"send: a record over the max refused");

	pair(sp);
	write(sp[1], "S\000\012abcd", 7);	/* 10 announced, 4 sent */
	close(sp[1]);
	CHECK(privsep_recv(sp[0], &type, buf, sizeof buf, &n) < 0,
		"recv: a truncated record refused");
	close(sp[0]);

	pair(sp);
	write(sp[1], "S\000", 2);		/* half a header */
	close(sp[1]);
	CHECK(privsep_recv(sp[0], &type, buf, sizeof buf, &n) < 0,
		"recv: a truncated header refused");
	close(sp[0]);
}

/* --- privsep_ask and privsep_monitor ---------------------------------- */

static int passes, digests;

static int fake_pass(void *ctx, const char *user, const char *pass)
{
	passes++;
	return !strcmp(user, "alice") && !strcmp(pass, "good") ?
		AUTH_SUCCESS : AUTH_FAIL;
}

static int fake_digest(void *ctx, const char *user, const char *hex)
{
	digests++;
	return AUTH_FAIL;
}

static long fake_delay(void *ctx, const char *user)
{
	return !strcmp(user, "late") ? 42 : 0;
}

static int fake_lookup(void *ctx, const char *user, char *secret,
	size_t max)
{
	return 0;
}

/* The monitor on SP[0] after the child wrote its records into SP[1] and
 * ended: its result, the user and the method. */
static int run_monitor(int sp[2], const struct privsep_checks *k, char *user,
	char *how)
{
	static char buf[AUTH_LINE_MAX + 2];
	struct privsep ps;
	int r;

	shutdown(sp[1], SHUT_WR);
	privsep_init(&ps, 0, 0, 0);
	ps.chan = sp[0];
	user[0] = how[0] = 0;
	r = privsep_monitor(&ps, k, buf, sizeof buf, user, AUTH_USER_MAX,
		how, 16);
	return r;
}

static void test_monitor(void)
{
	struct privsep_checks k = { NULL, "localhost", "[127.0.0.1]",
		fake_lookup, fake_pass, NULL, fake_delay };
	struct privsep_req rq = { 'P', 1, 0, "alice", "good" };
	struct privsep child;
	char user[AUTH_USER_MAX], how[16], out[64], big[AUTH_LINE_MAX + 16];
	int sp[2], type;
	size_t n;

	/* the child's side builds what the monitor parses */
	pair(sp);
	privsep_init(&child, 0, 0, 0);
	child.chan = sp[1];
	privsep_send(sp[0], AUTH_CONTINUE, "challenge", 9);
	CHECK(privsep_ask(&child, &rq, out, sizeof out) == AUTH_CONTINUE &&
		!strcmp(out, "challenge"), "ask: the answer and its payload");
	CHECK(privsep_recv(sp[0], &type, big, sizeof big, &n) == 0 &&
		type == 'P' && n == 11 && !memcmp(big, "\1alice\0good", 11),
		"ask: the record sent");
	close(sp[0]);
	close(sp[1]);

	/* a good password: the user, the method and the answer */
	pair(sp);
	child.chan = sp[1];
	privsep_send(sp[1], 'P', "\1alice\0good", 11);
	passes = 0;
	CHECK(run_monitor(sp, &k, user, how) == 0 && passes == 1,
		"monitor: a good password");
	CHECK_STR(user, "alice", "monitor: the user");
	CHECK_STR(how, "USER", "monitor: the method");
	CHECK(privsep_recv(sp[1], &type, out, sizeof out, &n) == 0 &&
		type == AUTH_SUCCESS && !strcmp(out, "alice"),
		"monitor: answers AUTH_SUCCESS with the user");
	close(sp[0]);
	close(sp[1]);

	/* no more guesses than a client: the fourth is not checked */
	pair(sp);
	for (n = 0; n < 3; n++)
		privsep_send(sp[1], 'P', "\0alice\0bad", 10);
	privsep_send(sp[1], 'P', "\0alice\0good", 11);
	passes = 0;
	CHECK(run_monitor(sp, &k, user, how) < 0 &&
		passes == AUTH_FAILURES_MAX,
		"monitor: stops after AUTH_FAILURES_MAX failures");
	close(sp[0]);
	close(sp[1]);

	/* hostile records: refused, no password check made */
	pair(sp);
	memset(big, 'u', sizeof big);
	big[0] = 0;
	big[AUTH_USER_MAX + 1] = 0;
	privsep_send(sp[1], 'P', big, AUTH_USER_MAX + 6);
	passes = 0;
	CHECK(run_monitor(sp, &k, user, how) < 0 && passes == 0,
		"monitor: an over-long user refused unchecked");
	close(sp[0]);
	close(sp[1]);

	pair(sp);
	big[0] = 0;
	privsep_send(sp[1], 'S', big + 1, AUTH_LINE_MAX + 8);
	CHECK(run_monitor(sp, &k, user, how) < 0,
		"monitor: a record over its buffer refused");
	close(sp[0]);
	close(sp[1]);

	pair(sp);
	write(sp[1], "P\000\040\0alice\0go", 12);	/* 32 announced */
	passes = 0;
	CHECK(run_monitor(sp, &k, user, how) < 0 && passes == 0,
		"monitor: a truncated request refused unchecked");
	close(sp[0]);
	close(sp[1]);

	pair(sp);
	privsep_send(sp[1], 'S', "YWxpY2U=", 8);
	CHECK(run_monitor(sp, &k, user, how) < 0,
		"monitor: a SASL step before AUTH refused");
	close(sp[0]);
	close(sp[1]);

	pair(sp);
	privsep_send(sp[1], 'D',
		"\0alice\0" "0123456789abcdef0123456789abcdef", 39);
	digests = 0;
	CHECK(run_monitor(sp, &k, user, how) < 0 && digests == 0,
		"monitor: APOP refused when the server has none");
	close(sp[0]);
	close(sp[1]);

	pair(sp);
	privsep_send(sp[1], 'I', "USER x\r\n", 8);
	CHECK(run_monitor(sp, &k, user, how) < 0,
		"monitor: a hand-over before a login refused");
	close(sp[0]);
	close(sp[1]);

	/* with APOP on, a digest is checked (and fails) */
	pair(sp);
	k.digest = fake_digest;
	privsep_send(sp[1], 'D',
		"\0alice\0" "0123456789abcdef0123456789abcdef", 39);
	digests = 0;
	CHECK(run_monitor(sp, &k, user, how) < 0 && digests == 1,
		"monitor: APOP checked when the server has it");
	CHECK(privsep_recv(sp[1], &type, out, sizeof out, &n) == 0 &&
		type == AUTH_FAIL, "monitor: answers AUTH_FAIL");
	close(sp[0]);
	close(sp[1]);
}

static int late_pass(void *ctx, const char *user, const char *pass)
{
	return AUTH_SUCCESS;
}

static void test_delay(void)
{
	struct privsep_checks k = { NULL, "localhost", "[127.0.0.1]",
		fake_lookup, late_pass, NULL, fake_delay };
	char user[AUTH_USER_MAX], how[16], out[64];
	int sp[2], type;
	size_t n;

	pair(sp);
	privsep_send(sp[1], 'P', "\0late\0x", 7);
	CHECK(run_monitor(sp, &k, user, how) < 0,
		"monitor: LOGIN-DELAY is no login");
	CHECK(privsep_recv(sp[1], &type, out, sizeof out, &n) == 0 &&
		type == PRIVSEP_DELAYED && !strcmp(out, "42"),
		"monitor: LOGIN-DELAY answered with the seconds left");
	close(sp[0]);
	close(sp[1]);
}

/* --- privsep_serve: a child that stays (smtpd) ------------------------ */

static int plain_lookup(void *ctx, const char *user, char *secret,
	size_t max)
{
	if (strcmp(user, "alice"))
		return 0;
	str_lcpy(secret, "{PLAIN}good", max);
	return 1;
}

static void test_serve(void)
{
	struct privsep_checks k = { NULL, "localhost", "[127.0.0.1]",
		plain_lookup, fake_pass, NULL, NULL };
	static char buf[AUTH_LINE_MAX + 2];
	struct privsep ps;
	char out[64];
	int sp[2], type, r, i;
	size_t n;

	/* PLAIN "\0alice\0good" logs in, then again (after STARTTLS), a
	 * bad password fails, and the child ends */
	pair(sp);
	for (i = 0; i < 2; i++)
		privsep_send(sp[1], 'A', "\1\1\1PLAIN\0AGFsaWNlAGdvb2Q=", 25);
	privsep_send(sp[1], 'A', "\1\1\1PLAIN\0AGFsaWNlAGJhZA==", 25);
	shutdown(sp[1], SHUT_WR);
	privsep_init(&ps, 0, 0, 0);
	ps.chan = sp[0];
	ps.cin = dup(0);
	ps.child = fork();
	if (ps.child == 0)
		_exit(0);
	r = privsep_serve(&ps, &k, buf, sizeof buf);
	CHECK(r == 2, "serve: two logins answered");
	CHECK(ps.cin < 0 && ps.cout < 0, "serve: no copy of the connection");
	for (i = 0; i < 2; i++)
		CHECK(privsep_recv(sp[1], &type, out, sizeof out, &n) == 0 &&
			type == AUTH_SUCCESS && !strcmp(out, "alice"),
			"serve: AUTH_SUCCESS with the user");
	CHECK(privsep_recv(sp[1], &type, out, sizeof out, &n) == 0 &&
		type == AUTH_FAIL, "serve: a bad password fails");
	CHECK(privsep_recv(sp[1], &type, out, sizeof out, &n) < 0,
		"serve: ends with the child");
	close(sp[1]);

	/* no password callback (smtpd): a 'P' record ends it unchecked */
	pair(sp);
	k.pass = NULL;
	privsep_send(sp[1], 'P', "\1alice\0good", 11);
	shutdown(sp[1], SHUT_WR);
	privsep_init(&ps, 0, 0, 0);
	ps.chan = sp[0];
	ps.child = fork();
	if (ps.child == 0)
		_exit(0);
	CHECK(privsep_serve(&ps, &k, buf, sizeof buf) == 0 &&
		privsep_recv(sp[1], &type, out, sizeof out, &n) < 0,
		"serve: USER/PASS refused without a pass check");
	close(sp[1]);
}

int main(void)
{
	test_parse();
	test_recv();
	test_monitor();
	test_delay();
	test_serve();
	return unit_done();
}
