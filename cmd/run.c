/*
 * run.c: spool run QUEUE [options] -- CMD [ARGS...]: run a command for
 * each message.
 *
 * The invariant: every message this runner claims is settled before it
 * exits (acked, nacked for a retry, sent to dead/, or handed back at once
 * when it stops), unless it is killed outright, in which case the lease
 * it holds, kept alive by heartbeats only while the runner lives, hands
 * the message back within one lease.  Nothing is lost either way.
 *
 * This file parses the options, sets up signals and the queue, and runs
 * the one loop; run_job.c runs the jobs, run_spawn.c starts them,
 * run_log.c reports, run_wait.c waits for work under --follow and
 * run_close.c takes the last close of acked files off the loop.
 *
 * Exit status: 0 when every job run succeeded (or nothing was due); 1
 * when some job failed (retried, sent to dead/, or its lease was lost);
 * 2 usage; 4 no such queue; 5 an I/O or system error (claiming, settling,
 * spawning).  Stopped by SIGINT, SIGTERM or SIGHUP, it hands its messages
 * back and then dies of that same signal, as a shell expects.
 */
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

/* Largest -j and --batch. */
#define JOBS_MAX 1024
#define BATCH_MAX 4096
/* How often -j MIN:MAX may add a job while busy with backlog. */
#define SCALE_MS 200
/* Default --grace. */
#define GRACE_MS 10000

/* -j N or -j MIN:MAX. */
static int
parse_jobs(struct runner *r, const char *arg)
{
	char buf[64], *colon;
	int64_t a, b;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	if ((colon = strchr(buf, ':')) != NULL)
		*colon++ = '\0';
	if (parse_int(buf, 1, JOBS_MAX, &a) == -1)
		return -1;
	b = a;
	if (colon != NULL && parse_int(colon, a, JOBS_MAX, &b) == -1)
		return -1;
	r->jmin = (int)a;
	r->jmax = (int)b;
	return 0;
}

/* --rate N/s, N/m, N/h, or N (per second). */
static int
parse_rate(struct runner *r, const char *arg)
{
	char buf[64], *slash;
	int64_t n, per = 1000000;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		if (strcmp(slash, "s") == 0)
			per = 1000000;
		else if (strcmp(slash, "m") == 0)
			per = 60000000;
		else if (strcmp(slash, "h") == 0)
			per = 3600000000LL;
		else
			return -1;
	}
	if (parse_int(buf, 1, 1000000, &n) == -1)
		return -1;
	r->rate_us = per / n;
	return 0;
}

/* --dead-exit CODE[,CODE...], each 1..255; "" for none. */
static int
parse_deadexit(struct runner *r, const char *arg)
{
	char *copy, *p, *tok, *save = NULL;
	int64_t c;
	int rc = 0;

	memset(r->deadexit, 0, sizeof(r->deadexit));
	if ((copy = strdup(arg)) == NULL)
		return -1;
	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		if (parse_int(tok, 1, 255, &c) == -1) {
			rc = -1;
			break;
		}
		r->deadexit[c] = 1;
	}
	free(copy);
	return rc;
}

static const struct option longopts[] = {
    {"batch", required_argument, NULL, 'b'},
    {"capture", no_argument, NULL, 'c'},
    {"dead-exit", required_argument, NULL, 'd'},
    {"follow", no_argument, NULL, 'f'},
    {"grace", required_argument, NULL, 'g'},
    {"jobs", required_argument, NULL, 'j'},
    {"json", no_argument, NULL, 'J'},
    {"lease", required_argument, NULL, 'l'},
    {"max", required_argument, NULL, 'm'},
    {"quiet", no_argument, NULL, 'q'},
    {"rate", required_argument, NULL, 'r'},
    {"timeout", required_argument, NULL, 't'},
    {NULL, 0, NULL, 0},
};

