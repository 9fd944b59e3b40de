/*
 * m4lite: eval: GNU's expression grammar, its error messages and its
 * 32-bit wrapping arithmetic.
 */
#include "m4.h"

enum { E_OK, E_DIV, E_MOD, E_NEGEXP, E_MISSRIGHT, E_BADINPUT, E_EXCESS,
	E_BADOP, E_SYNTAX };
enum { K_ERROR, K_BADOP, K_PLUS, K_MINUS, K_EXP, K_TIMES, K_DIVIDE,
	K_MODULO, K_ASSIGN, K_EQ, K_NOTEQ, K_GT, K_GTEQ, K_LS, K_LSEQ,
	K_LSHIFT, K_RSHIFT, K_LNOT, K_LAND, K_LOR, K_NOT, K_AND, K_OR,
	K_XOR, K_LEFTP, K_RIGHTP, K_NUMBER, K_EOT };

struct ev {
	struct m4 *m;
	const char *s, *last;
	int depth;		/* nested parentheses and unary operators */
};

/* Parentheses, unary operators and ** recurse; past what the stack
 * holds, GNU's words for its own overflow, and exit 1.  Weights are in
 * stack frames of about 64 bytes, as measured on a parser with one
 * function per level (a parenthesis took 13); the table below takes
 * fewer, and the limit stays where it was. */
#define EV_PAREN	13

static void ev_deeper(struct ev *e, int weight)
{
	e->depth += weight;
	if (e->depth > e->m->max_depth * 3) {
		m4_flush_out(e->m);
		fprintf(stderr, "%s: stack overflow\n", e->m->prog);
		exit(1);
	}
}

static int ev_lex(struct ev *e, int32_t *val)
{
	const char *s;
	int base, digit;
	uint32_t v;

	while (isspace((unsigned char)*e->s))
		e->s++;
	e->last = e->s;
	s = e->s;
	if (*s == 0)
		return K_EOT;
	if (isdigit((unsigned char)*s)) {
		if (*s == '0') {
			s++;
			switch (*s) {
			case 'x': case 'X':
				base = 16, s++;
				break;
			case 'b': case 'B':
				base = 2, s++;
				break;
			case 'r': case 'R':
				base = 0, s++;
				while (isdigit((unsigned char)*s) && base <= 36)
					base = 10 * base + *s++ - '0';
				if (base == 0 || base > 36 || *s != ':') {
					e->s = s;
					return K_ERROR;
				}
				s++;
				break;
			default:
				base = 8;
			}
		} else {
			base = 10;
		}
		for (v = 0; *s; s++) {
			if (isdigit((unsigned char)*s))
				digit = *s - '0';
			else if (islower((unsigned char)*s))
				digit = *s - 'a' + 10;
			else if (isupper((unsigned char)*s))
				digit = *s - 'A' + 10;
			else
				break;
			if (base == 1) {
				if (digit == 1)
					v++;
				else if (digit == 0 && !v)
					continue;
				else
					break;
			} else if (digit >= base) {
				break;
			} else {
				v = v * (uint32_t)base + (uint32_t)digit;
			}
		}
		*val = (int32_t)v;
		e->s = s;
		return K_NUMBER;
	}
	e->s = s + 1;
	switch (*s) {
	case '+':
		return s[1] == '+' || s[1] == '=' ? K_BADOP : K_PLUS;
	case '-':
		return s[1] == '-' || s[1] == '=' ? K_BADOP : K_MINUS;
	case '*':
		if (s[1] == '*') {
			e->s++;
			return K_EXP;
		}
		return s[1] == '=' ? K_BADOP : K_TIMES;
	case '/':
		return s[1] == '=' ? K_BADOP : K_DIVIDE;
	case '%':
		return s[1] == '=' ? K_BADOP : K_MODULO;
	case '=':
		if (s[1] == '=') {
			e->s++;
			return K_EQ;
		}
		return K_ASSIGN;
	case '!':
		if (s[1] == '=') {
			e->s++;
			return K_NOTEQ;
		}
		return K_LNOT;
	case '>':
		if (s[1] == '=') {
			e->s++;
			return K_GTEQ;
		}
		if (s[1] == '>') {
			e->s++;
			return s[2] == '=' ? K_BADOP : K_RSHIFT;
		}
		return K_GT;
	case '<':
		if (s[1] == '=') {
			e->s++;
			return K_LSEQ;
		}
		if (s[1] == '<') {
			e->s++;
			return s[2] == '=' ? K_BADOP : K_LSHIFT;
		}
		return K_LS;
	case '^':
		return s[1] == '=' ? K_BADOP : K_XOR;
	case '~':
		return K_NOT;
	case '&':
		if (s[1] == '&') {
			e->s++;
			return K_LAND;
		}
		return s[1] == '=' ? K_BADOP : K_AND;
	case '|':
		if (s[1] == '|') {
			e->s++;
			return K_LOR;
		}
		return s[1] == '=' ? K_BADOP : K_OR;
	case '(':
		return K_LEFTP;
	case ')':
		return K_RIGHTP;
	}
	return K_ERROR;
}

