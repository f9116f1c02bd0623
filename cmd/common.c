/*
 * common.c: what the subcommands share: opening a queue by name, mapping
 * errors to exit statuses, the one number parser, escaped printing.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

int
exit_for_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return EX_NOQUEUE;
	default:
		return EX_IOERR;
	}
}

/*
 * Root acting on a queue that anyone may write could be fed planted
 * work; say so, as sshd's StrictModes does (the work goes on).
 */
static void
warn_if_shared(const char *queue, const char *path)
{
	struct stat st;

	if (geteuid() != 0 || stat(path, &st) == -1 || !(st.st_mode & S_IWOTH))
		return;
	fprintf(stderr, "spool: %s: ", cmd_name);
	print_escaped(stderr, queue);
	fprintf(stderr, ": warning: the queue is writable by others\n");
}

struct spool *
open_queue(const char *queue, unsigned flags, int *status)
{
	struct spool *q;
	char *path;

	if ((path = spool_resolve(queue)) == NULL) {
		if (errno == EINVAL) {
			fprintf(stderr, "spool: %s: ", cmd_name);
			print_escaped(stderr, queue);
			fprintf(stderr, ": not a valid queue name\n");
			*status = EX_USAGE;
		} else {
			fprintf(stderr,
			    "spool: %s: cannot find the queue "
			    "root: %s\n",
			    cmd_name, strerror(errno));
			*status = EX_IOERR;
		}
		return NULL;
	}
	if ((q = spool_open(path, flags)) == NULL) {
		int err = errno;

		fprintf(stderr, "spool: %s: ", cmd_name);
		print_escaped(stderr, queue);
		fprintf(stderr, ": %s\n", spool_open_error());
		*status = (err == ENOENT || err == ENOTDIR || err == EINVAL)
			      ? EX_NOQUEUE
			      : EX_IOERR;
		free(path);
		errno = err;
		return NULL;
	}
	warn_if_shared(queue, path);
	free(path);
	return q;
}

int
parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_ms(void)
{
	return mono_us() / 1000;
}

int
check_ids(char **ids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!spool_valid_id(ids[i])) {
			fprintf(stderr, "spool: %s: ", cmd_name);
			print_escaped(stderr, ids[i]);
			fprintf(stderr, ": not a message ID\n");
			return -1;
		}
	return 0;
}

int
parse_duration_opt(const char *opt, const char *arg, int64_t *ms)
{
	if (spool_parse_duration(arg, ms) == -1) {
		usage("%s: invalid duration '%s' (use e.g. 250ms, 30s, 5m, "
		      "2h, 1d)",
		    opt, arg);
		return -1;
	}
	return 0;
}

void
print_escaped(FILE *f, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\%03o", *p);
		else
			fputc(*p, f);
	}
}

/*
 * A rescan meets the same junk again: say it once per process.  Remembers
 * up to JUNK_MAX reports by a 64-bit hash of path and reason; past that,
 * repeats are printed rather than memory spent.
 */
#define JUNK_MAX 4096

static int
is_repeat(const char *relpath, const char *why)
{
	static uint64_t seen[JUNK_MAX];
	static size_t nseen;
	const unsigned char *p;
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (p = (const unsigned char *)relpath; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (p = (const unsigned char *)why; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	for (i = 0; i < nseen; i++)
		if (seen[i] == h)
			return 1;
	if (nseen < JUNK_MAX)
		seen[nseen++] = h;
	return 0;
}

static void
print_junk(void *arg, const char *relpath, const char *why)
{
	if (is_repeat(relpath, why))
		return;
	fprintf(stderr, "spool: %s: ", cmd_name);
	print_escaped(stderr, arg);
	fputs(": ", stderr);
	print_escaped(stderr, relpath);
	fputs(": ", stderr);
	print_escaped(stderr, why);
	fputc('\n', stderr);
}

void
report_junk(struct spool *q, const char *queue)
{
	spool_set_warn(q, print_junk, (void *)queue);
}
