/*
 * test_config.c - the YAML configuration: defaults, path resolution, every error kind with
 * its exact "file:line:column: key: message", the hostile-document caps, printing and
 * re-loading, input checks, and every allocation failure.
 */
#include <refnet/report.h>

#include "check.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char message[4096];

/* Loads text as "t.yaml" with base directory /base; returns the status and leaves the
 * formatted error in `message`. */
static int load(rn_config *cfg, const char *text)
{
	rn_error err;
	rn_error_clear(&err);
	int status = rn_config_load_string(cfg, text, strlen(text), "t.yaml", "/base", &err);
	message[0] = '\0';
	if (status)
		rn_error_format(&err, message, sizeof message);
	return status;
}

/* Expects text to fail with RN_ECONFIG and exactly the message want. */
#define CHECK_FAILS(text, want)                                                                    \
	do {                                                                                       \
		rn_config cfg_;                                                                    \
		CHECK_INT(load(&cfg_, text), RN_ECONFIG);                                          \
		CHECK_STR(message, want);                                                          \
		rn_config_free(&cfg_);                                                             \
	} while (0)

#define REF "inputs: {referrals: r.csv}\n"

static void test_defaults(void)
{
	rn_config cfg;
	CHECK_INT(load(&cfg, "inputs:\n  referrals: r.csv\n"), RN_OK);
	CHECK_STR(cfg.title, "Referral analysis");
	CHECK_STR(cfg.inputs.referrals, "/base/r.csv");
	CHECK(cfg.inputs.customers == NULL);
	CHECK(cfg.inputs.transactions == NULL);
	CHECK(cfg.inputs.spend == NULL);
	CHECK(cfg.inputs.date_format == NULL);
	CHECK_STR(cfg.inputs.columns.referrer, "referrer");
	CHECK_STR(cfg.inputs.columns.referred, "referred");
	CHECK_STR(cfg.inputs.columns.tx_customer, "customer");
	CHECK_STR(cfg.inputs.columns.spend_channel, "channel");
	CHECK_INT(cfg.load.duplicate_edges, RN_DUP_SUM);
	CHECK_INT(cfg.load.self_loops, RN_SELF_LOOPS_DROP);
	CHECK_INT(cfg.load.on_error, RN_ON_ERROR_FAIL);
	CHECK(cfg.centrality.pagerank.damping == 0.85);
	CHECK(cfg.centrality.pagerank.tolerance == 1.0e-10);
	CHECK_INT(cfg.centrality.pagerank.teleport, RN_TELEPORT_UNIFORM);
	CHECK(cfg.centrality.katz.alpha == 0.0); /* not given: 0.1 or lower, by the graph */
	CHECK_INT(cfg.centrality.reach.exact_max_nodes, 200000);
	CHECK_INT(cfg.value.model, RN_MODEL_HISTORIC);
	CHECK_INT(cfg.value.time_unit, RN_UNIT_WEEK);
	CHECK(!cfg.value.has_calibration_end);
	CHECK(cfg.value.horizon == 52);
	CHECK(cfg.value.discount_rate == 0.10);
	CHECK(cfg.value.margin == 1.0);
	CHECK_INT(cfg.referral.attribution, RN_ATTRIBUTION_EQUAL);
	CHECK(cfg.referral.incremental_share == 0.5);
	CHECK(cfg.referral.acquisition_cost_auto);
	CHECK(cfg.referral.generation_decay == 0.5);
	CHECK_INT(cfg.referral.horizon_days, 365);
	CHECK(cfg.referral.discount_rate == 0.15);
	CHECK_INT(cfg.roi.group_by.count, 2);
	CHECK_INT(cfg.roi.group_by.items[0], RN_GROUP_CAMPAIGN);
	CHECK_INT(cfg.roi.group_by.items[1], RN_GROUP_CHANNEL);
	CHECK(cfg.roi.mix_model.enabled);
	CHECK_INT(cfg.roi.mix_model.adstock_max_lag, 8);
	CHECK_INT(cfg.roi.mix_model.bootstrap, 200);
	CHECK_INT(cfg.roi.mix_model.seed, 1);
	CHECK_STR(cfg.report.dir, "/base/refnet-report");
	CHECK_INT(cfg.report.formats.count, 4);
	CHECK_INT(cfg.report.formats.items[3], RN_FORMAT_JSON);
	CHECK_INT(cfg.report.top, 25);
	CHECK_INT(cfg.report.graph_export, RN_EXPORT_NONE);
	uint64_t line = 0, column = 0;
	CHECK(rn_config_position(&cfg, "inputs.referrals", &line, &column));
	CHECK_INT(line, 2);
	CHECK_INT(column, 14);
	CHECK(!rn_config_position(&cfg, "centrality.katz.alpha", &line, &column));
	rn_config_free(&cfg);
}

