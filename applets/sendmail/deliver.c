/*
 * sendmail's local delivery of a message to one final target (contracts
 * in sendmail.h).  Mailboxes (mbox, Maildir) and /files are written by
 * the delivery process (dp_serve, one per queue run) with its effective
 * and file-system ids switched to the target user for the delivery,
 * root's kept as the real and saved ids (local_as_user, README "The mail
 * flow"); |programs and external MDAs run in a child that becomes the
 * user for good.
 */
#include "sendmail.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1	/* <linux/fs.h>, absent from musl-gcc */
#endif

enum job_mode { JOB_MBOX, JOB_MAILDIR, JOB_FILE, JOB_PROGRAM, JOB_MDA };

struct job {
	const struct cf *cf;
	const struct local_target *t;
	const struct local_msg *msg;
	struct local_creds c;		/* whom to run as */
	enum job_mode mode;
	int keep_root;		/* Mlocal F=S: run the MDA as we are */
	dev_t suid_dev;		/* a set-ID /file we run as the owner of: */
	ino_t suid_ino;		/*   the file it must still be once open */
	char path[FILE_PATH_MAX];
	char prefix[1400];	/* Return-Path and Delivered-To */
	size_t prefix_len;
};

static void result(struct local_result *r, int status, const char *dsn,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void result(struct local_result *r, int status, const char *dsn,
	const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	str_lcpy(r->dsn, dsn, sizeof r->dsn);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof r->text, fmt, ap);
	va_end(ap);
}

/* An open/write failure as a result.  Mailboxes: everything temporary
 * (the administrator fixes a symlink or an owner, the mail waits, as in
 * Postfix); /file targets: sendmail's EX_CANTCREAT for what will not
 * change by itself. */
static void result_errno(struct local_result *r, const struct job *j, int err)
{
	const char *why = strerror(err);

	switch (err) {
	case ENOSPC:
		result(r, EX_TEMPFAIL, "4.3.1", "%s: %s", j->path, why);
		return;
	case EDQUOT: case EFBIG:
		result(r, EX_TEMPFAIL, "4.2.2", "%s: mailbox full (%s)",
			j->path, why);
		return;
	case EAGAIN:
		result(r, EX_TEMPFAIL, "4.2.0", "%s: mailbox locked",
			j->path);
		return;
	case ELOOP:
		why = "is a symbolic link: refused";
		break;
	case EPERM:
		why = j->mode == JOB_FILE ? why : "wrong owner: refused";
		break;
	case EMLINK:
		why = "has hard links: refused";
		break;
	case EINVAL:
		why = "not a regular file: refused";
		break;
	}
	if (j->mode == JOB_FILE && (err == EACCES || err == EPERM ||
	    err == ELOOP || err == EINVAL || err == EISDIR ||
	    err == ENOENT || err == EMLINK || err == ENOTDIR)) {
		result(r, EX_CANTCREAT, "5.2.0", "%s: %s", j->path, why);
		return;
	}
	result(r, EX_TEMPFAIL, "4.2.0", "%s: %s", j->path, why);
}

/* Header text is ours to keep to one line per field. */
static void clean_copy(char *dst, size_t max, const char *s)
{
	size_t i;

	str_lcpy(dst, s ? s : "", max);
	for (i = 0; dst[i]; i++)
		if ((unsigned char)dst[i] < ' ' || dst[i] == 0x7f)
			dst[i] = '?';
}

static void make_prefix(struct job *j)
{
	char sender[600], rcpt[600];
	int n;

	clean_copy(sender, sizeof sender, j->msg->sender);
	clean_copy(rcpt, sizeof rcpt, j->msg->rcpt && *j->msg->rcpt ?
		j->msg->rcpt : j->t->user);
	n = snprintf(j->prefix, sizeof j->prefix,
		"Return-Path: <%s>\nDelivered-To: %s\n", sender, rcpt);
	j->prefix_len = n > 0 && (size_t)n < sizeof j->prefix ? (size_t)n : 0;
}

