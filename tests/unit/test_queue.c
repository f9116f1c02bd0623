/*
 * test_queue.c: the state machine through the public API: push, claim,
 * ack, nack, touch and their results, SPOOL_STALE fencing, group commit,
 * claim order, delayed messages and the iterator's order.  Each test runs
 * in its own temporary directory with a fresh queue "q".
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

static struct spool *
fresh(void)
{
	struct spool *q = spool_open("q", SPOOL_CREATE);

	if (q == NULL) {
		ok(0, "open a fresh queue");
		diag("%s", spool_open_error());
		_exit(1);
	}
	return q;
}

static void
push(struct spool *q, const char *text, int priority, int64_t delay_ms,
    char id[SPOOL_ID_SIZE])
{
	struct spool_push_opts o;
	char tmp[SPOOL_ID_SIZE];

	spool_push_opts_default(&o);
	o.priority = priority;
	o.delay_ms = delay_ms;
	if (spool_push(q, text, strlen(text), &o, id ? id : tmp) != 0) {
		ok(0, "push");
		diag("%s", spool_error(q));
		_exit(1);
	}
}

/* The payload of a claimed message, read through its descriptor. */
static char *
payload(const struct spool_msg *m)
{
	static char buf[256];
	ssize_t n = pread(spool_msg_fd(m), buf, sizeof(buf) - 1, 0);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Regular files under DIR, recursively. */
static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[1024];
	struct stat st;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_files(path);
		else if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			n++;
	}
	closedir(d);
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
test_open_errors(void)
{
	struct spool *q;
	int fd;

	errno = 0;
	ok(spool_open("missing", 0) == NULL && errno == ENOENT,
	    "a missing queue is ENOENT");
	ok(access("missing", F_OK) == -1, "and is not created");
	fd = open("file", O_CREAT | O_WRONLY, 0600);
	close(fd);
	errno = 0;
	ok(spool_open("file", 0) == NULL && errno == ENOTDIR,
	    "a regular file is ENOTDIR");
	q = fresh();
	spool_close(q);
	rmdir("q/cur");
	errno = 0;
	ok(spool_open("q", 0) == NULL && errno == ENOENT,
	    "a queue without cur/ does not open");
	ok(strstr(spool_open_error(), "cur") != NULL,
	    "and says cur/ is missing");
	is_int(spool_init("q", NULL, 0, 0), 0, "spool_init repairs it");
	q = spool_open("q", 0);
	ok(q != NULL, "then it opens");
	spool_close(q);
}

static void
test_init_settings(void)
{
	struct spool_config c, def;
	struct spool *q;

	spool_config_default(&def);
	is_int(def.max_attempts, 5, "5 attempts by default");
	is_int(def.lease_ms, 300000, "a 5 minute lease by default");
	is_int(def.backoff_min_ms, 30000, "backoff from 30 s");
	is_int(def.backoff_max_ms, 3600000, "up to 1 h");
	c = def;
	c.max_attempts = 2;
	c.lease_ms = 1234;
	is_int(spool_init("q", &c, SPOOL_SET_MAX_ATTEMPTS, 0), 0, "init");
	q = spool_open("q", 0);
	is_int(spool_config(q)->max_attempts, 2, "the setting in the mask");
	is_int(spool_config(q)->lease_ms, 300000, "no other");
	spool_close(q);
	is_int(spool_init("q", &c, SPOOL_SET_LEASE, 0), 0, "init again");
	q = spool_open("q", 0);
	is_int(spool_config(q)->max_attempts, 2, "earlier settings stay");
	is_int(spool_config(q)->lease_ms, 1234, "the new one is set");
	spool_close(q);
	c.max_attempts = 0;
	errno = 0;
	ok(spool_init("q", &c, SPOOL_SET_MAX_ATTEMPTS, 0) == -1 &&
		errno == EINVAL,
	    "0 attempts is EINVAL");
}

