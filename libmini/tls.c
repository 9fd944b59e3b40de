/* tls: TLS 1.2 on BearSSL behind the io transport (see tls.h). */
#include "libmini.h"
#include <bearssl.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define PEM_FILE_MAX	(1UL << 20)	/* a certificate chain or a key */
#define CA_FILE_MAX	(8UL << 20)	/* a CA bundle (Debian's: 220 KB) */
#define DER_MAX		(64UL << 10)	/* one certificate or key */
#define CHAIN_MAX	10		/* certificates in a server chain */
#define ANCHORS_MAX	4096
#define OUT_PAYLOAD	4096		/* plaintext per record we send */

/* The suites, in the server's order of preference, with OpenSSL's names
 * (RFC 5289, RFC 7905).  All ECDHE (forward secret), all AEAD. */
static const struct suite {
	uint16_t id;
	unsigned short bits;
	const char *name;
} suites[] = {
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 256,
		"ECDHE-ECDSA-AES256-GCM-SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, 256,
		"ECDHE-RSA-AES256-GCM-SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 256,
		"ECDHE-ECDSA-CHACHA20-POLY1305" },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 256,
		"ECDHE-RSA-CHACHA20-POLY1305" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 128,
		"ECDHE-ECDSA-AES128-GCM-SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 128,
		"ECDHE-RSA-AES128-GCM-SHA256" },
};
#define NSUITES (sizeof suites / sizeof suites[0])

/* A certificate chain with its private key (server, or client auth). */
struct keypair {
	br_x509_certificate chain[CHAIN_MAX];
	size_t nchain;
	int key_type;			/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	unsigned issuer_key_type;	/* who signed the first certificate */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *keymem;		/* the key's numbers */
};

/* The server's session cache (README.md "TLS session resumption"): one
 * anonymous shared mapping made by the listener before it forks, so that
 * every session process finds the sessions of the others.  Buckets of
 * SC_WAYS entries chosen by the session ID (random, 32 bytes, made by
 * BearSSL), the least recently used entry of a full bucket evicted.
 * Never on disk: locked in memory when the process may (root), kept out
 * of core dumps, scrubbed when its config is freed. */
#define SC_WAYS		4
#define SC_MAX		(1U << 18)	/* entries (25 MB) */

struct sc_entry {
	unsigned char id[32];
	unsigned char secret[48];
	uint16_t version, suite;
	uint32_t used;			/* sc->tick of the last use */
	long long born;			/* CLOCK_MONOTONIC s; 0: empty */
};

struct scache {
	pthread_mutex_t lock;		/* robust, process-shared */
	long timeout;			/* seconds */
	unsigned nbuckets;
	uint32_t tick;
	struct sc_entry e[];		/* nbuckets * SC_WAYS */
};

struct tls_server_config {
	struct keypair kp;
	struct scache *cache;		/* NULL: no resumption */
	size_t cache_size;		/* the mapping's bytes */
	struct tls_server_config *next;	/* configs_with_cache */
};

/* This process's configs that have a cache (tls_server_caches_drop). */
static struct tls_server_config *configs_with_cache;

/* The client's sessions, per destination (host name, or address, and
 * port), in the run's own memory. */
#define CC_ENTRIES	32
#define CC_KEY		(256 + 8)

struct cc_entry {
	char key[CC_KEY];		/* "" empty */
	br_ssl_session_parameters p;
	int verify;			/* the full handshake's verdict */
	long long born;
};

struct tls_client_config {
	br_x509_trust_anchor *ta;
	size_t nta, cap;
	struct keypair *kp;		/* client certificate, or NULL */
	struct cc_entry *cc;		/* CC_ENTRIES, or NULL: none yet */
	uint32_t cc_tick;
};

/* A server session's handle on the shared cache: BearSSL's vtable. */
struct sc_ref {
	const br_ssl_session_cache_class *vtable;
	struct scache *c;
	int loaded, saved;
};

/* The client's certificate check: BearSSL's minimal X.509 engine, wrapped
 * so that opportunistic TLS can go on after a failed verification with
 * the server's key taken from its certificate. */
struct verifier {
	const br_x509_class *vtable;
	br_x509_minimal_context minimal;
	br_x509_decoder_context ee;	/* the end-entity certificate */
	unsigned ncert;
	unsigned err;			/* the minimal engine's verdict */
	int opportunistic, anchors;
};

struct tls {
	union {
		br_ssl_server_context s;
		br_ssl_client_context c;
	} u;
	br_ssl_engine_context *eng;
	struct io *r, *w;		/* the protocol's ios */
	struct io raw_r, raw_w;		/* the fds, for records */
	char dummy[2];
	size_t accepted;		/* plaintext taken, records not out */
	int verify;
	int ioerr;			/* errno of a failed read or write */
	int first;			/* the first byte received, or -1 */
	int truncated;			/* end of file without close_notify */
	struct verifier *xv;
	unsigned char *ibuf, *obuf;
	struct sc_ref sc;		/* server: the session cache */
	int resumed;
};

/* --- messages ------------------------------------------------------ */

static const char *alert_name(int a)
{
	switch (a) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 112: return "unrecognized_name";
	}
	return "?";
}

static const char *x509_reason(unsigned e)
{
	switch (e) {
	case BR_ERR_X509_EXPIRED:
		return "certificate expired or not yet valid";
	case BR_ERR_X509_BAD_SERVER_NAME:
		return "certificate does not match the host name";
	case BR_ERR_X509_NOT_TRUSTED:
		return "certificate chain does not end at a trusted CA";
	case BR_ERR_X509_BAD_SIGNATURE:
		return "bad certificate signature";
	case BR_ERR_X509_NOT_CA:
		return "an issuer is not a CA";
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		return "weak public key";
	case BR_ERR_X509_UNSUPPORTED:
		return "unsupported certificate algorithm";
	case BR_ERR_X509_CRITICAL_EXTENSION:
		return "unknown critical extension";
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
		return "key usage forbids TLS";
	case BR_ERR_X509_EMPTY_CHAIN:
		return "no certificate";
	case BR_ERR_X509_TIME_UNKNOWN:
		return "no clock to check the validity dates";
	}
	return "undecodable certificate";
}

static void engine_reason(int e, char *err, size_t errmax)
{
	const char *s;

	if (e >= BR_ERR_SEND_FATAL_ALERT) {
		e -= BR_ERR_SEND_FATAL_ALERT;
		/* the two a mail server sees from old or odd clients */
		s = e == 70 ? "peer offers no TLS 1.2; " : e == 40 ?
			"no common cipher suite (only ECDHE with AES-GCM or "
			"ChaCha20 here); " : "";
		snprintf(err, errmax, "%ssent alert %d (%s)", s, e,
			alert_name(e));
		return;
	}
	if (e >= BR_ERR_RECV_FATAL_ALERT) {
		snprintf(err, errmax, "received alert %d (%s)",
			e - BR_ERR_RECV_FATAL_ALERT,
			alert_name(e - BR_ERR_RECV_FATAL_ALERT));
		return;
	}
	if (e >= BR_ERR_X509_OK) {
		snprintf(err, errmax, "certificate verification failed: %s",
			x509_reason(e));
		return;
	}
	switch (e) {
	case BR_ERR_UNSUPPORTED_VERSION:
	case BR_ERR_BAD_VERSION:
		s = "peer offers no TLS 1.2";
		break;
	case BR_ERR_BAD_CIPHER_SUITE:
		s = "no common cipher suite";
		break;
	case BR_ERR_NO_RANDOM:
		s = "no entropy";
		break;
	case BR_ERR_BAD_MAC:
		s = "bad record MAC";
		break;
	case BR_ERR_BAD_SIGNATURE:
		s = "bad handshake signature";
		break;
	case BR_ERR_WRONG_KEY_USAGE:
		s = "certificate key usage does not fit the suite";
		break;
	case BR_ERR_BAD_SNI:
		s = "bad server name indication";
		break;
	case BR_ERR_TOO_LARGE:
	case BR_ERR_BAD_LENGTH:
	case BR_ERR_BAD_FRAGLEN:
		s = "bad record length";
		break;
	case BR_ERR_UNKNOWN_TYPE:
		s = "not TLS (unknown record type)";
		break;
	case BR_ERR_IO:
		s = "I/O error";
		break;
	default:
		snprintf(err, errmax, "TLS protocol error %d", e);
		return;
	}
	str_lcpy(err, s, errmax);
}

