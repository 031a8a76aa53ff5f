/*
 * refnet/graph.h - the compact referral graph.
 *
 * Out-edge CSR: row u lists the customers u referred.  uint64_t offsets (n + 1), uint32_t
 * targets and float weights (m each): 8 bytes per edge plus 8 per node, against igraph's
 * 16+ bytes per edge plus indices.  Rows are sorted by target, duplicates merged, self-loops
 * removed.  In-degree and in-weight per node come with the build because PageRank on the
 * reversed graph needs them in every iteration; a node's out-weight is its row's sum
 * (rn_graph_out_weight), not stored: only outputs read it.
 */
#ifndef REFNET_GRAPH_H
#define REFNET_GRAPH_H

#include <refnet/io.h>
#include <refnet/util.h>

#include <stdbool.h>
#include <stdint.h>

typedef struct rn_graph {
	uint32_t n;            /* nodes (customers) */
	uint64_t m;            /* edges after merging and self-loop removal */
	uint64_t *offsets;     /* n + 1; row u is targets[offsets[u] .. offsets[u+1]) */
	uint32_t *targets;     /* m, ascending within a row */
	float *weights;        /* m, > 0 */
	uint32_t *in_degree;   /* n */
	double *in_weight;     /* n, sum of weights of in-edges */
	uint64_t duplicates_merged; /* input edges folded into an existing edge */
	uint64_t self_loops;        /* input edges u -> u dropped */
	void *mapping;              /* non-NULL: the arrays live in this snapshot mapping */
	size_t mapping_bytes;
} rn_graph;

/* Builds the CSR from an edge list of m edges over n nodes (every index < n).  weight may be
 * NULL (all 1).  Repeated (u, v) pairs merge by policy: sum, max, first (file order), or error
 * (RN_EDATA naming the pair by index; the caller may translate).  Self-loops are dropped and
 * counted.  Counting sort by source, parallel where it pays; deterministic. */
int rn_graph_build(rn_graph *g, uint32_t n, uint64_t m, const uint32_t *source,
		   const uint32_t *target, const float *weight, rn_dup_policy policy,
		   rn_error *err);
/* Builds from a loaded dataset's referrals over all its nodes; errors name the file line. */
int rn_graph_from_dataset(rn_graph *g, const rn_dataset *ds, const char *referrals_path,
			  rn_dup_policy policy, rn_error *err);
/* The same for commands that need only the graph: the referral rows' id and weight arrays are
 * freed as soon as the edges are placed (whatever the outcome), which lowers the peak by 8 to
 * 12 bytes per edge.  A duplicate under policy "error" is then named by node indices only. */
int rn_graph_from_dataset_release(rn_graph *g, rn_dataset *ds, rn_dup_policy policy,
				  rn_error *err);
void rn_graph_free(rn_graph *g);
/* Sum of the weights of u's out-edges, in row order (the same bits wherever it is asked). */
static inline double rn_graph_out_weight(const rn_graph *g, uint32_t u)
{
	double sum = 0.0;
	for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++)
		sum += g->weights[e];
	return sum;
}
/* Memory held by the graph arrays, in bytes. */
uint64_t rn_graph_bytes(const rn_graph *g);

/* Weakly connected components by union-find: comp[v] is a component label in 0..count-1
 * numbered in order of first node; sizes optional (count entries, caller frees with rn_free). */
int rn_graph_wcc(const rn_graph *g, uint32_t *comp, uint32_t *count, uint32_t **sizes,
		 rn_error *err);

/* ---- Binary snapshot (.rnb), docs/SNAPSHOT.md ----------------------------------------- */

/* True when the file starts with the snapshot magic (false for missing files). */
bool rn_snapshot_detect(const char *path);
/* Writes the graph and its id strings; written to a temporary file beside path and renamed,
 * so a failure never leaves a partial snapshot.  The snapshot holds the ids' hash table, so
 * numbered ids move into it first (rn_interner_index_all).  RN_ECANTCREAT / RN_EIO / RN_ENOMEM
 * on failure. */
int rn_snapshot_write(const char *path, const rn_graph *g, rn_interner *ids, rn_error *err);
/* Maps a snapshot read-only: the graph arrays point into the mapping (rn_graph_free unmaps)
 * and *ids borrows its strings (free it before the graph).  A wrong magic, version or byte
 * order, a size that does not match the header, a checksum mismatch or inconsistent arrays
 * is RN_EDATA naming the file. */
int rn_snapshot_read(const char *path, rn_graph *g, rn_interner **ids, rn_error *err);

#endif
