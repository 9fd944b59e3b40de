/* m4: the m4lite applet's main on a file holding the input (what
 * "m4 FILE" does: sendmail.mc and cf.m4 go through it), output to
 * /dev/null.  m4lite_main is made to run once per process and leaves
 * its memory to the exit (more so when a fatal error ends it): what a
 * run allocates is tracked here and freed after it, and leaks are not
 * reported.  See fuzz.h for what m4 may not do while it runs (commands,
 * files). */
#include "fuzz.h"
#include <pthread.h>

/* The blocks the run's thread allocated while armed (malloc, calloc and
 * realloc wrapped): an open-addressing set of pointers, freed block
 * slots marked DEAD; past 3/4 full, blocks are no longer tracked (left
 * to leak). */
#define TRACK (1 << 18)
#define DEAD ((void *)1)
static void *track[TRACK];
static size_t tracked;
static pthread_t run_thread;
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);

static int mine(void)
{
	return fuzz_armed && pthread_equal(pthread_self(), run_thread);
}

static size_t slot(const void *p)
{
	return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL >> 46) &
		(TRACK - 1);
}

static void track_add(void *p)
{
	size_t i;

	if (!p || tracked >= TRACK / 4 * 3)
		return;
	for (i = slot(p); track[i] && track[i] != DEAD; i = (i + 1) % TRACK)
		;
	if (!track[i])
		tracked++;
	track[i] = p;
}

static void track_del(void *p)
{
	size_t i;

	if (!p)
		return;
	for (i = slot(p); track[i]; i = (i + 1) % TRACK)
		if (track[i] == p) {
			track[i] = DEAD;
			return;
		}
}

static void track_free_all(void)
{
	size_t i;

	for (i = 0; i < TRACK; i++)
		if (track[i] && track[i] != DEAD)
			__real_free(track[i]);
	memset(track, 0, sizeof track);
	tracked = 0;
}

/* One block of the run may be at most this big: past it the allocation
 * fails as on a machine with less memory, and m4 says "memory exhausted"
 * (an eval(2147483647, 1) would otherwise grow its output to GNU's 1 GiB
 * bound, over the fuzzer's RSS limit). */
#define BLOCK_MAX	((size_t)16 << 20)

void *__wrap_malloc(size_t n)
{
	void *p;

	if (mine() && n > BLOCK_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_malloc(n);

	if (mine())
		track_add(p);
	return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
	void *p;

	if (mine() && n && k > BLOCK_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_calloc(k, n);

	if (mine())
		track_add(p);
	return p;
}

void *__wrap_realloc(void *old, size_t n)
{
	void *p;

	if (mine() && n > BLOCK_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_realloc(old, n);

	if (mine() && p) {
		track_del(old);
		track_add(p);
	}
	return p;
}

void __wrap_free(void *p)
{
	if (mine())
		track_del(p);
	__real_free(p);
}

int m4lite_main(int argc, char **argv);

/* m4 input may loop for ever, as in GNU m4 (define(`y', `$$0')y(a)
 * rescans "$y" without end): each run may look up at most LOOKUPS
 * names, then it ends as m4's exit would. */
#define LOOKUPS 20000
struct m4;
struct sym;
struct sym *__real_m4_lookup(struct m4 *m, const char *name, size_t n,
	int create);
static unsigned long lookups;
struct sym *__wrap_m4_lookup(struct m4 *m, const char *name, size_t n,
	int create)
{
	if (fuzz_armed && ++lookups > LOOKUPS)
		exit(1);
	return __real_m4_lookup(m, name, n, create);
}

const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *argv[] = { "m4", NULL, NULL };
	const char *path;

	if (!ready) {
		int fd = open("/dev/null", O_RDWR);

		/* stdin empty, stdout discarded */
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
			abort();
		close(fd);
		ready = 1;
	}
	path = fuzz_file("in.m4", data, size);
	argv[1] = (char *)path;
	lookups = 0;
	run_thread = pthread_self();
	if (setjmp(fuzz_jmp) == 0) {
		fuzz_armed = 1;
		m4lite_main(2, argv);
	}
	fuzz_armed = 0;
	fflush(stdout);
	track_free_all();
	return 0;
}
