/*
 * kernel.c - the shared sparse machinery of the algo layer: the parallel product rn_spmv,
 * strongly connected components (rn_scc) and the component-ordered linear solver
 * rn_solve_linear that PageRank, Katz and network value all use.  Both walk the graph the
 * same way: Kahn's pass, then walk_cyclic (the split of a giant component, then Tarjan).
 *
 * Why an ordered solver rather than power iteration: referral graphs are forests or
 * near-DAGs (one can only refer someone who joins later), and on a DAG
 * x[u] = b[u] + s * sum w(u,v) c[v] x[v] can be evaluated once per node, children first, and
 * be final.  Power iteration needs ~log(tol)/log(d) = 142 passes for d = 0.85, tol = 1e-10.
 * rn_solve_linear works in three steps:
 *   1. Kahn's topological sort by levels from the customers nobody referred (kahn_order):
 *      every node no cycle leads into, level by level; large levels in parallel.
 *   2. Tarjan's search over the rest (cycles and what lies below them), with the solve fused
 *      in: a component completes only after every component it reaches, so its successors
 *      are final; a single node is evaluated once, a cyclic component is swept Gauss-Seidel
 *      style until it settles (solve_emit, solve_local).  When the rest is large, the
 *      component of one well-connected pivot is first split off by breadth-first searches
 *      forward and backward (split_giant), so that a giant component does not go through the
 *      latency-bound depth-first search.  PageRank-like solves skip the backward search: the
 *      giant component is swept together with what it reaches (emit_closed).
 *   3. The Kahn levels backwards, deepest first, each level's rows in parallel
 *      (solve_acyclic).
 * Kahn runs at memory throughput (the decrements of a row are independent loads) where the
 * depth-first search runs at memory latency, which is why it takes the acyclic bulk.
 *
 * The search is iterative (explicit frames) so that million-deep referral chains do not
 * overflow the C stack; a frame keeps the node's low-link, so per node we hold only the
 * discovery index (4 bytes), a Tarjan stack slot (4) and at most one frame (16).
 */
#include <refnet/algo.h>

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DONE UINT32_MAX /* discovery index of a node whose component has completed */
#define NOT_LOCAL UINT32_MAX /* local_of of a node outside the component being solved */

/* Rows per OpenMP chunk: large enough to amortise scheduling, small enough to balance
 * skewed degree distributions.  The result does not depend on it (one thread per row). */
#define SPMV_CHUNK 4096

/* Prefetch distances, in nodes, for the loops that visit rows in a data-dependent order. */
#define PF_ROW 32
#define PF_EDGES 16
#define PF_TARGETS 10

/* Rows per parallel block within one level of the acyclic part. */
#define LEVEL_BLOCK 8192
#define KAHN_BATCH 256 /* nodes staged per thread before one atomic reservation */

/* Cyclic components at least this large are solved on a private copy (solve_local). */
#define LOCAL_MIN 256
/* Rows per block of a blocked sweep (local_sweep): 2^16 values of y, 512 KiB, stay in the
 * second-level cache while a block's groups are gathered from, and an index within a block
 * is 16 bits.  rn_solve_block_rows changes it (at most 2^16). */
#define BLOCK_ROWS (1u << 16)
/* At most this many blocks (a component of 2.8e8 customers): the group table is blocks^2. */
#define MAX_BLOCKS 4096u
static uint32_t block_rows = BLOCK_ROWS;

static bool extrapolation = true;
static bool two_cycles = true;

void rn_solve_extrapolation(bool on)
{
	extrapolation = on;
}

void rn_solve_two_cycles(bool on)
{
	two_cycles = on;
}

void rn_solve_block_rows(uint32_t rows)
{
	block_rows = rows && rows < BLOCK_ROWS ? rows : BLOCK_ROWS;
}

/* From this many nodes left after Kahn's pass, and when they are at least half the graph,
 * the largest component is split off by breadth-first searches before Tarjan's search
 * (split_giant).  Below half, Tarjan's search costs at most half a graph's, and a remainder
 * made of cycles with much below them (the "mixed" benchmark graph: 20 % of the nodes
 * below a few small cycles) would pay for the split without a large component to find. */
#define SPLIT_MIN 1024

void rn_spmv(const rn_graph *g, const double *x, const double *c, double s, const double *b,
	     double *y)
{
	const uint64_t *off = g->offsets;
	const uint32_t *tgt = g->targets;
	const float *w = g->weights;
	int64_t n = (int64_t)g->n;
	/* Bound: one random read of x (and c) per edge, sequential over the CSR arrays. */
#pragma omp parallel for schedule(dynamic, SPMV_CHUNK)
	for (int64_t u = 0; u < n; u++) {
		double sum = 0.0;
		for (uint64_t e = off[u]; e < off[u + 1]; e++) {
			uint32_t v = tgt[e];
			double xv = c ? c[v] * x[v] : x[v];
			sum += (double)w[e] * xv;
		}
		y[u] = (b ? b[u] : 0.0) + s * sum;
	}
}

/* Asks for transparent huge pages on a fresh allocation, before it is first touched.  The
 * solver's loops make one random access per edge into arrays of n entries; with 4 KiB pages
 * nearly every one is also a TLB miss and a page walk, with 2 MiB pages the walk mostly
 * hits.  A hint only: ignored where THP is off. */
static void want_huge_pages(void *ptr, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	if (bytes >= (4u << 20))
		rn_advise_pages(ptr, bytes, MADV_HUGEPAGE);
#else
	(void)ptr;
	(void)bytes;
#endif
}

/* Called when a component completes, with its members (on the Tarjan stack, in discovery
 * order; the callee may reorder them).  Returns RN_OK or an error that stops the search. */
typedef int (*emit_fn)(void *ctx, uint32_t *members, uint32_t count, uint32_t label);

struct frame {
	uint64_t pos; /* next edge of node to examine */
	uint32_t node;
	uint32_t low; /* Tarjan low-link */
};

/* Tarjan's search over the nodes whose idx is 0, started from roots[0..root_count) (NULL:
 * from every node).  idx belongs to the caller (n entries): a node with idx DONE counts as a
 * completed component and is never entered; the caller guarantees that no edge leads from a
 * searched node into a node with any other nonzero value.  On return every node searched is
 * DONE. */
static int tarjan(const rn_graph *g, uint32_t *idx, const uint32_t *roots, uint32_t root_count,
		  emit_fn emit, void *ctx, uint32_t *count_out, rn_error *err)
{
	uint32_t n = g->n;
	const uint64_t *off = g->offsets;
	const uint32_t *tgt = g->targets;
	uint32_t *stack = rn_malloc_array(n ? n : 1, sizeof *stack);
	struct frame *calls = rn_malloc_array(n ? n : 1, sizeof *calls);
	int rc = RN_OK;
	if (!stack || !calls) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
		goto out;
	}
	if (!roots)
		root_count = n;
	uint32_t counter = 1, top = 0, label = 0;
	for (uint32_t r = 0; r < root_count && rc == RN_OK; r++) {
		uint32_t root = roots ? roots[r] : r;
		if (idx[root])
			continue;
		uint32_t depth = 0;
		idx[root] = counter++;
		calls[depth++] = (struct frame){off[root], root, idx[root]};
		stack[top++] = root;
		while (depth > 0) {
			struct frame *f = &calls[depth - 1];
			uint64_t end = off[f->node + 1];
			uint32_t child = DONE;
			/* Done nodes carry idx DONE = UINT32_MAX, so the min ignores them. */
			while (f->pos < end) {
				uint32_t v = tgt[f->pos++];
				uint32_t iv = idx[v];
				if (iv == 0) {
					child = v;
					break;
				}
				if (iv < f->low)
					f->low = iv;
			}
			if (child != DONE) {
				idx[child] = counter++;
				calls[depth++] = (struct frame){off[child], child, idx[child]};
				stack[top++] = child;
				/* The search will read idx[] of every target of the new row and may
				 * descend into any of them: start those misses now, together,
				 * rather than one dependent miss at a time. */
				for (uint64_t e = off[child]; e < off[child + 1]; e++) {
					__builtin_prefetch(&idx[tgt[e]]);
					__builtin_prefetch(&off[tgt[e]]);
				}
				continue;
			}
			uint32_t v = f->node, low = f->low;
			if (low == idx[v]) {
				uint32_t k = top;
				do
					k--;
				while (stack[k] != v);
				rc = emit ? emit(ctx, stack + k, top - k, label) : RN_OK;
				label++;
				for (uint32_t i = k; i < top; i++)
					idx[stack[i]] = DONE;
				top = k;
				if (rc != RN_OK)
					break;
			}
			depth--;
			if (depth > 0 && low < calls[depth - 1].low)
				calls[depth - 1].low = low;
		}
	}
	if (count_out)
		*count_out = label;
out:
	rn_free(stack);
	rn_free(calls);
	return rc;
}

/* The distinct referral weights of a graph when there are at most 255 of them (generated and
 * CRM data have a handful: 1, 2, sums of a few repeated rows): a component's copy then keeps
 * a one-byte code per edge instead of the float weight (3 bytes an edge less, 74 MB on the
 * 1e7 benchmark graph), exactly.  Code 0 is weight 0 (a column that reads as 0); the others
 * number the weights in ascending order, so the codes do not depend on the edge order. */
#define CODE_SLOTS 1024u
struct weight_codes {
	uint32_t count;		   /* distinct weights */
	double value[256];	   /* code -> weight */
	uint32_t bits[CODE_SLOTS]; /* a float weight's bits, hashed into CODE_SLOTS slots */
	uint8_t code[CODE_SLOTS];  /* its code; 0 marks an empty slot */
};

struct solve_ctx {
	const rn_graph *g;
	struct weight_codes *codes; /* NULL: not made yet, or more than 255 weights */
	bool codes_tried;
	const double *b;
	const double *div; /* y[v] = x[v] / div[v] (0 when div[v] == 0), or y = x */
	double s;
	double tol;
	bool by_size; /* budgets in proportion to a component's sum |x|, not its node count */
	uint32_t max_sweeps;
	double *x;
	double *y;	    /* c[v] * x[v], or x itself when c is NULL */
	bool alias;	    /* y shares x's array: see put() */
	uint32_t *local_of; /* n, position of a node in the small component solve_local is
			     * working on (struct row_map), NOT_LOCAL for every other node */
	rn_solve_stats stats;
	rn_error *err;
};

static uint32_t code_slot(uint32_t bits)
{
	return (bits * 2654435761u) >> 22; /* Fibonacci hashing to 10 bits */
}

/* The slot of bits: where it is, or the empty slot where it belongs. */
static uint32_t code_find(const struct weight_codes *wc, uint32_t bits)
{
	uint32_t i = code_slot(bits);
	while (wc->code[i] && wc->bits[i] != bits)
		i = (i + 1) & (CODE_SLOTS - 1);
	return i;
}

static uint8_t weight_code(const struct weight_codes *wc, float w)
{
	uint32_t bits;
	memcpy(&bits, &w, sizeof bits);
	return wc->code[code_find(wc, bits)];
}

static int cmp_float_slot(const void *a, const void *b)
{
	const float *x = a, *y = b;
	return (*x > *y) - (*x < *y);
}

/* Collects the graph's distinct weights (one pass, consecutive repeats skipped); NULL when
 * there are more than 255 or no memory (the copy then keeps floats). */
static struct weight_codes *weight_codes_new(const rn_graph *g)
{
	struct weight_codes *wc = rn_calloc(1, sizeof *wc);
	if (!wc)
		return NULL;
	uint32_t count = 0, last = 0;
	bool any = false;
	for (uint64_t e = 0; e < g->m; e++) {
		uint32_t bits;
		memcpy(&bits, &g->weights[e], sizeof bits);
		if (any && bits == last)
			continue;
		any = true;
		last = bits;
		uint32_t i = code_find(wc, bits);
		if (wc->code[i])
			continue;
		if (count == 255) {
			rn_free(wc);
			return NULL;
		}
		wc->bits[i] = bits;
		wc->code[i] = 1; /* numbered below */
		count++;
	}
	struct {
		float w;
		uint32_t slot;
	} found[255];
	uint32_t k = 0;
	for (uint32_t i = 0; i < CODE_SLOTS; i++)
		if (wc->code[i]) {
			memcpy(&found[k].w, &wc->bits[i], sizeof found[k].w);
			found[k++].slot = i;
		}
	qsort(found, k, sizeof found[0], cmp_float_slot); /* the float is the first member */
	wc->count = k;
	wc->value[0] = 0.0;
	for (uint32_t c = 0; c < k; c++) {
		wc->code[found[c].slot] = (uint8_t)(c + 1);
		wc->value[c + 1] = (double)found[c].w;
	}
	return wc;
}

static inline double scaled(double div, double xv)
{
	return div > 0.0 ? xv / div : 0.0;
}

/* Stores x[v] = xv, and y[v] when there is a div.  Aliased (no separate y array: n doubles
 * less), the one slot holds y[v] = xv / div[v], or xv itself where div[v] = 0; that is only
 * chosen when every such node has no in-edges, so no row ever reads its y.  rn_solve_linear
 * turns the slots back into x at the end.  Returns what was stored. */
static inline double put(const struct solve_ctx *sc, uint32_t v, double xv)
{
	if (sc->alias) {
		double d = sc->div[v];
		return sc->x[v] = d > 0.0 ? xv / d : xv;
	}
	sc->x[v] = xv;
	if (sc->div)
		sc->y[v] = scaled(sc->div[v], xv);
	return xv;
}

/* x[v] = b[v] + s * sum_{w in out(v)} w(v,w) y[w]: one row, summed in CSR order. */
static inline double row_value(const struct solve_ctx *sc, uint32_t v)
{
	const rn_graph *g = sc->g;
	double sum = 0.0;
	for (uint64_t e = g->offsets[v]; e < g->offsets[v + 1]; e++)
		sum += (double)g->weights[e] * sc->y[g->targets[e]];
	return (sc->b ? sc->b[v] : 1.0) + sc->s * sum;
}

