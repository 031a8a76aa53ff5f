/*
 * refnet/algo.h - influence centrality on the referral graph: the shared sparse kernels,
 * weighted PageRank, Katz, reach, cascades, and the igraph adapter.
 *
 * PageRank on the reversed graph, Katz on u->v and the multi-generation network value are
 * all linear systems of one shape over the out-CSR (row u = customers u referred):
 *
 *     x[u] = b[u] + s * sum_{v in out(u)} w(u,v) * c[v] * x[v]            (rn_solve_linear)
 *
 * with c a per-node column scale (1/in_weight for PageRank, 1 otherwise).  One solver serves
 * all three (rn_solve_linear): a topological order by levels (Kahn 1962) covers every node
 * that no cycle leads into, strongly connected components (Tarjan 1972) the rest, so on a
 * referral forest or DAG every x[u] is evaluated once, after its children, and only nodes
 * inside cycles are iterated (Gauss-Seidel within their component).  rn_spmv is the plain
 * parallel product y = b + s * A diag(c) x for callers that need a single product
 * (right-hand sides, power iteration).  Every row is summed sequentially in CSR order by one
 * thread, so results are bitwise identical for any thread count.  docs/ALGORITHMS.md has the
 * details and measurements.
 *
 * Nothing here prints or exits; errors come back as RN_E* codes with an rn_error.
 */
#ifndef REFNET_ALGO_H
#define REFNET_ALGO_H

#include <refnet/graph.h>
#include <refnet/util.h>

#include <stdbool.h>
#include <stdint.h>

/* ---- Shared kernels -------------------------------------------------------------------- */

/* y[u] = (b ? b[u] : 0) + s * sum_{v in out(u)} w(u,v) * (c ? c[v] : 1) * x[v] for every u.
 * OpenMP over row blocks; x and y must not overlap. */
void rn_spmv(const rn_graph *g, const double *x, const double *c, double s, const double *b,
	     double *y);

/* Strongly connected components: Kahn's pass for the nodes no cycle leads into, the
 * forward-backward split of a giant component, Tarjan's search (1972, iterative) for the rest
 * (docs/ALGORITHMS.md).  comp[v] is the component of v; components are numbered 0..count-1 in
 * a reverse topological order of the condensation: every edge u->v has comp[u] >= comp[v].
 * The labels are the same on any number of threads.  sizes (optional) receives count
 * entries, caller frees with rn_free (NULL for an empty graph). */
int rn_scc(const rn_graph *g, uint32_t *comp, uint32_t *count, uint32_t **sizes, rn_error *err);

/* rn_scc's labels and sizes, computed once and handed to the metrics that need them (Katz's
 * bounds, reach), which compute their own when given NULL.  They must be those of the same
 * graph. */
typedef struct rn_scc_labels {
	uint32_t *comp;	 /* n labels */
	uint32_t *sizes; /* count sizes */
	uint32_t count;
} rn_scc_labels;
int rn_scc_labels_compute(const rn_graph *g, rn_scc_labels *out, rn_error *err);
void rn_scc_labels_free(rn_scc_labels *labels);

/* Rows per block of the blocked Gauss-Seidel sweep over a cyclic component larger than one
 * block (0 restores the default and the largest, 2^16 rows: 512 KiB of values, which stay in
 * cache while a block's edges are read, and 16-bit indices within a block).  A tuning knob
 * for other cache sizes: results agree to rounding for any value.  Not to be changed while a
 * solve runs. */
void rn_solve_block_rows(uint32_t rows);

/* Whether a large cyclic component's sweeps may step along their slowest mode once its
 * ratio is steady (src/algo/kernel.c, "Extrapolation"; on by default).  The stopping test
 * reads plain sweeps either way, so results agree to the tolerance; off, only the sweeps
 * differ.  For measurement and tests; not to be changed while a solve runs. */
void rn_solve_extrapolation(bool on);

/* Whether PageRank-like solves (div the in-weights, scale below 1) of a large cyclic
 * component correct each row for its two-cycles through the rows swept before it
 * (src/algo/kernel.c, "Two-cycles"; on by default).  Results agree to the tolerance either
 * way.  For measurement and tests; not to be changed while a solve runs. */
void rn_solve_two_cycles(bool on);

