/*
 * test_name.c: IDs and message file names, the part of the format that
 * carries the state machine (internal.h): IDs are well-formed, unique and
 * ordered; every name the library formats parses back to the same fields;
 * anything else is refused.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "spool.h"
#include "tap.h"

static void
test_new_ids_are_valid(void)
{
	char id[SPOOL_ID_SIZE];
	int p, bad = 0;

	for (p = SPOOL_PRIORITY_MIN; p <= SPOOL_PRIORITY_MAX; p++) {
		if (new_id(p, id) != 0 || !spool_valid_id(id) ||
		    strlen(id) != SPOOL_ID_LEN || id_priority(id) != p)
			bad++;
	}
	is_int(bad, 0, "every priority gives a valid ID that carries it");
	is_int(new_id(SPOOL_PRIORITY_MAX + 1, id), -1, "priority 10 refused");
	is_int(new_id(-1, id), -1, "priority -1 refused");
}

static int
cmpid(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_ids_unique_and_ordered(void)
{
	enum { N = 20000 };
	char(*v)[SPOOL_ID_SIZE] = malloc(N * SPOOL_ID_SIZE);
	int i, unordered = 0, dups = 0;
	int64_t t0 = now_us();

	for (i = 0; i < N; i++)
		new_id(SPOOL_PRIORITY_DEFAULT, v[i]);
	for (i = 1; i < N; i++)
		unordered += strcmp(v[i - 1], v[i]) >= 0;
	is_int(unordered, 0, "IDs made in a row sort in the order made");
	qsort(v, N, SPOOL_ID_SIZE, cmpid);
	for (i = 1; i < N; i++)
		dups += strcmp(v[i - 1], v[i]) == 0;
	is_int(dups, 0, "20000 IDs are distinct");
	ok(id_time_us(v[0]) >= t0 - 1000000 &&
		id_time_us(v[0]) <= now_us() + 1000000,
	    "an ID carries its enqueue time in microseconds");
	free(v);
}

static void
test_priority_sorts_first(void)
{
	char hi[SPOOL_ID_SIZE], lo[SPOOL_ID_SIZE];

	new_id(0, lo);
	new_id(9, hi);
	ok(strcmp(hi, lo) < 0,
	    "a later ID of priority 9 sorts before priority 0");
}

static void
test_valid_id(void)
{
	char id[SPOOL_ID_SIZE], s[64];

	new_id(5, id);
	ok(spool_valid_id(id), "a fresh ID is valid");
	memcpy(s, id, SPOOL_ID_LEN - 1);
	s[SPOOL_ID_LEN - 1] = '\0';
	ok(!spool_valid_id(s), "30 characters are refused");
	snprintf(s, sizeof(s), "%s0", id);
	ok(!spool_valid_id(s), "32 characters are refused");
	snprintf(s, sizeof(s), "%s", id);
	s[5] = 'A';
	ok(!spool_valid_id(s), "an upper-case digit is refused");
	s[5] = 'g';
	ok(!spool_valid_id(s), "a letter beyond f is refused");
	s[5] = '.';
	ok(!spool_valid_id(s), "a dot is refused");
	snprintf(s, sizeof(s), "%s", id);
	s[0] = 'a';
	ok(!spool_valid_id(s),
	    "a first character that is not a digit is refused");
	ok(!spool_valid_id(""), "the empty string is refused");
	ok(!spool_valid_id("../../../../etc/passwd........."),
	    "a path of 31 characters is refused");
}

/* Formats a name, parses it back, and checks every field. */
static void
roundtrip(
    const char *id, unsigned attempts, uint64_t size, char kind, int64_t when)
{
	struct spool_entry e;
	char name[SPOOL_NAME_SIZE], what[128];

	snprintf(what, sizeof(what), "a%u s%llu %c%lld round trip", attempts,
	    (unsigned long long)size, kind ? kind : '-', (long long)when);
	if (!is_int(
		format_name(name, sizeof(name), id, attempts, size, kind, when),
		0, what))
		return;
	memset(&e, 0, sizeof(e));
	e.state = SPOOL_RETRY;
	if (!is_int(spool_parse_name(name, &e), 0, what))
		return;
	is_str(e.id, id, "the ID comes back");
	is_str(e.name, name, "the name comes back");
	is_int(e.attempts, attempts, "the attempts come back");
	is_int((int64_t)e.size, (int64_t)size, "the size comes back");
	is_int(e.deadline_ms, kind ? when : 0, "the deadline comes back");
	is_int(e.priority, id_priority(id), "the priority comes from the ID");
	is_int(e.enqueued_ms, id_time_us(id) / 1000, "the enqueue time too");
	is_str(e.host, id + SPOOL_ID_LEN - 6, "the host hash too");
	is_int(e.state, SPOOL_RETRY, "the state is left as it was");
}

