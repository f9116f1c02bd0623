/*
 * batch.c: group commit.  Every message of a batch is written and closed
 * in tmp/ without its own fsync; commit then makes the data durable with
 * one syncfs(2), renames each message into its bucket, and fsyncs each
 * bucket once.  A batch of thousands costs a few syncs, not thousands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* A message of the batch: its ID is its name in tmp/. */
struct item {
	struct pub p;
	uint64_t size;
};

struct spool_batch {
	struct spool *q;
	struct spool_push_opts opts;
	int64_t due_ms;
	struct item *v;
	size_t n, cap;
};

struct spool_batch *
spool_batch_new(struct spool *q, const struct spool_push_opts *o)
{
	struct spool_batch *b;

	if (o != NULL &&
	    (o->priority < SPOOL_PRIORITY_MIN ||
		o->priority > SPOOL_PRIORITY_MAX || o->delay_ms < 0)) {
		errno = EINVAL;
		seterr(q, "bad push options");
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		seterr(q, "batch");
		return NULL;
	}
	b->q = q;
	if (o != NULL)
		b->opts = *o;
	else
		spool_push_opts_default(&b->opts);
	return b;
}

size_t
spool_batch_count(const struct spool_batch *b)
{
	return b->n;
}

int
spool_batch_add(
    struct spool_batch *b, const void *buf, size_t len, char id[SPOOL_ID_SIZE])
{
	struct spool *q = b->q;
	struct item *it;
	int fd, tries;

	if (len > SPOOL_MAX_PAYLOAD) {
		errno = EFBIG;
		return seterr(q, "message of %zu bytes", len);
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct item *v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL)
			return seterr(q, "batch");
		b->v = v;
		b->cap = cap;
	}
	it = &b->v[b->n];
	for (tries = 0;; tries++) {
		if (new_id(b->opts.priority, it->p.tmp) == -1)
			return seterr(q, "make an ID");
		if (tmp_create(q, it->p.tmp, &fd) == 0)
			break;
		if (errno != EEXIST || tries == 8)
			return -1;
	}
	if (write_full(fd, buf, len) == -1) {
		seterr(q, "write tmp/%s", it->p.tmp);
		tmp_abort(q, it->p.tmp, fd);
		return -1;
	}
	if (close(fd) == -1) {
		seterr(q, "close tmp/%s", it->p.tmp);
		tmp_abort(q, it->p.tmp, -1);
		return -1;
	}
	it->size = len;
	it->p.published = 0;
	memcpy(id, it->p.tmp, SPOOL_ID_SIZE);
	b->n++;
	return 0;
}

/* Takes back what a failed commit had already published. */
static void
unpublish(struct spool_batch *b)
{
	struct spool *q = b->q;
	struct spool_entry e;
	size_t i;
	int err = errno;

	for (i = 0; i < b->n; i++) {
		const char *id = b->v[i].p.tmp;

		if (b->v[i].p.published) {
			if (spool_find(q, id, &e) == 0 &&
			    (e.state == SPOOL_NEW || e.state == SPOOL_RETRY))
				spool_purge(q, id, SPOOL_ALL_STATES, 0, NULL);
		} else
			unlinkat(q->tmpfd, id, 0);
	}
	b->n = 0;
	errno = err;
}

int
group_publish(
    struct spool *q, struct pub *v, size_t n, size_t stride, int keep_existing)
{
	struct pub *it, *last = NULL;
	char rel[SPOOL_ID_SIZE + 8];
	size_t i;
	int lfd = -1, err, rc;

	if (n == 0)
		return 0;
	if (!(q->flags & SPOOL_NOSYNC) && syncfs(q->tmpfd) == -1) {
		seterr(q, "sync tmp/");
		return -1;
	}
	for (i = 0; i < n; i++) {
		it = (struct pub *)((char *)v + i * stride);
		if (lfd != -1 && it->state == last->state &&
		    strcmp(it->t.top, last->t.top) == 0 &&
		    strcmp(it->t.leaf, last->t.leaf) == 0) {
			if (move_noreplace(
				q, q->tmpfd, it->tmp, lfd, it->t.name) == 0) {
				it->published = 1;
				continue;
			}
			if (errno == EEXIST && keep_existing) {
				unlinkat(q->tmpfd, it->tmp, 0);
				it->published = -1;
				continue;
			}
		}
		if (lfd != -1 && fsync_dir(q, lfd, last->t.leaf) == -1)
			goto fail;
		if (lfd != -1)
			close(lfd);
		lfd = -1;
		last = it;
		snprintf(rel, sizeof(rel), "tmp/%s", it->tmp);
		rc = move_into(
		    q, q->tmpfd, it->tmp, rel, it->state, &it->t, &lfd);
		if (rc == EEXIST && keep_existing) {
			unlinkat(q->tmpfd, it->tmp, 0);
			it->published = -1;
			continue;
		}
		if (rc == EEXIST) {
			errno = EEXIST;
			seterr(q, "publish %s", rel);
		} else if (rc == SPOOL_EMPTY) {
			errno = ENOENT;
			seterr(q, "%s vanished before its rename", rel);
		}
		if (rc != 0)
			goto fail;
		it->published = 1;
	}
	if (lfd != -1 && fsync_dir(q, lfd, last->t.leaf) == -1)
		goto fail;
	if (lfd != -1)
		close(lfd);
	return 0;
fail:
	err = errno;
	if (lfd != -1)
		close(lfd);
	errno = err;
	return -1;
}

int
spool_batch_commit(struct spool_batch *b)
{
	struct spool *q = b->q;
	size_t i;
	enum spool_state state = b->opts.delay_ms > 0 ? SPOOL_RETRY : SPOOL_NEW;
	int64_t due = b->opts.delay_ms > 0 ? now_ms() + b->opts.delay_ms : 0;

	if (b->n == 0)
		return 0;
	for (i = 0; i < b->n; i++) {
		struct pub *p = &b->v[i].p;

		p->state = state;
		if (target_of(p->tmp, b->v[i].size, state, 0, due, &p->t) ==
		    -1) {
			seterr(q, "publish %s", p->tmp);
			unpublish(b);
			return -1;
		}
	}
	/* IDs ascend, so consecutive messages mostly share a bucket. */
	if (group_publish(q, &b->v[0].p, b->n, sizeof(b->v[0]), 0) == -1) {
		unpublish(b);
		return -1;
	}
	b->n = 0;
	return 0;
}

void
spool_batch_free(struct spool_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		unlinkat(b->q->tmpfd, b->v[i].p.tmp, 0);
	free(b->v);
	free(b);
}