/* One option; returns 0 or a usage error's status. */
static int
parse_opt(struct runner *r, int c, const char *arg)
{
	int64_t n;

	switch (c) {
	case 'b':
		if (parse_int(arg, 1, BATCH_MAX, &n) == -1)
			return usage("--batch: expected 1 to %d, not '%s'",
			    BATCH_MAX, arg);
		r->batch = (int)n;
		return 0;
	case 'c':
		r->capture = 1;
		return 0;
	case 'd':
		if (parse_deadexit(r, arg) == -1)
			return usage("--dead-exit: expected exit codes 1 to "
				     "255 separated by commas, not '%s'",
			    arg);
		return 0;
	case 'f':
		r->follow = 1;
		return 0;
	case 'g':
		return parse_duration_opt("--grace", arg, &r->grace) == -1
			   ? EX_USAGE
			   : 0;
	case 'j':
		if (parse_jobs(r, arg) == -1)
			return usage("-j: expected N or MIN:MAX from 1 to %d, "
				     "not '%s'",
			    JOBS_MAX, arg);
		return 0;
	case 'J':
		r->json = 1;
		return 0;
	case 'l':
		if (parse_duration_opt("--lease", arg, &r->lease) == -1)
			return EX_USAGE;
		if (r->lease == 0)
			return usage("--lease: must be more than 0");
		return 0;
	case 'm':
		if (parse_int(arg, 1, INT64_MAX, &n) == -1)
			return usage("--max: expected a positive number, not "
				     "'%s'",
			    arg);
		r->max = (uint64_t)n;
		return 0;
	case 'q':
		r->quiet = 1;
		return 0;
	case 'r':
		if (parse_rate(r, arg) == -1)
			return usage("--rate: expected N/s, N/m or N/h, not "
				     "'%s'",
			    arg);
		return 0;
	case 't':
		return parse_duration_opt("--timeout", arg, &r->timeout) == -1
			   ? EX_USAGE
			   : 0;
	default:
		return usage(NULL);
	}
}

/*
 * Options come before "--", the command after it, so that the command's
 * own options are never taken for ours.
 */
static int
parse_args(struct runner *r, int argc, char **argv)
{
	int c, dd, st;

	for (dd = 1; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		continue;
	if (dd >= argc)
		return usage("missing '--' before the command");
	if (dd + 1 >= argc)
		return usage("missing the command after '--'");
	r->cmd = argv + dd + 1;
	r->ncmd = argc - dd - 1;
	opterr = 0;
	while ((c = getopt_long(dd, argv, ":j:q", longopts, NULL)) != -1) {
		if (c == '?')
			return usage("unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return usage(
			    "option '%s' needs a value", argv[optind - 1]);
		if ((st = parse_opt(r, c, optarg)) != 0)
			return st;
	}
	if (optind >= dd)
		return usage("missing QUEUE");
	if (optind + 1 < dd)
		return usage("unexpected '%s' before '--'", argv[optind + 1]);
	r->qname = argv[optind];
	return 0;
}

/* CMD as a path to spawn: searched in PATH once, as execvp would. */
static char *
find_command(const char *name)
{
	const char *path, *p, *end;
	struct stat st;
	char *full;
	size_t dl;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchrnul(p, ':');
		dl = (size_t)(end - p);
		if (asprintf(&full, "%.*s%s%s", (int)dl, dl ? p : ".",
			dl && p[dl - 1] == '/' ? "" : "/", name) == -1)
			return NULL;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(full, X_OK) == 0)
			return full;
		free(full);
		if (*end == '\0')
			return NULL;
	}
}

