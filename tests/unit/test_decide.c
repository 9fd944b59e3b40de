/* Unit tests of decide: the RCPT decision smtpd, sendmail -bt and the
 * SMTP client share, table-driven, with the trace -bt prints. */
#include "libmini.h"
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

/* Writes the cdb map DIR/NAME.db of "key value" pairs (NULL-ended),
 * keys folded as makemap folds them. */
static void mkmap(const char *name, const char *const *kv)
{
	struct map_make mk;
	char p[300], k[MAP_KEY_MAX];
	size_t i;

	map_make_init(&mk, 0);
	for (i = 0; kv[i]; i += 2) {
		str_lcpy(k, kv[i], sizeof k);
		str_lower(k);
		map_make_add(&mk, k, strlen(k), kv[i + 1], strlen(kv[i + 1]));
	}
	snprintf(p, sizeof p, "%s/%s.db", dir, name);
	if (map_make_write(&mk, p, 0644) < 0)
		printf("FAIL: mkmap %s: %s\n", p, strerror(errno));
	map_make_free(&mk);
}

static void put(const char *name, const char *text)
{
	char p[300];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		printf("FAIL: write %s\n", p);
}

/* The trace, as "map:key=value" words ("-" not found). */
static void trace(void *ctx, const char *map, const char *key, int rc,
	const char *value)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 2048 - n, "%s:%s=%s ", map, key, rc > 0 ? value :
		rc < 0 ? "ERR" : "-");
}

static void test_rcpt(void)
{
	static const char *const access[] = {
		"@spam.com", "REJECT",
		"To:typo@example.org", "REJCT",
		"To:partner.example", "RELAY",
		"To:gone@example.org", "ERROR:5.1.1:550 gone",
		"bin@", "DISCARD",
		NULL };
	static const char *const virtuser[] = {
		"info@virt.example", "root",
		"@virt.example", "%1@far.example",
		NULL };
	static const char *const mailertable[] = {
		".dead.example", "error:5.1.2:550 no such host",
		"loc.example", "local:root",
		NULL };
	static const struct {
		const char *addr;
		int client_relay, rc, discard, relay;
		const char *out;	/* the address queued, or the reply */
	} v[] = {
		{ "root@example.org", 0, 0, 0, 0, "root@example.org" },
		{ "nosuch-user-x@example.org", 0, -1, 0, 0,
			"550 5.1.1 <nosuch-user-x@example.org>... User "
			"unknown" },
		{ "x@spam.com", 1, -1, 0, 0,
			"550 5.7.1 <x@spam.com>... Access denied" },
		{ "typo@example.org", 0, -1, 0, 0, "451 4.3.0 "
			"<typo@example.org>... Temporary lookup failure, "
			"try again later" },
		{ "gone@example.org", 0, -1, 0, 0,
			"550 5.1.1 <gone@example.org>... gone" },
		{ "bin@example.org", 0, 0, 1, 0, "bin@example.org" },
		{ "a@partner.example", 0, 0, 0, 1, "a@partner.example" },
		{ "a@foreign.example", 0, -1, 0, 0,
			"550 5.7.1 <a@foreign.example>... Relaying denied" },
		{ "a@foreign.example", 1, 0, 0, 1, "a@foreign.example" },
		{ "x%y@example.org", 0, -1, 0, 0,
			"550 5.7.1 <x%y@example.org>... Relaying denied" },
		{ "info@virt.example", 0, 0, 0, 0, "root" },
		{ "bob@virt.example", 0, 0, 0, 0, "bob@far.example" },
		{ "a@x.dead.example", 1, -1, 0, 0,
			"550 5.1.2 <a@x.dead.example>... no such host" },
		{ "postmaster@loc.example", 0, 0, 0, 0,
			"postmaster@loc.example" },
		{ "postmaster", 0, 0, 0, 0, "postmaster" },
	};
	char cfpath[300], text[2048], err[300], got[2048], name[128];
	struct decide_rcpt r;
	struct decide d;
	struct cf cf;
	size_t i;
	int rc;

	mkmap("access", access);
	mkmap("virtuser", virtuser);
	mkmap("mailertable", mailertable);
	snprintf(text, sizeof text, "Cwexample.org\nC{VirtHost}virt.example\n"
		"O AliasFile=%s/noaliases\n"
		"Kaccess hash -o %s/access\nKvirtuser hash -o %s/virtuser\n"
		"Kmailertable hash -o %s/mailertable\n", dir, dir, dir, dir);
	put("cf", text);
	snprintf(cfpath, sizeof cfpath, "%s/cf", dir);
	cf_init(&cf);
	if (cf_load(&cf, cfpath, err, sizeof err) < 0) {
		printf("FAIL: cf_load: %s\n", err);
		cf_free(&cf);
		return;
	}
	CHECK(decide_open(&d, &cf) == 0 && d.access.state == 1 &&
		d.n_aliases == 1 && d.aliases[0].state == 0,
		"decide_open: the K lines' maps, an AliasFile with no file");
	for (i = 0; i < sizeof v / sizeof *v; i++) {
		d.client_relay = v[i].client_relay;
		rc = decide_rcpt(&d, v[i].addr, &r);
		snprintf(name, sizeof name, "rcpt %s%s", v[i].addr,
			v[i].client_relay ? " (relay client)" : "");
		CHECK(rc == v[i].rc && r.discard == v[i].discard &&
			r.relay == v[i].relay, name);
		CHECK_STR(rc == 0 ? r.addr : r.reply, v[i].out, name);
	}
	/* the trace: every key, in smtpd's order */
	got[0] = 0;
	d.trace = trace;
	d.trace_ctx = got;
	d.client_relay = 0;
	decide_rcpt(&d, "x@spam.com", &r);
	CHECK_STR(got, "access:To:x@spam.com=- access:x@spam.com=- "
		"access:To:spam.com=- access:spam.com=- access:To:com=- "
		"access:com=- access:To:@spam.com=- access:@spam.com=REJECT ",
		"trace: the access walk, then the @domain key");
	/* the client's route */
	CHECK(decide_remote(&d, "x.dead.example", text, sizeof text) ==
		DECIDE_VIA_MAILERTABLE && strcmp(text,
		"error:5.1.2:550 no such host") == 0,
		"remote: mailertable's .parent key");
	CHECK(decide_remote(&d, "far.example", text, sizeof text) ==
		DECIDE_VIA_MX && strcmp(text, "far.example") == 0,
		"remote: no mailertable entry, no DS: MX");
	decide_close(&d);
	cf_free(&cf);

	/* aliases written but not built: local users are "try later" */
	put("noaliases", "someone: root\n");
	cf_init(&cf);
	if (cf_load(&cf, cfpath, err, sizeof err) == 0 &&
	    decide_open(&d, &cf) == 0) {
		CHECK(d.aliases[0].state == -1 &&
			decide_rcpt(&d, "root@example.org", &r) == -1 &&
			str_starts(r.reply, "451 4.3.0"),
			"aliases not built: 451, as delivery defers");
		decide_close(&d);
	}
	cf_free(&cf);
}

