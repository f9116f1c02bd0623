/*
 * tortool.c: the torture suite's oracle and payload generator.
 *
 * Self-checking payloads.  Every payload the torture suite pushes starts
 * with a header "SEQ LEN CKSUM" followed by one separator byte ('\n', or
 * ' ' for payloads that must fit on one line) and exactly LEN body bytes
 * whose 64-bit FNV-1a hash is CKSUM (16 hex digits).  SEQ names the push
 * that made it, so a ledger can tell which payload an ID must carry.  A
 * binary body holds every byte value, NULs included.
 *
 * The queue checker ("checkq") reads a queue directory and the ledgers a
 * test kept beside it and names every broken invariant (TESTING.md
 * section 4) with the ID concerned.  It parses the on-disk format itself,
 * from the description in lib/internal.h, and never links libspool: an
 * oracle that shares the code under test proves nothing.
 *
 *   tortool gen SEQ LEN [SALT]            one binary payload on stdout
 *   tortool lines FIRST COUNT LEN [SALT] [-0]
 *                                         COUNT one-line payloads, each
 *                                         ended by '\n' (or NUL with -0)
 *   tortool check [-v] FILE...            verify payloads ("-": read
 *                                         NUL-separated names on stdin)
 *   tortool stdin                         verify the payload on stdin
 *   tortool reap CMD...                   run CMD as a child subreaper
 *   tortool checkq [OPTIONS] QUEUE LEDGERDIR
 *
 * checkq exits 0 when every invariant holds, 1 when one is broken, 2 on
 * a usage or I/O error of its own.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ID_LEN 31

static const char *prog = "tortool";

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t
parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno != 0 || *s == '-')
		die("bad %s '%s'", what, s);
	return v;
}

/* xorshift64*: a fixed generator, so that a seed replays a payload. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t
rng_seed(uint64_t seq, uint64_t salt)
{
	uint64_t s = (seq + 1) * 0x9E3779B97F4A7C15ULL ^ salt;

	return s == 0 ? 1 : s;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static uint64_t
fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Fills BODY with LEN bytes for SEQ: binary, or [A-Za-z0-9] if TEXT. */
static void
make_body(
    unsigned char *body, size_t len, uint64_t seq, uint64_t salt, int text)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t s = rng_seed(seq, salt), r = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			r = rng_next(&s);
		body[i] = text ? (unsigned char)alnum[(r & 0xff) % 62]
			       : (unsigned char)(r & 0xff);
		r >>= 8;
	}
}

static void
emit(uint64_t seq, size_t len, uint64_t salt, int text, int sep, int end)
{
	unsigned char *body;
	char head[80];
	int n;

	if ((body = malloc(len ? len : 1)) == NULL)
		die("out of memory");
	make_body(body, len, seq, salt, text);
	n = snprintf(head, sizeof(head), "%" PRIu64 " %zu %016" PRIx64 "%c",
	    seq, len, fnv(FNV_INIT, body, len), sep);
	write_all(1, head, (size_t)n);
	write_all(1, body, len);
	if (end >= 0) {
		char c = (char)end;

		write_all(1, &c, 1);
	}
	free(body);
}

static int
cmd_gen(int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		die("usage: gen SEQ LEN [SALT]");
	emit(parse_u64(argv[1], "seq"), (size_t)parse_u64(argv[2], "len"),
	    argc == 4 ? parse_u64(argv[3], "salt") : 0, 0, '\n', -1);
	return 0;
}

static int
cmd_lines(int argc, char **argv)
{
	uint64_t first, count, i, salt = 0;
	size_t len;
	int nul = 0;

	if (argc > 1 && strcmp(argv[argc - 1], "-0") == 0) {
		nul = 1;
		argc--;
	}
	if (argc < 4 || argc > 5)
		die("usage: lines FIRST COUNT LEN [SALT] [-0]");
	first = parse_u64(argv[1], "first");
	count = parse_u64(argv[2], "count");
	len = (size_t)parse_u64(argv[3], "len");
	if (argc == 5)
		salt = parse_u64(argv[4], "salt");
	for (i = 0; i < count; i++)
		emit(first + i, len, salt, 1, ' ', nul ? '\0' : '\n');
	return 0;
}

