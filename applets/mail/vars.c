/*
 * mail's variables, aliases and start-up files (POSIX mailx "Internal
 * Variables", "Start-up"): ~/.mailrc and /etc/mail.rc hold ordinary
 * commands, one per line, '#' starting a comment line.
 */
#define _GNU_SOURCE
#include "mail.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mail_kv_add(struct mail_kv **l, const char *key, const char *val)
{
	struct mail_kv *kv, **p;

	for (p = l; *p; p = &(*p)->next)
		;
	kv = xzalloc(sizeof *kv);
	kv->key = xstrdup(key);
	kv->val = xstrdup(val ? val : "");
	*p = kv;
}

int mail_kv_del(struct mail_kv **l, const char *key)
{
	struct mail_kv *kv;
	int n = 0;

	while (*l) {
		kv = *l;
		if (strcmp(kv->key, key) == 0) {
			*l = kv->next;
			free(kv->key);
			free(kv->val);
			free(kv);
			n++;
		} else {
			l = &kv->next;
		}
	}
	return n;
}

const struct mail_kv *mail_kv_find(const struct mail_kv *l, const char *key)
{
	for (; l; l = l->next)
		if (strcmp(l->key, key) == 0)
			return l;
	return NULL;
}

void mail_kv_free(struct mail_kv **l)
{
	struct mail_kv *kv;

	while ((kv = *l)) {
		*l = kv->next;
		free(kv->key);
		free(kv->val);
		free(kv);
	}
}

const char *mail_var(const struct mail *m, const char *name)
{
	const struct mail_kv *kv = mail_kv_find(m->vars, name);

	/* PAGER, EDITOR, VISUAL, MBOX...: the environment is the default */
	if (!kv && name[0] >= 'A' && name[0] <= 'Z')
		return getenv(name);
	return kv ? kv->val : NULL;
}

int mail_bool(const struct mail *m, const char *name)
{
	return mail_var(m, name) != NULL;
}

long mail_num(const struct mail *m, const char *name, long def)
{
	const char *v = mail_var(m, name);
	unsigned long n;

	if (!v || str_toul(v, 1000000, &n) < 0)
		return def;
	return n;
}

void mail_set(struct mail *m, const char *name, const char *val)
{
	mail_kv_del(&m->vars, name);
	/* POSIX: "set noname" is "unset name" */
	if (strncmp(name, "no", 2) == 0 && name[2] && !val) {
		mail_kv_del(&m->vars, name + 2);
		return;
	}
	mail_kv_add(&m->vars, name, val);
}

void mail_unset(struct mail *m, const char *name)
{
	mail_kv_del(&m->vars, name);
}

int mail_words(char *line, char **w, int max)
{
	char *s = line, *d;
	int n = 0, q;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || n == max)
			return n;
		w[n++] = d = s;
		q = 0;
		while (*s && (q || (*s != ' ' && *s != '\t'))) {
			if (q && *s == q) {
				q = 0;
				s++;
			} else if (!q && (*s == '"' || *s == '\'')) {
				q = *s++;
			} else if (*s == '\\' && s[1] && q != '\'') {
				s++;
				*d++ = *s++;
			} else {
				*d++ = *s++;
			}
		}
		if (*s)
			s++;
		*d = 0;
	}
}