static void
test_push_claim_ack(void)
{
	struct spool *q = fresh();
	struct spool_msg *m = NULL;
	char id[SPOOL_ID_SIZE];
	int64_t before = 0;

	push(q, "hello", 5, 0, id);
	is_int(count_files("q/new"), 1, "a push lands in new/");
	before = (int64_t)time(NULL) * 1000;
	if (!is_int(spool_claim(q, 60000, &m), 0, "claim"))
		_exit(1);
	is_str(spool_msg_id(m), id, "the claim is the pushed message");
	is_int(spool_msg_attempt(m), 1, "first attempt");
	is_int(spool_msg_size(m), 5, "its size");
	is_int(spool_msg_priority(m), 5, "its priority");
	is_str(payload(m), "hello", "its payload");
	ok(spool_msg_deadline(m) >= before + 59000 &&
		spool_msg_deadline(m) <= before + 62000,
	    "the deadline is now + the lease");
	ok(spool_msg_token(m)[0] == '/', "the token is an absolute path");
	ok(access(spool_msg_token(m), F_OK) == 0, "the token's file exists");
	is_int(count_files("q/cur"), 1, "the message is in cur/");
	is_int(count_files("q/new"), 0, "and not in new/");
	is_int(spool_ack(q, spool_msg_token(m)), 0, "ack");
	is_int(count_files("q/cur"), 0, "ack deletes it");
	is_int(spool_ack(q, spool_msg_token(m)), SPOOL_STALE,
	    "a second ack is stale");
	is_int(spool_nack(q, spool_msg_token(m), 0, 0, NULL), SPOOL_STALE,
	    "a nack after the ack is stale");
	spool_msg_free(m);
	is_int(spool_claim(q, 0, &m), SPOOL_EMPTY, "then the queue is empty");
	spool_close(q);
}

static void
test_ack_by_name(void)
{
	struct spool *q = fresh();
	struct spool_msg *m;
	const char *name;

	push(q, "x", 5, 0, NULL);
	spool_claim(q, 0, &m);
	name = strrchr(spool_msg_token(m), '/') + 1;
	is_int(spool_ack(q, name), 0, "a token's last component acks too");
	spool_msg_free(m);
	spool_close(q);
}

static void
test_bad_tokens(void)
{
	struct spool *q = fresh(), *other;
	struct spool_msg *m;
	char tok[1024];

	mkdir("o", 0700);
	other = spool_open("o/q", SPOOL_CREATE);
	push(q, "x", 5, 0, NULL);
	spool_claim(q, 0, &m);
	errno = 0;
	ok(spool_ack(q, "/etc/passwd") == -1 && errno == EINVAL,
	    "/etc/passwd is EINVAL");
	errno = 0;
	ok(spool_ack(q, "garbage") == -1 && errno == EINVAL,
	    "garbage is EINVAL");
	errno = 0;
	ok(spool_ack(other, spool_msg_token(m)) == -1 && errno == EINVAL,
	    "another queue's token is EINVAL");
	snprintf(tok, sizeof(tok), "%s/../x", spool_msg_token(m));
	errno = 0;
	ok(spool_ack(q, tok) == -1 && errno == EINVAL,
	    "a path with .. is EINVAL");
	errno = 0;
	ok(spool_open_token("garbage", 0) == NULL && errno == EINVAL,
	    "spool_open_token refuses a non-token");
	is_int(count_files("q/cur"), 1, "nothing was changed");
	is_int(
	    spool_ack(q, spool_msg_token(m)), 0, "the real token still acks");
	spool_msg_free(m);
	spool_close(other);
	spool_close(q);
}

static void
test_open_token(void)
{
	struct spool *q = fresh(), *t;
	struct spool_msg *m;

	push(q, "x", 5, 0, NULL);
	spool_claim(q, 0, &m);
	t = spool_open_token(spool_msg_token(m), 0);
	if (ok(t != NULL, "spool_open_token opens the token's queue")) {
		is_int(spool_ack(t, spool_msg_token(m)), 0, "and acks there");
		spool_close(t);
	}
	spool_msg_free(m);
	spool_close(q);
}

