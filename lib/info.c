/*
 * info.c: a message's history, QUEUE/info/ID: one line per recorded
 * failure, "TIME attempt N: REASON", with the reason's newlines and
 * unprintable bytes escaped so that one entry is one line.  It lives
 * outside the message trees, so every file under new/, cur/, retry/ and
 * dead/ stays exactly one payload.  It is a diagnostic: writing it is
 * best-effort, and it goes when the message is acked or purged.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define REASON_MAX 4096
#define HISTORY_MAX (64 * 1024)

static int
info_dir(struct spool *q, int create)
{
	if (q->infofd != -1)
		return q->infofd;
	q->infofd = open_dir_at(q->rootfd, "info");
	if (q->infofd == -1 && errno == ENOENT && create &&
	    mkdirat(q->rootfd, "info", 0700) == 0) {
		q->infofd = open_dir_at(q->rootfd, "info");
		if (q->infofd != -1)
			fchmod(q->infofd, q->dirmode);
	}
	return q->infofd;
}

/* Escapes REASON (at most REASON_MAX bytes of it: the last ones). */
static size_t
escape(char *out, size_t size, const char *reason)
{
	size_t len = strlen(reason), o = 0;
	const unsigned char *p;

	if (len > REASON_MAX)
		reason += len - REASON_MAX;
	for (p = (const unsigned char *)reason; *p != '\0' && o + 5 < size;
	     p++) {
		if (*p == '\n')
			o += (size_t)snprintf(out + o, size - o, "\\n");
		else if (*p == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\\\");
		else if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\%03o", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return o;
}

int
history_append(
    struct spool *q, const char *id, unsigned attempt, const char *reason)
{
	char *line, when[32];
	struct tm tm;
	time_t t = time(NULL);
	size_t cap = REASON_MAX * 4 + 128, n;
	int dfd, fd, rc = 0;

	if ((dfd = info_dir(q, 1)) == -1)
		return seterr(q, "open info/");
	if ((line = malloc(cap)) == NULL)
		return seterr(q, "history");
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = (size_t)snprintf(line, cap, "%s attempt %u: ", when, attempt);
	n += escape(line + n, cap - n - 1, reason);
	line[n++] = '\n';
	fd = openat(dfd, id,
	    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0600);
	/* One write: O_APPEND keeps concurrent appenders' lines whole. */
	if (fd == -1 || fchmod(fd, q->filemode) == -1 ||
	    write_full(fd, line, n) == -1)
		rc = seterr(q, "write info/%s", id);
	if (fd != -1 && close(fd) == -1 && rc == 0)
		rc = seterr(q, "close info/%s", id);
	free(line);
	return rc;
}

int
history_remove(struct spool *q, const char *id)
{
	int dfd = info_dir(q, 0);

	if (dfd == -1 || unlinkat(dfd, id, 0) == 0 || errno == ENOENT)
		return 0;
	return seterr(q, "unlink info/%s", id);
}

int
spool_history(struct spool *q, const char *id, char **text)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int dfd, fd;

	*text = NULL;
	if (!spool_valid_id(id)) {
		errno = EINVAL;
		return seterr(q, "not a message ID");
	}
	if ((dfd = info_dir(q, 0)) == -1)
		return errno == ENOENT ? 0 : seterr(q, "open info/");
	if ((fd = safe_open(dfd, id, &st)) == -1)
		return errno == ENOENT ? 0 : seterr(q, "open info/%s", id);
	/* Keep the newest part of an overlong history. */
	if (st.st_size > HISTORY_MAX &&
	    lseek(fd, st.st_size - HISTORY_MAX, SEEK_SET) == -1) {
		close(fd);
		return seterr(q, "seek info/%s", id);
	}
	if ((buf = malloc(HISTORY_MAX + 1)) == NULL) {
		close(fd);
		return seterr(q, "history");
	}
	while (len < HISTORY_MAX &&
	       (n = read(fd, buf + len, HISTORY_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return seterr(q, "read info/%s", id);
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == 0) {
		free(buf);
		return 0;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}
