/* Unit tests of queue: envelope format round trip and hostile envelopes,
 * queue IDs (shape, order, uniqueness), NOTIFY words, backoff, and the
 * commit / lock / save / remove cycle in a scratch folder. */
#include "libmini.h"
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void sample(struct queue_env *e)
{
	struct queue_rcpt *r;
	struct local_target t;

	queue_env_init(e);
	str_lcpy(e->id, "6ANAsb00002728", sizeof e->id);
	e->created = 1795431277;
	e->next = 1795432177;
	e->tries = 2;
	e->kind = QUEUE_MAIL;
	queue_set(&e->sender, "root@host.example");
	queue_set(&e->envid, "abc+2Bdef");
	queue_set(&e->msgid, "<x@y>");
	queue_set(&e->reason, "Deferred: remote delivery not configured");
	str_lcpy(e->ret, "hdrs", sizeof e->ret);
	str_lcpy(e->body, "8bitmime", sizeof e->body);
	r = queue_env_add(e, "\"john doe\"@example.com", -1);
	r->notify = QUEUE_NOTIFY_FAILURE | QUEUE_NOTIFY_DELAY;
	queue_set(&r->orcpt, "rfc822;john@example.com");
	r = queue_env_add(e, "alias", -1);
	r->state = QUEUE_EXPANDED;
	r = queue_env_add(e, "|/usr/bin/prog -x", 1);
	memset(&t, 0, sizeof t);
	t.kind = LOCAL_PROGRAM;
	str_lcpy(t.user, "nobody", sizeof t.user);
	str_lcpy(t.path, "/usr/bin/prog -x", sizeof t.path);
	str_lcpy(t.home, "/nonexistent", sizeof t.home);
	t.uid = 65534;
	t.gid = 65534;
	queue_rcpt_target(r, &t);
	r->state = QUEUE_FAILED;
	str_lcpy(r->status, "5.3.0", sizeof r->status);
	queue_set(&r->reason, "exit 1:\tsome\toutput");
	r->dsn_sent = 1;
}

static void test_roundtrip(void)
{
	struct queue_env e, f;
	struct buf b = BUF_INIT(1 << 20), c = BUF_INIT(1 << 20);
	char err[200];

	sample(&e);
	CHECK(queue_env_format(&e, &b) == 0, "format sample");
	queue_env_init(&f);
	CHECK(queue_env_parse(&f, b.p, b.len, err, sizeof err) == 0,
		"parse sample");
	CHECK(queue_env_format(&f, &c) == 0 && c.len == b.len &&
		memcmp(b.p, c.p, b.len) == 0, "format(parse(x)) == x");
	CHECK_STR(f.rcpt[0].addr, "\"john doe\"@example.com",
		"quoted address kept");
	CHECK(f.rcpt[2].target && f.rcpt[2].target->kind == LOCAL_PROGRAM &&
		f.rcpt[2].target->uid == 65534, "target kept");
	CHECK_STR(f.rcpt[2].reason, "exit 1: some output",
		"TAB in reason becomes space");
	CHECK(f.rcpt[2].parent == 1 && f.rcpt[1].state == QUEUE_EXPANDED,
		"parent and state kept");
	CHECK(f.created == 1795431277 && f.tries == 2 && f.next == 1795432177,
		"times kept");
	queue_env_free(&f);
	/* A field that would break the format is refused, not written. */
	queue_env_init(&f);
	free(e.sender);
	e.sender = strdup("a@b\nrcpt\t-1\tpending\t\t0\t\t\tevil\t");
	buf_reset(&b);
	CHECK(queue_env_format(&e, &b) < 0 && errno == EINVAL,
		"LF in sender refused");
	free(e.rcpt[0].addr);
	e.rcpt[0].addr = strdup("a\tb");
	free(e.sender);
	e.sender = strdup("ok@b");
	buf_reset(&b);
	CHECK(queue_env_format(&e, &b) < 0 && errno == EINVAL,
		"TAB in address refused");
	queue_env_free(&e);
	queue_env_free(&f);
	buf_free(&b);
	buf_free(&c);
}

