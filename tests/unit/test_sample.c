/*
 * test_sample.c: stat samples and the rates derived from them
 * (lib/sample.c, spool.h @stat-api): a stored sample comes back as it
 * went in, anything else in its place is no sample, arrivals are counted
 * by enqueue time in every state and old buckets are skipped, and the
 * rates are the counts they promise.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "spool.h"
#include "tap.h"

static struct spool *
queue(unsigned mode)
{
	struct spool *q;

	if (spool_init("q", NULL, 0, mode) != 0 ||
	    (q = spool_open("q", SPOOL_NOSYNC)) == NULL) {
		diag("%s", spool_open_error());
		exit(1);
	}
	return q;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		diag("cannot write %s", path);
		exit(1);
	}
}

static void
write_bytes(const char *path, const char *bytes, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		diag("cannot write %s", path);
		exit(1);
	}
}

static void
push(struct spool *q, int n)
{
	char id[SPOOL_ID_SIZE];

	while (n-- > 0)
		if (spool_push(q, "x", 1, NULL, id) != 0) {
			diag("push: %s", spool_error(q));
			exit(1);
		}
}

/* Publishes a one-byte message with an ID enqueued AGO_MS ago. */
static void
push_old(struct spool *q, int64_t ago_ms, enum spool_state state)
{
	char id[SPOOL_ID_SIZE + 8];
	int fd;

	snprintf(id, sizeof(id), "5%014llx%010x%06x",
	    (unsigned long long)(now_us() - ago_ms * 1000), 0x12345 + rand(),
	    0xabcdef);
	if (tmp_create(q, id, &fd) != 0 || write(fd, "x", 1) != 1 ||
	    tmp_publish(q, id, fd, 1, state, 0,
		state == SPOOL_RETRY ? now_ms() + 3600000 : 0) != 0) {
		diag("publish %s: %s", id, spool_error(q));
		exit(1);
	}
}

static void
test_saved_sample_loads_back(void)
{
	struct spool *q = queue(0);
	struct spool_sample s = {
	    1700000000123, {1, 22, 333, 18446744073709551615u}};
	struct spool_sample got;

	is_int(spool_sample_load(q, &got), SPOOL_EMPTY, "no sample at first");
	is_int(spool_sample_save(q, &s), 0, "a sample is stored");
	is_int(spool_sample_load(q, &got), 0, "and loads");
	ok(memcmp(&s, &got, sizeof(s)) == 0, "exactly as it was stored");
	s.time_ms += 1000;
	s.count[SPOOL_NEW] = 7;
	spool_sample_save(q, &s);
	spool_sample_load(q, &got);
	ok(got.time_ms == s.time_ms && got.count[SPOOL_NEW] == 7,
	    "a second save replaces the first");
	ok(access("q/sample", F_OK) == 0, "it lives in QUEUE/sample");
	spool_close(q);
}

static void
test_sample_file_mode_follows_the_queue(void)
{
	struct spool *q = queue(02770);
	struct spool_sample s = {1, {0, 0, 0, 0}};
	struct stat st;

	umask(077);
	is_int(spool_sample_save(q, &s), 0, "saved under umask 077");
	ok(stat("q/sample", &st) == 0 && (st.st_mode & 07777) == 0660,
	    "group queue: the sample is 0660");
	spool_close(q);
}

/* Writes TEXT as the sample and expects it to be ignored. */
static void
refused(struct spool *q, const char *text, const char *what)
{
	struct spool_sample got;

	write_file("q/sample", text);
	is_int(spool_sample_load(q, &got), SPOOL_EMPTY, what);
}

static void
test_malformed_samples_are_no_sample(void)
{
	struct spool *q = queue(0);
	char big[1024];

	refused(q, "", "an empty file");
	refused(q, "time 1\nnew 1\ncur 1\nretry 1\n", "a missing line");
	refused(q, "time 1\nnew 1\ncur 1\nretry 1\ndead 1", "no final newline");
	refused(q, "time 1\nnew 1\ncur 1\nretry 1\ndead 1\nmore 1\n",
	    "an extra line");
	refused(
	    q, "time 1\nnew 1\ncur 1\ndead 1\nretry 1\n", "lines out of order");
	refused(
	    q, "time -1\nnew 1\ncur 1\nretry 1\ndead 1\n", "a negative number");
	refused(q, "time 1\nnew 18446744073709551616\ncur 1\nretry 1\ndead 1\n",
	    "a count beyond uint64");
	refused(q, "time 9223372036854775808\nnew 1\ncur 1\nretry 1\ndead 1\n",
	    "a time beyond int64");
	refused(q, "time  1\nnew 1\ncur 1\nretry 1\ndead 1\n", "two spaces");
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(q, big, "a file larger than a sample can be");
	spool_close(q);
}

static void
test_planted_objects_are_no_sample(void)
{
	struct spool *q = queue(0);
	struct spool_sample got, s = {5, {1, 2, 3, 4}};

	write_file("target", "time 1\nnew 1\ncur 1\nretry 1\ndead 1\n");
	ok(symlink("../target", "q/sample") == 0, "symlink planted");
	is_int(spool_sample_load(q, &got), SPOOL_EMPTY,
	    "a symlink is not followed");
	is_int(spool_sample_save(q, &s), 0, "save replaces the symlink");
	ok(access("target", F_OK) == 0, "and leaves its target alone");
	unlink("q/sample");
	ok(mkfifo("q/sample", 0600) == 0, "FIFO planted");
	is_int(spool_sample_load(q, &got), SPOOL_EMPTY,
	    "a FIFO is no sample, and does not block");
	unlink("q/sample");
	write_bytes("q/sample", "time 1\nnew 1\0cur 1\nretry 1\ndead 1\n", 33);
	is_int(spool_sample_load(q, &got), SPOOL_EMPTY,
	    "a file with a NUL inside");
	spool_close(q);
}

