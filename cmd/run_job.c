/*
 * run_job.c: the life of one job of spool run: claim, spawn, watch,
 * reap, settle.
 *
 * A job is spawned with vfork(2) (so the cost of a start does not grow
 * with the runner's memory, and the child does next to nothing before
 * its exec) in a process group of its own, with exactly fds 0-2: the payload's
 * validated descriptor (dup'ed, never reopened by path) on 0, the runner's
 * stdout on 1 (or the capture pipe), and a pipe on 2 whose bytes the runner
 * passes through and whose last TAIL_SIZE bytes it keeps for the failure
 * reason.  The job is reaped by pid when it exits; its pipe is then drained of
 * what is already there and closed, whoever else still holds it.  Every claim a
 * job held is settled exactly once: acked, nacked, or handed back.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

extern char **environ;

/* The environment variables run sets; inherited values are dropped. */
static const char *const ourvars[] = {
    "SPOOL_ID=",
    "SPOOL_ATTEMPT=",
    "SPOOL_QUEUE=",
    "SPOOL_FILE=",
};
#define NOURVARS (sizeof(ourvars) / sizeof(ourvars[0]))

static int
is_ourvar(const char *s)
{
	size_t i;

	for (i = 0; i < NOURVARS; i++)
		if (strncmp(s, ourvars[i], strlen(ourvars[i])) == 0)
			return 1;
	return 0;
}

/*
 * Builds what every spawn shares: the environment, with SPOOL_QUEUE and
 * without the variables each job gets its own of, and, for a batch, its
 * stdin.  Returns 0, or -1 with errno set.
 */
