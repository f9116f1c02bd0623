/*
 * spool.h: libspool, a durable at-least-once message queue in a directory.
 *
 * A queue is a directory; a message is a file whose bytes are exactly the
 * payload; every state change is one rename(2) inside the queue.  The name
 * of a message file carries everything the state machine needs (ID,
 * priority, attempts, size, lease deadline or due time), so a transition
 * never rewrites a file.  spool(5) describes the format; libspool(3) the
 * functions below.
 *
 * Conventions.  A function returns 0 on success, or -1 with errno set and
 * a message for spool_error().  Ordinary outcomes are results, not
 * errors: an empty queue, a lost claim race, a stale token.  Functions
 * that have such outcomes say which positive value they return.  The
 * library never prints and never exits.
 *
 * A struct spool is not safe for use by two threads at once; use one
 * handle per thread.  Any number of processes, on any number of hosts
 * sharing the directory, may work one queue at once.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_VERSION "0.1.0"
#define SPOOL_VERSION_MAJOR 0
#define SPOOL_VERSION_MINOR 1
#define SPOOL_VERSION_PATCH 0

/* An ID is SPOOL_ID_LEN characters: a digit, then lowercase hex. */
#define SPOOL_ID_LEN 31
#define SPOOL_ID_SIZE (SPOOL_ID_LEN + 1)
/* A message file's name, and so a token's last component, fits in this. */
#define SPOOL_NAME_SIZE 128

/* Priorities run from 0 (delivered last) to 9 (delivered first). */
#define SPOOL_PRIORITY_MIN 0
#define SPOOL_PRIORITY_MAX 9
#define SPOOL_PRIORITY_DEFAULT 5

/* Largest payload push accepts: 1 GiB. */
#define SPOOL_MAX_PAYLOAD ((uint64_t)1 << 30)

/* Results that are not errors. */
#define SPOOL_OK 0
#define SPOOL_EMPTY 1 /* nothing to claim, or nothing matched */
#define SPOOL_STALE 3 /* the token's claim is gone (fenced off) */

enum spool_state {
	SPOOL_NEW = 0,
	SPOOL_CUR = 1,
	SPOOL_RETRY = 2,
	SPOOL_DEAD = 3,
};
#define SPOOL_NSTATES 4
/* Bit masks for functions that take a set of states. */
#define SPOOL_STATE_BIT(s) (1u << (s))
#define SPOOL_ALL_STATES 0xfu

/* The state's directory name ("new", "cur", "retry", "dead"). */
const char *spool_state_name(enum spool_state);
/* Parses a state name; returns the state, or -1 (errno EINVAL). */
int spool_state_parse(const char *);

/*
 * Queue policy, kept in QUEUE/config.  Durations are in milliseconds.
 */
struct spool_config {
	unsigned max_attempts;  /* claims before a failure is final; >= 1 */
	int64_t lease_ms;       /* how long a claim is exclusive */
	int64_t backoff_min_ms; /* first retry delay cap; doubles per attempt */
	int64_t backoff_max_ms; /* largest retry delay cap */
};
/* Bits for spool_init()'s mask: which settings to write. */
#define SPOOL_SET_MAX_ATTEMPTS 0x1u
#define SPOOL_SET_LEASE 0x2u
#define SPOOL_SET_BACKOFF 0x4u

/* The defaults: 5 attempts, 5 min lease, backoff 30 s to 1 h. */
void spool_config_default(struct spool_config *);

/*
 * Parses a duration: a non-negative integer with an optional unit, "ms",
 * "s" (the default), "m", "h" or "d", as in "250ms", "30", "5m", "1d".
 * Stores milliseconds in *ms.  Returns 0, or -1 with errno EINVAL or
 * ERANGE (beyond 100 years).
 */
int spool_parse_duration(const char *, int64_t *ms);
/* Formats ms compactly ("250ms", "30s", "5m", "1h30m") into buf. */
char *spool_format_duration(int64_t ms, char *buf, size_t size);

/*
 * Opening.  PATH is the queue directory.  spool_resolve() turns a QUEUE
 * argument into a path: one with a '/' is a path as given; a bare name is
 * $SPOOL_DIR/NAME, else ${XDG_STATE_HOME:-$HOME/.local/state}/spool/NAME.
 * A bare name must match [A-Za-z0-9_][A-Za-z0-9._-]*.  Returns a malloc'ed
 * string, or NULL with errno EINVAL (bad name) or ENOENT (no HOME).
 */
