/*
 * Delivery status notifications: RFC 3464 multipart/report messages
 * (RFC 6522) with report-type=delivery-status, status codes of RFC 3463,
 * the original message or its header per RET (RFC 3461 4.3), from <>
 * so that they never cause another report (RFC 5321 6.1), marked
 * Auto-Submitted (RFC 3834 5).  The human part reads like sendmail's.
 */
#include "sendmail.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DSN_MAX_RETURN (10UL << 20)	/* larger originals: header only */

static const char *subject_of(enum sm_dsn what)
{
	switch (what) {
	case SM_DSN_DELAYED:
		return "Warning: could not send message for past %s";
	case SM_DSN_DELIVERED:
		return "Return receipt";
	default:
		return "Returned mail: see transcript for details";
	}
}

/* "4 hours", "5 days": how sendmail words Timeout.queuewarn. */
static void fmt_period(long s, char *dst, size_t max)
{
	if (s % 86400 == 0 && s >= 86400)
		snprintf(dst, max, "%ld day%s", s / 86400,
			s == 86400 ? "" : "s");
	else if (s % 3600 == 0 && s >= 3600)
		snprintf(dst, max, "%ld hour%s", s / 3600,
			s == 3600 ? "" : "s");
	else
		snprintf(dst, max, "%ld minute%s", s / 60,
			s / 60 == 1 ? "" : "s");
}

/* Diagnostic-Code: an SMTP reply when the reason does not hold one. */
static void diagnostic(const struct queue_rcpt *r, char *dst, size_t max)
{
	const char *t = r->reason;
	int code = r->status[0] == '5' ? 550 : r->status[0] == '2' ? 250 : 450;

	if (strlen(t) > 4 && t[0] >= '2' && t[0] <= '5' && t[1] >= '0' &&
	    t[1] <= '9' && t[2] >= '0' && t[2] <= '9' && (t[3] == ' ' ||
	    t[3] == '-'))
		snprintf(dst, max, "smtp; %s", t);
	else
		snprintf(dst, max, "smtp; %d %s %s", code,
			r->status[0] ? r->status : "5.0.0", t);
}

/* Copies the data file (header only when HDRS) into OUT, by chunks. */
static int copy_original(int in, int out, int hdrs)
{
	char *chunk = malloc(65536);
	off_t off = 0;
	ssize_t n;
	int nl = 1, rc = 0;

	if (!chunk)
		return -1;
	while ((n = pread(in, chunk, 65536, off)) > 0) {
		size_t len = (size_t)n, i;

		if (hdrs) {
			/* Stop after the empty line that ends the header. */
			for (i = 0; i < len; i++) {
				if (chunk[i] == '\n' && nl) {
					len = i;
					n = -1;
					break;
				}
				nl = chunk[i] == '\n';
			}
		}
		if (file_write_all(out, chunk, len) < 0) {
			rc = -1;
			break;
		}
		if (n < 0)
			break;
		off += len;
	}
	if (n < 0 && !hdrs)
		rc = -1;
	free(chunk);
	return rc;
}

