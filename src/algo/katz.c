/*
 * katz.c - Katz centrality on the u -> v orientation and the spectral-radius bound that
 * decides which decay alpha is admissible.
 *
 * x = beta 1 + alpha A x (Katz 1953, eq. 2 with beta = 1) converges iff alpha * lambda_max < 1,
 * lambda_max the spectral radius of the weighted adjacency matrix A.  lambda_max of a
 * nonnegative matrix is the largest spectral radius of its strongly connected components
 * (the condensation is block triangular), so an acyclic graph has lambda_max = 0 and accepts
 * any alpha; for the cyclic components we run power iteration on B = A_C + I (the shift makes
 * each irreducible block primitive, so the iteration does not oscillate on even cycles) and
 * keep the Collatz-Wielandt bounds, valid for any positive vector x:
 *     min_u (Bx)_u / x_u <= rho(B) <= max_u (Bx)_u / x_u   (per irreducible block),
 * with rho(A_C) = rho(B) - 1.  Rejecting alpha >= 1/upper is conservative: every accepted
 * alpha converges.
 */
#include <refnet/algo.h>

#include <math.h>
#include <string.h>

/* Most products spent on deciding an alpha (katz_bounds). */
#define DECIDE_PRODUCTS 300

/* How long spectral_bounds iterates. */
struct bounds_plan {
	uint32_t max_products; /* at most */
	uint32_t refine;       /* at least, unless the bounds meet */
	double rel_gap;	       /* the bounds meet when upper - lower <= rel_gap * upper */
	double decide;	       /* > 0: lambda_max is to be placed below or at/above it */
};

/* What it finds: lower <= lambda_max <= upper, and `chosen`, the upper bound at the first
 * product where the bounds meet or place lambda_max on one side of decide (at once when
 * nothing is to be decided), else the last upper bound.  chosen depends on the graph and
 * decide only, not on refine, so a run that goes on refining for a report chooses what a
 * shorter one chooses. */
struct bounds {
	double lower, upper, chosen;
};

/* The edges inside the cyclic components, for the products of spectral_bounds: the c nodes
 * of cyclic components get local indices in ascending order, rows come in blocks of `rows`,
 * and the edges of row block R into column block C form group R * blocks + C, each in row
 * order (and within a row in CSR order).  A product then gathers from one block of x (4 MB)
 * at a time, which stays in cache, where the graph's rows gather from all of x: on the 1e7
 * benchmark graph (giant component of 8.6e6 nodes) 0.115 s a product against 0.24-0.26 s,
 * for about 1 s of building. */
#define CYC_ROWS (1u << 19)
#define CYC_MAX_BLOCKS 1024u
static uint32_t cyc_rows_max = CYC_ROWS;

void rn_spectral_block_rows(uint32_t rows)
{
	cyc_rows_max = rows ? rows : CYC_ROWS;
}

struct cyc_matrix {
	uint32_t count, blocks, rows;
	uint64_t *group;     /* blocks^2 + 1 group starts */
	uint32_t *row, *col; /* local indices, per edge */
	float *w;
	uint32_t *label; /* component of each local row */
};

static void cyc_free(struct cyc_matrix *cm)
{
	rn_free(cm->group);
	rn_free(cm->row);
	rn_free(cm->col);
	rn_free(cm->w);
	rn_free(cm->label);
}

/* Counts (fill = false) or places (fill = true) the edges of row block r. */
static void cyc_rows(const rn_graph *g, const uint32_t *comp, const uint32_t *loc,
		     const uint32_t *node, struct cyc_matrix *cm, uint32_t r, uint64_t *cursor,
		     bool fill)
{
	uint32_t lo = r * cm->rows, hi = cm->count - lo > cm->rows ? lo + cm->rows : cm->count;
	for (uint32_t i = lo; i < hi; i++) {
		uint32_t u = node[i];
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
			uint32_t t = g->targets[e];
			if (comp[t] != comp[u])
				continue;
			uint64_t k = cursor[loc[t] / cm->rows]++;
			if (fill) {
				cm->row[k] = i;
				cm->col[k] = loc[t];
				cm->w[k] = g->weights[e];
			}
		}
	}
}

