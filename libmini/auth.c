/* auth: password checks and server-side SASL (see auth.h). */
#include "libmini.h"
#include <bearssl.h>
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* What an unknown user's attempt costs, so that timing does not tell
 * which names exist: yescrypt at Debian 12's default cost, as chpasswd
 * writes it, or SHA-512 when yescrypt is not built in. */
#define DUMMY_SALT "$y$j9T$postboxdummysaltxxxxx.$"
#define DUMMY_SALT_SHA "$6$postboxdummysalt$"

static const struct {
	int mech;
	const char *name;
} mechs[] = {
	{ AUTH_CRAM_MD5, "CRAM-MD5" },
	{ AUTH_LOGIN, "LOGIN" },
	{ AUTH_PLAIN, "PLAIN" },
};
#define NMECHS (sizeof mechs / sizeof mechs[0])

/* Why a mechanism postbox knows of is refused. */
static const char *refusal(const char *name)
{
	if (strcasecmp(name, "EXTERNAL") == 0)
		return "EXTERNAL is refused: TLS client certificates are not "
			"checked, so there is no external identity";
	if (strcasecmp(name, "DIGEST-MD5") == 0)
		return "DIGEST-MD5 is refused: obsolete (RFC 6331); use "
			"CRAM-MD5, or PLAIN over TLS";
	return NULL;
}

int auth_mech_byname(const char *name)
{
	const char *why;
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (strcasecmp(name, mechs[i].name) == 0)
			return mechs[i].mech;
	if ((why = refusal(name)))
		log_msg(LOG_NOTICE, "AUTH %s", why);
	return 0;
}

const char *auth_mech_name(int mech)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (mechs[i].mech == mech)
			return mechs[i].name;
	return "";
}

/* One AuthMechanisms word: its bit, or 0 (logged). */
static int mech_word(const char *word)
{
	const char *why;
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (strcasecmp(word, mechs[i].name) == 0)
			return mechs[i].mech;
	if ((why = refusal(word)))
		log_msg(LOG_NOTICE, "AuthMechanisms: %s", why);
	else
		log_msg(LOG_NOTICE, "AuthMechanisms: %s is not supported "
			"(postbox has CRAM-MD5 LOGIN PLAIN); ignored", word);
	return 0;
}

int auth_mechs_parse(const char *list)
{
	char word[64];
	const char *p = list;
	size_t n;
	int set = 0;

	if (!list || !*list)
		return AUTH_ALL;
	for (;;) {
		p += strspn(p, " \t,");
		if (!*p)
			break;
		n = strcspn(p, " \t,");
		str_lcpy(word, p, n + 1 < sizeof word ? n + 1 : sizeof word);
		p += n;
		set |= mech_word(word);
	}
	return set;
}

int auth_mechs_words(char *const *words, size_t n)
{
	size_t i;
	int set = 0;

	if (n == 0)
		return AUTH_ALL;
	for (i = 0; i < n; i++)
		set |= mech_word(words[i]);
	return set;
}

size_t auth_mechs_list(int set, char *dst, size_t max)
{
	size_t i, len = 0;

	if (max)
		dst[0] = 0;
	for (i = 0; i < NMECHS; i++) {
		if (!(set & mechs[i].mech))
			continue;
		if (len)
			len = str_lcat(dst, " ", max);
		len = str_lcat(dst, mechs[i].name, max);
	}
	return len;
}

int auth_mechs_server(char *const *v, size_t n, const char *virtual_users)
{
	int set = auth_mechs_words(v, n);

	return virtual_users && *virtual_users ? set : set & ~AUTH_CRAM_MD5;
}

int auth_offer(int set, const char *auth_options, int tls)
{
	int nocleartext = !auth_options || strchr(auth_options, 'p');

	return tls || !nocleartext ? set : set & ~AUTH_PLAINTEXT;
}

/* --- secrets ------------------------------------------------------- */

