/*
 * cf: the sendmail.cf subset postbox obeys (README "Configuration";
 * ARCHITECTURE.md says where each option is read).
 *
 * Read: C/F class lines (Cw, Fw-o /etc/mail/local-host-names, CR, FR, Ct,
 * Ft, any class; macros in C words are expanded as the line is read, as
 * sendmail does), T lines (class t), D macro lines (single-letter and
 * {long} names; the value kept unexpanded, as sendmail's munchstring
 * leaves it, leading blanks dropped), O option lines into the typed
 * struct below (sendmail's defaults when absent), K map declarations, M
 * mailer lines, V (version).  S, R, H, P, E, Q, X, L, G lines and unknown
 * options are accepted and ignored: each distinct ignored kind is
 * reported once through the note callback (the applet logs it).  Errors
 * name file:line.
 *
 * Ownership: everything in struct cf is allocated by cf_init/cf_load and
 * released by cf_free.  The struct is large: keep it in main's frame or
 * the heap, never in bss.
 *
 * Choices (where sendmail leaves room, or postbox differs on purpose):
 *  - Built-in defaults (no file, or an option the file leaves out) are
 *    sendmail's, except: one daemon "MTA" on 127.0.0.1 port 25 when no
 *    DaemonPortOptions line is given (loopback only), and
 *    PrivacyOptions "authwarnings,noexpn,novrfy" (sendmail's default is
 *    none).  The first DaemonPortOptions, AliasFile or PrivacyOptions
 *    line of a file replaces the built-in value; later ones add to it,
 *    as sendmail accumulates them.
 *  - Class w starts with the host's names ($w, $j), "localhost" and
 *    "[127.0.0.1]" (sendmail probes its interfaces; postbox takes
 *    loopback only).  T lines (Troot) add to class t, as sendmail does.
 *  - F -o (optional): a file that cannot be opened, or is no regular
 *    file, leaves the class as it is (noted unless simply missing);
 *    without -o that is sendmail's "fileclass: cannot open" error
 *    (CF_EFCLASS below).  A repeated -o ("Fw-o -o FILE", which
 *    postbox's cf macros once wrote) counts once: sendmail would take
 *    "-o" for the file name and read nothing.
 *  - F{x}|program is never run: the line is ignored and noted ("F class
 *    from a program (not run)"); F{x}@map likewise.  A scanf pattern
 *    after the file name is honoured in its common forms: "%s" (the
 *    first word of each line, also the default) and "%[^#]"-style sets
 *    (every word of the matched text); other patterns act as "%s".
 *  - Times: "5d", "4h", "1h30m", "30s", "2w"; a bare number takes the
 *    option's unit as sendmail's convtime does (Timeout.* minutes,
 *    queuewarn hours, queuereturn days).  Sizes and counts: plain
 *    decimal.  A value that does not parse is an error (file:line).
 *  - An inline "#" comment is cut unless escaped ("\#") or "$#", as in
 *    sendmail 8 for V10 files; lines starting with space or tab
 *    continue the previous line (joined with one space).
 *  - DaemonPortOptions: keys by their first letter, any case, as
 *    sendmail (Addr, Family, Modifiers/M, Name, Port; others ignored);
 *    Port by number or smtp/submission/smtps/submissions/lmtp; Addr an
 *    IP address of the Family, or "localhost" (nothing is resolved).
 *  - An empty string option ("O QueueDirectory=") restores the built-in
 *    value (NULL for those without one).
 *  - Known sendmail options that postbox does not use, and unknown
 *    options, are noted as "option NAME" and otherwise ignored.
 * Limits: CF_MAX_LINE per logical line, CF_MAX_FILE bytes per file (the
 * cf and each F file), CF_MAX_CLASS_WORDS words in all classes,
 * CF_MAX_CLASSES classes, CF_MAX_MACROS macros, and the CF_MAX_* arrays
 * below; exceeding one, a NUL byte, or a malformed line is an error
 * "file:line: message".  After a failed cf_load the struct holds what
 * was read so far: cf_free it.
 */
#ifndef LIBMINI_CF_H
#define LIBMINI_CF_H
#include <stddef.h>

#define CF_PATH "/etc/mail/sendmail.cf"
#define CF_MAX_LINE 8192	/* one logical line, continuations joined */
#define CF_MAX_DAEMONS 16
#define CF_MAX_MAPS 32
#define CF_MAX_MAILERS 16
#define CF_MAX_CLASSES 256	/* distinct class names */
#define CF_MAX_CLASS_WORDS 100000	/* words in all classes together */
#define CF_MAX_MACROS 1024	/* distinct macro names */
#define CF_MAX_FILE (16UL << 20)	/* bytes in the cf or one F file */