/* Reads up to N bytes; returns how many (short only at end of file). */
static ssize_t
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * Verifies the payload in FD: "SEQ LEN CKSUM" (decimal, decimal, 16 hex
 * digits), a '\n' or ' ', then LEN bytes hashing to CKSUM.  Returns 0 and
 * stores SEQ, or -1 with a reason in WHY.
 */
static int
verify_fd(int fd, uint64_t *seqp, const char **why)
{
	char head[64], *p, *end;
	unsigned char buf[65536];
	uint64_t seq, len, sum, h = FNV_INIT, got = 0;
	size_t hn = 0;
	int spaces = 0;
	ssize_t n;

	while (spaces < 2 && hn < 42) {
		if ((n = read_full(fd, head + hn, 1)) != 1) {
			*why = n < 0 ? "read error"
			       : hn  ? "no header"
				     : "empty";
			return -1;
		}
		if (head[hn] == ' ')
			spaces++;
		else if (!isdigit((unsigned char)head[hn]))
			break;
		hn++;
	}
	if (spaces < 2 || read_full(fd, head + hn, 17) != 17 ||
	    (head[hn + 16] != '\n' && head[hn + 16] != ' ')) {
		*why = "bad header";
		return -1;
	}
	head[hn + 16] = '\0';
	for (p = head + hn; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p)) {
			*why = "bad header";
			return -1;
		}
	errno = 0;
	seq = strtoull(head, &p, 10);
	if (p == head || *p != ' ') {
		*why = "bad header";
		return -1;
	}
	len = strtoull(p + 1, &end, 10);
	if (end == p + 1 || *end != ' ' || end + 1 != head + hn) {
		*why = "bad header";
		return -1;
	}
	sum = strtoull(end + 1, &p, 16);
	if (*p != '\0' || p != end + 17 || errno != 0) {
		*why = "bad header";
		return -1;
	}
	while ((n = read_full(fd, buf, sizeof(buf))) > 0) {
		h = fnv(h, buf, (size_t)n);
		got += (uint64_t)n;
		if (got > len)
			break;
	}
	if (n < 0) {
		*why = "read error";
		return -1;
	}
	if (got != len) {
		*why = got < len ? "short" : "long";
		return -1;
	}
	if (h != sum) {
		*why = "checksum";
		return -1;
	}
	*seqp = seq;
	return 0;
}

