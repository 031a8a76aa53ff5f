/*
 * components.c - weakly connected components by union-find.
 *
 * Union by index (the smaller root wins) with path halving keeps the labels independent of
 * edge order, so components are numbered by their smallest node: deterministic and cheap
 * (4 bytes per node, one pass over the edges).  The igraph adapter offers strong components
 * and cross-checks this one in the tests.
 */
#include <refnet/graph.h>

static uint32_t find_root(uint32_t *parent, uint32_t v)
{
	while (parent[v] != v) {
		parent[v] = parent[parent[v]];
		v = parent[v];
	}
	return v;
}

int rn_graph_wcc(const rn_graph *g, uint32_t *comp, uint32_t *count, uint32_t **sizes,
		 rn_error *err)
{
	uint32_t n = g->n;
	for (uint32_t v = 0; v < n; v++)
		comp[v] = v;
	for (uint32_t u = 0; u < n; u++) {
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
			uint32_t a = find_root(comp, u), b = find_root(comp, g->targets[e]);
			if (a < b)
				comp[b] = a;
			else if (b < a)
				comp[a] = b;
		}
	}
	/* Roots are the smallest node of their component.  First point every node straight at
	 * its root; then an ascending pass numbers roots in order and copies the label of a
	 * root (already relabelled, being smaller) to the rest of its component. */
	for (uint32_t v = 0; v < n; v++)
		comp[v] = find_root(comp, v);
	uint32_t next = 0;
	for (uint32_t v = 0; v < n; v++)
		comp[v] = comp[v] == v ? next++ : comp[comp[v]];
	*count = next;
	if (sizes) {
		*sizes = rn_calloc((size_t)next + 1, sizeof **sizes);
		if (!*sizes)
			return rn_error_set(err, RN_ENOMEM, NULL, 0, 0,
					    "out of memory for component sizes");
		for (uint32_t v = 0; v < n; v++)
			(*sizes)[comp[v]]++;
	}
	return RN_OK;
}
