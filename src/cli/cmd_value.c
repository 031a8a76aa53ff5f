/*
 * cmd_value.c - 'refnet value CONFIG [-o FILE]': the per-customer value columns (customer,
 * clv, crv, network_value, rlv, quadrant) as CSV, computed exactly as the report computes
 * them (rn_analysis_run to the value depth), without centrality, ROI or the report folder.
 * Output goes to stdout or, with -o, to FILE written under a temporary name and renamed, so
 * that a failed run leaves no partial file.
 */
#include "cli/commands.h"
#include "cli/write_table.h"

static const char value_usage[] =
	"usage: refnet value CONFIG.yaml [-o FILE]\n\n"
	"Per-customer value as CSV: customer, clv, crv, network_value, rlv, quadrant\n"
	"(the CLV model and referral settings of the configuration).\n\n"
	"  -o, --output FILE  write to FILE instead of standard output\n"
	"  -h, --help         show this help\n";

int cmd_value(int argc, char **argv)
{
	return cli_table_command("value", value_usage, RN_ANALYSIS_VALUE,
				 rn_analysis_write_value_csv, argc, argv);
}