/* Every key set to a non-default value, as the DESIGN.md example writes them. */
static const char full_config[] = "title: \"Referral analysis Q3\"\n"
				  "inputs:\n"
				  "  referrals: data/referrals.csv\n"
				  "  customers: ./data/customers.csv\n"
				  "  transactions: /abs/transactions.csv.gz\n"
				  "  spend: data/spend.csv\n"
				  "  columns:\n"
				  "    referrals: {referrer: from_id, referred: to_id}\n"
				  "    customers: {clv: value}\n"
				  "    transactions: {amount: revenue}\n"
				  "    spend: {channel: medium}\n"
				  "  date_format: \"%d/%m/%Y\"\n"
				  "load:\n"
				  "  duplicate_edges: max\n"
				  "  self_loops: error\n"
				  "  on_error: skip\n"
				  "centrality:\n"
				  "  pagerank: {damping: 0.9, tolerance: 1.0e-8, teleport: clv}\n"
				  "  katz: {alpha: 0.05}\n"
				  "  reach: {exact_max_nodes: 1000}\n"
				  "value:\n"
				  "  model: bgnbd\n"
				  "  time_unit: month\n"
				  "  calibration_end: 1997-09-30\n"
				  "  horizon: 12.5\n"
				  "  discount_rate: 0\n"
				  "  margin: 0.3\n"
				  "referral:\n"
				  "  attribution: weight\n"
				  "  incremental_share: 1\n"
				  "  acquisition_cost_saved: 42.5\n"
				  "  generation_decay: 0\n"
				  "  horizon_days: 730\n"
				  "  discount_rate: 0.2\n"
				  "roi:\n"
				  "  group_by: [channel]\n"
				  "  mix_model: {enabled: false, adstock_max_lag: 0, bootstrap: 0, "
				  "seed: 18446744073709551615}\n"
				  "report:\n"
				  "  dir: out/report\n"
				  "  formats: [json, csv]\n"
				  "  top: 1\n"
				  "  graph_export: gexf\n";

