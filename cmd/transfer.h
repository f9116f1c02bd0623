/*
 * transfer.h: what spool export and spool import share: the progress
 * line on a terminal and the messages about the archive file.
 */
#ifndef TRANSFER_H
#define TRANSFER_H

#include <stdint.h>

struct progress {
	const char *queue; /* named in the line */
	int on;            /* stderr is a terminal and --quiet was not given */
	int shown;         /* a line is on the screen */
	int64_t start_ms, last_ms;
	uint64_t messages, bytes;
};

/* Starts the clock; the line shows only on a terminal without QUIET. */
void progress_init(struct progress *, const char *queue, int quiet);
/*
 * A spool_progress_fn: redraws "QUEUE: N messages, SIZE, RATE" at most
 * ten times a second.  Returns non-zero once SIGINT, SIGTERM or SIGHUP
 * was caught, which stops the export or import.
 */
int progress_update(void *arg, uint64_t messages, uint64_t bytes);
/* Wipes the line, if shown, before a warning is printed. */
void progress_clear(struct progress *);
/* Draws the final figures (with WHAT appended) and ends the line. */
void progress_done(struct progress *, const char *what);

#endif /* TRANSFER_H */
