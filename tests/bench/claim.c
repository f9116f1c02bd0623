/*
 * claim.c: the cost of spool_claim() alone, in one process, at whatever
 * depth the queue has.  Each claimed message is acked after the clock has
 * stopped, so the figure is the claim and nothing else; the process start
 * that `spool pop` adds is measured by the depth script separately.
 *
 *   claim QUEUE K     claim K messages, print one JSON line as floor does
 *
 * Linked against the tree's libspool.a.  Exit 1 if the queue ran dry.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spool.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct spool_msg *msg;
	struct spool *q;
	struct rusage ru;
	double *us, t, sum = 0, total = 0;
	long i, k;
	int r;

	if (argc != 3 || (k = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: claim QUEUE K\n");
		return 2;
	}
	if ((q = spool_open(argv[1], 0)) == NULL) {
		fprintf(stderr, "claim: %s: %s\n", argv[1], spool_open_error());
		return 2;
	}
	if ((us = calloc(k, sizeof(double))) == NULL)
		return 2;
	for (i = 0; i < k; i++) {
		t = now_s();
		r = spool_claim(q, 0, &msg);
		us[i] = (now_s() - t) * 1e6;
		if (r != 0) {
			fprintf(stderr, "claim: %s\n",
			    r == SPOOL_EMPTY ? "queue ran dry"
					     : spool_error(q));
			return 1;
		}
		if (spool_ack(q, spool_msg_token(msg)) != 0) {
			fprintf(stderr, "claim: ack: %s\n", spool_error(q));
			return 1;
		}
		spool_msg_free(msg);
		sum += us[i];
	}
	total = sum / 1e6;
	qsort(us, k, sizeof(double), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"mode\":\"claim\",\"n\":%ld,\"total_s\":%.6f,"
	       "\"mean_us\":%.2f,\"p50_us\":%.2f,\"p90_us\":%.2f,"
	       "\"min_us\":%.2f,\"ops_per_s\":%.1f,\"maxrss_kb\":%ld,"
	       "\"child_cpu_us\":0,\"names\":0}\n",
	    k, total, sum / k, us[k / 2], us[(long)(0.9 * (k - 1))], us[0],
	    k / total, ru.ru_maxrss);
	free(us);
	spool_close(q);
	return 0;
}
