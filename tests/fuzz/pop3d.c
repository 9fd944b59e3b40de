/* pop3d: a whole POP3 session, pop3d's own session function as `pop3d
 * -i` runs it (applets/pop3d.c is included: its functions are static),
 * on the input as what the client sent: the command loop, the
 * AUTHORIZATION state (USER, PASS, APOP, AUTH and its responses, CAPA,
 * STLS) and, after a login, the TRANSACTION state (STAT, LIST, UIDL,
 * RETR, TOP, DELE, RSET, NOOP, LAST) and QUIT's UPDATE, on a mailbox
 * made afresh for each run.  Nothing is copied or stubbed: the cf sets
 * PostboxAuthFailDelay=0, and the session runs as the caller, who is
 * the virtual users' owner (no privilege to drop, no login monitor).
 *
 * Byte 0 of the input chooses the setting: bits 0-1 the cf (0 an mbox,
 * plaintext allowed; 1 a Maildir, APOP on; 2 an mbox, no plaintext
 * before TLS, with ServerCertFile when openssl could make one at start,
 * bit 4 then TLS before the greeting (-s); 3 an mbox, LOGIN-DELAY of an
 * hour, bit 3 then a login just recorded), bit 6 -v, bit 7 the mailbox
 * from the input: bytes 1-2 (big-endian) its length, then the mailbox
 * (the mbox, or one Maildir message beside the usual ones).  The rest is
 * the client's stream.  The replies are checked: the greeting first,
 * every LF after a CR, RETR's octets exact (check_octets), until a TLS
 * handshake starts; with FUZZ_REPLIES set in the environment they are
 * also copied to stderr. */
#include "fuzz.h"
#include "../../applets/pop3d.c"
#include <sys/mman.h>

#define VARIANTS 4

static struct ctx ctx[VARIANTS];
static struct cf cfs[VARIANTS];
static char mail[512], md[512], record[4096];
static int saved0 = -1, saved1 = -1, outfd = -1;
static uint8_t *out;
static size_t outcap, outlen;

static const char mbox[] =
	"From a@example.org Mon Nov 23 10:00:00 2026\n"
	"Subject: one\n\n.dot line\n>From quoted\n..two dots\n\n"
	"From b@example.org Mon Nov 23 10:01:00 2026\n"
	"Subject: two\n\nline1\r\nline2\r\n\n"
	"From c@example.org Mon Nov 23 10:02:00 2026\n"
	"Subject: three\nX-A: 1\n\nb1\nb2\nb3";
static const char *maildir_msgs[][2] = {
	{ "cur/1700000000.M1P1.fuzz:2,S", "Subject: one\n\n.dot\nx\n" },
	{ "cur/1700000001.M2P1.fuzz:2,", "Subject: two\r\n\r\nb\r\n" },
	{ "new/1700000002.M3P1.fuzz", "Subject: three\n\nno newline" },
};

static int make_cert(const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey ec "
		"-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
		"-subj /CN=fuzz.example -keyout %s/key.pem -out %s/cert.pem "
		">/dev/null 2>&1", dir, dir);
	return system(cmd) == 0;
}

