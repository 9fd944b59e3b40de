/*
 * The queue runner: works on queued entries, one locked entry at a time.
 *
 * For each pending recipient: a local one is expanded (aliases,
 * :include:, .forward) into final targets, and the expansion is saved in
 * the envelope BEFORE anything is delivered, so a crash never re-expands
 * into a second copy; each target is then delivered and its result saved.
 * Remote recipients go to the remote transport (smtp.c) all at once.  4xx and EX_TEMPFAIL retry
 * after queue_backoff(); 5xx fail.  After Timeout.queuewarn a delay DSN,
 * after Timeout.queuereturn the pending ones fail (4.4.7) and bounce.
 * Entry done: envelope removed, then data.  Never otherwise: a report
 * about a report that cannot be delivered is set aside in the queue
 * (queue_aside), logged at every run and tried again (README.md, "The
 * mail flow").
 */
#define _GNU_SOURCE	/* strcasestr */
#include "sendmail.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void sm_date(time_t t, char *dst, size_t max)
{
	if (!msg_date(t, dst, max))
		str_lcpy(dst, "Thu, 01 Jan 1970 00:00:00 +0000", max);
}

void sm_qualify(const struct sm *sm, const char *addr, char *dst,
	size_t max)
{
	const char *j = cf_macro(&sm->cf, "j");

	if (!*addr || strchr(addr, '@') || !j)
		str_lcpy(dst, addr, max);
	else
		snprintf(dst, max, "%s@%s", addr, j);
}

void sm_fmt_delay(long s, char *dst, size_t max)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(dst, max, "%ld+%02ld:%02ld:%02ld", s / 86400,
			s / 3600 % 24, s / 60 % 60, s % 60);
	else
		snprintf(dst, max, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60,
			s % 60);
}

/* The recipient given at submission that recipient I descends from. */
static size_t top_of(const struct queue_env *e, size_t i)
{
	while (e->rcpt[i].parent >= 0)
		i = (size_t)e->rcpt[i].parent;
	return i;
}

/* Sets recipient I's state from RES: 0 sent, 4xx/EX_TEMPFAIL pending,
 * anything else failed. */
static void set_result(struct queue_entry *q, size_t i,
	const struct local_result *res)
{
	struct queue_rcpt *r = &q->env.rcpt[i];

	str_lcpy(r->status, res->dsn, sizeof r->status);
	queue_set(&r->reason, res->text);
	if (res->status == 0)
		r->state = QUEUE_SENT;
	else if (res->status == EX_TEMPFAIL || res->dsn[0] == '4')
		r->state = QUEUE_PENDING;
	else
		r->state = QUEUE_FAILED;
}

/* Logs a recipient's result sendmail's way (and prints it with -v): entry
 * ID, made CREATED, address ADDR, now in STATE. */
static void log_line(int verbose, const char *id, time_t created,
	const char *addr, enum queue_state state, const char *mailer,
	const struct local_result *res, time_t started)
{
	char delay[32], xdelay[32];
	const char *stat = state == QUEUE_SENT ? "Sent" :
		state == QUEUE_PENDING ? "Deferred" : "failed";
	time_t now = time(NULL);

	sm_fmt_delay((long)(now - created), delay, sizeof delay);
	sm_fmt_delay((long)(now - started), xdelay, sizeof xdelay);
	if (res->status == 0)
		log_msg(LOG_INFO, "%s: to=%s, delay=%s, xdelay=%s, mailer=%s, "
			"dsn=%s, stat=Sent", id, addr, delay, xdelay,
			mailer, res->dsn);
	else
		log_msg(LOG_INFO, "%s: to=%s, delay=%s, xdelay=%s, mailer=%s, "
			"dsn=%s, stat=%s: %s", id, addr, delay, xdelay,
			mailer, res->dsn, stat, res->text);
	if (verbose) {
		if (res->status == 0)
			printf("%s... Sent\n", addr);
		else
			printf("%s... %s: %s\n", addr, stat, res->text);
		fflush(stdout);
	}
}

/* Logs recipient I's result sendmail's way (and prints it with -v). */
static void log_result(struct sm *sm, struct queue_entry *q, size_t i,
	const char *mailer, const struct local_result *res, time_t started)
{
	struct queue_rcpt *r = &q->env.rcpt[i];

	log_line(sm->verbose, q->id, q->env.created, r->addr, r->state,
		mailer, res, started);
}

/* --- transports ------------------------------------------------------- */

