/* net: listeners, the accept loop with its limits, and the peer of a
 * session (inetd mode, UCSPI variables). */
#define _GNU_SOURCE
#include "libmini.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct net_child {
	pid_t pid;
	int family;
	unsigned char addr[16];
};

/* --- the peer ----------------------------------------------------------- */

int net_parse_ip(struct net_peer *p, const char *ip)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1) {
		p->family = AF_INET;
		memcpy(p->addr, &a4, 4);
	} else if (inet_pton(AF_INET6, ip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			p->family = AF_INET;
			memcpy(p->addr, a6.s6_addr + 12, 4);
		} else {
			p->family = AF_INET6;
			memcpy(p->addr, &a6, 16);
		}
	} else {
		return -1;
	}
	inet_ntop(p->family, p->addr, p->ip, sizeof p->ip);
	return 0;
}

/* Address and port of a sockaddr, IPv4-mapped IPv6 folded to IPv4. */
static int sa_text(const struct sockaddr_storage *ss, char *ip, size_t max,
	unsigned *port, int *family, unsigned char *addr)
{
	struct net_peer t;
	char tmp[NET_IP_MAX];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, tmp, sizeof tmp);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, tmp, sizeof tmp);
		*port = ntohs(s6->sin6_port);
	} else {
		return -1;
	}
	memset(&t, 0, sizeof t);
	if (net_parse_ip(&t, tmp) < 0)
		return -1;
	str_lcpy(ip, t.ip, max);
	if (family)
		*family = t.family;
	if (addr)
		memcpy(addr, t.addr, 16);
	return 0;
}

static unsigned env_port(const char *name)
{
	const char *v = getenv(name);
	unsigned long n;

	if (!v || str_toul(v, 65535, &n) < 0)
		return 0;
	return (unsigned)n;
}

/* TCPREMOTEHOST comes from a PTR record the client controls: only a
 * plain host name (letters, digits, '-', '.', '_') is kept, so it can go
 * into a Received: line or a log as it is. */
static void peer_host(struct net_peer *p)
{
	const char *v = getenv("TCPREMOTEHOST"), *c;

	if (!v || !*v || strlen(v) >= sizeof p->host)
		return;
	for (c = v; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				(*c >= '0' && *c <= '9') || *c == '-' ||
				*c == '.' || *c == '_'))
			return;
	str_lcpy(p->host, v, sizeof p->host);
}

static void peer_local(struct net_peer *p)
{
	memset(p, 0, sizeof *p);
	p->local = 1;
	p->family = AF_UNSPEC;
	str_lcpy(p->ip, "127.0.0.1", sizeof p->ip);
	p->addr[0] = 127, p->addr[3] = 1;
}

void net_peer(struct net_peer *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	const char *v;
	unsigned lport;

	peer_local(p);
	/* A connected IP socket on fd 0: the kernel knows best. */
	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0 &&
			sa_text(&ss, p->ip, sizeof p->ip, &p->port,
				&p->family, p->addr) == 0) {
		p->local = 0;
		len = sizeof ss;
		if (getsockname(0, (struct sockaddr *)&ss, &len) == 0 &&
				sa_text(&ss, p->local_ip, sizeof p->local_ip,
					&lport, NULL, NULL) == 0)
			p->local_port = lport;
		/* A name the listener or tcpsvd learned is kept. */
		peer_host(p);
		return;
	}
	/* A pipe or a socketpair: trust UCSPI when it names an address. */
	v = getenv("TCPREMOTEIP");
	if (v && net_parse_ip(p, v) == 0) {
		p->local = 0;
		p->port = env_port("TCPREMOTEPORT");
		peer_host(p);
		if ((v = getenv("TCPLOCALIP"))) {
			struct net_peer l;

			memset(&l, 0, sizeof l);
			if (net_parse_ip(&l, v) == 0)
				str_lcpy(p->local_ip, l.ip, sizeof p->local_ip);
		}
		p->local_port = env_port("TCPLOCALPORT");
		return;
	}
	peer_local(p);
}

