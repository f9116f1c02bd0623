/*
 * copyrename.c: an LD_PRELOAD shim that turns every renameat2() into a
 * copy then a delete, in 64-byte writes: the "copy+delete" that DESIGN.md
 * forbids.  It is the negative control of the crash sweeps: killed in the
 * middle of the copy, it leaves a half message under its final name, or
 * one message in two states, and the sweep must say so.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
renameat2(int ofd, const char *old, int nfd, const char *new, unsigned flags)
{
	char buf[64];
	ssize_t n;
	int in, out, err;

	(void)flags;
	if ((in = openat(ofd, old, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	out = openat(nfd, new, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		err = errno;
		close(in);
		errno = err;
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	close(out);
	return unlinkat(ofd, old, 0);
}
