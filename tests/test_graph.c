/* test_graph.c - CSR build (row order, duplicate policies, self-loops, degrees) and weakly
 * connected components, on hand-built edge lists. */
#include <refnet/graph.h>

#include "check.h"

/* 0->1 twice (weights 1 and 2), 0->2, 2->0, 3->3 (self-loop), 1->2; node 4 isolated. */
static const uint32_t src[] = {0, 0, 0, 2, 3, 1, 0};
static const uint32_t dst[] = {1, 2, 1, 0, 3, 2, 1};
static const float wt[] = {1, 4, 2, 1, 7, 3, 0.5f};

static void test_build_sum(void)
{
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 5, 7, src, dst, wt, RN_DUP_SUM, &err), RN_OK);
	CHECK_INT(g.n, 5);
	CHECK_INT(g.m, 4);
	CHECK_INT(g.duplicates_merged, 2);
	CHECK_INT(g.self_loops, 1);
	CHECK_INT(g.offsets[0], 0);
	CHECK_INT(g.offsets[1], 2);
	CHECK_INT(g.offsets[2], 3);
	CHECK_INT(g.offsets[3], 4);
	CHECK_INT(g.offsets[5], 4);
	CHECK_INT(g.targets[0], 1);
	CHECK_INT(g.targets[1], 2);
	CHECK_NEAR(g.weights[0], 3.5, 0);
	CHECK_NEAR(g.weights[1], 4, 0);
	CHECK_INT(g.targets[2], 2);
	CHECK_INT(g.targets[3], 0);
	CHECK_INT(g.in_degree[2], 2);
	CHECK_INT(g.in_degree[3], 0);
	CHECK_NEAR(g.in_weight[2], 7, 0);
	CHECK_NEAR(g.out_weight[0], 7.5, 0);
	CHECK_INT(rn_graph_bytes(&g), 6 * 8 + 4 * 8 + 5 * (4 + 8 + 8));
	rn_graph_free(&g);
}

static void test_build_policies(void)
{
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 5, 7, src, dst, wt, RN_DUP_MAX, &err), RN_OK);
	CHECK_NEAR(g.weights[0], 2, 0);
	rn_graph_free(&g);
	CHECK_INT(rn_graph_build(&g, 5, 7, src, dst, wt, RN_DUP_FIRST, &err), RN_OK);
	CHECK_NEAR(g.weights[0], 1, 0);
	CHECK_INT(g.duplicates_merged, 2);
	rn_graph_free(&g);
	CHECK_INT(rn_graph_build(&g, 5, 7, src, dst, wt, RN_DUP_ERROR, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "duplicate referral from node 0 to node 1");
	CHECK(g.offsets == NULL);
	CHECK_INT(rn_graph_build(&g, 5, 7, src, dst, NULL, RN_DUP_SUM, &err), RN_OK);
	CHECK_NEAR(g.weights[0], 3, 0);
	rn_graph_free(&g);
}

/* Long rows go through the merge sort: a row of 1000 edges in descending order with every
 * target twice must come out ascending, merged, with "first" keeping file order. */
static void test_long_row(void)
{
	enum { K = 1000 };
	uint32_t s[2 * K], d[2 * K];
	float w[2 * K];
	for (uint32_t i = 0; i < K; i++) {
		s[i] = s[K + i] = 0;
		d[i] = d[K + i] = K - i;
		w[i] = (float)i;
		w[K + i] = -1;
	}
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, K + 1, 2 * K, s, d, w, RN_DUP_FIRST, &err), RN_OK);
	CHECK_INT(g.m, K);
	int sorted = 1, first = 1;
	for (uint32_t i = 0; i < K; i++) {
		sorted &= g.targets[i] == i + 1;
		first &= g.weights[i] == (float)(K - 1 - i);
	}
	CHECK(sorted);
	CHECK(first);
	rn_graph_free(&g);
}

