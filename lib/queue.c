/*
 * queue.c: finding, creating, opening and closing a queue.
 *
 * The queue directory is opened once, and may be reached through a
 * symlink (that is the administrator's choice); everything inside it is
 * opened relative to its descriptor without following links, so nothing
 * planted in the queue can send spool elsewhere.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char *const subdirs[] = {
    "tmp", "new", "cur", "retry", "dead", "info"};
#define NSUBDIRS (sizeof(subdirs) / sizeof(subdirs[0]))

static _Thread_local char open_err[ERRBUF_SIZE];

const char *
spool_open_error(void)
{
	return open_err;
}

static int
is_queue_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
			s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (s == NULL)
		return NULL;
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

char *
spool_default_root(void)
{
	const char *e;
	char *base, *root;

	if ((e = getenv("SPOOL_DIR")) != NULL && *e != '\0')
		return strdup(e);
	if ((e = getenv("XDG_STATE_HOME")) != NULL && e[0] == '/')
		return join(e, "spool");
	if ((e = getenv("HOME")) == NULL || *e == '\0') {
		errno = ENOENT;
		return NULL;
	}
	if ((base = join(e, ".local/state")) == NULL)
		return NULL;
	root = join(base, "spool");
	free(base);
	return root;
}

char *
spool_resolve(const char *queue)
{
	char *root, *path;

	if (strchr(queue, '/') != NULL)
		return strdup(queue);
	if (!is_queue_name(queue)) {
		errno = EINVAL;
		return NULL;
	}
	if ((root = spool_default_root()) == NULL)
		return NULL;
	path = join(root, queue);
	free(root);
	return path;
}

/* mkdir -p for the parents of PATH (and PATH itself), mode 0755/MODE. */
static int
make_path(const char *path, unsigned mode)
{
	char *p, *s;
	int rc = 0;

	if ((s = strdup(path)) == NULL)
		return -1;
	for (p = s + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, 0755) == -1 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*p = '/';
	}
	if (rc == 0 && mkdir(s, mode) == -1 && errno != EEXIST)
		rc = -1;
	free(s);
	return rc;
}

/* Makes or repairs one subdirectory: a planted symlink is replaced. */
static int
init_subdir(int rootfd, const char *name, unsigned mode, int setmode)
{
	struct stat st;
	int fd, err;

	if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode) && unlinkat(rootfd, name, 0) == -1)
		return -1;
	if (mkdirat(rootfd, name, 0700) == 0)
		setmode = 1;
	else if (errno != EEXIST)
		return -1;
	if ((fd = open_dir_at(rootfd, name)) == -1)
		return -1;
	if (setmode && fchmod(fd, mode) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

int
spool_init(const char *path, const struct spool_config *cfg, unsigned mask,
    unsigned mode)
{
	struct spool q;
	struct spool_config def, out;
	struct stat st;
	int rootfd, setmode = mode != 0, fresh = 0, err;
	size_t i;

	memset(&q, 0, sizeof(q));
	if (mode == 0)
		mode = 0700;
	if (make_path(path, 0700) == -1)
		return -1;
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd == -1)
		return -1;
	if (fstat(rootfd, &st) == -1)
		goto fail;
	if (fstatat(rootfd, "config", &st, AT_SYMLINK_NOFOLLOW) == -1)
		fresh = 1;
	if ((setmode || fresh) && fchmod(rootfd, mode) == -1)
		goto fail;
	if (fstat(rootfd, &st) == -1)
		goto fail;
	mode = st.st_mode & 07777;
	for (i = 0; i < NSUBDIRS; i++)
		if (init_subdir(rootfd, subdirs[i], mode, setmode) == -1)
			goto fail;
	/* Start from the settings on disk; a bad file starts afresh. */
	q.rootfd = rootfd;
	if (read_config(&q) == -1)
		spool_config_default(&q.cfg);
	out = q.cfg;
	spool_config_default(&def);
	if (cfg == NULL)
		cfg = &def;
	if (mask & SPOOL_SET_MAX_ATTEMPTS)
		out.max_attempts = cfg->max_attempts;
	if (mask & SPOOL_SET_LEASE)
		out.lease_ms = cfg->lease_ms;
	if (mask & SPOOL_SET_BACKOFF) {
		out.backoff_min_ms = cfg->backoff_min_ms;
		out.backoff_max_ms = cfg->backoff_max_ms;
	}
	if (out.max_attempts < 1 || out.lease_ms < 1 ||
	    out.backoff_min_ms < 0 || out.backoff_max_ms < out.backoff_min_ms) {
		errno = EINVAL;
		goto fail;
	}
	if (write_config(rootfd, &out, mode, 0) == -1)
		goto fail;
	close(rootfd);
	return 0;
fail:
	err = errno;
	close(rootfd);
	errno = err;
	return -1;
}

