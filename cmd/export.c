/*
 * export.c: spool export, a queue's messages into an archive.
 *
 * The library does the work (lib/archive.c): a consistent copy of a live
 * queue, written to FILE.tmp and renamed over FILE once complete, or
 * streamed to standard output.  This file parses, picks the format from
 * the flags or the file's extension, shows progress and reports.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "fmt.h"
#include "transfer.h"

struct export_args {
	const char *queue, *out;
	struct spool_export_opts o;
	int quiet;
};

static int
parse_args(int argc, char **argv, struct export_args *a)
{
	static const struct option longopts[] = {
	    {"compress", required_argument, NULL, 'c'},
	    {"format", required_argument, NULL, 'F'},
	    {"move", no_argument, NULL, 'm'},
	    {"output", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"state", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *format = NULL, *compress = NULL;
	int c;

	memset(a, 0, sizeof(*a));
	a->out = "-";
	while ((c = getopt_long(argc, argv, ":o:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			compress = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		case 'm':
			a->o.flags |= SPOOL_EXPORT_MOVE;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 's':
			if (strcmp(optarg, "all") == 0)
				a->o.states = SPOOL_ALL_STATES;
			else if (parse_states(optarg, &a->o.states) == -1)
				return usage("--state: unknown state in '%s' "
					     "(use new, cur, retry, dead)",
				    optarg);
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc - 1)
		return usage(
		    optind < argc ? "too many arguments" : "missing QUEUE");
	a->queue = argv[optind];
	if (*a->out == '\0')
		return usage("-o: empty file name");
	if (strcmp(a->out, "-") != 0)
		spool_format_guess(a->out, &a->o.format, &a->o.compress);
	if (format != NULL && (a->o.format = spool_format_parse(format)) == -1)
		return usage("--format: unknown format '%s' (use tar, pax, "
			     "cpio, zip, 7zip)",
		    format);
	if (compress != NULL &&
	    (a->o.compress = spool_compress_parse(compress)) == -1)
		return usage("--compress: unknown compression '%s' (use "
			     "gzip, bzip2, xz, zstd, lz4, none)",
		    compress);
	if ((a->o.format == SPOOL_FORMAT_ZIP ||
		a->o.format == SPOOL_FORMAT_7ZIP) &&
	    a->o.compress > SPOOL_COMPRESS_NONE)
		return usage("zip and 7zip compress their entries themselves: "
			     "no --compress");
	return EX_OK;
}

static int
report(struct spool *q, const struct export_args *a,
    const struct spool_export_report *r)
{
	if (!r->settled) {
		fprintf(stderr, "spool: export: ");
		print_escaped(stderr, a->queue);
		fprintf(stderr,
		    ": the queue kept changing through %u scans: messages "
		    "that moved all along may be missing\n",
		    r->passes);
	}
	if ((a->o.flags & SPOOL_EXPORT_MOVE) && r->kept > 0) {
		fprintf(stderr, "spool: export: ");
		print_escaped(stderr, a->queue);
		fprintf(stderr,
		    ": %llu messages were leased or moved meanwhile and stay "
		    "in the queue\n",
		    (unsigned long long)r->kept);
	}
	(void)q;
	return EX_OK;
}

int
cmd_export(int argc, char **argv)
{
	struct export_args a;
	struct spool_export_report r;
	struct progress p;
	struct spool *q;
	int status, rc, err;

	if ((status = parse_args(argc, argv, &a)) != EX_OK)
		return status;
	if (strcmp(a.out, "-") == 0 && isatty(STDOUT_FILENO))
		return usage("refusing to write an archive to a terminal "
			     "(use -o FILE, or a pipe)");
	if ((q = open_queue(a.queue, 0, &status)) == NULL)
		return status;
	report_junk(q, a.queue);
	progress_init(&p, a.queue, a.quiet);
	a.o.progress = progress_update;
	a.o.progress_arg = &p;
	catch_signals();
	if (strcmp(a.out, "-") == 0)
		rc = spool_export_fd(q, STDOUT_FILENO, &a.o, &r);
	else
		rc = spool_export_file(q, a.out, &a.o, &r);
	err = errno;
	progress_clear(&p);
	if (rc == -1) {
		die_of_signal();
		if (err != EPIPE) {
			fprintf(stderr, "spool: export: ");
			print_escaped(stderr, a.queue);
			fputs(": ", stderr);
			print_escaped(stderr, spool_error(q));
			fputc('\n', stderr);
		}
		spool_close(q);
		return err == EINVAL ? EX_USAGE : EX_IOERR;
	}
	progress_done(&p, NULL);
	status = report(q, &a, &r);
	spool_close(q);
	return status;
}