char *spool_resolve(const char *queue);
/* The default root that bare names live under; malloc'ed, or NULL. */
char *spool_default_root(void);

/*
 * Creates the queue at PATH (parents too, 0755 for parents it makes) or
 * repairs a partial one, then writes the settings in CFG selected by MASK
 * (all of them for a new queue, with defaults for the unselected ones).
 * MODE is the queue's directory mode (0700 by default when 0 is given,
 * 02770 for a group queue); files take MODE without execute bits.
 * Idempotent.  Returns 0 or -1.
 */
int spool_init(const char *path, const struct spool_config *cfg, unsigned mask,
    unsigned mode);

/*
 * Gives the queue at PATH, its state directories, buckets and config to
 * group GID (for a shared queue made with mode 02770).  Files pushed
 * later inherit the group from the setgid directories.  Returns 0 or -1.
 */
int spool_set_group(const char *path, unsigned gid);

/* Flags for spool_open(). */
#define SPOOL_CREATE 0x1u /* create a missing queue with defaults */
#define SPOOL_NOSYNC 0x2u /* skip every fsync: fast, not durable */

/*
 * Opens the queue at PATH.  The queue directory itself may be reached
 * through a symlink; nothing inside it is.  Returns a handle, or NULL with
 * errno: ENOENT (no such queue), ENOTDIR or EINVAL (not a queue: a state
 * directory is missing or is not a directory, or config is unreadable),
 * or another errno.  spool_open_error() then says what.
 */
struct spool *spool_open(const char *path, unsigned flags);
/* Why the last spool_open() in this thread failed. */
const char *spool_open_error(void);
void spool_close(struct spool *);

/* The message for the handle's last failure ("" if none). */
const char *spool_error(const struct spool *);
/* The path the queue was opened with. */
const char *spool_path(const struct spool *);
/* The queue's policy as read from config at open. */
const struct spool_config *spool_config(const struct spool *);

/*
 * Pushing.  A push writes tmp/, fsyncs the file, renames it into new/
 * (or retry/ when delayed), fsyncs the directory, and only then returns 0
 * and the new ID in ID.  On any failure nothing is visible and the
 * temporary file is gone.
 */
struct spool_push_opts {
	int priority;     /* SPOOL_PRIORITY_MIN..MAX */
	int64_t delay_ms; /* > 0: parked in retry/ until due */
};
void spool_push_opts_default(struct spool_push_opts *);

int spool_push(struct spool *, const void *buf, size_t len,
    const struct spool_push_opts *, char id[SPOOL_ID_SIZE]);
/* As spool_push(), reading the payload from FD until end of file. */
int spool_push_fd(struct spool *, int fd, const struct spool_push_opts *,
    char id[SPOOL_ID_SIZE]);

/*
 * Group commit: add many messages, then publish them all with one sync
 * of the data, their renames, and one fsync per directory touched.
 * Nothing added is visible before spool_batch_commit() returns 0; IDs
 * are assigned at add and valid once commit succeeds.  After a failed
 * commit none of the batch is visible.  spool_batch_free() discards
 * anything uncommitted.
 */
struct spool_batch;
struct spool_batch *spool_batch_new(
    struct spool *, const struct spool_push_opts *);
int spool_batch_add(
    struct spool_batch *, const void *buf, size_t len, char id[SPOOL_ID_SIZE]);
size_t spool_batch_count(const struct spool_batch *);
int spool_batch_commit(struct spool_batch *);
void spool_batch_free(struct spool_batch *);

/*
 * Claiming.  spool_claim() renames the next due message (lowest priority
 * order, then oldest) from new/ or retry/ into cur/, bumping its attempt
 * count and setting its lease deadline to now + LEASE_MS (the queue's
 * lease when 0).  Returns 0 with *MSG set, SPOOL_EMPTY when nothing is due
 * (checked by a converging rescan, not one listing), or -1.
 */
