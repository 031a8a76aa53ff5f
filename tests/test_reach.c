/* test_reach.c - distinct downstream customers: hand-computed cases (chain, reconverging
 * diamond, cycles), igraph BFS reachability on generated graphs for the forest and exact paths,
 * and the HyperLogLog path against the exact counts within its stated error. */
#include <refnet/algo.h>

#include "algo_graphs.h"
#include "check.h"

static void build(rn_graph *g, uint32_t n, const uint32_t *s, const uint32_t *t, uint64_t m)
{
	CHECK_INT(rn_graph_build(g, n, m, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
}

static void test_hand(void)
{
	rn_graph g;
	double r[8];
	rn_reach_method how;
	/* Chain 0 -> 1 -> 2 and an isolated node 3: a forest. */
	uint32_t s1[] = {0, 1}, t1[] = {1, 2};
	build(&g, 4, s1, t1, 2);
	CHECK_INT(rn_reach(&g, NULL, r, &how, NULL), RN_OK);
	CHECK_INT(how, RN_REACH_FOREST);
	CHECK_NEAR(r[0], 2, 0);
	CHECK_NEAR(r[1], 1, 0);
	CHECK_NEAR(r[2], 0, 0);
	CHECK_NEAR(r[3], 0, 0);
	rn_graph_free(&g);
	/* Diamond 0 -> {1, 2} -> 3: 3 is reached twice from 0 but counts once (3, not 4). */
	uint32_t s2[] = {0, 0, 1, 2}, t2[] = {1, 2, 3, 3};
	build(&g, 4, s2, t2, 4);
	CHECK_INT(rn_reach(&g, NULL, r, &how, NULL), RN_OK);
	CHECK_INT(how, RN_REACH_EXACT);
	CHECK_NEAR(r[0], 3, 0);
	CHECK_NEAR(r[1], 1, 0);
	CHECK_NEAR(r[3], 0, 0);
	rn_graph_free(&g);
	/* Cycle 0 -> 1 -> 2 -> 0, 2 -> 3, 4 -> 0: members reach the two others and 3; 4 reaches
	 * all four; the condensation {4} -> {0,1,2} -> {3} is a chain (forest path). */
	uint32_t s3[] = {0, 1, 2, 2, 4}, t3[] = {1, 2, 0, 3, 0};
	build(&g, 5, s3, t3, 5);
	CHECK_INT(rn_reach(&g, NULL, r, &how, NULL), RN_OK);
	CHECK_INT(how, RN_REACH_FOREST);
	CHECK_NEAR(r[0], 3, 0);
	CHECK_NEAR(r[1], 3, 0);
	CHECK_NEAR(r[2], 3, 0);
	CHECK_NEAR(r[3], 0, 0);
	CHECK_NEAR(r[4], 4, 0);
	rn_graph_free(&g);
}

static void compare_bfs(tg_kind kind, uint32_t n, uint64_t m, uint32_t exact_max,
			rn_reach_method want)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, kind, n, m, 1, n ^ m), RN_OK);
	double *ours = malloc(n * sizeof *ours), *ref = malloc(n * sizeof *ref);
	rn_reach_options opt;
	rn_reach_options_default(&opt);
	opt.exact_max_nodes = exact_max;
	rn_reach_method how;
	CHECK_INT(rn_reach(&g, &opt, ours, &how, NULL), RN_OK);
	CHECK_INT(how, want);
	CHECK_INT(rn_ig_reach(&g, ref, 0, NULL), RN_OK);
	uint32_t wrong = 0;
	for (uint32_t v = 0; v < n; v++)
		wrong += ours[v] != ref[v];
	CHECK_INT(wrong, 0);
	free(ours);
	free(ref);
	rn_graph_free(&g);
}

static void test_vs_igraph(void)
{
	compare_bfs(TG_RANDOM, 1500, 1400, 200000, RN_REACH_EXACT);
	compare_bfs(TG_RANDOM, 1500, 4000, 200000, RN_REACH_EXACT);
	compare_bfs(TG_DAG, 3000, 6000, 200000, RN_REACH_EXACT);
	compare_bfs(TG_NEARDAG, 3000, 6000, 200000, RN_REACH_EXACT);
	/* A forest stays exact above exact_max_nodes. */
	compare_bfs(TG_FOREST, 6000, 6000, 100, RN_REACH_FOREST);
}

