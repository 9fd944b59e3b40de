/*
 * queue: the durable mail queue (ARCHITECTURE.md, "The queue").
 *
 * An entry in QueueDirectory is two files named after its queue ID:
 *   dfID   the message, header and body with LF line ends, exactly as
 *          submitted and completed; never changed once committed;
 *   qfID   the envelope (format below); its presence is what makes the
 *          entry visible to runners, so it is written last.
 *          Results since it was last written are appended to it as
 *          journal records after its "end" line (queue_note): no file is
 *          created per delivery (on ext4 without a journal, creating
 *          inodes fast is what costs the most CPU).
 * Files that runners never look at: a dfID without its qfID (a
 * submission in progress; the submitter holds the data file's lock until
 * the envelope beside it is complete and on disk) and ".qfID.*.tmp"
 * (file_atomic's, an envelope update); a crash leaves at worst such a
 * file, and queue_clean removes them by age (a data file only when no
 * process holds its lock).
 * A qfID that cannot be parsed is renamed QfID (sendmail's "lost" queue
 * file) so no runner loops on it.
 *
 * Permissions: for users other than root to submit, QueueDirectory is
 * root:GROUP mode 2770 and the postbox binary is set-group-ID GROUP (any
 * group of its own, e.g. "mail" or sendmail's "smmsp"); the dispatcher
 * keeps that group only for sendmail and mailq, and every file here is
 * created QUEUE_MODE (0660) whatever the umask.  Root runs the queue.
 *
 * Queue IDs (14 characters, sendmail 8.12's shape): six base-60 digits
 * of the UTC time (year % 60, month, day, hour, minute, second), two
 * base-60 digits of a per-process counter, then the pid as 6 decimal
 * digits (modulo 10^6).  The alphabet 0-9A-Za-x is in ASCII order, so IDs
 * sort by creation second.  Uniqueness does not rest on the pattern: the
 * data file is created with O_EXCL and a clash takes the next counter.
 *
 * Locking: a runner holds an fcntl write lock on the data file while it
 * works on an entry.  The data file is the lock because the envelope is
 * replaced by rename on every update (its inode changes, and a lock on
 * the old inode would protect nothing); after taking the lock the runner
 * reads the current envelope, so two runners never act on one state.
 *
 * Envelope format, version 1: one record per line, LF-terminated; the
 * first word is the record type.  Simple records are "key SP value";
 * recipient and target records have TAB-separated fields.  Nothing is
 * quoted: the edge (sendmail's command line, smtpd) rejects CR, LF and
 * NUL in addresses and parameters, and queue_env_format refuses a field
 * holding them (or a TAB inside a TAB-separated field).
 *
 *   postbox-queue 1
 *   id 2AN6hXk0012345
 *   created 1795430480          (Unix time)
 *   next 1795431380             (next attempt)
 *   tries 1
 *   warned 0                    (1: the delay DSN was sent)
 *   kind mail                   (mail | dsn | dsn2: bounce, double bounce)
 *   sender root@host            (empty for <>)
 *   size 1234                   (bytes of the data file)
 *   envid ...  ret full|hdrs  body 7bit|8bitmime
 *                               (RFC 3461 / 6152; each may be empty)
 *   msgid <...>                 (for the log)
 *   reason Deferred: ...        (the last one, for mailq)
 *   rcpt PARENT STATE NOTIFY DSNSENT STATUS ORCPT ADDRESS REASON
 *   target KIND USER UID GID HOME OWNER STATUS PATH TEXT   (of the rcpt above)
 *   end
 *   state I STATE DSNSENT STATUS REASON   (journal records, TAB-separated,
 *                               appended later; the last one wins; a last
 *                               line without its LF is ignored)
 *
 * PARENT is the index of the recipient this one was expanded from, -1 for
 * a recipient given at submission.  STATE is pending, sent, failed or
 * expanded.  NOTIFY is empty (RFC 3461 default: failure,delay), "never",
 * or a comma list of success, failure, delay.
 */
#ifndef LIBMINI_QUEUE_H
#define LIBMINI_QUEUE_H
#include <sys/types.h>
#include <stddef.h>
#include <time.h>
#include "buf.h"
#include "local.h"

#define QUEUE_DIR "/var/spool/mqueue"
#define QUEUE_ID_LEN 14
#define QUEUE_VERSION 1
#define QUEUE_MAX_RCPTS 100000		/* records in one envelope */
#define QUEUE_MAX_ENVELOPE (64UL << 20)	/* bytes of one envelope file */
#define QUEUE_MODE 0660		/* files: the submission group writes */

