/*
 * tap.h: a tiny harness for the library's unit tests, with TAP output.
 *
 * Each test is a function run in its own forked process, inside its own
 * fresh temporary directory (removed afterwards), so that a crash, a
 * leaked descriptor or a stray file cannot affect the next test.  Every
 * check is one TAP test point; a test that crashes, times out or exits
 * early is reported as a failing point of its own.  A file looks like:
 *
 *	#include "tap.h"
 *
 *	static void
 *	test_parse_units(void)
 *	{
 *		ok(f(1) == 2, "f doubles");
 *		is_int(f(2), 4, "f doubles again");
 *	}
 *
 *	static const struct tap_test tests[] = {
 *		TAP_TEST(test_parse_units),
 *		{NULL, NULL},
 *	};
 *
 *	int
 *	main(int argc, char **argv)
 *	{
 *		return tap_main(argc, argv, tests);
 *	}
 *
 * Arguments name the tests to run (default: all).  TAP_TIMEOUT sets the
 * seconds a test may take (default 60); TAP_KEEP=1 keeps the temporary
 * directories.  The plan ("1..N") comes last, once N is known; the exit
 * status is 0 when every point passed.
 */
#ifndef TAP_H
#define TAP_H

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tap_test {
	const char *name;
	void (*fn)(void);
};
#define TAP_TEST(fn)                                                           \
	{                                                                      \
#fn, fn                                                        \
	}

/* Shared with the forked tests: the point counter and failure count. */
struct tap_state {
	unsigned points;
	unsigned failed;
	unsigned skipped;
};
static struct tap_state *tap_st;
static const char *tap_current;

#define TAP_UNUSED __attribute__((unused))
#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Prints a diagnostic line ("# ..."). */
static TAP_UNUSED TAP_PRINTF(1, 2) void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static TAP_UNUSED int
tap_ok(int pass, const char *file, int line, const char *name)
{
	tap_st->points++;
	printf("%s %u - %s: %s\n", pass ? "ok" : "not ok", tap_st->points,
	    tap_current, name);
	if (!pass) {
		tap_st->failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

static TAP_UNUSED int
tap_is_int(
    intmax_t got, intmax_t want, const char *file, int line, const char *name)
{
	if (tap_ok(got == want, file, line, name))
		return 1;
	diag("       got: %jd", got);
	diag("  expected: %jd", want);
	return 0;
}

static TAP_UNUSED int
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *name)
{
	int pass = (got == NULL || want == NULL) ? got == want
						 : strcmp(got, want) == 0;

	if (tap_ok(pass, file, line, name))
		return 1;
	diag("       got: %s%s%s", got ? "\"" : "", got ? got : "NULL",
	    got ? "\"" : "");
	diag("  expected: %s%s%s", want ? "\"" : "", want ? want : "NULL",
	    want ? "\"" : "");
	return 0;
}

/* One test point: passes when COND is true.  Evaluates to COND. */
#define ok(cond, name) tap_ok(!!(cond), __FILE__, __LINE__, (name))
/* Integer and string comparisons that print both values on failure. */
#define is_int(got, want, name)                                                \
	tap_is_int(                                                            \
	    (intmax_t)(got), (intmax_t)(want), __FILE__, __LINE__, (name))
#define is_str(got, want, name)                                                \
	tap_is_str((got), (want), __FILE__, __LINE__, (name))

/* Ends the current test as skipped (a root-only test run as a user). */
static TAP_UNUSED void
skip_test(const char *reason)
{
	tap_st->points++;
	tap_st->skipped++;
	printf("ok %u - %s # skip %s\n", tap_st->points, tap_current, reason);
	exit(0);
}

static int
tap_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

/* Runs one test in a child inside a new temporary directory. */
static void
tap_run_one(const struct tap_test *t, unsigned timeout)
{
	char dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	unsigned before = tap_st->points;
	pid_t pid;
	int status;

	tap_current = t->name;
	snprintf(dir, sizeof(dir), "%s/tap.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		ok(0, "create a temporary directory");
		diag("mkdtemp %s: %s", dir, strerror(errno));
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		ok(0, "fork");
		return;
	}
	if (pid == 0) {
		if (chdir(dir) == -1)
			_exit(120);
		alarm(timeout);
		t->fn();
		/* exit, not _exit: LeakSanitizer checks each test at exit. */
		exit(0);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		ok(0, "runs to its end");
		diag("killed by signal %d (%s)%s", WTERMSIG(status),
		    strsignal(WTERMSIG(status)),
		    WTERMSIG(status) == SIGALRM ? ": timed out" : "");
	} else if (WEXITSTATUS(status) != 0) {
		ok(0, "runs to its end");
		diag("exited with status %d", WEXITSTATUS(status));
	} else if (tap_st->points == before) {
		ok(0, "checks something");
	}
	if (getenv("TAP_KEEP") == NULL)
		nftw(dir, tap_rm, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("kept %s", dir);
}

/* Runs TESTS (or those named in ARGV), prints the plan; exit status. */
static TAP_UNUSED int
tap_main(int argc, char **argv, const struct tap_test *tests)
{
	const struct tap_test *t;
	const char *to = getenv("TAP_TIMEOUT");
	unsigned timeout = to != NULL ? (unsigned)atoi(to) : 60;
	int i, selected;

	tap_st = mmap(NULL, sizeof(*tap_st), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tap_st == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	for (t = tests; t->fn != NULL; t++) {
		selected = argc < 2;
		for (i = 1; i < argc; i++)
			selected |= strcmp(argv[i], t->name) == 0;
		if (selected)
			tap_run_one(t, timeout);
	}
	printf("1..%u\n", tap_st->points);
	printf("# %u passed, %u failed",
	    tap_st->points - tap_st->failed - tap_st->skipped, tap_st->failed);
	if (tap_st->skipped > 0)
		printf(", %u skipped", tap_st->skipped);
	printf("\n");
	return tap_st->failed == 0 && tap_st->points > 0 ? 0 : 1;
}

#endif /* TAP_H */
