/*
 * archive.c: export and import through libarchive.
 *
 * An archive is "spool-header", then one entry per message named
 * STATE/NAME (and "info/ID" after it when it has a history), then
 * "spool-manifest" with the count per state.  Entry names never carry a
 * bucket: an import recomputes where each message goes, so the archive
 * cannot steer a write.
 *
 * Export keeps this invariant on a live queue: a message present for the
 * whole export is in the archive exactly once.  One scan of a directory
 * can miss or repeat entries while others rename, and a message can move
 * from a state not yet scanned to one already scanned, so the queue is
 * scanned again and again, skipping IDs already written (a hash set of
 * 16-byte packed IDs), until a pass adds no message older than the export
 * and no file vanished under us.  Memory is that set, O(messages): 16
 * bytes per ID in a table at most 70% full, and while it doubles the old
 * table beside the new: at most about 70 bytes per message.
 *
 * Import treats the archive as hostile: only regular entries whose names
 * match the message grammar exactly, sizes bounded by header and by
 * bytes read, entry count and total bytes bounded; data goes through
 * tmp/ and the durable publish path, in group commits (one syncfs for
 * the data of a batch, then renames, then one fsync per bucket).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_dl.h"
#include "internal.h"

#define HEADER_NAME "spool-header"
#define MANIFEST_NAME "spool-manifest"
#define ARCHIVE_VERSION 1
#define META_MAX 65536
#define IOBUF_SIZE (1 << 16)
#define EXPORT_MAX_PASSES 16
#define BUSY_PASSES 4 /* after so many, two links is no move under way */
#define IMPORT_MAX_ENTRIES 10000000ULL
#define IMPORT_MAX_TOTAL (64ULL << 30)
#define BATCH_MAX 1024
#define BATCH_BYTES (64ULL << 20)
#define BATCH_AGE_MS 1000
#define WRITEBACK_CHUNK (8 << 20)

static const char *const format_names[] = {
    NULL, "tar", "pax", "cpio", "zip", "7zip"};
static const char *const compress_names[] = {
    NULL, "none", "gzip", "bzip2", "xz", "zstd", "lz4"};

static int
lookup(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 1; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	errno = EINVAL;
	return -1;
}

int
spool_format_parse(const char *s)
{
	if (strcmp(s, "7z") == 0)
		return SPOOL_FORMAT_7ZIP;
	return lookup(format_names, 6, s);
}

int
spool_compress_parse(const char *s)
{
	if (strcmp(s, "gz") == 0)
		return SPOOL_COMPRESS_GZIP;
	if (strcmp(s, "zst") == 0)
		return SPOOL_COMPRESS_ZSTD;
	return lookup(compress_names, 7, s);
}

static int
has_suffix(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);

	return len > n && strncmp(s + len - n, suf, n) == 0;
}

int
spool_format_guess(const char *file, int *format, int *compress)
{
	static const struct {
		const char *suf;
		int format, compress;
	} t[] = {
	    {".tgz", SPOOL_FORMAT_TAR, SPOOL_COMPRESS_GZIP},
	    {".taz", SPOOL_FORMAT_TAR, SPOOL_COMPRESS_GZIP},
	    {".tbz", SPOOL_FORMAT_TAR, SPOOL_COMPRESS_BZIP2},
	    {".tbz2", SPOOL_FORMAT_TAR, SPOOL_COMPRESS_BZIP2},
	    {".txz", SPOOL_FORMAT_TAR, SPOOL_COMPRESS_XZ},
	    {".tzst", SPOOL_FORMAT_TAR, SPOOL_COMPRESS_ZSTD},
	    {".tlz4", SPOOL_FORMAT_TAR, SPOOL_COMPRESS_LZ4},
	    {".zip", SPOOL_FORMAT_ZIP, SPOOL_COMPRESS_NONE},
	    {".7z", SPOOL_FORMAT_7ZIP, SPOOL_COMPRESS_NONE},
	};
	static const struct {
		const char *suf;
		int compress;
	} c[] = {
	    {".gz", SPOOL_COMPRESS_GZIP},
	    {".bz2", SPOOL_COMPRESS_BZIP2},
	    {".xz", SPOOL_COMPRESS_XZ},
	    {".zst", SPOOL_COMPRESS_ZSTD},
	    {".lz4", SPOOL_COMPRESS_LZ4},
	};
	static const struct {
		const char *suf;
		int format;
	} f[] = {
	    {".tar", SPOOL_FORMAT_TAR},
	    {".pax", SPOOL_FORMAT_PAX},
	    {".cpio", SPOOL_FORMAT_CPIO},
	};
	size_t len = strlen(file), i;
	int found = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (has_suffix(file, len, t[i].suf)) {
			*format = t[i].format;
			*compress = t[i].compress;
			return 0;
		}
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (has_suffix(file, len, c[i].suf)) {
			*compress = c[i].compress;
			len -= strlen(c[i].suf);
			found = 1;
			break;
		}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (has_suffix(file, len, f[i].suf)) {
			*format = f[i].format;
			if (!found)
				*compress = SPOOL_COMPRESS_NONE;
			return 0;
		}
	if (found)
		return 0;
	errno = EINVAL;
	return -1;
}

/*
 * A set of IDs, each packed into 16 bytes: the priority digit and the 30
 * hex digits as nibbles, then a final 0xf nibble so that no packed ID is
 * all zeros (the empty slot).  Open addressing, kept at most 70% full.
 */
struct idset {
	unsigned char (*v)[16];
	size_t cap, n;
};

static unsigned
nibble(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

static void
id_pack(const char *id, unsigned char k[16])
{
	int i;

	for (i = 0; i < SPOOL_ID_LEN - 1; i += 2)
		k[i / 2] =
		    (unsigned char)(nibble(id[i]) << 4 | nibble(id[i + 1]));
	k[15] = (unsigned char)(nibble(id[SPOOL_ID_LEN - 1]) << 4 | 0x0f);
}

static size_t
id_hash(const unsigned char k[16], size_t cap)
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, k + 8, 8);
	a = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
	return (size_t)(a ^ (a >> 31)) & (cap - 1);
}

static int
idset_grow(struct idset *s)
{
	static const unsigned char zero[16];
	unsigned char(*old)[16] = s->v;
	size_t oldcap = s->cap, i, j;

	s->cap = oldcap ? oldcap * 2 : 4096;
	if ((s->v = calloc(s->cap, 16)) == NULL) {
		s->v = old;
		s->cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++) {
		if (memcmp(old[i], zero, 16) == 0)
			continue;
		for (j = id_hash(old[i], s->cap); s->v[j][15] != 0;
		     j = (j + 1) & (s->cap - 1))
			;
		memcpy(s->v[j], old[i], 16);
	}
	free(old);
	return 0;
}

/* Adds K, an ID id_pack()ed; 1 if it was new, 0 if there, -1 (ENOMEM). */
static int
idset_add(struct idset *s, const unsigned char k[16])
{
	size_t j;

	if ((s->n + 1) * 10 > s->cap * 7 && idset_grow(s) == -1)
		return -1;
	for (j = id_hash(k, s->cap); s->v[j][15] != 0;
	     j = (j + 1) & (s->cap - 1))
		if (memcmp(s->v[j], k, 16) == 0)
			return 0;
	memcpy(s->v[j], k, 16);
	s->n++;
	return 1;
}

static int
idset_has(const struct idset *s, const unsigned char k[16])
{
	size_t j;

	if (s->cap == 0)
		return 0;
	for (j = id_hash(k, s->cap); s->v[j][15] != 0;
	     j = (j + 1) & (s->cap - 1))
		if (memcmp(s->v[j], k, 16) == 0)
			return 1;
	return 0;
}