/* What a sweep over a cyclic component adds up: the L1 change of x, the L1 size of the new x,
 * and (solve_local) sum_i keep_i x_i and the largest change of y. */
struct sweep_sums {
	double change, size, kept;
	double peak; /* solve_local: the largest change of a row's y */
	double noise; /* how much the rows amplify their rounding: 1, or the largest stretch */
};

/* Bookkeeping after one sweep over a cyclic component: 1 to go on, RN_OK when converged,
 * RN_EDATA when diverged or out of sweeps.  Converged means a change within the budget, or
 * within the rounding of the values themselves, 2 eps sum |x_i|: a budget below that cannot
 * be met (the sweeps would keep flipping last bits until max_sweeps), and the values are then
 * as exact as double precision makes them (times the largest stretch of a row corrected for
 * its two-cycles, which amplifies its rounding as much); stats.at_rounding counts such
 * components.  The budget is tol |C| / n, or tol sum_C |x| / n (rn_solve_linear_mass). */
static int sweep_done(struct solve_ctx *sc, uint32_t sweep, uint32_t count,
		      const struct sweep_sums *sum)
{
	double budget = sc->tol * (sc->by_size ? sum->size : (double)count) / (double)sc->g->n;
	double change = sum->change;
	sc->stats.sweeps++;
	sc->stats.row_updates += count;
	if (sweep > sc->stats.max_sweeps)
		sc->stats.max_sweeps = sweep;
	if (!isfinite(change))
		return rn_error_set(sc->err, RN_EDATA, NULL, 0, 0,
				    "linear solve diverged in a cycle of %u customers "
				    "(the decay is too large for this graph)",
				    count);
	if (change <= budget || change <= 2.0 * DBL_EPSILON * sum->size * sum->noise) {
		sc->stats.residual += change;
		sc->stats.at_rounding += change > budget;
		return RN_OK;
	}
	if (sweep >= sc->max_sweeps)
		return rn_error_set(sc->err, RN_EDATA, NULL, 0, 0,
				    "linear solve did not converge in %u sweeps over a cycle "
				    "of %u customers (L1 change %.3g, wanted %.3g)",
				    sweep, count, change, budget);
	return 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* How a copy keeps its edge weights: a float per edge, a one-byte code per edge (at most 255
 * distinct weights, as on the benchmark graphs), or nothing when the graph has a single
 * weight, as without a weight column.  The sweeps are made once per form, so that no loop
 * tests which it is. */
enum weight_form { FORM_FLOAT, FORM_CODE, FORM_UNIFORM };

/* A component's private copy.  Rows come in blocks of `rows` (all of them in one block for a
 * component of at most BLOCK_ROWS members); the edges of block R that point into block C form
 * group R * blocks + C, sorted by row; an edge is a (row, column, weight) triple.  Group
 * R * blocks + R is the diagonal group.
 *
 * An edge keeps the referral weight itself (a float, as in the graph) and the rows gather
 * y = x / div, as the global solve does (put): row i is x_i = ext_i + s sum_j w_ij y_j, and
 * stores y_i = x_i / d_i, with d_i = div of its node (1 without div, or where div <= 0; the
 * edges into such a column get weight 0, as scaled() gives them coefficient 0, so its slot can
 * hold x).  The copy is then exact at 5 bytes an edge (16-bit column and row within their
 * blocks, a one-byte weight code; 8 with the float weight when the graph has more than 255
 * distinct weights) instead of 16 for 32-bit indices and a double coefficient s w c, for one
 * division per row.  The constant part of each row waits in the solve's output x at
 * the row's node: nothing reads that slot until the component is final and put() fills it.
 *
 * The off-diagonal groups go through prod, one double per edge (propagation blocking, Beamer,
 * Asanovic & Patterson 2017): once a column block is new, its groups' products w y are
 * written out in edge order, reading only that block of y; before a row block is swept, its
 * groups' products are added up, writing only that block's accumulator.  Both blocks stay in
 * cache and prod streams; adding each group straight into its rows instead misses the cache
 * on every edge, since a group holds a few edges per hundred rows.  (Gathering the old values
 * of the blocks below straight from y when a row block is summed, instead of storing their
 * products, halves prod, 85 MB at 1e7, but each group touches only about 1400 of its block's
 * 8192 lines: the 1e7 PageRank took 7.2-7.3 s instead of 5.6-5.9 s.) */
struct local_system {
	uint32_t count, blocks, rows;
	double s;
	bool conserves;		 /* every 1 - k_j >= 0: see solve_local */
	const uint32_t *members; /* the node of each row, for d_i */
	const double *div;	 /* the solve's div, or NULL */
	uint64_t *group;	 /* blocks^2 + 1 group starts */
	uint64_t *dcum; /* blocks + 1: edges of the diagonal groups of the row blocks before */
	uint32_t *dlow; /* blocks: edges of each diagonal group that read a lower row (split) */
	uint16_t *col;	/* column of each edge within its column block */
	uint16_t *row;	/* row of each edge within its row block */
	enum weight_form form;
	float *w;	/* FORM_FLOAT: weight of each edge (0: a column that reads as 0) */
	uint8_t *code;	/* FORM_CODE: its code in weights->value */
	double uniform; /* FORM_UNIFORM: the one weight of every edge */
	const struct weight_codes *weights;
	double *ext;	/* the solve's x: at member i's node, b + s * (the final values outside) */
	double *y;	/* x_i / d_i, per row */
	double *prod;	/* per off-diagonal edge, w y[column] when its column block was last new */
	double *acc;	/* 2 * 3 * rows: for the block being swept and the next, the sums of their
			   rows (local_consume), then each row's ext and d (local_stage) */
	double *part;	/* blocks: sum of w y over each group of one column block */
	double lag;	/* the scale the mass correction (solve_local) gave y after the last sweep:
			   applied to y's old values and to the products made from them as they are
			   read, instead of a pass over y */
	struct two_cycle *tc; /* the rows corrected for their two-cycles, in row order */
	uint32_t *tc_first;   /* blocks + 1: the first of each row block's in tc */
	double stretch_max;   /* the largest stretch in tc */
	uint8_t *step;	/* each row's change of y in the last recording sweep (step_code) */
	int step_top;	/* the float exponent (biased) of the largest change step holds */
	bool record;	/* whether the next sweep records its changes in step */
};

/* A row whose sweep value is stretched for its two-cycles (local_two_cycles): 4 bytes, 2.6 MB
 * of the peak at 1e7. */
struct two_cycle {
	uint16_t row;  /* within its block */
	uint16_t gain; /* G 2^16, to nearest (G < s^2 < 1): the stretch is 1 / (1 - G) */
};

static inline double two_cycle_stretch(struct two_cycle t)
{
	return 1.0 / (1.0 - t.gain * 0x1p-16);
}

static void local_free(struct local_system *ls)
{
	rn_free(ls->tc);
	rn_free(ls->tc_first);
	rn_free(ls->group);
	rn_free(ls->dcum);
	rn_free(ls->dlow);
	rn_free(ls->col);
	rn_free(ls->row);
	rn_free(ls->w);
	rn_free(ls->code);
	rn_free(ls->y);
	rn_free(ls->prod);
	rn_free(ls->acc);
	rn_free(ls->part);
	rn_free(ls->step);
}

/* d_i of row i (struct local_system). */
static inline double local_d(const struct local_system *ls, uint32_t i)
{
	if (!ls->div)
		return 1.0;
	double d = ls->div[ls->members[i]];
	return d > 0.0 ? d : 1.0;
}

/* Weight of edge e in form (the arrays the form does not use may be NULL). */
static inline __attribute__((always_inline)) double edge_w(enum weight_form form,
							   const struct local_system *ls,
							   const uint8_t *code, const float *w,
							   uint64_t e)
{
	switch (form) {
	case FORM_CODE:
		return ls->weights->value[code[e]];
	case FORM_FLOAT:
		return (double)w[e];
	default:
		return ls->uniform;
	}
}

/* Where the products of off-diagonal group (r, c) start in prod: prod leaves out the
 * diagonal groups' edges. */
static inline double *local_prod(const struct local_system *ls, uint32_t r, uint32_t c)
{
	uint64_t g = (uint64_t)r * ls->blocks + c;
	uint64_t skip = ls->dcum[r] + (c > r ? ls->dcum[r + 1] - ls->dcum[r] : 0);
	return ls->prod + (ls->group[g] - skip);
}

/* Writes the products w y of group (r, c) from column block c of y, or adds them to acc when
 * given (the group above the diagonal next to it, read once in this sweep, before its row block
 * r = c - 1), or neither for the diagonal group; returns their sum, which is sum_j W_j y_j over
 * the group's columns.  Made once per weight form (local_produce). */
static inline __attribute__((always_inline)) double local_produce_as(const struct local_system *ls,
								     uint32_t r, uint32_t c,
								     double *acc,
								     enum weight_form form)
{
	uint64_t g = (uint64_t)r * ls->blocks + c, first = ls->group[g], end = ls->group[g + 1];
	const uint16_t *col = ls->col;
	const uint8_t *code = ls->code;
	const float *w = ls->w;
	const double *y = ls->y + (size_t)c * ls->rows;
	double sum = 0.0;
	if (r == c) {
		for (uint64_t e = first; e < end; e++)
			sum += edge_w(form, ls, code, w, e) * y[col[e]];
	} else if (acc) {
		const uint16_t *row = ls->row;
		for (uint64_t e = first; e < end; e++) {
			double v = edge_w(form, ls, code, w, e) * y[col[e]];
			acc[row[e]] += v;
			sum += v;
		}
	} else {
		double *out = local_prod(ls, r, c) - first;
		for (uint64_t e = first; e < end; e++) {
			double v = edge_w(form, ls, code, w, e) * y[col[e]];
			out[e] = v;
			sum += v;
		}
	}
	return sum;
}

/* Weight of edge e, whatever the form (outside the sweeps). */
static double edge_weight(const struct local_system *ls, uint64_t e)
{
	return edge_w(ls->form, ls, ls->code, ls->w, e);
}

static double local_produce(const struct local_system *ls, uint32_t r, uint32_t c, double *acc)
{
	switch (ls->form) {
	case FORM_CODE:
		return local_produce_as(ls, r, c, acc, FORM_CODE);
	case FORM_FLOAT:
		return local_produce_as(ls, r, c, acc, FORM_FLOAT);
	default:
		return local_produce_as(ls, r, c, acc, FORM_UNIFORM);
	}
}

/* Adds to acc the lower edges of block r's diagonal group (split_diagonal): they read rows
 * swept after their own, so old values, which are there before the block is swept.  Made once
 * per weight form. */
static inline __attribute__((always_inline)) void
local_lower_as(const struct local_system *ls, uint32_t r, double *acc, enum weight_form form)
{
	uint64_t first = ls->group[(uint64_t)r * ls->blocks + r], end = first + ls->dlow[r];
	const uint16_t *row = ls->row, *col = ls->col;
	const uint8_t *code = ls->code;
	const float *w = ls->w;
	const double *y = ls->y + (size_t)r * ls->rows;
	double scale = ls->lag;
	for (uint64_t e = first; e < end; e++)
		acc[row[e]] += edge_w(form, ls, code, w, e) * (y[col[e]] * scale);
}

static void local_lower(const struct local_system *ls, uint32_t r, double *acc)
{
	switch (ls->form) {
	case FORM_CODE:
		local_lower_as(ls, r, acc, FORM_CODE);
		break;
	case FORM_FLOAT:
		local_lower_as(ls, r, acc, FORM_FLOAT);
		break;
	default:
		local_lower_as(ls, r, acc, FORM_UNIFORM);
	}
}

/* Puts block r's ext and d in row order into stage[0..rows) and stage[rows..2 rows), for its
 * diagonal pass to stream through instead of gathering them by member (two dependent loads a
 * row, from arrays of n entries). */
static void local_stage(const struct local_system *ls, uint32_t r, double *stage)
{
	uint32_t lo = r * ls->rows, n = ls->count - lo > ls->rows ? ls->rows : ls->count - lo;
	const uint32_t *members = ls->members + lo;
	for (uint32_t k = 0; k < n; k++)
		stage[k] = ls->ext[members[k]];
	for (uint32_t k = 0; k < n; k++)
		stage[ls->rows + k] = local_d(ls, lo + k);
}

/* acc[row] = the sum over row block r's off-diagonal groups but that of block r + 1 of their
 * products, in column order (those of the column blocks below r were made in the last sweep
 * and take the scale y took since), then over the lower edges of its diagonal group. */
static void local_consume(const struct local_system *ls, uint32_t r, double *acc)
{
	uint32_t blocks = ls->blocks;
	memset(acc, 0, (size_t)ls->rows * sizeof *acc);
	for (uint32_t c = 0; c < blocks; c++) {
		if (c == r || c == r + 1)
			continue;
		uint64_t g = (uint64_t)r * blocks + c, n = ls->group[g + 1] - ls->group[g];
		const uint16_t *row = ls->row + ls->group[g];
		const double *p = local_prod(ls, r, c);
		double f = c < r ? ls->lag : 1.0;
		for (uint64_t e = 0; e < n; e++)
			acc[row[e]] += f * p[e];
	}
	local_lower(ls, r, acc);
	local_stage(ls, r, acc + ls->rows);
}

/* A row's change as an 8-bit float: the sign, 5 bits of exponent counting down from top (the
 * biased float exponent of the largest change expected) and 2 bits of mantissa, rounded:
 * within 12.5 % down to 2^-30 of the top, 0 below, the top itself where larger.  The range
 * matters more than the digits: the changes of one sweep spread over many orders of
 * magnitude, and with 4 bits of exponent and 3 of mantissa (down to 2^-14) the first step at
 * 1e7 cut the next change 1.5-fold instead of 9-fold, and the component took 35 sweeps
 * instead of 32 (1 bit of mantissa: 33).  One byte a row, 8.6 MB at 1e7, which the 40 %
 * memory budget of the benchmark leaves room for; two would not. */
#define STEP_MANT 2			       /* bits of mantissa */
#define STEP_EMAX ((1 << (7 - STEP_MANT)) - 1) /* the largest exponent code */
static inline uint8_t step_code(double v, int top)
{
	float f = (float)fabs(v);
	uint32_t bits;
	memcpy(&bits, &f, sizeof bits);
	bits += 1u << (22 - STEP_MANT); /* to nearest; a carry moves up the exponent */
	int e = (int)(bits >> 23) - top + STEP_EMAX;
	uint32_t code = e <= 0		? 0u
			: e > STEP_EMAX ? 0x7Fu
					: (uint32_t)e << STEP_MANT |
					      (bits >> (23 - STEP_MANT) & ((1u << STEP_MANT) - 1));
	return (uint8_t)(code | (v < 0.0 ? 0x80u : 0u));
}

static inline double step_value(uint8_t code, int top)
{
	uint32_t e = (uint32_t)(code & 0x7Fu) >> STEP_MANT;
	if (e == 0)
		return 0.0;
	uint32_t bits = (uint32_t)((int)e + top - STEP_EMAX) << 23 |
			(uint32_t)(code & ((1u << STEP_MANT) - 1)) << (23 - STEP_MANT);
	float f;
	memcpy(&f, &bits, sizeof f);
	return code & 0x80u ? -(double)f : (double)f;
}

/* The rows of block r over its diagonal group, from the highest down, each final at once,
 * after the off-diagonal sums in acc (NULL: none); adds to the sweep's sums (change and size
 * in units of x, kept: sum of x).  When recording, each row's change of y goes to ls->step. */
static inline __attribute__((always_inline)) void local_diag_as(const struct local_system *ls,
								uint32_t r, const double *acc,
								struct sweep_sums *sums,
								enum weight_form form, bool record)
{
	uint64_t first = ls->group[(uint64_t)r * ls->blocks + r] + ls->dlow[r];
	const uint16_t *row = ls->row + first, *col = ls->col + first;
	const uint8_t *code = form == FORM_CODE ? ls->code + first : NULL;
	const float *w = form == FORM_FLOAT ? ls->w + first : NULL;
	uint8_t *step = ls->step;
	int top = ls->step_top;
	const double *ext = acc + ls->rows, *dv = acc + 2 * (size_t)ls->rows;
	uint32_t lo = r * ls->rows, hi = ls->count - lo > ls->rows ? lo + ls->rows : ls->count;
	double *y = ls->y, *block = y + lo, s = ls->s, dx = 0.0, ax = 0.0, kx = 0.0, peak = 0.0;
	double scale = ls->lag;
	uint64_t e = ls->group[(uint64_t)r * ls->blocks + r + 1] - first;
	const struct two_cycle *tc = ls->tc, *tc_end = tc ? tc + ls->tc_first[r + 1] : NULL,
			       *tc_begin = tc ? tc + ls->tc_first[r] : NULL;
	for (uint32_t i = hi; i-- > lo;) {
		double sum = acc[i - lo];
		/* upper edges in row order: row i's are last once the rows above are done */
		for (uint16_t here = (uint16_t)(i - lo); e > 0 && row[e - 1] == here; e--)
			sum += edge_w(form, ls, code, w, e - 1) * block[col[e - 1]];
		double xv = ext[i - lo] + s * sum, d = dv[i - lo], yv = xv / d;
		double old = y[i] * scale;
		if (tc_end > tc_begin && tc_end[-1].row == i - lo) {
			yv = old + two_cycle_stretch(tc_end[-1]) * (yv - old);
			xv = yv * d;
			tc_end--;
		}
		double dy = fabs(yv - old);
		dx += dy * d;
		ax += fabs(xv);
		kx += xv;
		peak = dy > peak ? dy : peak;
		if (record)
			step[i] = step_code(yv - old, top);
		y[i] = yv;
	}
	sums->change += dx;
	sums->size += ax;
	sums->kept += kx;
	sums->peak = peak > sums->peak ? peak : sums->peak;
}

static inline __attribute__((always_inline)) void local_diag_form(const struct local_system *ls,
								  uint32_t r, const double *acc,
								  struct sweep_sums *sums,
								  enum weight_form form)
{
	if (ls->record)
		local_diag_as(ls, r, acc, sums, form, true);
	else
		local_diag_as(ls, r, acc, sums, form, false);
}

static void local_diag(const struct local_system *ls, uint32_t r, const double *acc,
		       struct sweep_sums *sums)
{
	switch (ls->form) {
	case FORM_CODE:
		local_diag_form(ls, r, acc, sums, FORM_CODE);
		break;
	case FORM_FLOAT:
		local_diag_form(ls, r, acc, sums, FORM_FLOAT);
		break;
	default:
		local_diag_form(ls, r, acc, sums, FORM_UNIFORM);
	}
}

/* One Gauss-Seidel sweep, rows from the highest to the lowest; returns its sums, kept being
 * sum_j (1 - k_j) x_j = sum_j x_j - s sum_j W_j y_j.  A row of block r needs the new values of
 * the blocks above r and the old ones of the blocks below.  From the top block down: the
 * block's rows are swept over its diagonal group, after the sum of its other groups; then,
 * the block being new, the products of its column are written for every group, those of the
 * group of block r - 1 straight into that block's sums.  The diagonal passes form a chain that
 * one thread walks; meanwhile the other adds up the next block's groups (from the products of
 * the blocks above, and of the last sweep, scaled as y was since, for the blocks below) and
 * stages the rows' ext and d for its pass.  Each row adds the same products in the
 * same order and the sums are taken in block and group order, so the result does not depend
 * on the thread count. */
static struct sweep_sums local_sweep(const struct local_system *ls)
{
	uint32_t blocks = ls->blocks;
	struct sweep_sums sums = {.noise = ls->tc ? ls->stretch_max : 1.0};
	double wy = 0.0, *acc[2] = {ls->acc, ls->acc + (blocks > 1 ? 3 * (size_t)ls->rows : 0)};
	local_consume(ls, blocks - 1, acc[(blocks - 1) % 2]);
	for (uint32_t r = blocks; r-- > 0;) {
		double *next = r > 0 ? acc[(r - 1) % 2] : NULL;
#pragma omp parallel num_threads(omp_get_max_threads() > 1 ? 2 : 1) if (blocks > 1)
		{
			int tid = omp_get_thread_num(), team = omp_get_num_threads();
			if (tid == 0)
				local_diag(ls, r, acc[r % 2], &sums);
			if (next && (tid == 1 || team == 1)) {
				local_consume(ls, r - 1, next);
			}
		}
#pragma omp parallel for schedule(dynamic, 1) if (blocks > 1)
		for (int64_t k = 0; k < (int64_t)blocks; k++)
			ls->part[k] =
			    local_produce(ls, (uint32_t)k, r, k + 1 == (int64_t)r ? next : NULL);
		for (uint32_t k = 0; k < blocks; k++)
			wy += ls->part[k];
	}
	sums.kept -= ls->s * wy;
	return sums;
}

/* The row of each member of the component being copied.  For a small one, local_of (n
 * entries); for one of at least n / LARGE_SHARE nodes, a bitmap of the members with the count of
 * members before each 64-node word, 0.19 bytes a node instead of 4: the copy looks up every edge
 * of the component, at random, and the bitmap stays in cache (1.9 MB at 1e7) where local_of
 * does not (40 MB). */
#define LARGE_SHARE 16
struct row_map {
	const uint32_t *local_of; /* or NULL and: */
	uint64_t *bits;
	uint32_t *before;
};

static inline uint32_t row_of(const struct row_map *map, uint32_t v)
{
	if (map->local_of)
		return map->local_of[v];
	uint64_t word = map->bits[v / 64], below = (UINT64_C(1) << (v % 64)) - 1;
	if (!(word >> (v % 64) & 1))
		return NOT_LOCAL;
	return map->before[v / 64] + (uint32_t)__builtin_popcountll(word & below);
}

/* Makes the bitmap form of map for members (any order), and puts them in ascending order. */
static int row_map_bits(struct row_map *map, uint32_t n, uint32_t *members, uint32_t count)
{
	size_t words = ((size_t)n + 63) / 64;
	map->local_of = NULL;
	map->bits = rn_calloc(words, sizeof *map->bits);
	map->before = rn_malloc_array(words, sizeof *map->before);
	if (!map->bits || !map->before)
		return RN_ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		map->bits[members[i] / 64] |= UINT64_C(1) << (members[i] % 64);
	uint32_t k = 0;
	for (size_t word = 0; word < words; word++) {
		map->before[word] = k;
		for (uint64_t b = map->bits[word]; b; b &= b - 1)
			members[k++] = (uint32_t)(word * 64 + (size_t)__builtin_ctzll(b));
	}
	return RN_OK;
}

/* The copy looks up every edge's row (row_of), whose bitmap form counts bits: built twice,
 * with the popcnt instruction where the processor has it (x86-64 before it is the baseline
 * the compiler targets, where the count is a library call). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ROW_LOOKUPS __attribute__((target_clones("popcnt", "default")))
#else
#define ROW_LOOKUPS
#endif

/* Counts the edges of rows [lo, hi) of the component per group into count (blocks^2). */
ROW_LOOKUPS static void local_count(const rn_graph *g, const struct row_map *map,
				    const uint32_t *members, const struct local_system *ls,
				    uint32_t lo, uint32_t hi, uint64_t *count)
{
	uint32_t rows = ls->rows, blocks = ls->blocks;
	for (uint32_t i = lo; i < hi; i++) {
		uint32_t v = members[i];
		uint64_t *in_row = count + (uint64_t)(i / rows) * blocks;
		for (uint64_t e = g->offsets[v]; e < g->offsets[v + 1]; e++) {
			uint32_t lw = row_of(map, g->targets[e]);
			if (lw != NOT_LOCAL)
				in_row[lw / rows]++;
		}
	}
}

/* Copies rows [lo, hi) of the component; cursor[g] is where their next edge of group g goes.
 * Per edge one lookup in map and, unless every node with an in-edge has div > 0 (alias), one
 * random access into div (whether the column reads). */
ROW_LOOKUPS static void local_fill(const struct solve_ctx *sc, const struct row_map *map,
				   const uint32_t *members, struct local_system *ls, uint32_t lo,
				   uint32_t hi, uint64_t *cursor)
{
	const rn_graph *g = sc->g;
	uint32_t rows = ls->rows, blocks = ls->blocks;
	float last_w = 0.0f;
	uint8_t last_code = 0;
	for (uint32_t i = lo; i < hi; i++) {
		uint32_t v = members[i];
		uint32_t rb = i / rows;
		uint64_t *to = cursor + (uint64_t)rb * blocks;
		double outside = 0.0;
		for (uint64_t e = g->offsets[v]; e < g->offsets[v + 1]; e++) {
			uint32_t w = g->targets[e], lw = row_of(map, w);
			double weight = (double)g->weights[e];
			if (lw == NOT_LOCAL) {
				outside += weight * sc->y[w];
				continue;
			}
			uint64_t k = to[lw / rows]++;
			ls->col[k] = (uint16_t)(lw % rows);
			float wk = !sc->div || sc->alias || sc->div[w] > 0.0 ? g->weights[e] : 0.0f;
			if (ls->form == FORM_CODE) {
				if (wk != last_w) { /* most weights repeat the previous one */
					last_w = wk;
					last_code = wk > 0.0f ? weight_code(ls->weights, wk) : 0;
				}
				ls->code[k] = last_code;
			} else if (ls->form == FORM_FLOAT) {
				ls->w[k] = wk;
			}
			ls->row[k] = (uint16_t)(i - rb * rows);
		}
		ls->ext[v] = (sc->b ? sc->b[v] : 1.0) + sc->s * outside;
	}
}

/* Whether every 1 - k_j = 1 - s W_j / d_j of the copy is >= 0, W_j being the sum of column j:
 * a pass over the groups by column block (in parallel: the blocks are disjoint). */
static int local_conserves(const struct local_system *ls, bool *conserves)
{
	uint32_t count = ls->count, rows = ls->rows, blocks = ls->blocks;
	double *colsum = rn_calloc(count, sizeof *colsum);
	if (!colsum)
		return RN_ENOMEM;
#pragma omp parallel for schedule(dynamic, 1) if (blocks > 1)
	for (int64_t c = 0; c < (int64_t)blocks; c++)
		for (uint64_t r = 0; r < blocks; r++) {
			uint64_t grp = r * blocks + (uint64_t)c;
			double *column = colsum + (size_t)c * rows;
			for (uint64_t e = ls->group[grp]; e < ls->group[grp + 1]; e++)
				column[ls->col[e]] += edge_weight(ls, e);
		}
	bool ok = true;
	for (uint32_t i = 0; i < count && ok; i++)
		ok = 1.0 - ls->s * colsum[i] / local_d(ls, i) >= 0.0;
	rn_free(colsum);
	*conserves = ok;
	return RN_OK;
}

/* Two-cycles.  A row j that a later-swept row k reads (k > j: k reads j's old value) and that
 * reads k back (k is new by then) passes j's error back to j a sweep later, times the loop
 * gain g = c_jk c_kj, c_jk = s w_jk / d_k being the coefficient of x_k in row j.  On the 1e7
 * benchmark graph the slowest rows were such loops: a customer referred by one other whom they
 * referred back, often several times (gains up to 0.67 there, and sums of several loops at a
 * hub), and the sweeps shrank the change by 0.60-0.65 once the rest had settled.  Row j's sweep
 * value f_j depends on its old value through these loops as G_j x_j, G_j = sum_k g_jk, so the
 * value it settles at solves x = f_j - G_j x_j^old + G_j x: the sweep takes
 * x_j^old + (f_j - x_j^old) / (1 - G_j) instead of f_j (exact for a star of two-cycles around
 * j with nothing else moving).  The rate went from 0.64 to 0.32 and the 1e7 giant component
 * from 32 sweeps to 25.
 *
 * The stopping bound (sweep_done, docs/ALGORITHMS.md) reads the residual of a sweep as the
 * old values it read times the changes: column j's share is sum_{k > j} c_kj <= s.  With the
 * stretch, row j's own residual adds G_j |change_j|, and G_j <= max_k c_jk sum_{k > j} c_kj
 * <= s^2 when every c_jk <= s, as for PageRank, where d_k is k's in-weight, at least w_jk.
 * So the residual is at most s (1 + s) times the change, and solve_local counts each change
 * 1 + s times.  Only such solves are corrected (div the graph's in-weights, s < 1).
 *
 * The loops are found in the copy: the edge j -> k lies in group (J, K) and k -> j in group
 * (K, J); the edges of (K, J) go into a small hash table, where each edge of (J, K) looks up
 * its reverse: 0.12-0.15 s at 1e7 on two threads (a binary search in the group's rows instead
 * took 0.46 s).  Rows with a gain below TWO_CYCLE_MIN are left plain: on the benchmark graph
 * they change nothing (the same sweeps from 0.01 as from 0.03) and cost a list entry each
 * (650,535 rows at 0.03, 2.6 MB).
 *
 * The mass correction (solve_local) assumes an error close to x.  Its rescaling moves the
 * stretched rows off the loops' share they already took, and where such rows carry most of a
 * component the scales then swing from one side of 1 to the other, a mode of its own (ratio
 * -0.39 on test_two_cycles_star: 33 sweeps instead of 7).  So the stretch waits until a scale
 * is within STRETCH_AFTER of 1.  By then the sweeps are in the late phase it is for: at 1e7
 * the early sweeps shrink the change by 0.32 anyway, the stretch starts with the 7th, and the
 * component takes 25 sweeps; the star takes 11, and a uniform random graph with two rows to
 * stretch 39 instead of 38 (the bound's 1 + s). */
#define TWO_CYCLE_MIN 0.03
#define STRETCH_AFTER 1e-4

/* two_cycle_gains' buffers: a group's edges by (row, column), an open-addressing table at least
 * four times the group's size, each slot the key (row << 16 | column) << 32 | its edge number + 1
 * (0: empty); and the loops found in it. */
struct edge_table {
	uint64_t *slot;
	uint32_t *row;	 /* j of each loop found, within its block */
	uint32_t *other; /* its k */
	double *weights; /* w_jk w_kj */
};

static inline uint32_t edge_slot(uint32_t key, uint32_t bits)
{
	return (key * 0x9E3779B1u) >> (32 - bits);
}

/* The gains of block r's n rows, into gain[0..n): the sum over the two-cycles with the
 * rows above.  Group (c, r) goes into the table, and each edge of group (r, c) looks up its
 * reverse there: one probe or two for a group of a few thousand edges, all in cache. */
static void two_cycle_gains(const struct local_system *ls, uint32_t r, uint32_t n, float *gain,
			    struct edge_table *t)
{
	uint32_t rows = ls->rows, blocks = ls->blocks;
	double s2 = ls->s * ls->s;
	for (uint32_t i = 0; i < n; i++)
		gain[i] = 0.0f;
	for (uint32_t c = r; c < blocks; c++) {
		uint64_t a = (uint64_t)r * blocks + c, b = (uint64_t)c * blocks + r;
		uint64_t b0 = ls->group[b], nb = ls->group[b + 1] - b0;
		uint32_t found = 0;
		if (nb == 0 || ls->group[a] == ls->group[a + 1])
			continue;
		uint32_t bits = 4;
		while ((UINT64_C(1) << bits) < 4 * nb)
			bits++;
		memset(t->slot, 0, (sizeof *t->slot) << bits);
		for (uint32_t f = 0; f < nb; f++) {
			uint32_t key = (uint32_t)ls->row[b0 + f] << 16 | ls->col[b0 + f];
			uint32_t h = edge_slot(key, bits);
			while (t->slot[h])
				h = (h + 1) & ((1u << bits) - 1);
			t->slot[h] = (uint64_t)key << 32 | (f + 1);
		}
		for (uint64_t e = ls->group[a]; e < ls->group[a + 1]; e++) {
			uint16_t jr = ls->row[e], kr = ls->col[e];
			if (c == r && kr <= jr)
				continue;
			uint32_t key = (uint32_t)kr << 16 | jr;
			for (uint32_t h = edge_slot(key, bits); t->slot[h];
			     h = (h + 1) & ((1u << bits) - 1)) {
				if (t->slot[h] >> 32 == key) {
					uint64_t f = b0 + (uint32_t)t->slot[h] - 1;
					t->row[found] = jr;
					t->other[found] = c * rows + kr;
					t->weights[found++] =
					    edge_weight(ls, e) * edge_weight(ls, f);
					break;
				}
			}
		}
		/* d_k is two dependent misses (the member, then its div): asked for ahead */
		if (ls->div) {
			for (uint32_t q = 0; q < found; q++)
				__builtin_prefetch(&ls->members[t->other[q]]);
			for (uint32_t q = 0; q < found; q++)
				__builtin_prefetch(&ls->div[ls->members[t->other[q]]]);
		}
		for (uint32_t q = 0; q < found; q++)
			gain[t->row[q]] +=
			    (float)(s2 * t->weights[q] /
				    (local_d(ls, r * rows + t->row[q]) * local_d(ls, t->other[q])));
	}
}

/* Lists the rows to correct (ls->tc, ls->tc_first) and returns their number.  Without memory
 * for a part of the list, its rows stay plain: the list is an acceleration only. */
static uint64_t local_two_cycles(struct local_system *ls)
{
	uint32_t blocks = ls->blocks, rows = ls->rows;
	/* the gains of every row, then the list in one block: the parts of a list made block by
	 * block stayed in the heap, 2.6 MB more at the peak */
	float *gain = rn_malloc_array(ls->count, sizeof *gain);
	uint32_t *first = rn_calloc((size_t)blocks + 1, sizeof *first);
	struct two_cycle *tc = NULL;
	uint64_t total = 0;
	if (!gain || !first)
		goto out;
	uint64_t widest = 0;
	for (uint64_t k = 0; k < (uint64_t)blocks * blocks; k++)
		widest = ls->group[k + 1] - ls->group[k] > widest ? ls->group[k + 1] - ls->group[k]
								  : widest;
	size_t slots = 16;
	while (slots < 4 * widest)
		slots *= 2;
#pragma omp parallel if (blocks > 1)
	{
		struct edge_table table = {rn_malloc_array(slots, sizeof *table.slot),
					   rn_malloc_array(widest, sizeof *table.row),
					   rn_malloc_array(widest, sizeof *table.other),
					   rn_malloc_array(widest, sizeof *table.weights)};
		bool ready = table.slot && table.row && table.other && table.weights;
#pragma omp for schedule(dynamic, 1)
		for (int64_t r = 0; r < (int64_t)blocks; r++) {
			uint32_t lo = (uint32_t)r * rows,
				 n = ls->count - lo < rows ? ls->count - lo : rows, k = 0;
			if (!ready) /* first[r + 1] = 0: the block stays plain */
				continue;
			two_cycle_gains(ls, (uint32_t)r, n, gain + lo, &table);
			for (uint32_t i = 0; i < n; i++)
				k += gain[lo + i] >= TWO_CYCLE_MIN;
			first[r + 1] = k;
		}
		rn_free(table.slot);
		rn_free(table.row);
		rn_free(table.other);
		rn_free(table.weights);
	}
	for (uint32_t r = 0; r < blocks; r++)
		first[r + 1] += first[r];
	total = first[blocks];
	if (!total || !(tc = rn_malloc_array(total, sizeof *tc)))
		goto out;
#pragma omp parallel for schedule(dynamic, 1) if (blocks > 1)
	for (int64_t r = 0; r < (int64_t)blocks; r++) {
		uint32_t lo = (uint32_t)r * rows, n = ls->count - lo < rows ? ls->count - lo : rows;
		struct two_cycle *at = tc + first[r];
		if (first[r + 1] == first[r])
			continue;
		for (uint32_t i = 0; i < n; i++)
			if (gain[lo + i] >= TWO_CYCLE_MIN)
				*at++ = (struct two_cycle){
				    (uint16_t)i,
				    (uint16_t)fminf(gain[lo + i] * 65536.0f + 0.5f, 65535.0f)};
	}
	ls->stretch_max = 1.0;
	for (uint64_t k = 0; k < total; k++)
		ls->stretch_max = fmax(ls->stretch_max, two_cycle_stretch(tc[k]));
	ls->tc = tc;
	ls->tc_first = first;
	first = NULL;
out:
	rn_free(gain);
	rn_free(first);
	return ls->tc ? total : 0;
}

/* Splits each diagonal group in two, both in row order: first the lower edges, which read a
 * row below their own (swept later, so an old value), then the upper ones, which read a row
 * swept before theirs in the same sweep.  Only the upper edges need to be summed in the
 * chain of the diagonal pass; the lower ones go into the block's sums beforehand with the
 * off-diagonal groups (local_consume), a stream without a branch per row.  On the 1e7
 * benchmark graph 3.5e6 of the giant component's 2.5e7 edges are diagonal and 78 % of its
 * rows have none: the loop over a row's diagonal edges, whose length the branch predictor
 * cannot know, was the larger part of the diagonal pass. */
static int split_diagonal(struct local_system *ls)
{
	uint32_t blocks = ls->blocks;
	uint64_t widest = 0;
	ls->dlow = rn_calloc(blocks, sizeof *ls->dlow);
	if (!ls->dlow)
		return RN_ENOMEM;
	for (uint64_t r = 0; r < blocks; r++) {
		uint64_t d = r * blocks + r, n = ls->group[d + 1] - ls->group[d];
		widest = n > widest ? n : widest;
	}
	bool failed = false;
#pragma omp parallel if (blocks > 1)
	{
		uint16_t *col = rn_malloc_array(widest + 1, sizeof *col);
		uint16_t *row = rn_malloc_array(widest + 1, sizeof *row);
		uint8_t *code =
		    ls->form == FORM_CODE ? rn_malloc_array(widest + 1, sizeof *code) : NULL;
		float *w = ls->form == FORM_FLOAT ? rn_malloc_array(widest + 1, sizeof *w) : NULL;
		bool ready =
		    col && row && (ls->form != FORM_CODE || code) && (ls->form != FORM_FLOAT || w);
		if (!ready) {
#pragma omp atomic write
			failed = true;
		}
#pragma omp for schedule(dynamic, 1)
		for (int64_t r = 0; r < (int64_t)blocks; r++) {
			uint64_t d = (uint64_t)r * blocks + (uint64_t)r, first = ls->group[d];
			uint64_t low = first, up = 0;
			if (!ready)
				continue;
			for (uint64_t e = first; e < ls->group[d + 1]; e++) {
				bool lower = ls->col[e] < ls->row[e];
				uint64_t at = lower ? low++ : up;
				uint16_t *to_col = lower ? ls->col : col,
					 *to_row = lower ? ls->row : row;
				to_col[at] = ls->col[e];
				to_row[at] = ls->row[e];
				if (ls->form == FORM_CODE)
					(lower ? ls->code : code)[at] = ls->code[e];
				else if (ls->form == FORM_FLOAT)
					(lower ? ls->w : w)[at] = ls->w[e];
				up += !lower;
			}
			memcpy(ls->col + low, col, up * sizeof *col);
			memcpy(ls->row + low, row, up * sizeof *row);
			if (ls->form == FORM_CODE)
				memcpy(ls->code + low, code, up * sizeof *code);
			else if (ls->form == FORM_FLOAT)
				memcpy(ls->w + low, w, up * sizeof *w);
			ls->dlow[r] = (uint32_t)(low - first);
		}
		rn_free(col);
		rn_free(row);
		rn_free(code);
		rn_free(w);
	}
	return failed ? RN_ENOMEM : RN_OK;
}

/* Builds the copy but for x and the sweep's buffers: map gives the members' rows (they are in
 * ascending index order).
 * With several blocks the rows are split in two fixed halves, copied in parallel: a first
 * pass counts each half's edges per group, so that in every group the first half's edges
 * come first and each group stays in row order.  Nothing depends on the thread count. */
static int local_build(struct solve_ctx *sc, const struct row_map *map, const uint32_t *members,
		       struct local_system *ls)
{
	const rn_graph *g = sc->g;
	uint32_t count = ls->count, rows = count > block_rows ? block_rows : count;
	if ((count - 1) / rows + 1 > MAX_BLOCKS)
		return rn_error_set(sc->err, RN_ENOMEM, NULL, 0, 0,
				    "a cycle of %u customers is too large to solve (at most %u)",
				    count, MAX_BLOCKS * BLOCK_ROWS);
	uint32_t blocks = (count - 1) / rows + 1, mid = blocks > 1 ? count / 2 : count;
	uint64_t groups = (uint64_t)blocks * blocks, room = 0;
	ls->blocks = blocks;
	ls->rows = rows;
	ls->s = sc->s;
	ls->members = members;
	ls->div = sc->div;
	ls->lag = 1.0;
	ls->group = rn_calloc(groups + 1, sizeof *ls->group);
	ls->dcum = rn_calloc((size_t)blocks + 1, sizeof *ls->dcum);
	uint64_t *cursor = rn_calloc(2 * groups, sizeof *cursor); /* per half */
	if (!ls->group || !ls->dcum || !cursor)
		goto nomem;
	if (blocks == 1) {
		/* Room for every edge of the members, shrunk afterwards: the edges leaving the
		 * component (one in seven on the benchmark graph) are not copied. */
		for (uint32_t i = 0; i < count; i++)
			room += g->offsets[members[i] + 1] - g->offsets[members[i]];
	} else {
#pragma omp parallel for schedule(static, 1)
		for (int half = 0; half < 2; half++)
			local_count(g, map, members, ls, half ? mid : 0, half ? count : mid,
				    cursor + (uint64_t)half * groups);
		for (uint64_t k = 0; k < groups; k++) {
			uint64_t first = cursor[k], second = cursor[groups + k];
			ls->group[k + 1] = ls->group[k] + first + second;
			cursor[k] = ls->group[k];
			cursor[groups + k] = ls->group[k] + first;
		}
		room = ls->group[groups];
	}
	ls->col = rn_malloc_array(room ? room : 1, sizeof *ls->col);
	if (!sc->codes_tried) {
		sc->codes = weight_codes_new(g);
		sc->codes_tried = true;
	}
	ls->weights = sc->codes;
	/* One weight for every edge: unless some column reads as 0 (local_fill), none is kept. */
	if (ls->weights && ls->weights->count == 1 && (!sc->div || sc->alias)) {
		ls->form = FORM_UNIFORM;
		ls->uniform = ls->weights->value[1];
	} else if (ls->weights) {
		ls->form = FORM_CODE;
		ls->code = rn_malloc_array(room ? room : 1, sizeof *ls->code);
	} else {
		ls->form = FORM_FLOAT;
		ls->w = rn_malloc_array(room ? room : 1, sizeof *ls->w);
	}
	ls->ext = sc->x;
	ls->row = rn_malloc_array(room ? room : 1, sizeof *ls->row);
	if (!ls->col || !ls->row || (ls->form == FORM_CODE && !ls->code) ||
	    (ls->form == FORM_FLOAT && !ls->w))
		goto nomem;
#pragma omp parallel for schedule(static, 1) if (blocks > 1)
	for (int half = 0; half < 2; half++)
		local_fill(sc, map, members, ls, half ? mid : 0, half ? count : mid,
			   cursor + (uint64_t)half * groups);
	if (blocks == 1) {
		uint64_t k = cursor[0];
		ls->group[1] = k;
		if (k < room) { /* a shrinking realloc returns the tail and keeps the data */
			uint16_t *t = rn_realloc_array(ls->col, k ? k : 1, sizeof *t);
			ls->col = t ? t : ls->col;
			t = rn_realloc_array(ls->row, k ? k : 1, sizeof *t);
			ls->row = t ? t : ls->row;
			if (ls->form == FORM_CODE) {
				uint8_t *c = rn_realloc_array(ls->code, k ? k : 1, sizeof *c);
				ls->code = c ? c : ls->code;
			} else if (ls->form == FORM_FLOAT) {
				float *w = rn_realloc_array(ls->w, k ? k : 1, sizeof *w);
				ls->w = w ? w : ls->w;
			}
		}
	}
	for (uint32_t r = 0; r < blocks; r++) {
		uint64_t d = (uint64_t)r * blocks + r;
		ls->dcum[r + 1] = ls->dcum[r] + (ls->group[d + 1] - ls->group[d]);
	}
	rn_free(cursor);
	if (split_diagonal(ls) != RN_OK)
		goto nomem_late;
	/* PageRank's div is the in-weight, at least the sum of any column of the copy (a part of
	 * the column's in-edges): then every k_j <= s < 1 without summing the columns. */
	if (ls->div && ls->div == g->in_weight && ls->s < 1.0 - 1e-9)
		ls->conserves = true;
	else if (local_conserves(ls, &ls->conserves) != RN_OK)
		goto nomem_late;
	return RN_OK;
nomem:
	rn_free(cursor);
nomem_late:
	return rn_error_set(sc->err, RN_ENOMEM, NULL, 0, 0,
			    "out of memory for a cycle of %u customers", count);
}

/* Extrapolation along the slowest mode.  Once the mass correction has taken out the Perron
 * mode, the sweeps of a large component settle into a second slow mode: on the 1e7 benchmark
 * graph's giant component every sweep from the 20th on shrinks the change by 0.60-0.64.  The
 * change of a sweep is then nearly lambda^k v for a fixed vector v, and the error left is the
 * rest of the geometric series, change * lambda / (1 - lambda) along the same vector
 * (Aitken's delta-squared process, Brezinski & Redivo Zaglia 1991, applied to the vector
 * along its measured ratio).  When the last two ratios agree to 1 %, the next sweep records
 * each row's change (step_code: one byte a row) and, if its ratio agrees too, y moves on by
 * the recorded change times lambda / (1 - lambda).  The products of the last sweep are then stale
 * and are made again from the new y.
 *
 * Nothing here is trusted for the result: the stopping test still reads the change of a
 * plain sweep, which bounds the error whatever the sweep started from.  A wrong step costs
 * sweeps, not accuracy, and when an extrapolation does not beat what a plain sweep would have
 * given, no more are made for the component. */
struct slow_mode {
	double change[2]; /* the changes of the last two sweeps, the latest first */
	uint32_t plain;	  /* sweeps since the last extrapolation (or since the start) */
	double expect;	  /* after an extrapolation: the change a plain sweep would have had */
	bool off;	  /* an extrapolation did not pay */
};

#define SLOW_AGREE 0.01 /* relative agreement of two successive ratios */
#define SLOW_MIN 0.5	/* ratios outside [SLOW_MIN, SLOW_MAX] are not extrapolated */
#define SLOW_MAX 0.95

static bool slow_steady(const struct slow_mode *m, double change)
{
	if (!(m->change[0] > 0.0 && m->change[1] > 0.0))
		return false;
	double now = change / m->change[0], before = m->change[0] / m->change[1];
	return now >= SLOW_MIN && now <= SLOW_MAX && fabs(now - before) <= SLOW_AGREE * now;
}

/* y += f * step, and the products below the diagonal, made in the last sweep, made again
 * from the new y (the next sweep reads them as the old values of those blocks). */
static void slow_extrapolate(struct local_system *ls, double f)
{
	int64_t count = ls->count;
#pragma omp parallel for schedule(static) if (count > 65536)
	for (int64_t i = 0; i < count; i++)
		ls->y[i] += f * step_value(ls->step[i], ls->step_top);
	uint32_t blocks = ls->blocks;
	if (blocks > 1) {
#pragma omp parallel for schedule(dynamic, 1)
		for (int64_t r = 1; r < (int64_t)blocks; r++)
			for (uint32_t c = 0; c < (uint32_t)r; c++)
				local_produce(ls, (uint32_t)r, c, NULL);
	}
}

/* After a sweep that did not converge, with its change: extrapolates when a recorded sweep
 * confirms a steady ratio, and decides whether the next sweep records. */
static void slow_mode_next(struct local_system *ls, struct slow_mode *m,
			   const struct sweep_sums *sums, rn_solve_stats *stats)
{
	double change = sums->change;
	m->plain++;
	if (m->plain == 1 && m->expect > 0.0 && change >= m->expect)
		m->off = true; /* the last extrapolation did no better than a plain sweep */
	bool steady = extrapolation && !m->off && slow_steady(m, change);
	if (ls->record && steady) {
		double lambda = change / m->change[0];
		slow_extrapolate(ls, lambda / (1.0 - lambda));
		stats->extrapolations++;
		m->expect = change * lambda;
		m->plain = 0;
		steady = false;
	}
	m->change[1] = m->change[0];
	m->change[0] = change;
	ls->record = steady && m->plain >= 3;
	if (ls->record) { /* the next sweep's changes are about lambda times these */
		float peak = (float)sums->peak;
		uint32_t bits;
		memcpy(&bits, &peak, sizeof bits);
		ls->step_top = bits >> 23 > STEP_EMAX ? (int)(bits >> 23) : STEP_EMAX;
	}
	if (ls->record && !ls->step) {
		ls->step = rn_malloc_array(ls->count, sizeof *ls->step);
		if (!ls->step) { /* an optimisation only: without memory, plain sweeps */
			m->off = true;
			ls->record = false;
		}
	}
}

/* A large cyclic component is solved on a private copy (struct local_system): rows in
 * ascending index order, columns renumbered to that order, and the contribution of already final
 * components outside precomputed once per row. Sweeps run from the highest index to the lowest: for
 * files in date order the referred customer comes later than the referrer, so a row mostly reads
 * values already updated in this sweep (on the 1e7 benchmark graph 43 sweeps, against 50 in reverse
 * depth-first discovery order).  Above BLOCK_ROWS members the sweep is blocked (local_sweep), which
 * computes the same Gauss-Seidel sweep with each gather confined to one block of x.
 *
 * Mass correction.  Summing the rows of x = e + C x gives an identity the solution satisfies
 * exactly: sum_j (1 - k_j) x_j = sum_i e_i, where k_j is the sum of column j of C (the share
 * of x_j that flows back into the component).  When every k_j <= 1 and e >= 0 (PageRank: k_j
 * <= d), the slowest mode of the error is the component's Perron vector, which is nearly
 * proportional to x itself; rescaling x after each sweep so that the identity holds removes
 * that mode, as the normalisation of the power method does for PageRank.  The left side comes
 * from the sweep itself: sum_j x_j from its rows and sum_j W_j y_j from its products.  The
 * stopping test still reads the change of an unscaled sweep, and the fixed point is the same.
 * Measured on the giant component of the 1e7 benchmark graph (8.6e6 nodes, 2.5e7 edges):
 * see docs/ALGORITHMS.md. */
static int solve_local(struct solve_ctx *sc, uint32_t *members, uint32_t count)
{
	const rn_graph *g = sc->g;
	struct local_system ls = {.count = count};
	struct row_map map = {0};
	struct two_cycle *tc_waiting = NULL; /* the rows to stretch, until they are (Two-cycles) */
	int rc = RN_OK;
	if ((uint64_t)count * LARGE_SHARE >= g->n) {
		/* A smaller component's map (4 bytes a node) would otherwise stay through this
		 * one's sweeps, the solve's peak: it is made again for a later one. */
		rn_free(sc->local_of);
		sc->local_of = NULL;
		rc = row_map_bits(&map, g->n, members, count);
		if (rc == RN_OK)
			rc = local_build(sc, &map, members, &ls);
		else
			rc = rn_error_set(sc->err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		rn_free(map.bits);
		rn_free(map.before);
	} else {
		if (!sc->local_of) {
			sc->local_of = rn_malloc_array(g->n, sizeof *sc->local_of);
			if (!sc->local_of)
				return rn_error_set(sc->err, RN_ENOMEM, NULL, 0, 0,
						    "out of memory");
			memset(sc->local_of, 0xff, (size_t)g->n * sizeof *sc->local_of);
		}
		uint32_t *local_of = sc->local_of;
		qsort(members, count, sizeof *members, cmp_u32);
		for (uint32_t i = 0; i < count; i++)
			local_of[members[i]] = i;
		map.local_of = local_of;
		rc = local_build(sc, &map, members, &ls);
		for (uint32_t i = 0; i < count; i++)
			local_of[members[i]] = NOT_LOCAL;
	}
	if (rc != RN_OK)
		goto out;
	/* Two-cycles: for PageRank-like solves only, where every c_jk <= s (see there).  Found
	 * before the sweep's arrays are made, so that the search's gains (4 bytes a member, 34
	 * MB at 1e7) and tables (2.8 MB a thread there) are gone before y and the products. */
	if (two_cycles && ls.div && ls.div == g->in_weight && ls.s < 1.0)
		sc->stats.two_cycle_rows += local_two_cycles(&ls);
	/* The first sweep reads the products of a sweep before it, from y = 0: zeros. */
	uint64_t products = ls.group[(uint64_t)ls.blocks * ls.blocks] - ls.dcum[ls.blocks];
	ls.y = rn_calloc_dense(count, sizeof *ls.y);
	ls.part = rn_malloc_array(ls.blocks, sizeof *ls.part);
	ls.acc = rn_malloc_array((ls.blocks > 1 ? 6 : 3) * (size_t)ls.rows, sizeof *ls.acc);
	if (ls.blocks > 1) {
		ls.prod = rn_malloc_array(products ? products : 1, sizeof *ls.prod);
		want_huge_pages(ls.prod, products * sizeof *ls.prod);
		if (ls.prod)
			memset(ls.prod, 0, (products ? products : 1) * sizeof *ls.prod);
	}
	if (!ls.y || !ls.part || !ls.acc || (ls.blocks > 1 && !ls.prod)) {
		rc = rn_error_set(sc->err, RN_ENOMEM, NULL, 0, 0,
				  "out of memory for a cycle of %u customers", count);
		goto out;
	}
	/* The correction applies when every 1 - k_j >= 0 and e >= 0 (then x >= 0 throughout). */
	double mass = 0.0;
	bool correct = ls.conserves;
	for (uint32_t i = 0; i < count; i++) {
		double e = ls.ext[members[i]];
		correct = correct && e >= 0.0;
		mass += e;
	}
	correct = correct && mass > 0.0;
	struct slow_mode mode = {0};
	tc_waiting = ls.tc;
	ls.tc = NULL;
	for (uint32_t sweep = 1;; sweep++) {
		struct sweep_sums sums = local_sweep(&ls);
		if (ls.tc) /* the residual bound of stretched sweeps (Two-cycles) */
			sums.change *= 1.0 + ls.s;
		rc = sweep_done(sc, sweep, count, &sums);
		if (rc <= 0)
			break;
		ls.lag = 1.0;
		slow_mode_next(&ls, &mode, &sums, &sc->stats);
		/* Near 1 the scale is mostly the rounding of its two sums (relative 1e-13 over
		 * millions of terms) and would keep the sweeps from settling: below 1e-12 the plain
		 * sweeps finish the job. */
		double scale = mass / sums.kept;
		/* The rows stretched for their two-cycles wait until the scale is within
		 * STRETCH_AFTER of 1 (see Two-cycles). */
		if (tc_waiting && (!correct || fabs(scale - 1.0) < STRETCH_AFTER)) {
			ls.tc = tc_waiting;
			tc_waiting = NULL;
		}
		if (correct && scale > 0.5 && scale < 2.0 && fabs(scale - 1.0) > 1e-12)
			ls.lag = scale;
	}
	if (rc == RN_OK)
		for (uint32_t i = 0; i < count; i++)
			put(sc, members[i], ls.y[i] * local_d(&ls, i));
out:
	rn_free(tc_waiting); /* NULL once handed to ls.tc, which local_free frees */
	local_free(&ls);
	return rc;
}

static int solve_emit(void *ctx, uint32_t *members, uint32_t count, uint32_t label)
{
	struct solve_ctx *sc = ctx;
	(void)label;
	sc->stats.components++;
	if (count == 1) {
		/* No self-loops in the CSR, so every successor is already final. */
		uint32_t v = members[0];
		sc->stats.row_updates++;
		put(sc, v, row_value(sc, v));
		return RN_OK;
	}
	sc->stats.cyclic_components++;
	if (count >= LOCAL_MIN)
		return solve_local(sc, members, count);
	for (uint32_t i = 0; i < count; i++)
		put(sc, members[i], 0.0);
	for (uint32_t sweep = 1;; sweep++) {
		struct sweep_sums sums = {.noise = 1.0};
		for (uint32_t i = count; i-- > 0;) { /* order: see solve_local */
			uint32_t v = members[i];
			/* Aliased, the change is taken on the stored y and scaled back, so that it
			 * is exactly 0 once a sweep reproduces the slot. */
			double old = sc->x[v], stored = put(sc, v, row_value(sc, v));
			double d = sc->alias && sc->div[v] > 0.0 ? sc->div[v] : 1.0;
			sums.change += fabs(stored - old) * d;
			sums.size += fabs(stored) * d;
		}
		int rc = sweep_done(sc, sweep, count, &sums);
		if (rc <= 0)
			return rc;
	}
}

/* Breadth-first search over a CSR from the `seeds` nodes in queue (marked with bit already),
 * setting bit in mark[] of every node reached and appending them to queue (the caller sizes
 * it for all of them); returns the queue's length.  The queue is the visiting order, so the
 * rows ahead are prefetched as in kahn_level. */
static uint32_t bfs(const uint64_t *off, const uint32_t *tgt, uint8_t *mark, uint8_t bit,
		    uint32_t *queue, uint32_t seeds)
{
	uint32_t tail = seeds;
	for (uint32_t head = 0; head < tail; head++) {
		if (head + PF_ROW < tail)
			__builtin_prefetch(&off[queue[head + PF_ROW]]);
		if (head + PF_EDGES < tail)
			__builtin_prefetch(&tgt[off[queue[head + PF_EDGES]]]);
		if (head + PF_TARGETS < tail) {
			uint32_t p = queue[head + PF_TARGETS];
			for (uint64_t e = off[p]; e < off[p + 1]; e++)
				__builtin_prefetch(&mark[tgt[e]], 1);
		}
		uint32_t u = queue[head];
		for (uint64_t e = off[u]; e < off[u + 1]; e++) {
			uint32_t v = tgt[e];
			if (!(mark[v] & bit)) {
				mark[v] |= bit;
				queue[tail++] = v;
			}
		}
	}
	return tail;
}

#define FORWARD 1u
#define BACKWARD 2u
#define PUSHED 4u /* reach_forward: a node of F whose successors are marked */

/* Passes of the forward search (reach_forward) before it falls back to a queue. */
#define FORWARD_PASSES 16

/* Marks FORWARD the forward set F of start (every node it reaches) and lists F in fwd,
 * ascending; returns |F|.  Passes over the index range push each node of F found so far to
 * its successors, once (PUSHED), until a pass marks none.  Referral edges mostly run from a
 * lower index to a higher, so a chain of them is followed within one pass, and the rows are
 * read in order instead of in the order a queue finds them.  Two threads split each pass;
 * marks are relaxed atomics, as in reach_back: a mark one thread writes over another's
 * PUSHED only has that node pushed again, and F does not depend on the schedule.  A long path
 * against the index order would need a pass per node: after FORWARD_PASSES passes a
 * breadth-first search goes on from the nodes not yet pushed.  On the 1e7 benchmark graph
 * (|F| = 9.2e6) 10 passes on two threads take 0.30-0.35 s, against 0.48-0.53 s for the
 * breadth-first search alone; on one thread the passes take 0.6 s, so there the search does
 * it all. */
static uint32_t reach_forward(const rn_graph *g, uint8_t *mark, uint32_t start, uint32_t *fwd)
{
	const uint64_t *off = g->offsets;
	const uint32_t *tgt = g->targets;
	int64_t n = (int64_t)g->n;
	mark[start] = FORWARD;
	uint64_t added = 1;
	for (int pass = 0; added > 0 && pass < FORWARD_PASSES && omp_get_max_threads() > 1;
	     pass++) {
		added = 0;
#pragma omp parallel for schedule(dynamic, 65536) reduction(+ : added)
		for (int64_t u = 0; u < n; u++) {
			if (__atomic_load_n(&mark[u], __ATOMIC_RELAXED) != FORWARD)
				continue;
			__atomic_store_n(&mark[u], (uint8_t)(FORWARD | PUSHED), __ATOMIC_RELAXED);
			for (uint64_t e = off[u]; e < off[u + 1]; e++) {
				uint32_t v = tgt[e];
				if (!(__atomic_load_n(&mark[v], __ATOMIC_RELAXED) & FORWARD)) {
					__atomic_store_n(&mark[v], (uint8_t)FORWARD,
							 __ATOMIC_RELAXED);
					added++;
				}
			}
		}
	}
	uint32_t count = 0;
	if (added > 0) {
		for (int64_t v = 0; v < n; v++)
			if (mark[v] == FORWARD)
				fwd[count++] = (uint32_t)v;
		bfs(off, tgt, mark, FORWARD, fwd, count);
	}
	count = 0;
	for (int64_t v = 0; v < n; v++)
		if (mark[v] & FORWARD) {
			mark[v] = FORWARD;
			fwd[count++] = (uint32_t)v;
		}
	return count;
}

/* The edges among the forward set F = fwd[0..count) (marked FORWARD), reversed: node v's
 * predecessors inside F are in_src[in[v].begin .. in[v].begin + in[v].count), in ascending
 * order when F is visited by index.  F is closed under successors, so these are all its
 * predecessors in F.  Rows are placed by the in-degree over the whole graph, an upper bound
 * that needs no counting pass; the cursor and the start of a row share one cache line, so
 * an edge costs two random accesses.  Only F's entries of in[] are written, so when F is
 * small neither time nor resident memory grows with n: F is then walked through its list,
 * when large by a scan of the marks (sequential rows). */
struct in_row {
	uint64_t begin;
	uint32_t count; /* filled from the start of the row */
	uint32_t back;	/* filled from the end (the second half of a parallel fill) */
};

static int reverse_forward(const rn_graph *g, const uint8_t *mark, const uint32_t *fwd,
			   uint32_t count, struct in_row **in_out, uint32_t **in_src_out)
{
	uint32_t n = g->n;
	const uint64_t *off = g->offsets;
	const uint32_t *tgt = g->targets;
	bool scan = (uint64_t)count * 16 >= n;
	struct in_row *in = rn_malloc_array(n, sizeof *in);
	if (!in)
		return RN_ENOMEM;
	uint64_t begin = 0;
	for (uint32_t k = 0, v = 0; scan ? v < n : k < count; k++, v++) {
		uint32_t u = scan ? v : fwd[k];
		if (!(mark[u] & FORWARD))
			continue;
		in[u] = (struct in_row){begin, 0, 0};
		begin += g->in_degree[u];
	}
	uint32_t *in_src = rn_malloc_array(begin ? begin : 1, sizeof *in_src);
	if (!in_src) {
		rn_free(in);
		return RN_ENOMEM;
	}
	if (!scan) {
		for (uint32_t k = 0; k < count; k++)
			for (uint64_t e = off[fwd[k]]; e < off[fwd[k] + 1]; e++) {
				struct in_row *r = &in[tgt[e]];
				in_src[r->begin + r->count++] = fwd[k];
			}
		*in_out = in;
		*in_src_out = in_src;
		return RN_OK;
	}
	/* Two threads over the halves of the index range, as in the CSR scatter: the first
	 * half fills each row from its start, the second, read backwards, from its end (the row
	 * has room for the node's whole in-degree); then the two parts are joined.  Every row
	 * lists its predecessors in ascending order on any number of threads. */
	uint32_t mid = n / 2;
#pragma omp parallel sections
	{
#pragma omp section
		for (uint32_t u = 0; u < mid; u++)
			if (mark[u] & FORWARD)
				for (uint64_t e = off[u]; e < off[u + 1]; e++) {
					struct in_row *r = &in[tgt[e]];
					in_src[r->begin + r->count++] = u;
				}
#pragma omp section
		for (uint32_t u = n; u-- > mid;)
			if (mark[u] & FORWARD)
				for (uint64_t e = off[u + 1]; e-- > off[u];) {
					uint32_t v = tgt[e];
					struct in_row *r = &in[v];
					in_src[r->begin + g->in_degree[v] - ++r->back] = u;
				}
	}
	for (uint32_t v = 0; v < n; v++) {
		if (!(mark[v] & FORWARD) || in[v].back == 0)
			continue;
		struct in_row *r = &in[v];
		memmove(in_src + r->begin + r->count, in_src + r->begin + g->in_degree[v] - r->back,
			(size_t)r->back * sizeof *in_src);
		r->count += r->back;
	}
	*in_out = in;
	*in_src_out = in_src;
	return RN_OK;
}

/* Breadth-first search backwards over reverse_forward's rows from the `seeds` nodes in queue
 * (marked BACKWARD), setting BACKWARD; as bfs. */
static uint32_t bfs_back(const struct in_row *in, const uint32_t *src, uint8_t *mark,
			 uint32_t *queue, uint32_t seeds)
{
	uint32_t tail = seeds;
	for (uint32_t head = 0; head < tail; head++) {
		if (head + PF_ROW < tail)
			__builtin_prefetch(&in[queue[head + PF_ROW]]);
		if (head + PF_EDGES < tail)
			__builtin_prefetch(&src[in[queue[head + PF_EDGES]].begin]);
		if (head + PF_TARGETS < tail) {
			const struct in_row *r = &in[queue[head + PF_TARGETS]];
			for (uint64_t e = r->begin; e < r->begin + r->count; e++)
				__builtin_prefetch(&mark[src[e]], 1);
		}
		const struct in_row *r = &in[queue[head]];
		for (uint64_t e = r->begin; e < r->begin + r->count; e++) {
			uint32_t v = src[e];
			if (!(mark[v] & BACKWARD)) {
				mark[v] |= BACKWARD;
				queue[tail++] = v;
			}
		}
	}
	return tail;
}

/* Passes of the backward search (reach_back) before it falls back to reversed rows. */
#define BACK_PASSES 16

/* Marks BACKWARD the nodes of the forward set F (marked FORWARD: fwd[0..forward)) that reach
 * start, and lists them in members; returns RN_OK and their count, or RN_ENOMEM.  Without
 * F's edges reversed: a node of F reaches start when one of its successors does, so passes
 * over the nodes of F not yet marked, from the highest index down, mark those with a marked
 * successor until a pass marks none.  Referral edges mostly run from a lower index to a
 * higher, so a chain of them is marked in one pass; on the 1e7 benchmark graph 11 passes on
 * two threads, 0.55 s timed before the bits it looks up at random had a bitmap of their own
 * (24 % fewer perf samples since, so about 0.42 s), against 1.0 s to reverse F's rows and
 * search them.  A node's mark
 * may be read by the other thread while it is set (relaxed atomics): the set found does not
 * depend on it, only the pass it is found in.  A long path against the index order would
 * need a pass per node: after BACK_PASSES passes the search goes on over the reversed rows
 * of F from what it has found. */
static int reach_back(const rn_graph *g, uint8_t *mark, uint32_t start, const uint32_t *fwd,
		      uint32_t forward, uint32_t *members, uint32_t *count)
{
	const uint64_t *off = g->offsets;
	const uint32_t *tgt = g->targets;
	int64_t n = (int64_t)g->n;
	/* The successors' BACKWARD bits are looked up at random, so they are kept apart in a
	 * bitmap (1.2 MB at 1e7, which stays in cache where the marks, 10 MB, do not). */
	uint64_t *back = rn_calloc_dense(((size_t)n + 63) / 64, sizeof *back);
	if (!back)
		return RN_ENOMEM;
	mark[start] |= BACKWARD;
	back[start / 64] |= UINT64_C(1) << (start % 64);
	uint32_t added = 1;
	for (int pass = 0; added > 0 && pass < BACK_PASSES; pass++) {
		added = 0;
#pragma omp parallel for schedule(dynamic, 65536) reduction(+ : added)
		for (int64_t k = 0; k < n; k++) {
			uint32_t u = (uint32_t)(n - 1 - k);
			if (__atomic_load_n(&mark[u], __ATOMIC_RELAXED) != FORWARD)
				continue;
			for (uint64_t e = off[u]; e < off[u + 1]; e++) {
				uint32_t v = tgt[e];
				if (__atomic_load_n(&back[v / 64], __ATOMIC_RELAXED) >> (v % 64) &
				    1) {
					__atomic_store_n(&mark[u], (uint8_t)(FORWARD | BACKWARD),
							 __ATOMIC_RELAXED);
					__atomic_fetch_or(&back[u / 64], UINT64_C(1) << (u % 64),
							  __ATOMIC_RELAXED);
					added++;
					break;
				}
			}
		}
	}
	rn_free(back);
	uint32_t found = 0;
	for (int64_t v = 0; v < n; v++)
		if (mark[v] & BACKWARD)
			members[found++] = (uint32_t)v;
	if (added > 0) {
		struct in_row *in = NULL;
		uint32_t *in_src = NULL;
		if (reverse_forward(g, mark, fwd, forward, &in, &in_src) != RN_OK)
			return RN_ENOMEM;
		found = bfs_back(in, in_src, mark, members, found);
		rn_free(in);
		rn_free(in_src);
	}
	*count = found;
	return RN_OK;
}

/* Emits C while idx waits as one bit per node.  Solving C is where PageRank reaches its peak
 * memory, and at that point idx holds only 0 (not visited) and DONE: 4 bytes per node less
 * (40 MB at 1e7), for one pass to pack and one to unpack. */
static int emit_packed(const rn_graph *g, uint32_t **idx_io, emit_fn emit, void *ctx,
		       uint32_t *members, uint32_t count, rn_error *err)
{
	uint32_t n = g->n, *idx = *idx_io;
	uint64_t words = ((uint64_t)n + 63) / 64;
	uint64_t *done = rn_calloc(words, sizeof *done);
	if (!done)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
	for (uint32_t v = 0; v < n; v++) {
		if (idx[v] != 0 && idx[v] != DONE) {
			rn_free(done);
			return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
					    "component search left node %u open", v);
		}
		done[v / 64] |= (uint64_t)(idx[v] == DONE) << (v % 64);
	}
	rn_free(idx);
	*idx_io = NULL;
	int rc = emit(ctx, members, count, 0);
	idx = rn_malloc_array(n, sizeof *idx);
	if (idx) {
		for (uint32_t v = 0; v < n; v++)
			idx[v] = done[v / 64] >> (v % 64) & 1 ? DONE : 0;
		*idx_io = idx;
	} else if (rc == RN_OK) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
	}
	rn_free(done);
	return rc;
}

