/* Unit tests of net: ports, addresses, the peer of an inetd session, and
 * the accept loop over loopback (limits, SIGHUP, SIGTERM draining).
 * Bounded: alarm() ends a stuck run. */
#include "libmini.h"
#include "unit.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_port(void)
{
	static const struct { const char *s; unsigned port; } v[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
		{ "2525", 2525 }, { "65535", 65535 }, { "65536", 0 },
		{ "", 0 }, { "smtp ", 0 }, { "-1", 0 }, { "nosuch", 0 },
	};
	size_t i;
	char name[64];

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(name, sizeof name, "net_port \"%s\"", v[i].s);
		CHECK(net_port(v[i].s) == v[i].port, name);
	}
}

static void test_ip(void)
{
	static const struct { const char *in, *out; int family, lo; } v[] = {
		{ "192.0.2.1", "192.0.2.1", AF_INET, 0 },
		{ "127.0.0.2", "127.0.0.2", AF_INET, 1 },
		{ "::1", "::1", AF_INET6, 1 },
		{ "2001:DB8::1", "2001:db8::1", AF_INET6, 0 },
		{ "::ffff:10.0.2.15", "10.0.2.15", AF_INET, 0 },
		{ "::ffff:127.0.0.1", "127.0.0.1", AF_INET, 1 },
		{ "10.0.2", NULL, 0, 0 }, { "", NULL, 0, 0 },
		{ "1.2.3.4 ", NULL, 0, 0 }, { "example.org", NULL, 0, 0 },
		{ "256.1.1.1", NULL, 0, 0 },
	};
	struct net_peer p;
	char name[80];
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		memset(&p, 0, sizeof p);
		snprintf(name, sizeof name, "net_parse_ip \"%s\"", v[i].in);
		if (!v[i].out) {
			CHECK(net_parse_ip(&p, v[i].in) == -1, name);
			continue;
		}
		CHECK(net_parse_ip(&p, v[i].in) == 0 &&
			p.family == v[i].family, name);
		CHECK_STR(p.ip, v[i].out, name);
		CHECK(net_is_loopback(&p) == v[i].lo, name);
	}
}

/* inetd mode: fd 0 a pipe, with and without the UCSPI variables. */
static void test_peer(void)
{
	struct net_peer p;
	int fds[2], saved = dup(0);

	if (pipe(fds) < 0)
		return;
	dup2(fds[0], 0);
	unsetenv("TCPREMOTEIP");
	net_peer(&p);
	CHECK(p.local && net_is_loopback(&p), "pipe, no UCSPI: local");
	setenv("TCPREMOTEIP", "192.0.2.7", 1);
	setenv("TCPREMOTEPORT", "40000", 1);
	setenv("TCPREMOTEHOST", "client.example.org", 1);
	setenv("TCPLOCALIP", "192.0.2.1", 1);
	setenv("TCPLOCALPORT", "25", 1);
	net_peer(&p);
	CHECK(!p.local && !net_is_loopback(&p) && p.port == 40000 &&
		p.local_port == 25, "pipe, UCSPI: remote");
	CHECK_STR(p.ip, "192.0.2.7", "UCSPI TCPREMOTEIP");
	CHECK_STR(p.host, "client.example.org", "UCSPI TCPREMOTEHOST");
	CHECK_STR(p.local_ip, "192.0.2.1", "UCSPI TCPLOCALIP");
	setenv("TCPREMOTEHOST", "evil\r\nX-Injected: 1", 1);
	net_peer(&p);
	CHECK_STR(p.host, "", "UCSPI TCPREMOTEHOST with CR LF is dropped");
	setenv("TCPREMOTEIP", "not-an-address", 1);
	net_peer(&p);
	CHECK(p.local, "pipe, bad TCPREMOTEIP: local");
	unsetenv("TCPREMOTEIP");
	unsetenv("TCPREMOTEPORT");
	unsetenv("TCPREMOTEHOST");
	unsetenv("TCPLOCALIP");
	unsetenv("TCPLOCALPORT");
	dup2(saved, 0);
	close(saved);
	close(fds[0]);
	close(fds[1]);
}

