/*
 * sample.c: pressure samples, from which spool stat derives push and done
 * rates without any counter kept by the writers (see spool.h, @stat-api).
 *
 * QUEUE/sample is a hint, not state: a few "key value" lines (time, then
 * the count of each state), replaced whole by rename so that a reader
 * sees the old sample or the new one.  It is never fsynced, and a sample
 * that is missing, not a regular file or not well-formed is no sample.
 * Nothing in a message tree is written here.
 *
 * Counting recent arrivals reads only the buckets whose time range can
 * hold them: new/ and dead/ are bucketed by enqueue time, retry/ by due
 * time (never before the enqueue time, give or take the clock skew
 * between hosts), and cur/ is flat and small.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define SAMPLE_FILE "sample"
#define SAMPLE_MAX 512 /* bytes: a larger file is not a sample */
#define MIN_INTERVAL_MS 1000

/* The microseconds a top bucket and a leaf bucket span (internal.h). */
#define TOP_SPAN_US ((int64_t)1 << 28)
#define LEAF_SPAN_US ((int64_t)1 << 16)

void
spool_sample_of(
    const struct spool_stats *st, int64_t now_ms, struct spool_sample *s)
{
	int i;

	s->time_ms = now_ms;
	for (i = 0; i < SPOOL_NSTATES; i++)
		s->count[i] = st->count[i];
}

