/*
 * scan.c: walking a queue: reclaiming expired leases, sweeping tmp/,
 * iterating, finding, counting, kicking, purging and collecting garbage.
 *
 * A walk holds at most one bucket's names in memory.  Anything that is
 * not a well-formed message file is reported through the handle's
 * warning function and left exactly where it is.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int
kind_of(enum spool_state s)
{
	return s == SPOOL_CUR ? 'l' : s == SPOOL_RETRY ? 'd' : 0;
}

static int
is_regular_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

/* Is NAME (d_type from list_dir) a regular file in DIRFD? */
static int
is_regular(int dirfd, const char *name)
{
	if (NAME_TYPE(name) == DT_REG)
		return 1;
	if (NAME_TYPE(name) != DT_UNKNOWN)
		return 0;
	return is_regular_at(dirfd, name);
}

static void
report(struct spool *q, struct spool_gc_report *r, const char *dir,
    const char *name, const char *why)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	warnq(q, rel, why);
	if (r != NULL)
		r->foreign++;
}

int
reclaim_expired(struct spool *q, struct spool_gc_report *r, int warn)
{
	struct names n;
	struct spool_entry e;
	int64_t now = now_ms();
	size_t i;
	int rc = 0;

	if (list_dir(q->dirfd[SPOOL_CUR], &n) == -1)
		return seterr(q, "list cur/");
	for (i = 0; i < n.n && rc != -1; i++) {
		int dead;

		if (parse_name_kind(n.v[i], &e) != 'l' ||
		    !is_regular(q->dirfd[SPOOL_CUR], n.v[i])) {
			if (r != NULL || warn)
				report(q, r, "cur", n.v[i],
				    "not a message; left alone");
			continue;
		}
		/* Past its deadline by more than the skew hosts may have. */
		if (e.deadline_ms + SPOOL_SKEW_MS >= now)
			continue;
		dead = e.attempts >= q->cfg.max_attempts;
		rc = settle_move(q, n.v[i], &e, dead, now);
		if (rc == SPOOL_STALE) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			history_append(q, e.id, e.attempts, "lease expired");
			if (r != NULL && dead)
				r->expired++;
			else if (r != NULL)
				r->reclaimed++;
		}
	}
	names_free(&n);
	return rc;
}

