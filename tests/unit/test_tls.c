/*
 * test_tls: libmini/tls's certificate walk (tls_cert_parts), which the
 * client uses instead of BearSSL's decoder for its trust anchors: the
 * same subject, key and CA flag as br_x509_decoder for every certificate
 * of Debian's CA bundle and for made-up ones (v1, cA FALSE, P-384, P-521,
 * Ed25519 declined), and no read outside the certificate for truncated
 * or damaged ones.
 */
#include "libmini.h"
#include <bearssl.h>
#include <stdlib.h>
#include "unit.h"

/* made by openssl req/x509: leaf (P-256, v3, CA:FALSE), v1 (P-521, no
 * extensions), ca (P-384, critical CA:TRUE), ed (Ed25519) */
static const struct vec {
	const char *name, *b64;
	int ok, key_type, curve, ca;
} vecs[] = {
	{ "leaf P-256 CA:FALSE",
		"MIIBsTCCATegAwIBAgIUb4cP5cTpyO+GqwoUdrV9wBEZgGgwCgYIKoZIzj0EAwIw"
		"EjEQMA4GA1UEAwwHdW5pdCBDQTAeFw0yNjExMjMxMzQxMzJaFw0zNjExMjAxMzQx"
		"MzJaMBcxFTATBgNVBAMMDGxlYWYuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49"
		"AwEHA0IABAcFvoTJ+HozVrkYDDRQvgkUMZ4UN20fsjzGUODMH985vVrQebyeHjGx"
		"i2MT3bz0PcyF8bDwaRlp/nKPfSopxSujZjBkMAkGA1UdEwQCMAAwFwYDVR0RBBAw"
		"DoIMbGVhZi5leGFtcGxlMB0GA1UdDgQWBBTqx45Fo+G+oh2nlxJYkXI6ZfiGszAf"
		"BgNVHSMEGDAWgBQnvev/N5W+grJQfn2CtG8swqEREDAKBggqhkjOPQQDAgNoADBl"
		"AjBlHNAuUqQWrrMS6RP7Bc2r15IhYwlHhkKWa5L1RT7DoaYpWZf+3rnmBmTOeUBq"
		"0zICMQD4hA1YSYkIUJnFJ9hVFerOBBLgCoh92ZUlNo+773YY+gJOD7AntVHmbh7t"
		"RZ4w2dA=", 0, BR_KEYTYPE_EC, BR_EC_secp256r1, 0 },
	{ "v1 P-521",
		"MIIBhDCCAQsCFG+HD+XE6cjvhqsKFHa1fcARGYBpMAoGCCqGSM49BAMCMBIxEDAO"
		"BgNVBAMMB3VuaXQgQ0EwHhcNMjYxMTIzMTM0MTMyWhcNMzYxMTIwMTM0MTMyWjAV"
		"MRMwEQYDVQQDDAp2MS5leGFtcGxlMIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQA"
		"cpOqpzyDDqI0eo0/D+GVkMSXXBi8tb+NIfBq+YDqUUc5h6wcreAHGasjO4+VCIyW"
		"jf2StnwTEYY23CRyM8SjEMwBc5Jiaw9+HfNKeBVF9I/mhMjDaBA+oXbQuX/ao0OY"
		"BYYn/mNEv8fSwRzmNDSR+OnZTI4akvfg1IPguwnUwqQYenswCgYIKoZIzj0EAwID"
		"ZwAwZAIwanofag38PZ6PRYz8I4WnH6Lw/lcHrz7qzIzwUEH+DOgvEkY1KU6IyK1B"
		"Q3z6PR2BAjAhAhQ6bBqagEhHfnuaSw4sLD/RMbEF71VyskdvFRoatRFfTKs1BclN"
		"wBEe8w36Jl8=", 0, BR_KEYTYPE_EC, BR_EC_secp521r1, 0 },
	{ "CA P-384 critical CA:TRUE",
		"MIIBtjCCATygAwIBAgIUFdEoYgKluB+zR2rH3EHuJk7F4PwwCgYIKoZIzj0EAwIw"
		"EjEQMA4GA1UEAwwHdW5pdCBDQTAeFw0yNjExMjMxMzQxMzJaFw0zNjExMjAxMzQx"
		"MzJaMBIxEDAOBgNVBAMMB3VuaXQgQ0EwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAATu"
		"tXk24sHVa1ZMjY+He+TLibk6oOX91y6f3UstBuF97buqTtS/mwyQXk8hGjaSfqeL"
		"bmsfMjtW7nuHQuhCqi9XKvokmRraWr8rRU0TuzirWX7M+1lv6xPA02yZU4GoQd6j"
		"UzBRMB0GA1UdDgQWBBQnvev/N5W+grJQfn2CtG8swqEREDAfBgNVHSMEGDAWgBQn"
		"vev/N5W+grJQfn2CtG8swqEREDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMC"
		"A2gAMGUCMEZiAwd1K3soBVqjqeaR1pGeueOEIZgrLKpAnnRdkVBIfKD64YjsGLQd"
		"nqXw2LZV0QIxAL8k6czun1ZqxHXhRy+l7RGemAL2rVLUr/G3lFjJn4mB6mEGXkRZ"
		"wFzbIFPKfHbjZA==", 0, BR_KEYTYPE_EC, BR_EC_secp384r1, 1 },
	{ "Ed25519: declined",
		"MIIBLjCB4aADAgECAhRwu2JPsUtVhh8sVvu6xANn6YHZyDAFBgMrZXAwDTELMAkG"
		"A1UEAwwCZWQwHhcNMjYxMTIzMTM0MTM1WhcNMzYxMTIwMTM0MTM1WjANMQswCQYD"
		"VQQDDAJlZDAqMAUGAytlcAMhAGFN8o6agyWzRG7c8JlMWo8xLpjX0bqLbdK4hM9K"
		"ROYxo1MwUTAdBgNVHQ4EFgQUZbRUJJkBjqtH4koHBDEI0rp6NWUwHwYDVR0jBBgw"
		"FoAUZbRUJJkBjqtH4koHBDEI0rp6NWUwDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXAD"
		"QQCzkYK479qhhjBTfN2KFZaGf+hAI7cEQDCJ6adm4AyEASrXDNT2zsFhokv7qsc9"
		"oRvy2iSYXDP+5tR8rsXGLnkH", -1, 0, 0, 0 },
};

