/* folder: IMAP folder names (folder.h).  The input as modified UTF-7:
 * what decodes must encode back to the same bytes (strict, canonical);
 * as UTF-8: what encodes must decode back; as a name (folder_canon,
 * folder_path); and split at its first newline into a LIST pattern and a
 * name (folder_match, "*" matching all), the pattern also listed over a
 * small mbox tree and a Maildir++ tree made once.  Read-only after the
 * trees are made. */
#include "fuzz.h"
#include <sys/stat.h>

static struct folder_store mbox_fs, maildir_fs;

static int count(void *arg, const char *name, unsigned attrs)
{
	char canon[FOLDER_NAME_MAX + 1];

	/* every name listed is a valid, canonical name */
	if (folder_canon(NULL, name, 0, canon, sizeof canon) < 0 ||
	    strcmp(canon, name) != 0)
		abort();
	++*(int *)arg;
	return 0;
}

static void trees(void)
{
	static const char *const names[] = { "Sent", "Lists/linux",
		"Entw&APw-rfe/a.b", "INBOX/kid", "x/y/z/", "Trash" };
	static const char *const special[5] = { "Drafts", "Sent", "Trash",
		"Junk", "Archive" };
	char p[512], q[512];
	size_t i;

	snprintf(p, sizeof p, "%s/inbox", fuzz_tmp());
	snprintf(q, sizeof q, "%s/mail", fuzz_tmp());
	close(open(p, O_WRONLY | O_CREAT, 0600));
	if (folder_init(&mbox_fs, LOCAL_MBOX, p, q) < 0)
		abort();
	snprintf(p, sizeof p, "%s/Maildir", fuzz_tmp());
	if (maildir_make(p) < 0 ||
	    folder_init(&maildir_fs, LOCAL_MAILDIR, p, NULL) < 0)
		abort();
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		if (folder_create(&mbox_fs, names[i]) < 0 ||
		    folder_create(&maildir_fs, names[i]) < 0)
			abort();
	}
	folder_subscribe(&mbox_fs, "Sent", 1);
	folder_subscribe(&mbox_fs, "gone/x", 1);
	folder_special(&mbox_fs, special);
	folder_special(&maildir_fs, special);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *nl;
	char out[4096], back[4096], canon[FOLDER_NAME_MAX + 1], path[4096];
	int n, m, c = 0;

	if (!mbox_fs.root[0])
		trees();
	n = folder_mutf7_to_utf8(s, size, out, sizeof out);
	if (n >= 0) {
		m = folder_utf8_to_mutf7(out, (size_t)n, back, sizeof back);
		if (m != (int)size || memcmp(back, s, size) != 0)
			abort();
	}
	n = folder_utf8_to_mutf7(s, size, out, sizeof out);
	if (n >= 0) {
		m = folder_mutf7_to_utf8(out, (size_t)n, back, sizeof back);
		if (m != (int)size || memcmp(back, s, size) != 0)
			abort();
	}
	if (folder_canon(&mbox_fs, s, 1, canon, sizeof canon) == 0) {
		if (folder_canon(&mbox_fs, canon, 0, back, sizeof back) < 0 ||
		    strcmp(back, canon) != 0)
			abort();
		folder_path(&mbox_fs, s, path, sizeof path, NULL);
		folder_path(&maildir_fs, s, path, sizeof path, NULL);
	}
	if ((nl = strchr(s, '\n'))) {
		*nl = 0;
		folder_match(s, nl + 1);
		if (!folder_match("*", nl + 1))
			abort();
		folder_list(&mbox_fs, nl + 1, s, 0, count, &c);
		folder_list(&maildir_fs, "", s, FOLDER_LIST_LSUB, count, &c);
	} else {
		folder_list(&mbox_fs, "", s, FOLDER_LIST_SUBSCRIBED |
			FOLDER_LIST_RECURSIVE, count, &c);
	}
	free(s);
	return 0;
}