static void test_full(void)
{
	rn_config cfg;
	CHECK_INT(load(&cfg, full_config), RN_OK);
	CHECK_STR(cfg.title, "Referral analysis Q3");
	CHECK_STR(cfg.inputs.referrals, "/base/data/referrals.csv");
	CHECK_STR(cfg.inputs.customers, "/base/data/customers.csv");
	CHECK_STR(cfg.inputs.transactions, "/abs/transactions.csv.gz");
	CHECK_STR(cfg.inputs.spend, "/base/data/spend.csv");
	CHECK_STR(cfg.inputs.columns.referrer, "from_id");
	CHECK_STR(cfg.inputs.columns.referred, "to_id");
	CHECK_STR(cfg.inputs.columns.date, "date");
	CHECK_STR(cfg.inputs.columns.clv, "value");
	CHECK_STR(cfg.inputs.columns.amount, "revenue");
	CHECK_STR(cfg.inputs.columns.spend_amount, "amount");
	CHECK_STR(cfg.inputs.columns.spend_channel, "medium");
	CHECK_STR(cfg.inputs.date_format, "%d/%m/%Y");
	CHECK_INT(cfg.load.duplicate_edges, RN_DUP_MAX);
	CHECK_INT(cfg.load.self_loops, RN_SELF_LOOPS_ERROR);
	CHECK_INT(cfg.load.on_error, RN_ON_ERROR_SKIP);
	CHECK(cfg.centrality.pagerank.damping == 0.9);
	CHECK(cfg.centrality.pagerank.tolerance == 1.0e-8);
	CHECK_INT(cfg.centrality.pagerank.teleport, RN_TELEPORT_CLV);
	CHECK(cfg.centrality.katz.alpha == 0.05);
	CHECK_INT(cfg.centrality.reach.exact_max_nodes, 1000);
	CHECK_INT(cfg.value.model, RN_MODEL_BGNBD);
	CHECK_INT(cfg.value.time_unit, RN_UNIT_MONTH);
	CHECK(cfg.value.has_calibration_end);
	CHECK_INT(cfg.value.calibration_end, 10134); /* days from 1970-01-01 to 1997-09-30 */
	CHECK(cfg.value.horizon == 12.5);
	CHECK(cfg.value.discount_rate == 0);
	CHECK(cfg.value.margin == 0.3);
	CHECK_INT(cfg.referral.attribution, RN_ATTRIBUTION_WEIGHT);
	CHECK(cfg.referral.incremental_share == 1);
	CHECK(!cfg.referral.acquisition_cost_auto);
	CHECK(cfg.referral.acquisition_cost_saved == 42.5);
	CHECK(cfg.referral.generation_decay == 0);
	CHECK_INT(cfg.referral.horizon_days, 730);
	CHECK(cfg.referral.discount_rate == 0.2);
	CHECK_INT(cfg.roi.group_by.count, 1);
	CHECK_INT(cfg.roi.group_by.items[0], RN_GROUP_CHANNEL);
	CHECK(!cfg.roi.mix_model.enabled);
	CHECK_INT(cfg.roi.mix_model.adstock_max_lag, 0);
	CHECK_INT(cfg.roi.mix_model.bootstrap, 0);
	CHECK(cfg.roi.mix_model.seed == UINT64_MAX);
	CHECK_STR(cfg.report.dir, "/base/out/report");
	CHECK_INT(cfg.report.formats.count, 2);
	CHECK_INT(cfg.report.formats.items[0], RN_FORMAT_JSON);
	CHECK_INT(cfg.report.formats.items[1], RN_FORMAT_CSV);
	CHECK_INT(cfg.report.top, 1);
	CHECK_INT(cfg.report.graph_export, RN_EXPORT_GEXF);
	CHECK_STR(rn_config_enum_name("load.duplicate_edges", cfg.load.duplicate_edges), "max");
	CHECK_STR(rn_config_enum_name("value.model", RN_MODEL_COLUMN), "column");
	CHECK(rn_config_enum_name("value.model", 7) == NULL);
	CHECK(rn_config_enum_name("value.nothing", 0) == NULL);
	rn_error err;
	rn_error_clear(&err);
	CHECK_INT(rn_config_error(&cfg, &err, RN_ECONFIG, "centrality.katz.alpha",
				  "must be below 1/lambda_max = %g", 0.04),
		  RN_ECONFIG);
	rn_error_format(&err, message, sizeof message);
	CHECK_STR(message,
		  "t.yaml:19:17: centrality.katz.alpha: must be below 1/lambda_max = 0.04");
	rn_config_free(&cfg);
}

static void test_unknown_and_duplicate(void)
{
	CHECK_FAILS(
	    REF "centrality:\n  pagerank:\n    dampng: 0.9\n",
	    "t.yaml:4:5: centrality.pagerank.dampng: unknown key (did you mean 'damping'?)");
	CHECK_FAILS(REF "reprot: {}\n", "t.yaml:2:1: reprot: unknown key (did you mean 'report'?)");
	CHECK_FAILS(REF "load: {colour: red}\n",
		    "t.yaml:2:8: load.colour: unknown key; expected one of: duplicate_edges, "
		    "self_loops, on_error");
	CHECK_FAILS(REF "title: a\ntitle: b\n",
		    "t.yaml:3:1: title: duplicate key (first given on line 2)");
	CHECK_FAILS("inputs:\n  referrals: a.csv\n  referrals: b.csv\n",
		    "t.yaml:3:3: inputs.referrals: duplicate key (first given on line 2)");
	CHECK_FAILS(REF "? [a, b]\n: 1\n",
		    "t.yaml:2:3: (top level): keys must be plain names, found a list");
}

