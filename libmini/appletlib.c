/*
 * appletlib: the multicall dispatcher (main).
 *
 * Like BusyBox, postbox runs the applet named by basename(argv[0]), or by
 * its first argument when called as "postbox".  Before any applet runs:
 * fds 0-2 are opened on /dev/null if closed (so a daemon's first socket is
 * never mistaken for stderr), and set-uid/set-gid privilege is dropped
 * for good (real, effective and saved ids), except the group of an applet
 * whose header says "keepgroup" (the submission path writes the queue's
 * group-writable folder; it gives the group up itself when it must).
 */
#define _GNU_SOURCE	/* setresuid, getresuid */
#include "libmini.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "usage.h"

struct applet {
	const char *name;
	int (*main)(int, char **);
	const char *usage;
	unsigned char priv;
	const char *dir;
};

#define APPLET(n, m, u, p, d) { n, m, u, p, d },
static const struct applet applets[] = {
#include "applets.h"
	{ NULL, NULL, NULL, 0, NULL }
};
#undef APPLET

const char *applet_name;
static const struct applet *current;

static const struct applet *find(const char *name)
{
	const struct applet *a;

	for (a = applets; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

int applet_exists(const char *name)
{
	return find(name) != NULL;
}

static void print_usage(FILE *f)
{
	const char *u = current ? current->usage : "";

	if (!CFG_LONG_HELP) {
		const char *nl = strchr(u, '\n');

		fprintf(f, "%.*s\n", nl ? (int)(nl - u) : (int)strlen(u), u);
		return;
	}
	fputs(u, f);
}

void applet_help(void)
{
	print_usage(stdout);
}

void applet_usage(void)
{
	fflush(stdout);
	print_usage(stderr);
	exit(EX_USAGE);
}

static void list(FILE *f, int full)
{
	const struct applet *a;

	for (a = applets; a->name; a++) {
		if (full)
			fprintf(f, "%s/%s\n", a->dir, a->name);
		else
			fprintf(f, "%s\n", a->name);
	}
}

/* Drop set-id privilege as the applet's header asks: real, effective and
 * saved ids (priv_drop), or a set-gid binary's saved group would let the
 * applet take the queue's group back.  A failure to drop is fatal:
 * running on with a privilege we meant to give up is worse. */
static void drop_privilege(const struct applet *a)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		xdie_errno(EX_OSERR, "getresuid");
	if ((eg != rg || sg != rg) && a->priv != PRIV_KEEPGROUP)
		xpriv_drop((uid_t)-1, rg);
	if (eu != ru || su != ru)
		xpriv_drop(ru, (gid_t)-1);
}

int applet_run(const char *name, int argc, char **argv)
{
	const struct applet *a = find(name), *saved = current;
	const char *saved_name = applet_name;
	int r;

	if (!a)
		return 127;
	current = a;
	applet_name = a->name;
	r = a->main(argc, argv);
	current = saved;
	applet_name = saved_name;
	return r;
}

static int install(int argc, char **argv)
{
	char exe[PATH_MAX], path[PATH_MAX];
	const struct applet *a;
	int symbolic = 0, rc = EX_OK;
	ssize_t n;
	const char *dir;

	if (argc > 0 && strcmp(argv[0], "-s") == 0)
		symbolic = 1, argc--, argv++;
	if (argc != 1) {
		fprintf(stderr, "usage: postbox --install [-s] DIR\n");
		return EX_USAGE;
	}
	dir = argv[0];
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		xdie_errno(EX_OSERR, "cannot find my own path");
	exe[n] = 0;
	for (a = applets; a->name; a++) {
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, a->name)
				>= sizeof path)
			xdie(EX_USAGE, "%s: path too long", dir);
		if (strcmp(path, exe) == 0)
			continue;
		unlink(path);
		if ((symbolic ? symlink(exe, path) : link(exe, path)) < 0) {
			xwarn("%s: %s", path, strerror(errno));
			rc = EX_CANTCREAT;
		}
	}
	return rc;
}

static void open_std_fds(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			_exit(EX_OSERR);
	}
}

static int postbox_usage(FILE *f, int rc)
{
	fprintf(f, "usage: postbox APPLET [ARGS...]   or   APPLET [ARGS...]\n"
		"       postbox --list | --list-full | --install [-s] DIR\n"
		"applets:\n");
	list(f, 0);
	return rc;
}

int main(int argc, char **argv)
{
	const struct applet *a;
	const char *name;

	open_std_fds();
	name = strrchr(argv[0] ? argv[0] : "postbox", '/');
	name = name ? name + 1 : argv[0] ? argv[0] : "postbox";
	/* A login shell's "-name" and a leading "postbox" both mean us. */
	if (strcmp(name, "postbox") == 0) {
		if (argc < 2)
			return postbox_usage(stderr, EX_USAGE);
		if (strcmp(argv[1], "--list") == 0 ||
		    strcmp(argv[1], "--list-full") == 0) {
			list(stdout, argv[1][6] != 0);
			return EX_OK;
		}
		if (strcmp(argv[1], "--install") == 0)
			return install(argc - 2, argv + 2);
		if (strcmp(argv[1], "--help") == 0)
			return postbox_usage(stdout, EX_OK);
		argc--, argv++;
		name = argv[0];
	}
	a = find(name);
	if (!a) {
		fprintf(stderr, "postbox: applet not found: %s\n", name);
		postbox_usage(stderr, 127);
		return 127;
	}
	drop_privilege(a);
	current = a;
	applet_name = a->name;
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		applet_help();
		return EX_OK;
	}
	return a->main(argc, argv);
}