typedef struct rn_solve_stats {
	uint32_t components;	    /* strongly connected components visited (for PageRank-like
				       solves, a giant one and the small cycles it reaches count as
				       one: see rn_solve_linear) */
	uint32_t cyclic_components; /* of which with more than one node (iterated) */
	uint64_t sweeps;	    /* Gauss-Seidel sweeps summed over cyclic components */
	uint64_t two_cycle_rows;    /* rows corrected for their two-cycles (rn_solve_two_cycles) */
	uint32_t max_sweeps;	    /* largest number of sweeps spent on one component */
	double residual;	    /* L1 change of the last sweep, summed over components */
	uint32_t at_rounding;	    /* cyclic components stopped by rounding before tol: see
				       rn_solve_linear */
	uint32_t levels;	    /* depth levels of the acyclic part (parallel units) */
	uint64_t row_updates;	    /* rows evaluated in total; row_updates / n is the number of
				       equivalent full passes (power iteration does one per step) */
	uint32_t extrapolations;    /* steps along a component's slowest mode (kernel.c) */
} rn_solve_stats;

/* Solves x = b + s * A diag(c) x (see the top of this file) with s >= 0 and the column scale
 * given as a divisor: c[v] = 1 / div[v] when div[v] > 0, c[v] = 0 when div[v] == 0 (div NULL:
 * c = 1; PageRank passes in_weight).  b NULL means all ones.
 * Each cyclic component is swept until the L1 change of a sweep is at most
 * tol * |C| / n, a budget that sums to tol over the graph, or at most 2 eps sum_C |x|, the
 * rounding of the values themselves (a smaller budget cannot be met: such components are
 * counted in stats.at_rounding).  Converges when the spectral radius
 * of s * A diag(c) is below 1 (Stein-Rosenberg: Gauss-Seidel converges iff Jacobi does for
 * nonnegative matrices); otherwise, or after max_sweeps on one component, RN_EDATA.
 * stats may be NULL.  Large acyclic levels run in parallel; results do not depend on the
 * thread count.  Scratch: 16 bytes per node (8 without div), plus a private copy of any
 * cyclic component of 256 nodes or more (12 bytes per internal edge, 32 per member).
 * When div is g->in_weight itself and s < 1 (PageRank), a giant component is swept together
 * with the cycles it reaches instead of being separated from them exactly: the same fixed
 * point, to the same tolerance, for one breadth-first search less. */
int rn_solve_linear(const rn_graph *g, const double *b, double s, const double *div, double tol,
		    uint32_t max_sweeps, double *x, rn_solve_stats *stats, rn_error *err);
/* The same with g's components already known (scc from rn_scc_labels_compute on g, or NULL):
 * a large component is then not searched for again.  The result is the same bit for bit,
 * except for PageRank-like solves (above), where the labels separate the giant component
 * exactly and the result agrees to the tolerance. */
int rn_solve_linear_scc(const rn_graph *g, const rn_scc_labels *scc, const double *b, double s,
			const double *div, double tol, uint32_t max_sweeps, double *x,
			rn_solve_stats *stats, rn_error *err);
/* The same with each cyclic component's budget in proportion to its share of the solution
 * instead of its share of the nodes: tol * sum_C |x| / n, so that the changes sum to at most
 * tol * sum |x| / n over the graph.  For a solution that is normalised afterwards (PageRank),
 * whose error is then relative to sum |x|. */
int rn_solve_linear_mass(const rn_graph *g, const rn_scc_labels *scc, const double *b, double s,
			 const double *div, double tol, uint32_t max_sweeps, double *x,
			 rn_solve_stats *stats, rn_error *err);

/* ---- PageRank -------------------------------------------------------------------------- */

typedef struct rn_pagerank_options {
	double damping;		/* d, in [0, 1); default 0.85 */
	double tolerance;	/* bound on the L1 error of the result; default 1e-10 */
	uint32_t max_sweeps;	/* per cyclic component; default 10000 */
	const double *teleport; /* NULL: uniform; else n nonnegative values, positive sum */
	const rn_scc_labels *scc; /* g's components if known (rn_solve_linear_scc), else NULL */
} rn_pagerank_options;

void rn_pagerank_options_default(rn_pagerank_options *opt);

/* Weighted PageRank on the reversed graph (credit flows from the referred to the referrer):
 *   pr[u] = (1-d) t[u] + d t[u] sum_{in_weight[v]=0} pr[v]
 *           + d sum_{v in out(u)} w(u,v) / in_weight[v] * pr[v],      sum(pr) = 1,
 * with t the normalised teleport vector; nodes nobody referred are dangling in the reversed
 * graph and their mass goes to t.  Solved as the linear system z = t + d M z, pr = z/sum(z)
 * (Del Corso, Gulli & Romani 2005, "Fast PageRank computation via a sparse linear system").
 * rank has n entries. */
