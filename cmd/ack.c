/*
 * ack.c: spool ack, which deletes claimed messages.  A token settles only
 * the claim it came from: once its lease expired and the message was
 * claimed again, or once it was settled, it fails (exit 3) and changes
 * nothing.
 */
#include <getopt.h>
#include <stdio.h>

#include "core.h"

static const struct option longopts[] = {
    {NULL, 0, NULL, 0},
};

static int
ack_one(struct spool *q, const char *token, void *arg)
{
	(void)arg;
	return spool_ack(q, token);
}

int
cmd_ack(int argc, char **argv)
{
	int c;

	guard_std_fds();
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1)
		return bad_option(c, argv);
	if (optind >= argc)
		return usage("missing TOKEN");
	return settle_tokens(argc - optind, argv + optind, ack_one, NULL);
}
