/*
 * folder: the folder tree of one user, for imapd (RFC 3501 5.1, 6.3):
 * names, paths, LIST/LSUB, CREATE, DELETE, RENAME, subscriptions and the
 * special-use folders (RFC 6154).  Runs as the mailbox owner.
 *
 * Names.  On the wire and on disk a name is modified UTF-7 (RFC 3501
 * 5.1.3), as Dovecot stores it; the hierarchy separator is '/' for both
 * layouts.  "INBOX" in any case, as the first component, is the inbox and
 * is made "INBOX" (folder_canon).  A valid name: 1..FOLDER_NAME_MAX
 * bytes, at most FOLDER_DEPTH_MAX components of 1..FOLDER_COMPONENT_MAX
 * bytes each, strict modified UTF-7 (the decoding encodes back to the
 * same bytes: no base64 for printable ASCII, no "&AMk-&AMk-" for
 * "&AMkAyQ-", no stray bits, no lone surrogates), no control characters
 * (raw or encoded), no empty component ("a//b", "/a", "a/" outside
 * CREATE), no component starting with '.' (so no "." or ".."), no '*' or
 * '%' (LIST wildcards), and for mbox no component ending in ".lock"
 * (the dotlock of a folder).  Anything else is EINVAL.
 *
 * Layouts.
 *  mbox (Dovecot's mbox:~/mail:INBOX=/var/mail/%u): INBOX is the file
 *	INBOX (PostboxMailbox), folder "Lists/linux" is the mbox file
 *	ROOT/Lists/linux.  A file holds messages only (\NoInferiors); a
 *	folder holding folders is a directory (\Noselect).  INBOX's own
 *	inferiors live in the directory ROOT/INBOX.
 *  Maildir (Maildir++, as Dovecot and Courier): ROOT is the inbox
 *	Maildir, folder "Lists/linux" is the Maildir ROOT/.Lists.linux;
 *	a '.' inside a component is stored as "%2E" (a name holds no '%'),
 *	so "a.b/c" is ROOT/.a%2Eb.c.  Every folder is selectable; "Lists"
 *	with only ".Lists.linux" on disk is listed \Noselect \NonExistent.
 *  Not folders, never listed: dot files (mbox: .NAME.uidlist, .imap,
 *	.subscriptions; Maildir: names starting ".."), *.lock files, the
 *	Maildir's tmp/ new/ cur/ and state files (postbox-uidlist,
 *	dovecot-uidlist, subscriptions), a first component "inbox" in
 *	another case, names that are not valid as above.  Symbolic links
 *	below the root are never followed (listing skips them, a path
 *	through one is ELOOP); ROOT and the inbox path themselves may be
 *	links.
 *
 * Errors: -1 with errno and a text in fs->err (FOLDER_ERR_MAX bytes):
 * EINVAL bad name, ENOENT no such folder, EEXIST already there, EPERM
 * not allowed (INBOX), ENOTEMPTY \Noselect with inferiors, ELOOP a link
 * in the tree, ENAMETOOLONG path too long; others from the system.
 */
#ifndef LIBMINI_FOLDER_H
#define LIBMINI_FOLDER_H
#include <stddef.h>

#define FOLDER_NAME_MAX		1000	/* bytes of a name, mUTF-7 */
#define FOLDER_COMPONENT_MAX	255	/* bytes of one component */
#define FOLDER_DEPTH_MAX	32	/* components of a name */
#define FOLDER_LIST_MAX		10000	/* names a listing considers */
#define FOLDER_PATTERN_MAX	2100	/* bytes of ref + pattern */
#define FOLDER_ERR_MAX		256

/* Special uses (RFC 6154), the order of folder_special's NAMES. */
#define FOLDER_USE_DRAFTS	0
#define FOLDER_USE_SENT		1
#define FOLDER_USE_TRASH	2
#define FOLDER_USE_JUNK		3
#define FOLDER_USE_ARCHIVE	4
#define FOLDER_USES		5

/* LIST attributes given to folder_list's callback. */
#define FOLDER_NOSELECT		0x001	/* \Noselect */
#define FOLDER_NOINFERIORS	0x002	/* \NoInferiors (mbox files) */
#define FOLDER_HASCHILDREN	0x004	/* \HasChildren (RFC 3348) */
#define FOLDER_HASNOCHILDREN	0x008	/* \HasNoChildren */
#define FOLDER_SUBSCRIBED	0x010	/* \Subscribed (RFC 5258) */
#define FOLDER_NONEXISTENT	0x020	/* \NonExistent (RFC 5258): no such
					   folder, only a level above others
					   or a subscription */