static void test_types(void)
{
	CHECK_FAILS(REF "centrality: {pagerank: {damping: \"0.85\"}}\n",
		    "t.yaml:2:34: centrality.pagerank.damping: expected a number, found a string");
	CHECK_FAILS(REF "centrality: {katz: {alpha: abc}}\n",
		    "t.yaml:2:28: centrality.katz.alpha: expected a number, found 'abc'");
	CHECK_FAILS(REF "centrality: {pagerank: {damping: }}\n",
		    "t.yaml:2:34: centrality.pagerank.damping: expected a number, found null");
	/* Katz alpha may be null: not given, chosen from the graph (stored as 0). */
	rn_config nul;
	CHECK_INT(load(&nul, REF "centrality: {katz: {alpha: }}\n"), RN_OK);
	CHECK(nul.centrality.katz.alpha == 0.0);
	rn_config_free(&nul);
	CHECK_FAILS(REF "centrality: {katz: {alpha: .inf}}\n",
		    "t.yaml:2:28: centrality.katz.alpha: expected a number, found '.inf'");
	CHECK_FAILS(REF "centrality: {katz: {alpha: 0x10}}\n",
		    "t.yaml:2:28: centrality.katz.alpha: expected a number, found '0x10'");
	CHECK_FAILS(REF "centrality: {katz: {alpha: [1]}}\n",
		    "t.yaml:2:28: centrality.katz.alpha: expected a number, found a list");
	CHECK_FAILS("inputs: [a.csv]\n", "t.yaml:1:9: inputs: expected a mapping, found a list");
	CHECK_FAILS(REF "title: {a: 1}\n", "t.yaml:2:8: title: expected a string, found a mapping");
	CHECK_FAILS(REF "report: {formats: html}\n",
		    "t.yaml:2:19: report.formats: expected a list, found a string");
	CHECK_FAILS(REF "report: {top: 2.5}\n",
		    "t.yaml:2:15: report.top: expected a whole number, found 2.5");
	CHECK_FAILS(REF "report: {top: ten}\n",
		    "t.yaml:2:15: report.top: expected a whole number, found 'ten'");
	CHECK_FAILS(REF "report: {top: \"10\"}\n",
		    "t.yaml:2:15: report.top: expected a whole number, found a string");
	CHECK_FAILS("inputs: {referrals: ~}\n",
		    "t.yaml:1:21: inputs.referrals: expected a string, found null");
	CHECK_FAILS("inputs: {referrals: \"\"}\n",
		    "t.yaml:1:21: inputs.referrals: must not be empty");
	CHECK_FAILS("- a\n- b\n", "t.yaml:1:1: (top level): expected a mapping, found a list");
	CHECK_FAILS(REF "inputs2: 1\n",
		    "t.yaml:2:1: inputs2: unknown key (did you mean 'inputs'?)");
	CHECK_FAILS("inputs: {referrals: r.csv, columns: {referrals: {referrer: \"\"}}}\n",
		    "t.yaml:1:60: inputs.columns.referrals.referrer: must not be empty");
	/* null for an optional input, and for a whole section, means "the default" */
	rn_config cfg;
	CHECK_INT(load(&cfg, "inputs: {referrals: r.csv, customers: ~}\nload:\n"), RN_OK);
	CHECK(cfg.inputs.customers == NULL);
	CHECK_INT(cfg.load.duplicate_edges, RN_DUP_SUM);
	rn_config_free(&cfg);
	/* !!str makes a plain-looking scalar a string; foreign tags are refused */
	CHECK_FAILS(REF "report: {top: !!str 5}\n",
		    "t.yaml:2:15: report.top: expected a whole number, found a string");
	CHECK_FAILS(REF "report: {top: !custom 5}\n",
		    "t.yaml:2:15: YAML tag '!custom' is not supported");
}