/* --- PEM files ----------------------------------------------------- */

/* One decoded PEM object, handed to a callback with its name. */
typedef int (*pem_fn)(void *ctx, const char *name, const unsigned char *der,
	size_t len, char *err, size_t errmax);

static void pem_append(void *ctx, const void *p, size_t n)
{
	buf_add(ctx, p, n);	/* a failure (E2BIG) shows in the length */
}

/* If the line [P, EOL) is "-----WORD LABEL-----" (blanks and a CR after
 * it allowed), copies LABEL into NAME (MAX bytes) and returns 1. */
static int pem_marker(const char *p, const char *eol, const char *word,
	char *name, size_t max)
{
	size_t wl = strlen(word), n;

	while (eol > p && (eol[-1] == '\r' || eol[-1] == ' ' ||
			eol[-1] == '\t'))
		eol--;
	if ((size_t)(eol - p) < 5 + wl + 5 || memcmp(p, "-----", 5) != 0 ||
			memcmp(p + 5, word, wl) != 0 ||
			memcmp(eol - 5, "-----", 5) != 0)
		return 0;
	n = (size_t)(eol - 5 - (p + 5 + wl));
	if (n >= max)
		n = max - 1;
	memcpy(name, p + 5 + wl, n);
	name[n] = 0;
	return 1;
}

/*
 * Decodes every PEM object (RFC 7468) of the LEN bytes at DATA, calling FN
 * for each; text between objects is skipped.  Returns the number of
 * objects, or -1 with a message in ERR.  Our own scan and libmini's b64
 * rather than BearSSL's br_pem_decoder: that one runs in BearSSL's T0
 * interpreter and took 25 ms for Debian's 220 KB CA bundle, which the
 * SMTP client loads for every delivery process.  RFC 1421 headers
 * ("Proc-Type: 4,ENCRYPTED") are not base64: such a body is refused.
 */
static int pem_each(const char *path, const char *data, size_t len,
	pem_fn fn, void *ctx, char *err, size_t errmax)
{
	const char *p = data, *end = data + len, *eol, *body;
	unsigned char *der = malloc(DER_MAX);
	char name[128], ename[128];
	int count = 0, r = -1;
	ssize_t n;

	if (!der) {
		snprintf(err, errmax, "%s: out of memory", path);
		return -1;
	}
	while (p < end) {
		if (!(eol = memchr(p, '\n', (size_t)(end - p))))
			eol = end;
		if (!pem_marker(p, eol, "BEGIN ", name, sizeof name)) {
			p = eol + 1;
			continue;
		}
		/* the body: every line up to the "-----END ...-----" one */
		body = p = eol < end ? eol + 1 : end;
		for (;;) {
			if (p >= end) {
				snprintf(err, errmax, "%s: truncated PEM object",
					path);
				goto out;
			}
			if (!(eol = memchr(p, '\n', (size_t)(end - p))))
				eol = end;
			if (pem_marker(p, eol, "END ", ename, sizeof ename))
				break;
			p = eol + 1;
		}
		n = b64_decode(der, DER_MAX, body, (size_t)(p - body),
			B64_SPACE);
		if (n <= 0) {
			if (n == 0)
				snprintf(err, errmax, "%s: %s: empty object",
					path, name);
			else if (errno == E2BIG)
				snprintf(err, errmax, "%s: %s: object too large",
					path, name);
			else
				snprintf(err, errmax, "%s: bad PEM data (an "
					"encrypted key, or a damaged file)",
					path);
			goto out;
		}
		if (fn(ctx, name, der, (size_t)n, err, errmax) < 0)
			goto out;
		count++;
		p = eol + 1;
	}
	r = count;
out:
	free(der);
	return r;
}

static void keypair_free(struct keypair *kp)
{
	size_t i;

	if (!kp)
		return;
	for (i = 0; i < kp->nchain; i++)
		free(kp->chain[i].data);
	free(kp->keymem);
	memset(kp, 0, sizeof *kp);
}

static int chain_add(void *ctx, const char *name, const unsigned char *der,
	size_t len, char *err, size_t errmax)
{
	struct keypair *kp = ctx;

	if (strcmp(name, "CERTIFICATE") != 0 &&
			strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;	/* a key in the same file, or parameters */
	if (kp->nchain == CHAIN_MAX) {
		snprintf(err, errmax, "more than %d certificates", CHAIN_MAX);
		return -1;
	}
	kp->chain[kp->nchain].data = malloc(len);
	if (!kp->chain[kp->nchain].data) {
		snprintf(err, errmax, "out of memory");
		return -1;
	}
	memcpy(kp->chain[kp->nchain].data, der, len);
	kp->chain[kp->nchain].data_len = len;
	kp->nchain++;
	return 0;
}

/* Copies N bytes at P to *DST, moving DST on. */
static unsigned char *put(unsigned char **dst, const void *p, size_t n)
{
	unsigned char *at = *dst;

	memcpy(at, p, n);
	*dst += n;
	return at;
}

static int key_add(void *ctx, const char *name, const unsigned char *der,
	size_t len, char *err, size_t errmax)
{
	struct keypair *kp = ctx;
	br_skey_decoder_context *dc;
	const br_rsa_private_key *rk;
	const br_ec_private_key *ek;
	unsigned char *p;
	int r = -1;

	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
		snprintf(err, errmax, "encrypted private keys are not "
			"supported (decrypt it with openssl pkey)");
		return -1;
	}
	if (strcmp(name, "RSA PRIVATE KEY") != 0 &&
			strcmp(name, "EC PRIVATE KEY") != 0 &&
			strcmp(name, "PRIVATE KEY") != 0)
		return 0;	/* certificates, EC PARAMETERS */
	if (kp->key_type) {
		snprintf(err, errmax, "more than one private key");
		return -1;
	}
	dc = malloc(sizeof *dc);
	if (!dc) {
		snprintf(err, errmax, "out of memory");
		return -1;
	}
	br_skey_decoder_init(dc);
	br_skey_decoder_push(dc, der, len);
	if (br_skey_decoder_last_error(dc) != 0) {
		snprintf(err, errmax, "%s: cannot decode the key (BearSSL "
			"error %d)", name, br_skey_decoder_last_error(dc));
		goto out;
	}
	kp->key_type = br_skey_decoder_key_type(dc);
	if ((rk = br_skey_decoder_get_rsa(dc))) {
		p = kp->keymem = malloc(rk->plen + rk->qlen + rk->dplen +
			rk->dqlen + rk->iqlen);
		if (!p)
			goto nomem;
		kp->rsa = *rk;
		kp->rsa.p = put(&p, rk->p, rk->plen);
		kp->rsa.q = put(&p, rk->q, rk->qlen);
		kp->rsa.dp = put(&p, rk->dp, rk->dplen);
		kp->rsa.dq = put(&p, rk->dq, rk->dqlen);
		kp->rsa.iq = put(&p, rk->iq, rk->iqlen);
	} else if ((ek = br_skey_decoder_get_ec(dc))) {
		p = kp->keymem = malloc(ek->xlen);
		if (!p)
			goto nomem;
		kp->ec = *ek;
		kp->ec.x = put(&p, ek->x, ek->xlen);
	} else {
		snprintf(err, errmax, "unsupported key type");
		goto out;
	}
	r = 0;
	goto out;
nomem:
	snprintf(err, errmax, "out of memory");
out:
	memset(dc, 0, sizeof *dc);	/* the key's numbers */
	free(dc);
	return r;
}

/* Strips leading zero bytes of a big-endian number. */
static const unsigned char *unpad(const unsigned char *p, size_t *n)
{
	while (*n > 0 && *p == 0) {
		p++;
		(*n)--;
	}
	return p;
}

