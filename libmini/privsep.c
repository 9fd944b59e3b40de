/*
 * privsep: the login child, its root monitor and the socketpair between
 * them (privsep.h has the scheme and the records).
 */
#define _GNU_SOURCE
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void privsep_init(struct privsep *ps, int root, uid_t uid, gid_t gid)
{
	memset(ps, 0, sizeof *ps);
	ps->root = root;
	ps->uid = uid;
	ps->gid = gid;
	ps->chan = ps->cin = ps->cout = -1;
}

void privsep_up(const struct privsep *ps)
{
	if (ps->root && seteuid(0) == 0)
		setegid(0);
}

void privsep_down(const struct privsep *ps)
{
	if (ps->root && setegid(ps->gid) == 0)
		seteuid(ps->uid);
}

int privsep_split(struct privsep *ps)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		log_msg(LOG_ERR, "socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	ps->child = fork();
	if (ps->child < 0) {
		log_msg(LOG_ERR, "fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (ps->child == 0) {
		close(sp[0]);
		ps->chan = sp[1];
		/* for good: nothing here can get root back */
		if (setgroups(1, &ps->gid) < 0 || seteuid(0) < 0 ||
		    setresgid(ps->gid, ps->gid, ps->gid) < 0 ||
		    setresuid(ps->uid, ps->uid, ps->uid) < 0 ||
		    getuid() != ps->uid) {
			log_msg(LOG_ERR, "cannot drop privilege: %s",
				strerror(errno));
			_exit(EX_OSERR);
		}
		ps->root = 0;
		return 1;
	}
	close(sp[1]);
	ps->chan = sp[0];
	/* the connection is the child's (the client sees it close then),
	 * but for a copy kept for a plaintext session to take over */
	ps->cin = fcntl(0, F_DUPFD_CLOEXEC, 3);
	ps->cout = fcntl(1, F_DUPFD_CLOEXEC, 3);
	file_null_fds(3);
	return 0;
}

/* --- the records ---------------------------------------------------------- */

static int read_full(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t k = read(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

int privsep_send(int fd, int type, const void *p, size_t n)
{
	unsigned char h[3];

	if (n > PRIVSEP_RECORD_MAX)
		return -1;
	h[0] = (unsigned char)type;
	h[1] = (unsigned char)(n >> 8);
	h[2] = (unsigned char)n;
	if (file_write_all(fd, h, 3) < 0)
		return -1;
	return n ? file_write_all(fd, p, n) : 0;
}

int privsep_recv(int fd, int *type, char *buf, size_t max, size_t *n)
{
	unsigned char h[3];

	if (read_full(fd, h, 3) < 0)
		return -1;
	*type = h[0];
	*n = (size_t)h[1] << 8 | h[2];
	if (*n >= max || read_full(fd, buf, *n) < 0)
		return -1;
	buf[*n] = 0;
	return 0;
}

int privsep_parse(int type, char *buf, size_t n, struct privsep_req *rq)
{
	size_t len;

	memset(rq, 0, sizeof *rq);
	rq->type = type;
	if (n < 1)
		return -1;
	if (type == 'S') {
		rq->text = buf;
		return strlen(buf) == n ? 0 : -1;
	}
	rq->tls = buf[0] != 0;
	if (type == 'A') {
		/* [tls] [allowed] [has initial] mech NUL initial */
		if (n < 4 || (len = strlen(buf + 3)) + 4 > n)
			return -1;
		rq->allowed = (unsigned char)buf[1];
		rq->mech = buf + 3;
		rq->initial = buf[2] ? buf + 4 + len : NULL;
		return strlen(buf + 4 + len) == n - 4 - len ? 0 : -1;
	}
	/* P, D: [tls] user NUL text, the user neither empty nor too long */
	len = strlen(buf + 1);
	if ((type != 'P' && type != 'D') || len == 0 ||
	    len >= AUTH_USER_MAX || len + 2 > n)
		return -1;
	rq->user = buf + 1;
	rq->text = buf + 2 + len;
	n -= len + 2;
	if (strlen(rq->text) != n)
		return -1;
	return (type == 'P' ? n < AUTH_PASS_MAX : n == 32) ? 0 : -1;
}

int privsep_ask(struct privsep *ps, const struct privsep_req *rq, char *out,
	size_t max)
{
	char rec[AUTH_LINE_MAX + 8];
	const char *field = rq->user ? rq->user : "";
	const char *text = rq->text ? rq->text : "";
	size_t n = 0, got, fl, tl;
	int r = -1, type;

	if (rq->type == 'A') {
		rec[n++] = rq->tls != 0;
		rec[n++] = (char)rq->allowed;
		rec[n++] = rq->initial != NULL;
		field = rq->mech;
		text = rq->initial ? rq->initial : "";
	} else if (rq->type != 'S') {
		rec[n++] = rq->tls != 0;
	}
	fl = rq->type != 'S' ? strlen(field) + 1 : 0;
	tl = strlen(text);
	if (n + fl + tl > sizeof rec)
		return -1;
	memcpy(rec + n, field, fl);
	memcpy(rec + n + fl, text, tl);
	n += fl + tl;
	if (privsep_send(ps->chan, rq->type, rec, n) == 0 &&
	    privsep_recv(ps->chan, &type, out, max, &got) == 0)
		r = type;
	explicit_bzero(rec, n);
	return r;
}

/* --- the monitor ---------------------------------------------------------- */

/* One request RQ answered: the AUTH_* result, the challenge into *CH. */
static int check(const struct privsep_checks *k, const struct privsep_req *rq,
	struct auth *a, int *started, const char **ch)
{
	int r;

	*ch = "";
	if (rq->type == 'P')
		return k->pass(k->ctx, rq->user, rq->text);
	if (rq->type == 'D')
		return k->digest(k->ctx, rq->user, rq->text);
	if (rq->type == 'A')
		r = auth_start(a, rq->mech, rq->allowed, rq->initial, k->host,
			k->lookup, k->ctx, k->client);
	else
		r = auth_step(a, rq->text);
	*started = r == AUTH_CONTINUE;
	if (r == AUTH_CONTINUE)
		*ch = a->out;
	return r;
}

int privsep_monitor(struct privsep *ps, const struct privsep_checks *k,
	char *buf, size_t max, char *user, size_t umax, char *how,
	size_t hmax)
{
	struct privsep_req rq;
	struct auth a;
	char left[24];
	const char *ch;
	long wait;
	size_t n;
	int type, r, started = 0;
	unsigned failures = 0;

	/* the child's own limit, kept here too: a subverted child gets
	 * no more guesses than a client */
	for (r = -1; failures < AUTH_FAILURES_MAX; r = -1) {
		if (privsep_recv(ps->chan, &type, buf, max, &n) < 0 ||
		    privsep_parse(type, buf, n, &rq) < 0 ||
		    (type == 'S' && !started) ||
		    (type == 'P' && !k->pass) ||
		    (type == 'D' && !k->digest))
			break;
		if (type != 'S')
			ps->secure = rq.tls;
		r = check(k, &rq, &a, &started, &ch);
		if (r == AUTH_SUCCESS) {
			str_lcpy(user, rq.user ? rq.user : a.user, umax);
			str_lcpy(how, type == 'P' ? "USER" : type == 'D' ?
				"APOP" : auth_mech_name(a.mech), hmax);
			ch = user;	/* for a child that stays (smtpd) */
		}
		explicit_bzero(buf, n);
		/* RFC 2449 8.1.2: a good password, but too soon */
		if (r == AUTH_SUCCESS && k->delay &&
		    (wait = k->delay(k->ctx, user)) > 0) {
			log_msg(LOG_INFO, "%s: %s: login refused: LOGIN-DELAY, "
				"%ld seconds left", k->client, user, wait);
			snprintf(left, sizeof left, "%ld", wait);
			r = PRIVSEP_DELAYED;
			ch = left;
		}
		if (privsep_send(ps->chan, r, ch, strlen(ch)) < 0)
			break;
		if (r == AUTH_SUCCESS)
			break;
		if (r == AUTH_FAIL || (type == 'D' && r == AUTH_NOMECH))
			failures++;
	}
	explicit_bzero(&a, sizeof a);
	return r == AUTH_SUCCESS ? 0 : -1;
}

/* --- after the login ------------------------------------------------------ */

/* The monitor's reader transport: the child's leftover input first, then
 * the connection. */
static ssize_t pre_read(struct io *io, void *dst, size_t n)
{
	struct privsep *ps = io->ctx;
	size_t k = ps->pre_n - ps->pre_off;

	if (!k)
		return io_fd_ops.read(io, dst, n);
	if (k > n)
		k = n;
	memcpy(dst, ps->pre + ps->pre_off, k);
	ps->pre_off += k;
	return (ssize_t)k;
}

static ssize_t pre_write(struct io *io, const void *p, size_t n)
{
	return io_fd_ops.write(io, p, n);
}

static const struct io_ops pre_ops = { pre_read, pre_write };

int privsep_take_over(struct privsep *ps, struct io *in, char *inbuf,
	size_t inmax, struct io *out, char *outbuf, size_t outmax)
{
	int type, cin = ps->cin, cout = ps->cout;

	if (ps->secure || cin < 0 || cout < 0) {
		/* TLS: the child keeps the connection and relays */
		close(cin);
		close(cout);
		ps->cin = ps->cout = -1;
		cin = cout = ps->chan;
	} else {
		ps->pre = malloc(PRIVSEP_INPUT_MAX + 1);
		if (!ps->pre || privsep_recv(ps->chan, &type, ps->pre,
		    PRIVSEP_INPUT_MAX + 1, &ps->pre_n) < 0 || type != 'I')
			return -1;
		ps->pre_off = 0;
	}
	io_init(in, cin, inbuf, inmax);
	io_init(out, cout, outbuf, outmax);
	if (ps->pre)
		io_transport(in, &pre_ops, ps);
	io_pair(in, out);
	return 0;
}

int privsep_become(struct privsep *ps, uid_t uid, gid_t gid,
	const char *path, int kind)
{
	gid_t groups[2];
	size_t n = 0;
	char folder[4096], *slash;
	struct stat st;

	if (!ps->root)
		return uid == geteuid() ? 0 : (errno = EPERM, -1);
	if (uid == 0)
		return errno = EPERM, -1;
	groups[n++] = gid;
	str_lcpy(folder, path, sizeof folder);
	slash = strrchr(folder, '/');
	privsep_up(ps);
	/* the rewrite is in place and the uidlist goes where the user
	 * itself can write (mailbox.h): only the dotlock needs the group */
	if (kind == LOCAL_MBOX && slash && slash != folder) {
		*slash = 0;
		if (stat(folder, &st) == 0 && (st.st_mode & S_IWGRP) &&
		    !(st.st_mode & S_IWOTH) && st.st_gid != 0 &&
		    st.st_gid != gid)
			groups[n++] = st.st_gid;
	}
	if (setgroups(n, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0 || getuid() != uid ||
	    geteuid() != uid)
		return -1;
	return 0;
}

void privsep_relay(struct privsep *ps, struct io *in, struct io *out,
	char *buf, size_t max, unsigned long timeout_ms)
{
	struct pollfd pf[2];
	int client_eof = 0, from_client = 1;
	ssize_t k;

	for (;;) {
		/* what the client sent, buffered or inside TLS, first; only
		 * when there is some (or may be: a full read can leave more
		 * in the TLS engine), so that a message streaming to the
		 * client never waits on the 1 ms read timeout */
		while (!client_eof && (from_client || io_pending(in))) {
			io_deadline(in, 1);
			k = io_read(in, buf, max);
			if (k > 0) {
				if (file_write_all(ps->chan, buf,
				    (size_t)k) < 0)
					return;
				from_client = (size_t)k == max;
				continue;
			}
			if (k == 0) {
				client_eof = 1;
				shutdown(ps->chan, SHUT_WR);
			} else if (errno != ETIMEDOUT) {
				return;
			}
			break;
		}
		from_client = 0;
		pf[0].fd = client_eof ? -1 : in->fd;
		pf[0].events = POLLIN;
		pf[1].fd = ps->chan;
		pf[1].events = POLLIN;
		if (poll(pf, 2, 2 * (int)timeout_ms) <= 0)
			return;
		if (pf[0].revents)
			from_client = 1;
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			k = read(ps->chan, buf, max);
			if (k <= 0)
				return;
			io_deadline(out, timeout_ms);
			if (io_write(out, buf, (size_t)k) < 0 ||
			    io_flush(out) < 0)
				return;
		}
	}
}

/* The monitor serves the client on its own copy of the connection
 * (Dovecot passes the fd; here it is inherited), so no byte of a mail
 * passes through the child: it only sends what it had read. */
void privsep_handoff(struct privsep *ps, struct io *in, char *buf,
	size_t max)
{
	size_t n = 0;
	ssize_t k;

	if (max > PRIVSEP_INPUT_MAX)
		max = PRIVSEP_INPUT_MAX;
	while (io_pending(in) && n < max &&
	    (k = io_read(in, buf + n, max - n)) > 0)
		n += (size_t)k;
	privsep_send(ps->chan, 'I', buf, n);
}

int privsep_serve(struct privsep *ps, const struct privsep_checks *k,
	char *buf, size_t max)
{
	char user[AUTH_USER_MAX], how[16];
	int logins = 0;

	/* the session is the child's: no copy of the connection here,
	 * which would keep it open after the child ended it */
	close(ps->cin);
	close(ps->cout);
	ps->cin = ps->cout = -1;
	while (privsep_monitor(ps, k, buf, max, user, sizeof user, how,
	    sizeof how) == 0)
		logins++;
	explicit_bzero(user, sizeof user);
	privsep_end(ps, buf, max);
	return logins;
}

int privsep_end(struct privsep *ps, char *buf, size_t max)
{
	struct pollfd pf = { ps->chan, POLLIN, 0 };
	int st = 0;

	free(ps->pre);
	ps->pre = NULL;
	if (ps->cout >= 0)
		shutdown(ps->cout, SHUT_WR);
	close(ps->cin);
	close(ps->cout);
	/* closing with unread input would reset the child's end before it
	 * passed our last reply on: end our side, drain, then close */
	shutdown(ps->chan, SHUT_WR);
	while (poll(&pf, 1, 5000) > 0 && read(ps->chan, buf, max) > 0)
		;
	close(ps->chan);
	while (waitpid(ps->child, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}