static void test_hostile(void)
{
#define H "postbox-queue 1\nid 6ANAsb00002728\nsender a\n"
#define R(x) H "rcpt\t" x "\nend\n"
	static const struct { const char *text; const char *name; } bad[] = {
		{ "", "empty" },
		{ "postbox-queue 2\nend\n", "future version" },
		{ H, "no end (truncated)" },
		{ H "end", "end unterminated" },
		{ "postbox-queue 1\nsender a\nend\n", "no id" },
		{ "postbox-queue 1\nid 6ANAsb00002728\nend\n", "no sender" },
		{ "postbox-queue 1\nid ../../etc/x\nsender a\nend\n",
			"bad id" },
		{ R("5\tpending\t\t0\t\t\tx\t"), "parent ahead" },
		{ R("-1\tbogus\t\t0\t\t\tx\t"), "bad state" },
		{ R("-1\tpending\tnever,success\t0\t\t\tx\t"),
			"never with success" },
		{ R("-1\tpending\t\t0\t\t\t\t"), "empty address" },
		{ H "rcpt\t-1\tpending\t\t0\n", "short rcpt" },
		{ H "target\tmailbox\tu\t0\t0\t\t\t\t\t\nend\n",
			"target first" },
		{ H "tries 99999999999999999999\nend\n", "huge number" },
		{ H "foo bar\nend\n", "unknown key" },
		{ "postbox-queue 1\nid 6ANAsb00002728\nsender a\r\nend\n",
			"CR" },
		{ H "end\nend\n", "after end" },
	};
	char err[200], name[100];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct queue_env e;

		queue_env_init(&e);
		snprintf(name, sizeof name, "hostile envelope: %s",
			bad[i].name);
		err[0] = 0;
		CHECK(queue_env_parse(&e, bad[i].text, strlen(bad[i].text), err,
			sizeof err) < 0 && str_starts(err, "line "), name);
		queue_env_free(&e);
	}
	{
		struct queue_env e;
		const char nul[] = H "x a\0b\nend\n";

		queue_env_init(&e);
		CHECK(queue_env_parse(&e, nul, sizeof nul - 1, err,
			sizeof err) < 0,
			"hostile envelope: NUL");
		queue_env_free(&e);
	}
}

static void test_ids(void)
{
	char a[QUEUE_ID_LEN + 1], b[QUEUE_ID_LEN + 1], c[QUEUE_ID_LEN + 1];
	char seen[200][QUEUE_ID_LEN + 1];
	int i, k, dup = 0;

	queue_id_new(a, 1795431277);
	CHECK(strlen(a) == 14 && queue_id_valid(a),
		"id has 14 valid characters");
	queue_id_new(b, 1795431277);
	CHECK(strcmp(a, b) < 0, "ids of one second sort by counter");
	queue_id_new(c, 1795431278);
	CHECK(strcmp(b, c) < 0, "ids sort by time");
	/* 2026-11-23 10:54:37 UTC: year 126 % 60 = 6, month 10 = A ... */
	CHECK(strncmp(a, "6ANAsb", 6) == 0, "id time digits are sendmail's");
	for (i = 0; i < 200; i++)
		queue_id_new(seen[i], 1795431300);
	for (i = 0; i < 200; i++)
		for (k = i + 1; k < 200; k++)
			dup += strcmp(seen[i], seen[k]) == 0;
	CHECK(dup == 0, "200 ids in one second are distinct");
	CHECK(!queue_id_valid("6ANAsb0000272"), "short id invalid");
	CHECK(!queue_id_valid("6ANAsb000027288"), "long id invalid");
	CHECK(!queue_id_valid("6ANAs/00002728"), "slash invalid");
	CHECK(!queue_id_valid("6ANAsb0000272z"), "pid part decimal");
}

static void test_words(void)
{
	unsigned n;
	char s[64];

	CHECK(queue_notify_parse("SUCCESS,Failure", &n) == 0 &&
		n == (QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE),
		"notify list");
	queue_notify_str(n, s, sizeof s);
	CHECK_STR(s, "success,failure", "notify to text");
	CHECK(queue_notify_parse("never", &n) == 0 && n == QUEUE_NOTIFY_NEVER,
		"notify never");
	CHECK(queue_notify_parse("sometimes", &n) < 0, "notify bad word");
	CHECK(queue_notify_parse("delay,", &n) < 0, "notify trailing comma");
	CHECK(queue_backoff(1) == 900 && queue_backoff(2) == 1800 &&
		queue_backoff(5) == 4 * 3600 && queue_backoff(50) == 4 * 3600,
		"backoff 15m doubling to 4h");
}

