/*
 * show.c: spool show QUEUE ID... [--body | --json].
 *
 * Prints every fact the queue holds about each message: state, priority,
 * attempts, times, size, the host that pushed it, its failure history.
 * --body writes the payloads instead, byte for byte and nothing else, so
 * that "spool show q ID --body >file" copies a message out.  An ID that
 * is not in the queue is reported and skipped (exit 1 at the end); a
 * malformed ID is a usage error before anything is printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fmt.h"

enum mode { FACTS, BODY, JSON };

static void
print_when(const char *key, int64_t when_ms, int64_t now_ms)
{
	char iso[40], rel[32];

	fmt_age(when_ms > now_ms ? when_ms - now_ms : now_ms - when_ms, rel,
	    sizeof(rel));
	if (when_ms > now_ms)
		printf("%-10s%s (in %s)\n", key,
		    fmt_iso(when_ms, iso, sizeof(iso)), rel);
	else
		printf("%-10s%s (%s ago)\n", key,
		    fmt_iso(when_ms, iso, sizeof(iso)), rel);
}

static void
print_history(const char *text)
{
	const char *p = text, *nl;
	char *line;

	if (text == NULL || *text == '\0') {
		printf("%-10snone\n", "history:");
		return;
	}
	printf("history:\n");
	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		if ((line = strndup(p, (size_t)(nl - p))) == NULL)
			return;
		fputs("  ", stdout);
		print_text(stdout, line);
		putchar('\n');
		free(line);
	}
}

static void
print_facts(const struct spool_entry *e, const char *history, int64_t now)
{
	char iso[40], age[32];

	printf("%-10s%s\n", "id:", e->id);
	printf("%-10s%s\n", "state:", spool_state_name(e->state));
	printf("%-10s%d\n", "priority:", e->priority);
	printf("%-10s%u\n", "attempts:", e->attempts);
	printf("%-10s%s (%s ago)\n",
	    "enqueued:", fmt_iso(e->enqueued_ms, iso, sizeof(iso)),
	    fmt_age(now - e->enqueued_ms, age, sizeof(age)));
	if (e->state == SPOOL_CUR)
		print_when("lease:", e->deadline_ms, now);
	else if (e->state == SPOOL_RETRY)
		print_when("due:", e->deadline_ms, now);
	printf("%-10s%llu\n", "size:", (unsigned long long)e->size);
	printf("%-10s%s\n", "host:", e->host);
	print_history(history);
}

static void
print_json(
    const struct spool_entry *e, const char *history, int64_t now, int first)
{
	const char *p, *nl;
	char *line;
	int n = 0;

	fputs(first ? "\n{" : ",\n{", stdout);
	json_entry(stdout, e, now);
	fputs(",\"history\":[", stdout);
	for (p = history; p != NULL && *p != '\0';
	     p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		if ((line = strndup(p, (size_t)(nl - p))) == NULL)
			break;
		fputs(n++ ? "," : "", stdout);
		json_string(stdout, line);
		free(line);
	}
	fputs("]}", stdout);
}

/* Copies the payload of E to stdout; follows the message if it moves. */
static int
print_body(struct spool *q, const char *queue, struct spool_entry *e)
{
	char buf[65536];
	ssize_t n;
	int fd, i, rc;

	for (i = 0; (fd = spool_open_entry(q, e)) == -1; i++) {
		if (errno != ENOENT || i == 3)
			goto fail;
		if ((rc = spool_find(q, e->id, e)) != 0) {
			if (rc == -1)
				goto fail;
			qerr(queue, "%s: no such message", e->id);
			return EX_NOTHING;
		}
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			qerr(queue, "%s: read: %s", e->id, strerror(errno));
			close(fd);
			return EX_IOERR;
		}
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break; /* main reports the write error */
	}
	close(fd);
	return EX_OK;
fail:
	qerr(queue, "%s: %s", e->id, spool_error(q));
	return exit_for_errno(errno) == EX_NOQUEUE ? EX_NOTHING : EX_IOERR;
}

/* Shows one message; returns its exit status. */
static int
show_one(
    struct spool *q, const char *queue, const char *id, enum mode m, int *shown)
{
	struct spool_entry e;
	char *history = NULL;
	int64_t now;
	int rc;

	if ((rc = spool_find(q, id, &e)) == SPOOL_EMPTY) {
		qerr(queue, "%s: no such message", id);
		return EX_NOTHING;
	}
	if (rc == -1) {
		qerr(queue, "%s: %s", id, spool_error(q));
		return EX_IOERR;
	}
	if (m == BODY)
		return print_body(q, queue, &e);
	if (spool_history(q, id, &history) == -1) {
		qerr(queue, "%s: %s", id, spool_error(q));
		return EX_IOERR;
	}
	now = clock_ms();
	if (m == JSON)
		print_json(&e, history, now, *shown == 0);
	else {
		if (*shown > 0)
			putchar('\n');
		print_facts(&e, history, now);
	}
	(*shown)++;
	free(history);
	return EX_OK;
}

static int
worse(int a, int b)
{
	return a > b ? a : b;
}

int
cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"body", no_argument, NULL, 'b'},
	    {"json", no_argument, NULL, 'J'},
	    {NULL, 0, NULL, 0},
	};
	enum mode m = FACTS;
	struct spool *q;
	int c, i, status = EX_OK, st, shown = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'b' && m != JSON)
			m = BODY;
		else if (c == 'J' && m != BODY)
			m = JSON;
		else
			return usage(c == '?' ? NULL
					      : "--body and --json exclude "
						"each other");
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		return usage(argc == 0 ? "missing QUEUE" : "missing ID");
	if (check_ids(argv + 1, argc - 1) == -1)
		return usage(NULL);
	if ((q = open_queue(argv[0], 0, &st)) == NULL)
		return st;
	report_junk(q, argv[0]);
	if (m == JSON)
		putchar('[');
	for (i = 1; i < argc && !ferror(stdout); i++) {
		st = show_one(q, argv[0], argv[i], m, &shown);
		status = worse(status, st);
	}
	if (m == JSON)
		fputs(shown > 0 ? "\n]\n" : "]\n", stdout);
	spool_close(q);
	return status;
}