struct spool_msg;
int spool_claim(struct spool *, int64_t lease_ms, struct spool_msg **msg);
/*
 * Waits until a message may be due (a change in new/ or retry/, or the
 * next retry's due time) or TIMEOUT_MS passes (-1: forever).  Uses
 * inotify where the filesystem supports it, polling otherwise.  Returns
 * 0 when woken (a claim may still find nothing), SPOOL_EMPTY on timeout,
 * or -1 (EINTR when a signal arrived).
 */
int spool_wait(struct spool *, int64_t timeout_ms);

/* The claimed message's ID. */
const char *spool_msg_id(const struct spool_msg *);
/* Its token: the absolute path of its file in cur/. */
const char *spool_msg_token(const struct spool_msg *);
/* Which claim this is (1 for the first). */
unsigned spool_msg_attempt(const struct spool_msg *);
uint64_t spool_msg_size(const struct spool_msg *);
int64_t spool_msg_deadline(const struct spool_msg *); /* ms since epoch */
int spool_msg_priority(const struct spool_msg *);
/*
 * A read-only descriptor of the payload, opened without following links
 * and checked to be a regular file, positioned at 0.  Owned by the msg.
 */
int spool_msg_fd(const struct spool_msg *);
void spool_msg_free(struct spool_msg *);

/*
 * Settling a claim.  TOKEN is a token as spool_msg_token() gives it (or
 * its last component).  Each returns 0, SPOOL_STALE when that claim is
 * gone (the lease expired and the message was reclaimed, or it was
 * already settled) and nothing was changed, or -1.  A token whose
 * directory is not this queue's cur/ or whose name is malformed fails
 * with EINVAL.
 *
 * spool_ack() deletes the message.  spool_nack() returns it: to retry/
 * after DELAY_MS (< 0: the queue's backoff with full jitter), or to dead/
 * when the SPOOL_NACK_DEAD flag is given or this was the last attempt.
 * REASON (may be NULL) is appended to the message's history.
 * spool_touch() extends the lease to now + LEASE_MS (the queue's lease
 * when 0); it never shortens it, and fails with SPOOL_STALE once the
 * deadline has passed.  NEWTOKEN, when not NULL, receives the token the
 * claim now has, malloc'ed (the old token stays valid across touches).
 */
#define SPOOL_NACK_DEAD 0x1u
/*
 * SPOOL_NACK_RELEASE hands the claim back unspent: to retry/, due now,
 * with the attempt count it had before this claim, never to dead/ (for
 * a worker that stops before running the job to its end).
 */
#define SPOOL_NACK_RELEASE 0x2u
int spool_ack(struct spool *, const char *token);
int spool_nack(struct spool *, const char *token, int64_t delay_ms,
    unsigned flags, const char *reason);
int spool_touch(
    struct spool *, const char *token, int64_t lease_ms, char **newtoken);
/*
 * Opens the queue a token belongs to (its cur/'s parent).  Returns NULL
 * with errno EINVAL when TOKEN is not shaped like a token.
 */
struct spool *spool_open_token(const char *token, unsigned flags);

/*
 * Looking at a queue.  An entry describes one message file.
 */
struct spool_entry {
	char id[SPOOL_ID_SIZE];
	char name[SPOOL_NAME_SIZE]; /* file name inside its bucket */
	enum spool_state state;
	int priority;
	unsigned attempts;   /* claims so far */
	uint64_t size;       /* payload bytes */
	int64_t enqueued_ms; /* from the ID */
	int64_t deadline_ms; /* cur: lease deadline; retry: due time; else 0 */
	char host[7];        /* hash of the pushing host, 6 hex digits */
	char bucket[24];     /* where in its state directory ("" in cur) */
};

/* Parses a message file name into E (state not set).  0, or -1 EINVAL. */
int spool_parse_name(const char *name, struct spool_entry *e);
/* Checks an ID's shape.  Returns 1 if valid, else 0. */
int spool_valid_id(const char *id);

/*
 * Iterates the messages in the states in MASK, state by state (new, cur,
 * retry, dead), each in delivery order (retry by due time), holding no
 * more than one bucket in memory.  A message moving meanwhile may be seen
 * twice or not at all.  spool_iter_next() returns 0 with *E filled,
 * SPOOL_EMPTY at the end, or -1.  Entries that are not well-formed
 * message files are skipped and reported through the handle's
 * warning callback.
 */
struct spool_iter;
struct spool_iter *spool_iter_new(struct spool *, unsigned statemask);
int spool_iter_next(struct spool_iter *, struct spool_entry *e);
void spool_iter_free(struct spool_iter *);

