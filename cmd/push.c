/*
 * push.c: spool push, which adds messages and prints each new ID on its
 * own line once the message is durable.
 *
 * Inputs are taken in command-line order: each -m TEXT is one message,
 * each -f FILE one message (or, with -l, one per line), and standard input
 * is used when neither is given.  Every file is opened before anything is
 * pushed, so a missing one pushes nothing.  With -l, messages go out in
 * group commits: a commit when 1000 are pending, when 64 MiB are pending,
 * when the input has nothing more ready, and at the end; the IDs of a
 * commit are printed after it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#define BATCH_MAX 1000
#define BATCH_BYTES ((size_t)64 << 20)
#define READ_SIZE ((size_t)1 << 18)

enum { OPT_DELAY = 256, OPT_NO_SYNC, OPT_PRIORITY };

static const struct option longopts[] = {
    {"delay", required_argument, NULL, OPT_DELAY},
    {"file", required_argument, NULL, 'f'},
    {"lines", no_argument, NULL, 'l'},
    {"message", required_argument, NULL, 'm'},
    {"no-sync", no_argument, NULL, OPT_NO_SYNC},
    {"priority", required_argument, NULL, OPT_PRIORITY},
    {NULL, 0, NULL, 0},
};

struct input {
	const char *text; /* -m TEXT; NULL for a stream */
	const char *name; /* a stream's name for messages */
	int fd;
};

struct push {
	struct spool *q;
	const char *queue;
	struct spool_push_opts opts;
	struct input *in;
	int nin;
	int lines;
	char sep;
	unsigned flags;
	/* -l: the pending group commit and its IDs */
	struct spool_batch *batch;
	char (*ids)[SPOOL_ID_SIZE];
	size_t pending, pending_bytes;
	int broken; /* the queue failed: commit nothing more */
};

static int
queue_error(struct push *p)
{
	p->broken = 1;
	fprintf(stderr, "spool: push: ");
	print_escaped(stderr, p->queue);
	fputs(": ", stderr);
	print_escaped(stderr, spool_error(p->q));
	fputc('\n', stderr);
	return EX_IOERR;
}

static int
input_error(const char *name, const char *why)
{
	fprintf(stderr, "spool: push: ");
	print_escaped(stderr, name);
	fprintf(stderr, ": %s\n", why);
	return EX_IOERR;
}

/* Opens and checks every stream input before anything is pushed. */
static int
open_inputs(struct push *p)
{
	struct stat st;
	int i;

	for (i = 0; i < p->nin; i++) {
		struct input *in = &p->in[i];

		if (in->text != NULL)
			continue;
		if (strcmp(in->name, "-") == 0) {
			in->fd = 0;
			in->name = "standard input";
		} else if ((in->fd = open(in->name,
				O_RDONLY | O_NOCTTY | O_CLOEXEC)) == -1)
			return input_error(in->name, strerror(errno));
		if (fstat(in->fd, &st) == -1)
			return input_error(in->name, strerror(errno));
		/* A closed standard input is /dev/null, write-only. */
		if ((fcntl(in->fd, F_GETFL) & O_ACCMODE) == O_WRONLY)
			return input_error(in->name, strerror(EBADF));
		if (S_ISDIR(st.st_mode))
			return input_error(in->name, strerror(EISDIR));
		if (!p->lines && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size > SPOOL_MAX_PAYLOAD)
			return input_error(
			    in->name, "message too large (the limit is 1 GiB)");
	}
	return EX_OK;
}

static int
print_id(const char *id)
{
	char line[SPOOL_ID_SIZE + 1];
	size_t n = strlen(id);

	memcpy(line, id, n);
	line[n] = '\n';
	if (write_all(1, line, n + 1) == -1)
		return write_error(errno);
	return EX_OK;
}