/* The end of a split: C's members marked complete, Tarjan over F \ C from roots (ascending;
 * freed once searched, the array is the caller's no more), then C as one component. */
static int emit_split(const rn_graph *g, uint32_t **idx_io, emit_fn emit, void *ctx,
		      uint32_t *roots, uint32_t root_count, uint32_t *members, uint32_t count,
		      rn_error *err)
{
	for (uint32_t i = 0; i < count; i++)
		(*idx_io)[members[i]] = DONE;
	int rc = tarjan(g, *idx_io, roots, root_count, emit, ctx, NULL, err);
	rn_free(roots);
	return rc == RN_OK ? emit_packed(g, idx_io, emit, ctx, members, count, err) : rc;
}

/* The remaining node (idx 0) with the largest in-degree times out-degree, UINT32_MAX if none. */
static uint32_t split_pivot(const rn_graph *g, const uint32_t *idx)
{
	uint32_t pivot = UINT32_MAX;
	uint64_t best = 0;
	for (uint32_t v = 0; v < g->n; v++) {
		uint64_t score = (g->offsets[v + 1] - g->offsets[v]) * (uint64_t)g->in_degree[v];
		if (idx[v] == 0 && (pivot == UINT32_MAX || score > best)) {
			pivot = v;
			best = score;
		}
	}
	return pivot;
}