static void
test_save_leaves_no_temporary_file(void)
{
	struct spool *q = queue(0);
	struct spool_sample s = {5, {1, 2, 3, 4}};
	int i;

	for (i = 0; i < 20; i++)
		spool_sample_save(q, &s);
	ok(system("test $(ls q | grep -c sample) = 1") == 0,
	    "only QUEUE/sample remains after 20 saves");
	spool_close(q);
}

static void
test_count_since_counts_by_enqueue_time(void)
{
	struct spool *q = queue(0);
	struct spool_msg *m;
	uint64_t n = 99;
	int64_t mid;

	push(q, 3);
	usleep(3000);
	mid = now_ms();
	usleep(3000);
	push(q, 5);
	is_int(spool_count_since(q, 0, &n), 0, "count since the epoch");
	is_int(n, 8, "every message");
	spool_count_since(q, mid, &n);
	is_int(n, 5, "only the ones pushed after MID");
	spool_count_since(q, now_ms() + 1000, &n);
	is_int(n, 0, "none from the future");
	/* Move two of the recent ones to cur/ and retry/: still counted. */
	if (spool_claim(q, 0, &m) == 0) /* the oldest: before MID */
		spool_msg_free(m);
	spool_count_since(q, mid, &n);
	is_int(n, 5, "a claimed old message does not count");
	push_old(q, 0, SPOOL_RETRY);
	push_old(q, 0, SPOOL_DEAD);
	spool_count_since(q, mid, &n);
	is_int(n, 7, "recent messages in retry/ and dead/ count");
	spool_close(q);
}

static void
test_count_since_skips_old_buckets(void)
{
	struct spool *q = queue(0);
	uint64_t n = 99;

	push_old(q, 3600000, SPOOL_NEW);   /* an hour ago */
	push_old(q, 86400000, SPOOL_DEAD); /* a day ago */
	push_old(q, 7260000, SPOOL_RETRY); /* 2h1m ago, due in an hour */
	push(q, 2);
	spool_count_since(q, now_ms() - 60000, &n);
	is_int(n, 2, "the last minute's arrivals only");
	spool_count_since(q, now_ms() - 2 * 3600000, &n);
	is_int(n, 3, "two hours: the hour-old one too");
	spool_count_since(q, now_ms() - 3 * 3600000, &n);
	is_int(n, 4, "three hours: the waiting one too");
	spool_count_since(q, 0, &n);
	is_int(n, 5, "all of them since the epoch");
	spool_close(q);
}

static void
test_rates_are_the_promised_counts(void)
{
	struct spool *q = queue(0);
	struct spool_sample prev, now;
	struct spool_stats st;
	struct spool_rates r;
	struct spool_msg *m;
	int i;

	push(q, 4);
	spool_stat(q, &st);
	/* IDs carry microseconds, samples milliseconds: keep clear of both. */
	usleep(2000);
	spool_sample_of(&st, now_ms(), &prev);
	usleep(2000);
	push(q, 6);             /* six arrivals */
	for (i = 0; i < 3; i++) /* three of the first four done */
		if (spool_claim(q, 0, &m) == 0) {
			spool_ack(q, spool_msg_token(m));
			spool_msg_free(m);
		}
	spool_stat(q, &st);
	spool_sample_of(&st, prev.time_ms + 2000, &now);
	is_int(spool_rates(q, &prev, &now, &r), 0, "rates over 2 s");
	is_int(r.interval_ms, 2000, "the interval");
	ok(r.push_rate == 3.0, "6 arrivals in 2 s: 3/s");
	ok(r.done_rate == 1.5, "3 departures in 2 s: 1.5/s");
	now.time_ms = prev.time_ms + 999;
	is_int(spool_rates(q, &prev, &now, &r), SPOOL_EMPTY,
	    "no rate under a second");
	now.time_ms = prev.time_ms - 5000;
	is_int(spool_rates(q, &prev, &now, &r), SPOOL_EMPTY,
	    "no rate when the clock went back");
	/* Imports (old IDs) grow the total without arrivals: never < 0. */
	now.time_ms = prev.time_ms + 2000;
	now.count[SPOOL_NEW] += 100;
	spool_rates(q, &prev, &now, &r);
	ok(r.done_rate == 0.0, "the done rate is never negative");
	spool_close(q);
}

static const struct tap_test tests[] = {
    TAP_TEST(test_saved_sample_loads_back),
    TAP_TEST(test_sample_file_mode_follows_the_queue),
    TAP_TEST(test_malformed_samples_are_no_sample),
    TAP_TEST(test_planted_objects_are_no_sample),
    TAP_TEST(test_save_leaves_no_temporary_file),
    TAP_TEST(test_count_since_counts_by_enqueue_time),
    TAP_TEST(test_count_since_skips_old_buckets),
    TAP_TEST(test_rates_are_the_promised_counts),
    {NULL, NULL},
};

int
main(int argc, char **argv)
{
	return tap_main(argc, argv, tests);
}
