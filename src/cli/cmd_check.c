/* cmd_check.c - 'refnet check': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet check: not available in this version\n");
	return 70;
}