/* The version postbox reports as $v (and $Z unless the cf defines Z). */
#ifndef POSTBOX_VERSION
#define POSTBOX_VERSION "0.1"
#endif

struct cf_list {		/* a class or a list-valued option */
	char **v;
	size_t n;
};

struct cf_daemon {		/* one DaemonPortOptions line */
	char *name;		/* Name=, default "MTA" */
	char *addr;		/* Addr=, NULL = any; "127.0.0.1", "::1" */
	unsigned port;		/* Port=, numeric (smtp=25 submission=587 smtps=465) */
	int family;		/* AF_INET (default) or AF_INET6 */
	char modifiers[16];	/* M= letters, e.g. "Ea", "s" */
};

struct cf_map {			/* one K line: Kname type [-flags] path */
	char *name;		/* "access", "virtuser", "aliases", ... */
	char *type;		/* "hash", "btree", "dbm", "cdb", "text", ... */
	char *path;		/* the file as written (no ".db" added); NULL
				 * for types without a file (host, dequote,
				 * macro, arith, regex, sequence, ...) */
	int optional;		/* -o */
	char *flags;		/* the other flags, as written (-T<TMPF> ...),
				 * one space apart; for types without a file,
				 * everything after the type; never NULL */
};

struct cf_mailer {		/* one M line: Mname, P=... F=... A=... */
	char *name;		/* "local", "prog", "smtp", "esmtp", ... */
	char *path;		/* P= (required) */
	char *flags;		/* F=, "" when absent */
	char *argv;		/* A=, as written ("procmail -Y -a $h -d $u");
				 * quotes removed, \r \n decoded (required) */
	unsigned long maxsize;	/* M=, 0 = none */
};

