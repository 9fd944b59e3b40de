/*
 * decide: the recipient decision of smtpd, sendmail -bt/-bv and the SMTP
 * client's routing (contracts and the rules in decide.h).
 */
#include "libmini.h"
#include "decide.h"
#include "local.h"
#include "vusers.h"
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define USER_MAX	64	/* RFC 5321 4.5.3.1.1 */

/* --- maps ----------------------------------------------------------------- */

static void set_err(struct decide_map *dm, const char *err)
{
	free(dm->err);
	dm->err = strdup(err);
}

static void open_spec(struct decide_map *dm, const struct map_spec *s,
	int alias)
{
	char err[FILE_PATH_MAX + 200];
	int r;

	r = alias ? map_alias_open(&dm->m, s, err, sizeof err) :
		map_spec_open(&dm->m, s, err, sizeof err) == 0 ? 1 : -1;
	if (r > 0) {
		if (!(dm->path = strdup(s->file))) {
			map_close(&dm->m);
			dm->state = -1;
			set_err(dm, "out of memory");
			return;
		}
		dm->state = 1;
		return;
	}
	if (r < 0 && alias && errno == ENOENT)
		str_lcat(err, " (run newaliases)", sizeof err);
	/* a missing map a K line calls optional (-o) is no map */
	dm->state = r == 0 || (errno == ENOENT && !alias && s->optional) ? 0 :
		-1;
	if (r <= 0)
		set_err(dm, err);
}

/* DM's fields reset, LABEL set, then the map that KIND (a K line) or
 * ALIAS (an AliasFile) names is opened through map_spec: absent and
 * optional leaves state 0, a failure state -1 with its reason. */
static void map_open_as(struct decide_map *dm, const char *label,
	const struct cf_map *k, const char *alias)
{
	struct map_spec *s;
	char err[300];
	int r;

	dm->state = 0;
	dm->m.fd = -1;
	dm->path = dm->err = NULL;
	dm->label = label;
	if (!k && !alias)
		return;
	if (!(s = malloc(sizeof *s))) {
		dm->state = -1;
		set_err(dm, "out of memory");
		return;
	}
	r = alias ? map_spec_alias(s, alias, err, sizeof err) :
		map_spec_k(s, k->type, k->path, k->flags, k->optional, err,
			sizeof err);
	if (r > 0)
		open_spec(dm, s, alias != NULL);
	else {
		dm->state = r < 0 ? -1 : 0;
		set_err(dm, err);
	}
	free(s);
}

void decide_map_open(struct decide_map *dm, const struct cf *cf,
	const char *name)
{
	map_open_as(dm, name, cf_map(cf, name), NULL);
}

void decide_alias_open(struct decide_map *dm, const char *spec)
{
	map_open_as(dm, "aliases", NULL, spec);
}

void decide_map_close(struct decide_map *dm)
{
	if (dm->state == 1)
		map_close(&dm->m);
	dm->state = 0;
	free(dm->path);
	free(dm->err);
	dm->path = dm->err = NULL;
}

int decide_tagged_ip(struct decide_map *dm, const char *tag, const char *ip,
	char *val, size_t max)
{
	char key[MAP_KEY_MAX];
	int r, sep = strchr(ip, ':') ? ':' : '.';
	char *cut;

	if (dm->state <= 0)
		return dm->state;
	snprintf(key, sizeof key, "%s:%s%s", tag, sep == ':' ? "IPv6:" : "",
		ip);
	for (;;) {
		if ((r = map_lookup(&dm->m, key, val, max)) != 0)
			return r;
		cut = strrchr(key + strlen(tag) + 1, sep);
		if (!cut)
			break;
		*cut = 0;
	}
	snprintf(key, sizeof key, "%s:", tag);
	return map_lookup(&dm->m, key, val, max);
}