int mail_source(struct mail *m, const char *path)
{
	FILE *f;
	char line[MAIL_LINE_MAX];
	struct buf cont = BUF_INIT(64 * 1024);
	size_t len;
	int depth = m->cond_depth, skip = m->cond_skip, lineno = 0;

	if (m->rcdepth >= MAIL_RC_DEPTH) {
		xwarn("%s: too many nested source commands", path);
		return -1;
	}
	if (!(f = fopen(path, "re"))) {
		if (errno != ENOENT)
			xwarn("%s: %s", path, strerror(errno));
		return -1;
	}
	m->rcdepth++;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n') {
			int c;

			xwarn("%s:%d: line too long", path, lineno);
			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		/* a backslash at the end continues the line */
		if (len && line[len - 1] == '\\') {
			line[len - 1] = 0;
			buf_adds(&cont, line);
			continue;
		}
		if (cont.len) {
			buf_adds(&cont, line);
			str_lcpy(line, buf_str(&cont), sizeof line);
			buf_reset(&cont);
		}
		if (line[strspn(line, " \t")] == '#')
			continue;
		mail_command(m, line);
	}
	fclose(f);
	buf_free(&cont);
	if (m->cond_depth != depth) {
		xwarn("%s: missing endif", path);
		m->cond_depth = depth;
		m->cond_skip = skip;
	}
	m->rcdepth--;
	return 0;
}

int mail_expand_folder(const struct mail *m, const char *in, char *dst,
	size_t max)
{
	const char *fd = mail_var(m, "folder");
	size_t r;

	if (strcmp(in, "%") == 0 || (in[0] == '%' && in[1])) {
		/* %: the system mailbox; %user: theirs */
		char path[4096];
		const char *mail = getenv("MAIL");

		if (in[1] == 0 && mail && *mail)
			r = str_lcpy(dst, mail, max);
		else {
			snprintf(path, sizeof path, "/var/mail/%s",
				in[1] ? in + 1 : m->user);
			r = str_lcpy(dst, path, max);
		}
	} else if (strcmp(in, "#") == 0) {
		if (!m->prevfolder[0]) {
			errno = ENOENT;
			return -1;
		}
		r = str_lcpy(dst, m->prevfolder, max);
	} else if (strcmp(in, "&") == 0) {
		r = str_lcpy(dst, m->mboxpath, max);
	} else if (in[0] == '+') {
		/* POSIX: +name is name in the folder directory */
		if (!fd || !*fd)
			fd = "";
		if (fd[0] == '/' || !*fd)
			r = snprintf(dst, max, "%s%s%s", *fd ? fd : m->home,
				"/", in + 1);
		else
			r = snprintf(dst, max, "%s/%s/%s", m->home, fd, in + 1);
	} else if (in[0] == '~' && (in[1] == '/' || !in[1])) {
		r = snprintf(dst, max, "%s%s", m->home, in + 1);
	} else {
		r = str_lcpy(dst, in, max);
	}
	if (r >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Adds the address list S to OUT with aliases expanded, at most DEPTH
 * levels deep (a loop stops there). */
static void expand(const struct mail *m, const char *s, struct buf *out,
	int depth)
{
	struct msg_addr *a = xmalloc(sizeof *a);
	const struct mail_kv *kv;
	const char *p = s, *me;
	size_t n = strlen(s);

	while (msg_addr_next(&p, &n, a)) {
		if (!a->addr[0])
			continue;
		if (!a->name[0] && depth < 8 &&
				(kv = mail_kv_find(m->aliases, a->addr))) {
			expand(m, kv->val, out, depth + 1);
			continue;
		}
		/* POSIX metoo: without it the sender is left out of
		 * group expansions */
		me = m->user;
		if (depth > 0 && !mail_bool(m, "metoo") &&
				strcmp(a->addr, me) == 0)
			continue;
		if (out->len)
			buf_adds(out, ", ");
		if (a->name[0]) {
			int q = strpbrk(a->name, "()<>[]:;@\\,.\"") != NULL;
			const char *c;

			if (q)
				buf_addc(out, '"');
			for (c = a->name; *c; c++) {
				if (q && (*c == '"' || *c == '\\'))
					buf_addc(out, '\\');
				buf_addc(out, *c);
			}
			buf_printf(out, "%s <%s>", q ? "\"" : "", a->addr);
		} else {
			buf_adds(out, a->addr);
		}
	}
	free(a);
}

void mail_expand_aliases(const struct mail *m, const char *addrs,
	struct buf *out)
{
	expand(m, addrs, out, 0);
}
