/*
 * csr.c - building the compact referral graph.
 *
 * The edge list arrives in file order.  A counting sort by referrer places every edge in its
 * row (one pass to count, one to scatter, both on two threads from 2^20 edges; the scatter
 * keeps file order within a row, so "first" and the summing order of "sum" do not depend on
 * the thread count); each row is then sorted by target and duplicates folded by the policy,
 * rows in parallel because they are independent; a final pass compacts the rows in place.
 * Peak memory is the input edge list plus the CSR (8 bytes per edge) plus 8 bytes per node.
 *
 * The count and scatter passes are bound by random accesses into the offsets array and the
 * rows (one each per edge), which is why two threads nearly halve them; the per-row sort
 * touches each row once, sequentially.  At 2.9e7 edges the whole build went from 2.8 s to
 * 1.8-2.3 s (the scatter alone took 1.55 s on one thread).
 */
#include <refnet/graph.h>

#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Sorts targets[0..len) ascending, carrying weights, stably (insertion sort for short rows,
 * merge sort with caller scratch for long ones). */
static void sort_row(uint32_t *targets, float *weights, uint64_t len, uint32_t *tmp_t,
		     float *tmp_w)
{
	if (len < 32) {
		for (uint64_t i = 1; i < len; i++) {
			uint32_t t = targets[i];
			float w = weights[i];
			uint64_t j = i;
			while (j > 0 && targets[j - 1] > t) {
				targets[j] = targets[j - 1];
				weights[j] = weights[j - 1];
				j--;
			}
			targets[j] = t;
			weights[j] = w;
		}
		return;
	}
	uint64_t half = len / 2;
	sort_row(targets, weights, half, tmp_t, tmp_w);
	sort_row(targets + half, weights + half, len - half, tmp_t, tmp_w);
	if (targets[half - 1] <= targets[half])
		return;
	memcpy(tmp_t, targets, half * sizeof *tmp_t);
	memcpy(tmp_w, weights, half * sizeof *tmp_w);
	uint64_t i = 0, j = half, k = 0;
	while (i < half && j < len) {
		if (targets[j] < tmp_t[i]) {
			targets[k] = targets[j];
			weights[k++] = weights[j++];
		} else {
			targets[k] = tmp_t[i];
			weights[k++] = tmp_w[i++];
		}
	}
	while (i < half) {
		targets[k] = tmp_t[i];
		weights[k++] = tmp_w[i++];
	}
}

/* Folds equal neighbours of a sorted row; returns the new length.  *dups counts folded edges;
 * *dup_at receives the first duplicated target (UINT32_MAX if none). */
static uint64_t merge_row(uint32_t *targets, float *weights, uint64_t len, rn_dup_policy policy,
			  uint64_t *dups, uint32_t *dup_at)
{
	if (len == 0)
		return 0;
	uint64_t out = 0;
	double acc = weights[0];
	for (uint64_t i = 1; i < len; i++) {
		if (targets[i] == targets[out]) {
			if (*dup_at == UINT32_MAX)
				*dup_at = targets[i];
			(*dups)++;
			if (policy == RN_DUP_SUM)
				acc += weights[i];
			else if (policy == RN_DUP_MAX && weights[i] > acc)
				acc = weights[i];
			continue;
		}
		weights[out++] = (float)acc;
		targets[out] = targets[i];
		acc = weights[i];
	}
	weights[out++] = (float)acc;
	return out;
}

void rn_graph_free(rn_graph *g)
{
	if (!g)
		return;
	if (g->mapping) {
		munmap(g->mapping, g->mapping_bytes);
		memset(g, 0, sizeof *g);
		return;
	}
	rn_free(g->offsets);
	rn_free(g->targets);
	rn_free(g->weights);
	rn_free(g->in_degree);
	rn_free(g->in_weight);
	memset(g, 0, sizeof *g);
}

uint64_t rn_graph_bytes(const rn_graph *g)
{
	return ((uint64_t)g->n + 1) * sizeof *g->offsets +
	       g->m * (sizeof *g->targets + sizeof *g->weights) +
	       (uint64_t)g->n * (sizeof *g->in_degree + sizeof *g->in_weight);
}

/* Edge lists at least this long are counted and scattered by two threads. */
#define PARALLEL_EDGES (1u << 20)

/* cursor: n + 1 scratch entries (the caller's row-length array, not yet in use).
 *
 * The scatter is bound by random accesses (a cursor and two array slots per edge), so it is
 * split in two: the first half of the edge list fills each row from its start, the second
 * half, read backwards, from its end.  Each row then holds its edges in file order whatever
 * the number of threads, as the policy "first" and the order of "sum" need.  The two cursors
 * of a row are 32-bit counts sharing the row's 64-bit scratch entry. */
