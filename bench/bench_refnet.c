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
 * object: nodes, edges, load_s, pagerank_s, pagerank_sweeps (Gauss-Seidel sweeps over the
 * cyclic parts; the acyclic part is solved in one pass), cyclic_components, graph_bytes,
 * peak_rss_bytes.
 */
#include <refnet/algo.h>

#include "cli/load_graph.h"

#include <stdbool.h>
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
	/* Loaded as refnet rank loads (the same function): the ids' table goes before the graph
	 * is built, unless a snapshot is to be written, which needs it; then it goes after. */
	bool write = !strcmp(argv[1], "csv") && argc > 3;
	cli_graph loaded;
	double start = rn_now();
	if (cli_load_graph(&loaded, argv[2], RN_DUP_SUM, write, &err) != RN_OK)
		return fail(&err);
	double load = rn_now() - start;
	if (write && rn_snapshot_write(argv[3], &loaded.graph, loaded.dataset.ids, &err) != RN_OK)
		return fail(&err);
	start = rn_now();
	rn_interner_drop_index(
	    loaded.dataset.ids); /* timed with the load; a no-op unless written */
	load += rn_now() - start;
	const rn_graph *gp = &loaded.graph;

	rn_pagerank_options opt;
	rn_pagerank_options_default(&opt);
	opt.tolerance = 1e-10;
	double *rank = rn_malloc_array(gp->n + 1u, sizeof *rank);
	rn_solve_stats stats;
	start = rn_now();
	if (!rank || rn_pagerank(gp, &opt, rank, &stats, &err) != RN_OK)
		return fail(&err);
	double pagerank = rn_now() - start;

	printf("{\"nodes\": %u, \"edges\": %llu, \"load_s\": %.6f, \"pagerank_s\": %.6f, "
	       "\"pagerank_sweeps\": %llu, \"cyclic_components\": %u, \"graph_bytes\": %llu, "
	       "\"peak_rss_bytes\": %llu}\n",
	       gp->n, (unsigned long long)gp->m, load, pagerank, (unsigned long long)stats.sweeps,
	       stats.cyclic_components, (unsigned long long)rn_graph_bytes(gp),
	       (unsigned long long)rn_peak_rss());
	rn_free(rank);
	cli_graph_free(&loaded);
	return 0;
}
