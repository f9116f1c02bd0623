/*
 * wait.c: sleeping until a message may be due, without a busy loop.
 *
 * inotify watches new/ and retry/ and every bucket in them (a push lands
 * in a leaf bucket, which a watch on new/ alone would not see).  The
 * watches are armed before a last look for claimable work, so a push
 * that landed just before the call is not slept through.  Where inotify
 * is missing, or events may not arrive (another host writing over NFS),
 * the wait is cut to a poll interval.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Even with inotify, look again this often (other hosts, NFS). */
#define POLL_MS 1000

#define WATCH_MASK (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

static void
watch_fd(struct spool *q, int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	inotify_add_watch(q->inotifyfd, path, WATCH_MASK);
}

/* Watches a state directory, its tops and their leaves. */
static void
watch_state(struct spool *q, enum spool_state state)
{
	struct names tops, leaves;
	size_t i, j;
	int sfd = q->dirfd[state], tfd, lfd;

	watch_fd(q, sfd);
	if (list_dir(sfd, &tops) == -1)
		return;
	for (i = 0; i < tops.n; i++) {
		if ((tfd = open_dir_at(sfd, tops.v[i])) == -1)
			continue;
		watch_fd(q, tfd);
		if (list_dir(tfd, &leaves) == 0) {
			for (j = 0; j < leaves.n; j++)
				if ((lfd = open_dir_at(tfd, leaves.v[j])) !=
				    -1) {
					watch_fd(q, lfd);
					close(lfd);
				}
			names_free(&leaves);
		}
		close(tfd);
	}
	names_free(&tops);
}

/* The time until the next retry is due, or -1 if none waits. */
static int64_t
next_due_in(struct spool *q)
{
	struct spool_iter *it;
	struct spool_entry e;
	int64_t now = now_ms(), next = -1;

	if ((it = spool_iter_new(q, SPOOL_STATE_BIT(SPOOL_RETRY))) == NULL)
		return -1;
	/* Leaves come in due order: the first entry is the soonest. */
	if (spool_iter_next(it, &e) == 0)
		next = e.deadline_ms > now ? e.deadline_ms - now : 0;
	spool_iter_free(it);
	return next;
}

int
spool_wait(struct spool *q, int64_t timeout_ms)
{
	struct pollfd pfd;
	char buf[4096];
	int64_t wait, due;
	int n;

	if (q->inotifyfd == -1)
		q->inotifyfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (q->inotifyfd != -1) {
		/*
		 * Drain what queued up while we were not waiting, before
		 * arming: an event that comes while the watches are armed
		 * may be for a bucket made after its parent was listed,
		 * whose own watch is not armed, and must wake the poll.
		 */
		while (read(q->inotifyfd, buf, sizeof(buf)) > 0)
			;
		watch_state(q, SPOOL_NEW);
		watch_state(q, SPOOL_RETRY);
	}
	if ((n = claimable(q)) != 0)
		return n == 1 ? 0 : -1;
	wait = POLL_MS;
	if (timeout_ms >= 0 && timeout_ms < wait)
		wait = timeout_ms;
	if ((due = next_due_in(q)) >= 0 && due < wait)
		wait = due;
	pfd.fd = q->inotifyfd;
	pfd.events = POLLIN;
	n = poll(
	    q->inotifyfd != -1 ? &pfd : NULL, q->inotifyfd != -1, (int)wait);
	if (n == -1)
		return seterr(q, "wait");
	if (n == 0 && timeout_ms >= 0 && wait == timeout_ms)
		return SPOOL_EMPTY;
	return 0;
}