/* Binding power of each binary operator, GNU's grammar from || (1) to
 * ** (EV_EXP); 0: not a binary operator.  ** alone groups to the right. */
#define EV_EXP		11
static const unsigned char ev_prec[K_EOT + 1] = {
	[K_LOR] = 1, [K_LAND] = 2, [K_OR] = 3, [K_XOR] = 4, [K_AND] = 5,
	[K_EQ] = 6, [K_NOTEQ] = 6, [K_ASSIGN] = 6,
	[K_GT] = 7, [K_GTEQ] = 7, [K_LS] = 7, [K_LSEQ] = 7,
	[K_LSHIFT] = 8, [K_RSHIFT] = 8,
	[K_PLUS] = 9, [K_MINUS] = 9,
	[K_TIMES] = 10, [K_DIVIDE] = 10, [K_MODULO] = 10,
	[K_EXP] = EV_EXP,
};

static int ev_expr(struct ev *e, int et, int32_t *v1, int min);

/* A number or a parenthesized expression; et is its first token. */
static int ev_simple(struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er;

	switch (et) {
	case K_LEFTP:
		ev_deeper(e, EV_PAREN);
		et = ev_lex(e, v1);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_expr(e, et, v1, 1)) != E_OK)
			return er;
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if (et != K_RIGHTP)
			return E_MISSRIGHT;
		e->depth -= EV_PAREN;
		return E_OK;
	case K_NUMBER:
		return E_OK;
	case K_BADOP:
		return E_BADOP;
	}
	return E_SYNTAX;
}

static int ev_unary(struct ev *e, int et, int32_t *v1)
{
	int er, et2;

	if (et == K_PLUS || et == K_MINUS || et == K_NOT || et == K_LNOT) {
		ev_deeper(e, 1);
		et2 = ev_lex(e, v1);
		if (et2 == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_unary(e, et2, v1)) != E_OK)
			return er;
		if (et == K_MINUS)
			*v1 = (int32_t)-(uint32_t)*v1;
		else if (et == K_NOT)
			*v1 = ~*v1;
		else if (et == K_LNOT)
			*v1 = *v1 == 0;
		e->depth--;
		return E_OK;
	}
	return ev_simple(e, et, v1);
}

/* *v1 = *v1 op v2, with GNU's errors and 32-bit wrapping. */
static int ev_apply(struct ev *e, int op, int32_t *v1, int32_t v2)
{
	uint32_t r, b, u = (uint32_t)*v1;

	switch (op) {
	case K_EXP:
		if (v2 < 0)
			return E_NEGEXP;
		/* GNU: 0**0 is undefined, reported as a division. */
		if (*v1 == 0 && v2 == 0)
			return E_DIV;
		/* Square and multiply: the same bits as GNU's loop. */
		for (r = 1, b = u; v2; v2 >>= 1, b *= b)
			if (v2 & 1)
				r *= b;
		*v1 = (int32_t)r;
		break;
	case K_TIMES:
		*v1 = (int32_t)(u * (uint32_t)v2);
		break;
	case K_DIVIDE:
		if (v2 == 0)
			return E_DIV;
		*v1 = v2 == -1 ? (int32_t)-u : *v1 / v2;
		break;
	case K_MODULO:
		if (v2 == 0)
			return E_MOD;
		*v1 = v2 == -1 ? 0 : *v1 % v2;
		break;
	case K_PLUS:
		*v1 = (int32_t)(u + (uint32_t)v2);
		break;
	case K_MINUS:
		*v1 = (int32_t)(u - (uint32_t)v2);
		break;
	case K_LSHIFT:
		*v1 = (int32_t)(u << (v2 & 31));
		break;
	case K_RSHIFT:
		v2 &= 31;
		*v1 = *v1 < 0 ? (int32_t)~(~u >> v2) : (int32_t)(u >> v2);
		break;
	case K_GT: *v1 = *v1 > v2; break;
	case K_GTEQ: *v1 = *v1 >= v2; break;
	case K_LS: *v1 = *v1 < v2; break;
	case K_LSEQ: *v1 = *v1 <= v2; break;
	case K_ASSIGN:
		m4_warn(e->m, "Warning: recommend ==, not =, for equality "
			"operator");
		/* fall through */
	case K_EQ: *v1 = *v1 == v2; break;
	case K_NOTEQ: *v1 = *v1 != v2; break;
	case K_AND: *v1 &= v2; break;
	case K_XOR: *v1 ^= v2; break;
	case K_OR: *v1 |= v2; break;
	case K_LAND: *v1 = *v1 && v2; break;
	default: *v1 = *v1 || v2; break;
	}
	return E_OK;
}

