/*
 * dkimkey: make a DKIM key pair and its DNS record, as opendkim-genkey
 * does (same flags and files), with BearSSL's RSA key generation.
 *
 * Writes DIR/SELECTOR.private (the private key, PEM "RSA PRIVATE KEY",
 * PKCS#1, mode 0600: opendkim-genkey's format, which the KeyTable names)
 * and DIR/SELECTOR.txt (the TXT record in zone-file syntax, RFC 6376
 * 3.6.1 "v=DKIM1; h=sha256; k=rsa; p=..." with p the base64 of the DER
 * SubjectPublicKeyInfo), and prints the record.  Neither file is
 * overwritten.  Leaves out: Ed25519 (README.md, "DKIM signing"), -n,
 * -a (the record names the domain in its comment always).
 */
//applet:dkimkey usr/sbin drop
//man:make a DKIM key pair and its DNS TXT record
//man:dkimkey writes SELECTOR.private (an RSA key, PKCS#1 PEM, mode 0600)
//man:and SELECTOR.txt (the v=DKIM1 TXT record in zone syntax), with the
//man:flags and files of opendkim-genkey; see PostboxDKIMKeyTable.
//config:config DKIMKEY
//config:	bool "dkimkey: make a DKIM key pair and DNS record"
//config:	default y
//config:	depends on DKIM
//usage:usage: dkimkey [-rtv] [-b BITS] [-d DOMAIN] [-D DIR] [-s SELECTOR]
//usage:
//usage:-b BITS	key size, 1024 to 4096 (default 2048)
//usage:-d DOMAIN	the domain, for the record's comment (example.com)
//usage:-D DIR	where the files go (default .)
//usage:-s SELECTOR	the selector and file names (default "default")
//usage:-r	restricted: the key signs mail only (s=email)
//usage:-t	testing mode (t=y)
//usage:-v	say what is done
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPKI_MAX 1200	/* a 4096-bit key's SubjectPublicKeyInfo */
#define MAX_BITS 4096	/* BearSSL's key generation's limit */

/* A DER length at P (which has room); its size. */
static size_t der_len(unsigned char *p, size_t n)
{
	if (n < 128) {
		p[0] = (unsigned char)n;
		return 1;
	}
	if (n < 256) {
		p[0] = 0x81;
		p[1] = (unsigned char)n;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (unsigned char)(n >> 8);
	p[2] = (unsigned char)n;
	return 3;
}

/* An INTEGER of the big-endian number V (LEN bytes) at P; its size. */
static size_t der_int(unsigned char *p, const unsigned char *v, size_t len)
{
	size_t o = 0, pad;

	while (len > 1 && *v == 0) {
		v++;
		len--;
	}
	pad = (*v & 0x80) != 0;
	p[o++] = 0x02;
	o += der_len(p + o, len + pad);
	if (pad)
		p[o++] = 0;
	memcpy(p + o, v, len);
	return o + len;
}

/* RFC 3279 2.3.1's RSAPublicKey inside RFC 5280's SubjectPublicKeyInfo,
 * what p= holds (RFC 6376 3.6.1). */
static size_t spki(unsigned char *out, const br_rsa_public_key *pk)
{
	static const unsigned char alg[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		0x01, 0x01, 0x01, 0x05, 0x00,
	};
	unsigned char ints[SPKI_MAX], bits[SPKI_MAX];
	size_t ni, nb, o;

	ni = der_int(ints, pk->n, pk->nlen);
	ni += der_int(ints + ni, pk->e, pk->elen);
	nb = 0;
	bits[nb++] = 0x30;
	nb += der_len(bits + nb, ni);
	memcpy(bits + nb, ints, ni);
	nb += ni;
	o = 0;
	out[o++] = 0x30;
	o += der_len(out + o, sizeof alg + 1 + der_len(ints, nb + 1) + 1 +
		nb);
	memcpy(out + o, alg, sizeof alg);
	o += sizeof alg;
	out[o++] = 0x03;
	o += der_len(out + o, nb + 1);
	out[o++] = 0;		/* no unused bits */
	memcpy(out + o, bits, nb);
	return o + nb;
}

/* Writes LEN bytes to DIR/NAME, created new with MODE. */
static void write_new(const char *dir, const char *name, const void *p,
	size_t len, mode_t mode)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		mode);
	if (fd < 0)
		xdie(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	if (file_write_all(fd, p, len) < 0 || fsync(fd) < 0 ||
			close(fd) < 0)
		xdie(EX_IOERR, "%s: %s", path, strerror(errno));
}