/* So that no queue file can land on fd 0, 1 or 2. */
static void
open_std_fds(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
			(void)open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

/*
 * Signals arrive on a signalfd.  INT and TERM (and HUP, unless the
 * runner was started with it ignored, as nohup does) stop the runner;
 * CHLD reaps.  SIGPIPE is ignored so that a closed log pipe cannot kill
 * a runner holding leases.
 */
static int
setup_signals(struct runner *r)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&r->sigs);
	sigaddset(&r->sigs, SIGCHLD);
	sigaddset(&r->sigs, SIGINT);
	sigaddset(&r->sigs, SIGTERM);
	/* An ignored signal is never queued, blocked or not. */
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaddset(&r->sigs, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &r->sigs, &r->oldmask) == -1)
		return -1;
	r->sigfd = signalfd(-1, &r->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	return r->sigfd == -1 ? -1 : 0;
}

/* A stop signal: the first stops claiming, the second kills the jobs. */
static void
stop(struct runner *r, int sig)
{
	char d[32];
	int i;

	if (r->stopping == 0) {
		r->stopping = 1;
		r->stopsig = sig;
		r->stopterm = mono_ms() + r->grace;
		if (r->running > 0 && !r->quiet) {
			spool_format_duration(r->grace, d, sizeof(d));
			errmsg(r,
			    "stopping (%s): waiting up to %s for %d job%s",
			    strsignal(sig), d, r->running,
			    r->running == 1 ? "" : "s");
		}
		return;
	}
	r->stopping = 2;
	for (i = 0; i < r->jmax; i++)
		if (r->jobs[i].pid > 0) {
			r->jobs[i].stopped = 1;
			job_signal(&r->jobs[i], SIGKILL);
		}
}

static void
read_signals(struct runner *r)
{
	struct signalfd_siginfo si;
	int chld = 0;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			chld = 1;
		else
			stop(r, (int)si.ssi_signo);
	}
	if (chld)
		job_reap(r);
}

/*
 * Jobs the spawner threads are done with; then reaps, since a job may
 * have exited before its pid was known here.
 */
static void
read_results(struct runner *r)
{
	struct job *j[64];
	ssize_t n;
	size_t i;

	while ((n = read(r->spawnres, j, sizeof(j))) > 0)
		for (i = 0; i < (size_t)n / sizeof(j[0]); i++)
			job_result(r, j[i]);
	job_reap(r);
}

static struct job *
free_slot(struct runner *r)
{
	int i;

	for (i = 0; i < r->jmax; i++)
		if (r->jobs[i].pid == 0)
			return &r->jobs[i];
	return NULL;
}

/* Starts J on its claims, or hands them back if it cannot start. */
static void
launch(struct runner *r, struct job *j)
{
	if (job_start(r, j) == -1)
		job_unstarted(r, j, errno);
}

/*
 * Claims and starts jobs while slots, --max and --rate allow.  With
 * -j MIN:MAX, a busy runner whose last claim found work adds a slot
 * every SCALE_MS, and an empty claim shrinks it to what is running.
 */
static void
fill(struct runner *r, int64_t now)
{
	struct job *j;
	uint64_t want;
	int rc, grow;

	while (!r->stopping && r->status == 0 && r->maybedue &&
	       (r->max == 0 || r->claimed < r->max)) {
		grow = r->running >= r->target;
		if (grow &&
		    (r->target >= r->jmax || now - r->lastscale < SCALE_MS))
			return;
		if (r->rate_us != 0 && mono_us() < r->nextstart)
			return;
		if ((j = free_slot(r)) == NULL)
			return;
		want = r->batch ? (uint64_t)r->batch : 1;
		if (r->max != 0 && want > r->max - r->claimed)
			want = r->max - r->claimed;
		rc = job_claim(r, j, (size_t)want);
		if (rc != 0) {
			job_free(r, j);
			if (rc == SPOOL_EMPTY && r->target > r->jmin)
				r->target =
				    r->running > r->jmin ? r->running : r->jmin;
			return;
		}
		if (grow) {
			r->target++;
			r->lastscale = now;
		}
		if (r->rate_us != 0) {
			int64_t t = mono_us();

			r->nextstart =
			    (r->nextstart > t ? r->nextstart : t) + r->rate_us;
		}
		launch(r, j);
	}
}

