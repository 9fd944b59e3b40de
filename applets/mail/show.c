/*
 * mail's display side: header summaries (the "N  1 root  Thu May 21
 * 17:31  22/783  "Hi JY"" lines), messages shown with their MIME parts
 * decoded (RFC 2045-2047) and converted to the terminal's charset, HTML
 * reduced to text, attachments listed and saved.
 */
#define _GNU_SOURCE
#include "mail.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int mail_read_msg(struct mail *m, size_t i, struct buf *out)
{
	struct mailbox_reader *r = xmalloc(sizeof *r);
	ssize_t n;
	int rc = 0;

	if (mailbox_msg_open(&m->mb, i, r) < 0) {
		free(r);
		return -1;
	}
	for (;;) {
		if (buf_reserve(out, 16384) < 0) {
			/* too big to show whole: what fits, and say so */
			rc = 1;
			break;
		}
		n = mailbox_msg_read(r, out->p + out->len, 16384);
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		out->len += n;
		out->p[out->len] = 0;
	}
	mailbox_msg_close(r);
	free(r);
	return rc;
}

int mail_stream_msg(struct mail *m, size_t i,
	int (*put)(void *ctx, const char *p, size_t n), void *ctx)
{
	struct mailbox_reader *r = xmalloc(sizeof *r);
	char *chunk = xmalloc(65536);
	ssize_t n;
	int rc = 0;

	if (mailbox_msg_open(&m->mb, i, r) < 0) {
		free(r);
		free(chunk);
		return -1;
	}
	while ((n = mailbox_msg_read(r, chunk, 65536)) > 0)
		if (put(ctx, chunk, n) < 0) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	mailbox_msg_close(r);
	free(r);
	free(chunk);
	return rc;
}

/* Display width of the code point C: 2 for East Asian wide characters
 * (Hangul, CJK, kana, full-width forms), 0 for combining marks. */
static int cp_width(unsigned c)
{
	if ((c >= 0x300 && c <= 0x36f) || c == 0x200b)
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
			(c >= 0xac00 && c <= 0xd7a3) ||
			(c >= 0xf900 && c <= 0xfaff) ||
			(c >= 0xfe30 && c <= 0xfe4f) ||
			(c >= 0xff00 && c <= 0xff60) ||
			(c >= 0xffe0 && c <= 0xffe6) ||
			(c >= 0x1f300 && c <= 0x1faff) || c >= 0x20000)
		return 2;
	return 1;
}

/* Appends the UTF-8 string S to DST (at *O, room to MAX) cut to WIDTH
 * columns, padded with blanks to WIDTH when PAD. */
static void add_width(char *dst, size_t max, size_t *o, const char *s,
	int width, int pad)
{
	const unsigned char *p = (const unsigned char *)s;
	int used = 0, w, len;
	unsigned c;

	while (*p) {
		c = *p;
		len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (len > 1) {
			int k;

			c &= 0xff >> (len + 1);
			for (k = 1; k < len && p[k]; k++)
				c = c << 6 | (p[k] & 0x3f);
			if (k < len)
				break;
		}
		w = cp_width(c);
		if (used + w > width || *o + len >= max)
			break;
		memcpy(dst + *o, p, len);
		*o += len;
		used += w;
		p += len;
	}
	while (pad && used++ < width && *o + 1 < max)
		dst[(*o)++] = ' ';
}

/* Appends the decimal V to DST at *O in a field of WIDTH, right-aligned
 * (LEFT 0) or left-aligned. */
static void add_num(char *dst, size_t *o, unsigned long long v, int width,
	int left)
{
	char t[24];
	int n = 0, k;

	do
		t[n++] = '0' + v % 10;
	while ((v /= 10));
	for (k = n; !left && k < width; k++)
		dst[(*o)++] = ' ';
	(void)left;
	while (n)
		dst[(*o)++] = t[--n];
}

void mail_tty_puts(struct mail *m, FILE *out, const char *s, size_t n)
{
	struct buf b = BUF_INIT(MAIL_MSG_MAX * 2);

	if (strcasecmp(m->ttycs, "utf-8") == 0) {
		fwrite(s, 1, n, out);
		return;
	}
	msg_conv(&b, m->ttycs, "utf-8", s, n);
	fwrite(buf_str(&b), 1, b.len, out);
	buf_free(&b);
}

