/*
 * nodirsync.c: an LD_PRELOAD shim that fakes directory fsync.
 *
 * fsync(2) and fdatasync(2) on a directory return 0 without reaching the
 * kernel; on anything else they work.  The protocol lint (family C) must
 * flag a push run under this shim: it is the negative control that shows
 * the lint can see a missing directory fsync at all.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <unistd.h>

static int
is_dir(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

int
fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	if (is_dir(fd))
		return 0;
	return real(fd);
}

int
fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");

	if (is_dir(fd))
		return 0;
	return real(fd);
}
