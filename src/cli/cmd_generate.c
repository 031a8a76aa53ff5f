/*
 * cmd_generate.c - 'refnet generate': a synthetic export set with known ground truth.
 *
 * Options are collected first and applied in a fixed order (defaults, then --config, then
 * --channels, then every other option in command-line order), so that a per-channel --set
 * refines the channel list whatever the order it was typed in.  The model itself is in
 * src/gen/ and docs/GENERATOR.md.
 */
#include "cli/commands.h"

#include <refnet/gen.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
	printf("usage: refnet generate --customers N [options]\n"
	       "\n"
	       "Writes customers.csv, referrals.csv, transactions.csv, spend.csv and truth.json\n"
	       "(every parameter used and the realised counts) into DIR.  The same seed gives\n"
	       "the same bytes whatever the number of threads.  The model is described in\n"
	       "docs/GENERATOR.md.\n"
	       "\n"
	       "options:\n"
	       "  --customers N        exact number of customers (required here or in --config)\n"
	       "  --seed S             random seed (default 1)\n"
	       "  --out DIR            output directory (default synthetic)\n"
	       "  --start DATE         first day, YYYY-MM-DD (default 2024-01-01)\n"
	       "  --weeks W            length of the period in weeks (default 104)\n"
	       "  --mean-offspring M   mean successful referrals per customer (default 0.2)\n"
	       "  --refer-share S      share of customers who refer (default 0.3)\n"
	       "  --wom-rate R         extra word-of-mouth edges per customer (default 0.03)\n"
	       "  --channels LIST      paid channels, e.g. search,social,display,tv (default)\n"
	       "  --campaigns K        campaigns per channel (default: per channel preset)\n"
	       "  --messy              campaign names with commas and quotes (quoted CSV)\n"
	       "  --set KEY=VALUE      any parameter by its configuration key, e.g.\n"
	       "                       --set bgnbd_r=0.3 --set tv.theta=0.8 (repeatable)\n"
	       "  --config FILE        flat YAML file of 'key: value' parameters\n"
	       "  --threads T          worker threads (default: OpenMP default)\n"
	       "  --quiet              no progress bar and no summary\n"
	       "  --help               this text\n"
	       "\n"
	       "configuration keys: customers seed start weeks threads messy channels campaigns\n"
	       "  adstock_max_lag organic_base organic_trend organic_season refer_share\n"
	       "  mean_offspring offspring_sigma max_offspring delay_mean_days delay_shape\n"
	       "  wom_rate wom_reciprocal heavy_weight_share reward bgnbd_r bgnbd_alpha bgnbd_a\n"
	       "  bgnbd_b gg_p gg_q gg_gamma referred_value_lift, and per channel\n"
	       "  <channel>.{campaigns,spend,on_share,flight_weeks,beta,theta,half_saturation,shape}\n");
}

struct progress_state {
	int active;
	int last_permille;
	const char *last_stage;
};

static void draw_progress(void *ctx, const char *stage, double fraction)
{
	struct progress_state *ps = ctx;
	if (!ps->active)
		return;
	int permille = (int)(fraction * 1000.0);
	if (stage == ps->last_stage && permille == ps->last_permille)
		return;
	ps->last_stage = stage;
	ps->last_permille = permille;
	const int width = 30;
	int filled = permille * width / 1000;
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[width] = '\0';
	fprintf(stderr, "\r%-15s [%s] %5.1f%%", stage, bar, permille / 10.0);
	fflush(stderr);
}

struct setting {
	const char *key;
	char *value;
};

