/*
 * cmd_report.c - 'refnet report [CONFIG] [--quiet] [--threads N] [--out DIR]': the main job.
 *
 * With no CONFIG it runs the built-in default configuration on the bundled sample
 * (rn_report_sample_dir finds it from the build tree or an installation).  The library does
 * the work (rn_report_run); this file parses options, draws progress on stderr when stderr is
 * a terminal (stage names and a bar; no colour when NO_COLOR is set; nothing with --quiet),
 * and prints a one-paragraph summary on stdout.  Exit codes are DESIGN.md's.
 */
#include "cli/commands.h"

#include <refnet/report.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report_usage(FILE *out)
{
	fprintf(out, "usage: refnet report [CONFIG.yaml] [--quiet] [--threads N] [--out DIR]\n\n"
		     "Runs the configured analysis (load, centrality, value, ROI) and writes the\n"
		     "report folder (report.dir of the configuration) atomically. Without CONFIG,\n"
		     "the built-in default configuration runs on the bundled sample data and the\n"
		     "report goes to ./refnet-report.\n\n"
		     "  -q, --quiet      no progress and no summary\n"
		     "  -t, --threads N  worker threads (default: all cores)\n"
		     "  -o, --out DIR    write the report here instead of report.dir\n"
		     "  -h, --help       show this help\n");
}

typedef struct progress_state {
	bool color;
	const char *stage;
	double started;
} progress_state;

/* Stage line on a terminal: "  centrality [#######.....]" redrawn in place. */
static void on_progress(void *ctx, const char *stage, double fraction)
{
	progress_state *p = ctx;
	const int width = 24;
	if (fraction < 0.0) {
		p->stage = stage;
		p->started = rn_now();
		fraction = 0.0;
	}
	int filled = (int)(fraction * width + 0.5);
	fprintf(stderr, "\r%s%-10s%s [", p->color ? "\033[1m" : "", stage,
		p->color ? "\033[0m" : "");
	for (int i = 0; i < width; i++)
		fputc(i < filled ? '#' : '.', stderr);
	fprintf(stderr, "]");
	if (fraction >= 1.0)
		fprintf(stderr, " %.2f s\n", rn_now() - p->started);
	fflush(stderr);
}

static int parse_threads(const char *text, int *threads)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || v < 1 || v > 4096)
		return -1;
	*threads = (int)v;
	return 0;
}

/* The file a reader opens first: the first of html, md, json, csv among the formats. */
static const char *main_file(const rn_enum_list *formats)
{
	static const struct {
		int format;
		const char *file;
	} order[] = {{RN_FORMAT_HTML, "report.html"},
		     {RN_FORMAT_MD, "report.md"},
		     {RN_FORMAT_JSON, "summary.json"},
		     {RN_FORMAT_CSV, "customers.csv"}};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		for (uint32_t k = 0; k < formats->count; k++)
			if (formats->items[k] == order[i].format)
				return order[i].file;
	return "";
}

static void summary(const rn_report_result *r, const char *file)
{
	printf("Report written to %s/%s. %u customers, %llu referral edges, %u "
	       "cascades (largest %u customers)",
	       r->dir, file, r->customers, (unsigned long long)r->edges, r->cascades,
	       r->largest_cascade);
	if (r->top_influencer)
		printf("; top influencer %s", r->top_influencer);
	if (r->has_value)
		printf("; total CLV %.2f and network value %.2f", r->total_clv,
		       r->total_network_value);
	printf(".");
	if (r->verdict)
		printf(" %s", r->verdict);
	if (r->warnings)
		printf(" %llu warnings (see the report).", (unsigned long long)r->warnings);
	printf(" Done in %.2f s.\n", r->seconds);
}

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"threads", required_argument, NULL, 't'},
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool quiet = false;
	rn_report_options opt;
	memset(&opt, 0, sizeof opt);
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qt:o:h", options, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 't':
			if (parse_threads(optarg, &opt.threads))
				return cli_usage_error("report",
						       "--threads needs a whole number from 1 to "
						       "4096, got '%s'",
						       optarg);
			break;
		case 'o':
			opt.out_dir = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		case ':':
			return cli_usage_error("report", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("report", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("report", "expected at most one CONFIG.yaml");
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	int status;
	if (optind < argc) {
		status = rn_config_load(&cfg, argv[optind], &err);
	} else {
		const char *sample = rn_report_sample_dir();
		if (!sample) {
			fprintf(stderr, "refnet: cannot find the bundled sample data (set "
					"REFNET_SAMPLE_DIR to the datasets/sample folder)\n");
			return 66;
		}
		status = rn_report_default_config(&cfg, sample, &err);
	}
	if (status)
		return cli_fail(&err);
	status = rn_config_check_inputs(&cfg, &err);
	progress_state ps = {getenv("NO_COLOR") == NULL, NULL, 0.0};
	if (!quiet && isatty(STDERR_FILENO)) {
		opt.progress = on_progress;
		opt.progress_ctx = &ps;
	}
	rn_report_result res;
	memset(&res, 0, sizeof res);
	if (status == RN_OK)
		status = rn_report_run(&cfg, &opt, &res, &err);
	const char *file = main_file(&cfg.report.formats);
	rn_config_free(&cfg);
	if (status)
		return cli_fail(&err);
	if (!quiet)
		summary(&res, file);
	rn_report_result_free(&res);
	return 0;
}