/*
 * Something that is not a message was found where messages live (a
 * symlink, a directory, a malformed name...).  The library skips it and
 * calls the handle's warning function with a queue-relative path and a
 * reason; by default nothing is called.
 */
typedef void spool_warn_fn(void *arg, const char *relpath, const char *why);
void spool_set_warn(struct spool *, spool_warn_fn *, void *arg);

/*
 * Finds the message with ID.  Returns 0 with *E filled, SPOOL_EMPTY when
 * there is none, or -1.
 */
int spool_find(struct spool *, const char *id, struct spool_entry *e);
/*
 * Opens the payload of E (as found by spool_find or the iterator) for
 * reading, safely.  Returns a descriptor, or -1 (ENOENT if it moved).
 */
int spool_open_entry(struct spool *, const struct spool_entry *e);
/*
 * The history of a message: failure reasons recorded by nack, oldest
 * first, one per line, as a malloc'ed string in *TEXT (NULL and 0 when
 * there is none).  Returns 0 or -1.
 */
int spool_history(struct spool *, const char *id, char **text);

/* Per-state totals and ages, from one pass over the queue. */
struct spool_stats {
	uint64_t count[SPOOL_NSTATES];
	uint64_t bytes[SPOOL_NSTATES];
	int64_t oldest_due_ms; /* enqueue time of the oldest due message, 0 */
	int64_t next_due_ms;   /* due time of the next retry not yet due, 0 */
	uint64_t due;          /* messages claimable now */
};
int spool_stat(struct spool *, struct spool_stats *);

/*
 * Moves the message ID (or, with ID NULL, every message) in the states of
 * FROMMASK (SPOOL_DEAD and/or SPOOL_RETRY, SPOOL_NEW is ignored) back to
 * new/ with its attempts reset to 0.  Adds the number moved to *MOVED.
 * Returns 0, SPOOL_EMPTY when ID was given and not found there, or -1.
 */
int spool_kick(
    struct spool *, const char *id, unsigned frommask, uint64_t *moved);
/*
 * Deletes the message ID (or, with ID NULL, every message in the states
 * of MASK) whose enqueue time is older than OLDER_MS ago (0: any age).
 * Adds the number deleted to *DELETED.  Returns as spool_kick().
 */
int spool_purge(struct spool *, const char *id, unsigned mask, int64_t older_ms,
    uint64_t *deleted);

/*
 * Housekeeping that every scan also does for the part it visits: returns
 * leases expired (beyond the clock skew tolerance) to retry/, or to dead/
 * when attempts are exhausted; deletes tmp/ files older than 36 hours;
 * removes empty buckets.  Fills R if not NULL.  Returns 0 or -1.
 */
struct spool_gc_report {
	uint64_t reclaimed; /* expired leases returned to retry/ */
	uint64_t expired;   /* expired leases sent to dead/ */
	uint64_t tmp_removed;
	uint64_t buckets_removed;
	uint64_t foreign; /* entries reported as not messages */
};
int spool_gc(struct spool *, struct spool_gc_report *r);

/* Lease deadlines are trusted to this much clock skew between hosts. */
#define SPOOL_SKEW_MS 1000

/*
 * Pressure samples (for rates in spool stat): see lib/sample.c.
 */
/* @stat-api: declarations for stat samples go here. */
/*
 * The library keeps no counters, so rates come from two samples of a
 * queue.  A sample is the time and the per-state counts; QUEUE/sample
 * holds the last one stored.  Between a sample taken at T and now:
 *   push rate = messages enqueued at or after T (by their IDs' time)
 *               that are still in the queue, per second;
 *   done rate = messages that were in the queue at T and have left it
 *               (acked or purged), per second, computed as those
 *               arrivals minus the change in the total.
 * Both are exact counts of what they say and lower bounds of the true
 * push and completion rates: a message pushed and acked between the two
 * samples is in neither.  Imports (older IDs) and hosts with clocks
 * behind make them low; the done rate is never below 0.  A sample is
 * timed to the millisecond, so a push in the very millisecond a sample
 * is taken may count as an arrival after it.
 */