/* Opens PATH as checkq and spool do: no links, no blocking, regular. */
static int
open_regular(int dirfd, const char *path, struct stat *st)
{
	int fd, flags;

	fd = openat(dirfd, path,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

static int
check_one(const char *path, int verbose)
{
	struct stat st;
	const char *why = NULL;
	uint64_t seq;
	int fd, rc;

	if ((fd = open_regular(AT_FDCWD, path, &st)) < 0) {
		printf("BAD %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = verify_fd(fd, &seq, &why);
	close(fd);
	if (rc != 0)
		printf("BAD %s: %s\n", path, why);
	else if (verbose)
		printf("OK %s %" PRIu64 "\n", path, seq);
	return rc;
}

/*
 * Runs CMD as a child subreaper: orphans of everything below (processes
 * whose parent was killed) are reaped here rather than left as zombies
 * of an init that may not reap.  Waits for every descendant; returns
 * CMD's status as a shell would.
 */
static int
cmd_reap(char **argv)
{
	pid_t pid, w;
	int st, rc = 0;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		die("prctl: %s", strerror(errno));
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	while ((w = wait(&st)) != -1 || errno == EINTR) {
		if (w != pid)
			continue;
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return rc;
}

/* Verifies the payload on standard input (a job's stdin in spool run). */
static int
cmd_stdin(void)
{
	const char *why = NULL;
	uint64_t seq;

	if (verify_fd(0, &seq, &why) != 0) {
		printf("BAD - %s\n", why);
		return 1;
	}
	printf("OK - %" PRIu64 "\n", seq);
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	int i = 1, verbose = 0, bad = 0;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		i++;
	}
	if (i >= argc)
		die("usage: check [-v] FILE...|-");
	if (strcmp(argv[i], "-") == 0) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getdelim(&line, &cap, '\0', stdin)) > 0)
			if (check_one(line, verbose) != 0)
				bad = 1;
		free(line);
	} else {
		for (; i < argc; i++)
			if (check_one(argv[i], verbose) != 0)
				bad = 1;
	}
	return bad;
}

/*
 * The queue checker.
 */
enum { NEW, CUR, RETRY, DEAD, NSTATES };
static const char *state_names[NSTATES] = {"new", "cur", "retry", "dead"};

/* Ledger bits. */
#define L_PUSHED 0x01u
#define L_MAYBE 0x02u
#define L_DELIVERED 0x04u
#define L_ACKED 0x08u
#define L_ACKMAYBE 0x10u
#define L_IMPORTED 0x20u
#define L_KNOWNSEQ 0x40u
#define L_FAILED 0x80u

struct rec {
	char id[ID_LEN + 1];
	unsigned ledgers;
	uint64_t seq; /* from the pushed/maybe ledger when L_KNOWNSEQ */
	unsigned places;
	unsigned statebits;
	unsigned delivered, acked, pushed;
	char *where; /* first place seen, queue-relative */
	/* Observer: inode and attempts seen so far. */
	uint64_t ino;
	long last_attempts;
	int seen_observed;
	int used;
};

static struct rec *tab;
static size_t tabcap, tabn;

static uint64_t
hash_str(const char *s)
{
	return fnv(FNV_INIT, (const unsigned char *)s, strlen(s));
}

static struct rec *
lookup(const char *id, int create)
{
	size_t i;

	if (create && (tabn + 1) * 2 > tabcap) {
		struct rec *old = tab;
		size_t oldcap = tabcap, j;

		tabcap = tabcap ? tabcap * 2 : 1024;
		if ((tab = calloc(tabcap, sizeof(*tab))) == NULL)
			die("out of memory");
		tabn = 0;
		for (j = 0; j < oldcap; j++)
			if (old[j].used) {
				struct rec *r = lookup(old[j].id, 1);

				*r = old[j];
			}
		free(old);
	}
	if (tabcap == 0)
		return NULL;
	for (i = hash_str(id) & (tabcap - 1);; i = (i + 1) & (tabcap - 1)) {
		if (!tab[i].used) {
			if (!create)
				return NULL;
			memset(&tab[i], 0, sizeof(tab[i]));
			snprintf(tab[i].id, sizeof(tab[i].id), "%s", id);
			tab[i].used = 1;
			tab[i].last_attempts = -1;
			tabn++;
			return &tab[i];
		}
		if (strcmp(tab[i].id, id) == 0)
			return &tab[i];
	}
}

/*
 * Seqs of pushes that died before printing their ID ("maybe"), and of
 * pushes that failed cleanly ("failed").
 */
struct seqs {
	uint64_t *v;
	size_t n, cap;
};
static struct seqs maybeseq, failedseq;

static void
seqs_add(struct seqs *s, uint64_t seq)
{
	if (s->n == s->cap) {
		s->cap = s->cap * 2 + 64;
		if ((s->v = realloc(s->v, s->cap * sizeof(*s->v))) == NULL)
			die("out of memory");
	}
	s->v[s->n++] = seq;
}

static int
seqs_has(const struct seqs *s, uint64_t seq)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == seq)
			return 1;
	return 0;
}

static int
is_maybe_seq(uint64_t seq)
{
	return seqs_has(&maybeseq, seq);
}

static int nviolations;
static int quiet;

