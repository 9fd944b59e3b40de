/* m4: the m4lite applet's main on a file holding the input (what
 * "m4 FILE" does: sendmail.mc and cf.m4 go through it), output to
 * /dev/null.  m4lite_main is made to run once per process, so its
 * memory is not all freed between runs: leaks are not checked here.  See
 * fuzz.h for what m4 may not do while it runs (commands, files). */
#include "fuzz.h"

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
	if (setjmp(fuzz_jmp) == 0) {
		fuzz_armed = 1;
		m4lite_main(2, argv);
	}
	fuzz_armed = 0;
	fflush(stdout);
	return 0;
}
