/*
 * init.c: spool init, which creates a queue (or repairs a partial one) and
 * writes the settings named on the command line, leaving the others as
 * they are, so that running it twice changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

/* The most claims a queue may allow before a failure is final. */
#define MAX_ATTEMPTS_LIMIT 1000000

enum { OPT_BACKOFF = 256, OPT_GROUP, OPT_LEASE, OPT_MAX_ATTEMPTS, OPT_MODE };

static const struct option longopts[] = {
    {"backoff", required_argument, NULL, OPT_BACKOFF},
    {"group", required_argument, NULL, OPT_GROUP},
    {"lease", required_argument, NULL, OPT_LEASE},
    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
    {"mode", required_argument, NULL, OPT_MODE},
    {NULL, 0, NULL, 0},
};

struct init_args {
	struct spool_config cfg;
	unsigned mask;
	unsigned mode;
	int has_group;
	unsigned gid;
	const char *backoff_max; /* NULL: keep the queue's cap, or raise it */
};

/* An octal mode: the directory's permissions and its setgid/sticky bits. */
static int
parse_mode(const char *s, unsigned *mode)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0' || strlen(s) > 5)
		return usage(
		    "--mode: invalid mode '%s' (use octal, e.g. 2770)", s);
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			return usage("--mode: invalid mode '%s' (use octal, "
				     "e.g. 2770)",
			    s);
		v = v * 8 + (unsigned long)(*p - '0');
	}
	if (v & ~03777ul)
		return usage("--mode: %s: only permissions and the setgid and "
			     "sticky bits may be set",
		    s);
	if ((v & 0700) != 0700)
		return usage("--mode: %s: the owner needs rwx", s);
	if (v & 0007)
		return usage(
		    "--mode: %s: a queue must not be open to others", s);
	*mode = (unsigned)v;
	return 0;
}

static int
parse_group(const char *s, unsigned *gid)
{
	struct group *gr;
	int64_t v;

	errno = 0;
	if ((gr = getgrnam(s)) != NULL) {
		*gid = (unsigned)gr->gr_gid;
		return 0;
	}
	if (parse_int(s, 0, 0x7fffffff, &v) == 0) {
		*gid = (unsigned)v;
		return 0;
	}
	return usage("--group: no such group '%s'", s);
}

/* "MIN[:MAX]"; a missing MAX is settled once the queue's cap is known. */
static int
parse_backoff(char *s, struct init_args *a)
{
	char *colon = strchr(s, ':');

	if (colon != NULL)
		*colon = '\0';
	if (parse_duration_opt("--backoff", s, &a->cfg.backoff_min_ms) == -1)
		return EX_USAGE;
	a->backoff_max = NULL;
	if (colon != NULL) {
		a->backoff_max = colon + 1;
		if (parse_duration_opt(
			"--backoff", colon + 1, &a->cfg.backoff_max_ms) == -1)
			return EX_USAGE;
		if (a->cfg.backoff_max_ms < a->cfg.backoff_min_ms)
			return usage("--backoff: the cap %s is below the first "
				     "delay %s",
			    colon + 1, s);
	}
	a->mask |= SPOOL_SET_BACKOFF;
	return 0;
}

static int
parse_args(int argc, char **argv, struct init_args *a)
{
	int64_t v;
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BACKOFF:
			if (parse_backoff(optarg, a) != 0)
				return EX_USAGE;
			break;
		case OPT_GROUP:
			if (parse_group(optarg, &a->gid) != 0)
				return EX_USAGE;
			a->has_group = 1;
			break;
		case OPT_LEASE:
			if (parse_duration_opt(
				"--lease", optarg, &a->cfg.lease_ms) == -1)
				return EX_USAGE;
			if (a->cfg.lease_ms == 0)
				return usage("--lease: must be longer than 0");
			a->mask |= SPOOL_SET_LEASE;
			break;
		case OPT_MAX_ATTEMPTS:
			if (parse_int(optarg, 1, MAX_ATTEMPTS_LIMIT, &v) == -1)
				return usage("--max-attempts: '%s' is not a "
					     "number from 1 to %d",
				    optarg, MAX_ATTEMPTS_LIMIT);
			a->cfg.max_attempts = (unsigned)v;
			a->mask |= SPOOL_SET_MAX_ATTEMPTS;
			break;
		case OPT_MODE:
			if (parse_mode(optarg, &a->mode) != 0)
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
	if (a->has_group && a->mode == 0)
		a->mode = 02770;
	return 0;
}

/*
 * With only MIN given, keep the queue's cap (the default for a new queue),
 * raised to MIN if it is below.
 */
static void
settle_backoff_max(const char *path, struct init_args *a)
{
	struct spool_config def;
	struct spool *q;

	if (!(a->mask & SPOOL_SET_BACKOFF) || a->backoff_max != NULL)
		return;
	spool_config_default(&def);
	a->cfg.backoff_max_ms = def.backoff_max_ms;
	if ((q = spool_open(path, 0)) != NULL) {
		a->cfg.backoff_max_ms = spool_config(q)->backoff_max_ms;
		spool_close(q);
	}
	if (a->cfg.backoff_max_ms < a->cfg.backoff_min_ms)
		a->cfg.backoff_max_ms = a->cfg.backoff_min_ms;
}

/* Whether this process may give its files to GID (chown(2) rules). */
static int
may_use_group(unsigned gid)
{
	gid_t groups[NGROUPS_MAX + 1];
	int i, n;

	if (geteuid() == 0 || getegid() == (gid_t)gid)
		return 1;
	n = getgroups(NGROUPS_MAX + 1, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == (gid_t)gid)
			return 1;
	return 0;
}

static int
failed(const char *queue, const char *what)
{
	int err = errno;

	fprintf(stderr, "spool: init: ");
	print_escaped(stderr, queue);
	fprintf(stderr, ": %s%s\n", what, strerror(err));
	return exit_for_errno(err);
}

int
cmd_init(int argc, char **argv)
{
	struct init_args a;
	const char *queue;
	char *path;
	int status = EX_OK;

	guard_std_fds();
	memset(&a, 0, sizeof(a));
	spool_config_default(&a.cfg);
	if (parse_args(argc, argv, &a) != 0)
		return EX_USAGE;
	queue = argv[optind];
	if ((path = spool_resolve(queue)) == NULL) {
		if (errno == EINVAL) {
			fprintf(stderr, "spool: init: ");
			print_escaped(stderr, queue);
			fprintf(stderr, ": not a valid queue name\n");
			return EX_USAGE;
		}
		return failed(queue, "cannot find the queue root: ");
	}
	if (a.has_group && !may_use_group(a.gid)) {
		/* Before anything is made: a half-shared queue helps no one. */
		fprintf(stderr, "spool: init: ");
		print_escaped(stderr, queue);
		fprintf(stderr, ": not a member of group %u\n", a.gid);
		free(path);
		return EX_IOERR;
	}
	settle_backoff_max(path, &a);
	if (spool_init(path, &a.cfg, a.mask, a.mode) == -1)
		status = failed(queue, "");
	else if (a.has_group && (spool_set_group(path, a.gid) == -1 ||
				    spool_init(path, NULL, 0, a.mode) == -1))
		status = failed(queue, "cannot give it to the group: ");
	free(path);
	return status;
}