unsigned decide_client_conn(struct decide_map *access, const struct cf *cf,
	const char *ip)
{
	char val[64];
	unsigned long n;

	/* a map rebuilt by makemap since: read the new one */
	if (access->state == 1 && access->path &&
			map_changed(&access->m, access->path)) {
		decide_map_close(access);
		decide_map_open(access, cf, "access");
		if (access->state < 0)
			log_msg(LOG_ERR, "%s", access->err ? access->err :
				"access");
	}
	if (decide_tagged_ip(access, "ClientConn", ip, val, sizeof val) <= 0 ||
			str_toul(val, 100000, &n) < 0)
		return 0;
	return (unsigned)n;
}

int decide_map_get(struct decide_map *dm, const char *key, char *val,
	size_t max)
{
	int r;

	if (dm->state <= 0)
		return dm->state;
	r = map_spec_lookup(&dm->m, key, val, max);
	return r < 0 ? -1 : r;
}

int decide_open(struct decide *d, const struct cf *cf)
{
	const struct cf_list *al = &cf->opt.alias_files;
	size_t i;

	memset(d, 0, sizeof *d);
	d->cf = cf;
	d->local_ip = "";
	decide_map_open(&d->access, cf, "access");
	decide_map_open(&d->virtuser, cf, "virtuser");
	decide_map_open(&d->mailertable, cf, "mailertable");
	if (!al->n)
		return 0;
	if (!(d->aliases = calloc(al->n, sizeof *d->aliases)))
		return -1;
	d->n_aliases = al->n;
	for (i = 0; i < al->n; i++)
		decide_alias_open(&d->aliases[i], al->v[i]);
	return 0;
}

void decide_close(struct decide *d)
{
	size_t i;

	decide_map_close(&d->access);
	decide_map_close(&d->virtuser);
	decide_map_close(&d->mailertable);
	for (i = 0; i < d->n_aliases; i++)
		decide_map_close(&d->aliases[i]);
	free(d->aliases);
	d->aliases = NULL;
	d->n_aliases = 0;
}

static void trace(struct decide *d, const char *map, const char *key, int rc,
	const char *value)
{
	if (d->trace)
		d->trace(d->trace_ctx, map, key, rc, value);
}

int decide_lookup(struct decide *d, struct decide_map *dm, const char *key,
	char *val, size_t max)
{
	int r;

	if (dm->state == 0)
		return 0;
	if (dm->state < 0) {
		trace(d, dm->label, key, -1, dm->err ? dm->err : "unusable");
		return -1;
	}
	r = map_spec_lookup(&dm->m, key, val, max);
	trace(d, dm->label, key, r, r > 0 ? val : r < 0 ? strerror(errno) :
		NULL);
	return r < 0 ? -1 : r;
}

/* --- access --------------------------------------------------------------- */

struct access_trace {
	struct decide *d;
	const char *tag;	/* as the caller spelled it: "To" */
};

/* map_access's trace: the keys as looked up (folded), the tag shown as
 * written in the access file ("To:", not "to:"). */
static void access_trace(void *ctx, const char *key, const char *value)
{
	struct access_trace *at = ctx;
	size_t n = at->tag ? strlen(at->tag) : 0;
	char k[MAP_KEY_MAX];

	if (n && strncasecmp(key, at->tag, n) == 0 && key[n] == ':') {
		snprintf(k, sizeof k, "%s%s", at->tag, key + n);
		key = k;
	}
	trace(at->d, at->d->access.label, key, value != NULL, value);
}

