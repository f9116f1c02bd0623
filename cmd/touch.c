/*
 * touch.c: spool touch, which extends leases and prints each claim's
 * token afterwards, one per line (a token stays valid across touches).
 * A lease is never shortened; a lease already expired fails (exit 3).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

enum { OPT_LEASE = 256 };

static const struct option longopts[] = {
    {"lease", required_argument, NULL, OPT_LEASE},
    {NULL, 0, NULL, 0},
};

struct touch {
	int64_t lease_ms; /* 0: the queue's lease */
	int out_failed;
};

static int
touch_one(struct spool *q, const char *token, void *arg)
{
	struct touch *t = arg;
	char *newtoken = NULL;
	int r;

	if ((r = spool_touch(q, token, t->lease_ms, &newtoken)) != 0)
		return r;
	/* The library gives the absolute token, whatever form came in. */
	if (!t->out_failed && (write_all(1, newtoken, strlen(newtoken)) == -1 ||
				  write_all(1, "\n", 1) == -1)) {
		write_error(errno);
		t->out_failed = 1;
	}
	free(newtoken);
	return 0;
}

int
cmd_touch(int argc, char **argv)
{
	struct touch t = {.lease_ms = 0, .out_failed = 0};
	int c, st;

	guard_std_fds();
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LEASE:
			if (parse_duration_opt(
				"--lease", optarg, &t.lease_ms) == -1)
				return EX_USAGE;
			if (t.lease_ms == 0)
				return usage("--lease: must be longer than 0");
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind >= argc)
		return usage("missing TOKEN");
	signal(SIGPIPE, SIG_IGN);
	st = settle_tokens(argc - optind, argv + optind, touch_one, &t);
	if (t.out_failed && st < EX_IOERR)
		st = EX_IOERR;
	return st;
}
