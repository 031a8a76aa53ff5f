/* test_igraph_adapter.c - the igraph adapter on hand-made graphs whose answers are known:
 * components (also against the graph layer's own union-find), betweenness exact and sampled,
 * hub/authority, coreness, Louvain, and the size guard. */
#include <refnet/algo.h>

#include "algo_graphs.h"
#include "check.h"

static void test_components(void)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, TG_RANDOM, 4000, 2500, 0, 17), RN_OK);
	uint32_t n = g.n, count = 0, ref_count = 0;
	uint32_t *ours = malloc(n * sizeof *ours), *ref = malloc(n * sizeof *ref);
	CHECK_INT(rn_ig_components(&g, RN_IG_WEAK, ours, &count, 0, NULL), RN_OK);
	CHECK_INT(rn_graph_wcc(&g, ref, &ref_count, NULL, NULL), RN_OK);
	CHECK_INT(count, ref_count);
	/* Both number components in order of first node, so labels must agree exactly. */
	CHECK(memcmp(ours, ref, n * sizeof *ours) == 0);
	free(ours);
	free(ref);
	rn_graph_free(&g);
}

static void test_betweenness(void)
{
	/* Path 0 -> 1 -> 2 -> 3: directed betweenness 0, 2, 2, 0 (1 lies on 0-2 and 0-3). */
	uint32_t s[] = {0, 1, 2}, t[] = {1, 2, 3};
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 4, 3, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
	double b[4];
	CHECK_INT(rn_ig_betweenness(&g, 0, 1, b, 0, NULL), RN_OK);
	CHECK_NEAR(b[0], 0, 0);
	CHECK_NEAR(b[1], 2, 0);
	CHECK_NEAR(b[2], 2, 0);
	CHECK_NEAR(b[3], 0, 0);
	/* samples == n means exact. */
	CHECK_INT(rn_ig_betweenness(&g, 4, 1, b, 0, NULL), RN_OK);
	CHECK_NEAR(b[1], 2, 0);
	CHECK_INT(rn_ig_betweenness(&g, 2, 1, b, 1, &err), RN_EUSAGE);
	CHECK_CONTAINS(err.message, "above the limit");
	rn_graph_free(&g);
	/* Sampled betweenness is unbiased: averaged over many seeds it approaches the exact
	 * value.  200 seeds of 50 sources out of 400 nodes: standard error of the mean is a few
	 * percent of the total; we check the summed score within 10 %. */
	CHECK_INT(tg_build(&g, TG_RANDOM, 400, 1200, 0, 23), RN_OK);
	double *exact = malloc(400 * sizeof *exact), *est = malloc(400 * sizeof *est);
	CHECK_INT(rn_ig_betweenness(&g, 0, 0, exact, 0, NULL), RN_OK);
	double total_exact = 0, total_est = 0;
	for (uint32_t v = 0; v < 400; v++)
		total_exact += exact[v];
	for (uint64_t seed = 0; seed < 200; seed++) {
		CHECK_INT(rn_ig_betweenness(&g, 50, seed, est, 0, NULL), RN_OK);
		for (uint32_t v = 0; v < 400; v++)
			total_est += est[v] / 200;
	}
	CHECK(fabs(total_est - total_exact) <= 0.1 * total_exact);
	free(exact);
	free(est);
	rn_graph_free(&g);
}

static void test_hub_authority(void)
{
	/* Star 0 -> {1, 2, 3}: 0 is the only hub, 1..3 equal authorities (scaled to max 1). */
	uint32_t s[] = {0, 0, 0}, t[] = {1, 2, 3};
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, 4, 3, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
	double hub[4], auth[4];
	CHECK_INT(rn_ig_hub_authority(&g, hub, auth, 0, NULL), RN_OK);
	CHECK_NEAR(hub[0], 1, 1e-9);
	CHECK_NEAR(hub[1], 0, 1e-9);
	CHECK_NEAR(auth[0], 0, 1e-9);
	CHECK_NEAR(auth[1], 1, 1e-9);
	CHECK_NEAR(auth[3], 1, 1e-9);
	rn_graph_free(&g);
}

static void test_coreness_louvain(void)
{
	/* Two triangles {0,1,2} and {3,4,5} (mixed directions, 0 <-> 1 both ways) joined by
	 * 2 -> 3, and a pendant 6 referred by 5.  Undirected view: triangles are 2-cores, 6 is a
	 * 1-core; Louvain splits the triangles. */
	uint32_t s[] = {0, 1, 1, 2, 3, 4, 5, 2, 5}, t[] = {1, 0, 2, 0, 4, 5, 3, 3, 6};
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, 7, 9, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
	uint32_t core[7], comm[7], count = 0;
	CHECK_INT(rn_ig_coreness(&g, core, 0, NULL), RN_OK);
	CHECK_INT(core[0], 2);
	CHECK_INT(core[2], 2);
	CHECK_INT(core[4], 2);
	CHECK_INT(core[6], 1);
	double q = 0;
	CHECK_INT(rn_ig_louvain(&g, 1, comm, &count, &q, 0, NULL), RN_OK);
	CHECK_INT(count, 2);
	CHECK_INT(comm[0], 0);
	CHECK_INT(comm[1], 0);
	CHECK_INT(comm[2], 0);
	CHECK_INT(comm[3], 1);
	CHECK_INT(comm[6], 1);
	CHECK(q > 0.3);
	rn_graph_free(&g);
}

int main(void)
{
	test_components();
	test_betweenness();
	test_hub_authority();
	test_coreness_louvain();
	return check_report();
}