static void test_ranges(void)
{
	CHECK_FAILS(REF "centrality: {pagerank: {damping: 1}}\n",
		    "t.yaml:2:34: centrality.pagerank.damping: must be in (0, 1) (found 1)");
	CHECK_FAILS(REF "centrality: {pagerank: {damping: 0}}\n",
		    "t.yaml:2:34: centrality.pagerank.damping: must be in (0, 1) (found 0)");
	CHECK_FAILS(REF "centrality: {pagerank: {tolerance: 0}}\n",
		    "t.yaml:2:36: centrality.pagerank.tolerance: must be in (0, 1) (found 0)");
	CHECK_FAILS(REF "centrality: {katz: {alpha: -0.1}}\n",
		    "t.yaml:2:28: centrality.katz.alpha: must be > 0 (found -0.1)");
	CHECK_FAILS(REF "centrality: {reach: {exact_max_nodes: -1}}\n",
		    "t.yaml:2:39: centrality.reach.exact_max_nodes: must be in [0, 4294967295] "
		    "(found -1)");
	CHECK_FAILS(REF "value: {horizon: 0}\n",
		    "t.yaml:2:18: value.horizon: must be in (0, 1e+06] (found 0)");
	CHECK_FAILS(REF "value: {discount_rate: 15}\n",
		    "t.yaml:2:24: value.discount_rate: must be in [0, 1] (found 15)");
	CHECK_FAILS(REF "value: {margin: 0}\n",
		    "t.yaml:2:17: value.margin: must be in (0, 1] (found 0)");
	CHECK_FAILS(REF "referral: {incremental_share: 1.5}\n",
		    "t.yaml:2:31: referral.incremental_share: must be in [0, 1] (found 1.5)");
	CHECK_FAILS(REF "referral: {generation_decay: 1}\n",
		    "t.yaml:2:30: referral.generation_decay: must be in [0, 1) (found 1)");
	CHECK_FAILS(REF "referral: {horizon_days: 0}\n",
		    "t.yaml:2:26: referral.horizon_days: must be in [1, 36500] (found 0)");
	CHECK_FAILS(REF "referral: {discount_rate: -0.01}\n",
		    "t.yaml:2:27: referral.discount_rate: must be in [0, 1] (found -0.01)");
	CHECK_FAILS(
	    REF "referral: {acquisition_cost_saved: -1}\n",
	    "t.yaml:2:36: referral.acquisition_cost_saved: must be auto or >= 0 (found -1)");
	CHECK_FAILS(REF "referral: {acquisition_cost_saved: cheap}\n",
		    "t.yaml:2:36: referral.acquisition_cost_saved: expected auto or a number, "
		    "found 'cheap'");
	CHECK_FAILS(REF "roi: {mix_model: {bootstrap: -1}}\n",
		    "t.yaml:2:30: roi.mix_model.bootstrap: must be in [0, 100000] (found -1)");
	CHECK_FAILS(REF "roi: {mix_model: {seed: 18446744073709551616}}\n",
		    "t.yaml:2:25: roi.mix_model.seed: must be in [0, 18446744073709551615] "
		    "(found 18446744073709551616)");
	CHECK_FAILS(REF "report: {top: 0}\n",
		    "t.yaml:2:15: report.top: must be in [1, 1000000] (found 0)");
	CHECK_FAILS(REF "value: {calibration_end: 2023-02-29}\n",
		    "t.yaml:2:26: value.calibration_end: expected a date YYYY-MM-DD, found "
		    "'2023-02-29'");
	CHECK_FAILS(REF "value: {calibration_end: 30/09/1997}\n",
		    "t.yaml:2:26: value.calibration_end: expected a date YYYY-MM-DD, found "
		    "'30/09/1997'");
	CHECK_FAILS("inputs: {referrals: r.csv, date_format: \"%Y-%m\"}\n",
		    "t.yaml:1:41: inputs.date_format: must contain each of %Y, %m and %d");
	CHECK_FAILS("inputs: {referrals: r.csv, date_format: \"%Y-%m-%d %H\"}\n",
		    "t.yaml:1:41: inputs.date_format: unsupported conversion '%H' (use %Y, %m, %d, "
		    "%%)");
	CHECK_FAILS("inputs: {referrals: r.csv, date_format: \"%Y-%m-%\"}\n",
		    "t.yaml:1:41: inputs.date_format: unsupported conversion '% ' (use %Y, %m, %d, "
		    "%%)");
	rn_config cfg;
	CHECK_INT(load(&cfg, REF "value: {calibration_end: 2000-02-29}\n"), RN_OK);
	CHECK_INT(cfg.value.calibration_end, 11016); /* leap day of 2000 exists */
	rn_config_free(&cfg);
}

static void test_enums_and_booleans(void)
{
	CHECK_FAILS(REF "load: {duplicate_edges: summ}\n",
		    "t.yaml:2:25: load.duplicate_edges: bad value 'summ' (did you mean 'sum'?); "
		    "expected one of: sum, max, first, error");
	CHECK_FAILS(REF "value: {model: pareto}\n",
		    "t.yaml:2:16: value.model: bad value 'pareto'; expected one of: column, "
		    "historic, bgnbd");
	CHECK_FAILS(REF "value: {time_unit: Week}\n",
		    "t.yaml:2:20: value.time_unit: bad value 'Week' (did you mean 'week'?); "
		    "expected one of: day, week, month");
	CHECK_FAILS(REF "roi: {group_by: [campaign, region]}\n",
		    "t.yaml:2:28: roi.group_by[1]: bad value 'region'; expected one of: "
		    "campaign, channel");
	CHECK_FAILS(REF "roi: {group_by: [channel, channel]}\n",
		    "t.yaml:2:27: roi.group_by[1]: 'channel' is listed twice");
	CHECK_FAILS(REF "report: {formats: []}\n",
		    "t.yaml:2:19: report.formats: must not be empty");
	CHECK_FAILS(REF "report: {formats: [html, pdf]}\n",
		    "t.yaml:2:26: report.formats[1]: bad value 'pdf'; expected one of: html, md, "
		    "csv, json");
	CHECK_FAILS(REF "report: {graph_export: [gexf]}\n",
		    "t.yaml:2:24: report.graph_export: expected one of the names below, found a "
		    "list");
	const char *words[] = {"yes", "no", "on", "off", "True", "FALSE", "y", "1"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		char text[128], want[256];
		snprintf(text, sizeof text, REF "roi:\n  mix_model:\n    enabled: %s\n", words[i]);
		snprintf(want, sizeof want,
			 "t.yaml:4:14: roi.mix_model.enabled: expected true or false, found '%s'",
			 words[i]);
		CHECK_FAILS(text, want);
	}
	CHECK_FAILS(REF "roi: {mix_model: {enabled: \"true\"}}\n",
		    "t.yaml:2:28: roi.mix_model.enabled: expected true or false, found 'true'");
	CHECK_FAILS(REF "roi: {mix_model: {enabled: }}\n",
		    "t.yaml:2:28: roi.mix_model.enabled: expected true or false, found null");
}