static int cyc_build(const rn_graph *g, const rn_scc_labels *scc, uint32_t count,
		     struct cyc_matrix *cm)
{
	uint32_t rows = count < cyc_rows_max ? count : cyc_rows_max;
	if ((count - 1) / rows + 1 > CYC_MAX_BLOCKS)
		rows = (count - 1) / CYC_MAX_BLOCKS + 1;
	uint32_t blocks = (count - 1) / rows + 1;
	uint64_t groups = (uint64_t)blocks * blocks;
	*cm = (struct cyc_matrix){.count = count, .blocks = blocks, .rows = rows};
	uint32_t n = g->n, *loc = rn_malloc_array(n, sizeof *loc);
	uint32_t *node = rn_malloc_array(count, sizeof *node);
	cm->label = rn_malloc_array(count, sizeof *cm->label);
	cm->group = rn_calloc(groups + 1, sizeof *cm->group);
	uint64_t *cursor = rn_malloc_array(groups, sizeof *cursor);
	int rc = RN_ENOMEM;
	if (!loc || !node || !cm->label || !cm->group || !cursor)
		goto out;
	for (uint32_t v = 0, i = 0; v < n; v++) {
		loc[v] = scc->sizes[scc->comp[v]] > 1 ? i : UINT32_MAX;
		if (loc[v] != UINT32_MAX) {
			node[i] = v;
			cm->label[i++] = scc->comp[v];
		}
	}
	/* Row blocks own their groups (row-major), so each is counted and filled by one thread
	 * in row order: the layout does not depend on the thread count. */
#pragma omp parallel for schedule(dynamic, 1)
	for (int64_t r = 0; r < (int64_t)blocks; r++)
		cyc_rows(g, scc->comp, loc, node, cm, (uint32_t)r, cm->group + 1 + r * blocks,
			 false);
	for (uint64_t k = 0; k < groups; k++)
		cm->group[k + 1] += cm->group[k];
	uint64_t m = cm->group[groups];
	memcpy(cursor, cm->group, groups * sizeof *cursor);
	cm->row = rn_malloc_array(m ? m : 1, sizeof *cm->row);
	cm->col = rn_malloc_array(m ? m : 1, sizeof *cm->col);
	cm->w = rn_malloc_array(m ? m : 1, sizeof *cm->w);
	if (!cm->row || !cm->col || !cm->w)
		goto out;
#pragma omp parallel for schedule(dynamic, 1)
	for (int64_t r = 0; r < (int64_t)blocks; r++)
		cyc_rows(g, scc->comp, loc, node, cm, (uint32_t)r, cursor + r * blocks, true);
	rc = RN_OK;
out:
	rn_free(loc);
	rn_free(node);
	rn_free(cursor);
	return rc;
}

/* y = (A_C + I) x over the local rows, 0 where x is 0.  Each row is summed by one thread,
 * x_i first and then its edges in CSR order (the groups of its block in column order), as a
 * pass over the graph's rows would: the same bits on any number of threads. */
static void cyc_product(const struct cyc_matrix *cm, const double *x, double *y)
{
	uint32_t blocks = cm->blocks;
#pragma omp parallel for schedule(dynamic, 1)
	for (int64_t r = 0; r < (int64_t)blocks; r++) {
		uint32_t lo = (uint32_t)r * cm->rows;
		uint32_t hi = cm->count - lo > cm->rows ? lo + cm->rows : cm->count;
		memcpy(y + lo, x + lo, (size_t)(hi - lo) * sizeof *y);
		for (uint64_t grp = (uint64_t)r * blocks; grp < (uint64_t)(r + 1) * blocks; grp++)
			for (uint64_t e = cm->group[grp]; e < cm->group[grp + 1]; e++)
				y[cm->row[e]] += (double)cm->w[e] * x[cm->col[e]];
		for (uint32_t i = lo; i < hi; i++)
			if (x[i] == 0.0)
				y[i] = 0.0;
	}
}

