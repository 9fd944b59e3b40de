/*
 * net: the listening side of every server (ARCHITECTURE.md, "Processes
 * and who runs as whom").
 *
 * One session function speaks on fds 0/1 whatever started it:
 *  - the built-in listener (net_listen + net_serve) binds the
 *    DaemonPortOptions sockets as root, accepts, forks one process per
 *    connection, puts the socket on fds 0 and 1, sets the UCSPI variables
 *    (PROTO=TCP, TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT;
 *    TCPREMOTEHOST is left unset: no DNS here) and calls the session;
 *  - inetd, tcpsvd and s6-tcpserver start the server with the connection
 *    (or a pipe and the UCSPI variables) already on fds 0/1.
 * In both cases the session calls net_peer() to learn who the client is:
 * getpeername() on fd 0 when it is a socket, else the UCSPI variables,
 * else a local client (a pipe from a test or sendmail -bs: loopback rules).
 *
 * Privilege: net_listen runs as root to bind low ports; the session
 * function drops to its unprivileged user before it reads a byte.
 */
#ifndef LIBMINI_NET_H
#define LIBMINI_NET_H
#include <stddef.h>
#include <sys/types.h>
#include "cf.h"

#define NET_IP_MAX 46		/* INET6_ADDRSTRLEN */
#define NET_HOST_MAX 256

struct net_peer {
	int local;		/* 1: no network peer (pipe, no UCSPI): a
				   local client, treated as loopback */
	int family;		/* AF_INET, AF_INET6; AF_UNSPEC when local */
	char ip[NET_IP_MAX];	/* "192.0.2.1", "2001:db8::1" (IPv4-mapped
				   IPv6 shown as IPv4); 127.0.0.1 if local */
	unsigned port;		/* 0 when unknown */
	char host[NET_HOST_MAX];	/* TCPREMOTEHOST when set and a plain
					   host name (no blanks, controls), else "" */
	char local_ip[NET_IP_MAX];	/* "" when unknown */
	unsigned local_port;		/* 0 when unknown */
	unsigned char addr[16];	/* the address in network order (4 or 16
				   bytes used, per family) */
};

/* Fills P for the client on fd 0: getpeername()/getsockname() when fd 0 is
 * an IPv4/IPv6 socket; else TCPREMOTEIP/TCPREMOTEPORT/TCPREMOTEHOST/
 * TCPLOCALIP/TCPLOCALPORT when TCPREMOTEIP holds a valid numeric address;
 * else a local client.  Never fails; never waits on DNS. */
void net_peer(struct net_peer *p);

/* Whether P is loopback: local, 127.0.0.0/8 or ::1. */
int net_is_loopback(const struct net_peer *p);

/* Parses numeric IP (v4 or v6, IPv4-mapped v6 folded to v4) into P's
 * family, ip and addr.  0, or -1 when IP is not a numeric address. */
int net_parse_ip(struct net_peer *p, const char *ip);

struct net_listener {
	int fd;			/* listening; cloexec, nonblocking */
	char name[32];		/* DaemonPortOptions Name= (MTA, MSA) */
	char modifiers[16];	/* M= letters */
	int family;
	char addr[NET_IP_MAX];	/* as bound ("0.0.0.0", "::1") */
	unsigned port;		/* as bound (the real one for 0) */
};

struct net_child;		/* net.c's own: a running session */

