/*
 * m4lite: regexp and patsubst: GNU's Emacs regex syntax translated to a
 * POSIX BRE for the C library's regcomp.
 */
#include "m4.h"

/* GNU m4 compiles with RE_SYNTAX_EMACS (0) and anchors at newlines:
 * \( \) \| are operators and ( ) | { } plain; no intervals and no
 * character classes; * + ? at the start of an expression are plain; ^
 * and $ anchor only at the ends of an expression; [^a] and \W match a
 * newline but . does not; \w \W \s \S \< \> \b \B are GNU's operators.
 * This rewrites such a pattern as a POSIX ERE for musl (REG_NEWLINE),
 * with brackets spelled out as explicit sets; map[] gives the ERE group
 * of each of GNU's groups. */
struct rx {
	regex_t re;
	int ngroups;		/* GNU's groups */
	int map[10];
	int nere;		/* groups in the ERE */
};

#define RX_ERPAREN	1000	/* glibc's "Unmatched ) or \)" */

static void emit_set(struct buf *o, const unsigned char *set, struct rx *rx)
{
	int c, d, n = 0, has_rb = set[']'], has_dash = set['-'];
	int has_hat = set['^'];

	for (c = 1; c < 256; c++)
		n += set[c] != 0;
	if (n == 0) {
		/* An empty set matches nothing: "end, then a". */
		m4_puts0(o, "\\($\\)a");
		rx->nere++;
		return;
	}
	if (n == 1 && has_hat) {
		m4_puts0(o, "\\^");
		return;
	}
	putc1(o, '[');
	if (has_rb)
		putc1(o, ']');
	for (c = 1; c < 256; c++) {
		if (!set[c] || c == ']' || c == '-' || c == '^')
			continue;
		for (d = c; d + 1 < 256 && set[d + 1] && d + 1 != ']' &&
		     d + 1 != '-' && d + 1 != '^'; d++)
			;
		putc1(o, c);
		if (d > c + 1)
			putc1(o, '-');
		if (d > c)
			putc1(o, d);
		c = d;
	}
	if (has_hat)
		putc1(o, '^');
	if (has_dash)
		putc1(o, '-');
	putc1(o, ']');
}

static void class_set(unsigned char *set, int which, int negate)
{
	int c;

	for (c = 1; c < 256; c++) {
		int in = which == 'w' ? (isalnum(c) || c == '_') :
			(c == ' ' || (c >= '\t' && c <= '\r'));

		set[c] = negate ? !in : in;
	}
}

