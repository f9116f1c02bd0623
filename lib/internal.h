/*
 * internal.h: the on-disk format and the helpers lib/ shares.  Not for
 * cmd/: a command that needs this shows a function missing from spool.h.
 *
 * Layout of a queue (spool(5) is the user-facing description):
 *
 *   QUEUE/config                 "key value" lines: max-attempts, lease,
 *                                backoff MIN:MAX
 *   QUEUE/tmp/ID                 being written; never seen by consumers
 *   QUEUE/new/P.HHHHHHHH/LLL/N   ready; bucketed by the ID's priority and
 *                                enqueue time
 *   QUEUE/cur/N                  leased (flat: bounded by consumers)
 *   QUEUE/retry/HHHHHHHH/LLL/N   waiting; bucketed by due time
 *   QUEUE/dead/P.HHHHHHHH/LLL/N  given up; bucketed like new/
 *   QUEUE/info/ID                failure history (text), outside the
 *                                four message trees
 *
 * An ID is 31 characters: one priority digit (9 - priority, so that
 * ASCII order is delivery order), 14 hex digits of enqueue time in
 * microseconds since the epoch, 10 hex digits of randomness and 6 hex
 * digits of a hash of the host name.  Within one process the time part
 * strictly increases, so a batch keeps its order.
 *
 * A message file's name is ID.aN.sSIZE with N the claims so far and SIZE
 * the payload's bytes; in cur/ it adds .lDEADLINE and in retry/ .dDUE,
 * both in milliseconds since the epoch, decimal.
 *
 * A bucket path for time T (microseconds) is HHHHHHHH = T >> 28 as 8 hex
 * digits (about 268 s per top-level bucket) and LLL = (T >> 16) & 0xfff
 * as 3 hex digits (65.5 ms per leaf), so a pop lists new/, one top-level
 * bucket and one leaf, whatever the depth.
 *
 * Transitions, each one rename (renameat2 RENAME_NOREPLACE, or link then
 * unlink where the filesystem refuses it):
 *   push   tmp/ID -> new/B/ID.a0.sS         (or retry/B/ID.a0.sS.dDUE)
 *   claim  new|retry -> cur/ID.a(N+1).sS.lDL
 *   touch  cur/..lDL -> cur/..lDL2
 *   ack    unlink cur/...
 *   nack   cur -> retry/B/ID.aN.sS.dDUE, or dead/B/ID.aN.sS
 *   expire cur -> retry (due now), or dead when attempts are spent
 *   kick   dead|retry -> new/B/ID.a0.sS
 */
#ifndef SPOOL_INTERNAL_H
#define SPOOL_INTERNAL_H

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>

#include "spool.h"

#define TMP_MAX_AGE_MS (36LL * 3600 * 1000)
#define ERRBUF_SIZE 512

/*
 * What a claim pass leaves for the next ones in the same process: the
 * rest of the smallest names it found in new/'s first leaf, sorted, so
 * that a worker claiming message after message reads the leaf once per
 * CLAIM_KEEP claims, not once per claim: a leaf may hold thousands of
 * names, and reading it is most of a claim's cost.  Trusted for
 * CLAIM_CACHE_MS after the scan; a name that is gone just loses its
 * rename race.
 */
#define CLAIM_CACHE_MS 250
#define CLAIM_KEEP 256
struct claim_cache {
	char name[CLAIM_KEEP][SPOOL_NAME_SIZE];
	size_t n, pos; /* name[pos..n) are untried */
	int lfd;       /* the leaf, or -1 */
	char rel[48];
	int64_t time_ms; /* when the leaf was scanned */
};

struct spool {
	char *path;
	char *abspath;             /* for tokens; made on first claim */
	int housekept;             /* tmp/ swept by this handle already */
	struct claim_cache *cache; /* NULL until the first claim */
	unsigned long claims;      /* spool_claim() calls on this handle */
	int entfd;                 /* the last leaf spool_open_entry used */
	enum spool_state entstate;
	char entbucket[24];
	int rootfd;
	int dirfd[SPOOL_NSTATES]; /* new cur retry dead */
	int tmpfd;
	int infofd; /* -1 until first needed */
	unsigned flags;
	unsigned dirmode; /* the queue directory's mode, for buckets */
	uid_t uid;        /* the queue directory's owner and group */
	gid_t gid;
	unsigned filemode; /* dirmode without x bits, for message files */
	struct spool_config cfg;
	spool_warn_fn *warn;
	void *warnarg;
	int inotifyfd;   /* -1 until spool_wait() needs it */
	int sync_failed; /* an fsync failed in this call: not to be retried */
	char err[ERRBUF_SIZE];
};

