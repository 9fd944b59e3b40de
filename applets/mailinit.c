/*
 * mailinit: the entry point of a container that holds only postbox.  It
 * runs as PID 1 (initscripts/docker/Dockerfile) and starts the mail
 * system's daemons as its children, each in the foreground logging to
 * stderr (what the container engine keeps): smtpd, the queue runner
 * (sendmail -q15m), pop3d and imapd.  As PID 1 it also reaps every orphan
 * that the kernel hands it.
 *
 * A daemon that exits is started again after a second; one that exits
 * three times in a row within 10 s of its start (a bad cf, a missing
 * certificate, a port in use) makes mailinit stop the others and exit
 * with that daemon's status, so the engine shows the error and its
 * restart policy decides.  SIGTERM and SIGINT stop the daemons (SIGTERM,
 * then SIGKILL after 30 s) and exit 0.  SIGHUP goes to smtpd, which
 * reads the cf and maps again, and to imapd, which reads the cf and the
 * certificate again for its next sessions; pop3d is stopped and started
 * again instead (its sessions go on).
 *
 * "mailinit -c" is the image's HEALTHCHECK: it connects to each port
 * given (default 127.0.0.1 25, 110 when pop3d is built in, 143 when
 * imapd is), wants the greeting ("220" for SMTP, "+OK" for POP3, "* OK"
 * for IMAP) within 10 s, says QUIT (IMAP: LOGOUT), and exits 0, else 1
 * with the reason.  No shell is needed for either.
 *
 * Left out: more daemons than these four, per-daemon options (they read
 * the cf, as they do under any other init system), privilege changes
 * (each daemon drops its own).
 */
//applet:mailinit usr/sbin drop
//man:entry point of a mail container: smtpd, the queue runner, pop3d, imapd
//man:As PID 1 it also reaps the orphans the kernel hands it.  A daemon that
//man:exits is started again after a second; one that exits three times in a
//man:row within 10 seconds of its start makes mailinit stop the others and
//man:exit with that daemon's status.
//config:config MAILINIT
//config:	bool "mailinit: a container's PID 1 (smtpd, pop3d...), ~4 KiB"
//config:	default y
//config:	depends on SMTPD && SENDMAIL
//config:	help
//config:	  The entry point of a FROM scratch image: starts smtpd,
//config:	  sendmail -q15m, pop3d and imapd, restarts them, reaps
//config:	  orphans, stops them on SIGTERM; "mailinit -c" is a health
//config:	  check.
//usage:usage: mailinit [-C FILE] [-q TIME] [-P] [-I]
//usage:       mailinit -c [[ADDR:]PORT]...
//usage:
//usage:Runs smtpd, the queue runner (sendmail -qTIME), pop3d and imapd as its
//usage:children in the foreground, for a container's PID 1; SIGTERM stops
//usage:them, SIGHUP makes smtpd and imapd re-read the cf and restarts pop3d.
//usage:-C FILE	configuration (default /etc/mail/sendmail.cf), for each daemon
//usage:-q TIME	the queue runner's interval (default 15m)
//usage:-P	no pop3d
//usage:-I	no imapd
//usage:-c	health check: each [ADDR:]PORT (default 127.0.0.1, ports 25,
//usage:	110 and 143) must greet with 220, +OK or * OK within 10 s;
//usage:	exit 0 or 1
#include "libmini.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SVC 4
#define QUICK_SECS 10		/* an exit this soon after start is "quick" */
#define QUICK_LIMIT 3		/* quick exits in a row before giving up */
#define STOP_SECS 30		/* SIGTERM, then SIGKILL after this long */
#define CHECK_SECS 10		/* the health check's deadline per port */
#define HUP_NONE 0
#define HUP_SIGNAL 1		/* pass SIGHUP on: the daemon reloads */
#define HUP_RESTART 2		/* stop it and start it again */

struct svc {
	const char *name;	/* the applet */
	char *argv[6];
	int argc;
	int hup;		/* on SIGHUP: HUP_* */
	int restarting;		/* stopped by us for SIGHUP */
	pid_t pid;		/* 0: not running */
	time_t started, restart_at;	/* restart_at 0: none due */
	int quick;		/* quick exits in a row */
};

struct init {
	struct svc svc[MAX_SVC];
	int n;
	int stopping;		/* 1 stopping, 2 SIGTERM sent, 3 SIGKILL sent */
	time_t stop_deadline;
	int exit_code;
};

