/* log: one line per event, to stderr or to syslog (facility mail). */
#include "libmini.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_tag;
static int log_syslog;
static int log_max = LOG_INFO;

void log_open(const char *tag, int to_syslog)
{
	log_tag = tag;
	log_syslog = CFG_SYSLOG && to_syslog;
	if (log_syslog)
		openlog(tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_level(int prio)
{
	log_max = prio;
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	char *p;

	if (prio > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (log_syslog) {
		syslog(prio, "%s", line);
		return;
	}
	/* One write per line, so lines of concurrent processes never mix. */
	{
		char out[1200];
		int n = snprintf(out, sizeof out, "%s[%d]: %s\n",
			log_tag ? log_tag : applet_name ? applet_name : "postbox",
			(int)getpid(), line);

		if (n > (int)sizeof out - 1)
			n = sizeof out - 1, out[n - 1] = '\n';
		if (write(2, out, (size_t)n) < 0)
			return;
	}
}