/* --- the accept loop --------------------------------------------------- */

static int session(void *ctx, const struct net_listener *l)
{
	struct net_peer p;
	char out[256], c;
	int n;

	net_peer(&p);
	n = snprintf(out, sizeof out, "%s %s %s %s %s %s\n", l->name, p.ip,
		p.local_ip, getenv("PROTO") ? getenv("PROTO") : "-",
		getenv("TCPREMOTEIP") ? getenv("TCPREMOTEIP") : "-",
		p.local ? "local" : "remote");
	if (write(1, out, n) < 0)
		return 1;
	/* Run until the client closes or sends a byte. */
	while (read(0, &c, 1) < 0 && errno == EINTR)
		;
	return 0;
}

static unsigned limit_one(void *ctx, const struct net_peer *p)
{
	return *(unsigned *)ctx;
}

static int dial(int family, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM, 0);

	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, "127.0.0.1", &s4->sin_addr);
		len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, "::1", &s6->sin6_addr);
		len = sizeof *s6;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A line from fd within MS milliseconds, "" when none came. */
static const char *line(int fd, int ms)
{
	static char b[256];
	size_t n = 0;

	b[0] = 0;
	while (n < sizeof b - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, ms) <= 0)
			break;
		r = read(fd, b + n, 1);
		if (r <= 0)
			break;
		if (b[n++] == '\n')
			break;
	}
	b[n] = 0;
	return b;
}

static void test_serve(void)
{
	struct cf_daemon d[2];
	struct net_server s;
	char err[256], want[128];
	unsigned cap = 1, port4, port6 = 0;
	int report[2], a, b, c, st, have6;
	pid_t pid;

	memset(d, 0, sizeof d);
	d[0].name = "MTA";
	d[0].addr = "127.0.0.1";
	d[0].family = AF_INET;
	d[1].name = "MTA-v6";
	d[1].addr = "::1";
	d[1].family = AF_INET6;
	/* IPv6 may be off in a container: then v4 only. */
	have6 = net_listen(&s, d, 2, err, sizeof err) == 0;
	if (!have6)
		CHECK(net_listen(&s, d, 1, err, sizeof err) == 0,
			"net_listen 127.0.0.1:0");
	port4 = s.l[0].port;
	if (have6)
		port6 = s.l[1].port;
	CHECK(port4 > 0 && s.l[0].fd >= 0, "bound port learned");
	{
		struct net_server t;
		struct cf_daemon bad = { "Bad", "1.2.3", 0, AF_INET, "" };

		CHECK(net_listen(&t, &bad, 1, err, sizeof err) == -1 &&
			strstr(err, "not a numeric IPv4") != NULL,
			"net_listen refuses a bad Addr");
		bad.addr = "127.0.0.1";
		bad.port = port4;
		/* Another socket on a busy port: EADDRINUSE, named. */
		CHECK(net_listen(&t, &bad, 1, err, sizeof err) == -1 &&
			strstr(err, "Bad: 127.0.0.1 port") != NULL,
			"net_listen reports a busy port");
	}
	s.ip_limit = limit_one;
	s.busy_ip = "refused\n";
	s.session = session;
	s.ctx = &cap;
	if (pipe(report) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int r;

		close(report[0]);
		while ((r = net_serve(&s)) == NET_RELOAD)
			if (write(report[1], "R\n", 2) < 0)
				break;
		if (r != NET_STOP || net_children(&s) != 0)
			fprintf(stderr, "net_serve %d children %zu\n", r,
				net_children(&s));
		_exit(r == NET_STOP && net_children(&s) == 0 ? 0 : 1);
	}
	close(report[1]);
	net_close(&s);

	a = dial(AF_INET, port4);
	snprintf(want, sizeof want, "MTA 127.0.0.1 127.0.0.1 %s\n",
		"TCP 127.0.0.1 remote");
	CHECK_STR(line(a, 5000), want, "session gets the UCSPI variables");
	b = dial(AF_INET, port4);
	CHECK_STR(line(b, 5000), "refused\n", "per-IP cap refuses the second");
	close(b);
	if (have6) {
		c = dial(AF_INET6, port6);
		CHECK_STR(line(c, 5000), "MTA-v6 ::1 ::1 TCP ::1 remote\n",
			"second listener, IPv6");
		close(c);
	}
	/* SIGHUP: net_serve returns NET_RELOAD, the caller calls again. */
	kill(pid, SIGHUP);
	CHECK_STR(line(report[0], 5000), "R\n", "SIGHUP returns NET_RELOAD");
	/* SIGTERM with a session running: no exit until it ends. */
	kill(pid, SIGTERM);
	usleep(200000);
	CHECK(waitpid(pid, &st, WNOHANG) == 0, "SIGTERM waits for sessions");
	c = dial(AF_INET, port4);
	CHECK(c < 0 || line(c, 200)[0] == 0, "SIGTERM stops accepting");
	if (c >= 0)
		close(c);
	close(a);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 0, "server exits 0 when sessions end");
	close(report[0]);
}