int rn_pagerank(const rn_graph *g, const rn_pagerank_options *opt, double *rank,
		rn_solve_stats *stats, rn_error *err);

/* ---- Katz ------------------------------------------------------------------------------ */

/* Bounds on the spectral radius lambda_max of the weighted adjacency matrix A: 0 exactly
 * when the graph is acyclic; otherwise power iteration on A + I restricted to the cyclic
 * components, with Collatz-Wielandt bounds lower <= lambda_max <= upper (Collatz 1942,
 * Wielandt 1950) after at most max_iterations products or when upper - lower <= rel_gap *
 * upper. */
int rn_spectral_radius(const rn_graph *g, uint32_t max_iterations, double rel_gap, double *lower,
		       double *upper, rn_error *err);

/* Rows per block of the products behind those bounds (0: the default, 2^19), which give the
 * same bounds for any value; for tests, as rn_solve_block_rows. */
void rn_spectral_block_rows(uint32_t rows);

/* lambda_max as rn_katz reports it: Collatz-Wielandt bounds lower <= lambda_max <= upper,
 * refined until they agree to RN_LAMBDA_GAP relative or for RN_LAMBDA_PRODUCTS products.
 * On graphs whose largest eigenvalues lie close together the lower bound comes slowly (the
 * 1e7 benchmark graph: 1.5 % apart after 300 products, 80 s): a report then gives both. */
typedef struct rn_lambda_bounds {
	double lower, upper;
} rn_lambda_bounds;
#define RN_LAMBDA_GAP 1e-4
#define RN_LAMBDA_PRODUCTS 100

/* Katz centrality (Katz 1953) on the u->v orientation, unnormalised with beta = 1:
 * x = 1 + alpha A x, so x[u] - 1 = sum over generations k >= 1 of alpha^k times the weighted
 * number of length-k referral chains from u.  alpha >= 1/upper (the bound above) is rejected
 * with RN_EUSAGE and a message naming lambda_max.  lambda (may be NULL) receives the bounds
 * on lambda_max (rn_lambda_bounds); with NULL they are refined only until they decide alpha,
 * which on large cyclic graphs is much faster.  scc: the graph's components if already known
 * (rn_scc_labels_compute), else NULL. */
int rn_katz(const rn_graph *g, double alpha, double tol, double *x, rn_lambda_bounds *lambda,
	    const rn_scc_labels *scc, rn_error *err);

/* Katz with the alpha used when the caller names none: RN_KATZ_ALPHA (0.1) when it provably
 * converges on g (alpha * upper < 1), else half the largest provably safe alpha, 0.5 / upper.
 * *alpha receives the alpha used and *upper the bound that chose it (0 when acyclic), for a
 * message saying why the default was lowered; lambda (may be NULL) as for rn_katz, and
 * without it the bounds are refined only until 0.1 is decided.  One bounds computation, where
 * choosing the alpha first and then calling rn_katz would take two.  scc: the graph's
 * components if already known, else NULL. */
#define RN_KATZ_ALPHA 0.1
int rn_katz_default(const rn_graph *g, double tol, double *x, double *alpha, double *upper,
		    rn_lambda_bounds *lambda, const rn_scc_labels *scc, rn_error *err);

/* ---- Reach ----------------------------------------------------------------------------- */

typedef enum rn_reach_method {
	RN_REACH_FOREST = 0, /* condensation is a forest: exact sums, linear time */
	RN_REACH_EXACT,	     /* bitsets over the condensation, O(m n / 64) */
	RN_REACH_HLL,	     /* HyperLogLog estimate */
} rn_reach_method;

typedef struct rn_reach_options {
	uint32_t exact_max_nodes; /* above this, HyperLogLog (unless a forest); default 200000 */
	uint32_t hll_precision;	  /* p, 2^p registers per component; 4..16, default 10 */
	uint64_t hll_seed;	  /* hash seed; default 0 */
	const rn_scc_labels *scc; /* the graph's components if already known; default NULL */
} rn_reach_options;

void rn_reach_options_default(rn_reach_options *opt);
/* Relative standard error of a HyperLogLog with 2^p registers: 1.04 / sqrt(2^p)
 * (Flajolet, Fusy, Gandouet & Meunier 2007). */
double rn_hll_relative_error(uint32_t precision);

/* reach[u] = number of distinct customers downstream of u (reachable by a path of length >= 1,
 * u itself excluded, even on a cycle).  method (may be NULL) tells which path was taken. */
int rn_reach(const rn_graph *g, const rn_reach_options *opt, double *reach, rn_reach_method *method,
	     rn_error *err);

/* ---- Cascades -------------------------------------------------------------------------- */