/* Export. */

struct exporter {
	struct spool *q;
	const struct spool_export_opts *o;
	struct spool_export_report *r;
	struct archive *a;
	struct archive_entry *ent;
	struct idset seen;
	struct idset hist; /* IDs with a history file in info/ */
	FILE *movelog; /* "STATE NAME" of each archived message, for --move */
	char *buf;
	int64_t start_ms;
	uint64_t added_old, vanished, histories;
	unsigned pass;
	int bfd, bstate; /* the bucket last opened */
	char bucket[24];
	int64_t ino;
	int outfd, regular; /* the archive's descriptor; a regular file? */
	int cancelled;
	off_t written, synced; /* bytes written; handed to writeback */
};

static int
archive_err(struct exporter *x, const char *what)
{
	const char *s = archive_error_string(x->a);
	int err = archive_errno(x->a);

	errno = err > 0 ? err : EIO;
	snprintf(x->q->err, sizeof(x->q->err), "%s: %s", what,
	    s != NULL ? s : strerror(errno));
	return -1;
}

static int
set_format(struct exporter *x)
{
	struct archive *a = x->a;
	int f = x->o->format ? x->o->format : SPOOL_FORMAT_TAR;
	int c = x->o->compress ? x->o->compress : SPOOL_COMPRESS_NONE;
	int rc;

	switch (f) {
	case SPOOL_FORMAT_TAR:
		/* Every name export writes fits ustar, the cheapest writer. */
		rc = archive_write_set_format_ustar(a);
		break;
	case SPOOL_FORMAT_PAX:
		rc = archive_write_set_format_pax(a);
		break;
	case SPOOL_FORMAT_CPIO:
		rc = archive_write_set_format_cpio_newc(a);
		break;
	case SPOOL_FORMAT_ZIP:
		rc = archive_write_set_format_zip(a);
		break;
	case SPOOL_FORMAT_7ZIP:
		rc = archive_write_set_format_7zip(a);
		break;
	default:
		errno = EINVAL;
		return seterr(x->q, "unknown archive format %d", f);
	}
	if (rc != ARCHIVE_OK)
		return archive_err(x, "archive format");
	switch (c) {
	case SPOOL_COMPRESS_NONE:
		rc = archive_write_add_filter_none(a);
		break;
	case SPOOL_COMPRESS_GZIP:
		rc = archive_write_add_filter_gzip(a);
		break;
	case SPOOL_COMPRESS_BZIP2:
		rc = archive_write_add_filter_bzip2(a);
		break;
	case SPOOL_COMPRESS_XZ:
		rc = archive_write_add_filter_xz(a);
		break;
	case SPOOL_COMPRESS_ZSTD:
		rc = archive_write_add_filter_zstd(a);
		break;
	case SPOOL_COMPRESS_LZ4:
		rc = archive_write_add_filter_lz4(a);
		break;
	default:
		errno = EINVAL;
		return seterr(x->q, "unknown compression %d", c);
	}
	if (rc != ARCHIVE_OK)
		return archive_err(x, "compression");
	/* A file, not a tape: large writes, no padding after the end. */
	archive_write_set_bytes_per_block(a, 1 << 16);
	archive_write_set_bytes_in_last_block(a, 1);
	return 0;
}

/* Writes one entry whose data is in memory. */
static int
put_meta(struct exporter *x, const char *name, const char *text)
{
	size_t len = strlen(text);

	archive_entry_clear(x->ent);
	archive_entry_set_pathname(x->ent, name);
	archive_entry_set_filetype(x->ent, AE_IFREG);
	archive_entry_set_perm(x->ent, 0644);
	archive_entry_set_size(x->ent, (la_int64_t)len);
	archive_entry_set_mtime(
	    x->ent, x->start_ms / 1000, (long)(x->start_ms % 1000) * 1000000);
	archive_entry_set_nlink(x->ent, 1);
	archive_entry_set_ino(x->ent, ++x->ino);
	if (archive_write_header(x->a, x->ent) < ARCHIVE_OK)
		return archive_err(x, name);
	if (archive_write_data(x->a, text, len) != (la_ssize_t)len)
		return archive_err(x, name);
	return 0;
}

static void
state_list(unsigned mask, char *buf, size_t size)
{
	int s;

	buf[0] = '\0';
	for (s = 0; s < SPOOL_NSTATES; s++)
		if (mask & SPOOL_STATE_BIT(s))
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			    buf[0] ? "," : "", spool_state_name(s));
}

static int
put_header(struct exporter *x, unsigned mask)
{
	const struct spool_config *c = &x->q->cfg;
	char text[512], states[64];

	state_list(mask, states, sizeof(states));
	snprintf(text, sizeof(text),
	    "spool-archive %d\n"
	    "version %s\n"
	    "max-attempts %u\n"
	    "lease-ms %lld\n"
	    "backoff-ms %lld:%lld\n"
	    "states %s\n"
	    "exported-ms %lld\n",
	    ARCHIVE_VERSION, SPOOL_VERSION, c->max_attempts,
	    (long long)c->lease_ms, (long long)c->backoff_min_ms,
	    (long long)c->backoff_max_ms, states, (long long)x->start_ms);
	return put_meta(x, HEADER_NAME, text);
}

static int
put_manifest(struct exporter *x)
{
	const struct spool_export_report *r = x->r;
	char text[512];

	snprintf(text, sizeof(text),
	    "spool-manifest %d\n"
	    "new %llu\n"
	    "retry %llu\n"
	    "dead %llu\n"
	    "messages %llu\n"
	    "bytes %llu\n"
	    "history %llu\n",
	    ARCHIVE_VERSION, (unsigned long long)r->count[SPOOL_NEW],
	    (unsigned long long)r->count[SPOOL_RETRY],
	    (unsigned long long)r->count[SPOOL_DEAD],
	    (unsigned long long)r->messages, (unsigned long long)r->bytes,
	    (unsigned long long)x->histories);
	return put_meta(x, MANIFEST_NAME, text);
}

/*
 * Notes which IDs have a history, from one listing of info/, so that the
 * export looks for one only where there is one.  A history written after
 * the listing is missed: histories are diagnostics, kept best-effort.
 */
static int
list_histories(struct exporter *x)
{
	struct names n;
	unsigned char k[16];
	size_t i;
	int fd;

	if ((fd = open_dir_at(x->q->rootfd, "info")) == -1)
		return errno == ENOENT ? 0 : seterr(x->q, "open info/");
	if (list_dir(fd, &n) == -1) {
		seterr(x->q, "list info/");
		close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < n.n; i++) {
		if (!spool_valid_id(n.v[i]))
			continue;
		id_pack(n.v[i], k);
		if (idset_add(&x->hist, k) == -1) {
			names_free(&n);
			return seterr(x->q, "list info/");
		}
	}
	names_free(&n);
	return 0;
}

/* Archives ID's history as "info/ID", right after the message. */
static int
put_history(struct exporter *x, const char *id)
{
	char name[SPOOL_ID_SIZE + 8], *text;
	int rc;

	if (spool_history(x->q, id, &text) == -1)
		return -1;
	if (text == NULL)
		return 0;
	snprintf(name, sizeof(name), "info/%s", id);
	rc = put_meta(x, name, text);
	free(text);
	if (rc == 0)
		x->histories++;
	return rc;
}