/* A client on PORT runs a session: 1.  Over MaxDaemonChildren it tries
 * again (a slot frees when the listener has reaped the session that
 * held it), 100 times at most; anything else than "busy" is 0. */
static int served(unsigned port)
{
	const char *l;
	int i, c;

	for (i = 0; i < 100; i++) {
		c = dial(AF_INET, port);
		l = line(c, 5000);
		close(c);
		if (l[0] == 'M')
			return 1;
		if (strcmp(l, "busy\n") != 0)
			return 0;
		usleep(50000);
	}
	return 0;
}

/* MaxDaemonChildren 1: the second client gets the busy line at once and
 * the close; after the first ends, a client runs again. */
static void test_max_children(void)
{
	struct cf_daemon d = { "MTA", "127.0.0.1", 0, AF_INET, "" };
	struct net_server s;
	char err[256];
	int a, b, st;
	pid_t pid;

	if (net_listen(&s, &d, 1, err, sizeof err) < 0) {
		CHECK(0, err);
		return;
	}
	s.max_children = 1;
	s.conn_rate = 2;
	s.session = session;
	s.busy = "busy\n";
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(net_serve(&s) == NET_STOP ? 0 : 1);
	a = dial(AF_INET, s.l[0].port);
	CHECK(line(a, 5000)[0] == 'M', "first session runs");
	b = dial(AF_INET, s.l[0].port);
	CHECK_STR(line(b, 5000), "busy\n", "second refused while the first "
		"runs");
	CHECK(line(b, 5000)[0] == 0, "and closed");
	close(b);
	close(a);
	CHECK(served(s.l[0].port), "a client runs after the first ends");
	/* ConnectionRateThrottle 2: more connections still all get served. */
	{
		int i, ok = 1;

		for (i = 0; i < 4; i++)
			ok &= served(s.l[0].port);
		CHECK(ok, "rate throttle delays, never drops");
	}
	kill(pid, SIGTERM);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 0, "server stops on SIGTERM");
	net_close(&s);
}

static void test_needs_tls(void)
{
	struct cf_daemon d[3];

	memset(d, 0, sizeof d);
	d[0].name = "MTA";
	d[1].name = "MSA";
	str_lcpy(d[1].modifiers, "Ea", sizeof d[1].modifiers);
	d[2].name = "SMTPS";
	str_lcpy(d[2].modifiers, "s", sizeof d[2].modifiers);
	CHECK(net_needs_tls(d, 2) == NULL, "net_needs_tls: no M=s");
	CHECK(net_needs_tls(d, 3) == &d[2], "net_needs_tls: the M=s one");
	CHECK(net_needs_tls(d, 0) == NULL, "net_needs_tls: none at all");
}

int main(void)
{
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	test_port();
	test_needs_tls();
	test_ip();
	test_peer();
	test_serve();
	test_max_children();
	return unit_done();
}
