/* cmd_rank.c - 'refnet rank': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_rank(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet rank: not available in this version\n");
	return 70;
}
