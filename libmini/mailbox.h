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
 * State files (the uidlist, the rewrite journal, pop3d's login record):
 * beside the mailbox when the user may create files in its folder on its
 * own rights (owner, its groups in the group file, others: not a group
 * the process merely holds, so pop3d and mail agree), else in the state
 * folder MAILBOX_STATE_DIR of the home of the effective uid, under the
 * mailbox's absolute path: ~/.postbox/var/mail/USER.uidlist.
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
 * Format: a first line "postbox-uidlist 1 V<validity> N<nextuid>", then
 * one line per message "<uid> <key> <size>", where key is the Maildir base
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
 * into the header of a message whose flags changed.
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
	unsigned flags0;	/* as found */
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

/* Applies the changes (deleted messages removed, changed flags written,
 * new UIDs saved), then closes as mailbox_close.  0, or -1 with errno and
 * ERR; after a failure the mailbox is as it was (ESTALE: changed behind
 * our back), and it is closed all the same.  With MAILBOX_RDONLY it is
 * mailbox_close. */
int mailbox_commit(struct mailbox *mb, char *err, size_t errmax);
/* Drops the session lock and frees the index; nothing is written. */
void mailbox_close(struct mailbox *mb);

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
 * flags), ESTALE when the mbox changed under it. */
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

/* The path of the state file WHAT ("uidlist", "rewrite", "pop3-login")
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
