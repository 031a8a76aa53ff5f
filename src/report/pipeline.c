/*
 * pipeline.c - the main job: from a resolved configuration to every number the report shows.
 *
 * Stages, each timed (manifest.json "stages"): load (customers first, so the other tables are
 * checked against it, then referrals - CSV or .rnb snapshot - transactions, spend), graph,
 * value (the CLV model), centrality (PageRank, Katz, reach, cascades), referral (attribution,
 * CRV, network value, quadrants), roi (campaigns, channels, referral programme) and mix.  The
 * CLV model runs before centrality because PageRank may teleport in proportion to CLV.
 *
 * What runs depends on the inputs (DESIGN.md "Data model").  A model the configuration names
 * explicitly but whose input is missing is a configuration error (exit 78, naming the key);
 * a default that cannot run is skipped with its reason, which the report states.  A mix
 * model that cannot be identified on the data (too few weeks, spend that never varies) is a
 * warning: the rest of the report stands without it.
 *
 * Library code: no printing.  Progress goes to the caller's callback.
 */
#include "report/pipeline_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Small helpers --------------------------------------------------------------------- */

int rn_pl_warn(rn_analysis *a, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (rn_grow((void **)&a->warnings, &a->warning_cap, a->warning_count + 1,
		    sizeof *a->warnings))
		return RN_ENOMEM;
	char *copy = rn_strdup(text);
	if (!copy)
		return RN_ENOMEM;
	a->warnings[a->warning_count++] = copy;
	return RN_OK;
}

const char *rn_pl_customer(const rn_analysis *a, uint32_t v)
{
	return rn_interner_string(a->ds.ids, v, NULL);
}

const char *rn_pl_campaign(const rn_analysis *a, uint32_t c)
{
	if (c == UINT32_MAX || c >= rn_interner_count(a->ds.campaigns))
		return NULL;
	return rn_interner_string(a->ds.campaigns, c, NULL);
}

const char *rn_pl_channel(const rn_analysis *a, uint32_t h)
{
	if (h == UINT32_MAX || h >= rn_interner_count(a->ds.channels))
		return NULL;
	return rn_interner_string(a->ds.channels, h, NULL);
}

const char *rn_pl_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

typedef struct ranked {
	double key;
	uint32_t v;
} ranked;

/* Descending key, ties by ascending index: a total order, so qsort's instability is moot. */
static int by_rank(const void *pa, const void *pb)
{
	const ranked *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return a->v < b->v ? -1 : a->v > b->v;
}

/* Restores the heap order below slot i of heap[0..size): every entry ranks after (is worse
 * than) none of its children, so heap[0] is the worst kept. */
static void sift_down(ranked *heap, uint32_t size, uint32_t i)
{
	for (;;) {
		uint32_t worst = i, l = 2 * i + 1, r = l + 1;
		if (l < size && by_rank(&heap[l], &heap[worst]) > 0)
			worst = l;
		if (r < size && by_rank(&heap[r], &heap[worst]) > 0)
			worst = r;
		if (worst == i)
			return;
		ranked t = heap[i];
		heap[i] = heap[worst];
		heap[worst] = t;
		i = worst;
	}
}

/* The first `limit` customers of the order by_rank defines, as sorting them all would give,
 * kept in a heap of `limit` entries while the customers are scanned once: O(n log limit),
 * where the full sort took about 2.5 s at 1e7, for each of the report's three lists. */
