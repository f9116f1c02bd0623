/*
 * fuzz_config.c: libFuzzer harness for the config parser, through the
 * public API: the input becomes QUEUE/config of a scratch queue, then
 * spool_open() must either refuse it (errno EINVAL, with a message) or
 * return a handle whose policy is within the documented bounds.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char queue[256], config[300];

static void
cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", queue);
	if (queue[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "fuzz_config: cannot remove %s\n", queue);
}

static void
make_queue(void)
{
	char tmpl[] = "/tmp/fuzz_config.XXXXXX", *dir;
	struct spool_config def;

	if ((dir = mkdtemp(tmpl)) == NULL)
		abort();
	snprintf(queue, sizeof(queue), "%s/q", dir);
	snprintf(config, sizeof(config), "%s/config", queue);
	spool_config_default(&def);
	if (spool_init(queue, &def, 0, 0) != 0) {
		fprintf(
		    stderr, "fuzz_config: spool_init: %s\n", strerror(errno));
		abort();
	}
	/* The scratch directory itself, for cleanup. */
	snprintf(queue, sizeof(queue), "%s", dir);
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct spool_config *c;
	struct spool *q;
	char path[300];
	int fd;

	if (config[0] == '\0')
		make_queue();
	if ((fd = open(config, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	snprintf(path, sizeof(path), "%s/q", queue);
	if ((q = spool_open(path, 0)) == NULL) {
		if (errno != EINVAL || spool_open_error()[0] == '\0') {
			fprintf(stderr, "refused with errno %d: %s\n", errno,
			    spool_open_error());
			abort();
		}
		return 0;
	}
	c = spool_config(q);
	if (c->max_attempts < 1 || c->lease_ms < 1 || c->backoff_min_ms < 0 ||
	    c->backoff_max_ms < c->backoff_min_ms)
		abort();
	spool_close(q);
	return 0;
}