static void test_missing_referrals(void)
{
	CHECK_FAILS("", "t.yaml:1:1: inputs.referrals: missing required key (the referrals CSV)");
	CHECK_FAILS("title: x\n",
		    "t.yaml:1:1: inputs.referrals: missing required key (the referrals CSV)");
	CHECK_FAILS("title: x\ninputs:\n  customers: c.csv\n",
		    "t.yaml:3:3: inputs.referrals: missing required key (the referrals CSV)");
}

static void test_syntax_and_caps(void)
{
	CHECK_FAILS(REF "title: [a, b\n",
		    "t.yaml:3:1: YAML syntax error: did not find expected ',' or ']' while "
		    "parsing a flow sequence (line 2)");
	CHECK_FAILS("inputs:\n  referrals: a\n bad: 1\n",
		    "t.yaml:3:2: YAML syntax error: did not find expected key while parsing a "
		    "block mapping (line 1)");
	CHECK_FAILS(REF "title: \"\xff\"\n",
		    "t.yaml:2:9: YAML syntax error: invalid leading UTF-8 octet");
	CHECK_FAILS(REF "---\ntitle: x\n", "t.yaml:2:1: only one YAML document is allowed");
	CHECK_FAILS(REF "title: *nowhere\n",
		    "t.yaml:2:8: alias '*nowhere' names no complete anchor");
	/* depth: the top-level mapping and 15 lists (16 levels) pass the parser and then fail
	 * the schema; one more list is refused */
	char deep[256];
	snprintf(deep, sizeof deep, REF "title: %.15s1%.15s\n", "[[[[[[[[[[[[[[[",
		 "]]]]]]]]]]]]]]]");
	CHECK_FAILS(deep, "t.yaml:2:8: title: expected a string, found a list");
	snprintf(deep, sizeof deep, REF "title: %.16s1%.16s\n", "[[[[[[[[[[[[[[[[",
		 "]]]]]]]]]]]]]]]]");
	CHECK_FAILS(deep, "t.yaml:2:23: nesting deeper than 16 levels");
	/* "billion laughs": ten aliases per level would expand to 10^9 strings if anything
	 * expanded aliases; the cap stops it at the 101st alias */
	const char *laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
			     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			     "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			     "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
			     "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
			     "j: &j [*i, *i, *i, *i, *i, *i, *i, *i, *i, *i]\n"
			     "k: &k [*j, *j, *j, *j, *j, *j, *j, *j, *j, *j]\n"
			     "l: &l [*k, *k, *k, *k, *k, *k, *k, *k, *k, *k]\n";
	CHECK_FAILS(laughs, "t.yaml:12:8: more than 100 aliases");
	/* the same with few aliases stays cheap and fails on the schema, not on memory */
	CHECK_FAILS("a: &a [lol, lol]\nb: [*a, *a]\n",
		    "t.yaml:1:1: a: unknown key; expected one of: title, inputs, load, "
		    "centrality, value, referral, roi, report");
	/* aliases are otherwise fine: one column map shared by two tables */
	rn_config cfg;
	CHECK_INT(load(&cfg, "inputs:\n  referrals: r.csv\n  columns:\n"
			     "    customers: {customer: &id user_id}\n"
			     "    transactions: {customer: *id}\n"),
		  RN_OK);
	CHECK_STR(cfg.inputs.columns.customer, "user_id");
	CHECK_STR(cfg.inputs.columns.tx_customer, "user_id");
	rn_config_free(&cfg);
	/* a collection's anchor is not usable inside itself */
	CHECK_FAILS(REF "title: &t [*t]\n", "t.yaml:2:12: alias '*t' names no complete anchor");
	/* size cap */
	size_t big = RN_CONFIG_MAX_BYTES + 1;
	char *text = malloc(big + 1);
	memset(text, '#', big);
	text[big] = '\0';
	rn_config huge;
	rn_error err;
	CHECK_INT(rn_config_load_string(&huge, text, big, "big.yaml", "/", &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "larger than 1048576 bytes");
	free(text);
}

static char *read_stream(FILE *f)
{
	long n = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)n + 1);
	CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
	return text;
}

