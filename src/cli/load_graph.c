/*
 * load_graph.c - loading a referrals file for the graph commands.
 */
#include "cli/load_graph.h"

#include <string.h>

int cli_parse_dup_policy(const char *text, rn_dup_policy *policy)
{
	static const char *const names[] = {"sum", "max", "first", "error"};
	for (int i = 0; i < 4; i++) {
		if (!strcmp(text, names[i])) {
			*policy = (rn_dup_policy)i;
			return 0;
		}
	}
	return -1;
}

void cli_graph_free(cli_graph *loaded)
{
	/* The ids of a snapshot borrow the graph's mapping: free them first. */
	rn_dataset_free(&loaded->dataset);
	rn_graph_free(&loaded->graph);
}

static int load_snapshot(cli_graph *out, const char *path, rn_error *err)
{
	rn_interner *ids;
	int rc = rn_snapshot_read(path, &out->graph, &ids, err);
	if (rc != RN_OK) {
		rn_dataset_free(&out->dataset);
		return rc;
	}
	rn_interner_free(out->dataset.ids);
	out->dataset.ids = ids;
	out->rows = out->graph.m + out->graph.duplicates_merged + out->graph.self_loops;
	return RN_OK;
}

int cli_load_graph(cli_graph *out, const char *path, rn_dup_policy policy, bool lookups,
		   rn_error *err)
{
	memset(out, 0, sizeof *out);
	double start = rn_now();
	int rc = rn_dataset_init(&out->dataset);
	if (rc != RN_OK)
		return rn_error_set(err, rc, NULL, 0, 0, "out of memory");
	if (rn_snapshot_detect(path)) {
		rc = load_snapshot(out, path, err);
		if (rc == RN_OK && !lookups)
			rn_interner_drop_index(out->dataset.ids);
		out->load_seconds = rn_now() - start;
		return rc;
	}
	rn_load_options options;
	memset(&options, 0, sizeof options);
	/* lines cost 8 bytes per row; only a duplicate error needs one */
	options.keep_lines = policy == RN_DUP_ERROR;
	options.graph_only = true;
	rc = rn_load_referrals(&out->dataset, path, &options, err);
	/* No rn_dataset_finish: its per-customer table (12 bytes per customer, all "unknown"
	 * without a customers file) is not used by the graph commands. */
	if (rc == RN_OK) {
		out->rows = out->dataset.referrals.count;
		if (!lookups)
			rn_interner_drop_index(out->dataset.ids);
		/* The graph commands need only the graph and the ids from here on; a duplicate
		 * error wants the rows to name its line. */
		if (policy == RN_DUP_ERROR)
			rc = rn_graph_from_dataset(&out->graph, &out->dataset, path, policy, err);
		else
			rc = rn_graph_from_dataset_release(&out->graph, &out->dataset, policy, err);
	}
	if (rc != RN_OK) {
		rn_dataset_free(&out->dataset);
		return rc;
	}
	out->load_seconds = rn_now() - start;
	return RN_OK;
}