/* Whether the key belongs to the first certificate: the certificate's
 * public key must be the one the private key computes.  Also learns the
 * issuer's key type (for br_ssl_server_set_single_ec). */
static int keypair_check(struct keypair *kp, char *err, size_t errmax)
{
	br_x509_decoder_context *dc = malloc(sizeof *dc);
	const br_x509_pkey *pk;
	unsigned char *mine = NULL;
	const unsigned char *a, *b;
	size_t alen, blen;
	br_ec_public_key ecpub;
	int ok = 0;

	if (!dc) {
		snprintf(err, errmax, "out of memory");
		return -1;
	}
	br_x509_decoder_init(dc, 0, 0);
	br_x509_decoder_push(dc, kp->chain[0].data, kp->chain[0].data_len);
	pk = br_x509_decoder_get_pkey(dc);
	if (!pk) {
		snprintf(err, errmax, "cannot decode the first certificate "
			"(BearSSL error %d)", br_x509_decoder_last_error(dc));
		goto out;
	}
	kp->issuer_key_type = br_x509_decoder_get_signer_key_type(dc);
	if (pk->key_type != kp->key_type) {
		snprintf(err, errmax, "the key is %s, the certificate's is %s",
			kp->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC",
			pk->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC");
		goto out;
	}
	if (kp->key_type == BR_KEYTYPE_RSA) {
		br_rsa_compute_modulus mod;

		mod = br_rsa_compute_modulus_get_default();

		alen = mod(NULL, &kp->rsa);
		if (!(mine = malloc(alen ? alen : 1)))
			goto nomem;
		alen = mod(mine, &kp->rsa);
		a = unpad(mine, &alen);
		blen = pk->key.rsa.nlen;
		b = unpad(pk->key.rsa.n, &blen);
		ok = alen && alen == blen && memcmp(a, b, alen) == 0;
	} else {
		if (!(mine = malloc(BR_EC_KBUF_PUB_MAX_SIZE)))
			goto nomem;
		alen = br_ec_compute_pub(br_ec_get_default(), &ecpub, mine,
			&kp->ec);
		ok = alen && ecpub.curve == pk->key.ec.curve &&
			alen == pk->key.ec.qlen &&
			memcmp(mine, pk->key.ec.q, alen) == 0;
	}
	if (!ok)
		snprintf(err, errmax, "the private key does not match the "
			"certificate");
	goto out;
nomem:
	snprintf(err, errmax, "out of memory");
out:
	free(mine);
	free(dc);
	return ok ? 0 : -1;
}

static int keypair_load(struct keypair *kp, const char *certfile,
	const char *keyfile, char *err, size_t errmax)
{
	char *data = NULL, sub[200];
	size_t len;

	memset(kp, 0, sizeof *kp);
	if (!certfile || !*certfile) {
		snprintf(err, errmax, "no certificate file given");
		return -1;
	}
	if (!keyfile || !*keyfile)
		keyfile = certfile;	/* one PEM file with both */
	if (file_read_all(certfile, PEM_FILE_MAX, &data, &len) < 0) {
		snprintf(err, errmax, "%s: %s", certfile, strerror(errno));
		return -1;
	}
	if (pem_each(certfile, data, len, chain_add, kp, err, errmax) < 0)
		goto fail;
	if (kp->nchain == 0) {
		snprintf(err, errmax, "%s: no CERTIFICATE in the file",
			certfile);
		goto fail;
	}
	free(data);
	data = NULL;
	if (file_read_all(keyfile, PEM_FILE_MAX, &data, &len) < 0) {
		snprintf(err, errmax, "%s: %s", keyfile, strerror(errno));
		goto fail;
	}
	if (pem_each(keyfile, data, len, key_add, kp, sub, sizeof sub) < 0) {
		snprintf(err, errmax, "%s: %s", keyfile, sub);
		goto fail;
	}
	if (!kp->key_type) {
		snprintf(err, errmax, "%s: no private key in the file",
			keyfile);
		goto fail;
	}
	if (keypair_check(kp, sub, sizeof sub) < 0) {
		snprintf(err, errmax, "%s: %s", certfile, sub);
		goto fail;
	}
	memset(data, 0, len);
	free(data);
	return 0;
fail:
	if (data)
		memset(data, 0, len);
	free(data);
	keypair_free(kp);
	return -1;
}

static long long mono_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec + 1;	/* never 0 (empty) */
}

/* Unmaps CFG's cache; WIPE: scrubs it first, for every process. */
static void cache_unmap(struct tls_server_config *cfg, int wipe)
{
	struct tls_server_config **pp;

	if (!cfg->cache)
		return;
	if (wipe) {
		/* sessions may still run on it: under the lock */
		if (pthread_mutex_lock(&cfg->cache->lock) == EOWNERDEAD)
			pthread_mutex_consistent(&cfg->cache->lock);
		memset(cfg->cache->e, 0, (size_t)cfg->cache->nbuckets *
			SC_WAYS * sizeof(struct sc_entry));
		pthread_mutex_unlock(&cfg->cache->lock);
	}
	munmap(cfg->cache, cfg->cache_size);
	cfg->cache = NULL;
	for (pp = &configs_with_cache; *pp; pp = &(*pp)->next)
		if (*pp == cfg) {
			*pp = cfg->next;
			break;
		}
}

int tls_server_config_cache(struct tls_server_config *cfg, unsigned entries,
	long timeout, char *err, size_t errmax)
{
	pthread_mutexattr_t ma;
	struct scache *c;
	unsigned nb;
	size_t size;

	cache_unmap(cfg, 1);
	if (entries == 0 || timeout <= 0)
		return 0;
	if (entries > SC_MAX)
		entries = SC_MAX;
	nb = (entries + SC_WAYS - 1) / SC_WAYS;
	size = sizeof *c + (size_t)nb * SC_WAYS * sizeof(struct sc_entry);
	c = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED |
		MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED) {
		snprintf(err, errmax, "TLS session cache: mmap: %s",
			strerror(errno));
		return -1;
	}
	/* the master secrets never go to swap (when allowed) or cores */
	(void)mlock(c, size);
	(void)madvise(c, size, MADV_DONTDUMP);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	if (pthread_mutex_init(&c->lock, &ma) != 0) {
		pthread_mutexattr_destroy(&ma);
		munmap(c, size);
		snprintf(err, errmax, "TLS session cache: no shared lock");
		return -1;
	}
	pthread_mutexattr_destroy(&ma);
	c->timeout = timeout;
	c->nbuckets = nb;
	cfg->cache = c;
	cfg->cache_size = size;
	cfg->next = configs_with_cache;
	configs_with_cache = cfg;
	return 0;
}

void tls_server_caches_drop(void)
{
	while (configs_with_cache)
		cache_unmap(configs_with_cache, 0);
}

/* Takes the cache's lock; a session that died holding it may have left
 * a half-written entry: all are forgotten then.  0, or -1. */
static int sc_lock(struct scache *c)
{
	int r = pthread_mutex_lock(&c->lock);

	if (r == EOWNERDEAD) {
		memset(c->e, 0, (size_t)c->nbuckets * SC_WAYS *
			sizeof c->e[0]);
		pthread_mutex_consistent(&c->lock);
		return 0;
	}
	return r == 0 ? 0 : -1;
}

static struct sc_entry *sc_bucket(struct scache *c, const unsigned char *id)
{
	uint32_t h = (uint32_t)id[0] | (uint32_t)id[1] << 8 |
		(uint32_t)id[2] << 16 | (uint32_t)id[3] << 24;

	return &c->e[(size_t)(h % c->nbuckets) * SC_WAYS];
}