int
spool_set_group(const char *path, unsigned gid)
{
	int rootfd, fd, rc = 0, err = 0;
	size_t i;

	if ((rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fchown(rootfd, (uid_t)-1, gid) == -1)
		rc = -1, err = errno;
	for (i = 0; i < NSUBDIRS && rc == 0; i++) {
		if ((fd = open_dir_at(rootfd, subdirs[i])) == -1 ||
		    fchown(fd, (uid_t)-1, gid) == -1)
			rc = -1, err = errno;
		if (fd != -1)
			close(fd);
	}
	if (rc == 0) {
		fd =
		    openat(rootfd, "config", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 || fchown(fd, (uid_t)-1, gid) == -1)
			rc = -1, err = errno;
		if (fd != -1)
			close(fd);
	}
	close(rootfd);
	errno = err;
	return rc;
}

/* Records why spool_open() failed, frees Q, returns NULL with ERR. */
static struct spool *
open_fail(struct spool *q, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(open_err, sizeof(open_err), fmt, ap);
	va_end(ap);
	spool_close(q);
	errno = err;
	return NULL;
}

/*
 * Opens the subdirectory NAME of the queue into *FD, or fails the open
 * saying what is wrong: missing (ENOENT), not a directory or a symlink
 * (ENOTDIR), or the system's reason.
 */
static struct spool *
open_sub(struct spool *q, const char *name, int *fd)
{
	int err;

	if ((*fd = open_dir_at(q->rootfd, name)) != -1)
		return q;
	err = errno;
	if (err == ENOENT)
		return open_fail(q, ENOENT,
		    "not a queue: %s/ is missing (spool init repairs it)",
		    name);
	if (err == ELOOP || err == ENOTDIR)
		return open_fail(q, ENOTDIR,
		    "not a queue: %s/ is not a directory (spool init repairs "
		    "it)",
		    name);
	return open_fail(q, err, "%s/: %s", name, strerror(err));
}

struct spool *
spool_open(const char *path, unsigned flags)
{
	struct spool *q;
	struct stat st;
	int i, err;

	open_err[0] = '\0';
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return open_fail(NULL, errno, "%s", strerror(errno));
	q->rootfd = q->tmpfd = q->infofd = q->inotifyfd = q->entfd = -1;
	for (i = 0; i < SPOOL_NSTATES; i++)
		q->dirfd[i] = -1;
	q->flags = flags;
	if ((q->path = strdup(path)) == NULL)
		return open_fail(q, errno, "%s", strerror(errno));
	q->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->rootfd == -1 && errno == ENOENT && (flags & SPOOL_CREATE)) {
		if (spool_init(path, NULL, 0, 0) == -1)
			return open_fail(
			    q, errno, "cannot create: %s", strerror(errno));
		q->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (q->rootfd == -1) {
		err = errno;
		if (err == ENOENT)
			return open_fail(q, err, "no such queue");
		return open_fail(q, err, "%s", strerror(err));
	}
	if (fstat(q->rootfd, &st) == -1)
		return open_fail(q, errno, "%s", strerror(errno));
	q->dirmode = st.st_mode & 07777;
	q->uid = st.st_uid;
	q->gid = st.st_gid;
	q->filemode = q->dirmode & 0666;
	for (i = 0; i < SPOOL_NSTATES; i++)
		if (open_sub(q, spool_state_name(i), &q->dirfd[i]) == NULL)
			return NULL;
	if (open_sub(q, "tmp", &q->tmpfd) == NULL)
		return NULL;
	if (read_config(q) == -1) {
		snprintf(open_err, sizeof(open_err), "%s", q->err);
		err = errno;
		spool_close(q);
		errno = err;
		return NULL;
	}
	return q;
}

int
reopen(struct spool *q)
{
	struct spool *fresh;
	struct spool tmp;
	int err;

	if ((fresh = spool_open(q->path, q->flags & ~SPOOL_CREATE)) == NULL) {
		err = errno;
		snprintf(q->err, sizeof(q->err), "%s", spool_open_error());
		errno = err;
		return -1;
	}
	/* Swap the descriptors and settings; keep the caller's handle. */
	tmp = *q;
	q->rootfd = fresh->rootfd;
	memcpy(q->dirfd, fresh->dirfd, sizeof(q->dirfd));
	q->tmpfd = fresh->tmpfd;
	q->infofd = fresh->infofd;
	q->inotifyfd = fresh->inotifyfd;
	q->cfg = fresh->cfg;
	q->dirmode = fresh->dirmode;
	q->filemode = fresh->filemode;
	fresh->rootfd = tmp.rootfd;
	memcpy(fresh->dirfd, tmp.dirfd, sizeof(fresh->dirfd));
	fresh->tmpfd = tmp.tmpfd;
	fresh->infofd = tmp.infofd;
	fresh->inotifyfd = tmp.inotifyfd;
	fresh->cache = q->cache;
	q->cache = NULL;
	fresh->entfd = q->entfd;
	q->entfd = -1;
	spool_close(fresh);
	return 0;
}

void
spool_close(struct spool *q)
{
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < SPOOL_NSTATES; i++)
		if (q->dirfd[i] != -1)
			close(q->dirfd[i]);
	if (q->rootfd != -1)
		close(q->rootfd);
	if (q->tmpfd != -1)
		close(q->tmpfd);
	if (q->infofd != -1)
		close(q->infofd);
	if (q->inotifyfd != -1)
		close(q->inotifyfd);
	if (q->cache != NULL && q->cache->lfd != -1)
		close(q->cache->lfd);
	free(q->cache);
	if (q->entfd != -1)
		close(q->entfd);
	free(q->path);
	free(q->abspath);
	free(q);
}