/* What the delivering process needs to record its own result: plain
 * data, copied to the delivery process (README "The mail flow"), which
 * has the journal's fd as local_msg.done_fd. */
struct note {
	size_t i;
	int verbose;
	int dsn_sent;
	time_t created, started;
	char id[QUEUE_ID_LEN + 1];
	char mailer[16];
	char addr[SM_MAX_ADDR + 200];
};

/* Fills N for recipient I of Q, started now. */
static void note_init(struct note *n, struct sm *sm, struct queue_entry *q,
	size_t i)
{
	memset(n, 0, sizeof *n);
	n->i = i;
	n->verbose = sm->verbose;
	n->dsn_sent = q->env.rcpt[i].dsn_sent;
	n->created = q->env.created;
	n->started = time(NULL);
	str_lcpy(n->id, q->id, sizeof n->id);
	str_lcpy(n->mailer, sm->local.name, sizeof n->mailer);
	str_lcpy(n->addr, q->env.rcpt[i].addr, sizeof n->addr);
}

/* Runs in the process that delivered (local_msg.done), as root again:
 * the result goes into the journal through JFD (opened and flocked by
 * the runner), and into the log, before the runner hears of it, as
 * Postfix's delivery agents mark their recipients done themselves: when
 * the runner is killed in the middle, the delivery finishes and is
 * recorded all the same. */
static int note_result(void *arg, int jfd, struct local_result *res)
{
	const struct note *n = arg;
	struct queue_rcpt r;
	int rc;

	memset(&r, 0, sizeof r);
	r.dsn_sent = n->dsn_sent;
	str_lcpy(r.status, res->dsn, sizeof r.status);
	r.reason = res->text;
	if (res->status == 0)
		r.state = QUEUE_SENT;
	else if (res->status == EX_TEMPFAIL || res->dsn[0] == '4')
		r.state = QUEUE_PENDING;
	else
		r.state = QUEUE_FAILED;
	log_line(n->verbose, n->id, n->created, n->addr, r.state, n->mailer,
		res, n->started);
	if (r.state == QUEUE_PENDING)
		return 0;	/* nothing to keep: tried again anyway */
	rc = queue_note_rcpt(&r, n->i, jfd);
	if (rc < 0)
		log_msg(LOG_ERR, "%s: cannot record the result: %s",
			n->id, strerror(errno));
	return rc;
}

static int local_transport(struct sm *sm, struct queue_entry *q,
	const size_t *idx, size_t n, struct local_result *res)
{
	struct queue_rcpt *r = &q->env.rcpt[idx[0]];
	struct local_msg msg;
	struct note note;
	int jfd;
	char rcpt[SM_MAX_ADDR + 80];
	int rc;

	memset(res, 0, sizeof *res);
	note_init(&note, sm, q, idx[0]);
	/* Delivered-To names the address as submitted, qualified. */
	sm_qualify(sm, q->env.rcpt[top_of(&q->env, idx[0])].addr, rcpt,
		sizeof rcpt);
	memset(&msg, 0, sizeof msg);
	msg.fd = q->fd;
	msg.sender = q->env.sender;
	msg.rcpt = rcpt;
	msg.qid = q->id;
	msg.arrived = q->env.created;
	/* The journal stays flocked while a delivery may still record into
	 * it: queue_lock refuses the entry meanwhile, so a runner started
	 * after this one was killed waits for the result instead of
	 * delivering a second time. */
	jfd = queue_journal_open(q);
	if (jfd < 0 || flock(jfd, LOCK_EX) < 0) {
		if (jfd >= 0)
			close(jfd);
		log_msg(LOG_ERR, "%s: journal: %s", q->id, strerror(errno));
		res->status = EX_TEMPFAIL;
		str_lcpy(res->dsn, "4.3.0", sizeof res->dsn);
		str_lcpy(res->text, "cannot open the queue journal",
			sizeof res->text);
		return res->status;
	}
	msg.done = note_result;
	msg.done_arg = &note;
	msg.done_len = sizeof note;
	msg.done_fd = jfd;
	if (sm->verbose)
		printf("%s... Connecting to local...\n", r->addr);
	/* nothing buffered may be written twice by the delivery child */
	fflush(stdout);
	rc = local_deliver(&sm->cf, r->target, &msg, res);
	close(jfd);
	return rc;
}