static void
violation(const char *inv, const char *id, const char *fmt, ...)
{
	va_list ap;

	nviolations++;
	if (quiet && nviolations > 50)
		return;
	printf("checkq: %s %s", inv, id);
	if (fmt != NULL) {
		fputs(": ", stdout);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	fputc('\n', stdout);
}

static int
is_id(const char *s)
{
	int i;

	for (i = 0; i < ID_LEN; i++)
		if (!(isdigit((unsigned char)s[i]) ||
			(s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return 1;
}

static void
read_ledger(const char *dir, const char *name, unsigned bit)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return;
		die("%s: %s", path, strerror(errno));
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char id[64], seqs[64];
		int k;
		struct rec *r;

		k = sscanf(line, "%63s %63s", id, seqs);
		if (k < 1)
			continue;
		if (strcmp(id, "-") == 0) {
			/* A push killed before it printed, or one that
			 * failed: seq only. */
			if (k == 2 && bit == L_MAYBE)
				seqs_add(&maybeseq, strtoull(seqs, NULL, 10));
			if (k == 2 && bit == L_FAILED)
				seqs_add(&failedseq, strtoull(seqs, NULL, 10));
			continue;
		}
		if (strlen(id) != ID_LEN || !is_id(id)) {
			fprintf(stderr, "%s: %s: ignoring bad line: %s", prog,
			    path, line);
			continue;
		}
		r = lookup(id, 1);
		r->ledgers |= bit;
		if (bit == L_DELIVERED)
			r->delivered++;
		if (bit == L_ACKED)
			r->acked++;
		if (bit == L_PUSHED)
			r->pushed++;
		if ((bit == L_PUSHED || bit == L_MAYBE) && k == 2 &&
		    strcmp(seqs, "-") != 0) {
			r->seq = strtoull(seqs, NULL, 10);
			r->ledgers |= L_KNOWNSEQ;
		}
		/* A delivery names the payload it verified. */
		if (bit == L_DELIVERED && k == 2 && strcmp(seqs, "-") != 0) {
			uint64_t seq = strtoull(seqs, NULL, 10);

			if ((r->ledgers & L_KNOWNSEQ) && r->seq != seq)
				violation("I3", r->id,
				    "delivered payload %" PRIu64
				    ", pushed %" PRIu64,
				    seq, r->seq);
			if (is_maybe_seq(seq))
				r->ledgers |= L_MAYBE;
		}
	}
	free(line);
	fclose(f);
}

/* Options. */
static long tmp_max;
static int exact, no_payload, no_buckets, kicks, foreign_ok, no_ledger;
static const char *observer;

/* Counters for the summary. */
static uint64_t count[NSTATES], ntmp, nforeign;

/* A parsed message file name. */
struct name {
	char id[ID_LEN + 1];
	long attempts;
	uint64_t size;
	int64_t when; /* .l or .d, ms */
	char kind;    /* 0, 'l' or 'd' */
};

static int
parse_dec(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p++ - '0');
	}
	*pp = p;
	*v = x;
	return 0;
}

