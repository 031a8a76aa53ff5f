/* cmd_convert.c - 'refnet convert': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_convert(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet convert: not available in this version\n");
	return 70;
}
