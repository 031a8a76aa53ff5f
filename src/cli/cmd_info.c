/* cmd_info.c - 'refnet info': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_info(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet info: not available in this version\n");
	return 70;
}
