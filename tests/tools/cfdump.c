/*
 * cfdump: a test driver for libmini/cf.  Loads a sendmail.cf (or only the
 * built-in defaults when FILE is "-") and prints a canonical dump: the
 * daemons, classes w, R and t, macros j, S and M, every typed option, the
 * maps and the mailers.  The host's own names (which differ per machine)
 * are left out of classes and shown as $j for macro j, so a dump can be
 * compared exactly (unless the host is named like a word of the cf).
 *
 *   cfdump [-n] [-c CLASS]... [-e STRING]... FILE
 *     -n         also print each note ("note: WHAT @ LINE")
 *     -c CLASS   print only class CLASS (repeatable; no other output)
 *     -e STRING  print only cf_expand(STRING) (repeatable)
 * Exit: 0, or 78 (EX_CONFIG) with cf_load's message on stderr.
 */
#include "libmini.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

const char *applet_name = "cfdump";

static char *host_w, *host_j;

static void show_note(const char *what, const char *where)
{
	const char *line = strrchr(where, ':');

	printf("note: %s @ %s\n", what, line ? line + 1 : where);
}

static const char *str(const char *s)
{
	return s ? s : "(unset)";
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One class, host names replaced by $w / $j, sorted, on one line. */
static void dump_class(const struct cf *cf, const char *name)
{
	const struct cf_list *l = cf_class(cf, name);
	const char **v;
	size_t i, n = 0;

	printf("class %s:", name);
	if (!l) {
		printf("\n");
		return;
	}
	v = xmalloc(l->n * sizeof *v);
	for (i = 0; i < l->n; i++) {
		const char *w = l->v[i];

		/* the machine's own names: left out (but "localhost",
		 * which every dump shows) */
		if (((host_j && strcasecmp(w, host_j) == 0) ||
		    (host_w && strcasecmp(w, host_w) == 0)) &&
		    strcasecmp(w, "localhost") != 0)
			continue;
		if (n && strcmp(v[n - 1], w) == 0)
			continue;
		v[n++] = w;
	}
	qsort(v, n, sizeof *v, cmp);
	for (i = 0; i < n; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			printf(" %s", v[i]);
	printf("\n");
	free(v);
}

static void dump_list(const char *name, const struct cf_list *l,
	const char *sep)
{
	size_t i;

	printf("option %s=", name);
	for (i = 0; i < l->n; i++)
		printf("%s%s", i ? sep : "", l->v[i]);
	printf("\n");
}

static void dump(const struct cf *cf)
{
	const struct cf_opts *o = &cf->opt;
	static const char *const macros[] = { "j", "S", "M" };
	size_t i;

	for (i = 0; i < cf->n_daemons; i++) {
		const struct cf_daemon *d = &cf->daemons[i];

		printf("daemon: name=%s addr=%s port=%u family=%s "
			"modifiers=%s\n", d->name, d->addr ? d->addr : "*",
			d->port, d->family == AF_INET6 ? "inet6" : "inet",
			d->modifiers);
	}
	dump_class(cf, "w");
	dump_class(cf, "R");
	dump_class(cf, "t");
	for (i = 0; i < sizeof macros / sizeof *macros; i++) {
		const char *v = cf_macro(cf, macros[i]);

		if (v && host_j && strcmp(macros[i], "j") == 0 &&
		    strcmp(v, host_j) == 0)
			v = "$j";
		printf("macro %s: %s\n", macros[i], str(v));
	}
	printf("option QueueDirectory=%s\n", str(o->queue_dir));
	dump_list("AliasFile", &o->alias_files, ",");
	dump_list("ForwardPath", &o->forward_path, ":");
	printf("option HelpFile=%s\n", str(o->help_file));
	printf("option StatusFile=%s\n", str(o->status_file));
	printf("option MaxMessageSize=%lu\n", o->max_message_size);
	printf("option MaxRecipientsPerMessage=%u\n", o->max_rcpts);
	printf("option MaxDaemonChildren=%u\n", o->max_children);
	printf("option ConnectionRateThrottle=%u\n", o->conn_rate);
	printf("option MaxHopCount=%u\n", o->max_hops);
	printf("option MinFreeBlocks=%ld\n", o->min_free_blocks);
	printf("option LogLevel=%u\n", o->log_level);
	printf("option DeliveryMode=%c\n", o->delivery_mode);
	printf("option ErrorMode=%c\n", o->error_mode);
	printf("option Timeout: initial=%ld helo=%ld mail=%ld rcpt=%ld "
		"datainit=%ld datablock=%ld datafinal=%ld command=%ld "
		"connect=%ld iconnect=%ld rset=%ld quit=%ld misc=%ld "
		"queuewarn=%ld queuereturn=%ld\n", o->to_initial, o->to_helo,
		o->to_mail, o->to_rcpt, o->to_datainit, o->to_datablock,
		o->to_datafinal, o->to_command, o->to_connect, o->to_iconnect,
		o->to_rset, o->to_quit, o->to_misc, o->to_queuewarn,
		o->to_queuereturn);
	printf("option PrivacyOptions=%s\n", str(o->privacy));
	dump_list("AuthMechanisms", &o->auth_mechs, " ");
	printf("option AuthOptions=%s\n", str(o->auth_options));
	printf("option ServerCertFile=%s\n", str(o->server_cert));
	printf("option ServerKeyFile=%s\n", str(o->server_key));
	printf("option CACertFile=%s\n", str(o->ca_file));
	printf("option CACertPath=%s\n", str(o->ca_path));
	printf("option ClientCertFile=%s\n", str(o->client_cert));
	printf("option ClientKeyFile=%s\n", str(o->client_key));
	printf("option SmtpGreetingMessage=%s\n", str(o->greeting));
	printf("option DefaultUser=%s\n", str(o->default_user));
	printf("option RunAsUser=%s\n", str(o->run_as_user));
	printf("option TrustedUser=%s\n", str(o->trusted_user));
	printf("option PostboxMailbox=%s\n", str(o->mailbox));
	printf("option PostboxVirtualUsers=%s\n", str(o->virtual_users));
	for (i = 0; i < cf->n_maps; i++) {
		const struct cf_map *m = &cf->maps[i];

		printf("map %s: type=%s path=%s optional=%d flags=%s\n",
			m->name, m->type, str(m->path), m->optional, m->flags);
	}
	for (i = 0; i < cf->n_mailers; i++) {
		const struct cf_mailer *m = &cf->mailers[i];

		printf("mailer %s: path=%s flags=%s argv=%s maxsize=%lu\n",
			m->name, m->path, m->flags, m->argv, m->maxsize);
	}
}

int main(int argc, char **argv)
{
	struct cf *cf = xzalloc(sizeof *cf);
	char err[512], out[4096];
	const char *only_class[16], *expand[16];
	size_t n_class = 0, n_expand = 0, i;
	int c, notes = 0;

	while ((c = getopt(argc, argv, "nc:e:")) != -1) {
		switch (c) {
		case 'n':
			notes = 1;
			break;
		case 'c':
			if (n_class < 16)
				only_class[n_class++] = optarg;
			break;
		case 'e':
			if (n_expand < 16)
				expand[n_expand++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: cfdump [-n] [-c CLASS] "
				"[-e STRING] FILE\n");
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: cfdump [-n] [-c CLASS] [-e STRING] "
			"FILE\n");
		return EX_USAGE;
	}
	cf_init(cf);
	host_w = xstrdup(cf_macro(cf, "w"));
	host_j = xstrdup(cf_macro(cf, "j"));
	if (notes)
		cf->note = show_note;
	if (strcmp(argv[optind], "-") != 0 &&
	    cf_load(cf, argv[optind], err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		cf_free(cf);
		return EX_CONFIG;
	}
	for (i = 0; i < n_class; i++)
		dump_class(cf, only_class[i]);
	for (i = 0; i < n_expand; i++) {
		int n = cf_expand(cf, expand[i], out, sizeof out);

		printf("%d:%s\n", n, out);
	}
	if (!n_class && !n_expand)
		dump(cf);
	cf_free(cf);
	free(cf);
	return 0;
}
