/* applet: the multicall dispatcher's view for applets (appletlib.c). */
#ifndef LIBMINI_APPLET_H
#define LIBMINI_APPLET_H

#define PRIV_DROP	0	/* drop set-uid and set-gid before main */
#define PRIV_KEEPGROUP	1	/* drop set-uid, keep the set-gid group */

/* The name the applet was called by (basename of argv[0], or postbox's
 * first argument).  Set before the applet's main runs. */
extern const char *applet_name;

/* Prints the applet's usage text to stderr and exits EX_USAGE (64).
 * For a bad option or argument: sendmail exits 64 there too. */
void applet_usage(void) __attribute__((noreturn));

/* Prints the applet's usage text to stdout (for --help). */
void applet_help(void);

/* Runs applet NAME with argv as if called by that name (sendmail -bi
 * calls newaliases this way).  Returns its exit status, or 127 when NAME
 * is not compiled in. */
int applet_run(const char *name, int argc, char **argv);

/* Whether applet NAME is compiled in. */
int applet_exists(const char *name);

#endif
