/*
 * smtpd's own header: the session's state and the functions its files
 * share (applets/smtpd.c: commands, replies, the session; smtpd/access.c:
 * maps, addresses, access control; smtpd/data.c: the DATA byte machine;
 * smtpd/daemon.c: the processes: listener, limits, reload, detach, -i
 * parent, queue runner child; smtpd/agent.c: the delivery agent).
 */
#ifndef SMTPD_H
#define SMTPD_H
#define _GNU_SOURCE
#include "libmini.h"
#include "io.h"
#include "map.h"
#include "queue.h"
#include "file.h"
#include "local.h"
#include "vusers.h"
#include "decide.h"
#include "tls.h"
#include "auth.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* RFC 5321 4.5.3.1.4: 512 octets a command line, plus what the SIZE,
 * DSN and SMTPUTF8 parameters may add (RFC 3461 4: ORCPT and ENVID). */
#define CMD_MAX		2048
#define PATH_MAX_SMTP	256	/* RFC 5321 4.5.3.1.3, with brackets */
#define LOCAL_MAX	64	/* 4.5.3.1.1 */
#define DOMAIN_MAX	255	/* 4.5.3.1.2 */
#define TEXT_LINE_MAX	998	/* 4.5.3.1.6: 1000 with CRLF */
#define IO_BUF		4096
#define SOFT_ERRORS	5	/* then one second of delay per error */
#define HARD_ERRORS	10	/* then 421 and close */
#define RCPTS_DEFAULT	100	/* MaxRecipientsPerMessage when 0 */

struct rcpt {
	char *addr;		/* as queued (after virtusertable) */
	char *orcpt;		/* RFC 3461 ORCPT, "" none */
	unsigned notify;
};

struct txn {			/* one mail transaction; NULL when none */
	char sender[PATH_MAX_SMTP];	/* "" is <> */
	unsigned long size_decl;	/* SIZE=, 0 none */
	char body[12];		/* "7bit", "8bitmime", "" */
	char ret[8];		/* "full", "hdrs", "" */
	char envid[104];	/* ENVID xtext, "" none */
	int smtputf8;
	int discard;		/* an access DISCARD: accept, then drop */
	struct rcpt *rcpt;
	size_t n, cap;
	/* BDAT: the entry being written, NULL between chunks of none */
	struct queue_new *q;
	struct dstate *ds;
	int bdat_failed;	/* a chunk failed: the rest is read, refused */
};

/* DATA and BDAT: a byte-level state machine, so that only CRLF.CRLF ends
 * the data (RFC 5321 4.1.1.4) and every smuggling spelling is data. */
enum { D_BOL, D_BOL_DOT, D_BOL_DOT_CR, D_MID, D_CR, D_LF, D_LF_DOT };
#define BAD_LF		1
#define BAD_CR		2
#define BAD_NUL		4
#define BAD_LONG	8
#define BAD_WRITE	16

struct dstate {
	int st, bad, over, in_header;
	int normalize;		/* PostboxBareLineEnds=normalize */
	/* a submission's missing header fields, added at the header's end
	 * (sendmail's H?D?Date and H?M?Message-Id; RFC 6409 8.2, 8.3) */
	char date[64];		/* "Date: ...\n", "" adds none */
	char newid[400];	/* "Message-Id: <...>\n" */
	int seen_date;
	unsigned linelen;
	char hdr[12];		/* the first bytes of a header line */
	unsigned hlen;
	unsigned hops;		/* Received: headers seen */
	unsigned long size, max;
	char msgid[200];
	int msgid_next;		/* the header being read is Message-ID */
	unsigned mlen;
	int fd;
	char out[4096];
	size_t olen;
};

struct ctx;

