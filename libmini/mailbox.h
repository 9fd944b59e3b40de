/*
 * mailbox: the one reader of the mailboxes the MTA delivers to, shared by
 * pop3d, mail and imapd (ARCHITECTURE.md, "Mailboxes"): an mbox file
 * (mboxrd, mbox.h) or a Maildir folder (maildir.h), chosen by
 * PostboxMailbox through local_mailbox().
 *
 * Life of a session:
 *	mailbox_open()		lock for the session, scan into an index
 *	mailbox_msg_open() + mailbox_msg_read()	read message I
 *	mb->msg[i].flags |= MAILBOX_DELETED ...	mark
 *	mailbox_commit()	apply, unlock, free  (or mailbox_close():
 *				nothing changes, as a dropped POP3 session)
 *
 * Life of a shared (IMAP) session, MAILBOX_SHARED: no lock is held
 * between calls, so several sessions (and delivery) work on one mailbox
 * at once:
 *	mailbox_open(MAILBOX_SHARED)	scan, claim \Recent, unlock
 *	mb->msg[i].flags / .kw changed ...	pending, in memory only
 *	mailbox_sync()		write ours (new modseqs), expunge on
 *				request, read what others did; again
 *				and again (each command, IDLE)
 *	mailbox_close()		pending changes not synced are dropped
 *	mailbox_append()	a new message with its UID (APPEND, COPY)
 *
 * Locking.  The session lock is flock(2) on the mbox file or on the
 * Maildir folder itself: exclusive (a second writer gets EWOULDBLOCK, POP3
 * "[IN-USE]"), shared with MAILBOX_RDONLY.  It is independent of the
 * delivery locks (fcntl + dotlock, mbox_lock), so mail keeps arriving
 * during a session.  An mbox is scanned under the fcntl read lock; the
 * commit takes both delivery locks, scans what arrived past the old end,
 * and rewrites the mbox in place from the first message that changed,
 * through a journal (the state file "rewrite"): the new tail is written
 * and synced there first, then over the mbox, and the journal removed.  A
 * rewrite interrupted at any instant is finished by the next
 * mailbox_open (mail appended since is kept), so the folder of the mbox
 * need not be writable (Debian's /var/mail, 2775 root:mail).  The dotlock
 * is taken when the folder allows it; when not, the fcntl lock alone
 * serializes (README "pop3d and the mailboxes").
 *
 * A MAILBOX_SHARED session holds the session lock only inside a call,
 * shared, waiting for it at most mailbox_wait_ms milliseconds (then
 * EWOULDBLOCK: a pop3d or mail session has the mailbox; IMAP's NO
 * [INUSE]); an exclusive open waits a fifth of that, so that a shared
 * call in progress does not turn away a POP3 login.  Shared sessions
 * take turns to change the mailbox or its state files with a second
 * lock, always taken after the session lock: for an mbox the delivery
 * write lock (which also keeps delivery out while it is read), for a
 * Maildir flock on its cur/ folder.  Rewriting an mbox (flags, expunge)
 * takes the session lock exclusively for that moment, and a shared
 * reader holds it shared from mailbox_msg_open to mailbox_msg_close, so
 * no reader sees a rewrite half done (close readers before calling
 * mailbox_sync).  A rewrite by a shared session goes through the same
 * journal, and is finished by the next open or sync of anyone.
 *
 * State files (the uidlist, the keyword names, the rewrite journal,
 * pop3d's login record):
 * beside the mailbox when the user may create files in its folder on its
 * own rights (owner, its groups in the group file, others: not a group
 * the process merely holds, so pop3d and mail agree), else in the state
 * folder MAILBOX_STATE_DIR of the home of the effective uid, under the
 * mailbox's absolute path: ~/.postbox/var/mail/USER.uidlist.  Root on
 * another user's mailbox uses that user's state files, and opens, makes
 * and replaces files with that user's rights (mailbox_open, _commit,
 * _append; README "pop3d and the mailboxes").
 *
 * Sizes.  msg[i].size is the message as a network protocol sends it: the
 * From_ line left out, one '>' removed from ^>+From  lines (mboxrd), every
 * line ended with CRLF (a bare LF counts two, a CRLF stays two, a last
 * line without a newline gets one).  POP3's STAT/LIST (RFC 1939 11) and
 * IMAP's RFC822.SIZE; the dot-stuffing of a transmission is not counted
 * (the octets a client such as Python's poplib reports after unstuffing).
 *
 * UIDs.  Numeric, ascending in mailbox order, kept in a uidlist file with
 * a UIDVALIDITY (IMAP, RFC 3501 2.3.1.1), written by rename:
 *	mbox PATH:	DIR/.NAME.uidlist beside it
 *	Maildir DIR:	DIR/postbox-uidlist
 *	either, its folder not the user's to write: ~/.postbox/PATH.uidlist
 *	(read from beside the mailbox while it does not exist yet)
 * Format 2: a first line "postbox-uidlist 2 V<validity> N<nextuid>
 * M<highestmodseq> R<recent> E<end> I<inode> W<rewrites> X<low>" (X:
 * expunges above modseq LOW are in the record, mailbox_expunged; an mbox: its
 * first END bytes hold the messages listed, when its inode is INODE, -1
 * unknown; W counts postbox's rewrites of it: a sync or APPEND that
 * finds both as it left them scans only the mail past the end), padded
 * with blanks to 160 bytes, then one line per message
 * "<uid> <key> <size> <modseq> <flags> <keywords> <date>" (flags and
 * keywords in hex, flags as MAILBOX_* without DELETED and OLD, date the
 * INTERNALDATE in seconds).  Format 1 ("postbox-uidlist 1 V<validity>
 * N<nextuid>", lines "<uid> <key> <size>") is still read, and written
 * over as format 2.  The list is written whole by rename, but for
 * mailbox_append: it adds its line at the end and rewrites the padded
 * first line in place (a line past N, left by a crash between the two,
 * is read as it stands).  The key is the Maildir base
 * name (the part before ':'), or for an mbox 16 hex digits of a 64-bit
 * FNV-1a hash of the From_ line and the header lines other than Status,
 * X-Status, X-Keywords, X-UID, X-IMAP, X-IMAPbase, Content-Length and
 * Lines (the ones MUAs rewrite).  So UIDs survive our own rewrites and
 * those of other MUAs that keep messages intact; identical messages are
 * matched in order.  A missing or broken uidlist starts a new UIDVALIDITY
 * (clients re-download: nothing is lost).  MAILBOX_RDONLY assigns UIDs
 * in memory only.
 *
 * Flags: Maildir info ":2," letters D F R S T (new/ moves to cur/ at
 * commit); mbox Status: R (seen) O (old), X-Status: A F T D, rewritten
 * into the header of a message whose flags changed.  So pop3d, mail and
 * other MUAs see the flags IMAP sets, and IMAP theirs.
 *
 * Keywords (IMAP's non-system flags), modseqs (RFC 7162 CONDSTORE) and
 * \Recent live in postbox's state files only, for both formats: a
 * keyword change costs no mbox rewrite and no Maildir rename, and other
 * programs keep neither anyway.  Keyword names are atoms, at most
 * MAILBOX_KW_MAX per mailbox, compared without case, in the state file
 * "keywords" (one a line, appended under the locks, never rewritten):
 * bit B of msg[i].kw is line B, mb->kwname[B], so a name once made keeps
 * its bit for good and the uidlist stores the bits.
 *
 * Modseqs: every change gets the next value of the mailbox's
 * highestmodseq: flags or keywords written by a sync, flags changed by
 * pop3d or mail (mailbox_commit), by another program (the flags found
 * differ from those the uidlist recorded), a new message, an expunge
 * (highestmodseq only).  Kept across sessions and restarts in the
 * uidlist; a new UIDVALIDITY starts them again.
 *
 * \Recent (RFC 3501 2.3.2): the uidlist's R is the first UID no shared
 * session has seen.  The shared session whose open or sync first finds a
 * message at or past it claims it (msg[i].recent = 1 there, for the life
 * of that session) and moves R past it, under the lock: exactly one
 * session sees a message as recent, even across restarts.  pop3d and
 * mail claim nothing.
 *
 * INTERNALDATE (msg[i].date): the date of the mbox From_ line (local
 * time, as delivery writes it), the mtime of a Maildir file when first
 * seen (kept in the uidlist after that); 0 when unknown.
 *
 * Limits and bad input: offsets are 64-bit and files are streamed (a 2 GB
 * mbox costs one pass and about 80 bytes of index per message), at most
 * MAILBOX_MAX_MSGS messages.  A file that does not start with "From " is
 * "not an mbox file" (EINVAL); a truncated last message ends at the end of
 * the file.  Maildir: names starting with '.', and anything not a regular
 * file in new/ or cur/, are skipped; tmp/ is not read.  A message that
 * vanished behind our back (another client) is ENOENT from
 * mailbox_msg_open, and the mbox rewritten behind our back (shorter, or
 * another inode) makes mailbox_commit fail with ESTALE, changing nothing.
 */
