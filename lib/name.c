/*
 * name.c: IDs, message file names and bucket names (see internal.h).
 *
 * An ID sorts by priority then enqueue time, is unique across processes
 * and hosts (40 random bits and a host hash beside a microsecond clock
 * that never repeats within a process), and uses only [0-9a-f].
 */
#include <sys/random.h>
#include <sys/utsname.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ID_TIME_DIGITS 14
#define ID_RAND_DIGITS 10
#define ID_HOST_DIGITS 6

static _Atomic int64_t last_us;

/* A strictly increasing microsecond clock for this process. */
static int64_t
id_clock(void)
{
	int64_t t = now_us(), prev = atomic_load(&last_us);

	for (;;) {
		int64_t next = t > prev ? t : prev + 1;

		if (atomic_compare_exchange_weak(&last_us, &prev, next))
			return next;
	}
}

static uint32_t
host_hash(void)
{
	static _Atomic uint32_t cached;
	struct utsname u;
	uint32_t h = atomic_load(&cached);
	const unsigned char *p;

	if (h != 0)
		return h;
	h = 2166136261u; /* FNV-1a */
	if (uname(&u) == 0)
		for (p = (const unsigned char *)u.nodename; *p != '\0'; p++)
			h = (h ^ *p) * 16777619u;
	h = (h ^ (h >> 24)) & 0xffffff;
	if (h == 0)
		h = 1;
	atomic_store(&cached, h);
	return h;
}

int
new_id(int priority, char id[SPOOL_ID_SIZE])
{
	unsigned char r[5];
	char buf[64];
	size_t got = 0;
	ssize_t n;
	uint64_t rnd;

	if (priority < SPOOL_PRIORITY_MIN || priority > SPOOL_PRIORITY_MAX) {
		errno = EINVAL;
		return -1;
	}
	while (got < sizeof(r)) {
		n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += n;
	}
	rnd = (uint64_t)r[0] << 32 | (uint64_t)r[1] << 24 |
	      (uint64_t)r[2] << 16 | (uint64_t)r[3] << 8 | r[4];
	snprintf(buf, sizeof(buf), "%c%014llx%010llx%06lx",
	    '0' + (SPOOL_PRIORITY_MAX - priority),
	    (unsigned long long)id_clock() & 0xffffffffffffffULL,
	    (unsigned long long)rnd, (unsigned long)host_hash());
	memcpy(id, buf, SPOOL_ID_SIZE - 1);
	id[SPOOL_ID_LEN] = '\0';
	return 0;
}

/* 1 for the lowercase hex digits an ID is made of. */
static const unsigned char hexdigit[256] = {
    ['0'] = 1,
    ['1'] = 1,
    ['2'] = 1,
    ['3'] = 1,
    ['4'] = 1,
    ['5'] = 1,
    ['6'] = 1,
    ['7'] = 1,
    ['8'] = 1,
    ['9'] = 1,
    ['a'] = 1,
    ['b'] = 1,
    ['c'] = 1,
    ['d'] = 1,
    ['e'] = 1,
    ['f'] = 1,
};

static int
is_hex(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned ok = 1;
	size_t i;

	for (i = 0; i < n; i++)
		ok &= hexdigit[p[i]];
	return (int)ok;
}