struct spool *
spool_open_token(const char *token, unsigned flags)
{
	struct spool_entry e;
	const char *base, *p;
	char *root;
	struct spool *q;
	size_t len;

	if ((base = strrchr(token, '/')) == NULL ||
	    parse_name_kind(base + 1, &e) != 'l')
		goto inval;
	/* TOKEN is ROOT/cur/NAME. */
	len = (size_t)(base - token);
	if (len < 3 || memcmp(base - 3, "cur", 3) != 0)
		goto inval;
	p = base - 3;
	if (p != token && p[-1] != '/')
		goto inval;
	len = p == token ? 0 : (size_t)(p - token - 1);
	if ((root = strndup(token, len == 0 ? 1 : len)) == NULL)
		return NULL;
	if (len == 0)
		root[0] = p == token ? '.' : '/';
	q = spool_open(root, flags & ~SPOOL_CREATE);
	free(root);
	return q;
inval:
	snprintf(open_err, sizeof(open_err), "not a spool token");
	errno = EINVAL;
	return NULL;
}

int
is_message(const struct spool *q, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    !(st->st_mode & S_IRUSR))
		return 0;
	return st->st_uid == q->uid ||
	       ((q->dirmode & 0070) != 0 && st->st_gid == q->gid);
}

const char *
spool_error(const struct spool *q)
{
	return q->err;
}

const char *
spool_path(const struct spool *q)
{
	return q->path;
}

const struct spool_config *
spool_config(const struct spool *q)
{
	return &q->cfg;
}

void
spool_set_warn(struct spool *q, spool_warn_fn *fn, void *arg)
{
	q->warn = fn;
	q->warnarg = arg;
}
