/*
 * transfer.c: the progress line of spool export and spool import.  It is
 * drawn on standard error only when that is a terminal, so that logs and
 * pipes stay clean, and never more than ten times a second.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "transfer.h"

void
progress_init(struct progress *p, const char *queue, int quiet)
{
	memset(p, 0, sizeof(*p));
	p->queue = queue;
	p->on = !quiet && isatty(STDERR_FILENO);
	p->start_ms = p->last_ms = mono_ms();
}

static void
human(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

static void
draw(struct progress *p, int64_t now, const char *what)
{
	char size[32], rate[32];
	double secs = (double)(now - p->start_ms) / 1000;

	human(size, sizeof(size), p->bytes);
	human(rate, sizeof(rate),
	    secs > 0 ? (uint64_t)((double)p->bytes / secs) : 0);
	fprintf(stderr, "\rspool: %s: ", cmd_name);
	print_escaped(stderr, p->queue);
	fprintf(stderr, ": %llu messages, %s, %.0f msg/s, %s/s%s\033[K",
	    (unsigned long long)p->messages, size,
	    secs > 0 ? (double)p->messages / secs : 0.0, rate,
	    what != NULL ? what : "");
	fflush(stderr);
	p->shown = 1;
}

int
progress_update(void *arg, uint64_t messages, uint64_t bytes)
{
	struct progress *p = arg;
	int64_t now;

	p->messages = messages;
	p->bytes = bytes;
	if (p->on && (now = mono_ms()) - p->last_ms >= 100) {
		p->last_ms = now;
		draw(p, now, NULL);
	}
	return caught_signal != 0;
}

void
progress_done(struct progress *p, const char *what)
{
	if (!p->on)
		return;
	draw(p, mono_ms(), what);
	fputc('\n', stderr);
	p->shown = 0;
}

void
progress_clear(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = 0;
	}
}