int cmd_generate(int argc, char **argv)
{
	enum {
		O_CUSTOMERS = 1000, O_SEED, O_OUT, O_START, O_WEEKS, O_OFFSPRING, O_SHARE, O_WOM,
		O_CHANNELS, O_CAMPAIGNS, O_MESSY, O_SET, O_CONFIG, O_THREADS, O_QUIET, O_HELP
	};
	static const struct option options[] = {
		{"customers", required_argument, NULL, O_CUSTOMERS},
		{"seed", required_argument, NULL, O_SEED},
		{"out", required_argument, NULL, O_OUT},
		{"start", required_argument, NULL, O_START},
		{"weeks", required_argument, NULL, O_WEEKS},
		{"mean-offspring", required_argument, NULL, O_OFFSPRING},
		{"refer-share", required_argument, NULL, O_SHARE},
		{"wom-rate", required_argument, NULL, O_WOM},
		{"channels", required_argument, NULL, O_CHANNELS},
		{"campaigns", required_argument, NULL, O_CAMPAIGNS},
		{"messy", no_argument, NULL, O_MESSY},
		{"set", required_argument, NULL, O_SET},
		{"config", required_argument, NULL, O_CONFIG},
		{"threads", required_argument, NULL, O_THREADS},
		{"quiet", no_argument, NULL, O_QUIET},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	static const char *const option_keys[] = {
		[O_CUSTOMERS - O_CUSTOMERS] = "customers", [O_SEED - O_CUSTOMERS] = "seed",
		[O_START - O_CUSTOMERS] = "start", [O_WEEKS - O_CUSTOMERS] = "weeks",
		[O_OFFSPRING - O_CUSTOMERS] = "mean_offspring",
		[O_SHARE - O_CUSTOMERS] = "refer_share", [O_WOM - O_CUSTOMERS] = "wom_rate",
		[O_CAMPAIGNS - O_CUSTOMERS] = "campaigns", [O_THREADS - O_CUSTOMERS] = "threads",
	};

	struct setting settings[256];
	int n_settings = 0, quiet = 0, messy = 0;
	const char *out = "synthetic", *config = NULL, *channels = NULL;
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case O_HELP:
			help();
			return 0;
		case O_OUT:
			out = optarg;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_CHANNELS:
			channels = optarg;
			break;
		case O_QUIET:
			quiet = 1;
			break;
		case O_MESSY:
			messy = 1;
			break;
		case O_SET: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return cli_usage_error("generate", "--set expects KEY=VALUE, got '%s'",
						       optarg);
			if (n_settings == (int)(sizeof settings / sizeof settings[0]))
				return cli_usage_error("generate", "too many options");
			*eq = '\0';
			settings[n_settings].key = optarg;
			settings[n_settings].value = eq + 1;
			n_settings++;
			break;
		}
		case '?':
			if (optopt)
				return cli_usage_error("generate", "option '%s' needs a value or is "
						       "unknown", argv[optind - 1]);
			return cli_usage_error("generate", "unknown option '%s'", argv[optind - 1]);
		default:
			if (n_settings == (int)(sizeof settings / sizeof settings[0]))
				return cli_usage_error("generate", "too many options");
			settings[n_settings].key = option_keys[opt - O_CUSTOMERS];
			settings[n_settings].value = optarg;
			n_settings++;
			break;
		}
	}
	if (optind < argc)
		return cli_usage_error("generate", "unexpected argument '%s'", argv[optind]);

	rn_gen_params params;
	rn_gen_params_default(&params);
	rn_error err;
	rn_error_clear(&err);
	if (config) {
		int rc = rn_gen_params_load(&params, config, &err);
		if (rc)
			return cli_fail(&err);
	}
	if (channels && rn_gen_params_set(&params, "channels", channels, &err))
		return cli_usage_error("generate", "%s", err.message);
	for (int i = 0; i < n_settings; i++) {
		if (rn_gen_params_set(&params, settings[i].key, settings[i].value, &err))
			return cli_usage_error("generate", "%s", err.message);
	}
	if (messy)
		params.messy = 1;
	if (params.customers == 0)
		return cli_usage_error("generate", "--customers N is required");
	if (rn_gen_params_check(&params, &err))
		return cli_usage_error("generate", "%s", err.message);

	struct progress_state ps = {!quiet && isatty(STDERR_FILENO), -1, NULL};
	rn_gen_stats stats;
	double t0 = rn_now();
	int rc = rn_generate(&params, out, draw_progress, &ps, &stats, &err);
	if (ps.active)
		fprintf(stderr, "\n");
	if (rc)
		return cli_fail(&err);
	if (!quiet)
		fprintf(stderr,
			"refnet generate: %llu customers (%llu paid, %llu organic, %llu referred), "
			"%llu referral edges, %llu transactions in %s/ (%.1f s)\n",
			(unsigned long long)stats.customers, (unsigned long long)stats.paid,
			(unsigned long long)stats.organic, (unsigned long long)stats.referred,
			(unsigned long long)(stats.primary_edges + stats.wom_edges),
			(unsigned long long)stats.transactions, out, rn_now() - t0);
	return 0;
}
