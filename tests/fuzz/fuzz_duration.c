/*
 * fuzz_duration.c: libFuzzer harness for the duration parser and
 * formatter.
 *
 * spool_parse_duration() either refuses (EINVAL, ERANGE) or yields a
 * value in [0, 100 years]; a single-unit spelling it accepts is the
 * product it says.  spool_format_duration() on any int64 fits its buffer
 * (even a small one), and for a non-negative value spells at most two
 * units whose sum is at most the value and short of it by less than the
 * last unit printed; a whole number of one unit parses back exactly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CENTURY_MS (100LL * 366 * 24 * 3600 * 1000)

static int64_t
unit_ms(const char *u, size_t n)
{
	if (n == 2 && memcmp(u, "ms", 2) == 0)
		return 1;
	if (n == 1 && *u == 's')
		return 1000;
	if (n == 1 && *u == 'm')
		return 60000;
	if (n == 1 && *u == 'h')
		return 3600000;
	if (n == 1 && *u == 'd')
		return 86400000;
	return -1;
}

static void
check_parse(const char *s)
{
	int64_t ms = -1;

	if (spool_parse_duration(s, &ms) != 0) {
		if (errno != EINVAL && errno != ERANGE)
			abort();
		return;
	}
	if (ms < 0 || ms > CENTURY_MS)
		abort();
}

/* Sums a formatted "NuNu" string; returns the last unit in *LAST. */
static int64_t
sum_of(const char *s, int64_t *last, int *parts)
{
	int64_t total = 0;
	const char *p = s;

	*parts = 0;
	while (*p != '\0') {
		int64_t n = 0, u;
		const char *q;

		if (*p < '0' || *p > '9')
			abort();
		for (; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (*p - '0');
		for (q = p; *q >= 'a' && *q <= 'z'; q++)
			;
		if ((u = unit_ms(p, (size_t)(q - p))) < 0)
			abort();
		total += n * u;
		*last = u;
		(*parts)++;
		p = q;
	}
	return total;
}

static void
check_format(int64_t v, size_t small)
{
	char buf[64], tiny[8];
	int64_t sum, last = 1, back;
	int parts;

	memset(tiny, 'x', sizeof(tiny));
	spool_format_duration(v, tiny, small % sizeof(tiny));
	if (small % sizeof(tiny) > 0 &&
	    memchr(tiny, '\0', small % sizeof(tiny)) == NULL)
		abort();
	spool_format_duration(v, buf, sizeof(buf));
	if (memchr(buf, '\0', sizeof(buf)) == NULL)
		abort();
	if (v < 0)
		return;
	sum = sum_of(buf, &last, &parts);
	if (parts < 1 || parts > 2 || sum > v || v - sum >= last) {
		fprintf(stderr, "%lld formats as '%s'\n", (long long)v, buf);
		abort();
	}
	if (parts == 1 && sum == v && v <= CENTURY_MS) {
		if (spool_parse_duration(buf, &back) != 0 || back != v) {
			fprintf(stderr, "'%s' does not parse back to %lld\n",
			    buf, (long long)v);
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int64_t v = 0;
	size_t i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_parse(s);
	free(s);
	for (i = 0; i < size && i < 8; i++)
		v = (int64_t)((uint64_t)v << 8 | data[i]);
	check_format(v, size);
	check_format(v % (CENTURY_MS + 1), size);
	return 0;
}
