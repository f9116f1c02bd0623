/*
 * dir.c: directories inside a queue.  Every open is relative to a
 * directory descriptor and refuses symlinks; every move is a rename that
 * cannot replace what is already there.
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

int
open_dir_at(int dirfd, const char *name)
{
	return openat(
	    dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
fsync_dir(struct spool *q, int fd, const char *what)
{
	if (q->flags & SPOOL_NOSYNC)
		return 0;
	if (fsync(fd) == -1) {
		q->sync_failed = 1;
		return seterr(q, "fsync %s", what);
	}
	return 0;
}

/* mkdirat that tolerates EEXIST; sets *made when it created NAME. */
static int
make_dir(struct spool *q, int dirfd, const char *name, int *made)
{
	int fd;

	*made = 0;
	if (mkdirat(dirfd, name, 0700) == -1)
		return errno == EEXIST ? 0 : -1;
	*made = 1;
	/* The queue's mode, whatever the umask: a group queue stays shared. */
	if ((fd = open_dir_at(dirfd, name)) == -1)
		return -1;
	if (fchmod(fd, q->dirmode) == -1) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Opens the leaf bucket TOP/LEAF of STATE, creating it (and fsyncing the
 * directories that gained an entry) when CREATE is set.  Returns a
 * descriptor, or -1 (ENOENT when it does not exist and CREATE is 0).
 */
static int
open_bucket_once(struct spool *q, enum spool_state state, const char *top,
    const char *leaf, int create, int *created)
{
	int sfd = q->dirfd[state], tfd, lfd, made;
	const char *sname = spool_state_name(state);

	if (create) {
		if (make_dir(q, sfd, top, &made) == -1)
			return seterr(q, "mkdir %s/%s", sname, top);
		if (made && fsync_dir(q, sfd, sname) == -1)
			return -1;
	}
	if ((tfd = open_dir_at(sfd, top)) == -1)
		return seterr(q, "open %s/%s", sname, top);
	if (create) {
		if (make_dir(q, tfd, leaf, &made) == -1) {
			seterr(q, "mkdir %s/%s/%s", sname, top, leaf);
			goto fail;
		}
		if (made && fsync_dir(q, tfd, top) == -1)
			goto fail;
		if (made && created != NULL)
			*created = 1;
	}
	if ((lfd = open_dir_at(tfd, leaf)) == -1) {
		seterr(q, "open %s/%s/%s", sname, top, leaf);
		goto fail;
	}
	close(tfd);
	return lfd;
fail:
	made = errno;
	close(tfd);
	errno = made;
	return -1;
}

int
open_bucket(struct spool *q, enum spool_state state, const char *top,
    const char *leaf, int create, int *created)
{
	int i, fd;

	if (created != NULL)
		*created = 0;
	/*
	 * A cleanup may remove an empty bucket between our mkdir and our
	 * open or the mkdir of the leaf inside it: make it again.
	 */
	for (i = 0; i < 8; i++)
		if ((fd = open_bucket_once(
			 q, state, top, leaf, create, created)) != -1 ||
		    !create || errno != ENOENT)
			return fd;
	return -1;
}

/*
 * Renames FROM to TO without ever replacing TO: renameat2 with
 * RENAME_NOREPLACE, or, where the filesystem refuses that flag (FUSE,
 * NFS), a hard link then an unlink of the source.  In that window the
 * file has two names and a link count of 2, which readers treat as "not
 * ready".  Returns 0 or -1 with errno (ENOENT: FROM is gone, taken by
 * another mover, or the target directory was removed; EEXIST: TO
 * exists).
 */
int
move_noreplace(
    struct spool *q, int fromfd, const char *from, int tofd, const char *to)
{
	(void)q;
	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(fromfd, from, tofd, to, 0) == -1)
		return -1;
	/*
	 * Two movers can both link the source; the one whose unlink of it
	 * succeeds has moved it.  The other takes its link back and lost.
	 */
	if (unlinkat(fromfd, from, 0) == -1) {
		int err = errno;

		unlinkat(tofd, to, 0);
		errno = err;
		return -1;
	}
	return 0;
}

