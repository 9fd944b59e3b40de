/*
 * mail: a POSIX mailx (stub while being written).
 */
//applet:mail usr/bin drop mailx Mail
//config:config MAIL
//config:	bool "mail: read and send mail (POSIX mailx)"
//config:	default y
//config:config MAIL_CJK
//config:	bool "mail: charsets through iconv (CJK, ISO-8859-x, KOI8-R; about 180 KB)"
//config:	default y
//usage:usage: mail [-s subject] address...
#include "libmini.h"

int mail_main(int argc, char **argv)
{
	return 0;
}
