/*
 * sendmail's own parts (applets/sendmail.c and the files of applets/sendmail/):
 * the state of one run, the address parser, the queue runner with its
 * transports, and the DSN writer.  Not a libmini module: only sendmail
 * uses these (smtpd will share the address parser when it needs it).
 */
#ifndef SENDMAIL_SENDMAIL_H
#define SENDMAIL_SENDMAIL_H
#include "libmini.h"
#include <signal.h>
#include <stdio.h>

#define SM_MAX_ADDR 320		/* RFC 5321 4.5.3.1: 64 + @ + 255 */

/* Queue-run selection: -qR, -qS, -qI substrings, "!" negates. */
struct sm_select {
	char what;			/* 'R', 'S', 'I' or 0 for all */
	int negate;
	const char *substr;
};

struct sm;

/* A transport delivers the message to recipients it is given and sets
 * each one's result.  local runs one target; remote gets every pending
 * non-local recipient of the entry at once, so the SMTP client (smtp.c)
 * groups them by destination. */
struct sm_transport {
	const char *name;		/* the log's mailer= */
	int (*deliver)(struct sm *sm, struct queue_entry *q,
		const size_t *idx, size_t n, struct local_result *res);
};

struct sm {
	struct cf cf;
	const char *qdir;
	char user[64];			/* the invoking user's login */
	uid_t uid;
	int verbose;			/* -v: transcript out, log err */
	int force;			/* a -q run ignores the retry times */
	long queuewarn, queuereturn;	/* Timeout.queue{warn,return} */
	struct sm_transport local, remote;
	struct smtp *smtp;		/* smtp.c's state for the run */
	/* Reports queued by this process, delivered before it ends. */
	char (*dsn_ids)[QUEUE_ID_LEN + 1];
	size_t n_dsn, cap_dsn;
	/* smtpd's delivery agent (-bQ): an entry with remote recipients is
	 * unlocked and given to this (a process of its own); NULL: the
	 * runner delivers them itself. */
	void (*handoff)(struct sm *sm, const char *id);
	/* Set by a signal handler: a queue run ends after the batch of
	 * entries at hand (NULL: never asked). */
	const volatile sig_atomic_t *stop;
};

/* --- addr.c --------------------------------------------------------- */
/* Calls FN with each address (addr-spec, display names and comments
 * dropped, "<>" as "") of the RFC 5322 address list S: "a@b, Name
 * <c@d>, group: e@f;".  0, or -1 with the reason in err; FN returning
 * -1 stops with -1. */
int sm_addr_list(const char *s, int (*fn)(void *ctx, const char *addr),
	void *ctx, char *err, size_t errmax);
/* Whether ADDR is a well-formed addr-spec or bare local part (RFC 5321
 * 4.1.2 syntax, UTF-8 allowed): 1, or 0 with the reason in err. */
int sm_addr_valid(const char *addr, char *err, size_t errmax);

/* --- runner.c --------------------------------------------------------- */
/* Sets up the transports (local, remote) and the timeouts from sm->cf. */
void sm_runner_init(struct sm *sm);
/* Works on entry ID once (locked; skipped when another runner holds it).
 * Returns 0, or -1 when the entry could not be worked on. */
int sm_run_entry(struct sm *sm, const char *id);
/* Works on the N entries IDS at once (smtpd's delivery agent, a queue
 * run): those for one local mailbox each are delivered per mailbox in one
 * process, one lock and one fsync for all (local_deliver_batch); the
 * others one by one (sm_run_entry).  Entries not due are skipped unless
 * sm->force.  0, or -1 when one could not be worked on. */
int sm_run_batch(struct sm *sm, char (*ids)[QUEUE_ID_LEN + 1], size_t n);
/* Works on the reports this process queued meanwhile (a bounce reaches
 * its reader now, not at the next queue run). */
void sm_run_reports(struct sm *sm);
/* One queue run over every entry matching SEL (may be NULL). */
int sm_run_queue(struct sm *sm, const struct sm_select *sel);
/* S seconds in sendmail's delay= form, [days+]HH:MM:SS, into dst. */
void sm_fmt_delay(long s, char *dst, size_t max);
/* The RFC 5322 date of T into dst. */
void sm_date(time_t t, char *dst, size_t max);
/* Qualifies ADDR with $j when it has no domain, into dst. */
void sm_qualify(const struct sm *sm, const char *addr, char *dst,
	size_t max);

/* --- smtp.c ---------------------------------------------------------- */
/* The remote transport (struct sm_transport's deliver): routes IDX[N]
 * by domain (mailertable, smart host, MX), delivers over SMTP, sets each
 * RES and logs each recipient's line (with relay= and verify=).  May keep
 * the connection open for the next message of the run. */
int sm_smtp_deliver(struct sm *sm, struct queue_entry *q, const size_t *idx,
	size_t n, struct local_result *res);
/* Ends the run's kept connection (QUIT) and frees the transport's state. */
void sm_smtp_end(struct sm *sm);

/* --- bt.c ------------------------------------------------------------ */
/* -bt: for each of the N addresses (or each stdin line when N is 0),
 * prints the map keys tried with their results and the decision. */
int sm_address_test(struct sm *sm, char **addrs, int n);
/* -bv for ADDR in another domain: where the runner takes it (mailertable,
 * smart host, MX: decide_remote), in sendmail's words.  0, or the exit
 * code (EX_TEMPFAIL, EX_UNAVAILABLE for a mailertable error: entry). */
int sm_verify_remote(struct sm *sm, const char *addr);

/* --- dsn.c ------------------------------------------------------------ */
enum sm_dsn { SM_DSN_FAILED, SM_DSN_DELAYED, SM_DSN_DELIVERED };
/* Queues an RFC 3464 report about recipients IDX (n of them) of entry Q
 * to TO (never ""); the report's envelope sender is <>.  Returns 0, or
 * -1 when it could not be queued (try again later). */
int sm_dsn_queue(struct sm *sm, struct queue_entry *q, enum sm_dsn what,
	const char *to, const size_t *idx, size_t n);

#endif