/* ID.aN.sSIZE[.lDL|.dDUE] */
static int
parse_name(const char *s, struct name *nm)
{
	const char *p = s + ID_LEN;
	uint64_t v;

	if (strlen(s) < ID_LEN || !is_id(s))
		return -1;
	memcpy(nm->id, s, ID_LEN);
	nm->id[ID_LEN] = '\0';
	if (strncmp(p, ".a", 2) != 0)
		return -1;
	p += 2;
	if (parse_dec(&p, &v) != 0 || v > 1000000)
		return -1;
	nm->attempts = (long)v;
	if (strncmp(p, ".s", 2) != 0)
		return -1;
	p += 2;
	if (parse_dec(&p, &nm->size) != 0)
		return -1;
	nm->kind = 0;
	nm->when = 0;
	if (*p == '.' && (p[1] == 'l' || p[1] == 'd')) {
		nm->kind = p[1];
		p += 2;
		if (parse_dec(&p, &v) != 0 || v > INT64_MAX)
			return -1;
		nm->when = (int64_t)v;
	}
	return *p == '\0' ? 0 : -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The enqueue time of an ID in microseconds, or -1. */
static int64_t
id_time_us(const char *id)
{
	int64_t t = 0;
	int i, v;

	for (i = 1; i <= 14; i++) {
		if ((v = hexval(id[i])) < 0)
			return -1;
		t = t * 16 + v;
	}
	return t;
}

/* The bucket path (top/leaf) a message belongs in. */
static void
bucket_for(int64_t t_us, int prio_char, char *buf, size_t size)
{
	uint64_t t = (uint64_t)t_us;

	if (prio_char)
		snprintf(buf, size, "%c.%08" PRIx64 "/%03" PRIx64, prio_char,
		    t >> 28, (t >> 16) & 0xfff);
	else
		snprintf(buf, size, "%08" PRIx64 "/%03" PRIx64, t >> 28,
		    (t >> 16) & 0xfff);
}

static void
escape(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; *s != '\0' && o + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\%03o", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void
foreign(const char *rel, const char *why)
{
	char esc[1024];

	nforeign++;
	if (foreign_ok)
		return;
	escape(rel, esc, sizeof(esc));
	violation("FORMAT", esc, "%s", why);
}

static void
check_message(int qfd, int state, const char *bucket, const char *name)
{
	char rel[1024], want[64];
	struct name nm;
	struct stat st;
	struct rec *r;
	const char *why = NULL;
	uint64_t seq;
	int fd;

	snprintf(rel, sizeof(rel), "%s/%s%s%s", state_names[state],
	    bucket ? bucket : "", bucket ? "/" : "", name);
	if (parse_name(name, &nm) != 0) {
		foreign(rel, "not a message name");
		return;
	}
	if ((fd = open_regular(qfd, rel, &st)) < 0) {
		if (errno == ENOENT) {
			violation("I4", nm.id, "%s vanished at rest", rel);
			return;
		}
		foreign(rel, "not a regular file");
		return;
	}
	count[state]++;
	r = lookup(nm.id, 1);
	r->places++;
	r->statebits |= 1u << state;
	if (r->places == 1)
		r->where = strdup(rel);
	else
		violation(
		    "I4", nm.id, "in two places: %s and %s", r->where, rel);

	/* The name must match the state. */
	if ((state == CUR) != (nm.kind == 'l') ||
	    (state == RETRY) != (nm.kind == 'd'))
		violation("FORMAT", nm.id, "%s: name does not fit %s/", rel,
		    state_names[state]);
	if (state == NEW && nm.attempts != 0)
		violation("FORMAT", nm.id, "%s: attempts in new/ not 0", rel);
	if (state == CUR && nm.attempts < 1)
		violation("FORMAT", nm.id, "%s: a claim with 0 attempts", rel);
	if (nm.size != (uint64_t)st.st_size)
		violation("I3", nm.id,
		    "%s: name says %" PRIu64 " bytes, file has %lld", rel,
		    nm.size, (long long)st.st_size);
	if (st.st_nlink != 1)
		violation("I4", nm.id, "%s: %lu links", rel,
		    (unsigned long)st.st_nlink);
	if (!no_buckets && state != CUR) {
		if (state == RETRY)
			bucket_for(nm.when * 1000, 0, want, sizeof(want));
		else
			bucket_for(
			    id_time_us(nm.id), nm.id[0], want, sizeof(want));
		if (bucket == NULL || strcmp(bucket, want) != 0)
			violation("FORMAT", nm.id, "%s: belongs in bucket %s",
			    rel, want);
	}
	if (!no_payload) {
		if (verify_fd(fd, &seq, &why) != 0)
			violation("I3", nm.id, "%s: payload %s", rel, why);
		else if ((r->ledgers & L_KNOWNSEQ) && r->seq != seq)
			violation("I3", nm.id,
			    "%s: carries payload %" PRIu64 ", pushed %" PRIu64,
			    rel, seq, r->seq);
		else if (seqs_has(&failedseq, seq))
			violation("I2", nm.id,
			    "%s: payload %" PRIu64 " of a push that failed",
			    rel, seq);
		else if (!(r->ledgers & (L_PUSHED | L_MAYBE | L_IMPORTED)) &&
			 is_maybe_seq(seq))
			r->ledgers |= L_MAYBE;
	}
	close(fd);
}

/* Lists DIRFD's names (not . and ..), sorted. */
static char **
list_names(int dirfd, size_t *np)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	*np = 0;
	if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL)
		die("opendir: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap * 2 + 64;
			if ((v = realloc(v, cap * sizeof(*v))) == NULL)
				die("out of memory");
		}
		if ((v[n++] = strdup(de->d_name)) == NULL)
			die("out of memory");
	}
	closedir(d);
	*np = n;
	return v;
}

