/*
 * stat.h: what spool stat's one-shot output (stat.c) and its live view
 * (watch.c) share.
 */
#ifndef STAT_H
#define STAT_H

#include <stddef.h>
#include <stdint.h>

#include "spool.h"

#define NAGES 7 /* 0-1m 1-5m 5-10m 10-30m 30m-1h 1-4h 4h+ */

struct stat_opts {
	int json, prom, ages, watch;
	int64_t watch_ms;
};

/* One queue's figures. */
struct qstat {
	const char *name;
	int ok; /* figures read; else ERROR says why */
	char error[256];
	int64_t now_ms;
	struct spool_stats st;
	int has_rates;
	struct spool_rates r;
	uint64_t ages[NAGES]; /* waiting messages by age, with --ages */
};

/*
 * Reads queue NAME into S: stats, ages when AGES, rates against BASE
 * (updated) or, when BASE is NULL, against the queue's stored sample.
 * QUIET keeps errors in S->error instead of printing them.  Returns an
 * exit status.
 */
int collect(struct qstat *s, const char *name, int ages,
    struct spool_sample *base, int quiet);
const char *age_label(int i);

int stat_once(const struct stat_opts *, char **queues, int n);
int stat_watch(const struct stat_opts *, char **queues, int n);

/* The human table's header and one queue's row (no newline). */
void table_header(FILE *);
void table_row(FILE *, const struct qstat *);

#endif /* STAT_H */
