/* Unit tests of cf: the sendmail.cf reader.  Table-driven where the
 * vectors are alike; files are written to the current folder (build/unit). */
#include "libmini.h"
#include "unit.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/utsname.h>

static char notes[4096];
static int n_notes;

static void collect(const char *what, const char *where)
{
	n_notes++;
	str_lcat(notes, what, sizeof notes);
	str_lcat(notes, "|", sizeof notes);
}

static void put(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0) {
		printf("FAIL: cannot write %s\n", path);
		exit(1);
	}
}

/* Loads TEXT as a cf into cf (after cf_init); returns cf_load's result. */
static int load(struct cf *cf, const char *text, char *err, size_t errmax)
{
	put("t_cf.cf", text, strlen(text));
	cf_init(cf);
	notes[0] = 0;
	n_notes = 0;
	cf->note = collect;
	return cf_load(cf, "t_cf.cf", err, errmax);
}

static void test_time(void)
{
	static const struct {
		const char *s;
		int unit;
		long want;	/* -1: must fail */
	} v[] = {
		{ "5d", 'm', 432000 }, { "4h", 'm', 14400 },
		{ "1h30m", 'm', 5400 }, { "30s", 'm', 30 }, { "2w", 'm', 1209600 },
		{ "90", 'm', 5400 }, { "90", 's', 90 }, { "3", 'h', 10800 },
		{ "5", 'd', 432000 }, { "0", 'm', 0 }, { "1d2h3m4s", 'm', 93784 },
		{ "10m5", 'm', 900 },
		{ "", 'm', -1 }, { "h", 'm', -1 }, { "5x", 'm', -1 },
		{ "-5m", 'm', -1 }, { "5 m", 'm', -1 },
		{ "99999999999999999999", 'm', -1 }, { "3000000000s", 'm', -1 },
		{ "1000000w", 'm', -1 },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		char name[80];
		long t = -2;
		int rc = cf_parse_time(v[i].s, v[i].unit, &t);

		snprintf(name, sizeof name, "time \"%s\" unit %c", v[i].s,
			v[i].unit);
		if (v[i].want < 0)
			CHECK(rc == -1, name);
		else
			CHECK(rc == 0 && t == v[i].want, name);
	}
}

static void test_defaults(void)
{
	struct cf cf;
	struct utsname u;
	const char *w, *j, *m;
	char buf[256];

	cf_init(&cf);
	CHECK(cf.n_daemons == 1 && cf.daemons[0].port == 25 &&
		cf.daemons[0].family == AF_INET, "default daemon port 25");
	CHECK_STR(cf.daemons[0].addr, "127.0.0.1", "default daemon loopback");
	CHECK_STR(cf.daemons[0].name, "MTA", "default daemon name");
	CHECK_STR(cf.opt.queue_dir, "/var/spool/mqueue", "default queue");
	CHECK(cf.opt.alias_files.n == 1, "default one alias file");
	CHECK_STR(cf.opt.alias_files.v[0], "/etc/mail/aliases",
		"default alias file");
	CHECK(cf.opt.forward_path.n == 2, "default forward path items");
	CHECK(cf.opt.max_hops == 25 && cf.opt.log_level == 9 &&
		cf.opt.min_free_blocks == 100 && cf.opt.max_message_size == 0,
		"default limits");
	CHECK(cf.opt.delivery_mode == 'b' && cf.opt.error_mode == 'p',
		"default modes");
	CHECK(cf.opt.to_queuereturn == 5 * 86400 &&
		cf.opt.to_queuewarn == 4 * 3600 && cf.opt.to_mail == 600 &&
		cf.opt.to_initial == 300 && cf.opt.to_command == 3600,
		"default timeouts");
	CHECK_STR(cf.opt.privacy, "authwarnings,noexpn,novrfy",
		"default privacy is safe");
	CHECK_STR(cf.opt.mailbox, "mbox:/var/mail/%u", "default mailbox");
	CHECK(cf.opt.virtual_users == NULL && cf.opt.auth_mechs.n == 0,
		"default unset options");
	CHECK(cf.n_maps == 0 && cf.n_mailers == 0, "default no maps");
	CHECK_STR(cf_macro(&cf, "v"), POSTBOX_VERSION, "$v is the version");
	CHECK_STR(cf_macro(&cf, "{Z}"), POSTBOX_VERSION, "{Z} is $Z");
	w = cf_macro(&cf, "w");
	j = cf_macro(&cf, "j");
	m = cf_macro(&cf, "m");
	uname(&u);
	CHECK(w && j && str_istarts(j, w) &&
		(j[strlen(w)] == 0 || j[strlen(w)] == '.'),
		"$j begins with $w");
	CHECK(w && !strchr(w, '.'), "$w has no dot");
	CHECK(str_istarts(u.nodename, w), "$w from uname");
	CHECK(!strchr(j, '.') || (m && strcmp(m, strchr(j, '.') + 1) == 0),
		"$m is the domain of $j");
	CHECK(cf_class_has(&cf, "w", w) && cf_class_has(&cf, "w", j),
		"class w has the host names");
	CHECK(cf_class_has(&cf, "w", "LOCALHOST") &&
		cf_class_has(&cf, "{w}", "[127.0.0.1]"),
		"class w has loopback, case-insensitively");
	CHECK(!cf_class_has(&cf, "w", "example.com"), "class w not others");
	CHECK(cf_class(&cf, "R") == NULL, "class R empty");
	CHECK(cf_expand(&cf, "$j Sendmail $v/$Z; $b", buf, sizeof buf) > 0 &&
		str_starts(buf, j) && strstr(buf, " Sendmail " POSTBOX_VERSION
		"/" POSTBOX_VERSION "; ") && strlen(buf) > strlen(j) + 40,
		"default greeting expands with a date");
	cf_free(&cf);
	CHECK(cf.priv == NULL, "cf_free clears");
}

