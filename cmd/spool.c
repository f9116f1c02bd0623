/*
 * spool.c: main, global options and the table of subcommands.
 *
 * Each subcommand lives in cmd/NAME.c (see cmd.h).  main looks the name up
 * in the sorted table, runs it, then flushes stdout and fails on a write
 * error, so that "spool list q >/dev/full" cannot claim success.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;
	const char *summary;
};

/* What --help says of each command's options, as spool(1) does. */
static const struct {
	const char *name, *text;
} options[] = {
    {"ack", ""},
    {"export",
	"  -o, --output FILE|-    the archive (default: standard output)\n"
	"      --state S[,S]|all  the states to export (default: all)\n"
	"      --format F         tar, pax, cpio, zip or 7zip (default: by "
	"FILE)\n"
	"      --compress C       gzip, bzip2, xz, zstd, lz4 or none\n"
	"      --move             delete what the finished archive holds\n"
	"  -q, --quiet            no progress line\n"},
    {"gc", "      --json             one JSON object per queue\n"
	   "  -q, --quiet            print nothing but errors\n"},
    {"import",
	"  -i, --input FILE|-     the archive (default: standard input)\n"
	"      --state-as S       put every message in new, retry or dead\n"
	"      --max-size N       largest message (default 1G)\n"
	"      --max-entries N    most entries (default 10000000)\n"
	"      --max-total N      most bytes in all (default 64G)\n"
	"  -q, --quiet            no progress line\n"},
    {"init",
	"      --max-attempts N   claims before a failure is final (default "
	"5)\n"
	"      --lease DUR        how long a claim is exclusive (default 5m)\n"
	"      --backoff MIN[:MAX]  retry delays, doubling, with jitter "
	"(30s:1h)\n"
	"      --group G          share the queue with group G (mode 2770)\n"
	"      --mode MODE        the queue directory's octal mode\n"},
    {"kick", "      --all              every message in the --from states\n"
	     "      --from S[,S]       dead (default) or retry\n"
	     "  -q, --quiet            do not print how many\n"},
    {"list",
	"  -s, --state S[,S]      only these states\n"
	"  -n, --limit N          at most N lines\n"
	"      --json             a JSON array\n"
	"      --queues           the queue names under the default root\n"},
    {"nack",
	"      --delay DUR        due again after DUR (default: the backoff)\n"
	"      --dead             give up on it now\n"
	"      --reason TEXT      recorded in the message's history\n"},
    {"pop",
	"  -n N                   claim up to N messages (default 1)\n"
	"      --wait[=DUR]       wait for a message (for DUR at most)\n"
	"      --lease DUR        the claim's lease (default: the queue's)\n"
	"      --ack              print the payload and delete the message\n"},
    {"purge", "  -s, --state S[,S]      every message in these states\n"
	      "      --older-than DUR   only messages enqueued longer ago\n"
	      "  -q, --quiet            do not print how many\n"},
    {"push", "  -m, --message TEXT     a message (repeatable)\n"
	     "  -f, --file FILE        a file as a message (repeatable; - is "
	     "stdin)\n"
	     "  -l, --lines            each input line is a message\n"
	     "  -0                     with -l: NUL-separated\n"
	     "      --delay DUR        due only after DUR\n"
	     "      --priority N       0 to 9, higher first (default 5)\n"
	     "      --no-sync          skip fsync: fast, not durable\n"},
    {"run",
	"  -j, --jobs N|MIN:MAX   jobs at once, or scaled with the backlog\n"
	"      --timeout DUR      stop a job that runs longer\n"
	"      --grace DUR        time between SIGTERM and SIGKILL (default "
	"10s)\n"
	"      --max N            stop after N messages\n"
	"      --batch N          up to N payload paths per invocation\n"
	"      --rate N/s|N/m|N/h at most N starts per second, minute or hour\n"
	"      --follow           keep waiting for work\n"
	"      --dead-exit CODES  exit codes that give up at once (default "
	"100)\n"
	"      --lease DUR        the claims' lease (default: the queue's)\n"
	"  -q, --quiet            no log lines\n"
	"      --json             log lines as JSON\n"
	"      --capture          keep the job's output in its history\n"},
    {"show", "      --body             print only the payload\n"
	     "      --json             a JSON object per message\n"},
    {"stat",
	"      --json             a JSON array\n"
	"      --prometheus       node_exporter textfile format\n"
	"      --watch[=DUR]      a live view, redrawn every DUR (q quits)\n"
	"      --ages             a histogram of waiting messages' ages\n"},
    {"touch",
	"      --lease DUR        the new lease (default: the queue's)\n"},
};

