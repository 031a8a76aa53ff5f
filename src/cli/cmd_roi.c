/*
 * cmd_roi.c - 'refnet roi CONFIG [-o FILE]': the ROI table as CSV - one row per campaign, per
 * channel and the referral programme, told apart by the `group` column (campaign, channel,
 * referral_programme) - computed exactly as the report computes it (rn_analysis_run to the
 * ROI depth, without centrality or the report folder).  -o writes FILE atomically.
 */
#include "cli/commands.h"
#include "cli/write_table.h"

static const char roi_usage[] =
	"usage: refnet roi CONFIG.yaml [-o FILE]\n\n"
	"ROI per campaign, per channel and of the referral programme as CSV:\n"
	"group, name, spend, customers, cac, value_direct, value_network, roi_direct,\n"
	"roi_total, wom_multiplier. Needs customers, spend and customer value.\n\n"
	"  -o, --output FILE  write to FILE instead of standard output\n"
	"  -h, --help         show this help\n";

int cmd_roi(int argc, char **argv)
{
	return cli_table_command("roi", roi_usage, RN_ANALYSIS_ROI, rn_analysis_write_roi_csv,
				 argc, argv);
}
