/* test_graph.c - CSR build (row order, duplicate policies, self-loops, degrees) and weakly
 * connected components, on hand-built edge lists. */
#include <refnet/graph.h>

#include <omp.h>

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
	CHECK_NEAR(rn_graph_out_weight(&g, 0), 7.5, 0);
	CHECK_INT(rn_graph_bytes(&g), 6 * 8 + 4 * 8 + 5 * (4 + 8));
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

/* Rows counted while the referrals were read (rn_referrals.out_rows): the same graph as
 * counting them in the build, on the sequential and the two-threaded scatter; counts that do
 * not fit the edges (one row moved to another node, or one too few) are an internal error,
 * with no write past a row (the sanitizer build runs this too). */
static void test_counted_rows(void)
{
	uint32_t sizes[] = {1000, 200000};
	for (int k = 0; k < 2; k++) {
		uint32_t n = sizes[k];
		uint64_t m = (uint64_t)n * 6;
		rn_dataset ds;
		rn_error err;
		CHECK_INT(rn_dataset_init(&ds), RN_OK);
		for (uint32_t i = 0; i < n; i++) {
			char name[16];
			int len = snprintf(name, sizeof name, "n%u", i);
			uint32_t id;
			CHECK_INT(rn_interner_intern(ds.ids, name, (size_t)len, &id, NULL), RN_OK);
		}
		rn_referrals *r = &ds.referrals;
		r->count = m;
		r->referrer = rn_malloc_array(m, sizeof *r->referrer);
		r->referred = rn_malloc_array(m, sizeof *r->referred);
		r->weight = NULL;
		r->out_rows = rn_calloc(n, sizeof *r->out_rows);
		r->out_rows_n = n;
		uint64_t x = 3;
		for (uint64_t e = 0; e < m; e++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			r->referrer[e] = (uint32_t)(x >> 33) % n;
			r->referred[e] = (uint32_t)(x >> 13) % n;
			if (r->referrer[e] == r->referred[e])
				r->self_loops++;
			else
				r->out_rows[r->referrer[e]]++;
		}
		rn_graph plain, counted;
		CHECK_INT(
		    rn_graph_build(&plain, n, m, r->referrer, r->referred, NULL, RN_DUP_SUM, &err),
		    RN_OK);
		CHECK_INT(rn_graph_from_dataset(&counted, &ds, "r.csv", RN_DUP_SUM, &err), RN_OK);
		CHECK_INT(counted.m, plain.m);
		CHECK_INT(counted.self_loops, plain.self_loops);
		CHECK(memcmp(counted.offsets, plain.offsets, (n + 1) * sizeof *plain.offsets) == 0);
		CHECK(memcmp(counted.targets, plain.targets, plain.m * sizeof *plain.targets) == 0);
		rn_graph_free(&counted);
		/* a row moved from one referrer to another: the totals still agree */
		uint32_t a = r->referrer[0], b = (a + 1) % n;
		r->out_rows[a]--;
		r->out_rows[b]++;
		CHECK_INT(rn_graph_from_dataset(&counted, &ds, "r.csv", RN_DUP_SUM, &err),
			  RN_EINTERNAL);
		/* and one too few */
		r->out_rows[b]--;
		CHECK_INT(rn_graph_from_dataset(&counted, &ds, "r.csv", RN_DUP_SUM, &err),
			  RN_EINTERNAL);
		r->out_rows[a]++;
		CHECK_INT(rn_graph_from_dataset_release(&counted, &ds, RN_DUP_SUM, &err), RN_OK);
		CHECK(r->out_rows == NULL);
		CHECK(memcmp(counted.offsets, plain.offsets, (n + 1) * sizeof *plain.offsets) == 0);
		rn_graph_free(&counted);
		rn_graph_free(&plain);
		rn_dataset_free(&ds);
	}
}