/* 0, or a regcomp error code (RX_ERPAREN for an unmatched \)). */
static int emacs_to_ere(const char *s, struct buf *o, struct rx *rx)
{
	unsigned char set[256];
	int start = 1, stack[64], depth = 0, done = 0, c;

	rx->ngroups = rx->nere = 0;
	while (*s) {
		c = (unsigned char)*s++;
		if (c == '\\') {
			c = (unsigned char)*s++;
			switch (c) {
			case 0:
				return REG_EESCAPE;
			case '(':
				if (depth == 64)
					return REG_ESPACE;
				rx->nere++;
				if (rx->ngroups < 9)
					rx->map[rx->ngroups + 1] = rx->nere;
				stack[depth++] = ++rx->ngroups;
				m4_puts0(o, "\\(");
				start = 1;
				continue;
			case ')':
				if (depth == 0)
					return RX_ERPAREN;
				if (stack[--depth] < 10)
					done |= 1 << stack[depth];
				m4_puts0(o, "\\)");
				break;
			case '|':
				m4_puts0(o, "\\|");
				start = 1;
				continue;
			case '{': case '}':
				putc1(o, c);
				break;
			case 'w': case 'W': case 's': case 'S':
				class_set(set, c == 'w' || c == 'W' ? 'w' : 's',
					c == 'W' || c == 'S');
				emit_set(o, set, rx);
				break;
			case '`':
				putc1(o, '^');
				break;
			case '\'':
				putc1(o, '$');
				break;
			case '<': case '>': case 'b': case 'B':
				putc1(o, '\\');
				putc1(o, c);
				break;
			default:
				if (c >= '1' && c <= '9') {
					if (!(done & (1 << (c - '0'))))
						return REG_ESUBREG;
					putc1(o, '\\');
					putc1(o, '0' + rx->map[c - '0']);
				} else {
					if (strchr(".[]*^$\\", c))
						putc1(o, '\\');
					putc1(o, c);
				}
			}
			start = 0;
			continue;
		}
		switch (c) {
		case '[': {
			int neg = 0, first = 1;

			memset(set, 0, sizeof set);
			if (*s == '^')
				neg = 1, s++;
			if (*s == 0)
				return REG_BADPAT;
			for (;;) {
				c = (unsigned char)*s;
				if (c == 0)
					return REG_EBRACK;
				s++;
				if (c == ']' && !first)
					break;
				first = 0;
				/* No classes, no escapes; b-a is empty. */
				if (*s == '-' && s[1] && s[1] != ']') {
					int to = (unsigned char)s[1], k;

					for (k = c; k <= to; k++)
						set[k] = 1;
					s += 2;
					continue;
				}
				set[c] = 1;
			}
			if (neg)
				for (c = 1; c < 256; c++)
					set[c] = !set[c];
			set[0] = 0;
			emit_set(o, set, rx);
			break;
		}
		case '*':
			if (start)
				putc1(o, '\\');
			putc1(o, c);
			break;
		case '+': case '?':
			if (!start)
				putc1(o, '\\');
			putc1(o, c);
			break;
		case '^':
			putc1(o, '^');
			if (start)
				continue;	/* still at the start */
			break;
		case '$':
			if (*s == 0 || (s[0] == '\\' &&
					(s[1] == ')' || s[1] == '|')))
				putc1(o, '$');
			else
				m4_puts0(o, "\\$");
			break;
		case '.':
		default:
			putc1(o, c);
		}
		start = 0;
	}
	if (depth)
		return REG_EPAREN;
	return 0;
}

static const char *regex_message(int err)
{
	switch (err) {
	case RX_ERPAREN: return "Unmatched ) or \\)";
	case REG_NOMATCH: return "No match";
	case REG_BADPAT: return "Invalid regular expression";
	case REG_ECOLLATE: return "Invalid collation character";
	case REG_ECTYPE: return "Invalid character class name";
	case REG_EESCAPE: return "Trailing backslash";
	case REG_ESUBREG: return "Invalid back reference";
	case REG_EBRACK: return "Unmatched [, [^, [:, [., or [=";
	case REG_EPAREN: return "Unmatched ( or \\(";
	case REG_EBRACE: return "Unmatched \\{";
	case REG_BADBR: return "Invalid content of \\{\\}";
	case REG_ERANGE: return "Invalid range end";
	case REG_ESPACE: return "Memory exhausted";
	case REG_BADRPT: return "Invalid preceding regular expression";
	}
	return "Invalid regular expression";
}

static int compile_regex(struct m4 *m, struct rx *rx, const char *pat,
	const char *fmt)
{
	struct buf e = BUF_INIT(M4_MAX_TEXT);
	int r;

	r = emacs_to_ere(pat, &e, rx);
	if (!r)
		r = regcomp(&rx->re, e.p ? e.p : "", REG_NEWLINE);
	buf_free(&e);
	if (r) {
		m4_warn(m, fmt, pat, regex_message(r));
		return -1;
	}
	return 0;
}

/* Searches s (n bytes) from off; 0 with match[] set, else -1. */
static int regex_search(regex_t *re, const char *s, size_t off,
	regmatch_t *match, size_t nm)
{
	size_t i;
	int r;

	r = regexec(re, s + off, nm, match, off > 0 && s[off - 1] != '\n' ?
		REG_NOTBOL : 0);
	if (r)
		return -1;
	for (i = 0; i < nm; i++)
		if (match[i].rm_so >= 0) {
			match[i].rm_so += (regoff_t)off;
			match[i].rm_eo += (regoff_t)off;
		}
	return 0;
}

