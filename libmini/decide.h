/*
 * decide: what happens to a recipient, decided in one place (README
 * "smtpd" and "The mail flow"): smtpd's RCPT, sendmail -bt and -bv, and the
 * SMTP client's routing call these functions, so the trace that -bt
 * prints is the server's decision by construction.
 *
 * The rules, in sendmail's order (cf/m4/proto.m4 8.17's check_rcpt):
 *  1. the access map's To: entries (decide_access: map_access's search
 *     plus the tutorials' "@domain" keys); REJECT and ERROR: refuse,
 *     DISCARD accepts and drops; a value that does not parse (a typo in
 *     REJECT) is a temporary failure with a log line naming the map file
 *     and the key, never "no match";
 *  2. routing through the local part (%-hack, bang paths, a quoted '@')
 *     is never honoured;
 *  3. virtusertable for class w and {VirtHost} domains (user@domain,
 *     then @domain with %1; error: entries refuse);
 *  4. local domains: the user must exist (postmaster, an alias of any
 *     AliasFile, a virtual user, an account); aliases written but not
 *     built and a broken virtual-user file are temporary, as delivery
 *     defers them;
 *  5. mailertable: error: refuses, local:user makes it local;
 *  6. else relaying: authenticated, Connect: RELAY or loopback, class R,
 *     a To:domain RELAY entry; else 550 5.7.1 Relaying denied.
 * Every lookup is reported through the trace callback when one is set.
 *
 * Ownership: struct decide is the caller's (a session struct, a stack
 * frame); decide_open allocates the alias maps, decide_close frees them.
 */
#ifndef LIBMINI_DECIDE_H
#define LIBMINI_DECIDE_H
#include <stddef.h>
#include "map.h"
#include "cf.h"

#define DECIDE_ADDR_MAX	320	/* an address (RFC 5321 4.5.3.1) */
#define DECIDE_REPLY_MAX 600	/* an SMTP reply line */

struct decide_map {		/* one map the decisions may consult */
	struct map m;
	int state;		/* 0 none, 1 open, -1 failed (try later) */
	const char *label;	/* "access", "aliases", ...: traces, logs */
	char *path;		/* the cdb file (malloc'ed), NULL none */
	char *err;		/* why it is not open (malloc'ed), NULL */
};

/* Called for every key tried: MAP the label, RC 1 found (VALUE), 0 not
 * found, -1 the lookup failed (VALUE the reason). */
typedef void (*decide_trace_fn)(void *ctx, const char *map, const char *key,
	int rc, const char *value);

struct decide {
	const struct cf *cf;
	struct decide_map access, virtuser, mailertable;
	struct decide_map *aliases;	/* one per AliasFile, n_aliases */
	size_t n_aliases;
	/* who asks: smtpd sets these for its client; sendmail -bt leaves
	 * them 0 (a remote client without relay rights) */
	int client_relay;		/* Connect: RELAY, loopback */
	int auth_relay;			/* authenticated, may relay */
	const char *local_ip;		/* our side's address ("" none):
					   "user@[that address]" is ours */
	/* PostboxVirtualUsers: read whole at the start (smtpd reads it as
	 * root); vusers_err when it could not be read */
	const char *vusers;
	size_t vusers_len;
	int vusers_err;
	decide_trace_fn trace;		/* NULL: no trace */
	void *trace_ctx;
};

/* Opens the map of K line NAME through map_spec_k (map.h): state 1 open;
 * 0 with err NULL when there is no K line, with err set when the file is
 * missing and the line has -o (or the type has no cdb file); -1 with err
 * when it is missing without -o, or broken.  Never logs. */
void decide_map_open(struct decide_map *dm, const struct cf *cf,
	const char *name);
/* Opens AliasFile SPEC as map_alias_open: 0 none (no aliases written),
 * -1 written but not built ("run newaliases" in err) or broken. */
void decide_alias_open(struct decide_map *dm, const char *spec);
void decide_map_close(struct decide_map *dm);
/* KEY in DM with the K line's -m/-a, untraced: 1 with val, 0 none, -1
 * failed (also for state -1). */