/* Passes of emit_closed's trimming at most (a pass that takes no node ends it sooner). */
#define TRIM_PASSES 64

/* For an emit that takes a set closed under successors (split_giant's `closed`): F's nodes
 * that no cycle leads into, each emitted alone once its successors are (it is then final at
 * once), then the rest of F as one component.  Passes from the highest index down take a
 * node whose successors are all taken, so a chain running up the index order goes in one
 * pass; a node left waits on the successor that stopped it, and is looked at again only
 * once that one is taken.  What is left is listed at the end of fwd, ascending.
 *
 * Why trim at all, when the nodes of F \ C would settle in the sweeps anyway: the mass
 * correction (solve_local) rescales every row of the component, and rows that are exact
 * already are then put off by as much each sweep.  On a random graph of 3e4 nodes, 144 of
 * them left among C's 26591 took the sweeps from 39 to 44, as many as without the
 * correction. */
static int emit_closed(const rn_graph *g, uint32_t **idx_io, emit_fn emit, void *ctx, uint32_t *fwd,
		       uint32_t forward, rn_error *err)
{
	const uint64_t *off = g->offsets;
	const uint32_t *tgt = g->targets;
	uint32_t *idx = *idx_io;
	uint64_t *taken = rn_calloc_dense(((size_t)g->n + 63) / 64, sizeof *taken);
	uint32_t *wait = rn_malloc_array(forward, sizeof *wait);
	if (!taken || !wait) {
		rn_free(taken);
		rn_free(wait);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", g->n);
	}
#define TAKEN(v) (taken[(v) / 64] >> ((v) % 64) & 1)
	int rc = RN_OK;
	/* Nodes without successors first, so that no node waits on one of them. */
	for (uint32_t k = 0; k < forward && rc == RN_OK; k++) {
		uint32_t v = fwd[k];
		if (off[v + 1] == off[v]) {
			taken[v / 64] |= UINT64_C(1) << (v % 64);
			idx[v] = DONE;
			rc = emit(ctx, &v, 1, 0);
		}
	}
	uint32_t first = 0, took = 1;
	for (int pass = 0; pass < TRIM_PASSES && took > 0 && rc == RN_OK; pass++) {
		uint32_t keep = forward;
		took = 0;
		for (uint32_t k = forward; k-- > first && rc == RN_OK;) {
			uint32_t v = fwd[k];
			if (pass == 0 && TAKEN(v))
				continue;
			if (pass > 0 && !TAKEN(wait[k])) {
				keep--;
				fwd[keep] = v;
				wait[keep] = wait[k];
				continue;
			}
			uint64_t e = off[v];
			while (e < off[v + 1] && TAKEN(tgt[e]))
				e++;
			if (e < off[v + 1]) {
				keep--;
				fwd[keep] = v;
				wait[keep] = tgt[e];
				continue;
			}
			taken[v / 64] |= UINT64_C(1) << (v % 64);
			idx[v] = DONE;
			took++;
			rc = emit(ctx, &v, 1, 0);
		}
		first = keep;
	}
#undef TAKEN
	rn_free(taken);
	rn_free(wait);
	uint32_t left = forward - first;
	for (uint32_t k = first; k < forward; k++)
		idx[fwd[k]] = DONE;
	return rc == RN_OK && left ? emit_packed(g, idx_io, emit, ctx, fwd + first, left, err) : rc;
}

