/*
 * cmd.h: the subcommands of spool(1) and what they share.
 *
 * To add a subcommand: write cmd/NAME.c with
 * int cmd_NAME(int argc, char **argv), where argv[0] is "NAME"; declare
 * it below; add it to the sorted commands[] table in cmd/spool.c with its
 * synopsis; document it in man/spool.1 and in the three completions.  A
 * command parses, calls libspool, prints, and returns an exit status:
 * never a path inside a queue, never the on-disk format.
 */
#ifndef CMD_H
#define CMD_H

#include <stdint.h>
#include <stdio.h>

#include "spool.h"

/* Exit statuses: the contract in spool(1) EXIT STATUS. */
#define EX_OK 0
#define EX_NOTHING 1 /* nothing to do: empty queue, wait timed out */
#define EX_USAGE 2
#define EX_STALE 3   /* stale token */
#define EX_NOQUEUE 4 /* no such queue, or not a queue */
#define EX_IOERR 5   /* I/O or system error */

int cmd_ack(int, char **);
int cmd_export(int, char **);
int cmd_gc(int, char **);
int cmd_import(int, char **);
int cmd_init(int, char **);
int cmd_kick(int, char **);
int cmd_list(int, char **);
int cmd_nack(int, char **);
int cmd_pop(int, char **);
int cmd_purge(int, char **);
int cmd_push(int, char **);
int cmd_run(int, char **);
int cmd_show(int, char **);
int cmd_stat(int, char **);
int cmd_touch(int, char **);

/* The name of the running subcommand, for messages ("push"). */
extern const char *cmd_name;

/*
 * Prints "spool: CMD: usage: SYNOPSIS" for the running command to stderr
 * and returns EX_USAGE.  With a format, first prints "spool: CMD: msg".
 */
int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the running command's synopsis and summary to stdout; returns 0. */
int help(void);

/*
 * Opens QUEUE (a name or a path) as spool_open() does.  On failure prints
 * "spool: CMD: QUEUE: reason" and stores the exit status in *STATUS
 * (EX_NOQUEUE or EX_IOERR).
 */
struct spool *open_queue(const char *queue, unsigned flags, int *status);
/* The exit status for a failed library call's errno. */
int exit_for_errno(int err);

/* One parser for numbers: base 10, the whole string, within [MIN, MAX]. */
int parse_int(const char *, int64_t min, int64_t max, int64_t *out);
/* Are the N IDS message IDs?  Reports the first that is not; -1 then. */
int check_ids(char **ids, int n);

/* The monotonic clock, for timeouts and rates. */
int64_t mono_ms(void);
int64_t mono_us(void);

/* spool_parse_duration() with a usage error message naming OPT. */
int parse_duration_opt(const char *opt, const char *arg, int64_t *ms);

/*
 * Installs a warning callback on Q that prints
 * "spool: CMD: QUEUE: RELPATH: WHY", escaped, once per path and reason
 * in the process.  QUEUE must outlive Q.
 */
void report_junk(struct spool *q, const char *queue);

/* Writes S with unprintable bytes escaped as \ooo (for names, reasons). */
void print_escaped(FILE *f, const char *s);

#endif /* CMD_H */
