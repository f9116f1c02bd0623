/*
 * run.h: what the parts of spool run share (cmd/run*.c only).
 *
 * One runner process claims messages and runs one job per claim (or per
 * batch of claims), each in its own process group, with the payload on
 * standard input.  All the bookkeeping happens in the main thread, in one
 * poll(2) loop: signals arrive through a signalfd, jobs' output through
 * one pipe per job, and timers (heartbeats, timeouts, stop) are deadlines
 * on the monotonic clock.  Helper threads only block on the runner's
 * behalf and report through pipes: spawners do the vforks (run_spawn.c),
 * the closer does the last close of acked files (run_close.c), and the
 * --follow waiter sits in spool_wait() on a handle of its own
 * (run_wait.c).  A job is reaped by its pid, never by the end of its
 * output, so a job that leaves a daemon holding its stderr does not hold
 * up the runner.
 */
#ifndef RUN_H
#define RUN_H

#include <sys/types.h>

#include <signal.h>
#include <stdint.h>

#include "cmd.h"

/* Bytes of a job's stderr (or, with --capture, output) kept for a reason. */
#define TAIL_SIZE 4096
/* The most of a reason that spool_nack() keeps (it keeps the last bytes). */
#define REASON_MAX 4096

/* What became of one message. */
enum outcome {
	OUT_OK,       /* acked */
	OUT_RETRY,    /* nacked with the queue's backoff */
	OUT_DEAD,     /* nacked to dead/ */
	OUT_RETURNED, /* handed back at once because the runner stopped */
	OUT_STALE,    /* its claim was lost before it could be settled */
	OUT_ERROR,    /* ack or nack failed */
};

struct job {
	pid_t pid;               /* 0: the slot is free; -2: being spawned */
	struct spool_msg **msgs; /* the claims this job works on */
	char **tokens;           /* newer tokens heartbeats gave, or NULL */
	size_t nmsg;
	int outfd;            /* read end of the job's stderr pipe, or -1 */
	char tail[TAIL_SIZE]; /* ring of the last output bytes */
	size_t tailpos;       /* next write position in tail */
	uint64_t outbytes;    /* bytes read so far */
	int64_t start;        /* monotonic us */
	int64_t heartbeat;    /* next lease extension, monotonic ms */
	int64_t deadline;     /* --timeout: when to send TERM; 0: none */
	int64_t killat;       /* when to send KILL; 0: not yet due */
	int timedout;         /* TERM sent because of --timeout */
	int stopped;          /* signalled because the runner stops */
	int stale;            /* a heartbeat found the claim gone */
	/* What its spawn needs until the child has exec'd, and its result. */
	char **argv, **envp, *envstr[3];
	int nalloc; /* argv entries to check when freeing */
	int errw;   /* the write end of the stderr pipe, or -1 */
	pid_t spawnpid;
	int spawnerr;
};

/* A claim whose ack or nack failed, to be tried again before exit. */
struct pending {
	struct spool_msg *msg;
	char *token;
	enum outcome out;
	char *status, *reason;
	int64_t us;
	struct pending *next;
};

struct runner {
	/* Options. */
	const char *qname; /* QUEUE as given, for messages */
	char **cmd;        /* CMD [ARGS...], NULL-terminated */
	int ncmd;
	char *cmdpath;   /* CMD resolved against PATH once */
	int jmin, jmax;  /* -j MIN:MAX (equal for -j N) */
	int64_t timeout; /* ms, 0: none */
	int64_t grace;   /* ms */
	int64_t lease;   /* ms */
	uint64_t max;    /* --max, 0: no limit */
	int batch;       /* --batch, 1: one message per job */
	int64_t rate_us; /* --rate as microseconds between starts, 0 */
	int follow, quiet, json, capture;
	unsigned char deadexit[256]; /* exit codes that mean dead */
	int has_braces;              /* some ARG contains "{}" */

	/* Set up once. */
	struct spool *q;
	char **env;     /* the environment for jobs, with free slots */
	size_t envbase; /* index of the first free slot */
	char *qvar;     /* "SPOOL_QUEUE=...", one of env's entries */
	int nullfd;     /* /dev/null, stdin for a batch */
	int sigfd;      /* signalfd for CHLD, INT, TERM, HUP */
	sigset_t sigs;
	sigset_t oldmask;
	int wakefd;   /* --follow: the waiter says "wait over" */
	int spawnreq; /* jobs for the spawner threads, or -1 */
	int spawnres; /* jobs the spawners are done with */
	int reqfd;    /* --follow: asks the waiter for one wait */
	int waiting;  /* a request is outstanding */

	/* Jobs. */
	struct job *jobs;  /* jmax slots */
	int running;       /* slots in use */
	int target;        /* slots to fill now, jmin..jmax */
	int64_t lastscale; /* monotonic ms of the last scale-up */

	/* State. */
	uint64_t claimed; /* messages claimed so far */
	uint64_t nok, nfailed, nreturned;
	int maybedue;            /* a claim may find work */
	int64_t nextstart;       /* --rate: earliest next start, monotonic us */
	int stopping;            /* 0; 1 after a signal; 2 after a second */
	int stopsig;             /* the first stop signal */
	int64_t stopterm;        /* when to TERM the jobs, monotonic ms */
	int64_t stopkill;        /* when to KILL them */
	int status;              /* error exit status (EX_IOERR...), or 0 */
	struct pending *pending; /* claims to settle again before exit */

	/* Status line, when stderr is a terminal. */
	int tty, color;
	int64_t nextdraw; /* monotonic ms */
	int drawn;        /* a status line is on screen */
	uint64_t backlog;
	int64_t nextstat; /* monotonic ms of the next spool_stat() */
	double rate;      /* jobs finished per second, smoothed */
	uint64_t ratedone;
	int64_t ratetime;
};

/* run_job.c: starting, watching, reaping and settling jobs. */
int job_setup(struct runner *);
int job_claim(struct runner *, struct job *, size_t want);
int job_start(struct runner *, struct job *);
void job_result(struct runner *, struct job *);
void job_unstarted(struct runner *, struct job *, int err);
void job_read(struct runner *, struct job *);
void job_signal(struct job *, int sig);
void job_timers(struct runner *, struct job *, int64_t now);
void job_reap(struct runner *);
void job_settle(struct runner *, struct job *, enum outcome, const char *status,
    int64_t us);
void settle_pending(struct runner *);
void job_free(struct runner *, struct job *);

/* run_spawn.c: vfork and exec, in spawner threads when -j > 1. */
int spawn(const char *path, char **argv, char **envp, int in, int out, int err,
    pid_t *pid);
void spawn_job(struct runner *, struct job *);
int spawners_start(struct runner *, int n);

/* run_log.c: per-message log lines, JSON lines and the status line. */
void log_outcome(struct runner *, const struct spool_msg *, enum outcome,
    const char *status, int64_t us);
void log_output(struct runner *, const char *buf, size_t len);
void status_draw(struct runner *, int64_t now, int final);
void status_clear(struct runner *);
int64_t status_next(const struct runner *);
void errmsg(struct runner *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* run_close.c: the last close of acked messages, in a helper thread. */
void closer_start(void);
void closer_free(struct spool_msg *);

/* run_wait.c: the --follow waiter. */
int waiter_start(struct runner *);
void waiter_request(struct runner *);

#endif /* RUN_H */
