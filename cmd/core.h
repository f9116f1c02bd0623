/*
 * core.h: helpers shared by the core commands (init, push, pop, ack, nack,
 * touch): option errors, the warning callback, unbuffered output that
 * reports its own errors, and the per-token loop of ack, nack and touch.
 */
#ifndef CORE_H
#define CORE_H

#include <signal.h>
#include <stddef.h>

#include "cmd.h"

/*
 * Reports the option getopt_long() just refused (it returned '?' or ':';
 * the option string must start with ':') as a usage error.  Returns
 * EX_USAGE.
 */
int bad_option(int c, char **argv);

/*
 * Writes all of BUF to FD, retrying short writes.  An EINTR is retried
 * unless a signal was caught (see catch_signals()).  Returns 0, or -1
 * with errno set.
 */
int write_all(int fd, const void *buf, size_t len);
/*
 * Prints "spool: CMD: write error: reason" for ERR to stderr, except for
 * EPIPE (the reader went away, which it knows), and returns EX_IOERR.
 */
int write_error(int err);

/*
 * Fills a closed fd 0, 1 or 2 with /dev/null opened the wrong way round,
 * so that no queue file can take the number of a standard stream (and
 * get an error message written into it) while a read of a closed
 * standard input or a write to a closed standard output still fails.
 */
void guard_std_fds(void);

/*
 * SIGINT, SIGTERM and SIGHUP set caught_signal instead of killing the
 * process, and interrupt blocking calls (no SA_RESTART), so that a
 * command can undo what it half did; then die_of_signal() ends the
 * process with that signal, as if it had not been caught.  SIGPIPE and
 * SIGXFSZ are ignored: writes fail with EPIPE or EFBIG instead.
 */
extern volatile sig_atomic_t caught_signal;
/*
 * The descriptor being read when a signal comes.  The handler points it
 * at a write-only /dev/null, so that a read() about to start when the
 * signal came fails (EBADF) instead of blocking on a silent pipe: the
 * flag alone would be checked too early.
 */
extern volatile sig_atomic_t signal_input_fd;
void catch_signals(void);
void die_of_signal(void);

/*
 * The loop of ack, nack and touch.  For each token, calls FN with a handle
 * on the token's queue (opened with spool_open_token(), and kept while
 * consecutive tokens share a queue).  FN returns what the library call
 * returned: 0, SPOOL_STALE or -1 with errno.  Stale and failed tokens are
 * reported and the loop goes on.  Returns the worst exit status: EX_OK,
 * EX_USAGE (not a token), EX_STALE, EX_NOQUEUE or EX_IOERR.
 */
typedef int settle_fn(struct spool *q, const char *token, void *arg);
int settle_tokens(int ntokens, char **tokens, settle_fn *fn, void *arg);

#endif /* CORE_H */
