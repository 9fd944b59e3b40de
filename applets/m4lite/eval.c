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
	const char *s, *last;
	int depth;		/* nested parentheses and unary operators */
};

/* Parentheses, unary operators and ** recurse; past what the stack
 * holds, GNU's words for its own overflow, and exit 1.  Weights are in
 * stack frames of about 64 bytes (measured: a parenthesis takes 13). */
#define EV_PAREN	13

static void ev_deeper(struct m4 *m, struct ev *e, int weight)
{
	e->depth += weight;
	if (e->depth > m->max_depth * 3) {
		m4_flush_out(m);
		fprintf(stderr, "%s: stack overflow\n", m->prog);
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

static int ev_or(struct m4 *m, struct ev *e, int et, int32_t *v1);

static int ev_simple(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er;

	switch (et) {
	case K_LEFTP:
		ev_deeper(m, e, EV_PAREN);
		et = ev_lex(e, v1);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_or(m, e, et, v1)) != E_OK)
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

static int ev_unary(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int er, et2;

	if (et == K_PLUS || et == K_MINUS || et == K_NOT || et == K_LNOT) {
		ev_deeper(m, e, 1);
		et2 = ev_lex(e, v1);
		if (et2 == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_unary(m, e, et2, v1)) != E_OK)
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
	return ev_simple(m, e, et, v1);
}

static int ev_exp(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	uint32_t r, b;
	int er;

	if ((er = ev_unary(m, e, et, v1)) != E_OK)
		return er;
	while ((et = ev_lex(e, &v2)) == K_EXP) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		ev_deeper(m, e, 1);
		if ((er = ev_exp(m, e, et, &v2)) != E_OK)
			return er;
		e->depth--;
		if (v2 < 0)
			return E_NEGEXP;
		/* GNU: 0**0 is undefined, reported as a division. */
		if (*v1 == 0 && v2 == 0)
			return E_DIV;
		/* Square and multiply: the same bits as GNU's loop. */
		for (r = 1, b = (uint32_t)*v1; v2; v2 >>= 1, b *= b)
			if (v2 & 1)
				r *= b;
		*v1 = (int32_t)r;
	}
	if (et == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_mult(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_exp(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_TIMES || op == K_DIVIDE ||
	       op == K_MODULO) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_exp(m, e, et, &v2)) != E_OK)
			return er;
		if (op == K_TIMES) {
			*v1 = (int32_t)((uint32_t)*v1 * (uint32_t)v2);
		} else if (op == K_DIVIDE) {
			if (v2 == 0)
				return E_DIV;
			*v1 = v2 == -1 ? (int32_t)-(uint32_t)*v1 : *v1 / v2;
		} else {
			if (v2 == 0)
				return E_MOD;
			*v1 = v2 == -1 ? 0 : *v1 % v2;
		}
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_add(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_mult(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_PLUS || op == K_MINUS) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_mult(m, e, et, &v2)) != E_OK)
			return er;
		if (op == K_PLUS)
			*v1 = (int32_t)((uint32_t)*v1 + (uint32_t)v2);
		else
			*v1 = (int32_t)((uint32_t)*v1 - (uint32_t)v2);
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_shift(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	uint32_t u;
	int er, op;

	if ((er = ev_add(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_LSHIFT || op == K_RSHIFT) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_add(m, e, et, &v2)) != E_OK)
			return er;
		u = (uint32_t)*v1;
		v2 &= 31;
		if (op == K_LSHIFT)
			*v1 = (int32_t)(u << v2);
		else
			*v1 = *v1 < 0 ? (int32_t)~(~u >> v2) :
				(int32_t)(u >> v2);
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_cmp(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_shift(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_GT || op == K_GTEQ ||
	       op == K_LS || op == K_LSEQ) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_shift(m, e, et, &v2)) != E_OK)
			return er;
		switch (op) {
		case K_GT: *v1 = *v1 > v2; break;
		case K_GTEQ: *v1 = *v1 >= v2; break;
		case K_LS: *v1 = *v1 < v2; break;
		default: *v1 = *v1 <= v2; break;
		}
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_eq(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er, op;

	if ((er = ev_cmp(m, e, et, v1)) != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == K_EQ || op == K_NOTEQ ||
	       op == K_ASSIGN) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		if ((er = ev_cmp(m, e, et, &v2)) != E_OK)
			return er;
		if (op == K_ASSIGN) {
			m4_warn(m, "Warning: recommend ==, not =, for equality "
				"operator");
			op = K_EQ;
		}
		*v1 = (op == K_EQ) == (*v1 == v2);
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

/* The bitwise levels share one shape. */
static int ev_bits(struct m4 *m, struct ev *e, int et, int32_t *v1, int level)
{
	static const int ops[] = { K_AND, K_XOR, K_OR };
	int32_t v2;
	int er, op;

	er = level == 0 ? ev_eq(m, e, et, v1) : ev_bits(m, e, et, v1,
		level - 1);
	if (er != E_OK)
		return er;
	while ((op = ev_lex(e, &v2)) == ops[level]) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		er = level == 0 ? ev_eq(m, e, et, &v2) :
			ev_bits(m, e, et, &v2, level - 1);
		if (er != E_OK)
			return er;
		if (op == K_AND)
			*v1 &= v2;
		else if (op == K_XOR)
			*v1 ^= v2;
		else
			*v1 |= v2;
	}
	if (op == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_and(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er;

	if ((er = ev_bits(m, e, et, v1, 2)) != E_OK)
		return er;
	while ((et = ev_lex(e, &v2)) == K_LAND) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		/* Short-circuit: errors past a false left side are not. */
		er = ev_bits(m, e, et, &v2, 2);
		if (er == E_OK)
			*v1 = *v1 && v2;
		else if (*v1 == 0 && er < E_SYNTAX)
			;
		else
			return er;
	}
	if (et == K_ERROR)
		return E_BADINPUT;
	e->s = e->last;
	return E_OK;
}

static int ev_or(struct m4 *m, struct ev *e, int et, int32_t *v1)
{
	int32_t v2;
	int er;

	if ((er = ev_and(m, e, et, v1)) != E_OK)
		return er;
	while ((et = ev_lex(e, &v2)) == K_LOR) {
		et = ev_lex(e, &v2);
		if (et == K_ERROR)
			return E_BADINPUT;
		er = ev_and(m, e, et, &v2);
		if (er == E_OK)
			*v1 = *v1 || v2;
		else if (*v1 != 0 && er < E_SYNTAX)
			*v1 = 1;
		else
			return er;
	}
	if (et == K_ERROR)
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
	struct ev e = { expr, expr, 0 };
	int et, er;

	et = ev_lex(&e, val);
	er = ev_or(m, &e, et, val);
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
