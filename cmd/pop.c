/*
 * pop.c: spool pop, which claims the next due messages and prints each
 * one's token (the absolute path of its file in cur/), or with --ack
 * prints each payload and deletes the message (at most once).
 *
 * A claim whose token or payload could not be written out in full is
 * handed back at once, unspent, so a closed pipe or a full disk on
 * standard output leaves no message leased to nobody.  A payload is
 * acked only after all of its bytes were written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#define POP_MAX 1000000
#define COPY_SIZE ((size_t)1 << 17)

enum { OPT_ACK = 256, OPT_LEASE, OPT_WAIT };

static const struct option longopts[] = {
    {"ack", no_argument, NULL, OPT_ACK},
    {"lease", required_argument, NULL, OPT_LEASE},
    {"wait", optional_argument, NULL, OPT_WAIT},
    {NULL, 0, NULL, 0},
};

struct pop {
	struct spool *q;
	const char *queue;
	int64_t n;
	int wait;
	int64_t wait_ms;  /* -1: forever */
	int64_t lease_ms; /* 0: the queue's */
	int ack;
};

static int
queue_error(struct pop *p)
{
	int err = errno;

	fprintf(stderr, "spool: pop: ");
	print_escaped(stderr, p->queue);
	fputs(": ", stderr);
	print_escaped(stderr, spool_error(p->q));
	fputc('\n', stderr);
	return exit_for_errno(err) == EX_NOQUEUE ? EX_NOQUEUE : EX_IOERR;
}

/*
 * Hands a claim we could not deliver back, due now and with the attempt
 * it had: nobody ran it, so it must not count towards dead/.
 */
static void
give_back(struct pop *p, const struct spool_msg *m, const char *why)
{
	if (spool_nack(p->q, spool_msg_token(m), 0, SPOOL_NACK_RELEASE, why) ==
	    -1)
		queue_error(p);
}

static int
copy_payload(struct pop *p, const struct spool_msg *m)
{
	char *buf;
	ssize_t n;
	int st = EX_OK;

	if ((buf = malloc(COPY_SIZE)) == NULL)
		return queue_error(p);
	while ((n = read(spool_msg_fd(m), buf, COPY_SIZE)) != 0) {
		if (n == -1) {
			if (errno == EINTR && !caught_signal)
				continue;
			fprintf(stderr, "spool: pop: ");
			print_escaped(stderr, spool_msg_token(m));
			fprintf(stderr, ": %s\n", strerror(errno));
			st = EX_IOERR;
			break;
		}
		if (write_all(1, buf, (size_t)n) == -1) {
			st = caught_signal ? EX_IOERR : write_error(errno);
			break;
		}
	}
	free(buf);
	return st;
}

static int
deliver(struct pop *p, const struct spool_msg *m)
{
	const char *token = spool_msg_token(m);
	size_t len = strlen(token);
	char *line;
	int r, st;

	if (caught_signal) {
		give_back(p, m, "pop: interrupted before delivery");
		return EX_IOERR;
	}
	if (p->ack) {
		if ((st = copy_payload(p, m)) != EX_OK) {
			give_back(p, m, "pop: payload not written out");
			return st;
		}
		if ((r = spool_ack(p->q, token)) == 0)
			return EX_OK;
		if (r == -1)
			return queue_error(p);
		fprintf(stderr, "spool: pop: ");
		print_escaped(stderr, token);
		fputs(": stale token (lease expired before the ack)\n", stderr);
		return EX_STALE;
	}
	if ((line = malloc(len + 1)) == NULL)
		return queue_error(p);
	memcpy(line, token, len);
	line[len] = '\n';
	st = EX_OK;
	if (write_all(1, line, len + 1) == -1) {
		st = caught_signal ? EX_IOERR : write_error(errno);
		give_back(p, m, "pop: token not written out");
	}
	free(line);
	return st;
}

/* Claims up to N; with --wait, waits for the first one only. */
static int
pop_loop(struct pop *p)
{
	struct spool_msg *m;
	int64_t deadline = -1, left = -1, claimed = 0;
	int r, st;

	if (p->wait && p->wait_ms >= 0)
		deadline = mono_ms() + p->wait_ms;
	while (claimed < p->n && !caught_signal) {
		if ((r = spool_claim(p->q, p->lease_ms, &m)) == -1)
			return queue_error(p);
		if (r == 0) {
			st = deliver(p, m);
			spool_msg_free(m);
			if (st != EX_OK)
				return st;
			claimed++;
			continue;
		}
		if (!p->wait || claimed > 0)
			break;
		if (deadline >= 0 && (left = deadline - mono_ms()) <= 0)
			break;
		if (spool_wait(p->q, left) == -1 && errno != EINTR)
			return queue_error(p);
	}
	if (caught_signal)
		return EX_IOERR;
	return claimed > 0 ? EX_OK : EX_NOTHING;
}

static int
parse_args(int argc, char **argv, struct pop *p)
{
	int c;

	while ((c = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_int(optarg, 1, POP_MAX, &p->n) == -1)
				return usage("-n: '%s' is not a number from 1 "
					     "to %d",
				    optarg, POP_MAX);
			break;
		case OPT_ACK:
			p->ack = 1;
			break;
		case OPT_LEASE:
			if (parse_duration_opt(
				"--lease", optarg, &p->lease_ms) == -1)
				return EX_USAGE;
			if (p->lease_ms == 0)
				return usage("--lease: must be longer than 0");
			break;
		case OPT_WAIT:
			p->wait = 1;
			p->wait_ms = -1;
			if (optarg != NULL && parse_duration_opt("--wait",
						  optarg, &p->wait_ms) == -1)
				return EX_USAGE;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind >= argc)
		return usage("missing QUEUE");
	if (optind + 1 < argc)
		return usage("unexpected argument '%s'", argv[optind + 1]);
	return 0;
}

int
cmd_pop(int argc, char **argv)
{
	struct pop p;
	int st;

	guard_std_fds();
	memset(&p, 0, sizeof(p));
	p.n = 1;
	if (parse_args(argc, argv, &p) != 0)
		return EX_USAGE;
	p.queue = argv[optind];
	catch_signals();
	if ((p.q = open_queue(p.queue, 0, &st)) == NULL)
		return st;
	report_junk(p.q, p.queue);
	st = pop_loop(&p);
	spool_close(p.q);
	die_of_signal();
	return st;
}
