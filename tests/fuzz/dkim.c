/* dkim: the input as a PEM key file (dkim_key_parse: BearSSL's PEM and
 * key decoders), as a From value (dkim_from_addr), through both
 * canonicalizations, as OpenDKIM's SigningTable and KeyTable (a refile:
 * and a plain lookup), and as a queued message that dkim_sign_fd reads
 * (the tables then name no key, so the message stays as it was). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_key k;
	struct dkim_signer s;
	struct dkim_body b;
	unsigned char h[32];
	char err[1500], addr[256], *canon, st[600], kt[600];
	const char *path;
	int fd;

	if (dkim_key_parse(&k, "fuzz", (const char *)data, size, err,
			sizeof err) == 0)
		dkim_key_free(&k);
	if (dkim_from_addr(addr, sizeof addr, (const char *)data, size) == 0 &&
			(!strchr(addr, '@') || strlen(addr) >= sizeof addr))
		abort();
	dkim_body_init(&b, DKIM_RELAXED);
	dkim_body_update(&b, (const char *)data, size);
	dkim_body_final(&b, h);
	dkim_body_init(&b, DKIM_SIMPLE);
	dkim_body_update(&b, (const char *)data, size);
	dkim_body_final(&b, h);
	canon = malloc(2 * size + 4);
	if (!canon)
		return 0;
	if (dkim_header_canon(canon, 2 * size + 4, (const char *)data, size,
			DKIM_RELAXED) < 0 || dkim_header_canon(canon,
			2 * size + 4, (const char *)data, size,
			DKIM_SIMPLE) < 0)
		abort();	/* twice the input always fits */
	free(canon);
	/* the input as both tables */
	path = fuzz_file("table", data, size);
	snprintf(st, sizeof st, "refile:%s", path);
	snprintf(kt, sizeof kt, "%s", path);
	dkim_lookup(kt, st, "user@example.org", &s, err, sizeof err);
	dkim_lookup(kt, kt, "user@example.org", &s, err, sizeof err);
	/* the input as a message, signed by a table with no key */
	fuzz_file("st", "nomatch@x.invalid k\n", 20);
	snprintf(st, sizeof st, "%s/st", fuzz_tmp());
	path = fuzz_file("msg", data, size);
	fd = open(path, O_RDWR);
	if (fd >= 0) {
		if (dkim_sign_fd(fd, kt, st, DKIM_RELAXED, DKIM_RELAXED, 0,
				err, sizeof err) > 0)
			abort();
		close(fd);
	}
	return 0;
}
