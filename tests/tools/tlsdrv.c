/*
 * tlsdrv: a test driver for libmini/tls over the io layer.
 *
 *   tlsdrv server [-s] [-n COUNT] [-t MS] CERT KEY PORTFILE
 *	Listens on 127.0.0.1 (a free port, written to PORTFILE), serves up
 *	to COUNT connections (default 20), one child each, and speaks a
 *	pretend SMTP: 220 greeting, EHLO, STARTTLS (refused with 554 and
 *	the connection closed when plaintext follows it in the buffer),
 *	MAIL, RCPT, DATA (the body goes to stdout), INFO (version, cipher,
 *	bits), QUIT; -s: implicit TLS (handshake before the greeting);
 *	-t: the handshake's deadline (default 10000 ms).
 *	Each session logs "tls: ..." lines to stderr.
 *   tlsdrv client [-oS] [-a CAFILE] [-d CAPATH] [-c CERTKEY] [-n NAME]
 *	PORT LINE
 *	Connects to 127.0.0.1:PORT with TLS at once, or after EHLO and
 *	STARTTLS in plaintext (-S), with SNI and host check of NAME (-o:
 *	opportunistic), prints "verify=... version=... cipher=...", sends
 *	LINE and prints the line the server sends back.  -c: a client
 *	certificate with its key in one PEM file.
 *	Exit 0, or 1 with the reason on stdout as "error: ...".
 *   tlsdrv anchors [CAFILE [CAPATH]]
 *	Loads trust anchors (none given: Debian's bundle) and prints how
 *	many there are.
 *   tlsdrv pair CERT KEY CAFILE NAME
 *	Server and client in one process pair over two pipes (the server
 *	on separate read and write fds, as under inetd): a handshake, a
 *	64 KB transfer each way, close_notify; prints what happened.
 */
#include "libmini.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

const char *applet_name = "tlsdrv";

struct conn {
	struct io in, out;
	char ibuf[4096], obuf[4096];
	struct tls *tls;
};

static void conn_init(struct conn *c, int rfd, int wfd)
{
	io_init(&c->in, rfd, c->ibuf, sizeof c->ibuf);
	io_init(&c->out, wfd, c->obuf, sizeof c->obuf);
	io_pair(&c->in, &c->out);
	c->tls = NULL;
}

static unsigned long handshake_ms = 10000;

static int start_tls(struct conn *c, const struct tls_server_config *cfg)
{
	char err[256];

	c->tls = tls_server_start(&c->in, &c->out, cfg, handshake_ms, err,
		sizeof err);
	if (!c->tls) {
		fprintf(stderr, "tls: handshake failed: %s\n", err);
		return -1;
	}
	fprintf(stderr, "tls: version=%s cipher=%s bits=%d\n",
		tls_version(c->tls), tls_cipher(c->tls),
		tls_cipher_bits(c->tls));
	return 0;
}

static void session(int fd, const struct tls_server_config *cfg,
	int implicit)
{
	struct conn c;
	char line[1001];
	size_t len;
	int r, data = 0;

	conn_init(&c, fd, fd);
	if (implicit && start_tls(&c, cfg) < 0)
		return;
	io_puts(&c.out, "220 tlsdrv ESMTP\r\n");
	for (;;) {
		io_deadline(&c.in, 10000);
		io_deadline(&c.out, 10000);
		r = io_getline(&c.in, line, sizeof line, &len);
		if (r != IO_LINE)
			break;
		if (data) {
			if (strcmp(line, ".\r\n") == 0) {
				data = 0;
				io_puts(&c.out, "250 2.0.0 queued\r\n");
			} else {
				fputs(line, stdout);
				fflush(stdout);
			}
			continue;
		}
		line[strcspn(line, "\r\n")] = 0;
		if (str_istarts(line, "EHLO") || str_istarts(line, "HELO")) {
			io_puts(&c.out, "250-tlsdrv\r\n");
			io_puts(&c.out, c.tls ? "250 AUTH PLAIN\r\n" :
				"250 STARTTLS\r\n");
		} else if (strcasecmp(line, "STARTTLS") == 0 && !c.tls) {
			/* RFC 3207 4: nothing may ride in with the command */
			if (io_pending(&c.in)) {
				io_puts(&c.out, "554 5.5.1 Error: plaintext "
					"after STARTTLS refused\r\n");
				io_flush(&c.out);
				fprintf(stderr, "tls: injection refused\n");
				break;
			}
			io_puts(&c.out, "220 2.0.0 Ready to start TLS\r\n");
			if (start_tls(&c, cfg) < 0)
				return;
		} else if (strcasecmp(line, "INFO") == 0) {
			io_printf(&c.out, "250 %s %s %d\r\n",
				c.tls ? tls_version(c.tls) : "none",
				c.tls ? tls_cipher(c.tls) : "none",
				c.tls ? tls_cipher_bits(c.tls) : 0);
		} else if (str_istarts(line, "DATA")) {
			io_puts(&c.out, "354 go ahead\r\n");
			data = 1;
		} else if (strcasecmp(line, "QUIT") == 0) {
			io_puts(&c.out, "221 2.0.0 bye\r\n");
			break;
		} else {
			io_printf(&c.out, "250 ok %.200s\r\n", line);
		}
	}
	if (c.tls) {
		if (r == IO_EOF && tls_truncated(c.tls))
			fprintf(stderr, "tls: peer sent no close_notify\n");
		if (tls_close(c.tls) < 0)
			fprintf(stderr, "tls: close: %s\n", strerror(errno));
		else
			fprintf(stderr, "tls: closed\n");
	} else {
		io_flush(&c.out);
	}
}