static void
test_nack_retry_and_fencing(void)
{
	struct spool *q = fresh();
	struct spool_msg *m, *m2;

	push(q, "again", 5, 0, NULL);
	spool_claim(q, 0, &m);
	is_int(spool_nack(q, spool_msg_token(m), 0, 0, "try again"), 0,
	    "nack with no delay");
	is_int(count_files("q/retry"), 1, "it waits in retry/");
	if (!is_int(spool_claim(q, 0, &m2), 0, "it is due at once"))
		_exit(1);
	is_int(spool_msg_attempt(m2), 2, "as attempt 2");
	is_str(payload(m2), "again", "with its payload");
	is_int(spool_ack(q, spool_msg_token(m)), SPOOL_STALE,
	    "the first claim's token is stale");
	is_int(spool_touch(q, spool_msg_token(m), 60000, NULL), SPOOL_STALE,
	    "and cannot be touched");
	ok(access(spool_msg_token(m2), F_OK) == 0, "the new claim is intact");
	is_int(spool_ack(q, spool_msg_token(m2)), 0, "the new token acks");
	spool_msg_free(m);
	spool_msg_free(m2);
	spool_close(q);
}

static void
test_nack_delay_and_dead(void)
{
	struct spool_config c;
	struct spool *q;
	struct spool_msg *m;
	char *hist = NULL;
	char id[SPOOL_ID_SIZE];

	spool_config_default(&c);
	c.max_attempts = 2;
	spool_init("q", &c, SPOOL_SET_MAX_ATTEMPTS, 0);
	q = fresh();
	push(q, "x", 5, 0, id);
	spool_claim(q, 0, &m);
	is_int(spool_nack(q, spool_msg_token(m), 3600000, 0, "later"), 0,
	    "nack with a delay of an hour");
	spool_msg_free(m);
	is_int(spool_claim(q, 0, &m), SPOOL_EMPTY, "not due yet");
	spool_close(q);
	/* A second queue to take the last attempt to dead/. */
	spool_init("r", &c, SPOOL_SET_MAX_ATTEMPTS, 0);
	q = spool_open("r", 0);
	push(q, "x", 5, 0, id);
	spool_claim(q, 0, &m);
	spool_nack(q, spool_msg_token(m), 0, 0, "first");
	spool_msg_free(m);
	spool_claim(q, 0, &m);
	is_int(spool_msg_attempt(m), 2, "the last allowed attempt");
	is_int(spool_nack(q, spool_msg_token(m), 0, 0, "second"), 0, "nack");
	spool_msg_free(m);
	is_int(count_files("r/dead"), 1, "the last attempt goes to dead/");
	is_int(spool_claim(q, 0, &m), SPOOL_EMPTY, "and is not claimed");
	if (is_int(spool_history(q, id, &hist), 0, "its history reads") &&
	    ok(hist != NULL, "there is one")) {
		ok(strstr(hist, "first") != NULL, "with the first reason");
		ok(strstr(hist, "second") != NULL, "and the second");
		ok(strstr(hist, "first") < strstr(hist, "second"),
		    "oldest first");
	}
	free(hist);
	spool_close(q);
}

static void
test_nack_dead_flag(void)
{
	struct spool *q = fresh();
	struct spool_msg *m;

	push(q, "x", 5, 0, NULL);
	spool_claim(q, 0, &m);
	is_int(spool_nack(q, spool_msg_token(m), -1, SPOOL_NACK_DEAD, "bad"), 0,
	    "nack --dead");
	is_int(count_files("q/dead"), 1, "goes to dead/ at the first attempt");
	is_int(count_files("q/retry"), 0, "not to retry/");
	spool_msg_free(m);
	spool_close(q);
}