/* One message per input, each durable before its ID is printed. */
static int
push_each(struct push *p)
{
	char id[SPOOL_ID_SIZE];
	int i, r, st;

	for (i = 0; i < p->nin; i++) {
		struct input *in = &p->in[i];

		if (in->text != NULL)
			r = spool_push(
			    p->q, in->text, strlen(in->text), &p->opts, id);
		else {
			signal_input_fd = in->fd;
			r = caught_signal
				? (errno = EINTR, -1)
				: spool_push_fd(p->q, in->fd, &p->opts, id);
			signal_input_fd = -1;
		}
		if (r == -1) {
			if (errno == EINTR && caught_signal)
				return EX_IOERR;
			return queue_error(p);
		}
		if ((st = print_id(id)) != EX_OK)
			return st;
		if (caught_signal)
			return EX_IOERR;
	}
	return EX_OK;
}

/* Publishes the pending batch, then prints its IDs. */
static int
commit(struct push *p)
{
	char *out, *o;
	size_t i;
	int st;

	if (p->pending == 0)
		return EX_OK;
	if (spool_batch_commit(p->batch) == -1)
		return queue_error(p);
	spool_batch_free(p->batch);
	p->batch = NULL;
	if ((out = malloc(p->pending * SPOOL_ID_SIZE)) == NULL)
		return input_error(p->queue, strerror(errno));
	for (o = out, i = 0; i < p->pending; i++) {
		size_t n = strlen(p->ids[i]);

		memcpy(o, p->ids[i], n);
		o += n;
		*o++ = '\n';
	}
	st = EX_OK;
	if (write_all(1, out, (size_t)(o - out)) == -1)
		st = write_error(errno);
	free(out);
	p->pending = p->pending_bytes = 0;
	return st;
}

static int
add(struct push *p, const char *buf, size_t len, const char *name)
{
	if (len > SPOOL_MAX_PAYLOAD)
		return input_error(name, "line too large (the limit is 1 GiB)");
	if (p->batch == NULL &&
	    (p->batch = spool_batch_new(p->q, &p->opts)) == NULL)
		return queue_error(p);
	if (spool_batch_add(p->batch, buf, len, p->ids[p->pending]) == -1)
		return queue_error(p);
	p->pending++;
	p->pending_bytes += len;
	if (p->pending >= BATCH_MAX || p->pending_bytes >= BATCH_BYTES)
		return commit(p);
	return EX_OK;
}

/* Whether FD has nothing to read right now: then commit what is pending. */
static int
is_idle(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 0;
}