#define BUCKET_RETRIES 16

int
move_into(struct spool *q, int fromfd, const char *from, const char *fromrel,
    enum spool_state state, const struct target *t, int *lfd)
{
	struct stat st;
	int i;

	for (i = 0; i < BUCKET_RETRIES; i++) {
		if ((*lfd = open_bucket(q, state, t->top, t->leaf, 1, NULL)) ==
		    -1)
			return -1;
		if (move_noreplace(q, fromfd, from, *lfd, t->name) == 0)
			return 0;
		if (errno == EEXIST) {
			close(*lfd);
			*lfd = -1;
			return EEXIST;
		}
		if (errno != ENOENT) {
			seterr(q, "rename %s to %s/%s/%s/%s", fromrel,
			    spool_state_name(state), t->top, t->leaf, t->name);
			close(*lfd);
			*lfd = -1;
			return -1;
		}
		/*
		 * ENOENT: the source is gone, or a concurrent cleanup removed
		 * the bucket after we made it (make it again).  On NFS a
		 * retransmitted rename may also report ENOENT after it
		 * worked: the source gone and the target present is success.
		 * That reading is sound only for a tmp/ file, whose target
		 * name no other mover can make; two movers of one message
		 * (two reclaims, two kicks) can make the same target name,
		 * and then the loser would count the winner's move as its own.
		 */
		if (fstatat(fromfd, from, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (fromfd == q->tmpfd && fstatat(*lfd, t->name, &st,
						      AT_SYMLINK_NOFOLLOW) == 0)
				return 0;
			close(*lfd);
			*lfd = -1;
			return SPOOL_EMPTY;
		}
		close(*lfd);
	}
	*lfd = -1;
	errno = EAGAIN;
	return seterr(q, "bucket %s/%s/%s keeps disappearing",
	    spool_state_name(state), t->top, t->leaf);
}

int
walk_dir(int fd, int (*fn)(void *, int, const char *, unsigned char), void *arg)
{
	struct dirent *de;
	DIR *d;
	int dfd, rc = 0, err;

	if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		err = errno;
		close(dfd);
		errno = err;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = -1;
			break;
		}
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' ||
			(de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if ((rc = fn(arg, fd, de->d_name, de->d_type)) != 0)
			break;
	}
	err = errno;
	closedir(d);
	errno = err;
	return rc;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
names_free(struct names *n)
{
	free(n->v);
	free(n->buf);
	memset(n, 0, sizeof(*n));
}

/*
 * Names go into one growing buffer, not a malloc each: while it grows
 * they are kept as offsets, made pointers once the directory is read.
 */
static int
add_name(void *arg, int fd, const char *name, unsigned char type)
{
	struct names *n = arg;
	size_t len = strlen(name);

	(void)fd;
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 64;
		char **v = realloc(n->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		n->v = v;
		n->cap = cap;
	}
	if (n->size - n->used < len + 2) {
		size_t size = n->size ? n->size * 2 : 4096;
		char *buf;

		while (size - n->used < len + 2)
			size *= 2;
		if ((buf = realloc(n->buf, size)) == NULL)
			return -1;
		n->buf = buf;
		n->size = size;
	}
	/* The d_type rides in the byte before the name. */
	n->buf[n->used] = (char)type;
	memcpy(n->buf + n->used + 1, name, len + 1);
	n->v[n->n++] = (char *)(uintptr_t)(n->used + 1);
	n->used += len + 2;
	return 0;
}

/*
 * Reads every name in the directory FD (but "." and ".."), sorted.
 * Returns 0 or -1; on failure N is empty.
 */
int
list_dir(int fd, struct names *n)
{
	size_t i;
	int err;

	memset(n, 0, sizeof(*n));
	if (walk_dir(fd, add_name, n) != 0) {
		err = errno;
		names_free(n);
		errno = err;
		return -1;
	}
	for (i = 0; i < n->n; i++)
		n->v[i] = n->buf + (uintptr_t)n->v[i];
	if (n->n > 1)
		qsort(n->v, n->n, sizeof(*n->v), cmpstr);
	return 0;
}