enum queue_state { QUEUE_PENDING, QUEUE_SENT, QUEUE_FAILED, QUEUE_EXPANDED };
enum queue_kind { QUEUE_MAIL, QUEUE_DSN, QUEUE_DSN2 };

/* RFC 3461 4.1 NOTIFY; none set means the default (failure and delay). */
#define QUEUE_NOTIFY_NEVER	1
#define QUEUE_NOTIFY_SUCCESS	2
#define QUEUE_NOTIFY_FAILURE	4
#define QUEUE_NOTIFY_DELAY	8

struct queue_rcpt {
	char *addr;		/* address; for a target, what it names */
	char *orcpt;		/* RFC 3461 ORCPT ("rfc822;a@b"), "" none */
	int parent;		/* index of the recipient it expands, -1 */
	enum queue_state state;
	unsigned notify;	/* QUEUE_NOTIFY_* bits, 0 = default */
	int dsn_sent;		/* a DSN reported its final state */
	char status[8];		/* last enhanced status or "" */
	char *reason;		/* last reply or diagnostic, "" none */
	struct local_target *target;	/* a local expansion's, or NULL */
};

struct queue_env {
	char id[QUEUE_ID_LEN + 1];
	time_t created, next;
	unsigned tries;
	int warned;
	enum queue_kind kind;
	char *sender;		/* "" is <> */
	unsigned long size;
	char *envid;		/* RFC 3461 ENVID (xtext), "" none */
	char ret[8];		/* "full", "hdrs" or "" */
	char body[12];		/* "7bit", "8bitmime" or "" */
	char *msgid;
	char *reason;
	struct queue_rcpt *rcpt;
	size_t n, cap;
};

/* All strings of an envelope are malloc'ed and owned by it. */
void queue_env_init(struct queue_env *e);
void queue_env_free(struct queue_env *e);
/* Replaces *field with a copy of S (TABs, CR and LF become spaces, as
 * fits a reason text).  0, or -1 ENOMEM. */
int queue_set(char **field, const char *s);
/* Appends a pending recipient ADDR with parent PARENT; returns it, or
 * NULL with errno E2BIG (QUEUE_MAX_RCPTS) or ENOMEM.  The pointer is
 * valid until the next add. */
struct queue_rcpt *queue_env_add(struct queue_env *e, const char *addr,
	int parent);
/* Gives recipient R a copy of target T.  0 or -1 ENOMEM. */
int queue_rcpt_target(struct queue_rcpt *r, const struct local_target *t);
/* Appends the envelope's text to OUT.  0, or -1: EINVAL when a field
 * holds CR, LF, NUL or a TAB where TAB separates, E2BIG from OUT. */
int queue_env_format(const struct queue_env *e, struct buf *out);
/* Parses TEXT (LEN bytes) into E (initialised by the caller, freed by the
 * caller even on failure).  0, or -1 with "line N: message" in err. */
int queue_env_parse(struct queue_env *e, const char *text, size_t len,
	char *err, size_t errmax);
/* NOTIFY bits to text ("" default) and back; parse returns -1 on a bad
 * word or "never" with another word. */
void queue_notify_str(unsigned notify, char *dst, size_t max);
int queue_notify_parse(const char *s, unsigned *notify);
/* Recipient states as words, and back (-1 when unknown). */
const char *queue_state_str(enum queue_state s);
/* Whether recipient R of E is set aside: failed in a report about a
 * report (QUEUE_DSN2) with nobody left to tell (no owner- address).  An
 * entry with such a recipient is never removed: the runner keeps it and
 * tries the recipient again (README.md, "The mail flow"); mailq lists
 * it. */
int queue_aside(const struct queue_env *e, const struct queue_rcpt *r);

/* A new queue ID for time NOW (UTC) into id.  A process gets at most 3600
 * IDs per second; past that the call sleeps into the next second. */
void queue_id_new(char id[QUEUE_ID_LEN + 1], time_t now);
/* Whether S is a well-formed queue ID (alphabet and length). */
int queue_id_valid(const char *s);

/* The retry delay after TRIES failed attempts: 15 minutes, doubling,
 * at most 4 hours (sendmail's default queue interval and its cap on the
 * delay, MaxQueueRunSize aside). */
time_t queue_backoff(unsigned tries);

/* --- submission ---------------------------------------------------- */
struct queue_new {
	char dir[1024];
	char id[QUEUE_ID_LEN + 1];
	int fd;			/* write the message here */
	char tmp[1100];		/* dfID, until the envelope names it */
};
/* sendmail's MinFreeBlocks (its enoughdiskspace()): whether the file
 * system of DIR keeps MIN_BLOCKS blocks free to an unprivileged user
 * once SIZE more octets are in it.  MIN_BLOCKS <= 0 with SIZE 0 needs
 * nothing.  A statvfs that fails answers 1: the write will tell. */