/* Takes the largest strongly connected component out of Tarjan's hands.  On a graph whose
 * bulk is one giant component the depth-first search pays a dependent cache miss or two per
 * node (3.1 s of the 1e7 benchmark graph's PageRank); breadth-first searches run at memory
 * throughput instead.  Forward-backward split (Fleischer, Hendrickson & Pinar 2000): the
 * component of a pivot p is F ∩ B, where F is what p reaches and B what reaches p.  B is
 * searched inside F only (over F's edges reversed), since a path into p from a node of F
 * stays in F.  Then, in dependency order:
 *   1. F \ C by Tarjan: closed under successors (a node of F with a successor in C would
 *      reach p and be in C), so its components are emitted before C;
 *   2. C, emitted as one component;
 *   3. the caller's Tarjan over the rest, which sees F as completed.
 * The pivot is the remaining node with the largest in-degree times out-degree, which on such
 * graphs lies in the giant component; if it does not, the split is still correct, only less
 * useful.  *idx_io: as tarjan's idx, 0 for the nodes left (`rest` of them); the array is
 * replaced while C is emitted (emit_packed), and NULL if that fails.  emit as for tarjan.
 *
 * `closed`: emit takes a set closed under successors in place of C, as the solve does when
 * every c_jk <= s < 1 (PageRank's in-weights).  Then F itself is emitted (emit_closed) and
 * the backward search and Tarjan over F \ C are skipped: F's fixed point is the same, and a
 * part of it that is not strongly connected converges under the sweeps at least as fast as
 * power iteration (spectral radius at most s, as for Jacobi: Stein-Rosenberg), and usually in
 * as few sweeps as C alone.  On the 1e7 benchmark graph: the backward search and Tarjan over F \ C
 * took about 0.9 s; the trimming passes take 0.2-0.3 s, 13,111 nodes of F \ C (small cycles and
 * what lies between them) are left with C's 8,609,798, and C's 25 sweeps stay 25. */
