/* cmd_roi.c - 'refnet roi': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_roi(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet roi: not available in this version\n");
	return 70;
}