static time_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The child: the applet by its own name (so ps shows smtpd, not
 * mailinit), through /proc/self/exe; without /proc, in this process. */
static void svc_exec(struct svc *s, const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
	execv("/proc/self/exe", s->argv);
	optind = 1;	/* the applet parses its own options afresh */
	_exit(applet_run(s->name, s->argc, s->argv));
}

static void svc_start(struct svc *s, const sigset_t *old)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		svc_exec(s, old);
	s->restart_at = 0;
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot start %s: %s; trying again in 1s",
			s->name, strerror(errno));
		s->restart_at = now() + 1;
		return;
	}
	s->pid = pid;
	s->started = now();
	log_msg(LOG_INFO, "started %s (pid %ld)", s->name, (long)pid);
}

static void describe(int status, char *out, size_t max)
{
	if (WIFEXITED(status))
		snprintf(out, max, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, max, "signal %d", WTERMSIG(status));
	else
		snprintf(out, max, "status %#x", (unsigned)status);
}

/* One child ended: note it, and decide on a restart or giving up. */
static void svc_exited(struct init *in, struct svc *s, int status)
{
	char how[64];
	time_t t = now();

	describe(status, how, sizeof how);
	s->pid = 0;
	if (in->stopping) {
		log_msg(LOG_INFO, "%s stopped (%s)", s->name, how);
		return;
	}
	if (s->restarting) {
		s->restarting = 0;
		s->restart_at = t;
		return;
	}
	s->quick = t - s->started < QUICK_SECS ? s->quick + 1 : 0;
	if (s->quick >= QUICK_LIMIT) {
		log_msg(LOG_ERR, "%s exited %d times within %ds of starting "
			"(%s): stopping the others", s->name, s->quick,
			QUICK_SECS, how);
		in->exit_code = WIFEXITED(status) && WEXITSTATUS(status) ?
			WEXITSTATUS(status) : EX_SOFTWARE;
		in->stopping = 1;
		in->stop_deadline = t + STOP_SECS;
		return;
	}
	log_msg(LOG_WARNING, "%s exited (%s): starting it again in 1s",
		s->name, how);
	s->restart_at = t + 1;
}

static void reap(struct init *in)
{
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < in->n; i++)
			if (in->svc[i].pid == pid)
				svc_exited(in, &in->svc[i], status);
		/* anything else is an orphan the kernel gave PID 1 */
	}
}

static void signal_all(struct init *in, int sig)
{
	int i;

	for (i = 0; i < in->n; i++)
		if (in->svc[i].pid > 0)
			kill(in->svc[i].pid, sig);
}

static void hangup(struct init *in)
{
	int i;

	for (i = 0; i < in->n; i++) {
		struct svc *s = &in->svc[i];

		if (s->pid <= 0 || s->hup == HUP_NONE)
			continue;
		if (s->hup == HUP_RESTART)
			s->restarting = 1;
		log_msg(LOG_INFO, "SIGHUP: %s %s", s->hup == HUP_SIGNAL ?
			"passed to" : "restarting", s->name);
		kill(s->pid, s->hup == HUP_SIGNAL ? SIGHUP : SIGTERM);
	}
}

static int running(const struct init *in)
{
	int i, r = 0;

	for (i = 0; i < in->n; i++)
		r += in->svc[i].pid > 0;
	return r;
}

static void svc_add(struct init *in, const char *name, const char *cf,
	const char *arg, int hup)
{
	struct svc *s = &in->svc[in->n++];
	int a = 0;

	s->name = name;
	s->hup = hup;
	s->argv[a++] = (char *)name;
	s->argv[a++] = "-C";
	s->argv[a++] = (char *)cf;
	if (arg)
		s->argv[a++] = (char *)arg;
	s->argv[a] = NULL;
	s->argc = a;
}

static int supervise(struct init *in)
{
	sigset_t set, old;
	struct timespec tick = { 1, 0 };
	int i, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < in->n; i++)
		svc_start(&in->svc[i], &old);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!in->stopping) {
				log_msg(LOG_INFO, "signal %d: stopping", sig);
				in->stopping = 1;
				in->stop_deadline = now() + STOP_SECS;
			}
		} else if (sig == SIGHUP && !in->stopping) {
			hangup(in);
		}
		reap(in);
		if (in->stopping) {
			if (in->stopping == 1) {
				signal_all(in, SIGTERM);
				in->stopping = 2;
			} else if (in->stopping == 2 &&
					now() >= in->stop_deadline) {
				log_msg(LOG_WARNING, "still running after "
					"%ds: SIGKILL", STOP_SECS);
				signal_all(in, SIGKILL);
				in->stopping = 3;
			}
			if (!running(in))
				break;
			continue;
		}
		for (i = 0; i < in->n; i++) {
			struct svc *s = &in->svc[i];

			if (!s->pid && s->restart_at && now() >= s->restart_at)
				svc_start(s, &old);
		}
	}
	log_msg(LOG_INFO, "all stopped");
	return in->exit_code;
}