#ifndef LIBMINI_MAILBOX_H
#define LIBMINI_MAILBOX_H
#include <sys/types.h>
#include <stdint.h>
#include <stddef.h>

#define MAILBOX_MAX_MSGS	1000000
#define MAILBOX_ERR_MAX		256

/* mailbox_open flags */
#define MAILBOX_RDONLY	1	/* shared session lock, nothing written */
#define MAILBOX_CREATE	2	/* Maildir: create it when missing */
#define MAILBOX_SHARED	4	/* no lock between calls: mailbox_sync */

#define MAILBOX_SHARED_WAIT	5000	/* ms a shared call waits for locks */
/* The wait of a shared call for a lock, in ms (MAILBOX_SHARED_WAIT; an
 * exclusive open waits a fifth of it); a server may set it once. */
extern unsigned mailbox_wait_ms;
#define MAILBOX_KW_MAX		32	/* keyword names per mailbox */
#define MAILBOX_KW_LEN		100	/* bytes of a keyword name, NUL too */

/* mailbox_sync how */
#define MAILBOX_SYNC_EXPUNGE	1	/* remove MAILBOX_DELETED messages */

/* message flags */
#define MAILBOX_SEEN	0x01	/* S, Status: R */
#define MAILBOX_ANSWERED 0x02	/* R, X-Status: A */
#define MAILBOX_FLAGGED	0x04	/* F */
#define MAILBOX_DRAFT	0x08	/* D, X-Status: T */
#define MAILBOX_DELETED	0x10	/* removed at commit (POP3 DELE) */
#define MAILBOX_OLD	0x20	/* mbox Status: O; Maildir: in cur/ */
#define MAILBOX_TRASHED	0x40	/* Maildir T, X-Status: D: IMAP's \Deleted,
				   kept until expunged (MAILBOX_DELETED) */

