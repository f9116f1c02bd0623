/*
 * import.c: spool import, messages from an archive into a queue.
 *
 * The library reads the archive as hostile input and publishes each
 * message through the durable push path (lib/archive.c).  This file
 * opens the input, creates a missing queue with the archive's recorded
 * config, shows progress, reports every skipped entry and decides the
 * exit status: 0 only when every message was imported or already there
 * and the manifest's counts match what the archive held.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "transfer.h"

struct import_args {
	const char *queue, *in;
	struct spool_import_opts o;
	int quiet;
};

/* A byte count with an optional K, M or G (powers of 1024). */
static int
parse_bytes(const char *opt, const char *arg, uint64_t *out)
{
	char buf[32];
	size_t len = strlen(arg);
	int shift = 0;
	int64_t v;

	if (len == 0 || len >= sizeof(buf))
		goto bad;
	memcpy(buf, arg, len + 1);
	switch (buf[len - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	}
	if (shift != 0)
		buf[len - 1] = '\0';
	if (parse_int(buf, 1, INT64_MAX >> shift, &v) == -1)
		goto bad;
	*out = (uint64_t)v << shift;
	return 0;
bad:
	usage("%s: invalid size '%s' (a positive number of bytes, or with "
	      "K, M or G)",
	    opt, arg);
	return -1;
}

static int
parse_args(int argc, char **argv, struct import_args *a)
{
	static const struct option longopts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"max-entries", required_argument, NULL, 'E'},
	    {"max-size", required_argument, NULL, 'S'},
	    {"max-total", required_argument, NULL, 'T'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"state-as", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	spool_import_opts_default(&a->o);
	a->in = "-";
	while ((c = getopt_long(argc, argv, ":i:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			a->o.state_as = spool_state_parse(optarg);
			if (a->o.state_as != SPOOL_NEW &&
			    a->o.state_as != SPOOL_RETRY &&
			    a->o.state_as != SPOOL_DEAD)
				return usage("--state-as: '%s' is not new, "
					     "retry or dead",
				    optarg);
			break;
		case 'E':
			if (parse_bytes("--max-entries", optarg,
				&a->o.max_entries) == -1)
				return EX_USAGE;
			break;
		case 'i':
			a->in = optarg;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'S':
			if (parse_bytes("--max-size", optarg, &a->o.max_size) ==
			    -1)
				return EX_USAGE;
			break;
		case 'T':
			if (parse_bytes(
				"--max-total", optarg, &a->o.max_total) == -1)
				return EX_USAGE;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc - 1)
		return usage(
		    optind < argc ? "too many arguments" : "missing QUEUE");
	a->queue = argv[optind];
	if (*a->in == '\0')
		return usage("-i: empty file name");
	return EX_OK;
}

static void
print_skipped(void *arg, const char *name, const char *why)
{
	struct progress *p = arg;

	progress_clear(p);
	fprintf(stderr, "spool: import: ");
	print_escaped(stderr, p->queue);
	fputs(": skipped entry '", stderr);
	print_escaped(stderr, name);
	fputs("': ", stderr);
	print_escaped(stderr, why);
	fputc('\n', stderr);
}

static void say(const struct import_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const struct import_args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "spool: import: ");
	print_escaped(stderr, a->queue);
	fputs(": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Opens the queue, creating it with the archive's config if missing. */
static struct spool *
open_or_create(
    const struct import_args *a, const struct spool_config *cfg, int *status)
{
	struct spool *q;
	struct stat st;
	char *path;

	if ((path = spool_resolve(a->queue)) == NULL)
		return open_queue(a->queue, 0, status); /* reports */
	q = spool_open(path, 0);
	/* Only a missing queue is made: a broken one is for spool init. */
	if (q == NULL && errno == ENOENT && lstat(path, &st) == -1 &&
	    errno == ENOENT) {
		if (spool_init(path, cfg,
			SPOOL_SET_MAX_ATTEMPTS | SPOOL_SET_LEASE |
			    SPOOL_SET_BACKOFF,
			0) == -1) {
			say(a, "cannot create the queue: %s", strerror(errno));
			*status = EX_IOERR;
			free(path);
			return NULL;
		}
		q = spool_open(path, 0);
	}
	free(path);
	if (q == NULL)
		return open_queue(a->queue, 0, status); /* reports */
	return q;
}

/* The exit status for a finished run, with a line for each problem. */
static int
judge(const struct import_args *a, const struct spool_import_report *r)
{
	int status = EX_OK;

	if (r->skipped > 0) {
		say(a, "%llu entries skipped", (unsigned long long)r->skipped);
		status = EX_IOERR;
	}
	if (!r->has_manifest) {
		say(a, "the archive has no manifest: it may be cut short, "
		       "and its completeness cannot be checked");
		status = EX_IOERR;
	} else if (r->mismatch) {
		say(a,
		    "the manifest lists new %llu, retry %llu, dead %llu; "
		    "the archive holds new %llu, retry %llu, dead %llu",
		    (unsigned long long)r->manifest[SPOOL_NEW],
		    (unsigned long long)r->manifest[SPOOL_RETRY],
		    (unsigned long long)r->manifest[SPOOL_DEAD],
		    (unsigned long long)r->seen[SPOOL_NEW],
		    (unsigned long long)r->seen[SPOOL_RETRY],
		    (unsigned long long)r->seen[SPOOL_DEAD]);
		status = EX_IOERR;
	}
	return status;
}

int
cmd_import(int argc, char **argv)
{
	struct import_args a;
	struct spool_import_report r;
	struct spool_import *m;
	struct progress p;
	struct spool *q;
	const char *msg;
	char done[96];
	int fd, status, rc, err;

	if ((status = parse_args(argc, argv, &a)) != EX_OK)
		return status;
	if (strcmp(a.in, "-") == 0) {
		if (isatty(STDIN_FILENO))
			return usage("refusing to read an archive from a "
				     "terminal (use -i FILE, or a pipe)");
		fd = STDIN_FILENO;
	} else if ((fd = open(a.in, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "spool: import: ");
		print_escaped(stderr, a.in);
		fprintf(stderr, ": %s\n", strerror(errno));
		return EX_IOERR;
	}
	progress_init(&p, a.queue, a.quiet);
	a.o.progress = progress_update;
	a.o.progress_arg = &p;
	a.o.skipped = print_skipped;
	a.o.skipped_arg = &p;
	catch_signals();
	if ((m = spool_import_open(fd, &a.o, &msg)) == NULL) {
		die_of_signal();
		fprintf(stderr, "spool: import: ");
		print_escaped(stderr, strcmp(a.in, "-") == 0 ? "stdin" : a.in);
		fputs(": ", stderr);
		print_escaped(stderr, msg);
		fputc('\n', stderr);
		status = EX_IOERR;
		goto out;
	}
	if ((q = open_or_create(&a, spool_import_config(m), &status)) == NULL) {
		spool_import_free(m);
		goto out;
	}
	report_junk(q, a.queue);
	rc = spool_import_run(m, q, &r);
	err = errno;
	progress_clear(&p);
	if (rc == -1) {
		die_of_signal();
		say(&a, "%s", spool_import_error(m));
		say(&a,
		    "stopped after %llu messages imported, %llu already "
		    "present",
		    (unsigned long long)r.imported,
		    (unsigned long long)r.present);
		status = EX_IOERR;
		(void)err;
	} else {
		snprintf(done, sizeof(done), " (%llu imported, %llu present)",
		    (unsigned long long)r.imported,
		    (unsigned long long)r.present);
		progress_done(&p, done);
		status = judge(&a, &r);
	}
	spool_import_free(m);
	spool_close(q);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return status;
}
