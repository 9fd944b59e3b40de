/*
 * pwhash: the crypt(3) password hashes that /etc/shadow and Dovecot's
 * passwd-file hold, computed on BearSSL's hashes: MD5-crypt ($1$),
 * SHA-crypt ($5$ SHA-256, $6$ SHA-512, "rounds=" included, Drepper's
 * specification) and bcrypt ($2a$, $2b$, $2y$, OpenBSD's).  Debian's
 * musl has no crypt() at all (Debian #947193 removed it), so postbox
 * carries these.  Not here: yescrypt ($y$, Debian 12's default for new
 * passwords), DES and the other legacy forms.
 */
#ifndef LIBMINI_PWHASH_H
#define LIBMINI_PWHASH_H
#include <stddef.h>

#define PWHASH_MAX 128		/* the longest hash, NUL included */

/* Hashes PASSWORD with the scheme, cost and salt of SETTING (a whole hash,
 * or only its "$id$[rounds=N$]salt" part) into OUT (MAX bytes), as
 * crypt(3) would.  Returns 0, or -1 with errno EINVAL for a setting that
 * names no supported scheme or is malformed (the message for a log in
 * *WHY when WHY is not NULL), ERANGE when MAX is too small. */
int pwhash_crypt(const char *password, const char *setting, char *out,
	size_t max, const char **why);

#endif