struct mailbox_msg {
	off_t from;		/* mbox: the From_ line; Maildir: 0 */
	off_t off;		/* mbox: the header's first byte */
	off_t len;		/* mbox: bytes stored (quoted, no From_) */
	off_t size;		/* octets as sent, see above */
	uint64_t key;		/* mbox: the hash (Maildir: 0) */
	char *name;		/* Maildir: "new/BASE" or "cur/BASE:2,FL" */
	unsigned uid;
	unsigned flags;		/* MAILBOX_*; change freely */
	unsigned flags0;	/* as found (as last synced) */
	uint64_t modseq;	/* of the last change (RFC 7162) */
	uint32_t kw;		/* keyword bits (kwname); change freely */
	uint32_t kw0;		/* as found (as last synced) */
	time_t date;		/* INTERNALDATE, 0 unknown */
	unsigned recent;	/* \Recent in this session */
};

struct mailbox {
	int kind;		/* LOCAL_MBOX or LOCAL_MAILDIR */
	int rdonly;
	int fd;			/* mbox: the file (-1: no file yet) */
	int lockfd;		/* the flock'ed fd (mbox: fd) */
	dev_t dev;		/* mbox: the file scanned */
	ino_t ino;
	off_t end;		/* mbox: bytes scanned */
	struct mailbox_msg *msg;
	size_t n, cap;
	unsigned validity, next_uid;
	int uids_dirty;		/* the uidlist needs writing */
	int shared;		/* MAILBOX_SHARED */
	uint64_t highestmodseq;
	unsigned recent_uid;	/* the uidlist's R: first UID unclaimed */
	unsigned nkw;		/* keyword names in kwname */
	char kwname[MAILBOX_KW_MAX][MAILBOX_KW_LEN];
	/* what the last scan or sync saw (mailbox_sync's cheap test) */
	struct mailbox_snap {
		dev_t dev;
		ino_t ino;
		off_t size;
		long long mtime, ctime;	/* nanoseconds */
	} snap[3], rsnap;	/* file or cur/, new/, uidlist; readers' */
	int snap_ok;		/* snap may be trusted */
	int rsnap_ok;
	off_t uid_end;		/* mbox: bytes the uidlist covers, -1 ? */
	unsigned long long uid_ino;	/* ... of this file */
	unsigned rewrites;	/* mbox rewrites by postbox so far */
	uint64_t exp_low;	/* expunges above this modseq recorded */
	unsigned *ul_uid;	/* the UIDs the uidlist file lists */
	size_t ul_n;
	char path[4096];
	char uidlist[4096];
};