static uint64_t
hex_value(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 4 |
		    (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	return v;
}

int
spool_valid_id(const char *id)
{
	return strlen(id) == SPOOL_ID_LEN && id[0] >= '0' && id[0] <= '9' &&
	       is_hex(id + 1, SPOOL_ID_LEN - 1);
}

int
id_priority(const char *id)
{
	return SPOOL_PRIORITY_MAX - (id[0] - '0');
}

int64_t
id_time_us(const char *id)
{
	return (int64_t)hex_value(id + 1, ID_TIME_DIGITS);
}

int
format_name(char *buf, size_t size, const char *id, unsigned attempts,
    uint64_t msgsize, char kind, int64_t when_ms)
{
	int n;

	if (kind == 0)
		n = snprintf(buf, size, "%s.a%u.s%llu", id, attempts,
		    (unsigned long long)msgsize);
	else
		n = snprintf(buf, size, "%s.a%u.s%llu.%c%lld", id, attempts,
		    (unsigned long long)msgsize, kind, (long long)when_ms);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Reads a decimal field of at most MAXDIGITS digits, no leading zero,
 * ending at '.' or NUL.  Returns the end, or NULL.
 */
static const char *
decimal(const char *p, int maxdigits, uint64_t *v)
{
	int n = 0;

	*v = 0;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++n > maxdigits)
			return NULL;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	if (n == 0 || (*p != '.' && *p != '\0'))
		return NULL;
	return p;
}

/* Returns the kind ('l', 'd' or 0) of a well-formed name, or -1. */
int
parse_name_kind(const char *name, struct spool_entry *e)
{
	char id[SPOOL_ID_SIZE];
	const char *p;
	uint64_t v;
	int kind = 0;

	size_t len = strnlen(name, SPOOL_NAME_SIZE);

	if (len >= SPOOL_NAME_SIZE || len < SPOOL_ID_LEN)
		return -1;
	memcpy(id, name, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
	if (!spool_valid_id(id))
		return -1;
	p = name + SPOOL_ID_LEN;
	if (p[0] != '.' || p[1] != 'a' || (p = decimal(p + 2, 9, &v)) == NULL)
		return -1;
	e->attempts = (unsigned)v;
	if (p[0] != '.' || p[1] != 's' || (p = decimal(p + 2, 19, &v)) == NULL)
		return -1;
	e->size = v;
	e->deadline_ms = 0;
	if (*p == '.') {
		kind = p[1];
		if ((kind != 'l' && kind != 'd') ||
		    (p = decimal(p + 2, 18, &v)) == NULL || *p != '\0')
			return -1;
		e->deadline_ms = (int64_t)v;
	}
	memcpy(e->id, id, SPOOL_ID_SIZE);
	memcpy(e->name, name, (size_t)(p - name) + 1);
	e->priority = id_priority(id);
	e->enqueued_ms = id_time_us(id) / 1000;
	memcpy(e->host, id + SPOOL_ID_LEN - ID_HOST_DIGITS, ID_HOST_DIGITS);
	e->host[ID_HOST_DIGITS] = '\0';
	return kind;
}

int
spool_parse_name(const char *name, struct spool_entry *e)
{
	struct spool_entry tmp;

	if (parse_name_kind(name, &tmp) < 0) {
		errno = EINVAL;
		return -1;
	}
	tmp.state = e->state;
	*e = tmp;
	return 0;
}

void
bucket_of(int64_t t_us, int priority, char top[16], char leaf[8])
{
	uint64_t t = t_us < 0 ? 0 : (uint64_t)t_us;

	if (priority < 0)
		snprintf(top, 16, "%08llx", (unsigned long long)(t >> 28));
	else
		snprintf(top, 16, "%c.%08llx",
		    '0' + (SPOOL_PRIORITY_MAX - priority),
		    (unsigned long long)(t >> 28));
	snprintf(leaf, 8, "%03llx", (unsigned long long)((t >> 16) & 0xfff));
}

int64_t
bucket_start_us(const char *top, const char *leaf)
{
	const char *h = strchr(top, '.') != NULL ? strchr(top, '.') + 1 : top;

	return (int64_t)(hex_value(h, 8) << 28 | hex_value(leaf, 3) << 16);
}

int
bucket_is_past(int64_t start_us, int64_t now)
{
	/* Two seconds of slack for producers whose clocks lag a little. */
	return start_us + (1LL << 16) < (now - 2000) * 1000;
}

int
is_bucket_top(const char *name, int with_priority)
{
	if (with_priority) {
		if (name[0] < '0' || name[0] > '9' || name[1] != '.')
			return 0;
		name += 2;
	}
	return strlen(name) == 8 && is_hex(name, 8);
}

int
is_bucket_leaf(const char *name)
{
	return strlen(name) == 3 && is_hex(name, 3);
}
