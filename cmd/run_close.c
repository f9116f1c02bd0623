/*
 * run_close.c: the last close of an acked message, off the main loop.
 *
 * An ack unlinks a file the runner still holds open (its payload
 * descriptor), so the file's blocks are freed by the last close.  On a
 * filesystem mounted with "discard" that close waits for the device to
 * trim them: measured at about 600 us a message on the ext4 the project
 * is built on, as long as the whole rest of a message's bookkeeping.  A
 * helper thread does those closes; the loop hands it a duplicate of the
 * descriptor through a pipe and goes on.  If the thread cannot be
 * started, or its pipe is full, the loop closes the descriptor itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "run.h"

static int closer_fd = -1;

static void *
closer_main(void *arg)
{
	int fd, p = *(int *)arg;

	while (read(p, &fd, sizeof(fd)) == (ssize_t)sizeof(fd))
		close(fd);
	return NULL;
}

/* Starts the closer thread; without it, closes happen inline. */
void
closer_start(void)
{
	static int rd;
	pthread_t t;
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return;
	/* Never block the loop: a full pipe means close it here. */
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	rd = p[0];
	if (pthread_create(&t, NULL, closer_main, &rd) != 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	pthread_detach(t);
	closer_fd = p[1];
}

/*
 * Frees M, whose file has been unlinked, leaving its last close to the
 * closer thread.
 */
void
closer_free(struct spool_msg *m)
{
	int fd = -1;

	if (closer_fd != -1)
		fd = fcntl(spool_msg_fd(m), F_DUPFD_CLOEXEC, 3);
	spool_msg_free(m);
	if (fd != -1 &&
	    write(closer_fd, &fd, sizeof(fd)) != (ssize_t)sizeof(fd))
		close(fd);
}
