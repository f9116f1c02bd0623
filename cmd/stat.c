/*
 * stat.c: spool stat [QUEUE...] [--json | --prometheus] [--ages]
 * [--watch[=SECS]].
 *
 * Per queue: messages and bytes in each state, the age of the oldest due
 * message, the time to the next retry, and push and done rates.  Without
 * QUEUE, every queue under the default root.  The figures come from one
 * spool_stat() pass per queue; the rates compare it with the sample the
 * previous stat stored in the queue (spool.h @stat-api says exactly what
 * they count), and this stat stores its own unless the stored one is
 * less than a second old.  Storing is best effort: a queue this user may
 * only read still gets its figures, without a sample for the next time.
 * --watch redraws in place and keeps its samples in memory.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fmt.h"
#include "stat.h"

static const struct age_bucket {
	const char *label;
	int64_t below_ms;
} age_buckets[NAGES] = {
    {"0-1m", 60000},
    {"1-5m", 300000},
    {"5-10m", 600000},
    {"10-30m", 1800000},
    {"30m-1h", 3600000},
    {"1-4h", 14400000},
    {"4h+", INT64_MAX},
};

const char *
age_label(int i)
{
	return age_buckets[i].label;
}

/* Counts waiting (new and retry) messages by age, streaming. */
static int
count_ages(struct spool *q, struct qstat *s)
{
	struct spool_entry e;
	struct spool_iter *it;
	int rc, i;

	it = spool_iter_new(
	    q, SPOOL_STATE_BIT(SPOOL_NEW) | SPOOL_STATE_BIT(SPOOL_RETRY));
	if (it == NULL)
		return -1;
	while ((rc = spool_iter_next(it, &e)) == 0) {
		for (i = 0;
		     s->now_ms - e.enqueued_ms >= age_buckets[i].below_ms; i++)
			;
		s->ages[i]++;
	}
	spool_iter_free(it);
	return rc == -1 ? -1 : 0;
}

/*
 * The rates for S against the base sample: BASE when given (--watch
 * keeps its own), else the one stored in the queue, which is then
 * replaced unless it is less than a second old.
 */
static void
rates(struct spool *q, struct qstat *s, struct spool_sample *base)
{
	struct spool_sample prev, cur;
	int have;

	spool_sample_of(&s->st, s->now_ms, &cur);
	if (base != NULL) {
		have = base->time_ms > 0;
		prev = *base;
	} else {
		have = spool_sample_load(q, &prev) == 0;
	}
	s->has_rates = have && spool_rates(q, &prev, &cur, &s->r) == 0;
	if (have && cur.time_ms >= prev.time_ms &&
	    cur.time_ms - prev.time_ms < 1000)
		return; /* keep the older base: a wider, steadier window */
	if (base != NULL)
		*base = cur;
	else
		(void)spool_sample_save(q, &cur); /* a hint: best effort */
}

int
collect(struct qstat *s, const char *name, int ages, struct spool_sample *base,
    int quiet)
{
	struct spool *q;
	char *path;
	int status = EX_OK;

	memset(s, 0, sizeof(*s));
	s->name = name;
	if (quiet) {
		if ((path = spool_resolve(name)) == NULL) {
			snprintf(s->error, sizeof(s->error), "%s",
			    errno == EINVAL ? "not a valid queue name"
					    : strerror(errno));
			return EX_NOQUEUE;
		}
		q = spool_open(path, 0);
		free(path);
		if (q == NULL) {
			snprintf(s->error, sizeof(s->error), "%s",
			    spool_open_error());
			return EX_NOQUEUE;
		}
	} else if ((q = open_queue(name, 0, &status)) == NULL) {
		return status;
	}
	if (!quiet)
		report_junk(q, name);
	s->now_ms = clock_ms();
	if (spool_stat(q, &s->st) == -1 || (ages && count_ages(q, s) == -1)) {
		snprintf(s->error, sizeof(s->error), "%s", spool_error(q));
		if (!quiet)
			qerr(name, "%s", s->error);
		spool_close(q);
		return EX_IOERR;
	}
	rates(q, s, base);
	s->ok = 1;
	spool_close(q);
	return EX_OK;
}