struct spool_sample {
	int64_t time_ms; /* when it was taken, ms since the epoch */
	uint64_t count[SPOOL_NSTATES];
};
/* Fills S from ST taken at NOW_MS. */
void spool_sample_of(
    const struct spool_stats *st, int64_t now_ms, struct spool_sample *s);
/*
 * Reads the stored sample into S.  Returns 0, SPOOL_EMPTY when there is
 * none or it is not well-formed (a sample is a hint, never trusted), or
 * -1 on an I/O error.
 */
int spool_sample_load(struct spool *, struct spool_sample *s);
/*
 * Stores S as the queue's sample, replacing the last one atomically
 * (written beside it, then renamed; not fsynced: a sample lost in a
 * crash costs one rate).  Returns 0 or -1 (EROFS, EACCES on a queue this
 * user may only read).
 */
int spool_sample_save(struct spool *, const struct spool_sample *s);
/*
 * Counts the messages in any state enqueued at or after SINCE_MS.  Reads
 * cur/ and only the buckets that can hold them (new/ and dead/ from
 * SINCE_MS on, retry/ due from SINCE_MS on), so its cost follows recent
 * traffic and pending retries, not depth.  Returns 0 with *N set, or -1.
 */
int spool_count_since(struct spool *, int64_t since_ms, uint64_t *n);
struct spool_rates {
	int64_t interval_ms; /* NOW's time minus PREV's */
	double push_rate;    /* messages per second, as above */
	double done_rate;
};
/*
 * Rates between PREV and NOW (two samples of this queue).  Returns 0,
 * SPOOL_EMPTY when NOW is less than a second after PREV (or before it:
 * a clock stepped back), or -1.
 */
int spool_rates(struct spool *, const struct spool_sample *prev,
    const struct spool_sample *now, struct spool_rates *r);

/*
 * Export and import through libarchive: see lib/archive.c.
 */
/* @archive-api: declarations for export and import go here. */
/*
 * An archive holds, in this order: "spool-header" (the format version,
 * the tool version and the queue's config), one entry per message named
 * STATE/NAME (STATE new, retry or dead; NAME the message file's name;
 * leased messages are written as retry/, due at the export's start),
 * each followed by "info/ID" when it has a history, and "spool-manifest"
 * (the count of messages per state), so that an import can tell a
 * complete archive from a cut one.  spool(5) has the details.
 */
enum spool_format {
	SPOOL_FORMAT_TAR = 1, /* POSIX ustar */
	SPOOL_FORMAT_PAX,     /* pax headers on every entry */
	SPOOL_FORMAT_CPIO,    /* SVR4 "newc" cpio */
	SPOOL_FORMAT_ZIP,
	SPOOL_FORMAT_7ZIP,
};
enum spool_compress {
	SPOOL_COMPRESS_NONE = 1,
	SPOOL_COMPRESS_GZIP,
	SPOOL_COMPRESS_BZIP2,
	SPOOL_COMPRESS_XZ,
	SPOOL_COMPRESS_ZSTD,
	SPOOL_COMPRESS_LZ4,
};
/* Parse "tar", "pax", ... and "gzip", "none", ...; -1 (EINVAL) if unknown. */
int spool_format_parse(const char *);
int spool_compress_parse(const char *);
/*
 * Guesses format and compression from a file name's extension (".tar",
 * ".tgz", ".tar.zst", ".cpio.xz", ".zip", ".7z", ...).  Returns 0, or -1
 * (EINVAL) when the extension names neither.  Either may be set alone:
 * "x.gz" gives only the compression, the format is then left as it was.
 */
int spool_format_guess(const char *filename, int *format, int *compress);

/*
 * Called after each message with the totals so far, and before each
 * read or write of the archive.  Returning non-zero (say, once a signal
 * was caught) stops the export or import, which then fails with
 * ECANCELED; the call must stay cheap.
 */
typedef int spool_progress_fn(void *arg, uint64_t messages, uint64_t bytes);