static void
free_names(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

static int
open_subdir(int dirfd, const char *name)
{
	return openat(
	    dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Walks one state: flat (cur) or two bucket levels. */
static void
walk_state(int qfd, int state)
{
	char **tops, **leaves, **files, rel[600];
	size_t ntop, nleaf, nfile, i, j, k;
	int sfd, tfd, lfd;
	struct stat st;

	if ((sfd = open_subdir(qfd, state_names[state])) < 0) {
		violation("FORMAT", state_names[state], "cannot open: %s",
		    strerror(errno));
		return;
	}
	tops = list_names(sfd, &ntop);
	for (i = 0; i < ntop; i++) {
		if (state == CUR) {
			check_message(qfd, state, NULL, tops[i]);
			continue;
		}
		snprintf(
		    rel, sizeof(rel), "%s/%s", state_names[state], tops[i]);
		if ((tfd = open_subdir(sfd, tops[i])) < 0) {
			if (fstatat(sfd, tops[i], &st, AT_SYMLINK_NOFOLLOW) ==
				0 &&
			    S_ISREG(st.st_mode) &&
			    parse_name(tops[i], &(struct name){0}) == 0)
				check_message(qfd, state, NULL, tops[i]);
			else
				foreign(rel, "not a bucket directory");
			continue;
		}
		leaves = list_names(tfd, &nleaf);
		for (j = 0; j < nleaf; j++) {
			char bucket[300];

			snprintf(bucket, sizeof(bucket), "%s/%s", tops[i],
			    leaves[j]);
			if ((lfd = open_subdir(tfd, leaves[j])) < 0) {
				snprintf(rel, sizeof(rel), "%s/%s",
				    state_names[state], bucket);
				if (fstatat(tfd, leaves[j], &st,
					AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISREG(st.st_mode) &&
				    parse_name(leaves[j], &(struct name){0}) ==
					0)
					check_message(
					    qfd, state, tops[i], leaves[j]);
				else
					foreign(rel, "not a bucket directory");
				continue;
			}
			files = list_names(lfd, &nfile);
			for (k = 0; k < nfile; k++)
				check_message(qfd, state, bucket, files[k]);
			free_names(files, nfile);
			close(lfd);
		}
		free_names(leaves, nleaf);
		close(tfd);
	}
	free_names(tops, ntop);
	close(sfd);
}

static void
walk_tmp(int qfd)
{
	char **v;
	size_t n, i;
	int fd;

	if ((fd = open_subdir(qfd, "tmp")) < 0) {
		violation("FORMAT", "tmp", "cannot open: %s", strerror(errno));
		return;
	}
	v = list_names(fd, &n);
	ntmp = n;
	if ((long)n > tmp_max)
		for (i = 0; i < n; i++) {
			char esc[600];

			escape(v[i], esc, sizeof(esc));
			violation(
			    "I8", esc, "tmp/ leftover (%zu > %ld)", n, tmp_max);
		}
	free_names(v, n);
	close(fd);
}

/* Observer lines "INODE PATH", in time order. */
static void
read_observer(const char *path)
{
	char *line = NULL, *p, *base;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		unsigned long long ino;
		struct name nm;
		struct rec *r;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		ino = strtoull(line, &p, 10);
		if (*p != ' ')
			continue;
		base = strrchr(p + 1, '/');
		base = base ? base + 1 : p + 1;
		if (parse_name(base, &nm) != 0)
			continue;
		r = lookup(nm.id, 1);
		if (r->seen_observed && r->ino != ino) {
			violation("I4", nm.id,
			    "copied: inode %" PRIu64 " then %llu", r->ino, ino);
		}
		if (!kicks && r->seen_observed &&
		    nm.attempts < r->last_attempts)
			violation("I7", nm.id, "attempts went from %ld to %ld",
			    r->last_attempts, nm.attempts);
		r->seen_observed = 1;
		r->ino = ino;
		r->last_attempts = nm.attempts;
	}
	free(line);
	fclose(f);
}

static void
judge(void)
{
	size_t i;

	for (i = 0; i < tabcap; i++) {
		struct rec *r = &tab[i];
		unsigned l;

		if (!r->used)
			continue;
		l = r->ledgers;
		/* I1: no loss. */
		if ((l & L_PUSHED) && r->places == 0 &&
		    !(l & (L_ACKED | L_ACKMAYBE)))
			violation("I1", r->id, "pushed, never acked, gone");
		/* I2: no phantoms. */
		if (r->places > 0 && !(l & (L_PUSHED | L_MAYBE | L_IMPORTED)))
			violation("I2", r->id, "present but never pushed: %s",
			    r->where);
		if ((l & L_DELIVERED) &&
		    !(l & (L_PUSHED | L_MAYBE | L_IMPORTED)))
			violation("I2", r->id, "delivered but never pushed");
		if ((l & (L_ACKED | L_ACKMAYBE)) && !(l & L_DELIVERED) &&
		    !(l & (L_PUSHED | L_MAYBE | L_IMPORTED)))
			violation("I2", r->id, "acked but never pushed");
		/* An ack that exited 0 deleted the message for good. */
		if ((l & L_ACKED) && r->places > 0)
			violation(
			    "I5", r->id, "acked, yet present: %s", r->where);
		if (r->pushed > 1)
			violation("I5", r->id, "pushed %u times", r->pushed);
		if (exact && r->delivered > 1)
			violation(
			    "I5", r->id, "delivered %u times", r->delivered);
		if (exact && r->acked > 1)
			violation("I5", r->id, "acked %u times", r->acked);
		if (exact && (l & L_PUSHED) && !(l & L_ACKED) && r->places == 0)
			violation("I5", r->id, "not conserved");
	}
}

static int
cmd_checkq(int argc, char **argv)
{
	const char *queue, *ledgers;
	int i, qfd, st;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--tmp-max") == 0 && i + 1 < argc)
			tmp_max = (long)parse_u64(argv[++i], "--tmp-max");
		else if (strcmp(argv[i], "--exact") == 0)
			exact = 1;
		else if (strcmp(argv[i], "--no-payload") == 0)
			no_payload = 1;
		else if (strcmp(argv[i], "--no-buckets") == 0)
			no_buckets = 1;
		else if (strcmp(argv[i], "--kicks") == 0)
			kicks = 1;
		else if (strcmp(argv[i], "--foreign-ok") == 0)
			foreign_ok = 1;
		else if (strcmp(argv[i], "--no-ledger") == 0)
			no_ledger = 1;
		else if (strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "--observer") == 0 && i + 1 < argc)
			observer = argv[++i];
		else
			die("checkq: unknown option %s", argv[i]);
	}
	if (argc - i != 2)
		die("usage: checkq [--tmp-max N] [--exact] [--no-payload] "
		    "[--no-buckets] [--kicks] [--foreign-ok] [--no-ledger] "
		    "[--quiet] "
		    "[--observer FILE] QUEUE LEDGERDIR");
	queue = argv[i];
	ledgers = argv[i + 1];
	if ((qfd = open(queue, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("%s: %s", queue, strerror(errno));
	read_ledger(ledgers, "pushed", L_PUSHED);
	read_ledger(ledgers, "maybe", L_MAYBE);
	read_ledger(ledgers, "failed", L_FAILED);
	read_ledger(ledgers, "imported", L_IMPORTED);
	read_ledger(ledgers, "delivered", L_DELIVERED);
	read_ledger(ledgers, "acked", L_ACKED);
	read_ledger(ledgers, "ackmaybe", L_ACKMAYBE);
	for (st = 0; st < NSTATES; st++)
		walk_state(qfd, st);
	walk_tmp(qfd);
	close(qfd);
	if (observer != NULL)
		read_observer(observer);
	if (!no_ledger)
		judge();
	if (quiet && nviolations > 50)
		printf("checkq: ... %d violations in all\n", nviolations);
	printf("checkq: new=%" PRIu64 " cur=%" PRIu64 " retry=%" PRIu64
	       " dead=%" PRIu64 " tmp=%" PRIu64 " foreign=%" PRIu64 " %s\n",
	    count[NEW], count[CUR], count[RETRY], count[DEAD], ntmp, nforeign,
	    nviolations ? "BROKEN" : "ok");
	return nviolations ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: tortool gen|lines|check|checkq ...");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc - 1, argv + 1);
	if (strcmp(argv[1], "lines") == 0)
		return cmd_lines(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "stdin") == 0)
		return cmd_stdin();
	if (strcmp(argv[1], "reap") == 0 && argc > 2)
		return cmd_reap(argv + 2);
	if (strcmp(argv[1], "checkq") == 0) {
		prog = "checkq";
		return cmd_checkq(argc - 1, argv + 1);
	}
	die("unknown command '%s'", argv[1]);
	return 2;
}