#define FOLDER_CHILD_SUBSCRIBED	0x040	/* an inferior is subscribed:
					   CHILDINFO ("SUBSCRIBED") */
#define FOLDER_DRAFTS		0x100	/* RFC 6154 \Drafts */
#define FOLDER_SENT		0x200	/* \Sent */
#define FOLDER_TRASH		0x400	/* \Trash */
#define FOLDER_JUNK		0x800	/* \Junk */
#define FOLDER_ARCHIVE		0x1000	/* \Archive */

/* folder_list flags */
#define FOLDER_LIST_SUBSCRIBED	1	/* LIST (SUBSCRIBED): subscribed
					   names only, existing or not */
#define FOLDER_LIST_RECURSIVE	2	/* with SUBSCRIBED: also names with
					   a subscribed inferior (RFC 5258
					   RECURSIVEMATCH) */
#define FOLDER_LIST_LSUB	4	/* LSUB (RFC 3501 6.3.9): subscribed
					   names; a matching level above a
					   subscribed name none of whose
					   subscribed inferiors match comes
					   with FOLDER_NOSELECT */

struct folder_store {
	int kind;			/* LOCAL_MBOX or LOCAL_MAILDIR */
	char inbox[4096];		/* the inbox: mbox file or Maildir */
	char root[4096];		/* the folders' root (Maildir: inbox) */
	char special[FOLDER_USES][FOLDER_NAME_MAX + 1];	/* "" none */
	char err[FOLDER_ERR_MAX];	/* why the last call failed */
};

/* Sets FS up: KIND LOCAL_MBOX or LOCAL_MAILDIR, INBOX the inbox (as
 * local_mailbox gives it), ROOT the folders' root (mbox: e.g. ~/mail,
 * made 0700 on the first CREATE; Maildir: NULL or "" means INBOX).
 * Nothing is touched on disk.  0, or -1 (EINVAL, ENAMETOOLONG). */
int folder_init(struct folder_store *fs, int kind, const char *inbox,
	const char *root);

/* Checks NAME (mUTF-7 as sent, NUL-terminated) and writes its canonical
 * form (INBOX upper-cased; one trailing '/' dropped when TRAILING is 1,
 * as CREATE allows) into DST (MAX bytes, FOLDER_NAME_MAX + 1 is enough).
 * 0, or -1 EINVAL with fs->err saying why (fs may be NULL: then layout
 * rules of both apply). */
int folder_canon(struct folder_store *fs, const char *name, int trailing,
	char *dst, size_t max);

/* The path of the existing, selectable folder NAME into DST (MAX bytes)
 * and its kind into *KIND (NULL: not wanted), for mailbox_open.  INBOX
 * is always there (an mbox inbox may not exist yet: empty).  0, or -1:
 * EINVAL bad name, ENOENT no such folder (also below an mbox file),
 * EISDIR an mbox folder that only holds folders (\Noselect), ELOOP a
 * symbolic link on the way. */
int folder_path(struct folder_store *fs, const char *name, char *dst,
	size_t max, int *kind);

/* LIST (RFC 3501 6.3.8): calls CB(ARG, name, attrs) for each name that
 * matches REF + PATTERN ('*' any characters, '%' any but '/'; INBOX
 * matched case-insensitively), INBOX first, then the others in order of
 * their components (bytewise).  Levels that do not exist above existing
 * folders are listed FOLDER_NOSELECT | FOLDER_NONEXISTENT.  FLAGS 0 or
 * FOLDER_LIST_* above; FOLDER_SUBSCRIBED is set on subscribed names in
 * every mode; FOLDER_DRAFTS.. as set by folder_special.  An empty PATTERN
 * lists nothing (imapd answers LIST "" "" itself).  At most
 * FOLDER_LIST_MAX names are considered (the tree walked at most
 * FOLDER_DEPTH_MAX deep); beyond, the rest is left out and fs->err says
 * so.  CB returns 0 to go on, -1 to stop (folder_list then returns -1
 * with CB's errno).  The number of names given to CB, or -1 with errno
 * (EINVAL pattern over FOLDER_PATTERN_MAX, ENOMEM, ...). */
