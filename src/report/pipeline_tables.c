/*
 * pipeline_tables.c - the machine-readable outputs of the report: customers.csv,
 * summary.json (headline figures and every fitted model), manifest.json (how the report was
 * made: version, resolved configuration, input sizes and XXH3 checksums, seed, warnings,
 * time per stage) and the optional GraphML/GEXF export for Gephi.
 *
 * Numbers go through the report layer's writers (shortest round-trip form); an undefined
 * value is an empty CSV field or a JSON null, never NaN.  summary.json holds no timing and no
 * absolute path, so that it is byte-identical across runs, machines and thread counts (it is
 * a golden file); everything that varies belongs to manifest.json.
 */
#include "report/pipeline_internal.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

/* ---- customers.csv --------------------------------------------------------------------- */

/*
 * customers.csv is the one output that grows with the data (1e6 customers: ~9e6 numbers), and
 * printing a double in its shortest round-trip form costs a few snprintf/strtod calls.  Rows
 * are therefore formatted in blocks, one block per thread at a time, each into its own
 * buffer, and the buffers written in block order: the bytes are those of a sequential writer
 * whatever the thread count.  Fields follow rn_csv_writer's rules (RFC 4180 quoting, empty
 * field for an undefined number).
 */
#define ROWS_PER_BLOCK 4096u

typedef struct text_buf {
	char *data;
	size_t len, cap;
	bool failed;
} text_buf;