struct cf_opts {
	/* Paths */
	char *queue_dir;		/* QueueDirectory, /var/spool/mqueue */
	struct cf_list alias_files;	/* AliasFile, /etc/mail/aliases */
	struct cf_list forward_path;	/* ForwardPath, $z/.forward.$w:$z/.forward */
	char *help_file;		/* HelpFile */
	char *status_file;		/* StatusFile */
	/* Limits */
	unsigned long max_message_size;	/* MaxMessageSize, 0 = none */
	unsigned max_rcpts;		/* MaxRecipientsPerMessage, 0 = none */
	unsigned max_children;		/* MaxDaemonChildren, 0 = none */
	unsigned conn_rate;		/* ConnectionRateThrottle, 0 = none */
	unsigned max_hops;		/* MaxHopCount, 25 */
	long min_free_blocks;		/* MinFreeBlocks, 100 */
	unsigned log_level;		/* LogLevel, 9 */
	char delivery_mode;		/* DeliveryMode: 'b' (default), 'i', 'q', 'd' */
	char error_mode;		/* ErrorMode (Oe): 'p' (default), 'q',
					 * 'm', 'w', 'e' (added by cf) */
	/* Timeouts, seconds */
	/* Timeout.*: sendmail's defaults initial 5m, helo 5m, mail 10m,
	 * rcpt 1h, datainit 5m, command 1h, and RFC 5321 4.5.3.2's
	 * datablock 3m, datafinal 10m (sendmail: 1h each),
	 * connect 0 and iconnect 0 (the kernel's), rset 5m, quit 2m,
	 * misc 2m */
	long to_initial, to_helo, to_mail, to_rcpt, to_datainit,
	     to_datablock, to_datafinal, to_command, to_connect,
	     to_iconnect, to_rset, to_quit, to_misc;
	long to_queuewarn;		/* Timeout.queuewarn, 4h */
	long to_queuereturn;		/* Timeout.queuereturn, 5d */
	/* Privacy, auth, TLS */
	char *privacy;			/* PrivacyOptions, lower case, no
					 * blanks; "authwarnings,noexpn,novrfy"
					 * built in (see above) */
	struct cf_list auth_mechs;	/* AuthMechanisms, words as written; empty
					 * when not given (the applet's default) */
	char *auth_options;		/* AuthOptions, as written */
	char *server_cert, *server_key;	/* ServerCertFile, ServerKeyFile */
	char *ca_file, *ca_path;	/* CACertFile, CACertPath */
	char *client_cert, *client_key;	/* ClientCertFile, ClientKeyFile */
	char *greeting;			/* SmtpGreetingMessage, "$j Sendmail $v/$Z; $b" style */
	char *default_user;		/* DefaultUser, "mailnull" when it exists, else 1:1 */
	char *run_as_user;		/* RunAsUser */
	char *trusted_user;		/* TrustedUser */
	/* postbox's own options, named so they cannot clash with sendmail's */
	char *mailbox;			/* PostboxMailbox: "mbox:/var/mail/%u" (default) or "maildir:~/Maildir" */
	/* PostboxMailbox is TYPE:PATH, TYPE "mbox" (a file) or "maildir"
	 * (a folder with tmp/ new/ cur/).  In PATH, "%u" is the user name,
	 * "%%" a '%', and a leading "~" the user's home (passwd or
	 * PostboxVirtualUsers); any other '%' is an error.  The result must
	 * be absolute.  local_mailbox() (local.h) resolves it, for delivery
	 * and for pop3d, imapd and mail alike. */
	char *virtual_users;		/* PostboxVirtualUsers: passwd-file path */
	char *bare_line_ends;		/* PostboxBareLineEnds: "reject" (NULL,
					   the default) or "normalize" */
	/* PostboxPop3Apop: a boolean (sendmail's: t/y/empty true, f/n
	 * false), default false; true: pop3d's greeting has the RFC 1939
	 * 7 timestamp and APOP works */
	int pop3_apop;
	/* PostboxPop3LoginDelay: seconds between two POP3 logins of one
	 * user (RFC 2449 6.5), a sendmail time ("15m"; a bare number is
	 * seconds); 0 (default): none */
	long pop3_login_delay;
	/* PostboxAuthFailDelay: seconds smtpd and pop3d wait before
	 * answering a session's first failed login, doubled for each next
	 * one (auth_fail_delay); PostboxErrorDelay: seconds smtpd waits
	 * after each client error past the fifth.  Both 1 by default; 0
	 * (tests): no wait. */
	long auth_fail_delay, error_delay;
	/* PostboxDataDeadline (30m): smtpd's whole DATA, from the 354 to
	 * the final dot (a BDAT chunk: from its command to its last octet),
	 * however the client trickles; PostboxSessionDeadline (2h): the
	 * whole session.  0: none (Postfix's smtpd_per_record_deadline) */
	long data_deadline, session_deadline;
	/* PostboxPop3Timeout: pop3d's autologout timer, seconds (a
	 * sendmail time), 600 (RFC 1939 3: at least 10 minutes) */
	long pop3_timeout;
	/* PostboxImapFolders: where an mbox user's folders other than INBOX
	 * live, "~" the home, "%u" the user (Dovecot's mbox:~/mail); default
	 * "~/mail".  A Maildir user's folders are Maildir++ inside the
	 * Maildir.  (added by imapd) */
	char *imap_folders;
	/* PostboxImapSpecialUse: the names of the Drafts, Sent, Trash, Junk
	 * and Archive folders (RFC 6154), comma separated in that order,
	 * made at a user's first login; default
	 * "Drafts,Sent,Trash,Junk,Archive"; "" none */
	struct cf_list imap_special;
	/* PostboxImapTimeout: imapd's autologout timer, seconds (RFC 3501
	 * 5.4: at least 30 minutes; IDLE clients re-IDLE within 29) */
	long imap_timeout;
	/* PostboxTlsSessionTimeout (a sendmail time, 5m): how long the TLS
	 * servers (smtpd, pop3d, imapd) keep a session for resumption;
	 * PostboxTlsSessionCacheSize (1024): how many, in memory shared by
	 * the listener's sessions.  Either 0: no resumption (README.md
	 * "TLS session resumption") */
	long tls_session_timeout;
	unsigned tls_session_cache;
	/* PostboxDKIMKeyTable, PostboxDKIMSigningTable: OpenDKIM's KeyTable
	 * and SigningTable ("refile:PATH", "file:PATH" or "/PATH"); both
	 * set: submissions are signed (libmini/dkim.h).
	 * PostboxDKIMCanonicalization: OpenDKIM's Canonicalization
	 * ("relaxed/relaxed", the default; "simple", "relaxed/simple"...) */
	char *dkim_keytable, *dkim_signtable, *dkim_canon;
};

struct cf {
	char *path;			/* the file read (NULL: built-in defaults) */
	struct cf_daemon daemons[CF_MAX_DAEMONS];
	size_t n_daemons;
	/* PostboxPop3PortOptions, DaemonPortOptions' syntax (Name default
	 * "POP3", Port also pop3 pop3s imap imaps, M=s implicit TLS); none
	 * given: pop3d's built-in 127.0.0.1 110 (and 995 with a
	 * certificate).  (added by pop3d) */
	struct cf_daemon pop3_daemons[CF_MAX_DAEMONS];
	size_t n_pop3_daemons;
	/* PostboxImapPortOptions, the same syntax (Name default "IMAP");
	 * none given: imapd's built-in 127.0.0.1 143 (and 993 with a
	 * certificate).  (added by imapd) */
	struct cf_daemon imap_daemons[CF_MAX_DAEMONS];
	size_t n_imap_daemons;
	struct cf_map maps[CF_MAX_MAPS];
	size_t n_maps;
	struct cf_mailer mailers[CF_MAX_MAILERS];
	size_t n_mailers;
	struct cf_opts opt;
	void *priv;			/* classes, macros, notes (cf_priv.h) */
	/* Called once per distinct ignored thing ("rulesets", "option
	 * Foo"), with file:line of its first occurrence.  NULL: silent. */
	void (*note)(const char *what, const char *where);
};

