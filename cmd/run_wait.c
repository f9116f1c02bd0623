/*
 * run_wait.c: the --follow waiter of spool run.
 *
 * The runner's loop must watch its jobs and the queue at once, and
 * spool_wait() blocks, so a thread with a handle of its own (a handle is
 * not shared between threads) does nothing but wait and write a byte to
 * a pipe when work may be due.  It waits only when asked, after a claim
 * of the runner's found nothing, so it never runs while work is due; and
 * spool_wait() arms its watches before it looks, so a push landing after
 * that empty claim always wakes the runner.  Idle, the runner wakes once
 * a second (spool_wait()'s own poll for other hosts), never more.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

struct waiter {
	struct spool *q;
	int req;  /* read end: the runner asks for one wait */
	int wake; /* write end: the wait is over */
	const char *qname;
};

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	int warned = 0, rc;
	char c;

	/* One wait per request: the waiter never runs while work is due. */
	while (read(w->req, &c, 1) == 1) {
		while ((rc = spool_wait(w->q, -1)) == -1 && errno == EINTR)
			continue;
		if (rc == -1) {
			if (!warned) {
				fprintf(stderr,
				    "spool: run: %s: wait: %s; polling every "
				    "second\n",
				    w->qname, spool_error(w->q));
				warned = 1;
			}
			pause_ms(1000);
		}
		if (write(w->wake, "w", 1) != 1)
			break;
	}
	return NULL;
}

/*
 * Opens a second handle and starts the waiter.  Returns 0 with
 * r->wakefd and r->reqfd set, or -1 after reporting why.
 */
int
waiter_start(struct runner *r)
{
	struct waiter *w;
	pthread_t t;
	int req[2] = {-1, -1}, wake[2] = {-1, -1}, err;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    pipe2(req, O_CLOEXEC) == -1 || pipe2(wake, O_CLOEXEC) == -1) {
		errmsg(r, "follow: %s", strerror(errno));
		goto fail;
	}
	w->req = req[0];
	w->wake = wake[1];
	w->qname = r->qname;
	if ((w->q = spool_open(spool_path(r->q), 0)) == NULL) {
		errmsg(r, "follow: %s", spool_open_error());
		goto fail;
	}
	if ((err = pthread_create(&t, NULL, waiter_main, w)) != 0) {
		errmsg(r, "follow: %s", strerror(err));
		goto fail;
	}
	pthread_detach(t);
	r->reqfd = req[1];
	r->wakefd = wake[0];
	return 0;
fail:
	if (w != NULL && w->q != NULL)
		spool_close(w->q);
	if (req[0] != -1) {
		close(req[0]);
		close(req[1]);
	}
	if (wake[0] != -1) {
		close(wake[0]);
		close(wake[1]);
	}
	free(w);
	return -1;
}

/*
 * Asks the waiter for one wait, unless one is under way.  spool_wait()
 * arms its watches and then looks for claimable work, so a push landing
 * between the runner's empty claim and this request still wakes it.
 */
void
waiter_request(struct runner *r)
{
	if (r->wakefd == -1 || r->waiting)
		return;
	if (write(r->reqfd, "r", 1) == 1)
		r->waiting = 1;
}