int net_is_loopback(const struct net_peer *p)
{
	static const unsigned char v6lo[16] = { [15] = 1 };

	if (p->local)
		return 1;
	if (p->family == AF_INET)
		return p->addr[0] == 127;
	if (p->family == AF_INET6)
		return memcmp(p->addr, v6lo, 16) == 0;
	return 0;
}

unsigned net_port(const char *s)
{
	static const struct { const char *name; unsigned port; } svc[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
		{ "pop3", 110 }, { "pop3s", 995 }, { "imap", 143 },
		{ "imap2", 143 }, { "imaps", 993 },
	};
	unsigned long n;
	size_t i;

	if (str_toul(s, 65535, &n) == 0)
		return (unsigned)n;
	for (i = 0; i < sizeof svc / sizeof svc[0]; i++)
		if (strcmp(s, svc[i].name) == 0)
			return svc[i].port;
	return 0;
}

/* --- listening ---------------------------------------------------------- */

void net_close(struct net_server *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].fd >= 0)
			close(s->l[i].fd);
	s->n = 0;
	free(s->kids);
	s->kids = NULL;
	s->n_kids = s->cap_kids = 0;
}

static int listen_one(struct net_listener *l, const struct cf_daemon *d,
	char *err, size_t errmax)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *addr = d->addr && *d->addr ? d->addr : NULL;
	int family = d->family == AF_INET6 ? AF_INET6 : AF_INET;
	int fd, one = 1, e;

	memset(&ss, 0, sizeof ss);
	memset(l, 0, sizeof *l);
	l->fd = -1;
	str_lcpy(l->name, d->name ? d->name : "MTA", sizeof l->name);
	str_lcpy(l->modifiers, d->modifiers, sizeof l->modifiers);
	l->family = family;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(d->port);
		if (addr && inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			goto badaddr;
		len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(d->port);
		if (addr && inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			goto badaddr;
		len = sizeof *s6;
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto syserr;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* A v6 wildcard must not swallow v4: each family its own line. */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
		e = errno;
		close(fd);
		errno = e;
		goto syserr;
	}
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
			sa_text(&ss, l->addr, sizeof l->addr, &l->port,
				NULL, NULL) < 0) {
		e = errno;
		close(fd);
		errno = e;
		goto syserr;
	}
	l->fd = fd;
	return 0;
badaddr:
	snprintf(err, errmax, "%s: Addr=%s: not a numeric %s address",
		l->name, addr, family == AF_INET6 ? "IPv6" : "IPv4");
	return -1;
syserr:
	snprintf(err, errmax, "%s: %s port %u: %s", l->name,
		addr ? addr : family == AF_INET6 ? "::" : "0.0.0.0",
		d->port, strerror(errno));
	return -1;
}

int net_listen(struct net_server *s, const struct cf_daemon *d, size_t n,
	char *err, size_t errmax)
{
	size_t i;

	memset(s, 0, sizeof *s);
	s->watch_fd = -1;
	if (n > CF_MAX_DAEMONS) {
		snprintf(err, errmax, "more than %d DaemonPortOptions",
			CF_MAX_DAEMONS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (listen_one(&s->l[i], &d[i], err, errmax) < 0) {
			net_close(s);
			return -1;
		}
		s->n = i + 1;
	}
	return 0;
}

/* --- the accept loop ---------------------------------------------------- */

static volatile sig_atomic_t got_chld, got_term, got_hup;
/* client_conn: the access map the running cf names, opened by the
 * listener (as root, before any session) and after each reload; one
 * daemon per process. */
static struct decide_map daemon_access;
static struct cf **daemon_cf;

static void access_reopen(void)
{
	decide_map_close(&daemon_access);
	decide_map_open(&daemon_access, *daemon_cf, "access");
	if (daemon_access.state < 0)
		log_msg(LOG_ERR, "%s", daemon_access.err ?
			daemon_access.err : "access");
}

static unsigned access_limit(void *ctx, const struct net_peer *p)
{
	(void)ctx;
	return decide_client_conn(&daemon_access, *daemon_cf, p->ip);
}

/* The caller's signal mask, kept from the first net_serve call to the
 * NET_STOP return: across a NET_RELOAD the signals stay blocked and
 * handled, so a SIGTERM during the reload waits for the next call. */
static sigset_t saved_mask;
static int armed;

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term++;
}