static void setup(void)
{
	const char *dir = fuzz_tmp();
	char path[600], text[4096];
	int i, cert, kind;

	snprintf(mail, sizeof mail, "%s/mail", dir);
	snprintf(md, sizeof md, "%s/md", dir);
	cert = make_cert(dir);
	snprintf(text, sizeof text,
		"alice:{PLAIN}secret:%u:%u::%s\n"
		"bob:{CRAM-MD5}%064d:%u:%u::%s\n"
		"carol:{SHA512-CRYPT}$6$salt$notchecked:%u:%u::%s\n"
		"authonly:{PLAIN}x\n",
		(unsigned)geteuid(), (unsigned)getegid(), dir, 0,
		(unsigned)geteuid(), (unsigned)getegid(), dir,
		(unsigned)geteuid(), (unsigned)getegid(), dir);
	fuzz_file("vusers", text, strlen(text));
	for (i = 0; i < VARIANTS; i++) {
		int n = snprintf(text, sizeof text,
			"Djmail.example.org\n"
			"O PostboxVirtualUsers=%s/vusers\n"
			"O PostboxAuthFailDelay=0\n"
			"O PostboxMailbox=%s:%s/%%u\n", dir,
			i == 1 ? "maildir" : "mbox", i == 1 ? md : mail);

		if (i == 0 || i == 3)
			snprintf(text + n, sizeof text - n,
				"O AuthOptions=y\n%s", i == 3 ?
				"O PostboxPop3LoginDelay=1h\n" : "");
		else if (i == 1)
			snprintf(text + n, sizeof text - n, "O AuthOptions=y\n"
				"O PostboxPop3Apop=true\n");
		else if (cert)
			snprintf(text + n, sizeof text - n,
				"O ServerCertFile=%s/cert.pem\n"
				"O ServerKeyFile=%s/key.pem\n", dir, dir);
		snprintf(path, sizeof path, "cf%d", i);
		str_lcpy(path, fuzz_file(path, text, strlen(text)),
			sizeof path);
		if (cf_load_daemon(&cfs[i], path, 1) < 0)
			abort();
		ctx[i].cf = &cfs[i];
		if (i == 2 && cert) {
			ctx[i].tls = tls_server_config_new(
				cfs[i].opt.server_cert, cfs[i].opt.server_key,
				text, sizeof text);
			if (!ctx[i].tls)
				abort();
		}
	}
	/* LOGIN-DELAY's record of alice's mbox, where pop3d looks */
	kind = local_mailbox(&cfs[3], "alice", dir, path, sizeof path);
	if (kind < 0 || login_record(path, kind, record, sizeof record) < 0)
		abort();
	saved0 = dup(0);
	saved1 = dup(1);
	outfd = memfd_create("pop3d-out", 0);
	if (saved0 < 0 || saved1 < 0 || outfd < 0)
		abort();
	log_open("pop3d", 0);
}

static int rm_entry(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void put(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n))
		abort();
	close(fd);
}

/* The mailboxes as the run starts: alice's, the template's or MB's. */
static void fresh(int variant, const uint8_t *mb, size_t mblen, int delay)
{
	char path[1024];
	size_t i;

	nftw(mail, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	nftw(md, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(mail, 0700) < 0 || mkdir(md, 0700) < 0)
		abort();
	if (variant != 1) {
		snprintf(path, sizeof path, "%s/alice", mail);
		if (mb)
			put(path, mb, mblen);
		else
			put(path, mbox, sizeof mbox - 1);
		if (variant == 3 && delay)
			put(record, "", 0);
		return;
	}
	snprintf(path, sizeof path, "%s/alice", md);
	if (mkdir(path, 0700) < 0)
		abort();
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/alice/%s", md,
			i == 0 ? "cur" : i == 1 ? "new" : "tmp");
		if (mkdir(path, 0700) < 0)
			abort();
	}
	for (i = 0; i < sizeof maildir_msgs / sizeof *maildir_msgs; i++) {
		snprintf(path, sizeof path, "%s/alice/%s", md,
			maildir_msgs[i][0]);
		put(path, maildir_msgs[i][1], strlen(maildir_msgs[i][1]));
	}
	if (mb) {
		snprintf(path, sizeof path, "%s/alice/cur/1700000003.M4P1."
			"fuzz:2,", md);
		put(path, mb, mblen);
	}
}

/* RETR's "+OK N octets" is what the client keeps: the lines up to the
 * "." with their CRLFs, a dot-stuffed line's first dot removed
 * ("exact octet counts", README "pop3d and the mailboxes"). */
static void check_octets(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *l, *e;
	unsigned long want = 0, got;
	char tail[16];

	for (l = p; l < end; l = e + 2) {
		e = memmem(l, (size_t)(end - l), "\r\n", 2);
		if (!e)
			return;
		if (e - l > 40 || sscanf((const char *)l, "+OK %lu octet%15s",
		    &want, tail) != 2 || memcmp(e - 7, " octets", 7))
			continue;
		for (got = 0, l = e + 2; l < end; l = e + 2) {
			e = memmem(l, (size_t)(end - l), "\r\n", 2);
			if (!e)
				return;	/* cut short: the session ends */
			if (e - l == 1 && *l == '.')
				break;
			got += (unsigned long)(e - l) + 2 - (*l == '.');
		}
		if (l < end && got != want) {
			fprintf(stderr, "RETR said %lu octets, sent %lu\n",
				want, got);
			abort();
		}
	}
}