/* HyperLogLog: a near-DAG of 30000 nodes with exact_max_nodes 1000 takes the estimate path.
 * For 30 hash seeds, the relative error on the node with the largest reach is a sample of the
 * estimator's error; its RMS should be 1.04/sqrt(m) (Flajolet et al. 2007).  We allow 1.5x:
 * for 30 roughly normal samples the chance that the sample RMS exceeds 1.5 sigma is below
 * 1e-4, and a broken estimator (wrong alpha, no merge, no small-range correction) is off by
 * far more.  Every estimate must also lie within 6 sigma of the truth for reach >= 100. */
static void test_hll(void)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, TG_NEARDAG, 30000, 45000, 0, 3), RN_OK);
	uint32_t n = g.n;
	double *exact = malloc(n * sizeof *exact), *est = malloc(n * sizeof *est);
	rn_reach_options opt;
	rn_reach_options_default(&opt);
	rn_reach_method how;
	CHECK_INT(rn_reach(&g, &opt, exact, &how, NULL), RN_OK);
	CHECK_INT(how, RN_REACH_EXACT);
	uint32_t big = 0;
	for (uint32_t v = 0; v < n; v++)
		if (exact[v] > exact[big])
			big = v;
	CHECK(exact[big] > 1000);
	opt.exact_max_nodes = 1000;
	double sigma = rn_hll_relative_error(opt.hll_precision), sq = 0, worst = 0;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		opt.hll_seed = seed;
		CHECK_INT(rn_reach(&g, &opt, est, &how, NULL), RN_OK);
		CHECK_INT(how, RN_REACH_HLL);
		double rel = (est[big] - exact[big]) / exact[big];
		sq += rel * rel;
		for (uint32_t v = 0; v < n; v++)
			if (exact[v] >= 100) {
				double e = fabs(est[v] - exact[v]) / exact[v];
				if (e > worst)
					worst = e;
			}
	}
	double rms = sqrt(sq / 30);
	fprintf(stderr, "HLL p=%u: stated error %.4f, RMS on largest reach %.4f, worst %.4f\n",
		opt.hll_precision, sigma, rms, worst);
	CHECK(rms <= 1.5 * sigma);
	CHECK(worst <= 6 * sigma);
	CHECK_NEAR(rn_hll_relative_error(10), 1.04 / 32, 1e-15);
	opt.hll_precision = 3;
	CHECK_INT(rn_reach(&g, &opt, est, NULL, NULL), RN_EUSAGE);
	free(exact);
	free(est);
	rn_graph_free(&g);
}

/* Components handed in (opt.scc) give the same reach, bit for bit, on every path: exact,
 * HyperLogLog, and a forest. */
static void test_shared_components(void)
{
	const tg_kind kinds[] = {TG_RANDOM, TG_NEARDAG, TG_FOREST};
	const uint32_t limits[] = {200000, 1000, 100};
	const rn_reach_method paths[] = {RN_REACH_EXACT, RN_REACH_HLL, RN_REACH_FOREST};
	for (int k = 0; k < 3; k++) {
		rn_graph g;
		CHECK_INT(tg_build(&g, kinds[k], 5000, 9000, 1, 7), RN_OK);
		rn_scc_labels scc;
		CHECK_INT(rn_scc_labels_compute(&g, &scc, NULL), RN_OK);
		double *a = malloc(g.n * sizeof *a), *b = malloc(g.n * sizeof *b);
		rn_reach_options opt;
		rn_reach_options_default(&opt);
		opt.exact_max_nodes = limits[k];
		rn_reach_method how_a, how_b;
		CHECK_INT(rn_reach(&g, &opt, a, &how_a, NULL), RN_OK);
		opt.scc = &scc;
		CHECK_INT(rn_reach(&g, &opt, b, &how_b, NULL), RN_OK);
		CHECK_INT(how_a, paths[k]);
		CHECK_INT(how_b, paths[k]);
		CHECK(memcmp(a, b, g.n * sizeof *a) == 0);
		rn_scc_labels_free(&scc);
		free(a);
		free(b);
		rn_graph_free(&g);
	}
}

int main(void)
{
	test_hand();
	test_vs_igraph();
	test_hll();
	test_shared_components();
	return check_report();
}
