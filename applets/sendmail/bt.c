/*
 * sendmail -bt: address test mode.  postbox has no rewriting rules, so
 * instead of rulesets it shows what decides an address, by running the
 * decision smtpd runs (libmini/decide.c) with a trace: every key tried in
 * the access map (To: tag first, as sendmail's check_rcpt does), the
 * virtusertable, the aliases, the virtual users and the mailertable,
 * each with its result; then smtpd's answer to RCPT from a remote client
 * without relay rights; then the decision (where delivery takes it, the
 * -bv answer).  Input: addresses as arguments, or lines on stdin in
 * sendmail's "3,0 address" form (the last word is the address);
 * "/map NAME KEY" looks one key up.
 */
#include "sendmail.h"
#include "decide.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* decide's trace: "label  key  value" or "(not found)". */
static void bt_trace(void *ctx, const char *map, const char *key, int rc,
	const char *value)
{
	(void)ctx;
	printf("%-11s %-36s %s\n", map, key, rc > 0 ? value : rc < 0 ?
		value : "(not found)");
}

/* Says why a map is not used: "(no K line: not used)" or its error. */
static void bt_state(const char *label, const struct decide_map *dm)
{
	if (dm->state == 1)
		return;
	printf("%-11s %s\n", label, dm->err ? dm->err :
		"(no K line: not used)");
}

static int bt_print_target(void *ctx, const struct local_target *t)
{
	const char *a = ctx;

	switch (t->kind) {
	case LOCAL_MAILBOX:
		printf("decision    %s: mailer local, user %s\n", a, t->user);
		break;
	case LOCAL_FILE:
		printf("decision    %s: mailer *file*, file %s\n", a, t->path);
		break;
	case LOCAL_PROGRAM:
		printf("decision    %s: mailer prog, program \"|%s\"\n", a,
			t->path);
		break;
	case LOCAL_REMOTE:
		printf("decision    %s: remote %s\n", a, t->path);
		break;
	default:
		printf("decision    %s: error %s %s\n", a, t->status, t->text);
	}
	return 0;
}

/* The reply without its "<addr>... " part: "550 5.7.1 Access denied". */
static void bt_reply(const char *reply, char *dst, size_t max)
{
	const char *lt = strstr(reply, " <"), *dots;

	if (lt && (dots = strstr(lt, ">... ")) != NULL)
		snprintf(dst, max, "%.*s %s", (int)(lt - reply), reply,
			dots + 5);
	else
		str_lcpy(dst, reply, max);
}

static void bt_address(struct sm *sm, struct decide *d, const char *in)
{
	char addr[DECIDE_ADDR_MAX], val[1024], err[300], *dom;
	struct decide_rcpt *r = xzalloc(sizeof *r);
	const char *to;
	int rc, via;

	printf("> %s\n", in);
	if (!sm_addr_valid(in, err, sizeof err) ||
	    str_lcpy(addr, in, sizeof addr) >= sizeof addr) {
		printf("decision    %s: %s (553 5.1.3)\n", in, err);
		free(r);
		return;
	}
	/* as smtpd normalises it: the domain in lower case, no final dot */
	if ((dom = strrchr(addr, '@')) != NULL) {
		size_t n;

		str_lower(++dom);
		n = strlen(dom);
		if (n > 1 && dom[n - 1] == '.')
			dom[n - 1] = 0;
	}
	rc = decide_rcpt(d, addr, r);
	printf("%-11s %s: %s (to a remote client without relay rights)\n",
		"rcpt", addr, rc < 0 ? r->reply : r->relay ?
		"250 2.1.5 Recipient ok (relayed)" : "250 2.1.5 Recipient ok");
	if (rc < 0 && !r->relay_denied) {
		bt_reply(r->reply, val, sizeof val);
		printf("decision    %s: %s: %s\n", addr, r->reply[0] == '4' ?
			"deferred" : "rejected", val);
		free(r);
		return;
	}
	if (r->discard) {
		printf("decision    %s: discarded\n", addr);
		free(r);
		return;
	}
	/* where delivery takes it: the local expansion, or the route the
	 * SMTP client takes (a relaying client's mail too) */
	to = r->addr;
	if (r->user[0]) {
		char u[80];

		/* mailertable's local:user names the user, not the domain */
		if (!decide_is_local(d, to, u, sizeof u))
			to = r->user;
		if (local_expand(&sm->cf, to, bt_print_target, (void *)addr,
				err, sizeof err) != 0)
			printf("decision    %s: deferred: %s\n", addr, err);
		free(r);
		return;
	}
	dom = strrchr(to, '@');
	if (!dom) {
		printf("decision    %s: deferred: no domain\n", addr);
		free(r);
		return;
	}
	dom++;
	/* decide_rcpt has shown the mailertable keys of this domain */
	if (strcmp(to, addr) == 0)
		d->trace = NULL;
	via = decide_remote(d, dom, val, sizeof val);
	d->trace = bt_trace;
	if (via < 0)
		printf("decision    %s: deferred: mailertable lookup failed\n",
			addr);
	else if (via == DECIDE_VIA_MAILERTABLE)
		printf("decision    %s: via %s\n", addr, val);
	else if (via == DECIDE_VIA_SMARTHOST)
		printf("decision    %s: mailer relay, host %s (smart host)\n",
			addr, val);
	else
		printf("decision    %s: mailer esmtp, host %s (MX lookup)\n",
			addr, val);
	free(r);
}