static int server_main(int argc, char **argv)
{
	struct tls_server_config *cfg;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	char err[256];
	int opt, implicit = 0, count = 20, s, fd, one = 1;
	FILE *f;

	while ((opt = getopt(argc, argv, "sn:t:")) != -1) {
		if (opt == 's')
			implicit = 1;
		else if (opt == 't')
			handshake_ms = atol(optarg);
		else if (opt == 'n')
			count = atoi(optarg);
		else
			return 64;
	}
	if (argc - optind != 3)
		return 64;
	cfg = tls_server_config_new(argv[optind], argv[optind + 1], err,
		sizeof err);
	if (!cfg) {
		fprintf(stderr, "tlsdrv: %s\n", err);
		return 78;
	}
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
			listen(s, 16) < 0 ||
			getsockname(s, (struct sockaddr *)&sa, &sl) < 0) {
		perror("tlsdrv: listen");
		return 71;
	}
	f = fopen(argv[optind + 2], "w");
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	fclose(f);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);
	alarm(300);	/* a forgotten driver goes away by itself */
	while (count-- > 0) {
		fd = accept(s, NULL, NULL);
		if (fd < 0)
			continue;
		if (fork() == 0) {
			close(s);
			session(fd, cfg, implicit);
			_exit(0);
		}
		close(fd);
	}
	tls_server_config_free(cfg);
	return 0;
}

/* Sends CMD (unless NULL) and reads a reply, multi-line included, which
 * must start with CODE. */
static int smtp_step(struct conn *c, const char *cmd, const char *code)
{
	char line[1001];
	size_t len;

	if (cmd)
		io_printf(&c->out, "%s\r\n", cmd);
	do {
		if (io_getline(&c->in, line, sizeof line, &len) != IO_LINE) {
			printf("error: no reply to %s\n", cmd ? cmd : "connect");
			return -1;
		}
		if (!str_starts(line, code)) {
			printf("error: %s: %s", cmd ? cmd : "connect", line);
			return -1;
		}
	} while (line[3] == '-');
	return 0;
}

static int client_main(int argc, char **argv)
{
	struct tls_client_config *cfg;
	struct sockaddr_in sa;
	struct conn c;
	const char *ca = NULL, *name = NULL, *dir = NULL, *cert = NULL;
	char err[256], line[1001];
	size_t len;
	int opt, flags = 0, fd, verify, starttls = 0;

	while ((opt = getopt(argc, argv, "oSa:c:d:n:")) != -1) {
		if (opt == 'o')
			flags |= TLS_OPPORTUNISTIC;
		else if (opt == 'S')
			starttls = 1;
		else if (opt == 'a')
			ca = optarg;
		else if (opt == 'd')
			dir = optarg;
		else if (opt == 'c')
			cert = optarg;
		else if (opt == 'n')
			name = optarg;
		else
			return 64;
	}
	if (argc - optind != 2)
		return 64;
	/* "-a none": no anchors from a file (an empty one) */
	cfg = tls_client_config_new(ca && strcmp(ca, "none") == 0 ?
		"/dev/null" : ca, dir, err, sizeof err);
	if (!cfg) {
		printf("error: %s\n", err);
		return 1;
	}
	if (cert && tls_client_config_cert(cfg, cert, NULL, err,
			sizeof err) < 0) {
		printf("error: %s\n", err);
		return 1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(atoi(argv[optind]));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		printf("error: connect: %s\n", strerror(errno));
		return 1;
	}
	conn_init(&c, fd, fd);
	io_deadline(&c.in, 10000);
	io_deadline(&c.out, 10000);
	/* -S: the SMTP client's way, plaintext first (RFC 3207 4) */
	if (starttls && (smtp_step(&c, NULL, "220") < 0 ||
			smtp_step(&c, "EHLO client.example.test", "250") < 0 ||
			smtp_step(&c, "STARTTLS", "220") < 0))
		return 1;
	c.tls = tls_client_start(&c.in, &c.out, cfg, name, flags, 10000,
		&verify, err, sizeof err);
	if (!c.tls) {
		printf("error: verify=%s %s\n", tls_verify_name(verify), err);
		return 1;
	}
	printf("verify=%s version=%s cipher=%s\n", tls_verify_name(verify),
		tls_version(c.tls), tls_cipher(c.tls));
	io_printf(&c.out, "%s\n", argv[optind + 1]);
	if (io_getline(&c.in, line, sizeof line, &len) != IO_LINE) {
		printf("error: no reply: %s\n", strerror(errno));
		return 1;
	}
	printf("reply: %s", line);
	tls_close(c.tls);
	tls_client_config_free(cfg);
	return 0;
}

