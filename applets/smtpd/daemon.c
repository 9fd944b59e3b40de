/*
 * smtpd's processes (README.md, "smtpd"): the listener (listen, accept,
 * the limits, fork, reload on SIGHUP, detach), the -i parent, the queue
 * runner child of -q TIME, and the setup they share (the session user,
 * the secrets read as root).  The protocol is applets/smtpd.c; the
 * delivery agent smtpd/agent.c.
 */
#include "smtpd.h"
#include <sys/prctl.h>


/* In a child of the listener's: back to the default signals, nothing
 * blocked, then sendmail with ARGV (the delivery agent, the runner). */
void smtpd_child_sendmail(int argc, char **argv)
{
	sigset_t none;

	if (CFG_TLS)
		tls_server_caches_drop();	/* the sessions' only */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	_exit(applet_run("sendmail", argc, argv) & 0xff);
}

/* --- the queue runner child (-q TIME) ------------------------------------ */

/* -q TIME: the periodic queue runner, `sendmail [-C CF] -qTIME`, as a
 * child of the listener, so that stopping the daemon stops it too (and
 * it stops by itself should the listener die). */
static void runner_start(struct ctx *c)
{
	char *argv[5], qarg[64];
	int argc = 0;
	size_t i;
	pid_t pid, parent;

	if (!c->runner_every || !applet_exists("sendmail"))
		return;
	snprintf(qarg, sizeof qarg, "-q%s", c->runner_every);
	argv[argc++] = "sendmail";
	if (c->cfpath) {
		argv[argc++] = "-C";
		argv[argc++] = (char *)c->cfpath;
	}
	argv[argc++] = qarg;
	argv[argc] = NULL;
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);	/* the listener is gone already */
		for (i = 0; c->srv && i < c->srv->n; i++)
			if (c->srv->l[i].fd >= 0)
				close(c->srv->l[i].fd);
		close(c->agent.rd);
		close(c->agent.wr);
		smtpd_child_sendmail(argc, argv);
	}
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot start the queue runner: %s",
			strerror(errno));
		return;
	}
	c->runner = pid;
	c->runner_started = time(NULL);
}

/* A child of the listener ended: the agent (restarted after a crash,
 * agent.c) or the queue runner. */
static void reaped(void *arg, pid_t pid, int st)
{
	struct ctx *c = arg;

	if (pid == c->runner) {
		/* a runner that ran for a while is started again; one
		 * that fails at once (no right to the queue) is not */
		c->runner = 0;
		if (WIFSIGNALED(st))
			log_msg(LOG_ERR, "queue runner killed by signal %d",
				WTERMSIG(st));
		else
			log_msg(LOG_ERR, "queue runner exited with status %d",
				WEXITSTATUS(st));
		if (time(NULL) - c->runner_started >= 10)
			runner_start(c);
		return;
	}
	smtpd_agent_reaped(&c->agent, pid, st);
}

/* --- running it ----------------------------------------------------------- */

static unsigned ip_limit(void *arg, const struct net_peer *p)
{
	struct ctx *c = arg;

	/* FEATURE(conncontrol): ClientConn:ip N, ClientConn: N */
	return decide_client_conn(&c->access, c->cf, p->ip);
}

static int net_session(void *arg, const struct net_listener *l)
{
	struct ctx *c = arg;

	/* the agent's end of the pipe is not the session's business */
	smtpd_agent_forget(&c->agent);
	return smtpd_session(c, l);
}

/* The session user: RunAsUser, else DefaultUser ("user", "user:group",
 * "uid:gid"), with QueueDirectory's group when that folder is
 * group-writable (the queue's files are group-writable, QUEUE_MODE). */