int
job_setup(struct runner *r)
{
	size_t n, i;
	char cwd[PATH_MAX];
	const char *path;

	for (n = 0; environ[n] != NULL; n++)
		continue;
	if ((r->env = calloc(n + 2, sizeof(*r->env))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_ourvar(environ[i]))
			r->env[r->envbase++] = environ[i];
	/* Absolute, so that a job may change directory and still use it. */
	path = spool_path(r->q);
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	if (asprintf(&r->qvar, "SPOOL_QUEUE=%s%s%s", path[0] == '/' ? "" : cwd,
		path[0] == '/' ? "" : "/", path) == -1) {
		r->qvar = NULL;
		return -1;
	}
	r->env[r->envbase++] = r->qvar;

	/* A batch's stdin; one descriptor fewer for the rest. */
	if (r->batch &&
	    (r->nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	return 0;
}

/* Replaces every "{}" in S with PATH; malloc'ed, or NULL. */
static char *
replace_braces(const char *s, const char *path)
{
	size_t n = 0, plen = strlen(path);
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, "{}")) != NULL; p += 2)
		n++;
	if ((out = malloc(strlen(s) + n * plen + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0';) {
		if (s[0] == '{' && s[1] == '}') {
			memcpy(o, path, plen);
			o += plen;
			s += 2;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static void
free_argv(struct runner *r, char **argv, int nalloc)
{
	int i;

	if (argv == r->cmd)
		return;
	/* Only the strings replace_braces() made are ours to free. */
	for (i = 1; i < nalloc; i++)
		if (argv[i] != r->cmd[i])
			free(argv[i]);
	free(argv);
}

/* Claim I's token: the newest a heartbeat gave, else the claim's own. */
static char *
token_of(const struct job *j, size_t i)
{
	/* execve takes char *[]; nothing writes through these. */
	return j->tokens[i] != NULL ? j->tokens[i]
				    : (char *)spool_msg_token(j->msgs[i]);
}

/*
 * The argument vector for J.  One message: "{}" inside ARGS becomes its
 * path.  A batch: an ARG that is exactly "{}" becomes all the paths, or
 * they follow ARGS.  Sets *NALLOC to the number of entries to check when
 * freeing.  Returns NULL on allocation failure.
 */
static char **
build_argv(struct runner *r, struct job *j, int *nalloc)
{
	char **argv;
	size_t i, k, n;
	int a, placed = 0;

	*nalloc = 0;
	if (r->batch == 0) {
		if (!r->has_braces)
			return r->cmd;
		if ((argv = calloc(r->ncmd + 1, sizeof(*argv))) == NULL)
			return NULL;
		argv[0] = r->cmd[0];
		for (a = 1; a < r->ncmd; a++) {
			*nalloc = a + 1;
			argv[a] =
			    strstr(r->cmd[a], "{}") == NULL
				? r->cmd[a]
				: replace_braces(r->cmd[a], token_of(j, 0));
			if (argv[a] == NULL) {
				free_argv(r, argv, a);
				return NULL;
			}
		}
		return argv;
	}
	n = r->ncmd + j->nmsg + 1;
	if ((argv = calloc(n, sizeof(*argv))) == NULL)
		return NULL;
	for (a = 0, k = 0; a < r->ncmd; a++) {
		if (a > 0 && !placed && strcmp(r->cmd[a], "{}") == 0) {
			for (i = 0; i < j->nmsg; i++)
				argv[k++] = token_of(j, i);
			placed = 1;
		} else
			argv[k++] = r->cmd[a];
	}
	if (!placed)
		for (i = 0; i < j->nmsg; i++)
			argv[k++] = token_of(j, i);
	/* Nothing in a batch vector was allocated but the vector itself. */
	*nalloc = 0;
	return argv;
}

/* Frees what J's spawn needed once the child has exec'd (or failed). */
static void
spawn_free(struct runner *r, struct job *j)
{
	int i;

	if (j->argv != NULL)
		free_argv(r, j->argv, j->nalloc);
	j->argv = NULL;
	free(j->envp);
	j->envp = NULL;
	for (i = 0; i < 3; i++) {
		free(j->envstr[i]);
		j->envstr[i] = NULL;
	}
	if (j->errw != -1)
		close(j->errw);
	j->errw = -1;
}

/*
 * J's environment: the runner's, then SPOOL_ID, SPOOL_ATTEMPT and
 * SPOOL_FILE (none of them for a batch).  Returns 0 or -1.
 */
static int
build_env(struct runner *r, struct job *j)
{
	size_t k = r->envbase;
	int i;

	if ((j->envp = calloc(k + 4, sizeof(*j->envp))) == NULL)
		return -1;
	memcpy(j->envp, r->env, k * sizeof(*j->envp));
	if (r->batch != 0)
		return 0;
	if (asprintf(&j->envstr[0], "SPOOL_ID=%s", spool_msg_id(j->msgs[0])) ==
		-1 ||
	    asprintf(&j->envstr[1], "SPOOL_ATTEMPT=%u",
		spool_msg_attempt(j->msgs[0])) == -1 ||
	    asprintf(&j->envstr[2], "SPOOL_FILE=%s", token_of(j, 0)) == -1) {
		for (i = 0; i < 3; i++)
			j->envstr[i] = NULL; /* undefined after a failure */
		return -1;
	}
	for (i = 0; i < 3; i++)
		j->envp[k + i] = j->envstr[i];
	return 0;
}

/*
 * J's process has exec'd, or failed to: set it running, or return -1
 * with errno set (J's claims are then the caller's to settle).
 */
static int
job_spawned(struct runner *r, struct job *j)
{
	int64_t now;

	spawn_free(r, j);
	if (j->spawnerr != 0) {
		j->pid = 0;
		errno = j->spawnerr;
		return -1;
	}
	j->pid = j->spawnpid;
	now = j->start / 1000;
	j->heartbeat = now + (r->lease / 3 > 50 ? r->lease / 3 : 50);
	j->deadline = r->timeout ? now + r->timeout : 0;
	/* A stop may have come while it was being spawned. */
	if (r->stopping == 2 || (r->stopping == 1 && r->stopterm == 0)) {
		j->stopped = 1;
		job_signal(j, r->stopping == 2 ? SIGKILL : SIGTERM);
		j->killat = r->stopping == 2 ? 0 : mono_ms() + r->grace;
	}
	return 0;
}

/*
 * Starts the job for the claims already in J: in a spawner thread when
 * there are some (J then holds its slot, pid -2, until job_result()),
 * else here.  Counts J as running.  Returns 0, or -1 with errno set (the
 * caller then calls job_unstarted()).
 */
int
job_start(struct runner *r, struct job *j)
{
	int pfd[2];

	r->running++;
	if ((j->argv = build_argv(r, j, &j->nalloc)) == NULL ||
	    build_env(r, j) == -1 || pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	/* Only the runner's end is non-blocking. */
	(void)fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	j->outfd = pfd[0];
	j->errw = pfd[1];
	if (r->spawnreq != -1) {
		j->pid = -2;
		if (write(r->spawnreq, &j, sizeof(j)) == (ssize_t)sizeof(j))
			return 0;
	}
	spawn_job(r, j);
	return job_spawned(r, j);
}

/* A spawner is done with J. */
void
job_result(struct runner *r, struct job *j)
{
	if (job_spawned(r, j) == -1)
		job_unstarted(r, j, errno);
}

/*
 * J could not be started (ERR): report it, hand its claims back at once
 * and stop claiming, since a command that cannot run now will not run
 * for the next message either.
 */
void
job_unstarted(struct runner *r, struct job *j, int err)
{
	char why[256];

	snprintf(
	    why, sizeof(why), "cannot run %s: %s", r->cmd[0], strerror(err));
	errmsg(r, "%s", why);
	if (r->status == 0)
		r->status = EX_IOERR;
	job_settle(r, j, OUT_RETURNED, why, 0);
	job_free(r, j);
	r->running--;
}

/* Keeps the last TAIL_SIZE bytes of what J wrote. */
static void
tail_add(struct job *j, const char *buf, size_t n)
{
	size_t first;

	j->outbytes += n;
	if (n >= TAIL_SIZE) {
		memcpy(j->tail, buf + n - TAIL_SIZE, TAIL_SIZE);
		j->tailpos = 0;
		return;
	}
	first = TAIL_SIZE - j->tailpos < n ? TAIL_SIZE - j->tailpos : n;
	memcpy(j->tail + j->tailpos, buf, first);
	memcpy(j->tail, buf + first, n - first);
	j->tailpos = (j->tailpos + n) % TAIL_SIZE;
}

/*
 * The kept tail in order, without NULs and trailing newlines,
 * NUL-terminated.
 */
static size_t
tail_get(const struct job *j, char out[TAIL_SIZE + 1])
{
	size_t n, i, k;

	if (j->outbytes < TAIL_SIZE) {
		n = j->outbytes;
		memcpy(out, j->tail, n);
	} else {
		n = TAIL_SIZE;
		memcpy(out, j->tail + j->tailpos, TAIL_SIZE - j->tailpos);
		memcpy(out + TAIL_SIZE - j->tailpos, j->tail, j->tailpos);
	}
	/* A reason is text: NULs would cut it short. */
	for (i = k = 0; i < n; i++)
		if (out[i] != '\0')
			out[k++] = out[i];
	n = k;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	return n;
}

/*
 * Reads what J's pipe holds now, a bounded amount, so that one chatty
 * job cannot starve the others, and closes it at end of file.
 */
void
job_read(struct runner *r, struct job *j)
{
	char buf[65536];
	ssize_t n;
	int i;

	for (i = 0; i < 16 && j->outfd != -1; i++) {
		n = read(j->outfd, buf, sizeof(buf));
		if (n > 0) {
			tail_add(j, buf, (size_t)n);
			if (!r->capture)
				log_output(r, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		close(j->outfd);
		j->outfd = -1;
	}
}

/* Signals J's process group (or J alone if it left the group). */
void
job_signal(struct job *j, int sig)
{
	if (j->pid <= 0)
		return;
	if (kill(-j->pid, sig) == -1)
		(void)kill(j->pid, sig);
}

/*
 * Extends the leases of J's claims.  A claim found gone is marked stale:
 * the job runs on, but its settling will change nothing.
 */
static void
heartbeat(struct runner *r, struct job *j, int64_t now)
{
	char *nt;
	size_t i;
	int rc;

	for (i = 0; i < j->nmsg; i++) {
		nt = NULL;
		rc = spool_touch(r->q, token_of(j, i), r->lease, &nt);
		if (rc == 0 && nt != NULL) {
			/* The old token stays valid; the new one is cheaper. */
			free(j->tokens[i]);
			j->tokens[i] = nt;
		} else if (rc == SPOOL_STALE) {
			errmsg(r, "%s: lease lost while its job runs",
			    spool_msg_id(j->msgs[i]));
			j->stale = 1;
		} else if (rc == -1)
			errmsg(r, "%s: touch: %s", spool_msg_id(j->msgs[i]),
			    spool_error(r->q));
	}
	j->heartbeat = now + (r->lease / 3 > 50 ? r->lease / 3 : 50);
}

/* Heartbeats, --timeout and the KILL that follows a TERM. */
void
job_timers(struct runner *r, struct job *j, int64_t now)
{
	if (j->pid <= 0)
		return;
	if (!j->stale && now >= j->heartbeat)
		heartbeat(r, j, now);
	if (j->deadline != 0 && now >= j->deadline) {
		j->timedout = 1;
		j->deadline = 0;
		job_signal(j, SIGTERM);
		if (j->killat == 0 || j->killat > now + r->grace)
			j->killat = now + r->grace;
	}
	if (j->killat != 0 && now >= j->killat) {
		j->killat = 0;
		job_signal(j, SIGKILL);
	}
}

/* "1.234s" or "12ms" for a duration in microseconds. */
static void
fmt_dur(int64_t us, char *buf, size_t size)
{
	if (us < 1000000)
		snprintf(buf, size, "%lldms", (long long)(us / 1000));
	else
		snprintf(buf, size, "%lld.%03llds", (long long)(us / 1000000),
		    (long long)(us / 1000 % 1000));
}

/* How the job ended, as words ("exit 3", "signal 9 (Killed)"). */
static void
fmt_status(struct runner *r, struct job *j, int st, char *buf, size_t size)
{
	char t[64] = "";
	int n = 0;

	if (j->timedout) {
		spool_format_duration(r->timeout, t, sizeof(t));
		n = snprintf(buf, size, "timeout after %s, ", t);
		if (n < 0 || (size_t)n >= size)
			n = 0;
	}
	if (WIFEXITED(st))
		snprintf(buf + n, size - n, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf + n, size - n, "signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf + n, size - n, "status %#x", st);
}

static enum outcome
decide(struct runner *r, struct job *j, int st)
{
	if (j->timedout)
		return OUT_RETRY;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return OUT_OK;
	if (j->stopped)
		return OUT_RETURNED;
	if (WIFEXITED(st) && r->deadexit[WEXITSTATUS(st)])
		return OUT_DEAD;
	return OUT_RETRY;
}

/* Acks or nacks one claim as OUT says; the library's result. */
static int
settle_call(
    struct runner *r, const char *tok, enum outcome out, const char *reason)
{
	if (out == OUT_OK)
		return spool_ack(r->q, tok);
	return spool_nack(r->q, tok, out == OUT_RETURNED ? 0 : -1,
	    out == OUT_DEAD       ? SPOOL_NACK_DEAD
	    : out == OUT_RETURNED ? SPOOL_NACK_RELEASE
				  : 0,
	    reason);
}

/*
 * Counts and logs a claim settled with result RC, and frees M: an acked
 * file's last close goes to the closer thread.
 */
static void
finish(struct runner *r, struct spool_msg *m, int rc, enum outcome out,
    const char *status, int64_t us)
{
	if (rc == SPOOL_STALE)
		out = OUT_STALE;
	else if (rc == -1)
		out = OUT_ERROR;
	else if (out == OUT_RETRY &&
		 spool_msg_attempt(m) >= spool_config(r->q)->max_attempts)
		out = OUT_DEAD; /* the library sends a last attempt to dead/ */
	if (out == OUT_OK)
		r->nok++;
	else if (out == OUT_RETURNED)
		r->nreturned++;
	else
		r->nfailed++;
	log_outcome(r, m, out, status, us);
	if (out == OUT_OK)
		closer_free(m);
	else
		spool_msg_free(m);
}

/*
 * Keeps a claim whose settling failed, to try once more when every job
 * is done: a failure for want of descriptors or memory passes once the
 * jobs have let theirs go.  Takes M and TOK (NULL: M's own token).
 * Returns 0, or -1.
 */
static int
defer(struct runner *r, struct spool_msg *m, char *tok, enum outcome out,
    const char *status, const char *reason, int64_t us)
{
	struct pending *p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->status = strdup(status)) == NULL ||
	    (p->reason = strdup(reason)) == NULL) {
		if (p != NULL)
			free(p->status);
		free(p);
		return -1;
	}
	p->msg = m;
	p->token = tok;
	p->out = out;
	p->us = us;
	p->next = r->pending;
	r->pending = p;
	return 0;
}

/*
 * Settles claim I of J with OUT.  A library failure is reported, stops
 * the runner's claiming, and leaves the claim for settle_pending().
 */
static void
settle(struct runner *r, struct job *j, size_t i, enum outcome out,
    const char *status, const char *reason, int64_t us)
{
	struct spool_msg *m = j->msgs[i];
	int rc;

	rc = settle_call(r, token_of(j, i), out, reason);
	if (rc == -1) {
		errmsg(r, "%s: %s: %s", spool_msg_id(m),
		    out == OUT_OK ? "ack" : "nack", spool_error(r->q));
		if (r->status == 0)
			r->status = exit_for_errno(errno);
		if (defer(r, m, j->tokens[i], out, status, reason, us) == 0) {
			j->msgs[i] = NULL;
			j->tokens[i] = NULL;
			return;
		}
	}
	j->msgs[i] = NULL;
	finish(r, m, rc, out, status, us);
}

/*
 * Tries once more to settle the claims whose settling failed; what
 * still fails is left to its lease, which returns it to the queue.
 */
void
settle_pending(struct runner *r)
{
	struct pending *p;
	int rc;

	while ((p = r->pending) != NULL) {
		r->pending = p->next;
		rc = settle_call(r,
		    p->token != NULL ? p->token : spool_msg_token(p->msg),
		    p->out, p->reason);
		if (rc == -1)
			errmsg(r, "%s: %s: %s; left to its lease",
			    spool_msg_id(p->msg),
			    p->out == OUT_OK ? "ack" : "nack",
			    spool_error(r->q));
		finish(r, p->msg, rc, p->out, p->status, p->us);
		free(p->token);
		free(p->status);
		free(p->reason);
		free(p);
	}
}

/*
 * Settles every claim of J with one outcome.  The reason is STATUS, the
 * run time and as much of the tail of the job's output as fits, with
 * the status first, in the REASON_MAX bytes the library keeps.
 */
void
job_settle(struct runner *r, struct job *j, enum outcome out,
    const char *status, int64_t us)
{
	char tail[TAIL_SIZE + 1], dur[32], head[256], *t, *reason = NULL;
	size_t i, n, room;

	fmt_dur(us, dur, sizeof(dur));
	if (out != OUT_OK) {
		n = tail_get(j, tail);
		snprintf(head, sizeof(head), "%s%s, ran %s%s",
		    out == OUT_RETURNED ? "returned: runner stopping, " : "",
		    status, dur,
		    n == 0       ? ""
		    : r->capture ? ", output: "
				 : ", stderr: ");
		room = REASON_MAX - strlen(head) - 3;
		t = tail;
		if (n > room)
			t += n - room;
		if (asprintf(&reason, "%s%s%s", head,
			n > 0 && (t != tail || j->outbytes > TAIL_SIZE) ? "..."
									: "",
			t) == -1)
			reason = NULL;
	}
	for (i = 0; i < j->nmsg; i++)
		settle(
		    r, j, i, out, status, reason != NULL ? reason : status, us);
	free(reason);
}

/* J's process has exited with status ST: finish and settle it. */
static void
job_done(struct runner *r, struct job *j, int st)
{
	char status[128];
	int64_t us = mono_us() - j->start;

	j->pid = -1;
	/* What the job wrote before exiting is in the pipe already. */
	job_read(r, j);
	if (j->outfd != -1) {
		close(j->outfd);
		j->outfd = -1;
	}
	fmt_status(r, j, st, status, sizeof(status));
	job_settle(r, j, decide(r, j, st), status, us);
	job_free(r, j);
	r->running--;
	/* A slot is free: look for more work. */
	r->maybedue = 1;
}

static struct job *
find_job(struct runner *r, pid_t pid)
{
	int i;

	for (i = 0; i < r->jmax; i++)
		if (r->jobs[i].pid == pid)
			return &r->jobs[i];
	return NULL;
}

/* Whether a spawner still has a job whose pid the loop has not seen. */
static int
spawning(const struct runner *r)
{
	int i;

	for (i = 0; i < r->jmax; i++)
		if (r->jobs[i].pid == -2)
			return 1;
	return 0;
}

/*
 * Reaps every job that has exited.  The exit is first looked at without
 * reaping, so that a job being stopped or timed out can have its whole
 * group killed while its zombie still holds the group's ID.  An exit
 * whose pid the loop has not learnt yet (its spawner's result is on its
 * way) is left for the call that follows that result.
 */
void
job_reap(struct runner *r)
{
	struct job *j;
	siginfo_t si;
	int st;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			return;
		j = find_job(r, si.si_pid);
		if (j == NULL && spawning(r))
			return;
		if (j != NULL && (j->timedout || j->stopped))
			(void)kill(-j->pid, SIGKILL);
		if (waitpid(si.si_pid, &st, 0) == -1)
			return;
		if (j != NULL)
			job_done(r, j, st);
	}
}

/*
 * Claims up to WANT messages into the free slot J.  Returns 0 with at
 * least one claim, SPOOL_EMPTY (and clears r->maybedue), or -1 after
 * reporting the error.  A failure after some claims still returns 0:
 * those run, and the runner claims nothing more.
 */
int
job_claim(struct runner *r, struct job *j, size_t want)
{
	struct spool_msg *m;
	int rc = 0;

	j->msgs = calloc(want, sizeof(*j->msgs));
	j->tokens = calloc(want, sizeof(*j->tokens));
	if (j->msgs == NULL || j->tokens == NULL) {
		errmsg(r, "claim: %s", strerror(errno));
		r->status = EX_IOERR;
		return -1;
	}
	while (j->nmsg < want) {
		if ((rc = spool_claim(r->q, r->lease, &m)) != 0)
			break;
		j->msgs[j->nmsg++] = m;
		r->claimed++;
	}
	if (rc == SPOOL_EMPTY)
		r->maybedue = 0;
	else if (rc == -1) {
		errmsg(r, "claim: %s", spool_error(r->q));
		if (r->status == 0)
			r->status = exit_for_errno(errno);
	}
	if (j->nmsg > 0)
		return 0;
	return rc;
}

/* Frees J's claims and clears the slot. */
void
job_free(struct runner *r, struct job *j)
{
	size_t i;

	spawn_free(r, j);
	for (i = 0; i < j->nmsg; i++) {
		spool_msg_free(j->msgs[i]);
		free(j->tokens[i]);
	}
	free(j->msgs);
	free(j->tokens);
	if (j->outfd != -1)
		close(j->outfd);
	memset(j, 0, sizeof(*j));
	j->outfd = -1;
	j->errw = -1;
}
