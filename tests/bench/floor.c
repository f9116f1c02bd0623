/*
 * floor.c: what the kernel allows, measured the way spool's own benchmarks
 * measure spool, and a driver that times other programs one process at a
 * time.
 *
 * Every mode prints one JSON object on one line: the mode, the count, the
 * total wall time and per-operation statistics in microseconds (mean,
 * median, 90th percentile, minimum) and, for modes that run children, the
 * largest peak RSS of any child (wait4's ru_maxrss, as GNU time reports
 * it) and the children's CPU time per operation.  Nothing here links
 * libspool: the floors must be measurable before the library exists.
 *
 *   floor forkexec N              fork, execve /bin/true, wait
 *   floor spawn N                 posix_spawn /bin/true, wait (vfork-like)
 *   floor create DIR N SIZE MODE  write tmp/F, rename to new/F; MODE sync
 *                                 adds fsync of the file and of new/
 *   floor pushfloor DIR N SIZE    fork+exec true, then a durable create
 *   floor group DIR N SIZE        N unsynced creates, one syncfs, N
 *                                 renames, one fsync of new/
 *   floor rename DIR N            rename N prepared files
 *   floor unlink DIR N            unlink N prepared files
 *   floor fill DIR N              create N empty files (not timed per op)
 *   floor readdir DIR             one full readdir pass, names counted
 *   floor exec N CMD [ARG...]     run CMD N times ("{}" in an ARG becomes
 *                                 the run's number), output discarded
 *   floor exec2 N CMD... -- CMD2...  run CMD, then CMD2 with "{}" replaced
 *                                 by the first line CMD printed
 *   floor pipe N CMD... -- CMD2...   run CMD | CMD2
 *
 * Children's output goes to /dev/null, or is appended to the file named by
 * $FLOOR_STDOUT (so that the tokens pop prints can be acked afterwards).
 * A child that exits non-zero stops the run with exit status 1, so a
 * benchmark never times a failure.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <spawn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64
#define LINE_MAX_LEN 4096

struct stats {
	const char *mode;
	long n;
	double *us; /* one duration per operation */
	double total_s;
	long maxrss_kb;
	double child_cpu_us;
	long names; /* readdir: names seen */
};

static void
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
fail(const char *what)
{
	fprintf(stderr, "floor: %s\n", what);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 1 ||
	    v > 100000000) {
		fprintf(stderr, "floor: bad count '%s'\n", s);
		exit(2);
	}
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
stats_init(struct stats *st, const char *mode, long n)
{
	memset(st, 0, sizeof(*st));
	st->mode = mode;
	st->n = n;
	if ((st->us = calloc(n, sizeof(double))) == NULL)
		die("calloc");
}

static void
stats_print(struct stats *st)
{
	double sum = 0, p50, p90;
	long i, n = st->n;

	for (i = 0; i < n; i++)
		sum += st->us[i];
	qsort(st->us, n, sizeof(double), cmp_double);
	p50 = n % 2 ? st->us[n / 2] : (st->us[n / 2 - 1] + st->us[n / 2]) / 2;
	p90 = st->us[(long)(0.9 * (n - 1))];
	printf("{\"mode\":\"%s\",\"n\":%ld,\"total_s\":%.6f,"
	       "\"mean_us\":%.2f,\"p50_us\":%.2f,\"p90_us\":%.2f,"
	       "\"min_us\":%.2f,\"ops_per_s\":%.1f,\"maxrss_kb\":%ld,"
	       "\"child_cpu_us\":%.2f,\"names\":%ld}\n",
	    st->mode, n, st->total_s, sum / n, p50, p90, st->us[0],
	    st->total_s > 0 ? n / st->total_s : 0.0, st->maxrss_kb,
	    st->child_cpu_us / n, st->names);
	free(st->us);
}

/* Accounts for a reaped child's peak RSS and CPU time. */
static void
account(struct stats *st, const struct rusage *ru)
{
	if (ru->ru_maxrss > st->maxrss_kb)
		st->maxrss_kb = ru->ru_maxrss;
	st->child_cpu_us += ru->ru_utime.tv_sec * 1e6 + ru->ru_utime.tv_usec +
			    ru->ru_stime.tv_sec * 1e6 + ru->ru_stime.tv_usec;
}

