/*
 * fmt.h: output helpers shared by the commands that look at queues (stat,
 * list, show, kick, purge, gc): JSON strings, times, human ages and sizes,
 * state lists, and the list of queues under the default root.
 */
#ifndef FMT_H
#define FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spool.h"

/*
 * Writes S as a JSON string, quotes included: '"', '\\' and control
 * characters escaped, valid UTF-8 passed through, each byte of invalid
 * UTF-8 replaced by U+FFFD, so that the output is always valid JSON.
 */
void json_string(FILE *, const char *s);
/* Writes MS (milliseconds) as seconds with three decimals: 12.345. */
void json_seconds(FILE *, int64_t ms);

/*
 * Writes text that the library has already escaped (history lines): valid
 * UTF-8 passes, but control characters, C1 controls and invalid bytes are
 * written as \ooo, so that nothing planted in a queue reaches the terminal
 * as a control sequence.
 */
void print_text(FILE *, const char *s);

/* Formats MS since the epoch as "2024-05-01T12:00:00.123Z" into BUF. */
char *fmt_iso(int64_t ms, char *buf, size_t size);
/*
 * Formats a duration in milliseconds with its two largest units: "0s",
 * "45s", "5m3s", "2h5m", "3d4h"; below a second "250ms"; negative
 * durations get a leading '-'.
 */
char *fmt_age(int64_t ms, char *buf, size_t size);
/* Formats a byte count for people: "512B", "4.5K", "12M", "1.2G". */
char *fmt_size(uint64_t bytes, char *buf, size_t size);

/*
 * Parses a comma-separated list of state names ("new,dead") into a mask
 * of SPOOL_STATE_BIT()s.  Returns 0, or -1 on an unknown or empty name.
 */
int parse_states(const char *arg, unsigned *mask);

/*
 * Lists the queues under the default root: the subdirectories with a
 * valid bare name that spool_open() accepts; others are skipped silently.
 * Stores a sorted, malloc'ed array of malloc'ed names in *NAMES and its
 * length in *N (0 when the root does not exist).  Returns 0, or -1 with
 * errno when the root cannot be read.  free_names() releases the result.
 */
int queue_names(char ***names, size_t *n);
void free_names(char **names, size_t n);

/*
 * Writes the fields every message object has, without braces:
 * "id", "state", "priority", "attempts", "size", "enqueued" (ISO-8601
 * UTC), "enqueued_ms", "age_s", "deadline" and "deadline_ms" (the lease
 * deadline in cur, the due time in retry, else null), "host".
 */
void json_entry(FILE *, const struct spool_entry *e, int64_t now_ms);
/*
 * The last non-empty line of a history text, its newline cut off (TEXT
 * is changed), or NULL when there is none.
 */
char *last_line(char *text);

/* Prints "spool: CMD: QUEUE: message" to stderr, QUEUE escaped. */
void qerr(const char *queue, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The wall clock in milliseconds since the epoch. */
int64_t clock_ms(void);

/* Whether colour may be used on F: a terminal and NO_COLOR unset. */
int use_color(FILE *);

#endif /* FMT_H */
