/*
 * m4lite: the symbol table: names, their stacked definitions, tracing
 * marks.
 */
#include "m4.h"

/* FNV-1a: names are short, and this spreads them well enough. */
static unsigned hash_name(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The table grows by four whenever it is full, so chains stay short
 * (sendmail-cf defines a few thousand names). */
static void rehash(struct m4 *m)
{
	size_t ns = m->tabsize ? m->tabsize * 4 : 1024, i;
	struct sym **t = m4alloc(ns * sizeof *t), *s, *next;

	memset(t, 0, ns * sizeof *t);
	for (i = 0; i < m->tabsize; i++)
		for (s = m->tab[i]; s; s = next) {
			next = s->next;
			s->next = t[s->hash & (ns - 1)];
			t[s->hash & (ns - 1)] = s;
		}
	free(m->tab);
	m->tab = t;
	m->tabsize = ns;
}

struct sym *m4_lookup(struct m4 *m, const char *name, size_t n, int create)
{
	unsigned h = hash_name(name, n);
	struct sym *s;

	if (m->tabsize)
		for (s = m->tab[h & (m->tabsize - 1)]; s; s = s->next)
			if (s->hash == h && s->nlen == n &&
			    memcmp(s->name, name, n) == 0)
				return s;
	if (!create)
		return NULL;
	if (m->nsyms >= m->tabsize)
		rehash(m);
	s = m4alloc(sizeof *s + n + 1);
	memcpy(s->name, name, n);
	s->name[n] = 0;
	s->nlen = n;
	s->hash = h;
	s->top = NULL;
	s->traced = 0;
	s->next = m->tab[h & (m->tabsize - 1)];
	m->tab[h & (m->tabsize - 1)] = s;
	m->nsyms++;
	return s;
}

void m4_forget_sym(struct m4 *m, struct sym *s)
{
	struct sym **pp = &m->tab[s->hash & (m->tabsize - 1)];

	if (s->top || s->traced)
		return;
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	m->nsyms--;
	free(s);
}

void m4_drop_def(struct def *d)
{
	if (d->refs) {
		d->dead = 1;
		return;
	}
	free(d->text);
	free(d);
}

static struct def *new_def(int bi, const char *text, size_t len)
{
	struct def *d = m4alloc(sizeof *d);

	d->prev = NULL;
	d->bi = bi;
	d->refs = d->dead = 0;
	d->len = bi >= 0 ? 0 : len;
	d->text = bi >= 0 ? NULL : m4strndup(text, len);
	return d;
}

/* define (push 0) replaces the top definition, pushdef stacks a new one.
 * A pending call keeps using the definition it started with. */
void m4_define_sym(struct m4 *m, const char *name, size_t n, int bi,
	const char *text, size_t len, int push)
{
	struct sym *s = m4_lookup(m, name, n, 1);
	struct def *d = new_def(bi, text, len);

	if (s->top) {
		d->prev = s->top->prev;
		if (push)
			d->prev = s->top;
		else
			m4_drop_def(s->top);
	}
	s->top = d;
}

void m4_undefine_sym(struct m4 *m, struct sym *s, int all)
{
	struct def *d;

	while ((d = s->top)) {
		s->top = d->prev;
		m4_drop_def(d);
		if (!all)
			break;
	}
	/* A traced name stays traced (GNU keeps a placeholder). */
	m4_forget_sym(m, s);
}