static void
test_name_roundtrips(void)
{
	char id[SPOOL_ID_SIZE];

	new_id(3, id);
	roundtrip(id, 0, 0, 0, 0);
	roundtrip(id, 1, 4096, 'l', now_ms() + 300000);
	roundtrip(id, 5, SPOOL_MAX_PAYLOAD, 'd', now_ms());
	roundtrip(id, 999999999, UINT64_C(9999999999999999999), 'l',
	    INT64_C(999999999999999999));
	new_id(9, id);
	roundtrip(id, 7, 1, 'd', 1);
}

static void
refuses(const char *name, const char *what)
{
	struct spool_entry e;

	errno = 0;
	if (is_int(spool_parse_name(name, &e), -1, what))
		is_int(errno, EINVAL, "with EINVAL");
}

static void
test_bad_names_refused(void)
{
	char id[SPOOL_ID_SIZE], s[400];

	new_id(5, id);
	refuses("", "the empty name");
	refuses("x", "one character");
	refuses(id, "an ID alone");
	snprintf(s, sizeof(s), "%s.a0", id);
	refuses(s, "no size");
	snprintf(s, sizeof(s), "%s.s5.a0", id);
	refuses(s, "fields out of order");
	snprintf(s, sizeof(s), "%s.a.s5", id);
	refuses(s, "an empty attempt count");
	snprintf(s, sizeof(s), "%s.a01.s5", id);
	refuses(s, "a leading zero");
	snprintf(s, sizeof(s), "%s.a-1.s5", id);
	refuses(s, "a negative count");
	snprintf(s, sizeof(s), "%s.a0.s5.x7", id);
	refuses(s, "an unknown kind");
	snprintf(s, sizeof(s), "%s.a0.s5.l", id);
	refuses(s, "a deadline without digits");
	snprintf(s, sizeof(s), "%s.a0.s5.l12.l13", id);
	refuses(s, "two deadlines");
	snprintf(s, sizeof(s), "%s.a0.s5~", id);
	refuses(s, "a trailing ~");
	snprintf(s, sizeof(s), "%s.a0.s5 ", id);
	refuses(s, "a trailing space");
	snprintf(s, sizeof(s), "%s.a0.s99999999999999999999", id);
	refuses(s, "a size of 20 digits");
	snprintf(s, sizeof(s), "%s.a0.s5.l%0200d", id, 1);
	refuses(s, "a name longer than SPOOL_NAME_SIZE");
	snprintf(s, sizeof(s), ".%s.a0.s5", id);
	refuses(s, "a leading dot");
	snprintf(s, sizeof(s), "%s.a0.s5", id);
	s[3] = 'Z';
	refuses(s, "a bad ID");
}

static void
test_state_names(void)
{
	int s, bad = 0;

	for (s = 0; s < SPOOL_NSTATES; s++)
		bad += spool_state_parse(spool_state_name(s)) != s;
	is_int(bad, 0, "every state name parses back to its state");
	is_str(spool_state_name(SPOOL_DEAD), "dead", "dead is called dead");
	is_int(spool_state_parse("tmp"), -1, "tmp is not a state");
	is_int(spool_state_parse("NEW"), -1, "names are lower case");
}

static const struct tap_test tests[] = {
    TAP_TEST(test_new_ids_are_valid),
    TAP_TEST(test_ids_unique_and_ordered),
    TAP_TEST(test_priority_sorts_first),
    TAP_TEST(test_valid_id),
    TAP_TEST(test_name_roundtrips),
    TAP_TEST(test_bad_names_refused),
    TAP_TEST(test_state_names),
    {NULL, NULL},
};

int
main(int argc, char **argv)
{
	return tap_main(argc, argv, tests);
}
