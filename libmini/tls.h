/*
 * tls: TLS 1.2 on BearSSL behind the io transport hook (ARCHITECTURE.md), so
 * protocol code only reads and writes lines and never sees BearSSL.
 *
 * Only TLS 1.2 (BearSSL has no TLS 1.3) with forward-secret AEAD suites:
 * ECDHE with AES-GCM or ChaCha20-Poly1305, RSA or ECDSA certificates.
 * TLS 1.0/1.1, static RSA, CBC and 3DES suites are refused.
 *
 * Life of a server:
 *   as root, at start-up:   cfg = tls_server_config_new(cert, key, ...)
 *   per session (after fork and privilege drop):
 *	STARTTLS:  reply "220 Ready to start TLS", then
 *		   t = tls_server_start(&in, &out, cfg, ms, err, sizeof err)
 *	implicit TLS (port 465, M=s): the same, before the greeting
 *	...io_getline(&in)/io_printf(&out) as before, now encrypted...
 *	end:	   tls_close(t)
 * The session needs no file (entropy comes from the getrandom system
 * call), so it works in a chroot.
 *
 * Memory: a session takes about 25 KB (server) or 30 KB (client, with
 * its certificate checker) from the heap: BearSSL's engine, a full
 * 16 KB + 325 input buffer, which TLS requires, and a 4 KB + 85 output
 * buffer (records we send carry at most 4 KB of data).  Nothing is
 * static but the list of the session caches the process mapped
 * (tls_server_caches_drop).
 */
#ifndef LIBMINI_TLS_H
#define LIBMINI_TLS_H
#include <stddef.h>

struct io;
struct tls;
struct tls_server_config;
struct tls_client_config;

#define TLS_CA_DEFAULT "/etc/ssl/certs/ca-certificates.crt"

/* Loads the server's certificate chain (PEM, the server's certificate
 * first, then its intermediates; CERTFILE) and private key (PEM: RSA in
 * PKCS#1 "RSA PRIVATE KEY", EC in SEC1 "EC PRIVATE KEY", either in PKCS#8
 * "PRIVATE KEY"; KEYFILE, which may be CERTFILE itself, or NULL for
 * that) and checks that the key belongs to the certificate.  Encrypted
 * keys are refused.  Call it before the privilege drop: the key file is
 * usually root's only.
 * Returns the config (owned by the caller, shared read-only by every
 * session), or NULL with a message naming the file in ERR (ERRMAX
 * bytes), "out of memory" too: it never exits, so that a daemon's reload
 * keeps its old config when this fails. */
struct tls_server_config *tls_server_config_new(const char *certfile,
	const char *keyfile, char *err, size_t errmax);
void tls_server_config_free(struct tls_server_config *cfg);

/*
 * Session resumption (RFC 5246 7.3's session IDs; README.md "TLS
 * session resumption").  A resumed handshake skips the key exchange and
 * the certificate: no EC or RSA work.  BearSSL 0.6 has no RFC 5077
 * session tickets, so the server keeps the sessions: tls_server_config_new
 * gives CFG a cache of TLS_CACHE_ENTRIES sessions kept TLS_CACHE_TIMEOUT
 * seconds, in an anonymous shared mapping that the sessions forked after
 * it all use (a robust process-shared lock; the least recently used of a
 * full bucket of 4 goes).  It is never written to disk.
 * tls_server_config_cache replaces it by one of ENTRIES sessions kept
 * TIMEOUT seconds (PostboxTlsSessionCacheSize, PostboxTlsSessionTimeout);
 * either 0: none.  Call both before the sessions fork.  0, or -1 with
 * why in ERR (the config then has no cache).  tls_server_config_free
 * (and tls_server_config_cache) wipes the cache for every process that
 * shares it: the listener's business, never a session's.
 */
#define TLS_CACHE_ENTRIES 1024
#define TLS_CACHE_TIMEOUT 300
int tls_server_config_cache(struct tls_server_config *cfg, unsigned entries,
	long timeout, char *err, size_t errmax);
/* In a child that runs no TLS server (smtpd's delivery agent and queue
 * runner): unmaps the session caches this process made or inherited. */
void tls_server_caches_drop(void);

/* Loads the client's trust anchors: every certificate of the PEM bundle
 * CAFILE and of the files named HASH.N (c_rehash's form; else *.pem and
 * *.crt) in the folder CAPATH.  Both NULL (or "") means TLS_CA_DEFAULT,
 * and then a missing file is no error (zero anchors: verification
 * fails, opportunistic TLS still works).  Certificates that BearSSL
 * cannot decode are skipped.  NULL with a message in ERR when a named
 * file or folder cannot be read. */
struct tls_client_config *tls_client_config_new(const char *cafile,
	const char *capath, char *err, size_t errmax);
/* Adds a client certificate and key (ClientCertFile, ClientKeyFile),
 * loaded as tls_server_config_new does; sent when a server asks.
 * 0, or -1 with a message in ERR. */
int tls_client_config_cert(struct tls_client_config *cfg,
	const char *certfile, const char *keyfile, char *err, size_t errmax);
/* The number of trust anchors loaded. */
size_t tls_client_config_anchors(const struct tls_client_config *cfg);

