/*
 * cf's map declarations: K lines (Kname type [-flags] [path]) and
 * cf_map.  The maps themselves are map.c's.
 */
#include "cf_priv.h"
#include <stdlib.h>
#include <string.h>

void map_free(struct cf_map *m)
{
	free(m->name);
	free(m->type);
	free(m->path);
	free(m->flags);
	memset(m, 0, sizeof *m);
}

/* Map types that name a file; others (host, dequote, regex, ...) have
 * arguments but no file. */
static int map_has_file(const char *type)
{
	static const char *const files[] = {
		"hash", "btree", "dbm", "cdb", "text", "implicit",
	};
	size_t i;

	for (i = 0; i < sizeof files / sizeof *files; i++)
		if (strcmp(type, files[i]) == 0)
			return 1;
	return 0;
}

/* Kname type [-flags] [path] */
int line_K(struct cf_reader *r, char *s)
{
	struct cf *cf = r->cf;
	struct cf_map m, *slot = NULL;
	struct buf flags = BUF_INIT(CF_MAX_LINE);
	char *name, *type, *p = s + 1;
	size_t i;

	memset(&m, 0, sizeof m);
	name = p;
	while (*p && !is_space((unsigned char)*p))
		p++;
	if (*p)
		*p++ = 0;
	p = skip_space(p);
	type = p;
	while (*p && !is_space((unsigned char)*p))
		p++;
	if (*p)
		*p++ = 0;
	p = skip_space(p);
	if (!*name || !*type) {
		rd_err(r, "K line: map name and type expected");
		return -1;
	}
	/* sendmail's map flags: one word each, "-x" plus an optional
	 * argument glued to it; -o makes a missing file no error. */
	while (*p) {
		char *w = p;
		size_t n;

		while (*p && !is_space((unsigned char)*p))
			p++;
		n = p - w;
		p = skip_space(p);
		if (n == 2 && w[0] == '-' && w[1] == 'o') {
			m.optional = 1;
			continue;
		}
		if (map_has_file(type) && w[0] != '-' && !m.path) {
			if (!(m.path = dupn(w, n)))
				goto nomem;
			continue;
		}
		if ((flags.len && buf_addc(&flags, ' ') < 0) ||
		    buf_add(&flags, w, n) < 0)
			goto nomem;
	}
	if (map_has_file(type) && !m.path) {
		rd_err(r, "K%s: %s map needs a file", name, type);
		buf_free(&flags);
		return -1;
	}
	if (!(m.name = strdup(name)) || !(m.type = strdup(type)) ||
	    !(m.flags = strdup(buf_str(&flags))))
		goto nomem;
	buf_free(&flags);
	/* a second K line of the same name redefines the map */
	for (i = 0; i < cf->n_maps; i++)
		if (strcmp(cf->maps[i].name, name) == 0)
			slot = &cf->maps[i];
	if (!slot) {
		if (cf->n_maps >= CF_MAX_MAPS) {
			rd_err(r, "too many K lines (%d max)", CF_MAX_MAPS);
			map_free(&m);
			return -1;
		}
		slot = &cf->maps[cf->n_maps++];
	} else {
		map_free(slot);
	}
	*slot = m;
	return 0;
nomem:
	buf_free(&flags);
	map_free(&m);
	return oom(r);
}

const struct cf_map *cf_map(const struct cf *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->n_maps; i++)
		if (strcmp(cf->maps[i].name, name) == 0)
			return &cf->maps[i];
	return NULL;
}