int sm_verify_remote(struct sm *sm, const char *addr)
{
	const char *dom = strrchr(addr, '@');
	char val[1024], *colon;
	struct decide d;
	int via, rc = 0;

	memset(&d, 0, sizeof d);
	d.cf = &sm->cf;
	d.local_ip = "";
	decide_map_open(&d.mailertable, &sm->cf, "mailertable");
	via = dom ? decide_remote(&d, dom + 1, val, sizeof val) : -1;
	if (via < 0) {
		printf("%s... Deferred: %s\n", addr, d.mailertable.err ?
			d.mailertable.err : "mailertable lookup failed");
		rc = EX_TEMPFAIL;
	} else if (via == DECIDE_VIA_MX) {
		printf("%s... deliverable: mailer esmtp, host %s, user %s\n",
			addr, val, addr);
	} else if (via == DECIDE_VIA_MAILERTABLE &&
	    str_istarts(val, "error:")) {
		/* error:D.S.N:### text, as the runner bounces it */
		const char *t = val + 6, *c;

		if ((c = strchr(t, ':')) && t[0] >= '4' && t[0] <= '5' &&
		    t[1] == '.')
			t = c + 1;
		printf("%s... %s\n", addr, t);
		rc = t[0] == '4' ? EX_TEMPFAIL : EX_UNAVAILABLE;
	} else {
		/* "esmtp:[host]": the mailer, then the hosts */
		colon = strchr(val, ':');
		if (colon && colon != val && !strchr("[", val[0]) &&
		    strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789") ==
		    (size_t)(colon - val)) {
			*colon = 0;
			printf("%s... deliverable: mailer %s, host %s, user "
				"%s\n", addr, val, colon + 1, addr);
		} else {
			printf("%s... deliverable: mailer %s, host %s, user "
				"%s\n", addr, via == DECIDE_VIA_SMARTHOST ?
				"relay" : "esmtp", val, addr);
		}
	}
	decide_map_close(&d.mailertable);
	return rc;
}

/* "/map NAME KEY": one key in one of the maps.  The two words are cut
 * in place (no sscanf: it would link musl's floating-point scanner). */
static void bt_map(struct decide *d, char *args)
{
	char val[MAP_VALUE_MAX], *name, *key;
	struct decide_map *dm = NULL;

	name = args + strspn(args, " \t");
	key = name + strcspn(name, " \t");
	if (*key)
		*key++ = 0;
	key += strspn(key, " \t");
	key[strcspn(key, " \t")] = 0;
	if (!*name || !*key) {
		printf("usage: /map NAME KEY\n");
		return;
	}
	if (strcmp(name, "access") == 0)
		dm = &d->access;
	else if (strcmp(name, "virtuser") == 0)
		dm = &d->virtuser;
	else if (strcmp(name, "mailertable") == 0)
		dm = &d->mailertable;
	else if (strcmp(name, "aliases") == 0 && d->n_aliases)
		dm = &d->aliases[0];
	if (!dm)
		printf("no map %s\n", name);
	else
		decide_lookup(d, dm, key, val, sizeof val);
}

int sm_address_test(struct sm *sm, char **addrs, int n)
{
	struct decide d;
	char line[2048];
	size_t k;
	int i;

	printf("ADDRESS TEST MODE (postbox: maps and decisions, no "
		"rulesets)\n");
	if (decide_open(&d, &sm->cf) < 0)
		xdie(EX_OSERR, "out of memory");
	/* the virtual users, as smtpd reads them at a session's start */
	if (sm->cf.opt.virtual_users && *sm->cf.opt.virtual_users &&
	    file_read_all(sm->cf.opt.virtual_users, VUSERS_MAX_FILE,
			(char **)&d.vusers, &d.vusers_len) < 0) {
		printf("%-11s %s: %s\n", "vusers", sm->cf.opt.virtual_users,
			strerror(errno));
		d.vusers_err = 1;
	}
	d.trace = bt_trace;
	bt_state("access", &d.access);
	bt_state("virtuser", &d.virtuser);
	for (k = 0; k < d.n_aliases; k++)
		bt_state("aliases", &d.aliases[k]);
	bt_state("mailertable", &d.mailertable);
	if (n) {
		for (i = 0; i < n; i++)
			bt_address(sm, &d, addrs[i]);
	} else {
		printf("Enter <ruleset> <address> or /map NAME KEY\n");
		while (fgets(line, sizeof line, stdin)) {
			char *w = str_trim(line), *last;

			if (!*w || *w == '#')
				continue;
			if (str_starts(w, "/map ")) {
				bt_map(&d, w + 5);
				continue;
			}
			last = strrchr(w, ' ');
			bt_address(sm, &d, last ? last + 1 : w);
		}
	}
	free((char *)d.vusers);
	decide_close(&d);
	fflush(stdout);
	return EX_OK;
}
