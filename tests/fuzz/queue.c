/* queue: the envelope reader (queue_env_parse: qfID files and their
 * journal lines, as runners, mailq and queue_lock read them), then the
 * envelope written back (queue_env_format) must read the same. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_env e, e2;
	struct buf out = BUF_INIT(1 << 24);
	char err[256];

	queue_env_init(&e);
	if (queue_env_parse(&e, (const char *)data, size, err,
			sizeof err) == 0 && queue_env_format(&e, &out) == 0) {
		queue_env_init(&e2);
		if (queue_env_parse(&e2, out.p, out.len, err, sizeof err) < 0) {
			fprintf(stderr, "reparse: %s\n", err);
			abort();
		}
		if (e2.n != e.n || strcmp(e2.sender, e.sender) != 0)
			abort();
		queue_env_free(&e2);
	}
	queue_env_free(&e);
	buf_free(&out);
	return 0;
}