static void substitute(struct m4 *m, struct buf *o, const char *victim,
	const char *repl, regmatch_t *match, struct rx *rx)
{
	const char *bs;
	int c;

	for (;;) {
		bs = strchr(repl, '\\');
		if (!bs) {
			m4_puts0(o, repl);
			return;
		}
		m4_put(o, repl, (size_t)(bs - repl));
		repl = bs + 1;
		c = (unsigned char)*repl;
		switch (c) {
		case '0':
			if (!m->warned_0) {
				m4_warn(m,
					"Warning: \\0 will disappear, use \\& "
					"instead in replacements");
				m->warned_0 = 1;
			}
			/* fall through */
		case '&':
			m4_put(o, victim + match[0].rm_so,
				(size_t)(match[0].rm_eo - match[0].rm_so));
			repl++;
			break;
		case '1': case '2': case '3': case '4': case '5':
		case '6': case '7': case '8': case '9':
			c -= '0';
			if (c > rx->ngroups) {
				m4_warn(m, "Warning: sub-expression %d not "
					"present", c);
			} else {
				c = rx->map[c];
				if (match[c].rm_so >= 0)
					m4_put(o, victim + match[c].rm_so,
					    (size_t)(match[c].rm_eo -
						     match[c].rm_so));
			}
			repl++;
			break;
		case 0:
			m4_warn(m,
				"Warning: trailing \\ ignored in replacement");
			return;
		default:
			putc1(o, c);
			repl++;
		}
	}
}

#define RX_NMATCH	64

/* The index of the first match (-1 for none), or with a replacement
 * its expansion (nothing for no match). */
void m4_bi_regexp(struct m4 *m, struct args *a, struct buf *o)
{
	struct rx rx;
	regmatch_t match[RX_NMATCH];

	if (m4_bad_argc(m, a, 3, 4)) {
		if (a->argc == 2)
			m4_putint(o, 0);
		return;
	}
	if (compile_regex(m, &rx, a->v[2], "bad regular expression: `%s': %s"))
		return;
	if (regex_search(&rx.re, a->v[1], 0, match, RX_NMATCH) < 0) {
		if (a->argc == 3)
			m4_putint(o, -1);
	} else if (a->argc == 3) {
		m4_putint(o, (long)match[0].rm_so);
	} else {
		substitute(m, o, a->v[1], a->v[3], match, &rx);
	}
	regfree(&rx.re);
}

/* Every match replaced, left to right; an empty match copies one
 * character and moves on, so "a*" on "aaa" gives two replacements. */
void m4_bi_patsubst(struct m4 *m, struct args *a, struct buf *o)
{
	struct rx rx;
	regmatch_t match[RX_NMATCH];
	size_t off = 0, len = a->argc > 1 ? a->l[1] : 0;
	const char *v;

	if (m4_bad_argc(m, a, 3, 4)) {
		if (a->argc == 2)
			m4_put(o, a->v[1], a->l[1]);
		return;
	}
	v = a->v[1];
	if (compile_regex(m, &rx, a->v[2], "bad regular expression `%s': %s"))
		return;
	while (off <= len) {
		if (regex_search(&rx.re, v, off, match, RX_NMATCH) < 0) {
			if (off < len)
				m4_put(o, v + off, len - off);
			break;
		}
		if ((size_t)match[0].rm_so > off)
			m4_put(o, v + off, (size_t)match[0].rm_so - off);
		substitute(m, o, v, m4_arg(a, 3), match, &rx);
		off = (size_t)match[0].rm_eo;
		/* An empty match moves on by one character. */
		if (match[0].rm_so == match[0].rm_eo) {
			if (off < len)
				putc1(o, v[off]);
			off++;
		}
	}
	regfree(&rx.re);
}