static int
finished(const struct runner *r)
{
	if (r->running > 0)
		return 0;
	if (r->stopping || r->status != 0)
		return 1;
	if (r->max != 0 && r->claimed >= r->max)
		return 1;
	return !r->follow && !r->maybedue;
}

static void
earliest(int64_t *t, int64_t when)
{
	if (when >= 0 && (*t < 0 || when < *t))
		*t = when;
}

/* Milliseconds poll() may sleep: until the next timer, or -1. */
static int
next_timeout(struct runner *r, int64_t now)
{
	int64_t t = -1;
	int i;

	for (i = 0; i < r->jmax; i++) {
		struct job *j = &r->jobs[i];

		if (j->pid <= 0)
			continue;
		if (!j->stale)
			earliest(&t, j->heartbeat);
		if (j->deadline != 0)
			earliest(&t, j->deadline);
		if (j->killat != 0)
			earliest(&t, j->killat);
	}
	if (r->stopping == 1 && r->stopterm != 0)
		earliest(&t, r->stopterm);
	if (!r->stopping && r->maybedue && r->status == 0) {
		if (r->rate_us != 0 && r->running < r->target)
			earliest(&t, (r->nextstart + 999) / 1000);
		if (r->running >= r->target && r->target < r->jmax)
			earliest(&t, r->lastscale + SCALE_MS);
	}
	earliest(&t, status_next(r));
	if (t < 0)
		return -1;
	if (t <= now)
		return 0;
	return t - now > INT_MAX ? INT_MAX : (int)(t - now);
}

static void
timers(struct runner *r, int64_t now)
{
	int i;

	for (i = 0; i < r->jmax; i++)
		job_timers(r, &r->jobs[i], now);
	if (r->stopping == 1 && r->stopterm != 0 && now >= r->stopterm) {
		r->stopterm = 0;
		for (i = 0; i < r->jmax; i++) {
			struct job *j = &r->jobs[i];

			if (j->pid <= 0)
				continue;
			j->stopped = 1;
			job_signal(j, SIGTERM);
			if (j->killat == 0 || j->killat > now + r->grace)
				j->killat = now + r->grace;
		}
	}
}

static int
loop(struct runner *r)
{
	struct pollfd *pfd;
	struct job **pj;
	char buf[256];
	int i, n, nfix;

	pfd = calloc((size_t)r->jmax + 3, sizeof(*pfd));
	pj = calloc((size_t)r->jmax + 3, sizeof(*pj));
	if (pfd == NULL || pj == NULL) {
		errmsg(r, "%s", strerror(errno));
		free(pfd);
		free(pj);
		return EX_IOERR;
	}
	for (;;) {
		fill(r, mono_ms());
		if (finished(r))
			break;
		if (r->follow && !r->maybedue && !r->stopping)
			waiter_request(r);
		n = 0;
		pfd[n++] = (struct pollfd){.fd = r->sigfd, .events = POLLIN};
		if (r->wakefd != -1)
			pfd[n++] =
			    (struct pollfd){.fd = r->wakefd, .events = POLLIN};
		if (r->spawnres != -1)
			pfd[n++] = (struct pollfd){
			    .fd = r->spawnres, .events = POLLIN};
		nfix = n;
		for (i = 0; i < r->jmax; i++)
			if (r->jobs[i].pid > 0 && r->jobs[i].outfd != -1) {
				pj[n] = &r->jobs[i];
				pfd[n++] = (struct pollfd){
				    .fd = r->jobs[i].outfd, .events = POLLIN};
			}
		if (poll(pfd, (nfds_t)n, next_timeout(r, mono_ms())) == -1 &&
		    errno != EINTR) {
			errmsg(r, "poll: %s", strerror(errno));
			r->status = EX_IOERR;
			break;
		}
		/* Output first: a reaped job's slot may be reused below. */
		for (i = nfix; i < n; i++)
			if (pfd[i].revents != 0)
				job_read(r, pj[i]);
		for (i = 1; i < nfix; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == r->spawnres)
				read_results(r);
			else if (read(r->wakefd, buf, sizeof(buf)) > 0) {
				r->waiting = 0;
				r->maybedue = 1;
			}
		}
		if (pfd[0].revents != 0)
			read_signals(r);
		timers(r, mono_ms());
		status_draw(r, mono_ms(), 0);
	}
	free(pfd);
	free(pj);
	return 0;
}

