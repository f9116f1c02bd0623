/*
 * kick.c: spool kick QUEUE (ID...|--all) [--from dead|retry] [--quiet].
 *
 * Moves dead messages (or, with --from retry, waiting ones) back to new/
 * with their attempts reset; their history stays until they are acked.
 * Prints "kicked N messages" (N moved by this command).  An ID that is
 * not in the states named is reported and skipped (exit 1); --all that
 * finds nothing to move is not an error (exit 0).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cmd.h"
#include "fmt.h"

/* Kicks each ID in turn; returns the worst exit status. */
static int
kick_ids(struct spool *q, const char *queue, char **ids, int n, unsigned mask,
    uint64_t *moved)
{
	int i, rc, status = EX_OK;

	for (i = 0; i < n; i++) {
		rc = spool_kick(q, ids[i], mask, moved);
		if (rc == SPOOL_EMPTY) {
			qerr(queue, "%s: no such message in %s", ids[i],
			    mask == SPOOL_STATE_BIT(SPOOL_DEAD) ? "dead"
			    : mask == SPOOL_STATE_BIT(SPOOL_RETRY)
				? "retry"
				: "dead or retry");
			if (status < EX_NOTHING)
				status = EX_NOTHING;
		} else if (rc == -1) {
			qerr(queue, "%s: %s", ids[i], spool_error(q));
			status = EX_IOERR;
		}
	}
	return status;
}

int
cmd_kick(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"from", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {NULL, 0, NULL, 0},
	};
	const unsigned allowed =
	    SPOOL_STATE_BIT(SPOOL_DEAD) | SPOOL_STATE_BIT(SPOOL_RETRY);
	unsigned mask = SPOOL_STATE_BIT(SPOOL_DEAD);
	int c, all = 0, quiet = 0, status;
	uint64_t moved = 0;
	struct spool *q;

	while ((c = getopt_long(argc, argv, "aq", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'f':
			if (parse_states(optarg, &mask) == -1 ||
			    (mask & ~allowed) != 0)
				return usage("--from: '%s' is not dead, retry "
					     "or dead,retry",
				    optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage("missing QUEUE");
	if (all == (argc > 1))
		return usage(all ? "--all and IDs exclude each other"
				 : "name the messages: ID... or --all");
	if (check_ids(argv + 1, argc - 1) == -1)
		return usage(NULL);
	if ((q = open_queue(argv[0], 0, &status)) == NULL)
		return status;
	report_junk(q, argv[0]);
	if (all) {
		status = EX_OK;
		if (spool_kick(q, NULL, mask, &moved) == -1) {
			qerr(argv[0], "%s", spool_error(q));
			status = EX_IOERR;
		}
	} else {
		status = kick_ids(q, argv[0], argv + 1, argc - 1, mask, &moved);
	}
	spool_close(q);
	if (!quiet)
		printf("kicked %" PRIu64 " message%s\n", moved,
		    moved == 1 ? "" : "s");
	return status;
}
