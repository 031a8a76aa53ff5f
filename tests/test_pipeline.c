/*
 * test_pipeline.c - the report pipeline on small hand-checked inputs: the configuration
 * reaches the value layer (CRV and network value computed by hand below), a .rnb snapshot
 * gives the same analysis as its CSV, skipped analyses are skipped and said so, a model the
 * inputs cannot support is a configuration error, self-loops under `self_loops: error`, bad
 * rows under `on_error: skip`, and the built-in default configuration equals
 * datasets/sample/analysis.yaml.
 */
#include "check.h"
#include "report/pipeline_internal.h"

#include <refnet/graph.h>
#include <refnet/report.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static void write_file(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = malloc((size_t)len + 1);
	size_t got = fread(text, 1, (size_t)len, f);
	text[got] = '\0';
	fclose(f);
	return text;
}

static int load(rn_config *cfg, const char *name, const char *yaml, rn_error *err)
{
	write_file(name, yaml);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return rn_config_load(cfg, path, err);
}

/* Runs an analysis and renders one of its tables into a malloc'ed string. */
static char *table(const rn_config *cfg, rn_analysis_depth depth, bool roi, int *status,
		   rn_error *err)
{
	rn_analysis *a = NULL;
	*status = rn_analysis_run(&a, cfg, depth, NULL, err);
	if (*status)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	*status =
	    roi ? rn_analysis_write_roi_csv(a, mem, err) : rn_analysis_write_value_csv(a, mem, err);
	fclose(mem);
	rn_analysis_free(a);
	return buf;
}

/*
 * a -> b, a -> c, b -> d; clv a 100, b 40, c 20, d 10 (column model); p = 0.5,
 * acquisition cost saved 10, no rewards, no dates, no discounting, gamma = 0.5.
 * Contributions c[v] = p (clv_v - R_v) + (1 - p) acq_saved (Kumar, Petersen & Leone 2010):
 *   c[b] = 20 + 5 = 25, c[c] = 10 + 5 = 15, c[d] = 5 + 5 = 10.
 * crv: a = 25 + 15 = 40, b = 10.  Network value nv = W (c + gamma nv):
 *   nv[d] = nv[c] = 0, nv[b] = 10, nv[a] = (25 + 0.5 * 10) + 15 = 45.  rlv = clv + nv.
 */
static const char hand_yaml[] = "inputs:\n"
				"  customers: customers.csv\n"
				"  referrals: referrals.csv\n"
				"value:\n"
				"  model: column\n"
				"referral:\n"
				"  incremental_share: 0.5\n"
				"  acquisition_cost_saved: 10\n"
				"  generation_decay: 0.5\n"
				"  discount_rate: 0\n";