struct net_server {
	struct net_listener l[CF_MAX_DAEMONS];
	size_t n;
	/* Limits; 0 = none.  Set before net_serve, may change between calls
	 * (after a SIGHUP reload). */
	unsigned max_children;	/* MaxDaemonChildren: while this many
				   sessions run, a new connection gets
				   busy and is closed at once */
	unsigned conn_rate;	/* ConnectionRateThrottle: accept at most
				   this many connections per second; the
				   rest wait for the next second */
	/* Per-address cap: the most concurrent sessions from P's address
	 * (0 = none), asked once per connection in the listener.  NULL: no
	 * cap. */
	unsigned (*ip_limit)(void *ctx, const struct net_peer *p);
	/* The protocol's refusals, one line each with its CRLF: busy over
	 * max_children (smtpd "421 4.3.2 Too many connections"), busy_ip
	 * over ip_limit.  The listener accepts, writes the line with one
	 * non-blocking send (a client that does not read loses it; the
	 * listener never waits), closes, and forks nothing.  NULL: just
	 * the close. */
	const char *busy;
	const char *busy_ip;
	/* Runs in the child with the connection on fds 0/1, the listening
	 * sockets closed and the signals back to default; its return value
	 * is the child's exit status. */
	int (*session)(void *ctx, const struct net_listener *l);
	void *ctx;
	/* One more fd the loop watches (net_listen sets -1: none), and what
	 * to do when it is readable: the listener's own work, e.g. smtpd's
	 * delivery requests from its sessions.  Closed in the children. */
	int watch_fd;
	void (*watch)(void *ctx);
	/* Called in the listener for a child that is not a session (one the
	 * caller forked itself, e.g. smtpd's delivery agent) when it is
	 * reaped.  NULL: none. */
	void (*reaped)(void *ctx, pid_t pid, int status);
	/* net.c's state: the running children, kept across net_serve calls;
	 * the connections refused since max_children was reached */
	struct net_child *kids;
	size_t n_kids, cap_kids;
	unsigned long n_busy;
};

/* Binds one listening socket per daemon spec (SO_REUSEADDR; IPV6_V6ONLY
 * for inet6 so a v4 and a v6 wildcard can coexist; backlog 128).  Addr
 * must be numeric (NULL or "" = any address of the family).  0, or -1
 * with "Name: Addr port: reason" in err (errmax bytes); on failure no
 * socket stays open.  S is zeroed first. */
int net_listen(struct net_server *s, const struct cf_daemon *d, size_t n,
	char *err, size_t errmax);

#define NET_STOP	0	/* SIGTERM (or SIGINT): no more accepts, all
				   sessions finished, listeners closed */
#define NET_RELOAD	1	/* SIGHUP: re-read the configuration and call
				   net_serve again (listeners stay open) */

/* The accept loop.  Reaps children on SIGCHLD (a session killed by a
 * signal is logged: "session pid N killed by signal S (name), client
 * IP"); on SIGTERM/SIGINT stops accepting, closes the listeners and
 * waits for the running sessions (a second SIGTERM passes SIGTERM on to
 * them); returns NET_STOP, NET_RELOAD
 * on SIGHUP, or -1 with errno on a fatal error (poll, fork failing are
 * logged and retried, not fatal).  After NET_RELOAD, SIGCHLD, SIGTERM,
 * SIGINT and SIGHUP stay blocked (they are taken by the next call); after
 * the other returns the caller's mask and default handlers are back. */
int net_serve(struct net_server *s);

/* Number of sessions running now. */
size_t net_children(const struct net_server *s);

/* Closes the listeners and forgets the children (they are not killed). */
void net_close(struct net_server *s);

/* Service name or number to a port ("smtp" 25, "submission" 587, "smtps"
 * 465, "pop3" 110, "pop3s" 995, "imap" 143, "imaps" 993, or 1..65535);
 * 0 when unknown.  No /etc/services: a bare image has none. */
unsigned net_port(const char *s);

/* Detaches a daemon (-b): forks (the parent exits 0), setsid, chdir /,
 * fds 0-2 on /dev/null, then writes our pid to PIDFILE (a failure there is
 * logged, not fatal).  Setup path only: exits EX_OSERR when fork fails. */
void net_detach(const char *pidfile);

/* The whole life of a listener (smtpd, pop3d; imapd to come), one
 * sequence for all: net_listen on D, the setup hook, net_detach with -b,
 * log_open, the limits of the running cf (MaxDaemonChildren,
 * ConnectionRateThrottle), the start hook, "listening on ADDR port N
 * (NAME)" for each socket, the started hook, then net_serve until
 * SIGTERM.  On SIGHUP: cf_reload, the reload hook with the new cf (it
 * builds what the cf names, e.g. the TLS certificate, aside and swaps it
 * in, or fails), then the new cf in place of the old, the reloaded hook,
 * the new limits and "configuration reloaded"; on any failure the old
 * configuration stays whole ("reload failed, keeping the old
 * configuration").  At the end: "stopped", net_close, the stop hook, the
 * pidfile removed.  Every hook but session may be NULL. */
