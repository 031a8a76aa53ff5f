/*
 * algo_graphs.h - generated referral graphs for the algo tests: random graphs with cycles,
 * forests, DAGs, dangling and isolated nodes, weights, duplicates and self-loops (given to the
 * build and dropped there).  A fixed xorshift generator, so every test sees the same graphs.
 */
#ifndef REFNET_TESTS_ALGO_GRAPHS_H
#define REFNET_TESTS_ALGO_GRAPHS_H

#include <refnet/graph.h>

#include <stdint.h>
#include <stdlib.h>

static uint64_t tg_state = 88172645463325252ull;

static inline uint64_t tg_next(void)
{
	tg_state ^= tg_state << 13;
	tg_state ^= tg_state >> 7;
	tg_state ^= tg_state << 17;
	return tg_state;
}

static inline uint32_t tg_below(uint32_t k)
{
	return (uint32_t)(tg_next() % k);
}

typedef enum tg_kind {
	TG_RANDOM,  /* uniform random edges: cycles, dangling and isolated nodes */
	TG_FOREST,  /* each node referred by at most one earlier node */
	TG_DAG,	    /* edges from earlier to later nodes only, with reconvergent paths */
	TG_NEARDAG, /* DAG plus a few back edges making small and large cycles */
} tg_kind;

/* Builds a graph of n nodes and about m edges of the given kind; weights in [0.5, 3.5)
 * when weighted, else all 1.  Adds a few self-loops and duplicates when n > 2. */
static inline int tg_build(rn_graph *g, tg_kind kind, uint32_t n, uint64_t m, int weighted,
			   uint64_t seed)
{
	tg_state = seed * 2654435761ull + 88172645463325252ull;
	uint64_t cap = m + 16;
	uint32_t *s = malloc(cap * sizeof *s), *d = malloc(cap * sizeof *d);
	float *w = malloc(cap * sizeof *w);
	uint64_t k = 0;
	for (uint64_t e = 0; e < m; e++) {
		uint32_t a, b;
		switch (kind) {
		case TG_FOREST:
			if (e + 1 >= n)
				goto done;
			b = (uint32_t)(e + 1);
			if (tg_below(5) == 0)
				continue; /* b becomes a root */
			a = tg_below(b);
			break;
		case TG_DAG:
		case TG_NEARDAG:
			a = tg_below(n - 1);
			b = a + 1 + tg_below(n - 1 - a < 50 ? n - 1 - a : 50);
			if (kind == TG_NEARDAG && tg_below(40) == 0) {
				uint32_t t = a;
				a = b;
				b = t;
			}
			break;
		default:
			a = tg_below(n);
			b = tg_below(n);
			if (b == n - 1 || b == n - 2)
				b = tg_below(n / 2 + 1); /* nodes n-2, n-1: no in-edges */
			if (a == n - 1)
				a = 0; /* node n-1: isolated */
			break;
		}
		s[k] = a;
		d[k] = b;
		w[k] = weighted ? 0.5f + (float)tg_below(12) * 0.25f : 1.0f;
		k++;
	}
done:
	if (n > 2 && k > 2) {
		s[k] = 1;
		d[k] = 1;
		w[k++] = 1.0f; /* self-loop, dropped */
		s[k] = s[0];
		d[k] = d[0];
		w[k++] = 0.75f; /* duplicate, summed */
	}
	int rc = rn_graph_build(g, n, k, s, d, w, RN_DUP_SUM, NULL);
	free(s);
	free(d);
	free(w);
	return rc;
}

#endif
