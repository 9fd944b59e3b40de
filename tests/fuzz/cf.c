/* cf: the sendmail.cf reader (cf_load on a file holding the input: C, F,
 * T, D, O, K, M and the ignored lines, continuations, comments, times and
 * sizes, DaemonPortOptions), then the macros expanded (cf_expand) as the
 * greeting and $j are. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cf cf;
	char err[512], out[1024];
	const char *path;

	path = fuzz_file("sendmail.cf", data, size);
	cf_init(&cf);
	cf_load(&cf, path, err, sizeof err);
	if (cf.opt.greeting)
		cf_expand(&cf, cf.opt.greeting, out, sizeof out);
	cf_expand(&cf, "$j $w ${daemon_flags} $?{x}yes$|no$. $&Z", out,
		sizeof out);
	cf_class_has(&cf, "w", "localhost");
	cf_free(&cf);
	return 0;
}
