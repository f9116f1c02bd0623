/*
 * purge.c: spool purge QUEUE (ID...|--state S[,S]) [--older-than DUR]
 * [--quiet].
 *
 * Deletes messages for good, with their history.  There is no default
 * selection: without IDs or --state it refuses (exit 2), so that a typo
 * cannot empty a queue.  --older-than keeps what was enqueued more
 * recently.  Prints "purged N messages".  An ID that is not there (or
 * not old enough) is reported and skipped (exit 1).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cmd.h"
#include "fmt.h"

static int
purge_ids(struct spool *q, const char *queue, char **ids, int n,
    int64_t older_ms, uint64_t *deleted)
{
	int i, rc, status = EX_OK;

	for (i = 0; i < n; i++) {
		rc =
		    spool_purge(q, ids[i], SPOOL_ALL_STATES, older_ms, deleted);
		if (rc == SPOOL_EMPTY) {
			qerr(queue, "%s: no such message%s", ids[i],
			    older_ms > 0 ? " old enough" : "");
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
cmd_purge(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"older-than", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"state", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	unsigned mask = 0;
	int c, quiet = 0, status;
	int64_t older_ms = 0;
	uint64_t deleted = 0;
	struct spool *q;

	while ((c = getopt_long(argc, argv, "qs:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (parse_duration_opt(
				"--older-than", optarg, &older_ms) == -1)
				return EX_USAGE;
			break;
		case 'q':
			quiet = 1;
			break;
		case 's':
			if (parse_states(optarg, &mask) == -1)
				return usage("--state: unknown state in '%s' "
					     "(new, cur, retry, dead)",
				    optarg);
			break;
		default:
			return usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage("missing QUEUE");
	if ((mask != 0) == (argc > 1))
		return usage(mask != 0 ? "--state and IDs exclude each other"
				       : "name the messages: ID... or "
					 "--state S");
	if (check_ids(argv + 1, argc - 1) == -1)
		return usage(NULL);
	if ((q = open_queue(argv[0], 0, &status)) == NULL)
		return status;
	report_junk(q, argv[0]);
	status = EX_OK;
	if (mask != 0) {
		if (spool_purge(q, NULL, mask, older_ms, &deleted) == -1) {
			qerr(argv[0], "%s", spool_error(q));
			status = EX_IOERR;
		}
	} else {
		status = purge_ids(
		    q, argv[0], argv + 1, argc - 1, older_ms, &deleted);
	}
	spool_close(q);
	if (!quiet)
		printf("purged %" PRIu64 " message%s\n", deleted,
		    deleted == 1 ? "" : "s");
	return status;
}
