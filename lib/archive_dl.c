/*
 * archive_dl.c: the pointers of archive_dl.h and the loader that fills
 * them.  Loading happens once; a failure is remembered and reported to
 * every later caller.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define ARCHIVE_DL_IMPL
#include "archive_dl.h"

#define ARCHIVE_DL_DEFINE(f) __typeof__(f) *dl_##f;
ARCHIVE_FUNCS(ARCHIVE_DL_DEFINE)
#undef ARCHIVE_DL_DEFINE

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_err[256];

static void
load(void)
{
	void *h, *sym;

	if ((h = dlopen(SPOOL_LIBARCHIVE, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(load_err, sizeof(load_err),
		    "cannot load %s, needed for archives: %s", SPOOL_LIBARCHIVE,
		    dlerror());
		return;
	}
#define ARCHIVE_DL_LOAD(f)                                                     \
	if ((sym = dlsym(h, #f)) == NULL) {                                    \
		snprintf(load_err, sizeof(load_err), "%s lacks %s",            \
		    SPOOL_LIBARCHIVE, #f);                                     \
		return;                                                        \
	}                                                                      \
	*(void **)&dl_##f = sym;
	ARCHIVE_FUNCS(ARCHIVE_DL_LOAD)
#undef ARCHIVE_DL_LOAD
}

int
archive_load(char *err, size_t size)
{
	pthread_once(&once, load);
	if (load_err[0] == '\0')
		return 0;
	snprintf(err, size, "%s", load_err);
	return -1;
}