struct spool_msg {
	char id[SPOOL_ID_SIZE];
	char *token;
	unsigned attempt;
	uint64_t size;
	int64_t deadline_ms;
	int priority;
	int fd;
};

/* Where a message goes: its bucket and its name. */
struct target {
	char top[16], leaf[8], name[SPOOL_NAME_SIZE];
};

/*
 * NFS: ESTALE means a directory we hold was replaced on the server.
 * Reopen everything from the queue's path and try again, a bounded
 * number of times; then the error stands.  A settle that finds its claim
 * gone after an ESTALE cannot tell whether the failed try did the work,
 * so it reports an error, not a stale token.  An ESTALE from an fsync
 * is not retried at all, as no failed fsync is: the try that failed may
 * have moved a message that a second try would find nothing left to do
 * for, and report success.
 */
int reopen(struct spool *);
#define ESTALE_TRIES 3
#define RETRY_ESTALE(q, call)                                                  \
	do {                                                                   \
		int rc_, n_ = 0;                                               \
		(q)->sync_failed = 0;                                          \
		while ((rc_ = (call)) == -1 && errno == ESTALE &&              \
		       !(q)->sync_failed && n_++ < ESTALE_TRIES &&             \
		       reopen(q) == 0)                                         \
			;                                                      \
		/* After ESTALE, "stale" may be our own first try's work. */   \
		if (rc_ == SPOOL_STALE && n_ > 0) {                            \
			errno = ESTALE;                                        \
			snprintf((q)->err, sizeof((q)->err),                   \
			    "outcome unknown after a stale file handle: the "  \
			    "claim may or may not have been settled");         \
			rc_ = -1;                                              \
		}                                                              \
		return rc_;                                                    \
	} while (0)

