/*
 * addr: the syntax of one mailbox address, RFC 5321 4.1.2's Mailbox (RFC
 * 5322 3.4.1's addr-spec): a local part, a dot-string or a quoted string,
 * then optionally "@" and a domain or an address literal.  The one check
 * for smtpd's MAIL and RCPT paths and for the addresses sendmail is given
 * on its command line and in headers.
 */
#ifndef LIBMINI_ADDR_H
#define LIBMINI_ADDR_H
#include <stddef.h>

/*
 * Checks the address at S, which ends at the NUL or at the first
 * character of ENDS ("" for none; "> " for a path) met outside the quoted
 * string.  The local part alone is an address ("postmaster").  Lenient
 * where sendmail is: UTF-8 bytes in both parts (RFC 6532 3.2; whether
 * they are allowed is the caller's, as is whether they are valid UTF-8),
 * '_' in a domain, one trailing dot after a domain (its FQDN form); an
 * address literal is checked for shape only ("[" hex digits, '.', ':' and
 * "IPv" "]").  Allocates nothing.  0 with *LEN the address's length and
 * *LOCAL its local part's (quotes included), or -1 with sendmail's
 * message ("misplaced '.' in local part") in ERR (ERRMAX bytes).
 */
int addr_check(const char *s, const char *ends, size_t *len, size_t *local,
	char *err, size_t errmax);

/* The domain of the address ADDR: a pointer just past its last '@'
 * outside a quoted local part (a backslash quotes the next character
 * there), or NULL when it has none.  Points into ADDR; checks nothing
 * else (addr_check does). */
const char *addr_domain(const char *addr);

#endif
