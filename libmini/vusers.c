/*
 * vusers: Dovecot passwd-file reader (contracts in vusers.h).
 *
 * The file is small and read whole: one pass validates every line, so an
 * administrator's typo shows up as "file:line: message" at once rather than
 * when the user on that line first gets mail.
 */
#include "libmini.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies field [p, p+n) into dst; -1 when it does not fit. */
static int field(char *dst, size_t max, const char *p, size_t n)
{
	if (n >= max)
		return -1;
	memcpy(dst, p, n);
	dst[n] = 0;
	return 0;
}

static int parse_id(const char *p, size_t n, unsigned long *out)
{
	char num[16];

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, p, n);
	num[n] = 0;
	return str_toul(num, 0x7fffffffUL, out);
}

int vusers_parse_line(const char *line, size_t len, struct vusers_entry *e,
	char *err, size_t errmax)
{
	const char *f[8], *p, *end = line + len;
	size_t fl[8], nf = 0, i;
	unsigned long uid = 0, gid = 0;

	memset(e, 0, sizeof *e);
	if (len > VUSERS_MAX_LINE) {
		snprintf(err, errmax, "line longer than %d bytes",
			VUSERS_MAX_LINE);
		return -1;
	}
	for (p = line; p < end; p++)
		if ((unsigned char)*p < ' ' && *p != '\t') {
			snprintf(err, errmax, "control or NUL byte");
			return -1;
		}
	for (p = line; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if (p == end || *p == '#')
		return 0;
	/* user:pass:uid:gid:gecos:home:shell:extra (extra may hold ':') */
	f[0] = line;
	for (p = line; p < end && nf < 7; p++)
		if (*p == ':') {
			fl[nf] = p - f[nf];
			f[++nf] = p + 1;
		}
	fl[nf] = end - f[nf];
	nf++;
	for (i = nf; i < 8; i++)
		f[i] = end, fl[i] = 0;
	if (fl[0] == 0 || field(e->user, sizeof e->user, f[0], fl[0]) < 0) {
		snprintf(err, errmax, "user name empty or too long");
		return -1;
	}
	for (i = 0; i < fl[0]; i++)
		if (e->user[i] == ' ' || e->user[i] == '\t' ||
		    e->user[i] == '/' || e->user[i] == '#') {
			snprintf(err, errmax, "bad character in user name");
			return -1;
		}
	if (field(e->pass, sizeof e->pass, f[1], fl[1]) < 0) {
		snprintf(err, errmax, "password field too long");
		return -1;
	}
	if (fl[2] || fl[3]) {
		if (parse_id(f[2], fl[2], &uid) < 0 ||
		    parse_id(f[3], fl[3], &gid) < 0) {
			snprintf(err, errmax, "uid and gid must be numbers");
			return -1;
		}
		e->has_ids = 1;
		e->uid = (uid_t)uid;
		e->gid = (gid_t)gid;
	}
	if (field(e->home, sizeof e->home, f[5], fl[5]) < 0) {
		snprintf(err, errmax, "home too long");
		return -1;
	}
	if (e->home[0] && e->home[0] != '/') {
		snprintf(err, errmax, "home must be an absolute path");
		return -1;
	}
	return 1;
}

int vusers_find(const char *data, size_t len, const char *path,
	const char *user, struct vusers_entry *e, char *err, size_t errmax)
{
	struct vusers_entry cur;
	const char *p, *end = data + len, *nl;
	char msg[128];
	unsigned line = 0;
	int found = 0, rc;

	memset(e, 0, sizeof *e);
	for (p = data; p < end; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		rc = vusers_parse_line(p, nl - p, &cur, msg, sizeof msg);
		if (rc < 0) {
			snprintf(err, errmax, "%s:%u: %s", path, line, msg);
			memset(&cur, 0, sizeof cur);
			memset(e, 0, sizeof *e);
			return -1;
		}
		if (rc > 0 && !found && strcmp(cur.user, user) == 0) {
			*e = cur;
			found = 1;
		}
	}
	memset(&cur, 0, sizeof cur);
	return found;
}

int vusers_lookup(const char *path, const char *user, struct vusers_entry *e,
	char *err, size_t errmax)
{
	char *data;
	size_t len;
	int rc;

	memset(e, 0, sizeof *e);
	if (file_read_all(path, VUSERS_MAX_FILE, &data, &len) < 0) {
		snprintf(err, errmax, "%s: %s", path, errno == EFBIG ?
			"file too large" : strerror(errno));
		return -1;
	}
	rc = vusers_find(data, len, path, user, e, err, errmax);
	free(data);
	return rc;
}