/* Parses one "key value" line; the value a decimal uint64_t. */
static int
parse_line(const char *line, const char *key, uint64_t *v)
{
	size_t klen = strlen(key), n = 0;
	const char *p;
	unsigned d;

	if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
		return -1;
	*v = 0;
	for (p = line + klen + 1; *p >= '0' && *p <= '9'; p++, n++) {
		d = (unsigned)(*p - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return n > 0 && *p == '\n' ? 0 : -1;
}

static int
parse_sample(char *buf, struct spool_sample *s)
{
	char *line = buf, *nl;
	uint64_t v;
	int i;

	for (i = -1; i < SPOOL_NSTATES; i++) {
		const char *key = i < 0 ? "time" : spool_state_name(i);

		if ((nl = strchr(line, '\n')) == NULL ||
		    parse_line(line, key, &v) == -1)
			return SPOOL_EMPTY;
		if (i < 0) {
			if (v > INT64_MAX)
				return SPOOL_EMPTY;
			s->time_ms = (int64_t)v;
		} else {
			s->count[i] = v;
		}
		line = nl + 1;
	}
	return *line == '\0' ? 0 : SPOOL_EMPTY;
}

int
spool_sample_load(struct spool *q, struct spool_sample *s)
{
	char buf[SAMPLE_MAX + 1];
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, err, rc = SPOOL_EMPTY;

	fd = openat(q->rootfd, SAMPLE_FILE,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		/* A symlink or a FIFO planted there is simply no sample. */
		if (errno == ENOENT || errno == ELOOP || errno == ENXIO)
			return SPOOL_EMPTY;
		return seterr(q, "open %s", SAMPLE_FILE);
	}
	if (fstat(fd, &st) == -1) {
		rc = seterr(q, "stat %s", SAMPLE_FILE);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SAMPLE_MAX)
		goto out;
	while (got < SAMPLE_MAX &&
	       (n = read(fd, buf + got, SAMPLE_MAX - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			rc = seterr(q, "read %s", SAMPLE_FILE);
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (strlen(buf) == got)
		rc = parse_sample(buf, s);
out:
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int
spool_sample_save(struct spool *q, const struct spool_sample *s)
{
	char tmp[64], buf[SAMPLE_MAX];
	int fd, len, i, err;

	len = snprintf(buf, sizeof(buf), "time %" PRId64 "\n", s->time_ms);
	for (i = 0; i < SPOOL_NSTATES; i++)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
		    "%s %" PRIu64 "\n", spool_state_name(i), s->count[i]);
	snprintf(tmp, sizeof(tmp), "%s.new.%ld.%" PRId64, SAMPLE_FILE,
	    (long)getpid(), now_us());
	fd = openat(q->rootfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return seterr(q, "create %s", tmp);
	if (fchmod(fd, q->filemode) == -1 ||
	    write_full(fd, buf, (size_t)len) == -1) {
		err = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1)
		goto fail_keep;
	/* Replacing is the point here: this is a hint, not a message. */
	if (renameat(q->rootfd, tmp, q->rootfd, SAMPLE_FILE) == -1)
		goto fail_keep;
	return 0;
fail_keep:
	err = errno;
fail:
	unlinkat(q->rootfd, tmp, 0);
	errno = err;
	return seterr(q, "store %s", SAMPLE_FILE);
}

/* Opens NAME under DIRFD as a directory, never through a symlink. */
static DIR *
open_dir(int dirfd, const char *name)
{
	DIR *d;
	int fd;

	if ((fd = open_dir_at(dirfd, name)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return d;
}

/* Counts the message files in DIR enqueued at or after SINCE_US. */
static int
count_files(DIR *d, int64_t since_us, uint64_t *n)
{
	struct spool_entry e;
	struct dirent *de;

	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (spool_parse_name(de->d_name, &e) == 0 &&
		    id_time_us(e.id) >= since_us)
			(*n)++;
	}
	return errno == 0 ? 0 : -1;
}

static uint64_t
hex_of(const char *s)
{
	return strtoull(s, NULL, 16);
}

/* Counts in one top bucket TOPNAME of a state, leaf by leaf. */
static int
count_top(int sfd, const char *topname, int64_t top_us, int64_t limit_us,
    int64_t since_us, uint64_t *n)
{
	struct dirent *de;
	DIR *td, *ld;
	int64_t lo;
	int rc = 0;

	if ((td = open_dir(sfd, topname)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (rc == 0 && (errno = 0, de = readdir(td)) != NULL) {
		if (!is_bucket_leaf(de->d_name))
			continue;
		lo = top_us + (int64_t)hex_of(de->d_name) * LEAF_SPAN_US;
		if (lo + LEAF_SPAN_US <= limit_us)
			continue;
		if ((ld = open_dir(dirfd(td), de->d_name)) == NULL) {
			/* gc may remove an empty leaf meanwhile. */
			rc = errno == ENOENT ? 0 : -1;
			continue;
		}
		rc = count_files(ld, since_us, n);
		closedir(ld);
	}
	if (rc == 0 && errno != 0)
		rc = -1;
	closedir(td);
	return rc;
}

/* Counts the arrivals in bucketed STATE; LIMIT_US bounds the buckets. */
static int
count_state(struct spool *q, enum spool_state state, int64_t limit_us,
    int64_t since_us, uint64_t *n)
{
	int with_priority = state != SPOOL_RETRY, rc = 0;
	const char *sname = spool_state_name(state);
	struct dirent *de;
	int64_t top_us;
	DIR *sd;

	if ((sd = open_dir(q->dirfd[state], ".")) == NULL)
		return seterr(q, "open %s", sname);
	while (rc == 0 && (errno = 0, de = readdir(sd)) != NULL) {
		if (!is_bucket_top(de->d_name, with_priority))
			continue;
		top_us = (int64_t)hex_of(de->d_name + (with_priority ? 2 : 0))
			 << 28;
		if (top_us + TOP_SPAN_US <= limit_us)
			continue;
		rc = count_top(
		    dirfd(sd), de->d_name, top_us, limit_us, since_us, n);
	}
	if (rc == 0 && errno != 0)
		rc = -1;
	if (rc == -1)
		seterr(q, "read %s", sname);
	closedir(sd);
	return rc;
}

int
spool_count_since(struct spool *q, int64_t since_ms, uint64_t *n)
{
	int64_t since_us = since_ms * 1000;
	DIR *d;
	int rc;

	*n = 0;
	if (count_state(q, SPOOL_NEW, since_us, since_us, n) == -1 ||
	    count_state(q, SPOOL_DEAD, since_us, since_us, n) == -1 ||
	    count_state(q, SPOOL_RETRY, since_us - SPOOL_SKEW_MS * 1000,
		since_us, n) == -1)
		return -1;
	if ((d = open_dir(q->dirfd[SPOOL_CUR], ".")) == NULL)
		return seterr(q, "open cur");
	rc = count_files(d, since_us, n);
	if (rc == -1)
		seterr(q, "read cur");
	closedir(d);
	return rc;
}

int
spool_rates(struct spool *q, const struct spool_sample *prev,
    const struct spool_sample *now, struct spool_rates *r)
{
	double before = 0, after = 0, secs, left;
	uint64_t arrived;
	int i;

	r->interval_ms = now->time_ms - prev->time_ms;
	r->push_rate = r->done_rate = 0;
	if (r->interval_ms < MIN_INTERVAL_MS)
		return SPOOL_EMPTY;
	if (spool_count_since(q, prev->time_ms, &arrived) == -1)
		return -1;
	for (i = 0; i < SPOOL_NSTATES; i++) {
		before += (double)prev->count[i];
		after += (double)now->count[i];
	}
	secs = (double)r->interval_ms / 1000;
	/* Arrivals still here, minus the growth: who left of those before. */
	left = (double)arrived - (after - before);
	r->push_rate = (double)arrived / secs;
	r->done_rate = left > 0 ? left / secs : 0;
	return 0;
}
