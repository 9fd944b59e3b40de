/*
 * localdrv: a test driver for sendmail's local expansion and delivery
 * (applets/sendmail/expand.c, deliver.c) over libmini (local, mbox,
 * maildir, vusers).
 *
 *   localdrv [-C CF] expand ADDR...
 *	prints each target of each ADDR, one per line:
 *	  mailbox USER[+DETAIL] | file PATH as USER | program CMD as USER |
 *	  remote ADDR | error STATUS TEXT   (then " owner=OWNER" when set)
 *   localdrv [-C CF] [-f SENDER] [-r RCPT] [-L BYTES] deliver ADDR...
 *	expands each ADDR and delivers the message read from stdin to each
 *	target, printing "TARGET: STATUS DSN TEXT"; -L sets RLIMIT_FSIZE
 *	once the message is read (a write failing half-way)
 *   localdrv [-C CF] mailbox USER HOME
 *	prints local_mailbox's kind and path
 *   localdrv vusers FILE USER
 *	prints "USER uid gid home" or "absent", or the error
 * Exit: 0; 75 when anything was temporary; else the first permanent
 * sysexits code; 78 when the cf does not load.
 */
#include "../../applets/sendmail/sendmail.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const char *applet_name = "localdrv";

struct run {
	const struct cf *cf;
	struct local_msg *msg;
	int deliver;
	int rc;
};

static void describe(const struct local_target *t, char *dst, size_t max)
{
	int n = 0;

	switch (t->kind) {
	case LOCAL_MAILBOX:
		n = snprintf(dst, max, "mailbox %s%s%s", t->user,
			t->path[0] ? "+" : "", t->path);
		break;
	case LOCAL_FILE:
		n = snprintf(dst, max, "file %s as %s", t->path, t->user);
		break;
	case LOCAL_PROGRAM:
		n = snprintf(dst, max, "program %s as %s", t->path, t->user);
		break;
	case LOCAL_REMOTE:
		n = snprintf(dst, max, "remote %s", t->path);
		break;
	case LOCAL_ERROR:
		n = snprintf(dst, max, "error %s %s", t->status, t->text);
		break;
	}
	if (t->owner[0] && n >= 0 && (size_t)n < max)
		snprintf(dst + n, max - n, " owner=%s", t->owner);
}

static void merge_rc(struct run *r, int status)
{
	if (status == EX_TEMPFAIL)
		r->rc = EX_TEMPFAIL;
	else if (status && r->rc == 0)
		r->rc = status;
}

static int on_target(void *ctx, const struct local_target *t)
{
	struct run *r = ctx;
	struct local_result res;
	char d[1600];

	describe(t, d, sizeof d);
	if (!r->deliver) {
		printf("%s\n", d);
		return 0;
	}
	local_deliver(r->cf, t, r->msg, &res);
	printf("%s: %d %s %s\n", d, res.status, res.dsn, res.text);
	merge_rc(r, res.status);
	return 0;
}

static int message_fd(void)
{
	char path[] = "/tmp/localdrv.XXXXXX", chunk[65536];
	ssize_t n;
	int fd = mkstemp(path);

	if (fd < 0)
		xdie_errno(EX_OSERR, "mkstemp");
	unlink(path);
	while ((n = read(0, chunk, sizeof chunk)) > 0)
		if (write(fd, chunk, n) != n)
			xdie_errno(EX_IOERR, "write");
	return fd;
}

int main(int argc, char **argv)
{
	struct cf *cf = xzalloc(sizeof *cf);
	struct local_msg msg = { -1, "", NULL, "TEST", 0 };
	struct run r = { cf, &msg, 0, 0 };
	const char *cfpath = NULL, *rcpt = NULL, *cmd;
	long limit = 0;
	char err[512];
	int c, i;

	while ((c = getopt(argc, argv, "C:f:L:r:t:")) != -1) {
		switch (c) {
		case 'C': cfpath = optarg; break;
		case 'f': msg.sender = optarg; break;
		case 'L': limit = atol(optarg); break;
		case 'r': rcpt = optarg; break;
		case 't': msg.arrived = atol(optarg); break;
		default: return EX_USAGE;
		}
	}
	if (optind >= argc)
		return EX_USAGE;
	cmd = argv[optind++];
	if (strcmp(cmd, "vusers") == 0) {
		struct vusers_entry e;

		if (argc - optind != 2)
			return EX_USAGE;
		c = vusers_lookup(argv[optind], argv[optind + 1], &e, err,
			sizeof err);
		if (c < 0) {
			printf("error: %s\n", err);
			return EX_TEMPFAIL;
		}
		if (c == 0)
			printf("absent\n");
		else
			printf("%s %s%ld %ld %s\n", e.user, e.has_ids ? "" :
				"(no ids) ", (long)e.uid, (long)e.gid, e.home);
		return 0;
	}
	cf_init(cf);
	if (cfpath && cf_load(cf, cfpath, err, sizeof err) < 0) {
		fprintf(stderr, "localdrv: %s\n", err);
		return EX_CONFIG;
	}
	if (strcmp(cmd, "mailbox") == 0) {
		char path[1024];

		if (argc - optind != 2)
			return EX_USAGE;
		c = local_mailbox(cf, argv[optind], argv[optind + 1], path,
			sizeof path);
		if (c < 0) {
			printf("error: %s\n", strerror(errno));
			return 1;
		}
		printf("%s %s\n", c == LOCAL_MAILDIR ? "maildir" : "mbox",
			path);
		return 0;
	}
	if (strcmp(cmd, "deliver") == 0) {
		r.deliver = 1;
		msg.fd = message_fd();
		if (limit > 0) {
			struct rlimit rl = { (rlim_t)limit, (rlim_t)limit };

			if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
				xdie_errno(EX_OSERR, "setrlimit");
		}
	} else if (strcmp(cmd, "expand") != 0)
		return EX_USAGE;
	for (i = optind; i < argc; i++) {
		msg.rcpt = rcpt ? rcpt : argv[i];
		c = local_expand(cf, argv[i], on_target, &r, err, sizeof err);
		if (c) {
			printf("%s: temporary: %s\n", argv[i], err);
			merge_rc(&r, c);
		}
	}
	fflush(stdout);
	return r.rc;
}