static void test_out_of_range(void)
{
	uint32_t s[] = {0}, d[] = {9};
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 3, 1, s, d, NULL, RN_DUP_SUM, &err), RN_EINTERNAL);
}

static void test_wcc(void)
{
	/* components {0,1,2}, {3}, {4,5} where 5->4 is seen before anything touches 4 */
	uint32_t s[] = {5, 2, 1};
	uint32_t d[] = {4, 0, 2};
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 6, 3, s, d, NULL, RN_DUP_SUM, &err), RN_OK);
	uint32_t comp[6], count = 0, *sizes = NULL;
	CHECK_INT(rn_graph_wcc(&g, comp, &count, &sizes, &err), RN_OK);
	CHECK_INT(count, 3);
	CHECK_INT(comp[0], 0);
	CHECK_INT(comp[1], 0);
	CHECK_INT(comp[2], 0);
	CHECK_INT(comp[3], 1);
	CHECK_INT(comp[4], 2);
	CHECK_INT(comp[5], 2);
	CHECK_INT(sizes[0], 3);
	CHECK_INT(sizes[2], 2);
	rn_free(sizes);
	rn_graph_free(&g);
}

static void test_empty(void)
{
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 0, 0, NULL, NULL, NULL, RN_DUP_SUM, &err), RN_OK);
	CHECK_INT(g.m, 0);
	uint32_t count = 7;
	CHECK_INT(rn_graph_wcc(&g, NULL, &count, NULL, &err), RN_OK);
	CHECK_INT(count, 0);
	rn_graph_free(&g);
}

static void test_alloc_failures(void)
{
	/* every allocation of the build fails cleanly, once each */
	int clean = 1;
	for (uint64_t k = 1; k < 40; k++) {
		rn_graph g;
		rn_error err;
		rn_alloc_fail_at(k, 0);
		int rc = rn_graph_build(&g, 5, 7, src, dst, wt, RN_DUP_SUM, &err);
		rn_alloc_fail_at(0, 0);
		if (rc != RN_OK && rc != RN_ENOMEM)
			clean = 0;
		if (rc == RN_OK)
			rn_graph_free(&g);
	}
	CHECK(clean);
}

/* Building from a dataset and releasing its rows gives the same graph and frees the rows. */
static void test_from_dataset_release(void)
{
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	for (uint32_t i = 0; i < 5; i++) {
		char name[2] = {(char)('a' + i), 0};
		uint32_t id;
		CHECK_INT(rn_interner_intern(ds.ids, name, 1, &id, NULL), RN_OK);
	}
	rn_referrals *r = &ds.referrals;
	r->count = 7;
	r->referrer = rn_malloc(sizeof src);
	r->referred = rn_malloc(sizeof dst);
	r->weight = rn_malloc(sizeof wt);
	memcpy(r->referrer, src, sizeof src);
	memcpy(r->referred, dst, sizeof dst);
	memcpy(r->weight, wt, sizeof wt);
	rn_graph kept, released;
	CHECK_INT(rn_graph_from_dataset(&kept, &ds, "r.csv", RN_DUP_SUM, &err), RN_OK);
	CHECK_INT(rn_graph_from_dataset_release(&released, &ds, RN_DUP_SUM, &err), RN_OK);
	CHECK(r->referrer == NULL && r->referred == NULL && r->weight == NULL);
	CHECK_INT(released.m, kept.m);
	CHECK(memcmp(released.targets, kept.targets, kept.m * sizeof *kept.targets) == 0);
	CHECK(memcmp(released.weights, kept.weights, kept.m * sizeof *kept.weights) == 0);
	rn_graph_free(&kept);
	rn_graph_free(&released);
	rn_dataset_free(&ds);
}

int main(void)
{
	test_from_dataset_release();
	test_build_sum();
	test_build_policies();
	test_long_row();
	test_out_of_range();
	test_wcc();
	test_empty();
	test_alloc_failures();
	return check_report();
}