void sm_runner_init(struct sm *sm)
{
	sm->local.name = "local";
	sm->local.deliver = local_transport;
	sm->remote.name = "esmtp";
	sm->remote.deliver = sm_smtp_deliver;
	sm->queuewarn = sm->cf.opt.to_queuewarn;
	sm->queuereturn = sm->cf.opt.to_queuereturn;
}

/* The one way the runner records recipient I's result RES, local or
 * remote, single or batched.  A local delivery's own process journals
 * and logs it (note_result): then only the envelope in memory follows
 * (res->recorded).  When that process died, what it journaled before
 * dying, if anything, is the truth: taken from the journal, neither
 * journaled nor logged a second time.  Otherwise the result is journaled
 * here at once (a runner killed before the envelope is saved must not
 * deliver again) and logged, unless LOGGED (the SMTP client logs its
 * lines itself, with relay=). */
static void record_result(struct sm *sm, struct queue_entry *q, size_t i,
	const char *mailer, const struct local_result *res, time_t started,
	int logged)
{
	if (res->recorded) {
		set_result(q, i, res);
		return;
	}
	if (res->died) {
		queue_journal(q);
		if (q->env.rcpt[i].state != QUEUE_PENDING)
			return;
	}
	set_result(q, i, res);
	if (q->env.rcpt[i].state != QUEUE_PENDING && queue_note(q, i) < 0)
		log_msg(LOG_ERR, "%s: cannot record the result: %s", q->id,
			strerror(errno));
	if (!logged)
		log_result(sm, q, i, mailer, res, started);
}

/* Delivers target I.  Local delivery works in a process of its own
 * that records the result (note_result); record_result does the rest. */
static void deliver_target(struct sm *sm, struct queue_entry *q, size_t i)
{
	struct local_result res;
	time_t started = time(NULL);

	sm->local.deliver(sm, q, &i, 1, &res);
	record_result(sm, q, i, sm->local.name, &res, started, 0);
}

/* --- expansion -------------------------------------------------------- */

struct expand {
	struct queue_env *env;
	size_t parent;
	int failed;
};

static int add_target(void *ctx, const struct local_target *t)
{
	struct expand *x = ctx;
	struct queue_env *e = x->env;
	struct queue_rcpt *r;
	char what[1100];
	unsigned notify = e->rcpt[x->parent].notify;
	char *orcpt = e->rcpt[x->parent].orcpt;

	switch (t->kind) {
	case LOCAL_MAILBOX:
		str_lcpy(what, t->user, sizeof what);
		break;
	case LOCAL_PROGRAM:
		snprintf(what, sizeof what, "|%s", t->path);
		break;
	case LOCAL_ERROR:
		str_lcpy(what, e->rcpt[x->parent].addr, sizeof what);
		break;
	default:
		str_lcpy(what, t->path, sizeof what);
		break;
	}
	/* A target whose text cannot be kept in the envelope (a TAB in a
	 * program's command line) is refused rather than mangled. */
	if (!*what || strchr(what, '\t')) {
		x->failed = 1;
		return 0;
	}
	r = queue_env_add(e, what, (int)x->parent);
	if (!r || queue_set(&r->orcpt, orcpt) < 0 ||
	    queue_rcpt_target(r, t) < 0) {
		x->failed = 1;
		return -1;
	}
	r->notify = notify;
	if (t->kind == LOCAL_ERROR) {
		r->state = QUEUE_FAILED;
		str_lcpy(r->status, t->status[0] ? t->status : "5.1.1",
			sizeof r->status);
		queue_set(&r->reason, t->text[0] ? t->text : "User unknown");
	}
	return 0;
}

/* Expands local recipient I into targets (in memory: the caller saves
 * the envelope before any of them is delivered).  Returns 1 when the
 * envelope must be saved first; 0 when I took its single mailbox target
 * itself, or failed (I stays pending with the reason). */
