/* smtpd: maps, addresses and access control (issue 4 §3), the way
 * sendmail decides: access map, class w and R, virtusertable,
 * mailertable, local users. */
#include "smtpd.h"

/* --- maps ----------------------------------------------------------------- */

/* The cdb file behind a K line: sendmail's hash/btree maps add ".db". */
static void map_file(const struct cf_map *k, char *dst, size_t max)
{
	if (str_ends(k->path, ".db") || str_ends(k->path, ".cdb"))
		str_lcpy(dst, k->path, max);
	else
		snprintf(dst, max, "%s%s", k->path,
			strcmp(k->type, "cdb") == 0 ? ".cdb" : ".db");
}

void smtpd_map_open(struct smap *sm, const struct cf *cf, const char *name,
	const char *path, int optional)
{
	const struct cf_map *k = name ? cf_map(cf, name) : NULL;
	char file[FILE_PATH_MAX], err[512];

	sm->state = 0;
	sm->m.fd = -1;
	if (name) {
		if (!k || !k->path)
			return;
		map_file(k, file, sizeof file);
		optional = k->optional;
	} else {
		if (!path)
			return;
		snprintf(file, sizeof file, "%s.db", path);
	}
	if (map_open(&sm->m, file, 0, err, sizeof err) == 0) {
		sm->state = 1;
		sm->path = strdup(file);
		return;
	}
	if (errno == ENOENT && optional)
		return;
	log_msg(LOG_ERR, "%s", err);
	sm->state = -1;
}

void smtpd_map_close(struct smap *sm)
{
	if (sm->state == 1)
		map_close(&sm->m);
	sm->state = 0;
	free(sm->path);
	sm->path = NULL;
}

/* The access map's action for TAG:VALUE.  1 with A filled, 0 when nothing
 * (or SKIP) matched, -1 when the map could not be read (try later).  When
 * MATCHED is given it gets the key that matched. */