static void test_round_trip(void)
{
	rn_config a, b;
	rn_error err;
	CHECK_INT(load(&a, full_config), RN_OK);
	FILE *f = tmpfile();
	CHECK_INT(rn_config_write_yaml(&a, f, &err), RN_OK);
	char *first = read_stream(f);
	fclose(f);
	/* printed paths are absolute, so the base directory of the re-load does not matter */
	CHECK_INT(
	    rn_config_load_string(&b, first, strlen(first), "printed.yaml", "/elsewhere", &err),
	    RN_OK);
	f = tmpfile();
	CHECK_INT(rn_config_write_yaml(&b, f, &err), RN_OK);
	char *second = read_stream(f);
	fclose(f);
	CHECK_STR(second, first);
	CHECK_STR(b.inputs.referrals, a.inputs.referrals);
	CHECK_STR(b.report.dir, "/base/out/report");
	CHECK(b.centrality.pagerank.tolerance == a.centrality.pagerank.tolerance);
	CHECK(b.value.margin == a.value.margin);
	CHECK(b.roi.mix_model.seed == UINT64_MAX);
	CHECK_INT(b.value.calibration_end, 10134);
	CHECK(memcmp(&a.roi, &b.roi, sizeof a.roi) == 0);
	CHECK(memcmp(&a.referral, &b.referral, sizeof a.referral) == 0);
	CHECK(memcmp(&a.centrality, &b.centrality, sizeof a.centrality) == 0);
	CHECK_CONTAINS(first, "  date_format: \"%d/%m/%Y\"\n");
	CHECK_CONTAINS(first, "    damping: 0.9\n");
	CHECK_CONTAINS(first, "  calibration_end: 1997-09-30\n");
	CHECK_CONTAINS(first, "  acquisition_cost_saved: 42.5\n");
	CHECK_CONTAINS(first, "  formats: [json, csv]\n");
	free(first);
	free(second);
	rn_config_free(&b);

	/* the JSON form (for manifest.json) */
	f = tmpfile();
	rn_json json;
	rn_json_init(&json, f);
	rn_config_write_json(&a, &json);
	CHECK_INT(rn_json_finish(&json, "manifest.json", &err), RN_OK);
	char *js = read_stream(f);
	fclose(f);
	CHECK_CONTAINS(js, "\"damping\": 0.9,");
	CHECK_CONTAINS(js, "\"calibration_end\": \"1997-09-30\",");
	CHECK_CONTAINS(js, "\"group_by\": [\n      \"channel\"\n    ],");
	CHECK_CONTAINS(js, "\"seed\": 18446744073709551615\n");
	CHECK_CONTAINS(js, "\"date_format\": \"%d/%m/%Y\"");
	free(js);
	rn_config_free(&a);

	/* strings with quotes, backslashes and control characters survive printing */
	CHECK_INT(load(&a, REF "title: \"a \\\"b\\\" \\\\ c\\td\\x01\"\n"), RN_OK);
	f = tmpfile();
	CHECK_INT(rn_config_write_yaml(&a, f, &err), RN_OK);
	first = read_stream(f);
	fclose(f);
	CHECK_CONTAINS(first, "title: \"a \\\"b\\\" \\\\ c\\td\\x01\"\n");
	CHECK_INT(rn_config_load_string(&b, first, strlen(first), "p.yaml", "/", &err), RN_OK);
	CHECK_STR(b.title, a.title);
	free(first);
	rn_config_free(&a);
	rn_config_free(&b);
}