int
sweep_tmp(struct spool *q, struct spool_gc_report *r)
{
	struct names n;
	struct stat st;
	int64_t limit = now_ms() - TMP_MAX_AGE_MS - SPOOL_SKEW_MS * 60;
	size_t i;

	if (list_dir(q->tmpfd, &n) == -1)
		return seterr(q, "list tmp/");
	for (i = 0; i < n.n; i++) {
		const char *name = n.v[i];

		if (!spool_valid_id(name)) {
			/* config.PID.tmp is spool init's own, in the root. */
			if (r != NULL)
				report(q, r, "tmp", name,
				    "not a message; left alone");
			continue;
		}
		if (fstatat(q->tmpfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		/* Untouched for 36 hours: its writer is long gone. */
		if ((int64_t)st.st_mtim.tv_sec * 1000 < limit &&
		    unlinkat(q->tmpfd, name, 0) == 0 && r != NULL)
			r->tmp_removed++;
	}
	names_free(&n);
	return 0;
}

/*
 * The iterator: a cursor over state, top bucket, leaf bucket, name.
 */
struct spool_iter {
	struct spool *q;
	unsigned mask;
	int state; /* current state, -1 before the first */
	struct names tops, leaves, names;
	size_t ti, li, ni;
	int tfd, lfd;
	char top[16], leaf[8];
	char bucket[24]; /* "TOP/LEAF", or "" in cur/ */
	int done;
	struct spool_gc_report *report; /* counts junk, for gc */
};

struct spool_iter *
spool_iter_new(struct spool *q, unsigned mask)
{
	struct spool_iter *it;

	if ((it = calloc(1, sizeof(*it))) == NULL) {
		seterr(q, "iterate");
		return NULL;
	}
	it->q = q;
	it->mask = mask & SPOOL_ALL_STATES;
	it->state = -1;
	it->tfd = it->lfd = -1;
	return it;
}

static void
iter_drop_leaf(struct spool_iter *it)
{
	names_free(&it->names);
	it->ni = 0;
	if (it->lfd != -1 && it->lfd != it->q->dirfd[SPOOL_CUR])
		close(it->lfd);
	it->lfd = -1;
}

static void
iter_drop_top(struct spool_iter *it)
{
	iter_drop_leaf(it);
	names_free(&it->leaves);
	it->li = 0;
	if (it->tfd != -1)
		close(it->tfd);
	it->tfd = -1;
}

void
spool_iter_free(struct spool_iter *it)
{
	if (it == NULL)
		return;
	iter_drop_top(it);
	names_free(&it->tops);
	free(it);
}

/* Retry leaves are shown by due time; everything else by name (ID). */
static int
cmp_due(const void *a, const void *b)
{
	struct spool_entry x, y;
	const char *na = *(char *const *)a, *nb = *(char *const *)b;

	if (parse_name_kind(na, &x) != 'd' || parse_name_kind(nb, &y) != 'd')
		return strcmp(na, nb);
	if (x.deadline_ms != y.deadline_ms)
		return x.deadline_ms < y.deadline_ms ? -1 : 1;
	return strcmp(na, nb);
}

/* Advances to the next leaf with names; returns 1, 0 at the end, -1. */
static int
iter_next_leaf(struct spool_iter *it)
{
	struct spool *q = it->q;

	iter_drop_leaf(it);
	for (;;) {
		if (it->state == SPOOL_CUR && it->tfd == -2) {
			it->tfd = -1;
			return 0;
		}
		if (it->state == SPOOL_CUR) {
			/* cur/ is flat: one "leaf", the directory itself. */
			it->tfd = -2;
			it->lfd = q->dirfd[SPOOL_CUR];
			it->top[0] = it->leaf[0] = it->bucket[0] = '\0';
			if (list_dir(it->lfd, &it->names) == -1)
				return seterr(q, "list cur/");
			return 1;
		}
		if (it->tfd != -1 && it->li < it->leaves.n) {
			const char *leaf = it->leaves.v[it->li++];

			if (!is_bucket_leaf(leaf)) {
				report(q, it->report, it->top, leaf,
				    "not a bucket; left alone");
				continue;
			}
			if ((it->lfd = open_dir_at(it->tfd, leaf)) == -1) {
				if (errno != ENOENT && SKIPPABLE(errno))
					report(q, it->report, it->top, leaf,
					    "not a bucket directory; left "
					    "alone");
				if (SKIPPABLE(errno))
					continue; /* removed meanwhile */
				return seterr(q, "open %s/%s/%s",
				    spool_state_name(it->state), it->top, leaf);
			}
			snprintf(it->leaf, sizeof(it->leaf), "%s", leaf);
			snprintf(it->bucket, sizeof(it->bucket), "%s/%s",
			    it->top, it->leaf);
			if (list_dir(it->lfd, &it->names) == -1)
				return seterr(q, "list %s/%s/%s",
				    spool_state_name(it->state), it->top, leaf);
			if (it->state == SPOOL_RETRY && it->names.n > 1)
				qsort(it->names.v, it->names.n,
				    sizeof(*it->names.v), cmp_due);
			return 1;
		}
		iter_drop_top(it);
		if (it->ti >= it->tops.n)
			return 0;
		{
			const char *top = it->tops.v[it->ti++];
			int sfd = q->dirfd[it->state];

			if (!is_bucket_top(top, it->state != SPOOL_RETRY)) {
				report(q, it->report,
				    spool_state_name(it->state), top,
				    "not a bucket; left alone");
				continue;
			}
			if ((it->tfd = open_dir_at(sfd, top)) == -1) {
				if (errno != ENOENT && SKIPPABLE(errno))
					report(q, it->report,
					    spool_state_name(it->state), top,
					    "not a bucket directory; left "
					    "alone");
				if (SKIPPABLE(errno))
					continue;
				return seterr(q, "open %s/%s",
				    spool_state_name(it->state), top);
			}
			snprintf(it->top, sizeof(it->top), "%s", top);
			if (list_dir(it->tfd, &it->leaves) == -1)
				return seterr(q, "list %s/%s",
				    spool_state_name(it->state), top);
		}
	}
}

/* Advances to the next state in the mask; returns 1, or 0 at the end. */
static int
iter_next_state(struct spool_iter *it)
{
	struct spool *q = it->q;

	iter_drop_top(it);
	names_free(&it->tops);
	it->ti = 0;
	while (++it->state < SPOOL_NSTATES) {
		if (!(it->mask & SPOOL_STATE_BIT(it->state)))
			continue;
		if (it->state == SPOOL_CUR)
			return 1;
		if (list_dir(q->dirfd[it->state], &it->tops) == -1)
			return seterr(
			    q, "list %s/", spool_state_name(it->state));
		return 1;
	}
	return 0;
}

int
spool_iter_next(struct spool_iter *it, struct spool_entry *e)
{
	struct spool *q = it->q;
	int rc;

	if (it->done)
		return SPOOL_EMPTY;
	for (;;) {
		if (it->lfd != -1 && it->ni < it->names.n) {
			const char *name = it->names.v[it->ni++];
			char dir[40];

			if (parse_name_kind(name, e) !=
				kind_of((enum spool_state)it->state) ||
			    !is_regular(it->lfd, name)) {
				snprintf(dir, sizeof(dir), "%s%s%s",
				    spool_state_name(it->state),
				    *it->bucket ? "/" : "", it->bucket);
				report(q, it->report, dir, name,
				    "not a message; left alone");
				continue;
			}
			e->state = (enum spool_state)it->state;
			memcpy(e->bucket, it->bucket, sizeof(e->bucket));
			return 0;
		}
		if (it->state >= 0 && it->state < SPOOL_NSTATES &&
		    (rc = iter_next_leaf(it)) != 0) {
			if (rc == -1)
				return -1;
			continue;
		}
		if ((rc = iter_next_state(it)) == -1)
			return -1;
		if (rc == 0) {
			it->done = 1;
			return SPOOL_EMPTY;
		}
	}
}

/*
 * The directory holding E: its leaf bucket, or cur/.  The last leaf is
 * kept open on the handle, so that walking a queue and opening each
 * message costs one openat per message, not three.  The descriptor is
 * borrowed: do not close it.  FRESH reopens it (the cached leaf may have
 * been removed and made again since).
 */
static int
entry_dir(struct spool *q, const struct spool_entry *e, int fresh)
{
	char top[16], *slash;
	int fd;

	if (e->state == SPOOL_CUR)
		return q->dirfd[SPOOL_CUR];
	if (!fresh && q->entfd != -1 && q->entstate == e->state &&
	    strcmp(q->entbucket, e->bucket) == 0)
		return q->entfd;
	if ((slash = strchr(e->bucket, '/')) == NULL ||
	    (size_t)(slash - e->bucket) >= sizeof(top)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(top, e->bucket, (size_t)(slash - e->bucket));
	top[slash - e->bucket] = '\0';
	if ((fd = open_bucket(q, e->state, top, slash + 1, 0, NULL)) == -1)
		return -1;
	if (q->entfd != -1)
		close(q->entfd);
	q->entfd = fd;
	q->entstate = e->state;
	snprintf(q->entbucket, sizeof(q->entbucket), "%s", e->bucket);
	return fd;
}

int
spool_open_entry(struct spool *q, const struct spool_entry *e)
{
	struct stat st;
	int dfd, fd = -1, i;

	for (i = 0; i < 2 && fd == -1; i++) {
		if ((dfd = entry_dir(q, e, i)) == -1)
			return seterr(q, "open %s/%s",
			    spool_state_name(e->state), e->bucket);
		fd = safe_open(dfd, e->name, &st);
		if (fd == -1 && (errno != ENOENT || e->state == SPOOL_CUR))
			break;
	}
	if (fd != -1 && !is_message(q, &st)) {
		close(fd);
		fd = -1;
		errno = EPERM;
	}
	if (fd == -1)
		return seterr(q, "open %s/%s/%s", spool_state_name(e->state),
		    e->bucket, e->name);
	return fd;
}

/* Looks for ID in one directory; fills E (state and bucket set by us). */
struct seek {
	const char *id;
	int kind;
	struct spool_entry *e;
};

static int
seek_name(void *arg, int fd, const char *name, unsigned char type)
{
	struct seek *k = arg;

	if (strncmp(name, k->id, SPOOL_ID_LEN) != 0 ||
	    parse_name_kind(name, k->e) != k->kind ||
	    (type != DT_REG &&
		(type != DT_UNKNOWN || !is_regular_at(fd, name))))
		return 0;
	return 1;
}

/* Looks for ID in one directory; 1 with E filled, 0, or -1. */
static int
find_in(int dirfd, const char *id, enum spool_state state, const char *bucket,
    struct spool_entry *e)
{
	struct seek k = {id, kind_of(state), e};
	int rc = walk_dir(dirfd, seek_name, &k);

	if (rc == 1) {
		e->state = state;
		snprintf(e->bucket, sizeof(e->bucket), "%s", bucket);
	}
	return rc;
}

/* One look in every state; 1 if found. */
static int
find_once(struct spool *q, const char *id, struct spool_entry *e)
{
	static const enum spool_state fixed[] = {SPOOL_NEW, SPOOL_DEAD};
	struct spool_iter *it;
	char top[16], leaf[8], bucket[24];
	size_t i;
	int fd, found, rc;

	/* new/ and dead/ buckets follow from the ID itself. */
	bucket_of(id_time_us(id), id_priority(id), top, leaf);
	snprintf(bucket, sizeof(bucket), "%s/%s", top, leaf);
	for (i = 0; i < 2; i++) {
		if ((fd = open_bucket(q, fixed[i], top, leaf, 0, NULL)) == -1) {
			if (SKIPPABLE(errno))
				continue;
			return -1;
		}
		found = find_in(fd, id, fixed[i], bucket, e);
		close(fd);
		if (found != 0)
			return found == 1
				   ? 1
				   : seterr(q, "list %s/%s",
					 spool_state_name(fixed[i]), bucket);
		/* Between new/ and dead/: where a claim would have it. */
		if (i == 0 && (found = find_in(q->dirfd[SPOOL_CUR], id,
				   SPOOL_CUR, "", e)) != 0)
			return found == 1 ? 1 : seterr(q, "list cur/");
	}
	/* retry/ is bucketed by due time, which the ID does not tell. */
	if ((it = spool_iter_new(q, SPOOL_STATE_BIT(SPOOL_RETRY))) == NULL)
		return -1;
	while ((rc = spool_iter_next(it, e)) == 0)
		if (strcmp(e->id, id) == 0)
			break;
	spool_iter_free(it);
	return rc == 0 ? 1 : rc == -1 ? -1 : 0;
}

int
spool_find(struct spool *q, const char *id, struct spool_entry *e)
{
	int i, rc;

	if (!spool_valid_id(id)) {
		errno = EINVAL;
		return seterr(q, "not a message ID");
	}
	/* A message moving between states can slip past one look. */
	for (i = 0; i < 3; i++)
		if ((rc = find_once(q, id, e)) != 0)
			return rc == 1 ? 0 : -1;
	return SPOOL_EMPTY;
}

/* What spool_stat() carries through its walk. */
struct tally {
	struct spool *q;
	struct spool_stats *s;
	enum spool_state state;
	int64_t now;
};

static int
tally_name(void *arg, int fd, const char *name, unsigned char type)
{
	struct tally *t = arg;
	struct spool_stats *s = t->s;
	struct spool_entry e;
	int due;

	if (parse_name_kind(name, &e) != kind_of(t->state) ||
	    (type != DT_REG &&
		(type != DT_UNKNOWN || !is_regular_at(fd, name))))
		return 0;
	due = t->state == SPOOL_NEW ||
	      (t->state == SPOOL_RETRY && e.deadline_ms <= t->now);
	s->count[t->state]++;
	s->bytes[t->state] += e.size;
	if (due) {
		s->due++;
		if (s->oldest_due_ms == 0 || e.enqueued_ms < s->oldest_due_ms)
			s->oldest_due_ms = e.enqueued_ms;
	} else if (t->state == SPOOL_RETRY &&
		   (s->next_due_ms == 0 || e.deadline_ms < s->next_due_ms))
		s->next_due_ms = e.deadline_ms;
	return 0;
}

/* Counts one bucketed state: a walk of each leaf, nothing sorted. */
static int
tally_state(struct tally *t)
{
	struct spool *q = t->q;
	int sfd = q->dirfd[t->state], tfd, lfd;
	struct names tops, leaves;
	size_t i, j;
	int rc = 0;

	if (t->state == SPOOL_CUR)
		return walk_dir(sfd, tally_name, t) == -1
			   ? seterr(q, "list cur/")
			   : 0;
	if (list_dir(sfd, &tops) == -1)
		return seterr(q, "list %s/", spool_state_name(t->state));
	for (i = 0; i < tops.n && rc == 0; i++) {
		if (!is_bucket_top(tops.v[i], t->state != SPOOL_RETRY))
			continue;
		if ((tfd = open_dir_at(sfd, tops.v[i])) == -1) {
			if (!SKIPPABLE(errno))
				rc = seterr(q, "open %s/%s",
				    spool_state_name(t->state), tops.v[i]);
			continue;
		}
		if (list_dir(tfd, &leaves) == -1) {
			rc = seterr(q, "list %s/%s", spool_state_name(t->state),
			    tops.v[i]);
			close(tfd);
			continue;
		}
		for (j = 0; j < leaves.n && rc == 0; j++) {
			if (!is_bucket_leaf(leaves.v[j]))
				continue;
			if ((lfd = open_dir_at(tfd, leaves.v[j])) == -1) {
				if (!SKIPPABLE(errno))
					rc = seterr(q, "open %s/%s/%s",
					    spool_state_name(t->state),
					    tops.v[i], leaves.v[j]);
				continue;
			}
			if (walk_dir(lfd, tally_name, t) == -1)
				rc = seterr(q, "list %s/%s/%s",
				    spool_state_name(t->state), tops.v[i],
				    leaves.v[j]);
			close(lfd);
		}
		names_free(&leaves);
		close(tfd);
	}
	names_free(&tops);
	return rc;
}

static int
stat_once(struct spool *q, struct spool_stats *s)
{
	struct tally t;
	int i;

	memset(s, 0, sizeof(*s));
	/* Counting must work on a queue we may only read. */
	if (reclaim_expired(q, NULL, 0) == -1 && errno != EROFS &&
	    errno != EACCES && errno != EPERM)
		return -1;
	t.q = q;
	t.s = s;
	t.now = now_ms();
	for (i = 0; i < SPOOL_NSTATES; i++) {
		t.state = (enum spool_state)i;
		if (tally_state(&t) == -1)
			return -1;
	}
	return 0;
}

/* Unlinks E, wherever it is.  Returns 0, SPOOL_EMPTY if gone, or -1. */
/*
 * Is E, in DFD, a message file (and not something planted under a
 * message's name, which kick and purge must leave where it is)?  A file
 * that is gone counts as a message: the caller's own call says so.
 */
static int
planted_not(struct spool *q, int dfd, const struct spool_entry *e)
{
	struct stat st;
	char rel[SPOOL_NAME_SIZE + 48];

	if (fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    is_message(q, &st))
		return 1;
	snprintf(rel, sizeof(rel), "%s/%s%s%s", spool_state_name(e->state),
	    e->bucket, *e->bucket ? "/" : "", e->name);
	warnq(q, rel, "not owned by the queue, or not one file; left alone");
	return 0;
}

static int
remove_entry(struct spool *q, const struct spool_entry *e)
{
	int dfd, i, rc = -1;

	for (i = 0; i < 2 && rc == -1; i++) {
		if ((dfd = entry_dir(q, e, i)) == -1)
			return errno == ENOENT ? SPOOL_EMPTY
					       : seterr(q, "purge");
		if (!planted_not(q, dfd, e))
			return SPOOL_EMPTY;
		if ((rc = unlinkat(dfd, e->name, 0)) == -1 && errno != ENOENT)
			return seterr(q, "unlink %s", e->name);
	}
	if (rc == -1)
		return SPOOL_EMPTY;
	history_remove(q, e->id);
	return 0;
}

/* Moves E to new/ with its attempts reset. */
static int
kick_entry(struct spool *q, const struct spool_entry *e)
{
	struct target t;
	char rel[SPOOL_NAME_SIZE + 48];
	int dfd, lfd, i, rc = SPOOL_EMPTY;

	if (target_of(e->id, e->size, SPOOL_NEW, 0, 0, &t) == -1)
		return seterr(q, "kick %s", e->id);
	snprintf(rel, sizeof(rel), "%s/%s/%s", spool_state_name(e->state),
	    e->bucket, e->name);
	for (i = 0; i < 2 && rc == SPOOL_EMPTY; i++) {
		if ((dfd = entry_dir(q, e, i)) == -1)
			return errno == ENOENT ? SPOOL_EMPTY
					       : seterr(q, "kick");
		if (!planted_not(q, dfd, e))
			return SPOOL_EMPTY;
		rc = move_into(q, dfd, e->name, rel, SPOOL_NEW, &t, &lfd);
	}
	if (rc == EEXIST) {
		errno = EEXIST;
		return seterr(q, "kick %s", rel);
	}
	if (rc != 0)
		return rc;
	rc = fsync_dir(q, lfd, t.leaf);
	close(lfd);
	return rc;
}

typedef int entry_fn(struct spool *, const struct spool_entry *);

/*
 * Applies FN to the message ID, or to every message in MASK older than
 * OLDER_MS.  Counts successes in *N.
 */
static int
apply(struct spool *q, const char *id, unsigned mask, int64_t older_ms,
    entry_fn *fn, uint64_t *n)
{
	struct spool_iter *it;
	struct spool_entry e;
	int64_t limit = now_ms() - older_ms;
	int rc;

	if (id != NULL) {
		if ((rc = spool_find(q, id, &e)) != 0)
			return rc;
		if (!(mask & SPOOL_STATE_BIT(e.state)) ||
		    (older_ms > 0 && e.enqueued_ms > limit))
			return SPOOL_EMPTY;
		if ((rc = fn(q, &e)) == 0 && n != NULL)
			(*n)++;
		return rc;
	}
	if ((it = spool_iter_new(q, mask)) == NULL)
		return -1;
	while ((rc = spool_iter_next(it, &e)) == 0) {
		if (older_ms > 0 && e.enqueued_ms > limit)
			continue;
		if ((rc = fn(q, &e)) == -1)
			break;
		if (rc == 0 && n != NULL)
			(*n)++;
	}
	spool_iter_free(it);
	return rc == -1 ? -1 : 0;
}

int
spool_kick(struct spool *q, const char *id, unsigned frommask, uint64_t *moved)
{
	frommask &= SPOOL_STATE_BIT(SPOOL_DEAD) | SPOOL_STATE_BIT(SPOOL_RETRY);
	return apply(q, id, frommask, 0, kick_entry, moved);
}

int
spool_purge(struct spool *q, const char *id, unsigned mask, int64_t older_ms,
    uint64_t *deleted)
{
	return apply(
	    q, id, mask & SPOOL_ALL_STATES, older_ms, remove_entry, deleted);
}

/* Removes the empty buckets of STATE whose time has passed. */
static int
prune_buckets(
    struct spool *q, enum spool_state state, struct spool_gc_report *r)
{
	int sfd = q->dirfd[state], with_prio = state != SPOOL_RETRY;
	int64_t now = now_ms();
	struct names tops, leaves;
	size_t i, j;

	if (list_dir(sfd, &tops) == -1)
		return seterr(q, "list %s/", spool_state_name(state));
	for (i = 0; i < tops.n; i++) {
		const char *top = tops.v[i];
		int tfd;

		if (!is_bucket_top(top, with_prio)) {
			report(q, r, spool_state_name(state), top,
			    "not a bucket; left alone");
			continue;
		}
		if ((tfd = open_dir_at(sfd, top)) == -1 ||
		    list_dir(tfd, &leaves) == -1) {
			if (tfd != -1)
				close(tfd);
			continue;
		}
		for (j = 0; j < leaves.n; j++) {
			if (!is_bucket_leaf(leaves.v[j]) ||
			    !bucket_is_past(
				bucket_start_us(top, leaves.v[j]), now))
				continue;
			if (unlinkat(tfd, leaves.v[j], AT_REMOVEDIR) == 0 &&
			    r != NULL)
				r->buckets_removed++;
		}
		names_free(&leaves);
		close(tfd);
		if (bucket_is_past(bucket_start_us(top, "fff"), now) &&
		    unlinkat(sfd, top, AT_REMOVEDIR) == 0 && r != NULL)
			r->buckets_removed++;
	}
	names_free(&tops);
	return 0;
}

/* One leaf of new/ or dead/, listed, for the two-states check. */
struct leafcache {
	enum spool_state state;
	char bucket[24];
	int valid;
	struct names n;
};

static int
cmpid(const void *key, const void *elem)
{
	return strncmp(key, *(char *const *)elem, SPOOL_ID_LEN);
}

/* Is E's ID also in STATE (new/ or dead/, where its bucket is known)? */
static int
in_state(struct spool *q, struct leafcache *c, enum spool_state state,
    const struct spool_entry *e)
{
	char top[16], leaf[8], bucket[24];
	int fd;

	bucket_of(id_time_us(e->id), id_priority(e->id), top, leaf);
	snprintf(bucket, sizeof(bucket), "%s/%s", top, leaf);
	if (!c->valid || c->state != state || strcmp(c->bucket, bucket) != 0) {
		names_free(&c->n);
		c->valid = 1;
		c->state = state;
		snprintf(c->bucket, sizeof(c->bucket), "%s", bucket);
		if ((fd = open_bucket(q, state, top, leaf, 0, NULL)) != -1) {
			list_dir(fd, &c->n);
			close(fd);
		}
	}
	return c->n.n > 0 &&
	       bsearch(e->id, c->n.v, c->n.n, sizeof(*c->n.v), cmpid) != NULL;
}

static void
twice(struct spool *q, struct spool_gc_report *r, const struct spool_entry *e,
    enum spool_state other)
{
	char rel[SPOOL_NAME_SIZE + 48], why[64];

	snprintf(rel, sizeof(rel), "%s/%s%s%s", spool_state_name(e->state),
	    e->bucket, *e->bucket ? "/" : "", e->name);
	snprintf(why, sizeof(why), "the same ID is also in %s/; left alone",
	    spool_state_name(other));
	warnq(q, rel, why);
	r->foreign++;
}

static int
gc_once(struct spool *q, struct spool_gc_report *r)
{
	struct spool_gc_report local;
	struct leafcache seen[2];
	struct spool_iter *it;
	struct spool_entry e;
	int rc = 0;

	if (r == NULL)
		r = &local;
	memset(r, 0, sizeof(*r));
	if (reclaim_expired(q, r, 1) == -1 || sweep_tmp(q, r) == -1 ||
	    prune_buckets(q, SPOOL_NEW, r) == -1 ||
	    prune_buckets(q, SPOOL_RETRY, r) == -1 ||
	    prune_buckets(q, SPOOL_DEAD, r) == -1)
		return -1;
	/*
	 * Walk the messages once, so that junk among them is reported, and
	 * so is an ID found in two states (new/ and dead/ are bucketed by
	 * ID, so each message costs a look into one cached leaf).
	 */
	if ((it = spool_iter_new(q, SPOOL_ALL_STATES)) == NULL)
		return -1;
	it->report = r;
	memset(seen, 0, sizeof(seen));
	while ((rc = spool_iter_next(it, &e)) == 0) {
		if (e.state != SPOOL_NEW &&
		    in_state(q, &seen[0], SPOOL_NEW, &e))
			twice(q, r, &e, SPOOL_NEW);
		if (e.state != SPOOL_DEAD &&
		    in_state(q, &seen[1], SPOOL_DEAD, &e))
			twice(q, r, &e, SPOOL_DEAD);
	}
	names_free(&seen[0].n);
	names_free(&seen[1].n);
	spool_iter_free(it);
	return rc == -1 ? -1 : 0;
}

int
spool_stat(struct spool *q, struct spool_stats *s)
{
	RETRY_ESTALE(q, stat_once(q, s));
}

int
spool_gc(struct spool *q, struct spool_gc_report *r)
{
	RETRY_ESTALE(q, gc_once(q, r));
}