int smtpd_access(struct smap *sm, const char *tag, int kind,
	const char *value, struct map_action *a, char *matched)
{
	char val[MAP_VALUE_MAX], key[MAP_KEY_MAX];
	int r;

	if (sm->state == 0)
		return 0;
	if (sm->state < 0)
		return -1;
	r = map_access(&sm->m, tag, kind, value, val, sizeof val, key);
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
			!str_ieq(k, at + 1));
		if (at && at[1] && weaker) {
			char k2[MAP_KEY_MAX], v2[MAP_VALUE_MAX];
			int i, r2 = 0;

			for (i = 0; i < 2 && r2 == 0; i++) {
				snprintf(k2, sizeof k2, "%s%s%s", i ? "" :
					tag, i ? "" : ":", at);
				r2 = map_lookup(&sm->m, k2, v2, sizeof v2);
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
	if (map_action_parse(val, a) < 0) {
		log_msg(LOG_WARNING, "access map: %s: bad value \"%s\"",
			key, val);
		return 0;
	}
	return a->act == MAP_ACT_SKIP ? 0 : 1;
}

/* TAG:ip, TAG:ip-prefix ..., then TAG: alone: sendmail's tagged-only
 * walk for ClientConn: and GreetPause: (FEATURE(conncontrol),
 * FEATURE(greet_pause)).  1 with the value, 0 none, -1 error. */
int smtpd_tagged_ip(struct smap *sm, const char *tag, const char *ip,
	char *val, size_t max)
{
	char key[MAP_KEY_MAX];
	int r, sep = strchr(ip, ':') ? ':' : '.';
	char *cut;

	if (sm->state <= 0)
		return sm->state;
	snprintf(key, sizeof key, "%s:%s%s", tag, sep == ':' ? "IPv6:" : "",
		ip);
	for (;;) {
		if ((r = map_lookup(&sm->m, key, val, max)) != 0)
			return r;
		cut = strrchr(key + strlen(tag) + 1, sep);
		if (!cut)
			break;
		*cut = 0;
	}
	snprintf(key, sizeof key, "%s:", tag);
	return map_lookup(&sm->m, key, val, max);
}

/* --- addresses ------------------------------------------------------------ */

/* RFC 5321 4.1.2: parses a Path or "<>" at *P into addr (PATH_MAX_SMTP):
 * "<local@domain>", also without brackets (sendmail's leniency) and with
 * a source route "@a,@b:" (4.1.1.3: ignored).  A local part alone is
 * allowed (RCPT TO:<postmaster>).  Leaves *P after the path.  0, or -1
 * with a reply in why. */
int smtpd_parse_path(const char **pp, char *addr, int null_ok, int utf8,
	char *why, size_t whymax)
{
	const char *p = *pp, *start, *at = NULL;
	int bracket = 0;
	size_t n = 0, local = 0;

	while (*p == ' ')
		p++;
	if (*p == '<')
		bracket = 1, p++;
	/* a source route: @host,@host: */
	if (bracket && *p == '@') {
		const char *colon = strchr(p, ':');

		if (!colon || colon - p > DOMAIN_MAX * 2)
			goto syntax;
		p = colon + 1;
	}
	start = p;
	if (bracket && *p == '>') {
		if (!null_ok)
			goto syntax;
		addr[0] = 0;
		*pp = p + 1;
		return 0;
	}
	/* the Mailbox: libmini's syntax (sendmail's too), then the
	 * limits of RFC 5321 4.5.3.1 */
	if (addr_check(p, bracket ? ">" : " ", &n, &local, why, whymax) < 0)
		goto syntax;
	p += n;
	if (start[local] == '@')
		at = start + local;
	if (local > LOCAL_MAX + (*start == '"' ? 2 : 0) ||
			(at && n - local - 1 > DOMAIN_MAX))
		goto syntax;
	if (bracket) {
		if (*p != '>')
			goto syntax;
		p++;
	}
	if (n >= PATH_MAX_SMTP)
		goto syntax;
	memcpy(addr, start, n);
	addr[n] = 0;
	/* RFC 6531 3.3: non-ASCII only with SMTPUTF8, and valid UTF-8 */
	{
		size_t i;
		int high = 0;

		for (i = 0; i < n; i++)
			high |= (unsigned char)addr[i] >= 0x80;
		if (high && (!utf8 || !str_utf8_valid(addr, n))) {
			snprintf(why, whymax, "553 5.6.7 <%s>... Non-ASCII "
				"address requires SMTPUTF8", addr);
			return -1;
		}
	}
	/* a domain literal must be an address we understand */
	if (at && at[1] == '[') {
		struct net_peer t;
		char lit[64];
		const char *in = addr + (at - start) + 2;
		size_t l = strlen(in) - 1;

		if (l >= sizeof lit)
			goto syntax;
		memcpy(lit, in, l);
		lit[l] = 0;
		if (str_istarts(lit, "IPv6:"))
			memmove(lit, lit + 5, strlen(lit + 5) + 1);
		else if (strchr(lit, ':'))
			goto syntax;
		if (net_parse_ip(&t, lit) < 0)
			goto syntax;
	}
	*pp = p;
	return 0;
syntax:
	snprintf(why, whymax, "553 5.1.3 %.*s... Syntax error in mailbox "
		"address (RFC 5321 4.1.2)", 300, *pp);
	return -1;
}

/* The domain of ADDR (after the last '@' outside quotes), or NULL. */
static const char *addr_domain(const char *addr)
{
	const char *p = addr, *at = NULL;
	int q = 0;

	for (; *p; p++) {
		if (*p == '\\' && q && p[1])
			p++;
		else if (*p == '"')
			q = !q;
		else if (*p == '@' && !q)
			at = p;
	}
	return at ? at + 1 : NULL;
}

/* Normalises ADDR in place: the domain in lower case without a trailing
 * dot (sendmail compares domains that way). */
void smtpd_addr_normalise(char *addr)
{
	char *d = (char *)addr_domain(addr);
	size_t n;

	if (!d)
		return;
	str_lower(d);
	n = strlen(d);
	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = 0;
}

/* Whether the local part of ADDR routes elsewhere: %-hack, bang path,
 * or a quoted '@' (RFC 5321 3.6, 4.1.2: we never honour these). */
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

/* --- access control (issue 4 §3) ----------------------------------------- */

/* The reply for an access action that refuses (REJECT, ERROR:); WHAT is
 * the address ("" for a connection). */
void smtpd_action_reply(const struct map_action *a, const char *what,
	char *dst, size_t max)
{
	char who[PATH_MAX_SMTP + 8] = "";

	if (*what)
		snprintf(who, sizeof who, "<%s>... ", what);
	if (a->act == MAP_ACT_REJECT) {
		snprintf(dst, max, "550 5.7.1 %sAccess denied", who);
		return;
	}
	unsigned code = a->code ? a->code : 550;
	char dsn[16];

	/* no D.S.N given: sendmail says X.0.0 */
	if (a->dsn[0])
		str_lcpy(dsn, a->dsn, sizeof dsn);
	else
		snprintf(dsn, sizeof dsn, "%u.0.0", code / 100);
	snprintf(dst, max, "%u %s %s%s", code, dsn, who,
		a->text[0] ? a->text : "Access denied");
}

/* At connect: Connect: by the client's name, then its address (§3). */
void smtpd_check_connect(struct smtpd *s)
{
	struct map_action a;
	char key[MAP_KEY_MAX];
	int r = 0;

	/* loopback relays unless an access entry says otherwise (below) */
	s->client_relay = net_is_loopback(&s->peer);
	if (s->peer.local)
		return;
	if (s->peer.host[0]) {
		r = smtpd_access(&s->maps[MAP_ACCESS_I], "Connect",
			MAP_ACCESS_HOST, s->peer.host, &a, key);
	} else {
		/* no name (postbox does no DNS): sendmail tries the client
		 * as the literal [addr] first */
		char lit[NET_IP_MAX + 8];

		snprintf(lit, sizeof lit, "[%s%s]", s->peer.family ==
			AF_INET6 ? "IPv6:" : "", s->peer.ip);
		r = smtpd_access(&s->maps[MAP_ACCESS_I], "Connect",
			MAP_ACCESS_HOST, lit, &a, key);
	}
	if (r == 0)
		r = smtpd_access(&s->maps[MAP_ACCESS_I], "Connect",
			MAP_ACCESS_IP, s->peer.ip, &a, key);
	if (r < 0) {
		snprintf(s->nullserver, sizeof s->nullserver,
			"451 4.3.0 Temporary lookup failure, try again later");
		return;
	}
	if (r == 0)
		return;
	/* an entry for the client decides, for loopback too: that is how
	 * a second loopback address is made untrusted */
	s->client_relay = a.act == MAP_ACT_RELAY;
	if (a.act == MAP_ACT_DISCARD)
		s->client_discard = 1;
	else if (a.act == MAP_ACT_REJECT || a.act == MAP_ACT_ERROR)
		smtpd_action_reply(&a, "", s->nullserver, sizeof s->nullserver);
	if (s->nullserver[0])
		log_msg(LOG_NOTICE, "[%s]: connection refused by access "
			"entry %s", s->peer.ip, key);
}

/* A domain, or one of its parents, in class NAME (class R: relay-domains
 * names a domain and its subdomains, as in sendmail). */
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

/* Whether ADDR's domain is ours: none, class w, localhost, or our own
 * address literal. */
int smtpd_is_local(struct smtpd *s, const char *addr, char *user,
	size_t max)
{
	const char *d = addr_domain(addr);
	char lit[NET_IP_MAX + 2];

	if (local_is_local(s->cf, addr, user, max) == 1)
		return 1;
	if (d && s->peer.local_ip[0]) {
		snprintf(lit, sizeof lit, "[%s]", s->peer.local_ip);
		if (str_ieq(d, lit)) {
			size_t n = d - 1 - addr;

			if (n >= max)
				n = max - 1;
			memcpy(user, addr, n);
			user[n] = 0;
			return 1;
		}
	}
	return 0;
}

/* Whether USER is in the virtual-user file read at the start. */
static int vuser_exists(struct smtpd *s, const char *user)
{
	struct vusers_entry e;
	char err[256];
	size_t off = 0;

	if (s->vusers_err)
		return -1;
	while (off < s->vusers_len) {
		const char *line = s->vusers + off;
		const char *nl = memchr(line, '\n', s->vusers_len - off);
		size_t len = nl ? (size_t)(nl - line) : s->vusers_len - off;

		off += len + 1;
		if (vusers_parse_line(line, len, &e, err, sizeof err) == 1 &&
				strcmp(e.user, user) == 0)
			return 1;
	}
	return 0;
}

int smtpd_vuser_secret(void *ctx, const char *user, char *secret,
	size_t max)
{
	struct smtpd *s = ctx;
	struct vusers_entry e;
	char err[256];
	size_t off = 0;
	unsigned lineno = 0;
	int r = 0;

	if (s->vusers_err || !s->vusers) {
		log_msg(LOG_ERR, "auth: %s could not be read at the start of "
			"the session", s->cf->opt.virtual_users);
		return -1;
	}
	/* the whole file is checked, as auth_lookup_vusers does: a broken
	 * line is a temporary failure whoever asks */
	while (off < s->vusers_len && r >= 0) {
		const char *line = s->vusers + off;
		const char *nl = memchr(line, '\n', s->vusers_len - off);
		size_t len = nl ? (size_t)(nl - line) : s->vusers_len - off;
		int p;

		off += len + 1;
		lineno++;
		p = vusers_parse_line(line, len, &e, err, sizeof err);
		if (p < 0) {
			log_msg(LOG_ERR, "auth: %s:%u: %s",
				s->cf->opt.virtual_users, lineno, err);
			r = -1;
		}
		if (p != 1 || r != 0 || strcmp(e.user, user) != 0)
			continue;
		/* an empty field is no password: "{CRYPT}" alone fails */
		r = str_lcpy(secret, e.pass[0] ? e.pass : "{CRYPT}", max) <
			max ? 1 : -1;
		if (r < 0)
			log_msg(LOG_ERR, "auth: %s: %s: password field too "
				"long", s->cf->opt.virtual_users, user);
	}
	memset(&e, 0, sizeof e);
	return r;
}

/* Whether USER (or USER without its +detail) is someone we deliver to:
 * postmaster (RFC 5321 4.5.1), an alias, a virtual user, an account.
 * 1 yes, 0 no, -1 cannot tell now. */
int smtpd_user_exists(struct smtpd *s, const char *user)
{
	char name[LOCAL_MAX + 1], val[MAP_VALUE_MAX];
	struct smap *al = &s->maps[MAP_ALIASES_I];
	int r, pass;

	if (strlen(user) > LOCAL_MAX)
		return 0;
	str_lcpy(name, user, sizeof name);
	for (pass = 0; pass < 2; pass++) {
		char lower[LOCAL_MAX + 1], *plus;

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
		if (al->state == 1) {
			r = map_lookup(&al->m, lower, val, sizeof val);
			if (r != 0)
				return r > 0 ? 1 : -1;
		} else if (al->state < 0) {
			return -1;
		}
		if (s->vusers && (r = vuser_exists(s, name)) != 0)
			return r;
		errno = 0;
		if (getpwnam(name) || getpwnam(lower))
			return 1;
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			return -1;
	}
	return 0;
}

/* virtusertable (sendmail's FEATURE(virtusertable)): user@domain, then
 * @domain with %1 the user.  1 with the new address in dst, or with an
 * error reply in why (dst ""); 0 none; -1 cannot tell now. */
static int virtuser(struct smtpd *s, const char *addr, char *dst,
	size_t max, char *why, size_t whymax)
{
	struct smap *vm = &s->maps[MAP_VIRTUSER_I];
	const char *d = addr_domain(addr);
	char val[MAP_VALUE_MAX], key[MAP_KEY_MAX], user[LOCAL_MAX + 3];
	size_t ul;
	int r;

	if (vm->state == 0 || !d)
		return 0;
	if (vm->state < 0)
		return -1;
	ul = d - 1 - addr;
	if (ul >= sizeof user)
		return 0;
	memcpy(user, addr, ul);
	user[ul] = 0;
	r = map_lookup(&vm->m, addr, val, sizeof val);
	if (r == 0) {
		snprintf(key, sizeof key, "@%s", d);
		r = map_lookup(&vm->m, key, val, sizeof val);
	}
	if (r <= 0)
		return r;
	dst[0] = 0;
	if (str_istarts(val, "error:")) {
		const char *e = val + 6;
		struct map_action a;
		char tmp[MAP_VALUE_MAX];

		/* error:nouser and friends: sendmail's named errors */
		if (str_ieq(e, "nouser")) {
			snprintf(why, whymax, "550 5.1.1 <%s>... User unknown",
				addr);
			return 1;
		}
		snprintf(tmp, sizeof tmp, "ERROR:%s", e);
		if (map_action_parse(tmp, &a) == 0)
			smtpd_action_reply(&a, addr, why, whymax);
		else
			snprintf(why, whymax, "550 5.1.1 <%s>... %.200s",
				addr, e);
		return 1;
	}
	/* %1: the user part of the original address */
	{
		const char *v = val;
		size_t n = 0;

		for (; *v && n + 1 < max; v++) {
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
	}
	return 1;
}

/* mailertable: an error: entry refuses at RCPT time, local:user makes the
 * recipient local.  1 with why set, or 2 with user set (local); 0
 * nothing to say; -1 cannot tell now. */
static int mailertable(struct smtpd *s, const char *addr, char *user,
	size_t umax, char *why, size_t whymax)
{
	struct smap *mt = &s->maps[MAP_MAILERTABLE_I];
	const char *d = addr_domain(addr);
	char val[MAP_VALUE_MAX], key[MAP_KEY_MAX];
	int r = 0;

	if (mt->state == 0 || !d)
		return 0;
	if (mt->state < 0)
		return -1;
	/* the domain, then .parent ... then "." (sendmail's order) */
	str_lcpy(key, d, sizeof key);
	if ((r = map_lookup(&mt->m, key, val, sizeof val)) == 0) {
		const char *p = d;

		while ((p = strchr(p + 1, '.')) != NULL)
			if ((r = map_lookup(&mt->m, p, val, sizeof val)) != 0)
				break;
		if (r == 0)
			r = map_lookup(&mt->m, ".", val, sizeof val);
	}
	if (r <= 0)
		return r;
	if (str_istarts(val, "error:")) {
		char tmp[MAP_VALUE_MAX];
		struct map_action a;

		snprintf(tmp, sizeof tmp, "ERROR:%s", val + 6);
		if (map_action_parse(tmp, &a) == 0)
			smtpd_action_reply(&a, addr, why, whymax);
		else
			snprintf(why, whymax, "550 5.1.2 <%s>... %.200s", addr,
				val + 6);
		return 1;
	}
	if (str_istarts(val, "local:")) {
		const char *u = val + 6;
		size_t n;

		if (!*u) {
			n = d - 1 - addr;
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

/* May the client relay to ADDR (not local)?  §3: authenticated,
 * Connect: RELAY or loopback, a relay domain, a To: RELAY domain. */
static int relay_ok(struct smtpd *s, const char *addr, int *tempfail)
{
	const char *d = addr_domain(addr);
	struct map_action a;
	int r;

	*tempfail = 0;
	if (s->auth_relay || s->client_relay)
		return 1;
	if (!d)
		return 0;
	if (class_walk(s->cf, "R", d))
		return 1;
	/* To:domain RELAY: the domain walk only; a full address counts only
	 * with relaytofulladdress, which postbox does not read */
	r = smtpd_access(&s->maps[MAP_ACCESS_I], "To", MAP_ACCESS_HOST, d,
		&a, NULL);
	if (r < 0)
		*tempfail = 1;
	return r > 0 && a.act == MAP_ACT_RELAY;
}

/* The recipient checks in sendmail's order (issue 4 §2, §3).  0 with the
 * address to queue in dst, or -1 with the reply in why. */
int smtpd_check_rcpt(struct smtpd *s, const char *addr, char *dst,
	size_t max, char *why, size_t whymax)
{
	char user[LOCAL_MAX + 8], vdst[PATH_MAX_SMTP];
	struct map_action a;
	int r, tempfail;

	str_lcpy(dst, addr, max);
	/* §3: To: in the access map, most specific first; user@ keys only
	 * for our own domains (sendmail's smtpd_check_rcpt) */
	r = smtpd_access(&s->maps[MAP_ACCESS_I], "To",
		smtpd_is_local(s, addr, user, sizeof user) ? MAP_ACCESS_ADDR :
		MAP_ACCESS_RCPT, addr, &a, NULL);
	if (r < 0)
		goto temp;
	if (r > 0 && (a.act == MAP_ACT_REJECT || a.act == MAP_ACT_ERROR)) {
		smtpd_action_reply(&a, addr, why, whymax);
		return -1;
	}
	if (r > 0 && a.act == MAP_ACT_DISCARD)
		s->txn->discard = 1;
	/* %-hack, bang paths, quoted '@': routing we never do */
	if (addr_routes(addr)) {
		if (!s->client_relay && !s->auth_relay)
			goto relay;
		snprintf(why, whymax, "553 5.1.3 <%s>... Routing through the "
			"local part is not supported", addr);
		return -1;
	}
	/* virtusertable for our domains and class {VirtHost} */
	if (addr_domain(addr) && (smtpd_is_local(s, addr, user, sizeof user)
			|| cf_class_has(s->cf, "{VirtHost}",
				addr_domain(addr)))) {
		r = virtuser(s, addr, vdst, sizeof vdst, why, whymax);
		if (r < 0)
			goto temp;
		if (r > 0 && !vdst[0])
			return -1;
		if (r > 0) {
			str_lcpy(dst, vdst, max);
			/* a virtual address that maps to a remote one was
			 * ours to accept: no relay check, only local users */
			if (!smtpd_is_local(s, dst, user, sizeof user))
				return 0;
			goto local;
		}
	}
	if (smtpd_is_local(s, addr, user, sizeof user))
		goto local;
	r = mailertable(s, addr, user, sizeof user, why, whymax);
	if (r < 0)
		goto temp;
	if (r == 1)
		return -1;
	if (r == 2)
		goto local;
	if (relay_ok(s, addr, &tempfail))
		return 0;
	if (tempfail)
		goto temp;
relay:
	log_msg(LOG_NOTICE, "[%s]: relaying to <%s> denied", s->peer.ip,
		addr);
	snprintf(why, whymax, "550 5.7.1 <%s>... Relaying denied", addr);
	return -1;
local:
	r = smtpd_user_exists(s, user);
	if (r < 0)
		goto temp;
	if (r == 0) {
		snprintf(why, whymax, "550 5.1.1 <%s>... User unknown", addr);
		return -1;
	}
	return 0;
temp:
	snprintf(why, whymax, "451 4.3.0 <%s>... Temporary lookup failure, "
		"try again later", addr);
	return -1;
}