static int split_giant(const rn_graph *g, uint32_t **idx_io, uint32_t rest, bool closed,
		       emit_fn emit, void *ctx, rn_error *err)
{
	uint32_t n = g->n, *idx = *idx_io, pivot = split_pivot(g, idx);
	if (pivot == UINT32_MAX)
		return RN_OK;
	uint8_t *mark = rn_calloc_dense(n, sizeof *mark);
	uint32_t *fwd = rn_malloc_array(rest, sizeof *fwd);
	uint32_t *members = NULL, count = 0;
	int rc = RN_OK;
	if (!mark || !fwd)
		goto nomem;
	uint32_t forward = reach_forward(g, mark, pivot, fwd);
	if (closed) {
		rn_free(mark);
		mark = NULL;
		rc = emit_closed(g, idx_io, emit, ctx, fwd, forward, err);
		goto out;
	}
	members = rn_malloc_array(forward, sizeof *members);
	if (!members || reach_back(g, mark, pivot, fwd, forward, members, &count) != RN_OK)
		goto nomem;
	if (count < forward) { /* members stays through C's solve, the peak */
		uint32_t *fit = rn_realloc_array(members, count ? count : 1, sizeof *members);
		members = fit ? fit : members;
	}
	/* F \ C in ascending order: Tarjan then tests its roots' idx in sequence (a sort when
	 * it is small, else a scan of the marks). */
	uint32_t kept = 0;
	if ((uint64_t)(forward - count) * 16 < n) {
		for (uint32_t k = 0; k < forward; k++)
			if (mark[fwd[k]] == FORWARD)
				fwd[kept++] = fwd[k];
		qsort(fwd, kept, sizeof *fwd, cmp_u32);
	} else {
		for (uint32_t v = 0; v < n; v++)
			if (mark[v] == FORWARD)
				fwd[kept++] = v;
	}
	rn_free(mark);
	mark = NULL;
	rc = emit_split(g, idx_io, emit, ctx, fwd, kept, members, count, err);
	fwd = NULL;
	goto out;
nomem:
	rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
out:
	rn_free(mark);
	rn_free(fwd);
	rn_free(members);
	return rc;
}

