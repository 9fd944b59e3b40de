/*
 * mailq: lists the mail queue in sendmail 8's -bp format (sendmail -bp
 * runs this too), counts it (-bP), or prints one JSON object per entry
 * (-j, Postfix's "postqueue -j" field names, for monitoring).
 *
 *		/var/spool/mqueue (1 request)
 *   -----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient---
 *   (the column header goes on to "-----------", 79 characters)
 *   2AN6hXk0012345*     317 Mon Nov 23 10:41 <root@host.example>
 *                    (Deferred: Connection refused by [192.0.2.1])
 *   					 <user@example.com>
 *   		Total requests: 1
 *
 * '*' after the ID: a runner holds the entry.  An entry set aside (a
 * report about a report that could not be delivered: queue.h) is listed
 * with its reason "(Set aside: ...)" and the recipients it waits for.
 * An empty queue prints "/var/spool/mqueue is empty" and "Total
 * requests: 0", as sendmail 8.12 and later do ("Mail queue is empty" is
 * older sendmail's and Postfix's wording).  PrivacyOptions=restrictmailq
 * limits the listing to root and the queue folder's group, as in
 * sendmail.
 *
 * Left out: -v's priority column (postbox has no priorities), queue
 * groups, quarantine.
 */
//applet:mailq usr/bin keepgroup
//man:list the mail queue
//man:mailq prints the queue in sendmail's format (sendmail -bp), counts it,
//man:or prints one JSON object per entry.
//config:config MAILQ
//config:	bool "mailq: list the mail queue (sendmail -bp)"
//config:	default y
//usage:usage: mailq [-v] [-j] [-bP] [-C FILE] [-OQueueDirectory=DIR] [-qRsubstr|-qSsubstr|-qIsubstr]
//usage:
//usage:-j	one JSON object per entry (queue_id, arrival_time,
//usage:	message_size, sender, set_aside, recipients[address,
//usage:	delay_reason])
//usage:-bP	print the number of entries only
//usage:-C FILE	configuration (default /etc/mail/sendmail.cf)
//usage:-O QueueDirectory=DIR, -oQDIR	list another queue
//usage:-qRstr, -qSstr, -qIstr	only entries whose recipient, sender or
//usage:	ID contains str ("-q!R..." inverts)
#include "libmini.h"
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct mailq {
	const char *cf_path, *qdir;
	int json, count, verbose;
	char sel, *substr;
	int negate;
};

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int matches(const struct mailq *m, const char *id,
	const struct queue_env *e)
{
	size_t i;
	int hit = 0;

	if (!m->sel)
		return 1;
	if (m->sel == 'I')
		hit = strstr(id, m->substr) != NULL;
	else if (m->sel == 'S')
		hit = strstr(e->sender, m->substr) != NULL;
	else
		for (i = 0; i < e->n && !hit; i++)
			hit = e->rcpt[i].state == QUEUE_PENDING &&
				strstr(e->rcpt[i].addr, m->substr) != NULL;
	return hit != m->negate;
}

/* Whether recipient R is still to be delivered: pending, or set aside
 * (queue.h, queue_aside). */
static int waiting(const struct queue_env *e, const struct queue_rcpt *r)
{
	return r->state == QUEUE_PENDING || queue_aside(e, r);
}

static void print_json(const struct mailq *m, const struct queue_env *e,
	int locked)
{
	size_t i;
	int first = 1, aside = 0;

	printf("{\"queue_name\":");
	json_str(m->qdir);
	printf(",\"queue_id\":\"%s\",\"arrival_time\":%lld,"
		"\"message_size\":%lu,\"locked\":%s,\"attempts\":%u,"
		"\"next_attempt\":%lld,\"sender\":", e->id,
		(long long)e->created, e->size, locked ? "true" : "false",
		e->tries, (long long)e->next);
	json_str(e->sender);
	for (i = 0; i < e->n; i++)
		aside |= queue_aside(e, &e->rcpt[i]);
	printf(",\"set_aside\":%s,\"recipients\":[", aside ? "true" :
		"false");
	for (i = 0; i < e->n; i++) {
		const struct queue_rcpt *r = &e->rcpt[i];

		if (!waiting(e, r))
			continue;
		printf("%s{\"address\":", first ? "" : ",");
		json_str(r->addr);
		if (r->reason[0]) {
			printf(",\"delay_reason\":");
			json_str(r->reason);
		}
		if (r->status[0])
			printf(",\"status\":\"%s\"", r->status);
		putchar('}');
		first = 0;
	}
	printf("]}\n");
}