static void sc_save(const br_ssl_session_cache_class **ctx,
	br_ssl_server_context *server, const br_ssl_session_parameters *p)
{
	struct sc_ref *ref = (struct sc_ref *)(void *)ctx;
	struct scache *c = ref->c;
	struct sc_entry *b, *e;
	long long now = mono_secs();
	size_t i;

	(void)server;
	ref->saved = 1;
	if (p->session_id_len != 32 || sc_lock(c) < 0)
		return;
	b = sc_bucket(c, p->session_id);
	e = &b[0];
	for (i = 0; i < SC_WAYS; i++) {
		if (!b[i].born || now - b[i].born >= c->timeout) {
			e = &b[i];	/* empty or expired */
			break;
		}
		if (b[i].used - e->used > UINT32_MAX / 2)
			e = &b[i];	/* used longer ago (wraps) */
	}
	memcpy(e->id, p->session_id, 32);
	memcpy(e->secret, p->master_secret, 48);
	e->version = p->version;
	e->suite = p->cipher_suite;
	e->born = now;
	e->used = ++c->tick;
	pthread_mutex_unlock(&c->lock);
}

static int sc_load(const br_ssl_session_cache_class **ctx,
	br_ssl_server_context *server, br_ssl_session_parameters *p)
{
	struct sc_ref *ref = (struct sc_ref *)(void *)ctx;
	struct scache *c = ref->c;
	struct sc_entry *b;
	long long now = mono_secs();
	size_t i;
	int found = 0;

	(void)server;
	if (p->session_id_len != 32 || sc_lock(c) < 0)
		return 0;
	b = sc_bucket(c, p->session_id);
	for (i = 0; i < SC_WAYS; i++) {
		if (!b[i].born || memcmp(b[i].id, p->session_id, 32) != 0)
			continue;
		if (now - b[i].born >= c->timeout) {
			memset(&b[i], 0, sizeof b[i]);	/* expired */
			break;
		}
		memcpy(p->master_secret, b[i].secret, 48);
		p->version = b[i].version;
		p->cipher_suite = b[i].suite;
		b[i].used = ++c->tick;
		found = 1;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	ref->loaded = found;
	return found;
}

static const br_ssl_session_cache_class sc_vtable = {
	sizeof(struct sc_ref), sc_save, sc_load
};

struct tls_server_config *tls_server_config_new(const char *certfile,
	const char *keyfile, char *err, size_t errmax)
{
	struct tls_server_config *cfg = calloc(1, sizeof *cfg);
	unsigned char probe[16];

	if (!cfg) {
		snprintf(err, errmax, "out of memory");
		return NULL;
	}
	/* fail at start-up, not in the first session, if there is none */
	if (getentropy(probe, sizeof probe) < 0) {
		snprintf(err, errmax, "getentropy: %s", strerror(errno));
		free(cfg);
		return NULL;
	}
	if (keypair_load(&cfg->kp, certfile, keyfile, err, errmax) < 0) {
		free(cfg);
		return NULL;
	}
	if (tls_server_config_cache(cfg, TLS_CACHE_ENTRIES, TLS_CACHE_TIMEOUT,
			err, errmax) < 0) {
		tls_server_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void tls_server_config_free(struct tls_server_config *cfg)
{
	if (!cfg)
		return;
	cache_unmap(cfg, 1);
	keypair_free(&cfg->kp);
	free(cfg);
}

/* --- trust anchors ------------------------------------------------- */

/* One DER element at *P (before END): its tag, its content in C/CLEN,
 * *P moved past it (ELEM, when not NULL, gets the element's start).
 * Definite lengths of up to 3 octets only (X.690 10.1); 0 or -1. */
static int der_next(const unsigned char **p, const unsigned char *end,
	unsigned *tag, const unsigned char **c, size_t *clen)
{
	size_t l, n, i;

	if (end - *p < 2 || ((*p)[0] & 0x1f) == 0x1f)
		return -1;
	*tag = (*p)[0];
	l = (*p)[1];
	*p += 2;
	if (l & 0x80) {
		n = l & 0x7f;
		if (n == 0 || n > 3 || (size_t)(end - *p) < n)
			return -1;
		for (l = 0, i = 0; i < n; i++)
			l = l << 8 | (*p)[i];
		*p += n;
	}
	if (l > (size_t)(end - *p))
		return -1;
	*c = *p;
	*clen = l;
	*p += l;
	return 0;
}

/* An INTEGER's content as an unsigned number without leading zeros. */
static int der_uint(const unsigned char *c, size_t n,
	const unsigned char **v, size_t *vlen)
{
	if (n == 0 || (c[0] & 0x80))
		return -1;	/* empty, or negative */
	while (n > 1 && c[0] == 0) {
		c++;
		n--;
	}
	*v = c;
	*vlen = n;
	return 0;
}

static int der_is(const unsigned char *c, size_t n, const char *oid,
	size_t oidlen)
{
	return n == oidlen && memcmp(c, oid, n) == 0;
}

#define OID_RSA		"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
#define OID_EC		"\x2a\x86\x48\xce\x3d\x02\x01"
#define OID_P256	"\x2a\x86\x48\xce\x3d\x03\x01\x07"
#define OID_P384	"\x2b\x81\x04\x00\x22"
#define OID_P521	"\x2b\x81\x04\x00\x23"
#define OID_BASIC	"\x55\x1d\x13"

/* SubjectPublicKeyInfo (RFC 5280 4.1.2.7; RFC 3279 2.3.1, RFC 5480 2). */
static int spki_parts(const unsigned char *c, size_t n,
	struct tls_cert_parts *o)
{
	const unsigned char *p = c, *end = c + n, *a, *alg, *k, *q, *kend;
	size_t alen, alglen, klen, ql;
	unsigned tag;

	if (der_next(&p, end, &tag, &a, &alen) < 0 || tag != 0x30 ||
	    der_next(&p, end, &tag, &k, &klen) < 0 || tag != 0x03 ||
	    klen < 2 || k[0] != 0)
		return -1;
	k++;		/* the BIT STRING's unused-bits octet */
	klen--;
	end = a + alen;
	if (der_next(&a, end, &tag, &alg, &alglen) < 0 || tag != 0x06)
		return -1;
	if (der_is(alg, alglen, OID_RSA, sizeof OID_RSA - 1)) {
		o->key_type = BR_KEYTYPE_RSA;
		kend = k + klen;
		if (der_next(&k, kend, &tag, &q, &ql) < 0 || tag != 0x30)
			return -1;
		kend = q + ql;
		if (der_next(&q, kend, &tag, &k, &klen) < 0 || tag != 0x02 ||
		    der_uint(k, klen, &o->n, &o->nlen) < 0 ||
		    der_next(&q, kend, &tag, &k, &klen) < 0 || tag != 0x02 ||
		    der_uint(k, klen, &o->e, &o->elen) < 0)
			return -1;
		return 0;
	}
	if (!der_is(alg, alglen, OID_EC, sizeof OID_EC - 1) ||
	    der_next(&a, end, &tag, &alg, &alglen) < 0 || tag != 0x06)
		return -1;
	if (der_is(alg, alglen, OID_P256, sizeof OID_P256 - 1))
		o->curve = BR_EC_secp256r1;
	else if (der_is(alg, alglen, OID_P384, sizeof OID_P384 - 1))
		o->curve = BR_EC_secp384r1;
	else if (der_is(alg, alglen, OID_P521, sizeof OID_P521 - 1))
		o->curve = BR_EC_secp521r1;
	else
		return -1;
	o->key_type = BR_KEYTYPE_EC;
	o->q = k;
	o->qlen = klen;
	return 0;
}

/* Extensions (RFC 5280 4.1.2.9): basicConstraints' cA (4.2.1.9).  1, 0,
 * or -1 (malformed). */
static int ext_ca(const unsigned char *c, size_t n)
{
	const unsigned char *p = c, *end = c + n, *e, *eend, *v, *bc;
	size_t elen, vlen, bclen;
	unsigned tag;

	if (der_next(&p, end, &tag, &c, &n) < 0 || tag != 0x30)
		return -1;
	p = c;
	end = c + n;
	while (p < end) {
		if (der_next(&p, end, &tag, &e, &elen) < 0 || tag != 0x30)
			return -1;
		eend = e + elen;
		if (der_next(&e, eend, &tag, &v, &vlen) < 0 || tag != 0x06)
			return -1;
		if (!der_is(v, vlen, OID_BASIC, sizeof OID_BASIC - 1))
			continue;
		/* critical BOOLEAN (optional), then the OCTET STRING */
		if (der_next(&e, eend, &tag, &v, &vlen) < 0 ||
		    (tag == 0x01 && der_next(&e, eend, &tag, &v, &vlen) < 0) ||
		    tag != 0x04 ||
		    der_next(&v, v + vlen, &tag, &bc, &bclen) < 0 ||
		    tag != 0x30)
			return -1;
		/* cA BOOLEAN DEFAULT FALSE first; DER's TRUE is 0xff */
		return bclen >= 3 && bc[0] == 0x01 && bc[1] == 1 && bc[2] != 0;
	}
	return 0;
}

int tls_cert_parts(const unsigned char *der, size_t len,
	struct tls_cert_parts *o)
{
	const unsigned char *p = der, *end = der + len, *c, *tbs, *start;
	size_t n, tlen;
	unsigned tag;
	int i;

	memset(o, 0, sizeof *o);
	if (der_next(&p, end, &tag, &c, &n) < 0 || tag != 0x30)
		return -1;
	p = c;
	end = c + n;
	if (der_next(&p, end, &tag, &tbs, &tlen) < 0 || tag != 0x30)
		return -1;
	p = tbs;
	end = tbs + tlen;
	/* [0] version, serial, signature, issuer, validity, subject */
	if (der_next(&p, end, &tag, &c, &n) < 0)
		return -1;
	if (tag == 0xa0 && der_next(&p, end, &tag, &c, &n) < 0)
		return -1;
	if (tag != 0x02)
		return -1;
	for (i = 0; i < 3; i++)
		if (der_next(&p, end, &tag, &c, &n) < 0 || tag != 0x30)
			return -1;
	start = p;
	if (der_next(&p, end, &tag, &c, &n) < 0 || tag != 0x30)
		return -1;
	o->dn = start;
	o->dnlen = (size_t)(p - start);
	if (der_next(&p, end, &tag, &c, &n) < 0 || tag != 0x30 ||
	    spki_parts(c, n, o) < 0)
		return -1;
	/* [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions */
	while (p < end) {
		if (der_next(&p, end, &tag, &c, &n) < 0)
			return -1;
		if (tag == 0xa3) {
			if ((o->ca = ext_ca(c, n)) < 0)
				return -1;
		}
	}
	return 0;
}

static int anchor_add(void *ctx, const char *name, const unsigned char *der,
	size_t len, char *err, size_t errmax)
{
	struct tls_client_config *cfg = ctx;
	br_x509_decoder_context *dc;
	struct buf dn = BUF_INIT(8192);
	struct tls_cert_parts cp;
	br_x509_pkey fast;
	const br_x509_pkey *pk;
	int isca;
	br_x509_trust_anchor *ta;
	unsigned char *p;
	size_t klen;

	if (strcmp(name, "CERTIFICATE") != 0 &&
			strcmp(name, "TRUSTED CERTIFICATE") != 0 &&
			strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	if (cfg->nta == ANCHORS_MAX)
		return 0;
	dc = xmalloc(sizeof *dc);
	if (tls_cert_parts(der, len, &cp) == 0 && cp.dnlen < dn.max) {
		/* the common case, without BearSSL's slow full decode */
		buf_add(&dn, cp.dn, cp.dnlen);
		memset(&fast, 0, sizeof fast);
		fast.key_type = (unsigned char)cp.key_type;
		if (cp.key_type == BR_KEYTYPE_RSA) {
			fast.key.rsa.n = (unsigned char *)cp.n;
			fast.key.rsa.nlen = cp.nlen;
			fast.key.rsa.e = (unsigned char *)cp.e;
			fast.key.rsa.elen = cp.elen;
		} else {
			fast.key.ec.curve = cp.curve;
			fast.key.ec.q = (unsigned char *)cp.q;
			fast.key.ec.qlen = cp.qlen;
		}
		pk = &fast;
		isca = cp.ca;
	} else {
		br_x509_decoder_init(dc, pem_append, &dn);
		br_x509_decoder_push(dc, der, len);
		pk = br_x509_decoder_get_pkey(dc);
		isca = pk ? br_x509_decoder_isCA(dc) : 0;
	}
	/* what BearSSL cannot use (an odd key, a huge DN) is skipped */
	if (!pk || dn.len == 0 || dn.len >= dn.max)
		goto out;
	if (cfg->nta == cfg->cap) {
		cfg->cap = cfg->cap ? cfg->cap * 2 : 64;
		cfg->ta = xrealloc(cfg->ta, cfg->cap * sizeof *cfg->ta);
	}
	ta = &cfg->ta[cfg->nta];
	memset(ta, 0, sizeof *ta);
	klen = pk->key_type == BR_KEYTYPE_RSA ?
		pk->key.rsa.nlen + pk->key.rsa.elen : pk->key.ec.qlen;
	p = xmalloc(dn.len + klen);
	ta->dn.data = put(&p, dn.p, dn.len);
	ta->dn.len = dn.len;
	ta->flags = isca ? BR_X509_TA_CA : 0;
	ta->pkey = *pk;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = put(&p, pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.e = put(&p, pk->key.rsa.e, pk->key.rsa.elen);
	} else {
		ta->pkey.key.ec.q = put(&p, pk->key.ec.q, pk->key.ec.qlen);
	}
	cfg->nta++;
out:
	buf_free(&dn);
	free(dc);
	return 0;
}

static int anchors_file(struct tls_client_config *cfg, const char *path,
	int optional, char *err, size_t errmax)
{
	char *data;
	size_t len;
	int r;

	if (file_read_all(path, CA_FILE_MAX, &data, &len) < 0) {
		if (optional && errno == ENOENT)
			return 0;
		snprintf(err, errmax, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = pem_each(path, data, len, anchor_add, cfg, err, errmax);
	free(data);
	return r < 0 ? -1 : 0;
}

/* c_rehash's names: eight hex digits, a dot, a number. */
static int hash_name(const char *s)
{
	int i;

	for (i = 0; i < 8; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return 0;
	if (s[8] != '.' || !s[9])
		return 0;
	for (s += 9; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int anchors_dir(struct tls_client_config *cfg, const char *dir,
	char *err, size_t errmax)
{
	struct dirent *de;
	char path[FILE_PATH_MAX];
	DIR *d;
	int pass, found = 0;

	/* pass 0: the hashed names OpenSSL reads; pass 1 (only when there
	 * are none): *.pem and *.crt */
	for (pass = 0; pass < 2 && !found; pass++) {
		if (!(d = opendir(dir))) {
			snprintf(err, errmax, "%s: %s", dir, strerror(errno));
			return -1;
		}
		while ((de = readdir(d))) {
			if (pass == 0 ? !hash_name(de->d_name) :
					!str_ends(de->d_name, ".pem") &&
					!str_ends(de->d_name, ".crt"))
				continue;
			if ((size_t)snprintf(path, sizeof path, "%s/%s", dir,
					de->d_name) >= sizeof path)
				continue;
			found = 1;
			/* one unreadable or broken file does not stop it */
			anchors_file(cfg, path, 1, err, errmax);
		}
		closedir(d);
	}
	return 0;
}

struct tls_client_config *tls_client_config_new(const char *cafile,
	const char *capath, char *err, size_t errmax)
{
	struct tls_client_config *cfg = xzalloc(sizeof *cfg);
	int r = 0;

	if ((!cafile || !*cafile) && (!capath || !*capath))
		r = anchors_file(cfg, TLS_CA_DEFAULT, 1, err, errmax);
	if (r == 0 && cafile && *cafile)
		r = anchors_file(cfg, cafile, 0, err, errmax);
	if (r == 0 && capath && *capath)
		r = anchors_dir(cfg, capath, err, errmax);
	if (r < 0) {
		tls_client_config_free(cfg);
		return NULL;
	}
	return cfg;
}

int tls_client_config_cert(struct tls_client_config *cfg,
	const char *certfile, const char *keyfile, char *err, size_t errmax)
{
	struct keypair *kp = xzalloc(sizeof *kp);

	if (keypair_load(kp, certfile, keyfile, err, errmax) < 0) {
		free(kp);
		return -1;
	}
	if (cfg->kp) {
		keypair_free(cfg->kp);
		free(cfg->kp);
	}
	cfg->kp = kp;
	return 0;
}

size_t tls_client_config_anchors(const struct tls_client_config *cfg)
{
	return cfg->nta;
}

void tls_client_config_free(struct tls_client_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	if (cfg->cc) {
		memset(cfg->cc, 0, CC_ENTRIES * sizeof *cfg->cc);
		free(cfg->cc);
	}
	for (i = 0; i < cfg->nta; i++)
		free(cfg->ta[i].dn.data);	/* the key shares the block */
	free(cfg->ta);
	if (cfg->kp) {
		keypair_free(cfg->kp);
		free(cfg->kp);
	}
	free(cfg);
}

/* --- the verifier (client) ----------------------------------------- */

static struct verifier *vctx(const br_x509_class **ctx)
{
	return (struct verifier *)(void *)ctx;
}

static void v_start_chain(const br_x509_class **ctx, const char *name)
{
	struct verifier *v = vctx(ctx);

	v->ncert = 0;
	v->err = 0;
	v->minimal.vtable->start_chain(&v->minimal.vtable, name);
}

static void v_start_cert(const br_x509_class **ctx, uint32_t len)
{
	struct verifier *v = vctx(ctx);

	if (v->ncert == 0)
		br_x509_decoder_init(&v->ee, 0, 0);
	v->minimal.vtable->start_cert(&v->minimal.vtable, len);
}

static void v_append(const br_x509_class **ctx, const unsigned char *p,
	size_t n)
{
	struct verifier *v = vctx(ctx);

	if (v->ncert == 0)
		br_x509_decoder_push(&v->ee, p, n);
	v->minimal.vtable->append(&v->minimal.vtable, p, n);
}

static void v_end_cert(const br_x509_class **ctx)
{
	struct verifier *v = vctx(ctx);

	v->minimal.vtable->end_cert(&v->minimal.vtable);
	v->ncert++;
}

static unsigned v_end_chain(const br_x509_class **ctx)
{
	struct verifier *v = vctx(ctx);

	v->err = v->minimal.vtable->end_chain(&v->minimal.vtable);
	if (v->err == 0 || !v->opportunistic)
		return v->err;
	/* opportunistic: any certificate whose key we can read will do */
	if (v->ncert == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	if (!br_x509_decoder_get_pkey(&v->ee))
		return v->err;
	return 0;
}

static const br_x509_pkey *v_get_pkey(const br_x509_class *const *ctx,
	unsigned *usages)
{
	struct verifier *v = vctx((const br_x509_class **)ctx);

	if (v->err == 0)
		return v->minimal.vtable->get_pkey(&v->minimal.vtable, usages);
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&v->ee);
}

static const br_x509_class verifier_vtable = {
	sizeof(struct verifier),
	v_start_chain, v_start_cert, v_append, v_end_cert, v_end_chain,
	v_get_pkey,
};

/* --- moving records ------------------------------------------------ */

enum { PUMP_OK = 0, PUMP_ERR = -1, PUMP_EOF = -2 };

/* IO (NULL in a handshake, which may wait) needs OTHER's fd to be ready
 * for EVENTS.  Inside a transport op on the same fd, io.c waits: set
 * want and say EAGAIN.  Another fd (inetd's 0 and 1) is waited on here,
 * under that io's deadline (io.h). */
static int wait_for(struct io *io, struct io *other, short events)
{
	if (io && io->fd == other->fd) {
		io->want = events;
		errno = EAGAIN;
		return -1;
	}
	return io_wait(other, events);
}

/* Moves records between the engine and the fds until one of the state
 * flags STOP is set (STOP 0: until no record is left to send).  Records
 * waiting to go out always go first.  Returns PUMP_OK, PUMP_EOF when the
 * peer closed the connection (cleanly with close_notify or not), or
 * PUMP_ERR with errno (EAGAIN with io->want set: retry later). */
static int pump(struct tls *t, struct io *io, unsigned stop)
{
	unsigned st;
	unsigned char *p;
	size_t len;
	ssize_t r;

	for (;;) {
		if (t->ioerr) {
			errno = t->ioerr;
			return PUMP_ERR;
		}
		st = br_ssl_engine_current_state(t->eng);
		if (st & BR_SSL_CLOSED) {
			if (br_ssl_engine_last_error(t->eng) == BR_ERR_OK)
				return PUMP_EOF;
			errno = EPROTO;
			return PUMP_ERR;
		}
		if (st & BR_SSL_SENDREC) {
			p = br_ssl_engine_sendrec_buf(t->eng, &len);
			r = io_fd_ops.write(&t->raw_w, p, len);
			if (r > 0) {
				br_ssl_engine_sendrec_ack(t->eng, r);
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN) {
				if (wait_for(io, t->w, POLLOUT) == 0)
					continue;
				return PUMP_ERR;
			}
			t->ioerr = r == 0 ? EIO : errno;
			errno = t->ioerr;
			return PUMP_ERR;
		}
		if (stop == 0 || (st & stop))
			return PUMP_OK;
		if (st & BR_SSL_RECVREC) {
			p = br_ssl_engine_recvrec_buf(t->eng, &len);
			r = io_fd_ops.read(&t->raw_r, p, len);
			if (r > 0) {
				if (t->first < 0)
					t->first = p[0];
				br_ssl_engine_recvrec_ack(t->eng, r);
				continue;
			}
			if (r == 0) {
				t->truncated = 1;	/* no close_notify */
				return PUMP_EOF;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (wait_for(io, t->r, POLLIN) == 0)
					continue;
				return PUMP_ERR;
			}
			t->ioerr = errno;
			return PUMP_ERR;
		}
		errno = EPROTO;		/* the engine wants nothing we can do */
		return PUMP_ERR;
	}
}

static ssize_t tls_read(struct io *io, void *dst, size_t n)
{
	struct tls *t = io->ctx;
	unsigned char *p;
	size_t len;
	int r;

	r = pump(t, io, BR_SSL_RECVAPP);
	if (r == PUMP_EOF)
		return 0;
	if (r < 0)
		return -1;
	p = br_ssl_engine_recvapp_buf(t->eng, &len);
	if (len > n)
		len = n;
	memcpy(dst, p, len);
	br_ssl_engine_recvapp_ack(t->eng, len);
	return len;
}

/* Takes plaintext into the engine once, then reports it written only when
 * its records are all out: io.c retries a write that said EAGAIN with the
 * same bytes, so "accepted" remembers what was taken. */
static ssize_t tls_write(struct io *io, const void *src, size_t n)
{
	struct tls *t = io->ctx;
	unsigned char *p;
	size_t len, k;
	int r;

	if (t->accepted == 0) {
		r = pump(t, io, BR_SSL_SENDAPP);
		if (r == PUMP_EOF)
			errno = EPIPE;
		if (r < 0)
			return -1;
		p = br_ssl_engine_sendapp_buf(t->eng, &len);
		k = len < n ? len : n;
		memcpy(p, src, k);
		br_ssl_engine_sendapp_ack(t->eng, k);
		br_ssl_engine_flush(t->eng, 0);
		t->accepted = k;
	}
	r = pump(t, io, 0);
	if (r == PUMP_EOF)
		errno = EPIPE;
	if (r < 0)
		return -1;
	k = t->accepted;
	t->accepted = 0;
	return k;
}

static const struct io_ops tls_ops = { tls_read, tls_write };

/* --- sessions ------------------------------------------------------ */

static struct tls *session_new(struct io *r, struct io *w, int client)
{
	size_t extra = client ? sizeof(struct verifier) : 0;
	size_t size = sizeof(struct tls) + extra + BR_SSL_BUFSIZE_INPUT +
		OUT_PAYLOAD + 85;
	struct tls *t = malloc(size);
	unsigned char *p;
	int one = 1;

	if (!t)
		return NULL;
	memset(t, 0, sizeof *t);
	p = (unsigned char *)(t + 1);
	if (client) {
		t->xv = (struct verifier *)p;
		memset(t->xv, 0, sizeof *t->xv);
		p += extra;
	}
	t->ibuf = p;
	t->obuf = p + BR_SSL_BUFSIZE_INPUT;
	t->r = r;
	t->w = w;
	t->first = -1;
	/* A flight is several records, each its own send(): Nagle's
	 * algorithm would hold the second until the peer's delayed ACK,
	 * 40 ms per handshake.  Not a socket (a pipe): no matter. */
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	io_init(&t->raw_r, r->fd, t->dummy, 1);
	io_init(&t->raw_w, w->fd, t->dummy + 1, 1);
	return t;
}

static void session_free(struct tls *t)
{
	/* the engine holds keys; scrub before free */
	memset(t, 0, sizeof *t);
	free(t);
}

/* What server and client share: TLS 1.2 only, our suites, the hashes
 * (RFC 5246 7.4.1.4.1: SHA-1 when a client names none), AEAD. */
static void engine_setup(br_ssl_engine_context *eng)
{
	uint16_t ids[NSUITES];
	size_t i;

	for (i = 0; i < NSUITES; i++)
		ids[i] = suites[i].id;
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, ids, NSUITES);
	br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
	br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_ec(eng);
	/* RFC 5746 renegotiation is of no use to mail and costs a state */
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
}

/* Entropy for this session from the kernel (getrandom, no file needed),
 * after fork: sessions never share a generator state. */
static int seed(br_ssl_engine_context *eng)
{
	unsigned char rnd[32];

	if (getentropy(rnd, sizeof rnd) < 0)
		return -1;
	br_ssl_engine_inject_entropy(eng, rnd, sizeof rnd);
	memset(rnd, 0, sizeof rnd);
	return 0;
}

/* Drives the handshake to its end and switches the ios over.  0, or -1
 * with errno and ERR. */
static int handshake(struct tls *t, unsigned long ms, char *err,
	size_t errmax)
{
	int r;

	io_deadline(t->r, ms);
	io_deadline(t->w, ms);
	r = pump(t, NULL, BR_SSL_SENDAPP | BR_SSL_RECVAPP);
	if (r != PUMP_OK) {
		int e = br_ssl_engine_last_error(t->eng);

		if (r == PUMP_EOF && e == BR_ERR_OK) {
			errno = ECONNRESET;
			snprintf(err, errmax, "connection closed during the "
				"handshake");
		} else if (errno == ETIMEDOUT) {
			snprintf(err, errmax, "handshake timed out");
		} else if (t->ioerr) {
			snprintf(err, errmax, "%s", strerror(t->ioerr));
		} else if (t->first >= 0x20 && t->first < 0x7f) {
			/* a record starts with 22 (handshake) or 21 (alert);
			 * text here is a peer that did not start TLS */
			snprintf(err, errmax, "not TLS: the peer sent text "
				"(\"%c...\")", t->first);
			errno = EPROTO;
		} else {
			engine_reason(e, err, errmax);
			errno = EPROTO;
		}
		return -1;
	}
	if (io_transport(t->r, &tls_ops, t) < 0 ||
			io_transport(t->w, &tls_ops, t) < 0) {
		snprintf(err, errmax, "buffered data in the ios");
		return -1;
	}
	return 0;
}

/* RFC 3207 4: nothing received before the handshake may count as
 * protected; and our last plaintext reply must be out. */
static int ready(struct io *r, struct io *w, char *err, size_t errmax)
{
	if (io_pending(r)) {
		errno = EBUSY;
		snprintf(err, errmax, "plaintext was sent ahead of the TLS "
			"handshake");
		return -1;
	}
	if (io_flush(w) < 0) {
		snprintf(err, errmax, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

struct tls *tls_server_start(struct io *reader, struct io *writer,
	const struct tls_server_config *cfg, unsigned long ms,
	char *err, size_t errmax)
{
	const struct keypair *kp = &cfg->kp;
	struct tls *t;

	if (ready(reader, writer, err, errmax) < 0)
		return NULL;
	if (!(t = session_new(reader, writer, 0))) {
		snprintf(err, errmax, "out of memory");
		return NULL;
	}
	t->eng = &t->u.s.eng;
	br_ssl_server_zero(&t->u.s);
	engine_setup(t->eng);
	br_ssl_engine_add_flags(t->eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);
	if (kp->key_type == BR_KEYTYPE_RSA)
		br_ssl_server_set_single_rsa(&t->u.s, kp->chain, kp->nchain,
			&kp->rsa, BR_KEYTYPE_SIGN, br_rsa_private_get_default(),
			br_rsa_pkcs1_sign_get_default());
	else
		br_ssl_server_set_single_ec(&t->u.s, kp->chain, kp->nchain,
			&kp->ec, BR_KEYTYPE_SIGN, kp->issuer_key_type,
			br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
	br_ssl_engine_set_buffers_bidi(t->eng, t->ibuf, BR_SSL_BUFSIZE_INPUT,
		t->obuf, OUT_PAYLOAD + 85);
	if (cfg->cache) {
		t->sc.vtable = &sc_vtable;
		t->sc.c = cfg->cache;
		br_ssl_server_set_cache(&t->u.s, &t->sc.vtable);
	}
	if (seed(t->eng) < 0) {
		snprintf(err, errmax, "getentropy: %s", strerror(errno));
		goto fail;
	}
	if (!br_ssl_server_reset(&t->u.s)) {
		engine_reason(br_ssl_engine_last_error(t->eng), err, errmax);
		errno = EPROTO;
		goto fail;
	}
	if (handshake(t, ms, err, errmax) < 0)
		goto fail;
	/* BearSSL saves after a full handshake only; a loaded session
	 * can still be declined (its suite no longer offered) */
	t->resumed = t->sc.loaded && !t->sc.saved;
	return t;
fail:
	session_free(t);
	return NULL;
}

/* The client cache's key of a connection: HOST (or the peer's address)
 * and the peer's port; 0, or -1 when the socket says nothing. */
static int cc_key(int fd, const char *host, char *key, size_t max)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char ip[64];
	unsigned port;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		port = ntohs(a->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		port = ntohs(a->sin6_port);
	} else {
		return -1;
	}
	if ((size_t)snprintf(key, max, "%s %u", host && *host ? host : ip,
			port) >= max)
		return -1;
	return 0;
}

/* The entry for KEY, or NULL; expired ones are dropped. */
static struct cc_entry *cc_find(struct tls_client_config *cfg,
	const char *key)
{
	long long now = mono_secs();
	size_t i;

	for (i = 0; cfg->cc && key[0] && i < CC_ENTRIES; i++) {
		struct cc_entry *e = &cfg->cc[i];

		if (strcmp(e->key, key) != 0)
			continue;
		if (now - e->born >= TLS_CACHE_TIMEOUT) {
			memset(e, 0, sizeof *e);
			return NULL;
		}
		return e;
	}
	return NULL;
}

/* Remembers the session of T for KEY (the oldest entry makes room). */
static void cc_store(struct tls_client_config *cfg, const char *key,
	const struct tls *t)
{
	struct cc_entry *e = cc_find(cfg, key), *old;
	size_t i;

	if (!key[0])
		return;
	if (!cfg->cc && !(cfg->cc = calloc(CC_ENTRIES, sizeof *cfg->cc)))
		return;
	if (!e) {
		old = e = &cfg->cc[0];
		for (i = 0; i < CC_ENTRIES; i++) {
			if (!cfg->cc[i].key[0]) {
				e = &cfg->cc[i];
				break;
			}
			if (cfg->cc[i].born < old->born)
				old = e = &cfg->cc[i];
		}
	}
	str_lcpy(e->key, key, sizeof e->key);
	br_ssl_engine_get_session_parameters(t->eng, &e->p);
	if (e->p.session_id_len == 0) {
		memset(e, 0, sizeof *e);	/* nothing to resume */
		return;
	}
	if (!t->resumed)
		e->verify = t->verify;
	e->born = t->resumed ? e->born : mono_secs();
}

/* "192.0.2.1", "2001:db8::1", "[192.0.2.1]", "[IPv6:2001:db8::1]" */
static int ip_literal(const char *host)
{
	unsigned char a[16];
	char tmp[64];
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
		return 1;
	if (n >= sizeof tmp)
		return 0;
	str_lcpy(tmp, host, sizeof tmp);
	return inet_pton(AF_INET, tmp, a) == 1 ||
		inet_pton(AF_INET6, tmp, a) == 1;
}

struct tls *tls_client_start(struct io *reader, struct io *writer,
	struct tls_client_config *cfg, const char *host, int flags,
	unsigned long ms, int *verify, char *err, size_t errmax)
{
	struct tls *t;
	struct verifier *v;
	br_ssl_client_context *cc;
	const struct keypair *kp = cfg->kp;
	struct cc_entry *ce = NULL;
	char key[CC_KEY];
	unsigned char offered[32];
	int e;

	if (verify)
		*verify = TLS_VERIFY_FAIL;
	/* BearSSL checks DNS names only, and RFC 6066 3 puts no address
	 * in SNI: an address literal is never verified */
	if (host && ip_literal(host)) {
		if (!(flags & TLS_OPPORTUNISTIC)) {
			errno = EINVAL;
			snprintf(err, errmax, "cannot verify a certificate for "
				"an IP address (%.64s): name the host", host);
			return NULL;
		}
		host = NULL;
	}
	if (ready(reader, writer, err, errmax) < 0)
		return NULL;
	if (!(t = session_new(reader, writer, 1))) {
		snprintf(err, errmax, "out of memory");
		return NULL;
	}
	cc = &t->u.c;
	t->eng = &cc->eng;
	br_ssl_client_zero(cc);
	engine_setup(t->eng);
	br_ssl_engine_set_default_rsavrfy(t->eng);
	br_ssl_engine_set_default_ecdsa(t->eng);

	v = t->xv;
	v->vtable = &verifier_vtable;
	v->opportunistic = flags & TLS_OPPORTUNISTIC;
	v->anchors = cfg->nta > 0;
	br_x509_minimal_init(&v->minimal, &br_sha256_vtable, cfg->ta,
		cfg->nta);
	br_x509_minimal_set_hash(&v->minimal, br_sha1_ID, &br_sha1_vtable);
	br_x509_minimal_set_hash(&v->minimal, br_sha224_ID,
		&br_sha224_vtable);
	br_x509_minimal_set_hash(&v->minimal, br_sha256_ID,
		&br_sha256_vtable);
	br_x509_minimal_set_hash(&v->minimal, br_sha384_ID,
		&br_sha384_vtable);
	br_x509_minimal_set_hash(&v->minimal, br_sha512_ID,
		&br_sha512_vtable);
	br_x509_minimal_set_rsa(&v->minimal, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(&v->minimal, br_ec_get_default(),
		br_ecdsa_vrfy_asn1_get_default());
	br_ssl_engine_set_x509(t->eng, &v->vtable);

	if (kp && kp->key_type == BR_KEYTYPE_RSA)
		br_ssl_client_set_single_rsa(cc, kp->chain, kp->nchain,
			&kp->rsa, br_rsa_pkcs1_sign_get_default());
	else if (kp)
		br_ssl_client_set_single_ec(cc, kp->chain, kp->nchain,
			&kp->ec, BR_KEYTYPE_SIGN, kp->issuer_key_type,
			br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
	br_ssl_engine_set_buffers_bidi(t->eng, t->ibuf, BR_SSL_BUFSIZE_INPUT,
		t->obuf, OUT_PAYLOAD + 85);
	if (seed(t->eng) < 0) {
		snprintf(err, errmax, "getentropy: %s", strerror(errno));
		goto fail;
	}
	/* the last session with this destination, unless it was not
	 * verified and this handshake must be */
	if (cc_key(writer->fd, host, key, sizeof key) < 0)
		key[0] = 0;
	ce = cc_find(cfg, key);
	if (ce && ce->verify != TLS_VERIFY_OK &&
			!(flags & TLS_OPPORTUNISTIC))
		ce = NULL;
	if (ce) {
		br_ssl_engine_set_session_parameters(t->eng, &ce->p);
		memcpy(offered, ce->p.session_id, 32);
	}
	if (!br_ssl_client_reset(cc, host && *host ? host : NULL, ce != NULL)) {
		engine_reason(br_ssl_engine_last_error(t->eng), err, errmax);
		errno = EPROTO;
		goto fail;
	}
	if (handshake(t, ms, err, errmax) < 0)
		goto fail;
	if (ce && ce->p.session_id_len == 32 &&
			t->eng->session.session_id_len == 32 &&
			memcmp(t->eng->session.session_id, offered, 32) == 0) {
		/* the server took it: no certificate was sent, the
		 * verdict is that of the session's full handshake */
		t->resumed = 1;
		t->verify = ce->verify;
	} else if (v->err == 0) {
		t->verify = TLS_VERIFY_OK;
	} else {
		t->verify = v->anchors ? TLS_VERIFY_FAIL : TLS_VERIFY_NONE;
	}
	if (verify)
		*verify = t->verify;
	cc_store(cfg, key, t);
	return t;
fail:
	if (ce)
		memset(ce, 0, sizeof *ce);	/* not again */
	/* a verification failure names its reason, not the alert we sent */
	e = v->err;
	if (e && e != BR_ERR_X509_OK && !v->opportunistic)
		snprintf(err, errmax, "certificate verification failed: %s",
			x509_reason(e));
	session_free(t);
	return NULL;
}

size_t tls_pending(const struct tls *t)
{
	size_t len = 0;

	if (t && (br_ssl_engine_current_state(t->eng) & BR_SSL_RECVAPP))
		br_ssl_engine_recvapp_buf(t->eng, &len);
	return len;
}

const char *tls_version(const struct tls *t)
{
	switch (br_ssl_engine_get_version(t->eng)) {
	case BR_TLS12:
		return "TLSv1.2";
	case BR_TLS11:
		return "TLSv1.1";
	case BR_TLS10:
		return "TLSv1";
	}
	return "unknown";
}

static const struct suite *suite_of(const struct tls *t)
{
	size_t i;

	for (i = 0; i < NSUITES; i++)
		if (suites[i].id == t->eng->session.cipher_suite)
			return &suites[i];
	return NULL;
}

const char *tls_cipher(const struct tls *t)
{
	const struct suite *s = suite_of(t);

	return s ? s->name : "unknown";
}

int tls_cipher_bits(const struct tls *t)
{
	const struct suite *s = suite_of(t);

	return s ? s->bits : 0;
}

int tls_resumed(const struct tls *t)
{
	return t->resumed;
}

int tls_truncated(const struct tls *t)
{
	return t->truncated;
}

int tls_verify(const struct tls *t)
{
	return t->verify;
}

const char *tls_verify_name(int verify)
{
	return verify == TLS_VERIFY_OK ? "OK" :
		verify == TLS_VERIFY_FAIL ? "FAIL" : "NONE";
}

/* Back to the plain transport.  Decrypted bytes nobody read are dropped:
 * they belong to a session that no longer exists. */
static void detach(struct io *io)
{
	if (io->ops != &tls_ops)
		return;
	io->start = io->end = 0;
	io_transport(io, NULL, NULL);
}

int tls_close(struct tls *t)
{
	int r = 0, e = 0;

	if (!t)
		return 0;
	if (t->w->ops == &tls_ops && io_flush(t->w) < 0) {
		r = -1;
		e = errno;
	}
	if (r == 0 && !(br_ssl_engine_current_state(t->eng) &
			BR_SSL_CLOSED)) {
		br_ssl_engine_close(t->eng);
		/* RFC 5246 7.2.1: send ours; waiting for the peer's is not
		 * required */
		if (pump(t, NULL, 0) == PUMP_ERR) {
			r = -1;
			e = errno;
		}
	}
	detach(t->r);
	detach(t->w);
	session_free(t);
	errno = e;
	return r;
}