int dkimkey_main(int argc, char **argv)
{
	const char *domain = "example.com", *dir = ".", *sel = "default";
	unsigned bits = 2048;
	int c, restrict_ = 0, testing = 0, verbose = 0;
	br_hmac_drbg_context rng;
	br_prng_seeder seeder;
	br_rsa_private_key sk;
	br_rsa_public_key pk;
	unsigned char *kpriv, *kpub, *d, *der, pub[SPKI_MAX];
	char *pem, *p64, name[300];
	size_t dlen, derlen, pemlen, publen, i;
	struct buf txt = BUF_INIT(16384);

	while ((c = getopt(argc, argv, "b:d:D:rs:tv")) != -1) {
		switch (c) {
		case 'b':
			bits = (unsigned)strtoul(optarg, NULL, 10);
			if (bits < DKIM_MIN_BITS || bits > MAX_BITS)
				xdie(EX_USAGE, "-b %s: from %d to %d bits",
					optarg, DKIM_MIN_BITS,
					MAX_BITS);
			break;
		case 'd':
			domain = optarg;
			break;
		case 'D':
			dir = optarg;
			break;
		case 'r':
			restrict_ = 1;
			break;
		case 's':
			sel = optarg;
			break;
		case 't':
			testing = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			applet_usage();
		}
	}
	if (optind != argc)
		applet_usage();
	if (!sel[0] || strlen(sel) > 63 || strpbrk(sel, "/; \t=") ||
			!domain[0] || strpbrk(domain, "/; \t="))
		xdie(EX_USAGE, "bad selector or domain");
	/* the system's random source seeds the DRBG */
	seeder = br_prng_seeder_system(NULL);
	br_hmac_drbg_init(&rng, &br_sha256_vtable, NULL, 0);
	if (!seeder || !seeder(&rng.vtable))
		xdie(EX_OSERR, "no system random source");
	kpriv = xmalloc(BR_RSA_KBUF_PRIV_SIZE(MAX_BITS));
	kpub = xmalloc(BR_RSA_KBUF_PUB_SIZE(MAX_BITS));
	if (verbose)
		fprintf(stderr, "dkimkey: generating a %u-bit RSA key\n", bits);
	if (!br_rsa_keygen_get_default()(&rng.vtable, &sk, kpriv, &pk, kpub,
			bits, 65537))
		xdie(EX_SOFTWARE, "RSA key generation failed");
	dlen = br_rsa_compute_privexp_get_default()(NULL, &sk, 65537);
	d = xmalloc(dlen ? dlen : 1);
	if (!dlen || br_rsa_compute_privexp_get_default()(d, &sk, 65537) !=
			dlen)
		xdie(EX_SOFTWARE, "RSA private exponent failed");
	derlen = br_encode_rsa_raw_der(NULL, &sk, &pk, d, dlen);
	der = xmalloc(derlen);
	br_encode_rsa_raw_der(der, &sk, &pk, d, dlen);
	pemlen = br_pem_encode(NULL, der, derlen, "RSA PRIVATE KEY",
		BR_PEM_LINE64);
	pem = xmalloc(pemlen + 1);
	br_pem_encode(pem, der, derlen, "RSA PRIVATE KEY", BR_PEM_LINE64);
	publen = spki(pub, &pk);
	p64 = xmalloc(B64_ENCLEN(publen) + 1);
	b64_encode(p64, B64_ENCLEN(publen) + 1, pub, publen);
	/* opendkim-genkey's layout: strings of at most 255 octets
	 * (RFC 1035 3.3.14) */
	buf_printf(&txt, "%s._domainkey\tIN\tTXT\t( \"v=DKIM1; h=sha256; "
		"k=rsa; %s%s\"\n\t  \"p=", sel, restrict_ ? "s=email; " : "",
		testing ? "t=y; " : "");
	for (i = 0; p64[i]; i++) {
		if (i && i % 250 == 248)
			buf_printf(&txt, "\"\n\t  \"");
		buf_addc(&txt, p64[i]);
	}
	buf_printf(&txt, "\" )  ; ----- DKIM key %s for %s\n", sel, domain);
	snprintf(name, sizeof name, "%s.private", sel);
	write_new(dir, name, pem, pemlen, 0600);
	snprintf(name, sizeof name, "%s.txt", sel);
	write_new(dir, name, txt.p, txt.len, 0644);
	fwrite(txt.p, 1, txt.len, stdout);
	memset(kpriv, 0, BR_RSA_KBUF_PRIV_SIZE(MAX_BITS));
	memset(d, 0, dlen);
	memset(der, 0, derlen);
	memset(pem, 0, pemlen);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