static int build_rows(rn_graph *g, uint64_t m, const uint32_t *source, const uint32_t *target,
		      const float *weight, const rn_referrals *counted, uint64_t *cursor,
		      rn_error *err)
{
	uint32_t n = g->n;
	uint64_t *offsets = g->offsets;
	uint64_t bad = m, loops = 0;
	bool parallel = m >= PARALLEL_EDGES;
	if (counted && counted->out_rows) { /* counted as the rows were read */
		for (uint32_t u = 0; u < n && u < counted->out_rows_n; u++)
			offsets[u + 1] = counted->out_rows[u];
		loops = counted->self_loops;
#pragma omp parallel for reduction(min : bad) if (parallel)
		for (uint64_t e = 0; e < m; e++)
			if (source[e] >= n || target[e] >= n)
				bad = e < bad ? e : bad;
	} else {
#pragma omp parallel for reduction(+ : loops) reduction(min : bad) if (parallel)
		for (uint64_t e = 0; e < m; e++) {
			if (source[e] >= n || target[e] >= n) {
				bad = e < bad ? e : bad;
				continue;
			}
			if (source[e] == target[e]) {
				loops++;
				continue;
			}
#pragma omp atomic
			offsets[source[e] + 1]++;
		}
	}
	/* The counts and the edges must agree (an edge naming a node past n is a bug upstream):
	 * checked before anything is placed. */
	uint64_t total = loops;
	for (uint32_t u = 0; u < n; u++)
		total += offsets[u + 1];
	if (bad < m)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0, "edge %llu names node %u of %u",
				    (unsigned long long)bad,
				    source[bad] >= n ? source[bad] : target[bad], n);
	if (total != m)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
				    "row counts add up to %llu edges, not %llu",
				    (unsigned long long)total, (unsigned long long)m);
	g->self_loops = loops;
	uint64_t longest = 0;
	for (uint32_t u = 0; u < n; u++) {
		longest = offsets[u + 1] > longest ? offsets[u + 1] : longest;
		offsets[u + 1] += offsets[u];
	}
	uint64_t kept = offsets[n];
	g->targets = rn_malloc_array(kept, sizeof *g->targets);
	g->weights = rn_malloc_array(kept, sizeof *g->weights);
	if (!g->targets || !g->weights)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0,
				    "out of memory building a graph of %llu edges",
				    (unsigned long long)m);
	/* One pass in file order when there are no threads to split the list over (a short
	 * list), or when a row is too long for the two 32-bit cursors below.  Every short graph
	 * of the tests takes this path, so the fallback for the long row is tested code.
	 * Either way every write stays inside its row and every row must be filled exactly:
	 * counts made elsewhere (counted) that do not fit the edges are an error, never a write
	 * past a row nor a row left with holes. */
	bool overrun = false;
	if (!parallel || longest > UINT32_MAX) {
		memcpy(cursor, offsets, ((size_t)n + 1) * sizeof *cursor);
		for (uint64_t e = 0; e < m; e++) {
			uint32_t u = source[e];
			if (u == target[e])
				continue;
			uint64_t at = cursor[u]++;
			if (at >= offsets[u + 1]) {
				overrun = true;
				break;
			}
			g->targets[at] = target[e];
			g->weights[at] = weight ? weight[e] : 1.0f;
		}
		for (uint32_t u = 0; u < n && !overrun; u++)
			overrun = cursor[u] != offsets[u + 1];
	} else {
		uint32_t(*count)[2] = (uint32_t(*)[2])cursor;
		memset(count, 0, (size_t)n * sizeof *count);
		uint64_t half = m / 2;
		bool over[2] = {false, false};
#pragma omp parallel sections if (parallel)
		{
#pragma omp section
			for (uint64_t e = 0; e < half; e++) {
				uint32_t u = source[e];
				if (u == target[e])
					continue;
				uint64_t at = offsets[u] + count[u][0]++;
				if (at >= offsets[u + 1]) {
					over[0] = true;
					break;
				}
				g->targets[at] = target[e];
				g->weights[at] = weight ? weight[e] : 1.0f;
			}
#pragma omp section
			for (uint64_t e = m; e-- > half;) {
				uint32_t u = source[e];
				if (u == target[e])
					continue;
				uint64_t room = offsets[u + 1] - offsets[u], c = count[u][1]++;
				if (c >= room) {
					over[1] = true;
					break;
				}
				uint64_t at = offsets[u + 1] - 1 - c;
				g->targets[at] = target[e];
				g->weights[at] = weight ? weight[e] : 1.0f;
			}
		}
		overrun = over[0] || over[1];
		for (uint32_t u = 0; u < n && !overrun; u++)
			overrun =
			    count[u][0] + (uint64_t)count[u][1] != offsets[u + 1] - offsets[u];
	}
	if (overrun)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
				    "the rows counted do not match the edges");
	return RN_OK;
}

