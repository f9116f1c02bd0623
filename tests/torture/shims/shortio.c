/*
 * shortio.c: an LD_PRELOAD shim that makes every read(2) and write(2)
 * transfer fewer bytes than asked, as pipes, signals and NFS may.
 *
 * Each call moves between 1 and 7 bytes (a pseudo-random count seeded by
 * $SHIM_SEED), and one write in eight first fails with EINTR.  Code that
 * takes one write for a whole buffer, or gives up on a write's EINTR,
 * loses data under this shim.  Reads are shortened on every descriptor
 * (an EINTR there may rightly abort: spool treats a signal during a read
 * as a request to stop); writes only on descriptors 3 and above, so that
 * IDs printed through stdio still reach the test.  SHIM_EINTR=0 turns
 * the EINTR failures off.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long state;

static unsigned
next(void)
{
	if (state == 0) {
		const char *s = getenv("SHIM_SEED");

		state = (s ? strtoul(s, NULL, 10) : 1) * 2654435761UL + 1;
	}
	state = state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(state >> 33);
}

static int
eintr(void)
{
	static int on = -1;

	if (on < 0) {
		const char *s = getenv("SHIM_EINTR");

		on = s == NULL || *s != '0';
	}
	if (on && next() % 8 == 0) {
		errno = EINTR;
		return 1;
	}
	return 0;
}

static size_t
shorten(size_t n)
{
	size_t k = 1 + next() % 7;

	return n < k ? n : k;
}

ssize_t
read(int fd, void *buf, size_t n)
{
	ssize_t (*real)(int, void *, size_t) =
	    (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");

	if (n == 0)
		return real(fd, buf, n);
	return real(fd, buf, shorten(n));
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	ssize_t (*real)(int, const void *, size_t) =
	    (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");

	if (fd < 3 || n == 0)
		return real(fd, buf, n);
	if (eintr())
		return -1;
	return real(fd, buf, shorten(n));
}
