/*
 * fmt.c: output helpers for the commands that look at queues (see
 * fmt.h).  Everything printed from a queue (names, reasons) goes through
 * an escaping printer, never through a format string.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fmt.h"

/* Length of the valid UTF-8 sequence at P, or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points beyond U+10FFFF. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

void
json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f), p++;
		} else if (*p == '\t') {
			fputs("\\t", f), p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if ((n = utf8_len(p)) == 0) {
			fputs("\\ufffd", f), p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	fputc('"', f);
}

void
print_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		n = utf8_len(p);
		/* U+0080..U+009F are C1 controls: 0xc2 0x80..0x9f. */
		if (n == 0 || *p < 0x20 || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] < 0xa0)) {
			fprintf(f, "\\%03o", *p++);
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

void
json_seconds(FILE *f, int64_t ms)
{
	if (ms < 0)
		fprintf(f, "-%" PRId64 ".%03d", -ms / 1000, (int)(-ms % 1000));
	else
		fprintf(f, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

char *
fmt_iso(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, size, "?");
		return buf;
	}
	snprintf(buf, size, "%s.%03dZ", day, (int)(ms % 1000));
	return buf;
}

char *
fmt_age(int64_t ms, char *buf, size_t size)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {
	    {'d', 86400000}, {'h', 3600000}, {'m', 60000}, {'s', 1000}};
	const char *sign = ms < 0 ? "-" : "";
	uint64_t v = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	size_t i;

	if (v == 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	if (v < 1000) {
		snprintf(buf, size, "%s%" PRIu64 "ms", sign, v);
		return buf;
	}
	for (i = 0; v < (uint64_t)units[i].ms; i++)
		;
	if (i + 1 < sizeof(units) / sizeof(units[0]) &&
	    v % units[i].ms >= (uint64_t)units[i + 1].ms)
		snprintf(buf, size, "%s%" PRIu64 "%c%" PRIu64 "%c", sign,
		    v / units[i].ms, units[i].unit,
		    v % units[i].ms / units[i + 1].ms, units[i + 1].unit);
	else
		snprintf(buf, size, "%s%" PRIu64 "%c", sign, v / units[i].ms,
		    units[i].unit);
	return buf;
}

char *
fmt_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 "B", bytes);
		return buf;
	}
	v /= 1024;
	while (v >= 1024 && i + 1 < sizeof(units) - 1) {
		v /= 1024;
		i++;
	}
	if (v < 10)
		snprintf(buf, size, "%.1f%c", v, units[i]);
	else
		snprintf(buf, size, "%.0f%c", v, units[i]);
	return buf;
}

int
parse_states(const char *arg, unsigned *mask)
{
	char *copy, *p, *tok;
	int s, rc = 0;

	*mask = 0;
	if ((copy = strdup(arg)) == NULL)
		return -1;
	p = copy;
	/* strtok_r would skip empty names; "new,,dead" is a typo. */
	for (;;) {
		tok = p;
		if ((p = strchr(p, ',')) != NULL)
			*p++ = '\0';
		if ((s = spool_state_parse(tok)) == -1) {
			rc = -1;
			break;
		}
		*mask |= SPOOL_STATE_BIT(s);
		if (p == NULL)
			break;
	}
	free(copy);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether NAME, an entry of the default root, is a queue. */
static int
is_queue(const char *name)
{
	struct spool *q;
	char *path;

	/* Bare names only: spool_resolve() refuses the rest ("." too). */
	if (name[0] == '.' || (path = spool_resolve(name)) == NULL)
		return 0;
	q = spool_open(path, 0);
	free(path);
	if (q == NULL)
		return 0;
	spool_close(q);
	return 1;
}

static int
add_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	char **nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((nv = realloc(*v, *cap * sizeof(*nv))) == NULL)
			return -1;
		*v = nv;
	}
	if (((*v)[*n] = strdup(name)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
queue_names(char ***names, size_t *n)
{
	char *root, **v = NULL;
	size_t cap = 0;
	struct dirent *d;
	DIR *dir;
	int err;

	*names = NULL;
	*n = 0;
	if ((root = spool_default_root()) == NULL)
		return -1;
	if ((dir = opendir(root)) == NULL) {
		err = errno;
		free(root);
		errno = err;
		return err == ENOENT ? 0 : -1;
	}
	free(root);
	while ((errno = 0, d = readdir(dir)) != NULL) {
		if (d->d_type != DT_DIR && d->d_type != DT_LNK &&
		    d->d_type != DT_UNKNOWN)
			continue;
		if (is_queue(d->d_name) && add_name(&v, n, &cap, d->d_name))
			break;
	}
	err = errno;
	closedir(dir);
	if (err != 0) {
		free_names(v, *n);
		*n = 0;
		errno = err;
		return -1;
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_names);
	*names = v;
	return 0;
}

void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
use_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(fileno(f)) && (nc == NULL || *nc == '\0');
}

void
json_entry(FILE *f, const struct spool_entry *e, int64_t now_ms)
{
	char t[40];

	fprintf(f,
	    "\"id\":\"%s\",\"state\":\"%s\",\"priority\":%d,"
	    "\"attempts\":%u,\"size\":%" PRIu64 ",",
	    e->id, spool_state_name(e->state), e->priority, e->attempts,
	    e->size);
	fprintf(f, "\"enqueued\":\"%s\",\"enqueued_ms\":%" PRId64 ",\"age_s\":",
	    fmt_iso(e->enqueued_ms, t, sizeof(t)), e->enqueued_ms);
	json_seconds(f, now_ms - e->enqueued_ms);
	if (e->deadline_ms > 0)
		fprintf(f, ",\"deadline\":\"%s\",\"deadline_ms\":%" PRId64,
		    fmt_iso(e->deadline_ms, t, sizeof(t)), e->deadline_ms);
	else
		fputs(",\"deadline\":null,\"deadline_ms\":null", f);
	fputs(",\"host\":", f);
	json_string(f, e->host);
}

char *
last_line(char *text)
{
	char *end, *start;

	if (text == NULL)
		return NULL;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*end = '\0';
	if (end == text)
		return NULL;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	return start;
}

void
qerr(const char *queue, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "spool: %s: ", cmd_name);
	print_escaped(stderr, queue);
	fputs(": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
