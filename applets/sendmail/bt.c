/*
 * sendmail -bt: address test mode.  postbox has no rewriting rules, so
 * instead of rulesets it shows what decides an address: every key tried
 * in the access map (To: tag first, as sendmail's check_rcpt does), the
 * virtusertable, the aliases and the mailertable, each with its result,
 * then the final decision (the -bv answer).  Input: addresses as
 * arguments, or lines on stdin in sendmail's "3,0 address" form (the
 * last word is the address); "/map NAME KEY" looks one key up.
 */
#include "sendmail.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

struct bt_map {
	const char *label;
	struct map m;
	int open;
};

/* Opens the map declared by K line NAME (sendmail adds ".db" to hash
 * and btree paths); prints why it is unavailable. */
static void bt_open(const struct cf *cf, const char *name, struct bt_map *b,
	const char *fallback)
{
	const struct cf_map *k = cf_map(cf, name);
	char path[1100], err[600];
	const char *p = k ? k->path : fallback;

	b->label = name;
	b->open = 0;
	if (!p) {
		printf("%-11s (no K line: not used)\n", name);
		return;
	}
	snprintf(path, sizeof path, "%s%s", p, str_ends(p, ".db") ||
		(k && k->type && strcmp(k->type, "cdb") == 0 &&
		 str_ends(p, ".cdb")) ? "" : ".db");
	if (map_open(&b->m, path, 0, err, sizeof err) < 0) {
		printf("%-11s %s\n", name, err);
		return;
	}
	b->open = 1;
}

/* One lookup, printed: "label  key  value" or "(not found)". */
static int bt_try(struct bt_map *b, const char *key, char *val, size_t max)
{
	int rc;

	if (!b->open)
		return 0;
	rc = map_lookup(&b->m, key, val, max);
	if (rc > 0)
		printf("%-11s %-36s %s\n", b->label, key, val);
	else
		printf("%-11s %-36s %s\n", b->label, key, rc < 0 ?
			strerror(errno) : "(not found)");
	return rc > 0;
}

/* The access lookups; on a hit, the value is left in val. */
static int bt_access(struct bt_map *b, const char *addr, char *val,
	size_t max)
{
	char key[SM_MAX_ADDR + 16], user[SM_MAX_ADDR];
	const char *at = strrchr(addr, '@'), *d;
	static const char *const tags[] = { "To:", "" };
	int t;

	if (!b->open)
		return 0;
	/* The full address, "user@", then the domain and its parents; at
	 * each step the tagged key before the bare one. */
	for (t = 0; t < 2; t++) {
		snprintf(key, sizeof key, "%s%s", tags[t], addr);
		if (bt_try(b, key, val, max))
			return 1;
	}
	if (!at)
		return 0;
	snprintf(user, sizeof user, "%.*s@", (int)(at - addr + 0), addr);
	for (t = 0; t < 2; t++) {
		snprintf(key, sizeof key, "%s%s", tags[t], user);
		if (bt_try(b, key, val, max))
			return 1;
	}
	for (d = at + 1; d && *d; d = strchr(d, '.') ? strchr(d, '.') + 1 :
	     NULL) {
		for (t = 0; t < 2; t++) {
			snprintf(key, sizeof key, "%s%s", tags[t], d);
			if (bt_try(b, key, val, max))
				return 1;
		}
	}
	return 0;
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

static void bt_address(struct sm *sm, struct bt_map *maps, const char *addr)
{
	char user[128], val[1024], key[SM_MAX_ADDR + 8], err[300];
	const char *at = strrchr(addr, '@'), *d;

	printf("> %s\n", addr);
	if (!sm_addr_valid(addr, err, sizeof err)) {
		printf("decision    %s: %s (553 5.1.3)\n", addr, err);
		return;
	}
	if (bt_access(&maps[0], addr, val, sizeof val)) {
		struct map_action act;

		if (map_action_parse(val, &act) < 0) {
			printf("decision    %s: access value not understood\n",
				addr);
		} else if (act.act == MAP_ACT_REJECT ||
			   act.act == MAP_ACT_ERROR) {
			printf("decision    %s: rejected: %u %s %s\n", addr,
				act.code, act.dsn[0] ? act.dsn : "5.7.1",
				act.text[0] ? act.text : "Access denied");
			return;
		} else if (act.act == MAP_ACT_DISCARD) {
			printf("decision    %s: discarded\n", addr);
			return;
		}
	}
	if (at) {
		/* virtusertable: user@domain, then the catch-all @domain. */
		if (!bt_try(&maps[1], addr, val, sizeof val)) {
			snprintf(key, sizeof key, "%s", at);
			bt_try(&maps[1], key, val, sizeof val);
		}
	}
	if (local_is_local(&sm->cf, addr, user, sizeof user)) {
		str_lower(user);
		bt_try(&maps[2], user, val, sizeof val);
		if (local_expand(&sm->cf, addr, bt_print_target, (void *)addr,
				err, sizeof err) != 0)
			printf("decision    %s: deferred: %s\n", addr, err);
		return;
	}
	/* mailertable: the domain, then ".parent" ones, then ".". */
	for (d = at + 1; d; d = strchr(d + 1, '.')) {
		if (bt_try(&maps[3], d, val, sizeof val)) {
			printf("decision    %s: via %s\n", addr, val);
			return;
		}
		if (!*d || !strchr(d + 1, '.'))
			break;
	}
	if (maps[3].open)
		bt_try(&maps[3], ".", val, sizeof val);
	/* What smtp.c does next: the smart host, else the MX lookup. */
	if (cf_macro(&sm->cf, "S") && *cf_macro(&sm->cf, "S"))
		printf("decision    %s: mailer relay, host %s (smart host)\n",
			addr, cf_macro(&sm->cf, "S"));
	else
		printf("decision    %s: mailer esmtp, host %s (MX lookup)\n",
			addr, at + 1);
}

int sm_address_test(struct sm *sm, char **addrs, int n)
{
	struct bt_map maps[4];
	char line[2048];
	const char *alias = sm->cf.opt.alias_files.n ?
		sm->cf.opt.alias_files.v[0] : "/etc/mail/aliases";
	int i;

	printf("ADDRESS TEST MODE (postbox: maps and decisions, no "
		"rulesets)\n");
	bt_open(&sm->cf, "access", &maps[0], NULL);
	bt_open(&sm->cf, "virtuser", &maps[1], NULL);
	bt_open(&sm->cf, "aliases", &maps[2], alias);
	bt_open(&sm->cf, "mailertable", &maps[3], NULL);
	if (n) {
		for (i = 0; i < n; i++)
			bt_address(sm, maps, addrs[i]);
	} else {
		printf("Enter <ruleset> <address> or /map NAME KEY\n");
		while (fgets(line, sizeof line, stdin)) {
			char *w = str_trim(line), *last;

			if (!*w || *w == '#')
				continue;
			if (str_starts(w, "/map ")) {
				char name[64], key[1024], val[1024];
				size_t k;

				if (sscanf(w + 5, "%63s %1023s", name,
						key) != 2) {
					printf("usage: /map NAME KEY\n");
					continue;
				}
				for (k = 0; k < 4; k++)
					if (strcmp(maps[k].label, name) == 0)
						break;
				if (k == 4)
					printf("no map %s\n", name);
				else
					bt_try(&maps[k], key, val, sizeof val);
				continue;
			}
			last = strrchr(w, ' ');
			bt_address(sm, maps, last ? last + 1 : w);
		}
	}
	for (i = 0; i < 4; i++)
		if (maps[i].open)
			map_close(&maps[i].m);
	fflush(stdout);
	return EX_OK;
}
