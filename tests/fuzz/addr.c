/* addr: addr_check, the one check of a mailbox address (SMTP paths,
 * sendmail's command line and headers).  The first byte picks the end
 * set; the rest is the address. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *ends[] = { "", "> ", " ", ",>" };
	char err[128], *s;
	size_t len, local;

	if (size < 1)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	if (addr_check(s, ends[data[0] & 3], &len, &local, err,
			sizeof err) == 0) {
		if (len > size - 1 || local > len)
			abort();
	} else if (!err[0] || strlen(err) >= sizeof err) {
		abort();
	}
	free(s);
	return 0;
}