static void test_missing(void)
{
	struct cf cf;
	char err[256];

	cf_init(&cf);
	CHECK(cf_load(&cf, "t_cf_absent.cf", err, sizeof err) == -1 &&
		errno == ENOENT, "missing cf: ENOENT");
	CHECK_STR(err, "t_cf_absent.cf: No such file or directory",
		"missing cf message");
	CHECK(cf.n_daemons == 1 && cf.daemons[0].port == 25,
		"missing cf keeps the defaults");
	cf_free(&cf);
}

/* Option lines: each vector loads one file and checks one value. */
static void test_options(void)
{
	static const struct {
		const char *text, *name;
		int field;
		const char *want;
	} v[] = {
#define F_QUEUE 1
#define F_SIZE 2
#define F_HOPS 3
#define F_MODE 4
#define F_LOG 5
#define F_QRET 6
#define F_QWARN 7
#define F_MAIL 8
#define F_PRIV 9
#define F_ALIAS 10
#define F_GREET 11
#define F_EMODE 12
#define F_MINFREE 13
#define F_MECHS 14
#define F_MBOX 15
#define F_VUSERS 16
#define F_FWD 17
#define F_CERT 18
#define F_RCPTS 19
#define F_DUSER 20
#define F_RCPT 21
#define F_APOP 22
#define F_LDELAY 23
#define F_AFDELAY 24
#define F_EDELAY 25
#define F_P3TIME 26
		{ "O QueueDirectory=/q\n", "O QueueDirectory", F_QUEUE, "/q" },
		{ "OQ/q2\n", "OQ", F_QUEUE, "/q2" },
		{ "O queuedirectory = /q3 \n", "name case/blanks", F_QUEUE, "/q3" },
		{ "O QueueDirectory=\n", "empty restores default", F_QUEUE,
			"/var/spool/mqueue" },
		{ "O MaxMessageSize=10485760\n", "MaxMessageSize", F_SIZE,
			"10485760" },
		{ "Ob50/2000\n", "Ob blocks/size", F_SIZE, "2000" },
		{ "Ob50/2000\n", "Ob blocks", F_MINFREE, "50" },
		{ "O MinFreeBlocks=7\n", "MinFreeBlocks", F_MINFREE, "7" },
		{ "O MaxHopCount=100\n", "MaxHopCount", F_HOPS, "100" },
		{ "Oh17\n", "Oh", F_HOPS, "17" },
		{ "O DeliveryMode=queueonly\n", "DeliveryMode", F_MODE, "q" },
		{ "Odi\n", "Od", F_MODE, "i" },
		{ "O DeliveryMode=Deferred\n", "DeliveryMode case", F_MODE, "d" },
		{ "Oem\n", "Oe", F_EMODE, "m" },
		{ "O ErrorMode=q\n", "ErrorMode", F_EMODE, "q" },
		{ "OL12\n", "OL", F_LOG, "12" },
		{ "O LogLevel=0\n", "LogLevel", F_LOG, "0" },
		{ "O Timeout.queuereturn=3d\n", "queuereturn", F_QRET, "259200" },
		{ "O Timeout.queuereturn=2\n", "queuereturn bare days", F_QRET,
			"172800" },
		{ "O Timeout.queuewarn=2\n", "queuewarn bare hours", F_QWARN,
			"7200" },
		{ "O Timeout.QueueWarn.normal=1h30m\n", "queuewarn.normal",
			F_QWARN, "5400" },
		{ "OT4d/2h\n", "OT return/warn", F_QRET, "345600" },
		{ "OT4d/2h\n", "OT warn", F_QWARN, "7200" },
		{ "O Timeout.mail=7\n", "Timeout bare minutes", F_MAIL, "420" },
		{ "Or15m\n", "Or all", F_MAIL, "900" },
		{ "Or15m\n", "Or rcpt", F_RCPT, "900" },
		{ "Ormail=1h,rcpt=2m\n", "Or list", F_RCPT, "120" },
		{ "O ReadTimeout=mail:9m\n", "ReadTimeout", F_MAIL, "540" },
		{ "O PrivacyOptions=goaway, NoReceipts\n", "PrivacyOptions",
			F_PRIV, "goaway,noreceipts" },
		{ "Op novrfy\nO PrivacyOptions=noexpn,,\n", "privacy adds up",
			F_PRIV, "novrfy,noexpn" },
		{ "O AliasFile=/etc/mail/aliases,/etc/other\n", "AliasFile list",
			F_ALIAS, "/etc/mail/aliases|/etc/other" },
		{ "OA/a\nOA/b\n", "OA accumulates", F_ALIAS, "/a|/b" },
		{ "O ForwardPath=$z/.fwd:/var/fwd/$u\n", "ForwardPath", F_FWD,
			"$z/.fwd|/var/fwd/$u" },
		{ "O SmtpGreetingMessage=$j ESMTP here # cut\n", "greeting, "
			"inline comment", F_GREET, "$j ESMTP here" },
		{ "O SmtpGreetingMessage=$j \\# one\n", "escaped #", F_GREET,
			"$j # one" },
		{ "O AuthMechanisms=PLAIN LOGIN\n", "AuthMechanisms", F_MECHS,
			"PLAIN|LOGIN" },
		{ "O AuthMechanisms=CRAM-MD5,PLAIN\n", "AuthMechanisms commas",
			F_MECHS, "CRAM-MD5|PLAIN" },
		{ "O PostboxMailbox=maildir:~/Maildir\n", "PostboxMailbox",
			F_MBOX, "maildir:~/Maildir" },
		{ "O PostboxVirtualUsers=/etc/mail/users\n",
			"PostboxVirtualUsers", F_VUSERS, "/etc/mail/users" },
		{ "O ServerCertFile=/etc/ssl/c.pem\n", "ServerCertFile", F_CERT,
			"/etc/ssl/c.pem" },
		{ "O MaxRecipientsPerMessage=100\n", "MaxRecipients", F_RCPTS,
			"100" },
		{ "Oumail:mail\n", "Ou", F_DUSER, "mail:mail" },
		{ "O DefaultUser=8:8\n", "DefaultUser", F_DUSER, "8:8" },
		{ "O PostboxPop3Apop=true\n", "PostboxPop3Apop", F_APOP, "1" },
		{ "O PostboxPop3Apop=False\n", "PostboxPop3Apop false", F_APOP,
			"0" },
		{ "O PostboxPop3Apop\n", "PostboxPop3Apop empty", F_APOP, "1" },
		{ "O QueueDirectory=/q\n", "PostboxPop3Apop default", F_APOP,
			"0" },
		{ "O PostboxPop3LoginDelay=900\n", "PostboxPop3LoginDelay",
			F_LDELAY, "900" },
		{ "O PostboxPop3LoginDelay=1h5m\n", "PostboxPop3LoginDelay time",
			F_LDELAY, "3900" },
		{ "O QueueDirectory=/q\n", "PostboxAuthFailDelay default",
			F_AFDELAY, "1" },
		{ "O PostboxAuthFailDelay=0\n", "PostboxAuthFailDelay 0",
			F_AFDELAY, "0" },
		{ "O PostboxAuthFailDelay=2s\n", "PostboxAuthFailDelay 2s",
			F_AFDELAY, "2" },
		{ "O QueueDirectory=/q\n", "PostboxErrorDelay default",
			F_EDELAY, "1" },
		{ "O PostboxErrorDelay=0\n", "PostboxErrorDelay 0", F_EDELAY,
			"0" },
		{ "O PostboxErrorDelay=1m\n", "PostboxErrorDelay 1m", F_EDELAY,
			"60" },
		{ "O QueueDirectory=/q\n", "PostboxPop3Timeout default",
			F_P3TIME, "600" },
		{ "O PostboxPop3Timeout=2s\n", "PostboxPop3Timeout 2s",
			F_P3TIME, "2" },
		{ "O Foo=bar\n  continued\n", "continuation into an option",
			F_QUEUE, "/var/spool/mqueue" },
	};
	size_t i, k;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		struct cf cf;
		char err[256], got[512], name[160];
		const struct cf_opts *o = &cf.opt;
		const struct cf_list *l = NULL;

		snprintf(name, sizeof name, "option %s", v[i].name);
		if (load(&cf, v[i].text, err, sizeof err) < 0) {
			CHECK_STR(err, "(loads)", name);
			cf_free(&cf);
			continue;
		}
		got[0] = 0;
		switch (v[i].field) {
		case F_QUEUE: str_lcpy(got, o->queue_dir, sizeof got); break;
		case F_SIZE: snprintf(got, sizeof got, "%lu",
			o->max_message_size); break;
		case F_MINFREE: snprintf(got, sizeof got, "%ld",
			o->min_free_blocks); break;
		case F_HOPS: snprintf(got, sizeof got, "%u", o->max_hops); break;
		case F_MODE: snprintf(got, sizeof got, "%c", o->delivery_mode);
			break;
		case F_EMODE: snprintf(got, sizeof got, "%c", o->error_mode);
			break;
		case F_LOG: snprintf(got, sizeof got, "%u", o->log_level); break;
		case F_QRET: snprintf(got, sizeof got, "%ld", o->to_queuereturn);
			break;
		case F_QWARN: snprintf(got, sizeof got, "%ld", o->to_queuewarn);
			break;
		case F_MAIL: snprintf(got, sizeof got, "%ld", o->to_mail); break;
		case F_RCPT: snprintf(got, sizeof got, "%ld", o->to_rcpt); break;
		case F_PRIV: str_lcpy(got, o->privacy, sizeof got); break;
		case F_GREET: str_lcpy(got, o->greeting, sizeof got); break;
		case F_MBOX: str_lcpy(got, o->mailbox, sizeof got); break;
		case F_VUSERS: str_lcpy(got, o->virtual_users, sizeof got); break;
		case F_CERT: str_lcpy(got, o->server_cert, sizeof got); break;
		case F_DUSER: str_lcpy(got, o->default_user, sizeof got); break;
		case F_RCPTS: snprintf(got, sizeof got, "%u", o->max_rcpts);
			break;
		case F_APOP: snprintf(got, sizeof got, "%d", o->pop3_apop);
			break;
		case F_LDELAY: snprintf(got, sizeof got, "%ld",
			o->pop3_login_delay); break;
		case F_AFDELAY: snprintf(got, sizeof got, "%ld",
			o->auth_fail_delay); break;
		case F_EDELAY: snprintf(got, sizeof got, "%ld",
			o->error_delay); break;
		case F_P3TIME: snprintf(got, sizeof got, "%ld",
			o->pop3_timeout); break;
		case F_ALIAS: l = &o->alias_files; break;
		case F_MECHS: l = &o->auth_mechs; break;
		case F_FWD: l = &o->forward_path; break;
		}
		for (k = 0; l && k < l->n; k++) {
			if (k)
				str_lcat(got, "|", sizeof got);
			str_lcat(got, l->v[k], sizeof got);
		}
		CHECK_STR(got, v[i].want, name);
		cf_free(&cf);
	}
}

