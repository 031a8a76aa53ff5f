/* cmd_value.c - 'refnet value': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_value(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet value: not available in this version\n");
	return 70;
}