/* Waits for PID; a failure of the child fails the benchmark. */
static void
reap(struct stats *st, pid_t pid, const char *what)
{
	struct rusage ru;
	int status;

	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR)
			die("wait4");
	account(st, &ru);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "floor: %s: exit status %d\n", what,
		    WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status));
		exit(1);
	}
}

/* Starts ARGV with the given stdin and stdout (-1: /dev/null). */
static pid_t
start(char **argv, int in, int out)
{
	const char *sink;
	pid_t pid;
	int null;

	if ((pid = fork()) == -1)
		die("fork");
	if (pid > 0)
		return pid;
	if ((null = open("/dev/null", O_RDWR)) == -1)
		_exit(127);
	if (out < 0 && (sink = getenv("FLOOR_STDOUT")) != NULL &&
	    (out = open(sink, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		_exit(127);
	dup2(in >= 0 ? in : null, 0);
	dup2(out >= 0 ? out : null, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "floor: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Copies ARGV, replacing "{}" inside any argument by SUBST. */
static void
expand(char **argv, int argc, const char *subst, char **out, char *buf,
    size_t size)
{
	char *p = buf;
	int i;

	for (i = 0; i < argc && i < MAX_ARGS - 1; i++) {
		const char *a = argv[i], *hole = strstr(a, "{}");
		int len;

		if (hole == NULL) {
			out[i] = argv[i];
			continue;
		}
		len = snprintf(p, size - (p - buf), "%.*s%s%s", (int)(hole - a),
		    a, subst, hole + 2);
		if (len < 0 || (size_t)len >= size - (p - buf))
			fail("argument too long");
		out[i] = p;
		p += len + 1;
	}
	out[i] = NULL;
}

static void
mode_forkexec(long n)
{
	char *argv[] = {"/bin/true", NULL};
	struct stats st;
	double t0, t;
	long i;

	stats_init(&st, "forkexec", n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		t = now_s();
		reap(&st, start(argv, -1, -1), "/bin/true");
		st.us[i] = (now_s() - t) * 1e6;
	}
	st.total_s = now_s() - t0;
	stats_print(&st);
}

extern char **environ;

static void
mode_spawn(long n)
{
	char *argv[] = {"/bin/true", NULL};
	struct stats st;
	double t0, t;
	pid_t pid;
	long i;
	int e;

	stats_init(&st, "spawn", n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		t = now_s();
		if ((e = posix_spawn(
			 &pid, argv[0], NULL, NULL, argv, environ)) != 0) {
			errno = e;
			die("posix_spawn");
		}
		reap(&st, pid, "/bin/true");
		st.us[i] = (now_s() - t) * 1e6;
	}
	st.total_s = now_s() - t0;
	stats_print(&st);
}

struct qdir {
	int tmpfd, newfd;
	char *buf;
	size_t size;
};

static void
qdir_open(struct qdir *d, const char *dir, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tmp", dir);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		die(dir);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		die(path);
	if ((d->tmpfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		die(path);
	snprintf(path, sizeof(path), "%s/new", dir);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		die(path);
	if ((d->newfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		die(path);
	d->size = size;
	if ((d->buf = malloc(size + 1)) == NULL)
		die("malloc");
	memset(d->buf, 'x', size);
}

/* Names unique per run: pid and counter, spool-like length. */
static void
qname(char *name, size_t size, long i)
{
	snprintf(name, size, "%016lx%08lx.a0.s0", (long)getpid(), i);
}

static int
tmp_write(struct qdir *d, const char *name)
{
	int fd;

	fd = openat(d->tmpfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		die("openat tmp");
	if (d->size > 0 && write(fd, d->buf, d->size) != (ssize_t)d->size)
		die("write");
	return fd;
}

/* One push: create, write, [fsync], close, rename, [fsync new/]. */
static void
one_create(struct qdir *d, long i, int sync)
{
	char name[64];
	int fd;

	qname(name, sizeof(name), i);
	fd = tmp_write(d, name);
	if (sync && fsync(fd) == -1)
		die("fsync");
	if (close(fd) == -1)
		die("close");
	if (renameat(d->tmpfd, name, d->newfd, name) == -1)
		die("renameat");
	if (sync && fsync(d->newfd) == -1)
		die("fsync dir");
}

static void
mode_create(const char *dir, long n, size_t size, int sync, int withexec)
{
	char *argv[] = {"/bin/true", NULL};
	struct qdir d;
	struct stats st;
	double t0, t;
	long i;

	qdir_open(&d, dir, size);
	stats_init(&st,
	    withexec ? "pushfloor"
	    : sync   ? "create_sync"
		     : "create_nosync",
	    n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		t = now_s();
		if (withexec)
			reap(&st, start(argv, -1, -1), "/bin/true");
		one_create(&d, i, sync);
		st.us[i] = (now_s() - t) * 1e6;
	}
	st.total_s = now_s() - t0;
	stats_print(&st);
}

/* Group commit: per-op time is total / n (one sync covers them all). */
static void
mode_group(const char *dir, long n, size_t size)
{
	struct qdir d;
	struct stats st;
	char name[64];
	double t0;
	long i;
	int fd;

	qdir_open(&d, dir, size);
	stats_init(&st, "group_syncfs", n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		qname(name, sizeof(name), i);
		fd = tmp_write(&d, name);
		if (close(fd) == -1)
			die("close");
	}
	if (syncfs(d.tmpfd) == -1)
		die("syncfs");
	for (i = 0; i < n; i++) {
		qname(name, sizeof(name), i);
		if (renameat(d.tmpfd, name, d.newfd, name) == -1)
			die("renameat");
	}
	if (fsync(d.newfd) == -1)
		die("fsync dir");
	st.total_s = now_s() - t0;
	for (i = 0; i < n; i++)
		st.us[i] = st.total_s * 1e6 / n;
	stats_print(&st);
}

/* rename and unlink: N files prepared untimed, then one op each timed. */
static void
mode_rename_unlink(const char *dir, long n, int unlink_them)
{
	struct qdir d;
	struct stats st;
	char name[64];
	double t0, t;
	long i;

	qdir_open(&d, dir, 0);
	for (i = 0; i < n; i++) {
		qname(name, sizeof(name), i);
		if (close(tmp_write(&d, name)) == -1)
			die("close");
	}
	stats_init(&st, unlink_them ? "unlink" : "rename", n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		qname(name, sizeof(name), i);
		t = now_s();
		if (unlink_them) {
			if (unlinkat(d.tmpfd, name, 0) == -1)
				die("unlinkat");
		} else if (renameat(d.tmpfd, name, d.newfd, name) == -1)
			die("renameat");
		st.us[i] = (now_s() - t) * 1e6;
	}
	st.total_s = now_s() - t0;
	stats_print(&st);
}

/* Fills DIR (flat) with N more empty files; names continue a counter. */
static void
mode_fill(const char *dir, long n)
{
	struct stats st;
	char name[64];
	double t0;
	long i, base;
	int dfd, fd;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		die(dir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		die(dir);
	base = (long)now_s() * 1000000 + getpid();
	stats_init(&st, "fill", n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%016lx%015ld.a0.s0", base, i);
		fd = openat(
		    dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 || close(fd) == -1)
			die("create");
	}
	st.total_s = now_s() - t0;
	for (i = 0; i < n; i++)
		st.us[i] = st.total_s * 1e6 / n;
	stats_print(&st);
}

static void
mode_readdir(const char *dir)
{
	struct stats st;
	struct dirent *de;
	DIR *dp;
	double t0;
	long names = 0;

	t0 = now_s();
	if ((dp = opendir(dir)) == NULL)
		die(dir);
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			names++;
	closedir(dp);
	stats_init(&st, "readdir", 1);
	st.total_s = now_s() - t0;
	st.us[0] = st.total_s * 1e6;
	st.names = names;
	stats_print(&st);
}

static void
mode_exec(long n, char **argv, int argc)
{
	char *args[MAX_ARGS], buf[LINE_MAX_LEN], num[32];
	struct stats st;
	double t0, t;
	long i;

	stats_init(&st, "exec", n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof(num), "%ld", i);
		expand(argv, argc, num, args, buf, sizeof(buf));
		t = now_s();
		reap(&st, start(args, -1, -1), args[0]);
		st.us[i] = (now_s() - t) * 1e6;
	}
	st.total_s = now_s() - t0;
	stats_print(&st);
}

/* Reads CMD's first output line into LINE; the rest is drained. */
static void
read_line(int fd, char *line, size_t size)
{
	size_t len = 0;
	ssize_t r;
	char sink[512], *nl;

	while (
	    len < size - 1 && (r = read(fd, line + len, size - 1 - len)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		len += r;
	}
	while ((r = read(fd, sink, sizeof(sink))) > 0 ||
	       (r == -1 && errno == EINTR))
		;
	line[len] = '\0';
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
}

static void
mode_exec2(long n, char **a, int na, char **b, int nb, int piped)
{
	char *args[MAX_ARGS], buf[LINE_MAX_LEN], line[LINE_MAX_LEN];
	struct stats st;
	double t0, t;
	pid_t p1, p2;
	long i;
	int fds[2];

	stats_init(&st, piped ? "pipe" : "exec2", n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		t = now_s();
		if (pipe2(fds, O_CLOEXEC) == -1)
			die("pipe");
		expand(a, na, "", args, buf, sizeof(buf));
		p1 = start(args, -1, fds[1]);
		close(fds[1]);
		if (piped) {
			expand(b, nb, "", args, buf, sizeof(buf));
			p2 = start(args, fds[0], -1);
			close(fds[0]);
			reap(&st, p1, a[0]);
			reap(&st, p2, b[0]);
		} else {
			read_line(fds[0], line, sizeof(line));
			close(fds[0]);
			reap(&st, p1, a[0]);
			if (line[0] == '\0')
				fail("first command printed nothing");
			expand(b, nb, line, args, buf, sizeof(buf));
			reap(&st, start(args, -1, -1), b[0]);
		}
		st.us[i] = (now_s() - t) * 1e6;
	}
	st.total_s = now_s() - t0;
	stats_print(&st);
}

static int
split_at(char **argv, int argc)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	fail("exec2 and pipe need CMD -- CMD2");
	return -1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: floor forkexec N | spawn N |\n"
	    "       create DIR N SIZE sync|nosync |\n"
	    "       pushfloor DIR N SIZE | group DIR N SIZE | rename DIR N |\n"
	    "       unlink DIR N | fill DIR N | readdir DIR |\n"
	    "       exec N CMD... | exec2 N CMD... -- CMD2... |\n"
	    "       pipe N CMD... -- CMD2...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *m;
	int k;

	if (argc < 3)
		usage();
	m = argv[1];
	if (strcmp(m, "forkexec") == 0)
		mode_forkexec(parse_count(argv[2]));
	else if (strcmp(m, "spawn") == 0)
		mode_spawn(parse_count(argv[2]));
	else if (strcmp(m, "create") == 0 && argc == 6)
		mode_create(argv[2], parse_count(argv[3]),
		    strtoul(argv[4], NULL, 10), strcmp(argv[5], "sync") == 0,
		    0);
	else if (strcmp(m, "pushfloor") == 0 && argc == 5)
		mode_create(argv[2], parse_count(argv[3]),
		    strtoul(argv[4], NULL, 10), 1, 1);
	else if (strcmp(m, "group") == 0 && argc == 5)
		mode_group(
		    argv[2], parse_count(argv[3]), strtoul(argv[4], NULL, 10));
	else if (strcmp(m, "rename") == 0 && argc == 4)
		mode_rename_unlink(argv[2], parse_count(argv[3]), 0);
	else if (strcmp(m, "unlink") == 0 && argc == 4)
		mode_rename_unlink(argv[2], parse_count(argv[3]), 1);
	else if (strcmp(m, "fill") == 0 && argc == 4)
		mode_fill(argv[2], parse_count(argv[3]));
	else if (strcmp(m, "readdir") == 0 && argc == 3)
		mode_readdir(argv[2]);
	else if (strcmp(m, "exec") == 0 && argc >= 4)
		mode_exec(parse_count(argv[2]), argv + 3, argc - 3);
	else if ((strcmp(m, "exec2") == 0 || strcmp(m, "pipe") == 0) &&
		 argc >= 6) {
		k = split_at(argv + 3, argc - 3);
		mode_exec2(parse_count(argv[2]), argv + 3, k, argv + 4 + k,
		    argc - 4 - k, strcmp(m, "pipe") == 0);
	} else
		usage();
	return 0;
}
