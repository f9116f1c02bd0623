/*
 * core.c: helpers shared by the core commands.  Output that matters (IDs,
 * tokens, payloads) goes straight to fd 1 with write(2), so that a failed
 * write is seen at once and the command can undo its claim or stop
 * pushing, instead of being found later by main's final fflush.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

volatile sig_atomic_t caught_signal;

int
bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	size_t len = strcspn(arg, "=");

	if (optopt != 0 && (arg[0] != '-' || arg[1] != '-')) {
		if (c == ':')
			return usage("option '-%c' needs an argument", optopt);
		return usage("unknown option '-%c'", optopt);
	}
	if (c == ':')
		return usage("option '%.*s' needs an argument", (int)len, arg);
	if (optopt != 0)
		return usage("option '%.*s' takes no argument", (int)len, arg);
	return usage("unknown option '%.*s'", (int)len, arg);
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR && !caught_signal)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
write_error(int err)
{
	if (err != EPIPE)
		fprintf(stderr, "spool: %s: write error: %s\n", cmd_name,
		    strerror(err));
	return EX_IOERR;
}

void
guard_std_fds(void)
{
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The wrong direction: every read or write on it fails. */
		nfd = open(
		    "/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_NOCTTY);
		if (nfd != fd && nfd != -1)
			close(nfd);
	}
}

volatile sig_atomic_t signal_input_fd = -1;
static int badfd = -1;

static void
on_signal(int sig)
{
	int err = errno;

	caught_signal = sig;
	if (signal_input_fd >= 0 && badfd >= 0)
		dup2(badfd, signal_input_fd);
	errno = err;
}

void
catch_signals(void)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGTERM};
	struct sigaction sa;
	size_t i;

	if (badfd == -1)
		badfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	/* A signal ignored by the caller (nohup) stays ignored. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit, a write fails (EFBIG) instead of killing. */
	signal(SIGXFSZ, SIG_IGN);
}

void
die_of_signal(void)
{
	int sig = caught_signal;

	if (sig == 0)
		return;
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

static int
settle_status(const char *token, int r, struct spool *q)
{
	int err = errno;

	if (r == 0)
		return EX_OK;
	fprintf(stderr, "spool: %s: ", cmd_name);
	print_escaped(stderr, token);
	if (r == SPOOL_STALE) {
		fputs(": stale token (lease expired or already settled)\n",
		    stderr);
		return EX_STALE;
	}
	fputs(": ", stderr);
	print_escaped(stderr, spool_error(q));
	fputc('\n', stderr);
	return err == EINVAL ? EX_USAGE : EX_IOERR;
}

static int
open_failed(const char *token)
{
	int err = errno;

	fprintf(stderr, "spool: %s: ", cmd_name);
	print_escaped(stderr, token);
	fputs(": ", stderr);
	print_escaped(stderr, spool_open_error());
	fputc('\n', stderr);
	if (err == EINVAL)
		return EX_USAGE;
	return err == ENOENT || err == ENOTDIR ? EX_NOQUEUE : EX_IOERR;
}

int
settle_tokens(int ntokens, char **tokens, settle_fn *fn, void *arg)
{
	struct spool *q = NULL, *nq;
	int i, r, st, status = EX_OK;

	for (i = 0; i < ntokens; i++) {
		/*
		 * Try the queue of the previous token first: the library
		 * refuses (EINVAL) a token that is not in its cur/.
		 */
		r = -1;
		errno = EINVAL;
		if (q != NULL)
			r = fn(q, tokens[i], arg);
		if (r == -1 && errno == EINVAL) {
			if ((nq = spool_open_token(tokens[i], 0)) == NULL) {
				st = open_failed(tokens[i]);
				status = st > status ? st : status;
				continue;
			}
			if (q != NULL)
				spool_close(q);
			q = nq;
			report_junk(q, spool_path(q));
			r = fn(q, tokens[i], arg);
		}
		st = settle_status(tokens[i], r, q);
		status = st > status ? st : status;
	}
	if (q != NULL)
		spool_close(q);
	return status;
}