int decide_access(struct decide *d, const char *tag, int kind,
	const char *value, struct map_action *a, char *matched)
{
	struct decide_map *am = &d->access;
	struct access_trace at;
	char val[MAP_VALUE_MAX], key[MAP_KEY_MAX];
	int r;

	if (am->state == 0)
		return 0;
	if (am->state < 0) {
		trace(d, am->label, value, -1, am->err ? am->err : "unusable");
		return -1;
	}
	at.d = d;
	at.tag = tag;
	am->m.trace = d->trace ? access_trace : NULL;
	am->m.trace_ctx = &at;
	r = map_access(&am->m, tag, kind, value, val, sizeof val, key);
	am->m.trace = NULL;
	if (r < 0)
		return r;
	/* The tutorials' "@spam.com DISCARD": sendmail has no such key, but
	 * users write it meaning the domain.  Tried for the address's own
	 * domain when nothing as specific (an address, user@, or the
	 * domain itself) matched. */
	if (kind != MAP_ACCESS_HOST && kind != MAP_ACCESS_IP) {
		const char *at = strrchr(value, '@'), *k = key;
		int weaker;

		if (r > 0 && strchr(k, ':') && !str_istarts(k, "ipv6"))
			k = strchr(k, ':') + 1;
		weaker = r == 0 || (!strchr(k, '@') && at &&
			strcasecmp(k, at + 1) != 0);
		if (at && at[1] && weaker) {
			char k2[MAP_KEY_MAX], v2[MAP_VALUE_MAX];
			int i, r2 = 0;

			for (i = 0; i < 2 && r2 == 0; i++) {
				snprintf(k2, sizeof k2, "%s%s%s", i ? "" :
					tag, i ? "" : ":", at);
				r2 = decide_lookup(d, am, k2, v2, sizeof v2);
			}
			if (r2 < 0)
				return -1;
			if (r2 > 0) {
				str_lcpy(val, v2, sizeof val);
				str_lcpy(key, k2, sizeof key);
				r = 1;
			}
		}
	}
	if (r == 0)
		return 0;
	if (matched)
		str_lcpy(matched, key, MAP_KEY_MAX);
	/* unknown means temporary: a typo in REJECT must not let the mail
	 * it was meant to stop through (README "smtpd") */
	if (map_action_parse(val, a) < 0) {
		log_msg(LOG_ERR, "access map %s: key %s: value \"%s\" not "
			"understood (OK, RELAY, REJECT, DISCARD, SKIP, "
			"ERROR:...): answering 451 until it is fixed",
			am->path, key, val);
		return -1;
	}
	return a->act == MAP_ACT_SKIP ? 0 : 1;
}

void decide_action_reply(const struct map_action *a, const char *what,
	char *dst, size_t max)
{
	char who[DECIDE_ADDR_MAX + 8] = "", dsn[16];
	unsigned code;

	if (*what)
		snprintf(who, sizeof who, "<%s>... ", what);
	if (a->act == MAP_ACT_REJECT) {
		snprintf(dst, max, "550 5.7.1 %sAccess denied", who);
		return;
	}
	code = a->code ? a->code : 550;
	/* no D.S.N given: sendmail says X.0.0 */
	if (a->dsn[0])
		str_lcpy(dsn, a->dsn, sizeof dsn);
	else
		snprintf(dsn, sizeof dsn, "%u.0.0", code / 100);
	snprintf(dst, max, "%u %s %s%s", code, dsn, who,
		a->text[0] ? a->text : "Access denied");
}

/* --- addresses ------------------------------------------------------------ */

/* Whether the local part of ADDR routes elsewhere: %-hack, bang path,
 * or a quoted '@' (RFC 5321 3.6, 4.1.2: never honoured). */
static int addr_routes(const char *addr)
{
	const char *d = addr_domain(addr);
	size_t n = d ? (size_t)(d - 1 - addr) : strlen(addr);
	size_t i;

	for (i = 0; i < n; i++)
		if (addr[i] == '%' || addr[i] == '!' || addr[i] == '@' ||
				addr[i] == ':')
			return 1;
	return 0;
}

/* A domain, or one of its parents, in class NAME (class R names a domain
 * and its subdomains, as in sendmail). */
static int class_walk(const struct cf *cf, const char *name, const char *dom)
{
	while (dom && *dom) {
		if (cf_class_has(cf, name, dom))
			return 1;
		dom = strchr(dom, '.');
		if (dom)
			dom++;
	}
	return 0;
}