struct smtpd {
	const struct cf *cf;
	struct ctx *ctx;
	const struct net_listener *l;	/* NULL in -i mode */
	struct io in, out;
	char inbuf[IO_BUF], outbuf[IO_BUF];
	char line[CMD_MAX + 1];
	struct net_peer peer;
	char j[256];		/* $j */
	char helo[256];
	int esmtp, quit;
	struct tls *tls;	/* STARTTLS or M=s done, else NULL */
	int authenticated;	/* AUTH succeeded (ESMTPA, M=a) */
	int auth_relay;		/* ...by a mechanism trusted to relay */
	char authid[AUTH_USER_MAX];	/* who, "" before AUTH */
	int auth_mech;		/* AUTH_PLAIN, ... which did it */
	unsigned auth_fails;	/* failed AUTH attempts */
	int client_relay;	/* may relay (Connect: RELAY, loopback) */
	int client_discard;	/* Connect: DISCARD */
	char nullserver[300];	/* set: every command gets this reply */
	unsigned errors;
	/* CLOCK_MONOTONIC ms, 0 none: PostboxSessionDeadline's end, and
	 * PostboxDataDeadline's while DATA or a BDAT chunk is read */
	long long session_end, data_end;
	int sock;		/* fd 0 is a socket: a network client */
	struct txn *txn;
	struct decide rt;	/* the maps; the RCPT decision (decide.h) */
	struct privsep ps;	/* AUTH's monitor (privsep.h), chan -1: none */
	char *vusers;		/* PostboxVirtualUsers, read as root; the
				   passwords masked when a monitor has them */
	size_t vusers_len;
	int vusers_err;		/* it could not be read: try later */
	int verbose;
};

/* The delivery agent (agent.c), `sendmail -bQ` as root, fed queue IDs
 * through a pipe; one path for the daemon and -i mode. */
struct smtpd_agent {
	const char *cfpath;	/* -C, or NULL */
	const struct net_server *srv;	/* sockets its child closes, or NULL */
	int rd, wr;		/* the pipe: the agent's end, the sessions' */
	pid_t pid;		/* running, 0 none */
	time_t started;
	unsigned fails;		/* crashes within 10 s of a start, in a row */
};

struct ctx {			/* the daemon's, shared by the sessions */
	struct cf *cf;
	const char *cfpath;
	uid_t uid;
	gid_t gid;
	int drop;		/* running as root: drop in each session */
	int verbose;
	struct decide_map access;	/* the listener's, for ClientConn: */
	struct net_server *srv;	/* the listener's sockets, or NULL */
	struct tls_server_config *tlscfg;	/* ServerCertFile, or NULL */
	int mechs;		/* AuthMechanisms as AUTH_* bits, 0 none */
	struct smtpd_agent agent;	/* rd, wr -1 until a mode sets it up */
	const char *runner_every;	/* -q TIME for the runner, or NULL */
	pid_t runner;		/* that runner (sendmail -qTIME), 0 none */
	time_t runner_started;
};

/* access.c: maps.  smtpd_map_open opens the map of K line NAME
 * (decide_map_open) and logs why it failed; lookups then say "try
 * later".  The session's maps and the RCPT decision are s->rt. */
void smtpd_map_open(struct decide_map *sm, const struct cf *cf,
	const char *name);
void smtpd_map_close(struct decide_map *sm);
/* Opens the session's maps into s->rt (decide_open), logging each that
 * failed. */
void smtpd_maps_open(struct smtpd *s);
/* TAG:ip, its prefixes, then TAG: (ClientConn:, GreetPause:). */
int smtpd_tagged_ip(struct decide_map *sm, const char *tag, const char *ip,
	char *val, size_t max);
/* access.c: addresses.  A Path at *PP into addr (PATH_MAX_SMTP): 0, or
 * -1 with the reply in why. */
int smtpd_parse_path(const char **pp, char *addr, int null_ok, int utf8,
	char *why, size_t whymax);
void smtpd_addr_normalise(char *addr);
/* At connect: Connect: entries, loopback; sets client_relay,
 * client_discard or nullserver. */
void smtpd_check_connect(struct smtpd *s);
/* Whether ADDR is in one of our domains; its user part into user. */
int smtpd_is_local(struct smtpd *s, const char *addr, char *user,
	size_t max);
