/*
 * cmd_convert.c - 'refnet convert REFERRALS -o GRAPH.rnb': write a binary graph snapshot.
 */
#include "cli/commands.h"
#include "cli/load_graph.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char convert_usage[] =
	"usage: refnet convert REFERRALS -o GRAPH.rnb [--duplicates sum|max|first|error] [--quiet]\n"
	"\n"
	"Loads a referrals table (CSV, .csv.gz or .csv.zst) and writes the graph and its customer\n"
	"ids as a binary snapshot that every graph command loads by memory mapping.\n";

int cmd_convert(int argc, char **argv)
{
	static const struct option options[] = {
		{"output", required_argument, NULL, 'o'},
		{"duplicates", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *output = NULL;
	rn_dup_policy policy = RN_DUP_SUM;
	int quiet = 0, opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:d:qh", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'd':
			if (cli_parse_dup_policy(optarg, &policy))
				return cli_usage_error("convert",
						       "--duplicates must be sum, max, first or error");
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(convert_usage, stdout);
			return 0;
		default:
			return cli_usage_error("convert", "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("convert", "expected one referrals file");
	if (!output)
		return cli_usage_error("convert", "-o GRAPH.rnb is required");

	cli_graph loaded;
	rn_error err;
	rn_error_clear(&err);
	if (cli_load_graph(&loaded, argv[optind], policy, true, &err) != RN_OK)
		return cli_fail(&err);
	double start = rn_now();
	int rc = rn_snapshot_write(output, &loaded.graph, loaded.dataset.ids, &err);
	if (rc == RN_OK && !quiet)
		fprintf(stderr, "refnet convert: %u customers, %llu referrals -> %s (load %.2f s, "
				"write %.2f s)\n",
			loaded.graph.n, (unsigned long long)loaded.graph.m, output,
			loaded.load_seconds, rn_now() - start);
	cli_graph_free(&loaded);
	return rc == RN_OK ? 0 : cli_fail(&err);
}