/* Opens the mailbox at PATH of KIND (LOCAL_MBOX, LOCAL_MAILDIR, as
 * local_mailbox() returns) with FLAGS, takes the session lock and scans
 * it.  An mbox that does not exist is an empty mailbox (no lock needed).
 * 0, or -1 with errno and a message in ERR (ERRMAX bytes): EWOULDBLOCK
 * another session holds it; EINVAL not an mbox (ERR says where); EAGAIN
 * the delivery lock timed out; EFBIG over MAILBOX_MAX_MSGS; others from
 * the system.  Nothing is held after a failure. */
int mailbox_open(struct mailbox *mb, const char *path, int kind, int flags,
	char *err, size_t errmax);
/* With MAILBOX_SHARED in FLAGS, the same, but no lock is kept after it
 * returns; the new messages past the uidlist's R are claimed as
 * \Recent.  EWOULDBLOCK: an exclusive session (pop3d, mail) held the
 * mailbox for mailbox_wait_ms.  MAILBOX_SHARED | MAILBOX_RDONLY
 * (EXAMINE) writes nothing and claims nothing; its mailbox_sync only
 * reads.  mailbox_commit of a shared mailbox is mailbox_sync (without
 * expunge) then mailbox_close. */

/* Shared sessions: brings the index up to date, under the locks.
 * First our changes: every message whose flags or kw differ from flags0
 * and kw0 is written (what we added and what we removed, applied to what
 * is stored now: another session's change to other flags stays) with a
 * new modseq; with MAILBOX_SYNC_EXPUNGE in HOW the messages marked
 * MAILBOX_DELETED are removed (without it, MAILBOX_DELETED stays pending
 * and nothing is removed).  Then what others did: messages removed by
 * others are dropped from mb->msg, new ones (delivery, APPEND, COPY)
 * added with their UIDs (and \Recent when ours to claim), flags, kw and
 * modseq changed by others read; keyword names made by others appear in
 * kwname.  After it flags0 == flags (but a pending MAILBOX_DELETED) and
 * kw0 == kw, mb->msg is in ascending UID order and indexes from before
 * are void: callers keep UIDs, and diff them before and after for
 * EXPUNGE, EXISTS and FETCH.  Cheap when nothing changed (a few stat
 * calls); an mbox that only grew is scanned past its old end only.
 * 0, or -1 with errno and ERR: EWOULDBLOCK locked by an exclusive
 * session or a reader past mailbox_wait_ms, EAGAIN the delivery lock
 * timed out, others from the system; then mb is as before the call, our
 * changes still pending, nothing lost.  A new mb->validity after it
 * (the uidlist was lost) means every UID is new and nothing pending was
 * kept.  An exclusive session may call it too: it writes as
 * mailbox_commit would and reads the mail delivered since, keeping the
 * session. */
int mailbox_sync(struct mailbox *mb, unsigned how, char *err,
	size_t errmax);

/* The bit of keyword NAME (compared without case) in mb->msg[i].kw, or
 * -1.  With CREATE a missing name is made, and for a shared session
 * saved in the uidlist at once (under the locks; a name another session
 * made meanwhile is found and its bit given); -1 with errno EINVAL for a
 * name that is not an IMAP atom or starts with '\\', ENOSPC when
 * MAILBOX_KW_MAX names exist, EWOULDBLOCK as mailbox_sync.  Without
 * CREATE, -1 with ENOENT when unknown. */
int mailbox_keyword(struct mailbox *mb, const char *name, int create);

/* Stores a new message in the mailbox at PATH of KIND (created when
 * missing: an mbox file 0600, a Maildir) without opening a session: DATA
 * is the whole message, N bytes, with CRLF (or LF) line ends; stored with
 * LF ends.  mbox: a "From MAILER-DAEMON DATE" line, mboxrd quoting,
 * Status/X-Status written from FLAGS (any in DATA's header dropped),
 * under the delivery locks, fsynced.  Maildir: tmp/ then new/ (no flags)
 * or cur/NAME:2,FLAGS, mtime DATE.  FLAGS: MAILBOX_SEEN ... TRASHED; KW:
 * NKW keyword names (made as needed, as mailbox_keyword); DATE: the
 * INTERNALDATE (0: now).  The UID is given at once, under the locks (the
 * messages delivered before it get theirs first): *VALIDITY and *UID for
 * UIDPLUS's APPENDUID; the message gets a modseq and is \Recent for the
 * next shared session to look.  0, or -1 with errno and ERR: EWOULDBLOCK
 * as mailbox_sync, EINVAL a bad keyword, EAGAIN, ENOSPC, EDQUOT...;
 * nothing is stored after a failure. */
