/*
 * cascades.c - referral cascades: the trees that grow from customers nobody referred, with
 * their size, depth and structural virality, and distributions of those as tables.
 *
 * A referral graph is not a forest: a customer may name several referrers, and cycles occur
 * in exported data.  We make each cascade a tree by a breadth-first search started from all
 * roots at once (roots = in-degree 0, in index order, FIFO queue): a customer joins the tree
 * of the node that discovers it first, i.e. one at the smallest distance from any root, ties
 * broken by queue order.  Customers no root reaches (a cycle nobody outside referred into,
 * and what hangs below it) belong to no cascade and are counted as unrooted.
 *
 * Structural virality (Goel, Anderson, Hofman & Watts 2015, "The structural virality of
 * online diffusion", eq. 1) is the mean distance over all N(N-1)/2 pairs of tree nodes.  The
 * edge above a subtree of s nodes lies on the path of exactly s (N - s) pairs, so
 *     nu = sum over tree edges of s (N - s) / (N (N - 1) / 2),
 * which subtree sizes give in O(N) per tree instead of the O(N^2) all-pairs definition.
 */
#include <refnet/algo.h>

#include <stdlib.h>
#include <string.h>

void rn_cascades_free(rn_cascades *c)
{
	rn_free(c->root);
	rn_free(c->size);
	rn_free(c->depth);
	rn_free(c->virality);
	rn_free(c->cascade_of);
	memset(c, 0, sizeof *c);
}

int rn_cascades_compute(const rn_graph *g, rn_cascades *out, rn_error *err)
{
	uint32_t n = g->n, roots = 0;
	memset(out, 0, sizeof *out);
	for (uint32_t v = 0; v < n; v++)
		roots += g->in_degree[v] == 0;
	size_t nn = n ? n : 1, rr = roots ? roots : 1;
	uint32_t *parent = rn_malloc_array(nn, sizeof *parent);
	uint32_t *level = rn_malloc_array(nn, sizeof *level);
	uint32_t *queue = rn_malloc_array(nn, sizeof *queue);
	uint32_t *sub = rn_malloc_array(nn, sizeof *sub);
	out->cascade_of = rn_malloc_array(nn, sizeof *out->cascade_of);
	out->root = rn_malloc_array(rr, sizeof *out->root);
	out->size = rn_calloc(rr, sizeof *out->size);
	out->depth = rn_calloc(rr, sizeof *out->depth);
	out->virality = rn_calloc(rr, sizeof *out->virality);
	int rc = RN_OK;
	if (!parent || !level || !queue || !sub || !out->cascade_of || !out->root || !out->size ||
	    !out->depth || !out->virality) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for cascades");
		rn_cascades_free(out);
		goto done;
	}
	out->count = roots;
	memset(out->cascade_of, 0xFF, nn * sizeof *out->cascade_of);
	uint32_t tail = 0;
	for (uint32_t v = 0; v < n; v++)
		if (g->in_degree[v] == 0) {
			out->root[tail] = v;
			out->cascade_of[v] = tail;
			parent[v] = UINT32_MAX;
			level[v] = 0;
			queue[tail++] = v;
		}
	for (uint32_t head = 0; head < tail; head++) {
		uint32_t u = queue[head];
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
			uint32_t v = g->targets[e];
			if (out->cascade_of[v] != UINT32_MAX)
				continue;
			out->cascade_of[v] = out->cascade_of[u];
			parent[v] = u;
			level[v] = level[u] + 1;
			queue[tail++] = v;
		}
	}
	out->unrooted = n - tail;
	/* Subtree sizes: children come after their parent in the queue. */
	for (uint32_t i = 0; i < tail; i++)
		sub[queue[i]] = 1;
	for (uint32_t i = tail; i-- > 0;) {
		uint32_t v = queue[i];
		if (parent[v] != UINT32_MAX)
			sub[parent[v]] += sub[v];
	}
	for (uint32_t k = 0; k < roots; k++)
		out->size[k] = sub[out->root[k]];
	for (uint32_t i = 0; i < tail; i++) {
		uint32_t v = queue[i], k = out->cascade_of[v];
		if (level[v] > out->depth[k])
			out->depth[k] = level[v];
		if (parent[v] != UINT32_MAX) {
			double s = sub[v], total = out->size[k];
			out->virality[k] += s * (total - s);
		}
	}
	for (uint32_t k = 0; k < roots; k++) {
		double total = out->size[k];
		out->virality[k] = total >= 2 ? out->virality[k] / (total * (total - 1) / 2) : 0.0;
	}
done:
	rn_free(parent);
	rn_free(level);
	rn_free(queue);
	rn_free(sub);
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

int rn_histogram_build(const uint32_t *values, uint32_t len, rn_histogram *out, rn_error *err)
{
	memset(out, 0, sizeof *out);
	size_t cap = len ? len : 1;
	uint32_t *sorted = rn_malloc_array(cap, sizeof *sorted);
	out->value = rn_malloc_array(cap, sizeof *out->value);
	out->frequency = rn_malloc_array(cap, sizeof *out->frequency);
	if (!sorted || !out->value || !out->frequency) {
		rn_free(sorted);
		rn_histogram_free(out);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for a histogram");
	}
	if (len)
		memcpy(sorted, values, (size_t)len * sizeof *sorted);
	qsort(sorted, len, sizeof *sorted, cmp_u32);
	for (uint32_t i = 0; i < len; i++) {
		if (out->count > 0 && out->value[out->count - 1] == sorted[i]) {
			out->frequency[out->count - 1]++;
		} else {
			out->value[out->count] = sorted[i];
			out->frequency[out->count++] = 1;
		}
	}
	rn_free(sorted);
	return RN_OK;
}

void rn_histogram_free(rn_histogram *h)
{
	rn_free(h->value);
	rn_free(h->frequency);
	memset(h, 0, sizeof *h);
}
