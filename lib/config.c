/*
 * config.c: QUEUE/config, the queue's policy as "key value" lines:
 *
 *	max-attempts 5
 *	lease 5m
 *	backoff 30s:1h
 *
 * Blank lines and lines starting with '#' are ignored; an unknown key or
 * a bad value makes the queue unusable until spool init repairs it.  A
 * missing file means the defaults.  The file is replaced by rename, so a
 * reader sees the old policy or the new one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define CONFIG_MAX 4096
#define MAX_ATTEMPTS_LIMIT 1000000

static int
parse_line(struct spool_config *c, char *line)
{
	char *key = line, *val, *colon;
	int64_t n;

	if ((val = strchr(line, ' ')) == NULL)
		return -1;
	*val++ = '\0';
	if (strcmp(key, "max-attempts") == 0) {
		char *end;
		long v;

		errno = 0;
		v = strtol(val, &end, 10);
		if (*val < '0' || *val > '9' || *end != '\0' || errno != 0 ||
		    v < 1 || v > MAX_ATTEMPTS_LIMIT)
			return -1;
		c->max_attempts = (unsigned)v;
	} else if (strcmp(key, "lease") == 0) {
		if (spool_parse_duration(val, &n) == -1 || n < 1)
			return -1;
		c->lease_ms = n;
	} else if (strcmp(key, "backoff") == 0) {
		if ((colon = strchr(val, ':')) == NULL)
			return -1;
		*colon++ = '\0';
		if (spool_parse_duration(val, &c->backoff_min_ms) == -1 ||
		    spool_parse_duration(colon, &c->backoff_max_ms) == -1 ||
		    c->backoff_max_ms < c->backoff_min_ms)
			return -1;
	} else
		return -1;
	return 0;
}

int
read_config(struct spool *q)
{
	char buf[CONFIG_MAX + 1], *line, *next;
	ssize_t n;
	size_t len = 0;
	int fd, lineno = 0;

	spool_config_default(&q->cfg);
	fd = openat(q->rootfd, "config",
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return seterr(q, "config");
	}
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			seterr(q, "config");
			close(fd);
			return -1;
		}
		len += n;
	}
	close(fd);
	if (len == sizeof(buf) - 1 || memchr(buf, '\0', len) != NULL) {
		errno = EINVAL;
		seterr(q, "config: not a spool config file");
		return -1;
	}
	buf[len] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (parse_line(&q->cfg, line) == -1) {
			errno = EINVAL;
			snprintf(q->err, sizeof(q->err),
			    "config: line %d: bad setting (spool init repairs "
			    "it)",
			    lineno);
			return -1;
		}
	}
	return 0;
}

/* Formats MS in the largest unit that keeps it exact. */
static const char *
exact(int64_t ms, char *buf, size_t size)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} u[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (ms != 0 && ms % u[i].ms == 0) {
			snprintf(buf, size, "%lld%s", (long long)(ms / u[i].ms),
			    u[i].unit);
			return buf;
		}
	snprintf(buf, size, "%lldms", (long long)ms);
	return buf;
}

/*
 * Did the rename of TMP to "config" happen although it said ENOENT?  An
 * NFS client that retransmits a rename its server already did says so;
 * TMP is this process's own, and "config" is then the file we wrote.
 */
static int
renamed_anyway(int rootfd, const char *tmp, const struct stat *mine)
{
	struct stat st;

	return fstatat(rootfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
	       errno == ENOENT &&
	       fstatat(rootfd, "config", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_dev == mine->st_dev && st.st_ino == mine->st_ino;
}

int
write_config(
    int rootfd, const struct spool_config *c, unsigned mode, int nosync)
{
	char buf[256], tmp[64], a[32], b[32], l[32];
	struct stat mine;
	int fd, len, err;

	len = snprintf(buf, sizeof(buf),
	    "# spool queue policy; see spool(5).\n"
	    "max-attempts %u\nlease %s\nbackoff %s:%s\n",
	    c->max_attempts, exact(c->lease_ms, l, sizeof(l)),
	    exact(c->backoff_min_ms, a, sizeof(a)),
	    exact(c->backoff_max_ms, b, sizeof(b)));
	snprintf(tmp, sizeof(tmp), "config.%ld.tmp", (long)getpid());
	unlinkat(rootfd, tmp, 0);
	fd = openat(rootfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (fchmod(fd, mode & 0666) == -1 ||
	    write_full(fd, buf, (size_t)len) == -1 ||
	    (!nosync && fsync(fd) == -1) || fstat(fd, &mine) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(rootfd, tmp, rootfd, "config") == -1 &&
	    !(errno == ENOENT && renamed_anyway(rootfd, tmp, &mine)))
		goto fail;
	if (!nosync && fsync(rootfd) == -1)
		return -1;
	return 0;
fail:
	err = errno == 0 ? EIO : errno;
	if (fd != -1)
		close(fd);
	unlinkat(rootfd, tmp, 0);
	errno = err;
	return -1;
}
