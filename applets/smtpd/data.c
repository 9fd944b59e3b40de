/* smtpd: the DATA and BDAT byte machine.  Only CRLF.CRLF ends DATA
 * (RFC 5321 4.1.1.4); every SMTP smuggling spelling is data, and a
 * message holding a bare CR or LF, a NUL or an over-long line is
 * refused at the real end.  With PostboxBareLineEnds=normalize (Postfix's
 * smtpd_forbid_bare_newline=normalize) a bare LF or CR is stored as a
 * line end instead, and a line after a bare LF is dot-unstuffed; but
 * neither ever ends the data.  A "." line ended by a bare LF (LF.LF,
 * CRLF.LF: how a client without CRLF means the end) is reported at once
 * in both modes, and the session closes with 421: what follows it could
 * be data or commands, and guessing is what smuggling exploits. */
#include "smtpd.h"

/* --- the DATA/BDAT byte machine ------------------------------------------ */

void smtpd_ds_flush(struct dstate *d)
{
	if (d->olen && !(d->bad & BAD_WRITE) &&
			file_write_all(d->fd, d->out, d->olen) < 0)
		d->bad |= BAD_WRITE;
	d->olen = 0;
}

static void ds_store(struct dstate *d, int c);

/* The end of the header: a submission's missing Date and Message-Id go
 * in before the empty line. */
static void add_fields(struct dstate *d)
{
	const char *p;

	if (d->date[0] && !d->seen_date)
		for (p = d->date; *p; p++)
			ds_store(d, *p);
	if (d->newid[0] && !d->mlen) {
		for (p = d->newid; *p; p++)
			ds_store(d, *p);
		/* the log's msgid= is the one added */
		str_lcpy(d->msgid, d->newid + 12, sizeof d->msgid);
		d->msgid[strcspn(d->msgid, "\n")] = 0;
	}
}

/* One byte of the message as stored (LF line ends). */
static void ds_emit(struct dstate *d, int c)
{
	if (d->in_header) {
		if (c == '\n') {
			if (d->hlen == 0) {
				d->in_header = 0;	/* the empty line */
				add_fields(d);
			}
			d->hlen = 0;
			d->msgid_next = 0;
		} else {
			if (d->hlen < sizeof d->hdr - 1) {
				d->hdr[d->hlen++] = c;
				d->hdr[d->hlen] = 0;
				if (d->hlen == 5 &&
						strncasecmp(d->hdr, "date:", 5) == 0)
					d->seen_date = 1;
				if (d->hlen == 9 &&
						strncasecmp(d->hdr, "received:",
							9) == 0)
					d->hops++;
				if (d->hlen == 11 && strncasecmp(d->hdr,
						"message-id:", 11) == 0) {
					d->msgid_next = 1;
					d->mlen = 0;
				}
			} else if (d->msgid_next && c != ' ' && c != '\t' &&
					d->mlen < sizeof d->msgid - 1) {
				d->msgid[d->mlen++] = c;
				d->msgid[d->mlen] = 0;
			}
		}
	}
	ds_store(d, c);
}

/* A byte into the queue file, within MaxMessageSize. */
static void ds_store(struct dstate *d, int c)
{
	if (d->bad || d->over)
		return;
	if (d->max && d->size >= d->max) {
		d->over = 1;	/* RFC 1870 6.1: refused at the end */
		return;
	}
	d->size++;
	d->out[d->olen++] = c;
	if (d->olen == sizeof d->out)
		smtpd_ds_flush(d);
}

/* One byte off the wire.  DOT: DATA (dot-stuffing, CRLF.CRLF ends);
 * else BDAT.  Returns 1 at the end of the data; 2 for a line "." ended
 * by a bare LF (a client that means the end with LF, or a smuggler: not
 * the end, the caller refuses and closes). */
int smtpd_ds_byte(struct dstate *d, int c, int dot)
{
	switch (d->st) {
	case D_BOL:
		d->linelen = 0;
		if (dot && c == '.') {
			d->st = D_BOL_DOT;
			return 0;
		}
		break;
	case D_BOL_DOT:
		if (c == '\r') {
			d->st = D_BOL_DOT_CR;
			return 0;
		}
		if (c == '\n')
			return 2;	/* CRLF . LF */
		/* RFC 5321 4.5.2: the leading dot of a line is removed */
		break;
	case D_LF:
		if (c == '.') {
			d->st = D_LF_DOT;
			return 0;
		}
		break;
	case D_LF_DOT:
		if (c == '\n')
			return 2;	/* LF . LF */
		/* normalised: the line's stuffed dot goes, as after CRLF */
		if (!(d->normalize && c == '.'))
			ds_emit(d, '.');
		break;
	case D_BOL_DOT_CR:
		if (c == '\n')
			return 1;	/* RFC 5321 4.1.1.4: CRLF.CRLF */
		/* ".\r" and more: a bare CR, and never the end */
		ds_emit(d, '.');
		if (d->normalize)
			ds_emit(d, '\n');
		else
			d->bad |= BAD_CR;
		break;
	case D_CR:
		if (c == '\n') {
			ds_emit(d, '\n');
			d->st = D_BOL;
			return 0;
		}
		/* RFC 5321 2.3.8: CR only in CRLF; normalised, a line end
		 * in the message, but what follows starts no line here */
		if (d->normalize) {
			ds_emit(d, '\n');
			d->linelen = 0;
		} else {
			d->bad |= BAD_CR;
		}
		break;
	}
	d->st = D_MID;
	if (c == '\r') {
		d->st = D_CR;
		return 0;
	}
	if (c == '\n') {
		/* a bare LF ends no SMTP line: "\n.\r\n" is data */
		if (d->normalize) {
			ds_emit(d, '\n');
			d->linelen = 0;
		} else {
			d->bad |= BAD_LF;
		}
		if (dot)
			d->st = D_LF;
		return 0;
	}
	if (c == 0)
		d->bad |= BAD_NUL;
	if (++d->linelen > TEXT_LINE_MAX)
		d->bad |= BAD_LONG;
	ds_emit(d, c);
	return 0;
}

/* The reply for a message the machine refused, or NULL. */
const char *smtpd_ds_refusal(const struct dstate *d)
{
	if (d->bad & BAD_NUL)
		return "554 5.6.0 Message contains NUL characters";
	if (d->bad & (BAD_LF | BAD_CR))
		return "554 5.6.0 Message contains bare CR or LF "
			"(RFC 5321 2.3.8)";
	if (d->bad & BAD_LONG)
		return "554 5.6.0 Message has a line over 1000 octets "
			"(RFC 5321 4.5.3.1.6)";
	if (d->over)
		return "552 5.3.4 Message size exceeds fixed maximum "
			"message size";
	if (d->bad & BAD_WRITE)
		return "451 4.3.0 Error writing the queue, try again later";
	return NULL;
}