int mailbox_append(const char *path, int kind, const char *data, size_t n,
	unsigned flags, const char *const *kw, size_t nkw, time_t date,
	unsigned *validity, unsigned *uid, char *err, size_t errmax);

/* Applies the changes (deleted messages removed, changed flags written,
 * new UIDs saved), then closes as mailbox_close.  0, or -1 with errno and
 * ERR; after a failure the mailbox is as it was (ESTALE: changed behind
 * our back), and it is closed all the same.  With MAILBOX_RDONLY it is
 * mailbox_close. */
int mailbox_commit(struct mailbox *mb, char *err, size_t errmax);
/* Drops the session lock and frees the index; nothing is written. */
void mailbox_close(struct mailbox *mb);

/* QRESYNC (RFC 7162): the UIDs expunged with a modseq above SINCE, from
 * the state file "expunged", into *UIDS (malloc'ed, ascending, NULL when
 * none) and *N.  Every expunge is recorded there (imapd's, pop3d's and
 * mail's, messages another program removed, when next seen), under the
 * locks, by whoever saves the uidlist, with a modseq of its own; the
 * record keeps about the newest MAILBOX_EXP_KEEP bytes, and the
 * uidlist's X (and the record's L) says up to which modseq older
 * entries were dropped.  1 when the record covers SINCE; 0 when it does
 * not (SINCE older than what is kept, or than the record itself: a
 * client must then take every UID not in the mailbox as expunged); -1
 * with errno.  The caller ignores UIDs still in its view. */
int mailbox_expunged(struct mailbox *mb, uint64_t since, unsigned **uids,
	size_t *n);
#define MAILBOX_EXP_KEEP	(64 * 1024)

/* The number of messages not marked deleted and their total size. */
size_t mailbox_count(const struct mailbox *mb, off_t *total);

/* Reading one message, as stored minus the From_ line and mboxrd
 * quoting: LF (or CRLF) line ends as in the file. */
struct mailbox_reader {
	int fd;
	int own;		/* fd is ours to close */
	off_t pos, end;
	int bol;		/* at a line start */
	size_t gt;		/* '>'s held back at a line start */
	size_t matched;		/* bytes of "From " after them */
	int quoted;		/* mbox: undo the quoting */
	size_t start, fill;
	char buf[16384];
};

/* Opens message I for reading.  0, or -1 with errno: ENOENT when it was
 * removed behind our back (a Maildir file no longer found under any
 * flags; a shared mbox session's message expunged by another), ESTALE
 * when the mbox changed under it (exclusive sessions).  A shared mbox
 * session holds the session lock shared until mailbox_msg_close (wait
 * and EWOULDBLOCK as mailbox_sync), and finds the message again when
 * another session rewrote the mbox since the last sync. */
int mailbox_msg_open(struct mailbox *mb, size_t i, struct mailbox_reader *r);
/* Up to N bytes of the message into DST.  The count, 0 at its end, -1
 * with errno. */
ssize_t mailbox_msg_read(struct mailbox_reader *r, char *dst, size_t n);
void mailbox_msg_close(struct mailbox_reader *r);

/* The mbox From_ line of message I ("From SENDER DATE", no newline, at
 * most MAX - 1 bytes, cut there) into DST, for mail's header summary:
 * the length, 0 for a Maildir message (use its Return-Path), -1 with
 * errno. */
int mailbox_from_line(struct mailbox *mb, size_t i, char *dst, size_t max);

#define MAILBOX_STATE_DIR	".postbox"

/* The path of the state file WHAT ("uidlist", "keywords", "rewrite",
 * "pop3-login")
 * of the mailbox at PATH of KIND into DST (MAX bytes), beside it or in
 * the state folder as above; the folders of the state folder are made
 * by whoever writes the file.  0, or -1 (ENAMETOOLONG). */
int mailbox_state_path(const char *path, int kind, const char *what,
	char *dst, size_t max);
/* mailbox_state_path(PATH, KIND, "uidlist", DST, MAX). */
int mailbox_uidlist_path(const char *path, int kind, char *dst, size_t max);

/* The mbox scanner's pure parts, for tests: the message key of a From_
 * line plus header (see above), and the sent size of a stored message
 * (quoted: mboxrd un-quoting applies).  Both take the whole text. */
uint64_t mailbox_key(const char *from_line, size_t flen, const char *hdr,
	size_t hlen);
off_t mailbox_sent_size(const char *p, size_t n, int quoted);

#endif