static void dn_append(void *ctx, const void *p, size_t n)
{
	buf_add(ctx, p, n);
}

/* Compares tls_cert_parts with BearSSL's decoder on one certificate;
 * 1 when they agree (both decline, or the same parts). */
static int same_as_bearssl(const unsigned char *der, size_t len)
{
	br_x509_decoder_context dc;
	struct buf dn = BUF_INIT(1 << 16);
	struct tls_cert_parts cp;
	const br_x509_pkey *pk;
	int r, ok = 0;

	br_x509_decoder_init(&dc, dn_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	r = tls_cert_parts(der, len, &cp);
	if (!pk) {
		ok = r < 0;
		goto out;
	}
	if (r < 0 || cp.key_type != pk->key_type ||
	    cp.dnlen != dn.len || memcmp(cp.dn, dn.p, dn.len) != 0 ||
	    cp.ca != br_x509_decoder_isCA(&dc))
		goto out;
	if (pk->key_type == BR_KEYTYPE_RSA)
		ok = cp.nlen == pk->key.rsa.nlen &&
			cp.elen == pk->key.rsa.elen &&
			memcmp(cp.n, pk->key.rsa.n, cp.nlen) == 0 &&
			memcmp(cp.e, pk->key.rsa.e, cp.elen) == 0;
	else
		ok = cp.curve == pk->key.ec.curve &&
			cp.qlen == pk->key.ec.qlen &&
			memcmp(cp.q, pk->key.ec.q, cp.qlen) == 0;
out:
	buf_free(&dn);
	return ok;
}

/* Every pointer tls_cert_parts gave lies inside [der, der + len). */
static int inside(const unsigned char *der, size_t len,
	const struct tls_cert_parts *cp)
{
#define IN(p, n) ((p) >= der && (n) <= len && \
	(size_t)((p) - der) <= len - (n))
	if (!IN(cp->dn, cp->dnlen))
		return 0;
	if (cp->key_type == BR_KEYTYPE_RSA)
		return IN(cp->n, cp->nlen) && IN(cp->e, cp->elen);
	return IN(cp->q, cp->qlen);
#undef IN
}