/* Reads until a line end or DEADLINE; returns the bytes read or -1. */
static ssize_t read_line(int fd, char *buf, size_t max, time_t deadline)
{
	size_t got = 0;

	while (got < max - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		time_t left = deadline - now();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left * 1000) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = read(fd, buf + got, max - 1 - got);
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		got += n;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	return got;
}

/* One port of the health check; prints one line, returns 0 when it
 * greeted as a mail server does. */
static int check_one(const char *spec)
{
	char addr[64] = "127.0.0.1", line[512];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in sa;
	unsigned port;
	time_t deadline = now() + CHECK_SECS;
	int fd, ok, imap;

	if (colon && (size_t)(colon - spec) < sizeof addr) {
		memcpy(addr, spec, colon - spec);
		addr[colon - spec] = 0;
	}
	port = net_port(colon ? colon + 1 : spec);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (!port || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		printf("%s: not an IPv4 [ADDR:]PORT\n", spec);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		printf("%s:%u: %s\n", addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (read_line(fd, line, sizeof line, deadline) < 0) {
		printf("%s:%u: no greeting: %s\n", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	imap = str_starts(line, "* OK");
	ok = imap || str_starts(line, "220") || str_starts(line, "+OK");
	printf("%s:%u: %s%s\n", addr, port, ok ? "" : "unexpected: ", line);
	/* a polite end: the daemons log a dropped session otherwise */
	if (imap) {
		if (write(fd, "a LOGOUT\r\n", 10) == 10)
			while (read_line(fd, line, sizeof line, deadline) >
			    0 && !str_starts(line, "a "))
				;
	} else if (write(fd, "QUIT\r\n", 6) == 6) {
		read_line(fd, line, sizeof line, deadline);
	}
	close(fd);
	return ok ? 0 : -1;
}

static int health_check(int argc, char **argv)
{
	int i, bad = 0;

	if (argc == 0) {
		bad |= check_one("25");
		if (applet_exists("pop3d"))
			bad |= check_one("110");
		if (applet_exists("imapd"))
			bad |= check_one("143");
	}
	for (i = 0; i < argc; i++)
		bad |= check_one(argv[i]);
	fflush(stdout);
	return bad ? 1 : 0;
}

/* sendmail's -qTIME: digits with s, m, h, d or w units (1h30m). */
static int valid_interval(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if (!(*t >= '0' && *t <= '9') && !strchr("smhdw", *t))
			return 0;
	return 1;
}

int mailinit_main(int argc, char **argv)
{
	struct init in;
	char qopt[32];
	const char *cf = "/etc/mail/sendmail.cf", *interval = "15m";
	int opt, check = 0, pop3 = 1, imap = 1;

	memset(&in, 0, sizeof in);

	while ((opt = getopt(argc, argv, "C:q:PIc")) != -1) {
		switch (opt) {
		case 'C': cf = optarg; break;
		case 'q': interval = optarg; break;
		case 'P': pop3 = 0; break;
		case 'I': imap = 0; break;
		case 'c': check = 1; break;
		default: applet_usage();
		}
	}
	if (check)
		return health_check(argc - optind, argv + optind);
	if (optind != argc || !valid_interval(interval) ||
	    strlen(interval) + 3 > sizeof qopt)
		applet_usage();
	log_open("mailinit", 0);
	snprintf(qopt, sizeof qopt, "-q%s", interval);
	svc_add(&in, "smtpd", cf, NULL, HUP_SIGNAL);
	svc_add(&in, "sendmail", cf, qopt, HUP_NONE);
	if (pop3 && applet_exists("pop3d"))
		svc_add(&in, "pop3d", cf, NULL, HUP_RESTART);
	if (imap && applet_exists("imapd"))
		svc_add(&in, "imapd", cf, NULL, HUP_SIGNAL);
	if (getpid() != 1)
		log_msg(LOG_INFO, "not PID 1: orphans are reaped by init");
	return supervise(&in);
}