/* Fills cf with the built-in defaults (no file).  Must be called before
 * cf_load, which then overlays the file.  Sets note to NULL: set it
 * after cf_init.  Exits EX_OSERR when memory runs out (setup path). */
void cf_init(struct cf *cf);
/* Reads PATH over the defaults.  0 on success; -1 with "file:line:
 * message" (or "file: strerror") in err (errmax bytes) on failure; errno
 * is ENOENT when the file does not exist, so a caller may run on the
 * defaults.  An F class file without -o that cannot be opened is
 * CF_EFCLASS (errno EINVAL), after the whole cf was read, with
 * sendmail's message in err ("PATH: line N: fileclass: cannot open
 * '/etc/mail/local-host-names': No such file or directory"): sendmail
 * prints it and exits EX_OSERR, except in -bt mode, where it goes on. */
#define CF_EFCLASS (-2)
int cf_load(struct cf *cf, const char *path, char *err, size_t errmax);
void cf_free(struct cf *cf);

/* Macro NAME ("j", "w", "{daemon_flags}"), unexpanded; NULL when unset.
 * $w defaults to the short host name, $j to the FQDN when no Dj line
 * (found without waiting on DNS: uname, then /etc/hosts only). */
const char *cf_macro(const struct cf *cf, const char *name);
/* Defines or replaces macro NAME ("{client_addr}", "r") with a copy of
 * VALUE (NULL unsets it), for the run-time macros an applet knows, such
 * as the client's address in the greeting.  0, or -1 with errno EINVAL
 * (bad name) or ENOMEM (no memory, or CF_MAX_MACROS reached).
 * (added by cf) */
int cf_define(struct cf *cf, const char *name, const char *value);
/* Expands $x and ${name} references in S into dst (max bytes). Returns
 * the length, or -1 when it did not fit (dst is then truncated).
 * Also $?x TEXT $| ELSE $. (x set and not empty), $&x (as $x), $$ (a
 * dollar); an unset macro is empty; $b is the current RFC 5322 date
 * unless defined.  Values are expanded recursively, at most 10 levels
 * deep and 10000 references in all: beyond, -1 (as sendmail refuses
 * "recursion too deep").  An unterminated ${ is copied as is. */
int cf_expand(const struct cf *cf, const char *s, char *dst, size_t max);
/* Whether WORD is in class NAME ("w", "R", "t", "{VirtHost}"), ASCII
 * case-insensitive, as sendmail compares. */
int cf_class_has(const struct cf *cf, const char *name, const char *word);
/* The words of class NAME (NULL when the class is empty or unknown),
 * sorted ASCII case-insensitively, duplicates removed. */
const struct cf_list *cf_class(const struct cf *cf, const char *name);
/* Map NAME's declaration, or NULL. */
const struct cf_map *cf_map(const struct cf *cf, const char *name);
/* Mailer NAME's declaration, or NULL. */
const struct cf_mailer *cf_mailer(const struct cf *cf, const char *name);
/* Parses a sendmail time ("5d", "1h30m", "90") into seconds; a bare
 * number is in UNIT ('s', 'm', 'h', 'd' or 'w').  0, or -1 when S is
 * empty, malformed or over about 68 years.  (added by cf) */
int cf_parse_time(const char *s, int unit, long *secs);

/* Loads the cf the way a daemon does: cf_init, ignored lines logged (one
 * line each, LOG_INFO), then PATH.  When PATH does not exist and was not
 * named explicitly (-C), the built-in defaults are used and logged.  0, or
 * -1 (CF_EFCLASS for a missing F file) with the reason printed on stderr
 * (xwarn; cf then freed).  Never exits. */
int cf_load_daemon(struct cf *cf, const char *path, int explicit);
/* A daemon's SIGHUP: the cf at PATH loaded as cf_load_daemon does, into a
 * new struct cf built aside, so that the running one stays whole.  The
 * new cf (the caller's: cf_free, then free), or NULL when it cannot be
 * had -- a file that cannot be read, a bad line, memory running out --
 * with the reason logged (LOG_ERR, "reload failed, keeping the old
 * configuration"). */
struct cf *cf_reload(const char *path, int explicit);

#endif
