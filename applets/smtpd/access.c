/* smtpd: maps, addresses and access control (README "smtpd"), the way
 * sendmail decides: access map, class w and R, virtusertable,
 * mailertable, local users. */
#include "smtpd.h"

/* --- maps ----------------------------------------------------------------- */

void smtpd_map_open(struct decide_map *sm, const struct cf *cf,
	const char *name)
{
	decide_map_open(sm, cf, name);
	if (sm->state < 0)
		log_msg(LOG_ERR, "%s", sm->err ? sm->err : name);
}

void smtpd_map_close(struct decide_map *sm)
{
	decide_map_close(sm);
}

void smtpd_maps_open(struct smtpd *s)
{
	struct decide *d = &s->rt;
	size_t i;

	if (decide_open(d, s->cf) < 0)
		log_msg(LOG_ERR, "out of memory");
	if (d->access.state < 0)
		log_msg(LOG_ERR, "%s", d->access.err);
	if (d->virtuser.state < 0)
		log_msg(LOG_ERR, "%s", d->virtuser.err);
	if (d->mailertable.state < 0)
		log_msg(LOG_ERR, "%s", d->mailertable.err);
	for (i = 0; i < d->n_aliases; i++)
		if (d->aliases[i].state < 0)
			log_msg(LOG_ERR, "%s", d->aliases[i].err);
}

/* TAG:ip, its prefixes, then TAG: (decide.h). */
int smtpd_tagged_ip(struct decide_map *sm, const char *tag, const char *ip,
	char *val, size_t max)
{
	return decide_tagged_ip(sm, tag, ip, val, max);
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

/* --- access control (README "smtpd") ------------------------------------- */

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
		r = decide_access(&s->rt, "Connect",
			MAP_ACCESS_HOST, s->peer.host, &a, key);
	} else {
		/* no name (postbox does no DNS): sendmail tries the client
		 * as the literal [addr] first */
		char lit[NET_IP_MAX + 8];

		snprintf(lit, sizeof lit, "[%s%s]", s->peer.family ==
			AF_INET6 ? "IPv6:" : "", s->peer.ip);
		r = decide_access(&s->rt, "Connect",
			MAP_ACCESS_HOST, lit, &a, key);
	}
	if (r == 0)
		r = decide_access(&s->rt, "Connect",
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
		decide_action_reply(&a, "", s->nullserver,
			sizeof s->nullserver);
	if (s->nullserver[0])
		log_msg(LOG_NOTICE, "[%s]: connection refused by access "
			"entry %s", s->peer.ip, key);
}

/* Whether ADDR's domain is ours: none, class w, localhost, or our own
 * address literal. */
int smtpd_is_local(struct smtpd *s, const char *addr, char *user,
	size_t max)
{
	s->rt.local_ip = s->peer.local_ip;
	return decide_is_local(&s->rt, addr, user, max);
}

void smtpd_vusers_mask(char *data, size_t len)
{
	char *p = data, *end = data + len, *nl, *f;

	for (; p < end; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		f = p + strspn(p, " \t");
		if (f >= nl || *f == '#' ||
		    !(f = memchr(p, ':', (size_t)(nl - p))))
			continue;
		/* what vusers_parse_line refuses stays, so a broken line
		 * breaks the same way */
		for (f++; f < nl && *f != ':'; f++)
			if ((unsigned char)*f >= ' ' || *f == '\t')
				*f = '*';
	}
}

int smtpd_vuser_secret(void *ctx, const char *user, char *secret,
	size_t max)
{
	struct smtpd *s = ctx;
	struct vusers_entry e;
	char err[300];
	int r;

	if (s->vusers_err || !s->vusers) {
		log_msg(LOG_ERR, "auth: %s could not be read at the start of "
			"the session", s->cf->opt.virtual_users);
		return -1;
	}
	/* vusers.h's one policy: a broken line is a temporary failure
	 * whoever asks */
	r = vusers_find(s->vusers, s->vusers_len, s->cf->opt.virtual_users,
		user, &e, err, sizeof err);
	if (r < 0)
		log_msg(LOG_ERR, "auth: %s", err);
	/* an empty field is no password: "{CRYPT}" alone fails */
	if (r > 0 && str_lcpy(secret, e.pass[0] ? e.pass : "{CRYPT}", max) >=
			max) {
		log_msg(LOG_ERR, "auth: %s: %s: password field too long",
			s->cf->opt.virtual_users, user);
		r = -1;
	}
	memset(&e, 0, sizeof e);
	return r;
}

/* Whether USER receives mail here: decide_user_exists. */
int smtpd_user_exists(struct smtpd *s, const char *user)
{
	return decide_user_exists(&s->rt, user);
}

/* The recipient checks: decide_rcpt, for this client, so that
 * sendmail -bt shows the same decision.  0 with the address to queue in
 * dst, or -1 with the reply in why. */
int smtpd_check_rcpt(struct smtpd *s, const char *addr, char *dst,
	size_t max, char *why, size_t whymax)
{
	struct decide_rcpt *d = malloc(sizeof *d);
	int r;

	if (!d) {
		snprintf(why, whymax, "452 4.3.0 Out of memory");
		return -1;
	}
	s->rt.client_relay = s->client_relay;
	s->rt.auth_relay = s->auth_relay;
	s->rt.local_ip = s->peer.local_ip;
	r = decide_rcpt(&s->rt, addr, d);
	if (r == 0) {
		str_lcpy(dst, d->addr, max);
		if (d->discard)
			s->txn->discard = 1;
	} else {
		if (d->relay_denied)
			log_msg(LOG_NOTICE, "[%s]: relaying to <%s> denied",
				s->peer.ip, addr);
		str_lcpy(why, d->reply, whymax);
	}
	free(d);
	return r;
}
