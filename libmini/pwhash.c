/* pwhash: crypt(3) hashes by libxcrypt (see pwhash.h). */
#include "libmini.h"
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_MAX	512	/* libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE */

static int fail(const char **why, int err, const char *msg)
{
	if (why)
		*why = msg;
	errno = err;
	return -1;
}

int pwhash_crypt(const char *password, const char *setting, char *out,
	size_t max, const char **why)
{
	struct crypt_data *cd;
	const char *h;
	size_t n;
	int r = 0;

	if (max)
		out[0] = 0;
	if (strlen(password) >= PASSWORD_MAX)
		return fail(why, EINVAL, "password too long");
	/* a method left out of the build is unknown to libxcrypt */
	switch (crypt_checksalt(setting)) {
	case CRYPT_SALT_OK:
	case CRYPT_SALT_METHOD_LEGACY:
	case CRYPT_SALT_TOO_CHEAP:
		break;
	default:
		return fail(why, EINVAL, "hash method not built in "
			"(CONFIG_XCRYPT_HASHES) or malformed hash");
	}
	/* struct crypt_data is 32 KB: not on a server's stack */
	cd = calloc(1, sizeof *cd);
	if (!cd)
		return fail(why, ENOMEM, "out of memory");
	h = crypt_rn(password, setting, cd, sizeof *cd);
	if (!h || h[0] == '*')
		r = fail(why, EINVAL, "malformed hash or unsupported "
			"parameters");
	else if ((n = strlen(h)) >= max)
		r = fail(why, ERANGE, "output buffer too small");
	else
		memcpy(out, h, n + 1);
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return r;
}
