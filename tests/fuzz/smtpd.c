/* smtpd: a whole SMTP session, smtpd_session as `smtpd -i` runs it, on
 * the input as what the client sent: the command loop and dispatcher,
 * every command's state (EHLO/HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP,
 * VRFY, EXPN, HELP, QUIT, STARTTLS, AUTH and its responses), the line
 * limits, the error count, pipelining checks, the access map and the
 * queue commit.  Nothing is copied or stubbed: the cf sets the delays to
 * 0 (PostboxErrorDelay, PostboxAuthFailDelay) and DeliveryMode=q, the
 * queue is a scratch folder emptied after each run, and the session
 * runs as the caller (no privilege to drop, no AUTH monitor).
 *
 * Byte 0 of the input chooses the setting: bits 0-1 the cf (0 open
 * relay rules with virtual users and plaintext AUTH; 1 PrivacyOptions
 * goaway, a 300-octet MaxMessageSize, BareLineEnds normalize, AUTH only
 * under TLS; 2 with ServerCertFile, when openssl could make one at
 * start; 3 a listener with M=a, AUTH before MAIL), bit 2 fd 0 a
 * socketpair (network rules: input sent ahead is refused) rather than a
 * file, bits 3-5 the client's address (loopback, or TCPREMOTEIP with no
 * entry, RELAY, DISCARD, REJECT, a 421 ERROR, OK, IPv6), bit 6 -v.  The
 * rest is the client's stream.  On the socketpair it comes in turns, cut
 * at each NUL byte: the first is there before the greeting (a client
 * that talks first), each next one is sent when the session waits for
 * input (poll is wrapped: a client that waits for the replies), and
 * after the last the client shuts its side.  The replies are checked:
 * each line "DDD" then ' ' or '-', at most 512 octets with its CRLF (RFC
 * 5321 4.5.3.1.5), until a STARTTLS handshake starts; with FUZZ_REPLIES
 * set in the environment they are also copied to stderr.  The queue is
 * checked too: what was committed reads back (check_queue). */
#include "fuzz.h"
#include "../../applets/smtpd/smtpd.h"
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define VARIANTS 4

static struct ctx ctx[VARIANTS];
static struct cf cfs[VARIANTS];
static struct net_listener auth_first;
static char queue[512];
static int saved0 = -1, saved1 = -1, outfd = -1;
static uint8_t *out;
static size_t outcap;

static const char *peers[8] = {
	NULL, "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
	"192.0.2.5", "192.0.2.6", "2001:db8::1",
};

/* The access map and the aliases, as makemap and newaliases write
 * them (lower case keys; aliases with their NULs and the "@" mark). */
static void make_maps(const char *dir)
{
	static const char *access[][2] = {
		{ "connect:192.0.2.2", "RELAY" },
		{ "connect:192.0.2.3", "DISCARD" },
		{ "connect:192.0.2.4", "REJECT" },
		{ "connect:192.0.2.5", "ERROR:4.7.1:421 come back later" },
		{ "connect:192.0.2.6", "OK" },
		{ "from:spam.example", "DISCARD" },
		{ "from:angry@bad.example", "ERROR:5.7.1:550 go away" },
		{ "from:bad.example", "REJECT" },
		{ "to:partner.example", "RELAY" },
		{ "to:blocked@example.org", "REJECT" },
		{ "to:root@example.org", "OK" },
		{ "legacy.example", "553 bare code text" },
	};
	static const char *aliases[][2] = {
		{ "staff", "root" }, { "list", "root, alice" },
		{ "@", "@" },
	};
	struct map_make mk;
	char path[600];
	size_t i;

	map_make_init(&mk, 0);
	for (i = 0; i < sizeof access / sizeof *access; i++)
		map_make_add(&mk, access[i][0], strlen(access[i][0]),
			access[i][1], strlen(access[i][1]));
	snprintf(path, sizeof path, "%s/access", dir);
	if (map_make_write(&mk, path, 0644) < 0)
		abort();
	map_make_free(&mk);
	map_make_init(&mk, 0);
	for (i = 0; i < sizeof aliases / sizeof *aliases; i++)
		map_make_add(&mk, aliases[i][0], strlen(aliases[i][0]) + 1,
			aliases[i][1], strlen(aliases[i][1]) + 1);
	snprintf(path, sizeof path, "%s/aliases.db", dir);
	if (map_make_write(&mk, path, 0644) < 0)
		abort();
	map_make_free(&mk);
}

