/*
 * spool.c: main, global options and the table of subcommands.
 *
 * Each subcommand lives in cmd/NAME.c (see cmd.h).  main looks the name up
 * in the sorted table, runs it, then flushes stdout and fails on a write
 * error, so that "spool list q >/dev/full" cannot claim success.
 */
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
	if (current == NULL) {
		print_usage(stdout);
		return EX_OK;
	}
	printf("usage: spool %s %s\n\n%s.\nSee spool(1) for details.\n",
	    current->name, current->synopsis, current->summary);
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