static int spectral_bounds(const rn_graph *g, const rn_scc_labels *scc,
			   const struct bounds_plan *plan, struct bounds *out, rn_error *err)
{
	uint32_t n = g->n;
	*out = (struct bounds){0.0, 0.0, 0.0};
	if (n == 0)
		return RN_OK;
	rn_scc_labels own = {0};
	int rc = RN_OK;
	if (!scc) {
		rc = rn_scc_labels_compute(g, &own, err);
		if (rc != RN_OK)
			return rc;
		scc = &own;
	}
	const uint32_t *sizes = scc->sizes, count = scc->count;
	uint32_t cyclic = 0; /* nodes in cyclic components */
	for (uint32_t k = 0; k < count; k++)
		cyclic += sizes[k] > 1 ? sizes[k] : 0;
	double *x = NULL, *y = NULL, *block_min = NULL;
	struct cyc_matrix cm = {0};
	if (cyclic == 0)
		goto out; /* acyclic: A is nilpotent, lambda_max = 0 */
	x = rn_malloc_array(cyclic, sizeof *x);
	y = rn_malloc_array(cyclic, sizeof *y);
	block_min = rn_malloc_array(count, sizeof *block_min);
	if (!x || !y || !block_min || cyc_build(g, scc, cyclic, &cm) != RN_OK) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < cyclic; i++)
		x[i] = 1.0;
	const uint32_t *label = cm.label;
	double lo = 0.0, hi = INFINITY, decide = plan->decide;
	bool chosen = false;
	for (uint32_t done = 1; done <= plan->max_products; done++) {
		/* The maxima and minima below are exact, so the bounds do not depend on the thread
		 * count either. */
		cyc_product(&cm, x, y);
		for (uint32_t k = 0; k < count; k++)
			block_min[k] = INFINITY;
		double max_ratio = 0.0, max_y = 0.0;
		for (uint32_t i = 0; i < cyclic; i++) {
			if (x[i] == 0.0)
				continue;
			double r = y[i] / x[i];
			if (r > max_ratio)
				max_ratio = r;
			if (r < block_min[label[i]])
				block_min[label[i]] = r;
			if (y[i] > max_y)
				max_y = y[i];
		}
		double best_min = 0.0;
		for (uint32_t k = 0; k < count; k++)
			if (sizes[k] > 1 && isfinite(block_min[k]) && block_min[k] > best_min)
				best_min = block_min[k];
		if (best_min - 1.0 > lo)
			lo = best_min - 1.0;
		if (max_ratio - 1.0 < hi)
			hi = max_ratio - 1.0;
		if (!(max_y > 0.0) || !isfinite(max_y)) {
			rc = rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
					  "power iteration lost its vector");
			goto out;
		}
		for (uint32_t i = 0; i < cyclic; i++)
			x[i] = y[i] / max_y;
		bool met = hi - lo <= plan->rel_gap * hi, below = decide > 0.0 && hi < decide;
		bool above = !(decide > 0.0) || lo >= decide;
		if (!chosen && (met || below || above)) {
			out->chosen = hi;
			chosen = true;
		}
		if (met || (chosen && done >= plan->refine))
			break;
	}
	out->lower = lo;
	out->upper = hi;
	if (!chosen)
		out->chosen = hi;
out:
	rn_scc_labels_free(&own);
	rn_free(x);
	rn_free(y);
	rn_free(block_min);
	cyc_free(&cm);
	return rc;
}

int rn_spectral_radius(const rn_graph *g, uint32_t max_iterations, double rel_gap, double *lower,
		       double *upper, rn_error *err)
{
	struct bounds_plan plan = {max_iterations, max_iterations, rel_gap, 0.0};
	struct bounds b;
	int rc = spectral_bounds(g, NULL, &plan, &b, err);
	*lower = b.lower;
	*upper = b.upper;
	return rc;
}

/* x = 1 + alpha A x for an alpha already checked against the upper bound hi. */
static int katz_solve(const rn_graph *g, const rn_scc_labels *scc, double alpha, double hi,
		      double tol, double *x, rn_error *err)
{
	if (g->n == 0)
		return RN_OK;
	double *ones = rn_malloc_array(g->n, sizeof *ones);
	if (!ones)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for Katz");
	for (uint32_t v = 0; v < g->n; v++)
		ones[v] = 1.0;
	/* The error of a converged sweep grows roughly like 1 / (1 - alpha lambda) through the
	 * graph (exactly so in the weighted norm of the Perron vector): tighten by that factor. */
	double shrink = hi > 0.0 ? 1.0 - alpha * hi : 1.0;
	int rc =
	    rn_solve_linear_scc(g, scc, ones, alpha, NULL, tol * shrink, 1000000, x, NULL, err);
	rn_free(ones);
	if (rc != RN_OK)
		return rc;
	for (uint32_t v = 0; v < g->n; v++)
		if (!isfinite(x[v]))
			return rn_error_set(
			    err, RN_EDATA, NULL, 0, 0,
			    "Katz scores overflow with alpha %g (customer %u); use a "
			    "smaller alpha",
			    alpha, v);
	return RN_OK;
}

