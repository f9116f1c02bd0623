/*
 * fuzz_name.c: libFuzzer harness for the message name parser.
 *
 * Two properties.  Any bytes given to spool_parse_name() are either
 * refused with EINVAL or yield an entry that formats back to exactly the
 * same name (names are canonical: one spelling per message state), with
 * a valid ID and a priority in range.  And fields drawn from the input,
 * formatted as spool(5) spells a name, parse back to the same fields.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The spelling spool(5) gives: ID.aN.sSIZE, plus .lDEADLINE or .dDUE. */
static int
format(char *buf, size_t n, const struct spool_entry *e, char kind)
{
	if (kind == 0)
		return snprintf(
		    buf, n, "%s.a%u.s%" PRIu64, e->id, e->attempts, e->size);
	return snprintf(buf, n, "%s.a%u.s%" PRIu64 ".%c%" PRId64, e->id,
	    e->attempts, e->size, kind, e->deadline_ms);
}

static void
parse_then_format(const char *name)
{
	struct spool_entry e;
	char again[512], kind = 0;
	const char *p;

	memset(&e, 0, sizeof(e));
	if (spool_parse_name(name, &e) != 0) {
		if (errno != EINVAL)
			abort();
		return;
	}
	if (!spool_valid_id(e.id) || strlen(e.id) != SPOOL_ID_LEN)
		abort();
	if (e.priority < SPOOL_PRIORITY_MIN || e.priority > SPOOL_PRIORITY_MAX)
		abort();
	if (strlen(name) >= SPOOL_NAME_SIZE || strcmp(e.name, name) != 0)
		abort();
	/* The third dot, if any, starts the lease or due field. */
	if ((p = strchr(name + SPOOL_ID_LEN + 1, '.')) != NULL &&
	    (p = strchr(p + 1, '.')) != NULL)
		kind = p[1];
	format(again, sizeof(again), &e, kind);
	if (strcmp(again, name) != 0) {
		fprintf(stderr, "parsed '%s', formats as '%s'\n", name, again);
		abort();
	}
}

static uint64_t
take(const uint8_t **d, size_t *n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && *n > 0; i++, (*d)++, (*n)--)
		v = v << 8 | **d;
	return v;
}

static void
format_then_parse(const uint8_t *d, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	struct spool_entry in, out;
	char name[512], kinds[3] = {0, 'l', 'd'}, kind;
	int i;

	memset(&in, 0, sizeof(in));
	in.id[0] = (char)('0' + take(&d, &n) % 10);
	for (i = 1; i < SPOOL_ID_LEN; i++)
		in.id[i] = hex[take(&d, &n) % 16];
	in.attempts = (unsigned)(take(&d, &n) % 1000000000u);
	in.size = take(&d, &n) % 10000000000000000000ULL;
	kind = kinds[take(&d, &n) % 3];
	in.deadline_ms =
	    kind ? (int64_t)(take(&d, &n) % 1000000000000000000ULL) : 0;
	format(name, sizeof(name), &in, kind);
	memset(&out, 0, sizeof(out));
	if (spool_parse_name(name, &out) != 0) {
		fprintf(stderr, "refused its own spelling '%s'\n", name);
		abort();
	}
	if (strcmp(out.id, in.id) != 0 || out.attempts != in.attempts ||
	    out.size != in.size || out.deadline_ms != in.deadline_ms) {
		fprintf(stderr, "'%s' parsed to other fields\n", name);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	parse_then_format(s);
	free(s);
	format_then_parse(data, size);
	return 0;
}