int folder_list(struct folder_store *fs, const char *ref,
	const char *pattern, unsigned flags,
	int (*cb)(void *arg, const char *name, unsigned attrs), void *arg);

/* Whether REF + PATTERN (already joined, NUL-terminated) matches NAME,
 * as folder_list matches: 1 or 0.  Bounded work: O(pattern * name). */
int folder_match(const char *pattern, const char *name);

/* CREATE (RFC 3501 6.3.3): makes folder NAME (a trailing '/' means a
 * folder meant to hold folders: for mbox a directory, for Maildir a
 * Maildir as any other) and the levels above it that are missing (mbox:
 * directories; Maildir: Maildirs).  0, or -1: EEXIST it exists (INBOX
 * always does), EINVAL bad name, ENOTDIR an mbox level above is a file
 * (\NoInferiors), others from the system. */
int folder_create(struct folder_store *fs, const char *name);

/* DELETE (RFC 3501 6.3.4): removes folder NAME with its messages and
 * state files.  With inferiors, they stay and it becomes \Noselect
 * (Maildir: the folder goes, its inferiors remain; an mbox file has no
 * inferiors).  An mbox directory with no folders left in it is removed.
 * Subscriptions are not changed.  0, or -1: EPERM INBOX, ENOENT no such
 * folder, ENOTEMPTY \Noselect with inferiors, EINVAL bad name. */
int folder_delete(struct folder_store *fs, const char *name);

/* RENAME (RFC 3501 6.3.5): OLD becomes NEW with all its inferiors, the
 * levels above NEW made as folder_create does, its subscriptions (and
 * its inferiors') renamed too, and the state files (the uidlist: UIDs
 * and UIDVALIDITY) moved along.  Renaming INBOX creates NEW and moves
 * INBOX's messages into it, flags kept, leaving INBOX empty and its
 * inferiors where they are (NEW may be one of them: "INBOX/old"): done
 * here, under the same locks as a POP3 session and delivery
 * (mailbox_open's session lock; NEW written with mbox_append, or for a
 * Maildir each message file linked into NEW's new/ or cur/ under its
 * name and flags, copied with maildir_deliver where links fail; NEW's
 * folders synced; then the messages removed from INBOX by
 * mailbox_commit, mail that arrived meanwhile staying in INBOX); a
 * crash in between leaves them in both, never in neither.  0, or -1:
 * ENOENT no OLD, EEXIST NEW (or an inferior's new name) exists, EINVAL
 * bad name or NEW inside OLD, EWOULDBLOCK another session holds INBOX,
 * others from the system. */
int folder_rename(struct folder_store *fs, const char *old,
	const char *new);

/* SUBSCRIBE (ON 1) and UNSUBSCRIBE (ON 0) NAME (RFC 3501 6.3.6, 6.3.7).
 * The list is the file ROOT/.subscriptions (mbox) or ROOT/subscriptions
 * (Maildir, as Dovecot), one name per line, replaced by rename under a
 * dotlock; at most FOLDER_LIST_MAX names.  A name need not exist.
 * Subscribing twice or unsubscribing what is not subscribed is 0.  0, or
 * -1 with errno (EINVAL bad name, EAGAIN the lock is held too long). */
int folder_subscribe(struct folder_store *fs, const char *name, int on);

/* The special-use folders (RFC 6154): NAMES[FOLDER_USE_DRAFTS..ARCHIVE]
 * (mUTF-7 names, NULL or "" for none, from imapd's option) are
 * remembered for folder_list's attributes, and created and subscribed
 * when missing (an mbox level of folders with that name is left as it
 * is, \Noselect).  0,
 * or -1 with the first error (the others are still made and
 * remembered). */
int folder_special(struct folder_store *fs, const char *const names[5]);

/* Modified UTF-7 (RFC 3501 5.1.3) to UTF-8 and back, for N bytes at SRC
 * into DST (MAX bytes, NUL-terminated).  The length written, or -1:
 * EINVAL for bad input (mUTF-7: not strictly canonical as above, a byte
 * outside 0x20..0x7e, U+0000; UTF-8: invalid, overlong, surrogates,
 * U+0000), ENAMETOOLONG when DST is too small. */
int folder_mutf7_to_utf8(const char *src, size_t n, char *dst,
	size_t max);
int folder_utf8_to_mutf7(const char *src, size_t n, char *dst,
	size_t max);

#endif