/* Pops the level order[begin..end) and appends the nodes whose last parent it held.  Large
 * levels are split over threads: the decrements are atomic and new nodes are appended in
 * batches, so the order inside the next level depends on the schedule, but its set does not,
 * and nothing computed from it depends on the order inside a level. */
static uint32_t kahn_level(const rn_graph *g, uint32_t *pending, uint32_t *order, uint32_t begin,
			   uint32_t end, uint32_t tail)
{
	const uint64_t *off = g->offsets;
	const uint32_t *tgt = g->targets;
	if (end - begin < 2 * LEVEL_BLOCK || omp_get_max_threads() == 1) {
		for (uint32_t head = begin; head < end; head++) {
			/* Software prefetch along the queue (see solve_range). */
			if (head + PF_ROW < end)
				__builtin_prefetch(&off[order[head + PF_ROW]]);
			if (head + PF_EDGES < end)
				__builtin_prefetch(&tgt[off[order[head + PF_EDGES]]]);
			if (head + PF_TARGETS < end) {
				uint32_t p = order[head + PF_TARGETS];
				for (uint64_t e = off[p]; e < off[p + 1]; e++)
					__builtin_prefetch(&pending[tgt[e]], 1);
			}
			uint32_t u = order[head];
			for (uint64_t e = off[u]; e < off[u + 1]; e++) {
				uint32_t v = tgt[e];
				if (--pending[v] == 0)
					order[tail++] = v;
			}
		}
		return tail;
	}
	int64_t blocks = (int64_t)((end - begin + LEVEL_BLOCK - 1) / LEVEL_BLOCK);
	uint32_t shared_tail = tail;
#pragma omp parallel
	{
		/* New nodes are staged in a small local batch and appended with one atomic
		 * reservation per batch: an atomic increment per node would bounce the tail's
		 * cache line between cores on every discovery. */
		uint32_t batch[KAHN_BATCH], staged = 0, slot;
#pragma omp for schedule(dynamic, 1)
		for (int64_t k = 0; k < blocks; k++) {
			uint32_t lo = begin + (uint32_t)k * LEVEL_BLOCK;
			uint32_t hi = end - lo > LEVEL_BLOCK ? lo + LEVEL_BLOCK : end;
			for (uint32_t head = lo; head < hi; head++) {
				if (head + PF_ROW < hi)
					__builtin_prefetch(&off[order[head + PF_ROW]]);
				if (head + PF_EDGES < hi)
					__builtin_prefetch(&tgt[off[order[head + PF_EDGES]]]);
				if (head + PF_TARGETS < hi) {
					uint32_t p = order[head + PF_TARGETS];
					for (uint64_t e = off[p]; e < off[p + 1]; e++)
						__builtin_prefetch(&pending[tgt[e]], 1);
				}
				uint32_t u = order[head];
				for (uint64_t e = off[u]; e < off[u + 1]; e++) {
					uint32_t v = tgt[e], left;
#pragma omp atomic capture
					left = --pending[v];
					if (left != 0)
						continue;
					batch[staged++] = v;
					if (staged == KAHN_BATCH) {
#pragma omp atomic capture
						{
							slot = shared_tail;
							shared_tail += staged;
						}
						memcpy(order + slot, batch, staged * sizeof *batch);
						staged = 0;
					}
				}
			}
		}
		if (staged > 0) {
#pragma omp atomic capture
			{
				slot = shared_tail;
				shared_tail += staged;
			}
			memcpy(order + slot, batch, staged * sizeof *batch);
		}
	}
	return shared_tail;
}

/* Kahn's topological sort (Kahn 1962) from the customers nobody referred: order receives
 * every node that no cycle leads into, parents before children; *count says how many.  The
 * rest (cycles and everything downstream of one) is closed under successors.  Unlike the
 * depth-first search, the decrements of one row are independent loads, so the pass runs at
 * memory throughput rather than latency: measured about 3x faster than Tarjan on 1e6
 * shuffled ids. */
static int kahn_order(const rn_graph *g, uint32_t *pending, uint32_t *order, uint32_t *count,
		      uint32_t **level_end, uint32_t *levels)
{
	uint32_t n = g->n, tail = 0;
	size_t cap = 0;
	*level_end = NULL;
	*levels = 0;
	memcpy(pending, g->in_degree, (size_t)n * sizeof *pending);
	for (uint32_t v = 0; v < n; v++)
		if (pending[v] == 0)
			order[tail++] = v;
	/* Level by level: the nodes whose last parent sits in level L form level L + 1 (their
	 * longest path from a root), so no two nodes of a level are joined by an edge. */
	uint32_t begin = 0;
	while (begin < tail) {
		if (rn_grow((void **)level_end, &cap, (size_t)*levels + 1, sizeof **level_end) !=
		    RN_OK)
			return RN_ENOMEM;
		uint32_t end = tail;
		(*level_end)[(*levels)++] = end;
		tail = kahn_level(g, pending, order, begin, end, tail);
		begin = end;
	}
	*count = tail;
	return RN_OK;
}

