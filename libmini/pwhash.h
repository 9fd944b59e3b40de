/*
 * pwhash: the crypt(3) password hashes that /etc/shadow and Dovecot's
 * passwd-file hold, computed by libxcrypt (the library behind Debian's own
 * crypt(), built from its Debian source package by scripts/deps.sh): the
 * methods of CONFIG_XCRYPT_HASHES, by default yescrypt ($y$, Debian 12's
 * default), SHA-crypt ($6$, $5$), MD5-crypt ($1$) and bcrypt ($2b$ and
 * its variants).  Debian's musl has no crypt() at all.
 */
#ifndef LIBMINI_PWHASH_H
#define LIBMINI_PWHASH_H
#include <stddef.h>

#define PWHASH_MAX 128		/* the longest hash, NUL included */

/* Hashes PASSWORD with the scheme, cost and salt of SETTING (a whole hash,
 * or only its "$id$[params$]salt" part) into OUT (MAX bytes), as
 * crypt(3) would.  Returns 0, or -1 with errno EINVAL for a setting that
 * names no built-in method or is malformed (the message for a log in
 * *WHY when WHY is not NULL), ERANGE when MAX is too small, ENOMEM. */
int pwhash_crypt(const char *password, const char *setting, char *out,
	size_t max, const char **why);

#endif