/* Truncations at every length (each copy exactly that long, so a read
 * past it shows under valgrind) and 2000 single-byte damages: a result
 * is -1 or parts inside the buffer.  The count of those that were not. */
static int hostile(const unsigned char *der, size_t len, unsigned seed)
{
	struct tls_cert_parts cp;
	unsigned char *copy = malloc(len), *t;
	size_t i, k;
	int bad = 0;

	for (i = 0; i < len; i++) {
		t = malloc(i ? i : 1);
		memcpy(t, der, i);
		if (tls_cert_parts(t, i, &cp) == 0 && !inside(t, i, &cp))
			bad++;
		free(t);
	}
	for (k = 0; k < 2000; k++) {
		memcpy(copy, der, len);
		seed = seed * 1103515245 + 12345;
		copy[(seed >> 8) % len] ^= (unsigned char)(1 + (seed >> 20) % 255);
		if (tls_cert_parts(copy, len, &cp) == 0 &&
		    !inside(copy, len, &cp))
			bad++;
	}
	free(copy);
	return bad;
}

static void bundle(void)
{
	unsigned char der[8192];
	char name[80], *data, *p, *q;
	size_t len;
	ssize_t n;
	int count = 0, agree = 0, fine = 0;

	if (file_read_all("/etc/ssl/certs/ca-certificates.crt", 8 << 20,
			&data, &len) < 0) {
		printf("PASS: no CA bundle here (skipped)\n");
		return;
	}
	for (p = data; (p = strstr(p, "-----BEGIN CERTIFICATE-----")); p = q) {
		p += 27;
		if (!(q = strstr(p, "-----END CERTIFICATE-----")))
			break;
		n = b64_decode(der, sizeof der, p, (size_t)(q - p), B64_SPACE);
		if (n <= 0)
			continue;
		count++;
		agree += same_as_bearssl(der, (size_t)n);
		/* every tenth: the whole bundle takes too long */
		if (count % 10 == 0)
			fine += hostile(der, (size_t)n, (unsigned)count) == 0;
		else
			fine++;
	}
	free(data);
	snprintf(name, sizeof name, "CA bundle: %d certificates", count);
	CHECK(count > 100, name);
	CHECK(agree == count,
		"CA bundle: the same parts as BearSSL's decoder, each");
	CHECK(fine == count, "CA bundle: hostile copies of a sample");
}

int main(void)
{
	unsigned char der[8192];
	char name[160];
	struct tls_cert_parts cp;
	const struct vec *v;
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof vecs / sizeof *vecs; i++) {
		v = &vecs[i];
		n = b64_decode(der, sizeof der, v->b64, strlen(v->b64), 0);
		CHECK(n > 0, v->name);
		if (n <= 0)
			continue;
		snprintf(name, sizeof name, "%s: parts", v->name);
		CHECK(tls_cert_parts(der, (size_t)n, &cp) == v->ok &&
			(v->ok < 0 || (cp.key_type == v->key_type &&
			cp.curve == v->curve && cp.ca == v->ca)), name);
		snprintf(name, sizeof name, "%s: as BearSSL's decoder",
			v->name);
		CHECK(same_as_bearssl(der, (size_t)n), name);
		snprintf(name, sizeof name, "%s: hostile copies", v->name);
		CHECK(hostile(der, (size_t)n, (unsigned)i + 1) == 0, name);
	}
	bundle();
	return unit_done();
}
