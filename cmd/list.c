/*
 * list.c: spool list QUEUE [--state S[,S]] [--json] [-n N], and
 * spool list --queues.
 *
 * Messages are printed as the library's iterator yields them: state by
 * state (new, cur, retry, dead), each in delivery order, so memory stays
 * flat whatever the depth.  The listing is not a snapshot: a message that
 * stays put is printed exactly once, one that moves meanwhile may be
 * printed twice (in two states) or not at all.  Output stops at the
 * first write error; main reports it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fmt.h"

struct listing {
	struct spool *q;
	int json;
	int64_t limit; /* 0: no limit */
	int64_t now_ms;
	uint64_t printed;
};

/* The dead message's reason: the last line of its history, or NULL. */
static char *
reason_of(struct spool *q, const struct spool_entry *e, char **text)
{
	*text = NULL;
	if (e->state != SPOOL_DEAD || spool_history(q, e->id, text) != 0)
		return NULL;
	return last_line(*text);
}

static void
print_header(void)
{
	printf("%-31s %-5s %3s %7s %8s %10s  %s\n", "ID", "STATE", "ATT", "AGE",
	    "DEADLINE", "SIZE", "REASON");
}

static void
print_line(const struct spool_entry *e, int64_t now_ms, const char *reason)
{
	char age[32], dl[32];

	fmt_age(now_ms - e->enqueued_ms, age, sizeof(age));
	if (e->deadline_ms > 0) {
		/* "+4m30s": in the future; "-10s": already past. */
		dl[0] = '+';
		fmt_age(e->deadline_ms - now_ms, dl + 1, sizeof(dl) - 1);
		if (dl[1] == '-')
			fmt_age(e->deadline_ms - now_ms, dl, sizeof(dl));
	} else {
		dl[0] = '-', dl[1] = '\0';
	}
	printf("%s %-5s %3u %7s %8s %10" PRIu64, e->id,
	    spool_state_name(e->state), e->attempts, age, dl, e->size);
	if (reason != NULL) {
		fputs("  ", stdout);
		print_text(stdout, reason);
	}
	putchar('\n');
}

static void
print_json(struct listing *l, const struct spool_entry *e, const char *reason)
{
	fputs(l->printed == 0 ? "\n{" : ",\n{", stdout);
	json_entry(stdout, e, l->now_ms);
	fputs(",\"reason\":", stdout);
	if (reason != NULL)
		json_string(stdout, reason);
	else
		fputs("null", stdout);
	putchar('}');
}

static int
list_messages(struct listing *l, unsigned mask, const char *queue)
{
	struct spool_entry e;
	struct spool_iter *it;
	char *text, *reason;
	int rc, err;

	if ((it = spool_iter_new(l->q, mask)) == NULL) {
		qerr(queue, "%s", spool_error(l->q));
		return exit_for_errno(errno);
	}
	if (l->json)
		putchar('[');
	else if (isatty(STDOUT_FILENO))
		print_header();
	while ((l->limit == 0 || l->printed < (uint64_t)l->limit) &&
	       !ferror(stdout) && (rc = spool_iter_next(it, &e)) == 0) {
		reason = reason_of(l->q, &e, &text);
		if (l->json)
			print_json(l, &e, reason);
		else
			print_line(&e, l->now_ms, reason);
		free(text);
		l->printed++;
	}
	err = errno;
	if (l->json)
		fputs(l->printed > 0 ? "\n]\n" : "]\n", stdout);
	if (rc == -1 && !ferror(stdout)) {
		qerr(queue, "%s", spool_error(l->q));
		spool_iter_free(it);
		return exit_for_errno(err);
	}
	spool_iter_free(it);
	errno = err; /* a write error's cause, for main's report */
	return EX_OK;
}

static int
list_queues(int json)
{
	char **names;
	size_t n, i;

	if (queue_names(&names, &n) == -1) {
		fprintf(stderr, "spool: list: cannot read the queue root: %s\n",
		    strerror(errno));
		return EX_IOERR;
	}
	if (json)
		putchar('[');
	for (i = 0; i < n; i++) {
		if (json) {
			fputs(i == 0 ? "\n" : ",\n", stdout);
			json_string(stdout, names[i]);
		} else {
			printf("%s\n", names[i]);
		}
	}
	if (json)
		fputs(n > 0 ? "\n]\n" : "]\n", stdout);
	free_names(names, n);
	return EX_OK;
}

int
cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'J'},
	    {"limit", required_argument, NULL, 'n'},
	    {"queues", no_argument, NULL, 'Q'},
	    {"state", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct listing l = {0};
	unsigned mask = SPOOL_ALL_STATES;
	int c, queues = 0, status;

	while ((c = getopt_long(argc, argv, "n:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			l.json = 1;
			break;
		case 'n':
			if (parse_int(optarg, 1, INT64_MAX, &l.limit) == -1)
				return usage("-n: '%s' is not a count of at "
					     "least 1",
				    optarg);
			break;
		case 'Q':
			queues = 1;
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
	if (queues)
		return argc == 0 ? list_queues(l.json)
				 : usage("--queues takes no QUEUE");
	if (argc != 1)
		return usage(argc == 0 ? "missing QUEUE" : "too many operands");
	if ((l.q = open_queue(argv[0], 0, &status)) == NULL)
		return status;
	report_junk(l.q, argv[0]);
	l.now_ms = clock_ms();
	status = list_messages(&l, mask, argv[0]);
	c = errno;
	spool_close(l.q);
	errno = c;
	return status;
}
