/*
 * authdrv: a test driver for libmini/auth and pwhash.
 *
 *   authdrv check	reads "SECRET<TAB>PASSWORD" lines on stdin and prints
 *			"ok" or "fail" for each (auth_check), so that a test
 *			can make hashes with openssl passwd, Python's crypt
 *			or mkpasswd at run time.
 *   authdrv hash SETTING	hashes the password on stdin (one line) with
 *			SETTING and prints the hash (pwhash_crypt).
 *   authdrv system USER PASSWORD
 *			looks USER up in the system accounts and checks
 *			PASSWORD: prints found/unknown/tempfail and ok/fail.
 */
#include "libmini.h"
#include <stdio.h>
#include <string.h>

const char *applet_name = "authdrv";

int main(int argc, char **argv)
{
	char line[2048], out[PWHASH_MAX], secret[AUTH_SECRET_MAX];
	const char *why;
	char *tab;
	int r;

	if (argc == 2 && strcmp(argv[1], "check") == 0) {
		while (fgets(line, sizeof line, stdin)) {
			line[strcspn(line, "\n")] = 0;
			if (!(tab = strchr(line, '\t')))
				return 64;
			*tab = 0;
			puts(auth_check(line, tab + 1, "u") == AUTH_SUCCESS ?
				"ok" : "fail");
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "hash") == 0) {
		if (!fgets(line, sizeof line, stdin))
			return 64;
		line[strcspn(line, "\n")] = 0;
		if (pwhash_crypt(line, argv[2], out, sizeof out, &why) < 0) {
			printf("error: %s\n", why);
			return 1;
		}
		puts(out);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "system") == 0) {
		r = auth_lookup_system(NULL, argv[2], secret, sizeof secret);
		printf("%s", r > 0 ? "found" : r == 0 ? "unknown" : "tempfail");
		if (r > 0)
			printf(" %s", auth_check(secret, argv[3], argv[2]) ==
				AUTH_SUCCESS ? "ok" : "fail");
		printf("\n");
		return 0;
	}
	fprintf(stderr, "usage: authdrv check | hash SETTING | system USER "
		"PASSWORD\n");
	return 64;
}