static void
test_nack_release(void)
{
	struct spool_config c;
	struct spool *q;
	struct spool_msg *m;

	spool_config_default(&c);
	c.max_attempts = 1;
	spool_init("q", &c, SPOOL_SET_MAX_ATTEMPTS, 0);
	q = fresh();
	push(q, "x", 5, 0, NULL);
	spool_claim(q, 0, &m);
	is_int(spool_nack(q, spool_msg_token(m), 0, SPOOL_NACK_RELEASE, NULL),
	    0, "release the only allowed attempt");
	spool_msg_free(m);
	is_int(count_files("q/dead"), 0, "a release never goes to dead/");
	if (is_int(spool_claim(q, 0, &m), 0, "it is due at once")) {
		is_int(spool_msg_attempt(m), 1, "still as attempt 1");
		spool_msg_free(m);
	}
	spool_close(q);
}

static void
test_touch(void)
{
	struct spool *q = fresh();
	struct spool_msg *m;
	struct spool_entry e;
	char *nt = NULL, *nt2 = NULL;
	int64_t dl;

	push(q, "x", 5, 0, NULL);
	spool_claim(q, 60000, &m);
	dl = spool_msg_deadline(m);
	if (!is_int(
		spool_touch(q, spool_msg_token(m), 3600000, &nt), 0, "touch"))
		_exit(1);
	ok(nt != NULL && access(nt, F_OK) == 0, "gives the new token");
	ok(strcmp(nt, spool_msg_token(m)) != 0, "which names the new deadline");
	is_int(spool_touch(q, nt, 1000, &nt2), 0, "a shorter touch works");
	ok(nt2 != NULL && strcmp(nt2, nt) == 0, "but never shortens the lease");
	is_int(count_files("q/cur"), 1, "one claim, still");
	if (nt != NULL && is_int(spool_parse_name(strrchr(nt, '/') + 1, &e), 0,
			      "the new token is a well-formed name"))
		ok(e.deadline_ms >= dl + 3500000,
		    "its deadline is about an hour on");
	is_int(spool_ack(q, spool_msg_token(m)), 0,
	    "the token from before the touch still acks");
	free(nt);
	free(nt2);
	spool_msg_free(m);
	spool_close(q);
}

static void
test_touch_after_deadline(void)
{
	struct spool *q = fresh();
	struct spool_msg *m;

	push(q, "x", 5, 0, NULL);
	spool_claim(q, 1, &m);
	sleep_ms(20);
	is_int(spool_touch(q, spool_msg_token(m), 60000, NULL), SPOOL_STALE,
	    "a lease past its deadline cannot be touched");
	spool_msg_free(m);
	spool_close(q);
}

static void
test_expired_lease_redelivered(void)
{
	struct spool *q = fresh();
	struct spool_msg *m, *m2 = NULL;
	int i, r = SPOOL_EMPTY;

	push(q, "x", 5, 0, NULL);
	spool_claim(q, 1, &m);
	is_int(spool_claim(q, 0, &m2), SPOOL_EMPTY,
	    "within the skew margin the claim stands");
	/* Past the deadline plus SPOOL_SKEW_MS, a claim takes it again. */
	for (i = 0; i < 60 && r == SPOOL_EMPTY; i++) {
		sleep_ms(50);
		r = spool_claim(q, 0, &m2);
	}
	if (!is_int(r, 0, "an expired lease is claimed again"))
		_exit(1);
	is_int(spool_msg_attempt(m2), 2, "as attempt 2");
	is_int(spool_ack(q, spool_msg_token(m)), SPOOL_STALE,
	    "the old token is fenced off");
	is_int(spool_nack(q, spool_msg_token(m), 0, SPOOL_NACK_DEAD, NULL),
	    SPOOL_STALE, "for nack too");
	ok(access(spool_msg_token(m2), F_OK) == 0, "the new claim is intact");
	is_int(count_files("q/dead"), 0, "nothing went to dead/");
	spool_msg_free(m);
	spool_msg_free(m2);
	spool_close(q);
}

