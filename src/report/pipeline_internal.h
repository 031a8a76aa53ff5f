/*
 * pipeline_internal.h - the state of one analysis, shared by the files of the pipeline:
 * pipeline.c (load and compute), pipeline_tables.c (CSV, JSON, graph export) and
 * pipeline_doc.c (the HTML/Markdown document and its charts).
 *
 * Everything computed lives in one struct so that every writer reads the same numbers; arrays
 * are indexed by node (customer) index, which is first-seen order across the input tables.
 */
#ifndef REFNET_PIPELINE_INTERNAL_H
#define REFNET_PIPELINE_INTERNAL_H

#include <refnet/algo.h>
#include <refnet/report.h>
#include <refnet/value.h>

#define RN_STAGE_MAX 12
#define RN_REASON_MAX 512

typedef struct rn_stage_time {
	const char *name;
	double seconds;
} rn_stage_time;

/* An input file as found on disk, for the manifest. */
typedef struct rn_input_info {
	const char *key;  /* "referrals", ... */
	const char *path; /* borrowed from the config; NULL when not given */
	uint64_t bytes;
	uint64_t xxh3;
	uint64_t rows;
	uint64_t skipped_rows;
} rn_input_info;

/* Aggregate of the paid rows (every campaign) for the verdict. */
typedef struct rn_paid_total {
	double spend, value_direct, value_network;
	uint64_t customers;
	double cac, roi_direct, roi_total;
	bool cac_defined, roi_defined;
} rn_paid_total;

struct rn_analysis {
	const rn_config *cfg;
	rn_analysis_depth depth;
	rn_report_options opt;
	rn_dataset ds;
	rn_graph graph;
	bool from_snapshot;
	uint64_t snapshot_duplicates, snapshot_self_loops;
	rn_input_info inputs[4];
	uint32_t n;

	/* centrality (depth FULL) */
	bool has_centrality;
	double *pagerank, *katz, *reach;
	rn_lambda_bounds katz_lambda;
	double katz_alpha; /* the alpha used */
	rn_reach_method reach_method;
	rn_cascades cascades;
	uint32_t components, largest_component;

	/* value */
	bool has_value;
	rn_clv_model model;		  /* the model that ran */
	char value_reason[RN_REASON_MAX]; /* why value was skipped */
	rn_clv_result clv;
	rn_attribution attr;
	rn_referral_value rv;
	double paid_cac;
	bool paid_cac_defined;

	/* ROI */
	bool has_roi;
	char roi_reason[RN_REASON_MAX];
	rn_roi_result roi;
	rn_paid_total paid;
	char verdict[RN_REASON_MAX];
	bool wom_wins, verdict_defined;

	/* marketing mix */
	bool has_mix;
	char mix_reason[RN_REASON_MAX];
	rn_mix_result mix;

	/* warnings, in the order found; each an owned string */
	char **warnings;
	size_t warning_count, warning_cap;

	rn_stage_time stages[RN_STAGE_MAX];
	uint32_t stage_count;
	double seconds;
};

/* Adds a formatted warning (RN_ENOMEM on failure). */
int rn_pl_warn(rn_analysis *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Names for the tables. */
const char *rn_pl_customer(const rn_analysis *a, uint32_t v);
const char *rn_pl_campaign(const rn_analysis *a, uint32_t c); /* NULL for UINT32_MAX */
const char *rn_pl_channel(const rn_analysis *a, uint32_t h);
/* Base name of a path (the part after the last '/'). */
const char *rn_pl_basename(const char *path);
/* The first *count = min(limit, n) customers by pagerank descending, ties by index, in
 * *order (count entries, the caller frees it). */
int rn_pl_top_influencers(const rn_analysis *a, uint32_t limit, uint32_t **order, uint32_t *count,
			  rn_error *err);
/* Quadrant counts (index rn_quadrant). */
void rn_pl_quadrant_counts(const rn_analysis *a, uint64_t counts[4]);

/* pipeline_tables.c */
int rn_pl_write_customers_csv(const rn_analysis *a, FILE *out);
int rn_pl_write_group_csv(const rn_analysis *a, rn_cfg_group group, FILE *out);
int rn_pl_write_summary(const rn_analysis *a, FILE *out, rn_error *err);
int rn_pl_write_manifest(const rn_analysis *a, FILE *out, rn_error *err);
int rn_pl_write_graph(const rn_analysis *a, rn_cfg_graph_export kind, FILE *out, rn_error *err);
/* Fills size and XXH3-64 checksum of each input (done once, before the outputs). */
int rn_pl_checksum_inputs(rn_analysis *a, rn_error *err);

/* pipeline_doc.c */
int rn_pl_build_doc(const rn_analysis *a, rn_doc **out, rn_error *err);

#endif
