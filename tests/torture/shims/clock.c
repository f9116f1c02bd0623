/*
 * clock.c: an LD_PRELOAD shim that freezes the wall clock at $SHIM_NOW
 * (seconds since the epoch, a fraction allowed), or else moves it by
 * $SHIM_SKEW seconds (a host whose clock is off), for clock_gettime() of
 * CLOCK_REALTIME and CLOCK_REALTIME_COARSE, gettimeofday() and time().
 * Monotonic clocks run as usual.
 *
 * The sweeps need every run of a command to take the same path (the same
 * buckets to make, the same leases due), so that call k of the reference
 * trace is call k of each injected run.  libfaketime could freeze the
 * clock too, but it creates shared memory in /dev/shm for each process:
 * extra syscalls, and files left behind by every killed run.
 */
#include <sys/time.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static int
frozen(struct timespec *ts)
{
	const char *s = getenv("SHIM_NOW");
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtod(s, &end);
	ts->tv_sec = (time_t)v;
	ts->tv_nsec = (long)((v - (double)ts->tv_sec) * 1e9);
	return 1;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int (*real)(clockid_t, struct timespec *) = (int (*)(
	    clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");

	const char *skew = getenv("SHIM_SKEW");
	int rc;

	if ((id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) && frozen(ts))
		return 0;
	rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) &&
	    skew != NULL && *skew != '\0') {
		long long ns =
		    (long long)(strtod(skew, NULL) * 1e9) + ts->tv_nsec;

		ts->tv_sec += (time_t)(ns / 1000000000);
		ts->tv_nsec = (long)(ns % 1000000000);
		if (ts->tv_nsec < 0) {
			ts->tv_nsec += 1000000000;
			ts->tv_sec--;
		}
	}
	return rc;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