static int ct_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* Splits "{SCHEME}data" into SCHEME (upper case as written) and data;
 * no braces means CRYPT (Dovecot's passwd-file default). */
static const char *scheme_of(const char *secret, char *scheme, size_t max)
{
	const char *end;

	if (secret[0] == '{' && (end = strchr(secret, '}')) &&
			(size_t)(end - secret) < max) {
		str_lcpy(scheme, secret + 1, end - secret);
		return end + 1;
	}
	str_lcpy(scheme, "CRYPT", max);
	return secret;
}

/* Decodes exactly N bytes of hex (2N digits, then the end). */
static int unhex(const char *s, unsigned char *dst, size_t n)
{
	size_t i;
	int h, l;

	for (i = 0; i < n; i++) {
		h = str_hexval(s[2 * i]);
		l = h < 0 ? -1 : str_hexval(s[2 * i + 1]);
		if (l < 0)
			return -1;
		dst[i] = h << 4 | l;
	}
	return s[2 * n] ? -1 : 0;
}

/* RFC 2104 HMAC-MD5 keyed by the password: the inner and outer MD5
 * states after one block are what Dovecot's CRAM-MD5 scheme stores
 * (outer first, each as four little-endian words, BearSSL's MD5 state
 * encoding). */
static void cram_key(br_hmac_key_context *kc, const char *password)
{
	br_hmac_key_init(kc, &br_md5_vtable, password, strlen(password));
}

static int cram_key_stored(br_hmac_key_context *kc, const char *hex)
{
	unsigned char ctx[32];

	if (unhex(hex, ctx, sizeof ctx) < 0)
		return -1;
	memset(kc, 0, sizeof *kc);
	kc->dig_vtable = &br_md5_vtable;
	memcpy(kc->kso, ctx, 16);
	memcpy(kc->ksi, ctx + 16, 16);
	return 0;
}

int auth_cram_secret(const char *password, char *dst, size_t max)
{
	br_hmac_key_context kc;
	size_t i;

	if (max < 11 + 64)
		return -1;
	cram_key(&kc, password);
	str_lcpy(dst, "{CRAM-MD5}", max);
	for (i = 0; i < 32; i++)
		snprintf(dst + 10 + 2 * i, 3, "%02x",
			i < 16 ? kc.kso[i] : kc.ksi[i - 16]);
	memset(&kc, 0, sizeof kc);
	return 0;
}

/* A crypt(3) hash check.  *WHY says what failed. */
static int check_crypt(const char *hash, const char *password,
	const char **why)
{
	char got[PWHASH_MAX];
	int ok;

	if (!*hash) {
		*why = "empty password field (refused)";
		return AUTH_FAIL;
	}
	if (hash[0] == '!' || hash[0] == '*') {
		*why = "account locked";
		return AUTH_FAIL;
	}
	if (pwhash_crypt(password, hash, got, sizeof got, why) < 0)
		return AUTH_FAIL;
	*why = "bad password";
	ok = strlen(got) == strlen(hash) && ct_equal(got, hash, strlen(hash));
	memset(got, 0, sizeof got);
	return ok ? AUTH_SUCCESS : AUTH_FAIL;
}

static int check_secret(const char *secret, const char *password,
	const char **why)
{
	char scheme[32];
	const char *data = scheme_of(secret, scheme, sizeof scheme);
	br_hmac_key_context mine, stored;
	size_t n;
	int ok;

	*why = "bad password";
	if (!strcasecmp(scheme, "PLAIN") || !strcasecmp(scheme, "CLEARTEXT")) {
		/* compare as much as the longer one, then the lengths */
		n = strlen(data);
		ok = strlen(password) == n && ct_equal(data, password, n);
		return ok && n ? AUTH_SUCCESS : AUTH_FAIL;
	}
	if (!strcasecmp(scheme, "CRYPT") || !strcasecmp(scheme, "MD5-CRYPT") ||
			!strcasecmp(scheme, "SHA256-CRYPT") ||
			!strcasecmp(scheme, "SHA512-CRYPT") ||
			!strcasecmp(scheme, "BLF-CRYPT"))
		return check_crypt(data, password, why);
	if (!strcasecmp(scheme, "CRAM-MD5") ||
			!strcasecmp(scheme, "HMAC-MD5")) {
		if (cram_key_stored(&stored, data) < 0) {
			*why = "malformed CRAM-MD5 secret (64 hex digits)";
			return AUTH_FAIL;
		}
		cram_key(&mine, password);
		ok = ct_equal(mine.kso, stored.kso, 16) &
			ct_equal(mine.ksi, stored.ksi, 16);
		memset(&mine, 0, sizeof mine);
		return ok ? AUTH_SUCCESS : AUTH_FAIL;
	}
	*why = "unsupported password scheme (postbox has PLAIN, CRYPT, "
		"MD5-CRYPT, SHA256-CRYPT, SHA512-CRYPT, BLF-CRYPT, CRAM-MD5)";
	return AUTH_FAIL;
}

int auth_check(const char *secret, const char *password, const char *user)
{
	const char *why;
	int r = check_secret(secret, password, &why);

	if (r != AUTH_SUCCESS && strcmp(why, "bad password") != 0)
		log_msg(LOG_NOTICE, "auth: %s: %s", user ? user : "?", why);
	return r;
}

int auth_lookup_system(void *ctx, const char *user, char *secret,
	size_t max)
{
	struct passwd *pw;
	struct spwd *sp;
	const char *hash;

	errno = 0;
	if (!(pw = getpwnam(user))) {
		if (errno && errno != ENOENT && errno != ESRCH) {
			log_msg(LOG_ERR, "auth: getpwnam %s: %s", user,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	hash = pw->pw_passwd ? pw->pw_passwd : "";
	if (strcmp(hash, "x") == 0 || strcmp(hash, "*") == 0 || !*hash) {
		errno = 0;
		if ((sp = getspnam(user))) {
			hash = sp->sp_pwdp ? sp->sp_pwdp : "";
		} else if (errno == EACCES || errno == EPERM) {
			log_msg(LOG_ERR, "auth: cannot read /etc/shadow (%s): "
				"the server needs root or group shadow",
				strerror(errno));
			return -1;
		} else if (strcmp(hash, "x") == 0) {
			hash = "!";	/* no shadow entry: locked */
		}
	}
	if ((size_t)snprintf(secret, max, "{CRYPT}%s", hash) >= max) {
		log_msg(LOG_ERR, "auth: %s: password hash too long", user);
		return -1;
	}
	return 1;
}

int auth_lookup_vusers(void *ctx, const char *user, char *secret,
	size_t max)
{
	struct vusers_entry e;
	char err[300];
	int r;

	r = vusers_lookup(ctx, user, &e, err, sizeof err);
	if (r < 0) {
		log_msg(LOG_ERR, "auth: %s", err);
		return -1;
	}
	if (r == 0)
		return 0;
	/* an empty field is no password: "{CRYPT}" with nothing fails */
	r = str_lcpy(secret, e.pass[0] ? e.pass : "{CRYPT}", max) < max;
	memset(&e, 0, sizeof e);
	if (!r) {
		log_msg(LOG_ERR, "auth: %s: %s: password field too long",
			(const char *)ctx, user);
		return -1;
	}
	return 1;
}

/* --- SASL ---------------------------------------------------------- */

static void fail_log(struct auth *a, const char *user, const char *why)
{
	log_msg(LOG_NOTICE, "AUTH %s failed for %.*s from %s: %s",
		auth_mech_name(a->mech), AUTH_USER_MAX, *user ? user : "\"\"",
		a->client ? a->client : "?", why);
}

/* Names become log text and mailbox keys: no control characters. */
static int name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= AUTH_USER_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Looks the user up and checks the password. */
static int verify(struct auth *a, const char *user, const char *password)
{
	char secret[AUTH_SECRET_MAX];
	const char *why;
	int r;

	r = a->lookup(a->ctx, user, secret, sizeof secret);
	if (r < 0) {
		fail_log(a, user, "password back-end failed (temporary)");
		return AUTH_TEMPFAIL;
	}
	if (r == 0) {
		char dummy[PWHASH_MAX];

		if (pwhash_crypt(password, DUMMY_SALT, dummy, sizeof dummy,
				NULL) < 0)
			pwhash_crypt(password, DUMMY_SALT_SHA, dummy,
				sizeof dummy, NULL);
		fail_log(a, user, "unknown user");
		return AUTH_FAIL;
	}
	r = check_secret(secret, password, &why);
	memset(secret, 0, sizeof secret);
	if (r != AUTH_SUCCESS) {
		fail_log(a, user, why);
		return r;
	}
	str_lcpy(a->user, user, sizeof a->user);
	return AUTH_SUCCESS;
}

/* Decodes a response line; -1 for bad base64. */
static ssize_t decode(const char *line, char *dst, size_t max)
{
	size_t n = strlen(line);
	ssize_t r;

	if (n > AUTH_LINE_MAX)
		return -1;
	r = b64_decode(dst, max - 1, line, n, 0);
	if (r >= 0)
		dst[r] = 0;
	return r;
}

static int challenge(struct auth *a, const char *text)
{
	b64_encode(a->out, sizeof a->out, text, strlen(text));
	return AUTH_CONTINUE;
}

/* RFC 4616 2: message = [authzid] NUL authcid NUL passwd */
static int plain(struct auth *a, const char *msg, size_t n)
{
	const char *authz = msg, *authc, *pass, *nul;

	if (!(nul = memchr(msg, 0, n)))
		return AUTH_MALFORMED;
	authc = nul + 1;
	if (!(nul = memchr(authc, 0, n - (authc - msg))))
		return AUTH_MALFORMED;
	pass = nul + 1;
	if (memchr(pass, 0, n - (pass - msg)) || !*pass ||
			strlen(pass) >= AUTH_PASS_MAX ||
			!name_ok(authc, strlen(authc)))
		return AUTH_MALFORMED;
	if (*authz && strcmp(authz, authc) != 0) {
		fail_log(a, authc, "acting for another user (authzid) is not "
			"supported");
		return AUTH_FAIL;
	}
	return verify(a, authc, pass);
}

/* RFC 2195 2: the response is "user SP digest", the digest being
 * HMAC-MD5(secret, challenge) in 32 lower-case hex digits. */
static int cram(struct auth *a, const char *msg, size_t n)
{
	char secret[AUTH_SECRET_MAX], scheme[32], user[AUTH_USER_MAX];
	unsigned char want[16], got[16];
	const char *sp = strrchr(msg, ' '), *data;
	br_hmac_key_context kc;
	br_hmac_context hc;
	int r;

	if (!sp || strlen(msg) != n || !name_ok(msg, sp - msg) ||
			unhex(sp + 1, got, sizeof got) < 0)
		return AUTH_MALFORMED;
	str_lcpy(user, msg, sp - msg + 1);
	r = a->lookup(a->ctx, user, secret, sizeof secret);
	if (r < 0) {
		fail_log(a, user, "password back-end failed (temporary)");
		return AUTH_TEMPFAIL;
	}
	if (r == 0) {
		fail_log(a, user, "unknown user");
		return AUTH_FAIL;
	}
	data = scheme_of(secret, scheme, sizeof scheme);
	if (!strcasecmp(scheme, "PLAIN") || !strcasecmp(scheme, "CLEARTEXT")) {
		cram_key(&kc, data);
	} else if (!strcasecmp(scheme, "CRAM-MD5") ||
			!strcasecmp(scheme, "HMAC-MD5")) {
		if (cram_key_stored(&kc, data) < 0) {
			fail_log(a, user, "malformed CRAM-MD5 secret");
			return AUTH_FAIL;
		}
	} else {
		fail_log(a, user, "CRAM-MD5 needs a PLAIN or CRAM-MD5 secret; "
			"this user has a hash");
		memset(secret, 0, sizeof secret);
		return AUTH_FAIL;
	}
	memset(secret, 0, sizeof secret);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, a->challenge, strlen(a->challenge));
	br_hmac_out(&hc, want);
	memset(&kc, 0, sizeof kc);
	memset(&hc, 0, sizeof hc);
	if (!ct_equal(want, got, sizeof want)) {
		fail_log(a, user, "bad password");
		return AUTH_FAIL;
	}
	str_lcpy(a->user, user, sizeof a->user);
	return AUTH_SUCCESS;
}

int auth_step(struct auth *a, const char *line)
{
	char msg[AUTH_LINE_MAX / 4 * 3 + 4];
	ssize_t n;

	/* RFC 4954 4: "*" cancels the exchange */
	if (strcmp(line, "*") == 0) {
		a->step = 0;
		return AUTH_CANCEL;
	}
	if ((n = decode(line, msg, sizeof msg)) < 0)
		return AUTH_MALFORMED;
	switch (a->mech) {
	case AUTH_PLAIN:
		return plain(a, msg, n);
	case AUTH_CRAM_MD5:
		return cram(a, msg, n);
	case AUTH_LOGIN:
		if ((size_t)n != strlen(msg))
			return AUTH_MALFORMED;
		if (a->step == 1) {
			if (!name_ok(msg, n))
				return AUTH_MALFORMED;
			str_lcpy(a->user, msg, sizeof a->user);
			a->step = 2;
			return challenge(a, "Password:");
		}
		if (n == 0 || n >= AUTH_PASS_MAX)
			return AUTH_MALFORMED;
		/* verify fills a->user again on success */
		str_lcpy(msg + n + 1, a->user, sizeof msg - n - 1);
		a->user[0] = 0;
		n = verify(a, msg + n + 1, msg);
		memset(msg, 0, sizeof msg);
		return n;
	}
	return AUTH_MALFORMED;
}

int auth_start(struct auth *a, const char *mech, int allowed,
	const char *initial, const char *hostname, auth_lookup_fn lookup,
	void *ctx, const char *client)
{
	unsigned char rnd[8];
	unsigned long long r = 0;
	size_t i;

	memset(a, 0, sizeof *a);
	a->lookup = lookup;
	a->ctx = ctx;
	a->client = client;
	a->mech = auth_mech_byname(mech);
	if (!a->mech || !(a->mech & allowed))
		return AUTH_NOMECH;
	a->step = 1;
	if (a->mech == AUTH_CRAM_MD5) {
		/* RFC 4954 4: no initial response for a server-first one */
		if (initial)
			return AUTH_MALFORMED;
		/* RFC 2195 2: a unique challenge in msg-id form */
		if (getentropy(rnd, sizeof rnd) < 0)
			return AUTH_TEMPFAIL;
		for (i = 0; i < sizeof rnd; i++)
			r = r << 8 | rnd[i];
		snprintf(a->challenge, sizeof a->challenge, "<%llu.%lld@%.64s>",
			r, (long long)time(NULL), hostname ? hostname :
			"localhost");
		return challenge(a, a->challenge);
	}
	if (initial) {
		/* RFC 4954 4: "=" is an empty initial response */
		return auth_step(a, strcmp(initial, "=") == 0 ? "" : initial);
	}
	return challenge(a, a->mech == AUTH_LOGIN ? "Username:" : "");
}

unsigned auth_fail_delay_ms(unsigned failures)
{
	if (failures == 0)
		return 0;
	if (failures > 4)
		return 15000;
	return 1000u << (failures - 1);
}

void auth_fail_delay(unsigned failures, long first)
{
	/* FIRST at most an hour: the product fits in 32 bits */
	unsigned long ms = auth_fail_delay_ms(failures) *
		(unsigned long)(first <= 0 ? 0 : first > 3600 ? 3600 : first);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int auth_apop(const char *stamp, const char *user, const char *hex,
	auth_lookup_fn lookup, void *ctx, const char *client)
{
	char secret[AUTH_SECRET_MAX], *data = secret;
	unsigned char want[16], got[16];
	br_md5_context md;
	size_t i;
	int r;

	for (i = 0; i < 32; i++) {
		int h = str_hexval(hex[i]);

		if (h < 0)
			return AUTH_MALFORMED;
		got[i / 2] = (unsigned char)(i % 2 ? got[i / 2] << 4 | h : h);
	}
	if (hex[32] || !stamp[0])
		return AUTH_MALFORMED;
	r = lookup(ctx, user, secret, sizeof secret);
	if (r < 0)
		return AUTH_TEMPFAIL;
	if (r == 0) {
		log_msg(LOG_NOTICE, "APOP failed for %s from %s: no such "
			"user", user, client);
		return AUTH_FAIL;
	}
	if (str_istarts(secret, "{PLAIN}"))
		data = secret + 7;
	else if (str_istarts(secret, "{CLEARTEXT}"))
		data = secret + 11;
	if (data == secret || !*data) {
		log_msg(LOG_NOTICE, "APOP refused for %s from %s: %s; APOP "
			"needs a {PLAIN} password in PostboxVirtualUsers",
			user, client, data == secret ? "the password is "
			"stored as a hash" : "empty password");
		explicit_bzero(secret, sizeof secret);
		return AUTH_NOMECH;
	}
	br_md5_init(&md);
	br_md5_update(&md, stamp, strlen(stamp));
	br_md5_update(&md, data, strlen(data));
	br_md5_out(&md, want);
	explicit_bzero(secret, sizeof secret);
	explicit_bzero(&md, sizeof md);
	if (!ct_equal(want, got, sizeof want)) {
		log_msg(LOG_NOTICE, "APOP failed for %s from %s: bad digest",
			user, client);
		return AUTH_FAIL;
	}
	return AUTH_SUCCESS;
}