/* The bounds on lambda_max that decide alpha, after checking tol.  Without lambda to report,
 * the iteration stops once alpha is decided: on the 1e7 benchmark graph (lambda_max 32.4)
 * alpha = 0.1 is refused in 6.6 s, while 300 products left the bounds 1.5 % apart.
 * Everything that shapes the scores (the alpha chosen, the solve's tolerance) comes from
 * b->chosen, so that refining lambda for a report does not change them: `refnet rank` and
 * `refnet report` agree. */
static int katz_bounds(const rn_graph *g, const rn_scc_labels *scc, double alpha, double tol,
		       rn_lambda_bounds *lambda, struct bounds *b, rn_error *err)
{
	*b = (struct bounds){0.0, 0.0, 0.0};
	if (!(tol > 0.0))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "Katz tolerance must be positive, got %g", tol);
	struct bounds_plan plan = {DECIDE_PRODUCTS, lambda ? RN_LAMBDA_PRODUCTS : 0, RN_LAMBDA_GAP,
				   1.0 / alpha};
	int rc = spectral_bounds(g, scc, &plan, b, err);
	if (rc == RN_OK && lambda)
		*lambda = (rn_lambda_bounds){b->lower, b->upper};
	return rc;
}

int rn_katz_default(const rn_graph *g, double tol, double *x, double *alpha, double *upper,
		    rn_lambda_bounds *lambda, const rn_scc_labels *scc, rn_error *err)
{
	struct bounds b;
	int rc = katz_bounds(g, scc, RN_KATZ_ALPHA, tol, lambda, &b, err);
	if (rc != RN_OK)
		return rc;
	*upper = b.chosen;
	*alpha = RN_KATZ_ALPHA * b.chosen < 1.0 ? RN_KATZ_ALPHA : 0.5 / b.chosen;
	return katz_solve(g, scc, *alpha, b.chosen, tol, x, err);
}

int rn_katz(const rn_graph *g, double alpha, double tol, double *x, rn_lambda_bounds *lambda,
	    const rn_scc_labels *scc, rn_error *err)
{
	if (!(alpha > 0.0) || !isfinite(alpha))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "Katz alpha must be a positive number, got %g", alpha);
	struct bounds b;
	int rc = katz_bounds(g, scc, alpha, tol, lambda, &b, err);
	if (rc != RN_OK)
		return rc;
	double lo = b.lower, hi = b.upper;
	if (hi > 0.0 && alpha * hi >= 1.0 && hi - lo <= 1e-6 * hi)
		return rn_error_set(
		    err, RN_EUSAGE, NULL, 0, 0,
		    "Katz alpha %g is too large for this graph: the largest "
		    "eigenvalue of the referral matrix is %.6g (bounds %.6g..%.6g), so "
		    "alpha must be below 1/lambda_max = %.6g",
		    alpha, hi, lo, hi, 1.0 / hi);
	if (hi > 0.0 && alpha * lo >= 1.0)
		return rn_error_set(
		    err, RN_EUSAGE, NULL, 0, 0,
		    "Katz alpha %g is too large for this graph: the largest "
		    "eigenvalue of the referral matrix is between %.6g and %.6g, so "
		    "alpha must be below 1/lambda_max, at most %.6g (any alpha below %.6g "
		    "is accepted)",
		    alpha, lo, hi, 1.0 / lo, 1.0 / hi);
	if (hi > 0.0 && alpha * hi >= 1.0) /* the bounds did not settle it: refuse, safely */
		return rn_error_set(
		    err, RN_EUSAGE, NULL, 0, 0,
		    "Katz alpha %g cannot be shown to converge on this graph: the "
		    "largest eigenvalue of the referral matrix is between %.6g and %.6g; "
		    "any alpha below %.6g is accepted",
		    alpha, lo, hi, 1.0 / hi);
	return katz_solve(g, scc, alpha, b.chosen, tol, x, err);
}
