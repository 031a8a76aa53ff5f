/*
 * inputs.c - loading the configured export files: the bridge from rn_config to the io and
 * graph layers.
 *
 * One place turns the configuration's column names, date format and on_error policy into
 * rn_load_options and loads the tables in the order the io layer requires (customers first,
 * so that referrals and transactions are checked against it; then referrals, transactions,
 * spend).  The load policies that the loaders do not apply themselves are enforced here:
 * self_loops: error (the graph layer drops self-loops and only counts them) and
 * duplicate_edges: error (checked by building the graph with that policy).  `refnet check`
 * uses this to validate inputs fully, and the report pipeline to load them, so the two cannot
 * disagree about what a valid input is.  The fingerprints recorded in manifest.json (size and
 * XXH3-64 of the raw file bytes, compressed as stored) are computed here too.
 */
#include <refnet/report.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

void rn_config_load_options(const rn_config *cfg, rn_load_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->columns = cfg->inputs.columns;
	opt->date_format = cfg->inputs.date_format;
	/* on_error: skip is the one repair the configuration opts into: bad rows (including a
	 * row naming a customer missing from the customers table) are skipped and counted;
	 * customers are never invented */
	opt->skip_bad_rows = cfg->load.on_error == RN_ON_ERROR_SKIP;
	opt->create_missing = false;
	/* a report names the line of a bad referral (duplicates, self-loops, dates) */
	opt->keep_lines = true;
}

static int self_loop_check(const rn_config *cfg, const rn_dataset *ds, rn_error *err)
{
	if (cfg->load.self_loops != RN_SELF_LOOPS_ERROR)
		return RN_OK;
	const rn_referrals *r = &ds->referrals;
	for (uint64_t i = 0; i < r->count; i++) {
		if (r->referrer[i] != r->referred[i])
			continue;
		const char *id = rn_interner_string(ds->ids, r->referrer[i], NULL);
		return rn_error_set(err, RN_EDATA, cfg->inputs.referrals, r->line ? r->line[i] : 0,
				    0, "customer '%s' refers themself (load.self_loops: error)",
				    id ? id : "?");
	}
	return RN_OK;
}

int rn_config_load_dataset(const rn_config *cfg, rn_dataset *ds, bool with_referrals, rn_error *err)
{
	rn_load_options opt;
	rn_config_load_options(cfg, &opt);
	int status = RN_OK;
	if (cfg->inputs.customers)
		status = rn_load_customers(ds, cfg->inputs.customers, &opt, err);
	if (status == RN_OK && with_referrals)
		status = rn_load_referrals(ds, cfg->inputs.referrals, &opt, err);
	if (status == RN_OK && cfg->inputs.transactions)
		status = rn_load_transactions(ds, cfg->inputs.transactions, &opt, err);
	if (status == RN_OK && cfg->inputs.spend)
		status = rn_load_spend(ds, cfg->inputs.spend, &opt, err);
	if (status == RN_OK)
		status = rn_dataset_finish(ds, err);
	if (status == RN_OK && with_referrals)
		status = self_loop_check(cfg, ds, err);
	return status;
}

int rn_config_validate_inputs(const rn_config *cfg, rn_input_summary *summary, rn_error *err)
{
	memset(summary, 0, sizeof *summary);
	int status = rn_config_check_inputs(cfg, err);
	if (status)
		return status;
	rn_dataset ds;
	status = rn_dataset_init(&ds);
	if (status)
		return rn_error_set(err, status, NULL, 0, 0, "out of memory");
	rn_graph graph;
	memset(&graph, 0, sizeof graph);
	bool snapshot = rn_snapshot_detect(cfg->inputs.referrals);
	summary->snapshot = snapshot;
	if (snapshot) {
		/* a .rnb snapshot carries its own ids; the other tables are checked on their own */
		rn_interner *ids = NULL;
		status = rn_snapshot_read(cfg->inputs.referrals, &graph, &ids, err);
		if (status == RN_OK) {
			summary->referrals = graph.m + graph.duplicates_merged + graph.self_loops;
			summary->nodes = graph.n;
			summary->edges = graph.m;
			summary->self_loops = graph.self_loops;
			summary->duplicates_merged = graph.duplicates_merged;
			if (cfg->load.self_loops == RN_SELF_LOOPS_ERROR && graph.self_loops)
				status = rn_error_set(err, RN_EDATA, cfg->inputs.referrals, 0, 0,
						      "the snapshot dropped %llu self-loops "
						      "(load.self_loops: error)",
						      (unsigned long long)graph.self_loops);
		}
		rn_interner_free(ids);
		rn_graph_free(&graph);
		if (status == RN_OK)
			status = rn_config_load_dataset(cfg, &ds, false, err);
	} else {
		status = rn_config_load_dataset(cfg, &ds, true, err);
		if (status == RN_OK)
			status = rn_graph_from_dataset(&graph, &ds, cfg->inputs.referrals,
						       cfg->load.duplicate_edges, err);
		if (status == RN_OK) {
			summary->referrals = ds.referrals.count;
			summary->nodes = graph.n;
			summary->edges = graph.m;
			summary->self_loops = graph.self_loops;
			summary->duplicates_merged = graph.duplicates_merged;
		}
		rn_graph_free(&graph);
	}
	if (status == RN_OK) {
		summary->customers = ds.customers.count;
		summary->transactions = ds.transactions.count;
		summary->spend = ds.spend.count;
		summary->skipped_rows = ds.customers.skipped_rows + ds.referrals.skipped_rows +
					ds.transactions.skipped_rows + ds.spend.skipped_rows;
		if (cfg->value.model == RN_MODEL_COLUMN && !ds.customers.has_clv)
			status =
			    rn_config_error(cfg, err, RN_ECONFIG, "value.model",
					    "model 'column' needs a customers file with a '%s' "
					    "column",
					    cfg->inputs.columns.clv);
	}
	rn_dataset_free(&ds);
	return status;
}

/* ---- Input fingerprints for manifest.json ---------------------------------------------- */

int rn_file_fingerprint(const char *path, uint64_t *bytes, uint64_t *xxh3, rn_error *err)
{
	*bytes = 0;
	*xxh3 = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return rn_error_set(err, RN_ENOINPUT, path, 0, 0, "cannot open: %s",
				    strerror(errno));
	/* the state lives on the stack (XXH_STATIC_LINKING_ONLY): no allocation outside the
	 * allocation layer */
	XXH3_state_t state;
	XXH3_INITSTATE(&state);
	XXH3_64bits_reset(&state);
	unsigned char buf[1 << 16];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
		XXH3_64bits_update(&state, buf, got);
		*bytes += got;
	}
	int failed = ferror(f);
	int saved = errno;
	fclose(f);
	if (failed)
		return rn_error_set(err, RN_EIO, path, 0, 0, "read failed: %s", strerror(saved));
	*xxh3 = XXH3_64bits_digest(&state);
	return RN_OK;
}