int decide_is_local(struct decide *d, const char *addr, char *user,
	size_t max)
{
	const char *dom = addr_domain(addr);
	char lit[NET_IP_MAX + 2];

	if (local_is_local(d->cf, addr, user, max) == 1)
		return 1;
	if (dom && d->local_ip && d->local_ip[0]) {
		snprintf(lit, sizeof lit, "[%s]", d->local_ip);
		if (strcasecmp(dom, lit) == 0) {
			size_t n = dom - 1 - addr;

			if (n >= max)
				n = max - 1;
			memcpy(user, addr, n);
			user[n] = 0;
			return 1;
		}
	}
	return 0;
}

/* --- users ---------------------------------------------------------------- */

/* USER in the virtual-user file: 1, 0, -1 (the file is broken or was not
 * readable: vusers.h's one policy). */
static int vuser_exists(struct decide *d, const char *user)
{
	struct vusers_entry *e;
	const char *path = d->cf->opt.virtual_users;
	char err[300];
	int r;

	if (d->vusers_err) {
		trace(d, "vusers", user, -1, "the file could not be read");
		return -1;
	}
	if (!(e = malloc(sizeof *e)))
		return -1;
	r = vusers_find(d->vusers, d->vusers_len, path, user, e, err,
		sizeof err);
	memset(e, 0, sizeof *e);
	free(e);
	if (r < 0)
		log_msg(LOG_ERR, "%s (lookups are temporary failures until "
			"it is fixed)", err);
	trace(d, "vusers", user, r, r > 0 ? "virtual user" : r < 0 ? err :
		NULL);
	return r;
}

int decide_user_exists(struct decide *d, const char *user)
{
	char name[USER_MAX + 1], val[MAP_VALUE_MAX];
	int r, pass;
	size_t i;

	if (strlen(user) > USER_MAX)
		return 0;
	str_lcpy(name, user, sizeof name);
	for (pass = 0; pass < 2; pass++) {
		char lower[USER_MAX + 1], *plus;
		struct passwd *pw;

		if (pass == 1) {
			/* sendmail's user+detail: the user decides */
			if (!(plus = strchr(name, '+')) || plus == name)
				break;
			*plus = 0;
		}
		str_lcpy(lower, name, sizeof lower);
		str_lower(lower);
		if (strcmp(lower, "postmaster") == 0)
			return 1;
		/* every AliasFile, in order, as delivery reads them */
		for (i = 0; i < d->n_aliases; i++) {
			r = decide_lookup(d, &d->aliases[i], lower, val,
				sizeof val);
			if (r != 0)
				return r > 0 ? 1 : -1;
		}
		if ((d->vusers || d->vusers_err) &&
				(r = vuser_exists(d, name)) != 0)
			return r;
		errno = 0;
		pw = getpwnam(name);
		if (!pw)
			pw = getpwnam(lower);
		if (pw) {
			trace(d, "passwd", name, 1, "account");
			return 1;
		}
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			return -1;
		trace(d, "passwd", name, 0, NULL);
	}
	return 0;
}

/* --- the RCPT decision ---------------------------------------------------- */

/* sendmail's "error:" entry of virtusertable or mailertable VAL (after
 * "error:") as a reply for ADDR; DSN the default status. */
static void error_reply(const char *e, const char *addr, const char *dsn,
	char *why, size_t whymax)
{
	char tmp[MAP_VALUE_MAX];
	struct map_action a;

	snprintf(tmp, sizeof tmp, "ERROR:%s", e);
	if (map_action_parse(tmp, &a) == 0)
		decide_action_reply(&a, addr, why, whymax);
	else
		snprintf(why, whymax, "550 %s <%s>... %.200s", dsn, addr, e);
}

/* virtusertable: user@domain, then @domain with %1 the user.  1 with the
 * new address in dst, or with an error reply in why (dst ""); 0 none;
 * -1 cannot tell now. */