/* The replies, while they are POP3's. */
static void check_replies(int fd, int implicit, int octets)
{
	static const char tls[] = "+OK Begin TLS negotiation now\r\n";
	off_t n = lseek(fd, 0, SEEK_END);
	size_t i, end;
	uint8_t *t;

	if (n < 0)
		abort();
	if ((size_t)n > outcap) {
		free(out);
		outcap = (size_t)n;
		if (!(out = malloc(outcap)))
			abort();
	}
	if (n && pread(fd, out, (size_t)n, 0) != n)
		abort();
	outlen = (size_t)n;
	if (getenv("FUZZ_REPLIES") && n)
		fwrite(out, 1, (size_t)n, stderr);
	if (implicit)
		return;
	end = (size_t)n;
	t = memmem(out, end, tls, sizeof tls - 1);
	if (t)
		end = (size_t)(t - out) + sizeof tls - 1;
	if (end < 5 || memcmp(out, "+OK ", 4) != 0 || out[end - 1] != '\n')
		abort();
	for (i = 0; i < end; i++)
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			abort();
	if (octets)
		check_octets(out, end);
}

/* QUIT's UPDATE (RFC 1939 6) as the next session sees it: "+OK Logging
 * out, N messages left" is what the mailbox then holds.  The reply does
 * not say whose mailbox: one of the users with ids has N (a missing
 * mailbox holds 0). */
static void check_left(int v)
{
	static const char *users[] = { "alice", "bob", "carol" };
	static const char said[] = "+OK Logging out, ";
	char path[4096], err[MAILBOX_ERR_MAX];
	struct mailbox mb;
	unsigned long left;
	size_t i, n, last;
	int kind;

	/* QUIT ends the session: its reply is the last line */
	if (outlen < 2)
		return;
	for (last = outlen - 2; last > 0 && out[last - 1] != '\n'; last--)
		;
	if (outlen - last < sizeof said || memcmp(out + last, said,
	    sizeof said - 1) || sscanf((const char *)out + last +
	    sizeof said - 1, "%lu", &left) != 1)
		return;
	for (i = 0; i < sizeof users / sizeof *users; i++) {
		kind = local_mailbox(&cfs[v], users[i], fuzz_tmp(), path,
			sizeof path);
		if (kind < 0)
			abort();
		memset(&mb, 0, sizeof mb);
		mb.fd = mb.lockfd = -1;
		n = 0;
		if (mailbox_open(&mb, path, kind, MAILBOX_RDONLY, err,
		    sizeof err) == 0) {
			n = mailbox_count(&mb, NULL);
			mailbox_close(&mb);
		} else if (errno != ENOENT) {
			fprintf(stderr, "%s: %s\n", path, err);
			abort();
		}
		if (n == left) {
			if (getenv("FUZZ_REPLIES"))
				fprintf(stderr, "(%s: %zu left)\n", users[i],
					n);
			return;
		}
	}
	fprintf(stderr, "QUIT said %lu messages left, the mailboxes "
		"disagree\n", left);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *mb = NULL;
	size_t mblen = 0;
	int f, v, in;

	if (size < 1 || size > 65536)
		return 0;
	if (saved0 < 0)
		setup();
	f = data[0];
	v = f & 3;
	data++, size--;
	if (f & 128) {
		if (size < 2)
			return 0;
		mblen = (size_t)data[0] << 8 | data[1];
		data += 2, size -= 2;
		if (mblen > size)
			mblen = size;
		mb = data;
		data += mblen, size -= mblen;
	}
	fresh(v, mb, mblen, (f & 8) != 0);
	in = memfd_create("pop3d-in", 0);
	if (in < 0 || (size && write(in, data, size) != (ssize_t)size))
		abort();
	lseek(in, 0, SEEK_SET);
	if (ftruncate(outfd, 0) < 0 || lseek(outfd, 0, SEEK_SET) < 0)
		abort();
	ctx[v].verbose = (f & 64) != 0;
	ctx[v].implicit = v == 2 && (f & 16) && ctx[v].tls;
	log_level((f & 64) ? LOG_DEBUG : LOG_INFO);
	if (dup2(in, 0) < 0 || dup2(outfd, 1) < 0)
		abort();
	if (session(&ctx[v], NULL) != 0)
		abort();
	if (dup2(saved0, 0) < 0 || dup2(saved1, 1) < 0)
		abort();
	close(in);
	/* a message line "+OK N octets" (TOP sends it as it is) would
	 * look like RETR's reply */
	check_replies(outfd, ctx[v].implicit,
		!mb || !memmem(mb, mblen, "+OK", 3));
	check_left(v);
	return 0;
}