size_t net_children(const struct net_server *s)
{
	return s->n_kids;
}

static void killed(const struct net_child *k, int st)
{
	char ip[NET_IP_MAX];

	if (!inet_ntop(k->family, k->addr, ip, sizeof ip))
		str_lcpy(ip, "?", sizeof ip);
	log_msg(LOG_ERR, "session pid %ld killed by signal %d (%s), client "
		"%s", (long)k->pid, WTERMSIG(st), strsignal(WTERMSIG(st)), ip);
}

static void reap(struct net_server *s)
{
	pid_t pid;
	size_t i;
	int st;

	got_chld = 0;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		int session = 0;

		for (i = 0; i < s->n_kids && !session; i++)
			if (s->kids[i].pid == pid) {
				/* a session ends by itself; a signal (a
				 * crash, the OOM killer, kill -9) is news */
				if (WIFSIGNALED(st))
					killed(&s->kids[i], st);
				s->kids[i] = s->kids[--s->n_kids];
				session = 1;
			}
		if (!session && s->reaped)
			s->reaped(s->ctx, pid, st);
	}
}

static unsigned count_ip(const struct net_server *s, const struct net_peer *p)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < s->n_kids; i++)
		if (s->kids[i].family == p->family &&
				memcmp(s->kids[i].addr, p->addr,
					p->family == AF_INET ? 4 : 16) == 0)
			n++;
	return n;
}

static void child_env(const struct net_peer *p)
{
	char port[8];

	/* UCSPI (tcpserver's names), so inetd mode reads the same thing. */
	setenv("PROTO", "TCP", 1);
	setenv("TCPREMOTEIP", p->ip, 1);
	snprintf(port, sizeof port, "%u", p->port);
	setenv("TCPREMOTEPORT", port, 1);
	unsetenv("TCPREMOTEHOST");
	unsetenv("TCPREMOTEINFO");
	setenv("TCPLOCALIP", p->local_ip, 1);
	snprintf(port, sizeof port, "%u", p->local_port);
	setenv("TCPLOCALPORT", port, 1);
}

static void child(struct net_server *s, size_t li, int c,
	const struct net_peer *p, const sigset_t *old)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_SETMASK, old, NULL);
	for (i = 0; i < s->n; i++)
		close(s->l[i].fd);
	if (s->watch_fd >= 0)
		close(s->watch_fd);
	/* The session's socket blocks; its reads have their own deadlines. */
	fcntl(c, F_SETFL, fcntl(c, F_GETFL) & ~O_NONBLOCK);
	if (dup2(c, 0) < 0 || dup2(c, 1) < 0)
		_exit(EX_OSERR);
	if (c > 1)
		close(c);
	child_env(p);
	s->l[li].fd = -1;
	/* the listener's access map is not the session's business */
	if (s->ip_limit == access_limit)
		decide_map_close(&daemon_access);
	exit(s->session(s->ctx, &s->l[li]));
}

static int add_kid(struct net_server *s, pid_t pid, const struct net_peer *p)
{
	if (buf_grow_array((void **)&s->kids, &s->cap_kids, s->n_kids,
			sizeof *s->kids, 16) < 0)
		return -1;
	s->kids[s->n_kids].pid = pid;
	s->kids[s->n_kids].family = p->family;
	memcpy(s->kids[s->n_kids].addr, p->addr, 16);
	s->n_kids++;
	return 0;
}

/* A connection over a limit: the protocol's LINE in one non-blocking
 * send, then the close; no fork, no wait.  What the client sent already
 * is read first (as much as is there), so that the close ends with a FIN
 * after the line rather than a reset that could discard it. */
static void refuse(int c, const char *line)
{
	char junk[512];

	if (line)
		(void)!send(c, line, strlen(line), MSG_DONTWAIT |
			MSG_NOSIGNAL);
	shutdown(c, SHUT_WR);
	(void)!recv(c, junk, sizeof junk, MSG_DONTWAIT);
	close(c);
}