static void
print_ages(const struct qstat *s)
{
	uint64_t max = 0, total = 0;
	int i, bar;

	for (i = 0; i < NAGES; i++) {
		total += s->ages[i];
		if (s->ages[i] > max)
			max = s->ages[i];
	}
	print_escaped(stdout, s->name);
	printf(": %" PRIu64 " waiting (new and retry), by age\n", total);
	for (i = 0; i < NAGES; i++) {
		bar = max == 0 ? 0 : (int)(s->ages[i] * 40 / max);
		if (bar == 0 && s->ages[i] > 0)
			bar = 1;
		printf("  %-7s %10" PRIu64 "%s%.*s\n", age_buckets[i].label,
		    s->ages[i], bar > 0 ? " " : "", bar,
		    "########################################");
	}
}

static int name_width = 14;

void
table_header(FILE *f)
{
	fprintf(f, "%-*s %7s %7s %7s %7s %7s %7s %7s %7s", name_width, "QUEUE",
	    "NEW", "CUR", "RETRY", "DEAD", "OLDEST", "NEXT", "PUSH/S",
	    "DONE/S");
}

static void
print_rate(FILE *f, int has, double v)
{
	if (has)
		fprintf(f, " %7.2f", v);
	else
		fprintf(f, " %7s", "-");
}

void
table_row(FILE *f, const struct qstat *s)
{
	char a[32], b[32];
	int i, len = (int)strlen(s->name);

	print_escaped(f, s->name);
	fprintf(f, "%*s", len < name_width ? name_width - len : 0, "");
	if (!s->ok) {
		fprintf(f, " %s", s->error[0] ? s->error : "cannot read");
		return;
	}
	for (i = 0; i < SPOOL_NSTATES; i++)
		fprintf(f, " %7" PRIu64, s->st.count[i]);
	if (s->st.oldest_due_ms > 0)
		fmt_age(s->now_ms - s->st.oldest_due_ms, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "-");
	if (s->st.next_due_ms > 0)
		fmt_age(s->st.next_due_ms - s->now_ms, b, sizeof(b));
	else
		snprintf(b, sizeof(b), "-");
	fprintf(f, " %7s %7s", a, b);
	print_rate(f, s->has_rates, s->r.push_rate);
	print_rate(f, s->has_rates, s->r.done_rate);
}

static void
print_table(const struct qstat *v, size_t n)
{
	char buf[32];
	size_t i, ok;
	int j;

	for (i = 0, ok = 0; i < n; i++) {
		if ((int)strlen(v[i].name) > name_width)
			name_width = (int)strlen(v[i].name);
		ok += v[i].ok;
	}
	if (ok == 0)
		return;
	table_header(stdout);
	putchar('\n');
	for (i = 0; i < n; i++) {
		if (!v[i].ok)
			continue;
		table_row(stdout, &v[i]);
		printf("\n%-*s", name_width, "  bytes");
		for (j = 0; j < SPOOL_NSTATES; j++)
			printf(" %7s",
			    fmt_size(v[i].st.bytes[j], buf, sizeof(buf)));
		putchar('\n');
	}
}

/* A JSON number of seconds from MS, or null when HAS is 0. */
static void
json_secs_or_null(int has, int64_t ms)
{
	if (has)
		json_seconds(stdout, ms);
	else
		fputs("null", stdout);
}

static void
json_rate(int has, double v)
{
	if (has)
		printf("%.3f", v);
	else
		fputs("null", stdout);
}

