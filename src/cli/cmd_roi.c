/*
 * cmd_roi.c - 'refnet roi CONFIG [-o FILE]': the ROI table as CSV - one row per campaign, per
 * channel and the referral programme, told apart by the `group` column (campaign, channel,
 * referral_programme) - computed exactly as the report computes it (rn_analysis_run to the
 * ROI depth, without centrality or the report folder).  -o writes FILE atomically.
 */
#include "cli/commands.h"
#include "cli/write_table.h"

#include <refnet/report.h>

#include <getopt.h>
#include <stdio.h>

static void roi_usage(FILE *out)
{
	fprintf(out,
		"usage: refnet roi CONFIG.yaml [-o FILE]\n\n"
		"ROI per campaign, per channel and of the referral programme as CSV:\n"
		"group, name, spend, customers, cac, value_direct, value_network, roi_direct,\n"
		"roi_total, wom_multiplier. Needs customers, spend and customer value.\n\n"
		"  -o, --output FILE  write to FILE instead of standard output\n"
		"  -h, --help         show this help\n");
}

int cmd_roi(int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *output = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			roi_usage(stdout);
			return 0;
		case ':':
			return cli_usage_error("roi", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("roi", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("roi", optind == argc ? "missing CONFIG.yaml"
							     : "expected one CONFIG.yaml");
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	int status = rn_config_load(&cfg, argv[optind], &err);
	if (status)
		return cli_fail(&err);
	rn_analysis *a = NULL;
	status = rn_config_check_inputs(&cfg, &err);
	if (status == RN_OK)
		status = rn_analysis_run(&a, &cfg, RN_ANALYSIS_ROI, NULL, &err);
	if (status == RN_OK)
		status = cli_write_table(output, a, rn_analysis_write_roi_csv, &err);
	rn_analysis_free(a);
	rn_config_free(&cfg);
	return status ? cli_fail(&err) : 0;
}