static void test_hand_computed(void)
{
	write_file("customers.csv", "customer,clv\na,100\nb,40\nc,20\nd,10\n");
	write_file("referrals.csv", "referrer,referred\na,b\na,c\nb,d\n");
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	CHECK_INT(load(&cfg, "hand.yaml", hand_yaml, &err), RN_OK);
	int status;
	char *csv = table(&cfg, RN_ANALYSIS_VALUE, false, &status, &err);
	CHECK_INT(status, RN_OK);
	/* quadrant thresholds are the medians: clv 30 and crv 0 */
	CHECK_STR(csv, "customer,clv,crv,network_value,rlv,quadrant\n"
		       "a,100,40,45,145,Champions\n"
		       "b,40,10,10,50,Champions\n"
		       "c,20,0,0,20,Misers\n"
		       "d,10,0,0,10,Misers\n");
	free(csv);

	/* the same from a .rnb snapshot of the referrals, customers loaded first */
	rn_dataset ds;
	rn_graph g;
	memset(&g, 0, sizeof g);
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	char path[512], snap[512];
	snprintf(path, sizeof path, "%s/referrals.csv", dir);
	snprintf(snap, sizeof snap, "%s/referrals.rnb", dir);
	CHECK_INT(rn_load_referrals(&ds, path, NULL, &err), RN_OK);
	CHECK_INT(rn_dataset_finish(&ds, &err), RN_OK);
	CHECK_INT(rn_graph_from_dataset(&g, &ds, path, RN_DUP_SUM, &err), RN_OK);
	CHECK_INT(rn_snapshot_write(snap, &g, ds.ids, &err), RN_OK);
	rn_graph_free(&g);
	rn_dataset_free(&ds);
	rn_config snap_cfg;
	char yaml[1024];
	snprintf(yaml, sizeof yaml, "%s", hand_yaml);
	char *at = strstr(yaml, "referrals.csv");
	memcpy(at, "referrals.rnb", 13);
	CHECK_INT(load(&snap_cfg, "snap.yaml", yaml, &err), RN_OK);
	char *from_csv = table(&cfg, RN_ANALYSIS_VALUE, false, &status, &err);
	char *from_rnb = table(&snap_cfg, RN_ANALYSIS_VALUE, false, &status, &err);
	CHECK_INT(status, RN_OK);
	CHECK_STR(from_rnb, from_csv);
	free(from_csv);
	free(from_rnb);

	/* a snapshot naming a customer the customers table lacks is bad data */
	write_file("customers.csv", "customer,clv\na,100\nb,40\nc,20\n");
	rn_analysis *a = NULL;
	CHECK_INT(rn_analysis_run(&a, &snap_cfg, RN_ANALYSIS_VALUE, NULL, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "customer 'd' is not in the customers table");
	CHECK(a == NULL);
	rn_config_free(&snap_cfg);
	rn_config_free(&cfg);
}

static void test_skipped_and_config_errors(void)
{
	write_file("customers.csv", "customer\na\nb\nc\nd\n");
	write_file("referrals.csv", "referrer,referred\na,b\na,c\nb,d\n");
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	/* referrals only: centrality runs, value and ROI are skipped with their reasons */
	CHECK_INT(load(&cfg, "refs.yaml", "inputs:\n  referrals: referrals.csv\n", &err), RN_OK);
	int status;
	char *csv = table(&cfg, RN_ANALYSIS_FULL, false, &status, &err);
	CHECK_INT(status, RN_ECONFIG);
	CHECK_CONTAINS(err.message, "needs a transactions table");
	free(csv);
	char out[512];
	snprintf(out, sizeof out, "%s/report", dir);
	rn_report_options opt;
	memset(&opt, 0, sizeof opt);
	opt.out_dir = out;
	rn_report_result res;
	CHECK_INT(rn_report_run(&cfg, &opt, &res, &err), RN_OK);
	CHECK(!res.has_value && !res.has_roi && res.verdict == NULL);
	CHECK_INT(res.customers, 4);
	CHECK_INT(res.edges, 3);
	CHECK_STR(res.top_influencer, "a");
	rn_report_result_free(&res);
	snprintf(out, sizeof out, "%s/report/customers.csv", dir);
	char *customers = read_file(out);
	/* a's pagerank etc. present, the five value columns empty */
	CHECK(customers && strstr(customers, "\na,,,,2,2,") && strstr(customers, ",,,,,\n"));
	free(customers);
	snprintf(out, sizeof out, "%s/report/summary.json", dir);
	char *summary = read_file(out);
	CHECK(summary && strstr(summary, "\"value\": null") && strstr(summary, "\"roi\": null"));
	CHECK(summary && strstr(summary, "Customer value was not computed"));
	free(summary);
	snprintf(out, sizeof out, "%s/report/report.md", dir);
	char *md = read_file(out);
	CHECK(md && strstr(md, "ROI was not computed: it needs a customers table"));
	free(md);
	rn_config_free(&cfg);

	/* teleport: clv without value is a configuration error naming the key */
	CHECK_INT(load(&cfg, "tele.yaml",
		       "inputs:\n  referrals: referrals.csv\ncentrality:\n  pagerank:\n"
		       "    teleport: clv\n",
		       &err),
		  RN_OK);
	rn_analysis *a = NULL;
	CHECK_INT(rn_analysis_run(&a, &cfg, RN_ANALYSIS_FULL, NULL, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "centrality.pagerank.teleport");
	CHECK_INT(err.line, 5);
	rn_config_free(&cfg);

	/* Katz alpha beyond 1 / lambda_max (a 2-cycle has lambda_max 1) */
	write_file("cycle.csv", "referrer,referred\na,b\nb,a\n");
	CHECK_INT(load(&cfg, "katz.yaml",
		       "inputs:\n  referrals: cycle.csv\ncentrality:\n  katz: {alpha: 2}\n", &err),
		  RN_OK);
	CHECK_INT(rn_analysis_run(&a, &cfg, RN_ANALYSIS_FULL, NULL, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "centrality.katz.alpha");
	rn_config_free(&cfg);

	/* Katz alpha not given, on the complete digraph of 13 customers (lambda_max 12): the
	 * report lowers it below 1/12, says so among its warnings and in summary.json; given
	 * as 0.1, the same graph is refused. */
	{
		char k13_csv[4096] = "referrer,referred\n";
		for (int u = 0; u < 13; u++)
			for (int v = 0; v < 13; v++)
				if (u != v)
					snprintf(k13_csv + strlen(k13_csv),
						 sizeof k13_csv - strlen(k13_csv), "k%d,k%d\n", u,
						 v);
		write_file("complete.csv", k13_csv);
		char yaml[1024];
		snprintf(yaml, sizeof yaml,
			 "inputs:\n  referrals: complete.csv\nreport:\n  dir: %s/k13\n  formats: "
			 "[json]\n",
			 dir);
		CHECK_INT(load(&cfg, "k13.yaml", yaml, &err), RN_OK);
		rn_report_result k13_res;
		CHECK_INT(rn_report_run(&cfg, NULL, &k13_res, &err), RN_OK);
		CHECK(k13_res.warnings >= 1);
		rn_report_result_free(&k13_res);
		char path[600];
		snprintf(path, sizeof path, "%s/k13/summary.json", dir);
		char *k13_summary = read_file(path);
		CHECK(k13_summary != NULL);
		if (k13_summary) {
			CHECK_CONTAINS(k13_summary, "Katz alpha is 0.0");
			CHECK_CONTAINS(k13_summary, "not the default 0.1");
			const char *at = strstr(k13_summary, "\"katz_alpha\": ");
			CHECK(at != NULL);
			if (at) {
				double alpha = strtod(at + strlen("\"katz_alpha\": "), NULL);
				CHECK(alpha > 0 && alpha * 12 < 1);
			}
		}
		free(k13_summary);
		rn_config_free(&cfg);
		CHECK_INT(load(&cfg, "k13b.yaml",
			       "inputs:\n  referrals: complete.csv\ncentrality:\n  katz: {alpha: "
			       "0.1}\n",
			       &err),
			  RN_OK);
		CHECK_INT(rn_analysis_run(&a, &cfg, RN_ANALYSIS_FULL, NULL, &err), RN_ECONFIG);
		CHECK_CONTAINS(err.message, "centrality.katz.alpha");
		rn_config_free(&cfg);
	}

	/* self_loops: error names the row */
	write_file("loops.csv", "referrer,referred\na,b\nc,c\n");
	CHECK_INT(load(&cfg, "loops.yaml",
		       "inputs:\n  referrals: loops.csv\nload:\n  self_loops: error\n", &err),
		  RN_OK);
	CHECK_INT(rn_analysis_run(&a, &cfg, RN_ANALYSIS_FULL, NULL, &err), RN_EDATA);
	CHECK_INT(err.line, 3);
	CHECK_CONTAINS(err.message, "'c' referred themselves");
	rn_config_free(&cfg);

	/* on_error: skip counts the bad transaction and goes on (historic model) */
	write_file("tx.csv", "customer,date,amount\na,2024-01-01,10\nb,2024-13-01,5\n"
			     "b,2024-01-02,4\n");
	CHECK_INT(load(&cfg, "skip.yaml",
		       "inputs:\n  customers: customers.csv\n  referrals: referrals.csv\n"
		       "  transactions: tx.csv\nload:\n  on_error: skip\n"
		       "value:\n  discount_rate: 0\n",
		       &err),
		  RN_OK);
	csv = table(&cfg, RN_ANALYSIS_VALUE, false, &status, &err);
	CHECK_INT(status, RN_OK);
	/* historic, no discounting: a = 10, b = 4 (the bad row skipped) */
	CHECK(csv && strstr(csv, "\na,10,") && strstr(csv, "\nb,4,"));
	free(csv);
	rn_config_free(&cfg);
}

/* The built-in default configuration resolves to the same values as analysis.yaml, apart
 * from report.dir (the working directory instead of the sample folder). */
static void test_default_config(void)
{
	const char *source = getenv("RN_SOURCE_DIR");
	if (!source)
		source = RN_SOURCE_DIR;
	char sample[512], path[600];
	snprintf(sample, sizeof sample, "%s/datasets/sample", source);
	snprintf(path, sizeof path, "%s/analysis.yaml", sample);
	rn_config file_cfg, builtin;
	rn_error err;
	rn_error_clear(&err);
	CHECK_INT(rn_config_load(&file_cfg, path, &err), RN_OK);
	CHECK_INT(rn_report_default_config(&builtin, sample, &err), RN_OK);
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	FILE *fa = open_memstream(&a, &alen), *fb = open_memstream(&b, &blen);
	rn_free(file_cfg.report.dir);
	file_cfg.report.dir = rn_strdup("X");
	rn_free(builtin.report.dir);
	builtin.report.dir = rn_strdup("X");
	CHECK_INT(rn_config_write_yaml(&file_cfg, fa, &err), RN_OK);
	CHECK_INT(rn_config_write_yaml(&builtin, fb, &err), RN_OK);
	fclose(fa);
	fclose(fb);
	CHECK_STR(b, a);
	free(a);
	free(b);
	rn_config_free(&file_cfg);
	rn_config_free(&builtin);
}

/* Runs the report of the configuration text yaml (saved as name), which must succeed, and
 * returns the text of its file `file` under dir/sub (NULL if missing); *warnings receives the
 * report's count of warnings. */
static char *report_file(const char *name, const char *yaml, const char *sub, const char *file,
			 uint64_t *warnings)
{
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	CHECK_INT(load(&cfg, name, yaml, &err), RN_OK);
	rn_report_result res;
	CHECK_INT(rn_report_run(&cfg, NULL, &res, &err), RN_OK);
	*warnings = res.warnings;
	rn_report_result_free(&res);
	rn_config_free(&cfg);
	char path[600];
	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, file);
	return read_file(path);
}

/* A PageRank tolerance finer than double precision resolves: the report runs, and says so
 * among its warnings (on the sample's referrals some cycles stop at their rounding). */
static void test_tolerance_floor(void)
{
	const char *source = getenv("RN_SOURCE_DIR");
	if (!source)
		source = RN_SOURCE_DIR;
	char yaml[2048];
	snprintf(
	    yaml, sizeof yaml,
	    "inputs:\n  referrals: %s/datasets/sample/referrals.csv\ncentrality:\n  "
	    "pagerank: {tolerance: 1.0e-300}\nreport:\n  dir: %s/tiny_tol\n  formats: [json]\n",
	    source, dir);
	uint64_t warnings = 0;
	char *summary = report_file("tiny_tol.yaml", yaml, "tiny_tol", "summary.json", &warnings);
	CHECK(warnings >= 1);
	CHECK(summary != NULL);
	if (summary)
		CHECK_CONTAINS(summary, "tolerance 1e-300 is finer than double precision resolves");
	free(summary);
}

/* On a graph whose two largest eigenvalues lie close together (two complete digraphs of 13
 * customers, weights 1 and 1.01, joined by light referrals each way) the bounds on lambda_max
 * do not meet within the products the report spends: it gives both. */
static void test_lambda_bracket(void)
{
	char *csv = malloc(16384);
	size_t len = (size_t)snprintf(csv, 16384, "referrer,referred,weight\n");
	for (int c = 0; c < 2; c++)
		for (int u = 0; u < 13; u++)
			for (int v = 0; v < 13; v++)
				if (u != v)
					len += (size_t)snprintf(csv + len, 16384 - len,
								"%c%d,%c%d,%s\n", "pq"[c], u,
								"pq"[c], v, c ? "1.01" : "1");
	snprintf(csv + len, 16384 - len, "p0,q0,0.001\nq0,p0,0.001\n");
	write_file("cliques.csv", csv);
	free(csv);
	char yaml[1024];
	snprintf(yaml, sizeof yaml,
		 "inputs:\n  referrals: cliques.csv\nreport:\n  dir: %s/cliques\n  formats: "
		 "[md, json]\n",
		 dir);
	uint64_t warnings = 0;
	char *md = report_file("cliques.yaml", yaml, "cliques", "report.md", &warnings);
	CHECK(md != NULL);
	if (md)
		CHECK_CONTAINS(md, "largest eigenvalue between 1");
	free(md);
	char path[600];
	snprintf(path, sizeof path, "%s/cliques/summary.json", dir);
	char *summary = read_file(path);
	CHECK(summary != NULL);
	const char *hi = summary ? strstr(summary, "\"katz_lambda_max\": ") : NULL;
	const char *lo = summary ? strstr(summary, "\"katz_lambda_max_lower\": ") : NULL;
	CHECK(hi != NULL && lo != NULL);
	if (hi && lo) {
		double upper = strtod(hi + strlen("\"katz_lambda_max\": "), NULL);
		double lower = strtod(lo + strlen("\"katz_lambda_max_lower\": "), NULL);
		CHECK(lower >= 11.9 && lower < 12.12 && upper > 12.12 && upper < 12.2);
	}
	free(summary);
}

/* rn_pl_top_influencers keeps a heap of the best `limit`: the same customers in the same order
 * as the head of a full sort (rn_order_desc, itself checked against qsort in test_util), with
 * many ties (broken by index), for limits from 1 to beyond n, on scores in random, ascending
 * and descending order. */
static void test_top_influencers(void)
{
	enum { N = 5000 };
	double *key = malloc(N * sizeof *key);
	uint32_t *all = malloc(N * sizeof *all);
	uint64_t state = 12345;
	uint32_t limits[] = {1, 2, 10, 25, 1000, N, N + 7};
	for (int shape = 0; shape < 3; shape++) {
		for (uint32_t v = 0; v < N; v++) {
			state = state * 6364136223846793005ull + 1442695040888963407ull;
			key[v] = shape == 0   ? (double)(state >> 60)
				 : shape == 1 ? v / 3
					      : (N - v) / 3;
		}
		CHECK_INT(rn_order_desc(key, N, all), RN_OK);
		rn_analysis a;
		memset(&a, 0, sizeof a);
		a.n = N;
		a.pagerank = key;
		for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
			uint32_t *order = NULL, count = 0;
			CHECK_INT(rn_pl_top_influencers(&a, limits[k], &order, &count, NULL),
				  RN_OK);
			CHECK_INT(count, limits[k] < N ? limits[k] : N);
			CHECK(order && memcmp(order, all, count * sizeof *order) == 0);
			rn_free(order);
		}
	}
	free(key);
	free(all);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/refnet-test-pipeline-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_hand_computed();
	test_skipped_and_config_errors();
	test_default_config();
	test_tolerance_floor();
	test_lambda_bracket();
	test_top_influencers();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_report();
}