static int expand(struct sm *sm, struct queue_entry *q, size_t i)
{
	struct expand x = { &q->env, i, 0 };
	size_t before = q->env.n, k;
	char err[512] = "";
	int rc;

	rc = local_expand(&sm->cf, q->env.rcpt[i].addr, add_target, &x, err,
		sizeof err);
	/* The common case, a user's own mailbox and nothing else: the
	 * recipient itself gets the target and stays pending, with nothing
	 * to save first (two fsyncs less per message).  A crash before its
	 * result is recorded expands it again into the same one target. */
	if (rc == 0 && !x.failed && q->env.n == before + 1 &&
	    q->env.rcpt[before].state == QUEUE_PENDING &&
	    q->env.rcpt[before].target->kind == LOCAL_MAILBOX) {
		struct queue_rcpt *t = &q->env.rcpt[--q->env.n];

		q->env.rcpt[i].target = t->target;
		free(t->addr);
		free(t->orcpt);
		free(t->reason);
		return 0;
	}
	if (rc == 0 && !x.failed) {
		q->env.rcpt[i].state = QUEUE_EXPANDED;
		for (k = before; k < q->env.n; k++)
			if (q->env.rcpt[k].state == QUEUE_FAILED)
				log_msg(LOG_INFO, "%s: to=%s, stat=%s", q->id,
					q->env.rcpt[k].addr,
					q->env.rcpt[k].reason);
		return 1;
	}
	/* Forget a partial expansion: it was never saved. */
	while (q->env.n > before) {
		struct queue_rcpt *r = &q->env.rcpt[--q->env.n];

		free(r->addr);
		free(r->orcpt);
		free(r->reason);
		free(r->target);
	}
	if (x.failed && rc == 0) {
		rc = EX_TEMPFAIL;
		str_lcpy(err, "cannot record the expansion", sizeof err);
	}
	str_lcpy(q->env.rcpt[i].status, "4.3.0", sizeof q->env.rcpt[i].status);
	queue_set(&q->env.rcpt[i].reason, err[0] ? err : "temporary failure");
	log_msg(LOG_INFO, "%s: to=%s, stat=Deferred: %s", q->id,
		q->env.rcpt[i].addr, q->env.rcpt[i].reason);
	return 0;
}

/* --- after the attempts: DSNs, retry or removal ----------------------- */

static int wants(const struct queue_rcpt *r, unsigned bit)
{
	if (r->notify & QUEUE_NOTIFY_NEVER)
		return 0;
	if (!r->notify)		/* RFC 3461 4.1: default failure,delay */
		return bit != QUEUE_NOTIFY_SUCCESS;
	return (r->notify & bit) != 0;
}

/* Who gets a report about recipient I: its alias list's owner-, else
 * the envelope sender; a message from <> reports to the postmaster, a
 * report about a report to the postmaster once, then nobody. */
static const char *report_to(const struct queue_env *e, size_t i)
{
	const struct queue_rcpt *r = &e->rcpt[i];

	if (r->target && r->target->owner[0])
		return r->target->owner;
	if (e->kind == QUEUE_DSN2)
		return NULL;
	if (!e->sender[0] || e->kind == QUEUE_DSN)
		return "postmaster";
	return e->sender;
}

/* Sends the reports of kind WHAT about the recipients SEL picks, one per
 * addressee.  Returns -1 when one could not be queued. */
static int reports(struct sm *sm, struct queue_entry *q, enum sm_dsn what,
	int (*sel)(const struct queue_rcpt *r))
{
	struct queue_env *e = &q->env;
	size_t *idx = malloc((e->n ? e->n : 1) * sizeof *idx);
	char *done = calloc(e->n ? e->n : 1, 1);
	size_t i, k, n;
	int rc = 0;

	if (!idx || !done) {
		free(idx);
		free(done);
		return -1;
	}
	for (i = 0; i < e->n; i++) {
		const char *to;

		if (done[i] || !sel(&e->rcpt[i]))
			continue;
		to = report_to(e, i);
		n = 0;
		for (k = i; k < e->n; k++) {
			const char *t2;

			if (done[k] || !sel(&e->rcpt[k]))
				continue;
			t2 = report_to(e, k);
			if ((to && t2 && strcmp(to, t2) == 0) || (!to && !t2)) {
				idx[n++] = k;
				done[k] = 1;
			}
		}
		/* Nobody left to tell (a report about a report failed):
		 * set aside, never dropped (finish keeps the entry). */
		if (!to)
			continue;
		if (sm_dsn_queue(sm, q, what, to, idx, n) < 0) {
			rc = -1;
			continue;
		}
		/* Reported: never again. */
		for (k = 0; k < n; k++)
			if (what != SM_DSN_DELAYED)
				e->rcpt[idx[k]].dsn_sent = 1;
	}
	free(idx);
	free(done);
	return rc;
}

static int sel_failed(const struct queue_rcpt *r)
{
	return r->state == QUEUE_FAILED && !r->dsn_sent &&
		wants(r, QUEUE_NOTIFY_FAILURE);
}

static int sel_delivered(const struct queue_rcpt *r)
{
	return r->state == QUEUE_SENT && !r->dsn_sent &&
		wants(r, QUEUE_NOTIFY_SUCCESS);
}

