/*
 * gc.c: spool gc [QUEUE...] [--json] [--quiet].
 *
 * The housekeeping every scan does, on demand, for cron: expired leases
 * back to retry/ (or dead/), stale tmp/ files and empty buckets removed,
 * foreign entries reported.  Every step is a rename or unlink that loses
 * a race harmlessly, so gc is safe beside any other command, gc included.
 * Without QUEUE it visits every queue under the default root.  Prints
 * one line per queue with what it did; entries that are not messages are
 * reported on stderr and left alone.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "fmt.h"

struct gc_out {
	int json, quiet;
	int printed;
};

static void
print_report(
    struct gc_out *o, const char *queue, const struct spool_gc_report *r)
{
	if (o->json) {
		fputs(o->printed ? ",\n{\"queue\":" : "\n{\"queue\":", stdout);
		json_string(stdout, queue);
		printf(",\"reclaimed\":%" PRIu64 ",\"expired\":%" PRIu64
		       ",\"tmp_removed\":%" PRIu64
		       ",\"buckets_removed\":%" PRIu64 ",\"foreign\":%" PRIu64
		       "}",
		    r->reclaimed, r->expired, r->tmp_removed,
		    r->buckets_removed, r->foreign);
	} else if (!o->quiet) {
		print_escaped(stdout, queue);
		printf(": reclaimed=%" PRIu64 " expired=%" PRIu64
		       " tmp_removed=%" PRIu64 " buckets_removed=%" PRIu64
		       " foreign=%" PRIu64 "\n",
		    r->reclaimed, r->expired, r->tmp_removed,
		    r->buckets_removed, r->foreign);
	}
	o->printed++;
}

static int
gc_one(struct gc_out *o, const char *queue)
{
	struct spool_gc_report r = {0};
	struct spool *q;
	int status;

	if ((q = open_queue(queue, 0, &status)) == NULL)
		return status;
	report_junk(q, queue);
	status = EX_OK;
	if (spool_gc(q, &r) == -1) {
		qerr(queue, "%s", spool_error(q));
		status = EX_IOERR;
	} else {
		print_report(o, queue, &r);
	}
	spool_close(q);
	return status;
}

int
cmd_gc(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'J'},
	    {"quiet", no_argument, NULL, 'q'},
	    {NULL, 0, NULL, 0},
	};
	struct gc_out o = {0};
	char **names = NULL;
	size_t n = 0, i;
	int c, st, status = EX_OK;

	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (c == 'J')
			o.json = 1;
		else if (c == 'q')
			o.quiet = 1;
		else
			return usage(NULL);
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		if (queue_names(&names, &n) == -1) {
			fprintf(stderr,
			    "spool: gc: cannot read the queue "
			    "root: %s\n",
			    strerror(errno));
			return EX_IOERR;
		}
		argv = names;
		argc = (int)n;
	}
	if (o.json)
		putchar('[');
	for (i = 0; i < (size_t)argc; i++)
		if ((st = gc_one(&o, argv[i])) > status)
			status = st;
	if (o.json)
		fputs(o.printed ? "\n]\n" : "]\n", stdout);
	free_names(names, n);
	return status;
}