/* Copies SIZE bytes of FD into the current entry. */
static int
copy_data(struct exporter *x, int fd, const char *path, uint64_t size)
{
	uint64_t left = size;
	ssize_t n;

	while (left > 0) {
		size_t want = left < IOBUF_SIZE ? (size_t)left : IOBUF_SIZE;

		n = read(fd, x->buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return seterr(x->q, "read %s", path);
		if (n == 0) {
			errno = EIO;
			return seterr(
			    x->q, "%s: shrank while being read", path);
		}
		if (archive_write_data(x->a, x->buf, (size_t)n) != n)
			return archive_err(x, "write archive");
		left -= (uint64_t)n;
	}
	return 0;
}

/*
 * The descriptor of the bucket E is in, kept open while consecutive
 * entries share it (the iterator goes bucket by bucket).  Sets *FRESH
 * when it was just opened.
 */
static int
entry_bucket(struct exporter *x, const struct spool_entry *e, int *fresh)
{
	char top[24], *leaf;

	*fresh = 0;
	if (e->state == SPOOL_CUR)
		return x->q->dirfd[SPOOL_CUR];
	if (x->bfd != -1 && x->bstate == (int)e->state &&
	    strcmp(x->bucket, e->bucket) == 0)
		return x->bfd;
	if (x->bfd != -1)
		close(x->bfd);
	x->bfd = -1;
	snprintf(top, sizeof(top), "%s", e->bucket);
	if ((leaf = strchr(top, '/')) == NULL) {
		errno = ENOENT;
		return -1;
	}
	*leaf++ = '\0';
	if ((x->bfd = open_bucket(x->q, e->state, top, leaf, 0, NULL)) == -1)
		return -1;
	x->bstate = e->state;
	snprintf(x->bucket, sizeof(x->bucket), "%s", e->bucket);
	*fresh = 1;
	return x->bfd;
}

/*
 * Opens a message file safely: relative to its bucket, never through a
 * symlink, without blocking on a planted FIFO, and only a regular file
 * with one link (two: a move by link and unlink is under way, EBUSY).
 * O_NONBLOCK stays set: it means nothing for a regular file.
 */
static int
open_message(struct exporter *x, const struct spool_entry *e, struct stat *st)
{
	int dfd, fd, fresh, err;

	for (;;) {
		if ((dfd = entry_bucket(x, e, &fresh)) == -1)
			return -1;
		fd = openat(dfd, e->name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd != -1 || errno != ENOENT || fresh || dfd != x->bfd)
			break;
		/* The kept bucket may have been removed and made again. */
		close(x->bfd);
		x->bfd = -1;
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		goto fail;
	if (S_ISREG(st->st_mode) && st->st_nlink == 2) {
		errno = EBUSY; /* a move by link and unlink: look again */
		goto fail;
	}
	if (!is_message(x->q, st)) {
		errno = EINVAL; /* planted, foreign or unreadable: skip it */
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * A leased message renamed in place since cur/ was listed (each touch
 * moves its deadline, so its name): cur/ is small, bounded by the
 * consumers, so look for its ID there again at once rather than a whole
 * pass later, when it may have been renamed again.
 */
static int
open_relocated(struct exporter *x, const struct spool_entry *e, struct stat *st)
{
	struct spool_entry now;
	struct names n;
	size_t i;
	int tries, fd = -1, err = ENOENT;

	for (tries = 0; tries < 4 && fd == -1; tries++) {
		if (list_dir(x->q->dirfd[SPOOL_CUR], &n) == -1)
			return -1;
		for (i = 0; i < n.n; i++)
			if (strncmp(n.v[i], e->id, SPOOL_ID_LEN) == 0 &&
			    parse_name_kind(n.v[i], &now) == 'l')
				break;
		if (i == n.n) {
			names_free(&n);
			break; /* gone from cur/: the next pass looks */
		}
		now.state = SPOOL_CUR;
		now.bucket[0] = '\0';
		fd = open_message(x, &now, st);
		err = errno;
		names_free(&n);
		if (fd == -1 && err != ENOENT && err != EBUSY)
			break;
	}
	errno = err;
	return fd;
}

/* Where E is in the queue, for a warning or an error. */
static const char *
where(const struct spool_entry *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s%s", spool_state_name(e->state), e->bucket,
	    *e->bucket ? "/" : "", e->name);
	return buf;
}

/*
 * Archives E unless its ID is already in.  A file gone before we could
 * open it moved; the next pass looks for it where it went.
 */
static int
export_one(struct exporter *x, const struct spool_entry *e)
{
	char path[SPOOL_NAME_SIZE + 8], rel[SPOOL_NAME_SIZE + 40];
	enum spool_state as = e->state;
	unsigned char k[16];
	struct stat st;
	size_t len;
	int fd, rc = -1;

	id_pack(e->id, k);
	if (idset_has(&x->seen, k))
		return 0;
	/* Its entry's name, "STATE/NAME": a lease is due again at import. */
	if (e->state == SPOOL_CUR)
		as = SPOOL_RETRY;
	len = strlen(spool_state_name(as));
	memcpy(path, spool_state_name(as), len);
	path[len++] = '/';
	if (as != e->state) {
		if (format_name(path + len, sizeof(path) - len, e->id,
			e->attempts, e->size, 'd', x->start_ms) == -1)
			return seterr(x->q, "name of %s", e->id);
	} else
		memcpy(path + len, e->name, strlen(e->name) + 1);
	if ((fd = open_message(x, e, &st)) == -1 &&
	    (errno == ENOENT || errno == EBUSY) && e->state == SPOOL_CUR)
		fd = open_relocated(x, e, &st);
	if (fd == -1) {
		if (errno == EBUSY && x->pass >= BUSY_PASSES) {
			/* Two links for passes on end: not a move, a plant. */
			warnq(x->q, where(e, rel, sizeof(rel)),
			    "two links; not exported");
			return 0;
		}
		if (errno == ENOENT || errno == EBUSY) {
			/*
			 * Moved, or mid-move: the next pass finds it.  One
			 * pushed since the export began need not be waited
			 * for, nor can an ack be told from a move.
			 */
			if (e->enqueued_ms < x->start_ms)
				x->vanished++;
			return 0;
		}
		if (errno == ELOOP || errno == EINVAL) {
			/* A symlink, a non-file, a foreign or extra link. */
			warnq(x->q, where(e, rel, sizeof(rel)),
			    "not a message the queue owns; not exported");
			return 0;
		}
		return seterr(x->q, "open %s", where(e, rel, sizeof(rel)));
	}
	if ((uint64_t)st.st_size != e->size) {
		/* Its name says otherwise: not a file spool wrote. */
		warnq(x->q, where(e, rel, sizeof(rel)),
		    "size differs from its name; not exported");
		rc = 0;
		goto out;
	}
	if (e->size > SPOOL_MAX_PAYLOAD) {
		/* No push makes one; nor could a ustar header hold it all. */
		warnq(x->q, where(e, rel, sizeof(rel)),
		    "larger than a message may be; not exported");
		rc = 0;
		goto out;
	}
	/* Every field is set each time: no archive_entry_clear() needed. */
	archive_entry_set_pathname(x->ent, path);
	archive_entry_set_filetype(x->ent, AE_IFREG);
	archive_entry_set_perm(x->ent, st.st_mode & 0666);
	archive_entry_set_size(x->ent, (la_int64_t)e->size);
	archive_entry_set_mtime(x->ent, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	archive_entry_set_nlink(x->ent, 1);
	archive_entry_set_ino(x->ent, ++x->ino);
	if (archive_write_header(x->a, x->ent) < ARCHIVE_OK) {
		archive_err(x, path);
		goto out;
	}
	if (copy_data(x, fd, path, e->size) == -1)
		goto out;
	if (archive_write_finish_entry(x->a) < ARCHIVE_OK) {
		archive_err(x, path);
		goto out;
	}
	if (idset_add(&x->seen, k) == -1) {
		seterr(x->q, "remember %s", e->id);
		goto out;
	}
	if (idset_has(&x->hist, k) && put_history(x, e->id) == -1)
		goto out;
	if (x->movelog != NULL && e->state == SPOOL_CUR)
		x->r->kept++; /* its consumer has it: not ours to delete */
	else if (x->movelog != NULL &&
		 fprintf(x->movelog, "%d %s\n", (int)e->state, e->name) < 0) {
		seterr(x->q, "note %s for --move", e->id);
		goto out;
	}
	x->r->count[as]++;
	x->r->messages++;
	x->r->bytes += e->size;
	if (e->enqueued_ms < x->start_ms)
		x->added_old++;
	if (x->o->progress != NULL &&
	    x->o->progress(x->o->progress_arg, x->r->messages, x->r->bytes)) {
		errno = ECANCELED;
		seterr(x->q, "export");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* One scan of every state in MASK. */
static int
export_pass(struct exporter *x, unsigned mask)
{
	struct spool_iter *it;
	struct spool_entry e;
	int rc;

	if ((it = spool_iter_new(x->q, mask)) == NULL)
		return -1;
	while ((rc = spool_iter_next(it, &e)) == 0)
		if (export_one(x, &e) == -1) {
			rc = -1;
			break;
		}
	spool_iter_free(it);
	if (x->bfd != -1)
		close(x->bfd);
	x->bfd = -1;
	return rc == -1 ? -1 : 0;
}

/*
 * Scans until a pass adds no message enqueued before the export began
 * and finds nothing vanished: messages pushed meanwhile may keep coming
 * and need not be waited for.  Always two passes at least, since the
 * first can miss what moves under it.
 */
static int
export_scan(struct exporter *x, unsigned mask)
{
	unsigned pass;

	for (pass = 1; pass <= EXPORT_MAX_PASSES; pass++) {
		x->pass = pass;
		x->added_old = x->vanished = 0;
		if (list_histories(x) == -1 || export_pass(x, mask) == -1)
			return -1;
		x->r->passes = pass;
		if (pass > 1 && x->added_old == 0 && x->vanished == 0) {
			x->r->settled = 1;
			break;
		}
	}
	return 0;
}

/* Deletes each message still where, and as, it was archived. */
static int
export_move(struct exporter *x)
{
	struct spool *q = x->q;
	struct spool_entry e;
	struct target t, last;
	char line[SPOOL_NAME_SIZE + 16], *name;
	int lfd = -1, state, laststate = -1, rc = 0;

	if (fflush(x->movelog) == EOF || fseeko(x->movelog, 0, SEEK_SET) == -1)
		return seterr(q, "read back the --move list");
	while (fgets(line, sizeof(line), x->movelog) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		state = line[0] - '0';
		name = line + 2;
		if (parse_name_kind(name, &e) < 0 ||
		    target_of(e.id, e.size, (enum spool_state)state, e.attempts,
			e.deadline_ms, &t) == -1) {
			errno = EINVAL;
			rc = seterr(q, "bad --move record");
			break;
		}
		if (lfd == -1 || state != laststate ||
		    strcmp(t.top, last.top) != 0 ||
		    strcmp(t.leaf, last.leaf) != 0) {
			if (lfd != -1)
				close(lfd);
			lfd = open_bucket(
			    q, (enum spool_state)state, t.top, t.leaf, 0, NULL);
			last = t;
			laststate = state;
		}
		if (lfd != -1 && unlinkat(lfd, t.name, 0) == 0) {
			x->r->moved++;
			history_remove(q, e.id);
			continue;
		}
		if (errno != ENOENT) {
			rc = seterr(
			    q, "delete %s/%s", spool_state_name(state), t.name);
			break;
		}
		x->r->kept++;
	}
	if (rc == 0 && ferror(x->movelog))
		rc = seterr(q, "read back the --move list");
	if (lfd != -1)
		close(lfd);
	return rc;
}

static void
exporter_free(struct exporter *x)
{
	if (x->a != NULL)
		archive_write_free(x->a);
	if (x->ent != NULL)
		archive_entry_free(x->ent);
	if (x->movelog != NULL)
		fclose(x->movelog);
	free(x->seen.v);
	free(x->hist.v);
	free(x->buf);
}

/* Whether the progress callback asked to stop; it stays asked. */
static int
is_cancelled(struct exporter *x)
{
	if (!x->cancelled && x->o->progress != NULL &&
	    x->o->progress(x->o->progress_arg, x->r->messages, x->r->bytes))
		x->cancelled = 1;
	return x->cancelled;
}

/*
 * Our own writer, unlike archive_write_open_fd(): a signal that
 * interrupts a write to a stalled pipe can stop the export, and a file's
 * pages are handed to writeback as they fill, so that the final fsync
 * has little left to wait for.
 */
static la_ssize_t
out_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct exporter *x = arg;
	ssize_t n;

	/*
	 * Asked before each write too: a signal that comes after part of
	 * a write is done makes it return short, not EINTR.
	 */
	while (!is_cancelled(x) && (n = write(x->outfd, buf, len)) == -1)
		if (errno != EINTR) {
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
	if (x->cancelled) {
		archive_set_error(a, ECANCELED, "interrupted");
		return -1;
	}
	x->written += n;
	if (x->regular && !(x->q->flags & SPOOL_NOSYNC) &&
	    x->written - x->synced >= WRITEBACK_CHUNK) {
		sync_file_range(x->outfd, x->synced, x->written - x->synced,
		    SYNC_FILE_RANGE_WRITE);
		x->synced = x->written;
	}
	return n;
}

/* Writes the whole archive to FD and closes the archive (not FD). */
static int
export_write(struct exporter *x, int fd)
{
	struct spool *q = x->q;
	unsigned mask = x->o->states ? x->o->states : SPOOL_ALL_STATES;
	struct stat st;
	int s;

	for (s = 0; s < SPOOL_NSTATES; s++)
		x->r->count[s] = 0;
	x->start_ms = now_ms();
	if (archive_load(q->err, sizeof(q->err)) == -1) {
		errno = ENOSYS;
		return -1;
	}
	if ((x->buf = malloc(IOBUF_SIZE)) == NULL ||
	    (x->ent = archive_entry_new()) == NULL ||
	    (x->a = archive_write_new()) == NULL)
		return seterr(q, "export");
	if ((x->o->flags & SPOOL_EXPORT_MOVE) &&
	    (x->movelog = tmpfile()) == NULL)
		return seterr(q, "temporary file for --move");
	if (set_format(x) == -1)
		return -1;
	x->outfd = fd;
	x->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (archive_write_open(x->a, x, NULL, out_write, NULL) != ARCHIVE_OK)
		return archive_err(x, "open archive");
	if (put_header(x, mask) == -1 || export_scan(x, mask) == -1 ||
	    put_manifest(x) == -1)
		return -1;
	if (archive_write_close(x->a) != ARCHIVE_OK)
		return archive_err(x, "close archive");
	return 0;
}

int
spool_export_fd(struct spool *q, int fd, const struct spool_export_opts *o,
    struct spool_export_report *r)
{
	struct spool_export_report dummy;
	struct exporter x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.bfd = -1;
	memset(r != NULL ? r : &dummy, 0, sizeof(*r));
	x.q = q;
	x.o = o;
	x.r = r != NULL ? r : &dummy;
	rc = export_write(&x, fd);
	if (rc == 0 && x.movelog != NULL)
		rc = export_move(&x);
	exporter_free(&x);
	return rc;
}

/* Is the directory DIRFD the queue's root or inside it? */
static int
is_inside(struct spool *q, int dirfd)
{
	struct stat root, st, up;
	int fd = dup(dirfd), next, inside = 0;

	if (fd == -1 || fstat(q->rootfd, &root) == -1)
		goto out;
	for (;;) {
		if (fstat(fd, &st) == -1)
			break;
		if (st.st_dev == root.st_dev && st.st_ino == root.st_ino) {
			inside = 1;
			break;
		}
		if ((next = openat(
			 fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			break;
		if (fstat(next, &up) == -1 ||
		    (up.st_dev == st.st_dev && up.st_ino == st.st_ino)) {
			close(next);
			break; /* reached "/" */
		}
		close(fd);
		fd = next;
	}
out:
	if (fd != -1)
		close(fd);
	return inside;
}

/* Opens PATH's directory; sets *BASE to its last component. */
static int
open_parent(const char *path, const char **base, char **dir)
{
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*dir = strdup(".");
		*base = path;
	} else {
		*dir = slash == path ? strdup("/")
				     : strndup(path, (size_t)(slash - path));
		*base = slash + 1;
	}
	if (*dir == NULL)
		return -1;
	fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

int
spool_export_file(struct spool *q, const char *path,
    const struct spool_export_opts *o, struct spool_export_report *r)
{
	struct spool_export_report dummy;
	struct exporter x;
	const char *base;
	char *dir = NULL, *tmp = NULL;
	int dfd, fd = -1, rc = -1, err;

	memset(&x, 0, sizeof(x));
	x.bfd = -1;
	memset(r != NULL ? r : &dummy, 0, sizeof(*r));
	x.q = q;
	x.o = o;
	x.r = r != NULL ? r : &dummy;
	if ((dfd = open_parent(path, &base, &dir)) == -1) {
		seterr(q, "open the directory of %s", path);
		free(dir);
		return -1;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		errno = EISDIR;
		seterr(q, "%s", path);
		goto out;
	}
	if (is_inside(q, dfd)) {
		errno = EINVAL;
		seterr(q, "%s: the archive must be outside the queue", path);
		goto out;
	}
	if (asprintf(&tmp, "%s.tmp", base) == -1) {
		tmp = NULL;
		seterr(q, "export");
		goto out;
	}
	fd = openat(dfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, q->filemode);
	if (fd == -1) {
		seterr(q, "create %s.tmp", path);
		goto out;
	}
	if (export_write(&x, fd) == -1)
		goto fail;
	if (!(q->flags & SPOOL_NOSYNC) && fsync(fd) == -1) {
		seterr(q, "fsync %s.tmp", path);
		goto fail;
	}
	err = close(fd);
	fd = -1;
	if (err == -1) {
		seterr(q, "close %s.tmp", path);
		goto fail;
	}
	if (renameat(dfd, tmp, dfd, base) == -1) {
		seterr(q, "rename %s.tmp to %s", path, path);
		goto fail;
	}
	if (!(q->flags & SPOOL_NOSYNC) && fsync(dfd) == -1) {
		seterr(q, "fsync %s", dir);
		goto out;
	}
	rc = x.movelog != NULL ? export_move(&x) : 0;
	goto out;
fail:
	err = errno;
	if (fd != -1)
		close(fd);
	fd = -1;
	unlinkat(dfd, tmp, 0);
	errno = err;
out:
	err = errno;
	if (fd != -1)
		close(fd);
	exporter_free(&x);
	close(dfd);
	free(dir);
	free(tmp);
	errno = err;
	return rc;
}

/* Import. */

struct item {
	char id[SPOOL_ID_SIZE];
	struct pub p; /* its file in tmp/ under an ID of its own */
	uint64_t size;
	unsigned attempts;
	int64_t due_ms;
};

struct spool_import {
	struct archive *a;
	struct archive_entry *ent; /* the current entry, owned by A */
	int have_entry;            /* ENT read but not yet handled */
	int fd, seekable, cancelled;
	char *data; /* entry data; BUF is libarchive's input */
	struct spool_import_opts o;
	struct spool_config cfg;
	int has_config;
	char *buf;
	char err[ERRBUF_SIZE];
	/* While running. */
	struct spool *q;
	struct spool_import_report *r;
	uint64_t entries, total;
	uint64_t done_msgs, done_bytes; /* for progress: read so far */
	char last_id[SPOOL_ID_SIZE];    /* imported by the previous entry */
	struct idset ids; /* in the queue before, or imported since */
	int infofd;
	int after_manifest;
	struct item *batch;
	size_t n;
	uint64_t batch_bytes;
	int64_t batch_ms;
};

static _Thread_local char import_open_err[ERRBUF_SIZE];

static int imperr(struct spool_import *m, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
imperr(struct spool_import *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

/* The archive's own complaint, or "cut short" when it has none. */
static int
readerr(struct spool_import *m, const char *what)
{
	const char *s = archive_error_string(m->a);
	int err = archive_errno(m->a);

	return imperr(m, err > 0 ? err : EIO, "%s: %s", what,
	    s != NULL ? s : "archive cut short");
}

static int
cancelled(struct spool_import *m)
{
	if (!m->cancelled && m->o.progress != NULL &&
	    m->o.progress(m->o.progress_arg, m->done_msgs, m->done_bytes) != 0)
		m->cancelled = 1;
	return m->cancelled;
}

static int batch_commit(struct spool_import *);

/*
 * Messages wait in tmp/ for their group commit.  When the input goes
 * quiet (a slow pipe, ssh), publishes what is complete instead of
 * waiting for more: nothing waits much longer than BATCH_AGE_MS.
 */
static int
flush_if_idle(struct spool_import *m)
{
	struct pollfd p;
	int64_t wait;
	int rc;

	if (m->n == 0 || m->seekable)
		return 0;
	wait = BATCH_AGE_MS - (now_ms() - m->batch_ms);
	p.fd = m->fd;
	p.events = POLLIN;
	rc = poll(&p, 1, wait > 0 ? (int)wait : 0);
	if (rc == 0 || (rc == -1 && errno == EINTR))
		return batch_commit(m);
	return 0;
}

/*
 * Our own reader, unlike archive_read_open_fd(): a signal that
 * interrupts a read can stop the import (through the progress
 * callback), and seeking is offered only on a regular file.
 */
static la_ssize_t
in_read(struct archive *a, void *arg, const void **buf)
{
	struct spool_import *m = arg;
	ssize_t n;

	*buf = m->buf;
	if (flush_if_idle(m) == -1) {
		archive_set_error(a, errno, "%s", m->err);
		return -1;
	}
	/* Asked before each read too: a signal may cut a read short. */
	while (!cancelled(m) && (n = read(m->fd, m->buf, IOBUF_SIZE)) == -1)
		if (errno != EINTR) {
			archive_set_error(
			    a, errno, "read: %s", strerror(errno));
			return -1;
		}
	if (m->cancelled) {
		archive_set_error(a, ECANCELED, "interrupted");
		return -1;
	}
	return n;
}

static la_int64_t
in_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct spool_import *m = arg;

	(void)a;
	if (!m->seekable || lseek(m->fd, request, SEEK_CUR) == -1)
		return 0; /* libarchive reads instead */
	return request;
}

static la_int64_t
in_seek(struct archive *a, void *arg, la_int64_t offset, int whence)
{
	struct spool_import *m = arg;
	off_t r = lseek(m->fd, offset, whence);

	if (r == -1) {
		archive_set_error(a, errno, "seek: %s", strerror(errno));
		return ARCHIVE_FATAL;
	}
	return r;
}

/* Reads the current entry's data, at most META_MAX bytes, NUL-ended. */
static int
read_meta(struct spool_import *m, const char *name, char **text)
{
	size_t len = 0;
	la_ssize_t n;

	if ((*text = malloc(META_MAX + 1)) == NULL)
		return imperr(m, errno, "%s", name);
	while ((n = archive_read_data(m->a, *text + len, META_MAX - len)) > 0)
		if ((len += (size_t)n) == META_MAX) {
			free(*text);
			return imperr(m, EFBIG, "%s: larger than %d bytes",
			    name, META_MAX);
		}
	if (n < 0) {
		free(*text);
		return readerr(m, name);
	}
	(*text)[len] = '\0';
	if (memchr(*text, '\0', len) != NULL) {
		free(*text);
		return imperr(m, EINVAL, "%s: not text", name);
	}
	return 0;
}

/* Strict decimal: digits only, no sign, within uint64_t. */
static int
decimal_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

/*
 * Calls FN(ARG, key, value) for each "key value" line after a first line
 * "MAGIC VERSION" with VERSION <= ours.  Returns 0 or -1 (EINVAL).
 */
static int
parse_meta(struct spool_import *m, char *text, const char *magic,
    int (*fn)(struct spool_import *, const char *, const char *))
{
	char *line, *save = NULL, *sp;
	uint64_t v;
	int first = 1;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if ((sp = strchr(line, ' ')) == NULL)
			return imperr(m, EINVAL, "%s: bad line", magic);
		*sp++ = '\0';
		if (first) {
			if (strcmp(line, magic) != 0 ||
			    decimal_u64(sp, &v) == -1)
				return imperr(
				    m, EINVAL, "%s: bad first line", magic);
			if (v > ARCHIVE_VERSION)
				return imperr(m, EINVAL,
				    "archive format %llu is newer than this "
				    "spool reads (%d)",
				    (unsigned long long)v, ARCHIVE_VERSION);
			first = 0;
			continue;
		}
		if (fn(m, line, sp) == -1)
			return imperr(
			    m, EINVAL, "%s: bad value for %s", magic, line);
	}
	return first ? imperr(m, EINVAL, "%s: empty", magic) : 0;
}

static int
header_kv(struct spool_import *m, const char *k, const char *v)
{
	struct spool_config *c = &m->cfg;
	uint64_t x, y;
	char *colon;

	if (strcmp(k, "max-attempts") == 0) {
		if (decimal_u64(v, &x) == -1 || x < 1 || x > 1000000)
			return -1;
		c->max_attempts = (unsigned)x;
	} else if (strcmp(k, "lease-ms") == 0) {
		if (decimal_u64(v, &x) == -1 || x < 1 || x > INT64_MAX / 1000)
			return -1;
		c->lease_ms = (int64_t)x;
	} else if (strcmp(k, "backoff-ms") == 0) {
		char tmp[64];

		snprintf(tmp, sizeof(tmp), "%s", v);
		if ((colon = strchr(tmp, ':')) == NULL)
			return -1;
		*colon = '\0';
		if (decimal_u64(tmp, &x) == -1 ||
		    decimal_u64(colon + 1, &y) == -1 || y < x ||
		    y > INT64_MAX / 1000)
			return -1;
		c->backoff_min_ms = (int64_t)x;
		c->backoff_max_ms = (int64_t)y;
	}
	/* Other keys are for people, or from a later version. */
	return 0;
}

static int
manifest_kv(struct spool_import *m, const char *k, const char *v)
{
	int s = spool_state_parse(k);
	uint64_t x;

	if (s == -1)
		return 0; /* "messages", "bytes" and later additions */
	if (decimal_u64(v, &x) == -1)
		return -1;
	m->r->manifest[s] = x;
	return 0;
}

static int
next_entry(struct spool_import *m)
{
	int rc, tries;

	for (tries = 0; tries < 8; tries++) {
		rc = archive_read_next_header(m->a, &m->ent);
		if (rc != ARCHIVE_RETRY)
			return rc;
	}
	return ARCHIVE_FATAL;
}

void
spool_import_opts_default(struct spool_import_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->state_as = -1;
}

struct spool_import *
spool_import_open(
    int fd, const struct spool_import_opts *o, const char **errmsg)
{
	struct spool_import *m;
	struct stat st;
	char *text;
	int rc;

	*errmsg = import_open_err;
	if (archive_load(import_open_err, sizeof(import_open_err)) == -1) {
		errno = ENOSYS;
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->buf = malloc(IOBUF_SIZE)) == NULL ||
	    (m->data = malloc(IOBUF_SIZE)) == NULL ||
	    (m->a = archive_read_new()) == NULL) {
		snprintf(import_open_err, sizeof(import_open_err), "%s",
		    strerror(errno));
		spool_import_free(m);
		return NULL;
	}
	if (o != NULL)
		m->o = *o;
	else
		spool_import_opts_default(&m->o);
	m->fd = fd;
	m->infofd = -1;
	m->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	spool_config_default(&m->cfg);
	/* Only what export writes: no exotic readers for hostile input. */
	archive_read_support_format_tar(m->a);
	archive_read_support_format_cpio(m->a);
	archive_read_support_format_zip(m->a);
	archive_read_support_format_7zip(m->a);
	archive_read_support_filter_gzip(m->a);
	archive_read_support_filter_bzip2(m->a);
	archive_read_support_filter_xz(m->a);
	archive_read_support_filter_zstd(m->a);
	archive_read_support_filter_lz4(m->a);
	archive_read_set_callback_data(m->a, m);
	archive_read_set_read_callback(m->a, in_read);
	archive_read_set_skip_callback(m->a, in_skip);
	if (m->seekable)
		archive_read_set_seek_callback(m->a, in_seek);
	if (archive_read_open1(m->a) != ARCHIVE_OK) {
		readerr(m, "not an archive spool reads");
		goto fail;
	}
	rc = next_entry(m);
	if (rc == ARCHIVE_EOF) {
		imperr(m, EINVAL, "empty archive");
		goto fail;
	}
	if (rc < ARCHIVE_WARN) {
		readerr(m, "read archive");
		goto fail;
	}
	m->have_entry = 1;
	if (rc == ARCHIVE_OK && archive_entry_pathname(m->ent) != NULL &&
	    strcmp(archive_entry_pathname(m->ent), HEADER_NAME) == 0 &&
	    archive_entry_filetype(m->ent) == AE_IFREG &&
	    archive_entry_hardlink(m->ent) == NULL) {
		if (read_meta(m, HEADER_NAME, &text) == -1)
			goto fail;
		rc = parse_meta(m, text, "spool-archive", header_kv);
		free(text);
		if (rc == -1)
			goto fail;
		m->has_config = 1;
		m->have_entry = 0;
	}
	return m;
fail:
	snprintf(import_open_err, sizeof(import_open_err), "%s", m->err);
	rc = errno;
	spool_import_free(m);
	errno = rc;
	return NULL;
}

const struct spool_config *
spool_import_config(const struct spool_import *m)
{
	return m->has_config ? &m->cfg : NULL;
}

const char *
spool_import_error(const struct spool_import *m)
{
	return m->err;
}

void
spool_import_free(struct spool_import *m)
{
	if (m == NULL)
		return;
	if (m->a != NULL)
		archive_read_free(m->a);
	if (m->infofd != -1)
		close(m->infofd);
	free(m->buf);
	free(m->data);
	free(m->batch);
	free(m->ids.v);
	free(m);
}

static uint64_t
opt_or(uint64_t v, uint64_t def)
{
	return v != 0 ? v : def;
}

static void
skip_note(struct spool_import *m, const char *name, const char *why)
{
	m->r->skipped++;
	if (m->o.skipped != NULL)
		m->o.skipped(m->o.skipped_arg, name != NULL ? name : "", why);
}

/* Charges N bytes of output or decompression to the --max-total budget. */
static int
charge(struct spool_import *m, uint64_t n)
{
	uint64_t max = opt_or(m->o.max_total, IMPORT_MAX_TOTAL);

	if (n > max - m->total)
		return imperr(m, EFBIG,
		    "the archive holds more than %llu bytes (--max-total); "
		    "stopped",
		    (unsigned long long)max);
	m->total += n;
	return 0;
}

/*
 * Passes over the current entry's data.  A known size is charged first,
 * so a bomb is refused before it is expanded; an unknown one is read and
 * charged as it goes.
 */
static int
skip_data(struct spool_import *m)
{
	la_ssize_t n;

	if (archive_entry_size_is_set(m->ent)) {
		if (charge(m, (uint64_t)archive_entry_size(m->ent)) == -1)
			return -1;
		if (archive_read_data_skip(m->a) != ARCHIVE_OK)
			return readerr(m, "read archive");
		return 0;
	}
	while ((n = archive_read_data(m->a, m->data, IOBUF_SIZE)) > 0)
		if (charge(m, (uint64_t)n) == -1)
			return -1;
	return n < 0 ? readerr(m, "read archive") : 0;
}

/* Why the current entry is not a message to import, or NULL. */
static const char *
entry_problem(struct spool_import *m, const char *path, struct spool_entry *e,
    enum spool_state *state)
{
	char canon[SPOOL_NAME_SIZE];
	const char *slash, *name;
	char sname[8];
	int kind, s;

	if (path == NULL)
		return "unreadable name";
	if (m->after_manifest)
		return "after the manifest";
	if (archive_entry_hardlink(m->ent) != NULL)
		return "a hard link";
	switch (archive_entry_filetype(m->ent)) {
	case AE_IFREG:
		break;
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFDIR:
		return "a directory";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device";
	case AE_IFIFO:
		return "a FIFO";
	default:
		return "not a regular file";
	}
	if (archive_entry_symlink(m->ent) != NULL)
		return "a symbolic link";
	if (strcmp(path, HEADER_NAME) == 0)
		return "a second header";
	if (strcmp(path, MANIFEST_NAME) == 0)
		return "a second manifest";
	if ((slash = strchr(path, '/')) == NULL ||
	    (size_t)(slash - path) >= sizeof(sname))
		return "not a message name (STATE/NAME)";
	memcpy(sname, path, (size_t)(slash - path));
	sname[slash - path] = '\0';
	name = slash + 1;
	s = spool_state_parse(sname);
	if (s != SPOOL_NEW && s != SPOOL_RETRY && s != SPOOL_DEAD)
		return "not a message name (STATE/NAME)";
	kind = parse_name_kind(name, e);
	if (kind < 0 || (s == SPOOL_RETRY) != (kind == 'd') || kind == 'l')
		return "not a message name (STATE/NAME)";
	/* Only the one spelling spool writes. */
	if (format_name(canon, sizeof(canon), e->id, e->attempts, e->size,
		(char)kind, e->deadline_ms) == -1 ||
	    strcmp(canon, name) != 0)
		return "not a message name (STATE/NAME)";
	*state = (enum spool_state)s;
	return NULL;
}

/* Takes back a failed batch: what was renamed, and what is in tmp/. */
static void
batch_undo(struct spool_import *m)
{
	struct spool *q = m->q;
	size_t i;
	int lfd, err = errno;

	for (i = 0; i < m->n; i++) {
		struct item *it = &m->batch[i];

		if (it->p.published != 1) {
			if (it->p.published == 0)
				unlinkat(q->tmpfd, it->p.tmp, 0);
			continue;
		}
		lfd = open_bucket(
		    q, it->p.state, it->p.t.top, it->p.t.leaf, 0, NULL);
		if (lfd != -1) {
			unlinkat(lfd, it->p.t.name, 0);
			close(lfd);
		}
		history_remove(q, it->id);
	}
	m->n = 0;
	m->batch_bytes = 0;
	errno = err;
}

/*
 * Publishes the batch with one group commit.  A target that exists
 * already is an ID another import just published: counted as present.
 */
static int
batch_commit(struct spool_import *m)
{
	struct spool *q = m->q;
	struct item *it;
	size_t i;

	for (i = 0; i < m->n; i++) {
		it = &m->batch[i];
		if (target_of(it->id, it->size, it->p.state, it->attempts,
			it->due_ms, &it->p.t) == -1) {
			seterr(q, "publish %s", it->id);
			goto fail;
		}
	}
	if (group_publish(q, &m->batch[0].p, m->n, sizeof(m->batch[0]), 1) ==
	    -1)
		goto fail;
	for (i = 0; i < m->n; i++) {
		it = &m->batch[i];
		if (it->p.published == 1) {
			m->r->count[it->p.state]++;
			m->r->imported++;
			m->r->bytes += it->size;
		} else
			m->r->present++;
	}
	m->n = 0;
	m->batch_bytes = 0;
	return 0;
fail:
	batch_undo(m);
	return imperr(m, errno, "%s", q->err);
}

/*
 * Creates the tmp/ file for a message to import under a fresh ID of its
 * own, not the message's: a killed import's leftovers (which gc removes
 * after 36 hours) can then never block the same message in a rerun.
 */
static int
tmp_fresh(struct spool *q, const char *id, char tmp[SPOOL_ID_SIZE], int *fd)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		if (new_id(id_priority(id), tmp) == -1)
			return seterr(q, "make an ID");
		if (tmp_create(q, tmp, fd) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* Copies the current entry's data into a tmp/ file and queues it. */
static int
import_data(struct spool_import *m, const char *path,
    const struct spool_entry *e, enum spool_state state)
{
	struct spool *q = m->q;
	struct item *it;
	char tmp[SPOOL_ID_SIZE];
	uint64_t got = 0;
	la_ssize_t n;
	int fd;

	if (charge(m, e->size) == -1)
		return -1;
	if (tmp_fresh(q, e->id, tmp, &fd) == -1)
		return imperr(m, errno, "%s", q->err);
	while ((n = archive_read_data(m->a, m->data, IOBUF_SIZE)) > 0) {
		if ((got += (uint64_t)n) > e->size) {
			tmp_abort(q, tmp, fd);
			skip_note(m, path, "more bytes than its size says");
			m->total -= e->size;
			return skip_data(m);
		}
		if (write_full(fd, m->data, (size_t)n) == -1) {
			seterr(q, "write tmp/%s", tmp);
			tmp_abort(q, tmp, fd);
			return imperr(m, errno, "%s", q->err);
		}
	}
	if (n < 0) {
		tmp_abort(q, tmp, fd);
		return readerr(m, path);
	}
	if (got != e->size) {
		tmp_abort(q, tmp, fd);
		skip_note(m, path, "fewer bytes than its size says");
		return 0;
	}
	if (close(fd) == -1) {
		seterr(q, "close tmp/%s", tmp);
		tmp_abort(q, tmp, -1);
		return imperr(m, errno, "%s", q->err);
	}
	it = &m->batch[m->n++];
	memset(it, 0, sizeof(*it));
	memcpy(it->id, e->id, SPOOL_ID_SIZE);
	memcpy(it->p.tmp, tmp, SPOOL_ID_SIZE);
	it->size = e->size;
	it->p.state =
	    m->o.state_as >= 0 ? (enum spool_state)m->o.state_as : state;
	it->attempts =
	    it->p.state == SPOOL_NEW && m->o.state_as >= 0 ? 0 : e->attempts;
	it->due_ms = state == SPOOL_RETRY ? e->deadline_ms : now_ms();
	memcpy(m->last_id, e->id, SPOOL_ID_SIZE);
	if (m->n == 1)
		m->batch_ms = now_ms();
	m->batch_bytes += e->size;
	if (m->n == BATCH_MAX || m->batch_bytes >= BATCH_BYTES ||
	    now_ms() - m->batch_ms >= BATCH_AGE_MS)
		return batch_commit(m);
	return 0;
}

static int
read_manifest(struct spool_import *m)
{
	char *text;
	int rc;

	if (read_meta(m, MANIFEST_NAME, &text) == -1)
		return -1;
	rc = parse_meta(m, text, MANIFEST_NAME, manifest_kv);
	free(text);
	if (rc == -1)
		return -1;
	m->r->has_manifest = 1;
	/*
	 * Nothing follows the manifest, except in 7zip, which moves empty
	 * files to its end (and cannot be cut short unnoticed: its index
	 * is at the end).
	 */
	m->after_manifest = archive_format(m->a) != ARCHIVE_FORMAT_7ZIP;
	return 0;
}

/* History text as info.c writes it: lines without control bytes. */
static int
is_history_text(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Restores the history of the message the previous entry imported, as a
 * new file (never over one that exists).  Best-effort as the history
 * itself: not synced.
 */
static int
write_history(struct spool_import *m, const char *id, const char *text)
{
	struct spool *q = m->q;
	size_t len = strlen(text);
	int fd;

	if (m->infofd == -1) {
		if (mkdirat(q->rootfd, "info", 0700) == 0 &&
		    (fd = open_dir_at(q->rootfd, "info")) != -1) {
			fchmod(fd, q->dirmode);
			close(fd);
		}
		if ((m->infofd = open_dir_at(q->rootfd, "info")) == -1)
			return -1;
	}
	fd = openat(m->infofd, id,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return errno == EEXIST ? 0 : -1;
	if (fchmod(fd, q->filemode) == -1)
		goto fail;
	if (write_full(fd, text, len) == -1)
		goto fail;
	return close(fd);
fail:
	close(fd);
	unlinkat(m->infofd, id, 0);
	return -1;
}

/* An "info/ID" entry: the history of the message just imported. */
static int
import_history(struct spool_import *m, const char *path)
{
	const char *id = path + 5;
	char *text;
	int rc = 0;

	if (!spool_valid_id(id)) {
		skip_note(m, path, "not a history name (info/ID)");
		return skip_data(m);
	}
	if (strcmp(id, m->last_id) != 0)
		return skip_data(m); /* its message was there already */
	m->last_id[0] = '\0';
	if (read_meta(m, path, &text) == -1)
		return -1;
	if (!is_history_text(text))
		skip_note(m, path, "not a history (control bytes)");
	else if (write_history(m, id, text) == -1)
		skip_note(m, path, strerror(errno));
	free(text);
	return rc;
}

static int
import_entry(struct spool_import *m, int warned)
{
	const char *path = archive_entry_pathname(m->ent);
	struct spool_entry e;
	enum spool_state state = SPOOL_NEW;
	const char *why;
	uint64_t max = opt_or(m->o.max_size, SPOOL_MAX_PAYLOAD);
	unsigned char k[16];
	int rc;

	if (++m->entries > opt_or(m->o.max_entries, IMPORT_MAX_ENTRIES))
		return imperr(m, EFBIG,
		    "more than %llu entries (--max-entries); stopped",
		    (unsigned long long)opt_or(
			m->o.max_entries, IMPORT_MAX_ENTRIES));
	if (warned) {
		skip_note(m, path, archive_error_string(m->a));
		return skip_data(m);
	}
	if (path != NULL && strncmp(path, "info/", 5) == 0 &&
	    !m->after_manifest && archive_entry_filetype(m->ent) == AE_IFREG &&
	    archive_entry_hardlink(m->ent) == NULL)
		return import_history(m, path);
	m->last_id[0] = '\0';
	if (path != NULL && strcmp(path, MANIFEST_NAME) == 0 &&
	    !m->r->has_manifest && archive_entry_filetype(m->ent) == AE_IFREG &&
	    archive_entry_hardlink(m->ent) == NULL)
		return read_manifest(m);
	if ((why = entry_problem(m, path, &e, &state)) != NULL) {
		skip_note(m, path, why);
		return skip_data(m);
	}
	m->r->seen[state]++;
	if ((archive_entry_size_is_set(m->ent) &&
		(uint64_t)archive_entry_size(m->ent) != e.size)) {
		skip_note(m, path, "size differs from its name");
		return skip_data(m);
	}
	if (e.size > max) {
		skip_note(m, path, "larger than --max-size");
		return skip_data(m);
	}
	m->done_msgs++;
	m->done_bytes += e.size;
	id_pack(e.id, k);
	if ((rc = idset_add(&m->ids, k)) == -1)
		return imperr(m, errno, "import: %s", strerror(errno));
	if (rc == 0) {
		m->r->present++; /* in the queue, or earlier in the archive */
		return skip_data(m);
	}
	return import_data(m, path, &e, state);
}

/*
 * Notes the ID of every message in the queue.  One listing can miss a
 * message that moves under it, so the queue is listed until a pass adds
 * nothing (bounded: new pushes have fresh IDs that never collide).  A
 * lookup per entry would list cur/ and retry/ for each message.
 */
static int
scan_present(struct spool_import *m)
{
	struct spool_iter *it;
	struct spool_entry e;
	unsigned char k[16];
	size_t before;
	int pass, rc;

	for (pass = 0; pass < 4; pass++) {
		before = m->ids.n;
		if ((it = spool_iter_new(m->q, SPOOL_ALL_STATES)) == NULL)
			return imperr(m, errno, "%s", spool_error(m->q));
		while ((rc = spool_iter_next(it, &e)) == 0) {
			id_pack(e.id, k);
			if (idset_add(&m->ids, k) == -1) {
				rc = -1;
				break;
			}
		}
		spool_iter_free(it);
		if (rc == -1)
			return imperr(
			    m, errno, "list the queue: %s", spool_error(m->q));
		if (pass > 0 && m->ids.n == before)
			break;
	}
	return 0;
}

int
spool_import_run(
    struct spool_import *m, struct spool *q, struct spool_import_report *r)
{
	int rc, s, err, warned;

	memset(r, 0, sizeof(*r));
	m->q = q;
	m->r = r;
	if (m->o.state_as != -1 && m->o.state_as != SPOOL_NEW &&
	    m->o.state_as != SPOOL_RETRY && m->o.state_as != SPOOL_DEAD)
		return imperr(m, EINVAL, "cannot import as %d", m->o.state_as);
	if (m->batch == NULL &&
	    (m->batch = calloc(BATCH_MAX, sizeof(*m->batch))) == NULL)
		return imperr(m, errno, "import: %s", strerror(errno));
	if (scan_present(m) == -1)
		return -1;
	for (;;) {
		warned = 0;
		if (!m->have_entry) {
			rc = next_entry(m);
			if (rc == ARCHIVE_EOF)
				break;
			if (rc < ARCHIVE_WARN) {
				readerr(m, "read archive");
				goto fail;
			}
			warned = rc == ARCHIVE_WARN;
		}
		m->have_entry = 0;
		if (import_entry(m, warned) == -1)
			goto fail;
		if (cancelled(m)) {
			imperr(m, ECANCELED, "interrupted");
			goto fail;
		}
	}
	if (batch_commit(m) == -1)
		return -1;
	for (s = 0; s < SPOOL_NSTATES; s++)
		if (r->has_manifest && r->manifest[s] != r->seen[s])
			r->mismatch = 1;
	return 0;
fail:
	/* Keep the complete messages read before the failure. */
	err = errno;
	if (m->n > 0) {
		char keep[ERRBUF_SIZE];

		memcpy(keep, m->err, sizeof(keep));
		if (batch_commit(m) == 0)
			memcpy(m->err, keep, sizeof(keep));
	}
	errno = err;
	return -1;
}
