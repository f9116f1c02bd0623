/*
 * nack.c: spool nack, which hands claimed messages back: to retry/ after
 * the queue's backoff (or --delay), or to dead/ with --dead or when the
 * claim was the last one allowed.  --reason is kept in the message's
 * history.  Stale tokens fail (exit 3) and change nothing.
 */
#include <getopt.h>
#include <stdio.h>

#include "core.h"

enum { OPT_DEAD = 256, OPT_DELAY, OPT_REASON };

static const struct option longopts[] = {
    {"dead", no_argument, NULL, OPT_DEAD},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"reason", required_argument, NULL, OPT_REASON},
    {NULL, 0, NULL, 0},
};

struct nack {
	int64_t delay_ms; /* < 0: the queue's backoff */
	unsigned flags;
	const char *reason;
};

static int
nack_one(struct spool *q, const char *token, void *arg)
{
	const struct nack *n = arg;

	return spool_nack(q, token, n->delay_ms, n->flags, n->reason);
}

int
cmd_nack(int argc, char **argv)
{
	struct nack n = {.delay_ms = -1, .flags = 0, .reason = NULL};
	int c;

	guard_std_fds();
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DEAD:
			n.flags |= SPOOL_NACK_DEAD;
			break;
		case OPT_DELAY:
			if (parse_duration_opt(
				"--delay", optarg, &n.delay_ms) == -1)
				return EX_USAGE;
			break;
		case OPT_REASON:
			n.reason = optarg;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if ((n.flags & SPOOL_NACK_DEAD) && n.delay_ms >= 0)
		return usage("--dead and --delay do not go together");
	if (optind >= argc)
		return usage("missing TOKEN");
	return settle_tokens(argc - optind, argv + optind, nack_one, &n);
}