int smtpd_session_user(struct ctx *c)
{
	const struct cf_opts *o = &c->cf->opt;
	const char *spec = o->run_as_user;
	char name[128], *colon;
	struct passwd *pw;
	struct stat st;
	unsigned long n;

	c->drop = geteuid() == 0;
	if (!c->drop)
		return 0;
	/* DefaultUser as local delivery reads it (one definition) */
	if (!o->run_as_user || !*o->run_as_user) {
		local_default_user(c->cf, &c->uid, &c->gid);
		goto group;
	}
	str_lcpy(name, spec, sizeof name);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = 0;
	if (str_toul(name, 0xfffffffeUL, &n) == 0) {
		c->uid = (uid_t)n;
		c->gid = (gid_t)n;
	} else if ((pw = getpwnam(name)) || (pw = getpwnam("nobody"))) {
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	} else {
		c->uid = c->gid = 65534;
	}
	if (colon) {
		struct group *gr;

		if (str_toul(colon, 0xfffffffeUL, &n) == 0)
			c->gid = (gid_t)n;
		else if ((gr = getgrnam(colon)))
			c->gid = gr->gr_gid;
	}
	if (c->uid == 0) {
		xwarn("RunAsUser is root: sessions must not run as root");
		return -1;
	}
group:
	/* a bare image: make the queue folder for the sessions' group */
	if (stat(o->queue_dir, &st) < 0 && errno == ENOENT) {
		if (mkdir(o->queue_dir, 02770) == 0 &&
				chown(o->queue_dir, 0, c->gid) == 0)
			chmod(o->queue_dir, 02770);
	}
	if (stat(o->queue_dir, &st) == 0 && (st.st_mode & S_IWGRP))
		c->gid = st.st_gid;
	else
		log_msg(LOG_WARNING, "%s: not writable by its group: sessions "
			"(uid %u) cannot queue; chgrp GROUP %s && chmod "
			"2770 %s",
			o->queue_dir, (unsigned)c->uid, o->queue_dir,
			o->queue_dir);
	/* a root:root folder would hand the network parser root's group */
	if (c->gid == 0) {
		log_msg(LOG_ERR, "%s: sessions would run with group 0 (root); "
			"give the queue its own group: chgrp smmsp %s && "
			"chmod 2770 %s", o->queue_dir, o->queue_dir,
			o->queue_dir);
		return -1;
	}
	return 0;
}

/* Says which user and group the sessions run as, and why (the start-up
 * log line; README.md "Security"). */
static void log_session_user(const struct ctx *c)
{
	const struct cf_opts *o = &c->cf->opt;
	int run_as = o->run_as_user && *o->run_as_user;

	net_log_user("sessions", c->drop, c->uid, c->gid, run_as ?
		"RunAsUser" : "DefaultUser", run_as ? o->run_as_user :
		o->default_user ? o->default_user : "");
}

/* -i: one session on fds 0/1, as the session user, under a privileged
 * parent that feeds the session's queue IDs to the delivery agent, as
 * the listener does (agent.c, smtpd_agent_inetd).  Without a pipe or a
 * fork the session runs alone and the queue runner delivers. */
int smtpd_inetd(struct ctx *c)
{
	struct stat st;
	pid_t pid;

	/* root delivers; otherwise only the queue's owner may (as for
	 * sendmail -q): anyone else's messages wait for the queue runner */
	if (geteuid() != 0 && (stat(c->cf->opt.queue_dir, &st) < 0 ||
			st.st_uid != geteuid()))
		return smtpd_session(c, NULL);
	if (smtpd_agent_init(&c->agent, c->cfpath) < 0) {
		log_msg(LOG_WARNING, "pipe: %s: the queue runner delivers",
			strerror(errno));
		return smtpd_session(c, NULL);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_WARNING, "fork: %s: the queue runner delivers",
			strerror(errno));
		smtpd_agent_stop(&c->agent);
		return smtpd_session(c, NULL);
	}
	if (pid == 0) {
		smtpd_agent_forget(&c->agent);
		_exit(smtpd_session(c, NULL));
	}
	/* the session holds the only write end: its end is our EOF */
	close(c->agent.wr);
	c->agent.wr = -1;
	/* the connection is the session's: the peer sees it close then */
	file_null_fds(3);
	return smtpd_agent_inetd(&c->agent, pid);
}

/* M=s needs a certificate (and TLS built in), M=a AUTH built in and a
 * mechanism to offer: refused at start-up rather than silently open. */
int smtpd_check_daemons(const struct ctx *c)
{
	const struct cf *cf = c->cf;
	const struct cf_daemon *tls;
	size_t i;

	if (!c->tlscfg && (tls = net_needs_tls(cf->daemons, cf->n_daemons))) {
		xwarn("DaemonPortOptions Name=%s: M=s (implicit TLS) needs %s",
			tls->name ? tls->name : "MTA", CFG_TLS ?
			"ServerCertFile" : "a postbox built with CONFIG_TLS");
		return -1;
	}
	for (i = 0; i < cf->n_daemons; i++) {
		const struct cf_daemon *d = &cf->daemons[i];
		const char *name = d->name ? d->name : "MTA";

		if (strchr(d->modifiers, 'a') && (!c->mechs ||
				strchr(d->modifiers, 'A'))) {
			xwarn("DaemonPortOptions Name=%s: M=a (require AUTH) "
				"needs %s", name, CFG_AUTH ? "AuthMechanisms "
				"or PostboxVirtualUsers, and no M=A" :
				"a postbox built with CONFIG_AUTH");
			return -1;
		}
	}
	return 0;
}