/* A certificate for the STARTTLS setting: openssl's, when there is one
 * (1), else that setting runs without one (0). */
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
	int i, cert;

	snprintf(queue, sizeof queue, "%s/q", dir);
	if (mkdir(queue, 0700) < 0)
		abort();
	make_maps(dir);
	cert = make_cert(dir);
	snprintf(text, sizeof text, "alice:{PLAIN}secret\n"
		"bob:{CRAM-MD5}%064d\n", 0);
	fuzz_file("vusers", text, strlen(text));
	for (i = 0; i < VARIANTS; i++) {
		int n = snprintf(text, sizeof text,
			"Djmail.example.org\nCwexample.org\nCwlocalhost\n"
			"CRrelayed.example\n"
			"O QueueDirectory=%s\nO DeliveryMode=q\n"
			"O PostboxErrorDelay=0\nO PostboxAuthFailDelay=0\n"
			"O MaxRecipientsPerMessage=5\nO MaxHopCount=3\n"
			"O AliasFile=%s/aliases\n"
			"O PostboxVirtualUsers=%s/vusers\n"
			"Kaccess hash -o %s/access\n", queue, dir, dir, dir);

		if (i == 1)
			snprintf(text + n, sizeof text - n,
				"O PrivacyOptions=goaway\n"
				"O MaxMessageSize=300\n"
				"O PostboxBareLineEnds=normalize\n"
				"O AuthMechanisms=PLAIN LOGIN\n"
				"C{TrustAuthMech}LOGIN\n");
		else if (i == 2 && cert)
			snprintf(text + n, sizeof text - n,
				"O ServerCertFile=%s/cert.pem\n"
				"O ServerKeyFile=%s/key.pem\n"
				"O AuthOptions=y\nO MaxMessageSize=100000\n",
				dir, dir);
		else
			snprintf(text + n, sizeof text - n,
				"O AuthOptions=y\nO MaxMessageSize=100000\n");
		snprintf(path, sizeof path, "cf%d", i);
		str_lcpy(path, fuzz_file(path, text, strlen(text)),
			sizeof path);
		if (cf_load_daemon(&cfs[i], path, 1) < 0)
			abort();
		ctx[i].cf = &cfs[i];
		ctx[i].agent.rd = ctx[i].agent.wr = -1;
		if (smtpd_load_secrets(&ctx[i], &cfs[i]) < 0)
			abort();
	}
	str_lcpy(auth_first.name, "MSA", sizeof auth_first.name);
	str_lcpy(auth_first.modifiers, "a", sizeof auth_first.modifiers);
	saved0 = dup(0);
	saved1 = dup(1);
	outfd = memfd_create("smtpd-out", 0);
	if (saved0 < 0 || saved1 < 0 || outfd < 0)
		abort();
	log_open("smtpd", 0);
}

static int rm_entry(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	if (ftw->level > 0)
		remove(path);
	return 0;
}

/* The replies, while they are SMTP's.  The number of messages the
 * session said it accepted. */
static size_t check_replies(int fd)
{
	off_t n = lseek(fd, 0, SEEK_END);
	size_t i, start, accepted = 0;

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
	/* FUZZ_REPLIES=1: the replies to stderr, to read a run */
	if (getenv("FUZZ_REPLIES") && n)
		fwrite(out, 1, (size_t)n, stderr);
	for (start = 0; start < (size_t)n; start = i + 1) {
		const uint8_t *l = out + start;

		for (i = start; i < (size_t)n && out[i] != '\n'; i++)
			;
		if (i == (size_t)n || i - start < 5 || out[i - 1] != '\r' ||
		    l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
		    l[2] < '0' || l[2] > '9' || (l[3] != ' ' && l[3] != '-') ||
		    i + 1 - start > 512 || memchr(l, 0, i - start))
			abort();
		if (i - start > 10 + QUEUE_ID_LEN &&
		    !memcmp(l, "250 2.0.0 ", 10) &&
		    !memcmp(l + 10 + QUEUE_ID_LEN, " Message accepted", 17))
			accepted++;
		if (i - start == 29 &&
		    !memcmp(l, "220 2.0.0 Ready to start TLS", 28))
			break;
	}
	return accepted;
}

/* A committed message as the queue stores it (ARCHITECTURE.md, "The
 * queue"): LF line ends, so no CR (CRLF became LF; a bare CR is refused
 * or, normalised, a line end), no NUL (refused), and a last LF. */
