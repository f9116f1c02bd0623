/*
 * push.c: the one durable write path.
 *
 * Order, for every message: create tmp/ID exclusively, write it, fsync it
 * (a batch: one syncfs for all), close it, rename it into its bucket with
 * RENAME_NOREPLACE, fsync the bucket, and only then report success.  Any
 * failure unlinks what was written, and a failed fsync is never retried:
 * the kernel may have dropped the dirty pages, so a second fsync could
 * "succeed" on data that is not on disk.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int
tmp_create(struct spool *q, const char *id, int *fd)
{
	*fd = openat(q->tmpfd, id,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd == -1)
		return seterr(q, "create tmp/%s", id);
	/* The queue's mode, whatever the umask: a group queue stays shared. */
	if (fchmod(*fd, q->filemode) == -1) {
		seterr(q, "chmod tmp/%s", id);
		tmp_abort(q, id, *fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

void
tmp_abort(struct spool *q, const char *id, int fd)
{
	int err = errno;

	if (fd != -1)
		close(fd);
	unlinkat(q->tmpfd, id, 0);
	errno = err;
}

static int
write_all(struct spool *q, int fd, const char *id, const void *buf, size_t len)
{
	return write_full(fd, buf, len) == -1 ? seterr(q, "write tmp/%s", id)
					      : 0;
}

int
target_of(const char *id, uint64_t size, enum spool_state state,
    unsigned attempts, int64_t due_ms, struct target *t)
{
	if (state == SPOOL_RETRY) {
		bucket_of(due_ms * 1000, -1, t->top, t->leaf);
		return format_name(
		    t->name, sizeof(t->name), id, attempts, size, 'd', due_ms);
	}
	if (state != SPOOL_NEW && state != SPOOL_DEAD) {
		errno = EINVAL;
		return -1;
	}
	bucket_of(id_time_us(id), id_priority(id), t->top, t->leaf);
	return format_name(t->name, sizeof(t->name), id, attempts, size, 0, 0);
}

int
tmp_publish(struct spool *q, const char *id, int fd, uint64_t size,
    enum spool_state state, unsigned attempts, int64_t due_ms)
{
	struct target t;
	char rel[64];
	int lfd, err, rc;

	if (target_of(id, size, state, attempts, due_ms, &t) == -1) {
		seterr(q, "publish %s", id);
		tmp_abort(q, id, fd);
		return -1;
	}
	if (!(q->flags & SPOOL_NOSYNC) && fdatasync(fd) == -1) {
		q->sync_failed = 1;
		seterr(q, "fsync tmp/%s", id);
		tmp_abort(q, id, fd);
		return -1;
	}
	/* close() can report a deferred write error (NFS): never ignore it. */
	if (close(fd) == -1) {
		seterr(q, "close tmp/%s", id);
		tmp_abort(q, id, -1);
		return -1;
	}
	snprintf(rel, sizeof(rel), "tmp/%s", id);
	if ((rc = move_into(q, q->tmpfd, id, rel, state, &t, &lfd)) != 0) {
		if (rc == SPOOL_EMPTY) {
			errno = ENOENT;
			seterr(q, "%s vanished before its rename", rel);
			rc = -1;
		}
		err = errno;
		tmp_abort(q, id, -1);
		errno = err;
		return rc;
	}
	if (fsync_dir(q, lfd, t.leaf) == -1) {
		/* Not durable: take it back.  A consumer may hold it already.
		 */
		err = errno;
		unlinkat(lfd, t.name, 0);
		close(lfd);
		errno = err;
		return -1;
	}
	close(lfd);
	return 0;
}

static int
push_opts_check(struct spool *q, const struct spool_push_opts *o)
{
	if (o->priority < SPOOL_PRIORITY_MIN ||
	    o->priority > SPOOL_PRIORITY_MAX || o->delay_ms < 0) {
		errno = EINVAL;
		return seterr(q, "bad push options");
	}
	return 0;
}

/* Makes a fresh ID and its tmp file; IDs that collide are drawn again. */
static int
start(struct spool *q, const struct spool_push_opts *o, char id[SPOOL_ID_SIZE],
    int *fd)
{
	int i;

	if (push_opts_check(q, o) == -1)
		return -1;
	for (i = 0; i < 8; i++) {
		if (new_id(o->priority, id) == -1)
			return seterr(q, "make an ID");
		if (tmp_create(q, id, fd) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static int
finish(struct spool *q, const struct spool_push_opts *o, const char *id, int fd,
    uint64_t size)
{
	int rc;

	if (o->delay_ms > 0)
		rc = tmp_publish(
		    q, id, fd, size, SPOOL_RETRY, 0, now_ms() + o->delay_ms);
	else
		rc = tmp_publish(q, id, fd, size, SPOOL_NEW, 0, 0);
	if (rc == EEXIST) {
		errno = EEXIST;
		return seterr(q, "publish %s", id);
	}
	return rc;
}

static int
push_once(struct spool *q, const void *buf, size_t len,
    const struct spool_push_opts *o, char id[SPOOL_ID_SIZE])
{
	struct spool_push_opts def;
	int fd;

	if (o == NULL) {
		spool_push_opts_default(&def);
		o = &def;
	}
	if (len > SPOOL_MAX_PAYLOAD) {
		errno = EFBIG;
		return seterr(q, "message of %zu bytes", len);
	}
	if (start(q, o, id, &fd) == -1)
		return -1;
	if (write_all(q, fd, id, buf, len) == -1) {
		tmp_abort(q, id, fd);
		return -1;
	}
	return finish(q, o, id, fd, len);
}

int
spool_push_fd(struct spool *q, int in, const struct spool_push_opts *o,
    char id[SPOOL_ID_SIZE])
{
	struct spool_push_opts def;
	char *buf;
	uint64_t size = 0;
	ssize_t n;
	int fd, err;

	if (o == NULL) {
		spool_push_opts_default(&def);
		o = &def;
	}
	if ((buf = malloc(1 << 17)) == NULL)
		return seterr(q, "push");
	if (start(q, o, id, &fd) == -1) {
		free(buf);
		return -1;
	}
	/* A signal that interrupts the read aborts the push (EINTR). */
	while ((n = read(in, buf, 1 << 17)) != 0) {
		if (n == -1) {
			seterr(q, "read");
			goto fail;
		}
		size += (uint64_t)n;
		if (size > SPOOL_MAX_PAYLOAD) {
			errno = EFBIG;
			seterr(q, "message larger than %llu bytes",
			    (unsigned long long)SPOOL_MAX_PAYLOAD);
			goto fail;
		}
		if (write_all(q, fd, id, buf, (size_t)n) == -1)
			goto fail;
	}
	free(buf);
	return finish(q, o, id, fd, size);
fail:
	err = errno;
	free(buf);
	tmp_abort(q, id, fd);
	errno = err;
	return -1;
}

int
spool_push(struct spool *q, const void *buf, size_t len,
    const struct spool_push_opts *o, char id[SPOOL_ID_SIZE])
{
	RETRY_ESTALE(q, push_once(q, buf, len, o, id));
}
