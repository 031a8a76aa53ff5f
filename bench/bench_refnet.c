/*
 * bench_refnet.c - the refnet side of the benchmark harness (scripts/bench).
 *
 * usage: bench_refnet csv REFERRALS.csv [SNAPSHOT.rnb]   load + CSR, PageRank; writes the
 *                                                         snapshot (untimed) if named, which
 *                                                         keeps the ids' table longer than
 *                                                         refnet rank does (scripts/bench
 *                                                         uses refnet convert instead)
 *        bench_refnet rnb SNAPSHOT.rnb                    snapshot reload, PageRank
 *
 * One process per trial, so the peak RSS reported is that of the stages run.  Prints one JSON
 * object: nodes, edges, load_s, pagerank_s, pagerank_iterations (Gauss-Seidel sweeps over the
 * cyclic parts; the acyclic part is solved in one pass), graph_bytes, peak_rss_bytes.
 */
#include <refnet/algo.h>

#include <stdio.h>
#include <string.h>

static int fail(const rn_error *err)
{
	char text[2048];
	rn_error_format(err, text, sizeof text);
	fprintf(stderr, "bench_refnet: %s\n", text);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "csv") && strcmp(argv[1], "rnb"))) {
		fprintf(stderr, "usage: bench_refnet csv REFERRALS.csv [OUT.rnb] | rnb GRAPH.rnb\n");
		return 64;
	}
	rn_error err;
	rn_error_clear(&err);
	rn_graph g;
	rn_dataset ds;
	rn_interner *ids = NULL;
	int snapshot = !strcmp(argv[1], "rnb");
	double start = rn_now();
	if (snapshot) {
		if (rn_snapshot_read(argv[2], &g, &ids, &err) != RN_OK)
			return fail(&err);
	} else {
		rn_load_options options;
		memset(&options, 0, sizeof options);
		options.graph_only = true; /* as the graph commands load (src/cli/load_graph.c) */
		if (rn_dataset_init(&ds) != RN_OK ||
		    rn_load_referrals(&ds, argv[2], &options, &err) != RN_OK)
			return fail(&err);
		/* As refnet rank (src/cli/load_graph.c): the ids' hash table goes before the graph
		 * is built, since PageRank and the output only turn indices back into strings; a
		 * snapshot, if asked for, needs it, so then it goes after. */
		if (argc <= 3)
			rn_interner_drop_index(ds.ids);
		if (rn_graph_from_dataset_release(&g, &ds, RN_DUP_SUM, &err) != RN_OK)
			return fail(&err);
	}
	double load = rn_now() - start;
	if (!snapshot && argc > 3 && rn_snapshot_write(argv[3], &g, ds.ids, &err) != RN_OK)
		return fail(&err);
	start = rn_now();
	rn_interner_drop_index(snapshot ? ids : ds.ids); /* timed with the load (a snapshot's and
							  * after one is written) */
	load += rn_now() - start;

	rn_pagerank_options opt;
	rn_pagerank_options_default(&opt);
	opt.tolerance = 1e-10;
	double *rank = rn_malloc_array(g.n + 1u, sizeof *rank);
	rn_solve_stats stats;
	start = rn_now();
	if (!rank || rn_pagerank(&g, &opt, rank, &stats, &err) != RN_OK)
		return fail(&err);
	double pagerank = rn_now() - start;

	printf("{\"nodes\": %u, \"edges\": %llu, \"load_s\": %.6f, \"pagerank_s\": %.6f, "
	       "\"pagerank_sweeps\": %llu, \"cyclic_components\": %u, \"graph_bytes\": %llu, "
	       "\"peak_rss_bytes\": %llu}\n",
	       g.n, (unsigned long long)g.m, load, pagerank, (unsigned long long)stats.sweeps,
	       stats.cyclic_components, (unsigned long long)rn_graph_bytes(&g),
	       (unsigned long long)rn_peak_rss());
	rn_free(rank);
	if (snapshot)
		rn_interner_free(ids);
	else
		rn_dataset_free(&ds);
	rn_graph_free(&g);
	return 0;
}