static void test_files(void)
{
	const char *data = getenv("RN_TEST_DATA");
	CHECK(data != NULL);
	if (!data)
		return;
	char path[1024], want[2048];
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	snprintf(path, sizeof path, "%s/config/good.yaml", data);
	CHECK_INT(rn_config_load(&cfg, path, &err), RN_OK);
	snprintf(want, sizeof want, "%s/config/data/referrals.csv", data);
	if (data[0] == '/')
		CHECK_STR(cfg.inputs.referrals, want);
	CHECK_INT(rn_config_check_inputs(&cfg, &err), RN_OK);
	rn_config_free(&cfg);

	snprintf(path, sizeof path, "%s/config/missing_input.yaml", data);
	CHECK_INT(rn_config_load(&cfg, path, &err), RN_OK);
	CHECK_INT(rn_config_check_inputs(&cfg, &err), RN_ENOINPUT);
	rn_error_format(&err, message, sizeof message);
	snprintf(want, sizeof want,
		 "%s:4:14: inputs.customers: cannot open '%s/config/data/no-such-file.csv': No "
		 "such file or directory",
		 path, data);
	if (data[0] == '/')
		CHECK_STR(message, want);
	rn_config_free(&cfg);

	CHECK_INT(load(&cfg, "inputs: {referrals: /}\n"), RN_OK);
	CHECK_INT(rn_config_check_inputs(&cfg, &err), RN_ENOINPUT);
	rn_error_format(&err, message, sizeof message);
	CHECK_STR(message, "t.yaml:1:21: inputs.referrals: '/' is not a regular file");
	rn_config_free(&cfg);

	snprintf(path, sizeof path, "%s/config/does-not-exist.yaml", data);
	CHECK_INT(rn_config_load(&cfg, path, &err), RN_ENOINPUT);
	CHECK_CONTAINS(err.message, "cannot open configuration: No such file or directory");
	rn_config_free(&cfg);
}

/* Every allocation the loader makes may fail: it must report RN_ENOMEM and leak nothing
 * (the sanitizer build checks the leaks). */
static void test_allocation_failures(void)
{
	int ok = 0, failed = 0;
	for (uint64_t n = 1; n < 2000; n++) {
		rn_config cfg;
		rn_error err;
		rn_alloc_fail_at(n, 0);
		int status = rn_config_load_string(&cfg, full_config, strlen(full_config), "t.yaml",
						   "/base", &err);
		uint64_t used = rn_alloc_count();
		rn_alloc_fail_at(0, 0);
		if (status == RN_OK) {
			ok++;
			rn_config_free(&cfg);
			if (used < n)
				break; /* every allocation has now been failed once */
		} else {
			CHECK_INT(status, RN_ENOMEM);
			failed++;
		}
	}
	CHECK(failed > 50);
	CHECK_INT(ok, 1);
}

/* Every single-byte mutation of a complete configuration loads or fails cleanly with
 * RN_ECONFIG and a position inside the text: never a crash (the sanitizer build runs this),
 * never another status. */
static void test_mutations(void)
{
	const char replacements[] = {'\0', ':', '[', '{', '&', '*', '"', '\n', ' ', '-', '#', '!'};
	size_t len = strlen(full_config);
	char *text = malloc(len + 1);
	int loaded = 0, rejected = 0;
	for (size_t i = 0; i < len; i++) {
		for (size_t r = 0; r < sizeof replacements; r++) {
			memcpy(text, full_config, len + 1);
			text[i] = replacements[r];
			rn_config cfg;
			rn_error err;
			rn_error_clear(&err);
			int status =
			    rn_config_load_string(&cfg, text, len, "m.yaml", "/base", &err);
			if (status == RN_OK) {
				loaded++;
				rn_config_free(&cfg);
				continue;
			}
			rejected++;
			if (status != RN_ECONFIG || err.line < 1 || err.line > 60 ||
			    strcmp(err.file, "m.yaml")) {
				CHECK_INT(status, RN_ECONFIG);
				fprintf(stderr, "mutation at %zu to 0x%02x: line %llu\n", i,
					(unsigned)replacements[r], (unsigned long long)err.line);
				free(text);
				return;
			}
		}
	}
	free(text);
	fprintf(stderr, "mutations: %d loaded, %d rejected\n", loaded, rejected);
	CHECK(rejected > loaded);
}

int main(void)
{
	test_defaults();
	test_full();
	test_unknown_and_duplicate();
	test_types();
	test_ranges();
	test_enums_and_booleans();
	test_missing_referrals();
	test_syntax_and_caps();
	test_round_trip();
	test_files();
	test_allocation_failures();
	test_mutations();
	return check_report();
}
