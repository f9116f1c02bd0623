/*
 * noreplace.c: an LD_PRELOAD shim for a filesystem that refuses
 * renameat2(RENAME_NOREPLACE) with EINVAL, as FUSE (bindfs) and NFS do.
 *
 * renameat2() with any flag fails with EINVAL, through the libc wrapper or
 * syscall(SYS_renameat2, ...); plain rename(2) and renameat(2) still work.
 * The library must fall back to something that cannot clobber a target.
 */
#include <sys/syscall.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int
renameat2(int ofd, const char *old, int nfd, const char *new, unsigned flags)
{
	if (flags != 0) {
		errno = EINVAL;
		return -1;
	}
	return renameat(ofd, old, nfd, new);
}

long
syscall(long nr, ...)
{
	long (*real)(long, ...) =
	    (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_renameat2 && a[4] != 0) {
		errno = EINVAL;
		return -1;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