#define SPOOL_EXPORT_MOVE 0x1u /* delete what was archived, afterwards */
struct spool_export_opts {
	unsigned states; /* SPOOL_STATE_BIT mask; 0 means all */
	int format;      /* enum spool_format; 0 means tar */
	int compress;    /* enum spool_compress; 0 means none */
	unsigned flags;
	spool_progress_fn *progress; /* may be NULL */
	void *progress_arg;
};
struct spool_export_report {
	uint64_t count[SPOOL_NSTATES]; /* messages written, by archive state */
	uint64_t messages, bytes;
	unsigned passes; /* scans of the queue until it settled */
	int settled;     /* 0 when the queue kept changing to the end */
	uint64_t moved;  /* SPOOL_EXPORT_MOVE: deleted from the queue */
	uint64_t kept;   /* SPOOL_EXPORT_MOVE: left (leased or changed) */
};
/*
 * Writes the messages in OPTS->states to an archive on FD, which stays
 * open.  A live queue is scanned until a pass finds nothing it missed
 * before, so that a message present for the whole export is in the
 * archive exactly once, whatever moves meanwhile; for that it keeps the
 * IDs it wrote, at most about 70 bytes per message (measured: 64 at
 * 100,000).  With SPOOL_EXPORT_MOVE, once the
 * archive is closed, each message still where it was archived is
 * deleted; leased ones and ones that moved meanwhile are kept.  Fills R
 * (may be NULL).  Returns 0 or -1.
 */
int spool_export_fd(struct spool *, int fd, const struct spool_export_opts *,
    struct spool_export_report *r);
/*
 * As spool_export_fd() into the file PATH, which must be outside the
 * queue: writes PATH.tmp (created exclusively, never through a symlink),
 * fsyncs it, renames it over PATH and fsyncs its directory; any failure
 * removes PATH.tmp and leaves PATH as it was.  SPOOL_EXPORT_MOVE deletes
 * only after all that.  Returns 0 or -1 (EEXIST: PATH.tmp exists; EINVAL:
 * PATH is inside the queue).
 */
int spool_export_file(struct spool *, const char *path,
    const struct spool_export_opts *, struct spool_export_report *r);

/*
 * Importing.  The archive is hostile: only regular entries named as
 * export names them are imported, through the same durable path as
 * push, keeping ID, state and attempts; nothing from an entry's name is
 * ever used as a path.  Readers: tar, cpio, zip and 7zip (7zip and
 * seekable zip need a file, not a pipe), with the compressions above.
 */
struct spool_import_opts {
	int state_as;         /* -1 keeps each state; else new, retry or
				 dead (new resets the attempts, as kick) */
	uint64_t max_size;    /* per message; 0 means SPOOL_MAX_PAYLOAD */
	uint64_t max_entries; /* 0 means 10,000,000 */
	uint64_t max_total;   /* bytes after decompression; 0: 64 GiB */
	spool_progress_fn *progress;
	void *progress_arg;
	/* Called for each entry skipped; NAME is raw archive bytes. */
	void (*skipped)(void *arg, const char *name, const char *why);
	void *skipped_arg;
};
void spool_import_opts_default(struct spool_import_opts *);
struct spool_import_report {
	uint64_t count[SPOOL_NSTATES]; /* imported, by the state written */
	uint64_t imported, bytes;
	uint64_t present; /* IDs already in the queue (or twice in it) */
	uint64_t skipped; /* entries refused */
	uint64_t seen[SPOOL_NSTATES];     /* messages met, by archive state */
	uint64_t manifest[SPOOL_NSTATES]; /* as the manifest says */
	int has_manifest; /* the archive ended with its manifest */
	int mismatch;     /* the manifest's counts differ from seen[] */
};
struct spool_import;
/*
 * Starts reading an archive from FD (which the caller closes after
 * spool_import_free()) and reads its header.  Returns a handle, or NULL
 * with errno and a message in *ERRMSG (static storage, this thread).
 */
struct spool_import *spool_import_open(
    int fd, const struct spool_import_opts *, const char **errmsg);
/* The config the archive recorded, or NULL when it has none. */
const struct spool_config *spool_import_config(const struct spool_import *);
/*
 * Imports every message into Q, filling R.  Returns 0 when the archive
 * was read to its end (see R for skipped entries and the manifest), or
 * -1 when reading stopped early: the archive is corrupt, cut short or
 * over a bound (the complete messages before that are imported), or a
 * write to the queue failed.  spool_import_error() says which.
 */
int spool_import_run(
    struct spool_import *, struct spool *, struct spool_import_report *r);
const char *spool_import_error(const struct spool_import *);
void spool_import_free(struct spool_import *);

#endif /* SPOOL_H */