int decide_map_get(struct decide_map *dm, const char *key, char *val,
	size_t max);

/* TAG:ip, TAG:ip-prefix ..., then TAG: alone in DM (an access map):
 * sendmail's tagged-only walk for ClientConn: and GreetPause:
 * (FEATURE(conncontrol), FEATURE(greet_pause)); IPv6 addresses as
 * "TAG:IPv6:...".  1 with the value in VAL, 0 none, -1 error. */
int decide_tagged_ip(struct decide_map *dm, const char *tag, const char *ip,
	char *val, size_t max);
/* A listener's per-address cap (README "smtpd", "pop3d and the
 * mailboxes"): the ClientConn: value for IP in ACCESS, the K line
 * "access" of CF, read again first when makemap has rebuilt it since (a
 * failure logged); 0 when none or not a number. */
unsigned decide_client_conn(struct decide_map *access, const struct cf *cf,
	const char *ip);

/* Zeroes D and opens access, virtuser, mailertable and every AliasFile
 * of CF; the PostboxVirtualUsers file is the caller's to read (it may
 * need root).  0, or -1 with ENOMEM.  Failed maps make the decisions
 * that need them temporary. */
int decide_open(struct decide *d, const struct cf *cf);
void decide_close(struct decide *d);

/* KEY in DM, traced. */
int decide_lookup(struct decide *d, struct decide_map *dm, const char *key,
	char *val, size_t max);

/* The access action for TAG:VALUE in d->access (KIND as map_access):
 * 1 with A (and the key that matched in matched, MAP_KEY_MAX bytes, may
 * be NULL), 0 none or SKIP, -1 try later (the map failed, or a value
 * that does not parse: logged with the map file and the key). */
int decide_access(struct decide *d, const char *tag, int kind,
	const char *value, struct map_action *a, char *matched);
/* The SMTP reply for a refusing access action; WHAT the address ("" for
 * a connection). */
void decide_action_reply(const struct map_action *a, const char *what,
	char *dst, size_t max);

/* Whether ADDR is in one of our domains (local_is_local, or our own
 * address literal); its user part into user.  1 yes, 0 no. */
int decide_is_local(struct decide *d, const char *addr, char *user,
	size_t max);
/* Whether USER (or USER without its +detail) receives mail here:
 * postmaster (RFC 5321 4.5.1), an alias, a virtual user, an account.
 * 1, 0, -1 cannot tell now. */
int decide_user_exists(struct decide *d, const char *user);

struct decide_rcpt {
	char addr[DECIDE_ADDR_MAX];	/* to queue (after virtusertable) */
	char user[80];			/* the local user, "" not local */
	char reply[DECIDE_REPLY_MAX];	/* the refusal, "" accepted */
	int discard;			/* accepted, to be dropped */
	int relay;			/* accepted only as a relay */
	int relay_denied;		/* refused: relaying denied */
};
/* The RCPT decision for ADDR (normalised: domain in lower case, no
 * trailing dot).  0 accepted (out filled), or -1 refused with the reply
 * ("550 ...", "451 4.3.0 ... try again later") in out->reply. */
int decide_rcpt(struct decide *d, const char *addr, struct decide_rcpt *out);

/* mailertable for DOMAIN: the domain, then ".parent" keys, then ".".
 * 1 with the entry in val, 0 none, -1 try later. */
int decide_mailertable(struct decide *d, const char *domain, char *val,
	size_t max);
/* Where mail for a remote DOMAIN goes (the SMTP client's order):
 * DECIDE_VIA_MAILERTABLE with the entry in val, DECIDE_VIA_SMARTHOST with
 * DS expanded in val ("" when it does not expand), DECIDE_VIA_MX (val:
 * the domain); -1 when mailertable cannot be read now. */
#define DECIDE_VIA_MAILERTABLE	1
#define DECIDE_VIA_SMARTHOST	2
#define DECIDE_VIA_MX		3
int decide_remote(struct decide *d, const char *domain, char *val,
	size_t max);

#endif
