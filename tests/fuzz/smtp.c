/* smtp: smtpd's two parsers of what a client sends: the path of MAIL FROM
 * and RCPT TO (smtpd_parse_path, with the address literal check) and the
 * DATA/BDAT byte machine (smtpd_ds_byte: dot-stuffing, CRLF.CRLF, bare
 * CR/LF, NUL, long lines, the header scan, MaxMessageSize).  Byte 0 holds
 * the flags; the first line is a command's argument; the rest is the
 * data stream, fed until the machine says it ended. */
#include "fuzz.h"
#include "../../applets/smtpd/smtpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null = -1;
	static struct dstate d;
	char addr[PATH_MAX_SMTP], why[512], *line;
	const char *p, *nl;
	size_t i, n;
	int f, r;

	if (size < 1)
		return 0;
	if (null < 0 && (null = open("/dev/null", O_WRONLY)) < 0)
		abort();
	f = data[0];
	data++, size--;
	nl = memchr(data, '\n', size);
	n = nl ? (size_t)((const uint8_t *)nl - data) : size;
	line = fuzz_str(data, n);
	/* MAIL FROM:<a@b> PARAM...: the path, then what follows it */
	for (p = line, i = 0; *p && i < 4; i++) {
		const char *before = p;

		if (smtpd_parse_path(&p, addr, f & 1, f & 2, why,
				sizeof why) < 0) {
			if (strncmp(why, "553 ", 4) != 0)
				abort();
			break;
		}
		if (strlen(addr) >= PATH_MAX_SMTP || p == before)
			abort();
	}
	free(line);
	if (!nl)
		return 0;
	data += n + 1, size -= n + 1;
	memset(&d, 0, sizeof d);
	d.in_header = 1;
	d.normalize = (f & 4) != 0;
	d.fd = null;
	d.max = f & 16 ? 200 : 100000;
	if (f & 32)
		snprintf(d.date, sizeof d.date, "Date: Thu, 1 Jan 1970 "
			"00:00:00 +0000\n");
	if (f & 64)
		snprintf(d.newid, sizeof d.newid,
			"Message-Id: <fuzz@example.org>\n");
	for (i = 0, r = 0; i < size && !r; i++)
		r = smtpd_ds_byte(&d, data[i], !(f & 8));
	smtpd_ds_flush(&d);
	(void)smtpd_ds_refusal(&d);
	if (d.size > d.max && d.max)
		abort();
	return 0;
}