/* Errors: set q->err to "what: strerror(errno)" and keep errno. */
int seterr(struct spool *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void warnq(struct spool *, const char *relpath, const char *why);

/* Clocks.  now_ms() and now_us() read CLOCK_REALTIME. */
int64_t now_ms(void);

/* Writes all LEN bytes of BUF, across short writes and EINTR.  0 or -1. */
int write_full(int fd, const void *buf, size_t len);
int64_t now_us(void);

/* IDs and names (name.c). */
int new_id(int priority, char id[SPOOL_ID_SIZE]);
int id_priority(const char *id);
int64_t id_time_us(const char *id);
int parse_name_kind(const char *name, struct spool_entry *e);
int format_name(char *buf, size_t size, const char *id, unsigned attempts,
    uint64_t msgsize, char kind, int64_t when_ms);
void bucket_of(int64_t t_us, int priority, char top[16], char leaf[8]);
int is_bucket_top(const char *name, int with_priority);
/*
 * The start of the time range of the leaf TOP/LEAF (of a valid bucket),
 * and whether a leaf starting at START_US ended safely before NOW (ms):
 * only then may an empty one be removed.  LEAF "fff" stands for a whole
 * top bucket.
 */
int64_t bucket_start_us(const char *top, const char *leaf);
int bucket_is_past(int64_t start_us, int64_t now);
int is_bucket_leaf(const char *name);

/* Directories (dir.c). */
int open_dir_at(int dirfd, const char *name);
/*
 * After open_dir_at() failed on a bucket: is the reason one a walk passes
 * over (removed meanwhile, or a planted symlink or file), rather than an
 * error (EIO, EMFILE, EACCES...) that must fail the walk?
 */
#define SKIPPABLE(err) ((err) == ENOENT || (err) == ELOOP || (err) == ENOTDIR)
int open_bucket(struct spool *, enum spool_state, const char *top,
    const char *leaf, int create, int *created);
int fsync_dir(struct spool *, int fd, const char *what);
int move_noreplace(
    struct spool *, int fromfd, const char *from, int tofd, const char *to);
/*
 * Moves FROM (in FROMFD, named FROMREL in messages) to T in STATE,
 * making T's bucket if needed.  Returns 0 with the bucket open in *LFD
 * (the caller fsyncs and closes it), -1, SPOOL_EMPTY when FROM is gone,
 * or EEXIST when T exists.
 */
int move_into(struct spool *, int fromfd, const char *from, const char *fromrel,
    enum spool_state state, const struct target *t, int *lfd);
/* Sorted names in a directory; every name is malloc'ed. */
struct names {
	char **v;
	size_t n, cap;
	char *buf; /* every name, each after its d_type byte */
	size_t used, size;
};
/* The d_type (DT_REG, DT_UNKNOWN...) list_dir() saw for a name. */
#define NAME_TYPE(name) ((unsigned char)(name)[-1])
int list_dir(int fd, struct names *);
/*
 * Calls FN for every name in the directory FD (but "." and ".."), in
 * directory order, copying nothing; stops at FN's first non-zero result
 * and returns it, or -1 on a read error.
 */
int walk_dir(int fd,
    int (*fn)(void *arg, int fd, const char *name, unsigned char type),
    void *arg);
void names_free(struct names *);

/* Config (config.c). */
int read_config(struct spool *);
int write_config(
    int rootfd, const struct spool_config *, unsigned mode, int nosync);

/* History (info.c). */
int history_append(
    struct spool *, const char *id, unsigned attempt, const char *reason);
int history_remove(struct spool *, const char *id);

/*
 * Publishing one message (push.c); a batch or an import publishes many
 * at once with group_publish() below.  tmp_create() makes tmp/ID
 * exclusively (for those too) and returns a writable fd;
 * tmp_publish() syncs it (unless the handle is SPOOL_NOSYNC), closes it,
 * renames it to STATE (new, retry or dead) with the given attempts and,
 * for retry, due time, fsyncs the target directory and unlinks tmp/ID on
 * any failure.  Returns 0, -1, or EEXIST (positive) when a message with
 * that ID is already in the target bucket.  tmp_abort() unlinks and
 * closes.
 */
int tmp_create(struct spool *, const char *id, int *fd);
int tmp_publish(struct spool *, const char *id, int fd, uint64_t size,
    enum spool_state state, unsigned attempts, int64_t due_ms);
void tmp_abort(struct spool *, const char *id, int fd);
int target_of(const char *id, uint64_t size, enum spool_state state,
    unsigned attempts, int64_t due_ms, struct target *t);

/*
 * Group commit (batch.c), for push -l and import: every message is
 * written and closed in tmp/ unsynced; group_publish() makes their data
 * durable with one syncfs, renames each to its target T in STATE, and
 * fsyncs each bucket once (consecutive messages mostly share one).  V is
 * the first of N struct pub, STRIDE bytes apart (each is a member of the
 * caller's own item).  A target that exists already is an error, or,
 * with KEEP_EXISTING, left alone: its tmp/ file is removed and the item
 * marked -1.  Returns 0 or -1; then PUBLISHED says what to take back.
 */
struct pub {
	char tmp[SPOOL_ID_SIZE]; /* its file in tmp/ */
	enum spool_state state;
	struct target t;
	int published; /* 1 renamed, -1 its target existed, 0 not (yet) */
};
int group_publish(
    struct spool *, struct pub *v, size_t n, size_t stride, int keep_existing);

/*
 * Is ST a message file this queue may deliver: a regular file with one
 * link, readable by its owner, owned by the queue's owner or, in a group
 * queue, by its group?  Anything else was planted, and is left alone.
 */
int is_message(const struct spool *, const struct stat *st);

/* Claims (claim.c). */
int open_file(int dirfd, const char *name, struct stat *st);
int safe_open(int dirfd, const char *name, struct stat *st);
int claimable(struct spool *);
int settle_move(struct spool *, const char *name, const struct spool_entry *e,
    int dead, int64_t due);

/* Scanning (scan.c). */
int sweep_tmp(struct spool *, struct spool_gc_report *);
int reclaim_expired(struct spool *, struct spool_gc_report *, int warn);
int backoff_ms(const struct spool_config *, unsigned attempt, int64_t *ms);

#endif /* SPOOL_INTERNAL_H */
