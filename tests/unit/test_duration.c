/*
 * test_duration.c: spool_parse_duration() and spool_format_duration(),
 * the one parser and printer of durations that every option and the
 * config file share (spool.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "spool.h"
#include "tap.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* Parses S, expecting success and WANT milliseconds. */
static void
parses(const char *s, int64_t want)
{
	char name[64];
	int64_t ms = -1;
	int rc = spool_parse_duration(s, &ms);

	snprintf(name, sizeof(name), "\"%s\" parses", s);
	if (is_int(rc, 0, name))
		is_int(ms, want, "to the expected milliseconds");
}

/* Parses S, expecting failure with errno ERR. */
static void
refuses(const char *s, int err)
{
	char name[64];
	int64_t ms = 0;
	int rc;

	snprintf(name, sizeof(name), "\"%s\" is refused", s);
	errno = 0;
	rc = spool_parse_duration(s, &ms);
	if (is_int(rc, -1, name))
		is_str(
		    strerror(errno), strerror(err), "with the expected errno");
}

static void
test_parse_units(void)
{
	parses("250ms", 250);
	parses("30s", 30 * SEC);
	parses("5m", 5 * MIN);
	parses("2h", 2 * HOUR);
	parses("1d", DAY);
	parses("0ms", 0);
}

static void
test_parse_bare_number_is_seconds(void)
{
	parses("30", 30 * SEC);
	parses("0", 0);
	parses("1", SEC);
	parses("007", 7 * SEC);
}

static void
test_parse_large_values(void)
{
	parses("36500d", 36500 * DAY);
	parses("3153600000", 3153600000LL * SEC);
	parses("1000000ms", 1000 * SEC);
}

static void
test_parse_rejects_malformed(void)
{
	refuses("", EINVAL);
	refuses("s", EINVAL);
	refuses("ms", EINVAL);
	refuses("-1", EINVAL);
	refuses("-1s", EINVAL);
	refuses("5x", EINVAL);
	refuses("5 s", EINVAL);
	refuses(" 5", EINVAL);
	refuses("5 ", EINVAL);
	refuses("1.5s", EINVAL);
	refuses("1h30m", EINVAL);
	refuses("5sec", EINVAL);
	refuses("0x10", EINVAL);
}

static void
test_parse_rejects_out_of_range(void)
{
	/* More than 100 years, by any reckoning of a year. */
	refuses("40000d", ERANGE);
	refuses("1000000h", ERANGE);
	refuses("99999999999999999999999999", ERANGE);
	refuses("9223372036854775807ms", ERANGE);
	refuses("9223372036854775807d", ERANGE);
}

static void
test_format_examples(void)
{
	char buf[32];

	is_str(spool_format_duration(250, buf, sizeof(buf)), "250ms", "250 ms");
	is_str(
	    spool_format_duration(30 * SEC, buf, sizeof(buf)), "30s", "30 s");
	is_str(spool_format_duration(5 * MIN, buf, sizeof(buf)), "5m", "5 min");
	is_str(spool_format_duration(HOUR + 30 * MIN, buf, sizeof(buf)),
	    "1h30m", "90 min");
	is_str(spool_format_duration(2 * HOUR, buf, sizeof(buf)), "2h", "2 h");
}

static void
test_format_returns_buf(void)
{
	char buf[32];

	ok(spool_format_duration(5 * MIN, buf, sizeof(buf)) == buf,
	    "returns its buffer");
}

/* A whole unit printed by format parses back to the same value. */
static void
test_format_parse_round_trip(void)
{
	static const int64_t v[] = {
	    1, 999, SEC, 59 * SEC, MIN, 59 * MIN, HOUR, 23 * HOUR};
	char buf[32], name[64];
	int64_t ms;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		spool_format_duration(v[i], buf, sizeof(buf));
		snprintf(name, sizeof(name), "%lld ms prints as \"%s\"",
		    (long long)v[i], buf);
		if (ok(spool_parse_duration(buf, &ms) == 0, name))
			is_int(ms, v[i], "which parses back");
	}
}

/* A short buffer is never overrun and always terminated. */
static void
test_format_short_buffer(void)
{
	char area[16];
	size_t size, i;
	int intact;

	for (size = 1; size <= 5; size++) {
		memset(area, 'X', sizeof(area));
		spool_format_duration(HOUR + 30 * MIN, area, size);
		intact = 1;
		for (i = size; i < sizeof(area); i++)
			intact &= area[i] == 'X';
		ok(intact, "writes nothing beyond the given size");
		ok(memchr(area, '\0', size) != NULL, "terminates the string");
	}
}

static const struct tap_test tests[] = {
    TAP_TEST(test_parse_units),
    TAP_TEST(test_parse_bare_number_is_seconds),
    TAP_TEST(test_parse_large_values),
    TAP_TEST(test_parse_rejects_malformed),
    TAP_TEST(test_parse_rejects_out_of_range),
    TAP_TEST(test_format_examples),
    TAP_TEST(test_format_returns_buf),
    TAP_TEST(test_format_parse_round_trip),
    TAP_TEST(test_format_short_buffer),
    {NULL, NULL},
};

int
main(int argc, char **argv)
{
	return tap_main(argc, argv, tests);
}
