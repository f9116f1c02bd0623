/*
 * fuzz_archive.c: libFuzzer harness for import's archive reader.
 *
 * The input is an archive (any format or compression import reads); it is
 * imported into a scratch queue (opened SPOOL_NOSYNC, on tmpfs when there
 * is one) through spool_import_open() and spool_import_run().  Beyond the
 * sanitizers, it checks what import promises about hostile archives: the
 * report adds up, nothing appears beside the queue (no entry name is
 * ever a path), every message imported is a regular file of the size its
 * name says, and a second import of the same bytes adds nothing.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256], queue[300];
static struct spool *q;

static void
cleanup(void)
{
	char cmd[300];

	if (q != NULL)
		spool_close(q);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (root[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "fuzz_archive: cannot remove %s\n", root);
}

static void
setup(void)
{
	char tmpl[64];
	struct spool_config def;

	snprintf(tmpl, sizeof(tmpl), "%s/fuzz_archive.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		abort();
	snprintf(root, sizeof(root), "%s", tmpl);
	snprintf(queue, sizeof(queue), "%s/q", root);
	spool_config_default(&def);
	if (spool_init(queue, &def, 0, 0) != 0 ||
	    (q = spool_open(queue, SPOOL_NOSYNC)) == NULL)
		abort();
	atexit(cleanup);
}

/* Entries in the scratch root: only "q" may ever be there. */
static int
root_entries(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(root)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Imports DATA once; returns the number imported. */
static uint64_t
import_once(const uint8_t *data, size_t size)
{
	struct spool_import_opts o;
	struct spool_import_report r;
	struct spool_import *im;
	const char *msg = NULL;
	uint64_t sum = 0;
	int fd, i;

	if ((fd = memfd_create("archive", MFD_CLOEXEC)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, 0) != 0)
		abort();
	spool_import_opts_default(&o);
	o.max_size = 1 << 20;
	o.max_entries = 1000;
	o.max_total = 16 << 20;
	memset(&r, 0, sizeof(r));
	if ((im = spool_import_open(fd, &o, &msg)) == NULL) {
		if (msg == NULL)
			abort();
		close(fd);
		return 0;
	}
	(void)spool_import_run(im, q, &r);
	(void)spool_import_error(im);
	spool_import_free(im);
	close(fd);
	for (i = 0; i < SPOOL_NSTATES; i++)
		sum += r.count[i];
	if (sum != r.imported)
		abort();
	return r.imported;
}

/* Every message is a regular file of the size its name says. */
static void
check_queue(void)
{
	struct spool_iter *it;
	struct spool_entry e;
	struct stat st;
	int fd, rc;

	if ((it = spool_iter_new(q, SPOOL_ALL_STATES)) == NULL)
		abort();
	while ((rc = spool_iter_next(it, &e)) == 0) {
		if ((fd = spool_open_entry(q, &e)) < 0)
			abort();
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size != e.size)
			abort();
		close(fd);
	}
	if (rc != SPOOL_EMPTY)
		abort();
	spool_iter_free(it);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t first, again;

	if (q == NULL)
		setup();
	first = import_once(data, size);
	if (root_entries() != 1) {
		fprintf(stderr, "import wrote beside the queue\n");
		abort();
	}
	if (first > 0) {
		check_queue();
		/* The same archive again: every ID is already there. */
		again = import_once(data, size);
		if (again != 0) {
			fprintf(stderr, "second import added %llu\n",
			    (unsigned long long)again);
			abort();
		}
	}
	if (spool_purge(q, NULL, SPOOL_ALL_STATES, 0, NULL) == -1)
		abort();
	return 0;
}