/* One connection accepted on listener LI: check the caps, fork. */
static void handle(struct net_server *s, size_t li, int c, const sigset_t *old)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct net_peer p;
	unsigned cap;
	pid_t pid;

	/* MaxDaemonChildren: an answer at once rather than a client left
	 * waiting in the backlog for its own timeout; logged once until
	 * a slot frees (net_serve) */
	if (s->max_children && s->n_kids >= s->max_children) {
		if (!s->n_busy++)
			log_msg(LOG_NOTICE, "%s: MaxDaemonChildren (%u) "
				"reached: refusing connections",
				s->l[li].name, s->max_children);
		refuse(c, s->busy);
		return;
	}
	memset(&p, 0, sizeof p);
	if (getpeername(c, (struct sockaddr *)&ss, &len) < 0 ||
			sa_text(&ss, p.ip, sizeof p.ip, &p.port, &p.family,
				p.addr) < 0) {
		close(c);	/* gone already */
		return;
	}
	len = sizeof ss;
	if (getsockname(c, (struct sockaddr *)&ss, &len) == 0)
		sa_text(&ss, p.local_ip, sizeof p.local_ip, &p.local_port,
			NULL, NULL);
	cap = s->ip_limit ? s->ip_limit(s->ctx, &p) : 0;
	if (cap && count_ip(s, &p) >= cap) {
		log_msg(LOG_NOTICE, "%s: too many connections from %s (%u)",
			s->l[li].name, p.ip, cap);
		refuse(c, s->busy_ip);
		return;
	}
	/* Room in the table first: a child we cannot count breaks the caps. */
	if (add_kid(s, 0, &p) < 0) {
		log_msg(LOG_ERR, "%s: out of memory, connection from %s closed",
			s->l[li].name, p.ip);
		close(c);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child(s, li, c, &p, old);
	close(c);
	if (pid < 0) {
		s->n_kids--;
		log_msg(LOG_ERR, "%s: fork: %s", s->l[li].name,
			strerror(errno));
		return;
	}
	s->kids[s->n_kids - 1].pid = pid;
}

static void set_handlers(int install)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = install ? on_signal : SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Waits for every session after SIGTERM; a second SIGTERM passes on. */
static void drain(struct net_server *s, const sigset_t *old)
{
	int passed = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].fd >= 0) {
			close(s->l[i].fd);
			s->l[i].fd = -1;
		}
	reap(s);
	while (s->n_kids > 0) {
		if (got_term > 1 && !passed) {
			for (i = 0; i < s->n_kids; i++)
				kill(s->kids[i].pid, SIGTERM);
			passed = 1;
		}
		if (!got_chld)
			sigsuspend(old);
		reap(s);
	}
}

