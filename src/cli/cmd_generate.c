/* cmd_generate.c - 'refnet generate': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_generate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet generate: not available in this version\n");
	return 70;
}