/* Writes N bytes of a pattern in lines of 64, then reads N back and checks
 * them: both sides run it, so each direction carries N bytes. */
static int exchange(struct conn *c, size_t n, int first)
{
	char line[100], want[100];
	size_t len, i;
	int k;

	for (k = 0; k < 2; k++) {
		if (k == first) {
			for (i = 0; i < n / 64; i++) {
				snprintf(want, sizeof want, "%06zu %056d\n",
					i, 0);
				if (io_puts(&c->out, want) < 0)
					return -1;
			}
			if (io_flush(&c->out) < 0)
				return -1;
			continue;
		}
		for (i = 0; i < n / 64; i++) {
			snprintf(want, sizeof want, "%06zu %056d\n", i, 0);
			if (io_getline(&c->in, line, sizeof line, &len) !=
					IO_LINE || strcmp(line, want) != 0)
				return -1;
		}
	}
	return 0;
}

static int pair_main(int argc, char **argv)
{
	struct tls_server_config *scfg;
	struct tls_client_config *ccfg;
	struct conn c;
	char err[256], line[100];
	size_t len;
	int up[2], down[2], verify, st;
	pid_t pid;

	if (argc != 5)
		return 64;
	scfg = tls_server_config_new(argv[1], argv[2], err, sizeof err);
	ccfg = tls_client_config_new(argv[3], NULL, err, sizeof err);
	if (!scfg || !ccfg) {
		printf("error: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (pipe(up) < 0 || pipe(down) < 0)
		return 71;
	pid = fork();
	if (pid == 0) {
		/* server: reads "up", writes "down", like inetd's 0 and 1 */
		close(up[1]);
		close(down[0]);
		conn_init(&c, up[0], down[1]);
		c.tls = tls_server_start(&c.in, &c.out, scfg, 10000, err,
			sizeof err);
		if (!c.tls) {
			printf("server: %s\n", err);
			_exit(1);
		}
		io_deadline(&c.in, 10000);
		io_deadline(&c.out, 10000);
		if (exchange(&c, 65536, 1) < 0) {
			printf("server: exchange failed: %s\n",
				strerror(errno));
			_exit(1);
		}
		/* after the client's close_notify: a clean end of file */
		if (io_getline(&c.in, line, sizeof line, &len) != IO_EOF ||
				len || tls_truncated(c.tls)) {
			printf("server: no clean end\n");
			_exit(1);
		}
		tls_close(c.tls);
		_exit(0);
	}
	close(up[0]);
	close(down[1]);
	conn_init(&c, down[0], up[1]);
	c.tls = tls_client_start(&c.in, &c.out, ccfg, argv[4], 0, 10000,
		&verify, err, sizeof err);
	if (!c.tls) {
		printf("client: %s\n", err);
		return 1;
	}
	printf("verify=%s version=%s cipher=%s\n", tls_verify_name(verify),
		tls_version(c.tls), tls_cipher(c.tls));
	io_deadline(&c.in, 10000);
	io_deadline(&c.out, 10000);
	if (exchange(&c, 65536, 0) < 0) {
		printf("client: exchange failed: %s\n", strerror(errno));
		return 1;
	}
	printf("exchanged 64 KB each way\n");
	if (tls_close(c.tls) < 0)
		printf("client: close: %s\n", strerror(errno));
	close(up[1]);
	waitpid(pid, &st, 0);
	printf("server exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	tls_server_config_free(scfg);
	tls_client_config_free(ccfg);
	return 0;
}

/* Loads trust anchors as the SMTP client would and prints the count. */
static int anchors_main(int argc, char **argv)
{
	struct tls_client_config *cfg;
	char err[256];

	cfg = tls_client_config_new(argc > 1 ? argv[1] : NULL,
		argc > 2 ? argv[2] : NULL, err, sizeof err);
	if (!cfg) {
		printf("error: %s\n", err);
		return 1;
	}
	printf("%zu\n", tls_client_config_anchors(cfg));
	tls_client_config_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "server") == 0)
		return server_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "client") == 0)
		return client_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "pair") == 0)
		return pair_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "anchors") == 0)
		return anchors_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: tlsdrv server|client|pair ...\n");
	return 64;
}