/* Makes room for a read of READ_SIZE, doubling: a long line costs O(n). */
static int
grow(char **buf, size_t *cap, size_t len)
{
	size_t ncap = *cap;
	char *nb;

	if (ncap - len >= READ_SIZE)
		return 0;
	while (ncap - len < READ_SIZE)
		ncap = ncap == 0 ? READ_SIZE : ncap * 2;
	if ((nb = realloc(*buf, ncap)) == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/*
 * Splits one stream into messages at SEP, the separator not included.  A
 * line is held in memory until its end is read, and only bytes not yet
 * searched are searched for SEP.
 */
static int
push_lines_of(struct push *p, struct input *in)
{
	char *buf = NULL, *e;
	size_t cap = 0, len = 0, start, scan = 0;
	ssize_t n;
	int st = EX_OK;

	for (;;) {
		if (caught_signal) {
			st = EX_IOERR;
			break;
		}
		if (grow(&buf, &cap, len) == -1) {
			st = input_error(in->name, strerror(errno));
			break;
		}
		if ((n = read(in->fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			st = input_error(in->name, strerror(errno));
			break;
		}
		if (n == 0) {
			if (len > 0)
				st = add(p, buf, len, in->name);
			break;
		}
		len += (size_t)n;
		for (start = 0;
		     (e = memchr(buf + scan, p->sep, len - scan)) != NULL;
		     start = scan) {
			scan = (size_t)(e - buf) + 1;
			st = add(p, buf + start, (size_t)(e - buf) - start,
			    in->name);
			if (st != EX_OK)
				goto out;
		}
		scan = len;
		if (start > 0) {
			memmove(buf, buf + start, len - start);
			len -= start;
			scan = len;
		}
		if (len > SPOOL_MAX_PAYLOAD) {
			st = input_error(
			    in->name, "line too large (the limit is 1 GiB)");
			break;
		}
		if (is_idle(in->fd) && (st = commit(p)) != EX_OK)
			break;
	}
out:
	free(buf);
	return st;
}

static int
push_lines(struct push *p)
{
	int i, st = EX_OK;

	if ((p->ids = calloc(BATCH_MAX, SPOOL_ID_SIZE)) == NULL)
		return input_error(p->queue, strerror(errno));
	for (i = 0; i < p->nin && st == EX_OK && !caught_signal; i++) {
		struct input *in = &p->in[i];

		if (in->text != NULL)
			st = add(p, in->text, strlen(in->text), "-m");
		else {
			signal_input_fd = in->fd;
			st = push_lines_of(p, in);
			signal_input_fd = -1;
		}
	}
	/* What was read before a bad line or a read error is still pushed. */
	if (!caught_signal && !p->broken) {
		int cst = commit(p);

		st = st != EX_OK ? st : cst;
	}
	spool_batch_free(p->batch);
	free(p->ids);
	return caught_signal ? EX_IOERR : st;
}

static int
parse_args(int argc, char **argv, struct push *p)
{
	int64_t v;
	int c, has_input = 0;

	while ((c = getopt_long(argc, argv, ":0f:lm:", longopts, NULL)) != -1) {
		switch (c) {
		case '0':
			p->sep = '\0';
			p->lines = 1;
			break;
		case 'f':
		case 'm':
			p->in[p->nin].text = c == 'm' ? optarg : NULL;
			p->in[p->nin].name = optarg;
			p->in[p->nin++].fd = -1;
			has_input = 1;
			break;
		case 'l':
			p->lines = 1;
			break;
		case OPT_DELAY:
			if (parse_duration_opt(
				"--delay", optarg, &p->opts.delay_ms) == -1)
				return EX_USAGE;
			break;
		case OPT_NO_SYNC:
			p->flags |= SPOOL_NOSYNC;
			break;
		case OPT_PRIORITY:
			if (parse_int(optarg, SPOOL_PRIORITY_MIN,
				SPOOL_PRIORITY_MAX, &v) == -1)
				return usage("--priority: '%s' is not a number "
					     "from %d to %d",
				    optarg, SPOOL_PRIORITY_MIN,
				    SPOOL_PRIORITY_MAX);
			p->opts.priority = (int)v;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind >= argc)
		return usage("missing QUEUE");
	if (optind + 1 < argc)
		return usage("unexpected argument '%s'", argv[optind + 1]);
	if (!has_input) {
		/* Reading a terminal is more likely a mistake than a plan. */
		if (isatty(0))
			return usage(
			    "standard input is a terminal (use -m TEXT "
			    "or -f -)");
		p->in[p->nin].text = NULL;
		p->in[p->nin].name = "-";
		p->in[p->nin++].fd = -1;
	}
	return 0;
}

static void
close_inputs(struct push *p)
{
	int i;

	for (i = 0; i < p->nin; i++)
		if (p->in[i].fd > 2)
			close(p->in[i].fd);
}

int
cmd_push(int argc, char **argv)
{
	struct push p;
	int st;

	guard_std_fds();
	memset(&p, 0, sizeof(p));
	p.sep = '\n';
	spool_push_opts_default(&p.opts);
	if ((p.in = calloc((size_t)argc + 1, sizeof(*p.in))) == NULL)
		return input_error("push", strerror(errno));
	if (parse_args(argc, argv, &p) != 0) {
		free(p.in);
		return EX_USAGE;
	}
	p.queue = argv[optind];
	catch_signals();
	if ((st = open_inputs(&p)) == EX_OK &&
	    (p.q = open_queue(p.queue, SPOOL_CREATE | p.flags, &st)) != NULL) {
		report_junk(p.q, p.queue);
		st = p.lines ? push_lines(&p) : push_each(&p);
		spool_close(p.q);
	}
	close_inputs(&p);
	free(p.in);
	die_of_signal();
	return st;
}