static int virtuser(struct decide *d, const char *addr, char *dst,
	size_t max, char *why, size_t whymax)
{
	const char *dom = addr_domain(addr), *v;
	char val[MAP_VALUE_MAX], key[MAP_KEY_MAX], user[USER_MAX + 3];
	size_t ul, n = 0;
	int r;

	if (d->virtuser.state == 0 || !dom)
		return 0;
	ul = dom - 1 - addr;
	if (ul >= sizeof user)
		return 0;
	memcpy(user, addr, ul);
	user[ul] = 0;
	r = decide_lookup(d, &d->virtuser, addr, val, sizeof val);
	if (r == 0) {
		snprintf(key, sizeof key, "@%s", dom);
		r = decide_lookup(d, &d->virtuser, key, val, sizeof val);
	}
	if (r <= 0)
		return r;
	dst[0] = 0;
	if (str_istarts(val, "error:")) {
		/* error:nouser and friends: sendmail's named errors */
		if (strcasecmp(val + 6, "nouser") == 0)
			snprintf(why, whymax, "550 5.1.1 <%s>... User unknown",
				addr);
		else
			error_reply(val + 6, addr, "5.1.1", why, whymax);
		return 1;
	}
	/* %1: the user part of the original address */
	for (v = val; *v && n + 1 < max; v++) {
		if (v[0] == '%' && v[1] == '1') {
			n += str_lcpy(dst + n, user, max - n);
			if (n >= max)
				return 0;
			v++;
		} else {
			dst[n++] = *v;
		}
	}
	dst[n < max ? n : max - 1] = 0;
	return 1;
}

int decide_mailertable(struct decide *d, const char *domain, char *val,
	size_t max)
{
	const char *p = domain;
	int r;

	if (d->mailertable.state == 0 || !domain || !*domain)
		return 0;
	/* the domain, then .parent ... then "." (sendmail's order) */
	if ((r = decide_lookup(d, &d->mailertable, domain, val, max)) != 0)
		return r;
	while ((p = strchr(p + 1, '.')) != NULL)
		if ((r = decide_lookup(d, &d->mailertable, p, val, max)) != 0)
			return r;
	return decide_lookup(d, &d->mailertable, ".", val, max);
}

/* mailertable at RCPT: an error: entry refuses, local:user makes the
 * recipient local.  1 with why set, or 2 with user set (local); 0
 * nothing to say; -1 cannot tell now. */
static int rcpt_mailertable(struct decide *d, const char *addr, char *user,
	size_t umax, char *why, size_t whymax)
{
	const char *dom = addr_domain(addr);
	char val[MAP_VALUE_MAX];
	int r;

	if (!dom || (r = decide_mailertable(d, dom, val, sizeof val)) <= 0)
		return dom ? r : 0;
	if (str_istarts(val, "error:")) {
		error_reply(val + 6, addr, "5.1.2", why, whymax);
		return 1;
	}
	if (str_istarts(val, "local:")) {
		const char *u = val + 6;
		size_t n;

		if (!*u) {
			n = dom - 1 - addr;
			if (n >= umax)
				n = umax - 1;
			memcpy(user, addr, n);
			user[n] = 0;
		} else {
			str_lcpy(user, u, umax);
		}
		return 2;
	}
	return 0;
}

/* May the client relay to ADDR (not local)?  Authenticated, Connect:
 * RELAY or loopback, a relay domain, a To: RELAY domain.  1, 0, -1
 * cannot tell now. */
static int relay_ok(struct decide *d, const char *addr)
{
	const char *dom = addr_domain(addr);
	struct map_action a;
	int r;

	if (d->auth_relay || d->client_relay)
		return 1;
	if (!dom)
		return 0;
	if (class_walk(d->cf, "R", dom))
		return 1;
	/* To:domain RELAY: the domain walk only; a full address counts only
	 * with relaytofulladdress, which postbox does not read */
	r = decide_access(d, "To", MAP_ACCESS_HOST, dom, &a, NULL);
	if (r < 0)
		return -1;
	return r > 0 && a.act == MAP_ACT_RELAY;
}