static int write_report(struct sm *sm, struct queue_entry *q,
	enum sm_dsn what, const char *to, const size_t *idx, size_t n,
	const char *newid, struct buf *b)
{
	const struct queue_env *e = &q->env;
	const char *j = cf_macro(&sm->cf, "j");
	char date[64], arrived[64], period[32], life[32];
	char addr[SM_MAX_ADDR + 80];
	char diag[700], subject[128], until[64];
	time_t now = time(NULL);
	size_t k;

	if (!j)
		j = "localhost";
	sm_date(now, date, sizeof date);
	sm_date(e->created, arrived, sizeof arrived);
	sm_date(e->created + sm->queuereturn, until, sizeof until);
	fmt_period(sm->queuewarn, period, sizeof period);
	fmt_period(sm->queuereturn, life, sizeof life);
	snprintf(subject, sizeof subject, subject_of(what), period);
	sm_qualify(sm, to, addr, sizeof addr);
	buf_printf(b, "Received: from localhost (localhost)\n"
		"\tby %s (postbox) id %s;\n\t%s\n", j, newid, date);
	buf_printf(b, "Date: %s\nFrom: Mail Delivery Subsystem "
		"<MAILER-DAEMON@%s>\nTo: <%s>\n", date, j, addr);
	buf_printf(b, "Message-Id: <%s.%lld@%s>\n", newid, (long long)now, j);
	buf_printf(b, "MIME-Version: 1.0\nContent-Type: multipart/report; "
		"report-type=delivery-status;\n\tboundary=\"%s.%lld/%s\"\n",
		newid, (long long)now, j);
	buf_printf(b, "Subject: %s\nAuto-Submitted: auto-replied "
		"(failure)\n\nThis is a MIME-encapsulated message\n\n",
		subject);
	/* Part 1: for people. */
	buf_printf(b, "--%s.%lld/%s\nContent-Type: text/plain; "
		"charset=us-ascii\n\n", newid, (long long)now, j);
	buf_printf(b, "The original message was received at %s\nfrom %s\n\n",
		arrived, e->sender[0] ? e->sender : "<>");
	if (what == SM_DSN_DELAYED)
		buf_printf(b, "   ----- Transcript of session follows -----\n"
			"Warning: message still undelivered after %s\n"
			"Will keep trying until message is %s old\n\n",
			period, life);
	buf_printf(b, "   ----- %s -----\n", what == SM_DSN_FAILED ?
		"The following addresses had permanent fatal errors" :
		what == SM_DSN_DELAYED ?
		"The following addresses had transient non-fatal errors" :
		"The following addresses were delivered");
	for (k = 0; k < n; k++) {
		const struct queue_rcpt *r = &e->rcpt[idx[k]];

		sm_qualify(sm, e->rcpt[idx[k]].parent >= 0 ?
			r->addr : r->addr, addr, sizeof addr);
		buf_printf(b, "<%s>\n", addr);
		if (r->reason[0])
			buf_printf(b, "    (reason: %s)\n", r->reason);
	}
	/* Part 2: RFC 3464 2.1-2.3, per-message then per-recipient. */
	buf_printf(b, "\n--%s.%lld/%s\nContent-Type: message/delivery-status"
		"\n\nReporting-MTA: dns; %s\n", newid, (long long)now, j, j);
	if (e->envid[0])
		buf_printf(b, "Original-Envelope-Id: %s\n", e->envid);
	buf_printf(b, "Arrival-Date: %s\n", arrived);
	for (k = 0; k < n; k++) {
		const struct queue_rcpt *r = &e->rcpt[idx[k]];
		size_t top = idx[k];

		while (e->rcpt[top].parent >= 0)
			top = (size_t)e->rcpt[top].parent;
		/* The address the sender knows: the one submitted. */
		sm_qualify(sm, e->rcpt[top].addr, addr, sizeof addr);
		buf_printf(b, "\n");
		if (r->orcpt[0])
			buf_printf(b, "Original-Recipient: %s\n", r->orcpt);
		buf_printf(b, "Final-Recipient: RFC822; %s\n", addr);
		buf_printf(b, "Action: %s\n", what == SM_DSN_FAILED ? "failed" :
			what == SM_DSN_DELAYED ? "delayed" : "delivered");
		buf_printf(b, "Status: %s\n", r->status[0] ? r->status :
			what == SM_DSN_DELIVERED ? "2.0.0" :
			what == SM_DSN_DELAYED ? "4.0.0" : "5.0.0");
		if (r->reason[0] && what != SM_DSN_DELIVERED) {
			diagnostic(r, diag, sizeof diag);
			buf_printf(b, "Diagnostic-Code: %s\n", diag);
		}
		buf_printf(b, "Last-Attempt-Date: %s\n", date);
		if (what == SM_DSN_DELAYED)
			buf_printf(b, "Will-Retry-Until: %s\n", until);
	}
	/* Part 3: the original, or its header (RET=HDRS, or too big). */
	buf_printf(b, "\n--%s.%lld/%s\nContent-Type: %s\n\n", newid,
		(long long)now, j, strcmp(e->ret, "hdrs") == 0 ||
		e->size > DSN_MAX_RETURN ? "text/rfc822-headers" :
		"message/rfc822");
	if (b->len == b->max) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

int sm_dsn_queue(struct sm *sm, struct queue_entry *q, enum sm_dsn what,
	const char *to, const size_t *idx, size_t n)
{
	const struct queue_env *e = &q->env;
	const char *j = cf_macro(&sm->cf, "j");
	struct buf b = BUF_INIT(1UL << 24);
	struct queue_new nq;
	struct queue_env ne;
	int hdrs = strcmp(e->ret, "hdrs") == 0 || e->size > DSN_MAX_RETURN;
	char tail[256];

	if (!j)
		j = "localhost";
	if (queue_open(&nq, sm->qdir) < 0)
		return -1;
	queue_env_init(&ne);
	ne.created = ne.next = time(NULL);
	ne.kind = e->kind == QUEUE_MAIL && e->sender[0] ? QUEUE_DSN :
		QUEUE_DSN2;
	if (write_report(sm, q, what, to, idx, n, nq.id, &b) < 0 ||
	    file_write_all(nq.fd, b.p, b.len) < 0 ||
	    copy_original(q->fd, nq.fd, hdrs) < 0)
		goto fail;
	snprintf(tail, sizeof tail, "\n--%s.%lld/%s--\n", nq.id,
		(long long)ne.created, j);
	if (file_write_all(nq.fd, tail, strlen(tail)) < 0 ||
	    queue_set(&ne.sender, "") < 0 || queue_set(&ne.envid, "") < 0 ||
	    queue_set(&ne.msgid, "") < 0 || queue_set(&ne.reason, "") < 0 ||
	    !queue_env_add(&ne, to, -1))
		goto fail;
	if (queue_commit(&nq, &ne) < 0) {
		queue_env_free(&ne);
		buf_free(&b);
		return -1;
	}
	if (sm->n_dsn == sm->cap_dsn) {
		size_t cap = sm->cap_dsn ? sm->cap_dsn * 2 : 8;
		void *p = realloc(sm->dsn_ids, cap * sizeof *sm->dsn_ids);

		if (p) {
			sm->dsn_ids = p;
			sm->cap_dsn = cap;
		}
	}
	if (sm->n_dsn < sm->cap_dsn)
		str_lcpy(sm->dsn_ids[sm->n_dsn++], nq.id, QUEUE_ID_LEN + 1);
	/* sendmail's line: "QID: NEWQID: DSN: the first reason". */
	log_msg(LOG_INFO, "%s: %s: %s: %s", e->id, nq.id,
		what == SM_DSN_DELIVERED ? "return receipt" : "DSN",
		e->rcpt[idx[0]].reason[0] ? e->rcpt[idx[0]].reason :
		"Return receipt");
	queue_env_free(&ne);
	buf_free(&b);
	return 0;
fail:
	queue_abort(&nq);
	queue_env_free(&ne);
	buf_free(&b);
	return -1;
}
