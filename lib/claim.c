/*
 * claim.c: claiming the next due message, and settling a claim.
 *
 * A claim is a race won by rename: every consumer renames its candidate
 * into cur/ under a name that carries the bumped attempt count and the
 * lease deadline; exactly one rename succeeds, the others see ENOENT and
 * try the next candidate.  The cur/ name is the token.  Settling finds
 * the claim by ID and attempt, so a token survives touches (which rename
 * to a later deadline) but not a reclaim, which moves the file out of
 * cur/ and makes the next claim's attempt number different.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

/* How many full passes a claim makes before it believes "empty". */
#define MAX_PASSES 8

const char *
spool_msg_id(const struct spool_msg *m)
{
	return m->id;
}

const char *
spool_msg_token(const struct spool_msg *m)
{
	return m->token;
}

unsigned
spool_msg_attempt(const struct spool_msg *m)
{
	return m->attempt;
}

uint64_t
spool_msg_size(const struct spool_msg *m)
{
	return m->size;
}

int64_t
spool_msg_deadline(const struct spool_msg *m)
{
	return m->deadline_ms;
}

int
spool_msg_priority(const struct spool_msg *m)
{
	return m->priority;
}

int
spool_msg_fd(const struct spool_msg *m)
{
	return m->fd;
}

void
spool_msg_free(struct spool_msg *m)
{
	if (m == NULL)
		return;
	if (m->fd != -1)
		close(m->fd);
	free(m->token);
	free(m);
}