static void
print_json_one(const struct qstat *s, int first, int ages)
{
	int i;

	fputs(first ? "\n{\"queue\":" : ",\n{\"queue\":", stdout);
	json_string(stdout, s->name);
	for (i = 0; i < SPOOL_NSTATES; i++)
		printf(",\"%s\":%" PRIu64, spool_state_name(i), s->st.count[i]);
	printf(",\"due\":%" PRIu64 ",\"bytes\":{", s->st.due);
	for (i = 0; i < SPOOL_NSTATES; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", spool_state_name(i),
		    s->st.bytes[i]);
	fputs("},\"oldest_due_age_s\":", stdout);
	json_secs_or_null(
	    s->st.oldest_due_ms > 0, s->now_ms - s->st.oldest_due_ms);
	fputs(",\"next_retry_s\":", stdout);
	json_secs_or_null(s->st.next_due_ms > 0, s->st.next_due_ms - s->now_ms);
	fputs(",\"push_rate\":", stdout);
	json_rate(s->has_rates, s->r.push_rate);
	fputs(",\"done_rate\":", stdout);
	json_rate(s->has_rates, s->r.done_rate);
	fputs(",\"rate_interval_s\":", stdout);
	json_secs_or_null(s->has_rates, s->r.interval_ms);
	if (ages) {
		fputs(",\"ages\":{", stdout);
		for (i = 0; i < NAGES; i++)
			printf("%s\"%s\":%" PRIu64, i ? "," : "", age_label(i),
			    s->ages[i]);
		putchar('}');
	}
	putchar('}');
}

static void
print_json(const struct qstat *v, size_t n, int ages)
{
	size_t i;
	int first = 1;

	putchar('[');
	for (i = 0; i < n; i++)
		if (v[i].ok) {
			print_json_one(&v[i], first, ages);
			first = 0;
		}
	fputs(first ? "]\n" : "\n]\n", stdout);
}

/* A label value per the text exposition format: \\, \" and \n escaped. */
static void
prom_label(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p >= 0x80)
			fputs("\xef\xbf\xbd", stdout); /* U+FFFD: stay UTF-8 */
		else
			putchar(*p);
	}
}

static void
prom_family(const char *name, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* "NAME{queue="Q"" with the brace left open for more labels. */
static void
prom_start(const char *metric, const struct qstat *s)
{
	printf("%s{queue=\"", metric);
	prom_label(s->name);
	putchar('"');
}

static void
prom_states(const struct qstat *v, size_t n, int bytes)
{
	size_t i;
	int j;

	if (bytes)
		prom_family(
		    "spool_bytes", "Payload bytes in the queue, by state.");
	else
		prom_family(
		    "spool_messages", "Messages in the queue, by state.");
	for (i = 0; i < n; i++)
		for (j = 0; v[i].ok && j < SPOOL_NSTATES; j++) {
			prom_start(
			    bytes ? "spool_bytes" : "spool_messages", &v[i]);
			printf(",state=\"%s\"} %" PRIu64 "\n",
			    spool_state_name(j),
			    bytes ? v[i].st.bytes[j] : v[i].st.count[j]);
		}
}

/* Which per-queue value prom_value() prints. */
enum pv { PV_DUE, PV_OLDEST, PV_NEXT, PV_PUSH, PV_DONE };

static int
prom_has(const struct qstat *s, enum pv what)
{
	if (!s->ok)
		return 0;
	if (what == PV_NEXT)
		return s->st.next_due_ms > 0;
	if (what == PV_PUSH || what == PV_DONE)
		return s->has_rates;
	return 1;
}

static void
prom_value(const struct qstat *v, size_t n, enum pv what, const char *name,
    const char *help)
{
	const struct qstat *s;
	size_t i, have = 0;

	for (i = 0; i < n; i++)
		have += prom_has(&v[i], what);
	if (have == 0)
		return;
	prom_family(name, help);
	for (i = 0; i < n; i++) {
		if (!prom_has(s = &v[i], what))
			continue;
		prom_start(name, s);
		if (what == PV_DUE)
			printf("} %" PRIu64 "\n", s->st.due);
		else if (what == PV_OLDEST)
			printf("} %.3f\n",
			    s->st.oldest_due_ms > 0
				? (double)(s->now_ms - s->st.oldest_due_ms) /
				      1000
				: 0.0);
		else if (what == PV_NEXT)
			printf("} %.3f\n",
			    (double)(s->st.next_due_ms - s->now_ms) / 1000);
		else
			printf("} %.3f\n",
			    what == PV_PUSH ? s->r.push_rate : s->r.done_rate);
	}
}

static void
prom_ages(const struct qstat *v, size_t n)
{
	size_t i;
	int j;

	prom_family("spool_waiting_messages",
	    "Messages in new and retry, by age since enqueue.");
	for (i = 0; i < n; i++)
		for (j = 0; v[i].ok && j < NAGES; j++) {
			prom_start("spool_waiting_messages", &v[i]);
			printf(",age=\"%s\"} %" PRIu64 "\n", age_label(j),
			    v[i].ages[j]);
		}
}

static void
print_prometheus(const struct qstat *v, size_t n, int ages)
{
	prom_states(v, n, 0);
	prom_states(v, n, 1);
	prom_value(
	    v, n, PV_DUE, "spool_due_messages", "Messages claimable now.");
	prom_value(v, n, PV_OLDEST, "spool_oldest_due_age_seconds",
	    "Age of the oldest message claimable now, 0 when none.");
	prom_value(v, n, PV_NEXT, "spool_next_retry_seconds",
	    "Seconds until the next waiting retry is due.");
	prom_value(v, n, PV_PUSH, "spool_push_rate",
	    "Messages per second pushed since the previous sample and still "
	    "queued (a lower bound).");
	prom_value(v, n, PV_DONE, "spool_done_rate",
	    "Messages per second that were queued at the previous sample "
	    "and have left (a lower bound).");
	if (ages)
		prom_ages(v, n);
}

int
cmd_stat(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"ages", no_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'J'},
	    {"prometheus", no_argument, NULL, 'P'},
	    {"watch", optional_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	struct stat_opts o = {0};
	int c;

	o.watch_ms = 2000;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.ages = 1;
			break;
		case 'J':
			o.json = 1;
			break;
		case 'P':
			o.prom = 1;
			break;
		case 'w':
			o.watch = 1;
			if (optarg != NULL && (parse_duration_opt("--watch",
						   optarg, &o.watch_ms) == -1))
				return EX_USAGE;
			if (o.watch_ms < 100)
				return usage("--watch: refresh at most ten "
					     "times a second");
			break;
		default:
			return usage(NULL);
		}
	}
	if (o.json + o.prom + o.watch > 1)
		return usage("--json, --prometheus and --watch exclude each "
			     "other");
	if (o.watch && o.ages)
		return usage("--ages does not go with --watch");
	return o.watch ? stat_watch(&o, argv + optind, argc - optind)
		       : stat_once(&o, argv + optind, argc - optind);
}