static void
test_claim_order(void)
{
	struct spool *q = fresh();
	struct spool_msg *m;
	static const struct {
		const char *text;
		int prio;
	} in[] = {{"a", 0}, {"b", 5}, {"c", 9}, {"d", 5}, {"e", 0}, {"f", 9}};
	const char *want[] = {"c", "f", "b", "d", "a", "e"};
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		push(q, in[i].text, in[i].prio, 0, NULL);
	for (i = 0; i < 6; i++) {
		if (spool_claim(q, 0, &m) != 0) {
			bad++;
			continue;
		}
		if (strcmp(payload(m), want[i]) != 0) {
			diag("claim %zu: got %s, want %s", i, payload(m),
			    want[i]);
			bad++;
		}
		spool_msg_free(m);
	}
	is_int(bad, 0, "claims go by priority, then by age");
	is_int(spool_claim(q, 0, &m), SPOOL_EMPTY, "then nothing is left");
	spool_close(q);
}

/*
 * Two handles take turns in an irregular pattern over more messages than
 * one leaf scan keeps: each claim must take the oldest message left,
 * whichever handle makes it and whatever its cache holds, and none may
 * be skipped or taken twice.
 */
static void
test_claim_two_handles(void)
{
	struct spool *q = fresh(), *h[2];
	struct spool_batch *b;
	struct spool_msg *m;
	char last[SPOOL_ID_SIZE] = "", id[SPOOL_ID_SIZE], text[16];
	int i, n = 0, bad = 0, r;

	h[0] = q;
	h[1] = spool_open("q", 0);
	b = spool_batch_new(q, NULL);
	for (i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "%d", i);
		spool_batch_add(b, text, strlen(text), id);
	}
	is_int(spool_batch_commit(b), 0, "1000 pushed");
	spool_batch_free(b);
	for (i = 0; i < 2000 && n < 1000; i++) {
		struct spool *c = h[(i * 7 / 3 + i / 5) % 2];

		if ((r = spool_claim(c, 0, &m)) != 0) {
			diag("claim %d: %d", i, r);
			bad++;
			break;
		}
		if (strcmp(spool_msg_id(m), last) <= 0 ||
		    atoi(payload(m)) != n) {
			diag("claim %d: %s (%s) after %s", i, spool_msg_id(m),
			    payload(m), last);
			bad++;
		}
		snprintf(last, sizeof(last), "%s", spool_msg_id(m));
		bad += spool_ack(c, spool_msg_token(m)) != 0;
		spool_msg_free(m);
		n++;
	}
	is_int(bad, 0, "each claim took the oldest message left");
	is_int(n, 1000, "all 1000 claimed");
	is_int(spool_claim(h[0], 0, &m), SPOOL_EMPTY, "none left for one");
	is_int(spool_claim(h[1], 0, &m), SPOOL_EMPTY, "nor for the other");
	spool_close(h[1]);
	spool_close(q);
}

static void
test_delayed_push(void)
{
	struct spool *q = fresh();
	struct spool_msg *m;
	struct spool_stats st;
	int i, r = SPOOL_EMPTY;

	push(q, "later", 5, 3600000, NULL);
	push(q, "soon", 5, 300, NULL);
	is_int(count_files("q/retry"), 2, "delayed pushes wait in retry/");
	is_int(spool_claim(q, 0, &m), SPOOL_EMPTY, "nothing is due yet");
	if (is_int(spool_stat(q, &st), 0, "stat")) {
		is_int(st.count[SPOOL_RETRY], 2, "stat counts them as retry");
		is_int(st.due, 0, "none due");
		ok(st.next_due_ms > 0, "and knows the next due time");
	}
	for (i = 0; i < 100 && r == SPOOL_EMPTY; i++) {
		sleep_ms(20);
		r = spool_claim(q, 0, &m);
	}
	if (is_int(r, 0, "the short delay comes due")) {
		is_str(payload(m), "soon", "and it is the short one");
		spool_msg_free(m);
	}
	is_int(spool_claim(q, 0, &m), SPOOL_EMPTY, "the hour is not over");
	spool_close(q);
}

