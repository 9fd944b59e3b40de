/*
 * cf's mailers: M lines (Mname, P=path, F=flags, ... A=argv) and
 * cf_mailer.
 */
#include "cf_priv.h"
#include <stdlib.h>
#include <string.h>

void mailer_free(struct cf_mailer *m)
{
	free(m->name);
	free(m->path);
	free(m->flags);
	free(m->argv);
	memset(m, 0, sizeof *m);
}

/* Mname, P=path, F=flags, ... A=argv */
int line_M(struct cf_reader *r, char *s)
{
	struct cf *cf = r->cf;
	struct cf_mailer m, *slot = NULL;
	char *p = s + 1, *name, *end;
	size_t i;

	memset(&m, 0, sizeof m);
	name = p;
	while (*p && *p != ',' && !is_space((unsigned char)*p))
		p++;
	end = p;
	if (*p)
		p++;
	*end = 0;
	if (!*name) {
		rd_err(r, "M line: mailer name expected");
		return -1;
	}
	while (*p) {
		char code, *val;

		while (*p == ',' || is_space((unsigned char)*p))
			p++;
		if (!*p)
			break;
		code = *p;
		while (*p && *p != '=' && *p != ',')
			p++;
		if (*p != '=') {
			rd_err(r, "M%s: `=' expected", name);
			mailer_free(&m);
			return -1;
		}
		p = skip_space(p + 1);
		p = munch(p, &val, ',');
		switch (code) {
		case 'P':
			if (set_str(&m.path, val) < 0)
				goto nomem;
			break;
		case 'F':
			if (set_str(&m.flags, val) < 0)
				goto nomem;
			break;
		case 'A':
			if (set_str(&m.argv, val) < 0)
				goto nomem;
			break;
		case 'M':
			if (str_toul(val, (unsigned long)-1, &m.maxsize) < 0) {
				rd_err(r, "M%s: bad M= size \"%s\"", name, val);
				mailer_free(&m);
				return -1;
			}
			break;
		default:	/* S= R= T= E= L= D= U= ...: not ours */
			break;
		}
	}
	if (!m.path || !*m.path || !m.argv || !*m.argv) {
		rd_err(r, "M%s: %s= required", name,
			!m.path || !*m.path ? "P" : "A");
		mailer_free(&m);
		return -1;
	}
	if (!m.flags && !(m.flags = strdup("")))
		goto nomem;
	if (!(m.name = strdup(name)))
		goto nomem;
	for (i = 0; i < cf->n_mailers; i++)
		if (strcmp(cf->mailers[i].name, name) == 0)
			slot = &cf->mailers[i];
	if (!slot) {
		if (cf->n_mailers >= CF_MAX_MAILERS) {
			rd_err(r, "too many M lines (%d max)", CF_MAX_MAILERS);
			mailer_free(&m);
			return -1;
		}
		slot = &cf->mailers[cf->n_mailers++];
	} else {
		mailer_free(slot);
	}
	*slot = m;
	return 0;
nomem:
	mailer_free(&m);
	return oom(r);
}

const struct cf_mailer *cf_mailer(const struct cf *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->n_mailers; i++)
		if (strcmp(cf->mailers[i].name, name) == 0)
			return &cf->mailers[i];
	return NULL;
}
