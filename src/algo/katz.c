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
	const uint32_t *comp = scc->comp, *sizes = scc->sizes, count = scc->count;
	uint32_t cyclic = 0;
	for (uint32_t k = 0; k < count; k++)
		cyclic += sizes[k] > 1;
	double *x = NULL, *y = NULL, *block_min = NULL;
	uint8_t *inside = NULL;
	if (cyclic == 0)
		goto out; /* acyclic: A is nilpotent, lambda_max = 0 */
	x = rn_malloc_array(n, sizeof *x);
	y = rn_malloc_array(n, sizeof *y);
	block_min = rn_malloc_array(count, sizeof *block_min);
	inside = rn_malloc_array(g->m ? g->m : 1, sizeof *inside);
	if (!x || !y || !block_min || !inside) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (uint32_t v = 0; v < n; v++)
		x[v] = sizes[comp[v]] > 1 ? 1.0 : 0.0;
	/* Which edges stay inside their component, one byte each, read in row order by every
	 * product below instead of comp[] of every target at random (0.31 -> 0.26 s a product
	 * at 1e7). */
#pragma omp parallel for schedule(dynamic, 4096)
	for (int64_t uu = 0; uu < (int64_t)n; uu++) {
		uint32_t u = (uint32_t)uu;
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++)
			inside[e] = comp[g->targets[e]] == comp[u];
	}
	double lo = 0.0, hi = INFINITY, decide = plan->decide;
	bool chosen = false;
	for (uint32_t done = 1; done <= plan->max_products; done++) {
		/* y = (A_C + I) x restricted to edges inside one component; one thread per row,
		 * and the maxima and minima below are exact, so the bounds do not depend on the
		 * thread count. */
#pragma omp parallel for schedule(dynamic, 4096)
		for (int64_t uu = 0; uu < (int64_t)n; uu++) {
			uint32_t u = (uint32_t)uu;
			if (x[u] == 0.0) {
				y[u] = 0.0;
				continue;
			}
			double sum = x[u];
			for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++)
				if (inside[e])
					sum += (double)g->weights[e] * x[g->targets[e]];
			y[u] = sum;
		}
		for (uint32_t k = 0; k < count; k++)
			block_min[k] = INFINITY;
		double max_ratio = 0.0, max_y = 0.0;
		for (uint32_t u = 0; u < n; u++) {
			if (x[u] == 0.0)
				continue;
			double r = y[u] / x[u];
			if (r > max_ratio)
				max_ratio = r;
			if (r < block_min[comp[u]])
				block_min[comp[u]] = r;
			if (y[u] > max_y)
				max_y = y[u];
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
		for (uint32_t u = 0; u < n; u++)
			x[u] = y[u] / max_y;
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
	rn_free(inside);
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
static int katz_solve(const rn_graph *g, double alpha, double hi, double tol, double *x,
		      rn_error *err)
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
	int rc = rn_solve_linear(g, ones, alpha, NULL, tol * shrink, 1000000, x, NULL, err);
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
 * alpha = 0.1 is refused in 11 s, while 300 products (80 s) left the bounds 1.5 % apart.
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
	return katz_solve(g, *alpha, b.chosen, tol, x, err);
}

int rn_katz(const rn_graph *g, double alpha, double tol, double *x, rn_lambda_bounds *lambda,
	    rn_error *err)
{
	if (!(alpha > 0.0) || !isfinite(alpha))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "Katz alpha must be a positive number, got %g", alpha);
	struct bounds b;
	int rc = katz_bounds(g, NULL, alpha, tol, lambda, &b, err);
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
	return katz_solve(g, alpha, b.chosen, tol, x, err);
}
