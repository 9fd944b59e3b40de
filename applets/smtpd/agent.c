/*
 * smtpd's delivery agent: one root process, `sendmail [-C CF] -bQ`
 * (applets/sendmail.c, agent()), reading on its stdin the queue IDs the
 * sessions write to a pipe, delivering each by its ID (no scan of the
 * queue folder).  Both modes use it (README.md, "smtpd"): the daemon
 * keeps one beside the listener; in -i mode the privileged parent of the
 * session starts one at the session's first message.  Its state is
 * struct smtpd_agent: the pid, the pipe, the crashes in a row (after
 * three quick ones the queue runner delivers until SIGHUP) and the
 * sessions' back-pressure (10 s for room in the pipe).
 */
#include "smtpd.h"

#define AGENT_QUICK	10	/* s: a crash this soon after a start counts */
#define AGENT_CRASHES	3	/* quick crashes in a row: give up */
#define AGENT_WAIT_MS	10000	/* a session's wait for room in the pipe */

int smtpd_agent_init(struct smtpd_agent *a, const char *cfpath)
{
	int p[2];

	memset(a, 0, sizeof *a);
	a->rd = a->wr = -1;
	a->cfpath = cfpath;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* the sessions' end never blocks (smtpd_agent_send); ours does */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	a->rd = p[0];
	a->wr = p[1];
	return 0;
}

/* Starts `sendmail [-C CF] -bQ` with the read end of the pipe on its
 * stdin: one root process, the cf read once.  Without sendmail built
 * in, nothing: the queue runner delivers. */
void smtpd_agent_start(struct smtpd_agent *a)
{
	char *argv[5];
	int argc = 0;
	size_t i;
	pid_t pid;

	if (!applet_exists("sendmail") || a->rd < 0)
		return;
	argv[argc++] = "sendmail";
	if (a->cfpath) {
		argv[argc++] = "-C";
		argv[argc++] = (char *)a->cfpath;
	}
	argv[argc++] = "-bQ";
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		for (i = 0; a->srv && i < a->srv->n; i++)
			if (a->srv->l[i].fd >= 0)
				close(a->srv->l[i].fd);
		if (dup2(a->rd, 0) < 0)
			_exit(EX_OSERR);
		close(a->rd);
		if (a->wr >= 0)
			close(a->wr);
		file_null_fds(2);
		smtpd_child_sendmail(argc, argv);
	}
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot start the delivery agent: %s; the "
			"queue runner delivers", strerror(errno));
		return;
	}
	a->pid = pid;
	a->started = time(NULL);
}

/* Stopped by a signal of ours or at EOF it exits 0; otherwise it
 * crashed: started again at once, unless it crashed three times in a
 * row within 10 s of its start. */
int smtpd_agent_reaped(struct smtpd_agent *a, pid_t pid, int st)
{
	if (!a->pid || pid != a->pid)
		return 0;
	a->pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	if (WIFSIGNALED(st))
		log_msg(LOG_ERR, "delivery agent killed by signal %d",
			WTERMSIG(st));
	else
		log_msg(LOG_ERR, "delivery agent exited with status %d",
			WEXITSTATUS(st));
	a->fails = time(NULL) - a->started < AGENT_QUICK ? a->fails + 1 : 0;
	if (a->fails >= AGENT_CRASHES) {
		log_msg(LOG_ERR, "delivery agent failing: messages wait for "
			"the queue runner (sendmail -q) until SIGHUP");
		return 1;
	}
	smtpd_agent_start(a);
	return 1;
}

/* SIGHUP: the agent reads the cf again between two entries; one that
 * had given up starts afresh. */
void smtpd_agent_reload(struct smtpd_agent *a)
{
	a->fails = 0;
	if (a->pid)
		kill(a->pid, SIGHUP);
	else
		smtpd_agent_start(a);
}

/* In a session: the agent's end of the pipe is not its business. */
void smtpd_agent_forget(struct smtpd_agent *a)
{
	if (a->rd >= 0)
		close(a->rd);
	a->rd = -1;
}

void smtpd_agent_send(struct smtpd_agent *a, const char *qid)
{
	char line[QUEUE_ID_LEN + 2];

	if (a->wr < 0)
		return;
	snprintf(line, sizeof line, "%s\n", qid);
	/* One short write to a pipe is atomic (PIPE_BUF).  The pipe does
	 * not block: when the agent is that far behind, this session waits
	 * for room (back-pressure) up to 10 s, then leaves the message to
	 * the queue runner; it is on disk either way. */
	if (write(a->wr, line, strlen(line)) >= 0)
		return;
	if (errno == EAGAIN) {
		struct pollfd pfd = { a->wr, POLLOUT, 0 };

		if (poll(&pfd, 1, AGENT_WAIT_MS) == 1 &&
				write(a->wr, line, strlen(line)) >= 0)
			return;
	}
	log_msg(LOG_WARNING, "%s: delivery not started (%s): left for the "
		"queue runner", qid, strerror(errno));
}

/* The sessions are gone: the agent reads EOF once it has delivered what
 * they queued, and exits. */
void smtpd_agent_stop(struct smtpd_agent *a)
{
	int st;

	if (a->wr >= 0)
		close(a->wr);
	if (a->rd >= 0)
		close(a->rd);
	a->wr = a->rd = -1;
	while (a->pid && waitpid(a->pid, &st, 0) < 0 && errno == EINTR)
		;
	a->pid = 0;
}

/* The -i parent: holds the agent's end of the pipe, starts the agent at
 * the first queue ID SESSION writes (a session that queues nothing costs
 * no agent), restarts it as the listener does, and returns SESSION's
 * exit status once the session has ended and the agent has delivered
 * what it read (its remote deliveries go on in processes of their own).
 * The session's end of the pipe must be closed here already. */
int smtpd_agent_inetd(struct smtpd_agent *a, pid_t session)
{
	int st = 0, ws;
	int ended = 0;
	pid_t w;

	for (;;) {
		if (a->rd >= 0 && !a->pid) {
			struct pollfd pfd = { a->rd, POLLIN, 0 };

			/* a given-up agent: the session's next ID fails at
			 * once (EPIPE) and is left to the queue runner */
			if (a->fails >= AGENT_CRASHES) {
				smtpd_agent_forget(a);
				continue;
			}
			if (poll(&pfd, 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				smtpd_agent_forget(a);
				continue;
			}
			if (pfd.revents & POLLIN)
				smtpd_agent_start(a);
			/* no data and the session's end closed: done */
			if (!a->pid)
				smtpd_agent_forget(a);
			continue;
		}
		if (ended && !a->pid)
			break;
		w = waitpid(-1, &ws, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;	/* ECHILD: nothing left to wait for */
		}
		if (w == session) {
			st = ws;
			ended = 1;
		} else {
			smtpd_agent_reaped(a, w, ws);
		}
	}
	smtpd_agent_forget(a);
	return WIFEXITED(st) ? WEXITSTATUS(st) : EX_SOFTWARE;
}
