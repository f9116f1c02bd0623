/*
 * util.c: errors, clocks, state names, durations and the default policy.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static const char *const state_names[SPOOL_NSTATES] = {
    "new", "cur", "retry", "dead"};

/*
 * Formats FMT into the handle's message, appends ": strerror(errno)" when
 * errno is set, and returns -1 with errno kept.
 */
int
seterr(struct spool *q, const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	int n;

	if (q != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(q->err, sizeof(q->err), fmt, ap);
		va_end(ap);
		if (err != 0 && n >= 0 && (size_t)n < sizeof(q->err))
			snprintf(q->err + n, sizeof(q->err) - n, ": %s",
			    strerror(err));
	}
	errno = err;
	return -1;
}

void
warnq(struct spool *q, const char *relpath, const char *why)
{
	if (q->warn != NULL)
		q->warn(q->warnarg, relpath, why);
}

int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
now_ms(void)
{
	return now_us() / 1000;
}

const char *
spool_state_name(enum spool_state s)
{
	if ((unsigned)s >= SPOOL_NSTATES)
		return "?";
	return state_names[s];
}

int
spool_state_parse(const char *s)
{
	int i;

	for (i = 0; i < SPOOL_NSTATES; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	errno = EINVAL;
	return -1;
}

void
spool_config_default(struct spool_config *c)
{
	c->max_attempts = 5;
	c->lease_ms = 5 * 60 * 1000;
	c->backoff_min_ms = 30 * 1000;
	c->backoff_max_ms = 60 * 60 * 1000;
}

void
spool_push_opts_default(struct spool_push_opts *o)
{
	o->priority = SPOOL_PRIORITY_DEFAULT;
	o->delay_ms = 0;
}

static const struct unit {
	const char *name;
	int64_t ms;
} units[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 60 * 60 * 1000},
    {"d", 24 * 60 * 60 * 1000},
    {"", 1000},
};

#define DURATION_MAX_MS (100LL * 366 * 24 * 60 * 60 * 1000)

int
spool_parse_duration(const char *s, int64_t *ms)
{
	int64_t v = 0;
	const char *p = s;
	size_t i;

	if (s == NULL || *p < '0' || *p > '9') {
		errno = EINVAL;
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > DURATION_MAX_MS) {
			errno = ERANGE;
			return -1;
		}
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].name) != 0)
			continue;
		if (v > DURATION_MAX_MS / units[i].ms) {
			errno = ERANGE;
			return -1;
		}
		*ms = v * units[i].ms;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

char *
spool_format_duration(int64_t ms, char *buf, size_t size)
{
	static const struct unit big[] = {
	    {"d", 24 * 60 * 60 * 1000},
	    {"h", 60 * 60 * 1000},
	    {"m", 60 * 1000},
	    {"s", 1000},
	};
	size_t i, len = 0;
	int parts = 0;
	uint64_t v;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	/* The magnitude, computed so that INT64_MIN does not overflow. */
	v = ms < 0 ? (uint64_t)(-(ms + 1)) + 1 : (uint64_t)ms;
	if (ms < 0) {
		snprintf(buf, size, "-");
		len = strlen(buf);
	}
	if (v < 1000) {
		snprintf(
		    buf + len, size - len, "%llums", (unsigned long long)v);
		return buf;
	}
	/* At most two units: "1h30m", "2d3h"; milliseconds are dropped. */
	for (i = 0; i < sizeof(big) / sizeof(big[0]) && parts < 2; i++) {
		uint64_t n = v / (uint64_t)big[i].ms;

		if (n == 0) {
			if (parts > 0)
				break;
			continue;
		}
		v -= n * (uint64_t)big[i].ms;
		snprintf(buf + len, size - len, "%llu%s", (unsigned long long)n,
		    big[i].name);
		len = strlen(buf);
		parts++;
	}
	return buf;
}