/* What a trust anchor keeps of a certificate, pointers into its DER. */
struct tls_cert_parts {
	const unsigned char *dn;	/* the subject Name, whole element */
	size_t dnlen;
	int key_type;			/* 1 RSA, 2 EC (BearSSL's numbers) */
	const unsigned char *n, *e;	/* RSA, big-endian, no leading 0 */
	size_t nlen, elen;
	int curve;			/* EC: 23, 24, 25 (P-256/384/521) */
	const unsigned char *q;		/* EC: the point */
	size_t qlen;
	int ca;				/* basicConstraints cA is TRUE */
};
/* Finds the subject, the public key and the CA flag of the DER
 * certificate DER (LEN bytes) by a bounds-checked walk of RFC 5280 4.1:
 * what the client needs of each of the ~140 anchors of a CA bundle,
 * about 40 times faster than BearSSL's full decoder, which
 * tls_client_config_new still uses for anything this walk declines.
 * 0, or -1 (malformed, or a key other than RSA or P-256/384/521). */
int tls_cert_parts(const unsigned char *der, size_t len,
	struct tls_cert_parts *out);
void tls_client_config_free(struct tls_client_config *cfg);

/*
 * Performs the server side of a handshake over READER and WRITER (two
 * ios, on one socket or on inetd's fds 0 and 1), then switches both to
 * the TLS transport.  Both ios' deadlines are set to MS milliseconds
 * from now (0: none) for the handshake; set them again afterwards.
 *
 * RFC 3207 4: READER must hold no buffered plaintext, since bytes that
 * arrived before the handshake would otherwise be read as if they came
 * over TLS (the STARTTLS injection attack): with io_pending(READER) > 0
 * this refuses at once with errno EBUSY, before any TLS byte is sent.
 * WRITER's pending output (the "220 Ready to start TLS") is flushed
 * first.
 *
 * Returns the session (free it with tls_close) or NULL with errno and a
 * one-line reason in ERR ("client offers no TLS 1.2", "received alert
 * 48 (unknown_ca)", "timed out", ...).  After a failure the connection
 * is unusable: end the session without another reply.
 */
struct tls *tls_server_start(struct io *reader, struct io *writer,
	const struct tls_server_config *cfg, unsigned long ms,
	char *err, size_t errmax);

/* Verification results, in sendmail's ${verify} words (tls_verify_name). */
enum {
	TLS_VERIFY_NONE,	/* not attempted (opportunistic, no anchors) */
	TLS_VERIFY_OK,		/* chain to a trust anchor, host name matches */
	TLS_VERIFY_FAIL,	/* could not be verified */
};

/* Client flags. */
#define TLS_OPPORTUNISTIC 1	/* a failed verification does not abort */

/*
 * The client side: SNI and certificate verification against HOST (a
 * DNS name; NULL sends no SNI and checks no name).  Without
 * TLS_OPPORTUNISTIC, the handshake fails unless the chain ends at one of
 * CFG's anchors, is valid now and names HOST (RFC 6125: subjectAltName
 * dNSName, a wildcard in the left-most label only).  With it, the
 * handshake goes on whatever the certificate, and *VERIFY says OK or
 * FAIL (NONE when CFG has no anchors).  *VERIFY (may be NULL) is set on
 * success and on failure.  HOST as an address literal ("192.0.2.1",
 * "[IPv6:...]") cannot be verified (BearSSL checks DNS names only):
 * without TLS_OPPORTUNISTIC that fails (EINVAL) before any byte is sent;
 * with it, no SNI is sent (RFC 6066 3).  Otherwise as tls_server_start.
 * CFG remembers the session per destination (HOST, else the peer's
 * address, and the peer's port; 32 of them, TLS_CACHE_TIMEOUT seconds)
 * and offers it to the next handshake with the same one: a resumed
 * session keeps the verdict of its full handshake, and one that was not
 * verified is not offered without TLS_OPPORTUNISTIC.
 */
struct tls *tls_client_start(struct io *reader, struct io *writer,
	struct tls_client_config *cfg, const char *host, int flags,
	unsigned long ms, int *verify, char *err, size_t errmax);

/* Plaintext that arrived and that the engine holds, not yet handed to
 * the reader (a record larger than the room in the reader's buffer):
 * with io_pending(reader), what the client has sent beyond what was
 * read (smtpd's pipelining checks, README "smtpd").  0 for T NULL. */
size_t tls_pending(const struct tls *t);

/* "TLSv1.2": the protocol version, as OpenSSL names it (for Received:
 * and the log). */
const char *tls_version(const struct tls *t);
/* The cipher suite in OpenSSL's naming, as sendmail and Postfix log it:
 * "ECDHE-RSA-AES256-GCM-SHA384". */
const char *tls_cipher(const struct tls *t);
/* The cipher's key bits (128 or 256), for "bits=256/256". */
int tls_cipher_bits(const struct tls *t);
/* TLS_VERIFY_*: the client's verdict on the server (servers: NONE). */
int tls_verify(const struct tls *t);
/* 1 when the handshake resumed an earlier session, else 0. */
int tls_resumed(const struct tls *t);
/* 1 when the peer ended the connection without close_notify (RFC 5246
 * 7.2.1: a reader's end of file may then be a truncation), 0 when it
 * sent one or has not closed. */
int tls_truncated(const struct tls *t);
/* "OK", "NONE", "FAIL". */
const char *tls_verify_name(int verify);

/*
 * Ends the session: flushes the writer's pending data, sends close_notify
 * (RFC 5246 7.2.1; the peer's is not awaited) under the writer's deadline,
 * puts both ios back on the plain fd transport and frees the session.
 * Returns 0, or -1 with errno when the flush or close_notify could not be
 * sent (the session is freed all the same).  T NULL does nothing.
 */
int tls_close(struct tls *t);

#endif