/* As root, before any session: the certificate and key of CF (usually
 * root's only), the mechanisms, into C (its old
 * certificate freed).  0, or -1 with why warned and C unchanged. */
int smtpd_load_secrets(struct ctx *c, const struct cf *cf)
{
	const struct cf_opts *o = &cf->opt;
	struct tls_server_config *tlscfg = NULL;
	char err[512];
	size_t i;
	int need_auth = 0;

	if (CFG_TLS && o->server_cert && *o->server_cert) {
		tlscfg = tls_server_config_new(o->server_cert,
			o->server_key && *o->server_key ? o->server_key :
			NULL, err, sizeof err);
		if (!tlscfg || tls_server_config_cache(tlscfg,
				o->tls_session_cache, o->tls_session_timeout,
				err, sizeof err) < 0) {
			tls_server_config_free(tlscfg);
			xwarn("%s", err);
			return -1;
		}
	}
	if (CFG_TLS && c->tlscfg)
		tls_server_config_free(c->tlscfg);
	c->tlscfg = tlscfg;
	/* AUTH is offered when configured: AuthMechanisms, a virtual-user
	 * file, or a daemon with M=a */
	for (i = 0; i < cf->n_daemons; i++)
		if (strchr(cf->daemons[i].modifiers, 'a'))
			need_auth = 1;
	c->mechs = 0;
	if (CFG_AUTH && (o->auth_mechs.n || need_auth ||
			(o->virtual_users && *o->virtual_users)))
		c->mechs = auth_mechs_server(o->auth_mechs.v,
			o->auth_mechs.n, o->virtual_users);
	return 0;
}

/* --- the listener's hooks (net_daemon, libmini/net.h) -------------------- */

static int d_setup(void *arg, struct net_server *srv)
{
	struct ctx *c = arg;

	if (smtpd_agent_init(&c->agent, c->cfpath) < 0) {
		xwarn("pipe: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void d_start(void *arg, struct net_server *srv)
{
	struct ctx *c = arg;

	smtpd_map_open(&c->access, c->cf, "access");
	c->srv = srv;
	c->agent.srv = srv;
	smtpd_agent_start(&c->agent);
	runner_start(c);
}

static void d_started(void *arg)
{
	log_session_user(arg);
}

static int d_reload(void *arg, struct net_server *srv, const struct cf *fresh,
	char *err, size_t errmax)
{
	return smtpd_load_secrets(arg, fresh);	/* it warns itself */
}

static void d_reloaded(void *arg)
{
	struct ctx *c = arg;

	if (smtpd_session_user(c) == 0)
		log_session_user(c);
	smtpd_map_close(&c->access);
	smtpd_map_open(&c->access, c->cf, "access");
	smtpd_agent_reload(&c->agent);
}

static void d_stop(void *arg)
{
	struct ctx *c = arg;

	/* the queue runner finishes the entries at hand, then exits */
	if (c->runner) {
		kill(c->runner, SIGTERM);
		while (waitpid(c->runner, NULL, 0) < 0 && errno == EINTR)
			;
		c->runner = 0;
	}
	/* the sessions are gone: the agent delivers what they queued */
	smtpd_agent_stop(&c->agent);
	smtpd_map_close(&c->access);
}

int smtpd_daemon(struct ctx *c, int background, const char *pidfile)
{
	struct net_daemon d;

	net_daemon_init(&d, "smtpd", c, &c->cf, c->cfpath);
	d.d = c->cf->daemons;
	d.n = c->cf->n_daemons;
	d.session = net_session;
	d.ip_limit = ip_limit;
	/* no reply text of sendmail's for MaxDaemonChildren (it stops
	 * accepting); ClientConn: is FEATURE(conncontrol)'s with
	 * "terminate" */
	d.busy = "421 4.3.2 Too many connections\r\n";
	d.busy_ip = "421 4.3.2 Too many open connections.\r\n";
	d.reaped = reaped;
	d.setup = d_setup;
	d.start = d_start;
	d.started = d_started;
	d.reload = d_reload;
	d.reloaded = d_reloaded;
	d.stop = d_stop;
	return net_daemon(&d, background, pidfile);
}