int net_serve(struct net_server *s)
{
	struct pollfd pfd[CF_MAX_DAEMONS + 1];
	sigset_t block, old;
	time_t second = 0;
	unsigned in_second = 0;
	int r = NET_STOP, pause = 0;
	size_t i;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	/* Signals are only taken inside ppoll: no race between a flag's
	 * test and the wait. */
	if (!armed) {
		sigprocmask(SIG_BLOCK, &block, &saved_mask);
		got_term = 0;
		set_handlers(1);
		armed = 1;
	}
	old = saved_mask;
	got_hup = 0;
	got_chld = 1;
	for (;;) {
		struct timespec ts, *tsp = NULL;
		int full, n;

		if (got_chld)
			reap(s);
		if (got_term) {
			drain(s, &old);
			r = NET_STOP;
			break;
		}
		if (got_hup) {
			r = NET_RELOAD;
			break;
		}
		if (s->n_busy && (!s->max_children ||
				s->n_kids < s->max_children)) {
			log_msg(LOG_NOTICE, "below MaxDaemonChildren again: "
				"%lu connection%s refused", s->n_busy,
				s->n_busy == 1 ? "" : "s");
			s->n_busy = 0;
		}
		full = 0;
		if (s->conn_rate) {
			time_t now = time(NULL);

			if (now != second)
				second = now, in_second = 0;
			/* Over the rate: sleep until the next second. */
			if (in_second >= s->conn_rate)
				pause = 1;
		}
		/* Out of descriptors, or over the rate: 100 ms without
		 * accepting (the kernel's backlog holds the clients). */
		if (pause) {
			full = 1;
			ts.tv_sec = 0;
			ts.tv_nsec = 100000000;
			tsp = &ts;
			pause = 0;
		}
		for (i = 0; i < s->n; i++) {
			pfd[i].fd = full ? -1 : s->l[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[s->n].fd = s->watch_fd;
		pfd[s->n].events = POLLIN;
		pfd[s->n].revents = 0;
		n = ppoll(pfd, s->n + 1, tsp, &old);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -1;
			break;
		}
		if (pfd[s->n].revents && s->watch)
			s->watch(s->ctx);
		for (i = 0; i < s->n && n > 0; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			c = accept4(s->l[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0) {
				/* EAGAIN: another process took it;
				 * EMFILE: wait for a session to end. */
				if (errno == EMFILE || errno == ENFILE ||
						errno == ENOBUFS || errno == ENOMEM)
					pause = 1;
				if (errno != EAGAIN && errno != EINTR &&
						errno != ECONNABORTED)
					log_msg(LOG_ERR, "%s: accept: %s",
						s->l[i].name, strerror(errno));
				continue;
			}
			in_second++;
			handle(s, i, c, &old);
		}
	}
	if (r != NET_RELOAD) {
		set_handlers(0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		armed = 0;
	}
	return r;
}

/* A daemon's -b: the classic double step (fork, setsid), stdio on
 * /dev/null, and a pidfile; a pidfile that cannot be written is logged,
 * not fatal (the daemon runs all the same). */
void net_detach(const char *pidfile)
{
	char line[32];
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		xdie_errno(EX_OSERR, "fork");
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") < 0)
		xdie_errno(EX_OSERR, "chdir /");
	file_null_fds(7);
	fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		snprintf(line, sizeof line, "%d\n", (int)getpid());
		if (write(fd, line, strlen(line)) < 0)
			log_msg(LOG_WARNING, "%s: %s", pidfile,
				strerror(errno));
		close(fd);
	} else {
		log_msg(LOG_WARNING, "%s: %s", pidfile, strerror(errno));
	}
}

void net_log_user(const char *who, int root, uid_t uid, gid_t gid,
	const char *option, const char *spec)
{
	struct passwd *pw;
	struct group *gr;
	int dflt;

	if (!root) {
		log_msg(LOG_INFO, "%s run as uid %u (not started as root: no "
			"privilege change)", who, (unsigned)getuid());
		return;
	}
	pw = getpwuid(uid);
	gr = getgrgid(gid);
	// cf.c fills an unset DefaultUser in as sendmail does
	dflt = !strcmp(option, "DefaultUser") && (!strcmp(spec, "mailnull") ||
		!strcmp(spec, "1:1"));
	log_msg(LOG_INFO, "%s run as uid %u (%s), gid %u (%s): %s=%s%s", who,
		(unsigned)uid, pw ? pw->pw_name : "no passwd entry",
		(unsigned)gid, gr ? gr->gr_name : "no group entry", option,
		spec, dflt ? " (the default when unset: mailnull, else 1:1)" :
		"");
}

const struct cf_daemon *net_needs_tls(const struct cf_daemon *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr(d[i].modifiers, 's'))
			return &d[i];
	return NULL;
}

size_t net_default_listeners(struct cf_daemon def[2], char *name,
	unsigned port, char *tls_name, unsigned tls_port, int tls)
{
	memset(def, 0, 2 * sizeof *def);
	def[0].name = name;
	def[0].addr = "127.0.0.1";
	def[0].port = port;
	def[0].family = AF_INET;
	def[1] = def[0];
	def[1].name = tls_name;
	def[1].port = tls_port;
	str_lcpy(def[1].modifiers, "s", sizeof def[1].modifiers);
	return tls ? 2 : 1;
}

int net_tls_server(const struct cf *cf, struct tls_server_config **out,
	char *err, size_t errmax)
{
	const struct cf_opts *o = &cf->opt;

	*out = NULL;
	if (!CFG_TLS || !o->server_cert || !*o->server_cert)
		return 0;
	*out = tls_server_config_new(o->server_cert, o->server_key &&
		*o->server_key ? o->server_key : o->server_cert, err, errmax);
	if (!*out)
		return -1;
	if (tls_server_config_cache(*out, o->tls_session_cache,
			o->tls_session_timeout, err, errmax) < 0) {
		tls_server_config_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int net_tls_reload(const struct net_server *srv, const struct cf *fresh,
	struct tls_server_config **tls, char *err, size_t errmax)
{
	struct tls_server_config *t;
	size_t i;

	if (net_tls_server(fresh, &t, err, errmax) < 0)
		return -1;
	for (i = 0; i < srv->n; i++)
		if (strchr(srv->l[i].modifiers, 's') && !t) {
			snprintf(err, errmax, "%s: M=s needs "
				"ServerCertFile", srv->l[i].name);
			return -1;
		}
	if (*tls)
		tls_server_config_free(*tls);
	*tls = t;
	return 0;
}

static void daemon_limits(struct net_server *srv, const struct cf *cf)
{
	srv->max_children = cf->opt.max_children;
	srv->conn_rate = cf->opt.conn_rate;
}

/* SIGHUP: the new cf for the next sessions, built aside (nothing on this
 * path exits); the sockets stay (new port options need a restart). */
static void daemon_reload(const struct net_daemon *d, struct net_server *srv)
{
	struct cf *fresh = cf_reload(d->cfpath ? d->cfpath : CF_PATH,
		d->cfpath != NULL);
	char err[512];

	if (!fresh)
		return;		/* cf_reload said why */
	err[0] = 0;
	if (d->reload && d->reload(d->ctx, srv, fresh, err, sizeof err) < 0) {
		if (err[0])
			log_msg(LOG_ERR, "%s; reload failed, keeping the old "
				"configuration", err);
		else
			log_msg(LOG_ERR, "reload failed, keeping the old "
				"configuration");
		cf_free(fresh);
		free(fresh);
		return;
	}
	cf_free(*d->cf);
	free(*d->cf);
	*d->cf = fresh;
	if (d->client_conn && !d->ip_limit)
		access_reopen();
	if (d->reloaded)
		d->reloaded(d->ctx);
	daemon_limits(srv, fresh);
	log_msg(LOG_INFO, "configuration reloaded");
}

void net_daemon_init(struct net_daemon *d, const char *tag, void *ctx,
	struct cf **cf, const char *cfpath)
{
	memset(d, 0, sizeof *d);
	d->tag = tag;
	d->ctx = ctx;
	d->cf = cf;
	d->cfpath = cfpath;
}

int net_daemon(const struct net_daemon *d, int background,
	const char *pidfile)
{
	struct net_server srv;
	char err[512];
	size_t i;
	int r;

	if (net_listen(&srv, d->d, d->n, err, sizeof err) < 0) {
		xwarn("%s", err);
		return EX_OSERR;
	}
	if (d->setup && d->setup(d->ctx, &srv) < 0) {
		net_close(&srv);
		return EX_OSERR;
	}
	if (background)
		net_detach(pidfile);
	log_open(d->tag, background);
	daemon_limits(&srv, *d->cf);
	srv.session = d->session;
	srv.ip_limit = d->ip_limit;
	if (d->client_conn && !d->ip_limit) {
		daemon_cf = d->cf;
		access_reopen();
		srv.ip_limit = access_limit;
	}
	srv.busy = d->busy;
	srv.busy_ip = d->busy_ip;
	srv.reaped = d->reaped;
	srv.ctx = d->ctx;
	if (d->start)
		d->start(d->ctx, &srv);
	for (i = 0; i < srv.n; i++)
		log_msg(LOG_INFO, "listening on %s port %u (%s)",
			srv.l[i].addr, srv.l[i].port, srv.l[i].name);
	if (d->started)
		d->started(d->ctx);
	while ((r = net_serve(&srv)) == NET_RELOAD)
		daemon_reload(d, &srv);
	log_msg(LOG_INFO, "stopped");
	net_close(&srv);
	if (d->stop)
		d->stop(d->ctx);
	if (srv.ip_limit == access_limit)
		decide_map_close(&daemon_access);
	if (background)
		unlink(pidfile);
	return r < 0 ? EX_OSERR : EX_OK;
}