/* Referral cascades.  Roots are customers nobody referred (in-degree 0) that referred someone
 * or not (a lone customer is a cascade of size 1).  Every other customer joins the cascade of
 * the root it is reached from by a breadth-first search started from all roots at once, roots
 * in index order: its parent is the node that first discovered it, so a customer with several
 * referrers belongs to exactly one tree (the one at the shortest distance, ties to the earlier
 * root), and each tree is a shortest-path tree.  Customers reachable from no root (they sit on
 * a cycle nobody outside referred into, or downstream of one) belong to no cascade. */
typedef struct rn_cascades {
	uint32_t count;	      /* number of cascades (= roots) */
	uint32_t *root;	      /* count: root customer of each cascade, ascending */
	uint32_t *size;	      /* count: customers in the tree */
	uint32_t *depth;      /* count: longest root-to-leaf path in edges */
	double *virality;     /* count: structural virality, 0 for a single node */
	uint32_t *cascade_of; /* n: cascade index of each customer, UINT32_MAX if none */
	uint32_t unrooted;    /* customers in no cascade */
} rn_cascades;

/* Structural virality (Goel, Anderson, Hofman & Watts 2015, eq. 1): the mean shortest-path
 * distance over all pairs of nodes in the tree, computed as
 * sum over tree edges of s (N - s) / (N (N - 1) / 2), s the subtree size below the edge. */
int rn_cascades_compute(const rn_graph *g, rn_cascades *out, rn_error *err);
void rn_cascades_free(rn_cascades *c);

/* A distribution as a table: distinct values ascending with how many cascades have each. */
typedef struct rn_histogram {
	uint32_t count;
	uint64_t *value;
	uint64_t *frequency;
} rn_histogram;

/* Histogram of values[0..len). */
int rn_histogram_build(const uint32_t *values, uint32_t len, rn_histogram *out, rn_error *err);
void rn_histogram_free(rn_histogram *h);

/* ---- igraph adapter (src/algo/igraph_adapter.c, the only user of igraph) --------------- */

/* igraph needs roughly 32 bytes per edge and 16 per node for its indexed edge list; these
 * functions refuse (RN_EUSAGE) a graph whose estimate exceeds max_bytes (0: 8 GiB). */
uint64_t rn_ig_bytes_estimate(const rn_graph *g);

typedef enum rn_ig_components_mode { RN_IG_WEAK = 0, RN_IG_STRONG } rn_ig_components_mode;

/* Component label per node renumbered in order of first node (0..count-1). */
int rn_ig_components(const rn_graph *g, rn_ig_components_mode mode, uint32_t *comp, uint32_t *count,
		     uint64_t max_bytes, rn_error *err);

/* Directed, unweighted betweenness (weights measure referral strength, not distance).
 * samples == 0 or >= n: exact (Brandes 2001).  Otherwise the sources are a uniform sample of
 * `samples` nodes drawn with the seed, and each score is scaled by n / samples (Brandes &
 * Pich 2007): an unbiased estimate. */
int rn_ig_betweenness(const rn_graph *g, uint32_t samples, uint64_t seed, double *score,
		      uint64_t max_bytes, rn_error *err);

/* Kleinberg (1999) hub and authority scores on the weighted graph, scaled to max 1. */
int rn_ig_hub_authority(const rn_graph *g, double *hub, double *authority, uint64_t max_bytes,
			rn_error *err);

/* k-core index on the undirected view (igraph_coreness, mode ALL). */
int rn_ig_coreness(const rn_graph *g, uint32_t *core, uint64_t max_bytes, rn_error *err);

/* Louvain communities (Blondel et al. 2008) on the undirected view, weights of u->v and v->u
 * summed; igraph's random order is seeded with seed.  Labels renumbered in order of first
 * node. *modularity may be NULL. */
int rn_ig_louvain(const rn_graph *g, uint64_t seed, uint32_t *community, uint32_t *count,
		  double *modularity, uint64_t max_bytes, rn_error *err);

/* Reference implementations used by tests and the benchmark to check refnet's own results. */
/* igraph_personalized_pagerank with PRPACK on the reversed graph with weights. */
int rn_ig_pagerank_prpack(const rn_graph *g, double damping, const double *teleport, double *rank,
			  uint64_t max_bytes, rn_error *err);
/* reach[v] = nodes reachable from v by out-edges, v excluded, by one igraph_subcomponent
 * breadth-first search per node: O(n m), for tests on small graphs. */
int rn_ig_reach(const rn_graph *g, double *reach, uint64_t max_bytes, rn_error *err);

#endif