int queue_space_ok(const char *dir, long min_blocks, unsigned long size);
/* Creates a new entry's data file dfID in DIR (O_EXCL, mode QUEUE_MODE;
 * invisible to runners until the envelope exists) and picks its queue
 * ID.  0, or -1 with errno. */
int queue_open(struct queue_new *q, const char *dir);
/* Makes the entry durable and visible: fsync the data; write ENV (its id
 * and size are set here) to qfID and fsync it, under the data file's
 * lock taken by queue_open; fsync the folder; unlock.  Returns 0 only after all of that;
 * on failure -1 with errno, and nothing is left visible. */
int queue_commit(struct queue_new *q, struct queue_env *env);
/* Removes the temporaries; the queue is as before queue_open. */
void queue_abort(struct queue_new *q);

/* --- runners ---------------------------------------------------------- */
struct queue_entry {
	char dir[1024];
	char id[QUEUE_ID_LEN + 1];
	int fd;			/* the data file, read-write, locked */
	struct queue_env env;
};
/* Locks entry ID of DIR without waiting and loads its envelope.  0, or
 * -1 with errno: EAGAIN another runner holds it (or a dead runner's
 * delivery process still holds the envelope's flock), ENOENT it is gone (done
 * meanwhile), EINVAL its envelope was corrupt (renamed QfID, reason in
 * err), others from the system. */
int queue_lock(struct queue_entry *q, const char *dir, const char *id,
	char *err, size_t errmax);
/* Records recipient I's state, status and reason at once: one O_APPEND
 * write of a journal line to qfID, no fsync.  A runner killed right
 * after a delivery thus leaves the fact behind and the next one does not
 * deliver again (a power failure may lose the line: then the target is
 * tried again, never lost).  queue_lock applies the journal, queue_save
 * folds it into the envelope.  0 or -1. */
int queue_note(struct queue_entry *q, size_t i);
/* The same record written to FD, the journal opened by
 * queue_journal_open (O_APPEND; a delivery process that has given up
 * root's rights keeps it open to record its own result).  0 or -1. */
int queue_note_fd(struct queue_entry *q, size_t i, int fd);
/* The same record for R, recipient I of its entry, without the entry (a
 * delivery process that has only a copy of R's fields).  0 or -1. */
int queue_note_rcpt(const struct queue_rcpt *r, size_t i, int fd);
/* Opens q's envelope qfID for appending journal records: an fd (which a
 * delivery flocks while it may still write: queue_lock refuses the
 * entry meanwhile), or -1. */
int queue_journal_open(const struct queue_entry *q);
/* Applies the journal to q->env again (after a worker that was to record
 * a result died).  Records that do not fit are skipped. */
void queue_journal(struct queue_entry *q);
/* Writes the envelope over qfID by atomic replace (file_atomic), the
 * journal records folded in.  0 or -1. */
int queue_save(struct queue_entry *q);
/* The entry is finished: removes qfID, then dfID,
 * releases the lock and the memory (the folder is not fsynced: a removal
 * undone by a power cut repeats a delivery, never loses one).  0 or -1. */
int queue_remove(struct queue_entry *q);
/* Releases the lock and the memory; the entry stays queued. */
void queue_unlock(struct queue_entry *q);

/* The IDs of the visible entries of DIR, sorted: a malloc'ed array of
 * *n IDs (free it).  0 or -1 with errno. */
int queue_list(const char *dir, char (**ids)[QUEUE_ID_LEN + 1], size_t *n);
/* The same for the entries set aside as QfID (an envelope that could
 * not be read; its dfID is kept beside it). */
int queue_list_lost(const char *dir, char (**ids)[QUEUE_ID_LEN + 1],
	size_t *n);
/* Reads entry ID's envelope without locking (for mailq): 0, or -1 with
 * errno (ENOENT: gone meanwhile).  *locked says whether a runner holds
 * it.  Never call it in a process that holds the entry's lock: closing
 * any descriptor of a file drops the process's fcntl locks on it. */
int queue_peek(const char *dir, const char *id, struct queue_env *e,
	int *locked, char *err, size_t errmax);
/* Removes what crashes leave behind in DIR: temporaries and data files
 * without an envelope (qfID or a QfID set aside), when not written for
 * AGE seconds; a data file some process still holds locked (its
 * submitter, alive) stays.  Each data file removed is logged ("dfID:
 * removed: no envelope since ...").  Returns the number removed. */
int queue_clean(const char *dir, time_t now, time_t age);

#endif