static const char *const months[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec" };

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(long y, int mo, int d)
{
	long era, yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads a decimal number of at most 4 digits at *S; -1 when none. */
static int get_num(const char **s)
{
	int v = 0, n = 0;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	while (**s >= '0' && **s <= '9' && n < 4) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	return n ? v : -1;
}

time_t mail_parse_date(const char *s)
{
	/* RFC 5322 3.3: [day ","] DD Mon YYYY HH:MM[:SS] zone, with the
	 * obsolete zone names of 4.3 */
	static const struct { const char *n; int off; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "Z", 0 }, { "EST", -500 },
		{ "EDT", -400 }, { "CST", -600 }, { "CDT", -500 },
		{ "MST", -700 }, { "MDT", -600 }, { "PST", -800 },
		{ "PDT", -700 }, { "KST", 900 }, { "JST", 900 },
		{ "CET", 100 }, { "CEST", 200 }, { "UTC", 0 },
	};
	int d, y, hh, mm, ss = 0, off = 0, k, sign;
	size_t i, zl;
	const char *c;

	while (*s == ' ' || *s == '\t')
		s++;
	if ((c = strchr(s, ',')) && c - s < 10)
		s = c + 1;
	if ((d = get_num(&s)) < 0)
		return -1;
	while (*s == ' ' || *s == '\t' || *s == '-')
		s++;
	for (k = 0; k < 12; k++)
		if (strncasecmp(s, months[k], 3) == 0)
			break;
	if (k == 12)
		return -1;
	s += 3;
	while (*s && *s != ' ' && *s != '\t' && *s != '-')
		s++;		/* "May" or a full month name */
	if (*s == '-')
		s++;
	if ((y = get_num(&s)) < 0 || (hh = get_num(&s)) < 0 || *s++ != ':' ||
			(mm = get_num(&s)) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if ((ss = get_num(&s)) < 0)
			return -1;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if ((*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9') {
		sign = *s++ == '-' ? -1 : 1;
		off = sign * atoi(s);
	} else {
		zl = strcspn(s, " \t()");
		for (i = 0; i < sizeof zones / sizeof zones[0]; i++)
			if (strlen(zones[i].n) == zl &&
					strncasecmp(s, zones[i].n, zl) == 0)
				off = zones[i].off;
	}
	/* 4.3: two-digit years */
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	return (time_t)days_from_civil(y, k + 1, d) * 86400 + hh * 3600 +
		mm * 60 + ss - (off / 100 * 3600 + off % 100 * 60);
}

/* The date of an mbox "From sender Www Mmm dd hh:mm:ss yyyy" line, in
 * local time as delivery wrote it. */
static time_t from_line_date(const char *line)
{
	const char *p = strchr(line + 5, ' ');
	struct tm tm;

	if (!p)
		return 0;
	memset(&tm, 0, sizeof tm);
	if (!strptime(p, " %a %b %d %H:%M:%S %Y", &tm))
		return 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

#define SUMMARY_WINDOW	(1 << 20)

/* Makes m->win hold the LEN bytes of the mbox at OFF (one pread of a
 * window when they are not there yet).  0, or -1. */
static int window(struct mail *m, off_t off, size_t len)
{
	ssize_t r;

	if (m->win && off >= m->win_off &&
			off + (off_t)len <= m->win_off + (off_t)m->win_len)
		return 0;
	if (!m->win)
		m->win = xmalloc(SUMMARY_WINDOW);
	m->win_len = 0;
	r = pread(m->mb.fd, m->win, SUMMARY_WINDOW, off);
	if (r < (ssize_t)len)
		return -1;
	m->win_off = off;
	m->win_len = r;
	return 0;
}

void mail_scan(struct mail *m, size_t i)
{
	struct mail_msg *mm = &m->msg[i];
	struct mailbox_msg *bm = &m->mb.msg[i];
	struct buf *hdr = &m->shdr, v = BUF_INIT(4096), d = BUF_INIT(4096);
	struct msg_hdrs h;
	const struct msg_hdr *f;
	char chunk[16384], line[256];
	ssize_t n, k;
	int inhdr = 1;
	long lines = 0;

	if (mm->flags & M_SCANNED)
		return;
	mm->flags |= M_SCANNED;
	mm->bytes = bm->len;
	if (!m->rd) {
		m->rd = xmalloc(sizeof *m->rd);
		m->hs = xmalloc(MSG_HDR_MAX * sizeof *m->hs);
		buf_init(hdr, 256 * 1024);
	}
	buf_reset(hdr);
	if (m->mb.kind == LOCAL_MBOX && bm->len <= SUMMARY_WINDOW / 4 &&
			window(m, bm->off, bm->len) == 0) {
		/* the index's offsets over a window of the file: the
		 * summary needs the header and a line count, neither of
		 * which the mboxrd quoting of the body changes */
		const char *p = m->win + (bm->off - m->win_off), *e;
		size_t len = bm->len, hl;

		for (e = p; (e = memchr(e, '\n', p + len - e)); e++)
			lines++;
		e = memmem(p, len, "\n\n", 2);
		hl = e ? (size_t)(e - p) + 2 : len;
		buf_add(hdr, p, hl < hdr->max ? hl : hdr->max);
	} else if (mailbox_msg_open(&m->mb, i, m->rd) == 0) {
		while ((n = mailbox_msg_read(m->rd, chunk, sizeof chunk)) > 0) {
			for (k = 0; k < n; k++)
				lines += chunk[k] == '\n';
			if (inhdr) {
				size_t before = hdr->len > 3 ? hdr->len - 3 : 0;

				buf_add(hdr, chunk, n);
				if (memmem(hdr->p + before, hdr->len - before,
						"\n\n", 2) || memmem(hdr->p +
						before, hdr->len - before,
						"\n\r\n", 3) ||
						hdr->len >= hdr->max)
					inhdr = 0;
			}
		}
		mailbox_msg_close(m->rd);
	}
	/* the From_ line and the blank line after, as mailx counts */
	if (m->mb.kind == LOCAL_MBOX) {
		lines += 2;
		mm->bytes += bm->off - bm->from + 1;
	}
	mm->lines = lines;
	h = (struct msg_hdrs){ m->hs, 0, MSG_HDR_MAX, 0, 0 };
	msg_headers(&h, buf_str(hdr), hdr->len);
	if ((f = msg_hdr_find(&h, "From", NULL)) ||
			(f = msg_hdr_find(&h, "Sender", NULL)) ||
			(f = msg_hdr_find(&h, "Return-Path", NULL))) {
		struct msg_addr a;
		const char *p;
		size_t left;

		msg_unfold(&v, f->value, f->vlen);
		p = buf_str(&v);
		left = v.len;
		if (msg_addr_next(&p, &left, &a)) {
			mm->from = xstrdup(a.name[0] ? a.name : a.addr);
			mm->fromaddr = xstrdup(a.addr);
		}
	}
	buf_reset(&v);
	if ((f = msg_hdr_find(&h, "Subject", NULL))) {
		msg_unfold(&v, f->value, f->vlen);
		msg_decode_header(&d, v.p, v.len, NULL);
		mm->subject = xstrdup(buf_str(&d));
	}
	buf_reset(&v);
	mm->date = 0;
	if ((f = msg_hdr_find(&h, "Date", NULL))) {
		msg_unfold(&v, f->value, f->vlen);
		mm->date = mail_parse_date(buf_str(&v));
		if (mm->date < 0)
			mm->date = 0;
	}
	if ((!mm->date || !mm->from) && m->mb.kind == LOCAL_MBOX &&
			bm->off - bm->from < (off_t)sizeof line &&
			bm->off - bm->from > 5 &&
			pread(m->mb.fd, line, bm->off - bm->from, bm->from) ==
			bm->off - bm->from) {
		line[bm->off - bm->from - 1] = 0;
		if (!mm->date)
			mm->date = from_line_date(line);
		/* no From field: the envelope sender of the From_ line */
		if (!mm->from) {
			size_t sl = strcspn(line + 5, " ");

			mm->from = xmalloc(sl + 1);
			memcpy(mm->from, line + 5, sl);
			mm->from[sl] = 0;
			for (sl = 0; mm->from[sl]; sl++)
				if ((unsigned char)mm->from[sl] < 32 ||
						mm->from[sl] == 127)
					mm->from[sl] = '?';
			mm->fromaddr = xstrdup(mm->from);
		}
	}
	if (!mm->from) {
		/* the envelope sender of the From_ line */
		mm->from = xstrdup("");
		mm->fromaddr = xstrdup("");
	}
	if (!mm->subject)
		mm->subject = xstrdup("");
	buf_free(&v);
	buf_free(&d);
}

/* The status letter (POSIX mailx "headers"): the session's deletion,
 * saving, preservation first, then new, unread, read now, old. */
static char status_letter(const struct mail *m, size_t i)
{
	unsigned f = m->msg[i].flags, sf = m->mb.msg[i].flags;

	if (f & M_DELETED)
		return 'D';
	if (f & M_SAVED)
		return 'S';
	if (f & M_PRESERVE)
		return 'P';
	if (f & M_MBOX)
		return 'M';
	if (f & M_READ)
		return 'R';
	if (!(sf & MAILBOX_SEEN))
		return (m->mb.msg[i].flags0 & MAILBOX_OLD) ? 'U' : 'N';
	return 'O';
}

/* localtime_r, with the zone offset of the last hour asked for kept:
 * musl looks the zone up again on every call, which a 10,000-line
 * summary feels.  Offsets change on hour boundaries at most. */
static struct tm *local_tm(struct mail *m, time_t t, struct tm *tm)
{
	time_t t2;

	if (m->tz_hour != t / 3600 || !m->tz_valid) {
		if (!localtime_r(&t, tm))
			return NULL;
		m->tz_hour = t / 3600;
		m->tz_off = tm->tm_gmtoff;
		m->tz_valid = 1;
		return tm;
	}
	t2 = t + m->tz_off;
	return gmtime_r(&t2, tm);
}

void mail_headline(struct mail *m, size_t i, FILE *out)
{
	static const char wdays[] = "SunMonTueWedThuFriSat";
	static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct mail_msg *mm = &m->msg[i];
	struct buf whob = BUF_INIT(1024);
	char line[1024];
	size_t o = 0, start;
	int width = m->cols > 20 ? m->cols - 1 : 79, fw, k;
	const char *who;
	struct tm tm;

	mail_scan(m, i);
	who = mm->from;
	/* POSIX showto: mail from the user shows its recipient */
	if (mail_bool(m, "showto") && mm->fromaddr &&
			strcmp(mm->fromaddr, m->user) == 0) {
		buf_adds(&whob, "To ");
		if (mail_field(m, i, "To", &whob))
			who = buf_str(&whob);
	}
	if (width > (int)sizeof line - 8)
		width = sizeof line - 8;
	/* >N  1 root               Thu May 21 17:31   22/783   "Hi JY" */
	line[o++] = i == m->cur ? '>' : ' ';
	line[o++] = status_letter(m, i);
	add_num(line, &o, i + 1, 3, 0);
	line[o++] = ' ';
	fw = width >= 80 ? 20 : width >= 60 ? 16 : 10;
	add_width(line, sizeof line, &o, who, fw, 1);
	line[o++] = ' ';
	line[o++] = ' ';
	start = o;
	if (mm->date > 0 && local_tm(m, mm->date, &tm)) {
		memcpy(line + o, wdays + tm.tm_wday % 7 * 3, 3);
		line[o + 3] = ' ';
		memcpy(line + o + 4, mons + tm.tm_mon % 12 * 3, 3);
		line[o + 7] = ' ';
		line[o + 8] = tm.tm_mday >= 10 ? '0' + tm.tm_mday / 10 : ' ';
		line[o + 9] = '0' + tm.tm_mday % 10;
		line[o + 10] = ' ';
		line[o + 11] = '0' + tm.tm_hour / 10;
		line[o + 12] = '0' + tm.tm_hour % 10;
		line[o + 13] = ':';
		line[o + 14] = '0' + tm.tm_min / 10;
		line[o + 15] = '0' + tm.tm_min % 10;
		o += 16;
	}
	while (o < start + 17)
		line[o++] = ' ';
	add_num(line, &o, mm->lines < 0 ? 0 : mm->lines, 4, 0);
	line[o++] = '/';
	start = o;
	add_num(line, &o, mm->bytes < 0 ? 0 : mm->bytes, 0, 1);
	for (k = o - start; k < 5; k++)
		line[o++] = ' ';
	line[o++] = ' ';
	if (width > (int)o + 2) {
		line[o++] = '"';
		add_width(line, sizeof line - 2, &o, mm->subject,
			width - (int)o - 1, 0);
		line[o++] = '"';
	}
	line[o++] = '\n';
	mail_tty_puts(m, out, line, o);
	buf_free(&whob);
}

/* Whether header NAME is shown by print (POSIX ignore/retain). */
static int shown(const struct mail *m, const char *name, size_t len)
{
	char key[MSG_NAME_MAX + 1];

	if (len > MSG_NAME_MAX)
		return 0;
	memcpy(key, name, len);
	key[len] = 0;
	str_lower(key);
	if (m->retain)
		return mail_kv_find(m->retain, key) != NULL;
	return mail_kv_find(m->ignore, key) == NULL;
}

/* Appends the fields of the header at P (N bytes) to OUT decoded, all
 * or those shown. */
static void add_fields(const struct mail *m, struct buf *out, const char *p,
	size_t n, int all)
{
	struct msg_hdr *hs = xmalloc(MSG_HDR_MAX * sizeof *hs);
	struct msg_hdrs h = { hs, 0, MSG_HDR_MAX, 0, 0 };
	struct buf v = BUF_INIT(256 * 1024);
	size_t k;

	msg_headers(&h, p, n);
	for (k = 0; k < h.n; k++) {
		if (!all && !shown(m, hs[k].name, hs[k].nlen))
			continue;
		buf_reset(&v);
		msg_unfold(&v, hs[k].value, hs[k].vlen);
		buf_printf(out, "%.*s: ", (int)hs[k].nlen, hs[k].name);
		msg_decode_header(out, v.p ? v.p : "", v.len, NULL);
		buf_addc(out, '\n');
	}
	buf_free(&v);
	free(hs);
}

/* Makes text of a decoded part safe for a terminal: escape and other
 * control characters but tab, newline and form feed become '?'. */
static void add_text(struct buf *out, const char *p, size_t n)
{
	size_t i, start = out->len;

	buf_add(out, p, n);
	for (i = start; i < out->len; i++) {
		unsigned char c = out->p[i];

		if ((c < 32 && c != '\t' && c != '\n' && c != '\f') ||
				c == 127)
			out->p[i] = c == '\r' && i + 1 < out->len &&
				out->p[i + 1] == '\n' ? ' ' : '?';
	}
	/* CRLF line ends lose their CR rather than showing a blank */
	for (i = start; i + 1 < out->len; i++)
		if (out->p[i] == ' ' && out->p[i + 1] == '\n' &&
				i > start && p[i - start] == '\r') {
			memmove(out->p + i, out->p + i + 1, out->len - i - 1);
			out->len--;
			out->p[out->len] = 0;
		}
}

/* The text of leaf K in UTF-8 appended to OUT (HTML reduced). */
static void render_text(struct buf *out, const struct msg_part *pt)
{
	struct buf raw = BUF_INIT(MAIL_MSG_MAX), u = BUF_INIT(MAIL_MSG_MAX * 2);

	msg_part_decode(&raw, pt);
	msg_conv(&u, "utf-8", pt->charset[0] ? pt->charset : "us-ascii",
		raw.p ? raw.p : "", raw.len);
	if (strcmp(pt->type, "text/html") == 0) {
		struct buf t = BUF_INIT(MAIL_MSG_MAX * 2);

		msg_html_text(&t, u.p ? u.p : "", u.len);
		add_text(out, t.p ? t.p : "", t.len);
		buf_free(&t);
	} else {
		add_text(out, u.p ? u.p : "", u.len);
	}
	if (out->len && out->p[out->len - 1] != '\n')
		buf_addc(out, '\n');
	buf_free(&raw);
	buf_free(&u);
}

/* Size of a part once decoded, near enough for a listing. */
static size_t decoded_size(const struct msg_part *pt)
{
	size_t i, n = 0;
	char c;

	if (pt->encoding != MSG_BASE64)
		return pt->blen;
	for (i = 0; i < pt->blen; i++) {
		c = pt->body[i];
		if (c == '=')
			break;
		n += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '+' || c == '/';
	}
	return n * 3 / 4;
}

static void attachment_line(struct buf *out, const struct msg_part *pt,
	size_t k)
{
	buf_printf(out, "[-- #%zu %s%s%s, %zu bytes --]\n", k,
		pt->name[0] ? pt->name : "", pt->name[0] ? " " : "", pt->type,
		decoded_size(pt));
}

/* Renders part K of PARTS (N of them) and its children into OUT;
 * returns the index after its subtree. */
static size_t render(const struct mail *m, struct buf *out,
	const struct msg_part *parts, size_t n, size_t k)
{
	const struct msg_part *pt = &parts[k];
	size_t j, end, pick;

	for (end = k + 1; end < n && parts[end].depth > pt->depth; end++)
		;
	if (str_starts(pt->type, "multipart/") && pt->container) {
		if (strcmp(pt->type, "multipart/alternative") == 0) {
			/* RFC 2046 5.1.4: the last form we can show, plain
			 * text preferred */
			pick = 0;
			for (j = k + 1; j < end; j++)
				if (parts[j].depth == pt->depth + 1 &&
						strcmp(parts[j].type,
						"text/plain") == 0)
					pick = j;
			for (j = k + 1; !pick && j < end; j++)
				if (parts[j].depth == pt->depth + 1 &&
						(str_starts(parts[j].type,
						"text/") || parts[j].container))
					pick = j;
			if (pick)
				render(m, out, parts, n, pick);
			for (j = k + 1; j < end; j++)
				if (parts[j].depth == pt->depth + 1 &&
						j != pick && !parts[j].container)
					attachment_line(out, &parts[j], j);
			return end;
		}
		for (j = k + 1; j < end; )
			j = render(m, out, parts, n, j);
		return end;
	}
	if (pt->container) {
		/* message/rfc822: its header, then its body */
		buf_adds(out, "\n[-- message --]\n");
		if (k + 1 < n) {
			add_fields(m, out, parts[k + 1].hdr, parts[k + 1].hlen,
				0);
			buf_addc(out, '\n');
			for (j = k + 1; j < end; )
				j = render(m, out, parts, n, j);
		}
		return end;
	}
	if (str_starts(pt->type, "text/") && !(pt->attachment &&
			pt->name[0]) && (strcmp(pt->type, "text/plain") == 0 ||
			strcmp(pt->type, "text/html") == 0 || k == 0 ||
			!pt->name[0])) {
		if (k > 0 && out->len && pt->depth > 0 &&
				parts[k - 1].depth >= pt->depth &&
				!parts[k - 1].container)
			buf_printf(out, "\n[-- #%zu %s --]\n", k, pt->type);
		render_text(out, pt);
		return end;
	}
	attachment_line(out, pt, k);
	return end;
}

/* The message's MIME parts into *PARTS (heap); their count. */
static size_t walk_msg(const struct buf *msg, struct msg_part **parts)
{
	struct msg_hdr *hs = xmalloc(MSG_HDR_MAX * sizeof *hs);
	size_t n;

	*parts = xmalloc(MAIL_PARTS_MAX * sizeof **parts);
	n = msg_mime_walk(msg->p ? msg->p : "", msg->len, *parts,
		MAIL_PARTS_MAX, hs, MSG_HDR_MAX);
	free(hs);
	return n;
}

int mail_print(struct mail *m, size_t i, FILE *out, int all, long top)
{
	struct buf msg = BUF_INIT(MAIL_MSG_MAX), o = BUF_INIT(MAIL_MSG_MAX * 4);
	struct msg_part *parts;
	size_t n, s, lines = 0, hend;

	if (mail_read_msg(m, i, &msg) < 0) {
		xwarn("message %zu: %s", i + 1, strerror(errno));
		buf_free(&msg);
		return -1;
	}
	n = walk_msg(&msg, &parts);
	if (msg.len >= msg.max - 16384)
		buf_printf(&o, "[-- message %zu is too big: only its first "
			"%zu bytes are shown --]\n", i + 1, msg.len);
	add_fields(m, &o, msg.p ? msg.p : "", msg.len, all);
	buf_addc(&o, '\n');
	hend = o.len;
	if (n)
		render(m, &o, parts, n, 0);
	if (top >= 0) {
		/* top: the header and TOP lines of the body */
		for (s = hend; s < o.len && lines < (size_t)top; s++)
			if (o.p[s] == '\n')
				lines++;
		o.len = s;
	}
	mail_tty_puts(m, out, o.p ? o.p : "", o.len);
	free(parts);
	buf_free(&msg);
	buf_free(&o);
	return 0;
}

int mail_parts(struct mail *m, size_t i, FILE *out)
{
	struct buf msg = BUF_INIT(MAIL_MSG_MAX), o = BUF_INIT(1 << 20);
	struct msg_part *parts;
	size_t n, k;

	if (mail_read_msg(m, i, &msg) < 0) {
		xwarn("message %zu: %s", i + 1, strerror(errno));
		buf_free(&msg);
		return -1;
	}
	n = walk_msg(&msg, &parts);
	for (k = 0; k < n; k++) {
		buf_printf(&o, "%3zu %*s%s", k, parts[k].depth * 2, "",
			parts[k].type);
		if (!parts[k].container)
			buf_printf(&o, " %zu bytes", decoded_size(&parts[k]));
		if (parts[k].name[0])
			buf_printf(&o, " \"%s\"", parts[k].name);
		buf_addc(&o, '\n');
	}
	mail_tty_puts(m, out, o.p ? o.p : "", o.len);
	free(parts);
	buf_free(&msg);
	buf_free(&o);
	return 0;
}

int mail_savepart(struct mail *m, size_t i, int part, const char *file)
{
	struct buf msg = BUF_INIT(MAIL_MSG_MAX), d = BUF_INIT(MAIL_MSG_MAX);
	struct msg_part *parts;
	size_t n;
	char name[4096];
	const char *base;
	int fd, rc = -1;

	if (mail_read_msg(m, i, &msg) < 0) {
		xwarn("message %zu: %s", i + 1, strerror(errno));
		buf_free(&msg);
		return -1;
	}
	n = walk_msg(&msg, &parts);
	if (part < 0 || (size_t)part >= n || parts[part].container) {
		xwarn("message %zu has no part %d (see \"parts\")", i + 1,
			part);
		goto out;
	}
	if (!file) {
		/* its own name, without any folder part: never a path
		 * chosen by the sender */
		base = strrchr(parts[part].name, '/');
		base = base ? base + 1 : parts[part].name;
		if (!*base || strcmp(base, ".") == 0 ||
				strcmp(base, "..") == 0) {
			xwarn("part %d has no name: give a file", part);
			goto out;
		}
		str_lcpy(name, base, sizeof name);
	} else if (mail_expand_folder(m, file, name, sizeof name) < 0) {
		goto out;
	}
	msg_part_decode(&d, &parts[part]);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0 || file_write_all(fd, d.p ? d.p : "", d.len) < 0) {
		xwarn("%s: %s", name, strerror(errno));
	} else {
		printf("\"%s\" %zu bytes\n", name, d.len);
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
out:
	free(parts);
	buf_free(&msg);
	buf_free(&d);
	return rc;
}

int mail_field(struct mail *m, size_t i, const char *name, struct buf *out)
{
	struct buf msg = BUF_INIT(MAIL_MSG_MAX), v = BUF_INIT(256 * 1024);
	struct msg_hdr *hs = xmalloc(MSG_HDR_MAX * sizeof *hs);
	struct msg_hdrs h = { hs, 0, MSG_HDR_MAX, 0, 0 };
	const struct msg_hdr *f;
	int found = 0;

	if (mail_read_msg(m, i, &msg) >= 0) {
		msg_headers(&h, msg.p ? msg.p : "", msg.len);
		if ((f = msg_hdr_find(&h, name, NULL))) {
			msg_unfold(&v, f->value, f->vlen);
			msg_decode_header(out, v.p ? v.p : "", v.len, NULL);
			found = 1;
		}
	}
	free(hs);
	buf_free(&msg);
	buf_free(&v);
	return found;
}
