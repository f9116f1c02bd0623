/*
 * run_log.c: what spool run tells its user on stderr.
 *
 * One line per settled message (time, ID, attempt, outcome, duration,
 * status), or a JSON object per line with --json, or nothing with
 * --quiet.  When stderr is a terminal, a status line (done, failed,
 * running, backlog, rate) is redrawn in place instead of a line per
 * success; anything else written to stderr first erases it, so that job
 * output and failures never share a line with it.  Each line leaves in
 * one write(2), so that lines from several runners sharing a log do not
 * interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

static const char *const outnames[] = {
    [OUT_OK] = "ok",
    [OUT_RETRY] = "retry",
    [OUT_DEAD] = "dead",
    [OUT_RETURNED] = "returned",
    [OUT_STALE] = "stale",
    [OUT_ERROR] = "error",
};

static void
write_all(const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere to report it */
		buf += n;
		len -= (size_t)n;
	}
}

void
status_clear(struct runner *r)
{
	if (r->drawn) {
		write_all("\r\033[K", 4);
		r->drawn = 0;
	}
}

void
log_output(struct runner *r, const char *buf, size_t len)
{
	status_clear(r);
	write_all(buf, len);
}

void
errmsg(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	status_clear(r);
	fprintf(stderr, "spool: run: ");
	print_escaped(stderr, r->qname);
	fprintf(stderr, ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The wall-clock time as 2006-01-02T15:04:05.000Z. */
static void
fmt_time(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Copies S into BUF as the inside of a JSON string. */
static void
json_str(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\u%04x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
}

void
log_outcome(struct runner *r, const struct spool_msg *m, enum outcome out,
    const char *status, int64_t us)
{
	char line[512], when[40], st[256];
	const char *id = spool_msg_id(m);
	unsigned att = spool_msg_attempt(m);
	int n;

	if (r->quiet || (r->tty && !r->json && out == OUT_OK))
		return;
	fmt_time(when, sizeof(when));
	if (r->json) {
		json_str(st, sizeof(st), status);
		n = snprintf(line, sizeof(line),
		    "{\"time\":\"%s\",\"id\":\"%s\",\"attempt\":%u,"
		    "\"outcome\":\"%s\",\"status\":\"%s\",\"duration\":%.6f}\n",
		    when, id, att, outnames[out], st, us / 1e6);
	} else if (us < 1000000)
		n = snprintf(line, sizeof(line),
		    "%s %s attempt=%u %s %lldms %s\n", when, id, att,
		    outnames[out], (long long)(us / 1000), status);
	else
		n = snprintf(line, sizeof(line),
		    "%s %s attempt=%u %s %lld.%03llds %s\n", when, id, att,
		    outnames[out], (long long)(us / 1000000),
		    (long long)(us / 1000 % 1000), status);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	status_clear(r);
	write_all(line, (size_t)n);
}

/*
 * Refreshes the completion rate (a moving average over about two
 * seconds) and, now and then or on the final line, the backlog.
 */
static void
status_sample(struct runner *r, int64_t now, int final)
{
	struct spool_stats st;
	uint64_t done = r->nok + r->nfailed;
	int64_t t0, dt = now - r->ratetime;

	if (r->ratetime == 0) {
		r->ratetime = now;
		r->ratedone = done;
	} else if (dt >= 100) {
		double inst = (done - r->ratedone) * 1000.0 / dt;
		double a = dt / (dt + 2000.0);

		r->rate = r->rate == 0 ? inst : a * inst + (1 - a) * r->rate;
		r->ratetime = now;
		r->ratedone = done;
	}
	if (final || now >= r->nextstat) {
		/* A pass over a deep queue is not free: keep it rare. */
		t0 = mono_ms();
		if (spool_stat(r->q, &st) == 0)
			r->backlog = st.due;
		t0 = mono_ms() - t0;
		r->nextstat = now + (t0 * 20 > 1000 ? t0 * 20 : 1000);
	}
}

void
status_draw(struct runner *r, int64_t now, int final)
{
	char line[256], tgt[32] = "";
	const char *g = r->color ? "\033[32m" : "", *red = "",
		   *off = r->color ? "\033[0m" : "";
	int n;

	if (!r->tty || (!final && r->drawn && now < r->nextdraw))
		return;
	status_sample(r, now, final);
	if (r->color && r->nfailed > 0)
		red = "\033[31m";
	if (r->jmin != r->jmax)
		snprintf(tgt, sizeof(tgt), "/%d", r->target);
	n = snprintf(line, sizeof(line),
	    "\r\033[Kdone %s%llu%s  failed %s%llu%s  running %d%s  "
	    "backlog %llu  rate %.1f/s%s",
	    g, (unsigned long long)r->nok, off, red,
	    (unsigned long long)r->nfailed, red[0] != '\0' ? off : "",
	    r->running, tgt, (unsigned long long)r->backlog, r->rate,
	    final ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	write_all(line, (size_t)n);
	r->drawn = !final;
	r->nextdraw = now + 200;
}

/* When the status line wants redrawing (monotonic ms), or -1. */
int64_t
status_next(const struct runner *r)
{
	if (!r->tty)
		return -1;
	return r->drawn ? r->nextdraw : 0;
}
