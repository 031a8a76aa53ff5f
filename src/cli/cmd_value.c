/*
 * cmd_value.c - 'refnet value CONFIG [-o FILE]': the per-customer value columns (customer,
 * clv, crv, network_value, rlv, quadrant) as CSV, computed exactly as the report computes
 * them (rn_analysis_run to the value depth), without centrality, ROI or the report folder.
 * Output goes to stdout or, with -o, to FILE written under a temporary name and renamed, so
 * that a failed run leaves no partial file.
 */
#include "cli/commands.h"
#include "cli/write_table.h"

#include <refnet/report.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void value_usage(FILE *out)
{
	fprintf(out, "usage: refnet value CONFIG.yaml [-o FILE]\n\n"
		     "Per-customer value as CSV: customer, clv, crv, network_value, rlv, quadrant\n"
		     "(the CLV model and referral settings of the configuration).\n\n"
		     "  -o, --output FILE  write to FILE instead of standard output\n"
		     "  -h, --help         show this help\n");
}

int cmd_value(int argc, char **argv)
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
			value_usage(stdout);
			return 0;
		case ':':
			return cli_usage_error("value", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("value", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("value", optind == argc ? "missing CONFIG.yaml"
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
		status = rn_analysis_run(&a, &cfg, RN_ANALYSIS_VALUE, NULL, &err);
	if (status == RN_OK)
		status = cli_write_table(output, a, rn_analysis_write_value_csv, &err);
	rn_analysis_free(a);
	rn_config_free(&cfg);
	return status ? cli_fail(&err) : 0;
}
