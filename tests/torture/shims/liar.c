/*
 * liar.c: an LD_PRELOAD shim that makes a local filesystem behave like a
 * forgetful NFS client (family H3).
 *
 * With probability $SHIM_PROB percent (default 1) per call:
 * - rename, renameat, renameat2, link, linkat, unlink and unlinkat do
 *   their work and then report ENOENT, as a retransmitted NFS request
 *   does when its first transmission already succeeded;
 * - readdir drops an entry, or returns the previous entry again, as a
 *   directory listing does while others rename inside it.
 * $SHIM_SEED seeds the choices.  The library must resolve every
 * ambiguous result by looking at both names, and must never take one
 * listing as proof that a message is absent.
 */
#include <sys/syscall.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long state;
static unsigned prob = 101;

static unsigned
next(void)
{
	state = state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(state >> 33);
}

static int
lie(void)
{
	if (prob == 101) {
		const char *s = getenv("SHIM_PROB"),
			   *seed = getenv("SHIM_SEED");

		prob = s ? (unsigned)strtoul(s, NULL, 10) : 1;
		state = (seed ? strtoul(seed, NULL, 10) : 1) * 2654435761UL +
			(unsigned long)getpid();
	}
	return next() % 100 < prob;
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

/* After a call that worked, maybe pretend it did not. */
static int
after(int rc)
{
	if (rc == 0 && lie()) {
		errno = ENOENT;
		return -1;
	}
	return rc;
}

int
rename(const char *a, const char *b)
{
	return after(REAL("rename", int (*)(const char *, const char *))(a, b));
}

int
renameat(int fa, const char *a, int fb, const char *b)
{
	return after(REAL("renameat",
	    int (*)(int, const char *, int, const char *))(fa, a, fb, b));
}

int
renameat2(int fa, const char *a, int fb, const char *b, unsigned fl)
{
	return after(REAL("renameat2",
	    int (*)(int, const char *, int, const char *, unsigned))(
	    fa, a, fb, b, fl));
}

int
link(const char *a, const char *b)
{
	return after(REAL("link", int (*)(const char *, const char *))(a, b));
}

int
linkat(int fa, const char *a, int fb, const char *b, int fl)
{
	return after(REAL("linkat", int (*)(int, const char *, int,
					const char *, int))(fa, a, fb, b, fl));
}

int
unlink(const char *a)
{
	return after(REAL("unlink", int (*)(const char *))(a));
}

int
unlinkat(int fd, const char *a, int fl)
{
	return after(
	    REAL("unlinkat", int (*)(int, const char *, int))(fd, a, fl));
}

long
syscall(long nr, ...)
{
	long (*real)(long, ...) = REAL("syscall", long (*)(long, ...));
	long a[6], rc;
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	rc = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == SYS_renameat2 || nr == SYS_renameat || nr == SYS_linkat ||
	    nr == SYS_unlinkat)
		return after((int)rc);
	return rc;
}

/* readdir: drop an entry now and then, or hand the last one out again. */
static struct dirent last;
static DIR *lastdir;
static int have_last;

struct dirent *
readdir(DIR *d)
{
	struct dirent *(*real)(DIR *) =
	    REAL("readdir", struct dirent * (*)(DIR *));
	struct dirent *e;

	if (have_last && lastdir == d && lie()) {
		have_last = 0;
		return &last;
	}
	e = real(d);
	if (e != NULL && lie())
		e = real(d);
	if (e != NULL) {
		last = *e;
		lastdir = d;
		have_last = 1;
	} else {
		have_last = 0;
	}
	return e;
}

struct dirent64 *readdir64(DIR *d) __attribute__((alias("readdir")));
