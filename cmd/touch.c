/* touch.c: placeholder until the subcommand lands; always fails. */
#include <stdio.h>

#include "cmd.h"

int
cmd_touch(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "spool: touch: not implemented yet\n");
	return EX_IOERR;
}