static void buf_put(text_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (rn_grow((void **)&b->data, &b->cap, b->len + n + 1, 1)) {
		b->failed = true;
		return;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void buf_text(text_buf *b, const char *s, bool first)
{
	if (!first)
		buf_put(b, ",", 1);
	if (!s)
		return;
	size_t len = strlen(s);
	bool quote = strpbrk(s, ",\"\r\n") != NULL || (len && (s[0] == ' ' || s[len - 1] == ' '));
	if (!quote) {
		buf_put(b, s, len);
		return;
	}
	buf_put(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_put(b, "\"", 1);
		buf_put(b, p, 1);
	}
	buf_put(b, "\"", 1);
}

static void buf_number(text_buf *b, double x)
{
	char num[RN_NUMBER_MAX];
	rn_format_double(num, x);
	buf_put(b, ",", 1);
	buf_put(b, num, strlen(num));
}

static void customer_row(const rn_analysis *a, uint32_t v, text_buf *b)
{
	const rn_customers *cu = &a->ds.customers;
	buf_text(b, rn_pl_customer(a, v), true);
	char date[16] = "";
	if (cu->acquired[v] != RN_DATE_NONE)
		rn_format_date(cu->acquired[v], date);
	buf_text(b, date, false);
	buf_text(b, rn_pl_channel(a, cu->channel[v]), false);
	buf_text(b, rn_pl_campaign(a, cu->campaign[v]), false);
	char count[24];
	snprintf(count, sizeof count, ",%llu",
		 (unsigned long long)(a->graph.offsets[v + 1] - a->graph.offsets[v]));
	buf_put(b, count, strlen(count));
	buf_number(b, rn_graph_out_weight(&a->graph, v));
	buf_number(b, a->has_centrality ? a->pagerank[v] : NAN);
	buf_number(b, a->has_centrality ? a->katz[v] : NAN);
	buf_number(b, a->has_centrality ? a->reach[v] : NAN);
	if (a->has_value) {
		buf_number(b, a->clv.clv[v]);
		buf_number(b, a->rv.crv[v]);
		buf_number(b, a->rv.network_value[v]);
		buf_number(b, a->rv.rlv[v]);
		buf_text(b, rn_quadrant_name((rn_quadrant)a->rv.quadrant[v]), false);
	} else {
		buf_put(b, ",,,,,", 5);
	}
	buf_put(b, "\n", 1);
}

int rn_pl_write_customers_csv(const rn_analysis *a, FILE *out)
{
	fputs("customer,acquired,channel,campaign,referrals,referral_weight,pagerank,katz,reach,"
	      "clv,crv,network_value,rlv,quadrant\n",
	      out);
	uint32_t blocks = (a->n + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
	int threads = omp_get_max_threads();
	uint32_t batch = (uint32_t)(threads > 0 ? threads : 1) * 2u;
	text_buf *bufs = rn_calloc(batch, sizeof *bufs);
	if (!bufs)
		return RN_ENOMEM;
	int rc = RN_OK;
	for (uint32_t first = 0; first < blocks && rc == RN_OK; first += batch) {
		uint32_t count = blocks - first < batch ? blocks - first : batch;
#pragma omp parallel for schedule(dynamic, 1)
		for (uint32_t k = 0; k < count; k++) {
			text_buf *b = &bufs[k];
			b->len = 0;
			uint32_t lo = (first + k) * ROWS_PER_BLOCK;
			uint32_t hi = lo + ROWS_PER_BLOCK < a->n ? lo + ROWS_PER_BLOCK : a->n;
			for (uint32_t v = lo; v < hi; v++)
				customer_row(a, v, b);
		}
		for (uint32_t k = 0; k < count && rc == RN_OK; k++) {
			if (bufs[k].failed)
				rc = RN_ENOMEM;
			else if (fwrite(bufs[k].data, 1, bufs[k].len, out) != bufs[k].len)
				rc = RN_EIO;
		}
	}
	for (uint32_t k = 0; k < batch; k++)
		rn_free(bufs[k].data);
	rn_free(bufs);
	return rc == RN_OK && ferror(out) ? RN_EIO : rc;
}

/* ---- summary.json ---------------------------------------------------------------------- */

static void roi_row_json(rn_json *j, const rn_roi_row *r)
{
	rn_json_begin_object(j);
	rn_json_key(j, "spend");
	rn_json_number(j, r->spend);
	rn_json_key(j, "customers");
	rn_json_uint(j, r->customers);
	rn_json_key(j, "cac");
	rn_json_number(j, (r->defined & RN_ROI_CAC) ? r->cac : NAN);
	rn_json_key(j, "value_direct");
	rn_json_number(j, r->value_direct);
	rn_json_key(j, "value_network");
	rn_json_number(j, r->value_network);
	rn_json_key(j, "roi_direct");
	rn_json_number(j, (r->defined & RN_ROI_DIRECT) ? r->roi_direct : NAN);
	rn_json_key(j, "roi_total");
	rn_json_number(j, (r->defined & RN_ROI_TOTAL) ? r->roi_total : NAN);
	rn_json_key(j, "wom_multiplier");
	rn_json_number(j, (r->defined & RN_ROI_WOM) ? r->wom_multiplier : NAN);
	rn_json_end_object(j);
}

static void estimate_json(rn_json *j, const char *key, const rn_estimate *e)
{
	rn_json_key(j, key);
	if (!e->defined) {
		rn_json_null(j);
		return;
	}
	rn_json_begin_object(j);
	rn_json_key(j, "value");
	rn_json_number(j, e->value);
	rn_json_key(j, "lo");
	rn_json_number(j, e->has_interval ? e->lo : NAN);
	rn_json_key(j, "hi");
	rn_json_number(j, e->has_interval ? e->hi : NAN);
	rn_json_end_object(j);
}

static void models_json(const rn_analysis *a, rn_json *j)
{
	rn_json_key(j, "models");
	rn_json_begin_object(j);
	if (a->has_value && a->model == RN_CLV_BGNBD) {
		const rn_bgnbd_fit *f = &a->clv.bgnbd;
		rn_json_key(j, "bgnbd");
		rn_json_begin_object(j);
		const char *names[4] = {"r", "alpha", "a", "b"};
		const double est[4] = {f->params.r, f->params.alpha, f->params.a, f->params.b};
		const double se[4] = {f->se.r, f->se.alpha, f->se.a, f->se.b};
		for (int i = 0; i < 4; i++) {
			rn_json_key(j, names[i]);
			rn_json_number(j, est[i]);
		}
		rn_json_key(j, "loglik");
		rn_json_number(j, f->loglik);
		rn_json_key(j, "se");
		rn_json_begin_object(j);
		for (int i = 0; i < 4; i++) {
			rn_json_key(j, names[i]);
			rn_json_number(j, se[i]);
		}
		rn_json_end_object(j);
		rn_json_key(j, "customers");
		rn_json_uint(j, f->customers);
		rn_json_key(j, "repeat_buyers");
		rn_json_uint(j, f->repeat_buyers);
		rn_json_end_object(j);

		const rn_gamma_gamma_fit *g = &a->clv.gamma_gamma;
		rn_json_key(j, "gamma_gamma");
		rn_json_begin_object(j);
		const char *gnames[3] = {"p", "q", "v"};
		const double gest[3] = {g->params.p, g->params.q, g->params.v};
		const double gse[3] = {g->se.p, g->se.q, g->se.v};
		for (int i = 0; i < 3; i++) {
			rn_json_key(j, gnames[i]);
			rn_json_number(j, gest[i]);
		}
		rn_json_key(j, "loglik");
		rn_json_number(j, g->loglik);
		rn_json_key(j, "se");
		rn_json_begin_object(j);
		for (int i = 0; i < 3; i++) {
			rn_json_key(j, gnames[i]);
			rn_json_number(j, gse[i]);
		}
		rn_json_end_object(j);
		rn_json_key(j, "customers");
		rn_json_uint(j, g->customers);
		rn_json_end_object(j);
	}
	if (a->has_mix) {
		rn_json_key(j, "mix");
		rn_json_begin_object(j);
		rn_json_key(j, "weeks");
		rn_json_uint(j, a->mix.weeks);
		char date[16];
		rn_format_date(a->mix.first_week_start, date);
		rn_json_key(j, "first_week_start");
		rn_json_string(j, date);
		rn_json_key(j, "adstock_max_lag");
		rn_json_uint(j, a->cfg->roi.mix_model.adstock_max_lag);
		rn_json_key(j, "bootstrap");
		rn_json_uint(j, a->cfg->roi.mix_model.bootstrap);
		rn_json_key(j, "seed");
		rn_json_uint(j, a->cfg->roi.mix_model.seed);
		rn_json_key(j, "channels");
		rn_json_begin_object(j);
		for (uint32_t i = 0; i < a->mix.count; i++) {
			const rn_mix_channel *c = &a->mix.channels[i];
			rn_json_key(j, rn_pl_channel(a, c->channel));
			rn_json_begin_object(j);
			rn_json_key(j, "spend");
			rn_json_number(j, c->spend);
			rn_json_key(j, "acquisitions");
			rn_json_number(j, c->acquisitions);
			rn_json_key(j, "theta");
			rn_json_number(j, c->theta);
			rn_json_key(j, "hill_k");
			rn_json_number(j, c->hill_k);
			rn_json_key(j, "hill_s");
			rn_json_number(j, c->hill_s);
			estimate_json(j, "beta", &c->beta);
			rn_json_key(j, "holdout_rmse");
			rn_json_number(j, c->holdout_rmse);
			rn_json_key(j, "r_squared");
			rn_json_number(j, c->r_squared);
			estimate_json(j, "contribution", &c->contribution);
			estimate_json(j, "cost_per_incremental", &c->cost_per_incremental);
			estimate_json(j, "roi", &c->roi);
			estimate_json(j, "marginal_roi", &c->marginal_roi);
			estimate_json(j, "roi_wom", &c->roi_wom);
			estimate_json(j, "marginal_roi_wom", &c->marginal_roi_wom);
			rn_json_end_object(j);
		}
		rn_json_end_object(j);
		rn_json_end_object(j);
	}
	rn_json_end_object(j);
}

static void skipped_json(const rn_analysis *a, rn_json *j)
{
	rn_json_key(j, "skipped");
	rn_json_begin_object(j);
	if (!a->has_value) {
		rn_json_key(j, "value");
		rn_json_string(j, a->value_reason);
	}
	if (!a->has_roi) {
		rn_json_key(j, "roi");
		rn_json_string(j, a->roi_reason);
	}
	if (!a->has_mix) {
		rn_json_key(j, "mix_model");
		rn_json_string(j, a->mix_reason);
	}
	rn_json_end_object(j);
}

static void sums(const rn_analysis *a, double *clv, double *crv, double *nv, double *rlv)
{
	*clv = *crv = *nv = *rlv = 0.0;
	for (uint32_t v = 0; v < a->n; v++) {
		*clv += a->clv.clv[v];
		*crv += a->rv.crv[v];
		*nv += a->rv.network_value[v];
		*rlv += a->rv.rlv[v];
	}
}

int rn_pl_write_summary(const rn_analysis *a, FILE *out, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	rn_json j;
	rn_json_init(&j, out);
	rn_json_begin_object(&j);
	rn_json_key(&j, "title");
	rn_json_string(&j, cfg->title);
	rn_json_key(&j, "time_unit");
	rn_json_string(&j, rn_config_enum_name("value.time_unit", (int)cfg->value.time_unit));

	rn_json_key(&j, "inputs");
	rn_json_begin_object(&j);
	for (int i = 0; i < 4; i++) {
		rn_json_key(&j, a->inputs[i].key);
		if (!a->inputs[i].path) {
			rn_json_null(&j);
			continue;
		}
		rn_json_begin_object(&j);
		rn_json_key(&j, "file");
		rn_json_string(&j, rn_pl_basename(a->inputs[i].path));
		rn_json_key(&j, "rows");
		rn_json_uint(&j, a->inputs[i].rows);
		rn_json_key(&j, "skipped_rows");
		rn_json_uint(&j, a->inputs[i].skipped_rows);
		rn_json_end_object(&j);
	}
	rn_json_end_object(&j);

	rn_json_key(&j, "graph");
	rn_json_begin_object(&j);
	rn_json_key(&j, "customers");
	rn_json_uint(&j, a->n);
	rn_json_key(&j, "edges");
	rn_json_uint(&j, a->graph.m);
	rn_json_key(&j, "duplicates_merged");
	rn_json_uint(&j, a->graph.duplicates_merged);
	rn_json_key(&j, "self_loops");
	rn_json_uint(&j, a->graph.self_loops);
	rn_json_key(&j, "components");
	rn_json_uint(&j, a->components);
	rn_json_key(&j, "largest_component");
	rn_json_uint(&j, a->largest_component);
	uint64_t referrers = 0, referred = 0;
	for (uint32_t v = 0; v < a->n; v++) {
		referrers += a->graph.offsets[v + 1] > a->graph.offsets[v];
		referred += a->graph.in_degree[v] > 0;
	}
	rn_json_key(&j, "referrers");
	rn_json_uint(&j, referrers);
	rn_json_key(&j, "referred");
	rn_json_uint(&j, referred);
	rn_json_end_object(&j);

	rn_json_key(&j, "centrality");
	if (!a->has_centrality) {
		rn_json_null(&j);
	} else {
		rn_json_begin_object(&j);
		rn_json_key(&j, "katz_alpha");
		rn_json_number(&j, a->katz_alpha);
		rn_json_key(&j, "katz_lambda_max");
		rn_json_number(&j, a->katz_lambda.upper);
		rn_json_key(&j, "katz_lambda_max_lower");
		rn_json_number(&j, a->katz_lambda.lower);
		rn_json_key(&j, "reach_method");
		rn_json_string(&j, a->reach_method == RN_REACH_FOREST  ? "forest"
				   : a->reach_method == RN_REACH_EXACT ? "exact"
								       : "hyperloglog");
		rn_json_key(&j, "top_influencers");
		rn_json_begin_array(&j);
		uint32_t *order, count;
		int rc = rn_pl_top_influencers(a, 10, &order, &count, err);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < count; i++) {
			uint32_t v = order[i];
			rn_json_begin_object(&j);
			rn_json_key(&j, "customer");
			rn_json_string(&j, rn_pl_customer(a, v));
			rn_json_key(&j, "pagerank");
			rn_json_number(&j, a->pagerank[v]);
			rn_json_key(&j, "referrals");
			rn_json_uint(&j, a->graph.offsets[v + 1] - a->graph.offsets[v]);
			rn_json_key(&j, "reach");
			rn_json_number(&j, a->reach[v]);
			rn_json_end_object(&j);
		}
		rn_free(order);
		rn_json_end_array(&j);
		const rn_cascades *c = &a->cascades;
		uint64_t total = 0, nontrivial = 0;
		uint32_t largest = 0, deepest = 0;
		double virality = 0.0;
		for (uint32_t i = 0; i < c->count; i++) {
			total += c->size[i];
			if (c->size[i] > 1) {
				nontrivial++;
				virality += c->virality[i];
			}
			largest = c->size[i] > largest ? c->size[i] : largest;
			deepest = c->depth[i] > deepest ? c->depth[i] : deepest;
		}
		rn_json_key(&j, "cascades");
		rn_json_begin_object(&j);
		rn_json_key(&j, "count");
		rn_json_uint(&j, c->count);
		rn_json_key(&j, "with_referrals");
		rn_json_uint(&j, nontrivial);
		rn_json_key(&j, "largest");
		rn_json_uint(&j, largest);
		rn_json_key(&j, "deepest");
		rn_json_uint(&j, deepest);
		rn_json_key(&j, "mean_size");
		rn_json_number(&j, c->count ? (double)total / c->count : NAN);
		rn_json_key(&j, "mean_virality_with_referrals");
		rn_json_number(&j, nontrivial ? virality / (double)nontrivial : NAN);
		rn_json_key(&j, "unrooted");
		rn_json_uint(&j, c->unrooted);
		rn_json_end_object(&j);
		rn_json_end_object(&j);
	}

	rn_json_key(&j, "value");
	if (!a->has_value) {
		rn_json_null(&j);
	} else {
		double clv, crv, nv, rlv;
		sums(a, &clv, &crv, &nv, &rlv);
		rn_json_begin_object(&j);
		rn_json_key(&j, "model");
		rn_json_string(&j, rn_clv_model_name(a->model));
		rn_json_key(&j, "customers_with_value");
		rn_json_uint(&j, a->n - a->clv.customers_without_value);
		rn_json_key(&j, "total_clv");
		rn_json_number(&j, clv);
		rn_json_key(&j, "mean_clv");
		rn_json_number(&j, a->n ? clv / a->n : NAN);
		rn_json_key(&j, "total_crv");
		rn_json_number(&j, crv);
		rn_json_key(&j, "total_network_value");
		rn_json_number(&j, nv);
		rn_json_key(&j, "total_rlv");
		rn_json_number(&j, rlv);
		rn_json_key(&j, "acquisition_cost_saved");
		rn_json_number(&j, a->rv.acq_saved);
		rn_json_key(&j, "clv_threshold");
		rn_json_number(&j, a->rv.clv_threshold);
		rn_json_key(&j, "crv_threshold");
		rn_json_number(&j, a->rv.crv_threshold);
		rn_json_key(&j, "attributed_customers");
		rn_json_uint(&j, a->attr.attributed_customers);
		rn_json_key(&j, "quadrants");
		rn_json_begin_object(&j);
		uint64_t q[4];
		rn_pl_quadrant_counts(a, q);
		for (int i = 3; i >= 0; i--) {
			rn_json_key(&j, rn_quadrant_name((rn_quadrant)i));
			rn_json_uint(&j, q[i]);
		}
		rn_json_end_object(&j);
		rn_json_end_object(&j);
	}

	rn_json_key(&j, "roi");
	if (!a->has_roi) {
		rn_json_null(&j);
	} else {
		const rn_paid_total *p = &a->paid;
		rn_json_begin_object(&j);
		rn_json_key(&j, "advertising");
		rn_json_begin_object(&j);
		rn_json_key(&j, "spend");
		rn_json_number(&j, p->spend);
		rn_json_key(&j, "customers");
		rn_json_uint(&j, p->customers);
		rn_json_key(&j, "cac");
		rn_json_number(&j, p->cac_defined ? p->cac : NAN);
		rn_json_key(&j, "value_direct");
		rn_json_number(&j, p->value_direct);
		rn_json_key(&j, "value_network");
		rn_json_number(&j, p->value_network);
		rn_json_key(&j, "roi_direct");
		rn_json_number(&j, p->roi_defined ? p->roi_direct : NAN);
		rn_json_key(&j, "roi_total");
		rn_json_number(&j, p->roi_defined ? p->roi_total : NAN);
		rn_json_end_object(&j);
		rn_json_key(&j, "referral_programme");
		roi_row_json(&j, &a->roi.programme);
		rn_json_key(&j, "word_of_mouth_beat_advertising");
		if (a->verdict_defined)
			rn_json_bool(&j, a->wom_wins);
		else
			rn_json_null(&j);
		rn_json_key(&j, "verdict");
		rn_json_string(&j, a->verdict);
		rn_json_end_object(&j);
	}
	models_json(a, &j);
	skipped_json(a, &j);
	rn_json_key(&j, "warnings");
	rn_json_begin_array(&j);
	for (size_t i = 0; i < a->warning_count; i++)
		rn_json_string(&j, a->warnings[i]);
	rn_json_end_array(&j);
	rn_json_end_object(&j);
	return rn_json_finish(&j, "summary.json", err);
}

/* ---- manifest.json --------------------------------------------------------------------- */

int rn_pl_checksum_inputs(rn_analysis *a, rn_error *err)
{
	for (int i = 0; i < 4; i++) {
		rn_input_info *in = &a->inputs[i];
		if (!in->path)
			continue;
		int rc = rn_file_fingerprint(in->path, &in->bytes, &in->xxh3, err);
		if (rc)
			return rc;
	}
	return RN_OK;
}

int rn_pl_write_manifest(const rn_analysis *a, FILE *out, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	rn_json j;
	rn_json_init(&j, out);
	rn_json_begin_object(&j);
	rn_json_key(&j, "generator");
	rn_json_string(&j, "refnet");
	rn_json_key(&j, "version");
	rn_json_string(&j, RN_VERSION);
	rn_json_key(&j, "config_file");
	rn_json_string(&j, cfg->source);
	rn_json_key(&j, "config");
	rn_config_write_json(cfg, &j);
	rn_json_key(&j, "inputs");
	rn_json_begin_object(&j);
	for (int i = 0; i < 4; i++) {
		const rn_input_info *in = &a->inputs[i];
		rn_json_key(&j, in->key);
		if (!in->path) {
			rn_json_null(&j);
			continue;
		}
		char hex[17];
		snprintf(hex, sizeof hex, "%016llx", (unsigned long long)in->xxh3);
		rn_json_begin_object(&j);
		rn_json_key(&j, "path");
		rn_json_string(&j, in->path);
		rn_json_key(&j, "bytes");
		rn_json_uint(&j, in->bytes);
		rn_json_key(&j, "xxh3_64");
		rn_json_string(&j, hex);
		rn_json_key(&j, "format");
		rn_json_string(&j, i == 1 && a->from_snapshot ? "rnb" : "csv");
		rn_json_key(&j, "rows");
		rn_json_uint(&j, in->rows);
		rn_json_key(&j, "skipped_rows");
		rn_json_uint(&j, in->skipped_rows);
		rn_json_end_object(&j);
	}
	rn_json_end_object(&j);
	rn_json_key(&j, "seed");
	rn_json_uint(&j, cfg->roi.mix_model.seed);
	rn_json_key(&j, "threads");
	rn_json_int(&j, omp_get_max_threads());
	rn_json_key(&j, "warnings");
	rn_json_begin_object(&j);
	rn_json_key(&j, "count");
	rn_json_uint(&j, a->warning_count);
	rn_json_key(&j, "skipped_rows");
	uint64_t skipped = 0;
	for (int i = 0; i < 4; i++)
		skipped += a->inputs[i].skipped_rows;
	rn_json_uint(&j, skipped);
	/* which rows: the first RN_SKIP_LOG_MAX, as file:line:column: reason */
	rn_json_key(&j, "skipped");
	rn_json_begin_array(&j);
	for (uint32_t i = 0; i < a->ds.skipped_logged; i++)
		rn_json_string(&j, a->ds.skipped[i]);
	rn_json_end_array(&j);
	rn_json_key(&j, "duplicates_merged");
	rn_json_uint(&j, a->graph.duplicates_merged);
	rn_json_key(&j, "self_loops");
	rn_json_uint(&j, a->graph.self_loops);
	rn_json_key(&j, "messages");
	rn_json_begin_array(&j);
	for (size_t i = 0; i < a->warning_count; i++)
		rn_json_string(&j, a->warnings[i]);
	rn_json_end_array(&j);
	rn_json_end_object(&j);
	rn_json_key(&j, "stages");
	rn_json_begin_object(&j);
	for (uint32_t i = 0; i < a->stage_count; i++) {
		rn_json_key(&j, a->stages[i].name);
		rn_json_number(&j, a->stages[i].seconds);
	}
	rn_json_end_object(&j);
	rn_json_key(&j, "seconds");
	rn_json_number(&j, a->seconds);
	rn_json_key(&j, "peak_rss_bytes");
	rn_json_uint(&j, rn_peak_rss());
	rn_json_end_object(&j);
	return rn_json_finish(&j, "manifest.json", err);
}

/* ---- Graph export ---------------------------------------------------------------------- */

/* The report layer's GraphML/GEXF writers with every per-customer metric as a node
 * attribute; an undefined metric (NaN: its analysis was skipped) is left out of the node. */
int rn_pl_write_graph(const rn_analysis *a, rn_cfg_graph_export kind, FILE *out, rn_error *err)
{
	size_t nn = a->n ? a->n : 1;
	double *referrals = rn_malloc_array(nn, sizeof *referrals);
	double *missing = rn_malloc_array(nn, sizeof *missing);
	const char **quadrant = rn_malloc_array(nn, sizeof *quadrant);
	int rc = RN_OK;
	if (!referrals || !missing || !quadrant) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		goto done;
	}
	for (uint32_t v = 0; v < a->n; v++) {
		referrals[v] = (double)(a->graph.offsets[v + 1] - a->graph.offsets[v]);
		missing[v] = NAN;
		quadrant[v] =
		    a->has_value ? rn_quadrant_name((rn_quadrant)a->rv.quadrant[v]) : NULL;
	}
	bool c = a->has_centrality, val = a->has_value;
	rn_node_attr attrs[] = {
	    {"referrals", referrals, NULL},
	    {"pagerank", c ? a->pagerank : missing, NULL},
	    {"katz", c ? a->katz : missing, NULL},
	    {"reach", c ? a->reach : missing, NULL},
	    {"clv", val ? a->clv.clv : missing, NULL},
	    {"crv", val ? a->rv.crv : missing, NULL},
	    {"network_value", val ? a->rv.network_value : missing, NULL},
	    {"rlv", val ? a->rv.rlv : missing, NULL},
	    {"quadrant", NULL, quadrant},
	};
	size_t count = sizeof attrs / sizeof attrs[0];
	rc = kind == RN_EXPORT_GRAPHML
		 ? rn_write_graphml(out, &a->graph, a->ds.ids, count, attrs, err)
		 : rn_write_gexf(out, &a->graph, a->ds.ids, count, attrs, err);
done:
	rn_free(referrals);
	rn_free(missing);
	rn_free(quadrant);
	return rc;
}