/* Sorts and merges every row in parallel, writing the merged length of row u to len[u]. */
static int merge_rows(rn_graph *g, uint64_t *len, rn_dup_policy policy, uint32_t *dup_source,
		      uint32_t *dup_target, rn_error *err)
{
	uint32_t n = g->n;
	uint64_t longest = 0;
	for (uint32_t u = 0; u < n; u++) {
		uint64_t l = g->offsets[u + 1] - g->offsets[u];
		if (l > longest)
			longest = l;
	}
	int failed = 0;
	uint64_t dups = 0;
	*dup_source = UINT32_MAX;
	*dup_target = UINT32_MAX;
#pragma omp parallel reduction(+ : dups) reduction(| : failed) if (n > 65536)
	{
		uint32_t *tmp_t = rn_malloc_array(longest / 2 + 1, sizeof *tmp_t);
		float *tmp_w = rn_malloc_array(longest / 2 + 1, sizeof *tmp_w);
		if (!tmp_t || !tmp_w)
			failed = 1;
#pragma omp for schedule(dynamic, 4096)
		for (uint32_t u = 0; u < n; u++) {
			if (failed)
				continue;
			uint64_t begin = g->offsets[u], l = g->offsets[u + 1] - begin;
			uint32_t first_dup = UINT32_MAX;
			sort_row(g->targets + begin, g->weights + begin, l, tmp_t, tmp_w);
			len[u] = merge_row(g->targets + begin, g->weights + begin, l, policy, &dups,
					   &first_dup);
			if (first_dup != UINT32_MAX && policy == RN_DUP_ERROR) {
#pragma omp critical(rn_graph_dup)
				if (*dup_source == UINT32_MAX || u < *dup_source) {
					*dup_source = u;
					*dup_target = first_dup;
				}
			}
		}
		rn_free(tmp_t);
		rn_free(tmp_w);
	}
	if (failed)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory sorting edges");
	g->duplicates_merged = dups;
	if (policy == RN_DUP_ERROR && *dup_source != UINT32_MAX)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "duplicate referral from node %u to node %u", *dup_source,
				    *dup_target);
	return RN_OK;
}

/* Moves [from, from + count) of the edge arrays down to out. */
static void move_edges(rn_graph *g, uint64_t out, uint64_t from, uint64_t count)
{
	if (out != from && count) {
		memmove(g->targets + out, g->targets + from, count * sizeof *g->targets);
		memmove(g->weights + out, g->weights + from, count * sizeof *g->weights);
	}
}

/* Closes the gaps that merging left at the ends of rows.  Rows between two gaps move as one
 * run: one memmove per row cost 0.18 s at 2.9e7 edges (two calls for 3 edges on average),
 * most of it in the calls. */
static void compact(rn_graph *g, const uint64_t *len)
{
	uint32_t n = g->n;
	uint64_t out = 0, run_from = 0, run_out = 0;
	for (uint32_t u = 0; u < n; u++) {
		uint64_t begin = g->offsets[u];
		g->offsets[u] = out;
		out += len[u];
		if (len[u] != g->offsets[u + 1] - begin) { /* a gap after u: the run ends */
			move_edges(g, run_out, run_from, out - run_out);
			run_from = g->offsets[u + 1];
			run_out = out;
		}
	}
	move_edges(g, run_out, run_from, out - run_out);
	g->offsets[n] = out;
	g->m = out;
	if (out) {
		uint32_t *t = rn_realloc_array(g->targets, out, sizeof *t);
		float *w = rn_realloc_array(g->weights, out, sizeof *w);
		if (t)
			g->targets = t;
		if (w)
			g->weights = w;
	}
}

/* Degrees of the nodes in [lo, hi): in-degree and in-weight from every row, in row order.
 * Edges into other nodes land in a local sink (a select, not a branch). */
static void degrees_of(rn_graph *g, uint32_t lo, uint32_t hi)
{
	uint32_t sink_degree = 0;
	double sink_weight = 0;
	for (uint64_t e = 0; e < g->m; e++) {
		uint32_t v = g->targets[e];
		bool mine = v >= lo && v < hi;
		*(mine ? &g->in_degree[v] : &sink_degree) += 1;
		*(mine ? &g->in_weight[v] : &sink_weight) += g->weights[e];
	}
}

/* Degrees come last, after the build's scratch arrays are freed, to keep the peak low.
 * In-degree and in-weight are random updates; on two threads each takes the nodes of one
 * half of the index range and reads all rows, so every in-weight is still summed in row
 * order, the same on any number of threads, and no scratch is needed. */
