/*
 * bench_pagerank.c - refnet PageRank against igraph PRPACK on the same generated graph, in
 * the same run (GAP style: the graph is built outside the timed region, only the solve is
 * timed, over several trials, and the answer is checked against PRPACK afterwards).
 *
 * usage: bench_pagerank N [EXTRA] [MODE] [TRIALS]
 *   N       customers (e.g. 1000000, 10000000)
 *   EXTRA   extra edges per customer on top of the referral forest (default 2, so ~3 per node)
 *   MODE    direction of the extra edges: "forward" (earlier customer to later one: the graph
 *           stays a DAG, as when several people refer the same newcomer), "random" (uniform:
 *           a giant strongly connected component), or "mixed" (forward, 1 % random); default
 *           forward
 *   TRIALS  timed refnet trials (default 3)
 *
 * The forest: customer i (in arrival order) is referred with probability 0.8 by an earlier
 * customer, chosen preferentially (half the time the referrer of a uniformly drawn earlier
 * customer, which gives a heavy-tailed referral count).  Node ids are then shuffled, so the
 * CSR has no locality from arrival order: the worst case for the kernel.
 */
#include <refnet/algo.h>

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* User + system CPU seconds of this process (all threads): on a shared machine it says what
 * the solve cost when wall time includes waiting for a core. */
static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
	       (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static uint32_t below(uint32_t k)
{
	return (uint32_t)(next() % k);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
			"usage: bench_pagerank N [EXTRA] [forward|random|mixed] [TRIALS]\n");
		return 64;
	}
	uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
	double extra = argc > 2 ? strtod(argv[2], NULL) : 2.0;
	const char *mode = argc > 3 ? argv[3] : "forward";
	int trials = argc > 4 ? atoi(argv[4]) : 3;
	int random_pct = !strcmp(mode, "random") ? 100 : !strcmp(mode, "mixed") ? 1 : 0;
	if (n < 2 || trials < 1) {
		fprintf(stderr, "bench_pagerank: N must be >= 2 and TRIALS >= 1\n");
		return 64;
	}
	uint64_t cap = (uint64_t)n + (uint64_t)(extra * n) + 1;
	uint32_t *src = malloc(cap * sizeof *src), *dst = malloc(cap * sizeof *dst);
	uint32_t *parent = malloc((size_t)n * sizeof *parent),
		 *perm = malloc((size_t)n * sizeof *perm);
	if (!src || !dst || !parent || !perm)
		return 70;
	double t0 = rn_now();
	uint64_t m = 0;
	parent[0] = UINT32_MAX;
	for (uint32_t i = 1; i < n; i++) {
		parent[i] = UINT32_MAX;
		if (below(10) < 8) {
			uint32_t j = below(i);
			uint32_t p = (below(2) == 0 && parent[j] != UINT32_MAX) ? parent[j] : j;
			parent[i] = p;
			src[m] = p;
			dst[m++] = i;
		}
	}
	uint64_t extra_edges = (uint64_t)(extra * n);
	for (uint64_t k = 0; k < extra_edges; k++) {
		uint32_t a = below(n), b = below(n);
		if ((int)below(100) >= random_pct && a > b) {
			uint32_t t = a;
			a = b;
			b = t;
		}
		src[m] = a;
		dst[m++] = b;
	}
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = below(i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint64_t e = 0; e < m; e++) {
		src[e] = perm[src[e]];
		dst[e] = perm[dst[e]];
	}
	free(parent);
	free(perm);
	rn_graph g;
	rn_error err;
	if (rn_graph_build(&g, n, m, src, dst, NULL, RN_DUP_SUM, &err) != RN_OK) {
		fprintf(stderr, "build failed: %s\n", err.message);
		return 70;
	}
	free(src);
	free(dst);
	double t_gen = rn_now() - t0;
	printf("graph: %u customers, %llu referrals (%s extra edges, %.2f per node), "
	       "generated and built in %.2f s, CSR %.1f MiB, threads %d\n",
	       g.n, (unsigned long long)g.m, mode, extra, t_gen,
	       (double)rn_graph_bytes(&g) / 1048576.0, omp_get_max_threads());
	uint64_t rss_graph = rn_peak_rss();

	double *ours = malloc((size_t)n * sizeof *ours), *ref = malloc((size_t)n * sizeof *ref);
	rn_pagerank_options opt;
	rn_pagerank_options_default(&opt);
	opt.tolerance = 1e-10;
	rn_solve_stats st = {0};
	double best = 1e300, total = 0, best_cpu = 1e300;
	for (int t = 0; t < trials; t++) {
		double s = rn_now(), c = cpu_seconds();
		if (rn_pagerank(&g, &opt, ours, &st, &err) != RN_OK) {
			fprintf(stderr, "pagerank failed: %s\n", err.message);
			return 70;
		}
		double el = rn_now() - s, cpu = cpu_seconds() - c;
		total += el;
		if (el < best)
			best = el;
		if (cpu < best_cpu)
			best_cpu = cpu;
	}
	uint64_t rss_ours = rn_peak_rss();
	double passes = (double)st.row_updates / (double)n;
	printf("refnet: best %.3f s wall (best CPU %.3f s), mean %.3f s over %d trials; %u "
	       "components (%u cyclic, "
	       "%llu sweeps, max %u on one); %u levels; %.2f equivalent passes; %.2f ns per edge "
	       "per pass; "
	       "%.3f s per pass\n",
	       best, best_cpu, total / trials, trials, st.components, st.cyclic_components,
	       (unsigned long long)st.sweeps, st.max_sweeps, st.levels, passes,
	       best * 1e9 / (passes * (double)g.m), best / passes);
	/* The solver's scratch is known exactly: Kahn counters and order (4 + 4 bytes per node)
	 * and the scaled values x / in_weight (8), freed on return; plus the 8-byte result. */
	printf("refnet: memory: CSR 8 bytes per edge + %.1f per node; solver scratch 16 bytes "
	       "per node + 8 for the result; peak RSS %.1f MiB (graph built: %.1f MiB; both "
	       "include the generator's edge list, freed before the solve)\n",
	       (double)(rn_graph_bytes(&g) - 8 * g.m) / (double)n, (double)rss_ours / 1048576.0,
	       (double)rss_graph / 1048576.0);
	double s = rn_now();
	if (rn_ig_pagerank_prpack(&g, opt.damping, NULL, ref, 64ull << 30, &err) != RN_OK) {
		fprintf(stderr, "igraph failed: %s\n", err.message);
		return 70;
	}
	double t_ig = rn_now() - s;
	double dist = 0;
	for (uint32_t v = 0; v < n; v++)
		dist += fabs(ours[v] - ref[v]);
	printf("igraph PRPACK: %.3f s (conversion included), peak RSS %.1f MiB\n", t_ig,
	       (double)rn_peak_rss() / 1048576.0);
	printf("ratio igraph/refnet: %.1fx; L1 distance %.3g (%s 1e-9)\n", t_ig / best, dist,
	       dist <= 1e-9 ? "within" : "ABOVE");
	free(ours);
	free(ref);
	rn_graph_free(&g);
	return dist <= 1e-9 ? 0 : 1;
}
