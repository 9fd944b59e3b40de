/* maildir: the mailbox reader on a Maildir whose file names come from
 * the input (one a line, up to 16; names with ":2," go to cur/, others to
 * new/; '/' becomes '_'), after a blank line the folder's uidlist
 * (postbox-uidlist): the names' info flags, the uidlist's lines matched
 * to the names, each message read back.  Read-only. */
#include "fuzz.h"
#include <dirent.h>

static char dir[512];

static void clean(const char *sub)
{
	char path[1024];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof path, "%s/%s", dir, sub);
	if (!(d = opendir(path)))
		abort();
	while ((de = readdir(d))) {
		char f[1400];

		if (de->d_name[0] == '.' && (!de->d_name[1] ||
				strcmp(de->d_name, "..") == 0))
			continue;
		snprintf(f, sizeof f, "%s/%s", path, de->d_name);
		unlink(f);
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mailbox mb;
	static struct mailbox_reader r;
	char err[MAILBOX_ERR_MAX], buf[4096], name[256], path[1024];
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t i, n, k;
	off_t total;
	int fd;

	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/Maildir", fuzz_tmp());
		if (maildir_make(dir) < 0)
			abort();
	}
	clean("new");
	clean("cur");
	snprintf(path, sizeof path, "%s/postbox-uidlist", dir);
	unlink(path);
	for (i = 0; p < end && i < 16; i++, p = nl + 1) {
		if (!(nl = memchr(p, '\n', end - p)))
			nl = end;
		if (nl == p) {		/* the blank line: the uidlist */
			p++;
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0 || write(fd, p, end - p) != end - p)
				abort();
			close(fd);
			break;
		}
		n = nl - p < 200 ? (size_t)(nl - p) : 200;
		for (k = 0; k < n; k++)
			name[k] = p[k] == '/' || p[k] == 0 ? '_' : p[k];
		name[n] = 0;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s/%s", dir,
			strstr(name, ":2,") ? "cur" : "new", name);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
			continue;
		if (write(fd, "Subject: x\n\nbody\n", 17) != 17)
			abort();
		close(fd);
		snprintf(path, sizeof path, "%s/postbox-uidlist", dir);
	}
	if (mailbox_open(&mb, dir, LOCAL_MAILDIR, MAILBOX_RDONLY, err,
			sizeof err) < 0)
		return 0;
	n = mailbox_count(&mb, &total);
	for (i = 0; i < n; i++) {
		if (mailbox_msg_open(&mb, i, &r) < 0)
			continue;
		while (mailbox_msg_read(&r, buf, sizeof buf) > 0)
			;
		mailbox_msg_close(&r);
	}
	mailbox_close(&mb);
	return 0;
}