static void print_entry(const struct mailq *m, const struct queue_env *e,
	int locked)
{
	char when[32];
	size_t i;

	/* ctime's "Mon Nov 23 10:41", as sendmail prints %.16s of it. */
	{
		time_t t = e->created;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%a %b %e %H:%M", &tm);
	}
	printf("%14s%c%8lu %.16s <%s>", e->id, locked ? '*' : ' ', e->size,
		when, e->sender);
	if (e->reason[0] || e->body[0]) {
		char body[12];

		str_lcpy(body, e->body, sizeof body);
		for (i = 0; body[i]; i++)
			if (body[i] >= 'a' && body[i] <= 'z')
				body[i] -= 32;
		printf("\n    %10.10s", body);
		if (e->reason[0])
			printf("   (%.*s)", m->verbose ? 100 : 60, e->reason);
	}
	for (i = 0; i < e->n; i++)
		if (waiting(e, &e->rcpt[i]))
			printf("\n\t\t\t\t\t <%s>", e->rcpt[i].addr);
	putchar('\n');
}

/* Envelopes set aside as unreadable (queue.h: QfID), with their message
 * kept beside them for the administrator. */
static void print_lost(const struct mailq *m,
	char (*lost)[QUEUE_ID_LEN + 1], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("Qf%s (Set aside: the envelope could not be read; the "
			"message is %s/df%s)\n", lost[i], m->qdir, lost[i]);
}

/* PrivacyOptions=restrictmailq: root, or a member of the queue's group. */
static int may_list(const struct cf *cf, const char *qdir)
{
	struct stat st;
	gid_t groups[256];
	int n, i;

	if (!cf->opt.privacy || !strstr(cf->opt.privacy, "restrictmailq") ||
	    getuid() == 0)
		return 1;
	if (stat(qdir, &st) < 0)
		return 1;	/* the listing will say what is wrong */
	if (getgid() == st.st_gid)
		return 1;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == st.st_gid)
			return 1;
	return 0;
}

static void parse_args(struct mailq *m, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-j") == 0)
			m->json = 1;
		else if (strcmp(a, "-v") == 0)
			m->verbose = 1;
		else if (strcmp(a, "-bP") == 0)
			m->count = 1;
		else if (strcmp(a, "-bp") == 0 || strcmp(a, "-Ac") == 0 ||
			 strcmp(a, "-Am") == 0)
			;
		else if (strcmp(a, "-C") == 0 && i + 1 < argc)
			m->cf_path = argv[++i];
		else if (str_starts(a, "-C") && a[2])
			m->cf_path = a + 2;
		else if (str_starts(a, "-oQ") && a[3])
			m->qdir = a + 3;
		else if (strcmp(a, "-O") == 0 && i + 1 < argc &&
			 str_istarts(argv[i + 1], "QueueDirectory="))
			m->qdir = argv[++i] + 15;
		else if (str_istarts(a, "-OQueueDirectory=") && a[17])
			m->qdir = a + 17;
		else if (a[0] == '-' && (a[1] == 'O' || a[1] == 'o'))
			;	/* other options: accepted, as sendmail does */
		else if (str_starts(a, "-q")) {
			const char *v = a + 2;

			m->negate = *v == '!';
			if (m->negate)
				v++;
			if ((*v != 'R' && *v != 'S' && *v != 'I') || !v[1])
				applet_usage();
			m->sel = *v;
			m->substr = (char *)v + 1;
		} else
			applet_usage();
	}
}