/* Precedence climbing: an operand, then the operators that bind at
 * least as tightly as min, each with its right operand parsed one level
 * tighter (** at its own level: it groups to the right).  The next
 * operator may never bind tighter than the last one taken: that holds
 * anyway unless a short-circuit skipped an error in the right operand,
 * and then it stops where GNU's one-function-per-level parser stops. */
static int ev_expr(struct ev *e, int et, int32_t *v1, int min)
{
	int32_t v2;
	int er, op, prec, max = EV_EXP;

	if ((er = ev_unary(e, et, v1)) != E_OK)
		return er;
	while ((prec = ev_prec[op = ev_lex(e, &v2)]) >= min && prec &&
	       prec <= max) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if (op == K_EXP) {
			ev_deeper(e, 1);
			if ((er = ev_expr(e, et, &v2, prec)) == E_OK)
				e->depth--;
		} else {
			er = ev_expr(e, et, &v2, prec + 1);
		}
		if (er == E_OK) {
			er = ev_apply(e, op, v1, v2);
		} else if (er < E_SYNTAX && ((op == K_LAND && *v1 == 0) ||
					     (op == K_LOR && *v1 != 0))) {
			/* Short-circuit: errors past a decided side are
			 * not errors. */
			*v1 = op == K_LOR;
			er = E_OK;
		}
		if (er != E_OK)
			return er;
		max = prec;
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

/* 0 and *val on success; else GNU's message and -1. */
static int evaluate(struct m4 *m, const char *expr, int32_t *val)
{
	static const char *const msg[] = {
		"", "divide by zero in eval: %s",
		"modulo by zero in eval: %s",
		"negative exponent in eval: %s",
		"bad expression in eval (missing right parenthesis): %s",
		"bad expression in eval (bad input): %s",
		"bad expression in eval (excess input): %s",
		"invalid operator in eval: %s",
		"bad expression in eval: %s",
	};
	struct ev e = { m, expr, expr, 0 };
	int et, er;

	et = ev_lex(&e, val);
	er = ev_expr(&e, et, val, 1);
	if (er == E_OK && *e.s) {
		int32_t v;

		er = ev_lex(&e, &v) == K_BADOP ? E_BADOP : E_EXCESS;
	}
	if (er == E_OK)
		return 0;
	m4_warn(m, msg[er], expr);
	/* GNU fails the run for this one error of eval's only. */
	if (er == E_BADOP)
		m->retcode = 1;
	return -1;
}

/* eval(expr, radix, width): radix 1 to 36 (1 is unary), width pads
 * the digits with zeros after any '-'. */
void m4_bi_eval(struct m4 *m, struct args *a, struct buf *o)
{
	int radix = 10, width = 1, neg;
	int32_t value = 0;
	uint32_t u;
	char digits[40];
	int n = 0, i;

	if (m4_bad_argc(m, a, 2, 4))
		return;
	if (a->argc >= 3 && *a->v[2] && !m4_numeric_arg(m, a, a->v[2], &radix))
		return;
	if (radix < 1 || radix > 36) {
		m4_warn(m, "radix %d in builtin `%s' out of range", radix,
			a->v[0]);
		return;
	}
	if (a->argc >= 4 && !m4_numeric_arg(m, a, a->v[3], &width))
		return;
	if (width < 0) {
		m4_warn(m, "negative width to builtin `%s'", a->v[0]);
		return;
	}
	if (!*a->v[1])
		m4_warn(m, "empty string treated as 0 in builtin `%s'",
			a->v[0]);
	else if (evaluate(m, a->v[1], &value) < 0)
		return;
	neg = value < 0;
	u = neg ? -(uint32_t)value : (uint32_t)value;
	if (neg)
		putc1(o, '-');
	if (radix == 1) {
		for (i = (int)u; i < width; i++)
			putc1(o, '0');
		while (u--)
			putc1(o, '1');
		return;
	}
	do {
		digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[u % radix];
		u /= (uint32_t)radix;
	} while (u);
	for (i = n; i < width; i++)
		putc1(o, '0');
	while (n)
		putc1(o, digits[--n]);
}