struct net_daemon {
	const char *tag;		/* log_open's: "smtpd", "pop3d" */
	const struct cf_daemon *d;	/* the sockets to bind */
	size_t n;
	struct cf **cf;			/* the running cf, replaced on reload */
	const char *cfpath;		/* -C; NULL: CF_PATH */
	void *ctx;			/* the hooks' first argument */
	/* the session, the per-address cap and the refusals: as in
	 * struct net_server */
	int (*session)(void *ctx, const struct net_listener *l);
	unsigned (*ip_limit)(void *ctx, const struct net_peer *p);
	const char *busy;
	const char *busy_ip;
	/* Without ip_limit: the per-address cap is the access map's
	 * ClientConn: entries (decide_client_conn), the map opened by the
	 * listener at start and after each reload (pop3d, imapd). */
	int client_conn;
	void (*reaped)(void *ctx, pid_t pid, int status);
	/* Before detaching (stderr still open): -1 (why warned) stops it. */
	int (*setup)(void *ctx, struct net_server *srv);
	/* After log_open, before the sockets are announced: the listener's
	 * own children (smtpd's agent and queue runner), its maps. */
	void (*start)(void *ctx, struct net_server *srv);
	/* After the "listening on" lines. */
	void (*started)(void *ctx);
	/* SIGHUP: FRESH is the new cf, not yet in place.  0 when what it
	 * names is built and swapped in; -1 with why in ERR ("" when logged
	 * already), and nothing changed. */
	int (*reload)(void *ctx, struct net_server *srv,
		const struct cf *fresh, char *err, size_t errmax);
	/* After a reload, with the new cf in place. */
	void (*reloaded)(void *ctx);
	/* After net_close, the sessions finished. */
	void (*stop)(void *ctx);
};

/* D zeroed, then its tag, ctx, cf and cfpath set: the rest is the
 * server's to fill in. */
void net_daemon_init(struct net_daemon *d, const char *tag, void *ctx,
	struct cf **cf, const char *cfpath);

/* Runs D (above) until SIGTERM, detached (-b) with our pid in PIDFILE
 * when BACKGROUND: EX_OK, or EX_OSERR when the sockets cannot be bound,
 * setup fails or net_serve fails. */
int net_daemon(const struct net_daemon *d, int background,
	const char *pidfile);

/* The start-up line that says who WHO ("sessions", "login children")
 * run as, for README.md "Security": "WHO run as uid U (NAME), gid G
 * (NAME): OPTION=SPEC", with a note when SPEC is what an unset
 * DefaultUser becomes (mailnull, else 1:1); not started as root (ROOT
 * 0), "WHO run as uid U (not started as root: no privilege change)". */
void net_log_user(const char *who, int root, uid_t uid, gid_t gid,
	const char *option, const char *spec);

/* The first of D[0..N) with M=s (implicit TLS: it needs a certificate),
 * or NULL when none has it. */
const struct cf_daemon *net_needs_tls(const struct cf_daemon *d, size_t n);

/* The listeners of a login server whose cf names none (pop3d, imapd):
 * NAME on 127.0.0.1 PORT and, when TLS (a certificate is set), TLS_NAME
 * on 127.0.0.1 TLS_PORT with M=s, into DEF; their count. */
size_t net_default_listeners(struct cf_daemon def[2], char *name,
	unsigned port, char *tls_name, unsigned tls_port, int tls);
struct tls_server_config;
/* The TLS server configuration CF names (ServerCertFile; ServerKeyFile,
 * else the key in the certificate's file; PostboxTlsSessionTimeout and
 * PostboxTlsSessionCacheSize) into *OUT: NULL when no certificate is
 * set.  0, or -1 with why in ERR (pop3d, imapd). */
int net_tls_server(const struct cf *cf, struct tls_server_config **out,
	char *err, size_t errmax);
/* A reload hook's TLS part: the configuration FRESH names, built aside
 * and refused when a listener of SRV has M=s and FRESH no certificate,
 * then in place of *TLS.  0, or -1 with why in ERR and *TLS unchanged:
 * the old configuration stays whole. */
int net_tls_reload(const struct net_server *srv, const struct cf *fresh,
	struct tls_server_config **tls, char *err, size_t errmax);

#endif
