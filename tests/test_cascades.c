/* test_cascades.c - cascade trees: a hand-computed example with several referrers, a cycle
 * nobody referred into and a lone customer; structural virality against an all-pairs
 * computation on generated graphs; histograms. */
#include <refnet/algo.h>

#include "algo_graphs.h"
#include "check.h"

/* 0 -> 1, 0 -> 2, 1 -> 3, 1 -> 4, 2 -> 5, 4 -> 5 (5 has two referrers); 6 -> 7;
 * 8 <-> 9 -> 10 (a cycle nobody referred into); 11 alone.
 * Cascade of 0: BFS claims 5 from 2 (depth 2) before 4 could (depth 3): tree edges 0-1 0-2
 * 1-3 1-4 2-5, N = 6.  Subtree sizes below the edges: 1:3, 2:2, 3:1, 4:1, 5:1, so
 * sum s (N - s) = 9 + 8 + 5 + 5 + 5 = 32 and virality = 32 / 15. */
static void test_hand(void)
{
	uint32_t s[] = {0, 0, 1, 1, 2, 4, 6, 8, 9, 9}, t[] = {1, 2, 3, 4, 5, 5, 7, 9, 8, 10};
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, 12, 10, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
	rn_cascades c;
	CHECK_INT(rn_cascades_compute(&g, &c, NULL), RN_OK);
	CHECK_INT(c.count, 3);
	CHECK_INT(c.root[0], 0);
	CHECK_INT(c.root[1], 6);
	CHECK_INT(c.root[2], 11);
	CHECK_INT(c.size[0], 6);
	CHECK_INT(c.depth[0], 2);
	CHECK_NEAR(c.virality[0], 32.0 / 15.0, 1e-15);
	CHECK_INT(c.size[1], 2);
	CHECK_INT(c.depth[1], 1);
	CHECK_NEAR(c.virality[1], 1.0, 0);
	CHECK_INT(c.size[2], 1);
	CHECK_INT(c.depth[2], 0);
	CHECK_NEAR(c.virality[2], 0.0, 0);
	CHECK_INT(c.unrooted, 3);
	CHECK_INT(c.cascade_of[5], 0);
	CHECK_INT(c.cascade_of[7], 1);
	CHECK_INT(c.cascade_of[8], UINT32_MAX);
	CHECK_INT(c.cascade_of[10], UINT32_MAX);
	rn_histogram h;
	CHECK_INT(rn_histogram_build(c.size, c.count, &h, NULL), RN_OK);
	CHECK_INT(h.count, 3);
	CHECK_INT(h.value[0], 1);
	CHECK_INT(h.frequency[0], 1);
	CHECK_INT(h.value[2], 6);
	rn_histogram_free(&h);
	rn_cascades_free(&c);
	rn_graph_free(&g);
}

/* Independent check: the test's own multi-source BFS gives each node's tree parent and depth,
 * and the virality is recomputed from the definition, the mean over all pairs of the tree
 * distance depth(a) + depth(b) - 2 depth(lca(a, b)). */
static void test_all_pairs(tg_kind kind, uint32_t n, uint64_t m)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, kind, n, m, 0, m), RN_OK);
	rn_cascades c;
	CHECK_INT(rn_cascades_compute(&g, &c, NULL), RN_OK);
	uint32_t *parent = malloc(n * sizeof *parent), *dep = malloc(n * sizeof *dep);
	uint32_t *queue = malloc(n * sizeof *queue), *tree = malloc(n * sizeof *tree);
	uint32_t tail = 0, roots = 0;
	for (uint32_t v = 0; v < n; v++) {
		tree[v] = UINT32_MAX;
		if (g.in_degree[v] == 0) {
			tree[v] = roots++;
			parent[v] = UINT32_MAX;
			dep[v] = 0;
			queue[tail++] = v;
		}
	}
	for (uint32_t h = 0; h < tail; h++)
		for (uint64_t e = g.offsets[queue[h]]; e < g.offsets[queue[h] + 1]; e++) {
			uint32_t v = g.targets[e];
			if (tree[v] == UINT32_MAX) {
				tree[v] = tree[queue[h]];
				parent[v] = queue[h];
				dep[v] = dep[queue[h]] + 1;
				queue[tail++] = v;
			}
		}
	CHECK_INT(c.count, roots);
	CHECK_INT(c.unrooted, n - tail);
	uint32_t checked = 0;
	for (uint32_t k = 0; k < roots && checked < 40; k++) {
		if (c.size[k] < 3 || c.size[k] > 400)
			continue;
		uint32_t *nodes = malloc(c.size[k] * sizeof *nodes), cnt = 0;
		uint32_t maxdep = 0;
		for (uint32_t v = 0; v < n; v++)
			if (tree[v] == k) {
				nodes[cnt++] = v;
				if (dep[v] > maxdep)
					maxdep = dep[v];
			}
		CHECK_INT(cnt, c.size[k]);
		CHECK_INT(maxdep, c.depth[k]);
		double total = 0;
		for (uint32_t i = 0; i < cnt; i++)
			for (uint32_t j = i + 1; j < cnt; j++) {
				uint32_t a = nodes[i], b = nodes[j], d = 0;
				while (a != b) {
					if (dep[a] >= dep[b])
						a = parent[a];
					else
						b = parent[b];
					d++;
				}
				total += d;
			}
		/* Sums of integers below 2^53 are exact; the one division rounds once. */
		CHECK_NEAR(c.virality[k], total / ((double)cnt * (cnt - 1) / 2), 1e-12);
		checked++;
		free(nodes);
	}
	CHECK(checked > 3);
	free(parent);
	free(dep);
	free(queue);
	free(tree);
	rn_cascades_free(&c);
	rn_graph_free(&g);
}

int main(void)
{
	test_hand();
	test_all_pairs(TG_FOREST, 4000, 4000);
	test_all_pairs(TG_RANDOM, 4000, 3000);
	test_all_pairs(TG_NEARDAG, 3000, 2500);
	return check_report();
}