/* The queue's absolute path, for tokens (not resolved through links). */
static const char *
abs_path(struct spool *q)
{
	char cwd[PATH_MAX];
	size_t a, b;

	if (q->abspath != NULL)
		return q->abspath;
	if (q->path[0] == '/')
		return q->abspath = strdup(q->path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	a = strlen(cwd);
	b = strlen(q->path);
	if ((q->abspath = malloc(a + b + 2)) == NULL)
		return NULL;
	memcpy(q->abspath, cwd, a);
	q->abspath[a] = '/';
	memcpy(q->abspath + a + 1, q->path, b + 1);
	return q->abspath;
}

/*
 * Opens a regular file without following links, and without blocking
 * on a planted FIFO.  Returns a blocking read-only descriptor with *ST
 * filled, or -1 (EINVAL: not a regular file).
 */
int
open_file(int dirfd, const char *name, struct stat *st)
{
	int fd, flags, err;

	fd = openat(dirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * As open_file(), and the file must have one link (two: a fallback
 * rename in progress, or a planted hard link): EBUSY otherwise.
 */
int
safe_open(int dirfd, const char *name, struct stat *st)
{
	int fd = open_file(dirfd, name, st);

	if (fd != -1 && st->st_nlink != 1) {
		close(fd);
		errno = EBUSY;
		return -1;
	}
	return fd;
}

/*
 * A claim that cannot be delivered for a reason of ours (EMFILE, EIO,
 * ENOMEM) goes back where it came from at once, rather than holding the
 * message for a whole lease.  Returns -1 with the original errno.
 */
static int
give_back(struct spool *q, int lfd, const char *name, const char *cur,
    const char *rel)
{
	int err = errno;

	move_noreplace(q, q->dirfd[SPOOL_CUR], cur, lfd, name);
	errno = err;
	return seterr(q, "claim %s", rel);
}

/*
 * Tries to claim NAME in the directory LFD (a leaf of new/ or retry/).
 * Returns 0 with *MSG set, SPOOL_EMPTY when someone else won it (or it
 * is not a message we may deliver), or -1.
 */
static int
try_claim(struct spool *q, int lfd, const char *rel, const char *name,
    int64_t lease_ms, struct spool_msg **msg)
{
	struct spool_entry e;
	struct stat before, st;
	char cur[SPOOL_NAME_SIZE];
	struct spool_msg *m;
	const char *root;
	int64_t deadline = now_ms() + lease_ms;
	int fd;

	if (parse_name_kind(name, &e) < 0)
		return SPOOL_EMPTY;
	if (fstatat(lfd, name, &before, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? SPOOL_EMPTY
				       : seterr(q, "stat %s", rel);
	if (!S_ISREG(before.st_mode)) {
		warnq(q, rel, "not a regular file; skipped");
		return SPOOL_EMPTY;
	}
	if (before.st_nlink != 1)
		return SPOOL_EMPTY; /* being moved by link+unlink, or planted */
	if (!is_message(q, &before)) {
		warnq(q, rel, "not owned by the queue, or unreadable; skipped");
		return SPOOL_EMPTY;
	}
	if (format_name(cur, sizeof(cur), e.id, e.attempts + 1, e.size, 'l',
		deadline) == -1)
		return SPOOL_EMPTY;
	if (move_noreplace(q, lfd, name, q->dirfd[SPOOL_CUR], cur) == -1) {
		if (errno == ENOENT || errno == EEXIST)
			return SPOOL_EMPTY;
		return seterr(q, "claim %s", rel);
	}
	/*
	 * What we renamed must be what we checked, and still a file.  Any
	 * link count: with the link+unlink fallback, a mover that lost to
	 * us may not have taken its link back yet; the inode check below is
	 * what matters.
	 */
	fd = open_file(q->dirfd[SPOOL_CUR], cur, &st);
	if (fd == -1 && errno != ELOOP && errno != EINVAL && errno != EBUSY &&
	    errno != ENXIO)
		return give_back(q, lfd, name, cur, rel);
	if (fd == -1 || st.st_ino != before.st_ino ||
	    st.st_dev != before.st_dev || (uint64_t)st.st_size != e.size) {
		char where[SPOOL_NAME_SIZE + 8];

		if (fd != -1)
			close(fd);
		snprintf(where, sizeof(where), "cur/%s", cur);
		warnq(q, where, "changed while being claimed; not delivered");
		return SPOOL_EMPTY;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (root = abs_path(q)) == NULL ||
	    asprintf(&m->token, "%s/cur/%s", root, cur) == -1) {
		int err = errno;

		if (m != NULL)
			m->token = NULL;
		free(m);
		close(fd);
		errno = err;
		return give_back(q, lfd, name, cur, rel);
	}
	memcpy(m->id, e.id, SPOOL_ID_SIZE);
	m->attempt = e.attempts + 1;
	m->size = e.size;
	m->deadline_ms = deadline;
	m->priority = e.priority;
	m->fd = fd;
	*msg = m;
	return 0;
}

/* FNV-1a over a directory's identity and mtime, to see if it moved. */
static uint64_t
mix(uint64_t h, const struct stat *st)
{
	const unsigned char *p;
	int64_t v[3] = {
	    (int64_t)st->st_ino, st->st_mtim.tv_sec, st->st_mtim.tv_nsec};
	size_t i;

	p = (const unsigned char *)v;
	for (i = 0; i < sizeof(v); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/*
 * How many of a leaf's smallest names a pass tries: all a retry/ leaf's
 * due ones up to NCAND; up to CLAIM_KEEP of new/'s first leaf when the
 * pass reads it (the untried stay in the handle's cache), and NCAND of
 * them when it takes them from the cache.
 */
#define NCAND 16

/* A candidate: a name in a leaf, kept with that leaf's descriptor. */
struct cand {
	char name[SPOOL_NAME_SIZE];
	const char *rel; /* the leaf, "new/TOP/LEAF"; lives in the pass */
	int lfd;
};

struct pass {
	struct spool *q;
	uint64_t sig; /* the directories listed, and their mtimes */
	int warn;     /* report junk in this pass */
	int64_t now;
	struct cand *c; /* from new/, then from retry/: small, or malloc'ed */
	size_t n;
	size_t keep; /* how many of new/'s leaf to keep: NCAND or CLAIM_KEEP */
	struct cand small[2 * NCAND];
	char rel[2][48]; /* the leaves they came from */
	int fds[2];
	size_t nfds;
	int newfd;  /* the leaf new/'s candidates are in, or -1 */
	int cached; /* new/'s candidates came from the handle's cache */
};

static void
pass_free(struct pass *p)
{
	size_t i;

	for (i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	p->n = p->nfds = 0;
	if (p->c != p->small)
		free(p->c);
	p->c = NULL;
}

static void
pass_init(struct pass *p, struct spool *q)
{
	memset(p, 0, sizeof(*p));
	p->q = q;
	p->sig = 14695981039346656037ULL;
	p->newfd = -1;
	p->keep = NCAND;
	p->c = p->small;
}

static int
cmpcand(const void *a, const void *b)
{
	return strcmp(
	    ((const struct cand *)a)->name, ((const struct cand *)b)->name);
}

/* Lists a small directory, mixing its mtime into the pass's signature. */
static int
list_sig(struct pass *p, int fd, struct names *n)
{
	struct stat st;

	if (fstat(fd, &st) == -1 || list_dir(fd, n) == -1)
		return -1;
	p->sig = mix(p->sig, &st);
	return 0;
}

/* Heap order on candidate names: the largest at h[0]. */
static void
heap_up(const struct cand *c, size_t *h, size_t i)
{
	while (i > 0 && strcmp(c[h[(i - 1) / 2]].name, c[h[i]].name) < 0) {
		size_t t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void
heap_down(const struct cand *c, size_t *h, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < n && strcmp(c[h[l]].name, c[h[m]].name) > 0)
			m = l;
		if (r < n && strcmp(c[h[r]].name, c[h[m]].name) > 0)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* A cheap look at a name: could it be a message file's? */
static int
looks_like_name(const char *name)
{
	return name[0] >= '0' && name[0] <= '9' &&
	       strnlen(name, SPOOL_ID_LEN + 2) == SPOOL_ID_LEN + 2 &&
	       name[SPOOL_ID_LEN] == '.' && name[SPOOL_ID_LEN + 1] == 'a';
}

/* The state of one leaf's scan, for walk_dir(). */
struct leafscan {
	struct pass *p;
	const char *rel;
	int retry, parse, full;
	struct cand *c; /* the K smallest, heap-ordered through h */
	size_t k, max, h[CLAIM_KEEP], seen;
};

static int
scan_name(void *arg, int fd, const char *name, unsigned char type)
{
	struct leafscan *ls = arg;
	struct pass *p = ls->p;
	struct cand *c = ls->c;
	struct spool_entry e;

	ls->seen++;
	if (!looks_like_name(name) ||
	    (ls->parse && parse_name_kind(name, &e) != (ls->retry ? 'd' : 0))) {
		if (p->warn && parse_name_kind(name, &e) < 0) {
			char where[320];

			snprintf(where, sizeof(where), "%s/%s", ls->rel, name);
			warnq(p->q, where, "not a message; skipped");
		}
		return 0;
	}
	if (ls->retry && e.deadline_ms > p->now)
		return 0;
	/* The slow path looks at each file: planted ones cannot crowd out. */
	if (ls->full) {
		struct stat st;

		if ((type != DT_REG && type != DT_UNKNOWN) ||
		    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !is_message(p->q, &st))
			return 0;
	}
	/* Most names cannot enter the K smallest: skip them cheaply. */
	if (ls->k == ls->max && strcmp(name, c[ls->h[0]].name) >= 0)
		return 0;
	if (strnlen(name, SPOOL_NAME_SIZE) >= SPOOL_NAME_SIZE)
		return 0;
	/* A max-heap of the K smallest: replace the largest. */
	if (ls->k < ls->max) {
		ls->h[ls->k] = ls->k;
		memcpy(c[ls->k].name, name, strlen(name) + 1);
		heap_up(c, ls->h, ls->k++);
	} else {
		memcpy(c[ls->h[0]].name, name, strlen(name) + 1);
		heap_down(c, ls->h, ls->k);
	}
	return 0;
}

/*
 * Is NAME in the leaf LFD a message file?  What is not (a link, a FIFO,
 * a directory, a planted hard link, a foreign file) is reported by a
 * pass that reports, and left alone.
 */
static int
leaf_file_ok(struct pass *p, int lfd, const char *rel, const char *name)
{
	struct stat st;
	char where[320];

	if (fstatat(lfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0; /* gone: someone claimed it */
	if (is_message(p->q, &st))
		return 1;
	if (p->warn && !(S_ISREG(st.st_mode) && st.st_nlink == 2)) {
		snprintf(where, sizeof(where), "%s/%s", rel, name);
		warnq(p->q, where,
		    S_ISREG(st.st_mode) ? "not owned by the queue, or "
					  "unreadable; skipped"
					: "not a regular file; skipped");
	}
	return 0;
}

/*
 * Scans one leaf for its smallest claimable names, without sorting
 * or parsing the rest: a leaf may hold thousands.  With FULL, every name
 * is parsed first (the slow path, for a leaf whose smallest names all
 * turned out malformed).  Adds the candidates to the pass and returns
 * how many, or -1.  *SEEN counts every entry.
 */
static int
scan_leaf(
    struct pass *p, int lfd, const char *rel, int retry, int full, size_t *seen)
{
	struct leafscan ls;
	struct spool_entry e;
	struct stat st;
	size_t i, j;

	memset(&ls, 0, sizeof(ls));
	ls.p = p;
	ls.rel = rel;
	ls.retry = retry;
	ls.parse = retry || full;
	ls.full = full;
	ls.max = retry ? NCAND : p->keep;
	ls.c = p->c + p->n;
	if (fstat(lfd, &st) == -1 || walk_dir(lfd, scan_name, &ls) == -1)
		return -1;
	p->sig = mix(p->sig, &st);
	*seen = ls.seen;
	/* Keep the well-formed survivors that are message files. */
	for (i = j = 0; i < ls.k; i++) {
		if (!ls.parse && parse_name_kind(ls.c[i].name, &e) != 0)
			continue;
		if (!full && !leaf_file_ok(p, lfd, rel, ls.c[i].name))
			continue;
		if (i != j)
			memcpy(
			    ls.c[j].name, ls.c[i].name, sizeof(ls.c[j].name));
		ls.c[j].rel = rel;
		ls.c[j].lfd = lfd;
		j++;
	}
	if (j == 0 && ls.k > 0 && !full)
		return scan_leaf(p, lfd, rel, retry, 1, seen);
	p->n += j;
	return (int)j;
}

/* Reports DIR/NAME, which is not a bucket, in a pass that reports. */
static void
junk(struct pass *p, const char *dir, const char *name)
{
	char where[320];

	if (!p->warn)
		return;
	snprintf(where, sizeof(where), "%s/%s", dir, name);
	warnq(p->q, where, "not a bucket directory; left alone");
}

/*
 * Collects candidates from STATE: the smallest names of the first leaf
 * that has any (for retry/, any due ones; leaves there are in due
 * order).  Empty old leaves and tops are removed on the way.
 */
static int
collect(struct pass *p, enum spool_state state)
{
	struct spool *q = p->q;
	int sfd = q->dirfd[state], retry = state == SPOOL_RETRY;
	struct names tops, leaves;
	size_t i, j, seen;
	int found = 0, got, rc = 0;

	if (list_sig(p, sfd, &tops) == -1)
		return seterr(q, "list %s/", spool_state_name(state));
	for (i = 0; i < tops.n && !found && rc == 0; i++) {
		int tfd;

		if (!is_bucket_top(tops.v[i], !retry)) {
			junk(p, spool_state_name(state), tops.v[i]);
			continue;
		}
		if (retry && bucket_start_us(tops.v[i], "000") > p->now * 1000)
			break;
		if ((tfd = open_dir_at(sfd, tops.v[i])) == -1) {
			if (errno != ENOENT && SKIPPABLE(errno))
				junk(p, spool_state_name(state), tops.v[i]);
			if (SKIPPABLE(errno))
				continue;
			rc = seterr(q, "open %s/%s", spool_state_name(state),
			    tops.v[i]);
			break;
		}
		if (list_sig(p, tfd, &leaves) == -1) {
			rc = seterr(q, "list %s/%s", spool_state_name(state),
			    tops.v[i]);
			close(tfd);
			break;
		}
		for (j = 0; j < leaves.n && !found && rc == 0; j++) {
			char *rel = p->rel[retry];
			int lfd;

			if (!is_bucket_leaf(leaves.v[j])) {
				snprintf(rel, sizeof(p->rel[0]), "%s/%s",
				    spool_state_name(state), tops.v[i]);
				junk(p, rel, leaves.v[j]);
				continue;
			}
			if (retry && bucket_start_us(tops.v[i], leaves.v[j]) >
					 p->now * 1000)
				break;
			snprintf(rel, sizeof(p->rel[0]), "%s/%s/%s",
			    spool_state_name(state), tops.v[i], leaves.v[j]);
			if ((lfd = open_dir_at(tfd, leaves.v[j])) == -1) {
				if (errno != ENOENT && SKIPPABLE(errno)) {
					snprintf(rel, sizeof(p->rel[0]),
					    "%s/%s", spool_state_name(state),
					    tops.v[i]);
					junk(p, rel, leaves.v[j]);
				}
				if (SKIPPABLE(errno))
					continue;
				rc = seterr(q, "open %s", rel);
				break;
			}
			if ((got = scan_leaf(p, lfd, rel, retry, 0, &seen)) ==
			    -1) {
				rc = seterr(q, "list %s", rel);
				close(lfd);
				break;
			}
			if (got > 0) {
				if (!retry)
					p->newfd = lfd;
				p->fds[p->nfds++] = lfd;
				found = 1;
				break;
			}
			close(lfd);
			if (got == 0 && seen == 0 &&
			    bucket_is_past(
				bucket_start_us(tops.v[i], leaves.v[j]),
				p->now))
				unlinkat(tfd, leaves.v[j], AT_REMOVEDIR);
		}
		if (leaves.n == 0 &&
		    bucket_is_past(bucket_start_us(tops.v[i], "fff"), p->now))
			unlinkat(sfd, tops.v[i], AT_REMOVEDIR);
		names_free(&leaves);
		close(tfd);
	}
	names_free(&tops);
	return rc;
}

static void
cache_drop(struct spool *q)
{
	if (q->cache == NULL)
		return;
	if (q->cache->lfd != -1)
		close(q->cache->lfd);
	q->cache->lfd = -1;
	q->cache->n = q->cache->pos = 0;
}

/* Takes new/'s next candidates from the cache, if it is fresh.  1 if so. */
static int
cache_use(struct pass *p)
{
	struct claim_cache *c = p->q->cache;
	size_t i;

	if (c == NULL || c->pos >= c->n ||
	    p->now - c->time_ms > CLAIM_CACHE_MS || p->now < c->time_ms) {
		cache_drop(p->q);
		return 0;
	}
	for (i = c->pos; i < c->n && p->n < NCAND; i++) {
		memcpy(p->c[p->n].name, c->name[i], sizeof(c->name[i]));
		p->c[p->n].rel = c->rel;
		p->c[p->n].lfd = c->lfd;
		p->n++;
	}
	p->newfd = c->lfd;
	p->cached = 1;
	return 1;
}

/*
 * After the candidate C[WON] won: a pass that read new/'s leaf hands the
 * leaf and its untried names to the cache; a pass that took its names
 * from the cache moves past the ones it tried.
 */
static void
cache_keep(struct pass *p, size_t won)
{
	struct spool *q = p->q;
	struct claim_cache *c;
	size_t i;

	if (q->cache == NULL) {
		if ((q->cache = calloc(1, sizeof(*q->cache))) == NULL)
			return;
		q->cache->lfd = -1;
	}
	c = q->cache;
	if (p->cached) {
		for (i = 0; i <= won; i++)
			if (p->c[i].lfd == c->lfd)
				c->pos++;
		return;
	}
	cache_drop(q);
	if (p->newfd == -1)
		return;
	for (i = 0; i < p->nfds; i++)
		if (p->fds[i] == p->newfd)
			p->fds[i] = p->fds[--p->nfds];
	c->lfd = p->newfd;
	c->time_ms = p->now;
	snprintf(c->rel, sizeof(c->rel), "%s", p->rel[0]);
	for (i = won + 1; i < p->n && c->n < CLAIM_KEEP; i++)
		if (p->c[i].lfd == c->lfd)
			memcpy(
			    c->name[c->n++], p->c[i].name, sizeof(c->name[0]));
}

/*
 * One pass: gather candidates from new/ (from the handle's cache when
 * USE_CACHE is set and the cache is fresh) and due ones from retry/, and
 * try them in delivery order.  Returns 0 (claimed), SPOOL_EMPTY, or -1.
 */
static int
claim_pass(
    struct pass *p, int64_t lease_ms, int use_cache, struct spool_msg **msg)
{
	size_t i;
	int rc = SPOOL_EMPTY;

	p->now = now_ms();
	/*
	 * A handle's first claim may be its only one (spool pop): it keeps
	 * NCAND names.  Later ones read a leaf for CLAIM_KEEP claims.
	 */
	if (!(use_cache && cache_use(p))) {
		if (p->q->claims > 1) {
			p->c = malloc((CLAIM_KEEP + NCAND) * sizeof(*p->c));
			if (p->c == NULL) {
				p->c = p->small;
				return seterr(p->q, "claim");
			}
			p->keep = CLAIM_KEEP;
		}
		if (collect(p, SPOOL_NEW) == -1)
			rc = -1;
	}
	if (rc == SPOOL_EMPTY && collect(p, SPOOL_RETRY) == -1)
		rc = -1;
	if (p->n > 1)
		qsort(p->c, p->n, sizeof(*p->c), cmpcand);
	for (i = 0; rc == SPOOL_EMPTY && i < p->n; i++) {
		char rel[SPOOL_NAME_SIZE + 64];

		snprintf(rel, sizeof(rel), "%s/%s", p->c[i].rel, p->c[i].name);
		rc = try_claim(
		    p->q, p->c[i].lfd, rel, p->c[i].name, lease_ms, msg);
	}
	if (rc == 0)
		cache_keep(p, i - 1);
	else
		cache_drop(p->q);
	pass_free(p);
	return rc;
}

static int
claim_once(struct spool *q, int64_t lease_ms, struct spool_msg **msg)
{
	struct pass p;
	uint64_t last = 0;
	int i, rc, warn;

	*msg = NULL;
	if (lease_ms <= 0)
		lease_ms = q->cfg.lease_ms;
	/* Junk is reported by a handle's first claim, not by every one. */
	warn = q->claims++ == 0;
	if (reclaim_expired(q, NULL, warn) == -1)
		return -1;
	if (!q->housekept) {
		q->housekept = 1;
		if (sweep_tmp(q, NULL) == -1)
			return -1;
	}
	/*
	 * One listing never proves absence: readdir may skip entries that
	 * others rename meanwhile.  "Empty" needs two passes in a row that
	 * find nothing while no directory they listed changed.
	 */
	for (i = 0; i < MAX_PASSES; i++) {
		pass_init(&p, q);
		p.warn = warn && i == 0;
		if ((rc = claim_pass(&p, lease_ms, i == 0, msg)) != SPOOL_EMPTY)
			return rc;
		if (i > 0 && p.sig == last)
			break;
		last = p.sig;
	}
	return SPOOL_EMPTY;
}

/*
 * Peeks: is anything claimable right now?  Returns 1, 0, or -1.  Used by
 * spool_wait() after arming its watches, so that a push that landed just
 * before is not slept through.
 */
int
claimable(struct spool *q)
{
	struct pass p;
	int rc;

	pass_init(&p, q);
	p.now = now_ms();
	rc = collect(&p, SPOOL_NEW) == -1 || collect(&p, SPOOL_RETRY) == -1
		 ? -1
		 : p.n > 0;
	pass_free(&p);
	return rc;
}

/*
 * Resolves TOKEN to its name in cur/: the token's directory, if it has
 * one, must be this queue's cur/, and its name must be a cur/ name.
 * Fills E.  Returns 0 or -1 (EINVAL).
 */
static int
token_name(struct spool *q, const char *token, struct spool_entry *e)
{
	const char *base = strrchr(token, '/');
	struct stat a, b;

	if (base != NULL) {
		char *dir = strndup(token, (size_t)(base - token));
		int rc;

		if (dir == NULL)
			return seterr(q, "token");
		rc = stat(*dir ? dir : "/", &a);
		free(dir);
		if (rc == -1 || fstat(q->dirfd[SPOOL_CUR], &b) == -1 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			errno = EINVAL;
			return seterr(q, "not a token of this queue");
		}
		base++;
	} else
		base = token;
	if (parse_name_kind(base, e) != 'l') {
		errno = EINVAL;
		return seterr(q, "not a spool token");
	}
	return 0;
}

/*
 * Finds the current cur/ name of the claim (ID, ATTEMPT): the token's own
 * name unless a touch renamed it.  Returns 0, SPOOL_STALE, or -1.
 */
static int
find_claim(
    struct spool *q, const struct spool_entry *want, char name[SPOOL_NAME_SIZE])
{
	struct names n;
	struct spool_entry e;
	size_t i;
	struct stat st;

	/* Only a regular file is a claim: a planted link is never acted on. */
	if (fstatat(q->dirfd[SPOOL_CUR], want->name, &st,
		AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode)) {
		snprintf(name, SPOOL_NAME_SIZE, "%s", want->name);
		return 0;
	}
	if (list_dir(q->dirfd[SPOOL_CUR], &n) == -1)
		return seterr(q, "list cur/");
	for (i = 0; i < n.n; i++)
		if (parse_name_kind(n.v[i], &e) == 'l' &&
		    strcmp(e.id, want->id) == 0 &&
		    e.attempts == want->attempts &&
		    fstatat(q->dirfd[SPOOL_CUR], n.v[i], &st,
			AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			snprintf(name, SPOOL_NAME_SIZE, "%s", n.v[i]);
			names_free(&n);
			return 0;
		}
	names_free(&n);
	return SPOOL_STALE;
}

/* Runs OP on the claim behind TOKEN, following touches; bounded. */
#define SETTLE_TRIES 8

static int
ack_once(struct spool *q, const char *token)
{
	struct spool_entry e;
	char name[SPOOL_NAME_SIZE];
	int i, rc;

	if (token_name(q, token, &e) == -1)
		return -1;
	for (i = 0; i < SETTLE_TRIES; i++) {
		if ((rc = find_claim(q, &e, name)) != 0)
			return rc;
		if (unlinkat(q->dirfd[SPOOL_CUR], name, 0) == 0) {
			history_remove(q, e.id);
			return 0;
		}
		if (errno != ENOENT)
			return seterr(q, "ack cur/%s", name);
	}
	return SPOOL_STALE;
}

int
backoff_ms(const struct spool_config *c, unsigned attempt, int64_t *ms)
{
	int64_t cap = c->backoff_min_ms;
	uint64_t r;
	unsigned i;

	for (i = 1; i < attempt && cap < c->backoff_max_ms; i++)
		cap *= 2;
	if (cap > c->backoff_max_ms)
		cap = c->backoff_max_ms;
	/* Full jitter: anywhere in [0, cap], so failures do not align. */
	if (cap <= 0) {
		*ms = 0;
		return 0;
	}
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)now_us() * 6364136223846793005ULL;
	*ms = (int64_t)(r % ((uint64_t)cap + 1));
	return 0;
}

/*
 * Sends the cur/ file NAME (message E) to dead/ or to retry/ due at DUE.
 * Returns 0, SPOOL_STALE when it is gone, or -1.
 */
int
settle_move(struct spool *q, const char *name, const struct spool_entry *e,
    int dead, int64_t due)
{
	struct target t;
	char rel[SPOOL_NAME_SIZE + 8];
	int lfd, rc;

	if (target_of(e->id, e->size, dead ? SPOOL_DEAD : SPOOL_RETRY,
		e->attempts, due, &t) == -1)
		return seterr(q, "nack %s", e->id);
	snprintf(rel, sizeof(rel), "cur/%s", name);
	rc = move_into(q, q->dirfd[SPOOL_CUR], name, rel,
	    dead ? SPOOL_DEAD : SPOOL_RETRY, &t, &lfd);
	if (rc == SPOOL_EMPTY)
		return SPOOL_STALE;
	if (rc == EEXIST) {
		errno = EEXIST;
		return seterr(q, "move %s", rel);
	}
	if (rc == -1)
		return -1;
	rc = fsync_dir(q, lfd, t.leaf);
	close(lfd);
	return rc;
}

static int
nack_once(struct spool *q, const char *token, int64_t delay_ms, unsigned flags,
    const char *reason)
{
	struct spool_entry e;
	char name[SPOOL_NAME_SIZE];
	int i, rc, dead;
	int64_t delay = delay_ms;

	if (token_name(q, token, &e) == -1)
		return -1;
	dead = (flags & SPOOL_NACK_DEAD) || e.attempts >= q->cfg.max_attempts;
	if (flags & SPOOL_NACK_RELEASE)
		dead = 0, delay = 0;
	else if (delay < 0)
		backoff_ms(&q->cfg, e.attempts, &delay);
	for (i = 0; i < SETTLE_TRIES; i++) {
		if ((rc = find_claim(q, &e, name)) != 0)
			return rc;
		if (flags & SPOOL_NACK_RELEASE) {
			/* The file keeps the claim's size and ID; undo the
			 * bump. */
			struct spool_entry back = e;

			back.attempts = e.attempts > 0 ? e.attempts - 1 : 0;
			rc = settle_move(q, name, &back, 0, now_ms());
		} else
			rc = settle_move(q, name, &e, dead, now_ms() + delay);
		if (rc == 0 && reason != NULL)
			/* The history is a diagnostic: its failure is not. */
			history_append(q, e.id, e.attempts, reason);
		if (rc != SPOOL_STALE)
			return rc;
	}
	return SPOOL_STALE;
}

static int
touch_once(
    struct spool *q, const char *token, int64_t lease_ms, char **newtoken)
{
	struct spool_entry e, cur;
	char name[SPOOL_NAME_SIZE], to[SPOOL_NAME_SIZE];
	int i, rc;
	int64_t now, deadline;

	if (token_name(q, token, &e) == -1)
		return -1;
	if (lease_ms <= 0)
		lease_ms = q->cfg.lease_ms;
	for (i = 0; i < SETTLE_TRIES; i++) {
		if ((rc = find_claim(q, &e, name)) != 0)
			return rc;
		if (parse_name_kind(name, &cur) != 'l')
			return SPOOL_STALE;
		now = now_ms();
		/* A lapsed lease may be reclaimed at any moment: too late. */
		if (cur.deadline_ms < now)
			return SPOOL_STALE;
		deadline = now + lease_ms;
		if (deadline <= cur.deadline_ms) {
			snprintf(to, sizeof(to), "%s", name);
			goto done;
		}
		if (format_name(to, sizeof(to), cur.id, cur.attempts, cur.size,
			'l', deadline) == -1)
			return seterr(q, "touch");
		if (move_noreplace(q, q->dirfd[SPOOL_CUR], name,
			q->dirfd[SPOOL_CUR], to) == 0)
			goto done;
		if (errno != ENOENT && errno != EEXIST)
			return seterr(q, "touch cur/%s", name);
	}
	return SPOOL_STALE;
done:
	if (newtoken != NULL) {
		const char *root = abs_path(q);

		if (root == NULL ||
		    asprintf(newtoken, "%s/cur/%s", root, to) == -1)
			return seterr(q, "touch");
	}
	return 0;
}

int
spool_claim(struct spool *q, int64_t lease_ms, struct spool_msg **msg)
{
	RETRY_ESTALE(q, claim_once(q, lease_ms, msg));
}

int
spool_ack(struct spool *q, const char *token)
{
	RETRY_ESTALE(q, ack_once(q, token));
}

int
spool_nack(struct spool *q, const char *token, int64_t delay_ms, unsigned flags,
    const char *reason)
{
	RETRY_ESTALE(q, nack_once(q, token, delay_ms, flags, reason));
}

int
spool_touch(
    struct spool *q, const char *token, int64_t lease_ms, char **newtoken)
{
	RETRY_ESTALE(q, touch_once(q, token, lease_ms, newtoken));
}