/* Sorted by name. */
static const struct command commands[] = {
    {"ack", cmd_ack, "TOKEN...", "delete claimed messages"},
    {"export", cmd_export,
	"QUEUE [-o FILE|-] [--state S[,S]] [--format F] [--compress C] "
	"[--move] [--quiet]",
	"write messages to an archive"},
    {"gc", cmd_gc, "[QUEUE...] [--json] [--quiet]",
	"reclaim expired leases, remove stale files"},
    {"import", cmd_import,
	"QUEUE [-i FILE|-] [--state-as S] [--max-size N] [--max-entries N] "
	"[--max-total N] [--quiet]",
	"add messages from an archive"},
    {"init", cmd_init,
	"QUEUE [--max-attempts N] [--lease DUR] [--backoff MIN[:MAX]] "
	"[--group G] [--mode MODE]",
	"create a queue or change its settings"},
    {"kick", cmd_kick,
	"QUEUE (ID...|--all) [--from dead|retry|dead,retry] [--quiet]",
	"move dead or waiting messages back to new"},
    {"list", cmd_list,
	"QUEUE [--state S[,S]] [--json] [-n N] | --queues [--json]",
	"list messages, oldest first"},
    {"nack", cmd_nack, "TOKEN... [--delay DUR] [--dead] [--reason TEXT]",
	"return claimed messages for a retry"},
    {"pop", cmd_pop, "QUEUE [-n N] [--wait[=DUR]] [--lease DUR] [--ack]",
	"claim the next due messages"},
    {"purge", cmd_purge,
	"QUEUE (ID...|--state S[,S]) [--older-than DUR] [--quiet]",
	"delete messages"},
    {"push", cmd_push,
	"QUEUE [-m TEXT]... [-f FILE]... [-l|--lines] [-0] [--delay DUR] "
	"[--priority N] [--no-sync]",
	"add messages"},
    {"run", cmd_run,
	"QUEUE [-j N|MIN:MAX] [--timeout DUR] [--grace DUR] [--max N] "
	"[--batch N] [--rate N/s] [--follow] [--dead-exit CODES] "
	"[--lease DUR] [--quiet|--json] [--capture] -- CMD [ARGS...]",
	"run a command for each message"},
    {"show", cmd_show, "QUEUE ID... [--body|--json]",
	"show everything about messages"},
    {"stat", cmd_stat,
	"[QUEUE...] [--json|--prometheus] [--watch[=DUR]] [--ages]",
	"show queue pressure"},
    {"touch", cmd_touch, "TOKEN... [--lease DUR]", "extend leases"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *cmd_name = "spool";
static const struct command *current;

static const struct command *
lookup(const char *name)
{
	size_t lo = 0, hi = NCOMMANDS;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, commands[mid].name);

		if (c == 0)
			return &commands[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void
print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: spool [--version] [--help] COMMAND [ARGS...]\n\n"
		   "commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(
		    f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSee 'spool help COMMAND' or spool(1).\n");
}

int
usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "spool: %s: ", cmd_name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (current != NULL)
		fprintf(stderr, "usage: spool %s %s\n", current->name,
		    current->synopsis);
	else
		print_usage(stderr);
	return EX_USAGE;
}

int
help(void)
{
	size_t i;

	if (current == NULL) {
		print_usage(stdout);
		return EX_OK;
	}
	printf("usage: spool %s %s\n\n%c%s.\n", current->name,
	    current->synopsis, toupper((unsigned char)current->summary[0]),
	    current->summary + 1);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(options[i].name, current->name) == 0 &&
		    *options[i].text != '\0')
			printf("\noptions:\n%s", options[i].text);
	printf("\nSee spool(1) for details.\n");
	return EX_OK;
}

static int
run_command(const struct command *c, int argc, char **argv)
{
	int i, status;

	current = c;
	cmd_name = c->name;
	/* "--help" before any "--" is a request for help. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return help();
	status = c->fn(argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "spool: %s: write error: %s\n",
			    cmd_name, strerror(errno));
		return status == EX_OK ? EX_IOERR : status;
	}
	return status;
}

int
main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2)
		return usage(NULL);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("spool %s\n", SPOOL_VERSION);
		return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		print_usage(stdout);
		return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	}
	if (strcmp(argv[1], "help") == 0) {
		if ((c = lookup(argv[2])) == NULL) {
			fprintf(stderr, "spool: help: unknown command '%s'\n",
			    argv[2]);
			return EX_USAGE;
		}
		current = c;
		cmd_name = c->name;
		help();
		return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	}
	if ((c = lookup(argv[1])) == NULL) {
		fprintf(stderr, "spool: unknown command '%s'\n", argv[1]);
		print_usage(stderr);
		return EX_USAGE;
	}
	return run_command(c, argc - 1, argv + 1);
}