static int count_degrees(rn_graph *g, rn_error *err)
{
	uint32_t n = g->n;
	g->in_degree = rn_calloc_dense((size_t)n + 1, sizeof *g->in_degree);
	g->in_weight = rn_calloc_dense((size_t)n + 1, sizeof *g->in_weight);
	if (!g->in_degree || !g->in_weight)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for degrees");
	if (g->m < PARALLEL_EDGES || omp_get_max_threads() == 1) {
		degrees_of(g, 0, n);
		return RN_OK;
	}
#pragma omp parallel for schedule(static, 1) num_threads(2)
	for (int half = 0; half < 2; half++)
		degrees_of(g, half ? n / 2 : 0, half ? n : n / 2);
	return RN_OK;
}

/* The build; when rows is given, its edge arrays are freed as soon as every edge sits in its
 * CSR row, which takes the edge list (8 to 12 bytes per edge) off the peak.  A duplicate under
 * policy "error" leaves its pair in dup[0] -> dup[1] for the caller to name. */
static int build(rn_graph *g, uint32_t n, uint64_t m, const uint32_t *source,
		 const uint32_t *target, const float *weight, rn_dup_policy policy,
		 const rn_referrals *counted, rn_referrals *rows, uint32_t dup[2], rn_error *err)
{
	memset(g, 0, sizeof *g);
	g->n = n;
	g->offsets = rn_calloc((size_t)n + 1, sizeof *g->offsets);
	uint64_t *len = rn_malloc_array((size_t)n + 1, sizeof *len);
	int rc = RN_OK;
	if (!g->offsets || !len)
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
	if (rc == RN_OK)
		rc = build_rows(g, m, source, target, weight, counted, len, err);
	if (rows) {
		rn_free(rows->referrer);
		rn_free(rows->referred);
		rn_free(rows->weight);
		rn_free(rows->out_rows);
		rows->referrer = rows->referred = NULL;
		rows->weight = NULL;
		rows->out_rows = NULL;
		rows->out_rows_n = 0;
	}
	if (rc == RN_OK)
		rc = merge_rows(g, len, policy, &dup[0], &dup[1], err);
	if (rc == RN_OK)
		compact(g, len);
	rn_free(len);
	if (rc == RN_OK)
		rc = count_degrees(g, err);
	if (rc != RN_OK)
		rn_graph_free(g);
	return rc;
}

int rn_graph_build(rn_graph *g, uint32_t n, uint64_t m, const uint32_t *source,
		   const uint32_t *target, const float *weight, rn_dup_policy policy,
		   rn_error *err)
{
	uint32_t dup[2];
	return build(g, n, m, source, target, weight, policy, NULL, NULL, dup, err);
}

/* The graph layer does not know file positions; the dataset keeps the line of every row, so
 * a duplicate under policy "error" is named by the line of its second occurrence. */
static void name_duplicate(const rn_dataset *ds, const char *path, uint32_t u, uint32_t v,
			   rn_error *err)
{
	const rn_referrals *r = &ds->referrals;
	bool seen = false;
	for (uint64_t e = 0; e < r->count; e++) {
		if (r->referrer[e] != u || r->referred[e] != v)
			continue;
		if (!seen) {
			seen = true;
			continue;
		}
		rn_error_set(err, RN_EDATA, path, r->line ? r->line[e] : 0, 0,
			     "duplicate referral '%s' -> '%s' (load.duplicate_edges is 'error')",
			     rn_interner_string(ds->ids, u, NULL),
			     rn_interner_string(ds->ids, v, NULL));
		return;
	}
}

int rn_graph_from_dataset(rn_graph *g, const rn_dataset *ds, const char *referrals_path,
			  rn_dup_policy policy, rn_error *err)
{
	const rn_referrals *r = &ds->referrals;
	uint32_t dup[2] = {UINT32_MAX, UINT32_MAX};
	int rc = build(g, rn_interner_count(ds->ids), r->count, r->referrer, r->referred, r->weight,
		       policy, r, NULL, dup, err);
	if (rc == RN_EDATA && dup[0] != UINT32_MAX)
		name_duplicate(ds, referrals_path, dup[0], dup[1], err);
	return rc;
}

int rn_graph_from_dataset_release(rn_graph *g, rn_dataset *ds, rn_dup_policy policy,
				  rn_error *err)
{
	rn_referrals *r = &ds->referrals;
	uint32_t dup[2];
	return build(g, rn_interner_count(ds->ids), r->count, r->referrer, r->referred, r->weight,
		     policy, r, r, dup, err);
}