static void
test_wait_timeout(void)
{
	struct spool *q = fresh();
	time_t t0 = time(NULL);

	is_int(spool_wait(q, 200), SPOOL_EMPTY, "a wait on nothing times out");
	ok(time(NULL) - t0 < 5, "in about its timeout");
	push(q, "x", 5, 0, NULL);
	is_int(spool_wait(q, 5000), 0, "a wait with a message due returns 0");
	spool_close(q);
}

static void
test_batch(void)
{
	struct spool *q = fresh();
	struct spool_batch *b;
	struct spool_msg *m;
	char ids[3][SPOOL_ID_SIZE];
	const char *text[] = {"one", "two", "three"};
	int i, bad = 0;

	b = spool_batch_new(q, NULL);
	for (i = 0; i < 3; i++)
		spool_batch_add(b, text[i], strlen(text[i]), ids[i]);
	is_int(spool_batch_count(b), 3, "three in the batch");
	is_int(
	    spool_claim(q, 0, &m), SPOOL_EMPTY, "none visible before commit");
	is_int(count_files("q/new"), 0, "nothing in new/");
	is_int(spool_batch_commit(b), 0, "commit");
	spool_batch_free(b);
	is_int(count_files("q/new"), 3, "all three in new/");
	is_int(count_files("q/tmp"), 0, "nothing left in tmp/");
	for (i = 0; i < 3; i++) {
		if (spool_claim(q, 0, &m) != 0) {
			bad++;
			continue;
		}
		bad += strcmp(spool_msg_id(m), ids[i]) != 0;
		bad += strcmp(payload(m), text[i]) != 0;
		spool_msg_free(m);
	}
	is_int(bad, 0, "claimed in the order added, with their IDs");
	spool_close(q);
}

static void
test_batch_discarded(void)
{
	struct spool *q = fresh();
	struct spool_batch *b;
	char id[SPOOL_ID_SIZE];

	b = spool_batch_new(q, NULL);
	spool_batch_add(b, "a", 1, id);
	spool_batch_add(b, "b", 1, id);
	spool_batch_free(b);
	is_int(count_files("q/new"), 0,
	    "a batch freed uncommitted is not published");
	is_int(count_files("q/tmp"), 0, "and leaves nothing in tmp/");
	spool_close(q);
}

static void
test_push_limits(void)
{
	struct spool *q = fresh();
	struct spool_push_opts o;
	char id[SPOOL_ID_SIZE];
	int p[2];

	spool_push_opts_default(&o);
	is_int(o.priority, SPOOL_PRIORITY_DEFAULT, "default priority");
	is_int(o.delay_ms, 0, "no delay by default");
	errno = 0;
	ok(spool_push(q, "x", SPOOL_MAX_PAYLOAD + 1, &o, id) == -1 &&
		errno == EFBIG,
	    "a payload over the limit is EFBIG");
	o.priority = 10;
	errno = 0;
	ok(spool_push(q, "x", 1, &o, id) == -1 && errno == EINVAL,
	    "priority 10 is EINVAL");
	is_int(count_files("q/tmp") + count_files("q/new"), 0, "nothing left");
	spool_push_opts_default(&o);
	if (pipe(p) == 0) {
		if (write(p[1], "piped\0bytes", 11) != 11)
			ok(0, "write to a pipe");
		close(p[1]);
		is_int(spool_push_fd(q, p[0], &o, id), 0, "push from a pipe");
		close(p[0]);
		is_int(count_files("q/new"), 1, "it is there");
	}
	spool_close(q);
}