int rn_pl_top_influencers(const rn_analysis *a, uint32_t limit, uint32_t **order, uint32_t *count,
			  rn_error *err)
{
	uint32_t k = a->n < limit ? a->n : limit, size = 0;
	*count = 0;
	*order = rn_malloc_array(k ? k : 1, sizeof **order);
	ranked *heap = rn_malloc_array(k ? k : 1, sizeof *heap);
	if (!*order || !heap) {
		rn_free(*order);
		rn_free(heap);
		*order = NULL;
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	for (uint32_t v = 0; v < a->n && k > 0; v++) {
		ranked item = {a->pagerank[v], v};
		if (size < k) { /* sift up */
			uint32_t i = size++;
			while (i > 0 && by_rank(&item, &heap[(i - 1) / 2]) > 0) {
				heap[i] = heap[(i - 1) / 2];
				i = (i - 1) / 2;
			}
			heap[i] = item;
		} else if (by_rank(&item, &heap[0]) < 0) {
			heap[0] = item;
			sift_down(heap, size, 0);
		}
	}
	qsort(heap, size, sizeof *heap, by_rank);
	for (uint32_t i = 0; i < size; i++)
		(*order)[i] = heap[i].v;
	rn_free(heap);
	*count = size;
	return RN_OK;
}

void rn_pl_quadrant_counts(const rn_analysis *a, uint64_t counts[4])
{
	memset(counts, 0, 4 * sizeof *counts);
	if (!a->has_value)
		return;
	for (uint32_t v = 0; v < a->n; v++)
		counts[a->rv.quadrant[v] & 3]++;
}

static void progress(const rn_analysis *a, const char *stage, double fraction)
{
	if (a->opt.progress)
		a->opt.progress(a->opt.progress_ctx, stage, fraction);
}

/* Starts a timed stage; returns its start time. */
static double stage_begin(const rn_analysis *a, const char *name)
{
	progress(a, name, -1.0);
	return rn_now();
}

static void stage_end(rn_analysis *a, const char *name, double start)
{
	if (a->stage_count < RN_STAGE_MAX) {
		a->stages[a->stage_count].name = name;
		a->stages[a->stage_count].seconds = rn_now() - start;
		a->stage_count++;
	}
	progress(a, name, 1.0);
}

static int nomem(rn_error *err)
{
	return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
}

/* ---- Load ------------------------------------------------------------------------------ */

/*
 * A .rnb snapshot holds the merged graph and its id strings, not the referral rows.  The rows
 * are rebuilt from its edges (one per edge, with its weight, no date or reward) with the ids
 * interned into the dataset, so that a customers table loaded first keeps its indices and
 * every later stage sees the same rn_referrals as from a CSV.
 */
static int load_snapshot_rows(rn_analysis *a, const char *path, rn_error *err)
{
	rn_graph g;
	rn_interner *ids = NULL;
	memset(&g, 0, sizeof g);
	int rc = rn_snapshot_read(path, &g, &ids, err);
	if (rc != RN_OK)
		return rc;
	rn_referrals *r = &a->ds.referrals;
	uint32_t *map = rn_malloc_array(g.n ? g.n : 1, sizeof *map);
	uint64_t m = g.m ? g.m : 1;
	r->referrer = rn_malloc_array(m, sizeof *r->referrer);
	r->referred = rn_malloc_array(m, sizeof *r->referred);
	r->weight = rn_malloc_array(m, sizeof *r->weight);
	r->line = rn_calloc(m, sizeof *r->line);
	if (!map || !r->referrer || !r->referred || !r->weight || !r->line) {
		rc = nomem(err);
		goto done;
	}
	r->capacity = m;
	for (uint32_t v = 0; v < g.n && rc == RN_OK; v++) {
		size_t len;
		const char *s = rn_interner_string(ids, v, &len);
		if (a->ds.has_customers) {
			if (!rn_interner_find(a->ds.ids, s, len, &map[v]))
				rc = rn_error_set(err, RN_EDATA, path, 0, 0,
						  "customer '%s' is not in the customers table", s);
		} else {
			rc = rn_interner_intern(a->ds.ids, s, len, &map[v], NULL);
			if (rc != RN_OK)
				rc = rn_error_set(err, rc, path, 0, 0, "cannot add customer '%s'",
						  s);
		}
	}
	for (uint32_t u = 0; u < g.n && rc == RN_OK; u++) {
		for (uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; e++) {
			r->referrer[r->count] = map[u];
			r->referred[r->count] = map[g.targets[e]];
			r->weight[r->count] = g.weights[e];
			r->count++;
		}
	}
	a->snapshot_duplicates = g.duplicates_merged;
	a->snapshot_self_loops = g.self_loops;
done:
	rn_free(map);
	rn_interner_free(ids);
	rn_graph_free(&g);
	return rc;
}

static void input_init(rn_analysis *a)
{
	const rn_config *cfg = a->cfg;
	const char *keys[4] = {"customers", "referrals", "transactions", "spend"};
	const char *paths[4] = {cfg->inputs.customers, cfg->inputs.referrals,
				cfg->inputs.transactions, cfg->inputs.spend};
	for (int i = 0; i < 4; i++) {
		a->inputs[i].key = keys[i];
		a->inputs[i].path = paths[i];
	}
}

static int stage_load(rn_analysis *a, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	rn_load_options lo;
	rn_config_load_options(cfg, &lo);
	int rc = rn_dataset_init(&a->ds);
	if (rc != RN_OK)
		return nomem(err);
	input_init(a);
	if (cfg->inputs.customers) {
		rc = rn_load_customers(&a->ds, cfg->inputs.customers, &lo, err);
		if (rc)
			return rc;
		a->inputs[0].rows = a->ds.customers.count;
		a->inputs[0].skipped_rows = a->ds.customers.skipped_rows;
	}
	progress(a, "load", 0.25);
	if (rn_snapshot_detect(cfg->inputs.referrals)) {
		a->from_snapshot = true;
		rc = load_snapshot_rows(a, cfg->inputs.referrals, err);
	} else {
		rc = rn_load_referrals(&a->ds, cfg->inputs.referrals, &lo, err);
	}
	if (rc)
		return rc;
	a->inputs[1].rows = a->ds.referrals.count;
	a->inputs[1].skipped_rows = a->ds.referrals.skipped_rows;
	progress(a, "load", 0.5);
	if (cfg->inputs.transactions) {
		rc = rn_load_transactions(&a->ds, cfg->inputs.transactions, &lo, err);
		if (rc)
			return rc;
		a->ds.has_transactions = true;
		a->inputs[2].rows = a->ds.transactions.count;
		a->inputs[2].skipped_rows = a->ds.transactions.skipped_rows;
	}
	progress(a, "load", 0.75);
	if (cfg->inputs.spend) {
		rc = rn_load_spend(&a->ds, cfg->inputs.spend, &lo, err);
		if (rc)
			return rc;
		a->ds.has_spend = true;
		a->inputs[3].rows = a->ds.spend.count;
		a->inputs[3].skipped_rows = a->ds.spend.skipped_rows;
	}
	rc = rn_dataset_finish(&a->ds, err);
	if (rc)
		return rc;
	/* Every customer id is read: from here on they are only printed, so the lookup table goes
	 * and the strings are packed (274 MB at 1e7 customers). */
	rn_interner_drop_index(a->ds.ids);
	a->n = rn_interner_count(a->ds.ids);
	for (int i = 0; i < 4; i++)
		if (a->inputs[i].skipped_rows &&
		    rn_pl_warn(a, "%s: %llu bad rows skipped (load.on_error: skip)",
			       rn_pl_basename(a->inputs[i].path),
			       (unsigned long long)a->inputs[i].skipped_rows))
			return nomem(err);
	return RN_OK;
}

static int stage_graph(rn_analysis *a, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	const rn_referrals *r = &a->ds.referrals;
	if (cfg->load.self_loops == RN_SELF_LOOPS_ERROR) {
		for (uint64_t i = 0; i < r->count; i++)
			if (r->referrer[i] == r->referred[i])
				return rn_error_set(err, RN_EDATA, cfg->inputs.referrals,
						    r->line[i], 0,
						    "customer '%s' referred themselves "
						    "(load.self_loops: error)",
						    rn_pl_customer(a, r->referrer[i]));
	}
	int rc = rn_graph_from_dataset(&a->graph, &a->ds, cfg->inputs.referrals,
				       cfg->load.duplicate_edges, err);
	if (rc)
		return rc;
	a->graph.duplicates_merged += a->snapshot_duplicates;
	a->graph.self_loops += a->snapshot_self_loops;
	uint32_t *comp = rn_malloc_array(a->n ? a->n : 1, sizeof *comp);
	uint32_t *sizes = NULL;
	if (!comp)
		return nomem(err);
	rc = rn_graph_wcc(&a->graph, comp, &a->components, &sizes, err);
	if (rc == RN_OK)
		for (uint32_t c = 0; c < a->components; c++)
			if (sizes[c] > a->largest_component)
				a->largest_component = sizes[c];
	rn_free(sizes);
	rn_free(comp);
	if (rc == RN_OK && a->graph.self_loops &&
	    rn_pl_warn(a, "%llu self-referrals dropped from the graph",
		       (unsigned long long)a->graph.self_loops))
		return nomem(err);
	if (rc == RN_OK && a->graph.duplicates_merged &&
	    rn_pl_warn(a, "%llu repeated referral edges merged (load.duplicate_edges: %s)",
		       (unsigned long long)a->graph.duplicates_merged,
		       rn_config_enum_name("load.duplicate_edges", (int)cfg->load.duplicate_edges)))
		return nomem(err);
	return rc;
}

/* ---- Value ----------------------------------------------------------------------------- */

static bool key_given(const rn_config *cfg, const char *key)
{
	uint64_t line, column;
	return rn_config_position(cfg, key, &line, &column);
}

/* Chooses the CLV model the inputs allow (see the top of the file); false with a reason
 * when value must be skipped, an error when an explicit choice cannot run. */
static int choose_model(rn_analysis *a, bool *run, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	bool has_tx = a->ds.has_transactions, has_column = a->ds.customers.has_clv;
	bool explicit_model = key_given(cfg, "value.model");
	*run = true;
	switch (cfg->value.model) {
	case RN_MODEL_COLUMN:
		a->model = RN_CLV_COLUMN;
		if (has_column)
			return RN_OK;
		if (explicit_model)
			return rn_config_error(cfg, err, RN_ECONFIG, "value.model",
					       "'column' needs a '%s' column in inputs.customers",
					       cfg->inputs.columns.clv);
		break;
	case RN_MODEL_HISTORIC:
	case RN_MODEL_BGNBD:
		a->model = cfg->value.model == RN_MODEL_BGNBD ? RN_CLV_BGNBD : RN_CLV_HISTORIC;
		if (has_tx)
			return RN_OK;
		if (explicit_model)
			return rn_config_error(cfg, err, RN_ECONFIG, "value.model",
					       "'%s' needs inputs.transactions",
					       rn_clv_model_name(a->model));
		if (has_column) {
			a->model = RN_CLV_COLUMN;
			return RN_OK;
		}
		break;
	}
	*run = false;
	snprintf(a->value_reason, sizeof a->value_reason,
		 "Customer value was not computed: it needs a transactions table "
		 "(inputs.transactions) or a '%s' column in the customers table.",
		 cfg->inputs.columns.clv);
	return RN_OK;
}

static int stage_value(rn_analysis *a, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	bool run;
	int rc = choose_model(a, &run, err);
	if (rc || !run)
		return rc;
	rn_clv_options co;
	rn_clv_options_default(&co);
	co.model = a->model;
	co.time_unit = (rn_time_unit)cfg->value.time_unit;
	co.calibration_end =
	    cfg->value.has_calibration_end ? cfg->value.calibration_end : RN_DATE_NONE;
	co.horizon = cfg->value.horizon;
	co.discount_rate = cfg->value.discount_rate;
	co.margin = cfg->value.margin;
	rc = rn_clv_compute(&a->clv, a->n, a->ds.has_transactions ? &a->ds.transactions : NULL,
			    a->ds.customers.has_clv ? a->ds.customers.clv : NULL, &co, err);
	if (rc)
		return rc;
	a->has_value = true;
	if (a->clv.customers_without_value &&
	    rn_pl_warn(a, "%u customers have no purchase in the calibration period: clv 0",
		       a->clv.customers_without_value))
		return nomem(err);
	if (a->model != RN_CLV_COLUMN && a->clv.rfm.transactions_after_end &&
	    rn_pl_warn(a, "%llu transactions after value.calibration_end ignored by the model",
		       (unsigned long long)a->clv.rfm.transactions_after_end))
		return nomem(err);
	return RN_OK;
}

static int stage_referral(rn_analysis *a, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	int rc = rn_attribution_build(&a->attr, a->n, &a->ds.referrals, a->ds.customers.acquired,
				      (rn_attribution_policy)cfg->referral.attribution, err);
	if (rc)
		return rc;
	rn_mean_paid_cac(a->ds.has_spend ? &a->ds.spend : NULL, a->n, a->ds.customers.campaign,
			 &a->paid_cac, &a->paid_cac_defined);
	rn_referral_params par;
	rn_referral_params_default(&par);
	par.incremental_share = cfg->referral.incremental_share;
	par.acq_saved_auto = cfg->referral.acquisition_cost_auto;
	par.acquisition_cost_saved = cfg->referral.acquisition_cost_saved;
	par.generation_decay = cfg->referral.generation_decay;
	par.horizon_days = (int32_t)cfg->referral.horizon_days;
	par.discount_rate = cfg->referral.discount_rate;
	rc = rn_referral_value_compute(&a->rv, &a->attr, a->clv.clv, a->ds.customers.acquired, &par,
				       a->paid_cac, a->paid_cac_defined, err);
	if (rc)
		return rc;
	const rn_attribution *t = &a->attr;
	if (t->late_rows && rn_pl_warn(a,
				       "%llu referral rows dated after the referred "
				       "customer's acquisition credit nobody",
				       (unsigned long long)t->late_rows))
		return nomem(err);
	if (t->unattributed_customers &&
	    rn_pl_warn(a, "%u referred customers have no eligible referral row (unattributed)",
		       t->unattributed_customers))
		return nomem(err);
	if (a->rv.acq_saved_undefined &&
	    rn_pl_warn(a, "referral.acquisition_cost_saved is auto but there is no paid "
			  "acquisition: 0 used"))
		return nomem(err);
	if (a->rv.pairs_out_of_horizon &&
	    rn_pl_warn(a, "%llu referrals made after referral.horizon_days earn no CRV",
		       (unsigned long long)a->rv.pairs_out_of_horizon))
		return nomem(err);
	return RN_OK;
}

/* ---- Centrality ------------------------------------------------------------------------ */

/* Katz and reach, over the graph's components found once (scc). */
static int katz_and_reach(rn_analysis *a, const rn_scc_labels *scc, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	int rc;
	a->katz_alpha = cfg->centrality.katz.alpha;
	if (a->katz_alpha == 0.0) {
		double upper = 0.0;
		rc = rn_katz_default(&a->graph, 1e-10, a->katz, &a->katz_alpha, &upper,
				     &a->katz_lambda, scc, err);
		if (rc)
			return rc;
		if (a->katz_alpha != RN_KATZ_ALPHA &&
		    rn_pl_warn(a,
			       "Katz alpha is %.3g, not the default %g: the largest eigenvalue "
			       "of the referral matrix is at most %.4g, so %g might not "
			       "converge (centrality.katz.alpha sets it)",
			       a->katz_alpha, RN_KATZ_ALPHA, upper, RN_KATZ_ALPHA))
			return nomem(err);
	} else {
		rc = rn_katz(&a->graph, a->katz_alpha, 1e-10, a->katz, &a->katz_lambda, scc, err);
	}
	if (rc == RN_EUSAGE) {
		char msg[RN_ERROR_MSG_MAX];
		snprintf(msg, sizeof msg, "%s", err->message);
		return rn_config_error(cfg, err, RN_ECONFIG, "centrality.katz.alpha", "%s", msg);
	}
	if (rc)
		return rc;
	progress(a, "centrality", 0.5);
	rn_reach_options ro;
	rn_reach_options_default(&ro);
	ro.exact_max_nodes = cfg->centrality.reach.exact_max_nodes > UINT32_MAX
				 ? UINT32_MAX
				 : (uint32_t)cfg->centrality.reach.exact_max_nodes;
	ro.scc = scc;
	rc = rn_reach(&a->graph, &ro, a->reach, &a->reach_method, err);
	if (rc)
		return rc;
	if (a->reach_method == RN_REACH_HLL &&
	    rn_pl_warn(a,
		       "reach is a HyperLogLog estimate (relative standard error %.1f %%): "
		       "the graph has cycles and more than %llu customers",
		       100.0 * rn_hll_relative_error(ro.hll_precision),
		       (unsigned long long)ro.exact_max_nodes))
		return nomem(err);
	return RN_OK;
}

static int stage_centrality(rn_analysis *a, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	size_t nn = a->n ? a->n : 1;
	a->pagerank = rn_malloc_array(nn, sizeof *a->pagerank);
	a->katz = rn_malloc_array(nn, sizeof *a->katz);
	a->reach = rn_malloc_array(nn, sizeof *a->reach);
	double *teleport = NULL;
	if (!a->pagerank || !a->katz || !a->reach)
		return nomem(err);
	rn_pagerank_options po;
	rn_pagerank_options_default(&po);
	po.damping = cfg->centrality.pagerank.damping;
	po.tolerance = cfg->centrality.pagerank.tolerance;
	if (cfg->centrality.pagerank.teleport == RN_TELEPORT_CLV) {
		if (!a->has_value)
			return rn_config_error(cfg, err, RN_ECONFIG, "centrality.pagerank.teleport",
					       "'clv' needs customer value (%s)",
					       "inputs.transactions or a clv column");
		teleport = rn_malloc_array(nn, sizeof *teleport);
		if (!teleport)
			return nomem(err);
		double sum = 0.0;
		for (uint32_t v = 0; v < a->n; v++) {
			teleport[v] = a->clv.clv[v] > 0.0 ? a->clv.clv[v] : 0.0;
			sum += teleport[v];
		}
		if (!(sum > 0.0)) {
			rn_free(teleport);
			return rn_config_error(cfg, err, RN_ECONFIG, "centrality.pagerank.teleport",
					       "'clv' needs some customer with a positive clv");
		}
		po.teleport = teleport;
	}
	/* The components, found once for PageRank's and Katz's solves, Katz's bounds and reach. */
	rn_scc_labels scc;
	int rc = rn_scc_labels_compute(&a->graph, &scc, err);
	if (rc) {
		rn_free(teleport);
		return rc;
	}
	po.scc = &scc;
	rn_solve_stats stats = {0};
	rc = rn_pagerank(&a->graph, &po, a->pagerank, &stats, err);
	rn_free(teleport);
	if (rc) {
		rn_scc_labels_free(&scc);
		return rc;
	}
	if (stats.at_rounding &&
	    rn_pl_warn(a,
		       "centrality.pagerank.tolerance %g is finer than double precision resolves "
		       "on %u cycles of the graph; PageRank there is as exact as it allows",
		       po.tolerance, stats.at_rounding)) {
		rn_scc_labels_free(&scc);
		return nomem(err);
	}
	progress(a, "centrality", 0.3);
	rc = katz_and_reach(a, &scc, err);
	rn_scc_labels_free(&scc);
	if (rc)
		return rc;
	progress(a, "centrality", 0.8);
	rc = rn_cascades_compute(&a->graph, &a->cascades, err);
	if (rc)
		return rc;
	a->has_centrality = true;
	if (a->cascades.unrooted &&
	    rn_pl_warn(a,
		       "%u customers sit on referral cycles no outside customer started: "
		       "they belong to no cascade",
		       a->cascades.unrooted))
		return nomem(err);
	return RN_OK;
}

/* ---- ROI and the marketing mix --------------------------------------------------------- */

static void paid_total(rn_analysis *a)
{
	rn_paid_total *p = &a->paid;
	memset(p, 0, sizeof *p);
	for (uint32_t c = 0; c < a->roi.n_campaigns; c++) {
		const rn_roi_row *row = &a->roi.campaigns[c];
		p->spend += row->spend;
		p->customers += row->customers;
		p->value_direct += row->value_direct;
		p->value_network += row->value_network;
	}
	/* DESIGN.md "ROI against advertising spend", over all campaigns together. */
	p->cac_defined = p->customers > 0;
	p->cac = p->cac_defined ? p->spend / (double)p->customers : 0.0;
	p->roi_defined = p->spend > 0.0;
	if (p->roi_defined) {
		p->roi_direct = (p->value_direct - p->spend) / p->spend;
		p->roi_total = (p->value_direct + p->value_network - p->spend) / p->spend;
	}
}

/* The one-sentence answer to "did word of mouth beat advertising?", from the numbers. */
static void make_verdict(rn_analysis *a)
{
	const rn_roi_row *pr = &a->roi.programme;
	const rn_paid_total *p = &a->paid;
	bool pr_defined = (pr->defined & RN_ROI_TOTAL) != 0;
	a->verdict_defined = false;
	if (!p->roi_defined) {
		snprintf(a->verdict, sizeof a->verdict,
			 "No verdict: there is no advertising spend to compare word of mouth "
			 "with.");
		return;
	}
	if (!pr_defined) {
		if (pr->customers > 0)
			snprintf(a->verdict, sizeof a->verdict,
				 "Word of mouth cost nothing in rewards and brought %llu customers "
				 "worth %.2f of incremental value, while advertising returned "
				 "%.1f %% on %.2f of spend.",
				 (unsigned long long)pr->customers,
				 pr->value_direct + pr->value_network, 100.0 * p->roi_total,
				 p->spend);
		else
			snprintf(a->verdict, sizeof a->verdict,
				 "No verdict: no customer was acquired by referral.");
		return;
	}
	a->verdict_defined = true;
	a->wom_wins = pr->roi_total > p->roi_total;
	snprintf(a->verdict, sizeof a->verdict,
		 "%s: the referral programme returned %.1f %% on %.2f of rewards (CAC %.2f), "
		 "against %.1f %% on %.2f of advertising spend (CAC %.2f) with the referral "
		 "cascades of ad-acquired customers counted.",
		 a->wom_wins ? "Yes, word of mouth beat advertising"
			     : "No, advertising beat word of mouth",
		 100.0 * pr->roi_total, pr->spend, pr->cac, 100.0 * p->roi_total, p->spend, p->cac);
}

static int stage_roi(rn_analysis *a, rn_error *err)
{
	if (!a->ds.has_customers || !a->ds.has_spend || !a->has_value) {
		snprintf(a->roi_reason, sizeof a->roi_reason, "ROI was not computed: it needs %s.",
			 !a->ds.has_customers ? "a customers table (inputs.customers)"
			 : !a->ds.has_spend   ? "a spend table (inputs.spend)"
					      : "customer value");
		return RN_OK;
	}
	rn_roi_input in;
	rn_roi_input_from_dataset(&in, &a->ds, a->clv.clv, a->rv.network_value, &a->attr,
				  a->cfg->referral.incremental_share);
	int rc = rn_roi_compute(&a->roi, &in, err);
	if (rc)
		return rc;
	a->has_roi = true;
	paid_total(a);
	make_verdict(a);
	const rn_roi_result *r = &a->roi;
	if (r->campaigns_without_customers &&
	    rn_pl_warn(a, "%u campaigns spent %.2f without acquiring a customer (CAC undefined)",
		       r->campaigns_without_customers, r->spend_without_customers))
		return nomem(err);
	if (r->spend_rows_without_channel &&
	    rn_pl_warn(a,
		       "%llu spend rows (%.2f) name no channel: counted for their campaign "
		       "only",
		       (unsigned long long)r->spend_rows_without_channel, r->spend_without_channel))
		return nomem(err);
	if (r->transactions_before_acquisition &&
	    rn_pl_warn(a, "%llu transactions are dated before the customer's acquisition",
		       (unsigned long long)r->transactions_before_acquisition))
		return nomem(err);
	if (r->referred_with_campaign &&
	    rn_pl_warn(a,
		       "%llu referred customers also name a campaign: counted in both the "
		       "programme and the campaign",
		       (unsigned long long)r->referred_with_campaign))
		return nomem(err);
	return RN_OK;
}

static int stage_mix(rn_analysis *a, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	if (!cfg->roi.mix_model.enabled) {
		snprintf(a->mix_reason, sizeof a->mix_reason,
			 "The marketing-mix model is switched off (roi.mix_model.enabled: false).");
		return RN_OK;
	}
	if (!a->has_roi) {
		snprintf(a->mix_reason, sizeof a->mix_reason,
			 "The marketing-mix model was not fitted: it needs customers, spend and "
			 "customer value.");
		return RN_OK;
	}
	rn_mix_params par;
	rn_mix_params_default(&par);
	par.max_lag = (uint32_t)cfg->roi.mix_model.adstock_max_lag;
	par.bootstrap = (uint32_t)cfg->roi.mix_model.bootstrap;
	par.seed = cfg->roi.mix_model.seed;
	rn_error mix_err;
	rn_error_clear(&mix_err);
	int rc = rn_mix_fit(&a->mix, a->n, a->ds.customers.acquired, a->ds.customers.channel,
			    rn_interner_count(a->ds.channels), &a->ds.spend, &a->roi, &par,
			    a->ds.channels, &mix_err);
	if (rc == RN_EDATA) {
		snprintf(a->mix_reason, sizeof a->mix_reason,
			 "The marketing-mix model was not fitted: %.400s.", mix_err.message);
		return rn_pl_warn(a, "marketing-mix model not fitted: %s", mix_err.message)
			   ? nomem(err)
			   : RN_OK;
	}
	if (rc) {
		*err = mix_err;
		return rc;
	}
	a->has_mix = true;
	/* An incremental count outside [0, acquisitions] cannot be true: the fit is not
	 * identified on these data (too little variation in spend), and the reader is told. */
	for (uint32_t i = 0; i < a->mix.count; i++) {
		const rn_mix_channel *c = &a->mix.channels[i];
		if (!c->contribution.defined)
			continue;
		if ((c->contribution.value < 0.0 || c->contribution.value > c->acquisitions) &&
		    rn_pl_warn(a,
			       "marketing-mix model, channel '%s': %.1f incremental customers "
			       "against %.0f acquired, so its figures are not credible on these "
			       "data",
			       rn_pl_channel(a, c->channel), c->contribution.value,
			       c->acquisitions))
			return nomem(err);
	}
	if (a->mix.customers_undated &&
	    rn_pl_warn(a,
		       "%llu customers of a modelled channel have no acquisition date: left "
		       "out of the mix model",
		       (unsigned long long)a->mix.customers_undated))
		return nomem(err);
	return RN_OK;
}

/* ---- The analysis ---------------------------------------------------------------------- */

void rn_analysis_free(rn_analysis *a)
{
	if (!a)
		return;
	rn_mix_free(&a->mix);
	rn_roi_free(&a->roi);
	rn_referral_value_free(&a->rv);
	rn_attribution_free(&a->attr);
	rn_clv_result_free(&a->clv);
	rn_cascades_free(&a->cascades);
	rn_free(a->pagerank);
	rn_free(a->katz);
	rn_free(a->reach);
	rn_graph_free(&a->graph);
	rn_dataset_free(&a->ds);
	for (size_t i = 0; i < a->warning_count; i++)
		rn_free(a->warnings[i]);
	rn_free(a->warnings);
	rn_free(a);
}

int rn_analysis_run(rn_analysis **out, const rn_config *cfg, rn_analysis_depth depth,
		    const rn_report_options *opt, rn_error *err)
{
	*out = NULL;
	rn_analysis *a = rn_calloc(1, sizeof *a);
	if (!a)
		return nomem(err);
	a->cfg = cfg;
	a->depth = depth;
	if (opt)
		a->opt = *opt;
	if (a->opt.threads > 0)
		omp_set_num_threads(a->opt.threads);
	double t0 = rn_now(), t;
	int rc;
#define STAGE(name, call)                                                                          \
	do {                                                                                       \
		t = stage_begin(a, name);                                                          \
		rc = (call);                                                                       \
		if (rc)                                                                            \
			goto fail;                                                                 \
		stage_end(a, name, t);                                                             \
	} while (0)
	STAGE("load", stage_load(a, err));
	STAGE("graph", stage_graph(a, err));
	STAGE("value", stage_value(a, err));
	if (depth == RN_ANALYSIS_FULL)
		STAGE("centrality", stage_centrality(a, err));
	if (a->has_value)
		STAGE("referral", stage_referral(a, err));
	if (depth >= RN_ANALYSIS_ROI) {
		STAGE("roi", stage_roi(a, err));
		STAGE("mix", stage_mix(a, err));
	}
#undef STAGE
	a->seconds = rn_now() - t0;
	*out = a;
	return RN_OK;
fail:
	rn_analysis_free(a);
	return rc;
}

/* ---- The report ------------------------------------------------------------------------ */

void rn_report_result_free(rn_report_result *res)
{
	if (!res)
		return;
	rn_free(res->dir);
	rn_free(res->top_influencer);
	rn_free(res->verdict);
	memset(res, 0, sizeof *res);
}

static bool wants(const rn_config *cfg, rn_cfg_format f)
{
	for (uint32_t i = 0; i < cfg->report.formats.count; i++)
		if (cfg->report.formats.items[i] == (int)f)
			return true;
	return false;
}

static bool groups(const rn_config *cfg, rn_cfg_group g)
{
	for (uint32_t i = 0; i < cfg->roi.group_by.count; i++)
		if (cfg->roi.group_by.items[i] == (int)g)
			return true;
	return false;
}

typedef int (*file_writer)(const rn_analysis *a, const void *arg, FILE *out, rn_error *err);

static int write_file(rn_outdir *dir, const char *name, file_writer fn, const rn_analysis *a,
		      const void *arg, rn_error *err)
{
	FILE *f;
	int rc = rn_outdir_open(dir, name, &f, err);
	if (rc)
		return rc;
	rc = fn(a, arg, f, err);
	if (rc == RN_OK && (ferror(f)))
		rc = rn_error_set(err, RN_EIO, dir->target, 0, 0, "cannot write %s", name);
	int closed = rn_outdir_close(dir, name, f, rc ? NULL : err);
	return rc ? rc : closed;
}

static int w_customers(const rn_analysis *a, const void *arg, FILE *out, rn_error *err)
{
	(void)arg;
	int rc = rn_pl_write_customers_csv(a, out);
	return rc ? rn_error_set(err, rc, "customers.csv", 0, 0, "cannot write: %s",
				 rn_strerror(rc))
		  : RN_OK;
}

static int w_group(const rn_analysis *a, const void *arg, FILE *out, rn_error *err)
{
	(void)err;
	return rn_pl_write_group_csv(a, *(const rn_cfg_group *)arg, out);
}

static int w_summary(const rn_analysis *a, const void *arg, FILE *out, rn_error *err)
{
	(void)arg;
	return rn_pl_write_summary(a, out, err);
}

static int w_manifest(const rn_analysis *a, const void *arg, FILE *out, rn_error *err)
{
	(void)arg;
	return rn_pl_write_manifest(a, out, err);
}

static int w_graph(const rn_analysis *a, const void *arg, FILE *out, rn_error *err)
{
	return rn_pl_write_graph(a, *(const rn_cfg_graph_export *)arg, out, err);
}

static int w_html(const rn_analysis *a, const void *arg, FILE *out, rn_error *err)
{
	(void)a;
	return rn_doc_write_html((const rn_doc *)arg, out, err);
}

static int w_md(const rn_analysis *a, const void *arg, FILE *out, rn_error *err)
{
	(void)a;
	return rn_doc_write_md((const rn_doc *)arg, out, err);
}

static int write_outputs(rn_analysis *a, rn_outdir *dir, rn_error *err)
{
	const rn_config *cfg = a->cfg;
	int rc = RN_OK;
	rn_doc *doc = NULL;
	if (wants(cfg, RN_FORMAT_HTML) || wants(cfg, RN_FORMAT_MD)) {
		rc = rn_pl_build_doc(a, &doc, err);
		if (rc == RN_OK && wants(cfg, RN_FORMAT_HTML))
			rc = write_file(dir, "report.html", w_html, a, doc, err);
		if (rc == RN_OK && wants(cfg, RN_FORMAT_MD))
			rc = write_file(dir, "report.md", w_md, a, doc, err);
		if (rc == RN_OK)
			rc = rn_doc_write_chart_files(doc, dir, err);
		rn_doc_free(doc);
		if (rc)
			return rc;
	}
	progress(a, "write", 0.5);
	if (wants(cfg, RN_FORMAT_CSV)) {
		rc = write_file(dir, "customers.csv", w_customers, a, NULL, err);
		static const rn_cfg_group campaign = RN_GROUP_CAMPAIGN, channel = RN_GROUP_CHANNEL;
		if (rc == RN_OK && a->has_roi && groups(cfg, RN_GROUP_CAMPAIGN))
			rc = write_file(dir, "campaigns.csv", w_group, a, &campaign, err);
		if (rc == RN_OK && a->has_roi && groups(cfg, RN_GROUP_CHANNEL))
			rc = write_file(dir, "channels.csv", w_group, a, &channel, err);
		if (rc)
			return rc;
	}
	if (wants(cfg, RN_FORMAT_JSON)) {
		rc = write_file(dir, "summary.json", w_summary, a, NULL, err);
		if (rc)
			return rc;
	}
	if (cfg->report.graph_export != RN_EXPORT_NONE) {
		const char *name =
		    cfg->report.graph_export == RN_EXPORT_GRAPHML ? "graph.graphml" : "graph.gexf";
		rc = write_file(dir, name, w_graph, a, &cfg->report.graph_export, err);
		if (rc)
			return rc;
	}
	return RN_OK;
}

static int fill_result(const rn_analysis *a, const char *dir, rn_report_result *res, rn_error *err)
{
	memset(res, 0, sizeof *res);
	res->dir = rn_strdup(dir);
	if (!res->dir)
		return nomem(err);
	res->customers = a->n;
	res->edges = a->graph.m;
	res->cascades = a->cascades.count;
	for (uint32_t c = 0; c < a->cascades.count; c++)
		if (a->cascades.size[c] > res->largest_cascade)
			res->largest_cascade = a->cascades.size[c];
	if (a->graph.m > 0) {
		uint32_t *order = NULL, count = 0;
		int rc = rn_pl_top_influencers(a, 1, &order, &count, err);
		if (rc)
			return rc;
		res->top_influencer = count ? rn_strdup(rn_pl_customer(a, order[0])) : NULL;
		rn_free(order);
		if (count && !res->top_influencer)
			return nomem(err);
	}
	res->has_value = a->has_value;
	res->has_roi = a->has_roi;
	if (a->has_value)
		for (uint32_t v = 0; v < a->n; v++) {
			res->total_clv += a->clv.clv[v];
			res->total_network_value += a->rv.network_value[v];
		}
	if (a->has_roi) {
		res->verdict = rn_strdup(a->verdict);
		if (!res->verdict)
			return nomem(err);
	}
	res->warnings = a->warning_count;
	res->seconds = a->seconds;
	return RN_OK;
}

int rn_report_run(const rn_config *cfg, const rn_report_options *opt, rn_report_result *res,
		  rn_error *err)
{
	memset(res, 0, sizeof *res);
	rn_analysis *a;
	int rc = rn_analysis_run(&a, cfg, RN_ANALYSIS_FULL, opt, err);
	if (rc)
		return rc;
	double t = stage_begin(a, "write");
	rc = rn_pl_checksum_inputs(a, err);
	const char *target = opt && opt->out_dir ? opt->out_dir : cfg->report.dir;
	rn_outdir dir;
	memset(&dir, 0, sizeof dir);
	if (rc == RN_OK)
		rc = rn_outdir_begin(&dir, target, err);
	if (rc == RN_OK) {
		rc = write_outputs(a, &dir, err);
		/* the manifest records the write stage, so it is timed up to here; the
		 * manifest is always written: it marks the folder as a refnet report */
		stage_end(a, "write", t);
		a->seconds += a->stages[a->stage_count - 1].seconds;
		if (rc == RN_OK)
			rc = write_file(&dir, "manifest.json", w_manifest, a, NULL, err);
		/* everything that can fail happens before the commit: a run that reports an
		 * error never leaves a report behind */
		if (rc == RN_OK)
			rc = fill_result(a, target, res, err);
		if (rc == RN_OK)
			rc = rn_outdir_commit(&dir, err);
		rn_outdir_abort(&dir);
	}
	if (rc)
		rn_report_result_free(res);
	rn_analysis_free(a);
	return rc;
}

/* ---- Single tables (refnet value, refnet roi) ------------------------------------------ */

int rn_analysis_write_value_csv(const rn_analysis *a, FILE *out, rn_error *err)
{
	if (!a->has_value)
		return rn_config_error(a->cfg, err, RN_ECONFIG, "value.model", "%s",
				       a->value_reason);
	rn_csv_writer w;
	rn_csvw_init(&w, out);
	static const char *const names[] = {"customer",	     "clv", "crv",
					    "network_value", "rlv", "quadrant"};
	rn_csvw_header(&w, 6, names);
	for (uint32_t v = 0; v < a->n; v++) {
		rn_csvw_text(&w, rn_pl_customer(a, v));
		rn_csvw_number(&w, a->clv.clv[v]);
		rn_csvw_number(&w, a->rv.crv[v]);
		rn_csvw_number(&w, a->rv.network_value[v]);
		rn_csvw_number(&w, a->rv.rlv[v]);
		rn_csvw_text(&w, rn_quadrant_name((rn_quadrant)a->rv.quadrant[v]));
		rn_csvw_end_row(&w);
	}
	if (fflush(out) || ferror(out))
		return rn_error_set(err, RN_EIO, NULL, 0, 0, "write failed: %s", strerror(errno));
	return RN_OK;
}

static void roi_cells(rn_csv_writer *w, const rn_roi_row *r)
{
	rn_csvw_number(w, r->spend);
	rn_csvw_uint(w, r->customers);
	rn_csvw_number(w, (r->defined & RN_ROI_CAC) ? r->cac : NAN);
	rn_csvw_number(w, r->value_direct);
	rn_csvw_number(w, r->value_network);
	rn_csvw_number(w, (r->defined & RN_ROI_DIRECT) ? r->roi_direct : NAN);
	rn_csvw_number(w, (r->defined & RN_ROI_TOTAL) ? r->roi_total : NAN);
	rn_csvw_number(w, (r->defined & RN_ROI_WOM) ? r->wom_multiplier : NAN);
}

int rn_pl_write_group_csv(const rn_analysis *a, rn_cfg_group group, FILE *out)
{
	rn_csv_writer w;
	rn_csvw_init(&w, out);
	const char *names[] = {group == RN_GROUP_CAMPAIGN ? "campaign" : "channel",
			       "spend",
			       "customers",
			       "cac",
			       "value_direct",
			       "value_network",
			       "roi_direct",
			       "roi_total",
			       "wom_multiplier"};
	rn_csvw_header(&w, 9, names);
	uint32_t count = group == RN_GROUP_CAMPAIGN ? a->roi.n_campaigns : a->roi.n_channels;
	const rn_roi_row *rows = group == RN_GROUP_CAMPAIGN ? a->roi.campaigns : a->roi.channels;
	for (uint32_t i = 0; i < count; i++) {
		rn_csvw_text(&w, group == RN_GROUP_CAMPAIGN ? rn_pl_campaign(a, i)
							    : rn_pl_channel(a, i));
		roi_cells(&w, &rows[i]);
		rn_csvw_end_row(&w);
	}
	return ferror(out) ? RN_EIO : RN_OK;
}

int rn_analysis_write_roi_csv(const rn_analysis *a, FILE *out, rn_error *err)
{
	if (!a->has_roi)
		return rn_error_set(err, RN_ECONFIG, a->cfg->source, 0, 0, "%s", a->roi_reason);
	rn_csv_writer w;
	rn_csvw_init(&w, out);
	static const char *const names[] = {
	    "group",	    "name",	     "spend",	   "customers", "cac",
	    "value_direct", "value_network", "roi_direct", "roi_total", "wom_multiplier"};
	rn_csvw_header(&w, 10, names);
	for (uint32_t i = 0; i < a->roi.n_campaigns; i++) {
		rn_csvw_text(&w, "campaign");
		rn_csvw_text(&w, rn_pl_campaign(a, i));
		roi_cells(&w, &a->roi.campaigns[i]);
		rn_csvw_end_row(&w);
	}
	for (uint32_t i = 0; i < a->roi.n_channels; i++) {
		rn_csvw_text(&w, "channel");
		rn_csvw_text(&w, rn_pl_channel(a, i));
		roi_cells(&w, &a->roi.channels[i]);
		rn_csvw_end_row(&w);
	}
	rn_csvw_text(&w, "referral_programme");
	rn_csvw_text(&w, "referral programme");
	roi_cells(&w, &a->roi.programme);
	rn_csvw_end_row(&w);
	if (fflush(out) || ferror(out))
		return rn_error_set(err, RN_EIO, NULL, 0, 0, "write failed: %s", strerror(errno));
	return RN_OK;
}

/* ---- The built-in default configuration ---------------------------------------------- */

/* Must stay equivalent to datasets/sample/analysis.yaml (tests/cli/report_default.sh runs
 * both and compares the outputs byte for byte); report.dir is left at its default, resolved
 * against the working directory. */
static const char default_config[] =
    "title: \"Referral analysis of the sample shop\"\n"
    "inputs:\n"
    "  customers: customers.csv\n"
    "  referrals: referrals.csv\n"
    "  transactions: transactions.csv\n"
    "  spend: spend.csv\n"
    "value:\n"
    "  model: bgnbd\n"
    "  time_unit: week\n"
    "  horizon: 52\n"
    "  discount_rate: 0.10\n"
    "  margin: 0.3\n"
    "referral:\n"
    "  attribution: equal\n"
    "  incremental_share: 0.5\n"
    "  acquisition_cost_saved: auto\n"
    "  generation_decay: 0.5\n"
    "  horizon_days: 365\n"
    "  discount_rate: 0.15\n"
    "roi:\n"
    "  group_by: [campaign, channel]\n"
    "  mix_model: {enabled: true, adstock_max_lag: 8, bootstrap: 200, seed: 1}\n"
    "report:\n"
    "  formats: [html, md, csv, json]\n"
    "  top: 25\n";

int rn_report_default_config(rn_config *cfg, const char *sample_dir, rn_error *err)
{
	int rc = rn_config_load_string(cfg, default_config, sizeof default_config - 1,
				       "(built-in default configuration)", sample_dir, err);
	if (rc)
		return rc;
	/* the report goes to the working directory, not into the (maybe read-only) sample */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		rn_config_free(cfg);
		return rn_error_set(err, RN_ECANTCREAT, NULL, 0, 0,
				    "cannot find the working directory: %s", strerror(errno));
	}
	size_t len = strlen(cwd) + sizeof "/refnet-report";
	char *dir = rn_malloc(len);
	if (!dir) {
		rn_config_free(cfg);
		return nomem(err);
	}
	snprintf(dir, len, "%s/refnet-report", cwd);
	rn_free(cfg->report.dir);
	cfg->report.dir = dir;
	return RN_OK;
}

static bool sample_ok(const char *dir)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/referrals.csv", dir) >= sizeof path)
		return false;
	return access(path, R_OK) == 0;
}

const char *rn_report_sample_dir(void)
{
	static char found[PATH_MAX];
	const char *env = getenv("REFNET_SAMPLE_DIR");
	if (env && env[0]) {
		snprintf(found, sizeof found, "%s", env);
		return sample_ok(found) ? found : NULL;
	}
	/* An installed binary finds the data beside it: <prefix>/bin/refnet and
	 * <prefix>/share/refnet/sample, whatever prefix `cmake --install` was given. */
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		exe[len] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(found, sizeof found, "%s/../share/refnet/sample",
					     exe) < sizeof found &&
			    sample_ok(found))
				return found;
		}
	}
	snprintf(found, sizeof found, "%s/datasets/sample", RN_SOURCE_DIR);
	if (sample_ok(found))
		return found;
	snprintf(found, sizeof found, "%s/sample", RN_DATADIR);
	if (sample_ok(found))
		return found;
	return NULL;
}