/* Lines that must fail, with the exact message. */
static void test_errors(void)
{
	static const struct {
		const char *text, *want;
	} v[] = {
		{ "V10\nO MaxHopCount=lots\n",
		  "t_cf.cf:2: MaxHopCount: bad number \"lots\"" },
		{ "O MaxMessageSize=10M\n",
		  "t_cf.cf:1: MaxMessageSize: bad number \"10M\"" },
		{ "O Timeout.queuereturn=5y\n",
		  "t_cf.cf:1: Timeout: bad time \"5y\"" },
		{ "O DeliveryMode=xyz\n",
		  "t_cf.cf:1: DeliveryMode: bad mode \"xyz\"" },
		{ "O PostboxPop3Apop=maybe\n",
		  "t_cf.cf:1: PostboxPop3Apop: bad boolean \"maybe\" (true or "
		  "false)" },
		{ "O PostboxPop3LoginDelay=-5\n",
		  "t_cf.cf:1: PostboxPop3LoginDelay: bad time \"-5\"" },
		{ "O PostboxPop3LoginDelay=99999999999\n",
		  "t_cf.cf:1: PostboxPop3LoginDelay: bad time \"99999999999\"" },
		{ "O PostboxMailbox=/var/mail/%u\n",
		  "t_cf.cf:1: PostboxMailbox: \"/var/mail/%u\": mbox:PATH or "
		  "maildir:PATH expected" },
		{ "O DaemonPortOptions=Port=99999\n",
		  "t_cf.cf:1: DaemonPortOptions: bad Port=99999" },
		{ "O DaemonPortOptions=Port=imap\n",
		  "t_cf.cf:1: DaemonPortOptions: bad Port=imap" },
		{ "O DaemonPortOptions=Addr=mail.example.com\n",
		  "t_cf.cf:1: DaemonPortOptions: Addr=mail.example.com is not "
		  "an IPv4 address" },
		{ "O DaemonPortOptions=Family=inet6, Addr=10.0.0.1\n",
		  "t_cf.cf:1: DaemonPortOptions: Addr=10.0.0.1 is not an IPv6 "
		  "address" },
		{ "O DaemonPortOptions=Family=local\n",
		  "t_cf.cf:1: DaemonPortOptions: Family=local: only inet and "
		  "inet6" },
		{ "O DaemonPortOptions=Port\n",
		  "t_cf.cf:1: DaemonPortOptions: \"Port\": `=' expected" },
		{ "O DaemonPortOptions=M=abcdefghijklmnopq\n",
		  "t_cf.cf:1: DaemonPortOptions: too many modifiers (15 max)" },
		{ "\n\nZbogus\n", "t_cf.cf:3: unknown control line \"Zbogus\"" },
		{ "  indented first\n",
		  "t_cf.cf:1: continuation line without a line to continue" },
		{ "Kaccess hash -o\n", "t_cf.cf:1: Kaccess: hash map needs a file" },
		{ "Kaccess\n", "t_cf.cf:1: K line: map name and type expected" },
		{ "Mlocal, P=/bin/mail\n", "t_cf.cf:1: Mlocal: A= required" },
		{ "Mlocal, A=mail\n", "t_cf.cf:1: Mlocal: P= required" },
		{ "Mlocal, P=/bin/mail, F\n", "t_cf.cf:1: Mlocal: `=' expected" },
		{ "Mlocal, P=/bin/mail, M=big, A=mail\n",
		  "t_cf.cf:1: Mlocal: bad M= size \"big\"" },
		{ "Da$a\nCw $a\n",
		  "t_cf.cf:2: Cw: macro expansion too long or too deep" },
		{ "C{unclosed words\n", "t_cf.cf:1: bad class name" },
		{ "D{bad name}x\n", "t_cf.cf:1: bad macro name" },
		{ "Fw\n", "t_cf.cf:1: Fw: file name expected" },
		{ "Cw a\nCw b\0c\n", "t_cf.cf:2: NUL byte in line" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		struct cf cf;
		char err[256] = "", name[160];
		size_t n = strlen(v[i].text);

		/* the NUL vector: its length is up to the final newline */
		if (strstr(v[i].want, "NUL"))
			n = 12;
		put("t_cf.cf", v[i].text, n);
		cf_init(&cf);
		snprintf(name, sizeof name, "error: %s", v[i].want);
		CHECK(cf_load(&cf, "t_cf.cf", err, sizeof err) == -1, name);
		CHECK_STR(err, v[i].want, name);
		cf_free(&cf);
	}
}

/* An F file without -o that cannot be opened: sendmail's message, the
 * rest of the cf still read, CF_EFCLASS. */
static void test_fclass_errors(void)
{
	static const struct {
		const char *text, *want;
	} v[] = {
		{ "Fwt_cf_no_such_file\nCw after\n",
		  "t_cf.cf: line 1: fileclass: cannot open 't_cf_no_such_file':"
		  " No such file or directory" },
		{ "# c\nFw-o t_cf_no_such_file\nFR t_cf_no_such_file %[^#]\n"
		  "Cw after\n",
		  "t_cf.cf: line 3: fileclass: cannot open 't_cf_no_such_file':"
		  " No such file or directory" },
		{ "Fw/dev/null\nCw after\n",
		  "t_cf.cf: line 1: fileclass: cannot open '/dev/null': "
		  "Regular files only" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		struct cf cf;
		char err[256] = "", name[160];

		put("t_cf.cf", v[i].text, strlen(v[i].text));
		cf_init(&cf);
		snprintf(name, sizeof name, "fileclass: %s", v[i].want);
		CHECK(cf_load(&cf, "t_cf.cf", err, sizeof err) == CF_EFCLASS,
			name);
		CHECK_STR(err, v[i].want, name);
		CHECK(cf_class_has(&cf, "w", "after"), "fileclass: rest read");
		cf_free(&cf);
	}
}

static void test_classes(void)
{
	struct cf cf;
	char err[256];
	const struct cf_list *l;
	static const char hosts[] =
		"# local host names\n"
		"mail.example.com\n"
		"Example.COM   # the domain\n"
		"\n"
		"www.example.com other.example.com\n"
		"   spaced.example.com\n";

	put("t_cf_lhn", hosts, sizeof hosts - 1);
	put("t_cf_rd", "relay.example.net\n#skip\nr2.example.net r3\n", 42);
	CHECK(load(&cf, "Cwlocalhost  foo.example\n"
		"Fw-o t_cf_lhn\n"
		"FR-o t_cf_rd %[^\\#]\n"
		"C{VirtHost} a.example\n\tb.example\n"
		"Ct root\nTdaemon uucp\n"
		"Dwhost\nDmexample.org\nCw $w.$m ${m}\n"
		"F{Opt}-o t_cf_none\n"
		"F{Dev}-o /dev/null\n"
		"F{Prog}|/bin/hostname\n"
		"F{Twice}-o -o t_cf_rd\n"
		"CO @ % !\n", err, sizeof err) == 0, "classes load");
	CHECK(cf_class_has(&cf, "Twice", "relay.example.net"),
		"F -o -o: the file is read");
	CHECK(cf_class_has(&cf, "w", "MAIL.example.com"), "Fw first word");
	CHECK(cf_class_has(&cf, "w", "example.com"), "Fw comment cut");
	CHECK(cf_class_has(&cf, "w", "www.example.com") &&
		!cf_class_has(&cf, "w", "other.example.com"),
		"Fw %s takes the first word only");
	CHECK(cf_class_has(&cf, "w", "spaced.example.com"),
		"Fw %s skips leading blanks");
	CHECK(cf_class_has(&cf, "w", "foo.example") &&
		cf_class_has(&cf, "w", "localhost"), "Cw words");
	CHECK(!cf_class_has(&cf, "w", "#"), "no comment words");
	CHECK(cf_class_has(&cf, "w", "host.example.org") &&
		cf_class_has(&cf, "w", "example.org"),
		"C words expand macros when read");
	CHECK(cf_class_has(&cf, "R", "r3") &&
		cf_class_has(&cf, "R", "relay.example.net") &&
		!cf_class_has(&cf, "R", "#skip"), "FR %[^#] takes all words");
	CHECK(cf_class_has(&cf, "{VirtHost}", "b.example") &&
		cf_class_has(&cf, "VirtHost", "a.example"),
		"long class with continuation");
	l = cf_class(&cf, "t");
	CHECK(l && l->n == 3, "class t from Ct and T lines");
	CHECK(l && strcmp(l->v[0], "daemon") == 0 &&
		strcmp(l->v[2], "uucp") == 0, "class words sorted");
	CHECK(cf_class(&cf, "Opt") == NULL, "F -o missing file: empty");
	CHECK(cf_class(&cf, "Dev") == NULL &&
		strstr(notes, "F class file not a regular file (-o)|"),
		"F -o device: skipped and noted");
	CHECK(cf_class(&cf, "Prog") == NULL, "F|program: not run");
	CHECK(strstr(notes, "F class from a program (not run)|") != NULL,
		"F|program noted");
	CHECK(cf_class_has(&cf, "O", "%") && cf_class_has(&cf, "O", "!"),
		"operator class");
	cf_free(&cf);

	/* duplicates collapse, case-insensitively */
	CHECK(load(&cf, "Cx a A b\nCx B c\n", err, sizeof err) == 0 &&
		(l = cf_class(&cf, "x")) && l->n == 3, "class dedupe");
	cf_free(&cf);
}

static void test_daemons(void)
{
	static const struct {
		const char *text;
		const char *want;	/* name addr port family mods, ... */
	} v[] = {
		{ "O DaemonPortOptions=Port=smtp,Addr=127.0.0.1, Name=MTA\n",
		  "MTA 127.0.0.1 25 4 |" },
		{ "O DaemonPortOptions=Port=587, Name=MSA, M=Ea\n",
		  "MSA * 587 4 Ea|" },
		{ "O DaemonPortOptions=Family=inet6, Addr=::1, Port=smtps\n",
		  "MTA ::1 465 6 |" },
		{ "O DaemonPortOptions=name=X, port=submission, addr=localhost\n",
		  "X 127.0.0.1 587 4 |" },
		{ "O DaemonPortOptions=Name=MTA\n", "MTA * 25 4 |" },
		{ "OOPort=2525,Addr=10.1.2.3\n", "MTA 10.1.2.3 2525 4 |" },
		{ "O DaemonPortOptions=Port=25\nO DaemonPortOptions=Port=587,"
		  "M=E, Listen=10, InputMailFilters=x\n",
		  "MTA * 25 4 |MTA * 587 4 E|" },
		{ "O DaemonPortOptions=Addr=, Port=24\n", "MTA * 24 4 |" },
	};
	size_t i, k;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		struct cf cf;
		char err[256], got[512] = "", one[128];

		if (load(&cf, v[i].text, err, sizeof err) < 0) {
			CHECK_STR(err, "(loads)", "daemon vector loads");
			cf_free(&cf);
			continue;
		}
		for (k = 0; k < cf.n_daemons; k++) {
			const struct cf_daemon *d = &cf.daemons[k];

			snprintf(one, sizeof one, "%s %s %u %d %s|", d->name,
				d->addr ? d->addr : "*", d->port,
				d->family == AF_INET6 ? 6 : 4, d->modifiers);
			str_lcat(got, one, sizeof got);
		}
		snprintf(one, sizeof one, "daemon vector %zu", i);
		CHECK_STR(got, v[i].want, one);
		cf_free(&cf);
	}
}

static void test_maps_mailers(void)
{
	struct cf cf;
	char err[256];
	const struct cf_map *m;
	const struct cf_mailer *ml;

	CHECK(load(&cf,
		"Kaccess hash -T<TMPF> -o /etc/mail/access.db\n"
		"Kvirtuser hash -o /etc/mail/virtusertable.db\n"
		"Kmailertable hash /etc/mail/mailertable.db\n"
		"Kresolve host -a<OKR> -T<TEMP>\n"
		"Kdequote dequote\n"
		"KCheck regex -a@MATCH ^[0-9]+$\n"
		"Kmailertable cdb -o /etc/mail/mt\n"
		"Mlocal,\t\tP=/usr/lib/sm.bin/mail.local, "
		"F=lsDFMAw5:/|@qPSXfmnz9, S=EnvFromSMTP/HdrFromL,\n"
		"\t\tR=EnvToL/HdrToL, T=DNS/RFC822/SMTP,\n"
		"\t\tA=mail.local -l\n"
		"Mprocmail, P=/usr/bin/procmail, F=SPhnu9, M=1000000, "
		"A=procmail -Y -m \"$h x\" \\,$f $u\n"
		"Msmtp, P=[IPC], F=mDFMuX, E=\\r\\n, L=990, A=TCP $h\n"
		"Mcomment, P=/bin/x, # the program\n"
		"\tF=lsDFM,\t# its flags\n"
		"\tA=x -d $u\n"
		"# a comment\n  folded into the comment: Zbad\n",
		err, sizeof err) == 0, "maps and mailers load");
	CHECK(cf.n_maps == 6, "six maps (one redefined)");
	m = cf_map(&cf, "access");
	CHECK(m && m->optional && strcmp(m->type, "hash") == 0,
		"Kaccess optional hash");
	CHECK(m && strcmp(m->path, "/etc/mail/access.db") == 0 &&
		strcmp(m->flags, "-T<TMPF>") == 0, "Kaccess path and flags");
	m = cf_map(&cf, "virtuser");
	CHECK(m && m->optional && strcmp(m->flags, "") == 0 &&
		strcmp(m->path, "/etc/mail/virtusertable.db") == 0, "Kvirtuser");
	m = cf_map(&cf, "mailertable");
	CHECK(m && m->optional && strcmp(m->type, "cdb") == 0 &&
		strcmp(m->path, "/etc/mail/mt") == 0, "K redefinition");
	m = cf_map(&cf, "resolve");
	CHECK(m && m->path == NULL && !m->optional &&
		strcmp(m->flags, "-a<OKR> -T<TEMP>") == 0, "Kresolve host");
	m = cf_map(&cf, "dequote");
	CHECK(m && m->path == NULL && strcmp(m->flags, "") == 0, "Kdequote");
	m = cf_map(&cf, "Check");
	CHECK(m && m->path == NULL && strcmp(m->flags,
		"-a@MATCH ^[0-9]+$") == 0, "regex map keeps its pattern");
	CHECK(cf_map(&cf, "nosuch") == NULL, "unknown map");
	ml = cf_mailer(&cf, "local");
	CHECK(ml && strcmp(ml->path, "/usr/lib/sm.bin/mail.local") == 0,
		"Mlocal P=");
	CHECK(ml && strcmp(ml->flags, "lsDFMAw5:/|@qPSXfmnz9") == 0,
		"Mlocal F=");
	CHECK(ml && strcmp(ml->argv, "mail.local -l") == 0 && ml->maxsize == 0,
		"Mlocal A= over continuation lines");
	ml = cf_mailer(&cf, "procmail");
	CHECK(ml && ml->maxsize == 1000000, "M= max size");
	CHECK_STR(ml ? ml->argv : NULL, "procmail -Y -m $h x ,$f $u",
		"A= quotes and escaped comma");
	ml = cf_mailer(&cf, "smtp");
	CHECK(ml && strcmp(ml->path, "[IPC]") == 0 &&
		strcmp(ml->argv, "TCP $h") == 0, "Msmtp");
	CHECK(cf_mailer(&cf, "esmtp") == NULL, "unknown mailer");
	ml = cf_mailer(&cf, "comment");
	CHECK(ml && strcmp(ml->flags, "lsDFM") == 0 &&
		strcmp(ml->argv, "x -d $u") == 0,
		"inline comments end with their physical line");
	cf_free(&cf);
}

static void test_notes(void)
{
	struct cf cf;
	char err[256];

	CHECK(load(&cf, "V10/Berkeley\n"
		"O Foo=1\nO Foo=2\nO SevenBitInput=False\n"
		"S0\nR$+\t$#local $: $1\nR$*\t$@ $1\nSLocal\n"
		"HReceived: $?sfrom $s $.by $j\n"
		"H?P?Return-Path: <$g>\n"
		"Pjunk=-100\n"
		"Xmilter, S=local:/s\nQmqueue, P=/q\n"
		"Og1\nO Timeout.ident=5s\n", err, sizeof err) == 0,
		"notes: file loads");
	CHECK_STR(notes, "option Foo|option SevenBitInput|rulesets|"
		"header definitions|precedence definitions|mail filters|"
		"queue groups|option g|option Timeout.ident|",
		"each ignored kind noted once");
	cf_free(&cf);
}

static void test_macros(void)
{
	struct cf cf;
	char err[256], buf[256];
	static const struct {
		const char *in, *want;
		int rc;		/* -1: must fail */
	} v[] = {
		{ "$j", "mail.example.com", 0 },
		{ "${j}", "mail.example.com", 0 },
		{ "$w", "mail", 0 },
		{ "$m", "example.com", 0 },
		{ "[$S]", "[[relay.example.net]]", 0 },
		{ "${daemon_flags}!", "cC!", 0 },
		{ "$&{daemon_flags}", "cC", 0 },
		{ "$$j", "$j", 0 },
		{ "a$Qb", "ab", 0 },
		{ "[$q]", "[a, b x\n]", 0 },
		{ "$?j yes $| no $.", " yes ", 0 },
		{ "$?Q yes $| no $.", " no ", 0 },
		{ "$?{empty}E$|N$.", "N", 0 },
		{ "$?j$?Q A$| B$.$| C$.", " B", 0 },
		{ "$?Q$?j A$| B$.$| C$.", " C", 0 },
		{ "$?jY$.", "Y", 0 },
		{ "x ${unterminated", "x ${unterminated", 0 },
		{ "${}", "${}", 0 },
		{ "$", "$", 0 },
		{ "a $| b $. c", "a $| b $. c", 0 },
		{ "$#local $: $1", "$#local $: $1", 0 },
		{ "$H", "mail.example.com Sendmail 9/cf", 0 },
		{ "$g", "<mail>", 0 },
		{ "$r", "", -1 },
		{ "$e", "", -1 },
	};
	size_t i;

	CHECK(load(&cf, "Djmail.example.com\nDwmail\nDmexample.com\n"
		"DS[relay.example.net]\nD{daemon_flags}cC\nD{empty}\n"
		"Dv9\nDZcf\nDH$j Sendmail $v/$Z\nDg<$w>\n"
		"Dr$r\nDq  \"a, b\" \\x\\n\n"
		"De$f$f$f$f$f$f$f$f$f$f\nDf$h$h$h$h$h$h$h$h$h$h\n"
		"Dh$i$i$i$i$i$i$i$i$i$i\nDi$k$k$k$k$k$k$k$k$k$k\n"
		"Dk$l$l$l$l$l$l$l$l$l$l\nDl\n",
		err, sizeof err) == 0, "macros load");
	for (i = 0; i < sizeof v / sizeof *v; i++) {
		char name[128];
		int rc = cf_expand(&cf, v[i].in, buf, sizeof buf);

		snprintf(name, sizeof name, "expand \"%s\"", v[i].in);
		if (v[i].rc < 0) {
			CHECK(rc == -1, name);
			continue;
		}
		CHECK(rc == (int)strlen(v[i].want), name);
		CHECK_STR(buf, v[i].want, name);
	}
	CHECK_STR(cf_macro(&cf, "{S}"), "[relay.example.net]", "cf_macro {S}");
	CHECK_STR(cf_macro(&cf, "empty"), "", "cf_macro empty is \"\"");
	CHECK(cf_macro(&cf, "nosuch") == NULL, "cf_macro unset is NULL");
	CHECK(cf_expand(&cf, "$j$j$j", buf, 20) == -1 &&
		strcmp(buf, "mail.example.commai") == 0,
		"expand overflow truncates");
	CHECK(cf_expand(&cf, "$j", buf, 17) == 16, "expand exact fit");
	CHECK(cf_define(&cf, "{client_addr}", "192.0.2.1") == 0 &&
		cf_define(&cf, "j", "other.example") == 0,
		"cf_define run-time macros");
	CHECK(cf_expand(&cf, "$j$?{client_addr} from ${client_addr}$.", buf,
		sizeof buf) > 0 && strcmp(buf, "other.example from 192.0.2.1")
		== 0, "run-time macro in a conditional");
	CHECK(cf_define(&cf, "{client_addr}", NULL) == 0 &&
		cf_expand(&cf, "[$?{client_addr}x$.]", buf, sizeof buf) == 2,
		"cf_define NULL unsets");
	CHECK(cf_define(&cf, "", "x") == -1 && errno == EINVAL,
		"cf_define bad name");
	cf_free(&cf);
}

static void test_hostile(void)
{
	struct cf cf;
	char err[256], want[128], *big;
	size_t i, n;

	/* a line one byte over the limit, and one at the limit */
	n = CF_MAX_LINE + 2;
	big = malloc(n + 2);
	memset(big, 'a', n);
	memcpy(big, "Cw", 2);
	big[n] = '\n';
	put("t_cf.cf", big, n + 1);
	cf_init(&cf);
	CHECK(cf_load(&cf, "t_cf.cf", err, sizeof err) == -1, "long line fails");
	CHECK_STR(err, "t_cf.cf:1: line longer than 8192 bytes",
		"long line message");
	cf_free(&cf);
	put("t_cf.cf", big, CF_MAX_LINE);
	cf_init(&cf);
	CHECK(cf_load(&cf, "t_cf.cf", err, sizeof err) == 0,
		"line at the limit loads");
	cf_free(&cf);
	/* continuations that add up past the limit */
	memset(big, 'x', n);
	memcpy(big, "Cw a", 4);
	for (i = 100; i + 1 < n; i += 100) {
		big[i] = '\n';
		big[i + 1] = '\t';
	}
	put("t_cf.cf", big, n);
	cf_init(&cf);
	CHECK(cf_load(&cf, "t_cf.cf", err, sizeof err) == -1 &&
		strcmp(err, "t_cf.cf:1: line longer than 8192 bytes") == 0,
		"continued line over the limit");
	cf_free(&cf);
	free(big);

	/* 40 K lines: the 33rd is one too many */
	big = malloc(40 * 40);
	big[0] = 0;
	for (i = 0; i < 40; i++) {
		char line[40];

		snprintf(line, sizeof line, "Km%zu hash /m%zu\n", i, i);
		str_lcat(big, line, 40 * 40);
	}
	CHECK(load(&cf, big, err, sizeof err) == -1, "too many maps fails");
	CHECK_STR(err, "t_cf.cf:33: too many K lines (32 max)",
		"too many maps message");
	cf_free(&cf);
	free(big);

	/* 17 daemons, 17 mailers */
	big = malloc(17 * 80);
	big[0] = 0;
	for (i = 0; i < 17; i++)
		str_lcat(big, "O DaemonPortOptions=Port=25\n", 17 * 80);
	CHECK(load(&cf, big, err, sizeof err) == -1 &&
		strcmp(err, "t_cf.cf:17: too many DaemonPortOptions (16 max)")
		== 0, "too many daemons");
	cf_free(&cf);
	big[0] = 0;
	for (i = 0; i < 17; i++) {
		char line[80];

		snprintf(line, sizeof line, "Mm%zu, P=/bin/x, A=x\n", i);
		str_lcat(big, line, 17 * 80);
	}
	CHECK(load(&cf, big, err, sizeof err) == -1 &&
		strcmp(err, "t_cf.cf:17: too many M lines (16 max)") == 0,
		"too many mailers");
	cf_free(&cf);
	free(big);

	/* more class words than the cap, from an F file; the built-in
	 * class w holds a few already */
	n = (CF_MAX_CLASS_WORDS + 10) * 2;
	big = malloc(n);
	for (i = 0; i < n; i += 2)
		memcpy(big + i, "w\n", 2);
	put("t_cf_words", big, n);
	free(big);
	put("t_cf.cf", "Fx t_cf_words %[^\\#]\n", 21);
	cf_init(&cf);
	n = cf_class(&cf, "w")->n;
	CHECK(cf_load(&cf, "t_cf.cf", err, sizeof err) == -1,
		"too many class words fails");
	snprintf(want, sizeof want, "t_cf_words:%zu: too many class words "
		"(100000 max)", (size_t)CF_MAX_CLASS_WORDS - n + 1);
	CHECK_STR(err, want, "too many class words message");
	cf_free(&cf);

	/* every byte value but NUL and LF as the first character */
	for (i = 1; i < 256; i++) {
		char text[8] = { (char)i, 'x', '\n', 0 };

		if (i == '\n')
			continue;
		cf_init(&cf);
		put("t_cf.cf", text, 3);
		cf_load(&cf, "t_cf.cf", err, sizeof err);
		cf_free(&cf);
	}
	CHECK(1, "every first byte survives");
}

int main(void)
{
	test_time();
	test_defaults();
	test_missing();
	test_options();
	test_errors();
	test_fclass_errors();
	test_classes();
	test_daemons();
	test_maps_mailers();
	test_notes();
	test_macros();
	test_hostile();
	return unit_done();
}
