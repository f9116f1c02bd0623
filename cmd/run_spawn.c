/*
 * run_spawn.c: starting job processes, off the main loop when jobs run
 * in parallel.
 *
 * A spawn is vfork, a few system calls in the child, execve.  The parent
 * is suspended until the child has exec'd, which takes most of a
 * millisecond for a dynamically linked program; a loop that spawned in
 * the main thread would start one job at a time however many may run.
 * So with -j above 1, spawner threads (as many as there are CPUs, at most
 * -j) do the vforks: the main loop prepares a job, writes its address to
 * a request pipe, and goes on claiming and reaping; a spawner writes the
 * address back to a result pipe once the child has exec'd (or failed
 * to), and the loop then learns the pid.  Two spawn loops in parallel
 * started 2,000 true/s where one started 1,150 on the project's 2-core
 * machines.
 *
 * Only a suspended thread shares its stack and its thread-local errno
 * with a vfork child, so the child is safe from the other threads; it
 * makes system calls only, with every signal blocked until it execs.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "run.h"

/*
 * Starts PATH with ARGV and ENVP in a process group of its own, with IN
 * on 0, OUT on 1 (the runner's own stdout when -1) and ERR on 2, no
 * other descriptor, no blocked signal and SIGPIPE back to default.
 * Returns 0 with *PID set, or an errno (the exec's own, if that failed).
 *
 * vfork, not posix_spawn: glibc's posix_spawn child resets every signal
 * disposition, some 64 system calls while the parent waits (a loop of
 * posix_spawn ran 779 true/s here, this 932/s).  A failed exec comes
 * back through EXECERR, which the parent reads once the child is gone.
 */
int
spawn(const char *path, char **argv, char **envp, int in, int out, int err,
    pid_t *pid)
{
	volatile int execerr = 0;
	sigset_t all, old;
	pid_t p;
	int st;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	p = vfork();
	if (p == 0) {
		sigset_t none;

		sigemptyset(&none);
		if (setpgid(0, 0) == -1 || dup2(in, 0) == -1 ||
		    (out != -1 && dup2(out, 1) == -1) || dup2(err, 2) == -1 ||
		    close_range(3, ~0U, 0) == -1 ||
		    signal(SIGPIPE, SIG_DFL) == SIG_ERR ||
		    sigprocmask(SIG_SETMASK, &none, NULL) == -1)
			execerr = errno;
		else {
			execve(path, argv, envp);
			execerr = errno;
		}
		_exit(127);
	}
	st = p == -1 ? errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (st != 0)
		return st;
	if (execerr != 0) {
		st = execerr;
		while (waitpid(p, NULL, 0) == -1 && errno == EINTR)
			continue;
		return st;
	}
	*pid = p;
	return 0;
}

/* Does the spawn J was prepared for; fills its result. */
void
spawn_job(struct runner *r, struct job *j)
{
	j->spawnerr = spawn(r->cmdpath, j->argv, j->envp,
	    r->batch ? r->nullfd : spool_msg_fd(j->msgs[0]),
	    r->capture ? j->errw : -1, j->errw, &j->spawnpid);
	j->start = mono_us();
}

struct spawner {
	struct runner *r;
	int req, res;
};

static void *
spawner_main(void *arg)
{
	struct spawner *s = arg;
	struct job *j;

	while (read(s->req, &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		spawn_job(s->r, j);
		if (write(s->res, &j, sizeof(j)) != (ssize_t)sizeof(j))
			break;
	}
	return NULL;
}

/*
 * Starts N spawner threads (none for N < 2: the loop then spawns
 * itself).  Returns the number started.
 */
int
spawners_start(struct runner *r, int n)
{
	static struct spawner s;
	int req[2], res[2], i;
	pthread_t t;

	if (n < 2)
		return 0;
	if (pipe2(req, O_CLOEXEC) == -1)
		return 0;
	if (pipe2(res, O_CLOEXEC | O_NONBLOCK) == -1) {
		close(req[0]);
		close(req[1]);
		return 0;
	}
	s.r = r;
	s.req = req[0];
	s.res = res[1];
	for (i = 0; i < n; i++) {
		if (pthread_create(&t, NULL, spawner_main, &s) != 0)
			break;
		pthread_detach(t);
	}
	if (i == 0) {
		close(req[0]);
		close(req[1]);
		close(res[0]);
		close(res[1]);
		return 0;
	}
	r->spawnreq = req[1];
	r->spawnres = res[0];
	return i;
}