int decide_rcpt(struct decide *d, const char *addr, struct decide_rcpt *out)
{
	char *user = out->user, vdst[DECIDE_ADDR_MAX];
	size_t umax = sizeof out->user;
	struct map_action a;
	const char *dom = addr_domain(addr);
	int r, local;

	memset(out, 0, sizeof *out);
	str_lcpy(out->addr, addr, sizeof out->addr);
	local = decide_is_local(d, addr, user, umax);
	/* To: in the access map, most specific first; user@ keys only for
	 * our own domains (sendmail's check_rcpt) */
	r = decide_access(d, "To", local ? MAP_ACCESS_ADDR : MAP_ACCESS_RCPT,
		addr, &a, NULL);
	if (r < 0)
		goto temp;
	if (r > 0 && (a.act == MAP_ACT_REJECT || a.act == MAP_ACT_ERROR)) {
		decide_action_reply(&a, addr, out->reply, sizeof out->reply);
		goto refuse;
	}
	if (r > 0 && a.act == MAP_ACT_DISCARD)
		out->discard = 1;
	/* %-hack, bang paths, quoted '@': routing we never do */
	if (addr_routes(addr)) {
		if (!d->client_relay && !d->auth_relay)
			goto relay;
		snprintf(out->reply, sizeof out->reply, "553 5.1.3 <%s>... "
			"Routing through the local part is not supported",
			addr);
		goto refuse;
	}
	/* virtusertable for our domains and class {VirtHost} */
	if (dom && (local || cf_class_has(d->cf, "{VirtHost}", dom))) {
		r = virtuser(d, addr, vdst, sizeof vdst, out->reply,
			sizeof out->reply);
		if (r < 0)
			goto temp;
		if (r > 0 && !vdst[0])
			goto refuse;
		if (r > 0) {
			str_lcpy(out->addr, vdst, sizeof out->addr);
			/* a virtual address that maps to a remote one was
			 * ours to accept: no relay check, only local users */
			if (!decide_is_local(d, vdst, user, umax)) {
				user[0] = 0;
				return 0;
			}
			goto local;
		}
	}
	if (local)
		goto local;
	user[0] = 0;
	r = rcpt_mailertable(d, addr, user, umax, out->reply,
		sizeof out->reply);
	if (r < 0)
		goto temp;
	if (r == 1)
		goto refuse;
	if (r == 2)
		goto local;
	r = relay_ok(d, addr);
	if (r < 0)
		goto temp;
	if (r > 0) {
		out->relay = 1;
		return 0;
	}
relay:
	out->relay_denied = 1;
	user[0] = 0;
	snprintf(out->reply, sizeof out->reply, "550 5.7.1 <%s>... Relaying "
		"denied", addr);
	goto refuse;
local:
	r = decide_user_exists(d, user);
	if (r < 0)
		goto temp;
	if (r == 0) {
		snprintf(out->reply, sizeof out->reply, "550 5.1.1 <%s>... "
			"User unknown", addr);
		goto refuse;
	}
	return 0;
temp:
	snprintf(out->reply, sizeof out->reply, "451 4.3.0 <%s>... Temporary "
		"lookup failure, try again later", addr);
refuse:
	out->discard = 0;
	return -1;
}

/* --- remote routing ------------------------------------------------------- */

int decide_remote(struct decide *d, const char *domain, char *val,
	size_t max)
{
	const char *s = cf_macro(d->cf, "S");
	int r;

	r = decide_mailertable(d, domain, val, max);
	if (r < 0)
		return -1;
	if (r > 0)
		return DECIDE_VIA_MAILERTABLE;
	if (s && *s) {
		if (cf_expand(d->cf, s, val, max) < 0)
			val[0] = 0;
		return DECIDE_VIA_SMARTHOST;
	}
	str_lcpy(val, domain, max);
	return DECIDE_VIA_MX;
}