/* Reference for test_large: the edge list sorted by (source, target, file position). */
struct ref_edge {
	uint32_t s, t;
	uint64_t at;
	float w;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct ref_edge *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/* An edge list long enough for the two-threaded count, scatter and degrees: the same graph
 * on 1 and 2 threads, bit for bit, and equal to a sort-and-merge reference under every
 * duplicate policy (file order decides "first" and the order of "sum"). */
static void test_large(void)
{
	uint32_t n = 200000;
	uint64_t m = 1600000;
	uint32_t *from = malloc(m * sizeof *from), *to = malloc(m * sizeof *to);
	float *w = malloc(m * sizeof *w);
	struct ref_edge *ref = malloc(m * sizeof *ref);
	uint64_t x = 7;
	for (uint64_t e = 0; e < m; e++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		from[e] = (uint32_t)(x >> 40) % n;
		to[e] = (uint32_t)(x >> 20) % 64 + (from[e] / 64) * 64 % n; /* duplicates likely */
		w[e] = 0.25f * (float)(1 + (x >> 60));
	}
	rn_dup_policy policies[] = {RN_DUP_SUM, RN_DUP_MAX, RN_DUP_FIRST};
	for (int p = 0; p < 3; p++) {
		rn_graph g[2];
		for (int t = 0; t < 2; t++) {
			omp_set_num_threads(t + 1);
			CHECK_INT(rn_graph_build(&g[t], n, m, from, to, w, policies[p], NULL), RN_OK);
		}
		CHECK_INT(g[0].m, g[1].m);
		CHECK(memcmp(g[0].offsets, g[1].offsets, (n + 1) * sizeof *g[0].offsets) == 0);
		CHECK(memcmp(g[0].targets, g[1].targets, g[0].m * sizeof *g[0].targets) == 0);
		CHECK(memcmp(g[0].weights, g[1].weights, g[0].m * sizeof *g[0].weights) == 0);
		CHECK(memcmp(g[0].in_weight, g[1].in_weight, n * sizeof *g[0].in_weight) == 0);
		CHECK(memcmp(g[0].in_degree, g[1].in_degree, n * sizeof *g[0].in_degree) == 0);
		uint64_t k = 0, loops = 0;
		for (uint64_t e = 0; e < m; e++) {
			if (from[e] == to[e]) {
				loops++;
				continue;
			}
			ref[k++] = (struct ref_edge){from[e], to[e], e, w[e]};
		}
		CHECK_INT(g[1].self_loops, loops);
		qsort(ref, k, sizeof *ref, cmp_ref);
		uint64_t out = 0, wrong = 0;
		uint32_t *indeg = calloc(n, sizeof *indeg);
		for (uint64_t i = 0; i < k;) {
			double acc = ref[i].w;
			uint64_t j = i + 1;
			for (; j < k && ref[j].s == ref[i].s && ref[j].t == ref[i].t; j++) {
				if (policies[p] == RN_DUP_SUM)
					acc += ref[j].w;
				else if (policies[p] == RN_DUP_MAX && ref[j].w > acc)
					acc = ref[j].w;
			}
			uint32_t u = ref[i].s;
			wrong += out < g[1].offsets[u] || out >= g[1].offsets[u + 1] ||
				 g[1].targets[out] != ref[i].t || g[1].weights[out] != (float)acc;
			indeg[ref[i].t]++;
			out++;
			i = j;
		}
		CHECK_INT(out, g[1].m);
		CHECK_INT(wrong, 0);
		CHECK(memcmp(indeg, g[1].in_degree, n * sizeof *indeg) == 0);
		/* in-weights as the rows give them, summed in row order */
		double *inw = calloc(n, sizeof *inw);
		for (uint64_t e = 0; e < g[1].m; e++)
			inw[g[1].targets[e]] += g[1].weights[e];
		CHECK(memcmp(inw, g[1].in_weight, n * sizeof *inw) == 0);
		free(inw);
		free(indeg);
		rn_graph_free(&g[0]);
		rn_graph_free(&g[1]);
	}
	free(from);
	free(to);
	free(w);
	free(ref);
}

int main(void)
{
	test_large();
	test_from_dataset_release();
	test_counted_rows();
	test_build_sum();
	test_build_policies();
	test_long_row();
	test_out_of_range();
	test_wcc();
	test_empty();
	test_alloc_failures();
	return check_report();
}
