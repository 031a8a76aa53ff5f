/*
 * pipeline_doc.c - the report a person reads: the analysis laid out as an rn_doc (headline
 * figures, sections, tables, charts) that the report layer renders to report.html and
 * report.md, with each chart's SVG and data CSV beside them.
 *
 * Sections follow the three questions of DESIGN.md: influencers and cascades, customer value,
 * "did word of mouth beat advertising?" (with the verdict computed in pipeline.c), then the
 * marketing mix and data quality.  A section whose analysis was skipped says why instead of
 * showing numbers.  Only relative file names and counts appear in the text, so that the
 * Markdown is the same on every machine (it is a golden file).
 */
#include "report/pipeline_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOP_CHART_MAX 25u
#define CURVE_POINTS 41u
#define SCATTER_MAX 2000u

typedef struct builder {
	const rn_analysis *a;
	rn_doc *doc;
	int rc;
} builder;

/* Every rn_doc call goes through here: the first failure sticks and later calls are no-ops. */
#define ADD(b, call)                                                                               \
	do {                                                                                       \
		if ((b)->rc == RN_OK)                                                              \
			(b)->rc = (call);                                                          \
	} while (0)

static void para(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void para(builder *b, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	ADD(b, rn_doc_paragraph(b->doc, text));
}

static const char *unit_name(const rn_config *cfg)
{
	return rn_config_enum_name("value.time_unit", (int)cfg->value.time_unit);
}

static double out_degree(const rn_analysis *a, uint32_t v)
{
	return (double)(a->graph.offsets[v + 1] - a->graph.offsets[v]);
}

/* ---- Headline ---------------------------------------------------------------------------- */

static void headline(builder *b)
{
	const rn_analysis *a = b->a;
	const rn_config *cfg = a->cfg;
	uint64_t referred = 0;
	for (uint32_t v = 0; v < a->n; v++)
		referred += a->graph.in_degree[v] > 0;
	char inputs[512] = "";
	size_t used = 0;
	for (int i = 0; i < 4 && used < sizeof inputs; i++)
		if (a->inputs[i].path)
			used += (size_t)snprintf(inputs + used, sizeof inputs - used,
						 "%s%s (%llu rows)", used ? ", " : "",
						 rn_pl_basename(a->inputs[i].path),
						 (unsigned long long)a->inputs[i].rows);
	para(b, "Inputs: %s.", inputs);
	para(b,
	     "Time unit: %s. Customer lifetime value (CLV) is over a horizon of %g %ss "
	     "discounted at %g %% a year; referral value counts referrals made within %llu days "
	     "of the referrer's acquisition, discounted at %g %% a year, with an incremental "
	     "share of %g and a generation decay of %g.",
	     unit_name(cfg), cfg->value.horizon, unit_name(cfg), 100.0 * cfg->value.discount_rate,
	     (unsigned long long)cfg->referral.horizon_days, 100.0 * cfg->referral.discount_rate,
	     cfg->referral.incremental_share, cfg->referral.generation_decay);
	ADD(b, rn_doc_figure(b->doc, "Customers", (double)a->n, RN_COL_INTEGER, NULL));
	ADD(b, rn_doc_figure(b->doc, "Referral edges", (double)a->graph.m, RN_COL_INTEGER, NULL));
	ADD(b, rn_doc_figure(b->doc, "Referred customers", a->n ? (double)referred / a->n : NAN,
			     RN_COL_PERCENT, "share of all customers"));
	if (a->has_value) {
		double clv = 0.0, nv = 0.0;
		for (uint32_t v = 0; v < a->n; v++) {
			clv += a->clv.clv[v];
			nv += a->rv.network_value[v];
		}
		ADD(b, rn_doc_figure(b->doc, "Total CLV", clv, RN_COL_MONEY, NULL));
		ADD(b, rn_doc_figure(b->doc, "Total network value", nv, RN_COL_MONEY,
				     "value of the customers they brought"));
	}
	if (a->has_roi) {
		ADD(b, rn_doc_figure(b->doc, "Advertising ROI",
				     a->paid.roi_defined ? a->paid.roi_total : NAN, RN_COL_PERCENT,
				     "with word of mouth"));
		const rn_roi_row *pr = &a->roi.programme;
		ADD(b, rn_doc_figure(b->doc, "Referral programme ROI",
				     (pr->defined & RN_ROI_TOTAL) ? pr->roi_total : NAN,
				     RN_COL_PERCENT, NULL));
		para(b, "%s", a->verdict);
	}
}

/* ---- Influencers and cascades ---------------------------------------------------------- */

static void influencers(builder *b)
{
	const rn_analysis *a = b->a;
	const rn_config *cfg = a->cfg;
	ADD(b, rn_doc_heading(b->doc, "Influencers"));
	if (!a->has_centrality) {
		para(b, "Centrality was not computed.");
		return;
	}
	/* lambda_max to 4 digits when its bounds agree that far, else the bounds themselves */
	char lambda[96];
	const rn_lambda_bounds *lb = &a->katz_lambda;
	if (lb->upper - lb->lower <= RN_LAMBDA_GAP * lb->upper)
		snprintf(lambda, sizeof lambda, "largest eigenvalue %.4g", lb->upper);
	else
		snprintf(lambda, sizeof lambda, "largest eigenvalue between %.4g and %.4g",
			 lb->lower, lb->upper);
	para(b,
	     "PageRank (damping %g, teleport %s) credits a customer for the customers they "
	     "referred and, through them, for everyone further down; Katz (alpha %g per "
	     "generation, %s) counts referral chains; reach is the number of distinct customers "
	     "downstream%s.",
	     cfg->centrality.pagerank.damping,
	     rn_config_enum_name("centrality.pagerank.teleport",
				 (int)cfg->centrality.pagerank.teleport),
	     a->katz_alpha, lambda,
	     a->reach_method == RN_REACH_HLL ? " (HyperLogLog estimate)" : "");
	uint32_t *order = NULL, count = 0;
	ADD(b, rn_pl_top_influencers(a, (uint32_t)cfg->report.top, &order, &count, NULL));
	if (b->rc)
		return;
	static const char *const names[] = {
	    "Rank", "Customer", "Referrals", "Referral weight", "PageRank",
	    "Katz", "Reach",	"CLV",	     "Network value"};
	static const rn_col_type types[] = {RN_COL_INTEGER, RN_COL_TEXT,    RN_COL_INTEGER,
					    RN_COL_DECIMAL, RN_COL_DECIMAL, RN_COL_DECIMAL,
					    RN_COL_INTEGER, RN_COL_MONEY,   RN_COL_MONEY};
	char caption[96];
	snprintf(caption, sizeof caption, "Top %u customers by PageRank", count);
	ADD(b, rn_doc_table(b->doc, caption, 9, names, types));
	for (uint32_t i = 0; i < count && b->rc == RN_OK; i++) {
		uint32_t v = order[i];
		rn_cell row[9] = {
		    {NULL, i + 1.0},
		    {rn_pl_customer(a, v), 0},
		    {NULL, out_degree(a, v)},
		    {NULL, rn_graph_out_weight(&a->graph, v)},
		    {NULL, a->pagerank[v]},
		    {NULL, a->katz[v]},
		    {NULL, a->reach[v]},
		    {NULL, a->has_value ? a->clv.clv[v] : NAN},
		    {NULL, a->has_value ? a->rv.network_value[v] : NAN},
		};
		ADD(b, rn_doc_row(b->doc, row));
	}
	uint32_t bars = count < TOP_CHART_MAX ? count : TOP_CHART_MAX;
	const char **cats = rn_malloc_array(bars ? bars : 1, sizeof *cats);
	double *y = rn_malloc_array(bars ? bars : 1, sizeof *y);
	if (!cats || !y) {
		b->rc = RN_ENOMEM;
	} else if (bars) {
		for (uint32_t i = 0; i < bars; i++) {
			cats[i] = rn_pl_customer(a, order[i]);
			y[i] = a->pagerank[order[i]];
		}
		rn_series s = {"PageRank", bars, NULL, y, false, false};
		rn_chart ch = {.kind = RN_CHART_BAR,
			       .id = "top_influencers",
			       .title = "Top influencers by PageRank",
			       .desc = "PageRank of the customers with the highest influence, "
				       "largest first.",
			       .x_label = "PageRank",
			       .y_label = "Customer",
			       .category_count = bars,
			       .categories = cats,
			       .series_count = 1,
			       .series = &s};
		ADD(b, rn_doc_chart(b->doc, &ch));
	}
	rn_free(cats);
	rn_free(y);
	rn_free(order);

	/* referral-count distribution, log-log: customers with k >= 1 referrals */
	uint32_t *deg = rn_malloc_array(a->n ? a->n : 1, sizeof *deg);
	uint32_t used = 0;
	if (!deg) {
		b->rc = RN_ENOMEM;
		return;
	}
	for (uint32_t v = 0; v < a->n; v++)
		if (out_degree(a, v) > 0)
			deg[used++] = (uint32_t)out_degree(a, v);
	rn_histogram h;
	memset(&h, 0, sizeof h);
	if (used && rn_histogram_build(deg, used, &h, NULL) != RN_OK)
		b->rc = RN_ENOMEM;
	rn_free(deg);
	if (b->rc || !used) {
		rn_histogram_free(&h);
		return;
	}
	double *x = rn_malloc_array(h.count, sizeof *x);
	double *f = rn_malloc_array(h.count, sizeof *f);
	if (x && f) {
		for (uint32_t i = 0; i < h.count; i++) {
			x[i] = (double)h.value[i];
			f[i] = (double)h.frequency[i];
		}
		rn_series s = {"Customers", h.count, x, f, true, true};
		rn_chart ch = {.kind = RN_CHART_LOGLOG,
			       .id = "referral_distribution",
			       .title = "How many customers each customer referred",
			       .desc = "Number of customers (log scale) who referred exactly k "
				       "others, against k (log scale); a straight line means a "
				       "heavy tail.",
			       .x_label = "Customers referred (k)",
			       .y_label = "Customers with k referrals",
			       .series_count = 1,
			       .series = &s};
		ADD(b, rn_doc_chart(b->doc, &ch));
	} else {
		b->rc = RN_ENOMEM;
	}
	rn_free(x);
	rn_free(f);
	rn_histogram_free(&h);
}

typedef struct cascade_key {
	uint32_t size, depth, index;
} cascade_key;

/* Largest first, then deepest, then by cascade index: a total order. */
static int by_size(const void *pa, const void *pb)
{
	const cascade_key *a = pa, *b = pb;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static void cascades(builder *b)
{
	const rn_analysis *a = b->a;
	ADD(b, rn_doc_heading(b->doc, "Cascades"));
	if (!a->has_centrality)
		return;
	const rn_cascades *c = &a->cascades;
	uint32_t with = 0, largest = 0, deepest = 0;
	for (uint32_t i = 0; i < c->count; i++) {
		with += c->size[i] > 1;
		largest = c->size[i] > largest ? c->size[i] : largest;
		deepest = c->depth[i] > deepest ? c->depth[i] : deepest;
	}
	para(b,
	     "A cascade is the referral tree grown from a customer nobody referred. Of %u "
	     "cascades, %u spread to at least one more customer; the largest holds %u customers "
	     "and the deepest runs %u generations. Structural virality is the mean distance "
	     "between two customers of the tree (Goel et al. 2015): 1 for a broadcast from one "
	     "referrer, larger for chains.",
	     c->count, with, largest, deepest);
	if (!with)
		return;
	cascade_key *idx = rn_malloc_array(c->count, sizeof *idx);
	if (!idx) {
		b->rc = RN_ENOMEM;
		return;
	}
	for (uint32_t i = 0; i < c->count; i++)
		idx[i] = (cascade_key){c->size[i], c->depth[i], i};
	qsort(idx, c->count, sizeof *idx, by_size);
	static const char *const names[] = {"Root customer", "Size", "Depth",
					    "Structural virality"};
	static const rn_col_type types[] = {RN_COL_TEXT, RN_COL_INTEGER, RN_COL_INTEGER,
					    RN_COL_DECIMAL};
	ADD(b, rn_doc_table(b->doc, "Largest cascades", 4, names, types));
	for (uint32_t i = 0; i < 10 && i < with && b->rc == RN_OK; i++) {
		uint32_t k = idx[i].index;
		rn_cell row[4] = {{rn_pl_customer(a, c->root[k]), 0},
				  {NULL, c->size[k]},
				  {NULL, c->depth[k]},
				  {NULL, c->virality[k]}};
		ADD(b, rn_doc_row(b->doc, row));
	}
	rn_free(idx);

	/* sizes >= 2 in power-of-two bins [2^i, 2^(i+1)) */
	uint32_t bins = 1;
	while (bins < 32 && (1ull << (bins + 1)) <= largest)
		bins++;
	double edges[34], counts[33];
	for (uint32_t i = 0; i <= bins; i++)
		edges[i] = (double)(1ull << (i + 1));
	memset(counts, 0, sizeof counts);
	for (uint32_t i = 0; i < c->count; i++) {
		if (c->size[i] < 2)
			continue;
		uint32_t bin = 0;
		while (bin + 1 < bins && (1ull << (bin + 2)) <= c->size[i])
			bin++;
		counts[bin] += 1.0;
	}
	rn_series s = {"Cascades", bins, NULL, counts, false, false};
	rn_chart ch = {.kind = RN_CHART_HISTOGRAM,
		       .id = "cascade_sizes",
		       .title = "Cascade sizes",
		       .desc = "Number of cascades by size (customers in the tree), in "
			       "power-of-two bins, for the cascades that spread beyond their root.",
		       .x_label = "Customers in the cascade",
		       .y_label = "Cascades",
		       .series_count = 1,
		       .series = &s,
		       .bin_edges = edges,
		       .log_x = true};
	ADD(b, rn_doc_chart(b->doc, &ch));
}

/* ---- Value ------------------------------------------------------------------------------ */

static void value(builder *b)
{
	const rn_analysis *a = b->a;
	const rn_config *cfg = a->cfg;
	ADD(b, rn_doc_heading(b->doc, "Customer value"));
	if (!a->has_value) {
		para(b, "%s", a->value_reason);
		return;
	}
	switch (a->model) {
	case RN_CLV_COLUMN:
		para(b, "CLV is taken from the '%s' column of the customers table.",
		     cfg->inputs.columns.clv);
		break;
	case RN_CLV_HISTORIC:
		para(b,
		     "CLV is historic: the margin of every observed purchase, discounted at %g %% "
		     "a year back to the customer's first purchase.",
		     100.0 * cfg->value.discount_rate);
		break;
	case RN_CLV_BGNBD: {
		char end[16];
		rn_format_date(a->clv.rfm.calibration_end, end);
		para(b,
		     "CLV is the expected discounted margin over the next %g %ss after %s, from a "
		     "BG/NBD purchase model (Fader, Hardie & Lee 2005) and a Gamma-Gamma spend "
		     "model fitted by maximum likelihood on %llu customers (%llu repeat buyers). "
		     "Rate parameters are per %s.",
		     cfg->value.horizon, unit_name(cfg), end,
		     (unsigned long long)a->clv.bgnbd.customers,
		     (unsigned long long)a->clv.bgnbd.repeat_buyers, unit_name(cfg));
		static const char *const names[] = {"Model", "Parameter", "Estimate",
						    "Standard error"};
		static const rn_col_type types[] = {RN_COL_TEXT, RN_COL_TEXT, RN_COL_DECIMAL,
						    RN_COL_DECIMAL};
		ADD(b, rn_doc_table(b->doc, "Fitted models", 4, names, types));
		const rn_bgnbd_fit *f = &a->clv.bgnbd;
		const rn_gamma_gamma_fit *g = &a->clv.gamma_gamma;
		struct {
			const char *model, *name;
			double est, se;
		} rows[] = {
		    {"BG/NBD", "r", f->params.r, f->se.r},
		    {"BG/NBD", "alpha", f->params.alpha, f->se.alpha},
		    {"BG/NBD", "a", f->params.a, f->se.a},
		    {"BG/NBD", "b", f->params.b, f->se.b},
		    {"BG/NBD", "log-likelihood", f->loglik, NAN},
		    {"Gamma-Gamma", "p", g->params.p, g->se.p},
		    {"Gamma-Gamma", "q", g->params.q, g->se.q},
		    {"Gamma-Gamma", "v (gamma)", g->params.v, g->se.v},
		    {"Gamma-Gamma", "log-likelihood", g->loglik, NAN},
		};
		for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
			rn_cell row[4] = {{rows[i].model, 0},
					  {rows[i].name, 0},
					  {NULL, rows[i].est},
					  {NULL, rows[i].se}};
			ADD(b, rn_doc_row(b->doc, row));
		}
		break;
	}
	}
	para(b,
	     "Customer referral value (CRV, Kumar, Petersen & Leone 2010) is what a customer "
	     "earns for the customers they referred, under '%s' attribution; network value adds "
	     "the later generations; referral lifetime value (RLV) = CLV + network value. The "
	     "acquisition cost saved per referred customer is %.2f%s.",
	     rn_config_enum_name("referral.attribution", (int)cfg->referral.attribution),
	     a->rv.acq_saved, cfg->referral.acquisition_cost_auto ? " (mean paid CAC)" : "");
	uint64_t q[4];
	rn_pl_quadrant_counts(a, q);
	double sum_clv[4] = {0}, sum_crv[4] = {0};
	for (uint32_t v = 0; v < a->n; v++) {
		sum_clv[a->rv.quadrant[v] & 3] += a->clv.clv[v];
		sum_crv[a->rv.quadrant[v] & 3] += a->rv.crv[v];
	}
	static const char *const qnames[] = {"Quadrant", "Customers", "Share", "Mean CLV",
					     "Mean CRV"};
	static const rn_col_type qtypes[] = {RN_COL_TEXT, RN_COL_INTEGER, RN_COL_PERCENT,
					     RN_COL_MONEY, RN_COL_MONEY};
	char caption[160];
	snprintf(caption, sizeof caption,
		 "Customers by quadrant (Kumar et al. 2007), thresholds CLV %.2f and CRV %.2f",
		 a->rv.clv_threshold, a->rv.crv_threshold);
	ADD(b, rn_doc_table(b->doc, caption, 5, qnames, qtypes));
	for (int i = 3; i >= 0; i--) {
		rn_cell row[5] = {{rn_quadrant_name((rn_quadrant)i), 0},
				  {NULL, (double)q[i]},
				  {NULL, a->n ? (double)q[i] / a->n : NAN},
				  {NULL, q[i] ? sum_clv[i] / (double)q[i] : NAN},
				  {NULL, q[i] ? sum_crv[i] / (double)q[i] : NAN}};
		ADD(b, rn_doc_row(b->doc, row));
	}
	/* At most SCATTER_MAX customers, evenly spaced in index order (rn_sample_index), so
	 * that the SVG and its data CSV hold the same points and stay small on large data. */
	size_t m = a->n < SCATTER_MAX ? a->n : SCATTER_MAX;
	double *sx = rn_malloc_array(m ? m : 1, sizeof *sx);
	double *sy = rn_malloc_array(m ? m : 1, sizeof *sy);
	if (!sx || !sy) {
		rn_free(sx);
		rn_free(sy);
		b->rc = RN_ENOMEM;
		return;
	}
	for (size_t k = 0; k < m; k++) {
		size_t v = rn_sample_index(k, m, a->n);
		sx[k] = a->clv.clv[v];
		sy[k] = a->rv.crv[v];
	}
	rn_series s = {"Customers", m, sx, sy, true, false};
	rn_chart ch = {.kind = RN_CHART_SCATTER,
		       .id = "clv_crv",
		       .title = "CLV against CRV",
		       .desc = "Each point is a customer: own value (CLV) across, referral value "
			       "(CRV) up; the lines are the quadrant thresholds. Above 2,000 "
			       "customers, 2,000 evenly spaced ones are shown.",
		       .x_label = "CLV",
		       .y_label = "CRV",
		       .series_count = 1,
		       .series = &s,
		       .quadrants = true,
		       .quadrant_x = a->rv.clv_threshold,
		       .quadrant_y = a->rv.crv_threshold,
		       .quadrant_labels = {"Champions", "Advocates", "Affluents", "Misers"},
		       .max_points = SCATTER_MAX};
	ADD(b, rn_doc_chart(b->doc, &ch));
	rn_free(sx);
	rn_free(sy);
}

/* ---- ROI -------------------------------------------------------------------------------- */

static void roi_row_cells(rn_cell *row, const char *name, const rn_roi_row *r)
{
	row[0] = (rn_cell){name, 0};
	row[1] = (rn_cell){NULL, r->spend};
	row[2] = (rn_cell){NULL, (double)r->customers};
	row[3] = (rn_cell){NULL, (r->defined & RN_ROI_CAC) ? r->cac : NAN};
	row[4] = (rn_cell){NULL, r->value_direct};
	row[5] = (rn_cell){NULL, r->value_network};
	row[6] = (rn_cell){NULL, (r->defined & RN_ROI_DIRECT) ? r->roi_direct : NAN};
	row[7] = (rn_cell){NULL, (r->defined & RN_ROI_TOTAL) ? r->roi_total : NAN};
	row[8] = (rn_cell){NULL, (r->defined & RN_ROI_WOM) ? r->wom_multiplier : NAN};
}

static void roi_table(builder *b, const char *caption, const char *first, uint32_t count,
		      const rn_roi_row *rows, bool campaigns)
{
	const rn_analysis *a = b->a;
	const char *names[] = {
	    first,	     "Spend",	      "Customers",  "CAC",
	    "Direct value",  "Network value", "ROI direct", "ROI with word of mouth",
	    "WOM multiplier"};
	static const rn_col_type types[] = {RN_COL_TEXT,    RN_COL_MONEY,   RN_COL_INTEGER,
					    RN_COL_MONEY,   RN_COL_MONEY,   RN_COL_MONEY,
					    RN_COL_PERCENT, RN_COL_PERCENT, RN_COL_RATIO};
	ADD(b, rn_doc_table(b->doc, caption, 9, names, types));
	rn_cell row[9];
	for (uint32_t i = 0; i < count; i++) {
		roi_row_cells(row, campaigns ? rn_pl_campaign(a, i) : rn_pl_channel(a, i),
			      &rows[i]);
		ADD(b, rn_doc_row(b->doc, row));
	}
	if (!campaigns) {
		roi_row_cells(row, "referral programme", &a->roi.programme);
		ADD(b, rn_doc_row(b->doc, row));
	}
}

static void roi_chart(builder *b, const char *id, const char *title, const char *what,
		      uint32_t count, const rn_roi_row *rows, bool campaigns)
{
	const rn_analysis *a = b->a;
	uint32_t total = count + (campaigns ? 0 : 1);
	if (!total)
		return;
	const char **cats = rn_malloc_array(total, sizeof *cats);
	double *direct = rn_malloc_array(total, sizeof *direct);
	double *with = rn_malloc_array(total, sizeof *with);
	if (!cats || !direct || !with) {
		b->rc = RN_ENOMEM;
		goto done;
	}
	for (uint32_t i = 0; i < total; i++) {
		const rn_roi_row *r = i < count ? &rows[i] : &a->roi.programme;
		cats[i] = i < count ? (campaigns ? rn_pl_campaign(a, i) : rn_pl_channel(a, i))
				    : "referral programme";
		/* in percent, as the tables show them */
		direct[i] = (r->defined & RN_ROI_DIRECT) ? 100.0 * r->roi_direct : NAN;
		with[i] = (r->defined & RN_ROI_TOTAL) ? 100.0 * r->roi_total : NAN;
	}
	rn_series s[2] = {{"ROI direct (%)", total, NULL, direct, false, false},
			  {"ROI with word of mouth (%)", total, NULL, with, false, false}};
	char desc[256];
	snprintf(desc, sizeof desc,
		 "Return on spend per %s in percent, from the value of the customers it "
		 "acquired alone and with the referral cascades they started.",
		 what);
	rn_chart ch = {.kind = RN_CHART_GROUPED_BAR,
		       .id = id,
		       .title = title,
		       .desc = desc,
		       .x_label = what,
		       .y_label = "ROI (%)",
		       .category_count = total,
		       .categories = cats,
		       .series_count = 2,
		       .series = s};
	ADD(b, rn_doc_chart(b->doc, &ch));
done:
	rn_free(cats);
	rn_free(direct);
	rn_free(with);
}

static void roi(builder *b)
{
	const rn_analysis *a = b->a;
	ADD(b, rn_doc_heading(b->doc, "Did word of mouth beat advertising?"));
	if (!a->has_roi) {
		para(b, "%s", a->roi_reason);
		return;
	}
	para(b, "%s", a->verdict);
	const rn_paid_total *p = &a->paid;
	para(b,
	     "All advertising together spent %.2f for %llu customers; their own value is %.2f "
	     "and the referral cascades they started add %.2f. The referral programme paid "
	     "%.2f in rewards for %llu referred customers, of whom a share of %g is counted as "
	     "incremental. ROI = (value - spend) / spend; CAC = spend / customers.",
	     p->spend, (unsigned long long)p->customers, p->value_direct, p->value_network,
	     a->roi.programme.spend, (unsigned long long)a->roi.programme.customers,
	     a->cfg->referral.incremental_share);
	roi_table(b, "ROI by channel, with the referral programme", "Channel", a->roi.n_channels,
		  a->roi.channels, false);
	roi_chart(b, "roi_channels", "ROI by channel, with and without word of mouth", "channel",
		  a->roi.n_channels, a->roi.channels, false);
	roi_table(b, "ROI by campaign", "Campaign", a->roi.n_campaigns, a->roi.campaigns, true);
	roi_chart(b, "roi_campaigns", "ROI by campaign, with and without word of mouth", "campaign",
		  a->roi.n_campaigns, a->roi.campaigns, true);
}

/* ---- Marketing mix ---------------------------------------------------------------------- */

/* A / (A + K) to the s (Jin et al. 2017, eq. 3), as in src/value/mix.c. */
static double hill(double adstock, double k, double s)
{
	return adstock > 0.0 ? 1.0 / (1.0 + pow(k / adstock, s)) : 0.0;
}

/*
 * One chart per modelled channel: weekly spend against weekly acquisitions, with the fitted
 * response.  The weekly series are rebuilt exactly as rn_mix_fit builds them (weeks from
 * mix.first_week_start).  The curve is the fitted model at a steady weekly spend x, whose
 * geometric adstock is x * sum_{l=0..L} theta^l (Jin et al. 2017, eq. 1), on top of the mean
 * baseline mean(y) - beta * mean(hill(A_t)) (trend and season at their average).  It is drawn
 * only over the range of weekly spend the channel actually had: outside it the fit says
 * nothing (its intercept may well be negative).
 */
static void mix_chart(builder *b, const rn_mix_channel *c, uint32_t slot)
{
	const rn_analysis *a = b->a;
	const rn_mix_result *m = &a->mix;
	uint32_t weeks = m->weeks;
	double *x = rn_malloc_array(2 * (size_t)weeks + 2 * CURVE_POINTS, sizeof *x);
	if (!x) {
		b->rc = RN_ENOMEM;
		return;
	}
	double *y = x + weeks, *cx = y + weeks, *cy = cx + CURVE_POINTS;
	memset(x, 0, 2 * (size_t)weeks * sizeof *x);
	const rn_customers *cu = &a->ds.customers;
	const rn_spend *sp = &a->ds.spend;
	uint32_t lag = (uint32_t)a->cfg->roi.mix_model.adstock_max_lag;
	for (uint64_t r = 0; r < sp->count; r++)
		if (sp->channel[r] == c->channel)
			x[(sp->date[r] - m->first_week_start) / 7] += sp->amount[r];
	for (uint32_t v = 0; v < a->n; v++)
		if (cu->channel[v] == c->channel && cu->acquired[v] != RN_DATE_NONE)
			y[(cu->acquired[v] - m->first_week_start) / 7] += 1.0;
	double mean_y = 0.0, mean_h = 0.0, lo = INFINITY, hi = 0.0;
	for (uint32_t t = 0; t < weeks; t++) {
		double ad = 0.0, decay = 1.0;
		for (uint32_t l = 0; l <= lag && l <= t; l++) {
			ad += decay * x[t - l];
			decay *= c->theta;
		}
		mean_h += hill(ad, c->hill_k, c->hill_s);
		mean_y += y[t];
		if (x[t] > 0.0) {
			lo = x[t] < lo ? x[t] : lo;
			hi = x[t] > hi ? x[t] : hi;
		}
	}
	mean_y /= weeks;
	mean_h /= weeks;
	double gain = 0.0, decay = 1.0;
	for (uint32_t l = 0; l <= lag; l++) {
		gain += decay;
		decay *= c->theta;
	}
	double base = mean_y - c->beta.value * mean_h;
	if (!(lo <= hi))
		lo = hi = 0.0;
	for (uint32_t k = 0; k < CURVE_POINTS; k++) {
		cx[k] = lo + (hi - lo) * k / (CURVE_POINTS - 1);
		cy[k] = base + c->beta.value * hill(cx[k] * gain, c->hill_k, c->hill_s);
	}
	const char *name = rn_pl_channel(a, c->channel);
	char id[32], title[RN_ID_MAX_BYTES + 64];
	snprintf(id, sizeof id, "mix_response_%u", slot + 1);
	snprintf(title, sizeof title, "Spend and acquisitions per week: %s", name);
	rn_series series[2] = {{"weeks", weeks, x, y, true, false},
			       {"fitted response", CURVE_POINTS, cx, cy, false, true}};
	rn_chart ch = {.kind = RN_CHART_LINE,
		       .id = id,
		       .title = title,
		       .desc = "Points: one week (spend, customers acquired through the channel). "
			       "Line: the marketing-mix model's expected weekly customers at a "
			       "steady weekly spend over the range observed, with trend and season "
			       "at their average.",
		       .x_label = "Spend per week",
		       .y_label = "Customers acquired per week",
		       .series_count = 2,
		       .series = series};
	ADD(b, rn_doc_chart(b->doc, &ch));
	rn_free(x);
}

static void mix(builder *b)
{
	const rn_analysis *a = b->a;
	ADD(b, rn_doc_heading(b->doc, "Marketing mix"));
	if (!a->has_mix) {
		para(b, "%s", a->mix_reason);
		return;
	}
	para(b,
	     "Weekly acquisitions of each channel regressed on geometric-adstock, Hill-saturated "
	     "spend with trend and seasonality, by ridge least squares; adstock decay theta and "
	     "the Hill half-saturation K and shape s chosen on held-out weeks. Intervals are 95 %% "
	     "residual-bootstrap intervals (%llu replicates, seed %llu). ROI counts the mean CLV "
	     "of the channel's customers; ROI with word of mouth multiplies it by the channel's "
	     "word-of-mouth multiplier.",
	     (unsigned long long)a->cfg->roi.mix_model.bootstrap,
	     (unsigned long long)a->cfg->roi.mix_model.seed);
	static const char *const names[] = {"Channel",
					    "Weeks",
					    "theta",
					    "K",
					    "s",
					    "R squared",
					    "Incremental customers",
					    "Cost per incremental customer",
					    "ROI",
					    "ROI low",
					    "ROI high",
					    "Marginal ROI",
					    "ROI with word of mouth"};
	static const rn_col_type types[] = {
	    RN_COL_TEXT,    RN_COL_INTEGER, RN_COL_DECIMAL, RN_COL_DECIMAL, RN_COL_DECIMAL,
	    RN_COL_DECIMAL, RN_COL_DECIMAL, RN_COL_MONEY,   RN_COL_PERCENT, RN_COL_PERCENT,
	    RN_COL_PERCENT, RN_COL_PERCENT, RN_COL_PERCENT};
	ADD(b, rn_doc_table(b->doc, "Marketing-mix model per channel", 13, names, types));
	for (uint32_t i = 0; i < a->mix.count; i++) {
		const rn_mix_channel *c = &a->mix.channels[i];
#define EST(e) ((e).defined ? (e).value : NAN)
#define LO(e) ((e).defined && (e).has_interval ? (e).lo : NAN)
#define HI(e) ((e).defined && (e).has_interval ? (e).hi : NAN)
		rn_cell row[13] = {{rn_pl_channel(a, c->channel), 0},
				   {NULL, c->weeks},
				   {NULL, c->theta},
				   {NULL, c->hill_k},
				   {NULL, c->hill_s},
				   {NULL, c->r_squared},
				   {NULL, EST(c->contribution)},
				   {NULL, EST(c->cost_per_incremental)},
				   {NULL, EST(c->roi)},
				   {NULL, LO(c->roi)},
				   {NULL, HI(c->roi)},
				   {NULL, EST(c->marginal_roi)},
				   {NULL, EST(c->roi_wom)}};
#undef EST
#undef LO
#undef HI
		ADD(b, rn_doc_row(b->doc, row));
	}
	for (uint32_t i = 0; i < a->mix.count; i++)
		mix_chart(b, &a->mix.channels[i], i);
}

/* ---- Data quality ----------------------------------------------------------------------- */

static void quality(builder *b)
{
	const rn_analysis *a = b->a;
	ADD(b, rn_doc_heading(b->doc, "Data quality and warnings"));
	para(b,
	     "The referral graph has %u customers and %llu edges in %u weakly connected "
	     "components (the largest holds %u customers); %llu repeated edges were merged and "
	     "%llu self-referrals dropped.",
	     a->n, (unsigned long long)a->graph.m, a->components, a->largest_component,
	     (unsigned long long)a->graph.duplicates_merged,
	     (unsigned long long)a->graph.self_loops);
	if (!a->warning_count) {
		para(b, "No warnings.");
		return;
	}
	static const char *const names[] = {"Warning"};
	static const rn_col_type types[] = {RN_COL_TEXT};
	ADD(b, rn_doc_table(b->doc, "Warnings", 1, names, types));
	for (size_t i = 0; i < a->warning_count; i++) {
		rn_cell row[1] = {{a->warnings[i], 0}};
		ADD(b, rn_doc_row(b->doc, row));
	}
}

int rn_pl_build_doc(const rn_analysis *a, rn_doc **out, rn_error *err)
{
	builder b = {a, NULL, RN_OK};
	*out = NULL;
	b.rc = rn_doc_new(&b.doc, a->cfg->title);
	headline(&b);
	influencers(&b);
	cascades(&b);
	value(&b);
	roi(&b);
	mix(&b);
	quality(&b);
	char footer[256];
	snprintf(footer, sizeof footer, "Made by refnet %s from %s.", RN_VERSION,
		 rn_pl_basename(a->cfg->source ? a->cfg->source : "(configuration)"));
	ADD(&b, rn_doc_footer(b.doc, footer));
	if (b.rc) {
		rn_doc_free(b.doc);
		return rn_error_set(err, b.rc, NULL, 0, 0, "cannot build the report document: %s",
				    rn_strerror(b.rc));
	}
	*out = b.doc;
	return RN_OK;
}
