/*
 * cmd_check.c - 'refnet check CONFIG [--print-config]': validate a configuration and make
 * sure its inputs can be opened, without running any analysis.  The library does the work
 * (rn_config_load, rn_config_check_inputs); this file only parses options and maps errors to
 * exit codes: 78 bad configuration, 66 missing input, 64 usage.
 */
#include "cli/commands.h"

#include <refnet/report.h>

#include <getopt.h>
#include <stdio.h>

static void check_usage(FILE *out)
{
	fprintf(out, "usage: refnet check CONFIG.yaml [--print-config]\n\n"
		     "Validates the configuration (unknown keys, types, ranges) and loads every\n"
		     "input file with the configured columns and policies; runs no analysis.\n\n"
		     "  --print-config  print the resolved configuration (every key) as YAML\n"
		     "  -h, --help      show this help\n");
}

int cmd_check(int argc, char **argv)
{
	static const struct option options[] = {
	    {"print-config", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int print_config = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			print_config = 1;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("check", optind == argc ? "missing CONFIG.yaml"
							       : "expected one CONFIG.yaml");
	const char *path = argv[optind];
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	int status = rn_config_load(&cfg, path, &err);
	if (status)
		return cli_fail(&err);
	rn_input_summary inputs;
	status = rn_config_validate_inputs(&cfg, &inputs, &err);
	if (status == RN_OK && print_config)
		status = rn_config_write_yaml(&cfg, stdout, &err);
	if (status) {
		rn_config_free(&cfg);
		return cli_fail(&err);
	}
	if (!print_config)
		printf("%s: configuration and inputs OK: %llu customers, %llu referrals "
		       "(%llu edges), %llu transactions, %llu spend rows, %llu rows skipped\n",
		       path, (unsigned long long)inputs.nodes, (unsigned long long)inputs.referrals,
		       (unsigned long long)inputs.edges, (unsigned long long)inputs.transactions,
		       (unsigned long long)inputs.spend, (unsigned long long)inputs.skipped_rows);
	rn_config_free(&cfg);
	return 0;
}
