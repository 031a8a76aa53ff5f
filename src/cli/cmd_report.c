/* cmd_report.c - 'refnet report': not available in this build yet. */
#include "cli/commands.h"

#include <stdio.h>

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "refnet report: not available in this version\n");
	return 70;
}