static int
setup(struct runner *r)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	int st = 0, i;
	long ncpu;

	if ((r->cmdpath = find_command(r->cmd[0])) == NULL) {
		fprintf(stderr, "spool: run: ");
		print_escaped(stderr, r->cmd[0]);
		fprintf(stderr, ": command not found or not executable\n");
		return EX_USAGE;
	}
	if ((r->q = open_queue(r->qname, 0, &st)) == NULL)
		return st;
	if (r->lease == 0)
		r->lease = spool_config(r->q)->lease_ms;
	if ((r->jobs = calloc((size_t)r->jmax, sizeof(*r->jobs))) == NULL) {
		errmsg(r, "%s", strerror(errno));
		return EX_IOERR;
	}
	for (i = 0; i < r->jmax; i++)
		r->jobs[i].outfd = r->jobs[i].errw = -1;
	if (job_setup(r) == -1 || setup_signals(r) == -1) {
		errmsg(r, "%s", strerror(errno));
		return EX_IOERR;
	}
	r->tty = !r->quiet && !r->json && isatty(STDERR_FILENO) &&
		 (term == NULL || strcmp(term, "dumb") != 0);
	r->color = r->tty && (nc == NULL || nc[0] == '\0');
	r->target = r->jmin;
	r->lastscale = mono_ms();
	r->maybedue = 1;
	closer_start();
	/* Spawning in parallel pays only with CPUs to exec on. */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	spawners_start(r, ncpu > r->jmax ? r->jmax : (int)ncpu);
	if (r->follow && waiter_start(r) == -1)
		return EX_IOERR;
	return 0;
}

/* Frees what setup() made; jobs are all settled by now. */
static void
teardown(struct runner *r)
{
	int i;

	if (r->jobs != NULL)
		for (i = 0; i < r->jmax; i++)
			job_free(r, &r->jobs[i]);
	free(r->jobs);
	free(r->env);
	free(r->qvar);
	free(r->cmdpath);
	if (r->q != NULL)
		spool_close(r->q);
}

int
cmd_run(int argc, char **argv)
{
	struct runner r;
	int st;

	open_std_fds();
	memset(&r, 0, sizeof(r));
	r.jmin = r.jmax = 1;
	r.grace = GRACE_MS;
	r.deadexit[100] = 1;
	r.sigfd = r.wakefd = r.reqfd = r.nullfd = -1;
	r.spawnreq = r.spawnres = -1;
	if ((st = parse_args(&r, argc, argv)) != 0)
		return st;
	for (st = 1; st < r.ncmd; st++)
		if (strstr(r.cmd[st], "{}") != NULL)
			r.has_braces = 1;
	if ((st = setup(&r)) != 0) {
		teardown(&r);
		return st;
	}
	st = loop(&r);
	settle_pending(&r);
	status_draw(&r, mono_ms(), 1);
	teardown(&r);
	if (st != 0)
		return st;
	if (r.stopping) {
		/* Die of the signal that stopped us, as a shell expects. */
		fflush(stdout);
		signal(r.stopsig, SIG_DFL);
		sigprocmask(SIG_SETMASK, &r.oldmask, NULL);
		sigprocmask(SIG_UNBLOCK, &r.sigs, NULL);
		raise(r.stopsig);
		return 128 + r.stopsig;
	}
	if (r.status != 0)
		return r.status;
	return r.nfailed > 0 ? 1 : EX_OK;
}
