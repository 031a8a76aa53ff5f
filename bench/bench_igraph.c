/*
 * bench_igraph.c - the igraph side of the benchmark: igraph's own reader and PRPACK PageRank
 * on the same referral data refnet loads.
 *
 * usage: bench_igraph REVERSED.ncol
 *
 * The harness (scripts/bench) converts the referrals CSV into igraph's NCOL format with the
 * columns swapped (referred referrer), outside any timed region, so that the graph igraph
 * builds is already the reversed graph PageRank needs.  Timed: igraph_read_graph_ncol with
 * symbolic names (it interns the names and calls igraph_create) and igraph_pagerank with
 * PRPACK.  Prints one JSON object with the times and the peak RSS of this process.
 */
#include <igraph.h>

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_igraph REVERSED.ncol\n");
		return 64;
	}
	FILE *in = fopen(argv[1], "r");
	if (!in) {
		perror(argv[1]);
		return 66;
	}
	igraph_t graph;
	double start = now();
	if (igraph_read_graph_ncol(&graph, in, NULL, 1, IGRAPH_ADD_WEIGHTS_NO, IGRAPH_DIRECTED)) {
		fprintf(stderr, "bench_igraph: cannot read %s\n", argv[1]);
		return 65;
	}
	double load = now() - start;
	fclose(in);
	igraph_vector_t rank;
	igraph_real_t value;
	igraph_vector_init(&rank, 0);
	start = now();
	igraph_pagerank(&graph, IGRAPH_PAGERANK_ALGO_PRPACK, &rank, &value, igraph_vss_all(),
			IGRAPH_DIRECTED, 0.85, NULL, NULL);
	double pagerank = now() - start;
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	printf("{\"nodes\": %lld, \"edges\": %lld, \"load_s\": %.6f, \"pagerank_s\": %.6f, "
	       "\"peak_rss_bytes\": %lld}\n",
	       (long long)igraph_vcount(&graph), (long long)igraph_ecount(&graph), load, pagerank,
	       (long long)usage.ru_maxrss * 1024);
	igraph_vector_destroy(&rank);
	igraph_destroy(&graph);
	return 0;
}
