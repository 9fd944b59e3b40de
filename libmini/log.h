/* log: one line per event, to stderr or to syslog (facility mail). */
#ifndef LIBMINI_LOG_H
#define LIBMINI_LOG_H
#include <syslog.h>

/* Where log lines go from now on: stderr (to_syslog 0) or syslog with
 * TAG and facility mail (1; stderr when CONFIG_SYSLOG is off).  Without a
 * call, lines go to stderr tagged with the applet's name. */
void log_open(const char *tag, int to_syslog);
/* Lines above this priority (LOG_DEBUG > LOG_INFO > ...) are dropped.
 * The default is LOG_INFO. */
void log_level(int prio);
/* One line, printf format; a trailing newline is not needed.  CR, LF and
 * other control characters in the result are shown as '?', so a peer's
 * text can never forge a log line. */
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