static int
collect(struct spool *q, unsigned mask, char out[][16], int max)
{
	struct spool_iter *it = spool_iter_new(q, mask);
	struct spool_entry e;
	int n = 0, fd;
	ssize_t k;

	while (it != NULL && n < max && spool_iter_next(it, &e) == 0) {
		fd = spool_open_entry(q, &e);
		k = fd >= 0 ? read(fd, out[n], 15) : -1;
		out[n][k < 0 ? 0 : k] = '\0';
		if (fd >= 0)
			close(fd);
		n++;
	}
	spool_iter_free(it);
	return n;
}

static void
test_iterator_order(void)
{
	struct spool *q = fresh();
	struct spool_msg *m;
	char got[16][16];
	int n;

	push(q, "n-low", 1, 0, NULL);
	push(q, "n-high", 8, 0, NULL);
	push(q, "n-mid", 5, 0, NULL);
	push(q, "r-late", 9, 7200000, NULL);
	push(q, "r-early", 0, 3600000, NULL);
	push(q, "c-claimed", 9, 0, NULL);
	spool_claim(q, 0, &m); /* c-claimed: highest priority */
	n = collect(q, SPOOL_ALL_STATES, got, 16);
	if (!is_int(n, 6, "the iterator sees all six"))
		_exit(1);
	is_str(got[0], "n-high", "new/ first, by priority");
	is_str(got[1], "n-mid", "then");
	is_str(got[2], "n-low", "then");
	is_str(got[3], "c-claimed", "then cur/");
	is_str(got[4], "r-early", "then retry/, by due time");
	is_str(got[5], "r-late", "not by priority");
	n = collect(q, SPOOL_STATE_BIT(SPOOL_RETRY), got, 16);
	is_int(n, 2, "a mask of retry/ sees only retry/");
	spool_msg_free(m);
	spool_close(q);
}

static void
test_find(void)
{
	struct spool *q = fresh();
	struct spool_entry e;
	char id[SPOOL_ID_SIZE], other[SPOOL_ID_SIZE];

	push(q, "findme", 3, 0, id);
	push(q, "x", 5, 0, other);
	spool_ack(q, "none"); /* a failed call must not upset the next */
	if (is_int(spool_find(q, id, &e), 0, "spool_find finds it")) {
		is_str(e.id, id, "by ID");
		is_int(e.state, SPOOL_NEW, "in new/");
		is_int(e.size, 6, "with its size");
		is_int(e.priority, 3, "and priority");
	}
	other[10] = other[10] == '0' ? '1' : '0';
	is_int(spool_find(q, other, &e), SPOOL_EMPTY, "an unknown ID is EMPTY");
	spool_close(q);
}

static const struct tap_test tests[] = {
    TAP_TEST(test_open_errors),
    TAP_TEST(test_init_settings),
    TAP_TEST(test_push_claim_ack),
    TAP_TEST(test_ack_by_name),
    TAP_TEST(test_bad_tokens),
    TAP_TEST(test_open_token),
    TAP_TEST(test_nack_retry_and_fencing),
    TAP_TEST(test_nack_delay_and_dead),
    TAP_TEST(test_nack_dead_flag),
    TAP_TEST(test_nack_release),
    TAP_TEST(test_touch),
    TAP_TEST(test_touch_after_deadline),
    TAP_TEST(test_expired_lease_redelivered),
    TAP_TEST(test_claim_order),
    TAP_TEST(test_claim_two_handles),
    TAP_TEST(test_delayed_push),
    TAP_TEST(test_wait_timeout),
    TAP_TEST(test_batch),
    TAP_TEST(test_batch_discarded),
    TAP_TEST(test_push_limits),
    TAP_TEST(test_iterator_order),
    TAP_TEST(test_find),
    {NULL, NULL},
};

int
main(int argc, char **argv)
{
	return tap_main(argc, argv, tests);
}