/* ClientConn: (FEATURE(conncontrol)), the listeners' per-address cap:
 * the address, its prefixes, the bare tag; a map rebuilt is read again */
static void test_client_conn(void)
{
	static const char *const access[] = {
		"ClientConn:127.0.0.3", "1",
		"ClientConn:10.1", "5",
		"ClientConn:IPv6:2001:db8", "7",
		"ClientConn:192.0.2.9", "many",
		"ClientConn:", "50",
		NULL };
	static const char *const rebuilt[] = {
		"ClientConn:127.0.0.3", "2",
		NULL };
	static const struct {
		const char *ip;
		unsigned cap;
	} v[] = {
		{ "127.0.0.3", 1 }, { "10.1.2.3", 5 }, { "10.10.2.3", 50 },
		{ "2001:db8::1", 7 }, { "192.0.2.9", 0 }, { "192.0.2.1", 50 },
	};
	char cfpath[300], text[600], err[300], name[128], val[64];
	struct decide_map m;
	struct cf cf;
	size_t i;

	mkmap("ccaccess", access);
	snprintf(text, sizeof text, "Kaccess hash -o %s/ccaccess\n", dir);
	put("cccf", text);
	snprintf(cfpath, sizeof cfpath, "%s/cccf", dir);
	cf_init(&cf);
	if (cf_load(&cf, cfpath, err, sizeof err) < 0) {
		printf("FAIL: cf_load: %s\n", err);
		cf_free(&cf);
		return;
	}
	memset(&m, 0, sizeof m);
	decide_map_open(&m, &cf, "access");
	CHECK(m.state == 1, "ClientConn: the access map opens");
	for (i = 0; i < sizeof v / sizeof *v; i++) {
		snprintf(name, sizeof name, "ClientConn: %s caps at %u",
			v[i].ip, v[i].cap);
		CHECK(decide_client_conn(&m, &cf, v[i].ip) == v[i].cap, name);
	}
	CHECK(decide_tagged_ip(&m, "GreetPause", "127.0.0.3", val,
		sizeof val) == 0, "tagged walk: another tag finds nothing");
	mkmap("ccaccess", rebuilt);
	CHECK(decide_client_conn(&m, &cf, "127.0.0.3") == 2 &&
		decide_client_conn(&m, &cf, "10.1.2.3") == 0,
		"ClientConn: a map makemap rebuilt is read again");
	decide_map_close(&m);
	cf_free(&cf);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_decide.%ld", (long)getpid());
	mkdir(dir, 0755);
	test_rcpt();
	test_client_conn();
	unit_rmdir(dir);
	return unit_done();
}