/* Evaluates the rows of order[0..count) from last to first: children before parents, each
 * row once.  Bound: per node one random offsets read and one random row, per edge one random
 * read of y.  Visiting nodes in a data-dependent order defeats the hardware prefetcher, and
 * the loads of one row are few, so the loop would run at DRAM latency; software prefetches
 * PF_* rows ahead (offsets first, then the row, then the y values it will read) keep several
 * misses in flight.  Measured at 1e6 shuffled nodes: see docs/ALGORITHMS.md. */
static void solve_range(struct solve_ctx *sc, const uint32_t *order, uint32_t begin, uint32_t end)
{
	const uint64_t *off = sc->g->offsets;
	const uint32_t *tgt = sc->g->targets;
	const float *w = sc->g->weights;
	for (uint32_t i = end; i-- > begin;) {
		if (i >= begin + PF_ROW)
			__builtin_prefetch(&off[order[i - PF_ROW]]);
		if (i >= begin + PF_EDGES) {
			uint32_t p = order[i - PF_EDGES];
			uint64_t e0 = off[p];
			__builtin_prefetch(&tgt[e0]);
			__builtin_prefetch(&w[e0]);
			__builtin_prefetch(&sc->x[p], 1);
			if (sc->div) {
				if (!sc->alias)
					__builtin_prefetch(&sc->y[p], 1);
				__builtin_prefetch(&sc->div[p]);
			}
		}
		if (i >= begin + PF_TARGETS) {
			uint32_t p = order[i - PF_TARGETS];
			for (uint64_t e = off[p]; e < off[p + 1]; e++)
				__builtin_prefetch(&sc->y[tgt[e]]);
		}
		uint32_t v = order[i];
		put(sc, v, row_value(sc, v));
	}
}

/* Levels from the deepest up; the rows of one level are independent, so a large level is
 * split over threads in fixed blocks.  Every row is still summed by one thread in CSR
 * order, so the result does not depend on the thread count. */
static void solve_acyclic(struct solve_ctx *sc, const uint32_t *order, const uint32_t *level_end,
			  uint32_t levels)
{
	for (uint32_t l = levels; l-- > 0;) {
		uint32_t begin = l ? level_end[l - 1] : 0, end = level_end[l];
		if (end - begin < 2 * LEVEL_BLOCK) {
			solve_range(sc, order, begin, end);
			continue;
		}
		int64_t blocks = (int64_t)((end - begin + LEVEL_BLOCK - 1) / LEVEL_BLOCK);
#pragma omp parallel for schedule(dynamic, 1)
		for (int64_t k = 0; k < blocks; k++) {
			uint32_t lo = begin + (uint32_t)k * LEVEL_BLOCK;
			uint32_t hi = end - lo > LEVEL_BLOCK ? lo + LEVEL_BLOCK : end;
			solve_range(sc, order, lo, hi);
		}
	}
}

/* Emits the strongly connected components of the nodes outside order[0..acyclic) (a set
 * closed under successors) in reverse topological order: the component of a giant pivot
 * first split off (split_giant) when they are at least half the graph, the rest by Tarjan. */
/* split_giant for a caller that has the components already (rn_scc_labels, whose labels come
 * in dependency order: a component reaches only components with smaller labels).  C is the
 * pivot's component, as split_giant would find it; the nodes left with smaller labels are
 * what C reaches (F \ C) and what reaches neither, and Tarjan over them, as roots in
 * ascending order, never enters C.  With labels from rn_scc on the same graph those nodes are
 * exactly F \ C, visited in the same order: the same components, the same bits, without the
 * three breadth-first passes (1.5 s of the 1e7 benchmark graph's PageRank). */
static int split_labelled(const rn_graph *g, uint32_t **idx_io, const rn_scc_labels *scc,
			  emit_fn emit, void *ctx, rn_error *err)
{
	uint32_t n = g->n, *idx = *idx_io, pivot = split_pivot(g, idx);
	if (pivot == UINT32_MAX)
		return RN_OK;
	uint32_t giant = scc->comp[pivot], count = scc->sizes[giant], roots = 0;
	for (uint32_t v = 0; v < n; v++)
		roots += idx[v] == 0 && scc->comp[v] < giant;
	uint32_t *root = rn_malloc_array(roots ? roots : 1, sizeof *root);
	uint32_t *members = rn_malloc_array(count, sizeof *members);
	int rc = RN_OK;
	if (!root || !members) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
		goto out;
	}
	for (uint32_t v = 0, r = 0, m = 0; v < n; v++) {
		if (idx[v] == 0 && scc->comp[v] < giant)
			root[r++] = v;
		else if (scc->comp[v] == giant)
			members[m++] = v;
	}
	rc = emit_split(g, idx_io, emit, ctx, root, roots, members, count, err);
	root = NULL;
out:
	rn_free(root);
	rn_free(members);
	return rc;
}

static int walk_cyclic(const rn_graph *g, const uint32_t *order, uint32_t acyclic,
		       const rn_scc_labels *scc, bool closed, emit_fn emit, void *ctx,
		       rn_error *err)
{
	uint32_t n = g->n, rest = n - acyclic;
	if (rest == 0)
		return RN_OK;
	uint32_t *idx = rn_calloc_dense(n, sizeof *idx);
	if (!idx)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
	for (uint32_t i = 0; i < acyclic; i++)
		idx[order[i]] = DONE;
	int rc = RN_OK;
	if (rest >= SPLIT_MIN && rest >= n / 2)
		rc = scc ? split_labelled(g, &idx, scc, emit, ctx, err)
			 : split_giant(g, &idx, rest, closed, emit, ctx, err);
	if (rc == RN_OK)
		rc = tarjan(g, idx, NULL, 0, emit, ctx, NULL, err);
	rn_free(idx);
	return rc;
}

int rn_solve_linear(const rn_graph *g, const double *b, double s, const double *div, double tol,
		    uint32_t max_sweeps, double *x, rn_solve_stats *stats, rn_error *err)
{
	return rn_solve_linear_scc(g, NULL, b, s, div, tol, max_sweeps, x, stats, err);
}

static int solve(const rn_graph *g, const rn_scc_labels *scc, const double *b, double s,
		 const double *div, double tol, bool by_size, uint32_t max_sweeps, double *x,
		 rn_solve_stats *stats, rn_error *err)
{
	struct solve_ctx sc = {.g = g,
			       .b = b,
			       .div = div,
			       .s = s,
			       .tol = tol,
			       .by_size = by_size,
			       .max_sweeps = max_sweeps ? max_sweeps : 1,
			       .x = x,
			       .y = x,
			       .err = err};
	if (stats)
		*stats = sc.stats;
	if (!(s >= 0.0) || !isfinite(s) || !(tol > 0.0))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "linear solve needs a finite scale >= 0 and a tolerance > 0");
	uint32_t n = g->n;
	if (n == 0)
		return RN_OK;
	uint32_t *pending = rn_malloc_array(n, sizeof *pending);
	uint32_t *order = rn_malloc_array(n, sizeof *order);
	if (div) {
		/* y can share x's array (put) when no node with div = 0 has an in-edge, as with
		 * PageRank's in-weights; else it needs its own. */
		sc.alias = true;
		for (uint32_t v = 0; v < n && sc.alias; v++)
			sc.alias = div[v] > 0.0 || g->in_degree[v] == 0;
		if (!sc.alias) {
			sc.y = rn_malloc_array(n, sizeof *sc.y);
			want_huge_pages(sc.y, (size_t)n * sizeof *sc.y);
		}
	}
	want_huge_pages(pending, (size_t)n * sizeof *pending);
	want_huge_pages(order, (size_t)n * sizeof *order);
	int rc = RN_OK;
	if (!pending || !order || !sc.y) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
		goto out;
	}
	uint32_t acyclic = 0, levels = 0, *level_end = NULL;
	rc = kahn_order(g, pending, order, &acyclic, &level_end, &levels);
	rn_free(pending);
	pending = NULL;
	if (rc != RN_OK) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	/* Only the Kahn part stays in order: the rest goes before the cyclic part's solve, the
	 * peak (37 MB on the 1e7 benchmark graph, where the Kahn part is 7 % of the nodes). */
	if (acyclic < n) {
		uint32_t *kept = rn_realloc_array(order, acyclic ? acyclic : 1, sizeof *order);
		order = kept ? kept : order;
	}
	/* Cycles and what lies below them first: they never depend on the Kahn part.  For
	 * PageRank-like solves the giant component goes with what it reaches (split_giant). */
	bool closed = div && div == g->in_weight && s < 1.0;
	rc = walk_cyclic(g, order, acyclic, scc, closed, solve_emit, &sc, err);
	/* Then the Kahn order backwards: children before parents, each row evaluated once. */
	if (rc == RN_OK)
		solve_acyclic(&sc, order, level_end, levels);
	sc.stats.levels = levels;
	rn_free(level_end);
	if (rc != RN_OK)
		goto out;
	sc.stats.components += acyclic;
	sc.stats.row_updates += acyclic;
	if (sc.alias) /* the slots hold y = x / div: back to x */
#pragma omp parallel for schedule(static)
		for (int64_t v = 0; v < (int64_t)n; v++)
			if (div[v] > 0.0)
				x[v] *= div[v];
out:
	rn_free(pending);
	rn_free(order);
	if (div && !sc.alias)
		rn_free(sc.y);
	rn_free(sc.local_of);
	rn_free(sc.codes);
	if (stats)
		*stats = sc.stats;
	return rc;
}

int rn_solve_linear_scc(const rn_graph *g, const rn_scc_labels *scc, const double *b, double s,
			const double *div, double tol, uint32_t max_sweeps, double *x,
			rn_solve_stats *stats, rn_error *err)
{
	return solve(g, scc, b, s, div, tol, false, max_sweeps, x, stats, err);
}

int rn_solve_linear_mass(const rn_graph *g, const rn_scc_labels *scc, const double *b, double s,
			 const double *div, double tol, uint32_t max_sweeps, double *x,
			 rn_solve_stats *stats, rn_error *err)
{
	return solve(g, scc, b, s, div, tol, true, max_sweeps, x, stats, err);
}

struct scc_ctx {
	uint32_t *comp;
	uint32_t *sizes;
	uint32_t next; /* label of the next component */
};

static int scc_emit(void *ctx, uint32_t *members, uint32_t count, uint32_t label)
{
	struct scc_ctx *c = ctx;
	(void)label;
	for (uint32_t i = 0; i < count; i++)
		c->comp[members[i]] = c->next;
	if (c->sizes)
		c->sizes[c->next] = count;
	c->next++;
	return RN_OK;
}

/* The same walk as the solver's: Kahn's pass takes every node no cycle leads into (each its
 * own component), the rest goes through walk_cyclic and is labelled first; the Kahn nodes
 * then take the following labels, deepest level first and by index within a level (no edge
 * joins two nodes of a level), so that the labels do not depend on the schedule of the
 * parallel Kahn levels. */
int rn_scc(const rn_graph *g, uint32_t *comp, uint32_t *count, uint32_t **sizes, rn_error *err)
{
	uint32_t n = g->n;
	struct scc_ctx ctx = {comp, NULL, 0};
	if (sizes)
		*sizes = NULL;
	if (count)
		*count = 0;
	if (n == 0)
		return RN_OK;
	uint32_t *pending = rn_malloc_array(n, sizeof *pending);
	uint32_t *order = rn_malloc_array(n, sizeof *order);
	uint32_t acyclic = 0, levels = 0, *level_end = NULL;
	int rc = RN_OK;
	if (sizes && !(ctx.sizes = rn_malloc_array(n, sizeof *ctx.sizes)))
		goto nomem;
	if (!pending || !order || kahn_order(g, pending, order, &acyclic, &level_end, &levels))
		goto nomem;
	for (uint32_t i = 0; i < acyclic; i++)
		comp[order[i]] = UINT32_MAX;
	rc = walk_cyclic(g, order, acyclic, NULL, false, scc_emit, &ctx, err);
	if (rc != RN_OK)
		goto out;
	/* The Kahn nodes' levels (pending is free now), then their labels. */
	for (uint32_t l = 0, i = 0; l < levels; l++)
		for (; i < level_end[l]; i++)
			pending[order[i]] = l;
	uint32_t *at = rn_malloc_array((size_t)levels + 1, sizeof *at); /* next label per level */
	if (!at)
		goto nomem;
	for (uint32_t l = levels, next = ctx.next; l-- > 0;) {
		at[l] = next;
		next += level_end[l] - (l ? level_end[l - 1] : 0);
	}
	for (uint32_t v = 0; v < n; v++) {
		if (comp[v] != UINT32_MAX)
			continue;
		comp[v] = at[pending[v]]++;
		if (ctx.sizes)
			ctx.sizes[comp[v]] = 1;
	}
	ctx.next += acyclic;
	rn_free(at);
	goto out;
nomem:
	rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", n);
out:
	rn_free(pending);
	rn_free(order);
	rn_free(level_end);
	if (rc != RN_OK) {
		rn_free(ctx.sizes);
		return rc;
	}
	if (sizes) {
		uint32_t *shrunk = rn_realloc_array(ctx.sizes, ctx.next, sizeof *shrunk);
		*sizes = shrunk ? shrunk : ctx.sizes;
	}
	if (count)
		*count = ctx.next;
	return RN_OK;
}

int rn_scc_labels_compute(const rn_graph *g, rn_scc_labels *out, rn_error *err)
{
	memset(out, 0, sizeof *out);
	out->comp = rn_malloc_array(g->n ? g->n : 1, sizeof *out->comp);
	if (!out->comp)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %u nodes", g->n);
	int rc = rn_scc(g, out->comp, &out->count, &out->sizes, err);
	if (rc != RN_OK)
		rn_scc_labels_free(out);
	return rc;
}

void rn_scc_labels_free(rn_scc_labels *labels)
{
	rn_free(labels->comp);
	rn_free(labels->sizes);
	memset(labels, 0, sizeof *labels);
}