static void test_cycle(void)
{
	char dir[] = "/tmp/test_queue.XXXXXX", err[300], path[200];
	struct queue_new q;
	struct queue_env e;
	struct queue_entry a, b;
	char (*ids)[QUEUE_ID_LEN + 1];
	size_t n;
	int locked, st;
	pid_t pid;

	CHECK(mkdtemp(dir) != NULL, "scratch folder");
	queue_env_init(&e);
	queue_set(&e.sender, "");
	queue_env_add(&e, "root", -1);
	CHECK(queue_open(&q, dir) == 0, "open");
	CHECK(queue_list(dir, &ids, &n) == 0 && n == 0, "temporary invisible");
	free(ids);
	file_write_all(q.fd, "Subject: x\n\nhi\n", 15);
	CHECK(queue_commit(&q, &e) == 0, "commit");
	CHECK(queue_list(dir, &ids, &n) == 0 && n == 1 &&
		strcmp(ids[0], e.id) == 0, "committed entry listed");
	snprintf(path, sizeof path, "%s/td%s", dir, e.id);
	CHECK(access(path, F_OK) < 0, "no temporary left");
	CHECK(queue_lock(&a, dir, ids[0], err, sizeof err) == 0 &&
		a.env.size == 15, "lock and load");
	/* Another process cannot take it meanwhile. */
	pid = fork();
	if (pid == 0) {
		int rc = queue_lock(&b, dir, ids[0], err, sizeof err);

		_exit(rc < 0 && errno == EAGAIN ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"second runner gets EAGAIN");
	/* (In another process: closing any descriptor of the data file
	 * would drop this process's own lock.) */
	pid = fork();
	if (pid == 0) {
		queue_env_init(&e);
		_exit(queue_peek(dir, ids[0], &e, &locked, err, sizeof err) == 0
			&& locked ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "peek sees the lock");
	/* The journal: a noted result survives the runner; a line cut by a
	 * crash is ignored. */
	a.env.rcpt[0].state = QUEUE_FAILED;
	str_lcpy(a.env.rcpt[0].status, "5.1.1", sizeof a.env.rcpt[0].status);
	queue_set(&a.env.rcpt[0].reason, "User unknown");
	CHECK(queue_note(&a, 0) == 0, "note");
	snprintf(path, sizeof path, "%s/qf%s", dir, a.id);
	{
		int fd = open(path, O_WRONLY | O_APPEND);

		CHECK(fd >= 0 && write(fd, "state\t0\tsent\t0\t2.0", 18) == 18,
			"append a cut line");
		close(fd);
	}
	pid = fork();
	if (pid == 0) {
		struct queue_env pe;

		queue_env_init(&pe);
		if (queue_peek(dir, a.id, &pe, &locked, err, sizeof err) < 0)
			_exit(2);
		_exit(pe.rcpt[0].state == QUEUE_FAILED ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"peek applies the journal");
	queue_unlock(&a);
	CHECK(queue_lock(&a, dir, ids[0], err, sizeof err) == 0 &&
		a.env.rcpt[0].state == QUEUE_FAILED &&
		strcmp(a.env.rcpt[0].status, "5.1.1") == 0 &&
		strcmp(a.env.rcpt[0].reason, "User unknown") == 0,
		"journal applied at lock, cut line ignored");
	a.env.rcpt[0].state = QUEUE_SENT;
	CHECK(queue_save(&a) == 0, "save");
	{
		char *text = NULL;
		size_t len = 0;

		CHECK(file_read_all(path, 1 << 20, &text, &len) == 0 &&
			!strstr(text, "\nstate\t"),
			"save folds the journal into the envelope");
		free(text);
	}
	queue_env_init(&e);
	CHECK(queue_peek(dir, ids[0], &e, &locked, err, sizeof err) == 0 &&
		e.rcpt[0].state == QUEUE_SENT, "saved state read back");
	queue_env_free(&e);
	CHECK(queue_remove(&a) == 0, "remove");
	CHECK(queue_lock(&b, dir, ids[0], err, sizeof err) < 0 &&
		errno == ENOENT, "removed entry is gone");
	free(ids);
	/* A corrupt envelope is set aside, not retried forever. */
	queue_env_init(&e);
	queue_set(&e.sender, "x@y");
	queue_env_add(&e, "root", -1);
	queue_open(&q, dir);
	CHECK(queue_commit(&q, &e) == 0, "commit second");
	snprintf(path, sizeof path, "%s/qf%s", dir, e.id);
	{
		int fd = open(path, O_WRONLY | O_TRUNC);

		CHECK(fd >= 0 && write(fd, "garbage\n", 8) == 8, "corrupt it");
		close(fd);
	}
	CHECK(queue_lock(&a, dir, e.id, err, sizeof err) < 0 &&
		errno == EINVAL, "corrupt envelope refused");
	snprintf(path, sizeof path, "%s/Qf%s", dir, e.id);
	CHECK(access(path, F_OK) == 0, "corrupt envelope renamed Qf");
	/* Leftovers: an old temporary and an orphan data file go. */
	snprintf(path, sizeof path, "%s/tf%s", dir, e.id);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	CHECK(queue_clean(dir, time(NULL), 3600) == 0, "young leftovers stay");
	CHECK(queue_clean(dir, time(NULL) + 7200, 3600) == 1,
		"old temporary removed, the data of a QfID kept");
	snprintf(path, sizeof path, "%s/Qf%s", dir, e.id);
	unlink(path);
	CHECK(queue_clean(dir, time(NULL) + 7200, 3600) == 1,
		"orphan data removed once no envelope names it");
	queue_env_free(&e);
	rmdir(dir);
}

/* Mutations of a valid envelope (bytes flipped, cut, lines doubled):
 * the parser fails cleanly or succeeds, never crashes, and what it
 * accepts formats again. */
static void test_mutations(void)
{
	struct queue_env e;
	struct buf b = BUF_INIT(1 << 20), c = BUF_INIT(1 << 20);
	char *m, err[200];
	unsigned seed = 12345;
	int i, k, ok = 0, bad = 0, broken = 0;

	sample(&e);
	queue_env_format(&e, &b);
	queue_env_free(&e);
	m = malloc(b.len * 2 + 1);
	for (i = 0; i < 20000; i++) {
		size_t len = b.len, pos;

		memcpy(m, b.p, b.len);
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			pos = (seed >> 8) % len;
			switch ((seed >> 4) % 4) {
			case 0: m[pos] = (char)(seed >> 16); break;
			case 1: m[pos] = "\t\n\0 -9"[(seed >> 16) % 6]; break;
			case 2: len = pos + 1; break;
			default:
				if (len + (len - pos) <= b.len * 2) {
					memcpy(m + len, m + pos, len - pos);
					len += len - pos;
				}
			}
		}
		queue_env_init(&e);
		if (queue_env_parse(&e, m, len, err, sizeof err) == 0) {
			ok++;
			buf_reset(&c);
			if (queue_env_format(&e, &c) < 0)
				broken++;
		} else {
			bad++;
		}
		queue_env_free(&e);
	}
	CHECK(ok + bad == 20000 && bad > 0 && broken == 0,
		"20,000 mutated envelopes: clean results");
	free(m);
	buf_free(&b);
	buf_free(&c);
}

/* Which recipients are set aside: failed in a report about a report,
 * unreported, with no owner- address to tell instead. */
static void test_aside(void)
{
	static const struct {
		enum queue_kind kind;
		enum queue_state state;
		int dsn_sent;
		unsigned notify;
		const char *owner;	/* NULL: no target */
		int aside;
		const char *what;
	} v[] = {
		{ QUEUE_DSN2, QUEUE_FAILED, 0, 0, NULL, 1, "failed dsn2" },
		{ QUEUE_DSN2, QUEUE_FAILED, 0, 0, "", 1, "target, no owner" },
		{ QUEUE_DSN2, QUEUE_FAILED, 0, 0, "o@x", 0, "owner told" },
		{ QUEUE_DSN2, QUEUE_FAILED, 1, 0, NULL, 0, "reported" },
		{ QUEUE_DSN2, QUEUE_PENDING, 0, 0, NULL, 0, "pending" },
		{ QUEUE_DSN2, QUEUE_SENT, 0, 0, NULL, 0, "sent" },
		{ QUEUE_DSN2, QUEUE_FAILED, 0, QUEUE_NOTIFY_NEVER, NULL, 0,
		  "never" },
		{ QUEUE_DSN, QUEUE_FAILED, 0, 0, NULL, 0, "a bounce" },
		{ QUEUE_MAIL, QUEUE_FAILED, 0, 0, NULL, 0, "mail" },
	};
	struct local_target t;
	struct queue_rcpt r;
	struct queue_env e;
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		memset(&e, 0, sizeof e);
		memset(&r, 0, sizeof r);
		memset(&t, 0, sizeof t);
		e.kind = v[i].kind;
		r.state = v[i].state;
		r.dsn_sent = v[i].dsn_sent;
		r.notify = v[i].notify;
		if (v[i].owner) {
			snprintf(t.owner, sizeof t.owner, "%s", v[i].owner);
			r.target = &t;
		}
		CHECK(queue_aside(&e, &r) == v[i].aside, v[i].what);
	}
}

/* sendmail's MinFreeBlocks: more blocks than any disk has is short,
 * none needed is fine, a folder that cannot be looked at is "the write
 * will tell" */
static void test_space(void)
{
	CHECK(queue_space_ok("/tmp", 0, 0) == 1,
		"space: MinFreeBlocks=0, nothing declared: room");
	CHECK(queue_space_ok("/tmp", 1, 0) == 1,
		"space: one block free in /tmp");
	CHECK(queue_space_ok("/tmp", 0x7fffffffL, 0) == 0,
		"space: 2^31 blocks are never free here");
	CHECK(queue_space_ok("/tmp", 0, (unsigned long)-1) == 0,
		"space: a declared size larger than the disk");
	CHECK(queue_space_ok("/nonexistent/queue", 100, 0) == 1,
		"space: statvfs fails: the write will tell");
}

int main(void)
{
	test_roundtrip();
	test_hostile();
	test_ids();
	test_words();
	test_aside();
	test_cycle();
	test_mutations();
	test_space();
	return unit_done();
}