/* auth_lookup_fn over the virtual-user file read as root at the start
 * (CTX: the session, or AUTH's monitor, which alone holds it unmasked):
 * the secret of USER, 1, 0 none, -1 try later. */
int smtpd_vuser_secret(void *ctx, const char *user, char *secret,
	size_t max);
/* Overwrites the password field of each entry of the virtual-user file
 * DATA (LEN bytes) with '*', byte for byte: the session keeps the users
 * (RCPT) and, for a broken line, the same error; AUTH's monitor has the
 * secrets. */
void smtpd_vusers_mask(char *data, size_t len);
/* Whether USER receives mail here: 1, 0, -1 try later. */
int smtpd_user_exists(struct smtpd *s, const char *user);
/* All RCPT checks: 0 with the address to queue in dst, or -1 with the
 * reply in why. */
int smtpd_check_rcpt(struct smtpd *s, const char *addr, char *dst,
	size_t max, char *why, size_t whymax);

/* data.c: one byte off the wire (DOT: DATA, else BDAT); 1 at CRLF.CRLF,
 * 2 at a "." line ended by a bare LF (refuse and close). */
int smtpd_ds_byte(struct dstate *d, int c, int dot);
/* Writes out what the machine holds. */
void smtpd_ds_flush(struct dstate *d);
/* The reply for a message the machine refused, or NULL. */
const char *smtpd_ds_refusal(const struct dstate *d);

/* smtpd.c: the session on fds 0/1; L the listener, NULL in -i mode.
 * Returns the process's exit status. */
int smtpd_session(struct ctx *c, const struct net_listener *l);

/* daemon.c: the session user into C (RunAsUser, else DefaultUser, with
 * QueueDirectory's group); 0, or -1 warned (root as RunAsUser). */
int smtpd_session_user(struct ctx *c);
/* As root: CF's certificate and key, mechanisms into C
 * (its old certificate freed); 0, or -1 warned and C unchanged. */
int smtpd_load_secrets(struct ctx *c, const struct cf *cf);
/* M=s without a certificate, M=a without AUTH: -1 warned. */
int smtpd_check_daemons(const struct ctx *c);
/* -i: one session on fds 0/1 under a privileged parent; its status. */
int smtpd_inetd(struct ctx *c);
/* The listener until SIGTERM (-b: detached, PIDFILE); an exit status. */
int smtpd_daemon(struct ctx *c, int background, const char *pidfile);

/* agent.c.  Init: A empty, the pipe made (the sessions' end
 * nonblocking); 0, or -1 with errno. */
/* daemon.c: in a child, default signals and none blocked, then
 * `sendmail ARGV`; never returns. */
void smtpd_child_sendmail(int argc, char **argv) __attribute__((noreturn));
int smtpd_agent_init(struct smtpd_agent *a, const char *cfpath);
/* Forks `sendmail -bQ` on the pipe (nothing without sendmail built in;
 * a failure logged: the queue runner delivers). */
void smtpd_agent_start(struct smtpd_agent *a);
/* PID ended with status ST: 0 not the agent's; 1 handled (restarted
 * after a crash, unless the third quick one in a row). */
int smtpd_agent_reaped(struct smtpd_agent *a, pid_t pid, int st);
/* SIGHUP: the agent re-reads the cf; one that had given up restarts. */
void smtpd_agent_reload(struct smtpd_agent *a);
/* In a session: closes the agent's end of the pipe. */
void smtpd_agent_forget(struct smtpd_agent *a);
/* In a session: QID to the agent, waiting up to 10 s for room; else it
 * is logged and left to the queue runner (it is on disk). */
void smtpd_agent_send(struct smtpd_agent *a, const char *qid);
/* Closes the pipe and waits for the agent to deliver what it holds. */
void smtpd_agent_stop(struct smtpd_agent *a);
/* The -i parent's loop, A's write end closed: the agent started at the
 * first ID, restarted after a crash; returns SESSION's exit status once
 * it ended and the agent delivered what it read. */
int smtpd_agent_inetd(struct smtpd_agent *a, pid_t session);

#endif