/* Stats QUEUES (or every queue under the root) into an array. */
static int
collect_all(const struct stat_opts *o, char **queues, int n, struct qstat **out,
    size_t *nout, char ***names, size_t *nnames)
{
	struct qstat *v;
	int i, st, status = EX_OK;

	*names = NULL;
	*nnames = 0;
	if (n == 0) {
		if (queue_names(names, nnames) == -1) {
			fprintf(stderr,
			    "spool: stat: cannot read the queue "
			    "root: %s\n",
			    strerror(errno));
			return EX_IOERR;
		}
		queues = *names;
		n = (int)*nnames;
	}
	if ((v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v))) == NULL) {
		fprintf(stderr, "spool: stat: %s\n", strerror(errno));
		return EX_IOERR;
	}
	for (i = 0; i < n; i++)
		if ((st = collect(&v[i], queues[i], o->ages, NULL, 0)) > status)
			status = st;
	*out = v;
	*nout = (size_t)n;
	return status;
}

int
stat_once(const struct stat_opts *o, char **queues, int n)
{
	struct qstat *v = NULL;
	size_t nv = 0, nnames, i;
	char **names;
	int status;

	status = collect_all(o, queues, n, &v, &nv, &names, &nnames);
	if (v == NULL)
		return status;
	if (o->json)
		print_json(v, nv, o->ages);
	else if (o->prom)
		print_prometheus(v, nv, o->ages);
	else {
		print_table(v, nv);
		for (i = 0; o->ages && i < nv; i++)
			if (v[i].ok) {
				putchar('\n');
				print_ages(&v[i]);
			}
	}
	free(v);
	free_names(names, nnames);
	return status;
}