static void check_data(const char *id)
{
	char path[600];
	char *p = NULL;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/df%s", queue, id);
	if (file_read_all(path, 1 << 24, &p, &n) < 0 || n == 0 ||
	    p[n - 1] != '\n' || memchr(p, '\r', n) || memchr(p, 0, n)) {
		fprintf(stderr, "%s: not a stored message\n", path);
		abort();
	}
	free(p);
}

/* What was committed: every entry's envelope reads back with a
 * recipient (the edge let nothing through that breaks the format), its
 * message is stored as the queue says, no entry was set aside, and there
 * are no more entries than 250s (fewer when DISCARD dropped some). */
static void check_queue(size_t accepted)
{
	char (*ids)[QUEUE_ID_LEN + 1] = NULL, err[256];
	struct queue_env e;
	size_t n = 0, i;
	int locked;

	if (queue_list_lost(queue, &ids, &n) < 0 || n)
		abort();
	free(ids);
	if (queue_list(queue, &ids, &n) < 0 || n > accepted)
		abort();
	if (getenv("FUZZ_REPLIES"))
		fprintf(stderr, "(%zu accepted, %zu queued)\n", accepted, n);
	for (i = 0; i < n; i++) {
		queue_env_init(&e);
		if (queue_peek(queue, ids[i], &e, &locked, err,
		    sizeof err) < 0 || e.n == 0) {
			fprintf(stderr, "%s: %s\n", ids[i], err);
			abort();
		}
		queue_env_free(&e);
		check_data(ids[i]);
	}
	free(ids);
}

/* The client's turns not yet sent (socketpair mode), and its end. */
static const uint8_t *turns;
static size_t turns_left;
static int client = -1;

/* Sends the next turn (up to a NUL byte, which is dropped), or at the
 * end shuts the client's side.  Empty turns are skipped: a client that
 * sends nothing while the session waits would only make it wait for
 * its timeout (an hour). */
static void send_turn(void)
{
	const uint8_t *nul;
	size_t n;

	while (turns_left && *turns == 0)
		turns++, turns_left--;
	nul = memchr(turns, 0, turns_left);
	n = nul ? (size_t)(nul - turns) : turns_left;
	if (n && write(client, turns, n) != (ssize_t)n)
		abort();
	turns += n, turns_left -= n;
	if (nul) {
		turns++, turns_left--;
	} else {
		shutdown(client, SHUT_WR);
		client = -1;
	}
}

int __real_poll(struct pollfd *p, nfds_t n, int ms);
int __wrap_poll(struct pollfd *p, nfds_t n, int ms)
{
	/* the session waits (not a mere look, ms 0) for the client */
	if (client >= 0 && ms != 0 && n == 1 && p->fd == 0 &&
	    (p->events & POLLIN))
		send_turn();
	return __real_poll(p, n, ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int f, in, sv[2] = { -1, -1 };
	const char *peer;

	if (size < 1 || size > 65536)
		return 0;
	if (saved0 < 0)
		setup();
	f = data[0];
	data++, size--;
	if (f & 4) {
		/* the whole stream waits in the socket, sent and shut */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			abort();
		turns = data, turns_left = size, client = sv[1];
		if (turns_left && *turns == 0)
			turns++, turns_left--;	/* waits for the greeting */
		else
			send_turn();
		in = sv[0];
	} else {
		in = memfd_create("smtpd-in", 0);
		if (in < 0 || (size && write(in, data, size) != (ssize_t)size))
			abort();
		lseek(in, 0, SEEK_SET);
	}
	if (ftruncate(outfd, 0) < 0 || lseek(outfd, 0, SEEK_SET) < 0)
		abort();
	peer = peers[(f >> 3) & 7];
	if (peer)
		setenv("TCPREMOTEIP", peer, 1);
	else
		unsetenv("TCPREMOTEIP");
	ctx[f & 3].verbose = (f & 64) != 0;
	log_level((f & 64) ? LOG_DEBUG : LOG_INFO);
	if (dup2(in, 0) < 0 || dup2(outfd, 1) < 0)
		abort();
	if (smtpd_session(&ctx[f & 3], (f & 3) == 3 ? &auth_first : NULL))
		abort();
	if (dup2(saved0, 0) < 0 || dup2(saved1, 1) < 0)
		abort();
	close(in);
	client = -1;
	if (sv[1] >= 0)
		close(sv[1]);
	check_queue(check_replies(outfd));
	nftw(queue, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