/* A config the administrator did not install (root's, writable by
 * nobody else) or another queue folder gets none of the queue's group:
 * mailq -C would otherwise read a message file as its config. */
static void drop_group_if(const struct mailq *m)
{
	struct stat st;
	int safe = !m->cf_path || (stat(m->cf_path, &st) == 0 &&
		S_ISREG(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 022));

	if ((!safe || m->qdir) && getuid() != 0)
		xpriv_drop((uid_t)-1, getgid());
}

int mailq_main(int argc, char **argv)
{
	struct mailq m;
	struct cf cf;
	char err[600], (*ids)[QUEUE_ID_LEN + 1], (*lost)[QUEUE_ID_LEN + 1];
	size_t n, i, shown = 0, nlost;
	struct queue_env *envs;
	int *locked, r;

	memset(&m, 0, sizeof m);
	parse_args(&m, argc, argv);
	drop_group_if(&m);
	cf_init(&cf);
	r = cf_load(&cf, m.cf_path ? m.cf_path : CF_PATH, err, sizeof err);
	if (r == CF_EFCLASS) {
		/* sendmail -bp: its fileclass message, EX_OSERR */
		printf("%s\n", err);
		return EX_OSERR;
	}
	if (r < 0) {
		if (errno != ENOENT || m.cf_path)
			xdie(EX_CONFIG, "%s", err);
		cf_free(&cf);
		cf_init(&cf);
	}
	if (!m.qdir)
		m.qdir = cf.opt.queue_dir ? cf.opt.queue_dir : QUEUE_DIR;
	if (!may_list(&cf, m.qdir))
		xdie(EX_NOPERM, "510 You are not permitted to see the queue");
	if (queue_list(m.qdir, &ids, &n) < 0)
		xdie_errno(errno == ENOENT ? EX_OSFILE : EX_NOPERM, "%s",
			m.qdir);
	envs = xzalloc((n + 1) * sizeof *envs);
	locked = xzalloc((n + 1) * sizeof *locked);
	/* Read first, print after: the count heads the listing. */
	for (i = 0; i < n; i++) {
		queue_env_init(&envs[i]);
		if (queue_peek(m.qdir, ids[i], &envs[i], &locked[i], err,
				sizeof err) < 0 ||
		    !matches(&m, ids[i], &envs[i])) {
			queue_env_free(&envs[i]);
			envs[i].id[0] = 0;
			continue;
		}
		shown++;
	}
	/* envelopes set aside as unreadable (QfID): listed, not counted,
	 * as sendmail's -bp leaves its Qf files out of the count */
	if (m.sel || queue_list_lost(m.qdir, &lost, &nlost) < 0) {
		lost = NULL;
		nlost = 0;
	}
	if (m.count) {
		printf("%s: entries=%zu\n", m.qdir, shown);
	} else if (m.json) {
		for (i = 0; i < n; i++)
			if (envs[i].id[0])
				print_json(&m, &envs[i], locked[i]);
		for (i = 0; i < nlost; i++) {
			printf("{\"queue_name\":");
			json_str(m.qdir);
			printf(",\"queue_id\":\"%s\",\"set_aside\":true,"
				"\"bad_envelope\":true,\"recipients\":[]}\n",
				lost[i]);
		}
	} else if (!shown && !nlost) {
		printf("%s is empty\n\t\tTotal requests: 0\n", m.qdir);
	} else {
		printf("\t\t%s (%zu request%s)\n", m.qdir, shown,
			shown == 1 ? "" : "s");
		printf("-----Q-ID----- --Size-- -----Q-Time----- "
			"------------Sender/Recipient-----------\n");
		for (i = 0; i < n; i++)
			if (envs[i].id[0])
				print_entry(&m, &envs[i], locked[i]);
		print_lost(&m, lost, nlost);
		printf("\t\tTotal requests: %zu\n", shown);
	}
	for (i = 0; i < n; i++)
		queue_env_free(&envs[i]);
	free(envs);
	free(locked);
	free(ids);
	free(lost);
	cf_free(&cf);
	fflush(stdout);
	return EX_OK;
}