static int sel_delayed(const struct queue_rcpt *r)
{
	return r->state == QUEUE_PENDING && wants(r, QUEUE_NOTIFY_DELAY);
}

/* The first recipient of Q set aside (queue_aside), or NULL. */
static const struct queue_rcpt *aside_rcpt(const struct queue_entry *q)
{
	size_t i;

	for (i = 0; i < q->env.n; i++)
		if (queue_aside(&q->env, &q->env.rcpt[i]))
			return &q->env.rcpt[i];
	return NULL;
}

/* A set-aside entry says so in the log at every queue run that sees
 * it. */
static void log_aside(const struct queue_entry *q)
{
	const struct queue_rcpt *r = aside_rcpt(q);

	if (r)
		log_msg(LOG_ERR, "%s: set aside: a report about a report to "
			"%s failed: %s; kept in the queue (mailq lists it) "
			"and tried again", q->id, q->env.rcpt[top_of(&q->env,
			(size_t)(r - q->env.rcpt))].addr, r->reason);
}

static int finish(struct sm *sm, struct queue_entry *q)
{
	struct queue_env *e = &q->env;
	const struct queue_rcpt *aside;
	time_t now = time(NULL);
	size_t i, pending = 0, unreported = 0;
	const char *last = NULL;
	char why[600];

	for (i = 0; i < e->n; i++)
		if (e->rcpt[i].state == QUEUE_PENDING) {
			pending++;
			last = e->rcpt[i].reason;
		}
	/* Timeout.queuereturn: what is still pending fails now (RFC 3463
	 * 4.4.7, delivery time expired). */
	if (pending && sm->queuereturn >= 0 &&
	    now - e->created >= sm->queuereturn) {
		long days = sm->queuereturn / 86400;

		for (i = 0; i < e->n; i++) {
			struct queue_rcpt *r = &e->rcpt[i];

			if (r->state != QUEUE_PENDING)
				continue;
			if (days > 0)
				snprintf(why, sizeof why, "Cannot send message "
					"for %ld day%s: %s", days, days == 1 ?
					"" : "s", r->reason);
			else
				snprintf(why, sizeof why, "Cannot send message "
					"within the queue lifetime: %s",
					r->reason);
			r->state = QUEUE_FAILED;
			str_lcpy(r->status, "4.4.7", sizeof r->status);
			queue_set(&r->reason, why);
			log_msg(LOG_INFO, "%s: to=%s, stat=%s", q->id, r->addr,
				why);
		}
		pending = 0;
	}
	/* Failures are reported always (to the postmaster for mail from
	 * <>); receipts and delay warnings only to a real sender. */
	if (reports(sm, q, SM_DSN_FAILED, sel_failed) < 0 ||
	    (e->sender[0] && e->kind == QUEUE_MAIL &&
	     reports(sm, q, SM_DSN_DELIVERED, sel_delivered) < 0))
		unreported = 1;
	if (pending && !e->warned && sm->queuewarn > 0 && e->sender[0] &&
	    e->kind == QUEUE_MAIL && now - e->created >= sm->queuewarn) {
		if (reports(sm, q, SM_DSN_DELAYED, sel_delayed) == 0)
			e->warned = 1;
	}
	/* Whatever failed, what was accepted is removed only once it is
	 * delivered or reported (README.md, "The mail flow"). */
	aside = aside_rcpt(q);
	if (!pending && !unreported && !aside) {
		if (queue_remove(q) < 0) {
			log_msg(LOG_ERR, "%s: cannot remove: %s", q->id,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	e->tries++;
	e->next = now + queue_backoff(e->tries);
	if (aside)
		snprintf(why, sizeof why, "Set aside: a report about a report "
			"to %s failed: %s", e->rcpt[top_of(e, (size_t)(aside -
			e->rcpt))].addr, aside->reason);
	else
		snprintf(why, sizeof why, "Deferred: %s", last ? last :
			"could not queue a delivery report");
	queue_set(&e->reason, why);
	if (aside)
		log_aside(q);
	if (queue_save(q) < 0)
		log_msg(LOG_ERR, "%s: cannot save the envelope: %s", q->id,
			strerror(errno));
	queue_unlock(q);
	return 0;
}

/* --- one entry ---------------------------------------------------------- */

/* Whether locked entry Q is to be worked on now (-q: always).  One set
 * aside that is not due says so in the log all the same. */
static int due(struct sm *sm, const struct queue_entry *q)
{
	if (sm->force || q->env.next <= time(NULL))
		return 1;
	log_aside(q);
	return 0;
}

int sm_run_entry(struct sm *sm, const char *id)
{
	struct queue_entry q;
	struct local_result *rres;
	char err[600], user[64];
	size_t i, n, nremote = 0, *remote;
	int expanded = 0;

	if (queue_lock(&q, sm->qdir, id, err, sizeof err) < 0) {
		if (errno == EAGAIN || errno == ENOENT)
			return 0;
		log_msg(LOG_ERR, "%s", err);
		return -1;
	}
	if (!due(sm, &q)) {
		queue_unlock(&q);
		return 0;
	}
	/* 0. What was set aside is tried again, as pending. */
	for (i = 0; i < q.env.n; i++)
		if (queue_aside(&q.env, &q.env.rcpt[i]))
			q.env.rcpt[i].state = QUEUE_PENDING;
	/* 1. Expand every local recipient, then save once (a long list
	 * would make saving after each one quadratic): no target is
	 * delivered before the expansion that made it is on disk. */
	n = q.env.n;
	for (i = 0; i < n; i++) {
		struct queue_rcpt *r = &q.env.rcpt[i];

		if (r->state == QUEUE_PENDING && !r->target &&
		    local_is_local(&sm->cf, r->addr, user, sizeof user))
			expanded += expand(sm, &q, i);
	}
	if (expanded && queue_save(&q) < 0) {
		log_msg(LOG_ERR, "%s: cannot save the envelope: %s", q.id,
			strerror(errno));
		queue_unlock(&q);
		return -1;
	}
	/* 2. Deliver the local targets, each recording its own result. */
	for (i = 0; i < q.env.n; i++) {
		struct queue_rcpt *r = &q.env.rcpt[i];

		if (r->state == QUEUE_PENDING && r->target &&
		    r->target->kind != LOCAL_REMOTE)
			deliver_target(sm, &q, i);
	}
	/* 3. The remote ones, all at once for the transport to group. */
	remote = malloc((q.env.n + 1) * sizeof *remote);
	rres = remote ? calloc(q.env.n + 1, sizeof *rres) : NULL;
	if (!remote || !rres) {
		free(remote);
		queue_unlock(&q);
		return -1;
	}
	for (i = 0; i < q.env.n; i++) {
		struct queue_rcpt *r = &q.env.rcpt[i];

		if (r->state == QUEUE_PENDING &&
		    ((r->target && r->target->kind == LOCAL_REMOTE) ||
		     (!r->target && !local_is_local(&sm->cf, r->addr, user,
			sizeof user))))
			remote[nremote++] = i;
	}
	/* smtpd's delivery agent delivers locally itself and hands a
	 * remote delivery (which may wait minutes on a host) to a process
	 * of its own: what is done is in the journal, the rest the new
	 * process takes up from the entry as a runner would. */
	if (nremote && sm->handoff) {
		free(remote);
		free(rres);
		queue_unlock(&q);
		sm->handoff(sm, id);
		return 0;
	}
	if (nremote) {
		sm->remote.deliver(sm, &q, remote, nremote, rres);
		/* The transport logs each line itself, with relay=.  A
		 * result is journaled at once, as a local one is: a runner
		 * killed before the envelope is saved must not send the
		 * message a second time. */
		for (i = 0; i < nremote; i++)
			record_result(sm, &q, remote[i], sm->remote.name,
				&rres[i], 0, 1);
	}
	free(remote);
	free(rres);
	return finish(sm, &q);
}

/* --- a burst of entries (smtpd's delivery agent) --------------------------- */

struct bitem {
	struct queue_entry q;
	struct note note;
	int jfd;		/* its journal, flocked for the delivery */
	struct local_msg msg;
	char rcpt[SM_MAX_ADDR + 80];
	int group;		/* index of the first item of its mailbox */
	int deferred;		/* its expansion failed: only finish() */
};

/* Whether entry Q (locked) is the common case: one recipient, local,
 * expanding to its own mailbox alone (expand's fast path): 1; 0 not;
 * -1 its expansion failed for now (pending with the reason: finish()
 * sets the retry, no second attempt now). */
static int batchable(struct sm *sm, struct queue_entry *q)
{
	struct queue_rcpt *r = &q->env.rcpt[0];
	char user[64];

	if (q->env.n != 1 || r->state != QUEUE_PENDING || r->target ||
	    !local_is_local(&sm->cf, r->addr, user, sizeof user))
		return 0;
	if (expand(sm, q, 0) != 0)
		return 0;	/* several targets: the usual way */
	if (!r->target)
		return r->state == QUEUE_PENDING ? -1 : 0;
	return q->env.n == 1 && r->target->kind == LOCAL_MAILBOX;
}

static int same_mailbox(const struct local_target *a,
	const struct local_target *b)
{
	return a->uid == b->uid && strcmp(a->user, b->user) == 0 &&
		strcmp(a->home, b->home) == 0;
}

int sm_run_batch(struct sm *sm, char (*ids)[QUEUE_ID_LEN + 1], size_t n)
{
	struct bitem *it = calloc(n ? n : 1, sizeof *it);
	char *other = calloc(n ? n : 1, 1);
	const struct local_msg **msgs = calloc(n ? n : 1, sizeof *msgs);
	struct local_result *res = calloc(n ? n : 1, sizeof *res);
	char err[600];
	size_t i, k, m;
	int rc = 0;

	if (!it || !other || !msgs || !res) {
		free(it);
		free(other);
		free(msgs);
		free(res);
		for (i = 0; i < n; i++)
			if (sm_run_entry(sm, ids[i]) < 0)
				rc = -1;
		return rc;
	}
	/* 1. lock; the common case stays locked for the batch, the rest
	 * (anything but one local mailbox) goes the usual way below */
	for (i = 0; i < n; i++) {
		it[i].q.fd = -1;
		if (queue_lock(&it[i].q, sm->qdir, ids[i], err,
		    sizeof err) < 0) {
			if (errno != EAGAIN && errno != ENOENT)
				log_msg(LOG_ERR, "%s", err);
			continue;
		}
		if (!due(sm, &it[i].q)) {
			queue_unlock(&it[i].q);
			continue;
		}
		if (aside_rcpt(&it[i].q)) {
			queue_unlock(&it[i].q);	/* sm_run_entry's job */
			other[i] = 1;
			continue;
		}
		switch (batchable(sm, &it[i].q)) {
		case 0:
			queue_unlock(&it[i].q);
			other[i] = 1;
			break;
		case -1:
			it[i].deferred = 1;
			break;
		}
	}
	/* 2. each mailbox's messages in one delivery: one lock, one fsync;
	 * each result journaled by the delivering process (note_result) */
	for (i = 0; i < n; i++) {
		struct bitem *b = &it[i];

		b->group = -1;
		if (b->q.fd < 0 || b->deferred)
			continue;
		b->group = (int)i;
		for (k = 0; k < i; k++)
			if (it[k].group >= 0 && same_mailbox(
			    it[k].q.env.rcpt[0].target, b->q.env.rcpt[0].target)) {
				b->group = it[k].group;
				break;
			}
	}
	for (i = 0; i < n; i++) {
		if (it[i].group != (int)i)
			continue;
		m = 0;
		for (k = i; k < n; k++) {
			struct bitem *b = &it[k];

			if (b->group != (int)i)
				continue;
			sm_qualify(sm, b->q.env.rcpt[0].addr, b->rcpt,
				sizeof b->rcpt);
			note_init(&b->note, sm, &b->q, 0);
			b->jfd = queue_journal_open(&b->q);
			if (b->jfd < 0 || flock(b->jfd, LOCK_EX) < 0) {
				/* left pending: tried again */
				if (b->jfd >= 0)
					close(b->jfd);
				b->jfd = -1;
				log_msg(LOG_ERR, "%s: journal: %s", b->q.id,
					strerror(errno));
				continue;
			}
			memset(&b->msg, 0, sizeof b->msg);
			b->msg.fd = b->q.fd;
			b->msg.sender = b->q.env.sender;
			b->msg.rcpt = b->rcpt;
			b->msg.qid = b->q.id;
			b->msg.arrived = b->q.env.created;
			b->msg.done = note_result;
			b->msg.done_arg = &b->note;
			b->msg.done_len = sizeof b->note;
			b->msg.done_fd = b->jfd;
			msgs[m++] = &b->msg;
			if (sm->verbose)
				printf("%s... Connecting to local...\n",
					b->q.env.rcpt[0].addr);
		}
		if (!m)
			continue;
		fflush(stdout);
		local_deliver_batch(&sm->cf, it[i].q.env.rcpt[0].target, msgs,
			m, res);
		/* the results back in the same order */
		m = 0;
		for (k = i; k < n; k++) {
			struct bitem *b = &it[k];

			if (b->group != (int)i || b->jfd < 0)
				continue;
			close(b->jfd);
			b->jfd = -1;
			record_result(sm, &b->q, 0, sm->local.name, &res[m],
				b->note.started, 0);
			m++;
		}
	}
	/* 3. done: removed, or saved for a retry; DSNs queued */
	for (i = 0; i < n; i++)
		if (it[i].q.fd >= 0 && finish(sm, &it[i].q) < 0)
			rc = -1;
	/* 4. the others, one by one */
	for (i = 0; i < n; i++)
		if (other[i] && sm_run_entry(sm, ids[i]) < 0)
			rc = -1;
	free(it);
	free(other);
	free(msgs);
	free(res);
	return rc;
}

static int selected(struct sm *sm, const char *id,
	const struct sm_select *sel)
{
	struct queue_env e;
	char err[256];
	int locked, hit = 0;
	size_t i;

	if (!sel || !sel->what)
		return 1;
	if (sel->what == 'I') {
		hit = strstr(id, sel->substr) != NULL;
		return hit != sel->negate;
	}
	queue_env_init(&e);
	if (queue_peek(sm->qdir, id, &e, &locked, err, sizeof err) < 0) {
		queue_env_free(&e);
		return 0;
	}
	if (sel->what == 'S') {
		hit = strcasestr(e.sender, sel->substr) != NULL;
	} else {
		for (i = 0; i < e.n && !hit; i++)
			hit = e.rcpt[i].state == QUEUE_PENDING &&
				strcasestr(e.rcpt[i].addr, sel->substr);
	}
	queue_env_free(&e);
	return hit != sel->negate;
}

void sm_run_reports(struct sm *sm)
{
	size_t i;

	/* A report about a report is queued while this loop runs: it is
	 * appended and reached too (at most two levels: QUEUE_DSN2 makes
	 * no more). */
	for (i = 0; i < sm->n_dsn; i++)
		sm_run_entry(sm, sm->dsn_ids[i]);
	sm->n_dsn = 0;
	sm_smtp_end(sm);
}

#define RUN_BATCH 64	/* entries locked at once by a queue run */

/* How long a data file without an envelope waits before a run removes it
 * (README, "The mail flow"): a session killed in DATA (or a crash) leaves
 * one, and its submitter's lock is gone with it; a live one still holds
 * the lock and stays anyway.  The bound is the longest a DATA can take
 * (Timeout.datablock, Timeout.datafinal, PostboxDataDeadline) plus a
 * quarter of an hour. */
static time_t orphan_age(const struct cf *cf)
{
	long t = cf->opt.to_datablock;

	if (cf->opt.to_datafinal > t)
		t = cf->opt.to_datafinal;
	if (cf->opt.data_deadline > t)
		t = cf->opt.data_deadline;
	return (time_t)t + 15 * 60;
}

int sm_run_queue(struct sm *sm, const struct sm_select *sel)
{
	char (*ids)[QUEUE_ID_LEN + 1];
	size_t n, i, k;
	int rc = 0;

	queue_clean(sm->qdir, time(NULL), orphan_age(&sm->cf));
	if (queue_list(sm->qdir, &ids, &n) < 0) {
		log_msg(LOG_ERR, "%s: %s", sm->qdir, strerror(errno));
		return -1;
	}
	/* in batches: a backlog for one mailbox costs an fsync per batch */
	for (i = 0, k = 0; i < n; i++) {
		if (!selected(sm, ids[i], sel))
			continue;
		if (k != i)
			memcpy(ids[k], ids[i], sizeof ids[k]);
		k++;
	}
	for (i = 0; i < k && !(sm->stop && *sm->stop); i += RUN_BATCH)
		if (sm_run_batch(sm, ids + i, k - i < RUN_BATCH ? k - i :
		    RUN_BATCH) < 0)
			rc = -1;
	sm_run_reports(sm);
	free(ids);
	/* Envelopes set aside as unreadable: said at every run. */
	if (queue_list_lost(sm->qdir, &ids, &n) == 0) {
		for (i = 0; i < n; i++)
			log_msg(LOG_ERR, "Qf%s: set aside: its envelope could "
				"not be read; the message is kept in %s/df%s "
				"(mailq lists it)", ids[i], sm->qdir, ids[i]);
		free(ids);
	}
	local_deliver_end();
	return rc;
}