/* Feeds the prefix and the message (pread from 0) to OUT. */
static int copy_message(const struct job *j,
	int (*out)(void *arg, const void *p, size_t n), void *arg)
{
	char chunk[16384];
	off_t off = 0;
	ssize_t r;

	if (j->prefix_len && out(arg, j->prefix, j->prefix_len) < 0)
		return -1;
	for (;;) {
		r = pread(j->msg->fd, chunk, sizeof chunk, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		if (out(arg, chunk, r) < 0)
			return -1;
		off += r;
	}
}

static int mbox_out(void *arg, const void *p, size_t n)
{
	return mbox_append_write(arg, p, n);
}

static int maildir_out(void *arg, const void *p, size_t n)
{
	return maildir_deliver_write(arg, p, n);
}

static void job_mbox(const struct job *j, struct local_result *res)
{
	struct mbox_append m;
	time_t when = j->msg->arrived ? j->msg->arrived : time(NULL);
	int flags = MBOX_CREATE, err;

	/* sendmail's file mailer: /dev/null takes anything */
	if (j->mode == JOB_FILE && strcmp(j->path, "/dev/null") == 0) {
		result(res, 0, "2.0.0", "Delivered");
		return;
	}
	if (j->mode == JOB_MBOX)
		flags |= MBOX_OWNER;
	if (mbox_append_open(&m, j->path, j->c.uid, flags) < 0) {
		struct stat st;

		/* Someone else's file is not even writable for us: say why
		 * it is refused rather than "Permission denied". */
		err = errno;
		if (err == EACCES && j->mode == JOB_MBOX &&
		    lstat(j->path, &st) == 0 && st.st_uid != j->c.uid)
			err = EPERM;
		result_errno(res, j, err);
		return;
	}
	/* A path swapped between our look as root and this open must
	 * not get written with the set-ID file's owner's rights. */
	if (j->suid_ino) {
		struct stat now;

		if (fstat(m.fd, &now) < 0 || now.st_dev != j->suid_dev ||
		    now.st_ino != j->suid_ino) {
			mbox_append_abort(&m);
			result_errno(res, j, EPERM);
			return;
		}
	}
	if (mbox_append_from(&m, j->msg->sender, when) < 0 ||
	    copy_message(j, mbox_out, &m) < 0) {
		err = errno;
		mbox_append_abort(&m);
		result_errno(res, j, err);
		return;
	}
	if (mbox_append_commit(&m) < 0)
		result_errno(res, j, errno);
	else
		result(res, 0, "2.0.0", "Delivered");
}

/* mkdir -p of PATH's parents, mode 0700. */
static void make_parents(const char *path)
{
	char d[FILE_PATH_MAX], *p;

	if (str_lcpy(d, path, sizeof d) >= sizeof d)
		return;
	for (p = d + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = 0;
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return;
		*p = '/';
	}
}

static void job_maildir(const struct job *j, struct local_result *res)
{
	struct maildir_deliver d;
	int err;

	/* A virtual user's home may not exist yet (Dovecot makes it on
	 * demand too): we are the user here, so make what is missing. */
	if (maildir_make(j->path) < 0 && errno == ENOENT)
		make_parents(j->path);
	if (maildir_make(j->path) < 0 ||
	    maildir_deliver_open(&d, j->path) < 0) {
		result_errno(res, j, errno);
		return;
	}
	if (copy_message(j, maildir_out, &d) < 0) {
		err = errno;
		maildir_deliver_abort(&d);
		result_errno(res, j, err);
		return;
	}
	if (maildir_deliver_commit(&d, NULL, 0) < 0) {
		result_errno(res, j, errno);
		return;
	}
	result(res, 0, "2.0.0", "Delivered");
}

/* Output of a program, for the bounce: one line, control bytes blanked. */
static void output_text(char *dst, size_t max, const char *out, size_t n)
{
	size_t i, k = 0;
	int blank = 1;

	for (i = 0; i < n && k + 1 < max; i++) {
		char c = out[i];

		if ((unsigned char)c < ' ' || c == 0x7f)
			c = ' ';
		if (c == ' ' && blank)
			continue;
		blank = c == ' ';
		dst[k++] = c;
	}
	while (k && dst[k - 1] == ' ')
		k--;
	dst[k] = 0;
}

static void close_from(int lowest)
{
	int fd;

	for (fd = lowest; fd < 1024; fd++)
		close(fd);
}

/* Reads what is there on FD (non-blocking) into out, keeping the first
 * max bytes.  1 at end of file or on an error, else 0. */
static int keep_output(int fd, char *out, size_t max, size_t *outn)
{
	char tmp[4096];
	ssize_t r;
	size_t k;

	for (;;) {
		r = read(fd, tmp, sizeof tmp);
		if (r == 0)
			return 1;
		if (r < 0)
			return errno != EAGAIN && errno != EINTR;
		k = max - *outn < (size_t)r ? max - *outn : (size_t)r;
		memcpy(out + *outn, tmp, k);
		*outn += k;
	}
}

/* Mlocal's P= that cannot be run (WHY): the words for the log and the
 * queue, naming the program, its package's usual name and postbox's own
 * local delivery (a P= whose last part is mail.local or postbox, see
 * external_mda). */
static void mda_unusable(char *dst, size_t max, const char *path,
	const char *why)
{
	const char *base = strrchr(path, '/');

	snprintf(dst, max, "Mlocal P=%s: %s; install %s or use "
		"P=/usr/lib/sm.bin/mail.local (postbox's own local delivery)",
		path, why, base ? base + 1 : path);
}

/* execve's errno in words. */
static const char *exec_why(int err)
{
	switch (err) {
	case ENOENT:
		return "not found";
	case EACCES:
		return "not executable (permission denied)";
	case ENOEXEC:
		return "not an executable (exec format error)";
	}
	return strerror(err);
}

/* A running |program or MDA: its pipes, its output kept, how it ended. */
struct prog {
	int in, out, ep;	/* its stdin, its stdout+stderr, and its
				   execve errno (closed by a good exec) */
	pid_t pid;
	char output[LOCAL_PROG_OUTPUT];
	size_t outn;
	int status, exited, timed_out, read_err, exec_err;
};

/* In the child: the pipes on 0, 1+2 and 3, in the user's home (else /),
 * default signals, then PATH.  Never returns. */
static void prog_exec(const struct job *j, const char *path,
	char *const argv[], const int in[2], const int op[2], const int ep[2])
{
	char envs[7][700], *envp[8];
	int i;

	snprintf(envs[0], sizeof envs[0], "SENDER=%s", j->msg->sender);
	snprintf(envs[1], sizeof envs[1], "RECIPIENT=%s",
		j->msg->rcpt ? j->msg->rcpt : j->t->user);
	snprintf(envs[2], sizeof envs[2], "HOME=%s", j->c.home);
	snprintf(envs[3], sizeof envs[3], "USER=%s", j->c.user);
	snprintf(envs[4], sizeof envs[4], "LOGNAME=%s", j->c.user);
	snprintf(envs[5], sizeof envs[5], "SHELL=/bin/sh");
	snprintf(envs[6], sizeof envs[6], "PATH=/usr/bin:/bin");
	for (i = 0; i < 7; i++)
		envp[i] = envs[i];
	envp[7] = NULL;
	if (dup2(in[0], 0) < 0 || dup2(op[1], 1) < 0 ||
	    dup2(op[1], 2) < 0 || dup2(ep[1], 3) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		_exit(EX_OSERR);
	close_from(4);
	if (!j->c.home[0] || chdir(j->c.home) < 0)
		if (chdir("/") < 0)
			_exit(EX_OSERR);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	execve(path, argv, envp);
	i = errno;
	if (write(3, &i, sizeof i) < 0)
		_exit(EX_OSERR);
	_exit(127);
}

/* Starts PATH with ARGV in a child (prog_exec).  0, or -1 with the
 * result in res. */
static int prog_start(const struct job *j, const char *path,
	char *const argv[], struct prog *p, struct local_result *res)
{
	int in[2], op[2] = { -1, -1 }, ep[2];

	if (pipe2(in, O_CLOEXEC) < 0) {
		result(res, EX_TEMPFAIL, "4.3.0", "pipe: %s", strerror(errno));
		return -1;
	}
	/* ep: the child's execve errno, if it fails (closed by a good
	 * exec), so a program that is not there is told from one that
	 * exits 69 */
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		result(res, EX_TEMPFAIL, "4.3.0", "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		if (op[0] >= 0)
			close(op[0]), close(op[1]);
		return -1;
	}
	p->pid = fork();
	if (p->pid < 0) {
		result(res, EX_TEMPFAIL, "4.3.0", "fork: %s", strerror(errno));
		close(in[0]), close(in[1]), close(op[0]), close(op[1]);
		close(ep[0]), close(ep[1]);
		return -1;
	}
	if (p->pid == 0)
		prog_exec(j, path, argv, in, op, ep);
	close(in[0]);
	close(op[1]);
	close(ep[1]);
	p->in = in[1];
	p->out = op[0];
	p->ep = ep[0];
	fcntl(p->in, F_SETFL, O_NONBLOCK);
	fcntl(p->out, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Feeds the prefix and the message to the program and keeps its output
 * until it exits or LOCAL_PROG_TIMEOUT passes (p->timed_out). */
static void prog_talk(const struct job *j, struct prog *p)
{
	char chunk[16384];
	size_t clen = 0, cpos = 0;
	int eof_in = 0, eof_out = 0, prefix_done = 0;
	off_t off = 0;
	struct pollfd pfd[2];
	struct timespec t0, now;
	ssize_t r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Until it exits: a program may close its output early, or leave
	 * a child behind that keeps it open. */
	while (!p->exited) {
		pfd[0].fd = eof_in ? -1 : p->in;
		pfd[0].events = POLLOUT;
		pfd[1].fd = eof_out ? -1 : p->out;
		pfd[1].events = POLLIN;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= LOCAL_PROG_TIMEOUT) {
			p->timed_out = 1;
			break;
		}
		if (poll(pfd, 2, eof_in && eof_out ? 10 : 1000) < 0 &&
		    errno != EINTR)
			pfd[0].revents = pfd[1].revents = 0;
		if (!eof_in && (pfd[0].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			if (cpos == clen) {
				/* Refill: the prefix first, then the file. */
				cpos = clen = 0;
				if (!prefix_done) {
					memcpy(chunk, j->prefix, j->prefix_len);
					clen = j->prefix_len;
					prefix_done = 1;
				}
				if (clen == 0) {
					r = pread(j->msg->fd, chunk,
						sizeof chunk, off);
					if (r < 0)
						p->read_err = errno;
					clen = r > 0 ? (size_t)r : 0;
					off += clen;
				}
			}
			if (clen == 0) {
				eof_in = 1;	/* all sent */
				close(p->in);
			} else if (cpos < clen) {
				r = write(p->in, chunk + cpos, clen - cpos);
				if (r > 0)
					cpos += r;
				else if (r < 0 && errno != EAGAIN &&
				    errno != EINTR) {
					/* EPIPE: it stopped reading,
					 * which is its right. */
					eof_in = 1;
					close(p->in);
				}
			}
		}
		if (!eof_out && (pfd[1].revents & (POLLIN | POLLHUP |
		    POLLERR)))
			eof_out = keep_output(p->out, p->output,
				sizeof p->output, &p->outn);
		if (waitpid(p->pid, &p->status, WNOHANG) == p->pid) {
			p->exited = 1;
			/* What it wrote before exiting, not what a
			 * child it left behind may still write. */
			if (!eof_out)
				keep_output(p->out, p->output,
					sizeof p->output, &p->outn);
		}
	}
	if (!eof_in)
		close(p->in);
	close(p->out);
}

/* The result of the program P that has ended: not executable, the
 * message unreadable, timed out, killed, or its exit code. */
static void prog_result(const struct job *j, const char *path,
	const char *what, const struct prog *p, struct local_result *res)
{
	char text[400], why[460];
	int status = p->status;

	output_text(text, sizeof text, p->output, p->outn);
	/* A mailer that cannot be run (not there, not executable, or the
	 * dynamic loader's 127 for a missing library, as the shell's for a
	 * command not found) waits for the administrator: temporary, as a
	 * refused mailbox is, never a bounce that may fail the same way. */
	if (p->exec_err || (WIFEXITED(status) &&
	    (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127))) {
		if (p->exec_err)
			str_lcpy(why, exec_why(p->exec_err), sizeof why);
		else
			snprintf(why, sizeof why, "cannot be executed "
				"(exited %d%s%s)", WEXITSTATUS(status),
				text[0] ? ": " : "", text);
		if (j->mode == JOB_MDA)
			mda_unusable(res->text, sizeof res->text, path, why);
		else
			snprintf(res->text, sizeof res->text,
				"%s: %.200s: %.250s", what,
				p->exec_err ? path : j->t->path, why);
		res->status = EX_TEMPFAIL;
		str_lcpy(res->dsn, "4.3.5", sizeof res->dsn);
		return;
	}
	if (p->read_err) {
		result(res, EX_TEMPFAIL, "4.3.0", "reading the message: %s",
			strerror(p->read_err));
		return;
	}
	if (p->timed_out) {
		result(res, EX_TEMPFAIL, "4.3.0", "%s: timed out after %d s",
			what, LOCAL_PROG_TIMEOUT);
		return;
	}
	if (WIFSIGNALED(status)) {
		result(res, EX_TEMPFAIL, "4.3.0", "%s: killed by signal %d%s%s",
			what, WTERMSIG(status), text[0] ? ": " : "", text);
		return;
	}
	status = WEXITSTATUS(status);
	switch (status) {
	case 0:
		result(res, 0, "2.0.0", "Delivered");
		return;
	case EX_TEMPFAIL: case EX_OSERR: case EX_IOERR:
		/* sendmail defers on these three */
		result(res, EX_TEMPFAIL, "4.0.0", "%s: exited %d%s%s", what,
			status, text[0] ? ": " : "", text);
		return;
	}
	result(res, status >= EX__BASE && status <= EX__MAX ? status :
		EX_UNAVAILABLE, status == EX_NOUSER ? "5.1.1" :
		status == EX_NOHOST ? "5.1.2" : status == EX_NOPERM ? "5.7.1" :
		"5.3.0", "%s: exited %d%s%s", what, status,
		text[0] ? ": " : "", text);
}

/* Runs PATH with ARGV and the message on stdin, collecting its output
 * (bounded), within LOCAL_PROG_TIMEOUT seconds; WHAT names it in the
 * result. */
static void run_command(const struct job *j, const char *path,
	char *const argv[], const char *what, struct local_result *res)
{
	struct prog p;

	memset(&p, 0, sizeof p);
	if (prog_start(j, path, argv, &p, res) < 0)
		return;
	prog_talk(j, &p);
	if (!p.exited) {
		kill(p.pid, SIGKILL);
		while (waitpid(p.pid, &p.status, 0) < 0)
			if (errno != EINTR) {
				result(res, EX_TEMPFAIL, "4.3.0", "%s: wait: "
					"%s", what, strerror(errno));
				close(p.ep);
				return;
			}
	}
	/* it has exited: what it wrote is there, or EOF */
	if (read(p.ep, &p.exec_err, sizeof p.exec_err) !=
	    sizeof p.exec_err)
		p.exec_err = 0;
	close(p.ep);
	prog_result(j, path, what, &p, res);
}

static void job_program(const struct job *j, struct local_result *res)
{
	char *argv[] = { "/bin/sh", "-c", (char *)j->t->path, NULL };

	run_command(j, argv[0], argv, "program", res);
}

/* Mlocal's A= words, each expanded ($u $h $f $g $z, cf macros). */
static void job_mda(const struct job *j, struct local_result *res)
{
	const struct cf_mailer *m = cf_mailer(j->cf, "local");
	struct vars v = { j->c.user, j->c.home, j->t->path,
		j->msg->sender && *j->msg->sender ? j->msg->sender : "<>" };
	char words[4096], area[8192], *argv[33], *w, *save = NULL;
	size_t used = 0;
	int n = 0;

	if (!m || str_lcpy(words, m->argv ? m->argv : "", sizeof words) >=
	    sizeof words) {
		result(res, EX_TEMPFAIL, "4.3.5", "Mlocal A= too long");
		return;
	}
	/* A='s first word is argv[0], as sendmail passes it; P= is run. */
	for (w = strtok_r(words, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		if (n == 32 || expand_vars(j->cf, w, &v, area + used,
		    sizeof area - used) < 0) {
			result(res, EX_TEMPFAIL, "4.3.5", "Mlocal A= too long");
			return;
		}
		argv[n++] = area + used;
		used += strlen(area + used) + 1;
	}
	argv[n] = NULL;
	if (n == 0) {
		result(res, EX_TEMPFAIL, "4.3.5", "Mlocal has no A=");
		return;
	}
	run_command(j, m->path, argv, "mailer local", res);
}

static void do_job(const struct job *j, struct local_result *res)
{
	switch (j->mode) {
	case JOB_MBOX: case JOB_FILE:
		job_mbox(j, res);
		break;
	case JOB_MAILDIR:
		job_maildir(j, res);
		break;
	case JOB_PROGRAM:
		job_program(j, res);
		break;
	case JOB_MDA:
		job_mda(j, res);
		break;
	}
}

/* rename() that never replaces: renameat2(RENAME_NOREPLACE) where the
 * kernel and file system have it, else link() and unlink() (a reader may
 * then see two links for an instant).  0, or -1 with errno (EEXIST). */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef SYS_renameat2
	if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (link(from, to) < 0)
		return -1;
	unlink(from);
	return 0;
}

/* Root's part of an mbox delivery, before becoming the user: in a folder
 * root owns, the user alone can neither create the mailbox nor a lock.
 * Group-writable (Debian's /var/mail, root:mail 2775): lend the user that
 * group for this delivery.  Root only (0755): create the mailbox for the
 * user, O_EXCL so nothing existing is touched. */
static void mbox_prepare(const char *path, const struct local_creds *c,
	gid_t *extra)
{
	char dir[FILE_PATH_MAX], tmp[FILE_PATH_MAX], *slash;
	struct stat st;
	int fd;

	if (str_lcpy(dir, path, sizeof dir) >= sizeof dir ||
	    !(slash = strrchr(dir, '/')))
		return;
	slash == dir ? (void)(slash[1] = 0) : (void)(*slash = 0);
	if (stat(dir, &st) < 0 || st.st_uid != 0 || (st.st_mode & S_IWOTH))
		return;
	if (st.st_mode & S_IWGRP) {
		*extra = st.st_gid;
		return;
	}
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return;
	/* Made under another name and linked into place, so that no one
	 * ever sees it owned by root (a concurrent delivery would refuse
	 * it as foreign); link() fails when another delivery was first. */
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.new", path,
	    (long)getpid()) >= sizeof tmp)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0)
		return;
	if (fchown(fd, c->uid, c->gid) == 0 && rename_noreplace(tmp, path) == 0)
		file_fsync_dir(path, 0);
	unlink(tmp);
	close(fd);
}

typedef void (*job_work)(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res);

/* ---- the delivery process ------------------------------------------- */

/* Mailboxes and /files are written by one delivery process per process
 * that delivers (a queue run, smtpd's delivery agent), forked at the
 * first such delivery and fed a batch at a time over a socket: root's
 * real and saved ids, each user's effective ids for the writes
 * (local_as_user), each message's done hook (the journal line) run there
 * too.  A runner killed meanwhile does not cut a write from its journal
 * line: the delivery process finishes the batch it has, then sees the
 * socket's end and exits (README "The mail flow"). */

#define DP_MAX_DONE 1024	/* a done hook's data, at most */

struct dp_head {
	struct local_target t;
	int batch;		/* local_deliver_batch, else local_deliver */
	size_t n;
};

struct dp_msg {
	char sender[SM_MAX_ADDR + 1];
	char rcpt[SM_MAX_ADDR + 200];
	char qid[64];
	time_t arrived;
	int (*done)(void *arg, int done_fd, struct local_result *res);
	size_t done_len;
	int has_done_fd;
	unsigned char done_arg[DP_MAX_DONE];
};

static struct {
	int fd;			/* the runner's end of the socket, -1 none */
	pid_t pid;
	int serving;		/* this is the delivery process */
	const struct cf *cf;
} dp = { -1, -1, 0, NULL };

static void batch_work(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res);

/* One packet, with up to 2 fds.  0 or -1. */
static int dp_send(int s, const void *p, size_t len, const int *fds,
	int nfd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct iovec iov = { (void *)p, len };
	struct msghdr mh;
	ssize_t r;

	memset(&mh, 0, sizeof mh);
	memset(&u, 0, sizeof u);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfd > 0) {
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		u.h.cmsg_level = SOL_SOCKET;
		u.h.cmsg_type = SCM_RIGHTS;
		u.h.cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(&u.h), fds, nfd * sizeof(int));
	}
	while ((r = sendmsg(s, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return r == (ssize_t)len ? 0 : -1;
}

/* One packet of exactly LEN bytes into P, its fds (up to 2, the rest
 * closed) into fds[], their number into *nfd.  0, or -1 (the socket's
 * end, an error, a packet of another size). */
static int dp_recv(int s, void *p, size_t len, int *fds, int *nfd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { p, len };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t r;
	int got = 0;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof u.b;
	while ((r = recvmsg(s, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	for (c = r >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c;
	     c = CMSG_NXTHDR(&mh, c)) {
		size_t k, m;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		m = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < m; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
			if (fds && got < 2)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	if (nfd)
		*nfd = got;
	if (r != (ssize_t)len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		while (got > 0)
			close(fds[--got]);
		if (nfd)
			*nfd = 0;
		return -1;
	}
	return 0;
}

/* The delivery process: batches in, each one delivered (in_process, as
 * ever) and its results out, until the runner's end closes.  A stop
 * signal waits for that; SIGKILL alone can cut a delivery short. */
static void dp_serve(int s)
{
	struct dp_head h;
	struct dp_msg *m = NULL;
	struct local_msg *lm = NULL;
	const struct local_msg **pm = NULL;
	struct local_result *res = NULL;
	int *fds = NULL;
	sigset_t stops;
	size_t k, got;
	long fd, max = sysconf(_SC_OPEN_MAX);

	dp.serving = 1;
	/* Nothing of the runner's kept open (a queue entry's flock would
	 * stay held with it), but the standard fds and the socket. */
	closelog();
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		if (fd != s)
			close((int)fd);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGQUIT);
	sigprocmask(SIG_BLOCK, &stops, NULL);
	for (;;) {
		if (dp_recv(s, &h, sizeof h, NULL, NULL) < 0 || h.n == 0 ||
		    h.n > QUEUE_MAX_RCPTS + 100000)
			_exit(0);
		h.t.user[sizeof h.t.user - 1] = 0;
		h.t.path[sizeof h.t.path - 1] = 0;
		h.t.home[sizeof h.t.home - 1] = 0;
		h.t.status[sizeof h.t.status - 1] = 0;
		h.t.text[sizeof h.t.text - 1] = 0;
		h.t.owner[sizeof h.t.owner - 1] = 0;
		m = calloc(h.n, sizeof *m);
		lm = calloc(h.n, sizeof *lm);
		pm = calloc(h.n, sizeof *pm);
		res = calloc(h.n, sizeof *res);
		fds = malloc(h.n * 2 * sizeof *fds);
		if (!m || !lm || !pm || !res || !fds)
			_exit(EX_OSERR);	/* the runner: "died" */
		for (got = 0; got < h.n; got++) {
			int nfd, *f = &fds[2 * got];

			f[0] = f[1] = -1;
			if (dp_recv(s, &m[got], sizeof m[got], f, &nfd) < 0 ||
			    nfd < 1 || (m[got].has_done_fd && nfd < 2) ||
			    m[got].done_len > DP_MAX_DONE)
				_exit(0);	/* cut short: nothing begun */
			m[got].sender[sizeof m[got].sender - 1] = 0;
			m[got].rcpt[sizeof m[got].rcpt - 1] = 0;
			m[got].qid[sizeof m[got].qid - 1] = 0;
			lm[got].fd = f[0];
			lm[got].sender = m[got].sender;
			lm[got].rcpt = m[got].rcpt;
			lm[got].qid = m[got].qid;
			lm[got].arrived = m[got].arrived;
			lm[got].done = m[got].done;
			lm[got].done_arg = m[got].done_arg;
			lm[got].done_len = m[got].done_len;
			lm[got].done_fd = m[got].has_done_fd ? f[1] : -1;
			pm[got] = &lm[got];
		}
		if (h.batch)
			local_deliver_batch(dp.cf, &h.t, pm, h.n, res);
		else
			local_deliver(dp.cf, &h.t, pm[0], res);
		fflush(stdout);
		/* the runner may be gone: the results are journaled */
		for (k = 0; k < h.n; k++) {
			dp_send(s, &res[k], sizeof res[k], NULL, 0);
			close(fds[2 * k]);
			if (fds[2 * k + 1] >= 0)
				close(fds[2 * k + 1]);
		}
		free(m);
		free(lm);
		free(pm);
		free(res);
		free(fds);
	}
}

/* The delivery process started when not yet (or no longer) there.  0, or
 * -1 with errno. */
static int dp_start(const struct cf *cf)
{
	int sv[2];
	pid_t pid;

	if (dp.fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* nothing buffered may be written twice */
	fflush(stdout);
	dp.cf = cf;
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(sv[0]);
		close(sv[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		dp_serve(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	dp.fd = sv[0];
	dp.pid = pid;
	return 0;
}

/* The delivery process gone (its results missing): forgotten, reaped, so
 * that the next delivery starts another. */
static void dp_lost(void)
{
	close(dp.fd);
	dp.fd = -1;
	if (dp.pid > 0)
		while (waitpid(dp.pid, NULL, 0) < 0 && errno == EINTR)
			;
	dp.pid = -1;
}

void local_deliver_end(void)
{
	if (dp.fd >= 0 && !dp.serving)
		dp_lost();
}

/* Whether the N messages can go to the delivery process: each done
 * hook's data fits, and the strings do. */
static int dp_fits(const struct local_msg *const *msgs, size_t n)
{
	struct dp_msg *m = NULL;
	size_t k;

	for (k = 0; k < n; k++)
		if (msgs[k]->done_len > DP_MAX_DONE ||
		    strlen(msgs[k]->sender) >= sizeof m->sender ||
		    strlen(msgs[k]->rcpt) >= sizeof m->rcpt ||
		    strlen(msgs[k]->qid) >= sizeof m->qid)
			return 0;
	return 1;
}

/* J's N messages delivered by the delivery process (started if need
 * be): results in res[N]; those that do not come back are "delivery
 * process died" (res.died: what its done hook journaled is the truth). */
static void dp_call(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res, int batch)
{
	struct dp_head h;
	struct dp_msg *m;
	size_t k, got = 0;
	int err = 0;

	memset(res, 0, n * sizeof *res);
	m = calloc(1, sizeof *m);
	if (!m || dp_start(j->cf) < 0) {
		err = errno;
		free(m);
		for (k = 0; k < n; k++)
			result(&res[k], EX_TEMPFAIL, "4.3.0", "cannot start "
				"the delivery process: %s", strerror(err));
		return;
	}
	memset(&h, 0, sizeof h);
	h.t = *j->t;
	h.batch = batch;
	h.n = n;
	if (dp_send(dp.fd, &h, sizeof h, NULL, 0) < 0)
		goto lost;
	for (k = 0; k < n; k++) {
		int fds[2];

		memset(m, 0, sizeof *m);
		str_lcpy(m->sender, msgs[k]->sender, sizeof m->sender);
		str_lcpy(m->rcpt, msgs[k]->rcpt, sizeof m->rcpt);
		str_lcpy(m->qid, msgs[k]->qid, sizeof m->qid);
		m->arrived = msgs[k]->arrived;
		m->done = msgs[k]->done;
		if (m->done && msgs[k]->done_len) {
			m->done_len = msgs[k]->done_len;
			memcpy(m->done_arg, msgs[k]->done_arg, m->done_len);
		}
		m->has_done_fd = m->done && msgs[k]->done_fd >= 0;
		fds[0] = msgs[k]->fd;
		fds[1] = msgs[k]->done_fd;
		if (dp_send(dp.fd, m, sizeof *m, fds,
		    m->has_done_fd ? 2 : 1) < 0)
			goto lost;
	}
	for (got = 0; got < n; got++)
		if (dp_recv(dp.fd, &res[got], sizeof res[got], NULL,
		    NULL) < 0)
			goto lost;
	free(m);
	for (k = 0; k < n; k++) {
		res[k].dsn[sizeof res[k].dsn - 1] = 0;
		res[k].text[sizeof res[k].text - 1] = 0;
	}
	return;
lost:
	log_msg(LOG_ERR, "the delivery process (pid %ld) ended",
		(long)dp.pid);
	free(m);
	dp_lost();
	for (k = got; k < n; k++) {
		memset(&res[k], 0, sizeof res[k]);
		result(&res[k], EX_TEMPFAIL, "4.3.0",
			"delivery process died");
		res[k].died = 1;
	}
}

/* Runs WORK on the N messages: a queue run's (done hooks) in the
 * delivery process (dp_call); there, or without done hooks, in this
 * process: as J's user when root (local_as_user), the stop signals held
 * until the messages are in or out (only SIGKILL or a crash can leave half a
 * message, which the queue entry, still there, delivers again), each
 * message's done hook called once root again. */
static void in_process(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res, job_work work)
{
	struct sigaction ign, old_pipe, old_xfsz;
	sigset_t stops, old_mask;
	struct local_ids ids;
	gid_t extra = (gid_t)-1;
	int root = geteuid() == 0;
	size_t k;

	/* A queue run's deliveries (a done hook to journal them) go to
	 * the delivery process, which outlives the runner's death. */
	if (!dp.serving && n && msgs[0]->done && dp_fits(msgs, n)) {
		dp_call(j, msgs, n, res, work == batch_work);
		return;
	}
	memset(res, 0, n * sizeof *res);
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGQUIT);
	sigprocmask(SIG_BLOCK, &stops, &old_mask);
	/* EFBIG past RLIMIT_FSIZE (the mbox cut back) rather than death */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigaction(SIGXFSZ, &ign, &old_xfsz);
	if (j->mode == JOB_MBOX && root)
		mbox_prepare(j->path, &j->c, &extra);
	if (root && local_as_user(&j->c, extra, &ids) < 0) {
		int err = errno;

		log_msg(LOG_ERR, "cannot deliver as %s (uid %ld): %s",
			j->c.user, (long)j->c.uid, strerror(err));
		for (k = 0; k < n; k++)
			result(&res[k], EX_TEMPFAIL, "4.3.0", "cannot "
				"become %s (uid %ld): %s", j->c.user,
				(long)j->c.uid, strerror(err));
	} else {
		work(j, msgs, n, res);
		if (root)
			local_as_root(&ids);
	}
	for (k = 0; k < n; k++) {
		res[k].dsn[sizeof res[k].dsn - 1] = 0;
		res[k].text[sizeof res[k].text - 1] = 0;
		if (msgs[k]->done && msgs[k]->done(msgs[k]->done_arg,
		    msgs[k]->done_fd, &res[k]) == 0)
			res[k].recorded = 1;
	}
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGXFSZ, &old_xfsz, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
}

/* Runs WORK on the N messages in a child that becomes J's user, root or
 * not (a caller killed meanwhile does not cut a mailbox write short),
 * calls each message's done hook there, and brings the N results back;
 * one that does not come back is "delivery process died". */
static void in_child(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res, job_work work)
{
	gid_t extra = (gid_t)-1;
	size_t k, got = 0;
	ssize_t r;
	int p[2] = { -1, -1 }, root = geteuid() == 0;
	pid_t pid = -1;

	memset(res, 0, n * sizeof *res);
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		int err = errno;

		if (p[0] >= 0) {
			close(p[0]);
			close(p[1]);
		}
		for (k = 0; k < n; k++)
			result(&res[k], EX_TEMPFAIL, "4.3.0", "fork: %s",
				strerror(err));
		return;
	}
	if (pid == 0) {
		sigset_t stops;

		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		/* Past RLIMIT_FSIZE a write fails with EFBIG (and the mbox
		 * is cut back) instead of killing us half-way. */
		signal(SIGXFSZ, SIG_IGN);
		/* A stop request (SIGTERM from a supervisor, ^C) waits until
		 * the messages are in or out and the results sent: only
		 * SIGKILL can leave half a message. */
		sigemptyset(&stops);
		sigaddset(&stops, SIGTERM);
		sigaddset(&stops, SIGINT);
		sigaddset(&stops, SIGHUP);
		sigaddset(&stops, SIGQUIT);
		sigprocmask(SIG_BLOCK, &stops, NULL);
		if (j->mode == JOB_MBOX && root)
			mbox_prepare(j->path, &j->c, &extra);
		if (!j->keep_root && root &&
		    local_become(&j->c, extra) < 0) {
			for (k = 0; k < n; k++)
				result(&res[k], EX_TEMPFAIL, "4.3.0", "cannot "
					"become %s (uid %ld): %s", j->c.user,
					(long)j->c.uid, strerror(errno));
		} else {
			work(j, msgs, n, res);
		}
		for (k = 0; k < n; k++)
			if (msgs[k]->done && msgs[k]->done(
			    msgs[k]->done_arg, msgs[k]->done_fd,
			    &res[k]) == 0)
				res[k].recorded = 1;
		file_write_all(p[1], res, n * sizeof *res);
		_exit(0);
	}
	close(p[1]);
	while (got < n * sizeof *res &&
	       (r = read(p[0], (char *)res + got, n * sizeof *res - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (k = 0; k < n; k++) {
		if ((k + 1) * sizeof *res > got) {
			memset(&res[k], 0, sizeof res[k]);
			result(&res[k], EX_TEMPFAIL, "4.3.0",
				"delivery process died");
			res[k].died = 1;
		}
		res[k].dsn[sizeof res[k].dsn - 1] = 0;
		res[k].text[sizeof res[k].text - 1] = 0;
	}
}

static void one_job(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res)
{
	(void)msgs;
	(void)n;
	do_job(j, res);
}

static void run_job(struct job *j, struct local_result *res)
{
	const struct local_msg *one[1];

	/* sendmail run by a user delivers only as that user; the mail
	 * waits for a privileged queue run. */
	if (geteuid() != 0 && !j->keep_root && j->c.uid != geteuid()) {
		result(res, EX_TEMPFAIL, "4.3.0", "cannot deliver as %s "
			"(uid %ld) when not running as root", j->c.user,
			(long)j->c.uid);
		return;
	}
	one[0] = j->msg;
	if (j->mode == JOB_PROGRAM || j->mode == JOB_MDA)
		in_child(j, one, 1, res, one_job);
	else
		in_process(j, one, 1, res, one_job);
}

/* Postfix's loop check: the header already holds the Delivered-To line
 * we would add, so the message came back through a forward.  Looks at
 * the first LOCAL_MAX_HEADER bytes of the header only. */
static int delivered_before(const struct local_msg *msg, const char *rcpt)
{
	struct buf h = BUF_INIT(LOCAL_MAX_HEADER);
	char chunk[8192], *line, *end, *v;
	size_t n = strlen(rcpt), vl;
	off_t off = 0;
	ssize_t r;
	int seen = 0;

	while (h.len < LOCAL_MAX_HEADER &&
	       (r = pread(msg->fd, chunk, sizeof chunk, off)) > 0) {
		if (buf_add(&h, chunk, (size_t)r) < 0)
			break;
		off += r;
		if (strstr(buf_str(&h), "\n\n"))
			break;
	}
	for (line = h.p; line && *line && *line != '\n'; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = 0;
		if (strncasecmp(line, "Delivered-To:", 13) != 0)
			continue;
		for (v = line + 13; *v == ' ' || *v == '\t'; v++)
			;
		vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
			vl--;
		if (vl == n && strncasecmp(v, rcpt, n) == 0) {
			seen = 1;
			break;
		}
	}
	buf_free(&h);
	return seen;
}

/* Mlocal with a P= other than mail.local or postbox: an external MDA. */
static const struct cf_mailer *external_mda(const struct cf *cf)
{
	const struct cf_mailer *m = cf_mailer(cf, "local");
	const char *base;

	if (!m || !m->path || m->path[0] != '/')
		return NULL;
	base = strrchr(m->path, '/') + 1;
	if (strcmp(base, "mail.local") == 0 || strcmp(base, "postbox") == 0)
		return NULL;
	return m;
}

int local_mailer_check(const struct cf *cf, char *why, size_t max)
{
	const struct cf_mailer *m = external_mda(cf);
	struct stat st;

	if (!m)
		return 0;
	if (stat(m->path, &st) < 0) {
		mda_unusable(why, max, m->path, exec_why(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		mda_unusable(why, max, m->path, exec_why(EACCES));
		return -1;
	}
	return 0;
}

/* J for target T: who to run as. */
static void job_init(struct job *j, const struct cf *cf,
	const struct local_target *t)
{
	struct passwd *pw;

	j->cf = cf;
	j->t = t;
	str_lcpy(j->c.user, t->user, sizeof j->c.user);
	j->c.uid = t->uid;
	j->c.gid = t->gid;
	str_lcpy(j->c.home, t->home, sizeof j->c.home);
	pw = t->user[0] ? getpwnam(t->user) : NULL;
	j->c.system = pw && pw->pw_uid == t->uid;
}

int local_deliver(const struct cf *cf, const struct local_target *t,
	const struct local_msg *msg, struct local_result *res)
{
	const struct cf_mailer *mda;
	struct job *j;
	int kind;

	memset(res, 0, sizeof *res);
	switch (t->kind) {
	case LOCAL_ERROR:
		result(res, t->status[0] == '4' ? EX_TEMPFAIL :
			strcmp(t->status, "5.1.1") == 0 ? EX_NOUSER :
			EX_UNAVAILABLE, t->status[0] ? t->status : "5.0.0",
			"%s", t->text);
		return res->status;
	case LOCAL_REMOTE:
		result(res, EX_TEMPFAIL, "4.3.5", "%s: not a local target",
			t->path);
		return res->status;
	default:
		break;
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		result(res, EX_TEMPFAIL, "4.3.0", "out of memory");
		return res->status;
	}
	job_init(j, cf, t);
	j->msg = msg;
	if ((t->kind == LOCAL_FILE || t->kind == LOCAL_PROGRAM) &&
	    j->c.uid == 0)
		local_default_creds(cf, &j->c);	/* never as root */
	make_prefix(j);
	if (delivered_before(msg, msg->rcpt && *msg->rcpt ? msg->rcpt :
	    t->user)) {
		result(res, EX_UNAVAILABLE, "5.4.6", "mail forwarding loop "
			"for %s", msg->rcpt && *msg->rcpt ? msg->rcpt :
			t->user);
		free(j);
		return res->status;
	}
	if (t->kind == LOCAL_FILE) {
		struct stat fst;

		j->mode = JOB_FILE;
		str_lcpy(j->path, t->path, sizeof j->path);
		/* sendmail's mailfile(): a set-user-ID (set-group-ID) file
		 * is written as its owner (group), how an administrator
		 * lets an alias append to a file of a service user. */
		if (stat(j->path, &fst) == 0 && S_ISREG(fst.st_mode)) {
			if ((fst.st_mode & S_ISUID) && fst.st_uid != 0) {
				local_creds_by_uid(&j->c, fst.st_uid,
					fst.st_gid);
				j->c.system = 0;
			}
			if ((fst.st_mode & S_ISGID) && fst.st_gid != 0)
				j->c.gid = fst.st_gid;
			if (fst.st_mode & (S_ISUID | S_ISGID)) {
				j->suid_dev = fst.st_dev;
				j->suid_ino = fst.st_ino;
			}
		}
	} else if (t->kind == LOCAL_PROGRAM) {
		j->mode = JOB_PROGRAM;
	} else if ((mda = external_mda(cf)) != NULL) {
		j->mode = JOB_MDA;
		j->keep_root = mda->flags && strchr(mda->flags, 'S');
	} else {
		kind = local_mailbox(cf, t->user, t->home, j->path,
			sizeof j->path);
		if (kind < 0) {
			result(res, EX_TEMPFAIL, "4.3.5", "PostboxMailbox "
				"gives no mailbox for %s: %s", t->user,
				strerror(errno));
			free(j);
			return res->status;
		}
		j->mode = kind == LOCAL_MAILDIR ? JOB_MAILDIR : JOB_MBOX;
	}
	run_job(j, res);
	free(j);
	return res->status;
}

/* A batch for one mbox, as its user (in_process): every message not
 * seen before appended under one lock, one fsync for all, then each
 * result. */
static void batch_work(struct job *j, const struct local_msg *const *msgs,
	size_t n, struct local_result *res)
{
	struct mbox_append m;
	size_t k, nw = 0;
	char *wrote = calloc(n ? n : 1, 1);
	int err = 0;

	if (!wrote) {
		for (k = 0; k < n; k++)
			result(&res[k], EX_TEMPFAIL, "4.3.0", "out of memory");
		return;
	}
	if (mbox_append_open(&m, j->path, j->c.uid, MBOX_CREATE | MBOX_OWNER)
	    < 0) {
		struct stat st;

		err = errno;
		if (err == EACCES && lstat(j->path, &st) == 0 &&
		    st.st_uid != j->c.uid)
			err = EPERM;
		for (k = 0; k < n; k++)
			result_errno(&res[k], j, err);
		free(wrote);
		return;
	}
	for (k = 0; k < n && !err; k++) {
		res[k].status = -1;	/* not decided yet */
		const char *rcpt = msgs[k]->rcpt && *msgs[k]->rcpt ?
			msgs[k]->rcpt : j->t->user;

		j->msg = msgs[k];
		if (delivered_before(msgs[k], rcpt)) {
			result(&res[k], EX_UNAVAILABLE, "5.4.6", "mail "
				"forwarding loop for %s", rcpt);
			continue;
		}
		make_prefix(j);
		if ((nw && mbox_append_end(&m) < 0) ||
		    mbox_append_from(&m, msgs[k]->sender, msgs[k]->arrived ?
			msgs[k]->arrived : time(NULL)) < 0 ||
		    copy_message(j, mbox_out, &m) < 0)
			err = errno ? errno : EIO;
		wrote[k] = 1;
		nw++;
	}
	if (err)
		mbox_append_abort(&m);
	else if (!nw)
		mbox_append_abort(&m);	/* nothing written: just unlock */
	else if (mbox_append_commit(&m) < 0)
		err = errno;
	for (k = 0; k < n; k++) {
		/* a loop keeps its 5.4.6; the rest share the batch's fate */
		if (!wrote[k] && res[k].status > 0)
			continue;
		if (err)
			result_errno(&res[k], j, err);
		else
			result(&res[k], 0, "2.0.0", "Delivered");
	}
	free(wrote);
}

void local_deliver_batch(const struct cf *cf, const struct local_target *t,
	const struct local_msg *const *msgs, size_t n,
	struct local_result *res)
{
	struct job *j;
	size_t k;

	memset(res, 0, n * sizeof *res);
	j = t->kind == LOCAL_MAILBOX && !external_mda(cf) ?
		calloc(1, sizeof *j) : NULL;
	if (j) {
		job_init(j, cf, t);
		j->mode = JOB_MBOX;
	}
	/* Maildir (a file and an fsync per message anyway), an MDA, a user
	 * we cannot become: one by one, as ever. */
	if (!j || n < 2 || local_mailbox(cf, t->user, t->home, j->path,
	    sizeof j->path) != LOCAL_MBOX ||
	    (geteuid() != 0 && t->uid != geteuid())) {
		free(j);
		for (k = 0; k < n; k++)
			local_deliver(cf, t, msgs[k], &res[k]);
		return;
	}
	in_process(j, msgs, n, res, batch_work);
	free(j);
}
