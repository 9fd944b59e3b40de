/* mbox: the mailbox reader of pop3d and mail on an mbox file holding the
 * input: the scan (From_ lines, mboxrd quoting, Status/X-Status flags,
 * the UID keys, sizes as sent), then each message read back unquoted
 * (mailbox_msg_read) and its From_ line (mailbox_from_line).  Read-only:
 * nothing is written. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mailbox mb;
	static struct mailbox_reader r;
	char err[MAILBOX_ERR_MAX], buf[4096];
	const char *path;
	off_t total;
	size_t i, n;
	ssize_t k;

	path = fuzz_file("mbox", data, size);
	if (mailbox_open(&mb, path, LOCAL_MBOX, MAILBOX_RDONLY, err,
			sizeof err) < 0)
		return 0;
	n = mailbox_count(&mb, &total);
	for (i = 0; i < n && i < 64; i++) {
		off_t got = 0;

		mailbox_from_line(&mb, i, buf, sizeof buf);
		if (mailbox_msg_open(&mb, i, &r) < 0)
			continue;
		while ((k = mailbox_msg_read(&r, buf, sizeof buf)) > 0)
			got += k;
		mailbox_msg_close(&r);
		if (got > mb.msg[i].len)
			abort();
	}
	mailbox_close(&mb);
	return 0;
}
